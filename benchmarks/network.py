"""Road-network distances at Kunming's size: a generated network, the Kunming units and sites.

No open road layer of Kunming is bundled, so the network is GENERATED (seeded):
nodes are drawn inside Kunming's zones, most of them around the demand units in
proportion to their population (streets are dense where people live), the rest
uniformly (rural roads); edges are the Delaunay triangulation of the nodes
without edges longer than ``--max-edge-m`` (a planar, street-like mesh). The
node count is chosen so the generated layer has at least ``--edges`` edges
(default 300,000). The network is then built as a data folder's
``roads.gpkg`` would be (:func:`capacity.network.build_network`), and for each level the unit → school/site arcs are computed both ways:
straight lines with the k-d tree (:func:`capacity.optimize.geo.build_arcs`) and
network distances (:func:`capacity.network.network_arcs`), with each level's
urban/rural maximum distance.

Usage::

    .venv/bin/python benchmarks/network.py [--edges 300000] [--seed 1] [--levels kindergarten primary]

Prints a Markdown table (time, arcs, peak resident memory) for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capacity import LEVELS  # noqa: E402
from capacity.data import load_city  # noqa: E402
from capacity.network import build_network, network_arcs  # noqa: E402
from capacity.optimize.geo import build_arcs  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def generate_lines(city, n_nodes: int, max_edge_m: float, rng):
    """Street-like lines: Delaunay edges of population-weighted nodes inside the zones."""
    import shapely
    from scipy.spatial import Delaunay

    units = city.demand_units
    xy_u = np.c_[units.geometry.x, units.geometry.y]
    w = units["population"].to_numpy(float)
    n_pop = int(0.8 * n_nodes)
    pick = rng.choice(len(xy_u), size=n_pop, p=w / w.sum())
    cell = units["cell_m"].to_numpy(float)[pick]
    pts = xy_u[pick] + rng.uniform(-0.5, 0.5, (n_pop, 2)) * cell[:, None]
    zones = shapely.union_all(city.zones.geometry.values)
    minx, miny, maxx, maxy = zones.bounds
    rural = []
    while sum(len(r) for r in rural) < n_nodes - n_pop:
        cand = np.c_[rng.uniform(minx, maxx, 50_000), rng.uniform(miny, maxy, 50_000)]
        rural.append(cand[shapely.contains_xy(zones, cand[:, 0], cand[:, 1])])
    pts = np.vstack([pts] + rural)[:n_nodes]
    tri = Delaunay(pts)
    s = tri.simplices
    e = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    length = np.hypot(*(pts[e[:, 0]] - pts[e[:, 1]]).T)
    e = e[length <= max_edge_m]
    return shapely.linestrings(np.stack([pts[e[:, 0]], pts[e[:, 1]]], axis=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/kunming")
    parser.add_argument("--edges", type=int, default=300_000, help="least edges of the generated layer")
    parser.add_argument("--max-edge-m", type=float, default=3000.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--levels", nargs="+", default=list(LEVELS))
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    city = load_city(args.data)
    t0 = time.perf_counter()
    n_nodes = int(args.edges / 2.9)
    while True:
        lines = generate_lines(city, n_nodes, args.max_edge_m, rng)
        if len(lines) >= args.edges:
            break
        n_nodes = int(n_nodes * 1.05 * args.edges / len(lines))
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    net = build_network(lines)
    t_build = time.perf_counter() - t0
    print(f"generated {len(lines):,} road lines (edges) on {n_nodes:,} nodes in {t_gen:.1f} s; "
          f"built {net.describe()} in {t_build:.1f} s; "
          f"peak RSS {peak_rss_mib():,.0f} MiB")
    units = city.demand_units
    uxy = np.c_[units.geometry.x, units.geometry.y]
    urban = units["urban"].to_numpy(bool)
    print("\n| level | units | schools + sites | max distance urban / rural | straight: arcs, s | "
          "network: arcs, wall s (CPU s) | network / straight arcs | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    total = cpu = 0.0
    for level in args.levels:
        std = city.standards[level]
        fac = [city.schools[city.schools["level"] == level], city.candidate_sites[city.candidate_sites["level"] == level]]
        fxy = np.vstack([np.c_[f.geometry.x, f.geometry.y] for f in fac])
        t0 = time.perf_counter()
        su, _, _ = build_arcs(uxy, urban, fxy, std)
        t_s = time.perf_counter() - t0
        radius = np.where(urban, std.max_distance_urban_m, std.max_distance_rural_m)
        t0, c0 = time.perf_counter(), time.process_time()
        nu, _, nd = network_arcs(net, uxy, radius, fxy)
        t_n, c_n = time.perf_counter() - t0, time.process_time() - c0
        total += t_n
        cpu += c_n
        print(f"| {level} | {len(uxy):,} | {len(fxy):,} | {std.max_distance_urban_m:,.0f} / "
              f"{std.max_distance_rural_m:,.0f} m | {len(su):,}, {t_s:.2f} | {len(nu):,}, {t_n:.1f} ({c_n:.1f}) | "
              f"{len(nu) / max(len(su), 1):.2f} | {peak_rss_mib():,.0f} MiB |", flush=True)
    print(f"\nnetwork arcs, all levels: {total:.1f} s wall, {cpu:.1f} s CPU; peak RSS {peak_rss_mib():,.0f} MiB; "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
