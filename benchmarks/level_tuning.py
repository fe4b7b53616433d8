"""Time HiGHS on one level of the Kunming baseline with different settings (issue 14).

The problem is built once (``dump``: load the city, project, translate the
scenario, pickle the array-level :class:`~capacity.optimize.problem.Problem`)
and then solved as many times as wanted (``run``), each in this process, so
that only the solver settings differ::

    .venv/bin/python benchmarks/level_tuning.py dump scenarios/benchmark_03ad4e2.toml /tmp/h4/problem.pkl
    flock /tmp/heavy.lock .venv/bin/python benchmarks/level_tuning.py run /tmp/h4/problem.pkl middle \
        --param mip_heuristic_effort=0.2 --param presolve=on --aggregate 0

Prints one JSON line per run: build and solve seconds, status, objective,
bound, gap, model size. Results in benchmarks/README.md ("HiGHS tuning").
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def dump(scenario_path: str, out: str) -> dict:
    """Project, make the unit demand and translate ``scenario_path``; pickle the problem to ``out``."""
    from capacity.commands import load_inputs
    from capacity.demand import run_demand
    from capacity.demography import run_projection
    from capacity.optimize import plan_demand, problem_from_scenario

    t0 = time.perf_counter()
    scenario, city = load_inputs(scenario_path)
    projection = run_projection(city, dataclasses.replace(scenario.projection, draws=0))
    demand = run_demand(city, projection, scenario.demand, spatial=True)
    unit_demand = plan_demand(demand.units, scenario.plan.evaluation_years, scenario.plan.levels)
    problem, _ = problem_from_scenario(scenario, city, unit_demand)
    with open(out, "wb") as fh:
        pickle.dump({"problem": problem, "solver": scenario.solver}, fh)
    return {"stage": "dump", "levels": [lv.name for lv in problem.levels],
            "units": {lv.name: lv.units.n for lv in problem.levels},
            "arcs": {lv.name: lv.arcs.n for lv in problem.levels}, "seconds": round(time.perf_counter() - t0, 1)}


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def run(path: str, level: str, params: dict, gap: float, time_limit: float, tolerance, start: str,
        threads: int, method: str = "by_level", relaxation_start: bool = False) -> dict:
    """Solve one level of the pickled problem with HiGHS ``params``; see the module docstring."""
    from capacity.optimize import SolverOptions, solve
    from capacity.optimize.decompose import level_problem

    with open(path, "rb") as fh:
        saved = pickle.load(fh)
    problem = level_problem(saved["problem"], level)
    params = dict(params)
    msg = bool(params.pop("output_flag", False))  # the HiGHS log on stdout
    opts = SolverOptions(time_limit=time_limit, gap_rel=gap, threads=threads, solver_params=params or None,
                         level_workers=1, aggregate_m=tolerance, relaxation_start=relaxation_start,
                         msg=msg)
    import resource

    t0 = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    sol = solve(problem, opts, method=method, start=None)
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    r = sol.report
    out = {"stage": "run", "level": level, "method": method, "params": params, "gap_rel": gap,
           "aggregate_m": tolerance, "relaxation_start": relaxation_start, "cpu_s": round(c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime, 1),
           "status": r.status, "objective": r.objective, "best_bound": r.best_bound, "gap": r.gap,
           "python_s": round(r.build_seconds, 1), "solver_s": round(r.solve_seconds, 1),
           "wall_s": round(time.perf_counter() - t0, 1), "n_cols": r.n_variables, "n_rows": r.n_constraints,
           "schools": int(len(sol.opened))}
    if r.aggregation:
        out["aggregation"] = {k: v for k, v in r.aggregation.items() if k != "levels"}
        out["aggregation"].update(r.aggregation["levels"][level])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("scenario")
    d.add_argument("out")
    r = sub.add_parser("run")
    r.add_argument("pickle")
    r.add_argument("level")
    r.add_argument("--param", action="append", default=[], help="HiGHS option name=value (repeatable)")
    r.add_argument("--gap", type=float, default=0.01)
    r.add_argument("--time-limit", type=float, default=900.0)
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--aggregate", type=float, default=None,
                   help="aggregation tolerance [m]; omitted: no aggregation")
    r.add_argument("--start", default="none", help="MIP start: none")
    r.add_argument("--relaxation-start", action="store_true", help="MIP start from the LP relaxation")
    r.add_argument("--method", default="by_level", choices=["by_level", "joint"],
                   help="by_level: the production path (dominated build years left out); joint: the model as built")
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        out = dump(args.scenario, args.out)
    else:
        params = dict(p.split("=", 1) for p in args.param)
        out = run(args.pickle, args.level, {k: _value(v) for k, v in params.items()}, args.gap, args.time_limit,
                  args.aggregate, args.start, args.threads, args.method, args.relaxation_start)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
