"""A small solved run folder on the tiny city (for tests, examples and trying the report).

:func:`write_sample_run` writes the tiny city of :mod:`capacity.testing`
with a third, exclave zone (丙镇 / C Town, far to the east, like Mohan),
solves a small plan on flat demand, and writes the run tables a real run
writes (``plan.csv``, ``assignment.csv``, ``zone_balance.csv``,
``summary.json``, ``scenario.json``) plus a ``school_age.csv``. Every
number is small enough to check by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

SCENARIO = """\
name = "tiny-report"
description = "Tiny city: one new kindergarten and one new primary school, a kindergarten in the exclave."
data = "city"

[plan]
build_years = [2023, 2024, 2025]
evaluation_years = [2025, 2030]

[plan.totals]
kindergarten = 2
primary = 1

[plan.budget_cny]
2023 = 1.0e8
2024 = 1.0e8
2025 = 1.0e8

[[plan.zone_rules]]
zone = "100003"
level = "kindergarten"
action = "new"
min = 1

[solver]
time_limit_s = 60
"""

PER_UNIT = {"kindergarten": 60, "primary": 150, "middle": 120, "high": 100}
AGE_SHARE = {"kindergarten": 1 / 0.99, "primary": 1 / 0.98, "middle": 1 / 0.98, "high": 1.0}


def sample_frames() -> dict:
    """The tiny city's frames plus an exclave zone 100003 with one unit and two sites."""
    import geopandas as gpd
    from shapely.geometry import Point, box

    from capacity.testing import X0, Y0, tiny_frames

    f = tiny_frames()
    crs = f["zones.gpkg"].crs
    ex = gpd.GeoDataFrame({"zone_id": ["100003"], "name_local": ["丙镇"], "name_en": ["C Town"],
                           "kind": ["exclave"], "geometry_note": ["invented"]},
                          geometry=[box(X0 + 20000, Y0 - 6000, X0 + 22000, Y0 - 4000)], crs=crs)
    f["zones.gpkg"] = pd.concat([f["zones.gpkg"], ex], ignore_index=True)
    f["population.csv"] = pd.concat([f["population.csv"], pd.DataFrame({
        "zone_id": ["100003"], "year": [2023], "measure": ["year_end"], "persons": [3000],
        "urban_share": [0.5], "provenance": ["synthetic"], "source_id": ["tiny"]})], ignore_index=True)
    f["demand_units.gpkg"] = pd.concat([f["demand_units.gpkg"], gpd.GeoDataFrame({
        "unit_id": ["u7"], "zone_id": ["100003"], "urban": [True], "population": [3000],
        "cell_m": [2000.0], "provenance": ["synthetic"]},
        geometry=[Point(X0 + 21000, Y0 - 5000)], crs=crs)], ignore_index=True)
    f["candidate_sites.gpkg"] = pd.concat([f["candidate_sites.gpkg"], gpd.GeoDataFrame({
        "site_id": ["ks4", "ks5"], "level": ["kindergarten"] * 2, "zone_id": ["100003"] * 2,
        "land_m2": [3000, 3200], "available_from": [2023, 2023], "cost_factor": [1.0, 1.1],
        "provenance": ["synthetic"] * 2},
        geometry=[Point(X0 + 21200, Y0 - 5200), Point(X0 + 20600, Y0 - 4600)], crs=crs)],
        ignore_index=True)
    return f


def flat_demand(city, years=(2025, 2030), per_unit=None) -> pd.DataFrame:
    """``unit_id, level, year, pupils``: the same pupils at every unit [pupils]."""
    per_unit = PER_UNIT if per_unit is None else per_unit
    rows = [(u, lv, y, float(n)) for lv, n in per_unit.items() for u in city.demand_units["unit_id"]
            for y in years]
    return pd.DataFrame(rows, columns=["unit_id", "level", "year", "pupils"])


def write_sample_run(folder) -> tuple:
    """Write the sample city and a solved run into ``folder``.

    Returns
    -------
    (run_dir, city, scenario) : (Path, CityData, Scenario)
    """
    from capacity.data import load_city
    from capacity.optimize.core import solve
    from capacity.optimize.geo import build_problem
    from capacity.optimize.solvers import SolverOptions
    from capacity.results import (assignment_table, plan_table, summary_dict, to_jsonable,
                                  zone_balance_table)
    from capacity.scenario import load_scenario
    from capacity.testing import write_tiny_city

    folder = Path(folder)
    write_tiny_city(folder / "city", frames=sample_frames())
    (folder / "scenario.toml").write_text(SCENARIO, encoding="utf-8")
    scenario = load_scenario(folder / "scenario.toml")
    city = load_city(scenario.data)
    demand = flat_demand(city, scenario.plan.evaluation_years)
    problem, index = build_problem(city, demand, scenario.plan, scenario.objective)
    sol = solve(problem, SolverOptions(time_limit=scenario.solver.time_limit_s, msg=False))
    years = list(scenario.plan.evaluation_years)
    plan = plan_table(sol, index)
    assign = assignment_table(sol)
    balance = zone_balance_table(city, demand, plan, sol, years)
    summary = summary_dict(scenario, city, sol, plan, assign, balance, demand)
    summary["metric_crs"] = city.metric_crs
    run = folder / "run"
    run.mkdir(parents=True, exist_ok=True)
    plan.to_csv(run / "plan.csv", index=False)
    assign.to_csv(run / "assignment.csv", index=False)
    balance.to_csv(run / "zone_balance.csv", index=False)
    unit_zone = city.demand_units.set_index("unit_id")["zone_id"]
    age = (demand.assign(zone_id=demand["unit_id"].map(unit_zone),
                         persons=demand["pupils"] * demand["level"].map(AGE_SHARE))
           .groupby(["zone_id", "year", "level"], as_index=False)["persons"].sum())
    age.to_csv(run / "school_age.csv", index=False)
    for name, obj in (("summary.json", summary), ("scenario.json", scenario.to_dict())):
        (run / name).write_text(json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2),
                                encoding="utf-8")
    return run, city, scenario


def sample_outputs(folder, formats=("gpkg", "geojson", "shp")) -> tuple:
    """:func:`write_sample_run` plus :func:`capacity.report.write_outputs`, reused when already in ``folder``.

    Tests in several modules share one built folder this way (building it
    takes a few seconds: four maps at 200 dpi).

    Returns
    -------
    (run_dir, city, scenario, files) : (Path, CityData, Scenario, list of Path or None)
        ``files`` is None when the folder was reused.
    """
    from capacity.data import load_city
    from capacity.report import write_outputs
    from capacity.scenario import load_scenario

    folder = Path(folder)
    run = folder / "run"
    if (run / "report.html").is_file():
        scenario = load_scenario(folder / "scenario.toml")
        return run, load_city(scenario.data), scenario, None
    run, city, scenario = write_sample_run(folder)
    files = write_outputs(run, city, scenario, formats=formats)
    return run, city, scenario, files
