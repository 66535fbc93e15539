"""Factories: each test makes what it needs through the services (no shared seed data)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from api.extensions import db
from ledger import clients, people
from ledger.principal import SYSTEM


def api_client(*roles: str, name: str | None = None, **bindings: Any) -> tuple[uuid.UUID, str]:
    """A machine client with `roles`; returns (client id, bearer token)."""
    issued = clients.create_client(db.session, SYSTEM, name=name or f"client-{secrets.token_hex(3)}",
                                   roles=list(roles), **bindings)
    db.session.commit()
    return issued.client_id, issued.token


def auth(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def user(*roles: str, password: str = "correct horse battery", **fields: Any) -> people.User:
    """A person with a login."""
    from flask import current_app

    u = people.create_user(db.session, SYSTEM, current_app.extensions["creditbank.hasher"],
                           username=fields.pop("username", f"u{secrets.token_hex(4)}"),
                           display_name=fields.pop("display_name", "测试用户"), roles=list(roles),
                           password=password, **fields)
    db.session.commit()
    return u
