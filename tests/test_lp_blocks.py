"""A starting basis for the LP relaxation from its independent blocks (capacity.optimize.lp_blocks).

The hand-checked model: two copies of "one unit, a new site (y, cost 2) or an
existing one" and a plan total that allows one new site::

    block 1:  x1 + x2 = 1,  x1 - y1 <= 0     costs x1 1, x2 5, y1 2
    block 2:  x3 + x4 = 1,  x3 - y2 <= 0     costs x3 1, x4 4, y2 2
    totals:   y1 + y2 <= 1

Alone each block opens its site (3 < 5, 3 < 4), together they break the
total; the LP opens y1 (block 1 saves 2 per site, block 2 only 1):
objective 3 + 4 = 7.
"""

import numpy as np
import pytest

from capacity.optimize import SolverOptions, build_model, prepare
from capacity.optimize.highs import _load, _new_highs
from capacity.optimize.lp_blocks import (BasisReport, batches, block_basis, components, coupling_rows,
                                         highs_basis)
from capacity.optimize.matrix import CONTINUOUS, EQ, LE, Model
from capacity.optimize.model import weighted_objective

OPTS = SolverOptions(gap_rel=1e-9, threads=1)
SMALL = dict(min_columns=0, target=1, new_highs=_new_highs)


def two_blocks(joined=False):
    """The model of the module docstring (columns x1 x2 y1 x3 x4 y2); ``joined`` adds a local row across."""
    m = Model(problem=None)
    m.new_columns("c", 6, CONTINUOUS)
    m.add_rows("demand_0", [0, 0, 1, 1], [0, 1, 3, 4], np.ones(4), EQ, [1, 1])
    m.add_rows("link_0", [0, 0, 1, 1], [0, 2, 3, 5], [1, -1, 1, -1], LE, [0, 0])
    m.add_rows("count-1", [0, 0], [2, 5], np.ones(2), LE, [1])
    if joined:
        m.add_rows("cap_0", [0, 0], [1, 4], np.ones(2), LE, [2])
    return m, np.array([1, 5, 2, 1, 4, 2], dtype=float)


def lp(model, coef, basis=None, presolve="choose"):
    """(objective, simplex iterations, column values) of the LP, from ``basis`` when given."""
    h = _new_highs(OPTS)
    h.setOptionValue("presolve", presolve)
    _load(h, model, coef, model.lower.astype(float), model.upper.astype(float), np.zeros(0, np.int64))
    if basis is not None:
        h.setBasis(highs_basis(*basis))
    h.run()
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"
    info = h.getInfo()
    return info.objective_function_value, info.simplex_iteration_count, np.asarray(h.getSolution().col_value)


def test_coupling_rows_by_name_and_length():
    m, _ = two_blocks()
    lo, up, starts, index, value = m.csr()
    assert coupling_rows(m.blocks, starts, index.size, m.n_cols).tolist() == [False] * 4 + [True]
    m.add_rows("budget", [0], [0], [1.0], LE, [9])  # unknown to the local list: coupling
    m.add_rows("closezone_0", [0], [1], [1.0], LE, [9])
    lo, up, starts, index, value = m.csr()
    assert coupling_rows(m.blocks, starts, index.size, m.n_cols)[-2:].tolist() == [True, True]


def test_components_and_batches():
    m, _ = two_blocks()
    lo, up, starts, index, value = m.csr()
    coupling = coupling_rows(m.blocks, starts, index.size, m.n_cols)
    col, row = components(starts, index, coupling, m.n_cols)
    assert col[0] == col[1] == col[2] != col[3] == col[4] == col[5]
    assert row.tolist() == [col[0], col[3], col[0], col[3], -1]
    cb, rb = batches(col, row, target=1)
    assert cb.tolist() == [0, 0, 0, 1, 1, 1] and rb.tolist() == [0, 1, 0, 1, -1]
    cb, rb = batches(col, row, target=10)  # both fit one batch
    assert cb.tolist() == [0] * 6 and rb.tolist() == [0, 0, 0, 0, -1]


def test_hand_checked_basis_is_valid_and_reaches_the_optimum():
    m, coef = two_blocks()
    report = BasisReport()
    basis = block_basis(m, coef, m.lower, m.upper, OPTS, report, **SMALL)
    assert basis is not None and report.reason == ""
    col_status, row_status = basis
    assert int((col_status == 1).sum() + (row_status == 1).sum()) == m.n_rows  # basic count = rows
    assert row_status[4] == 1  # the totals row's slack is basic
    assert report.components == 2 and report.batches == 2 and report.coupling_rows == 1
    obj, _, x = lp(m, coef, basis)
    assert obj == pytest.approx(7.0, rel=1e-12)
    assert x[[2, 5]] == pytest.approx([1.0, 0.0])
    assert obj == pytest.approx(lp(m, coef)[0], rel=1e-12)


@pytest.mark.parametrize("target", [1, 3, 100])
def test_batch_size_does_not_change_the_optimum(target):
    m, coef = two_blocks()
    basis = block_basis(m, coef, m.lower, m.upper, OPTS, min_columns=0, target=target, new_highs=_new_highs)
    assert basis is not None
    assert lp(m, coef, basis, presolve="off")[0] == pytest.approx(7.0, rel=1e-12)


def test_no_basis_when_nothing_to_gain():
    m, coef = two_blocks()
    report = BasisReport()
    # 6 columns < MIN_COLUMNS
    assert block_basis(m, coef, m.lower, m.upper, OPTS, report, new_highs=_new_highs) is None
    assert "small model" in report.reason
    joined, coef = two_blocks(joined=True)  # cap_0 makes one component
    assert block_basis(joined, coef, joined.lower, joined.upper, OPTS, report, **SMALL) is None
    assert "100%" in report.reason
    # a column bounded only by a coupling row: its batch LP is unbounded
    m, coef = two_blocks()
    free = m.new_columns("f", 1, CONTINUOUS, up=None)
    m.add_rows("budget", [0], [free], [1.0], LE, [3])
    coef = np.append(coef, -1.0)
    assert block_basis(m, coef, m.lower, m.upper, OPTS, report, **SMALL) is None
    assert report.reason.startswith("a batch LP ended")
    assert lp(m, coef)[0] == pytest.approx(4.0)


def test_time_limit_gives_up():
    import dataclasses

    m, coef = two_blocks()
    report = BasisReport()
    opts = dataclasses.replace(OPTS, time_limit=0.0)
    assert block_basis(m, coef, m.lower, m.upper, opts, report, **SMALL) is None
    assert report.reason == "time limit reached"


def test_tiny_city_same_objective(tiny_problem):
    model = build_model(tiny_problem, prepare(tiny_problem))
    coef = weighted_objective(model)
    report = BasisReport()
    basis = block_basis(model, coef, model.lower, model.upper, OPTS, report, min_columns=0, target=1,
                        max_share=1.0, new_highs=_new_highs)
    assert basis is not None, report.reason
    col_status, row_status = basis
    assert int((col_status == 1).sum() + (row_status == 1).sum()) == model.n_rows
    assert report.coupling_rows >= 1  # the plan totals and the budget
    scratch = lp(model, coef)[0]
    assert lp(model, coef, basis, presolve="off")[0] == pytest.approx(scratch, rel=1e-9)


def test_basis_is_dual_feasible_and_violates_only_the_coupling_row():
    m, coef = two_blocks()
    basis = block_basis(m, coef, m.lower, m.upper, OPTS, price=False, **SMALL)
    h = _new_highs(OPTS)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("simplex_iteration_limit", 0)  # evaluate the basis as given
    _load(h, m, coef, m.lower.astype(float), m.upper.astype(float), np.zeros(0, np.int64))
    h.setBasis(highs_basis(*basis))
    h.run()
    info = h.getInfo()
    assert info.num_dual_infeasibilities == 0 and info.num_primal_infeasibilities == 1
    sol = h.getSolution()
    assert list(sol.row_value) == pytest.approx([1, 1, 0, 0, 2])  # both sites open: the total is 2 > 1
    assert list(sol.row_dual)[4] == 0.0


def test_pricing_the_totals_row():
    """At a price μ per new site on the totals row, block 2 gives its site up for μ > 1 (it saves 1),
    block 1 keeps its site up to μ = 2: a price in [1, 2] meets the total."""
    m, coef = two_blocks()
    report = BasisReport()
    basis = block_basis(m, coef, m.lower, m.upper, OPTS, report, **SMALL)
    assert report.priced_rows == 1 and 1 <= report.price <= 2  # the first guess: median cost per site, 2
    assert report.trace[-1] == (report.price, pytest.approx(1.0))
    assert [p for p, _ in report.trace] == sorted(p for p, _ in report.trace)  # the bracket grows
    obj, iterations, x = lp(m, coef, basis, presolve="off")
    assert obj == pytest.approx(7.0, rel=1e-12) and x[[2, 5]] == pytest.approx([1.0, 0.0])
    # nothing to price when the total does not bind
    m.blocks[-1].rhs[:] = 2
    assert block_basis(m, coef, m.lower, m.upper, OPTS, report := BasisReport(), **SMALL) is not None
    assert report.priced_rows == 0 and report.pricing_steps == 0


def many_blocks(savings, total):
    """Block k as in the module docstring with x2 costing 3 + savings[k]; at most ``total`` new sites."""
    k = len(savings)
    m = Model(problem=None)
    m.new_columns("c", 3 * k, CONTINUOUS)
    b = np.arange(k)
    m.add_rows("demand_0", np.repeat(b, 2), np.stack([3 * b, 3 * b + 1], 1).ravel(), np.ones(2 * k), EQ, np.ones(k))
    m.add_rows("link_0", np.repeat(b, 2), np.stack([3 * b, 3 * b + 2], 1).ravel(), np.tile([1, -1], k), LE,
               np.zeros(k))
    m.add_rows("count-1", np.zeros(k), 3 * b + 2, np.ones(k), LE, [total])
    coef = np.stack([np.ones(k), 3 + np.asarray(savings, float), np.full(k, 2.0)], 1).ravel()
    return m, coef


def test_pricing_brackets_and_bisects():
    """Ten sites saving 1..10 each, three allowed: the price lies between the 4th and 3rd saving (7, 8);
    the LP opens the three best: 10·3 + 55 − (10 + 9 + 8) = 58."""
    m, coef = many_blocks(np.arange(1, 11), 3)
    report = BasisReport()
    basis = block_basis(m, coef, m.lower, m.upper, OPTS, report, **SMALL)
    assert report.batches == 10 and report.pricing_steps >= 3  # grow, then narrow down
    assert 7 <= report.price <= 8 and report.trace[-1][1] <= 3 + 1e-9
    assert lp(m, coef, basis, presolve="off")[0] == pytest.approx(58.0, rel=1e-12)
    assert lp(m, coef)[0] == pytest.approx(58.0, rel=1e-12)
