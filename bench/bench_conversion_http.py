"""Preview over HTTP: `POST /api/v1/accounts/{id}/conversions:preview` for a 200-record account. One JSON line.

    .venv/bin/python bench/bench_conversion_http.py [--records 200] [--requests 100] [--workers 1]

A fresh SQLite instance in a temporary directory: migrated; a college, an appraisal body, a training body, a
competition organiser and an enterprise; one learner account with `--records` records of mixed kinds posted
through the records service (skill levels, qualifications, trainings, awards, courses, practice …), those
needing recognition (认定) recognised by the college. Then gunicorn on a loopback port and one client
connection: the learner previews programme 430103 (供用电技术, 145 credits, the largest shipped programme),
p50/p90 over `--requests` after 10 warm-up requests.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import http.client
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._server import gunicorn, pct  # noqa: E402

KINDS = {  # outcome kind -> issuing institution kind
    "skill_level": "appraisal_body", "vocational_qualification": "appraisal_body", "training": "training_body",
    "competition_award": "competition_organiser", "course_credit": "college", "online_course": "college",
    "practice": "enterprise", "enterprise_course": "enterprise", "non_degree_cert": "training_body",
}
OCCUPATIONS = ["6-31-01-03", "6-28-01-01", "6-28-01-04", "4-02-06-01", "2-02-07-05"]


def _outcome(kind: str, n: int) -> dict[str, object]:
    from tests.unit.test_record_schemas import VALID

    out = copy.deepcopy(VALID[kind])
    if "occupation_code" in out:
        out["occupation_code"] = OCCUPATIONS[n % len(OCCUPATIONS)]
    if "certificate_no" in out:
        out["certificate_no"] = f"{out['certificate_no']}"[:-4] + f"{n:04d}"
    if kind == "skill_level":
        out["level"] = 1 + n % 5
    if kind == "course_credit":
        out["course_code"] = f"CS{200 + n}"
    if kind == "competition_award":
        out["event_id"] = f"cq-{n}"
    return out


def _setup(instance: Path, records: int) -> dict[str, object]:
    os.environ["CREDITBANK_INSTANCE_PATH"] = str(instance)
    from api.context import bank_did, keyring
    from api.extensions import alembic, db
    from app import create_app
    from ledger import accounts, clients, institutions
    from ledger.conversion import default_programmes
    from ledger.national_id import check_character
    from ledger.principal import SYSTEM, Principal
    from ledger.records import service
    from ledger.roles import Role

    app = create_app({"CHECKPOINT_THREAD": False})
    with app.app_context():
        alembic.upgrade()
        insts = {kind: institutions.register_institution(db.session, keyring(), SYSTEM, bank_did(), kind=kind,
                                                         name=f"bench {kind}", region_code="500107")
                 for kind in sorted(set(KINDS.values()))}
        first17 = "50010719850315071"
        account = accounts.open_account(db.session, keyring(), SYSTEM, bank_did(),
                                        national_id_number=first17 + check_character(first17), name="王小明",
                                        phone="13912345678").account
        kinds = sorted(KINDS)
        posted = []
        for n in range(records):
            kind = kinds[n % len(kinds)]
            inst = insts[KINDS[kind]]
            actor = Principal(kind="system", id=uuid.UUID(int=0), name="bench", roles=(Role.INSTITUTION,),
                              institution_id=inst.id)
            item = {"account": account.id, "kind": kind, "external_ref": f"bench-{n}",
                    "occurred_on": dt.date(2018 + n % 7, 6, 20), "outcome": _outcome(kind, n)}
            [result] = service.post_records(db.session, keyring(), actor, [service.PostItem(item)], partial=False,
                                            public_url="http://127.0.0.1:8000", bank_did=bank_did())
            assert result.ok, result
            posted.append(result.record)
        db.session.commit()
        college = Principal(kind="system", id=uuid.UUID(int=0), name="bench", roles=(Role.INSTITUTION,),
                            institution_id=insts["college"].id)
        for rec in posted:
            if rec.recognition == "pending":
                service.recognise_record(db.session, college, rec.id, decision="recognised", reason=None,
                                         note=None, bank_did=bank_did())
        db.session.commit()
        learner = clients.create_client(db.session, SYSTEM, name="learner", roles=["learner"], account_id=account.id)
        db.session.commit()
        power = next(p for p in default_programmes() if p.code == "430103")
        out = {"account": account.id, "learner": learner.token, "programme": power.id,
               "programme_credits": str(power.total_credits)}
        db.engine.dispose()
    return out


def _timed(port: int, path: str, token: str, body: bytes, count: int) -> tuple[list[float], dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    timings = []
    for i in range(count + 10):
        t0 = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        elapsed = time.perf_counter() - t0
        assert resp.status == 200, (resp.status, data[:300])
        if i >= 10:
            timings.append(elapsed)
    conn.close()
    return timings, json.loads(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-") as tmp:
        instance = Path(tmp)
        t0 = time.perf_counter()
        setup = _setup(instance, args.records)
        setup_s = time.perf_counter() - t0
        with gunicorn(instance, workers=args.workers) as port:
            path = f"/api/v1/accounts/urn:uuid:{setup['account']}/conversions:preview"
            body = json.dumps({"programme": setup["programme"], "as_of": "2025-06-01"}).encode()
            load_before = os.getloadavg()
            timings, plan = _timed(port, path, str(setup["learner"]), body, args.requests)
            load_after = os.getloadavg()
    lines = plan["lines"]  # type: ignore[index]
    print(json.dumps({
        "bench": "conversion_preview_http", "db": "sqlite", "records": args.records, "plan_lines": len(lines),
        "converted_lines": sum(ln["status"] in ("course_replaced", "pool_credits", "waiver") for ln in lines),
        "plan_total": plan["totals"]["total"],  # type: ignore[index]
        "programme_credits": setup["programme_credits"], "workers": args.workers, "connections": 1,
        "p50_ms": pct(timings, 0.5), "p90_ms": pct(timings, 0.9), "requests": args.requests,
        "setup_s": round(setup_s, 1), "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after], "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
