"""Budget coordination by retiming the first round's plans (capacity.optimize.budget), by hand.

A small town, one zone, checks in 2023, 2024, 2025 and 2030 (spans 1, 1, 5 and 1
calendar years), build years 2023-2025. Weights: unserved 1e6 per pupil,
distance 1e-3 per pupil·m, cost 1e-6 per CNY.

* primary: 100 pupils from 2025 at unit p0; candidate site PS (1 km, 120 seats,
  10 M CNY), lag 0, a new school runs at 1 M CNY a year;
* kindergarten: 100 children at k0 every year, served by A (1 km, 200 seats);
  B (2 km, 200 seats) is surplus and may convert to 133 nursery places for
  1.5 M CNY (a need of 100 places at 20,000 CNY each); 100 children at k1 from
  2025 with no school in reach but candidate site KS (1 km, 150 seats, 8 M CNY),
  lag 1; every kindergarten runs at 1 M CNY a year.

Without a budget each new school is built as late as its pupils allow (its running
cost, and any discount, say so): PS in 2025, KS in 2024 (open 2025), B converts in 2023.
"""

import numpy as np
import pandas as pd
import pytest

from capacity.optimize import solve
from capacity.optimize.budget import pinned_options, retime, timing_problem
from capacity.optimize.core import build_model, prepare
from capacity.optimize.decompose import level_problem, levels_to_move, solve_by_level, spending
from capacity.optimize.problem import (Arcs, Closures, CountRule, Facilities, LevelProblem, Operating, Options,
                                       Problem, Units, Weights)
from capacity.optimize.problem_conversions import NurseryCredit
from capacity.optimize.solvers import SolverOptions
from capacity.optimize.special import zone_minimums

OPTS = SolverOptions(solver="highs", msg=False, gap_rel=1e-9)
YEARS = np.array([2023, 2024, 2025, 2030])
BUILD = np.array([2023, 2024, 2025])
LATE = np.array([0.0, 0.0, 100.0, 100.0])  # pupils from 2025 on


def primary(second_site: bool = False) -> LevelProblem:
    """PS; with ``second_site`` also PC (1.1 km, 120 seats, 4 M CNY): PS is better by 0.1 km x 100 pupils
    x 2 checked years x 1e-3 per pupil·m = 20 in distance against 6 in cost."""
    n = 2 if second_site else 1
    return LevelProblem(
        name="primary", units=Units(demand=LATE[None, :], zone=["z"], ids=["p0"]),
        facilities=Facilities(seats=np.zeros(n), existing=np.zeros(n, bool), zone=["z"] * n, ids=["PS", "PC"][:n]),
        options=Options(facility=np.arange(n), seats=np.full(n, 120.0), cost_cny=[10.0e6, 4.0e6][:n]),
        arcs=Arcs(unit=np.zeros(n, int), facility=np.arange(n), distance=[1000.0, 1100.0][:n]),
        operating=Operating(school_cny=np.full(n, 1.0e6)))


def kindergarten() -> LevelProblem:
    return LevelProblem(
        name="kindergarten",
        units=Units(demand=np.vstack([np.full(4, 100.0), LATE]), zone=["z", "z"], ids=["k0", "k1"]),
        facilities=Facilities(seats=[200.0, 200.0, 0.0], existing=[True, True, False], zone=["z"] * 3,
                              ids=["A", "B", "KS"]),
        options=Options(facility=[2], seats=[150.0], cost_cny=[8.0e6]),
        arcs=Arcs(unit=[0, 0, 1], facility=[0, 1, 2], distance=[1000.0, 2000.0, 1000.0]),
        lag_years=1,
        closures=Closures(closable=np.zeros(3, bool), convertible=np.array([False, True, False]),
                          convert_cost_cny=[0.0, 1.5e6, 0.0], convert_to="nursery",
                          nursery=NurseryCredit(places=[0.0, 400.0 / 3, 0.0], zone=["z"], need_places=[100.0],
                                                cny_per_place=20_000.0)),
        operating=Operating(school_cny=np.full(3, 1.0e6)))


def town(budget=(10.0e6, 12.0e6, 5.0e6), rate=0.0, rules=(), more=(), second_site=False) -> Problem:
    weights = Weights(unserved=1e6, distance=1e-3, cost=1e-6, year_discount=1.0, cost_discount_rate=rate)
    return Problem(levels=(kindergarten(), primary(second_site)) + tuple(more), years=YEARS, build_years=BUILD,
                   budget_cny=np.array(budget, float), weights=weights, count_rules=tuple(rules))


def first_round(problem):
    return {lv.name: solve(level_problem(problem, lv.name), OPTS) for lv in problem.levels}


def years_of(sol) -> dict:
    op = sol.opened
    return dict(zip(op["facility"] + ":" + op["kind"], op["open_year"].astype(int)))


def model_cost(problem, opened) -> float:
    """The joint model's cost-part coefficients of the plan's build columns [CNY]."""
    model = build_model(problem, prepare(problem))
    total = 0.0
    for name, lc in model.levels.items():
        p = lc.prepared
        built = opened[(opened["level"] == name) & opened["kind"].isin(["new", "expand"])]
        key = built["option"].to_numpy() * 10_000 + built["open_year"].to_numpy()
        on = np.isin(p.open_option * 10_000 + problem.build_years[p.open_year], key)
        assert on.sum() == len(built)
        total += float(model.parts["cost"][lc.open_cols()[on]].sum())
    return total


def test_the_first_round_builds_late_and_overspends():
    problem = town()
    first = first_round(problem)
    assert years_of(first["primary"]) == {"PS:new": 2025}
    assert years_of(first["kindergarten"]) == {"KS:new": 2024, "B:convert": 2023}
    spent = sum(spending(s, BUILD) for s in first.values())
    np.testing.assert_allclose(spent, [1.5e6, 8.0e6, 10.0e6])
    assert spent[2] > problem.budget_cny[2]
    # nothing is pinned: the town has no level conversion
    assert not any(v.any() for v in pinned_options(problem, {n: s.opened for n, s in first.items()}).values())


def test_running_costs_and_conversions_do_not_stop_the_retiming():
    """PS moves to 2024 (12 M CNY there), so KS must move to 2023 (10 M less the 1.5 M conversion)."""
    problem = town()
    first = first_round(problem)
    sol = solve_by_level(problem, OPTS)
    assert "moved earlier" in sol.report.solver
    assert years_of(sol) == {"PS:new": 2024, "KS:new": 2023, "B:convert": 2023}
    op = sol.opened.set_index("facility")
    assert op.loc["KS", "ready_year"] == 2024 and op.loc["PS", "ready_year"] == 2024
    np.testing.assert_allclose(spending(sol, BUILD), [9.5e6, 10.0e6, 0.0])
    # no discount: only the running costs move, one more year (2024's span) for each new school
    before = sum(s.report.objective for s in first.values())
    assert sol.report.objective == pytest.approx(before + 1e-6 * 2.0e6, rel=1e-12)
    assert sol.report.objective_parts["cost"] == pytest.approx(
        sum(s.report.objective_parts["cost"] for s in first.values()) + 2.0e6, rel=1e-12)
    # same assignments, closures and conversions; the bound is the budget-free one
    pd.testing.assert_frame_equal(sol.assignments, pd.concat([first[n].assignments for n in ("kindergarten",
                                                                                             "primary")],
                                                             ignore_index=True))
    assert sol.report.best_bound == pytest.approx(sum(s.report.best_bound for s in first.values()))


def test_the_retimed_objective_is_the_models():
    """With an 8 % discount: construction and running cost both move, as the joint model counts them."""
    problem = town(rate=0.08)
    first = first_round(problem)
    sol = solve_by_level(problem, OPTS)
    assert years_of(sol) == {"PS:new": 2024, "KS:new": 2023, "B:convert": 2023}
    d = 1.08 ** -np.arange(3.0)  # 2023, 2024, 2025
    by_hand = 10e6 * (d[1] - d[2]) + 8e6 * (d[0] - d[1]) + 1e6 * d[1] + 1e6 * d[1]
    cost_first = sum(s.report.objective_parts["cost"] for s in first.values())
    assert sol.report.objective_parts["cost"] - cost_first == pytest.approx(by_hand, rel=1e-9)
    # the joint model's cost coefficients of the two plans' build columns differ by the same amount
    loose = pd.concat([first[n].opened.assign(level=n) for n in first], ignore_index=True)
    assert model_cost(problem, sol.opened) - model_cost(problem, loose) == pytest.approx(by_hand, rel=1e-9)
    # the plan with every choice fixed and its pupils re-assigned scores the same (nobody gains from the
    # earlier openings: no pupils there before 2025), and the joint optimum is no worse
    from capacity.optimize.api import disaggregate

    fixed = disaggregate(problem, sol.opened, OPTS)
    assert fixed.report.objective == pytest.approx(sol.report.objective, rel=1e-9)
    joint = solve(problem, OPTS)
    assert joint.report.objective <= sol.report.objective + 1e-6
    assert sol.report.best_bound <= joint.report.objective + 1e-6


def test_a_school_that_must_open_by_the_plan_end_keeps_that_rule():
    """A special school (lag 1, open by 2025: no start in 2025; 2 M CNY) is built in 2024, then moved to 2023
    with KS so that PS fits 2024 (moving PS to 2023 instead would cost more: 1 M CNY more running)."""
    special = LevelProblem(
        name="special", units=Units(demand=np.array([[0.0, 0.0, 0.0, 10.0]]), zone=["z"], ids=["s0"]),
        facilities=Facilities(seats=[0.0], existing=[False], zone=["z"], ids=["SS"]),
        options=Options(facility=[0], seats=[20.0], cost_cny=[2.0e6]),
        arcs=Arcs(unit=[0], facility=[0], distance=[5000.0]), lag_years=1)
    rules = zone_minimums("special", ["z"], [2023, 2024, 2025], lag_years=1, plan_end=2025)
    assert [(r.year, r.maximum) for r in rules] == [(None, 1), (2025, 0)]
    problem = town(budget=(15.0e6, 10.5e6, 5.0e6), rate=0.08, rules=rules, more=(special,))
    first = first_round(problem)
    assert years_of(first["special"]) == {"SS:new": 2024}  # as late as the rule allows
    sol = solve_by_level(problem, OPTS)
    assert "moved earlier" in sol.report.solver
    assert years_of(sol) == {"PS:new": 2024, "KS:new": 2023, "B:convert": 2023, "SS:new": 2023}
    ss = sol.opened.query("facility == 'SS'")
    assert ss["ready_year"].tolist() == [2024] and ss["open_year"].tolist() == [2023]
    assert np.all(spending(sol, BUILD) <= problem.budget_cny * (1 + 1e-9))


def test_a_count_rule_of_a_year_holds_in_the_timing_model():
    """No new kindergarten may start in 2023: KS cannot move there, so the primary school goes to 2023."""
    no_2023 = CountRule(level="kindergarten", kind="new", maximum=0, year=2023)
    problem = town(budget=(12.0e6, 10.0e6, 5.0e6), rules=(no_2023,))
    first = first_round(problem)
    assert years_of(first["kindergarten"])["KS:new"] == 2024
    sol = retime(problem, first, OPTS)
    assert years_of(sol) == {"PS:new": 2023, "KS:new": 2024, "B:convert": 2023}
    timing = timing_problem(problem, {n: s.opened for n, s in first.items()})
    assert timing.count_rules == problem.count_rules
    np.testing.assert_allclose(timing.budget_cny, [12.0e6 - 1.5e6, 10.0e6, 5.0e6])  # conversion taken off


def test_when_no_retiming_earlier_fits_years_and_assignments_are_chosen_jointly():
    """2023 has 9 M CNY: with the 1.5 M conversion neither new school fits there, and 2024 takes only
    one, so no retiming *earlier* keeps to the budgets. With the sites kept, the joint model of their years
    converts B a year later (2024, beside PS) and starts KS in 2023: the joint optimum."""
    problem = town(budget=(9.0e6, 12.0e6, 5.0e6))
    first = first_round(problem)
    assert retime(problem, first, OPTS) is None
    loose = SolverOptions(solver="highs", msg=False, gap_rel=0.05)  # the budget-free bound is 0.2 % lower
    sol = solve_by_level(problem, loose)
    assert "build years and assignments of the chosen schools jointly" in sol.report.solver
    assert sol.report.gap <= 0.05
    assert years_of(sol) == {"PS:new": 2024, "KS:new": 2023, "B:convert": 2024}
    np.testing.assert_allclose(spending(sol, BUILD), [8.0e6, 11.5e6, 0.0])
    joint = solve(problem, OPTS)
    assert sol.report.objective == pytest.approx(joint.report.objective, rel=1e-9)
    assert sol.report.best_bound == pytest.approx(sum(s.report.best_bound for s in first.values()))
    assert sol.report.best_bound <= joint.report.objective + 1e-6
    # option positions are the whole problem's: the plan evaluates to the same objective
    from capacity.optimize.api import disaggregate

    assert disaggregate(problem, sol.opened, OPTS).report.objective == pytest.approx(sol.report.objective, rel=1e-9)
    # both rounds' solver time is reported: two level solves and the joint one of the chosen sites
    assert len(sol.report.stages) == 3
    # asked for an exact gap (the budget-free bound is lower), the levels are solved again with budget
    # shares started from that plan: no worse, and every call's time is reported
    exact = solve_by_level(problem, OPTS)
    assert "budget split by shares" in exact.report.solver
    assert exact.report.objective <= sol.report.objective + 1e-9
    assert np.all(spending(exact, BUILD) <= problem.budget_cny * (1 + 1e-9))
    assert len(exact.report.stages) >= 4
    assert exact.report.solve_seconds == pytest.approx(sum(st.solve_seconds for st in exact.report.stages))


def test_levels_to_move_by_hand():
    budget = np.array([100.0, 100.0, 100.0])
    # year 2 is over (180): without a the others fit, without b they do not
    spent = {"a": np.array([0.0, 150.0, 0.0]), "b": np.array([0.0, 30.0, 50.0]), "c": np.array([60.0, 0.0, 0.0])}
    assert levels_to_move(budget, spent) == ["a"]
    # either level alone frees enough: the smaller effort moves
    two = {"a": np.array([0.0, 80.0, 0.0]), "b": np.array([0.0, 60.0, 0.0])}
    assert levels_to_move(budget, two) == ["b"]
    assert levels_to_move(budget, two, {"a": 1.0, "b": 5.0}) == ["a"]
    # a year without a budget never binds; when every level must move there is no partial round
    assert levels_to_move(np.array([np.inf, 100.0, np.inf]), {"a": np.array([500.0, 50.0, 0.0])}) is None
    assert levels_to_move(budget, {"a": np.array([0.0, 150.0, 0.0]), "b": np.array([0.0, 150.0, 0.0])}) is None


def test_when_the_chosen_sites_cannot_keep_to_the_budgets_only_the_level_that_must_move_is_solved_again():
    """Budgets 9 / 9 / 5 M CNY and exactly one new primary school: PS (10 M CNY) fits no year, so neither
    retiming nor the chosen sites' years help. The kindergartens spend nothing in 2025 and fit alone, so
    only the primary level is solved again, with what they leave: 7.5 / 1 / 5 M CNY. It takes PC
    (4 M CNY) in 2025 instead of PS: 6 less cost, 20 more distance."""
    one = CountRule(level="primary", kind="new", minimum=1, maximum=1)
    problem = town(budget=(9.0e6, 9.0e6, 5.0e6), second_site=True, rules=(one,))
    first = first_round(problem)
    assert years_of(first["primary"]) == {"PS:new": 2025}
    assert retime(problem, first, OPTS) is None
    from capacity.optimize.budget import replan_years

    assert replan_years(problem, first, OPTS) is None
    loose = SolverOptions(solver="highs", msg=False, gap_rel=0.05)
    sol = solve_by_level(problem, loose)
    assert sol.report.solver.endswith("(by level, primary re-solved for the budget)")
    assert years_of(sol) == {"PC:new": 2025, "KS:new": 2024, "B:convert": 2023}
    np.testing.assert_allclose(spending(sol, BUILD), [1.5e6, 8.0e6, 4.0e6])
    assert sol.report.objective == pytest.approx(first["kindergarten"].report.objective
                                                 + first["primary"].report.objective + 20.0 - 6.0, rel=1e-9)
    assert sol.report.best_bound == pytest.approx(sum(s.report.best_bound for s in first.values()))
    assert sol.report.gap <= 0.05
    # three solver calls: both levels once, the primary level again
    assert len(sol.report.stages) == 3
    # asked for a tighter gap, the levels are solved again from that plan (budget shares), no worse
    exact = solve_by_level(problem, OPTS)
    assert "budget split by shares" in exact.report.solver
    assert exact.report.objective <= sol.report.objective + 1e-9
    assert np.all(spending(exact, BUILD) <= problem.budget_cny * (1 + 1e-9))


def test_sites_kept_problem_keeps_the_chosen_options_and_their_conversion_links():
    from test_conversions import primary_to_kindergarten

    from capacity.optimize.budget import sites_kept_problem

    problem = primary_to_kindergarten(kg_site=True)  # kindergarten options: 0 on P2's place (linked), 1 on site S
    plan = pd.DataFrame({"option": [1, 0], "kind": ["new", "new"]})
    kept, where = sites_kept_problem(problem, {"kindergarten": plan})
    np.testing.assert_array_equal(where["kindergarten"], [0, 1])
    assert len(kept.conversions) == 1 and list(kept.conversions[0].option) == [0]
    only_s, where = sites_kept_problem(problem, {"kindergarten": plan.iloc[:1]})
    np.testing.assert_array_equal(where["kindergarten"], [1])
    assert only_s.level("kindergarten").options.cost_cny.tolist() == [20.0e6]
    assert only_s.conversions == () and only_s.level("primary").options.n == 0


def test_the_objective_constant_moves_nothing_in_the_retiming():
    """Counting the existing schools' running costs (``Weights.existing_running``) adds the same constant to
    the first round and to the retimed plan: the plan and the moved cost stay those of the test above."""
    import dataclasses

    from capacity.optimize.closures import existing_running_cny

    base = town(rate=0.08)
    problem = dataclasses.replace(base, weights=dataclasses.replace(base.weights, existing_running=True))
    plain, whole = solve_by_level(base, OPTS), solve_by_level(problem, OPTS)
    assert years_of(whole) == years_of(plain) == {"PS:new": 2024, "KS:new": 2023, "B:convert": 2023}
    constant = existing_running_cny(problem)
    assert constant > 0
    assert whole.report.objective_parts["cost"] == pytest.approx(plain.report.objective_parts["cost"] + constant,
                                                                 rel=1e-9)
    assert whole.report.objective == pytest.approx(plain.report.objective + 1e-6 * constant, rel=1e-9)
