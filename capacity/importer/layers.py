"""The contract's layers built from a bureau's rows (rules in :mod:`capacity.importer.build`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity.errors import DataError
from capacity.importer.build import (SITE_LEVELS, as_number, as_text, column, locate_zones, map_levels,
                                     points, unique_ids)
from capacity.importer.read import RawTable
from capacity.importer.spec import LEVELS, Source


def _gdf(data: dict, geometry, crs):
    import geopandas as gpd

    return gpd.GeoDataFrame(data, geometry=np.asarray(geometry), crs=crs)


def _ids(raw, src, name, prefix):
    values, _, file_col = column(raw, src, name)
    if values is None:
        return np.array([f"{prefix}{r}" for r in raw.rows], dtype=object), "derived"
    ids = as_text(raw, values, file_col)
    unique_ids(raw, ids, file_col)
    return ids, None


def build_zones(raw: RawTable, src: Source, metric_crs):
    """``zones`` layer: ``zone_id, name_local, name_en, kind, geometry_note``, polygons in ``metric_crs``.

    ``name_local`` defaults to the id, ``name_en`` to ``name_local``, ``kind`` to
    ``county`` (assumption), ``geometry_note`` to the source file.
    """
    import shapely

    from capacity.geo.crs import parse_crs, transform_geometries

    frame = raw.frame
    values, _, file_col = column(raw, src, "zone_id")
    if values is None:
        raise DataError("no zone id: map the id column with zones.columns.zone_id = \"...\" "
                        f"(the file has {[c for c in frame.columns if c != 'geometry']})", path=raw.where)
    ids = as_text(raw, values, file_col)
    unique_ids(raw, ids, file_col)
    geom = frame.geometry.values
    bad = ~np.isin(shapely.get_type_id(geom), (3, 6))
    if bad.any():
        raw.fail("zones must be polygons", column="geometry", mask=bad)
    declared = parse_crs(src.crs) if src.crs is not None else parse_crs(frame.crs)
    geom = shapely.make_valid(transform_geometries(geom, declared, metric_crs))
    out = {"zone_id": ids}
    prov = {}
    for name, default in (("name_local", ids), ("name_en", None), ("kind", "county"),
                          ("geometry_note", f"imported from {raw.path.name}")):
        vals, origin, fc = column(raw, src, name)
        if vals is not None:
            out[name] = as_text(raw, vals, fc)
            if origin == "value":
                prov[name] = "assumption"
        else:
            out[name] = out["name_local"] if default is None else default
            prov[name] = "assumption"
    bad_kind = ~np.isin(np.asarray(out["kind"], dtype=object), ("county", "exclave"))
    if np.any(bad_kind):
        raw.fail("kind must be 'county' or 'exclave'", column=src.columns.get("kind", "kind"), mask=bad_kind)
    gdf = _gdf(out, geom, metric_crs)
    for name, p in prov.items():
        gdf[f"{name}_provenance"] = p
    return gdf


def _number_or_none(raw, src, name, integer=False):
    values, origin, file_col = column(raw, src, name)
    if values is None:
        return None, None
    return as_number(raw, values, file_col or f"values.{name}", integer), origin


def build_schools(raw: RawTable, src: Source, zones, standards, metric_crs):
    """``schools`` layer (one level per school; missing seats/classes/land estimated)."""
    pts, area = points(raw, src, metric_crs)
    ids, _ = _ids(raw, src, "school_id", "school-")
    levels, _ = map_levels(raw, src, LEVELS, single=True)
    level = np.array([lv[0] for lv in levels], dtype=object)
    zvals, _, zcol = column(raw, src, "zone_id")
    zone = locate_zones(raw, pts, zones, None if zvals is None else as_text(raw, zvals, zcol), zcol)
    names, _, ncol = column(raw, src, "name")
    out = {"school_id": ids, "level": level, "zone_id": zone,
           "name": ids if names is None else as_text(raw, names, ncol)}
    seats, seats_o = _number_or_none(raw, src, "seats")
    classes, classes_o = _number_or_none(raw, src, "classes")
    land, land_o = _number_or_none(raw, src, "land_m2")
    if seats is None and classes is None:
        raise DataError("schools need seats or classes: map schools.columns.seats (or classes)",
                        path=raw.where)
    size = np.array([standards[lv].class_size if lv in standards.levels else np.nan for lv in level])
    per_pupil = np.array([standards[lv].land_m2_per_pupil if lv in standards.levels else np.nan
                          for lv in level])
    prov = {}
    if classes is None or seats is None or (land is None and np.isnan(area).all()):
        lacking = np.isnan(size)
        if lacking.any():
            raw.fail("level without a standard (class size, land per pupil) to estimate the missing "
                     "seats/classes/land from; map those columns for these rows",
                     column=src.columns.get("level", "level"), mask=lacking)
    if seats is None:
        seats, prov["seats"] = classes * size, "estimate"
    if classes is None:
        classes, prov["classes"] = np.ceil(seats / size - 1e-9), "estimate"
    if land is None:
        if not np.isnan(area).any():
            land, prov["land_m2"] = area, "derived"
        else:
            land, prov["land_m2"] = np.where(np.isnan(area), seats * per_pupil, area), "estimate"
    out.update(seats=seats, classes=classes, land_m2=land, provenance="imported")
    out.update(_carried(raw, src))
    gdf = _gdf(out, pts, metric_crs)
    for name, origin in (("seats", seats_o), ("classes", classes_o), ("land_m2", land_o)):
        if name in prov or origin == "value":
            gdf[f"{name}_provenance"] = prov.get(name, "assumption")
    return gdf


def _carried(raw, src) -> dict:
    """Carried-over projects (``open_year``, ``added_seats``, ``added_year``), when mapped: empty
    cells are NaN (nothing carried over); a value that is not a non-negative number, or a year
    that is not whole, is an error naming the column and rows."""
    out = {}
    for name in ("open_year", "added_seats", "added_year"):
        values, _, file_col = column(raw, src, name)
        if values is None:
            continue
        empty = (values.isna() | (values.astype(str).str.strip() == "")).to_numpy()
        text = values.astype(str).str.replace(",", "", regex=False).str.strip()
        nums = pd.to_numeric(text.where(~empty, "nan"), errors="coerce").to_numpy(float)
        bad = ~empty & (~np.isfinite(nums) | (nums < 0) | ((name != "added_seats") & (nums != np.round(nums))))
        if bad.any():
            what = "a non-negative number" if name == "added_seats" else "a whole year"
            raw.fail(f"{sorted(set(values[bad].astype(str)))[:3]} is not {what}", column=file_col or f"values.{name}",
                     mask=bad)
        out[name] = np.where(empty, np.nan, nums)
    return out


def build_sites(raw: RawTable, src: Source, zones, base_year: int, metric_crs):
    """``candidate_sites`` layer; a parcel mapped to several levels is one site per level."""
    pts, area = points(raw, src, metric_crs)
    ids, _ = _ids(raw, src, "site_id", "site-")
    levels, _ = map_levels(raw, src, SITE_LEVELS, single=False)
    zvals, _, zcol = column(raw, src, "zone_id")
    zone = locate_zones(raw, pts, zones, None if zvals is None else as_text(raw, zvals, zcol), zcol)
    land, land_o = _number_or_none(raw, src, "land_m2")
    prov = {}
    if land is None:
        missing = np.isnan(area)
        if missing.any():
            raw.fail("no land area: map candidate_sites.columns.land_m2, or give parcels as polygons",
                     mask=missing)
        land, prov["land_m2"] = area, "derived"
    year, year_o = _number_or_none(raw, src, "available_from", integer=True)
    if year is None:
        year, prov["available_from"] = np.full(len(pts), float(base_year)), "assumption"
    cost, cost_o = _number_or_none(raw, src, "cost_factor")
    if cost is None:
        cost, prov["cost_factor"] = np.ones(len(pts)), "assumption"
    n_levels = np.array([len(lv) for lv in levels])
    rep = np.repeat(np.arange(len(pts)), n_levels)
    flat = np.array([lv for lvs in levels for lv in lvs], dtype=object)
    multi = n_levels[rep] > 1
    site_id = np.where(multi, ids[rep].astype(str) + "-" + flat.astype(str), ids[rep]).astype(object)
    out = {"site_id": site_id, "level": flat, "zone_id": zone[rep], "land_m2": land[rep],
           "available_from": year[rep].astype(np.int64), "cost_factor": cost[rep],
           "provenance": "imported", "parcel_id": ids[rep]}
    gdf = _gdf(out, pts[rep], metric_crs)
    for name, origin in (("land_m2", land_o), ("available_from", year_o), ("cost_factor", cost_o)):
        if name in prov or origin == "value":
            gdf[f"{name}_provenance"] = prov.get(name, "assumption")
    return gdf


def build_units(raw: RawTable, src: Source, zones, metric_crs):
    """``demand_units`` from a point or polygon layer/table with a population column."""
    from capacity.geo.raster import DEFAULT_URBAN_DENSITY_PER_KM2

    pts, area = points(raw, src, metric_crs)
    ids, _ = _ids(raw, src, "unit_id", "unit-")
    pop, _ = _number_or_none(raw, src, "population")
    if pop is None:
        raise DataError("demand units need a population column: map demand_units.columns.population",
                        path=raw.where)
    zvals, _, zcol = column(raw, src, "zone_id")
    zone = locate_zones(raw, pts, zones, None if zvals is None else as_text(raw, zvals, zcol), zcol)
    cell_m = float(src.options.get("cell_m", 0.0))
    uvals, uorigin, ucol = column(raw, src, "urban")
    out = {"unit_id": ids, "zone_id": zone, "population": pop, "cell_m": cell_m, "provenance": "imported"}
    if uvals is not None:
        text = uvals.astype(str).str.strip().str.lower()
        truth = {"true": True, "1": True, "yes": True, "是": True, "城镇": True, "urban": True,
                 "false": False, "0": False, "no": False, "否": False, "乡村": False, "rural": False}
        bad = ~text.isin(list(truth))
        if bad.any():
            raw.fail(f"urban must be true/false, got {sorted(set(uvals[bad].astype(str)))[:3]}",
                     column=ucol, mask=bad.to_numpy())
        out["urban"] = text.map(truth).to_numpy(bool)
    else:
        unit_area = np.where(np.isnan(area), cell_m * cell_m, area)
        if np.any(unit_area <= 0):
            raise DataError("cannot tell urban from rural: map demand_units.columns.urban, give "
                            "demand_units.values.urban, or cell_m (the area each point stands for)",
                            path=raw.where)
        density = pop / (unit_area / 1e6)
        out["urban"] = density >= src.options.get("urban_density_per_km2", DEFAULT_URBAN_DENSITY_PER_KM2)
    gdf = _gdf(out, pts, metric_crs)
    if uvals is None or uorigin == "value":
        gdf["urban_provenance"] = "estimate" if uvals is None else "assumption"
    return gdf


def build_roads(raw: RawTable, src: Source, metric_crs):
    """``roads`` layer: lines in ``metric_crs`` with optional ``walkable`` and ``speed_kmh``."""
    import shapely

    from capacity.geo.crs import parse_crs, transform_geometries

    frame = raw.frame
    geom = frame.geometry.values
    bad = ~np.isin(shapely.get_type_id(geom), (1, 5))
    if bad.any():
        raw.fail("roads must be lines", column="geometry", mask=bad)
    declared = parse_crs(src.crs) if src.crs is not None else parse_crs(frame.crs)
    out = {"road_id": np.asarray(raw.rows)}
    vals, _, fc = column(raw, src, "walkable")
    if vals is not None:
        text = vals.astype(str).str.strip().str.lower()
        out["walkable"] = ~text.isin(["false", "0", "no", "否", "none"]).to_numpy()
    sp, _ = _number_or_none(raw, src, "speed_kmh")
    if sp is not None:
        out["speed_kmh"] = sp
    return _gdf(out, transform_geometries(geom, declared, metric_crs), metric_crs)


def rename_table(frame: pd.DataFrame, columns: dict, where: str) -> pd.DataFrame:
    """A contract table with the spec's ``columns`` (contract ← file) renamed."""
    for contract, file_col in columns.items():
        if file_col not in frame.columns:
            raise DataError(f"column {file_col!r} (for {contract}) not found; the file has "
                            f"{list(frame.columns)}", path=where, column=file_col)
    return frame.rename(columns={v: k for k, v in columns.items()})
