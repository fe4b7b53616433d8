"""Checks of a scenario's conversion keys (issue 13, item 2): level conversions and nursery places.

Called by :class:`capacity.scenario.PlanParams` on construction; each message names its
key (the scenario loader adds the file). The model of these keys is
:mod:`capacity.optimize.conversions`.
"""

from __future__ import annotations

from capacity import LEVELS
from capacity.config import did_you_mean

__all__ = ["check_conversion_keys", "conversion_cycle"]

NURSERY_KEYS = ("nursery_places_per_1000_people", "nursery_existing_places_per_1000_people",
                "nursery_places_per_seat", "nursery_place_cost_cny")


def conversion_cycle(pairs: dict) -> list:
    """The levels of a cycle in ``{source: target}`` (each level converts to at most one), or ``[]``."""
    for start in pairs:
        seen, level = [], start
        while level in pairs:
            if level in seen:
                return seen[seen.index(level):]
            seen.append(level)
            level = pairs[level]
    return []


def check_conversion_keys(plan) -> None:
    """Raise ``ValueError`` naming the key of a bad ``level_conversions``, cost or nursery value.

    A source level must be a level, closable (``closure_levels``) and have a cost per seat;
    the target another level; no cycle; nursery values ≥ 0.
    """
    for key in ("level_conversions", "level_conversion_cost_cny_per_seat"):
        for level, value in getattr(plan, key).items():
            if level not in LEVELS:
                raise ValueError(f"{key}: {level!r} is not a level" + did_you_mean(level, LEVELS))
            if not isinstance(value, str) and value < 0:
                raise ValueError(f"{key}: {level} = {value} must be ≥ 0")
    for source, target in plan.level_conversions.items():
        if target not in LEVELS or target == source:
            raise ValueError(f"level_conversions: {source} = {target!r} is not another level"
                             + did_you_mean(str(target), LEVELS))
        if source not in plan.closure_levels:
            raise ValueError(f"level_conversions: {source} converts closed schools, so closure_levels must "
                             f"list {source!r}")
        if source not in plan.level_conversion_cost_cny_per_seat:
            raise ValueError(f"level_conversion_cost_cny_per_seat: {source} converts (level_conversions) but "
                             "has no cost per seat; state it, e.g. 5000.0")
    cycle = conversion_cycle(dict(plan.level_conversions))
    if cycle:
        raise ValueError(f"level_conversions: {' → '.join(cycle + cycle[:1])} is a cycle")
    for key in NURSERY_KEYS:
        if getattr(plan, key) < 0:
            raise ValueError(f"{key}: must be ≥ 0")
