"""Reading a run folder and rewriting its ``summary.json`` (the I/O edge of the report).

A run folder is written by :func:`capacity.pipeline.run`: ``plan.csv``,
``assignment.csv``, ``zone_balance.csv``, ``summary.json``, ``scenario.json``
and, from the projection, ``school_age.csv`` and ``demand.csv``. The
projection tables are optional here: the target checks fall back to the
plan's own demand when they are missing, and say so.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from capacity.errors import DataError

REQUIRED = ("plan.csv", "assignment.csv", "zone_balance.csv", "summary.json", "scenario.json")
_DTYPES = {"site_id": str, "zone": str, "zone_id": str, "unit_id": str, "school_id": str}


@dataclass(frozen=True)
class RunTables:
    """The tables of one run, as read.

    Attributes
    ----------
    plan : DataFrame
        ``site_id, level, zone, action, size_classes, seats, open_year, ready_year,
        cost_cny, x, y`` (seats [pupils], cost [CNY], x, y [m] in the metric CRS).
    assignment : DataFrame
        ``unit_id, school_id, level, year, pupils, distance_m``.
    zone_balance : DataFrame
        ``zone, level, year, demand, seats, unserved, balance`` [pupils].
    summary : dict
        ``summary.json`` as read.
    scenario : dict
        ``scenario.json`` (:meth:`capacity.scenario.Scenario.to_dict`).
    school_age : DataFrame or None
        ``zone_id, year, level, persons`` [children of the level's age band].
    demand : DataFrame or None
        ``zone_id, year, level, pupils, seats_existing, seats_needed, deficit``.
    images : mapping of str to Path
        Other PNG files of the run folder (e.g. the projection chart).
    """

    plan: pd.DataFrame
    assignment: pd.DataFrame
    zone_balance: pd.DataFrame
    summary: dict
    scenario: dict
    school_age: pd.DataFrame | None = None
    demand: pd.DataFrame | None = None
    images: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def years(self) -> list[int]:
        """Evaluation years [year]; the first is the plan's target year."""
        years = self.scenario.get("plan", {}).get("evaluation_years")
        return [int(y) for y in years] if years else sorted(self.zone_balance["year"].unique())


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=_DTYPES, encoding="utf-8")


def read_run(run_dir) -> RunTables:
    """Read a run folder.

    Raises
    ------
    DataError
        A required file is missing.
    """
    run_dir = Path(run_dir)
    for name in REQUIRED:
        if not (run_dir / name).is_file():
            raise DataError(f"run folder lacks {name}; is it the output of 'capacity run'?",
                            path=run_dir / name)
    optional = {n: _csv(run_dir / f"{n}.csv") if (run_dir / f"{n}.csv").is_file() else None
                for n in ("school_age", "demand")}
    ours = {"schedule_gantt.png"}
    images = {p.stem: p for p in sorted(run_dir.glob("*.png"))
              if p.name not in ours and not p.name.startswith("map_")}
    return RunTables(
        plan=_csv(run_dir / "plan.csv"), assignment=_csv(run_dir / "assignment.csv"),
        zone_balance=_csv(run_dir / "zone_balance.csv"),
        summary=json.loads((run_dir / "summary.json").read_text(encoding="utf-8")),
        scenario=json.loads((run_dir / "scenario.json").read_text(encoding="utf-8")),
        images=MappingProxyType(images), **optional)


def write_json_atomic(path, obj) -> Path:
    """Write ``obj`` as UTF-8 JSON to ``path`` in one rename (readers never see half a file)."""
    from capacity.results import to_jsonable

    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(to_jsonable(obj), fh, ensure_ascii=False, indent=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def add_to_summary(run_dir, **entries) -> Path:
    """Rewrite ``summary.json`` of ``run_dir`` with ``entries`` added (atomically)."""
    path = Path(run_dir) / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    summary.update(entries)
    return write_json_atomic(path, summary)


def city_from_scenario_json(scenario: dict):
    """Reload the city a run used: ``scenario.json['data']`` with its standards overrides."""
    from types import SimpleNamespace

    from capacity.data import load_city
    from capacity.scenario import apply_standards

    city = load_city(scenario["data"])
    overrides = scenario.get("standards") or {}
    return apply_standards(SimpleNamespace(standards=overrides, path=scenario.get("path")), city)
