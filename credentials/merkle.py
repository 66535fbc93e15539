"""RFC 6962 / RFC 9162 SHA-256 Merkle tree: hashing, appends, proofs from stored nodes, verification.

Storage model: the hash of every *perfect* subtree is stored once, addressed by ``(level, index)``;
node ``(L, i)`` covers leaves ``[i * 2**L, (i + 1) * 2**L)``, level 0 holds the leaf hashes. Nodes
never change once written, so appends only add rows and proofs are a handful of point reads.
Non-perfect subtrees (the right edge of a tree whose size is not a power of two) are never stored;
they are folded on the fly from the perfect subtrees that make them up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat

from credentials.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
"""``(level, index)`` of a perfect subtree."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash ``SHA-256(0x00 ‖ data)``."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash ``SHA-256(0x01 ‖ left ‖ right)``."""
    return _sha256(b"\x01" + left + right).digest()


def hash_leaves(leaves: Iterable[bytes]) -> list[bytes]:
    """Leaf hashes of many leaves at once (the bulk path used by audits)."""
    sha = _sha256
    return [sha(b"\x00" + data).digest() for data in leaves]


def _pair_up(hashes: Sequence[bytes]) -> list[bytes]:
    """Parents of consecutive pairs; a trailing odd hash is left out (it has no sibling yet)."""
    sha = _sha256
    it = iter(hashes)
    # A plain comprehension over zip(it, it) measured fastest here (beats joins, memoryviews, map).
    return [sha(b"\x01" + left + right).digest() for left, right in zip(it, it, strict=False)]


def _split(n: int) -> int:
    """Largest power of two strictly less than ``n`` (n >= 2): the RFC 6962 split point."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_ids(start: int, end: int) -> tuple[NodeId, ...]:
    """Perfect subtrees that make up ``[start, end)``, largest first.

    Valid for the ranges RFC 6962 recursion produces: ``start`` is a multiple of a power of two
    at least ``end - start``, so each piece lands on its own alignment.
    """
    ids: list[NodeId] = []
    n = end - start
    pos = start
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            ids.append((level, pos >> level))
            pos += 1 << level
    return tuple(ids)


def frontier_ids(size: int) -> list[NodeId]:
    """The perfect subtrees that decompose ``[0, size)``, largest first (one per set bit of size)."""
    if size < 0:
        raise ValueError("tree size must be non-negative")
    return list(_range_ids(0, size))


def root_from_frontier(frontier_hashes: Sequence[bytes]) -> bytes:
    """Root hash from the frontier (largest subtree first), folding right to left."""
    if not frontier_hashes:
        return EMPTY_ROOT
    root = frontier_hashes[-1]
    for left in reversed(frontier_hashes[:-1]):
        root = node_hash(left, root)
    return root


def _check_hashes(hashes: Iterable[bytes], what: str) -> None:
    """Raise ValueError unless every item is a 32-byte hash."""
    for h in hashes:
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            raise ValueError(f"{what} must be {HASH_SIZE}-byte hashes")


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What an append adds: the new perfect nodes to store and the new head of the tree."""

    new_nodes: list[tuple[int, int, bytes]]
    new_size: int
    new_frontier: list[bytes]
    root: bytes


def append(size: int, frontier_hashes: Sequence[bytes], new_leaf_hashes: Sequence[bytes]) -> AppendResult:
    """Append leaf hashes to a tree known only by its size and frontier.

    Works level by level: the new nodes at level L are the pairs formed by the new level-(L-1)
    nodes, preceded by the old frontier node at that level when the old size left it unpaired.
    Cost is one hash per new node (about one per leaf), never a recomputation.
    """
    ids = frontier_ids(size)
    if len(frontier_hashes) != len(ids):
        raise ValueError(
            f"a tree of size {size} has a frontier of {len(ids)} hashes, got {len(frontier_hashes)}"
        )
    _check_hashes(frontier_hashes, "frontier hashes")
    current = list(new_leaf_hashes)
    _check_hashes(current, "leaf hashes")
    new_size = size + len(current)
    by_level = {level: h for (level, _), h in zip(ids, frontier_hashes, strict=True)}
    new_nodes: list[tuple[int, int, bytes]] = []
    level, lo, hi = 0, size, new_size
    # Invariant: `current` holds the new nodes (level, lo) .. (level, hi - 1).
    while lo < hi:
        new_nodes.extend(zip(repeat(level), range(lo, hi), current, strict=False))
        row = [by_level[level], *current] if lo & 1 else current
        if hi & 1:
            by_level[level] = row[-1]
        else:
            by_level.pop(level, None)
        current = _pair_up(row)
        level, lo, hi = level + 1, lo >> 1, hi >> 1
    # Levels the loop never reached have the same bit in both sizes, so their frontier node stands.
    new_frontier = [by_level[lvl] for lvl, _ in frontier_ids(new_size)]
    return AppendResult(new_nodes, new_size, new_frontier, root_from_frontier(new_frontier))


@dataclass(frozen=True, slots=True)
class ProofPlan:
    """The stored nodes a proof needs, and how to fold them into the proof's hashes.

    Each component is one hash of the proof: the right fold of the perfect subtrees listed for it
    (a single id when the subtree is itself perfect).
    """

    components: tuple[tuple[NodeId, ...], ...]

    @property
    def ids(self) -> list[NodeId]:
        """Every node id to fetch, deduplicated, in (level, index) order: one batched read."""
        return sorted({node for component in self.components for node in component})

    def assemble(self, fetched: Mapping[NodeId, bytes]) -> list[bytes]:
        """Proof hashes in RFC order (leaf to root) from the fetched nodes; ProofError if one is missing."""
        out: list[bytes] = []
        for component in self.components:
            try:
                hashes = [fetched[node] for node in component]
            except KeyError as exc:
                raise ProofError(f"stored Merkle node {exc.args[0]} is missing") from None
            _check_stored(hashes)
            out.append(root_from_frontier(hashes))
        return out


def _check_stored(hashes: Sequence[bytes]) -> None:
    """Raise ProofError if storage handed back something that is not a 32-byte hash."""
    for h in hashes:
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            raise ProofError("stored Merkle node is not a 32-byte hash")


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """Plan for the audit path of leaf ``index`` in the tree of ``size`` (RFC 9162 §2.1.3.1 PATH)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    components: list[tuple[NodeId, ...]] = []
    lo, hi = 0, size
    # Walk down from the root; each step's sibling sits one level nearer the root than the next,
    # so the list is reversed at the end to give the RFC's leaf-to-root order.
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            components.append(_range_ids(lo + k, hi))
            hi = lo + k
        else:
            components.append(_range_ids(lo, lo + k))
            lo += k
    components.reverse()
    return ProofPlan(tuple(components))


def consistency_plan(old_size: int, new_size: int) -> ProofPlan:
    """Plan for the consistency path from ``old_size`` to ``new_size`` (RFC 9162 §2.1.4.1 SUBPROOF)."""
    if old_size <= 0:
        raise ValueError("a consistency proof from the empty tree is meaningless")
    if old_size > new_size:
        raise ValueError(f"old size {old_size} exceeds new size {new_size}")
    components: list[tuple[NodeId, ...]] = []
    lo, hi = 0, new_size
    whole_old_tree = True  # SUBPROOF's flag b: the old root is known to the verifier, so omit it
    while old_size != hi:
        k = _split(hi - lo)
        if old_size <= lo + k:
            components.append(_range_ids(lo + k, hi))
            hi = lo + k
        else:
            components.append(_range_ids(lo, lo + k))
            lo += k
            whole_old_tree = False
    if not whole_old_tree:
        components.append(_range_ids(lo, hi))
    components.reverse()
    return ProofPlan(tuple(components))


def root_plan(size: int) -> ProofPlan:
    """Plan whose single assembled hash is the root of the tree of ``size`` (size >= 1)."""
    if size <= 0:
        raise ValueError("the empty tree has no stored nodes; its root is EMPTY_ROOT")
    return ProofPlan((_range_ids(0, size),))


Fetch = Callable[[Sequence[NodeId]], Mapping[NodeId, bytes]]
"""A batched read: node ids in, ``{id: hash}`` out."""


def root_at(size: int, fetch: Fetch) -> bytes:
    """Root of the tree at any past or present size, from its frontier nodes in one read."""
    if size == 0:
        return EMPTY_ROOT
    plan = root_plan(size)
    return plan.assemble(fetch(plan.ids))[0]


def _check_proof_hashes(path: Sequence[bytes], *roots: bytes) -> None:
    """Raise ProofError unless every proof element and root is a 32-byte hash."""
    for h in (*path, *roots):
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            raise ProofError(f"proof hashes must be {HASH_SIZE} bytes")


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf`` (a leaf hash) is at ``index`` in the tree of ``size`` with ``root``; else ProofError."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    _check_proof_hashes(path, leaf, root)
    # RFC 9162 §2.1.3.2, step by step; fn/sn track the node's and the last node's index per level.
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if r != root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, path: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree of ``new_size`` extends the tree of ``old_size``; else ProofError."""
    if old_size <= 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if old_size > new_size:
        raise ProofError(f"old size {old_size} exceeds new size {new_size}")
    _check_proof_hashes(path, old_root, new_root)
    if old_size == new_size:
        if path:
            raise ProofError("trees of equal size need an empty consistency proof")
        if old_root != new_root:
            raise ProofError("trees of equal size have different roots")
        return
    if not path:
        raise ProofError("consistency proof is empty")
    # RFC 9162 §2.1.4.2. When the old tree is perfect its root is the first node of the walk
    # but is not sent, so it is put back here.
    nodes = list(path)
    if old_size & (old_size - 1) == 0:
        nodes.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")


def perfect_levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every perfect node of a tree, ``levels[L][i]`` = node (L, i), computed level by level.

    The bulk path for audits: one hash per node and list comprehensions only, no per-node objects.
    """
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        levels.append(_pair_up(levels[-1]))
    return levels


class MemoryTree:
    """A whole tree held in memory, stored the same way as the service stores it (tests, audits, bench)."""

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        """Build every perfect node of a tree from its leaf hashes."""
        _check_hashes(leaf_hashes, "leaf hashes")
        self._levels = perfect_levels(leaf_hashes)

    @classmethod
    def from_leaves(cls, leaves: Iterable[bytes]) -> MemoryTree:
        """Tree over raw leaf bytes (hashed with ``leaf_hash``): the audit's bulk recompute."""
        tree = cls.__new__(cls)
        # The hashes are made right here, so the per-hash length check of __init__ is skipped.
        tree._levels = perfect_levels(hash_leaves(leaves))
        return tree

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def node(self, level: int, index: int) -> bytes:
        """Hash of the perfect node (level, index); KeyError if it does not exist (yet)."""
        if level < 0 or index < 0 or level >= len(self._levels) or index >= len(self._levels[level]):
            raise KeyError((level, index))
        return self._levels[level][index]

    def nodes(self) -> Iterable[tuple[int, int, bytes]]:
        """Every stored node as (level, index, hash), level by level."""
        for level, row in enumerate(self._levels):
            yield from zip(repeat(level), range(len(row)), row, strict=False)

    def fetch(self, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """Batched read, the same shape the database layer offers."""
        return {node: self.node(*node) for node in ids}

    def frontier(self) -> list[bytes]:
        """Hashes of the frontier subtrees, largest first."""
        return [self.node(*node) for node in frontier_ids(self.size)]

    def append(self, leaf_hashes: Sequence[bytes]) -> AppendResult:
        """Append leaf hashes through ``append`` and store the nodes it returns."""
        result = append(self.size, self.frontier(), leaf_hashes)
        levels = self._levels
        for level, index, h in result.new_nodes:
            if level == len(levels):
                levels.append([])
            # Appends produce every level's nodes in index order, so a list append is the store.
            assert index == len(levels[level]), "append produced a node out of order"
            levels[level].append(h)
        return result

    def root(self, size: int | None = None) -> bytes:
        """Root at ``size`` (default: now)."""
        return root_at(self.size if size is None else size, self.fetch)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Audit path for leaf ``index`` at ``size`` (default: now)."""
        plan = inclusion_plan(index, self.size if size is None else size)
        return plan.assemble(self.fetch(plan.ids))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Consistency path from ``old_size`` to ``new_size`` (default: now)."""
        plan = consistency_plan(old_size, self.size if new_size is None else new_size)
        return plan.assemble(self.fetch(plan.ids))
