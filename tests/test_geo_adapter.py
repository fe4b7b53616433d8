"""The geo adapter (capacity.optimize.geo) and the run tables (capacity.results) on the tiny city."""

import numpy as np
import pandas as pd
import pytest

from capacity.data import load_city
from capacity.optimize.core import solve
from capacity.optimize.geo import build_arcs, build_options
from capacity.optimize.translate import problem_from_sections
from capacity.optimize.solvers import SolverOptions
from capacity.results import assignment_table, plan_table, zone_balance_table
from capacity.scenario import ObjectiveParams, PlanParams, ZoneRule
from capacity.testing import write_tiny_city


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return load_city(write_tiny_city(tmp_path_factory.mktemp("tiny")))


def flat_demand(city, per_unit):
    rows = [(u, lv, y, n) for lv, n in per_unit.items() for u in city.demand_units["unit_id"]
            for y in (2025, 2030)]
    return pd.DataFrame(rows, columns=["unit_id", "level", "year", "pupils"])


def test_options_respect_land(city):
    std = city.standards["primary"]  # 45 per class, 20 m²/pupil
    sites = city.candidate_sites[city.candidate_sites["level"] == "primary"].reset_index(drop=True)
    schools = city.schools[city.schools["level"] == "primary"].reset_index(drop=True)
    opts = build_options(std, sites, schools, site_offset=len(schools), allow_expansion=True)
    got = sorted(zip(opts["facility"].tolist(), opts["classes"].tolist()))
    # ps1 (11,000 m²): 6 classes (5,400 m²) and 12 classes (10,800 m²) fit;
    # ps2 (6,000 m²): only 6 classes; p1 (540 seats, 12,000 m²): +6 → 810 × 20 = 16,200 m² > 12,000: no;
    # p2 (270 seats, 6,000 m²): +6 → 540 × 20 = 10,800 m² > 6,000: no.
    assert got == [(2, 6), (2, 12), (3, 6)]
    assert opts["cost_cny"][0] == pytest.approx(6 * 45 * 8 * 6000 * 1.0)
    assert opts["earliest_year"].tolist() == [2023, 2023, 2024]


def test_arcs_use_urban_and_rural_radius(city):
    std = city.standards["kindergarten"]  # 1,500 m urban, 3,000 m rural
    units = np.array([[0.0, 0.0], [0.0, 0.0]])
    urban = np.array([True, False])
    fac = np.array([[1000.0, 0.0], [2000.0, 0.0], [4000.0, 0.0]])
    u, f, d = build_arcs(units, urban, fac, std)
    assert list(zip(u.tolist(), f.tolist())) == [(0, 0), (1, 0), (1, 1)]
    assert d.tolist() == [1000.0, 1000.0, 2000.0]


def test_small_plan_end_to_end(city):
    demand = flat_demand(city, {"kindergarten": 60, "primary": 150, "middle": 120, "high": 100})
    plan = PlanParams(totals={"kindergarten": 1, "primary": 1},
                      zone_rules=(ZoneRule(zone="100002", level="high", action="new", min=1),))
    problem, index = problem_from_sections(city, demand, plan, ObjectiveParams())
    sol = solve(problem, SolverOptions())
    assert sol.report.status == "optimal"
    plan_df = plan_table(sol, index)
    assert (plan_df.query("level == 'kindergarten'")["action"] == "new").sum() == 1
    assert (plan_df.query("level == 'primary'")["action"] == "new").sum() == 1
    assert ((plan_df["level"] == "high") & (plan_df["zone_id"] == "100002")).any()
    assign = assignment_table(sol)
    # every assignment is within the level's distance limit
    lim = {lv: city.standards[lv].max_distance_rural_m for lv in city.standards}
    assert (assign["distance_m"] <= assign["level"].map(lim) + 1e-6).all()
    balance = zone_balance_table(city, demand, plan_df, sol, [2025, 2030])
    # pupils are conserved: demand = assigned + unserved, per level and year
    for (lv, yr), grp in balance.groupby(["level", "year"]):
        seated = assign.query("level == @lv and year == @yr")["pupils"].sum()
        assert grp["demand"].sum() == pytest.approx(seated + grp["unserved"].sum())
    # 6 units × 60 kindergarten pupils = 360; 270 existing seats + one new school
    k = balance.query("level == 'kindergarten' and year == 2025")
    assert k["demand"].sum() == pytest.approx(360)
    assert k["seats"].sum() == pytest.approx(270 + plan_df.query("level == 'kindergarten'")["seats"].sum())


def test_cost_discount_defers_spending_to_the_last_build_year(city):
    demand = flat_demand(city, {"kindergarten": 60, "primary": 150, "middle": 120, "high": 100})
    plan = PlanParams(totals={"kindergarten": 1, "primary": 1})
    problem, index = problem_from_sections(city, demand, plan, ObjectiveParams(cost_discount_rate=0.05))
    sol = solve(problem, SolverOptions(gap_rel=1e-9))
    opened = plan_table(sol, index)
    assert len(opened) >= 2
    # seats are checked from 2025 on, so a discounted cost makes every school open in 2025
    assert (opened["open_year"] == 2025).all()
    # and the reported cost part is the present value: 2 years at 5 %
    assert sol.report.objective_parts["cost"] == pytest.approx(opened["cost_cny"].sum() / 1.05 ** 2)
