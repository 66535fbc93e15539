"""The fast credential digest equals `ledger.log.digest_of` (RFC 8785) on credentials and on any JSON."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.dataintegrity import sign
from credentials.didkey import did_key, verification_method
from credentials.errors import CanonicalisationError
from ledger.log import digest_of
from ledger.records.credential import build_credential
from ledger.records.digests import credential_digest
from tests.unit.test_record_schemas import MINIMAL, VALID

KEY = Ed25519PrivateKey.generate()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@given(json_values)
@settings(max_examples=500, deadline=None)
def test_equal_to_rfc8785_on_any_json(value: Any) -> None:
    try:
        expected = digest_of(value)
    except CanonicalisationError:
        return
    assert credential_digest(value) == expected


@given(st.floats(min_value=1e-5, max_value=1e17, allow_nan=False))
def test_equal_on_floats_near_the_edges(value: float) -> None:
    assert credential_digest({"x": [value, -value]}) == digest_of({"x": [value, -value]})


def test_equal_on_every_kind_of_signed_credential() -> None:
    for outcomes in (VALID, MINIMAL):
        for kind, outcome in outcomes.items():
            unsigned = build_credential(
                record_id=uuid.uuid4(), account_id=uuid.uuid4(), kind=kind, outcome=outcome,
                occurred_on=dt.date(2024, 6, 20), issuer_did=did_key(KEY.public_key()), issuer_name="重庆开放大学",
                valid_from=dt.datetime(2025, 7, 1, tzinfo=dt.UTC), achievement_id_base="https://bank.example/a")
            signed = sign(unsigned, KEY, verification_method=verification_method(KEY.public_key()),
                          created=dt.datetime(2025, 7, 1, tzinfo=dt.UTC))
            assert credential_digest(signed) == digest_of(signed), kind
