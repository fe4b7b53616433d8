"""The Kunming baseline solved by this code and by commit 03ad4e2, back to back (issue 14).

Both solve the *same* problem: the scenario file of the reference commit
(``scenarios/baseline.toml`` as it was at 03ad4e2: two evaluation years, lag
0, cost discount 8 %, budgets) on the same data folder, with the same unit
demand — computed once by the reference code's projection and demand and
handed to both as a CSV, so that only the optimiser differs. Each solve runs
in a fresh process (``PYTHONPATH`` pointing at its code): loading the city,
translating the scenario, building and solving. Prints one JSON line per
run and then the wall-time ratio, the CPU-time ratio (all processes, the
workers included: less sensitive to other jobs on a shared machine) and both
certified gaps; records ``uptime`` before and after each run.

Usage::

    git -C /work/main worktree add /tmp/ref03 03ad4e2        # once (done by the script if missing)
    nohup .venv/bin/python benchmarks/baseline_speed.py > /tmp/bench_baseline.log 2>&1 &

Options: ``--ref-tree`` (default ``/tmp/ref03``), ``--ref`` (commit, default
03ad4e2), ``--scenario`` (default: the reference tree's baseline),
``--only new|ref``. Results in benchmarks/README.md ("Baseline against 03ad4e2").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(scenario_path):
    from capacity.commands import load_inputs

    return load_inputs(scenario_path)


def child_demand(scenario_path, out_csv) -> dict:
    """Projection and demand of the scenario (with whatever code is on ``sys.path``) → CSV."""
    import dataclasses

    from capacity.demand import run_demand
    from capacity.demography import run_projection

    t0 = time.perf_counter()
    scenario, city = _load(scenario_path)
    projection = run_projection(city, dataclasses.replace(scenario.projection, draws=0))
    demand = run_demand(city, projection, scenario.demand, spatial=True)
    sel = demand.units[demand.units["year"].isin(list(scenario.plan.evaluation_years))
                       & demand.units["level"].isin(list(scenario.plan.levels))]
    table = sel[["unit_id", "zone_id", "level", "year", "seats_needed"]].rename(columns={"seats_needed": "pupils"})
    table.to_csv(out_csv, index=False)
    return {"stage": "demand", "rows": len(table), "pupils": float(table["pupils"].sum()),
            "seconds": round(time.perf_counter() - t0, 1)}


def child_solve(scenario_path, demand_csv) -> dict:
    """Load, translate, build and solve (with whatever code is on ``sys.path``)."""
    import numpy as np
    import pandas as pd

    t0 = time.perf_counter()
    scenario, city = _load(scenario_path)
    unit_demand = pd.read_csv(demand_csv, dtype={"unit_id": str, "zone_id": str})
    try:  # this code: one translation, one solve
        from capacity.optimize import problem_from_scenario, solve, solver_options

        problem, _ = problem_from_scenario(scenario, city, unit_demand)
        opts = solver_options(scenario.solver)
        t1 = time.perf_counter()
        sol = solve(problem, opts, method=scenario.solver.method)
        code = "new"
    except ImportError:  # commit 03ad4e2
        from capacity.optimize.decompose import solve_plan
        from capacity.optimize.geo import build_problem
        from capacity.pipeline import solver_options

        problem, _ = build_problem(city, unit_demand, scenario.plan, scenario.objective)
        opts = solver_options(scenario.solver)
        t1 = time.perf_counter()
        sol = solve_plan(problem, opts, scenario.solver.method)
        code = "03ad4e2"
    t2 = time.perf_counter()
    import resource

    cpu = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # worker processes, reaped when their pool closed
    r = sol.report
    spent = sol.opened.groupby("open_year")["cost_cny"].sum().reindex(problem.build_years, fill_value=0.0)
    budget = np.asarray(problem.budget_cny, dtype=float)
    return {"stage": "solve", "code": code, "status": r.status, "objective": r.objective,
            "best_bound": r.best_bound, "gap": r.gap, "solver": r.solver,
            "python_s": round(r.build_seconds, 1), "solver_s": round(r.solve_seconds, 1),
            "load_build_s": round(t1 - t0, 1), "solve_wall_s": round(t2 - t1, 1), "wall_s": round(t2 - t0, 1),
            "cpu_s": round(cpu.ru_utime + cpu.ru_stime + kids.ru_utime + kids.ru_stime, 1),
            "peak_rss_mib": round(max(cpu.ru_maxrss, kids.ru_maxrss) / 1024.0),
            "solver_calls": len(r.stages),
            "calls": [[st.status, round(st.gap, 5), round(st.solve_seconds, 1)] for st in r.stages], "schools": int(len(sol.opened)),
            "spending_cny": {int(y): float(v) for y, v in spent.items()},
            "within_budget": bool(np.all(spent.to_numpy() <= budget * (1 + 1e-6))),
            "sites": sorted(f"{a}:{b}:{c}" for a, b, c in zip(sol.opened["level"], sol.opened["facility"],
                                                           sol.opened["seats"]))}


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "?"


def _child(code_root: Path, args: list) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code_root))
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", *args], env=env,
                          capture_output=True, text=True, cwd=str(code_root), check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({code_root}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default="03ad4e2")
    ap.add_argument("--ref-tree", default="/tmp/ref03")
    ap.add_argument("--scenario", help="scenario file (default: the reference tree's scenarios/baseline.toml)")
    ap.add_argument("--only", choices=["new", "ref"], help="run one side only")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        out = child_demand(*rest) if kind == "demand" else child_solve(*rest)
        print(json.dumps(out), flush=True)
        return 0
    ref = Path(args.ref_tree)
    if not (ref / "capacity").is_dir():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(ref), args.ref], check=True)
    scenario = Path(args.scenario or ref / "scenarios" / "baseline.toml").resolve()
    work = Path(tempfile.mkdtemp(prefix="baseline_speed_"))
    demand_csv = work / "unit_demand.csv"
    print(json.dumps({"scenario": str(scenario), "ref": args.ref, "uptime": _uptime()}), flush=True)
    print(json.dumps(_child(ref, ["demand", str(scenario), str(demand_csv)])), flush=True)
    rows = {}
    for side, root in (("new", ROOT), ("ref", ref)):
        if args.only and args.only != side:
            continue
        load = _uptime()
        row = _child(root, ["solve", str(scenario), str(demand_csv)])
        row["uptime_before"] = load
        row["uptime_after"] = _uptime()
        rows[side] = row
        print(json.dumps({k: v for k, v in row.items() if k != "sites"}), flush=True)
    if len(rows) == 2:
        a, b = rows["ref"], rows["new"]
        same = set(a["sites"]) == set(b["sites"])
        print(f"\nwall (load+build+solve): 03ad4e2 {a['wall_s']:.0f} s, new {b['wall_s']:.0f} s, "
              f"ratio {a['wall_s'] / b['wall_s']:.2f}x")
        print(f"CPU time (all processes): 03ad4e2 {a['cpu_s']:.0f} s, new {b['cpu_s']:.0f} s, "
              f"ratio {a['cpu_s'] / b['cpu_s']:.2f}x")
        print(f"certified gap: 03ad4e2 {a['gap']:.3%}, new {b['gap']:.3%}; objective 03ad4e2 {a['objective']:,.0f}, "
              f"new {b['objective']:,.0f} ({(b['objective'] - a['objective']) / a['objective']:+.3%}); "
              f"same sites and sizes: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
