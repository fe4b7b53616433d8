"""Array-level inputs of the optimiser: frozen dataclasses of numpy arrays.

Nothing here knows about geography. A geo adapter (or a benchmark parser)
turns its tables into these arrays; :func:`capacity.optimize.solve` turns them
into a MILP. Positions in the arrays are the identifiers the model uses;
optional ``ids`` arrays only label the output tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import CapacityError
from .weights import Weights

KINDS = ("new", "expand")
"""Kinds of option: a new school on a candidate site, or an expansion of an existing school."""

CLOSE_KINDS = ("close", "convert")
"""Kinds of closure decision on an existing school: its seats leave the level (``close``), or
they are repurposed for another use at a cost (``convert``, see :class:`Closures`)."""

COUNT_KINDS = ("new", "expand", "any")


class ProblemError(CapacityError, ValueError):
    """The arrays handed to the optimiser are inconsistent (wrong shape, index out of range, ...)."""


def _arr(x, dtype=None):
    a = np.asarray(x, dtype=dtype)
    a.setflags(write=False)
    return a


def _ids(ids, n, what):
    if ids is None:
        return _arr(np.arange(n))
    a = np.asarray(ids)
    if a.shape != (n,):
        raise ProblemError(f"{what} ids have shape {a.shape}, expected ({n},)")
    a = a.copy()
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Units:
    """Demand units of one level.

    Attributes
    ----------
    demand : ndarray of float, shape (U, T)
        Pupils needing a seat per unit and evaluation year [pupils].
    zone : ndarray of str, shape (U,)
        Zone of each unit (used by ``within_zone`` and in messages).
    ids : ndarray, shape (U,), optional
        Labels for output tables; positions when omitted.
    distance_weight : ndarray of float, shape (U, T), optional
        Weight of a unit's assignment distance in the objective [pupils];
        the demand itself when omitted (pupil-distance). The capacitated
        p-median sets it to 1 (sum of distances, demand only against capacity).
    """

    demand: np.ndarray
    zone: np.ndarray
    ids: Optional[np.ndarray] = None
    distance_weight: Optional[np.ndarray] = None

    def __post_init__(self):
        d = np.asarray(self.demand, dtype=float)
        if d.ndim == 1:
            d = d[:, None]
        if d.ndim != 2 or np.any(~np.isfinite(d)) or np.any(d < 0):
            raise ProblemError("units.demand must be a finite, non-negative (U, T) array")
        object.__setattr__(self, "demand", _arr(d))
        z = np.asarray(self.zone).astype(str)
        if z.shape != (d.shape[0],):
            raise ProblemError(f"units.zone has shape {z.shape}, expected ({d.shape[0]},)")
        object.__setattr__(self, "zone", _arr(z))
        object.__setattr__(self, "ids", _ids(self.ids, d.shape[0], "unit"))
        if self.distance_weight is not None:
            w = np.broadcast_to(np.asarray(self.distance_weight, dtype=float).reshape(
                (d.shape[0], -1)), d.shape)
            object.__setattr__(self, "distance_weight", _arr(np.array(w)))

    @property
    def n(self) -> int:
        return self.demand.shape[0]


@dataclass(frozen=True)
class Facilities:
    """Existing schools and candidate sites of one level, in one index.

    Attributes
    ----------
    seats : ndarray of float, shape (F,)
        Existing seats [pupils]; 0 for a candidate site, ``inf`` for an
        uncapacitated existing facility.
    existing : ndarray of bool, shape (F,)
        True for a school that exists already (its options are expansions),
        False for a candidate site (its options are new schools).
    zone : ndarray of str, shape (F,)
        Zone of each facility.
    land_m2 : ndarray of float, shape (F,), optional
        Land of the parcel [m²]; ``nan`` means unknown (no land check).
    ids : ndarray, shape (F,), optional
        Labels for output tables.
    open_from : ndarray of int, shape (F,), optional
        First calendar year in which ``seats`` count (a carried-over new
        school, started before the plan, opens then) [year]; default: always.
    added_seats : ndarray of float, shape (F,), optional
        Seats of a carried-over expansion, counting from ``added_from`` [pupils]; default 0.
    added_from : ndarray of int, shape (F,), optional
        First year the added seats count [year].
    converted : ndarray of bool, shape (F,), optional
        Another level's school this level may take over by a conversion; not counted by
        plan totals or zone rules (:mod:`capacity.optimize.conversions`). Default: none.
    """

    seats: np.ndarray
    existing: np.ndarray
    zone: np.ndarray
    land_m2: Optional[np.ndarray] = None
    ids: Optional[np.ndarray] = None
    open_from: Optional[np.ndarray] = None
    added_seats: Optional[np.ndarray] = None
    added_from: Optional[np.ndarray] = None
    converted: Optional[np.ndarray] = None

    def __post_init__(self):
        s = np.asarray(self.seats, dtype=float)
        n = s.shape[0]
        if s.ndim != 1 or np.any(s < 0) or np.any(np.isnan(s)):
            raise ProblemError("facilities.seats must be a non-negative 1-D array")
        object.__setattr__(self, "seats", _arr(s))
        for name, dtype in (("existing", bool), ("zone", str)):
            a = np.asarray(getattr(self, name)).astype(dtype)
            if a.shape != (n,):
                raise ProblemError(f"facilities.{name} has shape {a.shape}, expected ({n},)")
            object.__setattr__(self, name, _arr(a))
        land = np.full(n, np.nan) if self.land_m2 is None else np.asarray(self.land_m2, float)
        if land.shape != (n,):
            raise ProblemError(f"facilities.land_m2 has shape {land.shape}, expected ({n},)")
        object.__setattr__(self, "land_m2", _arr(land))
        object.__setattr__(self, "ids", _ids(self.ids, n, "facility"))
        never = np.iinfo(np.int64).min
        for name, default, dtype in (("open_from", never, np.int64), ("added_seats", 0.0, float),
                                     ("added_from", never, np.int64)):
            v = getattr(self, name)
            a = np.full(n, default, dtype=dtype) if v is None else np.asarray(v, dtype=dtype)
            if a.shape != (n,):
                raise ProblemError(f"facilities.{name} has shape {a.shape}, expected ({n},)")
            object.__setattr__(self, name, _arr(a))
        if np.any(self.added_seats < 0) or np.any(~np.isfinite(self.added_seats)):
            raise ProblemError("facilities.added_seats must be finite and >= 0")
        conv = np.zeros(n, dtype=bool) if self.converted is None else np.asarray(self.converted, dtype=bool)
        if conv.shape != (n,) or np.any(conv & self.existing):
            raise ProblemError("facilities.converted must be (F,) and mark candidate places only")
        object.__setattr__(self, "converted", _arr(conv))

    @property
    def n(self) -> int:
        return self.seats.shape[0]

    def seats_in(self, years: np.ndarray) -> np.ndarray:
        """Seats of every facility in every year, before any decision [pupils], shape (F, T).

        ``seats`` from ``open_from`` on, plus ``added_seats`` from ``added_from`` on
        (carried-over projects open in their year and are not re-decided).
        """
        years = np.asarray(years, dtype=np.int64)[None, :]
        base = np.where(years >= self.open_from[:, None], self.seats[:, None], 0.0)
        return base + np.where(years >= self.added_from[:, None], self.added_seats[:, None], 0.0)


@dataclass(frozen=True)
class Options:
    """What may be built: one row per (facility, size module).

    A row on a candidate site is a new school, a row on an existing school an
    expansion. At most one option per facility is chosen, in one build year.

    Attributes
    ----------
    facility : ndarray of int, shape (O,)
        Facility position of each option.
    seats : ndarray of float, shape (O,)
        Seats the option adds [pupils]; ``inf`` for an uncapacitated site.
    cost_cny : ndarray of float, shape (O,)
        Cost of building it [CNY].
    earliest_year : ndarray of int, shape (O,), optional
        First build year allowed (e.g. when the land becomes available).
    label : ndarray of str, shape (O,), optional
        Module name for output tables (e.g. ``"24 classes"``).
    """

    facility: np.ndarray
    seats: np.ndarray
    cost_cny: np.ndarray
    earliest_year: Optional[np.ndarray] = None
    label: Optional[np.ndarray] = None

    def __post_init__(self):
        f = np.asarray(self.facility, dtype=np.int64)
        n = f.shape[0]
        object.__setattr__(self, "facility", _arr(f))
        s = np.asarray(self.seats, dtype=float)
        c = np.asarray(self.cost_cny, dtype=float)
        if s.shape != (n,) or c.shape != (n,):
            raise ProblemError("options.seats and options.cost_cny must match options.facility")
        if np.any(s < 0) or np.any(np.isnan(s)) or np.any(~np.isfinite(c)) or np.any(c < 0):
            raise ProblemError("options.seats must be >= 0 and options.cost_cny finite and >= 0")
        object.__setattr__(self, "seats", _arr(s))
        object.__setattr__(self, "cost_cny", _arr(c))
        e = np.full(n, np.iinfo(np.int64).min) if self.earliest_year is None else self.earliest_year
        object.__setattr__(self, "earliest_year", _arr(np.asarray(e, dtype=np.int64)))
        lab = np.array([f"{x:g} seats" for x in s]) if self.label is None else self.label
        object.__setattr__(self, "label", _arr(np.asarray(lab).astype(str)))

    @property
    def n(self) -> int:
        return self.facility.shape[0]


@dataclass(frozen=True)
class Arcs:
    """Sparse unit → facility arcs within the service distance.

    Attributes
    ----------
    unit, facility : ndarray of int, shape (A,)
        Positions of the demand unit and of the facility.
    distance : ndarray of float, shape (A,)
        Travel distance or cost per pupil [m, or the cost unit of the instance].
    """

    unit: np.ndarray
    facility: np.ndarray
    distance: np.ndarray

    def __post_init__(self):
        u = np.asarray(self.unit, dtype=np.int64)
        f = np.asarray(self.facility, dtype=np.int64)
        d = np.asarray(self.distance, dtype=float)
        if not (u.shape == f.shape == d.shape) or u.ndim != 1:
            raise ProblemError("arcs.unit, arcs.facility and arcs.distance must be 1-D of one length")
        if np.any(~np.isfinite(d)) or np.any(d < 0):
            raise ProblemError("arcs.distance must be finite and non-negative")
        for name, a in (("unit", u), ("facility", f), ("distance", d)):
            object.__setattr__(self, name, _arr(a))

    @property
    def n(self) -> int:
        return self.unit.shape[0]


@dataclass(frozen=True)
class Closures:
    """Which existing schools of a level may close or convert, and what they cost to run.

    A closure in year *b* takes the school's seats out of every evaluation year
    ≥ *b* (its pupils go to other schools within the service distances, or
    are unserved) and stops its operating cost from *b* on. A conversion does
    the same for this level, at ``convert_cost_cny``, and hands the seats to
    another use (``convert_to``, e.g. nursery places 托育). A school is closed,
    converted or expanded at most once (one decision per facility).

    Attributes
    ----------
    closable : ndarray of bool, shape (F,)
        May close (False for protected schools and candidate sites).
    convertible : ndarray of bool, shape (F,)
        May convert.
    convert_cost_cny : ndarray of float, shape (F,)
        Cost of a conversion [CNY] (spent in its year, counted in the budget).
    convert_to : str
        What converted seats become (a label for the output tables).
    max_per_zone_year : int, optional
        At most this many closures plus conversions per zone and year [schools].
    nursery : NurseryCredit, optional
        When the conversions make nursery places (托育)
        (:class:`~capacity.optimize.problem_conversions.NurseryCredit`).
    """

    closable: np.ndarray
    convertible: np.ndarray
    convert_cost_cny: np.ndarray
    convert_to: str = "other use"
    max_per_zone_year: Optional[int] = None
    nursery: Optional["NurseryCredit"] = None

    def __post_init__(self):
        n = np.asarray(self.closable).shape[0]
        if self.nursery is not None and self.nursery.places.shape != (n,):
            raise ProblemError(f"closures.nursery.places has shape {self.nursery.places.shape}, expected ({n},)")
        for name, dtype in (("closable", bool), ("convertible", bool), ("convert_cost_cny", float)):
            a = np.asarray(getattr(self, name), dtype=dtype)
            if a.shape != (n,):
                raise ProblemError(f"closures.{name} has shape {a.shape}, expected ({n},)")
            object.__setattr__(self, name, _arr(a))
        if np.any(~np.isfinite(self.convert_cost_cny[self.convertible])) or np.any(self.convert_cost_cny < 0):
            raise ProblemError("closures.convert_cost_cny must be finite and >= 0 where conversion is allowed")
        if self.max_per_zone_year is not None and self.max_per_zone_year < 0:
            raise ProblemError("closures.max_per_zone_year must be >= 0")


@dataclass(frozen=True)
class Operating:
    """Operating costs of a level's schools [CNY per year].

    Attributes
    ----------
    school_cny : ndarray of float, shape (F,)
        Fixed cost of running each facility for a year (staff, upkeep) [CNY/year];
        for a candidate site, the cost of a new school on it once open.
    pupil_cny : float
        Cost per pupil seated per year [CNY/(pupil·year)].
    """

    school_cny: np.ndarray
    pupil_cny: float = 0.0

    def __post_init__(self):
        a = np.asarray(self.school_cny, dtype=float)
        if a.ndim != 1 or np.any(~np.isfinite(a)) or np.any(a < 0):
            raise ProblemError("operating.school_cny must be a finite, non-negative 1-D array")
        object.__setattr__(self, "school_cny", _arr(a))
        if not np.isfinite(self.pupil_cny) or self.pupil_cny < 0:
            raise ProblemError("operating.pupil_cny must be finite and >= 0")


@dataclass(frozen=True)
class LevelProblem:
    """One school level: its demand, facilities, options and arcs.

    Attributes
    ----------
    name : str
        Level name (``kindergarten``, ``primary``, ... or an instance name).
    units, facilities, options, arcs
        See :class:`Units`, :class:`Facilities`, :class:`Options`, :class:`Arcs`.
    single_sourcing : bool
        Each unit is served by exactly one school per year (binary assignment).
    within_zone : bool
        Assign units only to facilities of their own zone (compulsory levels).
    lag_years : int
        Years between the build year and the first year the seats count [years].
    land_m2_per_pupil : float, optional
        Land standard [m²/pupil]; an option needs ``seats × land_m2_per_pupil``
        of the facility's ``land_m2``. ``None``: no land rule.
    allow_unserved : bool
        When False there is no shortfall variable: all demand must be seated
        (the classic benchmarks); otherwise shortfall is penalised.
    closures : Closures, optional
        Existing schools that may close or convert; none when omitted.
    operating : Operating, optional
        Operating costs counted in the objective's cost part; none when omitted.
    """

    name: str
    units: Units
    facilities: Facilities
    options: Options
    arcs: Arcs
    single_sourcing: bool = False
    within_zone: bool = False
    lag_years: int = 0
    land_m2_per_pupil: Optional[float] = None
    allow_unserved: bool = True
    closures: Optional[Closures] = None
    operating: Optional[Operating] = None

    def __post_init__(self):
        if self.arcs.n and (self.arcs.unit.max() >= self.units.n or self.arcs.unit.min() < 0):
            raise ProblemError(f"level {self.name}: arcs.unit out of range 0..{self.units.n - 1}")
        if self.arcs.n and (self.arcs.facility.max() >= self.facilities.n or self.arcs.facility.min() < 0):
            raise ProblemError(f"level {self.name}: arcs.facility out of range 0..{self.facilities.n - 1}")
        if self.options.n and (self.options.facility.max() >= self.facilities.n or self.options.facility.min() < 0):
            raise ProblemError(f"level {self.name}: options.facility out of range 0..{self.facilities.n - 1}")
        n = self.facilities.n
        if self.closures is not None:
            if self.closures.closable.shape != (n,):
                raise ProblemError(f"level {self.name}: closures cover {self.closures.closable.size} facilities, "
                                   f"expected {n}")
            bad = (self.closures.closable | self.closures.convertible) & ~(
                self.facilities.existing & np.isfinite(self.facilities.seats))
            if bad.any():
                raise ProblemError(f"level {self.name}: only existing capacitated schools may close or convert")
        if self.operating is not None and self.operating.school_cny.shape != (n,):
            raise ProblemError(f"level {self.name}: operating.school_cny has {self.operating.school_cny.size} "
                               f"entries, expected {n}")

    def option_kind(self) -> np.ndarray:
        """``"new"`` or ``"expand"`` per option."""
        return np.where(self.facilities.existing[self.options.facility], "expand", "new")


@dataclass(frozen=True)
class CountRule:
    """Bounds on the number of schools opened (a plan total or a zone/year rule).

    Attributes
    ----------
    level : str
        Level the rule counts.
    kind : {"new", "expand", "any"}
        Which options count.
    minimum, maximum : int, optional
        Inclusive bounds [schools]; ``None`` for no bound.
    zone : str, optional
        Count only options in this zone.
    year : int, optional
        Count only options built in this build year.
    """

    level: str
    kind: str = "new"
    minimum: Optional[int] = None
    maximum: Optional[int] = None
    zone: Optional[str] = None
    year: Optional[int] = None

    def __post_init__(self):
        if self.kind not in COUNT_KINDS:
            raise ProblemError(f"count rule kind {self.kind!r} is not one of {COUNT_KINDS}")
        if self.minimum is None and self.maximum is None:
            raise ProblemError("a count rule needs a minimum or a maximum")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ProblemError(f"count rule for {self.describe()} has minimum {self.minimum} > maximum {self.maximum}")

    def describe(self) -> str:
        kind = {"new": "new ", "expand": "expanded ", "any": "new or expanded "}[self.kind]
        where = f" in zone {self.zone}" if self.zone is not None else ""
        when = f" in build year {self.year}" if self.year is not None else ""
        return f"{kind}{self.level} schools{where}{when}"


PLAN_MODES = {
    "exact": lambda n: (n, n),
    "at_most": lambda n: (None, n),
    "at_least": lambda n: (n, None),
}


def plan_total(level: str, count: int, mode: str = "exact", kind: str = "new") -> CountRule:
    """Plan total of a level as a :class:`CountRule`.

    Parameters
    ----------
    level : str
    count : int
        Schools the plan promises [schools].
    mode : {"exact", "at_most", "at_least"}
    kind : {"new", "expand", "any"}
    """
    if mode not in PLAN_MODES:
        raise ProblemError(f"plan total mode {mode!r} is not one of {tuple(PLAN_MODES)}")
    lo, hi = PLAN_MODES[mode](int(count))
    return CountRule(level=level, kind=kind, minimum=lo, maximum=hi)


@dataclass(frozen=True)
class Problem:
    """A whole planning problem: levels sharing build years and budgets.

    Attributes
    ----------
    levels : tuple of LevelProblem
    years : ndarray of int, shape (T,)
        Evaluation years; column k of every ``units.demand`` is year ``years[k]``.
    build_years : ndarray of int, shape (B,)
        Years in which a school may be built (opened).
    budget_cny : ndarray of float, shape (B,), optional
        Construction budget per build year [CNY]; ``inf`` for none.
    count_rules : tuple of CountRule
        Plan totals and per-zone / per-year minimums and maximums.
    objective : {"weighted", "lexicographic"}
        Weighted sum of the three parts, or unserved → distance → cost in turn.
    weights : Weights
    column_weight : ndarray of float, shape (T,), optional
        Weight of evaluation column k in the unserved and distance parts
        [share]; ones when omitted (every existing result is unchanged).
        With it, columns may stack several demand scenarios that share the
        build decisions (a two-stage stochastic programme: scenario s's
        years as a block of columns, each weighted by its probability, e.g.
        ``1/K``); ``years`` then repeats, and the unserved discount of a
        column is ``year_discount ** r`` with ``r`` the position of its year
        among the distinct years in order of first appearance (``r = k``
        when the years are distinct, the usual case). See
        :mod:`capacity.ensemble.robust`.
    conversions : tuple of LevelConversion
        Links of :mod:`capacity.optimize.problem_conversions` (ignored unless both levels are here).
    """

    levels: tuple
    years: np.ndarray
    build_years: np.ndarray
    budget_cny: Optional[np.ndarray] = None
    count_rules: tuple = ()
    objective: str = "weighted"
    weights: Weights = field(default_factory=Weights)
    column_weight: Optional[np.ndarray] = None
    conversions: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "conversions", tuple(self.conversions))
        levels = tuple(self.levels)
        object.__setattr__(self, "levels", levels)
        names = [lv.name for lv in levels]
        if len(set(names)) != len(names):
            raise ProblemError(f"level names must be unique, got {names}")
        years = np.asarray(self.years, dtype=np.int64).reshape(-1)
        object.__setattr__(self, "years", _arr(years))
        build = np.asarray(self.build_years, dtype=np.int64).reshape(-1)
        object.__setattr__(self, "build_years", _arr(build))
        for lv in levels:
            if lv.units.demand.shape[1] != years.size:
                raise ProblemError(
                    f"level {lv.name}: demand has {lv.units.demand.shape[1]} year columns "
                    f"but there are {years.size} evaluation years")
        budget = np.full(build.size, np.inf) if self.budget_cny is None else np.asarray(self.budget_cny, float)
        if budget.shape != build.shape:
            raise ProblemError(f"budget_cny has shape {budget.shape}, expected {build.shape}")
        object.__setattr__(self, "budget_cny", _arr(budget))
        object.__setattr__(self, "count_rules", tuple(self.count_rules))
        for rule in self.count_rules:
            if rule.level not in names:
                raise ProblemError(f"count rule names level {rule.level!r}, not one of {names}")
        if self.objective not in ("weighted", "lexicographic"):
            raise ProblemError(f"objective {self.objective!r} is not 'weighted' or 'lexicographic'")
        if self.column_weight is not None:
            cw = np.asarray(self.column_weight, dtype=float).reshape(-1)
            if cw.shape != years.shape or np.any(~np.isfinite(cw)) or np.any(cw < 0):
                raise ProblemError(f"column_weight must be {years.size} finite weights >= 0, got shape {cw.shape}")
            object.__setattr__(self, "column_weight", _arr(cw))

    def year_rank(self) -> np.ndarray:
        """Discount exponent of each evaluation column: its year's position among the
        distinct years in order of first appearance (``arange(T)`` for distinct years)."""
        _, first, inverse = np.unique(self.years, return_index=True, return_inverse=True)
        order = np.argsort(np.argsort(first, kind="stable"), kind="stable")
        return order[inverse.reshape(-1)]

    def year_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Weight of each evaluation column in the unserved and the distance parts.

        Returns
        -------
        (unserved, distance) : tuple of ndarray, shape (T,)
            With ``weights.calendar_years`` both are the column's calendar
            years (:meth:`year_span`) discounted to the first build year at
            ``weights.cost_discount_rate``; otherwise ``year_discount ** rank``
            and ones. Stacked scenario weights (``column_weight``) are not
            included.
        """
        w = self.weights
        if getattr(w, "calendar_years", False):
            first = float(self.build_years[0]) if len(self.build_years) else float(np.min(self.years))
            pv = self.year_span() * (1.0 + w.cost_discount_rate) ** -(np.asarray(self.years, float) - first)
            return pv, pv
        return w.year_discount ** self.year_rank().astype(float), np.ones(len(self.years))

    def year_span(self) -> np.ndarray:
        """Calendar years each evaluation column stands for, for operating costs [years].

        A column stands for the years from its year to the next distinct
        evaluation year (the last for itself only): with checks in 2023, 2024,
        2025 and 2030 the spans are 1, 1, 5, 1 — every year 2023–2030 once.
        """
        uniq = np.unique(self.years)
        span = np.append(np.diff(uniq), 1).astype(float)
        return span[np.searchsorted(uniq, self.years)]

    def level(self, name: str) -> LevelProblem:
        for lv in self.levels:
            if lv.name == name:
                return lv
        raise KeyError(name)
