"""Unserved pupils split by cause (lag, reach, capacity) on the tiny city, checked by hand (issue 13).

The tiny city's kindergarten level without zone 100002's school k2 and site ks3: the units u5
(urban, 5000/2000) and u6 (rural, 7000/2000) then have no kindergarten or site within their
service distance (k1 is 3,000 m and 5,000 m away; the limits are 1,500 m urban, 3,000 m rural).
50 pupils at each of u1-u4 (200) share k1's 180 seats; 10 at u5 and at u6.

* 2023, a one-year lag: no new seat can count before 2024 (ks1, available 2023, built in 2023,
  counts from 2024), so k1's 20 missing seats are the lag: lag 20, reach 20, capacity 0.
* 2024 and 2025, no new school allowed (plan total at most 0, no expansions): a new seat
  could count, the plan built none: capacity 20, reach 20, lag 0.
* With no lag, 2023's 20 are capacity too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capacity.data.load import load_city
from capacity.optimize import solve
from capacity.optimize.solvers import SolverOptions
from capacity.optimize.translate import problem_from_sections
from capacity.optimize.unserved import (NEVER, cause_summary, first_ready_year, unit_causes,
                                        unserved_by_cause)
from capacity.scenario import ObjectiveParams, PlanParams
from capacity.testing import tiny_frames, write_tiny_city

YEARS = (2023, 2024, 2025)
OPTS = SolverOptions(solver="highs", msg=False, gap_rel=1e-9)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    frames = tiny_frames()
    s, c = frames["schools.gpkg"], frames["candidate_sites.gpkg"]
    frames["schools.gpkg"] = s[s["school_id"] != "k2"].reset_index(drop=True)
    frames["candidate_sites.gpkg"] = c[c["site_id"] != "ks3"].reset_index(drop=True)
    return load_city(write_tiny_city(tmp_path_factory.mktemp("unserved") / "tiny", frames))


def solved(city, lag):
    units = city.demand_units
    pupils = units["zone_id"].eq("100001").map({True: 50.0, False: 10.0})
    demand = pd.DataFrame([(u, "kindergarten", y, n) for u, n in zip(units["unit_id"], pupils) for y in YEARS],
                          columns=["unit_id", "level", "year", "pupils"])
    plan = PlanParams(build_years=YEARS, evaluation_years=YEARS, levels=("kindergarten",),
                      totals={"kindergarten": 0}, totals_mode="at_most", allow_expansion=False,
                      lag_years_by_level={"kindergarten": lag})
    problem, _ = problem_from_sections(city, demand, plan, ObjectiveParams(unserved_weight=1000.0))
    return problem, solve(problem, OPTS)


def split(by_cause):
    return {(int(r.year), r.cause): round(r.pupils, 6) for r in by_cause.itertuples()}


def test_the_first_year_is_the_lag_and_the_far_units_are_reach(city):
    problem, sol = solved(city, lag=1)
    got = split(unserved_by_cause(sol.unserved, problem))
    assert got == {(2023, "lag"): 20, (2023, "reach"): 20, (2023, "capacity"): 0,
                   (2024, "lag"): 0, (2024, "reach"): 20, (2024, "capacity"): 20,
                   (2025, "lag"): 0, (2025, "reach"): 20, (2025, "capacity"): 20}
    # the causes add up to the unserved pupils of every year
    total = sol.unserved.groupby("year")["pupils"].sum()
    assert total.to_dict() == pytest.approx({2023: 40.0, 2024: 40.0, 2025: 40.0})
    s = cause_summary(unserved_by_cause(sol.unserved, problem), problem)
    assert s["by_level_and_year"]["kindergarten"]["2023"] == pytest.approx({"lag": 20, "reach": 20, "capacity": 0})
    assert s["first_ready_year"] == {"kindergarten": 2024}


def test_without_a_lag_the_first_year_is_capacity(city):
    problem, sol = solved(city, lag=0)
    got = split(unserved_by_cause(sol.unserved, problem))
    assert got[(2023, "lag")] == 0 and got[(2023, "capacity")] == 20 and got[(2023, "reach")] == 20


def test_reach_and_first_ready_year_per_unit(city):
    problem, _ = solved(city, lag=1)
    level = problem.levels[0]
    reach, ready = unit_causes(level, problem.build_years)
    ids = list(level.units.ids)
    r = dict(zip(ids, reach))
    assert [r[u] for u in ("u1", "u2", "u3", "u4", "u5", "u6")] == [True, True, True, True, False, False]
    # u1-u4 share k1 (one catchment group with ks1 and ks2): ks1 (available 2023) built in 2023
    # counts from 2024, ks2 (available 2024) from 2025 -> 2024 for all four; u5, u6 reach nothing
    got = dict(zip(ids, ready))
    assert [got[u] for u in ("u1", "u2", "u3", "u4")] == [2024] * 4
    assert got["u5"] == NEVER and got["u6"] == NEVER


def test_first_ready_year_by_hand():
    class Opts:
        n = 3
        earliest_year = np.array([2020, 2024, 2031])

    class Level:
        options, lag_years = Opts(), 2

    # build years 2023-2025: the first allowed build year, plus the lag; none after 2025
    assert first_ready_year(Level(), [2025, 2023, 2024]).tolist() == [2025, 2026, NEVER]


def test_a_group_with_nothing_to_build_is_capacity_not_lag(tmp_path):
    frames = tiny_frames()
    s, c = frames["schools.gpkg"], frames["candidate_sites.gpkg"]
    frames["schools.gpkg"] = s[s["school_id"] != "k2"].reset_index(drop=True)
    frames["candidate_sites.gpkg"] = c[c["level"] != "kindergarten"].reset_index(drop=True)
    problem, sol = solved(load_city(write_tiny_city(tmp_path / "tiny", frames)), lag=1)
    got = split(unserved_by_cause(sol.unserved, problem))
    # no site and no expansion anywhere: k1's shortfall is never relieved by waiting
    assert (got[(2023, "lag")], got[(2023, "capacity")], got[(2023, "reach")]) == (0, 20, 20)
    assert cause_summary(unserved_by_cause(sol.unserved, problem), problem)["first_ready_year"] == {
        "kindergarten": None}


SUMMARY = {"unserved_by_cause": {
    "by_level_and_year": {"kindergarten": {"2023": {"lag": 20.0, "reach": 20.0, "capacity": 0.0},
                                           "2024": {"lag": 0.0, "reach": 20.0, "capacity": 20.4}}},
    "first_ready_year": {"kindergarten": 2024}}}


@pytest.mark.parametrize("lang, words", [
    ("en", ["Before a new school can open", "Out of reach", "Capacity", "kindergarten 2024"]),
    ("zh", ["建设周期", "服务半径外", "学位不足", "幼儿园 2024 年"])])
def test_the_report_table_in_both_languages(lang, words):
    from capacity.report.html import headline_section
    from capacity.report.unserved import unserved_frame

    frame = unserved_frame(SUMMARY, lang)
    assert frame.iloc[:, 2:].values.tolist() == [[40, 20, 20, 0], [40, 0, 20, 20]]   # total = the three
    html = headline_section({**SUMMARY, "schools_by_level": {}}, lang)
    assert all(w in html for w in words), html
    # a run written before the split: no table
    assert unserved_frame({"unserved_pupils": {}}, lang).empty
    assert words[0] not in headline_section({"schools_by_level": {}}, lang)


def test_capacity_run_prints_the_split_of_the_first_year():
    from capacity.pipeline import describe_summary

    s = {"scenario": "x", "status": "optimal", "gap": 0.0, "build_seconds": 0.0, "solve_seconds": 0.0,
         "schools_by_level": {}, "cost_cny_total": 0.0,
         "unserved_pupils": {"kindergarten": {"2023": 40.0, "2024": 40.4}}, **SUMMARY}
    assert describe_summary(s).splitlines()[-1].endswith(
        "unserved pupils in 2023: 40 (before a new school can open 20, out of reach 20, capacity 0)")
