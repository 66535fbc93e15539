"""Leaf bytes are RFC 8785 exactly, whatever the strings; commitments hide the subject."""

from __future__ import annotations

import json

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from ledger.log.envelope import commitment, envelope, leaf_bytes

_text = st.text(max_size=60)


@given(index=st.integers(min_value=0, max_value=2**53 - 1), kind=_text, subject=_text, issuer=_text,
       digest=_text, time=_text)
def test_leaf_bytes_are_jcs(index: int, kind: str, subject: str, issuer: str, digest: str, time: str) -> None:
    try:
        expected = rfc8785.dumps(envelope(index, kind, subject, issuer, digest, time))
    except rfc8785.CanonicalizationError:
        return  # lone surrogates: not representable in JSON at all
    assert leaf_bytes(index, kind, subject, issuer, digest, time) == expected


def test_envelope_shape_is_the_design() -> None:
    leaf = leaf_bytes(7, "record", "hmac-sha256:ab", "did:key:z6Mk", "sha256:cd", "2026-11-23T12:00:00Z")
    assert leaf == (b'{"digest":"sha256:cd","index":7,"issuer":"did:key:z6Mk","kind":"record",'
                    b'"subject":"hmac-sha256:ab","time":"2026-11-23T12:00:00Z","v":1}')
    assert set(json.loads(leaf)) == {"v", "index", "kind", "subject", "issuer", "digest", "time"}


def test_commitment_depends_on_salt_and_never_shows_the_subject() -> None:
    account = "urn:uuid:0e6b7c1a-2f44-4d8e-b1a9-7c3e5f2d4a60"
    a, b = commitment(b"\x01" * 16, account), commitment(b"\x02" * 16, account)
    assert a != b and a.startswith("hmac-sha256:") and len(a) == len("hmac-sha256:") + 64
    assert account not in a and "0e6b7c1a" not in a
