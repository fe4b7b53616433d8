"""Age profile of net migrants: the Rogers–Castro model schedule.

The seven-parameter reduced form (childhood curve, labour-force peak,
constant),

    m(x) = a1·exp(−α1·x) + a2·exp(−α2·(x − μ2) − exp(−λ2·(x − μ2))) + c,

evaluated at x + ½ and normalised to sum to one over ages and sexes, gives
the share of a year's net migrants at each age and sex.

References
----------
Rogers, A. & Castro, L. J. (1981). *Model Migration Schedules*. Research
Report RR-81-30, International Institute for Applied Systems Analysis,
Laxenburg.
"""

from __future__ import annotations

import numpy as np

ROGERS_CASTRO_STANDARD = {"a1": 0.02, "alpha1": 0.10, "a2": 0.06, "alpha2": 0.10,
                          "mu2": 20.0, "lambda2": 0.40, "c": 0.003}
"""Parameters close to the mean values Rogers & Castro (1981) report for
observed schedules: a1, a2, c [share], alpha1, alpha2, lambda2 [1/year],
mu2 [years]."""


def rogers_castro(x, a1, alpha1, a2, alpha2, mu2, lambda2, c):
    """Rogers–Castro model schedule m(x) [relative intensity].

    Parameters
    ----------
    x : array_like
        Age [years].
    a1, alpha1 : float
        Childhood level [share] and rate of descent [1/year].
    a2, alpha2, mu2, lambda2 : float
        Labour-force level [share], descent [1/year], peak position
        [years] and ascent [1/year].
    c : float
        Constant [share].
    """
    x = np.asarray(x, dtype=float)
    u = x - mu2
    return a1 * np.exp(-alpha1 * x) + a2 * np.exp(-alpha2 * u - np.exp(-lambda2 * u)) + c


def migration_profile(n_ages=101, male_share=0.5, params=None):
    """Share of net migrants by sex and age, summing to one.

    Parameters
    ----------
    n_ages : int
        Ages 0..n_ages−1; the last is open-ended [years].
    male_share : float
        Share of migrants who are male [share].
    params : dict, optional
        Rogers–Castro parameters; default :data:`ROGERS_CASTRO_STANDARD`.

    Returns
    -------
    ndarray, shape (2, n_ages)
        Row 0 male, row 1 female [share of net migrants].
    """
    p = dict(ROGERS_CASTRO_STANDARD if params is None else params)
    m = rogers_castro(np.arange(n_ages) + 0.5, **p)
    m = m / m.sum()
    return np.stack([male_share * m, (1.0 - male_share) * m])
