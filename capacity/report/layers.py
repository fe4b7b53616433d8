"""The GIS layers of a run, as GeoDataFrames in the city's metric CRS (pure).

=================  ========  ==========================================================
layer              geometry  columns
=================  ========  ==========================================================
zones              polygon   zone_id, name_local, name_en, kind, population_base
demand_units       point     unit_id, zone_id, urban, population, provenance
existing_schools   point     school_id, level, zone_id, name, seats, classes, land_m2, provenance
candidate_sites    point     site_id, level, zone_id, land_m2, available_from, cost_factor,
                             provenance, chosen
chosen_sites       point     site_id, level, zone_id, name_local, action, size_classes, seats,
                             open_year, ready_year, cost_cny, pupils, rank
assignments        line      unit_id, school_id, level, year, pupils, distance_m
shortlist          point     see :mod:`capacity.report.shortlist`
=================  ========  ==========================================================

``chosen_sites.rank`` orders a level's chosen sites for phasing: by opening
year, then by the pupils the site serves in the target year (most first),
then by cost (least first). ``pupils`` are those pupils [pupils].
Assignments are straight lines from the demand unit to the school or site.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

LAYERS = ("zones", "demand_units", "existing_schools", "candidate_sites", "chosen_sites",
          "assignments", "shortlist")


def _points(df, crs):
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]),
                            geometry=gpd.points_from_xy(df["x"], df["y"]), crs=crs)


def chosen_sites(plan, assignment, zones, year, crs) -> gpd.GeoDataFrame:
    """``chosen_sites`` layer (see the module table)."""
    served = (assignment[assignment["year"] == year].groupby(["school_id", "level"])["pupils"].sum())
    p = plan.copy()
    p["zone_id"] = p["zone_id"].astype(str)
    key = pd.MultiIndex.from_arrays([p["site_id"].astype(str), p["level"]])
    p["pupils"] = served.reindex(key).fillna(0.0).to_numpy()
    p = p.join(zones.set_index("zone_id")["name_local"], on="zone_id")
    p = p.sort_values(["level", "open_year", "pupils", "cost_cny"], ascending=[True, True, False, True])
    p["rank"] = p.groupby("level").cumcount() + 1
    p = p.sort_index()
    cols = ["site_id", "level", "zone_id", "name_local", "action", "size_classes", "seats", "open_year",
            "ready_year", "cost_cny", "pupils", "rank", "x", "y"]
    return _points(p[cols], crs)


def assignment_lines(assignment, city, plan) -> gpd.GeoDataFrame:
    """``assignments`` layer: one line per unit, school, level and year with pupils > 0."""
    a = assignment[assignment["pupils"] > 0].reset_index(drop=True)
    units = city.demand_units.set_index("unit_id").geometry
    ends = pd.concat([city.schools.set_index("school_id").geometry,
                      city.candidate_sites.set_index("site_id").geometry])
    ends = ends[~ends.index.duplicated()]
    start = units.reindex(a["unit_id"].astype(str))
    end = ends.reindex(a["school_id"].astype(str))
    ok = start.notna().to_numpy() & end.notna().to_numpy()
    a = a[ok].reset_index(drop=True)
    s = shapely.get_coordinates(start[ok].to_numpy())
    e = shapely.get_coordinates(end[ok].to_numpy())
    coords = np.stack([s, e], axis=1)
    geom = shapely.linestrings(coords)
    cols = ["unit_id", "school_id", "level", "year", "pupils", "distance_m"]
    return gpd.GeoDataFrame(a[cols], geometry=geom, crs=city.demand_units.crs)


def run_layers(city, plan, assignment, shortlist, year) -> dict:
    """Every layer of a run, keyed by layer name (:data:`LAYERS` order), in the metric CRS.

    Parameters
    ----------
    city : CityData
    plan, assignment : DataFrame
        ``plan.csv`` and ``assignment.csv``.
    shortlist : DataFrame
        From :func:`capacity.report.shortlist.shortlist_table`.
    year : int
        The target year, for ``chosen_sites.pupils`` and ``rank`` [year].
    """
    crs = city.demand_units.crs
    pop = city.base_population().rename(index=str)
    zones = city.zones.to_crs(crs)[["zone_id", "name_local", "name_en", "kind", "geometry"]].copy()
    zones["population_base"] = zones["zone_id"].astype(str).map(pop).astype(float)
    zones = zones[["zone_id", "name_local", "name_en", "kind", "population_base", "geometry"]]
    sites = city.candidate_sites[["site_id", "level", "zone_id", "land_m2", "available_from",
                                  "cost_factor", "provenance", "geometry"]].copy()
    sites.insert(7, "chosen", sites["site_id"].astype(str).isin(set(plan["site_id"].astype(str))))
    schools = city.schools[["school_id", "level", "zone_id", "name", "seats", "classes", "land_m2",
                            "provenance", "geometry"]]
    units = city.demand_units[["unit_id", "zone_id", "urban", "population", "provenance", "geometry"]]
    return {
        "zones": zones, "demand_units": units.copy(), "existing_schools": schools.copy(),
        "candidate_sites": sites,
        "chosen_sites": chosen_sites(plan, assignment, city.zones, year, crs),
        "assignments": assignment_lines(assignment, city, plan),
        "shortlist": _points(shortlist, crs),
    }
