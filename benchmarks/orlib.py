"""Solve OR-Library instances through the capacity optimiser core.

Usage::

    python benchmarks/orlib.py [--format pmed|cpmp|cap] [--solver highs|cbc]
                               [--time-limit S] [--gap G] [--threads N] PATH...

Prints one JSON line per instance: instance, n_variables, n_constraints,
objective, known_optimum, status, best_bound, gap, build_seconds,
solve_seconds, solver. pmed instances go through
``classic.solve_p_median`` (``--formulation``, default ``auto`` = the radius
formulation; their line adds formulation, solver_calls, sites_kept,
heuristic_objective and wall_seconds); ``--formulation core`` solves the
assignment :class:`Problem` through ``capacity.optimize.solve`` as before. The format is recognised from the file name unless
``--format`` is given. Known optima come from ``pmedopt.txt`` (next to the
pmed files), ``capopt.txt`` (next to the cap files) or the first line of a
cpmp file.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capacity.errors import CapacityError  # noqa: E402
from capacity.optimize import SolverOptions, solve  # noqa: E402
from capacity.optimize import classic, instances  # noqa: E402


def _pmed(path: Path):
    inst = instances.read_pmed(path)
    opt_file = path.parent / "pmedopt.txt"
    known = instances.read_pmed_optima(opt_file).get(inst.name) if opt_file.exists() else None
    return classic.p_median(inst.cost, inst.p), known


def _cpmp(path: Path):
    inst = instances.read_cpmp(path)
    return classic.capacitated_p_median(inst.cost, inst.p, inst.demand, inst.capacity), inst.optimum


def _cap(path: Path):
    inst = instances.read_cap(path)
    opt_file = path.parent / "capopt.txt"
    known = instances.read_cap_optima(opt_file).get(inst.name) if opt_file.exists() else None
    return classic.capacitated_facility_location(inst.fixed_cost, inst.capacity, inst.demand,
                                                 inst.allocation_cost), known


PROBLEMS = {"pmed": _pmed, "cpmp": _cpmp, "cap": _cap}
"""Format → function(path) returning (Problem, known optimum)."""


def run_pmedian(path: Path, opts: SolverOptions, formulation: str) -> dict:
    """A pmed instance through :func:`capacity.optimize.classic.solve_p_median` (radius or assignment)."""
    t0 = time.perf_counter()
    inst = instances.read_pmed(path)
    opt_file = path.parent / "pmedopt.txt"
    known = instances.read_pmed_optima(opt_file).get(inst.name) if opt_file.exists() else None
    read_s = time.perf_counter() - t0
    row = {"instance": path.stem, "format": "pmed", "n": int(inst.cost.shape[0]), "p": inst.p, "known_optimum": known,
           "read_seconds": round(read_s, 3), "formulation": formulation}
    try:
        r = classic.solve_p_median(inst.cost, inst.p, formulation=formulation, options=opts)
    except CapacityError as exc:
        row.update(status="error", error=str(exc), solver=opts.solver)
        return row
    row.update(
        objective=r.objective, status=r.status, best_bound=r.best_bound,
        gap=None if not math.isfinite(r.gap) else r.gap,
        build_seconds=round(r.build_seconds, 3), solve_seconds=round(r.solve_seconds, 3),
        solver=r.solver, n_variables=r.n_variables, n_constraints=r.n_constraints,
        formulation=r.formulation, solver_calls=r.iterations, sites_kept=r.sites_kept,
        heuristic_objective=None if math.isnan(r.heuristic_objective) else r.heuristic_objective,
        wall_seconds=round(time.perf_counter() - t0, 3),
        matches_optimum=None if known is None else bool(abs(r.objective - known) <= 1e-6 * max(1.0, abs(known)) + 0.01),
    )
    return row


def run_one(path: Path, fmt: str, opts: SolverOptions, formulation: str = "core") -> dict:
    if fmt == "pmed" and formulation != "core":
        return run_pmedian(path, opts, formulation)
    t0 = time.perf_counter()
    problem, known = PROBLEMS[fmt](path)
    read_s = time.perf_counter() - t0
    row = {"instance": path.stem, "format": fmt, "known_optimum": known, "read_seconds": round(read_s, 3)}
    try:
        sol = solve(problem, opts)
    except CapacityError as exc:
        row.update(status="error", error=str(exc), solver=opts.solver)
        return row
    r = sol.report
    row.update(
        objective=r.objective, status=r.status, best_bound=r.best_bound,
        gap=None if not math.isfinite(r.gap) else r.gap,
        build_seconds=round(r.build_seconds, 3), solve_seconds=round(r.solve_seconds, 3),
        solver=r.solver, n_variables=r.n_variables, n_constraints=r.n_constraints,
        matches_optimum=None if known is None else bool(abs(r.objective - known) <= 1e-6 * max(1.0, abs(known)) + 0.01),
    )
    return row


def table(lines) -> str:
    """Markdown table of JSON result lines (as printed by this script).

    Lines of ``classic.solve_p_median`` (with ``formulation``) get a table of
    their own columns: n, p, sites left to the MILP, solver calls and wall time.
    """
    rows = [json.loads(line) for line in lines if line.startswith("{")]
    if rows and all("formulation" in r for r in rows):
        return _pmedian_table(rows)
    out = ["| instance | optimum | objective | status | gap | build s | solve s | build share |",
           "|---|---:|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        if r.get("status") == "error":
            out.append(f"| {r['instance']} | {r['known_optimum']:,.2f} | – | no solution | – | – | – | – |")
            continue
        b, s = r["build_seconds"], r["solve_seconds"]
        gap = "–" if r["gap"] is None else f"{r['gap']:.2%}"
        mark = "" if r.get("matches_optimum") else " ≠"
        out.append(f"| {r['instance']} | {r['known_optimum']:,.2f} | {r['objective']:,.2f}{mark} | {r['status']} "
                   f"| {gap} | {b:.2f} | {s:.2f} | {b / max(b + s, 1e-9):.0%} |")
    return "\n".join(out)


def _pmedian_table(rows) -> str:
    out = ["| instance | n | p | optimum | objective | status | gap | sites left | solver calls | build s | solve s "
           "| wall s |",
           "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r.get("status") == "error":
            out.append(f"| {r['instance']} | | | {r['known_optimum']:,.0f} | – | error | – | – | – | – | – | – |")
            continue
        gap = "–" if r["gap"] is None else f"{r['gap']:.2%}"
        mark = "" if r.get("matches_optimum") else " ≠"
        left = {-1: "–", 0: "no MILP"}.get(r.get("sites_kept", -1), f"{r.get('sites_kept')}")
        out.append(f"| {r['instance']} | {r.get('n', '')} | {r.get('p', '')} | {r['known_optimum']:,.0f} "
                   f"| {r['objective']:,.0f}{mark} | {r['status']} | {gap} | {left} | {r['solver_calls']} "
                   f"| {r['build_seconds']:.2f} | {r['solve_seconds']:.2f} | {r['wall_seconds']:.2f} |")
    return "\n".join(out)


def _param(text: str):
    key, _, value = text.partition("=")
    for cast in (int, float):
        try:
            return key, cast(value)
        except ValueError:
            pass
    return key, value


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--table", type=Path, help="print a markdown table of a JSON-lines result file and exit")
    ap.add_argument("--format", choices=sorted(PROBLEMS))
    ap.add_argument("--solver", default="highs")
    ap.add_argument("--time-limit", type=float, default=None, help="seconds per instance")
    ap.add_argument("--gap", type=float, default=1e-6, help="relative MIP gap to stop at")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--weak-linking", action="store_true",
                    help="omit the disaggregated linking rows for capacitated sites")
    ap.add_argument("--formulation", default="auto", choices=("auto", "radius", "assignment", "core"),
                    help="pmed instances: classic.solve_p_median's formulation (default auto = radius); "
                         "'core' = the assignment Problem through capacity.optimize.solve, as before")
    ap.add_argument("--msg", action="store_true", help="show the solver log")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="extra solver option, e.g. mip_lp_solver=ipm (HiGHS); repeatable")
    args = ap.parse_args(argv)
    if args.table:
        print(table(args.table.read_text().splitlines()))
        return 0
    opts = SolverOptions(solver=args.solver, time_limit=args.time_limit, gap_rel=args.gap,
                         threads=args.threads, msg=args.msg, strong_linking=not args.weak_linking,
                         solver_params=dict(_param(p) for p in args.param))
    for path in args.paths:
        fmt = args.format or instances.guess_format(path)
        print(json.dumps(run_one(path, fmt, opts, args.formulation)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
