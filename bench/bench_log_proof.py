"""Inclusion proofs over HTTP on a 1,000,000-entry log, then `flask log audit` of the same log.

    .venv/bin/python bench/bench_log_proof.py [--entries 1000000] [--requests 2000] [--backend sqlite]
                                              [--rebuild] [--skip-audit]

Build: the log is appended through the ledger service itself (`append_entries` in batches of 10,000,
one commit each) and one checkpoint is signed with `sign_if_due`, so the stored state is exactly what the
service produces; the audit at the end re-checks all of it. SQLite builds are cached in
bench/out/log-<entries>/ (gitignored) with their throwaway keys; PostgreSQL builds go to a throwaway
database, dropped at the end. `--rebuild` discards the cache.

Serve: gunicorn, 2 sync workers on 127.0.0.1, rate limits and the checkpoint thread off. One client
(`http.client`, keep-alive requested — gunicorn's sync workers close after each response, so the client
reconnects on loopback) asks for `--requests` inclusion proofs of random indexes after 200 warm-up
requests; latency is per request, connect included. Every proof is then verified against the checkpoint.

Audit: `flask log audit` as a subprocess on the same database; entries/s as the command reports it
(audit only) and for the whole command (interpreter and app start included).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from credentials import merkle  # noqa: E402
from credentials.checkpoint import open_checkpoint  # noqa: E402
from credentials.note import Verifier  # noqa: E402

PG_BASE = os.environ.get("CREDITBANK_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ORIGIN = "creditbank.bench/ledger"
BUILD_BATCH = 10_000
OUT = ROOT / "bench" / "out"


def load() -> list[float]:
    """1/5/15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def secrets_for(instance: Path) -> dict[str, str]:
    """Throwaway SECRET_KEY and MASTER_KEY for this bench instance, kept beside the cached database."""
    from credentials.sealing import new_master_key

    path = instance / "bench-secrets.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    data = {"SECRET_KEY": "bench-" + secrets.token_hex(24), "MASTER_KEY": new_master_key()}
    path.write_text(json.dumps(data))
    return data


def build(url: str, instance: Path, keys: dict[str, str], entries: int) -> dict[str, Any]:
    """Migrate, append `entries` through `append_entries` in batches of 10,000, sign one checkpoint."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_log_append import entries as make_entries
    from sqlalchemy.orm import Session

    from api.context import log_signer
    from api.extensions import db
    from ledger.db import begin_write, configure_engine
    from ledger.log import append_entries, tree_head
    from ledger.log.checkpoints import sign_if_due
    from tests.conftest import make_app

    app = make_app(url, instance, LOG_ORIGIN=ORIGIN, **keys)
    engine = sa.create_engine(url)
    configure_engine(engine)
    t0 = time.perf_counter()
    with Session(engine) as session:
        size, _ = tree_head(session)
        while size < entries:
            n = min(BUILD_BATCH, entries - size)
            batch = make_entries(n)
            begin_write(session)
            appended = append_entries(session, batch)
            session.commit()
            size = appended[-1].index + 1
            if size % 100_000 < BUILD_BATCH:
                print(f"built {size} entries, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    append_seconds = time.perf_counter() - t0
    engine.dispose()
    with app.app_context():
        cp = sign_if_due(db.session, log_signer(), min_interval=0, force=True)
        note = cp.note if cp else None
        db.session.close()
        db.engine.dispose()
    return {"append_seconds": round(append_seconds, 1), "note": note}


@contextlib.contextmanager
def database(backend: str, entries: int, rebuild: bool) -> Iterator[tuple[str, Path, dict[str, str], dict[str, Any]]]:
    """(url, instance dir, keys, build info): the cached SQLite log, or a throwaway PostgreSQL one."""
    if backend == "sqlite":
        instance = OUT / f"log-{entries}"
        done = instance / "built.json"
        if rebuild and instance.exists():
            shutil.rmtree(instance)
        instance.mkdir(parents=True, exist_ok=True)
        url = "sqlite:///" + str(instance / "log.db")
        keys = secrets_for(instance)
        if done.exists():
            info = json.loads(done.read_text()) | {"cached": True}
        else:
            (instance / "log.db").unlink(missing_ok=True)
            info = build(url, instance, keys, entries)
            done.write_text(json.dumps(info))
            info["cached"] = False
        yield url, instance, keys, info
        return
    instance = OUT / f"log-pg-{os.getpid()}"
    instance.mkdir(parents=True, exist_ok=True)
    base = sa.make_url(PG_BASE)
    name = f"creditbank_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        keys = secrets_for(instance)
        yield url, instance, keys, build(url, instance, keys, entries) | {"cached": False}
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        shutil.rmtree(instance, ignore_errors=True)


def env_for(url: str, instance: Path, keys: dict[str, str]) -> dict[str, str]:
    """Environment of the server and the CLI: this database, throwaway keys, no rate limits or thread."""
    return os.environ | {
        "CREDITBANK_DATABASE_URL": url, "CREDITBANK_INSTANCE_PATH": str(instance),
        "CREDITBANK_MASTER_KEY": keys["MASTER_KEY"], "CREDITBANK_SECRET_KEY": keys["SECRET_KEY"],
        "CREDITBANK_LOG_ORIGIN": ORIGIN, "CREDITBANK_RATELIMIT_ENABLED": "false",
        "CREDITBANK_CHECKPOINT_THREAD": "false", "PYTHONPATH": str(ROOT),
    }


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(env: dict[str, str], port: int, workers: int) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn with `workers` sync workers on 127.0.0.1:port, stopped (by its own pid) at the end."""
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/api/v1/log/key")
                if c.getresponse().status == 200:
                    c.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 60 s")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    """One GET on the (keep-alive) connection; http.client reconnects if the server closed it."""
    conn.request("GET", path, headers={"Connection": "keep-alive"})
    resp = conn.getresponse()
    return resp.status, resp.read()


def proofs(port: int, size: int, requests: int, seed: int) -> tuple[list[float], list[tuple[int, dict[str, Any]]]]:
    """Latencies (ms) of `requests` inclusion proofs of random indexes, and the proofs."""
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(200):
        status, _ = get(conn, f"/api/v1/log/proof/inclusion?index={rng.randrange(size)}")
        assert status == 200, status
    latencies, answers = [], []
    for _ in range(requests):
        index = rng.randrange(size)
        t0 = time.perf_counter()
        status, body = get(conn, f"/api/v1/log/proof/inclusion?index={index}")
        latencies.append((time.perf_counter() - t0) * 1000)
        assert status == 200, (status, body[:200])
        answers.append((index, json.loads(body)))
    conn.close()
    return latencies, answers


def check_proofs(answers: list[tuple[int, dict[str, Any]]], note: str, verifier_key: str) -> None:
    """Every served proof verifies against the signed checkpoint, and its leaf is the envelope of its index."""
    cp = open_checkpoint(note.encode(), Verifier.from_key_string(verifier_key), ORIGIN)
    for index, p in answers:
        leaf = base64.b64decode(p["leaf_data_b64"])
        assert p["leaf_index"] == index and p["tree_size"] == cp.size and json.loads(leaf)["index"] == index
        assert merkle.leaf_hash(leaf) == base64.b64decode(p["leaf_hash_b64"])
        merkle.verify_inclusion(merkle.leaf_hash(leaf), index, cp.size,
                                [base64.b64decode(h) for h in p["audit_path"]], cp.root_hash)


def pct(xs: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> None:
    """Build or reuse the log, time proofs over HTTP, time the audit; print one JSON line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--skip-audit", action="store_true")
    args = ap.parse_args()
    out: dict[str, Any] = {"bench": "log_proof", "backend": args.backend, "entries": args.entries}
    with database(args.backend, args.entries, args.rebuild) as (url, instance, keys, info):
        out["build"] = {k: v for k, v in info.items() if k != "note"}
        env = env_for(url, instance, keys)
        port = free_port()
        with server(env, port, args.workers):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            _, note = get(conn, "/api/v1/log/checkpoint")
            _, key = get(conn, "/api/v1/log/key")
            conn.close()
            out["load_before_proofs"] = load()
            latencies, answers = proofs(port, args.entries, args.requests, args.seed)
            out["load_after_proofs"] = load()
        check_proofs(answers, note.decode(), key.decode().strip())
        out["proof"] = {"requests": args.requests, "workers": args.workers, "p50_ms": round(pct(latencies, 0.5), 3),
                        "p90_ms": round(pct(latencies, 0.9), 3), "p99_ms": round(pct(latencies, 0.99), 3),
                        "mean_ms": round(statistics.fmean(latencies), 3), "verified": len(answers)}
        if not args.skip_audit:
            out["load_before_audit"] = load()
            t0 = time.perf_counter()
            res = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "app:create_app()", "log", "audit"],
                                 cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
            wall = time.perf_counter() - t0
            out["load_after_audit"] = load()
            report = json.loads(res.stdout.strip().splitlines()[-1])
            out["audit"] = {"exit": res.returncode, "ok": report["ok"], "entries": report["entries"],
                            "checkpoints": report["checkpoints"], "seconds": report["seconds"],
                            "entries_per_s": report["entries_per_second"], "command_seconds": round(wall, 2),
                            "command_entries_per_s": round(report["entries"] / wall)}
            if res.returncode:
                out["audit"]["stderr"] = res.stderr[-500:]
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
