r"""Closures, conversions, operating costs and construction spending: the model steps of a shrinking system.

These steps extend the formulation of :mod:`capacity.optimize.model` (they are
called by :func:`~capacity.optimize.model.build_model`, through the same
:meth:`Model.new_columns` / :meth:`Model.add_rows` coordinate machinery, so
every solver path sees them).

Variables

* :math:`z_{fb}\in\{0,1\}` — existing school *f* closes in build year *b*
  (kind ``close``), or converts its seats to another use (kind ``convert``;
  a second set of columns of the same form). From year *b* on its seats
  leave the level:

.. math::

    \sum_i d_{it} w_{ift} - \sum_{(o,b)\in R(f,t)} q_o y_{ob}
        + S_{ft} \sum_{b \le t} z_{fb} \le S_{ft}
    \qquad\text{(capacity, with } S_{ft} \text{ the school's seats in year } t)

    \sum_{o\in f, b} y_{ob} + \sum_b z_{fb} \le 1 \qquad\text{(one decision per school)}

    \sum_{f \in \text{zone } g} z_{fb} \le N \quad \forall g, b
    \qquad\text{(at most } N \text{ closures per zone and year)}

The capacity row alone makes a closure impossible while the school's pupils
have no other seat within reach (they would be unserved, which the objective
weighs far above any saving): "no closure while needed". Protected schools
(a list, and rural schools whose pupils have no other school within the
rural maximum) simply get no closure column (:mod:`capacity.optimize.geo`).

Operating costs (the cost part, in CNY, discounted like construction): each
evaluation column *t* stands for :math:`r_t` calendar years
(:meth:`Problem.year_span`); a school costs :math:`F_f` a year while open and
every seated pupil :math:`p` a year. An existing school's running cost is a
constant unless it closes, so a closure in *b* earns
:math:`-F_f\sum_{t \ge b} r_t\,\delta_t`; a new school costs
:math:`F_f\sum_{t \ge b+\text{lag}} r_t\,\delta_t`; an assignment
:math:`p\,d_{it}\,r_t\,\delta_t`.

Construction spending with a lag *L*: an option started in *b* opens in
:math:`b+L`; its cost falls evenly in the construction years
:math:`b, \dots, b+\max(L,1)-1`, and each budget row counts the share of every
option under construction that year (a conversion's cost falls in its year).
With :math:`L \le 1` this is the old row (all of the cost in *b*).
"""

from __future__ import annotations

import numpy as np

import pulp

BINARY, LE = pulp.LpBinary, pulp.LpConstraintLE

__all__ = ["add_closure_limits", "closure_capacity_entries", "closure_one_entries", "define_close_variables",
           "discount", "operating_cost_parts", "spending_entries"]


def define_close_variables(model, lc, name: str) -> None:
    """Binary ``z[f, b]`` per closable or convertible school and build year."""
    lc.close_start = model.new_columns(f"z_{name}_", lc.n_close, BINARY)


def closure_capacity_entries(model, lc):
    """Capacity-row entries of the closure columns.

    Returns
    -------
    (key, col, coef) : tuple of ndarray
        Row key ``facility·T + year``, column, and ``+S_ft`` (the seats that leave).
    """
    p = lc.prepared
    T = model.problem.years.size
    f = p.close_facility[p.gone_close]
    key = f * T + p.gone_year
    return key, lc.close_start + p.gone_close, p.seats_ft[f, p.gone_year]


def closure_one_entries(lc):
    """(facility, column) of the closure columns for the one-decision-per-school row."""
    p = lc.prepared
    return p.close_facility, lc.close_cols()


def add_closure_limits(model, lc, name: str, limit) -> None:
    """At most ``limit`` closures plus conversions per zone and build year."""
    p = lc.prepared
    if limit is None or p.close_facility.size == 0:
        return
    zone = p.level.facilities.zone[p.close_facility]
    zu, zi = np.unique(zone, return_inverse=True)
    key = zi * model.problem.build_years.size + p.close_year
    uniq, row, counts = np.unique(key, return_inverse=True, return_counts=True)
    if np.all(counts <= limit):
        return
    model.add_rows(f"closezone_{name}", row, lc.close_cols(), np.ones(row.size), LE, np.full(uniq.size, limit))


def discount(problem, years) -> np.ndarray:
    """Present-value factor of calendar ``years`` at the cost discount rate, base = first build year."""
    r = problem.weights.cost_discount_rate
    return (1.0 + r) ** -(np.asarray(years, float) - float(problem.build_years[0]))


def operating_cost_parts(model, lc, cost: np.ndarray) -> None:
    """Add conversion costs and operating costs of one level to the cost part ``cost`` (in place) [CNY]."""
    p = lc.prepared
    lv = p.level
    if p.close_facility.size and lv.closures is not None:
        conv = p.close_kind == 1
        cost[lc.close_cols()[conv]] += (lv.closures.convert_cost_cny[p.close_facility[conv]]
                                       * discount(model.problem, model.problem.build_years[p.close_year[conv]]))
    op = lv.operating
    if op is None:
        return
    problem = model.problem
    years = problem.years
    span = problem.year_span() * discount(problem, years)
    cw = problem.column_weight
    if cw is not None:
        span = span * cw
    if op.pupil_cny > 0:
        a, t = p.assign_arc, p.assign_year
        cost[lc.assign_cols()] += op.pupil_cny * lv.units.demand[p.arc_unit[a], t] * span[t]
    school = op.school_cny
    # a new school runs from its opening year (build year + lag) on
    fac = lv.options.facility[p.open_option]
    new = ~lv.facilities.existing[fac]
    if new.any():
        run = np.bincount(p.avail_open, weights=span[p.avail_year], minlength=p.open_option.size)
        cost[lc.open_cols()] += np.where(new, school[fac] * run, 0.0)
    # a closed or converted school stops running: a saving
    if p.close_facility.size:
        saved = np.bincount(p.gone_close, weights=span[p.gone_year], minlength=p.close_facility.size)
        cost[lc.close_cols()] -= school[p.close_facility] * saved


def spending_entries(model, lc, budget_rows: np.ndarray):
    """Budget-row entries of one level: construction spread over its construction years, conversions.

    Parameters
    ----------
    budget_rows : ndarray of int, shape (B,)
        Row number of each build year's budget row, ``-1`` when the year has none.

    Returns
    -------
    (row, col, coef) : tuple of ndarray
    """
    p = lc.prepared
    lv = p.level
    build = model.problem.build_years
    lag = max(int(lv.lag_years), 1)
    cost = lv.options.cost_cny[p.open_option]
    rows, cols, coefs = [], [], []
    for k in range(lag):
        year = build[p.open_year] + k
        pos = np.searchsorted(build, year)
        ok = (pos < build.size) & (build[np.minimum(pos, build.size - 1)] == year)
        r = np.where(ok, budget_rows[np.minimum(pos, build.size - 1)], -1)
        keep = (r >= 0) & (cost > 0)
        rows.append(r[keep])
        cols.append(lc.open_cols()[keep])
        coefs.append(cost[keep] / lag)
    if p.close_facility.size and lv.closures is not None:
        conv = p.close_kind == 1
        r = budget_rows[p.close_year[conv]]
        c = lv.closures.convert_cost_cny[p.close_facility[conv]]
        keep = (r >= 0) & (c > 0)
        rows.append(r[keep])
        cols.append(lc.close_cols()[conv][keep])
        coefs.append(c[keep])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(coefs)
