"""Subsidy claims against the ledger on both databases: eligibility from records, once per level, review
level by level, first come first served places, payments, notice; and a concurrent burst on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from api.context import bank_did
from ledger.documents import documents_for
from ledger.errors import Conflict, Forbidden, Invalid
from ledger.principal import Principal
from ledger.roles import Role
from ledger.subsidies import service
from ledger.subsidies.models import SubsidyClaim, SubsidyQuota
from ledger.subsidies.policies import get_policy
from tests.db.test_log_concurrency import fresh_url  # noqa: F401  (fixture)
from tests.factories import account, institution, institution_client, national_id_for, posted_record

POLICY = "liaocheng-2022"
WHEN = dt.datetime(2022, 3, 10, 9, 0, tzinfo=dt.UTC)
GOOD = {"union_member": True, "post": "frontline", "contract_start": "2020-01-01", "civil_servant": False}


def union(level: str, region: str) -> Principal:
    p = Principal(kind="client", id=uuid.uuid4(), name=f"{level}-{region}", roles=(Role.UNION,))
    service.set_reviewer(_session(), p.actor_ref, level, region)
    _session().commit()
    return p


def _session() -> Session:
    from api.extensions import db
    return db.session


def learner(acc: Any) -> Principal:
    return Principal(kind="client", id=uuid.uuid4(), name="learner", roles=(Role.LEARNER,), account_id=acc.id)


def claimant(client: Any, token: str, n: int, *, born: str = "19880512", enrolled: str = "2022-03-01",
             level: str = "zhuanke", name: str = "王小明") -> Any:
    acc = account(national_id_for(n, "371502", born), name=name)
    posted_record(client, token, acc.id, "enrolment", occurred_on=enrolled,
                  outcome={"college": "聊城开放大学", "major_code": "530802", "major_name": "物流管理",
                           "education_level": level, "entry_type": "gqz", "enrolled_on": enrolled})
    return acc


@pytest.fixture
def college(client: Any) -> str:
    inst = institution("college", name="聊城开放大学", authorised_kinds=["enrolment"])
    return institution_client(inst.id)


def attach_required(claim: SubsidyClaim) -> None:
    """Attach one small file of each kind the claim's policy requires (through the claimant's own upload)."""
    acc_actor = Principal(kind="client", id=uuid.uuid4(), name="learner", roles=(Role.LEARNER,),
                          account_id=claim.account_id)
    for kind in service.missing_attachments(_session(), claim):
        service.add_attachment(_session(), current_app.extensions["creditbank.keyring"], acc_actor, claim.id,
                               kind=kind, filename=f"{kind}.pdf", media_type="application/pdf",
                               content=f"%PDF {kind}".encode())
    _session().commit()


def submit(acc: Any, district: str = "371502", when: dt.datetime = WHEN, *, evidence: bool = True,
           **decl: Any) -> SubsidyClaim:
    claim = service.submit_claim(_session(), current_app.extensions["creditbank.keyring"], learner(acc), bank_did(),
                                 policy_id=POLICY, account_id=acc.id, district=district,
                                 declarations={**GOOD, **decl}, now=when)
    _session().commit()
    if evidence:
        attach_required(claim)
    return claim


def test_an_eligible_claim_is_stored_with_its_amounts_and_logged_and_only_once(client: Any, college: str) -> None:
    acc = claimant(client, college, 1)
    claim = submit(acc)
    assert claim.status == "submitted" and claim.batch_id == "2022-1" and claim.education_level == "zhuanke"
    assert claim.amounts == {"shandong-fts": "1000.00", "liaocheng-fts": "1000.00"} and claim.total == Decimal("2000")
    [doc] = documents_for(_session(), f"urn:uuid:{claim.id}")
    assert doc.kind == "subsidy-claim" and doc.document["policy_hash"] == get_policy(POLICY).content_hash
    with pytest.raises(Conflict) as exc:
        submit(acc, when=WHEN + dt.timedelta(days=1))
    assert exc.value.code == "already-claimed"


def test_a_second_level_is_a_new_claim(client: Any, college: str) -> None:
    acc = claimant(client, college, 2)
    submit(acc)
    posted_record(client, college, acc.id, "enrolment", occurred_on="2022-09-01",
                  outcome={"college": "聊城大学", "major_code": "080201", "major_name": "机械设计制造及其自动化",
                           "education_level": "benke", "entry_type": "zsb", "enrolled_on": "2022-09-01"})
    assert submit(acc, when=WHEN + dt.timedelta(days=200)).education_level == "benke"


@pytest.mark.parametrize(("born", "ok"), [("20040301", True), ("20040302", False)])
def test_eighteen_on_the_enrolment_date(client: Any, college: str, born: str, ok: bool) -> None:
    acc = claimant(client, college, 3, born=born)
    if ok:
        submit(acc)
        return
    with pytest.raises(Invalid) as exc:
        submit(acc)
    assert [f.field for f in exc.value.fields] == ["rules.adult_on_enrolment"]
    assert "18" in exc.value.fields[0].message_zh
    assert _session().scalar(sa.select(sa.func.count()).select_from(SubsidyClaim)) == 0


def test_refusal_names_every_failed_rule_and_stores_nothing(client: Any, college: str) -> None:
    acc = claimant(client, college, 4, enrolled="2021-09-01")
    with pytest.raises(Invalid) as exc:
        submit(acc, union_member=False, post="above_workshop_director", contract_start="2021-02-23",
               civil_servant=True)
    assert {f.field for f in exc.value.fields} == {
        "rules.union_member", "rules.frontline_post", "rules.contract_one_year", "rules.new_enrolment_in_year",
        "rules.not_civil_servant"}
    assert exc.value.code == "not-eligible"
    assert _session().scalar(sa.select(sa.func.count()).select_from(SubsidyClaim)) == 0


def test_review_level_by_level_then_payment_per_funder(client: Any, college: str) -> None:
    acc = claimant(client, college, 5)
    claim = submit(acc)
    county, city, other = union("county", "371502"), union("city", "371500"), union("county", "371503")
    with pytest.raises(Forbidden):
        service.decide(_session(), city, bank_did(), claim.id, decision="approve")  # county first
    _session().rollback()
    with pytest.raises(Forbidden):
        service.decide(_session(), other, bank_did(), claim.id, decision="approve")  # another district
    _session().rollback()
    with pytest.raises(Invalid):
        service.decide(_session(), county, bank_did(), claim.id, decision="reject")  # no reason
    service.decide(_session(), county, bank_did(), claim.id, decision="approve")
    assert claim.status == "submitted" and claim.level_index == 1
    service.decide(_session(), city, bank_did(), claim.id, decision="approve", now=WHEN + dt.timedelta(hours=30))
    _session().commit()
    assert claim.status == "approved"
    quota = _session().scalars(sa.select(SubsidyQuota).where(SubsidyQuota.district == "371502")).one()
    assert quota.used == 1
    kinds = [d.kind for d in documents_for(_session(), f"urn:uuid:{claim.id}")]
    assert kinds == ["subsidy-claim", "subsidy-decision", "subsidy-decision"]
    assert service.payment_status(_session(), claim) == {"shandong-fts": "pending", "liaocheng-fts": "pending"}
    service.record_payment(_session(), city, bank_did(), claim.id, funder_id="shandong-fts", status="paid")
    service.record_payment(_session(), city, bank_did(), claim.id, funder_id="liaocheng-fts", status="failed")
    with pytest.raises(Conflict):
        service.record_payment(_session(), city, bank_did(), claim.id, funder_id="shandong-fts", status="paid")
    service.record_payment(_session(), city, bank_did(), claim.id, funder_id="liaocheng-fts", status="reissued")
    assert service.payment_status(_session(), claim) == {"shandong-fts": "paid", "liaocheng-fts": "reissued"}
    [row] = service.notice(_session(), current_app.extensions["creditbank.keyring"], POLICY)
    assert row["name"] == "王*明" and row["national_id"].startswith("3715") and "*" * 10 in row["national_id"]
    rep = {r["district"]: r for r in service.report(_session(), POLICY)}
    assert rep["371502"]["used"] == 1 and rep["371502"]["amounts"] == {"shandong-fts": "1000.00",
                                                                         "liaocheng-fts": "1000.00"}
    assert rep["371502"]["mean_processing_hours"] == 30.0


def test_a_returned_claim_keeps_its_place_and_returns_to_the_first_level(client: Any, college: str) -> None:
    acc = claimant(client, college, 6)
    claim = submit(acc)
    county = union("county", "371502")
    service.decide(_session(), county, bank_did(), claim.id, decision="return", reason="申请表未盖章")
    assert claim.status == "returned"
    service.resubmit(_session(), learner(acc), bank_did(), claim.id, {"post": "team_leader"})
    assert claim.status == "submitted" and claim.submitted_at == WHEN and claim.declarations["post"] == "team_leader"


def test_places_go_by_submission_time_never_to_a_later_claim(client: Any, college: str) -> None:
    """高新区 has 5 places; 7 claims; reviewers approve out of order."""
    district = "371500-gaoxin"
    claims = [submit(claimant(client, college, 10 + i), district, WHEN + dt.timedelta(minutes=i)) for i in range(7)]
    county, city = union("county", district), union("city", "371500")
    for c in claims:
        service.decide(_session(), county, bank_did(), c.id, decision="approve")
    _session().commit()

    def final(c: SubsidyClaim) -> None:
        service.decide(_session(), city, bank_did(), c.id, decision="approve")
        _session().commit()

    with pytest.raises(Conflict) as exc:
        final(claims[6])  # five earlier claims wait: the last has no place yet
    assert exc.value.code == "quota-full"
    _session().rollback()
    for c in reversed(claims[:4]):
        final(c)
    with pytest.raises(Conflict):
        final(claims[5])  # claim 4 (earlier) still holds the fifth place
    _session().rollback()
    service.decide(_session(), city, bank_did(), claims[4].id, decision="reject", reason="非一线岗位")
    _session().commit()
    final(claims[5])  # the place of a rejected claim goes to the next in submission order
    with pytest.raises(Conflict):
        final(claims[6])
    _session().rollback()
    assert _session().scalars(sa.select(SubsidyQuota.used).where(SubsidyQuota.district == district)).one() == 5


def test_concurrent_final_approvals_never_exceed_the_quota(backend: str, fresh_url: str, tmp_path: Path) -> None:  # noqa: F811
    """12 claims in 高新区 (5 places), all approved at county level; 6 threads race the final approvals."""
    if backend != "postgresql":
        pytest.skip("the row-lock race is a PostgreSQL matter (SQLite serialises writers with BEGIN IMMEDIATE)")
    from api.extensions import db
    from tests.conftest import make_app

    app = make_app(fresh_url, tmp_path / "inst")
    district = "371500-gaoxin"
    with app.app_context():
        token = institution_client(institution("college", authorised_kinds=["enrolment"]).id)
        http = app.test_client()
        ids = []
        for i in range(12):
            acc = claimant(http, token, 100 + i)
            ids.append(submit(acc, district, WHEN + dt.timedelta(seconds=i)).id)
        county, city = union("county", district), union("city", "371500")
        for cid in ids:
            service.decide(db.session, county, bank_did(), cid, decision="approve")
        db.session.commit()
        did = bank_did()
        engine = db.engine
        outcomes: dict[uuid.UUID, str] = {}
        lock = threading.Lock()
        barrier = threading.Barrier(6)

        def worker(mine: list[uuid.UUID]) -> None:
            barrier.wait()
            for cid in mine:
                with Session(engine) as s:
                    try:
                        service.decide(s, city, did, cid, decision="approve")
                        s.commit()
                        result = "approved"
                    except Conflict as exc:
                        s.rollback()
                        result = exc.code
                with lock:
                    outcomes[cid] = result

        # Each thread works from the back of the queue forwards, so later claims are tried first.
        threads = [threading.Thread(target=worker, args=(list(reversed(ids[k::6])),)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        used = db.session.scalars(sa.select(SubsidyQuota.used).where(SubsidyQuota.district == district)).one()
        approved = {c.id for c in db.session.scalars(sa.select(SubsidyClaim).where(SubsidyClaim.status == "approved"))}
        assert used == len(approved) <= 5
        assert approved <= set(ids[:5]), "a later claim took a place of an earlier one"
        # Retry whatever was refused because an earlier claim was not yet decided: the first five get places.
        for cid in ids:
            if outcomes[cid] != "approved":
                try:
                    service.decide(db.session, city, did, cid, decision="approve")
                    db.session.commit()
                except Conflict:
                    db.session.rollback()
        approved = {c.id for c in db.session.scalars(sa.select(SubsidyClaim).where(SubsidyClaim.status == "approved"))}
        assert approved == set(ids[:5])
        db.session.close()
        db.engine.dispose()


def test_the_final_approval_needs_every_required_attachment(client: Any, college: str) -> None:
    acc = claimant(client, college, 40)
    claim = submit(acc, evidence=False)
    assert service.missing_attachments(_session(), claim) == ["application_form", "enrolment_report", "id_card",
                                                               "bank_account"]
    county, city = union("county", "371502"), union("city", "371500")
    service.decide(_session(), county, bank_did(), claim.id, decision="approve")  # not final: allowed
    _session().commit()
    keys = current_app.extensions["creditbank.keyring"]
    service.add_attachment(_session(), keys, learner(acc), claim.id, kind="id_card", filename="id.jpg",
                           media_type="image/jpeg", content=b"\xff\xd8jpeg")
    _session().commit()
    with pytest.raises(Conflict) as exc:
        service.decide(_session(), city, bank_did(), claim.id, decision="approve")
    assert exc.value.code == "attachments-missing"
    assert "application_form" in exc.value.message_en and "bank_account" in exc.value.message_zh
    assert "id_card" not in exc.value.message_en
    _session().rollback()
    assert _session().get(SubsidyClaim, claim.id).status == "submitted"
    assert _session().scalars(sa.select(SubsidyQuota.used).where(SubsidyQuota.district == "371502")).one() == 0
    attach_required(claim)
    assert service.missing_attachments(_session(), claim) == []
    assert service.decide(_session(), city, bank_did(), claim.id, decision="approve").status == "approved"


def test_demo_data_has_claims_at_every_stage(client: Any) -> None:
    from ledger import demo

    demo.load_demo_data(_session(), current_app.extensions["creditbank.keyring"], bank_did(), "http://127.0.0.1:8000")
    _session().commit()
    statuses = {c.status for c in _session().scalars(sa.select(SubsidyClaim))}
    assert statuses == {"submitted", "returned", "approved"}
    rows = service.notice(_session(), current_app.extensions["creditbank.keyring"], POLICY)
    assert rows and all("*" in r["name"] for r in rows)


def test_the_honour_tier_comes_from_the_ledger_not_the_applicant(client: Any, college: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A Xi'an-style share of tuition by honour: 100% for a city model worker proven by an honour record."""
    import json

    from ledger.subsidies import policies

    doc = json.loads((policies.DATA / "liaocheng-2022.json").read_text())
    doc.update(id="xian-test", funders=[{"id": "xian", "name_zh": "西安市总工会", "level": "city",
                                         "region_code": "610100", "amount": {"kind": "tuition_share", "by_honour": {
                                             "city_model_worker": "1.00", "district_model_worker": "0.90",
                                             "default": "0.70"}}}])
    monkeypatch.setitem(policies.load_all(), "xian-test", policies.parse(json.dumps(doc).encode()))
    union_inst = institution("competition_organiser", authorised_kinds=["honour"])
    honoured, plain = claimant(client, college, 40), claimant(client, college, 41)
    posted_record(client, institution_client(union_inst.id), honoured.id, "honour", occurred_on="2020-04-28",
                  outcome={"honour_type": "model_worker", "honour_level": "city", "honour_name": "西安市劳动模范",
                           "awarded_by": "西安市人民政府"})

    def claim(acc: Any) -> SubsidyClaim:
        c = service.submit_claim(_session(), current_app.extensions["creditbank.keyring"], learner(acc), bank_did(),
                                 policy_id="xian-test", account_id=acc.id, district="371502",
                                 declarations={**GOOD, "tuition": Decimal("8000.00"), "honour": "city_model_worker"},
                                 now=WHEN)
        _session().commit()
        return c

    assert claim(honoured).amounts == {"xian": "8000.00"}
    mine = claim(plain)  # claims an honour it does not have: the ledger says otherwise
    assert mine.amounts == {"xian": "5600.00"} and mine.declarations["honour"] is None


def test_district_reviewers_see_only_their_district(client: Any, college: str) -> None:
    from ledger.errors import NotFound

    claim = submit(claimant(client, college, 41), district="371502")
    for level in ("enterprise", "county"):
        own, other = union(level, "371502"), union(level, "371521")
        assert service.get_claim_for(_session(), own, claim.id).id == claim.id
        with pytest.raises(NotFound):
            service.get_claim_for(_session(), other, claim.id)
        assert claim.id not in {c.id for c in service.list_claims(_session(), other)}
    assert service.get_claim_for(_session(), union("city", "371500"), claim.id).id == claim.id
