"""spopt's PMedian against ours on OR-Library p-median instances: whole processes, one run.

Usage::

    python benchmarks/spopt_compare.py [--time-limit S] [--gap G] [--rounds R]
        [--formulation auto|radius|assignment] [--spopt-path DIR] PATH...

The instance's distance matrix (all-pairs shortest paths, our reader) is
computed once and saved to a temporary ``.npy``; then, for every round and
instance, each side runs in a **fresh Python process** started from this
script (``--worker ours|spopt``): interpreter start-up, imports, loading the
matrix, building the model, solving and exit are all in its wall time — what
a user waits for. The two sides alternate which goes first from round to
round. Both use HiGHS with one thread, the same time limit and relative gap:

* ``ours`` — :func:`capacity.optimize.classic.solve_p_median` (default
  ``formulation="auto"``, the radius formulation);
* ``spopt`` — ``spopt.locate.PMedian.from_cost_matrix(...).solve(pulp.HiGHS(...))``.

Prints one JSON line per instance and round (both sides: wall seconds of
the process, objective, status, and the in-process build/solve seconds each
worker measured), then a summary line: total wall time per side, the ratio
spopt / ours, and the same for the in-process times.

spopt is a benchmark-only dependency, not a runtime one. It can live outside
the project's venv: ``pip install --target DIR --no-deps spopt ...`` and pass
``--spopt-path DIR`` (added to the workers' ``PYTHONPATH``).
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------
# workers (run in their own process)
# ---------------------------------------------------------------------------

def worker_ours(matrix: Path, p: int, args) -> dict:
    t0 = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from capacity.optimize import SolverOptions, classic

    t1 = time.perf_counter()
    cost = np.load(matrix)
    r = classic.solve_p_median(cost, p, formulation=args.formulation,
                               options=SolverOptions(solver="highs", time_limit=args.time_limit,
                                                     gap_rel=args.gap, threads=1))
    return {"objective": r.objective, "status": r.status, "best_bound": r.best_bound, "gap": r.gap,
            "formulation": r.formulation, "import_seconds": round(t1 - t0, 3),
            "build_seconds": round(r.build_seconds, 3), "solve_seconds": round(r.solve_seconds, 3),
            "inprocess_seconds": round(time.perf_counter() - t1, 3)}


def worker_spopt(matrix: Path, p: int, args) -> dict:
    import warnings

    t0 = time.perf_counter()
    import pulp
    from spopt.locate import PMedian

    t1 = time.perf_counter()
    cost = np.load(matrix)
    model = PMedian.from_cost_matrix(cost, np.ones(cost.shape[0]), p_facilities=p)
    t2 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = model.solve(pulp.HiGHS(msg=False, timeLimit=args.time_limit, gapRel=args.gap, threads=1),
                            results=False)
    t3 = time.perf_counter()
    return {"objective": float(pulp.value(model.problem.objective)),
            "status": pulp.LpStatus[model.problem.status].lower(), "import_seconds": round(t1 - t0, 3),
            "build_seconds": round(t2 - t1, 3), "solve_seconds": round(t3 - t2, 3),
            "inprocess_seconds": round(t3 - t1, 3)}


WORKERS = {"ours": worker_ours, "spopt": worker_spopt}


# ---------------------------------------------------------------------------
# the driver
# ---------------------------------------------------------------------------

def run_side(side: str, matrix: Path, p: int, args) -> dict:
    """Run one side in a fresh process; its wall time from start to exit [s]."""
    env = dict(os.environ)
    if args.spopt_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(args.spopt_path), env.get("PYTHONPATH")]))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", side, "--matrix", str(matrix), "--p", str(p),
           "--gap", str(args.gap), "--formulation", args.formulation]
    if args.time_limit is not None:
        cmd += ["--time-limit", str(args.time_limit)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"wall_seconds": round(wall, 3), "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return {"wall_seconds": round(wall, 3), **json.loads(lines[-1])}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--time-limit", type=float, default=120.0, help="seconds per solve, both sides")
    ap.add_argument("--gap", type=float, default=1e-6, help="relative MIP gap, both sides")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--formulation", default="auto", choices=("auto", "radius", "assignment"))
    ap.add_argument("--spopt-path", type=Path, help="folder holding spopt (added to the workers' PYTHONPATH)")
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--matrix", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--p", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.matrix, args.p, args)), flush=True)
        return 0

    sys.path.insert(0, str(ROOT))
    from capacity.optimize import instances

    totals = {s: {"wall": 0.0, "inprocess": 0.0} for s in WORKERS}
    with tempfile.TemporaryDirectory() as tmp:
        prepared = []
        for path in args.paths:
            inst = instances.read_pmed(path)
            opt_file = path.parent / "pmedopt.txt"
            known = instances.read_pmed_optima(opt_file).get(inst.name) if opt_file.exists() else None
            matrix = Path(tmp) / f"{inst.name}.npy"
            np.save(matrix, inst.cost)
            prepared.append((inst, known, matrix))
        for rnd in range(args.rounds):
            for k, (inst, known, matrix) in enumerate(prepared):
                row = {"instance": inst.name, "n": int(inst.cost.shape[0]), "p": inst.p, "known_optimum": known,
                       "round": rnd + 1}
                sides = ("ours", "spopt") if (rnd + k) % 2 == 0 else ("spopt", "ours")
                for side in sides:
                    row[side] = run_side(side, matrix, inst.p, args)
                    totals[side]["wall"] += row[side]["wall_seconds"]
                    totals[side]["inprocess"] += row[side].get("inprocess_seconds", row[side]["wall_seconds"])
                row["first"] = sides[0]
                row["ratio_wall"] = round(row["spopt"]["wall_seconds"] / max(row["ours"]["wall_seconds"], 1e-9), 2)
                print(json.dumps(row), flush=True)
    summary = {"summary": True, "instances": [i.name for i, _, _ in prepared], "rounds": args.rounds,
               "load_average": os.getloadavg(),
               "ours_wall_seconds": round(totals["ours"]["wall"], 2),
               "spopt_wall_seconds": round(totals["spopt"]["wall"], 2),
               "ratio_wall": round(totals["spopt"]["wall"] / max(totals["ours"]["wall"], 1e-9), 2),
               "ours_inprocess_seconds": round(totals["ours"]["inprocess"], 2),
               "spopt_inprocess_seconds": round(totals["spopt"]["inprocess"], 2),
               "ratio_inprocess": round(totals["spopt"]["inprocess"] / max(totals["ours"]["inprocess"], 1e-9), 2)}
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
