"""Demo subsidy data: Liaocheng 2022 workers with 2022 enrolments, claims at every stage (ledger/demo.py calls this)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from sqlalchemy.orm import Session

from ledger import accounts
from ledger.keyring import Keyring
from ledger.national_id import check_character
from ledger.principal import SYSTEM, Principal
from ledger.roles import Role
from ledger.subsidies import service

POLICY = "liaocheng-2022"
NAMES = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周强", "吴敏", "欧阳明", "孙丽娟"]
DISTRICTS = ["371502", "371502", "371503", "371581", "371500-gaoxin", "371502"]
REVIEWERS = {"county": Principal(kind="system", id=uuid.UUID(int=8), name="demo county union", roles=(Role.UNION,)),
             "city": Principal(kind="system", id=uuid.UUID(int=9), name="demo city union", roles=(Role.UNION,))}


def name_of(k: int) -> str:
    return NAMES[k % len(NAMES)]


def load_demo_subsidies(session: Session, keyring: Keyring, bank_did: str, public_url: str, college: Any) -> None:
    """Open 12 Liaocheng workers, post their 2022 enrolments from `college`, claim, review, pay some."""
    from ledger.records import service as records

    rng = random.Random(2022)
    as_college = Principal(kind="system", id=uuid.UUID(int=0), name=f"demo {college.name}",
                           roles=(Role.INSTITUTION,), institution_id=college.id, organisation=college.name)
    service.set_reviewer(session, REVIEWERS["city"].actor_ref, "city", "371500")
    people = []
    for i, name in enumerate(NAMES):
        first17 = f"371502{1975 + rng.randrange(25)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{500 + i:03d}"
        opened = accounts.open_account(session, keyring, SYSTEM, bank_did, national_id_number=first17
                                       + check_character(first17), name=name, phone=None)
        enrolled = dt.date(2022, 3, 1) if i % 2 else dt.date(2022, 9, 1)
        people.append((opened.account, enrolled, DISTRICTS[i % len(DISTRICTS)]))
    items = [records.PostItem({"account": acc.id, "kind": "enrolment", "external_ref": f"DEMO-LC-{k:03d}",
                               "occurred_on": enrolled, "outcome": {
                                   "college": college.name, "major_code": "530802", "major_name": "物流管理",
                                   "education_level": "zhuanke" if k % 3 else "benke",
                                   "entry_type": "gqz" if k % 3 else "zsb", "enrolled_on": enrolled.isoformat()}})
             for k, (acc, enrolled, _) in enumerate(people)]
    results = records.post_records(session, keyring, as_college, items, partial=False, public_url=public_url,
                                   bank_did=bank_did)
    assert all(r.ok for r in results), [r.problems for r in results if not r.ok]
    decl = {"union_member": True, "post": "frontline", "contract_start": "2018-07-01", "civil_servant": False}
    for k, (acc, enrolled, district) in enumerate(people):
        service.set_reviewer(session, f"system:{uuid.UUID(int=100 + k)}", "county", district)
        when = dt.datetime.combine(enrolled, dt.time(9, k), tzinfo=dt.UTC) + dt.timedelta(days=10)
        claim = service.submit_claim(session, keyring, SYSTEM, bank_did, policy_id=POLICY, account_id=acc.id,
                                     district=district, declarations=decl, now=when)
        for kind in service.get_policy(POLICY).attachments:  # the evidence the policy asks for (demo files)
            service.store_attachment(session, keyring, claim, kind=kind, filename=f"{kind}.txt",
                                     media_type="text/plain", content=f"演示材料 {kind} {name_of(k)}".encode())
        county = Principal(kind="system", id=uuid.UUID(int=100 + k), name="demo county union", roles=(Role.UNION,))
        if k % 4 == 3:
            continue  # left waiting at county level
        if k % 6 == 5:
            service.decide(session, county, bank_did, claim.id, decision="return", reason="申请表未盖章（演示）", now=when)
            continue
        service.decide(session, county, bank_did, claim.id, decision="approve", now=when + dt.timedelta(days=3))
        if k % 4 == 2:
            continue  # waiting at city level
        service.decide(session, REVIEWERS["city"], bank_did, claim.id, decision="approve",
                       now=when + dt.timedelta(days=7))
        service.record_payment(session, REVIEWERS["city"], bank_did, claim.id, funder_id="shandong-fts", status="paid")
        if k % 2:
            service.record_payment(session, REVIEWERS["city"], bank_did, claim.id, funder_id="liaocheng-fts",
                                   status="failed", reference="账户已注销（演示）")
