"""The optimiser's entry point: check, build, solve (weighted or lexicographic), extract."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable, Optional

import numpy as np
import pulp

from ..errors import InfeasibleError, SolverError
from .model import OBJECTIVE_PARTS, Model, build_model, set_objective, weighted_objective
from .precheck import check_feasibility
from .prepare import prepare
from .problem import Problem
from .result import Solution, SolveReport, StageReport, extract
from .solvers import SolverOptions, relative_gap, run

__all__ = ["apply_start", "solve"]


def apply_start(model: Model, start) -> int:
    """Set the build binaries of ``model`` to a plan, as a MIP start.

    Parameters
    ----------
    model : Model
    start : DataFrame
        A plan as ``Solution.opened`` gives it: ``level``, ``option`` (the
        option's position in its level) and ``open_year`` [calendar year].

    Returns
    -------
    int
        How many of the plan's options were found among the model's
        (land-filtered, year-allowed) build columns. Every build column of
        the plan's levels gets a value (1 for the plan's, 0 for the others);
        assignments are left for the solver to complete.
    """
    build_years = np.asarray(model.problem.build_years)
    found = 0
    for name, lc in model.levels.items():
        p = lc.prepared
        mine = start[start["level"] == name]
        year = np.searchsorted(build_years, mine["open_year"].to_numpy(np.int64))
        nb = build_years.size
        hit = np.isin(p.open_option * nb + p.open_year, mine["option"].to_numpy(np.int64) * nb + year)
        found += int(hit.sum())
        for col, flag in zip(lc.open_cols().tolist(), hit.tolist()):
            model.columns[col].setInitialValue(1.0 if flag else 0.0)
    return found


def _values(model: Model) -> np.ndarray:
    return np.fromiter((v.varValue or 0.0 for v in model.columns), dtype=float, count=len(model.columns))


def _stage(model: Model, part: str, opts: SolverOptions, coef: np.ndarray) -> tuple[StageReport, np.ndarray]:
    """One solver call on the objective ``coef``: its report and the column values.

    Objective and gap are taken from the returned values (HiGHS can report an
    objective that is not the returned solution's after a MIP start)."""
    r = run(model.prob, opts)
    if r.status == "infeasible":
        raise InfeasibleError(f"the solver ({r.solver}) proved the plan infeasible ({r.detail}); "
                              "check count rules, budgets and land against each other")
    if r.status not in ("optimal", "feasible"):
        raise SolverError(f"{r.solver} stopped without a solution: {r.status} ({r.detail})"
                          + (f" within the time limit of {opts.time_limit} s" if opts.time_limit else ""))
    values = _values(model)
    objective = float(coef @ values)
    gap = relative_gap(objective, r.best_bound) if math.isfinite(r.best_bound) else r.gap
    return StageReport(part, r.status, objective, r.best_bound, gap, r.transfer_seconds, r.solve_seconds), values


def solve(problem: Problem, options: SolverOptions = SolverOptions(),
          extra_constraints: Optional[Callable[[Model], None]] = None, start=None) -> Solution:
    """Plan schools for ``problem``: where, what size, in which year.

    Parameters
    ----------
    problem : Problem
        Array-level problem (see :mod:`capacity.optimize.problem`).
    options : SolverOptions
        Solver name, time limit [s], relative gap, threads, log, strong linking.
    extra_constraints : callable, optional
        Hook ``f(model)`` to add rows to ``model.prob`` after the built-in
        ones (see :class:`capacity.optimize.model.Model`).
    start : DataFrame, optional
        A plan to start from (``Solution.opened`` of a solve on the same
        city and plan settings, e.g. the scenario's plan when re-optimising
        a demographic draw): its build choices become the solver's MIP start
        (:func:`apply_start`), so the result is never worse than that plan
        when the plan is feasible here.

    Returns
    -------
    Solution
        Opened options, assignments, unserved pupils and a :class:`SolveReport`.

    Raises
    ------
    InfeasibleError
        A pre-check failed (the message names the cause) or the solver proved
        infeasibility.
    SolverError
        The solver failed or stopped without any solution.

    Notes
    -----
    ``problem.objective == "weighted"`` minimises
    ``α·unserved + β·distance + γ·cost`` once. ``"lexicographic"`` minimises
    unserved, then bounds it by ``v·(1 + rel) + abs`` and minimises distance,
    then bounds that and minimises cost (tolerances in ``problem.weights``);
    each stage starts from the previous stage's solution (a MIP start).
    Parts that are identically zero are skipped. Formulation: see
    :mod:`capacity.optimize.model`.
    """
    t0 = time.perf_counter()
    prepared = prepare(problem)
    check_feasibility(problem, prepared)
    model = build_model(problem, prepared, strong_linking=options.strong_linking,
                        extra_constraints=extra_constraints)
    if start is not None and len(start):
        apply_start(model, start)
        options = dataclasses.replace(options, warm_start=True)
    build_s = time.perf_counter() - t0
    stages = []
    if problem.objective == "weighted":
        coef = weighted_objective(model)
        set_objective(model, coef)
        st, values = _stage(model, "weighted", options, coef)
        stages.append(st)
    else:
        w = problem.weights
        parts = [k for k in OBJECTIVE_PARTS if np.any(model.parts[k])]
        for n, part in enumerate(parts):
            t1 = time.perf_counter()
            coef = model.parts[part]
            set_objective(model, coef)
            build_s += time.perf_counter() - t1
            st, values = _stage(model, part, options, coef)
            stages.append(st)
            if n < len(parts) - 1:
                t1 = time.perf_counter()
                # keep this stage's optimum (use the bound-side value when not proven optimal)
                limit = st.objective * (1 + w.lexicographic_rel_tol) + w.lexicographic_abs_tol
                model.prob.addConstraint(pulp.LpConstraint(model.expression(coef), pulp.LpConstraintLE,
                                                           f"lex_{part}", limit))
                model.n_rows += 1
                # this stage's solution meets the new row: the next stage starts from it
                options = dataclasses.replace(options, warm_start=True)
                build_s += time.perf_counter() - t1
    last = stages[-1]
    parts = {k: float(model.parts[k] @ values) for k in OBJECTIVE_PARTS}
    status = "optimal" if all(s.status == "optimal" for s in stages) else "feasible"
    report = SolveReport(
        status=status, objective=last.objective, objective_parts=parts,
        best_bound=last.best_bound, gap=max(s.gap for s in stages) if stages else math.nan,
        build_seconds=build_s + sum(s.transfer_seconds for s in stages),
        solve_seconds=sum(s.solve_seconds for s in stages), solver=options.solver,
        n_variables=len(model.columns), n_constraints=model.n_rows, stages=tuple(stages))
    return extract(model, values, report)
