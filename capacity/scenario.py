"""Scenarios: a TOML file that names a data folder and overrides assumptions.

A scenario is read once, validated whole, and handed on as a frozen
:class:`Scenario`. ``extends = "baseline.toml"`` inherits another scenario
(tables merge key by key; other values replace). Every problem is a
:class:`~capacity.errors.ScenarioError` naming the file and the dotted key,
with a "did you mean" for typos.

Files are UTF-8 (a byte-order mark is fine; GBK is an error naming the line).
Every number has a plausible range (:data:`capacity.scenario_rules.PLAUSIBLE`);
names of zones, levels and schools are checked against the data folder and
the plan's years against the projection's (:mod:`capacity.scenario_checks`).
A key renamed since a file was written still works: each file read is passed
through :data:`capacity.scenario_rules.RENAMED_KEYS` (old → new dotted key)
before merging, with a :class:`~capacity.errors.RenamedKeyWarning` naming the
file and both names (the command line prints it on stderr).

Sections
--------
``[projection]``  population projection (:class:`capacity.demography.ProjectionParams`)
``[demand]``      seats needed (:class:`capacity.demand.DemandParams`)
``[standards.<level>]``  overrides of the data folder's ``standards.toml``
``[plan]``        build years, plan totals, zone rules, budgets (:class:`PlanParams`)
``[objective]``   weights and mode (:class:`ObjectiveParams`)
``[solver]``      solver, limits (:class:`SolverParams`)
``[outputs]``     output formats (:class:`OutputParams`)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, Mapping

from capacity import ALL_LEVELS, LEVELS
from capacity.config import build, check_ranges, did_you_mean, merge, rename_keys
from capacity.errors import ScenarioError
from capacity.scenario_checks import apply_standards, check_against_city, check_levels, check_years, demand_for_plan
from capacity.scenario_conversions import check_conversion_keys
from capacity.scenario_objective import ObjectiveParams
from capacity.scenario_rules import PLAUSIBLE, RENAMED_KEYS

__all__ = ["Scenario", "PlanParams", "ObjectiveParams", "SolverParams", "OutputParams", "ZoneRule",
           "load_scenario", "check_against_city", "apply_standards"]

ACTIONS = ("new", "expand", "any")
TOTALS_MODES = ("exact", "at_most", "at_least")


def _empty():
    return MappingProxyType({})


@dataclass(frozen=True)
class ZoneRule:
    """A minimum and/or maximum number of schools for one zone and level.

    Attributes
    ----------
    zone : str
        A ``zone_id`` of the data folder.
    level : str
        School level.
    action : str
        ``new`` (new schools), ``expand`` (expansions of existing schools) or ``any``.
    min : int
        At least this many over the build years.
    max : int or None
        At most this many (None: no cap).
    year : int or None
        Count only schools opening in this build year (None: all build years).
    """

    zone: str
    level: str
    action: str = "any"
    min: int = 0
    max: int | None = None
    year: int | None = None

    def __post_init__(self):
        if self.level not in ALL_LEVELS:
            raise ValueError(f"level: {self.level!r} is not a level; expected one of {list(ALL_LEVELS)}"
                             + did_you_mean(self.level, ALL_LEVELS))
        if self.action not in ACTIONS:
            raise ValueError(f"action: {self.action!r} is not one of {list(ACTIONS)}")
        if self.min < 0:
            raise ValueError(f"min: {self.min} must be ≥ 0")
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max: {self.max} is below min {self.min}")


DISTANCES = ("straight", "network")  # see PlanParams.distance


@dataclass(frozen=True)
class PlanParams:
    """What the plan must build, when, and within what money.

    Attributes
    ----------
    build_years : tuple of int
        Years in which new schools may open [year].
    evaluation_years : tuple of int
        Years in which every pupil's seat is checked [year]; the first is the
        plan's target year.
    totals : mapping of level to int
        Number of new (or expanded) schools per level; levels left out are free.
    totals_mode : str
        ``exact``, ``at_most`` or ``at_least`` for every total.
    totals_action : mapping of level to str
        What a level's total counts: ``new`` (default), ``expand`` or ``any``
        (e.g. ``high = "any"`` for "new or expanded high schools").
    zone_rules : tuple of ZoneRule
        Per-zone (and optionally per-year) minimums and maximums.
    budget_cny : mapping of year (text) to float
        Construction budget per build year [CNY]; empty for no budget.
    budget_factor : float
        Multiplies every budget (e.g. 0.8 for a budget 20 % tighter).
    construction_lag_years : int
        Years between a build year and the first year its seats count.
    allow_expansion : bool
        Existing schools may be expanded by the levels' expansion modules.
    single_sourcing : bool
        Each demand unit goes to one school per level and year (defensible catchments).
    compulsory_within_zone : bool
        Primary and middle pupils are assigned only within their own zone.
    levels : tuple of str
        Levels to plan (default all four); e.g. ``["kindergarten"]`` for a
        quick look at one level. Totals and zone rules of other levels are
        not applied.
    distance : str
        ``"straight"`` (default): straight-line distances; ``"network"``: shortest
        paths along the data folder's ``roads.gpkg`` (:mod:`capacity.network`), so the
        walking standards are walking distances.
    lag_years_by_level : mapping of level to int
        Construction lag per level [years] (start to opening), overriding
        ``construction_lag_years`` for the levels it names (issue 13).
    closure_levels : tuple of str
        Levels whose existing schools may close (empty, the default: no closures).
    conversions : mapping of level to str
        Levels whose existing schools may convert their seats to another use,
        and that use (e.g. ``kindergarten = "nursery places"``).
    conversion_cost_cny_per_seat : mapping of level to float
        Cost of converting one seat [CNY/seat] (a level in ``conversions`` needs one).
    max_closures_per_zone_year : int
        At most this many closures plus conversions per zone, level and year [schools].
    protected_schools : tuple of str
        ``school_id`` of schools that must stay open.
    protect_sole_rural_schools : bool
        Protect every school that is the only existing school of its level
        within the rural maximum distance of some rural demand unit (default True).
    operating_cost_cny_per_school : mapping of level to float
        Yearly running cost of a school, beyond its per-pupil cost [CNY/year].
    operating_cost_cny_per_pupil : mapping of level to float
        Yearly cost per pupil seated [CNY/(pupil·year)].
    level_conversions : mapping of level to level
        A closed school of the first level may become a school of the second on the same
        place (e.g. ``primary = "kindergarten"``); the first level must be in
        ``closure_levels``; no cycles (:mod:`capacity.optimize.conversions`).
    level_conversion_cost_cny_per_seat : mapping of level to float
        Cost of such a conversion per seat of the school converted [CNY/seat].
    nursery_places_per_1000_people : float
        Target nursery places (托育, children under 3) per 1,000 residents [places/1,000 persons].
    nursery_existing_places_per_1000_people : float
        Nursery places that exist already per 1,000 residents [places/1,000 persons].
    nursery_places_per_seat : float
        Nursery places one converted seat makes [places/seat] (托班 of 20 in a room of 30: 2/3).
    nursery_place_cost_cny : float
        Avoided cost of building one nursery place elsewhere, credited for every place a
        conversion to nursery places supplies up to its zone's unmet need [CNY/place];
        0 (default): a conversion has no value beyond the closure.
    """

    build_years: tuple[int, ...] = (2023, 2024, 2025)
    evaluation_years: tuple[int, ...] = (2025, 2030)
    totals: Mapping[str, int] = field(default_factory=_empty)
    totals_mode: str = "exact"
    totals_action: Mapping[str, str] = field(default_factory=_empty)
    zone_rules: tuple[ZoneRule, ...] = ()
    budget_cny: Mapping[str, float] = field(default_factory=_empty)
    budget_factor: float = 1.0
    construction_lag_years: int = 0
    allow_expansion: bool = True
    single_sourcing: bool = False
    compulsory_within_zone: bool = True
    levels: tuple[str, ...] = LEVELS
    distance: str = "straight"
    lag_years_by_level: Mapping[str, int] = field(default_factory=_empty)
    closure_levels: tuple[str, ...] = ()
    conversions: Mapping[str, str] = field(default_factory=_empty)
    conversion_cost_cny_per_seat: Mapping[str, float] = field(default_factory=_empty)
    max_closures_per_zone_year: int = 1
    protected_schools: tuple[str, ...] = ()
    protect_sole_rural_schools: bool = True
    operating_cost_cny_per_school: Mapping[str, float] = field(default_factory=_empty)
    operating_cost_cny_per_pupil: Mapping[str, float] = field(default_factory=_empty)
    level_conversions: Mapping[str, str] = field(default_factory=_empty)
    level_conversion_cost_cny_per_seat: Mapping[str, float] = field(default_factory=_empty)
    nursery_places_per_1000_people: float = 4.5
    nursery_existing_places_per_1000_people: float = 0.0
    nursery_places_per_seat: float = 2.0 / 3.0
    nursery_place_cost_cny: float = 0.0

    def lag_for(self, level: str) -> int:
        """Construction lag of ``level`` [years]."""
        return int(self.lag_years_by_level.get(level, self.construction_lag_years))

    def __post_init__(self):
        if self.distance not in DISTANCES:
            raise ValueError(f"distance: {self.distance!r} is not one of {list(DISTANCES)}"
                             + did_you_mean(self.distance, DISTANCES))
        for level in self.levels:
            if level not in ALL_LEVELS:
                raise ValueError(f"levels: {level!r} is not a level; expected some of {list(ALL_LEVELS)}"
                                 + did_you_mean(level, ALL_LEVELS))
        if not self.levels:
            raise ValueError("levels: plan at least one level")
        if not self.build_years:
            raise ValueError("build_years: at least one build year is needed")
        if list(self.build_years) != sorted(set(self.build_years)):
            raise ValueError(f"build_years: {list(self.build_years)} must be increasing years")
        if not self.evaluation_years or list(self.evaluation_years) != sorted(set(self.evaluation_years)):
            raise ValueError(f"evaluation_years: {list(self.evaluation_years)} must be increasing years")
        if self.evaluation_years[0] < self.build_years[0]:
            raise ValueError("evaluation_years: the first evaluation year is before the first build year")
        for level, n in self.totals.items():
            if level not in ALL_LEVELS:
                raise ValueError(f"totals: {level!r} is not a level; expected one of {list(ALL_LEVELS)}"
                                 + did_you_mean(level, ALL_LEVELS))
            if n < 0:
                raise ValueError(f"totals: {level} = {n} must be ≥ 0")
        for level, action in self.totals_action.items():
            if level not in ALL_LEVELS:
                raise ValueError(f"totals_action: {level!r} is not a level" + did_you_mean(level, ALL_LEVELS))
            if action not in ACTIONS:
                raise ValueError(f"totals_action: {level} = {action!r} is not one of {list(ACTIONS)}")
        if self.totals_mode not in TOTALS_MODES:
            raise ValueError(f"totals_mode: {self.totals_mode!r} is not one of {list(TOTALS_MODES)}"
                             + did_you_mean(self.totals_mode, TOTALS_MODES))
        for year, amount in self.budget_cny.items():
            if not str(year).isdigit():
                raise ValueError(f"budget_cny: {year!r} is not a year")
            if int(year) not in self.build_years:
                raise ValueError(f"budget_cny: {year} is not a build year {list(self.build_years)}")
            if amount < 0:
                raise ValueError(f"budget_cny: the budget of {year} is negative ({amount:,.0f} CNY)")
        if self.budget_factor <= 0:
            raise ValueError(f"budget_factor: {self.budget_factor} must be > 0")
        if self.construction_lag_years < 0:
            raise ValueError("construction_lag_years: must be ≥ 0")
        for rule in self.zone_rules:
            if rule.year is not None and rule.year not in self.build_years:
                raise ValueError(f"zone_rules: year {rule.year} is not a build year")
        self._check_shrinking()

    def _check_shrinking(self):
        """The issue-13 keys: lags, closures, conversions, operating costs (each message names its key)."""
        for key in ("lag_years_by_level", "conversions", "conversion_cost_cny_per_seat",
                    "operating_cost_cny_per_school", "operating_cost_cny_per_pupil"):
            for level, value in getattr(self, key).items():
                if level not in ALL_LEVELS:
                    raise ValueError(f"{key}: {level!r} is not a level" + did_you_mean(level, ALL_LEVELS))
                if not isinstance(value, str) and value < 0:
                    raise ValueError(f"{key}: {level} = {value} must be ≥ 0")
        for level in self.closure_levels:
            if level not in ALL_LEVELS:
                raise ValueError(f"closure_levels: {level!r} is not a level" + did_you_mean(level, ALL_LEVELS))
        for level in self.conversions:
            if level not in self.conversion_cost_cny_per_seat:
                raise ValueError(f"conversion_cost_cny_per_seat: {level} converts (conversions) but has no cost "
                                 "per seat; state it, e.g. 5000.0")
        if self.max_closures_per_zone_year < 0:
            raise ValueError("max_closures_per_zone_year: must be ≥ 0")
        check_conversion_keys(self)

    def budget_for(self, year: int) -> float | None:
        """Budget of ``year`` after ``budget_factor`` [CNY], or None when unlimited."""
        amount = self.budget_cny.get(str(year))
        return None if amount is None else amount * self.budget_factor


SOLVERS = ("highs", "cbc")


@dataclass(frozen=True)
class SolverParams:
    """Solver choice and limits.

    Attributes
    ----------
    name : str
        ``highs`` or ``cbc``.
    time_limit_s : float
        Wall-clock limit of one solve [s].
    mip_gap : float
        Relative optimality gap at which to stop [share].
    threads : int
        Threads the solver may use (0: the solver's default).
    method : str
        ``auto`` (level by level when the objective is weighted, with a
        certified joint gap; see :mod:`capacity.optimize.decompose`),
        ``by_level`` or ``joint`` (one MILP for all levels).
    aggregate : bool
        Merge interchangeable demand units before the solve and assign the
        original units to the plan afterwards (an exact assignment LP);
        the a-priori bound of the objective's change is in ``summary.json``
        (``aggregation``). See :mod:`capacity.optimize.aggregate`.
    aggregate_tolerance_m : float
        With ``aggregate``: units of one zone that reach the same schools
        and sites are merged when their distances to each of them differ by
        at most this much [m]; 0 merges only units the model cannot tell apart.
    relaxation_start : bool
        HiGHS only: start each large MIP from the LP relaxation's restricted MIP
        (:func:`capacity.optimize.highs.relaxation_start`; default on). The start's LP and
        small MIP take up to half of the time limit; switch it off where the LP itself is slow.
    """

    name: str = "highs"
    time_limit_s: float = 600.0
    mip_gap: float = 0.01
    threads: int = 0
    method: str = "auto"
    aggregate: bool = False
    aggregate_tolerance_m: float = 0.0
    relaxation_start: bool = True

    def __post_init__(self):
        if self.name not in SOLVERS:
            raise ValueError(f"name: {self.name!r} is not one of {list(SOLVERS)}"
                             + did_you_mean(self.name, SOLVERS))
        if self.time_limit_s <= 0:
            raise ValueError("time_limit_s: must be > 0")
        if not 0 <= self.mip_gap < 1:
            raise ValueError("mip_gap: must be in [0, 1)")
        if self.threads < 0:
            raise ValueError("threads: must be ≥ 0")
        if not isinstance(self.aggregate, bool):
            raise ValueError(f"aggregate: {self.aggregate!r} must be true or false")
        if not isinstance(self.relaxation_start, bool):
            raise ValueError(f"relaxation_start: {self.relaxation_start!r} must be true or false")
        if not 0 <= self.aggregate_tolerance_m <= 5000:
            raise ValueError("aggregate_tolerance_m: must be in [0, 5000] m")
        if self.method not in ("auto", "by_level", "joint"):
            raise ValueError(f"method: {self.method!r} is not one of ['auto', 'by_level', 'joint']"
                             + did_you_mean(self.method, ("auto", "by_level", "joint")))


FORMATS = ("gpkg", "geojson", "shp")
LANGUAGES = ("zh", "en")  # as capacity.report.i18n.LANGUAGES (a scenario does not import the report)


@dataclass(frozen=True)
class OutputParams:
    """What a run writes besides its CSV and JSON tables.

    Attributes
    ----------
    formats : tuple of str
        GIS formats: ``gpkg``, ``geojson``, ``shp``.
    report : bool
        Write the HTML report and maps.
    language : str
        Language of the report, the schedule workbook's headers and the map labels:
        ``zh`` or ``en`` (``capacity run/report --lang`` overrides it).
    tile_url : str
        Optional background-tile URL template for the report's interactive map
        (``https://host/{z}/{x}/{y}.png``); empty: no tiles, the map works offline.
    """

    formats: tuple[str, ...] = ("gpkg",)
    report: bool = True
    language: str = "en"
    tile_url: str = ""

    def __post_init__(self):
        for f in self.formats:
            if f not in FORMATS:
                raise ValueError(f"formats: {f!r} is not one of {list(FORMATS)}" + did_you_mean(f, FORMATS))
        if self.language not in LANGUAGES:
            raise ValueError(f"language: {self.language!r} is not one of {list(LANGUAGES)}"
                             + did_you_mean(self.language, LANGUAGES))
        if self.tile_url and not (self.tile_url.startswith(("https://", "http://"))
                                  and all(k in self.tile_url for k in ("{z}", "{x}", "{y}"))):
            raise ValueError(f"tile_url: {self.tile_url!r} is not an http(s) URL with {{z}}, {{x}} and {{y}}")


def _section_types() -> dict:
    """Scenario sections and the dataclass each maps onto (imported lazily)."""
    from capacity.demand import DemandParams
    from capacity.demography import ProjectionParams

    return {"projection": ProjectionParams, "demand": DemandParams, "plan": PlanParams,
            "objective": ObjectiveParams, "solver": SolverParams, "outputs": OutputParams}


TOP_KEYS = ("name", "description", "data", "extends", "standards")



@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    Attributes
    ----------
    name : str
        Short name (defaults to the file stem).
    path : Path
        The scenario file.
    data : Path
        The data folder (resolved relative to the scenario file).
    description : str
        One or two sentences for the report.
    projection, demand, plan, objective, solver, outputs
        Typed parameters of each stage.
    standards : mapping
        ``{level: {key: value}}`` overrides of the data folder's standards.
    chain : tuple of Path
        The files read, the scenario's own first, then what it extends.
    """

    name: str
    path: Path
    data: Path
    description: str
    projection: Any
    demand: Any
    plan: PlanParams
    objective: ObjectiveParams
    solver: SolverParams
    outputs: OutputParams
    standards: Mapping[str, Mapping[str, Any]]
    chain: tuple[Path, ...]

    def to_dict(self) -> dict:
        """Plain, JSON-ready form (for summary.json and the report)."""
        def plain(x):
            if dataclasses.is_dataclass(x):
                return {f.name: plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
            if isinstance(x, Mapping):
                return {str(k): plain(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [plain(v) for v in x]
            if isinstance(x, Path):
                return str(x)
            return x
        return {"name": self.name, "path": str(self.path), "data": str(self.data),
                "description": self.description,
                **{k: plain(getattr(self, k)) for k in
                   ("projection", "demand", "plan", "objective", "solver", "outputs", "standards")},
                "chain": [str(p) for p in self.chain]}


def _read(path: Path) -> dict:
    from capacity.data.files import read_toml

    if path.is_dir():
        raise ScenarioError("is a folder; expected a scenario file (.toml), e.g. scenarios/baseline.toml", path)
    if not path.is_file():
        raise ScenarioError("scenario file not found", path)
    return read_toml(path, lambda message: ScenarioError(message, path))


def _resolve(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict, tuple[Path, ...]]:
    """Read a scenario and everything it extends; return the merged document."""
    path = path.resolve()
    if path in seen:
        raise ScenarioError("extends itself (a cycle of 'extends')", path, "extends")
    doc = rename_keys(_read(path), RENAMED_KEYS, path)
    parent = doc.get("extends")
    if parent is None:
        return doc, (path,)
    if not isinstance(parent, str):
        raise ScenarioError(f"expected a file name, got {parent!r}", path, "extends")
    parent_path = (path.parent / parent)
    if not parent_path.is_file():
        raise ScenarioError(f"extends '{parent}', which does not exist next to it", path, "extends")
    base, chain = _resolve(parent_path, seen + (path,))
    base = {k: v for k, v in base.items() if k not in ("name", "description")}
    return merge(base, {k: v for k, v in doc.items() if k != "extends"}), (path,) + chain


def _check_standards(overrides, path) -> dict:
    from capacity.data.model import LevelStandard

    if not isinstance(overrides, Mapping):
        raise ScenarioError("expected tables [standards.<level>]", path, "standards")
    allowed = [f.name for f in dataclasses.fields(LevelStandard) if f.name != "level"]
    for level, table in overrides.items():
        if level not in ALL_LEVELS:
            raise ScenarioError(f"{level!r} is not a level; expected one of {list(ALL_LEVELS)}"
                                + did_you_mean(level, ALL_LEVELS), path, f"standards.{level}")
        if not isinstance(table, Mapping):
            raise ScenarioError("expected a table of standards", path, f"standards.{level}")
        for key in table:
            if key not in allowed:
                raise ScenarioError(f"unknown standard{did_you_mean(key, allowed)}",
                                    path, f"standards.{level}.{key}")
    return {lv: dict(t) for lv, t in overrides.items()}


def load_scenario(path) -> Scenario:
    """Read, merge (``extends``) and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The scenario TOML file.

    Raises
    ------
    ScenarioError
        Naming the file and key of the first problem found.
    """
    path = Path(path)
    doc, chain = _resolve(path)
    sections = _section_types()
    known = list(TOP_KEYS) + list(sections)
    for key in doc:
        if key not in known:
            raise ScenarioError(f"unknown key{did_you_mean(key, known)}; expected one of "
                                f"{', '.join(known)}", path, key)
    if "data" not in doc:
        raise ScenarioError("missing; name the data folder, e.g. data = \"../data/kunming\"", path, "data")
    if not isinstance(doc["data"], str):
        raise ScenarioError(f"expected a folder path, got {doc['data']!r}", path, "data")
    # 'data' is relative to the file that set it
    data_owner = next(p for p in chain if "data" in _read(p))
    data = (data_owner.parent / doc["data"]).resolve()
    if not data.is_dir():
        raise ScenarioError(f"data folder {data} does not exist", data_owner, "data")
    parsed = {}
    for name, cls in sections.items():
        table = doc.get(name, {})
        if not isinstance(table, Mapping):
            raise ScenarioError("expected a table", path, name)
        parsed[name] = build(cls, table, path, name)
    parsed["demand"] = demand_for_plan(parsed["demand"], parsed["plan"], doc.get("demand", {}))
    scenario = Scenario(
        name=str(doc.get("name", path.stem)), path=path.resolve(), data=data,
        description=str(doc.get("description", "")),
        standards=MappingProxyType(_check_standards(doc.get("standards", {}), path)),
        chain=chain, **parsed)
    check_ranges(scenario, PLAUSIBLE, scenario.path)
    check_levels(scenario)
    check_years(scenario)
    return scenario
