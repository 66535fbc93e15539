"""Go's x/mod sumdb/note + sumdb/tlog (tests/interop/gotlog) judge the sample log and our own output.

The harness must accept the good sample files and refuse every bad one (so it can fail), then accept
a larger log that our Python appender, prover and signer produce.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.checkpoint import Checkpoint, sign_checkpoint
from credentials.merkle import MemoryTree, leaf_hash
from credentials.note import Signer
from tests.conftest import SHARED_DIR

from .golang import GotlogRun, run_gotlog

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]
SHARED = SHARED_DIR
SAMPLE = SHARED / "vectors" / "tlog" / "sample-log"
ORIGIN = "creditbank.example/ledger/test"

if not SAMPLE.is_dir():
    pytest.fail(f"sample log not found at {SAMPLE} (set CREDITBANK_SHARED_DIR)", pytrace=False)

VKEY = (SAMPLE / "vkey.txt").read_text(encoding="utf-8").strip()


def _run(gotlog: Path, checkpoint: str) -> GotlogRun:
    """Checkpoint plus every good sample proof and the old checkpoint they must link to."""
    return run_gotlog(
        gotlog,
        VKEY,
        SAMPLE / checkpoint,
        inclusions=[SAMPLE / "inclusion.json", SAMPLE / "inclusion-one.json"],
        consistencies=[SAMPLE / "consistency.json", SAMPLE / "consistency-from-old.json"],
        old_checkpoint=SAMPLE / "old-checkpoint.txt",
    )


def test_go_accepts_the_sample_log(gotlog: Path) -> None:
    run = _run(gotlog, "checkpoint.txt")
    assert run.ok, run.results
    assert [r["leaf_index"] for r in run.of("inclusion")] == [*range(13), 12]
    assert [r["old_size"] for r in run.of("consistency")] == [*range(1, 14), 6]
    assert run.of("checkpoint")[0]["size"] == 13 and run.of("old-checkpoint")[0]["size"] == 6


def test_go_accepts_the_checkpoint_with_an_extension(gotlog: Path) -> None:
    assert _run(gotlog, "checkpoint-with-extension.txt").ok


# Which check must fail, and with what Go error text: signature and format faults at the checkpoint,
# validly signed lies (forked, wrong root) only once the proofs are checked against them.
BAD_CHECKPOINTS = {
    "bad-checkpoint-crlf.txt": ("checkpoint", "malformed note"),
    "bad-checkpoint-forked.txt": ("consistency", "invalid transparency proof"),
    "bad-checkpoint-leading-zero.txt": ("checkpoint", "leading zeros"),
    "bad-checkpoint-origin-mismatch.txt": ("checkpoint", "is not the key name"),
    "bad-checkpoint-other-key.txt": ("checkpoint", "no verifiable signatures"),
    "bad-checkpoint-sig-bitflip.txt": ("checkpoint", "invalid signature"),
    "bad-checkpoint-size-edited.txt": ("checkpoint", "invalid signature"),
    "bad-checkpoint-wrong-root.txt": ("inclusion", "invalid transparency proof"),
}


def test_every_bad_checkpoint_is_listed() -> None:
    assert {p.name for p in SAMPLE.glob("bad-checkpoint-*")} == set(BAD_CHECKPOINTS)


@pytest.mark.parametrize("name", sorted(BAD_CHECKPOINTS))
def test_go_refuses_bad_checkpoint(gotlog: Path, name: str) -> None:
    check, error = BAD_CHECKPOINTS[name]
    run = _run(gotlog, name)
    assert run.returncode == 1, run.results
    failures = [r for r in run.of(check) if not r["ok"]]
    assert failures and all(error in r["error"] for r in failures), run.results


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLE.glob("bad-inclusion-*")))
def test_go_refuses_bad_inclusion(gotlog: Path, name: str) -> None:
    run = run_gotlog(gotlog, VKEY, SAMPLE / "checkpoint.txt", inclusions=[SAMPLE / name])
    assert run.returncode == 1
    assert run.of("checkpoint")[0]["ok"]
    assert [r["ok"] for r in run.of("inclusion")] == [False]


def test_go_refuses_bad_consistency(gotlog: Path) -> None:
    bad = SAMPLE / "bad-consistency-wrong-old-root.json"
    run = run_gotlog(gotlog, VKEY, SAMPLE / "checkpoint.txt", consistencies=[bad])
    assert run.returncode == 1
    assert [r["ok"] for r in run.of("consistency")] == [False]
    # With the old checkpoint at hand the wrong old root is named as such.
    run = run_gotlog(
        gotlog,
        VKEY,
        SAMPLE / "checkpoint.txt",
        consistencies=[bad],
        old_checkpoint=SAMPLE / "old-checkpoint.txt",
    )
    assert "old checkpoint" in run.of("consistency")[0]["error"]


def test_go_requires_the_old_checkpoint_to_be_linked(gotlog: Path) -> None:
    run = run_gotlog(gotlog, VKEY, SAMPLE / "checkpoint.txt", old_checkpoint=SAMPLE / "old-checkpoint.txt")
    assert run.returncode == 1
    assert [r["ok"] for r in run.of("old-checkpoint-linked")] == [False]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def test_go_accepts_what_we_produce_for_a_larger_log(gotlog: Path, tmp_path: Path) -> None:
    # 1,000 leaves appended in uneven chunks; every inclusion proof and every consistency proof.
    signer = Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(31) + b"\x01"))
    leaves = [json.dumps({"seq": i}).encode() for i in range(1000)]
    tree = MemoryTree()
    for start in range(0, 1000, 137):
        tree.append([leaf_hash(x) for x in leaves[start : start + 137]])
    size, old = tree.size, 777
    (tmp_path / "cp.txt").write_text(
        sign_checkpoint(Checkpoint(ORIGIN, size, tree.root()), signer), encoding="utf-8"
    )
    (tmp_path / "old.txt").write_text(
        sign_checkpoint(Checkpoint(ORIGIN, old, tree.root(old)), signer), encoding="utf-8"
    )
    inclusions = [
        {
            "leaf_index": i,
            "tree_size": size,
            "audit_path": [_b64(h) for h in tree.inclusion_proof(i)],
            "leaf_data_b64": _b64(leaves[i]),
        }
        for i in range(size)
    ]
    consistencies = [
        {
            "old_size": m,
            "old_root_b64": _b64(tree.root(m)),
            "new_size": size,
            "consistency_path": [_b64(h) for h in tree.consistency_proof(m)],
        }
        for m in range(1, size + 1)
    ]
    (tmp_path / "inc.json").write_text(json.dumps(inclusions), encoding="utf-8")
    (tmp_path / "con.json").write_text(json.dumps(consistencies), encoding="utf-8")
    run = run_gotlog(
        gotlog,
        signer.verifier.key_string(),
        tmp_path / "cp.txt",
        inclusions=[tmp_path / "inc.json"],
        consistencies=[tmp_path / "con.json"],
        old_checkpoint=tmp_path / "old.txt",
    )
    assert run.ok, [r for r in run.results if not r["ok"]][:3]
    assert len(run.of("inclusion")) == size and len(run.of("consistency")) == size
