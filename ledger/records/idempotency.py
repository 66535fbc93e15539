"""`Idempotency-Key`: the first answer to a request, replayed to its retries (per client, 24 hours).

The key is reserved (a row with status 0) inside the request's own write transaction, before the work:
a concurrent request with the same key then waits on the row (PostgreSQL) or on the write lock
(SQLite) and, once the first commits, finds its answer, or hits the primary key and retries. A request
that fails keeps nothing, so its retry runs afresh. Only successful answers are kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ledger.db import begin_write, utcnow
from ledger.errors import Conflict, FieldProblem
from ledger.records.models import IdempotencyKey

TTL = dt.timedelta(hours=24)


def request_hash(*parts: bytes | str) -> str:
    """A digest of what makes two requests the same (method, path, query, body)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


@dataclass(frozen=True)
class Stored:
    """A first answer, to be replayed."""

    status: int
    response: dict[str, Any]


def begin(session: Session, client: str, key: str, digest: str) -> Stored | None:
    """The stored answer for (client, key), or None after reserving the key for this request.

    Raises Conflict if the key was used with another request.
    """
    begin_write(session)
    now = utcnow()
    row = session.get(IdempotencyKey, (client, key))
    if row is not None and row.created_at < now - TTL:
        session.delete(row)
        session.flush()
        row = None
    if row is not None:
        if row.request_hash != digest:
            raise Conflict("this Idempotency-Key was used with a different request",
                           "该 Idempotency-Key 已用于另一个不同的请求",
                           [FieldProblem("Idempotency-Key", "used with a different request", "已用于不同的请求")])
        if row.status == 0 or row.response is None:
            raise Conflict("a request with this Idempotency-Key is still running", "使用该 Idempotency-Key 的请求仍在处理中")
        return Stored(row.status, row.response)
    session.add(IdempotencyKey(client=client, key=key, request_hash=digest, status=0, response=None, created_at=now))
    session.flush()
    return None


def finish(session: Session, client: str, key: str, status: int, response: dict[str, Any]) -> None:
    """Keep the answer of the request that reserved the key."""
    row = session.get(IdempotencyKey, (client, key))
    assert row is not None
    row.status = status
    row.response = response
    session.flush()
