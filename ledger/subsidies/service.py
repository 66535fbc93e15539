"""Claims, review level by level, quota places, payments and the public notice.

Quota places — first come first served by SUBMISSION time. Claims that fail a rule are refused at
submission and never stored, so every stored claim that is still pending (submitted, or returned for
correction) is an eligible claim waiting its turn. The final approval of claim C in district D is allowed
only if

    approved(D) + pending claims of D submitted before C  <  places(D)

i.e. each earlier pending claim holds a place in reserve until it is approved (it takes the place) or
rejected (the place goes back). A later claim can therefore never take a place from an earlier one,
whatever order reviewers work in, and no place is lost: the moment an earlier claim is rejected, the next
claim in submission order fits. We prefer this to allocating at batch close because the worker sees a
final answer as soon as the last level approves, which the seeds ask for ("real-time status").
Batches are consecutive submission periods, so submission order already puts batch 1 before batch 2.

Concurrency: the final approval locks the district's quota row (SELECT … FOR UPDATE on PostgreSQL; the
whole database through BEGIN IMMEDIATE on SQLite, see ledger.db.begin_write) before counting, then the
claim row; `used` is bounded by a CHECK constraint as a last line of defence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import accounts
from ledger.accounts import Account
from ledger.db import begin_write, locked, utcnow
from ledger.documents import record_action
from ledger.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from ledger.keyring import Keyring
from ledger.principal import Principal
from ledger.records.models import LearningRecord
from ledger.roles import Role
from ledger.subsidies import eligibility, masking
from ledger.subsidies.models import (
    PENDING,
    SubsidyAttachment,
    SubsidyClaim,
    SubsidyDecision,
    SubsidyPayment,
    SubsidyQuota,
    UnionReviewer,
)
from ledger.subsidies.policies import Policy, get_policy, load_all, split_amounts

DECLARATION_KEYS = ("union_member", "post", "contract_start", "civil_servant", "employer_paid_dues",
                    "agricultural_hukou")
ATTACHMENT_KINDS = ("application_form", "enrolment_report", "id_card", "bank_account", "tuition_receipt",
                    "diploma", "honour_certificate", "other")
MAX_ATTACHMENT = 5 * 1024 * 1024


def claim_ref(claim_id: uuid.UUID) -> str:
    return f"urn:uuid:{claim_id}"


# --------------------------------------------------------------------------- reviewers and quotas

def set_reviewer(session: Session, actor_ref: str, level: str, region: str) -> UnionReviewer:
    """Give a union client/person (by actor ref) a review level and region (operator task)."""
    row = session.get(UnionReviewer, actor_ref)
    if row is None:
        row = UnionReviewer(actor_ref=actor_ref, level=level, region=region)
        session.add(row)
    else:
        row.level, row.region = level, region
    session.flush()
    return row


def ensure_quotas(session: Session, policy: Policy) -> None:
    """Create the district quota rows of a policy (idempotent)."""
    have = set(session.scalars(sa.select(SubsidyQuota.district).where(SubsidyQuota.policy_id == policy.id)))
    for q in policy.quotas:
        if q["district"] not in have:
            session.add(SubsidyQuota(policy_id=policy.id, district=q["district"], places=q["places"], used=0))
    session.flush()


# --------------------------------------------------------------------------- facts from the ledger

def birth_date(national_id: str | None) -> dt.date | None:
    if not national_id or len(national_id) != 18:
        return None
    try:
        return dt.date(int(national_id[6:10]), int(national_id[10:12]), int(national_id[12:14]))
    except ValueError:
        return None


def enrolments(session: Session, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[LearningRecord]]:
    """Active enrolment records (学籍) of the accounts, newest first."""
    out: dict[uuid.UUID, list[LearningRecord]] = {a: [] for a in account_ids}
    for i in range(0, len(account_ids), 500):
        rows = session.scalars(sa.select(LearningRecord).where(
            LearningRecord.account_id.in_(account_ids[i:i + 500]), LearningRecord.kind == "enrolment",
            LearningRecord.status == "active").order_by(LearningRecord.occurred_on.desc()))
        for r in rows:
            out[r.account_id].append(r)
    return out


def honour_tiers(session: Session, account_id: uuid.UUID) -> list[str]:
    """Honour tiers proven by the ledger: `<level>_<type>` of each active honour record (`city_model_worker`)."""
    rows = session.scalars(sa.select(LearningRecord.outcome).where(
        LearningRecord.account_id == account_id, LearningRecord.kind == "honour", LearningRecord.status == "active"))
    return [f"{o.get('honour_level')}_{o.get('honour_type')}" for o in rows]


def best_honour(policy: Policy, tiers: list[str]) -> str | None:
    """The proven tier that pays most under the policy (None: no tier of the policy is proven)."""
    known = {t for f in policy.funders for t in f["amount"].get("by_honour", {}) if t != "default"}
    proven = [t for t in tiers if t in known]
    if not proven:
        return None
    return max(proven, key=lambda t: (sum(split_amounts(policy, tuition=Decimal(10000), honour=t).values()), t))


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def facts_for(policy: Policy, birth: dt.date | None, records: list[LearningRecord],
              declarations: dict[str, Any]) -> tuple[eligibility.Facts, LearningRecord | None]:
    """The facts of one applicant: the enrolment of the policy year if any (else the newest) and the declarations."""
    chosen = next((r for r in records if _date(r.outcome.get("enrolled_on")) is not None
                   and _date(r.outcome["enrolled_on"]).year == policy.year), records[0] if records else None)  # type: ignore[union-attr]
    return eligibility.Facts(
        birth_date=birth,
        enrolled_on=_date(chosen.outcome.get("enrolled_on")) if chosen else None,
        education_level=chosen.outcome.get("education_level") if chosen else None,
        union_member=bool(declarations.get("union_member")),
        post=declarations.get("post"),
        contract_start=_date(declarations.get("contract_start")),
        civil_servant=bool(declarations.get("civil_servant")),
        employer_paid_dues=bool(declarations.get("employer_paid_dues")),
        agricultural_hukou=bool(declarations.get("agricultural_hukou")),
    ), chosen


@dataclass(frozen=True)
class Screened:
    account_id: uuid.UUID
    failures: list[eligibility.Failure]


def screen(session: Session, keyring: Keyring, policy: Policy,
           applicants: list[tuple[Account, dict[str, Any]]]) -> list[Screened]:
    """Screen many applicants at once against the ledger (one query per 500 accounts)."""
    recs = enrolments(session, [a.id for a, _ in applicants])
    out = []
    for account, decl in applicants:
        nid = accounts.personal_data(keyring, account).national_id
        facts, _ = facts_for(policy, birth_date(nid), recs[account.id], decl)
        out.append(Screened(account.id, eligibility.failures(policy, facts)))
    return out


# --------------------------------------------------------------------------- claims

def _refusal(failed: list[eligibility.Failure]) -> Invalid:
    return Invalid(
        "not eligible: " + "; ".join(f"{f.rule}: {f.message_en}" for f in failed),
        "不符合补助条件：" + "；".join(f"{f.rule}：{f.message_zh}" for f in failed),
        [FieldProblem(f"rules.{f.rule}", f.message_en, f.message_zh) for f in failed],
        code="not-eligible",
    )


def submit_claim(session: Session, keyring: Keyring, actor: Principal, issuer: str, *, policy_id: str,
                 account_id: uuid.UUID, district: str, declarations: dict[str, Any],
                 now: dt.datetime | None = None) -> SubsidyClaim:
    """File a claim for the learner's own account; refuse naming each failed rule; once per level per chain."""
    policy = get_policy(policy_id)
    begin_write(session)
    account = accounts.get_account(session, account_id)
    if not (actor.has(Role.OPERATOR) or accounts.is_owner(session, actor, account)):
        raise Forbidden("only the account's learner may claim", "只有账户本人可以申请补贴")
    now = now or utcnow()
    today = now.date()
    win = policy.application_window
    if not win["opens_on"] <= today <= win["closes_on"]:
        raise Invalid("the application window is closed", "不在申请时间内",
                      [FieldProblem("policy", f"applications from {win['opens_on']} to {win['closes_on']}",
                                    f"申请时间为{win['opens_on']}至{win['closes_on']}")], code="window-closed")
    if policy.quota(district) is None:
        raise Invalid("unknown district", "未知的名额分配单位",
                      [FieldProblem("district", "not a district of this policy", "不是该政策的名额分配单位")])
    batch = policy.batch_for(today)
    assert batch is not None  # the window closes no later than the last batch
    nid = accounts.personal_data(keyring, account).national_id
    facts, record = facts_for(policy, birth_date(nid), enrolments(session, [account.id])[account.id], declarations)
    failed = eligibility.failures(policy, facts)
    if failed:
        raise _refusal(failed)
    level = facts.education_level
    assert level is not None
    dup = session.scalar(sa.select(SubsidyClaim.id).where(SubsidyClaim.account_id == account.id,
                                                           SubsidyClaim.chain == policy.chain,
                                                           SubsidyClaim.education_level == level))
    if dup is not None:
        raise Conflict("a claim for this education level already exists under this policy",
                       "同一学历层次只可申请一次", [FieldProblem("education_level", "already claimed", "已申请过")],
                       code="already-claimed")
    ensure_quotas(session, policy)
    # The honour tier is taken from the ledger's honour records, never from the applicant's word.
    honour = best_honour(policy, honour_tiers(session, account.id))
    declarations = {**declarations, "honour": honour}
    amounts = split_amounts(policy, tuition=declarations.get("tuition"), honour=honour)
    claim_id = uuid.uuid4()
    decl = {k: (v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v)
            for k, v in declarations.items()}
    doc = {"type": "subsidy-claim", "claim": claim_ref(claim_id), "policy": policy.id,
           "policy_hash": policy.content_hash, "account": account.ref, "district": district,
           "batch": batch["id"], "education_level": level,
           "amounts": {k: str(v) for k, v in amounts.items()}, "submitted_at": now.isoformat()}
    entry = record_action(session, kind="subsidy-claim", subject_ref=account.ref, issuer=issuer,
                          actor=actor.actor_ref, object_ref=claim_ref(claim_id), document=doc)
    claim = SubsidyClaim(id=claim_id, policy_id=policy.id, policy_hash=policy.content_hash, chain=policy.chain,
                         account_id=account.id, education_level=level, district=district, batch_id=batch["id"],
                         status="submitted", level_index=0, submitted_at=now,
                         enrolment_record_id=record.id if record else None, declarations=decl,
                         amounts={k: str(v) for k, v in amounts.items()}, total=sum(amounts.values(), Decimal(0)),
                         entry_index=entry.index)
    session.add(claim)
    try:
        session.flush()
    except sa.exc.IntegrityError as exc:  # a concurrent duplicate lost the race to the unique constraint
        raise Conflict("a claim for this education level already exists under this policy",
                       "同一学历层次只可申请一次", code="already-claimed") from exc
    return claim


def get_claim(session: Session, claim_id: uuid.UUID) -> SubsidyClaim:
    claim = session.get(SubsidyClaim, claim_id)
    if claim is None:
        raise NotFound("no such claim", "没有该补贴申请")
    return claim


def _reviewer(session: Session, actor: Principal) -> UnionReviewer | None:
    if not actor.has(Role.UNION):
        return None
    return session.get(UnionReviewer, actor.actor_ref)


def _may_review(policy: Policy, reviewer: UnionReviewer, claim: SubsidyClaim, level: str) -> bool:
    if reviewer.level != level:
        return False
    if level in ("county", "enterprise"):
        return reviewer.region == claim.district
    return True  # city / province reviewers see every district of the policy


def get_claim_for(session: Session, actor: Principal, claim_id: uuid.UUID) -> SubsidyClaim:
    claim = get_claim(session, claim_id)
    if actor.has(Role.OPERATOR):
        return claim
    if actor.account_id is not None and actor.has(Role.LEARNER):
        if accounts.is_owner(session, actor, accounts.get_account(session, claim.account_id)):
            return claim
    reviewer = _reviewer(session, actor)
    if reviewer is not None and (reviewer.level not in ("county", "enterprise") or reviewer.region == claim.district):
        return claim
    raise NotFound("no such claim", "没有该补贴申请")


def list_claims(session: Session, actor: Principal, *, policy_id: str | None = None,
                status: str | None = None) -> list[SubsidyClaim]:
    q = sa.select(SubsidyClaim).order_by(SubsidyClaim.submitted_at, SubsidyClaim.id)
    if policy_id:
        q = q.where(SubsidyClaim.policy_id == policy_id)
    if status:
        q = q.where(SubsidyClaim.status == status)
    if actor.has(Role.OPERATOR):
        pass
    elif (reviewer := _reviewer(session, actor)) is not None:
        if reviewer.level in ("county", "enterprise"):
            q = q.where(SubsidyClaim.district == reviewer.region)
    elif actor.account_id is not None and actor.has(Role.LEARNER):
        q = q.where(SubsidyClaim.account_id.in_(accounts.merged_ids(session, actor.account_id)))
    else:
        raise Forbidden("no access to claims", "无权查看补贴申请")
    return list(session.scalars(q))


def decide(session: Session, actor: Principal, issuer: str, claim_id: uuid.UUID, *, decision: str,
           reason: str | None = None, now: dt.datetime | None = None) -> SubsidyClaim:
    """Approve (to the next level, or finally: takes a quota place), return for correction, or reject."""
    if decision not in ("approve", "return", "reject"):
        raise Invalid("unknown decision", "未知的审核结论",
                      [FieldProblem("decision", "one of approve, return, reject", "须为 approve、return、reject 之一")])
    if decision in ("return", "reject") and not (reason and reason.strip()):
        raise Invalid("a reason is required", "须填写理由", [FieldProblem("reason", "required", "必填")])
    begin_write(session)
    now = now or utcnow()
    claim = get_claim(session, claim_id)
    policy = get_policy(claim.policy_id)
    levels = policy.review_levels
    final = decision == "approve" and claim.level_index == len(levels) - 1
    quota = None
    if final:
        quota = session.scalars(sa.select(SubsidyQuota).where(SubsidyQuota.policy_id == claim.policy_id,
                                                              SubsidyQuota.district == claim.district)
                                .with_for_update().execution_options(populate_existing=True)).one()
    claim = locked(session, SubsidyClaim, claim_id)  # found above: it exists
    if claim.status != "submitted":
        raise Conflict(f"the claim is {claim.status}, not awaiting review", f"该申请当前状态为{claim.status}，不在待审核状态",
                       code="not-pending")
    level = levels[claim.level_index]
    reviewer = _reviewer(session, actor)
    if reviewer is None or not _may_review(policy, reviewer, claim, level):
        raise Forbidden(f"this claim awaits review at the {level} level by its union",
                        f"该申请待{level}级工会审核")
    if final != (decision == "approve" and claim.level_index == len(levels) - 1):
        raise Conflict("the claim moved on meanwhile", "申请状态已变化，请刷新", code="not-pending")
    if final and (missing := missing_attachments(session, claim)):
        raise Conflict("required attachments are missing: " + ", ".join(missing),
                       "缺少必需的申请材料：" + "、".join(missing),
                       [FieldProblem("attachments", f"missing {k}", f"缺少{k}") for k in missing],
                       code="attachments-missing")
    if final:
        assert quota is not None
        earlier = session.scalar(sa.select(sa.func.count()).select_from(SubsidyClaim).where(
            SubsidyClaim.policy_id == claim.policy_id, SubsidyClaim.district == claim.district,
            SubsidyClaim.status.in_(PENDING), SubsidyClaim.id != claim.id,
            sa.or_(SubsidyClaim.submitted_at < claim.submitted_at,
                   sa.and_(SubsidyClaim.submitted_at == claim.submitted_at, SubsidyClaim.id < claim.id))))
        if quota.used + (earlier or 0) >= quota.places:
            raise Conflict(
                f"no place left in district {claim.district}: {quota.used} of {quota.places} taken and "
                f"{earlier} earlier claims wait first",
                f"{claim.district}名额已满：已用{quota.used}/{quota.places}，另有{earlier}件更早的申请优先",
                code="quota-full")
        quota.used += 1
        claim.status = "approved"
        claim.decided_at = now
    elif decision == "approve":
        claim.level_index += 1
    elif decision == "return":
        claim.status = "returned"
        claim.reason = reason
    else:
        claim.status = "rejected"
        claim.reason = reason
        claim.decided_at = now
    doc = {"type": "subsidy-decision", "claim": claim_ref(claim.id), "level": level, "decision": decision,
           "final": final, "reason": reason, "decided_at": now.isoformat()}
    entry = record_action(session, kind="subsidy-decision", subject_ref=f"urn:uuid:{claim.account_id}",
                          issuer=issuer, actor=actor.actor_ref, object_ref=claim_ref(claim.id), document=doc)
    session.add(SubsidyDecision(claim_id=claim.id, level=level, decision=decision, reason=reason,
                                actor=actor.actor_ref, decided_at=now, entry_index=entry.index))
    session.flush()
    return claim


def resubmit(session: Session, actor: Principal, issuer: str, claim_id: uuid.UUID,
             declarations: dict[str, Any]) -> SubsidyClaim:
    """The learner corrects a returned claim; it keeps its submission time (its place in the queue)."""
    begin_write(session)
    claim = get_claim_for(session, actor, claim_id)
    if not accounts.is_owner(session, actor, accounts.get_account(session, claim.account_id)):
        raise Forbidden("only the claimant may correct a claim", "只有申请人可以修改申请")
    if claim.status != "returned":
        raise Conflict("only a returned claim can be corrected", "只有退回的申请可以修改", code="not-returned")
    claim.declarations = {**claim.declarations, **{k: (v.isoformat() if isinstance(v, dt.date) else v)
                                                   for k, v in declarations.items()}}
    claim.status, claim.level_index = "submitted", 0
    record_action(session, kind="subsidy-correction", subject_ref=f"urn:uuid:{claim.account_id}", issuer=issuer,
                  actor=actor.actor_ref, object_ref=claim_ref(claim.id),
                  document={"type": "subsidy-correction", "claim": claim_ref(claim.id),
                            "declarations": claim.declarations})
    session.flush()
    return claim


def add_attachment(session: Session, keyring: Keyring, actor: Principal, claim_id: uuid.UUID, *, kind: str,
                   filename: str, media_type: str, content: bytes) -> SubsidyAttachment:
    """Keep one piece of evidence: metadata in clear, content sealed with the keyring."""
    problems = []
    if kind not in ATTACHMENT_KINDS:
        problems.append(FieldProblem("kind", f"one of {', '.join(ATTACHMENT_KINDS)}", "附件类型无效"))
    if not content or len(content) > MAX_ATTACHMENT:
        problems.append(FieldProblem("content", "between 1 byte and 5 MiB", "文件大小须在1字节至5MiB之间"))
    if problems:
        raise Invalid("invalid attachment", "附件无效", problems)
    begin_write(session)
    claim = get_claim_for(session, actor, claim_id)
    if not accounts.is_owner(session, actor, accounts.get_account(session, claim.account_id)):
        raise Forbidden("only the claimant may add evidence", "只有申请人可以上传材料")
    return store_attachment(session, keyring, claim, kind=kind, filename=filename, media_type=media_type,
                            content=content)


def store_attachment(session: Session, keyring: Keyring, claim: SubsidyClaim, *, kind: str, filename: str,
                     media_type: str, content: bytes) -> SubsidyAttachment:
    """Seal and store one attachment of a claim (no access check: for services, demo data and tests)."""
    att_id = uuid.uuid4()
    att = SubsidyAttachment(id=att_id, claim_id=claim.id, kind=kind, filename=filename[:200],
                            media_type=media_type[:100], size=len(content),
                            sha256=hashlib.sha256(content).hexdigest(),
                            sealed_content=keyring.seal(content, context=f"subsidy-attachment:{att_id}"))
    session.add(att)
    session.flush()
    return att


def missing_attachments(session: Session, claim: SubsidyClaim) -> list[str]:
    """The policy's required attachment kinds not yet attached to the claim, in the policy's order."""
    have = set(session.scalars(sa.select(SubsidyAttachment.kind).where(SubsidyAttachment.claim_id == claim.id)))
    return [k for k in get_policy(claim.policy_id).attachments if k not in have]


def _may_see_evidence(session: Session, actor: Principal, claim: SubsidyClaim) -> str | None:
    """'owner', 'operator' or 'union' when the actor may read the claim's evidence, else None."""
    if actor.account_id is not None and actor.has(Role.LEARNER) \
            and accounts.is_owner(session, actor, accounts.get_account(session, claim.account_id)):
        return "owner"
    if actor.has(Role.OPERATOR):
        return "operator"
    reviewer = _reviewer(session, actor)
    if reviewer is not None and any(_may_review(get_policy(claim.policy_id), reviewer, claim, level)
                                    for level in get_policy(claim.policy_id).review_levels):
        return "union"
    return None


def read_attachment(session: Session, keyring: Keyring, actor: Principal, claim_id: uuid.UUID,
                    attachment_id: uuid.UUID) -> tuple[SubsidyAttachment, bytes]:
    """The unsealed evidence for the claimant, a reviewer of the claim (any level, its region) or an operator.

    Anyone else gets NotFound (existence is not revealed). Reads by anyone but the claimant are written to the
    account's access log (the same log a learner sees for reads of the account)."""
    missing = NotFound("no such attachment", "没有该附件")
    claim = session.get(SubsidyClaim, claim_id)
    att = session.get(SubsidyAttachment, attachment_id)
    if claim is None or att is None or att.claim_id != claim.id:
        raise missing
    who = _may_see_evidence(session, actor, claim)
    if who is None:
        raise missing
    content = keyring.open(att.sealed_content, context=f"subsidy-attachment:{att.id}")
    if who != "owner":
        begin_write(session)
        accounts._log_access(session, actor, accounts.get_account(session, claim.account_id),
                             Role.OPERATOR if who == "operator" else Role.UNION, "evidence",
                             f"subsidy claim {claim.id}: {att.kind} {att.filename}")
    return att, content


def attachments(session: Session, claim_id: uuid.UUID) -> list[SubsidyAttachment]:
    return list(session.scalars(sa.select(SubsidyAttachment).where(SubsidyAttachment.claim_id == claim_id)
                                .order_by(SubsidyAttachment.added_at)))


def decisions(session: Session, claim_id: uuid.UUID) -> list[SubsidyDecision]:
    return list(session.scalars(sa.select(SubsidyDecision).where(SubsidyDecision.claim_id == claim_id)
                                .order_by(SubsidyDecision.id)))


# --------------------------------------------------------------------------- payments

def record_payment(session: Session, actor: Principal, issuer: str, claim_id: uuid.UUID, *, funder_id: str,
                   status: str, reference: str | None = None) -> SubsidyPayment:
    """Record one payment attempt of one funder: paid / failed / reissued (only after a failure)."""
    if status not in ("paid", "failed", "reissued"):
        raise Invalid("unknown payment status", "未知的发放状态",
                      [FieldProblem("status", "one of paid, failed, reissued", "须为 paid、failed、reissued 之一")])
    begin_write(session)
    if not actor.has(Role.UNION, Role.OPERATOR):
        raise Forbidden("only unions record payments", "只有工会可以登记发放")
    claim = locked(session, SubsidyClaim, claim_id)
    if claim is None:
        raise NotFound("no such claim", "没有该补贴申请")
    if claim.status != "approved":
        raise Conflict("only an approved claim is paid", "只有审核通过的申请才能发放", code="not-approved")
    if funder_id not in claim.amounts:
        raise Invalid("unknown funder", "未知的出资单位", [FieldProblem("funder", "not a funder of this claim", "不是该申请的出资单位")])
    last = payment_status(session, claim).get(funder_id)
    if last in ("paid", "reissued"):
        raise Conflict("this funder has already paid", "该出资单位已发放", code="already-paid")
    if status == "reissued" and last != "failed":
        raise Conflict("a reissue follows a failed payment", "只有发放失败后才能重新发放", code="not-failed")
    pay = SubsidyPayment(claim_id=claim.id, funder_id=funder_id, amount=Decimal(claim.amounts[funder_id]),
                         status=status, reference=reference, actor=actor.actor_ref)
    session.add(pay)
    record_action(session, kind="subsidy-payment", subject_ref=f"urn:uuid:{claim.account_id}", issuer=issuer,
                  actor=actor.actor_ref, object_ref=claim_ref(claim.id),
                  document={"type": "subsidy-payment", "claim": claim_ref(claim.id), "funder": funder_id,
                            "amount": claim.amounts[funder_id], "status": status, "reference": reference})
    session.flush()
    return pay


def payments(session: Session, claim_id: uuid.UUID) -> list[SubsidyPayment]:
    return list(session.scalars(sa.select(SubsidyPayment).where(SubsidyPayment.claim_id == claim_id)
                                .order_by(SubsidyPayment.id)))


def payment_status(session: Session, claim: SubsidyClaim) -> dict[str, str]:
    """Latest payment status per funder ('pending' when nothing recorded yet and the claim is approved)."""
    out = {f: "pending" for f in claim.amounts} if claim.status == "approved" else {}
    for p in payments(session, claim.id):
        out[p.funder_id] = p.status
    return out


# --------------------------------------------------------------------------- notice and reports

def notice(session: Session, keyring: Keyring, policy_id: str, *, district: str | None = None,
           batch: str | None = None) -> list[dict[str, Any]]:
    """公示: approved claims with masked name and ID, by district and batch (never a full name or ID)."""
    policy = get_policy(policy_id)
    q = sa.select(SubsidyClaim).where(SubsidyClaim.policy_id == policy.id, SubsidyClaim.status == "approved")
    if district:
        q = q.where(SubsidyClaim.district == district)
    if batch:
        q = q.where(SubsidyClaim.batch_id == batch)
    rows = []
    for c in session.scalars(q.order_by(SubsidyClaim.district, SubsidyClaim.submitted_at)):
        pd = accounts.personal_data(keyring, accounts.get_account(session, c.account_id))
        quota = policy.quota(c.district) or {}
        rows.append({"policy": policy.id, "district": c.district, "district_name": quota.get("name_zh", ""),
                     "batch": c.batch_id, "name": masking.mask_name(pd.name or ""),
                     "national_id": masking.mask_id(pd.national_id or ""), "education_level": c.education_level,
                     "total": str(c.total)})
    return rows


def report(session: Session, policy_id: str) -> list[dict[str, Any]]:
    """Per district: places, used, pending, amounts owed by funder, mean processing time (hours)."""
    policy = get_policy(policy_id)
    out = []
    claims = list(session.scalars(sa.select(SubsidyClaim).where(SubsidyClaim.policy_id == policy.id)))
    for q in policy.quotas:
        mine = [c for c in claims if c.district == q["district"]]
        approved = [c for c in mine if c.status == "approved"]
        by_funder = {f["id"]: sum((Decimal(c.amounts.get(f["id"], "0")) for c in approved), Decimal("0.00"))
                     for f in policy.funders}
        done = [(c.decided_at - c.submitted_at).total_seconds() / 3600 for c in mine if c.decided_at]
        out.append({"district": q["district"], "district_name": q["name_zh"], "places": q["places"],
                    "used": len(approved), "pending": sum(1 for c in mine if c.status in PENDING),
                    "rejected": sum(1 for c in mine if c.status == "rejected"),
                    "amounts": {k: str(v.quantize(Decimal("0.01"))) for k, v in by_funder.items()},
                    "mean_processing_hours": round(sum(done) / len(done), 2) if done else None})
    return out


def all_policies() -> list[Policy]:
    return list(load_all().values())
