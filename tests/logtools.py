"""Helpers for log tests: append synthetic entries through the ledger service."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy.orm import Session

from ledger.db import begin_write
from ledger.log import NewEntry, append_entries


def synthetic_entries(n: int, kind: str = "record") -> list[NewEntry]:
    """`n` entries about random accounts, with digests of random objects."""
    return [
        NewEntry(kind=kind, subject_ref=f"urn:uuid:{uuid.uuid4()}", issuer="did:key:z6MkTestIssuer",
                 digest="sha256:" + hashlib.sha256(uuid.uuid4().bytes).hexdigest(), actor="client:test")
        for _ in range(n)
    ]


def append_committed(session: Session, n: int) -> list[int]:
    """Append `n` entries in one transaction and commit; return their indexes."""
    begin_write(session)
    out = append_entries(session, synthetic_entries(n))
    session.commit()
    return [e.index for e in out]


def appender_process(url: str, transactions: int, per_transaction: int) -> list[int]:
    """Run in another process: append through the ledger service on its own engine; return indexes."""
    import sqlalchemy as sa

    from ledger.db import configure_engine

    engine = sa.create_engine(url)
    configure_engine(engine)
    out: list[int] = []
    with Session(engine) as session:
        for _ in range(transactions):
            out.extend(append_committed(session, per_transaction))
    engine.dispose()
    return out
