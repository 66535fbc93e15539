"""`/api/v1/session` and `/api/v1/users`: people log in, out, and reset passwords."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import SESSION_COOKIE, password_hasher, principal, requires, state
from api.extensions import db, limiter
from ledger import people
from ledger.errors import Unauthenticated
from ledger.roles import Role
from schemas.people import (
    LoginIn,
    PasswordChangeIn,
    PasswordResetIn,
    ResetCodeOut,
    SessionOut,
    UserIn,
    UserOut,
)

blp = Blueprint("sessions", __name__, url_prefix="/api/v1", description="Logins of people")


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@blp.route("/session")
class Session(MethodView):
    """The caller's login session."""

    @blp.response(200, SessionOut)
    def get(self) -> Any:
        """The logged-in person and the CSRF token (401 when not logged in)."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise Unauthenticated("not logged in", "未登录")
        ws = people.resume_session(db.session, token)
        db.session.commit()
        return {"user": ws.user, "csrf_token": ws.csrf_token}

    @limiter.limit(_login_limit)
    @blp.arguments(LoginIn)
    @blp.response(201, SessionOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Log in with username and password; sets the session cookie. Locks after repeated failures."""
        try:
            result = people.login(db.session, password_hasher(), data["username"], data["password"])
        finally:
            # Failure counters and lock-outs must persist even though the login is refused.
            db.session.commit()
        state()["set_session_cookie"] = result.token
        return {"user": result.user, "csrf_token": result.csrf_token}

    @blp.response(204)
    def delete(self) -> None:
        """Log out (idempotent)."""
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            people.logout(db.session, token)
            db.session.commit()
        state()["clear_session_cookie"] = True


@blp.route("/session/password", methods=["POST"])
@requires()
@blp.arguments(PasswordChangeIn)
@blp.response(204)
def change_password(data: dict[str, Any]) -> None:
    """Change one's own password (logged-in people)."""
    ws = state().get("web_session")
    if ws is None:
        raise Unauthenticated("log in as a person to change a password", "请以个人身份登录后修改密码")
    people.change_password(db.session, password_hasher(), ws.user, data["old_password"], data["new_password"])
    db.session.commit()


@blp.route("/users", methods=["POST"])
@requires(Role.OPERATOR, Role.INSTITUTION)
@blp.arguments(UserIn)
@blp.response(201, UserOut)
def create_user(data: dict[str, Any]) -> Any:
    """Create a login (operators; institutions for their own staff and learners)."""
    user = people.create_user(
        db.session, principal(), password_hasher(), username=data["username"],
        display_name=data["display_name"], roles=data["roles"], password=data["password"],
        institution_id=data["institution"], account_id=data["account"], organisation=data["organisation"],
    )
    if data["password"] is None:
        user.must_change_password = True
    db.session.commit()
    return user


@blp.route("/users/<string:username>/reset-code", methods=["POST"])
@requires(Role.OPERATOR, Role.INSTITUTION)
@blp.response(201, ResetCodeOut)
def reset_code(username: str) -> Any:
    """Issue a one-time password reset code for a person (operators, or the person's institution)."""
    code = people.issue_reset_code(db.session, principal(), username)
    user = people.find_user(db.session, username)
    db.session.commit()
    return {"username": user.username, "reset_code": code, "expires_at": user.reset_code_expires_at}


@blp.route("/password-reset", methods=["POST"])
@limiter.limit(_login_limit)
@blp.arguments(PasswordResetIn)
@blp.response(204)
def password_reset(data: dict[str, Any]) -> None:
    """Set a new password with a one-time reset code; ends every open session of that person."""
    people.reset_password(db.session, password_hasher(), data["username"], data["code"], data["new_password"])
    db.session.commit()
