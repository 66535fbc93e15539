"""From outcomes, programme and rules to the optimisation problem, in integer hundredths of a credit.

Two steps: `screen` (independent of the programme, so ranking many programmes does it once) drops
outcomes that are duplicated by id, already used, revoked, not recognised or past their own expiry,
and finds the rules each remaining outcome matches; `build` turns that into options for one
programme, drops rules whose validity period has passed, and collects every cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from ledger.conversion.agreements import agreement_rules
from ledger.conversion.exclusivity import group_keys, ladder_rank
from ledger.conversion.matching import (
    applies_to_programme,
    course_targets,
    grant_value,
    is_valid,
    matches,
    pool_targets,
    valid_until,
)
from ledger.conversion.model import (
    Agreement,
    CourseCategory,
    GrantMode,
    Limit,
    LineStatus,
    Outcome,
    Programme,
    Rule,
    RuleSet,
)


def cents(value: Decimal) -> int:
    """Credits as integer hundredths, rounded down (caps never round up)."""
    return int((value * 100).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why an outcome does not enter the optimisation: a status, a reason code and its details."""

    status: LineStatus
    reason: str
    rule_id: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Option:
    """One way an outcome may convert: under one rule, into a pool or some of a list of courses."""

    outcome: str
    rule: Rule
    mode: GrantMode
    value: int  # most hundredths this option may grant
    courses: tuple[str, ...] = ()  # COURSE/WAIVER: candidate course codes, programme order
    max_courses: int = 1
    pool: str | None = None  # POOL: pool name


@dataclass(frozen=True, slots=True)
class Choice:
    """What the optimiser gave one option: the courses replaced and the credits in hundredths."""

    option: Option
    courses: tuple[str, ...]
    credits: int


@dataclass(frozen=True, slots=True)
class Screening:
    """Programme-independent screening of an account's outcomes under one rule set."""

    ruleset: RuleSet
    as_of: date
    order: tuple[Outcome, ...]  # every outcome, canonical order (issued_on, id)
    verdicts: Mapping[str, Verdict]  # outcomes already out
    matched: Mapping[str, tuple[Rule, ...]]  # rule-set rules each remaining outcome matches


@dataclass(frozen=True, slots=True)
class Problem:
    """Everything the optimiser needs, in integer hundredths."""

    priority: tuple[str, ...]  # eligible outcome ids, preferred first (tie-breaking)
    options: tuple[Option, ...]
    waivers: tuple[Option, ...]
    groups: tuple[tuple[str, ...], ...]  # at most one outcome of each group converts
    group_names: tuple[str, ...]
    course_credits: Mapping[str, int]
    course_category: Mapping[str, CourseCategory]
    pool_category: Mapping[str, CourseCategory]
    category_caps: Mapping[CourseCategory, int]
    pool_caps: Mapping[str, int]
    rule_caps: Mapping[str, tuple[int | None, int | None]]  # rule id → (credits, count)
    source_caps: Mapping[str, tuple[int | None, int | None]]  # rule group → (credits, count)
    total_cap: int
    verdicts: Mapping[str, Verdict]  # outcomes that do not enter, including no_rule and expired


def screen(outcomes: Iterable[Outcome], ruleset: RuleSet, as_of: date) -> Screening:
    """Drop what can never convert and match the rest against the rule set."""
    order = tuple(sorted(outcomes, key=lambda o: (o.issued_on, o.id)))
    verdicts: dict[str, Verdict] = {}
    matched: dict[str, tuple[Rule, ...]] = {}
    unique: dict[str, Outcome] = {}
    for outcome in order:
        unique.setdefault(outcome.id, outcome)  # the same record handed twice is one outcome
    order = tuple(unique.values())
    for outcome in order:
        verdict = _gate(outcome, as_of)
        if verdict is not None:
            verdicts[outcome.id] = verdict
            continue
        matched[outcome.id] = tuple(r for r in ruleset.rules if matches(r.matcher, outcome))
    return Screening(ruleset=ruleset, as_of=as_of, order=order, verdicts=verdicts, matched=matched)


def _gate(outcome: Outcome, as_of: date) -> Verdict | None:
    if outcome.revoked:
        return Verdict(LineStatus.REVOKED, "revoked")
    if not outcome.recognised:
        return Verdict(LineStatus.NOT_RECOGNISED, "not_recognised")
    if outcome.issued_on > as_of:
        return Verdict(LineStatus.EXPIRED, "not_yet_issued", detail=outcome.issued_on.isoformat())
    if outcome.expires_on is not None and outcome.expires_on < as_of:
        return Verdict(LineStatus.EXPIRED, "own_expiry", detail=outcome.expires_on.isoformat())
    return None


def build(
    screening: Screening,
    programme: Programme,
    agreements: Sequence[Agreement] = (),
    already_used: frozenset[str] | set[str] = frozenset(),
) -> Problem:
    """The optimisation problem of one programme; already_used: outcomes used for it before."""
    ruleset, as_of = screening.ruleset, screening.as_of
    transfer = agreement_rules(agreements, programme, as_of) if agreements else ()
    verdicts = dict(screening.verdicts)
    options: list[Option] = []
    waivers: list[Option] = []
    eligible: list[Outcome] = []
    rule_by_id: dict[str, Rule] = {}
    for outcome in screening.order:
        if outcome.id not in screening.matched:
            continue
        if outcome.id in already_used:
            verdicts[outcome.id] = Verdict(LineStatus.ALREADY_USED, "already_used")
            continue
        rules = screening.matched[outcome.id]
        if transfer:
            rules = rules + tuple(r for r in transfer if matches(r.matcher, outcome))
        found, expired_rule = _options(outcome, rules, programme, ruleset, as_of)
        if found:
            eligible.append(outcome)
            for option in found:
                rule_by_id[option.rule.id] = option.rule
                (waivers if option.mode == GrantMode.WAIVER else options).append(option)
        elif expired_rule is not None:
            rule, until = expired_rule
            verdicts[outcome.id] = Verdict(LineStatus.EXPIRED, "rule_expired", rule.id, until.isoformat())
        elif rules:
            verdicts[outcome.id] = Verdict(LineStatus.NO_RULE, "no_target", rules[0].id)
        else:
            verdicts[outcome.id] = Verdict(LineStatus.NO_RULE, "no_rule")
    priority = tuple(
        o.id for o in sorted(eligible, key=lambda o: (-ladder_rank(o, ruleset), o.issued_on, o.id))
    )
    members: dict[str, list[str]] = {}
    for outcome in eligible:
        for key in group_keys(outcome, ruleset):
            members.setdefault(key, []).append(outcome.id)
    grouped = sorted((k, tuple(v)) for k, v in members.items() if len(v) > 1)
    return Problem(
        priority=priority,
        options=tuple(options),
        waivers=tuple(waivers),
        groups=tuple(v for _, v in grouped),
        group_names=tuple(k for k, _ in grouped),
        course_credits={c.code: cents(c.credits) for c in programme.courses},
        course_category={c.code: c.category for c in programme.courses},
        pool_category={p.name: p.category for p in programme.pools},
        category_caps=_category_caps(programme, ruleset),
        pool_caps=_pool_caps(programme, ruleset),
        rule_caps={rid: _limit(r.limit, programme) for rid, r in sorted(rule_by_id.items())},
        source_caps={g: _limit(lim, programme) for g, lim in ruleset.caps.groups},
        total_cap=_share(ruleset.caps.total_share, programme.total_credits),
        verdicts=verdicts,
    )


def _options(
    outcome: Outcome, rules: Iterable[Rule], programme: Programme, ruleset: RuleSet, as_of: date
) -> tuple[list[Option], tuple[Rule, date] | None]:
    """Options of one outcome, and a rule it would have matched but for its validity period."""
    found: list[Option] = []
    expired: tuple[Rule, date] | None = None
    for rule in rules:
        if not applies_to_programme(rule.matcher, outcome, programme):
            continue
        value = grant_value(rule.grant, outcome, ruleset)
        if value is not None and value <= 0 and rule.grant.mode != GrantMode.WAIVER:
            continue
        courses = course_targets(rule.grant, outcome, programme, ruleset, value)
        pools = pool_targets(rule.grant, programme)
        if not courses and not pools:
            continue
        if not is_valid(outcome, rule, as_of):
            until = valid_until(outcome, rule)
            if expired is None and until is not None:
                expired = (rule, until)
            continue
        mode = rule.grant.mode
        if mode == GrantMode.POOL:
            for pool in pools:
                cap = cents(pool.ceiling) if value is None else min(cents(value), cents(pool.ceiling))
                found.append(Option(outcome.id, rule, mode, cap, pool=pool.name))
        else:
            codes = tuple(c.code for c in courses)
            every = sum(cents(c.credits) for c in courses)
            cap = every if value is None or mode == GrantMode.WAIVER else min(every, cents(value))
            found.append(Option(outcome.id, rule, mode, cap, codes, max(1, rule.grant.max_courses)))
    return found, expired


def _share(share: Decimal | None, of: Decimal) -> int:
    return cents(of) if share is None else cents(share * of)


def _limit(limit: Limit, programme: Programme) -> tuple[int | None, int | None]:
    credits: int | None = None
    if limit.credits is not None:
        credits = cents(limit.credits)
    if limit.share is not None:
        by_share = cents(limit.share * programme.total_credits)
        credits = by_share if credits is None else min(credits, by_share)
    return credits, limit.count


def _category_caps(programme: Programme, ruleset: RuleSet) -> dict[CourseCategory, int]:
    caps = {cat: cents(programme.credits_in(cat)) for cat in CourseCategory}
    caps[CourseCategory.GRADUATION] = 0  # never converted
    for cat, limit in ruleset.caps.categories:
        credits, _ = _limit(limit, programme)
        if credits is not None:
            caps[cat] = min(caps[cat], credits)
    if ruleset.caps.core_share is not None:
        core = _share(ruleset.caps.core_share, programme.credits_in(CourseCategory.CORE))
        caps[CourseCategory.CORE] = min(caps[CourseCategory.CORE], core)
    return caps


def _pool_caps(programme: Programme, ruleset: RuleSet) -> dict[str, int]:
    by_slot = dict(ruleset.caps.pools)
    caps: dict[str, int] = {}
    for pool in programme.pools:
        cap = cents(pool.ceiling)
        if pool.slot in by_slot:
            credits, _ = _limit(by_slot[pool.slot], programme)
            if credits is not None:
                cap = min(cap, credits)
        caps[pool.name] = cap
    return caps
