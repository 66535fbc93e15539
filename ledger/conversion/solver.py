"""Exact optimisation of a conversion problem with HiGHS (scipy.optimize.milp).

The model is in `formulation`. Objective, lexicographic, so that ties are broken by stated rules and
not by the solver's whim (1 and 2 by LP relaxations when they prove themselves, else weighted into
one exact integer objective for branch and bound; the rest afterwards, changing no total):
  1. maximise total credits (the plan is optimal: nothing else under the rules grants more);
  2. maximise credits by course replacement (免修免考, which also spares the exam) over pool credits;
  3. preferred outcomes convert (`Problem.priority`: higher ladder rank, then older, then id): a
     converting outcome gives way to a more preferred idle one that can take exactly its grant
     (`tiebreak.promote`). Not a third MILP stage on purpose: a priority objective has a loose
     LP relaxation and costs 60–160 ms of branch and bound on a 200-outcome account;
  4. within a class of interchangeable courses, preferred outcomes get the earliest courses, and
     a replaced course gives way to an earlier free candidate of equal credits and category;
  5. if a pool grant had to be cut, the cut falls on the least preferred outcomes (`spread_cuts`).
Residual ties (equal on all of these) go to HiGHS on a model built in canonical order, which is
deterministic: the same outcomes in any input order give the same plan.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from ledger.conversion.errors import SolverError
from ledger.conversion.formulation import Formulation, formulate
from ledger.conversion.problem import Choice, Problem
from ledger.conversion.tiebreak import earliest_courses, promote, spread_cuts

_OPTIONS = {"disp": False, "presolve": True, "mip_rel_gap": 0.0}


def _objective(n: int, terms: list[tuple[int, float]]) -> np.ndarray:
    c = np.zeros(n)
    for col, val in terms:
        c[col] -= val  # milp minimises
    return c


def _relaxed(f: Formulation, c: np.ndarray, extra: list[LinearConstraint]) -> np.ndarray | None:
    """An integer point proved optimal by the LP relaxation alone, if the relaxation gives one.

    Objective coefficients are integers, so no integer point beats ⌈LP bound⌉: a rounded LP
    solution (or, failing that, the best point of a small integer programme around its fractional
    part) that is feasible and reaches that bound is optimal. It spares HiGHS's root cuts, which
    cost 30–80 ms on a 200-outcome account while the LP takes 3 ms.
    """
    matrix = f.constraint()
    constraints = [k for k in (matrix, *extra) if k is not None]
    bounds = Bounds(np.zeros(len(f.upper)), np.array(f.upper, dtype=float))
    relaxed = milp(c, bounds=bounds, constraints=constraints, options={"disp": False, "presolve": True})
    if relaxed.status != 0 or relaxed.x is None:
        return None
    target = np.ceil(relaxed.fun - 1e-6) + 1e-6  # best objective any integer point can reach
    point = np.rint(relaxed.x)
    if c @ point <= target and _feasible(point, bounds, constraints):
        return point
    settled = ~_neighbourhood(matrix, np.abs(relaxed.x - point) >= 1e-9)
    if settled.mean() < 0.6:  # a neighbourhood of most of the model is no shortcut
        return None
    lb, ub = bounds.lb.copy(), bounds.ub.copy()
    lb[settled] = ub[settled] = point[settled]
    local = milp(c, integrality=np.ones(len(c)), bounds=Bounds(lb, ub), constraints=constraints, options=_OPTIONS)
    if local.status == 0 and local.x is not None and local.fun <= target:
        point = np.rint(local.x)
        if _feasible(point, bounds, constraints):
            return point
    return None


def _branch_and_bound(f: Formulation, c: np.ndarray) -> np.ndarray:
    """An optimal integer point by HiGHS's branch and bound (relative gap 0)."""
    constraints = [k for k in (f.constraint(),) if k is not None]
    bounds = Bounds(np.zeros(len(f.upper)), np.array(f.upper, dtype=float))
    result = milp(c, integrality=np.ones(len(c)), bounds=bounds, constraints=constraints, options=_OPTIONS)
    if result.status != 0 or result.x is None:
        raise SolverError(f"HiGHS did not prove optimality: {result.message}")
    point = np.rint(result.x)
    if not _feasible(point, bounds, constraints):
        raise SolverError("HiGHS returned a point that is infeasible once rounded")
    return point


def _neighbourhood(matrix: LinearConstraint | None, fractional: np.ndarray) -> np.ndarray:
    """Variables the LP left fractional, and every variable sharing a constraint with one."""
    free = fractional.copy()
    if matrix is None or not free.any():
        return free
    a = matrix.A.tocsc()
    rows = np.unique(a[:, np.flatnonzero(fractional)].indices)
    free[np.unique(matrix.A.tocsr()[rows].indices)] = True
    return free


def _feasible(point: np.ndarray, bounds: Bounds, constraints: list[LinearConstraint]) -> bool:
    if np.any(point < bounds.lb) or np.any(point > bounds.ub):
        return False
    for k in constraints:
        row = k.A @ point
        if np.any(row < k.lb - 1e-9) or np.any(row > k.ub + 1e-9):
            return False
    return True


def best_total(problem: Problem) -> int:
    """Most credits (hundredths) any assignment under the rules grants; stage 1 only."""
    if not problem.options:
        return 0
    f = formulate(problem)
    c = _objective(len(f.upper), f.credit_terms)
    values = _relaxed(f, c, [])
    if values is None:
        values = _branch_and_bound(f, c)
    return int(round(-(c @ values)))


def solve(problem: Problem) -> tuple[Choice, ...]:
    """The optimal assignment with the documented tie-breaking."""
    if not problem.options:
        return ()
    f = formulate(problem)
    n = len(f.upper)
    total, course = _objective(n, f.credit_terms), _objective(n, f.course_terms)
    values = _relaxed(f, total, [])
    if values is not None:  # stage 2 with stage 1's optimum kept ("≥ T − ½" is "≥ T": integral)
        keep = LinearConstraint(-total.reshape(1, n), -(total @ values) - 0.5, np.inf)
        values = _relaxed(f, course, [keep])
    if values is None:
        # Stages 1 and 2 in one branch and bound: course credits never exceed the total cap, so
        # weighting the total by K = cap + 1 makes a hundredth of total outweigh any course
        # preference. Integer coefficients, objective below 2^53: no rounding can blur it.
        k = min(problem.total_cap, sum(credits for _, credits in f.course_terms)) + 1
        values = _branch_and_bound(f, k * total + course)
    choices = promote(problem, _choices(problem, f, values))
    return spread_cuts(problem, earliest_courses(problem, choices))


def _choices(problem: Problem, f: Formulation, values: np.ndarray) -> tuple[Choice, ...]:
    """Read the solution; within a class, preferred outcomes get the earliest courses."""
    rank = {o: k for k, o in enumerate(problem.priority)}
    taken: set[str] = set()
    out = []
    left = {col: int(values[col]) for col in f.buckets}  # a bucket's sum, shared out in priority order
    for i in sorted(range(len(problem.options)), key=lambda i: (rank[problem.options[i].outcome], i)):
        option = problem.options[i]
        x = f.x[i]
        if x is not None and x in left:
            share = min(option.value, left[x])
            left[x] -= share
            if share:
                out.append(Choice(option, (), share))
            continue
        if sum(values[col] for col in f.active[i]) < 0.5:
            continue
        if x is not None:
            out.append(Choice(option, (), int(values[x])))
            continue
        pattern = next(p for p in f.patterns[i] if values[p.column] > 0.5)
        picked: list[str] = []
        for group, count in pattern.take:
            free = [code for code in group if code not in taken][:count]
            picked += free
            taken.update(free)
        order = {code: k for k, code in enumerate(option.courses)}
        picked.sort(key=order.__getitem__)
        out.append(Choice(option, tuple(picked), pattern.credits))
    return tuple(out)
