"""The report's map data (capacity.report.webmap) and the PNG maps' labels, on hand-checkable tables.

The tiny city of :mod:`capacity.testing` lies in EPSG:4543 (CGCS2000 / 3-degree GK CM 102E):
x = 500 000 m is the central meridian, so points there have longitude 102° exactly.
"""

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from capacity.report import webmap
from capacity.report.maps import map_labels, map_title

CRS = "EPSG:4543"


class City:
    """Two zones (one a long thin zigzag to simplify), two schools, two demand units."""

    def __init__(self):
        zig = [(500_000 + 10 * i, 2_770_000 + (3 if i % 2 else 0)) for i in range(101)]
        ring = zig + [(501_000, 2_771_000), (500_000, 2_771_000)]
        self.zones = gpd.GeoDataFrame(
            {"zone_id": ["1", "2"], "name_local": ["甲区", "丙镇"], "name_en": ["A District", "C Town"],
             "kind": ["district", "exclave"]},
            geometry=[shapely.Polygon(ring), shapely.box(520_000, 2_764_000, 522_000, 2_766_000)], crs=CRS)
        self.schools = gpd.GeoDataFrame(
            {"school_id": ["k1", "p1"], "level": ["kindergarten", "primary"], "zone_id": ["1", "1"],
             "name": ["一幼", "一小"], "seats": [90, 270], "classes": [3, 6]},
            geometry=[shapely.Point(500_000, 2_770_500), shapely.Point(500_500, 2_770_500)], crs=CRS)
        self.demand_units = gpd.GeoDataFrame(
            {"unit_id": ["u1", "u2"], "zone_id": ["1", "2"], "population": [1000, 250]},
            geometry=[shapely.Point(500_200, 2_770_200), shapely.Point(521_000, 2_765_000)], crs=CRS)


PLAN = pd.DataFrame({"site_id": ["ks2", "k1"], "level": ["kindergarten", "kindergarten"], "zone_id": ["2", "1"],
                     "action": ["new", "expand"], "size_classes": [3, 3], "seats": [90.0, 90.0],
                     "open_year": [2023, 2024], "ready_year": [2024, 2024], "cost_cny": [4_860_000.0, 2e6],
                     "x": [521_000.0, 500_000.0], "y": [2_765_000.0, 2_770_500.0]})
SHORT = pd.DataFrame({"chosen_site_id": ["ks2", "ks2"], "level": ["kindergarten"] * 2, "zone_id": ["2", "2"],
                      "open_year": [2023, 2023], "alt_rank": [2, 1], "alt_site_id": ["ks9", "ks5"],
                      "distance_m": [1200.0, 848.5], "delta_cost_cny": [1e5, 4.05e5], "score": [3.0, 2.5],
                      "x": [521_500.0, 520_600.0], "y": [2_765_400.0, 2_765_400.0]})
BALANCE = pd.DataFrame({"zone_id": ["1", "2", "1", "2"], "level": ["kindergarten"] * 4,
                        "year": [2025, 2025, 2030, 2030], "seats": [270.0, 90.0, 270.0, 90.0],
                        "demand": [240.0, 120.0, 200.0, 100.0]})
ASSIGN = pd.DataFrame({"unit_id": ["u2", "u2"], "school_id": ["ks2", "ks2"], "level": ["kindergarten"] * 2,
                       "year": [2025, 2030], "pupils": [60.0, 50.0]})


@pytest.fixture(scope="module")
def data():
    return {lang: webmap.map_data(city=City(), zone_balance=BALANCE, plan=PLAN, shortlist=SHORT, lang=lang,
                                  assignment=ASSIGN) for lang in ("zh", "en")}


def test_balance_per_level_year_zone(data):
    assert data["zh"]["balance"] == {"kindergarten": {"2025": {"1": [270.0, 240.0], "2": [90.0, 120.0]},
                                                      "2030": {"1": [270.0, 200.0], "2": [90.0, 100.0]}}}
    assert data["zh"]["levels"] == ["kindergarten"] and data["zh"]["years"] == [2025, 2030]


def test_zones_simplified_rounded_named(data):
    zh, en = data["zh"]["zones"]["features"], data["en"]["zones"]["features"]
    assert [f["properties"]["name"] for f in zh] == ["甲区", "丙镇"]
    assert [f["properties"]["name"] for f in en] == ["A District", "C Town"]
    assert zh[1]["properties"]["kind"] == "exclave"
    ring = zh[0]["geometry"]["coordinates"][0]
    assert len(ring) < 20  # the 3 m zigzag of 101 vertices is gone at a 30 m tolerance
    coords = [c for f in zh for r in f["geometry"]["coordinates"] for c in r]
    assert all(round(v, 5) == v for c in coords for v in c)
    assert all(100 < c[0] < 104 and 24 < c[1] < 26 for c in coords)  # [lon, lat] of the GeoJSON


def test_points_in_wgs84_with_popups(data):
    zh, en = data["zh"], data["en"]
    school = zh["schools"][0]
    assert school["ll"][1] == pytest.approx(102.0, abs=1e-5)  # x = 500 000 m: the central meridian
    assert school["v"] == ["一幼", "幼儿园", "90", "3", "甲区"]
    new, expand = zh["sites"]
    assert (new["a"], new["o"], new["y"], expand["a"]) == ("new", 2023, 2024, "expand")
    assert new["v"][:6] == ["ks2", "幼儿园", "新建", "3", "90", "2023 / 2024"]
    assert new["v"][6] == "486万元 (4,860,000)" and new["v"][7] == "丙镇" and new["v"][8] == "60"
    assert new["v"][9] == "ks5 (848 m), ks9 (1,200 m)"  # nearest first
    assert expand["v"][9] == "无" and en["sites"][1]["v"][9] == "none"
    assert en["sites"][0]["v"][6] == "4,860,000 CNY" and en["sites"][0]["v"][2] == "new"
    assert len(zh["fields"]["site"]) == len(new["v"]) and len(zh["fields"]["school"]) == len(school["v"])
    alt = zh["alternatives"][1]
    assert alt["v"][:4] == ["ks5", "备选:替代 ks2", "1", "848 m"]
    assert zh["units"] == [[pytest.approx(zh["units"][0][0]), pytest.approx(zh["units"][0][1]), 1000],
                           [pytest.approx(zh["units"][1][0]), pytest.approx(zh["units"][1][1]), 250]]


def test_closed_and_converted_sites():
    plan = pd.concat([PLAN, pd.DataFrame({
        "site_id": ["p1", "k1"], "level": ["primary", "kindergarten"], "zone_id": ["1", "1"],
        "action": ["close", "convert"], "size_classes": [float("nan"), 3], "seats": [-270.0, -90.0],
        "open_year": [2025, 2025], "ready_year": [2025, 2025], "cost_cny": [0.0, 1e6],
        "x": [500_500.0, 500_000.0], "y": [2_770_500.0, 2_770_500.0]})], ignore_index=True)
    d = webmap.map_data(city=City(), zone_balance=BALANCE, plan=plan, shortlist=SHORT, lang="zh")
    close, convert = d["sites"][2:]
    assert (close["a"], close["v"][2], close["v"][3], close["v"][4]) == ("close", "撤并", "—", "-270")
    assert (convert["a"], convert["v"][2]) == ("convert", "转为他用")
    assert d["text"]["actions"]["close"] == "撤并"


def test_no_tiles_unless_asked():
    city = City()
    quiet = webmap.map_data(city=city, zone_balance=BALANCE, plan=PLAN, shortlist=SHORT, lang="en", units=False)
    assert quiet["tiles"] is None and quiet["units"] == [] and webmap.csp_sources(None) == ""
    url = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    tiled = webmap.map_data(city=city, zone_balance=BALANCE, plan=PLAN, shortlist=SHORT, lang="en", tile_url=url)
    assert tiled["tiles"] == {"url": url}
    assert webmap.csp_sources(url) == " https://*.tiles.example.org"


def test_json_safe_inside_a_script():
    text = webmap.data_json({"name": "</script><b>", "zh": "昆明"})
    assert "</" not in text and "昆明" in text
    assert json.loads(text) == {"name": "</script><b>", "zh": "昆明"}


def test_html_fragment_is_offline():
    data = webmap.map_data(city=City(), zone_balance=BALANCE, plan=PLAN, shortlist=SHORT, lang="zh")
    frag = webmap.map_html(data)
    css, js = webmap.leaflet_assets()
    assert css in frag and js in frag
    assert "sourceMappingURL" not in frag and "images/layers.png" not in frag
    assert "url(data:image/png;base64," in css
    assert '<script type="application/json" id="capmap-data">' in frag


def test_static_map_labels_per_language():
    en, zh, both = map_labels("en"), map_labels("zh"), map_labels(None)
    assert en["existing"] == "existing school" and zh["existing"] == "现有学校"
    assert both["existing"] == "existing school 现有学校"
    assert zh["new"](2024) == "新建,2024 年开办"
    frame = pd.DataFrame({"name_local": ["磨憨"], "name_en": ["Mohan"]})
    assert en["inset"](frame) == "inset: Mohan" and zh["inset"](frame) == "插图:磨憨"
    assert both["inset"](frame) == "inset: 磨憨 (Mohan)"
    assert map_title("baseline", "primary", [2025, 2030], "zh") == "baseline — 小学:各区县学位余缺,2025 和 2030"
    assert map_title("baseline", "primary", [2025, 2030]) == \
        "baseline — primary: seat balance by zone, 2025 and 2030"
