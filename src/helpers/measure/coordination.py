r"""Coordination of subsystems: coupling coordination degree, its bands, order and synergy degrees.

This module never imports :mod:`helpers.simulate`: measurement never sees the truth.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._common import _align_pair, _as_frame, _as_vector, _check_weights, _orientation, _py

#: The ten coordination bands of the coupling coordination degree D, each 0.1 wide, lowest
#: first; lower edges are inclusive and D = 1 belongs to the top band.
COORDINATION_BANDS = (
    "extreme disorder",
    "serious disorder",
    "moderate disorder",
    "mild disorder",
    "on the verge of disorder",
    "barely coordinated",
    "primary coordination",
    "intermediate coordination",
    "good coordination",
    "high-quality coordination",
)

# Lower band edges 0.1, ..., 0.9 as correctly rounded decimals (k / 10 equals the literal
# 0.k exactly, unlike cumulative sums such as np.arange(0.1, 1, 0.1)).
_BAND_EDGES = np.arange(1, 10) / 10


def coordination_band(D):
    r"""Ten-level band of the coupling coordination degree D.

    Bands are 0.1 wide with inclusive lower edges: [0, 0.1) extreme disorder, [0.1, 0.2)
    serious disorder, ..., [0.9, 1.0] high-quality coordination (D = 1 is in the top band).
    See :data:`COORDINATION_BANDS`.

    Parameters
    ----------
    D : float, array or Series
        Coordination degrees in [0, 1].

    Returns
    -------
    str, Categorical or Series
        A label for a scalar; an ordered :class:`pandas.Categorical` (categories
        :data:`COORDINATION_BANDS`) for an array; an ordered categorical Series indexed like
        ``D`` for a Series.

    Raises
    ------
    ValueError
        If a value is missing or outside [0, 1].

    Examples
    --------
    >>> coordination_band(0.1)
    'serious disorder'
    >>> coordination_band(1.0)
    'high-quality coordination'
    """
    is_series = isinstance(D, pd.Series)
    arr = np.asarray(D.to_numpy(dtype=float) if is_series else D, dtype=float)
    flat = np.atleast_1d(arr)
    bad = ~np.isfinite(flat) | (flat < 0) | (flat > 1)
    if bad.any():
        k = int(np.argmax(bad))
        where = f" for {_py(D.index[k])!r}" if is_series else ""
        raise ValueError(f"D must be in [0, 1]{where}, got {float(flat[k])!r}")
    # side="right": a value equal to an edge goes to the band above (lower edges inclusive)
    codes = np.searchsorted(_BAND_EDGES, flat, side="right")
    if arr.ndim == 0 and not is_series:
        return COORDINATION_BANDS[int(codes[0])]
    cat = pd.Categorical.from_codes(codes, categories=list(COORDINATION_BANDS), ordered=True)
    if is_series:
        return pd.Series(cat, index=D.index, name="band")
    return cat


def _coupling_degree(u: np.ndarray, modified: bool) -> np.ndarray:
    """Coupling degree C per row of scores ``u`` (rows x n subsystems), classic or modified."""
    n = u.shape[1]
    total = u.sum(axis=1)
    alive = total > 0  # rows with some U_i > 0; all-zero rows get C = 0 (see coupling_coordination)
    C = np.zeros(len(u))
    ua = u[alive]
    if modified:
        umax = ua.max(axis=1, keepdims=True)
        pair = np.abs(ua[:, :, None] - ua[:, None, :]).sum(axis=(1, 2)) / 2  # sum over i < j
        spread = 1.0 - pair / (n * (n - 1) / 2)
        level = np.prod(ua / umax, axis=1) ** (1.0 / (n - 1))
        C[alive] = np.sqrt(np.clip(spread, 0.0, 1.0) * level)
    else:
        C[alive] = n * np.prod(ua, axis=1) ** (1.0 / n) / total[alive]
    return np.clip(C, 0.0, 1.0)


def coupling_coordination(U, weights=None, modified=False) -> pd.DataFrame:
    r"""Coupling degree C, comprehensive index T and coupling coordination degree D.

    For :math:`n \geq 2` subsystems with scores :math:`U_1, \dots, U_n \in [0, 1]`, the
    classic coupling degree is

    .. math::

        C = \frac{n \left(\prod_i U_i\right)^{1/n}}{\sum_i U_i}
        \quad (n = 2: \; C = 2\sqrt{U_1 U_2} / (U_1 + U_2)),

    the ratio of the geometric to the arithmetic mean. The modified coupling degree of Wang
    et al. (2021), which spreads over [0, 1] instead of bunching near 1, is

    .. math::

        C = \sqrt{\left[1 - \frac{\sum_{i<j} |U_i - U_j|}{n(n-1)/2}\right]
        \left[\prod_i \frac{U_i}{\max_k U_k}\right]^{1/(n-1)}}.

    Then :math:`T = \sum_i a_i U_i` and :math:`D = \sqrt{C T}`.

    Parameters
    ----------
    U : DataFrame or 2-D array
        Rows are observations (e.g. city-years), columns the :math:`n \geq 2` subsystems'
        scores, each in [0, 1].
    weights : Series, mapping, array or None
        Subsystem weights :math:`a_i` (non-negative, summing to 1); equal by default.
    modified : bool
        Use the modified coupling degree of Wang et al. (2021).

    Returns
    -------
    DataFrame
        Indexed like ``U``, with columns ``C``, ``T``, ``D`` and ``band`` (ordered
        categorical, :func:`coordination_band` of D).

    Raises
    ------
    ValueError
        If ``U`` has fewer than 2 columns, a missing value or a value outside [0, 1] (naming
        row and column), or bad weights.

    Notes
    -----
    A row with every :math:`U_i = 0` has no defined C (0/0); it is given C = 0, T = 0 and
    D = 0 (no development, no coordination). C is clipped to [0, 1] only to remove
    floating-point rounding (such as 1 + 2e-16 when all :math:`U_i` are equal).
    A frequent error is to keep the two-system formula (exponent 1/2, no factor n) for three
    or more subsystems; that C is not bounded by 1 and not 1 when all scores are equal.

    References
    ----------
    Wang, S., Kong, W., Ren, L., Zhi, D., Dai, B. (2021). Research on misuses and modification
    of coupling coordination degree model in China. Journal of Natural Resources 36(3),
    793-810.
    """
    df = _as_frame(U, "U")
    n = df.shape[1]
    if n < 2:
        raise ValueError(f"U needs at least 2 subsystem columns, got {n}")
    u = df.to_numpy(dtype=float)
    out_of_range = (u < 0) | (u > 1)
    if out_of_range.any():
        i, j = np.argwhere(out_of_range)[0]
        raise ValueError(f"U must be in [0, 1]: column {_py(df.columns[j])!r}, row {_py(df.index[i])!r} "
                         f"is {float(u[i, j])!r}")
    a = np.full(n, 1.0 / n) if weights is None else _check_weights(weights, df.columns)

    C = _coupling_degree(u, modified)
    T = u @ a
    D = np.sqrt(C * T)
    out = pd.DataFrame({"C": C, "T": T, "D": D}, index=df.index)
    out["band"] = coordination_band(out["D"])
    return out


def _bounds(bound, columns: pd.Index, name: str) -> np.ndarray:
    if isinstance(bound, (Mapping, pd.Series)):
        b = dict(bound.items())
        missing = [c for c in columns if c not in b]
        unknown = [k for k in b if k not in columns]
        if missing or unknown:
            raise ValueError(f"{name}: missing column(s) {missing!r}, unknown column(s) {unknown!r}")
        vals = np.array([float(b[c]) for c in columns])
    else:
        vals = np.broadcast_to(np.asarray(bound, dtype=float), (len(columns),)).copy() \
            if np.ndim(bound) == 0 else np.asarray(bound, dtype=float).ravel()
        if vals.size != len(columns):
            raise ValueError(f"{name} has {vals.size} entries but X has {len(columns)} columns")
    for c, v in zip(columns, vals):
        if not np.isfinite(v):
            raise ValueError(f"{name}: bound of column {c!r} is missing or infinite")
    return vals


def order_degree(X, lower, upper, positive=None, weights=None, geometric=False) -> pd.Series:
    r"""Order degree of a subsystem from its order parameters (indicators).

    Each indicator value :math:`e_j` with bounds :math:`a_j < b_j` has order degree

    .. math::

        u_j = \frac{e_j - a_j}{b_j - a_j} \ \text{(positive)}, \qquad
        u_j = \frac{b_j - e_j}{b_j - a_j} \ \text{(negative)},

    clipped to [0, 1]. The subsystem's order degree is the weighted arithmetic mean
    :math:`\sum_j w_j u_j` or, with ``geometric=True``, the weighted geometric mean
    :math:`\prod_j u_j^{w_j}` (with equal weights, :math:`(\prod_j u_j)^{1/k}`).

    Parameters
    ----------
    X : DataFrame or 2-D array
        Rows are units or periods, columns the subsystem's indicators.
    lower, upper : float, mapping, Series or array
        Bounds :math:`a_j` and :math:`b_j` per column (a scalar applies to every column);
        often slightly beyond the observed minimum and maximum.
    positive : mapping, sequence of bool, or None
        Direction of each indicator (default all positive).
    weights : Series, mapping, array or None
        Indicator weights (non-negative, summing to 1); equal by default.
    geometric : bool
        Use the weighted geometric mean instead of the arithmetic mean.

    Returns
    -------
    Series
        Order degree in [0, 1], indexed like ``X``, named ``order_degree``.

    Raises
    ------
    ValueError
        On missing values, bounds with :math:`b_j \leq a_j` (naming the column), or bad weights.

    Notes
    -----
    Values beyond the bounds are clipped, as the model assumes :math:`a_j \leq e_j \leq b_j`;
    choose bounds that cover the data.

    References
    ----------
    Meng, Q., Han, W. (2000). Study of the coordinating measurement model with respect to
    composite system. Journal of Tianjin University (Social Sciences) 2(4), 444-446.
    """
    df = _as_frame(X, "X")
    a = _bounds(lower, df.columns, "lower")
    b = _bounds(upper, df.columns, "upper")
    for c, lo, hi in zip(df.columns, a, b):
        if not hi > lo:
            raise ValueError(f"upper bound of column {c!r} must exceed its lower bound "
                             f"({float(hi)!r} <= {float(lo)!r})")
    pos = _orientation(positive, df.columns)
    w = np.full(df.shape[1], 1.0 / df.shape[1]) if weights is None else _check_weights(weights, df.columns)
    e = df.to_numpy(dtype=float)
    u = np.clip(np.where(pos, (e - a) / (b - a), (b - e) / (b - a)), 0.0, 1.0)
    od = np.prod(u ** w, axis=1) if geometric else u @ w
    return pd.Series(od, index=df.index, name="order_degree")


def synergy_degree(u0, u1):
    r"""Composite-system synergy degree between a base period 0 and a period 1.

    With subsystem order degrees :math:`u_j^0` and :math:`u_j^1`, :math:`j = 1, \dots, k`,

    .. math::

        C = \theta \left[\prod_{j=1}^{k} |u_j^1 - u_j^0|\right]^{1/k}, \qquad
        \theta = \begin{cases} +1 & \min_j (u_j^1 - u_j^0) > 0 \\
        -1 & \text{otherwise.} \end{cases}

    C lies in [-1, 1]; it is positive only if every subsystem became more ordered.

    Parameters
    ----------
    u0, u1 : Series, array or DataFrame
        Order degrees in [0, 1] (see :func:`order_degree`) in the base period and in period 1:
        either one value per subsystem (Series or 1-D array of length :math:`k \geq 2`), or a
        DataFrame with one column per subsystem and one row per unit (e.g. city), with the
        same labels in both.

    Returns
    -------
    float or Series
        The synergy degree; a Series indexed like ``u0`` (named ``synergy``) for DataFrames.

    Raises
    ------
    ValueError
        On fewer than 2 subsystems, missing values, values outside [0, 1] or mismatched
        labels or shapes.

    Notes
    -----
    When some subsystem's order degree is unchanged (:math:`\min_j (u_j^1 - u_j^0) = 0` is
    only possible together with a zero factor), the product is zero and C = 0 whatever the
    sign convention. For a chain of periods, pass the previous period as ``u0``.

    References
    ----------
    Meng, Q., Han, W. (2000). Study of the coordinating measurement model with respect to
    composite system. Journal of Tianjin University (Social Sciences) 2(4), 444-446.

    Examples
    --------
    >>> round(synergy_degree([0.2, 0.5], [0.4, 0.6]), 6)
    0.141421
    """
    two_d = isinstance(u0, pd.DataFrame) or isinstance(u1, pd.DataFrame) or np.ndim(u0) == 2
    if two_d:
        d0, d1 = _as_frame(u0, "u0"), _as_frame(u1, "u1")
        if d0.shape != d1.shape:
            raise ValueError(f"u0 and u1 have different shapes: {d0.shape} and {d1.shape}")
        if not (d0.index.equals(d1.index) and d0.columns.equals(d1.columns)):
            raise ValueError("u0 and u1 must have the same index (units) and columns (subsystems)")
        labels_rows, cols = d0.index, d0.columns
        v0, v1 = d0.to_numpy(float), d1.to_numpy(float)
    else:
        v0, v1, index = _align_pair(_as_vector(u0, "u0"), _as_vector(u1, "u1"), "u0", "u1")
        cols = index if index is not None else pd.RangeIndex(v0.size)
        labels_rows = None
        v0, v1 = v0[None, :], v1[None, :]
    k = v0.shape[1]
    if k < 2:
        raise ValueError(f"synergy needs at least 2 subsystems, got {k}")
    for name, v in (("u0", v0), ("u1", v1)):
        bad = (v < 0) | (v > 1)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            row = f", row {_py(labels_rows[i])!r}" if labels_rows is not None else ""
            raise ValueError(f"{name}: order degree of subsystem {_py(cols[j])!r}{row} must be in [0, 1], "
                             f"got {float(v[i, j])!r}")
    du = v1 - v0
    theta = np.where(du.min(axis=1) > 0, 1.0, -1.0)
    mag = np.prod(np.abs(du), axis=1) ** (1.0 / k)
    c = np.where(mag > 0, theta * mag, 0.0)  # avoid -0.0 when a subsystem is unchanged
    if labels_rows is not None:
        return pd.Series(c, index=labels_rows, name="synergy")
    return float(c[0])
