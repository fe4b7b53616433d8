"""Site-and-timing MILP: where, when and how big to build schools.

Array-level core (no geography): build a :class:`Problem` of numpy arrays,
call :func:`solve`, read the :class:`Solution`. The formulation is in
:mod:`capacity.optimize.model`; classic p-median / CFLP adapters in
:mod:`capacity.optimize.classic`; OR-Library readers in
:mod:`capacity.optimize.instances`.
"""

from .core import solve
from .model import Model, build_model
from .prepare import prepare
from .problem import (Arcs, CountRule, Facilities, LevelProblem, Options, Problem, ProblemError, Units,
                      Weights, plan_total)
from .result import Solution, SolveReport, StageReport
from .solvers import SOLVERS, SolverOptions

__all__ = [
    "solve", "Model", "build_model", "prepare",
    "Arcs", "CountRule", "Facilities", "LevelProblem", "Options", "Problem", "ProblemError", "Units",
    "Weights", "plan_total", "Solution", "SolveReport", "StageReport", "SOLVERS", "SolverOptions",
]
