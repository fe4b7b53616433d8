r"""A plan robust to K demographic draws: one build plan, assignments per draw.

Two-stage model. The first stage — which sites, what size, which build year
(the ``y`` binaries), plan totals, zone rules and budgets — is shared by all
K draws; the second stage — assignments ``w`` and unserved pupils ``s`` —
is per draw. Draw *k*'s evaluation years are a block of columns of the
stacked demand (shape ``(U, K·T)``, :func:`stack_draws`), so the core model
of :mod:`capacity.optimize.model` builds it unchanged: each column has its
own demand and capacity rows and shares the build binaries.

``expected`` minimises the expected value (Birge & Louveaux 2011, ch. 3)

.. math::

    \min\ \sum_k p_k \big(\alpha U_k + \beta D_k\big) + \gamma C,
    \qquad p_k = 1/K,

through :attr:`Problem.column_weight <capacity.optimize.problem.Problem>`
(so it is solved like any problem, level by level when the scenario says
so); ``worst`` minimises the worst draw with an epigraph variable
:math:`z \ge \alpha U_k + \beta D_k\ \forall k`,

.. math::

    \min\ z + \gamma C,

built from the core's steps plus one column and K rows (all levels in one
MILP: the maximum over draws does not split by level). :math:`U_k` is draw
*k*'s year-discounted unserved pupils, :math:`D_k` its pupil-distance,
:math:`C` the shared construction cost.

References
----------
Birge, J. R. & Louveaux, F. (2011), *Introduction to Stochastic Programming*,
2nd ed., Springer; Snyder, L. V. (2006), Facility location under
uncertainty: a review, *IIE Transactions* 38(7).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pulp

from capacity.errors import InfeasibleError, SolverError
from capacity.optimize.core import apply_start
from capacity.optimize.decompose import solve_plan
from capacity.optimize.model import build_model, set_objective
from capacity.optimize.precheck import check_feasibility
from capacity.optimize.prepare import prepare
from capacity.optimize.result import SolveReport, extract
from capacity.optimize.solvers import relative_gap, run


def stack_draws(problem, matrices: list, weights=None):
    """One problem whose columns are the K draws' evaluation years, draw after draw.

    Parameters
    ----------
    problem : Problem
        Any draw's (or the medium) problem: options, arcs, rules, budgets.
    matrices : list of dict
        Per draw, ``{level: (U, T) demand}`` aligned with ``problem``'s units [pupils].
    weights : array_like, shape (K,), optional
        Probability of each draw (default ``1/K``) [share].

    Returns
    -------
    Problem
        Demand ``(U, K·T)``, ``years`` tiled K times, ``column_weight`` the
        draw weights repeated over its T years.
    """
    K = len(matrices)
    if K == 0:
        raise ValueError("stack_draws needs at least one draw")
    p = np.full(K, 1.0 / K) if weights is None else np.asarray(weights, dtype=float)
    T = problem.years.size
    levels = []
    for lv in problem.levels:
        d = np.hstack([np.asarray(m[lv.name], dtype=float) for m in matrices])
        units = dataclasses.replace(lv.units, demand=d, distance_weight=None)
        levels.append(dataclasses.replace(lv, units=units))
    return dataclasses.replace(problem, levels=tuple(levels), years=np.tile(problem.years, K),
                               column_weight=np.repeat(p, T))


def solve_worst_case(stacked, n_draws: int, options, start=None):
    """Minimise the worst draw's weighted unserved pupils and distance, plus cost.

    Parameters
    ----------
    stacked : Problem
        From :func:`stack_draws` (its ``column_weight`` is ignored: every
        draw counts in full in its own epigraph row).
    n_draws : int
        K, the number of column blocks.
    options : SolverOptions
    start : DataFrame, optional
        A plan to start from (MIP start; see :func:`capacity.optimize.solve`).

    Returns
    -------
    Solution
        ``report.objective`` is :math:`z + \\gamma C`.
    """
    t0 = time.perf_counter()
    problem = dataclasses.replace(stacked, column_weight=None)
    T = problem.years.size // n_draws
    prepared = prepare(problem)
    check_feasibility(problem, prepared)
    model = build_model(problem, prepared, strong_linking=options.strong_linking)
    # unweighted parts, but the discount follows the year's rank, not the column position
    w = problem.weights
    second = w.unserved * model.parts["unserved"] + w.distance * model.parts["distance"]
    block = np.full(len(model.columns), -1)
    for lc in model.levels.values():
        p = lc.prepared
        block[lc.short_cols()] = p.short_year // T
        block[lc.assign_cols()] = p.assign_year // T
    z = model.new_columns("z_worst", 1, pulp.LpContinuous, up=None)
    rows, cols, coefs = [], [], []
    for k in range(n_draws):
        sel = np.flatnonzero((block == k) & (second != 0))
        rows.append(np.full(sel.size + 1, k))
        cols.append(np.r_[sel, z])
        coefs.append(np.r_[second[sel], -1.0])
    model.add_rows("worst", np.concatenate(rows), np.concatenate(cols), np.concatenate(coefs),
                   pulp.LpConstraintLE, np.zeros(n_draws))
    objective = np.zeros(len(model.columns))
    objective[: model.parts["cost"].size] = w.cost * model.parts["cost"]
    objective[z] = 1.0
    set_objective(model, objective)
    if start is not None and len(start):
        apply_start(model, start)
        options = dataclasses.replace(options, warm_start=True)
    build_s = time.perf_counter() - t0
    r = run(model.prob, options)
    if r.status == "infeasible":
        raise InfeasibleError(f"the worst-case robust plan is infeasible ({r.detail})")
    if r.status not in ("optimal", "feasible"):
        raise SolverError(f"{r.solver} stopped without a robust plan: {r.status} ({r.detail})")
    values = np.fromiter((v.varValue or 0.0 for v in model.columns), dtype=float, count=len(model.columns))
    n = model.parts["cost"].size
    parts = {k: float(model.parts[k] @ values[:n]) for k in model.parts}
    value = float(objective @ values)  # from the returned solution (see capacity.optimize.core)
    gap = relative_gap(value, r.best_bound) if np.isfinite(r.best_bound) else r.gap
    report = SolveReport(status=r.status, objective=value, objective_parts=parts, best_bound=r.best_bound,
                         gap=gap, build_seconds=build_s + r.transfer_seconds, solve_seconds=r.solve_seconds,
                         solver=f"{r.solver} (worst case over {n_draws} draws)",
                         n_variables=len(model.columns), n_constraints=model.n_rows)
    return extract(model, values, report)


def solve_robust(problem, matrices: list, options, mode: str = "expected", method: str = "auto", start=None):
    """The robust plan of ``problem`` over the draws' demand ``matrices``.

    Parameters
    ----------
    problem : Problem
    matrices : list of dict
        ``{level: (U, T)}`` per fitted draw.
    options : SolverOptions
    mode : {"expected", "worst"}
    method : str
        ``auto``, ``by_level`` or ``joint`` for the expected-value model
        (see :func:`capacity.optimize.decompose.solve_plan`).
    start : DataFrame, optional
        A plan to start from, e.g. the scenario's own (a MIP start): the
        robust plan then scores at least as well as it on the fitted draws.

    Returns
    -------
    Solution
        Its ``opened`` table is the plan; assignments are per stacked column.
    """
    stacked = stack_draws(problem, matrices)
    if mode == "expected":
        return solve_plan(stacked, options, method, start=start)
    if mode == "worst":
        return solve_worst_case(stacked, len(matrices), options, start=start)
    raise ValueError(f"robust mode {mode!r} is not 'expected' or 'worst'")
