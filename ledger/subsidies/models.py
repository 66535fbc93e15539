"""Tables of the subsidy service: reviewer profiles, district quotas, claims, decisions, attachments, payments."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, utcnow

CLAIM_STATUSES = ("submitted", "returned", "approved", "rejected", "refused")
PENDING = ("submitted", "returned")


class UnionReviewer(Base):
    """A union client or person allowed to review claims at one level, for one region (district or city)."""

    __tablename__ = "subsidy_union_reviewers"
    __table_args__ = (sa.CheckConstraint("level IN ('enterprise','county','city','province')", name="level"),)

    actor_ref: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(16))
    region: Mapped[str] = mapped_column(sa.String(20))  # a quota district, or the city/province code
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SubsidyQuota(Base):
    """Places of one district under one policy; `used` counts finally approved claims. Locked on approval."""

    __tablename__ = "subsidy_quotas"
    __table_args__ = (
        sa.UniqueConstraint("policy_id", "district"),
        sa.CheckConstraint("used >= 0 AND used <= places", name="within_places"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    policy_id: Mapped[str] = mapped_column(sa.String(40))
    district: Mapped[str] = mapped_column(sa.String(20))
    places: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)


class SubsidyClaim(Base):
    """One claim: once per person per education level per policy chain (unique constraint)."""

    __tablename__ = "subsidy_claims"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "chain", "education_level"),
        sa.CheckConstraint(f"status IN {CLAIM_STATUSES!r}", name="status"),
        sa.CheckConstraint("level_index >= 0", name="level_index"),
        sa.Index("ix_subsidy_claims_queue", "policy_id", "district", "submitted_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    policy_id: Mapped[str] = mapped_column(sa.String(40))
    policy_hash: Mapped[str] = mapped_column(sa.String(80))
    chain: Mapped[str] = mapped_column(sa.String(40))
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    education_level: Mapped[str] = mapped_column(sa.String(20))
    district: Mapped[str] = mapped_column(sa.String(20))
    batch_id: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(16), default="submitted")
    level_index: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    enrolment_record_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("learning_records.id"))
    declarations: Mapped[dict[str, Any]]
    amounts: Mapped[dict[str, Any]]  # funder id → yuan (string)
    total: Mapped[decimal.Decimal]
    decided_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    entry_index: Mapped[int] = mapped_column(sa.BigInteger)


class SubsidyDecision(Base):
    """One review decision at one level; also an entry in the log."""

    __tablename__ = "subsidy_decisions"
    __table_args__ = (sa.CheckConstraint("decision IN ('approve','return','reject')", name="decision"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    claim_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("subsidy_claims.id"), index=True)
    level: Mapped[str] = mapped_column(sa.String(16))
    decision: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    actor: Mapped[str] = mapped_column(sa.String(80))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    entry_index: Mapped[int] = mapped_column(sa.BigInteger)


class SubsidyAttachment(Base):
    """Evidence not in the ledger (tuition receipt, bank account …): metadata plus sealed content."""

    __tablename__ = "subsidy_attachments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    claim_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("subsidy_claims.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    filename: Mapped[str] = mapped_column(sa.String(200))
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    sealed_content: Mapped[bytes]
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SubsidyPayment(Base):
    """One payment attempt by one funder for one claim: paid, failed, or reissued after a failure."""

    __tablename__ = "subsidy_payments"
    __table_args__ = (sa.CheckConstraint("status IN ('paid','failed','reissued')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    claim_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("subsidy_claims.id"), index=True)
    funder_id: Mapped[str] = mapped_column(sa.String(40))
    amount: Mapped[decimal.Decimal]
    status: Mapped[str] = mapped_column(sa.String(10))
    reference: Mapped[str | None] = mapped_column(sa.String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(80))
