"""A level that must have a school in certain zones and may borrow other levels' parcels.

Special-education schools (plan target T9, :mod:`capacity.demand.special`) are
the case in point, but nothing here names them: a level is handled when the
translation (:func:`capacity.optimize.translate.problem_from_sections`) hands
over the zones that must have one of its schools.

Two steps, both before the model is built:

* **Parcels** (:func:`borrow_parcels`). A level whose standard lists
  ``site_levels`` may build on candidate parcels listed for those levels, when
  the parcel's land fits its smallest module. In each zone that needs a new
  school the ``sites_per_zone`` fitting parcels nearest the zone's population
  centre (the demand units' population-weighted mean) are *moved* to the level:
  the other levels no longer see them, so no parcel can receive two schools
  even though the levels are solved one by one. A school serving a whole
  county belongs near its people: the pupil-distance a zone-wide school causes
  is smallest near the weighted centre (the 1-median of the zone), so few
  parcels lose little.
* **Minimums** (:func:`zone_minimums`). Each zone that must have a school and
  has none open by the plan's end (existing or carried over) gets a count rule
  "one new school of the level in this zone" — a row of the model, like the
  scenario's ``zone_rules``.

Formulation (per zone z in the set Z of zones lacking a school):

    Σ_{j ∈ sites(z), s, t} open[j, s, t] = 1       for z ∈ Z

Only zones in Z get parcels, so elsewhere the level grows only by expanding its
existing schools (where their land allows).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from capacity.errors import InfeasibleError
from capacity.optimize.problem import CountRule


def zone_centres(units: pd.DataFrame) -> pd.DataFrame:
    """Population-weighted centre of each zone's demand units [m, metric CRS].

    Parameters
    ----------
    units : GeoDataFrame
        Demand units: ``zone_id``, ``population`` [persons], point geometry.

    Returns
    -------
    DataFrame
        ``x, y`` indexed by ``zone_id`` (str); a zone without population uses the plain mean.
    """
    w = units["population"].to_numpy(float)
    zone = units["zone_id"].astype(str).to_numpy()
    f = pd.DataFrame({"zone_id": zone, "w": w, "wx": w * units.geometry.x.to_numpy(),
                      "wy": w * units.geometry.y.to_numpy(), "x": units.geometry.x.to_numpy(),
                      "y": units.geometry.y.to_numpy(), "n": 1.0})
    g = f.groupby("zone_id")[["w", "wx", "wy", "x", "y", "n"]].sum()
    weighted = g["w"] > 0
    x = np.where(weighted, g["wx"] / g["w"].where(weighted, 1.0), g["x"] / g["n"])
    y = np.where(weighted, g["wy"] / g["w"].where(weighted, 1.0), g["y"] / g["n"])
    return pd.DataFrame({"x": x, "y": y}, index=g.index)


def borrow_parcels(city, level: str, zones) -> tuple[object, pd.DataFrame]:
    """Move the parcels ``level`` may use in ``zones`` from their listed levels to ``level``.

    Parameters
    ----------
    city : CityData
        ``standards[level]`` gives ``site_levels``, ``sites_per_zone`` and the smallest
        module's land [m²]; ``candidate_sites`` and ``demand_units`` in the metric CRS.
    level : str
    zones : iterable of str
        Zones that need a new school of ``level``.

    Returns
    -------
    (CityData, DataFrame)
        The city with the moved parcels' ``level`` set to ``level`` (a new object), and the
        moved parcels (``site_id, zone_id, from_level, land_m2, distance_m`` to the centre).

    Raises
    ------
    InfeasibleError
        A zone has no parcel of ``site_levels`` (nor of the level itself) large enough for
        the level's smallest module.
    """
    std = city.standards[level]
    zones = [str(z) for z in zones]
    sites = city.candidate_sites
    need = float(std.module_land_m2(min(std.modules)))
    own = sites[sites["level"] == level]
    has_own = set(own.loc[own["land_m2"] >= need, "zone_id"].astype(str))
    empty = pd.DataFrame(columns=["site_id", "zone_id", "from_level", "land_m2", "distance_m"])
    if not std.site_levels or not zones:
        missing = [z for z in zones if z not in has_own]
        if missing:
            raise InfeasibleError(f"level {level}: zone(s) {missing} need a new {level} school but have no "
                                  f"candidate site with the {need:,.0f} m² of land its smallest module "
                                  f"({min(std.modules)} classes) needs; list parcels or set "
                                  f"[levels.{level}] site_levels in standards.toml")
        return city, empty
    zone = sites["zone_id"].astype(str)
    fit = sites["level"].isin(std.site_levels).to_numpy() & (sites["land_m2"].to_numpy(float) >= need) \
        & zone.isin(zones).to_numpy()
    pool = np.flatnonzero(fit)
    centre = zone_centres(city.demand_units).reindex(zone.iloc[pool])
    dist = np.hypot(sites.geometry.x.to_numpy()[pool] - centre["x"].to_numpy(),
                    sites.geometry.y.to_numpy()[pool] - centre["y"].to_numpy())
    order = np.lexsort((sites["site_id"].astype(str).to_numpy()[pool], dist, zone.to_numpy()[pool]))
    ranked = pd.Series(zone.to_numpy()[pool][order])
    keep = order[ranked.groupby(ranked).cumcount().to_numpy() < std.sites_per_zone]
    rows = pool[keep]
    missing = [z for z in zones if z not in set(zone.iloc[rows]) | has_own]
    if missing:
        raise InfeasibleError(f"level {level}: zone(s) {missing} need a new {level} school but no candidate "
                              f"parcel of {list(std.site_levels)} has the {need:,.0f} m² of land its smallest "
                              f"module ({min(std.modules)} classes) needs")
    moved = pd.DataFrame({"site_id": sites["site_id"].to_numpy()[rows], "zone_id": zone.to_numpy()[rows],
                          "from_level": sites["level"].to_numpy()[rows],
                          "land_m2": sites["land_m2"].to_numpy(float)[rows], "distance_m": dist[keep]})
    new_sites = sites.copy()
    new_sites.iloc[rows, new_sites.columns.get_loc("level")] = level
    return dataclasses.replace(city, candidate_sites=new_sites), moved


def zone_minimums(level: str, zones, build_years=(), lag_years: int = 0, plan_end: int = 0) -> list[CountRule]:
    """One count rule per zone: exactly one new school of ``level`` there (see the module docstring).

    With ``build_years``, a construction lag ``lag_years`` [years] and the plan's last year
    ``plan_end``, build years whose school would open after ``plan_end`` get a maximum of 0
    for that zone (T9 asks for the school *by* the plan's end); when no build year is early
    enough, the years are left free and the after-plan check reports T9 as not met.

    One, not "at least one": a school of the level serves its whole zone, so more seats come
    from a larger module, not a second school (the objective's pupil-distance would otherwise
    buy a second school a few kilometres from the first).
    """
    rules = [CountRule(level=level, kind="new", minimum=1, maximum=1, zone=str(z), year=None) for z in zones]
    # open by the plan's end: a school started in a year whose lag carries it past the end does not count
    late = [int(b) for b in build_years if int(b) + int(lag_years) > int(plan_end)] if build_years else []
    if build_years and len(late) < len(build_years):
        rules += [CountRule(level=level, kind="new", maximum=0, zone=str(z), year=b) for z in zones for b in late]
    return rules


def prepare(city, level: str, required, plan_end: int, build_years=(), lag_years: int = 0):
    """The city (with borrowed parcels) and the count rules that make ``required`` zones have a school.

    Parameters
    ----------
    city : CityData
    level : str
        A level with standards in ``city``.
    required : iterable of str
        Zones that must have a school of ``level`` by the plan's end.
    plan_end : int
        Last build year: existing schools, and carried-over ones opening by then, count [year].
    build_years : sequence of int, optional
        The plan's build years, with ``lag_years`` the level's construction lag [years]: the
        new school must open by ``plan_end`` (:func:`zone_minimums`).

    Returns
    -------
    (CityData, list of CountRule, tuple of str)
        The city, the rules, and the zones lacking a school (those the rules are for).
    """
    from capacity.demand.special import zones_lacking

    schools = pd.DataFrame(city.schools.drop(columns="geometry"))
    lacking = zones_lacking(list(required), schools, None, plan_end, level)
    city, _ = borrow_parcels(city, level, lacking)
    return city, zone_minimums(level, lacking, build_years, lag_years, plan_end), lacking
