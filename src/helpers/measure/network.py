r"""Gravity factor-flow networks and their metrics.

Flows between cities follow the modified gravity model (directed and asymmetric), are
binarised by a stated rule, and described by per-city degree, out- and in-closeness and
betweenness centrality and the graph density. Flows are vectorised numpy; the metrics use
all-sources breadth-first search written as matrix products, and equal networkx's values
(``tests/test_network.py`` checks them against networkx).

Labels are kept: labelled inputs (Series, DataFrame) give outputs labelled by city. Bad input
raises a :class:`ValueError` naming the city, pair or argument at fault.

This module never imports :mod:`helpers.simulate`.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

__all__ = [
    "gravity_flows",
    "gravity_flows_panel",
    "binarize",
    "BINARIZE_RULES",
    "network_metrics",
    "flow_strength",
    "to_graph",
]

#: Thresholds :func:`binarize` knows.
BINARIZE_RULES = ("row_mean", "global_mean", "global_median")


# ---------------------------------------------------------------------------- validation
def _square(F, name: str):
    """Square 2-D float matrix and its city labels (None if unlabelled)."""
    if isinstance(F, pd.DataFrame):
        if F.shape[0] != F.shape[1]:
            raise ValueError(f"{name} must be square, got shape {F.shape}")
        if not F.index.equals(F.columns):
            if set(F.index) != set(F.columns) or F.index.has_duplicates:
                raise ValueError(f"{name}: index and columns must hold the same city labels")
            F = F.reindex(columns=F.index)
        labels = F.index
        for c, dtype in F.dtypes.items():   # the dtypes, not a Series per column
            if not pd.api.types.is_numeric_dtype(dtype):
                raise ValueError(f"{name}: column {c!r} is not numeric (dtype {dtype})")
        arr = F.to_numpy(dtype=float)
    else:
        arr = np.asarray(F, dtype=float)
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
            raise ValueError(f"{name} must be a square matrix, got shape {arr.shape}")
        labels = None
    return arr, labels


def _label(labels, i) -> object:
    """City label for messages, as a plain Python object (2021, not np.int64(2021))."""
    lab = labels[i] if labels is not None else int(i)
    return lab.item() if isinstance(lab, np.generic) else lab


def _check_b(b) -> float:
    b = float(b)
    if not (np.isfinite(b) and b >= 0):
        raise ValueError(f"distance-decay exponent b must be finite and >= 0, got {b!r}")
    return b


def _inverse_distance(dist, labels, b: float) -> np.ndarray:
    """d_ij^(-b) with a zero diagonal; off-diagonal distances must be finite and positive."""
    d = np.array(dist, dtype=float)
    off = ~np.eye(d.shape[0], dtype=bool)
    bad = off & ~(np.isfinite(d) & (d > 0))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"dist: distance between {_label(labels, i)!r} and {_label(labels, j)!r} "
                         f"must be finite and > 0, got {float(d[i, j])!r}")
    np.fill_diagonal(d, 1.0)  # the diagonal is ignored: no self-flows
    dinv = d ** (-b)
    np.fill_diagonal(dinv, 0.0)
    return dinv


def _aligned_distance(dist, cities):
    """Distance matrix ordered like ``cities`` (an Index or None) and the labels to use."""
    if isinstance(dist, pd.DataFrame):
        d, dlabels = _square(dist, "dist")
        if cities is not None:
            missing = [c for c in cities if c not in dlabels]
            extra = [c for c in dlabels if c not in cities]
            if missing or extra:
                raise ValueError(f"mass and dist cover different cities: no distance for {missing!r}, "
                                 f"no mass for {extra!r}")
            pos = dlabels.get_indexer(cities)
            d = d[np.ix_(pos, pos)]
            return d, cities
        return d, dlabels
    d, _ = _square(dist, "dist")
    return d, cities


def _check_mass(M: np.ndarray, labels, years=None) -> None:
    bad = ~np.isfinite(M) | (M < 0)
    if bad.any():
        t, i = np.argwhere(bad)[0]
        when = f" in {_label(years, t)!r}" if years is not None else ""
        raise ValueError(f"mass of {_label(labels, i)!r}{when} must be finite and >= 0, "
                         f"got {float(M[t, i])!r}")


def _flows(M: np.ndarray, dinv: np.ndarray) -> np.ndarray:
    """F[t, i, j] = k_ij M_i M_j d_ij^-b by broadcasting over (years, origins, destinations)."""
    Mi, Mj = M[:, :, None], M[:, None, :]
    denom = Mi + Mj
    # k_ij = M_i / (M_i + M_j); two zero masses give a zero flow whatever k is
    k = np.divide(Mi, denom, out=np.full(denom.shape, 0.5), where=denom > 0)
    return k * Mi * Mj * dinv


# --------------------------------------------------------------------------------- flows
def gravity_flows_panel(mass_wide, dist, b=2.0) -> np.ndarray:
    r"""Gravity flows for several years at once (vectorised over years and city pairs).

    Same model as :func:`gravity_flows`, computed by broadcasting for every row of
    ``mass_wide``.

    Parameters
    ----------
    mass_wide : DataFrame or 2-D array, shape (T, N)
        Masses, years (rows) by cities (columns), finite and non-negative.
    dist : DataFrame or 2-D array, shape (N, N)
        Distances; off-diagonal entries finite and positive, the diagonal is ignored. A
        labelled ``dist`` is reordered to the columns of a labelled ``mass_wide``.
    b : float
        Distance-decay exponent, finite and non-negative.

    Returns
    -------
    ndarray, shape (T, N, N)
        ``F[t, i, j]`` is the flow from city ``i`` to city ``j`` in year ``t``; axis 0 follows
        the rows of ``mass_wide``, axes 1 and 2 its columns. Diagonals are zero.

    Raises
    ------
    ValueError
        On a negative or missing mass (naming city and year), a zero, negative or missing
        off-diagonal distance (naming the pair), mismatched cities or a bad ``b``.
    """
    if isinstance(mass_wide, pd.DataFrame):
        cities, years = mass_wide.columns, mass_wide.index
        M = mass_wide.to_numpy(dtype=float)
    else:
        M = np.asarray(mass_wide, dtype=float)
        cities, years = None, None
        if M.ndim != 2:
            raise ValueError(f"mass_wide must be two-dimensional (years x cities), got shape {M.shape}")
    d, labels = _aligned_distance(dist, cities)
    if d.shape[0] != M.shape[1]:
        raise ValueError(f"mass has {M.shape[1]} cities but dist is {d.shape[0]} x {d.shape[1]}")
    _check_mass(M, labels, years)
    return _flows(M, _inverse_distance(d, labels, _check_b(b)))


def gravity_flows(mass, dist, b=2.0):
    r"""Directed factor flows by the modified gravity model.

    .. math::

        F_{ij} = k_{ij} \frac{M_i M_j}{d_{ij}^{\,b}}, \qquad k_{ij} = \frac{M_i}{M_i + M_j},

    so :math:`k_{ij} + k_{ji} = 1` and the larger mass sends the larger flow. The diagonal is
    zero. When :math:`M_i = M_j = 0` the flow is zero.

    Parameters
    ----------
    mass : Series, 1-D array, DataFrame or 2-D array
        Mass of each city (e.g. R&D staff, loans, patents), finite and non-negative. A 2-D
        mass (years x cities) is passed to :func:`gravity_flows_panel`.
    dist : DataFrame or 2-D array, shape (N, N)
        Distances (e.g. great-circle km, :func:`helpers.data.distance_matrix`); symmetry is not
        required, off-diagonal entries must be finite and positive, the diagonal is ignored.
        When both ``mass`` and ``dist`` are labelled, ``dist`` is reordered to ``mass``.
    b : float
        Distance-decay exponent (default 2), finite and non-negative.

    Returns
    -------
    DataFrame, ndarray
        An N x N DataFrame of flows (rows origin, columns destination) labelled by city when
        either input is labelled, else an ndarray; a (T, N, N) array for a 2-D mass.

    Raises
    ------
    ValueError
        On a negative or missing mass (naming the city), a zero, negative or missing
        off-diagonal distance (naming the pair), mismatched cities or a bad ``b``.

    References
    ----------
    Tinbergen, J. (1962). Shaping the World Economy. Twentieth Century Fund. The asymmetric
    coefficient :math:`k_{ij}` follows the modified gravity models of Chinese urban-network
    studies; state the masses and b in the text.

    Examples
    --------
    >>> import numpy as np
    >>> F = gravity_flows(np.array([1.0, 2.0]), np.array([[0.0, 2.0], [2.0, 0.0]]))
    >>> F.tolist()  # k_12 = 1/3, M1 M2 / d^2 = 0.5
    [[0.0, 0.16666666666666666], [0.3333333333333333, 0.0]]
    """
    if isinstance(mass, pd.DataFrame) or np.ndim(mass) == 2:
        return gravity_flows_panel(mass, dist, b)
    if isinstance(mass, pd.Series):
        cities = mass.index
        M = mass.to_numpy(dtype=float)
    else:
        cities = None
        M = np.asarray(mass, dtype=float)
        if M.ndim != 1:
            raise ValueError(f"mass must be one- or two-dimensional, got shape {M.shape}")
    d, labels = _aligned_distance(dist, cities)
    if d.shape[0] != M.size:
        raise ValueError(f"mass has {M.size} cities but dist is {d.shape[0]} x {d.shape[1]}")
    _check_mass(M[None, :], labels)
    F = _flows(M[None, :], _inverse_distance(d, labels, _check_b(b)))[0]
    if labels is not None:
        return pd.DataFrame(F, index=labels, columns=labels)
    return F


def flow_strength(F) -> pd.DataFrame:
    r"""Out-, in- and total strength of each city in a weighted flow matrix.

    :math:`s^{out}_i = \sum_{j \neq i} F_{ij}`, :math:`s^{in}_i = \sum_{j \neq i} F_{ji}`,
    :math:`s_i = s^{out}_i + s^{in}_i`.

    Parameters
    ----------
    F : DataFrame or 2-D array, shape (N, N)
        Flows (rows origin, columns destination); the diagonal is ignored.

    Returns
    -------
    DataFrame
        Columns ``strength_out``, ``strength_in``, ``strength_total``, one row per city.

    Raises
    ------
    ValueError
        If ``F`` is not square or has a missing value (naming the pair).
    """
    f, labels = _square(F, "F")
    _check_finite(f, labels, "F")
    f = f.copy()
    np.fill_diagonal(f, 0.0)
    out, inn = f.sum(axis=1), f.sum(axis=0)
    return pd.DataFrame({"strength_out": out, "strength_in": inn, "strength_total": out + inn},
                        index=labels if labels is not None else pd.RangeIndex(f.shape[0]))


def _check_finite(f: np.ndarray, labels, name: str) -> None:
    bad = ~np.isfinite(f)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"{name}: missing or infinite value from {_label(labels, i)!r} "
                         f"to {_label(labels, j)!r}")


def binarize(F, rule="row_mean"):
    r"""Binary adjacency from a flow matrix: :math:`a_{ij} = 1` if :math:`F_{ij}` exceeds a threshold.

    Rules (thresholds over off-diagonal entries only; the diagonal of the result is 0):

    - ``"row_mean"``: :math:`a_{ij} = 1` if :math:`F_{ij} > \frac{1}{N-1} \sum_{k \neq i} F_{ik}`,
      the mean flow sent by city :math:`i` (each city keeps its above-average links);
    - ``"global_mean"``: :math:`F_{ij}` above the mean of all off-diagonal flows;
    - ``"global_median"``: :math:`F_{ij}` above their median.

    Parameters
    ----------
    F : DataFrame, 2-D array or 3-D array
        Flows (rows origin, columns destination), or a (T, N, N) stack from
        :func:`gravity_flows_panel` binarised slice by slice.
    rule : {"row_mean", "global_mean", "global_median"}
        Threshold rule; state it in the text.

    Returns
    -------
    DataFrame or ndarray
        0/1 integers, labelled like ``F``.

    Raises
    ------
    ValueError
        On an unknown rule, a non-square or missing entry (naming the pair).
    """
    if rule not in BINARIZE_RULES:
        raise ValueError(f"rule must be one of {BINARIZE_RULES}, got {rule!r}")
    if not isinstance(F, pd.DataFrame) and np.ndim(F) == 3:
        f = np.asarray(F, dtype=float)
        if f.shape[1] != f.shape[2]:
            raise ValueError(f"F must be a stack of square matrices, got shape {f.shape}")
        for t in range(f.shape[0]):
            _check_finite(f[t], None, f"F[{t}]")
        return _binarize_stack(f, rule)
    f, labels = _square(F, "F")
    _check_finite(f, labels, "F")
    a = _binarize_stack(f[None], rule)[0]
    return pd.DataFrame(a, index=labels, columns=labels) if labels is not None else a


def _binarize_stack(f: np.ndarray, rule: str) -> np.ndarray:
    T, N, _ = f.shape
    if N < 2:
        raise ValueError("F needs at least 2 cities")
    off = ~np.eye(N, dtype=bool)
    if rule == "row_mean":
        thr = (f * off).sum(axis=2, keepdims=True) / (N - 1)
    else:
        vals = f[:, off]  # (T, N(N-1)) off-diagonal entries
        stat = vals.mean(axis=1) if rule == "global_mean" else np.median(vals, axis=1)
        thr = stat[:, None, None]
    return ((f > thr) & off).astype(np.int64)


# ------------------------------------------------------------------------------ metrics
def _adjacency(A):
    a, labels = _square(A, "A")
    _check_finite(a, labels, "A")
    nonbin = (a != 0) & (a != 1)
    if nonbin.any():
        i, j = np.argwhere(nonbin)[0]
        raise ValueError(f"A must be binary (0/1): entry from {_label(labels, i)!r} to "
                         f"{_label(labels, j)!r} is {float(a[i, j])!r}; use binarize() on flows")
    loops = np.flatnonzero(np.diag(a))
    if loops.size:
        raise ValueError(f"A has a self-loop at {_label(labels, loops[0])!r}; the diagonal must be 0")
    if a.shape[0] < 2:
        raise ValueError("A needs at least 2 cities")
    return a, labels


def _bfs_all_sources(a: np.ndarray):
    """Hop distances and shortest-path counts from every source (matrix BFS).

    ``dist[s, v]`` is the hop distance from s to v (inf if unreachable), ``sigma[s, v]`` the
    number of shortest s-v paths. Level k+1 counts are ``frontier_k @ A`` on unvisited nodes.
    """
    N = a.shape[0]
    dist = np.full((N, N), np.inf)
    np.fill_diagonal(dist, 0.0)
    sigma = np.eye(N)
    frontier = np.eye(N)
    visited = np.eye(N, dtype=bool)
    k = 0
    while True:
        nxt = frontier @ a
        nxt[visited] = 0.0
        reached = nxt > 0
        if not reached.any():
            break
        k += 1
        dist[reached] = k
        sigma += nxt
        visited |= reached
        frontier = nxt
    return dist, sigma, k


def _betweenness(a: np.ndarray, dist: np.ndarray, sigma: np.ndarray, depth: int) -> np.ndarray:
    """Brandes' dependency accumulation for all sources at once, level by level.

    delta[s, v] = sum over successors w of v at the next level of
    sigma[s, v] / sigma[s, w] * (1 + delta[s, w]); betweenness(v) = sum_s delta[s, v].
    """
    N = a.shape[0]
    delta = np.zeros((N, N))
    safe_sigma = np.where(sigma > 0, sigma, 1.0)
    for k in range(depth - 1, 0, -1):
        q = np.where(dist == k + 1, (1.0 + delta) / safe_sigma, 0.0)
        delta += np.where(dist == k, sigma * (q @ a.T), 0.0)
    b = delta.sum(axis=0)
    # normalised over ordered pairs (s, t), s != v != t: networkx's convention for both
    # directed and undirected graphs (the undirected double count cancels)
    return b / ((N - 1) * (N - 2)) if N > 2 else np.zeros(N)


def _closeness(dist: np.ndarray) -> np.ndarray:
    """Wasserman-Faust closeness from each row of a distance matrix (networkx default)."""
    N = dist.shape[0]
    finite = np.isfinite(dist)
    r = finite.sum(axis=1) - 1  # reachable nodes other than the node itself
    tot = np.where(finite, dist, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(tot > 0, (r / tot) * (r / (N - 1)), 0.0)
    return c


def network_metrics(A) -> pd.DataFrame:
    r"""Per-city centralities and the density of a binary network.

    For a directed network with :math:`N` cities and :math:`L` links:

    - ``degree``: :math:`(k^{in}_i + k^{out}_i) / (2(N-1))`;
    - ``closeness_out``: closeness by distances *from* the city to the others,
      :math:`\frac{r_i}{N-1} \frac{r_i}{\sum_j d_{ij}}` over the :math:`r_i` cities it reaches
      (Wasserman-Faust scaling; 0 if it reaches none);
    - ``closeness_in``: the same with distances *to* the city, :math:`d_{ji}`;
    - ``betweenness``: share of shortest paths through the city, normalised by
      :math:`(N-1)(N-2)`;
    - density :math:`L / (N(N-1))` in ``.attrs["density"]``.

    A symmetric input is an undirected network, and the values are networkx's undirected
    ones: degree = ``nx.degree_centrality``, both closeness columns =
    ``nx.closeness_centrality``, betweenness = ``nx.betweenness_centrality``, density =
    ``nx.density``.

    Parameters
    ----------
    A : DataFrame or 2-D array, shape (N, N)
        Binary adjacency (0/1, zero diagonal), rows origin, columns destination, e.g. from
        :func:`binarize`.

    Returns
    -------
    DataFrame
        Columns ``degree``, ``closeness_out``, ``closeness_in``, ``betweenness``, one row per
        city (labelled like ``A``). ``.attrs`` holds ``density``, ``n_links`` (directed links
        :math:`L`) and ``directed`` (False for a symmetric input).

    Raises
    ------
    ValueError
        If ``A`` is not square, has fewer than 2 cities, a missing or non-binary entry or a
        self-loop (naming the pair or city).

    Notes
    -----
    networkx's ``closeness_centrality`` on a directed graph uses *inward* distances: it equals
    ``closeness_in`` here, and ``closeness_out`` is networkx's value on ``G.reverse()``.
    The computation is an all-sources breadth-first search written as matrix products (one
    product per BFS level) and Brandes' accumulation in the same form, so 300 cities take
    milliseconds; the tests check equality with networkx.

    References
    ----------
    Freeman, L. C. (1978). Centrality in social networks: conceptual clarification. Social
    Networks 1(3), 215-239.
    Brandes, U. (2001). A faster algorithm for betweenness centrality. Journal of
    Mathematical Sociology 25(2), 163-177.
    Wasserman, S., Faust, K. (1994). Social Network Analysis: Methods and Applications.
    Cambridge University Press.
    """
    a, labels = _adjacency(A)
    N = a.shape[0]
    dist, sigma, depth = _bfs_all_sources(a)
    k_out, k_in = a.sum(axis=1), a.sum(axis=0)
    L = int(a.sum())
    out = pd.DataFrame(
        {
            "degree": (k_in + k_out) / (2 * (N - 1)),
            "closeness_out": _closeness(dist),
            "closeness_in": _closeness(dist.T),
            "betweenness": _betweenness(a, dist, sigma, depth),
        },
        index=labels if labels is not None else pd.RangeIndex(N),
    )
    out.attrs["density"] = L / (N * (N - 1))
    out.attrs["n_links"] = L
    out.attrs["directed"] = not np.array_equal(a, a.T)
    return out


def to_graph(A):
    """A networkx graph of a binary adjacency matrix, for drawing.

    Parameters
    ----------
    A : DataFrame or 2-D array
        Binary adjacency (see :func:`network_metrics`).

    Returns
    -------
    networkx.DiGraph or networkx.Graph
        A ``Graph`` for a symmetric input, else a ``DiGraph``; nodes are the city labels
        (or 0..N-1), every city is a node even when isolated.

    Raises
    ------
    ValueError
        As :func:`network_metrics`.
    """
    a, labels = _adjacency(A)
    G = nx.Graph() if np.array_equal(a, a.T) else nx.DiGraph()
    nodes = list(labels) if labels is not None else list(range(a.shape[0]))
    G.add_nodes_from(nodes)
    G.add_edges_from((nodes[i], nodes[j]) for i, j in np.argwhere(a == 1))
    return G
