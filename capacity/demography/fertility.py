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


def _child_adult_ratio(rows):
    """(children / adults, child group, adult group) from broad groups, or None."""
    rows = rows[rows.age_to < 100]
    kids = rows[(rows.age_from == 0) & (rows.age_to.between(13, 15))]
    if kids.empty:
        return None
    k_to = int(kids.age_to.iloc[0])
    adults = rows[(rows.age_from == k_to + 1) & (rows.age_to.between(49, 64))]
    if adults.empty:
        return None
    return float(kids.persons.iloc[0]) / float(adults.persons.iloc[0]), (0, k_to), \
        (k_to + 1, int(adults.age_to.iloc[0]))


def zone_fertility_factors(age_structure, zone_ids, base_year, given=None):
    """Relative fertility of each zone from its census child ratio.

    The child–woman ratio (children 0–4 per woman 15–49) is the classic
    indirect measure of fertility differentials (Shryock & Siegel 1976,
    ch. 16). Where the zone's age structure gives only broad groups, the
    ratio of children (0–14 or 0–15) to working-age adults (15–59 or 16–59)
    stands in for it: a zone's factor is its ratio over the city's ratio for
    the same groups and year, from the zone's latest structure at or before
    ``base_year``. Zones without one (or given in ``given``) keep 1 (or the
    given factor). It also carries the children's migration, so it is a
    proxy, labelled so in the calibration report.

    Parameters
    ----------
    age_structure : DataFrame
        ``scope, year, age_from, age_to, persons`` (``sex`` optional).
    zone_ids : sequence of str
    base_year : int
    given : mapping of str to float, optional
        Factors set by the scenario (``tfr_zone_factor``); they win.

    Returns
    -------
    factors : ndarray, shape (Z,)
        [ratio; city = 1]
    notes : dict
        ``zone_id → {"factor", "rule"}``.

    References
    ----------
    Shryock, H. S. & Siegel, J. S. (1976). *The Methods and Materials of
    Demography*. Academic Press.
    """
    given = dict(given or {})
    a = age_structure
    if "sex" in a.columns:
        a = a[a.sex.isin(["all"]) | a.sex.isna()]
    a = a[a.year.astype(int) <= base_year]
    out, notes = np.ones(len(zone_ids)), {}
    for i, z in enumerate(zone_ids):
        if z in given:
            out[i] = float(given[z])
            notes[z] = {"factor": out[i], "rule": "scenario tfr_zone_factor"}
            continue
        own = a[a.scope.astype(str) == z]
        if own.empty:
            continue
        year = int(own.year.max())
        zr = _child_adult_ratio(own[own.year == year])
        city = a[(a.scope.astype(str) == "city") & (a.year.astype(int) == year)]
        cr = _child_adult_ratio(city) if len(city) else None
        if zr is None or cr is None or zr[1:] != cr[1:] or cr[0] <= 0:
            continue
        out[i] = zr[0] / cr[0]
        notes[z] = {"factor": float(out[i]),
                    "rule": f"census child ratio {zr[1][0]}–{zr[1][1]} / {zr[2][0]}–{zr[2][1]} of {year}, "
                            "zone over city (proxy of the child–woman ratio)"}
    return out, notes
