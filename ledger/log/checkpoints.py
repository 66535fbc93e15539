"""Signing checkpoints: when the log has grown, at most once per interval, never two inconsistent ones."""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credentials import merkle
from credentials.checkpoint import Checkpoint, sign_checkpoint
from credentials.errors import ProofError
from credentials.note import Signer
from ledger.db import begin_write, utcnow
from ledger.errors import LedgerError
from ledger.log.append import lock_head
from ledger.log.models import SignedCheckpoint
from ledger.log.store import fetch_nodes


class LogIntegrityError(LedgerError):
    """The stored tree is not consistent with what the bank already signed: never sign over it."""


def latest_checkpoint(session: Session) -> SignedCheckpoint | None:
    """The newest signed checkpoint, if any."""
    return session.scalars(sa.select(SignedCheckpoint).order_by(SignedCheckpoint.size.desc()).limit(1)).first()


def latest_checkpoint_size(session: Session) -> int:
    """Size covered by the newest signed checkpoint (0 if none)."""
    return int(session.scalar(sa.select(sa.func.max(SignedCheckpoint.size))) or 0)


def sign_if_due(session: Session, signer: Signer, *, min_interval: float, force: bool = False) -> SignedCheckpoint | None:
    """Sign and archive a checkpoint of the current tree if it grew and the interval has passed.

    Runs in its own transaction under the log head lock, so appends cannot interleave. Before signing it
    proves (with stored hashes) that the new tree is consistent with the last signed checkpoint and
    verifies that proof; on failure it raises LogIntegrityError and signs nothing. Commits.
    """
    if session.in_transaction():
        session.commit()
    begin_write(session)
    try:
        head = lock_head(session)
        last = latest_checkpoint(session)
        now = utcnow()
        if head.size == 0 or (last is not None and last.size >= head.size):
            session.rollback()
            return None
        if not force and last is not None and (now - last.signed_at).total_seconds() < min_interval:
            session.rollback()
            return None
        if last is not None:
            _check_consistent(session, last, head.size, head.root_hash)
        note = sign_checkpoint(Checkpoint(signer.name, head.size, head.root_hash), signer)
        cp = SignedCheckpoint(size=head.size, root_hash=head.root_hash, note=note, signed_at=now)
        session.add(cp)
        session.commit()
        return cp
    except BaseException:
        session.rollback()
        raise


def _check_consistent(session: Session, last: SignedCheckpoint, size: int, root: bytes) -> None:
    plan = merkle.consistency_plan(last.size, size)
    try:
        path = plan.assemble(fetch_nodes(session, plan.ids))
        merkle.verify_consistency(last.size, size, path, last.root_hash, root)
    except ProofError as e:
        raise LogIntegrityError(
            f"refusing to sign: tree of size {size} is not consistent with checkpoint {last.size}: {e}",
            f"拒绝签署：大小为 {size} 的树与检查点 {last.size} 不一致",
            code="log-integrity",
        ) from e


def wait_for_checkpoint(
    make_session: Callable[[], Session], signer: Signer, size: int, *, min_interval: float, timeout: float
) -> int:
    """Block until a signed checkpoint covers `size` entries (signing one when due); return its size or 0."""
    deadline = time.monotonic() + timeout
    while True:
        with make_session() as s:
            covered = latest_checkpoint_size(s)
            if covered >= size:
                return covered
            cp = sign_if_due(s, signer, min_interval=min_interval)
            if cp is not None and cp.size >= size:
                return cp.size
            last = latest_checkpoint(s)
            wait = min_interval
            if last is not None:
                wait = max(0.01, min_interval - (utcnow() - last.signed_at).total_seconds())
        if time.monotonic() + wait > deadline:
            return 0
        time.sleep(wait)

