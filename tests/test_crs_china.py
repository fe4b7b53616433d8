"""capacity.geo.china and capacity.geo.crs: GCJ-02 / BD-09 ↔ WGS84, CRS names."""

import numpy as np
import pyproj
import pytest

from capacity.errors import DataError
from capacity.geo import china
from capacity.geo.crs import parse_crs, transform_geometries, transform_xy

GEOD = pyproj.Geod(ellps="WGS84")


def _metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(2024)
    # 10,000 random points over mainland China's extent (where the offset applies)
    return rng.uniform(73.6, 134.7, 10_000), rng.uniform(18.2, 53.5, 10_000)


def test_gcj02_round_trip_10000_points_within_0_1_m(points):
    lon, lat = points
    back = china.gcj02_to_wgs84(*china.wgs84_to_gcj02(lon, lat))
    assert _metres(lon, lat, *back).max() < 0.1


def test_bd09_round_trip_10000_points_within_0_1_m(points):
    lon, lat = points
    back = china.bd09_to_wgs84(*china.wgs84_to_bd09(lon, lat))
    assert _metres(lon, lat, *back).max() < 0.1
    gcj = china.wgs84_to_gcj02(lon, lat)
    back = china.bd09_to_gcj02(*china.gcj02_to_bd09(*gcj))
    assert _metres(*gcj, *back).max() < 0.1


def test_offsets_have_the_known_size_in_kunming():
    # GCJ-02 moves Kunming a few hundred metres; BD-09 adds about 1 km more (north-east)
    lon, lat = 102.71, 25.04
    g = china.wgs84_to_gcj02(lon, lat)
    b = china.wgs84_to_bd09(lon, lat)
    assert 200 < _metres(lon, lat, *g) < 800
    assert 600 < _metres(*g, *b) < 1500
    assert b[0] > g[0] and b[1] > g[1]


def test_outside_china_is_unchanged_and_shapes_are_kept():
    lon, lat = china.wgs84_to_gcj02(np.array([[2.35, 151.2]]), np.array([[48.85, -33.87]]))
    assert lon.shape == (1, 2)
    np.testing.assert_array_equal(lon, [[2.35, 151.2]])
    np.testing.assert_array_equal(china.gcj02_to_wgs84(2.35, 48.85), (2.35, 48.85))


def test_non_finite_coordinates_are_an_error():
    with pytest.raises(DataError, match="finite"):
        china.gcj02_to_wgs84([102.7, np.nan], [25.0, 25.0])


@pytest.mark.parametrize("text, offset, epsg", [
    ("GCJ-02", "GCJ-02", 4326), ("gcj02", "GCJ-02", 4326), ("BD-09", "BD-09", 4326),
    ("WGS84", None, 4326), ("CGCS2000", None, 4490), ("EPSG:4543", None, 4543)])
def test_parse_crs_names(text, offset, epsg):
    cs = parse_crs(text)
    assert cs.offset == offset
    assert cs.crs.to_epsg() == epsg


def test_parse_crs_unknown_names_where():
    with pytest.raises(DataError, match=r"import.toml: schools.crs: 'GCJ-2' is not a known"):
        parse_crs("GCJ-2", where="import.toml: schools.crs")


def test_transform_xy_through_an_offset_system_equals_two_steps():
    lon, lat = np.array([102.70, 102.75]), np.array([25.00, 25.05])
    g = china.wgs84_to_gcj02(lon, lat)
    x, y = transform_xy(*g, "GCJ-02", "EPSG:4543")
    ref = pyproj.Transformer.from_crs(4326, 4543, always_xy=True).transform(lon, lat)
    np.testing.assert_allclose(x, ref[0], atol=1e-3)
    np.testing.assert_allclose(y, ref[1], atol=1e-3)
    back = transform_xy(x, y, "EPSG:4543", "BD-09")
    np.testing.assert_allclose(back, china.wgs84_to_bd09(lon, lat), atol=1e-9)


def test_transform_geometries_moves_every_vertex():
    from shapely.geometry import LineString

    line = LineString([(102.70, 25.00), (102.71, 25.01)])
    out = transform_geometries([line], "EPSG:4326", "GCJ-02")[0]
    np.testing.assert_allclose(np.asarray(out.coords).T,
                               np.asarray(china.wgs84_to_gcj02(*np.asarray(line.coords).T)), atol=1e-12)
