r"""Inference helpers: least squares and the one cluster-robust covariance.

Every clustered standard error of :mod:`helpers.models` uses

.. math::
    \hat V = \frac{G}{G-1}\,(X'X)^{-1}\Big(\sum_g X_g'\hat u_g \hat u_g' X_g\Big)(X'X)^{-1},

with G clusters: the cluster-count correction only (no (n-1)/(n-k) factor, no count of
absorbed fixed effects). Without clustering (``cluster=None``) every observation is its own
cluster, which gives the heteroskedasticity-robust HC0 matrix times n/(n-1). Two-stage least
squares uses the same formula with the first-stage fitted regressors in X.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ._prepare import group_sums


def robust_cov(H: np.ndarray, u: np.ndarray, groups: np.ndarray | None, bread: np.ndarray) -> tuple[np.ndarray, int]:
    """Cluster-robust covariance ``G/(G-1) bread (sum_g s_g s_g') bread`` with scores s = H u.

    Returns the covariance and the number of clusters G (n when ``groups`` is None).
    """
    scores = H * u[:, None]
    if groups is None:
        G = len(u)
    else:
        G = int(groups.max()) + 1
        scores = group_sums(groups, scores, G)   # = indicator(groups, G).T @ scores, bit for bit
    if G < 2:
        raise ValueError("clustered standard errors need at least two clusters")
    meat = scores.T @ scores
    return G / (G - 1) * bread @ meat @ bread, G


def check_rank(X: np.ndarray, names: list[str], name: str, why: str = "once the fixed effects are removed") -> None:
    """A ValueError naming the first regressor that is collinear with the others (or zero)."""
    for j in range(1, X.shape[1] + 1):
        if np.linalg.matrix_rank(X[:, :j]) < j:
            raise ValueError(f"{name}: regressor {names[j - 1]!r} is collinear with the others {why}")


def ols(X: np.ndarray, y: np.ndarray, groups: np.ndarray | None):
    """Least squares with the cluster-robust covariance: (beta, cov, residuals, G)."""
    XtXi = np.linalg.inv(X.T @ X)
    beta = XtXi @ (X.T @ y)
    u = y - X @ beta
    cov, G = robust_cov(X, u, groups, XtXi)
    return beta, cov, u, G


def normal_pvalues(params: pd.Series, std_errors: pd.Series, df: float | None = None) -> pd.Series:
    """Two-sided p-values against the standard normal (``df`` given: Student t(df))."""
    t = np.abs((params / std_errors).to_numpy(dtype=float))
    # ndtr(-t) is stats.norm.sf(t) bit for bit and stdtr(df, -t) is stats.t.sf(t, df), both
    # without scipy.stats' argument handling (this runs for every fit of every twin)
    p = special.ndtr(-t) if df is None else special.stdtr(df, -t)
    return pd.Series(2 * p, index=params.index, name="p")


def coefficient_fields(beta: np.ndarray, cov: np.ndarray, names: list[str], df: float | None = None,
                       inference: str = "") -> dict:
    """``params``, ``std_errors``, ``pvalues`` (normal, or t(df)), ``cov``, ``df_resid`` and
    ``inference`` labelled by ``names``."""
    params = pd.Series(beta, index=names, name="coef")
    se = pd.Series(np.sqrt(np.diag(cov)), index=names, name="std err")
    return {"params": params, "std_errors": se, "pvalues": normal_pvalues(params, se, df),
            "cov": pd.DataFrame(cov, index=names, columns=names), "df_resid": df, "inference": inference}


def wald_F(b: np.ndarray, V: np.ndarray) -> float:
    """Wald statistic divided by the number of restrictions: b' V^-1 b / q."""
    return float(b @ np.linalg.solve(V, b) / len(b))
