"""Merkle benchmark: append throughput, bulk recompute, proof planning. Prints one JSON line.

    .venv/bin/python bench/bench_merkle.py [--leaves 1000000] [--chunk 1000] [--proofs 2000]

Pure CPU, one thread, no database: the cost the ledger adds on top of its SQL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time

from credentials.merkle import (
    MemoryTree,
    append,
    consistency_plan,
    hash_leaves,
    inclusion_plan,
    verify_inclusion,
)

# A leaf shaped like the ledger's JCS envelope (DESIGN.md §3), about 290 bytes.
_ENVELOPE = (
    '{"digest":"sha256:%064x","index":%d,"issuer":"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",'
    '"kind":"record","subject":"hmac-sha256:%064x","time":"2026-05-01T08:00:00Z","v":1}'
)


def make_leaves(n: int) -> list[bytes]:
    """Distinct envelope-like leaves (not timed)."""
    return [(_ENVELOPE % (i * 7919, i, i * 104729)).encode() for i in range(n)]


def bench_append(leaves: list[bytes], chunk: int) -> dict[str, float]:
    """Leaf hashing + append() in chunks, as the appender does per batch; nodes are not stored."""
    size, frontier = 0, list[bytes]()
    nodes = 0
    hashing = appending = 0.0
    for start in range(0, len(leaves), chunk):
        t0 = time.perf_counter()
        hashes = hash_leaves(leaves[start : start + chunk])
        t1 = time.perf_counter()
        result = append(size, frontier, hashes)
        t2 = time.perf_counter()
        hashing += t1 - t0
        appending += t2 - t1
        size, frontier = result.new_size, result.new_frontier
        nodes += len(result.new_nodes)
    n = len(leaves)
    return {
        "append_leaves_per_s": round(n / (hashing + appending)),
        "append_only_leaves_per_s": round(n / appending),
        "append_chunk_ms": round((hashing + appending) / (n / chunk) * 1e3, 3),
        "append_new_nodes_per_leaf": round(nodes / n, 4),
    }


def bench_recompute(leaves: list[bytes]) -> tuple[MemoryTree, dict[str, float | str]]:
    """Audit path: hash every leaf and rebuild every perfect node and the root."""
    t0 = time.perf_counter()
    tree = MemoryTree.from_leaves(leaves)
    root = tree.root()
    elapsed = time.perf_counter() - t0
    return tree, {
        "recompute_entries_per_s": round(len(leaves) / elapsed),
        "recompute_s": round(elapsed, 3),
        "root": root.hex(),
    }


def bench_proofs(tree: MemoryTree, count: int) -> dict[str, float]:
    """Plan + one batched fetch (in memory) + assemble, for random leaves at full and odd sizes."""
    rng = random.Random(1)
    sizes = [tree.size, tree.size - 1]  # perfect-ish and a ragged right edge
    inclusion_us, consistency_us, verify_us, ids = [], [], [], []
    roots = {s: tree.root(s) for s in sizes}
    for i in range(count):
        size = sizes[i % 2]
        index = rng.randrange(size)
        t0 = time.perf_counter()
        plan = inclusion_plan(index, size)
        path = plan.assemble(tree.fetch(plan.ids))
        t1 = time.perf_counter()
        verify_inclusion(tree.node(0, index), index, size, path, roots[size])
        t2 = time.perf_counter()
        cplan = consistency_plan(rng.randrange(1, size + 1), size)
        cplan.assemble(tree.fetch(cplan.ids))
        t3 = time.perf_counter()
        inclusion_us.append((t1 - t0) * 1e6)
        verify_us.append((t2 - t1) * 1e6)
        consistency_us.append((t3 - t2) * 1e6)
        ids.append(len(plan.ids))
    return {
        "inclusion_plan_assemble_us_p50": round(statistics.median(inclusion_us), 1),
        "inclusion_ids_max": max(ids),
        "consistency_plan_assemble_us_p50": round(statistics.median(consistency_us), 1),
        "verify_inclusion_us_p50": round(statistics.median(verify_us), 1),
    }


def main() -> None:
    """Run the three benchmarks and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--proofs", type=int, default=2000)
    args = parser.parse_args()

    leaves = make_leaves(args.leaves)
    out: dict[str, object] = {"bench": "merkle", "leaves": args.leaves, "chunk": args.chunk}
    out.update(bench_append(leaves, args.chunk))
    tree, recompute = bench_recompute(leaves)
    out.update(recompute)
    out.update(bench_proofs(tree, args.proofs))
    out.update(
        python=platform.python_version(),
        cpus=os.cpu_count(),
        loadavg_1m=round(os.getloadavg()[0], 2),
        leaf_bytes_avg=round(sum(map(len, leaves[:1000])) / min(1000, len(leaves))),
    )
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
