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

import math
import os
import sys
import time

import numpy as np

from .solvers import _HIGHS_STATUS, RunResult, SolverOptions, _TimedHiGHS, relative_gap

__all__ = ["run_highs_arrays"]


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
    import highspy

    t0 = time.perf_counter()
    wanted = opts.threads or 0  # HiGHS's process-wide scheduler keeps its first thread count
    if _TimedHiGHS._scheduler_threads not in (None, wanted):
        highspy.Highs.resetGlobalScheduler(True)
    _TimedHiGHS._scheduler_threads = wanted
    h = highspy.Highs() if opts.msg else _quiet_highs()
    _configure(h, opts)
    inf = highspy.kHighsInf
    n = model.n_cols
    lower = model.lower.astype(float)
    upper = np.where(np.isinf(model.upper), inf, model.upper).astype(float)
    h.addVars(n, lower, upper)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(coef, dtype=float))
    integer = np.flatnonzero(model.integer).astype(np.int32)
    if integer.size:
        h.changeColsIntegrality(integer.size, integer, np.full(integer.size, highspy.HighsVarType.kInteger))
    row_lo, row_up, starts, index, value = model.csr()
    if row_lo.size:
        h.addRows(row_lo.size, np.where(np.isinf(row_lo), -inf, row_lo), np.where(np.isinf(row_up), inf, row_up),
                  index.size, starts.astype(np.int32), index.astype(np.int32), value)
    if opts.warm_start and model.start is not None:
        known = np.flatnonzero(~np.isnan(model.start))
        if known.size:
            h.setSolution(known.size, known.astype(np.int32), model.start[known])
    if opts.on_progress is not None:
        last = [-1.0]

        def report(event):
            d = event.data_out
            if d.running_time - last[0] >= 1.0:
                last[0] = d.running_time
                opts.on_progress(d.running_time, d.objective_function_value, d.mip_dual_bound, d.mip_gap)

        h.cbMipInterrupt.subscribe(report)
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    info = h.getInfo()
    text = h.modelStatusToString(h.getModelStatus())
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    status = _HIGHS_STATUS.get(text, "feasible" if has_sol else "no_solution")
    values = np.asarray(h.getSolution().col_value, dtype=float) if has_sol else np.zeros(n)
    if values.size != n:
        values = np.zeros(n)
    obj = float(info.objective_function_value) if (status == "optimal" or has_sol) and has_sol else math.nan
    is_mip = bool(integer.size)
    bound = float(info.mip_dual_bound) if is_mip else obj
    if is_mip and status == "optimal" and not math.isfinite(bound):
        bound = obj
    gap = relative_gap(obj, bound) if math.isfinite(obj) else math.inf
    transfer = (t1 - t0) + (time.perf_counter() - t2)
    return RunResult(status, obj, bound, gap, transfer, t2 - t1, "highs", text), values
