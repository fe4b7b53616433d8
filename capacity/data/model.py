"""Typed containers for a loaded, validated data folder.

These are the inputs every later stage receives. They are frozen: a stage
never writes into them; it returns new tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import geopandas as gpd
import pandas as pd


@dataclass(frozen=True)
class LevelStandard:
    """Planning standards for one school level.

    Attributes
    ----------
    level : str
        ``kindergarten``, ``primary``, ``middle`` or ``high``.
    ages : tuple of int
        First and last age served, inclusive [years].
    class_size : float
        Planning class size [pupils / class].
    modules : tuple of int
        School sizes a new school may have [classes].
    expansion_modules : tuple of int
        Sizes by which an existing school may grow [classes]; empty for none.
    land_m2_per_pupil : float
        Land standard [m² / pupil].
    floor_m2_per_pupil : float
        Floor-area standard [m² / pupil].
    walk_standard_m : float
        Coverage standard (walking distance) [m].
    max_distance_urban_m, max_distance_rural_m : float
        Longest assignment allowed from an urban / rural demand unit [m].
    cost_cny_per_m2 : float
        Construction cost per m² of floor area [CNY / m²].
    enrolment_target : float
        Seats needed per child of the age band [share].
    class_size_by_age : mapping of int to float
        Optional class sizes per single year of age [pupils / class].
    service_area : str
        ``"distance"`` (default): pupils go to a school within the maximum distances;
        ``"zone"``: a school serves its whole zone (county) — pupils are assigned only
        within their own zone, still within the maximum distances, which may then be
        set as wide as a zone (special-education schools).
    site_levels : tuple of str
        Levels whose candidate parcels a new school of this level may use when the
        candidate sites list none of its own (e.g. special schools on parcels listed for
        primary, middle or high schools; see :mod:`capacity.optimize.special`).
    sites_per_zone : int
        With ``site_levels``: parcels kept per zone that needs a new school, those
        nearest the zone's population centre [parcels].
    """

    level: str
    ages: tuple[int, int]
    class_size: float
    modules: tuple[int, ...]
    expansion_modules: tuple[int, ...]
    land_m2_per_pupil: float
    floor_m2_per_pupil: float
    walk_standard_m: float
    max_distance_urban_m: float
    max_distance_rural_m: float
    cost_cny_per_m2: float
    enrolment_target: float
    class_size_by_age: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    service_area: str = "distance"
    site_levels: tuple[str, ...] = ()
    sites_per_zone: int = 3

    def module_seats(self, classes):
        """Seats of a school of ``classes`` classes [pupils]."""
        return classes * self.class_size

    def module_land_m2(self, classes):
        """Land a school of ``classes`` classes needs [m²]."""
        return self.module_seats(classes) * self.land_m2_per_pupil

    def module_cost_cny(self, classes):
        """Construction cost of ``classes`` classes at cost factor 1 [CNY]."""
        return self.module_seats(classes) * self.floor_m2_per_pupil * self.cost_cny_per_m2


@dataclass(frozen=True)
class Standards:
    """Per-level standards, keyed by level name."""

    levels: Mapping[str, LevelStandard]
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __getitem__(self, level: str) -> LevelStandard:
        return self.levels[level]

    def __iter__(self):
        return iter(self.levels)


@dataclass(frozen=True)
class CityData:
    """Everything loaded from one data folder, validated.

    Attributes
    ----------
    path : Path
        The data folder.
    meta : mapping
        ``city.toml`` as read (``name``, ``name_local``, ``metric_crs``, ``base_year``, ...).
    zones : GeoDataFrame
        Planning zones in ``metric_crs``; ``zone_id`` (str), ``name_local``, ``name_en``, ``kind``.
    population : DataFrame
        ``zone_id, year, measure, persons, urban_share, provenance, source_id``.
    age_structure : DataFrame
        ``scope, year, age_from, age_to, persons, provenance, source_id``.
    births : DataFrame
        ``scope, year, births, provenance, source_id``.
    enrolment : DataFrame
        ``scope, year, level, schools, pupils, provenance, source_id``.
    standards : Standards
        Per-level planning standards.
    city_population : DataFrame
        Optional city totals ``year, measure, persons, provenance, source_id``
        (empty when the folder has no ``city_population.csv``).
    demand_units : GeoDataFrame
        Points in ``metric_crs``; ``unit_id, zone_id, urban, population, cell_m, provenance``.
    schools : GeoDataFrame
        Existing schools in ``metric_crs``; ``school_id, level, zone_id, name, seats, classes, land_m2, provenance``.
    candidate_sites : GeoDataFrame
        Candidate parcels in ``metric_crs``; ``site_id, level, zone_id, land_m2, available_from, cost_factor, provenance``.
    roads : GeoDataFrame or None
        Optional road lines in ``metric_crs`` (``roads.gpkg``; ``walkable``, ``speed_kmh`` optional),
        used when a scenario asks for ``distance = "network"`` (see :mod:`capacity.network`).
    """

    path: Path
    meta: Mapping[str, object]
    zones: gpd.GeoDataFrame
    population: pd.DataFrame
    age_structure: pd.DataFrame
    births: pd.DataFrame
    enrolment: pd.DataFrame
    standards: Standards
    demand_units: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame
    candidate_sites: gpd.GeoDataFrame
    city_population: pd.DataFrame = field(default_factory=pd.DataFrame)
    roads: gpd.GeoDataFrame | None = None

    @property
    def base_year(self) -> int:
        return int(self.meta["base_year"])

    @property
    def metric_crs(self) -> str:
        return str(self.meta["metric_crs"])

    def base_population(self) -> pd.Series:
        """Year-end resident population per zone in the base year [persons]."""
        p = self.population
        sel = p[(p["year"] == self.base_year) & (p["measure"] == "year_end")]
        return sel.set_index("zone_id")["persons"]
