"""OR-Library instances solved by the core to their published optima, and the readers."""

from pathlib import Path

import numpy as np
import pytest

from capacity.errors import DataError
from capacity.optimize import SolverOptions, solve
from capacity.optimize import classic, instances

# the few small instances these tests need, vendored with their source (tests/data/orlib/README.md)
ORLIB = Path(__file__).resolve().parent / "data" / "orlib"
OPTS = SolverOptions(solver="highs", gap_rel=1e-7)


def test_read_pmed_later_duplicate_wins_and_shortest_paths(tmp_path):
    f = tmp_path / "pmed_toy.txt"
    # 1-2 given twice: 5 then 2 (later wins); 2-3 = 1; 1-3 = 10 -> via 2 it is 3
    f.write_text(" 3 4 1\n 1 2 5\n 2 3 1\n 1 3 10\n 2 1 2\n")
    inst = instances.read_pmed(f)
    assert inst.p == 1
    assert inst.cost.tolist() == [[0, 2, 3], [2, 0, 1], [3, 1, 0]]
    sol = solve(classic.p_median(inst.cost, inst.p), OPTS)
    assert sol.report.objective == pytest.approx(3.0)  # median at node 2
    assert sol.opened.facility.tolist() == [1]


def test_read_cap_with_wrapped_lines_and_capacity_word(tmp_path):
    f = tmp_path / "capx.txt"
    f.write_text("2 2\n capacity 10.\n capacity 20.\n 4 1 2\n 3\n 6 5\n")
    with pytest.raises(DataError, match="capacity"):
        instances.read_cap(f)
    inst = instances.read_cap(f, capacity=5)
    assert inst.capacity.tolist() == [5, 5]
    assert inst.demand.tolist() == [4, 3]
    assert inst.allocation_cost.tolist() == [[1, 2], [6, 5]]


def test_cflp_per_unit_cost_is_cost_over_demand():
    # one customer of demand 4, whole-demand costs 8 and 20, capacities 3 and 10
    p = classic.capacitated_facility_location([1.0, 1.0], [3.0, 10.0], [4.0], [[8.0, 20.0]])
    sol = solve(p, OPTS)
    # 3 units at 2/unit from facility 0 + 1 unit at 5/unit from facility 1 + 2 fixed = 13
    assert sol.report.objective == pytest.approx(13.0)


def test_pmed1_optimum():
    inst = instances.read_pmed(ORLIB / "pmed1.txt")
    sol = solve(classic.p_median(inst.cost, inst.p), OPTS)
    assert sol.report.status == "optimal"
    assert sol.report.objective == pytest.approx(5819)
    assert len(sol.opened) == 5


def test_pmedcap1_1_optimum():
    inst = instances.read_cpmp(ORLIB / "cpmp" / "pmedcap1_1.txt")
    assert inst.optimum == 713
    sol = solve(classic.capacitated_p_median(inst.cost, inst.p, inst.demand, inst.capacity), OPTS)
    assert sol.report.objective == pytest.approx(713)
    load = sol.assignments.groupby("facility")["pupils"].sum()
    assert (load <= inst.capacity + 1e-6).all()
    assert sol.assignments.unit.is_unique  # single sourcing


def test_cap71_optimum():
    inst = instances.read_cap(ORLIB / "cap" / "cap71.txt")
    sol = solve(classic.capacitated_facility_location(inst.fixed_cost, inst.capacity, inst.demand,
                                                      inst.allocation_cost), OPTS)
    assert sol.report.objective == pytest.approx(932615.75, rel=1e-9)
    assert instances.read_cap_optima(ORLIB / "cap" / "capopt.txt")["cap71"] == 932615.75


@pytest.mark.slow
def test_pmed6_optimum_highs():
    inst = instances.read_pmed(ORLIB / "pmed6.txt")
    sol = solve(classic.p_median(inst.cost, inst.p), OPTS)
    assert sol.report.objective == pytest.approx(7824)


def test_optima_files():
    opt = instances.read_pmed_optima(ORLIB / "pmedopt.txt")
    assert opt["pmed1"] == 5819 and opt["pmed40"] == 5128 and len(opt) == 40
    assert np.isfinite(list(instances.read_cap_optima(ORLIB / "cap" / "capopt.txt").values())).all()
