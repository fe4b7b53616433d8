"""Site shortlist (capacity.report.shortlist) checked by hand on the sample city."""

import pandas as pd
import pytest

from capacity.data import load_city
from capacity.testing.sample import sample_frames
from capacity.report.shortlist import shortlist_table
from capacity.testing import X0, Y0, write_tiny_city


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return load_city(write_tiny_city(tmp_path_factory.mktemp("short"), frames=sample_frames()))


def test_swap_cost_by_hand(city):
    # chosen ks4 (3 classes, 90 seats, cost factor 1) at (21200, -5200); ks5 (factor 1.1) at (20600, -4600);
    # unit u7 at (21000, -5000) sends 60 pupils in each of 2025 and 2030.
    plan = pd.DataFrame([{"site_id": "ks4", "level": "kindergarten", "zone_id": "100003", "action": "new",
                          "size_classes": 3, "seats": 90.0, "open_year": 2023, "ready_year": 2023,
                          "cost_cny": 90 * 9 * 5000.0, "x": X0 + 21200, "y": Y0 - 5200}])
    assign = pd.DataFrame({"unit_id": ["u7", "u7"], "school_id": ["ks4", "ks4"], "level": ["kindergarten"] * 2,
                           "year": [2025, 2030], "pupils": [60.0, 60.0], "distance_m": [282.8, 282.8]})
    s = shortlist_table(plan, assign, city, cost_weight=1.0, distance_weight=1.0)
    assert s["alt_site_id"].tolist() == ["ks5"]
    row = s.iloc[0]
    assert row["distance_m"] == pytest.approx(600 * 2 ** 0.5)
    assert row["delta_cost_cny"] == pytest.approx(90 * 9 * 5000 * 0.1)       # 405,000 CNY
    assert row["delta_pupil_km"] == pytest.approx(120 * 200 * 2 ** 0.5 / 1000)  # 120 pupils × 283 m
    assert row["score"] == pytest.approx(0.405 + 120 * 0.2 * 2 ** 0.5)
    assert row["pupils_beyond_reach"] == 0
    # land: 6 classes × 30 × 15 m² = 2,700 ≤ 3,200 fits ks5; 8 classes (3,600 m²) do not
    assert shortlist_table(plan.assign(size_classes=6), assign, city)["alt_site_id"].tolist() == ["ks5"]
    assert shortlist_table(plan.assign(size_classes=8), assign, city).empty
    # availability: ks5 is available only from 2023
    assert shortlist_table(plan.assign(open_year=2022), assign, city).empty


def test_used_sites_and_ranking(city):
    # ks1 chosen (1000, 2000); unused kindergarten sites within 1,500 m: none of ks2 (2,236 m), ks3
    plan = pd.DataFrame([{"site_id": "ks1", "level": "kindergarten", "zone_id": "100001", "action": "new",
                          "size_classes": 3, "seats": 90.0, "open_year": 2025, "ready_year": 2025,
                          "cost_cny": 4.05e6, "x": X0 + 1000, "y": Y0 + 2000}])
    assign = pd.DataFrame(columns=["unit_id", "school_id", "level", "year", "pupils", "distance_m"])
    assert shortlist_table(plan, assign, city).empty
    # move it next to ks2 (3000, 3000): ks2 is 1,000 m away, its land 1,500 ≥ 90 × 15 = 1,350
    near = plan.assign(x=X0 + 3000, y=Y0 + 2000)
    s = shortlist_table(near, assign, city, top=3)
    assert s["alt_site_id"].tolist() == ["ks2"] and s["alt_rank"].tolist() == [1]
    assert s["delta_cost_cny"].iloc[0] == pytest.approx(4.05e6 * 1.2 - 4.05e6)
