"""Turn the optimiser's choices into plan lines, totals and what the programme still requires."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ledger.conversion import explain
from ledger.conversion.exclusivity import content_key, group_keys, ladder_key, ladder_rank
from ledger.conversion.model import (
    CourseCategory,
    GradeMode,
    GrantMode,
    Line,
    LineStatus,
    Outcome,
    Programme,
    Remaining,
    RuleSet,
    Totals,
)
from ledger.conversion.problem import Choice, Option, Problem, Screening

_ZERO = Decimal(0)


def credits(hundredths: int) -> Decimal:
    """Integer hundredths back to a Decimal credit value."""
    # normalize() drops trailing zeros ("2.5", not "2.50"); adding 0 turns its "1E+1" back into "10".
    return (Decimal(hundredths) / 100).normalize() + _ZERO


def assign_waivers(problem: Problem, choices: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """Waivers grant no credit, so they never change the optimum: give them afterwards, greedily.

    In priority order, an outcome that did not convert (and whose exclusivity groups did not)
    waives the first of its candidate courses that no other outcome replaced or waived, while its
    rule and source group still have room under their count caps.
    """
    if not problem.waivers:
        return ()
    counted: dict[tuple[str, str], int] = defaultdict(int)
    for ch in choices:
        for key in _count_keys(ch.option):
            counted[key] += 1
    used = {ch.option.outcome for ch in choices}
    taken = {code for ch in choices for code in ch.courses}
    blocked = {key for o in used for key in problem_groups(problem, o)}
    rank = {o: k for k, o in enumerate(problem.priority)}
    out: list[Choice] = []
    for option in sorted(problem.waivers, key=lambda w: rank[w.outcome]):
        if option.outcome in used or blocked & problem_groups(problem, option.outcome):
            continue
        free = [c for c in option.courses if c not in taken]
        if not free or any(counted[k] >= _count_cap(problem, k) for k in _count_keys(option)):
            continue
        for key in _count_keys(option):
            counted[key] += 1
        out.append(Choice(option, (free[0],), 0))
        used.add(option.outcome)
        taken.add(free[0])
        blocked |= problem_groups(problem, option.outcome)
    return tuple(out)


def _count_keys(option: Option) -> list[tuple[str, str]]:
    keys = [("rule", option.rule.id)]
    if option.rule.group:
        keys.append(("source", option.rule.group))
    return keys


def _count_cap(problem: Problem, key: tuple[str, str]) -> float:
    kind, name = key
    table = problem.rule_caps if kind == "rule" else problem.source_caps
    count = table.get(name, (None, None))[1]
    return float("inf") if count is None else count


def problem_groups(problem: Problem, outcome: str) -> set[str]:
    """Names of the exclusivity groups an eligible outcome belongs to."""
    return {name for name, members in zip(problem.group_names, problem.groups, strict=True) if outcome in members}


def grade(mode: GradeMode, outcome: Outcome) -> str:
    """The grade recorded for a replaced course."""
    if mode == GradeMode.EXEMPT:
        return "免考"
    if mode == GradeMode.CERTIFICATE_GRADE and outcome.score is not None:
        return str(outcome.score.normalize())
    # fixed mapping (also certificate_grade without a score): 合格/通过 = 60, 良好/优秀 = 80 (C23)
    return "80" if outcome.score is not None and outcome.score >= 80 else "60"


def lines(
    screening: Screening,
    problem: Problem,
    programme: Programme,
    choices: tuple[Choice, ...],
) -> tuple[tuple[Line, ...], tuple[str, ...]]:
    """A line per outcome (canonical order) and the caps that cut some outcome."""
    ruleset = screening.ruleset
    by_outcome = {ch.option.outcome: ch for ch in choices}
    usage = _usage(problem, choices)
    options: dict[str, list[Option]] = defaultdict(list)
    for option in problem.options + problem.waivers:
        options[option.outcome].append(option)
    outcomes = {o.id: o for o in screening.order}
    group_of = {o: set(group_keys(outcomes[o], ruleset)) for o in problem.priority}
    binding: set[str] = set()
    out: list[Line] = []
    for outcome in screening.order:
        verdict = problem.verdicts.get(outcome.id)
        if verdict is not None:
            zh, en = explain.reason(verdict.reason, verdict.rule_id, verdict.detail)
            out.append(Line(outcome.id, verdict.status, verdict.rule_id, explanation_zh=zh, explanation_en=en))
            continue
        choice = by_outcome.get(outcome.id)
        if choice is not None:
            line, cut = _chosen(outcome, choice, programme, problem, usage)
            binding.update(f"{k}:{n}" if n else k for k, n in cut)
            out.append(line)
            continue
        mate = _converted_mate(outcome, by_outcome, outcomes, ruleset, group_of)
        if mate is not None:
            other, same = mate
            zh, en = explain.superseded(other, same)
            status = LineStatus.DUPLICATE if same else LineStatus.SUPERSEDED
            out.append(Line(outcome.id, status, explanation_zh=zh, explanation_en=en))
            continue
        keys = sorted({k for option in options[outcome.id] for k in _full(problem, option, usage)})
        binding.update(f"{k}:{n}" if n else k for k, n in keys if k != "courses")
        zh, en = explain.capped(keys, _ZERO)
        rule_id = options[outcome.id][0].rule.id if options[outcome.id] else None
        out.append(Line(outcome.id, LineStatus.CAPPED, rule_id, explanation_zh=zh, explanation_en=en))
    return tuple(out), tuple(sorted(binding))


def _chosen(
    outcome: Outcome, choice: Choice, programme: Programme, problem: Problem, usage: dict[tuple[str, str], int]
) -> tuple[Line, list[tuple[str, str]]]:
    option, rule = choice.option, choice.option.rule
    amount = credits(choice.credits)
    if option.mode == GrantMode.WAIVER:
        zh, en = explain.waiver(rule, programme, choice.courses[0])
        return Line(outcome.id, LineStatus.WAIVER, rule.id, choice.courses, explanation_zh=zh, explanation_en=en), []
    if option.mode == GrantMode.COURSE:
        mark = grade(rule.grant.grade_mode, outcome)
        zh, en = explain.courses(rule, programme, choice.courses, amount, mark)
        line = Line(
            outcome.id,
            LineStatus.COURSE_REPLACED,
            rule.id,
            choice.courses,
            credits=amount,
            grade=mark,
            grade_mode=rule.grant.grade_mode,
            explanation_zh=zh,
            explanation_en=en,
        )
        return line, []
    if choice.credits < option.value:
        keys = _full(problem, option, usage)
        zh, en = explain.capped(keys, amount)
        status = LineStatus.CAPPED
    else:
        keys = []
        zh, en = explain.pool(rule, option.pool or "", amount)
        status = LineStatus.POOL_CREDITS
    line = Line(outcome.id, status, rule.id, pool=option.pool, credits=amount, explanation_zh=zh, explanation_en=en)
    return line, keys


def _converted_mate(
    outcome: Outcome,
    by_outcome: dict[str, Choice],
    outcomes: dict[str, Outcome],
    ruleset: RuleSet,
    group_of: dict[str, set[str]],
) -> tuple[str, bool] | None:
    for other_id in sorted(by_outcome):
        other = outcomes[other_id]
        if other_id == outcome.id or not group_of[outcome.id] & group_of[other_id]:
            continue
        same = content_key(outcome) is not None and content_key(outcome) == content_key(other)
        same = same or (
            ladder_key(outcome, ruleset) is not None
            and ladder_key(outcome, ruleset) == ladder_key(other, ruleset)
            and ladder_rank(outcome, ruleset) == ladder_rank(other, ruleset)
        )
        return other_id, same
    return None


def _option_keys(problem: Problem, option: Option, code: str | None) -> list[tuple[str, str]]:
    category = problem.course_category[code] if code else problem.pool_category[option.pool or ""]
    keys = [("total", ""), ("category", str(category)), ("rule", option.rule.id)]
    if option.rule.group:
        keys.append(("source", option.rule.group))
    if option.pool:
        keys.append(("pool", option.pool))
    return keys


def _cap(problem: Problem, kind: str, name: str) -> int | None:
    if kind == "total":
        return problem.total_cap
    if kind == "category":
        return problem.category_caps[CourseCategory(name)]
    if kind == "pool":
        return problem.pool_caps[name]
    table = problem.rule_caps if kind == "rule" else problem.source_caps
    return table.get(name, (None, None))[0]


def _usage(problem: Problem, choices: tuple[Choice, ...]) -> dict[tuple[str, str], int]:
    used: dict[tuple[str, str], int] = defaultdict(int)
    for ch in choices:
        if ch.option.mode == GrantMode.COURSE:
            for code in ch.courses:
                for key in _option_keys(problem, ch.option, code):
                    used[key] += problem.course_credits[code]
                used[("courses", code)] = 1
        elif ch.option.mode == GrantMode.POOL:
            for key in _option_keys(problem, ch.option, None):
                used[key] += ch.credits
        else:
            used[("courses", ch.courses[0])] = 1
    return used


def _full(problem: Problem, option: Option, usage: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    """Caps (and taken courses) that stop an option from granting more."""
    full: set[tuple[str, str]] = set()
    if option.mode == GrantMode.POOL:
        for kind, name in _option_keys(problem, option, None):
            cap = _cap(problem, kind, name)
            if cap is not None and usage.get((kind, name), 0) >= cap:
                full.add((kind, name))
        return sorted(full)
    free = [c for c in option.courses if not usage.get(("courses", c))]
    if not free:
        return [("courses", "")]
    for code in free:
        for kind, name in _option_keys(problem, option, code):
            cap = _cap(problem, kind, name)
            if cap is not None and usage.get((kind, name), 0) + problem.course_credits[code] > cap:
                full.add((kind, name))
    return sorted(full)


def totals(programme: Programme, problem: Problem, choices: tuple[Choice, ...]) -> Totals:
    """Credits granted, by category and pool."""
    by_category: dict[CourseCategory, Decimal] = {}
    by_pool: dict[str, Decimal] = {}
    course_total = pool_total = 0
    for ch in choices:
        if ch.option.mode == GrantMode.COURSE:
            course_total += ch.credits
            for code in ch.courses:
                cat = problem.course_category[code]
                by_category[cat] = by_category.get(cat, _ZERO) + credits(problem.course_credits[code])
        elif ch.option.mode == GrantMode.POOL and ch.option.pool is not None:
            pool_total += ch.credits
            cat = problem.pool_category[ch.option.pool]
            by_category[cat] = by_category.get(cat, _ZERO) + credits(ch.credits)
            by_pool[ch.option.pool] = by_pool.get(ch.option.pool, _ZERO) + credits(ch.credits)
    return Totals(
        total=credits(course_total + pool_total),
        by_category=dict(sorted(by_category.items())),
        by_pool=dict(sorted(by_pool.items())),
        course_credits=credits(course_total),
        pool_credits=credits(pool_total),
    )


def remaining(programme: Programme, plan_totals: Totals, choices: tuple[Choice, ...]) -> Remaining:
    """What the programme still requires; a waived course's credits move to electives."""
    replaced = {c for ch in choices if ch.option.mode == GrantMode.COURSE for c in ch.courses}
    waived = tuple(c.code for c in programme.courses if any(
        ch.option.mode == GrantMode.WAIVER and c.code in ch.courses for ch in choices
    ))
    need = {cat: programme.credits_in(cat) for cat in CourseCategory}
    for code in waived:
        course = programme.course(code)
        need[course.category] -= course.credits
        need[CourseCategory.ELECTIVE] += course.credits
    by_category = {
        cat: max(need[cat] - plan_totals.by_category.get(cat, _ZERO), _ZERO) for cat in CourseCategory if need[cat]
    }
    left = tuple(
        c.code
        for c in programme.courses
        if c.category != CourseCategory.ELECTIVE and c.code not in replaced and c.code not in waived
    )
    return Remaining(
        total=max(programme.total_credits - plan_totals.total, _ZERO),
        by_category=by_category,
        courses=left,
        waived=waived,
    )
