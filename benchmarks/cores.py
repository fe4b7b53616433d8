"""How much two single-thread HiGHS solves slow each other on this machine (the ceiling of any 2-worker speed-up).

Usage::

    python benchmarks/cores.py [--level primary] [--copies 2] [--data data/kunming]

Builds one level of the 1× synthetic city of ``benchmarks/scaling.py`` (the
model of ``scenarios/benchmark_03ad4e2.toml``) and times its LP relaxation
with HiGHS on one thread: first in one process alone, then in ``--copies``
processes at the same time (each builds its own model first; only the solve
is timed, after all copies have built theirs). Prints one JSON line: the
solo seconds, each concurrent copy's seconds, and the **throughput ceiling**
= copies × solo / slowest concurrent — what ``copies`` workers can gain over
one on CPU-bound solver work, whatever the code around them does (shared
caches and memory bandwidth, or virtual CPUs that are not whole cores).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _model(data: str, level: str):
    from scaling import DEFAULT_SCENARIO, scaled_problem

    from capacity.data.load import load_city
    from capacity.optimize import SolverOptions, build_model, prepare
    from capacity.optimize.decompose import level_problem
    from capacity.optimize.model import weighted_objective
    from capacity.scenario import load_scenario

    problem = level_problem(scaled_problem(load_city(data), load_scenario(DEFAULT_SCENARIO), 1)[0], level)
    model = build_model(problem, prepare(problem))
    return model, weighted_objective(model), SolverOptions(threads=1)


def _lp_seconds(model, coef, opts) -> float:
    import numpy as np

    from capacity.optimize import highs

    h = highs._new_highs(opts)
    highs._load(h, model, coef, model.lower.astype(float), model.upper.astype(float), np.zeros(0, dtype=np.int64))
    t0 = time.perf_counter()
    h.run()
    return time.perf_counter() - t0


def _copy(data, level, barrier, out):
    model, coef, opts = _model(data, level)
    barrier.wait()
    out.put(_lp_seconds(model, coef, opts))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--level", default="primary")
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--data", default=str(ROOT / "data" / "kunming"))
    args = ap.parse_args(argv)
    model, coef, opts = _model(args.data, args.level)
    solo = _lp_seconds(model, coef, opts)
    del model
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(args.copies), ctx.Queue()
    procs = [ctx.Process(target=_copy, args=(args.data, args.level, barrier, out)) for _ in range(args.copies)]
    for p in procs:
        p.start()
    together = sorted(out.get() for _ in procs)
    for p in procs:
        p.join()
    print(json.dumps({"level": args.level, "copies": args.copies, "solo_s": round(solo, 2),
                      "together_s": [round(t, 2) for t in together],
                      "throughput_ceiling": round(args.copies * solo / max(together), 3)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
