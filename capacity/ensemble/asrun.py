"""The problem ``capacity run`` solves for a scenario, without solving it (driver side).

:func:`plan_problem` runs :func:`capacity.pipeline.plan` up to its solve, so the
ensemble and ``capacity sweep`` build exactly the problem ``capacity run``
builds — whatever steps ``plan`` takes (special-school rules, demand kept
for the zones served, ...) — without copying them. :func:`replaced` swaps a
module attribute for the length of a ``with`` block, in this process only.
"""

from __future__ import annotations

import contextlib


class Built(Exception):
    """Raised in place of the solve once :func:`plan_problem` has the problem it needs."""


@contextlib.contextmanager
def replaced(module, name, value):
    """``module.name`` is ``value`` inside the ``with`` block, and what it was after it."""
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


def plan_problem(scenario, city, projection):
    """The problem and index :func:`capacity.pipeline.plan` solves for ``scenario``, without solving it.

    ``plan`` is run up to its solve (``capacity.optimize.solve`` is replaced,
    in this process and for this call only, by a stop), so the problem is the
    one ``capacity run`` solves, whatever steps ``plan`` takes to build it.

    Returns
    -------
    (Problem, dict)
    """
    import capacity.optimize
    from capacity.optimize import translate
    from capacity.pipeline import plan

    built = {}
    build = translate.problem_from_scenario

    def keep(*args, **kwargs):
        built["problem"], built["index"] = build(*args, **kwargs)
        return built["problem"], built["index"]

    def stop(problem, *args, **kwargs):
        raise Built()

    with replaced(translate, "problem_from_scenario", keep), replaced(capacity.optimize, "solve", stop):
        try:
            plan(scenario, city, projection)
        except Built:
            return built["problem"], built["index"]
    raise RuntimeError("capacity.pipeline.plan did not call capacity.optimize.solve")  # pragma: no cover
