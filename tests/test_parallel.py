"""Level solves that stop once the plan as a whole is proved (capacity.optimize.parallel.Board)."""

import dataclasses
import math
import multiprocessing

import pytest

from capacity.data import load_city
from capacity.optimize import decompose, highs
from capacity.optimize.decompose import level_problem, solve_by_level
from capacity.optimize.highs import STOPPED_BY_RULE
from capacity.optimize.parallel import DONE, PENDING, RUNNING, Board, _init, solve_all
from capacity.optimize.solvers import SolverOptions
from capacity.optimize.translate import problem_from_sections
from capacity.scenario import ObjectiveParams, PlanParams
from capacity.testing import flat_unit_demand

EXACT = SolverOptions(gap_rel=1e-9, relaxation_start=True, level_workers=1)


@pytest.fixture(scope="module")
def problem(tiny_city_template):
    city = load_city(tiny_city_template)
    plan = PlanParams(totals={"kindergarten": 1, "primary": 1, "middle": 1, "high": 1})
    return problem_from_sections(city, flat_unit_demand(city), plan, ObjectiveParams())[0]


def test_the_board_waits_for_every_level_and_sums_their_gaps():
    board = Board([math.inf, -math.inf, PENDING] * 2, plan_gap=0.01)
    board.post(0, 100.0, 99.5, DONE)
    assert not board.proved()  # level 1 has not started: its gap is unknown
    board.post(1, 100.0, -math.inf, RUNNING)
    assert not board.proved()  # no bound yet
    assert board.rule(1)(100.0, 99.0)  # (200 - 198.5) / 200 = 0.75 % <= 1 %
    assert not board.rule(1)(100.0, 97.0)  # (200 - 196.5) / 200 = 1.75 %
    assert not board.rule(1)(math.inf, 99.0)  # no incumbent yet


def test_the_board_works_on_shared_memory():
    values = multiprocessing.get_context("spawn").Array("d", [math.inf, -math.inf, PENDING] * 2, lock=False)
    _init(values, 0.5)
    from capacity.optimize import parallel

    parallel._BOARD.post(0, 10.0, 9.0, DONE)
    parallel._BOARD.post(1, 10.0, 8.0, RUNNING)
    assert list(values) == [10.0, 9.0, DONE, 10.0, 8.0, RUNNING] and parallel._BOARD.proved()
    _init(None, 0.5)
    assert parallel._BOARD is None


def test_a_level_stops_once_the_plan_is_proved(problem, monkeypatch):
    """In one process the levels run in turn, so only the last can stop (the others are done); it stops
    at its start when the plan gap allows, and runs to its own gap when the plan gap is tight."""
    monkeypatch.setattr(highs, "RELAXATION_START_MIN_COLUMNS", 0)
    names = ["kindergarten", "middle", "high", "primary"]  # primary last: its LP is not integral here
    parts = {n: level_problem(problem, n) for n in names}
    hooks = dict(extra_constraints=None, objective=None)
    alone = solve_all(parts, EXACT, {}, hooks, lambda *a: None)
    assert alone["primary"].report.stages[-1].detail == "Optimal"  # its start needed the full search
    loose = solve_all(parts, EXACT, {}, hooks, lambda *a: None, plan_gap=0.5)
    for n in names[:-1]:
        assert loose[n].report.stages[-1].detail != STOPPED_BY_RULE
        assert loose[n].report.objective == pytest.approx(alone[n].report.objective, rel=1e-9)
    last = loose["primary"].report
    assert last.stages[-1].detail == STOPPED_BY_RULE and last.status == "optimal"
    assert last.best_bound <= alone["primary"].report.objective + 1e-6  # still a valid bound
    assert last.objective >= alone["primary"].report.objective - 1e-6
    total = sum(loose[n].report.objective for n in names)
    assert (total - sum(loose[n].report.best_bound for n in names)) / total <= 0.5
    tight = solve_all(parts, EXACT, {}, hooks, lambda *a: None, plan_gap=1e-12)
    assert tight["primary"].report.stages[-1].detail == "Optimal"


def test_a_plan_wider_than_asked_after_a_stop_reports_feasible(problem, monkeypatch):
    monkeypatch.setattr(highs, "RELAXATION_START_MIN_COLUMNS", 0)
    monkeypatch.setattr(decompose, "PLAN_GAP_SHARE", 1e9)  # stop every level as soon as it may
    order = {"kindergarten": 0, "middle": 1, "high": 2, "primary": 3}  # primary (LP not integral) last
    problem = dataclasses.replace(problem, levels=tuple(sorted(problem.levels, key=lambda lv: order[lv.name])))
    sol = solve_by_level(problem, EXACT)
    assert any(st.detail == STOPPED_BY_RULE for st in sol.report.stages)
    assert sol.report.gap > EXACT.gap_rel and sol.report.status == "feasible"
    monkeypatch.setattr(decompose, "PLAN_GAP_SHARE", 0.5)
    exact = solve_by_level(problem, EXACT)  # the real share: every level to its own gap of 1e-9
    assert exact.report.status == "optimal"
    assert not any(st.detail == STOPPED_BY_RULE for st in exact.report.stages)
    assert dataclasses.replace(EXACT).stop_rule is None
