r"""Composite indices from many indicators: min-max normalisation, entropy weights, TOPSIS.

This module never imports :mod:`helpers.simulate`: measurement never sees the truth.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._common import _as_frame, _check_weights, _orientation


def _check_shift(shift) -> float:
    shift = float(shift)
    if not (np.isfinite(shift) and 0.0 <= shift < 1.0):
        raise ValueError(f"shift must be in [0, 1), got {shift!r}")
    return shift


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
    positive, shift, drop_constant
        As in :func:`entropy_weights`: the direction of each indicator, the shift of the
        normalisation in [0, 1) (default 0.002), and whether constant indicators are dropped
        with a warning instead of raising.

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
