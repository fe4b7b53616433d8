"""The MIP start from the LP relaxation (capacity.optimize.highs.relaxation_start)."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from capacity.optimize import SolverOptions, build_model, classic, instances, prepare, solve
from capacity.optimize import highs
from capacity.optimize.highs import relaxation_start
from capacity.optimize.model import weighted_objective

ORLIB = Path(__file__).resolve().parent / "data" / "orlib"


@pytest.fixture(scope="module")
def tiny(tiny_problem):
    return tiny_problem


def test_the_start_is_a_feasible_point_of_the_model(tiny):
    model = build_model(tiny, prepare(tiny))
    coef = weighted_objective(model)
    x, seconds, lp_bound = relaxation_start(model, coef, SolverOptions(gap_rel=1e-6))
    assert x is not None and seconds >= 0
    assert lp_bound <= coef @ x + 1e-6  # the LP optimum bounds every integer point
    assert np.all(x >= model.lower - 1e-7) and np.all(x <= model.upper + 1e-7)
    assert np.allclose(x[model.integer], np.round(x[model.integer]), atol=1e-6)
    lo, up, starts, index, value = model.csr()
    rows = np.repeat(np.arange(lo.size), np.diff(np.r_[starts, index.size]))
    activity = np.bincount(rows, weights=value * x[index], minlength=lo.size)
    assert np.all(activity >= lo - 1e-6) and np.all(activity <= up + 1e-6)


@pytest.mark.parametrize("name", ["tiny", "cap71", "pmed1"])
def test_same_optimum_with_and_without_the_start(name, tiny, monkeypatch):
    monkeypatch.setattr(highs, "RELAXATION_START_MIN_COLUMNS", 0)  # these models are small: force the start
    if name == "tiny":
        problem = tiny
        optimum = solve(problem, SolverOptions(gap_rel=1e-9)).report.objective
    elif name == "cap71":
        i = instances.read_cap(ORLIB / "cap" / "cap71.txt")
        problem = classic.capacitated_facility_location(i.fixed_cost, i.capacity, i.demand, i.allocation_cost)
        optimum = 932615.75
    else:
        i = instances.read_pmed(ORLIB / "pmed1.txt")
        problem = classic.p_median(i.cost, i.p)
        optimum = 5819.0
    sol = solve(problem, SolverOptions(gap_rel=1e-9, relaxation_start=True))
    assert sol.report.status == "optimal"
    assert sol.report.objective == pytest.approx(optimum, rel=1e-7)


def test_scenario_solves_use_the_start():
    from capacity.optimize.translate import solver_options
    from capacity.scenario import SolverParams

    assert solver_options(SolverParams()).relaxation_start
    assert not solver_options(SolverParams(name="cbc")).relaxation_start
    assert not SolverOptions().relaxation_start  # the library default is unchanged
    assert dataclasses.replace(SolverOptions(), relaxation_start=True).relaxation_start


def test_small_models_solve_without_the_start(tiny, monkeypatch):
    calls = []
    monkeypatch.setattr(highs, "relaxation_start", lambda *a: calls.append(1) or (None, 0.0, -np.inf))
    solve(tiny, SolverOptions(relaxation_start=True))
    assert calls == []  # the tiny city has a few hundred columns
    monkeypatch.setattr(highs, "RELAXATION_START_MIN_COLUMNS", 0)
    solve(tiny, SolverOptions(relaxation_start=True))
    assert calls  # asked for, and large enough


def test_scenario_key_switches_the_start_off():
    """[solver] relaxation_start = false reaches SolverOptions; the default is on for HiGHS only."""
    from capacity.optimize.translate import solver_options
    from capacity.scenario import SolverParams

    assert solver_options(SolverParams()).relaxation_start is True
    assert solver_options(SolverParams(relaxation_start=False)).relaxation_start is False
    assert solver_options(SolverParams(name="cbc")).relaxation_start is False


def test_a_start_the_lp_bound_proves_is_the_answer(tiny, monkeypatch):
    """The full MIP is skipped only when start and LP bound are within the gap asked for."""
    monkeypatch.setattr(highs, "RELAXATION_START_MIN_COLUMNS", 0)
    optimum = solve(tiny, SolverOptions(gap_rel=1e-9)).report.objective
    model = build_model(tiny, prepare(tiny))
    x, _, lp_bound = relaxation_start(model, weighted_objective(model), SolverOptions(gap_rel=1e-9))
    start_gap = (weighted_objective(model) @ x - lp_bound) / abs(weighted_objective(model) @ x)
    assert start_gap > 1e-6  # the tiny city's LP is not integral: the test can tell the two paths apart

    loose = solve(tiny, SolverOptions(gap_rel=2 * start_gap, relaxation_start=True)).report
    assert loose.stages[0].detail.startswith("Optimal (the relaxation start")
    assert loose.best_bound == pytest.approx(lp_bound) and loose.best_bound <= optimum + 1e-6
    assert loose.objective >= optimum - 1e-6 and loose.gap <= 2 * start_gap

    tight = solve(tiny, SolverOptions(gap_rel=start_gap / 2, relaxation_start=True)).report
    assert not tight.stages[0].detail.startswith("Optimal (the relaxation start")  # the full search ran
    assert tight.objective == pytest.approx(optimum, rel=start_gap)


def test_the_lp_starts_from_the_block_basis_when_one_is_made(tiny, monkeypatch):
    """The relaxation's LP from the assembled block basis reaches the same plan (forced on the tiny city)."""
    from capacity.optimize import lp_blocks

    monkeypatch.setattr(highs, "RELAXATION_START_MIN_COLUMNS", 0)
    made = []

    def forced(*args, **kwargs):
        basis = lp_blocks.block_basis(*args, **kwargs, min_columns=0, target=1, max_share=1.0)
        made.append(basis is not None)
        return basis

    monkeypatch.setattr(highs, "block_basis", forced)
    optimum = solve(tiny, SolverOptions(gap_rel=1e-9)).report.objective
    sol = solve(tiny, SolverOptions(gap_rel=1e-9, relaxation_start=True))
    assert made and all(made)  # the joint tiny model falls apart by level at least: a basis was made
    assert sol.report.status == "optimal"
    assert sol.report.objective == pytest.approx(optimum, rel=1e-7)
