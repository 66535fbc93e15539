"""Demo data for `make run`: one API key per role, made on first start (keys are never committed)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import clients
from ledger.errors import Unauthenticated
from ledger.principal import SYSTEM
from ledger.roles import Role

DEMO_PREFIX = "demo:"


def keys_still_valid(session: Session, keys: dict[str, str]) -> bool:
    """True if every saved demo key still authenticates with its role."""
    try:
        return all(Role(role) in clients.authenticate(session, token).roles for role, token in keys.items())
    except (Unauthenticated, ValueError):
        return False


def make_demo_keys(session: Session) -> dict[str, str]:
    """One fresh key per role for the demo clients (creating the clients on first use)."""
    keys: dict[str, str] = {}
    for role in Role:
        name = f"{DEMO_PREFIX}{role.value}"
        existing = session.scalar(sa.select(clients.ApiClient).where(clients.ApiClient.name == name))
        if existing is None:
            issued = clients.create_client(session, SYSTEM, name=name, roles=[role.value])
        else:
            issued = clients.rotate_key(session, SYSTEM, existing.id)
        keys[role.value] = issued.token
    return keys


def demo_document(keys: dict[str, str], ids: dict[str, Any]) -> dict[str, Any]:
    """The shape of instance/demo-keys.json (DESIGN.md §7)."""
    return {"keys": keys, "ids": ids}
