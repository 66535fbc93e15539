"""POST /api/v1/verify and the offline proof bundle: every check id fails for its own reason, bundles verify
offline (python -m credentials.bundle) and at the bank, bad input is a problem and changes nothing."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from api.context import log_signer
from credentials import bundle as bundles
from credentials.dataintegrity import sign
from credentials.didkey import did_key, verification_method
from ledger.institutions import Authorisation, InstitutionKey
from ledger.log import checkpoints
from ledger.log.append import tree_head
from tests.factories import account, auth, institution, institution_client, posted_record

IDS = ("proof", "issuer", "authority", "key", "status", "log")


def _checkpoint(db_session: Any) -> None:
    checkpoints.sign_if_due(db_session, log_signer(), min_interval=0, force=True)


def _posted(client: FlaskClient, db_session: Any, nid: str | None = None) -> tuple[Any, str, dict[str, Any], Any]:
    inst = institution()
    token = institution_client(inst.id)
    acc = account(nid)
    answer = posted_record(client, token, acc.id)
    _checkpoint(db_session)
    credential = client.get(f"/api/v1/records/{answer['id']}/credential").json
    return inst, token, credential, answer


def _verify(client: FlaskClient, credential: Any, **extra: Any) -> dict[str, Any]:
    r = client.post("/api/v1/verify", json={"credential": credential, **extra})
    assert r.status_code == 200, r.json
    return r.json


def _failing(verdict: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["severity"] for c in verdict["checks"] if not c["ok"]}


def test_a_posted_record_verifies_with_every_check(client: FlaskClient, db_session: Any) -> None:
    inst, _, credential, answer = _posted(client, db_session)
    v = _verify(client, credential)
    assert v["verified"] is True, v
    assert [c["id"] for c in v["checks"]] == list(IDS)
    assert all(c["ok"] and c["message_zh"] and c["message_en"] for c in v["checks"])
    assert v["issuer"]["name"] == inst.name and v["issuer"]["id"] == inst.did
    assert v["kind"] == "course_credit" and v["credential"]["id"] == answer["id"]
    assert v["credential"]["index"] == answer["index"]


def test_tampered_copy_fails_proof_and_log(client: FlaskClient, db_session: Any) -> None:
    _, _, credential, _ = _posted(client, db_session)
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["name"] = "伪造的课程"
    v = _verify(client, tampered)
    assert v["verified"] is False and _failing(v) == {"proof": "error", "log": "error"}


def test_unknown_issuer_is_a_warning_not_an_error(client: FlaskClient, db_session: Any) -> None:
    _, _, credential, _ = _posted(client, db_session)
    stranger = Ed25519PrivateKey.generate()
    forged = {k: v for k, v in credential.items() if k != "proof"}
    forged["issuer"] = {**forged["issuer"], "id": did_key(stranger.public_key())}
    forged = sign(forged, stranger, verification_method=verification_method(stranger.public_key()),
                  created=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    v = _verify(client, forged)
    assert v["verified"] is False
    failing = _failing(v)
    assert failing["issuer"] == "warning" and "proof" not in failing
    assert failing["log"] == "error" and failing["key"] == "error"


def test_revoked_and_suspended_fail_status(client: FlaskClient, db_session: Any) -> None:
    _, token, credential, answer = _posted(client, db_session)
    r = client.post(f"/api/v1/records/{answer['id']}:suspend", json={"reason": "核查"}, headers=auth(token))
    assert r.status_code == 200, r.json
    assert _failing(_verify(client, credential)) == {"status": "error"}
    client.post(f"/api/v1/records/{answer['id']}:revoke", json={"reason": "证书信息有误"}, headers=auth(token))
    v = _verify(client, credential)
    assert v["verified"] is False and _failing(v) == {"status": "error"}


def test_expired_copy_fails_proof(client: FlaskClient, db_session: Any) -> None:
    _, _, credential, _ = _posted(client, db_session)
    inst_key = db_session.scalar(sa.select(InstitutionKey).where(InstitutionKey.did == credential["issuer"]["id"]))
    from api.context import keyring

    private = inst_key.private(keyring())
    expired = {k: v for k, v in credential.items() if k != "proof"}
    expired["validUntil"] = "2024-12-31T00:00:00Z"
    expired = sign(expired, private, verification_method=inst_key.verification_method, created=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    v = _verify(client, expired)
    # signed by the right key, but expired and not the document the log holds
    assert v["verified"] is False and set(_failing(v)) == {"proof", "log"}


def test_authority_is_judged_at_the_log_time(client: FlaskClient, db_session: Any) -> None:
    inst, _, credential, _ = _posted(client, db_session)
    # the authorisation starting only after the entry's log time: then it did not cover the entry
    for row in db_session.scalars(sa.select(Authorisation).where(Authorisation.institution_id == inst.id)):
        row.valid_from = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    db_session.flush()
    assert _failing(_verify(client, credential)) == {"authority": "error"}


def test_a_key_outside_its_window_fails_key(client: FlaskClient, db_session: Any) -> None:
    _, _, credential, _ = _posted(client, db_session)
    key = db_session.scalar(sa.select(InstitutionKey).where(InstitutionKey.did == credential["issuer"]["id"]))
    key.valid_from = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    db_session.flush()
    assert _failing(_verify(client, credential)) == {"key": "error"}


def test_not_yet_in_a_checkpoint_fails_log_closed(client: FlaskClient, db_session: Any, app: Any) -> None:
    inst = institution()
    _checkpoint(db_session)
    answer = posted_record(client, institution_client(inst.id), account().id)
    credential = client.get(f"/api/v1/records/{answer['id']}/credential").json
    old = app.config["CHECKPOINT_INTERVAL"]
    app.config["CHECKPOINT_INTERVAL"] = 3600
    try:
        v = _verify(client, credential)
    finally:
        app.config["CHECKPOINT_INTERVAL"] = old
    assert v["verified"] is False and _failing(v) == {"log": "error"}


def test_identity_by_national_id_never_echoed(client: FlaskClient, db_session: Any) -> None:
    from tests.factories import random_national_id

    nid = random_national_id()
    _, _, credential, _ = _posted(client, db_session, nid)
    good = client.post("/api/v1/verify", json={"credential": credential, "national_id": nid})
    assert good.json["verified"] is True and [c["id"] for c in good.json["checks"]][-1] == "identity"
    assert nid not in good.get_data(as_text=True)
    other = random_national_id()
    while other == nid:
        other = random_national_id()
    bad = _verify(client, credential, national_id=other)
    assert _failing(bad) == {"identity": "error"}
    assert other not in json.dumps(bad)


def test_multipart_upload_of_a_credential(client: FlaskClient, db_session: Any) -> None:
    _, _, credential, _ = _posted(client, db_session)
    data = {"file": (io.BytesIO(json.dumps(credential).encode()), "credential.json")}
    r = client.post("/api/v1/verify", data=data, content_type="multipart/form-data")
    assert r.status_code == 200 and r.json["verified"] is True


def test_bad_input_is_a_problem_and_changes_nothing(client: FlaskClient, db_session: Any) -> None:
    size = tree_head(db_session)[0]
    for body in ({}, {"credential": "x"}, {"credential": {}, "extra": 1}, {"credential": {}, "national_id": 5}):
        r = client.post("/api/v1/verify", json=body)
        assert r.status_code == 422 and r.mimetype == "application/problem+json", (body, r.json)
        assert r.json["errors"][0]["field"]
    r = client.post("/api/v1/verify", data={"file": (io.BytesIO(b"not json"), "x.json")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    assert tree_head(db_session)[0] == size
    # an empty object is a verdict, not an error: nothing checks, nothing verified
    v = _verify(client, {})
    assert v["verified"] is False and not any(c["ok"] for c in v["checks"])


def test_bundle_verifies_offline_and_at_the_bank(client: FlaskClient, db_session: Any, tmp_path: Path,
                                                 capsys: Any) -> None:
    _, _, credential, answer = _posted(client, db_session)
    r = client.get(f"/api/v1/records/{answer['id']}/bundle")
    assert r.status_code == 200, r.json
    b = r.json
    assert set(b) == {"type", "credential", "entry", "inclusion", "checkpoint", "log_key"}
    assert b["type"] == "CreditBankProofBundle" and b["credential"] == credential
    assert b["entry"]["index"] == answer["index"]
    verdict = bundles.verify_bundle_offline(b)
    assert verdict.index == answer["index"]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(b))
    assert bundles.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "OK offline" in out and "not checked offline" in out
    # the log grows; the bank checks the bundle's checkpoint is consistent with its latest
    posted_record(client, institution_client(institution().id), account().id)
    _checkpoint(db_session)
    v = _verify(client, b)
    assert v["verified"] is True and v["bundle"] is True, v
    # a bundle with a tampered audit path or checkpoint fails `log` (and offline)
    broken = copy.deepcopy(b)
    broken["checkpoint"] = broken["checkpoint"].replace("\n\n", "\n\n", 1)[:-20] + "AAAAAAAAAAAAAAAAAAA\n"
    assert _failing(_verify(client, broken)) == {"log": "error"}
    path.write_text(json.dumps(broken))
    assert bundles.main([str(path)]) == 1
    wrong = copy.deepcopy(b)
    wrong["entry"]["index"] = wrong["inclusion"]["leaf_index"] = b["entry"]["index"] + 1
    assert "log" in _failing(_verify(client, wrong))


def test_bundle_before_any_checkpoint_is_pending(client: FlaskClient, db_session: Any, app: Any) -> None:
    inst = institution()
    _checkpoint(db_session)
    answer = posted_record(client, institution_client(inst.id), account().id)
    old = app.config["CHECKPOINT_INTERVAL"]
    app.config["CHECKPOINT_INTERVAL"] = 3600
    try:
        r = client.get(f"/api/v1/records/{answer['id']}/bundle")
    finally:
        app.config["CHECKPOINT_INTERVAL"] = old
    assert r.status_code == 409 and r.mimetype == "application/problem+json", r.json


def test_cli_verifies_a_bundle_offline_and_with_the_bank(client: FlaskClient, db_session: Any, runner: Any,
                                                         tmp_path: Path) -> None:
    _, _, credential, answer = _posted(client, db_session)
    path = tmp_path / "b.json"
    path.write_text(json.dumps(client.get(f"/api/v1/records/{answer['id']}/bundle").json))
    off = runner.invoke(args=["verify", str(path), "--offline"])
    assert off.exit_code == 0 and "OK offline" in off.output and "not checked offline" in off.output
    online = runner.invoke(args=["verify", str(path)])
    assert online.exit_code == 0 and "VERIFIED" in online.output, online.output
    tampered = copy.deepcopy(credential)
    tampered["name"] = "x"
    path.write_text(json.dumps(tampered))
    bad = runner.invoke(args=["verify", str(path)])
    assert bad.exit_code == 1 and "NOT VERIFIED" in bad.output


def test_an_invalid_national_id_is_a_problem(client: FlaskClient, db_session: Any) -> None:
    _, _, credential, _ = _posted(client, db_session)
    r = client.post("/api/v1/verify", json={"credential": credential, "national_id": "12345"})
    assert r.status_code == 422 and r.mimetype == "application/problem+json" and "12345" not in r.get_data(as_text=True)
