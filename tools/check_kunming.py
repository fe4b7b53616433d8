"""Independent checks of ``data/kunming`` (beyond ``capacity validate``).

    python tools/check_kunming.py [--data data/kunming] [--regenerate]

Reads every file back and checks: the 14 counties sum to 8,680,000 in 2023;
ids unique; CRS (zones EPSG:4326, points EPSG:4543); every point inside its
zone; per-zone unit populations equal the zone totals; school counts and seat
totals match the 2022 bulletin rules; the largest module of each level fits
the largest candidate site; Mohan has its T15 prerequisites; every source_id
is registered in SOURCES.md. ``--regenerate`` also reruns the generator with
seed 20231 in a temporary folder and compares the bytes. Exit code 1 on any
failure.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd

COUNTY_IDS = ["530102", "530103", "530111", "530112", "530113", "530114", "530115",
              "530124", "530125", "530126", "530127", "530128", "530129", "530181"]
CITY_SCHOOLS_2022 = {"kindergarten": 1627, "primary": 717, "middle": 204, "high": 145, "special": 13}


def run(folder: Path, regenerate: bool) -> list[tuple[str, bool, str]]:
    res = []

    def check(name, ok, detail=""):
        res.append((name, bool(ok), detail))

    zones = gpd.read_file(folder / "zones.gpkg", layer="zones")
    check("zones: 15 zones, ids unique", len(zones) == 15 and zones["zone_id"].is_unique)
    check("zones: EPSG:4326", zones.crs.to_epsg() == 4326, str(zones.crs))
    check("zones: all 14 adcodes + mohan", set(zones["zone_id"]) == set(COUNTY_IDS) | {"mohan"})
    check("zones: valid geometries", zones.is_valid.all())
    zm = zones.to_crs("EPSG:4543")
    cty = zm[zm["kind"] == "county"]
    overlap = cty.area.sum() - cty.union_all().area
    check("zones: counties do not overlap", overlap < 1e3, f"{overlap:.1f} m2")
    size_kb = (folder / "zones.gpkg").stat().st_size / 1024
    check("zones: file < 300 KB", size_kb < 300, f"{size_kb:.0f} KB")

    pop = pd.read_csv(folder / "population.csv", dtype={"zone_id": str})
    b = pop[(pop["year"] == 2023) & (pop["measure"] == "year_end")].set_index("zone_id")["persons"]
    s14 = int(b[COUNTY_IDS].sum())
    check("population: 14 counties 2023 = 8,680,000", s14 == 8_680_000, f"{s14:,}")
    check("population: Mohan 2023 present", "mohan" in b.index, f"{b.get('mohan')}")
    check("population: key unique", not pop.duplicated(["zone_id", "year", "measure"]).any())

    units = gpd.read_file(folder / "demand_units.gpkg", layer="demand_units")
    sch = gpd.read_file(folder / "schools.gpkg", layer="schools")
    sites = gpd.read_file(folder / "candidate_sites.gpkg", layer="candidate_sites")
    for name, g, key in (("demand_units", units, "unit_id"), ("schools", sch, "school_id"),
                         ("candidate_sites", sites, "site_id")):
        check(f"{name}: EPSG:4543", g.crs.to_epsg() == 4543, str(g.crs))
        check(f"{name}: ids unique", g[key].is_unique)
        check(f"{name}: provenance synthetic", (g["provenance"] == "synthetic").all())
        j = gpd.sjoin(g[[key, "zone_id", "geometry"]], zm[["zone_id", "geometry"]].rename(
            columns={"zone_id": "zone_in"}), predicate="within", how="left")
        bad = (j["zone_in"] != j["zone_id"]).sum()
        check(f"{name}: every point inside its zone", bad == 0, f"{bad} outside")
        kb = (folder / f"{name}.gpkg").stat().st_size / 1024
        check(f"{name}: file < 3 MB", kb < 3072, f"{kb:.0f} KB")

    n_pos = int((units["population"] > 0).sum())
    check("demand_units: 5,000-9,000 units with population > 0", 5000 <= n_pos <= 9000, f"{n_pos}")
    up = units.groupby("zone_id")["population"].sum()
    diff = (up - b.reindex(up.index)).abs().max()
    check("demand_units: per-zone sums = 2023 totals", diff == 0 and set(up.index) == set(b.index), f"max diff {diff}")
    check("demand_units: cells <=500 m urban, 1-2 km rural",
          units.loc[units["urban"], "cell_m"].max() <= 500
          and units.loc[~units["urban"], "cell_m"].isin([1000, 2000]).all())

    cnt = sch[sch["zone_id"] != "mohan"].groupby("level").size()
    check("schools: city counts = 2022 bulletin", all(cnt.get(k, 0) == v for k, v in CITY_SCHOOLS_2022.items()),
          cnt.to_dict())
    for z, lv, n in (("530114", "kindergarten", 73), ("530114", "primary", 23), ("530113", "kindergarten", 69),
                     ("530113", "primary", 27), ("530113", "middle", 10), ("530113", "high", 3), ("530113", "special", 1)):
        got = int(((sch["zone_id"] == z) & (sch["level"] == lv)).sum())
        check(f"schools: {z} {lv} = {n} (2023 bulletin)", got == n, str(got))
    seats = sch[sch["zone_id"] != "mohan"].groupby("level")["seats"].sum()
    for lv, pupils in (("kindergarten", 307_571), ("high", 142_581)):
        check(f"schools: {lv} seats ≈ 2022 enrolment / 0.95", abs(seats[lv] - pupils / 0.95) < 20, f"{seats[lv]:,}")
    comp = seats["primary"] + seats["middle"]
    check("schools: primary+middle seats ≈ 781,330 / 0.95", abs(comp - 781_330 / 0.95) < 40, f"{comp:,}")

    with open(folder / "standards.toml", "rb") as fh:
        std = tomllib.load(fh)
    for lv, s in std["levels"].items():
        need = max(s["modules"]) * s["class_size"] * s["land_m2_per_pupil"]
        have = sites.loc[sites["level"] == lv, "land_m2"].max()
        check(f"standards: largest {lv} module fits a site", have >= need, f"need {need:,.0f}, max {have:,.0f}")

    m_s = sch[sch["zone_id"] == "mohan"]
    m_c = sites[sites["zone_id"] == "mohan"]
    hi = std["levels"]["high"]
    kg = std["levels"]["kindergarten"]
    check("mohan: existing kindergarten, primary, middle; no high",
          {"kindergarten", "primary", "middle"} <= set(m_s["level"]) and "high" not in set(m_s["level"]))
    check("mohan: a high-school site fitting the largest module by 2025",
          ((m_c["level"] == "high") & (m_c["land_m2"] >= max(hi["modules"]) * hi["class_size"] * hi["land_m2_per_pupil"])
           & (m_c["available_from"] <= 2025)).any())
    check("mohan: a kindergarten site fitting the largest module by 2025",
          ((m_c["level"] == "kindergarten") & (m_c["land_m2"] >= max(kg["modules"]) * kg["class_size"] * kg["land_m2_per_pupil"])
           & (m_c["available_from"] <= 2025)).any())
    check("mohan: primary expansion possible", len(std["levels"]["primary"]["expansion_modules"]) > 0)

    srcs = (folder / "SOURCES.md").read_text(encoding="utf-8")
    used = set()
    for f in ("population.csv", "city_population.csv", "age_structure.csv", "births.csv",
              "enrolment.csv", "enrolment_rates.csv"):
        used |= set(pd.read_csv(folder / f)["source_id"])
    for v in std["sources"].values():
        used |= {x.strip() for x in v.split(";")}
    missing = sorted(u for u in used if f"`{u}`" not in srcs and u not in srcs)
    check("SOURCES.md: every source_id registered", not missing, str(missing))

    if regenerate:
        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            for f in ("zones.gpkg", "population.csv", "enrolment.csv", "standards.toml"):
                shutil.copy(folder / f, t / f)
            subprocess.run([sys.executable, str(Path(__file__).with_name("generate_synthetic.py")),
                            "--seed", "20231", "--data", str(t)], check=True, capture_output=True)
            for f in ("demand_units.gpkg", "schools.gpkg", "candidate_sites.gpkg"):
                check(f"reproducible: {f} byte-identical with seed 20231",
                      filecmp.cmp(folder / f, t / f, shallow=False))
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/kunming")
    ap.add_argument("--regenerate", action="store_true")
    args = ap.parse_args(argv)
    res = run(Path(args.data), args.regenerate)
    for name, ok, detail in res:
        print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail else ""))
    failed = sum(not ok for _, ok, _ in res)
    print(f"{len(res) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
