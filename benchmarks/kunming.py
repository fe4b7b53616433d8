"""Kunming baseline: how each solver and method handles the real model.

Runs the baseline scenario's projection and demand once, builds the MILP,
then solves it with each (solver, method) asked for, and prints one JSON line
per solve: solver, method, status, objective, best bound, gap, build and
solve seconds, and the Python share of the time.

Usage::

    .venv/bin/python benchmarks/kunming.py                       # highs by level, highs joint
    .venv/bin/python benchmarks/kunming.py --runs highs:by_level cbc:by_level --time-limit 900

Not part of the test suite (minutes per run); results in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from capacity.commands import load_inputs  # noqa: E402
from capacity.demand import run_demand  # noqa: E402
from capacity.demography import run_projection  # noqa: E402
from capacity.optimize import solve  # noqa: E402
from capacity.optimize.solvers import SolverOptions  # noqa: E402
from capacity.optimize.translate import plan_demand, problem_from_scenario  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    parser.add_argument("--runs", nargs="+", default=["highs:by_level", "highs:joint"],
                        help="solver:method pairs (solver highs|cbc; method by_level|joint)")
    parser.add_argument("--time-limit", type=float, default=600.0, help="per solver call [s]")
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--levels", nargs="+", help="plan only these levels (default: the scenario's)")
    args = parser.parse_args(argv)

    scenario, city = load_inputs(args.scenario)
    if args.levels:
        import dataclasses

        plan = dataclasses.replace(scenario.plan, levels=tuple(args.levels))
        scenario = dataclasses.replace(scenario, plan=plan)
    t0 = time.perf_counter()
    projection = run_projection(city, scenario.projection)
    demand = run_demand(city, projection, scenario.demand, spatial=True)
    units = plan_demand(demand.units, scenario.plan.evaluation_years, scenario.plan.levels)
    t1 = time.perf_counter()
    problem, _ = problem_from_scenario(scenario, city, units)
    t2 = time.perf_counter()
    sizes = {lv.name: {"units": lv.units.n, "facilities": lv.facilities.n, "options": lv.options.n,
                       "arcs": lv.arcs.n} for lv in problem.levels}
    print(json.dumps({"stage": "inputs", "projection_demand_s": round(t1 - t0, 2),
                      "geo_adapter_s": round(t2 - t1, 2), "levels": sizes}), flush=True)
    for run in args.runs:
        solver, method = run.split(":")
        opts = SolverOptions(solver=solver, time_limit=args.time_limit, gap_rel=args.gap)
        start = time.perf_counter()
        try:
            sol = solve(problem, opts, method=method)
            rep = sol.report
            row = {"solver": solver, "method": method, "status": rep.status, "objective": rep.objective,
                   "best_bound": rep.best_bound, "gap": rep.gap, "build_seconds": round(rep.build_seconds, 2),
                   "solve_seconds": round(rep.solve_seconds, 2),
                   "python_share": round(rep.build_seconds / max(rep.build_seconds + rep.solve_seconds, 1e-9), 3),
                   "schools": int(len(sol.opened))}
        except Exception as exc:  # a benchmark records failures instead of stopping
            row = {"solver": solver, "method": method, "status": "error", "error": str(exc)[:300]}
        row["wall_seconds"] = round(time.perf_counter() - start, 1)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
