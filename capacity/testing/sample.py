"""A small solved run on the tiny city (for tests, examples and trying the report).

:func:`sample_plan` writes the tiny city of :mod:`capacity.testing` with a
third, exclave zone (丙镇 / C Town, far to the east, like Mohan) and solves a
small plan on flat demand, in memory; :func:`write_sample_run` writes it as a
run folder (the tables a real run writes, plus a ``school_age.csv``) and
:func:`sample_outputs` with its report. Every number is small enough to check
by hand.
"""

from __future__ import annotations

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


def sample_plan(folder):
    """Write the sample city into ``folder/city`` and solve its plan in memory.

    Returns
    -------
    (PlanRun, CityData, Scenario)
        ``PlanRun.projection`` is None (flat demand, no projection);
        the summary's targets compare with :func:`sample_school_age`.
    """
    from capacity.data import load_city
    from capacity.demand.targets import check_targets, target_inputs
    from capacity.optimize.core import solve
    from capacity.optimize.solvers import SolverOptions
    from capacity.optimize.translate import problem_from_scenario
    from capacity.pipeline import PlanRun
    from capacity.results import assignment_table, plan_table, summary_dict, zone_balance_table
    from capacity.scenario import load_scenario
    from capacity.testing import write_tiny_city

    folder = Path(folder)
    write_tiny_city(folder / "city", frames=sample_frames())
    (folder / "scenario.toml").write_text(SCENARIO, encoding="utf-8")
    scenario = load_scenario(folder / "scenario.toml")
    city = load_city(scenario.data)
    demand = flat_demand(city, scenario.plan.evaluation_years)
    problem, index = problem_from_scenario(scenario, city, demand)
    sol = solve(problem, SolverOptions(time_limit=scenario.solver.time_limit_s, msg=False))
    years = list(scenario.plan.evaluation_years)
    plan = plan_table(sol, index)
    assign = assignment_table(sol)
    balance = zone_balance_table(city, demand, plan, sol, years)
    scenario_dict = scenario.to_dict()
    persons = sample_school_age(city, demand)
    targets = check_targets(target_inputs(plan, balance, persons, scenario_dict, city))
    summary = summary_dict(scenario, city, sol, plan, assign, balance, demand, targets)
    unit_demand = demand.assign(zone_id=demand["unit_id"].map(city.demand_units.set_index("unit_id")["zone_id"]))
    unit_demand = unit_demand[["unit_id", "zone_id", "level", "year", "pupils"]]
    return PlanRun(None, plan, assign, balance, unit_demand, summary, scenario_dict), city, scenario


def sample_school_age(city, demand) -> pd.DataFrame:
    """``zone_id, year, level, persons``: children of the age bands implied by the flat demand [persons]."""
    unit_zone = city.demand_units.set_index("unit_id")["zone_id"]
    return (demand.assign(zone_id=demand["unit_id"].map(unit_zone),
                          persons=demand["pupils"] * demand["level"].map(AGE_SHARE))
            .groupby(["zone_id", "year", "level"], as_index=False)["persons"].sum())


def write_sample_run(folder) -> tuple:
    """Write the sample city and its solved run (:func:`capacity.io.write_run`) into ``folder``.

    Returns
    -------
    (run_dir, city, scenario) : (Path, CityData, Scenario)
        ``run_dir`` is ``folder/run``; it also holds ``school_age.csv``.
    """
    from capacity.io import write_run

    run, city, scenario = sample_plan(folder)
    out = Path(folder) / "run"
    write_run(run, out)
    sample_school_age(city, run.unit_demand).to_csv(out / "school_age.csv", index=False)
    return out, city, scenario


def sample_outputs(folder, formats=("gpkg", "geojson", "shp")) -> tuple:
    """The sample run with its report (:func:`capacity.report.report`), reused when already in ``folder``.

    Tests in several modules share one built folder this way (building it
    takes a few seconds: four maps at 200 dpi).

    Returns
    -------
    (run_dir, city, scenario, files) : (Path, CityData, Scenario, list of Path or None)
        ``files`` is None when the folder was reused.
    """
    from capacity.data import load_city
    from capacity.io import write_run
    from capacity.report import report
    from capacity.scenario import load_scenario

    folder = Path(folder)
    out = folder / "run"
    if (out / "report.html").is_file():
        scenario = load_scenario(folder / "scenario.toml")
        return out, load_city(scenario.data), scenario, None
    run, city, scenario = sample_plan(folder)
    files = write_run(report(run, city, scenario, formats), out)
    sample_school_age(city, run.unit_demand).to_csv(out / "school_age.csv", index=False)
    return out, city, scenario, files + [out / "school_age.csv"]
