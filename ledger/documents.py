"""Bank-made documents beside their log entries (registry changes, openings, merges, corrections, erasures).

An entry's `digest` is the SHA-256 of the JCS bytes of the object it stands for. Objects signed by
institutions are kept by their own modules; the small documents the bank writes for its own actions are
kept here, one per entry, so anyone holding the document can re-check the digest. They never carry
personal data, so erasure never has to touch them and the log stays checkable.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger.db import Base
from ledger.log import AppendedEntry, NewEntry, append_entries, digest_of
from ledger.log.envelope import log_time


class EntryDocument(Base):
    """The document a bank action's entry commits to, exactly as hashed."""

    __tablename__ = "entry_documents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    entry_index: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_ref: Mapped[str] = mapped_column(sa.String(200), index=True)
    document: Mapped[dict[str, Any]]
    digest: Mapped[str] = mapped_column(sa.String(80))


def timestamp(when: dt.datetime) -> str:
    """A document time: RFC 3339, UTC, whole seconds, `Z` (as the log writes it)."""
    return log_time(when)


def record_action(
    session: Session,
    *,
    kind: str,
    subject_ref: str,
    issuer: str,
    actor: str,
    object_ref: str,
    document: dict[str, Any],
) -> AppendedEntry:
    """Append one entry for a bank action and keep its document; the caller has called `begin_write`."""
    digest = digest_of(document)
    [entry] = append_entries(session, [NewEntry(kind=kind, subject_ref=subject_ref, issuer=issuer, digest=digest,
                                                actor=actor, object_ref=object_ref)])
    session.add(EntryDocument(entry_index=entry.index, kind=kind, object_ref=object_ref, document=document,
                              digest=digest))
    return entry


def documents_for(session: Session, object_ref: str) -> list[EntryDocument]:
    """Every bank document about one object, in log order."""
    return list(session.scalars(sa.select(EntryDocument).where(EntryDocument.object_ref == object_ref)
                                .order_by(EntryDocument.entry_index)))
