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
vertex, e.g. a bridge, does not connect). Each segment is an undirected edge
weighted by its length [m]; of parallel edges the shortest is kept. Optional
columns: ``walkable`` (bool; false lines are dropped) and ``speed_kmh``
(when ``walkable`` is absent, lines with ``speed_kmh`` ≥ 80, i.e. expressways,
are taken as not walkable — an assumption).

Distance
--------
A point (demand unit, school, site) is attached to the **nearest segment** at
its foot point, by a straight **connector** of length :math:`c`; from the foot
it walks along the segment (:math:`t` to one end, :math:`\\ell - t` to the other).
Each point becomes a node of its own joined to both ends of its segment
(weights :math:`c + t` and :math:`c + \\ell - t`), and a unit and a facility on the
same segment are also joined directly (:math:`c_i + |t_i - t_j| + c_j`). So

.. math:: d(i, j) = c_i + \\text{walk along the roads} + c_j ,

never shorter than the straight line. Arcs are kept when :math:`d(i, j)` is within
the level's urban or rural maximum (by the unit's ``urban`` flag), as for
straight lines.

Algorithm
---------
Shortest paths come from :func:`scipy.sparse.csgraph.dijkstra` started from
many sources at once, each bounded by ``limit`` (the search stops at the
service distance, so its cost grows with the nodes within reach, not with the
network). A walk is never shorter than the straight line, so only the pairs a
k-d tree finds within a unit's radius can become arcs: each source searches only
as far as its farthest such candidate needs (a school in the dense centre with no
rural unit in reach stops at the urban maximum). Sources are the points of the
side (units or facilities) whose searches cost less (the sum of their reaches
squared); they run in chunks sized so the chunk's dense distance rows stay under
``chunk_bytes``. No Python loop runs over unit × facility pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from capacity.errors import DataError

ROADS_FILE = "roads.gpkg"
ROADS_LAYER = "roads"
EXPRESSWAY_KMH = 80.0
MAX_SPEED_KMH = 150.0  # plausible range: above China's 120 km/h expressway limit with margin (GB 5768 / Road Traffic Safety Law art. 67)
CHUNK_BYTES = 128 * 2**20
MIN_WEIGHT_M = 1e-6  # scipy's sparse graphs drop zero weights; a zero-length link becomes 1 µm


@dataclass(frozen=True)
class RoadNetwork:
    """An undirected road graph in a metric CRS.

    Attributes
    ----------
    node_xy : ndarray, shape (N, 2)
        Node coordinates [m].
    graph : scipy.sparse.csr_matrix, shape (N, N)
        Symmetric edge lengths [m].
    edge_a, edge_b : ndarray of int, shape (E,)
        End nodes of each edge.
    edge_length_m : ndarray, shape (E,)
        Edge lengths [m].
    edge_lines : ndarray of shapely LineString, shape (E,)
        Each edge as a two-point line (for attaching points).
    tree : shapely.STRtree
        Spatial index of ``edge_lines``.
    """

    node_xy: np.ndarray
    graph: sp.csr_matrix
    edge_a: np.ndarray
    edge_b: np.ndarray
    edge_length_m: np.ndarray
    edge_lines: np.ndarray
    tree: object

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        return len(self.edge_a)

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


def build_network(geoms, snap_m: float = 0.5) -> RoadNetwork:
    """Build the graph from line geometries in a metric CRS.

    Parameters
    ----------
    geoms : array_like of shapely geometries
        (Multi)LineStrings [m]; other types are ignored.
    snap_m : float
        Vertices closer than this are one node [m].

    Returns
    -------
    RoadNetwork
    """
    import shapely

    geoms = np.asarray(geoms)
    parts = shapely.get_parts(geoms) if geoms.size else geoms
    parts = parts[shapely.get_type_id(parts) == 1] if parts.size else parts  # LineString
    coords, part = (shapely.get_coordinates(parts, return_index=True) if parts.size
                    else (np.zeros((0, 2)), np.zeros(0, np.int64)))
    if len(coords) < 2:
        raise DataError("the road layer holds no lines", path=ROADS_FILE)
    kx, ky = np.round(coords / snap_m).astype(np.int64).T
    key = (kx - kx.min()) * (ky.max() - ky.min() + 1) + (ky - ky.min())  # one int64 per snapped vertex
    _, first, node = np.unique(key, return_index=True, return_inverse=True)
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
    lo, hi, w = lo[uniq], hi[uniq], np.maximum(w[uniq], MIN_WEIGHT_M)
    node_xy = coords[first]
    n = len(node_xy)
    graph = sp.coo_matrix((np.r_[w, w], (np.r_[lo, hi], np.r_[hi, lo])), shape=(n, n)).tocsr()
    lines = shapely.linestrings(np.stack([node_xy[lo], node_xy[hi]], axis=1))
    return RoadNetwork(node_xy=node_xy, graph=graph, edge_a=lo, edge_b=hi, edge_length_m=w,
                       edge_lines=lines, tree=shapely.STRtree(lines))


def attach(network: RoadNetwork, xy):
    """Attach points to their nearest road segment.

    Returns
    -------
    (edge, along_m, connector_m) : tuple of ndarray
        The segment, the foot point's distance from the segment's ``edge_a`` end
        [m], and the connector's length [m].
    """
    import shapely

    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    pts = shapely.points(xy)
    (pi, ei), dist = network.tree.query_nearest(pts, return_distance=True, all_matches=False)
    edge = np.empty(len(xy), np.int64)
    conn = np.empty(len(xy))
    edge[pi], conn[pi] = ei, dist
    along = shapely.line_locate_point(network.edge_lines[edge], pts)
    return edge, np.clip(along, 0.0, network.edge_length_m[edge]), conn


def with_points(network: RoadNetwork, first_xy, second_xy):
    """The road graph with each point of two groups as a node of its own.

    Point nodes are numbered after the road nodes: the first group from ``N``,
    the second from ``N + len(first_xy)``. Each is joined to both ends of its
    segment; a first-group and a second-group point on the same segment are joined
    directly (see the module notes).

    Returns
    -------
    (csr_matrix, ndarray, ndarray)
        The graph and the node numbers of the two groups.
    """
    n = network.n_nodes
    ea, ta, ca = attach(network, first_xy)
    eb, tb, cb = attach(network, second_xy)
    va = n + np.arange(len(ea))
    vb = n + len(ea) + np.arange(len(eb))
    v = np.r_[va, vb]
    e = np.r_[ea, eb]
    t = np.r_[ta, tb]
    c = np.r_[ca, cb]
    rows = [v, v]
    cols = [network.edge_a[e], network.edge_b[e]]
    ws = [c + t, c + network.edge_length_m[e] - t]
    same = pd.DataFrame({"e": ea, "i": np.arange(len(ea))}).merge(
        pd.DataFrame({"e": eb, "j": np.arange(len(eb))}), on="e")
    if len(same):
        i, j = same["i"].to_numpy(), same["j"].to_numpy()
        rows.append(va[i])
        cols.append(vb[j])
        ws.append(ca[i] + np.abs(ta[i] - tb[j]) + cb[j])
    r, q, w = np.concatenate(rows), np.concatenate(cols), np.maximum(np.concatenate(ws), MIN_WEIGHT_M)
    size = n + len(v)
    base = network.graph.tocoo()
    graph = sp.coo_matrix((np.r_[base.data, w, w], (np.r_[base.row, r, q], np.r_[base.col, q, r])),
                          shape=(size, size)).tocsr()
    return graph, va, vb


def node_pairs_within(graph, sources, targets, limit: float, chunk_bytes: int = CHUNK_BYTES):
    """All (source, target) node pairs with a shortest path ≤ ``limit``.

    Parameters
    ----------
    graph : csr_matrix
        Symmetric edge lengths [m].
    sources, targets : ndarray of int
        Node numbers.
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
    unit_radius_m : array_like, shape (U,)
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
    if len(unit_xy) == 0 or len(facility_xy) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    graph, vu, vf = with_points(network, unit_xy, facility_xy)
    # a walk is never shorter than the straight line: only straight-line candidates can be arcs,
    # so each source searches only as far as its farthest candidate needs
    su, sf = _straight_candidates(unit_xy, radius, facility_xy)
    need_u = np.zeros(len(unit_xy))
    need_u[su] = radius[su]
    need_f = np.zeros(len(facility_xy))
    np.maximum.at(need_f, sf, radius[su])
    # search from the side with less work: a bounded search costs about its reach squared
    if np.sum(need_u ** 2) <= np.sum(need_f ** 2):
        need, side, targets = need_u, vu, vf
    else:
        need, side, targets = need_f, vf, vu
    parts = []
    for r in np.unique(need[need > 0]):  # sources needing the same reach search together
        idx = np.flatnonzero(need == r)
        si, ti, d = node_pairs_within(graph, side[idx], targets, float(r), chunk_bytes)
        if side is vu:
            parts.append((idx[si], ti, d))
        else:
            keep = d <= radius[ti]
            parts.append((ti[keep], idx[si][keep], d[keep]))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    u = np.concatenate([p[0] for p in parts]).astype(np.int64)
    f = np.concatenate([p[1] for p in parts]).astype(np.int64)
    d = np.concatenate([p[2] for p in parts])
    order = np.lexsort((f, u))
    return u[order], f[order], d[order]


def _straight_candidates(unit_xy, radius, facility_xy):
    """(unit, facility) pairs within each unit's radius in a straight line (k-d tree)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(facility_xy)
    out_u, out_f = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for r in np.unique(radius):
        idx = np.flatnonzero(radius == r)
        pairs = cKDTree(unit_xy[idx]).sparse_distance_matrix(tree, r, output_type="ndarray")
        out_u.append(idx[pairs["i"]])
        out_f.append(pairs["j"].astype(np.int64))
    return np.concatenate(out_u), np.concatenate(out_f)


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
    from_xy = np.asarray(from_xy, dtype=float).reshape(-1, 2)
    to_xy = np.asarray(to_xy, dtype=float).reshape(-1, 2)
    out = np.full(len(from_xy), np.inf)
    if len(from_xy) == 0:
        return out
    ufrom, inv_f = np.unique(from_xy, axis=0, return_inverse=True)
    uto, inv_t = np.unique(to_xy, axis=0, return_inverse=True)
    inv_f, inv_t = inv_f.ravel(), inv_t.ravel()
    graph, vfrom, vto = with_points(network, ufrom, uto)
    order = np.argsort(inv_f, kind="stable")
    bounds = np.searchsorted(inv_f[order], np.arange(len(ufrom) + 1))
    rows = max(1, int(chunk_bytes // (8 * graph.shape[0])))
    for start in range(0, len(ufrom), rows):
        stop = min(start + rows, len(ufrom))
        dist = dijkstra(graph, directed=True, indices=vfrom[start:stop], limit=limit)
        sel = order[bounds[start]:bounds[stop]]
        out[sel] = dist[inv_f[sel] - start, vto[inv_t[sel]]]
    return out


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
        bad = (speed < 0) | (speed > MAX_SPEED_KMH) | (roads["speed_kmh"].notna() & speed.isna())
        if bad.any():
            raise DataError(f"speed_kmh must be a number from 0 to {MAX_SPEED_KMH:g} km/h",
                            path=ROADS_FILE, column="speed_kmh",
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
