"""AES-256-GCM sealing of secrets at rest (private keys, personal data) under the bank's master key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from credentials.errors import CredentialError

_VERSION = b"\x01"


class SealingError(CredentialError):
    """A sealed value cannot be opened (wrong key, tampered, or not a sealed value)."""


def decode_master_key(text: str) -> bytes:
    """Decode a master key given as standard or URL-safe base64 of 32 bytes."""
    try:
        raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as e:
        raise SealingError("master key is not base64") from e
    if len(raw) != 32:
        raise SealingError("master key must be 32 bytes (base64 of 32 random bytes)")
    return raw


def new_master_key() -> str:
    """A fresh random master key as URL-safe base64."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def key_id(master_key: bytes) -> str:
    """A short public fingerprint of a master key, stored beside each sealed value to pick the key."""
    return hashlib.sha256(b"creditbank master key id\x00" + master_key).hexdigest()[:16]


def seal(master_key: bytes, plaintext: bytes, *, context: bytes) -> bytes:
    """Encrypt and authenticate `plaintext`; `context` (e.g. table and column) is bound as AAD."""
    nonce = os.urandom(12)
    return _VERSION + nonce + AESGCM(master_key).encrypt(nonce, plaintext, context)


def open_sealed(master_key: bytes, sealed: bytes, *, context: bytes) -> bytes:
    """Decrypt a value made by `seal` with the same key and context, or raise SealingError."""
    if len(sealed) < 1 + 12 + 16 or sealed[:1] != _VERSION:
        raise SealingError("not a sealed value")
    try:
        return AESGCM(master_key).decrypt(sealed[1:13], sealed[13:], context)
    except Exception as e:  # cryptography raises InvalidTag; anything else is equally fatal here
        raise SealingError("sealed value does not open under this key (wrong key or tampered)") from e


def keyed_hash(key: bytes, value: str, *, purpose: bytes) -> str:
    """HMAC-SHA256 of `value` under a key derived from `key` for one purpose (look-ups, commitments)."""
    sub = hmac.new(key, b"creditbank keyed hash\x00" + purpose, hashlib.sha256).digest()
    return hmac.new(sub, value.encode(), hashlib.sha256).hexdigest()
