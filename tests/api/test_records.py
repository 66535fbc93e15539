"""Posting and reading learning records over HTTP: every kind round-trips, entries, duplicates, authority,
self-signed credentials, who reads what, an account's records with totals, idempotency, the public documents."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from credentials.dataintegrity import sign, verify
from credentials.didkey import verification_method
from credentials.merkle import leaf_hash, verify_inclusion
from ledger.accounts import AccountAccess
from ledger.conversion.model import OutcomeKind
from ledger.log import tree_head
from ledger.log.models import LogEntry
from ledger.records.credential import build_credential
from ledger.records.models import LearningRecord
from tests.factories import (
    account,
    api_client,
    auth,
    institution,
    institution_client,
    learner_token,
    own_key_institution,
    posted_record,
    record_body,
)
from tests.unit.test_record_schemas import MINIMAL, VALID

ALL_KINDS = [k.value for k in OutcomeKind]
PUBLIC = "http://127.0.0.1:8000"


def path(url: str) -> str:
    """The path of a URL under the test app's public URL."""
    assert url.startswith(PUBLIC), url
    return url[len(PUBLIC):]


def count_records(db_session: Any) -> int:
    return int(db_session.scalar(sa.select(sa.func.count()).select_from(LearningRecord)))


def all_kinds_college() -> tuple[Any, str]:
    inst = institution("college", name="重庆开放大学", authorised_kinds=ALL_KINDS)
    return inst, institution_client(inst.id)


@pytest.mark.parametrize("variant", ["valid", "minimal"])
def test_every_kind_round_trips(client: FlaskClient, db_session: Any, variant: str) -> None:
    inst, token = all_kinds_college()
    acc = account()
    learner = learner_token(acc.id)
    outcomes = VALID if variant == "valid" else MINIMAL
    for kind in ALL_KINDS:
        body = record_body(acc.id, kind, outcome=outcomes[kind])
        r = client.post("/api/v1/records", json=body, headers=auth(token))
        assert r.status_code == 201, (kind, r.json)
        answer = r.json
        assert set(answer) >= {"id", "index", "credential_url", "checkpoint"} and answer["checkpoint"] == "pending"
        assert answer["credential_url"] == f"{PUBLIC}/api/v1/records/{answer['id']}/credential"
        got = client.get(f"/api/v1/records/{answer['id']}", headers=auth(learner)).json
        assert got["kind"] == kind and got["outcome"] == outcomes[kind] and got["status"] == "active"
        assert got["occurred_on"] == "2024-06-20" and got["institution_name"] == "重庆开放大学"
        credential = client.get(path(answer["credential_url"])).json  # public: no key
        verified = verify(credential)
        assert verified.controller == inst.did == credential["issuer"]["id"] == answer["issuer"]
        assert credential["id"] == answer["id"] and credential["credentialSubject"]["id"] == f"urn:uuid:{acc.id}"
        entry = db_session.get(LogEntry, answer["index"])
        leaf = json.loads(entry.leaf)
        assert leaf["kind"] == "record" and leaf["issuer"] == inst.did and leaf["digest"] == got["credential_digest"]
        assert entry.subject_ref == f"urn:uuid:{acc.id}" and entry.object_ref == answer["id"]
        assert str(acc.id) not in entry.leaf.decode()


def test_the_credential_is_what_the_builder_makes_and_carries_no_personal_data(client: FlaskClient) -> None:
    inst, token = all_kinds_college()
    acc = account(name="王小明", phone="13912345678")
    answer = posted_record(client, token, acc.id, "enrolment")
    credential = client.get(path(answer["credential_url"])).json
    text = json.dumps(credential, ensure_ascii=False)
    assert "王小明" not in text and "13912345678" not in text
    assert VALID["enrolment"]["student_no"] not in text  # kept by the bank only
    rebuilt = build_credential(
        record_id=answer["id"], account_id=acc.id, kind="enrolment", outcome=VALID["enrolment"],
        occurred_on=dt.date(2024, 6, 20), issuer_did=inst.did, issuer_name=inst.name,
        valid_from=dt.datetime.fromisoformat(credential["validFrom"]), status=credential["credentialStatus"],
        achievement_id_base=f"{PUBLIC}/api/v1/institutions/urn:uuid:{inst.id}/achievements")
    assert {k: v for k, v in credential.items() if k != "proof"} == rebuilt
    statuses = {s["statusPurpose"]: s for s in credential["credentialStatus"]}
    assert set(statuses) == {"revocation", "suspension"}


def test_a_replay_of_an_external_ref_returns_the_record_and_other_content_conflicts(
        client: FlaskClient, db_session: Any) -> None:
    _, token = all_kinds_college()
    acc = account()
    body = record_body(acc.id, external_ref="2024-CS201-0001")
    first = client.post("/api/v1/records", json=body, headers=auth(token))
    size = tree_head(db_session)[0]
    again = client.post("/api/v1/records", json=copy.deepcopy(body), headers=auth(token))
    assert again.status_code == 200 and again.json["id"] == first.json["id"] and again.json["index"] == first.json["index"]
    assert tree_head(db_session)[0] == size
    body["outcome"]["credits"] = "3"
    clash = client.post("/api/v1/records", json=body, headers=auth(token))
    assert clash.status_code == 409 and clash.json["errors"][0]["field"] == "external_ref"
    assert tree_head(db_session)[0] == size and count_records(db_session) == 1
    # another institution may use the same reference for its own record
    _, other = all_kinds_college()
    assert client.post("/api/v1/records", json=body, headers=auth(other)).status_code == 201


def test_a_kind_the_institution_is_not_authorised_for_is_refused_clearly(client: FlaskClient, db_session: Any) -> None:
    inst = institution("competition_organiser", name="重庆市总工会竞赛办")
    token = institution_client(inst.id)
    acc = account()
    size = tree_head(db_session)[0]
    r = client.post("/api/v1/records", json=record_body(acc.id, "skill_level"), headers=auth(token))
    assert r.status_code == 403
    [err] = r.json["errors"]
    assert err["field"] == "kind" and "not authorised to issue skill_level" in err["message"]
    assert "未获授权" in err["message_zh"] and "重庆市总工会竞赛办" in err["message"]
    assert tree_head(db_session)[0] == size
    assert client.post("/api/v1/records", json=record_body(acc.id, "competition_award"),
                       headers=auth(token)).status_code == 201


def test_an_authorisation_that_ended_before_the_log_time_is_refused(client: FlaskClient, db_session: Any) -> None:
    from flask import current_app

    from api.context import bank_did
    from ledger import institutions
    from ledger.principal import SYSTEM

    inst = institution("training_body", authorised_kinds=[])
    start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    institutions.grant_authorisation(db_session, SYSTEM, bank_did(), inst.id, kind="training", valid_from=start,
                                     valid_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    db_session.commit()
    del current_app
    token = institution_client(inst.id)
    # the outcome happened while the window was open, but the log time is what counts
    r = client.post("/api/v1/records", json=record_body(account().id, "training", occurred_on="2024-03-20"),
                    headers=auth(token))
    assert r.status_code == 403 and "(the log time)" in r.json["errors"][0]["message"]


def test_nobody_posts_but_as_their_own_institution(client: FlaskClient) -> None:
    acc = account()
    body = record_body(acc.id)
    _, operator = api_client("operator", "institution")  # the institution role, bound to no institution
    r = client.post("/api/v1/records", json=body, headers=auth(operator))
    assert r.status_code == 403
    _, learner = api_client("learner", account_id=acc.id)
    assert client.post("/api/v1/records", json=body, headers=auth(learner)).status_code == 403
    assert client.post("/api/v1/records", json=body).status_code == 401


def test_unknown_account_and_schema_errors_are_field_by_field(client: FlaskClient) -> None:
    _, token = all_kinds_college()
    r = client.post("/api/v1/records", json=record_body(uuid.uuid4()), headers=auth(token))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "account"
    bad = record_body(account().id, "skill_level", outcome={**VALID["skill_level"], "level": 6})
    r = client.post("/api/v1/records", json=bad, headers=auth(token))
    assert r.status_code == 422 and r.json["type"].endswith("/invalid")
    assert [e["field"] for e in r.json["errors"]] == ["outcome.level"]


def test_a_merged_account_records_on_the_survivor(client: FlaskClient) -> None:
    _, token = all_kinds_college()
    keep, dup = account(), account()
    _, op = api_client("operator")
    assert client.post(f"/api/v1/accounts/urn:uuid:{keep.id}:merge", json={"from": f"urn:uuid:{dup.id}"},
                       headers=auth(op)).status_code == 200
    answer = posted_record(client, token, dup.id)
    assert answer["account"] == f"urn:uuid:{keep.id}"


# --------------------------------------------------------------------------- self-signed credentials


def _self_signed(inst: Any, private: Any, account_id: Any, kind: str = "course_credit", **over: Any) -> dict[str, Any]:
    record_id = uuid.uuid4()
    credential = build_credential(
        record_id=record_id, account_id=account_id, kind=kind, outcome=VALID[kind], occurred_on=dt.date(2024, 6, 20),
        issuer_did=inst.did, issuer_name=inst.name, valid_from=dt.datetime(2024, 7, 1, tzinfo=dt.UTC),
        achievement_id_base="https://college.example/achievements", **over)
    return sign(credential, private, verification_method=verification_method(private.public_key()),
                created=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))


def test_an_own_key_institution_posts_what_it_signed(client: FlaskClient, db_session: Any) -> None:
    inst, private = own_key_institution("college", name="北京某职业学院")
    token = institution_client(inst.id)
    acc = account()
    credential = _self_signed(inst, private, acc.id)
    r = client.post("/api/v1/records", json={**record_body(acc.id), "credential": credential}, headers=auth(token))
    assert r.status_code == 201, r.json
    assert r.json["id"] == credential["id"] and r.json["issuer"] == inst.did
    served = client.get(path(r.json["credential_url"])).json
    assert served == credential
    # without the credential the bank has nothing to sign with
    r = client.post("/api/v1/records", json=record_body(acc.id), headers=auth(token))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "credential"


def test_a_tampered_own_key_credential_is_refused(client: FlaskClient, db_session: Any) -> None:
    inst, private = own_key_institution()
    token = institution_client(inst.id)
    acc = account()
    credential = _self_signed(inst, private, acc.id)
    credential["credentialSubject"]["creditsEarned"] = 25
    size = tree_head(db_session)[0]
    r = client.post("/api/v1/records", json={**record_body(acc.id), "credential": credential}, headers=auth(token))
    assert r.status_code == 422
    [err] = r.json["errors"]
    assert err["field"] == "credential.proof" and "Invalid signature" in err["message"] and "签名验证失败" in err["message_zh"]
    assert tree_head(db_session)[0] == size


def test_an_own_key_credential_must_name_the_account_and_the_institution(client: FlaskClient) -> None:
    inst, private = own_key_institution()
    other, other_private = own_key_institution()
    token = institution_client(inst.id)
    acc = account()
    # signed by another institution's key: posting as someone else
    foreign = _self_signed(other, other_private, acc.id)
    r = client.post("/api/v1/records", json={**record_body(acc.id), "credential": foreign}, headers=auth(token))
    assert r.status_code == 403 and r.json["errors"][0]["field"] == "credential.issuer"
    # another learner's subject
    elsewhere = _self_signed(inst, private, account().id)
    r = client.post("/api/v1/records", json={**record_body(acc.id), "credential": elsewhere}, headers=auth(token))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "credential.credentialSubject.id"
    # a custodial institution does not post credentials
    _, custodial = all_kinds_college()
    r = client.post("/api/v1/records", json={**record_body(acc.id), "credential": _self_signed(inst, private, acc.id)},
                    headers=auth(custodial))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "credential"


# --------------------------------------------------------------------------- reading


def test_who_reads_a_record(client: FlaskClient, db_session: Any) -> None:
    _, token = all_kinds_college()
    acc = account()
    rid = posted_record(client, token, acc.id)["id"]
    assert client.get(f"/api/v1/records/{rid}", headers=auth(learner_token(acc.id))).status_code == 200
    assert client.get(f"/api/v1/records/{rid}", headers=auth(token)).status_code == 200
    assert client.get(f"/api/v1/records/{rid}", headers=auth(learner_token(account().id))).status_code == 403
    assert client.get(f"/api/v1/records/{rid}", headers=auth(institution_client(institution().id))).status_code == 403
    _, op = api_client("operator")
    r = client.get(f"/api/v1/records/{rid}", headers=auth(op))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "reason"
    assert client.get(f"/api/v1/records/{rid}", query_string={"reason": "投诉核查"}, headers=auth(op)).status_code == 200
    logged = db_session.scalars(sa.select(AccountAccess).where(AccountAccess.account_id == acc.id)).all()
    assert [(a.role, a.reason) for a in logged] == [("operator", "投诉核查")]
    assert client.get(f"/api/v1/records/urn:uuid:{uuid.uuid4()}", headers=auth(op)).status_code == 404
    assert client.get("/api/v1/records/not-an-id/credential").status_code == 404


def test_an_accounts_records_with_filters_pages_and_totals(client: FlaskClient, db_session: Any) -> None:
    inst, token = all_kinds_college()
    acc = account()
    learner = learner_token(acc.id)
    for i, credits in enumerate(["2.5", "3", "4.25"]):
        outcome = {**VALID["course_credit"], "credits": credits, "course_code": f"C{i}"}
        posted_record(client, token, acc.id, "course_credit", outcome=outcome, occurred_on=f"202{i}-06-20")
    posted_record(client, token, acc.id, "online_course")  # 4 credits
    revoked = posted_record(client, token, acc.id, "course_credit",
                            outcome={**VALID["course_credit"], "credits": "10", "course_code": "X1"})
    assert client.post(f"/api/v1/records/{revoked['id']}:revoke", json={"reason": "成绩录入错误"},
                       headers=auth(token)).status_code == 200
    other_inst, other = all_kinds_college()
    posted_record(client, other, acc.id, "honour")
    url = f"/api/v1/accounts/urn:uuid:{acc.id}/records"
    everything = client.get(url, headers=auth(learner)).json
    assert len(everything["items"]) == 6 and everything["next_cursor"] is None
    assert everything["credit_totals"] == {"course_credit": "9.75", "online_course": "4"}
    assert everything["counts"] == {"course_credit": 4, "honour": 1, "online_course": 1}
    indexes = [i["index"] for i in everything["items"]]
    assert indexes == sorted(indexes, reverse=True)
    assert [i["kind"] for i in client.get(url, query_string={"kind": "online_course"}, headers=auth(learner)).json["items"]] \
        == ["online_course"]
    assert [i["id"] for i in client.get(url, query_string={"status": "revoked"}, headers=auth(learner)).json["items"]] \
        == [revoked["id"]]
    since = client.get(url, query_string={"since": "2021-01-01", "kind": "course_credit"}, headers=auth(learner)).json
    assert sorted(i["outcome"]["course_code"] for i in since["items"]) == ["C1", "C2", "X1"]
    seen, cursor = [], None
    while True:
        page = client.get(url, query_string={"limit": 4, **({"cursor": cursor} if cursor else {})},
                          headers=auth(learner)).json
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in everything["items"]]
    assert client.get(url, query_string={"cursor": "nonsense"}, headers=auth(learner)).status_code == 422
    # an institution sees only what it posted, with a reason, logged
    assert client.get(url, headers=auth(other)).status_code == 422
    mine = client.get(url, query_string={"reason": "核对本校记录"}, headers=auth(other)).json
    assert [i["kind"] for i in mine["items"]] == ["honour"] and mine["counts"] == {"honour": 1}
    stranger = institution_client(institution().id)
    assert client.get(url, query_string={"reason": "招生"}, headers=auth(stranger)).status_code == 403
    _, op = api_client("operator")
    assert len(client.get(url, query_string={"reason": "审计"}, headers=auth(op)).json["items"]) == 6
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AccountAccess)
                             .where(AccountAccess.account_id == acc.id)) == 2
    del inst, other_inst


def test_the_export_carries_the_records(client: FlaskClient) -> None:
    _, token = all_kinds_college()
    acc = account()
    rid = posted_record(client, token, acc.id, "degree")["id"]
    doc = client.get(f"/api/v1/accounts/urn:uuid:{acc.id}/export", headers=auth(learner_token(acc.id))).json
    [record] = doc["sections"]["learning_records"]
    assert record["id"] == rid and record["credential"]["id"] == rid and record["outcome"] == VALID["degree"]


def test_the_proof_of_a_record_checks_against_the_checkpoint(client: FlaskClient, app: Any) -> None:
    _, token = all_kinds_college()
    answer = posted_record(client, token, account().id)
    proof = client.get(f"/api/v1/records/{answer['id']}/proof")
    assert proof.status_code == 200, proof.json
    body = proof.json
    inclusion = body["inclusion"]
    assert body["index"] == inclusion["leaf_index"] == answer["index"]
    leaf = base64.b64decode(inclusion["leaf_data_b64"])
    assert json.loads(leaf)["digest"] == body["credential_digest"]
    note_root = base64.b64decode(body["checkpoint"].splitlines()[2])
    verify_inclusion(leaf_hash(leaf), inclusion["leaf_index"], inclusion["tree_size"],
                     [base64.b64decode(h) for h in inclusion["audit_path"]], note_root)
    assert body["checkpoint"].splitlines()[1] == str(inclusion["tree_size"])
    # a newer record is pending until a checkpoint covers it
    app.config["CHECKPOINT_INTERVAL"] = 3600
    try:
        later = posted_record(client, token, account().id)
        pending = client.get(f"/api/v1/records/{later['id']}/proof")
        assert pending.status_code == 409 and pending.json["type"].endswith("/pending")
    finally:
        app.config["CHECKPOINT_INTERVAL"] = 1.0


def test_idempotency_key_replays_the_first_answer(client: FlaskClient, db_session: Any) -> None:
    inst, token = all_kinds_college()
    acc = account()
    body = record_body(acc.id)
    headers = {**auth(token), "Idempotency-Key": "post-0001"}
    first = client.post("/api/v1/records", json=body, headers=headers)
    size = tree_head(db_session)[0]
    replay = client.post("/api/v1/records", json=body, headers=headers)
    assert replay.status_code == first.status_code == 201 and replay.json == first.json
    assert tree_head(db_session)[0] == size
    other = client.post("/api/v1/records", json=record_body(acc.id), headers=headers)
    assert other.status_code == 409 and other.json["errors"][0]["field"] == "Idempotency-Key"
    # keys are per client: another client of the same institution starts afresh
    second_client = institution_client(inst.id)
    fresh = client.post("/api/v1/records", json=record_body(acc.id),
                        headers={**auth(second_client), "Idempotency-Key": "post-0001"})
    assert fresh.status_code == 201
    # a refused request keeps nothing: its retry (fixed) goes through
    bad = record_body(acc.id, "skill_level", outcome={**VALID["skill_level"], "level": 9})
    retry_headers = {**auth(token), "Idempotency-Key": "post-0002"}
    assert client.post("/api/v1/records", json=bad, headers=retry_headers).status_code == 422
    bad["outcome"]["level"] = 3
    assert client.post("/api/v1/records", json=bad, headers=retry_headers).status_code == 201


def test_public_documents_need_no_key(client: FlaskClient) -> None:
    _, token = all_kinds_college()
    answer = posted_record(client, token, account().id)
    credential = client.get(path(answer["credential_url"]))
    assert credential.status_code == 200 and credential.mimetype == "application/json"
    for entry in credential.json["credentialStatus"]:
        lst = client.get(path(entry["statusListCredential"]))
        assert lst.status_code == 200 and lst.json["id"] == entry["statusListCredential"]
        assert verify(lst.json).controller == credential.json["issuer"]["id"]
    contexts = client.get("/api/v1/contexts")
    assert contexts.status_code == 200 and contexts.json == {}
    assert client.get(f"/api/v1/status/urn:uuid:{uuid.uuid4()}").status_code == 404


def test_answers_conform_to_their_documented_schemas(client: FlaskClient) -> None:
    """Answers are written as JSON directly (for speed); they must still be exactly what OpenAPI documents."""
    import jsonschema_rs

    spec = client.get("/api/v1/openapi.json").json

    def check(name: str, body: Any) -> None:
        validator = jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}",
                                                 "components": spec["components"]})
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, (name, errors)

    inst, token = all_kinds_college()
    acc = account()
    learner = learner_token(acc.id)
    for kind in ALL_KINDS:
        check("RecordOut", posted_record(client, token, acc.id, kind))
    first = client.get(f"/api/v1/accounts/urn:uuid:{acc.id}/records", headers=auth(learner)).json["items"][0]["id"]
    client.post(f"/api/v1/records/{first}:suspend", json={"reason": "核查"}, headers=auth(token))
    page = client.get(f"/api/v1/accounts/urn:uuid:{acc.id}/records", headers=auth(learner)).json
    check("AccountRecordsOut", page)
    assert set(page["items"][0]) == set(spec["components"]["schemas"]["RecordDetailOut"]["properties"])
    check("RecordDetailOut", client.get(f"/api/v1/records/{first}", headers=auth(learner)).json)
    batch = client.post("/api/v1/records:batch", json={"records": [record_body(acc.id)]}, headers=auth(token)).json
    check("BatchOut", batch)
    del inst
