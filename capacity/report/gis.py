"""GIS files of a run: GeoPackage, GeoJSON and Shapefile writers (a registry by format).

* ``gpkg`` — one ``plan.gpkg`` holding every layer of
  :data:`capacity.report.layers.LAYERS`, in the city's metric CRS (declared
  in the file), written as GeoPackage :data:`GPKG_VERSION` (1.2): GDAL ≥ 3.7
  writes 1.4 by default, which GDAL 3.6 (Debian 12) and the QGIS/ArcGIS
  releases built on it open only with a "may only be partially supported"
  warning; 1.2 is read by all of them.
* ``geojson`` — one ``<layer>.geojson`` per layer in WGS 84 (EPSG:4326, as
  RFC 7946 requires).
* ``shp`` — one ``<layer>.shp`` per layer in the metric CRS (``.prj``) with a
  ``.cpg`` reading ``UTF-8`` so ArcGIS and QGIS read Chinese names right.
  DBF field names have at most 10 characters: longer names are shortened by
  :data:`SHP_NAMES` (also written as ``shp_field_names.csv`` beside the
  files); ``chosen`` (bool) is written as 0/1.

``capacity export RUN --format gpkg|geojson|shp`` calls :func:`capacity.io.run.export_run`, which
writes the layers of a run folder with :func:`write_layers`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pandas as pd

from capacity.errors import DataError

SHP_NAMES = {
    "name_local": "name_zh",
    "population_base": "pop_base",
    "provenance": "provenanc",
    "available_from": "avail_from",
    "cost_factor": "cost_fact",
    "size_classes": "size_cls",
    "chosen_site_id": "chosen_id",
    "alt_site_id": "alt_id",
    "alt_zone_id": "alt_zone",
    "delta_cost_cny": "d_cost_cny",
    "delta_pupil_km": "d_pupil_km",
    "pupils_beyond_reach": "pup_beyond",
}
"""Shapefile field names for columns longer than 10 characters (or clearer short)."""

GEOMETRY_TYPES = {"zones": "MultiPolygon", "assignments": "LineString"}

GPKG_VERSION = "1.2"
"""The GeoPackage version of ``plan.gpkg`` (the GDAL GPKG driver's ``VERSION`` creation option)."""


def _geometry_type(name):
    return GEOMETRY_TYPES.get(name, "Point")


def _write(frame, path, layer, driver, **kw):
    import pyogrio

    if frame.empty:
        kw["geometry_type"] = _geometry_type(layer)
    pyogrio.write_dataframe(frame, path, layer=layer, driver=driver, **kw)


def write_gpkg(layers: dict, out_dir: Path) -> list[Path]:
    """All layers into ``out_dir/plan.gpkg`` (written to a temporary file, then renamed)."""
    path = out_dir / "plan.gpkg"
    tmp = out_dir / ".plan.tmp.gpkg"
    tmp.unlink(missing_ok=True)
    try:
        for name, frame in layers.items():
            first = not tmp.exists()
            _write(frame, tmp, name, "GPKG", promote_to_multi=(name == "zones"), append=not first,
                   **({"dataset_options": {"VERSION": GPKG_VERSION}} if first else {}))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return [path]


def write_geojson(layers: dict, out_dir: Path) -> list[Path]:
    """One ``<layer>.geojson`` per layer, in EPSG:4326."""
    out = []
    for name, frame in layers.items():
        path = out_dir / f"{name}.geojson"
        path.unlink(missing_ok=True)
        _write(frame.to_crs("EPSG:4326"), path, name, "GeoJSON", layer_options={"RFC7946": "YES"})
        out.append(path)
    return out


def shp_columns(frame) -> dict:
    """Column renames for a Shapefile; raises when a name would still exceed 10 characters."""
    renames = {c: SHP_NAMES.get(c, c) for c in frame.columns if c != frame.geometry.name}
    long = [c for c, s in renames.items() if len(s) > 10]
    if long:
        raise DataError(f"no Shapefile short name for {long}; add them to capacity.report.gis.SHP_NAMES")
    return renames


def write_shp(layers: dict, out_dir: Path) -> list[Path]:
    """One ``<layer>.shp`` (+ .shx, .dbf, .prj, .cpg) per layer; field renames in ``shp_field_names.csv``."""
    out, table = [], []
    for name, frame in layers.items():
        renames = shp_columns(frame)
        table += [{"layer": name, "column": c, "shp_field": s} for c, s in renames.items()]
        f = frame.rename(columns=renames)
        for c in f.columns:
            if f[c].dtype == bool:
                f[c] = f[c].astype("int32")
        path = out_dir / f"{name}.shp"
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            path.with_suffix(ext).unlink(missing_ok=True)
        _write(f, path, name, "ESRI Shapefile", encoding="UTF-8",
               promote_to_multi=(name == "zones"))
        path.with_suffix(".cpg").write_text("UTF-8\n")  # always, whatever GDAL wrote (no read-back)
        out += [path.with_suffix(e) for e in (".shp", ".shx", ".dbf", ".prj", ".cpg")]
    names = out_dir / "shp_field_names.csv"
    pd.DataFrame(table).to_csv(names, index=False)
    return out + [names]


WRITERS: dict[str, Callable[[dict, Path], list[Path]]] = {
    "gpkg": write_gpkg, "geojson": write_geojson, "shp": write_shp}


def write_layers(layers: dict, out_dir, fmt: str) -> list[Path]:
    """Write ``layers`` into ``out_dir`` in format ``fmt`` (a key of :data:`WRITERS`)."""
    if fmt not in WRITERS:
        raise DataError(f"unknown GIS format {fmt!r}; expected one of {list(WRITERS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return WRITERS[fmt](layers, out_dir)
