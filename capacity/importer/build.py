"""Map a bureau's rows onto the data contract's layers (pure: frames in, frames out).

Rules (each derived value is marked in a ``<column>_provenance`` column):

* A contract column comes from the file column the spec maps to it, else a
  file column of the same name, else a spec ``values`` constant
  (``assumption``), else a stated rule (``estimate``/``derived``) or a default
  (``assumption``).
* Points: a table's ``x``/``y`` in the spec's ``crs`` (GCJ-02 and BD-09
  included); a vector layer's own geometry. Polygons (parcels, residential
  areas) become their representative point (always inside the polygon); their
  area in the metric CRS fills ``land_m2`` when no column gives it (``derived``).
* ``zone_id`` missing from a layer is found by location: the zone containing
  the point. A point in no zone is an error naming its rows.
* Levels: the file's values are mapped by ``level_values``. An unmapped value is
  an error listing every value found that has no mapping. A value mapped to
  several levels (e.g. 中小学用地 → primary and middle) makes a candidate parcel
  one site per level, ``site_id`` suffixed ``-<level>`` and the parcel's own id
  kept in ``parcel_id`` (the contract has one level per site); a school has one
  level, so an existing school's value must map to one level.
* Schools lacking ``classes``: ``ceil(seats / class_size)``; lacking ``seats``:
  ``classes × class_size``; lacking ``land_m2``: ``seats × land_m2_per_pupil``
  (standards of the school's level; all ``estimate``).
* Sites lacking ``available_from``: the base year; lacking ``cost_factor``: 1.0
  (both ``assumption``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity.errors import DataError
from capacity.importer.read import RawTable
from capacity.importer.spec import Source

SITE_LEVELS = ("kindergarten", "primary", "middle", "high")


def column(raw: RawTable, src: Source, name: str):
    """The values of contract column ``name`` and where they came from.

    Returns
    -------
    (Series or None, str or None, str or None)
        Values, origin (``"file"``/``"value"``/None) and the file's column name.
    """
    frame = raw.frame
    if name in src.columns:
        file_col = src.columns[name]
        if file_col not in frame.columns:
            cols = [c for c in frame.columns if c != "geometry"]
            from capacity.config import did_you_mean

            raw.fail(f"column {file_col!r} (spec {src.role}.columns.{name}) not found; the file has "
                     f"{cols}" + did_you_mean(file_col, cols), column=file_col)
        return frame[file_col], "file", file_col
    if name in frame.columns:
        return frame[name], "file", name
    if name in src.values:
        return pd.Series([src.values[name]] * len(frame), index=frame.index), "value", None
    return None, None, None


def as_text(raw, values, file_col):
    """Non-empty text (ids written by spreadsheets as 530102.0 stay 530102)."""
    empty = values.isna() | (values.astype(str).str.strip() == "")
    if empty.any():
        raw.fail("empty value; expected text", column=file_col, mask=empty.to_numpy())
    text = values.astype(str).str.strip().str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    return text.to_numpy(dtype=object)


def as_number(raw, values, file_col, integer=False):
    """Finite non-negative numbers (thousands separators allowed)."""
    text = values.astype(str).str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    nums = pd.to_numeric(text.str.strip(), errors="coerce")
    nums = nums.where(~values.isna(), np.nan) if values.dtype == object else nums
    bad = ~np.isfinite(nums.to_numpy(float)) | (nums.to_numpy(float) < 0)
    if bad.any():
        found = sorted(set(values[bad].fillna("(empty)").astype(str)))[:3]
        raw.fail(f"{found} is not a non-negative number", column=file_col, mask=bad)
    out = nums.to_numpy(float)
    if integer:
        frac = out != np.round(out)
        if frac.any():
            raw.fail("expected a whole number (a year)", column=file_col, mask=frac)
    return out


def unique_ids(raw, ids, file_col):
    dup = pd.Series(ids).duplicated(keep=False).to_numpy()
    if dup.any():
        raw.fail(f"duplicate id(s) {sorted(set(np.asarray(ids)[dup]))[:3]}", column=file_col, mask=dup)


def points(raw: RawTable, src: Source, metric_crs):
    """Points of each row in ``metric_crs`` and the polygon area where rows are polygons.

    Returns
    -------
    (ndarray of shapely Points, ndarray of float)
        Area [m²] is NaN for point rows.
    """
    import geopandas as gpd
    import shapely

    from capacity.geo.crs import parse_crs, transform_xy

    if src.x is not None:
        xs = as_number_signed(raw, raw.frame[_col(raw, src, src.x, "x")], src.x)
        ys = as_number_signed(raw, raw.frame[_col(raw, src, src.y, "y")], src.y)
        cs = parse_crs(src.crs)
        if cs.is_geographic:
            _check_lonlat(raw, src, xs, ys)
        x, y = transform_xy(xs, ys, cs, metric_crs)
        bad = ~(np.isfinite(x) & np.isfinite(y))
        if bad.any():
            raw.fail(f"coordinates cannot be placed in {src.crs}", column=src.x, mask=bad)
        return shapely.points(x, y), np.full(len(x), np.nan)
    frame = raw.frame
    geom = frame.geometry
    empty = (geom.isna() | geom.is_empty).to_numpy()
    if empty.any():
        raw.fail("empty geometry", column="geometry", mask=empty)
    from capacity.geo.crs import transform_geometries

    # the spec's crs overrides the file's declaration (a GCJ-02 layer often claims EPSG:4326)
    declared = parse_crs(src.crs) if src.crs is not None else parse_crs(frame.crs)
    metric = gpd.GeoSeries(transform_geometries(geom.values, declared, metric_crs), crs=metric_crs)
    types = shapely.get_type_id(metric.values)
    poly = np.isin(types, (3, 6))
    area = np.where(poly, metric.area.to_numpy(), np.nan)
    pts = np.where(poly | ~np.isin(types, (0,)), shapely.point_on_surface(metric.values), metric.values)
    return pts, area


def as_number_signed(raw, values, file_col):
    text = values.astype(str).str.strip()
    nums = pd.to_numeric(text, errors="coerce").to_numpy(float)
    bad = ~np.isfinite(nums)
    if bad.any():
        raw.fail(f"coordinate {sorted(set(values[bad].astype(str)))[:3]} is not a number",
                 column=file_col, mask=bad)
    return nums


def _col(raw, src, name, key):
    if name not in raw.frame.columns:
        cols = list(raw.frame.columns)
        from capacity.config import did_you_mean

        raw.fail(f"coordinate column {name!r} (spec {src.role}.{key}) not found; the file has {cols}"
                 + did_you_mean(name, cols), column=name)
    return name


def _check_lonlat(raw, src, lon, lat):
    bad = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if bad.any():
        swapped = bool(np.all((np.abs(lon[bad]) <= 90) & (np.abs(lat[bad]) <= 180)))
        raw.fail("longitude/latitude out of range" + (" (x and y swapped?)" if swapped else "")
                 + f" for {src.crs}", column=src.x, mask=bad)


def locate_zones(raw: RawTable, pts, zones, given=None, file_col=None):
    """Zone of each point: ``given`` ids checked against the zones, else the zone containing it."""
    import shapely

    zone_ids = zones["zone_id"].astype(str).to_numpy()
    if given is not None:
        bad = ~np.isin(given, zone_ids)
        if bad.any():
            raw.fail(f"unknown zone id(s) {sorted(set(given[bad]))[:3]}; the zones are "
                     f"{list(zone_ids)[:8]}", column=file_col, mask=bad)
        return np.asarray(given, dtype=object)
    tree = shapely.STRtree(zones.geometry.values)
    pi, zi = tree.query(pts, predicate="intersects")
    out = np.full(len(pts), None, dtype=object)
    first = np.unique(pi, return_index=True)[1]
    out[pi[first]] = zone_ids[zi[first]]
    missing = np.array([z is None for z in out])
    if missing.any():
        raw.fail("the point lies outside every zone (wrong coordinates or crs?)",
                 column=raw_coord_column(raw), mask=missing)
    return out


def raw_coord_column(raw):
    return "geometry" if "geometry" in raw.frame.columns else None


def map_levels(raw: RawTable, src: Source, allowed, single: bool):
    """Each row's levels (a tuple) from the level column and ``level_values``."""
    values, origin, file_col = column(raw, src, "level")
    if values is None:
        raise DataError(f"no level: map a column with {src.role}.columns.level, or give "
                        f"{src.role}.values.level", path=raw.where)
    text = as_text(raw, values, file_col)
    table = dict(src.level_values) or {lv: (lv,) for lv in allowed}
    unmapped = ~np.isin(text, list(table))
    if unmapped.any():
        found = sorted(set(text[unmapped]))
        hint = ""
        if any(any("\x80" <= ch <= "\xff" for ch in v) for v in found):
            hint = " (the text looks garbled: set encoding = \"gbk\" for this file)"
        raw.fail(f"level value(s) {found} have no mapping in {src.role}.level_values{hint}; "
                 f"values found in the file: {sorted(set(text))}", column=file_col, mask=unmapped)
    levels = [table[t] for t in text]
    bad = np.array([any(lv not in allowed for lv in lvs) for lvs in levels])
    if bad.any():
        raw.fail(f"mapped to a level this layer cannot have; allowed: {', '.join(allowed)}",
                 column=file_col, mask=bad)
    if single:
        many = np.array([len(lvs) > 1 for lvs in levels])
        if many.any():
            raw.fail("an existing school has one level: map this value to one level (a school "
                     "teaching two levels is two rows, each with its seats)", column=file_col, mask=many)
    return levels, file_col


def _provenance(frame, name, origin):
    frame[f"{name}_provenance"] = {"file": "imported", "value": "assumption"}.get(origin, origin)
