"""The import spec (``import.toml``): which bureau file fills which part of a data folder.

Every key is checked here, before any file is read: an unknown key is an
error naming it with the closest known key; a wrong type names the key and
what was expected; a missing file names the key and the path. Paths are
relative to the spec file. The keys are documented in ``data/README.md``
("Importing a bureau's files").
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from capacity.config import did_you_mean
from capacity.errors import ImportSpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LEVELS = ("kindergarten", "primary", "middle", "high", "special")
TABLE_NAMES = ("population", "births", "age_structure", "enrolment", "standards", "city_population",
               "enrolment_rates")
CITY_KEYS = ("name", "name_local", "metric_crs", "base_year", "description")
SOURCE_KEYS = ("file", "sheet", "layer", "encoding", "crs", "x", "y", "columns", "values", "note")
LAYER_COLUMNS = {
    "zones": ("zone_id", "name_local", "name_en", "kind", "geometry_note"),
    "schools": ("school_id", "name", "level", "zone_id", "seats", "classes", "land_m2",
                "open_year", "added_seats", "added_year"),   # the last three: carried-over projects
    "candidate_sites": ("site_id", "level", "zone_id", "land_m2", "available_from", "cost_factor"),
    "demand_units": ("unit_id", "zone_id", "urban", "population"),
    "roads": ("walkable", "speed_kmh"),
}
EXTRA_KEYS = {
    "zones": (),
    "schools": ("level_values",),
    "candidate_sites": ("level_values",),
    "demand_units": ("raster", "cell_m", "urban_density_per_km2"),
    "roads": (),
}
REQUIRED = ("city", "zones", "schools", "candidate_sites", "demand_units", "tables")


@dataclass(frozen=True)
class Source:
    """One bureau file and how its columns map onto a contract layer.

    Attributes
    ----------
    role : str
        The spec section (``schools``, ``candidate_sites``, ...).
    path : Path or None
        The file, resolved against the spec's folder (None for a raster-only section).
    sheet, layer : str or None
        Excel sheet; vector layer (default: the first).
    encoding : str or None
        Text encoding when not UTF-8 (a shapefile's ``.cpg`` is honoured too).
    crs : str or None
        Coordinate system of ``x``/``y`` or of a vector file that declares none.
    x, y : str or None
        Coordinate columns of a table.
    columns : mapping
        Contract column → the file's column.
    values : mapping
        Contract column → one value for every row (marked ``assumption``).
    level_values : mapping
        The file's level value → a level or a list of levels.
    options : mapping
        Section-specific numbers (``cell_m``, ``urban_density_per_km2``, ``raster``).
    """

    role: str
    path: Path | None
    sheet: str | None = None
    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    x: str | None = None
    y: str | None = None
    columns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    values: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    level_values: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    note: str | None = None

    @property
    def is_table(self) -> bool:
        return self.path is not None and self.path.suffix.lower() in (".csv", ".txt", ".xlsx", ".xlsm", ".xls")


@dataclass(frozen=True)
class TableFile:
    """A contract table copied into the folder (after renaming columns)."""

    name: str
    path: Path
    encoding: str | None = None
    columns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ImportSpec:
    """A validated ``import.toml``."""

    path: Path
    city: Mapping[str, object]
    zones: Source
    schools: Source
    candidate_sites: Source
    demand_units: Source
    roads: Source | None
    tables: Mapping[str, TableFile]


def _fail(path, key, message):
    raise ImportSpecError(message, path, key)


def _check_keys(doc: dict, allowed, path, prefix):
    for key in doc:
        if key not in allowed:
            _fail(path, f"{prefix}{key}", "unknown key; expected one of "
                  f"{', '.join(allowed)}" + did_you_mean(key, allowed))


def _str(doc, key, path, prefix, required=False):
    value = doc.get(key)
    if value is None:
        if required:
            _fail(path, f"{prefix}{key}", "missing")
        return None
    if not isinstance(value, str) or not value.strip():
        _fail(path, f"{prefix}{key}", f"expected text, got {value!r}")
    return value


def _file(doc, key, spec_path: Path, prefix, required=True) -> Path | None:
    name = _str(doc, key, spec_path, prefix, required)
    if name is None:
        return None
    p = (spec_path.parent / name).resolve()
    if not p.is_file():
        _fail(spec_path, f"{prefix}{key}", f"file {name!r} not found (looked for {p})")
    return p


def _mapping(doc, key, spec_path, prefix, allowed=None) -> dict:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        _fail(spec_path, f"{prefix}{key}", f"expected a table {{ a = \"b\" }}, got {value!r}")
    for k, v in value.items():
        if allowed is not None and k not in allowed:
            _fail(spec_path, f"{prefix}{key}.{k}", "not a column of this layer; expected one of "
                  f"{', '.join(allowed)}" + did_you_mean(k, allowed))
    return value


def _level_values(doc, spec_path, prefix) -> dict:
    raw = _mapping(doc, "level_values", spec_path, prefix)
    out = {}
    for k, v in raw.items():
        levels = (v,) if isinstance(v, str) else tuple(v) if isinstance(v, list) else None
        if not levels or any(lv not in LEVELS for lv in levels):
            _fail(spec_path, f"{prefix}level_values.{k}", f"{v!r}: expected a level or a list of levels "
                  f"({', '.join(LEVELS)})" + (did_you_mean(str(v), LEVELS) if isinstance(v, str) else ""))
        out[str(k)] = levels
    return out


def _source(doc, role, spec_path) -> Source:
    prefix = f"{role}."
    if not isinstance(doc, dict):
        _fail(spec_path, role, f"expected a table [{role}], got {doc!r}")
    _check_keys(doc, SOURCE_KEYS + EXTRA_KEYS[role], spec_path, prefix)
    options = {}
    raster = None
    if role == "demand_units":
        raster = _file(doc, "raster", spec_path, prefix, required=False)
        if raster is not None and "file" in doc:
            _fail(spec_path, f"{prefix}raster", "give either raster or file, not both")
        for key in ("cell_m", "urban_density_per_km2"):
            if key in doc:
                v = doc[key]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                    _fail(spec_path, f"{prefix}{key}", f"expected a positive number, got {v!r}")
                options[key] = float(v)
        if raster is not None:
            if "cell_m" not in options:
                _fail(spec_path, f"{prefix}cell_m", "missing; the raster is aggregated to squares of "
                      "cell_m metres (e.g. cell_m = 500)")
            options["raster"] = raster
    path = raster if raster is not None else _file(doc, "file", spec_path, prefix)
    src = Source(
        role=role, path=path,
        sheet=_str(doc, "sheet", spec_path, prefix), layer=_str(doc, "layer", spec_path, prefix),
        encoding=_str(doc, "encoding", spec_path, prefix), crs=_str(doc, "crs", spec_path, prefix),
        x=_str(doc, "x", spec_path, prefix), y=_str(doc, "y", spec_path, prefix),
        columns=MappingProxyType(dict(_mapping(doc, "columns", spec_path, prefix, LAYER_COLUMNS[role]))),
        values=MappingProxyType(dict(_mapping(doc, "values", spec_path, prefix, LAYER_COLUMNS[role]))),
        level_values=MappingProxyType(_level_values(doc, spec_path, prefix)),
        options=MappingProxyType(options), note=_str(doc, "note", spec_path, prefix))
    for k, v in src.columns.items():
        if not isinstance(v, str) or not v:
            _fail(spec_path, f"{prefix}columns.{k}", f"expected the file's column name, got {v!r}")
    if (src.x is None) != (src.y is None):
        _fail(spec_path, f"{prefix}{'y' if src.y is None else 'x'}", "give both x and y columns")
    if src.is_table and src.x is None and role not in ("zones", "roads"):
        _fail(spec_path, f"{prefix}x", f"{src.path.name} is a table: name its coordinate columns "
              "with x = \"...\" and y = \"...\" (and their system with crs)")
    if src.is_table and role in ("zones", "roads"):
        _fail(spec_path, f"{prefix}file", f"{src.path.name}: {role} must be a vector file (lines or "
              "polygons), e.g. a shapefile or GeoPackage")
    if src.x is not None and src.crs is None:
        _fail(spec_path, f"{prefix}crs", "missing: say which system x/y are in "
              "(\"EPSG:4326\", \"EPSG:4490\", \"GCJ-02\", \"BD-09\", \"EPSG:4543\", ...)")
    if src.sheet is not None and (src.path is None or src.path.suffix.lower() not in (".xlsx", ".xlsm", ".xls")):
        _fail(spec_path, f"{prefix}sheet", "sheet is for Excel files only")
    if src.encoding is not None:
        import codecs

        try:
            codecs.lookup(src.encoding)
        except LookupError:
            _fail(spec_path, f"{prefix}encoding", f"{src.encoding!r} is not a known text encoding "
                  "(e.g. \"gbk\", \"gb18030\", \"utf-8\")")
    if src.crs is not None:
        from capacity.errors import DataError
        from capacity.geo.crs import parse_crs

        try:
            parse_crs(src.crs)
        except DataError as exc:
            _fail(spec_path, f"{prefix}crs", exc.reason)
    return src


def _tables(doc, spec_path) -> dict:
    if not isinstance(doc, dict):
        _fail(spec_path, "tables", f"expected a table [tables], got {doc!r}")
    _check_keys(doc, TABLE_NAMES, spec_path, "tables.")
    out = {}
    for name, value in doc.items():
        key = f"tables.{name}"
        if isinstance(value, str):
            value = {"file": value}
        if not isinstance(value, dict):
            _fail(spec_path, key, f"expected a file name or {{ file = ..., columns = ... }}, got {value!r}")
        _check_keys(value, ("file", "encoding", "columns"), spec_path, key + ".")
        path = _file(value, "file", spec_path, key + ".")
        encoding = _str(value, "encoding", spec_path, key + ".")
        out[name] = TableFile(name=name, path=path, encoding=encoding,
                              columns=MappingProxyType(dict(_mapping(value, "columns", spec_path, key + "."))))
    for name in ("population", "births", "age_structure", "enrolment", "standards"):
        if name not in out:
            _fail(spec_path, f"tables.{name}", "missing; the data folder needs it (see data/README.md)")
    return out


def read_spec(path) -> ImportSpec:
    """Read and check an import spec.

    Parameters
    ----------
    path : str or Path
        The ``import.toml``; file paths inside it are relative to its folder.

    Raises
    ------
    ImportSpecError
        Naming the spec file and the dotted key.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise ImportSpecError("file not found", path)
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ImportSpecError(f"not valid TOML: {exc}", path) from None
    except UnicodeDecodeError:
        raise ImportSpecError("not UTF-8 text; save the spec as UTF-8", path) from None
    _check_keys(doc, REQUIRED + ("roads",), path, "")
    for section in REQUIRED:
        if section not in doc:
            _fail(path, section, f"missing section [{section}]")
    city = doc["city"]
    if not isinstance(city, dict):
        _fail(path, "city", "expected a table [city]")
    _check_keys(city, CITY_KEYS, path, "city.")
    for key in ("name", "metric_crs"):
        _str(city, key, path, "city.", required=True)
    year = city.get("base_year")
    if isinstance(year, bool) or not isinstance(year, int):
        _fail(path, "city.base_year", f"expected a year such as 2023, got {year!r}")
    from capacity.errors import DataError
    from capacity.geo.crs import parse_crs

    try:
        metric = parse_crs(city["metric_crs"])
    except DataError as exc:
        _fail(path, "city.metric_crs", exc.reason)
    if metric.offset or not metric.crs.is_projected:
        _fail(path, "city.metric_crs", f"{city['metric_crs']} is not a projected CRS in metres "
              "(e.g. \"EPSG:4543\", CGCS2000 / 3-degree Gauss-Kruger CM 102E)")
    return ImportSpec(
        path=path, city=MappingProxyType(dict(city)),
        zones=_source(doc["zones"], "zones", path),
        schools=_source(doc["schools"], "schools", path),
        candidate_sites=_source(doc["candidate_sites"], "candidate_sites", path),
        demand_units=_source(doc["demand_units"], "demand_units", path),
        roads=_source(doc["roads"], "roads", path) if "roads" in doc else None,
        tables=MappingProxyType(_tables(doc["tables"], path)))
