"""Generate Kunming's SYNTHETIC layers: demand units, existing schools, candidate sites.

    python tools/generate_synthetic.py --seed 20231

regenerates ``data/kunming/demand_units.gpkg``, ``schools.gpkg`` and
``candidate_sites.gpkg`` bit-for-bit (same seed, same package versions).

What is real and what is not
----------------------------
Real (sourced in ``data/kunming/SOURCES.md``): the zone polygons, the 2023
zone populations and urban shares, the city-wide 2022 school counts and
enrolments, the Chenggong and Dongchuan 2023 bulletin counts, the planning
standards. The *approximate* coordinates of the county seats and district
centres below are real places, rounded to about 0.01° (≈1 km).

Synthetic: every point. Population is spread around the real centres with a
decaying density; schools and candidate parcels are placed near population.
No point is a real school or a real parcel. Each layer says so in its
``provenance`` column and its GeoPackage layer description.

Rules (each one a stated assumption; see SOURCES.md)
----------------------------------------------------
Demand units
    Urban population (persons × urban_share) fills 500 m cells inside disks
    around each centre; a disk is the smallest one holding enough in-zone,
    off-lake cells for the centre's urban population at a mean density of
    ``URBAN_DENSITY`` persons/km².
    Inside the disk density decays as exp(−d/λ), λ = radius / 2, times a
    lognormal noise. Rural population fills 1 km cells (zones under
    1,000 km²) or 2 km cells (larger zones) at village clusters
    (``RURAL_PERSONS_PER_VILLAGE`` persons each on average, lognormal sizes)
    scattered uniformly over the rural part of the zone. Cells without
    people are dropped. Integer populations per zone sum exactly to the
    2023 year-end figure (largest-remainder rounding, urban and rural
    separately).
Existing schools
    Counts: the 2022 city totals, with Chenggong and Dongchuan fixed at
    their 2023 bulletin counts and the remainder split over the other 12
    counties in proportion to 2023 population (largest remainder). Seats:
    2022 enrolment / ``UTILISATION`` per level; compulsory enrolment split
    between primary and middle by 6 × primary intake : 3 × middle intake;
    Chenggong and Dongchuan use their own 2023 enrolment; the rest is split
    by population. Seats per school vary (lognormal weights, larger in
    urban units); classes = seats / class size, rounded. Land =
    seats × land standard × lognormal noise (×0.7 in urban core cells:
    old inner-city schools are below standard). Points: demand units drawn
    by population (× ``LEVEL_URBAN_PULL`` for urban units), jittered in
    their cell. Special schools: see ``SPECIAL_RULE``. Mohan: a few small
    schools, no high school.
Candidate sites
    Per level a target count split over zones by population × growth weight
    (Chenggong, Guandu, Xishan, Anning × 2) with a per-zone minimum. Land:
    lognormal around the middle module's need; ≥10 % of sites fit the
    largest module; Mohan gets fixed sites for T15. available_from:
    2023–2026. cost_factor: lognormal around 1, × 1.25 in the core
    districts' urban cells, × 1.15 in Mohan.

Lake mask
    Dian lake (滇池) lies inside four zones. An APPROXIMATE outline
    (``DIANCHI_LONLAT``, about 290 km², rough shoreline from general
    knowledge, not surveyed) keeps points off the water.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import Polygon

METRIC_CRS = "EPSG:4543"
DEFAULT_SEED = 20231
BASE_YEAR = 2023

# --- real places, approximate coordinates (WGS84 lon, lat), and a weight share
# of the zone's urban population. First entry: the district government area or
# county seat (town named in the comment). Rounded to ~0.01°.
CENTRES = {
    "530102": [(102.70, 25.04, 0.85), (102.69, 25.08, 0.15)],  # 五华 centre; 黑林铺/普吉 north-west
    "530103": [(102.72, 25.06, 0.8), (102.75, 25.10, 0.2)],  # 盘龙 centre; 龙泉/茨坝 north
    "530111": [(102.75, 25.02, 0.65), (102.78, 24.98, 0.25), (102.93, 25.10, 0.1)],  # 官渡 关上; 小板桥; 长水 airport
    "530112": [(102.67, 25.03, 0.7), (102.62, 25.02, 0.15), (102.56, 24.79, 0.15)],  # 西山 centre; 碧鸡/马街 west; 海口
    "530113": [(103.19, 26.08, 1.0)],  # 东川 铜都
    "530114": [(102.82, 24.89, 0.6), (102.86, 24.84, 0.4)],  # 呈贡 new town; 大学城 university town
    "530115": [(102.60, 24.67, 1.0)],  # 晋宁 昆阳
    "530124": [(102.50, 25.22, 1.0)],  # 富民 永定
    "530125": [(103.14, 24.92, 1.0)],  # 宜良 匡远
    "530126": [(103.29, 24.77, 1.0)],  # 石林 鹿阜
    "530127": [(103.04, 25.34, 0.75), (103.02, 25.27, 0.25)],  # 嵩明 嵩阳; 杨林
    "530128": [(102.47, 25.55, 1.0)],  # 禄劝 屏山
    "530129": [(103.26, 25.56, 1.0)],  # 寻甸 仁德
    "530181": [(102.48, 24.92, 0.8), (102.42, 24.88, 0.2)],  # 安宁 连然; 草铺/工业园 west
    "mohan": [(101.685, 21.19, 0.75), (101.64, 21.30, 0.25)],  # 磨憨 port town; 尚勇 north
}
CORE_DISTRICTS = {"530102", "530103", "530111", "530112"}
GROWTH_ZONES = {"530114": 2.0, "530111": 2.0, "530112": 2.0, "530181": 2.0}
MOHAN_URBAN_SHARE = 0.6  # assumption: port town; no figure found

# Mean urban density inside the disk [persons / km²] (assumption).
URBAN_DENSITY = {"core": 12_000.0, "district": 9_000.0, "county": 7_000.0}
URBAN_CELL_M = 500.0
RURAL_PERSONS_PER_VILLAGE = 300.0
RURAL_FINE_MAX_AREA_M2 = 2_000e6  # zones smaller than this get 1 km rural cells, others 2 km

# Approximate Dian lake (滇池) outline, lon/lat. Rough, for masking only.
DIANCHI_LONLAT = [
    (102.665, 24.985), (102.700, 24.960), (102.735, 24.935), (102.755, 24.895),
    (102.760, 24.850), (102.745, 24.800), (102.720, 24.760), (102.690, 24.720),
    (102.660, 24.690), (102.625, 24.680), (102.610, 24.700), (102.600, 24.740),
    (102.590, 24.780), (102.615, 24.830), (102.640, 24.880), (102.650, 24.930),
    (102.655, 24.965),
]

LEVELS = ("kindergarten", "primary", "middle", "high")
LETTER = {"kindergarten": "K", "primary": "P", "middle": "M", "high": "H", "special": "S"}
LEVEL_CN = {"kindergarten": "幼儿园", "primary": "小学", "middle": "中学", "high": "高中", "special": "特殊教育学校"}

UTILISATION = 0.95  # assumption: seats = enrolment / 0.95
# Extra draw weight of urban demand units when placing schools of a level.
LEVEL_URBAN_PULL = {"kindergarten": 1.0, "primary": 1.0, "middle": 1.5, "high": 4.0, "special": 10.0}
MIN_CLASSES = {"kindergarten": 3, "primary": 6, "middle": 6, "high": 9, "special": 3}
SPECIAL_CLASS_SIZE = 10  # assumption (special-school classes are small)
SPECIAL_LAND_M2_PER_PUPIL = 50.0  # assumption

# Existing schools fixed from 2023 county bulletins (zone -> level -> (schools, pupils)).
# Chenggong middle: 29 compulsory − 23 primary schools = 6 (derived); pupils derived.
BULLETIN_2023 = {
    "530114": {"kindergarten": (73, 18_548), "primary": (23, 37_459), "middle": (6, 18_364)},
    "530113": {"kindergarten": (69, 8_551), "primary": (27, 18_727), "middle": (10, 9_234),
               "high": (3, 6_117), "special": (1, 37)},
}
# Special schools (13 city-wide in 2022; which counties have one is unknown).
SPECIAL_RULE = (
    "estimate: Dongchuan's stated school; 2 in Guandu (most populous core district, standing for a "
    "city-level plus a district school); then one per county in descending 2023 population until 13"
)
# Mohan existing schools (assumption; no data): level -> list of classes.
MOHAN_SCHOOLS = {"kindergarten": [6, 4], "primary": [18, 12], "middle": [12]}

# Candidate sites.
SITE_TARGET = {"kindergarten": 600, "primary": 500, "middle": 200, "high": 60}
SITE_MIN_PER_ZONE = {"kindergarten": 4, "primary": 3, "middle": 2, "high": 1}
# Mohan gets at least these (T15: a new kindergarten and a new high school must be possible)
MOHAN_SITE_MIN = {"kindergarten": 5, "primary": 4, "middle": 2, "high": 2}
SITE_YEARS = (2023, 2024, 2025, 2026)
SITE_YEAR_P = (0.35, 0.30, 0.20, 0.15)
LARGE_SITE_SHARE = 0.12  # share of sites that fit the largest module
GAP_TARGET = 0.005  # add gap sites until at most 0.5 % of people are out of reach of every school/site
GAP_MAX_SHARE = 0.25  # ... but add at most 25 % of the level's target count
# land of a gap site [m²]: enough for the smallest module (rural township parcels)
GAP_LAND = {"kindergarten": 3_500.0, "primary": 15_000.0, "middle": 18_000.0, "high": 32_000.0}


# ---------------------------------------------------------------------------
# small pure helpers
# ---------------------------------------------------------------------------


def largest_remainder(total: int, weights) -> np.ndarray:
    """Split integer ``total`` in proportion to ``weights`` (≥ 0); exact sum.

    Floors the quotas, then gives the leftover units to the largest
    fractional parts (ties broken by position, so deterministic).
    """
    w = np.asarray(weights, dtype=float)
    if total == 0 or w.sum() <= 0:
        out = np.zeros(len(w), dtype=np.int64)
        if total:
            raise ValueError("cannot split a positive total over zero weights")
        return out
    quota = total * w / w.sum()
    base = np.floor(quota).astype(np.int64)
    left = int(total - base.sum())
    order = np.argsort(-(quota - base), kind="stable")
    base[order[:left]] += 1
    return base


def grid_points(polygon, cell_m: float, origin=(0.0, 0.0)) -> np.ndarray:
    """Centres of a regular grid (aligned to ``origin``) that fall inside ``polygon`` [m]."""
    minx, miny, maxx, maxy = polygon.bounds
    x0 = origin[0] + np.floor((minx - origin[0]) / cell_m) * cell_m + cell_m / 2
    y0 = origin[1] + np.floor((miny - origin[1]) / cell_m) * cell_m + cell_m / 2
    xs = np.arange(x0, maxx, cell_m)
    ys = np.arange(y0, maxy, cell_m)
    gx, gy = np.meshgrid(xs, ys)
    pts = shapely.points(gx.ravel(), gy.ravel())
    shapely.prepare(polygon)
    inside = shapely.contains(polygon, pts)
    return np.c_[gx.ravel()[inside], gy.ravel()[inside]]


def _to_metric(lonlat):
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    lon, lat = np.asarray(lonlat, dtype=float).T
    x, y = t.transform(lon, lat)
    return np.c_[x, y]


def lake_mask() -> Polygon:
    return Polygon(_to_metric(DIANCHI_LONLAT))


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------


def read_inputs(folder: Path):
    zones = gpd.read_file(folder / "zones.gpkg", layer="zones").to_crs(METRIC_CRS)
    pop = pd.read_csv(folder / "population.csv", dtype={"zone_id": str})
    base = pop[(pop["year"] == BASE_YEAR) & (pop["measure"] == "year_end")].set_index("zone_id")
    enrol = pd.read_csv(folder / "enrolment.csv", dtype={"scope": str})
    with open(folder / "standards.toml", "rb") as fh:
        standards = tomllib.load(fh)["levels"]
    return zones, base, enrol, standards


# ---------------------------------------------------------------------------
# demand units
# ---------------------------------------------------------------------------


def _zone_kind(zone_id: str) -> str:
    if zone_id in CORE_DISTRICTS:
        return "core"
    if zone_id.startswith("5301") and int(zone_id[4:]) < 20:
        return "district"
    return "county"


def make_demand_units(zones, base, lake, rng) -> gpd.GeoDataFrame:
    """Population points per zone; see the module docstring for the rules."""
    frames = []
    for zone_id, zgeom in zip(zones["zone_id"], zones.geometry):
        persons = int(base.loc[zone_id, "persons"])
        share = base.loc[zone_id, "urban_share"]
        share = MOHAN_URBAN_SHARE if pd.isna(share) else float(share)
        urban_total = int(round(persons * share))
        rural_total = persons - urban_total
        land = zgeom.difference(lake)

        # --- urban: 500 m cells in disks around the centres
        cen = CENTRES[zone_id]
        cxy = _to_metric([(c[0], c[1]) for c in cen])
        cw = np.array([c[2] for c in cen])
        rho = URBAN_DENSITY[_zone_kind(zone_id)]
        pts = grid_points(land, URBAN_CELL_M)
        d = np.hypot(pts[:, None, 0] - cxy[None, :, 0], pts[:, None, 1] - cxy[None, :, 1])
        # radius: the smallest disk holding enough in-zone land cells for the
        # centre's urban population at the mean density ``rho``
        n_cells = np.ceil(urban_total * cw / rho / (URBAN_CELL_M / 1000.0) ** 2).astype(int)
        n_cells = np.clip(n_cells, 1, len(pts))
        radius = np.array([np.sort(d[:, k])[n_cells[k] - 1] for k in range(len(cen))]) + 1.0  # [m]
        lam = radius / 2.0
        in_disk = d <= radius[None, :]
        is_urban = in_disk.any(axis=1)
        # density: each centre's kernel normalised to its weight over its own cells
        dens = np.zeros(len(pts))
        for k in range(len(cen)):
            kern = np.where(in_disk[:, k], np.exp(-d[:, k] / lam[k]), 0.0)
            if kern.sum() > 0:
                dens += cw[k] * kern / kern.sum()
        upts = pts[is_urban]
        uw = dens[is_urban] * rng.lognormal(0.0, 0.35, size=is_urban.sum())
        upop = largest_remainder(urban_total, uw)

        # --- rural: 1 or 2 km cells at village clusters outside the urban disks
        cell = 1000.0 if zgeom.area < RURAL_FINE_MAX_AREA_M2 else 2000.0
        urban_area = shapely.unary_union(
            [shapely.Point(xy).buffer(r) for xy, r in zip(cxy, radius)]
        )
        rural_land = land.difference(urban_area)
        rpts = grid_points(rural_land, cell)
        n_vill = max(3, int(round(rural_total / RURAL_PERSONS_PER_VILLAGE)))
        vx, vy = _sample_in(rural_land, n_vill, rng)
        vsize = rng.lognormal(0.0, 0.8, size=n_vill)
        # each village goes to the rural cell whose centre is nearest
        if len(rpts) == 0:  # tiny zone: fall back to the urban cells
            rpts = upts
            cell = URBAN_CELL_M
        tree = shapely.STRtree(shapely.points(rpts))
        nearest = tree.nearest(shapely.points(vx, vy))
        rw = np.bincount(nearest, weights=vsize, minlength=len(rpts))
        rpop = largest_remainder(rural_total, rw)

        df = pd.DataFrame(
            {
                "x": np.r_[upts[:, 0], rpts[:, 0]],
                "y": np.r_[upts[:, 1], rpts[:, 1]],
                "urban": np.r_[np.ones(len(upts), bool), np.zeros(len(rpts), bool)],
                "population": np.r_[upop, rpop].astype(np.int64),
                "cell_m": np.r_[np.full(len(upts), URBAN_CELL_M), np.full(len(rpts), cell)],
            }
        )
        df = df[df["population"] > 0].reset_index(drop=True)
        # fold duplicates (rural fallback onto urban cells) into one unit per cell
        df = df.groupby(["x", "y", "urban", "cell_m"], as_index=False, sort=True)["population"].sum()
        df = df.sort_values(["urban", "y", "x"], ascending=[False, False, True]).reset_index(drop=True)
        assert df["population"].sum() == persons, zone_id
        df.insert(0, "zone_id", zone_id)
        df.insert(
            0,
            "unit_id",
            [f"{zone_id}-{'u' if u else 'r'}{i:05d}" for i, u in enumerate(df["urban"])],
        )
        frames.append(df)
    units = pd.concat(frames, ignore_index=True)
    units["provenance"] = "synthetic"
    geom = shapely.points(units["x"], units["y"])
    return gpd.GeoDataFrame(units.drop(columns=["x", "y"]), geometry=geom, crs=METRIC_CRS)


def _sample_in(polygon, n, rng, max_rounds=100):
    """``n`` uniform random points inside ``polygon`` (rejection sampling)."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    xs, ys = [], []
    got = 0
    for _ in range(max_rounds):
        m = max(64, int((n - got) * 1.5 * (maxx - minx) * (maxy - miny) / max(polygon.area, 1.0)))
        x = rng.uniform(minx, maxx, m)
        y = rng.uniform(miny, maxy, m)
        ok = shapely.contains_xy(polygon, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        got += int(ok.sum())
        if got >= n:
            break
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


# ---------------------------------------------------------------------------
# placing points near people
# ---------------------------------------------------------------------------


def place_near_units(units_z, n, zgeom, lake, rng, urban_pull=1.0, power=1.0):
    """``n`` points near the zone's demand units, drawn by population**power (× urban pull).

    Each point is a drawn unit's centre jittered uniformly within its cell;
    draws falling outside the zone or on the lake are redrawn.
    """
    w = units_z["population"].to_numpy(float) ** power
    w = w * np.where(units_z["urban"].to_numpy(), urban_pull, 1.0)
    p = w / w.sum()
    ux = units_z.geometry.x.to_numpy()
    uy = units_z.geometry.y.to_numpy()
    cell = units_z["cell_m"].to_numpy(float)
    urban = units_z["urban"].to_numpy()
    land = zgeom.difference(lake)
    shapely.prepare(land)
    out_x = np.empty(n)
    out_y = np.empty(n)
    out_u = np.empty(n, dtype=bool)
    filled = 0
    while filled < n:
        k = n - filled
        idx = rng.choice(len(p), size=k, p=p)
        jx = ux[idx] + rng.uniform(-0.45, 0.45, k) * cell[idx]
        jy = uy[idx] + rng.uniform(-0.45, 0.45, k) * cell[idx]
        ok = shapely.contains_xy(land, jx, jy)
        m = int(ok.sum())
        out_x[filled:filled + m] = jx[ok]
        out_y[filled:filled + m] = jy[ok]
        out_u[filled:filled + m] = urban[idx][ok]
        filled += m
    return out_x, out_y, out_u


# ---------------------------------------------------------------------------
# existing schools
# ---------------------------------------------------------------------------


def city_enrolment_2022(enrol) -> dict:
    """Per-level 2022 city enrolment [pupils]; primary/middle split by intakes (see docstring)."""
    c = enrol[(enrol["scope"] == "city") & (enrol["year"] == 2022)].set_index("level")
    comp = int(c.loc["compulsory", "pupils"])
    p_int = 6 * float(c.loc["primary", "intake"])
    m_int = 3 * float(c.loc["middle", "intake"])
    primary, middle = largest_remainder(comp, [p_int, m_int])
    return {
        "kindergarten": int(c.loc["kindergarten", "pupils"]),
        "primary": int(primary),
        "middle": int(middle),
        "high": int(c.loc["high", "pupils"]),
        "special": int(c.loc["special", "pupils"]),
        "_schools": {lv: int(c.loc[lv, "schools"]) for lv in ("kindergarten", "primary", "middle", "high", "special")},
    }


def school_plan(zones, base, enrol):
    """Per zone × level: (schools, pupils, count_basis). Mohan excluded (added separately)."""
    city = city_enrolment_2022(enrol)
    counties = [z for z in zones["zone_id"] if z != "mohan"]
    popw = base.loc[counties, "persons"].astype(float)
    rows = []
    for level in ("kindergarten", "primary", "middle", "high", "special"):
        total_n = city["_schools"][level]
        total_p = city[level]
        fixed = {z: BULLETIN_2023[z][level] for z in BULLETIN_2023 if level in BULLETIN_2023[z]}
        rest = [z for z in counties if z not in fixed]
        if level == "special":
            n_rest = _special_counts(rest, popw, total_n - sum(v[0] for v in fixed.values()))
        else:
            n_rest = dict(zip(rest, largest_remainder(total_n - sum(v[0] for v in fixed.values()),
                                                      popw[rest].to_numpy())))
        p_rest = dict(zip(rest, largest_remainder(total_p - sum(v[1] for v in fixed.values()),
                                                  popw[rest].to_numpy())))
        for z in counties:
            if z in fixed:
                n, p = fixed[z]
                basis = "stated" if not (z == "530114" and level == "middle") else "derived"
            else:
                n, p = int(n_rest[z]), int(p_rest[z])
                basis = "estimate"
            if level == "special" and n == 0:
                continue
            rows.append((z, level, n, p, basis))
    return pd.DataFrame(rows, columns=["zone_id", "level", "schools", "pupils", "count_basis"])


def _special_counts(rest, popw, n_total):
    """Apply SPECIAL_RULE over the zones without a stated count."""
    order = sorted(rest, key=lambda z: -popw[z])
    counts = {z: 0 for z in rest}
    counts["530111"] = 2
    left = n_total - 2
    for z in order:
        if left == 0:
            break
        if counts[z] == 0:
            counts[z] = 1
            left -= 1
    return counts


def make_schools(zones, base, enrol, standards, units, lake, rng) -> gpd.GeoDataFrame:
    plan = school_plan(zones, base, enrol)
    zgeom = dict(zip(zones["zone_id"], zones.geometry))
    zname = dict(zip(zones["zone_id"], zones["name_local"]))
    records = []

    def emit(zone_id, level, classes_list, seats_list, basis, seats_basis, land_list, xs, ys):
        for i, (c, s, land, x, y) in enumerate(zip(classes_list, seats_list, land_list, xs, ys), 1):
            records.append(
                {
                    "school_id": f"{zone_id}-{LETTER[level]}{i:03d}",
                    "level": level,
                    "zone_id": zone_id,
                    "name": f"{zname[zone_id]}{LEVEL_CN[level]}{LETTER[level]}{i:03d}(合成/synthetic)",
                    "seats": int(s),
                    "classes": int(c),
                    "land_m2": float(round(land, -1)),
                    "provenance": "synthetic",
                    "count_provenance": basis,
                    "seats_provenance": seats_basis,
                    "x": x,
                    "y": y,
                }
            )

    for row in plan.itertuples(index=False):
        level, zone_id, n = row.level, row.zone_id, int(row.schools)
        uz = units[units["zone_id"] == zone_id]
        xs, ys, urb = place_near_units(uz, n, zgeom[zone_id], lake, rng, LEVEL_URBAN_PULL[level])
        seats_total = int(round(row.pupils / UTILISATION))
        w = rng.lognormal(0.0, 0.45, n) * np.where(urb, 1.8, 1.0)
        csize = SPECIAL_CLASS_SIZE if level == "special" else float(standards[level]["class_size"])
        min_seats = MIN_CLASSES[level] * csize
        # minimum size first, the rest by weight (exact total)
        floor_total = min(seats_total, int(n * min_seats))
        seats = largest_remainder(floor_total, np.ones(n)) + largest_remainder(seats_total - floor_total, w)
        classes = np.maximum(1, np.round(seats / csize)).astype(int)
        lpp = SPECIAL_LAND_M2_PER_PUPIL if level == "special" else float(standards[level]["land_m2_per_pupil"])
        core = urb & (zone_id in CORE_DISTRICTS)
        land = seats * lpp * rng.lognormal(0.0, 0.25, n) * np.where(core, 0.7, 1.0)
        seats_basis = "derived" if row.count_basis in ("stated", "derived") else "estimate"
        emit(zone_id, level, classes, seats, row.count_basis, seats_basis, land, xs, ys)

    # Mohan: a few small schools (assumption), no high school.
    uz = units[units["zone_id"] == "mohan"]
    for level, cls in MOHAN_SCHOOLS.items():
        n = len(cls)
        xs, ys, _ = place_near_units(uz, n, zgeom["mohan"], lake, rng, urban_pull=3.0)
        csize = float(standards[level]["class_size"])
        seats = np.array(cls) * csize
        land = seats * float(standards[level]["land_m2_per_pupil"]) * rng.lognormal(0.0, 0.2, n)
        if level == "primary":
            # T15: the central primary school (the first) is expanded, so its parcel
            # holds its seats plus the largest expansion module at the land standard.
            grown = seats[0] + max(standards[level]["expansion_modules"]) * csize
            land[0] = max(land[0], 1.05 * grown * float(standards[level]["land_m2_per_pupil"]))
        emit("mohan", level, cls, seats, "assumption", "assumption", land, xs, ys)

    df = pd.DataFrame.from_records(records)
    geom = shapely.points(df["x"], df["y"])
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=geom, crs=METRIC_CRS)


# ---------------------------------------------------------------------------
# candidate sites
# ---------------------------------------------------------------------------


def _module_land(standards, level):
    s = standards[level]
    need = [m * float(s["class_size"]) * float(s["land_m2_per_pupil"]) for m in s["modules"]]
    return min(need), float(np.median(need)), max(need)


def make_sites(zones, base, standards, units, schools, lake, rng) -> gpd.GeoDataFrame:
    zone_ids = list(zones["zone_id"])
    zgeom = dict(zip(zone_ids, zones.geometry))
    popw = np.array([float(base.loc[z, "persons"]) for z in zone_ids])
    grow = np.array([GROWTH_ZONES.get(z, 1.0) for z in zone_ids])
    records = []
    for level in LEVELS:
        lo, mid, hi = _module_land(standards, level)
        mins = np.array([MOHAN_SITE_MIN[level] if z == "mohan" else SITE_MIN_PER_ZONE[level]
                         for z in zone_ids])
        counts = mins + largest_remainder(SITE_TARGET[level] - int(mins.sum()), popw * grow)
        for zone_id, n in zip(zone_ids, counts):
            n = int(n)
            uz = units[units["zone_id"] == zone_id]
            xs, ys, urb = place_near_units(uz, n, zgeom[zone_id], lake, rng, urban_pull=1.0, power=0.5)
            land = mid * rng.lognormal(0.0, 0.4, n)
            large = rng.random(n) < LARGE_SITE_SHARE
            land = np.where(large, rng.uniform(hi, 1.3 * hi, n), land)
            land = np.clip(land, 0.6 * lo, 1.3 * hi)
            core = urb & (zone_id in CORE_DISTRICTS)
            land = np.where(core & ~large, land * 0.85, land)
            year = rng.choice(SITE_YEARS, size=n, p=SITE_YEAR_P)
            cf = rng.lognormal(0.0, 0.15, n) * np.where(core, 1.25, np.where(urb, 1.05, 0.92))
            if zone_id == "mohan":
                cf = cf * 1.15
                # T15: Mohan must be able to host the largest module of each level
                land[0] = max(land[0], 1.1 * hi)
                year[0] = 2023
            for i in range(n):
                records.append(
                    {
                        "site_id": f"{zone_id}-{LETTER[level]}S{i + 1:03d}",
                        "level": level,
                        "zone_id": zone_id,
                        "land_m2": float(round(land[i], -1)),
                        "available_from": int(year[i]),
                        "cost_factor": float(round(cf[i], 3)),
                        "provenance": "synthetic",
                        "x": xs[i],
                        "y": ys[i],
                    }
                )
        records.extend(_gap_sites(level, standards[level], units, schools, records, rng))
    df = pd.DataFrame.from_records(records)
    geom = shapely.points(df["x"], df["y"])
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=geom, crs=METRIC_CRS)


def _gap_sites(level, std, units, schools, records, rng):
    """Extra sites where people have no school or site of ``level`` within reach.

    Greedy: while more than ``GAP_TARGET`` of the population is out of reach
    (``max_distance_*_m``) of every existing school and candidate site of the
    level, put a site on the most populous uncovered unit (a township or
    village centre) and mark what it covers. At most ``GAP_MAX_SHARE`` ×
    the level's target count are added.
    """
    from scipy.spatial import cKDTree

    ex = schools[schools["level"] == level]
    pts = np.r_[np.c_[ex.geometry.x, ex.geometry.y],
                np.array([(r["x"], r["y"]) for r in records if r["level"] == level])]
    uxy = np.c_[units.geometry.x, units.geometry.y]
    urban = units["urban"].to_numpy()
    lim = np.where(urban, std["max_distance_urban_m"], std["max_distance_rural_m"])
    pop = units["population"].to_numpy(float)
    dist, _ = cKDTree(pts).query(uxy)
    covered = dist <= lim
    tree = cKDTree(uxy)
    out = []
    n_next = {}
    cap = int(GAP_MAX_SHARE * SITE_TARGET[level])
    smallest = min(std["modules"]) * float(std["class_size"]) * float(std["land_m2_per_pupil"])
    while pop[~covered].sum() > GAP_TARGET * pop.sum() and len(out) < cap:
        i = int(np.argmax(np.where(covered, -1.0, pop)))
        zone_id = units["zone_id"].iat[i]
        near = np.asarray(tree.query_ball_point(uxy[i], lim.max()), dtype=int)
        d = np.hypot(*(uxy[near] - uxy[i]).T)
        covered[near[d <= lim[near]]] = True
        covered[i] = True
        k = n_next.get(zone_id, sum(1 for r in records if r["level"] == level and r["zone_id"] == zone_id)) + 1
        n_next[zone_id] = k
        out.append(
            {
                "site_id": f"{zone_id}-{LETTER[level]}S{k:03d}",
                "level": level,
                "zone_id": zone_id,
                "land_m2": float(round(max(GAP_LAND[level] * rng.lognormal(0.0, 0.2), 1.05 * smallest), -1)),
                "available_from": int(rng.choice(SITE_YEARS, p=SITE_YEAR_P)),
                "cost_factor": float(round(0.92 * rng.lognormal(0.0, 0.15), 3)),
                "provenance": "synthetic",
                "x": uxy[i, 0],
                "y": uxy[i, 1],
            }
        )
    return out


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------

DESCRIPTIONS = {
    "demand_units": "SYNTHETIC demand units (population points, base year 2023) for Kunming. "
    "Zone totals are real (2023 year-end); every point and cell population is synthetic.",
    "schools": "SYNTHETIC existing schools for Kunming. Counts/enrolment-based seat totals follow the "
    "2022 city bulletin and 2023 Chenggong/Dongchuan bulletins (see count_provenance); points, "
    "names, sizes and land are synthetic. Not real schools.",
    "candidate_sites": "SYNTHETIC candidate school sites for Kunming. Not real parcels.",
}


def write_layer(gdf, folder: Path, layer: str, seed: int):
    path = folder / f"{layer}.gpkg"
    if path.exists():
        path.unlink()
    gdf.to_file(
        path,
        layer=layer,
        driver="GPKG",
        engine="pyogrio",
        layer_options={
            "DESCRIPTION": f"{DESCRIPTIONS[layer]} Generated by tools/generate_synthetic.py --seed {seed}.",
            "IDENTIFIER": f"Kunming {layer} (synthetic)",
        },
    )
    return path


def generate(folder: Path, seed: int):
    """Build the three layers (pure except for reading inputs); returns (units, schools, sites)."""
    rng = np.random.default_rng(seed)
    zones, base, enrol, standards = read_inputs(folder)
    lake = lake_mask()
    units = make_demand_units(zones, base, lake, rng)
    schools = make_schools(zones, base, enrol, standards, units, lake, rng)
    sites = make_sites(zones, base, standards, units, schools, lake, rng)
    return units, schools, sites


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--data", default="data/kunming", help="data folder (inputs and outputs)")
    args = ap.parse_args(argv)
    folder = Path(args.data)
    # fixed GeoPackage timestamps so the files are reproducible byte for byte
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2023-12-31T00:00:00.000Z"})
    units, schools, sites = generate(folder, args.seed)
    for gdf, layer in ((units, "demand_units"), (schools, "schools"), (sites, "candidate_sites")):
        path = write_layer(gdf, folder, layer, args.seed)
        print(f"wrote {path} ({len(gdf)} features, {path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
