r"""Uncapacitated p-median plans without a solver: input checks, a plan's cost, and the swap heuristic.

The heuristic (:func:`heuristic`) builds a plan greedily (each step opens the
site that lowers the total most) and improves it by best-improvement swaps
(close one median, open another; Teitz & Bart 1968) until no swap helps. A
swap's gain is evaluated for all (median, site) pairs at once from each
client's nearest and second-nearest open distance (the bookkeeping of
Whitaker 1983): opening *j* saves :math:`\sum_i w_i (d^1_i - \min(d^1_i, d_{ij}))`,
and closing median *k* then costs its clients
:math:`\sum_{i: k \text{ nearest}} w_i (\min(d_{ij}, d^2_i) - \min(d_{ij}, d^1_i))`
— numpy arrays of (clients × sites), no Python loop over them. It is the
first plan, upper bound and MIP start of :func:`capacity.optimize.pmedian.solve_radius`.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from scipy.sparse import csr_matrix

from ..errors import DataError

__all__ = ["check_input", "heuristic", "objective_is_integral", "plan_cost"]


# ---------------------------------------------------------------------------
# input checks and plan cost
# ---------------------------------------------------------------------------

def check_input(cost, p, weights) -> tuple[np.ndarray, int, np.ndarray]:
    """A p-median's inputs as arrays, or a :class:`~capacity.errors.DataError` naming what is wrong.

    Parameters
    ----------
    cost : array_like, shape (n, m)
        Distances [distance unit]: finite and non-negative, ``inf`` for a pair not allowed.
    p : int
        Sites to open, 1 to *m*.
    weights : array_like, shape (n,), or None
        Finite non-negative client weights (1 when None).

    Returns
    -------
    (ndarray, int, ndarray)
        ``cost`` as floats, ``p``, the weights.
    """
    cost = np.asarray(cost, dtype=float)
    if cost.ndim != 2 or cost.size == 0:
        raise DataError(f"cost must be a non-empty (clients, sites) matrix, got shape {cost.shape}")
    n, m = cost.shape
    if np.isnan(cost).any() or (cost < 0).any():
        raise DataError("cost holds NaN or negative distances (use inf for a site a client may not use)")
    if not isinstance(p, (int, np.integer)) or not 1 <= p <= m:
        raise DataError(f"p must be an integer between 1 and the number of sites ({m}), got {p!r}")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
    if w.size != n or not np.isfinite(w).all() or (w < 0).any():
        raise DataError(f"weights must be {n} finite non-negative numbers")
    lonely = np.flatnonzero(~np.isfinite(cost).any(axis=1))
    if lonely.size:
        raise DataError(f"client {int(lonely[0])} (0-based) has no allowed site (every cost is inf)")
    return cost, int(p), w


def plan_cost(cost: np.ndarray, medians, weights: Optional[np.ndarray] = None) -> tuple[float, np.ndarray]:
    """Objective of a plan and each client's distance to its nearest open site.

    Parameters
    ----------
    cost : ndarray, shape (n, m)
        Distances [distance unit]; ``inf`` for a site a client may not use.
    medians : array_like of int
        Open sites.
    weights : ndarray, shape (n,), optional
        Client weights (1 when omitted).

    Returns
    -------
    (float, ndarray)
        :math:`\\sum_i w_i d_i` (``inf`` if a client reaches no open site) and
        the distances :math:`d_i`.
    """
    d = np.asarray(cost, dtype=float)[:, np.asarray(medians, dtype=np.int64)].min(axis=1)
    w = np.ones(d.size) if weights is None else np.asarray(weights, dtype=float)
    mask = w > 0
    return float(w[mask] @ d[mask]), d


# ---------------------------------------------------------------------------
# heuristic: greedy + best-improvement swaps
# ---------------------------------------------------------------------------

def _finite_cost(cost: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``cost`` with ``inf`` replaced by a penalty larger than any plan without forbidden pairs."""
    fin = np.isfinite(cost)
    if fin.all():
        return cost
    row_max = np.where(fin, cost, 0.0).max(axis=1)
    wpos = w[w > 0]
    big = 1.0 + float(w @ row_max) / (wpos.min() if wpos.size else 1.0)
    return np.where(fin, cost, big)


def heuristic(cost: np.ndarray, p: int, weights: Optional[np.ndarray] = None,
              max_swaps: Optional[int] = None, start=None) -> np.ndarray:
    """A good p-median plan: greedy construction, then best-improvement swaps to a local optimum.

    Parameters
    ----------
    cost : ndarray, shape (n, m)
        Distances [distance unit] (``inf``: not allowed).
    p : int
    weights : ndarray, shape (n,), optional
    max_swaps : int, optional
        Stop after this many swaps (default ``20 p + 100``).
    start : array_like of int, optional
        *p* distinct sites to start the swaps from instead of the greedy plan.

    Returns
    -------
    ndarray of int
        The *p* open sites, sorted. Deterministic (ties go to the lowest site number).
    """
    cost, p, w = check_input(cost, p, weights)
    c = _finite_cost(cost, w)
    n, m = c.shape
    is_open = np.zeros(m, bool)
    if start is not None:
        is_open[np.asarray(start, dtype=np.int64)] = True
        if is_open.sum() != p:
            raise DataError(f"start must hold {p} distinct sites")
        d1 = c[:, is_open].min(axis=1)
    else:
        first = int(np.argmin(w @ c))
        is_open[first] = True
        d1 = c[:, first].copy()
    for _ in range(p - int(is_open.sum())):  # greedy: add the site that lowers the total most
        total = w @ np.minimum(c, d1[:, None])
        total[is_open] = np.inf
        j = int(np.argmin(total))
        is_open[j] = True
        np.minimum(d1, c[:, j], out=d1)
    medians = np.flatnonzero(is_open)
    if p == m:
        return medians
    rows = np.arange(n)
    big = float(c.max()) * 2.0 + 1.0
    tol = 1e-9 * max(1.0, float(w @ d1))
    for _ in range(20 * p + 100 if max_swaps is None else max_swaps):
        sub = c[:, medians]
        if p >= 2:
            two = np.argpartition(sub, 1, axis=1)[:, :2]
            a, b = sub[rows, two[:, 0]], sub[rows, two[:, 1]]
            swap = b < a
            near = np.where(swap, two[:, 1], two[:, 0])
            d1, d2 = np.minimum(a, b), np.maximum(a, b)
        else:
            near, d1, d2 = np.zeros(n, np.int64), sub[:, 0], np.full(n, big)
        m1 = np.minimum(c, d1[:, None])
        gain_in = w @ m1 - w @ d1                      # (m,) adding site j
        extra = w[:, None] * (np.minimum(c, d2[:, None]) - m1)
        by_median = csr_matrix((np.ones(n), (near, rows)), shape=(p, n))
        delta = gain_in[None, :] + np.asarray(by_median @ extra)  # (p, m) closing median k, opening j
        delta[:, medians] = np.inf
        k, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if not delta[k, j] < -tol:
            break
        medians = np.sort(np.r_[np.delete(medians, k), j])
    return medians


def objective_is_integral(cost: np.ndarray, w: np.ndarray) -> bool:
    """Whether every plan's objective is an integer (integer weights and allowed distances)."""
    fin = cost[np.isfinite(cost)]
    return bool(np.all(w == np.round(w)) and np.all(fin == np.round(fin)))
