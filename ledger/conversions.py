"""Credit conversion service: the published catalogue of programmes, rule sets and agreements.

The catalogue is the engine's data files (`ledger/conversion/data/`), validated by the engine's loader;
ids come from the files, so they are stable across restarts.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from ledger.conversion.loader import DATA, load_agreement, load_programme, load_ruleset
from ledger.errors import NotFound


def _norm(value: str) -> str:
    """An id as `urn:uuid:<lower-case uuid>`."""
    text = value.strip().lower()
    return text if text.startswith("urn:uuid:") else f"urn:uuid:{text}"


@cache
def _catalogue(kind: str) -> tuple[tuple[Any, dict[str, Any]], ...]:
    """(engine object, raw JSON) for every data file of one kind, sorted by file name."""
    loader = {"programmes": load_programme, "rulesets": load_ruleset, "agreements": load_agreement}[kind]
    out = []
    for path in sorted((Path(DATA) / kind).glob("*.json")):
        out.append((loader(path), json.loads(path.read_bytes())))
    return tuple(out)


def _view(obj: Any, raw: dict[str, Any]) -> dict[str, Any]:
    return {**raw, "id": _norm(obj.id), "content_hash": obj.content_hash}


def list_programmes() -> list[dict[str, Any]]:
    """Every published programme (专业培养方案)."""
    return [_view(p, raw) for p, raw in _catalogue("programmes")]


def get_programme(programme_id: str) -> dict[str, Any]:
    """One programme by id, or NotFound."""
    return _find("programmes", programme_id)


_PARSED: dict[str, Any] = {}  # content hash -> parsed published rule set


def _rulesets(session: Any) -> list[tuple[Any, dict[str, Any]]]:
    """Shipped rule set files, then versions operators published (oldest first)."""
    out = list(_catalogue("rulesets"))
    if session is None:
        return out
    import sqlalchemy as sa

    from ledger.conversion.loader import parse
    from ledger.conversion.schemas import RuleSetSchema
    from ledger.conversion_store import PublishedRuleSet

    for row in session.scalars(sa.select(PublishedRuleSet).order_by(PublishedRuleSet.entry_index)):
        obj = _PARSED.get(row.content_hash)
        if obj is None:
            obj = _PARSED.setdefault(row.content_hash, parse(row.body.encode("utf-8"), RuleSetSchema(), "published"))
        out.append((obj, json.loads(row.body)))
    return out


def ruleset_objects(session: Any) -> tuple[Any, ...]:
    """Every rule set version, shipped and published."""
    return tuple(r for r, _ in _rulesets(session))


def list_rulesets(session: Any = None) -> list[dict[str, Any]]:
    """Every rule set version: the shipped data files and the versions operators published."""
    return [_view(r, raw) for r, raw in _rulesets(session)]


def get_ruleset(ruleset_id: str, version: int | None = None, *, session: Any = None) -> dict[str, Any]:
    """One rule set: the newest version, or exactly `version`; NotFound otherwise."""
    wanted = _norm(ruleset_id)
    found = [(r, raw) for r, raw in _rulesets(session) if _norm(r.id) == wanted
             and (version is None or r.version == version)]
    if not found:
        raise NotFound(f"no rule set with id {ruleset_id!r}" + (f" and version {version}" if version else ""),
                       f"没有 id 为 {ruleset_id!r} 的转换规则" + (f"（版本 {version}）" if version else ""))
    return _view(*max(found, key=lambda pair: pair[0].version))


def list_agreements() -> list[dict[str, Any]]:
    """Every mutual-recognition agreement (学分互认)."""
    return [_view(a, raw) for a, raw in _catalogue("agreements")]


def _find(kind: str, object_id: str) -> dict[str, Any]:
    wanted = _norm(object_id)
    for obj, raw in _catalogue(kind):
        if _norm(obj.id) == wanted:
            return _view(obj, raw)
    raise NotFound(f"no {kind[:-1]} with id {object_id!r}", f"没有 id 为 {object_id!r} 的对象")


# --------------------------------------------------------------------------- preview (what-if)


def account_outcomes(session: Any, account_id: Any) -> list[Any]:
    """The engine outcomes of an account's records (merged accounts included)."""
    import sqlalchemy as sa

    from ledger import accounts
    from ledger.records.credential import outcome_from_record
    from ledger.records.models import LearningRecord, Recognition, RecordStatus
    from ledger.records.service import institutions_of

    ids = accounts.merged_ids(session, account_id)
    rows = session.scalars(sa.select(LearningRecord).where(
        LearningRecord.account_id.in_(ids), LearningRecord.status != RecordStatus.SUPERSEDED.value)
        .order_by(LearningRecord.entry_index)).all()
    insts = institutions_of(session, rows)
    out = []
    for rec in rows:
        inst = insts[rec.institution_id]
        out.append(outcome_from_record(
            rec.kind, rec.outcome, record_id=rec.id, occurred_on=rec.occurred_on, issuer_id=rec.issuer,
            issuer_kind=inst.kind,
            recognised=rec.recognition in (Recognition.RECOGNISED.value, Recognition.NOT_NEEDED.value),
            revoked=rec.status in (RecordStatus.REVOKED.value, RecordStatus.SUSPENDED.value),
            institution_id=f"urn:uuid:{rec.institution_id}"))
    return out


def preview(session: Any, actor: Any, account_id: Any, programme_id: str, ruleset_id: str | None,
            as_of: Any, reason: str | None) -> Any:
    """The best plan for an account's outcomes against a programme; changes nothing but the access log."""
    from ledger import accounts

    account = accounts.get_account_for(session, actor, account_id, reason)
    from ledger import conversion_store

    used = conversion_store.used_outcomes(session, accounts.merged_ids(session, account.id), _norm(programme_id))
    return compute_plan(session, account.id, programme_id, ruleset_id, as_of, used)


def compute_plan(session: Any, account_id: Any, programme_id: str, ruleset_id: str | None, as_of: Any,
                 already_used: frozenset[str]) -> Any:
    """The best plan for an account (no access checks: callers have made them)."""
    import datetime as dt

    from ledger.conversion import NotApplicable, default_agreements, plan, select_ruleset
    from ledger.errors import Invalid
    from ledger.errors import NotFound as _NotFound

    wanted = _norm(programme_id)
    programme = next((p for p, _ in _catalogue("programmes") if _norm(p.id) == wanted), None)
    if programme is None:
        raise _NotFound(f"no programme with id {programme_id!r}", f"没有 id 为 {programme_id!r} 的专业")
    day = as_of or dt.date.today()
    every = ruleset_objects(session)
    if ruleset_id:
        rs_wanted = _norm(ruleset_id)
        ruleset = max((r for r in every if _norm(r.id) == rs_wanted), key=lambda r: r.version, default=None)
    else:
        ruleset = select_ruleset(programme, every, day)
    if ruleset is None:
        raise _NotFound("no rule set applies to this programme on that date", "该日期没有适用于该专业的转换规则")
    try:
        return plan(account_outcomes(session, account_id), programme, ruleset, day, already_used=already_used,
                    transfer=default_agreements())
    except NotApplicable as exc:
        raise Invalid(f"the rule set does not apply: {exc}", "该转换规则不适用于此专业或日期") from None


def plan_view(p: Any) -> dict[str, Any]:
    """A plan as plain data (credits as decimal strings)."""
    return {
        "programme": p.programme_id, "ruleset": {"id": p.ruleset_id, "version": p.ruleset_version,
                                                  "content_hash": p.ruleset_hash},
        "as_of": p.as_of.isoformat(),
        "lines": [{"outcome": ln.outcome_id, "status": str(ln.status), "rule": ln.rule_id,
                   "courses": list(ln.courses), "pool": ln.pool, "credits": str(ln.credits), "grade": ln.grade,
                   "explanation": {"zh": ln.explanation_zh, "en": ln.explanation_en}} for ln in p.lines],
        "totals": {"total": str(p.totals.total), "course_credits": str(p.totals.course_credits),
                   "pool_credits": str(p.totals.pool_credits),
                   "by_category": {str(k): str(v) for k, v in p.totals.by_category.items()},
                   "by_pool": {k: str(v) for k, v in p.totals.by_pool.items()}},
        "remaining": {"total": str(p.remaining.total), "courses": list(p.remaining.courses),
                      "waived": list(p.remaining.waived),
                      "by_category": {str(k): str(v) for k, v in p.remaining.by_category.items()}},
        "binding": list(p.binding), "agreements": list(p.agreements),
    }


def ranking(session: Any, actor: Any, account_id: Any, as_of: Any, reason: str | None) -> list[dict[str, Any]]:
    """Every programme by the credits the account would bring, most first (ties: share, code, id)."""
    import datetime as dt

    from ledger import accounts
    from ledger.conversion import default_agreements, rank

    account = accounts.get_account_for(session, actor, account_id, reason)
    ranked = rank(account_outcomes(session, account.id), [p for p, _ in _catalogue("programmes")],
                  ruleset_objects(session), as_of or dt.date.today(), transfer=default_agreements())
    return [{"programme": _norm(r.programme_id), "code": r.programme_code, "name": r.programme_name,
             "ruleset": _norm(r.ruleset_id), "credits": str(r.total), "share": str(r.share)} for r in ranked]
