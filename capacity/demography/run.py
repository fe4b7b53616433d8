"""Orchestrator: tables in, a typed :class:`ProjectionResult` out.

``run_projection(city, params)`` builds the life tables, the base
population, calibrates fertility and migration, then projects the low /
medium / high variants (one vectorised array) and, when asked, N seeded
stochastic draws in chunks, keeping only age-group sums of the draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from capacity.demography import cohort, paths
from capacity.demography.cohort import group_matrix
from capacity.demography.base import base_population, base_totals
from capacity.demography.calibrate import Calibration, calibrate, pre_base_growth
from capacity.demography.draws import DrawBasis
from capacity.demography.fertility import (female_birth_share, hadwiger_schedule, replacement_tfr,
                                           zone_fertility_factors)
from capacity.demography.migration import migration_profile
from capacity.demography.mortality import OPEN_AGE, life_table
from capacity.demography.params import VARIANTS, ProjectionParams

AGES = np.arange(OPEN_AGE + 1)
SEXES = ("male", "female")


@dataclass(frozen=True)
class ProjectionResult:
    """A projection's tables (persons are counts at year end).

    Attributes
    ----------
    params : ProjectionParams
    zone_ids : tuple of str
    population : DataFrame
        ``zone_id, year, age, sex, persons`` for ``params.variant``, from the
        base year to the horizon [persons].
    components : DataFrame
        ``zone_id, year, population_start, births, deaths, net_migration,
        population_end`` for ``params.variant`` [persons / year].
    variants : DataFrame
        ``variant, zone_id, year, age, sex, persons`` for low / medium / high.
    variant_components : DataFrame
        ``variant`` + the ``components`` columns.
    stochastic : DataFrame or None
        ``zone_id`` (a zone or ``city``), ``year, group, quantile, persons``
        over the draws; ``group`` is an age group name or ``all``.
    base : DataFrame
        How each zone's base population was made (see
        :mod:`capacity.demography.base`).
    calibration : dict
        The fit, JSON-ready (see :func:`calibration_report`).
    basis : DrawBasis or None
        What per-draw projections need (see :mod:`capacity.demography.draws`).
    """

    params: ProjectionParams
    zone_ids: tuple
    population: pd.DataFrame
    components: pd.DataFrame
    variants: pd.DataFrame
    variant_components: pd.DataFrame
    stochastic: pd.DataFrame | None
    base: pd.DataFrame
    calibration: dict = field(default_factory=dict)
    basis: DrawBasis | None = field(default=None, repr=False, compare=False)


def life_tables(params: ProjectionParams, years):
    """Survival arrays for each year: (T, 2, A), (T, 2), and base-year tables."""
    def tables(year):
        gain = params.e0_gain * (year - params.base_year)
        return life_table(params.e0_male + gain), life_table(params.e0_female + gain)

    base = tables(params.base_year)
    per_year = [tables(y) for y in years]
    survival = np.array([[m.survival, f.survival] for m, f in per_year])
    birth_survival = np.array([[m.birth_survival, f.birth_survival] for m, f in per_year])
    return survival, birth_survival, base


def population_frame(arr, zone_ids, years):
    """Tidy table from an array (T+1, Z, 2, A)."""
    T1, Z, S, A = arr.shape
    idx = pd.MultiIndex.from_product([years, list(zone_ids), SEXES, range(A)],
                                     names=["year", "zone_id", "sex", "age"])
    f = pd.DataFrame({"persons": arr.reshape(-1)}, index=idx).reset_index()
    return f[["zone_id", "year", "age", "sex", "persons"]].sort_values(
        ["zone_id", "year", "sex", "age"], kind="stable").reset_index(drop=True)


def components_frame(traj, zone_ids, years):
    """Tidy components from a :class:`~cohort.Trajectory` with leading axis Z."""
    T = len(years)
    zs = np.repeat(np.array(zone_ids, dtype=object)[None, :], T, axis=0)
    f = pd.DataFrame({
        "zone_id": zs.reshape(-1),
        "year": np.repeat(years, len(zone_ids)),
        "population_start": traj.totals[:-1].reshape(-1),
        "births": traj.births.reshape(-1),
        "deaths": traj.deaths.reshape(-1),
        "net_migration": traj.net_migration.reshape(-1),
        "population_end": traj.totals[1:].reshape(-1),
    })
    return f.sort_values(["zone_id", "year"], kind="stable").reset_index(drop=True)


def calibration_report(cal: Calibration, zone_ids, params, future_tfr, base_notes, traj_medium, years):
    """JSON-ready summary of the fit and of the carried-forward assumptions."""
    bf, tf = cal.births_fit, cal.totals_fit
    births_proj = [{"year": int(y), "births": float(b), "deaths": float(d)}
                   for y, b, d in zip(years, traj_medium.births.sum(axis=1), traj_medium.deaths.sum(axis=1))]
    return {
        "base_year": params.base_year,
        "horizon": params.horizon,
        "calibrated_years": list(cal.years),
        "births_fit": bf.to_dict("records"),
        "zone_totals_fit": tf.to_dict("records"),
        "max_abs_rel_error_births": float(bf.rel_error.abs().max()) if len(bf) else None,
        "max_abs_rel_error_zone_totals": float(tf.rel_error.abs().max()) if len(tf) else None,
        "births_within_3pct": bool((bf.rel_error.abs() <= 0.03).all()),
        "zone_totals_within_1pct": bool((tf.rel_error.abs() <= 0.01).all()),
        "city_tfr_base_year_implied": None if np.isnan(cal.city_tfr_base) else cal.city_tfr_base,
        "city_tfr_by_year": {int(y): float(v) for y, v in zip(cal.years, cal.tfr.max(axis=0))},
        "city_tfr_future": float(future_tfr),
        "reference_migration_rate": {z: float(r) for z, r in zip(zone_ids, cal.reference_rate)},
        "medium_city_components": births_proj,
        "base_population": base_notes.to_dict("records"),
        "sources": {
            "mortality": "Brass (1971) relational logit on a Siler (1979) standard, level set by e0",
            "fertility": "Hadwiger (1940) pattern as in Chandola, Coleman & Hiorns (1999), scaled to TFR",
            "migration": "Rogers & Castro (1981) model migration schedule, IIASA RR-81-30",
        },
    }


def data_fitted(population, births, observed_births, obs_totals, city_totals, zone_ids, params,
                factor_notes, base_notes, enrolment, entry_ages) -> dict:
    """Which reported figures the projection was fitted to or built from (JSON-ready)."""
    base = params.base_year
    pop = population.assign(zone_id=population.zone_id.astype(str))
    pre = pop[(pop.year < base) & (pop.year >= base - params.migration_window) & pop.zone_id.isin(zone_ids)]
    fitted = obs_totals[(obs_totals.year > base) & obs_totals.zone_id.astype(str).isin(zone_ids)]
    intakes = []
    if enrolment is not None and len(enrolment) and "intake" in enrolment.columns and entry_ages:
        e = enrolment[(enrolment.year.astype(int) <= base) & enrolment.level.isin(list(entry_ages))
                      & enrolment.intake.notna()]
        intakes = [{"scope": str(r.scope), "year": int(r.year), "level": r.level, "intake": float(r.intake)}
                   for r in e.itertuples()]
    return {
        "base_year_population": [{"zone_id": r["zone_id"], "rule": r["total_rule"]} for _, r in base_notes.iterrows()],
        "age_structures": [{"zone_id": r["zone_id"], "scope": r["structure_scope"], "year": r["structure_year"]}
                           for _, r in base_notes.iterrows()],
        "births_fitted_years": sorted(int(y) for y in observed_births if y >= base),
        "births_anchoring_cohorts_years": sorted(int(y) for y in births.year.astype(int) if y <= base),
        "zone_totals_fitted": [{"zone_id": str(r.zone_id), "year": int(r.year)} for r in fitted.itertuples()],
        "city_totals_fitted_years": sorted(int(y) for y in (city_totals or {}) if base < y <= params.horizon),
        "migration_history": [{"zone_id": str(r.zone_id), "year": int(r.year), "measure": r.measure}
                              for r in pre.itertuples()],
        "cohort_anchors_intake": intakes,
        "zone_fertility_factors": factor_notes,
    }


def method_report(cal, params, rate, since) -> dict:
    """The carried-forward assumptions of the medium path (JSON-ready)."""
    return {
        "tfr_trend_slope_per_year": paths.tfr_trend(dict(cal.city_tfr), params.tfr_trend_window),
        "tfr_trend_damping": params.tfr_trend_damping,
        "city_tfr_fitted": {int(y): float(v) for y, v in cal.city_tfr.items()},
        "migration_persistence": float(np.exp(-1.0 / params.migration_decay_years))
        if params.migration_decay_years > 0 else 1.0,
        "migration_long_run_rate": params.migration_long_run_rate,
        "migration_prior_rate": params.migration_prior_rate,
        "migration_prior_weight": params.migration_prior_weight,
        "migration_history_weight": [float(w) for w in cal.history_weight],
        "spread": {"tfr_sigma": params.tfr_sigma, "tfr_rho": params.tfr_rho,
                   "migration_sigma": params.migration_sigma, "migration_rho": params.migration_rho,
                   "migration_zone_factor": params.migration_zone_factor,
                   "calibrated_on": "rolling back-test errors (capacity backtest --calibrate-spread)"},
    }


def project_tables(population, age_structure, births, zone_ids, params: ProjectionParams,
                   age_groups: Mapping[str, tuple] | None = None,
                   city_totals: Mapping[int, float] | None = None,
                   city_zones=None, enrolment=None) -> ProjectionResult:
    """Projection from the data-contract tables (the pure core of :func:`run_projection`).

    Parameters
    ----------
    population, age_structure, births : DataFrame
        Tables as in ``data/README.md``.
    zone_ids : sequence of str
        Zones to project.
    params : ProjectionParams
    age_groups : mapping of str to (int, int), optional
        Age groups kept for the stochastic draws, e.g. school levels.
    city_totals : mapping of int to float, optional
        Reported city year-end totals used in calibration [persons].
    city_zones : sequence of str, optional
        Zones whose sum is the city total (default: all).
    enrolment : DataFrame, optional
        ``enrolment.csv``: intakes of ``params.cohort_anchor_levels`` anchor
        single-year cohorts of the base population (entry age: the level's
        first age in ``age_groups``).

    Returns
    -------
    ProjectionResult
    """
    zone_ids = tuple(str(z) for z in zone_ids)
    years = params.years
    survival, birth_survival, (lt_m, lt_f) = life_tables(params, years)
    schedule = hadwiger_schedule(AGES.size, params.fertility_mean_age, params.fertility_spread)
    fshare = female_birth_share(params.srb)
    profile = migration_profile(AGES.size, params.migrant_male_share)
    entry_ages = {lv: int(age_groups[lv][0]) for lv in params.cohort_anchor_levels if lv in (age_groups or {})}
    group_ages = {lv: tuple(age_groups[lv]) for lv in params.pupil_anchor_levels if lv in (age_groups or {})}
    P0, notes = base_population(population, age_structure, births, zone_ids, params.base_year,
                                lt_m, lt_f, fshare, params.base_measure, enrolment=enrolment,
                                entry_ages=entry_ages, group_ages=group_ages)
    factor, factor_notes = zone_fertility_factors(age_structure, zone_ids, params.base_year,
                                                  params.tfr_zone_factor)

    city_births = births[births.scope.astype(str) == "city"]
    observed_births = dict(zip(city_births.year.astype(int), city_births.births.astype(float)))
    obs_totals = population[population.measure == "year_end"][["zone_id", "year", "persons"]]
    if not params.calibrate:
        observed_births = {}
        obs_totals = obs_totals.iloc[0:0]
        city_totals = None
    observed_births = {y: b for y, b in observed_births.items() if y <= params.horizon}
    obs_totals = obs_totals[obs_totals.year <= params.horizon]
    totals0 = P0.sum(axis=(1, 2))
    growth, span = pre_base_growth(population, zone_ids, params.base_year, totals0,
                                   params.migration_window if params.calibrate else 0)
    default_tfr = params.tfr if params.tfr is not None else replacement_tfr(schedule, lt_f.Lx, params.srb)

    def rates_of_year(t):
        return survival[t], birth_survival[t], schedule, fshare, profile

    cal = calibrate(P0, zone_ids, params.base_year, rates_of_year, observed_births, obs_totals,
                    factor, growth, span, default_tfr,
                    {y: v for y, v in (city_totals or {}).items() if y <= params.horizon}, city_zones,
                    persistence=np.exp(-1.0 / params.migration_decay_years) if params.migration_decay_years > 0
                    else 1.0)
    tfr, rate, since = paths.medium_future(cal, zone_ids, years, params, factor, totals0)
    tfr_v, mig_v, is_rate = paths.variant_paths(cal, tfr, rate, since, params, VARIANTS)

    def rates(tfr_x, mig_x, is_rate_x):
        return cohort.Rates(survival=survival, birth_survival=birth_survival, schedule=schedule,
                            tfr=tfr_x, female_share=fshare, migration=mig_x,
                            migration_is_rate=is_rate_x, profile=profile)

    traj = cohort.project(np.broadcast_to(P0, (len(VARIANTS),) + P0.shape), rates(tfr_v, mig_v, is_rate))
    all_years = [params.base_year] + years
    var_pop, var_comp = [], []
    per_variant = {}
    for v, name in enumerate(VARIANTS):
        tv = cohort.Trajectory(population=traj.population[:, v], totals=traj.totals[:, v],
                               births=traj.births[:, v], deaths=traj.deaths[:, v],
                               net_migration=traj.net_migration[:, v])
        per_variant[name] = tv
        var_pop.append(population_frame(tv.population, zone_ids, all_years).assign(variant=name))
        var_comp.append(components_frame(tv, zone_ids, years).assign(variant=name))
    variants = pd.concat(var_pop, ignore_index=True)
    variants = variants[["variant"] + [c for c in variants.columns if c != "variant"]]
    variant_components = pd.concat(var_comp, ignore_index=True)
    variant_components = variant_components[["variant"] + [c for c in variant_components.columns if c != "variant"]]
    chosen = params.variant
    population_main = variants[variants.variant == chosen].drop(columns="variant").reset_index(drop=True)
    components_main = variant_components[variant_components.variant == chosen].drop(columns="variant").reset_index(drop=True)

    stochastic = None
    if params.draws > 0:
        stochastic = stochastic_quantiles(P0, cal, tfr, rate, params, zone_ids, all_years,
                                          age_groups or {}, rates)
    future_tfr = params.tfr if params.tfr is not None else cal.city_tfr_last
    report = calibration_report(cal, zone_ids, params, future_tfr, notes, per_variant["medium"], years)
    report["zone_fertility_factor"] = {z: float(f) for z, f in zip(zone_ids, factor)}
    report["data_fitted"] = data_fitted(population, births, observed_births, obs_totals, city_totals,
                                        zone_ids, params, factor_notes, notes, enrolment, entry_ages)
    report["method"] = method_report(cal, params, rate, since)
    for frame in (population_main, variants):
        frame.attrs["units"] = {"persons": "persons at year end", "age": "years (100 = 100+)"}
    components_main.attrs["units"] = {c: "persons / year" for c in ("births", "deaths", "net_migration")}
    basis = DrawBasis(P0=P0, calibration=cal, tfr=tfr, rate=rate,
                      rates=rates(tfr_v[VARIANTS.index("medium")], mig_v[VARIANTS.index("medium")], is_rate),
                      params=params, zone_ids=zone_ids, years=tuple(all_years))
    return ProjectionResult(params=params, zone_ids=zone_ids, population=population_main,
                            components=components_main, variants=variants,
                            variant_components=variant_components, stochastic=stochastic,
                            base=notes, calibration=report, basis=basis)


def stochastic_quantiles(P0, cal, tfr, rate, params, zone_ids, all_years, age_groups, rates,
                         dtype=np.float64):
    """Quantiles of age-group totals over seeded draws, projected in chunks.

    Returns
    -------
    DataFrame
        ``zone_id, year, group, quantile, persons``; ``zone_id`` ``city`` is
        the quantile of the city sum, not the sum of zone quantiles.
    """
    rng = np.random.default_rng(params.seed)
    tfr_d, mig_d, is_rate = paths.stochastic_paths(cal, tfr, rate, params, params.draws, rng)
    M, names = group_matrix(age_groups)
    D, Z = params.draws, len(zone_ids)
    out = np.empty((D, len(all_years), Z, len(names)), dtype=dtype)
    for lo in range(0, D, params.chunk_draws):
        hi = min(D, lo + params.chunk_draws)
        P = np.broadcast_to(P0, (hi - lo,) + P0.shape)
        tr = cohort.project(P, rates(tfr_d[lo:hi], mig_d[lo:hi], is_rate), group_matrix=M, dtype=dtype)
        out[lo:hi] = np.moveaxis(tr.population, 1, 0)
    city = out.sum(axis=2, keepdims=True)
    full = np.concatenate([out, city], axis=2)
    q = np.quantile(full, params.quantiles, axis=0)            # (Q, T+1, Z+1, G)
    idx = pd.MultiIndex.from_product([list(params.quantiles), all_years, list(zone_ids) + ["city"], names],
                                     names=["quantile", "year", "zone_id", "group"])
    f = pd.DataFrame({"persons": q.reshape(-1)}, index=idx).reset_index()
    return f[["zone_id", "year", "group", "quantile", "persons"]]


def run_projection(city, params: ProjectionParams | None = None,
                   age_groups: Mapping[str, tuple] | None = None) -> ProjectionResult:
    """Project a city's population by zone, single year of age and sex.

    Parameters
    ----------
    city : CityData
        Loaded data folder (uses ``zones``, ``population``,
        ``age_structure``, ``births`` and, for the default age groups,
        ``standards``).
    params : ProjectionParams, optional
        Assumptions; defaults throughout when omitted.
    age_groups : mapping of str to (int, int), optional
        Age groups summarised over stochastic draws; default: the school
        levels' ``ages`` from the standards.

    Returns
    -------
    ProjectionResult
    """
    params = params or ProjectionParams()
    if age_groups is None and city.standards is not None:
        age_groups = {lvl: tuple(city.standards[lvl].ages) for lvl in city.standards}
    zone_ids = [str(z) for z in city.zones["zone_id"]]
    city_zones = zone_ids
    if "kind" in city.zones.columns:
        city_zones = [str(z) for z, k in zip(city.zones["zone_id"], city.zones["kind"]) if k == "county"]
    return project_tables(city.population, city.age_structure, city.births, zone_ids, params, age_groups,
                          city_totals=city_totals(city), city_zones=city_zones,
                          enrolment=getattr(city, "enrolment", None))


def city_totals(city) -> dict:
    """Year-end city totals ``{year: persons}`` from the data folder's optional
    ``city_population.csv`` (the sum of zones of kind ``county`` is fitted to them)."""
    f = getattr(city, "city_population", None)
    if f is None or f.empty:
        return {}
    f = f[f["measure"] == "year_end"]
    return dict(zip(f["year"].astype(int), f["persons"].astype(float)))
