"""The bank's own Ed25519 keys (log checkpoints, bank-signed documents): generated once, sealed at rest."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger.db import Base, begin_write, utcnow
from ledger.keyring import Keyring

LOG_PURPOSE = "log"


class BankKey(Base):
    """One key of the bank; `retired_at` set when rotated (kept to verify what it signed)."""

    __tablename__ = "bank_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    purpose: Mapped[str] = mapped_column(sa.String(40), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    sealed_private_key: Mapped[bytes]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None]

    def public(self) -> Ed25519PublicKey:
        """The public key object."""
        return Ed25519PublicKey.from_public_bytes(self.public_key)

    def private(self, keyring: Keyring) -> Ed25519PrivateKey:
        """Open the sealed private key."""
        raw = keyring.open(self.sealed_private_key, context=f"bank_keys/{self.id}")
        return Ed25519PrivateKey.from_private_bytes(raw)


def _raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def active_key(session: Session, purpose: str, name: str) -> BankKey | None:
    """The current key for a purpose and name, if any."""
    return session.scalar(
        sa.select(BankKey)
        .where(BankKey.purpose == purpose, BankKey.name == name, BankKey.retired_at.is_(None))
        .order_by(BankKey.created_at.desc())
        .limit(1)
    )


def ensure_key(session: Session, keyring: Keyring, purpose: str, name: str) -> BankKey:
    """The current key for a purpose and name, generated (and committed) on first use.

    It commits: give it a session of its own, never one carrying a service's unit of work.
    """
    key = active_key(session, purpose, name)
    if key is not None:
        return key
    session.rollback()
    begin_write(session)
    # Another process may have made it between our read and the write lock.
    key = active_key(session, purpose, name)
    if key is None:
        private = Ed25519PrivateKey.generate()
        key = BankKey(id=uuid.uuid4(), purpose=purpose, name=name,
                      public_key=private.public_key().public_bytes_raw(), sealed_private_key=b"")
        key.sealed_private_key = keyring.seal(_raw_private(private), context=f"bank_keys/{key.id}")
        session.add(key)
    session.commit()
    return key


def all_keys(session: Session, purpose: str) -> list[BankKey]:
    """Every key ever used for a purpose, oldest first (audits verify old checkpoints with them)."""
    return list(session.scalars(sa.select(BankKey).where(BankKey.purpose == purpose).order_by(BankKey.created_at)))



BANK_PURPOSE = "bank"
BANK_NAME = "creditbank"
