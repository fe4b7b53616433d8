"""A run folder: written by one function, read by one function.

:func:`write_run` writes a stage's result (a projection, a solved plan, or a
plan with its report) into a folder, every file exactly once, from memory.
:func:`read_run` reads a folder back (``verify``, ``compare``, ``export``,
``report``, ``ensemble --plan``, notebooks) into a :class:`RunFolder` whose
tables have the columns and dtypes of :mod:`capacity.io.schema`; folders
written before today's column names are read with the old names mapped (and a
:class:`DeprecationWarning`).

The command line writes into a temporary folder that replaces the target only
when everything succeeded (:func:`capacity.io.atomic.output_folder`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

from capacity.errors import DataError, RenamedKeyWarning
from capacity.io.jsonfile import read_json, write_json
from capacity.io.schema import OLD_NAMES, OPTIONAL, PLAN_KEY, TABLES, UNITS


@dataclass(frozen=True)
class RunFolder:
    """The tables of a run folder, as read by :func:`read_run`.

    Attributes
    ----------
    folder : Path
    plan, assignment, zone_balance : DataFrame
        Columns and dtypes of :mod:`capacity.io.schema`.
    unit_demand : DataFrame or None
        Seats needed per demand unit, level and year (None in folders that lack it).
    summary : dict
        ``summary.json``.
    scenario : dict
        ``scenario.json`` (:meth:`capacity.scenario.Scenario.to_dict`).
    school_age : DataFrame or None
        ``zone_id, year, level, persons`` (the projection's, when the folder has it).
    demand : DataFrame or None
        ``demand.csv`` of the projection, when present.
    images : mapping of str to bytes
        The projection chart ``school_age.png`` when present (embedded by the report).
    """

    folder: Path
    plan: pd.DataFrame
    assignment: pd.DataFrame
    zone_balance: pd.DataFrame
    unit_demand: pd.DataFrame | None
    summary: dict
    scenario: dict
    school_age: pd.DataFrame | None = None
    demand: pd.DataFrame | None = None
    images: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    projection = None  # a folder holds no projection in memory

    @property
    def name(self) -> str:
        return str(self.summary.get("scenario") or self.folder.name)

    @property
    def years(self) -> list[int]:
        """Evaluation years [year]; the first is the plan's target year."""
        years = (self.scenario.get("plan") or {}).get("evaluation_years")
        return [int(y) for y in years] if years else sorted(int(y) for y in self.zone_balance["year"].unique())

    def describe(self) -> str:
        from capacity.pipeline import describe_summary

        return describe_summary(self.summary)


# reading -----------------------------------------------------------------------------------------

def _lines(mask) -> np.ndarray:
    return np.flatnonzero(np.asarray(mask)) + 2  # CSV line numbers: the header is line 1


def read_table(path, table: str, required: bool = True, only=None) -> pd.DataFrame | None:
    """Read one run table (``plan``, ``assignment``, ...) with its schema's columns and dtypes.

    Parameters
    ----------
    path : Path
        The CSV file.
    table : str
        A key of :data:`capacity.io.schema.TABLES`.
    required : bool
        Missing file: raise (True) or return None.
    only : sequence of str, optional
        Require and type only these columns (others are kept as text).

    Raises
    ------
    DataError
        Missing or unreadable file, a missing column, or a value that does not
        fit the column's type (the message names file, column and lines).
    """
    path = Path(path)
    if not path.is_file():
        if not required:
            return None
        raise DataError(f"run folder lacks {path.name}; is it the output of 'capacity run'?", path=path)
    schema = {c: d for c, d in TABLES[table].items() if only is None or c in only}
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8", keep_default_na=False, na_values=[""])
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", path=path) from None
    except (ValueError, pd.errors.EmptyDataError) as exc:  # pandas' ParserError is a ValueError
        raise DataError(f"not a readable CSV table ({exc})", path=path) from None
    old = {c: OLD_NAMES[c] for c in frame.columns if c in OLD_NAMES and OLD_NAMES[c] not in frame.columns}
    if old:
        warnings.warn(f"{path}: old column name(s) {sorted(old)} read as {sorted(old.values())}",
                      RenamedKeyWarning, stacklevel=3)
        frame = frame.rename(columns=old)
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; a {table} table has {list(schema)}", path=path)
    for col, dtype in schema.items():
        if dtype == "str":
            bad = frame[col].isna()
            if bad.any():
                raise DataError("empty value", path=path, column=col, rows=_lines(bad), row_label="line")
            continue
        num = pd.to_numeric(frame[col], errors="coerce")
        bad = num.isna() & frame[col].notna() if dtype == "float64" else num.isna()
        if dtype == "int64":
            bad |= num.notna() & (num != num.round())
        if bad.any():
            what = "a whole number" if dtype == "int64" else "a number"
            raise DataError(f"expected {what}", path=path, column=col, rows=_lines(bad), row_label="line")
        frame[col] = num.astype(dtype)
    for col, dtype in OPTIONAL.get(table, {}).items():  # issue-13 columns: typed when present
        if col in frame.columns and dtype != "str" and (only is None or col in only):
            num = pd.to_numeric(frame[col], errors="coerce")
            bad = frame[col].notna() & (num.isna() | (num != num.round()))
            if bad.any():
                raise DataError("expected a whole number", path=path, column=col, rows=_lines(bad), row_label="line")
            frame[col] = num.astype("Int64")
    extra = [c for c in frame.columns if c not in schema]
    out = frame[list(schema) + extra]
    out.attrs["units"] = dict(UNITS.get(table, {}))
    return out


def read_plan(path, key_only: bool = True) -> pd.DataFrame:
    """A ``plan.csv`` on its own (``ensemble --plan FILE``); see :func:`read_table`.

    With ``key_only`` only the columns that identify the plan's choices
    (:data:`capacity.io.schema.PLAN_KEY`) are required.
    """
    return read_table(path, "plan", only=PLAN_KEY if key_only else None)


def read_run(folder) -> RunFolder:
    """Read a run folder written by ``capacity run`` (or by :func:`write_run`).

    Raises
    ------
    DataError
        Not a folder, or a required file is missing or unreadable (named with column and line).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("not a run folder (no such folder); give the output folder of 'capacity run'",
                        path=folder)
    for name in ("summary.json", "scenario.json"):
        if not (folder / name).is_file():
            raise DataError(f"not a run folder: {name} is missing (run 'capacity run' first)", path=folder / name)
    images = {p.name: p.read_bytes() for p in [folder / "school_age.png"] if p.is_file()}
    demand = folder / "demand.csv"
    return RunFolder(
        folder=folder,
        plan=read_table(folder / "plan.csv", "plan"),
        assignment=read_table(folder / "assignment.csv", "assignment"),
        zone_balance=read_table(folder / "zone_balance.csv", "zone_balance"),
        unit_demand=read_table(folder / "unit_demand.csv", "unit_demand", required=False),
        summary=read_json(folder / "summary.json"),
        scenario=read_json(folder / "scenario.json"),
        school_age=read_table(folder / "school_age.csv", "school_age", required=False),
        demand=pd.read_csv(demand, dtype={"zone_id": str}) if demand.is_file() else None,
        images=MappingProxyType(images))


# writing -----------------------------------------------------------------------------------------

def _csv(frame, path: Path, written: list, **kw) -> None:
    frame.to_csv(path, index=False, **kw)
    written.append(path)


def write_projection_files(projection, folder, chart: bytes | None = None) -> list[Path]:
    """The projection's files (:data:`capacity.io.schema.PROJECTION_FILES`) of a ``ProjectionRun``.

    ``chart`` is the ``school_age.png`` already drawn (by the report); drawn here otherwise.
    """
    folder = Path(folder)
    result, demand = projection.projection, projection.demand
    written: list[Path] = []
    _csv(result.population, folder / "population.csv", written)
    _csv(result.components, folder / "components.csv", written)
    _csv(demand.school_age[["zone_id", "year", "level", "persons"]], folder / "school_age.csv", written)
    _csv(demand.demand, folder / "demand.csv", written)
    _csv(demand.checks, folder / "plan_checks.csv", written)
    _csv(demand.school_age_band, folder / "school_age_bands.csv", written)
    written.append(write_json(folder / "calibration.json", result.calibration))
    png = folder / "school_age.png"
    if chart is not None:
        png.write_bytes(chart)
    else:
        from capacity.demography.outputs import plot_school_age

        plot_school_age(demand, png, zone_names=projection.zone_names)
    written.append(png)
    return written


def write_plan_files(run, folder) -> list[Path]:
    """``plan.csv``, ``assignment.csv``, ``zone_balance.csv``, ``unit_demand.csv``, ``summary.json``,
    ``scenario.json`` of a solved run."""
    folder = Path(folder)
    written: list[Path] = []
    _csv(run.plan, folder / "plan.csv", written)
    _csv(run.assignment, folder / "assignment.csv", written)
    _csv(run.zone_balance, folder / "zone_balance.csv", written)
    if run.unit_demand is not None:
        _csv(run.unit_demand, folder / "unit_demand.csv", written)
    written.append(write_json(folder / "summary.json", run.summary))
    written.append(write_json(folder / "scenario.json", run.scenario))
    return written


def write_report(rep, folder) -> list[Path]:
    """The report's files of a :class:`capacity.report.ReportRun` (schedule, shortlist, figures, GIS, HTML)."""
    from capacity.report import GIS_FOLDERS
    from capacity.report.excel import write_schedule_csv, write_schedule_xlsx
    from capacity.report.gis import write_layers

    folder = Path(folder)
    written = [write_schedule_csv(rep.schedule, folder / "schedule.csv"),
               write_schedule_xlsx(rep.schedule, folder / "schedule.xlsx", title=rep.title,
                                   lang=getattr(rep, "lang", None))]
    for name, png in rep.figures.items():
        if name == "school_age.png" and getattr(rep.run, "projection", None) is not None:
            continue  # written with the projection's files
        (folder / name).write_bytes(png)
        written.append(folder / name)
    _csv(rep.shortlist, folder / "shortlist.csv", written, encoding="utf-8-sig")
    for fmt in rep.formats:
        written += write_layers(dict(rep.layers), folder / GIS_FOLDERS.get(fmt, fmt), fmt)
    (folder / "report.html").write_text(rep.html, encoding="utf-8")
    written.append(folder / "report.html")
    return written


def write_run(result, folder) -> list[Path]:
    """Write a stage's result into ``folder`` (created if missing), every file once.

    Parameters
    ----------
    result : ProjectionRun, PlanRun, ReportRun or RunFolder
        :func:`capacity.pipeline.project`, :func:`capacity.pipeline.plan`,
        :func:`capacity.report.report`, or :func:`read_run`.
    folder : str or Path

    Returns
    -------
    list of Path
        Every file written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rep = result if hasattr(result, "html") else None
    run = rep.run if rep is not None else result
    written: list[Path] = []
    if hasattr(run, "plan"):
        proj = run.projection
    else:  # a ProjectionRun
        proj, run = run, None
    if proj is not None:
        chart = rep.figures.get("school_age.png") if rep is not None else None
        written += write_projection_files(proj, folder, chart)
    if run is not None:
        written += write_plan_files(run, folder)
    if rep is not None:
        written += write_report(rep, folder)
    return written


def export_run(run_dir, out_dir, fmt: str) -> list[Path]:
    """Write the GIS layers of a run folder in one format (``capacity export``).

    Raises
    ------
    DataError
        Not a run folder, or an unknown format.
    """
    from capacity.report.gis import WRITERS, write_layers
    from capacity.report.layers import run_layers
    from capacity.report.shortlist import shortlist_table

    if fmt not in WRITERS:
        raise DataError(f"unknown GIS format {fmt!r}; expected one of {list(WRITERS)}")
    run = read_run(run_dir)
    city = city_of(run.scenario)
    obj = run.scenario.get("objective") or {}
    short = shortlist_table(run.plan, run.assignment, city, obj.get("cost_weight", 1.0),
                            obj.get("distance_weight", 1.0))
    return write_layers(run_layers(city, run.plan, run.assignment, short, run.years[0]), out_dir, fmt)


def city_of(scenario: dict):
    """Reload the city a run used: ``scenario.json['data']`` with the scenario's standards applied.

    The scenario file itself is used when it still exists (its standards overrides);
    otherwise the data folder as it is.
    """
    from capacity.data import load_city
    from capacity.scenario import apply_standards, load_scenario

    city = load_city(scenario["data"])
    path = Path(scenario.get("path") or "")
    if scenario.get("path") and path.is_file():
        return apply_standards(load_scenario(path), city)
    return city
