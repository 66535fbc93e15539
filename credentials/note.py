"""C2SP signed-note v1.0.0 with Ed25519 keys (type 0x01), byte-compatible with golang.org/x/mod/sumdb/note.

A note is UTF-8 text ending in a newline, a blank line, then signature lines
``— <key name> <base64(key id ‖ signature)>``. The signature covers the text including its last
newline. Key id = ``SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from credentials.errors import KeyFormatError, NoteError

ALG_ED25519 = 0x01
MAX_SIGNATURES = 100  # x/mod's cap; the spec asks verifiers to accept at least 16
SIGNATURE_PREFIX = "\u2014 "  # em dash U+2014 then a space; "--" or an en dash is malformed
_KEY_ID_SIZE = 4


def b64decode_strict(text: str) -> bytes:
    """Standard padded base64 in its one canonical spelling; ValueError otherwise."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError("not standard base64") from exc
    # b64decode tolerates non-zero padding bits; re-encoding catches those alternative spellings.
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical standard base64")
    return raw


def is_valid_key_name(name: str) -> bool:
    """A key name is non-empty and has no Unicode space and no ``+`` (as x/mod's isValidName)."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name) and _is_clean(name)


def _is_clean(text: str) -> bool:
    """No ASCII control character except newline, and encodable as UTF-8 (no lone surrogates)."""
    if any((ch < " " and ch != "\n") or ch == "\x7f" for ch in text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def key_id(name: str, typed_public_key: bytes) -> bytes:
    """Four-byte key id: ``SHA-256(name ‖ "\\n" ‖ type byte ‖ public key)[:4]``."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + typed_public_key).digest()[:_KEY_ID_SIZE]


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _split_key_string(text: str, parts: int) -> list[str]:
    """Split a ``+``-separated key string into exactly ``parts`` fields; KeyFormatError otherwise."""
    # The base64 key may itself contain "+", so only the leading fields are split off (as x/mod's chop).
    fields = text.strip().split("+", parts - 1)
    if len(fields) != parts:
        raise KeyFormatError(f"key string must have {parts} '+'-separated fields")
    return fields


def _decode_typed_key(name: str, hex_id: str, key_b64: str) -> tuple[bytes, bytes]:
    """Check the name and id fields and decode ``base64(0x01 ‖ 32 bytes)``; returns (key id, 32 bytes)."""
    if not is_valid_key_name(name):
        raise KeyFormatError("invalid key name")
    if len(hex_id) != 2 * _KEY_ID_SIZE or any(c not in "0123456789abcdef" for c in hex_id.lower()):
        raise KeyFormatError("key id must be 8 hex digits")
    try:
        typed = b64decode_strict(key_b64)
    except ValueError as exc:
        raise KeyFormatError("key is not standard base64") from exc
    if len(typed) != 33 or typed[0] != ALG_ED25519:
        raise KeyFormatError("only Ed25519 keys (type 0x01, 32 bytes) are supported")
    return bytes.fromhex(hex_id), typed[1:]


@dataclass(frozen=True)
class Verifier:
    """A note verifier: key name, key id and Ed25519 public key."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey = field(compare=False)

    @classmethod
    def from_public_key(cls, name: str, public_key: Ed25519PublicKey) -> Verifier:
        """Verifier for ``name`` whose id is derived from the key."""
        if not is_valid_key_name(name):
            raise KeyFormatError("invalid key name")
        return cls(name, key_id(name, bytes([ALG_ED25519]) + _raw_public(public_key)), public_key)

    @classmethod
    def from_key_string(cls, vkey: str) -> Verifier:
        """Parse ``name+hex8+base64(0x01 ‖ pub32)``; KeyFormatError if malformed or the id does not match."""
        name, hex_id, key_b64 = _split_key_string(vkey, 3)
        kid, raw = _decode_typed_key(name, hex_id, key_b64)
        verifier = cls.from_public_key(name, Ed25519PublicKey.from_public_bytes(raw))
        if verifier.key_id != kid:
            raise KeyFormatError("key id does not match the key (is the 0x01 type byte hashed?)")
        return verifier

    def key_string(self) -> str:
        """The verifier key text ``name+hex8+base64(0x01 ‖ pub32)`` that relying parties configure."""
        typed = bytes([ALG_ED25519]) + _raw_public(self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(typed).decode('ascii')}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (without the key id) is this key's Ed25519 signature of ``message``."""
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Signer:
    """A note signer: key name and Ed25519 private key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        """Signer for ``name``; KeyFormatError if the name cannot appear in a note."""
        self.verifier = Verifier.from_public_key(name, private_key.public_key())
        self._private_key = private_key

    @classmethod
    def from_key_string(cls, skey: str) -> Signer:
        """Parse x/mod's ``PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed32)``; the id must match the public key."""
        private, key, name, hex_id, key_b64 = _split_key_string(skey, 5)
        if (private, key) != ("PRIVATE", "KEY"):
            raise KeyFormatError("private key string must start with PRIVATE+KEY+")
        kid, seed = _decode_typed_key(name, hex_id, key_b64)
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        if signer.key_id != kid:
            raise KeyFormatError("key id does not match the key")
        return signer

    @property
    def name(self) -> str:
        """Key name (for a log: its origin)."""
        return self.verifier.name

    @property
    def key_id(self) -> bytes:
        """Four-byte key id."""
        return self.verifier.key_id

    def sign(self, message: bytes) -> bytes:
        """Raw Ed25519 signature of ``message`` (64 bytes, deterministic)."""
        return self._private_key.sign(message)

    def __repr__(self) -> str:
        """Name and id only, so the private key never lands in a log line."""
        return f"Signer({self.name!r}, key_id={self.key_id.hex()})"


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    signature_b64: str  # base64 of key id ‖ signature, exactly as it appeared


@dataclass(frozen=True, slots=True)
class OpenedNote:
    """A note whose text was verified by at least one known key."""

    text: str
    verified_signatures: tuple[NoteSignature, ...]
    unverified_signatures: tuple[NoteSignature, ...] = ()


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    """Sign ``text`` (must end in a newline) with each signer; returns the whole note."""
    if not signers:
        raise NoteError("a note needs at least one signer")
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if not _is_clean(text):
        raise NoteError("note text contains a control character or is not valid UTF-8")
    message = text.encode("utf-8")
    lines = []
    for signer in signers:
        sig_b64 = base64.b64encode(signer.key_id + signer.sign(message)).decode("ascii")
        lines.append(f"{SIGNATURE_PREFIX}{signer.name} {sig_b64}\n")
    return text + "\n" + "".join(lines)


def _index_verifiers(verifiers: Sequence[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    """Verifiers by (name, key id); NoteError if two different keys share both."""
    known: dict[tuple[str, bytes], Verifier] = {}
    for v in verifiers:
        slot = (v.name, v.key_id)
        if slot in known and _raw_public(known[slot].public_key) != _raw_public(v.public_key):
            raise NoteError(f"ambiguous verifiers for {v.name}+{v.key_id.hex()}")
        known[slot] = v
    return known


def _parse_signature_line(line: str) -> tuple[NoteSignature, bytes]:
    """Split ``— name base64`` into its fields and raw signature; NoteError if malformed."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError("malformed note: signature line must start with an em dash and a space")
    name, _, sig_b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
    try:
        raw = b64decode_strict(sig_b64)
    except ValueError:
        raise NoteError("malformed note: signature is not standard base64") from None
    if not is_valid_key_name(name) or len(raw) <= _KEY_ID_SIZE:
        raise NoteError("malformed note: bad signature line")
    return NoteSignature(name, raw[:_KEY_ID_SIZE], sig_b64), raw[_KEY_ID_SIZE:]


def open_note(note: str | bytes, verifiers: Sequence[Verifier]) -> OpenedNote:
    """Verify a signed note against known keys; returns its text or raises NoteError (fails closed).

    Signatures by unknown keys are ignored; a known key whose signature fails rejects the note;
    at least one known key must have signed.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("malformed note: not valid UTF-8") from None
    if not _is_clean(note):
        raise NoteError("malformed note: control character or invalid UTF-8")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("malformed note: no signature lines, or the last one lacks its newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    known = _index_verifiers(verifiers)
    message = text.encode("utf-8")
    verified: dict[tuple[str, bytes], NoteSignature] = {}
    unverified: dict[str, NoteSignature] = {}
    for line in lines:
        sig, raw = _parse_signature_line(line)
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            unverified.setdefault(line, sig)  # other keys' signatures are kept, never trusted
            continue
        if (sig.name, sig.key_id) in verified:
            continue  # x/mod drops repeats by one key without checking them again
        if not verifier.verify(message, raw):
            raise NoteError(f"invalid signature by {sig.name}+{sig.key_id.hex()}")
        verified[(sig.name, sig.key_id)] = sig
    if not verified:
        raise NoteError("note is not signed by any known key")
    return OpenedNote(text, tuple(verified.values()), tuple(unverified.values()))
