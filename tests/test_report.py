"""capacity.report.report and capacity.io.write_run on the sample run: every file read back with its users' library."""

import json
import re

import numpy as np
import pandas as pd
import pyogrio
import pytest
from PIL import Image

from capacity.errors import DataError
from capacity.testing.sample import sample_outputs


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return sample_outputs(tmp_path_factory.getbasetemp() / "report-sample")


def test_files_written(run):
    run_dir, _, _, files = run
    names = {"schedule.csv", "schedule.xlsx", "schedule_gantt.png", "shortlist.csv", "plan.gpkg",
             "report.html", "summary.json"} | {f"map_{lv}.png" for lv in ("kindergarten", "primary",
                                                                          "middle", "high")}
    for name in names:
        assert (run_dir / name).is_file(), name
    assert (run_dir / "geojson" / "zones.geojson").is_file() and (run_dir / "shp" / "zones.cpg").is_file()
    if files is not None:
        assert {p.name for p in files} >= names


def test_schedule_csv_and_xlsx(run):
    from openpyxl import load_workbook

    run_dir, city, _, _ = run
    plan = pd.read_csv(run_dir / "plan.csv", dtype={"zone_id": str})
    sched = pd.read_csv(run_dir / "schedule.csv", dtype={"zone_id": str})
    assert (run_dir / "schedule.csv").read_bytes()[:3] == b"\xef\xbb\xbf"  # BOM: Excel reads UTF-8
    assert sched["schools"].sum() == len(plan)
    assert sched["seats"].sum() == pytest.approx(plan["seats"].sum())
    assert sched["cost_cny"].sum() == pytest.approx(plan["cost_cny"].sum())
    exclave = sched[sched["zone_id"] == "100003"]
    assert exclave["name_local"].tolist() == ["丙镇"] and exclave["name_en"].tolist() == ["C Town"]
    wb = load_workbook(run_dir / "schedule.xlsx", read_only=True)
    assert wb.sheetnames[0] == "summary"
    assert set(wb.sheetnames[1:]) == set(plan["level"])
    rows = list(wb["kindergarten"].iter_rows(min_row=3, values_only=True))
    k = sched[sched["level"] == "kindergarten"]
    assert len(rows) == len(k)
    assert {r[2] for r in rows} == set(k["name_local"])  # Chinese names intact
    assert sum(r[7] for r in rows) == pytest.approx(k["seats"].sum())  # column "Seats"
    total = [r for r in wb["summary"].iter_rows(min_row=3, values_only=True) if r[1] == "total"]
    assert total[0][6] == pytest.approx(plan["cost_cny"].sum())  # level, year, new, expand, schools, seats, cost


@pytest.mark.parametrize("name", ["map_kindergarten.png", "map_high.png", "schedule_gantt.png"])
def test_png_200_dpi_not_blank(run, name):
    im = Image.open(run[0] / name)
    dpi = im.info.get("dpi", (0, 0))
    assert round(dpi[0]) == 200
    arr = np.asarray(im.convert("L"), dtype=float)
    assert arr.shape[0] > 500 and arr.std() > 10


def _layer(path, layer=None):
    return pyogrio.read_dataframe(path, layer=layer)


def test_geopackage_layers_read_back(run):
    run_dir, city, _, _ = run
    gpkg = run_dir / "plan.gpkg"
    plan = pd.read_csv(run_dir / "plan.csv", dtype={"zone_id": str, "site_id": str})
    assign = pd.read_csv(run_dir / "assignment.csv")
    layers = dict(pyogrio.list_layers(gpkg))
    assert list(layers) == ["zones", "demand_units", "existing_schools", "candidate_sites",
                            "chosen_sites", "assignments", "shortlist"]
    assert layers["assignments"] == "LineString"
    expect = {"zones": 3, "demand_units": 7, "existing_schools": 7, "candidate_sites": 11,
              "chosen_sites": len(plan), "assignments": int((assign["pupils"] > 0).sum()), "shortlist": 1}
    for name, n in expect.items():
        df = _layer(gpkg, name)
        assert len(df) == n, name
        assert df.crs.to_epsg() == 4543, name
    zones = _layer(gpkg, "zones")
    assert zones["name_local"].tolist() == ["甲区", "乙县", "丙镇"]
    chosen = _layer(gpkg, "chosen_sites")
    for col in ("level", "action", "size_classes", "open_year", "seats", "cost_cny", "rank"):
        assert col in chosen.columns
    merged = chosen.merge(plan, on=["site_id", "level"])
    assert len(merged) == len(plan)
    assert np.allclose(merged["seats_x"], merged["seats_y"]) and np.allclose(merged.geometry.x, merged["x"])
    lines = _layer(gpkg, "assignments")
    assert np.allclose(lines.geometry.length, lines["distance_m"], rtol=1e-6)
    assert lines["pupils"].sum() == pytest.approx(assign["pupils"].sum())


def test_geojson_is_wgs84(run):
    run_dir = run[0]
    zones = _layer(run_dir / "geojson" / "zones.geojson")
    assert zones.crs.to_epsg() == 4326
    assert zones["name_local"].tolist() == ["甲区", "乙县", "丙镇"]
    x0, y0, x1, y1 = zones.total_bounds
    assert 101.5 < x0 < x1 < 103 and 24.5 < y0 < y1 < 25.5  # tiny city: near 102°E, 25°N
    assert len(_layer(run_dir / "geojson" / "assignments.geojson")) == \
        len(_layer(run_dir / "plan.gpkg", "assignments"))


def test_shapefile_utf8_and_short_names(run):
    run_dir = run[0]
    shp = run_dir / "shp"
    assert (shp / "zones.cpg").read_text().strip() == "UTF-8"
    zones = _layer(shp / "zones.shp")
    assert zones.crs.to_epsg() == 4543
    assert zones["name_zh"].tolist() == ["甲区", "乙县", "丙镇"]
    names = pd.read_csv(shp / "shp_field_names.csv")
    assert (names["shp_field"].str.len() <= 10).all()
    assert names.query("layer == 'zones' and column == 'name_local'")["shp_field"].item() == "name_zh"
    short = _layer(shp / "shortlist.shp")
    assert short["chosen_id"].tolist() == ["ks4"] and short["alt_id"].tolist() == ["ks5"]
    cands = _layer(shp / "candidate_sites.shp")
    plan = pd.read_csv(run_dir / "plan.csv")
    assert cands["chosen"].sum() == (plan["action"] == "new").sum()  # bool written as 0/1


def test_export_run_reloads_the_city(run, tmp_path):
    from capacity.io.run import export_run

    run_dir = run[0]
    files = export_run(run_dir, tmp_path / "gpkg", "gpkg")
    assert [p.name for p in files] == ["plan.gpkg"]
    a = _layer(files[0], "chosen_sites")
    b = _layer(run_dir / "plan.gpkg", "chosen_sites")
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    with pytest.raises(DataError, match="unknown GIS format"):
        export_run(run_dir, tmp_path / "x", "kml")


def test_map_has_no_missing_glyphs(run, tmp_path):
    import warnings

    from capacity.report.maps import level_map

    run_dir, city, _, _ = run
    zb = pd.read_csv(run_dir / "zone_balance.csv", dtype={"zone_id": str})
    plan = pd.read_csv(run_dir / "plan.csv", dtype={"zone_id": str})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        level_map(city, zb, plan, "kindergarten", [2025], "磨憨 Mohan test 测试", tmp_path / "m.png")
    assert not [w for w in caught if "missing" in str(w.message).lower()], [str(w.message) for w in caught]
    assert Image.open(tmp_path / "m.png").size[0] > 1000
