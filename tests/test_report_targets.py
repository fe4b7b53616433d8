"""Target checks (capacity.report.targets) on literal tables, and in summary.json of the sample run."""

import json

import pandas as pd
import pytest

from capacity.testing.sample import sample_outputs
from capacity.report.targets import CHECKS, TargetInputs, check_targets

ZONES = pd.DataFrame({"zone_id": ["a", "b", "mohan"], "name_local": ["甲区", "乙县", "磨憨镇"],
                      "name_en": ["A", "B", "Mohan"], "kind": ["county", "county", "exclave"]})
SCENARIO = {"plan": {"evaluation_years": [2025, 2030], "totals": {"kindergarten": 2, "high": 1},
                     "totals_mode": "exact", "totals_action": {"high": "any"},
                     "zone_rules": [{"zone": "mohan", "level": "kindergarten", "action": "new", "min": 1},
                                    {"zone": "mohan", "level": "high", "action": "new", "min": 1},
                                    {"zone": "mohan", "level": "primary", "action": "expand", "min": 1}]},
            "demand": {"public_share": 0.9, "general_share": 0.5, "special_threshold": 200000}}


def plan(rows):
    return pd.DataFrame(rows, columns=["site_id", "level", "zone_id", "action", "seats", "open_year",
                                       "ready_year", "cost_cny"])


PLAN = plan([("k1", "kindergarten", "a", "new", 90, 2023, 2023, 1e6),
             ("k2", "kindergarten", "mohan", "new", 90, 2025, 2025, 1e6),
             ("h1", "high", "mohan", "new", 300, 2025, 2025, 1e7),
             ("p1", "primary", "mohan", "expand", 270, 2024, 2024, 5e6)])


def balance(seats):
    """zone_balance rows for 2025 from {(zone, level): seats}."""
    return pd.DataFrame([{"zone_id": z, "level": lv, "year": 2025, "demand": 0.0, "seats": s,
                          "unserved": 0.0, "balance": 0.0} for (z, lv), s in seats.items()])


def inputs(seats, persons, schools=None, plan_df=PLAN, pop=(300000, 150000, 20000)):
    p = pd.DataFrame([{"zone_id": z, "year": 2025, "level": lv, "persons": n} for (z, lv), n in persons.items()])
    schools = schools if schools is not None else pd.DataFrame(
        {"school_id": ["s1", "hk"], "level": ["special", "high"], "zone_id": ["a", "a"], "seats": [60, 600]})
    return TargetInputs(plan=plan_df, zone_balance=balance(seats), persons=p, scenario=SCENARIO, zones=ZONES,
                        base_population=pd.Series(pop, index=["a", "b", "mohan"], dtype=float),
                        schools=schools,
                        enrolment_target={"kindergarten": 0.99, "primary": 0.98, "middle": 0.98, "high": 0.98})


def by_id(results):
    return {r["id"]: r for r in results}


def test_registry_covers_the_required_targets():
    assert {"T1", "T2", "T3", "T4", "T5", "T6", "T7", "T9", "T10", "T14", "T15"} <= set(CHECKS)


def test_totals_and_mohan():
    r = by_id(check_targets(inputs({}, {}), ["T1", "T4", "T15"]))
    assert r["T1"]["value"] == 2 and r["T1"]["met"] is True
    assert r["T4"]["value"] == 1 and r["T4"]["met"] is True and "new or expanded" in r["T4"]["target"]
    assert r["T15"]["value"] == "1+1+1" and r["T15"]["met"] is True
    r = by_id(check_targets(inputs({}, {}, plan_df=PLAN.iloc[:2]), ["T4", "T15"]))
    assert r["T4"]["met"] is False and r["T15"]["value"] == "1+0+0" and r["T15"]["met"] is False


def test_t5_needs_every_zone_and_the_city():
    # city: 300 / 300 = 100 % ≥ 99 %, but zone b: 90 / 100 = 90 %
    r = by_id(check_targets(inputs({("a", "kindergarten"): 210, ("b", "kindergarten"): 90},
                                   {("a", "kindergarten"): 200, ("b", "kindergarten"): 100}), ["T5"]))
    assert r["T5"]["value"] == pytest.approx(1.0) and r["T5"]["met"] is False
    assert "乙县" in r["T5"]["note"] and "90.0%" in r["T5"]["note"]


def test_t7_city_wide_and_t10_with_general_share():
    seats = {("a", "primary"): 500, ("a", "middle"): 480, ("a", "high"): 245}
    persons = {("a", "primary"): 600, ("a", "middle"): 400, ("a", "high"): 500}
    r = by_id(check_targets(inputs(seats, persons), ["T7", "T10"]))
    assert r["T7"]["value"] == pytest.approx(0.98) and r["T7"]["met"] is True
    # 245 general seats / 0.5 general share = 490 places / 500 = 98 %
    assert r["T10"]["value"] == pytest.approx(0.98) and r["T10"]["met"] is True
    assert "general_share 0.500" in r["T10"]["note"]


def test_t6_assumption_and_flag():
    schools = pd.DataFrame({"school_id": ["k", "q"], "level": ["kindergarten"] * 2, "zone_id": ["a", "b"],
                            "seats": [100, 100]})
    r = by_id(check_targets(inputs({}, {}, schools=schools), ["T6"]))
    # (200 × 0.9 + 180 new) / 380
    assert r["T6"]["value"] == pytest.approx(360 / 380) and "public_share" in r["T6"]["note"]
    flagged = schools.assign(inclusive=[True, False])
    r = by_id(check_targets(inputs({}, {}, schools=flagged), ["T6"]))
    assert r["T6"]["value"] == pytest.approx(280 / 380) and r["T6"]["met"] is False


def test_t9_special_schools_and_t14():
    r = by_id(check_targets(inputs({}, {}), ["T9", "T14"]))
    # a (300,000) has a special school; b (150,000) and mohan are under the threshold
    assert r["T9"]["met"] is True and r["T9"]["value"] == 1.0
    r9 = by_id(check_targets(inputs({}, {}, pop=(300000, 250000, 0)), ["T9"]))["T9"]
    assert r9["met"] is False and "乙县" in r9["note"]
    assert r["T14"]["met"] is None and "not assessable" in r["T14"]["note"]
    # b has no high school, existing or planned
    assert r["T14-proxy"]["met"] is False and "乙县" in r["T14-proxy"]["note"]


def test_summary_json_carries_the_targets(tmp_path_factory):
    run_dir, _, _, _ = sample_outputs(tmp_path_factory.getbasetemp() / "report-sample")
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal"  # the original keys stay
    t = by_id(summary["targets"])
    for key in ("T1", "T2", "T5", "T6", "T7", "T9", "T10", "T14", "T14-proxy", "T15"):
        assert set(t[key]) >= {"id", "target", "value", "met", "note"}
    assert t["T1"]["value"] == 2 and t["T1"]["met"] is True
    # kindergarten 2025: 450 seats / (7 units × 60 / 0.99) children; 乙县 has 90 / (120 / 0.99)
    assert t["T5"]["value"] == pytest.approx(450 / (420 / 0.99)) and t["T5"]["met"] is False
    assert t["T15"]["value"] == "1" and t["T15"]["met"] is True
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    for r in summary["targets"]:
        assert f"<td>{r['id']}</td>" in html
