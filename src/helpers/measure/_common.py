"""Input checks shared by the measures: frames, vectors, weights, directions.

Every check raises a :class:`ValueError` that names the column, row or argument at fault.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

_SUM_TOL = 1e-8  # tolerance for "weights sum to one"


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
