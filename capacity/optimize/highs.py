"""HiGHS given the model's arrays directly: no PuLP object per column or row.

The builder steps already produce every row in coordinate form
(:meth:`capacity.optimize.matrix.Model.add_rows`); here they become one
compressed-row matrix for ``highspy.Highs.addRows``, the bounds and
integrality arrays one ``addVars``/``changeColsIntegrality`` call each. The
solve, status, bound and gap are read exactly as in the PuLP path
(:func:`capacity.optimize.solvers.run_highs`), so both give the same
:class:`~capacity.optimize.solvers.RunResult` (tested in
``tests/test_optimize_highs.py``).

Used by :func:`capacity.optimize.core.run_stage` for HiGHS whenever the
model has no PuLP form (no hook asked for PuLP variables); CBC, MPS/LP
writing and PuLP-style hooks use :attr:`Model.prob <capacity.optimize.matrix.Model.prob>`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time

import numpy as np

from .lp_blocks import block_basis, highs_basis
from .solvers import _HIGHS_STATUS, RunResult, SolverOptions, _TimedHiGHS, relative_gap

__all__ = ["relaxation_start", "run_highs_arrays"]


def _quiet_highs():
    """``highspy.Highs()`` without its start-up banner (printed from C before options can be set)."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _configure(h, opts: SolverOptions) -> None:
    h.setOptionValue("output_flag", bool(opts.msg))
    h.setOptionValue("mip_rel_gap", float(opts.gap_rel))
    if opts.threads is not None:
        h.setOptionValue("threads", int(opts.threads))
    if opts.time_limit is not None:
        h.setOptionValue("time_limit", float(opts.time_limit))
    for key, value in (opts.solver_params or {}).items():
        h.setOptionValue(key, value)


def _new_highs(opts: SolverOptions):
    import highspy

    wanted = opts.threads or 0  # HiGHS's process-wide scheduler keeps its first thread count
    if _TimedHiGHS._scheduler_threads not in (None, wanted):
        highspy.Highs.resetGlobalScheduler(True)
    _TimedHiGHS._scheduler_threads = wanted
    h = highspy.Highs() if opts.msg else _quiet_highs()
    _configure(h, opts)
    return h


def _load(h, model, coef: np.ndarray, lower: np.ndarray, upper: np.ndarray, integer: np.ndarray) -> None:
    """Columns (bounds, costs, integrality) and rows (one CSR block) of ``model`` into ``h``."""
    import highspy

    inf = highspy.kHighsInf
    n = model.n_cols
    h.addVars(n, lower.astype(float), np.where(np.isinf(upper), inf, upper).astype(float))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(coef, dtype=float))
    if integer.size:
        h.changeColsIntegrality(integer.size, integer.astype(np.int32),
                                np.full(integer.size, highspy.HighsVarType.kInteger))
    row_lo, row_up, starts, index, value = model.csr()
    if row_lo.size:
        h.addRows(row_lo.size, np.where(np.isinf(row_lo), -inf, row_lo), np.where(np.isinf(row_up), inf, row_up),
                  index.size, starts.astype(np.int32), index.astype(np.int32), value)


def _has_solution(h) -> bool:
    return h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible


RELAXATION_START_MIN_COLUMNS = 20_000
"""Models smaller than this solve fast without the start (and keep HiGHS's own choice among equal plans)."""

START_GAP_FLOOR = 1.0e-4
"""The restricted MIP is solved to half the gap asked for, but never tighter than this: it only makes a start."""

RELAXED_SHARE = 1.0e-6
"""Integer columns whose LP value is at most this stay fixed at their lower bound in the restricted MIP."""


def relaxation_start(model, coef: np.ndarray, opts: SolverOptions) -> tuple[np.ndarray | None, float, float]:
    """A MIP start from the LP relaxation: the MIP restricted to the integer columns the LP uses.

    Solves the LP relaxation of ``model`` (within half the time limit; a
    large model's LP starts from the basis of its independent blocks,
    :func:`capacity.optimize.lp_blocks.block_basis`),
    fixes every integer column whose LP value is at most
    :data:`RELAXED_SHARE` to its lower bound, and solves that much smaller
    MIP (a relaxation-induced neighbourhood, like RENS) to half the gap
    asked for (at least :data:`START_GAP_FLOOR`), within a quarter of the
    time limit. On the school models the LP bound is within a fraction of a
    percent of the optimum and the LP opens only a few hundred of the
    options, so the restricted MIP finds in seconds the incumbent the full
    search needs minutes for (benchmarks/README.md, "HiGHS tuning").

    Returns
    -------
    (ndarray or None, float, float)
        The restricted MIP's solution (a feasible point of ``model``), or
        ``None`` when the LP or the restricted MIP has none; the seconds
        spent; and the LP relaxation's optimum (a lower bound on the MIP's
        optimum, in objective units; ``-inf`` when the LP did not finish).
    """
    t0 = time.perf_counter()
    integer = np.flatnonzero(model.integer)
    lower = model.lower.astype(float)
    upper = model.upper.astype(float)
    lp_limit = None if opts.time_limit is None else float(opts.time_limit) / 2
    # large models: a basis from the model's independent blocks (made first, so that its batch LPs are freed
    # before the whole LP is loaded)
    basis = block_basis(model, coef, lower, upper, dataclasses.replace(opts, time_limit=lp_limit), new_highs=_new_highs)
    lp = _new_highs(dataclasses.replace(opts, gap_rel=opts.gap_rel))
    _load(lp, model, coef, lower, upper, np.zeros(0, dtype=np.int64))
    if basis is not None:
        lp.setBasis(highs_basis(*basis))
    if lp_limit is not None:
        lp.setOptionValue("time_limit", max(lp_limit - (time.perf_counter() - t0), 1.0))
    lp.run()
    if lp.modelStatusToString(lp.getModelStatus()) != "Optimal":
        return None, time.perf_counter() - t0, -math.inf
    x = np.asarray(lp.getSolution().col_value, dtype=float)
    lp_bound = float(lp.getInfo().objective_function_value)
    del lp
    unused = integer[x[integer] - lower[integer] <= RELAXED_SHARE]
    upper[unused] = lower[unused]
    sub = _new_highs(dataclasses.replace(opts, gap_rel=max(opts.gap_rel / 2, START_GAP_FLOOR)))
    if opts.time_limit is not None:
        sub.setOptionValue("time_limit", float(opts.time_limit) / 4)
    _load(sub, model, coef, lower, upper, integer)
    sub.run()
    if not _has_solution(sub):
        return None, time.perf_counter() - t0, lp_bound
    values = np.asarray(sub.getSolution().col_value, dtype=float)
    return (values if values.size == model.n_cols else None), time.perf_counter() - t0, lp_bound


STOPPED_BY_RULE = "Stopped: the caller's stop rule holds (the plan as a whole is proved within its gap)"
"""The detail of a call that :attr:`SolverOptions.stop_rule <capacity.optimize.solvers.SolverOptions>` stopped."""


def _certified_by_lp(values: np.ndarray, coef: np.ndarray, lp_bound: float, gap_rel: float,
                     stop_rule=None) -> RunResult | None:
    """The start as the answer when the LP relaxation's optimum already proves it within ``gap_rel``.

    The LP optimum is a lower bound on every integer solution, so a start
    whose relative gap to it is at most the gap asked for is as good an
    answer as the full search would return (HiGHS stops there too) — and
    the full MIP's own root LP, as long as the relaxation's, is saved
    (benchmarks/README.md, "Scaling"). Also when ``stop_rule(objective,
    lp_bound)`` holds. ``None`` otherwise.
    """
    objective = float(coef @ values)
    gap = relative_gap(objective, lp_bound)
    if gap <= gap_rel:
        return RunResult("optimal", objective, lp_bound, gap, 0.0, 0.0, "highs",
                         "Optimal (the relaxation start, proved by the LP bound)")
    if stop_rule is not None and stop_rule(objective, lp_bound):
        return RunResult("optimal", objective, lp_bound, gap, 0.0, 0.0, "highs", STOPPED_BY_RULE)
    return None


def run_highs_arrays(model, coef: np.ndarray, opts: SolverOptions) -> tuple[RunResult, np.ndarray]:
    """Solve ``min coef · x`` over ``model``'s arrays with HiGHS.

    Parameters
    ----------
    model : capacity.optimize.matrix.Model
    coef : ndarray, shape (n_cols,)
        Objective coefficient per column.
    opts : SolverOptions
        As for :func:`capacity.optimize.solvers.run_highs`; ``warm_start``
        hands ``model.start`` (the columns that have a value) to HiGHS.

    Returns
    -------
    (RunResult, ndarray)
        The call's result and the column values (zeros without a solution).
    """
    t0 = time.perf_counter()
    n = model.n_cols
    integer = np.flatnonzero(model.integer).astype(np.int32)
    heuristic_s = 0.0
    start = None
    warm = opts.warm_start and model.start is not None
    if warm:
        known = np.flatnonzero(~np.isnan(model.start))
        start = (known, model.start[known]) if known.size else None
    lp_bound = -math.inf
    if not warm and opts.relaxation_start and integer.size and n >= RELAXATION_START_MIN_COLUMNS:
        values, heuristic_s, lp_bound = relaxation_start(model, coef, opts)
        if values is not None:
            start = (np.arange(n), values)
            certified = _certified_by_lp(values, coef, lp_bound, opts.gap_rel, opts.stop_rule)
            if certified is not None:
                return dataclasses.replace(certified, transfer_seconds=time.perf_counter() - t0 - heuristic_s,
                                           solve_seconds=heuristic_s), values
    h = _new_highs(opts)
    if opts.time_limit is not None and heuristic_s:
        h.setOptionValue("time_limit", max(float(opts.time_limit) - heuristic_s, 1.0))
    _load(h, model, coef, model.lower.astype(float), model.upper.astype(float), integer)
    if start is not None:
        h.setSolution(start[0].size, start[0].astype(np.int32), start[1])
    stopped = [False]
    if opts.on_progress is not None or opts.stop_rule is not None:
        last = [-1.0]

        def report(event):
            d = event.data_out
            if d.running_time - last[0] >= 1.0:
                last[0] = d.running_time
                if opts.on_progress is not None:
                    opts.on_progress(d.running_time, d.objective_function_value, d.mip_dual_bound, d.mip_gap)
                if opts.stop_rule is not None and opts.stop_rule(d.objective_function_value,
                                                                 max(d.mip_dual_bound, lp_bound)):
                    stopped[0] = True
                    event.interrupt()

        h.cbMipInterrupt.subscribe(report)
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    t1 -= heuristic_s  # the start's LP and restricted MIP are solver time
    info = h.getInfo()
    text = h.modelStatusToString(h.getModelStatus())
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    status = _HIGHS_STATUS.get(text, "feasible" if has_sol else "no_solution")
    values = np.asarray(h.getSolution().col_value, dtype=float) if has_sol else np.zeros(n)
    if values.size != n:
        values = np.zeros(n)
    obj = float(info.objective_function_value) if (status == "optimal" or has_sol) and has_sol else math.nan
    is_mip = bool(integer.size)
    bound = max(float(info.mip_dual_bound), lp_bound) if is_mip else obj  # both bound every integer point
    if is_mip and status == "optimal" and not math.isfinite(bound):
        bound = obj
    gap = relative_gap(obj, bound) if math.isfinite(obj) else math.inf
    if stopped[0] and has_sol and status != "optimal":
        status, text = "optimal", STOPPED_BY_RULE
    transfer = (t1 - t0) + (time.perf_counter() - t2)
    return RunResult(status, obj, bound, gap, transfer, t2 - t1, "highs", text), values
