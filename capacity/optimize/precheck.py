"""Cheap feasibility bounds checked before the model is built.

Each check raises :class:`~capacity.errors.InfeasibleError` with a sentence a
planner can act on: what is required, what is available, and why (land,
budget, reach). Passing the checks does not prove feasibility; the solver
still may.
"""

from __future__ import annotations

import numpy as np

from ..errors import InfeasibleError
from .model import rule_mask
from .prepare import PreparedLevel
from .problem import CountRule, Problem


def _n(x: float) -> str:
    return f"{x:,.0f}"


def check_count_rules(problem: Problem, prepared: dict) -> None:
    """A rule's minimum must not exceed the sites that can take a counted option."""
    for rule in problem.count_rules:
        if not rule.minimum:
            continue
        p = prepared[rule.level]
        sel = rule_mask(problem, p, rule)
        n_sites = np.unique(p.level.options.facility[p.open_option[sel]]).size
        if n_sites >= rule.minimum:
            continue
        raise InfeasibleError(_count_message(problem, p, rule, n_sites))


def _count_message(problem: Problem, p: PreparedLevel, rule: CountRule, n_sites: int) -> str:
    lv = p.level
    what = {"new": "candidate site", "expand": "existing school", "any": "site or school"}[rule.kind]
    if rule.zone is None and rule.year is None:
        return (f"plan total of {rule.minimum} {rule.describe()} exceeds the {n_sites} {what}s with an allowed {lv.name} option")
    # which options would match if land and build years were ignored
    fac = lv.options.facility
    sel = np.ones(lv.options.n, dtype=bool)
    if rule.kind != "any":
        sel &= lv.facilities.existing[fac] == (rule.kind == "expand")
    if rule.zone is not None:
        sel &= lv.facilities.zone[fac] == str(rule.zone)
    where = f"zone {rule.zone}" if rule.zone is not None else f"{lv.name}"
    kind = {"new": "new ", "expand": "expanded ", "any": ""}[rule.kind]
    head = f"{where} needs {rule.minimum} {kind}{lv.name} school{'s' if rule.minimum > 1 else ''}"
    if rule.year is not None:
        head += f" built in {rule.year}"
    if not sel.any():
        return f"{head} but has no {lv.name} {what} option at all"
    if lv.land_m2_per_pupil is not None and not p.option_ok[sel].any():
        need = float(np.min(lv.options.seats[sel]) * lv.land_m2_per_pupil)
        land = lv.facilities.land_m2[fac[sel]]
        most = np.nanmax(land) if np.isfinite(land).any() else float("nan")
        return (f"{head} but has no {lv.name} {what} option with ≥ {_n(need)} m² of land "
                f"(largest {what} there has {_n(most)} m²)")
    return f"{head} but only {n_sites} {what}s can take one in the allowed build years"


def check_budget(problem: Problem, prepared: dict) -> None:
    """Required schools must be affordable: per year, and over all years."""
    budget = problem.budget_cny
    if not np.isfinite(budget).any():
        return
    total_need = {}
    for rule in problem.count_rules:
        if not rule.minimum:
            continue
        p = prepared[rule.level]
        sel = rule_mask(problem, p, rule)
        if not sel.any():
            continue
        cheapest = float(np.min(p.level.options.cost_cny[p.open_option[sel]]))
        need = cheapest * rule.minimum
        years = np.unique(p.open_year[sel])
        avail = float(np.sum(budget[years]))
        if need > avail + 1e-6:
            if rule.year is not None:
                raise InfeasibleError(
                    f"budget of year {rule.year} ({_n(avail)} CNY) cannot pay for the cheapest required "
                    f"school: {rule.minimum} {rule.describe()} cost at least {_n(need)} CNY")
            raise InfeasibleError(
                f"budget of build years {', '.join(str(problem.build_years[y]) for y in years)} "
                f"({_n(avail)} CNY) cannot pay for {rule.minimum} {rule.describe()} "
                f"(at least {_n(need)} CNY)")
        total_need[rule.level] = max(total_need.get(rule.level, 0.0), need)
    need = sum(total_need.values())
    total = float(np.sum(budget))
    if need > total + 1e-6:
        raise InfeasibleError(
            f"total budget of {_n(total)} CNY cannot pay for the cheapest schools the plan requires "
            f"({_n(need)} CNY)")


def check_reach(problem: Problem, prepared: dict) -> None:
    """Levels that may not leave pupils unserved need a school in reach and enough seats."""
    for p in prepared.values():
        lv = p.level
        if lv.allow_unserved:
            continue
        d = lv.units.demand
        reach = np.zeros(d.shape, dtype=bool)
        reach[p.arc_unit[p.assign_arc], p.assign_year] = True
        bad = np.argwhere((d > 0) & ~reach)
        if bad.size:
            i, t = bad[0]
            raise InfeasibleError(
                f"level {lv.name}: unit {lv.units.ids[i]} has {_n(d[i, t])} pupils in {problem.years[t]} "
                f"but no school within reach{' in its zone' if lv.within_zone else ''}"
                f"{f' (+{len(bad) - 1} more unit-years)' if len(bad) > 1 else ''}")
        # seats bound: existing + the largest option of each facility ready by t
        opt = lv.options
        best = np.zeros((lv.facilities.n, problem.years.size))
        o = p.open_option[p.avail_open]
        np.maximum.at(best, (opt.facility[o], p.avail_year), opt.seats[o])
        seats = (lv.facilities.seats[:, None] + best).sum(axis=0)
        short = np.flatnonzero(d.sum(axis=0) > seats + 1e-9)
        if short.size:
            t = short[0]
            raise InfeasibleError(
                f"level {lv.name}: {_n(d[:, t].sum())} pupils in {problem.years[t]} but at most "
                f"{_n(seats[t])} seats can exist that year")


CHECKS = (check_count_rules, check_budget, check_reach)
"""Pre-checks run in order by :func:`check_feasibility`."""


def check_feasibility(problem: Problem, prepared: list) -> None:
    """Run every check of :data:`CHECKS`; raise InfeasibleError on the first failure."""
    by_name = {p.level.name: p for p in prepared}
    for check in CHECKS:
        check(problem, by_name)
