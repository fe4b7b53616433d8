"""Ensemble throughput: draws per minute, serial vs a local Dask cluster.

Runs the same ensemble (same seed) on one scenario in this process and on a
``distributed.LocalCluster`` (one single-threaded worker per core), checks
that the tables are identical, and prints the wall time of each, its phases
and its longest task. The default plans Kunming's kindergartens only
(``plan.levels``) with a time limit per solve so that it finishes in
minutes; every level is ``--levels kindergarten primary middle high``.

``--phase0 inside`` (default) times the whole ensemble, the scenario's own
plan included (solved on this machine with its levels on the runner's
worker count); ``--phase0 given`` solves it once before both runs and hands
it in (as ``capacity ensemble --plan`` does), so the ratio is that of the
draws' work alone.

    .venv/bin/python benchmarks/ensemble.py --draws 6 --fit-draws 2
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capacity.commands import load_inputs  # noqa: E402
from capacity.ensemble import EnsembleParams, make_runner, run_ensemble  # noqa: E402
from capacity.ensemble.run import phase0_options, prepare_inputs, solver_options  # noqa: E402

TABLES = ("draws", "draw_summary", "site_frequency", "unserved_quantiles", "baseline_plan", "robust_plan", "opened")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="scenarios/baseline.toml")
    ap.add_argument("--levels", nargs="+", default=["kindergarten"])
    ap.add_argument("--draws", type=int, default=6)
    ap.add_argument("--fit-draws", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--gap", type=float, default=0.02)
    ap.add_argument("--robust-fit", choices=("best", "stacked"), default="best")
    ap.add_argument("--phase0", choices=("inside", "given"), default="inside")
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--runners", nargs="+", default=["serial", "local"], choices=["serial", "local"])
    args = ap.parse_args(argv)

    scenario, city = load_inputs(args.scenario)
    scenario = dataclasses.replace(scenario, plan=dataclasses.replace(scenario.plan, levels=tuple(args.levels)))
    params = EnsembleParams(draws=args.draws, seed=args.seed, fit_draws=args.fit_draws, time_limit_s=args.time_limit,
                            mip_gap=args.gap, fan_years="evaluation", robust_fit=args.robust_fit)
    t0 = time.perf_counter()
    inputs = prepare_inputs(scenario, city, params)
    prep = time.perf_counter() - t0
    print(f"scenario {scenario.name}, levels {', '.join(args.levels)}, {args.draws} draws (robust fit "
          f"{args.robust_fit} on {args.fit_draws}), limit {args.time_limit:g} s, gap {args.gap:.0%}, "
          f"phase 0 {args.phase0}; inputs {prep:.1f} s; load {os.getloadavg()[0]:.1f}")
    plan = None
    if args.phase0 == "given":
        from capacity.ensemble.tasks import Shared, solve_baseline

        opts = solver_options(scenario, params)
        t0 = time.perf_counter()
        plan, _ = solve_baseline(Shared(problem=inputs.problem, method=scenario.solver.method,
                                        options=phase0_options(scenario, opts, 1)))
        print(f"the scenario's plan, once for both runs: {time.perf_counter() - t0:.0f} s")
    results, walls = {}, {}
    print("| runner | wall | draws / min | phase 0 | phase 1 | phase 2 | longest re-optimisation | load |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.runners:
        runner = make_runner(name, quiet=True, **({"workers": args.workers} if name == "local" else {}))
        try:
            t0 = time.perf_counter()
            results[name] = run_ensemble(scenario, city, params, runner, quiet=True, inputs=inputs, plan=plan)
            walls[name] = wall = time.perf_counter() - t0
            label = runner.name
        finally:
            runner.close()
        r = results[name]
        tm = r.summary["timing"]
        longest = max(tm["optimise_s"])
        print(f"| {label} | {wall:.0f} s | {args.draws / wall * 60:.2f} | {tm['phase0_s']:.0f} s | "
              f"{tm['phase1_s']:.0f} s | {tm['phase2_s']:.0f} s | {longest:.0f} s | {os.getloadavg()[0]:.1f} |")
    if len(results) == 2:
        a, b = results.values()
        differ = []
        for t in TABLES:
            try:
                pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t), check_exact=True)
            except AssertionError:
                differ.append(t)
        limited = {n: int(sum(s >= args.time_limit for s in r.summary["timing"]["optimise_s"]))
                   for n, r in results.items()}
        print(f"tables identical: {not differ}" + (f" (differ: {', '.join(differ)}; re-optimisations at or over "
                                                   f"the {args.time_limit:g} s limit per runner: {limited})"
                                                   if differ else "")
              + f"; speed-up {walls['serial'] / walls['local']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
