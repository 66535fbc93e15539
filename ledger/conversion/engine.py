"""The conversion engine: the best plan of an account's outcomes for a programme, and rankings.

Pure functions: no I/O, no clock. `plan` screens the outcomes (revoked, not recognised, expired and
already used ones drop out before any exclusivity), builds the integer programme and solves it
exactly (see `solver` for the objective and the tie-breaking), then explains every outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal

from ledger.conversion import compose
from ledger.conversion.errors import NotApplicable
from ledger.conversion.model import Agreement, Outcome, Plan, Programme, Ranking, RuleSet
from ledger.conversion.problem import Screening, build, screen
from ledger.conversion.solver import best_total, solve


def plan(
    outcomes: Iterable[Outcome],
    programme: Programme,
    ruleset: RuleSet,
    as_of: date,
    *,
    already_used: frozenset[str] | set[str] = frozenset(),
    transfer: Sequence[Agreement] = (),
) -> Plan:
    """The optimal conversion plan; raises NotApplicable if the rule set does not apply."""
    _check(programme, ruleset, as_of)
    return plan_screened(screen(outcomes, ruleset, as_of), programme, already_used=already_used, transfer=transfer)


def plan_screened(
    screening: Screening,
    programme: Programme,
    *,
    already_used: frozenset[str] | set[str] = frozenset(),
    transfer: Sequence[Agreement] = (),
) -> Plan:
    """The plan for one programme from a screening that may be shared by many programmes."""
    ruleset = screening.ruleset
    problem = build(screening, programme, transfer, already_used)
    choices = solve(problem)
    choices += compose.assign_waivers(problem, choices)
    lines, binding = compose.lines(screening, problem, programme, choices)
    totals = compose.totals(programme, problem, choices)
    used_agreements = sorted({a.id for a in transfer for ch in choices if ch.option.rule.id.startswith(f"{a.id}#")})
    return Plan(
        programme_id=programme.id,
        programme_code=programme.code,
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        ruleset_hash=ruleset.content_hash,
        as_of=screening.as_of,
        lines=lines,
        totals=totals,
        remaining=compose.remaining(programme, totals, choices),
        binding=binding,
        agreements=tuple(used_agreements),
    )


def total_credits(
    outcomes: Iterable[Outcome],
    programme: Programme,
    ruleset: RuleSet,
    as_of: date,
    *,
    already_used: frozenset[str] | set[str] = frozenset(),
    transfer: Sequence[Agreement] = (),
) -> Decimal:
    """The optimal total alone (one solve, no tie-breaking): what ranking needs."""
    _check(programme, ruleset, as_of)
    problem = build(screen(outcomes, ruleset, as_of), programme, transfer, already_used)
    return compose.credits(best_total(problem))


def select_ruleset(programme: Programme, rulesets: Iterable[RuleSet], as_of: date) -> RuleSet | None:
    """The rule set for a programme on a date: in force, covering it, most specific, newest version."""
    fitting = [r for r in rulesets if r.in_force(as_of) and r.covers(programme)]
    if not fitting:
        return None
    return min(fitting, key=lambda r: (not r.scope.programme_codes, -r.version, r.id))


def rank(
    outcomes: Iterable[Outcome],
    programmes: Iterable[Programme],
    rulesets: Sequence[RuleSet],
    as_of: date,
    *,
    transfer: Sequence[Agreement] = (),
    choose: Callable[[Programme, Sequence[RuleSet], date], RuleSet | None] | None = None,
) -> list[Ranking]:
    """Programmes by the credits the account would bring, most first; those no rule set covers are left out.

    `choose` picks each programme's rule set (default `select_ruleset`); the screening of the
    outcomes is shared by every programme under the same rule set.
    """
    outcomes = tuple(outcomes)
    choose = choose or select_ruleset
    screenings: dict[tuple[str, int], Screening] = {}
    ranked: list[Ranking] = []
    for programme in programmes:
        ruleset = choose(programme, rulesets, as_of)
        if ruleset is None:
            continue
        key = (ruleset.id, ruleset.version)
        if key not in screenings:  # screening does not depend on the programme: do it once per rule set
            screenings[key] = screen(outcomes, ruleset, as_of)
        total = compose.credits(best_total(build(screenings[key], programme, transfer)))
        ranked.append(
            Ranking(
                programme_id=programme.id,
                programme_code=programme.code,
                programme_name=programme.name,
                ruleset_id=ruleset.id,
                total=total,
                share=(total / programme.total_credits).quantize(Decimal("0.0001")),
            )
        )
    ranked.sort(key=lambda r: (-r.total, -r.share, r.programme_code, r.programme_id))
    return ranked


def _check(programme: Programme, ruleset: RuleSet, as_of: date) -> None:
    if not ruleset.in_force(as_of):
        raise NotApplicable(f"rule set {ruleset.id} v{ruleset.version} is not in force on {as_of}")
    if not ruleset.covers(programme):
        raise NotApplicable(f"rule set {ruleset.id} v{ruleset.version} does not cover programme {programme.code}")
