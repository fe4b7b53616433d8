"""A population raster (persons per cell, e.g. WorldPop) aggregated to demand units.

Rule
----
1. Read band 1; cells equal to the raster's nodata value, NaN, or masked are
   skipped. A negative count is an error.
2. Each raster cell belongs to the zone that contains its **centre**
   (the zones are burnt onto the raster's own grid, so this is exact for
   the grid and costs one pass, whatever the raster's CRS).
3. Cell centres are taken to the city's metric CRS and binned on a square
   grid of ``cell_m`` metres (origin 0, 0). One demand unit per zone and
   grid square holding people: its point is the population-weighted mean of
   its cells' centres (inside the zone for any convex part), its population
   their sum.
4. Units are rounded to whole persons by largest remainder within each
   zone, so every zone's total is kept to the nearest person; the report
   gives the raster total, what fell outside every zone, and the rounding.
5. ``urban`` is an **estimate**: a unit is urban when its population over
   the grid square's area is at least ``urban_density_per_km2`` (default
   1,500 persons/km², the density threshold of an "urban centre" in the
   Degree of Urbanisation method, Eurostat/UN Statistical Commission 2020).

Why rasterio: it is the GDAL binding the geospatial Python stack builds on
(wheels with GDAL on PyPI for Linux, macOS and Windows), reads any GeoTIFF
with its CRS, transform and nodata, and burns polygons onto a grid
(:func:`rasterio.features.rasterize`) in C.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from capacity.errors import DataError

DEFAULT_URBAN_DENSITY_PER_KM2 = 1500.0


@dataclass(frozen=True)
class RasterAggregate:
    """Demand units made from a raster, and the totals that check them.

    Attributes
    ----------
    units : GeoDataFrame
        ``unit_id, zone_id, urban, population, cell_m, provenance``, points in the metric CRS.
    raster_total : float
        Persons in all valid raster cells [persons].
    outside_total : float
        Persons in cells whose centre lies in no zone (not in any unit) [persons].
    rounding : float
        Written total minus the unrounded total inside the zones [persons].
    nodata_cells : int
        Cells skipped as nodata.
    """

    units: object
    raster_total: float
    outside_total: float
    rounding: float
    nodata_cells: int

    def describe(self) -> str:
        written = float(self.units["population"].sum())
        return (f"{len(self.units)} demand units, {written:,.0f} persons "
                f"(raster {self.raster_total:,.1f}; outside the zones {self.outside_total:,.1f}; "
                f"rounding {self.rounding:+.1f}; nodata cells {self.nodata_cells})")


def largest_remainder(values, groups) -> np.ndarray:
    """Round ``values`` to integers keeping each group's total at its rounded sum.

    Parameters
    ----------
    values : array_like of float
        Non-negative amounts [persons].
    groups : array_like
        Group label of each value (e.g. its zone).

    Returns
    -------
    ndarray of float
        Whole numbers; per group they sum to ``round(sum(values))``.
    """
    values = np.asarray(values, dtype=float)
    floor = np.floor(values)
    frac = values - floor
    frame = pd.DataFrame({"g": np.asarray(groups), "frac": frac, "floor": floor, "v": values})
    need = (frame.groupby("g")["v"].sum().round() - frame.groupby("g")["floor"].sum()).astype(int)
    order = frame.sort_values(["g", "frac"], ascending=[True, False], kind="stable")
    rank = order.groupby("g").cumcount()
    bump = rank.to_numpy() < need.reindex(order["g"]).to_numpy()
    out = floor.copy()
    out[order.index.to_numpy()[bump]] += 1.0
    return out


def aggregate_population(path, zones, cell_m: float, metric_crs, raster_crs=None,
                         urban_density_per_km2: float = DEFAULT_URBAN_DENSITY_PER_KM2,
                         provenance: str = "imported"):
    """Aggregate a population GeoTIFF to demand units of ``cell_m`` inside each zone.

    Parameters
    ----------
    path : str or Path
        GeoTIFF (or any raster GDAL reads) of persons per cell.
    zones : GeoDataFrame
        ``zone_id`` and polygons, in any CRS.
    cell_m : float
        Side of the aggregation grid [m], in ``metric_crs``.
    metric_crs : str or pyproj.CRS
        Projected CRS in metres of the output points.
    raster_crs : str, optional
        The raster's CRS when the file declares none.
    urban_density_per_km2 : float
        Density at or above which a unit is urban [persons / km²].
    provenance : str
        ``provenance`` of the units.

    Returns
    -------
    RasterAggregate

    Raises
    ------
    DataError
        Unreadable file, no CRS, negative counts, or no people inside the zones.
    """
    import geopandas as gpd
    import rasterio
    from rasterio.features import rasterize

    from capacity.geo.crs import transform_xy

    path = Path(path)
    name = path.name
    if not cell_m or cell_m <= 0:
        raise DataError(f"cell_m must be a positive number of metres, got {cell_m!r}", path=name)
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise DataError(f"cannot be read as a raster: {exc}", path=name) from None
    with src:
        crs = src.crs if src.crs is not None else raster_crs
        if crs is None:
            raise DataError("the raster declares no CRS; give one with demand_units.crs", path=name)
        band = src.read(1, masked=True).astype(float)
        transform = src.transform
        zones_r = zones.to_crs(crs)
    values = np.ma.filled(band, np.nan)
    nodata = ~np.isfinite(values)
    if np.any(values[~nodata] < 0):
        rows, cols = np.nonzero((values < 0) & ~nodata)
        raise DataError(f"negative persons per cell at (row, col) {list(zip(rows[:3], cols[:3]))}; "
                        "set the raster's nodata value if these mark missing cells", path=name)
    zone_idx = rasterize(((g, i + 1) for i, g in enumerate(zones_r.geometry.values)),
                         out_shape=values.shape, transform=transform, fill=0, dtype="int32")
    valid = ~nodata
    raster_total = float(values[valid].sum())
    inside = valid & (zone_idx > 0) & (values > 0)
    outside_total = float(values[valid & (zone_idx == 0)].sum())
    rows, cols = np.nonzero(inside)
    if rows.size == 0:
        raise DataError("no persons in any cell inside the zones (wrong CRS, or the raster covers "
                        "another area?)", path=name)
    c, r = cols + 0.5, rows + 0.5  # cell centres through the affine transform
    cx = transform.c + transform.a * c + transform.b * r
    cy = transform.f + transform.d * c + transform.e * r
    x, y = transform_xy(cx, cy, crs, metric_crs)
    persons = values[rows, cols]
    zone_ids = zones["zone_id"].astype(str).to_numpy()[zone_idx[rows, cols] - 1]
    frame = pd.DataFrame({"zone_id": zone_ids, "gx": np.floor(x / cell_m).astype(np.int64),
                          "gy": np.floor(y / cell_m).astype(np.int64),
                          "p": persons, "px": persons * x, "py": persons * y})
    agg = frame.groupby(["zone_id", "gx", "gy"], sort=True)[["p", "px", "py"]].sum().reset_index()
    population = largest_remainder(agg["p"].to_numpy(), agg["zone_id"].to_numpy())
    keep = population > 0
    agg, population = agg[keep].reset_index(drop=True), population[keep]
    density = population / (cell_m * cell_m / 1e6)
    units = gpd.GeoDataFrame({
        "unit_id": agg["zone_id"] + "_" + agg["gx"].astype(str) + "_" + agg["gy"].astype(str),
        "zone_id": agg["zone_id"],
        "urban": density >= urban_density_per_km2,
        "population": population,
        "cell_m": float(cell_m),
        "provenance": provenance,
        "urban_provenance": "estimate",
    }, geometry=gpd.points_from_xy(agg["px"] / agg["p"], agg["py"] / agg["p"]), crs=metric_crs)
    rounding = float(population.sum() - frame["p"].sum())
    return RasterAggregate(units=units, raster_total=raster_total, outside_total=outside_total,
                           rounding=rounding, nodata_cells=int(nodata.sum()))
