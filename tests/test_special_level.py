"""Special-education schools as a planned level (T9), on the tiny city.

The tiny city (capacity.testing) has two zones: 100001 (30,000 people) with the
special school s1, and 100002 (10,000 people) without one. With
``demand.special_threshold = 5000`` both are over the threshold, so 100002 must
get a new special school; its parcels come from the other levels' sites that fit
the smallest special module (3 classes × 10 pupils × 50 m² = 1,500 m²):

    zone 100002 centre (population-weighted): u5 (5000, 2000) × 6,000 and
    u6 (7000, 2000) × 4,000 → (5800, 2000)
    ms2 (6000, 1000): 1,019.8 m     ps2 (7000, 1500): 1,300.0 m     hs2 (5500, 3500): 1,529.7 m

With ``sites_per_zone = 2`` the special level takes ms2 and ps2 (and the middle
and primary levels lose them); hs2 stays a high-school parcel.
"""

import dataclasses
import shutil

import numpy as np
import pandas as pd
import pytest

from capacity.cli import main
from capacity.data import load_city
from capacity.demand.special import keep_served, required_zones, schools_by_zone, served_zones, zones_lacking
from capacity.errors import DataError, InfeasibleError
from capacity.optimize.special import borrow_parcels, prepare, zone_centres
from capacity.testing import TINY_STANDARDS, write_tiny_city
from capacity.verify import verify_run

SPECIAL_STANDARD = """
[levels.special]
ages = [6, 14]
class_size = 10
modules = [3, 6]
expansion_modules = []
land_m2_per_pupil = 50
floor_m2_per_pupil = 30
walk_standard_m = 5000
max_distance_urban_m = 20000
max_distance_rural_m = 20000
cost_cny_per_m2 = 6000
enrolment_target = 0.01
service_area = "zone"
site_levels = ["primary", "middle", "high"]
sites_per_zone = 2
"""
STANDARDS = TINY_STANDARDS.replace("[sources]", SPECIAL_STANDARD + "\n[sources]")

SCENARIO = """\
name = "tiny_special"
data = "tiny"

[demand]
special_threshold = {threshold}

[plan]
levels = [{levels}]
build_years = [2023, 2024, 2025]
evaluation_years = [2025, 2030]

[plan.totals]
primary = 1

[objective]
unserved_weight = {unserved_weight}

[outputs]
report = false
"""


@pytest.fixture(scope="module")
def city_dir(tmp_path_factory):
    return write_tiny_city(tmp_path_factory.mktemp("special") / "tiny", standards=STANDARDS)


@pytest.fixture()
def city(city_dir):
    return load_city(city_dir)


def run_scenario(city_dir, tmp_path, threshold=5000, levels='"special"', unserved_weight=1000.0):
    folder = tmp_path / "ws"
    shutil.copytree(city_dir, folder / "tiny")
    (folder / "tiny.toml").write_text(SCENARIO.format(threshold=threshold, levels=levels,
                                                                  unserved_weight=unserved_weight), encoding="utf-8")
    assert main(["run", str(folder / "tiny.toml"), "--out", str(folder / "run"), "--quiet"]) == 0
    return folder / "run"


def read(folder, name):
    return pd.read_csv(folder / name, dtype={"site_id": str, "unit_id": str, "school_id": str, "zone_id": str})


# --- standards --------------------------------------------------------------------------------


def test_special_standard_is_optional_and_may_overlap_the_other_bands(city):
    std = city.standards["special"]
    assert (std.ages, std.service_area, std.site_levels, std.sites_per_zone) == (
        (6, 14), "zone", ("primary", "middle", "high"), 2)
    assert "special" not in load_city(write_tiny_city(city.path.parent / "plain")).standards.levels


@pytest.mark.parametrize("line,key", [('service_area = "county"', "service_area"),
                                      ('site_levels = ["special"]', "site_levels"),
                                      ("sites_per_zone = 0", "sites_per_zone")])
def test_bad_service_keys_name_the_key(tmp_path, line, key):
    old = {"service_area": 'service_area = "zone"', "site_levels": 'site_levels = ["primary", "middle", "high"]',
           "sites_per_zone": "sites_per_zone = 2"}[key]
    folder = write_tiny_city(tmp_path / "bad", standards=STANDARDS.replace(old, line))
    with pytest.raises(DataError, match=f"levels.special.{key}"):
        load_city(folder)


# --- which zones, which parcels -----------------------------------------------------------------


def test_required_and_lacking_zones_by_hand(city):
    pop = city.base_population().rename(index=str)           # 30,000 and 10,000
    assert required_zones(pop, threshold=5000) == ("100001", "100002")
    assert required_zones(pop, threshold=20000) == ("100001",)
    assert required_zones(pop, pd.Series({"100002": 25000.0}), threshold=20000) == ("100001", "100002")
    schools = pd.DataFrame(city.schools.drop(columns="geometry"))
    assert zones_lacking(("100001", "100002"), schools) == ("100002",)
    plan = pd.DataFrame({"site_id": ["ms2", "s1"], "level": ["special", "special"], "zone_id": ["100002", "100001"],
                         "action": ["new", "close"]})
    assert schools_by_zone(schools, plan).to_dict() == {"100002": 1}
    carried = schools.assign(open_year=np.where(schools["school_id"] == "s1", 2026, np.nan))
    assert zones_lacking(("100001",), carried, None, 2025) == ("100001",)   # opens after the plan's end
    assert zones_lacking(("100001",), carried, None, 2026) == ()


def test_parcels_nearest_the_zone_centre_move_to_the_level(city):
    centre = zone_centres(city.demand_units)
    assert centre.loc["100002"].tolist() == pytest.approx([500_000 + 5800, 2_770_000 + 2000])
    moved_city, moved = borrow_parcels(city, "special", ["100002"])
    assert moved["site_id"].tolist() == ["ms2", "ps2"]
    assert moved["from_level"].tolist() == ["middle", "primary"]
    assert moved["distance_m"].to_numpy() == pytest.approx([np.hypot(200, 1000), np.hypot(1200, 500)])
    sites = moved_city.candidate_sites.set_index("site_id")["level"]
    assert sites[["ms2", "ps2", "hs2", "ps1"]].tolist() == ["special", "special", "high", "primary"]
    assert city.candidate_sites.set_index("site_id").loc["ms2", "level"] == "middle"   # input untouched


def test_prepare_gives_one_rule_per_lacking_zone(city):
    _, rules, lacking = prepare(city, "special", ("100001", "100002"), 2025)
    assert lacking == ("100002",)
    assert [(r.level, r.kind, r.minimum, r.maximum, r.zone) for r in rules] == [("special", "new", 1, 1, "100002")]


def test_a_zone_without_a_parcel_that_fits_is_a_clear_error(city):
    small = city.candidate_sites.assign(land_m2=1000.0)
    with pytest.raises(InfeasibleError, match=r"100002.*1,500 m²"):
        borrow_parcels(dataclasses.replace(city, candidate_sites=small), "special", ["100002"])


def test_pupils_of_zones_that_neither_have_nor_need_a_school_are_not_planned(city):
    schools = pd.DataFrame(city.schools.drop(columns="geometry"))
    units = pd.DataFrame({"unit_id": ["u1", "u5", "u5"], "zone_id": ["100001", "100002", "100002"],
                          "level": ["special", "special", "primary"], "year": 2025, "pupils": [1.0, 2.0, 9.0]})
    zones = served_zones((), schools)
    assert zones == ("100001",)
    assert keep_served(units, zones)["pupils"].tolist() == [1.0, 9.0]


# --- end to end ---------------------------------------------------------------------------------


@pytest.mark.parametrize("unserved_weight", [1000.0, 0.0])  # 0: only the rule makes the plan build it
def test_a_zone_over_the_threshold_without_a_school_gets_one(city_dir, tmp_path, unserved_weight):
    run = run_scenario(city_dir, tmp_path, unserved_weight=unserved_weight)
    plan = read(run, "plan.csv")
    special = plan[plan["level"] == "special"]
    assert special[["zone_id", "action"]].values.tolist() == [["100002", "new"]]
    assert special["site_id"].iloc[0] in {"ms2", "ps2"}
    assign = read(run, "assignment.csv")
    units = load_city(city_dir).demand_units.set_index("unit_id")["zone_id"]
    place = {"s1": "100001", "ms2": "100002", "ps2": "100002"}
    sp = assign[assign["level"] == "special"]
    assert (sp["unit_id"].map(units) == sp["school_id"].map(place)).all()   # county-wide, in the zone
    if unserved_weight:  # (without a penalty nobody needs to be seated)
        assert set(sp["unit_id"]) == {f"u{i}" for i in range(1, 7)}
        assert set(sp.loc[sp["unit_id"].isin(["u5", "u6"]), "school_id"]) == {special["site_id"].iloc[0]}
    import json
    t9 = next(t for t in json.loads((run / "summary.json").read_text())["targets"] if t["id"] == "T9")
    assert t9["met"] and t9["value"] == 1.0
    checks = {c.name: c for c in verify_run(run)}
    assert checks["special"].ok and checks["service zone"].ok, checks


def test_under_the_threshold_nothing_is_built_and_its_pupils_are_not_planned(city_dir, tmp_path):
    run = run_scenario(city_dir, tmp_path, threshold=50000)
    plan = read(run, "plan.csv")
    assert (plan["level"] != "special").all()
    demand = read(run, "unit_demand.csv")
    assert set(demand.loc[demand["level"] == "special", "zone_id"]) == {"100001"}
    assert all(c.ok for c in verify_run(run))


def test_verify_fails_on_a_tampered_plan(city_dir, tmp_path):
    run = run_scenario(city_dir, tmp_path)

    def tamper(name, edit):
        copy = tmp_path / f"t{len(list(tmp_path.iterdir()))}"
        shutil.copytree(run, copy)
        frame = read(copy, name)
        edit(frame).to_csv(copy / name, index=False)
        return {c.name: c for c in verify_run(copy)}

    gone = tamper("plan.csv", lambda f: f[f["level"] != "special"])
    assert not gone["special"].ok and "100002" in gone["special"].detail
    twice = tamper("plan.csv", lambda f: pd.concat([f, f[f["level"] == "special"].assign(
        site_id="ps1", zone_id="100001")], ignore_index=True))
    assert not twice["special"].ok and "100001" in twice["special"].detail
    crossed = tamper("assignment.csv", lambda f: f.assign(school_id=np.where(
        (f["level"] == "special") & (f["unit_id"] == "u1"), "ms2", f["school_id"])))
    assert not crossed["service zone"].ok


def test_planning_special_without_its_standard_is_an_error_naming_the_key(tmp_path, capsys):
    folder = tmp_path / "ws"
    write_tiny_city(folder / "tiny")                       # the plain tiny city: no [levels.special]
    (folder / "tiny.toml").write_text(SCENARIO.format(threshold=5000, levels='"primary", "special"',
                                                      unserved_weight=1000.0), encoding="utf-8")
    assert main(["run", str(folder / "tiny.toml"), "--out", str(folder / "run"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "plan.levels[1]" in err and "[levels.special]" in err


def test_zone_minimums_open_by_the_plan_end():
    """With a 1-year lag, a T9 school started in the last build year would open after the end: barred."""
    from capacity.optimize.special import zone_minimums

    rules = zone_minimums("special", ["Z1"], build_years=[2023, 2024, 2025], lag_years=1, plan_end=2025)
    late = [(r.zone, r.year, r.maximum) for r in rules if r.year is not None]
    assert late == [("Z1", 2025, 0)]
    # lag 0: every build year opens in time, one rule only
    assert len(zone_minimums("special", ["Z1"], [2023, 2024, 2025], 0, 2025)) == 1
    # no build year early enough: years left free (T9 reported not met after the plan)
    assert len(zone_minimums("special", ["Z1"], [2025], 2, 2025)) == 1
