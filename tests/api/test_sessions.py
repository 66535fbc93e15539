"""People logins: sessions, CSRF, lock-out, resets by operators and institutions."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient

from tests.factories import api_client, auth, user

PW = "correct horse battery"


def _login(client: FlaskClient, username: str, password: str = PW):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/session", json={"username": username, "password": password})


def test_login_sets_httponly_cookie_and_session_works(client: FlaskClient) -> None:
    u = user("learner")
    r = _login(client, u.username)
    assert r.status_code == 201, r.json
    cookie = r.headers["Set-Cookie"]
    assert "cb_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert r.json["user"]["username"] == u.username and r.json["csrf_token"]
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json["roles"] == ["learner"]


def test_state_change_with_cookie_needs_csrf(client: FlaskClient) -> None:
    u = user("learner")
    csrf = _login(client, u.username).json["csrf_token"]
    body = {"old_password": PW, "new_password": "another long password"}
    r = client.post("/api/v1/session/password", json=body)
    assert r.status_code == 403 and r.json["type"].endswith("/csrf")
    r = client.post("/api/v1/session/password", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    client.delete("/api/v1/session")
    assert _login(client, u.username, "another long password").status_code == 201


def test_wrong_password_and_unknown_user_look_the_same(client: FlaskClient) -> None:
    u = user("verifier")
    a = _login(client, u.username, "wrong password!!")
    b = _login(client, "nobody-" + uuid.uuid4().hex[:6], "wrong password!!")
    assert a.status_code == b.status_code == 401
    assert a.json["detail"] == b.json["detail"]


def test_lockout_after_five_failures_even_with_right_password(client: FlaskClient) -> None:
    u = user("union")
    for _ in range(5):
        assert _login(client, u.username, "nope nope nope").status_code == 401
    r = _login(client, u.username)
    assert r.status_code == 423
    assert r.json["detail_zh"]


def test_logout_ends_session(client: FlaskClient) -> None:
    u = user("learner")
    _login(client, u.username)
    assert client.delete("/api/v1/session").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_operator_reset_code_unlocks_and_sets_password(client: FlaskClient) -> None:
    u = user("learner")
    for _ in range(5):
        _login(client, u.username, "nope nope nope")
    _, op = api_client("operator")
    r = client.post(f"/api/v1/users/{u.username}/reset-code", headers=auth(op))
    assert r.status_code == 201
    code = r.json["reset_code"]
    bad = client.post("/api/v1/password-reset", json={"username": u.username, "code": "WRONG-CODE-XX",
                                                      "new_password": "a brand new password"})
    assert bad.status_code == 401
    ok = client.post("/api/v1/password-reset", json={"username": u.username, "code": code,
                                                     "new_password": "a brand new password"})
    assert ok.status_code == 204
    assert _login(client, u.username, "a brand new password").status_code == 201
    again = client.post("/api/v1/password-reset", json={"username": u.username, "code": code,
                                                       "new_password": "yet another password"})
    assert again.status_code == 401, "a reset code works once"


def test_institution_resets_only_its_own_people(client: FlaskClient) -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    _, inst = api_client("institution", institution_id=mine)
    own = user("learner", institution_id=mine)
    other = user("learner", institution_id=theirs)
    assert client.post(f"/api/v1/users/{own.username}/reset-code", headers=auth(inst)).status_code == 201
    assert client.post(f"/api/v1/users/{other.username}/reset-code", headers=auth(inst)).status_code == 403


def test_short_password_refused_field_by_field(client: FlaskClient) -> None:
    _, op = api_client("operator")
    r = client.post("/api/v1/users", headers=auth(op),
                    json={"username": "worker01", "display_name": "王师傅", "roles": ["learner"], "password": "short"})
    assert r.status_code == 422
    assert r.json["errors"][0]["field"] == "password"


def test_learner_cannot_create_users(client: FlaskClient) -> None:
    _, learner = api_client("learner")
    r = client.post("/api/v1/users", headers=auth(learner),
                    json={"username": "worker02", "display_name": "李", "roles": ["operator"]})
    assert r.status_code == 403


def test_passwords_are_argon2id(db_session) -> None:  # type: ignore[no-untyped-def]
    u = user("learner")
    assert u.password_hash and u.password_hash.startswith("$argon2id$")
