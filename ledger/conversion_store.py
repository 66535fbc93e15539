"""Applied conversions (学分转换): a plan stored against an enrolment, its log entry, and the revocation cascade.

Who may apply: an operator, or any institution allowed to read the account (an opener or a reader, with a
reason). The applying institution is recorded and sees its own conversions; the programme's college is a
data-file id, not a registered institution, so it is not required to match.

`enrolment_ref` is unique per account and programme: the same ref twice is a 409 (not a replay), so a
retried request can never silently apply a different plan. Outcomes used (course replaced, pool credits,
waiver) by an active or flagged conversion for a programme are `already_used` in later plans for it.

When a record used by an active conversion is revoked or superseded, the conversion is flagged in the same
transaction (`events.on_revoked`); a college then rechecks it and may re-apply (the new conversion
supersedes the flagged one, an entry in the log).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger import accounts
from ledger.db import Base, begin_write, utcnow
from ledger.documents import record_action, timestamp
from ledger.errors import Conflict, Forbidden, NotFound
from ledger.principal import Principal
from ledger.records import events
from ledger.roles import Role

USED = frozenset({"course_replaced", "pool_credits", "waiver"})
ACTIVE, FLAGGED, SUPERSEDED = "active", "flagged", "superseded"


class Conversion(Base):
    """One applied plan: which outcomes became which credits of a programme, under which rule set version."""

    __tablename__ = "conversions"
    __table_args__ = (sa.UniqueConstraint("account_id", "programme_id", "enrolment_ref"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    programme_id: Mapped[str] = mapped_column(sa.String(60))
    ruleset_id: Mapped[str] = mapped_column(sa.String(60))
    ruleset_version: Mapped[int]
    ruleset_hash: Mapped[str] = mapped_column(sa.String(80))
    enrolment_ref: Mapped[str] = mapped_column(sa.String(200))
    as_of: Mapped[dt.date] = mapped_column(sa.Date)
    plan: Mapped[dict[str, Any]]
    outcomes: Mapped[list[str]]  # record urns the plan used
    total: Mapped[Decimal]  # Numeric, exact
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    institution_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[dt.datetime]
    entry_index: Mapped[int] = mapped_column(sa.BigInteger)
    flagged_at: Mapped[dt.datetime | None]
    flag_reason: Mapped[str | None] = mapped_column(sa.String(500))
    flag_record: Mapped[str | None] = mapped_column(sa.String(60))
    superseded_by: Mapped[uuid.UUID | None]

    @property
    def ref(self) -> str:
        return f"urn:uuid:{self.id}"


class PublishedRuleSet(Base):
    """A rule set version an operator published (beside the shipped data files), exactly as submitted."""

    __tablename__ = "published_rulesets"
    __table_args__ = (sa.UniqueConstraint("ruleset_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ruleset_id: Mapped[str] = mapped_column(sa.String(60), index=True)
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(sa.String(80))
    body: Mapped[str] = mapped_column(sa.Text)  # the submitted bytes (UTF-8), exactly as hashed
    published_by: Mapped[str] = mapped_column(sa.String(80))
    published_at: Mapped[dt.datetime]
    entry_index: Mapped[int] = mapped_column(sa.BigInteger)


def used_outcomes(session: Session, account_ids: list[uuid.UUID], programme_id: str,
                  *, excluding: uuid.UUID | None = None) -> frozenset[str]:
    """Record urns already used by an active or flagged conversion of these accounts for the programme."""
    rows = session.scalars(sa.select(Conversion).where(
        Conversion.account_id.in_(account_ids), Conversion.programme_id == programme_id,
        Conversion.status.in_((ACTIVE, FLAGGED))))
    return frozenset(o for c in rows if c.id != excluding for o in c.outcomes)


def _may_apply(actor: Principal) -> None:
    if not actor.has(Role.OPERATOR, Role.INSTITUTION):
        raise Forbidden("only a college or an operator applies a conversion", "只有院校或运营方可以办理学分转换")


def apply(session: Session, actor: Principal, issuer: str, account_id: uuid.UUID, programme_id: str,
          ruleset_id: str | None, enrolment_ref: str, reason: str | None, *,
          supersedes: Conversion | None = None) -> Conversion:
    """Compute the current plan and store it as a conversion with a `conversion` entry in the log."""
    from ledger import conversions
    from ledger.records.models import LearningRecord

    _may_apply(actor)
    begin_write(session)
    account = accounts.get_account_for(session, actor, account_id, reason)
    # Serialise applies for one account (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE already does), so two
    # concurrent applies cannot both count the same outcome
    # nor both pass the enrolment_ref check.
    session.execute(sa.select(accounts.Account.id).where(accounts.Account.id == account.id).with_for_update())
    programme_urn = conversions._norm(programme_id)
    ref = enrolment_ref.strip()
    if not ref:
        from ledger.errors import FieldProblem, Invalid

        raise Invalid("enrolment_ref is blank", "录取编号不能为空",
                      [FieldProblem("enrolment_ref", "must not be blank", "不能为空")])
    if session.scalar(sa.select(Conversion.id).where(
            Conversion.account_id == account.id, Conversion.programme_id == programme_urn,
            Conversion.enrolment_ref == ref)) is not None:
        raise Conflict(f"enrolment {ref!r} already has a conversion for this programme",
                       f"该录取编号 {ref!r} 已办理过该专业的学分转换")
    ids = accounts.merged_ids(session, account.id)
    used = used_outcomes(session, ids, programme_urn, excluding=supersedes.id if supersedes else None)
    result = conversions.compute_plan(session, account.id, programme_id, ruleset_id, None, used)
    view = conversions.plan_view(result)
    outcomes = sorted(ln["outcome"] for ln in view["lines"] if ln["status"] in USED)
    rec_ids = [uuid.UUID(o.removeprefix("urn:uuid:")) for o in outcomes]
    indexes = {row.id: row.entry_index for row in session.execute(
        sa.select(LearningRecord.id, LearningRecord.entry_index).where(LearningRecord.id.in_(rec_ids)))}
    now = utcnow()
    conv = Conversion(id=uuid.uuid4(), account_id=account.id, programme_id=programme_urn,
                      ruleset_id=conversions._norm(result.ruleset_id), ruleset_version=result.ruleset_version,
                      ruleset_hash=result.ruleset_hash, enrolment_ref=ref, as_of=result.as_of, plan=view,
                      outcomes=outcomes, total=Decimal(view["totals"]["total"]), status=ACTIVE,
                      institution_id=actor.institution_id if actor.has(Role.INSTITUTION) else None,
                      created_by=actor.actor_ref, created_at=now, entry_index=-1)
    document = {
        "type": "Conversion", "conversion": conv.ref, "account": account.ref, "programme": programme_urn,
        "ruleset": {"id": conv.ruleset_id, "version": conv.ruleset_version, "content_hash": conv.ruleset_hash},
        "enrolment_ref": ref, "as_of": conv.as_of.isoformat(), "total": view["totals"]["total"],
        "outcomes": [{"record": o, "entry": indexes.get(uuid.UUID(o.removeprefix("urn:uuid:")))} for o in outcomes],
        "supersedes": supersedes.ref if supersedes else None, "time": timestamp(now),
    }
    entry = record_action(session, kind="conversion", subject_ref=account.ref, issuer=issuer, actor=actor.actor_ref,
                          object_ref=conv.ref, document=document)
    conv.entry_index = entry.index
    session.add(conv)
    if supersedes is not None:
        supersedes.status = SUPERSEDED
        supersedes.superseded_by = conv.id
    session.flush()
    return conv


def _visible(session: Session, actor: Principal, conv: Conversion) -> bool:
    if actor.has(Role.OPERATOR):
        return True
    if actor.has(Role.INSTITUTION) and actor.institution_id is not None and conv.institution_id == actor.institution_id:
        return True
    if actor.account_id is not None and actor.has(Role.LEARNER):
        try:
            return accounts.is_owner(session, actor, accounts.get_account(session, conv.account_id))
        except NotFound:
            return False
    return False


def get(session: Session, actor: Principal, conversion_id: uuid.UUID) -> Conversion:
    """One conversion for the learner, the applying institution or an operator (others: 404)."""
    conv = session.get(Conversion, conversion_id)
    if conv is None or not _visible(session, actor, conv):
        raise NotFound(f"no conversion {conversion_id}", f"没有学分转换 {conversion_id}")
    return conv


def for_account(session: Session, actor: Principal, account_id: uuid.UUID) -> list[Conversion]:
    """An account's conversions: all for the learner and operators, an institution's own for an institution."""
    account = accounts.get_account(session, account_id)
    ids = accounts.merged_ids(session, account.id)
    query = sa.select(Conversion).where(Conversion.account_id.in_(ids)).order_by(Conversion.created_at, Conversion.id)
    if accounts.is_owner(session, actor, account) or actor.has(Role.OPERATOR):
        pass
    elif actor.has(Role.INSTITUTION) and actor.institution_id is not None:
        query = query.where(Conversion.institution_id == actor.institution_id)
    else:
        raise Forbidden("you may not see this account's conversions", "无权查看该账户的学分转换")
    return list(session.scalars(query))


def queue(session: Session, actor: Principal, *, flagged: bool | None) -> list[Conversion]:
    """Conversions an institution made (operators: all), optionally only flagged ones (the work queue)."""
    query = sa.select(Conversion).order_by(Conversion.created_at, Conversion.id)
    if not actor.has(Role.OPERATOR):
        if not actor.has(Role.INSTITUTION) or actor.institution_id is None:
            raise Forbidden("only a college or an operator lists conversions", "只有院校或运营方可以查看学分转换列表")
        query = query.where(Conversion.institution_id == actor.institution_id)
    if flagged is not None:
        query = query.where((Conversion.status == FLAGGED) if flagged else (Conversion.status != FLAGGED))
    return list(session.scalars(query))


def recheck(session: Session, actor: Principal, conversion_id: uuid.UUID) -> dict[str, Any]:
    """A fresh plan (as if re-applied now) and its difference from the stored one."""
    from ledger import conversions

    conv = get(session, actor, conversion_id)
    ids = accounts.merged_ids(session, conv.account_id)
    used = used_outcomes(session, ids, conv.programme_id, excluding=conv.id)
    fresh = conversions.plan_view(conversions.compute_plan(session, conv.account_id, conv.programme_id, None,
                                                           None, used))
    def credited(view: dict[str, Any]) -> dict[str, str]:
        return {ln["outcome"]: ln["credits"] for ln in view["lines"] if ln["status"] in USED}
    old, new = credited(conv.plan), credited(fresh)
    return {"conversion": conv.ref, "status": conv.status, "plan": fresh,
            "lost": sorted(set(old) - set(new)), "gained": sorted(set(new) - set(old)),
            "changed": sorted(o for o in set(old) & set(new) if Decimal(old[o]) != Decimal(new[o])),
            "credit_delta": str(Decimal(fresh["totals"]["total"]) - conv.total)}


def reapply(session: Session, actor: Principal, issuer: str, conversion_id: uuid.UUID, enrolment_ref: str | None,
            reason: str | None) -> Conversion:
    """Resolve a flagged conversion: a new conversion of the current plan superseding it."""
    conv = get(session, actor, conversion_id)
    if conv.status != FLAGGED:
        raise Conflict("only a flagged conversion is re-applied", "只有被标记的学分转换可以重新办理")
    ref = enrolment_ref or f"{conv.enrolment_ref}#{utcnow().strftime('%Y%m%dT%H%M%S%f')}"
    return apply(session, actor, issuer, conv.account_id, conv.programme_id, None, ref, reason, supersedes=conv)


def publish_ruleset(session: Session, actor: Principal, issuer: str, body: bytes) -> dict[str, Any]:
    """Publish a rule set version (operators): validated, a higher version than any before, a `ruleset` entry."""
    from ledger import conversions
    from ledger.conversion.errors import DataFileError
    from ledger.conversion.loader import parse
    from ledger.conversion.schemas import RuleSetSchema
    from ledger.errors import FieldProblem, Invalid

    actor.require(Role.OPERATOR)
    try:
        ruleset = parse(body, RuleSetSchema(), "request")
    except DataFileError as exc:
        raise Invalid("the rule set document is not valid", "转换规则文件无效",
                      [FieldProblem(path, " ".join(msgs), "字段无效：" + " ".join(msgs))
                       for path, msgs in sorted(exc.fields.items())]) from None
    begin_write(session)
    rs_id = conversions._norm(ruleset.id)
    versions = [r.version for r in conversions.ruleset_objects(session) if conversions._norm(r.id) == rs_id]
    if versions and ruleset.version <= max(versions):
        raise Conflict(f"version {ruleset.version} is not higher than the newest version {max(versions)}",
                       f"版本 {ruleset.version} 不高于现有最新版本 {max(versions)}")
    now = utcnow()
    row = PublishedRuleSet(id=uuid.uuid4(), ruleset_id=rs_id, version=ruleset.version,
                           content_hash=ruleset.content_hash, body=body.decode("utf-8"), published_by=actor.actor_ref,
                           published_at=now, entry_index=-1)
    entry = record_action(session, kind="ruleset", subject_ref=rs_id, issuer=issuer, actor=actor.actor_ref,
                          object_ref=f"urn:uuid:{row.id}", document={
                              "type": "RuleSetVersion", "ruleset": rs_id, "version": ruleset.version,
                              "content_hash": ruleset.content_hash, "time": timestamp(now)})
    row.entry_index = entry.index
    session.add(row)
    session.flush()
    return conversions.get_ruleset(rs_id, ruleset.version, session=session)


@events.on_revoked
def _flag_on_revoke(session: Session, record: Any, reason: str) -> None:
    """Flag every active conversion that used the record (same transaction as the revocation)."""
    urn = f"urn:uuid:{record.id}"
    ids = accounts.merged_ids(session, record.account_id)
    rows = session.scalars(sa.select(Conversion).where(Conversion.account_id.in_(ids),
                                                       Conversion.status == ACTIVE))
    now = utcnow()
    for conv in rows:
        if urn in conv.outcomes:
            conv.status, conv.flagged_at = FLAGGED, now
            conv.flag_reason, conv.flag_record = (reason or "revoked")[:500], urn
    session.flush()


def view(conv: Conversion) -> dict[str, Any]:
    """A conversion as plain data."""
    return {"id": conv.ref, "account": f"urn:uuid:{conv.account_id}", "programme": conv.programme_id,
            "ruleset": {"id": conv.ruleset_id, "version": conv.ruleset_version, "content_hash": conv.ruleset_hash},
            "enrolment_ref": conv.enrolment_ref, "status": conv.status, "total": conv.plan["totals"]["total"],
            "outcomes": list(conv.outcomes), "plan": conv.plan,
            "institution": f"urn:uuid:{conv.institution_id}" if conv.institution_id else None,
            "created_by": conv.created_by, "created_at": timestamp(conv.created_at), "entry_index": conv.entry_index,
            "flagged_at": timestamp(conv.flagged_at) if conv.flagged_at else None, "flag_reason": conv.flag_reason,
            "flag_record": conv.flag_record,
            "superseded_by": f"urn:uuid:{conv.superseded_by}" if conv.superseded_by else None}
