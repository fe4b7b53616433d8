r"""Coordinate the yearly budget of level-by-level plans by moving build years earlier.

When the levels are solved without the budget (:mod:`capacity.optimize.decompose`),
their union may overspend a year — with a cost discount every level builds
as late as its pupils allow, so the last build year collects everything.
Building a chosen school *earlier* never hurts its pupils: its seats are
ready sooner, so every assignment of the first round stays feasible and the
unserved and distance parts do not change. Only the discounted cost grows.

:func:`retime` therefore keeps the first round's sites, sizes and
assignments and solves one small MILP over the build years of the chosen
options only (all levels together, a few hundred binaries):

.. math::

    \min \gamma \sum_{o,b} \Big(c_o \delta_b + F_o \sum_{t:\, y_t \ge b+L} r_t \delta_{y_t}\Big) y_{ob}
    \quad\text{s.t.}\quad \sum_{b \le b^1_o} y_{ob} = 1\ \forall o,
    \quad \sum_{o} c_o y_{ob} \le B_b\ \forall b,

plus every count rule (a rule may name a build year), where :math:`b^1_o` is
option *o*'s first-round build year, :math:`\delta` the cost discount
factor, :math:`F_o` a new school's running cost a year (0 for an expansion
or a level without one) and :math:`r_t` the calendar years check *t*
stands for (see below); the budget row spreads a cost over the
construction years when the lag is 2 or more, as the model does. It is the core model of the same
problem with zero demand and the plan's options only, the first-round year
as an ``extra_constraints`` hook. If it is feasible, the retimed plan is
feasible for the joint problem and its gap against the budget-free bound
(the sum of the level bounds) is certified as before; if not (the budget is
too small for the chosen schools in any order), the caller re-solves the
levels that must move (:mod:`capacity.optimize.decompose`).

Measured on the Kunming baseline (benchmarks/README.md, "Kunming
baseline"): this replaces a second round of four level solves. On the
shrinking-system baseline the overspent year is the first build year, which
no retiming earlier can relieve; :func:`replan_years` (the chosen sites'
years and the assignments, jointly) replaces the second round there
(benchmarks/README.md, "Budget coordination by retiming (fifth session)").

A shrinking system (issue 13). Closures and conversions keep their years:
they are not options, a conversion's cost is taken off its year's budget, and
the seats a closure takes away leave in the same year as before, so the
assignments stay feasible. A new school with a running cost *F* a year
(``operating.school_cny``) runs longer when it opens sooner, so the timing
MILP's objective is the model's own cost part of the chosen options: the
discounted construction cost plus :math:`F\sum_{t \ge b+L} r_t\delta_t`,
the same span × discount arithmetic as
:func:`capacity.optimize.closures.operating_cost_parts` (built by the same
model code on a problem without demand, so the coefficients are the model's).
The per-pupil running cost depends on the assignments only, which do not
change. An option that takes over another level's school (a level
conversion, :mod:`capacity.optimize.conversions`) keeps its year: it may
not start before that school closes. Count rules stay rows of the timing
MILP, so a rule barring late build years (a special-education school that
must open by the plan's end, :func:`capacity.optimize.special.zone_minimums`)
or naming a year still holds. The retimed objective is the first round's plus
the change of that cost part, exactly what the joint model's objective gives
for the retimed plan with the first round's assignments.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from capacity.errors import InfeasibleError, SolverError
from capacity.optimize import core
from capacity.optimize.model import EQ
from capacity.optimize.problem import Operating, Options, Problem
from capacity.optimize.result import Solution, SolveReport

__all__ = ["pinned_options", "replan_years", "retime", "sites_kept_problem", "timing_problem"]


def timing_problem(problem: Problem, plans: dict) -> Problem:
    """``problem`` with zero demand and, per level, only the options its plan chose.

    Parameters
    ----------
    problem : Problem
    plans : dict of str to DataFrame
        ``level → Solution.opened`` (``option`` positions of that level).

    Returns
    -------
    Problem
        Same levels (in order), years, build years, count rules, weights and
        column weights; option *j* of a level is the *j*-th option row of its
        plan, with its original earliest build year; closures and conversions
        are gone (they keep their years) and each year's budget is less the
        conversions spent in it [CNY]. A level's running cost per school stays
        (per pupil it is 0: no demand), so the model's cost part of an option
        is its discounted construction plus the running cost of its years open.
    """
    levels = []
    budget = np.asarray(problem.budget_cny, dtype=float).copy()
    for lv in problem.levels:
        op = plans.get(lv.name, pd.DataFrame({"option": []}))
        if "kind" in op:
            conv = op[op["kind"] == "convert"]
            for year, cost in zip(conv["open_year"].to_numpy(np.int64), conv["cost_cny"].to_numpy(float)):
                at = np.searchsorted(problem.build_years, year)
                if at < budget.size and problem.build_years[at] == year:
                    budget[at] -= cost
        o = _built(op)["option"].to_numpy(np.int64)
        opts = Options(facility=lv.options.facility[o], seats=lv.options.seats[o],
                       cost_cny=lv.options.cost_cny[o], earliest_year=lv.options.earliest_year[o],
                       label=lv.options.label[o])
        units = dataclasses.replace(lv.units, demand=np.zeros_like(lv.units.demand), distance_weight=None)
        running = None if lv.operating is None else Operating(school_cny=lv.operating.school_cny, pupil_cny=0.0)
        levels.append(dataclasses.replace(lv, units=units, options=opts, closures=None, operating=running))
    # the plan's options only: level-conversion links (option positions of the whole problem) go; their
    # options keep their years (retime), so a conversion still starts after its closure
    # no objective constant (the existing schools' running cost): the moved cost is a difference of open columns
    weights = dataclasses.replace(problem.weights, existing_running=False)
    return dataclasses.replace(problem, levels=tuple(levels), budget_cny=np.maximum(budget, 0.0), conversions=(),
                               weights=weights)


def _built(op: pd.DataFrame) -> pd.DataFrame:
    """The rows of a plan that are options (not closures or conversions)."""
    return op[~op["kind"].isin(("close", "convert"))] if "kind" in op else op


def pinned_options(problem: Problem, plans: dict) -> dict:
    """Per level, which option rows of its plan keep their build year.

    An option that takes over another level's school (a level conversion's
    place, :attr:`Problem.conversions`) may not start before that school
    closes, so it stays; every other option may move earlier.

    Returns
    -------
    dict of str to ndarray of bool
        Aligned with :func:`_built` rows of ``plans[level]``.
    """
    targets = {}
    for link in problem.conversions:
        targets.setdefault(link.target, []).append(np.asarray(link.option, np.int64))
    out = {}
    for name, op in plans.items():
        o = _built(op)["option"].to_numpy(np.int64)
        out[name] = np.isin(o, np.concatenate(targets[name])) if name in targets else np.zeros(o.size, bool)
    return out


def _by_first_year(plans: dict, build_years: np.ndarray, pinned: dict, before: dict):
    """Hook: option *j* of each level opens exactly once, no later than its first-round year
    (exactly then where ``pinned``); stores the model's cost part of the first-round years in
    ``before["cost"]`` [CNY]."""
    def hook(model):
        cost = 0.0
        for name, lc in model.levels.items():
            p = lc.prepared
            latest = _built(plans[name])["open_year"].to_numpy(np.int64)
            year = build_years[p.open_year]
            fix = pinned[name][p.open_option]
            ok = np.where(fix, year == latest[p.open_option], year <= latest[p.open_option])
            n = latest.size
            if n:
                model.add_rows(f"retime_{name}", p.open_option[ok], lc.open_cols()[ok], np.ones(int(ok.sum())),
                               EQ, np.ones(n))
            was = year == latest[p.open_option]
            if int(was.sum()) != n:  # a first-round year the timing model lacks (cannot happen: same rules)
                raise InfeasibleError(f"level {name}: {n - int(was.sum())} first-round build year(s) not allowed")
            cost += float(model.parts["cost"][lc.open_cols()[was]].sum())
        before["cost"] = cost
    return hook


TIMING_GAP = 1.0e-4
"""Relative gap of the timing MILP (cost of the chosen options' years), at most 1/100 of the solve's gap."""


def retime(problem: Problem, first: dict, options) -> Solution | None:
    """Keep the first round's plans and move build years earlier until every budget holds.

    Parameters
    ----------
    problem : Problem
        The whole (weighted) problem, with its budgets.
    first : dict of str to Solution
        Each level's solution without the budget (same level order as ``problem``).
    options : SolverOptions

    Returns
    -------
    Solution or None
        The union of the first-round solutions with the new build years
        (``open_year``, ``ready_year``), its cost part and objective updated
        by the change of the chosen options' cost part (construction and
        running costs); the report's stages are the first round's plus the
        timing solve, its bound the sum of the first round's. ``None`` when
        no retiming keeps to the budgets.
    """
    t0 = time.perf_counter()
    names = [lv.name for lv in problem.levels]
    plans = {n: first[n].opened.reset_index(drop=True) for n in names}
    timing = timing_problem(problem, plans)
    before = {}
    hook = _by_first_year(plans, np.asarray(problem.build_years), pinned_options(problem, plans), before)
    # A knapsack over the plan's options: proving 1e-9 can take minutes (Kunming-like plans: 46 s, and over
    # 5 min in a run), 1e-4 of the construction cost takes a second; any loss is in the reported objective,
    # and the bound (the budget-free levels') does not depend on it, so the gap stays certified.
    gap = max(min(TIMING_GAP, options.gap_rel / 100), 1e-9)
    opts = dataclasses.replace(options, warm_start=False, on_progress=None, gap_rel=gap, relaxation_start=False)
    try:
        sol = core.solve(timing, opts, extra_constraints=hook)
    except InfeasibleError:
        return None
    opened = []
    for name in names:
        mine = sol.opened[sol.opened["level"] == name].set_index("option")
        whole = plans[name]
        op = _built(whole).copy()
        lag = int(problem.level(name).lag_years)
        op["open_year"] = mine.loc[np.arange(len(op)), "open_year"].to_numpy(np.int64) if len(op) else op["open_year"]
        op["ready_year"] = op["open_year"] + lag
        opened.append(pd.concat([op, whole.loc[whole.index.difference(op.index)]]).sort_index())
    reps = [first[n].report for n in names]
    w = problem.weights
    parts = {k: float(sum(r.objective_parts.get(k, 0.0) for r in reps)) for k in reps[0].objective_parts}
    # only the chosen options' years moved: the cost part changes by their construction and running cost
    moved = sol.report.objective_parts["cost"] - before["cost"]
    objective = float(sum(r.objective for r in reps)) + w.cost * moved
    parts["cost"] = parts["cost"] + moved
    calls = [st for r in reps for st in r.stages] + list(sol.report.stages)
    python_s = (sum(r.build_seconds for r in reps) + (time.perf_counter() - t0) - sol.report.solve_seconds
                - sum(st.transfer_seconds for st in calls))
    report = SolveReport.from_stages(
        calls, objective, parts, float(sum(r.best_bound for r in reps)), build_seconds=max(python_s, 0.0),
        solver=f"{reps[0].solver} (by level, build years moved earlier for the budget)",
        n_variables=sum(r.n_variables for r in reps), n_constraints=sum(r.n_constraints for r in reps))
    cat = lambda name: pd.concat([getattr(first[n], name) for n in names], ignore_index=True)  # noqa: E731
    return Solution(pd.concat(opened, ignore_index=True), cat("assignments"), cat("unserved"), report)


def sites_kept_problem(problem: Problem, plans: dict) -> tuple[Problem, dict]:
    """``problem`` with each level's options cut to those its plan chose (any allowed build year).

    Demand, arcs, closures, conversions, running costs, count rules and budgets
    stay: the joint model of this problem is the joint model of ``problem``
    without the build columns of the options no plan chose, so its objective
    of a plan is that of ``problem``.

    Parameters
    ----------
    problem : Problem
    plans : dict of str to DataFrame
        ``level → Solution.opened`` (``option`` positions of that level).

    Returns
    -------
    (Problem, dict of str to ndarray)
        The problem, and per level the original position of each of its options.
    """
    levels, kept = [], {}
    for lv in problem.levels:
        o = np.unique(_built(plans.get(lv.name, pd.DataFrame({"option": []})))["option"].to_numpy(np.int64))
        kept[lv.name] = o
        opts = Options(facility=lv.options.facility[o], seats=lv.options.seats[o], cost_cny=lv.options.cost_cny[o],
                       earliest_year=lv.options.earliest_year[o], label=lv.options.label[o])
        levels.append(dataclasses.replace(lv, options=opts))
    links = []
    for link in problem.conversions:  # a link whose target option no plan chose leaves its source school free
        o = kept[link.target]
        pos = np.searchsorted(o, link.option)
        hit = (pos < o.size) & (o[np.minimum(pos, max(o.size - 1, 0))] == link.option) if o.size else \
            np.zeros(link.option.size, bool)
        if hit.any():
            links.append(dataclasses.replace(link, facility=link.facility[hit], option=pos[hit]))
    return dataclasses.replace(problem, levels=tuple(levels), conversions=tuple(links)), kept


def replan_years(problem: Problem, first: dict, options) -> Solution | None:
    """Keep the first round's sites and sizes; choose their build years and the assignments jointly.

    When the first build year is overspent (yearly checks with a lag make
    every level start its schools for the next year's pupils at once),
    :func:`retime` cannot help: schools can only move later, and their
    pupils with them. This solves the joint model restricted to the chosen
    options (:func:`sites_kept_problem`): a few hundred build binaries, the
    closures, and the assignment LP, with every budget, count rule and
    closure rule of the joint model. Its plan is feasible for the whole
    problem with the same objective; the bound stays the budget-free sum of
    the level bounds.

    Parameters
    ----------
    problem : Problem
    first : dict of str to Solution
        Each level's solution without the budget.
    options : SolverOptions
        As for the level solves (time limit, gap).

    Returns
    -------
    Solution or None
        Option positions are ``problem``'s; the report's stages are the first
        round's plus this solve's. ``None`` when the restricted model is
        infeasible or the solver stops without a plan.
    """
    names = [lv.name for lv in problem.levels]
    t0 = time.perf_counter()
    restricted, kept = sites_kept_problem(problem, {n: first[n].opened for n in names})
    try:
        sol = core.solve(restricted, dataclasses.replace(options, warm_start=False, on_progress=None))
    except (InfeasibleError, SolverError):
        return None
    opened = sol.opened.copy()
    built = opened["option"].to_numpy(np.int64) >= 0
    for name in names:
        rows = built & (opened["level"] == name).to_numpy()
        opened.loc[rows, "option"] = kept[name][opened.loc[rows, "option"].to_numpy(np.int64)]
    reps = [first[n].report for n in names]
    # the first round's calls count as calls (as in retime): their bounds certify the gap and their
    # sites make the plan; the status is optimal only when the certified gap is within theirs
    calls = [st for r in reps for st in r.stages] + list(sol.report.stages)
    python_s = (sum(r.build_seconds for r in reps) + (time.perf_counter() - t0) - sol.report.solve_seconds
                - sum(st.transfer_seconds for st in calls))
    report = SolveReport.from_stages(
        calls, sol.report.objective, sol.report.objective_parts, float(sum(r.best_bound for r in reps)),
        build_seconds=max(python_s, 0.0),
        solver=f"{reps[0].solver} (by level, then build years and assignments of the chosen schools jointly "
               "for the budget)",
        n_variables=sum(r.n_variables for r in reps), n_constraints=sum(r.n_constraints for r in reps))
    return Solution(opened, sol.assignments, sol.unserved, report)
