"""GIS files of a run (capacity.report.gis): GeoPackage 1.2 that older GDAL/QGIS/ArcGIS open cleanly."""

import shutil
import sqlite3
import subprocess

import geopandas as gpd
import pytest
import shapely

from capacity.report.gis import GPKG_VERSION, write_gpkg


@pytest.fixture
def layers():
    crs = "EPSG:4543"
    zones = gpd.GeoDataFrame({"zone_id": ["100001"], "name_local": ["甲区"]},
                             geometry=[shapely.box(500_000, 2_770_000, 504_000, 2_774_000)], crs=crs)
    sites = gpd.GeoDataFrame({"site_id": ["ks1"], "seats": [90.0]},
                             geometry=[shapely.Point(501_000, 2_771_000)], crs=crs)
    empty = gpd.GeoDataFrame({"site_id": []}, geometry=[], crs=crs)
    return {"zones": zones, "chosen_sites": sites, "shortlist": empty}


def _user_version(path):
    with sqlite3.connect(path) as db:
        app = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
    return app, version


def test_gpkg_is_version_1_2(layers, tmp_path):
    (path,) = write_gpkg(layers, tmp_path)
    app, version = _user_version(path)
    assert app == 0x47504B47  # "GPKG"
    assert version == 10200 and GPKG_VERSION == "1.2"
    back = gpd.read_file(path, layer="zones")
    assert list(back["name_local"]) == ["甲区"] and back.crs.to_epsg() == 4543
    assert not list(tmp_path.glob(".*tmp*"))


def _ogrinfo(path):
    exe = shutil.which("ogrinfo")
    if not exe:
        pytest.skip("ogrinfo is not installed (apt-get install gdal-bin)")
    return subprocess.run([exe, "-ro", "-so", "-al", str(path)], capture_output=True, text=True, timeout=60)


def test_ogrinfo_opens_it_without_warning(layers, tmp_path):
    (path,) = write_gpkg(layers, tmp_path)
    out = _ogrinfo(path)
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr and "partially supported" not in out.stderr, out.stderr
    for name in ("zones", "chosen_sites", "shortlist"):
        assert f"Layer name: {name}" in out.stdout
    assert "甲区" not in out.stdout  # -so: summary only; the layer's fields are listed
    assert "name_local: String" in out.stdout


def test_ogrinfo_control_newer_version_warns_on_old_gdal(tmp_path):
    """The check above can fail: a 1.4 file on a GDAL older than 3.7 gets the warning."""
    exe = shutil.which("ogrinfo")
    if not exe:
        pytest.skip("ogrinfo is not installed (apt-get install gdal-bin)")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    major, minor = (int(v) for v in version.split()[1].rstrip(",").split(".")[:2])
    if (major, minor) >= (3, 7):
        pytest.skip(f"{version.strip()} reads GeoPackage 1.4 without a warning")
    import pyogrio

    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
    path = tmp_path / "v14.gpkg"
    pyogrio.write_dataframe(frame, path, driver="GPKG", dataset_options={"VERSION": "1.4"})
    assert _user_version(path)[1] == 10400
    assert "partially supported" in _ogrinfo(path).stderr
