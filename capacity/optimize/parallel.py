"""Solve independent sub-problems (the levels of a plan) in worker processes.

The levels share nothing but the budget rows, so their MILPs can run at the
same time. Each worker is a fresh process (``spawn``: HiGHS keeps a
process-wide thread scheduler that must not be forked) and gets the level's
:class:`~capacity.optimize.problem.Problem`, which pickles as numpy arrays.
Small problems are solved in this process: starting a worker costs about a
second of imports.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable

PARALLEL_MIN_ARCS = 50_000
"""Arcs below which level solves stay in this process (worker start-up would dominate)."""


def workers_for(problems: dict, options) -> int:
    """How many processes :func:`solve_all` uses for ``problems`` (see ``SolverOptions.level_workers``)."""
    if options.level_workers is not None:
        return max(1, min(int(options.level_workers), len(problems)))
    arcs = sum(lv.arcs.n for p in problems.values() for lv in p.levels)
    if len(problems) < 2 or arcs < PARALLEL_MIN_ARCS:
        return 1
    return max(1, min(len(problems), os.cpu_count() or 1))


PENDING, RUNNING, DONE = 0.0, 1.0, 2.0


class Board:
    """What every level solve of one :func:`solve_all` call has proved so far: objective, bound, state.

    Three numbers per level in one flat array (a shared-memory array when
    the levels run in worker processes): the incumbent objective, the best
    lower bound, and ``PENDING``/``RUNNING``/``DONE``. A level may stop
    (:attr:`SolverOptions.stop_rule <capacity.optimize.solvers.SolverOptions>`)
    once **no level is pending** and the levels together are within
    ``plan_gap``::

        (Σ_l objective_l − Σ_l bound_l) / |Σ_l objective_l| ≤ plan_gap

    — the plan's certified gap is the same sum, so a level whose own gap
    is wide (e.g. 3 % on a small objective) need not search on while the
    plan is proved. The plan's gap is computed again from the returned
    solutions; the board only decides when to stop.
    """

    def __init__(self, values, plan_gap: float):
        self.values, self.plan_gap = values, float(plan_gap)

    def post(self, slot: int, objective: float, bound: float, state: float) -> None:
        self.values[3 * slot:3 * slot + 3] = [float(objective), float(bound), state]

    def proved(self) -> bool:
        v = list(self.values)
        objective, bound, state = v[0::3], v[1::3], v[2::3]
        if PENDING in state or not all(math.isfinite(x) for x in objective + bound):
            return False
        total = sum(objective)
        return (total - sum(bound)) / max(abs(total), 1e-10) <= self.plan_gap

    def rule(self, slot: int):
        """The stop rule of level ``slot``: post its live objective and bound, then ask :meth:`proved`."""
        def stop(objective: float, bound: float) -> bool:
            self.post(slot, objective, bound, RUNNING)
            return self.proved()
        return stop


_BOARD: Board | None = None  # a worker process's board (set by _init)


def _init(values, plan_gap) -> None:
    global _BOARD
    _BOARD = Board(values, plan_gap) if values is not None else None


def _solve_one(problem, options, start, hooks, slot=None, board=None):
    from capacity.optimize.core import solve

    board = board if board is not None else (_BOARD if slot is not None else None)
    if board is None:
        return solve(problem, options, start=start, **hooks)
    board.post(slot, math.inf, -math.inf, RUNNING)
    sol = solve(problem, dataclasses.replace(options, stop_rule=board.rule(slot)), start=start, **hooks)
    board.post(slot, sol.report.objective, sol.report.best_bound, DONE)
    return sol


def solve_all(problems: dict, options, starts: dict, hooks: dict, say: Callable[[str, object], None],
              plan_gap: float | None = None) -> dict:
    """Solve every problem of ``problems`` with :func:`capacity.optimize.core.solve`.

    Parameters
    ----------
    problems : dict of str to Problem
        One problem per level, largest first is best (it is started first).
    options : SolverOptions
    starts : dict of str to DataFrame or None
        MIP start per problem.
    hooks : dict
        ``extra_constraints`` and ``objective`` (must pickle for worker processes).
    say : callable
        ``say(name, solution)`` as each solve finishes.
    plan_gap : float, optional
        Stop a level's search once every level has started and all of them
        together are proved within this relative gap (:class:`Board`);
        ``None``: each level runs to its own gap.

    Returns
    -------
    dict of str to Solution
        In the order of ``problems``. The first error raised by a solve is re-raised.
    """
    n = workers_for(problems, options)
    out = {}
    slots = {k: i for i, k in enumerate(problems)} if plan_gap is not None and len(problems) > 1 else {}
    blank = [math.inf, -math.inf, PENDING] * len(problems)
    if n == 1:
        board = Board(blank, plan_gap) if slots else None
        for name, prob in problems.items():
            out[name] = _solve_one(prob, options, starts.get(name), hooks, slots.get(name), board)
            say(name, out[name])
        return out
    opts = dataclasses.replace(options, on_progress=None, level_workers=1,
                               threads=options.threads if options.threads is not None else 1)
    order = sorted(problems, key=lambda k: -sum(lv.arcs.n for lv in problems[k].levels))
    ctx = multiprocessing.get_context("spawn")
    shared = ctx.Array("d", blank, lock=False) if slots else None
    # a fresh process per level: a worker's peak memory is then one level's, not the sum of the levels it solved
    # (4x synthetic city: its high level alone peaked at 2.5 GiB; the larger of two workers that solved two levels
    # each, 5.5 GiB)
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_init, initargs=(shared, plan_gap),
                             max_tasks_per_child=1) as pool:
        futures = {pool.submit(_solve_one, problems[k], opts, starts.get(k), hooks, slots.get(k)): k for k in order}
        try:
            for fut in as_completed(futures):
                name = futures[fut]
                out[name] = fut.result()
                say(name, out[name])
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return {k: out[k] for k in problems}
