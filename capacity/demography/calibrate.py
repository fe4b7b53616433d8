"""Fit fertility and migration to reported births and zone totals.

Both fits are exact and in closed form, year by year, because in the
cohort step (:mod:`capacity.demography.cohort`) births are linear in the
TFR and migration is added after survival:

* **Fertility.** With zone factors r_z and the Hadwiger pattern φ, city
  births are B_t = k_t · Σ_z r_z Σ_x φ(x)·E_z(x), where E are the women-years
  of the year. Given reported births, k_t = B_t / Σ_z r_z Σ_x φ·E_z, and zone
  TFRs are k_t·r_z.
* **Migration.** A zone with a reported year-end total N_z,t gets net
  migration N_z,t − (survivors + surviving births). A zone without one
  gets its *reference rate* × its start population; when the city total
  is reported that year, those zones' rates move by one common amount so
  the city total is met too.

The reference rate of a zone combines its pre-base growth (annualised
growth over ``migration_window`` years minus the natural increase the
model gives it in the first year) with the rates fitted after the base
year, recent years weighted most (:func:`recency_weighted_rate`). The fit is reported as tables of reported vs
projected values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capacity.demography import cohort


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    years : tuple of int
        Projected years that were calibrated (base+1 .. last observation).
    tfr : ndarray, shape (Z, len(years))
        Fitted TFR per zone and year [births / woman].
    migration : ndarray, shape (Z, len(years))
        Net migration per zone and year [persons].
    city_tfr_base : float
        City TFR implied by the base year's reported births (NaN if none).
    city_tfr_last : float
        City TFR of the last calibrated (or implied) year [births / woman].
    reference_rate : ndarray, shape (Z,)
        Net migration rate to carry forward [1/year] (recency-weighted
        history, see :func:`recency_weighted_rate`).
    history_weight : ndarray, shape (Z,)
        Total weight of the history behind ``reference_rate`` (0: none)
        [years, discounted].
    city_tfr : dict of int to float
        City TFR (as a multiple of the zone factors) of each year with
        reported births, base year included [births / woman].
    births_fit : DataFrame
        ``year, kind, reported, projected, rel_error``.
    totals_fit : DataFrame
        ``zone_id, year, reported, projected, rel_error``.
    """

    years: tuple
    tfr: np.ndarray
    migration: np.ndarray
    city_tfr_base: float
    city_tfr_last: float
    reference_rate: np.ndarray
    history_weight: np.ndarray
    city_tfr: dict
    births_fit: pd.DataFrame
    totals_fit: pd.DataFrame


def pre_base_growth(population, zone_ids, base_year, base_totals, window):
    """Annualised growth of each zone over up to ``window`` years before the base.

    Parameters
    ----------
    population : DataFrame
        ``zone_id, year, measure, persons``.
    zone_ids : sequence of str
    base_year : int
    base_totals : ndarray, shape (Z,)
        Base population [persons].
    window : int
        Look-back [years].

    Returns
    -------
    growth : ndarray, shape (Z,)
        Growth rate [1/year], NaN where no earlier figure exists.
    years : ndarray, shape (Z,)
        Years the rate spans (0 where none).
    """
    pop = population.assign(zone_id=population.zone_id.astype(str))
    pop = pop[(pop.year >= base_year - window) & (pop.year < base_year)]
    growth, span = np.full(len(zone_ids), np.nan), np.zeros(len(zone_ids))
    for i, z in enumerate(zone_ids):
        sel = pop[pop.zone_id == z].sort_values(["year", "measure"], ascending=[True, False])
        if sel.empty:
            continue
        y0, p0 = int(sel.year.iloc[0]), float(sel.persons.iloc[0])
        span[i] = base_year - y0
        growth[i] = (base_totals[i] / p0) ** (1.0 / span[i]) - 1.0
    return growth, span


def recency_weighted_rate(pre_rate, pre_years, fitted, persistence):
    """A zone's net migration rate from its history, recent years first.

    The rate of the year *j* years before the last calibrated year gets the
    weight φʲ (exponential smoothing, Brown 1959): with φ = 0.5 last year
    counts as much as all earlier years together. The pre-base growth rate
    stands for each of the ``pre_years`` years it spans.

    Parameters
    ----------
    pre_rate : ndarray, shape (Z,)
        Pre-base net migration rate, NaN where unknown [1/year].
    pre_years : ndarray, shape (Z,)
        Years that rate spans [years].
    fitted : ndarray, shape (Z, N)
        Rates fitted in the N calibrated years, NaN where not fitted [1/year].
    persistence : float
        φ in (0, 1] [share / year].

    Returns
    -------
    rate : ndarray, shape (Z,)
        Weighted mean rate, 0 where there is no history [1/year].
    weight : ndarray, shape (Z,)
        Sum of the weights (0: no history) [years, discounted].

    References
    ----------
    Brown, R. G. (1959). *Statistical Forecasting for Inventory Control*.
    McGraw-Hill.
    """
    phi = float(persistence)
    Z, N = fitted.shape
    ages_post = np.arange(N)[::-1]                          # last calibrated year: age 0
    w_post = np.where(np.isnan(fitted), 0.0, phi ** ages_post[None, :])
    span = np.where(np.isnan(pre_rate), 0, np.asarray(pre_years, dtype=int))
    w_pre = np.array([sum(phi ** (N + j) for j in range(int(s))) for s in span])
    num = (w_post * np.nan_to_num(fitted)).sum(axis=1) + w_pre * np.nan_to_num(pre_rate)
    den = w_post.sum(axis=1) + w_pre
    rate = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return rate, den


def _city_exposure(P, Q, schedule, factor):
    return (factor * (cohort.female_exposure(P, Q) * schedule).sum(axis=-1)).sum()


def calibrate(P0, zone_ids, base_year, rates_of_year, observed_births, observed_totals,
              zone_factor, growth, growth_years, default_tfr, city_totals=None, city_zones=None,
              persistence=1.0):
    """Fit city TFR and zone migration year by year.

    Parameters
    ----------
    P0 : ndarray, shape (Z, 2, A)
        Base population [persons].
    zone_ids : sequence of str
    base_year : int
    rates_of_year : callable
        ``t_index -> (survival (2, A), birth_survival (2,), schedule (A,),
        female_share, profile (2, A))`` for projected year index t.
    observed_births : mapping of int to float
        Reported city births per year [persons].
    observed_totals : DataFrame
        ``zone_id, year, persons``: reported year-end totals.
    zone_factor : ndarray, shape (Z,)
        Relative fertility per zone.
    growth, growth_years : ndarray, shape (Z,)
        Pre-base growth and its span (see :func:`pre_base_growth`).
    default_tfr : float
        City TFR when no births are reported [births / woman].
    city_totals : mapping of int to float, optional
        Reported city year-end totals [persons]. In such a year, the zones
        of ``city_zones`` without a reported total share the city residual:
        their rates are shifted by one common amount.
    city_zones : sequence of str, optional
        Zones that make up the city total (default: all).
    persistence : float
        φ of :func:`recency_weighted_rate` (1: every year of history counts
        the same) [share / year].

    Returns
    -------
    Calibration
    """
    Z = len(zone_ids)
    zindex = {z: i for i, z in enumerate(zone_ids)}
    obs = observed_totals.assign(zone_id=observed_totals.zone_id.astype(str))
    obs = obs[obs.zone_id.isin(zindex) & (obs.year > base_year)]
    city_totals = {int(y): float(v) for y, v in (city_totals or {}).items() if y > base_year}
    in_city = np.isin(np.array(zone_ids), list(city_zones if city_zones is not None else zone_ids))
    last = max([y for y in observed_births if y > base_year] + list(obs.year.astype(int))
               + list(city_totals) + [base_year])
    years = tuple(range(base_year + 1, last + 1))

    survival, bsurv, schedule, fshare, profile = rates_of_year(0)
    births_rows = []
    k = float(default_tfr)
    k_base = np.nan
    k_of = {}
    if base_year in observed_births:
        exposure = (zone_factor * (P0[:, 1, :] * schedule).sum(axis=-1)).sum()
        k_base = observed_births[base_year] / exposure
        k = k_base
        k_of[base_year] = k
        births_rows.append({"year": base_year, "kind": "base year (implied by base women)",
                            "reported": observed_births[base_year],
                            "projected": k * exposure})
    # natural increase of the first year, no migration, for the pre-base rates
    Q, _ = cohort.age_and_survive(P0, survival)
    b = k * zone_factor * (cohort.female_exposure(P0, Q) * schedule).sum(axis=-1)
    cohort.add_newborns(Q, b, fshare, bsurv)
    natural = Q.sum(axis=(-2, -1)) / P0.sum(axis=(-2, -1)) - 1.0
    pre_rate = np.where(np.isnan(growth), np.nan, growth - natural)
    carry = np.nan_to_num(pre_rate)

    tfr = np.zeros((Z, len(years)))
    mig = np.zeros((Z, len(years)))
    fitted = np.full((Z, len(years)), np.nan)
    totals_rows = []
    P = P0.copy()
    for t, year in enumerate(years):
        survival, bsurv, schedule, fshare, profile = rates_of_year(t)
        Q, _ = cohort.age_and_survive(P, survival)
        if year in observed_births:
            k = observed_births[year] / _city_exposure(P, Q, schedule, zone_factor)
            k_of[year] = k
        tfr[:, t] = k * zone_factor
        births = (tfr[:, t] * (cohort.female_exposure(P, Q) * schedule).sum(axis=-1))
        if year in observed_births:
            births_rows.append({"year": year, "kind": "projected", "reported": observed_births[year],
                                "projected": births.sum()})
        cohort.add_newborns(Q, births, fshare, bsurv)
        start = P.sum(axis=(-2, -1))
        before = Q.sum(axis=(-2, -1))
        net = carry * start
        here = obs[obs.year == year]
        idx = np.array([zindex[z] for z in here.zone_id], dtype=int)
        if idx.size:
            net[idx] = here.persons.to_numpy(float) - before[idx]
            fitted[idx, t] = net[idx] / start[idx]
        if year in city_totals:
            free = in_city.copy()
            free[idx] = False
            if free.any():
                residual = city_totals[year] - (before + net)[in_city & ~free].sum() - before[free].sum()
                delta = (residual - (carry * start)[free].sum()) / start[free].sum()
                net[free] = (carry[free] + delta) * start[free]
                fitted[free, t] = net[free] / start[free]
        P, net_applied = cohort.apply_net_migration(Q, net, profile)
        mig[:, t] = net_applied
        end = P.sum(axis=(-2, -1))
        for i, reported in zip(idx, here.persons.to_numpy(float)):
            totals_rows.append({"zone_id": zone_ids[i], "year": year, "reported": reported,
                                "projected": end[i]})
        if year in city_totals:
            totals_rows.append({"zone_id": "city", "year": year, "reported": city_totals[year],
                                "projected": end[in_city].sum()})

    reference, weight = recency_weighted_rate(pre_rate, growth_years, fitted, persistence)
    city_tfr = {int(y): float(v) for y, v in sorted(k_of.items())}

    def fit_frame(rows, keys):
        f = pd.DataFrame(rows, columns=keys + ["reported", "projected"])
        f["rel_error"] = f.projected / f.reported - 1.0
        return f

    return Calibration(
        years=years, tfr=tfr, migration=mig, city_tfr_base=float(k_base),
        city_tfr_last=float(k), reference_rate=reference, history_weight=weight, city_tfr=city_tfr,
        births_fit=fit_frame(births_rows, ["year", "kind"]),
        totals_fit=fit_frame(totals_rows, ["zone_id", "year"]))
