"""Why pupils are left without a seat: unserved pupils split by cause (issue 13).

A plan's unserved pupils (``Solution.unserved``: ``level, unit, year, pupils``) have one of
three causes, decided per demand unit and year from the model's own data and the plan:

``reach``
    No school and no candidate site of the level is within the unit's service distance
    (for a level planned within zones, within its zone): the unit has no arc at all, so no
    plan could seat its pupils.
``lag``
    *Before any new school can open*: the unit reaches schools or sites, but no new seat that
    could relieve it can count yet in that year. Seats are shared, so the seats that could relieve
    a unit are those of its *catchment group*: the units and schools/sites linked by service
    distances (a connected component of the unit–facility arcs; a new school near a neighbour
    frees seats at a school both reach). The group's first new seat (a new school on one of its
    sites, or an expansion of one of its schools) counts from the first build year the site
    allows plus the level's construction lag; before that year nothing the plan decides could
    seat the pupil.
``capacity``
    The rest: new seats in the group could have counted that year, but the plan did not build
    (enough of) them — budgets, plan totals, land, closures or the cost of seats weighed
    against the unserved penalty — or the group has no site and no expandable school at all.

The three sum to the unserved pupils of each level and year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CAUSES", "first_ready_year", "unit_causes", "unserved_by_cause", "cause_summary"]

CAUSES = ("lag", "reach", "capacity")
NEVER = np.iinfo(np.int64).max


def first_ready_year(level, build_years) -> np.ndarray:
    """The first year a new seat of each option can count [year], ``NEVER`` when it cannot be built.

    Parameters
    ----------
    level : LevelProblem
    build_years : array of int
        The plan's build years [year].

    Returns
    -------
    ndarray of int, shape (O,)
        ``min{b ∈ build_years : b ≥ earliest_year} + lag_years``.
    """
    b = np.sort(np.asarray(build_years, dtype=np.int64))
    o = level.options
    if o.n == 0 or b.size == 0:
        return np.full(o.n, NEVER, dtype=np.int64)
    pos = np.searchsorted(b, o.earliest_year, side="left")
    ok = pos < b.size
    return np.where(ok, b[np.minimum(pos, b.size - 1)] + int(level.lag_years), NEVER)


def unit_causes(level, build_years) -> tuple[np.ndarray, np.ndarray]:
    """Per demand unit: whether anything is within reach, and the first year a new seat of its
    catchment group counts.

    Parameters
    ----------
    level : LevelProblem
    build_years : array of int

    Returns
    -------
    reach : ndarray of bool, shape (U,)
        The unit has at least one school or site within its service distance.
    ready : ndarray of int, shape (U,)
        First year a new or expanded seat of the unit's catchment group (the connected
        component of the unit–facility arcs holding it) can count [year]; ``NEVER`` if none.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    arcs, U, F = level.arcs, level.units.n, level.facilities.n
    unit, fac = np.asarray(arcs.unit, dtype=np.int64), np.asarray(arcs.facility, dtype=np.int64)
    if level.within_zone:
        same = level.units.zone[unit] == level.facilities.zone[fac]
        unit, fac = unit[same], fac[same]
    reach = np.bincount(unit, minlength=U) > 0
    graph = coo_matrix((np.ones(unit.size), (unit, U + fac)), shape=(U + F, U + F))
    n, label = connected_components(graph, directed=False)
    group_ready = np.full(n, NEVER, dtype=np.int64)
    np.minimum.at(group_ready, label[U + np.asarray(level.options.facility, dtype=np.int64)],
                  first_ready_year(level, build_years))
    return reach, group_ready[label[:U]]


def unserved_by_cause(unserved: pd.DataFrame, problem) -> pd.DataFrame:
    """Unserved pupils per level, year and cause (pure).

    Parameters
    ----------
    unserved : DataFrame
        ``level, unit, year, pupils`` (``Solution.unserved``) [pupils].
    problem : Problem
        The solved problem (its levels' units, arcs, options and lags; its build years).

    Returns
    -------
    DataFrame
        ``level, year, cause, pupils``: every level of the problem × evaluation year × cause,
        zero where none [pupils]. A unit the problem does not know counts as ``capacity``.
    """
    years = sorted({int(y) for y in np.asarray(problem.years)})
    parts = []
    for level in problem.levels:
        rows = unserved[unserved["level"] == level.name]
        pos = pd.Index(level.units.ids).get_indexer(rows["unit"])
        reach, ready = unit_causes(level, problem.build_years)
        known = pos >= 0
        p = np.where(known, pos, 0)
        year = rows["year"].to_numpy(np.int64)
        cause = np.where(~known, "capacity",
                         np.where(~reach[p], "reach",
                                  np.where((year < ready[p]) & (ready[p] < NEVER), "lag", "capacity")))
        parts.append(pd.DataFrame({"level": level.name, "year": year, "cause": cause,
                                   "pupils": rows["pupils"].to_numpy(float)}))
    grid = pd.MultiIndex.from_product([[lv.name for lv in problem.levels], years, list(CAUSES)],
                                      names=["level", "year", "cause"])
    if not parts:
        return pd.DataFrame(index=grid).assign(pupils=0.0).reset_index()
    out = pd.concat(parts, ignore_index=True).groupby(["level", "year", "cause"])["pupils"].sum()
    return out.reindex(grid, fill_value=0.0).reset_index()


def cause_summary(by_cause: pd.DataFrame, problem=None) -> dict:
    """``summary.json``'s ``unserved_by_cause``: ``{level: {year: {cause: pupils}}}`` and, under
    ``first_ready_year``, the first year any new seat of each level can count [year] (JSON-ready)."""
    out: dict = {}
    for (level, year), g in by_cause.groupby(["level", "year"], sort=False):
        out.setdefault(str(level), {})[str(int(year))] = {c: float(g.loc[g["cause"] == c, "pupils"].sum())
                                                          for c in CAUSES}
    if problem is not None:
        first = {}
        for level in problem.levels:
            r = first_ready_year(level, problem.build_years)
            first[level.name] = int(r.min()) if r.size and r.min() < NEVER else None
        out = {"by_level_and_year": out, "first_ready_year": first}
    else:
        out = {"by_level_and_year": out}
    return out
