"""Fertility and migration paths: deterministic variants and stochastic draws.

Calibrated years are the same in every path. After the last calibrated
year ``t_c``:

* medium: city TFR held at its last fitted value (or ``tfr``), times the zone
  factor; a zone's net migration rate decays from its reference rate ρ_z to
  the long-run rate ρ_∞ (the population-weighted mean of the ρ_z) as
  ρ_∞ + (ρ_z − ρ_∞)·exp(−(t − t_c)/τ) (τ = ``migration_decay_years``; zones
  with an explicit ``migration_rate`` keep it);
* low / high: TFR ∓ ``tfr_variant_delta`` and migration rate ∓
  ``migration_variant_delta``, ramped in linearly over
  ``variant_ramp_years`` (as the UN World Population Prospects variants);
* stochastic draws: log TFR gets a city-wide AR(1) deviation
  e_t = ρ·e_{t−1} + σ·ε_t, and migration a city-wide AR(1) deviation plus a
  zone AR(1) deviation with half its s.d., all from ``numpy.random.Generator``
  seeded by ``seed``.
"""

from __future__ import annotations

import numpy as np

VARIANT_SIGN = {"low": -1.0, "medium": 0.0, "high": 1.0}


def medium_future(cal, zone_ids, years, params, zone_factor, start_population):
    """Medium TFR and migration rate for every projected year.

    Returns
    -------
    tfr : ndarray, shape (Z, T)
        [births / woman]
    rate : ndarray, shape (Z, T)
        Net migration rate [1/year] (used after the calibrated years).
    since : ndarray, shape (T,)
        Years since the last calibrated year (≤ 0 inside it).
    """
    T = len(years)
    last_cal = cal.years[-1] if cal.years else years[0] - 1
    since = np.array(years) - last_cal
    city_tfr = params.tfr if params.tfr is not None else cal.city_tfr_last
    tfr = np.repeat((city_tfr * zone_factor)[:, None], T, axis=1)
    n = len(cal.years)
    tfr[:, :n] = cal.tfr
    ref = cal.reference_rate
    w = start_population / start_population.sum()
    long_run = float((w * ref).sum())
    tau = params.migration_decay_years
    decay = np.exp(-np.maximum(since, 0) / tau) if tau > 0 else np.ones(T)
    rate = long_run + (ref[:, None] - long_run) * decay[None, :]
    for i, z in enumerate(zone_ids):
        if z in params.migration_rate:
            rate[i, :] = params.migration_rate[z]
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
    e_zone = _ar1(rng, draws, T, (Z,), params.migration_sigma / 2, params.migration_rho, active)
    tfr_d = tfr[None] * np.exp(e_tfr[:, None, :])
    mig_d = rate[None] + e_city[:, None, :] + e_zone
    mig_d[:, :, :n] = cal.migration
    return tfr_d, mig_d, active
