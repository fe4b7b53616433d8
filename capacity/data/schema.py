"""What each file of a data folder must contain.

A :class:`TableSpec` is data, not code: the validator walks it. Adding a
column to the contract is one line here and one in ``data/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Column kinds understood by the validator.
STR, INT, FLOAT, BOOL = "str", "int", "float", "bool"


@dataclass(frozen=True)
class Column:
    """One required column.

    Attributes
    ----------
    name : str
        Column name.
    kind : str
        ``str``, ``int``, ``float`` or ``bool``.
    nonnegative : bool
        Values must be ≥ 0 (and finite, for numbers).
    optional_values : bool
        Empty cells are allowed (numbers only).
    choices : tuple of str, optional
        Allowed values (strings only).
    low, high : float, optional
        Plausible range of a number, inclusive, in the column's unit: a value
        outside it is a typing slip (a year of 20118, a share of 95 for 0.95),
        not a fact, and is an error. Stated in ``data/README.md``.
    unit : str
        Unit of a number, for messages and the README (e.g. ``"persons"``).
    """

    name: str
    kind: str
    nonnegative: bool = False
    optional_values: bool = False
    choices: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    unit: str = ""


# Plausible ranges shared by several columns (inclusive). Wide enough for any
# city of the world, narrow enough to catch a slipped digit.
YEAR = dict(low=1900, high=2100, unit="year")
AGE = dict(low=0, high=100, unit="years (100 = 100 and over)")
PERSONS = dict(low=0, high=1e8, unit="persons")  # the largest prefecture-level city ≈ 3.2e7
SHARE = dict(low=0, high=1, unit="share")


@dataclass(frozen=True)
class TableSpec:
    """A file of the data folder and the rules its rows obey.

    Attributes
    ----------
    file : str
        File name inside the data folder.
    columns : tuple of Column
        Required columns (extra columns are kept).
    key : tuple of str
        Columns whose combination must be unique.
    zone_column : str, optional
        Column whose values must be known zone ids.
    layer : str, optional
        Layer name for vector files.
    geometry : str, optional
        ``"polygon"`` or ``"point"`` for vector layers.
    projected : bool
        The layer must be in a projected CRS in metres (distances are measured on it).
    zone_scope : bool
        ``zone_column`` may also hold ``"city"``.
    optional : bool
        The file may be absent (then the table is empty).
    ordered : tuple of (str, str)
        Column pairs ``(a, b)`` with ``a ≤ b`` on every row (e.g. an age band's
        first and last age).
    """

    file: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    zone_column: str | None = None
    layer: str | None = None
    geometry: str | None = None
    projected: bool = False
    zone_scope: bool = False
    optional: bool = False
    ordered: tuple[tuple[str, str], ...] = ()


PROVENANCE = ("stated", "stated-2nd", "derived", "uncertain", "estimate", "synthetic", "assumption",
              "imported", "planned", "projected")  # imported: read from a bureau's file by `capacity import`
# (see its SOURCES.md); planned: a school a finished plan built, carried into the next plan's data by
# `capacity rollover`; projected: a run's projection carried by `capacity rollover` as the next plan's base
SCHOOL_LEVELS = ("kindergarten", "primary", "middle", "high", "special")
_prov = Column("provenance", STR, choices=PROVENANCE)

ZONES = TableSpec(
    file="zones.gpkg",
    layer="zones",
    geometry="polygon",
    columns=(
        Column("zone_id", STR),
        Column("name_local", STR),
        Column("name_en", STR),
        Column("kind", STR, choices=("county", "exclave")),
    ),
    key=("zone_id",),
)

POPULATION = TableSpec(
    file="population.csv",
    columns=(
        Column("zone_id", STR),
        Column("year", INT, nonnegative=True, **YEAR),
        Column("measure", STR, choices=("year_end", "census")),
        Column("persons", FLOAT, nonnegative=True, **PERSONS),
        Column("urban_share", FLOAT, nonnegative=True, optional_values=True, **SHARE),
        _prov,
        Column("source_id", STR),
    ),
    key=("zone_id", "year", "measure"),
    zone_column="zone_id",
)

AGE_STRUCTURE = TableSpec(
    file="age_structure.csv",
    columns=(
        Column("scope", STR),
        Column("year", INT, nonnegative=True, **YEAR),
        Column("age_from", INT, nonnegative=True, **AGE),
        Column("age_to", INT, nonnegative=True, **AGE),
        Column("sex", STR, choices=("all", "male", "female")),
        Column("persons", FLOAT, nonnegative=True, **PERSONS),
        _prov,
        Column("source_id", STR),
    ),
    key=("scope", "year", "age_from", "age_to", "sex"),
    zone_column="scope",
    zone_scope=True,
    ordered=(("age_from", "age_to"),),
)

BIRTHS = TableSpec(
    file="births.csv",
    columns=(
        Column("scope", STR),
        Column("year", INT, nonnegative=True, **YEAR),
        Column("births", FLOAT, nonnegative=True, low=0, high=1e7, unit="persons"),
        _prov,
        Column("source_id", STR),
    ),
    key=("scope", "year"),
    zone_column="scope",
    zone_scope=True,
)

ENROLMENT = TableSpec(
    file="enrolment.csv",
    columns=(
        Column("scope", STR),
        Column("year", INT, nonnegative=True, **YEAR),
        Column("level", STR),
        Column("schools", FLOAT, nonnegative=True, optional_values=True, low=0, high=1e5, unit="schools"),
        Column("pupils", FLOAT, nonnegative=True, optional_values=True, low=0, high=5e7, unit="pupils"),
        _prov,
        Column("source_id", STR),
    ),
    key=("scope", "year", "level"),
    zone_column="scope",
    zone_scope=True,
)

CITY_POPULATION = TableSpec(
    file="city_population.csv",
    optional=True,
    columns=(
        Column("year", INT, nonnegative=True, **YEAR),
        Column("measure", STR, choices=("year_end", "census", "registered")),
        Column("persons", FLOAT, nonnegative=True, **PERSONS),
        _prov,
        Column("source_id", STR),
    ),
    key=("year", "measure"),
)

DEMAND_UNITS = TableSpec(
    file="demand_units.gpkg",
    layer="demand_units",
    geometry="point",
    projected=True,
    columns=(
        Column("unit_id", STR),
        Column("zone_id", STR),
        Column("urban", BOOL),
        Column("population", FLOAT, nonnegative=True, low=0, high=1e7, unit="persons"),
        Column("cell_m", FLOAT, nonnegative=True, low=0, high=1e5, unit="m"),
        _prov,
    ),
    key=("unit_id",),
    zone_column="zone_id",
)

SCHOOLS = TableSpec(
    file="schools.gpkg",
    layer="schools",
    geometry="point",
    projected=True,
    columns=(
        Column("school_id", STR),
        Column("level", STR, choices=SCHOOL_LEVELS),
        Column("zone_id", STR),
        Column("name", STR),
        Column("seats", FLOAT, nonnegative=True, low=0, high=5e4, unit="pupils"),
        Column("classes", FLOAT, nonnegative=True, low=0, high=1000, unit="classes"),
        Column("land_m2", FLOAT, nonnegative=True, low=0, high=5e6, unit="m²"),
        _prov,
    ),
    key=("school_id",),
    zone_column="zone_id",
)

CANDIDATE_SITES = TableSpec(
    file="candidate_sites.gpkg",
    layer="candidate_sites",
    geometry="point",
    projected=True,
    columns=(
        Column("site_id", STR),
        Column("level", STR, choices=SCHOOL_LEVELS[:4]),
        Column("zone_id", STR),
        Column("land_m2", FLOAT, nonnegative=True, low=0, high=5e6, unit="m²"),
        Column("available_from", INT, nonnegative=True, **YEAR),
        Column("cost_factor", FLOAT, nonnegative=True, low=0, high=20, unit="× unit cost"),
        _prov,
    ),
    key=("site_id",),
    zone_column="zone_id",
)

TABLES = (POPULATION, AGE_STRUCTURE, BIRTHS, ENROLMENT, CITY_POPULATION)
LAYERS = (DEMAND_UNITS, SCHOOLS, CANDIDATE_SITES)

# standards.toml: key -> (kind, rule); rule 'positive' means > 0.
LEVEL_STANDARD_KEYS = {
    "ages": ("age_range", None),
    "class_size": ("number", "positive"),
    "modules": ("int_list", "positive"),
    "expansion_modules": ("int_list", "positive_or_empty"),
    "land_m2_per_pupil": ("number", "positive"),
    "floor_m2_per_pupil": ("number", "positive"),
    "walk_standard_m": ("number", "positive"),
    "max_distance_urban_m": ("number", "positive"),
    "max_distance_rural_m": ("number", "positive"),
    "cost_cny_per_m2": ("number", "positive"),
    "enrolment_target": ("number", "share"),
}
OPTIONAL_LEVEL_STANDARD_KEYS = {"class_size_by_age"}

# standards.toml: plausible range of each number (inclusive) and its unit; a
# value outside is an error naming the key. Modules are numbers of classes.
LEVEL_STANDARD_RANGES = {
    "class_size": (1, 100, "pupils / class"),
    "class_size_by_age": (1, 100, "pupils / class"),
    "modules": (1, 200, "classes"),
    "expansion_modules": (1, 200, "classes"),
    "land_m2_per_pupil": (1, 500, "m² / pupil"),
    "floor_m2_per_pupil": (1, 200, "m² / pupil"),
    "walk_standard_m": (50, 100_000, "m"),
    "max_distance_urban_m": (100, 500_000, "m"),
    "max_distance_rural_m": (100, 500_000, "m"),
    "cost_cny_per_m2": (100, 100_000, "CNY / m²"),
    "enrolment_target": (0, 1.5, "share"),
}
