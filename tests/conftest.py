"""Fixtures: the app on SQLite and on a throwaway PostgreSQL database, a savepoint per test, clients.

Every test that asks for `app` (or anything built on it) runs twice, once per backend. PostgreSQL comes
from CREDITBANK_TEST_PG (default: the local server, user postgres, trust auth). With
CREDITBANK_REQUIRE_POSTGRES=1 (CI), an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

PG_URL = os.environ.get("CREDITBANK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("CREDITBANK_REQUIRE_POSTGRES") == "1"
TEST_MASTER_KEY = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"  # fixed test-only key, seals nothing real
SHARED_DIR = Path(os.environ.get("CREDITBANK_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))

_pg_ran = {"count": 0}


def _pg_reachable() -> str | None:
    try:
        eng = sa.create_engine(PG_URL)
        with eng.connect() as c:
            c.execute(sa.text("select 1"))
        eng.dispose()
        return None
    except Exception as e:  # noqa: BLE001 — any failure means "not reachable" here
        return str(e).splitlines()[0]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped at the end."""
    problem = _pg_reachable()
    if problem:
        msg = f"PostgreSQL not reachable at {PG_URL}: {problem}"
        if REQUIRE_PG:
            pytest.fail(msg + " (CREDITBANK_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(msg)
    from pytest_postgresql.janitor import DatabaseJanitor

    url = sa.make_url(PG_URL)
    name = f"creditbank_test_{os.getpid()}_{secrets.token_hex(3)}"
    janitor = DatabaseJanitor(user=url.username or "postgres", host=url.host or "127.0.0.1",
                              port=url.port or 5432, dbname=name, password=url.password)
    janitor.init()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        janitor.drop()


def make_app(database_url: str, instance: Path, **overrides: Any) -> Flask:
    """A test app on `database_url`, migrated to head."""
    from api.extensions import alembic
    from app import create_app

    config = {
        "INSTANCE_PATH": str(instance),
        "ENV": "testing",
        "SECRET_KEY": "test-" + "x" * 40,
        "MASTER_KEY": TEST_MASTER_KEY,
        "DATABASE_URL": database_url,
        "CHECKPOINT_THREAD": False,
        "PASSWORD_HASH_PROFILE": "fast",
        "RATELIMIT_ENABLED": False,
        "LOG_ORIGIN": "creditbank.test/ledger",
        "PUBLIC_URL": "http://127.0.0.1:8000",
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        alembic.upgrade()
    return app


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database this test runs on."""
    return str(request.param)


@pytest.fixture(scope="session")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app, migrated, once per backend for the whole run."""
    instance = tmp_path_factory.mktemp(f"instance-{backend}")
    if backend == "sqlite":
        url = "sqlite:///" + str(instance / "test.db")
    else:
        url = request.getfixturevalue("postgres_url")
    application = make_app(url, instance)
    yield application
    from api.extensions import db

    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(app: Flask, backend: str) -> Iterator[Any]:
    """Each test in a transaction rolled back at the end; code under test commits to a savepoint."""
    from api.context import forget_cached_keys
    from api.extensions import db

    with app.app_context():
        # Keys made in an earlier test were rolled back with it; never reuse them from the cache.
        forget_cached_keys()
        engine = db.engine
        conn = engine.connect()
        trans = conn.begin()
        maker = db.sessionmaker
        saved = dict(maker.kw)
        maker.configure(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield db.session
        finally:
            db.session.close()
            maker.kw.clear()
            maker.kw.update(saved)
            trans.rollback()
            conn.close()
    if backend == "postgresql":
        _pg_ran["count"] += 1


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    """A test client whose requests share the test's transaction."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db_session: Any) -> Any:
    """A CLI runner sharing the test's transaction."""
    return app.test_cli_runner()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With CREDITBANK_REQUIRE_POSTGRES=1, a run in which no PostgreSQL test ran is a failure."""
    if REQUIRE_PG and _pg_ran["count"] == 0 and session.testscollected and exitstatus == 0:
        print("\nFAILED: CREDITBANK_REQUIRE_POSTGRES=1 but no test ran on PostgreSQL")
        session.exitstatus = 1


def new_uuid() -> uuid.UUID:
    """A random UUID (for tests that need ids of things they do not create)."""
    return uuid.uuid4()
