"""Bitstring Status List: bit order, the vector's encodedList, decoding limits, and every check_status refusal."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from credentials.dataintegrity import sign
from credentials.didkey import did_key, verification_method
from credentials.errors import StatusListError
from credentials.statuslist import StatusList, check_status, status_entry, status_list_credential

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CREDITBANK_SHARED_DIR") or REPO.parent / "shared")
STATUS = SHARED / "vectors" / "vc" / "derived" / "status"

if not STATUS.is_dir():
    pytest.fail(f"status vectors not found at {STATUS} (set CREDITBANK_SHARED_DIR)", pytrace=False)

ISSUER_KEY = Ed25519PrivateKey.from_private_bytes(
    hashlib.sha256(b"peer-verify sample issuer key - public, NOT SECRET").digest()
)
ISSUER = did_key(ISSUER_KEY.public_key())
LIST_URL = "https://college.example/status/revocation/1"
CREATED = datetime(2025, 7, 1, tzinfo=UTC)


def _json(name: str) -> Any:
    return json.loads((STATUS / name).read_text("utf-8"))


def _signed_list(
    bits: StatusList,
    purpose: str = "revocation",
    key: Ed25519PrivateKey = ISSUER_KEY,
    issuer: str | None = None,
    url: str = LIST_URL,
) -> dict[str, Any]:
    unsigned = status_list_credential(url, issuer or did_key(key.public_key()), purpose, bits, CREATED)
    return sign(unsigned, key, verification_method=verification_method(key.public_key()), created=CREATED)


def _credential(index: int | str, purpose: str = "revocation") -> dict[str, Any]:
    entry = status_entry(LIST_URL, int(index), purpose)
    entry["statusListIndex"] = str(index)
    return {"issuer": {"id": ISSUER}, "credentialStatus": entry}


def test_index_zero_is_the_most_significant_bit_of_byte_zero() -> None:
    bits = StatusList(16)
    bits.set(0)
    bits.set(9)
    raw = gzip.decompress(base64.urlsafe_b64decode(bits.encode()[1:] + "=="))
    assert raw == bytes([0b1000_0000, 0b0100_0000])


def test_encoding_reproduces_the_vector() -> None:
    bits = StatusList()
    bits.set(7)
    assert bits.encode() == _json("list-revocation.json")["credentialSubject"]["encodedList"]


def test_vector_list_decodes_to_bit_7_only() -> None:
    bits = StatusList.decode(_json("list-revocation.json")["credentialSubject"]["encodedList"])
    assert len(bits) == 131072
    assert [i for i in range(len(bits)) if bits.get(i)] == [7]


@given(st.sets(st.integers(0, 131071), max_size=40))
def test_round_trip(indices: set[int]) -> None:
    bits = StatusList()
    for index in indices:
        bits.set(index)
    decoded = StatusList.decode(bits.encode())
    assert {i for i in indices if decoded.get(i)} == indices
    for index in indices:
        decoded.set(index, False)
    assert decoded.encode() == StatusList().encode()


@pytest.mark.parametrize("size", [0, -8, 12, 2**27])
def test_bad_sizes_are_refused(size: int) -> None:
    with pytest.raises(StatusListError):
        StatusList(size)


@pytest.mark.parametrize("index", [-1, 131072, True, "3"])
def test_out_of_range_index_is_refused(index: Any) -> None:
    with pytest.raises(StatusListError):
        StatusList().get(index)


def _u(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "encoded",
    [
        "zAAAA",  # wrong multibase
        _u(b"not gzip"),
        _u(gzip.compress(bytes(100))[:-4]),  # truncated
        _u(gzip.compress(bytes(100)) + b"x"),  # trailing bytes
        _u(gzip.compress(b"")),  # empty list
        _u(gzip.compress(bytes(2**23 + 1))),  # bigger than MAX_SIZE bits: a gzip bomb in miniature
    ],
)
def test_malformed_encoded_lists_are_refused(encoded: str) -> None:
    with pytest.raises(StatusListError):
        StatusList.decode(encoded)


def test_status_entry_shape() -> None:
    assert status_entry(LIST_URL, 7) == _json("ob3-credit-record.status7.rdfc.json")["credentialStatus"]
    with pytest.raises(StatusListError):
        status_entry(LIST_URL, 1, "message")
    with pytest.raises(StatusListError):
        status_entry(LIST_URL, -1)


def test_status_list_credential_shape() -> None:
    bits = StatusList()
    bits.set(7)
    expected = _json("list-revocation.json")
    del expected["proof"]
    assert status_list_credential(LIST_URL, ISSUER, "revocation", bits, CREATED) == expected


def test_vector_records_against_the_vector_list() -> None:
    status_list = _json("list-revocation.json")
    assert check_status(_json("ob3-credit-record.status7.rdfc.json"), status_list, expected_issuer=ISSUER)
    assert not check_status(_json("ob3-credit-record.status3.rdfc.json"), status_list, expected_issuer=ISSUER)


def test_list_from_another_issuer_is_refused() -> None:
    other = _json("list-revocation.signed-by-other-key.json")
    with pytest.raises(StatusListError, match="do not match"):
        check_status(_json("ob3-credit-record.status3.rdfc.json"), other, expected_issuer=ISSUER)


def test_list_claiming_our_issuer_but_signed_by_another_key_is_refused() -> None:
    forged = _signed_list(StatusList(), key=Ed25519PrivateKey.generate(), issuer=ISSUER)
    with pytest.raises(StatusListError, match="issuer must match"):
        check_status(_credential(3), forged, expected_issuer=ISSUER)


def test_tampered_or_unsigned_list_is_refused() -> None:
    status_list = _json("list-revocation.json")
    status_list["credentialSubject"]["encodedList"] = StatusList().encode()
    with pytest.raises(StatusListError, match="Invalid signature"):
        check_status(_credential(7), status_list, expected_issuer=ISSUER)
    del status_list["proof"]
    with pytest.raises(StatusListError, match="No matching proofs"):
        check_status(_credential(7), status_list, expected_issuer=ISSUER)


def test_purpose_mismatch_is_refused() -> None:
    status_list = _signed_list(StatusList(), purpose="revocation")
    with pytest.raises(StatusListError, match="purpose mismatch"):
        check_status(_credential(3, "suspension"), status_list, expected_issuer=ISSUER)


def test_index_beyond_the_list_is_refused() -> None:
    with pytest.raises(StatusListError, match="out of range"):
        check_status(_credential(131072), _json("list-revocation.json"), expected_issuer=ISSUER)


@pytest.mark.parametrize("index", ["07", "-1", "1e3", " 3", ""])
def test_non_decimal_index_is_refused(index: str) -> None:
    credential = _credential(3)
    credential["credentialStatus"]["statusListIndex"] = index
    with pytest.raises(StatusListError, match="decimal"):
        check_status(credential, _json("list-revocation.json"), expected_issuer=ISSUER)


def test_entry_for_another_list_is_refused() -> None:
    other_list = _signed_list(StatusList(), url="https://college.example/status/revocation/2")
    with pytest.raises(StatusListError, match="no BitstringStatusListEntry"):
        check_status(_credential(3), other_list, expected_issuer=ISSUER)


def test_expired_list_is_refused_when_now_is_given() -> None:
    unsigned = status_list_credential(
        LIST_URL, ISSUER, "revocation", StatusList(), CREATED, valid_until=datetime(2025, 8, 1, tzinfo=UTC)
    )
    status_list = sign(
        unsigned,
        ISSUER_KEY,
        verification_method=verification_method(ISSUER_KEY.public_key()),
        created=CREATED,
    )
    assert not check_status(_credential(3), status_list, expected_issuer=ISSUER)
    with pytest.raises(StatusListError, match="not valid"):
        check_status(
            _credential(3), status_list, expected_issuer=ISSUER, now=datetime(2026, 1, 1, tzinfo=UTC)
        )
