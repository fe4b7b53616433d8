"""``capacity import``: a spec and a bureau's files → a validated data folder, written whole.

This is the edge that reads the bureau's files and writes the folder; the
mapping itself is in :mod:`capacity.importer.build` and
:mod:`capacity.importer.layers`. The folder is written into a temporary
folder, checked with :func:`capacity.data.load_city` (the same checks as
``capacity validate``) and only then moved into place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from capacity.errors import DataError, UsageError
from capacity.importer import layers, read
from capacity.importer.spec import ImportSpec, Source, read_spec
from capacity.importer.sources import SourceRecord, sources_markdown

IMPORT_MARK = "# Written by `capacity import`"
LAYER_FILES = {"zones": "zones.gpkg", "schools": "schools.gpkg", "candidate_sites": "candidate_sites.gpkg",
               "demand_units": "demand_units.gpkg", "roads": "roads.gpkg"}
TABLE_FILES = {"population": "population.csv", "births": "births.csv", "age_structure": "age_structure.csv",
               "enrolment": "enrolment.csv", "standards": "standards.toml",
               "city_population": "city_population.csv", "enrolment_rates": "enrolment_rates.csv"}


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote.

    Attributes
    ----------
    out : Path
        The data folder.
    counts : dict
        Rows per written layer.
    raster : str or None
        The raster aggregation's totals (persons, outside the zones, rounding).
    records : tuple of SourceRecord
        One per input file, as in ``SOURCES.md``.
    """

    out: Path
    counts: dict
    raster: str | None = None
    records: tuple = field(default_factory=tuple)

    def describe(self) -> str:
        lines = [f"imported {len(self.records)} files into {self.out}"]
        lines += [f"  {name}: {n} rows" for name, n in self.counts.items()]
        if self.raster:
            lines.append(f"  raster: {self.raster}")
        return "\n".join(lines)


def _read(src: Source) -> read.RawTable:
    return read.read_source(src.path, sheet=src.sheet, layer=src.layer, encoding=src.encoding, crs=src.crs)


def _derived(frame) -> dict:
    return {c[:-len("_provenance")]: frame[c].iloc[0] for c in frame.columns
            if c.endswith("_provenance") and len(frame)}


def _standards(spec: ImportSpec):
    from capacity.data.load import read_toml
    from capacity.data.standards import parse_standards

    path = spec.tables["standards"].path
    try:
        return parse_standards(read_toml(path))
    except DataError as exc:
        raise DataError(exc.reason, path=path.name, column=exc.column) from None


def _write_layer(frame, folder: Path, name: str):
    frame.to_file(folder / LAYER_FILES[name], layer=name, driver="GPKG", engine="pyogrio")


def _copy_table(table, folder: Path) -> SourceRecord:
    target = TABLE_FILES[table.name]
    if table.path.suffix.lower() == ".toml":
        (folder / target).write_bytes(table.path.read_bytes())
        return SourceRecord.of(table.name, table.path, None, target, 0, {}, {})
    raw = read.read_csv(table.path, table.encoding)
    frame = layers.rename_table(raw.frame, dict(table.columns), raw.where)
    frame.to_csv(folder / target, index=False, encoding="utf-8")
    return SourceRecord.of(table.name, table.path, None, target, len(frame), dict(table.columns), {})


def _city_toml(spec: ImportSpec, records) -> str:
    lines = [f"{IMPORT_MARK} from {spec.path.name}; see SOURCES.md."]
    for key in ("name", "name_local", "metric_crs", "base_year", "description"):
        if key in spec.city:
            lines.append(f"{key} = {json.dumps(spec.city[key], ensure_ascii=False)}")
    lines.append("\n[sources]")
    lines += [f"{r.role} = {json.dumps(r.file, ensure_ascii=False)}" for r in records]
    return "\n".join(lines) + "\n"


def build_folder(spec: ImportSpec, folder: Path, today: str) -> ImportResult:
    """Read every file the spec names and write the data folder's files into ``folder``."""
    from capacity.geo.raster import DEFAULT_URBAN_DENSITY_PER_KM2, aggregate_population

    metric = str(spec.city["metric_crs"])
    base_year = int(spec.city["base_year"])
    standards = _standards(spec)
    records, counts, raster_note = [], {}, None

    def record(src, raw, frame, extra=None):
        rec = SourceRecord.of(src.role, src.path, raw.part if raw else None, LAYER_FILES[src.role],
                              len(frame), dict(src.columns), _derived(frame), note=src.note, extra=extra,
                              crs=src.crs or (str(raw.frame.crs) if raw is not None and hasattr(raw.frame, "crs")
                                              and raw.frame.crs is not None else None))
        records.append(rec)
        counts[LAYER_FILES[src.role]] = len(frame)
        _write_layer(frame, folder, src.role)

    raw = _read(spec.zones)
    zones = layers.build_zones(raw, spec.zones, metric)
    record(spec.zones, raw, zones)
    raw = _read(spec.schools)
    record(spec.schools, raw, layers.build_schools(raw, spec.schools, zones, standards, metric))
    raw = _read(spec.candidate_sites)
    record(spec.candidate_sites, raw, layers.build_sites(raw, spec.candidate_sites, zones, base_year, metric))
    du = spec.demand_units
    if "raster" in du.options:
        agg = aggregate_population(du.path, zones, du.options["cell_m"], metric, raster_crs=du.crs,
                                   urban_density_per_km2=du.options.get("urban_density_per_km2",
                                                                        DEFAULT_URBAN_DENSITY_PER_KM2))
        raster_note = agg.describe()
        record(du, None, agg.units, extra=f"aggregated to {du.options['cell_m']:g} m squares: {raster_note}")
    else:
        raw = _read(du)
        record(du, raw, layers.build_units(raw, du, zones, metric))
    if spec.roads is not None:
        raw = _read(spec.roads)
        record(spec.roads, raw, layers.build_roads(raw, spec.roads, metric))
    for table in spec.tables.values():
        records.append(_copy_table(table, folder))
    (folder / "city.toml").write_text(_city_toml(spec, records), encoding="utf-8")
    (folder / "SOURCES.md").write_text(sources_markdown(spec, records, today), encoding="utf-8")
    return ImportResult(out=folder, counts=counts, raster=raster_note, records=tuple(records))


def import_folder(spec_path, out, force: bool = False, today: str | None = None) -> ImportResult:
    """Import a bureau's files into the data folder ``out``.

    Parameters
    ----------
    spec_path : str or Path
        The import spec (``import.toml``).
    out : str or Path
        The data folder to write.
    force : bool
        Replace ``out`` when it exists.
    today : str, optional
        Date of import for ``SOURCES.md`` (ISO; default today, UTC).

    Returns
    -------
    ImportResult

    Raises
    ------
    ImportSpecError, DataError
        A spec key or a file's row, naming the file, column/key and rows. Nothing is written then.
    """
    from capacity.data import load_city
    from capacity.io.atomic import output_folder

    spec = read_spec(spec_path)
    today = today or datetime.now(timezone.utc).date().isoformat()
    out = Path(out)
    if force and (out / "city.toml").is_file() and not _imported_before(out):
        raise UsageError(f"--out {out} is a data folder that 'capacity import' did not write; --force "
                         "replaces only an earlier import, never a bureau's own data; choose another folder")
    with output_folder(out, force=force) as tmp:
        result = build_folder(spec, tmp, today)
        try:
            load_city(tmp)
        except DataError as exc:
            raise DataError(f"the imported folder does not validate: {exc.reason}", path=exc.path,
                            column=exc.column, rows=exc.rows, row_label=exc.row_label) from None
    return ImportResult(out=out, counts=result.counts, raster=result.raster, records=result.records)


def _imported_before(out: Path) -> bool:
    """``out`` is a data folder written by ``capacity import`` (its city.toml says so)."""
    city = out / "city.toml"
    try:
        return city.is_file() and city.read_text(encoding="utf-8").startswith(IMPORT_MARK)
    except (OSError, UnicodeDecodeError):
        return False


def frame_summary(result: ImportResult) -> pd.DataFrame:
    """One row per input file: role, file, sheet/layer, rows, SHA-256."""
    return pd.DataFrame([{"role": r.role, "file": r.file, "part": r.part, "rows": r.rows,
                          "sha256": r.sha256} for r in result.records])
