"""helpers.measure.network against hand-computed flows and networkx's centralities."""

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers import data
from helpers.measure import network

PROP = settings(max_examples=50, deadline=None)

CITIES = ["A", "B", "C"]
MASS = pd.Series([1.0, 2.0, 3.0], index=CITIES)
DIST = pd.DataFrame([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]], index=CITIES, columns=CITIES)


# ---------------------------------------------------------------------------- gravity
def test_gravity_three_city_hand_example():
    F = network.gravity_flows(MASS, DIST, b=2.0)
    # F_ij = M_i / (M_i + M_j) * M_i M_j / d_ij^2
    expected = [
        [0.0, (1 / 3) * 2 / 1, (1 / 4) * 3 / 4],
        [(2 / 3) * 2 / 1, 0.0, (2 / 5) * 6 / 1],
        [(3 / 4) * 3 / 4, (3 / 5) * 6 / 1, 0.0],
    ]
    np.testing.assert_allclose(F.to_numpy(), expected, rtol=1e-15)
    assert list(F.index) == CITIES and list(F.columns) == CITIES
    # b = 1 halves the A-C flows only relative to b = 2 ... by d = 2
    F1 = network.gravity_flows(MASS, DIST, b=1.0)
    assert F1.loc["A", "C"] == pytest.approx(2 * F.loc["A", "C"])
    assert F1.loc["A", "B"] == pytest.approx(F.loc["A", "B"])


def test_gravity_aligns_labelled_distance_and_keeps_arrays_unlabelled():
    shuffled = DIST.loc[["C", "A", "B"], ["B", "C", "A"]]
    np.testing.assert_allclose(network.gravity_flows(MASS, shuffled), network.gravity_flows(MASS, DIST))
    F = network.gravity_flows(MASS.to_numpy(), DIST.to_numpy())
    assert isinstance(F, np.ndarray)
    np.testing.assert_allclose(F, network.gravity_flows(MASS, DIST).to_numpy())
    # asymmetric distances are allowed (e.g. travel times)
    d = DIST.copy()
    d.loc["A", "B"] = 2.0
    F2 = network.gravity_flows(MASS, d)
    assert F2.loc["A", "B"] == pytest.approx((1 / 3) * 2 / 4) and F2.loc["B", "A"] == pytest.approx(4 / 3)


def test_gravity_on_guangdong_cities():
    cities = data.city_table()
    dist = data.distance_matrix()
    pop = cities["pop_2020"] / 1e6
    F = network.gravity_flows(pop, dist)
    gz, fs = pop["Guangzhou"], pop["Foshan"]
    d = dist.loc["Guangzhou", "Foshan"]
    assert F.loc["Guangzhou", "Foshan"] == pytest.approx(gz / (gz + fs) * gz * fs / d ** 2, rel=1e-14)
    assert F.shape == (21, 21) and (np.diag(F) == 0).all()
    assert F.index.equals(cities.index)


@PROP
@given(st.integers(2, 8).flatmap(lambda n: st.tuples(
    arrays(np.float64, n, elements=st.floats(0.01, 1e4)),
    arrays(np.float64, (n, n), elements=st.floats(1.0, 1e3)))),
    st.floats(0.0, 3.0))
def test_gravity_k_sums_to_one(md, b):
    m, d = md
    d = (d + d.T) / 2  # symmetric distance: F_ij + F_ji = M_i M_j / d_ij^b
    F = network.gravity_flows(m, d, b=b)
    n = m.size
    off = ~np.eye(n, dtype=bool)
    base = np.outer(m, m) / d ** b
    k = np.where(off, F / np.where(off, base, 1.0), 0.0)
    np.testing.assert_allclose((k + k.T)[off], 1.0, rtol=1e-12)
    np.testing.assert_allclose(k[off], (m[:, None] / (m[:, None] + m[None, :]))[off], rtol=1e-12)
    assert np.all(np.diag(F) == 0)


def test_gravity_panel_equals_year_by_year():
    rng = np.random.default_rng(1)
    mass = pd.DataFrame(rng.lognormal(size=(4, 3)), index=[2019, 2020, 2021, 2022], columns=CITIES)
    P = network.gravity_flows_panel(mass, DIST, b=1.5)
    assert P.shape == (4, 3, 3)
    for t, year in enumerate(mass.index):
        np.testing.assert_allclose(P[t], network.gravity_flows(mass.loc[year], DIST, b=1.5).to_numpy(),
                                   rtol=1e-15)
    np.testing.assert_array_equal(network.gravity_flows(mass, DIST, b=1.5), P)
    # columns in another order than dist: dist follows mass
    P2 = network.gravity_flows_panel(mass[["C", "A", "B"]], DIST, b=1.5)
    np.testing.assert_allclose(P2[0], network.gravity_flows(mass.iloc[0][["C", "A", "B"]], DIST, b=1.5))


def test_gravity_zero_masses_give_zero_flow():
    F = network.gravity_flows(np.array([0.0, 0.0, 2.0]), DIST.to_numpy())
    assert F[0, 1] == 0.0 and F[1, 0] == 0.0 and F[2, 0] == 0.0 and not np.isnan(F).any()


def test_gravity_bad_inputs():
    d = DIST.copy()
    d.loc["B", "C"] = 0.0
    with pytest.raises(ValueError, match="between 'B' and 'C'"):
        network.gravity_flows(MASS, d)
    d.loc["B", "C"] = -3.0
    with pytest.raises(ValueError, match="between 'B' and 'C'.*> 0"):
        network.gravity_flows(MASS, d)
    d.loc["B", "C"] = np.nan
    with pytest.raises(ValueError, match="between 'B' and 'C'"):
        network.gravity_flows(MASS, d)
    with pytest.raises(ValueError, match="mass of 'B'"):
        network.gravity_flows(MASS.replace(2.0, -1.0), DIST)
    with pytest.raises(ValueError, match="mass of 'C' in 2021"):
        network.gravity_flows_panel(pd.DataFrame([[1.0, 2.0, np.nan]], index=[2021], columns=CITIES), DIST)
    with pytest.raises(ValueError, match="no distance for \\['D'\\]"):
        network.gravity_flows(pd.Series([1.0, 2.0, 3.0], index=["A", "B", "D"]), DIST)
    with pytest.raises(ValueError, match="square"):
        network.gravity_flows(MASS.to_numpy(), np.ones((3, 2)))
    with pytest.raises(ValueError, match="mass has 2 cities"):
        network.gravity_flows(np.ones(2), DIST.to_numpy())
    with pytest.raises(ValueError, match="exponent b"):
        network.gravity_flows(MASS, DIST, b=-1)


# --------------------------------------------------------------------------- binarize
F_HAND = pd.DataFrame([[0.0, 1.0, 5.0], [2.0, 0.0, 3.0], [9.0, 4.0, 0.0]], index=CITIES, columns=CITIES)


def test_binarize_rules_hand_example():
    # row means off the diagonal: A 3, B 2.5, C 6.5
    A = network.binarize(F_HAND)
    np.testing.assert_array_equal(A, [[0, 0, 1], [0, 0, 1], [1, 0, 0]])
    assert list(A.index) == CITIES
    # off-diagonal entries 1, 5, 2, 3, 9, 4: mean 4, median 3.5
    np.testing.assert_array_equal(network.binarize(F_HAND, "global_mean"), [[0, 0, 1], [0, 0, 0], [1, 0, 0]])
    np.testing.assert_array_equal(network.binarize(F_HAND, "global_median"), [[0, 0, 1], [0, 0, 0], [1, 1, 0]])
    # a large diagonal is ignored by every rule
    G = F_HAND.copy()
    np.fill_diagonal(G.values, 1e9)
    for rule in network.BINARIZE_RULES:
        np.testing.assert_array_equal(network.binarize(G, rule), network.binarize(F_HAND, rule))


def test_binarize_stack_equals_slices():
    rng = np.random.default_rng(2)
    S = rng.random((5, 6, 6))
    for rule in network.BINARIZE_RULES:
        B = network.binarize(S, rule)
        assert B.shape == S.shape
        for t in range(5):
            np.testing.assert_array_equal(B[t], network.binarize(S[t], rule))


def test_binarize_bad_inputs():
    with pytest.raises(ValueError, match="rule must be one of"):
        network.binarize(F_HAND, "row_max")
    with pytest.raises(ValueError, match="square"):
        network.binarize(np.ones((2, 3)))
    G = F_HAND.copy()
    G.loc["C", "A"] = np.nan
    with pytest.raises(ValueError, match="from 'C' to 'A'"):
        network.binarize(G)


def test_flow_strength_hand_example():
    s = network.flow_strength(F_HAND)
    np.testing.assert_allclose(s["strength_out"], [6.0, 5.0, 13.0])
    np.testing.assert_allclose(s["strength_in"], [11.0, 5.0, 8.0])
    np.testing.assert_allclose(s["strength_total"], [17.0, 10.0, 21.0])
    assert list(s.index) == CITIES


# ---------------------------------------------------------------------------- metrics
def test_metrics_directed_path_by_hand():
    # A -> B -> C
    A = pd.DataFrame([[0, 1, 0], [0, 0, 1], [0, 0, 0]], index=CITIES, columns=CITIES)
    m = network.network_metrics(A)
    assert list(m.columns) == ["degree", "closeness_out", "closeness_in", "betweenness"]
    # A reaches B (1) and C (2): (2/3) * (2/2); nobody reaches A
    assert m.loc["A", "closeness_out"] == pytest.approx(2 / 3) and m.loc["A", "closeness_in"] == 0.0
    # C is reached from B (1) and A (2); it reaches nobody
    assert m.loc["C", "closeness_in"] == pytest.approx(2 / 3) and m.loc["C", "closeness_out"] == 0.0
    # B reaches only C: r = 1, (1/1) * (1/2); reached only by A
    assert m.loc["B", "closeness_out"] == pytest.approx(0.5) and m.loc["B", "closeness_in"] == pytest.approx(0.5)
    # B lies on the only A -> C path: 1 of (N-1)(N-2) = 2 ordered pairs
    np.testing.assert_allclose(m["betweenness"], [0.0, 0.5, 0.0])
    # (in + out) / (2 (N-1))
    np.testing.assert_allclose(m["degree"], [1 / 4, 2 / 4, 1 / 4])
    assert m.attrs["density"] == pytest.approx(2 / 6) and m.attrs["directed"] and m.attrs["n_links"] == 2
    # networkx's closeness on a DiGraph is inward: it is closeness_in, not closeness_out
    G = nx.DiGraph([("A", "B"), ("B", "C")])
    assert nx.closeness_centrality(G)["C"] == pytest.approx(m.loc["C", "closeness_in"])
    assert nx.closeness_centrality(G.reverse())["A"] == pytest.approx(m.loc["A", "closeness_out"])


def test_metrics_directed_betweenness_splits_over_shortest_paths():
    # 0 -> 1 -> 3 and 0 -> 2 -> 3: each middle node carries half of the 0 -> 3 paths
    A = np.zeros((4, 4), dtype=int)
    for i, j in [(0, 1), (0, 2), (1, 3), (2, 3)]:
        A[i, j] = 1
    m = network.network_metrics(A)
    np.testing.assert_allclose(m["betweenness"], [0, 0.5 / 6, 0.5 / 6, 0])
    assert list(m.index) == [0, 1, 2, 3]


def test_metrics_karate_club_equal_networkx_undirected():
    G = nx.karate_club_graph()
    nodes = list(G.nodes)
    A = pd.DataFrame(nx.to_numpy_array(G, nodelist=nodes, weight=None), index=nodes, columns=nodes)
    m = network.network_metrics(A)
    np.testing.assert_allclose(m["degree"], [nx.degree_centrality(G)[v] for v in nodes], rtol=1e-12)
    cc = nx.closeness_centrality(G)
    np.testing.assert_allclose(m["closeness_in"], [cc[v] for v in nodes], rtol=1e-12)
    np.testing.assert_allclose(m["closeness_out"], [cc[v] for v in nodes], rtol=1e-12)
    bc = nx.betweenness_centrality(G)
    np.testing.assert_allclose(m["betweenness"], [bc[v] for v in nodes], rtol=1e-12, atol=1e-15)
    assert m.attrs["density"] == pytest.approx(nx.density(G), rel=1e-14)
    assert not m.attrs["directed"]
    assert m["betweenness"].idxmax() == 0  # Mr Hi's node, the classic answer


def _random_adjacency(symmetric):
    def build(a):
        a = a.astype(int)
        np.fill_diagonal(a, 0)
        return np.maximum(a, a.T) if symmetric else a

    return st.integers(2, 9).flatmap(lambda n: arrays(np.bool_, (n, n))).map(build)


@PROP
@given(_random_adjacency(symmetric=False))
def test_metrics_equal_networkx_directed(a):
    n = a.shape[0]
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(map(tuple, np.argwhere(a == 1)))
    m = network.network_metrics(a)
    ci, co = nx.closeness_centrality(G), nx.closeness_centrality(G.reverse())
    bc, dc = nx.betweenness_centrality(G), nx.degree_centrality(G)
    np.testing.assert_allclose(m["closeness_in"], [ci[v] for v in range(n)], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(m["closeness_out"], [co[v] for v in range(n)], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(m["betweenness"], [bc[v] for v in range(n)], rtol=1e-12, atol=1e-15)
    # networkx's directed degree centrality is (in + out) / (N - 1): twice ours
    np.testing.assert_allclose(m["degree"], [dc[v] / 2 for v in range(n)], rtol=1e-12)
    assert m.attrs["density"] == pytest.approx(nx.density(G))


@PROP
@given(_random_adjacency(symmetric=True))
def test_metrics_symmetric_input_equals_networkx_undirected(a):
    n = a.shape[0]
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(map(tuple, np.argwhere(a == 1)))
    m = network.network_metrics(a)
    cc, bc, dc = nx.closeness_centrality(G), nx.betweenness_centrality(G), nx.degree_centrality(G)
    np.testing.assert_allclose(m["closeness_in"], [cc[v] for v in range(n)], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(m["closeness_in"], m["closeness_out"])
    np.testing.assert_allclose(m["betweenness"], [bc[v] for v in range(n)], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(m["degree"], [dc[v] for v in range(n)], rtol=1e-12)
    assert m.attrs["density"] == pytest.approx(nx.density(G))


def test_metrics_bad_inputs():
    with pytest.raises(ValueError, match="square"):
        network.network_metrics(np.zeros((2, 3)))
    W = pd.DataFrame([[0, 0.5], [1, 0]], index=["A", "B"], columns=["A", "B"])
    with pytest.raises(ValueError, match="binary.*from 'A' to 'B' is 0.5"):
        network.network_metrics(W)
    with pytest.raises(ValueError, match="self-loop at 'B'"):
        network.network_metrics(pd.DataFrame([[0, 1], [1, 1]], index=["A", "B"], columns=["A", "B"]))
    with pytest.raises(ValueError, match="same city labels"):
        network.network_metrics(pd.DataFrame([[0, 1], [1, 0]], index=["A", "B"], columns=["A", "C"]))
    with pytest.raises(ValueError, match="from 'B' to 'A'"):
        network.network_metrics(pd.DataFrame([[0, 1], [np.nan, 0]], index=["A", "B"], columns=["A", "B"]))


def test_pipeline_and_to_graph_on_guangdong():
    dist = data.distance_matrix()
    pop = data.city_table()["pop_2020"]
    A = network.binarize(network.gravity_flows(pop, dist))
    m = network.network_metrics(A)
    assert m.index.equals(dist.index)
    assert m.attrs["density"] == pytest.approx(A.to_numpy().sum() / (21 * 20))
    G = network.to_graph(A)
    assert isinstance(G, nx.DiGraph) and G.number_of_nodes() == 21
    assert G.number_of_edges() == int(A.to_numpy().sum())
    ci = nx.closeness_centrality(G)
    np.testing.assert_allclose(m["closeness_in"], [ci[c] for c in m.index], rtol=1e-12)
    assert isinstance(network.to_graph(np.array([[0, 1], [1, 0]])), nx.Graph)
    assert not math.isnan(m.to_numpy().sum())
