"""API keys: only operators manage clients; keys rotate and revoke; one client, several roles."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

from tests.factories import api_client, auth


def test_no_key_is_401_with_www_authenticate(client: FlaskClient) -> None:
    r = client.get("/api/v1/clients")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.mimetype == "application/problem+json"


def test_garbage_and_unknown_keys_are_401(client: FlaskClient) -> None:
    for token in ["nonsense", "cb_0000000000000000_" + "A" * 43]:
        assert client.get("/api/v1/me", headers=auth(token)).status_code == 401


def test_operator_creates_client_and_key_works(client: FlaskClient) -> None:
    _, op = api_client("operator")
    r = client.post("/api/v1/clients", json={"name": "重庆电力高等专科学校", "roles": ["institution", "verifier"]},
                    headers=auth(op))
    assert r.status_code == 201, r.json
    token = r.json["token"]
    assert token.startswith("cb_") and r.json["client"].startswith("urn:uuid:")
    me = client.get("/api/v1/me", headers=auth(token)).json
    assert me["roles"] == ["institution", "verifier"]
    assert me["name"] == "重庆电力高等专科学校"
    listed = client.get("/api/v1/clients", headers=auth(op)).json
    assert all("token" not in c and "secret_sha256" not in json.dumps(c) for c in listed)


def test_non_operator_cannot_manage_clients(client: FlaskClient) -> None:
    _, inst = api_client("institution")
    r = client.post("/api/v1/clients", json={"name": "x", "roles": ["operator"]}, headers=auth(inst))
    assert r.status_code == 403
    assert r.json["detail_zh"]


def test_only_hash_is_stored(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from ledger.clients import ApiKey

    _, token = api_client("verifier")
    secret = token.split("_", 2)[2]
    stored = db_session.scalars(sa.select(ApiKey.secret_sha256)).all()
    assert secret not in stored and all(len(h) == 64 for h in stored)


def test_rotate_retires_old_key_and_revoke_kills_new(client: FlaskClient) -> None:
    cid, old = api_client("institution")
    r = client.post(f"/api/v1/clients/urn:uuid:{cid}/keys:rotate", json={}, headers=auth(old))
    assert r.status_code == 201
    new = r.json["token"]
    assert client.get("/api/v1/me", headers=auth(old)).status_code == 401
    assert client.get("/api/v1/me", headers=auth(new)).status_code == 200
    r = client.delete(f"/api/v1/clients/urn:uuid:{cid}/keys/{r.json['key_id']}", headers=auth(new))
    assert r.status_code == 200 and r.json["revoked_at"]
    assert client.get("/api/v1/me", headers=auth(new)).status_code == 401


def test_rotation_grace_keeps_old_key_for_a_while(client: FlaskClient) -> None:
    cid, old = api_client("verifier")
    r = client.post(f"/api/v1/clients/urn:uuid:{cid}/keys:rotate", json={"grace_seconds": 3600}, headers=auth(old))
    assert r.status_code == 201
    assert client.get("/api/v1/me", headers=auth(old)).status_code == 200
    assert client.get("/api/v1/me", headers=auth(r.json["token"])).status_code == 200


def test_a_client_cannot_rotate_another(client: FlaskClient) -> None:
    other, _ = api_client("institution")
    _, mine = api_client("institution")
    r = client.post(f"/api/v1/clients/urn:uuid:{other}/keys:rotate", json={}, headers=auth(mine))
    assert r.status_code == 403


def test_disabled_client_loses_access(client: FlaskClient) -> None:
    _, op = api_client("operator")
    cid, token = api_client("verifier")
    assert client.delete(f"/api/v1/clients/urn:uuid:{cid}", headers=auth(op)).status_code == 200
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401


def test_cli_creates_first_operator_key(runner, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["clients", "create", "--name", "bank ops", "--role", "operator"])
    assert result.exit_code == 0, result.output
    token = json.loads(result.output)["token"]
    assert client.get("/api/v1/clients", headers=auth(token)).status_code == 200
    listing = runner.invoke(args=["clients", "list"])
    assert "bank ops" in listing.output and token not in listing.output
