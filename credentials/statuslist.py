"""W3C Bitstring Status List: the bitstring, its encoded form, list credentials, entries and checks."""

import re
import zlib
from datetime import datetime
from typing import Any

from credentials.dataintegrity import (
    KeyResolver,
    check_issuer_matches_controller,
    format_datetime,
    issuer_id,
    parse_datetime,
    verify,
)
from credentials.errors import CredentialError, KeyFormatError, StatusListError
from credentials.multibase import decode_base64url, encode_base64url

DEFAULT_SIZE = 131072  # the spec's minimum, 16 KiB: small lists would narrow down who is revoked
MAX_SIZE = 2**26  # bits; a decoded list larger than this is refused (gzip bombs)
PURPOSES = ("revocation", "suspension")
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_INDEX = re.compile(r"0|[1-9][0-9]*")


class StatusList:
    """A bitstring of `size` entries; index 0 is the most significant bit of byte 0."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size <= 0 or size % 8 or size > MAX_SIZE:
            raise StatusListError(f"status list size must be a positive multiple of 8 up to {MAX_SIZE}")
        self._bits = bytearray(size // 8)

    def __len__(self) -> int:
        return len(self._bits) * 8

    def _locate(self, index: int) -> tuple[int, int]:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self):
            raise StatusListError(f"status list index {index!r} is out of range 0..{len(self) - 1}")
        return index // 8, 0x80 >> (index % 8)

    def get(self, index: int) -> bool:
        """True if the bit at `index` is set."""
        byte, mask = self._locate(index)
        return bool(self._bits[byte] & mask)

    def set(self, index: int, value: bool = True) -> None:
        """Set (or clear) the bit at `index`."""
        byte, mask = self._locate(index)
        if value:
            self._bits[byte] |= mask
        else:
            self._bits[byte] &= ~mask & 0xFF

    def encode(self) -> str:
        """ "u" + base64url-nopad(gzip(bits)), gzip as Node's zlib writes it (level 9, mtime 0)."""
        # zlib's own gzip wrapper (wbits=31) rather than gzip.compress, whose header differs
        # (OS byte) from what JavaScript issuers produce; same bytes make lists comparable.
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        return encode_base64url(compressor.compress(bytes(self._bits)) + compressor.flush())

    @classmethod
    def decode(cls, encoded: str) -> "StatusList":
        """Parse an `encodedList`; raises StatusListError if malformed or too large."""
        try:
            compressed = decode_base64url(encoded)
        except KeyFormatError as exc:
            raise StatusListError(f"encodedList is not multibase base64url: {exc}") from exc
        decompressor = zlib.decompressobj(31)
        try:
            bits = decompressor.decompress(compressed, MAX_SIZE // 8 + 1)
        except zlib.error as exc:
            raise StatusListError("encodedList is not gzip data") from exc
        if not decompressor.eof or decompressor.unused_data or not bits or len(bits) > MAX_SIZE // 8:
            raise StatusListError("encodedList is empty, truncated, has trailing data or is too large")
        status_list = cls(len(bits) * 8)
        status_list._bits[:] = bits
        return status_list


def status_entry(list_url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    """A `credentialStatus` BitstringStatusListEntry pointing at bit `index` of the list at `list_url`."""
    if purpose not in PURPOSES:
        raise StatusListError(f"unsupported status purpose {purpose!r}")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise StatusListError("status list index must be a non-negative integer")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    url: str,
    issuer_did: str,
    purpose: str,
    bits: StatusList,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """An unsigned VC 2.0 BitstringStatusListCredential for `bits`, to be signed by `issuer_did`."""
    if purpose not in PURPOSES:
        raise StatusListError(f"unsupported status purpose {purpose!r}")
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    credential["credentialSubject"] = {
        "id": f"{url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": bits.encode(),
    }
    return credential


def check_status(
    credential: dict[str, Any],
    list_credential: dict[str, Any],
    *,
    expected_issuer: str,
    resolve_public_key: KeyResolver | None = None,
    now: datetime | None = None,
) -> bool:
    """True if the credential's bit is set in the (verified) list; raises StatusListError on any mismatch."""
    list_url = list_credential.get("id") if isinstance(list_credential, dict) else None
    entry = _entry_for(credential, list_url)
    try:
        verified = verify(list_credential, resolve_public_key=resolve_public_key)
        check_issuer_matches_controller(list_credential, verified)
    except CredentialError as exc:
        raise StatusListError(f"status list credential does not verify: {exc}") from exc
    if issuer_id(list_credential) != expected_issuer:
        raise StatusListError("Issuers of the status list credential and verifiable credential do not match")
    types = list_credential.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        raise StatusListError("not a BitstringStatusListCredential")
    if now is not None:
        _check_validity(list_credential, now)

    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList":
        raise StatusListError("status list credentialSubject must be a BitstringStatusList")
    list_purposes = subject.get("statusPurpose")
    if isinstance(list_purposes, str):
        list_purposes = [list_purposes]
    if not isinstance(list_purposes, list) or entry["statusPurpose"] not in list_purposes:
        raise StatusListError(
            f"status purpose mismatch: entry {entry['statusPurpose']!r}, list {subject.get('statusPurpose')!r}"
        )
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise StatusListError("status list has no encodedList")
    return StatusList.decode(encoded).get(_index_of(entry))


def _entry_for(credential: dict[str, Any], list_url: Any) -> dict[str, Any]:
    """The credential's one BitstringStatusListEntry naming `list_url`."""
    status = credential.get("credentialStatus") if isinstance(credential, dict) else None
    entries = status if isinstance(status, list) else [status] if status is not None else []
    matching = [
        e
        for e in entries
        if isinstance(e, dict)
        and e.get("type") == "BitstringStatusListEntry"
        and e.get("statusListCredential") == list_url
    ]
    if not matching:
        raise StatusListError(f"credential has no BitstringStatusListEntry for list {list_url!r}")
    if len(matching) > 1:
        raise StatusListError(f"credential has several entries for list {list_url!r}")
    entry = matching[0]
    if entry.get("statusPurpose") not in PURPOSES:
        raise StatusListError(f"unsupported status purpose {entry.get('statusPurpose')!r}")
    if entry.get("statusSize", 1) != 1:
        raise StatusListError("only statusSize 1 is supported")
    return entry


def _index_of(entry: dict[str, Any]) -> int:
    index = entry.get("statusListIndex")
    if not isinstance(index, str) or not _INDEX.fullmatch(index):
        raise StatusListError(f"statusListIndex must be a decimal string, got {index!r}")
    return int(index)


def _check_validity(list_credential: dict[str, Any], now: datetime) -> None:
    try:
        valid_from = parse_datetime(list_credential.get("validFrom"))
        valid_until = list_credential.get("validUntil")
        until = None if valid_until is None else parse_datetime(valid_until)
    except CredentialError as exc:
        raise StatusListError(f"status list validity dates: {exc}") from exc
    if now < valid_from or (until is not None and now > until):
        raise StatusListError("status list credential is not valid at this time")
