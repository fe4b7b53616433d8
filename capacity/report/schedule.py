"""The phasing schedule: schools, seats and cost per build year, zone and level (pure).

One row per ``year × zone × level`` with at least one new, expanded, closed or converted school:

=============  ======================================================
column         meaning
=============  ======================================================
year           build (opening) year [year]
zone_id        the zone's id
name_local     the zone's name in the local language (e.g. 五华区)
name_en        the zone's name in English
level          school level
new            new schools opening [schools] (not counting conversions from another level)
converted_in   schools of the level made by converting another level's school [schools]
expand         existing schools expanded [schools]
schools        new + expand + converted_in [schools]
close          existing schools closing that year (their seats leave) [schools]
convert        existing schools converted to another use (nursery places) or level that year [schools]
seats          seats added, net of the seats closures and conversions take away [pupils]
cost_cny       construction cost [CNY]
ready_year     first year the seats count (latest of the group) [year]
=============  ======================================================
"""

from __future__ import annotations

import pandas as pd

from capacity import ALL_LEVELS

COLUMNS = ["year", "zone_id", "name_local", "name_en", "level", "new", "expand", "schools",
           "seats", "cost_cny", "ready_year", "close", "convert", "converted_in"]
UNITS = {"seats": "pupils", "cost_cny": "CNY", "year": "year", "ready_year": "year"}


def _level_order(s: pd.Series) -> pd.Series:
    order = {lv: i for i, lv in enumerate(ALL_LEVELS)}
    return s.map(lambda v: order.get(v, len(order)))


def schedule_table(plan: pd.DataFrame, zones: pd.DataFrame) -> pd.DataFrame:
    """Phasing schedule of a plan.

    Parameters
    ----------
    plan : DataFrame
        ``plan.csv`` (``level, zone_id, action, seats, open_year, ready_year, cost_cny``).
    zones : DataFrame
        ``zone_id, name_local, name_en``.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`, sorted by year, zone, level.
    """
    if plan.empty:
        return pd.DataFrame(columns=COLUMNS)
    from capacity.plan_conversions import conversion_targets

    into = conversion_targets(plan)
    p = plan.assign(new=((plan["action"] == "new") & ~into).astype(int), converted_in=into.astype(int),
                    expand=(plan["action"] == "expand").astype(int),
                    close=(plan["action"] == "close").astype(int),
                    convert=(plan["action"] == "convert").astype(int))
    g = (p.groupby(["open_year", "zone_id", "level"], as_index=False)
         .agg(new=("new", "sum"), expand=("expand", "sum"), close=("close", "sum"), convert=("convert", "sum"),
              converted_in=("converted_in", "sum"), seats=("seats", "sum"),
              cost_cny=("cost_cny", "sum"), ready_year=("ready_year", "max"))
         .rename(columns={"open_year": "year"}))
    g["schools"] = g["new"] + g["expand"] + g["converted_in"]
    names = zones.set_index("zone_id")[["name_local", "name_en"]]
    g = g.join(names, on="zone_id")
    zone_order = {z: i for i, z in enumerate(zones["zone_id"])}
    g = g.sort_values(["year", "zone_id", "level"],
                      key=lambda s: (_level_order(s) if s.name == "level" else
                                     s.map(zone_order) if s.name == "zone_id" else s))
    out = g[COLUMNS].reset_index(drop=True)
    out.attrs["units"] = UNITS
    return out


def schedule_totals(schedule: pd.DataFrame) -> pd.DataFrame:
    """Totals per ``level × year`` and a grand total row (``level`` = ``all``)."""
    cols = ["new", "expand", "schools", "seats", "cost_cny"] + [c for c in ("close", "convert", "converted_in")
                                                                 if c in schedule.columns]
    if schedule.empty:
        return pd.DataFrame(columns=["level", "year"] + cols)
    g = schedule.groupby(["level", "year"], as_index=False)[cols].sum()
    g = g.sort_values(["level", "year"], key=lambda s: _level_order(s) if s.name == "level" else s)
    per_year = schedule.groupby("year", as_index=False)[cols].sum().assign(level="all")
    total = pd.DataFrame([{"level": "all", "year": "total", **schedule[cols].sum().to_dict()}])
    return pd.concat([g, per_year, total], ignore_index=True)[["level", "year"] + cols]
