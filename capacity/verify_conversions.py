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

import pandas as pd

from capacity.plan_conversions import conversion_targets, nursery_credit

__all__ = ["conversion_checks"]

TOL = 1e-4  # [places]


def conversion_checks(plan: pd.DataFrame, assign: pd.DataFrame, scen: dict, city) -> tuple:
    """The conversion checks of the module docstring: ``(ok, detail)`` (:func:`capacity.verify.check_conversions`)."""
    from capacity.optimize.geo import is_nursery

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
    return not bad, "; ".join(bad) or detail + " consistent"
