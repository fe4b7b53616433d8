"""Zone demand spread over demand units.

Each zone's pupils of a level are shared among its demand units in
proportion to a weight: the column ``weight_<level>`` if the units have
one, else ``population``. Zone totals are preserved exactly (up to
floating point): Σ_units pupils = zone pupils.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity.errors import DataError


def unit_weights(units, level) -> pd.Series:
    """Share of its zone's demand each unit carries for ``level`` [share]."""
    col = f"weight_{level}" if f"weight_{level}" in units.columns else "population"
    w = units[col].astype(float)
    total = w.groupby(units.zone_id).transform("sum")
    return (w / total.where(total > 0)).rename("share")


def spatial_demand(zone_table, units) -> pd.DataFrame:
    """Pupils per demand unit, level and year.

    Parameters
    ----------
    zone_table : DataFrame
        ``zone_id, year, level, pupils`` and optionally ``seats_needed``.
    units : DataFrame or GeoDataFrame
        Demand units: ``unit_id, zone_id, population`` (and optional
        ``weight_<level>`` columns).

    Returns
    -------
    DataFrame
        ``unit_id, zone_id, level, year, pupils`` (+ ``seats_needed`` if the
        zone table has it, unrounded).

    Raises
    ------
    DataError
        If a zone has demand but no demand unit with a positive weight.
    """
    u = pd.DataFrame(units.drop(columns="geometry", errors="ignore"))
    value_cols = [c for c in ("pupils", "seats_needed") if c in zone_table.columns]
    parts = []
    for level, zt in zone_table.groupby("level", sort=False):
        w = u[["unit_id", "zone_id"]].assign(share=unit_weights(u, level).to_numpy())
        w = w[w.share.notna() & (w.share > 0)]
        missing = set(zt.loc[zt.pupils > 0, "zone_id"]) - set(w.zone_id)
        if missing:
            raise DataError(f"zones {sorted(missing)} have {level} demand but no demand unit "
                            "with positive weight", path="demand_units.gpkg", column="zone_id")
        m = zt[["zone_id", "year", "level"] + value_cols].merge(w, on="zone_id", how="inner")
        for c in value_cols:
            m[c] = m[c] * m.share
        parts.append(m.drop(columns="share"))
    f = pd.concat(parts, ignore_index=True)
    f = f[["unit_id", "zone_id", "level", "year"] + value_cols]
    return f.sort_values(["level", "year", "unit_id"], kind="stable").reset_index(drop=True)
