"""Special-education schools: which zones must have one (plan target T9), and which do.

Special-education pupils are a share of the school-age children: the level's
``enrolment_target`` in ``standards.toml`` is special-school pupils per child of
its age band (Kunming: 1,239 pupils in 2022 over the projected 6–14 population,
about 1.6 per 1,000; see ``data/kunming/SOURCES.md``). The same children are
counted in the primary and middle levels too (a special-school pupil holds no
ordinary seat, so those levels' seats are slightly conservative: about 0.16 %).

The rule (T9 of the Three-Year Action Plan, a national policy: 《"十四五"特殊教育发展
提升行动计划》): every zone whose population exceeds ``demand.special_threshold``
(200,000 people) by the plan's end has at least one special-education school —
existing, carried over (opening by the plan's end) or new. Zones below the
threshold teach their special-needs pupils in special classes of ordinary
schools (随班就读 / 特教班), which this level does not plan.

These functions are pure: tables in, tables or tuples out. The optimiser turns
the zones into per-zone minimums (:mod:`capacity.optimize.special`); the target
table and ``capacity verify`` check them with :func:`zones_lacking` on the plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SPECIAL = "special"
"""The level name of special-education schools."""

DEFAULT_THRESHOLD = 200_000.0
"""Population above which a zone needs a special-education school [persons] (T9)."""


def zone_totals(population: pd.DataFrame, year: int) -> pd.Series:
    """Population per zone in ``year`` (or the last year before it that the table has) [persons].

    Parameters
    ----------
    population : DataFrame
        ``zone_id, year, persons`` (any further columns, e.g. age and sex, are summed over).
    year : int
        Calendar year.

    Returns
    -------
    Series
        Persons, indexed by ``zone_id`` (str).
    """
    years = np.sort(population["year"].unique())
    if years.size == 0:
        return pd.Series(dtype=float)
    pick = years[years <= year].max() if (years <= year).any() else years.min()
    sel = population[population["year"] == pick]
    return sel.groupby(sel["zone_id"].astype(str))["persons"].sum().astype(float)


def required_zones(*populations: pd.Series, threshold: float = DEFAULT_THRESHOLD) -> tuple[str, ...]:
    """Zones over the threshold in any of the given populations (e.g. base year and plan end).

    Parameters
    ----------
    *populations : Series
        Persons per ``zone_id`` [persons].
    threshold : float
        A zone with more people than this needs a special-education school [persons].

    Returns
    -------
    tuple of str
        Zone ids, sorted.
    """
    out = set()
    for pop in populations:
        out |= set(pop.index[pop.to_numpy(float) > threshold].astype(str))
    return tuple(sorted(out))


def schools_by_zone(schools: pd.DataFrame, plan: pd.DataFrame | None = None, year: int | None = None,
                    level: str = SPECIAL) -> pd.Series:
    """Schools of ``level`` per zone after the plan: existing, carried over and new, less closed ones.

    Parameters
    ----------
    schools : DataFrame
        Existing schools ``school_id, level, zone_id, seats`` and the optional ``open_year``
        (a carried-over school counts from its opening year).
    plan : DataFrame, optional
        ``plan.csv``: ``site_id, level, zone_id, action``; every new school of the plan counts
        (whatever its construction lag), closed or converted ones leave.
    year : int, optional
        The plan's end: an existing school with an ``open_year`` (carried over) counts when it
        opens by then (None: every school).
    level : str

    Returns
    -------
    Series
        Schools [count], indexed by ``zone_id`` (str); zones without any are absent.
    """
    s = schools[schools["level"] == level]
    s = s[pd.to_numeric(s["seats"], errors="coerce").fillna(0) > 0]
    if year is not None and "open_year" in s.columns:
        opens = pd.to_numeric(s["open_year"], errors="coerce")
        s = s[opens.isna() | (opens <= year)]
    zones = list(s["zone_id"].astype(str))
    ids = set(s["school_id"].astype(str))
    if plan is not None and len(plan):
        p = plan[plan["level"] == level]
        on = p["action"] == "new"
        shut = p["action"].isin(("close", "convert"))
        zones += list(p.loc[on, "zone_id"].astype(str))
        gone = set(p.loc[shut, "site_id"].astype(str)) & ids
        for sid in gone:
            zones.remove(str(s.loc[s["school_id"].astype(str) == sid, "zone_id"].iloc[0]))
    return pd.Series(zones, dtype=object).value_counts().rename_axis("zone_id")


def zones_lacking(required, schools: pd.DataFrame, plan: pd.DataFrame | None = None,
                  year: int | None = None, level: str = SPECIAL) -> tuple[str, ...]:
    """The required zones without a school of ``level`` open by ``year`` (see :func:`schools_by_zone`)."""
    have = schools_by_zone(schools, plan, year, level)
    return tuple(z for z in required if have.get(str(z), 0) < 1)


def served_zones(required, schools: pd.DataFrame, level: str = SPECIAL) -> tuple[str, ...]:
    """Zones whose special-needs pupils the level plans for: required ones and those with a school.

    A zone neither over the threshold nor with a school of the level teaches those pupils in
    special classes of ordinary schools (T9), whose seats the primary and middle levels already
    count: the level does not plan them (they are not "unserved").
    """
    have = schools_by_zone(schools, None, None, level)
    return tuple(sorted(set(map(str, required)) | set(have.index.astype(str))))


def keep_served(unit_demand: pd.DataFrame, zones, level: str = SPECIAL) -> pd.DataFrame:
    """``unit_demand`` without the rows of ``level`` outside ``zones`` (see :func:`served_zones`).

    Parameters
    ----------
    unit_demand : DataFrame
        ``unit_id, zone_id, level, year, pupils``.
    zones : iterable of str
    level : str

    Returns
    -------
    DataFrame
        A new table (attrs kept).
    """
    drop = (unit_demand["level"] == level) & ~unit_demand["zone_id"].astype(str).isin(set(map(str, zones)))
    out = unit_demand[~drop.to_numpy()].reset_index(drop=True)
    out.attrs = dict(unit_demand.attrs)
    return out
