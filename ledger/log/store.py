"""Reading stored tree hashes in one batched query per table (O(log n) ids per proof)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credentials.merkle import NodeId
from ledger.log.models import LogEntry, LogNode


def fetch_nodes(session: Session, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
    """Hashes of the given perfect nodes: level 0 from the entries, higher levels from the node table."""
    out: dict[NodeId, bytes] = {}
    leaves = [i for level, i in ids if level == 0]
    inner = [(level, i) for level, i in ids if level > 0]
    if leaves:
        rows = session.execute(sa.select(LogEntry.index, LogEntry.leaf_hash).where(LogEntry.index.in_(leaves)))
        out.update(((0, idx), h) for idx, h in rows)
    if inner:
        # OR-ed point conditions: SQLite does not use the primary key for a row-value IN list.
        cond = sa.or_(*(sa.and_(LogNode.level == lv, LogNode.idx == i) for lv, i in inner))
        rows = session.execute(sa.select(LogNode.level, LogNode.idx, LogNode.hash).where(cond))
        out.update(((lv, i), h) for lv, i, h in rows)
    return out
