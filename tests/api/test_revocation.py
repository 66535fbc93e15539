"""Revocation, suspension and correction over HTTP: Bitstring Status Lists signed by the credentials' key (a rotated
custodial key keeps signing its old lists), entries for each change, and own-key institutions' uploaded lists."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from credentials.dataintegrity import sign, verify
from credentials.didkey import verification_method
from credentials.statuslist import StatusList, check_status, status_entry, status_list_credential
from ledger.documents import EntryDocument
from ledger.log import digest_of
from ledger.log.models import LogEntry
from ledger.records import events
from ledger.records.credential import build_credential
from tests.factories import (
    account,
    auth,
    institution,
    institution_client,
    learner_token,
    own_key_institution,
    posted_record,
    record_body,
)
from tests.unit.test_record_schemas import VALID

PUBLIC = "http://127.0.0.1:8000"


def _get(client: FlaskClient, url: str) -> Any:
    r = client.get(url[len(PUBLIC):])
    assert r.status_code == 200, (url, r.json)
    return r.json


def _status(client: FlaskClient, credential: dict[str, Any], purpose: str) -> bool:
    """Whether the credential's bit for `purpose` is set in the list the bank serves (the list verified)."""
    [entry] = [e for e in credential["credentialStatus"] if e["statusPurpose"] == purpose]
    only = {**credential, "credentialStatus": entry}
    return check_status(only, _get(client, entry["statusListCredential"]), expected_issuer=credential["issuer"]["id"])


def _entry(db_session: Any, kind: str, object_ref: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The newest entry of `kind` about an object, with its stored document."""
    row = db_session.scalars(sa.select(LogEntry).where(LogEntry.kind == kind, LogEntry.object_ref == object_ref)
                             .order_by(LogEntry.index.desc())).first()
    assert row is not None, (kind, object_ref)
    doc = db_session.scalar(sa.select(EntryDocument).where(EntryDocument.entry_index == row.index))
    leaf = json.loads(row.leaf)
    assert leaf["digest"] == digest_of(doc.document)
    return leaf, doc.document


@pytest.fixture
def posted(client: FlaskClient) -> tuple[str, Any, dict[str, Any], dict[str, Any]]:
    """(issuer token, account, answer, credential) of one custodial record."""
    inst = institution("college", name="重庆电力高等专科学校")
    token = institution_client(inst.id)
    acc = account()
    answer = posted_record(client, token, acc.id)
    return token, acc, answer, _get(client, answer["credential_url"])


def test_revocation_sets_the_bit_in_a_list_signed_by_the_same_key(client: FlaskClient, db_session: Any,
                                                                   posted: Any) -> None:
    token, acc, answer, credential = posted
    assert _status(client, credential, "revocation") is False
    seen: list[tuple[str, str]] = []

    def flag(session: Any, record: Any, reason: str) -> None:
        seen.append((record.ref, reason))

    events.on_revoked(flag)
    try:
        r = client.post(f"/api/v1/records/{answer['id']}:revoke", json={"reason": "证书信息有误"}, headers=auth(token))
    finally:
        events._on_revoked.remove(flag)
    assert r.status_code == 200 and r.json["status"] == "revoked" and r.json["status_reason"] == "证书信息有误"
    assert seen == [(answer["id"], "证书信息有误")]
    assert _status(client, credential, "revocation") is True
    assert _status(client, credential, "suspension") is False
    # the revoked credential is still served, exactly as signed
    assert _get(client, answer["credential_url"]) == credential
    leaf, doc = _entry(db_session, "revocation", answer["id"])
    assert leaf["issuer"] == credential["issuer"]["id"]
    assert doc["type"] == "Revocation" and doc["reason"] == "证书信息有误"
    assert doc["statusListIndex"] == credential["credentialStatus"][0]["statusListIndex"]
    again = client.post(f"/api/v1/records/{answer['id']}:revoke", json={"reason": "再次"}, headers=auth(token))
    assert again.status_code == 409
    assert client.post(f"/api/v1/records/{answer['id']}:suspend", json={"reason": "核查"},
                       headers=auth(token)).status_code == 409


def test_only_the_issuer_revokes_and_a_reason_is_needed(client: FlaskClient, posted: Any) -> None:
    token, acc, answer, _ = posted
    url = f"/api/v1/records/{answer['id']}:revoke"
    assert client.post(url, json={"reason": "x"}, headers=auth(institution_client(institution().id))).status_code == 403
    assert client.post(url, json={"reason": "x"}, headers=auth(learner_token(acc.id))).status_code == 403
    r = client.post(url, json={}, headers=auth(token))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "reason"
    assert client.post(f"/api/v1/records/urn:uuid:{uuid.uuid4()}:revoke", json={"reason": "x"},
                       headers=auth(token)).status_code == 404


def test_suspension_and_its_lifting(client: FlaskClient, db_session: Any, posted: Any) -> None:
    token, _, answer, credential = posted
    r = client.post(f"/api/v1/records/{answer['id']}:suspend", json={"reason": "学籍核查中"}, headers=auth(token))
    assert r.status_code == 200 and r.json["status"] == "suspended"
    assert _status(client, credential, "suspension") is True
    assert _entry(db_session, "suspension", answer["id"])[1]["reason"] == "学籍核查中"
    assert client.post(f"/api/v1/records/{answer['id']}:suspend", json={"reason": "again"},
                       headers=auth(token)).status_code == 409
    r = client.post(f"/api/v1/records/{answer['id']}:reinstate", json={}, headers=auth(token))
    assert r.status_code == 200 and r.json["status"] == "active"
    assert _status(client, credential, "suspension") is False
    _entry(db_session, "reinstatement", answer["id"])
    assert client.post(f"/api/v1/records/{answer['id']}:reinstate", json={},
                       headers=auth(token)).status_code == 409


def test_a_correction_supersedes_the_record(client: FlaskClient, db_session: Any, posted: Any) -> None:
    token, acc, answer, credential = posted
    body = record_body(acc.id, external_ref="CS201-corrected", outcome={**VALID["course_credit"], "credits": "3"})
    body.pop("account")
    r = client.post(f"/api/v1/records/{answer['id']}:correct", json={**body, "reason": "学分录入错误"},
                    headers=auth(token))
    assert r.status_code == 201, r.json
    new_id = r.json["id"]
    old = client.get(f"/api/v1/records/{answer['id']}", headers=auth(token)).json
    new = client.get(f"/api/v1/records/{new_id}", headers=auth(token)).json
    assert old["status"] == "superseded" and old["superseded_by"] == new_id and old["status_reason"] == "学分录入错误"
    assert new["supersedes"] == answer["id"] and new["status"] == "active" and new["outcome"]["credits"] == "3"
    assert _status(client, credential, "revocation") is True
    leaf, doc = _entry(db_session, "correction", answer["id"])
    assert doc["supersededBy"] == new_id and doc["record"] == answer["id"]
    kinds = [e.kind for e in db_session.scalars(sa.select(LogEntry).where(LogEntry.index > answer["index"])
                                                .order_by(LogEntry.index))]
    assert kinds == ["record", "correction"]
    # the corrected record is final: no second correction of it, and the account cannot change
    again = client.post(f"/api/v1/records/{answer['id']}:correct", json=record_body(acc.id), headers=auth(token))
    assert again.status_code == 409
    moved = client.post(f"/api/v1/records/{new_id}:correct", json=record_body(account().id), headers=auth(token))
    assert moved.status_code == 422 and moved.json["errors"][0]["field"] == "account"
    reused = client.post(f"/api/v1/records/{new_id}:correct", json=record_body(acc.id, external_ref="CS201-corrected"),
                         headers=auth(token))
    assert reused.status_code == 409


def test_a_rotated_custodial_key_keeps_signing_its_old_lists(client: FlaskClient, db_session: Any,
                                                             posted: Any) -> None:
    token, acc, answer, credential = posted
    old_did = credential["issuer"]["id"]
    inst_id = client.get(f"/api/v1/records/{answer['id']}", headers=auth(token)).json["institution"]
    assert client.post(f"/api/v1/institutions/{inst_id}/keys:rotate", headers=auth(token)).status_code == 201
    later = posted_record(client, token, acc.id)
    later_credential = _get(client, later["credential_url"])
    assert later_credential["issuer"]["id"] != old_did
    old_lists = {e["statusListCredential"] for e in credential["credentialStatus"]}
    assert not old_lists & {e["statusListCredential"] for e in later_credential["credentialStatus"]}
    assert client.post(f"/api/v1/records/{answer['id']}:revoke", json={"reason": "撤销"},
                       headers=auth(token)).status_code == 200
    [entry] = [e for e in credential["credentialStatus"] if e["statusPurpose"] == "revocation"]
    old_list = _get(client, entry["statusListCredential"])
    assert verify(old_list).controller == old_did and old_list["issuer"] == old_did
    assert _status(client, credential, "revocation") is True
    assert _status(client, later_credential, "revocation") is False
    # the old credential still verifies: its key was valid when it signed
    assert verify(_get(client, answer["credential_url"])).controller == old_did


# --------------------------------------------------------------------------- own-key institutions' lists


def _list(url: str, issuer: str, key: Ed25519PrivateKey, purpose: str = "revocation", *bits: int) -> dict[str, Any]:
    status = StatusList()
    for b in bits:
        status.set(b)
    unsigned = status_list_credential(url, issuer, purpose, status, dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    return sign(unsigned, key, verification_method=verification_method(key.public_key()),
                created=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))


def _own_credential(inst: Any, key: Ed25519PrivateKey, account_id: Any, status: Any) -> dict[str, Any]:
    unsigned = build_credential(
        record_id=uuid.uuid4(), account_id=account_id, kind="course_credit", outcome=VALID["course_credit"],
        occurred_on=dt.date(2024, 6, 20), issuer_did=inst.did, issuer_name=inst.name,
        valid_from=dt.datetime(2024, 7, 1, tzinfo=dt.UTC), status=status,
        achievement_id_base="https://college.example/achievements")
    return sign(unsigned, key, verification_method=verification_method(key.public_key()),
                created=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))


def test_an_own_key_institution_uploads_its_lists(client: FlaskClient, db_session: Any) -> None:
    inst, key = own_key_institution("college")
    token = institution_client(inst.id)
    acc = account()
    list_id = uuid.uuid4()
    url = f"{PUBLIC}/api/v1/status/urn:uuid:{list_id}"
    path = f"/api/v1/status/urn:uuid:{list_id}"
    # a credential naming a list the bank has never seen is refused
    early = _own_credential(inst, key, acc.id, status_entry(url, 5))
    r = client.post("/api/v1/records", json={**record_body(acc.id), "credential": early}, headers=auth(token))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "credential.credentialStatus"
    assert client.put(path, json=_list(url, inst.did, key), headers=auth(token)).status_code == 200
    r = client.post("/api/v1/records", json={**record_body(acc.id), "credential": early}, headers=auth(token))
    assert r.status_code == 201, r.json
    rid = r.json["id"]
    # the same index twice is refused
    twice = _own_credential(inst, key, acc.id, status_entry(url, 5))
    r = client.post("/api/v1/records", json={**record_body(acc.id), "credential": twice}, headers=auth(token))
    assert r.status_code == 409
    # revoking in an uploaded list revokes the record, with an entry
    revoked = _list(url, inst.did, key, "revocation", 5)
    assert client.put(path, json=revoked, headers=auth(token)).status_code == 200
    assert client.get(path).json == revoked
    assert client.get(f"/api/v1/records/{rid}", headers=auth(token)).json["status"] == "revoked"
    assert _entry(db_session, "revocation", rid)[0]["issuer"] == inst.did
    assert check_status(early, client.get(path).json, expected_issuer=inst.did) is True
    # a revocation is never lifted
    r = client.put(path, json=_list(url, inst.did, key), headers=auth(token))
    assert r.status_code == 422 and "cannot be lifted" in r.json["detail"]


def test_uploaded_lists_are_checked(client: FlaskClient) -> None:
    inst, key = own_key_institution("college")
    token = institution_client(inst.id)
    list_id = uuid.uuid4()
    url = f"{PUBLIC}/api/v1/status/urn:uuid:{list_id}"
    path = f"/api/v1/status/urn:uuid:{list_id}"
    tampered = _list(url, inst.did, key)
    tampered["credentialSubject"]["statusPurpose"] = "suspension"
    assert client.put(path, json=tampered, headers=auth(token)).status_code == 422
    elsewhere = _list(f"{PUBLIC}/api/v1/status/urn:uuid:{uuid.uuid4()}", inst.did, key)
    assert client.put(path, json=elsewhere, headers=auth(token)).status_code == 422
    other, other_key = own_key_institution("college")
    assert client.put(path, json=_list(url, other.did, other_key), headers=auth(token)).status_code == 403
    custodial = institution()
    assert client.put(path, json=_list(url, inst.did, key),
                      headers=auth(institution_client(custodial.id))).status_code == 403
    assert client.put(path, json=_list(url, inst.did, key), headers=auth(token)).status_code == 200
    # the list keeps its purpose and owner
    assert client.put(path, json=_list(url, inst.did, key, "suspension"), headers=auth(token)).status_code == 422
    assert client.put(path, json=_list(url, other.did, other_key),
                      headers=auth(institution_client(other.id))).status_code == 403


def test_an_own_key_record_revoked_at_the_bank_needs_the_bit_in_the_next_upload(client: FlaskClient) -> None:
    inst, key = own_key_institution("college")
    token = institution_client(inst.id)
    acc = account()
    list_id = uuid.uuid4()
    url = f"{PUBLIC}/api/v1/status/urn:uuid:{list_id}"
    path = f"/api/v1/status/urn:uuid:{list_id}"
    assert client.put(path, json=_list(url, inst.did, key), headers=auth(token)).status_code == 200
    credential = _own_credential(inst, key, acc.id, status_entry(url, 9))
    rid = client.post("/api/v1/records", json={**record_body(acc.id), "credential": credential},
                      headers=auth(token)).json["id"]
    assert client.post(f"/api/v1/records/{rid}:revoke", json={"reason": "撤销"}, headers=auth(token)).status_code == 200
    assert client.put(path, json=_list(url, inst.did, key, "revocation", 3), headers=auth(token)).status_code == 422
    assert client.put(path, json=_list(url, inst.did, key, "revocation", 3, 9), headers=auth(token)).status_code == 200
