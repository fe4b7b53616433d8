"""Name a coordinate system once, transform points and geometries between any two.

A bureau's files come in EPSG-coded systems (WGS84 EPSG:4326, CGCS2000
EPSG:4490, a 3-degree Gauss–Krüger zone such as EPSG:4543) or in the offset
systems of Chinese web maps, GCJ-02 and BD-09, which no EPSG code describes.
:func:`parse_crs` accepts all of them; :func:`transform_xy` and
:func:`transform_geometries` go from any one to any other: an offset system
is first taken to WGS84 longitude/latitude (:mod:`capacity.geo.china`), then
pyproj does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj

from capacity.errors import DataError
from capacity.geo import china

OFFSET_SYSTEMS = ("GCJ-02", "BD-09")
_ALIASES = {"GCJ-02": "GCJ-02", "GCJ02": "GCJ-02", "BD-09": "BD-09", "BD09": "BD-09",
            "WGS84": "EPSG:4326", "WGS-84": "EPSG:4326", "CGCS2000": "EPSG:4490"}
_TO_WGS84 = {"GCJ-02": china.gcj02_to_wgs84, "BD-09": china.bd09_to_wgs84}
_FROM_WGS84 = {"GCJ-02": china.wgs84_to_gcj02, "BD-09": china.wgs84_to_bd09}
WGS84 = pyproj.CRS.from_epsg(4326)


@dataclass(frozen=True)
class CoordSystem:
    """A coordinate system as a bureau names it.

    Attributes
    ----------
    name : str
        As written (normalised for the offset systems), e.g. ``"GCJ-02"``, ``"EPSG:4543"``.
    crs : pyproj.CRS
        The EPSG system; for an offset system, WGS84 (what it is offset from).
    offset : str or None
        ``"GCJ-02"`` or ``"BD-09"`` for the web-map offset systems, else None.
    """

    name: str
    crs: pyproj.CRS
    offset: str | None = None

    @property
    def is_geographic(self) -> bool:
        return self.offset is not None or self.crs.is_geographic


def parse_crs(text, where: str | None = None) -> CoordSystem:
    """Read ``"EPSG:<code>"``, ``"GCJ-02"``, ``"BD-09"``, ``"WGS84"``, ``"CGCS2000"`` or any
    definition pyproj accepts.

    Parameters
    ----------
    text : str or pyproj.CRS
    where : str, optional
        Where the text came from, put before the error message (e.g. ``"import.toml: schools.crs"``).

    Raises
    ------
    DataError
        ``text`` names no known coordinate system.
    """
    if isinstance(text, CoordSystem):
        return text
    if isinstance(text, pyproj.CRS):
        return CoordSystem(text.to_string(), text)
    if not isinstance(text, str) and hasattr(text, "to_wkt"):  # rasterio's CRS and the like
        crs = pyproj.CRS.from_user_input(text)
        return CoordSystem(crs.to_string(), crs)
    prefix = f"{where}: " if where else ""
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{prefix}expected a coordinate system such as \"EPSG:4543\", \"GCJ-02\" or "
                        f"\"BD-09\", got {text!r}")
    key = _ALIASES.get(text.strip().upper().replace(" ", ""))
    if key in OFFSET_SYSTEMS:
        return CoordSystem(key, WGS84, key)
    try:
        crs = pyproj.CRS.from_user_input(key or text.strip())
    except pyproj.exceptions.CRSError:
        raise DataError(f"{prefix}{text!r} is not a known coordinate system; use \"EPSG:<code>\", "
                        "\"GCJ-02\" or \"BD-09\"") from None
    return CoordSystem(text.strip(), crs)


def transform_xy(x, y, src, dst):
    """Transform coordinates from ``src`` to ``dst``.

    Parameters
    ----------
    x, y : array_like
        Easting/longitude and northing/latitude in ``src`` [m or degrees].
    src, dst : str, pyproj.CRS or CoordSystem

    Returns
    -------
    (x, y) : tuple of ndarray
        In ``dst`` [m or degrees].
    """
    src, dst = parse_crs(src), parse_crs(dst)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if src.offset:
        x, y = _TO_WGS84[src.offset](x, y)
    if not src.crs.equals(dst.crs):
        x, y = pyproj.Transformer.from_crs(src.crs, dst.crs, always_xy=True).transform(x, y)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if dst.offset:
        x, y = _FROM_WGS84[dst.offset](x, y)
    return x, y


def transform_geometries(geoms, src, dst):
    """Transform shapely geometries (an array or GeoSeries values) from ``src`` to ``dst``."""
    import shapely

    return shapely.transform(np.asarray(geoms), lambda x, y: transform_xy(x, y, src, dst),
                             interleaved=False)
