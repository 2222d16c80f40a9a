r"""Composite indices, location quotients, co-agglomeration, coupling, synergy and Theil.

Every function is a small pure function over DataFrames or arrays. Labels are kept: when the
input is a DataFrame or Series, the output is indexed like it. Bad input (missing values,
constant indicators, negative employment, scores outside [0, 1], mismatched shapes) raises a
:class:`ValueError` that names the column, row or argument at fault; no function returns NaN
silently.

This module never imports :mod:`helpers.simulate`: measurement never sees the truth.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._results import Result

__all__ = [
    "COORDINATION_BANDS",
    "normalize_indicators",
    "entropy_weights",
    "entropy_index",
    "topsis",
    "location_quotient",
    "coagglomeration",
    "coupling_coordination",
    "coordination_band",
    "order_degree",
    "synergy_degree",
    "theil",
    "TheilResult",
]

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

_SUM_TOL = 1e-8  # tolerance for "weights sum to one"


# ---------------------------------------------------------------------------- validation
def _py(label):
    """A label as a plain Python object, so messages read 2021 rather than np.int64(2021)."""
    return label.item() if isinstance(label, np.generic) else label


def _as_frame(X, name: str) -> pd.DataFrame:
    """X as a numeric DataFrame without missing or infinite values (else ValueError)."""
    if isinstance(X, pd.DataFrame):
        df = X
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be two-dimensional (rows x columns), got {arr.ndim} dimension(s)")
        df = pd.DataFrame(arr)
    for col in df.columns:
        if not (pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col])):
            raise ValueError(f"{name}: column {col!r} is not numeric (dtype {df[col].dtype})")
    values = df.to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"{name}: missing or infinite value in column {_py(df.columns[j])!r}, "
                         f"row {_py(df.index[i])!r}")
    return df


def _as_vector(x, name: str) -> pd.Series | np.ndarray:
    """x as a float Series (labels kept) or 1-D float array, checked finite."""
    if isinstance(x, pd.DataFrame):
        raise ValueError(f"{name} must be one-dimensional (a Series or array), got a DataFrame")
    if isinstance(x, pd.Series):
        if not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x):
            raise ValueError(f"{name} is not numeric (dtype {x.dtype})")
        v = x.astype(float)
        bad = ~np.isfinite(v.to_numpy())
        if bad.any():
            raise ValueError(f"{name}: missing or infinite value for {_py(v.index[bad][0])!r}")
        return v
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got {arr.ndim} dimensions")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name}: missing or infinite value at position {int(np.argmax(bad))}")
    return arr


def _align_pair(a, b, name_a: str, name_b: str):
    """Align two vectors: same labels (any order) if both are Series, same length otherwise.

    Returns the two as float arrays and the index of the output (None if neither is labelled).
    """
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        if not a.index.equals(b.index):
            if a.index.has_duplicates or b.index.has_duplicates or set(a.index) != set(b.index):
                missing = list(a.index.difference(b.index)) + list(b.index.difference(a.index))
                raise ValueError(f"{name_a} and {name_b} have different index labels "
                                 f"(e.g. {missing[:3]!r})")
            b = b.reindex(a.index)
        return a.to_numpy(float), b.to_numpy(float), a.index
    va, vb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if va.shape != vb.shape:
        raise ValueError(f"{name_a} and {name_b} have different shapes: {va.shape} and {vb.shape}")
    index = a.index if isinstance(a, pd.Series) else b.index if isinstance(b, pd.Series) else None
    return va, vb, index


def _orientation(positive, columns: pd.Index) -> np.ndarray:
    """Boolean direction per column from None, a mapping column -> bool, or a sequence."""
    if positive is None:
        return np.ones(len(columns), dtype=bool)
    if isinstance(positive, (Mapping, pd.Series)):
        items = dict(positive.items())
        unknown = [k for k in items if k not in columns]
        if unknown:
            raise ValueError(f"positive: unknown column(s) {unknown!r}; columns are {list(columns)!r}")
        for k, v in items.items():
            if not isinstance(v, (bool, np.bool_)):
                raise ValueError(f"positive[{k!r}] must be True or False, got {v!r}")
        return np.array([bool(items.get(c, True)) for c in columns])
    seq = list(positive)
    if len(seq) != len(columns):
        raise ValueError(f"positive has {len(seq)} entries but X has {len(columns)} columns")
    for k, v in zip(columns, seq):
        if not isinstance(v, (bool, np.bool_)):
            raise ValueError(f"positive entry for column {k!r} must be True or False, got {v!r}")
    return np.array(seq, dtype=bool)


def _check_weights(weights, columns: pd.Index, name: str = "weights") -> np.ndarray:
    """Weights aligned to ``columns``: finite, non-negative and summing to one."""
    if isinstance(weights, (Mapping, pd.Series)):
        w = pd.Series(dict(weights.items()) if isinstance(weights, Mapping) else weights, dtype=float)
        unknown = [k for k in w.index if k not in columns]
        missing = [c for c in columns if c not in w.index]
        if unknown:
            raise ValueError(f"{name}: unknown column(s) {unknown!r}")
        if missing:
            raise ValueError(f"{name}: no weight for column(s) {missing!r}")
        w = w.reindex(columns).to_numpy(float)
    else:
        w = np.asarray(weights, dtype=float).ravel()
        if w.size != len(columns):
            raise ValueError(f"{name} has {w.size} entries but there are {len(columns)} columns")
    for c, v in zip(columns, w):
        if not np.isfinite(v) or v < 0:
            raise ValueError(f"{name}: weight of column {c!r} must be finite and >= 0, got {float(v)!r}")
    if abs(w.sum() - 1.0) > _SUM_TOL:
        raise ValueError(f"{name} must sum to 1, got {w.sum()!r}")
    return w


def _check_shift(shift) -> float:
    shift = float(shift)
    if not (np.isfinite(shift) and 0.0 <= shift < 1.0):
        raise ValueError(f"shift must be in [0, 1), got {shift!r}")
    return shift


# ---------------------------------------------------------------------- entropy method
def normalize_indicators(X, positive=None, shift=0.002, drop_constant=False) -> pd.DataFrame:
    r"""Min-max normalise indicators and shift them away from zero.

    For a positive indicator :math:`z_{ij} = (x_{ij} - \min_i x_{ij}) / (\max_i x_{ij} - \min_i x_{ij})`,
    for a negative one :math:`z_{ij} = (\max_i x_{ij} - x_{ij}) / (\max_i x_{ij} - \min_i x_{ij})`;
    then :math:`z'_{ij} = s + (1 - s) z_{ij}` with shift :math:`s`, so that :math:`z'` lies in
    :math:`[s, 1]` and the entropy never meets :math:`\ln 0`.

    Parameters
    ----------
    X : DataFrame or array, shape (m, n)
        Rows are observations (pool all city-years so that the index is comparable over
        time), columns are indicators.
    positive : mapping, sequence of bool, or None
        Direction of each indicator: ``True`` if more is better. A mapping may omit columns
        (they are positive). ``None`` means all positive.
    shift : float
        The shift :math:`s` in [0, 1); 0.002 (so :math:`z' = 0.002 + 0.998 z`) by default.
    drop_constant : bool
        If True, constant indicators are dropped with a warning instead of raising.

    Returns
    -------
    DataFrame
        The shifted matrix :math:`z'`, indexed like ``X`` (columns of dropped indicators removed).

    Raises
    ------
    ValueError
        On a missing or infinite value (naming column and row), a non-numeric column, a
        constant column (unless ``drop_constant``), an unknown key in ``positive`` or a
        shift outside [0, 1).
    """
    df = _as_frame(X, "X")
    if df.shape[0] < 2:
        raise ValueError(f"X needs at least 2 rows, got {df.shape[0]}")
    shift = _check_shift(shift)
    pos = _orientation(positive, df.columns)
    x = df.to_numpy(dtype=float)
    lo, hi = x.min(axis=0), x.max(axis=0)
    const = hi == lo
    if const.any():
        names = list(df.columns[const])
        if not drop_constant:
            raise ValueError(f"X: constant indicator(s) {names!r} (max == min) carry no information; "
                             "drop them or pass drop_constant=True")
        warnings.warn(f"dropping constant indicator(s) {names!r} (max == min)", stacklevel=2)
        if const.all():
            raise ValueError("X: every indicator is constant")
    keep = ~const
    x, lo, hi, pos = x[:, keep], lo[keep], hi[keep], pos[keep]
    z = np.where(pos, (x - lo) / (hi - lo), (hi - x) / (hi - lo))
    return pd.DataFrame(shift + (1.0 - shift) * z, index=df.index, columns=df.columns[keep])


def _entropy_weights_from_z(z: pd.DataFrame) -> pd.Series:
    m = z.shape[0]
    if m < 2:
        raise ValueError(f"X needs at least 2 rows for entropy weights (ln m = 0 for m = {m})")
    zv = z.to_numpy(dtype=float)
    p = zv / zv.sum(axis=0)
    # 0 ln 0 = 0 (only reachable with shift = 0)
    plogp = p * np.log(p, out=np.zeros_like(p), where=p > 0)
    e = -plogp.sum(axis=0) / np.log(m)
    d = 1.0 - e
    return pd.Series(d / d.sum(), index=z.columns, name="weight")


def entropy_weights(X, positive=None, shift=0.002, drop_constant=False) -> pd.Series:
    r"""Entropy weights of indicators, pooled over all rows.

    With the shifted normalised matrix :math:`z'` of :func:`normalize_indicators` and
    :math:`m` rows,

    .. math::

        p_{ij} = \frac{z'_{ij}}{\sum_i z'_{ij}}, \quad
        e_j = -\frac{1}{\ln m} \sum_i p_{ij} \ln p_{ij}, \quad
        w_j = \frac{1 - e_j}{\sum_k (1 - e_k)},

    with :math:`0 \ln 0 = 0`.

    Parameters
    ----------
    X : DataFrame or array, shape (m, n)
        Observations by indicators; pool all city-years (m = N T) so that the weights are
        fixed and scores comparable across years.
    positive : mapping, sequence of bool, or None
        Direction of each indicator (see :func:`normalize_indicators`).
    shift : float
        Shift of the normalisation, in [0, 1); default 0.002.
    drop_constant : bool
        If True, drop constant indicators with a warning instead of raising.

    Returns
    -------
    Series
        Weights indexed by the columns of ``X``: non-negative, summing to 1.

    Raises
    ------
    ValueError
        See :func:`normalize_indicators`; also if ``X`` has fewer than 2 rows.

    References
    ----------
    Shannon, C. E. (1948). A mathematical theory of communication. Bell System Technical
    Journal 27(3), 379-423.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [10.0, 30.0, 20.0]})
    >>> entropy_weights(X, positive={"b": False}).round(4).tolist()
    [0.5371, 0.4629]
    """
    return _entropy_weights_from_z(normalize_indicators(X, positive, shift, drop_constant))


def entropy_index(X, positive=None, shift=0.002, weights=None, drop_constant=False) -> pd.Series:
    r"""Entropy-weighted composite index :math:`I_i = \sum_j w_j z'_{ij}`.

    Parameters
    ----------
    X : DataFrame or array, shape (m, n)
        Observations by indicators.
    positive : mapping, sequence of bool, or None
        Direction of each indicator (see :func:`normalize_indicators`).
    shift : float
        Shift of the normalisation, in [0, 1); default 0.002.
    weights : Series, mapping, array or None
        Indicator weights (non-negative, summing to 1, one per column); by default the
        entropy weights of ``X`` (:func:`entropy_weights`).
    drop_constant : bool
        If True, drop constant indicators with a warning instead of raising.

    Returns
    -------
    Series
        The index, in :math:`[s, 1]`, indexed like ``X``, named ``entropy_index``.

    Raises
    ------
    ValueError
        See :func:`normalize_indicators`; also for weights that are negative, do not sum to 1
        or do not match the columns.
    """
    z = normalize_indicators(X, positive, shift, drop_constant)
    w = _entropy_weights_from_z(z).to_numpy() if weights is None else _check_weights(weights, z.columns)
    return pd.Series(z.to_numpy() @ w, index=z.index, name="entropy_index")


def topsis(X, weights=None, positive=None, shift=0.002, drop_constant=False) -> pd.Series:
    r"""TOPSIS closeness score to the ideal solution.

    With :math:`v_{ij} = w_j z'_{ij}` (so every column is oriented "more is better"),
    the best and worst values :math:`v_j^+ = \max_i v_{ij}` and :math:`v_j^- = \min_i v_{ij}`,

    .. math::

        D_i^+ = \sqrt{\sum_j (v_{ij} - v_j^+)^2}, \quad
        D_i^- = \sqrt{\sum_j (v_{ij} - v_j^-)^2}, \quad
        S_i = \frac{D_i^-}{D_i^+ + D_i^-}.

    Parameters
    ----------
    X : DataFrame or array, shape (m, n)
        Observations by indicators.
    weights : Series, mapping, array or None
        Indicator weights (non-negative, summing to 1); ``None`` uses :func:`entropy_weights`.
    positive : mapping, sequence of bool, or None
        Direction of each indicator (see :func:`normalize_indicators`).
    shift : float
        Shift of the normalisation, in [0, 1); default 0.002.
    drop_constant : bool
        If True, drop constant indicators with a warning instead of raising.

    Returns
    -------
    Series
        Scores in [0, 1] indexed like ``X``, named ``topsis``.

    Raises
    ------
    ValueError
        As :func:`entropy_index`.

    References
    ----------
    Hwang, C.-L., Yoon, K. (1981). Multiple Attribute Decision Making: Methods and
    Applications. Springer.
    """
    z = normalize_indicators(X, positive, shift, drop_constant)
    w = _entropy_weights_from_z(z).to_numpy() if weights is None else _check_weights(weights, z.columns)
    v = z.to_numpy() * w
    d_plus = np.sqrt(((v - v.max(axis=0)) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - v.min(axis=0)) ** 2).sum(axis=1))
    # every column varies and some weight is positive, so d_plus + d_minus > 0 in every row
    return pd.Series(d_minus / (d_plus + d_minus), index=z.index, name="topsis")


# ---------------------------------------------------------------- location quotients
def location_quotient(emp, benchmark=None, benchmark_total=None, city_total=None) -> pd.DataFrame:
    r"""Location quotients of a city x sector employment table.

    .. math::

        LQ_{ij} = \frac{e_{ij} / e_i}{E_j / E},

    with :math:`e_{ij}` employment of sector :math:`j` in city :math:`i`, :math:`e_i` the
    city's total employment, :math:`E_j` and :math:`E` the benchmark's sector and total
    employment.

    Parameters
    ----------
    emp : DataFrame
        Employment, cities (rows) by sectors (columns), non-negative.
    benchmark : Series or None
        Benchmark sector employment :math:`E_j` indexed by sector (e.g. national), covering
        every column of ``emp``. ``None`` (default) takes the table itself as the benchmark:
        :math:`E_j` are the column sums of ``emp`` (the province).
    benchmark_total : float or None
        Benchmark total :math:`E`; default the sum of ``benchmark`` (or, with no benchmark,
        the sum of the city totals).
    city_total : Series or None
        City total employment :math:`e_i`, indexed like ``emp``. By default the row sums of
        ``emp``, which is right only when the columns exhaust employment (add an "other"
        column otherwise).

    Returns
    -------
    DataFrame
        Location quotients, indexed like ``emp``.

    Raises
    ------
    ValueError
        On negative or missing employment (naming city and sector), a city with zero total
        employment, a benchmark sector with zero or missing employment, or mismatched labels.

    Notes
    -----
    State the benchmark in the text: a province benchmark makes the employment-weighted
    mean LQ of each sector equal to one across the province's cities.

    References
    ----------
    Isard, W. (1960). Methods of Regional Analysis: An Introduction to Regional Science.
    MIT Press.
    """
    if not isinstance(emp, pd.DataFrame):
        emp = pd.DataFrame(np.asarray(emp))
    df = _as_frame(emp, "emp")
    e = df.to_numpy(dtype=float)
    neg = e < 0
    if neg.any():
        i, j = np.argwhere(neg)[0]
        raise ValueError(f"emp: negative employment for city {_py(df.index[i])!r}, "
                         f"sector {_py(df.columns[j])!r}")
    if city_total is None:
        e_i = e.sum(axis=1)
    else:
        if not isinstance(city_total, pd.Series) or not city_total.index.equals(df.index):
            raise ValueError("city_total must be a Series indexed exactly like emp")
        e_i = _as_vector(city_total, "city_total").to_numpy()
        short = e_i < e.sum(axis=1) * (1 - 1e-12)
        if short.any():
            raise ValueError(f"city_total of city {_py(df.index[short][0])!r} is below its sector sum")
    zero = e_i <= 0
    if zero.any():
        raise ValueError(f"emp: city {_py(df.index[zero][0])!r} has zero total employment")

    if benchmark is None:
        E_j = e.sum(axis=0)
        E = e_i.sum()
    else:
        if not isinstance(benchmark, pd.Series):
            raise ValueError("benchmark must be a Series of sector employment indexed by sector")
        missing = [c for c in df.columns if c not in benchmark.index]
        if missing:
            raise ValueError(f"benchmark has no employment for sector(s) {missing!r}")
        bench = benchmark.astype(float)
        for s, v in bench.items():
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"benchmark: employment of sector {s!r} must be finite and >= 0, "
                                 f"got {float(v)!r}")
        E_j = bench.reindex(df.columns).to_numpy()
        E = float(bench.sum())
    if benchmark_total is not None:
        E = float(benchmark_total)
        if not np.isfinite(E) or E < E_j.sum() * (1 - 1e-12):
            raise ValueError(f"benchmark_total {benchmark_total!r} is below the benchmark sector sum")
    zero = E_j <= 0
    if zero.any():
        raise ValueError(f"benchmark employment of sector {_py(df.columns[zero][0])!r} is zero")
    lq = (e / e_i[:, None]) / (E_j / E)
    return pd.DataFrame(lq, index=df.index, columns=df.columns)


def coagglomeration(lq_m, lq_s, part="full"):
    r"""Co-agglomeration of two industries (e.g. manufacturing and producer services).

    .. math::

        Q_i = 1 - \frac{|LQ^m_i - LQ^s_i|}{LQ^m_i + LQ^s_i}, \quad
        S_i = LQ^m_i + LQ^s_i, \quad
        \mathrm{full}_i = Q_i + S_i.

    The quality part :math:`Q` lies in (0, 1] (1 when the two quotients are equal); the
    scale part :math:`S` grows with the size of both. Many papers report only :math:`Q`.

    Parameters
    ----------
    lq_m, lq_s : Series, array or float
        Location quotients of the two industries (non-negative, not both zero), with the
        same labels (Series) or shape.
    part : {"full", "quality", "scale"}
        Which index to return.

    Returns
    -------
    Series or ndarray
        Indexed like the Series input (named ``coagg_<part>``), or an array for array input.

    Raises
    ------
    ValueError
        On an unknown ``part``, mismatched labels or shapes, missing or negative quotients,
        or a unit where both quotients are zero (named).

    References
    ----------
    Chen, J., Liu, Y., Zou, M. (2016). Urban productivity improvement under industrial
    co-agglomeration. Journal of Zhejiang University (Humanities and Social Sciences) 46(3).
    The dartboard index of Ellison, G., Glaeser, E. L. (1997), Journal of Political Economy
    105(5), 889-927, is a different (plant-level) measure of co-agglomeration.
    """
    if part not in ("full", "quality", "scale"):
        raise ValueError(f"part must be 'full', 'quality' or 'scale', got {part!r}")
    m, s, index = _align_pair(lq_m, lq_s, "lq_m", "lq_s")
    labels = list(index) if index is not None else list(range(m.size))
    for name, v in (("lq_m", m), ("lq_s", s)):
        flat = np.atleast_1d(v)
        bad = ~np.isfinite(flat) | (flat < 0)
        if bad.any():
            k = int(np.argmax(bad))
            raise ValueError(f"{name}: location quotient of {_py(labels[k])!r} must be finite and >= 0, "
                             f"got {float(flat[k])!r}")
    scale = m + s
    zero = np.atleast_1d(scale) == 0
    if zero.any():
        raise ValueError(f"lq_m and lq_s are both zero for {_py(labels[int(np.argmax(zero))])!r}: "
                         "quality is undefined")
    quality = 1.0 - np.abs(m - s) / scale
    out = {"quality": quality, "scale": scale, "full": quality + scale}[part]
    if index is not None:
        return pd.Series(out, index=index, name=f"coagg_{part}")
    return out if out.ndim else float(out)


# --------------------------------------------------------------- coupling coordination
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

    total = u.sum(axis=1)
    alive = total > 0  # rows with some U_i > 0; all-zero rows get C = 0 (see Notes)
    C = np.zeros(len(df))
    ua = u[alive]
    if modified:
        umax = ua.max(axis=1, keepdims=True)
        pair = np.abs(ua[:, :, None] - ua[:, None, :]).sum(axis=(1, 2)) / 2  # sum over i < j
        spread = 1.0 - pair / (n * (n - 1) / 2)
        level = np.prod(ua / umax, axis=1) ** (1.0 / (n - 1))
        C[alive] = np.sqrt(np.clip(spread, 0.0, 1.0) * level)
    else:
        C[alive] = n * np.prod(ua, axis=1) ** (1.0 / n) / total[alive]
    C = np.clip(C, 0.0, 1.0)
    T = u @ a
    D = np.sqrt(C * T)
    out = pd.DataFrame({"C": C, "T": T, "D": D}, index=df.index)
    out["band"] = coordination_band(out["D"])
    return out


# ---------------------------------------------------------------------------- synergy
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


# ------------------------------------------------------------------------------- Theil
@dataclass(repr=False)
class TheilResult(Result):
    """Theil T index with its between/within-group decomposition.

    Attributes
    ----------
    total : float
        Theil T over all units.
    between : float
        Between-group part.
    within : float
        Within-group part; ``total == between + within``.
    by_group : DataFrame
        One row per group (index ``group``): ``n`` units, ``pop_share`` and ``share``
        (population and income share of the group), ``theil_within`` (the group's own Theil
        index), ``contribution`` (``share * theil_within``, summing to ``within``) and
        ``between_term`` (``share * ln(share / pop_share)``, summing to ``between``).
    weighted : bool
        Whether population weights were used.
    """

    total: float
    between: float
    within: float
    by_group: pd.DataFrame
    weighted: bool


def _theil_terms(s: np.ndarray, p: np.ndarray) -> float:
    """sum s ln(s/p) for income shares s and population shares p (both positive)."""
    return float(np.sum(s * np.log(s / p)))


def theil(values, groups, weights=None) -> TheilResult:
    r"""Theil T index with the between/within-group decomposition.

    With income shares :math:`s_i = w_i y_i / \sum_k w_k y_k` and population shares
    :math:`p_i = w_i / \sum_k w_k`, the population-weighted Theil T is

    .. math::

        T = \sum_i s_i \ln \frac{s_i}{p_i}
          = \underbrace{\sum_g S_g \ln \frac{S_g}{P_g}}_{\text{between}}
          + \underbrace{\sum_g S_g T_g}_{\text{within}},

    where :math:`S_g, P_g` are group shares and :math:`T_g = \sum_{i \in g} (s_i/S_g)
    \ln[(s_i/S_g)/(p_i/P_g)]` is the group's own index. Without weights every unit counts
    once (:math:`p_i = 1/n`), giving :math:`T = \frac{1}{n} \sum_i \frac{y_i}{\bar y}
    \ln \frac{y_i}{\bar y}`.

    Parameters
    ----------
    values : Series or array
        Positive values per unit, e.g. GDP per capita of each city.
    groups : Series or array
        Group of each unit (e.g. the four regions), labelled or ordered like ``values``.
        A categorical keeps its category order (unobserved categories are dropped).
    weights : Series, array or None
        Positive population weights per unit; ``None`` for the unweighted index.

    Returns
    -------
    TheilResult
        ``total``, ``between``, ``within``, ``by_group`` and ``weighted``.

    Raises
    ------
    ValueError
        On a non-positive or missing value or weight (naming the unit), a missing group, or
        mismatched labels or lengths.

    References
    ----------
    Theil, H. (1967). Economics and Information Theory. North-Holland.
    Shorrocks, A. F. (1980). The class of additively decomposable inequality measures.
    Econometrica 48(3), 613-625.

    Examples
    --------
    >>> r = theil([1.0, 1.0, 2.0, 2.0], ["a", "a", "b", "b"])
    >>> round(r.within, 12), round(r.total - r.between, 12)
    (0.0, 0.0)
    """
    y = _as_vector(values, "values")
    labels = y.index if isinstance(y, pd.Series) else pd.RangeIndex(len(y))
    yv = np.asarray(y, dtype=float)
    n = yv.size
    if n < 1:
        raise ValueError("values is empty")
    nonpos = yv <= 0
    if nonpos.any():
        raise ValueError(f"values must be positive: unit {_py(labels[int(np.argmax(nonpos))])!r} "
                         f"has {float(yv[nonpos][0])!r}")

    def _aligned(x, name):
        if isinstance(x, pd.Series) and isinstance(y, pd.Series):
            if not x.index.equals(y.index):
                if set(x.index) != set(y.index) or x.index.has_duplicates:
                    raise ValueError(f"{name} and values have different index labels")
                x = x.reindex(y.index)
            return x
        if len(x) != n:
            raise ValueError(f"{name} has {len(x)} entries but values has {n}")
        return x

    g = _aligned(groups, "groups")
    # .array and a bare Categorical keep a categorical's order of groups
    g = pd.Series(g.array if isinstance(g, pd.Series) else
                  g if isinstance(g, pd.Categorical) else np.asarray(g), index=labels)
    if g.isna().any():
        raise ValueError(f"groups: missing group for unit {_py(g.index[g.isna()][0])!r}")

    if weights is None:
        wv = np.ones(n)
    else:
        wv = _as_vector(_aligned(weights, "weights"), "weights")
        wv = np.asarray(wv, dtype=float)
        nonpos = wv <= 0
        if nonpos.any():
            raise ValueError(f"weights must be positive: unit {_py(labels[int(np.argmax(nonpos))])!r} "
                             f"has {float(wv[nonpos][0])!r}")

    s = wv * yv / np.sum(wv * yv)
    p = wv / wv.sum()
    total = _theil_terms(s, p)

    rows = []
    for name, idx in g.groupby(g, observed=True, sort=True).indices.items():
        S, P = s[idx].sum(), p[idx].sum()
        T_g = _theil_terms(s[idx] / S, p[idx] / P)
        rows.append((name, len(idx), P, S, T_g, S * T_g, S * np.log(S / P)))
    by_group = pd.DataFrame(rows, columns=["group", "n", "pop_share", "share", "theil_within",
                                           "contribution", "between_term"]).set_index("group")
    return TheilResult(total=total, between=float(by_group["between_term"].sum()),
                       within=float(by_group["contribution"].sum()), by_group=by_group,
                       weighted=weights is not None)
