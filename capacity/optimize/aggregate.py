"""Merge interchangeable demand units before a solve, with an a-priori error bound (pure numpy).

Two demand units of a level are *interchangeable* when they lie in the same
zone and reach the same existing schools and candidate sites (the same arcs:
the urban/rural class and the service distance are already in them). Such
units can be served as one aggregate whose demand is the sum of theirs and
whose distance to each facility is the pupil-weighted mean of theirs. With a
distance tolerance ``τ`` the units of one such group are further clustered
(complete linkage on their distance vectors, Chebyshev metric) so that no
unit's distance to any of its facilities differs from its aggregate's by
more than ``τ``: its *displacement* ``δ_i = max_f |dist_if − dist_gf| ≤ τ``.

Error bound
-----------
Every plan serves the same pupils at the same schools in both models
(capacities, unserved pupils, costs and counts are sums over units, and an
aggregate's share maps to the same share for each of its units, or the
units' pupils add up to the aggregate's), so only the distance part moves,
and by at most

.. math::

    B = \\beta \\sum_{i,t} c_t\\, d_{it}\\, \\delta_i

(``β`` the distance weight, ``c_t`` the column weight of year *t*,
``d_it`` the pupils): in both directions, for every plan. Hence

* the exact assignment of the aggregated plan's original units (the
  transportation LP of :func:`capacity.optimize.api.solve`) costs at most
  the aggregated objective + ``B``, and
* the original optimum is at least the aggregated solver's bound − ``B``,

so the certified gap stays honest when the bound is lowered by ``B``. With
``τ = 0`` only units with identical distance vectors merge and ``B = 0``:
the aggregation is exact.

Levels whose units cannot be merged this way are left as they are: single
sourcing (one school per unit: merging would force units together) and a
``distance_weight`` other than the pupils (e.g. the capacitated p-median's
sum of distances).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .problem import Arcs, LevelProblem, Problem, Units

__all__ = ["LevelAggregation", "aggregate_level", "aggregate_problem", "displacement", "unit_groups"]

_HASH_SEED = 20_141  # fixed: the set hash below must be the same in every run (not randomness of the model)


@dataclass(frozen=True)
class LevelAggregation:
    """How one level's units were merged.

    Attributes
    ----------
    level : str
    group : ndarray of int, shape (U,)
        Aggregate of each original unit.
    units_before, units_after : int
        Demand units before and after [units].
    arcs_before, arcs_after : int
        Unit → facility arcs before and after [arcs].
    pupil_m : float
        ``Σ_{i,t} c_t d_it δ_i``: the largest change of the pupil-distance [pupil·m].
    bound : float
        ``β · pupil_m``: the largest change of the objective [objective units].
    max_displacement_m : float
        Largest ``δ_i`` [m].
    """

    level: str
    group: np.ndarray
    units_before: int
    units_after: int
    arcs_before: int
    arcs_after: int
    pupil_m: float
    bound: float
    max_displacement_m: float

    def as_dict(self) -> dict:
        return {"units_before": self.units_before, "units_after": self.units_after,
                "arcs_before": self.arcs_before, "arcs_after": self.arcs_after,
                "bound_pupil_m": self.pupil_m, "bound_objective": self.bound,
                "max_displacement_m": self.max_displacement_m}


def mergeable(level: LevelProblem) -> bool:
    """Whether ``level``'s units may be merged (see the module docstring)."""
    return not level.single_sourcing and level.units.distance_weight is None


def _signature(level: LevelProblem) -> np.ndarray:
    """Group number of each unit by (zone, set of reachable facilities), shape (U,)."""
    units, arcs = level.units, level.arcs
    rng = np.random.default_rng(_HASH_SEED)
    r1 = rng.integers(1, 2 ** 63, size=level.facilities.n, dtype=np.uint64)
    r2 = rng.integers(1, 2 ** 63, size=level.facilities.n, dtype=np.uint64)
    h1 = np.zeros(units.n, dtype=np.uint64)
    h2 = np.zeros(units.n, dtype=np.uint64)
    with np.errstate(over="ignore"):  # sums of random 64-bit words modulo 2**64: a hash of the set
        np.add.at(h1, arcs.unit, r1[arcs.facility])
        np.add.at(h2, arcs.unit, r2[arcs.facility])
    count = np.bincount(arcs.unit, minlength=units.n)
    _, zone = np.unique(units.zone, return_inverse=True)
    key = np.stack([zone.reshape(-1).astype(np.uint64), count.astype(np.uint64), h1, h2], axis=1)
    _, sig = np.unique(key, axis=0, return_inverse=True)
    return sig.reshape(-1)


def unit_groups(level: LevelProblem, tolerance_m: float) -> np.ndarray:
    """Aggregate of each unit, shape (U,), numbered 0..G−1.

    Units of one (zone, facility set) group are clustered by complete
    linkage on their distance vectors (Chebyshev) cut at ``tolerance_m``:
    within an aggregate any two units' distances to any facility differ by
    at most ``tolerance_m`` [m]. A level that is not :func:`mergeable` keeps
    one aggregate per unit.
    """
    if tolerance_m < 0 or not np.isfinite(tolerance_m):
        raise ValueError(f"aggregation tolerance must be a finite distance >= 0 m, got {tolerance_m}")
    units, arcs = level.units, level.arcs
    if not mergeable(level) or units.n == 0:
        return np.arange(units.n)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    sig = _signature(level)
    order = np.lexsort((arcs.facility, arcs.unit))  # each unit's arcs in facility order
    dist = arcs.distance[order]
    first = np.searchsorted(arcs.unit[order], np.arange(units.n))
    k = np.bincount(arcs.unit, minlength=units.n)
    group = np.arange(units.n)
    members_by_sig = np.argsort(sig, kind="stable")
    cuts = np.flatnonzero(np.diff(sig[members_by_sig])) + 1
    next_id = 0
    for members in np.split(members_by_sig, cuts):  # one small clustering per (zone, facility set)
        m, kk = members.size, int(k[members[0]])
        if m == 1 or kk == 0:  # a unit alone, or units without any arc: never served, merge freely
            c = np.zeros(m, dtype=np.int64) if kk == 0 else np.arange(m)
        else:
            x = dist[first[members][:, None] + np.arange(kk)[None, :]]
            c = fcluster(linkage(pdist(x, "chebyshev"), "complete"), tolerance_m, "distance") - 1
        group[members] = next_id + c
        next_id += int(c.max()) + 1
    _, group = np.unique(group, return_inverse=True)  # 0..G-1 in order of the first unit
    return group.reshape(-1)


def displacement(level: LevelProblem, group: np.ndarray) -> tuple[Arcs, np.ndarray]:
    """The aggregates' arcs and each original unit's displacement.

    Returns
    -------
    (Arcs, ndarray)
        Arcs of the aggregates (unit = aggregate; distance = the
        pupil-weighted mean over the years and units, the plain mean for
        units without pupils) and ``δ_i`` per original unit [m], shape (U,).
    """
    arcs, units = level.arcs, level.units
    weight = units.demand.sum(axis=1)[arcs.unit]
    G = int(group.max()) + 1 if group.size else 0
    key = group[arcs.unit] * np.int64(level.facilities.n) + arcs.facility
    uniq, inv = np.unique(key, return_inverse=True)
    inv = inv.reshape(-1)
    wsum = np.bincount(inv, weights=weight, minlength=uniq.size)
    mean_w = np.bincount(inv, weights=weight * arcs.distance, minlength=uniq.size) / np.where(wsum > 0, wsum, 1.0)
    mean_plain = np.bincount(inv, weights=arcs.distance, minlength=uniq.size) / np.bincount(inv, minlength=uniq.size)
    lo = np.full(uniq.size, np.inf)
    hi = np.full(uniq.size, -np.inf)
    np.minimum.at(lo, inv, arcs.distance)
    np.maximum.at(hi, inv, arcs.distance)
    mean = np.clip(np.where(wsum > 0, mean_w, mean_plain), lo, hi)  # no rounding outside the members' range
    mean = np.where(lo == hi, lo, mean)  # identical distances stay exactly what they are
    delta = np.zeros(units.n)
    np.maximum.at(delta, arcs.unit, np.abs(arcs.distance - mean[inv]))
    out = Arcs(unit=uniq // max(level.facilities.n, 1), facility=uniq % max(level.facilities.n, 1), distance=mean)
    assert G == 0 or out.unit.max() < G
    return out, delta


def aggregate_level(level: LevelProblem, tolerance_m: float, beta: float, column_weight=None):
    """One level with its interchangeable units merged.

    Parameters
    ----------
    level : LevelProblem
    tolerance_m : float
        Largest displacement allowed within an aggregate [m] (0: exact merges only).
    beta : float
        Distance weight of the objective [objective units / (pupil·m)].
    column_weight : ndarray, shape (T,), optional
        :attr:`Problem.column_weight`.

    Returns
    -------
    (LevelProblem, LevelAggregation)
        The level unchanged when nothing merges (``units_after == units_before``).
    """
    group = unit_groups(level, tolerance_m)
    G = int(group.max()) + 1 if group.size else 0
    units = level.units
    if G == units.n:
        info = LevelAggregation(level.name, group, units.n, units.n, level.arcs.n, level.arcs.n, 0.0, 0.0, 0.0)
        return level, info
    T = units.demand.shape[1]
    demand = np.zeros((G, T))
    np.add.at(demand, group, units.demand)
    first = np.full(G, units.n)
    np.minimum.at(first, group, np.arange(units.n))
    arcs, delta = displacement(level, group)
    cw = np.ones(T) if column_weight is None else np.asarray(column_weight, dtype=float)
    pupil_m = float((units.demand * cw[None, :]).sum(axis=1) @ delta)
    merged = dataclasses.replace(level, units=Units(demand=demand, zone=units.zone[first]), arcs=arcs)
    info = LevelAggregation(level.name, group, units.n, G, level.arcs.n, arcs.n, pupil_m, beta * pupil_m,
                            float(delta.max()) if delta.size else 0.0)
    return merged, info


def aggregate_problem(problem: Problem, tolerance_m: float) -> tuple[Problem, dict]:
    """``problem`` with every mergeable level's units merged (see the module docstring).

    Returns
    -------
    (Problem, dict of str to LevelAggregation)
        The aggregated problem (levels, years, options and rules otherwise
        unchanged) and, per level, how it was merged; ``sum(info.bound)`` is
        the a-priori bound of the objective's change [objective units].
    """
    levels, info = [], {}
    for lv in problem.levels:
        merged, inf = aggregate_level(lv, tolerance_m, problem.weights.distance, problem.column_weight)
        levels.append(merged)
        info[lv.name] = inf
    return dataclasses.replace(problem, levels=tuple(levels)), info
