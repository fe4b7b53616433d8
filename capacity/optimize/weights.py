"""Objective weights of the optimiser's problem (:class:`Weights`), in the core's units."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weights:
    """Objective weights and the lexicographic tolerance.

    Attributes
    ----------
    unserved : float
        Weight per unserved pupil in the first evaluation year [objective / pupil].
    distance : float
        Weight per pupil-distance [objective / (pupil·m)].
    cost : float
        Weight per CNY of construction [objective / CNY].
    year_discount : float
        Unserved pupils of evaluation year k (0 = first) weigh
        ``year_discount ** k``: earlier shortfalls weigh more.
    cost_discount_rate : float
        Construction cost of build year ``t`` enters the objective as its
        present value ``cost / (1 + r) ** (t − first build year)`` [1/year].
        0 (default): every build year costs the same, and when no budget
        binds the opening year of a school is then arbitrary.
    lexicographic_rel_tol, lexicographic_abs_tol : float
        In lexicographic mode, a finished stage's value ``v`` is kept as
        ``≤ v·(1 + rel) + abs`` while later stages are optimised.
    calendar_years : bool
        False (default): unserved pupils of evaluation year k weigh
        ``year_discount ** k`` and distance counts once per evaluation year.
        True: both count per calendar year each evaluation column stands for,
        discounted at ``cost_discount_rate`` like running costs
        (:meth:`Problem.year_weights`), so that with weights in objective
        units per pupil-year and per pupil·m-year the objective is a present
        value.
    existing_running : bool
        False (default): the running cost of an existing school is left out
        of the objective (a constant) and a closure earns what it saves.
        True: the objective also counts that constant — every existing
        school's running cost over the checked years, discounted
        (:func:`capacity.optimize.closures.existing_running_cny`) — so that it
        is the whole present cost of running and building the system, and a
        relative gap is measured against that.
    """

    unserved: float = 1.0e6
    distance: float = 1.0e-3
    cost: float = 1.0e-6
    year_discount: float = 0.9
    cost_discount_rate: float = 0.0
    lexicographic_rel_tol: float = 1.0e-6
    lexicographic_abs_tol: float = 1.0e-6
    calendar_years: bool = False
    existing_running: bool = False
