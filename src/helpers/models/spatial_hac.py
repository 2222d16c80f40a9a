r"""Spatial-HAC (Conley 1999) standard errors for the fixed-effects regression: a check for the
spatial models.

The spatial Durbin model (:func:`helpers.models.spatial_durbin_panel`) models the dependence
between cities; the fixed-effects regression's cluster-robust errors assume none between
cities. :func:`conley_fe` keeps the FE estimate and lets the scores of cities within
``cutoff_km`` of each other be correlated in the same year (and, with ``lags``, a city's scores
across nearby years):

.. math::
    \hat V = (X'X)^{-1}\Big(\sum_{a,b} w_{ab}\, \hat s_a \hat s_b'\Big)(X'X)^{-1},\qquad
    \hat s_a = \ddot x_a \hat u_a,

over city-years a = (i, t), b = (j, s), with X the within-transformed regressors and

- :math:`w_{ab} = K(d_{ij})` when s = t: ``kernel="uniform"`` :math:`K = 1(d \le c)`
  (Conley 1999's and Hsiang 2010's default), ``"bartlett"`` :math:`K = \max(0, 1 - d/c)`;
- :math:`w_{ab} = 1 - |t - s|/(L + 1)` when i = j and 0 < |t - s| <= L = ``lags`` (Newey-West
  within a city);
- 0 otherwise. No small-sample factor; normal reference.

Two closed forms check it (``tests/test_spatial_hac.py``): with cutoff 0 and no lags every
weight is 1(a = b), the heteroskedasticity-robust HC0; with an infinite cutoff and no lags
every pair in a year has weight 1, the sandwich clustered by year without G/(G-1).
No maintained PyPI package computes Conley errors for a fixed-effects panel (pyfixest 0.60 and
linearmodels 7.1 have none), hence this small function.

References
----------
Conley, T. G. (1999). GMM estimation with cross sectional dependence. J. Econometrics 92, 1-45.
Hsiang, S. M. (2010). Temperatures and cyclones strongly associated with economic production in
the Caribbean and Central America. PNAS 107(35), 15367-15372 (its spatial-HAC code's conventions).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._results import as_list
from ._inference import check_rank, coefficient_fields
from ._prepare import prepare
from ._within import Absorb
from .panel import PanelFEResult

KERNELS = ("uniform", "bartlett")


def _kernel(dist: np.ndarray, cutoff: float, kernel: str) -> np.ndarray:
    if kernel == "uniform" or cutoff == 0:
        return (dist <= cutoff).astype(float)
    return np.clip(1.0 - dist / cutoff, 0.0, None)


def conley_meat(scores: np.ndarray, ent: np.ndarray, per: np.ndarray, dist: np.ndarray, cutoff: float, *,
                lags: int = 0, kernel: str = "uniform") -> np.ndarray:
    """The middle of the Conley sandwich: sum over weighted pairs of scores (module notes).

    scores: n x k; ent, per: integer codes of each row's entity (rows of ``dist``) and period
    (0..T-1, consecutive periods one apart); dist: entity x entity distances."""
    k = scores.shape[1]
    meat = np.zeros((k, k))
    for t in np.unique(per):   # spatial part: pairs within a period
        rows = np.flatnonzero(per == t)
        S = scores[rows]
        meat += S.T @ _kernel(dist[np.ix_(ent[rows], ent[rows])], cutoff, kernel) @ S
    if lags:                   # serial part: a city with itself in other periods (Bartlett)
        pos = np.full((dist.shape[0], int(per.max()) + 1), -1)
        pos[ent, per] = np.arange(len(ent))
        for lag in range(1, int(lags) + 1):
            a, b = pos[:, :-lag].ravel(), pos[:, lag:].ravel()
            ok = (a >= 0) & (b >= 0)
            C = scores[a[ok]].T @ scores[b[ok]]
            meat += (1 - lag / (lags + 1)) * (C + C.T)
    return meat


def conley_fe(df: pd.DataFrame, y: str, x, *, distances: pd.DataFrame, cutoff_km: float, controls=(),
              entity: str = "city", time: str | None = "year", lags: int = 0,
              kernel: str = "uniform") -> PanelFEResult:
    """Fixed-effects regression (as :func:`helpers.models.panel_fe`) with Conley spatial-HAC errors.

    Parameters
    ----------
    df, y, x, controls, entity, time
        As in :func:`helpers.models.panel_fe` (two-way effects by default).
    distances : DataFrame
        Entity x entity distances in km, labelled by the entity values
        (:func:`helpers.data.distance_matrix` for Guangdong's city seats).
    cutoff_km : float
        Distance within which the scores of two cities in the same year may be correlated
        (0: none, HC0; ``np.inf``: all, clustered by year).
    lags : int
        Periods over which a city's own scores may be correlated (Bartlett weights).
    kernel : {"uniform", "bartlett"}
        Weight of a pair at distance d within the cutoff.

    Returns
    -------
    PanelFEResult
        ``inference`` names the cutoff, kernel and lags; ``n_clusters`` is the number of
        entities (no clustering is used).
    """
    if kernel not in KERNELS:
        raise ValueError(f"conley_fe: kernel must be one of {KERNELS}, got {kernel!r}")
    if not cutoff_km >= 0:
        raise ValueError(f"conley_fe: cutoff_km must be >= 0, got {cutoff_km!r}")
    if int(lags) != lags or lags < 0:
        raise ValueError(f"conley_fe: lags must be a non-negative integer, got {lags!r}")
    xs, cs = as_list(x, "x"), as_list(controls, "controls")
    regs = xs + cs
    d = prepare(df, [y, *regs], entity, time, "conley_fe")
    missing = sorted(set(d[entity]) - set(distances.index) | set(d[entity]) - set(distances.columns), key=str)
    if missing:
        raise ValueError(f"conley_fe: {entity} {missing[0]!r} has no row or column in the distances")
    ab = Absorb.of(d, entity, time)
    X, yw = ab(d[regs].to_numpy()), ab(d[y].to_numpy())
    check_rank(X, regs, "conley_fe")
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ (X.T @ yw)
    u = yw - X @ beta
    labels = pd.Index(pd.unique(d[entity]))
    ent = labels.get_indexer(d[entity])
    per = np.zeros(len(d), dtype=int) if time is None else pd.factorize(d[time], sort=True)[0]
    dist = distances.loc[labels, labels].to_numpy(dtype=float)
    cov = bread @ conley_meat(X * u[:, None], ent, per, dist, float(cutoff_km), lags=int(lags), kernel=kernel) @ bread
    if np.any(np.diag(cov) <= 0):
        raise ValueError("conley_fe: the uniform kernel gave a variance <= 0 (its weight matrix is not positive "
                         "semi-definite); use kernel='bartlett' or another cutoff")
    label = f"Conley spatial HAC ({cutoff_km:g} km, {kernel} kernel, {int(lags)} lags)"
    return PanelFEResult(**coefficient_fields(beta, cov, regs, None, f"{label}, normal"), nobs=len(d),
                         n_clusters=len(labels), rsquared_within=float(1 - (u @ u) / (yw @ yw)), wild_p=None,
                         effects="entity + time" if time is not None else "entity", cov_type=label, dependent=y)
