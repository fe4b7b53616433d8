"""spopt's PMedian against our core on OR-Library p-median instances, timed in one run.

Usage::

    python benchmarks/spopt_compare.py [--solver highs|cbc] [--time-limit S] PATH...

For each instance prints one JSON line: instance, known optimum, and for
``ours`` and ``spopt`` the objective, build seconds (model construction in
Python), solve seconds (solver call) and total wall time. Both use the same
solver through PuLP with the same time limit and relative gap.

spopt is a benchmark-only dependency (``pip install spopt``); it is not a
runtime dependency of capacity. spopt's ``from_cost_matrix`` builds the
model with Python loops over the cost matrix and solves inside
``solve()``; we time ``from_cost_matrix`` as its build and ``solve`` (which
includes PuLP's hand-over to the solver) as its solve.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pulp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capacity.optimize import SolverOptions, solve  # noqa: E402
from capacity.optimize import classic, instances  # noqa: E402

SPOPT_SOLVERS = {
    "highs": lambda t, gap: pulp.HiGHS(msg=False, timeLimit=t, gapRel=gap, threads=1),
    "cbc": lambda t, gap: pulp.PULP_CBC_CMD(msg=False, timeLimit=t, gapRel=gap, threads=1),
}


def run_spopt(cost: np.ndarray, p: int, solver: str, time_limit, gap: float) -> dict:
    from spopt.locate import PMedian

    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(cost, np.ones(cost.shape[0]), p_facilities=p)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = model.solve(SPOPT_SOLVERS[solver](time_limit, gap), results=False)
    t2 = time.perf_counter()
    return {"objective": float(pulp.value(model.problem.objective)), "build_seconds": round(t1 - t0, 3),
            "solve_seconds": round(t2 - t1, 3), "total_seconds": round(t2 - t0, 3)}


def run_ours(cost: np.ndarray, p: int, solver: str, time_limit, gap: float) -> dict:
    t0 = time.perf_counter()
    sol = solve(classic.p_median(cost, p), SolverOptions(solver=solver, time_limit=time_limit, gap_rel=gap,
                                                          threads=1))
    r = sol.report
    return {"objective": r.objective, "status": r.status, "gap": r.gap, "build_seconds": round(r.build_seconds, 3),
            "solve_seconds": round(r.solve_seconds, 3), "total_seconds": round(time.perf_counter() - t0, 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--solver", default="highs", choices=sorted(SPOPT_SOLVERS))
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--gap", type=float, default=1e-6)
    args = ap.parse_args(argv)
    for path in args.paths:
        inst = instances.read_pmed(path)
        opt_file = path.parent / "pmedopt.txt"
        known = instances.read_pmed_optima(opt_file).get(inst.name) if opt_file.exists() else None
        row = {"instance": inst.name, "n": int(inst.cost.shape[0]), "p": inst.p, "known_optimum": known,
               "solver": args.solver}
        row["ours"] = run_ours(inst.cost, inst.p, args.solver, args.time_limit, args.gap)
        try:
            row["spopt"] = run_spopt(inst.cost, inst.p, args.solver, args.time_limit, args.gap)
        except ImportError as exc:
            row["spopt"] = {"error": f"spopt not installed: {exc}"}
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
