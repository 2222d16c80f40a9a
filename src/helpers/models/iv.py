"""Two-stage least squares with fixed effects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import CoefficientResult, fmt_table
from . import _few_clusters as fc
from ._inference import check_rank, coefficient_fields, ols, robust_cov, wald_F
from ._prepare import ENTITY, as_list, cluster_extra, codes, prepare, resolve_cluster
from ._within import Absorb


@dataclass(repr=False, kw_only=True)
class IVResult(CoefficientResult):
    """Two-stage least squares with fixed effects (see :func:`iv_2sls`).

    ``params``, ``std_errors``, ``pvalues``, ``cov`` (endogenous regressors, then controls),
    ``df_resid`` and ``inference`` (see :func:`iv_2sls`); ``first_stage_F`` (Series by
    endogenous regressor: partial F of the excluded instruments, Wald form with the
    cluster-robust CRV1 covariance, or the robust one without clusters); ``first_stage`` (coef,
    std err (CRV1) of each instrument, index (endogenous, instrument)).
    """

    nobs: int
    n_clusters: int
    cov_type: str
    first_stage_F: pd.Series
    first_stage: pd.DataFrame
    endogenous: list
    instruments: list
    dependent: str

    def _title(self) -> str:
        F = ", ".join(f"{k} {v:.2f}" for k, v in self.first_stage_F.items())
        return (f"2SLS of {self.dependent} with fixed effects: {self.nobs} obs, SE {self.cov_type}; endogenous "
                f"{self.endogenous}, instruments {self.instruments}; first-stage partial F: {F}")

    def _notes(self) -> list[str]:
        return ["", "first stage", fmt_table(self.first_stage)]


def _first_stage(Xz: np.ndarray, xw: np.ndarray, xs, zs, groups):
    """Each endogenous regressor on instruments and controls: fitted values, the instruments'
    coefficients and standard errors, and the partial F of the instruments."""
    rows, F, fitted = {}, {}, []
    q = len(zs)
    for j, e in enumerate(xs):
        b, V, _, _ = ols(Xz, xw[:, j], groups)
        fitted.append(Xz @ b)
        rows[e] = pd.DataFrame({"coef": b[:q], "std err": np.sqrt(np.diag(V)[:q])}, index=zs)
        F[e] = wald_F(b[:q], V[:q, :q])
    return np.column_stack(fitted), pd.concat(rows), pd.Series(F, name="first_stage_F")


def _iv_beta(d: pd.DataFrame, y: str, xs, zs, cs, entity: str, time) -> np.ndarray:
    """The 2SLS estimate on ``d`` (fixed effects absorbed): a refit of the jackknife."""
    ab = Absorb.of(d, entity, time)
    yw, xw, zw = (ab(d[c].to_numpy()) for c in ([y], xs, zs))
    cw = ab(d[cs].to_numpy()) if cs else np.empty((len(d), 0))
    X, Z = np.column_stack([xw, cw]), np.column_stack([zw, cw])
    Xh = Z @ np.linalg.lstsq(Z, X, rcond=None)[0]
    if np.linalg.matrix_rank(Xh) < X.shape[1]:
        raise fc.CRV3Undefined(f"iv_2sls: vcov='CRV3': leaving one cluster out leaves {xs + cs} unidentified")
    return np.linalg.solve(Xh.T @ X, Xh.T @ yw[:, 0])


def _iv_crv3(d, y, xs, zs, cs, entity, time, cluster, groups, beta, ab) -> np.ndarray:
    """CRV3 of 2SLS: leave-one-cluster-out 2SLS with the first stage re-estimated, in closed
    form (:func:`helpers.models._few_clusters.jackknife_2sls`) when clusters contain whole
    entities, else by G refits. ``ab``: the :class:`Absorb` of ``d``."""
    n_time = 0 if time is None else ab.T   # the number of distinct periods
    if fc.nested(d, entity, cluster) and n_time <= fc.MAX_DUMMIES:
        M = fc.design(d, [y, *xs, *zs, *cs], entity, time, ab)
        return fc.jackknife_2sls(M, len(xs), len(zs), 1 + len(xs) + len(zs) + len(cs), groups, d[cluster],
                                 [*xs, *cs], "iv_2sls", cluster)[0]
    return fc.refit_jackknife(d, groups, beta, lambda dg: _iv_beta(dg, y, xs, zs, cs, entity, time))


def iv_2sls(df: pd.DataFrame, y: str, x, instruments, *, controls=(), entity: str = "city",
            time: str | None = "year", cluster=ENTITY, vcov: str = "auto") -> IVResult:
    r"""Two-stage least squares with city and year fixed effects, SE clustered by entity.

    All variables are within-transformed (which removes the fixed effects from both stages);
    then

    .. math:: y = x\beta + w'\gamma + e,\qquad x = z'\pi + w'\delta + v,

    with instruments z excluded from the outcome equation:
    :math:`\hat\beta = (\hat X' X)^{-1}\hat X' y` with :math:`\hat X` the first-stage fitted
    values (controls are their own instruments). The default ``vcov="auto"`` reads it with
    the cluster jackknife CRV3 (leave one cluster out, first stage re-estimated; Young 2022)
    against t(G - 1) below 50 clusters, and with the cluster-robust sandwich of
    :mod:`helpers.models` (factor G/(G-1), :math:`\hat X` in place of X) against the normal
    otherwise: with 21 clusters the CRV1 normal interval of a correctly specified 2SLS covers
    about 90% (``helpers.studies.coverage``). The first-stage partial F statistic of the
    excluded instruments (CRV1 Wald form) is reported (a rule of thumb asks for more than 10).

    Parameters
    ----------
    df : DataFrame
    y : str
    x : str or list of str
        Endogenous regressor(s).
    instruments : str or list of str
    controls : str or list of str
    entity, time, cluster
        As in :func:`panel_fe` (``cluster`` defaults to the entity column).
    vcov : {"auto", "CRV1", "CRV3", "iid"}
        As in :func:`panel_fe`: "auto" is CRV3 with t(G - 1) below 50 clusters, else CRV1
        (normal); "iid" is s^2 (Xh'Xh)^-1 with s^2 = u'u / (n - k - N - T + 1), t reference.

    References
    ----------
    Young, A. (2022). Consistency without inference: instrumental variables in practical
    application. European Economic Review 147, 104112.

    Returns
    -------
    IVResult
    """
    cluster = resolve_cluster(cluster, entity)
    vcov = fc.resolve_vcov(vcov, ("CRV1", "CRV3", "iid"), "iv_2sls", cluster is not None)
    xs, zs, cs = as_list(x, "x"), as_list(instruments, "instruments"), as_list(controls, "controls")
    if len(zs) < len(xs):
        raise ValueError(f"iv_2sls: {len(xs)} endogenous regressor(s) need at least as many instruments, got {len(zs)}")
    d = prepare(df, [y, *xs, *zs, *cs], entity, time, "iv_2sls", extra=cluster_extra(cluster, entity))
    ab = Absorb.of(d, entity, time)
    yw, xw, zw = (ab(d[c].to_numpy()) for c in ([y], xs, zs))
    cw = ab(d[cs].to_numpy()) if cs else np.empty((len(d), 0))
    Xz = np.column_stack([zw, cw]) if cs else zw
    check_rank(Xz, zs + cs, "iv_2sls")
    groups = None if cluster is None else codes(d[cluster])[0]
    xhat, first, F = _first_stage(Xz, xw, xs, zs, groups)
    X = np.column_stack([xw, cw]) if cs else xw
    Xh = np.column_stack([xhat, cw]) if cs else xhat
    bread = np.linalg.inv(Xh.T @ Xh)  # = (Xh'X)^-1: Xh is X projected on the instruments
    beta = bread @ (Xh.T @ yw[:, 0])
    u = yw[:, 0] - X @ beta
    cov, G = robust_cov(Xh, u, groups, bread)
    kind, dfree, note = fc.choose(vcov, G, cluster is not None), None, ""
    if kind == "CRV3":
        cov, kind, dfree, note = fc.crv3_or_fallback(
            vcov, lambda: _iv_crv3(d, y, xs, zs, cs, entity, time, cluster, groups, beta, ab), cov, G)
    elif kind == "iid":
        dfree = float(len(d) - X.shape[1] - d[entity].nunique() - (0 if time is None else d[time].nunique() - 1))
        if dfree < 1:
            raise ValueError(f"iv_2sls: vcov='iid' has no residual degrees of freedom (n = {len(d)})")
        cov = (u @ u) / dfree * bread
    cov_type = "classical (iid)" if kind == "iid" else "robust" if cluster is None else (
        f"clustered by {cluster}" + (" (CRV3 jackknife)" if kind == "CRV3" else ""))
    return IVResult(**coefficient_fields(beta, cov, xs + cs, dfree, fc.describe(kind, cluster, G, dfree, note)),
                    nobs=len(d), n_clusters=int(G), cov_type=cov_type,
                    first_stage_F=F, first_stage=first, endogenous=xs, instruments=zs, dependent=y)
