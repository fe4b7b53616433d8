"""Independent verification of a written plan, from its output files alone.

Nothing here trusts the optimiser: every check is recomputed from
``plan.csv``, ``assignment.csv``, ``unit_demand.csv``, ``zone_balance.csv``
and ``scenario.json`` of a run folder (read by :func:`capacity.io.read_run`),
against the data folder the scenario names. A planner (or a
test) can run it on any run folder: ``capacity verify outputs/baseline``.

Checks
------
values        each plan row's own values: seats ≥ 0 and = classes × the level's class size,
              opening year a build year, cost ≥ 0; assigned pupils ≥ 0 (file, column and
              line of each bad value named)
counts        plan totals per level (exact / at most / at least) and zone rules
opening       open years are build years, not before the site's land is available
land          each module fits its parcel's land at the land standard
budget        spending per build year within the budget (construction spread over the
              construction years start .. opening − 1; conversions in their year)
capacity      pupils assigned to a school in a year ≤ its seats ready by then (a closed or
              converted school has none from its closure year)
closures      closures/conversions only of existing schools, in levels the scenario opens to
              them, never protected, at most once; no pupil at a school after it closes or
              before it opens; opening year = start year + the level's lag; a merger's
              receiving school is expanded (issue 13)
conversions   a level conversion's new school on the same place, started no earlier than the
              closure, no pupil of the old level from then, none of the new before it opens; nursery
              places within each zone's unmet need (:mod:`capacity.verify_conversions`)
distance      every assignment within the level's urban / rural maximum distance,
              recomputed from the coordinates
zone          compulsory levels assigned within their own zone (when required)
special       a special-education school in every zone over the T9 threshold after the plan;
service zone  levels serving their whole zone assigned within it (:mod:`capacity.verify_special`)
conservation  assigned + unserved pupils = the unit's demand, per level and year
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from capacity.plan_conversions import conversion_targets
from capacity.verify_conversions import conversion_checks

TOL = 1e-4  # absolute slack on pupils [pupils]; budgets use a relative 1e-9


@dataclass(frozen=True)
class Check:
    """One verified property: its name, whether it holds, and what was seen."""

    name: str
    ok: bool
    detail: str


def _where(path, column, mask, reason) -> str:
    """``plan.csv, column 'seats', lines 2, 5: reason`` for the rows of ``mask`` (CSV lines: header = 1)."""
    from capacity.errors import DataError

    return str(DataError(reason, path=path, column=column, rows=np.flatnonzero(np.asarray(mask)) + 2,
                         row_label="line"))


def check_values(plan, assign, scen, city, folder=None) -> Check:
    """Each plan row's own values, and the assigned pupils; names file, column and line of each bad one."""
    folder = Path(folder) if folder is not None else Path(".")
    plan_csv, assign_csv = folder / "plan.csv", folder / "assignment.csv"
    plan = plan.reset_index(drop=True)
    bad = []
    shut = plan["action"].isin(SHUT)
    if ((plan["seats"] < 0) & ~shut).any():
        bad.append(_where(plan_csv, "seats", (plan["seats"] < 0) & ~shut, "negative seats"))
    if ((plan["seats"] > 0) & shut).any():
        bad.append(_where(plan_csv, "seats", (plan["seats"] > 0) & shut,
                          "a closure or conversion must have seats ≤ 0 (the seats that leave)"))
    size = {lv: city.standards[lv].class_size for lv in city.standards}
    expected = plan["size_classes"] * plan["level"].map(size)
    wrong = (plan["seats"] >= 0) & ~shut & ((plan["seats"] - expected).abs() > 1e-6)
    if wrong.any():
        bad.append(_where(plan_csv, "seats", wrong, "seats differ from size_classes × the level's class size"))
    build = list(scen["plan"]["build_years"])
    outside = ~plan["open_year"].isin(build)
    if outside.any():
        bad.append(_where(plan_csv, "open_year", outside, f"opening year not one of the build years {build}"))
    if (plan["cost_cny"] < 0).any():
        bad.append(_where(plan_csv, "cost_cny", plan["cost_cny"] < 0, "negative cost"))
    negative = assign["pupils"].reset_index(drop=True) < 0
    if negative.any():
        bad.append(_where(assign_csv, "pupils", negative, "negative pupils"))
    return Check("values", not bad, "; ".join(bad) or f"all {len(plan)} plan rows and {len(assign):,} "
                 "assignments have plausible values")


def check_counts(plan, scen) -> Check:
    p = scen["plan"]
    plan = plan[~conversion_targets(plan)]  # a conversion reuses a building: not a school built
    planned = set(p.get("levels", p["totals"]))
    bad = []
    for level, n in p["totals"].items():
        if level not in planned:
            continue
        action = p.get("totals_action", {}).get(level, "new")
        sel = plan[(plan["level"] == level) & ~plan["action"].isin(SHUT)]
        got = len(sel) if action == "any" else int((sel["action"] == action).sum())
        ok = {"exact": got == n, "at_most": got <= n, "at_least": got >= n}[p["totals_mode"]]
        if not ok:
            bad.append(f"{level}: {got} vs {p['totals_mode']} {n}")
    for r in p["zone_rules"]:
        if r["level"] not in planned:
            continue
        sel = plan[(plan["level"] == r["level"]) & (plan["zone_id"] == str(r["zone"])) & ~plan["action"].isin(SHUT)]
        if r["action"] != "any":
            sel = sel[sel["action"] == r["action"]]
        if r.get("year") is not None:
            sel = sel[sel["open_year"] == r["year"]]
        if len(sel) < r["min"] or (r.get("max") is not None and len(sel) > r["max"]):
            bad.append(f"zone {r['zone']} {r['action']} {r['level']}: {len(sel)} vs min {r['min']}")
    n_rules = len(p["totals"]) + len(p["zone_rules"])
    return Check("counts", not bad, "; ".join(bad) or f"{n_rules} totals and zone rules hold")


def check_opening(plan, scen, sites) -> Check:
    build = set(scen["plan"]["build_years"])
    bad = plan[~plan["open_year"].isin(build)]
    new = plan[(plan["action"] == "new") & ~conversion_targets(plan)].merge(sites[["site_id", "available_from"]], on="site_id", how="left")
    early = new[new["open_year"] < new["available_from"]]
    unknown = new[new["available_from"].isna()]
    ok = bad.empty and early.empty and unknown.empty
    detail = (f"{len(bad)} outside build years, {len(early)} before their land is available, "
              f"{len(unknown)} on unknown sites" if not ok else
              f"{len(plan)} schools open in build years, none before their land is available")
    return Check("opening", ok, detail)


def check_land(plan, city) -> Check:
    std = {lv: city.standards[lv] for lv in city.standards}
    need_new = plan["size_classes"] * plan["level"].map(lambda lv: std[lv].class_size * std[lv].land_m2_per_pupil)
    land = pd.concat([city.candidate_sites[["site_id", "land_m2"]],
                      city.schools[["school_id", "land_m2"]].rename(columns={"school_id": "site_id"})])
    m = plan[~plan["action"].isin(SHUT)].assign(need=need_new).merge(land, on="site_id", how="left")
    existing = city.schools.set_index("school_id")["seats"]
    lpp = m["level"].map(lambda lv: std[lv].land_m2_per_pupil)
    m.loc[m["action"] == "expand", "need"] = (m["site_id"].map(existing) + m["seats"]) * lpp
    bad = m[(m["need"] > m["land_m2"] * (1 + 1e-9)) | m["land_m2"].isna()]
    return Check("land", bad.empty, f"{len(bad)} modules exceed their land" if len(bad)
                 else f"all {len(m)} modules fit their land")


SHUT = ("close", "convert")


def spending_by_year(plan) -> dict:
    """Spending per calendar year [CNY]: each row's cost spread evenly over its construction
    years ``start .. ready − 1`` (all in the start year when they are equal or one apart)."""
    start = plan["open_year"].to_numpy(np.int64)
    n = np.maximum(plan["ready_year"].to_numpy(np.int64) - start, 1)
    out = {}
    for s0, k, c in zip(start.tolist(), n.tolist(), plan["cost_cny"].to_numpy(float).tolist()):
        for y in range(s0, s0 + k):
            out[y] = out.get(y, 0.0) + c / k
    return out


def check_shrinking(plan, assign, scen, city) -> Check:
    """Closures, conversions and lags (issue 13): only existing schools of the level close or
    convert, once, where the scenario allows it, never a protected school; no pupil is assigned to
    a school after it closes or to a new school before it opens; every row's opening year is its
    start year + the level's lag; a merger's receiving school is expanded by the plan."""
    p = scen["plan"]
    bad = []
    shut = plan[plan["action"].isin(SHUT)]
    schools = city.schools.set_index("school_id")
    known = shut["site_id"].isin(schools.index) & (shut["site_id"].map(schools["level"]) == shut["level"])
    if not known.all():
        bad.append(f"{int((~known).sum())} closures/conversions of schools that are not existing schools of the level")
    if shut["site_id"].duplicated().any():
        bad.append("a school closes or converts twice")
    if plan.loc[plan["action"].isin(("new", "expand")) & ~conversion_targets(plan), "site_id"].isin(
            shut["site_id"]).any():
        bad.append("a school both closes and is built or expanded")
    allowed_close = set(p.get("closure_levels", ()))
    allowed_conv = set((p.get("conversions") or {}).keys()) | set((p.get("level_conversions") or {}).keys())
    no = shut[((shut["action"] == "close") & ~shut["level"].isin(allowed_close))
              | ((shut["action"] == "convert") & ~shut["level"].isin(allowed_conv))]
    if len(no):
        bad.append(f"{len(no)} closures/conversions in levels the scenario does not open to them")
    limit = p.get("max_closures_per_zone_year")
    if limit is not None and len(shut):
        per = shut.groupby(["zone_id", "level", "open_year"]).size()
        if (per > limit).any():
            bad.append(f"{int((per > limit).sum())} zone-years with more than {limit} closures/conversions")
    protected = set(map(str, p.get("protected_schools", ())))
    hit = shut[shut["site_id"].astype(str).isin(protected)]
    if len(hit):
        bad.append(f"protected school(s) {sorted(hit['site_id'])} closed or converted")
    key = pd.MultiIndex.from_frame(assign[["school_id", "level"]])  # a converted place serves two levels
    when = pd.Series(shut["open_year"].to_numpy(), index=pd.MultiIndex.from_frame(shut[["site_id", "level"]]))
    closed = when.reindex(key).to_numpy()
    late = assign[~np.isnan(closed) & (assign["year"].to_numpy() >= closed)]
    if len(late):
        bad.append(f"{len(late)} assignments to schools after they closed")
    new = plan[plan["action"] == "new"]
    ready = pd.Series(new["ready_year"].to_numpy(), index=pd.MultiIndex.from_frame(new[["site_id", "level"]]))
    opens = ready.reindex(key).to_numpy(float)
    early = assign[~np.isnan(opens) & (assign["year"].to_numpy() < opens)]
    if len(early):
        bad.append(f"{len(early)} assignments to new schools before they open")
    built = plan[plan["action"].isin(("new", "expand"))]
    lag = built["level"].map(lambda lv: int((p.get("lag_years_by_level") or {}).get(
        lv, p.get("construction_lag_years", 0))))
    wrong = built[(built["ready_year"] - built["open_year"]) != lag]
    if len(wrong):
        bad.append(f"{len(wrong)} schools open other than start year + the level's lag")
    if "receiving_school_id" in plan:
        recv = shut["receiving_school_id"].dropna()
        recv = recv[recv.astype(str).str.len() > 0]
        if not recv.isin(plan.loc[plan["action"] == "expand", "site_id"]).all():
            bad.append("a merger names a receiving school the plan does not expand")
    n_close, n_conv = int((shut["action"] == "close").sum()), int((shut["action"] == "convert").sum())
    return Check("closures", not bad, "; ".join(bad) or
                 f"{n_close} closures, {n_conv} conversions, {len(built)} lags and every assignment's opening "
                 "and closing year consistent")


def check_conversions(plan, assign, scen, city) -> Check:
    """Level conversions and nursery places (:mod:`capacity.verify_conversions`)."""
    return Check("conversions", *conversion_checks(plan, assign, scen, city))


def check_budget(plan, scen) -> Check:
    p = scen["plan"]
    bad = []
    for year, amount in p["budget_cny"].items():
        limit = amount * p["budget_factor"]
        spent = spending_by_year(plan).get(int(year), 0.0)
        if spent > limit * (1 + 1e-9):
            bad.append(f"{year}: {spent:,.0f} > {limit:,.0f} CNY")
    if not p["budget_cny"]:
        return Check("budget", True, "no budget set")
    return Check("budget", not bad, "; ".join(bad) or f"{len(p['budget_cny'])} yearly budgets respected")


def check_capacity(plan, assign, city) -> Check:
    existing = city.schools.set_index(["school_id", "level"])["seats"]  # a converted place serves two levels
    existing = existing[~existing.index.duplicated()]
    load = assign.groupby(["school_id", "level", "year"], as_index=False)["pupils"].sum()
    built = load.merge(plan[["site_id", "level", "ready_year", "seats"]],
                       left_on=["school_id", "level"], right_on=["site_id", "level"])
    built = built[built["ready_year"] <= built["year"]].groupby(["school_id", "level", "year"])["seats"].sum()
    key = pd.MultiIndex.from_frame(load[["school_id", "level", "year"]])
    load["seats"] = (existing.reindex(pd.MultiIndex.from_frame(load[["school_id", "level"]])).fillna(0.0).to_numpy()
                     + built.reindex(key, fill_value=0.0).to_numpy())
    bad = load[load["pupils"] > load["seats"] + TOL]
    return Check("capacity", bad.empty,
                 f"{len(bad)} school-years over capacity (worst {(bad.pupils - bad.seats).max():,.1f} pupils)"
                 if len(bad) else f"{len(load):,} school-years within capacity")


def check_distance(assign, city, scen) -> Check:
    units = city.demand_units.set_index("unit_id")
    places = pd.concat([city.schools.set_index("school_id").geometry,
                        city.candidate_sites.set_index("site_id").geometry])
    places = places[~places.index.duplicated()]
    unknown = ~assign["unit_id"].isin(units.index) | ~assign["school_id"].isin(places.index)
    if unknown.any():
        return Check("distance", False, f"{int(unknown.sum())} assignments name a unit or school the city "
                     "does not have")
    u = units.loc[assign["unit_id"]]
    f = places.loc[assign["school_id"]]
    d = np.hypot(u.geometry.x.to_numpy() - f.x.to_numpy(), u.geometry.y.to_numpy() - f.y.to_numpy())
    if scen.get("plan", {}).get("distance") == "network" and getattr(city, "roads", None) is not None:
        from capacity.network import network_of, pair_distances  # walking distances along the roads

        d = pair_distances(network_of(city.roads), np.c_[u.geometry.x, u.geometry.y], np.c_[f.x, f.y])
    lim = np.where(u["urban"].to_numpy(bool),
                   assign["level"].map(lambda lv: city.standards[lv].max_distance_urban_m),
                   assign["level"].map(lambda lv: city.standards[lv].max_distance_rural_m))
    far = d > lim + 1e-6
    mismatch = np.abs(d - assign["distance_m"].to_numpy()) > 1.0
    ok = not far.any() and not mismatch.any()
    detail = (f"{far.sum()} assignments beyond the maximum distance, {mismatch.sum()} with a wrong distance_m"
              if not ok else f"all {len(assign):,} assignments within the maximum distance "
              f"(longest {d.max() / 1000 if len(d) else 0:,.1f} km)")
    return Check("distance", ok, detail)


def check_zone(assign, city, scen) -> Check:
    if not scen["plan"].get("compulsory_within_zone"):
        return Check("zone", True, "not required by the scenario")
    unit_zone = city.demand_units.set_index("unit_id")["zone_id"]
    fac_zone = pd.concat([city.schools.set_index("school_id")["zone_id"],
                          city.candidate_sites.set_index("site_id")["zone_id"]])
    fac_zone = fac_zone[~fac_zone.index.duplicated()]
    comp = assign[assign["level"].isin(["primary", "middle"])]
    bad = comp[comp["unit_id"].map(unit_zone).to_numpy() != comp["school_id"].map(fac_zone).to_numpy()]
    return Check("zone", bad.empty, f"{len(bad)} compulsory assignments cross a zone border" if len(bad)
                 else f"all {len(comp):,} compulsory assignments within their zone")


def check_conservation(assign, demand, unserved) -> Check:
    seated = assign.groupby(["level", "year"])["pupils"].sum()
    need = demand.groupby(["level", "year"])["pupils"].sum()
    lost = unserved.groupby(["level", "year"])["unserved"].sum()
    diff = (need - seated.reindex(need.index, fill_value=0) - lost.reindex(need.index, fill_value=0)).abs()
    per_unit = assign.groupby(["unit_id", "level", "year"])["pupils"].sum()
    over = per_unit - demand.set_index(["unit_id", "level", "year"])["pupils"].reindex(per_unit.index)
    ok = (diff < 1e-3 * need.clip(lower=1)).all() and (over.fillna(np.inf) <= TOL).all()
    return Check("conservation", ok, "demand = seated + unserved for every level and year; no unit over-assigned"
                 if ok else f"largest imbalance {diff.max():,.1f} pupils; {(over > TOL).sum()} units over-assigned")


def verify_run(run) -> list[Check]:
    """Every check of the module docstring on a run folder (a path, or a :class:`capacity.io.RunFolder`).

    Raises
    ------
    DataError
        Not a run folder, or one of its tables is unreadable (file, column and line named).
    """
    from capacity.errors import DataError
    from capacity.io.run import city_of, read_run
    from capacity.verify_special import check_service_zone, check_special

    folder = run if hasattr(run, "plan") else read_run(run)
    if folder.unit_demand is None:
        raise DataError("run folder lacks unit_demand.csv (needed to re-check the pupils seated)",
                        path=folder.folder / "unit_demand.csv")
    scen, plan, assign, demand = folder.scenario, folder.plan, folder.assignment, folder.unit_demand
    city = city_of(scen)
    return [check_values(plan, assign, scen, city, folder.folder),
            check_counts(plan, scen), check_opening(plan, scen, city.candidate_sites),
            check_land(plan, city), check_budget(plan, scen), check_capacity(plan, assign, city),
            check_shrinking(plan, assign, scen, city), check_conversions(plan, assign, scen, city),
            check_distance(assign, city, scen), check_zone(assign, city, scen),
            Check("service zone", *check_service_zone(assign, city)),
            Check("special", *check_special(plan, scen, city, folder.folder)),
            check_conservation(assign, demand, folder.zone_balance)]
