r"""Regional inequality: the Theil T index with its between/within-group decomposition.

This module never imports :mod:`helpers.simulate`: measurement never sees the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import Result
from ._common import _as_vector, _py


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


def _aligned_to(y, x, name: str):
    """``x`` (groups or weights) in the order of the values ``y``: by label when both are Series."""
    if isinstance(x, pd.Series) and isinstance(y, pd.Series):
        if not x.index.equals(y.index):
            if set(x.index) != set(y.index) or x.index.has_duplicates:
                raise ValueError(f"{name} and values have different index labels")
            x = x.reindex(y.index)
        return x
    if len(x) != len(y):
        raise ValueError(f"{name} has {len(x)} entries but values has {len(y)}")
    return x


def _unit_groups(g, labels: pd.Index) -> pd.Series:
    """The group of each unit as a Series indexed by the unit labels (no group missing)."""
    # .array and a bare Categorical keep a categorical's order of groups
    g = pd.Series(g.array if isinstance(g, pd.Series) else
                  g if isinstance(g, pd.Categorical) else np.asarray(g), index=labels)
    if g.isna().any():
        raise ValueError(f"groups: missing group for unit {_py(g.index[g.isna()][0])!r}")
    return g


def _unit_weights(w, labels: pd.Index) -> np.ndarray:
    """Population weights as a float array, checked finite and positive (naming the unit)."""
    wv = np.asarray(_as_vector(w, "weights"), dtype=float)
    nonpos = wv <= 0
    if nonpos.any():
        raise ValueError(f"weights must be positive: unit {_py(labels[int(np.argmax(nonpos))])!r} "
                         f"has {float(wv[nonpos][0])!r}")
    return wv


def _group_table(s: np.ndarray, p: np.ndarray, g: pd.Series) -> pd.DataFrame:
    """One row per group: size, population and income shares, own Theil and the two terms."""
    rows = []
    for name, idx in g.groupby(g, observed=True, sort=True).indices.items():
        S, P = s[idx].sum(), p[idx].sum()
        T_g = _theil_terms(s[idx] / S, p[idx] / P)
        rows.append((name, len(idx), P, S, T_g, S * T_g, S * np.log(S / P)))
    return pd.DataFrame(rows, columns=["group", "n", "pop_share", "share", "theil_within",
                                       "contribution", "between_term"]).set_index("group")


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

    g = _unit_groups(_aligned_to(y, groups, "groups"), labels)
    wv = np.ones(n) if weights is None else _unit_weights(_aligned_to(y, weights, "weights"), labels)

    s = wv * yv / np.sum(wv * yv)
    p = wv / wv.sum()
    total = _theil_terms(s, p)
    by_group = _group_table(s, p, g)
    return TheilResult(total=total, between=float(by_group["between_term"].sum()),
                       within=float(by_group["contribution"].sum()), by_group=by_group,
                       weighted=weights is not None)
