"""Input preparation and validation shared by every estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from .._results import MissingColumnError, as_list, require_columns

__all__ = ["ENTITY", "MissingColumnError", "as_list", "cluster_extra", "codes", "group_sums", "indicator",
           "prepare", "require_balanced", "require_columns", "resolve_cluster"]


class _EntityDefault:
    """Default of ``cluster``: the entity column, whatever it is called."""

    def __repr__(self) -> str:
        return "ENTITY"


#: ``cluster=ENTITY`` (the default) clusters by the ``entity`` column.
ENTITY = _EntityDefault()


def resolve_cluster(cluster, entity):
    """The cluster column: the entity for the default ``ENTITY``, ``None`` for no clustering."""
    return entity if cluster is ENTITY else cluster


def cluster_extra(cluster, entity) -> tuple:
    """Key columns to keep besides entity and time: the cluster when it is another column."""
    return () if cluster in (None, entity) else (cluster,)


def _where(d: pd.DataFrame, pos: int, entity, time) -> str:
    """'city Shantou, year 2016' for the row at position ``pos`` (labels may repeat)."""
    parts = [] if entity is None else [f"{entity} {d[entity].iat[pos]}"]
    if time is not None:
        parts.append(f"{time} {d[time].iat[pos]}")
    return ", ".join(parts) or f"row {d.index[pos]}"


def _check_numeric(d: pd.DataFrame, cols, entity, time, name) -> dict:
    """``cols`` as float arrays {column: array}; a ValueError names the first bad entity-time-column."""
    out = {}
    for c in cols:
        s = d[c]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise ValueError(f"{name}: column {c!r} is not numeric (dtype {s.dtype})")
        v = s.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(v)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name}: {_where(d, i, entity, time)}: column {c!r} is missing or infinite "
                             f"({s.iat[i]!r}); drop or fill such rows first")
        out[c] = v
    return out


def _sorted_unique(keys: list) -> bool:
    """True when rows are in ascending order of the keys (strictly in the last one within ties
    of the first) by direct comparison of neighbours: no hashing. False (undecided) for
    categorical keys, whose order is their categories', and for values that do not compare."""
    if any(isinstance(k.dtype, pd.CategoricalDtype) for k in keys):
        return False
    v = [k.to_numpy() for k in keys]
    if len(v[0]) < 2:
        return True
    try:
        if len(v) == 1:
            return bool(np.all(v[0][1:] >= v[0][:-1]))
        e, t = v
        return bool(np.all((e[1:] > e[:-1]) | ((e[1:] == e[:-1]) & (t[1:] > t[:-1]))))
    except TypeError:
        return False


def _sort_order(d: pd.DataFrame, order: list) -> tuple[np.ndarray | None, bool]:
    """Positions that sort ``d`` by ``order`` (None when it is sorted already), and whether two
    rows share every key of ``order``.

    The order of ``d.sort_values(order, kind="stable")``: each key is ranked by
    :func:`pandas.factorize` with ``sort=True`` (the sort order of its values) and the ranks are
    sorted lexicographically by the stable :func:`numpy.lexsort`. Most estimators receive data
    sorted by entity and time already; then no row is moved.
    """
    if _sorted_unique([d[c] for c in order]):
        return None, False
    ranks = [pd.factorize(d[c], sort=True)[0].astype(np.int64) for c in order]
    if len(ranks) == 1:   # one key: ties are rows of one entity, kept in their order
        r = ranks[0]
        return (None if bool(np.all(r[1:] >= r[:-1])) else np.argsort(r, kind="stable")), False
    key = ranks[0] * (int(ranks[1].max(initial=-1)) + 1) + ranks[1]
    if bool(np.all(key[1:] > key[:-1])):
        return None, False
    pos = np.argsort(key, kind="stable")
    sk = key[pos]
    return pos, bool(np.any(sk[1:] == sk[:-1]))


def prepare(df, cols, entity, time, name, extra=()) -> pd.DataFrame:
    """A checked copy of the columns an estimator uses, sorted by entity (then time).

    Raises :class:`MissingColumnError` (a KeyError and a ValueError) for an absent column and a
    ValueError naming the entity, time and column of the first missing, infinite or
    non-numeric value or duplicate entity-time pair. The copy carries no ``attrs`` (pandas
    deep-copies them on every later operation, and no estimator reads them).
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name}: data must be a pandas DataFrame, got {type(df).__name__}")
    dup = [c for c in cols if list(cols).count(c) > 1]
    if dup:
        raise ValueError(f"{name}: column {dup[0]!r} is used twice (as outcome, regressor or control)")
    keys = [c for c in (entity, time, *extra) if c is not None]
    need = list(dict.fromkeys(keys + list(cols)))
    require_columns(df, need, name)
    view = pd.DataFrame(df, copy=False)   # the caller's data without attrs (nothing copied yet)
    # one column at a time when names are unique (no copy of the whole selection)
    d = view[need] if view.columns.has_duplicates else view
    for k in keys:
        miss = pd.isna(d[k].to_numpy())
        if miss.any():
            raise ValueError(f"{name}: row {d.index[np.flatnonzero(miss)[0]]} has no {k}")
    values = _check_numeric(d, cols, entity, time, name)
    d = pd.DataFrame({c: values[c] if c in values else d[c] for c in need}, index=d.index)
    order = [c for c in (entity, time) if c is not None]
    if not order:
        return d
    pos, repeated = _sort_order(d, order)
    if repeated and len(order) == 2:   # name the first repeated pair in the caller's row order
        i = int(np.flatnonzero(d.duplicated(order).to_numpy())[0])
        raise ValueError(f"{name}: {_where(d, i, entity, time)} appears more than once")
    return d if pos is None else d.take(pos)


def codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes 0..G-1 of a key column (sorted), and the unique values.

    A column of labels that is sorted already (the entity column of :func:`prepare`'s output)
    is coded by counting the changes between neighbours: the codes and uniques of
    ``pandas.factorize(s, sort=True)`` without hashing every label again.
    """
    v = s.to_numpy()
    if v.dtype == object and len(v) > 1:
        try:   # NaN compares False and None raises: both take the general path
            sorted_ = bool(np.all(v[1:] >= v[:-1]))
        except TypeError:
            sorted_ = False
        if sorted_:
            new = np.empty(len(v), dtype=bool)
            new[0] = True
            np.not_equal(v[1:], v[:-1], out=new[1:])
            return np.cumsum(new, dtype=np.intp) - 1, pd.Index(v[new])
    c, uniques = pd.factorize(s, sort=True)
    return c.astype(np.intp), pd.Index(uniques)


def indicator(c: np.ndarray, n_groups: int) -> sparse.csr_matrix:
    """Sparse n x G matrix of group membership."""
    n = len(c)
    return sparse.csr_matrix((np.ones(n), (np.arange(n), c)), shape=(n, n_groups))


def group_sums(c: np.ndarray, X: np.ndarray, n_groups: int) -> np.ndarray:
    """Sums of the rows of ``X`` by group, ``indicator(c, n_groups).T @ X``, bit for bit.

    :func:`numpy.bincount` adds the rows in the order they come, as the sparse product does, so
    both give the same floating-point sums; it costs a tenth of building the sparse matrix.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        return np.bincount(c, weights=X, minlength=n_groups)
    out = np.empty((n_groups, X.shape[1]))
    for j in range(X.shape[1]):
        out[:, j] = np.bincount(c, weights=X[:, j], minlength=n_groups)
    return out


def _balanced_periods(d, entity, time) -> int | None:
    """Rows per entity when every entity (and every period) has as many rows as the others, by
    counting key codes (two estimators check every twin); None otherwise, or when a key is
    missing or does not sort: :func:`require_balanced` then names the culprit."""
    try:
        keys = [codes(d[k])[0] for k in (entity, time) if k is not None]
    except TypeError:
        return None
    if len(d) == 0 or any(k.min() < 0 for k in keys):
        return None
    counts = [np.bincount(k) for k in keys]
    return int(counts[0][0]) if all((c == c[0]).all() for c in counts) else None


def require_balanced(d, entity, time, name) -> int:
    """Number of periods of a balanced panel; else a ValueError naming the short entity."""
    T = _balanced_periods(d, entity, time)
    if T is not None:
        return T
    counts = d.groupby(entity, sort=True).size()
    T = int(counts.max())
    if (counts < T).any():
        short = counts[counts < T]
        raise ValueError(f"{name}: needs a balanced panel; {entity} {short.index[0]} has {int(short.iloc[0])} "
                         f"of {T} periods" + (f" (and {len(short) - 1} more entities are short)" if len(short) > 1 else ""))
    if time is not None and d.groupby(time).size().nunique() != 1:
        raise ValueError(f"{name}: needs a balanced panel; entities cover different {time} values")
    return T
