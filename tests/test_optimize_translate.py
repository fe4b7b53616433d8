"""The scenario → problem translation (capacity.optimize.translate)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from capacity.data import load_city
from capacity.optimize import translate
from capacity.scenario import ObjectiveParams, PlanParams, SolverParams, ZoneRule
from capacity.testing import write_tiny_city


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return load_city(write_tiny_city(tmp_path_factory.mktemp("tiny")))


def test_weights_convert_km_and_million_cny():
    w = translate.weights(ObjectiveParams(unserved_weight=500.0, distance_weight=2.0, cost_weight=3.0,
                                          year_decay=0.25, cost_discount_rate=0.04,
                                          lexicographic_tolerance=0.002))
    assert (w.unserved, w.distance, w.cost) == (500.0, 0.002, 3.0e-6)
    assert (w.year_discount, w.cost_discount_rate, w.lexicographic_rel_tol) == (0.25, 0.04, 0.002)


def test_count_rules_from_totals_and_zone_rules():
    plan = PlanParams(totals={"primary": 2}, totals_mode="at_most",
                      zone_rules=(ZoneRule(zone="100002", level="high", action="new", min=1, max=3),))
    rules = translate.count_rules(plan)
    assert [(r.level, r.kind, r.minimum, r.maximum, r.zone) for r in rules] == [
        ("primary", "new", None, 2, None), ("high", "new", 1, 3, "100002")]


def test_solver_options_and_overrides():
    cfg = SolverParams(name="cbc", time_limit_s=30.0, mip_gap=0.02, threads=0)
    opts = translate.solver_options(cfg)
    assert (opts.solver, opts.time_limit, opts.gap_rel, opts.threads, opts.msg) == ("cbc", 30.0, 0.02, None, False)
    seen = []
    more = translate.solver_options(cfg, on_progress=seen.append, threads=1, time_limit=None, gap_rel=0.05)
    # a None override keeps the scenario's value
    assert (more.threads, more.time_limit, more.gap_rel) == (1, 30.0, 0.05)
    assert more.on_progress == seen.append
    with pytest.raises(TypeError):
        translate.solver_options(cfg, no_such_option=1)


def test_plan_demand_selects_years_and_levels():
    units = pd.DataFrame({"unit_id": ["a", "a", "b", "b"], "zone_id": ["z"] * 4,
                          "level": ["primary", "high", "primary", "primary"],
                          "year": [2025, 2025, 2030, 2031], "seats_needed": [1.0, 2.0, 3.0, 4.0]})
    out = translate.plan_demand(units, [2025, 2030], ["primary"])
    assert out.to_dict("list") == {"unit_id": ["a", "b"], "zone_id": ["z", "z"], "level": ["primary"] * 2,
                                   "year": [2025, 2030], "pupils": [1.0, 3.0]}


def test_problem_settings_per_level(city):
    rows = [(u, lv, y, 50.0) for lv in ("kindergarten", "primary") for u in city.demand_units["unit_id"]
            for y in (2025, 2030)]
    demand = pd.DataFrame(rows, columns=["unit_id", "level", "year", "pupils"])
    plan = PlanParams(levels=("kindergarten", "primary"), construction_lag_years=1, allow_expansion=False,
                      budget_cny={"2024": 1.0e8})
    problem, index = translate.problem_from_sections(city, demand, plan, ObjectiveParams())
    assert [lv.name for lv in problem.levels] == ["kindergarten", "primary"]
    # within-zone only for the compulsory levels; the lag and no expansion options for every level
    assert [lv.within_zone for lv in problem.levels] == [False, True]
    assert all(lv.lag_years == 1 for lv in problem.levels)
    assert all(not lv.facilities.existing[lv.options.facility].any() for lv in problem.levels)
    assert np.isinf(problem.budget_cny[[0, 2]]).all() and problem.budget_cny[1] == 1.0e8
    assert set(index) == {"kindergarten", "primary"}


def test_problem_from_scenario_reads_the_scenario_file(tmp_path):
    from capacity.scenario import load_scenario
    from capacity.testing import tiny_ensemble_scenario

    write_tiny_city(tmp_path / "tiny")
    (tmp_path / "s.toml").write_text(tiny_ensemble_scenario(
        {"primary": 1}, "\n[objective]\ndistance_weight = 4.0\n"), encoding="utf-8")
    scenario = load_scenario(tmp_path / "s.toml")
    city = load_city(scenario.data)
    rows = [(u, lv, y, 40.0) for lv in scenario.plan.levels for u in city.demand_units["unit_id"]
            for y in scenario.plan.evaluation_years]
    demand = pd.DataFrame(rows, columns=["unit_id", "level", "year", "pupils"])
    problem, index = translate.problem_from_scenario(scenario, city, demand, levels=["primary", "high"])
    assert [lv.name for lv in problem.levels] == ["primary", "high"]
    assert problem.weights.distance == pytest.approx(0.004)
    assert problem.years.tolist() == [2025, 2030] and problem.build_years.tolist() == [2023, 2024, 2025]
    assert [(r.level, r.maximum) for r in problem.count_rules] == [("primary", 1)]
