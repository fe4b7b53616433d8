"""Closures, conversions, protection, lags, lagged spending and carried-over projects, by hand (issue 13).

Every instance is small enough to check on paper: one or two demand units,
two or three schools, distances in metres, costs in CNY. Weights: distance
1e-3 per pupil·m, cost 1e-6 per CNY, unserved 1e6 per pupil.
"""

import numpy as np
import pytest

from capacity.optimize import solve
from capacity.optimize.problem import (Arcs, Closures, Facilities, LevelProblem, Operating, Options, Problem,
                                       ProblemError, Units, Weights)
from capacity.optimize.solvers import SolverOptions

W = Weights(unserved=1e6, distance=1e-3, cost=1e-6, year_discount=1.0)
OPTS = SolverOptions(solver="highs", msg=False, gap_rel=1e-9)


def two_schools(demand=100.0, closable=(True, True), convertible=(False, False), convert_cost=0.0,
                years=(2026, 2027), build=(2026, 2027), limit=None, running=1.0e6):
    """One unit, schools A (1 km) and B (2 km), 200 seats each, running cost ``running`` a year each."""
    T = len(years)
    lv = LevelProblem(
        name="primary",
        units=Units(demand=np.full((1, T), demand), zone=["z"]),
        facilities=Facilities(seats=[200.0, 200.0], existing=[True, True], zone=["z", "z"], ids=["A", "B"]),
        options=Options(facility=np.zeros(0, int), seats=np.zeros(0), cost_cny=np.zeros(0)),
        arcs=Arcs(unit=[0, 0], facility=[0, 1], distance=[1000.0, 2000.0]),
        closures=Closures(closable=np.array(closable), convertible=np.array(convertible),
                          convert_cost_cny=np.full(2, convert_cost), convert_to="nursery places",
                          max_per_zone_year=limit),
        operating=Operating(school_cny=np.full(2, running)),
    )
    return Problem(levels=(lv,), years=np.array(years), build_years=np.array(build), weights=W)


def test_a_surplus_school_closes_in_the_first_year_and_its_pupils_move():
    # keeping B costs 2 years x 1e6 CNY = 2.0; its pupils are better off at A anyway
    sol = solve(two_schools(), OPTS)
    closed = sol.opened[sol.opened["kind"] == "close"]
    assert list(closed["facility"]) == ["B"] and list(closed["open_year"]) == [2026]
    assert list(closed["seats"]) == [-200.0]
    a = sol.assignments
    assert set(a["facility"]) == {"A"} and a["pupils"].sum() == pytest.approx(200.0)
    # cost part: minus the running cost saved over 2026-2027
    assert sol.report.objective_parts["cost"] == pytest.approx(-2.0e6)


def test_the_nearer_school_stays_when_only_one_may_close():
    sol = solve(two_schools(closable=(True, True)), OPTS)
    assert "A" not in set(sol.opened["facility"])


def test_a_protected_school_never_closes():
    sol = solve(two_schools(closable=(False, False)), OPTS)
    assert sol.opened.empty


def test_no_closure_while_the_school_is_needed():
    # 300 pupils: both schools' 400 seats are needed, closing one leaves 100 unserved
    sol = solve(two_schools(demand=300.0), OPTS)
    assert sol.opened.empty and sol.unserved.empty


def test_a_school_needed_until_demand_falls_closes_the_year_after():
    lv_problem = two_schools(demand=300.0)
    lv = lv_problem.levels[0]
    units = Units(demand=np.array([[300.0, 150.0]]), zone=["z"])
    import dataclasses

    p = dataclasses.replace(lv_problem, levels=(dataclasses.replace(lv, units=units),))
    sol = solve(p, OPTS)
    closed = sol.opened[sol.opened["kind"] == "close"]
    assert list(closed["facility"]) == ["B"] and list(closed["open_year"]) == [2027]


def test_conversion_when_it_pays_and_its_cost_counts():
    # B may only convert: saving 2.0e6 of running cost for 0.5e6 of works
    sol = solve(two_schools(closable=(False, False), convertible=(False, True), convert_cost=0.5e6), OPTS)
    conv = sol.opened[sol.opened["kind"] == "convert"]
    assert list(conv["facility"]) == ["B"] and list(conv["cost_cny"]) == [0.5e6]
    assert conv["label"].iloc[0] == "to nursery places"
    assert sol.report.objective_parts["cost"] == pytest.approx(-2.0e6 + 0.5e6)
    # too dear: 3e6 of works to save 2e6 -> B stays
    sol = solve(two_schools(closable=(False, False), convertible=(False, True), convert_cost=3.0e6), OPTS)
    assert sol.opened.empty


def test_at_most_one_closure_per_zone_and_year():
    # three surplus schools, 1 pupil; two may close, one per year at most
    lv = LevelProblem(
        name="kindergarten", units=Units(demand=np.ones((1, 3)), zone=["z"]),
        facilities=Facilities(seats=[50.0] * 3, existing=[True] * 3, zone=["z"] * 3, ids=["A", "B", "C"]),
        options=Options(facility=np.zeros(0, int), seats=np.zeros(0), cost_cny=np.zeros(0)),
        arcs=Arcs(unit=[0, 0, 0], facility=[0, 1, 2], distance=[100.0, 200.0, 300.0]),
        closures=Closures(closable=np.array([True] * 3), convertible=np.zeros(3, bool),
                          convert_cost_cny=np.zeros(3), max_per_zone_year=1),
        operating=Operating(school_cny=np.full(3, 1.0e6)))
    p = Problem(levels=(lv,), years=np.array([2026, 2027, 2028]), build_years=np.array([2026, 2027, 2028]),
                weights=W)
    sol = solve(p, OPTS)
    closed = sol.opened.sort_values("open_year")
    assert list(closed["open_year"]) == [2026, 2027]      # not both in 2026
    assert set(closed["facility"]) == {"B", "C"}          # A, the nearest, stays


def new_site(lag, budget, demand_from=2027):
    """One unit of 100 pupils from ``demand_from``; a site for a 100-seat school costing 10e6 CNY."""
    years = np.array([2026, 2027, 2028])
    demand = np.where(years >= demand_from, 100.0, 0.0)[None, :]
    lv = LevelProblem(
        name="primary", units=Units(demand=demand, zone=["z"]),
        facilities=Facilities(seats=[0.0], existing=[False], zone=["z"], ids=["S"]),
        options=Options(facility=[0], seats=[100.0], cost_cny=[10.0e6]),
        arcs=Arcs(unit=[0], facility=[0], distance=[500.0]), lag_years=lag)
    return Problem(levels=(lv,), years=years, build_years=np.array([2026, 2027]),
                   budget_cny=np.array(budget, float), weights=W)


def test_a_lag_of_one_year_starts_the_school_a_year_before_it_opens():
    sol = solve(new_site(lag=1, budget=[np.inf, np.inf]), OPTS)
    row = sol.opened.iloc[0]
    assert (row["open_year"], row["ready_year"]) == (2026, 2027)   # start 2026, seats count 2027
    assert sol.unserved.empty


def test_a_two_year_build_spreads_its_cost_over_the_budget_years():
    # lag 2: started 2026, spends 5e6 in 2026 and 5e6 in 2027, opens 2028 (2027's pupils unserved)
    sol = solve(new_site(lag=2, budget=[6.0e6, 6.0e6]), OPTS)
    row = sol.opened.iloc[0]
    assert (row["open_year"], row["ready_year"]) == (2026, 2028)
    assert sol.unserved["year"].tolist() == [2027]
    # with lag 1 all 10e6 falls in one year: over a 6e6 budget, nothing can be built
    sol = solve(new_site(lag=1, budget=[6.0e6, 6.0e6]), OPTS)
    assert sol.opened.empty and sorted(sol.unserved["year"]) == [2027, 2028]


def test_a_carried_over_project_opens_in_its_year_and_is_not_re_decided():
    years = np.array([2026, 2027])
    lv = LevelProblem(
        name="primary", units=Units(demand=np.full((1, 2), 100.0), zone=["z"]),
        facilities=Facilities(seats=[120.0], existing=[True], zone=["z"], ids=["P"], open_from=[2027]),
        options=Options(facility=np.zeros(0, int), seats=np.zeros(0), cost_cny=np.zeros(0)),
        arcs=Arcs(unit=[0], facility=[0], distance=[500.0]))
    sol = solve(Problem(levels=(lv,), years=years, build_years=years, weights=W), OPTS)
    assert sol.opened.empty
    assert sol.unserved["year"].tolist() == [2026] and sol.unserved["pupils"].sum() == pytest.approx(100.0)
    assert sol.assignments["year"].tolist() == [2027]


def test_a_carried_over_expansion_adds_its_seats_from_its_year():
    years = np.array([2026, 2027])
    lv = LevelProblem(
        name="primary", units=Units(demand=np.full((1, 2), 150.0), zone=["z"]),
        facilities=Facilities(seats=[100.0], existing=[True], zone=["z"], ids=["P"],
                              added_seats=[90.0], added_from=[2027]),
        options=Options(facility=np.zeros(0, int), seats=np.zeros(0), cost_cny=np.zeros(0)),
        arcs=Arcs(unit=[0], facility=[0], distance=[500.0]))
    sol = solve(Problem(levels=(lv,), years=years, build_years=years, weights=W), OPTS)
    assert sol.unserved.set_index("year")["pupils"].to_dict() == pytest.approx({2026: 50.0})


def test_only_existing_schools_may_close():
    with pytest.raises(ProblemError, match="only existing"):
        LevelProblem(
            name="primary", units=Units(demand=np.ones((1, 1)), zone=["z"]),
            facilities=Facilities(seats=[0.0], existing=[False], zone=["z"]),
            options=Options(facility=[0], seats=[10.0], cost_cny=[1.0]),
            arcs=Arcs(unit=[0], facility=[0], distance=[1.0]),
            closures=Closures(closable=[True], convertible=[False], convert_cost_cny=[0.0]))


def test_year_span_covers_every_year_once():
    p = two_schools(years=(2023, 2024, 2025, 2030), build=(2023, 2024, 2025))
    assert p.year_span().tolist() == [1, 1, 5, 1]


def test_by_level_retiming_moves_other_levels_and_keeps_closures():
    # level "primary": school B closes (as above); level "middle": two new schools, both wanted for
    # 2027 and cheapest when built last (discount), but 2027's budget holds only one of them
    import dataclasses

    shrinking = two_schools(years=(2027,), build=(2026, 2027))
    lv_a = shrinking.levels[0]
    lv_b = LevelProblem(
        name="middle", units=Units(demand=np.array([[100.0], [100.0]]), zone=["z", "z"]),
        facilities=Facilities(seats=[0.0, 0.0], existing=[False, False], zone=["z", "z"], ids=["S1", "S2"]),
        options=Options(facility=[0, 1], seats=[100.0, 100.0], cost_cny=[10.0e6, 10.0e6]),
        arcs=Arcs(unit=[0, 1], facility=[0, 1], distance=[500.0, 500.0]))
    w = dataclasses.replace(W, cost_discount_rate=0.1)
    p = Problem(levels=(lv_a, lv_b), years=np.array([2027]), build_years=np.array([2026, 2027]),
                budget_cny=np.array([15.0e6, 15.0e6]), weights=w)
    sol = solve(p, OPTS, method="by_level")
    assert "moved earlier" in sol.report.solver
    mid = sol.opened[sol.opened["level"] == "middle"]
    assert sorted(mid["open_year"]) == [2026, 2027]
    closed = sol.opened[sol.opened["kind"] == "close"]
    assert list(closed["facility"]) == ["B"]
    # the objective is the joint model's at this plan: built and solved jointly it is no better
    joint = solve(p, OPTS, method="joint")
    assert sol.report.objective == pytest.approx(joint.report.objective, rel=1e-9)


def test_existing_running_costs_are_a_constant_of_the_objective():
    """``Weights(existing_running=True)``: the objective also counts both schools' running cost over the two
    years, 2 x 2 x 1e6 CNY; the plan (B closes) and every other part stay; B's closure saves 2e6 of it."""
    import dataclasses

    from capacity.optimize.closures import existing_running_cny

    p = two_schools()
    q = dataclasses.replace(p, weights=dataclasses.replace(W, existing_running=True))
    assert existing_running_cny(q) == pytest.approx(4.0e6)
    base, whole = solve(p, OPTS), solve(q, OPTS)
    assert whole.opened[["facility", "kind"]].values.tolist() == base.opened[["facility", "kind"]].values.tolist()
    assert whole.report.objective_parts["cost"] == pytest.approx(base.report.objective_parts["cost"] + 4.0e6)
    assert whole.report.objective_parts["cost"] == pytest.approx(2.0e6)  # A runs two years
    assert whole.report.objective == pytest.approx(base.report.objective + 4.0)
    assert whole.report.best_bound == pytest.approx(base.report.best_bound + 4.0)
