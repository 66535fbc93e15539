"""What the edge hands to services from the app: the master keyring, the bank's did, the log signer."""

from __future__ import annotations

from typing import Any, cast

from flask import current_app

from api.extensions import db
from credentials.didkey import did_key
from credentials.note import Signer
from ledger import bankkeys
from ledger.keyring import Keyring


def keyring() -> Keyring:
    """The app's master keyring (current and old master keys)."""
    return cast(Keyring, current_app.extensions["creditbank.keyring"])


def _cached(name: str, make: Any) -> Any:
    cache = current_app.extensions.setdefault("creditbank.cache", {})
    if name not in cache:
        # A session of its own: making a key commits, which must not commit a request's unit of work.
        with db.sessionmaker() as own:
            cache[name] = make(own)
    return cache[name]


def bank_did() -> str:
    """The bank's own did:key (issuer of entries for people without keys, and of bank documents)."""
    return cast(str, _cached("bank_did", lambda s: did_key(
        bankkeys.ensure_key(s, keyring(), bankkeys.BANK_PURPOSE, bankkeys.BANK_NAME).public())))


def log_signer() -> Signer:
    """The checkpoint signer: the bank's Ed25519 log key named by the configured origin."""
    origin = current_app.config["LOG_ORIGIN"]
    return cast(Signer, _cached("log_signer", lambda s: Signer(
        origin, bankkeys.ensure_key(s, keyring(), bankkeys.LOG_PURPOSE, origin).private(keyring()))))


def forget_cached_keys() -> None:
    """Drop cached keys (after a rotation, or between test databases)."""
    current_app.extensions.pop("creditbank.cache", None)
