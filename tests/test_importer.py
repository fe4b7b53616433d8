"""capacity.importer on the synthetic bureau folder in examples/bureau/ (end to end)."""

import hashlib
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from capacity.data import load_city
from capacity.importer import import_folder, read_spec

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "bureau"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("import") / "example"
    result = import_folder(EXAMPLE / "import.toml", out, today="2026-01-02")
    return out, result


def test_example_imports_and_validates(imported):
    out, result = imported
    city = load_city(out)
    assert len(city.zones) == 2
    assert result.counts == {"zones.gpkg": 2, "schools.gpkg": 17, "candidate_sites.gpkg": 11,
                             "demand_units.gpkg": len(city.demand_units), "roads.gpkg": 48}
    assert city.roads is not None and city.roads.crs.to_epsg() == 4543
    assert set(city.schools["provenance"]) == {"imported"}
    assert city.zones.set_index("zone_id")["name_local"].to_dict() == {"539901": "示例甲区", "539902": "示例乙县"}


def test_imported_coordinates_match_the_wgs84_truth_within_1_m(imported):
    out, _ = imported
    schools = gpd.read_file(out / "schools.gpkg").set_index("school_id")
    truth = pd.read_csv(EXAMPLE / "truth_wgs84.csv", dtype={"school_id": str}).set_index("school_id")
    assert sorted(schools.index) == sorted(truth.index)
    pts = schools.loc[truth.index].geometry
    err = np.hypot(pts.x.to_numpy() - truth["x"].to_numpy(), pts.y.to_numpy() - truth["y"].to_numpy())
    assert err.max() < 1.0
    lonlat = pts.to_crs("EPSG:4326")
    assert np.abs(lonlat.x.to_numpy() - truth["lon"].to_numpy()).max() < 1e-5


def test_estimates_and_assumptions_are_marked(imported):
    out, _ = imported
    schools = gpd.read_file(out / "schools.gpkg")
    assert set(schools["land_m2_provenance"]) == {"estimate"}      # the register has no land column
    assert "seats_provenance" not in schools.columns                  # seats came from the file
    kg = schools[schools["level"] == "kindergarten"].iloc[0]
    assert kg["land_m2"] == kg["seats"] * 13                          # seats × land_m2_per_pupil
    sites = gpd.read_file(out / "candidate_sites.gpkg")
    assert set(sites["cost_factor_provenance"]) == {"assumption"} and set(sites["cost_factor"]) == {1.0}
    units = gpd.read_file(out / "demand_units.gpkg")
    assert set(units["urban_provenance"]) == {"estimate"}


def test_a_parcel_for_two_levels_is_one_site_per_level(imported):
    out, _ = imported
    sites = gpd.read_file(out / "candidate_sites.gpkg").set_index("site_id")
    both = sites.loc[["DK-04-primary", "DK-04-middle"]]
    assert list(both["level"]) == ["primary", "middle"]
    assert set(both["parcel_id"]) == {"DK-04"}
    assert both["land_m2"].nunique() == 1
    assert sites.loc["DK-01", "level"] == "kindergarten"


def test_raster_total_is_kept_and_reported(imported):
    out, result = imported
    units = gpd.read_file(out / "demand_units.gpkg")
    assert "rounding" in result.raster and "outside the zones" in result.raster
    assert units["population"].sum() == pytest.approx(115_640, abs=1)  # this seed's raster inside the zones
    assert np.all(units["population"] == np.round(units["population"]))


def test_sources_md_names_files_sheets_hashes_and_date(imported):
    out, _ = imported
    text = (out / "SOURCES.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((EXAMPLE / "register.xlsx").read_bytes()).hexdigest()
    assert f"| schools | `register.xlsx` | 学校名册 | `schools.gpkg` | 17 | `{digest}` |" in text
    assert "date of import: 2026-01-02" in text
    for name in ("parcels.shp", "parcels.dbf", "population.tif", "zones.shp", "roads.gpkg", "births.csv"):
        assert f"`{name}`" in text
    assert "SYNTHETIC" in text
    assert "`land_m2` (estimate)" in text


def test_inputs_are_not_modified(tmp_path):
    before = {p.name: p.read_bytes() for p in EXAMPLE.iterdir() if p.is_file()}
    import_folder(EXAMPLE / "import.toml", tmp_path / "x")
    after = {p.name: p.read_bytes() for p in EXAMPLE.iterdir() if p.is_file()}
    assert before == after


def test_force_replaces_an_earlier_import_only(tmp_path):
    from capacity.errors import CapacityError

    out = tmp_path / "x"
    import_folder(EXAMPLE / "import.toml", out)
    with pytest.raises(CapacityError, match="already exists"):
        import_folder(EXAMPLE / "import.toml", out)
    import_folder(EXAMPLE / "import.toml", out, force=True)
    assert load_city(out).zones.shape[0] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]     # no staging folders left


def test_spec_paths_are_relative_to_the_spec(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "bureau")
    spec = read_spec(tmp_path / "bureau" / "import.toml")
    assert spec.schools.path == (tmp_path / "bureau" / "register.xlsx").resolve()
    assert spec.candidate_sites.level_values["中小学用地"] == ("primary", "middle")


def test_example_runs_end_to_end_on_network_distances(imported, tmp_path):
    from capacity.cli import main

    out, _ = imported
    scenario = (EXAMPLE / "scenario.toml").read_text(encoding="utf-8")
    scenario = scenario.replace('data = "../../data/example"', f'data = "{out.as_posix()}"')
    assert 'distance = "network"' in scenario
    (tmp_path / "example.toml").write_text(scenario, encoding="utf-8")
    assert main(["run", str(tmp_path / "example.toml"), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    plan = pd.read_csv(tmp_path / "run" / "plan.csv")
    assert len(plan) >= 1
    assign = pd.read_csv(tmp_path / "run" / "assignment.csv", dtype={"school_id": str})
    city = load_city(out)
    units = city.demand_units.set_index("unit_id").geometry
    places = pd.concat([city.schools.set_index("school_id").geometry,
                        city.candidate_sites.set_index("site_id").geometry])
    u, f = units.loc[assign["unit_id"]], places.loc[assign["school_id"]]
    straight = np.hypot(u.x.to_numpy() - f.x.to_numpy(), u.y.to_numpy() - f.y.to_numpy())
    assert np.all(assign["distance_m"].to_numpy() >= straight - 1e-6)
    assert (assign["distance_m"].to_numpy() > straight + 1).mean() > 0.5  # along streets, not straight
    # the independent re-check measures the same walking distances
    assert main(["verify", str(tmp_path / "run"), "--quiet"]) == 0


def test_validate_command_accepts_the_imported_folder(imported, capsys):
    from capacity.cli import main

    out, _ = imported
    assert main(["validate", str(out)]) == 0
    assert capsys.readouterr().out.strip().endswith("ok")


def test_demand_units_from_residential_points_in_bd09(tmp_path):
    """Residential points (a CSV in BD-09, Baidu) instead of the raster."""
    from capacity.geo.china import wgs84_to_bd09
    from capacity.geo.crs import transform_xy

    folder = tmp_path / "bureau"
    shutil.copytree(EXAMPLE, folder)
    rng = np.random.default_rng(3)
    x = 570_000 + rng.uniform(100, 11_900, 40)
    y = 2_766_000 + rng.uniform(100, 5_900, 40)
    lon, lat = wgs84_to_bd09(*transform_xy(x, y, "EPSG:4543", "EPSG:4326"))
    pd.DataFrame({"小区": [f"R{i}" for i in range(40)], "人口": rng.integers(50, 3000, 40),
                  "lng": lon, "lat": lat}).to_csv(folder / "residential.csv", index=False, encoding="gbk")
    spec = (folder / "import.toml").read_text(encoding="utf-8")
    head, tail = spec.split("[demand_units]")
    tail = tail.split("[roads]")[1]
    spec = (head + '[demand_units]\nfile = "residential.csv"\nencoding = "gbk"\ncrs = "BD-09"\nx = "lng"\n'
            'y = "lat"\ncolumns = { unit_id = "小区", population = "人口" }\ncell_m = 500\n\n[roads]' + tail)
    (folder / "import.toml").write_text(spec, encoding="utf-8")
    out = tmp_path / "out"
    import_folder(folder / "import.toml", out)
    units = gpd.read_file(out / "demand_units.gpkg").set_index("unit_id").loc[[f"R{i}" for i in range(40)]]
    assert np.hypot(units.geometry.x - x, units.geometry.y - y).max() < 1.0
    assert set(units["zone_id"]) == {"539901", "539902"}
    assert list(units["zone_id"]) == ["539901" if v < 576_000 else "539902" for v in x]
    # urban: persons on a 500 m square (0.25 km²) ≥ 1,500/km², i.e. ≥ 375 persons
    assert list(units["urban"]) == list(units["population"] >= 375)


def test_vector_layer_in_gcj02_claiming_wgs84_is_overridden_by_the_spec(tmp_path):
    """A GeoJSON of zones digitised on AMap (GCJ-02, declared as WGS84) and a spec ``values``."""
    from capacity.geo.crs import transform_geometries

    folder = tmp_path / "bureau"
    shutil.copytree(EXAMPLE, folder)
    zones = gpd.read_file(EXAMPLE / "zones.shp", encoding="gbk")
    truth = zones.to_crs("EPSG:4543")
    gcj = transform_geometries(zones.to_crs("EPSG:4326").geometry.values, "EPSG:4326", "GCJ-02")
    gpd.GeoDataFrame({"code": zones["XZQDM"], "名称": zones["XZQMC"]}, geometry=gcj, crs="EPSG:4326").to_file(
        folder / "zones.geojson", driver="GeoJSON", engine="pyogrio")
    spec = (folder / "import.toml").read_text(encoding="utf-8")
    old = spec[spec.index("[zones]"):spec.index("[schools]")]
    spec = spec.replace(old, '[zones]\nfile = "zones.geojson"\ncrs = "GCJ-02"\n'
                             'columns = { zone_id = "code", name_local = "名称" }\nvalues = { kind = "exclave" }\n\n')
    (folder / "import.toml").write_text(spec, encoding="utf-8")
    out = tmp_path / "out"
    import_folder(folder / "import.toml", out)
    got = gpd.read_file(out / "zones.gpkg").set_index("zone_id")
    for zone_id, geom in zip(truth["XZQDM"], truth.geometry):
        assert got.loc[zone_id].geometry.hausdorff_distance(geom) < 1.0
    assert set(got["kind"]) == {"exclave"} and set(got["kind_provenance"]) == {"assumption"}
    assert set(got["name_en"]) == {"示例甲区", "示例乙县"}   # the local name when none is given
