"""The one translation from a scenario to the optimiser's problem and solver options.

Everything a scenario file says about the plan becomes array-level input of
:mod:`capacity.optimize` here, and only here:

* :func:`plan_demand` — the seats needed per demand unit, level and
  evaluation year (what the plan must seat) [pupils];
* :func:`weights` — the objective weights in the core's units: the scenario
  gives the distance weight per pupil·km and the cost weight per million
  CNY, the core wants per pupil·m and per CNY;
* :func:`count_rules` — plan totals and zone rules as core
  :class:`~capacity.optimize.problem.CountRule` objects;
* :func:`level_settings` — the per-level switches (expansion, single
  sourcing, within-zone for compulsory levels, construction lag);
* :func:`solver_options` — the ``[solver]`` table as
  :class:`~capacity.optimize.solvers.SolverOptions`;
* :func:`problem_from_scenario` — all of the above plus the geography
  (:mod:`capacity.optimize.geo`) as one :class:`~capacity.optimize.problem.Problem`.

The pipeline, the ensemble, the benchmarks and the tests call these; no
other module converts scenario units or builds rules from a scenario.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from capacity.optimize.conversions import add_level_conversions, nursery_need
from capacity.optimize.conversions import zone_population as residents_by_zone
from capacity.optimize.geo import LevelSettings, build_level, check_metric_layers, is_nursery
from capacity.optimize.problem import CountRule, Problem, Weights, plan_total
from capacity.optimize.solvers import SolverOptions

COMPULSORY = ("primary", "middle")

__all__ = ["COMPULSORY", "count_rules", "level_settings", "plan_demand", "problem_from_scenario",
           "problem_from_sections", "solver_options", "special_demand", "special_rule", "weights"]


def plan_demand(units: pd.DataFrame, years, levels) -> pd.DataFrame:
    """Seats needed per demand unit, level and evaluation year: what the plan must seat.

    Parameters
    ----------
    units : DataFrame
        ``unit_id, zone_id, level, year, seats_needed`` (the spatial demand of
        :func:`capacity.demand.run_demand`) [pupils needing a seat].
    years : sequence of int
        Evaluation years [calendar year].
    levels : sequence of str

    Returns
    -------
    DataFrame
        ``unit_id, zone_id, level, year, pupils``; ``pupils`` is the unit's
        seats needed (pupils × enrolment target, × the general share for
        high schools, see :mod:`capacity.demand`).
    """
    sel = units[units["year"].isin(list(years)) & units["level"].isin(list(levels))]
    out = sel[["unit_id", "zone_id", "level", "year", "seats_needed"]].rename(columns={"seats_needed": "pupils"})
    out.attrs["units"] = {"pupils": "pupils needing a seat"}
    return out.reset_index(drop=True)


def weights(objective) -> Weights:
    """Scenario objective weights in the core's units.

    Parameters
    ----------
    objective : capacity.scenario.ObjectiveParams
        ``unserved_weight`` [per pupil], ``distance_weight`` [per pupil·km],
        ``cost_weight`` [per million CNY], ``year_decay``, ``cost_discount_rate``,
        ``lexicographic_tolerance``.

    Returns
    -------
    Weights
        Per pupil, per pupil·m and per CNY.
    """
    return Weights(unserved=objective.unserved_weight, distance=objective.distance_weight / 1000.0,
                   cost=objective.cost_weight / 1.0e6, year_discount=objective.year_decay,
                   cost_discount_rate=objective.cost_discount_rate,
                   lexicographic_rel_tol=objective.lexicographic_tolerance,
                   calendar_years=getattr(objective, "year_weighting", "decay") == "calendar",
                   existing_running=bool(getattr(objective, "count_existing_running_costs", False)))


def count_rules(plan) -> list[CountRule]:
    """Plan totals and zone rules of a scenario's ``[plan]`` as core :class:`CountRule` objects."""
    rules = [plan_total(level, n, plan.totals_mode, plan.totals_action.get(level, "new"))
             for level, n in plan.totals.items()]
    for r in plan.zone_rules:
        if not r.min and r.max is None:  # min 0 and no max: bounds nothing
            continue
        rules.append(CountRule(level=r.level, kind=r.action, minimum=r.min or None,
                               maximum=r.max, zone=r.zone, year=r.year))
    return rules


def level_settings(plan, level: str, standard=None) -> LevelSettings:
    """The per-level switches of a scenario's ``[plan]`` (within-zone for compulsory levels, and for
    a level whose ``standard`` serves its whole zone, ``service_area = "zone"``; lag, closures,
    conversions and operating costs per level, issue 13)."""
    get = lambda key, default: getattr(plan, key, default)  # noqa: E731  (plans of the first wave lack them)
    lag = plan.lag_for(level) if hasattr(plan, "lag_for") else int(plan.construction_lag_years)
    conversions = get("conversions", {})
    return LevelSettings(allow_expansion=plan.allow_expansion, single_sourcing=plan.single_sourcing,
                         within_zone=bool(plan.compulsory_within_zone and level in COMPULSORY)
                         or getattr(standard, "service_area", "distance") == "zone",
                         lag_years=int(lag),
                         distance=getattr(plan, "distance", "straight"),
                         closable=level in get("closure_levels", ()),
                         convert_to=conversions.get(level),
                         convert_cost_cny_per_seat=float(get("conversion_cost_cny_per_seat", {}).get(level, 0.0)),
                         max_closures_per_zone_year=get("max_closures_per_zone_year", None),
                         protected=tuple(get("protected_schools", ())),
                         protect_sole_rural=bool(get("protect_sole_rural_schools", True)),
                         operating_cny_per_school=float(get("operating_cost_cny_per_school", {}).get(level, 0.0)),
                         operating_cny_per_pupil=float(get("operating_cost_cny_per_pupil", {}).get(level, 0.0)),
                         nursery_places_per_seat=float(get("nursery_places_per_seat", 0.0)),
                         nursery_cny_per_place=float(get("nursery_place_cost_cny", 0.0)),
                         convert_to_level=get("level_conversions", {}).get(level),
                         level_convert_cost_cny_per_seat=float(
                             get("level_conversion_cost_cny_per_seat", {}).get(level, 0.0)))


def nursery_settings(city, plan, settings: LevelSettings) -> LevelSettings:
    """``settings`` with each zone's unmet need for nursery places when the level converts to them
    and the scenario credits a place (:func:`capacity.optimize.conversions.nursery_need`)."""
    if not (is_nursery(settings.convert_to) and settings.nursery_cny_per_place > 0):
        return settings
    need = nursery_need(residents_by_zone(city.population, city.base_year),
                        float(getattr(plan, "nursery_places_per_1000_people", 0.0)),
                        float(getattr(plan, "nursery_existing_places_per_1000_people", 0.0)))
    return dataclasses.replace(settings, nursery_need=tuple((str(z), float(v)) for z, v in need.items()))


def budgets(plan) -> np.ndarray:
    """Budget per build year [CNY]; ``inf`` for a year without a budget."""
    return np.array([plan.budget_for(y) if plan.budget_for(y) is not None else np.inf
                     for y in plan.build_years], dtype=float)


def solver_options(solver_cfg, on_progress=None, **overrides) -> SolverOptions:
    """A scenario's ``[solver]`` table as the optimiser's :class:`SolverOptions`.

    Parameters
    ----------
    solver_cfg : capacity.scenario.SolverParams
        ``name``, ``time_limit_s`` [s], ``mip_gap`` [fraction], ``threads`` (0: solver default),
        ``aggregate`` and ``aggregate_tolerance_m`` [m] (``SolverOptions.aggregate_m``). HiGHS
        MIPs start from the LP relaxation's restricted MIP (``SolverOptions.relaxation_start``:
        on the Kunming middle level 87 s instead of 404 s, benchmarks/README.md).
    on_progress : callable, optional
        ``on_progress(seconds, objective, bound, gap)`` during a HiGHS solve.
    **overrides
        Any :class:`SolverOptions` field, applied last (e.g. ``threads=1``
        for the ensemble's one-thread tasks); ``None`` values are ignored.

    Returns
    -------
    SolverOptions
    """
    opts = SolverOptions(solver=solver_cfg.name, time_limit=solver_cfg.time_limit_s,
                         gap_rel=solver_cfg.mip_gap, threads=solver_cfg.threads or None, msg=False,
                         on_progress=on_progress,
                         aggregate_m=float(solver_cfg.aggregate_tolerance_m) if solver_cfg.aggregate else None,
                         relaxation_start=solver_cfg.name == "highs"
                         and bool(getattr(solver_cfg, "relaxation_start", True)))
    given = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(opts, **given) if given else opts


def check_protected(city, plan) -> None:
    """Raise :class:`ScenarioError` naming ``plan.protected_schools`` when it lists a school the
    data folder does not have (a typing slip would otherwise leave the school unprotected)."""
    from capacity.errors import ScenarioError

    protected = [str(x) for x in getattr(plan, "protected_schools", ())]
    unknown = sorted(set(protected) - set(city.schools["school_id"].astype(str)))
    if unknown:
        raise ScenarioError(f"school(s) {unknown} are not in the data folder's schools.gpkg", None,
                            "plan.protected_schools")


def problem_from_scenario(scenario, city, unit_demand: pd.DataFrame, levels=None, zone_population=None):
    """The whole planning problem of a scenario.

    Parameters
    ----------
    scenario : capacity.scenario.Scenario
        Its ``plan`` (years, budgets, rules, switches) and ``objective`` are used.
    city : CityData
        Loaded data folder (layers in its metric CRS).
    unit_demand : DataFrame
        ``unit_id, level, year, pupils`` [pupils needing a seat] (see :func:`plan_demand`).
    levels : sequence of str, optional
        Levels to plan (default ``scenario.plan.levels``).
    zone_population : Series, optional
        Projected population per zone at the plan's end [persons], for the special-education
        rule (T9, :func:`special_rule`); default: the data's base-year population.

    Returns
    -------
    (Problem, dict of LevelIndex)
        The array-level problem and, per level, the labels to turn a solution
        back into tables (:class:`capacity.optimize.geo.LevelIndex`).

    Raises
    ------
    DataError
        A layer is not in a projected CRS in metres.
    """
    required = special_rule(scenario, city, zone_population)
    return problem_from_sections(city, unit_demand, scenario.plan, scenario.objective, levels, required)


def special_rule(scenario, city, zone_population=None) -> dict:
    """Zones that must have a special-education school by the plan's end (T9), per level.

    Zones over ``demand.special_threshold`` people in the base year or in
    ``zone_population`` (the projection at the plan's end); empty when the scenario does
    not plan the ``special`` level (:mod:`capacity.demand.special`).
    """
    from capacity.demand.special import DEFAULT_THRESHOLD, SPECIAL, required_zones

    if SPECIAL not in scenario.plan.levels:
        return {}
    threshold = float(getattr(scenario.demand, "special_threshold", DEFAULT_THRESHOLD))
    pops = [city.base_population().rename(index=str)]
    if zone_population is not None:
        pops.append(zone_population)
    return {SPECIAL: required_zones(*pops, threshold=threshold)}


def special_demand(unit_demand: pd.DataFrame, scenario, city, zone_population=None) -> pd.DataFrame:
    """The plan's unit demand without special-needs pupils of zones that neither have nor need a
    special-education school (they are taught in special classes of ordinary schools, T9;
    :func:`capacity.demand.special.served_zones`). Unchanged when ``special`` is not planned."""
    from capacity.demand.special import keep_served, served_zones

    required = special_rule(scenario, city, zone_population)
    for level, zones in required.items():
        schools = pd.DataFrame(city.schools.drop(columns="geometry"))
        unit_demand = keep_served(unit_demand, served_zones(zones, schools, level), level)
    return unit_demand


def problem_from_sections(city, unit_demand: pd.DataFrame, plan, objective, levels=None, required=None):
    """As :func:`problem_from_scenario`, from the scenario's ``plan`` and ``objective`` sections.

    For callers that vary one section without a whole scenario (tests, the
    scaling benchmark's scaled plan). ``required``: ``{level: zones}`` that must have a
    school of the level by the plan's end (:func:`special_rule`); each lacking zone gets a
    minimum of one new school, on parcels the level may borrow (:mod:`capacity.optimize.special`).
    """
    from capacity.optimize.special import prepare

    check_metric_layers(city)
    check_protected(city, plan)
    years = list(plan.evaluation_years)
    levels = plan.levels if levels is None else levels
    extra = []
    for level, zones in (required or {}).items():
        if level in levels:
            lag = plan.lag_for(level) if hasattr(plan, "lag_for") else int(plan.construction_lag_years)
            city, rules, _ = prepare(city, level, zones, max(plan.build_years), plan.build_years, lag)
            extra += rules
    settings = {lv: nursery_settings(city, plan, level_settings(plan, lv, city.standards[lv])) for lv in levels}
    built = {lv: build_level(city, unit_demand, lv, years, settings[lv]) for lv in levels}
    problem = Problem(levels=tuple(b[0] for b in built.values()), years=np.array(years),
                      build_years=np.array(plan.build_years), budget_cny=budgets(plan),
                      count_rules=tuple(r for r in count_rules(plan) + extra if r.level in built),
                      objective=objective.mode, weights=weights(objective))
    # closed schools of one level that may become another level's (issue 13, capacity.optimize.conversions)
    return add_level_conversions(city, problem, {lv: b[1] for lv, b in built.items()}, settings)
