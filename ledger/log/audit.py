"""Audit: recompute the whole tree from stored leaf bytes and check every stored hash and checkpoint."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credentials import merkle
from credentials.checkpoint import open_checkpoint
from credentials.errors import CredentialError
from credentials.note import Verifier
from ledger.log.append import tree_head
from ledger.log.models import LogEntry, LogNode, SignedCheckpoint

CHUNK = 20_000


@dataclass
class AuditReport:
    """What the audit checked, and the first problem found (None when all is well)."""

    entries: int = 0
    nodes: int = 0
    checkpoints: int = 0
    problem: str | None = None
    bad_index: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was wrong."""
        return self.problem is None


def _stream(session: Session, stmt: sa.Select[Any, Any, Any]) -> Iterator[Any]:
    # Core rows on the session's connection (same transaction), streamed: no ORM row processing.
    if session.autoflush:
        session.flush()  # as session.execute would have
    result = session.connection().execute(stmt.execution_options(yield_per=CHUNK))
    yield from result


# A leaf exactly as `leaf_bytes` writes it for plain strings: canonical JSON, keys in order, strings of
# printable ASCII without `"` or `\\` (so no escapes), the index in canonical decimal. For a leaf this
# matches, json.loads(leaf)["index"] is int(group 1) — nothing else in it can parse as a key or value —
# so the audit takes the index from the match and calls json.loads only for leaves it does not match.
_S = rb'"[\x20\x21\x23-\x5b\x5d-\x7e]*"'
_CANONICAL_LEAF = re.compile(rb'\{"digest":' + _S + rb',"index":(0|[1-9][0-9]*),"issuer":' + _S + rb',"kind":' + _S
                             + rb',"subject":' + _S + rb',"time":' + _S + rb',"v":1\}')


def _envelope_index(leaf: bytes) -> object:
    """`json.loads(leaf)["index"]`; raises as json.loads / indexing would."""
    m = _CANONICAL_LEAF.fullmatch(leaf)
    if m is not None:
        return int(m[1])
    return json.loads(leaf)["index"]


def audit(session: Session, verifiers: Sequence[Verifier], origin: str) -> AuditReport:
    """Check leaves, envelope indexes, stored leaf and node hashes, the head, and every checkpoint.

    Stops at the first problem, naming the first bad entry index where one can be named.
    """
    report = AuditReport()
    leaf_hashes: list[bytes] = []
    expected = 0
    stmt = sa.select(LogEntry.index, LogEntry.leaf, LogEntry.leaf_hash).order_by(LogEntry.index)
    sha256, append, envelope_index = hashlib.sha256, leaf_hashes.append, _envelope_index
    for index, leaf, stored_hash in _stream(session, stmt):
        if index != expected:
            return _fail(report, expected, f"entry {expected} is missing (next stored index is {index})")
        leaf = bytes(leaf)
        computed = sha256(b"\x00" + leaf).digest()  # merkle.leaf_hash, inlined
        if computed != bytes(stored_hash):
            return _fail(report, index, f"entry {index}: stored leaf hash does not match its leaf bytes")
        try:
            env_index = envelope_index(leaf)
        except (ValueError, KeyError, TypeError):
            return _fail(report, index, f"entry {index}: leaf is not an envelope")
        if env_index != index:
            return _fail(report, index, f"entry {index}: envelope says index {env_index}")
        append(computed)
        expected += 1
    report.entries = expected

    levels = merkle.perfect_levels(leaf_hashes)
    del leaf_hashes  # levels[0] is a copy
    node_stmt = sa.select(LogNode.level, LogNode.idx, LogNode.hash).order_by(LogNode.level, LogNode.idx)
    seen = 0
    widths = [len(lv) for lv in levels]
    height = len(levels)
    for level, idx, stored in _stream(session, node_stmt):
        seen += 1
        if level >= height or idx >= widths[level]:
            return _fail(report, idx << level, f"stored node ({level},{idx}) is beyond the tree")
        if levels[level][idx] != bytes(stored):
            return _fail(report, idx << level, f"stored node ({level},{idx}) does not match the leaves below it "
                                               f"(first entry {idx << level})")
    wanted = sum(widths[1:])
    if seen != wanted:
        return _fail(report, None, f"{wanted - seen} stored nodes are missing")
    report.nodes = seen

    tree = _Levels(levels)
    size, root = tree_head(session)
    if size != report.entries or (size and root != tree.root(size)):
        return _fail(report, None, f"log head (size {size}) does not match the recomputed tree")

    previous: tuple[int, bytes] | None = None
    cps = session.scalars(sa.select(SignedCheckpoint).order_by(SignedCheckpoint.size))
    for cp in cps:
        try:
            opened = _open_any(cp.note, verifiers, origin)
        except CredentialError as e:
            return _fail(report, None, f"checkpoint {cp.size}: signature or format invalid ({e})")
        if opened.size != cp.size or opened.root_hash != bytes(cp.root_hash):
            return _fail(report, None, f"checkpoint {cp.size}: note does not match its archived row")
        if cp.size > report.entries:
            return _fail(report, None, f"checkpoint {cp.size} covers more entries than the log holds")
        if tree.root(cp.size) != opened.root_hash:
            return _fail(report, None, f"checkpoint {cp.size}: signed root differs from the recomputed tree")
        if previous is not None:
            try:
                merkle.verify_consistency(previous[0], cp.size, tree.consistency_proof(previous[0], cp.size),
                                          previous[1], opened.root_hash)
            except CredentialError as e:
                return _fail(report, None, f"checkpoints {previous[0]} and {cp.size} are inconsistent ({e})")
        previous = (cp.size, opened.root_hash)
        report.checkpoints += 1
    return report


class _Levels:
    """The recomputed tree (`levels[L][i]` = node (L, i)), answering as `merkle.MemoryTree` does.

    Built from the levels the audit already has, instead of hashing the whole tree a second time.
    """

    def __init__(self, levels: list[list[bytes]]) -> None:
        self._levels = levels

    def _fetch(self, ids: Sequence[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
        levels = self._levels
        out = {}
        for level, index in ids:
            if level < 0 or index < 0 or level >= len(levels) or index >= len(levels[level]):
                raise KeyError((level, index))
            out[(level, index)] = levels[level][index]
        return out

    def root(self, size: int) -> bytes:
        return merkle.root_at(size, self._fetch)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        plan = merkle.consistency_plan(old_size, new_size)
        return plan.assemble(self._fetch(plan.ids))


def _open_any(note: str, verifiers: Sequence[Verifier], origin: str):  # type: ignore[no-untyped-def]
    last: Exception | None = None
    for v in verifiers:
        try:
            return open_checkpoint(note.encode(), v, origin)
        except CredentialError as e:
            last = e
    raise last if last else CredentialError("no log key to verify with")


def _fail(report: AuditReport, index: int | None, problem: str) -> AuditReport:
    report.problem = problem
    report.bad_index = index
    return report


def audit_summary(session: Session, origin: str) -> dict[str, Any]:
    """Audit the bank's log against every log key it ever had under `origin`: a JSON-ready summary.

    What `flask log audit` prints and the operator page shows: ok, counts, time taken, and on a problem
    the problem and the first bad index.
    """
    import time

    from ledger import bankkeys

    verifiers = [Verifier.from_public_key(k.name, k.public())
                 for k in bankkeys.all_keys(session, bankkeys.LOG_PURPOSE) if k.name == origin]
    started = time.perf_counter()
    report = audit(session, verifiers, origin)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {"ok": report.ok, "entries": report.entries, "nodes": report.nodes,
                           "checkpoints": report.checkpoints, "seconds": round(seconds, 3),
                           "entries_per_second": round(report.entries / seconds) if seconds and report.entries else None}
    if not report.ok:
        out["problem"] = report.problem
        out["first_bad_index"] = report.bad_index
    return out
