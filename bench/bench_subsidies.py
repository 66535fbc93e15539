"""Eligibility screening benchmark: 10,000 claims screened against the ledger (target ≤ 10 s). Prints one JSON line.

    .venv/bin/python bench/bench_subsidies.py [--claims 10000] [--database-url URL]

A fresh SQLite instance in a temporary directory (or the PostgreSQL database given, which must be empty):
migrated, one college, one real enrolment record posted through the service as a template; then
`--claims` accounts (national ID and name sealed with the keyring, as the service does) and one 2022
enrolment record each, written directly (clones of the template with their own ids and entry indexes).
Measured: `ledger.subsidies.service.screen` over every applicant with varied declarations — loading the
enrolment records (one query per 500 accounts), opening each sealed national ID for the birth date and
running every named rule of the Liaocheng 2022 policy. Accounts are loaded before the timer starts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=10_000)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_subsidies_"))
    os.environ["CREDITBANK_INSTANCE_PATH"] = str(tmp)
    import sqlalchemy as sa

    from api.context import bank_did, keyring
    from api.extensions import alembic, db
    from app import create_app
    from ledger import accounts, institutions
    from ledger.accounts import Account
    from ledger.national_id import check_character
    from ledger.principal import SYSTEM, Principal
    from ledger.records import service as records
    from ledger.records.models import LearningRecord
    from ledger.roles import Role
    from ledger.subsidies import service
    from ledger.subsidies.policies import get_policy

    overrides: dict[str, object] = {"CHECKPOINT_THREAD": False}
    if args.database_url:
        overrides["SQLALCHEMY_DATABASE_URI"] = args.database_url
    app = create_app(overrides)
    with app.app_context():
        alembic.upgrade()
        kr = keyring()
        inst = institutions.register_institution(db.session, kr, SYSTEM, bank_did(), kind="college",
                                                 name="聊城开放大学", region_code="371500", authorised_kinds=["enrolment"])
        first17 = "37150219850315071"
        tpl_acc = accounts.open_account(db.session, kr, SYSTEM, bank_did(), national_id_number=first17
                                        + check_character(first17), name="王小明", phone=None).account
        actor = Principal(kind="system", id=uuid.UUID(int=0), name="bench", roles=(Role.INSTITUTION,),
                          institution_id=inst.id)
        item = {"account": tpl_acc.id, "kind": "enrolment", "external_ref": "template",
                "occurred_on": dt.date(2022, 3, 1),
                "outcome": {"college": "聊城开放大学", "major_code": "530802", "major_name": "物流管理",
                            "education_level": "zhuanke", "entry_type": "gqz", "enrolled_on": "2022-03-01"}}
        [res] = records.post_records(db.session, kr, actor, [records.PostItem(item)], partial=False,
                                     public_url="http://127.0.0.1:8000", bank_did=bank_did())
        assert res.ok
        db.session.commit()
        tpl = db.session.scalars(sa.select(LearningRecord)).one()
        cols = {c.key: getattr(tpl, c.key) for c in sa.inspect(LearningRecord).mapper.column_attrs}
        base_index = 10_000_000
        t0 = time.perf_counter()
        acc_rows, rec_rows = [], []
        for i in range(args.claims):
            aid = uuid.uuid4()
            born = dt.date(1970, 1, 1) + dt.timedelta(days=(i * 37) % 13000)
            f17 = f"371502{born:%Y%m%d}{i % 1000:03d}"
            a = Account(id=aid, card_number=f"9{i:015d}", status="active", opened_by="bench")
            a.sealed_national_id = kr.seal((f17 + check_character(f17)).encode(), context=a.context("national_id"))
            a.sealed_name = kr.seal("张三".encode(), context=a.context("name"))
            acc_rows.append(a)
            enrolled = dt.date(2022 if i % 10 else 2021, 1 + i % 12, 1)
            rec_rows.append({**cols, "id": uuid.uuid4(), "account_id": aid, "external_ref": f"b{i}",
                             "entry_index": base_index + i, "revocation_list_id": None, "revocation_index": None,
                             "suspension_list_id": None, "suspension_index": None,
                             "outcome": {**tpl.outcome, "enrolled_on": enrolled.isoformat()},
                             "occurred_on": enrolled})
        db.session.add_all(acc_rows)
        db.session.flush()
        db.session.execute(sa.insert(LearningRecord), rec_rows)
        db.session.commit()
        fill = time.perf_counter() - t0
        policy = get_policy("liaocheng-2022")
        posts = ["frontline", "team_leader", "workshop_director", "above_workshop_director"]
        applicants = [(a, {"union_member": i % 17 != 0, "post": posts[i % 4],
                           "contract_start": (dt.date(2021, 2, 1) + dt.timedelta(days=i % 60)).isoformat(),
                           "civil_servant": i % 50 == 0}) for i, a in enumerate(acc_rows)]
        t1 = time.perf_counter()
        screened = service.screen(db.session, kr, policy, applicants)
        elapsed = time.perf_counter() - t1
        eligible = sum(1 for s in screened if not s.failures)
        print(json.dumps({"bench": "subsidy_screen", "claims": args.claims, "eligible": eligible,
                          "seconds": round(elapsed, 3), "per_claim_us": round(elapsed / args.claims * 1e6, 1),
                          "fill_seconds": round(fill, 1), "database": db.engine.dialect.name,
                          "python": platform.python_version(), "target_seconds": 10}))


if __name__ == "__main__":
    main()
