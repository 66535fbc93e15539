"""Multibase and did:key: the W3C keyPair.json, round trips, and every malformed form refused."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from credentials.didkey import (
    controller_of,
    did_key,
    private_key_from_multibase,
    private_key_multibase,
    public_key_from_did_key,
    public_key_from_multibase,
    public_key_multibase,
    verification_method,
)
from credentials.errors import KeyFormatError
from credentials.multibase import (
    b58decode,
    b58encode,
    decode_base58btc,
    decode_base64url,
    encode_base58btc,
    encode_base64url,
)

# W3C vc-di-eddsa TestVectors/keyPair.json (public test key).
W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_PRIVATE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
# 1EdTech OB 3.0 test vector: seed + public key (64 bytes) after the 0x8026 prefix.
OB_SECRET = "zrv2bqTbNwCTsRrHFcJCPjVAduh4Ezcnoq1A3ZxH1GWTNkxipLVuaAoMFmze2gFN9oNXfJjufxSHWVZzsJiUsMHFMcx"
OB_PUBLIC = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
SAMPLE_SEED = hashlib.sha256(b"peer-verify sample issuer key - public, NOT SECRET").digest()
SAMPLE_DID = "did:key:z6MkwV5fwyVbYm9DmxtaUVHPYf5QLMbTnj8oomXYRjmV4Vbw"


def _raw(public_key: object) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)  # type: ignore[attr-defined]


def test_w3c_private_multibase_gives_the_published_public_key() -> None:
    key = private_key_from_multibase(W3C_PRIVATE)
    assert public_key_multibase(key.public_key()) == W3C_PUBLIC
    assert private_key_multibase(key) == W3C_PRIVATE


def test_1edtech_64_byte_secret_key_form() -> None:
    key = private_key_from_multibase(OB_SECRET)
    assert public_key_multibase(key.public_key()) == OB_PUBLIC


def test_raw_0x1300_prefix_is_accepted_on_input() -> None:
    seed = decode_base58btc(W3C_PRIVATE)[2:]
    key = private_key_from_multibase(encode_base58btc(b"\x13\x00" + seed))
    assert public_key_multibase(key.public_key()) == W3C_PUBLIC


def test_64_byte_form_with_a_foreign_public_key_is_refused() -> None:
    data = bytearray(decode_base58btc(OB_SECRET))
    data[-1] ^= 1
    with pytest.raises(KeyFormatError):
        private_key_from_multibase(encode_base58btc(bytes(data)))


def test_sample_issuer_did() -> None:
    public = Ed25519PrivateKey.from_private_bytes(SAMPLE_SEED).public_key()
    assert did_key(public) == SAMPLE_DID
    assert verification_method(public) == SAMPLE_DID + "#" + SAMPLE_DID.removeprefix("did:key:")


def test_did_and_verification_method_resolve_to_the_key() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    for text in (did_key(public), verification_method(public)):
        assert _raw(public_key_from_did_key(text)) == _raw(public)
        assert controller_of(text) == did_key(public)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "did:web:example.com",
        "did:key:",
        "did:key:"
        + W3C_PUBLIC
        + "#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",  # fragment names another key
        "did:key:" + W3C_PUBLIC[:-1] + "0",  # "0" is not base58
        "did:key:" + W3C_PUBLIC[:-2],  # wrong length
        "did:key:m" + W3C_PUBLIC[1:],  # not base58btc multibase
        "did:key:" + encode_base58btc(b"\xe7\x01" + bytes(33)),  # secp256k1 codec
    ],
)
def test_malformed_did_key_is_refused(text: str) -> None:
    with pytest.raises(KeyFormatError):
        public_key_from_did_key(text)


@pytest.mark.parametrize("text", ["", "z", "u123", "z0OIl", encode_base58btc(b"\xed\x01" + bytes(31))])
def test_malformed_public_multibase_is_refused(text: str) -> None:
    with pytest.raises(KeyFormatError):
        public_key_from_multibase(text)


@pytest.mark.parametrize("text", [W3C_PUBLIC, encode_base58btc(b"\x80\x26" + bytes(31)), "x"])
def test_malformed_private_multibase_is_refused(text: str) -> None:
    with pytest.raises(KeyFormatError):
        private_key_from_multibase(text)


@given(st.binary(max_size=80))
def test_base58_round_trip(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data
    assert decode_base58btc(encode_base58btc(data)) == data


def test_base58_leading_zeros_are_ones() -> None:
    assert b58encode(b"\x00\x00\x01") == "112"
    assert b58decode("112") == b"\x00\x00\x01"


@given(st.binary(max_size=80))
def test_base64url_round_trip(data: bytes) -> None:
    text = encode_base64url(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert decode_base64url(text) == data


@pytest.mark.parametrize("text", ["", "zAAAA", "uAA+A", "uA", "uAA==", "uA A"])
def test_malformed_base64url_is_refused(text: str) -> None:
    with pytest.raises(KeyFormatError):
        decode_base64url(text)
