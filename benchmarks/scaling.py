"""Model size and build / solve time on a synthetic city of 1×, 4×, 16× Kunming.

Usage::

    python benchmarks/scaling.py [--scales 1 4 16] [--levels L ...] [--method by_level|joint]
                                 [--time-limit S] [--gap G] [--threads N]
                                 [--weak-linking] [--data data/kunming]

A city of scale *k* is *k* copies of the Kunming data folder (demand units,
existing schools, candidate sites) laid side by side, each shifted east by
the width of the city plus 50 km so no arc crosses copies. Copy 0 keeps the
zone ids (so Mohan's rules apply once); plan totals and budgets scale with
*k*. Demand is **synthetic**: per unit, level and evaluation year,
``population × (age-band years / 78) × enrolment target`` (× 0.9 for the
second evaluation year) — enough to size the model, not a forecast.

The problem goes through the geo adapter (:func:`capacity.optimize.translate.problem_from_scenario`)
and the optimiser as ``capacity run`` uses it
(:func:`capacity.optimize.solve`, level by level by default,
the time limit applying per level solve). Prints one JSON line per scale:
units, facilities, options, arcs, variables, constraints, geo seconds,
build seconds (Python model + hand-over), solve seconds, status, gap, and the
process's peak resident memory so far (``ru_maxrss``; run one scale per
process to read it per scale).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from capacity.data.load import load_city  # noqa: E402
from capacity.errors import CapacityError  # noqa: E402
from capacity.optimize import SolverOptions  # noqa: E402
from capacity.optimize import solve  # noqa: E402
from capacity.optimize.translate import problem_from_scenario  # noqa: E402
from capacity.scenario import load_scenario  # noqa: E402


def tile(layer, k: int, dx: float, id_col: str):
    """``k`` copies of a point layer shifted by ``dx`` [m]; ids and zones of copies > 0 get ``#c``."""
    parts = []
    for c in range(k):
        g = layer.copy()
        g["geometry"] = g.geometry.translate(xoff=c * dx)
        if c:
            g[id_col] = g[id_col].astype(str) + f"#{c}"
            g["zone_id"] = g["zone_id"].astype(str) + f"#{c}"
        parts.append(g)
    out = pd.concat(parts, ignore_index=True)
    return type(layer)(out, geometry="geometry", crs=layer.crs)


def synthetic_demand(city, years) -> pd.DataFrame:
    """Pupils per unit, level and year from unit population (synthetic, see module docstring)."""
    u = city.demand_units
    rows = []
    for level in city.standards:
        std = city.standards[level]
        share = (std.ages[1] - std.ages[0] + 1) / 78.0 * std.enrolment_target
        for n, year in enumerate(years):
            rows.append(pd.DataFrame({"unit_id": u["unit_id"], "level": level, "year": year,
                                      "pupils": u["population"].to_numpy(float) * share * (0.9 ** n)}))
    return pd.concat(rows, ignore_index=True)


def scaled(city, plan, k: int):
    xmin, _, xmax, _ = city.demand_units.total_bounds
    dx = (xmax - xmin) + 50_000.0
    big = replace(city, demand_units=tile(city.demand_units, k, dx, "unit_id"),
                  schools=tile(city.schools, k, dx, "school_id"),
                  candidate_sites=tile(city.candidate_sites, k, dx, "site_id"))
    big_plan = replace(plan, totals={lv: n * k for lv, n in plan.totals.items()},
                       budget_factor=plan.budget_factor * k)
    return big, big_plan


def peak_mib() -> float:
    """Peak resident memory of this process so far [MiB] (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "kunming")
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.toml")
    ap.add_argument("--solver", default="highs")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--gap", type=float, default=0.01)
    ap.add_argument("--levels", nargs="+", help="plan only these levels (default: the scenario's)")
    ap.add_argument("--method", default="by_level", choices=["by_level", "joint"])
    ap.add_argument("--threads", type=int, default=None, help="solver threads (solver default)")
    ap.add_argument("--weak-linking", action="store_true")
    ap.add_argument("--build-only", action="store_true", help="stop after building the model")
    args = ap.parse_args(argv)
    sc = load_scenario(args.scenario)
    if args.levels:
        sc = replace(sc, plan=replace(sc.plan, levels=tuple(args.levels),
                                      totals={lv: n for lv, n in sc.plan.totals.items() if lv in args.levels}))
    city = load_city(args.data)
    for k in args.scales:
        big, plan = scaled(city, sc.plan, k)
        t0 = time.perf_counter()
        problem, _ = problem_from_scenario(replace(sc, plan=plan), big, synthetic_demand(big, plan.evaluation_years))
        geo_s = time.perf_counter() - t0
        row = {"scale": k, "levels": [lv.name for lv in problem.levels], "units": int(big.demand_units.shape[0]),
               "facilities": sum(lv.facilities.n for lv in problem.levels),
               "options": sum(lv.options.n for lv in problem.levels),
               "arcs": sum(lv.arcs.n for lv in problem.levels), "geo_seconds": round(geo_s, 2),
               "strong_linking": not args.weak_linking}
        if args.build_only:
            from capacity.optimize import build_model, prepare
            t1 = time.perf_counter()
            model = build_model(problem, prepare(problem), strong_linking=not args.weak_linking)
            row.update(variables=model.n_cols, constraints=model.n_rows,
                       build_seconds=round(time.perf_counter() - t1, 2))
            row["peak_rss_mib"] = peak_mib()
            print(json.dumps(row), flush=True)
            continue
        opts = SolverOptions(solver=args.solver, time_limit=args.time_limit, gap_rel=args.gap,
                             threads=args.threads, strong_linking=not args.weak_linking)
        row["method"] = args.method
        t1 = time.perf_counter()
        try:
            sol = solve(problem, opts, method=args.method,
                        progress=lambda m: print(f"  {k}x {m}", file=sys.stderr, flush=True))
        except CapacityError as exc:
            row.update(status="error", error=str(exc))
        else:
            r = sol.report
            row.update(variables=r.n_variables, constraints=r.n_constraints, status=r.status,
                       objective=r.objective, best_bound=r.best_bound, gap=r.gap,
                       build_seconds=round(r.build_seconds, 2), solve_seconds=round(r.solve_seconds, 2),
                       unserved=r.objective_parts["unserved"], cost_cny=r.objective_parts["cost"],
                       solver_note=r.solver)
        row.update(wall_seconds=round(time.perf_counter() - t1, 1), peak_rss_mib=peak_mib())
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
