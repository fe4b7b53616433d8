"""The base population by single year of age and sex, from coarse facts.

What is usually known is a zone's total and a few broad age groups
(e.g. 0–14, 15–59, 60+, 65+) for the city or a zone, plus the city's
births per year. The rule, applied to each zone:

1. **Total**: the zone's figure for the base year (``base_measure``, then
   the other measure; failing both, its nearest later figure scaled by the
   growth of the zones known in both years).
2. **Structure**: the zone's own age structure of the base year if given,
   else its own latest one before the base year (e.g. its census), else the
   city's of the base year, else the city's of the nearest year.
   Nested groups (60+ and 65+) are turned into a partition (60–64, 65+)
   by least squares on the elementary intervals; group shares are scaled
   to the zone total.
3. **Known cohorts**: ages a whose birth year (base − a) has reported births
   are set to births × L(a) (life-table survivors at mid-age) × the zone's
   share of the births' scope population. Ages whose cohort entered a
   level of compulsory schooling in a reported year (``intake`` of
   ``enrolment.csv`` for the levels in ``entry_ages``; entry age e in year y
   makes the cohort aged e + base − y at the base) are set the same way from
   the intake × L(a)/L(e): intake counts a whole cohort where schooling is
   universal (assumption; children schooled outside the city are missed and
   migrant children attending in it counted, as in a resident cohort).
   Likewise the latest pupils of the levels in ``group_ages`` (a level's
   age band a..b in year y, i.e. ages a + base − y .. b + base − y at the
   base) fix the total of those ages (assumption: gross enrolment ≈ 100 %,
   as the 99.98 % of Kunming's kindergartens in 2022; survival over the
   years between is taken as one).
4. **Shape**: within and across groups, the population is the stationary
   population of the life table (L(x) by sex, weighted by the sex ratio at
   birth) times a ratio that is as smooth as possible (Tobler's
   pycnophylactic interpolation) while meeting every group total and known
   cohort, so there are no steps at group boundaries. Known cohorts that
   alone exceed their group are dropped.
5. **Sex**: at every age, the stationary (or known-cohort) sex ratio.

Ages not covered by any group share the remainder of the total the same
way. The result sums exactly to the zone total and to each group's share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity.errors import DataError


def base_totals(population, zone_ids, base_year, measure="year_end"):
    """Zone totals in the base year and how each was obtained.

    Parameters
    ----------
    population : DataFrame
        ``zone_id, year, measure, persons``.
    zone_ids : sequence of str
        Zones, in projection order.
    base_year : int
        Base year.
    measure : str
        Preferred measure, ``year_end`` or ``census``.

    Returns
    -------
    totals : ndarray, shape (Z,)
        Base population [persons].
    how : list of str
        Rule used per zone.
    """
    pop = population.copy()
    pop["zone_id"] = pop["zone_id"].astype(str)
    other = "census" if measure == "year_end" else "year_end"
    totals, how = np.full(len(zone_ids), np.nan), [""] * len(zone_ids)
    for i, z in enumerate(zone_ids):
        for m in (measure, other):
            sel = pop[(pop.zone_id == z) & (pop.year == base_year) & (pop.measure == m)]
            if len(sel):
                totals[i], how[i] = float(sel.persons.iloc[0]), f"{m} {base_year}"
                break
    known = [j for j in range(len(zone_ids)) if not np.isnan(totals[j])]
    for i, z in enumerate(zone_ids):
        if not np.isnan(totals[i]):
            continue
        later = pop[(pop.zone_id == z) & (pop.year > base_year)].sort_values(["year", "measure"], ascending=[True, False])
        if later.empty:
            raise DataError(f"no population figure for zone {z} in or after base year {base_year}",
                            path="population.csv", column="persons")
        y, value = int(later.year.iloc[0]), float(later.persons.iloc[0])
        at_y = pop[(pop.year == y) & (pop.measure == "year_end")].set_index("zone_id").persons
        both = [j for j in known if zone_ids[j] in at_y.index]
        ratio = (totals[both].sum() / at_y[[zone_ids[j] for j in both]].sum()) if both else 1.0
        totals[i], how[i] = value * ratio, f"{y} scaled by known zones' growth ×{ratio:.4f}"
    return totals, how


def partition(rows, open_age=100):
    """Turn possibly nested age groups into disjoint intervals.

    Parameters
    ----------
    rows : DataFrame
        ``age_from, age_to, persons``; ``age_to`` ≥ ``open_age`` means open.

    Returns
    -------
    list of (int, int, float)
        Disjoint intervals (first age, last age, persons), by least squares
        (non-negative) on the elementary intervals the groups define.
    """
    from scipy.optimize import nnls

    a0 = rows.age_from.to_numpy(int)
    a1 = np.minimum(rows.age_to.to_numpy(int), open_age)
    cuts = np.unique(np.concatenate([a0, a1 + 1]))
    cuts = cuts[cuts <= open_age + 1]
    elems = [(int(lo), int(hi) - 1) for lo, hi in zip(cuts[:-1], cuts[1:])]
    G = np.array([[1.0 if (lo >= f and hi <= t) else 0.0 for lo, hi in elems] for f, t in zip(a0, a1)])
    covered = G.sum(axis=0) > 0
    sol, _ = nnls(G[:, covered], rows.persons.to_numpy(float))
    return [e + (float(v),) for e, v in zip([e for e, c in zip(elems, covered) if c], sol)]


def stationary_shape(lt_male, lt_female, female_share):
    """Stationary population per birth by sex, shape (2, A) [persons / birth]."""
    return np.stack([(1 - female_share) * lt_male.Lx, female_share * lt_female.Lx])


def distribute(total, intervals, seed, known, known_groups=()):
    """Spread a total over sex and single ages, smoothly.

    The population at age a is y(a) = s(a)·r(a), where s is the seed
    shape (both sexes). The ratio r is the smoothest (least sum of squared
    second differences) that meets every group total and every known
    cohort: the pycnophylactic, mass-preserving interpolation of Tobler
    (1979) applied to the ratio to a stationary population, solved as one
    linear KKT system. Negative values, if any, are set to zero and their
    group rescaled. Each age is split by sex as in the seed (or the known
    cohort).

    Parameters
    ----------
    total : float
        Zone population [persons].
    intervals : list of (int, int, float)
        Disjoint groups with their *shares* of the total [share].
    seed : ndarray, shape (2, A)
        Shape to follow (stationary population) [persons / birth].
    known : ndarray, shape (2, A)
        Known cohorts [persons]; NaN where unknown.
    known_groups : sequence of (ndarray of int, float)
        Known totals of runs of ages (e.g. a level's pupils) [persons]; one
        that is larger than the broad group holding it, or whose ages are all
        known cohorts, is left out.

    Returns
    -------
    ndarray, shape (2, A)
        Population [persons]; sums to ``total`` and to each group total.

    References
    ----------
    Tobler, W. R. (1979). Smooth pycnophylactic interpolation for
    geographical regions. *JASA* 74(367), 519–530.
    """
    A = seed.shape[1]
    s = seed.sum(axis=0)
    is_known = ~np.isnan(known[0])
    groups = [(np.arange(f, t + 1), share * total) for f, t, share in intervals]
    covered = np.zeros(A, bool)
    for ages, _ in groups:
        covered[ages] = True
    if (~covered).any():
        groups.append((np.flatnonzero(~covered), max(total - sum(g for _, g in groups), 0.0)))
    # a group fully fixed by known cohorts, or whose cohorts exceed it, drops those cohorts
    fixed = is_known.copy()
    for ages, g in groups:
        if np.nan_to_num(known[:, ages]).sum() > g or fixed[ages].all():
            fixed[ages] = False
    rows, rhs = [], []
    for ages, g in groups:
        row = np.zeros(A)
        row[ages] = s[ages]
        rows.append(row)
        rhs.append(g)
    for a in np.flatnonzero(fixed):
        row = np.zeros(A)
        row[a] = 1.0
        rows.append(row)
        rhs.append(known[:, a].sum() / s[a])
    for ages, g in known_groups:
        holder = [gt for gages, gt in groups if np.isin(ages, gages).all()]
        known_in = np.nan_to_num(known[:, ages][:, fixed[ages]]).sum()
        if fixed[ages].all() or (holder and g > holder[0]) or known_in > g:
            continue
        row = np.zeros(A)
        row[ages] = s[ages]
        rows.append(row)
        rhs.append(g)
    C, b = np.array(rows), np.array(rhs)
    D = np.diff(np.eye(A), n=2, axis=0)
    H = 2 * D.T @ D + 1e-9 * np.eye(A)
    K = np.block([[H, C.T], [C, np.zeros((len(b), len(b)))]])
    rhs_full = np.concatenate([np.zeros(A), b])
    try:
        r = np.linalg.solve(K, rhs_full)[:A]
    except np.linalg.LinAlgError:  # redundant constraints
        r = np.linalg.lstsq(K, rhs_full, rcond=None)[0][:A]
    y = np.maximum(s * r, 0.0)
    for ages, g in groups:
        free = ages[~fixed[ages]]
        have = y[ages].sum()
        if have > 0 and free.size:
            y[free] *= (g - y[ages[fixed[ages]]].sum()) / y[free].sum() if y[free].sum() > 0 else 1.0
    share = np.where(fixed, np.nan_to_num(known[1]) / np.where(fixed, np.nan_to_num(known.sum(0)), 1) , 0)
    share = np.where(fixed, share, seed[1] / np.where(s > 0, s, 1))
    return np.stack([y * (1 - share), y * share])


def _structure(age_structure, scope, year):
    sel = age_structure[(age_structure.scope.astype(str) == scope) & (age_structure.year == year)]
    if "sex" in sel.columns:
        if (sel.sex == "all").any():
            sel = sel[sel.sex == "all"]
        else:
            sel = sel.groupby(["age_from", "age_to"], as_index=False).persons.sum()
    return sel


def _shares(rows, reference_total, open_age):
    ints = partition(rows, open_age)
    covered = sum(t - f + 1 for f, t, _ in ints)
    denom = sum(p for *_, p in ints) if covered >= open_age + 1 else reference_total
    return [(f, t, p / denom) for f, t, p in ints]


def _intakes(enrolment, base_year, entry_ages):
    """``scope, year, level, intake, entry_age`` rows usable as cohort anchors."""
    if enrolment is None or not entry_ages or "intake" not in enrolment.columns or enrolment.empty:
        return None
    e = enrolment[(enrolment.year.astype(int) <= base_year) & enrolment.level.isin(list(entry_ages))
                  & enrolment.intake.notna()]
    e = e.assign(scope=e.scope.astype(str), entry_age=e.level.map(dict(entry_ages)).astype(int))
    return e if len(e) else None


def _pupils(enrolment, base_year, group_ages):
    """``scope, year, level, pupils, age_from, age_to`` rows usable as age-band anchors (latest year each)."""
    if enrolment is None or not group_ages or "pupils" not in enrolment.columns or enrolment.empty:
        return None
    e = enrolment[(enrolment.year.astype(int) <= base_year) & enrolment.level.isin(list(group_ages))
                  & enrolment.pupils.notna()]
    if e.empty:
        return None
    e = e.assign(scope=e.scope.astype(str), year=e.year.astype(int))
    e = e.sort_values("year").groupby(["scope", "level"], as_index=False).last()
    return e.assign(age_from=e.level.map(lambda lv: int(group_ages[lv][0])),
                    age_to=e.level.map(lambda lv: int(group_ages[lv][1])))


def _group_anchors(pupils, zone, share, base_year, A):
    """Known age-band totals of a zone at the base: its own pupils, else the city's × ``share``."""
    if pupils is None:
        return []
    out = []
    for level, g in pupils.groupby("level"):
        own = g[g.scope == zone]
        rows, f = (own, 1.0) if len(own) else (g[g.scope == "city"], share)
        for r in rows.itertuples():
            shift = base_year - int(r.year)
            ages = np.arange(r.age_from + shift, r.age_to + shift + 1)
            if ages[-1] < A:
                out.append((ages, float(r.pupils) * f))
    return out


def _anchor_intakes(known, intakes, zone, share, base_year, seed):
    """Set known cohorts (in place) from intakes: the zone's own, else the city's × ``share``."""
    if intakes is None:
        return
    s = seed.sum(axis=0)
    A = known.shape[1]
    for level, g in intakes.groupby("level"):
        own = g[g.scope == zone]
        rows, f = (own, 1.0) if len(own) else (g[g.scope == "city"], share)
        for yr, n, e in zip(rows.year.astype(int), rows.intake.astype(float), rows.entry_age):
            a = int(e) + base_year - int(yr)
            if 0 <= a < A and np.isnan(known[0, a]) and s[a] > 0 and s[int(e)] > 0:
                known[:, a] = n * f * (seed[:, a] / s[a]) * (s[a] / s[int(e)])


def base_population(population, age_structure, births, zone_ids, base_year, lt_male, lt_female,
                    female_share, measure="year_end", enrolment=None, entry_ages=None, group_ages=None):
    """Base population per zone by sex and single year of age.

    Parameters
    ----------
    population, age_structure, births : DataFrame
        Tables of the data contract (see ``data/README.md``).
    zone_ids : sequence of str
        Zones in projection order.
    base_year : int
        Base year.
    lt_male, lt_female : LifeTable
        Life tables of the base year.
    female_share : float
        Girls among births [share].
    measure : str
        Preferred population measure.
    enrolment : DataFrame, optional
        ``scope, year, level, intake`` (``enrolment.csv``).
    entry_ages : mapping of str to int, optional
        Entry age of each level whose intake anchors a cohort [years].
    group_ages : mapping of str to (int, int), optional
        Age band of each level whose pupils anchor the band's total [years].

    Returns
    -------
    P0 : ndarray, shape (Z, 2, 101)
        Base population [persons].
    notes : DataFrame
        ``zone_id, total, total_rule, structure_scope, structure_year,
        anchored_ages`` (ages set from births or intakes).
    """
    A = lt_male.Lx.size
    totals, how = base_totals(population, zone_ids, base_year, measure)
    seed = stationary_shape(lt_male, lt_female, female_share)
    L = np.stack([lt_male.Lx, lt_female.Lx])
    sexes = np.array([1 - female_share, female_share])[:, None]

    city_total = totals.sum()
    pop_index = population.assign(zone_id=population.zone_id.astype(str))
    P0, notes = np.zeros((len(zone_ids), 2, A)), []
    years_city = sorted(age_structure.loc[age_structure.scope.astype(str) == "city", "year"].unique())
    intakes = _intakes(enrolment, base_year, entry_ages)
    pupils = _pupils(enrolment, base_year, group_ages)
    for i, z in enumerate(zone_ids):
        rows, scope, year = _structure(age_structure, z, base_year), z, base_year
        own_years = sorted(age_structure.loc[(age_structure.scope.astype(str) == z)
                                             & (age_structure.year < base_year), "year"].unique())
        if rows.empty and own_years:
            year = int(own_years[-1])
            rows = _structure(age_structure, z, year)
        if rows.empty:
            scope = "city"
            if not years_city:
                rows = rows.iloc[0:0]
            else:
                year = base_year if base_year in years_city else min(years_city, key=lambda y: (abs(y - base_year), -y))
                rows = _structure(age_structure, "city", year)
        ref = pop_index[(pop_index.zone_id == scope) & (pop_index.year == year)].persons
        ints = _shares(rows, float(ref.iloc[0]) if len(ref) else city_total, A - 1) if len(rows) else []
        known = np.full((2, A), np.nan)
        b = births[(births.year <= base_year) & (births.year > base_year - A)]
        zb = b[b.scope.astype(str) == z]
        cb, factor = (zb, 1.0) if len(zb) else (b[b.scope.astype(str) == "city"], totals[i] / city_total)
        for yr, n in zip(cb.year.to_numpy(int), cb.births.to_numpy(float)):
            a = base_year - yr
            known[:, a] = n * factor * sexes[:, 0] * L[:, a]
        _anchor_intakes(known, intakes, z, totals[i] / city_total, base_year, seed)
        anchors = _group_anchors(pupils, z, totals[i] / city_total, base_year, A)
        P0[i] = distribute(totals[i], ints, seed, known, anchors)
        notes.append({"zone_id": z, "total": totals[i], "total_rule": how[i],
                      "structure_scope": scope if ints else "none (stationary)",
                      "structure_year": year if ints else None,
                      "anchored_ages": [int(a) for a in np.flatnonzero(~np.isnan(known[0]))]})
    return P0, pd.DataFrame(notes)
