"""W3C Data Integrity proofs with Ed25519: cryptosuites eddsa-rdfc-2022 (default) and eddsa-jcs-2022."""

import copy
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from credentials.canonical import jcs, rdfc
from credentials.didkey import controller_of, public_key_from_did_key, public_key_from_multibase
from credentials.errors import CredentialError, KeyFormatError, SignatureError
from credentials.multibase import decode_base58btc, encode_base58btc

EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
EDDSA_JCS_2022 = "eddsa-jcs-2022"
CRYPTOSUITES = (EDDSA_RDFC_2022, EDDSA_JCS_2022)
PROOF_TYPE = "DataIntegrityProof"
ASSERTION_METHOD = "assertionMethod"


class ResolvedKey(NamedTuple):
    """A verification method's public key and the controller it belongs to."""

    public_key: Ed25519PublicKey
    controller: str


KeyResolver = Callable[[str], ResolvedKey]


@dataclass(frozen=True)
class VerifiedProof:
    """What a verified proof establishes: who signed, with which suite, when they said they did."""

    verification_method: str
    controller: str
    cryptosuite: str
    created: datetime | None
    proof_purpose: str


def format_datetime(moment: datetime) -> str:
    """xsd:dateTime in UTC with a "Z", seconds precision unless there are microseconds."""
    if moment.tzinfo is None:
        raise CredentialError("datetimes must be timezone-aware")
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_datetime(text: Any) -> datetime:
    """Aware datetime from an xsd:dateTime with a timezone; raises CredentialError otherwise."""
    if not isinstance(text, str) or "T" not in text:
        raise CredentialError(f"not an xsd:dateTime: {text!r}")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CredentialError(f"not an xsd:dateTime: {text!r}") from exc
    if moment.tzinfo is None:
        raise CredentialError(f"xsd:dateTime without a timezone: {text!r}")
    return moment


def sign(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime,
    cryptosuite: str = EDDSA_RDFC_2022,
    proof_purpose: str = ASSERTION_METHOD,
) -> dict[str, Any]:
    """A copy of `document` with an embedded DataIntegrityProof, exactly as the W3C vectors lay it out."""
    return sign_batch(
        [document],
        private_key,
        verification_method=verification_method,
        created=created,
        cryptosuite=cryptosuite,
        proof_purpose=proof_purpose,
    )[0]


def sign_batch(
    documents: Iterable[dict[str, Any]],
    private_key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime,
    cryptosuite: str = EDDSA_RDFC_2022,
    proof_purpose: str = ASSERTION_METHOD,
) -> list[dict[str, Any]]:
    """Sign many documents with one key and one `created`; the proof options are hashed once per @context."""
    if cryptosuite not in CRYPTOSUITES:
        raise SignatureError(f"unsupported cryptosuite {cryptosuite!r}")
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": cryptosuite,
        "created": format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    signed = []
    for document in documents:
        if not isinstance(document, dict):
            raise SignatureError("only a JSON object can be signed")
        if "proof" in document:
            # Proof sets and chains are not supported: refuse rather than silently replace a proof.
            raise SignatureError("document already has a proof")
        # The proof options are read in the document's context (a plain-JSON JCS document has none).
        context = {"@context": document["@context"]} if "@context" in document else {}
        proof_config = {**options, **context}
        hash_data = _proof_hash(cryptosuite, proof_config) + _document_hash(cryptosuite, document)
        proof: dict[str, Any] = dict(options)
        if cryptosuite == EDDSA_JCS_2022:
            proof.update(copy.deepcopy(context))
        proof["proofValue"] = encode_base58btc(private_key.sign(hash_data))
        signed.append({**copy.deepcopy(document), "proof": proof})
    return signed


def verify(
    document: dict[str, Any],
    *,
    resolve_public_key: KeyResolver | None = None,
    proof_purpose: str = ASSERTION_METHOD,
) -> VerifiedProof:
    """Verify the document's single embedded proof or raise SignatureError; did:key resolves locally."""
    if not isinstance(document, dict):
        raise SignatureError("a secured document must be a JSON object")
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        raise SignatureError("No matching proofs found" if proof is None else "proof sets are not supported")
    cryptosuite = _check_proof(proof, proof_purpose)
    created = proof.get("created")
    try:
        created_at = None if created is None else parse_datetime(created)
    except CredentialError as exc:
        raise SignatureError(f"proof.created is not an xsd:dateTime: {created!r}") from exc
    method = proof["verificationMethod"]
    resolved = _resolve(method, resolve_public_key or resolve_did_key)
    try:
        signature = decode_base58btc(proof["proofValue"])
    except KeyFormatError as exc:
        raise SignatureError("proofValue is not multibase base58btc") from exc
    if len(signature) != 64:
        raise SignatureError("proofValue is not a 64-byte Ed25519 signature")

    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof_config = {k: v for k, v in proof.items() if k != "proofValue"}
    if cryptosuite == EDDSA_RDFC_2022:
        # RDFC signs the proof options in the document's context (spec: proofOptions.@context).
        proof_config["@context"] = document.get("@context")
    elif "@context" in proof_config and proof_config["@context"] != document.get("@context"):
        raise SignatureError("proof @context differs from the document's @context")
    try:
        hash_data = _proof_hash(cryptosuite, proof_config) + _document_hash(cryptosuite, unsecured)
    except CredentialError as exc:
        raise SignatureError(f"cannot canonicalise the secured document: {exc}") from exc
    try:
        resolved.public_key.verify(signature, hash_data)
    except InvalidSignature as exc:
        raise SignatureError("Invalid signature") from exc
    return VerifiedProof(method, resolved.controller, cryptosuite, created_at, proof["proofPurpose"])


def check_issuer_matches_controller(document: dict[str, Any], verified: VerifiedProof) -> None:
    """Raise SignatureError unless the credential's issuer is the controller of the proof's key."""
    if issuer_id(document) != verified.controller:
        raise SignatureError("Credential issuer must match the verification method controller")


def issuer_id(document: dict[str, Any]) -> str:
    """The credential's issuer id (`issuer` is a URL or an object with `id`); raises SignatureError."""
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    if not isinstance(issuer, str) or not issuer:
        raise SignatureError("credential has no issuer id")
    return issuer


def resolve_did_key(verification_method: str) -> ResolvedKey:
    """Key resolver for did:key verification methods, computed locally; refuses everything else."""
    if not verification_method.startswith("did:key:"):
        # Same words as the reference verifier's offline document loader.
        raise SignatureError(f"offline loader: no document for {verification_method}")
    try:
        return ResolvedKey(public_key_from_did_key(verification_method), controller_of(verification_method))
    except KeyFormatError as exc:
        raise SignatureError(f"bad did:key verification method: {exc}") from exc


def controller_document_resolver(
    controller_document: dict[str, Any], *, relationship: str = ASSERTION_METHOD
) -> KeyResolver:
    """Key resolver over one Multikey controller document (e.g. a did:web or https issuer), offline."""
    controller = controller_document.get("id")
    methods = controller_document.get(relationship)
    if not isinstance(controller, str) or not isinstance(methods, list):
        raise SignatureError(f"controller document needs an id and a {relationship} list")

    def resolve(verification_method: str) -> ResolvedKey:
        for method in methods:
            if isinstance(method, dict) and method.get("id") == verification_method:
                if method.get("type") != "Multikey" or method.get("controller") != controller:
                    raise SignatureError("verification method is not a Multikey of this controller")
                multibase = method.get("publicKeyMultibase")
                try:
                    if not isinstance(multibase, str):
                        raise KeyFormatError("publicKeyMultibase is missing")
                    return ResolvedKey(public_key_from_multibase(multibase), controller)
                except KeyFormatError as exc:
                    raise SignatureError(f"bad publicKeyMultibase: {exc}") from exc
        raise SignatureError(f"offline loader: no document for {verification_method}")

    return resolve


def _resolve(verification_method: str, resolver: KeyResolver) -> ResolvedKey:
    try:
        return resolver(verification_method)
    except SignatureError:
        raise
    except CredentialError as exc:
        raise SignatureError(f"cannot resolve {verification_method}: {exc}") from exc


def _check_proof(proof: dict[str, Any], proof_purpose: str) -> str:
    """Validate the proof's fixed fields and return its cryptosuite."""
    if proof.get("type") != PROOF_TYPE:
        raise SignatureError(f"proof type must be {PROOF_TYPE}")
    cryptosuite = proof.get("cryptosuite")
    if cryptosuite not in CRYPTOSUITES:
        raise SignatureError(f"unsupported cryptosuite {cryptosuite!r}")
    if proof.get("proofPurpose") != proof_purpose:
        raise SignatureError(f"proofPurpose must be {proof_purpose!r}")
    for field in ("verificationMethod", "proofValue"):
        if not isinstance(proof.get(field), str):
            raise SignatureError(f"proof.{field} is missing")
    return cryptosuite


def _canonical(cryptosuite: str, value: dict[str, Any]) -> bytes:
    if cryptosuite == EDDSA_JCS_2022:
        return jcs(value)
    return rdfc(value).encode("utf-8")


def _document_hash(cryptosuite: str, document: dict[str, Any]) -> bytes:
    return hashlib.sha256(_canonical(cryptosuite, document)).digest()


# The proof options are the same for every document one key signs at one time (and for every
# credential verified against one issuer's batch), so their hash is worth keeping.
_PROOF_HASHES: OrderedDict[str, bytes] = OrderedDict()
_PROOF_HASHES_LOCK = threading.Lock()
_PROOF_HASHES_SIZE = 256


def _proof_hash(cryptosuite: str, proof_config: dict[str, Any]) -> bytes:
    key = cryptosuite + "\n" + json.dumps(proof_config, sort_keys=True, ensure_ascii=False)
    with _PROOF_HASHES_LOCK:
        cached = _PROOF_HASHES.get(key)
        if cached is not None:
            _PROOF_HASHES.move_to_end(key)
            return cached
    digest = hashlib.sha256(_canonical(cryptosuite, proof_config)).digest()
    with _PROOF_HASHES_LOCK:
        _PROOF_HASHES[key] = digest
        if len(_PROOF_HASHES) > _PROOF_HASHES_SIZE:
            _PROOF_HASHES.popitem(last=False)
    return digest
