"""The log on both databases: contiguous indexes, stored hashes that prove, checkpoints, audit."""

from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa

from credentials import merkle
from credentials.checkpoint import open_checkpoint
from credentials.note import Signer
from ledger.db import begin_write
from ledger.errors import Invalid, NotFound
from ledger.log import append_entries, tree_head
from ledger.log.audit import audit
from ledger.log.checkpoints import latest_checkpoint, sign_if_due
from ledger.log.models import LogEntry, LogNode, SignedCheckpoint
from ledger.log.proofs import consistency_proof, inclusion_proof
from tests.logtools import append_committed, synthetic_entries

ORIGIN = "creditbank.test/ledger"


@pytest.fixture
def signer():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Signer(ORIGIN, Ed25519PrivateKey.generate())


def _leaves(session) -> list[bytes]:  # type: ignore[no-untyped-def]
    return [bytes(b) for b in session.scalars(sa.select(LogEntry.leaf).order_by(LogEntry.index))]


def test_appends_are_contiguous_and_root_matches_recomputation(db_session) -> None:  # type: ignore[no-untyped-def]
    first = append_committed(db_session, 5)
    second = append_committed(db_session, 1)
    third = append_committed(db_session, 1000)
    assert first == list(range(5)) and second == [5] and third == list(range(6, 1006))
    size, root = tree_head(db_session)
    assert size == 1006
    assert root == merkle.MemoryTree.from_leaves(_leaves(db_session)).root()


def test_a_failed_batch_leaves_nothing(db_session) -> None:  # type: ignore[no-untyped-def]
    append_committed(db_session, 3)
    begin_write(db_session)
    append_entries(db_session, synthetic_entries(10))
    db_session.rollback()
    assert tree_head(db_session)[0] == 3
    assert db_session.scalar(sa.select(sa.func.count()).select_from(LogEntry)) == 3
    assert append_committed(db_session, 1) == [3]


def test_leaf_is_the_envelope_with_a_commitment_not_the_account(db_session) -> None:  # type: ignore[no-untyped-def]
    begin_write(db_session)
    entries = synthetic_entries(2)
    out = append_entries(db_session, entries)
    db_session.commit()
    env = json.loads(out[0].leaf)
    assert env["v"] == 1 and env["index"] == out[0].index and env["kind"] == "record"
    assert env["subject"].startswith("hmac-sha256:") and entries[0].subject_ref not in out[0].leaf.decode()
    assert env["time"].endswith("Z") and len(env["time"]) == 20
    assert env["digest"] == entries[0].digest and env["issuer"] == entries[0].issuer


def test_proofs_verify_against_signed_checkpoints(db_session, signer) -> None:  # type: ignore[no-untyped-def]
    append_committed(db_session, 13)
    cp13 = sign_if_due(db_session, signer, min_interval=0)
    append_committed(db_session, 20)
    assert sign_if_due(db_session, signer, min_interval=3600) is None, "interval not yet passed"
    cp33 = sign_if_due(db_session, signer, min_interval=3600, force=True)
    assert cp13 is not None and cp33 is not None
    opened = open_checkpoint(cp33.note.encode(), signer.verifier, ORIGIN)
    for index in (0, 12, 13, 32):
        p = inclusion_proof(db_session, index)
        assert p["tree_size"] == 33
        path = [base64.b64decode(h) for h in p["audit_path"]]
        merkle.verify_inclusion(base64.b64decode(p["leaf_hash_b64"]), index, 33, path, opened.root_hash)
        assert merkle.leaf_hash(base64.b64decode(p["leaf_data_b64"])) == base64.b64decode(p["leaf_hash_b64"])
    c = consistency_proof(db_session, 13, 33)
    merkle.verify_consistency(13, 33, [base64.b64decode(h) for h in c["consistency_path"]],
                              base64.b64decode(c["old_root_b64"]), opened.root_hash)
    assert base64.b64decode(c["old_root_b64"]) == cp13.root_hash


def test_proof_parameters_are_checked(db_session, signer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        inclusion_proof(db_session, 0)
    append_committed(db_session, 4)
    sign_if_due(db_session, signer, min_interval=0)
    append_committed(db_session, 4)  # not yet checkpointed
    with pytest.raises(Invalid):
        inclusion_proof(db_session, 4)
    with pytest.raises(Invalid):
        inclusion_proof(db_session, 0, tree_size=8)
    with pytest.raises(Invalid):
        consistency_proof(db_session, 0, 4)
    with pytest.raises(Invalid):
        consistency_proof(db_session, 4, 3)


def test_signer_refuses_a_tree_inconsistent_with_what_it_signed(db_session, signer) -> None:  # type: ignore[no-untyped-def]
    from ledger.log.checkpoints import LogIntegrityError

    append_committed(db_session, 6)
    sign_if_due(db_session, signer, min_interval=0)
    append_committed(db_session, 3)
    db_session.execute(sa.update(LogNode).where(LogNode.level == 2, LogNode.idx == 0).values(hash=b"\x00" * 32))
    db_session.commit()
    with pytest.raises(LogIntegrityError):
        sign_if_due(db_session, signer, min_interval=0)
    assert latest_checkpoint(db_session).size == 6


def _audit(session, signer):  # type: ignore[no-untyped-def]
    return audit(session, [signer.verifier], ORIGIN)


def _prepared(db_session, signer) -> None:  # type: ignore[no-untyped-def]
    append_committed(db_session, 40)
    sign_if_due(db_session, signer, min_interval=0)
    append_committed(db_session, 25)
    sign_if_due(db_session, signer, min_interval=0)


def test_audit_passes_on_a_sound_log(db_session, signer) -> None:  # type: ignore[no-untyped-def]
    _prepared(db_session, signer)
    report = _audit(db_session, signer)
    assert report.ok, report.problem
    assert (report.entries, report.checkpoints) == (65, 2)
    assert report.nodes == sum(len(lv) for lv in merkle.perfect_levels([b"x" * 32] * 65)[1:])


def test_audit_names_a_tampered_leaf(db_session, signer) -> None:  # type: ignore[no-untyped-def]
    _prepared(db_session, signer)
    leaf = db_session.get(LogEntry, 17).leaf.replace(b'"kind":"record"', b'"kind":"revoked"')
    db_session.execute(sa.update(LogEntry).where(LogEntry.index == 17).values(leaf=leaf))
    report = _audit(db_session, signer)
    assert not report.ok and report.bad_index == 17


def test_audit_names_a_leaf_rewritten_with_its_hash(db_session, signer) -> None:  # type: ignore[no-untyped-def]
    _prepared(db_session, signer)
    leaf = db_session.get(LogEntry, 33).leaf.replace(b'"kind":"record"', b'"kind":"revoked"')
    db_session.execute(sa.update(LogEntry).where(LogEntry.index == 33)
                       .values(leaf=leaf, leaf_hash=merkle.leaf_hash(leaf)))
    report = _audit(db_session, signer)
    assert not report.ok and report.bad_index == 32, report.problem  # node (1,16) covers entries 32–33


def test_audit_catches_a_tampered_stored_node(db_session, signer) -> None:  # type: ignore[no-untyped-def]
    _prepared(db_session, signer)
    db_session.execute(sa.update(LogNode).where(LogNode.level == 3, LogNode.idx == 2).values(hash=b"\x01" * 32))
    report = _audit(db_session, signer)
    assert not report.ok and report.bad_index == 16 and "(3,2)" in report.problem


def test_audit_catches_a_tampered_checkpoint(db_session, signer) -> None:  # type: ignore[no-untyped-def]
    _prepared(db_session, signer)
    cp = db_session.get(SignedCheckpoint, 40)
    db_session.execute(sa.update(SignedCheckpoint).where(SignedCheckpoint.size == 40)
                       .values(note=cp.note.replace("\n40\n", "\n39\n")))
    report = _audit(db_session, signer)
    assert not report.ok and "checkpoint" in report.problem


def test_audit_catches_a_deleted_entry(db_session, signer) -> None:  # type: ignore[no-untyped-def]
    _prepared(db_session, signer)
    db_session.execute(sa.delete(LogEntry).where(LogEntry.index == 50))
    report = _audit(db_session, signer)
    assert not report.ok and report.bad_index == 50


def test_audit_cli_exits_nonzero_naming_the_index(runner, db_session) -> None:  # type: ignore[no-untyped-def]
    append_committed(db_session, 10)
    assert runner.invoke(args=["log", "sign"]).exit_code == 0
    ok = runner.invoke(args=["log", "audit"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output.splitlines()[0])["ok"] is True
    db_session.execute(sa.update(LogEntry).where(LogEntry.index == 4).values(leaf=b"{}"))
    db_session.commit()
    bad = runner.invoke(args=["log", "audit"])
    assert bad.exit_code == 1
    assert "at entry 4" in bad.output
