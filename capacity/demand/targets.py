"""The plan's quantified targets: checked on existing seats before the plan, and on the plan (pure).

One module holds the target rules, used twice:

* before the plan, :func:`plan_checks` (called by :func:`capacity.demand.run_demand`)
  checks the *existing* seats per zone and year against the enrolment targets
  (``plan_checks.csv``): where the city falls short today;
* after the plan, :func:`check_targets` checks the plan (its counts, its seats
  ready by the target year) against every target T1–T15 (``summary.json``
  ``targets``, the report's first table).

The seat ratios (T5, T7, T10) are defined once, in :data:`RATIO_RULES`, and
computed by one function (:func:`seat_ratio`) in both uses.

After the plan

Each check returns ``{id, target, value, met, note}`` (plus ``threshold``,
``unit`` and ``note_parts``); ``met`` is True, False, or None when the data
cannot tell. ``note`` is the English text (kept in ``summary.json`` as it
always was); ``note_parts`` says the same as phrase keys and fields
(:data:`NOTES_EN`), which the report translates with its catalogue
(:mod:`capacity.report.i18n` holds every key in zh and en; this layer does not
import the report).
Checks are registered in :data:`CHECKS` (``{id: function}``), each a function
of one :class:`TargetInputs`. Thresholds come from the data folder's standards
(``enrolment_target``) and the scenario (plan totals, zone rules,
``demand.public_share``, ``demand.general_share``, ``demand.special_threshold``),
so another city's plan is another data folder and scenario, not new code.

The year checked is the plan's target year: the first evaluation year
(T20: "targets checked for 2025").

Rules
-----
T1–T4  schools counted as the scenario's ``totals_action`` says (``new``,
       ``expand`` or ``any``), compared with ``plan.totals`` by ``totals_mode``.
T5     kindergarten seats ≥ target × children of the kindergarten ages, in
       every zone and in the city (both must hold).
T6     public/inclusive kindergarten seats ÷ all kindergarten seats. Without
       an ``inclusive``/``public`` column in the schools layer the existing
       seats are assumed public/inclusive in the share ``demand.public_share``
       and every new kindergarten is public (stated in the note).
T7     primary + middle seats ≥ target × children of ages 6–14, city-wide;
       zones below the target are named in the note.
T9     every zone with a base population above ``special_threshold`` has a
       school of level ``special`` after the plan: existing (carried-over ones
       opening by the last build year), or new in the plan (the ``special`` level
       builds one where a zone lacks it, :mod:`capacity.demand.special`).
T10    high-stage places = general high-school seats ÷ ``general_share``
       (vocational places assumed in the same proportion as today) ≥ target ×
       children of ages 15–17, city-wide.
T14    school grades (一级高(完)中) are not in the data: not assessable; the
       proxy "every county has a general high school (existing or planned,
       ready by the target year)" is reported as ``T14-proxy``.
T15    the scenario's zone rules for exclave zones (Mohan: 1 new kindergarten,
       1 new high school, 1 expanded primary school), counted in ``plan.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from capacity import LEVELS

LABELS = {"kindergarten": "kindergartens", "primary": "primary schools",
          "middle": "junior middle schools", "high": "high schools"}

NOTES_EN = {
    "tn_no_total": "the scenario sets no total for this level",
    "tn_total": "{n} planned ({new} new, {expanded} expanded)",
    "tn_ratio": "{year}, seats after the plan ÷ {basis}; checked for {scope}.",
    "tn_basis_projection": "children of the age band (projection)",
    "tn_basis_pupils": "pupils needing a seat (school_age.csv missing: projection tables not in the run folder)",
    "tn_scope_zones": "every zone and the city",
    "tn_scope_city": "the city",
    "tn_below": " Below target: {zones}.",
    "tn_every_zone": " Every zone meets it.",
    "tn_places": " Places = general seats ÷ general_share {divide:.3f} "
                 "(assumption: vocational places in today's proportion).",
    "tn_t6_flag": "{year}: existing seats flagged '{flag}' in the schools layer; new kindergartens are public",
    "tn_t6_assumed": "{year}: assumption (no public/inclusive flag in the data): {share:.0%} of existing "
                     "kindergarten seats are public or inclusive (demand.public_share); "
                     "every new kindergarten is public",
    "tn_t9": "{have} of {zones} zones over {limit:,.0f} people have a special-education school",
    "tn_lacking": "; lacking: {zones}",
    "tn_t9_new": "; {new} of them new in the plan",
    "tn_t14": "not assessable from the data: the schools layer has no school grades",
    "tn_t14_proxy": "{year}, existing or planned: {have} of {counties} counties",
    "tn_t15_none": "no zone rules for exclave zones in the scenario",
    "tn_t15_rule": "{sep}{zone}: {n} {what} {level} (min {min}{max})",
    "tn_t15_max": ", max {max}",
    "tn_sep": "; ",
    "tn_what_new": "new",
    "tn_what_expand": "expanded",
    "tn_what_any": "new or expanded",
}
"""English phrases of the checks' notes, by key: a note is a list of parts ``{"key", "args"}``
joined without separator; an argument may itself be a part (translated in turn) or
``{"level": name}`` (a school level). The report's catalogue holds the same keys in zh and en."""


def part(key: str, **args) -> dict:
    """One part of a note: a phrase key of :data:`NOTES_EN` and its fields."""
    return {"key": key, "args": args}


def note_text(parts) -> str:
    """The English text of a note's parts (the ``note`` field)."""
    def arg(v):
        if isinstance(v, dict) and "key" in v:
            return note_text([v])
        if isinstance(v, dict) and "level" in v:
            return str(v["level"])
        return v
    return "".join(NOTES_EN[p["key"]].format(**{k: arg(v) for k, v in p["args"].items()}) for p in parts)


@dataclass(frozen=True)
class TargetInputs:
    """What the checks read.

    Attributes
    ----------
    plan : DataFrame
        ``plan.csv``.
    zone_balance : DataFrame
        ``zone_id, level, year, demand, seats, unserved, balance`` [pupils].
    persons : DataFrame or None
        ``zone_id, year, level, persons``: children of each level's age band
        [persons]; None when the projection tables are missing (the checks
        then compare with the pupils needing a seat, and say so).
    scenario : dict
        ``scenario.json``.
    zones : DataFrame
        ``zone_id, name_local, name_en, kind``.
    base_population : Series
        Base-year population per zone_id [persons].
    schools : DataFrame
        Existing schools ``school_id, level, zone_id, seats`` (optional ``inclusive``/``public``).
    enrolment_target : mapping of str to float
        Seats per child per level [share] (the standards' ``enrolment_target``).
    """

    plan: pd.DataFrame
    zone_balance: pd.DataFrame
    persons: pd.DataFrame | None
    scenario: dict
    zones: pd.DataFrame
    base_population: pd.Series
    schools: pd.DataFrame
    enrolment_target: Mapping[str, float]

    @property
    def year(self) -> int:
        years = self.scenario.get("plan", {}).get("evaluation_years") or sorted(self.zone_balance["year"])
        return int(years[0])

    def demand_param(self, name, default):
        value = (self.scenario.get("demand") or {}).get(name)
        return default if value is None else value

    def zone_name(self, zone_id) -> str:
        z = self.zones.set_index("zone_id")
        if zone_id in z.index:
            row = z.loc[zone_id]
            return f"{row['name_local']} ({row['name_en']})"
        return str(zone_id)


def check(id_, target, value, met, note=(), threshold=None, unit=""):
    """One check as a JSON-ready dict; ``note`` is a list of :func:`part` (or a plain English text)."""
    if isinstance(value, (np.floating, float)):
        value = None if not np.isfinite(value) else float(value)
    parts = [] if isinstance(note, str) else list(note)
    return {"id": id_, "target": target, "value": value,
            "met": None if met is None else bool(met), "note": note if isinstance(note, str) else note_text(parts),
            "note_parts": parts, "threshold": threshold, "unit": unit}


def _count(plan, level, action, zone=None, year=None):
    p = plan[plan["level"] == level]
    if action != "any":
        p = p[p["action"] == action]
    else:  # "new or expanded": closures and conversions (issue 13) are not schools built
        p = p[p["action"].isin(("new", "expand"))]
    if zone is not None:
        p = p[p["zone_id"].astype(str) == str(zone)]
    if year is not None:
        p = p[p["open_year"] == year]
    return int(len(p))


def _total_check(id_, level):
    def run(inp: TargetInputs):
        plan = inp.scenario.get("plan", {})
        action = (plan.get("totals_action") or {}).get(level, "new")
        wanted = (plan.get("totals") or {}).get(level)
        n = _count(inp.plan, level, action)
        what = {"new": "new", "expand": "expanded", "any": "new or expanded"}[action]
        label = f"{what} {LABELS[level]}"
        if wanted is None:
            return [check(id_, label, n, None, [part("tn_no_total")], unit="schools")]
        mode = plan.get("totals_mode", "exact")
        met = {"exact": n == wanted, "at_most": n <= wanted, "at_least": n >= wanted}[mode]
        sign = {"exact": "=", "at_most": "≤", "at_least": "≥"}[mode]
        return [check(id_, f"{label} {sign} {wanted}", n, met,
                      [part("tn_total", n=n, new=_count(inp.plan, level, "new"),
                            expanded=_count(inp.plan, level, "expand"))], threshold=wanted, unit="schools")]
    return run


def _persons(inp: TargetInputs, levels):
    """Children of ``levels``' age bands per zone in the target year, and what was used."""
    if inp.persons is not None and not inp.persons.empty:
        p = inp.persons[(inp.persons["year"] == inp.year) & inp.persons["level"].isin(levels)]
        return p.groupby(p["zone_id"].astype(str))["persons"].sum(), part("tn_basis_projection")
    b = inp.zone_balance[(inp.zone_balance["year"] == inp.year) & inp.zone_balance["level"].isin(levels)]
    return b.groupby(b["zone_id"].astype(str))["demand"].sum(), part("tn_basis_pupils")


def _seats(inp: TargetInputs, levels):
    b = inp.zone_balance[(inp.zone_balance["year"] == inp.year) & inp.zone_balance["level"].isin(levels)]
    return b.groupby(b["zone_id"].astype(str))["seats"].sum()


def seat_ratio(seats, persons, divide=1.0):
    """Seats (÷ ``divide``) per person, where there are persons [share]; NaN elsewhere.

    The one formula of the ratio targets (T5, T7, T10), before and after the plan.
    """
    return seats / divide / persons.where(persons > 0)


def _ratios(inp, levels, divide=1.0):
    persons, basis = _persons(inp, levels)
    seats = _seats(inp, levels).reindex(persons.index, fill_value=0.0) / divide
    zones = seat_ratio(seats, persons).dropna()
    city = float(seats.sum() / persons.sum()) if persons.sum() > 0 else float("nan")
    return zones, city, basis


def _below(inp, zones, threshold):
    low = zones[zones < threshold - 1e-12]
    return ", ".join(f"{inp.zone_name(z)} {v:.1%}" for z, v in low.items())


@dataclass(frozen=True)
class RatioRule:
    """A seat-ratio target: seats of ``levels`` ÷ ``divide_param`` per child ≥ the ``target_level``'s
    enrolment target (``per_zone``: in every zone too, not only city-wide)."""

    name: str
    label: str
    levels: tuple
    target_level: str
    per_zone: bool
    divide_param: str | None = None


RATIO_RULES: Mapping[str, RatioRule] = {
    "T5": RatioRule("preschool_gross_enrolment", "kindergarten seats ÷ children aged 3–5", ("kindergarten",),
                    "kindergarten", per_zone=True),
    "T7": RatioRule("compulsory_consolidation", "compulsory seats ÷ children aged 6–14", ("primary", "middle"),
                    "primary", per_zone=False),
    "T10": RatioRule("high_school_gross_enrolment", "high-stage places ÷ children aged 15–17", ("high",), "high",
                     per_zone=False, divide_param="general_share"),
}
"""The ratio targets, shared by :func:`plan_checks` (before) and :func:`check_targets` (after)."""


def _ratio_check(id_):
    rule = RATIO_RULES[id_]

    def run(inp: TargetInputs):
        divide = inp.demand_param(rule.divide_param, 1.0) if rule.divide_param else 1.0
        threshold = float(inp.enrolment_target[rule.target_level])
        zones, city, basis = _ratios(inp, list(rule.levels), divide)
        low = _below(inp, zones, threshold)
        met = city >= threshold - 1e-12 and (not rule.per_zone or not low)
        scope = part("tn_scope_zones" if rule.per_zone else "tn_scope_city")
        note = [part("tn_ratio", year=inp.year, basis=basis, scope=scope),
                part("tn_below", zones=low) if low else part("tn_every_zone")]
        if rule.divide_param:
            note.append(part("tn_places", divide=float(divide)))
        return [check(id_, f"{rule.label} ≥ {threshold:.0%}", city, met, note, threshold, "share")]
    return run


def t6(inp: TargetInputs):
    share = float(inp.demand_param("public_share", 0.9))
    k = inp.schools[inp.schools["level"] == "kindergarten"]
    new = float(inp.plan.loc[(inp.plan["level"] == "kindergarten")
                             & (inp.plan["ready_year"] <= inp.year), "seats"].sum())
    flag = next((c for c in ("inclusive", "public") if c in k.columns), None)
    if flag:
        public = float(k.loc[k[flag].astype(bool), "seats"].sum())
        note = part("tn_t6_flag", year=inp.year, flag=flag)
    else:
        public = float(k["seats"].sum()) * share
        note = part("tn_t6_assumed", year=inp.year, share=share)
    total = float(k["seats"].sum()) + new
    value = (public + new) / total if total > 0 else float("nan")
    out = check("T6", f"inclusive kindergarten seats ≥ {share:.0%}", value,
                value >= share - 1e-12, [note], share, "share")
    if not flag:  # rests on demand.public_share alone: the report shows "assumed, not assessed"
        out["basis"] = "assumption"
    return [out]


def t9(inp: TargetInputs):
    from capacity.demand.special import SPECIAL, schools_by_zone

    limit = float(inp.demand_param("special_threshold", 200_000.0))
    big = inp.base_population[inp.base_population > limit]
    build = (inp.scenario.get("plan") or {}).get("build_years") or [inp.year]
    have = schools_by_zone(inp.schools, inp.plan, int(max(build)))
    lacking = [z for z in big.index.astype(str) if have.get(z, 0) < 1]
    value = len(big) - len(lacking)
    note = [part("tn_t9", have=value, zones=len(big), limit=limit)]
    new = inp.plan[(inp.plan["level"] == SPECIAL) & (inp.plan["action"] == "new")] if len(inp.plan) else inp.plan
    if len(new):
        note.append(part("tn_t9_new", new=len(new)))
    if lacking:
        note.append(part("tn_lacking", zones=", ".join(inp.zone_name(z) for z in lacking)))
    return [check("T9", f"special-education school in every county > {limit:,.0f} people",
                  value / len(big) if len(big) else 1.0, not lacking, note, 1.0, "share of zones")]


def t14(inp: TargetInputs):
    counties = inp.zones[inp.zones["kind"] == "county"]["zone_id"].astype(str)
    have = set(inp.schools.loc[inp.schools["level"] == "high", "zone_id"].astype(str))
    have |= set(inp.plan.loc[(inp.plan["level"] == "high") & (inp.plan["ready_year"] <= inp.year),
                             "zone_id"].astype(str))
    lacking = [z for z in counties if z not in have]
    n = len(counties) - len(lacking)
    return [
        check("T14", "first-class high school (一级高(完)中) in every county", None, None, [part("tn_t14")]),
        check("T14-proxy", "proxy: every county has a general high school", n / max(len(counties), 1),
              not lacking, [part("tn_t14_proxy", year=inp.year, have=n, counties=len(counties))]
              + ([part("tn_lacking", zones=", ".join(inp.zone_name(z) for z in lacking))] if lacking else []),
              1.0, "share of counties"),
    ]


def t15(inp: TargetInputs):
    exclaves = set(inp.zones.loc[inp.zones["kind"] == "exclave", "zone_id"].astype(str))
    rules = [r for r in (inp.scenario.get("plan", {}).get("zone_rules") or [])
             if str(r["zone"]) in exclaves]
    if not rules:
        return [check("T15", "exclave zone rules", None, None, [part("tn_t15_none")])]
    counts, parts, met = [], [], True
    for r in rules:
        n = _count(inp.plan, r["level"], r.get("action", "any"), r["zone"], r.get("year"))
        ok = n >= (r.get("min") or 0) and (r.get("max") is None or n <= r["max"])
        met &= ok
        counts.append(str(n))
        parts.append(part("tn_t15_rule", sep=part("tn_sep") if parts else "", zone=inp.zone_name(str(r["zone"])), n=n,
                          what=part("tn_what_" + r.get("action", "any")), level={"level": r["level"]},
                          min=r.get("min") or 0,
                          max="" if r.get("max") is None else part("tn_t15_max", max=r["max"])))
    want = "+".join(str(r.get("min") or 0) for r in rules)
    return [check("T15", f"exclave zone rules {want}", "+".join(counts), met, parts,
                  want, "schools")]


CHECKS: dict[str, Callable[[TargetInputs], list]] = {
    "T1": _total_check("T1", "kindergarten"),
    "T2": _total_check("T2", "primary"),
    "T3": _total_check("T3", "middle"),
    "T4": _total_check("T4", "high"),
    "T5": _ratio_check("T5"),
    "T6": t6,
    "T7": _ratio_check("T7"),
    "T9": t9,
    "T10": _ratio_check("T10"),
    "T14": t14,
    "T15": t15,
}


def check_targets(inp: TargetInputs, ids=None) -> list[dict]:
    """Run the registered checks (all, or ``ids``) in order."""
    out = []
    for id_ in ids or CHECKS:
        out.extend(CHECKS[id_](inp))
    return out


def target_inputs(plan, zone_balance, persons, scenario: dict, city) -> TargetInputs:
    """:class:`TargetInputs` of a plan.

    Parameters
    ----------
    plan, zone_balance : DataFrame
        The run's tables (:mod:`capacity.io.schema`).
    persons : DataFrame or None
        ``zone_id, year, level, persons``: children of each level's age band (the
        projection's ``school_age``); None: compare with the pupils needing a seat.
    scenario : dict
        :meth:`capacity.scenario.Scenario.to_dict` (as in ``scenario.json``).
    city : CityData
    """
    if persons is not None:
        persons = persons.assign(zone_id=persons["zone_id"].astype(str))
        persons = persons[persons["level"].isin(LEVELS)]
    return TargetInputs(
        plan=plan, zone_balance=zone_balance, persons=persons,
        scenario=scenario, zones=pd.DataFrame(city.zones.drop(columns="geometry")),
        base_population=city.base_population().rename(index=str),
        schools=pd.DataFrame(city.schools.drop(columns="geometry")),
        enrolment_target={lv: city.standards[lv].enrolment_target for lv in city.standards})


# Before the plan: existing seats per zone and year -------------------------------------------------

COLUMNS = ["check", "zone_id", "year", "value", "target", "met"]
"""Columns of :func:`plan_checks`."""


def _existing_ratio(rule: RatioRule, demand, target, divide=1.0):
    d = demand[demand.level.isin(list(rule.levels))]
    g = d.groupby(["zone_id", "year"], as_index=False)[["seats_existing", "persons"]].sum()
    city = g.groupby("year", as_index=False)[["seats_existing", "persons"]].sum().assign(zone_id="city")
    g = pd.concat([g, city], ignore_index=True)
    value = seat_ratio(g.seats_existing, g.persons, divide)
    return pd.DataFrame({"check": rule.name, "zone_id": g.zone_id, "year": g.year,
                         "value": value, "target": target, "met": value >= target - 1e-12})


def plan_checks(demand, schools, zone_population, standards, params) -> pd.DataFrame:
    """Existing seats against the targets, per zone (and ``city``) and year (before the plan).

    One row per check, zone and year:

    * ``preschool_gross_enrolment`` (T5), ``compulsory_consolidation`` (T7),
      ``high_school_gross_enrolment`` (T10): :data:`RATIO_RULES` on the existing
      seats, for the levels ``params`` plans;
    * ``inclusive_kindergarten_share`` (T6): public/inclusive kindergarten seats ÷
      all kindergarten seats ≥ ``public_share``, only if the schools layer has a
      boolean ``inclusive`` (or ``public``) column;
    * ``special_education_school`` (T9): special-education schools in a zone of
      more than ``special_threshold`` people ≥ 1.

    Parameters
    ----------
    demand : DataFrame
        From :func:`~capacity.demand.seats.zone_demand` (``seats_existing``, ``persons``).
    schools : DataFrame
        Existing schools (``zone_id, level, seats``, optional ``inclusive``).
    zone_population : DataFrame
        ``zone_id, year, persons`` totals [persons].
    standards : Standards
    params : DemandParams

    Returns
    -------
    DataFrame
        :data:`COLUMNS` (``value`` a share, or a count of schools for T9).
    """
    def target(level):
        return params.enrolment_targets.get(level, standards[level].enrolment_target)

    parts = []
    for id_, rule in RATIO_RULES.items():
        if set(rule.levels) <= set(params.levels):
            divide = (getattr(params, rule.divide_param) or 1.0) if rule.divide_param else 1.0
            parts.append(_existing_ratio(rule, demand, target(rule.target_level), divide))
    s = pd.DataFrame(schools.drop(columns="geometry", errors="ignore"))
    flag = next((c for c in ("inclusive", "public") if c in s.columns), None)
    years = sorted(demand.year.unique())
    if flag is not None:
        k = s[s.level == "kindergarten"]
        g = k.assign(inc=k.seats * k[flag].astype(bool)).groupby("zone_id")[["inc", "seats"]].sum()
        g.loc["city"] = g.sum()
        value = g.inc / g.seats.where(g.seats > 0)
        parts.append(pd.DataFrame([{"check": "inclusive_kindergarten_share", "zone_id": z, "year": y,
                                    "value": v, "target": params.public_share,
                                    "met": v >= params.public_share} for z, v in value.items() for y in years]))
    from capacity.demand.special import schools_by_zone

    special = schools_by_zone(s)  # existing (before the plan; t9 adds the plan's new schools)
    big = zone_population[zone_population.persons > params.special_threshold]
    big = big.assign(zone_id=big.zone_id.astype(str))
    parts.append(pd.DataFrame({
        "check": "special_education_school", "zone_id": big.zone_id.to_numpy(), "year": big.year.to_numpy(),
        "value": big.zone_id.map(special).fillna(0).to_numpy(float), "target": 1.0,
        "met": big.zone_id.map(special).fillna(0).to_numpy() >= 1}))
    parts = [p for p in parts if len(p)]
    if not parts:  # e.g. a one-level scenario with no zone over the special-school threshold
        return pd.DataFrame({"check": pd.Series(dtype=object), "zone_id": pd.Series(dtype=object),
                             "year": pd.Series(dtype="int64"), "value": pd.Series(dtype=float),
                             "target": pd.Series(dtype=float), "met": pd.Series(dtype=bool)})
    out = pd.concat(parts, ignore_index=True)[COLUMNS]
    return out.sort_values(["check", "zone_id", "year"], kind="stable").reset_index(drop=True)
