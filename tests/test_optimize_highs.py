"""HiGHS given the model's arrays (capacity.optimize.highs) against the PuLP form of the same model."""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from capacity.optimize import LE, SolverOptions, build_model, classic, instances, prepare, solve

ORLIB = Path(__file__).resolve().parent / "data" / "orlib"
DIRECT = SolverOptions(gap_rel=1e-9)
PULP = dataclasses.replace(DIRECT, direct=False)


@pytest.fixture(scope="module")
def tiny(tiny_problem):
    return tiny_problem


def pulp_rows(model):
    """(lower, upper, {col: coef}) of every row of the PuLP form, in row order."""
    index = {v.name: c for c, v in enumerate(model.columns)}
    out = []
    for con in model.prob._constraints.values():  # PuLP 3 and 4 (the public mapping is deprecated)
        lo, up = con.getLb(), con.getUb()
        out.append((-np.inf if lo is None else lo, np.inf if up is None else up,
                    {index[v.name]: a for v, a in con.items()}))
    return out


def test_arrays_are_the_pulp_model(tiny):
    model = build_model(tiny, prepare(tiny))
    assert not model.materialised  # nothing asked for PuLP yet
    lo, up, starts, index, value = model.csr()
    ends = np.r_[starts[1:], index.size]
    rows = pulp_rows(model)
    assert len(rows) == lo.size == model.n_rows > 0
    for r, (plo, pup, coefs) in enumerate(rows):
        assert (plo, pup) == (lo[r], up[r])
        assert coefs == dict(zip(index[starts[r]:ends[r]].tolist(), value[starts[r]:ends[r]].tolist()))
    cats = np.array([v.cat == "Integer" for v in model.columns])
    np.testing.assert_array_equal(cats, model.integer)
    np.testing.assert_array_equal([v.lowBound for v in model.columns], model.lower)
    np.testing.assert_array_equal([np.inf if v.upBound is None else v.upBound for v in model.columns], model.upper)


def test_both_paths_same_plan_on_the_tiny_city(tiny):
    a, b = solve(tiny, DIRECT, method="joint"), solve(tiny, PULP, method="joint")
    assert a.report.status == b.report.status == "optimal"
    assert a.report.objective == pytest.approx(b.report.objective, rel=1e-9)
    pd.testing.assert_frame_equal(a.opened, b.opened)
    # lexicographic (three stages, each started from the last) agrees too
    lex = dataclasses.replace(tiny, objective="lexicographic")
    la, lb = solve(lex, DIRECT), solve(lex, PULP)
    assert [s.objective for s in la.report.stages] == pytest.approx([s.objective for s in lb.report.stages], rel=1e-7)


@pytest.mark.parametrize("name, build", [
    ("pmed1", lambda: classic.p_median(*(lambda i: (i.cost, i.p))(instances.read_pmed(ORLIB / "pmed1.txt")))),
    ("cap71", lambda: (lambda i: classic.capacitated_facility_location(i.fixed_cost, i.capacity, i.demand,
                                                                       i.allocation_cost))(
        instances.read_cap(ORLIB / "cap" / "cap71.txt"))),
])
def test_both_paths_reach_the_published_optimum(name, build):
    optimum = {"pmed1": 5819.0, "cap71": 932615.75}[name]
    problem = build()
    a, b = solve(problem, SolverOptions(gap_rel=1e-7)), solve(problem, SolverOptions(gap_rel=1e-7, direct=False))
    assert a.report.objective == pytest.approx(optimum, rel=1e-6)
    assert b.report.objective == pytest.approx(optimum, rel=1e-6)
    assert a.report.n_variables == b.report.n_variables and a.report.n_constraints == b.report.n_constraints


def test_a_pulp_hook_goes_through_pulp_and_an_array_hook_does_not(tiny):
    seen = {}

    def pulp_hook(model):
        ov = model.open_variables("kindergarten")
        model.prob += ov["var"].iloc[0] <= 1
        seen["pulp"] = model.materialised

    def array_hook(model):
        ov = model.open_variables("kindergarten", pulp_vars=False)
        model.add_rows("cap1", np.zeros(1), ov["col"].to_numpy()[:1], np.ones(1), LE, [1.0])
        seen["array"] = model.materialised

    a = solve(tiny, DIRECT, extra_constraints=pulp_hook)
    b = solve(tiny, DIRECT, extra_constraints=array_hook)
    assert seen == {"pulp": True, "array": False}
    assert a.report.objective == pytest.approx(b.report.objective, rel=1e-9)
