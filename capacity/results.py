"""Planner-facing tables of a solved plan (pure functions, no I/O).

From the optimiser's :class:`~capacity.optimize.result.Solution` and the
inputs it was built from, make the run's tables (columns, dtypes and units in
:mod:`capacity.io.schema`):

* ``plan`` — one row per new or expanded school;
* ``assignment`` — pupils from each demand unit to each school, per year;
* ``zone_balance`` — demand, seats and unserved pupils per zone, level, year;
* ``summary`` — a JSON-ready dict with every headline number and the target checks.

The optimiser's own names (``facility``, ``kind``, ``zone``) end here: the
tables use ``site_id``, ``action`` and ``zone_id``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity import ALL_LEVELS, LEVELS
from capacity.io.jsonfile import to_jsonable  # noqa: F401  (re-exported: the one JSON conversion)
from capacity.io.schema import OPTIONAL, PLAN_KEY, UNITS, columns, empty


PLAN_EXTRA = list(OPTIONAL["plan"])


def plan_table(solution, indexes, schools=None) -> pd.DataFrame:
    """New, expanded, closed and converted schools: ``site_id, level, zone_id, action,
    size_classes, seats, open_year, ready_year, cost_cny, x, y`` (x, y in the metric CRS [m]),
    then ``start_year, receiving_school_id, convert_to`` (:data:`capacity.io.schema.OPTIONAL`).

    ``start_year`` (= ``open_year``) is when construction starts, ``ready_year``
    the opening year. A closure or conversion has ``seats`` < 0 (the seats that
    leave from ``open_year``); ``size_classes`` is the school's classes when
    ``schools`` (the city's schools table) is given, else 0. A closure is a
    merger when an expanded school of its level took the largest share of its
    pupils (:func:`receiving_schools`).
    """
    op = solution.opened
    if op.empty:
        out = empty("plan")
        for c, d in OPTIONAL["plan"].items():
            out[c] = pd.Series(dtype="Int64" if d == "int64" else "object")
        return out
    classes = {} if schools is None else dict(zip(schools["school_id"], schools["classes"]))
    parts = []
    for level, rows in op.groupby("level", sort=False):
        idx = indexes[level]
        pos = pd.Index(idx.facility_ids).get_indexer(rows["facility"])
        option = rows["option"].to_numpy()
        shut = option < 0
        size = np.where(shut, 0, idx.option_classes[np.where(shut, 0, option)]) if len(idx.option_classes) \
            else np.zeros(len(rows), np.int64)
        size = np.where(shut, [int(round(float(classes.get(f, 0) or 0))) for f in rows["facility"]], size)
        label = rows["label"].astype(str).to_numpy()
        parts.append(pd.DataFrame({
            "site_id": rows["facility"].to_numpy(), "level": level, "zone_id": rows["zone"].to_numpy(),
            "action": rows["kind"].to_numpy(), "size_classes": size.astype(np.int64),
            "seats": rows["seats"].to_numpy(), "open_year": rows["open_year"].to_numpy(),
            "ready_year": rows["ready_year"].to_numpy(), "cost_cny": rows["cost_cny"].to_numpy(),
            "x": idx.facility_xy[pos, 0], "y": idx.facility_xy[pos, 1],
            "start_year": rows["open_year"].to_numpy(),
            "convert_to": np.where(rows["kind"].to_numpy() == "convert",
                                   [lab[3:] if lab.startswith("to ") else lab for lab in label], None)}))
    out = pd.concat(parts, ignore_index=True)
    out["receiving_school_id"] = receiving_schools(out, getattr(solution, "assignments", None))
    order = {lv: i for i, lv in enumerate(ALL_LEVELS)}
    out = out.sort_values(["level", "open_year", "zone_id", "site_id"],
                          key=lambda s: s.map(order) if s.name == "level" else s).reset_index(drop=True)
    out = out[columns("plan") + PLAN_EXTRA]
    out["start_year"] = out["start_year"].astype("Int64")
    out.attrs["units"] = dict(UNITS["plan"])
    return out


def receiving_schools(plan: pd.DataFrame, assignments: pd.DataFrame) -> list:
    """For each plan row: the expanded school that received a closed school's pupils, or None.

    A closure in year *b* is a merger when some demand units that the closed
    school served in the last evaluation year before *b* are served in *b* or
    later by a school the plan expands; the receiver is the expanded school
    taking most of those units' pupils. A closure in the first year checked
    (no earlier assignment) is a merger when the plan expands a school of the
    same level and zone whose seats are ready by the closure year; the
    receiver is the nearest of them.

    Parameters
    ----------
    plan : DataFrame
        ``site_id, level, action, open_year``.
    assignments : DataFrame
        ``Solution.assignments``: ``level, unit, facility, year, pupils``.
    """
    out = [None] * len(plan)
    if assignments is None or assignments.empty:
        return out
    expanded = plan[plan["action"] == "expand"]
    years = np.sort(assignments["year"].unique())
    for i, row in enumerate(plan.itertuples(index=False)):
        if row.action != "close":
            continue
        grow = set(expanded.loc[expanded["level"] == row.level, "site_id"])
        if not grow:
            continue
        a = assignments[assignments["level"] == row.level]
        before = years[years < row.open_year]
        if before.size == 0:
            near = expanded[(expanded["level"] == row.level) & (expanded["zone_id"] == row.zone_id)
                            & (expanded["ready_year"] <= row.open_year)]
            if len(near):
                d = np.hypot(near["x"].to_numpy(float) - row.x, near["y"].to_numpy(float) - row.y)
                out[i] = near["site_id"].iloc[int(np.argmin(d))]
            continue
        units = set(a.loc[(a["facility"] == row.site_id) & (a["year"] == before[-1]), "unit"])
        after = years[years >= row.open_year]
        if not units or after.size == 0:
            continue
        took = a[(a["year"] == after[0]) & a["unit"].isin(units) & a["facility"].isin(grow)]
        if len(took):
            out[i] = took.groupby("facility")["pupils"].sum().idxmax()
    return out


def assignment_table(solution) -> pd.DataFrame:
    """``unit_id, school_id, level, year, pupils, distance_m``."""
    a = solution.assignments
    out = pd.DataFrame({"unit_id": a["unit"], "school_id": a["facility"], "level": a["level"],
                        "year": a["year"], "pupils": a["pupils"], "distance_m": a["distance"]})
    out.attrs["units"] = dict(UNITS["assignment"])
    return out


def zone_balance_table(city, unit_demand, plan_df, solution, years, levels=LEVELS) -> pd.DataFrame:
    """Demand, seats and unserved pupils per ``zone_id, level, year`` [pupils].

    ``seats`` are the zone's existing seats plus the new seats ready by that
    year; ``unserved`` are pupils of the zone's units left without a seat.
    """
    unit_zone = city.demand_units.set_index("unit_id")["zone_id"]
    ud = unit_demand[unit_demand["year"].isin(years) & unit_demand["level"].isin(levels)]
    demand = (ud.assign(zone_id=ud["unit_id"].map(unit_zone))
              .groupby(["zone_id", "level", "year"])["pupils"].sum())
    schools = city.schools[city.schools["level"].isin(levels)]
    frames = []
    for year in years:
        existing = school_seats_in(schools, year).groupby([schools["zone_id"], schools["level"]]).sum()
        new = plan_df[plan_df["ready_year"] <= year].groupby(["zone_id", "level"])["seats"].sum()
        seats = existing.add(new, fill_value=0.0)
        frames.append(seats.rename("seats").reset_index().assign(year=year))
    seats = pd.concat(frames).set_index(["zone_id", "level", "year"])["seats"]
    un = solution.unserved.assign(zone_id=solution.unserved["unit"].map(unit_zone))
    unserved = un.groupby(["zone_id", "level", "year"])["pupils"].sum()
    grid = pd.MultiIndex.from_product([list(city.zones["zone_id"]), list(levels), list(years)],
                                      names=["zone_id", "level", "year"])
    out = pd.DataFrame({"demand": demand.reindex(grid, fill_value=0.0),
                        "seats": seats.reindex(grid, fill_value=0.0),
                        "unserved": unserved.reindex(grid, fill_value=0.0)}).reset_index()
    out["balance"] = out["seats"] - out["demand"]
    out.attrs["units"] = dict(UNITS["zone_balance"])
    return out


def spending_by_year(plan_df) -> dict:
    """Spending per calendar year [CNY]: each row's cost spread evenly over its construction years
    ``open_year .. ready_year − 1`` (all in ``open_year`` with a lag of 0 or 1), as the budget rows."""
    out = {}
    if plan_df.empty:
        return out
    start = plan_df["open_year"].to_numpy(np.int64)
    n = np.maximum(plan_df["ready_year"].to_numpy(np.int64) - start, 1)
    for s0, k, c in zip(start.tolist(), n.tolist(), plan_df["cost_cny"].to_numpy(float).tolist()):
        for y in range(s0, s0 + k):
            out[y] = out.get(y, 0.0) + c / k
    return out


def system_table(plan_df, balance_df, years, levels) -> dict:
    """Per level and evaluation year: ``seats, pupils, surplus, unserved`` [pupils] and the schools
    ``new, expanded, closed, converted`` whose seats arrive or leave in the years since the previous
    evaluation year (up to and including the first one for the first) [schools] — the question of a
    shrinking system: how many schools of each level, where and when, and which close or convert."""
    out = {}
    for lv in levels:
        out[lv] = {}
        b = balance_df[balance_df["level"] == lv]
        p = plan_df[plan_df["level"] == lv]
        prev = None
        for y in years:
            seats = float(b.loc[b["year"] == y, "seats"].sum())
            pupils = float(b.loc[b["year"] == y, "demand"].sum())
            when = (p["ready_year"] <= y) & ((p["ready_year"] > prev) if prev is not None else True)
            n = lambda a: int((when & (p["action"] == a)).sum())  # noqa: E731
            out[lv][str(y)] = {"seats": seats, "pupils": pupils, "surplus": seats - pupils,
                               "unserved": float(b.loc[b["year"] == y, "unserved"].sum()),
                               "new": n("new"), "expanded": n("expand"), "closed": n("close"),
                               "converted": n("convert")}
            prev = y
    return out


def school_seats_in(schools: pd.DataFrame, year: int) -> pd.Series:
    """Seats of each existing school in ``year`` [pupils]: a carried-over project's seats count
    from its ``open_year`` / ``added_year`` (optional ``schools.gpkg`` columns, issue 13)."""
    seats = schools["seats"].astype(float)
    if "open_year" in schools:
        opens = pd.to_numeric(schools["open_year"], errors="coerce")
        seats = seats.where(opens.isna() | (opens <= year), 0.0)
    if "added_seats" in schools and "added_year" in schools:
        added = pd.to_numeric(schools["added_seats"], errors="coerce").fillna(0.0)
        when = pd.to_numeric(schools["added_year"], errors="coerce")
        seats = seats + added.where(when <= year, 0.0)
    return seats


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


def summary_dict(scenario, city, solution, plan_df, assign_df, balance_df, unit_demand, targets=None) -> dict:
    """Every headline number of a run, JSON-ready.

    ``targets`` (from :func:`capacity.demand.targets.check_targets`) is stored
    under ``targets`` when given.
    """
    rep = solution.report
    years = list(scenario.plan.evaluation_years)
    levels = [lv for lv in ALL_LEVELS if lv in scenario.plan.levels]
    counts = {lv: {str(y): {"new": 0, "expand": 0, "close": 0, "convert": 0} for y in scenario.plan.build_years}
              for lv in levels}
    for (lv, y, action), n in plan_df.groupby(["level", "open_year", "action"]).size().items():
        counts[lv][str(int(y))][action] = int(n)
    spent = spending_by_year(plan_df)
    cost_year = {str(y): float(spent.get(int(y), 0.0)) for y in scenario.plan.build_years}
    unserved = {lv: {str(y): float(balance_df.loc[(balance_df["level"] == lv) & (balance_df["year"] == y),
                                                  "unserved"].sum()) for y in years} for lv in levels}
    demand = {lv: {str(y): float(balance_df.loc[(balance_df["level"] == lv) & (balance_df["year"] == y),
                                                "demand"].sum()) for y in years} for lv in levels}
    totals = {lv: {"new": int(((plan_df["level"] == lv) & (plan_df["action"] == "new")).sum()),
                   "expand": int(((plan_df["level"] == lv) & (plan_df["action"] == "expand")).sum()),
                   "close": int(((plan_df["level"] == lv) & (plan_df["action"] == "close")).sum()),
                   "convert": int(((plan_df["level"] == lv) & (plan_df["action"] == "convert")).sum()),
                   "seats": float(plan_df.loc[(plan_df["level"] == lv) & (plan_df["seats"] > 0), "seats"].sum()),
                   "seats_removed": float(-plan_df.loc[(plan_df["level"] == lv) & (plan_df["seats"] < 0),
                                                       "seats"].sum()),
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
        "system_by_level_and_year": system_table(plan_df, balance_df, years, levels),
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
        "metric_crs": city.metric_crs,
        "conversions": _conversions(plan_df, scenario, city),
        **({"targets": targets} if targets is not None else {}),
        **({"aggregation": dict(rep.aggregation)} if getattr(rep, "aggregation", None) else {}),
    }


def _conversions(plan_df, scenario, city) -> dict:
    """What the conversions make (:func:`capacity.plan_conversions.conversion_summary`; issue 13)."""
    from capacity.plan_conversions import NURSERY_KEYS, conversion_summary

    params = {k: getattr(scenario.plan, k) for k in NURSERY_KEYS if getattr(scenario.plan, k, None) is not None}
    return conversion_summary(plan_df, params, city)


PLAN_KEY_COLUMNS = PLAN_KEY


def opened_from_plan_table(plan: pd.DataFrame, problem, indexes, source="plan.csv") -> pd.DataFrame:
    """The inverse of :func:`plan_table`: a written plan back to ``Solution.opened`` rows.

    Each row is matched to the option of ``problem`` on the same site (or
    existing school) with the same number of classes, so a plan from an
    earlier ``capacity run`` can be judged or used as a start on the same data.

    Parameters
    ----------
    plan : DataFrame
        ``site_id, level, size_classes, open_year`` (other ``plan.csv`` columns are ignored).
    problem : Problem
    indexes : dict of str to LevelIndex
        From :func:`capacity.optimize.geo.build_problem` of the same city and plan settings.
    source : str or Path
        Named in errors.

    Returns
    -------
    DataFrame
        ``level, facility, option, kind, label, seats, cost_cny, zone, open_year, ready_year``.

    Raises
    ------
    DataError
        A column is missing, or a row (CSV line number given) names a level
        not planned, a site unknown for its level, a size with no option there,
        or a year that is not a build year.
    """
    from capacity.errors import DataError

    missing = [c for c in PLAN_KEY_COLUMNS if c not in plan.columns]
    if missing:
        raise DataError(f"the plan lacks column(s) {missing}; expected those of plan.csv", path=source)
    line = lambda mask: np.flatnonzero(np.asarray(mask)) + 2  # noqa: E731  (CSV line: header is line 1)
    plan = plan.reset_index(drop=True)
    for col in ("size_classes", "open_year"):
        num = pd.to_numeric(plan[col], errors="coerce")
        bad = num.isna() | (num != num.round())
        if bad.any():
            raise DataError("expected a whole number", path=source, column=col, rows=line(bad), row_label="line")
        plan[col] = num.astype(np.int64)
    bad_year = ~plan["open_year"].isin(np.asarray(problem.build_years).tolist())
    if bad_year.any():
        raise DataError(f"open_year must be one of the build years {list(problem.build_years)}", path=source,
                        column="open_year", rows=line(bad_year), row_label="line")
    parts = []
    for level, rows in plan.groupby("level", sort=False):
        if level not in indexes:
            raise DataError(f"level {level!r} is not planned by this scenario ({list(indexes)})", path=source,
                            column="level", rows=line(plan["level"] == level), row_label="line")
        lv, idx = problem.level(level), indexes[level]
        pos = pd.Index(lv.facilities.ids.astype(str)).get_indexer(rows["site_id"].astype(str))
        if (pos < 0).any():
            raise DataError(f"site_id not among this city's {level} schools and candidate sites", path=source,
                            column="site_id", rows=rows.index[pos < 0] + 2, row_label="line")
        key = pd.Series(np.arange(lv.options.n), index=pd.MultiIndex.from_arrays(
            [lv.options.facility, idx.option_classes]))
        want = pd.MultiIndex.from_arrays([pos, rows["size_classes"].to_numpy(np.int64)])
        option = key.reindex(want).to_numpy()
        if np.isnan(option).any():
            raise DataError(f"no {level} option of that size on that site (land, or modules of the standards)",
                            path=source, column="size_classes", rows=rows.index[np.isnan(option)] + 2,
                            row_label="line")
        o = option.astype(np.int64)
        f = lv.options.facility[o]
        year = rows["open_year"].to_numpy(np.int64)
        parts.append(pd.DataFrame({
            "level": level, "facility": lv.facilities.ids[f], "option": o,
            "kind": np.where(lv.facilities.existing[f], "expand", "new"), "label": lv.options.label[o],
            "seats": lv.options.seats[o], "cost_cny": lv.options.cost_cny[o], "zone": lv.facilities.zone[f],
            "open_year": year, "ready_year": year + int(lv.lag_years)}))
    cols = ["level", "facility", "option", "kind", "label", "seats", "cost_cny", "zone", "open_year", "ready_year"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
