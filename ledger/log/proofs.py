"""Inclusion and consistency proofs served from stored hashes, bounded by the latest signed checkpoint."""

from __future__ import annotations

import base64
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credentials import merkle
from ledger.errors import FieldProblem, Invalid, NotFound
from ledger.log.checkpoints import latest_checkpoint_size
from ledger.log.models import LogEntry
from ledger.log.store import fetch_nodes, fetch_nodes_and_leaf


def b64(data: bytes) -> str:
    """Standard padded base64, as the proof formats use."""
    return base64.b64encode(data).decode()


def _bad(field: str, en: str, zh: str) -> Invalid:
    return Invalid(en, zh, [FieldProblem(field, en, zh)])


def _published_size(session: Session, tree_size: int | None, field: str = "tree_size") -> int:
    signed = latest_checkpoint_size(session)
    if tree_size is None:
        if signed == 0:
            raise NotFound("no checkpoint has been signed yet; try again shortly", "尚未签署检查点，请稍后再试")
        return signed
    if tree_size < 1:
        raise _bad(field, "tree size must be at least 1", "树大小至少为 1")
    if tree_size > signed:
        raise _bad(field, f"tree size {tree_size} is beyond the latest signed checkpoint ({signed})",
                   f"树大小 {tree_size} 超出最新已签署检查点（{signed}）")
    return tree_size


def entry_row(session: Session, index: int) -> LogEntry:
    """One entry by index, or NotFound."""
    row = session.get(LogEntry, index) if 0 <= index < 2**62 else None
    if row is None:
        raise NotFound(f"no entry {index}", f"没有第 {index} 条记录")
    return row


def inclusion_proof(session: Session, index: int, tree_size: int | None = None) -> dict[str, Any]:
    """`{"leaf_index","tree_size","leaf_hash_b64","leaf_data_b64","audit_path"}` (DESIGN.md §3)."""
    size = _published_size(session, tree_size)
    if index < 0 or index >= size:
        raise _bad("index", f"index {index} is not in a tree of size {size}", f"索引 {index} 不在大小为 {size} 的树中")
    plan = merkle.inclusion_plan(index, size)
    # The audit path and the entry's own leaf in one read of the entries (plus one of the nodes).
    fetched, entry = fetch_nodes_and_leaf(session, plan.ids, index)
    path = plan.assemble(fetched)
    if entry is None:
        raise NotFound(f"no entry {index}", f"没有第 {index} 条记录")
    leaf, leaf_hash = entry
    return {"leaf_index": index, "tree_size": size, "leaf_hash_b64": b64(leaf_hash),
            "leaf_data_b64": b64(leaf), "audit_path": [b64(h) for h in path]}


def consistency_proof(session: Session, old_size: int, new_size: int | None = None) -> dict[str, Any]:
    """`{"old_size","old_root_b64","new_size","consistency_path"}`; sizes 1 ≤ old ≤ new ≤ signed."""
    new = _published_size(session, new_size, "new_size")
    if old_size < 1:
        raise _bad("old_size", "a consistency proof from size 0 means nothing", "从大小 0 开始的一致性证明没有意义")
    if old_size > new:
        raise _bad("old_size", f"old size {old_size} is larger than new size {new}",
                   f"旧大小 {old_size} 大于新大小 {new}")
    plan = merkle.consistency_plan(old_size, new)
    fetched = fetch_nodes(session, plan.ids)
    root_plan = merkle.root_plan(old_size)
    fetched.update(fetch_nodes(session, [i for i in root_plan.ids if i not in fetched]))
    old_root = root_plan.assemble(fetched)[0]
    return {"old_size": old_size, "old_root_b64": b64(old_root), "new_size": new,
            "consistency_path": [b64(h) for h in plan.assemble(fetched)]}


def root_at(session: Session, size: int) -> bytes:
    """Root of the tree at any appended size, from stored hashes."""
    return merkle.root_at(size, lambda ids: fetch_nodes(session, ids))


def entries_range(session: Session, start: int, end: int) -> list[LogEntry]:
    """Entries with start ≤ index < end (at most 1,000)."""
    if start < 0 or end <= start:
        raise _bad("end", "need 0 ≤ start < end", "需要 0 ≤ start < end")
    if end - start > 1000:
        raise _bad("end", "at most 1,000 entries per request", "每次最多 1000 条")
    return list(session.scalars(
        sa.select(LogEntry).where(LogEntry.index >= start, LogEntry.index < end).order_by(LogEntry.index)))
