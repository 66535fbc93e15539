"""Column types chosen once on the Base behave the same on both databases; migrations match models."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
import sqlalchemy as sa
from flask import Flask

from ledger.clients import ApiClient


def test_datetimes_come_back_aware_utc(db_session) -> None:  # type: ignore[no-untyped-def]
    when = dt.datetime(2026, 5, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    c = ApiClient(name="t", roles=["verifier"], created_by="test", created_at=when)
    db_session.add(c)
    db_session.flush()
    db_session.expire_all()
    got = db_session.get(ApiClient, c.id).created_at
    assert got.tzinfo is not None and got.utcoffset() == dt.timedelta(0)
    assert got == when


def test_naive_datetimes_are_refused(db_session) -> None:  # type: ignore[no-untyped-def]
    db_session.add(ApiClient(name="t", roles=["verifier"], created_by="test", created_at=dt.datetime(2026, 1, 1)))
    with pytest.raises(sa.exc.StatementError, match="naive datetime refused"):
        db_session.flush()
    db_session.rollback()


def test_credits_type_refuses_floats_and_keeps_decimals() -> None:
    from ledger.db import Credits

    t = Credits()
    with pytest.raises(TypeError):
        t.process_bind_param(3.5, sa.dialects.sqlite.dialect())
    assert t.process_bind_param(decimal.Decimal("3.5"), sa.dialects.sqlite.dialect()) == decimal.Decimal("3.50")


def test_models_and_migrations_agree(app: Flask) -> None:
    from api.extensions import alembic

    with app.app_context():
        diffs = alembic.compare_metadata()
        assert diffs == [], f"models and migrations disagree: {diffs}"
        assert not alembic.needs_upgrade()
