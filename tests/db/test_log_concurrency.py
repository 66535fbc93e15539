"""Concurrent appenders in separate processes: no gap, no duplicate index, no forked tree."""

from __future__ import annotations

import multiprocessing
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from credentials import merkle
from ledger.db import configure_engine
from ledger.log.audit import audit
from ledger.log.models import LogEntry
from tests.logtools import appender_process


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database of its own (these tests commit for real, outside the savepoint fixture)."""
    from tests.conftest import make_app

    if backend == "sqlite":
        url = "sqlite:///" + str(tmp_path / "concurrent.db")
        make_app(url, tmp_path)
        yield url
        return
    from pytest_postgresql.janitor import DatabaseJanitor

    base = sa.make_url(request.getfixturevalue("postgres_url"))
    name = f"creditbank_conc_{os.getpid()}_{secrets.token_hex(3)}"
    janitor = DatabaseJanitor(user=base.username or "postgres", host=base.host or "127.0.0.1",
                              port=base.port or 5432, dbname=name, password=base.password)
    janitor.init()
    url = base.set(database=name).render_as_string(hide_password=False)
    app = make_app(url, tmp_path)
    from api.extensions import db

    with app.app_context():
        db.engine.dispose()
    try:
        yield url
    finally:
        janitor.drop()


def test_two_processes_appending_never_fork_the_log(fresh_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    plans = [(fresh_url, 30, 1), (fresh_url, 10, 50), (fresh_url, 30, 1), (fresh_url, 10, 50)]
    with ctx.Pool(2) as pool:
        results = pool.starmap(appender_process, plans)
    every = sorted(i for r in results for i in r)
    total = 2 * 30 + 2 * 500
    assert every == list(range(total)), "indexes must be exactly 0..n-1, each once"
    for batch_result in results:
        # Each process's indexes within one transaction are contiguous (one batch = one unit).
        assert batch_result == sorted(batch_result)
    engine = sa.create_engine(fresh_url)
    configure_engine(engine)
    with Session(engine) as session:
        leaves = [bytes(b) for b in session.scalars(sa.select(LogEntry.leaf).order_by(LogEntry.index))]
        report = audit(session, [], "none")  # no checkpoints yet: tree, nodes and head are checked
        assert report.ok, report.problem
        assert report.entries == total
        from ledger.log import tree_head

        assert tree_head(session)[1] == merkle.MemoryTree.from_leaves(leaves).root()
    engine.dispose()
