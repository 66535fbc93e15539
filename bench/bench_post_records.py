"""Posting benchmark: batches of 1,000 custodial records over HTTP on SQLite. Prints one JSON line.

    .venv/bin/python bench/bench_post_records.py [--batches 5] [--size 1000] [--workers 2]

A fresh SQLite instance in a temporary directory: migrated, one college authorised for every kind, 1,000
accounts (made through the services, not timed). Then gunicorn (`--workers` sync workers) on a loopback
port, and one client connection posting `--batches` JSON batches of `--size` records of mixed kinds one
after the other (`POST /api/v1/records:batch`), each signed by the bank (eddsa-rdfc-2022), appended to the
log and stored. Throughput = records / wall time of all batches; p50 = median batch latency.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._server import gunicorn  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))

from bench_records import outcome  # noqa: E402  (a sibling script, not a package)

from ledger.conversion.model import OutcomeKind  # noqa: E402

KINDS = list(OutcomeKind)


def _setup(instance: Path, accounts: int) -> tuple[str, list[str]]:
    """Migrate, register a college, open accounts; return (institution token, account ids)."""
    os.environ["CREDITBANK_INSTANCE_PATH"] = str(instance)
    from api.context import bank_did, keyring
    from api.extensions import alembic, db
    from app import create_app
    from ledger import accounts as accounts_service
    from ledger import clients, institutions
    from ledger.national_id import check_character
    from ledger.principal import SYSTEM

    app = create_app({"CHECKPOINT_THREAD": False})
    with app.app_context():
        alembic.upgrade()
        inst = institutions.register_institution(db.session, keyring(), SYSTEM, bank_did(), kind="college",
                                                 name="重庆开放大学", region_code="500107",
                                                 authorised_kinds=[k.value for k in KINDS])
        issued = clients.create_client(db.session, SYSTEM, name="bench", roles=["institution"],
                                       institution_id=inst.id)
        ids = []
        for n in range(accounts):
            first17 = f"500107{1970 + n % 30}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
            opened = accounts_service.open_account(db.session, keyring(), SYSTEM, bank_did(),
                                                   national_id_number=first17 + check_character(first17),
                                                   name="张三", phone=None)
            ids.append(opened.account.ref)
        db.session.commit()
        db.engine.dispose()
    return issued.token, ids


def _batch(accounts: list[str], size: int, batch: int) -> bytes:
    records: list[dict[str, Any]] = []
    for i in range(size):
        n = batch * size + i
        kind = KINDS[n % len(KINDS)]
        records.append({"account": accounts[n % len(accounts)], "kind": kind.value,
                        "external_ref": f"bench-{batch}-{i}-{uuid.uuid4().hex[:8]}", "occurred_on": "2024-06-20",
                        "outcome": outcome(kind, n)})
    return json.dumps({"records": records, "partial": False}, ensure_ascii=False).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--accounts", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-") as tmp:
        instance = Path(tmp)
        token, accounts = _setup(instance, args.accounts)
        bodies = [_batch(accounts, args.size, b) for b in range(args.batches)]
        with gunicorn(instance, workers=args.workers, env={"CREDITBANK_RATELIMIT_ENABLED": "true"},
                      timeout=120) as port:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            # warm both workers (first request of a process builds its caches)
            for w in range(args.workers * 2):
                conn.request("POST", "/api/v1/records:batch", body=_batch(accounts, 12, 1000 + w), headers=headers)
                resp = conn.getresponse()
                resp.read()
                assert resp.status == 201, resp.status
            load_before = os.getloadavg()
            timings = []
            start = time.perf_counter()
            for body in bodies:
                t0 = time.perf_counter()
                conn.request("POST", "/api/v1/records:batch", body=body, headers=headers)
                resp = conn.getresponse()
                answer = json.loads(resp.read())
                timings.append(time.perf_counter() - t0)
                assert resp.status == 201 and answer["recorded"] == args.size, (resp.status, str(answer)[:500])
            total = time.perf_counter() - start
            load_after = os.getloadavg()
    print(json.dumps({
        "bench": "post_records", "db": "sqlite", "workers": args.workers, "connections": 1,
        "batches": args.batches, "batch_size": args.size,
        "records_per_s": round(args.batches * args.size / total),
        "p50_batch_ms": round(statistics.median(timings) * 1000, 1),
        "batch_ms": [round(t * 1000, 1) for t in timings],
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(), "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
