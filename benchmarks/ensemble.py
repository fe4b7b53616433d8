"""Ensemble throughput: draws per minute, serial vs a local Dask cluster.

Runs the same ensemble (same seed) twice on one scenario — in this process
and on a ``distributed.LocalCluster`` (one single-threaded worker per core)
— checks that the tables are identical, and prints the draws per minute of
each. The default plans Kunming's kindergartens only (``plan.levels``) with
a time limit per solve so that it finishes in minutes; every level is
``--levels kindergarten primary middle high``.

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
from capacity.ensemble.run import prepare_inputs  # noqa: E402

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
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--runners", nargs="+", default=["serial", "local"], choices=["serial", "local"])
    args = ap.parse_args(argv)

    scenario, city = load_inputs(args.scenario)
    scenario = dataclasses.replace(scenario, plan=dataclasses.replace(scenario.plan, levels=tuple(args.levels)))
    params = EnsembleParams(draws=args.draws, seed=args.seed, fit_draws=args.fit_draws, time_limit_s=args.time_limit,
                            mip_gap=args.gap, fan_years="evaluation")
    t0 = time.perf_counter()
    inputs = prepare_inputs(scenario, city, params)
    prep = time.perf_counter() - t0
    print(f"scenario {scenario.name}, levels {', '.join(args.levels)}, {args.draws} draws (robust fit on "
          f"{args.fit_draws}), limit {args.time_limit:g} s, gap {args.gap:.0%}; inputs {prep:.1f} s")
    results = {}
    for name in args.runners:
        runner = make_runner(name, quiet=True, **({"workers": args.workers} if name == "local" else {}))
        try:
            t0 = time.perf_counter()
            results[name] = run_ensemble(scenario, city, params, runner, quiet=True, inputs=inputs)
            wall = time.perf_counter() - t0
            label = runner.name
        finally:
            runner.close()
        s = results[name].summary
        held = s["regret"]["held_out"]
        print(f"| {label} | {wall:.0f} s | {args.draws / wall * 60:.2f} | "
              f"{held['baseline']['mean']:,.0f} | {held.get('robust', {}).get('mean', float('nan')):,.0f} |")
    if len(results) == 2:
        a, b = results.values()
        same = all(getattr(a, t).equals(getattr(b, t)) for t in TABLES)
        for t in TABLES:
            pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t), check_exact=True)
        print(f"tables identical: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
