"""Master key rotation: re-seal every sealed value and re-compute every look-up hash under a new master key.

Sealed values name the master key they were sealed under (`Keyring.seal`), so a value can be opened with
the old key and sealed again with the new one. Look-up hashes cannot be opened: they are re-computed from
the opened national ID. Everything happens in the caller's one transaction: either every value moves to
the new key or none does. A new table with sealed values adds itself to `SEALED_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credentials.sealing import keyed_hash
from ledger import accounts
from ledger.bankkeys import BankKey
from ledger.db import begin_write
from ledger.institutions import InstitutionKey
from ledger.keyring import Keyring

# (model, sealed column, context of a row): every sealed value at rest in the bank.
SEALED_COLUMNS: list[tuple[type[Any], str, Callable[[Any], str]]] = [
    (BankKey, "sealed_private_key", lambda row: f"bank_keys/{row.id}"),
    (InstitutionKey, "sealed_private_key", lambda row: row.seal_context),
    (accounts.Account, "sealed_national_id", lambda row: row.context("national_id")),
    (accounts.Account, "sealed_name", lambda row: row.context("name")),
    (accounts.Account, "sealed_phone", lambda row: row.context("phone")),
]


@dataclass
class RewrapReport:
    """How many values were re-sealed (per table.column) and how many look-up hashes re-computed."""

    resealed: dict[str, int] = field(default_factory=dict)
    rehashed: int = 0


def rewrap_all(session: Session, keyring: Keyring) -> RewrapReport:
    """Re-seal every value not yet under `keyring.current` and re-hash every ID look-up hash (no commit).

    `keyring` must hold the new master key as current and every key values may still be sealed under as old.
    """
    begin_write(session)
    report = RewrapReport()
    for model, column, context in SEALED_COLUMNS:
        name = f"{model.__tablename__}.{column}"
        report.resealed[name] = 0
        for row in session.scalars(sa.select(model).where(getattr(model, column).is_not(None))):
            sealed = getattr(row, column)
            if keyring.needs_rewrap(sealed):
                setattr(row, column, keyring.rewrap(sealed, context=context(row)))
                report.resealed[name] += 1
    stale = session.scalars(sa.select(accounts.Account).where(
        accounts.Account.sealed_national_id.is_not(None),
        sa.or_(accounts.Account.nid_hash_key.is_(None), accounts.Account.nid_hash_key != keyring.current_id)))
    for account in stale:
        assert account.sealed_national_id is not None
        nid = keyring.open(account.sealed_national_id, context=account.context("national_id")).decode()
        account.nid_hash = keyed_hash(keyring.current, nid, purpose=accounts.LOOKUP_PURPOSE)
        account.nid_hash_key = keyring.current_id
        report.rehashed += 1
    session.flush()
    return report
