"""capacity.network: a hand-checkable road network.

The network (metres)::

    (0,100) ────────────── (200,100)
       │                       │
    (0,0) ──── (100,0) ──── (200,0)          and an expressway (0,0)–(200,100), not walkable

Points attach to the nearest segment at their foot point. Unit U1 at (0,-10): foot
(0,0), connector 10 m. Unit U2 at (100,110): foot (100,100) on the top road, 10 m.
School S1 at (200,-5): foot (200,0), 5 m. School S2 sits on (0,100).

    U1→S1: 10 + 200 + 5 = 215             U1→S2: 10 + 100 = 110
    U2→S2: 10 + 100 = 110                 U2→S1: 10 + 100 + 100 + 5 = 215
"""

import numpy as np
import pytest
from shapely.geometry import LineString

from capacity.errors import DataError
from capacity.network import (attach, build_network, network_arcs, node_pairs_within, pair_distances,
                              read_roads, walkable_lines)

LINES = [LineString([(0, 0), (100, 0), (200, 0)]), LineString([(0, 0), (0, 100)]),
         LineString([(200, 0), (200, 100)]), LineString([(0, 100), (200, 100)])]
UNITS = np.array([[0.0, -10.0], [100.0, 110.0]])
SCHOOLS = np.array([[200.0, -5.0], [0.0, 100.0]])


@pytest.fixture
def net():
    return build_network(LINES)


def test_graph_nodes_and_edges(net):
    assert net.n_nodes == 5 and net.n_edges == 5
    assert net.graph.sum() == pytest.approx(2 * (100 + 100 + 100 + 100 + 200))


def test_attach_finds_the_foot_point(net):
    edge, along, conn = attach(net, [[100, 110], [30, -4]])
    np.testing.assert_allclose(conn, [10, 4])
    a = net.node_xy[net.edge_a[edge]]
    np.testing.assert_allclose(np.hypot(*(a - [[100, 100], [30, 0]]).T), along)


def test_arcs_by_hand(net):
    u, f, d = network_arcs(net, UNITS, [1000.0, 1000.0], SCHOOLS)
    assert list(zip(u, f)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    np.testing.assert_allclose(d, [215, 110, 215, 110])


def test_radius_per_unit_bounds_the_arcs(net):
    u, f, d = network_arcs(net, UNITS, [150.0, 400.0], SCHOOLS)
    assert list(zip(u, f)) == [(0, 1), (1, 0), (1, 1)]
    np.testing.assert_allclose(d, [110, 215, 110])
    # more units than facilities: the search runs from the facilities, same answer
    u2, f2, d2 = network_arcs(net, np.vstack([UNITS, [[5000, 5000]]]), [150.0, 400.0, 10.0], SCHOOLS)
    assert list(zip(u2, f2)) == [(0, 1), (1, 0), (1, 1)]
    np.testing.assert_allclose(d2, d)


def test_two_points_on_one_segment_walk_straight_along_it(net):
    # both feet on (0,0)–(100,0): 3 + 60 + 4, not round a node
    u, f, d = network_arcs(net, [[20, -3]], [500.0], [[80, -4]])
    np.testing.assert_allclose(d, [67])


def test_network_distance_never_shorter_than_straight_line(net):
    rng = np.random.default_rng(0)
    pu, pf = rng.uniform(-50, 250, (30, 2)), rng.uniform(-50, 250, (20, 2))
    u, f, d = network_arcs(net, pu, np.full(30, 1e4), pf)
    assert len(u) == 600
    assert np.all(d >= np.hypot(*(pu[u] - pf[f]).T) - 1e-6)


def test_chunks_do_not_change_the_result(net):
    full = network_arcs(net, UNITS, [1000.0, 1000.0], SCHOOLS)
    tiny = network_arcs(net, UNITS, [1000.0, 1000.0], SCHOOLS, chunk_bytes=1)
    for a, b in zip(full, tiny):
        np.testing.assert_allclose(a, b)


def test_pair_distances_match_the_arcs(net):
    u, f, d = network_arcs(net, UNITS, [1000.0, 1000.0], SCHOOLS)
    np.testing.assert_allclose(pair_distances(net, UNITS[u], SCHOOLS[f], chunk_bytes=1), d)
    assert np.isinf(pair_distances(net, UNITS[[1]], SCHOOLS[[0]], limit=200))[0]


def test_unreachable_component_has_no_arcs():
    net = build_network(LINES + [LineString([(5000, 5000), (5100, 5000)])])
    u, f, d = network_arcs(net, [[5000, 5001]], [10_000.0], SCHOOLS)
    assert u.size == 0


def test_node_pairs_within_limit(net):
    si, ti, d = node_pairs_within(net.graph, np.array([0]), np.arange(net.n_nodes), 150.0)
    assert sorted(d.tolist()) == [0.0, 100.0, 100.0]


def test_walkable_and_expressway_rules():
    import geopandas as gpd

    expressway = LineString([(0, 0), (200, 100)])
    roads = gpd.GeoDataFrame({"speed_kmh": [30, 30, 30, 30, 100]}, geometry=LINES + [expressway])
    assert len(walkable_lines(roads)) == 4          # speed ≥ 80 km/h is not walkable
    roads["walkable"] = [True, True, True, True, True]
    assert len(walkable_lines(roads)) == 5          # an explicit walkable column wins
    net = build_network(walkable_lines(roads))
    u, f, d = network_arcs(net, [[0, -10]], [1000.0], [[200, 105]])
    np.testing.assert_allclose(d, [10 + np.hypot(200, 100) + 5])


def test_read_roads_checks_the_layer(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    from capacity.testing import TINY_CRS

    assert read_roads(tmp_path, TINY_CRS) is None
    gdf = gpd.GeoDataFrame({"walkable": ["true", "maybe"]}, geometry=LINES[:2], crs=TINY_CRS)
    gdf.to_file(tmp_path / "roads.gpkg", layer="roads", driver="GPKG", engine="pyogrio")
    with pytest.raises(DataError, match=r"roads.gpkg, column 'walkable', feature 2: walkable must be true"):
        read_roads(tmp_path, TINY_CRS)
    (tmp_path / "roads.gpkg").unlink()
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=TINY_CRS).to_file(
        tmp_path / "roads.gpkg", layer="roads", driver="GPKG", engine="pyogrio")
    with pytest.raises(DataError, match="geometry must be lines"):
        read_roads(tmp_path, TINY_CRS)
    (tmp_path / "roads.gpkg").unlink()
    gdf.to_file(tmp_path / "roads.gpkg", layer="streets", driver="GPKG", engine="pyogrio")
    with pytest.raises(DataError, match="layer 'roads' not found"):
        read_roads(tmp_path, TINY_CRS)
    (tmp_path / "roads.gpkg").unlink()
    gpd.GeoDataFrame({"speed_kmh": [30.0, 1200.0]}, geometry=LINES[:2], crs=TINY_CRS).to_file(
        tmp_path / "roads.gpkg", layer="roads", driver="GPKG", engine="pyogrio")
    with pytest.raises(DataError, match=r"column 'speed_kmh', feature 2: speed_kmh must be a number from 0 to 150"):
        read_roads(tmp_path, TINY_CRS)


def test_no_lines_is_an_error():
    with pytest.raises(DataError, match="no lines"):
        build_network([])


def _tiny_with(tmp_path, roads: bool, distance: str):
    import geopandas as gpd

    from capacity.testing import TINY_CRS, TINY_SCENARIO, X0, Y0, write_tiny_city

    city = write_tiny_city(tmp_path / "tiny")
    if roads:  # a street every 500 m over both zones, noded at every crossing
        lines = [LineString([(X0 + k, Y0 + j) for j in range(0, 4001, 500)]) for k in range(0, 8001, 500)]
        lines += [LineString([(X0 + i, Y0 + k) for i in range(0, 8001, 500)]) for k in range(0, 4001, 500)]
        gpd.GeoDataFrame(geometry=lines, crs=TINY_CRS).to_file(city / "roads.gpkg", layer="roads",
                                                               driver="GPKG", engine="pyogrio")
    text = TINY_SCENARIO.replace("[plan]\n", f'[plan]\ndistance = "{distance}"\n', 1)
    (tmp_path / "tiny.toml").write_text(text, encoding="utf-8")
    return tmp_path / "tiny.toml"


def test_network_scenario_without_roads_names_the_key(tmp_path):
    from capacity.errors import ScenarioError
    from capacity.pipeline import load_inputs

    with pytest.raises(ScenarioError, match=r"key 'plan.distance': \"network\" needs a road layer"):
        load_inputs(_tiny_with(tmp_path, roads=False, distance="network"))


def test_level_problem_uses_walking_distances_when_asked(tmp_path):
    import pandas as pd

    from capacity.optimize.geo import LevelSettings, build_level
    from capacity.pipeline import load_inputs

    _, city = load_inputs(_tiny_with(tmp_path, roads=True, distance="network"))
    demand = pd.DataFrame({"unit_id": city.demand_units["unit_id"], "level": "primary", "year": 2025,
                           "pupils": 10.0})
    straight, _ = build_level(city, demand, "primary", [2025], LevelSettings())
    walked, _ = build_level(city, demand, "primary", [2025], LevelSettings(distance="network"))
    s = dict(zip(zip(straight.arcs.unit, straight.arcs.facility), straight.arcs.distance))
    w = dict(zip(zip(walked.arcs.unit, walked.arcs.facility), walked.arcs.distance))
    assert set(w) <= set(s) and len(w) > 0
    # u1 (1000,1000) and p1 (2000,1500) both sit on streets: a 1,000 m + 500 m walk, not 1,118 m
    u1 = list(walked.units.ids).index("u1")
    p1 = list(walked.facilities.ids).index("p1")
    assert s[(u1, p1)] == pytest.approx(np.hypot(1000, 500))
    assert w[(u1, p1)] == pytest.approx(1500)
