"""Calibrate the spread of the stochastic draws on back-test errors (pure).

Forecast-accuracy tables in pupil-place planning give a band from how far
past forecasts missed; here the band is the 10–90 % range of the
projection's stochastic draws, and its spread parameters are set so that
the draws cover the errors of a rolling-origin back-test
(:mod:`capacity.demography.backtest`): for each parameter, the smallest
value whose 80 % band holds at least ``target`` of the reported figures it
governs, found by bisection.

=====================  ==========================================
parameter              figures it is calibrated on
=====================  ==========================================
``tfr_sigma``          city births
``migration_sigma``    city year-end population (city-wide deviation;
                       calibrated with no zone deviations)
``migration_zone_factor`` zone year-end populations (each zone's own
                       deviation, as a multiple of ``migration_sigma``)
=====================  ==========================================

The persistences (``tfr_rho``, ``migration_rho``) are kept: a few years of
back-test errors cannot tell a persistence from a level. The projected
paths do not depend on these parameters, so the origins are projected once.
The coverage reached is in-sample (the same errors set and judge the band);
a band for a forward projection calibrated this way is an empirical
forecast-accuracy band, not a probability model.

References
----------
Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an
analysis and review. *International Journal of Forecasting* 16, 437–450.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import pandas as pd

from capacity.demography.backtest import OriginRun, compare_origin

TARGETS = (("tfr_sigma", "births", True), ("migration_sigma", "population", True),
           ("migration_zone_factor", "population", False))
"""(parameter, measure, city scope?) in the order they are calibrated."""


def coverage(rows: pd.DataFrame) -> float:
    """Share of reported figures inside [low, high] (NaN if no rows)."""
    if rows.empty:
        return float("nan")
    return float(((rows.reported >= rows.low) & (rows.reported <= rows.high)).mean())


def _rows(runs, params, draws, measure, city):
    t = pd.concat([compare_origin(r, params, draws)[0] for r in runs], ignore_index=True)
    t = t[t.measure == measure]
    return t[(t.scope == "city") == city]


def calibrate_spread(runs: Sequence[OriginRun], params, target: float = 0.8, draws: int = 500,
                     max_sigma: float = 0.5, max_factor: float = 20.0, tol: float = 1e-4) -> dict:
    """Smallest spreads whose 80 % bands cover ``target`` of the back-test figures.

    Parameters
    ----------
    runs : sequence of OriginRun
        Prepared origins (:func:`capacity.demography.backtest.prepare_origin`).
    params : ProjectionParams
        Starting parameters (seed, persistences).
    target : float
        Coverage wanted for each group of figures [share].
    draws : int
        Draws per evaluation.
    max_sigma : float
        Largest σ tried [log TFR or 1/year].
    max_factor : float
        Largest ``migration_zone_factor`` tried [ratio].
    tol : float
        Bisection tolerance [same units].

    Returns
    -------
    dict
        ``{parameter: {"value": σ, "coverage": share, "n": figures}}``; a
        parameter whose figures are not covered even at ``max_sigma`` gets
        its largest value and the coverage reached.
    """
    out = {}
    p = params
    p = dataclasses.replace(p, migration_zone_factor=0.0)
    for name, measure, city in TARGETS:
        top = max_sigma if name != "migration_zone_factor" else max_factor
        def cov(value):
            return coverage(_rows(runs, dataclasses.replace(p, **{name: value}), draws, measure, city))

        n = len(_rows(runs, p, draws, measure, city))
        if n == 0:
            continue
        lo, hi = 0.0, top
        if cov(lo) >= target:
            hi = lo
        elif cov(hi) < target:
            lo = hi
        while hi - lo > tol:
            mid = 0.5 * (lo + hi)
            if cov(mid) >= target:
                hi = mid
            else:
                lo = mid
        value = float(np.ceil(hi / tol) * tol) if hi > 0 else 0.0
        p = dataclasses.replace(p, **{name: value})
        out[name] = {"value": value, "coverage": cov(value), "n": n}
    return out
