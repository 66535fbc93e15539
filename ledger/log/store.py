"""Reading stored tree hashes in one batched query per table (O(log n) ids per proof)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credentials.merkle import NodeId
from ledger.log.models import LogEntry, LogNode

_LEAF_HASHES = (sa.select(LogEntry.index, LogEntry.leaf_hash)
                .where(LogEntry.index.in_(sa.bindparam("indexes", expanding=True))))


@functools.lru_cache(maxsize=128)
def _inner_query(n: int) -> sa.TextualSelect:
    """`SELECT level, idx, hash … WHERE (level = :l0 AND idx = :i0) OR …` for n ids, built once per n.

    OR-ed point conditions: SQLite does not use the primary key for a row-value IN list. Plain SQL text
    (typed result columns) because building and cache-keying an n-term expression per request cost more
    than the query itself.
    """
    cond = " OR ".join(f"(level = :l{k} AND idx = :i{k})" for k in range(n))
    return sa.text(f"SELECT level, idx, hash FROM {LogNode.__tablename__} WHERE {cond}").columns(
        LogNode.level, LogNode.idx, LogNode.hash)


_ENTRY_LEAVES = (sa.select(LogEntry.index, LogEntry.leaf_hash, LogEntry.leaf)
                 .where(LogEntry.index.in_(sa.bindparam("indexes", expanding=True))))


def fetch_nodes(session: Session, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
    """Hashes of the given perfect nodes: level 0 from the entries, higher levels from the node table."""
    return fetch_nodes_and_leaf(session, ids, None)[0]


def fetch_nodes_and_leaf(
    session: Session, ids: Sequence[NodeId], entry: int | None
) -> tuple[dict[NodeId, bytes], tuple[bytes, bytes] | None]:
    """`fetch_nodes`, plus the (leaf, leaf_hash) of entry `entry` read in the same query (None if absent)."""
    out: dict[NodeId, bytes] = {}
    found: tuple[bytes, bytes] | None = None
    leaves = [i for level, i in ids if level == 0]
    inner = [(level, i) for level, i in ids if level > 0]
    if entry is not None:
        for idx, h, leaf in session.execute(_ENTRY_LEAVES, {"indexes": [*leaves, entry]}):
            if idx == entry:
                found = (leaf, h)
            out[(0, idx)] = h
        if entry not in leaves:
            out.pop((0, entry), None)
    elif leaves:
        out.update(((0, idx), h) for idx, h in session.execute(_LEAF_HASHES, {"indexes": leaves}))
    if inner:
        params = {}
        for k, (lv, i) in enumerate(inner):
            params[f"l{k}"] = lv
            params[f"i{k}"] = i
        node_rows: Any = session.execute(_inner_query(len(inner)), params)  # typed columns, untyped Row
        out.update(((lv, i), h) for lv, i, h in node_rows)
    return out, found
