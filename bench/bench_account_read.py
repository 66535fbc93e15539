"""Account read benchmark: one account of 200 records among 1,000,000, on SQLite. Prints one JSON line.

    .venv/bin/python bench/bench_account_read.py [--records 1000000] [--account-records 200] [--requests 300]

A fresh SQLite instance in a temporary directory: migrated, one college with a custodial key, the measured
learner's account (opened through the service) and 5,000 other accounts (rows written directly). Then
1,000,000 record rows written directly with the DBAPI (`executemany`), the measured account's 200 spread
evenly among them (an account's records arrive over years, not in one run); every row carries a
credential and an outcome of realistic size (a real signed credential, re-identified). Then gunicorn
(2 sync workers) on a loopback port and one client connection: `GET /api/v1/accounts/{id}/records?limit=200`
as the learner (no access-log write) and as an operator with a reason (one access-log row per read);
p50 and p90 over `--requests` reads after 20 warm-up reads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._server import gunicorn, pct  # noqa: E402

OTHER_ACCOUNTS = 5000


def _setup(instance: Path) -> dict[str, object]:
    """Migrate; register a college; open the measured account; post one real record as a template."""
    os.environ["CREDITBANK_INSTANCE_PATH"] = str(instance)
    from api.context import bank_did, keyring
    from api.extensions import alembic, db
    from app import create_app
    from ledger import accounts, clients, institutions
    from ledger.national_id import check_character
    from ledger.principal import SYSTEM, Principal
    from ledger.records import service
    from ledger.records.models import LearningRecord
    from ledger.roles import Role

    app = create_app({"CHECKPOINT_THREAD": False})
    with app.app_context():
        alembic.upgrade()
        inst = institutions.register_institution(db.session, keyring(), SYSTEM, bank_did(), kind="college",
                                                 name="重庆开放大学", region_code="500107")
        first17 = "50010719850315071"
        opened = accounts.open_account(db.session, keyring(), SYSTEM, bank_did(),
                                       national_id_number=first17 + check_character(first17), name="王小明",
                                       phone="13912345678")
        account = opened.account
        actor = Principal(kind="system", id=uuid.UUID(int=0), name="bench", roles=(Role.INSTITUTION,),
                          institution_id=inst.id)
        item = {"account": account.id, "kind": "course_credit", "external_ref": "template",
                "occurred_on": dt.date(2024, 6, 20),
                "outcome": {"course_code": "CS201", "course_name": "数据结构", "credits": "2.5", "score": "87",
                            "grade": "良好", "term": "2024-2025-2", "hours": "48"}}
        [result] = service.post_records(db.session, keyring(), actor, [service.PostItem(item)], partial=False,
                                        public_url="http://127.0.0.1:8000", bank_did=bank_did())
        assert result.ok
        db.session.commit()
        template = db.session.get(LearningRecord, result.record.id)
        learner = clients.create_client(db.session, SYSTEM, name="learner", roles=["learner"], account_id=account.id)
        operator = clients.create_client(db.session, SYSTEM, name="operator", roles=["operator"])
        db.session.commit()
        out = {"institution": inst.id, "key": template.key_id, "account": account.id, "learner": learner.token,
               "operator": operator.token, "credential": template.credential, "outcome": template.outcome,
               "template_id": template.id}
        db.engine.dispose()
    return out


def _fill(db_path: Path, setup: dict[str, object], total: int, mine: int) -> None:
    """Write `total` record rows directly, `mine` of them for the measured account, spread evenly."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    others = [uuid.uuid4().hex for _ in range(OTHER_ACCOUNTS)]
    conn.executemany("INSERT INTO accounts (id, card_number, status, opened_at, opened_by) VALUES (?,?,?,?,?)",
                     [(a, f"9{n:015d}", "active", now, "bench") for n, a in enumerate(others)])
    conn.execute("DELETE FROM learning_records WHERE id = ?", (setup["template_id"].hex,))  # type: ignore[union-attr]
    credential_text = json.dumps(setup["credential"])
    outcome_text = json.dumps(setup["outcome"])
    old_id = str(setup["template_id"])
    inst, key, account = (setup["institution"].hex, setup["key"].hex, setup["account"].hex)  # type: ignore[union-attr]
    every = total // mine
    columns = ("id, account_id, institution_id, key_id, issuer, kind, external_ref, occurred_on, outcome, credits, "
               "credential, credential_digest, content_hash, entry_index, custodial, status, recognition, created_at, "
               "created_by")
    sql = f"INSERT INTO learning_records ({columns}) VALUES ({','.join('?' * 19)})"
    chunk = []
    for n in range(total):
        rid = uuid.uuid4()
        owner = account if n % every == every // 2 and n // every < mine else others[n % OTHER_ACCOUNTS]
        chunk.append((rid.hex, owner, inst, key, "did:key:bench", ["course_credit", "skill_level", "training"][n % 3],
                      f"bench-{n}", f"20{10 + n % 15}-06-20", outcome_text, "2.50" if n % 3 == 0 else None,
                      credential_text.replace(old_id, str(rid)), f"sha256:{n:064x}", f"{n:064x}", 1_000_000 + n,
                      1, "active" if n % 50 else "revoked", "not_needed", now, "bench"))
        if len(chunk) == 20000:
            conn.executemany(sql, chunk)
            chunk.clear()
    if chunk:
        conn.executemany(sql, chunk)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def _timed_reads(port: int, path: str, token: str, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"}
    timings = []
    for i in range(count + 20):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        elapsed = time.perf_counter() - t0
        assert resp.status == 200, (resp.status, body[:300])
        if i >= 20:
            timings.append(elapsed)
    items = json.loads(body)["items"]
    assert len(items) == 200, len(items)
    conn.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--account-records", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-") as tmp:
        instance = Path(tmp)
        setup = _setup(instance)
        t0 = time.perf_counter()
        _fill(instance / "creditbank.db", setup, args.records, args.account_records)
        fill_s = time.perf_counter() - t0
        with gunicorn(instance, workers=args.workers) as port:
            path = f"/api/v1/accounts/urn:uuid:{setup['account']}/records?limit={args.account_records}"
            load_before = os.getloadavg()
            learner = _timed_reads(port, path, str(setup["learner"]), args.requests)
            operator = _timed_reads(port, path + "&reason=%E6%8A%95%E8%AF%89%E6%A0%B8%E6%9F%A5", str(setup["operator"]),
                                    args.requests)
            load_after = os.getloadavg()
        size_mb = round((instance / "creditbank.db").stat().st_size / 2**20)
    print(json.dumps({
        "bench": "account_read", "db": "sqlite", "records_in_bank": args.records,
        "account_records": args.account_records, "workers": args.workers, "connections": 1,
        "learner_p50_ms": pct(learner, 0.5), "learner_p90_ms": pct(learner, 0.9),
        "operator_logged_p50_ms": pct(operator, 0.5), "operator_logged_p90_ms": pct(operator, 0.9),
        "requests": args.requests, "db_mb": size_mb, "fill_s": round(fill_s, 1),
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(), "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
