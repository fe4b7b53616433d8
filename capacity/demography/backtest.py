"""Rolling-origin back-test of the projection (pure: tables in, tables out).

For each origin year *o* the data are cut at *o* (every row of
``population``, ``age_structure``, ``births``, ``enrolment`` and
``city_population`` with ``year > o`` is dropped), the projection is made
with the scenario's method from what is left, and every figure reported
after *o* is compared with it (Tashman 2000, "out-of-sample tests of
forecasting accuracy"; the rolling-origin design of pupil-place forecast
accuracy tables).

Rules, so that nothing after the origin can reach a projection:

* **Base year**: the latest year ≤ *o* at which the most zones have a
  population figure (ties: the later year). Zones whose first figure is
  after the base year but not after *o* get their base by the usual rule of
  :func:`~capacity.demography.base.base_totals` (their figure scaled back by
  the known zones' growth) — only figures ≤ *o* exist by then.
* **Zones left out**: a zone without any population figure ≤ *o* cannot be
  based on anything; it is left out of that origin and the summary says so.
* **Coverage**: when county zones are left out, the projected zones stand
  for a share ``coverage`` of the city (their base population over the
  city's reported base-year total). Reported city births are multiplied by
  it before calibration, and projected city figures (population, births)
  are the projected zones' sums divided by it: the left-out zones are
  assumed to grow and bear children like the projected ones.
  City totals are fitted only when no county zone is left out.
* **Reported figures**: ``year_end`` zone and city totals and city births
  with ``year > o``; figures whose ``provenance`` is ``estimate``,
  ``assumption`` or ``synthetic`` are not reports and are not compared.
* **Bands**: the 10 % and 90 % quantiles of ``draws`` stochastic draws
  (seed ``params.seed``) of the projection's own paths
  (:func:`~capacity.demography.paths.stochastic_paths`), i.e. the same
  spread the forward projection and the ensemble use.
* **Scenario overrides** (a zone's ``migration_rate``, ``tfr``) are used as
  given: if they were set knowing later figures, those zones are not
  tested out of sample.

References
----------
Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an
analysis and review. *International Journal of Forecasting* 16, 437–450.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from capacity.demography import cohort, paths
from capacity.demography.run import project_tables
from capacity.errors import DataError

COLUMNS = ["origin", "scope", "measure", "year", "reported", "projected", "low", "high", "error"]
"""Columns of the back-test table, in order."""

NOT_REPORTED = ("estimate", "assumption", "synthetic")
"""Provenance labels that mark a figure as ours, not a report."""

SPREAD_KEYS = ("tfr_sigma", "tfr_rho", "migration_sigma", "migration_rho", "migration_zone_factor")
"""Parameters of the draws' spread (they do not change the projected path)."""

BAND = (0.1, 0.9)
"""Quantiles of the draws that bound the 80 % band [share]."""


@dataclass(frozen=True)
class BacktestTables:
    """The data-contract tables a back-test reads (all optional but population).

    Attributes
    ----------
    population, age_structure, births : DataFrame
        As in ``data/README.md``.
    zones : DataFrame
        ``zone_id``, ``kind`` (``county`` zones make up the city), names.
    city_population : DataFrame
        ``year, measure, persons`` (may be empty).
    enrolment : DataFrame
        ``scope, year, level, pupils, intake`` (may be empty).
    age_groups : dict
        School levels' ages ``{level: (first, last)}`` (entry ages of the
        cohort anchors; may be empty).
    """

    population: pd.DataFrame
    age_structure: pd.DataFrame
    births: pd.DataFrame
    zones: pd.DataFrame
    city_population: pd.DataFrame
    enrolment: pd.DataFrame
    age_groups: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_city(cls, city) -> "BacktestTables":
        """The tables of a loaded :class:`~capacity.data.model.CityData`."""
        empty = pd.DataFrame(columns=["year", "measure", "persons"])
        cp = getattr(city, "city_population", None)
        enr = getattr(city, "enrolment", None)
        zones = pd.DataFrame(city.zones.drop(columns="geometry", errors="ignore"))
        st = getattr(city, "standards", None)
        groups = {lvl: tuple(st[lvl].ages) for lvl in st} if st is not None else {}
        return cls(population=city.population, age_structure=city.age_structure, births=city.births,
                   zones=zones, city_population=empty if cp is None else cp,
                   enrolment=pd.DataFrame(columns=["scope", "year", "level"]) if enr is None else enr,
                   age_groups=groups)

    def cut(self, origin: int) -> "BacktestTables":
        """The same tables without any row after ``origin``."""
        def keep(f):
            return f[f["year"].astype(int) <= origin].copy() if len(f) else f
        return dataclasses.replace(self, population=keep(self.population),
                                   age_structure=keep(self.age_structure), births=keep(self.births),
                                   city_population=keep(self.city_population), enrolment=keep(self.enrolment))


@dataclass(frozen=True)
class BacktestResult:
    """Result of :func:`run_backtest`.

    Attributes
    ----------
    table : DataFrame
        :data:`COLUMNS`; one row per reported figure after its origin
        [persons; ``error`` = projected / reported − 1].
    paths : DataFrame
        ``origin, scope, measure, year, projected, low, high``: the whole
        projected path of every scope from the base year (for charts).
    left_out : DataFrame
        ``origin, zone_id, reason``.
    origins : DataFrame
        ``origin, base_year, zones, coverage``: how each origin was set up.
    summary : dict
        See :func:`summarise`.
    """

    table: pd.DataFrame
    paths: pd.DataFrame
    left_out: pd.DataFrame
    origins: pd.DataFrame
    summary: dict


def base_year_for(population: pd.DataFrame, origin: int) -> int:
    """The latest year ≤ ``origin`` at which the most zones have a figure."""
    pop = population[population["year"].astype(int) <= origin]
    if pop.empty:
        raise DataError(f"no population figure in or before the origin {origin}", path="population.csv",
                        column="year")
    counts = pop.groupby(pop["year"].astype(int))["zone_id"].nunique()
    best = counts.max()
    return int(max(y for y, n in counts.items() if n == best))


def _county_ids(zones):
    if "kind" in zones.columns:
        return [str(z) for z, k in zip(zones["zone_id"], zones["kind"]) if k == "county"]
    return [str(z) for z in zones["zone_id"]]


def _city_total(city_population, year):
    f = city_population[(city_population["year"].astype(int) == year)] if len(city_population) else city_population
    for measure in ("year_end", "census"):
        sel = f[f["measure"] == measure] if len(f) else f
        if len(sel):
            return float(sel["persons"].iloc[0])
    return None


def reported_figures(tables: BacktestTables, origin: int, zone_ids: Sequence[str]) -> pd.DataFrame:
    """Figures reported after ``origin``: ``scope, measure, year, reported``.

    Zone and city year-end totals (``population``) and city births
    (``births``); estimates and assumptions are not reports.
    """
    pop = tables.population
    pop = pop[(pop["measure"] == "year_end") & (pop["year"].astype(int) > origin)
              & ~pop["provenance"].isin(NOT_REPORTED) & pop["zone_id"].astype(str).isin(list(zone_ids))]
    parts = [pd.DataFrame({"scope": pop["zone_id"].astype(str), "measure": "population",
                           "year": pop["year"].astype(int), "reported": pop["persons"].astype(float)})]
    cp = tables.city_population
    if len(cp):
        cp = cp[(cp["measure"] == "year_end") & (cp["year"].astype(int) > origin)]
        cp = cp[~cp["provenance"].isin(NOT_REPORTED)] if "provenance" in cp.columns else cp
        parts.append(pd.DataFrame({"scope": "city", "measure": "population", "year": cp["year"].astype(int),
                                   "reported": cp["persons"].astype(float)}))
    b = tables.births
    b = b[(b["scope"].astype(str) == "city") & (b["year"].astype(int) > origin)]
    b = b[~b["provenance"].isin(NOT_REPORTED)] if "provenance" in b.columns else b
    parts.append(pd.DataFrame({"scope": "city", "measure": "births", "year": b["year"].astype(int),
                               "reported": b["births"].astype(float)}))
    out = pd.concat(parts, ignore_index=True)
    return out.drop_duplicates(["scope", "measure", "year"]).reset_index(drop=True)


def draw_totals(basis, draws: int, seed: int):
    """Zone totals and births of ``draws`` stochastic trajectories.

    Parameters
    ----------
    basis : DrawBasis
        Of a projection (its ``params`` give the spread).
    draws : int
    seed : int

    Returns
    -------
    totals : ndarray, shape (D, T+1, Z)
        Year-end population from the base year [persons].
    births : ndarray, shape (D, T, Z)
        Births per projected year [persons / year].
    """
    rng = np.random.default_rng(seed)
    tfr_d, mig_d, is_rate = paths.stochastic_paths(basis.calibration, basis.tfr, basis.rate, basis.params,
                                                   draws, rng)
    rates = dataclasses.replace(basis.rates, tfr=tfr_d, migration=mig_d, migration_is_rate=is_rate)
    ones = np.ones((basis.P0.shape[-1], 1))
    P = np.broadcast_to(basis.P0, (draws,) + basis.P0.shape)
    traj = cohort.project(P, rates, group_matrix=ones)
    return np.moveaxis(traj.totals, 1, 0), np.moveaxis(traj.births, 1, 0)


@dataclass(frozen=True)
class OriginRun:
    """One origin's projection, ready to be compared (see :func:`prepare_origin`).

    Attributes
    ----------
    origin, base_year : int
    result : ProjectionResult
        Made from the data up to ``origin`` only.
    county_ids : tuple of str
        Projected zones that make up the city.
    coverage : float
        Share of the city the projected county zones stand for [share].
    reported : DataFrame
        ``scope, measure, year, reported`` after the origin.
    left_out : DataFrame
        ``origin, zone_id, reason``.
    """

    origin: int
    base_year: int
    result: object
    county_ids: tuple
    coverage: float
    reported: pd.DataFrame
    left_out: pd.DataFrame


def prepare_origin(tables: BacktestTables, params, origin: int, horizon: int) -> OriginRun:
    """Project from the data up to ``origin`` (nothing later is read).

    Parameters
    ----------
    tables : BacktestTables
        Full tables (cut here at ``origin``; later rows only give the
        reported figures to compare with).
    params : ProjectionParams
        The scenario's projection parameters (``base_year`` and ``horizon``
        are set here).
    origin : int
        Last year of data used [year].
    horizon : int
        Last projected year [year].

    Returns
    -------
    OriginRun
    """
    cut = tables.cut(origin)
    all_ids = [str(z) for z in tables.zones["zone_id"]]
    have = set(cut.population["zone_id"].astype(str))
    zone_ids = [z for z in all_ids if z in have]
    left = [{"origin": origin, "zone_id": z, "reason": f"no population figure in or before {origin}"}
            for z in all_ids if z not in have]
    if not zone_ids:
        raise DataError(f"origin {origin}: no zone has a population figure in or before it",
                        path="population.csv")
    base_year = base_year_for(cut.population, origin)
    counties = _county_ids(tables.zones)
    county_in = [z for z in zone_ids if z in counties]
    p = dataclasses.replace(params, base_year=base_year, horizon=max(horizon, base_year + 1), draws=0)
    city_base = _city_total(cut.city_population, base_year)
    full = len(county_in) == len(counties)
    coverage = 1.0
    births = cut.births
    for _ in range(3):  # the coverage depends on the base totals, which do not depend on births
        result = project_tables(cut.population, cut.age_structure, births, zone_ids, p, tables.age_groups,
                                city_totals=_fitted_city_totals(cut.city_population) if full else None,
                                city_zones=county_in, enrolment=cut.enrolment)
        if full or city_base is None or not county_in:
            break
        base = result.base.set_index("zone_id")["total"]
        share = float(base[county_in].sum()) / city_base
        if abs(share - coverage) < 1e-12:
            break
        coverage = share
        births = _scaled_births(cut.births, coverage)
    rep = reported_figures(tables, origin, result.zone_ids)
    if not county_in:
        rep = rep[rep.scope != "city"]
    rep = rep[rep.year <= p.horizon].reset_index(drop=True)
    return OriginRun(origin=origin, base_year=base_year, result=result, county_ids=tuple(county_in),
                     coverage=coverage, reported=rep,
                     left_out=pd.DataFrame(left, columns=["origin", "zone_id", "reason"]))


def compare_origin(run: OriginRun, params, draws: int = 500):
    """Paths with their 80 % bands, and the rows compared with reports.

    Parameters
    ----------
    run : OriginRun
    params : ProjectionParams
        Spread of the draws (``tfr_sigma``, ``migration_sigma`` …), ``seed``
        and ``variant`` (the projected column).
    draws : int
        Stochastic draws for the band.

    Returns
    -------
    rows : DataFrame
        :data:`COLUMNS`.
    path : DataFrame
        ``origin, scope, measure, year, projected, low, high``.
    """
    result = run.result
    basis = dataclasses.replace(result.basis, params=dataclasses.replace(
        result.basis.params, **{k: getattr(params, k) for k in SPREAD_KEYS}))
    years = list(basis.years)
    tot_d, births_d = draw_totals(basis, draws, params.seed)
    totals = result.variants[result.variants.variant == params.variant].groupby(
        ["zone_id", "year"]).persons.sum().unstack("zone_id")
    comp = result.variant_components[result.variant_components.variant == params.variant]
    comp = comp.groupby(["zone_id", "year"]).births.sum().unstack("zone_id")
    zi = {z: i for i, z in enumerate(result.zone_ids)}
    cidx = [zi[z] for z in run.county_ids]
    parts = [_path_rows(run.origin, z, "population", years, totals[z].reindex(years).to_numpy(float),
                        tot_d[:, :, zi[z]]) for z in result.zone_ids]
    if cidx:
        cov = run.coverage
        ids = list(run.county_ids)
        parts.append(_path_rows(run.origin, "city", "population", years,
                                totals[ids].sum(axis=1).reindex(years).to_numpy(float) / cov,
                                tot_d[:, :, cidx].sum(axis=2) / cov))
        parts.append(_path_rows(run.origin, "city", "births", years[1:],
                                comp[ids].sum(axis=1).reindex(years[1:]).to_numpy(float) / cov,
                                births_d[:, :, cidx].sum(axis=2) / cov))
    path = pd.concat(parts, ignore_index=True)
    out = run.reported.merge(path, on=["scope", "measure", "year"], how="inner")
    out["error"] = out["projected"] / out["reported"] - 1.0
    out = out[COLUMNS].sort_values(["measure", "scope", "year"], kind="stable").reset_index(drop=True)
    return out, path


def _fitted_city_totals(city_population):
    if city_population is None or not len(city_population):
        return None
    f = city_population[city_population["measure"] == "year_end"]
    return dict(zip(f["year"].astype(int), f["persons"].astype(float)))


def _scaled_births(births, coverage):
    b = births.assign(births=births["births"].astype(float))
    city = b["scope"].astype(str) == "city"
    b.loc[city, "births"] = b.loc[city, "births"] * coverage
    return b


def _path_rows(origin, scope, measure, years, projected, draws):
    lo, hi = np.quantile(draws, BAND, axis=0)
    return pd.DataFrame({"origin": origin, "scope": scope, "measure": measure, "year": list(years),
                         "projected": projected, "low": lo, "high": hi})


def run_backtest(tables: BacktestTables, params, origins: Sequence[int], horizon: int | None = None,
                 draws: int = 500) -> BacktestResult:
    """Rolling-origin back-test over ``origins`` (see the module docstring).

    Parameters
    ----------
    tables : BacktestTables
    params : ProjectionParams
        The scenario's projection parameters.
    origins : sequence of int
        Origin years [year].
    horizon : int, optional
        Last projected year; default the last year with a reported figure.
    draws : int
        Stochastic draws per origin for the 80 % band.

    Returns
    -------
    BacktestResult
    """
    origins = sorted({int(o) for o in origins})
    if not origins:
        raise DataError("give at least one origin year")
    if horizon is None:
        horizon = horizon_of(tables)
    if origins[-1] >= horizon:
        raise DataError(f"origin {origins[-1]}: nothing is reported after it (last year {horizon})",
                        path="population.csv", column="year")
    runs = [prepare_origin(tables, params, o, horizon) for o in origins]
    return backtest_from_runs(runs, params, draws)


def horizon_of(tables: BacktestTables) -> int:
    """The last year with a reported population or births figure [year] (estimates do not count)."""
    years = []
    for f in (tables.population, tables.births, tables.city_population):
        if len(f):
            f = f[~f["provenance"].isin(NOT_REPORTED)] if "provenance" in f.columns else f
            if len(f):
                years.append(int(f["year"].max()))
    return max(years) if years else int(tables.population["year"].max())


def backtest_from_runs(runs: Sequence[OriginRun], params, draws: int = 500) -> BacktestResult:
    """:class:`BacktestResult` of prepared origins with the spread of ``params``."""
    compared = [compare_origin(r, params, draws) for r in runs]
    table = pd.concat([c[0] for c in compared], ignore_index=True)
    if table.empty:
        raise DataError(f"origins {[r.origin for r in runs]}: no reported figure after them to compare with",
                        path="population.csv", column="year")
    path = pd.concat([c[1] for c in compared], ignore_index=True)
    left = pd.concat([r.left_out for r in runs], ignore_index=True)
    setups = pd.DataFrame([{"origin": r.origin, "base_year": r.base_year, "zones": len(r.result.zone_ids),
                            "coverage": r.coverage} for r in runs])
    return BacktestResult(table=table, paths=path, left_out=left, origins=setups,
                          summary=summarise(table, left, setups))


def error_stats(table: pd.DataFrame) -> dict:
    """MAE, mean error, band coverage and mean band width of some rows.

    Returns
    -------
    dict
        ``n``, ``mae`` (mean |error|), ``mean_error``, ``coverage`` (share of
        reported figures inside [low, high]), ``mean_band_width`` (mean of
        (high − low) / 2 / projected, i.e. ± share) [shares].
    """
    if table.empty:
        return {"n": 0, "mae": None, "mean_error": None, "coverage": None, "mean_band_width": None}
    inside = (table.reported >= table.low) & (table.reported <= table.high)
    return {"n": int(len(table)), "mae": float(table.error.abs().mean()),
            "mean_error": float(table.error.mean()), "coverage": float(inside.mean()),
            "mean_band_width": float(((table.high - table.low) / 2 / table.projected).mean())}


def summarise(table: pd.DataFrame, left_out: pd.DataFrame, origins: pd.DataFrame) -> dict:
    """JSON-ready summary per origin and measure, and overall.

    Zone rows and city rows are kept apart (``population`` counts zones
    only; ``city_population`` is the city total), so the county MAE is the
    mean over counties.
    """
    t = table.assign(kind=np.where(table.measure == "births", "births",
                                   np.where(table.scope == "city", "city_population", "population")))
    per = {}
    for setup in origins.itertuples():
        origin = setup.origin
        g = t[t.origin == origin]
        per[str(int(origin))] = {
            "base_year": int(setup.base_year), "zones_projected": int(setup.zones),
            "coverage": float(setup.coverage),
            "measures": {k: error_stats(gk) for k, gk in g.groupby("kind")},
            "left_out": [{"zone_id": r.zone_id, "reason": r.reason}
                         for r in left_out[left_out.origin == origin].itertuples()],
        }
    ahead = t.assign(years_ahead=t.year - t.origin)
    by_h = {}
    for (kind, h), g in ahead.groupby(["kind", "years_ahead"]):
        s = error_stats(g)
        s["median_band_width"] = float(((g.high - g.low) / 2 / g.projected).median())
        by_h.setdefault(kind, {})[str(int(h))] = s
    return {"band": f"{BAND[0]:g}–{BAND[1]:g} quantiles of the draws (80 %)",
            "error": "projected / reported - 1", "origins": per,
            "all": error_stats(t), "by_years_ahead": by_h}


def summary_table(result: BacktestResult, base_year: int | None = None) -> pd.DataFrame:
    """The back-test in one small table, for a report or the README.

    Parameters
    ----------
    result : BacktestResult
    base_year : int, optional
        Keep only origins before this year (the projection's base year):
        what a planner could have known about the method's accuracy.

    Returns
    -------
    DataFrame
        ``origin, measure, n, mae, mean_error, coverage, mean_band_width``
        (measure: ``population`` per zone, ``city_population``, ``births``).
    """
    rows = []
    for origin, o in result.summary["origins"].items():
        if base_year is not None and int(origin) >= base_year:
            continue
        for measure, s in o["measures"].items():
            rows.append({"origin": int(origin), "measure": measure, **s})
    return pd.DataFrame(rows, columns=["origin", "measure", "n", "mae", "mean_error", "coverage",
                                       "mean_band_width"])


def backtest_summary_for(tables: BacktestTables, params, origins: Sequence[int] | None = None,
                         draws: int = 500) -> pd.DataFrame:
    """The back-test table to show next to a projection (for reports).

    Parameters
    ----------
    tables : BacktestTables
        E.g. ``BacktestTables.from_city(city)``.
    params : ProjectionParams
        The projection's parameters; its ``base_year`` bounds the origins.
    origins : sequence of int, optional
        Default: the three years before ``params.base_year``.
    draws : int

    Returns
    -------
    DataFrame
        :func:`summary_table` of the origins before the base year.
    """
    if origins is None:
        origins = [params.base_year - k for k in (3, 2, 1)]
    first = int(tables.population["year"].min())
    origins = [o for o in origins if first <= o < params.base_year]
    if not origins:
        return summary_table(BacktestResult(table=pd.DataFrame(columns=COLUMNS), paths=pd.DataFrame(),
                                            left_out=pd.DataFrame(), origins=pd.DataFrame(),
                                            summary={"origins": {}}))
    return summary_table(run_backtest(tables, params, origins, draws=draws), params.base_year)
