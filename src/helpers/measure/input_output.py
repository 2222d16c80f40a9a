r"""Input-output algebra: technical coefficients, value-added shares, the Leontief inverse,
aggregation to coarser industries and Rasmussen's linkage indices.

Every function is pure and works on labelled frames: a flow matrix ``Z`` (supplying sectors in
rows, using sectors in columns), gross output ``x`` indexed by sector. The chain-synergy
measures of cities (:mod:`helpers.measure.chain`) use these on the national tables.

This module never imports :mod:`helpers.simulate`: measurement never sees the truth.

References
----------
Miller, R. E., Blair, P. D. (2009). Input-Output Analysis: Foundations and Extensions, 2nd ed.
Cambridge University Press.
Rasmussen, P. N. (1956). Studies in Inter-Sectoral Relations. Copenhagen: Einar Harck.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._common import _as_frame, _py

#: Tolerance of the accounting checks (shares that must add to one, (I - A) L = I).
IO_TOL = 1e-9


def _square(Z, name: str) -> pd.DataFrame:
    df = _as_frame(Z, name)
    if list(df.index) != list(df.columns):
        raise ValueError(f"{name} must be square with the same sectors, in the same order, in rows "
                         f"and columns (rows {list(df.index)[:3]!r}..., columns "
                         f"{list(df.columns)[:3]!r}...)")
    neg = df.to_numpy() < 0
    if neg.any():
        i, j = np.argwhere(neg)[0]
        raise ValueError(f"{name}: negative flow from sector {_py(df.index[i])!r} to sector "
                         f"{_py(df.columns[j])!r}")
    return df


def _output(x, sectors, name: str = "x") -> np.ndarray:
    if not isinstance(x, pd.Series):
        raise TypeError(f"{name} must be a Series of gross output indexed by sector")
    missing = [s for s in sectors if s not in x.index]
    if missing:
        raise ValueError(f"{name} has no gross output for sector(s) {missing[:5]!r}")
    v = x.reindex(sectors).astype(float).to_numpy()
    bad = ~np.isfinite(v) | (v <= 0)
    if bad.any():
        raise ValueError(f"{name}: gross output of sector {_py(sectors[int(np.argmax(bad))])!r} must "
                         f"be finite and > 0, got {v[int(np.argmax(bad))]!r}")
    return v


def technical_coefficients(Z, x) -> pd.DataFrame:
    r"""Technical (direct input) coefficients :math:`a_{ij} = z_{ij} / x_j`.

    :math:`z_{ij}` is the flow from supplying sector :math:`i` to using sector :math:`j`,
    :math:`x_j` the gross output (total input) of :math:`j`: :math:`a_{ij}` is the input of
    :math:`i` per unit of :math:`j`'s output (Miller and Blair 2009, eq. 2.4).

    Parameters
    ----------
    Z : DataFrame
        Intermediate flows, sectors by sectors (same labels in rows and columns), >= 0.
    x : Series
        Gross output indexed by sector, > 0.

    Returns
    -------
    DataFrame
        :math:`A`, labelled like ``Z``.

    Raises
    ------
    ValueError
        On a non-square or mislabelled ``Z``, a negative flow, or output missing or <= 0
        (naming the sector).

    Examples
    --------
    Miller and Blair's (2009, section 2.3) two-sector example:

    >>> Z = pd.DataFrame([[150, 500], [200, 100]], index=["1", "2"], columns=["1", "2"])
    >>> technical_coefficients(Z, pd.Series({"1": 1000, "2": 2000})).to_numpy().tolist()
    [[0.15, 0.25], [0.2, 0.05]]
    """
    df = _square(Z, "Z")
    xj = _output(x, list(df.columns))
    return pd.DataFrame(df.to_numpy(float) / xj[None, :], index=df.index, columns=df.columns)


def leontief_inverse(A) -> pd.DataFrame:
    r"""Leontief inverse :math:`L = (I - A)^{-1}`.

    :math:`l_{ij}` is the output of :math:`i` needed, directly and indirectly, per unit of
    final demand for :math:`j` (Miller and Blair 2009, eq. 2.11).

    Parameters
    ----------
    A : DataFrame
        Technical coefficients, square, >= 0, with every column sum below one (a productive
        economy; otherwise the inverse is not non-negative).

    Returns
    -------
    DataFrame
        :math:`L`, labelled like ``A``.

    Raises
    ------
    ValueError
        On a negative coefficient, or a column sum of :math:`A` >= 1 (naming the sector).

    Examples
    --------
    >>> A = pd.DataFrame([[0.15, 0.25], [0.2, 0.05]])
    >>> leontief_inverse(A).round(4).to_numpy().tolist()
    [[1.2541, 0.33], [0.264, 1.1221]]
    """
    df = _square(A, "A")
    a = df.to_numpy(float)
    col = a.sum(axis=0)
    if (col >= 1).any():
        j = int(np.argmax(col >= 1))
        raise ValueError(f"A: inputs of sector {_py(df.columns[j])!r} sum to {col[j]:.6g} >= 1 per "
                         "unit of output: the economy is not productive")
    L = np.linalg.solve(np.eye(len(a)) - a, np.eye(len(a)))
    return pd.DataFrame(L, index=df.index, columns=df.columns)


def value_added_shares(Z, x, imports=None) -> pd.Series:
    r"""Value added per unit of output, :math:`v_j = 1 - \sum_i a_{ij} - m_j`.

    :math:`m_j` is the imported intermediate input of :math:`j` per unit of output (zero when
    ``imports`` is None, i.e. when ``Z`` holds all intermediate inputs). With the table's own
    value-added row, :math:`v_j = VA_j / x_j`; this function derives it from the balance
    :math:`x_j = \sum_i z_{ij} + z^M_j + VA_j`, so the two agree when the table balances.

    Parameters
    ----------
    Z : DataFrame
        Intermediate flows (domestic only when ``imports`` is given).
    x : Series
        Gross output by sector.
    imports : Series or None
        Imported intermediate inputs of each using sector (column sums of the import rows).

    Returns
    -------
    Series
        :math:`v_j`, indexed by sector, named ``value_added_share``.
    """
    df = _square(Z, "Z")
    xj = _output(x, list(df.columns))
    m = np.zeros(len(xj)) if imports is None else _output_nonneg(imports, list(df.columns))
    v = 1.0 - (df.to_numpy(float).sum(axis=0) + m) / xj
    return pd.Series(v, index=df.columns, name="value_added_share")


def _output_nonneg(s, sectors) -> np.ndarray:
    if not isinstance(s, pd.Series):
        raise TypeError("imports must be a Series indexed by sector")
    v = s.reindex(sectors).astype(float).to_numpy()
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        raise ValueError(f"imports: value of sector {_py(sectors[int(np.argmax(bad))])!r} must be "
                         "finite and >= 0")
    return v


def import_proportional_domestic(Z, imports_total, gross_output, exports) -> pd.DataFrame:
    r"""Domestic intermediate flows of a competitive-import table, by the proportionality rule.

    Tables that do not separate imports record each intermediate flow :math:`z_{ij}` as the
    total of domestic and imported product :math:`i`. Assuming every user of product
    :math:`i` imports the same share of it,

    .. math::

        \mu_i = \min\left(1, \frac{M_i}{x_i - e_i + M_i}\right), \qquad
        z^D_{ij} = (1 - \mu_i)\, z_{ij},

    with :math:`M_i` imports, :math:`e_i` exports and :math:`x_i` gross output of product
    :math:`i` (:math:`x_i - e_i + M_i` is its total domestic use). The imported part is
    :math:`\mu_i z_{ij}` (Miller and Blair 2009, section 2.6). Where re-exports make exports
    exceed output (China 2005, instruments: :math:`M_i/(x_i - e_i + M_i) = 1.14`), the share
    is capped at one: all of the product's intermediate use counts as imported.

    Parameters
    ----------
    Z : DataFrame
        Total intermediate flows.
    imports_total, gross_output, exports : Series
        :math:`M_i`, :math:`x_i`, :math:`e_i` indexed by sector (imports and exports >= 0).

    Returns
    -------
    DataFrame
        :math:`Z^D`, labelled like ``Z``.

    Raises
    ------
    ValueError
        When a sector's domestic use :math:`x_i - e_i + M_i` is not positive (named).
    """
    df = _square(Z, "Z")
    sectors = list(df.index)
    M = _output_nonneg(imports_total, sectors)
    e = _output_nonneg(exports, sectors)
    xi = _output(gross_output, sectors, "gross_output")
    use = xi - e + M
    if (use <= 0).any():
        k = int(np.argmax(use <= 0))
        raise ValueError(f"sector {_py(sectors[k])!r}: domestic use x - exports + imports = "
                         f"{use[k]:.6g} is not positive")
    mu = np.minimum(M / use, 1.0)
    return pd.DataFrame((1.0 - mu)[:, None] * df.to_numpy(float), index=df.index,
                        columns=df.columns)


def aggregate_flows(Z, x, mapping: Mapping) -> tuple[pd.DataFrame, pd.Series]:
    r"""Aggregate flows and output to coarser industries: :math:`Z^* = S Z S'`, :math:`x^* = S x`.

    :math:`S` is the 0/1 matrix assigning each sector to one industry. Coefficients of the
    aggregate, :math:`a^*_{IJ} = \sum_{i \in I, j \in J} z_{ij} / \sum_{j \in J} x_j`, are the
    output-weighted means of the sector columns (Miller and Blair 2009, section 4.3).

    Parameters
    ----------
    Z : DataFrame
        Flows, sectors by sectors.
    x : Series
        Gross output by sector.
    mapping : mapping
        Sector label -> industry label; must cover every sector of ``Z``.

    Returns
    -------
    (DataFrame, Series)
        Aggregated flows (industries in order of first appearance) and output.

    Raises
    ------
    ValueError
        When a sector of ``Z`` has no industry in ``mapping`` (named).
    """
    df = _square(Z, "Z")
    xj = _output(x, list(df.columns))
    missing = [s for s in df.index if s not in mapping]
    if missing:
        raise ValueError(f"mapping has no industry for sector(s) {missing[:5]!r}")
    ind = pd.Index([mapping[s] for s in df.index])
    order = list(dict.fromkeys(ind))
    S = pd.DataFrame((ind.to_numpy()[None, :] == np.array(order, dtype=object)[:, None]).astype(float),
                     index=order, columns=df.index)
    Zs = S.to_numpy() @ df.to_numpy(float) @ S.to_numpy().T
    xs = S.to_numpy() @ xj
    return (pd.DataFrame(Zs, index=order, columns=order), pd.Series(xs, index=order, name="x"))


def rasmussen_linkages(L) -> pd.DataFrame:
    r"""Rasmussen's (1956) backward and forward linkage indices of each sector.

    .. math::

        BL_j = \frac{\sum_i l_{ij}}{\frac{1}{n}\sum_{i,j} l_{ij}}, \qquad
        FL_i = \frac{\sum_j l_{ij}}{\frac{1}{n}\sum_{i,j} l_{ij}},

    the column sums (output multipliers) and row sums of the Leontief inverse, each over their
    mean: above one, the sector pulls on (backward) or is drawn on by (forward) the rest of the
    economy more than the average sector. Miller and Blair (2009, section 12.2) prefer the
    Ghosh inverse for forward linkages; the row-sum version is Rasmussen's own.

    Parameters
    ----------
    L : DataFrame
        Leontief inverse, square.

    Returns
    -------
    DataFrame
        Columns ``backward`` and ``forward``, indexed by sector (each averages one).
    """
    df = _as_frame(L, "L")
    l = df.to_numpy(float)
    mean = l.sum() / len(l)
    return pd.DataFrame({"backward": l.sum(axis=0) / mean, "forward": l.sum(axis=1) / mean},
                        index=df.columns)
