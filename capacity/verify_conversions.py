"""Verification of conversions from a run's files alone (issue 13, item 2; part of :mod:`capacity.verify`).

A ``convert`` row of ``plan.csv`` whose ``convert_to`` is a level is a school
that becomes a school of that level on the same place: the plan must have a
``new`` row of that level with the same ``site_id`` (its *target row*),
started no earlier than the conversion year; no pupil of the old level sits
there from the conversion year, none of the new level before its opening year
(``ready_year``), and the scenario must allow that conversion
(``[plan] level_conversions``). A ``convert_to`` of nursery places (托育) is
checked against the credit the model may count: per zone, the places
converted (seats × ``nursery_places_per_seat``) against the unmet need
recomputed from the data folder's population and the scenario's rates
(:func:`capacity.optimize.conversions.nursery_need`); every conversion must add
credited places (otherwise a closure would have been cheaper), so in each zone
the places minus the smallest conversion's stay below the need.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["NURSERY_KEYS", "check_conversions", "conversion_summary", "conversion_targets", "nursery_credit"]

TOL = 1e-4  # [places]


def conversion_targets(plan: pd.DataFrame) -> np.ndarray:
    """Rows of ``plan`` that are the new school a level conversion makes (bool per row)."""
    if "convert_to" not in plan or not len(plan):
        return np.zeros(len(plan), dtype=bool)
    conv = plan[plan["action"] == "convert"]
    pairs = set(zip(conv["site_id"].astype(str), conv["convert_to"].astype(str)))
    key = list(zip(plan["site_id"].astype(str), plan["level"].astype(str)))
    return np.array([a == "new" and k in pairs for a, k in zip(plan["action"], key)], dtype=bool)


def nursery_credit(plan: pd.DataFrame, scen: dict, city) -> pd.DataFrame:
    """Places converted to nursery places and the credit they may earn, per zone.

    Returns
    -------
    DataFrame
        ``zone_id, conversions, places, smallest_places, need_places, credited_places`` [places].
    """
    from capacity.optimize.conversions import nursery_need, zone_population
    from capacity.optimize.geo import is_nursery

    p = scen["plan"]
    rows = plan[(plan["action"] == "convert") & plan.get("convert_to", pd.Series(index=plan.index)).map(is_nursery)]
    places = -rows["seats"].astype(float) * float(p.get("nursery_places_per_seat", 2.0 / 3.0))
    per = (rows.assign(places=places).groupby("zone_id")["places"]
           .agg(conversions="size", places="sum", smallest_places="min").reset_index())
    need = nursery_need(zone_population(city.population, city.base_year),
                        float(p.get("nursery_places_per_1000_people", 4.5)),
                        float(p.get("nursery_existing_places_per_1000_people", 0.0)))
    per["need_places"] = per["zone_id"].astype(str).map(need.rename(index=str)).fillna(0.0).to_numpy()
    per["credited_places"] = np.minimum(per["places"], per["need_places"])
    return per


def check_conversions(plan: pd.DataFrame, assign: pd.DataFrame, scen: dict, city):
    """The conversion checks of the module docstring, as one :class:`capacity.verify.Check`."""
    from capacity.optimize.geo import is_nursery
    from capacity.verify import Check

    p = scen["plan"]
    bad = []
    conv = plan[plan["action"] == "convert"]
    to = conv["convert_to"].astype(str) if "convert_to" in conv else pd.Series("", index=conv.index)
    levels = set(city.standards)
    lv = conv[to.isin(levels)].assign(target=to[to.isin(levels)])
    allowed = {(s, t) for s, t in (p.get("level_conversions") or {}).items()}
    no = [(s, t) for s, t in zip(lv["level"], lv["target"]) if (s, t) not in allowed]
    if no:
        bad.append(f"{len(no)} level conversions the scenario does not allow (level_conversions): {sorted(set(no))}")
    is_target = conversion_targets(plan)
    tgt = plan[is_target][["site_id", "level", "open_year", "ready_year"]].rename(
        columns={"level": "target", "open_year": "start_t", "ready_year": "ready_t"})
    m = lv.merge(tgt, on=["site_id", "target"], how="left")
    if m["start_t"].isna().any():
        bad.append(f"{int(m['start_t'].isna().sum())} level conversions without a new school of the target level "
                   "on the same place")
    if (m["start_t"] < m["open_year"]).any():
        bad.append(f"{int((m['start_t'] < m['open_year']).sum())} converted schools started before the "
                   "school they replace closes")
    existing = set(city.schools["school_id"].astype(str))
    squat = plan[(plan["action"] == "new") & plan["site_id"].astype(str).isin(existing) & ~is_target]
    if len(squat):
        bad.append(f"{len(squat)} new schools on an existing school's place without a conversion")
    a = assign.merge(m[["site_id", "level", "open_year", "target", "ready_t"]].rename(columns={"site_id": "school_id"}),
                     on="school_id", how="inner", suffixes=("", "_conv"))
    old = a[(a["level"] == a["level_conv"]) & (a["year"] >= a["open_year"])]
    if len(old):
        bad.append(f"{len(old)} assignments of the old level to converted schools from the conversion year")
    young = a[(a["level"] == a["target"]) & (a["year"] < a["ready_t"])]
    if len(young):
        bad.append(f"{len(young)} assignments to converted schools before they open as the new level")
    detail = f"{len(lv)} level conversions"
    nursery = conv[to.map(is_nursery)]
    if len(nursery) and float(p.get("nursery_place_cost_cny", 0.0)) > 0:
        per = nursery_credit(plan, scen, city)
        idle = per[per["places"] - per["smallest_places"] >= per["need_places"] - TOL]
        if len(idle):
            bad.append(f"zone(s) {sorted(idle['zone_id'].astype(str))}: a conversion to nursery places beyond the "
                       "unmet need (no credit; a closure would cost less)")
        detail += (f", {len(nursery)} conversions to nursery places: {per['places'].sum():,.0f} places, "
                   f"{per['credited_places'].sum():,.0f} credited (≤ the unmet need of their zones, "
                   f"{per['need_places'].sum():,.0f})")
    elif len(nursery):
        detail += f", {len(nursery)} conversions to nursery places (no credit in the scenario)"
    return Check("conversions", not bad, "; ".join(bad) or detail + " consistent")


NURSERY_KEYS = ("nursery_places_per_1000_people", "nursery_existing_places_per_1000_people", "nursery_places_per_seat",
                "nursery_place_cost_cny")


def conversion_summary(plan: pd.DataFrame, plan_params: dict, city) -> dict:
    """What the plan's conversions make, for ``summary.json`` and ``capacity compare``.

    Parameters
    ----------
    plan : DataFrame
        ``plan.csv``.
    plan_params : dict
        The scenario's ``[plan]`` (at least :data:`NURSERY_KEYS`, defaults otherwise).
    city : CityData

    Returns
    -------
    dict
        ``by_level``: per level, ``converted_to`` (use → schools), ``converted_in`` (schools of
        the level made from another level's school) and ``seats_in`` [pupils]; ``nursery``:
        ``conversions``, ``places``, ``credited_places`` and ``need_places`` [places] of the zones
        with a conversion to nursery places (empty when none).
    """
    from capacity.optimize.geo import is_nursery

    out = {"by_level": {}, "nursery": {}}
    if plan.empty or "convert_to" not in plan:
        return out
    conv = plan[plan["action"] == "convert"]
    target = conversion_targets(plan)
    for level in sorted(set(conv["level"]) | set(plan.loc[target, "level"])):
        mine = conv[conv["level"] == level]
        into = plan[target & (plan["level"] == level).to_numpy()]
        out["by_level"][level] = {
            "converted_to": {("nursery" if is_nursery(k) else str(k)): int(v)
                             for k, v in mine["convert_to"].astype(str).value_counts().items()},
            "converted_in": int(len(into)), "seats_in": float(into["seats"].sum())}
    if conv["convert_to"].map(is_nursery).any():
        per = nursery_credit(plan, {"plan": dict(plan_params)}, city)
        out["nursery"] = {"conversions": int(per["conversions"].sum()), "places": float(per["places"].sum()),
                          "credited_places": float(per["credited_places"].sum()),
                          "need_places": float(per["need_places"].sum())}
    return out
