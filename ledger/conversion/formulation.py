"""The integer programme of a conversion problem, in integer hundredths, as sparse matrices.

Variables. A pool option has a binary y (it converts) and an integer x ≤ value·y (its credits; a
pool grant may be cut to fit a cap, and a chosen one grants at least 0.01). A course option has a
binary per *pattern*: a multiset of course classes (see `course_classes`) within its course count
and value, so the relaxation of each option is already its convex hull; that keeps the LP bound
tight, which is what makes the problems fast (see `solver._milp`).

Rows. One option per outcome; at most one converting outcome per exclusivity group; a class of
interchangeable courses holds as many grants as it has courses; caps per rule and source group
(credits and counts), per course category (required credits, rule-set cap and core share), per
pool and for the programme total. A cap row is left out when no choice of options can exceed it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import LinearConstraint
from scipy.sparse import csr_array

from ledger.conversion.model import CourseCategory, GrantMode
from ledger.conversion.problem import Option, Problem

Key = tuple[str, str]  # ("total", ""), ("category", "core"), ("pool", name), ("rule", id), ("source", group)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A column of a course option: how many courses of each class it replaces."""

    column: int
    take: tuple[tuple[tuple[str, ...], int], ...]  # (class, count)
    credits: int


@dataclass(slots=True)
class Formulation:
    """The MILP: bounds, sparse rows and the linear forms the stages optimise."""

    upper: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    vals: list[float] = field(default_factory=list)
    lo: list[float] = field(default_factory=list)
    hi: list[float] = field(default_factory=list)
    active: list[list[int]] = field(default_factory=list)  # per option: columns summing to 1 when it converts
    patterns: list[list[Pattern]] = field(default_factory=list)  # per option (course mode)
    x: list[int | None] = field(default_factory=list)  # per option (pool mode); shared by a bucket
    buckets: dict[int, list[int]] = field(default_factory=dict)  # shared x column → its options
    credit_terms: list[tuple[int, float]] = field(default_factory=list)  # total credits
    course_terms: list[tuple[int, float]] = field(default_factory=list)  # credits by course replacement
    _matrix: LinearConstraint | None = None

    def var(self, upper: float) -> int:
        """A new integer variable in [0, upper]."""
        self.upper.append(upper)
        return len(self.upper) - 1

    def row(self, terms: list[tuple[int, float]], lo: float, hi: float) -> None:
        """A new row lo ≤ Σ coef·var ≤ hi."""
        r = len(self.lo)
        for col, val in terms:
            self.rows.append(r)
            self.cols.append(col)
            self.vals.append(val)
        self.lo.append(lo)
        self.hi.append(hi)

    def constraint(self) -> LinearConstraint | None:
        """All rows as one sparse constraint (built once)."""
        if self._matrix is None and self.lo:
            shape = (len(self.lo), len(self.upper))
            matrix = csr_array((self.vals, (self.rows, self.cols)), shape=shape)
            self._matrix = LinearConstraint(matrix, np.array(self.lo), np.array(self.hi))
        return self._matrix


def course_classes(problem: Problem, skip: set[str] | frozenset[str] = frozenset()) -> dict[str, tuple[str, ...]]:
    """Each candidate course's class: the courses with its credits, category and exactly its takers.

    Courses in one class are interchangeable for every option (six 4-credit core courses related
    to the same occupation, say), so the model counts how many of a class an option takes
    instead of choosing among them: that removes the symmetry that makes branch and bound slow.
    """
    takers: dict[str, list[int]] = defaultdict(list)
    for i, option in enumerate(problem.options):
        if option.mode == GrantMode.COURSE and option.outcome not in skip:
            for code in option.courses:
                takers[code].append(i)
    members: dict[tuple[object, ...], list[str]] = defaultdict(list)
    for code in problem.course_credits:  # programme order
        if code in takers:
            key = (problem.course_credits[code], problem.course_category[code], tuple(takers[code]))
            members[key].append(code)
    return {code: tuple(codes) for codes in members.values() for code in codes}


def _takes(option: Option, groups: list[tuple[str, ...]], credits: Mapping[str, int]) -> list[tuple[int, ...]]:
    """Every multiset of classes (as counts) the option may replace: ≥1 course, ≤ max_courses, ≤ value."""
    sizes = [len(g) for g in groups]
    worth = [credits[g[0]] for g in groups]
    counts = [0] * len(groups)
    out: list[tuple[int, ...]] = []

    def extend(g: int, courses_left: int, value_left: int) -> None:
        if g == len(groups):
            if any(counts):
                out.append(tuple(counts))
            return
        for n in range(min(sizes[g], courses_left) + 1):
            if n * worth[g] > value_left:
                break
            counts[g] = n
            extend(g + 1, courses_left - n, value_left - n * worth[g])
        counts[g] = 0

    extend(0, option.max_courses, option.value)
    return out


def _loners(problem: Problem) -> set[int]:
    """Pool options that nothing else competes with but caps: their outcome has no other option and
    no exclusivity group, their rule and source no count cap. Such options of one rule and pool
    are interchangeable, so one variable carries their sum (no binaries) and `solver._choices`
    shares it out in priority order.
    """
    options_of: dict[str, int] = defaultdict(int)
    for option in problem.options:
        options_of[option.outcome] += 1
    grouped = {o for members in problem.groups for o in members}
    out = set()
    for i, option in enumerate(problem.options):
        rule = option.rule
        if (
            option.mode == GrantMode.POOL
            and options_of[option.outcome] == 1
            and option.outcome not in grouped
            and count_of(problem, ("rule", rule.id)) is None
            and (not rule.group or count_of(problem, ("source", rule.group)) is None)
        ):
            out.add(i)
    return out


def _covers(a: Option, b: Option, problem: Problem) -> bool:
    """Whether option a can grant anything option b can, under the same caps."""
    if a.mode != b.mode or a.value < b.value:
        return False
    same_caps = a.rule.id == b.rule.id or (
        a.rule.group == b.rule.group
        and problem.rule_caps.get(a.rule.id, (None, None)) == (None, None)
        and problem.rule_caps.get(b.rule.id, (None, None)) == (None, None)
    )
    if not same_caps:
        return False
    if a.mode == GrantMode.POOL:
        return a.pool == b.pool
    return a.max_courses >= b.max_courses and set(b.courses) <= set(a.courses)


def dominated(problem: Problem) -> set[str]:
    """Outcomes the model may leave out: a more preferred outcome of a shared exclusivity group can
    take any grant they could, and meets no more exclusivity than they do (so at most one of the
    two converts, and swapping it in is always allowed). Exact: no total changes. Typical case:
    a worker's 三级 and 二级 certificates of one occupation, where 二级's rule covers 三级's.
    """
    groups: dict[str, set[int]] = defaultdict(set)
    for g, members in enumerate(problem.groups):
        for o in members:
            groups[o].add(g)
    options: dict[str, list[Option]] = defaultdict(list)
    for option in problem.options:
        options[option.outcome].append(option)
    waiving = {w.outcome for w in problem.waivers}
    out: set[str] = set()
    for k, b in enumerate(problem.priority):
        if b in waiving or not groups[b]:
            continue
        for a in problem.priority[:k]:
            if (
                a not in out
                and groups[a] & groups[b]
                and groups[a] <= groups[b]
                and all(any(_covers(x, y, problem) for x in options[a]) for y in options[b])
            ):
                out.add(b)
                break
    return out


def formulate(problem: Problem) -> Formulation:
    """Build the MILP of a problem."""
    f = Formulation()
    skip = dominated(problem)
    classes = course_classes(problem, skip)
    loners = _loners(problem)
    bucket_of: dict[tuple[str, str], int] = {}
    by_outcome: dict[str, list[int]] = defaultdict(list)
    by_class: dict[tuple[str, ...], list[tuple[int, float]]] = defaultdict(list)
    caps: dict[Key, list[tuple[int, float]]] = defaultdict(list)
    reach: dict[Key, dict[str, float]] = defaultdict(dict)  # most each outcome could add under a cap
    counts: dict[Key, list[list[int]]] = defaultdict(list)
    for i, option in enumerate(problem.options):
        rule = option.rule
        shared: list[Key] = [("rule", rule.id), ("total", "")]
        if rule.group:
            shared.append(("source", rule.group))
        adds: list[tuple[int, dict[Key, float]]] = []  # per column: credits it adds under each cap
        if option.outcome in skip:
            f.patterns.append([])
            f.x.append(None)
            f.active.append([])
            continue
        if i in loners:
            assert option.pool is not None
            bucket = (rule.id, option.pool)
            fresh = bucket not in bucket_of
            if fresh:
                bucket_of[bucket] = f.var(0)
                f.buckets[bucket_of[bucket]] = []
                f.credit_terms.append((bucket_of[bucket], 1))
            x = bucket_of[bucket]
            f.upper[x] += option.value
            f.buckets[x].append(i)
            f.patterns.append([])
            f.x.append(x)
            f.active.append([])
            category = str(problem.pool_category[option.pool])
            for key in [*shared, ("pool", option.pool), ("category", category)]:
                if fresh:
                    caps[key].append((x, 1.0))
                reach[key][option.outcome] = float(option.value)
            continue
        if option.mode == GrantMode.COURSE:
            groups = list(dict.fromkeys(classes[code] for code in option.courses))
            patterns = []
            for take in _takes(option, groups, problem.course_credits):
                col = f.var(1)
                per: dict[Key, float] = defaultdict(float)
                for g, n in enumerate(take):
                    if n:
                        amount = problem.course_credits[groups[g][0]] * n
                        per[("category", str(problem.course_category[groups[g][0]]))] += amount
                        by_class[groups[g]].append((col, n))
                credits = int(sum(per.values()))
                for key in shared:
                    per[key] = credits
                patterns.append(Pattern(col, tuple((groups[g], n) for g, n in enumerate(take) if n), credits))
                adds.append((col, per))
                f.credit_terms.append((col, credits))
                f.course_terms.append((col, credits))
            f.patterns.append(patterns)
            f.x.append(None)
            act = [p.column for p in patterns]
        else:
            assert option.pool is not None
            y, x = f.var(1), f.var(option.value)
            f.row([(x, 1), (y, -option.value)], -np.inf, 0)
            f.row([(x, 1), (y, -1)], 0, np.inf)  # a chosen pool option grants at least 0.01
            category = str(problem.pool_category[option.pool])
            per = {key: 1.0 for key in [*shared, ("pool", option.pool), ("category", category)]}
            adds.append((x, per))
            f.credit_terms.append((x, 1))
            f.patterns.append([])
            f.x.append(x)
            act = [y]
        f.active.append(act)
        by_outcome[option.outcome].extend(act)
        counts[("rule", rule.id)].append(act)
        if rule.group:
            counts[("source", rule.group)].append(act)
        most: dict[Key, float] = defaultdict(float)
        for col, per in adds:
            for key, coef in per.items():
                caps[key].append((col, coef))
                most[key] = max(most[key], option.value if option.mode == GrantMode.POOL else coef)
        for key, top in most.items():
            reach[key][option.outcome] = max(reach[key].get(option.outcome, 0.0), top)
    for cols in by_outcome.values():
        if len(cols) > 1:
            f.row([(c, 1) for c in cols], -np.inf, 1)
    for members in problem.groups:
        cols = [c for o in members for c in by_outcome.get(o, ())]
        if len(cols) > 1:
            f.row([(c, 1) for c in cols], -np.inf, 1)
    for group, terms in by_class.items():  # one outcome per course: a class holds len(group) grants
        if sum(n for _, n in terms) > len(group):
            f.row(terms, -np.inf, len(group))
    for key, terms in caps.items():
        cap = cap_of(problem, key)
        if cap is not None and sum(reach[key].values()) > cap:  # else the cap can never bind
            f.row(terms, -np.inf, cap)
    for key, forms in counts.items():
        count = count_of(problem, key)
        if count is not None and len(forms) > count:
            f.row([(c, 1) for form in forms for c in form], -np.inf, count)
    return f


def cap_of(problem: Problem, key: Key) -> int | None:
    """The cap of a key in hundredths (None: no cap)."""
    kind, name = key
    if kind == "pool":
        return problem.pool_caps[name]
    if kind == "category":
        return problem.category_caps[CourseCategory(name)]
    if kind == "total":
        return problem.total_cap
    table = problem.rule_caps if kind == "rule" else problem.source_caps
    return table.get(name, (None, None))[0]


def count_of(problem: Problem, key: Key) -> int | None:
    """The count cap of a rule or source group (None: no cap)."""
    kind, name = key
    table = problem.rule_caps if kind == "rule" else problem.source_caps
    return table.get(name, (None, None))[1]
