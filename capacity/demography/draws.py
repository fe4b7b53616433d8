"""Per-draw stochastic projections, each draw from its own seed.

:func:`~capacity.demography.run.stochastic_quantiles` keeps only quantiles
of a batch of draws taken from one generator. An ensemble of plans needs
each draw's own population, and the same draw whatever the number of draws
or the machine that computes it. Here draw *i* of an ensemble with seed
``S`` uses ``numpy.random.SeedSequence(S).spawn(N)[i]`` (independent child
streams; ``spawn`` gives the same first children for any ``N``), and its
fertility and migration paths are those of
:func:`~capacity.demography.paths.stochastic_paths` with ``draws=1``.

Everything here is pure: a :class:`DrawBasis` (made by
:func:`~capacity.demography.run.project_tables` and kept on the
:class:`~capacity.demography.run.ProjectionResult`) and seeds in, arrays
and tidy tables out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from capacity.demography import cohort, paths


@dataclass(frozen=True)
class DrawBasis:
    """Everything a stochastic draw needs from a calibrated projection.

    Attributes
    ----------
    P0 : ndarray, shape (Z, 2, A)
        Base-year population by zone, sex and age [persons].
    calibration : Calibration
        The fit (calibrated years keep their fitted paths in every draw).
    tfr, rate : ndarray, shape (Z, T)
        Medium TFR [births / woman] and net migration rate [1/year].
    rates : cohort.Rates
        The medium variant's rates (survival, fertility pattern, migrant
        profile); a draw replaces ``tfr`` and ``migration``.
    params : ProjectionParams
        Gives the draws' ``tfr_sigma, tfr_rho, migration_sigma, migration_rho``.
    zone_ids : tuple of str
    years : tuple of int
        Base year and projected years (T + 1 values) [year].
    """

    P0: np.ndarray
    calibration: object
    tfr: np.ndarray
    rate: np.ndarray
    rates: cohort.Rates
    params: object
    zone_ids: tuple
    years: tuple


def draw_seeds(seed: int, n: int) -> list:
    """``n`` independent child seeds of ``seed`` (:class:`numpy.random.SeedSequence`).

    Child *i* is the same for any ``n > i``, so draw *i* does not depend on
    how many draws an ensemble has.
    """
    return np.random.SeedSequence(int(seed)).spawn(int(n))


def draw_paths(basis: DrawBasis, seed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fertility and migration paths of one draw.

    Parameters
    ----------
    basis : DrawBasis
    seed : numpy.random.SeedSequence or int
        The draw's own seed.

    Returns
    -------
    tfr : ndarray, shape (Z, T)
        [births / woman]
    migration : ndarray, shape (Z, T)
        Persons in calibrated years, rates [1/year] after.
    is_rate : ndarray of bool, shape (T,)
    """
    rng = np.random.default_rng(seed)
    tfr_d, mig_d, is_rate = paths.stochastic_paths(basis.calibration, basis.tfr, basis.rate,
                                                   basis.params, 1, rng)
    return tfr_d[0], mig_d[0], is_rate


def project_draws(basis: DrawBasis, seeds: Sequence, age_groups: Mapping[str, tuple],
                  dtype=np.float64) -> np.ndarray:
    """Age-group totals of each draw, by year and zone.

    Parameters
    ----------
    basis : DrawBasis
    seeds : sequence of SeedSequence or int
        One seed per draw (e.g. from :func:`draw_seeds`).
    age_groups : mapping of str to (int, int)
        Named age groups, first and last age inclusive [years].
    dtype : numpy dtype

    Returns
    -------
    ndarray, shape (D, T+1, Z, G)
        Persons of each group (both sexes) at year end [persons]; G follows
        ``age_groups``' order.
    """
    M, _ = cohort.group_matrix(age_groups, basis.P0.shape[-1])
    M = M[:, :-1]  # drop the "all" column
    drawn = [draw_paths(basis, s) for s in seeds]
    if not drawn:
        return np.zeros((0, len(basis.years), len(basis.zone_ids), M.shape[1]), dtype=dtype)
    tfr = np.stack([d[0] for d in drawn])
    mig = np.stack([d[1] for d in drawn])
    rates = dataclasses.replace(basis.rates, tfr=tfr, migration=mig, migration_is_rate=drawn[0][2])
    P = np.broadcast_to(basis.P0, (len(drawn),) + basis.P0.shape)
    tr = cohort.project(P, rates, group_matrix=M, dtype=dtype)
    return np.moveaxis(tr.population, 1, 0)


def draw_group_table(basis: DrawBasis, seeds: Sequence, age_groups: Mapping[str, tuple],
                     draw_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Tidy form of :func:`project_draws`.

    Returns
    -------
    DataFrame
        ``draw, zone_id, year, group, persons`` [persons], sorted by draw,
        zone, year and group order.
    """
    arr = project_draws(basis, seeds, age_groups)
    draws = list(range(len(seeds))) if draw_ids is None else list(draw_ids)
    idx = pd.MultiIndex.from_product([draws, list(basis.years), list(basis.zone_ids), list(age_groups)],
                                     names=["draw", "year", "zone_id", "group"])
    f = pd.DataFrame({"persons": arr.reshape(-1)}, index=idx).reset_index()
    f = f[["draw", "zone_id", "year", "group", "persons"]]
    f = f.sort_values(["draw", "zone_id", "year"], kind="stable").reset_index(drop=True)
    f.attrs["units"] = {"persons": "persons at year end"}
    return f
