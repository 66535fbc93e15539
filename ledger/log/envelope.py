"""Leaf bytes: RFC 8785 canonical JSON of the PII-free envelope (DESIGN.md §3), and subject commitments."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from typing import Any

import rfc8785

from credentials.canonical import jcs

ENVELOPE_VERSION = 1
_PLAIN = re.compile(r"^[\x20-\x7e]*$")
# What `json.dumps(envelope, sort_keys=True, separators=(",", ":"))` writes, keys already in sorted order;
# strings go through the same (C) string encoder json.dumps uses, ints through int.__repr__ as json does.
_LEAF = '{"digest":%s,"index":%d,"issuer":%s,"kind":%s,"subject":%s,"time":%s,"v":' + str(ENVELOPE_VERSION) + "}"
_json_str = json.encoder.encode_basestring_ascii


def commitment(salt: bytes, subject_ref: str) -> str:
    """`hmac-sha256:<hex>` of the subject reference under a per-entry salt."""
    return "hmac-sha256:" + hmac.new(salt, subject_ref.encode(), hashlib.sha256).hexdigest()


def digest_of(signed_object: Any) -> str:
    """`sha256:<hex>` of the JCS bytes of a signed object exactly as served."""
    return "sha256:" + hashlib.sha256(jcs(signed_object)).hexdigest()


def log_time(when: dt.datetime) -> str:
    """RFC 3339, UTC, whole seconds, `Z`."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(index: int, kind: str, subject: str, issuer: str, digest: str, time: str) -> dict[str, Any]:
    """The envelope as a dict (keys as DESIGN.md §3 names them)."""
    return {"v": ENVELOPE_VERSION, "index": index, "kind": kind, "subject": subject, "issuer": issuer,
            "digest": digest, "time": time}


def leaf_bytes(index: int, kind: str, subject: str, issuer: str, digest: str, time: str) -> bytes:
    """Canonical bytes of one envelope.

    For printable-ASCII strings and small integers, sorted compact `json.dumps` *is* RFC 8785 (no floats,
    no escapes beyond `\\"` and `\\\\`, key order by code unit = by code point), and it is ~30× faster than
    the pure-Python `rfc8785`; anything else takes the general path. A property test checks the equality.
    The common case (a plain int index) fills a template with the very encodings json.dumps would emit.
    """
    plain = _PLAIN.match
    if plain(kind) and plain(subject) and plain(issuer) and plain(digest) and plain(time) and 0 <= index < 2**53:
        if type(index) is int:
            return (_LEAF % (_json_str(digest), index, _json_str(issuer), _json_str(kind), _json_str(subject),
                             _json_str(time))).encode()
        return json.dumps(envelope(index, kind, subject, issuer, digest, time), sort_keys=True,
                          separators=(",", ":")).encode()
    return rfc8785.dumps(envelope(index, kind, subject, issuer, digest, time))
