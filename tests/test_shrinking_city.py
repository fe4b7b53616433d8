"""A shrinking, phased system on the tiny city, checked by hand (issue 13).

The tiny city (its kindergarten candidate sites removed: only existing schools) gets a second kindergarten ``k3`` of 150 seats at (2100, 2000), 100 m from
``k1`` (180 seats): both reach the four urban units of zone 100001 (within 1,500 m). With
50 kindergarten pupils at each of those units (200 in all; 10 at each unit of zone
100002, served by k2) one school alone is too small
(180 or 150 seats), so

* a merger — close k3, expand k1 by one 3-class module (90 seats; 90 × 9 m² × 5,000 CNY/m²
  = 4.05e6 CNY) — saves 3e6 CNY of running cost a year, 9e6 over 2026–2028 (> 4.05e6): the
  plan closes k3 in 2026 and names k1 its receiving school;
* when k3 may only convert (to nursery places, 1,000 CNY a seat = 0.15e6), it converts;
* a protected k3 stays;
* with a one-year lag the expansion started in 2026 opens in 2027, so k3 is needed in 2026
  and closes in 2027 (saving 2 × 3e6 = 6e6 > 4.05e6);
* a carried-over k3 (``open_year`` 2027 in schools.gpkg) has no seats in 2026 and cannot close;
* k2, the only kindergarten within the rural maximum (3,000 m) of the rural unit u6, is a
  sole rural school: protected by default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from capacity.data.load import load_city
from capacity.optimize import solve
from capacity.optimize.geo import sole_rural_schools
from capacity.optimize.solvers import SolverOptions
from capacity.optimize.translate import problem_from_sections
from capacity.results import plan_table
from capacity.rollover import rollover_tables
from capacity.scenario import ObjectiveParams, PlanParams
from capacity.testing import X0, Y0, tiny_frames, write_tiny_city

YEARS = (2026, 2027, 2028)
OPTS = SolverOptions(solver="highs", msg=False, gap_rel=1e-9)


def city_with_k3(folder, k3_open_year=None):
    frames = tiny_frames()
    s = frames["schools.gpkg"]
    k3 = s[s["school_id"] == "k1"].copy()
    k3["school_id"], k3["name"], k3["seats"], k3["classes"], k3["land_m2"] = "k3", "K three", 150, 5, 2500
    k3["geometry"] = [Point(X0 + 2100, Y0 + 2000)]
    s = pd.concat([s, k3], ignore_index=True)
    s.loc[s["school_id"] == "k1", "land_m2"] = 5000.0   # room for one 3-class expansion: 270 × 15 = 4,050 m²
    if k3_open_year is not None:
        s["open_year"] = np.where(s["school_id"] == "k3", k3_open_year, np.nan)
    frames["schools.gpkg"] = s.set_crs(frames["schools.gpkg"].crs, allow_override=True)
    sites = frames["candidate_sites.gpkg"]
    frames["candidate_sites.gpkg"] = sites[sites["level"] != "kindergarten"].reset_index(drop=True)
    return load_city(write_tiny_city(folder / "tiny", frames))


def demand(city):
    units = city.demand_units
    pupils = units["zone_id"].eq("100001").map({True: 50.0, False: 10.0})
    return pd.DataFrame([(u, "kindergarten", y, n) for u, n in zip(units["unit_id"], pupils) for y in YEARS],
                        columns=["unit_id", "level", "year", "pupils"])


def plan_of(city, **plan_keys):
    keys = dict(build_years=YEARS, evaluation_years=YEARS, levels=("kindergarten",),
                operating_cost_cny_per_school={"kindergarten": 3.0e6}, closure_levels=("kindergarten",))
    keys.update(plan_keys)
    plan = PlanParams(**keys)
    # distance nearly free (0.001 per pupil-km: under 1 in all) so the running costs decide, by hand
    objective = ObjectiveParams(unserved_weight=1000.0, distance_weight=0.001, cost_weight=1.0, year_decay=1.0)
    problem, index = problem_from_sections(city, demand(city), plan, objective)
    sol = solve(problem, OPTS)
    return plan_table(sol, index, city.schools), sol


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return city_with_k3(tmp_path_factory.mktemp("shrink"))


def test_a_merger_closes_k3_and_expands_k1(city):
    plan, sol = plan_of(city)
    close = plan[plan["action"] == "close"]
    grow = plan[plan["action"] == "expand"]
    assert list(close["site_id"]) == ["k3"] and list(close["open_year"]) == [2026]
    assert list(close["seats"]) == [-150.0] and list(close["size_classes"]) == [5]
    assert list(grow["site_id"]) == ["k1"] and list(grow["seats"]) == [90.0]
    assert grow["cost_cny"].iloc[0] == pytest.approx(4.05e6)
    assert close["receiving_school_id"].iloc[0] == "k1"              # a merger
    assert sol.unserved.empty
    a = sol.assignments
    assert set(a.loc[a["unit"].isin(["u1", "u2", "u3", "u4"]), "facility"]) == {"k1"}
    assert set(a.loc[a["unit"].isin(["u5", "u6"]), "facility"]) == {"k2"}
    # cost part: 4.05e6 built − 3 years × 3e6 saved (k1 and k2 run anyway: a constant, left out)
    assert sol.report.objective_parts["cost"] == pytest.approx(4.05e6 - 9.0e6)


def test_a_conversion_when_only_conversions_are_allowed(city):
    plan, _ = plan_of(city, closure_levels=(), conversions={"kindergarten": "nursery places"},
                      conversion_cost_cny_per_seat={"kindergarten": 1000.0})
    conv = plan[plan["action"] == "convert"]
    assert list(conv["site_id"]) == ["k3"] and list(conv["convert_to"]) == ["nursery places"]
    assert conv["cost_cny"].iloc[0] == pytest.approx(150 * 1000.0)
    assert list(plan.loc[plan["action"] == "expand", "site_id"]) == ["k1"]


def test_a_protected_school_stays(city):
    plan, _ = plan_of(city, protected_schools=("k3",))
    assert not plan["action"].isin(["close", "convert"]).any()


def test_a_lag_delays_the_closure_until_the_expansion_opens(city):
    plan, sol = plan_of(city, lag_years_by_level={"kindergarten": 1})
    grow = plan[plan["action"] == "expand"].iloc[0]
    assert (grow["start_year"], grow["ready_year"]) == (2026, 2027)
    close = plan[plan["action"] == "close"].iloc[0]
    assert (close["site_id"], close["open_year"]) == ("k3", 2027)
    assert sol.unserved.empty


def test_a_carried_over_school_opens_in_its_year_and_is_not_closed(tmp_path):
    city = city_with_k3(tmp_path, k3_open_year=2027)
    plan, sol = plan_of(city, allow_expansion=False)
    assert plan.empty                                           # k3 is not re-decided, nor closed
    a = sol.assignments
    assert a.loc[(a["facility"] == "k3") & (a["year"] == 2026), "pupils"].sum() == 0
    assert a.loc[(a["facility"] == "k3") & (a["year"] == 2027), "pupils"].sum() > 0
    # 2026: only k1's 180 seats for 200 pupils
    assert sol.unserved.groupby("year")["pupils"].sum().to_dict() == pytest.approx({2026: 20.0})


def test_the_sole_rural_kindergarten_is_protected_by_default(city):
    # kindergarten arcs of the tiny city: u6 (rural, 7000/2000) reaches only k2 (6000/2000) within 3,000 m
    schools = city.schools[city.schools["level"] == "kindergarten"].reset_index(drop=True)
    units = city.demand_units
    xy_u = np.column_stack([units.geometry.x, units.geometry.y])
    xy_s = np.column_stack([schools.geometry.x, schools.geometry.y])
    d = np.hypot(*(xy_u[:, None, :] - xy_s[None, :, :]).transpose(2, 0, 1))
    urban = units["urban"].to_numpy(bool)
    reach = d <= np.where(urban, 1500.0, 3000.0)[:, None]
    u, f = np.nonzero(reach)
    sole = sole_rural_schools(len(schools), u, f, urban)
    assert list(schools.loc[sole, "school_id"]) == ["k2"]


def test_rollover_counts_add_up(city):
    plan, _ = plan_of(city)
    sites = city.candidate_sites
    new_row = pd.DataFrame([{"site_id": "ps1", "level": "primary", "zone_id": "100001", "action": "new",
                             "size_classes": 12, "seats": 540.0, "open_year": 2027, "ready_year": 2028,
                             "cost_cny": 1.0, "x": 0.0, "y": 0.0}])
    plan = pd.concat([plan, new_row], ignore_index=True)
    schools, left, counts = rollover_tables(city.schools, sites, plan, new_base=2028)
    c = counts.set_index("level")
    assert tuple(c.loc["kindergarten", ["existing", "new", "closed", "next"]]) == (3, 0, 1, 2)
    assert tuple(c.loc["primary", ["existing", "new", "closed", "next"]]) == (2, 1, 0, 3)
    assert (c["next"] == c["existing"] + c["new"] - c["closed"] - c["converted"]).all()
    s = schools.set_index("school_id")
    assert "k3" not in s.index and s.loc["k1", "seats"] == 180 + 90 and s.loc["k1", "classes"] == 6 + 3
    assert s.loc["ps1", "provenance"] == "planned" and s.loc["ps1", "open_year"] == 2028
    assert "ps1" not in set(left["site_id"]) and len(left) == len(sites) - 1


def test_capacity_rollover_of_a_tiny_run_validates_and_adds_up(tmp_path):
    from capacity.cli import main
    from capacity.testing import TINY_SCENARIO

    write_tiny_city(tmp_path / "tiny")
    (tmp_path / "tiny.toml").write_text(TINY_SCENARIO, encoding="utf-8")
    assert main(["run", str(tmp_path / "tiny.toml"), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    out = tmp_path / "next"
    assert main(["rollover", str(tmp_path / "run"), "--out", str(out), "--quiet"]) == 0
    assert main(["validate", str(out)]) == 0
    plan = pd.read_csv(tmp_path / "run" / "plan.csv")
    counts = pd.read_csv(out / "rollover_counts.csv").set_index("level")
    before = load_city(tmp_path / "tiny").schools.groupby("level").size()
    after = load_city(out)
    for level, n in before.items():
        new = int(((plan["level"] == level) & (plan["action"] == "new")).sum())
        shut = int(((plan["level"] == level) & plan["action"].isin(["close", "convert"])).sum())
        assert counts.loc[level, "next"] == n + new - shut == int((after.schools["level"] == level).sum())
    assert after.meta["base_year"] == 2025                          # the plan's last build year
    assert (after.schools.loc[after.schools["provenance"] == "planned", "school_id"].sort_values().tolist()
            == plan.loc[plan["action"] == "new", "site_id"].sort_values().tolist())
    # the inputs are untouched, and a second rollover into the same folder needs --force
    assert main(["rollover", str(tmp_path / "run"), "--out", str(out), "--quiet"]) == 1


def test_an_unknown_protected_school_is_an_error_naming_the_key(city):
    from capacity.errors import ScenarioError

    with pytest.raises(ScenarioError, match="plan.protected_schools.*k9"):
        plan_of(city, protected_schools=("k9",))
