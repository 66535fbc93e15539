"""Record credential benchmark: build + sign OB 3.0 credentials of mixed kinds. Prints one JSON line.

    .venv/bin/python bench/bench_records.py [--records 1000] [--repeat 3]

One thread, warm (the first credential of each shape is built and signed before timing). Throughput:
`build_credential` for every record, then one `sign_batch` over all of them (eddsa-rdfc-2022, one key),
median of `--repeat` runs. Latency: build + sign of one record at a time, p50 over all records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import statistics
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.dataintegrity import sign_batch
from credentials.didkey import did_key, verification_method
from credentials.statuslist import status_entry
from ledger.conversion.model import OutcomeKind
from ledger.records.credential import build_credential

KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"creditbank record bench key - NOT SECRET").digest())
ISSUER = did_key(KEY.public_key())
METHOD = verification_method(KEY.public_key())
BASE = "http://127.0.0.1:8000/api/v1/institutions/58af48d7-3273-479f-8e2c-81a11fc64e00/achievements"
LIST = "http://127.0.0.1:8000/api/v1/status/58af48d7-3273-479f-8e2c-81a11fc64e00/revocation/1"
VALID_FROM = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
COURSES = ["数据结构", "电工技术", "高等数学", "仓储管理", "PLC与电气控制", "English for Work"]


def outcome(kind: OutcomeKind, n: int) -> dict[str, Any]:
    """A stored (wire JSON) outcome of `kind`, values varied by `n`."""
    course = COURSES[n % len(COURSES)]
    match kind:
        case OutcomeKind.COURSE_CREDIT:
            return {"course_code": f"C{n % 90 + 10}", "course_name": course, "credits": ["2", "2.5", "3", "4"][n % 4],
                    "score": str(60 + n % 40), "term": "2024-2025-2"}
        case OutcomeKind.SKILL_LEVEL:
            return {"occupation_code": "6-31-01-03", "occupation_name": "电工", "level": n % 5 + 1,
                    "certificate_no": f"S{n:015d}", "expires_on": "2089-06-30"}
        case OutcomeKind.VOCATIONAL_QUALIFICATION:
            return {"qualification_name": "特种作业操作证（低压电工作业）", "occupation_code": "6-31-01-03",
                    "level": n % 5 + 1, "certificate_no": f"T{n:017d}"}
        case OutcomeKind.TRAINING:
            return {"course_name": f"{course}培训", "hours": str(8 * (n % 8 + 1)), "passed": n % 7 != 0,
                    "score": str(70 + n % 30)}
        case OutcomeKind.COMPETITION_AWARD:
            return {"event_name": "重庆市职工职业技能大赛", "event_id": f"cq-{2020 + n % 5}", "award_scope": "provincial",
                    "award_rank": n % 4 + 1, "organiser_type": "union", "team_role": "member"}
        case OutcomeKind.PRACTICE:
            return {"employer": "国网重庆市电力公司", "post": "配电运维", "attested": True, "hours": "1600",
                    "practice_years": str(n % 5 + 1)}
        case OutcomeKind.ONLINE_COURSE:
            return {"platform": "国家开放大学学习网", "course_name": course, "hours": "32", "attendance": "0.85",
                    "score": str(60 + n % 40), "passed": True, "credits": "2"}
        case OutcomeKind.ENTERPRISE_COURSE:
            return {"course_name": f"{course}（企业内训）", "hours": "16", "passed": True}
        case OutcomeKind.NON_DEGREE_CERT:
            return {"scheme": "NCRE", "scheme_level": ["一级", "二级", "三级", "四级"][n % 4],
                    "certificate_name": "Python 语言程序设计", "certificate_no": f"{n:015d}"}
        case OutcomeKind.DEGREE:
            return {"education_level": "zhuanke", "major_code": "430103", "major_name": "供用电技术",
                    "certificate_no": f"5129612024{n:08d}"}
        case OutcomeKind.ENROLMENT:
            return {"college": "重庆开放大学", "major_code": "080201", "major_name": "机械设计制造及其自动化",
                    "education_level": "benke", "entry_type": "zsb", "enrolled_on": "2024-09-01"}
        case OutcomeKind.HONOUR:
            return {"honour_type": "model_worker", "honour_level": "city", "honour_name": "重庆市劳动模范"}
    raise AssertionError(kind)


def arguments(count: int) -> list[dict[str, Any]]:
    kinds = list(OutcomeKind)
    out = []
    for n in range(count):
        kind = kinds[n % len(kinds)]
        out.append({
            "record_id": uuid.uuid5(uuid.NAMESPACE_URL, f"record/{n}"),
            "account_id": uuid.uuid5(uuid.NAMESPACE_URL, f"account/{n % 97}"),
            "kind": kind,
            "outcome": outcome(kind, n),
            "occurred_on": dt.date(2024, 6, 1) + dt.timedelta(days=n % 300),
            "issuer_did": ISSUER,
            "issuer_name": "重庆电力高等专科学校",
            "issuer_url": "https://cqepc.example/",
            "valid_from": VALID_FROM,
            "status": status_entry(LIST, n, "revocation"),
            "achievement_id_base": BASE,
        })
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    records = arguments(args.records)

    start = time.perf_counter()
    sign_batch([build_credential(**records[0])], KEY, verification_method=METHOD, created=VALID_FROM)
    first_ms = (time.perf_counter() - start) * 1000
    warm = [build_credential(**r) for r in records[: 4 * len(OutcomeKind)]]
    sign_batch(warm, KEY, verification_method=METHOD, created=VALID_FROM)

    rates, build_shares = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        documents = [build_credential(**r) for r in records]
        built = time.perf_counter()
        sign_batch(documents, KEY, verification_method=METHOD, created=VALID_FROM)
        end = time.perf_counter()
        rates.append(len(records) / (end - start))
        build_shares.append((built - start) / (end - start))

    build_us, sign_us, total_us = [], [], []
    for r in records:
        t0 = time.perf_counter()
        document = build_credential(**r)
        t1 = time.perf_counter()
        sign_batch([document], KEY, verification_method=METHOD, created=VALID_FROM)
        t2 = time.perf_counter()
        build_us.append((t1 - t0) * 1e6)
        sign_us.append((t2 - t1) * 1e6)
        total_us.append((t2 - t0) * 1e6)

    print(json.dumps({
        "bench": "records",
        "records": len(records),
        "kinds": len(OutcomeKind),
        "records_per_s": round(statistics.median(rates)),
        "records_per_s_runs": [round(r) for r in rates],
        "build_share_of_time": round(statistics.median(build_shares), 3),
        "p50_us_per_record": round(statistics.median(total_us), 1),
        "build_p50_us": round(statistics.median(build_us), 1),
        "sign_p50_us": round(statistics.median(sign_us), 1),
        "first_record_ms": round(first_ms, 1),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
