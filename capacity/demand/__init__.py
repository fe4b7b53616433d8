"""Seats needed: school-age population → pupils → seats, deficits, checks.

:func:`run_demand` is the orchestrator; the steps are plain functions in
:mod:`~capacity.demand.seats`, :mod:`~capacity.demand.spatial` and
:mod:`~capacity.demand.targets`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from capacity.demand.targets import plan_checks
from capacity.demand.params import DemandParams
from capacity.demand.seats import existing_seats, level_bands, school_age, zone_demand
from capacity.demand.spatial import spatial_demand


@dataclass(frozen=True)
class DemandResult:
    """Seat demand of one projection.

    Attributes
    ----------
    bands : dict
        Age band per level used [years].
    school_age : DataFrame
        ``zone_id, year, level, persons`` for the projection's variant.
    demand : DataFrame
        ``zone_id, year, level, pupils, seats_existing, seats_needed,
        deficit, persons, surplus, schools_needed``.
    checks : DataFrame
        ``check, zone_id, year, value, target, met``.
    school_age_band : DataFrame
        ``zone_id`` (incl. ``city``), ``year, level, band, persons`` with
        ``band`` ``low`` / ``medium`` / ``high`` (variants) and, with draws,
        ``q0.05`` etc. (quantiles of the draws).
    units : DataFrame or None
        Unit-level demand (:func:`spatial_demand`) when asked for.
    """

    bands: dict
    school_age: pd.DataFrame
    demand: pd.DataFrame
    checks: pd.DataFrame
    school_age_band: pd.DataFrame
    units: pd.DataFrame | None = None


def _band_table(projection, bands):
    sa = school_age(projection.variants, bands)
    city = sa.groupby(["variant", "year", "level"], as_index=False).persons.sum().assign(zone_id="city")
    sa = pd.concat([sa, city], ignore_index=True).rename(columns={"variant": "band"})
    parts = [sa[["zone_id", "year", "level", "band", "persons"]]]
    st = projection.stochastic
    if st is not None:
        st = st[st.group.isin(list(bands))]
        parts.append(pd.DataFrame({"zone_id": st.zone_id, "year": st.year, "level": st.group,
                                   "band": "q" + st["quantile"].map(lambda q: f"{q:g}"),
                                   "persons": st.persons}))
    return pd.concat(parts, ignore_index=True)


def run_demand(city, projection, params: DemandParams | None = None, spatial: bool = False) -> DemandResult:
    """Seats needed per zone, level and year for a projection.

    Parameters
    ----------
    city : CityData
        Uses ``standards``, ``schools`` and, with ``spatial``, ``demand_units``.
    projection : ProjectionResult
        From :func:`capacity.demography.run_projection`.
    params : DemandParams, optional
    spatial : bool
        Also spread the demand over demand units.

    Returns
    -------
    DemandResult
    """
    params = params or DemandParams()
    bands = level_bands(city.standards, params)
    sa = school_age(projection.population, bands)
    demand = zone_demand(sa, city.standards, params, city.schools)
    totals = projection.population.groupby(["zone_id", "year"], as_index=False).persons.sum()
    checks = plan_checks(demand, city.schools, totals, city.standards, params)
    units = spatial_demand(demand, city.demand_units) if spatial else None
    return DemandResult(bands=bands, school_age=sa, demand=demand, checks=checks,
                        school_age_band=_band_table(projection, bands), units=units)


__all__ = ["DemandParams", "DemandResult", "existing_seats", "level_bands", "plan_checks",
           "run_demand", "school_age", "spatial_demand", "zone_demand"]
