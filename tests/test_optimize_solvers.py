"""Solver edge (capacity.optimize.solvers): runs with different thread counts in one process."""

from capacity.optimize.classic import p_median
from capacity.optimize.core import solve
from capacity.optimize.solvers import SolverOptions

COST = [[0, 4, 9], [4, 0, 3], [9, 3, 0]]  # three points on a line: the middle one is the 1-median


def test_thread_count_can_change_between_solves():
    # HiGHS keeps one scheduler per process; a run asking for another thread
    # count used to come back with model status "Not Set"
    for threads in (None, 1, 2, 1):
        sol = solve(p_median(COST, 1), SolverOptions(threads=threads))
        assert sol.report.status == "optimal"
        assert sol.report.objective == 7  # 4 + 3 from the middle point
