"""Merkle tree properties: appends, plans and verification agree with RFC 9162's recursive definitions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.errors import ProofError
from credentials.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    NodeId,
    append,
    consistency_plan,
    frontier_ids,
    inclusion_plan,
    leaf_hash,
    node_hash,
    perfect_levels,
    root_at,
    root_from_frontier,
    verify_consistency,
    verify_inclusion,
)

EXHAUSTIVE_MAX = 70  # every (index, size) and (old, new) pair up to here: ~5,000 proofs each way


def _leaves(n: int, start: int = 0) -> list[bytes]:
    return [leaf_hash(i.to_bytes(8, "big")) for i in range(start, start + n)]


# --- RFC 9162 §2.1 written literally, as the oracle ---------------------------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(hashes: list[bytes]) -> bytes:
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = _k(len(hashes))
    return node_hash(ref_mth(hashes[:k]), ref_mth(hashes[k:]))


def ref_path(m: int, hashes: list[bytes]) -> list[bytes]:
    n = len(hashes)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, hashes[:k]), ref_mth(hashes[k:])]
    return [*ref_path(m - k, hashes[k:]), ref_mth(hashes[:k])]


def ref_subproof(m: int, hashes: list[bytes], whole: bool = True) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if whole else [ref_mth(hashes)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, hashes[:k], whole), ref_mth(hashes[k:])]
    return [*ref_subproof(m - k, hashes[k:], False), ref_mth(hashes[:k])]


def ref_path_shape(index: int, size: int) -> list[None]:
    """One entry per audit path element, without hashing (for huge sizes)."""
    out: list[None] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _k(hi - lo)
        lo, hi = (lo, lo + k) if index < lo + k else (lo + k, hi)
        out.append(None)
    return out


# --- building the tree ---------------------------------------------------------------------------


def test_frontier_ids_decompose_the_tree() -> None:
    assert frontier_ids(0) == []
    assert frontier_ids(13) == [(3, 0), (2, 2), (0, 12)]
    for size in range(200):
        covered = 0
        for level, index in frontier_ids(size):
            assert index << level == covered
            covered += 1 << level
        assert covered == size


@pytest.mark.parametrize("size", range(EXHAUSTIVE_MAX + 1))
def test_memory_tree_matches_definition(size: int) -> None:
    hashes = _leaves(size)
    tree = MemoryTree(hashes)
    assert tree.root() == ref_mth(hashes)
    for level, index, h in tree.nodes():
        assert h == ref_mth(hashes[index << level : (index + 1) << level])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), max_size=16))
def test_append_in_any_chunking_equals_full_tree(chunks: list[int]) -> None:
    total = sum(chunks)
    hashes = _leaves(total)
    full = perfect_levels(hashes)
    size, frontier, stored = 0, list[bytes](), dict[NodeId, bytes]()
    for chunk in chunks:
        result = append(size, frontier, hashes[size : size + chunk])
        for level, index, h in result.new_nodes:
            assert (level, index) not in stored, "a node was produced twice"
            stored[(level, index)] = h
        size, frontier = result.new_size, result.new_frontier
        assert result.root == ref_mth(hashes[:size])
        assert frontier == [stored[node] for node in frontier_ids(size)]
    expected = {(level, i): h for level, row in enumerate(full) for i, h in enumerate(row)} if total else {}
    assert stored == expected


def test_append_costs_about_one_hash_per_node() -> None:
    # 1,000 leaves onto 1,000,003 (odd, so the old frontier joins in): new nodes <= 2 * leaves + levels.
    size = 1_000_003
    frontier = [leaf_hash(bytes([i])) for i in range(len(frontier_ids(size)))]
    result = append(size, frontier, _leaves(1000))
    levels = {level for level, _, _ in result.new_nodes}
    assert sum(1 for level, _, _ in result.new_nodes if level == 0) == 1000
    assert len(result.new_nodes) <= 2 * 1000 + len(levels)


def test_append_rejects_a_wrong_frontier() -> None:
    with pytest.raises(ValueError):
        append(3, [leaf_hash(b"x")], _leaves(1))
    with pytest.raises(ValueError):
        append(1, [b"short"], _leaves(1))


def test_root_from_frontier_and_root_at() -> None:
    assert root_from_frontier([]) == EMPTY_ROOT
    tree = MemoryTree(_leaves(21))
    calls: list[int] = []

    def fetch(ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        calls.append(1)
        return tree.fetch(ids)

    for size in range(22):
        assert root_at(size, fetch) == ref_mth(_leaves(size))
    assert len(calls) == 21  # one batched read per non-empty size, none for the empty tree


# --- proofs from plans ---------------------------------------------------------------------------


def test_every_inclusion_proof_up_to_exhaustive_max() -> None:
    hashes = _leaves(EXHAUSTIVE_MAX)
    tree = MemoryTree(hashes)
    for size in range(1, EXHAUSTIVE_MAX + 1):
        root = ref_mth(hashes[:size])
        for index in range(size):
            path = tree.inclusion_proof(index, size)
            assert path == ref_path(index, hashes[:size])
            verify_inclusion(hashes[index], index, size, path, root)


def test_every_consistency_proof_up_to_exhaustive_max() -> None:
    hashes = _leaves(EXHAUSTIVE_MAX)
    tree = MemoryTree(hashes)
    roots = [ref_mth(hashes[:n]) for n in range(EXHAUSTIVE_MAX + 1)]
    for new in range(1, EXHAUSTIVE_MAX + 1):
        for old in range(1, new + 1):
            path = tree.consistency_proof(old, new)
            assert path == ref_subproof(old, hashes[:new])
            verify_consistency(old, new, path, roots[old], roots[new])


@given(
    st.integers(min_value=1, max_value=2**62).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n)))
)
def test_inclusion_plan_is_logarithmic_and_uses_only_stored_nodes(case: tuple[int, int]) -> None:
    index, size = case
    plan = inclusion_plan(index, size)
    assert len(plan.components) == len(ref_path_shape(index, size))
    assert len(plan.ids) <= 2 * max(1, math.ceil(math.log2(size)))
    for level, i in plan.ids:
        assert (i + 1) << level <= size, "plan asks for a node that is not a complete subtree"


@given(st.integers(min_value=1, max_value=2**62).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_consistency_plan_is_logarithmic_and_uses_only_stored_nodes(case: tuple[int, int]) -> None:
    old, new = case
    plan = consistency_plan(old, new)
    assert len(plan.ids) <= 2 * max(1, math.ceil(math.log2(new))) + 1
    for level, i in plan.ids:
        assert (i + 1) << level <= new


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=70, max_value=3000), st.data())
def test_larger_trees_prove_and_verify(size: int, data: st.DataObject) -> None:
    hashes = _leaves(size)
    tree = MemoryTree(hashes)
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    verify_inclusion(hashes[index], index, size, tree.inclusion_proof(index), tree.root())
    verify_consistency(old, size, tree.consistency_proof(old), tree.root(old), tree.root())


def test_plans_reject_impossible_requests() -> None:
    for index, size in [(0, 0), (5, 5), (-1, 3)]:
        with pytest.raises(ValueError):
            inclusion_plan(index, size)
    for old, new in [(0, 0), (0, 5), (6, 5)]:
        with pytest.raises(ValueError):
            consistency_plan(old, new)


def test_assemble_fails_closed_on_missing_or_bad_nodes() -> None:
    tree = MemoryTree(_leaves(13))
    plan = inclusion_plan(3, 13)
    fetched = tree.fetch(plan.ids)
    fetched.pop(plan.ids[0])
    with pytest.raises(ProofError, match="missing"):
        plan.assemble(fetched)
    bad = {node: b"\x00" * 31 for node in plan.ids}
    with pytest.raises(ProofError):
        plan.assemble(bad)


# --- tampering -----------------------------------------------------------------------------------


def _tamper(path: list[bytes], how: str, where: int) -> list[bytes] | None:
    """A modified copy of a proof, or None when this tampering cannot apply."""
    out = list(path)
    if how == "flip":
        if not out:
            return None
        i = where % len(out)
        out[i] = bytes([out[i][0] ^ 1]) + out[i][1:]
    elif how == "drop":
        if not out:
            return None
        del out[where % len(out)]
    elif how == "extra":
        out.insert(where % (len(out) + 1), leaf_hash(b"extra"))
    elif how == "swap":
        if len(out) < 2:
            return None
        i = where % (len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    elif how == "short-hash":
        if not out:
            return None
        out[where % len(out)] = out[where % len(out)][:31]
    return out


TAMPERINGS = st.sampled_from(["flip", "drop", "extra", "swap", "short-hash"])


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 300), st.data(), TAMPERINGS, st.integers(0, 64))
def test_tampered_inclusion_proofs_fail(size: int, data: st.DataObject, how: str, where: int) -> None:
    hashes = _leaves(size)
    tree = MemoryTree(hashes)
    index = data.draw(st.integers(0, size - 1))
    bad = _tamper(tree.inclusion_proof(index), how, where)
    if bad is None:
        return
    with pytest.raises(ProofError):
        verify_inclusion(hashes[index], index, size, bad, tree.root())


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 300), st.data(), TAMPERINGS, st.integers(0, 64))
def test_tampered_consistency_proofs_fail(size: int, data: st.DataObject, how: str, where: int) -> None:
    tree = MemoryTree(_leaves(size))
    old = data.draw(st.integers(1, size - 1))
    bad = _tamper(tree.consistency_proof(old), how, where)
    if bad is None:
        return
    with pytest.raises(ProofError):
        verify_consistency(old, size, bad, tree.root(old), tree.root())


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 300), st.data())
def test_inclusion_proof_does_not_fit_another_index_or_leaf(size: int, data: st.DataObject) -> None:
    hashes = _leaves(size)
    tree = MemoryTree(hashes)
    index = data.draw(st.integers(0, size - 1))
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
    path = tree.inclusion_proof(index)
    with pytest.raises(ProofError):
        verify_inclusion(hashes[index], other, size, path, tree.root())
    with pytest.raises(ProofError):
        verify_inclusion(hashes[other], index, size, path, tree.root())


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 300), st.data())
def test_consistency_proof_does_not_fit_other_roots(size: int, data: st.DataObject) -> None:
    tree = MemoryTree(_leaves(size))
    old = data.draw(st.integers(1, size - 1))
    path = tree.consistency_proof(old)
    forked = MemoryTree(_leaves(size, start=1))  # same sizes, different leaves
    with pytest.raises(ProofError):
        verify_consistency(old, size, path, forked.root(old), tree.root())
    with pytest.raises(ProofError):
        verify_consistency(old, size, path, tree.root(old), forked.root())
    with pytest.raises(ProofError):
        verify_consistency(old, size, path, tree.root(), tree.root(old))  # swapped roots


def test_equal_sizes_and_empty_tree_rules() -> None:
    tree = MemoryTree(_leaves(5))
    verify_consistency(5, 5, [], tree.root(), tree.root())
    with pytest.raises(ProofError):
        verify_consistency(5, 5, [tree.root()], tree.root(), tree.root())
    with pytest.raises(ProofError):
        verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    with pytest.raises(ProofError):
        verify_consistency(0, 5, [], EMPTY_ROOT, tree.root())
    with pytest.raises(ProofError):
        verify_inclusion(tree.node(0, 0), 0, 0, [], EMPTY_ROOT)
