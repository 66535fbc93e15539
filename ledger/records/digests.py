"""`digest_of` for credentials, ~4× faster: sorted compact `json.dumps` where it provably equals RFC 8785.

RFC 8785 (JCS) is ECMAScript's JSON.stringify with keys sorted by UTF-16 code units. Python's
`json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` writes the same bytes when
every key is ASCII (code-point and code-unit order agree), integers are within ±2^53, and every float is
finite, not whole and in [1e-4, 1e16) in magnitude (there both languages print the shortest round-trip
digits without an exponent); strings are escaped alike (`\\"`, `\\\\`, `\\b\\f\\n\\r\\t`, other controls as
lowercase `\\u00xx`, everything else raw). Anything else takes the reference path (`ledger.log.digest_of`).
A property test checks the equality on generated documents.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ledger.log import digest_of

_MAX_INT = 2**53


def _plain(value: Any) -> bool:
    """True if `value` is JSON whose sorted compact `json.dumps` is its JCS form."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_MAX_INT < value < _MAX_INT
    if isinstance(value, float):
        magnitude = abs(value)
        return 1e-4 <= magnitude < 1e16 and not value.is_integer()
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return False


def credential_digest(document: Any) -> str:
    """`sha256:<hex>` of the JCS bytes of `document`, exactly as `ledger.log.digest_of` computes it."""
    if _plain(document):
        try:
            data = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: JCS refuses it, let the reference path say so
            return digest_of(document)
        return "sha256:" + hashlib.sha256(data).hexdigest()
    return digest_of(document)
