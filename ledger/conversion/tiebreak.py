"""Tie-breaking after the optimum is fixed: none of these steps changes any total or any cap's use."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.optimize import linprog

from ledger.conversion.formulation import Key, cap_of
from ledger.conversion.model import GrantMode
from ledger.conversion.problem import Choice, Option, Problem


def promote(problem: Problem, choices: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """A converting outcome gives way to a more preferred idle one that can take exactly its grant.

    Same rule, same courses or pool, at least the same value, no exclusivity clash: every cap
    sees the same credits, so the plan stays optimal.
    """
    rank = {o: k for k, o in enumerate(problem.priority)}
    groups: dict[str, set[int]] = defaultdict(set)
    for g, members in enumerate(problem.groups):
        for o in members:
            groups[o].add(g)
    options: dict[str, list[Option]] = defaultdict(list)
    for option in problem.options:
        options[option.outcome].append(option)
    out = {ch.option.outcome: ch for ch in choices}
    for ch in sorted(choices, key=lambda c: -rank[c.option.outcome]):  # least preferred first
        loser = ch.option.outcome
        busy = {g for o in out if o != loser for g in groups[o]}
        for winner in problem.priority[: rank[loser]]:
            if winner in out or groups[winner] & busy:
                continue
            swap = next((o for o in options[winner] if _can_take(o, ch)), None)
            if swap is not None:
                del out[loser]
                out[winner] = Choice(swap, ch.courses, ch.credits)
                break
    return tuple(sorted(out.values(), key=lambda c: rank[c.option.outcome]))


def _can_take(option: Option, grant: Choice) -> bool:
    if option.rule.id != grant.option.rule.id or option.mode != grant.option.mode:
        return False
    if option.mode == GrantMode.POOL:
        return option.pool == grant.option.pool and option.value >= grant.credits
    return (
        set(grant.courses) <= set(option.courses)
        and len(grant.courses) <= option.max_courses
        and grant.credits <= option.value
    )


def earliest_courses(problem: Problem, choices: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """A replaced course is swapped for an earlier free candidate of the same category and credits."""
    taken = {code for ch in choices for code in ch.courses}
    out = list(choices)
    for k, ch in enumerate(out):  # choices come in priority order
        if ch.option.mode != GrantMode.COURSE:
            continue
        picked = list(ch.courses)
        for j, code in enumerate(picked):
            same = (problem.course_credits[code], problem.course_category[code])
            for candidate in ch.option.courses:
                if candidate == code:
                    break  # candidates are in programme order: nothing earlier fits
                if candidate not in taken and (
                    problem.course_credits[candidate],
                    problem.course_category[candidate],
                ) == same:
                    taken.discard(code)
                    taken.add(candidate)
                    picked[j] = candidate
                    break
        order = {c: i for i, c in enumerate(ch.option.courses)}
        out[k] = Choice(ch.option, tuple(sorted(picked, key=order.__getitem__)), ch.credits)
    return tuple(out)


def spread_cuts(problem: Problem, choices: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """With every choice fixed, an LP moves pool cuts onto the least preferred outcomes.

    Its rows (rule ⊂ source group; pool ⊂ category ⊂ total) are two laminar families, so the
    matrix is totally unimodular and the simplex vertex is integral.
    """
    pools = [ch for ch in choices if ch.option.mode == GrantMode.POOL]
    if not any(ch.credits < ch.option.value for ch in pools):
        return choices
    weight = {o: len(problem.priority) - k for k, o in enumerate(problem.priority)}
    used = _course_usage(problem, choices)
    rows: dict[Key, list[int]] = defaultdict(list)
    for j, ch in enumerate(pools):
        for key in pool_keys(problem, ch.option):
            rows[key].append(j)
    a, hi = [], []  # capacity left to pool grants once the course grants are taken out
    for key, js in rows.items():
        cap = cap_of(problem, key)
        if cap is None:
            continue
        line = np.zeros(len(pools))
        line[js] = 1
        a.append(line)
        hi.append(cap - used.get(key, 0))
    pooled = sum(ch.credits for ch in pools)
    a.append(-np.ones(len(pools)))
    hi.append(-pooled)
    result = linprog(
        -np.array([weight[ch.option.outcome] for ch in pools], dtype=float),
        A_ub=np.array(a),
        b_ub=np.array(hi, dtype=float),
        bounds=[(1, ch.option.value) for ch in pools],
        method="highs",
    )
    if result.status != 0:
        return choices
    amounts = np.rint(result.x).astype(int)
    if not np.allclose(result.x, amounts, atol=1e-6) or int(amounts.sum()) != pooled:
        return choices  # keep the MILP's amounts rather than round a non-integral point
    spread = {ch.option.outcome: int(v) for ch, v in zip(pools, amounts, strict=True)}
    return tuple(
        Choice(ch.option, ch.courses, spread[ch.option.outcome]) if ch.option.mode == GrantMode.POOL else ch
        for ch in choices
    )


def pool_keys(problem: Problem, option: Option) -> list[Key]:
    """Caps a pool option's credits count under."""
    assert option.pool is not None
    keys: list[Key] = [("pool", option.pool), ("category", str(problem.pool_category[option.pool])),
                       ("total", ""), ("rule", option.rule.id)]
    if option.rule.group:
        keys.append(("source", option.rule.group))
    return keys


def _course_usage(problem: Problem, choices: tuple[Choice, ...]) -> dict[Key, int]:
    used: dict[Key, int] = defaultdict(int)
    for ch in choices:
        if ch.option.mode != GrantMode.COURSE:
            continue
        for code in ch.courses:
            credits = problem.course_credits[code]
            used[("category", str(problem.course_category[code]))] += credits
            used[("total", "")] += credits
            used[("rule", ch.option.rule.id)] += credits
            if ch.option.rule.group:
                used[("source", ch.option.rule.group)] += credits
    return used
