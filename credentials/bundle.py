"""Offline proof bundles (DESIGN.md §8): build and verify without the bank.

A bundle is `{"type": "CreditBankProofBundle", "credential": {…as signed…}, "entry": {"index",
"leaf_data_b64"}, "inclusion": {…as the inclusion endpoint…}, "checkpoint": "<note text>", "log_key":
"<verifier key>"}`. Offline one can check the credential's signature, that the entry's leaf commits to
exactly this credential (digest and issuer), that the leaf is in the tree the checkpoint names, and the
checkpoint's signature under `log_key`. Offline one cannot check revocation or suspension after the
checkpoint, nor whether the issuer is in the bank's registry and authorised: those need the bank.

`python -m credentials.bundle FILE` prints the verdict (exit 0 when every offline check passes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from dataclasses import dataclass
from typing import Any

from credentials.canonical import jcs
from credentials.checkpoint import Checkpoint, open_checkpoint
from credentials.dataintegrity import check_issuer_matches_controller, issuer_id, verify
from credentials.errors import CredentialError
from credentials.merkle import leaf_hash, verify_inclusion
from credentials.note import Verifier

BUNDLE_TYPE = "CreditBankProofBundle"
NOT_CHECKED_OFFLINE = (
    "revocation or suspension after the checkpoint (ask the bank's POST /api/v1/verify)",
    "whether the issuer is in the bank's registry and was authorised for this kind",
)


class BundleError(CredentialError):
    """The bundle is malformed or one of its proofs fails."""


@dataclass(frozen=True)
class OfflineVerdict:
    """What an offline check of a bundle established."""

    issuer: str
    index: int
    checkpoint: Checkpoint
    envelope: dict[str, Any]


def is_bundle(document: Any) -> bool:
    """Whether a JSON document is a proof bundle (rather than a bare credential)."""
    return isinstance(document, dict) and document.get("type") == BUNDLE_TYPE


def make_bundle(credential: dict[str, Any], inclusion: dict[str, Any], checkpoint: str, log_key: str) -> dict[str, Any]:
    """The wrapper of DESIGN.md §8 (the credential untouched)."""
    return {"type": BUNDLE_TYPE, "credential": credential,
            "entry": {"index": inclusion["leaf_index"], "leaf_data_b64": inclusion["leaf_data_b64"]},
            "inclusion": inclusion, "checkpoint": checkpoint, "log_key": log_key}


def digest_of(document: Any) -> str:
    """`sha256:<hex>` of the JCS bytes (as the log envelope's `digest`)."""
    return "sha256:" + hashlib.sha256(jcs(document)).hexdigest()


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise BundleError(f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise BundleError(f"{what} is not base64") from exc


def check_log_proof(bundle: dict[str, Any], verifier: Verifier) -> tuple[dict[str, Any], Checkpoint, int]:
    """Leaf in the checkpoint's tree and checkpoint signed by `verifier`; returns (envelope, checkpoint, index)."""
    entry, inclusion, note = bundle.get("entry"), bundle.get("inclusion"), bundle.get("checkpoint")
    if not isinstance(entry, dict) or not isinstance(inclusion, dict) or not isinstance(note, str):
        raise BundleError("bundle needs entry, inclusion and checkpoint")
    index = entry.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or index != inclusion.get("leaf_index"):
        raise BundleError("entry.index is missing or differs from inclusion.leaf_index")
    leaf = _b64(entry.get("leaf_data_b64"), "entry.leaf_data_b64")
    if inclusion.get("leaf_data_b64") not in (None, entry.get("leaf_data_b64")):
        raise BundleError("inclusion.leaf_data_b64 differs from entry.leaf_data_b64")
    try:
        cp = open_checkpoint(note, verifier, verifier.name)
    except CredentialError as exc:
        raise BundleError(f"checkpoint: {exc}") from exc
    size = inclusion.get("tree_size")
    if size != cp.size:
        raise BundleError("inclusion.tree_size is not the checkpoint's size")
    path = inclusion.get("audit_path")
    if not isinstance(path, list):
        raise BundleError("inclusion.audit_path must be a list")
    try:
        verify_inclusion(leaf_hash(leaf), index, cp.size, [_b64(h, "audit_path") for h in path], cp.root_hash)
    except CredentialError as exc:
        raise BundleError(f"inclusion proof: {exc}") from exc
    try:
        envelope = json.loads(leaf)
    except ValueError as exc:
        raise BundleError("leaf data is not JSON") from exc
    if not isinstance(envelope, dict) or envelope.get("index") != index:
        raise BundleError("leaf envelope does not name this index")
    return envelope, cp, index


def verify_bundle_offline(bundle: dict[str, Any]) -> OfflineVerdict:
    """Every check that needs no bank; raises BundleError (or a CredentialError) on the first failure."""
    if not is_bundle(bundle):
        raise BundleError(f"not a {BUNDLE_TYPE}")
    credential = bundle.get("credential")
    if not isinstance(credential, dict):
        raise BundleError("bundle has no credential")
    proof = verify(credential)
    check_issuer_matches_controller(credential, proof)
    issuer = issuer_id(credential)
    key = bundle.get("log_key")
    if not isinstance(key, str):
        raise BundleError("bundle has no log_key")
    try:
        verifier = Verifier.from_key_string(key)
    except CredentialError as exc:
        raise BundleError(f"log_key: {exc}") from exc
    envelope, cp, index = check_log_proof(bundle, verifier)
    if envelope.get("digest") != digest_of(credential):
        raise BundleError("the log entry commits to another document (digest differs)")
    if envelope.get("issuer") != issuer:
        raise BundleError("the log entry names another issuer")
    return OfflineVerdict(issuer, index, cp, envelope)


def main(argv: list[str] | None = None) -> int:
    """CLI: verify a bundle file offline and say what offline cannot check."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m credentials.bundle BUNDLE.json", file=sys.stderr)
        return 2
    with open(args[0], "rb") as fh:
        bundle = json.load(fh)
    try:
        verdict = verify_bundle_offline(bundle)
    except CredentialError as exc:
        print(f"NOT VERIFIED: {exc}")
        return 1
    print(f"OK offline: signature by {verdict.issuer}; entry {verdict.index} is in the log "
          f"{verdict.checkpoint.origin} of size {verdict.checkpoint.size} (checkpoint signature valid)")
    for item in NOT_CHECKED_OFFLINE:
        print(f"not checked offline: {item}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
