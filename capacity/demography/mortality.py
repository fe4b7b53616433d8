"""Mortality: a model life table set by life expectancy.

The standard schedule is the Siler (1979) competing-risk hazard, a
three-component parametric model (infant, constant, senescent), and the
level is set by the Brass (1971) relational logit model: the logit of
survivorship is a linear function of the standard's logit, with the
intercept ``alpha`` solved so that the table has the requested life
expectancy at birth.

References
----------
Siler, W. (1979). A competing-risk model for animal mortality. *Ecology*
60(4), 750–757.

Brass, W. (1971). On the scale of mortality. In W. Brass (ed.), *Biological
Aspects of Demography*, 69–110. London: Taylor & Francis.

Preston, S. H., Heuveline, P. & Guillot, M. (2001). *Demography: Measuring
and Modeling Population Processes*, ch. 3 (life table) and ch. 6
(projection, open age interval). Oxford: Blackwell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

OPEN_AGE = 100
"""Last age of the projection; it is the open interval 100+ [years]."""

SILER_STANDARD = {"a1": 0.02, "b1": 6.0, "a2": 2.0e-4, "a3": 2.0e-5, "b3": 0.098}
"""Siler parameters of the standard schedule (a1 [1/yr], b1 [1/yr], a2
[1/yr], a3 [1/yr], b3 [1/yr]): an assumption chosen to give a modern
low-mortality shape (infant mortality ≈ 3‰, e0 ≈ 80 years); its level is
reset by the Brass ``alpha`` for each life expectancy."""

_STEP = 0.01          # integration step of the fine age grid [years]
_MAX_AGE = 140.0      # the table is closed at this age [years]


def siler_cumulative_hazard(x, a1, b1, a2, a3, b3):
    """Cumulative Siler hazard H(x) = ∫₀ˣ μ(u) du [dimensionless].

    μ(x) = a1·exp(−b1·x) + a2 + a3·exp(b3·x), so
    H(x) = a1/b1·(1 − e^(−b1 x)) + a2·x + a3/b3·(e^(b3 x) − 1).

    Parameters
    ----------
    x : array_like
        Exact age [years].
    a1, b1, a2, a3, b3 : float
        Siler parameters [1/year].
    """
    x = np.asarray(x, dtype=float)
    return a1 / b1 * (1 - np.exp(-b1 * x)) + a2 * x + a3 / b3 * np.expm1(b3 * x)


def brass_logit(l):
    """Brass logit Y = ½·ln((1 − l)/l) of survivorship l ∈ (0, 1)."""
    l = np.clip(l, 1e-300, 1 - 1e-16)
    return 0.5 * np.log((1 - l) / l)


def relational_survivorship(l_standard, alpha, beta=1.0):
    """Survivorship of the Brass relational model, l = 1/(1 + e^(2(α + β·Yₛ))).

    Parameters
    ----------
    l_standard : ndarray
        Standard survivorship l_s(x) on an age grid; l_s(0) = 1 stays 1.
    alpha, beta : float
        Level and slope of the relational model [dimensionless].
    """
    y = alpha + beta * brass_logit(l_standard)
    l = 1.0 / (1.0 + np.exp(2.0 * y))
    return np.where(l_standard >= 1.0, 1.0, l)


@dataclass(frozen=True)
class LifeTable:
    """A single-year life table with radix 1, closed at 100+.

    Attributes
    ----------
    e0 : float
        Life expectancy at birth [years].
    lx : ndarray, shape (101,)
        Survivors to exact age x, x = 0..100 [share of births].
    Lx : ndarray, shape (101,)
        Person-years lived in [x, x+1); the last entry is T(100), the
        open interval 100+ [years per birth].
    Tx : ndarray, shape (101,)
        Person-years lived above age x [years per birth].
    survival : ndarray, shape (101,)
        Projection survival ratios: entry x moves people aged x (last
        birthday) at the start of a year to age x+1 at its end,
        S(x) = L(x+1)/L(x); entries 99 and 100 are the open-interval ratio
        T(100)/T(99) (Preston et al. 2001, eq. 6.3).
    birth_survival : float
        Share of a year's births alive at its end, L(0)/l(0) [share].
    """

    e0: float
    lx: np.ndarray
    Lx: np.ndarray
    Tx: np.ndarray
    survival: np.ndarray
    birth_survival: float


def _fine_grid():
    return np.arange(0.0, _MAX_AGE + _STEP / 2, _STEP)


def _table_from_fine(l_fine) -> LifeTable:
    per_year = int(round(1 / _STEP))
    seg = 0.5 * (l_fine[:-1] + l_fine[1:]) * _STEP          # trapezoid pieces
    L_single = seg.reshape(-1, per_year).sum(axis=1)      # ages 0..139
    T_single = np.cumsum(L_single[::-1])[::-1]
    Lx = np.concatenate([L_single[:OPEN_AGE], [T_single[OPEN_AGE]]])
    Tx = T_single[: OPEN_AGE + 1].copy()
    lx = l_fine[:: per_year][: OPEN_AGE + 1].copy()
    survival = np.empty(OPEN_AGE + 1)
    survival[: OPEN_AGE - 1] = L_single[1:OPEN_AGE] / L_single[: OPEN_AGE - 1]
    survival[OPEN_AGE - 1:] = T_single[OPEN_AGE] / T_single[OPEN_AGE - 1]
    return LifeTable(e0=float(Tx[0]), lx=lx, Lx=Lx, Tx=Tx, survival=survival,
                     birth_survival=float(L_single[0]))


def standard_survivorship(params=None):
    """Standard survivorship l_s on the fine grid from Siler parameters."""
    p = dict(SILER_STANDARD if params is None else params)
    return np.exp(-siler_cumulative_hazard(_fine_grid(), **p))


def life_table(e0, beta=1.0, standard=None) -> LifeTable:
    """Model life table with life expectancy ``e0`` (Brass logit on Siler).

    Parameters
    ----------
    e0 : float
        Target life expectancy at birth [years]; 20 < e0 < 100.
    beta : float, default 1
        Brass slope [dimensionless].
    standard : dict, optional
        Siler parameters of the standard; default :data:`SILER_STANDARD`.

    Returns
    -------
    LifeTable
        Table whose ``e0`` equals the target within 1e-6 years.

    Raises
    ------
    ValueError
        If ``e0`` is outside (20, 100).
    """
    if not 20.0 < e0 < 100.0:
        raise ValueError(f"e0: life expectancy must be between 20 and 100 years, got {e0}")
    ls = standard_survivorship(standard)

    def gap(alpha):
        return _table_from_fine(relational_survivorship(ls, alpha, beta)).e0 - e0

    alpha = brentq(gap, -4.0, 4.0, xtol=1e-10)
    return _table_from_fine(relational_survivorship(ls, alpha, beta))
