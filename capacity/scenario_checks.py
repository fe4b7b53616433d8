"""Checks of a scenario against itself and against the data folder it names.

Split from :mod:`capacity.scenario` (which reads and types a scenario) so both
stay small; :mod:`capacity.scenario` re-exports :func:`check_against_city` and
:func:`apply_standards`. ``Scenario`` in the annotations is
:class:`capacity.scenario.Scenario` (not imported: that module imports this one). Every problem is a
:class:`~capacity.errors.ScenarioError` naming the file and the dotted key.
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType
from typing import Mapping

from capacity import ALL_LEVELS
from capacity.config import did_you_mean
from capacity.errors import DataError, ScenarioError

def check_levels(scenario: "Scenario") -> None:
    """Raise when a ``[demand]`` key or a projection's anchor levels name a level that does
    not exist, or a planned level has no demand."""
    d = scenario.demand
    named = [(f"demand.levels[{i}]", lv) for i, lv in enumerate(d.levels)]
    for table in ("bands", "enrolment_targets", "module_classes"):
        named += [(f"demand.{table}.{lv}", lv) for lv in getattr(d, table)]
    for table in ("cohort_anchor_levels", "pupil_anchor_levels"):
        named += [(f"projection.{table}[{i}]", lv)
                  for i, lv in enumerate(getattr(scenario.projection, table, ()))]
    for key, level in named:
        if level not in ALL_LEVELS:
            raise ScenarioError(f"{level!r} is not a level; expected one of {list(ALL_LEVELS)}"
                                + did_you_mean(level, ALL_LEVELS), scenario.path, key)
    for i, level in enumerate(scenario.plan.levels):
        if level not in d.levels:
            raise ScenarioError(f"{level!r} is planned but demand.levels {list(d.levels)} leaves it out, "
                                "so it would have no pupils; add it to demand.levels or drop it here",
                                scenario.path, f"plan.levels[{i}]")


def demand_for_plan(demand, plan, table):
    """``demand.levels`` left at its default (not in the file's ``[demand]`` ``table``) also covers
    a planned level beyond the default four (``special``): planning it gives it pupils."""
    if "levels" in table:
        return demand
    extra = tuple(lv for lv in plan.levels if lv not in demand.levels)
    return dataclasses.replace(demand, levels=tuple(demand.levels) + extra) if extra else demand


def check_years(scenario: "Scenario") -> None:
    """Raise when the plan's years fall outside the projection's years.

    A year past the horizon would have no population, so its pupils would be
    silently missing from the plan; a year before the projection's base year
    likewise.
    """
    pr, plan = scenario.projection, scenario.plan
    for name in ("evaluation_years", "build_years"):
        for i, year in enumerate(getattr(plan, name)):
            if year > pr.horizon:
                raise ScenarioError(f"{year} is past the projection's horizon {pr.horizon}; raise "
                                    f"projection.horizon to at least {year} or drop the year",
                                    scenario.path, f"plan.{name}[{i}]")
            if name == "evaluation_years" and year < pr.base_year:
                raise ScenarioError(f"{year} is before the projection's base year {pr.base_year}",
                                    scenario.path, f"plan.{name}[{i}]")


def check_against_city(scenario: "Scenario", city) -> None:
    """Check a scenario's references (zones, levels, years) against a loaded data folder.

    Raises
    ------
    ScenarioError
        ``projection.migration_rate``, ``projection.tfr_zone_factor`` or a zone
        rule names a zone the data folder lacks; ``plan.protected_schools`` a
        school it lacks; ``[standards.<level>]`` names
        a level its standards lack; the build years start before the data's
        base year; network distances without a road layer.
    """
    zone_ids = list(city.zones["zone_id"])
    if scenario.plan.distance == "network" and getattr(city, "roads", None) is None:
        raise ScenarioError(f"\"network\" needs a road layer, but {city.path} has no roads.gpkg "
                            "(layer 'roads'; see data/README.md)", scenario.path, "plan.distance")
    for table in ("migration_rate", "tfr_zone_factor"):
        for zone in getattr(scenario.projection, table):
            if zone not in zone_ids:
                raise ScenarioError(f"zone {zone!r} is not in {city.path} (its zone_ids: "
                                    f"{', '.join(zone_ids[:20])}{' …' if len(zone_ids) > 20 else ''})"
                                    + did_you_mean(zone, zone_ids), scenario.path,
                                    f"projection.{table}.{zone}")
    for i, level in enumerate(scenario.plan.levels):
        if level not in city.standards.levels:
            raise ScenarioError(f"level {level!r} is planned but {city.path / 'standards.toml'} has no "
                                f"[levels.{level}] table", scenario.path, f"plan.levels[{i}]")
    for level in scenario.standards:
        if level not in city.standards.levels:
            raise ScenarioError(f"level {level!r} has no standards in {city.path / 'standards.toml'}",
                                scenario.path, f"standards.{level}")
    school_ids = set(city.schools["school_id"])
    for i, school in enumerate(getattr(scenario.plan, "protected_schools", ())):
        if school not in school_ids:
            raise ScenarioError(f"school {school!r} is not in {city.path / 'schools.gpkg'}"
                                + did_you_mean(school, sorted(school_ids)), scenario.path,
                                f"plan.protected_schools[{i}]")
    for i, rule in enumerate(scenario.plan.zone_rules):
        if rule.zone not in zone_ids:
            raise ScenarioError(f"zone {rule.zone!r} is not in {city.path}"
                                + did_you_mean(rule.zone, zone_ids), scenario.path,
                                f"plan.zone_rules[{i}].zone")
    if scenario.plan.build_years[0] < city.base_year:
        raise ScenarioError(f"the first build year {scenario.plan.build_years[0]} is before the "
                            f"data's base year {city.base_year}", scenario.path, "plan.build_years")


def apply_standards(scenario: "Scenario", city):
    """The city with the scenario's standards overrides applied (a new object).

    Also checks that the age bands in use (the standards' ``ages``, or
    ``demand.bands`` where given) do not overlap: a child belongs to one level.

    Raises
    ------
    ScenarioError
        An override gives an impossible standard (e.g. a class size of 0), or
        two levels' age bands overlap.
    """
    from capacity.data.standards import check_modules_fit_land, overlapping_bands, parse_level

    levels = dict(city.standards.levels)
    for level, table in scenario.standards.items():
        current = {f.name: getattr(levels[level], f.name)
                   for f in dataclasses.fields(levels[level]) if f.name != "level"}
        current = {k: (list(v) if isinstance(v, tuple) else
                       {str(a): s for a, s in v.items()} if isinstance(v, Mapping) else v)
                   for k, v in current.items()}
        try:
            levels[level] = parse_level(level, {**current, **table})
        except DataError as exc:
            message, key = _standards_key(exc, level)
            raise ScenarioError(message, scenario.path, key) from None
    bands = {lv: scenario.demand.bands.get(lv, std.ages) for lv, std in levels.items()
             if lv in scenario.demand.levels}
    overlap = overlapping_bands(bands)
    if overlap:
        *pair, message = overlap
        keys = ([f"demand.bands.{lv}" for lv in pair if lv in scenario.demand.bands]
                + [f"standards.{lv}.ages" for lv in pair if "ages" in scenario.standards.get(lv, {})]
                + [f"standards.{pair[1]}.ages"])
        raise ScenarioError(message, scenario.path, keys[0])
    if not scenario.standards:
        return city
    standards = dataclasses.replace(city.standards, levels=MappingProxyType(levels))
    try:
        check_modules_fit_land(standards, city.candidate_sites)
    except DataError as exc:
        message, key = _standards_key(exc, None)
        raise ScenarioError(message, scenario.path, key) from None
    return dataclasses.replace(city, standards=standards)


def _standards_key(exc: DataError, level) -> tuple[str, str]:
    """A standards.toml error as (message, scenario key): ``levels.x.y`` → ``standards.x.y``."""
    found = re.match(r"key '(levels\.[^']+)': (.*)", exc.reason, re.S)
    if found:
        return found.group(2), "standards." + found.group(1)[len("levels."):]
    return exc.reason, f"standards.{level}" if level else "standards"
