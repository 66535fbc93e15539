"""Appending entries: indexes assigned inside the caller's transaction under the log head lock."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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

    Hot path (DESIGN.md §2): the rows go to the DBAPI driver directly — sqlite3 `executemany`, psycopg
    `COPY` — on the session's own connection, so inside the same transaction; the stored values are
    the ones the ORM insert would bind (the time column goes through its SQLAlchemy bind processor).
    """
    if not entries:
        return []
    head = lock_head(session)  # also autoflushes whatever the caller added before
    size = head.size
    now = utcnow()
    stamp = log_time(now)
    frontier_ids = merkle.frontier_ids(size)
    fetched = fetch_nodes(session, frontier_ids) if frontier_ids else {}
    frontier = [fetched[i] for i in frontier_ids]

    plan = _plan(session.connection().dialect)
    stored_time = plan[1](now) if plan is not None else now  # bound once, as the ORM would bind it per row

    urandom, sha256, make_leaf, commit_to = os.urandom, hashlib.sha256, leaf_bytes, commitment
    rows: list[tuple[Any, ...]] = []  # in _ENTRY_COLUMNS order
    hashes: list[bytes] = []
    index = size
    for e in entries:
        salt = urandom(16)
        leaf = make_leaf(index, e.kind, commit_to(salt, e.subject_ref), e.issuer, e.digest, stamp)
        lh = sha256(b"\x00" + leaf).digest()  # merkle.leaf_hash, inlined
        rows.append((index, leaf, lh, e.kind, stored_time, salt, e.subject_ref, e.actor, e.object_ref))
        hashes.append(lh)
        index += 1

    result = merkle.append(size, frontier, hashes)
    nodes = [n for n in result.new_nodes if n[0] > 0]
    _insert(session, plan, rows, nodes)
    session.execute(
        sa.update(LogHead).where(LogHead.id == HEAD_ID)
        .values(size=result.new_size, root_hash=result.root, updated_at=now)
    )
    session.expire(head)
    return [AppendedEntry(index=r[0], leaf=r[1], leaf_hash=r[2], time=now) for r in rows]


_ENTRY_COLUMNS = ("index", "leaf", "leaf_hash", "kind", "time", "subject_salt", "subject_ref", "actor", "object_ref")
_NODE_COLUMNS = ("level", "idx", "hash")


_plans: weakref.WeakKeyDictionary[sa.Dialect, tuple[str, Callable[[Any], Any]] | None] = weakref.WeakKeyDictionary()


def _plan(dialect: sa.Dialect) -> tuple[str, Callable[[Any], Any]] | None:
    """How to write rows straight to this driver: ("sqlite"|"psycopg", bind processor of `time`), or None.

    The processor is SQLAlchemy's own chain for the column (UTCDateTime, then e.g. SQLite's string
    format), so the driver receives exactly the value the ORM insert would have sent.

    None (use the ORM insert) when a column other than `time` and the binary ones has a bind processor
    here, i.e. when the driver would be handed something other than the plain Python values. Binary
    columns only wrap bytes in the driver's `Binary` (sqlite3: memoryview; psycopg: Binary), which both
    drivers store exactly as they store the bytes themselves (BLOB / bytea).
    """
    if dialect not in _plans:
        kind = {"pysqlite": "sqlite", "psycopg": "psycopg"}.get(dialect.driver)
        procs = {c.name: c.type.dialect_impl(dialect).bind_processor(dialect)
                 for c in (*LogEntry.__table__.c, *LogNode.__table__.c) if not isinstance(c.type, sa.LargeBinary)}
        time_proc = procs.pop("time")
        if kind is None or any(p is not None for p in procs.values()):
            _plans[dialect] = None
        else:
            _plans[dialect] = kind, (time_proc if time_proc is not None else (lambda v: v))
    return _plans[dialect]


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


_SQLITE_ENTRIES = (f"INSERT INTO {LogEntry.__tablename__} ({_quoted(_ENTRY_COLUMNS)}) "
                   f"VALUES ({', '.join('?' * len(_ENTRY_COLUMNS))})")
_SQLITE_NODES = f"INSERT INTO {LogNode.__tablename__} ({_quoted(_NODE_COLUMNS)}) VALUES (?, ?, ?)"
_COPY_ENTRIES = f"COPY {LogEntry.__tablename__} ({_quoted(_ENTRY_COLUMNS)}) FROM STDIN"
_COPY_NODES = f"COPY {LogNode.__tablename__} ({_quoted(_NODE_COLUMNS)}) FROM STDIN"


def _insert(session: Session, plan: tuple[str, Callable[[Any], Any]] | None, rows: list[tuple[Any, ...]],
            nodes: list[tuple[int, int, bytes]]) -> None:
    """Insert entry rows (in `_ENTRY_COLUMNS` order) and node rows `(level, idx, hash)`."""
    if plan is None:
        session.execute(sa.insert(LogEntry), [dict(zip(_ENTRY_COLUMNS, row, strict=True)) for row in rows])
        if nodes:
            session.execute(sa.insert(LogNode), [dict(zip(_NODE_COLUMNS, node, strict=True)) for node in nodes])
        return
    driver: Any = session.connection().connection.driver_connection
    if plan[0] == "sqlite":
        cur = driver.cursor()
        try:
            cur.executemany(_SQLITE_ENTRIES, rows)
            if nodes:
                cur.executemany(_SQLITE_NODES, nodes)
        finally:
            cur.close()
        return
    with driver.cursor() as cur:
        with cur.copy(_COPY_ENTRIES) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
        if nodes:
            with cur.copy(_COPY_NODES) as copy:
                write = copy.write_row
                for node in nodes:
                    write(node)


def tree_head(session: Session) -> tuple[int, bytes]:
    """The current (size, root) without locking."""
    row = session.execute(sa.select(LogHead.size, LogHead.root_hash).where(LogHead.id == HEAD_ID)).one_or_none()
    return (0, merkle.EMPTY_ROOT) if row is None else (int(row[0]), bytes(row[1]))
