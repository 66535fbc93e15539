"""Property tests of the conversion engine: optimality against brute force, caps, determinism, monotonicity.

The brute force shares the engine's screening and option generation (`problem.screen/build`: which
rule may give what to whom) and replaces only the optimisation: it enumerates every assignment of
options, courses and pools, and computes the best pool amounts of each with an exact max-flow.
"""

from __future__ import annotations

import random
from collections import defaultdict, deque
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.conversion import plan
from ledger.conversion.exclusivity import content_key, ladder_key
from ledger.conversion.model import (
    Caps,
    Course,
    CourseCategory,
    EntryType,
    Grant,
    GrantMode,
    IssuerKind,
    Limit,
    LineStatus,
    Matcher,
    Outcome,
    OutcomeKind,
    Plan,
    Pool,
    PoolSlot,
    Programme,
    ProgrammeLevel,
    Rule,
    RuleSet,
    Scope,
)
from ledger.conversion.problem import Option, Problem, build, screen

AS_OF = date(2025, 1, 1)
KINDS = [OutcomeKind.TRAINING, OutcomeKind.SKILL_LEVEL, OutcomeKind.PRACTICE, OutcomeKind.ONLINE_COURSE]
CATEGORIES = [CourseCategory.PUBLIC, CourseCategory.FOUNDATION, CourseCategory.CORE, CourseCategory.PRACTICE]
SUBJECTS = ["s1", "s2"]
CONVERTED = {LineStatus.COURSE_REPLACED, LineStatus.POOL_CREDITS, LineStatus.CAPPED, LineStatus.WAIVER}
D = Decimal

credit = st.sampled_from([D(1), D(2), D(3), D(4), D("2.5")])
maybe_credit = st.one_of(st.none(), st.sampled_from([D(2), D(3), D(4), D("5.5"), D(8)]))


@st.composite
def programmes(draw: st.DrawFn) -> Programme:
    courses = [
        Course(f"K{i}", f"课程{i}", draw(credit), draw(st.sampled_from(CATEGORIES)),
               subjects=(draw(st.sampled_from(SUBJECTS)),))
        for i in range(draw(st.integers(2, 4)))
    ]
    courses.append(Course("E1", "选修", D(6), CourseCategory.ELECTIVE))
    courses.append(Course("G1", "毕业设计", D(4), CourseCategory.GRADUATION, replaceable=False))
    slots = draw(st.lists(st.sampled_from([PoolSlot.PROFESSIONAL_ELECTIVE, PoolSlot.PUBLIC_ELECTIVE]),
                          min_size=1, max_size=2, unique=True))
    pools = tuple(Pool(f"池{s}", s, draw(st.sampled_from([D(2), D(3), D("4.5")])), CourseCategory.ELECTIVE) for s in slots)
    return Programme(
        id="urn:uuid:00000000-0000-4000-8000-000000000001", code="430103", name="测试专业",
        level=ProgrammeLevel.ZHUANKE, entry_type=EntryType.GQZ,
        total_credits=sum((c.credits for c in courses), D(0)), institution_id="college", institution_name="学院",
        catalogue_year=2024, courses=tuple(courses), pools=pools, subjects=("s1",),
    )


@st.composite
def rules(draw: st.DrawFn, i: int) -> Rule:
    kinds = frozenset(draw(st.lists(st.sampled_from(KINDS), min_size=2, max_size=4)))
    mode = draw(st.sampled_from([GrantMode.POOL, GrantMode.COURSE, GrantMode.COURSE, GrantMode.WAIVER]))
    if mode == GrantMode.POOL:
        per_hours = draw(st.sampled_from([None, D(16)]))
        grant = Grant(mode, credits=draw(st.sampled_from([D(1), D(2), D("2.5"), D(4)])), per_hours=per_hours,
                      max_credits=draw(maybe_credit),
                      pools=tuple(draw(st.lists(st.sampled_from(list(PoolSlot)[:2]), min_size=1, max_size=2, unique=True))))
    else:
        # Named courses (K0, K1 always exist) make outcomes compete for the same course.
        named = draw(st.sampled_from([(), (), ("K0",), ("K0", "K1")]))
        grant = Grant(mode, credits=draw(maybe_credit) if mode == GrantMode.COURSE else None,
                      course_codes=named,
                      categories=tuple(draw(st.lists(st.sampled_from(CATEGORIES + [CourseCategory.ELECTIVE]),
                                                     min_size=1, max_size=3, unique=True))),
                      course_related=draw(st.booleans()), max_courses=draw(st.integers(1, 2)))
    limit = Limit(credits=draw(maybe_credit), count=draw(st.sampled_from([None, None, 1, 2])))
    return Rule(
        id=f"r{i}", label_zh=f"规则{i}", label_en=f"rule {i}",
        matcher=Matcher(kinds=kinds, levels=draw(st.sampled_from([None, None, None, frozenset({3, 4})]))),
        grant=grant, limit=limit, validity_years=draw(st.sampled_from([None, None, 3, 8])),
        group=draw(st.sampled_from([None, "g1", "g2"])),
    )


@st.composite
def rulesets(draw: st.DrawFn) -> RuleSet:
    n = draw(st.integers(2, 4))
    caps = Caps(
        per_outcome=draw(st.sampled_from([None, D(3), D(5)])),
        total_share=draw(st.sampled_from([None, D("0.2"), D("0.3"), D("0.5")])),
        core_share=draw(st.sampled_from([None, D("0.35"), D("0.6")])),
        categories=tuple(draw(st.dictionaries(st.sampled_from(CATEGORIES), st.builds(Limit, credits=credit),
                                              max_size=2)).items()),
        pools=tuple(draw(st.dictionaries(st.sampled_from(list(PoolSlot)[:2]),
                                         st.builds(Limit, credits=credit), max_size=1)).items()),
        groups=tuple(draw(st.dictionaries(st.sampled_from(["g1", "g2"]),
                                          st.builds(Limit, credits=credit, count=st.sampled_from([None, 1])),
                                          max_size=2)).items()),
    )
    return RuleSet(
        id="urn:uuid:00000000-0000-4000-8000-0000000000aa", version=1, style="test", name_zh="测试", name_en="test",
        effective_from=date(2020, 1, 1), effective_to=None, scope=Scope(), caps=caps,
        rules=tuple(draw(rules(i)) for i in range(n)), practice_kinds=frozenset({OutcomeKind.PRACTICE}),
    )


@st.composite
def outcomes(draw: st.DrawFn, max_size: int = 7, ladder: bool = False) -> list[Outcome]:
    """An account; `ladder`: certificates of few occupations, so exclusivity groups decide."""
    kinds = [OutcomeKind.SKILL_LEVEL] if ladder else [*KINDS, OutcomeKind.SKILL_LEVEL]
    out = []
    for k in range(draw(st.integers(2, max_size))):
        kind = draw(st.sampled_from(kinds))
        out.append(Outcome(
            id=f"urn:uuid:00000000-0000-4000-8000-{k:012d}",
            kind=kind,
            issued_on=draw(st.dates(date(2015, 1, 1), date(2024, 12, 31))),
            issuer_id=draw(st.sampled_from(["did:a", "did:b"])),
            issuer_kind=IssuerKind.TRAINING_BODY,
            recognised=draw(st.sampled_from([True] * 9 + [False])),
            revoked=draw(st.sampled_from([False] * 9 + [True])),
            expires_on=draw(st.sampled_from([None] * 6 + [date(2023, 1, 1), date(2030, 1, 1)])),
            level=draw(st.integers(3, 5)) if kind == OutcomeKind.SKILL_LEVEL else None,
            occupation_code=draw(st.sampled_from(["6-31-01-03", "6-28-01-01"])) if kind == OutcomeKind.SKILL_LEVEL else None,
            hours=draw(st.sampled_from([D(16), D(40), D(64), D(96)])),
            passed=True,
            subject_area=draw(st.sampled_from(SUBJECTS)),
        ))
    return out


# --------------------------------------------------------------------------- brute force


def _max_flow(cap: dict[tuple[str, str], int], source: str, sink: str) -> int:
    """Edmonds–Karp on a small graph given as {(u, v): capacity}."""
    residual: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (u, v), c in cap.items():
        residual[u][v] += c
        residual[v][u] += 0
    flow = 0
    while True:
        parent = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            u = queue.popleft()
            for v, c in residual[u].items():
                if c > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            return flow
        path, v = [], sink
        while v != source:
            path.append((parent[v], v))
            v = parent[v]
        push = min(residual[u][v] for u, v in path)
        for u, v in path:
            residual[u][v] -= push
            residual[v][u] += push
        flow += push


INF = 10**9


def _cap(problem: Problem, kind: str, name: str) -> int:
    if kind == "total":
        return problem.total_cap
    if kind == "category":
        return problem.category_caps[CourseCategory(name)]
    if kind == "pool":
        return problem.pool_caps[name]
    table = problem.rule_caps if kind == "rule" else problem.source_caps
    value = table.get(name, (None, None))[0]
    return INF if value is None else value


def _pool_flow(problem: Problem, pooled: list, used: dict[tuple[str, str], int]) -> int | None:
    """Most hundredths the chosen pool options can add, given the course grants' usage; None if infeasible."""
    left = {}
    for key, amount in used.items():
        left[key] = _cap(problem, *key) - amount
        if left[key] < 0:
            return None
    if not pooled:
        return 0

    def room(kind: str, name: str) -> int:
        return left.get((kind, name), _cap(problem, kind, name))

    graph: dict[tuple[str, str], int] = defaultdict(int)
    for i, option in enumerate(pooled):
        rule, group = option.rule.id, option.rule.group
        if group:
            graph[("S", f"g:{group}")] = room("source", group)
            graph[(f"g:{group}", f"r:{rule}")] = room("rule", rule)
        else:
            graph[("S", f"r:{rule}")] = room("rule", rule)
        graph[(f"r:{rule}", f"o:{i}")] = option.value
        graph[(f"o:{i}", f"p:{option.pool}")] = option.value
        category = str(problem.pool_category[option.pool])
        graph[(f"p:{option.pool}", f"c:{category}")] = room("pool", option.pool)
        graph[(f"c:{category}", "total")] = room("category", category)
    graph[("total", "T")] = room("total", "")
    return _max_flow(graph, "S", "T")


def _choices_of(problem: Problem, outcome: str) -> list[tuple[Option, tuple[str, ...]] | None]:
    out: list[tuple[Option, tuple[str, ...]] | None] = [None]
    for option in problem.options:
        if option.outcome != outcome:
            continue
        if option.mode == GrantMode.POOL:
            out.append((option, ()))
            continue
        codes = option.courses
        subsets = [(c,) for c in codes] + [(a, b) for k, a in enumerate(codes) for b in codes[k + 1:]]
        for subset in subsets:
            if len(subset) <= option.max_courses and sum(problem.course_credits[c] for c in subset) <= option.value:
                out.append((option, subset))
    return out


def brute_force(problem: Problem) -> tuple[int, int]:
    """Lexicographic best (total, course credits) over every feasible assignment, in hundredths."""
    outcomes_ = list(problem.priority)
    choices = {o: _choices_of(problem, o) for o in outcomes_}
    group_of: dict[str, list[int]] = defaultdict(list)
    for g, members in enumerate(problem.groups):
        for o in members:
            group_of[o].append(g)
    best = (0, 0)

    def leaf(picked: list) -> None:
        nonlocal best
        used: dict[tuple[str, str], int] = defaultdict(int)
        counts: dict[tuple[str, str], int] = defaultdict(int)
        pooled = []
        course_total = 0
        for option, subset in picked:
            counts[("rule", option.rule.id)] += 1
            if option.rule.group:
                counts[("source", option.rule.group)] += 1
            if option.mode == GrantMode.POOL:
                pooled.append(option)
                continue
            for code in subset:
                amount = problem.course_credits[code]
                course_total += amount
                keys = [("total", ""), ("category", str(problem.course_category[code])), ("rule", option.rule.id)]
                if option.rule.group:
                    keys.append(("source", option.rule.group))
                for key in keys:
                    used[key] += amount
        for (kind, name), n in counts.items():
            table = problem.rule_caps if kind == "rule" else problem.source_caps
            limit = table.get(name, (None, None))[1]
            if limit is not None and n > limit:
                return
        flow = _pool_flow(problem, pooled, used)
        if flow is not None:
            best = max(best, (course_total + flow, course_total))

    def walk(k: int, picked: list, courses: set, groups: set) -> None:
        if k == len(outcomes_):
            leaf(picked)
            return
        outcome = outcomes_[k]
        for choice in choices[outcome]:
            if choice is None:
                walk(k + 1, picked, courses, groups)
                continue
            option, subset = choice
            mine = set(group_of[outcome])
            if mine & groups or courses & set(subset):
                continue
            walk(k + 1, picked + [choice], courses | set(subset), groups | mine)

    walk(0, [], set(), set())
    return best


def _cents(value: Decimal) -> int:
    return int(value * 100)


case = st.tuples(programmes(), rulesets(), outcomes())
ladder_case = st.tuples(programmes(), rulesets(), outcomes(ladder=True))
cases = st.one_of(case, ladder_case)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases)
def test_total_equals_brute_force(data: tuple[Programme, RuleSet, list[Outcome]]) -> None:
    programme, ruleset, account = data
    problem = build(screen(account, ruleset, AS_OF), programme)
    result = plan(account, programme, ruleset, AS_OF)
    assert (_cents(result.totals.total), _cents(result.totals.course_credits)) == brute_force(problem)


@settings(max_examples=200, deadline=None)
@given(cases)
def test_plan_respects_every_cap(data: tuple[Programme, RuleSet, list[Outcome]]) -> None:
    programme, ruleset, account = data
    result = plan(account, programme, ruleset, AS_OF)
    check_caps(result, programme, ruleset, {o.id: o for o in account})


def check_caps(result: Plan, programme: Programme, ruleset: RuleSet, account: dict[str, Outcome]) -> None:
    """Recompute every cap from the plan's lines, with Decimal arithmetic."""
    rules = {r.id: r for r in ruleset.rules}
    caps = ruleset.caps
    by_rule: dict[str, Decimal] = defaultdict(Decimal)
    rule_count: dict[str, int] = defaultdict(int)
    by_group: dict[str, Decimal] = defaultdict(Decimal)
    group_count: dict[str, int] = defaultdict(int)
    by_category: dict[CourseCategory, Decimal] = defaultdict(Decimal)
    by_pool: dict[str, Decimal] = defaultdict(Decimal)
    replaced: list[str] = []
    keys: dict[str, str] = {}
    for line in result.lines:
        outcome = account[line.outcome_id]
        if line.status not in CONVERTED:
            assert line.credits == 0
            continue
        if line.status == LineStatus.CAPPED and line.credits == 0:
            continue
        for key in filter(None, (ladder_key(outcome, ruleset), content_key(outcome))):
            assert key not in keys, f"{key} converted twice"
            keys[key] = outcome.id
        assert not outcome.revoked and outcome.recognised
        assert outcome.expires_on is None or outcome.expires_on >= AS_OF
        assert line.rule_id is not None
        rule = rules[line.rule_id]
        if rule.validity_years is not None:
            assert AS_OF <= outcome.issued_on.replace(year=outcome.issued_on.year + rule.validity_years)
        if caps.per_outcome is not None:
            assert line.credits <= caps.per_outcome
        by_rule[rule.id] += line.credits
        rule_count[rule.id] += 1
        if rule.group:
            by_group[rule.group] += line.credits
            group_count[rule.group] += 1
        if line.pool:
            pool = next(p for p in programme.pools if p.name == line.pool)
            by_pool[pool.name] += line.credits
            by_category[pool.category] += line.credits
        for code in line.courses:
            course = programme.course(code)
            assert course.category != CourseCategory.GRADUATION
            assert course.category != CourseCategory.PRACTICE or outcome.kind in ruleset.practice_kinds
            replaced.append(code)
            if line.status == LineStatus.COURSE_REPLACED:
                by_category[course.category] += course.credits
        if line.status == LineStatus.COURSE_REPLACED:
            assert line.credits == sum(programme.course(c).credits for c in line.courses)
    assert len(replaced) == len(set(replaced)), "a course replaced twice"
    total = result.totals.total
    assert total == sum((line.credits for line in result.lines), Decimal(0))
    if caps.total_share is not None:
        assert total <= caps.total_share * programme.total_credits
    for rule_id, amount in by_rule.items():
        limit = rules[rule_id].limit
        assert limit.credits is None or amount <= limit.credits
        assert limit.count is None or rule_count[rule_id] <= limit.count
    for group, limit in caps.groups:
        assert limit.credits is None or by_group[group] <= limit.credits
        assert limit.count is None or group_count[group] <= limit.count
    for category in CourseCategory:
        assert by_category[category] <= programme.credits_in(category)
    for category, limit in caps.categories:
        assert limit.credits is None or by_category[category] <= limit.credits
    if caps.core_share is not None:
        assert by_category[CourseCategory.CORE] <= caps.core_share * programme.credits_in(CourseCategory.CORE)
    slot_caps = dict(caps.pools)
    for pool in programme.pools:
        assert by_pool[pool.name] <= pool.ceiling
        slot_limit = slot_caps[pool.slot].credits if pool.slot in slot_caps else None
        assert slot_limit is None or by_pool[pool.name] <= slot_limit


@settings(max_examples=100, deadline=None)
@given(cases, st.randoms(use_true_random=False))
def test_deterministic_and_order_free(data: tuple[Programme, RuleSet, list[Outcome]], rng: random.Random) -> None:
    programme, ruleset, account = data
    first = plan(account, programme, ruleset, AS_OF)
    assert plan(account, programme, ruleset, AS_OF) == first
    shuffled = list(account)
    rng.shuffle(shuffled)
    assert plan(shuffled, programme, ruleset, AS_OF) == first


@settings(max_examples=150, deadline=None)
@given(cases, st.data())
def test_removing_an_outcome_never_increases_the_total(data: tuple[Programme, RuleSet, list[Outcome]],
                                                       pick: st.DataObject) -> None:
    programme, ruleset, account = data
    full = plan(account, programme, ruleset, AS_OF).totals.total
    k = pick.draw(st.integers(0, len(account) - 1))
    fewer = plan(account[:k] + account[k + 1:], programme, ruleset, AS_OF).totals.total
    assert fewer <= full


@settings(max_examples=150, deadline=None)
@given(cases, st.sampled_from(["expired", "unrecognised", "revoked"]))
def test_invalid_outcomes_never_count(data: tuple[Programme, RuleSet, list[Outcome]], how: str) -> None:
    programme, ruleset, account = data
    base = plan(account, programme, ruleset, AS_OF)
    spoiled = []
    for k, outcome in enumerate(account):
        spoils: dict[str, dict[str, Any]] = {
            "expired": {"expires_on": date(2024, 12, 31)}, "unrecognised": {"recognised": False},
            "revoked": {"revoked": True},
        }
        bad = spoils[how]
        spoiled.append(replace(outcome, id=f"urn:uuid:00000000-0000-4000-9000-{k:012d}", **bad))
    result = plan(account + spoiled, programme, ruleset, AS_OF)
    assert result.totals == base.totals
    status = {"expired": LineStatus.EXPIRED, "unrecognised": LineStatus.NOT_RECOGNISED, "revoked": LineStatus.REVOKED}[how]
    for outcome in spoiled:
        line = result.line(outcome.id)
        assert line.credits == 0
        assert line.status in (status, LineStatus.REVOKED, LineStatus.NOT_RECOGNISED, LineStatus.EXPIRED)
