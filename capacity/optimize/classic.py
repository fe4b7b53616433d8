r"""Classic location models as special cases of the same core.

Each function returns a :class:`~capacity.optimize.problem.Problem` with one
evaluation year, one build year, no existing schools and one option per
candidate site; :func:`capacity.optimize.solve` does the rest. The weights
make the weighted objective equal to the textbook objective.

* :func:`p_median` — uncapacitated p-median (ReVelle & Swain 1970):
  :math:`\min\sum_{ij} a_i d_{ij} x_{ij}`, :math:`\sum_j x_{ij}=1`,
  :math:`x_{ij}\le y_j`, :math:`\sum_j y_j=p`.
  :func:`solve_p_median` solves it and chooses the formulation: this
  assignment form through the core, or the radius form of
  :mod:`capacity.optimize.pmedian` (the default, much smaller and faster).
* :func:`capacitated_p_median` — single-sourced, capacity *Q* per median,
  demand counts only against capacity; objective the (unweighted) sum of
  distances (Osman & Christofides 1994).
* :func:`capacitated_facility_location` — Beasley's CFLP: fixed cost plus
  allocation cost, multi-sourcing allowed (Beasley 1988, OR-Library ``cap``).
"""

from __future__ import annotations

import numpy as np

import math
import time
from typing import Optional

from .pmedian import FORMULATIONS, PMedianResult, solve_radius
from .pmedian_heuristic import check_input, plan_cost
from .problem import Arcs, CountRule, Facilities, LevelProblem, Options, Problem, Units, Weights
from .solvers import SolverOptions, relative_gap


def _arcs_from_matrix(cost: np.ndarray) -> Arcs:
    cost = np.asarray(cost, dtype=float)
    u, f = np.nonzero(np.isfinite(cost))
    return Arcs(u, f, cost[u, f])


def _sites(n: int) -> Facilities:
    return Facilities(seats=np.zeros(n), existing=np.zeros(n, bool), zone=np.full(n, "all"))


def _problem(level: LevelProblem, rules=(), weights=Weights(unserved=0.0, distance=1.0, cost=0.0)) -> Problem:
    return Problem(levels=(level,), years=[0], build_years=[0], count_rules=rules,
                   objective="weighted", weights=weights)


def p_median(cost: np.ndarray, p: int, weights=None, name: str = "pmedian") -> Problem:
    """Uncapacitated p-median as a :class:`Problem`.

    Parameters
    ----------
    cost : ndarray, shape (n_demand, n_sites)
        Distance from each demand point to each candidate [distance unit];
        ``inf`` for "not allowed" (the arc is dropped).
    p : int
        Number of medians to open.
    weights : ndarray, shape (n_demand,), optional
        Demand weights (1 when omitted).
    """
    cost = np.asarray(cost, dtype=float)
    n, m = cost.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    level = LevelProblem(
        name=name, units=Units(demand=w[:, None], zone=np.full(n, "all")), facilities=_sites(m),
        options=Options(facility=np.arange(m), seats=np.full(m, np.inf), cost_cny=np.zeros(m)),
        arcs=_arcs_from_matrix(cost), allow_unserved=False)
    return _problem(level, (CountRule(name, "new", p, p),))


def capacitated_p_median(cost: np.ndarray, p: int, demand: np.ndarray, capacity,
                         name: str = "cpmp") -> Problem:
    """Single-sourced capacitated p-median (sum of distances, demand against capacity).

    Parameters
    ----------
    cost : ndarray, shape (n, m)
        Distances [distance unit].
    p : int
        Medians to open.
    demand : ndarray, shape (n,)
        Demand of each point, counted only against capacity [units].
    capacity : float or ndarray, shape (m,)
        Capacity of a median [units].
    """
    cost = np.asarray(cost, dtype=float)
    n, m = cost.shape
    d = np.asarray(demand, dtype=float)
    level = LevelProblem(
        name=name,
        units=Units(demand=d[:, None], zone=np.full(n, "all"), distance_weight=np.ones((n, 1))),
        facilities=_sites(m),
        options=Options(facility=np.arange(m), seats=np.broadcast_to(np.asarray(capacity, float), (m,)),
                        cost_cny=np.zeros(m)),
        arcs=_arcs_from_matrix(cost), single_sourcing=True, allow_unserved=False)
    return _problem(level, (CountRule(name, "new", p, p),))


def capacitated_facility_location(fixed_cost: np.ndarray, capacity: np.ndarray, demand: np.ndarray,
                                  allocation_cost: np.ndarray, name: str = "cflp") -> Problem:
    """Capacitated facility location with multi-sourcing (Beasley's ``cap`` instances).

    Parameters
    ----------
    fixed_cost : ndarray, shape (m,)
        Cost of opening each facility [cost unit].
    capacity : ndarray, shape (m,)
        Capacity of each facility [demand units].
    demand : ndarray, shape (n,)
        Demand of each customer [demand units].
    allocation_cost : ndarray, shape (n, m)
        Cost of serving the customer's *whole* demand from the facility [cost
        unit]; per demand unit it is ``allocation_cost / demand``.
    """
    c = np.asarray(allocation_cost, dtype=float)
    n, m = c.shape
    d = np.asarray(demand, dtype=float)
    per_unit = c / np.where(d > 0, d, 1.0)[:, None]
    level = LevelProblem(
        name=name, units=Units(demand=d[:, None], zone=np.full(n, "all")), facilities=_sites(m),
        options=Options(facility=np.arange(m), seats=np.asarray(capacity, float),
                        cost_cny=np.asarray(fixed_cost, float)),
        arcs=_arcs_from_matrix(per_unit), allow_unserved=False)
    return _problem(level, (), Weights(unserved=0.0, distance=1.0, cost=1.0))


def solve_assignment(cost: np.ndarray, p: int, weights: Optional[np.ndarray] = None,
                     options: SolverOptions = SolverOptions()) -> PMedianResult:
    """Solve the p-median with the assignment formulation of :func:`capacity.optimize.classic.p_median`."""
    from .api import solve

    t0 = time.perf_counter()
    cost, p, w = check_input(cost, p, weights)
    sol = solve(p_median(cost, p, w), options)
    r = sol.report
    medians = np.sort(sol.opened["facility"].to_numpy(np.int64))
    obj, _ = plan_cost(cost, medians, w)
    elapsed = time.perf_counter() - t0
    return PMedianResult(
        status=r.status, objective=obj, best_bound=r.best_bound, gap=relative_gap(obj, r.best_bound),
        medians=medians, assignment=medians[np.argmin(cost[:, medians], axis=1)], formulation="assignment",
        heuristic_objective=math.nan, build_seconds=elapsed - r.solve_seconds, solve_seconds=r.solve_seconds,
        iterations=len(r.stages) or 1, n_variables=r.n_variables, n_constraints=r.n_constraints, solver=r.solver)


def solve_p_median(cost: np.ndarray, p: int, weights: Optional[np.ndarray] = None, *,
                   formulation: str = "auto", options=None) -> PMedianResult:
    """Solve an uncapacitated p-median, choosing the formulation.

    Parameters
    ----------
    cost : ndarray, shape (n, m)
        Distance from each client to each candidate site [distance unit];
        ``inf`` for a pair not allowed.
    p : int
        Sites to open.
    weights : ndarray, shape (n,), optional
        Client weights (1 when omitted).
    formulation : {"auto", "radius", "assignment"}
        ``auto`` is the radius formulation: on OR-Library pmed it proved
        instances the assignment formulation did not (pmed17, 22, 36, …) and
        solved pmed1–10 in 7 s where spopt's assignment model took 106 s
        (``benchmarks/README.md``, "Uncapacitated p-median").
    options : SolverOptions, optional

    Returns
    -------
    PMedianResult
    """
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation {formulation!r} is not one of {', '.join(FORMULATIONS)}")
    options = options or SolverOptions()
    if formulation == "assignment":
        return solve_assignment(cost, p, weights, options)
    return solve_radius(cost, p, weights, options)
