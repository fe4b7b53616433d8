"""Fertility and migration paths: deterministic variants and stochastic draws.

Calibrated years are the same in every path. After the last calibrated
year ``t_c``:

* medium: city TFR on a damped trend fitted to the fitted TFRs (or a given
  ``tfr``), times the zone factor (:func:`medium_future`); a zone's net
  migration rate is its recency-weighted history shrunk toward the city
  mean, decaying toward the long-run rate (:func:`migration_rates`);
* low / high: TFR ∓ ``tfr_variant_delta`` and migration rate ∓
  ``migration_variant_delta``, ramped in linearly over
  ``variant_ramp_years`` (as the UN World Population Prospects variants);
* stochastic draws: log TFR gets a city-wide AR(1) deviation
  e_t = ρ·e_{t−1} + σ·ε_t, and migration a city-wide AR(1) deviation plus a
  zone AR(1) deviation (s.d. ``migration_zone_factor`` × the city's), all from ``numpy.random.Generator`` seeded by ``seed``. The
  spreads are meant to be calibrated on back-test errors
  (:func:`capacity.demography.spread.calibrate_spread`).
"""

from __future__ import annotations

import numpy as np

VARIANT_SIGN = {"low": -1.0, "medium": 0.0, "high": 1.0}


def tfr_trend(city_tfr, window):
    """Slope of log city TFR over the last ``window`` years with reported births.

    Parameters
    ----------
    city_tfr : mapping of int to float
        City TFR per year [births / woman].
    window : int
        Years looked back from the last one [years].

    Returns
    -------
    float
        Least-squares slope of log TFR on year [1/year]; 0 with fewer than
        two positive points.
    """
    pts = sorted((y, v) for y, v in city_tfr.items() if v > 0)
    if not pts:
        return 0.0
    last = pts[-1][0]
    pts = [(y, v) for y, v in pts if y > last - window]
    if len(pts) < 2:
        return 0.0
    x = np.array([p[0] for p in pts], float)
    y = np.log([p[1] for p in pts])
    return float(np.polyfit(x - x.mean(), y, 1)[0])


def damped_sum(damping, since):
    """Σ_{j=1..h} ψʲ for h = ``since`` (0 where h ≤ 0): a damped trend's reach."""
    h = np.maximum(np.asarray(since, dtype=float), 0.0)
    psi = float(damping)
    if psi >= 1.0:
        return h
    return psi * (1.0 - psi ** h) / (1.0 - psi)


def migration_rates(cal, zone_ids, since, params, start_population):
    """Net migration rate of each zone after the calibrated years.

    ρ_z(h) = ρ_∞ + (ρ̃_z − ρ_∞)·φʰ, h years after the last calibrated year,
    φ = exp(−1/τ) (τ = ``migration_decay_years``; τ = 0 keeps ρ̃_z), where
    ρ̃_z = (W_z·ρ_z + κ·ρ̄)/(W_z + κ) is the zone's recency-weighted rate ρ_z
    (weight W_z, see :func:`~capacity.demography.calibrate.recency_weighted_rate`)
    shrunk toward the population-weighted mean ρ̄ of the zones with a history
    with a prior weight κ (``migration_prior_weight``), and a zone without
    history starts at ``migration_prior_rate``. ρ_∞ is
    ``migration_long_run_rate``. Zones with an explicit ``migration_rate``
    keep it.

    Returns
    -------
    ndarray, shape (Z, T)
        [1/year]
    """
    ref = np.asarray(cal.reference_rate, float)
    weight = np.asarray(getattr(cal, "history_weight", np.ones_like(ref)), float)
    has = weight > 0
    w = np.where(has, start_population, 0.0)
    mean = float((w * ref).sum() / w.sum()) if w.sum() > 0 else 0.0
    kappa = params.migration_prior_weight
    shrunk = np.where(has, (weight * ref + kappa * mean) / np.where(has, weight + kappa, 1.0),
                      params.migration_prior_rate)
    tau = params.migration_decay_years
    decay = np.exp(-np.maximum(since, 0) / tau) if tau > 0 else np.ones(len(since))
    long_run = params.migration_long_run_rate
    rate = long_run + (shrunk[:, None] - long_run) * decay[None, :]
    for i, z in enumerate(zone_ids):
        if z in params.migration_rate:
            rate[i, :] = params.migration_rate[z]
    return rate


def medium_future(cal, zone_ids, years, params, zone_factor, start_population):
    """Medium TFR and migration rate for every projected year.

    The city TFR after the last year with reported births follows a damped
    trend (Gardner & McKenzie 1985): log TFR(h) = log TFR₀ + b·Σ_{j≤h} ψʲ,
    where b is the least-squares slope of log TFR over the last
    ``tfr_trend_window`` years with births, ψ = ``tfr_trend_damping``; it
    levels off at TFR₀·exp(b·ψ/(1 − ψ)), its long-run level. A given ``tfr``
    replaces the path. Migration: :func:`migration_rates`.

    Returns
    -------
    tfr : ndarray, shape (Z, T)
        [births / woman]
    rate : ndarray, shape (Z, T)
        Net migration rate [1/year] (used after the calibrated years).
    since : ndarray, shape (T,)
        Years since the last calibrated year (≤ 0 inside it).

    References
    ----------
    Gardner, E. S. & McKenzie, E. (1985). Forecasting trends in time series.
    *Management Science* 31(10), 1237–1246.
    """
    T = len(years)
    last_cal = cal.years[-1] if cal.years else years[0] - 1
    since = np.array(years) - last_cal
    if params.tfr is not None:
        city_tfr = np.full(T, float(params.tfr))
    else:
        series = dict(getattr(cal, "city_tfr", {}) or {})
        last_birth_year = max(series) if series else last_cal
        b = tfr_trend(series, params.tfr_trend_window)
        h = np.array(years) - last_birth_year
        city_tfr = cal.city_tfr_last * np.exp(b * damped_sum(params.tfr_trend_damping, h))
    tfr = city_tfr[None, :] * zone_factor[:, None]
    n = len(cal.years)
    tfr[:, :n] = cal.tfr
    rate = migration_rates(cal, zone_ids, since, params, start_population)
    return tfr, rate, since


def _ramp(since, years):
    if years <= 0:
        return (since > 0).astype(float)
    return np.clip(since / years, 0.0, 1.0)


def variant_paths(cal, tfr, rate, since, params, variants=("low", "medium", "high")):
    """TFR and migration arrays for the deterministic variants.

    Returns
    -------
    tfr_v : ndarray, shape (V, Z, T)
    migration_v : ndarray, shape (V, Z, T)
        Persons in calibrated years, rates after.
    is_rate : ndarray of bool, shape (T,)
    """
    n = len(cal.years)
    ramp = _ramp(since, params.variant_ramp_years)
    sign = np.array([VARIANT_SIGN[v] for v in variants])[:, None, None]
    tfr_v = np.maximum(tfr[None] + sign * params.tfr_variant_delta * ramp, 0.0)
    mig_v = rate[None] + sign * params.migration_variant_delta * ramp
    mig_v[:, :, :n] = cal.migration
    is_rate = np.arange(tfr.shape[1]) >= n
    return tfr_v, mig_v, is_rate


def _ar1(rng, draws, T, shape_extra, sigma, rho, active):
    out = np.zeros((draws,) + shape_extra + (T,))
    e = np.zeros((draws,) + shape_extra)
    for t in range(T):
        if active[t]:
            e = rho * e + sigma * rng.standard_normal(e.shape)
            out[..., t] = e
    return out


def stochastic_paths(cal, tfr, rate, params, draws, rng):
    """TFR and migration arrays for ``draws`` random trajectories.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (same seed, same draws).

    Returns
    -------
    tfr_d : ndarray, shape (D, Z, T)
    migration_d : ndarray, shape (D, Z, T)
    is_rate : ndarray of bool, shape (T,)
    """
    Z, T = tfr.shape
    n = len(cal.years)
    active = np.arange(T) >= n
    e_tfr = _ar1(rng, draws, T, (), params.tfr_sigma, params.tfr_rho, active)
    e_city = _ar1(rng, draws, T, (), params.migration_sigma, params.migration_rho, active)
    zone_sigma = params.migration_sigma * params.migration_zone_factor
    e_zone = _ar1(rng, draws, T, (Z,), zone_sigma, params.migration_rho, active)
    tfr_d = tfr[None] * np.exp(e_tfr[:, None, :])
    mig_d = rate[None] + e_city[:, None, :] + e_zone
    mig_d[:, :, :n] = cal.migration
    return tfr_d, mig_d, active
