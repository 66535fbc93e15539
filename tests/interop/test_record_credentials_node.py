"""Record credentials of every kind, signed in Python, checked by independent Node verifiers (offline):
Digital Bazaar's @digitalbazaar/vc and DCC's verifier-core accept them and refuse tampered copies, and a
revoked (or suspended) record whose Bitstring Status List the same key signed is rejected."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials.dataintegrity import sign
from credentials.didkey import did_key, verification_method
from credentials.statuslist import StatusList, status_entry, status_list_credential
from tests.unit.test_record_credential import (
    ISSUER,
    KEY,
    KINDS,
    METHOD,
    VALID_FROM,
    build,
    signed,
)
from tests.unit.test_record_schemas import MINIMAL, VALID, any_kind_outcome

from .nodeverify import NodeVerifier

pytestmark = pytest.mark.interop

NOW = "2026-01-01T00:00:00Z"  # Digital Bazaar's clock; DCC uses the system clock (validFrom 2025-07-01)
LISTS = "https://bank.example/api/v1/status/58af48d7-3273-479f-8e2c-81a11fc64e00"
REVOCATION_URL = f"{LISTS}/revocation/1"
SUSPENSION_URL = f"{LISTS}/suspension/1"
VERIFIERS = ("digitalbazaar", "dcc")


@pytest.fixture(scope="module")
def node_verifier() -> Iterator[NodeVerifier]:
    """One warm ``verify.mjs --server`` process for this module."""
    with NodeVerifier() as nv:
        yield nv


def status_list(url: str, purpose: str, *set_bits: int) -> dict[str, Any]:
    """A list credential for `purpose` with `set_bits` set, signed by the records' issuer key."""
    bits = StatusList()
    for index in set_bits:
        bits.set(index)
    unsigned = status_list_credential(url, ISSUER, purpose, bits, VALID_FROM)
    return sign(unsigned, KEY, verification_method=METHOD, created=VALID_FROM)


def _assert_all_verified(results: list[dict[str, Any]], names: list[str], verifier: str) -> None:
    failed = {name: r["errors"] for name, r in zip(names, results, strict=True) if not r["verified"]}
    assert not failed, f"{verifier} refused: {failed}"
    assert all(r["errors"] == [] for r in results)


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_every_kind_verifies(node_verifier: NodeVerifier, verifier: str) -> None:
    credentials = [signed(build(kind)) for kind in KINDS] + [signed(build(kind, MINIMAL[kind])) for kind in KINDS]
    names = [f"{kind}/valid" for kind in KINDS] + [f"{kind}/minimal" for kind in KINDS]
    results = node_verifier.verify(credentials, verifier, now=NOW)
    _assert_all_verified(results, names, verifier)


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_decimal_credits_as_json_floats(node_verifier: NodeVerifier, verifier: str) -> None:
    """Python (pyld-compatible RDFC) and JavaScript canonicalise fractional xsd:float credits alike."""
    values = ["0.1", "0.5", "1.25", "2.5", "3", "12.75", "99.99", "0"]
    credentials = [
        signed(build("course_credit", {**VALID["course_credit"], "credits": v, "course_code": f"C{i}"}))
        for i, v in enumerate(values)
    ]
    credentials.append(signed(build("online_course", {**VALID["online_course"], "credits": "1.5"})))
    assert credentials[0]["credentialSubject"]["creditsEarned"] == 0.1
    results = node_verifier.verify(credentials, verifier, now=NOW)
    _assert_all_verified(results, [*values, "online 1.5"], verifier)


@given(st.lists(any_kind_outcome, min_size=30, max_size=30))
@settings(max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_generated_records_verify_in_both(node_verifier: NodeVerifier, cases: list[tuple[str, dict[str, Any]]]) -> None:
    """Outcomes drawn from the documented schemas (any Unicode text, every optional field) verify in Node."""
    credentials = [signed(build(kind, wire)) for kind, wire in cases]
    system_now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for verifier in VERIFIERS:
        clock = NOW if verifier == "digitalbazaar" else system_now  # DCC ignores `now`
        results = node_verifier.verify(credentials, verifier, now=NOW)
        for (kind, _), credential, result in zip(cases, credentials, results, strict=True):
            # A generated certificate may have expired (validUntil = its expires_on): then, and only then, refused.
            expired = credential.get("validUntil", "9999") < clock
            assert result["verified"] is not expired, (verifier, kind, result["errors"], credential)


def _tampered(credential: dict[str, Any]) -> list[dict[str, Any]]:
    name = copy.deepcopy(credential)
    name["credentialSubject"]["achievement"]["name"] += "（伪造）"
    subject = copy.deepcopy(credential)
    subject["credentialSubject"]["id"] = "urn:uuid:00000000-0000-4000-8000-000000000001"
    return [name, subject]


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_tampered_records_are_rejected(node_verifier: NodeVerifier, verifier: str) -> None:
    credentials = [t for kind in KINDS for t in _tampered(signed(build(kind)))]
    credits = signed(build("course_credit"))
    credits["credentialSubject"]["creditsEarned"] = 25
    credentials.append(credits)
    results = node_verifier.verify(credentials, verifier, now=NOW)
    assert [r["verified"] for r in results] == [False] * len(credentials)
    words = "Invalid signature" if verifier == "digitalbazaar" else "signature is not valid"
    assert all(any(words in e for e in r["errors"]) for r in results), [r["errors"] for r in results]


def test_revoked_record_is_rejected_by_digital_bazaar(node_verifier: NodeVerifier) -> None:
    revocations = status_list(REVOCATION_URL, "revocation", 7)
    revoked = signed(build("skill_level", status=status_entry(REVOCATION_URL, 7, "revocation")))
    valid = signed(build("skill_level", status=status_entry(REVOCATION_URL, 3, "revocation")))
    [bad, good] = node_verifier.verify(
        [revoked, valid], "digitalbazaar", now=NOW, status_lists={REVOCATION_URL: revocations}
    )
    assert bad["verified"] is False and bad["revoked"] is True and bad["statusChecked"] is True
    assert any("revocation bit is set at index 7" in e for e in bad["errors"]), bad["errors"]
    assert good["verified"] is True and good["revoked"] is False and good["statusChecked"] is True
    # Without its list a credential with a status entry cannot be verified offline.
    [unlisted] = node_verifier.verify([valid], "digitalbazaar", now=NOW)
    assert unlisted["verified"] is False


def test_revocation_and_suspension_entries_together(node_verifier: NodeVerifier) -> None:
    def record(index: int) -> dict[str, Any]:
        entries = [status_entry(REVOCATION_URL, index, "revocation"), status_entry(SUSPENSION_URL, index, "suspension")]
        return signed(build("course_credit", status=entries))

    lists = {
        REVOCATION_URL: status_list(REVOCATION_URL, "revocation", 9),
        SUSPENSION_URL: status_list(SUSPENSION_URL, "suspension", 5),
    }
    clean, suspended, revoked = node_verifier.verify(
        [record(1), record(5), record(9)], "digitalbazaar", now=NOW, status_lists=lists
    )
    assert clean["verified"] is True and clean["errors"] == []
    assert suspended["verified"] is False and any("suspension bit is set at index 5" in e for e in suspended["errors"])
    assert revoked["verified"] is False and revoked["revoked"] is True


def test_status_list_signed_by_another_key_is_refused(node_verifier: NodeVerifier) -> None:
    other = Ed25519PrivateKey.generate()
    forged = sign(
        status_list_credential(REVOCATION_URL, did_key(other.public_key()), "revocation", StatusList(), VALID_FROM),
        other,
        verification_method=verification_method(other.public_key()),
        created=VALID_FROM,
    )
    credential = signed(build("honour", status=status_entry(REVOCATION_URL, 7, "revocation")))
    [result] = node_verifier.verify([credential], "digitalbazaar", now=NOW, status_lists={REVOCATION_URL: forged})
    assert result["verified"] is False


def test_dcc_sees_the_revoked_bit_when_the_list_is_served(node_verifier: NodeVerifier) -> None:
    revocations = status_list(REVOCATION_URL, "revocation", 7)
    revoked = signed(build("training", status=status_entry(REVOCATION_URL, 7, "revocation")))
    valid = signed(build("training", status=status_entry(REVOCATION_URL, 3, "revocation")))
    [bad, good] = node_verifier.verify([revoked, valid], "dcc", status_lists={REVOCATION_URL: revocations})
    assert bad["verified"] is False and bad["revoked"] is True
    assert "revocation_status: status bit is set" in bad["errors"]
    assert good["verified"] is True and good["statusChecked"] is True and good["revoked"] is False
