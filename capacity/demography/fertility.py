"""Fertility: an age schedule scaled to a total fertility rate.

The age pattern is the Hadwiger (1940) function as written by Chandola,
Coleman & Hiorns (1999),

    f(x) = TFR · H / (C·√π) · (C/x)^(3/2) · exp(−H²·(C/x + x/C − 2)),

evaluated at mid-year ages x + ½ for x = 12..49 and renormalised so the
single-year rates sum to TFR exactly. C is close to the mean age of
childbearing and H sets the spread.

References
----------
Hadwiger, H. (1940). Eine analytische Reproduktionsfunktion für
biologische Gesamtheiten. *Skandinavisk Aktuarietidskrift* 23, 101–113.

Chandola, T., Coleman, D. A. & Hiorns, R. W. (1999). Recent European
fertility patterns: fitting curves to 'distorted' distributions.
*Population Studies* 53(3), 317–329.
"""

from __future__ import annotations

import numpy as np

FERTILE_AGES = (12, 49)
"""First and last single year of age with non-zero fertility [years]."""


def hadwiger_schedule(n_ages=101, mean_age=30.0, spread_h=3.8):
    """Hadwiger fertility pattern φ(x) per single year of age, Σφ = 1.

    Parameters
    ----------
    n_ages : int
        Length of the age axis (ages 0..n_ages−1) [years].
    mean_age : float
        Hadwiger C, close to the mean age of childbearing [years].
    spread_h : float
        Hadwiger H [dimensionless]; larger is more concentrated. The
        default 3.8 with C = 30 gives a standard deviation of about
        5.6 years, typical of low-fertility East-Asian schedules.

    Returns
    -------
    ndarray, shape (n_ages,)
        Share of a woman's lifetime births at each age [share].
    """
    x = np.arange(n_ages) + 0.5
    c, h = float(mean_age), float(spread_h)
    f = h / (c * np.sqrt(np.pi)) * (c / x) ** 1.5 * np.exp(-h * h * (c / x + x / c - 2.0))
    lo, hi = FERTILE_AGES
    f[: lo] = 0.0
    f[hi + 1:] = 0.0
    return f / f.sum()


def female_birth_share(srb):
    """Share of births that are girls for a sex ratio at birth ``srb``.

    Parameters
    ----------
    srb : float
        Boys per 100 girls at birth.
    """
    return 100.0 / (100.0 + float(srb))


def replacement_tfr(schedule, Lx_female, srb):
    """TFR at which the net reproduction rate is one.

    NRR = TFR · s_f · Σₓ φ(x)·L(x), where s_f is the female share of
    births and L(x) the female person-years per birth at age x
    (radix 1). Hence TFR_rep = 1 / (s_f · Σ φ·L).

    Parameters
    ----------
    schedule : ndarray
        Fertility pattern φ(x), Σφ = 1.
    Lx_female : ndarray
        Female life-table person-years L(x) [years per birth].
    srb : float
        Sex ratio at birth [boys per 100 girls].
    """
    return 1.0 / (female_birth_share(srb) * float(np.dot(schedule, Lx_female)))
