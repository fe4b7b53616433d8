"""The ensemble's tasks: pure functions of picklable inputs, run by any runner.

Phase 0 solves the scenario's own plan on the medium projection
(:func:`solve_baseline`); phase 1 re-optimises each draw
(:func:`optimise_draw`) and fits the robust plan (:func:`fit_robust`), both
starting from that plan; phase 2 evaluates the fixed plans — the scenario's
own (``baseline``) and the robust one — on every draw
(:func:`evaluate_draw`). Inputs are numpy arrays, frozen dataclasses and
DataFrames (no city, no scenario: those hold objects that do not pickle),
so a task runs the same in this process, on a local cluster or on a remote
Dask worker.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Optional

import pandas as pd

from capacity.ensemble.demand import with_demand
from capacity.ensemble.evaluate import evaluate_plan, level_figures, level_objective
from capacity.ensemble.robust import solve_robust
from capacity.errors import SolverError
from capacity.optimize import solve

START_KEPT = "start kept"
"""Status of a re-optimisation whose solver found no plan within its limit: the draw keeps the start."""

OPENED_COLUMNS = ["level", "facility", "option", "kind", "label", "seats", "cost_cny", "zone", "open_year",
                  "ready_year"]


@dataclass(frozen=True)
class Shared:
    """What every task of a phase needs (scattered once to the workers).

    Attributes
    ----------
    problem : Problem
        The scenario's problem on the medium projection (its evaluation years).
    options : SolverOptions
        One thread, the ensemble's time limit and gap.
    method : str
        ``auto``, ``by_level`` or ``joint`` (see :func:`capacity.optimize.solve`).
    robust : str
        ``expected`` or ``worst``.
    fan_problem : Problem or None
        The same plan settings in the fan chart's extra years (no objective).
    plans : dict of str to DataFrame
        Fixed plans to evaluate (phase 2): ``name → Solution.opened``.
    start : DataFrame or None
        The plan every re-optimisation and the robust fit start from (the
        scenario's own, phase 1): a MIP start, so they end no worse than it.
    """

    problem: object
    options: object
    method: str = "auto"
    robust: str = "expected"
    fan_problem: Optional[object] = None
    plans: dict = field(default_factory=dict)
    start: Optional[pd.DataFrame] = None


@dataclass(frozen=True)
class DrawItem:
    """One draw: its number and unit demand ``{level: (U, T)}`` [pupils]."""

    draw: int
    demand: dict
    fan_demand: Optional[dict] = None


@dataclass(frozen=True)
class DrawOutcome:
    """What a task returns for one draw and one or more plans.

    Attributes
    ----------
    draw : int
    figures : DataFrame
        :func:`~capacity.ensemble.evaluate.level_figures` rows with ``draw,
        plan, objective_year``.
    objectives : DataFrame
        ``draw, plan, level, unserved_weighted, distance, cost_cny, objective``.
    opened : DataFrame
        The re-optimised plan's ``Solution.opened`` (phase 1) with ``draw``.
    reports : DataFrame
        ``draw, plan, status, gap, best_bound, seconds``.
    """

    draw: int
    figures: pd.DataFrame
    objectives: pd.DataFrame
    opened: pd.DataFrame
    reports: pd.DataFrame


def _frames(draw, plan, problem, solution, fan=None):
    fig = level_figures(problem, solution).assign(objective_year=True)
    obj = level_objective(problem, solution, fig)
    if fan is not None:
        fig = pd.concat([fig, level_figures(*fan).assign(objective_year=False)], ignore_index=True)
    fig.insert(0, "plan", plan)
    fig.insert(0, "draw", draw)
    obj.insert(0, "plan", plan)
    obj.insert(0, "draw", draw)
    return fig, obj


def _report(draw, plan, report, seconds):
    return {"draw": draw, "plan": plan, "status": report.status, "gap": float(report.gap),
            "best_bound": float(report.best_bound), "seconds": seconds}


def lp_options(options):
    """``options`` without a time limit: a fixed plan's evaluation is an assignment LP, which must
    finish — under a re-optimisation's short limit (24 s for 6 draws) a busy machine stopped it with
    no solution and ended the whole ensemble (benchmarks/README.md, "Ensemble", fifth session)."""
    return dataclasses.replace(options, time_limit=None)


def optimise_draw(shared: Shared, item: DrawItem) -> DrawOutcome:
    """Re-optimise one draw: the plan that draw would have chosen, and its figures."""
    t0 = time.perf_counter()
    problem = with_demand(shared.problem, item.demand)
    try:
        sol = solve(problem, shared.options, method=shared.method, start=shared.start)
    except SolverError:
        if shared.start is None:
            raise
        # the solver stopped on its limit before it even took up the start (e.g. in presolve on a busy
        # machine): the draw keeps the scenario's plan, as a warm start would have; no bound is known
        sol = evaluate_plan(problem, shared.start, lp_options(shared.options))
        nan = float("nan")
        sol = dataclasses.replace(sol, report=dataclasses.replace(sol.report, status=START_KEPT, gap=nan,
                                                                  best_bound=nan))
    seconds = time.perf_counter() - t0
    fig, obj = _frames(item.draw, "optimum", problem, sol)
    opened = sol.opened[OPENED_COLUMNS].assign(draw=item.draw)
    return DrawOutcome(item.draw, fig, obj, opened,
                       pd.DataFrame([_report(item.draw, "optimum", sol.report, seconds)]))


def evaluate_draw(shared: Shared, item: DrawItem) -> DrawOutcome:
    """Every fixed plan of ``shared.plans`` on one draw (assignment LPs; closures and conversions in force)."""
    problem = with_demand(shared.problem, item.demand)
    fan_problem = None
    if shared.fan_problem is not None and item.fan_demand is not None:
        fan_problem = with_demand(shared.fan_problem, item.fan_demand)
    figs, objs, reps = [], [], []
    for name, opened in shared.plans.items():
        t0 = time.perf_counter()
        sol = evaluate_plan(problem, opened, lp_options(shared.options))
        fan = None
        if fan_problem is not None:
            fan = (fan_problem, evaluate_plan(fan_problem, opened, lp_options(shared.options)))
        fig, obj = _frames(item.draw, name, problem, sol, fan)
        figs.append(fig)
        objs.append(obj)
        reps.append(_report(item.draw, name, sol.report, time.perf_counter() - t0))
    return DrawOutcome(item.draw, pd.concat(figs, ignore_index=True), pd.concat(objs, ignore_index=True),
                       pd.DataFrame(columns=OPENED_COLUMNS + ["draw"]), pd.DataFrame(reps))


def evaluate_one(shared: Shared, job: tuple) -> DrawOutcome:
    """One fixed plan on one draw: ``job = (item, name, label, fan)``.

    ``shared.plans[name]`` is evaluated on ``item``'s demand and its rows are
    labelled ``label``; with ``fan`` also in the fan chart's extra years.
    One plan and one draw per task, so the evaluations spread evenly over
    the workers.
    """
    item, name, label, fan = job
    opened = shared.plans[name]
    t0 = time.perf_counter()
    problem = with_demand(shared.problem, item.demand)
    sol = evaluate_plan(problem, opened, lp_options(shared.options))
    extra = None
    if fan and shared.fan_problem is not None and item.fan_demand is not None:
        fan_problem = with_demand(shared.fan_problem, item.fan_demand)
        extra = (fan_problem, evaluate_plan(fan_problem, opened, lp_options(shared.options)))
    fig, obj = _frames(item.draw, label, problem, sol, extra)
    rep = pd.DataFrame([_report(item.draw, label, sol.report, time.perf_counter() - t0)])
    return DrawOutcome(item.draw, fig, obj, pd.DataFrame(columns=OPENED_COLUMNS + ["draw"]), rep)


def fit_robust(shared: Shared, items: tuple) -> tuple:
    """The robust plan over the draws ``items`` (a tuple of :class:`DrawItem`).

    Its time limit is the ensemble's times the number of draws it is fitted on.

    Returns
    -------
    (DataFrame, dict)
        The plan (``Solution.opened``) and its solve report (``SolveReport.as_dict``).
    """
    t0 = time.perf_counter()
    options = shared.options
    if options.time_limit is not None:  # K stacked draws: a K times larger model, K times the time
        options = dataclasses.replace(options, time_limit=options.time_limit * max(len(items), 1))
    sol = solve_robust(shared.problem, [it.demand for it in items], options, shared.robust, shared.method,
                       start=shared.start)
    rep = sol.report.as_dict()
    rep["seconds"] = time.perf_counter() - t0
    rep["fit_draws"] = [it.draw for it in items]
    return sol.opened[OPENED_COLUMNS].reset_index(drop=True), rep


def run_task(shared: Shared, job: tuple):
    """Dispatch ``(kind, payload)`` to a task of :data:`TASKS` (one map, mixed jobs)."""
    kind, payload = job
    return TASKS[kind](shared, payload)


def solve_baseline(shared: Shared, _=None) -> tuple:
    """The scenario's own plan on the medium projection (``Solution.opened``, report)."""
    t0 = time.perf_counter()
    sol = solve(shared.problem, shared.options, method=shared.method)
    rep = sol.report.as_dict()
    rep["seconds"] = time.perf_counter() - t0
    return sol.opened[OPENED_COLUMNS].reset_index(drop=True), rep


TASKS = {"baseline": solve_baseline, "robust": fit_robust, "optimise": optimise_draw, "evaluate": evaluate_draw,
         "evaluate_one": evaluate_one}
"""Task registry ``{kind: f(shared, payload)}`` used by :func:`run_task`."""
