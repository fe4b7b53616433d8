"""Demand aggregation (capacity.optimize.aggregate) and the exact disaggregation of api.solve."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from capacity.optimize import (Arcs, CountRule, Facilities, LevelProblem, Options, Problem, SolverOptions,
                               Units, Weights, classic, instances, solve)
from capacity.optimize.aggregate import aggregate_problem, unit_groups

ORLIB = Path(__file__).resolve().parent / "data" / "orlib"
EXACT = SolverOptions(gap_rel=1e-9)


@pytest.fixture(scope="module")
def tiny(tiny_problem):
    return tiny_problem


def twin_units(level: LevelProblem) -> LevelProblem:
    """Every unit split into two halves at the same place (same arcs): merges that tolerance 0 must find."""
    u, a = level.units, level.arcs
    n = u.n
    units = Units(demand=np.concatenate([u.demand * 0.25, u.demand * 0.75]),
                  zone=np.concatenate([u.zone, u.zone]))
    arcs = Arcs(unit=np.concatenate([a.unit, a.unit + n]), facility=np.concatenate([a.facility, a.facility]),
                distance=np.concatenate([a.distance, a.distance]))
    return dataclasses.replace(level, units=units, arcs=arcs)


def test_tolerance_zero_is_exact_on_the_tiny_city(tiny):
    twins = dataclasses.replace(tiny, levels=tuple(twin_units(lv) for lv in tiny.levels))
    merged, info = aggregate_problem(twins, 0.0)
    for lv in tiny.levels:  # every twin pair merges (and nothing the distances tell apart)
        assert info[lv.name].units_before == 2 * lv.units.n
        assert info[lv.name].units_after <= lv.units.n
        assert info[lv.name].bound == 0.0
    plain = solve(twins, EXACT, method="joint")
    agg = solve(twins, dataclasses.replace(EXACT, aggregate_m=0.0), method="joint")
    assert agg.report.objective == pytest.approx(plain.report.objective, rel=1e-7)
    assert agg.report.aggregation["bound_objective"] == 0.0
    # the tables are at the original units' resolution
    assert set(agg.assignments["unit"]) <= set(range(2 * tiny.levels[0].units.n))
    assert agg.assignments["pupils"].sum() + agg.unserved["pupils"].sum() == pytest.approx(
        sum(lv.units.demand.sum() for lv in twins.levels))


def test_tolerance_zero_is_exact_on_cap71():
    inst = instances.read_cap(ORLIB / "cap" / "cap71.txt")
    problem = classic.capacitated_facility_location(inst.fixed_cost, inst.capacity, inst.demand,
                                                    inst.allocation_cost)
    twins = dataclasses.replace(problem, levels=(twin_units(problem.levels[0]),))
    sol = solve(twins, SolverOptions(gap_rel=1e-7, aggregate_m=0.0))
    agg = sol.report.aggregation["levels"]["cflp"]
    assert (agg["units_before"], agg["units_after"]) == (2 * inst.demand.size, inst.demand.size)
    assert sol.report.objective == pytest.approx(932615.75, rel=1e-6)  # Beasley's published optimum
    assert sol.report.gap <= 1e-6


def random_problem(seed: int, n_units=60, n_sites=8) -> Problem:
    """Units scattered around a few clusters, sites with capacities: many units nearly interchangeable."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 6000, size=(5, 2))
    xy = centres[rng.integers(0, 5, n_units)] + rng.normal(0, 150, size=(n_units, 2))
    sites = rng.uniform(0, 6000, size=(n_sites, 2))
    dist = np.hypot(*(xy[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    u, f = np.nonzero(dist <= 4000)
    level = LevelProblem(
        name="middle",
        units=Units(demand=rng.uniform(20, 80, size=(n_units, 2)), zone=np.full(n_units, "z")),
        facilities=Facilities(seats=np.r_[np.full(3, 600.0), np.zeros(n_sites - 3)],
                              existing=np.r_[np.ones(3, bool), np.zeros(n_sites - 3, bool)], zone=np.full(n_sites, "z")),
        options=Options(facility=np.arange(3, n_sites), seats=np.full(n_sites - 3, 900.0),
                        cost_cny=np.full(n_sites - 3, 5.0e7)),
        arcs=Arcs(unit=u, facility=f, distance=dist[u, f]))
    return Problem(levels=(level,), years=np.array([2025, 2030]), build_years=np.array([2024, 2025]),
                   count_rules=(CountRule("middle", "new", 2, 2),),
                   weights=Weights(unserved=1000.0, distance=1e-3, cost=1e-6, year_discount=0.5))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_bound_holds_on_a_random_instance(seed):
    problem = random_problem(seed)
    plain = solve(problem, EXACT)
    for tol in (100.0, 300.0, 1000.0):
        groups = unit_groups(problem.levels[0], tol)
        assert groups.max() + 1 < problem.levels[0].units.n  # something merged
        sol = solve(problem, dataclasses.replace(EXACT, aggregate_m=tol))
        b = sol.report.aggregation["bound_objective"]
        assert b > 0
        # the disaggregated plan is at most the bound worse than the aggregated model's optimum ...
        assert sol.report.objective - sol.report.aggregation["aggregated_objective"] <= b + 1e-6
        # ... and the aggregated optimum is within the bound of the true optimum, both ways
        assert abs(sol.report.aggregation["aggregated_objective"] - plain.report.objective) <= b + 1e-6
        assert sol.report.objective >= plain.report.objective - 1e-6
        assert sol.report.best_bound <= plain.report.objective + 1e-6  # the lowered bound stays valid


def test_disaggregation_conserves_pupils_and_respects_capacities():
    problem = random_problem(3)
    sol = solve(problem, dataclasses.replace(EXACT, aggregate_m=500.0))
    lv = problem.levels[0]
    assert sol.report.aggregation["levels"]["middle"]["units_after"] < lv.units.n
    for k, year in enumerate(problem.years):
        a = sol.assignments[sol.assignments["year"] == year]
        s = sol.unserved[sol.unserved["year"] == year]
        per_unit = a.groupby("unit")["pupils"].sum().reindex(range(lv.units.n), fill_value=0.0)
        per_unit += s.groupby("unit")["pupils"].sum().reindex(range(lv.units.n), fill_value=0.0)
        np.testing.assert_allclose(per_unit.to_numpy(), lv.units.demand[:, k], rtol=1e-7)
        seats = lv.facilities.seats.copy()
        built = sol.opened[sol.opened["open_year"] <= year]
        np.add.at(seats, built["facility"].to_numpy(int), built["seats"].to_numpy(float))
        load = a.groupby("facility")["pupils"].sum().reindex(range(lv.facilities.n), fill_value=0.0)
        assert np.all(load.to_numpy() <= seats + 1e-6)


def test_levels_that_cannot_merge_are_left_alone():
    inst = instances.read_pmed(ORLIB / "pmed1.txt")
    problem = classic.capacitated_p_median(inst.cost, inst.p, np.ones(inst.cost.shape[0]), 50.0)
    merged, info = aggregate_problem(problem, 10_000.0)  # single-sourced, sum of distances: never merged
    assert info["cpmp"].units_after == info["cpmp"].units_before
    assert merged.levels[0] is problem.levels[0]


def test_a_negative_tolerance_is_refused(tiny):
    with pytest.raises(ValueError, match="tolerance"):
        unit_groups(tiny.levels[0], -1.0)


def test_a_tiny_run_with_aggregation_passes_verify(tmp_path, capsys):
    import json

    from capacity.cli import main
    from capacity.testing import TINY_SCENARIO, write_tiny_city

    write_tiny_city(tmp_path / "tiny")
    (tmp_path / "tiny.toml").write_text(TINY_SCENARIO + "\n[solver]\naggregate = true\naggregate_tolerance_m = 5000\n",
                                        encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(tmp_path / "tiny.toml"), "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    agg = summary["aggregation"]
    assert any(v["units_after"] < v["units_before"] for v in agg["levels"].values())
    # the aggregated solve's gap (1 %) plus at most twice the bound: the plan may lose it, the bound is lowered by it
    assert summary["gap"] <= 0.01 + 2 * agg["bound_share"] + 1e-9
    assert main(["verify", str(out)]) == 0


def test_closures_and_conversions_are_kept_through_disaggregation():
    """A shrinking system: the aggregated plan's closures and conversions are fixed in the unit-level LP."""
    from capacity.optimize.problem import Closures, Operating

    lv = LevelProblem(
        name="primary",
        units=Units(demand=np.array([[40.0, 40.0], [60.0, 60.0], [30.0, 20.0]]), zone=["z", "z", "z"]),
        facilities=Facilities(seats=[200.0, 200.0, 100.0], existing=[True, True, True], zone=["z"] * 3,
                              ids=["A", "B", "C"]),
        options=Options(facility=np.zeros(0, int), seats=np.zeros(0), cost_cny=np.zeros(0)),
        arcs=Arcs(unit=[0, 0, 0, 1, 1, 1, 2, 2], facility=[0, 1, 2, 0, 1, 2, 0, 2],
                  distance=[1000.0, 2000.0, 3000.0, 1000.0, 2000.0, 3000.0, 500.0, 900.0]),
        closures=Closures(closable=np.array([True, True, True]), convertible=np.array([False, True, False]),
                          convert_cost_cny=np.full(3, 1.0e5), convert_to="nursery places"),
        operating=Operating(school_cny=np.full(3, 1.0e6)))
    problem = Problem(levels=(lv,), years=np.array([2026, 2027]), build_years=np.array([2026, 2027]),
                      weights=Weights(unserved=1e6, distance=1e-3, cost=1e-6, year_discount=1.0))
    plain = solve(problem, EXACT)
    agg = solve(problem, dataclasses.replace(EXACT, aggregate_m=0.0))
    assert agg.report.aggregation["levels"]["primary"]["units_after"] == 2  # units 0 and 1 merge
    assert agg.report.objective == pytest.approx(plain.report.objective, rel=1e-9)
    gone = agg.opened[agg.opened["kind"].isin(["close", "convert"])]
    assert len(gone) >= 1
    assert sorted(zip(gone["facility"], gone["kind"], gone["open_year"])) == sorted(
        zip(*(plain.opened[plain.opened["kind"].isin(["close", "convert"])][c] for c in ("facility", "kind",
                                                                                           "open_year"))))
    # no pupil of the original units sits in a closed school
    served = set(agg.assignments["facility"])
    assert not served & set(gone["facility"])
