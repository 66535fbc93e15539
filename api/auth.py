"""Authentication at the edge: API keys (`Bearer cb_…`) and login sessions; role checks as a decorator."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, request

from api.extensions import db
from ledger import clients, people
from ledger.errors import Forbidden, Unauthenticated
from ledger.principal import Principal
from ledger.roles import Role

SESSION_COOKIE = "cb_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

F = TypeVar("F", bound=Callable[..., Any])


def _from_bearer(header: str) -> Principal:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("use Authorization: Bearer cb_…", "请使用 Authorization: Bearer cb_… 认证")
    return clients.authenticate(db.session, token.strip())


def _from_cookie(token: str) -> Principal:
    ws = people.resume_session(db.session, token)
    state()["web_session"] = ws
    if request.method in _UNSAFE:
        # A cookie is ambient authority: a state change needs the session's CSRF token too.
        sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
        if not hmac.compare_digest(sent, ws.csrf_token):
            raise Forbidden("missing or wrong CSRF token", "缺少或错误的 CSRF 令牌", code="csrf")
    return ws.user.principal()


def state() -> dict[str, Any]:
    """Per-request state (kept on the request, not on `g`, which may outlive one request)."""
    return cast(dict[str, Any], request.environ.setdefault("creditbank.state", {}))


def current_principal(optional: bool = False) -> Principal | None:
    """The authenticated caller of this request (cached), or None when `optional` and nobody is logged in."""
    st = state()
    if "principal" in st:
        return cast(Principal | None, st["principal"])
    header = request.headers.get("Authorization")
    cookie = request.cookies.get(SESSION_COOKIE)
    principal: Principal | None = None
    if header:
        principal = _from_bearer(header)
    elif cookie:
        try:
            principal = _from_cookie(cookie)
        except Unauthenticated:
            if not optional:
                raise
    if principal is None and not optional:
        raise Unauthenticated("authentication required", "需要身份验证")
    st["principal"] = principal
    if principal is not None:
        # The auth look-up may have touched last_used_at; keep that even on read-only requests.
        db.session.commit()
    return principal


def principal() -> Principal:
    """The authenticated caller, or raise Unauthenticated."""
    p = current_principal()
    assert p is not None
    return p


def requires(*roles: Role) -> Callable[[F], F]:
    """View decorator: the caller must be authenticated and hold one of `roles` (none given: any role)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            p = principal()
            if roles:
                p.require(*roles)
            return view(*args, **kwargs)

        # flask-smorest reads this to document the security requirement in OpenAPI.
        doc = getattr(wrapper, "_apidoc", {})
        doc.setdefault("manual_doc", {}).setdefault("security", [{"apiKey": []}, {"session": []}])
        wrapper._apidoc = doc  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorate


def password_hasher() -> Any:
    """The app's Argon2 hasher (cheap in tests, strong otherwise)."""
    return current_app.extensions["creditbank.hasher"]
