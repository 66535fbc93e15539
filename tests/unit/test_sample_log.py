"""The 13-leaf sample log: our appender, prover and signer reproduce its golden files byte for byte.

Leaves are the exact lines of leaves.jsonl without their newline; TEST key seed 0x00…01; origin
``creditbank.example/ledger/test``. Every ``bad-*`` file must be refused, each for its own reason.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint, sign_checkpoint
from credentials.errors import CredentialError, NoteError, ProofError
from credentials.merkle import MemoryTree, append, leaf_hash, verify_consistency, verify_inclusion
from credentials.note import Signer, Verifier, open_note
from tests.conftest import SHARED_DIR

REPO = Path(__file__).resolve().parents[2]
SHARED = SHARED_DIR
SAMPLE = SHARED / "vectors" / "tlog" / "sample-log"
ORIGIN = "creditbank.example/ledger/test"
TEST_SEED = bytes(31) + b"\x01"

if not SAMPLE.is_dir():
    pytest.fail(f"sample log not found at {SAMPLE} (set CREDITBANK_SHARED_DIR)", pytrace=False)


def _text(name: str) -> str:
    # Bytes, then decode: read_text() would turn the CRLF of bad-checkpoint-crlf.txt into LF.
    return (SAMPLE / name).read_bytes().decode("utf-8")


def _json(name: str) -> Any:
    return json.loads(_text(name))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


LEAVES = (SAMPLE / "leaves.jsonl").read_bytes().split(b"\n")
assert LEAVES[-1] == b"", "leaves.jsonl ends with a newline"
LEAVES = LEAVES[:-1]


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(TEST_SEED))


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier.from_key_string(_text("vkey.txt"))


@pytest.fixture(scope="module")
def tree() -> MemoryTree:
    """Built the way the service builds it: leaf by leaf through `append`."""
    t = MemoryTree()
    for leaf in LEAVES:
        t.append([leaf_hash(leaf)])
    return t


def _inclusion(tree: MemoryTree, index: int, size: int) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "leaf_index": index,
        "tree_size": size,
        "audit_path": [_b64(h) for h in tree.inclusion_proof(index, size)],
    }
    # The golden file alternates the two leaf shapes the API allows: data on even indexes, hash on odd.
    if index % 2 == 0:
        doc["leaf_data_b64"] = _b64(LEAVES[index])
    else:
        doc["leaf_hash_b64"] = _b64(leaf_hash(LEAVES[index]))
    return doc


def _consistency(tree: MemoryTree, old: int, new: int) -> dict[str, Any]:
    return {
        "old_size": old,
        "old_root_b64": _b64(tree.root(old)),
        "new_size": new,
        "consistency_path": [_b64(h) for h in tree.consistency_proof(old, new)],
    }


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=1)


# --- golden output ---------------------------------------------------------------------------------


def test_vkey(signer: Signer, verifier: Verifier) -> None:
    assert signer.verifier.key_string() + "\n" == _text("vkey.txt")
    assert verifier == signer.verifier


def test_checkpoint(signer: Signer, tree: MemoryTree) -> None:
    assert sign_checkpoint(Checkpoint(ORIGIN, 13, tree.root()), signer) == _text("checkpoint.txt")


def test_old_checkpoint(signer: Signer, tree: MemoryTree) -> None:
    assert sign_checkpoint(Checkpoint(ORIGIN, 6, tree.root(6)), signer) == _text("old-checkpoint.txt")


def test_checkpoint_with_extension(signer: Signer, verifier: Verifier, tree: MemoryTree) -> None:
    cp = Checkpoint(ORIGIN, 13, tree.root(), ("ts 1700000000",))
    assert sign_checkpoint(cp, signer) == _text("checkpoint-with-extension.txt")
    assert open_checkpoint(_text("checkpoint-with-extension.txt"), verifier, ORIGIN) == cp


def test_bulk_build_equals_leaf_by_leaf(tree: MemoryTree) -> None:
    assert list(MemoryTree.from_leaves(LEAVES).nodes()) == list(tree.nodes())
    assert append(0, [], [leaf_hash(x) for x in LEAVES]).root == tree.root()


def test_inclusion_files(tree: MemoryTree) -> None:
    assert _dump([_inclusion(tree, i, 13) for i in range(13)]) == _text("inclusion.json")
    assert _dump(_inclusion(tree, 12, 13)) == _text("inclusion-one.json")


def test_consistency_files(tree: MemoryTree) -> None:
    assert _dump([_consistency(tree, old, 13) for old in range(1, 14)]) == _text("consistency.json")
    assert _dump(_consistency(tree, 6, 13)) == _text("consistency-from-old.json")


# --- an auditor holding only the key, the old checkpoint and the proofs -----------------------------


def _check_inclusion(doc: dict[str, Any], root: bytes) -> None:
    if "leaf_data_b64" in doc:
        leaf = leaf_hash(base64.b64decode(doc["leaf_data_b64"], validate=True))
    else:
        leaf = base64.b64decode(doc["leaf_hash_b64"], validate=True)
    path = [base64.b64decode(h, validate=True) for h in doc["audit_path"]]
    verify_inclusion(leaf, doc["leaf_index"], doc["tree_size"], path, root)


def _check_consistency(doc: dict[str, Any], old: Checkpoint, new: Checkpoint) -> None:
    old_root = base64.b64decode(doc["old_root_b64"], validate=True)
    if (doc["old_size"], doc["new_size"]) != (old.size, new.size) or old_root != old.root_hash:
        raise ProofError("consistency proof is not between these two checkpoints")
    path = [base64.b64decode(h, validate=True) for h in doc["consistency_path"]]
    verify_consistency(old.size, new.size, path, old.root_hash, new.root_hash)


def audit(note: str, verifier: Verifier, consistency: dict[str, Any] | None = None) -> Checkpoint:
    """Open a checkpoint, link it to the old one, and check every inclusion proof against it."""
    cp = open_checkpoint(note, verifier, ORIGIN)
    old = open_checkpoint(_text("old-checkpoint.txt"), verifier, ORIGIN)
    _check_consistency(consistency or _json("consistency-from-old.json"), old, cp)
    for doc in _json("inclusion.json"):
        _check_inclusion(doc, cp.root_hash)
    return cp


@pytest.mark.parametrize("name", ["checkpoint.txt", "checkpoint-with-extension.txt"])
def test_good_checkpoints_pass_the_audit(name: str, verifier: Verifier) -> None:
    assert audit(_text(name), verifier).size == 13


def test_every_consistency_proof_in_the_file_verifies(verifier: Verifier) -> None:
    cp = open_checkpoint(_text("checkpoint.txt"), verifier, ORIGIN)
    tree_roots = {doc["old_size"]: base64.b64decode(doc["old_root_b64"]) for doc in _json("consistency.json")}
    for doc in _json("consistency.json"):
        path = [base64.b64decode(h) for h in doc["consistency_path"]]
        verify_consistency(doc["old_size"], doc["new_size"], path, tree_roots[doc["old_size"]], cp.root_hash)


BAD_CHECKPOINTS = {
    "bad-checkpoint-crlf.txt": (NoteError, "control character"),
    "bad-checkpoint-forked.txt": (ProofError, "new root"),
    "bad-checkpoint-leading-zero.txt": (NoteError, "leading zeros"),
    "bad-checkpoint-origin-mismatch.txt": (NoteError, "origin"),
    "bad-checkpoint-other-key.txt": (NoteError, "not signed by any known key"),
    "bad-checkpoint-sig-bitflip.txt": (NoteError, "invalid signature"),
    "bad-checkpoint-size-edited.txt": (NoteError, "invalid signature"),
    "bad-checkpoint-wrong-root.txt": (ProofError, "new root"),
}


def test_every_bad_file_is_covered() -> None:
    on_disk = {p.name for p in SAMPLE.glob("bad-*")}
    assert on_disk == set(BAD_CHECKPOINTS) | set(BAD_PROOFS)


@pytest.mark.parametrize("name", sorted(BAD_CHECKPOINTS))
def test_bad_checkpoint_is_refused(name: str, verifier: Verifier) -> None:
    error, reason = BAD_CHECKPOINTS[name]
    with pytest.raises(error, match=reason):
        audit(_text(name), verifier)


@pytest.mark.parametrize("name", ["bad-checkpoint-forked.txt", "bad-checkpoint-wrong-root.txt"])
def test_validly_signed_lies_need_the_proofs(name: str, verifier: Verifier) -> None:
    # The signature alone cannot catch these: only consistency with what was seen before can.
    cp = open_checkpoint(_text(name), verifier, ORIGIN)
    assert cp.size == 13


def test_leading_zero_checkpoint_is_signed_but_unparseable(verifier: Verifier) -> None:
    opened = open_note(_text("bad-checkpoint-leading-zero.txt"), [verifier])
    with pytest.raises(NoteError, match="leading zeros"):
        parse_checkpoint(opened.text)


BAD_PROOFS = {
    "bad-inclusion-reordered-path.json": "inclusion",
    "bad-inclusion-tampered-leaf.json": "inclusion",
    "bad-inclusion-wrong-index.json": "inclusion",
    "bad-consistency-wrong-old-root.json": "consistency",
}


@pytest.mark.parametrize("name", sorted(BAD_PROOFS))
def test_bad_proof_is_refused(name: str, verifier: Verifier) -> None:
    cp = open_checkpoint(_text("checkpoint.txt"), verifier, ORIGIN)
    doc = _json(name)
    with pytest.raises(ProofError):
        if BAD_PROOFS[name] == "inclusion":
            _check_inclusion(doc, cp.root_hash)
        else:
            path = [base64.b64decode(h) for h in doc["consistency_path"]]
            verify_consistency(
                doc["old_size"], doc["new_size"], path, base64.b64decode(doc["old_root_b64"]), cp.root_hash
            )


def test_bad_consistency_also_fails_the_full_audit(verifier: Verifier) -> None:
    with pytest.raises(CredentialError):
        audit(_text("checkpoint.txt"), verifier, _json("bad-consistency-wrong-old-root.json"))


# --- checkpoint text rules beyond the sample files -------------------------------------------------


ROOT_B64 = "hppsqjB0VsF9D+A7Joq4+5skBplEVWsZmrxBWC8KOrg="


@pytest.mark.parametrize(
    "body",
    [
        f"{ORIGIN}\n13\n{ROOT_B64}",  # no final newline
        f"\n13\n{ROOT_B64}\n",  # empty origin
        f"{ORIGIN}\n+13\n{ROOT_B64}\n",
        f"{ORIGIN}\n-1\n{ROOT_B64}\n",
        f"{ORIGIN}\n1 3\n{ROOT_B64}\n",
        f"{ORIGIN}\n\u0661\u0663\n{ROOT_B64}\n",  # Arabic-Indic digits: int() would take them
        f"{ORIGIN}\n{2**63}\n{ROOT_B64}\n",
        f"{ORIGIN}\n{'9' * 5000}\n{ROOT_B64}\n",
        f"{ORIGIN}\n13\n{ROOT_B64.rstrip('=')}\n",  # unpadded
        f"{ORIGIN}\n13\n{ROOT_B64.replace('+', '-')}\n",  # URL-safe
        f"{ORIGIN}\n13\n{ROOT_B64[:-2]}h=\n",  # same bytes, non-zero padding bits
        f"{ORIGIN}\n13\n{_b64(bytes(31))}\n",  # 31-byte hash
        f"{ORIGIN}\n13\n{'86' * 32}\n",  # hex, not base64
        f"{ORIGIN}\n13\n{ROOT_B64}\n\n",  # empty extension line
        f"{ORIGIN}\r\n13\n{ROOT_B64}\n",
        f"{ORIGIN}\n13\n",
    ],
)
def test_parse_checkpoint_rejects(body: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(body)


def test_parse_checkpoint_round_trip() -> None:
    body = f"{ORIGIN}\n0\n{ROOT_B64}\nextra one\nextra two\n"
    cp = parse_checkpoint(body)
    assert (cp.size, cp.extensions) == (0, ("extra one", "extra two"))
    assert cp.body() == body


def test_sign_checkpoint_requires_origin_equal_to_key_name(signer: Signer, tree: MemoryTree) -> None:
    with pytest.raises(NoteError, match="origin"):
        sign_checkpoint(Checkpoint(ORIGIN + "-staging", 13, tree.root()), signer)


def test_open_checkpoint_requires_the_expected_log(verifier: Verifier) -> None:
    with pytest.raises(NoteError):
        open_checkpoint(_text("checkpoint.txt"), verifier, "creditbank.example/ledger/prod")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": ""},
        {"origin": "a\nb"},
        {"size": -1},
        {"size": 2**63},
        {"root_hash": b"x" * 31},
        {"extensions": ("",)},
    ],
)
def test_checkpoint_refuses_unrepresentable_fields(kwargs: dict[str, Any], tree: MemoryTree) -> None:
    fields: dict[str, Any] = {"origin": ORIGIN, "size": 13, "root_hash": tree.root(), **kwargs}
    with pytest.raises(NoteError):
        Checkpoint(**fields)
