"""Model size, wall time, certified gap, memory and Python share on a synthetic city of 1×, 4×, 16× Kunming.

Usage::

    python benchmarks/scaling.py [--scales 1 4 16] [--scenario S] [--levels L ...]
                                 [--method auto|by_level|joint] [--time-limit S] [--gap G]
                                 [--threads N] [--level-workers N] [--no-relaxation-start]
                                 [--aggregate M] [--weak-linking] [--build-only] [--data data/kunming]

A city of scale *k* is *k* copies of the Kunming data folder (zones, zone
populations, demand units, existing schools, candidate sites) laid side by
side, each shifted east by the width of the city plus 50 km so no arc
crosses copies. Copy 0 keeps the zone ids (so Mohan's rules apply once);
copies > 0 get ``#c`` ids, so per-zone rules (closures per county, nursery
need, special-school zones) hold in every copy; plan totals and budgets
scale with *k*. Demand is **synthetic**: per unit, level and evaluation year,
``population × (age-band years / 78) × enrolment target`` (× 0.9 per later
evaluation year) — enough to size the model, not a forecast.

**Defaults are what ``capacity run`` uses**: the scenario's ``[solver]``
table (time limit per level solve, gap, threads, method, LP-relaxation
start, aggregation) through :func:`capacity.optimize.translate.solver_options`,
and the optimiser's own choice of level workers. Every option above
overrides one setting. The default scenario is
``scenarios/benchmark_03ad4e2.toml`` — the four-level baseline of commit
03ad4e2 that the earlier scaling rows and issue 14's speed targets refer to;
``--scenario scenarios/baseline.toml`` scales the shrinking-system baseline
(five levels, four checked years, closures, conversions).

Prints, per scale, progress lines with elapsed seconds on stderr (which
level, which round), one human summary line and one JSON line on stdout:
units, facilities, options, arcs, variables, constraints, problem seconds
(data → arrays), build seconds (Python model + hand-over, summed over level
processes), solve seconds (solver calls, summed), every solver call, wall
seconds, status, certified gap, CPU seconds of this process and its level
workers, peak resident memory of this process and of its largest worker
(``ru_maxrss``; run one scale per process to read it per scale), and the
**Python share** = (problem s + build s) / (problem s + wall s).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from capacity.data.load import load_city  # noqa: E402
from capacity.errors import CapacityError  # noqa: E402
from capacity.optimize import solve  # noqa: E402
from capacity.optimize.translate import problem_from_scenario, solver_options, special_demand  # noqa: E402
from capacity.scenario import load_scenario  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "benchmark_03ad4e2.toml"


def tile(layer, k: int, dx: float, id_col: str):
    """``k`` copies of a layer shifted by ``dx`` [m]; ids and zones of copies > 0 get ``#c``."""
    parts = []
    for c in range(k):
        g = layer.copy()
        g["geometry"] = g.geometry.translate(xoff=c * dx)
        if c:
            g[id_col] = g[id_col].astype(str) + f"#{c}"
            if id_col != "zone_id":
                g["zone_id"] = g["zone_id"].astype(str) + f"#{c}"
        parts.append(g)
    out = pd.concat(parts, ignore_index=True)
    return type(layer)(out, geometry="geometry", crs=layer.crs)


def tile_rows(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """``k`` copies of a zone-keyed table (``zone_id``); copies > 0 get ``#c`` zone ids."""
    parts = [table] + [table.assign(zone_id=table["zone_id"].astype(str) + f"#{c}") for c in range(1, k)]
    return pd.concat(parts, ignore_index=True)


def synthetic_demand(city, years) -> pd.DataFrame:
    """Pupils per unit, level and year from unit population (synthetic, see module docstring)."""
    u = city.demand_units
    rows = []
    for level in city.standards:
        std = city.standards[level]
        share = (std.ages[1] - std.ages[0] + 1) / 78.0 * std.enrolment_target
        for n, year in enumerate(years):
            rows.append(pd.DataFrame({"unit_id": u["unit_id"], "zone_id": u["zone_id"].astype(str),
                                      "level": level, "year": year,
                                      "pupils": u["population"].to_numpy(float) * share * (0.9 ** n)}))
    return pd.concat(rows, ignore_index=True)


def scaled(city, plan, k: int):
    """The city as ``k`` copies side by side and the plan with totals and budgets × ``k``."""
    xmin, _, xmax, _ = city.demand_units.total_bounds
    dx = (xmax - xmin) + 50_000.0
    big = replace(city, zones=tile(city.zones, k, dx, "zone_id"), population=tile_rows(city.population, k),
                  demand_units=tile(city.demand_units, k, dx, "unit_id"),
                  schools=tile(city.schools, k, dx, "school_id"),
                  candidate_sites=tile(city.candidate_sites, k, dx, "site_id"))
    big_plan = replace(plan, totals={lv: n * k for lv, n in plan.totals.items()},
                       budget_factor=plan.budget_factor * k)
    return big, big_plan


def scaled_problem(city, sc, k: int):
    """The optimiser's problem of the scenario ``sc`` on the city ``k`` times over, with synthetic demand,
    and that city."""
    big, plan = scaled(city, sc.plan, k)
    big_sc = replace(sc, plan=plan)
    demand = special_demand(synthetic_demand(big, plan.evaluation_years), big_sc, big)
    return problem_from_scenario(big_sc, big, demand)[0], big


def peak_mib(who=resource.RUSAGE_SELF) -> float:
    """Peak resident memory so far [MiB] (Linux reports KiB): this process, or its largest waited-for child."""
    return round(resource.getrusage(who).ru_maxrss / 1024.0, 1)


def cpu_seconds() -> float:
    """User + system CPU time of this process and its waited-for children so far [s]."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def options_for(sc, args):
    """The scenario's solver settings as ``capacity run`` uses them, with the command line's overrides."""
    over = dict(time_limit=args.time_limit, gap_rel=args.gap, threads=args.threads,
                level_workers=args.level_workers, strong_linking=False if args.weak_linking else None,
                relaxation_start=False if args.no_relaxation_start else None,
                aggregate_m=args.aggregate)
    return solver_options(sc.solver, **over), args.method or sc.solver.method


def summary_line(row: dict) -> str:
    """One line a reader can compare across scales."""
    if row.get("status") == "error":
        return f"{row['scale']}x: error after {row['wall_seconds']} s: {row['error']}"
    return (f"{row['scale']}x: {row['variables']:,} columns, wall {row['total_wall_seconds']:.0f} s "
            f"(problem {row['geo_seconds']:.0f} s + solve {row['wall_seconds']:.0f} s), {row['status']}, "
            f"certified gap {row['gap']:.3%}, peak RSS {row['peak_rss_mib']:,.0f} MiB "
            f"(largest worker {row['peak_rss_children_mib']:,.0f} MiB), Python share {row['python_share']:.1%}, "
            f"CPU {row['cpu_seconds']:.0f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "kunming")
    ap.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    ap.add_argument("--time-limit", type=float, help="per level solve [s] (default: the scenario's)")
    ap.add_argument("--gap", type=float, help="relative gap (default: the scenario's)")
    ap.add_argument("--levels", nargs="+", help="plan only these levels (default: the scenario's)")
    ap.add_argument("--method", choices=["auto", "by_level", "joint"], help="(default: the scenario's)")
    ap.add_argument("--threads", type=int, help="solver threads (default: the scenario's)")
    ap.add_argument("--level-workers", type=int, help="level processes (default: the optimiser's choice)")
    ap.add_argument("--no-relaxation-start", action="store_true", help="switch the LP-relaxation start off")
    ap.add_argument("--aggregate", type=float, metavar="M",
                    help="merge demand units within M metres (default: the scenario's [solver] aggregate)")
    ap.add_argument("--weak-linking", action="store_true")
    ap.add_argument("--build-only", action="store_true", help="stop after building the model")
    args = ap.parse_args(argv)
    try:
        sc = load_scenario(args.scenario)
        city = load_city(args.data)
    except CapacityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.levels:
        sc = replace(sc, plan=replace(sc.plan, levels=tuple(args.levels),
                                      totals={lv: n for lv, n in sc.plan.totals.items() if lv in args.levels}))
    opts, method = options_for(sc, args)
    settings = {"scenario": args.scenario.name, "time_limit_s": opts.time_limit, "gap_target": opts.gap_rel,
                "threads": opts.threads, "level_workers": opts.level_workers, "method": method,
                "relaxation_start": opts.relaxation_start, "aggregate_m": opts.aggregate_m,
                "strong_linking": opts.strong_linking}
    print(json.dumps({"settings": settings}), file=sys.stderr, flush=True)
    for k in args.scales:
        t0 = time.perf_counter()
        problem, big = scaled_problem(city, sc, k)
        geo_s = time.perf_counter() - t0
        row = {"scale": k, "levels": [lv.name for lv in problem.levels], "units": int(big.demand_units.shape[0]),
               "facilities": sum(lv.facilities.n for lv in problem.levels),
               "options": sum(lv.options.n for lv in problem.levels),
               "arcs": sum(lv.arcs.n for lv in problem.levels), "geo_seconds": round(geo_s, 2), **settings}
        if args.build_only:
            from capacity.optimize import build_model, prepare
            t1 = time.perf_counter()
            model = build_model(problem, prepare(problem), strong_linking=opts.strong_linking)
            row.update(variables=model.n_cols, constraints=model.n_rows,
                       build_seconds=round(time.perf_counter() - t1, 2), peak_rss_mib=peak_mib())
            print(json.dumps(row), flush=True)
            continue
        t1 = time.perf_counter()
        cpu0 = cpu_seconds()

        def say(message, k=k, t1=t1):
            print(f"  {k}x +{time.perf_counter() - t1:7.1f} s  {message}", file=sys.stderr, flush=True)

        try:
            sol = solve(problem, opts, method=method, progress=say)
        except CapacityError as exc:
            row.update(status="error", error=str(exc))
        else:
            r = sol.report
            row.update(variables=r.n_variables, constraints=r.n_constraints, status=r.status,
                       objective=r.objective, best_bound=r.best_bound, gap=r.gap,
                       build_seconds=round(r.build_seconds, 2), solve_seconds=round(r.solve_seconds, 2),
                       calls=[[s.objective_part, s.status, round(s.gap, 5), round(s.solve_seconds, 1)]
                              for s in r.stages],
                       unserved=r.objective_parts["unserved"], cost_cny=r.objective_parts["cost"],
                       solver_note=r.solver)
        wall = time.perf_counter() - t1
        row.update(wall_seconds=round(wall, 1), total_wall_seconds=round(geo_s + wall, 1),
                   cpu_seconds=round(cpu_seconds() - cpu0, 1), peak_rss_mib=peak_mib(),
                   peak_rss_children_mib=peak_mib(resource.RUSAGE_CHILDREN))
        if "build_seconds" in row:
            python_s = geo_s + row["build_seconds"]
            row.update(python_seconds=round(python_s, 2), python_share=round(python_s / (geo_s + wall), 4))
        print(summary_line(row), flush=True)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
