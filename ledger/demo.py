"""Demo data for `make run`: institutions, learners and their records, and one API key per role.

Made on first start only (a second start finds the data by its references and leaves it alone); keys are
made fresh whenever the saved ones no longer work, never committed. The institutions, names, programmes
and outcomes come from `ledger/records/data/demo.json`; learners and their records are generated from a
fixed seed, so every fresh instance holds the same kind of data (ids and keys differ).

`instance/demo-keys.json` (DESIGN.md §7): `keys` per role, the institution key bound to 重庆开放大学, the
issuer of `ids.record`; the learner key bound to `ids.account`, who holds `ids.record` and
`ids.revoked_record` among their records.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections import defaultdict
from functools import cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import accounts, clients
from ledger.errors import Unauthenticated
from ledger.institutions import Institution, register_institution
from ledger.keyring import Keyring
from ledger.national_id import check_character
from ledger.principal import SYSTEM, Principal
from ledger.records import service
from ledger.records.models import LearningRecord
from ledger.roles import Role
from ledger.subsidies import demo as subsidy_demo

DEMO_PREFIX = "demo:"
LEARNERS = 300
SEED = 20240901
EXAMPLE_REF = "DEMO-CQOU-0001"
REVOKED_REF = "DEMO-CQOU-REVOKED-0001"
_AUTHORISED_FROM = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)


@cache
def demo_data() -> dict[str, Any]:
    """The demo's institutions, names, programmes and outcomes (data, not code)."""
    raw = resources.files("ledger.records").joinpath("data/demo.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


# --------------------------------------------------------------------------- keys


def keys_still_valid(session: Session, keys: dict[str, str]) -> bool:
    """True if every saved demo key still authenticates with its role."""
    try:
        return all(Role(role) in clients.authenticate(session, token).roles for role, token in keys.items())
    except (Unauthenticated, ValueError):
        return False


def make_demo_keys(session: Session, bindings: dict[str, dict[str, Any]] | None = None) -> dict[str, str]:
    """One fresh key per role for the demo clients (creating the clients on first use), bound as given."""
    keys: dict[str, str] = {}
    for role in Role:
        name = f"{DEMO_PREFIX}{role.value}"
        bound = (bindings or {}).get(role.value, {})
        existing = session.scalar(sa.select(clients.ApiClient).where(clients.ApiClient.name == name))
        if existing is None:
            issued = clients.create_client(session, SYSTEM, name=name, roles=[role.value], **bound)
        else:
            for attr, value in bound.items():
                setattr(existing, attr, value)
            issued = clients.rotate_key(session, SYSTEM, existing.id)
        keys[role.value] = issued.token
    _demo_union_reviews(session)
    return keys


def _demo_union_reviews(session: Session) -> None:
    """The demo union key and login review the demo subsidy claims as the Liaocheng city union (市总工会)."""
    from ledger import people
    from ledger.subsidies import service as subsidies

    client = session.scalar(sa.select(clients.ApiClient).where(clients.ApiClient.name == f"{DEMO_PREFIX}union"))
    if client is not None:
        subsidies.set_reviewer(session, f"client:{client.id}", "city", "371500")
    user = session.scalar(sa.select(people.User).where(people.User.username == "demo-union"))
    if user is not None:
        subsidies.set_reviewer(session, user.principal().actor_ref, "city", "371500")


def demo_document(keys: dict[str, str], ids: dict[str, Any],
                  logins: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The shape of instance/demo-keys.json (DESIGN.md §7), with the web logins per role when made."""
    doc: dict[str, Any] = {"keys": keys, "ids": ids}
    if logins is not None:
        doc["logins"] = logins
    return doc


def make_demo_logins(session: Session, hasher: Any, ids: dict[str, str]) -> dict[str, dict[str, str]]:
    """One web login per role (username demo-<role>) with a fresh random password, bound like the demo keys."""
    import secrets

    from ledger import people

    bindings = key_bindings(session, ids)
    logins: dict[str, dict[str, str]] = {}
    for role in Role:
        username = f"demo-{role.value}"
        bound = bindings.get(role.value, {})
        password = secrets.token_urlsafe(12)
        user = session.scalar(sa.select(people.User).where(people.User.username == username))
        if user is None:
            user = people.create_user(
                session, SYSTEM, hasher, username=username, display_name=_LOGIN_NAMES[role], roles=[role.value],
                password=password, institution_id=bound.get("institution_id"), account_id=bound.get("account_id"),
                organisation=bound.get("organisation"))
        else:
            user.password_hash = hasher.hash(password)
            user.failed_logins = 0
            user.locked_until = None
            for attr, value in bound.items():
                setattr(user, attr, value)
        logins[role.value] = {"username": username, "password": password}
    session.flush()
    _demo_union_reviews(session)
    return logins


def logins_still_valid(session: Session, hasher: Any, logins: Any) -> bool:
    """True if every saved demo login still opens with its saved password."""
    from ledger import people

    if not isinstance(logins, dict) or set(logins) != {r.value for r in Role}:
        return False
    for entry in logins.values():
        user = session.scalar(sa.select(people.User).where(people.User.username == entry.get("username")))
        if user is None or not user.password_hash:
            return False
        try:
            hasher.verify(user.password_hash, entry.get("password", ""))
        except Exception:  # noqa: BLE001 — any mismatch means "make new ones"
            return False
    return True


_LOGIN_NAMES = {Role.OPERATOR: "演示运营员", Role.INSTITUTION: "演示院校教务", Role.LEARNER: "演示学员",
                Role.VERIFIER: "演示用人单位", Role.UNION: "演示工会审核员"}


def key_bindings(session: Session, ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Which institution and account the demo's institution and learner keys act for."""
    record = session.get(LearningRecord, uuid.UUID(ids["record"][9:]))
    assert record is not None
    inst = session.get(Institution, record.institution_id)
    assert inst is not None
    return {"institution": {"institution_id": inst.id, "organisation": inst.name},
            "learner": {"account_id": uuid.UUID(ids["account"][9:])},
            "union": {"organisation": "重庆市总工会"},
            "verifier": {"organisation": "国网重庆市电力公司人力资源部"}}


# --------------------------------------------------------------------------- data


def demo_ids(session: Session) -> dict[str, str] | None:
    """The example ids of loaded demo data, or None if none is loaded."""
    rows = {r.external_ref: r for r in session.scalars(
        sa.select(LearningRecord).where(LearningRecord.external_ref.in_([EXAMPLE_REF, REVOKED_REF])))}
    if EXAMPLE_REF not in rows or REVOKED_REF not in rows:
        return None
    record = rows[EXAMPLE_REF]
    account = accounts.get_account(session, record.account_id)
    return {"account": account.ref, "record": record.ref, "revoked_record": rows[REVOKED_REF].ref,
            "institution": f"urn:uuid:{record.institution_id}"}


def _as(inst: Institution) -> Principal:
    return Principal(kind="system", id=uuid.UUID(int=0), name=f"demo {inst.name}", roles=(Role.INSTITUTION,),
                     institution_id=inst.id, organisation=inst.name)


def _national_id(rng: random.Random, districts: list[str]) -> str:
    born = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(30 * 365))
    first17 = f"{rng.choice(districts)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + check_character(first17)


def _name(rng: random.Random, data: dict[str, Any]) -> str:
    given = "".join(rng.choice(data["given"]) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(data["surnames"]) + given


def _day(rng: random.Random, start: dt.date, days: int) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(days))


class _Records:
    """Records to post, grouped by institution."""

    def __init__(self) -> None:
        self.by_institution: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.count = 0

    def add(self, inst: str, account: uuid.UUID, kind: str, occurred_on: dt.date, outcome: dict[str, Any],
            ref: str | None = None) -> None:
        self.count += 1
        self.by_institution[inst].append({
            "account": account, "kind": kind, "external_ref": ref or f"DEMO-{inst}-{self.count:05d}",
            "occurred_on": occurred_on, "outcome": outcome})


def _learner_records(rng: random.Random, data: dict[str, Any], n: int, account: uuid.UUID, home: str,
                     out: _Records) -> None:
    """A plausible learning history for one worker: enrolment, courses, and some non-degree outcomes."""
    programme = rng.choice(data["programmes"][home])
    college_name = "重庆开放大学" if home == "open_university" else "重庆电力高等专科学校"
    enrolled = _day(rng, dt.date(2019, 3, 1), 5 * 365)
    out.add(home, account, "enrolment", enrolled, {
        "college": college_name, "college_code": programme["college_code"], "major_code": programme["major_code"],
        "major_name": programme["major_name"], "education_level": programme["education_level"],
        "entry_type": programme["entry_type"], "enrolled_on": enrolled.isoformat(),
        "study_mode": programme["study_mode"], "student_no": f"{enrolled.year % 100}{n:09d}"})
    for i, (code, name, credits) in enumerate(rng.sample(programme["courses"], rng.randint(2, 4))):
        ref = EXAMPLE_REF if n == 0 and i == 0 else None
        score = rng.randint(62, 98)
        out.add(home, account, "course_credit", _day(rng, enrolled + dt.timedelta(days=120), 600), {
            "course_code": code, "course_name": name, "credits": credits, "score": str(score),
            "term": f"{enrolled.year}-{enrolled.year + 1}-{rng.randint(1, 2)}"}, ref)
    if n == 0:
        out.add(home, account, "course_credit", enrolled + dt.timedelta(days=200), {
            "course_code": "GG120", "course_name": "计算机应用基础", "credits": "2", "score": "58"}, REVOKED_REF)
    if rng.random() < 0.2:
        name, code, hours = rng.choice(data["online_courses"])
        out.add("open_university", account, "online_course", _day(rng, dt.date(2021, 1, 1), 1200), {
            "platform": "国家开放大学学习网", "course_name": name, "course_code": code, "hours": hours,
            "attendance": rng.choice(["0.85", "0.9", "0.95", "1"]), "score": str(rng.randint(70, 96)), "passed": True,
            "credits": "2"})
    if rng.random() < 0.12:
        if rng.random() < 0.5:
            outcome = {"scheme": "NCRE", "scheme_level": rng.choice(["一级", "二级"]),
                       "certificate_name": "计算机基础及MS Office应用", "certificate_no": f"{rng.randrange(10**14):015d}"}
        else:
            outcome = {"scheme": "1+X", "scheme_level": rng.choice(["初级", "中级"]),
                       "certificate_name": "智能配电集成与运维", "certificate_no": f"1X{rng.randrange(10**12):012d}"}
        out.add("appraisal_centre", account, "non_degree_cert", _day(rng, dt.date(2020, 6, 1), 1400), outcome)
    if rng.random() < 0.6:
        code, occupation = rng.choice(data["occupations"])
        occurred = _day(rng, dt.date(2016, 1, 1), 8 * 365)
        out.add("appraisal_centre", account, "skill_level", occurred, {
            "occupation_code": code, "occupation_name": occupation, "level": rng.choice([5, 4, 4, 3, 3, 2]),
            "scheme": "职业技能等级", "certificate_no": f"S{rng.randrange(10**15):015d}"})
    if rng.random() < 0.1:
        out.add("appraisal_centre", account, "vocational_qualification", _day(rng, dt.date(2015, 1, 1), 9 * 365), {
            "qualification_name": rng.choice(data["qualifications"]), "occupation_code": "6-31-01-03",
            "certificate_no": f"T{rng.randrange(10**17):017d}",
            "expires_on": _day(rng, dt.date(2026, 1, 1), 6 * 365).isoformat()})
    if rng.random() < 0.3:
        name, hours = rng.choice(data["trainings"])
        start = _day(rng, dt.date(2021, 1, 1), 1300)
        out.add("enterprise", account, "training", start + dt.timedelta(days=14), {
            "course_name": name, "hours": hours, "passed": rng.random() < 0.9, "score": str(rng.randint(60, 95)),
            "started_on": start.isoformat(), "ended_on": (start + dt.timedelta(days=14)).isoformat()})
    if rng.random() < 0.25:
        name, hours = rng.choice(data["enterprise_courses"])
        out.add("enterprise", account, "enterprise_course", _day(rng, dt.date(2022, 1, 1), 1000), {
            "course_name": name, "hours": hours, "passed": True, "credits": rng.choice(["0.5", "1"])})
    if rng.random() < 0.12:
        post, code = rng.choice(data["posts"])
        start = _day(rng, dt.date(2016, 1, 1), 5 * 365)
        outcome = {"employer": "国网重庆市电力公司", "post": post, "attested": True,
                   "practice_years": str(rng.randint(1, 6)), "started_on": start.isoformat()}
        if code:
            outcome["occupation_code"] = code
        out.add("enterprise", account, "practice", start + dt.timedelta(days=365), outcome)
    if rng.random() < 0.1:
        event, event_id, scope, organiser, organiser_name = rng.choice(data["competitions"])
        out.add("union", account, "competition_award", _day(rng, dt.date(2023, 5, 1), 500), {
            "event_name": event, "event_id": event_id, "award_scope": scope, "award_rank": rng.choice([1, 2, 3, 3, 4]),
            "organiser_type": organiser, "organiser_name": organiser_name,
            "team_role": rng.choice(["individual", "member", "lead"]), "occupation_code": "6-31-01-03"})
    if rng.random() < 0.04:
        honour, level, name, by = rng.choice(data["honours"])
        out.add("union", account, "honour", _day(rng, dt.date(2018, 4, 28), 6 * 365), {
            "honour_type": honour, "honour_level": level, "honour_name": name, "awarded_by": by})
    if home == "power_college" and rng.random() < 0.25:
        graduated = enrolled + dt.timedelta(days=3 * 365)
        if graduated < dt.date(2025, 7, 1):
            out.add(home, account, "degree", graduated, {
                "education_level": programme["education_level"], "major_code": programme["major_code"],
                "major_name": programme["major_name"], "entry_type": programme["entry_type"],
                "certificate_no": f"1400812{graduated.year}{n:07d}", "started_on": enrolled.isoformat()})


def all_demo_records(learner_accounts: list[tuple[uuid.UUID, str]]) -> dict[str, list[dict[str, Any]]]:
    """The records of the demo's learners (wire-form outcomes), by institution key; deterministic per seed."""
    rng = random.Random(SEED + 1)
    data = demo_data()
    out = _Records()
    for n, (account, home) in enumerate(learner_accounts):
        _learner_records(rng, data, n, account, home, out)
    return dict(out.by_institution)


def load_demo_data(session: Session, keyring: Keyring, bank_did: str, public_url: str) -> dict[str, str]:
    """Load the demo data unless it is there already; the example ids either way. The caller commits."""
    ids = demo_ids(session)
    if ids is not None:
        return ids
    data = demo_data()
    rng = random.Random(SEED)
    insts: dict[str, Institution] = {}
    for spec in data["institutions"]:
        insts[spec["key"]] = register_institution(
            session, keyring, SYSTEM, bank_did, kind=spec["kind"], name=spec["name"], region_code=spec["region_code"],
            url=spec["url"], authorised_kinds=spec["kinds"], authorised_from=_AUTHORISED_FROM)
    learners: list[tuple[uuid.UUID, str]] = []
    seen: set[str] = set()
    while len(learners) < LEARNERS:
        nid = _national_id(rng, data["districts"])
        if nid in seen:
            continue
        seen.add(nid)
        home = "open_university" if len(learners) % 3 else "power_college"
        if not learners:
            home = "open_university"
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        opened = accounts.open_account(session, keyring, _as(insts[home]), bank_did, national_id_number=nid,
                                       name=_name(rng, data), phone=phone)
        learners.append((opened.account.id, home))
    for key, records in all_demo_records(learners).items():
        results = service.post_records(session, keyring, _as(insts[key]), [service.PostItem(r) for r in records],
                                       partial=False, public_url=public_url, bank_did=bank_did)
        refused = [r for r in results if not r.ok]
        if refused:
            raise AssertionError(f"demo record refused: {refused[0].problems}")
    _change_some(session, keyring, bank_did, insts, rng)
    subsidy_demo.load_demo_subsidies(session, keyring, bank_did, public_url, insts["open_university"])
    ids = demo_ids(session)
    assert ids is not None
    return ids


def _change_some(session: Session, keyring: Keyring, bank_did: str, insts: dict[str, Institution],
                 rng: random.Random) -> None:
    """Revoke and suspend a few records; recognise or reject about half of the pending ones."""
    revoked = session.scalar(sa.select(LearningRecord).where(LearningRecord.external_ref == REVOKED_REF))
    assert revoked is not None
    service.revoke_record(session, keyring, _as(insts["open_university"]), revoked.id, "成绩录入错误（未达合格线）")
    for key, reason in (("appraisal_centre", "证书信息与原件不符"), ("enterprise", "培训记录重复提交")):
        rows = list(session.scalars(sa.select(LearningRecord.id).where(
            LearningRecord.institution_id == insts[key].id).order_by(LearningRecord.entry_index).limit(40)))
        for record_id in rng.sample(rows, 3):
            service.revoke_record(session, keyring, _as(insts[key]), record_id, reason)
    suspend = session.scalar(sa.select(LearningRecord.id).where(
        LearningRecord.institution_id == insts["appraisal_centre"].id, LearningRecord.status == "active")
        .order_by(LearningRecord.entry_index.desc()).limit(1))
    if suspend is not None:
        service.suspend_record(session, keyring, _as(insts["appraisal_centre"]), suspend, "证书真伪核查中")
    pending = list(session.scalars(sa.select(LearningRecord.id).where(LearningRecord.recognition == "pending",
                                                                      LearningRecord.status == "active")
                                   .order_by(LearningRecord.entry_index)))
    recogniser = _as(insts["open_university"])
    for record_id in pending[::2]:
        rejected = rng.random() < 0.1
        service.recognise_record(session, recogniser, record_id, decision="rejected" if rejected else "recognised",
                                 reason="学时不足，不予认定" if rejected else None, note=None, bank_did=bank_did)
