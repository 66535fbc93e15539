"""Whether a rule applies to an outcome, what it is worth, and which courses or pools it may fill."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_FLOOR, Decimal

from ledger.conversion.model import (
    Course,
    CourseCategory,
    Grant,
    GrantMode,
    Matcher,
    Outcome,
    Pool,
    Programme,
    Rule,
    RuleSet,
    TeamRole,
)

HOURS_PER_CREDIT = Decimal(16)  # 1 credit = 16 class hours (research/domain.md §1.4, C24)
CENT = Decimal("0.01")


def floor_cents(value: Decimal) -> Decimal:
    """Round down to hundredths: a rule never grants more than it allows."""
    return value.quantize(CENT, rounding=ROUND_FLOOR)


def related(outcome: Outcome, occupations: tuple[str, ...], subjects: tuple[str, ...]) -> bool:
    """Whether an outcome relates to a course or programme by occupation prefix or subject key."""
    if outcome.occupation_code and any(outcome.occupation_code.startswith(p) for p in occupations):
        return True
    return outcome.subject_area is not None and outcome.subject_area in subjects


def _at_least(value: Decimal | None, minimum: Decimal | None) -> bool:
    return minimum is None or (value is not None and value >= minimum)


def _within(value: object, allowed: frozenset | None) -> bool:  # type: ignore[type-arg]
    return allowed is None or value in allowed


def matches(matcher: Matcher, outcome: Outcome) -> bool:
    """Whether an outcome meets a matcher's outcome conditions (programme conditions aside)."""
    if outcome.kind not in matcher.kinds:
        return False
    if not (
        _within(outcome.level, matcher.levels)
        and _within(outcome.scheme, matcher.schemes)
        and _within(outcome.scheme_level, matcher.scheme_levels)
        and _within(outcome.award_scope, matcher.award_scopes)
        and _within(outcome.award_rank, matcher.award_ranks)
        and _within(outcome.organiser_type, matcher.organiser_types)
        and _within(outcome.issuer_kind, matcher.issuer_kinds)
        and _within(outcome.subject_area, matcher.subject_areas)
        and _within(outcome.course_code, matcher.course_codes)
        and _within(outcome.institution_id, matcher.institutions)
    ):
        return False
    if outcome.organiser_type is not None and outcome.organiser_type in matcher.exclude_organiser_types:
        return False
    if matcher.occupation_prefixes is not None and not (
        outcome.occupation_code and any(outcome.occupation_code.startswith(p) for p in matcher.occupation_prefixes)
    ):
        return False
    if matcher.requires_pass and outcome.passed is not True:
        return False
    return (
        _at_least(outcome.hours, matcher.min_hours)
        and _at_least(outcome.score, matcher.min_score)
        and _at_least(outcome.attendance, matcher.min_attendance)
        and _at_least(outcome.practice_years, matcher.min_practice_years)
    )


def applies_to_programme(matcher: Matcher, outcome: Outcome, programme: Programme) -> bool:
    """Whether a matcher's programme conditions (code prefixes, relatedness) hold."""
    if matcher.programme_prefixes is not None and not programme.code.startswith(matcher.programme_prefixes):
        return False
    if matcher.exclude_programme_prefixes and programme.code.startswith(matcher.exclude_programme_prefixes):
        return False
    return not matcher.related or related(outcome, programme.occupations, programme.subjects)


def valid_until(outcome: Outcome, rule: Rule) -> date | None:
    """Last day a rule still accepts the outcome (None: no limit)."""
    if rule.validity_years is None:
        return None
    issued = outcome.issued_on
    try:
        return issued.replace(year=issued.year + rule.validity_years)
    except ValueError:  # 29 February in a non-leap target year
        return issued.replace(year=issued.year + rule.validity_years, day=28)


def is_valid(outcome: Outcome, rule: Rule, as_of: date) -> bool:
    """Whether the outcome is still within the rule's validity period on as_of."""
    until = valid_until(outcome, rule)
    return until is None or as_of <= until


def own_credit_value(outcome: Outcome) -> Decimal | None:
    """Credits an outcome itself carries: its credits, else its hours at 16 h per credit."""
    if outcome.credits is not None:
        return outcome.credits
    if outcome.hours is not None:
        return floor_cents(outcome.hours / HOURS_PER_CREDIT)
    return None


def grant_value(grant: Grant, outcome: Outcome, ruleset: RuleSet) -> Decimal | None:
    """Most credits one outcome may get under a grant; None means only caps bound it."""
    value: Decimal | None = grant.credits
    if grant.credits_by_rank:
        value = dict(grant.credits_by_rank).get(outcome.award_rank or 0, Decimal(0))
    if grant.per_hours is not None:
        units = (outcome.hours or Decimal(0)) // grant.per_hours  # whole units only
        value = units * (grant.credits or Decimal(1))
    if grant.per_years is not None:
        units = (outcome.practice_years or Decimal(0)) // grant.per_years
        value = units * (grant.credits or Decimal(1))
    if grant.per_credit is not None:  # the outcome's own credits (or hours / 16), at a rate
        value = (own_credit_value(outcome) or Decimal(0)) * grant.per_credit
    if value is not None and outcome.team_role == TeamRole.MEMBER:
        value -= grant.member_deduction
    for cap in (grant.max_credits, ruleset.caps.per_outcome):
        if cap is not None:
            value = cap if value is None else min(value, cap)
    return None if value is None else max(floor_cents(value), Decimal(0))


def course_targets(
    grant: Grant, outcome: Outcome, programme: Programme, ruleset: RuleSet, value: Decimal | None
) -> tuple[Course, ...]:
    """Courses of the programme this grant may replace or waive for this outcome."""
    if grant.mode == GrantMode.POOL:
        return ()
    own = own_credit_value(outcome) if grant.cover else None
    found = []
    for course in programme.courses:
        if course.category == CourseCategory.GRADUATION or not course.replaceable:
            continue  # 毕业设计/论文 and protected courses are never replaced
        if grant.course_codes:
            if course.code not in grant.course_codes:
                continue
        elif course.category not in grant.categories:
            continue
        if course.category == CourseCategory.PRACTICE and outcome.kind not in ruleset.practice_kinds:
            continue  # 实训/岗位实习 only by practice-type outcomes
        if grant.course_related and not related(outcome, course.occupations, course.subjects):
            continue
        if grant.cover and (own is None or own < course.credits):
            continue  # equivalence needs at least the target's credits (C24)
        if grant.mode == GrantMode.COURSE and value is not None and course.credits > value:
            continue  # a whole course that does not fit the outcome's value can never be granted
        found.append(course)
    return tuple(found)


def pool_targets(grant: Grant, programme: Programme) -> tuple[Pool, ...]:
    """Pools of the programme this grant may credit."""
    if grant.mode != GrantMode.POOL:
        return ()
    return tuple(pool for pool in programme.pools if pool.slot in grant.pools)
