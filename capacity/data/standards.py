"""Reading and checking ``standards.toml``: per-level planning standards."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from capacity import ALL_LEVELS, LEVELS
from capacity.data.model import LevelStandard, Standards
from capacity.config import did_you_mean
from capacity.data.schema import LEVEL_STANDARD_KEYS, LEVEL_STANDARD_RANGES, OPTIONAL_LEVEL_STANDARD_KEYS
from capacity.errors import DataError

FILE = "standards.toml"

SERVICE_AREAS = ("distance", "zone")
SERVICE_KEYS = {"service_area", "site_levels", "sites_per_zone"}
"""Optional keys of a level's service (see :class:`capacity.data.model.LevelStandard`)."""


def _err(message, key):
    return DataError(f"key '{key}': {message}", path=FILE)


def _number(value, key, rule):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise _err(f"{value!r} is not a finite number", key)
    if rule == "positive" and value <= 0:
        raise _err(f"{value!r} must be greater than 0", key)
    if rule == "share" and not 0 < value <= 1.5:
        raise _err(f"{value!r} must be a share between 0 and 1.5 (e.g. 0.99 for 99 %)", key)
    return float(value)


def _in_range(values, key, name):
    """Raise when a value of standard ``name`` is outside its plausible range."""
    low, high, unit = LEVEL_STANDARD_RANGES[name]
    for v in (values if isinstance(values, tuple) else (values,)):
        if not low <= v <= high:
            raise _err(f"{v:g} {unit} is outside the plausible range {low:g}–{high:g} {unit} "
                       "(see data/README.md); a slipped digit or a wrong unit?", key)
    return values


def _int_list(value, key, rule):
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise _err(f"{value!r} must be a list of whole numbers of classes, e.g. [12, 18, 24]", key)
    if rule == "positive" and not value:
        raise _err("must list at least one size", key)
    if any(v <= 0 for v in value):
        raise _err(f"{value!r}: every size must be at least 1 class", key)
    return tuple(sorted(set(value)))


def _age_range(value, key):
    ok = (isinstance(value, list) and len(value) == 2
          and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
          and 0 <= value[0] <= value[1] <= 100)
    if not ok:
        raise _err(f"{value!r} must be [first_age, last_age] with 0 ≤ first ≤ last ≤ 100", key)
    return (int(value[0]), int(value[1]))


def parse_level(level: str, table: dict) -> LevelStandard:
    """Turn one ``[levels.<level>]`` table into a :class:`LevelStandard`.

    Raises
    ------
    DataError
        A key is missing, unknown, of the wrong type or impossible (e.g. a
        class size of 0).
    """
    if not isinstance(table, dict):
        raise _err("must be a table of standards", f"levels.{level}")
    known = set(LEVEL_STANDARD_KEYS) | OPTIONAL_LEVEL_STANDARD_KEYS | SERVICE_KEYS
    unknown = sorted(set(table) - known)
    if unknown:
        raise _err(f"unknown key{did_you_mean(unknown[0], known)}; expected {sorted(known)}",
                   f"levels.{level}.{unknown[0]}")
    values = {}
    for key, (kind, rule) in LEVEL_STANDARD_KEYS.items():
        full = f"levels.{level}.{key}"
        if key not in table:
            raise _err("missing; every level needs it (see data/README.md)", full)
        raw = table[key]
        if kind == "number":
            values[key] = _number(raw, full, rule)
        elif kind == "int_list":
            values[key] = _int_list(raw, full, rule)
        else:
            values[key] = _age_range(raw, full)
        if key in LEVEL_STANDARD_RANGES:
            _in_range(values[key], full, key)
    by_age = table.get("class_size_by_age", {})
    if not isinstance(by_age, dict):
        raise _err("must be a table of age = class size", f"levels.{level}.class_size_by_age")
    parsed_by_age = {}
    for age, size in by_age.items():
        full = f"levels.{level}.class_size_by_age.{age}"
        if not str(age).isdigit():
            raise _err("ages must be whole numbers", full)
        if not values["ages"][0] <= int(age) <= values["ages"][1]:
            raise _err(f"age {age} is outside the level's ages {list(values['ages'])}", full)
        parsed_by_age[int(age)] = _in_range(_number(size, full, "positive"), full, "class_size_by_age")
    return LevelStandard(level=level, class_size_by_age=MappingProxyType(parsed_by_age),
                         **values, **_service(level, table))


def _service(level: str, table: dict) -> dict:
    """The optional service keys of one level (``service_area``, ``site_levels``, ``sites_per_zone``)."""
    out = {}
    if "service_area" in table:
        area = table["service_area"]
        if area not in SERVICE_AREAS:
            raise _err(f"{area!r} is not one of {list(SERVICE_AREAS)}" + did_you_mean(str(area), SERVICE_AREAS),
                       f"levels.{level}.service_area")
        out["service_area"] = area
    if "site_levels" in table:
        given = table["site_levels"]
        if (not isinstance(given, list) or any(lv not in LEVELS or lv == level for lv in given)):
            raise _err(f"{given!r} must be a list of other levels among {list(LEVELS)}",
                       f"levels.{level}.site_levels")
        out["site_levels"] = tuple(given)
    if "sites_per_zone" in table:
        n = table["sites_per_zone"]
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1000:
            raise _err(f"{n!r} must be a whole number of parcels from 1 to 1000", f"levels.{level}.sites_per_zone")
        out["sites_per_zone"] = n
    return out


def overlapping_bands(bands) -> tuple[str, str, str] | None:
    """The first pair of overlapping age bands, or None.

    Parameters
    ----------
    bands : mapping of str to (int, int)
        First and last age per level, inclusive [years].

    Returns
    -------
    (str, str, str) or None
        The younger and the older level of the pair, and a sentence saying
        which bands overlap.
    """
    # only the levels that partition the children by age; a special-education level draws a
    # share of the same children (capacity.ALL_LEVELS), so its band may overlap theirs
    ordered = sorted((tuple(band), lv) for lv, band in bands.items() if lv in LEVELS)
    for (a, la), (b, lb) in zip(ordered, ordered[1:]):
        if b[0] <= a[1]:
            return la, lb, f"the age bands of {la} {list(a)} and {lb} {list(b)} overlap; a child belongs to one level"
    return None


def parse_standards(doc: dict) -> Standards:
    """Parse the whole ``standards.toml`` document and check it is coherent.

    Coherence: every level of :data:`capacity.LEVELS` is present (``special`` is
    optional), and their age bands do not overlap.
    """
    levels_doc = doc.get("levels")
    if not isinstance(levels_doc, dict):
        raise _err("missing table [levels.<level>]", "levels")
    unknown = sorted(set(levels_doc) - set(ALL_LEVELS))
    if unknown:
        raise _err(f"unknown level{did_you_mean(unknown[0], ALL_LEVELS)}; expected {list(ALL_LEVELS)}",
                   f"levels.{unknown[0]}")
    missing = [lv for lv in LEVELS if lv not in levels_doc]
    if missing:
        raise _err(f"no standards for level(s) {missing}", "levels")
    levels = {lv: parse_level(lv, levels_doc[lv]) for lv in ALL_LEVELS if lv in levels_doc}
    overlap = overlapping_bands({lv: s.ages for lv, s in levels.items()})
    if overlap:
        raise _err(overlap[2], f"levels.{overlap[1]}.ages")
    sources = doc.get("sources", {})
    return Standards(levels=MappingProxyType(levels),
                     sources=MappingProxyType({str(k): str(v) for k, v in sources.items()}))


def check_modules_fit_land(standards: Standards, sites) -> None:
    """Raise when a level's new-school module needs more land than any candidate site has.

    Parameters
    ----------
    standards : Standards
        Parsed standards.
    sites : DataFrame
        Candidate sites with ``level`` and ``land_m2`` [m²].
    """
    for level, std in standards.levels.items():
        land = sites.loc[sites["level"].isin([level, *std.site_levels]), "land_m2"]
        if land.empty:
            continue
        largest = float(land.max())
        for classes in std.modules:
            need = std.module_land_m2(classes)
            if need > largest:
                raise _err(
                    f"a {classes}-class {level} school needs {need:,.0f} m² of land "
                    f"({std.module_seats(classes):,.0f} seats × {std.land_m2_per_pupil:g} m²/pupil) "
                    f"but the largest {level} candidate site has {largest:,.0f} m²; "
                    "lower the module or the land standard, or add larger sites",
                    f"levels.{level}.modules")
