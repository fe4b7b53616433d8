"""The problem ``capacity run`` solves for a scenario, without solving it (driver side).

:func:`plan_problem` is :func:`capacity.pipeline.build_problem` — the same steps
``capacity run`` takes before its solve (special-school rules, demand kept for
the zones served, ...) — so the ensemble and ``capacity sweep`` solve exactly
the problem ``capacity run`` solves.
"""

from __future__ import annotations


def plan_problem(scenario, city, projection):
    """The problem and index :func:`capacity.pipeline.plan` solves for ``scenario``, without solving it.

    Returns
    -------
    (Problem, object)
        The optimiser's problem and its index (positions → schools, sites, units).
    """
    from capacity.pipeline import build_problem

    built = build_problem(scenario, city, projection)
    return built.problem, built.index
