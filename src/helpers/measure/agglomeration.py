r"""Industrial agglomeration of cities: location quotients and co-agglomeration of two industries.

This module never imports :mod:`helpers.simulate`: measurement never sees the truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import _align_pair, _as_frame, _as_vector, _py


def _city_totals(df: pd.DataFrame, e: np.ndarray, city_total) -> np.ndarray:
    """City total employment e_i: the row sums, or ``city_total`` checked against them."""
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
    return e_i


def _benchmark_employment(df: pd.DataFrame, e: np.ndarray, e_i: np.ndarray, benchmark,
                          benchmark_total) -> tuple[np.ndarray, float]:
    """Benchmark sector employment E_j (aligned to the columns of ``df``) and total E."""
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
    return E_j, E


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
    e_i = _city_totals(df, e, city_total)
    E_j, E = _benchmark_employment(df, e, e_i, benchmark, benchmark_total)
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
