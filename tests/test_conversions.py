"""Conversions that are real decisions (issue 13, item 2), by hand.

Nursery places: a kindergarten's seats become 2/3 as many nursery places; the
objective credits the avoided cost of a place up to the zone's unmet need.
Level conversions: a closed primary school becomes a kindergarten on the same
place, opening after the kindergarten's lag. Weights: distance 1e-3 per
pupil·m, cost 1e-6 per CNY, unserved 1e6 per pupil (first year), no discount.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from capacity.optimize import solve
from capacity.optimize.conversions import link_order, nursery_need, zone_population
from capacity.optimize.problem import (Arcs, Closures, Facilities, LevelProblem, Operating, Options, Problem,
                                       ProblemError, Units, Weights)
from capacity.optimize.problem_conversions import LevelConversion, NurseryCredit
from capacity.optimize.solvers import SolverOptions

W = Weights(unserved=1e6, distance=1e-3, cost=1e-6, year_discount=1.0)
OPTS = SolverOptions(solver="highs", msg=False, gap_rel=1e-9)
RATIO = 20.0 / 30.0  # a 托班 of 20 in a kindergarten room of 30


def kindergartens(need=100.0, cny_per_place=20_000.0, n_convertible=1, convert_cny=0.6e6):
    """Zone z: 100 children, A (1 km, 200 seats) keeps them; B (and C) 200 seats each, may convert
    to 133.3 nursery places for ``convert_cny``; no running costs (a closure alone saves nothing)."""
    ids = ["A", "B", "C"][: 1 + n_convertible]
    n = len(ids)
    conv = np.array([False] + [True] * n_convertible)
    seats = np.full(n, 200.0)
    lv = LevelProblem(
        name="kindergarten", units=Units(demand=np.full((1, 2), 100.0), zone=["z"]),
        facilities=Facilities(seats=seats, existing=np.ones(n, bool), zone=["z"] * n, ids=ids),
        options=Options(facility=np.zeros(0, int), seats=np.zeros(0), cost_cny=np.zeros(0)),
        arcs=Arcs(unit=np.zeros(n, int), facility=np.arange(n), distance=1000.0 * np.arange(1, n + 1)),
        closures=Closures(closable=np.zeros(n, bool), convertible=conv, convert_cost_cny=np.full(n, convert_cny),
                          convert_to="nursery",
                          nursery=NurseryCredit(places=seats * RATIO, zone=["z"], need_places=[need],
                                                cny_per_place=cny_per_place)))
    return Problem(levels=(lv,), years=np.array([2026, 2027]), build_years=np.array([2026, 2027]), weights=W)


def test_a_surplus_kindergarten_converts_to_nursery_places_when_the_credit_pays():
    # B: 133.3 places, need 100 -> credit 100 x 20,000 = 2.0e6 against 0.6e6 of works
    sol = solve(kindergartens(), OPTS)
    conv = sol.opened[sol.opened["kind"] == "convert"]
    assert list(conv["facility"]) == ["B"] and list(conv["open_year"]) == [2026]
    assert conv["label"].iloc[0] == "to nursery"
    assert sol.report.objective_parts["cost"] == pytest.approx(0.6e6 - 2.0e6)
    assert sol.unserved.empty


def test_no_conversion_without_unmet_need():
    sol = solve(kindergartens(need=0.0), OPTS)
    assert sol.opened.empty
    # nor when the credit is smaller than the works: 20 places x 20,000 = 0.4e6 < 0.6e6
    sol = solve(kindergartens(need=20.0), OPTS)
    assert sol.opened.empty


def test_the_credit_stops_at_the_need():
    # B and C could both convert (266.7 places), the need is 100: one conversion only
    sol = solve(kindergartens(n_convertible=2), OPTS)
    conv = sol.opened[sol.opened["kind"] == "convert"]
    assert len(conv) == 1
    assert sol.report.objective_parts["cost"] == pytest.approx(0.6e6 - 2.0e6)
    # a need of 200 places pays for both: 133.3 + 66.7 places credited
    sol = solve(kindergartens(need=200.0, n_convertible=2), OPTS)
    assert (sol.opened["kind"] == "convert").sum() == 2
    assert sol.report.objective_parts["cost"] == pytest.approx(1.2e6 - 200 * 20_000.0)


def test_a_nursery_conversion_that_pupils_need_is_not_made():
    # 500 children: A's, B's and C's 600 seats are all needed; converting B would leave 100 unserved
    p = kindergartens(n_convertible=2)
    lv = p.levels[0]
    p = dataclasses.replace(p, levels=(dataclasses.replace(lv, units=Units(demand=np.full((1, 2), 500.0),
                                                                           zone=["z"])),))
    sol = solve(p, OPTS)
    assert sol.opened.empty and sol.unserved.empty


def test_nursery_need_from_population_and_rates():
    pop = pd.DataFrame({"zone_id": ["a", "a", "b", "b"], "year": [2020, 2023, 2020, 2030],
                        "measure": ["census", "year_end", "year_end", "year_end"],
                        "persons": [900_000, 1_000_000, 200_000, 300_000]})
    residents = zone_population(pop, 2025)
    assert residents.to_dict() == {"a": 1_000_000.0, "b": 200_000.0}
    need = nursery_need(residents, 4.5, 2.03)
    assert need["a"] == pytest.approx(2470.0) and need["b"] == pytest.approx(494.0)
    assert nursery_need(residents, 2.0, 2.5).max() == 0.0   # more places than the target: no need


def primary_to_kindergarten(running_primary=1.0e6, lag=1, cost_per_seat=1000.0, kg_site=False):
    """Zone z. Primary: 100 pupils, P1 (1 km, 400 seats) and P2 (1.5 km, 300 seats, 10 classes), P2 closable.
    Kindergarten: 60 children with no kindergarten within reach; P2's place may become a kindergarten
    of 10 classes x 30 = 300 seats for 300 x ``cost_per_seat`` (and, with ``kg_site``, a new site
    for 90 seats costs 20e6)."""
    years = np.array([2026, 2027])
    prim = LevelProblem(
        name="primary", units=Units(demand=np.full((1, 2), 100.0), zone=["z"]),
        facilities=Facilities(seats=[400.0, 300.0], existing=[True, True], zone=["z", "z"], ids=["P1", "P2"]),
        options=Options(facility=np.zeros(0, int), seats=np.zeros(0), cost_cny=np.zeros(0)),
        arcs=Arcs(unit=[0, 0], facility=[0, 1], distance=[1000.0, 1500.0]),
        closures=Closures(closable=np.array([False, True]), convertible=np.zeros(2, bool),
                          convert_cost_cny=np.zeros(2)),
        operating=Operating(school_cny=np.full(2, running_primary)))
    fac = dict(seats=[0.0], existing=[False], zone=["z"], ids=["P2"], converted=[True])
    opts = dict(facility=[0], seats=[300.0], cost_cny=[300.0 * cost_per_seat], label=["conversion of a primary school"])
    arcs = dict(unit=[0], facility=[0], distance=[800.0])
    if kg_site:
        fac = {k: v + w for (k, v), w in zip(fac.items(), ([0.0], [False], ["z"], ["S"], [False]))}
        opts = {k: v + w for (k, v), w in zip(opts.items(), ([1], [90.0], [20.0e6], ["3 classes"]))}
        arcs = {k: v + w for (k, v), w in zip(arcs.items(), ([0], [1], [300.0]))}
    kg = LevelProblem(name="kindergarten", units=Units(demand=np.full((1, 2), 60.0), zone=["z"]),
                      facilities=Facilities(**fac), options=Options(**opts), arcs=Arcs(**arcs), lag_years=lag)
    link = LevelConversion(source="primary", target="kindergarten", facility=[1], option=[0])
    return Problem(levels=(prim, kg), years=years, build_years=years, weights=W, conversions=(link,))


@pytest.mark.parametrize("method", ["joint", "by_level"])
def test_a_surplus_primary_school_becomes_the_kindergarten_the_children_lack(method):
    sol = solve(primary_to_kindergarten(), OPTS, method=method)
    op = sol.opened.set_index(["level", "kind"])
    src = op.loc[("primary", "convert")]
    assert src["facility"] == "P2" and src["label"] == "to kindergarten" and src["open_year"] == 2026
    new = op.loc[("kindergarten", "new")]
    assert (new["facility"], new["open_year"], new["ready_year"], new["seats"]) == ("P2", 2026, 2027, 300.0)
    assert new["cost_cny"] == 300_000.0
    a = sol.assignments
    kg = a[a["level"] == "kindergarten"]
    assert list(kg["year"]) == [2027] and set(kg["facility"]) == {"P2"}       # seats only from opening
    assert not ((a["level"] == "primary") & (a["facility"] == "P2")).any()   # no primary pupil from 2026
    assert sol.unserved[["level", "year"]].values.tolist() == [["kindergarten", 2026]]


def test_the_target_cannot_start_before_the_source_school_closes():
    # no running cost for primary: closing P2 saves nothing, so the joint model closes it only for the
    # kindergarten — the link makes the closure and the conversion one decision
    sol = solve(primary_to_kindergarten(running_primary=0.0), OPTS, method="joint")
    assert set(sol.opened["kind"]) == {"convert", "new"}
    # by level the primary level does not close P2 (no value for it), so the kindergarten may not
    # take it: the union stays feasible (no conversion without a closure), the gap shows the loss
    sol = solve(primary_to_kindergarten(running_primary=0.0), OPTS, method="by_level")
    assert sol.opened.empty
    assert sol.unserved["pupils"].sum() == pytest.approx(120.0)
    assert sol.report.gap == pytest.approx(0.5, abs=1e-3)   # bound: the relaxation serves 2027 (60 of 120)


def test_a_conversion_is_not_a_new_school_for_the_plan_totals():
    from capacity.optimize.problem import CountRule

    # "no new kindergarten" (at most 0): the site S stays empty, the conversion of P2 is still allowed
    p = primary_to_kindergarten(kg_site=True)
    p = dataclasses.replace(p, count_rules=(CountRule(level="kindergarten", kind="new", maximum=0),))
    sol = solve(p, OPTS, method="joint")
    new = sol.opened[(sol.opened["level"] == "kindergarten") & (sol.opened["kind"] == "new")]
    assert set(new["facility"]) == {"P2"}


def test_problem_checks_of_conversions():
    with pytest.raises(ProblemError):
        LevelConversion(source="primary", target="primary", facility=[0], option=[0])
    with pytest.raises(ProblemError):
        NurseryCredit(places=[1.0], zone=["a", "b"], need_places=[1.0])
    with pytest.raises(ProblemError):
        Facilities(seats=[1.0], existing=[True], zone=["z"], converted=[True])
    assert link_order([("primary", "kindergarten"), ("middle", "primary")]) == ["primary", "kindergarten"]
    with pytest.raises(ValueError):
        link_order([("primary", "kindergarten"), ("kindergarten", "primary")])


# ---------------------------------------------------------------------------
# the tiny city, through the scenario's keys, and verify on the tables
# ---------------------------------------------------------------------------

def tiny_demand(city):
    """Kindergarten: none in zone 100001 (k1's 180 seats idle), 150 per unit in 100002 (k2 has 90 seats);
    primary: 100 per unit in 100001 (p1: 540 seats), none in 100002 (p2's 270 seats idle)."""
    rows = []
    for unit, zone in zip(city.demand_units["unit_id"], city.demand_units["zone_id"]):
        for year in (2025, 2030):
            rows.append((unit, "kindergarten", year, 0.0 if zone == "100001" else 150.0))
            rows.append((unit, "primary", year, 100.0 if zone == "100001" else 0.0))
    return pd.DataFrame(rows, columns=["unit_id", "level", "year", "pupils"])


TINY_PLAN = dict(build_years=(2023, 2024, 2025), evaluation_years=(2025, 2030), totals_mode="at_most",
                 levels=("kindergarten", "primary"), lag_years_by_level={"kindergarten": 1, "primary": 1},
                 closure_levels=("kindergarten", "primary"), max_closures_per_zone_year=2,
                 conversions={"kindergarten": "nursery"}, conversion_cost_cny_per_seat={"kindergarten": 3000.0},
                 level_conversions={"primary": "kindergarten"},
                 level_conversion_cost_cny_per_seat={"primary": 1000.0},
                 operating_cost_cny_per_school={"kindergarten": 1.0e6, "primary": 2.0e6},
                 nursery_places_per_1000_people=4.5, nursery_existing_places_per_1000_people=2.0,
                 nursery_place_cost_cny=50_000.0)


@pytest.fixture(scope="module")
def tiny(tiny_city_template):
    from capacity.data import load_city
    from capacity.optimize.translate import problem_from_sections
    from capacity.scenario import ObjectiveParams, PlanParams

    city = load_city(tiny_city_template)
    plan = PlanParams(**TINY_PLAN)
    problem, indexes = problem_from_sections(city, tiny_demand(city), plan, ObjectiveParams())
    return city, problem, indexes


def tables(tiny, method):
    from capacity.results import assignment_table, plan_table

    city, problem, indexes = tiny
    sol = solve(problem, OPTS, method=method)
    scen = {"plan": {k: (dict(v) if isinstance(v, dict) else v) for k, v in TINY_PLAN.items()}}
    scen["plan"]["protected_schools"] = ()
    return plan_table(sol, indexes, city.schools), assignment_table(sol), scen, sol


def test_tiny_city_needs_and_conversion_places(tiny):
    city, problem, indexes = tiny
    kg = problem.level("kindergarten")
    # need = residents x (4.5 - 2.0) / 1000: 30,000 -> 75 places, 10,000 -> 25 places
    nur = kg.closures.nursery
    assert dict(zip(nur.zone, nur.need_places)) == pytest.approx({"100001": 75.0, "100002": 25.0})
    assert nur.places[:2] == pytest.approx([120.0, 60.0])           # k1 180 and k2 90 seats x 2/3
    # p2's place (6 classes, land 6000 m² >= 180 x 15) is a kindergarten option of 6 x 30 seats
    (link,) = problem.conversions
    assert (link.source, link.target) == ("primary", "kindergarten")
    prim = problem.level("primary")
    assert list(prim.facilities.ids[link.facility]) == ["p1", "p2"]   # both closable, both with the land
    o = link.option[1]
    assert kg.facilities.ids[kg.options.facility[o]] == "p2" and kg.options.seats[o] == 180.0
    assert kg.options.cost_cny[o] == 270 * 1000.0
    assert indexes["kindergarten"].option_classes[o] == 6


@pytest.mark.parametrize("method", ["joint", "by_level"])
def test_tiny_city_converts_k1_to_nursery_and_p2_to_a_kindergarten(tiny, method):
    from capacity.verify import check_capacity, check_counts, check_shrinking
    from capacity.plan_conversions import nursery_credit
    from capacity.verify import check_conversions

    city, problem, indexes = tiny
    plan, assign, scen, sol = tables(tiny, method)
    conv = plan[plan["action"] == "convert"].set_index("site_id")
    assert conv.loc["k1", "convert_to"] == "nursery" and conv.loc["p2", "convert_to"] == "kindergarten"
    new_kg = plan[(plan["level"] == "kindergarten") & (plan["site_id"] == "p2")].iloc[0]
    assert new_kg["action"] == "new" and new_kg["seats"] == 180.0 and new_kg["size_classes"] == 6
    assert new_kg["start_year"] >= conv.loc["p2", "open_year"]
    credit = nursery_credit(plan, scen, city).set_index("zone_id")
    assert credit.loc["100001", "places"] == pytest.approx(120.0)
    assert credit.loc["100001", "credited_places"] == pytest.approx(75.0)   # capped by the need
    for check in (check_conversions(plan, assign, scen, city), check_shrinking(plan, assign, scen, city),
                  check_capacity(plan, assign, city), check_counts(plan, {"plan": {**scen["plan"], "totals": {},
                                                                                   "zone_rules": []}})):
        assert check.ok, check


def test_verify_catches_a_tampered_conversion(tiny):
    from capacity.verify import check_conversions, check_shrinking

    city, problem, indexes = tiny
    plan, assign, scen, sol = tables(tiny, "joint")
    at = (plan["level"] == "kindergarten") & (plan["site_id"] == "p2")
    year = int(plan.loc[(plan["site_id"] == "p2") & (plan["action"] == "convert"), "open_year"].iloc[0])
    # the kindergarten started before the primary school closed
    early = plan.copy()
    early.loc[(early["site_id"] == "p2") & (early["action"] == "convert"), "open_year"] = year + 1
    early.loc[at, "open_year"] = year
    assert not check_conversions(early, assign, scen, city).ok
    # a primary pupil left at p2 after its conversion
    stay = pd.concat([assign, pd.DataFrame({"unit_id": ["u5"], "school_id": ["p2"], "level": ["primary"],
                                            "year": [2030], "pupils": [1.0], "distance_m": [1118.0]})])
    res = check_conversions(plan, stay, scen, city)
    assert not res.ok and "old level" in res.detail
    assert not check_shrinking(plan, stay, scen, city).ok
    # kindergarten children at p2 before it opens as a kindergarten
    young = assign.copy()
    k = young.index[(young["school_id"] == "p2") & (young["level"] == "kindergarten")][0]
    young.loc[k, "year"] = 2000
    assert "before they open" in check_conversions(plan, young, scen, city).detail
    # the conversion's new school left out of the plan
    assert not check_conversions(plan[~at], assign, scen, city).ok
    # a conversion the scenario does not allow
    strict = {"plan": {**scen["plan"], "level_conversions": {}}}
    assert "does not allow" in check_conversions(plan, assign, strict, city).detail
    # a second conversion to nursery places in a zone whose need the first already meets
    extra = plan[plan["site_id"] == "k1"].assign(site_id="k9", seats=-90.0)
    res = check_conversions(pd.concat([plan, extra], ignore_index=True), assign, scen, city)
    assert not res.ok and "beyond the unmet need" in res.detail


def test_the_schedule_and_the_summary_show_the_target_level_and_nursery_places(tiny):
    from capacity.report.schedule import schedule_table, schedule_totals
    from capacity.plan_conversions import conversion_summary

    city, problem, indexes = tiny
    plan, assign, scen, sol = tables(tiny, "joint")
    sched = schedule_table(plan, city.zones)
    kg = sched[(sched["level"] == "kindergarten") & (sched["zone_id"] == "100002")]
    assert kg["converted_in"].sum() == 1                    # p2 became a kindergarten
    assert kg["new"].sum() == int(((plan["level"] == "kindergarten") & (plan["action"] == "new")).sum()) - 1
    prim = sched[sched["level"] == "primary"]
    assert prim["convert"].sum() == 1
    assert schedule_totals(sched).iloc[-1]["converted_in"] == 1
    summary = conversion_summary(plan, scen["plan"], city)
    assert summary["by_level"]["primary"]["converted_to"] == {"kindergarten": 1}
    assert summary["by_level"]["kindergarten"]["converted_to"] == {"nursery": 1}
    assert summary["by_level"]["kindergarten"]["converted_in"] == 1
    assert summary["nursery"] == pytest.approx({"conversions": 1, "places": 120.0, "credited_places": 75.0,
                                                "need_places": 75.0})


def test_rollover_carries_a_level_conversion(tiny):
    from capacity.rollover import rollover_tables

    city, problem, indexes = tiny
    plan, assign, scen, sol = tables(tiny, "joint")
    schools, sites, counts = rollover_tables(city.schools, city.candidate_sites, plan, 2026)
    p2 = schools[schools["school_id"] == "p2"]
    assert list(p2["level"]) == ["kindergarten"] and list(p2["seats"]) == [180.0]   # p2 changed level
    assert p2.geometry.iloc[0].equals(city.schools.set_index("school_id").geometry["p2"])
    assert "k1" not in set(schools["school_id"])                                    # converted to nursery places
    c = counts.set_index("level")
    assert (c["existing"] + c["new"] - c["closed"] - c["converted"] == c["next"]).all()


def test_scenario_keys_of_conversions_are_checked():
    from capacity.scenario import PlanParams
    from capacity.scenario_conversions import conversion_cycle

    ok = dict(closure_levels=("primary",), level_conversions={"primary": "kindergarten"},
              level_conversion_cost_cny_per_seat={"primary": 2000.0})
    PlanParams(**ok)
    for bad, word in (({"closure_levels": ()}, "closure_levels"),
                      ({"level_conversion_cost_cny_per_seat": {}}, "level_conversion_cost_cny_per_seat"),
                      ({"level_conversions": {"primary": "primary"}}, "not another level"),
                      ({"nursery_place_cost_cny": -1.0}, "nursery_place_cost_cny")):
        with pytest.raises(ValueError, match=word):
            PlanParams(**{**ok, **bad})
    assert conversion_cycle({"primary": "kindergarten", "kindergarten": "primary"}) == ["primary", "kindergarten"]
    assert conversion_cycle({"primary": "kindergarten", "middle": "primary"}) == []


@pytest.mark.parametrize("method", ["joint", "by_level"])
def test_an_aggregated_solve_keeps_the_level_conversion(tiny, method):
    city, problem, indexes = tiny
    sol = solve(problem, dataclasses.replace(OPTS, aggregate_m=5000.0), method=method)
    op = sol.opened
    assert ((op["level"] == "primary") & (op["kind"] == "convert") & (op["facility"] == "p2")).any()
    assert ((op["level"] == "kindergarten") & (op["kind"] == "new") & (op["facility"] == "p2")).any()


def test_retiming_for_the_budget_keeps_the_conversion_years(tiny):
    from capacity.optimize.budget import retime
    from capacity.optimize.decompose import level_problem

    city, problem, indexes = tiny
    first = {lv.name: solve(level_problem(problem, lv.name), OPTS) for lv in problem.levels}
    sol = retime(dataclasses.replace(problem, budget_cny=np.full(3, 1.0e12)), first, OPTS)
    assert sol is not None
    kg = sol.opened[(sol.opened["level"] == "kindergarten") & (sol.opened["facility"] == "p2")]
    mine = first["kindergarten"].opened
    assert list(kg["open_year"]) == list(mine.loc[mine["facility"] == "p2", "open_year"])
