"""The public log endpoints of DESIGN.md §3, checked as an outside verifier would."""

from __future__ import annotations

import base64

from flask.testing import FlaskClient

from credentials import merkle
from credentials.checkpoint import open_checkpoint
from credentials.note import Verifier
from tests.logtools import append_committed

ORIGIN = "creditbank.test/ledger"


def _verifier(client: FlaskClient) -> Verifier:
    r = client.get("/api/v1/log/key")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/plain; charset=utf-8"
    key = r.get_data(as_text=True).strip()
    assert key.startswith(ORIGIN + "+")
    return Verifier.from_key_string(key)


def test_empty_log_has_no_checkpoint(client: FlaskClient) -> None:
    r = client.get("/api/v1/log/checkpoint")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"


def test_checkpoint_key_and_proofs_verify(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    append_committed(db_session, 21)
    r = client.get("/api/v1/log/checkpoint")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/plain; charset=utf-8"
    cp = open_checkpoint(r.data, _verifier(client), ORIGIN)
    assert cp.size == 21
    p = client.get("/api/v1/log/proof/inclusion?index=20&tree_size=21").json
    assert set(p) == {"leaf_index", "tree_size", "leaf_hash_b64", "leaf_data_b64", "audit_path"}
    merkle.verify_inclusion(base64.b64decode(p["leaf_hash_b64"]), 20, 21,
                            [base64.b64decode(h) for h in p["audit_path"]], cp.root_hash)
    e = client.get("/api/v1/log/entries/20").json
    assert e["leaf_b64"] == p["leaf_data_b64"] and e["kind"] == "record" and e["index"] == 20
    c = client.get("/api/v1/log/proof/consistency?old_size=7&new_size=21").json
    assert set(c) == {"old_size", "old_root_b64", "new_size", "consistency_path"}
    merkle.verify_consistency(7, 21, [base64.b64decode(h) for h in c["consistency_path"]],
                              base64.b64decode(c["old_root_b64"]), cp.root_hash)


def test_entries_range_for_auditors(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    append_committed(db_session, 30)
    r = client.get("/api/v1/log/entries?start=5&end=25")
    assert r.status_code == 200
    got = r.json["entries"]
    assert [e["index"] for e in got] == list(range(5, 25))
    assert all("subject_ref" not in e and "actor" not in e for e in got)
    assert client.get("/api/v1/log/entries?start=0&end=1001").status_code == 422


def test_bad_parameters_are_4xx_problems(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    append_committed(db_session, 4)
    client.get("/api/v1/log/checkpoint")
    cases = [
        "/api/v1/log/proof/inclusion?index=4&tree_size=4",
        "/api/v1/log/proof/inclusion?index=0&tree_size=0",
        "/api/v1/log/proof/inclusion?index=0&tree_size=99",
        "/api/v1/log/proof/inclusion",
        "/api/v1/log/proof/inclusion?index=-1",
        "/api/v1/log/proof/consistency?old_size=3&new_size=2",
        "/api/v1/log/proof/consistency?old_size=0&new_size=4",
        "/api/v1/log/entries/99",
        "/api/v1/log/entries?start=3&end=3",
    ]
    for url in cases:
        r = client.get(url)
        assert 400 <= r.status_code < 500, (url, r.status_code)
        assert r.mimetype == "application/problem+json", url


def test_write_answers_pending_then_wait_returns_proof(client: FlaskClient, db_session, app) -> None:  # type: ignore[no-untyped-def]
    append_committed(db_session, 2)
    client.get("/api/v1/log/checkpoint")
    append_committed(db_session, 1)  # index 2: not yet covered
    assert client.get("/api/v1/log/proof/inclusion?index=2").status_code == 422
    r = client.get("/api/v1/log/proof/inclusion?index=2&wait=5")
    assert r.status_code == 200 and r.json["tree_size"] == 3


def test_checkpoints_are_archived(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    from api.context import log_signer
    from ledger.log.checkpoints import sign_if_due

    append_committed(db_session, 3)
    sign_if_due(db_session, log_signer(), min_interval=0)
    append_committed(db_session, 3)
    sign_if_due(db_session, log_signer(), min_interval=0)
    listed = client.get("/api/v1/log/checkpoints").json
    assert [c["size"] for c in listed] == [6, 3]
    assert listed[0]["note"].startswith(ORIGIN + "\n6\n")
