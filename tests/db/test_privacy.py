"""Privacy at rest: sealed personal data, erasure that leaves the log whole, master key rotation, hooks."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app

from api.context import bank_did
from credentials import merkle
from credentials.sealing import SealingError, keyed_hash, new_master_key
from ledger import accounts, institutions
from ledger.bankkeys import BANK_NAME, BANK_PURPOSE, BankKey, ensure_key
from ledger.errors import Forbidden
from ledger.keyring import Keyring
from ledger.log import tree_head
from ledger.log.models import LogEntry
from ledger.masterkey import SEALED_COLUMNS
from ledger.principal import SYSTEM, Principal
from ledger.roles import Role
from tests.factories import account, institution, random_national_id


def _keyring() -> Keyring:
    return current_app.extensions["creditbank.keyring"]


def _leaves(session: Any) -> list[bytes]:
    return list(session.scalars(sa.select(LogEntry.leaf).order_by(LogEntry.index)))


def test_personal_data_is_sealed_and_bound_to_its_field(db_session) -> None:  # type: ignore[no-untyped-def]
    nid = random_national_id()
    acc = account(nid, name="王小明", phone="13511112222")
    row = db_session.execute(sa.text("select * from accounts where card_number = :c"),
                             {"c": acc.card_number}).mappings().one()
    stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row.values() if v is not None)
    for secret in (nid, "王小明", "13511112222"):
        assert secret.encode() not in stored
    assert row["nid_hash"] == keyed_hash(_keyring().current, nid, purpose=accounts.LOOKUP_PURPOSE)
    assert accounts.personal_data(_keyring(), acc).name == "王小明"
    # a sealed name pasted into the phone column does not open: the context names the field
    with pytest.raises(SealingError):
        _keyring().open(acc.sealed_name, context=acc.context("phone"))
    assert accounts.find_by_national_id(db_session, _keyring(), nid.lower()).id == acc.id


def test_erasure_removes_personal_data_and_keeps_the_log_whole(db_session) -> None:  # type: ignore[no-untyped-def]
    nid = random_national_id()
    acc = account(nid, name="赵六")
    dup = account(name="赵六（重复）")
    accounts.merge_accounts(db_session, SYSTEM, bank_did(), acc.id, dup.id)
    db_session.commit()
    leaves_before = _leaves(db_session)
    size0, root0 = tree_head(db_session)
    accounts.erase_account(db_session, SYSTEM, bank_did(), acc.id, "学员书面申请 2025-001")
    db_session.commit()
    size1, root1 = tree_head(db_session)
    leaves_after = _leaves(db_session)
    # exactly one new entry, every old leaf byte for byte, and the old tree still inside the new one
    assert size1 == size0 + 1 and leaves_after[:size0] == leaves_before
    tree = merkle.MemoryTree.from_leaves(leaves_after)
    assert tree.root(size0) == root0 and tree.root() == root1
    merkle.verify_consistency(size0, size1, tree.consistency_proof(size0), root0, root1)
    assert db_session.scalar(sa.select(LogEntry.kind).where(LogEntry.index == size0)) == "erasure"
    # no personal data left, of the account or of the one merged into it; nobody finds it by ID
    for a in (acc, dup):
        db_session.refresh(a)
        assert a.sealed_national_id is None and a.sealed_name is None and a.sealed_phone is None
        assert a.nid_hash is None and a.erased_at is not None
    assert acc.status == "erased" and accounts.personal_data(_keyring(), acc) == accounts.PersonalData(None, None, None)
    assert accounts.find_by_national_id(db_session, _keyring(), nid) is None
    # the account itself (id, card number) stays, so records keep their subject
    assert accounts.get_account(db_session, dup.id).id == acc.id


def test_master_key_rotation_round_trip(runner, db_session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    old_ring = _keyring()
    inst = institution()
    nid = random_national_id()
    acc = account(nid, name="钱七", phone="13600000000")
    bank_key = ensure_key(db_session, old_ring, BANK_PURPOSE, BANK_NAME)
    signing = institutions.current_signing_key(db_session, old_ring, inst.id)
    new_key = new_master_key()
    monkeypatch.setenv("NEW_MASTER", new_key)
    result = runner.invoke(args=["keys", "rotate-master", "--new-key-env", "NEW_MASTER"])
    assert result.exit_code == 0, result.output
    assert '"rehashed"' in result.output
    db_session.expire_all()
    new_ring = Keyring.from_config(new_key)  # the old master key is no longer needed
    assert new_ring.current != old_ring.current
    key_row = institutions.current_signing_key(db_session, new_ring, inst.id)
    assert key_row.private_key.private_bytes_raw() == signing.private_key.private_bytes_raw()
    assert db_session.get(BankKey, bank_key.id).private(new_ring).public_key().public_bytes_raw() == bank_key.public_key
    acc = db_session.get(accounts.Account, acc.id)
    assert accounts.personal_data(new_ring, acc) == accounts.PersonalData(nid, "钱七", "13600000000")
    assert accounts.find_by_national_id(db_session, new_ring, nid).id == acc.id
    assert acc.nid_hash_key == new_ring.current_id
    with pytest.raises(SealingError):
        accounts.personal_data(Keyring(old_ring.current), acc)
    # nothing is left under the old key
    for model, column, _ in SEALED_COLUMNS:
        for sealed in db_session.scalars(sa.select(getattr(model, column)).where(getattr(model, column).is_not(None))):
            assert not new_ring.needs_rewrap(sealed)


def test_rotation_refuses_a_bad_key_and_changes_nothing(runner, db_session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    acc = account()
    before = acc.sealed_name
    monkeypatch.setenv("NEW_MASTER", "dG9vLXNob3J0")  # base64 of 9 bytes
    result = runner.invoke(args=["keys", "rotate-master", "--new-key-env", "NEW_MASTER"])
    assert result.exit_code != 0 and "32 bytes" in result.output
    assert runner.invoke(args=["keys", "rotate-master", "--new-key-env", "UNSET_VAR_X"]).exit_code != 0
    db_session.expire_all()
    assert db_session.get(accounts.Account, acc.id).sealed_name == before


def test_look_ups_during_a_rotation_try_old_keys(db_session) -> None:  # type: ignore[no-untyped-def]
    nid = random_national_id()
    acc = account(nid)
    # a process already started with the new key as current and the old one as old finds the account
    during = Keyring(Keyring.from_config(new_master_key()).current, (_keyring().current,))
    assert accounts.find_by_national_id(db_session, during, nid).id == acc.id


def test_reader_check_and_export_section_hooks(db_session) -> None:  # type: ignore[no-untyped-def]
    poster = institution()
    acc = account()
    actor = Principal(kind="client", id=uuid.uuid4(), name="poster", roles=(Role.INSTITUTION,),
                      institution_id=poster.id)
    with pytest.raises(Forbidden):
        accounts.get_account_for(db_session, actor, acc.id, "成绩录入")

    def posted(session: Any, institution_id: uuid.UUID, account_ids: list[uuid.UUID]) -> bool:
        return institution_id == poster.id and acc.id in account_ids

    accounts.register_reader_check(posted)
    accounts.register_export_section("test_posted_section", lambda s, k, a, ids: [{"account": a.ref, "n": len(ids)}])
    try:
        assert accounts.get_account_for(db_session, actor, acc.id, "成绩录入").id == acc.id
        exported = accounts.export_account(db_session, _keyring(), SYSTEM, acc.id, "依申请导出")
        assert exported["sections"]["test_posted_section"] == [{"account": acc.ref, "n": 1}]
        # a posting institution may read, but only openers correct
        with pytest.raises(Forbidden):
            accounts.correct_account(db_session, _keyring(), actor, bank_did(), acc.id, {"name": "x"}, "更正")
    finally:
        accounts._reader_checks.remove(posted)
        accounts._export_sections.pop("test_posted_section")
