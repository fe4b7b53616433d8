"""The radius formulation of the uncapacitated p-median (capacity.optimize.pmedian) against the assignment one."""

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from capacity.errors import DataError, InfeasibleError
from capacity.optimize import SolverOptions, classic, instances, pmedian
from capacity.optimize.core import run_stage

ORLIB = Path(__file__).resolve().parent / "data" / "orlib"
OPTS = SolverOptions(solver="highs", gap_rel=1e-9, threads=1)


def brute_force(cost, p, w=None):
    """Optimum by enumerating every set of p sites (small instances only)."""
    best = np.inf
    for s in combinations(range(cost.shape[1]), p):
        best = min(best, pmedian.plan_cost(cost, list(s), w)[0])
    return best


def random_instance(seed, n=12, m=8, integral=True, forbid=0.0):
    rng = np.random.default_rng(seed)
    xy_c, xy_s = rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, (m, 2))
    cost = np.sqrt(((xy_c[:, None, :] - xy_s[None, :, :]) ** 2).sum(axis=2))
    if integral:
        cost = np.floor(cost)
    if forbid:
        cost[rng.random(cost.shape) < forbid] = np.inf
        cost[np.arange(n), rng.integers(0, m, n)] = 1.0  # every client keeps an allowed site
    w = rng.integers(1, 5, n).astype(float) if integral else rng.uniform(0.5, 3.0, n)
    return cost, w


def test_plan_cost_by_hand():
    cost = np.array([[0, 4, 9], [3, 0, 2], [7, 5, 0]], float)
    obj, d = pmedian.plan_cost(cost, [0, 2], [1, 2, 3])
    assert d.tolist() == [0, 2, 0]
    assert obj == 4.0


def test_levels_and_steps_by_hand():
    # one client, distances 5, 2, 2, 9 to four sites; p = 2 -> the 3rd nearest site (m - p + 1 = 3) closes
    cost = np.array([[5.0, 2.0, 2.0, 9.0]])
    lv = pmedian._Levels.of(cost, 2)
    assert lv.values.tolist() == [2.0, 5.0, 9.0]
    assert lv.final.tolist() == [2]  # step of distance 5
    # site 0 (distance 5) open: the step before it (distance 2, global step 0) must be kept
    assert lv.needed(np.array([1.0, 0, 0, 1.0])).tolist() == [0]
    # a nearest site open: nothing to keep
    assert lv.needed(np.array([0, 1.0, 0, 1.0])).tolist() == []
    # half of a nearest site and half of site 0: still step 0 (the covered share is below 1 until distance 5)
    assert lv.needed(np.array([0.5, 0.5, 0, 1.0])).tolist() == [0]


@pytest.mark.parametrize("steps", ["full", "needed"])
def test_radius_model_charges_a_plan_exactly(steps):
    cost, w = random_instance(3, n=15, m=9, forbid=0.2)
    p = 3
    plan = [1, 4, 7]
    lv = pmedian._Levels.of(cost, p)
    y = np.zeros(cost.shape[1])
    y[plan] = 1.0
    kept = None
    if steps == "needed":
        kept = np.zeros(lv.values.size, bool)
        kept[lv.needed(y)] = True
    rm = pmedian.build_radius_model(cost, p, w, kept, _levels=lv)
    rm.model.fix_columns(np.arange(cost.shape[1]), y)  # the plan fixed: an LP in z
    r, x = run_stage(rm.model, "d", OPTS, rm.coef)
    assert r.objective + rm.constant == pytest.approx(pmedian.plan_cost(cost, plan, w)[0])
    # and the MIP start of the plan is feasible with the same value
    _, dist = pmedian.plan_cost(cost, plan, w)
    start = rm.start_values(plan, dist)
    assert rm.coef @ start + rm.constant == pytest.approx(pmedian.plan_cost(cost, plan, w)[0])


def test_reduced_model_is_a_relaxation():
    cost, w = random_instance(5, n=20, m=10)
    p = 3
    lv = pmedian._Levels.of(cost, p)
    kept = np.zeros(lv.values.size, bool)  # no steps but the closing ones
    rm = pmedian.build_radius_model(cost, p, w, kept, _levels=lv)
    r, _ = run_stage(rm.model, "d", OPTS, rm.coef)
    assert r.objective + rm.constant <= brute_force(cost, p, w) + 1e-9


@pytest.mark.parametrize("seed,integral,forbid,p", [(0, True, 0.0, 2), (1, True, 0.3, 3), (2, False, 0.0, 3),
                                                    (3, False, 0.25, 4), (4, True, 0.0, 1), (5, True, 0.0, 8)])
def test_radius_equals_assignment_and_enumeration(seed, integral, forbid, p):
    cost, w = random_instance(seed, n=14, m=8, integral=integral, forbid=forbid)
    opt = brute_force(cost, p, w)
    rad = classic.solve_p_median(cost, p, w, formulation="radius", options=OPTS)
    asg = classic.solve_p_median(cost, p, w, formulation="assignment", options=OPTS)
    auto = classic.solve_p_median(cost, p, w, options=OPTS)
    for r in (rad, asg, auto):
        assert r.status == "optimal"
        assert r.objective == pytest.approx(opt, rel=1e-9)
        assert r.best_bound <= r.objective + 1e-9
        assert len(r.medians) == p
        assert pmedian.plan_cost(cost, r.medians, w)[0] == pytest.approx(r.objective)
    assert rad.formulation == auto.formulation == "radius" and asg.formulation == "assignment"
    # each client goes to its nearest open site
    assert np.allclose(cost[np.arange(cost.shape[0]), rad.assignment], cost[:, rad.medians].min(axis=1))


def test_heuristic_is_deterministic_and_a_local_optimum():
    cost, w = random_instance(7, n=30, m=15)
    p = 4
    a = pmedian.heuristic(cost, p, w)
    assert a.tolist() == pmedian.heuristic(cost, p, w).tolist()
    assert len(set(a.tolist())) == p
    obj = pmedian.plan_cost(cost, a, w)[0]
    for k in range(p):  # no single swap improves it
        for j in set(range(15)) - set(a.tolist()):
            s = a.copy()
            s[k] = j
            assert pmedian.plan_cost(cost, s, w)[0] >= obj - 1e-9
    with pytest.raises(DataError, match="distinct"):
        pmedian.heuristic(cost, p, w, start=[0, 0, 1, 2])


def test_bad_input_is_a_clear_error():
    cost = np.array([[0.0, 1.0], [np.inf, np.inf]])
    with pytest.raises(DataError, match="client 1"):
        classic.solve_p_median(cost, 1)
    with pytest.raises(DataError, match="p must be"):
        classic.solve_p_median(np.ones((3, 2)), 3)
    with pytest.raises(DataError, match="negative"):
        classic.solve_p_median(-np.ones((3, 2)), 1)
    with pytest.raises(DataError, match="weights"):
        classic.solve_p_median(np.ones((3, 2)), 1, [1.0, 2.0])
    with pytest.raises(ValueError, match="formulation"):
        classic.solve_p_median(np.ones((3, 2)), 1, formulation="covering")


def test_pmed1_both_formulations_reach_the_published_optimum():
    inst = instances.read_pmed(ORLIB / "pmed1.txt")
    known = instances.read_pmed_optima(ORLIB / "pmedopt.txt")["pmed1"]
    rad = classic.solve_p_median(inst.cost, inst.p, options=OPTS)
    asg = classic.solve_p_median(inst.cost, inst.p, formulation="assignment", options=OPTS)
    assert rad.status == asg.status == "optimal"
    assert rad.objective == asg.objective == known == 5819
    assert rad.best_bound == 5819
    assert rad.n_variables < asg.n_variables / 5  # the radius model is much smaller


@pytest.mark.slow
def test_pmed6_radius_reaches_the_published_optimum():
    inst = instances.read_pmed(ORLIB / "pmed6.txt")
    r = classic.solve_p_median(inst.cost, inst.p, options=OPTS)
    assert r.status == "optimal"
    assert r.objective == instances.read_pmed_optima(ORLIB / "pmedopt.txt")["pmed6"] == 7824
    assert 0 < r.sites_kept < 200  # the LP did not prove it; reduced-cost fixing left fewer sites to the MILP


def test_time_limit_returns_the_best_plan_with_an_honest_bound():
    cost, w = random_instance(11, n=40, m=20)
    r = pmedian.solve_radius(cost, 4, w, SolverOptions(time_limit=1e-9, threads=1))
    assert r.status == "feasible"  # no time for any LP: the heuristic plan, no bound
    assert r.objective == pmedian.plan_cost(cost, r.medians, w)[0] == r.heuristic_objective
    assert r.best_bound == -np.inf and r.gap == np.inf
    full = pmedian.solve_radius(cost, 4, w, OPTS)
    assert full.objective <= r.objective


def test_progress_reports_each_phase():
    cost, w = random_instance(12, n=30, m=15)
    said = []
    pmedian.solve_radius(cost, 3, w, OPTS, progress=said.append)
    assert said[0].startswith("heuristic") and any(s.startswith("LP bound") for s in said)


@pytest.mark.parametrize("formulation", ["radius", "assignment"])
def test_no_plan_serves_everyone_is_an_infeasible_error(formulation):
    inf = np.inf
    # clients 0 and 1 may each use only their own site, but p = 1
    cost = np.array([[1.0, inf, 3.0], [inf, 2.0, inf]])
    with pytest.raises(InfeasibleError):
        classic.solve_p_median(cost, 1, formulation=formulation, options=OPTS)
