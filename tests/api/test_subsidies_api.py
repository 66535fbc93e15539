"""`/api/v1/subsidies/…` end to end: a learner claims, unions review level by level, payments, the public notice."""

from __future__ import annotations

import base64
import json
import secrets
import uuid

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.extensions import db
from ledger import accounts
from ledger.subsidies import service
from ledger.subsidies.masking import mask_name
from tests.db.test_subsidies import claimant
from tests.factories import api_client, auth, institution, institution_client, learner_token

DECL = {"union_member": True, "post": "workshop_director", "contract_start": "2019-05-01", "civil_servant": False}


@pytest.fixture
def pinned(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "SUBSIDY_NOW", "2022-04-01T08:00:00+00:00")


def reviewer(level: str, region: str) -> str:
    cid, token = api_client("union")
    service.set_reviewer(db.session, f"client:{cid}", level, region)
    db.session.commit()
    return token


def attach_required(client: FlaskClient, token: str, claim_id: str) -> None:
    """Upload, as the claimant, one small file of each kind the claim still lacks."""
    for kind in client.get(f"/api/v1/subsidies/claims/{claim_id}", headers=auth(token)).json["missing_attachments"]:
        r = client.post(f"/api/v1/subsidies/claims/{claim_id}/attachments", headers=auth(token),
                        json={"kind": kind, "filename": f"{kind}.pdf", "media_type": "application/pdf",
                              "content_base64": base64.b64encode(f"%PDF {kind}".encode()).decode()})
        assert r.status_code == 201, r.json


def test_policies_are_listed_with_their_hash(client: FlaskClient) -> None:
    r = client.get("/api/v1/subsidies/policies")
    listed = {d["id"]: d for d in r.json}
    assert r.status_code == 200 and listed["liaocheng-2022"]["content_hash"].startswith("sha256:")
    one = client.get("/api/v1/subsidies/policies/liaocheng-2022").json
    assert len(one["document"]["quotas"]) == 12
    assert client.get("/api/v1/subsidies/policies/nope").status_code == 404


def test_claim_review_pay_and_public_notice(client: FlaskClient, pinned: None) -> None:
    college = institution_client(institution("college", authorised_kinds=["enrolment"]).id)
    acc = claimant(client, college, 7, name="欧阳小锋")
    me = learner_token(acc.id)
    body = {"policy": "liaocheng-2022", "account": f"urn:uuid:{acc.id}", "district": "371502", "declarations": DECL}
    r = client.post("/api/v1/subsidies/claims", json=body, headers=auth(me))
    assert r.status_code == 201, r.json
    claim = r.json
    assert claim["status"] == "submitted" and claim["review_level"] == "county" and claim["total"] == "2000"
    again = client.post("/api/v1/subsidies/claims", json=body, headers=auth(me))
    assert again.status_code == 409 and again.headers["Content-Type"].startswith("application/problem+json")

    pdf = base64.b64encode(b"%PDF-1.4 receipt").decode()
    r = client.post(f"/api/v1/subsidies/claims/{claim['id']}/attachments", headers=auth(me),
                    json={"kind": "tuition_receipt", "filename": "收据.pdf", "media_type": "application/pdf",
                          "content_base64": pdf})
    assert r.status_code == 201 and r.json["size"] == 16

    assert r.json["kind"] == "tuition_receipt"
    assert client.get(f"/api/v1/subsidies/claims/{claim['id']}", headers=auth(me)).json["missing_attachments"] == [
        "application_form", "enrolment_report", "id_card", "bank_account"]
    attach_required(client, me, claim["id"])
    county, city = reviewer("county", "371502"), reviewer("city", "371500")
    assert client.post(f"/api/v1/subsidies/claims/{claim['id']}/decisions", json={"decision": "approve"},
                       headers=auth(me)).status_code == 403
    r = client.post(f"/api/v1/subsidies/claims/{claim['id']}/decisions", json={"decision": "approve"},
                    headers=auth(county))
    assert r.json["review_level"] == "city"
    r = client.post(f"/api/v1/subsidies/claims/{claim['id']}/decisions", json={"decision": "approve"},
                    headers=auth(city))
    assert r.json["status"] == "approved" and [d["level"] for d in r.json["decisions"]] == ["county", "city"]
    r = client.post(f"/api/v1/subsidies/claims/{claim['id']}/payments", json={"funder": "shandong-fts",
                                                                              "status": "paid"}, headers=auth(city))
    assert r.json["payment_status"] == {"shandong-fts": "paid", "liaocheng-fts": "pending"}
    mine = client.get(f"/api/v1/subsidies/claims/{claim['id']}", headers=auth(me)).json
    assert mine["payment_status"]["shandong-fts"] == "paid" and mine["attachments"][0]["kind"] == "tuition_receipt"
    assert len(client.get("/api/v1/subsidies/claims", headers=auth(county)).json) == 1
    assert client.get("/api/v1/subsidies/claims", headers=auth(reviewer("county", "371503"))).json == []

    rows = client.get("/api/v1/subsidies/policies/liaocheng-2022/notice?district=371502").json
    assert rows[0]["name"] == "欧**锋" and "*" * 10 in rows[0]["national_id"]
    csv = client.get("/api/v1/subsidies/policies/liaocheng-2022/notice.csv")
    assert csv.mimetype == "text/csv" and "欧**锋" in csv.text and "欧阳小锋" not in csv.text
    page = client.get("/subsidies/liaocheng-2022/notice?district=371502")
    assert page.status_code == 200 and "公示" in page.text and "欧**锋" in page.text and "欧阳小锋" not in page.text
    assert "共 1 人" in page.text and "共 0 人" in client.get("/subsidies/liaocheng-2022/notice?district=371503").text
    rep = client.get("/api/v1/subsidies/policies/liaocheng-2022/report", headers=auth(city)).json
    assert next(r for r in rep if r["district"] == "371502")["used"] == 1


def test_bad_input_is_problem_json_field_by_field_and_changes_nothing(client: FlaskClient, pinned: None) -> None:
    college = institution_client(institution("college", authorised_kinds=["enrolment"]).id)
    acc = claimant(client, college, 8, born="20040402")  # 17 on 2022-03-01
    me = learner_token(acc.id)
    body = {"policy": "liaocheng-2022", "account": f"urn:uuid:{acc.id}", "district": "371502",
            "declarations": {**DECL, "contract_start": "2021-06-01"}}
    r = client.post("/api/v1/subsidies/claims", json=body, headers=auth(me))
    assert r.status_code == 422, r.json
    fields = {f["field"]: f for f in r.json["errors"]}
    assert set(fields) == {"rules.adult_on_enrolment", "rules.contract_one_year"}
    assert fields["rules.adult_on_enrolment"]["message_zh"]
    r = client.post("/api/v1/subsidies/claims", headers=auth(me),
                    json={**body, "district": "x", "declarations": {**DECL, "post": "boss"}})
    assert r.status_code == 422 and "declarations.post" in {f["field"] for f in r.json["errors"]}
    other = learner_token(uuid.uuid4())
    assert client.post("/api/v1/subsidies/claims", json=body, headers=auth(other)).status_code in (403, 404)
    assert client.get("/api/v1/subsidies/claims", headers=auth(me)).json == []


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=2, max_size=6))
def test_the_notice_never_leaks_a_full_name_or_id(client: FlaskClient, app: Flask, name: str) -> None:
    """Random names through the real notice endpoints (JSON and CSV): neither the name nor the ID appears."""
    app.config["SUBSIDY_NOW"] = "2022-04-01T08:00:00+00:00"
    try:
        college = institution_client(institution("college", authorised_kinds=["enrolment"]).id)
        acc = claimant(client, college, secrets.randbelow(1000), name=name, born=f"19{secrets.randbelow(60) + 40}0101")
        nid = accounts.personal_data(app.extensions["creditbank.keyring"], acc).national_id
        body = {"policy": "liaocheng-2022", "account": f"urn:uuid:{acc.id}", "district": "371500-dujia",
                "declarations": DECL}
        claim = client.post("/api/v1/subsidies/claims", json=body, headers=auth(learner_token(acc.id))).json
        attach_required(client, learner_token(acc.id), claim["id"])
        for level, region in (("county", "371500-dujia"), ("city", "371500")):
            r = client.post(f"/api/v1/subsidies/claims/{claim['id']}/decisions", json={"decision": "approve"},
                            headers=auth(reviewer(level, region)))
            assert r.status_code == 200, r.json
        for url in ("/api/v1/subsidies/policies/liaocheng-2022/notice?district=371500-dujia",
                    "/api/v1/subsidies/policies/liaocheng-2022/notice.csv?district=371500-dujia",
                    "/subsidies/liaocheng-2022/notice?district=371500-dujia"):
            resp = client.get(url)
            text = json.dumps(resp.json, ensure_ascii=False) if resp.is_json else resp.text
            assert name not in text and nid not in text and nid[6:14] not in text
            assert mask_name(name) in text
    finally:
        app.config.pop("SUBSIDY_NOW", None)
        db.session.rollback()
        from ledger.subsidies.models import SubsidyAttachment, SubsidyClaim, SubsidyDecision, SubsidyQuota
        db.session.execute(sa.delete(SubsidyDecision))
        db.session.execute(sa.delete(SubsidyAttachment))
        db.session.execute(sa.delete(SubsidyClaim))
        db.session.execute(sa.update(SubsidyQuota).values(used=0))
        db.session.commit()


def test_operator_sets_a_reviewer_profile(client: FlaskClient) -> None:
    _, op = api_client("operator")
    cid, union = api_client("union")
    body = {"actor": f"client:{cid}", "level": "county", "region": "371503"}
    assert client.put("/api/v1/subsidies/reviewers", json=body, headers=auth(union)).status_code == 403
    r = client.put("/api/v1/subsidies/reviewers", json=body, headers=auth(op))
    assert r.status_code == 200 and r.json == body
    bad = client.put("/api/v1/subsidies/reviewers", json={**body, "level": "village"}, headers=auth(op))
    assert bad.status_code == 422 and [e["field"] for e in bad.json["errors"]] == ["level"]


def test_evidence_is_read_by_claimant_and_reviewers_only_and_reviewer_reads_are_logged(
        client: FlaskClient, pinned: None) -> None:
    college = institution_client(institution("college", authorised_kinds=["enrolment"]).id)
    acc = claimant(client, college, 9)
    me = learner_token(acc.id)
    body = {"policy": "liaocheng-2022", "account": f"urn:uuid:{acc.id}", "district": "371502", "declarations": DECL}
    claim = client.post("/api/v1/subsidies/claims", json=body, headers=auth(me)).json
    content = b"%PDF-1.4 \x00\x01 bank card"
    att = client.post(f"/api/v1/subsidies/claims/{claim['id']}/attachments", headers=auth(me),
                      json={"kind": "bank_account", "filename": "银行卡.pdf", "media_type": "application/pdf",
                            "content_base64": base64.b64encode(content).decode()}).json
    url = f"/api/v1/subsidies/claims/{claim['id']}/attachments/{att['id']}"
    log = f"/api/v1/accounts/{acc.id}/access-log"

    r = client.get(url, headers=auth(me))
    assert r.status_code == 200 and r.data == content and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;") and "%E9%93%B6" in r.headers["Content-Disposition"]
    assert not any(row["action"] == "evidence" for row in client.get(log, headers=auth(me)).json["items"])

    for token in (reviewer("county", "371502"), reviewer("city", "371500")):
        r = client.get(url, headers=auth(token))
        assert r.status_code == 200 and r.data == content
    rows = [row for row in client.get(log, headers=auth(me)).json["items"] if row["action"] == "evidence"]
    assert len(rows) == 2 and {row["role"] for row in rows} == {"union"} and "bank_account" in rows[0]["reason"]

    stranger_county = reviewer("county", "371503")  # a union of another district
    for token in (stranger_county, learner_token(uuid.uuid4()), college):
        r = client.get(url, headers=auth(token))
        assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/subsidies/claims/{claim['id']}/attachments/{uuid.uuid4()}",
                      headers=auth(me)).status_code == 404


def test_final_approval_is_refused_while_evidence_is_missing(client: FlaskClient, pinned: None) -> None:
    college = institution_client(institution("college", authorised_kinds=["enrolment"]).id)
    acc = claimant(client, college, 11)
    me = learner_token(acc.id)
    body = {"policy": "liaocheng-2022", "account": f"urn:uuid:{acc.id}", "district": "371502", "declarations": DECL}
    claim = client.post("/api/v1/subsidies/claims", json=body, headers=auth(me)).json
    url = f"/api/v1/subsidies/claims/{claim['id']}/decisions"
    city = reviewer("city", "371500")
    assert client.post(url, json={"decision": "approve"}, headers=auth(reviewer("county", "371502"))).status_code == 200
    r = client.post(url, json={"decision": "approve"}, headers=auth(city))
    assert r.status_code == 409 and r.json["type"].endswith("attachments-missing"), r.json
    assert "bank_account" in r.json["detail"] and "缺少" in r.json["detail_zh"]
    assert client.get(f"/api/v1/subsidies/claims/{claim['id']}", headers=auth(me)).json["status"] == "submitted"
    attach_required(client, me, claim["id"])
    r = client.post(url, json={"decision": "approve"}, headers=auth(city))
    assert r.status_code == 200 and r.json["status"] == "approved" and r.json["missing_attachments"] == []
