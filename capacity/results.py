"""Planner-facing tables of a solved plan (pure functions, no I/O).

From the optimiser's :class:`~capacity.optimize.result.Solution` and the
inputs it was built from, make the run's tables:

* ``plan`` — one row per new or expanded school;
* ``assignment`` — pupils from each demand unit to each school, per year;
* ``zone_balance`` — demand, seats and unserved pupils per zone, level, year;
* ``summary`` — a JSON-ready dict with every headline number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity import LEVELS


def plan_table(solution, indexes) -> pd.DataFrame:
    """New and expanded schools: ``site_id, level, zone, action, size_classes, seats,
    open_year, ready_year, cost_cny, x, y`` (x, y in the metric CRS [m])."""
    op = solution.opened
    if op.empty:
        return pd.DataFrame(columns=["site_id", "level", "zone", "action", "size_classes", "seats",
                                     "open_year", "ready_year", "cost_cny", "x", "y"])
    parts = []
    for level, rows in op.groupby("level", sort=False):
        idx = indexes[level]
        pos = pd.Index(idx.facility_ids).get_indexer(rows["facility"])
        parts.append(pd.DataFrame({
            "site_id": rows["facility"].to_numpy(), "level": level, "zone": rows["zone"].to_numpy(),
            "action": rows["kind"].to_numpy(), "size_classes": idx.option_classes[rows["option"].to_numpy()],
            "seats": rows["seats"].to_numpy(), "open_year": rows["open_year"].to_numpy(),
            "ready_year": rows["ready_year"].to_numpy(), "cost_cny": rows["cost_cny"].to_numpy(),
            "x": idx.facility_xy[pos, 0], "y": idx.facility_xy[pos, 1]}))
    out = pd.concat(parts, ignore_index=True)
    order = {lv: i for i, lv in enumerate(LEVELS)}
    out = out.sort_values(["level", "open_year", "zone", "site_id"],
                          key=lambda s: s.map(order) if s.name == "level" else s).reset_index(drop=True)
    out.attrs["units"] = {"seats": "pupils", "cost_cny": "CNY", "x": "m", "y": "m"}
    return out


def assignment_table(solution) -> pd.DataFrame:
    """``unit_id, school_id, level, year, pupils, distance_m``."""
    a = solution.assignments
    out = pd.DataFrame({"unit_id": a["unit"], "school_id": a["facility"], "level": a["level"],
                        "year": a["year"], "pupils": a["pupils"], "distance_m": a["distance"]})
    out.attrs["units"] = {"pupils": "pupils", "distance_m": "m"}
    return out


def zone_balance_table(city, unit_demand, plan_df, solution, years, levels=LEVELS) -> pd.DataFrame:
    """Demand, seats and unserved pupils per ``zone, level, year`` [pupils].

    ``seats`` are the zone's existing seats plus the new seats ready by that
    year; ``unserved`` are pupils of the zone's units left without a seat.
    """
    unit_zone = city.demand_units.set_index("unit_id")["zone_id"]
    ud = unit_demand[unit_demand["year"].isin(years) & unit_demand["level"].isin(levels)]
    demand = (ud.assign(zone=ud["unit_id"].map(unit_zone))
              .groupby(["zone", "level", "year"])["pupils"].sum())
    existing = city.schools[city.schools["level"].isin(levels)].groupby(["zone_id", "level"])["seats"].sum()
    frames = []
    for year in years:
        new = plan_df[plan_df["ready_year"] <= year].groupby(["zone", "level"])["seats"].sum()
        seats = existing.rename_axis(["zone", "level"]).add(new, fill_value=0.0)
        frames.append(seats.rename("seats").reset_index().assign(year=year))
    seats = pd.concat(frames).set_index(["zone", "level", "year"])["seats"]
    un = solution.unserved.assign(zone=solution.unserved["unit"].map(unit_zone))
    unserved = un.groupby(["zone", "level", "year"])["pupils"].sum()
    grid = pd.MultiIndex.from_product([list(city.zones["zone_id"]), list(levels), list(years)],
                                      names=["zone", "level", "year"])
    out = pd.DataFrame({"demand": demand.reindex(grid, fill_value=0.0),
                        "seats": seats.reindex(grid, fill_value=0.0),
                        "unserved": unserved.reindex(grid, fill_value=0.0)}).reset_index()
    out["balance"] = out["seats"] - out["demand"]
    out.attrs["units"] = {c: "pupils" for c in ("demand", "seats", "unserved", "balance")}
    return out


def walk_share(assign_df, unit_demand, standards, years, levels=LEVELS) -> dict:
    """Share of pupils seated within the level's walking standard, per level and year.

    The denominator is every pupil needing a seat (unserved pupils count as
    not within the standard).
    """
    out = {}
    for level in levels:
        walk = standards[level].walk_standard_m
        a = assign_df[assign_df["level"] == level]
        d = unit_demand[unit_demand["level"] == level]
        out[level] = {}
        for year in years:
            total = float(d.loc[d["year"] == year, "pupils"].sum())
            near = float(a.loc[(a["year"] == year) & (a["distance_m"] <= walk), "pupils"].sum())
            out[level][str(year)] = near / total if total > 0 else None
    return out


def summary_dict(scenario, city, solution, plan_df, assign_df, balance_df, unit_demand) -> dict:
    """Every headline number of a run, JSON-ready."""
    rep = solution.report
    years = list(scenario.plan.evaluation_years)
    levels = [lv for lv in LEVELS if lv in scenario.plan.levels]
    counts = {lv: {str(y): {"new": 0, "expand": 0} for y in scenario.plan.build_years} for lv in levels}
    for (lv, y, action), n in plan_df.groupby(["level", "open_year", "action"]).size().items():
        counts[lv][str(int(y))][action] = int(n)
    cost_year = {str(y): float(plan_df.loc[plan_df["open_year"] == y, "cost_cny"].sum())
                 for y in scenario.plan.build_years}
    unserved = {lv: {str(y): float(balance_df.loc[(balance_df["level"] == lv) & (balance_df["year"] == y),
                                                  "unserved"].sum()) for y in years} for lv in levels}
    demand = {lv: {str(y): float(balance_df.loc[(balance_df["level"] == lv) & (balance_df["year"] == y),
                                                "demand"].sum()) for y in years} for lv in levels}
    totals = {lv: {"new": int(((plan_df["level"] == lv) & (plan_df["action"] == "new")).sum()),
                   "expand": int(((plan_df["level"] == lv) & (plan_df["action"] == "expand")).sum()),
                   "seats": float(plan_df.loc[plan_df["level"] == lv, "seats"].sum()),
                   "target": scenario.plan.totals.get(lv)} for lv in levels}
    return {
        "scenario": scenario.name,
        "city": str(city.meta.get("name", "")),
        "status": rep.status,
        "objective": rep.objective,
        "objective_parts": {"unserved_pupils_weighted": rep.objective_parts.get("unserved"),
                            "pupil_distance_m": rep.objective_parts.get("distance"),
                            "cost_cny": rep.objective_parts.get("cost")},
        "best_bound": rep.best_bound,
        "gap": rep.gap,
        "solver": rep.solver,
        "build_seconds": rep.build_seconds,
        "solve_seconds": rep.solve_seconds,
        "n_variables": rep.n_variables,
        "n_constraints": rep.n_constraints,
        "schools_by_level": totals,
        "schools_by_level_and_year": counts,
        "cost_cny_by_year": cost_year,
        "cost_cny_total": float(plan_df["cost_cny"].sum()),
        "budget_cny_by_year": {str(y): scenario.plan.budget_for(y) for y in scenario.plan.build_years},
        "demand_pupils": demand,
        "unserved_pupils": unserved,
        "levels": levels,
        "share_within_walk_standard": walk_share(assign_df, unit_demand, city.standards, years, levels),
        "walk_standard_m": {lv: city.standards[lv].walk_standard_m for lv in levels},
        "synthetic_layers": [n for n, layer in (("demand_units", city.demand_units),
                                                ("schools", city.schools),
                                                ("candidate_sites", city.candidate_sites))
                             if (layer["provenance"] == "synthetic").any()],
    }


def to_jsonable(obj):
    """Replace numpy scalars and non-finite floats so ``json.dumps`` accepts ``obj``."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    return obj
