"""Coordinate systems, population rasters and other geographic helpers.

* :mod:`capacity.geo.china` — the offset systems of Chinese web maps
  (GCJ-02, BD-09) to and from WGS84, vectorised, inverses iterated.
* :mod:`capacity.geo.crs` — one way to name a coordinate system
  (``"EPSG:<code>"``, ``"GCJ-02"``, ``"BD-09"``) and transform points and
  geometries between any two of them.
* :mod:`capacity.geo.raster` — a population GeoTIFF aggregated to demand units.
"""

from capacity.geo.china import (bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, gcj02_to_wgs84,
                                wgs84_to_bd09, wgs84_to_gcj02)
from capacity.geo.crs import OFFSET_SYSTEMS, parse_crs, transform_geometries, transform_xy

__all__ = ["wgs84_to_gcj02", "gcj02_to_wgs84", "wgs84_to_bd09", "bd09_to_wgs84", "gcj02_to_bd09",
           "bd09_to_gcj02", "OFFSET_SYSTEMS", "parse_crs", "transform_xy", "transform_geometries"]
