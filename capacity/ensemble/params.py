"""Parameters of a demographic ensemble, as one frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass

ROBUST_MODES = ("expected", "worst")
ROBUST_FITS = ("best", "stacked")
FAN_YEARS = ("all", "evaluation")

DEFAULT_GAP = 0.02
"""Relative MIP gap of every solve of an ensemble unless ``mip_gap`` says otherwise [share]."""

SOLVE_SECONDS_BUDGET = 720.0
"""Worst-case seconds of solver time one draw's re-optimisations may take, summed over all
draws and levels, before the per-solve limit is scaled down (see :func:`default_time_limit`) [s]."""


def default_time_limit(draws: int, levels: int) -> float:
    """The per-solve time limit of an ensemble of ``draws`` draws over ``levels`` levels [s].

    ``SOLVE_SECONDS_BUDGET / (draws · levels)``, between 10 s and 300 s: 30 s
    for 6 draws of the four Kunming levels, 15 s for 12, 10 s from 18 on;
    120 s for 6 draws of one level. Every re-optimisation starts from the
    scenario's plan, so one that stops on its limit still ends no worse.
    """
    return float(min(300.0, max(10.0, SOLVE_SECONDS_BUDGET / max(1, draws * levels))))


@dataclass(frozen=True)
class EnsembleParams:
    """How many draws, which seed, and how the plans are solved.

    Attributes
    ----------
    draws : int
        Demographic draws N (fertility and migration paths) [draws].
    seed : int
        Seed of the ensemble; draw *i* uses child *i* of
        ``numpy.random.SeedSequence(seed)`` (see :mod:`capacity.demography.draws`).
    fit_draws : int
        K: the robust plan is fitted on draws 0..K−1 and judged on the
        others (0: no robust plan). Must be < ``draws`` when > 0.
    robust : str
        ``expected`` (minimise the mean over the K draws of unserved pupils
        and distance, plus cost) or ``worst`` (minimise the largest draw's
        unserved pupils and distance, plus cost).
    robust_fit : str
        ``best`` (default): the robust plan is the best, by ``robust``, of the
        evaluated plans — the scenario's own and the re-optimised plans of
        draws 0..K−1 — on draws 0..K−1 (assignment LPs, no extra MILP);
        ``stacked``: one two-stage MILP over the K stacked draws
        (:mod:`capacity.ensemble.robust`), started from the scenario's plan,
        with K times the per-solve limit (much slower on a city's scale).
    time_limit_s : float or None
        Wall-clock limit of each solve in the ensemble [s]; None:
        :func:`default_time_limit` of the draws and the scenario's levels.
    mip_gap : float or None
        Relative gap of each solve [share]; None: :data:`DEFAULT_GAP` (2 %).
    fan_years : str
        ``all``: plans are evaluated in every year from the first to the last
        evaluation year (the fan chart's x axis); ``evaluation``: only in the
        scenario's evaluation years. Objectives and regrets always use the
        scenario's evaluation years and weights.
    quantiles : tuple of float
        Quantiles of the fan chart and of ``unserved_quantiles.csv`` [share].
    """

    draws: int = 20
    seed: int = 0
    fit_draws: int = 5
    robust: str = "expected"
    robust_fit: str = "best"
    time_limit_s: float | None = None
    mip_gap: float | None = None
    fan_years: str = "all"
    quantiles: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)

    def __post_init__(self):
        if self.draws < 1:
            raise ValueError(f"draws: need at least one draw, got {self.draws}")
        if self.fit_draws < 0 or (self.fit_draws and self.fit_draws >= self.draws):
            raise ValueError(f"fit_draws: must be 0 or fewer than draws ({self.draws}) so that some "
                             f"draws are held out, got {self.fit_draws}")
        if self.robust not in ROBUST_MODES:
            raise ValueError(f"robust: {self.robust!r} is not one of {list(ROBUST_MODES)}")
        if self.robust_fit not in ROBUST_FITS:
            raise ValueError(f"robust_fit: {self.robust_fit!r} is not one of {list(ROBUST_FITS)}")
        if self.time_limit_s is not None and self.time_limit_s <= 0:
            raise ValueError("time_limit_s: must be > 0")
        if self.mip_gap is not None and not 0 <= self.mip_gap < 1:
            raise ValueError("mip_gap: must be in [0, 1)")
        if self.fan_years not in FAN_YEARS:
            raise ValueError(f"fan_years: {self.fan_years!r} is not one of {list(FAN_YEARS)}")
        if any(not 0 < q < 1 for q in self.quantiles):
            raise ValueError("quantiles: each must be strictly between 0 and 1")

    @property
    def held_out(self) -> list[int]:
        """Draws the robust plan was not fitted on."""
        return list(range(self.fit_draws, self.draws))
