"""Input preparation and validation shared by every estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from .._results import MissingColumnError, as_list, require_columns

__all__ = ["ENTITY", "MissingColumnError", "as_list", "cluster_extra", "codes", "indicator", "prepare",
           "require_balanced", "require_columns", "resolve_cluster"]


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


def _check_numeric(d: pd.DataFrame, cols, entity, time, name) -> None:
    """Convert ``cols`` to float in place; a ValueError names the first bad entity-time-column."""
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
        d[c] = v


def prepare(df, cols, entity, time, name, extra=()) -> pd.DataFrame:
    """A checked copy of the columns an estimator uses, sorted by entity (then time).

    Raises :class:`MissingColumnError` (a KeyError and a ValueError) for an absent column and a
    ValueError naming the entity, time and column of the first missing, infinite or
    non-numeric value or duplicate entity-time pair.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name}: data must be a pandas DataFrame, got {type(df).__name__}")
    dup = [c for c in cols if list(cols).count(c) > 1]
    if dup:
        raise ValueError(f"{name}: column {dup[0]!r} is used twice (as outcome, regressor or control)")
    keys = [c for c in (entity, time, *extra) if c is not None]
    need = list(dict.fromkeys(keys + list(cols)))
    require_columns(df, need, name)
    d = df[need].copy()
    for k in keys:
        if d[k].isna().any():
            raise ValueError(f"{name}: row {d.index[np.flatnonzero(d[k].isna())[0]]} has no {k}")
    _check_numeric(d, cols, entity, time, name)
    if entity is not None and time is not None:
        dupl = d.duplicated([entity, time]).to_numpy()
        if dupl.any():
            i = int(np.flatnonzero(dupl)[0])
            raise ValueError(f"{name}: {_where(d, i, entity, time)} appears more than once")
    order = [c for c in (entity, time) if c is not None]
    if order:
        d = d.sort_values(order, kind="stable")
    return d


def codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes 0..G-1 of a key column (sorted), and the unique values."""
    c, uniques = pd.factorize(s, sort=True)
    return c.astype(np.intp), pd.Index(uniques)


def indicator(c: np.ndarray, n_groups: int) -> sparse.csr_matrix:
    """Sparse n x G matrix of group membership."""
    n = len(c)
    return sparse.csr_matrix((np.ones(n), (np.arange(n), c)), shape=(n, n_groups))


def require_balanced(d, entity, time, name) -> int:
    """Number of periods of a balanced panel; else a ValueError naming the short entity."""
    counts = d.groupby(entity, sort=True).size()
    T = int(counts.max())
    if (counts < T).any():
        short = counts[counts < T]
        raise ValueError(f"{name}: needs a balanced panel; {entity} {short.index[0]} has {int(short.iloc[0])} "
                         f"of {T} periods" + (f" (and {len(short) - 1} more entities are short)" if len(short) > 1 else ""))
    if time is not None and d.groupby(time).size().nunique() != 1:
        raise ValueError(f"{name}: needs a balanced panel; entities cover different {time} values")
    return T
