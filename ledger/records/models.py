"""Tables of the records module: learning records, Bitstring Status Lists and idempotency keys.

A record keeps its credential exactly as signed (served verbatim and hashed into its log entry) and,
beside it, the validated outcome (wire JSON), which may hold fields the credential does not carry
(student numbers, organiser types, attendance flags …): the conversion engine reads the outcome.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, utcnow


class RecordStatus(StrEnum):
    """Whether a record stands: revoked and superseded are final, a suspension can be lifted."""

    ACTIVE = "active"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    SUPERSEDED = "superseded"


class Recognition(StrEnum):
    """Recognition (认定) of a record: needed for non-degree outcomes of bodies other than colleges."""

    NOT_NEEDED = "not_needed"
    PENDING = "pending"
    RECOGNISED = "recognised"
    REJECTED = "rejected"


class LearningRecord(Base):
    """One learning record: the signed credential, the outcome behind it, its entry, status and recognition."""

    __tablename__ = "learning_records"
    __table_args__ = (
        sa.UniqueConstraint("institution_id", "external_ref"),
        # An account's records newest first, filtered and paged by entry index.
        sa.Index("ix_learning_records_account_entry", "account_id", "entry_index"),
        sa.Index("ix_learning_records_recognition", "recognition", "entry_index"),
        sa.UniqueConstraint("revocation_list_id", "revocation_index"),
        sa.UniqueConstraint("suspension_list_id", "suspension_index"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id"))
    institution_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("institutions.id"))
    key_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("institution_keys.id"))
    issuer: Mapped[str] = mapped_column(sa.String(120))  # did of the signing key
    kind: Mapped[str] = mapped_column(sa.String(40))
    external_ref: Mapped[str] = mapped_column(sa.String(200))
    occurred_on: Mapped[dt.date] = mapped_column(sa.Date)
    outcome: Mapped[dict[str, Any]]
    # Credits of the outcome (course credits, credit-bearing courses), for totals without reading JSON.
    credits: Mapped[decimal.Decimal | None]
    credential: Mapped[dict[str, Any]]
    credential_digest: Mapped[str] = mapped_column(sa.String(80))
    # sha256 of what was posted (the request's record, or the self-signed credential): a replay of the
    # same external_ref with the same content answers with this record, other content is a conflict.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_index: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    custodial: Mapped[bool]
    status: Mapped[str] = mapped_column(sa.String(16), default=RecordStatus.ACTIVE.value)
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    status_changed_at: Mapped[dt.datetime | None]
    recognition: Mapped[str] = mapped_column(sa.String(16))
    recognition_note: Mapped[str | None] = mapped_column(sa.String(500))
    recognised_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("institutions.id"))
    recognised_at: Mapped[dt.datetime | None]
    revocation_list_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("status_lists.id"))
    revocation_index: Mapped[int | None]
    suspension_list_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("status_lists.id"))
    suspension_index: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # the log time of its entry
    created_by: Mapped[str] = mapped_column(sa.String(80))
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("learning_records.id"))
    supersedes: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("learning_records.id"))

    @property
    def ref(self) -> str:
        """The record id as the wire, the credential and the log name it."""
        return f"urn:uuid:{self.id}"

    @property
    def account_ref(self) -> str:
        """The account id as `urn:uuid:…`."""
        return f"urn:uuid:{self.account_id}"


class StatusList(Base):
    """A Bitstring Status List of one issuing key and purpose, with its signed list credential.

    Custodial keys: the bank keeps the bits and re-signs the list credential (with the same key, even
    after the key rotated) whenever a bit changes. Own keys: the institution uploads the signed list;
    the bank checks it and keeps its bits so that it can refuse an upload that would un-revoke.
    """

    __tablename__ = "status_lists"
    __table_args__ = (sa.Index("ix_status_lists_key_purpose", "key_id", "purpose", "next_index"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(500), unique=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    key_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("institution_keys.id"))
    issuer: Mapped[str] = mapped_column(sa.String(120))
    purpose: Mapped[str] = mapped_column(sa.String(16))
    size: Mapped[int]
    next_index: Mapped[int] = mapped_column(default=0)
    bits: Mapped[bytes]
    custodial: Mapped[bool]
    signed: Mapped[dict[str, Any] | None]  # the list credential as served (signed by the bank or uploaded)
    signed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Base):
    """The first answer to a request made with an `Idempotency-Key`, per client."""

    __tablename__ = "idempotency_keys"

    client: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int]  # 0 while the first request is still running
    response: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
