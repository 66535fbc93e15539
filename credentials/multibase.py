"""Multibase text encodings used by credentials: base58btc ("z…") and base64url without padding ("u…")."""

import base64
import binascii
import re

from credentials.errors import KeyFormatError

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b58encode(data: bytes) -> str:
    """Bitcoin base58 of `data` (no multibase prefix)."""
    zeros = len(data) - len(data.lstrip(b"\x00"))
    n = int.from_bytes(data, "big")
    digits = []
    while n:
        n, rem = divmod(n, 58)
        digits.append(_B58_ALPHABET[rem])
    # Each leading zero byte is one leading "1", as in Bitcoin's encoding.
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Bytes of a Bitcoin base58 string (no multibase prefix); raises KeyFormatError on a bad digit."""
    n = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise KeyFormatError(f"not a base58btc character: {char!r}")
        n = n * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\x00" * zeros + body


def encode_base58btc(data: bytes) -> str:
    """Multibase base58btc: "z" + base58(data)."""
    return "z" + b58encode(data)


def decode_base58btc(text: str) -> bytes:
    """Bytes of a multibase base58btc string; raises KeyFormatError unless it starts with "z"."""
    if not isinstance(text, str) or not text.startswith("z"):
        raise KeyFormatError("expected a multibase base58btc string starting with 'z'")
    return b58decode(text[1:])


def encode_base64url(data: bytes) -> str:
    """Multibase base64url without padding: "u" + base64url(data)."""
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_base64url(text: str) -> bytes:
    """Bytes of a multibase base64url (no padding) string; raises KeyFormatError unless it starts with "u"."""
    if not isinstance(text, str) or not text.startswith("u"):
        raise KeyFormatError("expected a multibase base64url string starting with 'u'")
    body = text[1:]
    # urlsafe_b64decode silently skips characters outside the alphabet; refuse them instead.
    if not _B64URL.fullmatch(body) or len(body) % 4 == 1:
        raise KeyFormatError("malformed base64url multibase string")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError("malformed base64url multibase string") from exc
