"""Tests of capacity.optimize on a tiny city whose optimum can be checked by hand.

The city (one level, ``primary``; evaluation and build years 2023, 2024)::

    units    zone    pupils 2023  2024
    A        north         100     100
    B        north          50     150
    C        mohan          30      30

    facilities  zone   existing seats  land m²
    E0          north  yes       120    10,000
    E1          mohan  yes        20     5,000
    S0          north  no          0    20,000   option: 100 seats, 10 M CNY
    S1          north  no          0     5,000   option: 100 seats,  6 M CNY
    S2          mohan  no          0     8,000   option:  50 seats,  5 M CNY

    arcs (m): A–E0 1000, A–S0 500, A–S1 300, B–E0 2000, B–S0 800, B–S1 400,
              C–E1 700, C–S2 200

Land standard 60 m²/pupil: a 100-seat school needs 6,000 m², so S1 (5,000 m²)
cannot take its option; S0 and S2 can. Existing seats alone leave north
short by 30 (2023) and 130 (2024) and Mohan by 10 each year.
"""

from dataclasses import replace

import numpy as np
import pytest

from capacity.errors import InfeasibleError
from capacity.optimize import (Arcs, CountRule, Facilities, LevelProblem, Options, Problem, SolverOptions,
                               Units, Weights, plan_total, solve)
from capacity.optimize.solvers import parse_cbc_log, relative_gap

L = "primary"


def city(**level_changes) -> LevelProblem:
    lv = LevelProblem(
        name=L,
        units=Units(demand=[[100, 100], [50, 150], [30, 30]], zone=["north", "north", "mohan"],
                    ids=["A", "B", "C"]),
        facilities=Facilities(seats=[120, 20, 0, 0, 0], existing=[1, 1, 0, 0, 0],
                              zone=["north", "mohan", "north", "north", "mohan"],
                              land_m2=[10_000, 5_000, 20_000, 5_000, 8_000],
                              ids=["E0", "E1", "S0", "S1", "S2"]),
        options=Options(facility=[2, 3, 4], seats=[100, 100, 50], cost_cny=[10e6, 6e6, 5e6]),
        arcs=Arcs(unit=[0, 0, 0, 1, 1, 1, 2, 2], facility=[0, 2, 3, 0, 2, 3, 1, 4],
                  distance=[1000, 500, 300, 2000, 800, 400, 700, 200]),
        land_m2_per_pupil=60.0, within_zone=True)
    return replace(lv, **level_changes)


def problem(level=None, rules=(plan_total(L, 1),), **changes) -> Problem:
    p = Problem(levels=(level or city(),), years=[2023, 2024], build_years=[2023, 2024],
                count_rules=tuple(rules))
    return replace(p, **changes)


HIGHS = SolverOptions(solver="highs", gap_rel=1e-9)


def unserved_by_year(sol):
    return sol.unserved.groupby("year")["pupils"].sum().reindex([2023, 2024], fill_value=0).round(6).tolist()


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_plan_total_opens_the_best_site_first_year(solver):
    sol = solve(problem(), SolverOptions(solver=solver, gap_rel=1e-9))
    assert sol.report.status == "optimal"
    assert sol.opened[["facility", "open_year", "seats"]].values.tolist() == [["S0", 2023, 100.0]]
    # north: 220 seats vs 150 / 250 pupils; Mohan 20 seats vs 30 pupils
    assert unserved_by_year(sol) == [10.0, 40.0]
    assert sol.report.gap <= 1e-6 and np.isfinite(sol.report.best_bound)
    assert sol.report.build_seconds > 0 and sol.report.solve_seconds >= 0


def test_capacity_and_arcs_are_respected():
    sol = solve(problem(), HIGHS)
    load = sol.assignments.groupby(["facility", "year"])["pupils"].sum()
    seats = {"E0": 120, "E1": 20, "S0": 100}
    for (f, _), pupils in load.items():
        assert pupils <= seats[f] + 1e-6
    arcs = {("A", "E0"), ("A", "S0"), ("A", "S1"), ("B", "E0"), ("B", "S0"), ("B", "S1"), ("C", "E1"), ("C", "S2")}
    assert set(zip(sol.assignments.unit, sol.assignments.facility)) <= arcs
    # every pupil is served or counted unserved
    total = sol.assignments.pupils.sum() + sol.unserved.pupils.sum()
    assert total == pytest.approx(100 + 50 + 30 + 100 + 150 + 30)
    # 2023: nearest-first — B's 50 (saves 1200 m each) and 50 of A go to S0
    s0 = sol.assignments.query("facility == 'S0' and year == 2023").set_index("unit").pupils
    assert s0.to_dict() == pytest.approx({"A": 50.0, "B": 50.0})


def test_opening_year_and_construction_lag():
    late = city(options=Options(facility=[2, 3, 4], seats=[100, 100, 50], cost_cny=[10e6, 6e6, 5e6],
                                earliest_year=[2024, 2023, 2023]))
    sol = solve(problem(late), HIGHS)
    # S0 only from 2024; S2 (Mohan, 10 short) beats S0 built late (north: 30 short in 2023 then 30 in 2024)?
    # S0 in 2024: unserved 30+10 (2023) + 30+10 (2024) = 80; S2 in 2023: 30 + 130 = 160 -> S0 in 2024.
    assert sol.opened[["facility", "open_year"]].values.tolist() == [["S0", 2024]]
    assert unserved_by_year(sol) == [40.0, 40.0]
    lag = solve(problem(city(lag_years=1)), HIGHS)
    row = lag.opened.iloc[0]
    assert (row.facility, row.open_year, row.ready_year) == ("S0", 2023, 2024)
    assert unserved_by_year(lag) == [40.0, 40.0]


def test_unserved_penalty_opens_both_when_allowed():
    sol = solve(problem(rules=(plan_total(L, 2, "at_most"),)), HIGHS)
    assert sorted(sol.opened.facility) == ["S0", "S2"]
    assert unserved_by_year(sol) == [0.0, 30.0]
    assert sol.report.objective_parts["unserved"] == pytest.approx(30 * 0.9)  # 2024 weighs 0.9
    # with no unserved weight the cost makes building anything a loss
    free = solve(problem(rules=(plan_total(L, 2, "at_most"),),
                         weights=Weights(unserved=0.0, distance=0.0, cost=1.0)), HIGHS)
    assert free.opened.empty


def test_budget_binds():
    sol = solve(problem(rules=(plan_total(L, 1),), budget_cny=[8e6, 8e6]), HIGHS)
    assert sol.opened.facility.tolist() == ["S2"]
    assert sol.opened.cost_cny.sum() <= 8e6


def test_zone_minimum():
    rules = (plan_total(L, 1), CountRule(L, "new", minimum=1, zone="mohan"))
    sol = solve(problem(rules=rules), HIGHS)
    assert sol.opened.facility.tolist() == ["S2"]
    assert sol.opened.zone.tolist() == ["mohan"]


def test_expansion_and_zone_rule_on_expansions():
    lv = city(options=Options(facility=[2, 3, 4, 1], seats=[100, 100, 50, 20], cost_cny=[10e6, 6e6, 5e6, 1e6]))
    rules = (plan_total(L, 1), CountRule(L, "expand", minimum=1, zone="mohan"))
    sol = solve(problem(lv, rules=rules), HIGHS)
    got = sorted(zip(sol.opened.facility, sol.opened.kind))
    assert got == [("E1", "expand"), ("S0", "new")]
    assert unserved_by_year(sol) == [0.0, 30.0]


def test_single_sourcing():
    lv = LevelProblem(
        name="x", units=Units(demand=[60, 60], zone=["z", "z"]),
        facilities=Facilities(seats=[100], existing=[True], zone=["z"]),
        options=Options(facility=np.zeros(0), seats=np.zeros(0), cost_cny=np.zeros(0)),
        arcs=Arcs(unit=[0, 1], facility=[0, 0], distance=[1.0, 2.0]))
    p = Problem(levels=(lv,), years=[2023], build_years=[2023])
    multi = solve(p, HIGHS)
    assert multi.unserved.pupils.sum() == pytest.approx(20)
    single = solve(replace(p, levels=(replace(lv, single_sourcing=True),)), HIGHS)
    assert single.unserved.pupils.sum() == pytest.approx(60)
    assert single.assignments.pupils.tolist() == [60.0]
    assert single.assignments.unit.tolist() == [0]  # the nearer unit gets the seats


def test_land_filter():
    with_land = solve(problem(), HIGHS)
    assert "S1" not in with_land.opened.facility.tolist()
    no_rule = solve(problem(city(land_m2_per_pupil=None)), HIGHS)
    # S1 is closer to A and B and cheaper than S0
    assert no_rule.opened.facility.tolist() == ["S1"]


def test_lexicographic_matches_weighted_plan():
    w = solve(problem(), HIGHS)
    lex = solve(problem(objective="lexicographic"), HIGHS)
    assert lex.opened.facility.tolist() == w.opened.facility.tolist()
    assert [s.objective_part for s in lex.report.stages] == ["unserved", "distance", "cost"]
    assert lex.report.objective_parts["unserved"] == pytest.approx(w.report.objective_parts["unserved"], abs=1e-3)
    assert lex.report.objective_parts["distance"] == pytest.approx(w.report.objective_parts["distance"], rel=1e-3)


def test_extra_constraints_hook():
    def forbid_s0(model):
        ov = model.open_variables(L)
        for var in ov.loc[ov.facility == 2, "var"]:
            model.prob += var == 0

    sol = solve(problem(), HIGHS, extra_constraints=forbid_s0)
    assert sol.opened.facility.tolist() == ["S2"]


# -- pre-checks -------------------------------------------------------------

def test_precheck_zone_minimum_without_land():
    rules = (plan_total(L, 1), CountRule(L, "new", minimum=1, zone="mohan"))
    with pytest.raises(InfeasibleError, match=r"zone mohan needs 1 new primary school .* ≥ 10,000 m² of land"):
        solve(problem(city(land_m2_per_pupil=200.0), rules=rules), HIGHS)


def test_precheck_plan_total_exceeds_sites():
    with pytest.raises(InfeasibleError, match="plan total of 3 new primary schools exceeds the 2 candidate sites"):
        solve(problem(rules=(plan_total(L, 3),)), HIGHS)


def test_precheck_budget_of_year():
    rules = (CountRule(L, "new", minimum=1, year=2023),)
    with pytest.raises(InfeasibleError, match="budget of year 2023 .* cannot pay for the cheapest required school"):
        solve(problem(rules=rules, budget_cny=[1e6, 50e6]), HIGHS)


def test_precheck_total_budget():
    with pytest.raises(InfeasibleError, match="cannot pay"):
        solve(problem(rules=(plan_total(L, 2),), budget_cny=[4e6, 4e6]), HIGHS)


def test_precheck_no_school_in_reach():
    lv = city(allow_unserved=False, arcs=Arcs(unit=[0, 1], facility=[0, 0], distance=[1.0, 1.0]))
    with pytest.raises(InfeasibleError, match="unit C has 30 pupils in 2023 but no school within reach"):
        solve(problem(lv), HIGHS)


def test_solver_proves_infeasible():
    # all demand must be seated but the plan allows one school only
    with pytest.raises(InfeasibleError, match="proved"):
        solve(problem(city(allow_unserved=False)), HIGHS)


# -- small helpers ------------------------------------------------------------

def test_parse_cbc_log_stopped_on_time():
    log = ("Result - Stopped on time limit\n\nObjective value:                7830.00000000\n"
           "Lower bound:                    7790.500\nGap:                            0.01\n"
           "Total time (CPU seconds):       60.02   (Wallclock seconds):       60.10\n")
    got = parse_cbc_log(log)
    assert got == {"result": "Stopped on time limit", "objective": 7830.0, "bound": 7790.5, "seconds": 60.1}
    assert relative_gap(7830.0, 7790.5) == pytest.approx(39.5 / 7830.0)


def test_levels_share_the_budget():
    # two levels on the same tiny city, each must open one school; 2023's budget
    # (12 M CNY) cannot pay for both levels' preferred S0 (10 M each) in 2023
    other = replace(city(), name="middle")
    p = Problem(levels=(city(), other), years=[2023, 2024], build_years=[2023, 2024], budget_cny=[12e6, 50e6],
                count_rules=(plan_total(L, 1), plan_total("middle", 1)))
    sol = solve(p, HIGHS)
    assert sorted(sol.opened.level) == ["middle", "primary"]
    spent = sol.opened.groupby("open_year")["cost_cny"].sum()
    assert spent.get(2023, 0) <= 12e6 and spent.get(2024, 0) <= 50e6
    # one S0 in 2023, the other level's S0 delayed to 2024 (weighted unserved 122)
    # beats S0 + S2 both in 2023 (15 M, over budget) and S0 2023 + S2 2024 (203)
    assert sorted(zip(sol.opened.facility, sol.opened.open_year)) == [("S0", 2023), ("S0", 2024)]


def test_unknown_solver_is_a_solver_error():
    from capacity.errors import SolverError

    with pytest.raises(SolverError, match="unknown solver 'gurobi'"):
        solve(problem(), SolverOptions(solver="gurobi"))


def test_calendar_year_weighting_is_a_present_value():
    """``Weights.calendar_years``: each checked year counts for the calendar years up to the next one,
    discounted like costs — 2023 stands for 2023–2025 (3 years), 2026 for itself, at 10 %: 3 and 1/1.1³."""
    w = Weights(unserved=1.0, distance=1.0e-3, cost=1.0e-6, cost_discount_rate=0.10, calendar_years=True)
    p = problem(rules=(plan_total(L, 2, "at_most"),), years=[2023, 2026], weights=w)
    uw, dw = p.year_weights()
    assert uw == pytest.approx([3.0, 1.1 ** -3]) and dw == pytest.approx(uw)
    decay = problem(years=[2023, 2026])
    assert decay.year_weights()[0] == pytest.approx([1.0, 0.9]) and decay.year_weights()[1] == pytest.approx([1, 1])
    sol = solve(p, HIGHS)
    un = sol.unserved.groupby("year")["pupils"].sum().reindex([2023, 2026], fill_value=0.0).to_numpy()
    a = sol.assignments
    dist = (a["pupils"] * a["distance"]).groupby(a["year"]).sum().reindex([2023, 2026], fill_value=0.0).to_numpy()
    parts = sol.report.objective_parts
    assert parts["unserved"] == pytest.approx(float(un @ uw))
    assert parts["distance"] == pytest.approx(float(dist @ dw))
    assert sol.report.objective == pytest.approx(parts["unserved"] + 1e-3 * parts["distance"] + 1e-6 * parts["cost"])
