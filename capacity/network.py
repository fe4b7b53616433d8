"""Road-network distances: walking distances along an optional road layer.

When a data folder holds ``roads.gpkg`` (layer ``roads``, lines) and the
scenario says ``distance = "network"`` (in ``[plan]``), the unit → school
arcs use shortest-path lengths along the roads instead of straight lines,
so the walking standards (300 / 500 / 1,000 m, GB 50180-2018) are walking
distances as the standard means them.

Network
-------
Lines are split into segments at their vertices; vertices closer than
``snap_m`` (0.5 m) are one node, so lines connect where they share a vertex
(as in OpenStreetMap and most noded road layers; a crossing without a shared
vertex, e.g. a bridge, does not connect). Lines are first cut every
``segment_m`` (50 m) so a point's nearest node is near its foot point. Each segment is an undirected edge
weighted by its length [m]; of parallel edges the shortest is kept. Optional
columns: ``walkable`` (bool; false lines are dropped) and ``speed_kmh``
(when ``walkable`` is absent, lines with ``speed_kmh`` ≥ 80, i.e. expressways,
are taken as not walkable — an assumption).

Distance
--------
A point (demand unit, school, site) is snapped to its nearest node and the
straight **connector** to that node is counted:

.. math:: d(i, j) = c_i + \\mathrm{sp}(n_i, n_j) + c_j ,

which is never shorter than the straight line. Arcs are kept when
:math:`d(i, j)` is within the level's urban or rural maximum (by the unit's
``urban`` flag), as for straight lines.

Algorithm
---------
Shortest paths come from :func:`scipy.sparse.csgraph.dijkstra` started from
many sources at once, each bounded by ``limit`` (the search stops at the
service distance, so its cost grows with the nodes within reach, not with the
network). Sources are the distinct snapped nodes of whichever side (units or
facilities) has fewer; they run in chunks sized so the chunk's dense
distance rows stay under ``chunk_bytes``. Node pairs are then expanded to
unit × facility pairs with one merge (no Python loop over pairs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from capacity.errors import DataError

ROADS_FILE = "roads.gpkg"
ROADS_LAYER = "roads"
EXPRESSWAY_KMH = 80.0
CHUNK_BYTES = 128 * 2**20


@dataclass(frozen=True)
class RoadNetwork:
    """An undirected road graph in a metric CRS.

    Attributes
    ----------
    node_xy : ndarray, shape (N, 2)
        Node coordinates [m].
    graph : scipy.sparse.csr_matrix, shape (N, N)
        Symmetric edge lengths [m].
    n_edges : int
        Undirected edges.
    """

    node_xy: np.ndarray
    graph: sp.csr_matrix
    n_edges: int

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    def describe(self) -> str:
        return f"road network: {self.n_nodes:,} nodes, {self.n_edges:,} edges"


def walkable_lines(roads):
    """The lines of a road layer that pedestrians may use (see the module notes)."""
    keep = np.ones(len(roads), dtype=bool)
    if "walkable" in roads.columns:
        keep &= roads["walkable"].fillna(True).astype(bool).to_numpy()
    elif "speed_kmh" in roads.columns:
        speed = pd.to_numeric(roads["speed_kmh"], errors="coerce").fillna(0.0).to_numpy()
        keep &= speed < EXPRESSWAY_KMH
    return roads.geometry.values[keep]


def build_network(geoms, snap_m: float = 0.5, segment_m: float | None = 50.0) -> RoadNetwork:
    """Build the graph from line geometries in a metric CRS.

    Parameters
    ----------
    geoms : array_like of shapely geometries
        (Multi)LineStrings [m]; other types are ignored.
    snap_m : float
        Vertices closer than this are one node [m].
    segment_m : float, optional
        Lines are first cut into pieces of at most this length [m], so that a point
        snaps to a node at most ``segment_m / 2`` along the road from its foot
        point (None: keep the vertices as they are).

    Returns
    -------
    RoadNetwork
    """
    import shapely

    geoms = np.asarray(geoms)
    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) == 1]  # LineString
    if segment_m:
        parts = shapely.segmentize(parts, segment_m)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    if len(coords) < 2:
        raise DataError("the road layer holds no lines", path=ROADS_FILE)
    key = np.round(coords / snap_m).astype(np.int64)
    _, first, node = np.unique(key, axis=0, return_index=True, return_inverse=True)
    node = node.ravel()
    same = part[1:] == part[:-1]
    a, b = node[:-1][same], node[1:][same]
    w = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
    ok = a != b
    a, b, w = a[ok], b[ok], w[ok]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((w, hi, lo))
    lo, hi, w = lo[order], hi[order], w[order]
    uniq = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])]
    lo, hi, w = lo[uniq], hi[uniq], np.maximum(w[uniq], 1e-6)
    n = len(first)
    graph = sp.coo_matrix((np.r_[w, w], (np.r_[lo, hi], np.r_[hi, lo])), shape=(n, n)).tocsr()
    return RoadNetwork(node_xy=coords[first], graph=graph, n_edges=int(lo.size))


def snap(network: RoadNetwork, xy) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node of each point and the connector length to it.

    Returns
    -------
    (node, connector_m) : tuple of ndarray
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    dist, node = cKDTree(network.node_xy).query(xy)
    return node.astype(np.int64), dist


def node_pairs_within(graph, sources, targets, limit: float, chunk_bytes: int = CHUNK_BYTES):
    """All (source, target) node pairs with a shortest path ≤ ``limit``.

    Parameters
    ----------
    graph : csr_matrix
        Symmetric edge lengths [m].
    sources, targets : ndarray of int
        Distinct node numbers.
    limit : float
        Longest path kept [m].

    Returns
    -------
    (si, ti, d) : tuple of ndarray
        Positions in ``sources`` and ``targets`` and the path length [m].
    """
    n = graph.shape[0]
    rows = max(1, int(chunk_bytes // (8 * max(n, 1))))
    out_s, out_t, out_d = [], [], []
    for start in range(0, len(sources), rows):
        dist = dijkstra(graph, directed=True, indices=sources[start:start + rows], limit=limit)
        sub = dist[:, targets]
        si, ti = np.nonzero(sub <= limit)
        out_s.append(si + start)
        out_t.append(ti)
        out_d.append(sub[si, ti])
    if not out_s:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(out_s), np.concatenate(out_t), np.concatenate(out_d)


def network_arcs(network: RoadNetwork, unit_xy, unit_radius_m, facility_xy,
                 chunk_bytes: int = CHUNK_BYTES):
    """Unit → facility pairs whose network distance is within each unit's radius.

    Parameters
    ----------
    network : RoadNetwork
    unit_xy : ndarray, shape (U, 2)
        Demand unit points [m].
    unit_radius_m : ndarray, shape (U,)
        Longest distance allowed from each unit (its level's urban or rural maximum) [m].
    facility_xy : ndarray, shape (F, 2)
        School and site points [m].

    Returns
    -------
    (unit, facility, distance_m) : tuple of ndarray
        Sorted by unit, then facility.
    """
    unit_xy = np.asarray(unit_xy, dtype=float).reshape(-1, 2)
    facility_xy = np.asarray(facility_xy, dtype=float).reshape(-1, 2)
    radius = np.asarray(unit_radius_m, dtype=float)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if len(unit_xy) == 0 or len(facility_xy) == 0:
        return empty
    un, uc = snap(network, unit_xy)
    fn, fc = snap(network, facility_xy)
    limit = float(np.max(radius - uc)) - float(fc.min())
    if limit < 0:
        return empty
    u_nodes, u_inv = np.unique(un, return_inverse=True)
    f_nodes, f_inv = np.unique(fn, return_inverse=True)
    if len(u_nodes) <= len(f_nodes):
        ui, fi, d = node_pairs_within(network.graph, u_nodes, f_nodes, limit, chunk_bytes)
    else:
        fi, ui, d = node_pairs_within(network.graph, f_nodes, u_nodes, limit, chunk_bytes)
    pairs = pd.DataFrame({"un": ui, "fn": fi, "path_m": d})
    units = pd.DataFrame({"unit": np.arange(len(un)), "un": u_inv.ravel(), "uc": uc, "radius": radius})
    facs = pd.DataFrame({"facility": np.arange(len(fn)), "fn": f_inv.ravel(), "fc": fc})
    arcs = pairs.merge(units, on="un").merge(facs, on="fn")
    total = arcs["uc"].to_numpy() + arcs["path_m"].to_numpy() + arcs["fc"].to_numpy()
    keep = total <= arcs["radius"].to_numpy()
    u = arcs["unit"].to_numpy()[keep].astype(np.int64)
    f = arcs["facility"].to_numpy()[keep].astype(np.int64)
    total = total[keep]
    order = np.lexsort((f, u))
    return u[order], f[order], total[order]


def pair_distances(network: RoadNetwork, from_xy, to_xy, limit: float = np.inf,
                   chunk_bytes: int = CHUNK_BYTES) -> np.ndarray:
    """Network distance of given (from, to) point pairs, connectors counted [m].

    For re-checking written assignments (:mod:`capacity.verify`): the same rule as
    :func:`network_arcs`, for a list of pairs instead of all pairs within reach.

    Parameters
    ----------
    from_xy, to_xy : ndarray, shape (P, 2)
        The pairs' end points [m].
    limit : float
        Paths longer than this are reported as ``inf`` [m].

    Returns
    -------
    ndarray, shape (P,)
    """
    fn, fc = snap(network, from_xy)
    tn, tc = snap(network, to_xy)
    path = np.full(len(fn), np.inf)
    if len(fn) == 0:
        return path
    sources, inv = np.unique(fn, return_inverse=True)
    inv = inv.ravel()
    order = np.argsort(inv, kind="stable")
    bounds = np.searchsorted(inv[order], np.arange(len(sources) + 1))
    rows = max(1, int(chunk_bytes // (8 * max(network.n_nodes, 1))))
    for start in range(0, len(sources), rows):
        stop = min(start + rows, len(sources))
        dist = dijkstra(network.graph, directed=True, indices=sources[start:stop], limit=limit)
        sel = order[bounds[start]:bounds[stop]]
        path[sel] = dist[inv[sel] - start, tn[sel]]
    return fc + path + tc


_CACHE: dict = {}


def network_of(roads) -> RoadNetwork:
    """The walkable network of a loaded road layer (built once per layer object)."""
    hit = _CACHE.get(id(roads))
    if hit is not None and hit[0] is roads:
        return hit[1]
    net = build_network(walkable_lines(roads))
    _CACHE.clear()
    _CACHE[id(roads)] = (roads, net)
    return net


def read_roads(folder, metric_crs):
    """Read the optional ``roads.gpkg`` (layer ``roads``) of a data folder, in ``metric_crs``.

    Returns
    -------
    GeoDataFrame or None
        Lines with optional ``walkable`` (bool) and ``speed_kmh`` [km/h]; None when the
        folder has no road layer.

    Raises
    ------
    DataError
        Unreadable file, a missing layer, geometries that are not lines, or bad column values,
        naming the file, column and features.
    """
    from pathlib import Path

    import geopandas as gpd
    import pyogrio
    import shapely

    path = Path(folder) / ROADS_FILE
    if not path.is_file():
        return None
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise DataError(f"cannot be read as a vector file: {exc}", path=ROADS_FILE) from None
    if ROADS_LAYER not in layers:
        raise DataError(f"layer '{ROADS_LAYER}' not found; the file has {layers}", path=ROADS_FILE)
    roads = gpd.read_file(path, layer=ROADS_LAYER, engine="pyogrio")
    if roads.crs is None:
        raise DataError("the layer declares no CRS", path=ROADS_FILE)
    bad = ~np.isin(shapely.get_type_id(roads.geometry.values), (1, 5))
    if bad.any():
        raise DataError("geometry must be lines", path=ROADS_FILE, column="geometry",
                        rows=np.flatnonzero(bad) + 1, row_label="feature")
    if "walkable" in roads.columns:
        text = roads["walkable"].astype(str).str.strip().str.lower()
        ok = text.isin(["true", "false", "1", "0", "none", "nan", ""])
        if not ok.all():
            raise DataError("walkable must be true or false", path=ROADS_FILE, column="walkable",
                            rows=np.flatnonzero(~ok.to_numpy()) + 1, row_label="feature")
        roads["walkable"] = ~text.isin(["false", "0"]).to_numpy()
    if "speed_kmh" in roads.columns:
        speed = pd.to_numeric(roads["speed_kmh"], errors="coerce")
        bad = (speed < 0) | (roads["speed_kmh"].notna() & speed.isna())
        if bad.any():
            raise DataError("speed_kmh must be a non-negative number", path=ROADS_FILE, column="speed_kmh",
                            rows=np.flatnonzero(bad.to_numpy()) + 1, row_label="feature")
        roads["speed_kmh"] = speed
    return roads.to_crs(metric_crs) if not roads.crs.equals(metric_crs) else roads


def level_arcs(city, unit_xy, unit_urban, facility_xy, std):
    """Network arcs of one level: the counterpart of :func:`capacity.optimize.geo.build_arcs`.

    Parameters
    ----------
    city : CityData
        Must hold a road layer (``city.roads``).
    unit_xy, facility_xy : ndarray, shape (n, 2)
        Points in the metric CRS [m].
    unit_urban : ndarray of bool
        Urban flag of each unit (urban or rural maximum distance).
    std : LevelStandard

    Returns
    -------
    (unit, facility, distance_m) : tuple of ndarray
    """
    roads = getattr(city, "roads", None)
    if roads is None:
        raise DataError('the scenario asks for distance = "network" but the data folder has no '
                        f"{ROADS_FILE} (layer '{ROADS_LAYER}'); add one or use distance = \"straight\"",
                        path=ROADS_FILE)
    radius = np.where(np.asarray(unit_urban, dtype=bool), std.max_distance_urban_m, std.max_distance_rural_m)
    return network_arcs(network_of(roads), unit_xy, radius, facility_xy)
