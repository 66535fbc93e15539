"""The one declarative Base: naming convention, column types chosen once, SQLite/PostgreSQL specifics.

Nothing here imports Flask: the ledger can be driven from a CLI, a worker or a test with a plain Session.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An aware UTC datetime: refuses naive values on write, re-attaches UTC on read.

    SQLite keeps no offset, so without this a value written aware comes back naive and is dumped
    without a zone (not RFC 3339). PostgreSQL stores `timestamptz` and gives it back aware.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: the ledger stores aware UTC times only")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Credits(sa.types.TypeDecorator[decimal.Decimal]):
    """Credits and money: exact decimals with two places, never floats."""

    impl = sa.Numeric(12, 2, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> decimal.Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("float refused for credits or money: use Decimal")
        return decimal.Decimal(value).quantize(decimal.Decimal("0.01"))

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> decimal.Decimal | None:
        if value is None:
            return None
        return decimal.Decimal(value).quantize(decimal.Decimal("0.01"))


class Base(DeclarativeBase):
    """Declarative base of every model in the bank."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        decimal.Decimal: Credits(),
        uuid.UUID: sa.Uuid(as_uuid=True),
        str: sa.String(),
        bytes: sa.LargeBinary(),
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }


def utcnow() -> dt.datetime:
    """The current time, aware UTC, with microseconds."""
    return dt.datetime.now(dt.UTC)


def configure_engine(engine: Engine) -> None:
    """Install per-dialect connection settings (SQLite: WAL, foreign keys, busy wait, our own BEGIN)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take BEGIN away from pysqlite so that we can emit BEGIN IMMEDIATE for writers: a deferred
        # transaction that reads the log head and then writes can fail with SQLITE_BUSY instead of
        # waiting its turn, which would turn concurrent appends into errors.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get("creditbank_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def begin_write(session: Session) -> None:
    """Open the session's transaction as a writer, before anything is read.

    On SQLite this becomes BEGIN IMMEDIATE (the database write lock is taken up front, so writers queue
    instead of failing); on PostgreSQL it is an ordinary transaction and the log head row lock
    (SELECT … FOR UPDATE) does the sequencing. Harmless if the transaction has already begun.
    """
    if not session.in_transaction():
        session.connection(execution_options={"creditbank_write": True})


def locked(session: Session, model: Any, row_id: Any) -> Any:
    """The row of `model` with primary key `row_id`, locked for this transaction and re-read, or None.

    FOR UPDATE on PostgreSQL (SQLite ignores it; writers there are serialised by `begin_write`); the fresh read
    replaces any copy the session already held, so read-modify-write sees the committed state.
    """
    return session.scalars(sa.select(model).where(model.id == row_id).with_for_update()
                           .execution_options(populate_existing=True)).first()
