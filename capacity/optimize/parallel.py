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


def _solve_one(problem, options, start, hooks):
    from capacity.optimize.core import solve

    return solve(problem, options, start=start, **hooks)


def solve_all(problems: dict, options, starts: dict, hooks: dict, say: Callable[[str, object], None]) -> dict:
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

    Returns
    -------
    dict of str to Solution
        In the order of ``problems``. The first error raised by a solve is re-raised.
    """
    n = workers_for(problems, options)
    out = {}
    if n == 1:
        for name, prob in problems.items():
            out[name] = _solve_one(prob, options, starts.get(name), hooks)
            say(name, out[name])
        return out
    opts = dataclasses.replace(options, on_progress=None, level_workers=1,
                               threads=options.threads if options.threads is not None else 1)
    order = sorted(problems, key=lambda k: -sum(lv.arcs.n for lv in problems[k].levels))
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_solve_one, problems[k], opts, starts.get(k), hooks): k for k in order}
        try:
            for fut in as_completed(futures):
                name = futures[fut]
                out[name] = fut.result()
                say(name, out[name])
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return {k: out[k] for k in problems}
