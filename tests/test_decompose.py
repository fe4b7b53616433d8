"""Level-by-level solving with a certified gap (capacity.optimize.decompose)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from capacity.data import load_city
from capacity.optimize.core import solve
from capacity.errors import SolverError
from capacity.optimize.core import apply_start, build_model, prepare
from capacity.optimize.decompose import budget_shares, solve_by_level, spending
from capacity.optimize.translate import problem_from_sections
from capacity.optimize.solvers import SolverOptions
from capacity.scenario import ObjectiveParams, PlanParams
from capacity.testing import flat_unit_demand

EXACT = SolverOptions(gap_rel=1e-9)


@pytest.fixture(scope="module")
def problem(tiny_city_template):
    city = load_city(tiny_city_template)
    demand = flat_unit_demand(city)
    plan = PlanParams(totals={"kindergarten": 1, "primary": 1, "middle": 1, "high": 1})
    return problem_from_sections(city, demand, plan, ObjectiveParams())[0]


def test_by_level_equals_joint_when_budget_is_loose(problem):
    joint = solve(problem, EXACT)
    split = solve_by_level(problem, EXACT)
    assert split.report.objective == pytest.approx(joint.report.objective, rel=1e-7)
    assert split.report.best_bound <= split.report.objective + 1e-6
    assert split.report.gap < 1e-6
    assert sorted(split.opened["facility"]) == sorted(joint.opened["facility"])


def test_binding_budget_is_respected_and_gap_is_honest(problem):
    loose = solve_by_level(problem, EXACT)
    spent = spending(loose, problem.build_years)
    # every year gets 3/4 of the unconstrained plan's largest yearly spending: that year must shed
    cap = 0.75 * spent.max()
    tight = dataclasses.replace(problem, budget_cny=np.full(spent.shape, cap))
    assert spent.max() > cap
    joint = solve(tight, EXACT)
    split = solve_by_level(tight, EXACT)
    assert np.all(spending(split, tight.build_years) <= tight.budget_cny * (1 + 1e-6))
    # the split solution is feasible, so no better than the joint optimum,
    # and its bound (the budget-free relaxation) is below the joint optimum
    assert split.report.objective >= joint.report.objective - 1e-6
    assert split.report.best_bound <= joint.report.objective + 1e-6
    assert split.report.gap == pytest.approx(
        (split.report.objective - split.report.best_bound) / split.report.objective)
    assert split.report.solve_seconds == pytest.approx(sum(st.solve_seconds for st in split.report.stages))


# a solver that may not search: whatever it returns comes from the MIP start
NO_SEARCH = {
    "highs": {"mip_max_nodes": 0, "mip_heuristic_effort": 0.0, "presolve": "off",
              "mip_heuristic_run_feasibility_jump": False},
    # CBC applies a start to its preprocessed model, which may have ruled the
    # start's build years out as dominated (tie in the objective): preprocess off
    "cbc": {"maxNodes": 0, "heur": "off", "cuts": "off", "preprocess": "off"},
}


def test_apply_start_sets_the_plans_build_columns(problem):
    best = solve(problem, EXACT)
    model = build_model(problem, prepare(problem))
    assert apply_start(model, best.opened) == len(best.opened)
    for lc in model.levels.values():
        values = [model.columns[c].varValue for c in lc.open_cols()]
        assert sum(values) == 1 and set(values) == {0.0, 1.0}


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_start_plan_is_the_mip_start(problem, solver):
    best = solve(problem, EXACT)
    blind = SolverOptions(solver=solver, gap_rel=1e-9, solver_params=NO_SEARCH[solver])
    with pytest.raises(SolverError):  # no search, no start: no solution
        solve(problem, blind)
    started = solve(problem, blind, start=best.opened)  # the start is completed (assignments) and kept
    assert started.report.objective == pytest.approx(best.report.objective, rel=1e-7)
    assert sorted(started.opened["facility"]) == sorted(best.opened["facility"])


def test_budget_shares_by_hand():
    budget = np.array([100.0, 100.0, 100.0])
    spent = {"a": np.array([0.0, 150.0, 0.0]), "b": np.array([0.0, 0.0, 50.0])}
    # without a start: each level gets its share of all spending (150/200, 50/200) of every year
    plain = budget_shares(budget, spent)
    np.testing.assert_allclose(plain["a"], [75, 75, 75])
    np.testing.assert_allclose(plain["b"], [25, 25, 25])
    # a start that keeps to the budget: its own split, year by year (2023 unused: the plain shares)
    start = pd.DataFrame({"level": ["a", "b", "a"], "open_year": [2024, 2024, 2025],
                          "cost_cny": [60.0, 40.0, 100.0]})
    shares = budget_shares(budget, spent, start, [2023, 2024, 2025])
    np.testing.assert_allclose(shares["a"], [75, 60, 100])
    np.testing.assert_allclose(shares["b"], [25, 40, 0])
    # a start over budget is ignored
    over = start.assign(cost_cny=[90.0, 40.0, 100.0])
    np.testing.assert_allclose(budget_shares(budget, spent, over, [2023, 2024, 2025])["a"], [75, 75, 75])


def test_by_level_from_a_start_is_never_worse_than_it(problem):
    loose = solve_by_level(problem, EXACT)
    cap = 0.75 * spending(loose, problem.build_years).max()
    tight = dataclasses.replace(problem, budget_cny=np.full(problem.build_years.size, cap))
    joint = solve(tight, EXACT)  # a plan that keeps to the budget
    blind = SolverOptions(gap_rel=1e-9, solver_params=NO_SEARCH["highs"])
    split = solve_by_level(tight, blind, start=joint.opened)
    assert np.all(spending(split, tight.build_years) <= tight.budget_cny * (1 + 1e-6))
    assert split.report.objective <= joint.report.objective * (1 + 1e-7)


def test_budget_round_with_the_joint_optimum_as_start_finds_it(problem):
    # with a cost discount every level builds as late as it can, all in the same year
    late = dataclasses.replace(problem, weights=dataclasses.replace(problem.weights, cost_discount_rate=0.08))
    loose = solve_by_level(late, EXACT)
    cap = 0.5 * spending(loose, late.build_years).max()
    tight = dataclasses.replace(late, budget_cny=np.full(late.build_years.size, cap))
    joint = solve(tight, EXACT)
    split = solve_by_level(tight, EXACT, start=joint.opened)
    # the first round overspends; the second splits each year's budget as the joint optimum
    # spends it, so that optimum is feasible level by level and is found again
    assert "budget split by shares" in split.report.solver
    assert split.report.objective == pytest.approx(joint.report.objective, rel=1e-7)
    # both rounds' solver time is reported: every level once, and again each level that had to move
    assert len(tight.levels) < len(split.report.stages) <= 2 * len(tight.levels)
    assert split.report.solve_seconds == pytest.approx(sum(st.solve_seconds for st in split.report.stages))


def test_budget_kept_by_moving_build_years_earlier(problem):
    """Cost discount: the levels all build in the last year; retiming keeps their schools and assignments."""
    late = dataclasses.replace(problem, weights=dataclasses.replace(problem.weights, cost_discount_rate=0.08))
    loose = solve_by_level(late, EXACT)
    spent = spending(loose, late.build_years)
    assert spent[:-1].sum() == 0 and spent[-1] > 0  # everything in the last build year
    cap = 0.6 * spent[-1]
    tight = dataclasses.replace(late, budget_cny=np.full(late.build_years.size, cap))
    split = solve_by_level(tight, EXACT)
    assert "moved earlier" in split.report.solver
    assert np.all(spending(split, tight.build_years) <= tight.budget_cny * (1 + 1e-6))
    assert np.all(spending(split, tight.build_years)[:-1] > 0) or spending(split, tight.build_years)[-2] > 0
    # same sites, sizes and assignments; only years (and so the discounted cost) moved
    key = ["level", "facility", "option"]
    pd.testing.assert_frame_equal(split.opened[key], loose.opened[key])
    pd.testing.assert_frame_equal(split.assignments, loose.assignments)
    assert (split.opened["open_year"] <= loose.opened["open_year"]).all()
    assert (split.opened["ready_year"] == split.opened["open_year"] + 0).all()
    # the objective is that of the moved plan: the first round's plus the extra discounted cost
    w = tight.weights
    extra = (split.report.objective_parts["cost"] - loose.report.objective_parts["cost"]) * w.cost
    assert extra > 0
    assert split.report.objective == pytest.approx(loose.report.objective + extra, rel=1e-9)
    # evaluated as a fixed plan it scores the same; its bound is the budget-free one
    from capacity.optimize import evaluate

    assert evaluate(tight, split.opened, EXACT).report.objective == pytest.approx(split.report.objective, rel=1e-7)
    assert split.report.best_bound == pytest.approx(loose.report.best_bound)
    joint = solve(tight, EXACT)
    assert joint.report.objective <= split.report.objective + 1e-6
    assert split.report.gap == pytest.approx((split.report.objective - split.report.best_bound)
                                             / split.report.objective)


def test_budget_too_small_to_retime_falls_back_to_shares(problem):
    late = dataclasses.replace(problem, weights=dataclasses.replace(problem.weights, cost_discount_rate=0.08))
    loose = solve_by_level(late, EXACT)
    # the unconstrained plan builds high school hs2 (18 M CNY; land free from 2025 only) in 2025
    hs2 = loose.opened.query("facility == 'hs2'")
    assert hs2["cost_cny"].tolist() == [18e6] and hs2["open_year"].tolist() == [2025]
    # 2025's budget cannot pay for it, so no retiming of that plan keeps to the budgets: another plan is needed
    tight = dataclasses.replace(late, budget_cny=np.array([30e6, 30e6, 10e6]))
    split = solve_by_level(tight, EXACT)
    assert "moved earlier" not in split.report.solver and "hs2" not in set(split.opened["facility"])
    assert np.all(spending(split, tight.build_years) <= tight.budget_cny * (1 + 1e-6))


def test_levels_in_worker_processes_give_the_same_plan(problem):
    from capacity.optimize.parallel import PARALLEL_MIN_ARCS, workers_for

    serial = solve_by_level(problem, dataclasses.replace(EXACT, level_workers=1))
    two = solve_by_level(problem, dataclasses.replace(EXACT, level_workers=2))
    assert two.report.objective == pytest.approx(serial.report.objective, rel=1e-9)
    pd.testing.assert_frame_equal(two.opened, serial.opened)
    # the automatic choice keeps a model this small in this process
    from capacity.optimize.decompose import level_problem

    parts = {lv.name: level_problem(problem, lv.name) for lv in problem.levels}
    assert sum(lv.arcs.n for lv in problem.levels) < PARALLEL_MIN_ARCS
    assert workers_for(parts, EXACT) == 1 and workers_for(parts, dataclasses.replace(EXACT, level_workers=8)) == 4


def test_budget_shares_small_level_keeps_its_project():
    """One 24-unit project of a small level is not cut to a pro-rata slice of every year."""
    budget = np.array([100.0, 100.0, 100.0])
    spent = {"big": np.array([150.0, 150.0, 150.0]), "small": np.array([0.0, 4.0, 0.0])}
    shares = budget_shares(budget, spent)
    np.testing.assert_allclose(shares["small"], [0.0, 4.0, 0.0])
    np.testing.assert_allclose(shares["big"], [100.0, 96.0, 100.0])
    # the shares of every year add up to its budget
    np.testing.assert_allclose(shares["big"] + shares["small"], budget)


def test_status_is_optimal_only_when_the_certified_gap_is_no_wider_than_the_calls():
    """Two level calls each optimal at 0.5 %; their union judged against a weaker bound is not optimal."""
    from capacity.optimize.result import SolveReport
    from capacity.optimize.solvers import RunResult

    calls = [RunResult("optimal", 100.0, 99.5, 0.005, 0.0, 1.0, "highs"),
             RunResult("optimal", 100.0, 99.5, 0.005, 0.0, 1.0, "highs")]
    kw = dict(build_seconds=0.0, solver="highs", n_variables=1, n_constraints=1)
    union = SolveReport.from_stages(calls, 200.0, {}, 199.0, **kw)  # the sum of their bounds: 0.5 %
    assert union.status == "optimal" and union.gap == pytest.approx(0.005)
    shares = SolveReport.from_stages(calls, 200.0, {}, 180.0, **kw)  # a budget-free bound: 10 %
    assert shares.status == "feasible" and shares.gap == pytest.approx(0.1)
