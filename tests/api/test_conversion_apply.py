"""Applying conversions: stored plan + log entry, already_used, 409 on a repeated enrolment, permissions,
revocation → flagged → work queue → recheck diff → re-apply."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from ledger.conversion import default_programmes
from ledger.documents import documents_for
from ledger.log import tree_head
from tests.factories import (
    account,
    api_client,
    auth,
    institution,
    institution_client,
    learner_token,
    posted_record,
)

POWER = next(p for p in default_programmes() if p.code == "430103")
REASON = "enrolment conversion 2025"


@pytest.fixture
def setup(client: FlaskClient) -> dict[str, Any]:
    college = institution("college", name="重庆电力高等专科学校")
    token = institution_client(college.id)
    acc = account()
    posted_record(client, token, acc.id, "course_credit")  # the college reads the account as an issuer
    appraiser = institution_client(institution("appraisal_body", name="重庆市职业技能鉴定中心").id)
    rec = posted_record(client, appraiser, acc.id, "skill_level")  # converts for 430103 once recognised
    r = client.post(f"/api/v1/records/{rec['id']}:recognise", json={"decision": "recognised", "note": "核验原件"},
                    headers=auth(token))
    assert r.status_code == 200, r.json
    return {"college": college, "token": token, "acc": acc, "rec": rec, "appraiser": appraiser}


def _apply(client: FlaskClient, token: str, acc_id: Any, ref: str = "ENR-2025-001") -> Any:
    return client.post(f"/api/v1/accounts/{acc_id}/conversions",
                       json={"programme": POWER.id, "enrolment_ref": ref, "reason": REASON}, headers=auth(token))


def test_apply_stores_plan_and_writes_entry(client: FlaskClient, db_session: Any, setup: dict[str, Any]) -> None:
    size0, _ = tree_head(db_session)
    r = _apply(client, setup["token"], setup["acc"].id)
    assert r.status_code == 201, r.json
    conv = r.get_json()
    assert conv["status"] == "active" and conv["programme"] == POWER.id
    assert conv["outcomes"] == [setup["rec"]["id"]], conv["plan"]
    assert conv["ruleset"]["version"] >= 1 and conv["ruleset"]["content_hash"].startswith("sha256:")
    assert float(conv["total"]) > 0 and conv["plan"]["totals"]["total"] == conv["total"]
    assert tree_head(db_session)[0] > size0
    [doc] = documents_for(db_session, conv["id"])
    assert doc.kind == "conversion" and doc.entry_index == conv["entry_index"]
    assert doc.document["outcomes"][0]["record"] == setup["rec"]["id"]
    assert isinstance(doc.document["outcomes"][0]["entry"], int)
    # readable by the learner, the college, an operator
    assert client.get(f"/api/v1/conversions/{conv['id']}", headers=auth(learner_token(setup["acc"].id))).json == conv
    assert client.get(f"/api/v1/conversions/{conv['id']}", headers=auth(setup["token"])).status_code == 200
    _, op = api_client("operator")
    assert client.get(f"/api/v1/conversions/{conv['id']}", headers=auth(op)).status_code == 200
    listed = client.get(f"/api/v1/accounts/{setup['acc'].id}/conversions", headers=auth(learner_token(setup["acc"].id)))
    assert [c["id"] for c in listed.json] == [conv["id"]]


def test_used_outcome_is_already_used_and_not_counted_twice(client: FlaskClient, setup: dict[str, Any]) -> None:
    first = _apply(client, setup["token"], setup["acc"].id).get_json()
    preview = client.post(f"/api/v1/accounts/{setup['acc'].id}/conversions:preview", json={"programme": POWER.id},
                          headers=auth(learner_token(setup["acc"].id))).get_json()
    line = next(ln for ln in preview["lines"] if ln["outcome"] == setup["rec"]["id"])
    assert line["status"] == "already_used" and "使用过" in line["explanation"]["zh"]
    second = _apply(client, setup["token"], setup["acc"].id, "ENR-2025-002")
    assert second.status_code == 201
    assert second.json["outcomes"] == [] and float(second.json["total"]) == 0 < float(first["total"])


def test_same_enrolment_ref_twice_is_409_and_changes_nothing(client: FlaskClient, db_session: Any,
                                                               setup: dict[str, Any]) -> None:
    assert _apply(client, setup["token"], setup["acc"].id).status_code == 201
    size, _ = tree_head(db_session)
    again = _apply(client, setup["token"], setup["acc"].id)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert tree_head(db_session)[0] == size


def test_permissions(client: FlaskClient, setup: dict[str, Any]) -> None:
    learner = learner_token(setup["acc"].id)
    assert _apply(client, learner, setup["acc"].id).status_code == 403
    other = institution_client(institution("college", name="另一所学院").id)
    assert _apply(client, other, setup["acc"].id).status_code in (403, 404)
    conv = _apply(client, setup["token"], setup["acc"].id).get_json()
    assert client.get(f"/api/v1/conversions/{conv['id']}", headers=auth(other)).status_code == 404
    assert client.get(f"/api/v1/accounts/{setup['acc'].id}/conversions", headers=auth(other)).json == []
    assert client.get("/api/v1/conversions", headers=auth(other)).json == []
    stranger = learner_token(account().id)
    assert client.get(f"/api/v1/conversions/{conv['id']}", headers=auth(stranger)).status_code == 404
    r = client.post(f"/api/v1/accounts/{setup['acc'].id}/conversions", json={"programme": POWER.id},
                    headers=auth(setup["token"]))
    assert r.status_code == 422 and "enrolment_ref" in str(r.json)
    assert _apply(client, setup["token"], setup["acc"].id, "   ").status_code == 422


def test_revocation_flags_queue_recheck_reapply(client: FlaskClient, db_session: Any, setup: dict[str, Any]) -> None:
    conv = _apply(client, setup["token"], setup["acc"].id).get_json()
    assert client.get("/api/v1/conversions?flagged=true", headers=auth(setup["token"])).json == []
    r = client.post(f"/api/v1/records/{setup['rec']['id']}:revoke", json={"reason": "证书信息有误"},
                    headers=auth(setup["appraiser"]))
    assert r.status_code == 200, r.json
    flagged = client.get(f"/api/v1/conversions/{conv['id']}", headers=auth(setup["token"])).json
    assert flagged["status"] == "flagged" and flagged["flag_record"] == setup["rec"]["id"]
    assert flagged["flag_reason"] == "证书信息有误" and flagged["flagged_at"]
    queue = client.get("/api/v1/conversions?flagged=true", headers=auth(setup["token"])).json
    assert [c["id"] for c in queue] == [conv["id"]]
    _, op = api_client("operator")
    assert [c["id"] for c in client.get("/api/v1/conversions?flagged=true", headers=auth(op)).json] == [conv["id"]]
    diff = client.get(f"/api/v1/conversions/{conv['id']}/recheck", headers=auth(setup["token"])).json
    assert diff["lost"] == [setup["rec"]["id"]] and diff["gained"] == []
    assert float(diff["credit_delta"]) == -float(conv["total"])
    new = client.post(f"/api/v1/conversions/{conv['id']}:reapply", json={"reason": REASON},
                      headers=auth(setup["token"]))
    assert new.status_code == 201, new.json
    assert new.json["status"] == "active" and new.json["outcomes"] == []
    old = client.get(f"/api/v1/conversions/{conv['id']}", headers=auth(setup["token"])).json
    assert old["status"] == "superseded" and old["superseded_by"] == new.json["id"]
    assert client.get("/api/v1/conversions?flagged=true", headers=auth(setup["token"])).json == []
    assert client.post(f"/api/v1/conversions/{conv['id']}:reapply", json={"reason": REASON},
                       headers=auth(setup["token"])).status_code == 409


def _ruleset_v2(version: int = 2) -> bytes:
    """The shipped rule set 430103 uses, as a new version."""
    import datetime as dt
    import json

    from ledger.conversion import default_rulesets, select_ruleset
    from ledger.conversion.loader import DATA

    used = select_ruleset(POWER, default_rulesets(), dt.date.today())
    assert used is not None
    doc = next(d for d in (json.loads(f.read_text("utf-8")) for f in sorted((DATA / "rulesets").glob("*.json")))
               if d["id"] == used.id)
    doc["version"] = version
    doc["name"]["en"] = f"{doc['name']['en']} (v{version})"
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def test_publishing_a_version(client: FlaskClient, db_session: Any, setup: dict[str, Any]) -> None:
    from ledger.conversion.loader import content_hash

    old = _apply(client, setup["token"], setup["acc"].id).get_json()
    rs_id, v1_hash = old["ruleset"]["id"], old["ruleset"]["content_hash"]
    assert old["ruleset"]["version"] == 1
    _, op = api_client("operator")
    headers = {**auth(op), "Content-Type": "application/json"}
    assert client.post("/api/v1/rulesets", data=_ruleset_v2(), headers={
        **auth(setup["token"]), "Content-Type": "application/json"}).status_code == 403
    body = _ruleset_v2()
    size, _ = tree_head(db_session)
    r = client.post("/api/v1/rulesets", data=body, headers=headers)
    assert r.status_code == 201, r.json
    assert r.json["version"] == 2 and r.json["content_hash"] == content_hash(body) != v1_hash
    assert tree_head(db_session)[0] == size + 1
    listed = client.get("/api/v1/rulesets").json
    assert {(x["id"], x["version"]) for x in listed} >= {(rs_id, 1), (rs_id, 2)}
    assert client.get(f"/api/v1/rulesets/{rs_id}").json["version"] == 2
    v1 = client.get(f"/api/v1/rulesets/{rs_id}", query_string={"version": 1}).json
    assert v1["version"] == 1 and v1["content_hash"] == v1_hash
    assert client.get(f"/api/v1/rulesets/{rs_id}", query_string={"version": 9}).status_code == 404
    # the old conversion still names version 1; new plans use version 2
    again = client.get(f"/api/v1/conversions/{old['id']}", headers=auth(setup["token"])).json
    assert again["ruleset"] == {"id": rs_id, "version": 1, "content_hash": v1_hash}
    new = _apply(client, setup["token"], setup["acc"].id, "ENR-2025-009").json
    assert new["ruleset"]["version"] == 2 and new["ruleset"]["content_hash"] == content_hash(body)
    # same or lower version → 409, nothing written
    size, _ = tree_head(db_session)
    for version in (2, 1):
        conflict = client.post("/api/v1/rulesets", data=_ruleset_v2(version), headers=headers)
        assert conflict.status_code == 409 and conflict.mimetype == "application/problem+json"
    assert tree_head(db_session)[0] == size


def test_publishing_a_bad_document_is_422_field_by_field(client: FlaskClient, db_session: Any) -> None:
    import json

    _, op = api_client("operator")
    headers = {**auth(op), "Content-Type": "application/json"}
    doc = json.loads(_ruleset_v2(3))
    doc["version"] = 0
    del doc["caps"]
    size, _ = tree_head(db_session)
    r = client.post("/api/v1/rulesets", data=json.dumps(doc), headers=headers)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert {"version", "caps"} <= set(str(r.json).replace("'", " ").split())
    assert client.post("/api/v1/rulesets", data=b"{not json", headers=headers).status_code == 422
    assert tree_head(db_session)[0] == size
    assert all(x["version"] != 0 for x in client.get("/api/v1/rulesets").json)
