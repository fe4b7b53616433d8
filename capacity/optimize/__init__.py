"""Site-and-timing MILP: where, when and how big to build schools.

Array-level core (no geography): build a :class:`Problem` of numpy arrays
(from a scenario: :func:`problem_from_scenario`), call :func:`solve` (one
model, or level by level with ``method``; hooks ``extra_constraints`` and
``objective``) or :func:`evaluate` (a fixed plan), read the :class:`Solution`. The formulation is in
:mod:`capacity.optimize.model`; classic p-median / CFLP adapters in
:mod:`capacity.optimize.classic`; OR-Library readers in
:mod:`capacity.optimize.instances`.
"""

from .api import METHODS, evaluate, fixed_plan_problem, solve
from .model import BINARY, CONTINUOUS, EQ, GE, LE, Model, build_model
from .prepare import prepare
from .problem import (Arcs, CountRule, Facilities, LevelProblem, Options, Problem, ProblemError, Units,
                      Weights, plan_total)
from .result import Solution, SolveReport, StageReport
from .solvers import SOLVERS, RunResult, SolverOptions, relative_gap
from .translate import plan_demand, problem_from_scenario, solver_options

__all__ = [
    "solve", "evaluate", "fixed_plan_problem", "METHODS", "Model", "LE", "GE", "EQ", "CONTINUOUS", "BINARY", "build_model", "prepare",
    "Arcs", "CountRule", "Facilities", "LevelProblem", "Options", "Problem", "ProblemError", "Units",
    "Weights", "plan_total", "Solution", "SolveReport", "StageReport", "RunResult", "SOLVERS",
    "SolverOptions", "relative_gap", "plan_demand", "problem_from_scenario", "solver_options",
]
