"""Benchmark: stochastic cohort-component projection.

Projects D draws × Z zones × 2 sexes × 101 ages over T years with the
array core (:func:`capacity.demography.cohort.project`), once keeping the
full arrays and once in draw chunks keeping only age-group sums (the path
``run_projection`` takes). Reports wall time and peak traced memory.

    .venv/bin/python benchmarks/projection.py --draws 1000 --zones 15 --years 20
    .venv/bin/python benchmarks/projection.py --city data/kunming   # also end to end

With ``--city`` it also times ``run_projection`` on a data folder with the
default (back-test calibrated) spread and ``--draws`` draws: base
population, calibration, three variants, the draws' paths
(:func:`capacity.demography.paths.stochastic_paths`) and quantiles.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from capacity.demography import cohort
from capacity.demography.fertility import female_birth_share, hadwiger_schedule
from capacity.demography.migration import migration_profile
from capacity.demography.mortality import life_table


def make_inputs(draws, zones, years, seed=0):
    rng = np.random.default_rng(seed)
    lt_m, lt_f = life_table(76.0), life_table(81.5)
    fshare = female_birth_share(110.0)
    P0 = rng.uniform(2_000, 12_000, size=(zones, 2, 101)) * np.stack([lt_m.lx, lt_f.lx])
    tfr = 1.0 * np.exp(np.cumsum(0.05 * rng.standard_normal((draws, 1, years)), axis=-1))
    mig = 0.005 + np.cumsum(0.002 * rng.standard_normal((draws, zones, years)), axis=-1)
    rates = cohort.Rates(
        survival=np.repeat(np.stack([lt_m.survival, lt_f.survival])[None], years, axis=0),
        birth_survival=np.repeat([[lt_m.birth_survival, lt_f.birth_survival]], years, axis=0),
        schedule=hadwiger_schedule(), tfr=np.broadcast_to(tfr, (draws, zones, years)),
        female_share=fshare, migration=mig, migration_is_rate=np.ones(years, bool),
        profile=migration_profile())
    return P0, rates


def _slice(rates, lo, hi):
    return cohort.Rates(**{**rates.__dict__, "tfr": rates.tfr[lo:hi], "migration": rates.migration[lo:hi]})


def run(draws, zones, years, dtype, chunk=None):
    P0, rates = make_inputs(draws, zones, years)
    groups = np.zeros((101, 5))
    for j, (lo, hi) in enumerate([(3, 5), (6, 11), (12, 14), (15, 17), (0, 100)]):
        groups[lo:hi + 1, j] = 1
    tracemalloc.start()
    t0 = time.perf_counter()
    if chunk is None:
        traj = cohort.project(np.broadcast_to(P0, (draws,) + P0.shape), rates, dtype=dtype)
        cells = traj.population.size
    else:
        cells = 0
        for lo in range(0, draws, chunk):
            hi = min(draws, lo + chunk)
            traj = cohort.project(np.broadcast_to(P0, (hi - lo,) + P0.shape), _slice(rates, lo, hi),
                                  group_matrix=groups, dtype=dtype)
            cells += traj.population.size
    wall = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return wall, peak / 2**20, cells


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--zones", type=int, default=15)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--chunk", type=int, default=250)
    ap.add_argument("--city", help="a data folder: also time run_projection end to end")
    a = ap.parse_args(argv)
    print(f"{a.draws} draws × {a.zones} zones × 2 sexes × 101 ages × {a.years} years")
    for label, dtype, chunk in [("full arrays, float64", np.float64, None),
                                ("full arrays, float32", np.float32, None),
                                (f"chunks of {a.chunk}, group sums, float64", np.float64, a.chunk)]:
        wall, peak, cells = run(a.draws, a.zones, a.years, dtype, chunk)
        print(f"{label:40s} wall {wall:6.2f} s   peak {peak:8.1f} MiB   kept {cells:,} values")
    if a.city:
        from capacity.data import load_city
        from capacity.demography import ProjectionParams, run_projection

        city = load_city(a.city)
        params = ProjectionParams(draws=a.draws, chunk_draws=a.chunk)
        t0 = time.perf_counter()
        run_projection(city, params)
        wall = time.perf_counter() - t0
        print(f"{'run_projection end to end, ' + str(a.draws) + ' draws':40s} wall {wall:6.2f} s   "
              f"(tfr_sigma {params.tfr_sigma}, migration_sigma {params.migration_sigma}, "
              f"zone factor {params.migration_zone_factor})")


if __name__ == "__main__":
    main()
