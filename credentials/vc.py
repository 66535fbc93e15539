"""Whole-credential verification: proof, issuer = key controller, validity period and status lists."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credentials.dataintegrity import (
    KeyResolver,
    VerifiedProof,
    check_issuer_matches_controller,
    issuer_id,
    parse_datetime,
    verify,
)
from credentials.errors import CredentialError, StatusListError
from credentials.statuslist import check_status


class ValidityError(CredentialError):
    """The credential is not valid at the given time, or its validity dates are malformed."""


class RevokedError(CredentialError):
    """A status list marks the credential (revocation or suspension bit set)."""


@dataclass(frozen=True)
class StatusCheck:
    """One status entry that was checked and found clear."""

    purpose: str
    list_url: str
    index: int


@dataclass(frozen=True)
class VerifiedCredential:
    """What a successful verification established about a credential."""

    credential_id: str | None
    issuer: str
    proof: VerifiedProof
    valid_from: datetime | None
    valid_until: datetime | None
    statuses: tuple[StatusCheck, ...]


def verify_credential(
    credential: dict[str, Any],
    *,
    now: datetime,
    status_lists: Mapping[str, dict[str, Any]] | None = None,
    resolve_public_key: KeyResolver | None = None,
) -> VerifiedCredential:
    """Verify proof, issuer, validity at `now` and every status entry; raises a CredentialError subclass."""
    if now.tzinfo is None:
        raise ValidityError("`now` must be timezone-aware")
    proof = verify(credential, resolve_public_key=resolve_public_key)
    check_issuer_matches_controller(credential, proof)
    issuer = issuer_id(credential)
    valid_from, valid_until = _check_validity(credential, now)
    statuses = _check_statuses(credential, issuer, status_lists or {}, resolve_public_key, now)
    credential_id = credential.get("id")
    return VerifiedCredential(
        credential_id if isinstance(credential_id, str) else None,
        issuer,
        proof,
        valid_from,
        valid_until,
        statuses,
    )


def _date(credential: dict[str, Any], field: str) -> datetime | None:
    value = credential.get(field)
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except CredentialError as exc:
        raise ValidityError(f"{field}: {exc}") from exc


def _check_validity(credential: dict[str, Any], now: datetime) -> tuple[datetime | None, datetime | None]:
    valid_from = _date(credential, "validFrom")
    valid_until = _date(credential, "validUntil")
    # Wording follows @digitalbazaar/vc so errors read the same in both verifiers.
    if valid_from is not None and now < valid_from:
        raise ValidityError(f'The current date time ("{now.isoformat()}") is before "validFrom"')
    if valid_until is not None and now > valid_until:
        raise ValidityError(f'The current date time ("{now.isoformat()}") is after "validUntil"')
    return valid_from, valid_until


def _check_statuses(
    credential: dict[str, Any],
    issuer: str,
    status_lists: Mapping[str, dict[str, Any]],
    resolve_public_key: KeyResolver | None,
    now: datetime,
) -> tuple[StatusCheck, ...]:
    status = credential.get("credentialStatus")
    if status is None:
        return ()
    entries = status if isinstance(status, list) else [status]
    checks = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            # An unknown status mechanism could be saying "revoked": fail closed.
            raise StatusListError("unsupported credentialStatus entry")
        url = entry.get("statusListCredential")
        list_credential = status_lists.get(url) if isinstance(url, str) else None
        if list_credential is None or not isinstance(url, str):
            raise StatusListError(f'Could not load "BitstringStatusListCredential" {url!r}')
        single = {**credential, "credentialStatus": entry}
        if check_status(
            single, list_credential, expected_issuer=issuer, resolve_public_key=resolve_public_key, now=now
        ):
            raise RevokedError(f"{entry['statusPurpose']} bit is set at index {entry['statusListIndex']}")
        checks.append(StatusCheck(entry["statusPurpose"], url, int(entry["statusListIndex"])))
    return tuple(checks)
