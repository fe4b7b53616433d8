"""Conversions in a plan table (issue 13): which rows they are and what they make (pure, no I/O).

``plan.csv`` names a conversion twice when it makes a school of another level: the
school's ``convert`` row (``convert_to`` = the new level) and a ``new`` row of that level
with the same ``site_id`` (:func:`conversion_targets`). A conversion to nursery places (托育)
supplies seats × ``nursery_places_per_seat`` places to its zone, credited up to the zone's
unmet need (:func:`nursery_credit`). Used by :mod:`capacity.results` (``summary.json``),
the schedule, rollover and :mod:`capacity.verify_conversions`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["NURSERY_KEYS", "conversion_summary", "conversion_targets", "nursery_credit"]


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
