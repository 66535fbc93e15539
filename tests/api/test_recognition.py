"""Recognition (认定) over HTTP: outcomes from bodies other than colleges start pending, colleges and operators
decide, each decision an entry signed off by the recognising college's did; only recognised records count."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from ledger.documents import EntryDocument
from ledger.log import digest_of
from ledger.log.models import LogEntry
from tests.factories import (
    account,
    api_client,
    auth,
    institution,
    institution_client,
    learner_token,
    posted_record,
)
from tests.unit.test_record_schemas import VALID


def _pending_ids(client: FlaskClient, token: str, status: str = "pending") -> list[str]:
    r = client.get("/api/v1/recognitions", query_string={"status": status, "limit": 500}, headers=auth(token))
    assert r.status_code == 200, r.json
    return [i["id"] for i in r.json["items"]]


def test_outcomes_from_other_bodies_wait_for_recognition(client: FlaskClient, db_session: Any) -> None:
    centre = institution("appraisal_body", name="重庆市职业技能鉴定指导中心")
    college = institution("college", name="重庆开放大学")
    acc = account()
    skill = posted_record(client, institution_client(centre.id), acc.id, "skill_level")
    course = posted_record(client, institution_client(college.id), acc.id, "course_credit")
    assert skill["recognition"] == "pending" and course["recognition"] == "not_needed"
    college_token = institution_client(college.id)
    assert skill["id"] in _pending_ids(client, college_token)
    assert course["id"] not in _pending_ids(client, college_token)
    r = client.post(f"/api/v1/records/{skill['id']}:recognise", json={"decision": "recognised", "note": "核验原件"},
                    headers=auth(college_token))
    assert r.status_code == 200, r.json
    assert r.json["recognition"] == "recognised" and r.json["recognised_by"] == f"urn:uuid:{college.id}"
    assert skill["id"] not in _pending_ids(client, college_token)
    assert skill["id"] in _pending_ids(client, college_token, "recognised")
    entry = db_session.scalars(sa.select(LogEntry).where(LogEntry.kind == "recognition",
                                                         LogEntry.object_ref == skill["id"])).one()
    leaf = json.loads(entry.leaf)
    doc = db_session.scalar(sa.select(EntryDocument).where(EntryDocument.entry_index == entry.index)).document
    assert leaf["issuer"] == college.did and leaf["digest"] == digest_of(doc)
    assert doc["decision"] == "recognised" and doc["recognisedBy"] == f"urn:uuid:{college.id}"
    assert "核验原件" not in json.dumps(doc, ensure_ascii=False)  # the note stays with the bank
    again = client.post(f"/api/v1/records/{skill['id']}:recognise", json={"decision": "rejected", "reason": "重复"},
                        headers=auth(college_token))
    assert again.status_code == 409


def test_who_decides(client: FlaskClient) -> None:
    enterprise = institution("enterprise", name="国网重庆市电力公司")
    acc = account()
    record = posted_record(client, institution_client(enterprise.id), acc.id, "enterprise_course")
    assert record["recognition"] == "pending"
    url = f"/api/v1/records/{record['id']}:recognise"
    other_enterprise = institution_client(institution("enterprise").id)
    assert client.post(url, json={"decision": "recognised"}, headers=auth(other_enterprise)).status_code == 403
    assert client.get("/api/v1/recognitions", headers=auth(other_enterprise)).status_code == 403
    assert client.post(url, json={"decision": "recognised"}, headers=auth(learner_token(acc.id))).status_code == 403
    _, op = api_client("operator")
    r = client.post(url, json={"decision": "rejected"}, headers=auth(op))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "reason"
    r = client.post(url, json={"decision": "rejected", "reason": "学时不足"}, headers=auth(op))
    assert r.status_code == 200 and r.json["recognition"] == "rejected" and r.json["recognised_by"] is None
    assert client.post(url, json={"decision": "maybe"}, headers=auth(op)).status_code == 422


def test_only_recognised_records_count_in_the_totals(client: FlaskClient) -> None:
    enterprise = institution("enterprise")
    college = institution("college")
    acc = account()
    learner = learner_token(acc.id)
    course = posted_record(client, institution_client(enterprise.id), acc.id, "enterprise_course",
                           outcome={**VALID["enterprise_course"], "credits": "1.5"})
    url = f"/api/v1/accounts/urn:uuid:{acc.id}/records"
    assert client.get(url, headers=auth(learner)).json["credit_totals"] == {}
    client.post(f"/api/v1/records/{course['id']}:recognise", json={"decision": "recognised"},
                headers=auth(institution_client(college.id)))
    assert client.get(url, headers=auth(learner)).json["credit_totals"] == {"enterprise_course": "1.5"}


def test_a_revoked_record_is_not_recognised(client: FlaskClient) -> None:
    centre = institution("appraisal_body")
    token = institution_client(centre.id)
    record = posted_record(client, token, account().id, "vocational_qualification")
    client.post(f"/api/v1/records/{record['id']}:revoke", json={"reason": "证书注销"}, headers=auth(token))
    college = institution_client(institution("college").id)
    assert record["id"] not in _pending_ids(client, college)
    r = client.post(f"/api/v1/records/{record['id']}:recognise", json={"decision": "recognised"},
                    headers=auth(college))
    assert r.status_code == 409
