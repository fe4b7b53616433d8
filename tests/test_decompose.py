"""Level-by-level solving with a certified gap (capacity.optimize.decompose)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from capacity.data import load_city
from capacity.optimize.core import solve
from capacity.optimize.decompose import solve_by_level, spending
from capacity.optimize.geo import build_problem
from capacity.optimize.solvers import SolverOptions
from capacity.scenario import ObjectiveParams, PlanParams
from capacity.testing import write_tiny_city

EXACT = SolverOptions(gap_rel=1e-9)


@pytest.fixture(scope="module")
def problem(tmp_path_factory):
    city = load_city(write_tiny_city(tmp_path_factory.mktemp("tiny")))
    rows = [(u, lv, y, n) for lv, n in {"kindergarten": 60, "primary": 150, "middle": 120, "high": 100}.items()
            for u in city.demand_units["unit_id"] for y in (2025, 2030)]
    demand = pd.DataFrame(rows, columns=["unit_id", "level", "year", "pupils"])
    plan = PlanParams(totals={"kindergarten": 1, "primary": 1, "middle": 1, "high": 1})
    return build_problem(city, demand, plan, ObjectiveParams())[0]


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
