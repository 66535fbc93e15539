"""Institutions: registry, authorisation windows, keys and rotation, public profiles, their own API clients."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask.testing import FlaskClient

from credentials.didkey import did_key, public_key_from_did_key, public_key_multibase
from ledger import institutions
from ledger.db import utcnow
from ledger.documents import EntryDocument
from ledger.log import digest_of, tree_head
from ledger.log.models import LogEntry
from tests.factories import api_client, auth, institution, institution_client

COLLEGE = {"kind": "college", "name": "重庆电力高等专科学校", "region_code": "500107",
           "url": "https://www.cqepc.edu.cn"}


def _keyring() -> Any:
    return current_app.extensions["creditbank.keyring"]


def test_operator_registers_a_college_with_custodial_key_and_default_kinds(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    _, op = api_client("operator")
    size0, _ = tree_head(db_session)
    r = client.post("/api/v1/institutions", json=COLLEGE, headers=auth(op))
    assert r.status_code == 201, r.json
    body = r.json
    assert body["id"].startswith("urn:uuid:") and body["kind"] == "college" and body["custodial"] is True
    assert body["did"].startswith("did:key:z6Mk") and body["keys"][0]["current"] is True
    kinds = {a["kind"] for a in body["authorisations"]}
    assert {"course_credit", "degree", "enrolment"} <= kinds and "skill_level" not in kinds
    # one entry for the institution, one for its key, one per authorisation
    size1, _ = tree_head(db_session)
    assert size1 - size0 == 2 + len(kinds)
    new = db_session.scalars(sa.select(LogEntry).where(LogEntry.index >= size0).order_by(LogEntry.index)).all()
    assert [e.kind for e in new[:2]] == ["institution", "key"]
    assert {e.kind for e in new[2:]} == {"authorisation"}
    # each entry's digest is the digest of its stored document
    for e in new:
        doc = db_session.scalar(sa.select(EntryDocument).where(EntryDocument.entry_index == e.index))
        assert f'"digest":"{digest_of(doc.document)}"' in e.leaf.decode()


def test_only_operators_register(client: FlaskClient) -> None:
    _, inst = api_client("institution")
    assert client.post("/api/v1/institutions", json=COLLEGE, headers=auth(inst)).status_code == 403
    assert client.post("/api/v1/institutions", json=COLLEGE).status_code == 401


def test_bad_registration_is_field_by_field(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    _, op = api_client("operator")
    r = client.post("/api/v1/institutions", json={**COLLEGE, "kind": "school", "region_code": "5001"},
                    headers=auth(op))
    assert r.status_code == 422
    fields = {e["field"] for e in r.json["errors"]}
    assert {"kind", "region_code"} <= fields
    # the documented pattern admits only province prefixes, so 80xxxx fails at the schema already
    r = client.post("/api/v1/institutions", json={**COLLEGE, "region_code": "800000"}, headers=auth(op))
    assert r.status_code == 422
    [err] = r.json["errors"]
    assert err["field"] == "region_code" and err["message_zh"] == "格式不符合要求。"
    # services called directly get the same rule with its own message
    from ledger.errors import Invalid
    from ledger.principal import SYSTEM

    with pytest.raises(Invalid) as e:
        institutions.register_institution(db_session, current_app.extensions["creditbank.keyring"], SYSTEM,
                                          "did:key:x", kind="college", name="x", region_code="800000")
    assert "GB/T 2260" in e.value.fields[0].message_en and "行政区划" in e.value.fields[0].message_zh


def test_public_profile_and_filters_need_no_key(client: FlaskClient) -> None:
    inst = institution("appraisal_body", name="重庆市职业技能鉴定指导中心", region_code="500000")
    r = client.get(f"/api/v1/institutions/urn:uuid:{inst.id}")
    assert r.status_code == 200
    assert r.json["name"] == "重庆市职业技能鉴定指导中心"
    assert {a["kind"] for a in r.json["authorisations"]} == {"skill_level", "vocational_qualification",
                                                           "non_degree_cert"}
    listed = client.get("/api/v1/institutions", query_string={"did": inst.did}).json
    assert [i["id"] for i in listed] == [f"urn:uuid:{inst.id}"]
    assert f"urn:uuid:{inst.id}" in {i["id"] for i in client.get(
        "/api/v1/institutions", query_string={"kind": "appraisal_body", "region_code": "50"}).json}
    assert client.get("/api/v1/institutions/urn:uuid:00000000-0000-0000-0000-000000000000").status_code == 404


def test_authorisation_windows_answer_was_it_authorised_then(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    _, op = api_client("operator")
    inst = institution("training_body", authorised_kinds=[])
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    t1 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    r = client.post(f"/api/v1/institutions/urn:uuid:{inst.id}/authorisations",
                    json={"kind": "training", "valid_from": "2024-01-01T00:00:00Z",
                          "valid_until": "2025-01-01T00:00:00Z"}, headers=auth(op))
    assert r.status_code == 201, r.json
    assert not institutions.is_authorised(db_session, inst.id, "training", t0 - dt.timedelta(seconds=1))
    assert institutions.is_authorised(db_session, inst.id, "training", t0)
    assert institutions.is_authorised(db_session, inst.id, "training", t1 - dt.timedelta(seconds=1))
    assert not institutions.is_authorised(db_session, inst.id, "training", t1)
    assert not institutions.is_authorised(db_session, inst.id, "skill_level", t0)
    got = institutions.authorisation_at(db_session, inst.id, "training", t0)
    assert got is not None and f"urn:uuid:{got.id}" == r.json["id"]


def test_withdrawal_ends_now_and_keeps_history(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    _, op = api_client("operator")
    inst = institution("enterprise", authorised_kinds=["enterprise_course"],
                       authorised_from=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    [auth_row] = inst.authorisations
    before = utcnow()
    r = client.delete(f"/api/v1/institutions/urn:uuid:{inst.id}/authorisations/urn:uuid:{auth_row.id}",
                      headers=auth(op))
    assert r.status_code == 200 and r.json["withdrawn_at"] and r.json["valid_until"]
    assert institutions.is_authorised(db_session, inst.id, "enterprise_course", dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
    assert not institutions.is_authorised(db_session, inst.id, "enterprise_course", utcnow())
    assert institutions.is_authorised(db_session, inst.id, "enterprise_course", before - dt.timedelta(seconds=1))
    profile = client.get(f"/api/v1/institutions/urn:uuid:{inst.id}").json
    assert len(profile["authorisations"]) == 1 and profile["authorisations"][0]["withdrawn_at"]
    again = client.delete(f"/api/v1/institutions/urn:uuid:{inst.id}/authorisations/urn:uuid:{auth_row.id}",
                          headers=auth(op))
    assert again.status_code == 409


def test_window_must_end_after_it_starts(client: FlaskClient) -> None:
    _, op = api_client("operator")
    inst = institution()
    r = client.post(f"/api/v1/institutions/urn:uuid:{inst.id}/authorisations",
                    json={"kind": "honour", "valid_from": "2025-01-01T00:00:00Z", "valid_until": "2024-01-01T00:00:00Z"},
                    headers=auth(op))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "valid_until"


def test_rotation_keeps_the_old_key_valid_for_its_period(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    inst = institution()
    token = institution_client(inst.id)
    old = institutions.current_signing_key(db_session, _keyring(), inst.id)
    assert old.private_key is not None and did_key(old.private_key.public_key()) == old.did
    signed_at = utcnow()
    signature = old.private_key.sign(b"a record")
    r = client.post(f"/api/v1/institutions/urn:uuid:{inst.id}/keys:rotate", headers=auth(token))
    assert r.status_code == 201, r.json
    new = institutions.current_signing_key(db_session, _keyring(), inst.id)
    assert new.did == r.json["did"] != old.did and new.private_key is not None
    row = institutions.key_for_verification_method(db_session, old.verification_method)
    assert row is not None and row.institution_id == inst.id and row.custodial and row.valid_until is not None
    assert row.valid_at(signed_at) and not row.valid_at(utcnow())
    public_key_from_did_key(row.did).verify(signature, b"a record")  # still verifies what it signed
    assert institutions.institution_for_did(db_session, old.did).id == inst.id
    assert institutions.institution_for_did(db_session, old.verification_method).id == inst.id
    keys = client.get(f"/api/v1/institutions/urn:uuid:{inst.id}").json["keys"]
    assert [k["current"] for k in keys] == [False, True]


def test_another_institution_cannot_rotate(client: FlaskClient) -> None:
    inst = institution()
    other = institution_client(institution().id)
    assert client.post(f"/api/v1/institutions/urn:uuid:{inst.id}/keys:rotate", headers=auth(other)).status_code == 403


def test_custodial_private_key_is_sealed_with_its_key_id_as_context(db_session) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from credentials.sealing import SealingError

    inst = institution()
    key = inst.current_key()
    raw = key.private(_keyring()).private_bytes_raw()
    assert raw not in key.sealed_private_key
    with pytest.raises(SealingError):
        _keyring().open(key.sealed_private_key, context="institution_keys/another")


def test_own_key_registration(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    _, op = api_client("operator")
    inst = institution()
    first = inst.current_key().did
    mine = Ed25519PrivateKey.generate().public_key()
    r = client.post(f"/api/v1/institutions/urn:uuid:{inst.id}/keys",
                    json={"public_key_multibase": public_key_multibase(mine)}, headers=auth(op))
    assert r.status_code == 201, r.json
    assert r.json["did"] == did_key(mine) and r.json["custodial"] is False
    signing = institutions.current_signing_key(db_session, _keyring(), inst.id)
    assert signing.private_key is None and signing.did == did_key(mine)
    assert institutions.key_for_verification_method(db_session, f"{first}#{first[8:]}").valid_until is not None
    # by did, from the institution itself
    token = institution_client(inst.id)
    other = Ed25519PrivateKey.generate().public_key()
    r = client.post(f"/api/v1/institutions/urn:uuid:{inst.id}/keys", json={"did": did_key(other)},
                    headers=auth(token))
    assert r.status_code == 201 and client.get(f"/api/v1/institutions/urn:uuid:{inst.id}").json["did"] == did_key(other)
    # the same key twice, anywhere, is a conflict
    r = client.post(f"/api/v1/institutions/urn:uuid:{institution().id}/keys", json={"did": did_key(mine)},
                    headers=auth(op))
    assert r.status_code == 409


def test_own_key_input_errors(client: FlaskClient) -> None:
    _, op = api_client("operator")
    inst = institution()
    url = f"/api/v1/institutions/urn:uuid:{inst.id}/keys"
    mine = Ed25519PrivateKey.generate().public_key()
    both = {"did": did_key(mine), "public_key_multibase": public_key_multibase(mine)}
    assert client.post(url, json=both, headers=auth(op)).status_code == 422
    assert client.post(url, json={}, headers=auth(op)).status_code == 422
    assert client.post(url, json={"did": "did:web:example.com"}, headers=auth(op)).status_code == 422
    # right shape, wrong multicodec
    r = client.post(url, json={"public_key_multibase": "z6Mk" + "1" * 44}, headers=auth(op))
    assert r.status_code == 422 and r.json["errors"][0]["message_zh"]


def test_institution_registered_with_its_own_did(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    _, op = api_client("operator")
    mine = Ed25519PrivateKey.generate().public_key()
    r = client.post("/api/v1/institutions", json={**COLLEGE, "did": did_key(mine)}, headers=auth(op))
    assert r.status_code == 201 and r.json["custodial"] is False and r.json["did"] == did_key(mine)


def test_institution_makes_its_own_clients(client: FlaskClient) -> None:
    inst = institution()
    token = institution_client(inst.id)
    r = client.post(f"/api/v1/institutions/urn:uuid:{inst.id}/clients",
                    json={"name": "教务系统", "roles": ["institution", "verifier"]}, headers=auth(token))
    assert r.status_code == 201, r.json
    me = client.get("/api/v1/me", headers=auth(r.json["token"])).json
    assert me["institution"] == f"urn:uuid:{inst.id}" and me["roles"] == ["institution", "verifier"]
    bad = client.post(f"/api/v1/institutions/urn:uuid:{inst.id}/clients", json={"name": "x", "roles": ["operator"]},
                      headers=auth(token))
    assert bad.status_code == 422
    other = institution_client(institution().id)
    assert client.post(f"/api/v1/institutions/urn:uuid:{inst.id}/clients", json={"name": "x"},
                       headers=auth(other)).status_code == 403


@pytest.mark.parametrize("url", ["f", "ftp://x.cn", "https://a b.cn", "https://x.cn/\u0016", "https://x.cn/\u0097",
                                 "https://x.cn/" + "a" * 500])
def test_a_bad_website_is_refused_by_field_and_nothing_is_registered(client: FlaskClient, db_session, url: str) -> None:  # type: ignore[no-untyped-def]
    _, op = api_client("operator")
    before = client.get("/api/v1/institutions").json
    r = client.post("/api/v1/institutions", json={**COLLEGE, "url": url}, headers=auth(op))
    assert r.status_code == 422 and r.json["type"].endswith("/invalid")
    [err] = r.json["errors"]
    assert err["field"] == "url" and "网址" in err["message_zh"]
    assert client.get("/api/v1/institutions").json == before
    ok = client.post("/api/v1/institutions", json={**COLLEGE, "url": "https://www.cqepc.edu.cn/学院"}, headers=auth(op))
    assert ok.status_code == 201
