"""The cohort-component step on numpy arrays.

Population arrays are shaped ``(..., 2, A)``: any leading axes (draws,
zones), then sex (0 male, 1 female), then single years of age 0..A−1 with
the last age open (100+). A year's step, from the end of year t−1 to the
end of year t (Preston, Heuveline & Guillot 2001, ch. 6, in single years):

1. survive and age: Q(x+1) = P(x)·S(x); the open age collects
   (P(99) + P(100+))·T(100)/T(99);
2. births: B = Σₓ f(x)·½·(W(x) + W'(x)), where W are women aged x at the
   start of the year and W' those aged x at its end (before migration);
   girls are B·s_f, boys B·(1 − s_f); age 0 at year end is B·L(0) by sex;
3. net migration N, added at year end: if N ≥ 0 it is spread over sex and
   age by the migrant profile m; if N < 0 the departures at each cell are
   proportional to m·Q (an age-specific rate), never more than Q.

Deaths are the survival losses of steps 1–2, so for every zone and year
population_end = population_start + births − deaths + net_migration up to
floating-point rounding. There are no Python loops over zones or ages; the
only loop is over years.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np


def age_and_survive(P, survival):
    """Survive and age a population by one year.

    Parameters
    ----------
    P : ndarray, shape (..., 2, A)
        Population by sex and age at the start of the year [persons].
    survival : ndarray, shape (2, A)
        Survival ratios S(x) by sex (see :class:`~.mortality.LifeTable`).

    Returns
    -------
    Q : ndarray, shape (..., 2, A)
        Survivors at year end by age reached; age 0 is left empty [persons].
    deaths : ndarray, shape (...)
        Deaths among the start population [persons].
    """
    S = P * survival
    Q = np.zeros_like(P)
    Q[..., 1:] = S[..., :-1]
    Q[..., -1] += S[..., -1]
    deaths = P.sum(axis=(-2, -1)) - S.sum(axis=(-2, -1))
    return Q, deaths


def female_exposure(P, Q):
    """Women-years lived at each age during the year, ½(W + W') [persons]."""
    return 0.5 * (P[..., 1, :] + Q[..., 1, :])


def births_from_rates(P, Q, rates):
    """Births in the year from age-specific fertility rates.

    Parameters
    ----------
    P, Q : ndarray, shape (..., 2, A)
        Start population and its aged survivors [persons].
    rates : ndarray, shape (..., A)
        Age-specific fertility rates [births / woman / year].

    Returns
    -------
    ndarray, shape (...)
        Births [persons / year].
    """
    return (rates * female_exposure(P, Q)).sum(axis=-1)


def add_newborns(Q, births, female_share, birth_survival):
    """Put the year's surviving births at age 0; return infant deaths.

    Parameters
    ----------
    Q : ndarray, shape (..., 2, A)
        Survivors at year end; age 0 is overwritten in place.
    births : ndarray, shape (...)
        Births in the year [persons].
    female_share : float
        Share of births that are girls [share].
    birth_survival : ndarray, shape (2,)
        L(0) by sex: share of births alive at year end [share].

    Returns
    -------
    ndarray, shape (...)
        Deaths among the year's births [persons].
    """
    by_sex = births[..., None] * np.array([1.0 - female_share, female_share], dtype=Q.dtype)
    Q[..., 0] = by_sex * birth_survival
    return births - Q[..., 0].sum(axis=-1)


def apply_net_migration(Q, net, profile):
    """Add ``net`` migrants, spread by the age–sex profile.

    Parameters
    ----------
    Q : ndarray, shape (..., 2, A)
        Population at year end before migration [persons].
    net : ndarray, shape (...)
        Net migrants wanted [persons]; negative for net departures.
    profile : ndarray, shape (2, A)
        Rogers–Castro shares, Σ = 1.

    Returns
    -------
    P : ndarray, shape (..., 2, A)
        Population at year end [persons], never negative.
    actual : ndarray, shape (...)
        Net migrants applied [persons]; equals ``net`` unless departures
        would exceed the people present.
    """
    net = np.asarray(net, dtype=Q.dtype)
    inflow = np.maximum(net, 0)[..., None, None] * profile
    weight = profile * Q
    wsum = weight.sum(axis=(-2, -1))
    safe = np.where(wsum > 0, wsum, 1)
    outflow = np.minimum(np.maximum(-net, 0)[..., None, None] * weight / safe[..., None, None], Q)
    P = Q + inflow - outflow
    return P, inflow.sum(axis=(-2, -1)) - outflow.sum(axis=(-2, -1))


@dataclass(frozen=True)
class Rates:
    """Demographic rates for a run of years (leading axes broadcast).

    Attributes
    ----------
    survival : ndarray, shape (T, 2, A)
        Survival ratios per year and sex.
    birth_survival : ndarray, shape (T, 2)
        L(0) per year and sex [share].
    schedule : ndarray, shape (A,)
        Fertility pattern φ(x), Σφ = 1.
    tfr : ndarray, shape (..., T)
        Total fertility rate [births / woman].
    female_share : float
        Girls among births [share].
    migration : ndarray, shape (..., T)
        Net migration: persons where ``migration_is_rate`` is False, else a
        rate [net migrants / start population / year].
    migration_is_rate : ndarray of bool, shape (T,)
        Whether each year's migration is a rate.
    profile : ndarray, shape (2, A)
        Net-migrant shares by sex and age.
    """

    survival: np.ndarray
    birth_survival: np.ndarray
    schedule: np.ndarray
    tfr: np.ndarray
    female_share: float
    migration: np.ndarray
    migration_is_rate: np.ndarray
    profile: np.ndarray


def step(P, rates: Rates, t: int):
    """One projection year ``t`` (index into the rates' year axis).

    Returns
    -------
    P_end : ndarray, shape (..., 2, A)
    births, deaths, net_migration : ndarray, shape (...)
        Components of the year [persons].
    """
    Q, deaths = age_and_survive(P, rates.survival[t].astype(P.dtype))
    fert = rates.tfr[..., t, None].astype(P.dtype) * rates.schedule.astype(P.dtype)
    births = births_from_rates(P, Q, fert)
    deaths = deaths + add_newborns(Q, births, rates.female_share, rates.birth_survival[t])
    mig = rates.migration[..., t].astype(P.dtype)
    if rates.migration_is_rate[t]:
        mig = mig * P.sum(axis=(-2, -1))
    P_end, net = apply_net_migration(Q, mig, rates.profile.astype(P.dtype))
    return P_end, births, deaths, net


@dataclass(frozen=True)
class Trajectory:
    """Arrays of a projection over T years.

    Attributes
    ----------
    population : ndarray, shape (T+1, ..., 2, A) or (T+1, ..., G)
        Population at the end of the base year and of each projected year
        [persons]; with an age-group matrix, summed over sex into G groups.
    totals : ndarray, shape (T+1, ...)
        Total population [persons].
    births, deaths, net_migration : ndarray, shape (T, ...)
        Components per projected year [persons].
    """

    population: np.ndarray
    totals: np.ndarray
    births: np.ndarray
    deaths: np.ndarray
    net_migration: np.ndarray


def project(P0, rates: Rates, group_matrix=None, dtype=np.float64) -> Trajectory:
    """Project ``P0`` over the rates' years.

    Parameters
    ----------
    P0 : ndarray, shape (..., 2, A)
        Base population [persons]; leading axes e.g. (draws, zones).
    rates : Rates
        Rates whose leading axes broadcast against ``P0``'s.
    group_matrix : ndarray, shape (A, G), optional
        0/1 matrix of age groups. When given, only group sums (both sexes)
        are kept, which saves memory for many draws.
    dtype : numpy dtype
        Arithmetic precision (float32 halves memory for large ensembles).

    Returns
    -------
    Trajectory
    """
    P = np.array(P0, dtype=dtype, copy=True)
    T = rates.survival.shape[0]
    lead = P.shape[:-2]

    def keep(x):
        if group_matrix is None:
            return x.copy()
        return x.sum(axis=-2) @ group_matrix.astype(dtype)

    first = keep(P)
    pop = np.empty((T + 1,) + first.shape, dtype=dtype)
    pop[0] = first
    totals = np.empty((T + 1,) + lead, dtype=dtype)
    totals[0] = P.sum(axis=(-2, -1))
    births, deaths, net = (np.empty((T,) + lead, dtype=dtype) for _ in range(3))
    for t in range(T):
        P, births[t], deaths[t], net[t] = step(P, rates, t)
        pop[t + 1] = keep(P)
        totals[t + 1] = P.sum(axis=(-2, -1))
    return Trajectory(population=pop, totals=totals, births=births, deaths=deaths, net_migration=net)


def group_matrix(age_groups: Mapping[str, tuple], n_ages: int = 101):
    """0/1 matrix (A, G) of the named age groups plus ``all``, and the names.

    Parameters
    ----------
    age_groups : mapping of str to (int, int)
        First and last age of each group, inclusive [years].
    n_ages : int
        Length of the age axis [years].
    """
    names = list(age_groups) + ["all"]
    M = np.zeros((n_ages, len(names)))
    for j, name in enumerate(age_groups):
        lo, hi = age_groups[name]
        M[lo:hi + 1, j] = 1.0
    M[:, -1] = 1.0
    return M, names
