"""The one within transformation (entity and time fixed effects) used by every estimator."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._prepare import as_list, codes, group_sums, prepare


class Absorb:
    """Within transformation for entity (and time) fixed effects, applied to any n x k array.

    Balanced two-way panels use the closed form x - xbar_i - xbar_t + xbar; unbalanced ones
    alternate entity and time demeaning until the means vanish (method of alternating
    projections, which converges to the two-way within transform). Rows may come in any order.
    """

    def __init__(self, entity_codes: np.ndarray, time_codes: np.ndarray | None = None):
        self.n = len(entity_codes)
        self.N = int(entity_codes.max()) + 1
        self.ec = np.asarray(entity_codes, dtype=np.intp)
        self.ce = np.bincount(self.ec, minlength=self.N).astype(float)
        self.tc = None
        self.balanced = False
        if time_codes is not None:
            self.T = int(time_codes.max()) + 1
            self.tc = np.asarray(time_codes, dtype=np.intp)
            self.ct = np.bincount(self.tc, minlength=self.T).astype(float)
            self.balanced = self.n == self.N * self.T and bool(np.all(self.ce == self.T))

    @classmethod
    def of(cls, d: pd.DataFrame, entity: str, time: str | None) -> Absorb:
        """The absorber for the entity (and time) columns of a prepared frame."""
        return cls(codes(d[entity])[0], None if time is None else codes(d[time])[0])

    @staticmethod
    def _means(g, c, X):
        """Group means of the rows of X (group sums by :func:`group_sums`, bit for bit the sparse
        product ``D.T @ X`` with D the n x G indicator matrix)."""
        return group_sums(g, X, len(c)) / c[:, None]

    def _demean(self, g, c, X):
        return X - self._means(g, c, X)[g]

    def __call__(self, X, tol: float = 1e-13, max_iter: int = 10_000) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        vec = X.ndim == 1
        X2 = X.reshape(self.n, -1)
        out = self._demean(self.ec, self.ce, X2)
        if self.tc is not None:
            if self.balanced:
                out = out - self._means(self.tc, self.ct, X2)[self.tc] + X2.mean(axis=0)
            else:
                scale = max(float(np.abs(X2).max()), 1.0)
                for _ in range(max_iter):
                    out = self._demean(self.tc, self.ct, out)
                    nxt = self._demean(self.ec, self.ce, out)
                    done = np.abs(nxt - out).max() <= tol * scale
                    out = nxt
                    if done:
                        break
                else:
                    warnings.warn("within: alternating projections did not converge", RuntimeWarning, stacklevel=2)
        return out.ravel() if vec else out


def within(df: pd.DataFrame, columns, *, entity: str = "city", time: str | None = "year") -> pd.DataFrame:
    r"""Within transformation: the columns net of entity (and time) fixed effects.

    For a balanced panel, :math:`\ddot x_{it} = x_{it} - \bar x_{i\cdot} - \bar x_{\cdot t} + \bar x`;
    for an unbalanced one, the same projection by alternating projections. ``time=None``
    removes entity means only. Returned in the row order of ``df``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"city": ["a", "a", "b", "b"], "year": [1, 2, 1, 2], "x": [1.0, 3.0, 2.0, 8.0]})
    >>> within(df, "x")["x"].tolist()
    [1.0, -1.0, -1.0, 1.0]
    """
    cols = as_list(columns, "columns")
    d = prepare(df, cols, entity, time, "within")
    ab = Absorb.of(d, entity, time)
    out = pd.DataFrame(ab(d[cols].to_numpy()), index=d.index, columns=cols)
    return out.loc[df.index]
