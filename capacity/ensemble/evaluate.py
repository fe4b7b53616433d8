r"""A fixed plan on a draw's demand, and the figures every plan is judged by (pure but the solve).

:func:`evaluate_plan` fixes a plan's options (site, size, build year) and
solves only the assignment LP for a draw's unit demand: the best a city can
do with those schools when the population turns out as the draw says. With
the build binaries fixed the model separates by level and year, so the LP
value of the scenario's evaluation years is the plan's objective on the
draw, on the same weights as the optimiser's:

.. math::

    J = \alpha \sum_t \delta^{r(t)} U_t + \beta D + \gamma C,

with :math:`U_t` unserved pupils of year *t*, :math:`D` pupil-distance
[pupil·m], :math:`C` construction cost [CNY] (see
:mod:`capacity.optimize.model`). :func:`level_figures` computes the parts
per level from any :class:`~capacity.optimize.result.Solution`, so the
optimum of a draw and a fixed plan on it are measured the same way; the
regret of a plan on a draw is :math:`J_\text{plan} - J_\text{optimum}`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pulp

from capacity.errors import SolverError
from capacity.optimize.model import build_model, set_objective, weighted_objective
from capacity.optimize.prepare import prepare
from capacity.optimize.problem import Options
from capacity.optimize.result import SolveReport, extract
from capacity.optimize.solvers import run

PLAN_COLUMNS = ["level", "facility", "option", "kind", "seats", "cost_cny", "open_year"]


def fixed_plan_problem(problem, opened: pd.DataFrame):
    """``problem`` reduced to the options a plan opened, each from its build year on.

    Count rules and budgets are dropped (a fixed plan meets them or not
    whatever the demand); sites the plan leaves empty keep no options, so
    their arcs disappear in :func:`capacity.optimize.prepare.prepare`.
    """
    levels = []
    for lv in problem.levels:
        op = opened[opened["level"] == lv.name]
        o = op["option"].to_numpy(np.int64)
        opts = Options(facility=lv.options.facility[o], seats=lv.options.seats[o],
                       cost_cny=lv.options.cost_cny[o], earliest_year=op["open_year"].to_numpy(np.int64),
                       label=lv.options.label[o])
        levels.append(dataclasses.replace(lv, options=opts))
    return dataclasses.replace(problem, levels=tuple(levels), count_rules=(), budget_cny=None)


def evaluate_plan(problem, opened: pd.DataFrame, options):
    """Serve ``problem``'s demand with a fixed plan: the assignment LP.

    Parameters
    ----------
    problem : Problem
        The draw's problem (its unit demand).
    opened : DataFrame
        The plan: ``Solution.opened`` of a solve on the same city and plan
        settings (``level, option, open_year`` are used).
    options : SolverOptions

    Returns
    -------
    Solution
        ``opened`` is the plan again (option positions of ``problem``);
        assignments and unserved pupils are the LP's.

    Raises
    ------
    SolverError
        The LP did not solve (it always has a solution: pupils may go unserved).
    """
    fixed = fixed_plan_problem(problem, opened)
    model = build_model(fixed, prepare(fixed), strong_linking=False)
    build_years = fixed.build_years
    for lc in model.levels.values():
        p = lc.prepared
        on = build_years[p.open_year] == p.level.options.earliest_year[p.open_option]
        for col, flag in zip(lc.open_cols().tolist(), on.tolist()):
            v = model.columns[col]
            v.cat = pulp.LpContinuous
            v.lowBound = v.upBound = 1.0 if flag else 0.0
    set_objective(model, weighted_objective(model))
    r = run(model.prob, options)
    if r.status != "optimal":
        raise SolverError(f"the assignment LP of a fixed plan stopped with {r.status} ({r.detail})")
    values = np.fromiter((v.varValue or 0.0 for v in model.columns), dtype=float, count=len(model.columns))
    parts = {k: float(model.parts[k] @ values) for k in model.parts}
    report = SolveReport(status=r.status, objective=r.objective, objective_parts=parts, best_bound=r.objective,
                         gap=0.0, build_seconds=r.transfer_seconds, solve_seconds=r.solve_seconds,
                         solver=r.solver, n_variables=len(model.columns), n_constraints=model.n_rows)
    sol = extract(model, values, report)
    # report the plan with the problem's own option positions
    return dataclasses.replace(sol, opened=opened[opened["level"].isin([lv.name for lv in problem.levels])]
                               .reset_index(drop=True))


def level_figures(problem, solution, years=None) -> pd.DataFrame:
    """Per level and year: demand, unserved pupils, seats, use of new schools, surplus.

    Parameters
    ----------
    problem : Problem
        The problem the solution's assignments were made on (its demand).
    solution : Solution
    years : sequence of int, optional
        Evaluation years that count in the objective (default: all of
        ``problem.years``); ``objective_year`` marks them.

    Returns
    -------
    DataFrame
        ``level, year, demand, unserved, seats, new_seats, new_pupils,
        new_utilisation, surplus_seats`` [pupils or seats; utilisation a
        share], and ``unserved_weighted`` (δ^r·unserved), ``distance``
        [pupil·m] of the year.
    """
    w = problem.weights
    rank = problem.year_rank()
    op, asg, un = solution.opened, solution.assignments, solution.unserved
    rows = []
    for lv in problem.levels:
        o = op[op["level"] == lv.name]
        a = asg[asg["level"] == lv.name]
        u = un[un["level"] == lv.name]
        existing = pd.Series(lv.facilities.seats, index=lv.facilities.ids)
        existing = existing[np.isfinite(existing.to_numpy()) & (existing.to_numpy() > 0)]
        for t, year in enumerate(problem.years.tolist()):
            ready = o[o["open_year"] + int(lv.lag_years) <= year]
            cap = existing.add(ready.groupby("facility")["seats"].sum(), fill_value=0.0)
            at = a[a["year"] == year]
            load = at.groupby("facility")["pupils"].sum()
            surplus = (cap - load.reindex(cap.index, fill_value=0.0)).clip(lower=0.0).sum()
            new = ready[ready["kind"] == "new"]
            new_pupils = float(load.reindex(new["facility"].unique(), fill_value=0.0).sum())
            new_seats = float(new["seats"].sum())
            unserved = float(u.loc[u["year"] == year, "pupils"].sum())
            rows.append({
                "level": lv.name, "year": int(year), "demand": float(lv.units.demand[:, t].sum()),
                "unserved": unserved, "seats": float(cap.sum()), "new_seats": new_seats,
                "new_pupils": new_pupils,
                "new_utilisation": new_pupils / new_seats if new_seats > 0 else np.nan,
                "surplus_seats": float(surplus),
                "unserved_weighted": float(w.year_discount ** rank[t]) * unserved,
                "distance": float((at["pupils"] * at["distance"]).sum())})
    return pd.DataFrame(rows)


def level_objective(problem, solution, figures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Objective parts and the weighted objective per level (see the module docstring).

    Returns
    -------
    DataFrame
        ``level, unserved_weighted, distance, cost_cny, objective``.
    """
    w = problem.weights
    f = level_figures(problem, solution) if figures is None else figures
    g = f.groupby("level", sort=False)[["unserved_weighted", "distance"]].sum()
    cost = solution.opened.groupby("level")["cost_cny"].sum()
    g["cost_cny"] = cost.reindex(g.index, fill_value=0.0)
    g["objective"] = w.unserved * g["unserved_weighted"] + w.distance * g["distance"] + w.cost * g["cost_cny"]
    return g.reset_index()
