"""The edge: health, OpenAPI, docs page, problem+json errors."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import api_client, auth


def test_healthz_reports_database(client: FlaskClient, backend: str) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json == {"status": "ok", "database": backend}


def test_openapi_is_31_and_lists_security(client: FlaskClient) -> None:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.json
    assert spec["openapi"] == "3.1.0"
    assert "/api/v1/clients" in spec["paths"]
    assert set(spec["components"]["securitySchemes"]) == {"apiKey", "session"}
    assert spec["paths"]["/api/v1/clients"]["get"]["security"] == [{"apiKey": []}, {"session": []}]


def test_docs_page_lists_operations_without_external_scripts(client: FlaskClient) -> None:
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "/api/v1/clients" in html
    assert "<script" not in html


def test_unknown_path_is_problem_json(client: FlaskClient) -> None:
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.mimetype == "application/problem+json"
    assert r.json["status"] == 404
    assert r.json["title_zh"] == "未找到"


def test_wrong_method_keeps_allow_header(client: FlaskClient) -> None:
    r = client.put("/api/v1/clients")
    assert r.status_code == 405
    assert r.mimetype == "application/problem+json"
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_validation_errors_are_field_by_field_in_both_languages(client: FlaskClient) -> None:
    _, token = api_client("operator")
    r = client.post("/api/v1/clients", json={"roles": ["wizard"], "extra": 1}, headers=auth(token))
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    errors = {(e["field"], e["message"]): e for e in r.json["errors"]}
    assert ("name", "Missing data for required field.") in errors
    assert errors[("name", "Missing data for required field.")]["message_zh"] == "缺少必填字段。"
    assert ("extra", "Unknown field.") in errors
    assert any(f.startswith("roles") for f, _ in errors)
    assert all(e["location"] == "json" for e in r.json["errors"])


def test_float_credits_are_refused_by_the_decimal_field() -> None:
    import pytest
    from marshmallow import ValidationError

    from schemas.base import DecimalString

    with pytest.raises(ValidationError):
        DecimalString().deserialize(3.5)
    assert str(DecimalString().deserialize("3.5")) == "3.5"
    assert DecimalString().serialize("x", {"x": __import__("decimal").Decimal("10.00")}) == "10"
