"""GCJ-02 and BD-09, the offset coordinate systems of Chinese web maps.

Coordinates from AMap (高德) and Tencent maps are in **GCJ-02** (国测局坐标,
"Mars coordinates"): WGS84 longitude and latitude shifted by a published,
deliberately irregular function of position (a few hundred metres in
Yunnan). Baidu maps add a second shift on top, **BD-09**. CGCS2000
(EPSG:4490) agrees with WGS84 to well under a metre, far below any planning
distance, so "WGS84" below stands for both.

Forward transforms (WGS84 → GCJ-02 → BD-09) follow the widely published
public algorithm (the Krasovsky 1940 ellipsoid constants; Baidu's
``x_pi`` rotation). They have no closed-form inverse; we solve each inverse
by fixed-point iteration of the forward map,

.. math:: w_{k+1} = w_k - (f(w_k) - g),

starting from :math:`w_0 = g`. The offset changes by a few metres per
kilometre, so the map is a strong contraction and each step gains about
three decimal digits; iteration stops when :math:`|f(w) - g| < 10^{-10}`
degrees (≈ 0.01 mm), far inside the 0.1 m the importer promises.

Outside mainland China's bounding box (lon 72.004–137.8347°, lat
0.8293–55.8271°) the web maps publish WGS84 unchanged; so do these
functions.

All functions take and return longitudes and latitudes in degrees, as
scalars or numpy arrays of any shape (vectorised; no Python loop over points).

References
----------
The GCJ-02 forward function has circulated publicly since about 2013 (e.g. the
``eviltransform`` and ``coordtransform`` projects); Baidu's BD-09 shift is
documented in its map API FAQ. Our implementation and the iterated inverses
are our own.
"""

from __future__ import annotations

import numpy as np

from capacity.errors import DataError

_A = 6378245.0                       # Krasovsky 1940 semi-major axis [m]
_EE = 0.00669342162296594323         # Krasovsky 1940 first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0       # Baidu's rotation constant
_TOL_DEG = 1e-10
_MAX_ITER = 50


def _out_of_china(lon, lat):
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta_lat(x, y):
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return r


def _delta_lon(x, y):
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return r


def _arrays(lon, lat):
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return np.broadcast_arrays(lon, lat)


def wgs84_to_gcj02(lon, lat):
    """WGS84 (or CGCS2000) → GCJ-02.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude [degrees].

    Returns
    -------
    (lon, lat) : tuple of ndarray
        GCJ-02 longitude and latitude [degrees]; unchanged outside China.
    """
    lon, lat = _arrays(lon, lat)
    dlat = _delta_lat(lon - 105.0, lat - 35.0)
    dlon = _delta_lon(lon - 105.0, lat - 35.0)
    radlat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_bd09(lon, lat):
    """GCJ-02 → BD-09 [degrees] (Baidu's published shift)."""
    lon, lat = _arrays(lon, lat)
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon, lat):
    """WGS84 (or CGCS2000) → BD-09 [degrees]."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(forward, lon, lat, name):
    """Solve ``forward(w) = (lon, lat)`` for ``w`` by fixed-point iteration."""
    glon, glat = _arrays(lon, lat)
    if not (np.all(np.isfinite(glon)) and np.all(np.isfinite(glat))):
        raise DataError(f"{name}: coordinates must be finite numbers")
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(_MAX_ITER):
        flon, flat = forward(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon = wlon - elon
        wlat = wlat - elat
        if glon.size == 0 or max(np.max(np.abs(elon)), np.max(np.abs(elat))) < _TOL_DEG:
            return wlon, wlat
    raise DataError(f"{name}: the inverse did not converge (coordinates far outside China?)")


def gcj02_to_wgs84(lon, lat):
    """GCJ-02 → WGS84 [degrees], iterated to better than 1e-10° (≈ 0.01 mm)."""
    return _invert(wgs84_to_gcj02, lon, lat, "GCJ-02 → WGS84")


def bd09_to_gcj02(lon, lat):
    """BD-09 → GCJ-02 [degrees], iterated to better than 1e-10°."""
    return _invert(gcj02_to_bd09, lon, lat, "BD-09 → GCJ-02")


def bd09_to_wgs84(lon, lat):
    """BD-09 → WGS84 [degrees], iterated to better than 1e-10° on the composed transform."""
    return _invert(wgs84_to_bd09, lon, lat, "BD-09 → WGS84")
