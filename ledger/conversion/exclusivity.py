"""Exclusivity groups (at most one member converts) and the standing used to break ties.

Groups are constraints of the optimisation, not a pre-filter: among a worker's certificates of one
occupation at most one converts, and the optimiser picks the one that grants most (on a tie, the
higher level). A strict "only the highest may count" filter would let removing a certificate raise
the total, which a plan must never do.
"""

from __future__ import annotations

from ledger.conversion.model import Outcome, OutcomeKind, RuleSet, TeamRole

_LEVELLED = frozenset({OutcomeKind.SKILL_LEVEL, OutcomeKind.VOCATIONAL_QUALIFICATION})


def ladder_rank(outcome: Outcome, ruleset: RuleSet) -> int:
    """Position of the outcome on its ladder: higher is better, 0 when it has none."""
    if outcome.kind in _LEVELLED and outcome.level is not None:
        return 10 - outcome.level  # level 1 (高级技师) is the top of the five-level ladder
    if outcome.kind == OutcomeKind.COMPETITION_AWARD and outcome.award_rank is not None:
        team = 0 if outcome.team_role == TeamRole.MEMBER else 1
        return 2 * (10 - outcome.award_rank) + team
    if outcome.scheme is not None and outcome.scheme_level is not None:
        levels = dict(ruleset.ladders).get(outcome.scheme, ())
        if outcome.scheme_level in levels:
            return 1 + levels.index(outcome.scheme_level)
    return 0


def ladder_key(outcome: Outcome, ruleset: RuleSet) -> str | None:
    """Key of the ladder group: same occupation, same competition event, or same scheme and subject."""
    if outcome.kind in _LEVELLED and outcome.occupation_code and outcome.level is not None:
        return f"occupation:{outcome.occupation_code}"
    if outcome.kind == OutcomeKind.COMPETITION_AWARD and outcome.event_id:
        return f"event:{outcome.event_id}"
    if outcome.scheme is not None and outcome.scheme in dict(ruleset.ladders):
        return f"scheme:{outcome.scheme}:{outcome.subject_area or outcome.occupation_code or ''}"
    return None


def content_key(outcome: Outcome) -> str | None:
    """Key of the same achievement posted twice; None when the outcome names nothing to compare."""
    named = (
        outcome.course_code,
        outcome.course_name,
        outcome.scheme_level,
        outcome.occupation_code,
        outcome.event_id,
    )
    if not any(named):
        return None  # e.g. two unnamed trainings by one body are different trainings
    parts = (
        outcome.kind,
        outcome.institution_id or outcome.issuer_id,
        outcome.scheme,
        outcome.level,
        outcome.award_rank,
        outcome.subject_area,
        *named,
    )
    return "same:" + "|".join("" if p is None else str(p) for p in parts)


def group_keys(outcome: Outcome, ruleset: RuleSet) -> tuple[str, ...]:
    """Every exclusivity group the outcome belongs to."""
    return tuple(k for k in (ladder_key(outcome, ruleset), content_key(outcome)) if k)
