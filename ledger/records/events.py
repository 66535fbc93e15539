"""Hooks other modules hang on record changes (e.g. the conversion layer flags conversions of a revoked record).

Callbacks run inside the changing transaction, after the record row and its entry are written; an
exception from a callback aborts the change. Register once, at import time of the interested module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from ledger.records.models import LearningRecord

RevokedCallback = Callable[[Session, "LearningRecord", str], None]
"""(session, the record now revoked or superseded, reason)."""

_on_revoked: list[RevokedCallback] = []


def on_revoked(callback: RevokedCallback) -> RevokedCallback:
    """Call `callback` whenever a record is revoked or superseded (usable as a decorator)."""
    if callback not in _on_revoked:
        _on_revoked.append(callback)
    return callback


def revoked(session: Session, record: LearningRecord, reason: str) -> None:
    """Tell every registered callback that `record` no longer stands."""
    for callback in list(_on_revoked):
        callback(session, record, reason)
