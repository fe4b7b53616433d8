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
from typing import Callable, Optional

import numpy as np
import pandas as pd

from capacity.errors import SolverError
from capacity.optimize import core
from capacity.optimize.conversions import mark_conversions
from capacity.optimize.decompose import solve_by_level
from capacity.optimize.problem import Options, Problem
from capacity.optimize.result import Solution
from capacity.optimize.solvers import SolverOptions

METHODS = ("auto", "joint", "by_level")

__all__ = ["METHODS", "evaluate", "fixed_plan_problem", "solve", "uses_levels"]


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
    """
    if uses_levels(problem, method, objective):
        sol = solve_by_level(problem, options, progress, start=start, extra_constraints=extra_constraints,
                             objective=objective)
    else:
        sol = core.solve(problem, options, extra_constraints=extra_constraints, start=start, objective=objective)
    if problem.conversions:  # a source school whose place another level took is a conversion (issue 13)
        sol = dataclasses.replace(sol, opened=mark_conversions(problem, sol.opened))
    return sol


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
