"""Tests of capacity.demand on tiny hand-checkable inputs."""

from types import MappingProxyType

import pandas as pd
import pytest

from capacity.data.model import LevelStandard, Standards
from capacity.demand import DemandParams, plan_checks, school_age, spatial_demand, zone_demand
from capacity.errors import DataError


def standard(level, ages, class_size, modules, target):
    return LevelStandard(level=level, ages=ages, class_size=class_size, modules=modules,
                         expansion_modules=(), land_m2_per_pupil=20, floor_m2_per_pupil=8,
                         walk_standard_m=500, max_distance_urban_m=2000, max_distance_rural_m=5000,
                         cost_cny_per_m2=6000, enrolment_target=target)


STANDARDS = Standards(levels=MappingProxyType({
    "kindergarten": standard("kindergarten", (3, 5), 30, (6, 12), 0.99),
    "primary": standard("primary", (6, 11), 45, (12, 24), 0.98),
    "middle": standard("middle", (12, 14), 50, (12, 24), 0.98),
    "high": standard("high", (15, 17), 50, (18, 24), 0.98),
}))


def population_one_zone():
    # 10 boys and 10 girls at every age 6..11 in 2025: 120 children of primary age
    rows = [("z1", 2025, age, sex, 10.0) for age in range(0, 20) for sex in ("male", "female")]
    return pd.DataFrame(rows, columns=["zone_id", "year", "age", "sex", "persons"])


def schools(primary_seats=100):
    return pd.DataFrame({"school_id": ["p", "k", "m", "h", "s"],
                         "level": ["primary", "kindergarten", "middle", "high", "special"],
                         "zone_id": ["z1"] * 5, "seats": [primary_seats, 60, 60, 30, 20]})


def test_school_age_bands():
    sa = school_age(population_one_zone(), {"primary": (6, 11), "middle": (12, 14)})
    assert sa.set_index("level").persons.to_dict() == {"middle": 60.0, "primary": 120.0}


def test_seats_arithmetic_by_hand():
    params = DemandParams(levels=("primary",))
    sa = school_age(population_one_zone(), {"primary": (6, 11)})
    d = zone_demand(sa, STANDARDS, params, schools()).iloc[0]
    assert d.pupils == pytest.approx(117.6)           # 120 × 0.98
    assert d.seats_needed == 118 and d.seats_existing == 100
    assert d.deficit == 18 and d.surplus == 0
    assert d.schools_needed == 1                       # 18 / (12 classes × 45) → 1 school


def test_general_share_and_module_override():
    params = DemandParams(levels=("high",), general_share=0.5, module_classes={"high": 1})
    sa = school_age(population_one_zone(), {"high": (15, 17)})          # 60 children
    d = zone_demand(sa, STANDARDS, params, schools()).iloc[0]
    assert d.pupils == pytest.approx(58.8) and d.seats_needed == 30      # ⌈58.8 × 0.5⌉ = 30
    assert d.deficit == 0 and d.surplus == 0 and d.schools_needed == 0
    params = DemandParams(levels=("kindergarten",), kindergarten_public_only=True, public_share=0.5)
    d = zone_demand(school_age(population_one_zone(), {"kindergarten": (3, 5)}), STANDARDS, params,
                    schools()).iloc[0]
    assert d.seats_needed == 30 and d.surplus == 30                      # ⌈59.4 × 0.5⌉ = 30 vs 60


def test_spatial_allocation_preserves_zone_totals():
    zone = pd.DataFrame({"zone_id": ["z1", "z2", "z1"], "year": [2025, 2025, 2026],
                         "level": ["primary"] * 3, "pupils": [100.0, 30.0, 90.0]})
    units = pd.DataFrame({"unit_id": ["a", "b", "c", "d"], "zone_id": ["z1", "z1", "z1", "z2"],
                          "population": [1.0, 3.0, 0.0, 5.0]})
    u = spatial_demand(zone, units)
    assert u.groupby(["zone_id", "year"]).pupils.sum().to_dict() == pytest.approx(
        {("z1", 2025): 100.0, ("z1", 2026): 90.0, ("z2", 2025): 30.0})
    assert u.set_index(["unit_id", "year"]).pupils[("b", 2025)] == pytest.approx(75.0)
    assert list(u.columns) == ["unit_id", "zone_id", "level", "year", "pupils"]
    with pytest.raises(DataError, match="z2"):
        spatial_demand(zone, units[units.zone_id == "z1"])


def test_plan_checks_table():
    params = DemandParams()
    sa = school_age(population_one_zone(), {"kindergarten": (3, 5), "primary": (6, 11),
                                            "middle": (12, 14), "high": (15, 17)})
    d = zone_demand(sa, STANDARDS, params, schools())
    pop = pd.DataFrame({"zone_id": ["z1", "z2"], "year": [2025, 2025], "persons": [250_000.0, 300_000.0]})
    c = plan_checks(d, schools(), pop, STANDARDS, params).set_index(["check", "zone_id"])
    assert list(c.reset_index().columns) == ["check", "zone_id", "year", "value", "target", "met"]
    assert c.loc[("compulsory_consolidation", "z1"), "value"] == pytest.approx(160 / 180)
    assert not c.loc[("compulsory_consolidation", "z1"), "met"]
    assert c.loc[("preschool_gross_enrolment", "z1"), "value"] == pytest.approx(1.0)
    assert c.loc[("preschool_gross_enrolment", "z1"), "met"]
    assert c.loc[("special_education_school", "z1"), "met"]
    assert not c.loc[("special_education_school", "z2"), "met"]         # over 200,000, none
    assert ("compulsory_consolidation", "city") in c.index


def test_run_demand_on_tiny_city(tmp_path):
    from capacity.data.load import load_city
    from capacity.demand import run_demand
    from capacity.demography import ProjectionParams, run_projection
    from capacity.testing import write_tiny_city

    city = load_city(write_tiny_city(tmp_path / "tiny"))
    proj = run_projection(city, ProjectionParams(horizon=2027, draws=4))
    d = run_demand(city, proj, spatial=True)
    z = d.demand.groupby(["year", "level"]).pupils.sum()
    u = d.units.groupby(["year", "level"]).pupils.sum()
    pd.testing.assert_series_equal(z, u.loc[z.index], check_exact=False, rtol=1e-12)
    assert {"low", "medium", "high", "q0.5"} <= set(d.school_age_band.band)


def test_plan_checks_any_subset_of_levels(tmp_path):
    """A one-level scenario (say primary only) has no ratio check and, in a small city, no
    special-school check either: an empty table with the columns, not a crash."""
    from itertools import combinations

    from capacity.data.load import load_city
    from capacity.demand import run_demand
    from capacity.demography import ProjectionParams, run_projection
    from capacity.testing import write_tiny_city

    city = load_city(write_tiny_city(tmp_path / "tiny"))
    proj = run_projection(city, ProjectionParams(horizon=2026, draws=0))
    levels = ("kindergarten", "primary", "middle", "high")
    expected = {"kindergarten": "preschool_gross_enrolment", "high": "high_school_gross_enrolment"}
    for n in range(1, len(levels) + 1):
        for subset in combinations(levels, n):
            checks = run_demand(city, proj, DemandParams(levels=subset)).checks
            assert list(checks.columns) == ["check", "zone_id", "year", "value", "target", "met"]
            want = {expected[lv] for lv in subset if lv in expected}
            if {"primary", "middle"} <= set(subset):
                want.add("compulsory_consolidation")
            assert set(checks["check"]) - {"special_education_school", "inclusive_kindergarten_share"} == want


def test_plan_checks_empty_for_primary_only():
    params = DemandParams(levels=("primary",))
    sa = school_age(population_one_zone(), {"primary": (6, 11)})
    d = zone_demand(sa, STANDARDS, params, schools())
    pop = pd.DataFrame({"zone_id": ["z1"], "year": [2025], "persons": [1_000.0]})  # below 200,000
    c = plan_checks(d, schools(), pop, STANDARDS, params)
    assert c.empty and list(c.columns) == ["check", "zone_id", "year", "value", "target", "met"]
