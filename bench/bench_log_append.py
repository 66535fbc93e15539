"""Log append benchmark: `append_entries` in batches of 1,000 on a fresh SQLite file and PostgreSQL database.

    .venv/bin/python bench/bench_log_append.py [--backend sqlite,postgresql] [--batches 10] [--runs 5]

Prints one JSON line per backend. Each run appends `--batches` transactions of `--batch` entries through
the ledger service (`begin_write` + `append_entries` + `commit`, one plain Session as a worker holds it)
onto the same growing log; entries/s is the median over runs (entries are built before the clock starts).
In the same run, in lockstep (after each append run, each reference inserts as many rows, so every table
has the same size when timed: random-key indexes make inserts slower as tables grow), the database's raw
insert rate is measured on copies of `log_entries` (same columns, keys, indexes) with the same rows (leaf
bytes as the service makes them), one transaction per batch: raw sqlite3 `executemany`, psycopg `COPY`
(and `executemany`); `*_with_nodes` also inserts the ~1 node row per entry an append stores.
`share` = append rate / raw rate. The audit at the end checks the appended log is intact.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from credentials import merkle  # noqa: E402
from ledger.db import begin_write, configure_engine  # noqa: E402
from ledger.log import NewEntry, append_entries  # noqa: E402
from ledger.log.envelope import commitment, leaf_bytes, log_time  # noqa: E402

PG_BASE = os.environ.get("CREDITBANK_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
COLS = ("index", "leaf", "leaf_hash", "kind", "time", "subject_salt", "subject_ref", "actor", "object_ref")


def load() -> list[float]:
    """1/5/15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def entries(n: int) -> list[NewEntry]:
    """Entries shaped like a record's (random account, random digest, an object id)."""
    return [NewEntry(kind="record", subject_ref=f"urn:uuid:{uuid.uuid4()}", issuer="did:key:z6MkBenchIssuer" + "x" * 34,
                     digest="sha256:" + hashlib.sha256(uuid.uuid4().bytes).hexdigest(), actor="client:bench",
                     object_ref=f"urn:uuid:{uuid.uuid4()}") for _ in range(n)]


def raw_rows(start: int, batch: list[NewEntry]) -> list[tuple[Any, ...]]:
    """The rows an append would store for `batch` (built outside any clock)."""
    now = dt.datetime.now(dt.UTC)
    stamp = log_time(now)
    out = []
    for k, e in enumerate(batch):
        salt = os.urandom(16)
        leaf = leaf_bytes(start + k, e.kind, commitment(salt, e.subject_ref), e.issuer, e.digest, stamp)
        out.append((start + k, leaf, merkle.leaf_hash(leaf), e.kind, now, salt, e.subject_ref, e.actor, e.object_ref))
    return out


@contextlib.contextmanager
def database(backend: str, tmp: Path) -> Iterator[str]:
    """A fresh migrated database: SQLite file under `tmp`, or a throwaway PostgreSQL database (dropped after)."""
    from tests.conftest import make_app

    if backend == "sqlite":
        url = "sqlite:///" + str(tmp / "bench.db")
        make_app(url, tmp)
        yield url
        return
    base = sa.make_url(PG_BASE)
    name = f"creditbank_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        app = make_app(url, tmp)
        from api.extensions import db

        with app.app_context():
            db.engine.dispose()
        yield url
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


class Appender:
    """The service path: `begin_write` + `append_entries` + `commit` per batch on one Session."""

    name = "append_entries"

    def __init__(self, url: str, batch: int, warmup: int = 2) -> None:
        self.engine = sa.create_engine(url)
        configure_engine(self.engine)
        self.session = Session(self.engine)
        self.batch = batch
        for _ in range(warmup):
            self.run(1)

    def run(self, batches: int) -> float:
        """Entries/s over `batches` transactions (entries built before the clock starts)."""
        work = [entries(self.batch) for _ in range(batches)]
        session = self.session
        t0 = time.perf_counter()
        for b in work:
            begin_write(session)
            append_entries(session, b)
            session.commit()
        return batches * self.batch / (time.perf_counter() - t0)

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()


def _node_rows(start: int, n: int) -> list[tuple[int, int, bytes]]:
    """About one node row per entry, as an append of `n` entries at `start` stores."""
    result = merkle.append(0, [], [os.urandom(32) for _ in range(n)])
    return [(lv, i + (start >> lv), h) for lv, i, h in result.new_nodes if lv > 0]


class RawSqlite:
    """Raw sqlite3 `executemany` into a copy of `log_entries` (+ `log_nodes`), one commit per batch."""

    def __init__(self, url: str, batch: int, tag: str, with_nodes: bool, warmup: int = 2) -> None:
        import sqlite3

        self.name = "sqlite3_executemany" + ("_with_nodes" if with_nodes else "")
        self.batch, self.with_nodes, self.start = batch, with_nodes, 0
        self.con = sqlite3.connect(str(sa.make_url(url).database), isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            self.con.execute("PRAGMA " + pragma)
        ddl = [r[0] for r in self.con.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name IN ('log_entries','log_nodes') AND sql IS NOT NULL")]
        self.entries_t, self.nodes_t = f"raw_entries_{tag}", f"raw_nodes_{tag}"
        for stmt in ddl:  # same columns, keys and indexes under other names
            stmt = stmt.replace("log_entries", self.entries_t).replace("log_nodes", self.nodes_t)
            self.con.execute(stmt.replace("pk_raw", f"pk_{tag}_raw").replace("ix_raw", f"ix_{tag}_raw"))
        cols = ",".join(f'"{c}"' for c in COLS)
        self.ins = f"INSERT INTO {self.entries_t} ({cols}) VALUES ({','.join('?' * len(COLS))})"
        self.ins_nodes = f"INSERT INTO {self.nodes_t} (level, idx, hash) VALUES (?,?,?)"
        for _ in range(warmup):
            self.run(1)

    def run(self, batches: int) -> float:
        work = []
        for _ in range(batches):
            rows = [(r[0], r[1], r[2], r[3], r[4].replace(tzinfo=None).isoformat(sep=" "), *r[5:])
                    for r in raw_rows(self.start, entries(self.batch))]
            work.append((rows, _node_rows(self.start, self.batch) if self.with_nodes else []))
            self.start += self.batch
        con = self.con
        t0 = time.perf_counter()
        for rows, nodes in work:
            con.execute("BEGIN IMMEDIATE")
            con.executemany(self.ins, rows)
            if nodes:
                con.executemany(self.ins_nodes, nodes)
            con.execute("COMMIT")
        return batches * self.batch / (time.perf_counter() - t0)

    def close(self) -> None:
        self.con.execute(f"DROP TABLE {self.entries_t}")
        self.con.execute(f"DROP TABLE {self.nodes_t}")
        self.con.close()


class RawPg:
    """Raw psycopg `COPY` (or `executemany`) into a copy of `log_entries` (+ `log_nodes`), one commit per batch."""

    def __init__(self, url: str, batch: int, tag: str, mode: str, with_nodes: bool, warmup: int = 2) -> None:
        import psycopg

        self.name = f"psycopg_{mode}" + ("_with_nodes" if with_nodes else "")
        self.batch, self.mode, self.with_nodes, self.start = batch, mode, with_nodes, 0
        u = sa.make_url(url)
        self.con = psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, dbname=u.database,
                                   password=u.password)
        self.entries_t, self.nodes_t = f"raw_entries_{tag}", f"raw_nodes_{tag}"
        self.con.execute(f"CREATE TABLE {self.entries_t} (LIKE log_entries INCLUDING ALL)")
        self.con.execute(f"CREATE TABLE {self.nodes_t} (LIKE log_nodes INCLUDING ALL)")
        self.con.commit()
        self.cols = ",".join(f'"{c}"' for c in COLS)
        for _ in range(warmup):
            self.run(1)

    def run(self, batches: int) -> float:
        work = []
        for _ in range(batches):
            work.append((raw_rows(self.start, entries(self.batch)),
                         _node_rows(self.start, self.batch) if self.with_nodes else []))
            self.start += self.batch
        con = self.con
        t0 = time.perf_counter()
        for rows, nodes in work:
            with con.cursor() as cur:
                if self.mode == "copy":
                    with cur.copy(f"COPY {self.entries_t} ({self.cols}) FROM STDIN") as cp:
                        for r in rows:
                            cp.write_row(r)
                    if nodes:
                        with cur.copy(f"COPY {self.nodes_t} (level, idx, hash) FROM STDIN") as cp:
                            for r in nodes:
                                cp.write_row(r)
                else:
                    cur.executemany(f"INSERT INTO {self.entries_t} ({self.cols}) "
                                    f"VALUES ({','.join(['%s'] * len(COLS))})", rows)
                    if nodes:
                        cur.executemany(f"INSERT INTO {self.nodes_t} (level, idx, hash) VALUES (%s,%s,%s)", nodes)
            con.commit()
        return batches * self.batch / (time.perf_counter() - t0)

    def close(self) -> None:
        self.con.execute(f"DROP TABLE {self.entries_t}")
        self.con.execute(f"DROP TABLE {self.nodes_t}")
        self.con.commit()
        self.con.close()


def lockstep(contenders: list[Any], batches: int, runs: int) -> tuple[dict[str, list[float]], list[float]]:
    """Each run: every contender appends `batches` batches in turn, so all tables have the same size."""
    rates: dict[str, list[float]] = {c.name: [] for c in contenders}
    loads = []
    for _ in range(runs):
        for c in contenders:
            rates[c.name].append(c.run(batches))
        loads.append(os.getloadavg()[0])
    return rates, loads


def audit_ok(url: str) -> bool:
    """The appended log passes the audit (no checkpoints were signed, so this checks entries and nodes)."""
    from ledger.log.audit import audit

    engine = sa.create_engine(url)
    configure_engine(engine)
    with Session(engine) as s:
        report = audit(s, [], "bench")
    engine.dispose()
    return report.ok


def main() -> None:
    """Parse arguments, run each backend, print one JSON line per backend."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", default="sqlite,postgresql")
    ap.add_argument("--batches", type=int, default=10, help="batches per run")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    for backend in args.backend.split(","):
        load_before = load()
        with tempfile.TemporaryDirectory(prefix="bench-log-append-") as tmp, database(backend, Path(tmp)) as url:
            contenders: list[Any] = [Appender(url, args.batch)]
            if backend == "sqlite":
                contenders += [RawSqlite(url, args.batch, "a", False), RawSqlite(url, args.batch, "b", True)]
            else:
                contenders += [RawPg(url, args.batch, "a", "copy", False), RawPg(url, args.batch, "b", "copy", True),
                               RawPg(url, args.batch, "c", "executemany", False)]
            try:
                per_run, loads = lockstep(contenders, args.batches, args.runs)
            finally:
                for c in contenders:
                    c.close()
            ok = audit_ok(url)
        med = {k: statistics.median(v) for k, v in per_run.items()}
        rate = med.pop("append_entries")
        ref = next(v for k, v in med.items() if not k.endswith("with_nodes"))
        ref_nodes = next(v for k, v in med.items() if k.endswith("with_nodes"))
        print(json.dumps({
            "bench": "log_append", "backend": backend, "batch": args.batch, "batches_per_run": args.batches,
            "runs": args.runs, "entries_per_s": round(rate),
            "runs_entries_per_s": [round(r) for r in per_run["append_entries"]],
            "raw_rows_per_s": {k: round(v) for k, v in med.items()}, "share_of_raw": round(rate / ref, 3),
            "share_of_raw_with_nodes": round(rate / ref_nodes, 3),
            "audit_ok": ok, "load_before": load_before, "load_during_max": round(max(loads), 2), "load_after": load(),
            "python": sys.version.split()[0], "sqlalchemy": sa.__version__,
        }), flush=True)


if __name__ == "__main__":
    main()
