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


# --------------------------------------------------------------------------- institutions and accounts

def national_id_for(n: int, region: str = "500103", born: str = "19880512") -> str:
    """A valid 18-character national ID number, distinct for each `n` < 1000 per region and birth date."""
    from ledger.national_id import check_character

    first17 = f"{region}{born}{n % 1000:03d}"
    return first17 + check_character(first17)


def random_national_id(region: str = "500103") -> str:
    """A valid national ID number with a random birth date (1960-1999) and sequence number."""
    import datetime as dt

    born = dt.date(1960, 1, 1) + dt.timedelta(days=secrets.randbelow(40 * 365))
    return national_id_for(secrets.randbelow(1000), region=region, born=born.strftime("%Y%m%d"))


def institution(kind: str = "college", *, name: str | None = None, region_code: str = "500000",
                **fields: Any) -> Any:
    """A registered institution (custodial key, default authorisations unless given)."""
    from flask import current_app

    from api.context import bank_did
    from ledger import institutions

    inst = institutions.register_institution(
        db.session, current_app.extensions["creditbank.keyring"], SYSTEM, bank_did(), kind=kind,
        name=name or f"测试机构{secrets.token_hex(2)}", region_code=region_code, **fields)
    db.session.commit()
    return inst


def institution_client(inst_id: uuid.UUID, *roles: str) -> str:
    """A bearer token for a client bound to an institution (role `institution` unless given)."""
    _, token = api_client(*(roles or ("institution",)), institution_id=inst_id)
    return token


def account(nid: str | None = None, *, name: str = "张三", phone: str | None = "13800138000",
            opener: Any = None) -> Any:
    """An account opened by `opener` (a Principal; default: the system operator)."""
    from flask import current_app

    from api.context import bank_did
    from ledger import accounts

    opened = accounts.open_account(db.session, current_app.extensions["creditbank.keyring"], opener or SYSTEM,
                                   bank_did(), national_id_number=nid or random_national_id(),
                                   name=name, phone=phone)
    db.session.commit()
    return opened.account


def learner_token(account_id: uuid.UUID | str) -> str:
    """A bearer token for the learner who owns `account_id` (a UUID, or its string with or without `urn:uuid:`)."""
    if isinstance(account_id, str):
        account_id = uuid.UUID(account_id.removeprefix("urn:uuid:"))
    _, token = api_client("learner", account_id=account_id)
    return token


# --------------------------------------------------------------------------- learning records

def record_body(account_id: Any, kind: str = "course_credit", *, external_ref: str | None = None,
                outcome: dict[str, Any] | None = None, occurred_on: str = "2024-06-20") -> dict[str, Any]:
    """A valid `POST /api/v1/records` body of `kind` (the realistic outcome of the schema tests unless given)."""
    import copy

    from tests.unit.test_record_schemas import VALID

    account = str(account_id)
    return {"account": account if account.startswith("urn:uuid:") else f"urn:uuid:{account}", "kind": kind,
            "external_ref": external_ref or f"ref-{secrets.token_hex(6)}", "occurred_on": occurred_on,
            "outcome": copy.deepcopy(outcome if outcome is not None else VALID[kind])}


def posted_record(client: Any, token: str, account_id: Any, kind: str = "course_credit", **fields: Any) -> Any:
    """Post one record through the API and return the answer's JSON (asserting 201)."""
    r = client.post("/api/v1/records", json=record_body(account_id, kind, **fields), headers=auth(token))
    assert r.status_code == 201, r.json
    return r.json


def own_key_institution(kind: str = "college", **fields: Any) -> tuple[Any, Any]:
    """An institution that signs with its own key: (institution, Ed25519 private key)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from credentials.didkey import did_key

    private = Ed25519PrivateKey.generate()
    return institution(kind, did=did_key(private.public_key()), **fields), private
