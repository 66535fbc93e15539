"""Transcripts: a CLR 2.0 ClrCredential signed by the bank, wrapping the current record credentials, entered
in the log once per change, verified by POST /api/v1/verify (and its bundle offline); revocation shows."""

from __future__ import annotations

import copy
from typing import Any

from flask.testing import FlaskClient

from api.context import log_signer
from credentials import bundle as bundles
from credentials.dataintegrity import verify
from ledger.log import checkpoints
from ledger.log.append import tree_head
from tests.factories import account, auth, institution, institution_client, learner_token, posted_record


def _cp(db_session: Any) -> None:
    checkpoints.sign_if_due(db_session, log_signer(), min_interval=0, force=True)


def test_transcript_is_signed_entered_and_verifies(client: FlaskClient, db_session: Any) -> None:
    inst = institution()
    token = institution_client(inst.id)
    acc = account()
    answers = [posted_record(client, token, acc.id) for _ in range(2)]
    learner = learner_token(acc.id)
    size = tree_head(db_session)[0]
    r = client.get(f"/api/v1/accounts/{acc.ref}/transcript", headers=auth(learner))
    assert r.status_code == 200, r.json
    clr = r.json
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json" in clr["@context"]
    inner = clr["credentialSubject"]["verifiableCredential"]
    assert [c["id"] for c in inner] == [a["id"] for a in answers]
    assert inner[0] == client.get(f"/api/v1/records/{answers[0]['id']}/credential").json  # as signed
    verify(clr)
    assert tree_head(db_session)[0] == size + 1
    # unchanged records: the same transcript, no new entry
    assert client.get(f"/api/v1/accounts/{acc.ref}/transcript", headers=auth(learner)).json == clr
    assert tree_head(db_session)[0] == size + 1
    _cp(db_session)
    v = client.post("/api/v1/verify", json={"credential": clr}).json
    assert v["verified"] is True and v["kind"] == "transcript", v
    tampered = copy.deepcopy(clr)
    tampered["name"] = "伪造"
    assert {c["id"] for c in client.post("/api/v1/verify", json={"credential": tampered}).json["checks"]
            if not c["ok"]} == {"proof", "log"}
    b = client.get(f"/api/v1/accounts/{acc.ref}/transcript/bundle", headers=auth(learner))
    assert b.status_code == 200, b.json
    bundles.verify_bundle_offline(b.json)
    assert client.post("/api/v1/verify", json={"credential": b.json}).json["verified"] is True
    # a revoked record: the old transcript fails `status`; the next transcript leaves it out
    client.post(f"/api/v1/records/{answers[1]['id']}:revoke", json={"reason": "错误"}, headers=auth(token))
    v = client.post("/api/v1/verify", json={"credential": clr}).json
    assert [c["id"] for c in v["checks"] if not c["ok"]] == ["status"]
    fresh = client.get(f"/api/v1/accounts/{acc.ref}/transcript", headers=auth(learner)).json
    assert [c["id"] for c in fresh["credentialSubject"]["verifiableCredential"]] == [answers[0]["id"]]


def test_only_allowed_readers_get_a_transcript(client: FlaskClient, db_session: Any) -> None:
    acc = account()
    other = learner_token(account().id)
    assert client.get(f"/api/v1/accounts/{acc.ref}/transcript").status_code == 401
    assert client.get(f"/api/v1/accounts/{acc.ref}/transcript", headers=auth(other)).status_code == 403
