r"""A fixed plan on a draw's demand, and the figures every plan is judged by (pure but the solve).

:func:`capacity.optimize.evaluate` fixes a plan's options (site, size, build
year) and solves only the assignment LP for a draw's unit demand (the
optimiser's own solve with the plan's choices fixed): the best a city can
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

import numpy as np
import pandas as pd


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
    uw, dy = problem.year_weights()
    op, asg, un = solution.opened, solution.assignments, solution.unserved
    rows = []
    for lv in problem.levels:
        o = op[op["level"] == lv.name]
        a = asg[asg["level"] == lv.name]
        u = un[un["level"] == lv.name]
        # the year seats first count: ready_year (a closure's seats leave in its year, no lag)
        first = o["ready_year"] if "ready_year" in o else o["open_year"] + int(lv.lag_years)
        seats_ft = lv.facilities.seats_in(problem.years)  # carried-over projects from their year [seats]
        for t, year in enumerate(problem.years.tolist()):
            existing = pd.Series(seats_ft[:, t], index=lv.facilities.ids)
            existing = existing[np.isfinite(existing.to_numpy()) & (existing.to_numpy() > 0)]
            ready = o[first <= year]
            cap = existing.add(ready.groupby("facility")["seats"].sum(), fill_value=0.0).clip(lower=0.0)
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
                "unserved_weighted": float(uw[t]) * unserved,
                "distance": float((at["pupils"] * at["distance"]).sum()),
                "distance_weighted": float(dy[t] * (at["pupils"] * at["distance"]).sum())})
    return pd.DataFrame(rows)


LEAVING = ("close", "convert")
"""Plan rows whose school leaves the level (its seats count no more from the row's year)."""


def evaluate_plan(problem, opened: pd.DataFrame, options):
    """A fixed plan on ``problem``'s demand, closures and conversions included.

    :func:`capacity.optimize.evaluate` fixes the plan's new schools and
    expansions but keeps every existing school open. Here a school the plan
    closes or converts in year *b* has no seats in the evaluation years ≥ *b*:
    with the plan fixed the assignment LP separates by year, so the years are
    grouped by which closures are in force and each group is evaluated on
    the problem with those schools' seats at zero; the tables are joined.

    Parameters
    ----------
    problem : Problem
        A draw's (or the medium) problem.
    opened : DataFrame
        ``Solution.opened`` of the plan (rows of kind ``close`` and ``convert``
        with their ``ready_year``, or ``open_year``, the year the seats leave).
    options : SolverOptions

    Returns
    -------
    Solution
        Assignments and unserved pupils over all of ``problem.years``; the
        report's objective is the sum over the groups' LPs (each with its own
        year discounts: use :func:`level_objective` for the plan's objective).
    """
    import dataclasses

    from capacity.optimize import evaluate

    leaving = opened[opened["kind"].isin(LEAVING)] if "kind" in opened else opened.iloc[0:0]
    if leaving.empty:
        return evaluate(problem, opened, options)
    when = (leaving["ready_year"] if "ready_year" in leaving else leaving["open_year"]).to_numpy(np.int64)
    groups = {}
    for t, year in enumerate(problem.years.tolist()):
        groups.setdefault(tuple(np.flatnonzero(when <= year)), []).append(t)
    parts = []
    for gone, cols in groups.items():
        parts.append(evaluate(_closed_in(problem, cols, leaving.iloc[list(gone)]), opened, options))
    if len(parts) == 1:
        return parts[0]
    cat = lambda name: pd.concat([getattr(p, name) for p in parts], ignore_index=True)  # noqa: E731
    reps = [p.report for p in parts]
    report = dataclasses.replace(reps[0], objective=float(sum(r.objective for r in reps)),
                                 best_bound=float(sum(r.best_bound for r in reps)), gap=0.0,
                                 solve_seconds=float(sum(r.solve_seconds for r in reps)))
    return dataclasses.replace(parts[0], assignments=cat("assignments"), unserved=cat("unserved"), report=report)


def _closed_in(problem, cols, gone: pd.DataFrame):
    """``problem`` on evaluation columns ``cols`` with the ``gone`` schools' seats at zero."""
    import dataclasses

    cols = np.asarray(cols, dtype=np.int64)
    levels = []
    for lv in problem.levels:
        ids = set(gone.loc[gone["level"] == lv.name, "facility"])
        shut = np.isin(lv.facilities.ids, list(ids)) if ids else np.zeros(lv.facilities.n, dtype=bool)
        fac = dataclasses.replace(lv.facilities, seats=np.where(shut, 0.0, lv.facilities.seats),
                                  added_seats=np.where(shut, 0.0, lv.facilities.added_seats))
        dw = None if lv.units.distance_weight is None else lv.units.distance_weight[:, cols]
        units = dataclasses.replace(lv.units, demand=lv.units.demand[:, cols], distance_weight=dw)
        levels.append(dataclasses.replace(lv, units=units, facilities=fac))
    weight = None if problem.column_weight is None else np.asarray(problem.column_weight)[cols]
    return dataclasses.replace(problem, levels=tuple(levels), years=problem.years[cols], column_weight=weight)


def level_objective(problem, solution, figures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Objective parts and the weighted objective per level (see the module docstring).

    Returns
    -------
    DataFrame
        ``level, unserved_weighted, distance, cost_cny, objective``.
    """
    w = problem.weights
    f = level_figures(problem, solution) if figures is None else figures
    dist = "distance_weighted" if "distance_weighted" in f else "distance"
    g = f.groupby("level", sort=False)[["unserved_weighted", dist]].sum()
    cost = solution.opened.groupby("level")["cost_cny"].sum()
    g["cost_cny"] = cost.reindex(g.index, fill_value=0.0)
    g["objective"] = w.unserved * g["unserved_weighted"] + w.distance * g[dist] + w.cost * g["cost_cny"]
    g["distance"] = f.groupby("level", sort=False)["distance"].sum()
    return g.reset_index()[["level", "unserved_weighted", "distance", "cost_cny", "objective"]]
