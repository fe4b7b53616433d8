"""Parameters of a projection, as one frozen dataclass.

A scenario's ``[projection]`` table maps onto :class:`ProjectionParams`
by field name (see :mod:`capacity.config`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Mapping

VARIANTS = ("low", "medium", "high")


def _empty():
    return MappingProxyType({})


@dataclass(frozen=True)
class ProjectionParams:
    """Assumptions of a cohort-component projection.

    Attributes
    ----------
    base_year : int
        Year whose end-of-year population starts the projection [year];
        2023 by default, 2020 to start from the 7th census.
    horizon : int
        Last projected year [year].
    base_measure : str
        ``year_end`` or ``census``: which population figure of the base year
        to start from (zones without it fall back to the other measure,
        then to a later year scaled by the known zones' growth).
    variant : str
        ``low``, ``medium`` or ``high``: the trajectory reported as *the*
        population (all three are always computed for the bands).
    e0_male, e0_female : float
        Life expectancy at birth in the base year [years]. Assumption:
        Yunnan's 2020 e0 was about 74 years and China's about 78; Kunming,
        the provincial capital, is put at 76 (men) and 81.5 (women).
    e0_gain : float
        Yearly gain in life expectancy [years / year].
    srb : float
        Sex ratio at birth [boys per 100 girls]. Assumption; China's 2020
        census reported 111.3.
    fertility_mean_age, fertility_spread : float
        Hadwiger C [years] and H [dimensionless] of the fertility pattern.
    tfr : float or None
        City TFR after the last year with reported births [births / woman];
        None keeps the last calibrated value.
    tfr_zone_factor : mapping of str to float
        Relative fertility of a zone (1 = city level) [ratio]; zones not
        given get their census child–woman ratio relative to the city's
        where their age structure is known (see
        :func:`capacity.demography.fertility.zone_fertility_factors`).
    tfr_trend_damping : float
        ψ of the damped TFR trend after the last year with births [share /
        year]; 0 holds the last TFR. Default 0.5 (assumption: with a few
        annual points a slope is half noise; the trend reaches a long-run
        level of TFR·exp(b·ψ/(1 − ψ)) = TFR·exp(b)).
    tfr_trend_window : int
        Years of fitted TFR the trend's slope is taken from [years].
    tfr_variant_delta : float
        TFR difference of the low / high variants from medium [births /
        woman]; the UN World Population Prospects use 0.5, halved here for
        an already very low TFR (assumption).
    migration_rate : mapping of str to float
        Net migration rate of a zone after the calibration years [net
        migrants / population / year]; other zones use their calibrated
        reference rate.
    migration_window : int
        Years of pre-base growth used for a zone's reference migration
        rate [years].
    migration_decay_years : float
        τ: e-folding time over which a zone's net migration rate moves from
        its recent rate to ``migration_long_run_rate`` after the calibrated
        years; φ = exp(−1/τ) is also the yearly persistence with which past
        years are weighted in that recent rate [years]; 0 keeps rates
        constant and weights every past year alike. Default 1/ln 2 ≈ 1.44:
        a deviation halves every year (assumption, chosen on the rolling
        back-test of Kunming, origins 2020–2022; see ``data/kunming/SOURCES.md``
        and ``capacity backtest``).
    migration_long_run_rate : float
        ρ_∞, the rate all zones tend to [1/year]. Default 0 (assumption: net
        migration is not extrapolated beyond a few years).
    migration_prior_rate : float
        Starting rate of a zone with no population history before the base
        year or in the calibrated years [1/year]. Default 0 (assumption:
        published series exist mostly for the zones that grow, so the mean of
        the others is no neutral prior).
    migration_prior_weight : float
        κ: weight of the city mean when a zone's rate is shrunk toward it,
        in the units of the recency weights (one recent year = 1) [years].
    migration_variant_delta : float
        Net migration rate difference of the low / high variants [1/year].
    variant_ramp_years : int
        Years over which the variants reach their full difference [years].
    migrant_male_share : float
        Men among net migrants [share].
    cohort_anchor_levels : tuple of str
        Levels whose reported intake (``enrolment.csv``) sets a single-year
        cohort of the base population: those where schooling is universal, so
        the intake is a whole cohort (assumption: compulsory primary and
        junior middle school).
    pupil_anchor_levels : tuple of str
        Levels whose latest reported pupils (``enrolment.csv``) set the total
        of their age band in the base population (assumption: gross
        enrolment ≈ 100 %; Kunming's kindergartens 99.98 % in 2022). Empty
        by default: in Kunming the 2022 kindergarten pupils (307,571 for
        three cohorts), the intakes and the 2023 bulletin's 0–15 total
        disagree by about 6 %, and as hard totals together they push the
        unanchored ages 9–10 down to about 67,000; ``("kindergarten",)``
        turns it on.
    calibrate : bool
        Fit fertility and migration to the reported births and zone totals.
    draws : int
        Stochastic trajectories (0 for none).
    seed : int
        Seed of the stochastic draws.
    tfr_sigma, tfr_rho : float
        Yearly innovation s.d. [log TFR] and AR(1) persistence of the TFR
        deviations of the draws. The spread defaults (``tfr_sigma`` 0.14,
        ``migration_sigma`` 0.0035, ``migration_zone_factor`` 2.5) are
        calibrated on back-test errors (Kunming, origins 2020–2022, by
        :func:`capacity.demography.spread.calibrate_spread`: 0.118, 0.0033,
        2.50 for 80 % coverage, rounded up; ``tfr_sigma`` raised to 0.14, the
        smallest value whose band holds all nine back-test birth figures,
        because nine figures are too few to tell 80 % from 89 %).
        ``capacity backtest --calibrate-spread`` gives the values for another
        data folder, to be set in its scenario.
    migration_sigma, migration_rho : float
        Yearly innovation s.d. [1/year] and AR(1) persistence of the city-wide
        net migration rate deviation.
    migration_zone_factor : float
        Yearly innovation s.d. of each zone's own deviation (same AR(1)
        persistence), as a multiple of ``migration_sigma`` [ratio]. When
        neither is given both take their calibrated defaults (0.0035, 2.5);
        when only ``migration_sigma`` is given the factor is 0.5, its
        meaning before the zone factor existed (scenarios keep their draws).
    quantiles : tuple of float
        Quantiles of the draws to report [share].
    chunk_draws : int
        Draws projected at once (memory bound).
    """

    base_year: int = 2023
    horizon: int = 2040
    base_measure: Literal["year_end", "census"] = "year_end"
    variant: Literal["low", "medium", "high"] = "medium"
    e0_male: float = 76.0
    e0_female: float = 81.5
    e0_gain: float = 0.15
    srb: float = 110.0
    fertility_mean_age: float = 30.0
    fertility_spread: float = 3.8
    tfr: float | None = None
    tfr_zone_factor: Mapping[str, float] = field(default_factory=_empty)
    tfr_trend_damping: float = 0.5
    tfr_trend_window: int = 5
    tfr_variant_delta: float = 0.25
    migration_rate: Mapping[str, float] = field(default_factory=_empty)
    migration_window: int = 3
    migration_decay_years: float = 1.4426950408889634
    migration_long_run_rate: float = 0.0
    migration_prior_rate: float = 0.0
    migration_prior_weight: float = 1.0
    migration_variant_delta: float = 0.005
    variant_ramp_years: int = 5
    migrant_male_share: float = 0.5
    cohort_anchor_levels: tuple[str, ...] = ("primary", "middle")
    pupil_anchor_levels: tuple[str, ...] = ()
    calibrate: bool = True
    draws: int = 0
    seed: int = 0
    tfr_sigma: float = 0.14
    tfr_rho: float = 0.9
    migration_sigma: float | None = None
    migration_rho: float = 0.7
    migration_zone_factor: float | None = None
    quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)
    chunk_draws: int = 250

    def __post_init__(self):
        if self.horizon <= self.base_year:
            raise ValueError(f"horizon: must be after base_year {self.base_year}, got {self.horizon}")
        if self.variant not in VARIANTS:
            raise ValueError(f"variant: expected one of {VARIANTS}, got {self.variant!r}")
        if self.base_measure not in ("year_end", "census"):
            raise ValueError(f"base_measure: expected 'year_end' or 'census', got {self.base_measure!r}")
        for name in ("e0_male", "e0_female"):
            if not 20 < getattr(self, name) < 100:
                raise ValueError(f"{name}: life expectancy must be between 20 and 100 years")
        if self.srb <= 0:
            raise ValueError("srb: must be positive (boys per 100 girls)")
        if self.tfr is not None and self.tfr < 0:
            raise ValueError("tfr: must be ≥ 0")
        if any(v < 0 for v in self.tfr_zone_factor.values()):
            raise ValueError("tfr_zone_factor: factors must be ≥ 0")
        if self.draws < 0 or self.chunk_draws < 1:
            raise ValueError("draws: must be ≥ 0 (and chunk_draws ≥ 1)")
        if not 0 <= self.migrant_male_share <= 1:
            raise ValueError("migrant_male_share: must be between 0 and 1")
        if any(not 0 < q < 1 for q in self.quantiles):
            raise ValueError("quantiles: each must be strictly between 0 and 1")
        if self.migration_zone_factor is None:
            object.__setattr__(self, "migration_zone_factor", 2.5 if self.migration_sigma is None else 0.5)
        if self.migration_sigma is None:
            object.__setattr__(self, "migration_sigma", 0.0035)
        if self.migration_sigma < 0 or self.migration_zone_factor < 0 or self.tfr_sigma < 0:
            raise ValueError("migration_sigma: the spreads (tfr_sigma, migration_sigma, migration_zone_factor) "
                             "must be ≥ 0")
        if not 0 <= self.tfr_trend_damping < 1:
            raise ValueError("tfr_trend_damping: must be in [0, 1)")
        if self.tfr_trend_window < 1 or self.migration_prior_weight < 0:
            raise ValueError("tfr_trend_window: must be ≥ 1 (and migration_prior_weight ≥ 0)")
        if self.migration_decay_years < 0:
            raise ValueError("migration_decay_years: must be ≥ 0")
        if self.migration_window < 0 or self.variant_ramp_years < 0:
            raise ValueError("migration_window: must be ≥ 0 (and variant_ramp_years ≥ 0)")
        object.__setattr__(self, "tfr_zone_factor", MappingProxyType(dict(self.tfr_zone_factor)))
        object.__setattr__(self, "migration_rate", MappingProxyType(dict(self.migration_rate)))

    @property
    def years(self) -> list[int]:
        """Projected years, base_year + 1 .. horizon."""
        return list(range(self.base_year + 1, self.horizon + 1))
