"""The optimiser's entry point: check, build, solve (weighted or lexicographic), extract."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable, Optional

import numpy as np

from ..errors import InfeasibleError, SolverError
from .highs import run_highs_arrays
from .model import LE, OBJECTIVE_PARTS, Model, build_model, set_objective, weighted_objective
from .precheck import check_feasibility
from .prepare import prepare
from .problem import Problem
from .result import Solution, SolveReport, StageReport, extract
from .solvers import SolverOptions, relative_gap, run

__all__ = ["apply_start", "fix_plan_columns", "run_stage", "solve"]


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
        model.set_start(lc.open_cols(), hit.astype(float))
    return found


def fix_plan_columns(model: Model) -> int:
    """Fix every build column to the plan its options encode: 1 in the option's earliest year, else 0.

    Used on a problem reduced to a plan's options (see
    :func:`capacity.optimize.api.fixed_plan_problem`): each option's
    ``earliest_year`` is the plan's build year, so fixing the columns turns
    the model into the assignment LP of that plan. Returns how many columns
    were fixed to 1.
    """
    build_years = np.asarray(model.problem.build_years)
    on_total = 0
    for lc in model.levels.values():
        p = lc.prepared
        on = build_years[p.open_year] == p.level.options.earliest_year[p.open_option]
        model.fix_columns(lc.open_cols(), on.astype(float))
        on_total += int(on.sum())
    return on_total


def _values(model: Model) -> np.ndarray:
    return np.fromiter((v.varValue or 0.0 for v in model.columns), dtype=float, count=len(model.columns))


def run_stage(model: Model, part: str, opts: SolverOptions, coef: np.ndarray) -> tuple[StageReport, np.ndarray]:
    """One solver call on the objective ``coef``: its report and the column values.

    The one place a solver call's status is checked and its objective and gap
    are computed: the objective from the returned values (HiGHS can report an
    objective that is not the returned solution's after a MIP start), the gap
    from that objective and the solver's bound.

    Raises
    ------
    InfeasibleError
        The solver proved infeasibility.
    SolverError
        It stopped without a solution.
    """
    t0 = time.perf_counter()
    if opts.solver == "highs" and opts.direct and not model.materialised:
        r, values = run_highs_arrays(model, coef, opts)
        set_s = 0.0
    else:
        set_objective(model, coef)
        set_s = time.perf_counter() - t0  # building the PuLP form and its objective counts as transfer
        r = run(model.prob, opts)
        values = None
    if r.status == "infeasible":
        raise InfeasibleError(f"the solver ({r.solver}) proved the plan infeasible ({r.detail}); "
                              "check count rules, budgets and land against each other")
    if r.status not in ("optimal", "feasible"):
        raise SolverError(f"{r.solver} stopped without a solution: {r.status} ({r.detail})"
                          + (f" within the time limit of {opts.time_limit} s" if opts.time_limit else ""))
    if values is None:
        values = _values(model)
    objective = float(coef @ values)
    bound = r.best_bound if math.isfinite(r.best_bound) else (objective if r.status == "optimal" else r.best_bound)
    gap = relative_gap(objective, bound) if math.isfinite(bound) else r.gap
    return dataclasses.replace(r, objective_part=part, objective=objective, best_bound=bound, gap=gap,
                               transfer_seconds=r.transfer_seconds + set_s), values


def solve(problem: Problem, options: SolverOptions = SolverOptions(),
          extra_constraints: Optional[Callable[[Model], None]] = None, start=None,
          objective: Optional[Callable[[Model], np.ndarray]] = None, fix_plan: bool = False) -> Solution:
    """Plan schools for ``problem`` in one model: where, what size, in which year.

    Parameters
    ----------
    problem : Problem
        Array-level problem (see :mod:`capacity.optimize.problem`).
    options : SolverOptions
        Solver name, time limit [s], relative gap, threads, log, strong linking.
    extra_constraints : callable, optional
        Hook ``f(model)`` to add rows (or columns) after the built-in ones
        (see :class:`capacity.optimize.model.Model`).
    start : DataFrame, optional
        A plan to start from (``Solution.opened`` of a solve on the same
        city and plan settings, e.g. the scenario's plan when re-optimising
        a demographic draw): its build choices become the solver's MIP start
        (:func:`apply_start`), so the result is never worse than that plan
        when the plan is feasible here.
    objective : callable, optional
        ``f(model) -> ndarray`` of one coefficient per column, minimised
        instead of the weighted objective (weighted mode only); e.g. the
        worst-case robust plan's epigraph column plus cost.
    fix_plan : bool
        Fix the build columns to each option's earliest year
        (:func:`fix_plan_columns`): the assignment LP of a fixed plan.

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
    if fix_plan:
        fix_plan_columns(model)
    if start is not None and len(start):
        apply_start(model, start)
        options = dataclasses.replace(options, warm_start=True)
    build_s = time.perf_counter() - t0
    stages = []
    if problem.objective == "weighted":
        coef = weighted_objective(model) if objective is None else np.asarray(objective(model), dtype=float)
        if coef.size != model.n_cols:
            raise ValueError(f"the objective hook gave {coef.size} coefficients for {model.n_cols} columns")
        st, values = run_stage(model, "weighted" if objective is None else "custom", options, coef)
        stages.append(st)
        gap = None
    else:
        if objective is not None:
            raise ValueError("an objective hook needs a weighted problem (objective = 'weighted')")
        w = problem.weights
        parts = [k for k in OBJECTIVE_PARTS if np.any(model.parts[k])]
        for n, part in enumerate(parts):
            coef = model.parts[part]
            st, values = run_stage(model, part, options, coef)
            stages.append(st)
            if n < len(parts) - 1:
                t1 = time.perf_counter()
                # keep this stage's optimum (use the bound-side value when not proven optimal)
                limit = st.objective * (1 + w.lexicographic_rel_tol) + w.lexicographic_abs_tol
                nz = np.flatnonzero(coef)
                model.add_rows(f"lex_{part}", np.zeros(nz.size), nz, coef[nz], LE, [limit])
                # this stage's solution meets the new row: the next stage starts from it
                model.set_start(np.arange(model.n_cols), values)
                options = dataclasses.replace(options, warm_start=True)
                build_s += time.perf_counter() - t1
        gap = max(s.gap for s in stages)  # each stage's gap holds for its own part
    last = stages[-1]
    report = SolveReport.from_stages(
        stages, last.objective, {k: float(model.parts[k] @ values) for k in OBJECTIVE_PARTS}, last.best_bound,
        gap=gap, build_seconds=build_s, solver=options.solver, n_variables=model.n_cols,
        n_constraints=model.n_rows)
    return extract(model, values, report)
