"""Benchmark of the conversion engine: one plan for a 200-outcome account, and ranking 200 programmes.

Prints one JSON line. Not collected by pytest. Run: .venv/bin/python bench/bench_conversion.py
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
import uuid
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ledger.conversion import default_programmes, default_rulesets, plan, rank
from ledger.conversion.model import (
    AwardScope,
    IssuerKind,
    OrganiserType,
    Outcome,
    OutcomeKind,
    Programme,
    TeamRole,
)

AS_OF = date(2025, 3, 1)
OCCUPATIONS = ["6-28-01-01", "6-28-01-04", "6-31-01-03", "6-18-01-01", "4-02-06-01", "4-02-02-01", "2-02-07-05"]
SUBJECTS = ["math", "english", "computing", "electrical", "power", "plc", "safety", "logistics", "cad", "management"]


def _id(rng: random.Random) -> str:
    return f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def account(rng: random.Random, n: int = 200) -> list[Outcome]:
    """A varied account: certificates, trainings, awards, courses, some revoked/expired/unrecognised."""
    out = []
    for k in range(n):
        issued = AS_OF - timedelta(days=rng.randint(30, 3650))
        base: dict[str, Any] = {
            "id": _id(rng),
            "issued_on": issued,
            "issuer_id": f"did:key:z{rng.randint(1, 30)}",
            "recognised": rng.random() > 0.05,
            "revoked": rng.random() < 0.03,
        }
        pick = k % 10
        if pick in (0, 1):
            o = Outcome(kind=OutcomeKind.SKILL_LEVEL, issuer_kind=IssuerKind.APPRAISAL_BODY, level=rng.randint(1, 5),
                        occupation_code=rng.choice(OCCUPATIONS),
                        expires_on=issued + timedelta(days=2190) if rng.random() < 0.2 else None, **base)
        elif pick == 2:
            o = Outcome(kind=OutcomeKind.TRAINING, issuer_kind=IssuerKind.TRAINING_BODY, hours=Decimal(rng.choice([8, 16, 24, 32, 48, 64, 80])),
                        passed=rng.random() > 0.1, subject_area=rng.choice(SUBJECTS), **base)
        elif pick == 3:
            o = Outcome(kind=OutcomeKind.COMPETITION_AWARD, issuer_kind=IssuerKind.COMPETITION_ORGANISER,
                        award_scope=rng.choice(list(AwardScope)), award_rank=rng.randint(1, 3),
                        organiser_type=rng.choice(list(OrganiserType)), team_role=rng.choice(list(TeamRole)),
                        event_id=f"event-{rng.randint(1, 25)}", occupation_code=rng.choice(OCCUPATIONS), **base)
        elif pick == 4:
            o = Outcome(kind=OutcomeKind.PRACTICE, issuer_kind=IssuerKind.ENTERPRISE, practice_years=Decimal(rng.randint(0, 6)),
                        occupation_code=rng.choice(OCCUPATIONS), passed=True,
                        scheme="劳动技能" if rng.random() < 0.3 else None, subject_area=rng.choice(SUBJECTS), **base)
        elif pick == 5:
            o = Outcome(kind=OutcomeKind.ONLINE_COURSE, issuer_kind=IssuerKind.COLLEGE, hours=Decimal(rng.choice([16, 32, 48, 64])),
                        credits=Decimal(rng.choice([1, 2, 3, 4, 6])), passed=True, attendance=Decimal(rng.choice(["0.7", "0.85", "0.95"])),
                        score=Decimal(rng.randint(50, 98)), subject_area=rng.choice(SUBJECTS), course_name=f"网课{k}", **base)
        elif pick == 6:
            o = Outcome(kind=OutcomeKind.ENTERPRISE_COURSE, issuer_kind=IssuerKind.ENTERPRISE, hours=Decimal(rng.choice([16, 32, 64, 96])),
                        passed=True, subject_area=rng.choice(SUBJECTS), occupation_code=rng.choice(OCCUPATIONS), course_name=f"内训{k}", **base)
        elif pick == 7:
            scheme, levels = rng.choice([("1+X", ["初级", "中级", "高级"]), ("NCRE", ["二级", "三级", "四级"]), ("CET", ["CET-4", "CET-6"])])
            o = Outcome(kind=OutcomeKind.NON_DEGREE_CERT, issuer_kind=IssuerKind.APPRAISAL_BODY, scheme=scheme,
                        scheme_level=rng.choice(levels), subject_area=rng.choice(SUBJECTS), **base)
        elif pick == 8:
            o = Outcome(kind=OutcomeKind.COURSE_CREDIT, issuer_kind=IssuerKind.COLLEGE, credits=Decimal(rng.choice([2, 3, 4])),
                        score=Decimal(rng.randint(55, 95)), course_code=f"SC-{rng.randint(1, 40):05d}",
                        institution_id="urn:uuid:bc2e68e6-fe95-41e8-b242-162cd0e1bdaa", **base)
        else:
            o = Outcome(kind=rng.choice([OutcomeKind.DEGREE, OutcomeKind.HONOUR, OutcomeKind.ENROLMENT]),
                        issuer_kind=IssuerKind.COLLEGE, **base)
        out.append(o)
    return out


def programmes(rng: random.Random, n: int = 200) -> list[Programme]:
    """Variants of the shipped programmes: other colleges, pool ceilings, related occupations, course subsets."""
    shipped = default_programmes()
    out = []
    for k in range(n):
        base = shipped[k % len(shipped)]
        courses = tuple(replace(c, replaceable=c.replaceable and rng.random() > 0.1) for c in base.courses)
        pools = tuple(replace(p, ceiling=min(p.ceiling, Decimal(rng.randint(1, 8)))) for p in base.pools)
        occupations = base.occupations + ((rng.choice(OCCUPATIONS)[:7],) if rng.random() < 0.5 else ())
        out.append(replace(base, id=_id(rng), institution_id=_id(rng), courses=courses, pools=pools, occupations=occupations))
    return out


ACCOUNTS = 12  # different 200-outcome accounts: solve times vary with the account, so no lucky seed
RUNS = 5


def main() -> None:
    # HiGHS 1.12 prints a stray debug line to fd 1 from C++ on some solves; keep stdout to the one
    # JSON line by sending fd 1 to /dev/null while measuring.
    stdout = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        figures = measure()
    finally:
        os.dup2(stdout, 1)
    print(json.dumps(figures))


def measure() -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    rng = random.Random(20250301)
    rulesets = {r.style: r for r in default_rulesets()}
    power = next(p for p in default_programmes() if p.code == "430103")
    accounts = [account(rng) for _ in range(ACCOUNTS)]
    outcomes = accounts[0]
    for _ in range(3):  # warm-up: imports, HiGHS first call
        plan(outcomes, power, rulesets["chongqing"], AS_OF)
    times = []
    totals = []
    for outcomes_ in accounts:
        for _ in range(RUNS):
            t0 = time.perf_counter()
            result = plan(outcomes_, power, rulesets["chongqing"], AS_OF)
            times.append((time.perf_counter() - t0) * 1000)
        totals.append(result.totals.total)
    times.sort()
    progs = programmes(rng)
    styles = {p.id: ("chongqing" if k % 2 == 0 else "fujian") for k, p in enumerate(progs)}
    t0 = time.perf_counter()
    ranking = rank(outcomes, progs, list(rulesets.values()), AS_OF, choose=lambda p, _rs, _d: rulesets[styles[p.id]])
    rank_s = time.perf_counter() - t0
    return {
        "bench": "conversion",
        "outcomes": len(outcomes),
        "accounts": ACCOUNTS,
        "programme": f"{power.code} {power.total_credits} credits, {rulesets['chongqing'].style}",
        "plan_total_credits": [str(t) for t in totals],
        "plan_ms_p50": round(statistics.median(times), 2),
        "plan_ms_p90": round(times[int(len(times) * 0.9) - 1], 2),
        "plan_ms_max": round(times[-1], 2),
        "rank_programmes": len(progs),
        "rank_s": round(rank_s, 3),
        "rank_best": str(ranking[0].total),
        "load_avg_1m": os.getloadavg()[0],
    }


if __name__ == "__main__":
    main()
