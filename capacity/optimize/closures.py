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

Conversions with a value (issue 13, item 2; :mod:`capacity.optimize.conversions`)

* **Nursery places.** A conversion column :math:`z^{conv}_{fb}` of a level whose
  use is nursery places supplies :math:`\pi_f = \rho S_f` places to its zone *g*;
  credit columns :math:`v_{gb} \ge 0` with

  .. math::

      v_{gb} \le \sum_{f\in g} \pi_f z^{conv}_{fb}, \qquad \sum_b v_{gb} \le N_g

  earn :math:`-c\,\delta_b v_{gb}` in the cost part (*c* the avoided cost of a
  place built elsewhere, :math:`N_g` the zone's unmet need): a conversion pays
  only while the need lasts, and never while the level's pupils need the seats
  (the capacity row above). :func:`add_nursery_credit`.
* **Another level's school.** The target level has a candidate place *o* on the
  school's site (its options are not counted by plan totals); in the joint
  model, :math:`\sum_{b'\le b} y_{ob'} \le \sum_{b'\le b} z^{close}_{fb'}`
  for every *b* (:func:`add_conversion_links`): the new school may start only
  in or after the year the old one closes, and its cost (seats × cost per seat,
  spread like construction) sits on *o*. By level, the links are dropped in the
  first round (a relaxation, so the bound stays valid) and restored by
  :func:`capacity.optimize.conversions.couple_by_level`: sources first (in
  topological order), each target re-solved, if needed, with only the schools
  its source closed, each from its closure year. Both levels stay feasible; the
  limit is that a source never closes a school *for* its target, so by level
  finds only conversions of schools the source level gives up on its own (the
  reported gap is against the relaxation and shows any loss).
"""

from __future__ import annotations

import numpy as np

import pulp

BINARY, CONTINUOUS, LE = pulp.LpBinary, pulp.LpContinuous, pulp.LpConstraintLE

__all__ = ["add_closure_limits", "add_conversion_links", "add_nursery_credit", "closure_capacity_entries",
           "closure_one_entries", "define_close_variables", "discount", "existing_running_cny", "nursery_cost_parts", "operating_cost_parts",
           "spending_entries"]


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


def existing_running_cny(problem) -> float:
    r"""Present value of running every existing school while it has seats [CNY]: the constant the
    objective leaves out unless ``weights.existing_running``.

    :math:`\sum_\ell \sum_{f\ \text{existing}} F_f \sum_t [S_{ft} > 0]\, r_t \delta_t` — the same
    span and discount as :func:`operating_cost_parts`, so a closure's saving is a part of it.
    """
    span = problem.year_span() * discount(problem, problem.years)
    if problem.column_weight is not None:
        span = span * np.asarray(problem.column_weight, float)
    total = 0.0
    for lv in problem.levels:
        if lv.operating is None or not np.any(lv.operating.school_cny > 0):
            continue
        fac = lv.facilities
        seats = np.nan_to_num(fac.seats_in(problem.years), nan=0.0, posinf=1.0)
        open_ft = fac.existing[:, None] & (seats > 0)
        total += float(lv.operating.school_cny @ (open_ft @ span))
    return total


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


# ---------------------------------------------------------------------------
# nursery credit and level conversions (issue 13, item 2)
# ---------------------------------------------------------------------------

def add_nursery_credit(model, lc, name: str) -> None:
    r"""Credit columns :math:`v_{gb} \ge 0` and their rows, for a level whose conversions make nursery places.

    :math:`v_{gb} \le \sum_{f\in g} \pi_f z^{conv}_{fb}` (no more credit than places converted
    in zone *g* and year *b*) and :math:`\sum_b v_{gb} \le N_g` (no more than the unmet need).
    The objective part is set in :func:`operating_cost_parts` (:math:`-c\,\delta_b\,v_{gb}`).
    Stores ``lc.extra["nursery"] = (first column, zone position, build-year position)``.
    """
    p = lc.prepared
    cl = p.level.closures
    if cl is None or cl.nursery is None or p.close_facility.size == 0:
        return
    nur = cl.nursery
    conv = np.flatnonzero(p.close_kind == 1)
    fac = p.close_facility[conv]
    pos = {z: i for i, z in enumerate(nur.zone)}
    g = np.array([pos.get(z, -1) for z in p.level.facilities.zone[fac]], dtype=np.int64)
    places = nur.places[fac]
    ok = (g >= 0) & (places > 0)
    ok[ok] &= nur.need_places[g[ok]] > 0
    if not ok.any():
        return
    zones = np.unique(g[ok])
    B = model.problem.build_years.size
    n = zones.size * B
    first = model.new_columns(f"v_{name}_", n, CONTINUOUS, up=None)
    zi = np.searchsorted(zones, g[ok])
    cols = first + np.arange(n)
    # v[g, b] - sum of places converted in g, b <= 0
    row = np.concatenate([np.arange(n), zi * B + p.close_year[conv][ok]])
    col = np.concatenate([cols, lc.close_cols()[conv][ok]])
    coef = np.concatenate([np.ones(n), -places[ok]])
    model.add_rows(f"nursery_{name}", row, col, coef, LE, np.zeros(n))
    # sum_b v[g, b] <= need[g]
    model.add_rows(f"nurseryneed_{name}", np.repeat(np.arange(zones.size), B), cols, np.ones(n), LE,
                   nur.need_places[zones])
    lc.extra["nursery"] = (first, np.repeat(zones, B), np.tile(np.arange(B), zones.size))


def nursery_cost_parts(model, lc, cost: np.ndarray) -> None:
    """Minus the present value of the nursery places credited [CNY] (in place, see :func:`add_nursery_credit`)."""
    if "nursery" not in lc.extra:
        return
    first, g, b = lc.extra["nursery"]
    nur = lc.prepared.level.closures.nursery
    cols = first + np.arange(g.size)
    cost[cols] -= nur.cny_per_place * discount(model.problem, model.problem.build_years[b])


def add_conversion_links(model) -> None:
    r"""Couple a target level's conversion options to their source schools' closures (the joint model).

    For link *k* (school *f* of the source level, option *o* of the target level) and every
    build year *b*: :math:`\sum_{b' \le b} y_{ob'} \le \sum_{b' \le b} z^{close}_{fb'}` — the
    target school may be started only in or after the year the source school closes. The
    source school then shows as ``convert`` (:func:`capacity.optimize.conversions.mark_conversions`).
    Links whose two levels are not both in the model (a level's own sub-problem) add nothing.
    """
    build = model.problem.build_years
    B = build.size
    offset = 0
    rows, cols, coefs = [], [], []
    for link in model.problem.conversions:
        if link.source not in model.levels or link.target not in model.levels:
            continue
        K = link.option.size
        src, tgt = model.levels[link.source], model.levels[link.target]
        ps, pt = src.prepared, tgt.prepared
        k_of_opt = np.full(pt.level.options.n, -1)
        k_of_opt[link.option] = np.arange(K)
        k_of_fac = np.full(ps.level.facilities.n, -1)
        k_of_fac[link.facility] = np.arange(K)
        for ks, years, cl, sign in ((k_of_opt[pt.open_option], pt.open_year, tgt.open_cols(), 1.0),
                                    (np.where(ps.close_kind == 0, k_of_fac[ps.close_facility], -1), ps.close_year,
                                     src.close_cols(), -1.0)):
            sel = np.flatnonzero(ks >= 0)
            reps = B - years[sel]  # the variable counts in every row b >= its year
            var = np.repeat(sel, reps)
            b = years[var] + (np.arange(var.size) - np.repeat(np.cumsum(reps) - reps, reps))
            rows.append(offset + ks[var] * B + b)
            cols.append(cl[var])
            coefs.append(np.full(var.size, sign))
        offset += K * B
    if offset == 0:
        return
    row = np.concatenate(rows)
    used, row = np.unique(row, return_inverse=True)
    model.add_rows("convlink", row, np.concatenate(cols), np.concatenate(coefs), LE, np.zeros(used.size))
