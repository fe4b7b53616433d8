r"""Uncapacitated p-median: the radius formulation, a swap heuristic, and the choice of formulation.

The assignment formulation of :func:`capacity.optimize.classic.p_median`
(ReVelle & Swain 1970) has one column per client × site pair and one
linking row per pair: :math:`n m` of each. The *radius* (covering)
formulation of Elloumi (2004) and García, Labbé & Marín (2011) describes a
client by how far its nearest open site is, in steps of the client's own
sorted distances, and needs only the steps an optimal plan can use.

MILP (radius formulation, as built here)
----------------------------------------
Client *i* (weight :math:`w_i \ge 0`), candidate sites *j* with distance
:math:`d_{ij}` (``inf``: not allowed); :math:`D_i^1 < D_i^2 < \dots < D_i^{K_i}`
are the client's distinct finite distances and
:math:`N_i^k = \{j : d_{ij} = D_i^k\}` the sites at step *k*.

.. math::

    \min\ \sum_i w_i D_i^1 + \sum_i \sum_{k=1}^{k^f_i - 1} w_i (D_i^{k+1} - D_i^k)\, z_{ik}

    z_{i1} + \sum_{j \in N_i^1} y_j \ge 1, \qquad
    z_{ik} - z_{i,k-1} + \sum_{j \in N_i^k} y_j \ge 0 \quad (2 \le k < k^f_i),

    \sum_j y_j = p, \qquad y_j \in \{0, 1\}, \qquad z_{ik} \ge 0,

with :math:`z_{ik} = 1` meaning "client *i* is farther than :math:`D_i^k`
from every open site". The rows are the covering rows
:math:`z_{ik} + \sum_{j: d_{ij} \le D_i^k} y_j \ge 1` written as a chain
(each row holds only the sites *at* step *k*; summing the chain up to *k*
gives the covering row, and for fixed *y* both give the same smallest *z*,
so the LP bound is the same) — the matrix has
:math:`\sum_i (2 k^f_i + |\{j : d_{ij} < D_i^{k^f_i}\}|)` entries instead
of a quadratic number.

Which steps are kept (the reductions):

* **Closing step.** With *p* sites open (:math:`0 \le y \le 1`,
  :math:`\sum_j y_j = p`), a client's :math:`m - p + 1` nearest sites hold
  at least 1 of the open sites, so its distance never exceeds the step
  :math:`k^f_i` of its :math:`(m-p+1)`-th nearest site (or of its farthest
  allowed site): no step from :math:`k^f_i` on needs a row or a variable,
  and the last :math:`z` charges exactly :math:`D_i^{k^f_i}`. Exact. A
  client with fewer than :math:`m - p + 1` allowed sites keeps a closing row
  at :math:`k^f_i` without :math:`z` (it must reach an open allowed site).
* **A subset of steps** (García et al.'s reduced formulation). Keeping only
  steps :math:`k_1 < k_2 < \dots` of client *i* (rows merged: the row of
  :math:`k_t` holds the sites of steps :math:`k_{t-1}+1 \dots k_t`) and
  charging :math:`z_{ik_t}` with :math:`D_i^{k_t+1} - D_i^{k_{t-1}+1}`
  (:math:`D_i^{k_0+1} = D_i^1`) underestimates a client's cost by rounding
  its distance down to the step after the last kept step below it: a
  relaxation (the client's last kept :math:`z` has no successor row: beyond
  it the client is charged :math:`D_i^{k_T+1}`). It is exact for site values *y* when it keeps, for every site
  with :math:`y_j > 0` at step *k* whose client is still less than fully
  covered before *k*, the step :math:`k-1` (:meth:`_Levels.needed`): between
  two such steps the covered share is constant, so merged steps cost the same.
  For an integer plan that is one step per client, the one just before its
  distance.

The solve (:func:`solve_radius`):

1. the heuristic plan (:func:`heuristic`, greedy then best-improvement swaps:
   Teitz & Bart 1968, with the nearest/second-nearest bookkeeping of
   Whitaker 1983, on numpy arrays) gives the first upper bound and steps;
2. **LP rounds**: solve the LP of the reduced model, add the steps its
   optimum needs, until it needs none — its value is then the LP bound of
   the full formulation (equal to the assignment formulation's); the LP's
   largest *p* sites, improved by swaps, may give a better plan;
3. **reduced-cost fixing**: a site whose LP reduced cost exceeds the gap
   between the best plan and the LP bound (less 1 when every objective value
   is an integer) cannot be in a better plan, and is dropped;
4. if a gap remains, the **MILP** over the remaining sites with every step
   before the closing one (exact), started from the best plan. Its bound, capped
   at the best plan's value, is the proven bound (plans using a dropped site
   cost at least the best plan's value). When every objective value is an
   integer the bound is rounded up, so a gap below 1 proves optimality.

The rows are handed to HiGHS as one CSR matrix through
:class:`~capacity.optimize.matrix.Model` (the MILP by
:func:`capacity.optimize.core.run_stage`, so CBC works too through PuLP; the
LP rounds need HiGHS for the reduced costs). Nothing loops in Python over the
client × site product.

References
----------
Elloumi, S. (2004). A tighter formulation of the p-median problem. J. Comb.
Optim. 19, 69–83. García, S., Labbé, M., Marín, A. (2011). Solving large
p-median problems with a radius formulation. INFORMS J. Comput. 23(4),
546–556.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..errors import InfeasibleError, SolverError
from .matrix import BINARY, CONTINUOUS, EQ, GE, Model
from .pmedian_heuristic import check_input, heuristic, objective_is_integral, plan_cost
from .solvers import SolverOptions, relative_gap

FORMULATIONS = ("auto", "radius", "assignment")
"""Values of ``formulation`` in :func:`solve_p_median`."""

__all__ = ["FORMULATIONS", "PMedianResult", "RadiusModel", "build_radius_model", "heuristic", "plan_cost",
           "solve_radius"]


@dataclass(frozen=True)
class PMedianResult:
    """A p-median plan and how it was found.

    Attributes
    ----------
    status : str
        ``optimal`` (gap within the requested relative gap) or ``feasible``.
    objective : float
        :math:`\\sum_i w_i \\min_{j \\in S} d_{ij}` of the plan [distance unit × weight].
    best_bound : float
        A proven lower bound of the optimum [same unit].
    gap : float
        ``|objective − best_bound| / |objective|`` [fraction].
    medians : ndarray of int
        The *p* open sites (column numbers of ``cost``), sorted.
    assignment : ndarray of int
        Nearest open site of each client.
    formulation : str
        ``radius`` or ``assignment``.
    heuristic_objective : float
        The heuristic plan's objective (radius only; ``nan`` otherwise).
    build_seconds : float
        Python time: heuristic, building the models, handing them to the solver [s].
    solve_seconds : float
        Time inside the solver, summed over its calls [s].
    iterations : int
        Solver calls (radius: one per cut-off round).
    n_variables, n_constraints : int
        Size of the last model solved.
    solver : str
    sites_kept : int
        Sites left in the MILP after reduced-cost fixing; 0 when the LP bound
        already proved the plan (no MILP); ``-1`` for the assignment formulation.
    """

    status: str
    objective: float
    best_bound: float
    gap: float
    medians: np.ndarray
    assignment: np.ndarray
    formulation: str
    heuristic_objective: float
    build_seconds: float
    solve_seconds: float
    iterations: int
    n_variables: int
    n_constraints: int
    solver: str
    sites_kept: int = -1


# ---------------------------------------------------------------------------
# the radius model
# ---------------------------------------------------------------------------

@dataclass
class _Levels:
    """Each client's sorted distances and distinct steps (see the module docstring).

    Steps are numbered globally: client *i*'s step *k* (1-based) is
    ``start[i] + k - 1``, its distance ``values[start[i] + k - 1]``.
    """

    order: np.ndarray      # (n, m) sites by distance
    level: np.ndarray      # (n, m) step (1-based) of each sorted position; 0 where not allowed
    values: np.ndarray     # D_i^k of every client, client after client
    start: np.ndarray      # (n,) where client i's steps begin in ``values``
    final: np.ndarray      # (n,) closing step k^f_i (1-based)
    n_allowed: np.ndarray  # (n,) sites each client may use

    @classmethod
    def of(cls, cost: np.ndarray, p: int) -> "_Levels":
        n, m = cost.shape
        order = np.argsort(cost, axis=1, kind="stable")
        s = np.take_along_axis(cost, order, axis=1)
        fin = np.isfinite(s)
        new = fin.copy()
        new[:, 1:] &= s[:, 1:] != s[:, :-1]
        level = np.cumsum(new, axis=1) * fin
        ii, tt = np.nonzero(new)
        n_levels = new.sum(axis=1)
        start = np.r_[0, np.cumsum(n_levels)[:-1]]
        last_pos = np.minimum(m - p, fin.sum(axis=1) - 1)
        final = level[np.arange(n), last_pos]
        return cls(order, level, s[ii, tt], start, final, fin.sum(axis=1))

    @property
    def client(self) -> np.ndarray:
        """Client of every global step."""
        n_levels = np.r_[self.start[1:], self.values.size] - self.start
        return np.repeat(np.arange(self.start.size), n_levels)

    def needed(self, y: np.ndarray, eps: float = 1e-6) -> np.ndarray:
        """Global steps the model must keep to charge every client exactly under site values ``y``.

        With sites open to the (possibly fractional) extent ``y``, client *i*'s
        exact cost changes only where its covered share :math:`Y_i(r) =
        \\sum_{j: d_{ij} \\le r} y_j` grows while below 1: at the step of each
        site with :math:`y_j > 0`. Keeping the step just before each such
        step makes the reduced model exact for ``y`` (the module docstring).
        """
        sel = (self.level > 0) & (self.level <= self.final[:, None])
        ii, tt = np.nonzero(sel)
        g = self.start[ii] + self.level[ii, tt] - 1
        per_step = np.bincount(g, weights=np.asarray(y, dtype=float)[self.order[ii, tt]], minlength=self.values.size)
        cum = np.cumsum(per_step)
        before = cum - per_step - np.repeat(np.r_[0.0, cum][self.start], np.diff(np.r_[self.start, self.values.size]))
        k = np.arange(self.values.size) - np.repeat(self.start, np.diff(np.r_[self.start, self.values.size]))
        hit = (per_step > eps) & (before < 1.0 - eps) & (k >= 1)
        return np.flatnonzero(hit) - 1


@dataclass
class RadiusModel:
    """A built radius model and the index arrays to read its solution.

    Attributes
    ----------
    model : Model
        Columns ``0..m-1`` are the sites' :math:`y_j`, then the :math:`z` of the kept steps.
    coef : ndarray
        Objective coefficient per column.
    constant : float
        :math:`\\sum_i w_i D_i^1`.
    z_step : ndarray
        Global step of every :math:`z` column.
    """

    model: Model
    coef: np.ndarray
    constant: float
    z_step: np.ndarray
    levels: _Levels

    def start_values(self, medians, dist: np.ndarray) -> np.ndarray:
        """Column values of the plan ``medians`` whose clients are at ``dist`` (a MIP start)."""
        m = self.model.n_cols - self.z_step.size
        x = np.zeros(self.model.n_cols)
        x[np.asarray(medians, dtype=np.int64)] = 1.0
        lv = self.levels
        x[m:] = (lv.values[self.z_step] < dist[lv.client[self.z_step]]).astype(float)
        return x


def build_radius_model(cost: np.ndarray, p: int, weights: Optional[np.ndarray] = None,
                       steps: Optional[np.ndarray] = None, relax: bool = False,
                       _levels: Optional[_Levels] = None) -> RadiusModel:
    """The radius formulation of the module docstring over a subset of each client's steps.

    Parameters
    ----------
    cost : ndarray, shape (n, m)
        Distances [distance unit]; ``inf`` where not allowed.
    p : int
    weights : ndarray, shape (n,), optional
    steps : ndarray of bool, optional
        Kept steps, by global step number (see :class:`_Levels`); steps from
        a client's closing step on are never kept. ``None`` keeps every step
        before the closing one (the full formulation).
    relax : bool
        Continuous :math:`y` (the LP relaxation).

    Returns
    -------
    RadiusModel
    """
    cost, p, w = check_input(cost, p, weights)
    n, m = cost.shape
    lv = _levels if _levels is not None else _Levels.of(cost, p)
    client = lv.client
    k = np.arange(lv.values.size) - lv.start[client] + 1
    usable = k < lv.final[client]
    kept = usable.copy() if steps is None else (np.asarray(steps, bool) & usable)
    # a client with fewer than m - p + 1 allowed sites keeps its closing row (no z): it must reach an open site
    restricted = lv.n_allowed < m - p + 1
    close_g = lv.start[restricted] + lv.final[restricted] - 1
    kept[close_g] = True
    kept_g = np.flatnonzero(kept)                # one row per kept step, clients in order
    n_rows = kept_g.size
    zc = client[kept_g]
    first = np.ones(n_rows, bool)
    first[1:] = zc[1:] != zc[:-1]
    last = np.ones(n_rows, bool)
    last[:-1] = first[1:]
    last_g = np.full(n, -1)
    last_g[zc[last]] = kept_g[last]
    is_z = np.ones(n_rows, bool)
    is_z[np.searchsorted(kept_g, close_g)] = False
    # y entries: each allowed site up to the client's last kept step, in the row of the first kept step
    # at or beyond its own
    lvl = lv.level
    ii, tt = np.nonzero((lvl > 0) & (lv.start[:, None] + lvl - 1 <= last_g[:, None]))
    y_row = np.searchsorted(kept_g, lv.start[ii] + lvl[ii, tt] - 1)
    y_col = lv.order[ii, tt]
    # z of every row but the closing ones: +1 in its row, -1 in the client's next row (if any)
    z_row = np.flatnonzero(is_z)
    z_col = m + np.arange(z_row.size)
    nxt = ~last[z_row]
    row = np.concatenate([y_row, z_row, z_row[nxt] + 1])
    col = np.concatenate([y_col, z_col, z_col[nxt]])
    val = np.concatenate([np.ones(y_row.size), np.ones(z_row.size), -np.ones(int(nxt.sum()))])
    # coefficient of z at kept step g: D at (g + 1) minus D just after the previous kept step (D^1 for the first)
    z_step = kept_g[z_row]
    zc = zc[z_row]
    prev_after = np.where(first[z_row], lv.start[zc], np.r_[0, kept_g[:-1]][z_row] + 1)
    coef = np.r_[np.zeros(m), w[zc] * (lv.values[z_step + 1] - lv.values[prev_after])]

    model = Model(problem=None)
    model.new_columns("y", m, CONTINUOUS if relax else BINARY)
    model.new_columns("z", z_row.size, CONTINUOUS, up=None)
    model.add_rows("cover", row, col, val, GE, first.astype(float))
    model.add_rows("p", np.zeros(m, np.int64), np.arange(m), np.ones(m), EQ, [float(p)])
    return RadiusModel(model, coef, float(w @ lv.values[lv.start]), z_step, lv)


# ---------------------------------------------------------------------------
# solving
# ---------------------------------------------------------------------------

def _lp(model: Model, coef: np.ndarray, opts: SolverOptions):
    """The LP ``min coef · x`` over ``model`` (no integrality) with HiGHS, with reduced costs.

    Returns ``(objective, x, reduced_costs, seconds)``, or ``None`` when the
    time limit stopped it; raises :class:`~capacity.errors.InfeasibleError`
    when no plan serves every client, :class:`~capacity.errors.SolverError`
    for any other status but an optimum.
    """
    import highspy

    from .highs import _configure, _quiet_highs
    from .solvers import _TimedHiGHS

    wanted = opts.threads or 0  # the process-wide scheduler keeps its first thread count (see highs.py)
    if _TimedHiGHS._scheduler_threads not in (None, wanted):
        highspy.Highs.resetGlobalScheduler(True)
    _TimedHiGHS._scheduler_threads = wanted
    h = highspy.Highs() if opts.msg else _quiet_highs()
    _configure(h, opts)
    inf = highspy.kHighsInf
    n = model.n_cols
    h.addVars(n, model.lower.astype(float), np.where(np.isinf(model.upper), inf, model.upper).astype(float))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(coef, dtype=float))
    lo, up, starts, index, value = model.csr()
    h.addRows(lo.size, np.where(np.isinf(lo), -inf, lo), np.where(np.isinf(up), inf, up), index.size,
              starts.astype(np.int32), index.astype(np.int32), value)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    status = h.modelStatusToString(h.getModelStatus())
    if status == "Time limit reached":
        return None
    if status in ("Infeasible", "Primal infeasible or unbounded"):
        raise InfeasibleError("no plan of p sites reaches every client through its allowed sites "
                              "(the p-median LP is infeasible)")
    if status != "Optimal":
        raise SolverError(f"HiGHS stopped the p-median LP with {h.modelStatusToString(h.getModelStatus())}")
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=float)
    return float(coef @ x), x, np.asarray(sol.col_dual, dtype=float), seconds


MILP_PARAMS_HIGHS = {"mip_allow_restart": False}
"""HiGHS settings of the radius MILP unless the caller sets them: without restarts pmed6 (53 sites left
after fixing) is proved in 5.7 s instead of 22.1 s and pmed16 (112 sites) in 41 s instead of 65 s
(same machine, back to back; ``benchmarks/README.md``)."""


def _milp_options(options: SolverOptions, integral: bool, time_limit) -> SolverOptions:
    params = dict(options.solver_params or {})
    if options.solver == "highs":
        params = {**MILP_PARAMS_HIGHS, **params}
        if integral:  # every plan's objective is an integer: a gap below 1 proves the incumbent
            params.setdefault("mip_abs_gap", 1.0 - 1e-3)
    return dataclasses.replace(options, warm_start=True, time_limit=time_limit, solver_params=params)


def solve_radius(cost: np.ndarray, p: int, weights: Optional[np.ndarray] = None,
                 options: SolverOptions = SolverOptions(), *, reduce_sites: bool = True,
                 max_lp_rounds: int = 200, fixing_rounds: int = 3,
                 progress: Optional[Callable[[str], None]] = None) -> PMedianResult:
    """Solve the p-median with the radius formulation (see the module docstring).

    Parameters
    ----------
    cost : ndarray, shape (n, m)
        Distances [distance unit]; ``inf`` for a pair not allowed.
    p : int
    weights : ndarray, shape (n,), optional
    options : SolverOptions
        ``time_limit`` is for the whole solve; ``gap_rel`` is the relative gap
        at which the result counts as optimal. The LP rounds need HiGHS; the
        MILP goes to ``options.solver``.
    reduce_sites : bool
        Fix sites by reduced cost before the MILP (exact; see the module docstring).
    max_lp_rounds : int
        At most this many LP rounds of step generation.
    fixing_rounds : int
        At most this many passes of reduced-cost fixing (each after the first
        on the LP over the sites left; they stop when a pass keeps over 95 %).
    progress : callable, optional
        ``progress(message)`` after each phase (heuristic, LP rounds, fixing, MILP).

    Returns
    -------
    PMedianResult
    """
    from .core import run_stage  # imported here: core imports the model builder

    t_start = time.perf_counter()
    cost, p, w = check_input(cost, p, weights)
    n, m = cost.shape
    best = heuristic(cost, p, w)
    best_obj, _ = plan_cost(cost, best, w)
    h_obj = best_obj
    integral = objective_is_integral(cost, w)
    say = progress or (lambda message: None)
    say(f"heuristic {best_obj:g} in {time.perf_counter() - t_start:.2f} s")
    lv = _Levels.of(cost, p)
    y0 = np.zeros(m)
    y0[best] = 1.0
    kept = np.zeros(lv.values.size, bool)
    kept[lv.needed(y0)] = True
    solve_s, rounds, solver = 0.0, 0, options.solver

    def left():
        if options.time_limit is None:
            return None
        return max(options.time_limit - (time.perf_counter() - t_start), 1.0)

    def out_of_time():
        return options.time_limit is not None and time.perf_counter() - t_start >= options.time_limit

    def closed(bound):
        return best_obj - bound <= options.gap_rel * abs(best_obj) + 1e-9 or (integral and best_obj - bound < 1 - 1e-6)

    # 1. LP rounds: add the steps the LP optimum needs until it needs none -> the full LP bound
    lp_bound, rc, rm, milp_sites = -math.inf, None, None, 0
    for _ in range(max_lp_rounds):
        rm = build_radius_model(cost, p, w, kept, relax=True, _levels=lv)
        lp = None if out_of_time() else _lp(rm.model, rm.coef, dataclasses.replace(options, time_limit=left()))
        if lp is None:  # out of time: the heuristic plan, no bound
            break
        obj, x, dual, sec = lp
        rounds += 1
        solve_s += sec
        need = lv.needed(x[:m])
        if kept[need].all():
            lp_bound, rc = obj + rm.constant, dual[:m]
            break
        kept[need] = True
    if rc is not None:  # the LP's p largest sites, improved by swaps, may beat the incumbent
        cand = heuristic(cost, p, w, start=np.argsort(-x[:m], kind="stable")[:p])
        cand_obj, _ = plan_cost(cost, cand, w)
        if cand_obj < best_obj:
            best, best_obj = cand, cand_obj
    bound = lp_bound
    sites = np.arange(m)
    say(f"LP bound {lp_bound:g} after {rounds} LP rounds ({int(kept.sum())} steps), best plan {best_obj:g}, "
        f"{time.perf_counter() - t_start:.2f} s")
    if not closed(bound) and not out_of_time():
        # 2. sites whose reduced cost exceeds the gap cannot be in a plan better than the incumbent
        # (again on the LP over the sites left, every step: its bound and reduced costs hold for the plans
        # within them, and plans using a dropped site already cost at least the incumbent's value)
        site_bound = lp_bound
        for _ in range(fixing_rounds if reduce_sites and rc is not None else 0):
            slack = best_obj - site_bound - (1.0 - 1e-6 if integral else 0.0)
            keep = rc <= slack + 1e-9 * max(1.0, abs(best_obj))
            keep[np.searchsorted(sites, best)] = True
            if keep.all():
                break
            sites = sites[keep]
            rs = build_radius_model(cost[:, sites], p, w, relax=True)
            lp = None if out_of_time() else _lp(rs.model, rs.coef, dataclasses.replace(options, time_limit=left()))
            if lp is None:
                break
            obj, x, dual, sec = lp
            rounds += 1
            solve_s += sec
            site_bound, rc = max(site_bound, obj + rs.constant), dual[:sites.size]
            if keep.mean() > 0.95 or closed(min(site_bound, best_obj)):
                break
        say(f"{sites.size} of {m} sites left after reduced-cost fixing")
        sub = cost[:, sites]
        if not np.isfinite(sub).any(axis=1).all():  # pragma: no cover - the incumbent's sites serve everyone
            sites, sub = np.arange(m), cost
        # 3. the MILP over the remaining sites, every step, started from the incumbent
        start = np.searchsorted(sites, best)
        _, dist = plan_cost(sub, start, w)
        milp_sites = int(sites.size)
        rm = build_radius_model(sub, p, w)
        rm.model.set_start(np.arange(rm.model.n_cols), rm.start_values(start, dist))
        r, x = run_stage(rm.model, "distance", _milp_options(options, integral, left()), rm.coef)
        rounds += 1
        solve_s += r.solve_seconds
        solver = r.solver
        medians = sites[np.flatnonzero(x[:sites.size] > 0.5)]
        if medians.size == p:
            obj, _ = plan_cost(cost, medians, w)
            if obj < best_obj:
                best, best_obj = medians, obj
        sub_bound = r.best_bound + rm.constant if math.isfinite(r.best_bound) else -math.inf
        say(f"MILP ({rm.model.n_cols} columns, {rm.model.n_rows} rows): {r.status}, plan {best_obj:g}, "
            f"bound {sub_bound:g}, {r.solve_seconds:.2f} s")
        # plans using a fixed site cost more than the incumbent: the bound is the smaller of the two
        bound = max(lp_bound, min(sub_bound, best_obj) if sites.size < m else sub_bound)
    if integral and math.isfinite(bound):
        bound = math.ceil(bound - 1e-6)
    bound = min(bound, best_obj)
    gap = relative_gap(best_obj, bound)
    status = "optimal" if closed(bound) else "feasible"
    elapsed = time.perf_counter() - t_start
    return PMedianResult(
        status=status, objective=best_obj, best_bound=bound, gap=gap,
        medians=np.sort(best), assignment=best[np.argmin(cost[:, best], axis=1)], formulation="radius",
        heuristic_objective=h_obj, build_seconds=elapsed - solve_s, solve_seconds=solve_s, iterations=rounds,
        n_variables=rm.model.n_cols, n_constraints=rm.model.n_rows, solver=solver, sites_kept=milp_sites)
