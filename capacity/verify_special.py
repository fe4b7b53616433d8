"""Verification of the special-education rule (T9) and of zone-wide service, from a run's files.

Part of ``capacity verify`` (:func:`capacity.verify.verify_run`, which names each result);
like the rest of it, nothing here trusts the optimiser. Each check returns ``(ok, detail)``:

special       when the scenario plans the ``special`` level: every zone over
              ``demand.special_threshold`` people (in the data's base year, or in the
              run's ``population.csv`` in the last build year) has a special-education
              school after the plan — existing, carried over (opening by the last build
              year) or new in ``plan.csv`` — and every new one stands in a zone that
              lacked one (:mod:`capacity.demand.special`)
service zone  pupils of a level whose standard serves its whole zone (``service_area =
              "zone"``) are assigned only to schools of their own zone
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from capacity.demand.special import DEFAULT_THRESHOLD, SPECIAL, required_zones, schools_by_zone, zone_totals


def plan_end_population(folder, year: int) -> pd.Series | None:
    """Population per zone in ``year`` from a run folder's ``population.csv`` (None without it) [persons]."""
    path = Path(folder) / "population.csv" if folder is not None else None
    if path is None or not path.is_file():
        return None
    pop = pd.read_csv(path, usecols=["zone_id", "year", "persons"], dtype={"zone_id": str})
    return zone_totals(pop, year)


def check_special(plan: pd.DataFrame, scen: dict, city, folder=None) -> tuple[bool, str]:
    """T9 per zone: a special-education school in every zone over the threshold after the plan.

    Parameters
    ----------
    plan : DataFrame
        ``plan.csv``.
    scen : dict
        ``scenario.json``.
    city : CityData
        The data folder the run used (schools, base-year population).
    folder : path, optional
        The run folder (its ``population.csv`` gives the plan-end population).
    """
    p = scen["plan"]
    if SPECIAL not in p.get("levels", ()):
        return True, "the scenario does not plan special-education schools"
    threshold = float((scen.get("demand") or {}).get("special_threshold", DEFAULT_THRESHOLD))
    end = int(max(p["build_years"]))
    pops = [city.base_population().rename(index=str)]
    projected = plan_end_population(folder, end)
    if projected is not None:
        pops.append(projected)
    required = required_zones(*pops, threshold=threshold)
    schools = pd.DataFrame(city.schools.drop(columns="geometry"))
    have = schools_by_zone(schools, plan, end)
    lacking = [z for z in required if have.get(z, 0) < 1]
    before = schools_by_zone(schools, None, end)
    new = plan[(plan["level"] == SPECIAL) & (plan["action"] == "new")]
    extra = sorted(set(new.loc[new["zone_id"].astype(str).map(lambda z: before.get(z, 0) >= 1), "zone_id"]
                       .astype(str)))
    twice = sorted(set(new.loc[new["zone_id"].astype(str).duplicated(), "zone_id"].astype(str)))
    bad = []
    if lacking:
        bad.append(f"zone(s) {lacking} over {threshold:,.0f} people have no special-education school after the plan")
    if extra or twice:
        bad.append(f"new special-education schools in zone(s) {sorted(set(extra) | set(twice))} that already "
                   "had one (the rule builds one per lacking zone)")
    return (not bad, "; ".join(bad) or
                  f"all {len(required)} zones over {threshold:,.0f} people have a special-education school "
            f"after the plan ({len(new)} new)")


def check_service_zone(assign: pd.DataFrame, city) -> tuple[bool, str]:
    """Assignments of levels serving their whole zone (``service_area = "zone"``) stay in their zone."""
    levels = [lv for lv in city.standards if getattr(city.standards[lv], "service_area", "distance") == "zone"]
    sel = assign[assign["level"].isin(levels)]
    if not levels or sel.empty:
        return True, "no level serves its whole zone" if not levels else f"no assignments of {levels}"
    unit_zone = city.demand_units.set_index("unit_id")["zone_id"].astype(str)
    fac_zone = pd.concat([city.schools.set_index("school_id")["zone_id"],
                          city.candidate_sites.set_index("site_id")["zone_id"]]).astype(str)
    fac_zone = fac_zone[~fac_zone.index.duplicated()]
    bad = sel[sel["unit_id"].map(unit_zone).to_numpy() != sel["school_id"].map(fac_zone).to_numpy()]
    return (bad.empty, f"{len(bad)} assignments of {levels} cross a zone border" if len(bad)
            else f"all {len(sel):,} assignments of {levels} within their zone")
