"""The run folder's tables: names, columns and dtypes, defined once.

Every module that makes, reads, checks or compares a run's tables takes its
column names from here (:mod:`capacity.results`, :mod:`capacity.io.run`,
:mod:`capacity.verify`, :mod:`capacity.compare`, the report). One concept has
one name from the data to the outputs: ``site_id`` (a candidate site or an
existing school a plan builds on), ``zone_id``, ``action`` (``new``,
``expand``, ``close`` or ``convert``; see :data:`OPTIONAL`).

=================  =============================================================
table (file)       columns [units]
=================  =============================================================
plan               site_id, level, zone_id, action, size_classes, seats [pupils],
                   open_year, ready_year [year], cost_cny [CNY], x, y [m, metric CRS]
assignment         unit_id, school_id (existing school or new site), level, year,
                   pupils [pupils], distance_m [m]
zone_balance       zone_id, level, year, demand, seats, unserved, balance [pupils]
unit_demand        unit_id, zone_id, level, year, pupils [pupils needing a seat]
school_age         zone_id, year, level, persons [children of the level's age band]
=================  =============================================================

Run folders written before these names (``zone`` for ``zone_id``, ``facility``
for ``site_id``, ``kind`` for ``action``) are read with the old names mapped
to the new ones (:data:`OLD_NAMES`).
"""

from __future__ import annotations

from types import MappingProxyType

TABLES = MappingProxyType({
    "plan": MappingProxyType({
        "site_id": "str", "level": "str", "zone_id": "str", "action": "str", "size_classes": "int64",
        "seats": "float64", "open_year": "int64", "ready_year": "int64", "cost_cny": "float64",
        "x": "float64", "y": "float64"}),
    "assignment": MappingProxyType({
        "unit_id": "str", "school_id": "str", "level": "str", "year": "int64", "pupils": "float64",
        "distance_m": "float64"}),
    "zone_balance": MappingProxyType({
        "zone_id": "str", "level": "str", "year": "int64", "demand": "float64", "seats": "float64",
        "unserved": "float64", "balance": "float64"}),
    "unit_demand": MappingProxyType({
        "unit_id": "str", "zone_id": "str", "level": "str", "year": "int64", "pupils": "float64"}),
    "school_age": MappingProxyType({
        "zone_id": "str", "year": "int64", "level": "str", "persons": "float64"}),
})
"""Columns and dtypes of each run table, in file order."""

UNITS = MappingProxyType({
    "plan": {"seats": "pupils", "cost_cny": "CNY", "x": "m", "y": "m"},
    "assignment": {"pupils": "pupils", "distance_m": "m"},
    "zone_balance": {c: "pupils" for c in ("demand", "seats", "unserved", "balance")},
    "unit_demand": {"pupils": "pupils needing a seat"},
    "school_age": {"persons": "persons"},
})
"""Units of the value columns, kept in ``DataFrame.attrs['units']``."""

OPTIONAL = MappingProxyType({
    "plan": MappingProxyType({"start_year": "int64", "receiving_school_id": "str", "convert_to": "str"}),
})
"""Columns a table has since issue 13 (a shrinking, phased system), typed when present and
not required (run folders written before them still read):

* ``plan.start_year`` — the year construction starts (the build year; ``open_year`` keeps
  that meaning for older readers), ``ready_year`` being the opening year (start + lag);
* ``plan.action`` also takes ``close`` and ``convert`` (an existing school's seats leave
  the level from ``open_year``; ``seats`` is then negative: minus the seats that leave);
* ``plan.receiving_school_id`` — for a ``close`` that is a merger, the expanded neighbour
  that takes its pupils (empty otherwise);
* ``plan.convert_to`` — for a ``convert``, what the seats become (e.g. nursery places).
"""

ACTIONS = ("new", "expand", "close", "convert")
"""Values of ``plan.action``."""

OLD_NAMES = MappingProxyType({"zone": "zone_id", "facility": "site_id", "kind": "action"})
"""Column names of older run folders → today's names (read with a deprecation warning)."""

PLAN_KEY = ("site_id", "level", "size_classes", "open_year")
"""The columns that identify a plan's choices (what ``ensemble --plan`` needs)."""

RUN_FILES = ("plan.csv", "assignment.csv", "zone_balance.csv", "unit_demand.csv", "summary.json",
             "scenario.json")
"""Files every ``capacity run`` folder has."""

PROJECTION_FILES = ("population.csv", "components.csv", "school_age.csv", "demand.csv", "plan_checks.csv",
                    "school_age_bands.csv", "calibration.json", "school_age.png")
"""Files of the projection stage (``capacity project`` and ``capacity run``)."""


def columns(table: str) -> list[str]:
    """Column names of ``table`` (a key of :data:`TABLES`), in file order."""
    return list(TABLES[table])


def empty(table: str):
    """An empty DataFrame of ``table`` with its dtypes."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=("object" if d == "str" else d)) for c, d in TABLES[table].items()})
