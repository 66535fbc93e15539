"""Pages `/me/subsidies` and `/union`: a worker sees each step; a county union approves from its console."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.extensions import db
from ledger.subsidies import service
from tests.db.test_subsidies import claimant
from tests.factories import institution, institution_client, user

PASSWORD = "correct horse battery"


def login(client: FlaskClient, username: str) -> str:
    r = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.json
    return str(r.json["csrf_token"])


def test_worker_page_and_union_console(client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "SUBSIDY_NOW", "2022-04-01T08:00:00+00:00")
    assert client.get("/me/subsidies").status_code == 401
    college = institution_client(institution("college", authorised_kinds=["enrolment"]).id)
    acc = claimant(client, college, 9, name="李秀英")
    worker = user("learner", account_id=acc.id)
    csrf = login(client, worker.username)
    body: dict[str, Any] = {"policy": "liaocheng-2022", "account": f"urn:uuid:{acc.id}", "district": "371503",
                            "declarations": {"union_member": True, "post": "frontline", "contract_start": "2019-01-01",
                                             "civil_servant": False}}
    assert client.post("/api/v1/subsidies/claims", json=body).status_code == 403  # no CSRF token
    r = client.post("/api/v1/subsidies/claims", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.json
    page = client.get("/me/subsidies").text
    assert "审核中" in page and "县（市、区）总工会：审核中" in page and "市总工会：未开始" in page
    client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
    client.delete_cookie("cb_session")

    reviewer = user("union")
    service.set_reviewer(db.session, f"user:{reviewer.id}", "county", "371503")
    db.session.commit()
    csrf = login(client, reviewer.username)
    console = client.get("/union")
    assert console.status_code == 200 and "371503" in console.text and "通过" in console.text
    assert "缺少材料：申请表、录取/注册报告、身份证、银行账户" in console.text
    r = client.post(f"/api/v1/subsidies/claims/{r.json['id']}/decisions", json={"decision": "approve"},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json["review_level"] == "city"
