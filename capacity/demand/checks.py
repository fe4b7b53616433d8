"""Checks of existing capacity against the plan's targets, per zone and year.

Each row of the result is one check: ``check, zone_id, year, value,
target, met`` (``zone_id`` ``city`` for the city as a whole):

* ``preschool_gross_enrolment`` (T5): kindergarten seats / children of the
  kindergarten band ≥ its enrolment target;
* ``compulsory_consolidation`` (T7): primary + middle seats / children of
  both bands ≥ the primary target;
* ``high_school_gross_enrolment`` (T10): high-school-stage places / children
  of the band ≥ the high target, where places = general seats /
  ``general_share`` (vocational places assumed in the same proportion);
* ``inclusive_kindergarten_share`` (T6): public/inclusive kindergarten
  seats / all kindergarten seats ≥ ``public_share``, only if the schools
  layer has a boolean ``inclusive`` (or ``public``) column;
* ``special_education_school`` (T9): special-education schools in a zone
  of more than ``special_threshold`` people ≥ 1.
"""

from __future__ import annotations

import pandas as pd

from capacity.demand.params import DemandParams

COLUMNS = ["check", "zone_id", "year", "value", "target", "met"]


def _ratio_check(name, demand, levels, target, divide=1.0):
    d = demand[demand.level.isin(levels)]
    g = d.groupby(["zone_id", "year"], as_index=False)[["seats_existing", "persons"]].sum()
    city = g.groupby("year", as_index=False)[["seats_existing", "persons"]].sum().assign(zone_id="city")
    g = pd.concat([g, city], ignore_index=True)
    value = g.seats_existing / divide / g.persons.where(g.persons > 0)
    return pd.DataFrame({"check": name, "zone_id": g.zone_id, "year": g.year,
                         "value": value, "target": target, "met": value >= target - 1e-12})


def plan_checks(demand, schools, zone_population, standards, params: DemandParams) -> pd.DataFrame:
    """Tidy table of plan checks.

    Parameters
    ----------
    demand : DataFrame
        From :func:`~capacity.demand.seats.zone_demand`.
    schools : DataFrame
        Existing schools (``zone_id, level, seats``, optional ``inclusive``).
    zone_population : DataFrame
        ``zone_id, year, persons`` totals [persons].
    standards : Standards
    params : DemandParams

    Returns
    -------
    DataFrame
        ``check, zone_id, year, value, target, met``.
    """
    def target(level):
        return params.enrolment_targets.get(level, standards[level].enrolment_target)

    parts = []
    if "kindergarten" in params.levels:
        parts.append(_ratio_check("preschool_gross_enrolment", demand, ["kindergarten"], target("kindergarten")))
    if {"primary", "middle"} <= set(params.levels):
        parts.append(_ratio_check("compulsory_consolidation", demand, ["primary", "middle"], target("primary")))
    if "high" in params.levels:
        parts.append(_ratio_check("high_school_gross_enrolment", demand, ["high"], target("high"),
                                  divide=params.general_share or 1.0))
    s = pd.DataFrame(schools.drop(columns="geometry", errors="ignore"))
    flag = next((c for c in ("inclusive", "public") if c in s.columns), None)
    years = sorted(demand.year.unique())
    if flag is not None:
        k = s[s.level == "kindergarten"]
        g = k.assign(inc=k.seats * k[flag].astype(bool)).groupby("zone_id")[["inc", "seats"]].sum()
        g.loc["city"] = g.sum()
        value = g.inc / g.seats.where(g.seats > 0)
        parts.append(pd.DataFrame([{"check": "inclusive_kindergarten_share", "zone_id": z, "year": y,
                                    "value": v, "target": params.public_share,
                                    "met": v >= params.public_share} for z, v in value.items() for y in years]))
    special = s[s.level == "special"].groupby("zone_id").size()
    big = zone_population[zone_population.persons > params.special_threshold]
    parts.append(pd.DataFrame({
        "check": "special_education_school", "zone_id": big.zone_id.to_numpy(), "year": big.year.to_numpy(),
        "value": big.zone_id.map(special).fillna(0).to_numpy(float), "target": 1.0,
        "met": big.zone_id.map(special).fillna(0).to_numpy() >= 1}))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)[COLUMNS]
    return out.sort_values(["check", "zone_id", "year"], kind="stable").reset_index(drop=True)
