r"""Conversions that are real decisions: nursery places (托育) and schools of another level (issue 13).

Two kinds of conversion of an existing school, each with a value the objective sees:

**Nursery places.** A level whose ``[plan] conversions`` use is nursery places
(``"nursery"``, :func:`~capacity.optimize.geo.is_nursery`) converts a school's
*S* seats to :math:`\pi = \rho S` places (:math:`\rho` = places per seat, from
the class sizes: a 托班 of 20 in a kindergarten room of 30 gives 2/3). Each zone
*g* has an unmet need :math:`N_g` = population × (target − existing places per
1,000 people) / 1,000 (:func:`nursery_need`); the objective credits the
avoided cost *c* of building a place elsewhere for the places converted, up to
the need (:func:`capacity.optimize.closures.add_nursery_credit`):

.. math::

    v_{gb} \le \sum_{f \in g} \pi_f z^{conv}_{fb}, \qquad \sum_b v_{gb} \le N_g,
    \qquad \text{cost part } -c \sum_{gb} \delta_b v_{gb}.

**Another level's school.** A closable school *f* of a source level (e.g.
primary) may become a school of a target level (e.g. kindergarten) on the same
place (:func:`add_level_conversions`), when its land meets the target level's
land standard: the target level gets a candidate place
with one option — the school's classes × the target's class size seats, at
``seats × cost per seat`` (spent like construction, opening after the target
level's construction lag) — and a link: the option may be started only in or
after the year the source school closes. In the joint model the link is exact
(:func:`capacity.optimize.closures.add_conversion_links`); the source school's
closure is then reported as ``convert`` with the target level as its use
(:func:`mark_conversions`).

By level (:mod:`capacity.optimize.decompose`) the links are the only rows
between levels besides the budget. Dropping them is a relaxation, so the first
round (every level alone; a target sees every closable source school as a
place it may convert) still gives a valid lower bound. :func:`couple_by_level`
then makes the union feasible in topological order of the links (a cycle is
refused by the scenario): each source level keeps its plan, and a target level
whose conversions do not match the schools its source closed is re-solved with
only those schools offered, each from its closure year. The source never gets
worse (its closures are its own optimum) and the target only loses places it
could not have; the gap is certified against the first round's bound.
Limits: the source does not close a school *because* the target wants it (its
value to the target is not seen by the source), so by level finds fewer
conversions than the joint model; a budget-share round re-runs the coupling.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from capacity.optimize.geo import NEVER, build_arcs
from capacity.optimize.problem import Arcs, Closures, Facilities, Operating, Options, Problem
from capacity.optimize.problem_conversions import LevelConversion

__all__ = ["add_level_conversions", "couple_by_level", "link_order", "mark_conversions", "nursery_need",
           "zone_population"]


def zone_population(population: pd.DataFrame, base_year: int) -> pd.Series:
    """Residents per zone in the base year, or the latest year before it [persons].

    ``year_end`` figures are preferred to a census; a zone with no figure up to the
    base year takes its earliest later one.
    """
    p = population.assign(pref=(population["measure"] != "year_end").astype(int))
    before = p[p["year"] <= base_year].sort_values(["year", "pref"], ascending=[True, False])
    after = p[p["year"] > base_year].sort_values(["year", "pref"], ascending=[False, False])
    last = pd.concat([after, before]).groupby("zone_id")["persons"].last()
    return last.astype(float).rename("persons")


def nursery_need(population: pd.Series, places_per_1000: float, existing_per_1000: float) -> pd.Series:
    """Unmet need for nursery places per zone [places].

    Parameters
    ----------
    population : Series
        Residents per zone [persons] (:func:`zone_population`).
    places_per_1000 : float
        Target places per 1,000 residents (national 14th Five-Year target: 4.5) [places/1,000 persons].
    existing_per_1000 : float
        Places that exist already per 1,000 residents [places/1,000 persons].

    Returns
    -------
    Series
        ``max(0, population × (target − existing) / 1000)`` per zone.
    """
    return (population * max(places_per_1000 - existing_per_1000, 0.0) / 1000.0).rename("need_places")


def link_order(pairs) -> list:
    """Target levels in an order where every source level comes before its targets.

    Raises
    ------
    ValueError
        The (source, target) pairs form a cycle.
    """
    pairs = list(pairs)
    order, done = [], set()
    while len(done) < len({t for _, t in pairs}):
        ready = sorted({t for s, t in pairs if t not in done
                        and all(s2 in done or s2 not in {t2 for _, t2 in pairs} for s2, t2 in pairs if t2 == t)})
        if not ready:
            raise ValueError(f"level conversions form a cycle: {pairs}")
        order += ready
        done |= set(ready)
    return order


def _classes(schools: pd.DataFrame, class_size: float) -> np.ndarray:
    """Classes of each school: the ``classes`` column, else seats / class size (at least 1)."""
    seats = schools["seats"].to_numpy(float)
    fallback = np.maximum(np.round(seats / class_size), 1.0)
    if "classes" not in schools:
        return fallback
    c = pd.to_numeric(schools["classes"], errors="coerce").to_numpy(float)
    return np.where(np.isfinite(c) & (c > 0), np.round(c), fallback)


def _append(a, b):
    return np.concatenate([np.asarray(a), np.asarray(b, dtype=np.asarray(a).dtype)])


def add_level_conversions(city, problem: Problem, indexes: dict, settings: dict):
    """Give each target level the closable schools of its source level as places it may convert.

    Parameters
    ----------
    city : CityData
    problem : Problem
        Built by :func:`capacity.optimize.translate.problem_from_sections` (facilities of a
        level: its schools in ``schools.gpkg`` order, then its candidate sites).
    indexes : dict of str to LevelIndex
    settings : dict of str to LevelSettings
        Per planned level; ``convert_to_level`` names the target.

    Returns
    -------
    (Problem, dict of LevelIndex)
        The target levels with one candidate place (``converted``) and one option per
        source school, arcs within the target's distances, and the links
        (:class:`~capacity.optimize.problem.LevelConversion`).
    """
    levels = {lv.name: lv for lv in problem.levels}
    indexes = dict(indexes)
    links = list(problem.conversions)
    for source, st in settings.items():
        target = st.convert_to_level
        if target is None or target not in levels or source not in levels:
            continue
        src = levels[source]
        if src.closures is None:
            continue
        tgt, idx, tset = levels[target], indexes[target], settings[target]
        std_t, std_s = city.standards[target], city.standards[source]
        schools = city.schools[city.schools["level"] == source].reset_index(drop=True)
        n_sch = len(schools)
        classes = _classes(schools, std_s.class_size)
        # a closable school whose land meets the target level's standard for its classes (unknown land passes)
        land = src.facilities.land_m2[:n_sch]
        fits = np.isnan(land) | (classes * std_t.class_size * std_t.land_m2_per_pupil <= land + 1e-9)
        ok = src.closures.closable[:n_sch] & src.facilities.existing[:n_sch] & (src.facilities.seats[:n_sch] > 0)
        cand = np.flatnonzero(ok & fits)
        classes = classes[cand]
        seats_t = classes * std_t.class_size
        cost = src.facilities.seats[cand] * st.level_convert_cost_cny_per_seat
        K, F0, O0 = cand.size, tgt.facilities.n, tgt.options.n
        xy = indexes[source].facility_xy[cand]
        fac = tgt.facilities
        facilities = Facilities(
            seats=_append(fac.seats, np.zeros(K)), existing=_append(fac.existing, np.zeros(K, bool)),
            zone=_append(fac.zone, src.facilities.zone[cand]), land_m2=_append(fac.land_m2, np.full(K, np.nan)),
            ids=np.concatenate([fac.ids.astype(object), src.facilities.ids[cand].astype(object)]),
            open_from=_append(fac.open_from, np.full(K, NEVER)), added_seats=_append(fac.added_seats, np.zeros(K)),
            added_from=_append(fac.added_from, np.full(K, NEVER)),
            converted=_append(fac.converted, np.ones(K, bool)))
        opt = tgt.options
        options = Options(facility=_append(opt.facility, F0 + np.arange(K)), seats=_append(opt.seats, seats_t),
                          cost_cny=_append(opt.cost_cny, cost),
                          earliest_year=_append(opt.earliest_year, np.full(K, NEVER)),
                          label=np.concatenate([opt.label.astype(object),
                                                np.full(K, f"conversion of a {source} school", dtype=object)]))
        units = city.demand_units.set_index("unit_id").loc[idx.unit_ids]
        unit_xy = np.column_stack([units.geometry.x.to_numpy(), units.geometry.y.to_numpy()])
        urban = units["urban"].to_numpy(bool)
        if tset.distance == "network":
            from capacity.network import level_arcs

            u, f, d = level_arcs(city, unit_xy, urban, xy, std_t)
        else:
            u, f, d = build_arcs(unit_xy, urban, xy, std_t)
        u, f, d = (_append(tgt.arcs.unit, u), _append(tgt.arcs.facility, f + F0), _append(tgt.arcs.distance, d))
        order = np.lexsort((f, u))
        closures = tgt.closures
        if closures is not None:
            nur = closures.nursery
            if nur is not None:
                nur = dataclasses.replace(nur, places=_append(nur.places, np.zeros(K)))
            closures = Closures(closable=_append(closures.closable, np.zeros(K, bool)),
                                convertible=_append(closures.convertible, np.zeros(K, bool)),
                                convert_cost_cny=_append(closures.convert_cost_cny, np.zeros(K)),
                                convert_to=closures.convert_to, max_per_zone_year=closures.max_per_zone_year,
                                nursery=nur)
        operating = tgt.operating
        if operating is not None:
            operating = Operating(school_cny=_append(operating.school_cny, np.full(K, tset.operating_cny_per_school)),
                                  pupil_cny=operating.pupil_cny)
        levels[target] = dataclasses.replace(tgt, facilities=facilities, options=options,
                                             arcs=Arcs(unit=u[order], facility=f[order], distance=d[order]),
                                             closures=closures, operating=operating)
        indexes[target] = dataclasses.replace(
            idx, facility_ids=facilities.ids, facility_zone=facilities.zone,
            facility_existing=facilities.existing, facility_xy=np.vstack([idx.facility_xy, xy]),
            option_classes=_append(idx.option_classes, classes.astype(np.int64)))
        links.append(LevelConversion(source=source, target=target, facility=cand, option=O0 + np.arange(K)))
    if len(links) == len(problem.conversions):
        return problem, indexes
    new = dataclasses.replace(problem, levels=tuple(levels[lv.name] for lv in problem.levels), conversions=tuple(links))
    return new, indexes


def _active(problem: Problem, names) -> list:
    return [link for link in problem.conversions if link.source in names and link.target in names]


def mark_conversions(problem: Problem, opened: pd.DataFrame) -> pd.DataFrame:
    """``Solution.opened`` with each source school whose place a target level took shown as a conversion.

    Its closure row becomes ``kind = "convert"``, ``label = "to <target>"`` (``plan.csv``:
    ``action = convert``, ``convert_to = <target>``); its cost stays on the target's row.
    """
    names = set(opened["level"]) if len(opened) else set()
    links = _active(problem, names)
    if not links:
        return opened
    out = opened.copy()
    for link in links:
        src = problem.level(link.source)
        used = out[(out["level"] == link.target) & out["option"].isin(link.option)]
        k = np.searchsorted(link.option, used["option"].to_numpy(np.int64))
        ids = set(src.facilities.ids[link.facility[k]].tolist())
        hit = (out["level"] == link.source) & (out["kind"] == "close") & out["facility"].isin(ids)
        out.loc[hit, "kind"] = "convert"
        out.loc[hit, "label"] = f"to {link.target}"
    return out


def _restricted(problem: Problem, link: LevelConversion, closed: dict) -> Problem:
    """``problem`` with the target's conversion options of ``link`` limited to the source schools
    closed in ``closed`` (facility position → closure year), each from its closure year."""
    tgt = problem.level(link.target)
    never = int(problem.build_years[-1]) + 1  # after every build year: the option cannot be chosen
    year = np.array([closed.get(int(f), never) for f in link.facility], dtype=np.int64)
    earliest = np.array(tgt.options.earliest_year)
    earliest[link.option] = np.maximum(earliest[link.option], year)
    opts = dataclasses.replace(tgt.options, earliest_year=earliest)
    levels = tuple(dataclasses.replace(lv, options=opts) if lv.name == link.target else lv for lv in problem.levels)
    return dataclasses.replace(problem, levels=levels)


def couple_by_level(problem: Problem, plans: dict, solve_level, say=None):
    """Make level-by-level plans agree on the level conversions (see the module docstring).

    Parameters
    ----------
    problem : Problem
    plans : dict of str to Solution
        Each level's solution (first round, or after a budget-share round).
    solve_level : callable
        ``solve_level(problem, name) -> Solution`` re-solves one level of ``problem``.
    say : callable, optional
        ``say(message)``.

    Returns
    -------
    (Problem, dict of str to Solution)
        The problem with every target's conversion options limited to its source's closed
        schools, and the plans (a target re-solved when its conversions did not match).
    """
    links = _active(problem, set(plans))
    if not links:
        return problem, plans
    plans = dict(plans)
    for target in link_order([(lk.source, lk.target) for lk in links]):
        ok = True
        for link in [lk for lk in links if lk.target == target]:
            src = problem.level(link.source)
            op = plans[link.source].opened
            shut = op[(op["level"] == link.source) & (op["kind"] == "close")]
            pos = pd.Index(src.facilities.ids).get_indexer(shut["facility"])
            closed = dict(zip(pos.tolist(), shut["open_year"].astype(int).tolist()))
            problem = _restricted(problem, link, closed)
            mine = plans[target].opened
            used = mine[(mine["level"] == target) & mine["option"].isin(link.option)]
            k = np.searchsorted(link.option, used["option"].to_numpy(np.int64))
            start = used["open_year"].to_numpy(np.int64)
            when = np.array([closed.get(int(f), np.iinfo(np.int64).max) for f in link.facility[k]], dtype=np.int64)
            ok &= bool(np.all(start >= when))
        if not ok:
            if say is not None:
                say(f"{target}: conversions re-chosen among the schools its source level closes")
            plans[target] = solve_level(problem, target)
    return problem, plans
