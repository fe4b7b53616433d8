"""Parameters of a demographic ensemble, as one frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass

ROBUST_MODES = ("expected", "worst")
FAN_YEARS = ("all", "evaluation")


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
        unserved pupils and distance, plus cost; an epigraph variable).
    time_limit_s : float or None
        Wall-clock limit of each solve in the ensemble [s]; None keeps the
        scenario's ``solver.time_limit_s``.
    mip_gap : float or None
        Relative gap of each solve [share]; None keeps the scenario's.
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
