"""The optimiser's public solve path: one :func:`solve`, and :func:`evaluate` for a fixed plan.

The pipeline, the ensemble and the benchmarks call these two functions
(re-exported by :mod:`capacity.optimize`); every other entry point of the
package is a building block of them. A fixed plan is evaluated by the same
solve with the plan's choices fixed; a worst-case robust plan is the same
solve with an ``extra_constraints`` hook and an ``objective`` hook (see
:mod:`capacity.ensemble.robust`).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Optional

import numpy as np
import pandas as pd

from capacity.errors import SolverError
from capacity.optimize import core
from capacity.optimize.conversions import mark_conversions
from capacity.optimize.aggregate import aggregate_problem
from capacity.optimize.decompose import solve_by_level
from capacity.optimize.model import OBJECTIVE_PARTS, build_model, weighted_objective
from capacity.optimize.prepare import prepare
from capacity.optimize.problem import Options, Problem
from capacity.optimize.result import Solution, SolveReport, extract
from capacity.optimize.solvers import SolverOptions

METHODS = ("auto", "joint", "by_level")

__all__ = ["METHODS", "disaggregate", "evaluate", "fixed_plan_problem", "solve", "uses_levels"]


def uses_levels(problem: Problem, method: str, objective=None) -> bool:
    """Whether :func:`solve` splits ``problem`` by level for ``method``.

    ``by_level`` and ``auto`` (with several levels) split a weighted problem;
    a lexicographic objective, or an objective hook with ``auto``, is solved
    jointly (its parts do not add up over levels in general).
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r} is not one of {', '.join(METHODS)}")
    if problem.objective != "weighted":
        return False
    if method == "by_level":
        return True
    return method == "auto" and len(problem.levels) > 1 and objective is None


def solve(problem: Problem, options: SolverOptions = SolverOptions(), *, method: str = "joint",
          extra_constraints: Optional[Callable] = None, objective: Optional[Callable] = None,
          start: Optional[pd.DataFrame] = None, progress: Optional[Callable[[str], None]] = None) -> Solution:
    """Solve ``problem``: the one entry point of the optimiser.

    Parameters
    ----------
    problem : Problem
    options : SolverOptions
    method : {"joint", "by_level", "auto"}
        One model, or one model per level with the budget coordinated
        afterwards (:mod:`capacity.optimize.decompose`); ``auto`` splits a
        weighted problem of several levels.
    extra_constraints : callable, optional
        Hook ``f(model)`` adding rows after the built-in ones; by level it is
        called on every level's model (``model.levels`` holds that level).
    objective : callable, optional
        ``f(model) -> coefficients`` minimised instead of the weighted objective.
    start : DataFrame, optional
        A plan to start from (MIP start; see :func:`capacity.optimize.core.solve`).
    progress : callable, optional
        ``progress(message)`` after each level solve.

    Returns
    -------
    Solution
        With ``options.aggregate_m`` set (a weighted objective, no hooks),
        the plan is found on the aggregated units
        (:mod:`capacity.optimize.aggregate`) and its pupils are then assigned
        unit by unit (:func:`disaggregate`): the tables are at the original
        units' resolution, the objective is the true one, the bound is the
        aggregated solver's bound minus the a-priori bound, and
        ``report.aggregation`` says what was merged.
    """
    if (options.aggregate_m is not None and extra_constraints is None and objective is None
            and problem.objective == "weighted"):
        sol = _solve_aggregated(problem, options, method, start, progress)
    else:
        sol = _solve_plain(problem, dataclasses.replace(options, aggregate_m=None), method, start, progress,
                           extra_constraints, objective)
    if problem.conversions:  # a source school whose place another level took is a conversion (issue 13)
        sol = dataclasses.replace(sol, opened=mark_conversions(problem, sol.opened))
    return sol


def _solve_plain(problem, options, method, start, progress, extra_constraints=None, objective=None) -> Solution:
    """:func:`solve` without aggregation and before conversions are marked in ``opened``."""
    if uses_levels(problem, method, objective):
        return solve_by_level(problem, options, progress, start=start, extra_constraints=extra_constraints,
                              objective=objective)
    return core.solve(problem, options, extra_constraints=extra_constraints, start=start, objective=objective)


def _solve_aggregated(problem: Problem, options: SolverOptions, method: str, start, progress) -> Solution:
    """:func:`solve` on merged units, then the exact assignment of the original units."""
    t0 = time.perf_counter()
    merged, info = aggregate_problem(problem, float(options.aggregate_m))
    inner = dataclasses.replace(options, aggregate_m=None)
    bound_b = float(sum(i.bound for i in info.values()))
    summary = {"tolerance_m": float(options.aggregate_m),
               "levels": {name: i.as_dict() for name, i in info.items()},
               "bound_objective": bound_b,
               "bound_pupil_m": float(sum(i.pupil_m for i in info.values()))}
    if all(i.units_after == i.units_before for i in info.values()):  # nothing merged: the plain solve
        sol = _solve_plain(problem, inner, method, start, progress)
        summary["bound_share"] = 0.0
        return dataclasses.replace(sol, report=dataclasses.replace(sol.report, aggregation=summary))
    aggregate_s = time.perf_counter() - t0
    if progress is not None:
        progress("demand units merged: " + ", ".join(
            f"{n} {i.units_before:,} → {i.units_after:,}" for n, i in info.items()) + f" (bound {bound_b:,.1f})")
    coarse = _solve_plain(merged, inner, method, start, progress)  # closures not yet marked as conversions
    exact = disaggregate(problem, coarse.opened, inner)
    lp = exact.report
    bound = coarse.report.best_bound - bound_b  # a valid lower bound of the original problem
    summary["bound_share"] = bound_b / max(abs(lp.objective), 1e-10)
    summary["aggregated_objective"] = coarse.report.objective
    summary["aggregated_best_bound"] = coarse.report.best_bound
    report = SolveReport.from_stages(
        tuple(lp.stages), lp.objective, lp.objective_parts, bound,
        build_seconds=aggregate_s + coarse.report.build_seconds + lp.build_seconds
        - sum(st.transfer_seconds for st in coarse.report.stages + lp.stages),
        solver=f"{coarse.report.solver}, aggregated units", n_variables=coarse.report.n_variables,
        n_constraints=coarse.report.n_constraints, earlier=coarse.report.stages)
    # the LP's status alone would not do: the coarse solve decided the plan (its gap stands for the search)
    status = "optimal" if coarse.report.status == "optimal" and lp.status == "optimal" else "feasible"
    report = dataclasses.replace(report, status=status, aggregation=summary)
    return dataclasses.replace(exact, report=report, opened=coarse.opened)


def disaggregate(problem: Problem, opened: pd.DataFrame, options: SolverOptions = SolverOptions()) -> Solution:
    """Assign ``problem``'s own units to a fixed plan: the transportation LP after an aggregated solve.

    Every build, closure and conversion column of ``problem``'s model is
    fixed to ``opened`` (option positions and facility labels of the same
    levels, options and build years: an aggregated problem's plan); the
    assignment and unserved columns are solved exactly.

    Parameters
    ----------
    problem : Problem
        The original (unaggregated) problem.
    opened : DataFrame
        ``Solution.opened`` of the aggregated solve.
    options : SolverOptions

    Returns
    -------
    Solution
        The plan again, the unit-level assignment and unserved pupils, and a
        report whose objective is the plan's true objective.

    Raises
    ------
    SolverError
        The plan has a choice the original model lacks, or the LP did not
        solve to optimality.
    """
    t0 = time.perf_counter()
    model = build_model(problem, prepare(problem), strong_linking=False)
    build_years = np.asarray(problem.build_years)
    nb = build_years.size
    for name, lc in model.levels.items():
        p = lc.prepared
        mine = opened[opened["level"] == name]
        kind = mine["kind"].to_numpy(str) if "kind" in mine else np.full(len(mine), "new")
        shut = np.isin(kind, ("close", "convert"))
        built = mine[~shut]
        year = np.searchsorted(build_years, built["open_year"].to_numpy(np.int64))
        on = np.isin(p.open_option * nb + p.open_year, built["option"].to_numpy(np.int64) * nb + year)
        if on.sum() != len(built):
            raise SolverError(f"level {name}: {len(built) - int(on.sum())} option(s) of the aggregated plan "
                              "have no build column in the original model")
        model.fix_columns(lc.open_cols(), on.astype(float))
        if lc.n_close:
            gone = mine[shut]
            fac = pd.Index(p.level.facilities.ids).get_indexer(gone["facility"].to_numpy())
            # a closed school another level took over (issue 13) is a closure column, not a conversion one
            taken = gone["label"].astype(str).isin([f"to {lv.name}" for lv in problem.levels]).to_numpy()
            ck = ((kind[shut] == "convert") & ~taken).astype(np.int64)
            key = (fac * nb + np.searchsorted(build_years, gone["open_year"].to_numpy(np.int64))) * 2 + ck
            z = np.isin((p.close_facility * nb + p.close_year) * 2 + p.close_kind, key)
            model.fix_columns(lc.close_cols(), z.astype(float))
    opts = dataclasses.replace(options, warm_start=False, aggregate_m=None)
    build_s = time.perf_counter() - t0
    st, values = core.run_stage(model, "assignment", opts, weighted_objective(model))
    if st.status != "optimal":
        raise SolverError(f"the assignment LP of the aggregated plan stopped with {st.status}")
    parts = {k: float(model.parts[k] @ values) for k in OBJECTIVE_PARTS}
    report = SolveReport.from_stages([st], st.objective, parts, st.best_bound, build_seconds=build_s,
                                     solver=options.solver, n_variables=model.n_cols, n_constraints=model.n_rows)
    return extract(model, values, report)


def fixed_plan_problem(problem: Problem, opened: pd.DataFrame) -> Problem:
    """``problem`` reduced to the options a plan opened, each from its build year on.

    Count rules and budgets are dropped (a fixed plan meets them or not
    whatever the demand); sites the plan leaves empty keep no options, so
    their arcs disappear in :func:`capacity.optimize.prepare.prepare`.

    Parameters
    ----------
    problem : Problem
    opened : DataFrame
        ``level, option, open_year``: option positions of ``problem`` and build years.
    """
    levels = []
    if "kind" in opened:  # closures and conversions are not options (issue 13: not fixed here, see below)
        opened = opened[~opened["kind"].isin(("close", "convert"))]
    for lv in problem.levels:
        op = opened[opened["level"] == lv.name]
        o = op["option"].to_numpy(np.int64)
        opts = Options(facility=lv.options.facility[o], seats=lv.options.seats[o],
                       cost_cny=lv.options.cost_cny[o], earliest_year=op["open_year"].to_numpy(np.int64),
                       label=lv.options.label[o])
        # a fixed plan's schools all stay open: closures are not re-decided per draw (a limitation)
        levels.append(dataclasses.replace(lv, options=opts, closures=None))
    return dataclasses.replace(problem, levels=tuple(levels), count_rules=(), budget_cny=None, conversions=())


def evaluate(problem: Problem, opened: pd.DataFrame, options: SolverOptions = SolverOptions()) -> Solution:
    """Serve ``problem``'s demand with a fixed plan: the same solve with the plan's choices fixed.

    Parameters
    ----------
    problem : Problem
        E.g. a demographic draw's problem (its unit demand).
    opened : DataFrame
        The plan: ``Solution.opened`` of a solve on the same city and plan
        settings (``level, option, open_year`` are used).
    options : SolverOptions

    Returns
    -------
    Solution
        ``opened`` is the plan again (option positions of ``problem``);
        assignments and unserved pupils are the assignment LP's; its report's
        objective is the plan's weighted objective on this demand.

    Raises
    ------
    SolverError
        The LP did not solve to optimality (it always has a solution when
        pupils may go unserved).
    """
    fixed = fixed_plan_problem(problem, opened)
    sol = core.solve(fixed, dataclasses.replace(options, strong_linking=False, warm_start=False), fix_plan=True)
    if sol.report.status != "optimal":
        raise SolverError(f"the assignment LP of a fixed plan stopped with {sol.report.status}")
    names = [lv.name for lv in problem.levels]
    return dataclasses.replace(sol, opened=opened[opened["level"].isin(names)].reset_index(drop=True))
