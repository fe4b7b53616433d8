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
