"""Seats needed per demand unit for each demographic draw (pure).

A draw's school-age children per zone, level and year come from
:func:`capacity.demography.draws.project_draws`; the same steps as
:func:`capacity.demand.run_demand` then turn them into seats needed
(:func:`~capacity.demand.seats.zone_demand`), spread them over demand units
(:func:`~capacity.demand.spatial.spatial_demand`) and keep the plan's levels
and years (:func:`capacity.optimize.translate.plan_demand`). With zero deviations a
draw reproduces the projection's own variant exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity.demand.seats import level_bands, zone_demand
from capacity.demand.spatial import spatial_demand
from capacity.demography.draws import draw_group_table
from capacity.errors import DataError


def draw_unit_demand(city, scenario, basis, seeds, years, draw_ids=None) -> dict:
    """Seats needed per unit, level and year of each draw.

    Parameters
    ----------
    city : CityData
    scenario : Scenario
        Uses ``demand`` (bands, targets) and ``plan.levels``.
    basis : DrawBasis
        From the scenario's projection (``ProjectionResult.basis``).
    seeds : sequence of SeedSequence
        One per draw.
    years : sequence of int
        Years to keep [year].
    draw_ids : sequence of int, optional
        Labels of the draws (default 0..D−1).

    Returns
    -------
    dict of int to DataFrame
        ``draw → unit_id, zone_id, level, year, pupils`` (pupils: seats needed).
    """
    from capacity.optimize.translate import plan_demand

    bands = level_bands(city.standards, scenario.demand)
    bands = {lv: b for lv, b in bands.items() if lv in scenario.plan.levels}
    groups = draw_group_table(basis, seeds, bands, draw_ids)
    groups = groups[groups["year"].isin(list(years))].rename(columns={"group": "level"})
    out = {}
    for draw, sa in groups.groupby("draw", sort=True):
        zt = zone_demand(sa[["zone_id", "year", "level", "persons"]].reset_index(drop=True),
                         city.standards, scenario.demand, city.schools)
        units = spatial_demand(zt, city.demand_units)
        out[int(draw)] = plan_demand(units, years, scenario.plan.levels)
    return out


def demand_matrices(problem, unit_demand: pd.DataFrame) -> dict:
    """Unit × year demand arrays aligned with ``problem``'s units, per level [pupils].

    Raises
    ------
    DataError
        A draw puts pupils on a unit the problem was built without (a zone
        with no demand at all in the projection that built it).
    """
    from capacity.optimize.geo import unit_demand_matrix

    years = [int(y) for y in problem.years]
    out = {}
    for lv in problem.levels:
        wide = unit_demand_matrix(unit_demand, lv.name, years)
        extra = wide.index.difference(pd.Index(lv.units.ids))
        if len(extra) and float(wide.loc[extra].to_numpy().sum()) > 0:
            raise DataError(f"{lv.name}: a draw has demand on units {list(extra[:5])} that have none "
                            "in the projection the plan was built on", path="demand_units.gpkg")
        out[lv.name] = wide.reindex(lv.units.ids).fillna(0.0).to_numpy(float)
    return out


def with_demand(problem, matrices: dict):
    """``problem`` with each level's unit demand replaced by ``matrices[level]`` (a new object)."""
    import dataclasses

    levels = []
    for lv in problem.levels:
        d = np.asarray(matrices[lv.name], dtype=float)
        units = dataclasses.replace(lv.units, demand=d, distance_weight=None)
        levels.append(dataclasses.replace(lv, units=units))
    return dataclasses.replace(problem, levels=tuple(levels))
