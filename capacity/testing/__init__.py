"""A tiny, hand-checkable city for tests and examples.

``write_tiny_city(folder)`` writes a complete data folder: two square zones
of 4 km × 4 km side by side, six demand units, a handful of schools and
candidate sites per level. Every number is small enough to check by hand.
Tests of every stage build on it; edit a copy to make a broken folder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TINY_CRS = "EPSG:4543"
X0, Y0 = 500_000.0, 2_770_000.0  # near 102°E, 25°N in CGCS2000 / GK CM 102E

TINY_STANDARDS = """\
[levels.kindergarten]
ages = [3, 5]
class_size = 30
class_size_by_age = { 3 = 25, 4 = 30, 5 = 35 }
modules = [3, 6]
expansion_modules = [3]
land_m2_per_pupil = 15
floor_m2_per_pupil = 9
walk_standard_m = 300
max_distance_urban_m = 1500
max_distance_rural_m = 3000
cost_cny_per_m2 = 5000
enrolment_target = 0.99

[levels.primary]
ages = [6, 11]
class_size = 45
modules = [6, 12]
expansion_modules = [6]
land_m2_per_pupil = 20
floor_m2_per_pupil = 8
walk_standard_m = 500
max_distance_urban_m = 2500
max_distance_rural_m = 5000
cost_cny_per_m2 = 6000
enrolment_target = 0.98

[levels.middle]
ages = [12, 14]
class_size = 50
modules = [6, 12]
expansion_modules = [6]
land_m2_per_pupil = 20
floor_m2_per_pupil = 10
walk_standard_m = 1000
max_distance_urban_m = 4000
max_distance_rural_m = 8000
cost_cny_per_m2 = 6000
enrolment_target = 0.98

[levels.high]
ages = [15, 17]
class_size = 50
modules = [6, 12]
expansion_modules = [6]
land_m2_per_pupil = 25
floor_m2_per_pupil = 10
walk_standard_m = 2000
max_distance_urban_m = 8000
max_distance_rural_m = 8000
cost_cny_per_m2 = 6000
enrolment_target = 0.98

[sources]
all = "tiny test city: invented values"
"""


TINY_SCENARIO = """\
name = "tiny"
data = "tiny"

[plan]
build_years = [2023, 2024, 2025]
evaluation_years = [2025, 2030]

[plan.totals]
kindergarten = 1
primary = 1

[outputs]
report = false
"""
"""A scenario for the tiny city written by ``write_tiny_city(<dir>/tiny)``:
one new kindergarten and one new primary school, no report."""


def tiny_ensemble_scenario(totals: dict, extra: str = "") -> str:
    """A tiny-city scenario for ensembles: stochastic fertility and migration,
    at most ``totals`` new schools per level, TOML ``extra`` appended."""
    lines = "\n".join(f"{level} = {n}" for level, n in totals.items())
    return ('name = "tiny"\ndata = "tiny"\n\n[projection]\ntfr_sigma = 0.3\nmigration_sigma = 0.03\n\n'
            '[plan]\nbuild_years = [2023, 2024, 2025]\nevaluation_years = [2025, 2030]\n'
            f'totals_mode = "at_most"\n\n[plan.totals]\n{lines}\n\n[outputs]\nreport = false\n{extra}')


def _square(x, y, side):
    from shapely.geometry import box

    return box(x, y, x + side, y + side)


def tiny_frames() -> dict:
    """The tiny city's tables as (Geo)DataFrames, keyed by file name."""
    import geopandas as gpd
    from shapely.geometry import Point

    zones = gpd.GeoDataFrame(
        {"zone_id": ["100001", "100002"], "name_local": ["甲区", "乙县"],
         "name_en": ["A District", "B County"], "kind": ["county", "county"],
         "geometry_note": ["invented", "invented"]},
        geometry=[_square(X0, Y0, 4000), _square(X0 + 4000, Y0, 4000)], crs=TINY_CRS)
    population = pd.DataFrame({
        "zone_id": ["100001", "100002"], "year": [2023, 2023], "measure": ["year_end"] * 2,
        "persons": [30000, 10000], "urban_share": [0.9, 0.4],
        "provenance": ["synthetic"] * 2, "source_id": ["tiny"] * 2})
    age_structure = pd.DataFrame({
        "scope": ["city", "city", "city"], "year": [2023] * 3, "age_from": [0, 15, 60],
        "age_to": [14, 59, 100], "sex": ["all"] * 3, "persons": [6000, 26000, 8000],
        "provenance": ["synthetic"] * 3, "source_id": ["tiny"] * 3})
    births = pd.DataFrame({"scope": ["city", "city"], "year": [2023, 2024], "births": [300, 310],
                           "provenance": ["synthetic"] * 2, "source_id": ["tiny"] * 2})
    enrolment = pd.DataFrame({
        "scope": ["city"] * 2, "year": [2022] * 2, "level": ["kindergarten", "primary"],
        "schools": [3, 2], "pupils": [1200, 2400],
        "provenance": ["synthetic"] * 2, "source_id": ["tiny"] * 2})
    units_xy = [(1000, 1000), (3000, 1000), (1000, 3000), (3000, 3000), (5000, 2000), (7000, 2000)]
    units = gpd.GeoDataFrame({
        "unit_id": [f"u{i}" for i in range(1, 7)],
        "zone_id": ["100001"] * 4 + ["100002"] * 2,
        "urban": [True, True, True, True, True, False],
        "population": [7500, 7500, 7500, 7500, 6000, 4000],
        "cell_m": [2000.0] * 4 + [2000.0, 4000.0],
        "provenance": ["synthetic"] * 6},
        geometry=[Point(X0 + x, Y0 + y) for x, y in units_xy], crs=TINY_CRS)
    schools = gpd.GeoDataFrame({
        "school_id": ["k1", "k2", "p1", "p2", "m1", "h1", "s1"],
        "level": ["kindergarten", "kindergarten", "primary", "primary", "middle", "high", "special"],
        "zone_id": ["100001", "100002", "100001", "100002", "100001", "100001", "100001"],
        "name": ["K one", "K two", "P one", "P two", "M one", "H one", "S one"],
        "seats": [180, 90, 540, 270, 600, 600, 60],
        "classes": [6, 3, 12, 6, 12, 12, 6],
        "land_m2": [3000, 2000, 12000, 6000, 13000, 16000, 2000],
        "provenance": ["synthetic"] * 7},
        geometry=[Point(X0 + x, Y0 + y) for x, y in
                  [(2000, 2000), (6000, 2000), (2000, 1500), (6000, 2500), (2000, 2500),
                   (2500, 2000), (1500, 2000)]], crs=TINY_CRS)
    site_rows = [
        ("ks1", "kindergarten", "100001", 3500, 2023, 1.0, (1000, 2000)),
        ("ks2", "kindergarten", "100001", 1500, 2024, 1.2, (3000, 3000)),
        ("ks3", "kindergarten", "100002", 3000, 2023, 0.9, (7000, 2500)),
        ("ps1", "primary", "100001", 11000, 2023, 1.0, (1000, 3000)),
        ("ps2", "primary", "100002", 6000, 2024, 0.8, (7000, 1500)),
        ("ms1", "middle", "100001", 12500, 2023, 1.0, (3000, 1000)),
        ("ms2", "middle", "100002", 7000, 2023, 1.1, (6000, 1000)),
        ("hs1", "high", "100001", 16000, 2023, 1.0, (3500, 3500)),
        ("hs2", "high", "100002", 9000, 2025, 1.0, (5500, 3500)),
    ]
    sites = gpd.GeoDataFrame({
        "site_id": [r[0] for r in site_rows], "level": [r[1] for r in site_rows],
        "zone_id": [r[2] for r in site_rows], "land_m2": [r[3] for r in site_rows],
        "available_from": [r[4] for r in site_rows], "cost_factor": [r[5] for r in site_rows],
        "provenance": ["synthetic"] * len(site_rows)},
        geometry=[Point(X0 + r[6][0], Y0 + r[6][1]) for r in site_rows], crs=TINY_CRS)
    return {"zones.gpkg": zones, "population.csv": population, "age_structure.csv": age_structure,
            "births.csv": births, "enrolment.csv": enrolment, "demand_units.gpkg": units,
            "schools.gpkg": schools, "candidate_sites.gpkg": sites}


def write_tiny_city(folder, frames: dict | None = None, standards: str | None = None) -> Path:
    """Write the tiny city (or edited ``frames``/``standards``) as a data folder.

    Parameters
    ----------
    folder : str or Path
        Where to write; created if missing.
    frames : dict, optional
        Replacement tables keyed by file name (default :func:`tiny_frames`).
    standards : str, optional
        Replacement ``standards.toml`` text.

    Returns
    -------
    Path
        The folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = tiny_frames() if frames is None else frames
    (folder / "city.toml").write_text(
        'name = "Tiny"\nname_local = "小城"\nmetric_crs = "EPSG:4543"\nbase_year = 2023\n',
        encoding="utf-8")
    (folder / "standards.toml").write_text(TINY_STANDARDS if standards is None else standards,
                                           encoding="utf-8")
    for name, frame in frames.items():
        if name.endswith(".gpkg"):
            frame.to_file(folder / name, layer=name[:-5], driver="GPKG", engine="pyogrio")
        else:
            frame.to_csv(folder / name, index=False)
    return folder


FLAT_PUPILS = {"kindergarten": 60, "primary": 150, "middle": 120, "high": 100}
"""Seats needed per demand unit of the tiny city, by level, in :func:`flat_unit_demand`."""


def flat_unit_demand(city, pupils: dict | None = None, years=(2025, 2030)) -> pd.DataFrame:
    """The same demand in every unit and year: an optimiser input checkable by hand.

    Parameters
    ----------
    city : CityData
        Its ``demand_units`` give the unit ids.
    pupils : dict of str to float, optional
        Pupils needing a seat per unit, by level (default :data:`FLAT_PUPILS`).
    years : sequence of int
        Evaluation years [year].

    Returns
    -------
    DataFrame
        ``unit_id, level, year, pupils``, one row per level × unit × year (in that order).
    """
    pupils = FLAT_PUPILS if pupils is None else pupils
    index = pd.MultiIndex.from_product([list(pupils), city.demand_units["unit_id"], list(years)],
                                       names=["level", "unit_id", "year"])
    out = index.to_frame(index=False)
    out["pupils"] = out["level"].map(pupils)
    return out[["unit_id", "level", "year", "pupils"]]
