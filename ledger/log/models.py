"""Tables of the transparency log: the head (sequencer), entries, perfect-subtree hashes, checkpoints."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base


class LogHead(Base):
    """One row: the size and root of the tree. Appenders lock it (FOR UPDATE) to take the next indexes."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    updated_at: Mapped[dt.datetime]


class LogEntry(Base):
    """One entry: its leaf bytes verbatim forever, plus private columns that never leave the bank."""

    __tablename__ = "log_entries"

    index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    leaf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    kind: Mapped[str] = mapped_column(sa.String(40))
    time: Mapped[dt.datetime]
    # Private: the salt of the subject commitment and what it commits to, so the bank can prove the link
    # (and list one worker's entries) while the public leaf cannot be linked to an account.
    subject_salt: Mapped[bytes] = mapped_column(sa.LargeBinary(16))
    subject_ref: Mapped[str] = mapped_column(sa.String(120), index=True)
    actor: Mapped[str | None] = mapped_column(sa.String(120))
    object_ref: Mapped[str | None] = mapped_column(sa.String(200), index=True)


class LogNode(Base):
    """Hash of a perfect subtree (level ≥ 1, index); level-0 hashes live in `log_entries.leaf_hash`."""

    __tablename__ = "log_nodes"
    __table_args__ = {"sqlite_with_rowid": False}

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class SignedCheckpoint(Base):
    """Every checkpoint the bank signed, archived; one per size, so two can never disagree."""

    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    note: Mapped[str] = mapped_column(sa.Text)
    signed_at: Mapped[dt.datetime] = mapped_column(index=True)
