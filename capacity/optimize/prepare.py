"""Index arrays of the model: which variables exist, before any PuLP object.

Everything here is numpy on the problem's arrays. The land filter, the
within-zone arc filter and the removal of variables that can never be
non-zero happen here, so that the pre-checks and the model builder see the
same reduced problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .problem import LevelProblem, Problem


@dataclass(frozen=True)
class PreparedLevel:
    """Reduced index arrays of one level.

    Attributes
    ----------
    level : LevelProblem
    option_ok : ndarray of bool, shape (O,)
        Options that pass the land rule.
    open_option, open_year : ndarray of int, shape (K,)
        Open variable k: option position and build-year position.
    avail_open, avail_year : ndarray of int
        Pairs (open variable, evaluation-year position) where the seats of
        the option, if built, count in that year (build year + lag ≤ year).
    served : ndarray of bool, shape (F, T)
        Facility can have seats in evaluation year t (existing or buildable in time).
    uncapacitated : ndarray of bool, shape (F,)
        Facility with infinite existing seats or an infinite-seat option.
    arc_keep : ndarray of int
        Positions of the arcs kept (within zone, to a facility that can serve).
    assign_arc, assign_year : ndarray of int, shape (X,)
        Assignment variable: position in ``arc_keep``-filtered arcs and year position.
    short_unit, short_year : ndarray of int, shape (S,)
        Shortfall variables (unit, year position) where demand > 0.
    seats_ft : ndarray of float, shape (F, T)
        Seats of each facility in each evaluation year before any decision
        (existing and carried-over seats, :meth:`Facilities.seats_in`) [pupils].
    close_facility, close_year, close_kind : ndarray of int, shape (Z,)
        Closure variable z: facility, build-year position of the closure, and
        0 for a closure, 1 for a conversion (:class:`~capacity.optimize.problem.Closures`).
    gone_close, gone_year : ndarray of int
        Pairs (closure variable, evaluation-year position) where a closure,
        if decided, has taken the seats away (closure year ≤ year).
    """

    level: LevelProblem
    option_ok: np.ndarray
    open_option: np.ndarray
    open_year: np.ndarray
    avail_open: np.ndarray
    avail_year: np.ndarray
    served: np.ndarray
    uncapacitated: np.ndarray
    arc_keep: np.ndarray
    assign_arc: np.ndarray
    assign_year: np.ndarray
    short_unit: np.ndarray
    short_year: np.ndarray
    seats_ft: np.ndarray = None
    close_facility: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    close_year: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    close_kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    gone_close: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    gone_year: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def closable(self) -> np.ndarray:
        """Facilities with at least one closure or conversion variable, shape (F,)."""
        out = np.zeros(self.level.facilities.n, dtype=bool)
        out[self.close_facility] = True
        return out

    # convenience views of kept arcs
    @property
    def arc_unit(self) -> np.ndarray:
        return self.level.arcs.unit[self.arc_keep]

    @property
    def arc_facility(self) -> np.ndarray:
        return self.level.arcs.facility[self.arc_keep]

    @property
    def arc_distance(self) -> np.ndarray:
        return self.level.arcs.distance[self.arc_keep]


def land_ok(level: LevelProblem) -> np.ndarray:
    """Options whose site has the land their size needs.

    An option of ``seats`` pupils needs ``seats × land_m2_per_pupil`` [m²];
    a facility with unknown land (``nan``) passes.
    """
    opt = level.options
    if level.land_m2_per_pupil is None or opt.n == 0:
        return np.ones(opt.n, dtype=bool)
    land = level.facilities.land_m2[opt.facility]
    need = opt.seats * float(level.land_m2_per_pupil)
    return np.isnan(land) | (need <= land + 1e-9)


def prepare_level(level: LevelProblem, years: np.ndarray, build_years: np.ndarray) -> PreparedLevel:
    """Compute the index arrays of one level (see :class:`PreparedLevel`)."""
    fac, opt, arcs, units = level.facilities, level.options, level.arcs, level.units
    T = years.size
    ok = land_ok(level)
    # open[o, b]: option o kept and build year b not before its earliest year
    mask = ok[:, None] & (build_years[None, :] >= opt.earliest_year[:, None])
    open_option, open_year = np.nonzero(mask)
    # seats of open var k count in evaluation year t when build + lag <= year
    ready = build_years[open_year][:, None] + int(level.lag_years) <= years[None, :]
    avail_open, avail_year = np.nonzero(ready)
    seats_ft = fac.seats_in(years)
    served = seats_ft > 0
    served[opt.facility[open_option[avail_open]], avail_year] = True
    uncap = np.isinf(fac.seats)
    uncap[opt.facility[ok & np.isinf(opt.seats)]] = True
    # arcs: within zone when asked, and only to facilities that can ever serve
    keep = served[arcs.facility].any(axis=1)
    if level.within_zone:
        keep &= units.zone[arcs.unit] == fac.zone[arcs.facility]
    arc_keep = np.flatnonzero(keep)
    au, af = arcs.unit[arc_keep], arcs.facility[arc_keep]
    xmask = (units.demand[au] > 0) & served[af]
    assign_arc, assign_year = np.nonzero(xmask)
    if level.allow_unserved:
        short_unit, short_year = np.nonzero(units.demand > 0)
    else:
        short_unit = short_year = np.zeros(0, dtype=np.int64)
    close_f, close_y, close_k, gone_z, gone_t = closure_variables(level, years, build_years)
    return PreparedLevel(level, ok, open_option, open_year, avail_open, avail_year, served,
                         uncap, arc_keep, assign_arc, assign_year, short_unit, short_year, seats_ft,
                         close_f, close_y, close_k, gone_z, gone_t)


def closure_variables(level: LevelProblem, years: np.ndarray, build_years: np.ndarray):
    """Closure and conversion variables of one level (see :class:`PreparedLevel`).

    One variable per closable (convertible) existing school and build year;
    a school with no seats in any evaluation year gets none.

    Returns
    -------
    (facility, year, kind, gone_close, gone_year) : tuple of ndarray
    """
    empty = np.zeros(0, np.int64)
    cl = level.closures
    if cl is None or years.size == 0:
        return empty, empty, empty, empty, empty
    seats = level.facilities.seats_in(years).max(axis=1) > 0
    parts = []
    for kind, mask in ((0, cl.closable & seats), (1, cl.convertible & seats)):
        f = np.flatnonzero(mask)
        ff, bb = np.repeat(f, build_years.size), np.tile(np.arange(build_years.size), f.size)
        parts.append((ff, bb, np.full(ff.size, kind, np.int64)))
    fac = np.concatenate([p[0] for p in parts]).astype(np.int64)
    year = np.concatenate([p[1] for p in parts]).astype(np.int64)
    kind = np.concatenate([p[2] for p in parts]).astype(np.int64)
    gone = build_years[year][:, None] <= years[None, :]
    gone_close, gone_year = np.nonzero(gone)
    return fac, year, kind, gone_close, gone_year


def prepare(problem: Problem) -> list[PreparedLevel]:
    """Prepared index arrays of every level of ``problem``."""
    return [prepare_level(lv, problem.years, problem.build_years) for lv in problem.levels]
