"""Solver registry: ``{name: factory}`` turning a PuLP problem into a :class:`RunResult`.

Every run reports the status, the objective, the solver's best bound and the
relative gap, and splits the time into *transfer* (PuLP handing the model to
the solver) and *solve* (the solver itself).

* ``highs`` — HiGHS in-process through PuLP's ``HiGHS`` interface (highspy).
  The best bound is HiGHS's own ``mip_dual_bound`` and the gap its ``mip_gap``
  (``getInfo()`` of the ``highspy.Highs`` object PuLP leaves on
  ``prob.solverModel``); the status is HiGHS's model status, not PuLP's
  (PuLP reports a time-limit stop as "Optimal").
* ``cbc`` — the CBC binary bundled with PuLP (``PULP_CBC_CMD``), log to a
  temporary file. The bound is parsed from CBC's final report (``Lower bound:``
  when it stopped early; equal to the objective when it proved optimality),
  its wall-clock time from ``Total time (CPU seconds): … (Wallclock seconds): …``;
  the rest of PuLP's call (writing MPS, reading the solution) is transfer.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

import pulp

from ..errors import SolverError


@dataclass(frozen=True)
class SolverOptions:
    """How to run the solver.

    Attributes
    ----------
    solver : str
        Key of :data:`SOLVERS` (``"highs"`` or ``"cbc"``). HiGHS is the
        default: on the OR-Library runs (benchmarks/README.md, "Optimiser")
        it proves pmed6 in 22 s vs CBC's 37 s, pmed11 in 33 s where CBC is
        not done in 60 s, and holds pmed16's optimum at 60 s where CBC has
        no solution at all.
    time_limit : float, optional
        Wall-clock limit per solve [s].
    gap_rel : float
        Relative MIP gap at which to stop [fraction].
    threads : int, optional
        Solver threads (solver default when None).
    msg : bool
        Print the solver log.
    strong_linking : bool
        Add disaggregated linking rows for capacitated new sites (tighter LP bound).
    solver_params : mapping, optional
        Extra solver options passed through unchanged: HiGHS option names
        (e.g. ``{"mip_lp_solver": "ipm"}``), or CBC command-line options
        (``{"cuts": "off"}`` becomes ``-cuts off``).
    on_progress : callable, optional
        ``on_progress(seconds, objective, bound, gap)`` about once a second
        during a HiGHS branch-and-bound (the live gap; objective is ``inf``
        before the first incumbent). Ignored by CBC, which runs as a
        separate process.
    level_workers : int, optional
        Processes that solve independent levels at the same time
        (:mod:`capacity.optimize.decompose`): ``None`` chooses one per level
        up to the machine's cores, for models of at least
        :data:`~capacity.optimize.parallel.PARALLEL_MIN_ARCS` arcs; 1 solves
        them one after the other in this process (e.g. inside an ensemble's
        worker). With several workers each HiGHS runs on one thread unless
        ``threads`` says otherwise.
    direct : bool
        Hand HiGHS the model's arrays directly (:mod:`capacity.optimize.highs`),
        without PuLP objects; ``False`` goes through PuLP as CBC does. A model
        whose PuLP form a hook asked for always goes through PuLP.
    warm_start : bool
        Hand the columns' current values (``LpVariable.setInitialValue``;
        columns without a value are left out) to the solver as a MIP start.
        A partial start (e.g. the build binaries only) is completed by the
        solver; an infeasible one is discarded by it. CBC applies the start
        to its preprocessed model and may discard one that preprocessing
        ruled out (e.g. a build year tied in the objective with an earlier
        one); ``solver_params={"preprocess": "off"}`` keeps it.
    aggregate_m : float, optional
        Merge interchangeable demand units before a capacity-planning solve
        (:mod:`capacity.optimize.aggregate`): units of one zone and
        urban/rural class that reach the same schools and sites, clustered
        further within this distance [m] (0: exact merges only); the plan is
        then disaggregated exactly by an assignment LP. ``None``: off.
    relaxation_start : bool
        Before a HiGHS MIP without a MIP start, find one from the LP
        relaxation: the MIP restricted to the integer columns the LP uses
        (:func:`capacity.optimize.highs.relaxation_start`); models with fewer
        than :data:`~capacity.optimize.highs.RELAXATION_START_MIN_COLUMNS`
        columns solve without it.
    stop_rule : callable, optional
        ``stop_rule(objective, bound) -> bool`` about once a second during a
        HiGHS (arrays) branch-and-bound and once after the relaxation start,
        with the incumbent and the best lower bound known; ``True`` stops the
        search with its incumbent. The call then reports status ``optimal``
        (the caller's criterion is proved) and its own gap. Used by
        :func:`capacity.optimize.parallel.solve_all` to stop a level once the
        plan as a whole is proved within its gap.
    """

    solver: str = "highs"
    time_limit: Optional[float] = None
    gap_rel: float = 1.0e-4
    threads: Optional[int] = None
    msg: bool = False
    strong_linking: bool = True
    solver_params: Optional[Mapping[str, Any]] = None
    on_progress: Optional[Any] = None
    warm_start: bool = False
    level_workers: Optional[int] = None
    direct: bool = True
    aggregate_m: Optional[float] = None
    relaxation_start: bool = False
    stop_rule: Optional[Any] = None


@dataclass(frozen=True)
class RunResult:
    """What one solver call returned (also one stage of a solve, see :class:`~capacity.optimize.result.SolveReport`).

    Attributes
    ----------
    status : str
        ``optimal``, ``feasible`` (stopped with an incumbent, e.g. on the
        time limit), ``infeasible``, ``unbounded`` or ``no_solution``.
    objective, best_bound : float
        In objective units. After :func:`capacity.optimize.core.run_stage` the
        objective is the returned solution's own value.
    gap : float
        :func:`relative_gap` of ``objective`` and ``best_bound``.
    transfer_seconds, solve_seconds : float
        Handing the model to the solver and reading it back; inside the solver [s].
    solver : str
    detail : str
        The solver's own status text.
    objective_part : str
        Which objective the call minimised (``weighted``, ``unserved``,
        ``distance``, ``cost``, or a caller's name); empty for a bare call.
    """

    status: str
    objective: float
    best_bound: float
    gap: float
    transfer_seconds: float
    solve_seconds: float
    solver: str
    detail: str = ""
    objective_part: str = ""


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap ``|objective − bound| / max(|objective|, 1e-10)`` (HiGHS' definition)."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    return abs(objective - bound) / max(abs(objective), 1e-10)


# ---------------------------------------------------------------------------
# HiGHS
# ---------------------------------------------------------------------------

_HIGHS_STATUS = {
    "Optimal": "optimal",
    "Infeasible": "infeasible",
    "Primal infeasible or unbounded": "infeasible",
    "Unbounded": "unbounded",
}


class _TimedHiGHS(pulp.HiGHS):
    """PuLP's HiGHS with the transfer and the run timed apart.

    The model is handed over in bulk (``addVars``, ``changeColsCost``,
    ``changeColsIntegrality`` and one ``addRows`` with CSR arrays) instead of
    PuLP's one ``addCol``/``addRow`` call per column and row; on pmed11
    (90k columns, 90k rows, 270k non-zeros) this cuts the hand-over from
    1.46 s to 0.47 s. Variable and row indices are set as PuLP's own
    ``findSolutionValues`` expects.
    """

    def buildSolverModel(self, lp):
        import highspy
        import numpy as np

        h = lp.solverModel
        inf = highspy.kHighsInf
        variables = lp.variables()
        n = len(variables)
        lb = np.empty(n)
        ub = np.empty(n)
        integer = []
        for i, v in enumerate(variables):
            v.index = i
            lb[i] = -inf if v.lowBound is None else v.lowBound
            ub[i] = inf if v.upBound is None else v.upBound
            if v.cat == pulp.LpInteger and self.mip:
                integer.append(i)
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        obj = lp.objective or {}
        cost = np.zeros(n)
        if obj:
            cost[np.fromiter((v.index for v in obj.keys()), np.int64, len(obj))] = \
                sign * np.fromiter(obj.values(), float, len(obj))
        h.addVars(n, lb, ub)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        if integer:
            idx = np.asarray(integer, dtype=np.int32)
            h.changeColsIntegrality(idx.size, idx, np.full(idx.size, highspy.HighsVarType.kInteger))
        cons = list(lp._constraints.values())
        m = len(cons)
        starts = np.empty(m, dtype=np.int32)
        lower = np.empty(m)
        upper = np.empty(m)
        index, value = [], []
        for i, c in enumerate(cons):
            c.index = i
            starts[i] = len(index)
            index.extend(v.index for v in c.keys())
            value.extend(c.values())
            lo, up = c.getLb(), c.getUb()
            lower[i] = -inf if lo is None else lo
            upper[i] = inf if up is None else up
        if m:
            h.addRows(m, lower, upper, len(index), starts, np.asarray(index, dtype=np.int32),
                      np.asarray(value, dtype=float))

    on_progress = None
    warm_start = False

    def findSolutionValues(self, lp):
        """As PuLP's, but a stop PuLP has no status for (e.g. HiGHS's solution
        or node limit from ``solver_params``) keeps the incumbent instead of
        raising ``KeyError``."""
        try:
            return super().findSolutionValues(lp)
        except KeyError:
            h = lp.solverModel
            if h.getInfo().primal_solution_status == 2:  # kSolutionStatusFeasible
                values = h.getSolution().col_value
                for var in lp.variables():
                    var.varValue = values[var.index]
                return pulp.LpStatusNotSolved, pulp.LpSolutionIntegerFeasible
            return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound

    def _set_start(self, lp):
        """Give HiGHS the columns that have a value as a (possibly partial) MIP start."""
        import numpy as np

        known = [(v.index, v.varValue) for v in lp.variables() if v.varValue is not None]
        if known:
            idx = np.fromiter((k for k, _ in known), np.int32, len(known))
            val = np.fromiter((x for _, x in known), float, len(known))
            lp.solverModel.setSolution(len(known), idx, val)

    def createAndConfigureSolver(self, lp):
        """As PuLP's, but without HiGHS's start-up banner when ``msg`` is off.

        ``highspy.Highs()`` prints its banner from C before ``output_flag``
        can be set, so the process's stdout is pointed at /dev/null while the
        object is made.
        """
        if self.msg:
            return super().createAndConfigureSolver(lp)
        import os
        import sys

        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            return super().createAndConfigureSolver(lp)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)

    def _subscribe_progress(self, h):
        """Report the live gap through ``self.on_progress`` (throttled to ~1 s)."""
        last = [-1.0]

        def report(event):
            d = event.data_out
            if d.running_time - last[0] >= 1.0:
                last[0] = d.running_time
                self.on_progress(d.running_time, d.objective_function_value, d.mip_dual_bound, d.mip_gap)

        h.cbMipInterrupt.subscribe(report)

    _scheduler_threads = None  # thread count HiGHS's process-wide scheduler was started with

    def _reset_scheduler_if_threads_change(self):
        """HiGHS starts one task scheduler per process with the first run's
        thread count and refuses a run asking for another (model status "Not
        Set"); restart it when the requested count differs."""
        import highspy

        wanted = self.threads or 0
        if _TimedHiGHS._scheduler_threads not in (None, wanted):
            highspy.Highs.resetGlobalScheduler(True)
        _TimedHiGHS._scheduler_threads = wanted

    def actualSolve(self, lp):
        t0 = time.perf_counter()
        self._reset_scheduler_if_threads_change()
        self.createAndConfigureSolver(lp)
        self.buildSolverModel(lp)
        if self.warm_start:
            self._set_start(lp)
        if self.on_progress is not None:
            self._subscribe_progress(lp.solverModel)
        t1 = time.perf_counter()
        self.callSolver(lp)
        t2 = time.perf_counter()
        status, sol_status = self.findSolutionValues(lp)
        for var in lp.variables():
            var.modified = False
        lp.assignStatus(status, sol_status)
        self.transfer_seconds = (t1 - t0) + (time.perf_counter() - t2)
        self.solve_seconds = t2 - t1
        return status


def run_highs(prob: pulp.LpProblem, opts: SolverOptions) -> RunResult:
    """Solve with HiGHS (highspy through PuLP); see the module docstring."""
    kwargs = dict(msg=opts.msg, gapRel=opts.gap_rel, timeLimit=opts.time_limit)
    if opts.threads is not None:
        kwargs["threads"] = opts.threads
    kwargs.update(opts.solver_params or {})
    solver = _TimedHiGHS(**kwargs)
    solver.on_progress = opts.on_progress
    solver.warm_start = opts.warm_start
    prob.solve(solver)
    h = prob.solverModel
    info = h.getInfo()
    text = h.modelStatusToString(h.getModelStatus())
    is_mip = any(v.cat == pulp.LpInteger for v in prob.variables())
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    status = _HIGHS_STATUS.get(text, "feasible" if has_sol else "no_solution")
    if status == "optimal" or (status == "feasible" and has_sol):
        obj = float(info.objective_function_value)
    else:
        obj = math.nan
    bound = float(info.mip_dual_bound) if is_mip else obj
    if is_mip and status == "optimal" and not math.isfinite(bound):
        bound = obj
    gap = relative_gap(obj, bound) if math.isfinite(obj) else math.inf
    return RunResult(status, obj, bound, gap, solver.transfer_seconds, solver.solve_seconds, "highs", text)


# ---------------------------------------------------------------------------
# CBC
# ---------------------------------------------------------------------------

_CBC_RESULT = re.compile(r"^Result - (.*)$", re.M)
_CBC_OBJ = re.compile(r"^Objective value:\s+(\S+)", re.M)
_CBC_LB = re.compile(r"^Lower bound:\s+(\S+)", re.M)
_CBC_TIME = re.compile(r"Wallclock seconds\):\s+(\S+)")
_CBC_BEST_POSSIBLE = re.compile(r"best possible (\S+)\)")


def parse_cbc_log(text: str) -> dict:
    """Result line, objective, lower bound and wall time from a CBC log.

    Returns a dict with ``result`` (str), ``objective``, ``bound`` and
    ``seconds`` (float, ``nan`` when absent). When CBC stops early it prints
    ``Lower bound:``; otherwise the last ``best possible`` of the search is used.
    """
    def _f(rx):
        m = rx.findall(text)
        try:
            return float(m[-1]) if m else math.nan
        except ValueError:
            return math.nan

    res = _CBC_RESULT.findall(text)
    bound = _f(_CBC_LB)
    if math.isnan(bound):
        bound = _f(_CBC_BEST_POSSIBLE)
    return {"result": res[-1].strip() if res else "", "objective": _f(_CBC_OBJ),
            "bound": bound, "seconds": _f(_CBC_TIME)}


def run_cbc(prob: pulp.LpProblem, opts: SolverOptions) -> RunResult:
    """Solve with PuLP's bundled CBC; see the module docstring."""
    fd, log_path = tempfile.mkstemp(prefix="capacity_cbc_", suffix=".log")
    os.close(fd)
    try:
        kwargs = dict(msg=False, gapRel=opts.gap_rel, timeLimit=opts.time_limit, logPath=log_path,
                      warmStart=opts.warm_start,
                      options=[f"{k} {v}" for k, v in (opts.solver_params or {}).items()])
        if opts.threads is not None:
            kwargs["threads"] = opts.threads
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solver = pulp.PULP_CBC_CMD(**kwargs)
            t0 = time.perf_counter()
            prob.solve(solver)
            total = time.perf_counter() - t0
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    finally:
        os.unlink(log_path)
    if opts.msg:
        print(text)
    parsed = parse_cbc_log(text)
    sol = prob.sol_status
    if sol == pulp.LpSolutionOptimal:
        status = "optimal"
    elif sol == pulp.LpSolutionIntegerFeasible:
        status = "feasible"
    elif sol == pulp.LpSolutionInfeasible or prob.status == pulp.LpStatusInfeasible:
        status = "infeasible"
    elif sol == pulp.LpSolutionUnbounded:
        status = "unbounded"
    else:
        status = "no_solution"
    obj = pulp.value(prob.objective) if status in ("optimal", "feasible") else math.nan
    obj = math.nan if obj is None else float(obj)
    bound = parsed["bound"]
    if status == "optimal" and (math.isnan(bound) or "Optimal" in parsed["result"]):
        bound = obj if math.isnan(bound) or "Optimal" in parsed["result"] else bound
    solve_s = parsed["seconds"] if math.isfinite(parsed["seconds"]) else total
    gap = relative_gap(obj, bound) if math.isfinite(obj) else math.inf
    return RunResult(status, obj, bound, gap, max(total - solve_s, 0.0), solve_s, "cbc", parsed["result"])


SOLVERS: dict[str, Callable[[pulp.LpProblem, SolverOptions], RunResult]] = {
    "highs": run_highs,
    "cbc": run_cbc,
}
"""Solver registry ``{name: run(prob, options) -> RunResult}``; add an entry to add a solver."""


def run(prob: pulp.LpProblem, opts: SolverOptions) -> RunResult:
    """Solve ``prob`` with the solver named in ``opts`` (a key of :data:`SOLVERS`)."""
    try:
        fn = SOLVERS[opts.solver]
    except KeyError:
        raise SolverError(f"unknown solver {opts.solver!r}; known: {sorted(SOLVERS)}") from None
    try:
        return fn(prob, opts)
    except pulp.PulpSolverError as exc:
        raise SolverError(f"{opts.solver} failed: {exc}") from exc
