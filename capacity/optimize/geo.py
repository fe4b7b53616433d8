"""The geo adapter: a city and its unit demand → one level's array-level problem.

This is the only part of :mod:`capacity.optimize` that knows about geography.
It checks that the layers are in a projected CRS in metres, builds the
size-module options that fit each parcel's land, and finds the sparse
unit → facility arcs within each level's service distance with a k-d tree
(never a dense unit × facility matrix).

Distances are straight-line (Euclidean) in the city's metric CRS [m]; the
urban or rural maximum of a level applies by the demand unit's ``urban`` flag.
What the scenario says (weights, rules, budgets, per-level switches) is
translated in :mod:`capacity.optimize.translate`, which assembles the whole
:class:`~capacity.optimize.problem.Problem` from these levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from capacity import LEVELS
from capacity.data.model import CityData, LevelStandard
from capacity.errors import DataError
from capacity.optimize.problem import Arcs, Closures, Facilities, LevelProblem, Operating, Options, Units
from capacity.optimize.problem_conversions import NurseryCredit


@dataclass(frozen=True)
class LevelSettings:
    """How one level may be planned (from the scenario, see :mod:`capacity.optimize.translate`).

    Attributes
    ----------
    allow_expansion : bool
        Existing schools may grow by the level's expansion modules.
    single_sourcing : bool
        Each unit's pupils go to one school.
    within_zone : bool
        Pupils stay in their own zone.
    lag_years : int
        Years from the build year until the seats are ready [years].
    distance : str
        ``"straight"`` (default: straight lines, k-d tree) or ``"network"`` (shortest paths along
        the city's road layer, :mod:`capacity.network`).
    closable : bool
        Existing schools may close (issue 13).
    convert_to : str, optional
        Existing schools may convert their seats to this use.
    convert_cost_cny_per_seat : float
        Cost of a conversion per seat [CNY/seat].
    max_closures_per_zone_year : int, optional
        At most this many closures plus conversions per zone and year.
    protected : tuple of str
        ``school_id`` of schools that must stay open.
    protect_sole_rural : bool
        Also protect each school that is the only existing school within reach
        of some rural demand unit (its pupils would otherwise travel beyond the
        rural maximum).
    operating_cny_per_school, operating_cny_per_pupil : float
        Running costs [CNY/year] and [CNY/(pupil·year)].
    nursery_places_per_seat : float
        Nursery places (托育) one converted seat makes [places/seat] (when ``convert_to`` is nursery).
    nursery_cny_per_place : float
        Avoided cost of a nursery place built elsewhere, credited per place converted up to
        the zone's unmet need [CNY/place]; 0: a conversion has no value (only its cost).
    nursery_need : tuple of (str, float)
        Unmet need for nursery places per zone [places] (:func:`capacity.optimize.conversions.nursery_need`).
    convert_to_level : str, optional
        Another planned level whose schools this level's closed schools may become
        (:mod:`capacity.optimize.conversions`); needs ``closable``.
    level_convert_cost_cny_per_seat : float
        Cost of such a conversion per seat of the school converted [CNY/seat].
    """

    allow_expansion: bool = True
    single_sourcing: bool = False
    within_zone: bool = False
    lag_years: int = 0
    distance: str = "straight"
    closable: bool = False
    convert_to: Optional[str] = None
    convert_cost_cny_per_seat: float = 0.0
    max_closures_per_zone_year: Optional[int] = None
    protected: tuple = ()
    protect_sole_rural: bool = True
    operating_cny_per_school: float = 0.0
    operating_cny_per_pupil: float = 0.0
    nursery_places_per_seat: float = 0.0
    nursery_cny_per_place: float = 0.0
    nursery_need: tuple = ()
    convert_to_level: Optional[str] = None
    level_convert_cost_cny_per_seat: float = 0.0

    @property
    def shrinking(self) -> bool:
        """Existing schools may close or convert."""
        return self.closable or self.convert_to is not None


@dataclass(frozen=True)
class LevelIndex:
    """Labels of one level's positions, to turn a solution back into tables.

    Attributes
    ----------
    unit_ids, unit_zone : ndarray
        Demand unit ids and zones, by unit position.
    facility_ids, facility_zone : ndarray
        School or site ids and zones, by facility position.
    facility_existing : ndarray of bool
    facility_xy : ndarray, shape (F, 2)
        Coordinates in the metric CRS [m].
    option_classes : ndarray of int
        Classes of each option (a new school's size or an expansion's).
    """

    unit_ids: np.ndarray
    unit_zone: np.ndarray
    facility_ids: np.ndarray
    facility_zone: np.ndarray
    facility_existing: np.ndarray
    facility_xy: np.ndarray
    option_classes: np.ndarray


def _xy(layer) -> np.ndarray:
    return np.column_stack([layer.geometry.x.to_numpy(), layer.geometry.y.to_numpy()])


def _check_metric(layer, name):
    if layer.crs is None or not layer.crs.is_projected:
        raise DataError(f"{name} must be in a projected CRS in metres to measure distances",
                        path=name)


def check_metric_layers(city: CityData) -> None:
    """Raise :class:`DataError` unless the demand units, schools and sites are in a metric CRS."""
    for layer, name in ((city.demand_units, "demand_units.gpkg"), (city.schools, "schools.gpkg"),
                        (city.candidate_sites, "candidate_sites.gpkg")):
        _check_metric(layer, name)


def unit_demand_matrix(unit_demand: pd.DataFrame, level: str, years) -> pd.DataFrame:
    """Pupils per unit (rows) and evaluation year (columns) for one level [pupils]."""
    sel = unit_demand[(unit_demand["level"] == level) & unit_demand["year"].isin(years)]
    wide = sel.pivot_table(index="unit_id", columns="year", values="pupils", aggfunc="sum")
    wide = wide.reindex(columns=list(years)).fillna(0.0)
    return wide[wide.sum(axis=1) > 0]


def build_options(std: LevelStandard, sites: pd.DataFrame, schools: pd.DataFrame,
                  site_offset: int, allow_expansion: bool):
    """Option rows (facility position, classes, seats, cost, earliest year) of one level.

    A new school of ``c`` classes is an option on a candidate site only when
    the site's land meets ``c × class_size × land_m2_per_pupil``; an expansion
    by ``c`` classes only when the school's land meets the standard for its
    seats after the expansion. Costs: seats × floor m²/pupil × CNY/m² × the
    site's cost factor (1 for an existing school).

    Returns
    -------
    dict of ndarray
        ``facility, classes, seats, cost_cny, earliest_year``.
    """
    parts = []
    modules = np.asarray(std.modules, dtype=np.int64)
    if len(sites) and modules.size:
        land = sites["land_m2"].to_numpy()
        fit = land[:, None] >= modules[None, :] * std.class_size * std.land_m2_per_pupil
        si, mi = np.nonzero(fit)
        seats = modules[mi] * std.class_size
        parts.append(dict(
            facility=si + site_offset, classes=modules[mi], seats=seats,
            cost_cny=seats * std.floor_m2_per_pupil * std.cost_cny_per_m2
            * sites["cost_factor"].to_numpy()[si],
            earliest_year=sites["available_from"].to_numpy()[si]))
    ext = np.asarray(std.expansion_modules, dtype=np.int64)
    if allow_expansion and len(schools) and ext.size:
        land = schools["land_m2"].to_numpy()
        after = schools["seats"].to_numpy()[:, None] + ext[None, :] * std.class_size
        fit = land[:, None] >= after * std.land_m2_per_pupil
        si, mi = np.nonzero(fit)
        seats = ext[mi] * std.class_size
        parts.append(dict(
            facility=si, classes=ext[mi], seats=seats,
            cost_cny=seats * std.floor_m2_per_pupil * std.cost_cny_per_m2,
            earliest_year=np.full(si.size, np.iinfo(np.int64).min)))
    if not parts:
        return {k: np.zeros(0) for k in ("facility", "classes", "seats", "cost_cny", "earliest_year")}
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def build_arcs(unit_xy, unit_urban, facility_xy, std: LevelStandard):
    """Unit → facility pairs within the level's urban or rural maximum distance.

    Returns
    -------
    (unit, facility, distance_m) : tuple of ndarray
    """
    if len(unit_xy) == 0 or len(facility_xy) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    tree = cKDTree(facility_xy)
    out_u, out_f = [], []
    for urban, radius in ((True, std.max_distance_urban_m), (False, std.max_distance_rural_m)):
        idx = np.flatnonzero(unit_urban == urban)
        if idx.size == 0:
            continue
        pairs = cKDTree(unit_xy[idx]).sparse_distance_matrix(tree, radius, output_type="ndarray")
        out_u.append(idx[pairs["i"]])
        out_f.append(pairs["j"].astype(np.int64))
    u = np.concatenate(out_u)
    f = np.concatenate(out_f)
    d = np.hypot(*(unit_xy[u] - facility_xy[f]).T)
    order = np.lexsort((f, u))
    return u[order], f[order], d[order]


NEVER = np.iinfo(np.int64).min

CARRIED_COLUMNS = ("open_year", "added_seats", "added_year")
"""Optional ``schools.gpkg`` columns of carried-over projects (issue 13): a school with an
``open_year`` opens then (a new school started before the plan); ``added_seats`` count from
``added_year`` (an expansion under way). Empty cells: nothing carried over."""


def carried_over(schools: pd.DataFrame, level: str) -> dict:
    """Carried-over projects of one level's schools, from the optional columns of ``schools.gpkg``.

    Returns
    -------
    dict of ndarray
        ``open_from`` [year], ``added_seats`` [pupils], ``added_from`` [year], per school;
        ``carried`` (bool): the school has a project under way (it is never closed).

    Raises
    ------
    DataError
        A value is not a whole year, or seats are negative, or ``added_seats``
        come without ``added_year``; naming schools.gpkg, the column and the rows.
    """
    n = len(schools)
    out = {"open_from": np.full(n, NEVER), "added_seats": np.zeros(n), "added_from": np.full(n, NEVER)}

    def col(name):
        if name not in schools.columns:
            return np.full(n, np.nan)
        v = pd.to_numeric(schools[name], errors="coerce").to_numpy(float)
        bad = schools[name].notna().to_numpy() & np.isnan(v)
        if name != "added_seats":
            bad |= ~np.isnan(v) & ((v != np.round(v)) | (v < 1900) | (v > 2100))
        else:
            bad |= v < 0
        if bad.any():
            raise DataError(f"{level} schools: expected {'seats ≥ 0' if name == 'added_seats' else 'a year'}"
                            " or an empty cell", path="schools.gpkg", column=name,
                            rows=schools["school_id"].to_numpy()[bad].tolist())
        return v

    open_year, added, added_year = (col(c) for c in CARRIED_COLUMNS)
    lacking = ~np.isnan(added) & (added > 0) & np.isnan(added_year)
    if lacking.any():
        raise DataError(f"{level} schools: added_seats without added_year", path="schools.gpkg",
                        column="added_year", rows=schools["school_id"].to_numpy()[lacking].tolist())
    has_open = ~np.isnan(open_year)
    out["open_from"][has_open] = open_year[has_open].astype(np.int64)
    has_add = ~np.isnan(added) & (added > 0)
    out["added_seats"][has_add] = added[has_add]
    out["added_from"][has_add] = added_year[has_add].astype(np.int64)
    out["carried"] = has_open | has_add
    return out


def sole_rural_schools(n_schools: int, unit, facility, unit_urban) -> np.ndarray:
    """Schools that are the only existing school within reach of some rural demand unit.

    Parameters
    ----------
    n_schools : int
        Existing schools are facilities ``0 .. n_schools-1``.
    unit, facility : ndarray of int
        Arcs within the level's maximum distances.
    unit_urban : ndarray of bool
        Per demand unit.

    Returns
    -------
    ndarray of bool, shape (n_schools,)
        Closing such a school would send its rural pupils beyond the rural maximum.
    """
    ex = (facility < n_schools) & ~unit_urban[unit]
    u, f = unit[ex], facility[ex]
    count = np.bincount(u, minlength=unit_urban.size)
    sole = np.zeros(n_schools, dtype=bool)
    sole[f[count[u] == 1]] = True
    return sole


def level_closures(schools: pd.DataFrame, n_sites: int, unit, facility, unit_urban, settings: LevelSettings,
                   carried: dict) -> Closures:
    """Which of a level's schools may close or convert (:class:`Closures`).

    Not closable: candidate sites, protected schools (the scenario's list and,
    by default, sole rural schools), schools with a carried-over project,
    schools without seats.
    """
    n = len(schools)
    ok = schools["seats"].to_numpy(float) > 0
    ok &= ~np.isin(schools["school_id"].astype(str).to_numpy(), np.asarray(settings.protected, dtype=str))
    if settings.protect_sole_rural:
        ok &= ~sole_rural_schools(n, unit, facility, unit_urban)
    ok &= ~carried["carried"]
    pad = np.zeros(n_sites, dtype=bool)
    seats = schools["seats"].to_numpy(float)
    nursery = None
    if is_nursery(settings.convert_to) and settings.nursery_cny_per_place > 0 and settings.nursery_need:
        zone, need = zip(*settings.nursery_need)
        nursery = NurseryCredit(places=np.r_[seats * settings.nursery_places_per_seat, np.zeros(n_sites)],
                                zone=np.asarray(zone, dtype=str), need_places=np.asarray(need, dtype=float),
                                cny_per_place=settings.nursery_cny_per_place)
    return Closures(closable=np.r_[ok & settings.closable, pad],
                    convertible=np.r_[ok & (settings.convert_to is not None), pad],
                    convert_cost_cny=np.r_[seats * settings.convert_cost_cny_per_seat, np.zeros(n_sites)],
                    convert_to=settings.convert_to or "other use",
                    max_per_zone_year=settings.max_closures_per_zone_year, nursery=nursery)


def is_nursery(use) -> bool:
    """Whether a conversion's use (``[plan] conversions``) is nursery places (托育): "nursery…" or "托育…"."""
    text = str(use or "").strip().lower()
    return text.startswith("nursery") or text.startswith("托育")


def build_level(city: CityData, unit_demand: pd.DataFrame, level: str, years, settings: LevelSettings):
    """One :class:`LevelProblem` and its :class:`LevelIndex`.

    Parameters
    ----------
    city : CityData
    unit_demand : DataFrame
        ``unit_id, level, year, pupils`` [pupils].
    level : str
    years : sequence of int
        Evaluation years (the demand matrix's columns).
    settings : LevelSettings
    """
    std = city.standards[level]
    wide = unit_demand_matrix(unit_demand, level, years)
    units = city.demand_units.set_index("unit_id").loc[wide.index]
    schools = city.schools[city.schools["level"] == level].reset_index(drop=True)
    sites = city.candidate_sites[city.candidate_sites["level"] == level].reset_index(drop=True)
    n_sch = len(schools)
    fac_xy = np.vstack([_xy(schools), _xy(sites)]) if len(sites) or n_sch else np.zeros((0, 2))
    fac_zone = np.concatenate([schools["zone_id"].to_numpy(), sites["zone_id"].to_numpy()]).astype(str)
    fac_land = np.concatenate([schools["land_m2"].to_numpy(), sites["land_m2"].to_numpy()])
    opts = build_options(std, sites, schools, n_sch, settings.allow_expansion)
    unit_xy = np.column_stack([units.geometry.x.to_numpy(), units.geometry.y.to_numpy()])
    if settings.distance == "network":
        from capacity.network import level_arcs

        u, f, d = level_arcs(city, unit_xy, units["urban"].to_numpy(bool), fac_xy, std)
    else:
        u, f, d = build_arcs(unit_xy, units["urban"].to_numpy(bool), fac_xy, std)
    carried = carried_over(schools, level)
    closures = operating = None
    if settings.shrinking:
        closures = level_closures(schools, len(sites), u, f, units["urban"].to_numpy(bool), settings, carried)
    if settings.operating_cny_per_school > 0 or settings.operating_cny_per_pupil > 0:
        operating = Operating(school_cny=np.full(n_sch + len(sites), settings.operating_cny_per_school),
                              pupil_cny=settings.operating_cny_per_pupil)
    lp = LevelProblem(
        name=level,
        units=Units(demand=wide.to_numpy(float), zone=units["zone_id"].to_numpy(str),
                    ids=wide.index.to_numpy()),
        facilities=Facilities(
            seats=np.concatenate([schools["seats"].to_numpy(float), np.zeros(len(sites))]),
            existing=np.r_[np.ones(n_sch, bool), np.zeros(len(sites), bool)],
            zone=fac_zone, land_m2=fac_land,
            ids=np.concatenate([schools["school_id"].to_numpy(), sites["site_id"].to_numpy()]),
            open_from=np.r_[carried["open_from"], np.full(len(sites), NEVER)],
            added_seats=np.r_[carried["added_seats"], np.zeros(len(sites))],
            added_from=np.r_[carried["added_from"], np.full(len(sites), NEVER)]),
        options=Options(facility=opts["facility"].astype(np.int64), seats=opts["seats"].astype(float),
                        cost_cny=opts["cost_cny"].astype(float),
                        earliest_year=opts["earliest_year"].astype(np.int64),
                        label=np.array([f"{int(c)} classes" for c in opts["classes"]])),
        arcs=Arcs(unit=u, facility=f, distance=d),
        single_sourcing=settings.single_sourcing,
        within_zone=settings.within_zone,
        lag_years=settings.lag_years,
        land_m2_per_pupil=None,  # land is checked here, before building (see build_options)
        closures=closures, operating=operating,
    )
    index = LevelIndex(unit_ids=wide.index.to_numpy(), unit_zone=units["zone_id"].to_numpy(str),
                       facility_ids=lp.facilities.ids, facility_zone=fac_zone,
                       facility_existing=lp.facilities.existing, facility_xy=fac_xy,
                       option_classes=opts["classes"].astype(np.int64))
    return lp, index
