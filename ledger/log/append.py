"""Appending entries: indexes assigned inside the caller's transaction under the log head lock."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from credentials import merkle
from ledger.db import utcnow
from ledger.log.envelope import commitment, leaf_bytes, log_time
from ledger.log.models import LogEntry, LogHead, LogNode
from ledger.log.store import fetch_nodes

HEAD_ID = 1


@dataclass(frozen=True)
class NewEntry:
    """What a service appends; the envelope is built here."""

    kind: str
    subject_ref: str  # what the subject commitment binds: an account id, an institution id …
    issuer: str  # did of the key that signed the object (the bank's did for people without keys)
    digest: str  # "sha256:<hex>" of the JCS bytes of the stored signed object
    actor: str | None = None  # who did it, kept privately beside the entry
    object_ref: str | None = None  # the bank's id of the stored object (record id, share id …)


@dataclass(frozen=True)
class AppendedEntry:
    """An entry as appended: its index and leaf."""

    index: int
    leaf: bytes
    leaf_hash: bytes
    time: dt.datetime


def _ensure_head(session: Session) -> None:
    values = {"id": HEAD_ID, "size": 0, "root_hash": merkle.EMPTY_ROOT, "updated_at": utcnow()}
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LogHead).values(values)
    session.execute(ins.on_conflict_do_nothing(index_elements=["id"]))


def lock_head(session: Session) -> LogHead:
    """The head row, locked for this transaction (PostgreSQL FOR UPDATE; SQLite holds the write lock)."""
    stmt = sa.select(LogHead).where(LogHead.id == HEAD_ID).with_for_update()
    head = session.scalars(stmt).one_or_none()
    if head is None:
        _ensure_head(session)
        head = session.scalars(stmt).one()
    return head


def append_entries(session: Session, entries: Sequence[NewEntry]) -> list[AppendedEntry]:
    """Append entries as one unit of the caller's transaction (the caller commits or rolls back).

    The caller opens the transaction with `ledger.db.begin_write` before reading anything it bases the
    write on, so that on SQLite writers queue on BEGIN IMMEDIATE rather than fail.
    """
    if not entries:
        return []
    head = lock_head(session)
    size = head.size
    now = utcnow()
    stamp = log_time(now)
    frontier_ids = merkle.frontier_ids(size)
    fetched = fetch_nodes(session, frontier_ids) if frontier_ids else {}
    frontier = [fetched[i] for i in frontier_ids]

    rows = []
    appended = []
    for offset, e in enumerate(entries):
        index = size + offset
        salt = os.urandom(16)
        leaf = leaf_bytes(index, e.kind, commitment(salt, e.subject_ref), e.issuer, e.digest, stamp)
        lh = merkle.leaf_hash(leaf)
        rows.append({"index": index, "leaf": leaf, "leaf_hash": lh, "kind": e.kind, "time": now,
                     "subject_salt": salt, "subject_ref": e.subject_ref, "actor": e.actor,
                     "object_ref": e.object_ref})
        appended.append(AppendedEntry(index=index, leaf=leaf, leaf_hash=lh, time=now))

    result = merkle.append(size, frontier, [a.leaf_hash for a in appended])
    nodes = [{"level": lv, "idx": i, "hash": h} for lv, i, h in result.new_nodes if lv > 0]
    session.execute(sa.insert(LogEntry), rows)
    if nodes:
        session.execute(sa.insert(LogNode), nodes)
    session.execute(
        sa.update(LogHead).where(LogHead.id == HEAD_ID)
        .values(size=result.new_size, root_hash=result.root, updated_at=now)
    )
    session.expire(head)
    return appended


def tree_head(session: Session) -> tuple[int, bytes]:
    """The current (size, root) without locking."""
    row = session.execute(sa.select(LogHead.size, LogHead.root_hash).where(LogHead.id == HEAD_ID)).one_or_none()
    return (0, merkle.EMPTY_ROOT) if row is None else (int(row[0]), bytes(row[1]))
