"""The optimiser's one solve path (capacity.optimize.api): methods, hooks, fixed plans, one report type."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from capacity.data import load_city
from capacity.optimize import (LE, RunResult, SolverOptions, StageReport, evaluate, relative_gap, solve)
from capacity.optimize.translate import problem_from_sections
from capacity.scenario import ObjectiveParams, PlanParams
from capacity.testing import flat_unit_demand

EXACT = SolverOptions(gap_rel=1e-9)


@pytest.fixture(scope="module")
def problem(tiny_city_template):
    city = load_city(tiny_city_template)
    demand = flat_unit_demand(city)
    plan = PlanParams(totals={"kindergarten": 1, "primary": 1, "middle": 1, "high": 1}, totals_mode="at_most")
    return problem_from_sections(city, demand, plan, ObjectiveParams())[0]


def forbid(level: str, site):
    """A user hook: no option of ``site`` at ``level`` (a row Σ y ≤ 0 on its build columns)."""
    calls = []

    def hook(model):
        calls.append(sorted(model.levels))
        if level not in model.levels:
            return
        ov = model.open_variables(level)
        lv = model.levels[level].prepared.level
        cols = model.levels[level].open_cols()[lv.facilities.ids[ov["facility"].to_numpy()] == site]
        if cols.size:
            model.add_rows("forbid", np.zeros(cols.size), cols, np.ones(cols.size), LE, [0.0])

    hook.calls = calls
    return hook


@pytest.mark.parametrize("method", ["joint", "by_level", "auto"])
def test_extra_constraints_reach_every_method(problem, method):
    free = solve(problem, EXACT, method=method)
    chosen = free.opened.query("level == 'kindergarten' and kind == 'new'")["facility"].tolist()
    assert len(chosen) == 1
    hook = forbid("kindergarten", chosen[0])
    sol = solve(problem, EXACT, method=method, extra_constraints=hook)
    k = sol.opened.query("level == 'kindergarten'")["facility"].tolist()
    assert chosen[0] not in k
    assert sol.report.objective >= free.report.objective - 1e-6
    # by level the hook sees each level's model alone; jointly, one model with all levels
    if method == "joint":
        assert hook.calls == [sorted(lv.name for lv in problem.levels)]
    else:
        assert sorted(c[0] for c in hook.calls) == sorted(lv.name for lv in problem.levels)
        assert all(len(c) == 1 for c in hook.calls)


def test_methods_agree_without_budget(problem):
    joint = solve(problem, EXACT, method="joint")
    split = solve(problem, EXACT, method="by_level")
    assert split.report.objective == pytest.approx(joint.report.objective, rel=1e-7)
    assert "by level" in split.report.solver and "by level" not in joint.report.solver


def test_unknown_method_is_refused(problem):
    with pytest.raises(ValueError, match="method 'fast'"):
        solve(problem, EXACT, method="fast")


def test_evaluate_a_fixed_plan_is_the_same_solve(problem):
    sol = solve(problem, EXACT)
    ev = evaluate(problem, sol.opened, EXACT)
    # the optimum's own assignments are optimal for its plan: same objective, an LP (gap 0)
    assert ev.report.objective == pytest.approx(sol.report.objective, rel=1e-7)
    assert ev.report.status == "optimal" and ev.report.gap == pytest.approx(0.0, abs=1e-9)
    pd.testing.assert_frame_equal(ev.opened, sol.opened)
    # a worse plan (the optimum without its kindergarten school) costs more on the same demand
    fewer = sol.opened[sol.opened["level"] != "kindergarten"].reset_index(drop=True)
    worse = evaluate(problem, fewer, EXACT)
    assert worse.report.objective_parts["unserved"] > sol.report.objective_parts["unserved"]


def test_objective_hook_replaces_the_weighted_objective(problem):
    """Minimising cost alone builds nothing (every total is 'at most')."""
    sol = solve(problem, EXACT, objective=lambda model: model.parts["cost"].copy())
    assert sol.opened.empty
    assert sol.report.stages[0].objective_part == "custom"
    with pytest.raises(ValueError, match="coefficients"):
        solve(problem, EXACT, objective=lambda model: np.zeros(3))


def test_one_report_type_and_one_gap(problem):
    tight = dataclasses.replace(problem, budget_cny=np.full(problem.build_years.size, 1.2e8))
    for sol in (solve(problem, EXACT), solve(tight, EXACT, method="by_level")):
        r = sol.report
        assert StageReport is RunResult and all(isinstance(s, RunResult) for s in r.stages)
        assert r.gap == pytest.approx(relative_gap(r.objective, r.best_bound))
        assert r.solve_seconds == pytest.approx(sum(s.solve_seconds for s in r.stages))
        assert r.status in ("optimal", "feasible")
