"""Solve a multi-level problem level by level, with a certified gap.

The levels of a :class:`~capacity.optimize.problem.Problem` share nothing but
the yearly budget rows: demand, capacity, arcs, options and count rules are
all per level. Drop the budget and the joint MILP splits into independent
level MILPs, so

* the sum of the level solvers' best bounds is a valid lower bound of the
  joint problem (a relaxation: fewer constraints);
* if the union of the level solutions respects every year's budget, it is
  feasible for the joint problem, and its gap against that bound is certified.

If the union overspends a year, the same schools are first built earlier
where the budgets allow (:func:`capacity.optimize.budget.retime`: one small
MILP over the chosen options' build years; the assignments stay feasible,
only the discounted construction and running costs move). When no retiming
earlier keeps to the budgets (an overspent *first* build year, as yearly
checks with a construction lag give), the chosen sites keep their sizes and
their build years, closures and assignments are solved jointly under every
budget (:func:`capacity.optimize.budget.replan_years`), taken when its
certified gap is within the solve's gap. When the chosen sites cannot keep
to the budgets in any years, only the fewest levels whose spending must move
are re-solved (:func:`levels_to_move`): the other levels keep their plans, and
what they leave of every year is the re-solved levels' budget (split by
:func:`budget_shares` when they are several). Only when that fails too (or a
starting plan that keeps to the budgets is given, which the shares below
never end worse than) is each level whose plan overspends its share
re-solved with a share of every year's budget (its share of the
unconstrained spending), which makes the union feasible. In every case the
bound stays the relaxation's, so the reported gap remains valid (and honest
about any loss from coordinating the budget). With a starting plan that
keeps to the budgets, the shares are instead that plan's own, year by year,
so each level's part of the starting plan stays a feasible MIP start and the
result is never worse than the starting plan. (Retiming is skipped when a
hook is given, which it could violate.)

The level solves run in worker processes when the model is large
(:mod:`capacity.optimize.parallel`).

Why: the joint Kunming model (four levels, ~750k columns) leaves HiGHS
without a good incumbent for many minutes, while each level alone solves to
< 1 % in seconds to a few minutes (benchmarks/README.md, "Kunming").
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from capacity.errors import InfeasibleError
from capacity.optimize.budget import replan_years, retime
from capacity.optimize.conversions import couple_by_level
from capacity.optimize.core import solve
from capacity.optimize.highs import STOPPED_BY_RULE
from capacity.optimize.parallel import solve_all
from capacity.optimize.problem import Problem
from capacity.optimize.result import SolveReport, Solution

BUDGET_TOLERANCE = 1e-6  # relative slack when checking a year's spending [share]
SMALL_LEVEL_SHARE = 0.02  # a level spending at most this part of the total keeps its own yearly spending


def level_problem(problem: Problem, name: str, budget=None) -> Problem:
    """The sub-problem of one level: its count rules, and ``budget`` (default: none)."""
    lv = problem.level(name)
    budget = np.full(problem.build_years.size, np.inf) if budget is None else budget
    return dataclasses.replace(problem, levels=(lv,), budget_cny=budget,
                               count_rules=tuple(r for r in problem.count_rules if r.level == name))


def spending(solution: Solution, build_years) -> np.ndarray:
    """Construction cost per build year of a solution [CNY]."""
    return plan_spending(solution.opened, build_years)


def plan_spending(opened: pd.DataFrame, build_years) -> np.ndarray:
    """Construction cost per build year of a plan (``open_year``, ``cost_cny``) [CNY].

    With a ``ready_year`` more than a year after ``open_year`` (a construction lag
    of 2 or more) the cost is spread evenly over the construction years, as in
    the model's budget rows (:func:`capacity.optimize.closures.spending_entries`).
    """
    years = np.asarray(build_years)
    if len(opened) == 0:
        return np.zeros(years.size)
    start = opened["open_year"].to_numpy(np.int64)
    ready = opened["ready_year"].to_numpy(np.int64) if "ready_year" in opened else start
    n = np.maximum(ready - start, 1)
    cost = opened["cost_cny"].to_numpy(float)
    out = np.zeros(years.size)
    for k in range(int(n.max())):
        on = k < n
        pos = np.searchsorted(years, start[on] + k)
        ok = (pos < years.size) & (years[np.minimum(pos, years.size - 1)] == start[on] + k)
        np.add.at(out, pos[ok], (cost[on] / n[on])[ok])
    return out


def _level_start(start, name):
    return None if start is None else start[start["level"] == name]


def budget_shares(budget: np.ndarray, spent: dict, start=None, build_years=None) -> dict:
    """Each level's budget per build year for the second round [CNY].

    Parameters
    ----------
    budget : ndarray, shape (B,)
        The yearly budgets [CNY].
    spent : dict of str to ndarray
        Each level's unconstrained spending per build year [CNY].
    start : DataFrame, optional
        A starting plan; when it keeps to every budget, a year it spends in is
        split in the proportions of its spending that year, so its level
        parts fit their shares.
    build_years : array_like, optional
        Needed with ``start``.

    Returns
    -------
    dict of str to ndarray
        ``{level: (B,) budget}``; the shares of every year add up to its budget. A level
        spending at most :data:`SMALL_LEVEL_SHARE` of the total keeps its own yearly
        spending (its projects are few and indivisible), the others share the rest.
    """
    total = sum(spent.values())
    finite = np.isfinite(budget)
    base = np.where(finite, budget, 0.0)  # an unlimited year stays unlimited for every level
    # a level spending a small part of the whole (e.g. one special school a rule requires) keeps
    # its own spending year by year: a pro-rata slice of each year would be smaller than its one
    # indivisible project; the other levels share what is left of every year
    small = {n for n, s in spent.items() if s.sum() <= SMALL_LEVEL_SHARE * total.sum()}
    reserved = sum((spent[n] for n in small), np.zeros_like(base))
    if small == set(spent) or np.any(reserved > base * (1 + BUDGET_TOLERANCE)):
        small, reserved = set(), np.zeros_like(base)
    rest = sum((s.sum() for n, s in spent.items() if n not in small), 0.0)
    share = {n: s.sum() / max(rest, 1.0) for n, s in spent.items()}
    left = np.maximum(base - reserved, 0.0)
    out = {n: np.where(finite, spent[n] if n in small else left * share[n], np.inf) for n in spent}
    if start is not None and len(start):
        mine = {n: plan_spending(_level_start(start, n), build_years) for n in spent}
        used = sum(mine.values())
        if np.all(used <= budget * (1 + BUDGET_TOLERANCE)):
            years = (used > 0) & finite
            for n in spent:
                out[n] = np.where(years, base * mine[n] / np.where(years, used, 1.0), out[n])
    return out


def levels_to_move(budget: np.ndarray, spent: dict, size: dict | None = None) -> list[str] | None:
    """The levels to re-solve when the others keep their plans: the smallest set that must move.

    Parameters
    ----------
    budget : ndarray, shape (B,)
        The yearly budgets [CNY] (``inf``: no budget that year).
    spent : dict of str to ndarray
        Each level's spending per build year in its first-round plan [CNY].
    size : dict of str to float, optional
        A level's solve effort (e.g. its arcs); among sets of as many levels,
        the one of least total effort is taken. Default: its spending.

    Returns
    -------
    list of str or None
        Levels, in the order of ``spent``, such that the other levels' spending
        alone keeps to every budget (their plans stay, and what they leave of
        each year is the re-solved levels' budget); the fewest such levels, then
        the least ``size``; only levels spending in an overspent year count.
        ``None`` when it would take every level (a second round of all of them).
    """
    names = list(spent)
    total = sum(spent.values())
    limit = budget * (1 + BUDGET_TOLERANCE)
    over = total > limit
    movers = [n for n in names if np.any(spent[n][over] > 0)]
    size = size or {n: float(spent[n].sum()) for n in names}
    best = None
    for mask in range(1, 2 ** len(movers)):
        pick = [n for k, n in enumerate(movers) if mask >> k & 1]
        kept = total - sum(spent[n] for n in pick)
        if np.any(kept > limit):
            continue
        key = (len(pick), sum(size[n] for n in pick))
        if best is None or key < best[0]:
            best = (key, pick)
    if best is None or len(best[1]) == len(names):
        return None
    return [n for n in names if n in best[1]]


def merge_levels(solutions: list[Solution], bound: float | None = None, note: str = "", earlier=()) -> Solution:
    """Union of level solutions; ``bound`` defaults to the sum of theirs (a relaxation); ``earlier``
    reports (a first round) add their time and stages."""
    if bound is None:
        bound = float(sum(s.report.best_bound for s in solutions))
    reps = [s.report for s in solutions]
    calls = [st for r in reps for st in r.stages]
    before = [st for r in earlier for st in r.stages]
    python_s = sum(r.build_seconds for r in list(earlier) + reps) - sum(st.transfer_seconds for st in calls + before)
    parts = {k: float(sum(r.objective_parts.get(k, 0.0) for r in reps)) for k in reps[0].objective_parts}
    report = SolveReport.from_stages(
        calls, float(sum(r.objective for r in reps)), parts, bound, build_seconds=python_s,
        solver=f"{reps[0].solver} (by level{note})", n_variables=sum(r.n_variables for r in reps),
        n_constraints=sum(r.n_constraints for r in reps), earlier=before)
    cat = lambda name: pd.concat([getattr(s, name) for s in solutions], ignore_index=True)  # noqa: E731
    return Solution(cat("opened"), cat("assignments"), cat("unserved"), report)


def _move_some(problem, first, spent, budget, bound, options, starts, hooks, done, say):
    """Re-solve :func:`levels_to_move` with the budget the other levels' plans leave.

    Returns ``(solution, reports of the re-solves)``, or ``None`` when every level would have to
    move or a re-solve is infeasible.
    """
    names = [lv.name for lv in problem.levels]
    arcs = {n: float(problem.level(n).arcs.n) + 1.0 for n in names}
    moving = levels_to_move(budget, spent, arcs)
    if moving is None:
        return None
    kept = sum((spent[n] for n in names if n not in moving), np.zeros_like(budget))
    left = np.where(np.isfinite(budget), np.maximum(budget - kept, 0.0), np.inf)
    own = budget_shares(left, {n: spent[n] for n in moving})
    say("budget exceeded by the unconstrained levels and no retiming keeps to it; re-solving "
        + ", ".join(moving) + " within what the other levels leave of each year")
    try:
        again = solve_all({n: level_problem(problem, n, own[n]) for n in moving}, options, starts, hooks,
                          done(" (budget left)"))
        final = {n: again[n] if n in moving else first[n] for n in names}
        if problem.conversions:  # a kept level re-chosen for the conversions keeps to its own spending
            limit = {n: own[n] if n in moving else spent[n] * (1 + BUDGET_TOLERANCE) for n in names}
            problem, final = couple_by_level(problem, final, lambda pr, n: solve_all(
                {n: level_problem(pr, n, limit[n])}, options, {n: starts[n]}, hooks, done(" (conversions)"))[n],
                say)
    except InfeasibleError as exc:
        say(f"re-solving {', '.join(moving)} alone does not keep to the budget ({exc})")
        return None
    sol = merge_levels([final[n] for n in names], bound, f", {', '.join(moving)} re-solved for the budget",
                       [first[n].report for n in moving])
    return sol, [final[n].report for n in moving]


PLAN_GAP_SHARE = 0.5
"""A level stops once all levels together are proved within this share of the gap asked for
(:class:`capacity.optimize.parallel.Board`); the rest is left for the budget's coordination,
which moves build years and adds cost against the same bound."""


def solve_by_level(problem: Problem, options, progress=None, start=None, extra_constraints=None,
                   objective=None) -> Solution:
    """Solve each level on its own and combine; see the module docstring and :func:`_solve_by_level`.

    A level stopped because the plan as a whole was proved within its gap
    (:data:`PLAN_GAP_SHARE`) reports ``optimal``; should the plan's
    certified gap end wider than the gap asked for after all (the budget's
    coordination moves cost), the plan reports ``feasible``.
    """
    sol = _solve_by_level(problem, options, progress, start, extra_constraints, objective)
    r = sol.report
    if r.status == "optimal" and r.gap > options.gap_rel * (1 + 1e-9) and any(
            st.detail == STOPPED_BY_RULE for st in r.stages):
        sol = dataclasses.replace(sol, report=dataclasses.replace(r, status="feasible"))
    return sol


def _solve_by_level(problem: Problem, options, progress=None, start=None, extra_constraints=None,
                    objective=None) -> Solution:
    """Solve each level on its own and combine; see the module docstring.

    Parameters
    ----------
    problem : Problem
        A multi-level problem; weighted objectives only (its parts add up
        over levels; a lexicographic objective is solved jointly instead).
    options : SolverOptions
        Passed to every level solve (the time limit applies per solve);
        ``level_workers`` says how many run at once (:mod:`capacity.optimize.parallel`).
    progress : callable, optional
        ``progress(message)`` after each level.
    start : DataFrame, optional
        A plan to start each level from (see :func:`capacity.optimize.solve`).
    extra_constraints, objective : callable, optional
        Hooks of :func:`capacity.optimize.core.solve`, called on every level's
        model (``model.levels`` holds that level only). An objective hook must
        add up over levels for the bound to hold.

    Returns
    -------
    Solution
        The union of the level solutions; its report's ``best_bound`` is the
        sum of the level bounds without the budget, and ``gap`` is certified
        against it.
    """
    say = progress or (lambda message: None)
    names = [lv.name for lv in problem.levels]
    hooks = dict(extra_constraints=extra_constraints, objective=objective)
    starts = {n: _level_start(start, n) for n in names}

    def done(note):
        def report(name, sol):
            r = sol.report
            if r.stages and r.stages[-1].detail == STOPPED_BY_RULE:
                say(f"{name}{note}: stopped once all levels together were proved within "
                    f"{options.gap_rel * PLAN_GAP_SHARE:.2%} (this level's own gap {r.gap:.2%}), "
                    f"{r.solve_seconds:.0f} s")
            else:
                say(f"{name}{note}: {r.status}, gap {r.gap:.2%}, {r.solve_seconds:.0f} s")
        return report

    first = solve_all({n: level_problem(problem, n) for n in names}, options, starts, hooks, done(""),
                      plan_gap=options.gap_rel * PLAN_GAP_SHARE if options.solver == "highs" else None)
    bound = float(sum(s.report.best_bound for s in first.values()))
    if problem.conversions:  # level conversions: make the plans agree (capacity.optimize.conversions)
        problem, first = couple_by_level(problem, first, lambda pr, n: solve_all(
            {n: level_problem(pr, n)}, options, {n: starts[n]}, hooks, done(" (conversions)"))[n], say)
    spent = {n: spending(s, problem.build_years) for n, s in first.items()}
    total = sum(spent.values())
    budget = np.asarray(problem.budget_cny, dtype=float)
    if np.all(total <= budget * (1 + BUDGET_TOLERANCE)):
        return merge_levels(list(first.values()), bound)
    start_fits = start is not None and len(start) and np.all(
        plan_spending(start, problem.build_years) <= budget * (1 + BUDGET_TOLERANCE))
    earlier = []  # reports of coordination calls whose plans a later round replaced (their time counts)
    if extra_constraints is None and objective is None and not start_fits:
        # the same schools built earlier: assignments stay, only the discounted cost moves
        # (a start that keeps to the budgets goes to the shares below, which never end worse than it;
        # closures and conversions keep their years, new schools' running costs are counted, see budget.retime)
        retimed = retime(problem, first, options)
        if retimed is not None:
            say("budget exceeded by the unconstrained levels; build years moved earlier to keep every "
                f"budget (gap {retimed.report.gap:.2%})")
            return retimed
        # moving schools later moves their pupils too (an overspent first year): the chosen schools' years
        # and the assignments, jointly, with every budget and rule (budget.replan_years)
        say("budget exceeded by the unconstrained levels and no retiming earlier keeps to it; choosing the "
            "build years of the chosen schools and the assignments jointly")
        replanned = replan_years(problem, first, options)
        if replanned is not None:
            say(f"build years of the chosen schools chosen jointly: {replanned.report.status}, "
                f"gap {replanned.report.gap:.2%}, {replanned.report.stages[-1].solve_seconds:.0f} s")
            if replanned.report.gap <= options.gap_rel * (1 + 1e-9):
                return replanned
            start, start_fits = replanned.opened, True  # the shares below start from it: never worse
            starts = {n: _level_start(start, n) for n in names}
            n_first = sum(len(s.report.stages) for s in first.values())  # its own call's time still counts
            earlier = [dataclasses.replace(replanned.report, stages=replanned.report.stages[n_first:],
                                           build_seconds=0.0)]
    if not start_fits:
        # no retiming keeps to the budgets: re-solve only the levels whose spending must move, within what
        # the others' plans leave of every year (a start that keeps to the budgets goes to the shares below)
        moved = _move_some(problem, first, spent, budget, bound, options, starts, hooks, done, say)
        if moved is not None:
            partial, earlier = moved
            if partial.report.gap <= options.gap_rel * (1 + 1e-9):
                return partial
            # its gap is wider than asked: the shares below start from it, so they end no worse
            say(f"gap {partial.report.gap:.2%} after re-solving those levels; all levels again from that plan")
            start = partial.opened
            starts = {n: _level_start(start, n) for n in names}
    shares = budget_shares(budget, spent, start, problem.build_years)
    say("budget exceeded by the unconstrained levels; re-solving with budget shares "
        + ", ".join(f"{n} {shares[n].sum() / max(budget.sum(), 1.0):.0%}" for n in names))
    # a level whose plan already keeps to its shares keeps its plan
    keep = {n for n in names if np.all(spent[n] <= shares[n] * (1 + BUDGET_TOLERANCE))}
    try:
        again = solve_all({n: level_problem(problem, n, shares[n]) for n in names if n not in keep}, options,
                          starts, hooks, done(" (budget share)"))
    except InfeasibleError as exc:
        say(f"a budget share is too small ({exc}); solving all levels jointly")
        return solve(problem, options, start=start, **hooks)
    final = {n: first[n] if n in keep else again[n] for n in names}
    if problem.conversions:
        problem, final = couple_by_level(problem, final, lambda pr, n: solve_all(
            {n: level_problem(pr, n, shares[n])}, options, {n: starts[n]}, hooks, done(" (conversions)"))[n], say)
    final = [final[n] for n in names]
    return merge_levels(final, bound, ", budget split by shares",
                        [first[n].report for n in names if n not in keep] + earlier)


__all__ = ["budget_shares", "level_problem", "levels_to_move", "merge_levels", "plan_spending", "solve_by_level",
           "spending"]
