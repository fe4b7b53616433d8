"""capacity.geo.raster: a population GeoTIFF → demand units (a 9 × 4 raster checked by hand).

Raster (100 m cells, EPSG:4543, origin X0, Y0 + 400; column 8 lies outside both zones;
``N`` is nodata)::

    row 0:  1   2   3   4 | 10  10  10  10 | 5
    row 1:  5   6   7   8 | 10  10  10   N | 5
    row 2: .4  .4  .4  .4 | 10  10  10  10 | 5
    row 3:  1   1   1   1 | 10  10  10  10 | 5
            zone A          zone B

With ``cell_m = 200`` each zone has four 2 × 2 squares. Zone A: 14, 22, 2.8, 2.8
(total 41.6 → 42 by largest remainder: 14, 22, 3, 3; rounding +0.4). Zone B: 40, 30, 40, 40.
"""

import numpy as np
import pytest

from capacity.errors import DataError
from capacity.geo.raster import aggregate_population, largest_remainder
from capacity.testing import TINY_CRS, X0, Y0

NODATA = -9999.0
VALUES = np.array([
    [1, 2, 3, 4, 10, 10, 10, 10, 5],
    [5, 6, 7, 8, 10, 10, 10, NODATA, 5],
    [.4, .4, .4, .4, 10, 10, 10, 10, 5],
    [1, 1, 1, 1, 10, 10, 10, 10, 5]], dtype="float32")


def _zones():
    import geopandas as gpd
    from shapely.geometry import box

    return gpd.GeoDataFrame({"zone_id": ["A", "B"]},
                            geometry=[box(X0, Y0, X0 + 400, Y0 + 400), box(X0 + 400, Y0, X0 + 800, Y0 + 400)],
                            crs=TINY_CRS)


def _write(path, values=VALUES, crs=TINY_CRS, nodata=NODATA):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype="float32", crs=crs, transform=from_origin(X0, Y0 + 400, 100, 100),
                       nodata=nodata) as dst:
        dst.write(values, 1)
    return path


def test_units_totals_and_rounding_by_hand(tmp_path):
    agg = aggregate_population(_write(tmp_path / "pop.tif"), _zones(), 200, TINY_CRS,
                               urban_density_per_km2=800)
    units = agg.units.sort_values("unit_id").reset_index(drop=True)
    by_zone = units.groupby("zone_id")["population"].apply(sorted).to_dict()
    assert by_zone == {"A": [3.0, 3.0, 14.0, 22.0], "B": [30.0, 40.0, 40.0, 40.0]}
    assert agg.raster_total == pytest.approx(41.6 + 150 + 20, abs=1e-4)
    assert agg.outside_total == pytest.approx(20.0)
    assert agg.rounding == pytest.approx(0.4, abs=1e-4)
    assert agg.nodata_cells == 1
    # the top-left square of zone A: weighted mean of its four cell centres
    top_left = units[(units["zone_id"] == "A") & (units["population"] == 14)].geometry.iloc[0]
    assert top_left.x - X0 == pytest.approx(1500 / 14)
    assert top_left.y - Y0 == pytest.approx(3800 / 14)
    # 40 persons on 0.04 km² = 1,000/km² ≥ 800: urban; 30 (750/km²) and zone A's are rural
    assert sorted(units.loc[units["urban"], "population"]) == [40.0, 40.0, 40.0]
    assert set(units["cell_m"]) == {200.0}
    assert set(units["provenance"]) == {"imported"} and set(units["urban_provenance"]) == {"estimate"}
    assert units["unit_id"].is_unique


def test_largest_remainder_keeps_each_group_total():
    out = largest_remainder([0.5, 0.5, 0.5, 1.2, 1.2, 1.6], ["a", "a", "a", "b", "b", "b"])
    assert out[:3].sum() == 2.0 and out[3:].sum() == 4.0
    assert np.all(out == np.round(out))


def test_raster_in_another_crs_gives_the_same_units(tmp_path):
    zones = _zones().to_crs("EPSG:4326")
    a = aggregate_population(_write(tmp_path / "pop.tif"), zones, 200, TINY_CRS).units
    assert sorted(a["population"]) == [3.0, 3.0, 14.0, 22.0, 30.0, 40.0, 40.0, 40.0]


def test_negative_counts_are_an_error(tmp_path):
    values = VALUES.copy()
    values[0, 0] = -3
    with pytest.raises(DataError, match=r"pop.tif: negative persons per cell at \(row, col\)"):
        aggregate_population(_write(tmp_path / "pop.tif", values), _zones(), 200, TINY_CRS)


def test_no_crs_is_an_error_unless_given(tmp_path):
    path = _write(tmp_path / "pop.tif", crs=None)
    with pytest.raises(DataError, match="declares no CRS"):
        aggregate_population(path, _zones(), 200, TINY_CRS)
    units = aggregate_population(path, _zones(), 200, TINY_CRS, raster_crs=TINY_CRS).units
    assert units["population"].sum() == 42 + 150


def test_raster_elsewhere_is_an_error(tmp_path):
    zones = _zones().translate(50_000, 0)
    with pytest.raises(DataError, match="no persons in any cell inside the zones"):
        aggregate_population(_write(tmp_path / "pop.tif"), zones, 200, TINY_CRS)


def test_not_a_raster_is_an_error(tmp_path):
    (tmp_path / "pop.tif").write_text("not a tiff")
    with pytest.raises(DataError, match="pop.tif: cannot be read as a raster"):
        aggregate_population(tmp_path / "pop.tif", _zones(), 200, TINY_CRS)
