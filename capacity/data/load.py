"""Load a data folder into a validated :class:`~capacity.data.model.CityData`.

This module is an edge: it reads files. Everything it reads goes through the
checks of :mod:`capacity.data.validate`, and every problem surfaces as a
:class:`~capacity.errors.DataError` naming the file, column and rows.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pyproj

from capacity.data import files, schema, validate
from capacity.data.model import CityData
from capacity.data.standards import FILE as STANDARDS_FILE
from capacity.data.standards import check_modules_fit_land, parse_standards
from capacity.errors import DataError
from capacity.network import read_roads

CITY_FILE = "city.toml"


def read_toml(path: Path) -> dict:
    """Read a TOML file of the data folder (UTF-8; a byte-order mark is fine).

    Raises
    ------
    DataError
        Missing, not UTF-8 (e.g. saved in GBK), or not valid TOML; naming the file.
    """
    return files.read_toml(path, lambda message: DataError(message, path=Path(path).name))


def _require_file(folder: Path, spec: schema.TableSpec) -> Path:
    path = folder / spec.file
    if path.is_dir():
        raise DataError(f"is a folder; expected {'a GeoPackage' if spec.layer else 'a CSV table'} "
                        "(see data/README.md)", path=spec.file)
    if not path.is_file():
        raise DataError(f"file not found in data folder {folder}; "
                        f"expected {'a GeoPackage layer ' + repr(spec.layer) if spec.layer else 'a CSV table'} "
                        "(see data/README.md)", path=spec.file)
    return path


def read_table(folder: Path, spec: schema.TableSpec, zone_ids=None) -> pd.DataFrame:
    """Read and check one CSV table of the data folder (empty when optional and absent)."""
    if spec.optional and not (folder / spec.file).is_file():
        return pd.DataFrame({c.name: pd.Series(dtype=object if c.kind == "str" else float)
                             for c in spec.columns})
    path = _require_file(folder, spec)
    text = files.read_text(path, lambda message: DataError(message, path=spec.file))
    if not text.strip():
        raise DataError("the file is empty; expected a header line with the columns "
                        + ",".join(c.name for c in spec.columns) + " and one row per fact", path=spec.file)
    header = [h.lstrip() for h in next(csv.reader(io.StringIO(text)))]
    used = [d for d in (";", "\t", "|") if len(header) == 1 and d in header[0]]
    if used:
        raise DataError(f"the header is one column {header[0][:60]!r}: columns must be separated by commas, "
                        f"this file uses {used[0]!r} (save as 'CSV (comma delimited)')", path=spec.file)
    validate.check_header(header, spec)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""],
                            comment=None, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            n, line, m = found.groups()
            raise DataError(f"line {line} has {m} cells but the header has {n} columns; a stray comma, "
                            "or a value with a comma that needs quotes?", path=spec.file) from None
        raise DataError(f"cannot be read as CSV: {exc}", path=spec.file) from None
    frame = validate.coerce_columns(frame, spec)
    validate.check_rows(frame, spec)
    validate.check_unique(frame, spec)
    if zone_ids is not None:
        validate.check_zone_ids(frame, spec, zone_ids)
    return frame


def read_layer(folder: Path, spec: schema.TableSpec, metric_crs, zone_ids=None):
    """Read and check one vector layer; return it in ``metric_crs``."""
    import geopandas as gpd
    import pyogrio

    path = _require_file(folder, spec)
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise DataError(f"cannot be read as a vector file: {exc}", path=spec.file) from None
    if spec.layer not in layers:
        raise DataError(f"layer '{spec.layer}' not found; the file has {layers}", path=spec.file)
    try:
        layer = gpd.read_file(path, layer=spec.layer, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL raise several types for damaged layers
        raise DataError(f"layer '{spec.layer}' cannot be read: {exc}", path=spec.file) from None
    if len(layer) == 0:
        raise DataError(f"layer '{spec.layer}' has no features; expected at least one", path=spec.file)
    validate.check_geometry(layer, spec)
    table = validate.coerce_columns(pd.DataFrame(layer.drop(columns=layer.geometry.name)), spec)
    validate.check_rows(table, spec)
    validate.check_unique(table, spec)
    if zone_ids is not None:
        validate.check_zone_ids(table, spec, zone_ids)
    out = gpd.GeoDataFrame(table, geometry=layer.geometry.values, crs=layer.crs)
    return out.to_crs(metric_crs) if not out.crs.equals(metric_crs) else out


def read_city_meta(folder: Path) -> dict:
    """Read and check ``city.toml``: name, base year and a projected metric CRS."""
    meta = read_toml(folder / CITY_FILE)
    for key in ("name", "metric_crs", "base_year"):
        if key not in meta:
            from capacity.config import did_you_mean

            raise DataError(f"key '{key}' missing{did_you_mean(key, meta)}", path=CITY_FILE)
    if isinstance(meta["base_year"], bool) or not isinstance(meta["base_year"], int):
        raise DataError(f"key 'base_year': {meta['base_year']!r} is not a year", path=CITY_FILE)
    low, high = schema.YEAR["low"], schema.YEAR["high"]
    if not low <= meta["base_year"] <= high:
        raise DataError(f"key 'base_year': {meta['base_year']} is outside the plausible range "
                        f"{low}–{high}", path=CITY_FILE)
    for key in ("name", "metric_crs"):
        if not isinstance(meta[key], str) or not meta[key].strip():
            raise DataError(f"key '{key}': expected text, got {meta[key]!r}", path=CITY_FILE)
    try:
        crs = pyproj.CRS.from_user_input(meta["metric_crs"])
    except pyproj.exceptions.CRSError:
        raise DataError(f"key 'metric_crs': {meta['metric_crs']!r} is not a known CRS",
                        path=CITY_FILE) from None
    if not crs.is_projected:
        raise DataError(f"key 'metric_crs': {meta['metric_crs']} is geographic (degrees); "
                        "distances need a projected CRS in metres", path=CITY_FILE)
    return meta


def load_city(folder) -> CityData:
    """Load and validate a data folder.

    Parameters
    ----------
    folder : str or Path
        A folder laid out as described in ``data/README.md``.

    Returns
    -------
    CityData
        Frozen, validated inputs; all layers in the city's ``metric_crs``.

    Raises
    ------
    DataError
        The first problem found, naming the file, column and rows.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("not a data folder (no such directory)", path=folder)
    meta = read_city_meta(folder)
    crs = pyproj.CRS.from_user_input(meta["metric_crs"])
    zones = read_layer(folder, schema.ZONES, crs)
    zone_ids = list(zones["zone_id"])
    tables = {spec.file: read_table(folder, spec, zone_ids) for spec in schema.TABLES}
    layers = {spec.file: read_layer(folder, spec, crs, zone_ids) for spec in schema.LAYERS}
    standards = parse_standards(read_toml(folder / STANDARDS_FILE))
    check_modules_fit_land(standards, layers[schema.CANDIDATE_SITES.file])
    population = tables[schema.POPULATION.file]
    base = population[(population["year"] == meta["base_year"]) & (population["measure"] == "year_end")]
    lacking = sorted(set(zone_ids) - set(base["zone_id"]))
    if lacking:
        raise DataError(f"no year_end population for base year {meta['base_year']} "
                        f"for zone(s) {lacking}", path=schema.POPULATION.file, column="zone_id")
    empty = (population["year"] == meta["base_year"]) & (population["measure"] == "year_end") \
        & (population["persons"] <= 0)
    if empty.any():
        zones = sorted(set(population.loc[empty, "zone_id"]))
        raise DataError(f"zone(s) {zones} have no residents in the base year {meta['base_year']}; "
                        "a planning zone needs its resident population (or leave the zone out of zones.gpkg)",
                        path=schema.POPULATION.file, column="persons",
                        rows=[int(i) + 2 for i in empty.to_numpy().nonzero()[0]], row_label="line")
    return CityData(
        path=folder,
        meta=MappingProxyType(dict(meta)),
        zones=zones,
        population=population,
        age_structure=tables[schema.AGE_STRUCTURE.file],
        births=tables[schema.BIRTHS.file],
        enrolment=tables[schema.ENROLMENT.file],
        city_population=tables[schema.CITY_POPULATION.file],
        standards=standards,
        demand_units=layers[schema.DEMAND_UNITS.file],
        schools=layers[schema.SCHOOLS.file],
        candidate_sites=layers[schema.CANDIDATE_SITES.file],
        roads=read_roads(folder, crs),
    )
