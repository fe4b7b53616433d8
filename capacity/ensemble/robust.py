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

import numpy as np

from capacity.optimize import CONTINUOUS, LE, solve


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


def draw_blocks(model, n_draws: int) -> np.ndarray:
    """Draw number (0..K-1) of every assignment and shortfall column of a stacked model; -1 elsewhere."""
    T = model.problem.years.size // n_draws
    block = np.full(len(model.columns), -1)
    for lc in model.levels.values():
        p = lc.prepared
        block[lc.short_cols()] = p.short_year // T
        block[lc.assign_cols()] = p.assign_year // T
    return block


def worst_case_hooks(n_draws: int):
    r"""The worst case over K draws as the optimiser's two hooks.

    Returns
    -------
    (extra_constraints, objective) : (callable, callable)
        ``extra_constraints(model)`` adds the epigraph column :math:`z` and
        the K rows :math:`\alpha U_k + \beta D_k - z \le 0`; ``objective(model)``
        gives :math:`z + \gamma C`.
    """
    z_col = {}

    def add_epigraph(model):
        w = model.problem.weights
        second = w.unserved * model.parts["unserved"] + w.distance * model.parts["distance"]
        block = draw_blocks(model, n_draws)
        z = model.new_columns("z_worst", 1, CONTINUOUS, up=None)
        z_col[id(model)] = z
        rows, cols, coefs = [], [], []
        for k in range(n_draws):
            sel = np.flatnonzero((block == k) & (second != 0))
            rows.append(np.full(sel.size + 1, k))
            cols.append(np.r_[sel, z])
            coefs.append(np.r_[second[sel], -1.0])
        model.add_rows("worst", np.concatenate(rows), np.concatenate(cols), np.concatenate(coefs),
                       LE, np.zeros(n_draws))

    def worst_plus_cost(model):
        coef = model.problem.weights.cost * model.parts["cost"]
        coef[z_col[id(model)]] = 1.0
        return coef

    return add_epigraph, worst_plus_cost


def solve_worst_case(stacked, n_draws: int, options, start=None):
    r"""Minimise the worst draw's weighted unserved pupils and distance, plus cost.

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
        ``report.objective`` is :math:`z + \gamma C`; one model for all
        levels (the maximum over draws does not split by level).
    """
    problem = dataclasses.replace(stacked, column_weight=None)
    hook, objective = worst_case_hooks(n_draws)
    sol = solve(problem, options, method="joint", extra_constraints=hook, objective=objective, start=start)
    report = dataclasses.replace(sol.report, solver=f"{sol.report.solver} (worst case over {n_draws} draws)")
    return dataclasses.replace(sol, report=report)


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
        (see :func:`capacity.optimize.solve`).
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
        return solve(stacked, options, method=method, start=start)
    if mode == "worst":
        return solve_worst_case(stacked, len(matrices), options, start=start)
    raise ValueError(f"robust mode {mode!r} is not 'expected' or 'worst'")
