"""Two-stage least squares with fixed effects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import CoefficientResult, fmt_table
from ._inference import check_rank, coefficient_fields, ols, robust_cov, wald_F
from ._prepare import ENTITY, as_list, cluster_extra, codes, prepare, resolve_cluster
from ._within import Absorb


@dataclass(repr=False, kw_only=True)
class IVResult(CoefficientResult):
    """Two-stage least squares with fixed effects (see :func:`iv_2sls`).

    ``params``, ``std_errors``, ``pvalues``, ``cov`` (endogenous regressors, then controls);
    ``first_stage_F`` (Series by endogenous regressor: partial F of the excluded instruments,
    Wald form with the same covariance as the second stage); ``first_stage`` (coef, std err of
    each instrument, index (endogenous, instrument)).
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


def iv_2sls(df: pd.DataFrame, y: str, x, instruments, *, controls=(), entity: str = "city",
            time: str | None = "year", cluster=ENTITY) -> IVResult:
    r"""Two-stage least squares with city and year fixed effects, SE clustered by entity.

    All variables are within-transformed (which removes the fixed effects from both stages);
    then

    .. math:: y = x\beta + w'\gamma + e,\qquad x = z'\pi + w'\delta + v,

    with instruments z excluded from the outcome equation:
    :math:`\hat\beta = (\hat X' X)^{-1}\hat X' y` with :math:`\hat X` the first-stage fitted
    values (controls are their own instruments). The covariance is the cluster-robust one of
    :mod:`helpers.models` (factor G/(G-1)) with :math:`\hat X` in place of X. The first-stage
    partial F statistic of the excluded instruments is reported (a rule of thumb asks for
    more than 10).

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

    Returns
    -------
    IVResult
    """
    cluster = resolve_cluster(cluster, entity)
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
    cov, G = robust_cov(Xh, yw[:, 0] - X @ beta, groups, bread)
    return IVResult(**coefficient_fields(beta, cov, xs + cs), nobs=len(d), n_clusters=int(G),
                    cov_type="robust" if cluster is None else f"clustered by {cluster}",
                    first_stage_F=F, first_stage=first, endogenous=xs, instruments=zs, dependent=y)
