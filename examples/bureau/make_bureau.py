"""Generate the SYNTHETIC example "bureau folder" in examples/bureau/.

Everything here is invented (seeded, reproducible) to show `capacity import`
on files in the forms a Chinese education bureau actually holds:

* ``register.xlsx`` — the school register, sheet 学校名册, Chinese headers,
  coordinates in **GCJ-02** (as copied from AMap), no land column;
* ``parcels.shp`` — land-use-plan parcels, DBF in **GBK** without a ``.cpg``,
  in **CGCS2000 / 3-degree Gauss–Krüger CM 102E (EPSG:4543)**;
* ``zones.shp`` — two planning zones in CGCS2000 geographic (EPSG:4490), GBK;
* ``population.tif`` — persons per ~100 m cell (WorldPop style), WGS84, with a
  nodata lake;
* ``roads.gpkg`` — a small street grid with an expressway marked not walkable;
* the contract's tables (population, births, age structure, enrolment,
  standards) and ``import.toml``;
* ``truth_wgs84.csv`` — the schools' true WGS84 positions, for the test that
  the imported points land within 1 m of them.

Usage: ``python examples/bureau/make_bureau.py [--seed 7] [--out examples/bureau]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, box

from capacity.geo.china import wgs84_to_gcj02
from capacity.geo.crs import transform_xy

METRIC = "EPSG:4543"
X0, Y0 = 570_000.0, 2_766_000.0      # south-west corner [m], near 102.70°E, 25.00°N
ZONES = [("539901", "示例甲区", "Jia District", (0, 0, 6000, 6000)),
         ("539902", "示例乙县", "Yi County", (6000, 0, 12000, 6000))]
SYNTHETIC = "SYNTHETIC example made by examples/bureau/make_bureau.py (seed {seed}); not real data"

STANDARDS = """\
# SYNTHETIC example standards (values of the usual Chinese planning norms, rounded).
[levels.kindergarten]
ages = [3, 5]
class_size = 30
modules = [6, 9, 12]
expansion_modules = [3]
land_m2_per_pupil = 13
floor_m2_per_pupil = 9
walk_standard_m = 300
max_distance_urban_m = 1500
max_distance_rural_m = 3000
cost_cny_per_m2 = 5000
enrolment_target = 0.95

[levels.primary]
ages = [6, 11]
class_size = 45
modules = [12, 18, 24]
expansion_modules = [6]
land_m2_per_pupil = 18
floor_m2_per_pupil = 8
walk_standard_m = 500
max_distance_urban_m = 2500
max_distance_rural_m = 5000
cost_cny_per_m2 = 6000
enrolment_target = 0.99

[levels.middle]
ages = [12, 14]
class_size = 50
modules = [12, 18, 24]
expansion_modules = [6]
land_m2_per_pupil = 20
floor_m2_per_pupil = 10
walk_standard_m = 1000
max_distance_urban_m = 4000
max_distance_rural_m = 8000
cost_cny_per_m2 = 6000
enrolment_target = 0.99

[levels.high]
ages = [15, 17]
class_size = 50
modules = [18, 24]
expansion_modules = [6]
land_m2_per_pupil = 25
floor_m2_per_pupil = 10
walk_standard_m = 2000
max_distance_urban_m = 10000
max_distance_rural_m = 15000
cost_cny_per_m2 = 6000
enrolment_target = 0.9

[sources]
all = "SYNTHETIC example standards"
"""

SPEC = """\
# Import spec of the SYNTHETIC example bureau folder (examples/bureau/make_bureau.py).
# capacity import examples/bureau/import.toml --out data/example
[city]
name = "Example"
name_local = "示例市"
metric_crs = "EPSG:4543"
base_year = 2023
description = "SYNTHETIC example city made by examples/bureau/make_bureau.py; not real data"

[zones]
file = "zones.shp"
encoding = "gbk"
columns = { zone_id = "XZQDM", name_local = "XZQMC", name_en = "NAME_EN" }
note = "{note}"

[schools]
file = "register.xlsx"
sheet = "学校名册"
crs = "GCJ-02"
x = "经度"
y = "纬度"
columns = {{ school_id = "学校标识码", name = "学校名称", level = "学段", seats = "核定学位数", classes = "班级数" }}
level_values = {{ "幼儿园" = "kindergarten", "小学" = "primary", "初中" = "middle", "高中" = "high" }}
note = "{note}"

[candidate_sites]
file = "parcels.shp"
encoding = "gbk"
columns = {{ site_id = "DKBH", land_m2 = "MJ", available_from = "GDNF", level = "YT" }}
level_values = {{ "幼儿园用地" = "kindergarten", "中小学用地" = ["primary", "middle"], "高中用地" = "high" }}
note = "{note}"

[demand_units]
raster = "population.tif"
cell_m = 500
note = "{note}"

[roads]
file = "roads.gpkg"
note = "{note}"

[tables]
population = "population.csv"
births = "births.csv"
age_structure = "age_structure.csv"
enrolment = "enrolment.csv"
standards = "standards.toml"
"""

SCENARIO = """\
# The SYNTHETIC example city imported by
#   capacity import examples/bureau/import.toml --out data/example
# then planned by
#   capacity run examples/bureau/scenario.toml --out outputs/example
name = "example"
data = "../../data/example"

[plan]
build_years = [2023, 2024, 2025]
evaluation_years = [2025, 2030]
totals_mode = "at_most"              # build what pays off, at most every parcel
distance = "network"                 # walking distances along roads.gpkg

[plan.totals]
kindergarten = 4
primary = 3
middle = 3
high = 1

[outputs]
report = false
"""


def _zones(seed):
    geoms = [box(X0 + a, Y0 + b, X0 + c, Y0 + d) for *_, (a, b, c, d) in ZONES]
    return gpd.GeoDataFrame({"XZQDM": [z[0] for z in ZONES], "XZQMC": [z[1] for z in ZONES],
                             "NAME_EN": [z[2] for z in ZONES]}, geometry=geoms, crs=METRIC)


def _density(x, y):
    """Persons per hectare at metric x, y: a dense centre in 甲区 and a town in 乙县."""
    d1 = np.hypot(x - (X0 + 3000), y - (Y0 + 3000))
    d2 = np.hypot(x - (X0 + 9000), y - (Y0 + 2500))
    return 120.0 * np.exp(-(d1 / 1500.0) ** 2) + 40.0 * np.exp(-(d2 / 1200.0) ** 2) + 1.5


def write_raster(folder: Path, rng) -> float:
    import rasterio
    from rasterio.transform import from_origin

    lon0, lat0 = transform_xy([X0 - 300], [Y0 + 6300], METRIC, "EPSG:4326")
    lon1, lat1 = transform_xy([X0 + 12300], [Y0 - 300], METRIC, "EPSG:4326")
    res = 0.001
    w = int(np.ceil((lon1[0] - lon0[0]) / res))
    h = int(np.ceil((lat0[0] - lat1[0]) / res))
    transform = from_origin(lon0[0], lat0[0], res, res)
    cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    lon = transform.c + transform.a * cols
    lat = transform.f + transform.e * rows
    x, y = transform_xy(lon, lat, "EPSG:4326", METRIC)
    cell_ha = (res * 111_320 * np.cos(np.radians(25.0))) * (res * 110_570) / 1e4
    persons = _density(x, y) * cell_ha * rng.lognormal(0.0, 0.3, size=x.shape)
    lake = np.hypot(x - (X0 + 4500), y - (Y0 + 5000)) < 600
    nodata = -99999.0
    persons = np.where(lake, nodata, np.round(persons, 2)).astype("float32")
    with rasterio.open(folder / "population.tif", "w", driver="GTiff", width=w, height=h, count=1,
                       dtype="float32", crs="EPSG:4326", transform=transform, nodata=nodata,
                       compress="deflate") as dst:
        dst.write(persons, 1)
    return float(persons[persons != nodata].sum())


def _schools(rng):
    rows = []
    spec = {"幼儿园": (7, 30, (6, 12)), "小学": (5, 45, (12, 24)), "初中": (3, 50, (12, 24)),
            "高中": (2, 50, (18, 30))}
    n = 0
    for level, (count, size, (lo, hi)) in spec.items():
        for _ in range(count):
            n += 1
            zone = 0 if rng.random() < 0.65 else 1
            cx = X0 + (3000 if zone == 0 else 9000) + rng.normal(0, 1200)
            cy = Y0 + (3000 if zone == 0 else 2500) + rng.normal(0, 1000)
            cx = np.clip(cx, X0 + 200 + 6000 * zone, X0 + 5800 + 6000 * zone)
            cy = np.clip(cy, Y0 + 200, Y0 + 5800)
            classes = int(rng.integers(lo // 3, hi // 3 + 1) * 3)
            rows.append({"学校标识码": f"21539{n:05d}", "学校名称": f"示例{level}{n}号",
                         "学段": level, "班级数": classes, "核定学位数": classes * size, "x": cx, "y": cy})
    return pd.DataFrame(rows)


def write_register(folder: Path, rng) -> pd.DataFrame:
    schools = _schools(rng)
    lon, lat = transform_xy(schools["x"], schools["y"], METRIC, "EPSG:4326")
    glon, glat = wgs84_to_gcj02(lon, lat)
    register = schools.drop(columns=["x", "y"]).assign(经度=np.round(glon, 7), 纬度=np.round(glat, 7))
    with pd.ExcelWriter(folder / "register.xlsx", engine="openpyxl") as xl:
        pd.DataFrame({"说明": ["示例数据（合成），非真实学校名册。SYNTHETIC example, not a real register."]}
                     ).to_excel(xl, sheet_name="说明", index=False)
        register.to_excel(xl, sheet_name="学校名册", index=False)
    # the truth is the position the GCJ-02 value (rounded to 1e-7°, ~1 cm) stands for
    tlon, tlat = np.asarray(lon), np.asarray(lat)
    truth = pd.DataFrame({"school_id": schools["学校标识码"], "lon": tlon, "lat": tlat,
                          "x": schools["x"], "y": schools["y"]})
    truth.to_csv(folder / "truth_wgs84.csv", index=False, float_format="%.9f")
    return schools


def write_parcels(folder: Path, rng):
    rows = [("DK-01", "幼儿园用地", (1500, 1500), 2023), ("DK-02", "幼儿园用地", (4300, 3600), 2024),
            ("DK-03", "幼儿园用地", (8800, 2200), 2023), ("DK-04", "中小学用地", (2400, 4200), 2023),
            ("DK-05", "中小学用地", (9500, 3200), 2024), ("DK-06", "高中用地", (3600, 1200), 2024),
            ("DK-07", "幼儿园用地", (2900, 2700), 2025), ("DK-08", "中小学用地", (7200, 1500), 2025)]
    geoms, area = [], []
    for _, use, (x, y), _ in rows:
        side = {"幼儿园用地": 70, "中小学用地": 150, "高中用地": 200}[use] * rng.uniform(1.0, 1.25)
        g = box(X0 + x, Y0 + y, X0 + x + side, Y0 + y + side * rng.uniform(0.9, 1.2))
        geoms.append(g)
        area.append(round(g.area, 1))
    parcels = gpd.GeoDataFrame({"DKBH": [r[0] for r in rows], "YT": [r[1] for r in rows],
                                "MJ": area, "GDNF": [r[3] for r in rows]}, geometry=geoms, crs=METRIC)
    parcels.to_file(folder / "parcels.shp", encoding="gbk", engine="pyogrio")
    (folder / "parcels.cpg").unlink(missing_ok=True)  # as many bureau shapefiles: GBK without a .cpg


def write_roads(folder: Path):
    lines, walk, speed = [], [], []
    # streets every 400 m, with a vertex at every crossing (a noded layer, as OSM is)
    for k in range(0, 12001, 400):
        lines.append(LineString([(X0 + k, Y0 + j) for j in range(0, 6001, 400)]))
        walk.append(True)
        speed.append(30.0)
    for k in range(0, 6001, 400):
        lines.append(LineString([(X0 + i, Y0 + k) for i in range(0, 12001, 400)]))
        walk.append(True)
        speed.append(30.0)
    lines.append(LineString([(X0, Y0 + 5900), (X0 + 12000, Y0 + 100)]))
    walk.append(False)
    speed.append(100.0)
    roads = gpd.GeoDataFrame({"walkable": walk, "speed_kmh": speed}, geometry=lines, crs=METRIC)
    roads.to_crs("EPSG:4326").to_file(folder / "roads.gpkg", layer="roads", driver="GPKG", engine="pyogrio")


def write_tables(folder: Path, raster_total: float, seed: int):
    share = (0.8, 0.2)
    pop = pd.DataFrame({"zone_id": [z[0] for z in ZONES], "year": 2023, "measure": "year_end",
                        "persons": [round(raster_total * s, -2) for s in share], "urban_share": [0.9, 0.45],
                        "provenance": "synthetic", "source_id": "example"})
    pop.to_csv(folder / "population.csv", index=False)
    total = float(pop["persons"].sum())
    pd.DataFrame({"scope": "city", "year": [2021, 2022, 2023],
                  "births": [round(total * r) for r in (0.0085, 0.0080, 0.0075)],
                  "provenance": "synthetic", "source_id": "example"}).to_csv(folder / "births.csv", index=False)
    pd.DataFrame({"scope": "city", "year": 2023, "age_from": [0, 15, 60], "age_to": [14, 59, 100],
                  "sex": "all", "persons": [round(total * s) for s in (0.15, 0.67, 0.18)],
                  "provenance": "synthetic", "source_id": "example"}).to_csv(folder / "age_structure.csv",
                                                                             index=False)
    pd.DataFrame({"scope": "city", "year": 2022, "level": ["kindergarten", "primary", "middle", "high"],
                  "schools": [7, 5, 3, 2], "pupils": [round(total * s) for s in (0.030, 0.070, 0.034, 0.028)],
                  "provenance": "synthetic", "source_id": "example"}).to_csv(folder / "enrolment.csv",
                                                                             index=False)
    (folder / "standards.toml").write_text(STANDARDS, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    folder = args.out
    folder.mkdir(parents=True, exist_ok=True)
    zones = _zones(args.seed).to_crs("EPSG:4490")
    zones.to_file(folder / "zones.shp", encoding="gbk", engine="pyogrio")
    (folder / "zones.cpg").unlink(missing_ok=True)
    write_register(folder, rng)
    write_parcels(folder, rng)
    total = write_raster(folder, rng)
    write_roads(folder)
    write_tables(folder, total, args.seed)
    note = SYNTHETIC.format(seed=args.seed)
    (folder / "import.toml").write_text(SPEC.replace("{note}", note).replace("{{", "{").replace("}}", "}"),
                                        encoding="utf-8")
    (folder / "scenario.toml").write_text(SCENARIO, encoding="utf-8")
    print(f"wrote the synthetic bureau folder {folder} (seed {args.seed}; raster total {total:,.0f} persons)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
