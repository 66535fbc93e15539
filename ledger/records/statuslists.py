"""Bitstring Status Lists of institution keys: allocating indexes, keeping bits, signing list credentials.

Each issuing key has its own lists, one per purpose (`revocation`, `suspension`), of 131,072 entries
(the spec's minimum, for herd privacy); a full list is followed by a new one. A list lives at
`{public url}/api/v1/status/urn:uuid:<list id>`, the URL its entries name.

Custodial keys: the bank signs the list credential with the key that signed the credentials, also after
that key rotated (a rotated key is kept only for this), and re-signs it whenever a bit changes; readers
get the cached signed copy. Own keys: the institution signs and uploads its lists (see
`ledger.records.service.upload_status_list`); the bank keeps their bits to refuse an upload that would
lift a revocation.

Lock order, to keep PostgreSQL free of deadlocks: status list rows first (FOR UPDATE), then the log head.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credentials.dataintegrity import sign
from credentials.statuslist import DEFAULT_SIZE, status_entry, status_list_credential
from credentials.statuslist import StatusList as Bitstring
from ledger.db import locked
from ledger.errors import NotFound
from ledger.institutions import InstitutionKey
from ledger.keyring import Keyring
from ledger.records.models import StatusList

STATUS_PATH = "/api/v1/status/"
REVOCATION = "revocation"
SUSPENSION = "suspension"


def list_url(public_url: str, list_id: uuid.UUID) -> str:
    """The URL a list is served at and named by (its credential `id` and its entries' `statusListCredential`)."""
    return f"{public_url.rstrip('/')}{STATUS_PATH}urn:uuid:{list_id}"


def bitstring(row: StatusList) -> Bitstring:
    """The list's bits as a `credentials.statuslist.StatusList`."""
    bits = Bitstring(row.size)
    for byte_index, byte in enumerate(row.bits):
        if byte:
            for bit in range(8):
                if byte & (0x80 >> bit):
                    bits.set(byte_index * 8 + bit)
    return bits


def bit_at(bits: bytes, index: int) -> bool:
    """The bit at `index` (index 0 is the most significant bit of byte 0, as the spec lays it out)."""
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def with_bit(bits: bytes, index: int, value: bool) -> bytes:
    """`bits` with the bit at `index` set or cleared."""
    out = bytearray(bits)
    mask = 0x80 >> (index % 8)
    if value:
        out[index // 8] |= mask
    else:
        out[index // 8] &= ~mask & 0xFF
    return bytes(out)


def entry_for(row: StatusList, index: int) -> dict[str, Any]:
    """The credential's `credentialStatus` entry for bit `index` of the list."""
    return status_entry(row.url, index, row.purpose)


def sign_list(keyring: Keyring, row: StatusList, key: InstitutionKey, now: dt.datetime) -> None:
    """Sign the list credential of a custodial key's list afresh (its current bits, valid from now)."""
    now = now.replace(microsecond=0)
    unsigned = status_list_credential(row.url, row.issuer, row.purpose, bitstring(row), now)
    row.signed = sign(unsigned, key.private(keyring), verification_method=key.verification_method, created=now)
    row.signed_at = now


def _new_list(session: Session, keyring: Keyring, key: InstitutionKey, purpose: str, public_url: str,
              now: dt.datetime) -> StatusList:
    list_id = uuid.uuid4()
    row = StatusList(id=list_id, url=list_url(public_url, list_id), institution_id=key.institution_id, key_id=key.id,
                     issuer=key.did, purpose=purpose, size=DEFAULT_SIZE, next_index=0, bits=bytes(DEFAULT_SIZE // 8),
                     custodial=True, created_at=now)
    sign_list(keyring, row, key, now)
    session.add(row)
    return row


def allocate(session: Session, keyring: Keyring, key: InstitutionKey, purpose: str, count: int, public_url: str,
             now: dt.datetime) -> list[tuple[StatusList, int]]:
    """`count` fresh (list, index) pairs of a custodial key's lists for `purpose`, opening new lists as needed."""
    out: list[tuple[StatusList, int]] = []
    if count <= 0:
        return out
    row = session.scalars(
        sa.select(StatusList)
        .where(StatusList.key_id == key.id, StatusList.purpose == purpose, StatusList.custodial.is_(True),
               StatusList.next_index < StatusList.size)
        .order_by(StatusList.created_at, StatusList.id).limit(1).with_for_update()
    ).first()
    while len(out) < count:
        if row is None or row.next_index >= row.size:
            row = _new_list(session, keyring, key, purpose, public_url, now)
        take = min(count - len(out), row.size - row.next_index)
        start = row.next_index
        out.extend((row, i) for i in range(start, start + take))
        row.next_index = start + take
    session.flush()
    return out


def lock(session: Session, list_id: uuid.UUID) -> StatusList:
    """One list, locked for this transaction (read-modify-write of its bits), or NotFound."""
    row = locked(session, StatusList, list_id)
    if row is None:
        raise NotFound("no such status list", "没有该状态列表")
    return row


def set_bit(session: Session, keyring: Keyring, list_id: uuid.UUID, index: int, value: bool,
            now: dt.datetime) -> StatusList:
    """Set or clear one bit; a custodial key's list is re-signed at once (an own key's waits for its upload)."""
    row = lock(session, list_id)
    if bit_at(row.bits, index) == value:
        return row
    row.bits = with_bit(row.bits, index, value)
    if row.custodial:
        key = session.get(InstitutionKey, row.key_id)
        assert key is not None
        sign_list(keyring, row, key, now)
    session.flush()
    return row


def get_list(session: Session, list_id: uuid.UUID) -> StatusList:
    """One list by id, or NotFound (also while an own-key list has not been uploaded yet)."""
    row = session.get(StatusList, list_id)
    if row is None or row.signed is None:
        raise NotFound("no such status list", "没有该状态列表")
    return row
