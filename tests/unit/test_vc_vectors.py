"""Data Integrity against the official vectors, byte for byte, and every verdict in vectors/vc/expected.json."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials import contexts
from credentials.canonical import jcs, rdfc
from credentials.dataintegrity import (
    VerifiedProof,
    check_issuer_matches_controller,
    controller_document_resolver,
    sign,
    sign_batch,
    verify,
)
from credentials.didkey import did_key, private_key_from_multibase, verification_method
from credentials.errors import CanonicalisationError, CredentialError, SignatureError
from credentials.multibase import encode_base58btc
from credentials.statuslist import StatusList, status_entry, status_list_credential
from credentials.vc import verify_credential
from tests.conftest import SHARED_DIR

REPO = Path(__file__).resolve().parents[2]
SHARED = SHARED_DIR
VC = SHARED / "vectors" / "vc"
W3C = VC / "w3c-vc-di-eddsa"
OB = VC / "1edtech-ob-v3p0"
DERIVED = VC / "derived"

if not (VC / "expected.json").is_file():
    pytest.fail(f"vc vectors not found at {VC} (set CREDITBANK_SHARED_DIR)", pytrace=False)

SAMPLE_KEY = Ed25519PrivateKey.from_private_bytes(
    hashlib.sha256(b"peer-verify sample issuer key - public, NOT SECRET").digest()
)
SAMPLE_CREATED = datetime(2025, 7, 1, tzinfo=UTC)
STATUS_URL = "https://college.example/status/revocation/1"
# A fixed "now" inside every derived credential's validity period.
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def _text(path: Path) -> str:
    return path.read_text("utf-8")


def _layout(document: dict[str, Any]) -> str:
    """The vectors' layout: two-space indent, UTF-8."""
    return json.dumps(document, indent=2, ensure_ascii=False)


def _sha(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _w3c_key() -> Ed25519PrivateKey:
    return private_key_from_multibase(_json(W3C / "keyPair.json")["privateKeyMultibase"])


# --- vendored contexts -----------------------------------------------------------------------------


def test_every_vendored_context_matches_its_recorded_sha256() -> None:
    folder = Path(contexts.__file__).parent
    rows = re.findall(r"^\| (\S+) \| (\S+) \| .* \| ([0-9a-f]{64}) \|$", _text(folder / "SOURCES.md"), re.M)
    index = _json(folder / "index.json")
    assert {url: name for url, name, _ in rows} == index
    for _, name, digest in rows:
        assert _sha((folder / name).read_bytes()) == digest, name


def test_examples_context_is_the_shared_copy() -> None:
    shared = (VC / "contexts" / "credentials-examples-v2.jsonld").read_bytes()
    assert (Path(contexts.__file__).parent / "credentials-examples-v2.jsonld").read_bytes() == shared


def test_loader_refuses_unknown_urls_and_hands_out_copies() -> None:
    with pytest.raises(CanonicalisationError, match="offline loader: no document for"):
        contexts.document_loader("https://www.w3.org/2018/credentials/v1")
    first = contexts.load("https://www.w3.org/ns/credentials/v2")
    first["@context"].clear()
    assert contexts.load("https://www.w3.org/ns/credentials/v2")["@context"]
    assert "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json" in contexts.urls()


# --- W3C vc-di-eddsa ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suite", "folder", "suffix", "canon"),
    [
        ("eddsa-rdfc-2022", "eddsa-rdfc-2022", "DataInt", "rdfc"),
        ("eddsa-jcs-2022", "eddsa-jcs-2022", "JCS", "jcs"),
    ],
)
def test_w3c_vector_byte_for_byte(suite: str, folder: str, suffix: str, canon: str) -> None:
    base = W3C / folder
    unsigned = _json(W3C / "unsigned.json")
    proof_config = _json(base / f"proofConfig{suffix}.json")
    if canon == "rdfc":
        canon_doc, canon_proof = rdfc(unsigned), rdfc(proof_config)
    else:
        canon_doc, canon_proof = jcs(unsigned).decode(), jcs(proof_config).decode()
    assert canon_doc == _text(base / f"canonDoc{suffix}.txt")
    assert canon_proof == _text(base / f"proofCanon{suffix}.txt")
    assert _sha(canon_doc) == _text(base / f"docHash{suffix}.txt").strip()
    assert _sha(canon_proof) == _text(base / f"proofHash{suffix}.txt").strip()
    combined = hashlib.sha256(canon_proof.encode()).digest() + hashlib.sha256(canon_doc.encode()).digest()
    assert combined.hex() == _text(base / f"combinedHash{suffix}.txt").strip()
    signature = _w3c_key().sign(combined)
    assert signature.hex() == _text(base / f"sigHex{suffix}.txt").strip()
    assert encode_base58btc(signature) == _text(base / f"sigBTC58{suffix}.txt").strip()

    signed = sign(
        unsigned,
        _w3c_key(),
        verification_method=proof_config["verificationMethod"],
        created=datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC),
        cryptosuite=suite,
    )
    assert _layout(signed) == _text(base / f"signed{suffix}.json").rstrip("\n")


# --- 1EdTech Open Badges 3.0 ----------------------------------------------------------------------------


def test_1edtech_ob3_vector_byte_for_byte() -> None:
    keys = _json(OB / "keypair-and-hashes.json")
    unsigned = _json(OB / "unsigned-openbadgecredential.json")
    proof_config = {**_json(OB / "proof-config.json"), "@context": unsigned["@context"]}
    document_canon, proof_canon = rdfc(unsigned), rdfc(proof_config)
    assert document_canon == _text(OB / "document-canon.txt")
    assert proof_canon == _text(OB / "proof-canon.txt")
    assert _sha(document_canon) == keys["documentHashHex"]
    assert _sha(proof_canon) == keys["proofHashHex"]
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(keys["privateKeyHex"])[:32])
    assert private_key_from_multibase(keys["secretKeyMultibase"]).public_key() == key.public_key()
    signed = sign(
        unsigned,
        key,
        verification_method=proof_config["verificationMethod"],
        created=datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC),
    )
    assert signed["proof"]["proofValue"] == keys["proofValue"]
    assert bytes.fromhex(keys["signatureHex"]) == key.sign(bytes.fromhex(keys["dataToSignHex"]))
    # The published JSON orders the proof's keys differently; the content is identical.
    assert signed == _json(OB / "signed-openbadgecredential.json")


# --- derived sample-issuer records --------------------------------------------------------------------


def _sample_unsigned() -> dict[str, Any]:
    unsigned = _json(DERIVED / "ob3-credit-record.unsigned.json")
    unsigned["issuer"]["id"] = did_key(SAMPLE_KEY.public_key())
    return unsigned


def _sample_sign(document: dict[str, Any], suite: str = "eddsa-rdfc-2022") -> dict[str, Any]:
    return sign(
        document,
        SAMPLE_KEY,
        verification_method=verification_method(SAMPLE_KEY.public_key()),
        created=SAMPLE_CREATED,
        cryptosuite=suite,
    )


@pytest.mark.parametrize(("suite", "name"), [("eddsa-rdfc-2022", "rdfc"), ("eddsa-jcs-2022", "jcs")])
def test_derived_record_resigned_is_identical(suite: str, name: str) -> None:
    signed = _sample_sign(_sample_unsigned(), suite)
    assert _layout(signed) + "\n" == _text(DERIVED / f"ob3-credit-record.{name}.json")


def test_derived_status_list_rebuilt_and_signed_is_identical() -> None:
    bits = StatusList()
    bits.set(7)
    unsigned = status_list_credential(
        STATUS_URL, did_key(SAMPLE_KEY.public_key()), "revocation", bits, SAMPLE_CREATED
    )
    assert _layout(_sample_sign(unsigned)) + "\n" == _text(DERIVED / "status" / "list-revocation.json")


@pytest.mark.parametrize("index", [3, 7])
def test_derived_status_records_resigned_are_identical(index: int) -> None:
    unsigned = {**_sample_unsigned(), "credentialStatus": status_entry(STATUS_URL, index, "revocation")}
    expected = _text(DERIVED / "status" / f"ob3-credit-record.status{index}.rdfc.json")
    assert _layout(_sample_sign(unsigned)) + "\n" == expected


def test_batch_signing_equals_one_by_one() -> None:
    records = []
    for n in range(5):
        record = _sample_unsigned()
        record["id"] = f"urn:uuid:00000000-0000-4000-8000-00000000000{n}"
        record["credentialSubject"]["creditsEarned"] = n
        records.append(record)
    batch = sign_batch(
        records,
        SAMPLE_KEY,
        verification_method=verification_method(SAMPLE_KEY.public_key()),
        created=SAMPLE_CREATED,
    )
    assert batch == [_sample_sign(record) for record in records]
    assert all(verify(signed).controller == did_key(SAMPLE_KEY.public_key()) for signed in batch)


def test_signing_leaves_the_input_alone_and_refuses_a_second_proof() -> None:
    unsigned = _sample_unsigned()
    before = json.dumps(unsigned)
    signed = _sample_sign(unsigned)
    assert json.dumps(unsigned) == before
    with pytest.raises(SignatureError, match="already has a proof"):
        _sample_sign(signed)


def test_naive_created_is_refused() -> None:
    with pytest.raises(CredentialError):
        sign(
            _sample_unsigned(),
            SAMPLE_KEY,
            verification_method=verification_method(SAMPLE_KEY.public_key()),
            created=datetime(2025, 7, 1),
        )


# --- verdicts from expected.json --------------------------------------------------------------------------

# Our wording for the one failure the reference verifier names after JSON-LD "safe mode".
_OUR_WORDS = {"Safe mode validation error": "is not defined by any @context"}


def _run_case(args: list[str], document: dict[str, Any]) -> VerifiedProof | object:
    """Mirror the reference verifier's flags: --proof-only, --controller FILE, --status-list FILE."""
    resolver = None
    if "--controller" in args:
        resolver = controller_document_resolver(_json(VC / args[args.index("--controller") + 1]))
    if "--proof-only" in args:
        return verify(document, resolve_public_key=resolver)
    lists = {}
    if "--status-list" in args:
        status_list = _json(VC / args[args.index("--status-list") + 1])
        lists[status_list["id"]] = status_list
    return verify_credential(document, now=NOW, status_lists=lists, resolve_public_key=resolver)


_CASES = _json(VC / "expected.json")


@pytest.mark.parametrize(
    "case",
    _CASES,
    ids=[f"{c['file']}[{' '.join(a for a in c['args'] if a.startswith('--'))}]" for c in _CASES],
)
def test_expected_verdict(case: dict[str, Any]) -> None:
    document = _json(VC / case["file"])
    if case["expect"] == "pass":
        assert _run_case(case["args"], document)
    else:
        words = _OUR_WORDS.get(case["error"], case["error"])
        with pytest.raises(CredentialError, match=re.escape(words)):
            _run_case(case["args"], document)


# --- malformed proofs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "Ed25519Signature2020"}, "proof type"),
        ({"cryptosuite": "ecdsa-rdfc-2019"}, "unsupported cryptosuite"),
        ({"proofPurpose": "authentication"}, "proofPurpose"),
        ({"proofValue": None}, "proofValue is missing"),
        ({"proofValue": "uAAAA"}, "base58btc"),
        ({"proofValue": "z" + "1" * 10}, "64-byte"),
        ({"verificationMethod": "did:key:z6Mk"}, "bad did:key"),
        ({"created": "yesterday"}, "created"),
    ],
)
def test_malformed_proof_fails_closed(change: dict[str, Any], message: str) -> None:
    signed = _json(DERIVED / "ob3-credit-record.rdfc.json")
    signed["proof"].update(change)
    with pytest.raises(SignatureError, match=message):
        verify(signed)


def test_proof_set_is_refused() -> None:
    signed = _json(DERIVED / "ob3-credit-record.rdfc.json")
    signed["proof"] = [signed["proof"], signed["proof"]]
    with pytest.raises(SignatureError, match="proof sets"):
        verify(signed)


def test_jcs_proof_context_must_match_the_document() -> None:
    signed = _json(DERIVED / "ob3-credit-record.jcs.json")
    signed["proof"]["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    with pytest.raises(SignatureError, match="proof @context"):
        verify(signed)


def test_verified_proof_fields_and_issuer_check() -> None:
    signed = _json(DERIVED / "ob3-credit-record.rdfc.json")
    verified = verify(signed)
    assert verified == VerifiedProof(
        verification_method(SAMPLE_KEY.public_key()),
        did_key(SAMPLE_KEY.public_key()),
        "eddsa-rdfc-2022",
        SAMPLE_CREATED,
        "assertionMethod",
    )
    check_issuer_matches_controller(signed, verified)
    signed["issuer"] = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    with pytest.raises(SignatureError, match="issuer must match"):
        check_issuer_matches_controller(signed, verified)


def test_expired_credential_is_refused() -> None:
    unsigned = {**_sample_unsigned(), "validUntil": "2025-12-31T23:59:59Z"}
    with pytest.raises(CredentialError, match='after "validUntil"'):
        verify_credential(_sample_sign(unsigned), now=NOW)


def test_jcs_signs_plain_json_without_a_context() -> None:
    entry = {"digest": "sha256:00", "index": 7, "note": "账本"}
    signed = sign(
        entry,
        SAMPLE_KEY,
        verification_method=verification_method(SAMPLE_KEY.public_key()),
        created=SAMPLE_CREATED,
        cryptosuite="eddsa-jcs-2022",
    )
    assert "@context" not in signed["proof"]
    assert verify(signed).cryptosuite == "eddsa-jcs-2022"
    signed["index"] = 8
    with pytest.raises(SignatureError, match="Invalid signature"):
        verify(signed)
