"""Fixed-effects regression with cluster-robust errors and a wild cluster bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import CoefficientResult
from . import _few_clusters as fc
from ._boot import chunks, single_threaded
from ._compat import renamed
from ._inference import check_rank, coefficient_fields, ols
from ._prepare import ENTITY, as_list, cluster_extra, codes, indicator, prepare, resolve_cluster
from ._within import Absorb


@dataclass(repr=False, kw_only=True)
class PanelFEResult(CoefficientResult):
    """Fixed-effects regression (see :func:`panel_fe`).

    Attributes
    ----------
    params, std_errors, pvalues, cov
        By regressor (x, then controls); see :class:`helpers.models.CoefficientResult`.
    nobs, n_clusters : int
    rsquared_within : float
        R-squared of the within-transformed regression.
    wild_p : Series or None
        Wild cluster bootstrap p-values (restricted, Rademacher) for the regressors in ``x``.
    effects : str
        "entity + time" or "entity".
    cov_type : str
        "clustered by <column>" or "robust".
    dependent : str
    """

    nobs: int
    n_clusters: int
    rsquared_within: float
    wild_p: pd.Series | None
    effects: str
    cov_type: str
    dependent: str

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        t = super().to_frame(level)
        if self.wild_p is not None:
            t["wild p"] = self.wild_p
        return t

    def _title(self) -> str:
        return (f"Fixed effects ({self.effects}) regression of {self.dependent}: {self.nobs} obs, "
                f"{self.n_clusters} clusters, SE {self.cov_type}, within R2 {self.rsquared_within:.4f}")


def _wild_cluster_p(X: np.ndarray, yv: np.ndarray, groups: np.ndarray, cols, B: int, rng) -> np.ndarray:
    """Restricted wild cluster bootstrap (WCR, Rademacher) p-values of H0: beta_k = 0.

    X and y are already within-transformed. For each tested k: fit the model without column k
    (the null imposed), flip the restricted residuals cluster by cluster, re-estimate, and
    compare |t*| with the observed |t| (Cameron, Gelbach & Miller 2008). The cluster-robust
    variance is used without its small-sample factor: the factor cancels in the comparison.
    """
    n, p = X.shape
    G = int(groups.max()) + 1
    Dg = indicator(groups, G)
    XtXi = np.linalg.inv(X.T @ X)
    beta = XtXi @ (X.T @ yv)
    u = yv - X @ beta
    out = []
    for k in cols:
        h = X @ XtXi[:, k]  # beta_k = h' y
        t0 = beta[k] / np.sqrt(np.sum((Dg.T @ (h * u)) ** 2))
        Xr = np.delete(X, k, axis=1)
        fit_r = Xr @ np.linalg.lstsq(Xr, yv, rcond=None)[0] if Xr.shape[1] else np.zeros(n)
        u_r = yv - fit_r
        exceed = 0
        for _, b in chunks(B):
            v = rng.choice(np.array([-1.0, 1.0]), size=(G, b))
            Ys = fit_r[:, None] + u_r[:, None] * v[groups]
            bk = h @ Ys
            Us = Ys - X @ (XtXi @ (X.T @ Ys))
            se = np.sqrt(np.sum(np.asarray(Dg.T @ (h[:, None] * Us)) ** 2, axis=0))
            exceed += int(np.sum(np.abs(bk / se) >= abs(t0)))
        out.append(exceed / B)
    return np.array(out)


def _fe_beta(d: pd.DataFrame, y: str, regs: list, entity: str, time) -> np.ndarray:
    """The within estimate on ``d`` (a refit of the jackknife when clusters split entities)."""
    ab = Absorb.of(d, entity, time)
    X = ab(d[regs].to_numpy())
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise fc.CRV3Undefined(f"panel_fe: vcov='CRV3': leaving one cluster out leaves {regs} collinear")
    return np.linalg.lstsq(X, ab(d[y].to_numpy()), rcond=None)[0]


def _crv3_cov(d: pd.DataFrame, y: str, regs: list, entity: str, time, cluster: str, groups: np.ndarray,
              beta: np.ndarray, ab: Absorb) -> np.ndarray:
    """CRV3: the cluster jackknife (G - 1)/G sum_g (b_(g) - b)(b_(g) - b)', fixed effects
    re-estimated without each cluster: in closed form (:mod:`helpers.models._few_clusters`) when
    every entity lies inside one cluster, else by G refits. ``ab``: the :class:`Absorb` of ``d``."""
    n_time = 0 if time is None else ab.T   # the number of distinct periods
    if fc.nested(d, entity, cluster) and n_time <= fc.MAX_DUMMIES:
        M = fc.design(d, [y, *regs], entity, time, ab)
        return fc.jackknife_ols(M, 1 + len(regs), groups, d[cluster], regs, "panel_fe", cluster)[0]
    return fc.refit_jackknife(d, groups, beta, lambda dg: _fe_beta(dg, y, regs, entity, time))


def _iid_cov(Xw: np.ndarray, u: np.ndarray, d: pd.DataFrame, entity: str, time) -> tuple[np.ndarray, float]:
    """Classical covariance s^2 (X'X)^-1 with s^2 = u'u / (n - k - N - T + 1) (entity and time
    effects counted; T - 1 fewer without time effects), and those degrees of freedom."""
    n_fe = d[entity].nunique() + (0 if time is None else d[time].nunique() - 1)
    dfree = len(u) - Xw.shape[1] - n_fe
    if dfree < 1:
        raise ValueError(f"panel_fe: vcov='iid' has no residual degrees of freedom (n = {len(u)})")
    return (u @ u) / dfree * np.linalg.inv(Xw.T @ Xw), float(dfree)


@renamed(wild_bootstrap="n_boot")
def panel_fe(df: pd.DataFrame, y: str, x, *, controls=(), entity: str = "city", time: str | None = "year",
             cluster=ENTITY, n_boot: int = 0, seed: int = 0, vcov: str = "auto") -> PanelFEResult:
    r"""Fixed-effects regression with standard errors clustered by entity.

    .. math:: y_{it} = x_{it}'\beta + w_{it}'\gamma + \mu_i + \lambda_t + \varepsilon_{it}

    estimated by least squares on the within-transformed data (the one within transformation
    of :func:`within`). The default ``vcov="auto"`` reads the estimate with the cluster
    jackknife CRV3 against Student t(G - 1) when there are fewer than 50 clusters, and with
    the cluster-robust sandwich CRV1 (factor G/(G-1)) against the normal otherwise
    (:mod:`helpers.models._few_clusters`). CRV3 is

    .. math:: \hat V_3 = \frac{G-1}{G} \sum_{g=1}^{G} (\hat\beta_{(g)} - \hat\beta)(\hat\beta_{(g)} - \hat\beta)',

    :math:`\hat\beta_{(g)}` the estimate without cluster g, fixed effects re-estimated
    (MacKinnon, Nielsen & Webb 2023, "Cluster-robust inference: a guide to empirical practice",
    J. Econometrics 232; equals pyfixest's ``vcov={"CRV3": cluster}`` up to its small-sample
    factor, see ``tests/test_models.py``), computed in closed form by downdating the normal
    equations when clusters contain whole entities. With about 20 clusters CRV1 with normal
    critical values is too small; CRV3 with t(G - 1) holds its level. The result's
    ``inference`` names what was used; ``df_resid`` is G - 1 for CRV3.

    Parameters
    ----------
    df : DataFrame
        Long panel, one row per entity and period.
    y : str
        Outcome column.
    x : str or list of str
        Regressor(s) of interest (the wild bootstrap tests these).
    controls : str or list of str
        Control variables.
    entity, time : str
        Entity and period columns. ``time=None`` gives one-way (entity) effects.
    cluster : str or None
        Column whose values define clusters. Default: the ``entity`` column (whatever it is
        called). ``None``: heteroskedasticity-robust errors (every row its own cluster).
    n_boot : int
        Replications of the restricted wild cluster bootstrap (Rademacher weights) for the
        p-value of each regressor in ``x``; 0 skips it. With about 20 clusters the
        cluster-robust t test over-rejects; the wild bootstrap does not (Cameron et al. 2008).
        (``wild_bootstrap=`` is its deprecated name.)
    seed : int
        Seed of the bootstrap.
    vcov : {"auto", "CRV1", "CRV3", "iid"}
        "auto" (default): CRV3 with t(G - 1) below 50 clusters, else CRV1 with the normal.
        "CRV1": cluster-robust sandwich, normal reference (the convention of earlier
        releases). "CRV3": cluster jackknife, t(G - 1). "iid": classical s^2 (X'X)^-1 with
        s^2 = u'u / (n - k - N - T + 1), Student t with those degrees of freedom. The old
        spelling "CV3" is accepted with a DeprecationWarning.

    Returns
    -------
    PanelFEResult

    Examples
    --------
    The classic Grunfeld (1958) ten-firm within estimates (one-way effects) are 0.1101 for
    value and 0.3101 for capital (``tests/test_models.py`` reproduces them):

    >>> import statsmodels.api as sm
    >>> g = sm.datasets.grunfeld.load_pandas().data
    >>> g = g[g["firm"] != "American Steel"]
    >>> r = panel_fe(g, "invest", "value", controls="capital", entity="firm", time=None)
    >>> r.params.round(4).tolist(), r.n_clusters, r.inference
    ([0.1101, 0.3101], 10, 'CRV3 by firm (10 clusters), t(9)')
    """
    cluster = resolve_cluster(cluster, entity)
    # option errors before any work on the data
    vcov = fc.resolve_vcov(vcov, ("CRV1", "CRV3", "iid"), "panel_fe", cluster is not None)
    xs, cs = as_list(x, "x"), as_list(controls, "controls")
    regs = xs + cs
    d = prepare(df, [y] + regs, entity, time, "panel_fe", extra=cluster_extra(cluster, entity))
    ab = Absorb.of(d, entity, time)
    Xw, yw = ab(d[regs].to_numpy()), ab(d[y].to_numpy())
    check_rank(Xw, regs, "panel_fe")
    groups = None if cluster is None else codes(d[cluster])[0]
    beta, cov, u, G = ols(Xw, yw, groups)
    kind, dfree, note = fc.choose(vcov, G, cluster is not None), None, ""
    if kind == "CRV3":
        cov, kind, dfree, note = fc.crv3_or_fallback(
            vcov, lambda: _crv3_cov(d, y, regs, entity, time, cluster, groups, beta, ab), cov, G)
    elif kind == "iid":
        cov, dfree = _iid_cov(Xw, u, d, entity, time)
    wild = None
    if n_boot:
        if cluster is None:
            raise ValueError("panel_fe: the wild cluster bootstrap needs a cluster column")
        with single_threaded():
            p = _wild_cluster_p(Xw, yw, groups, range(len(xs)), int(n_boot), np.random.default_rng(seed))
        wild = pd.Series(p, index=xs, name="wild p")
    return PanelFEResult(
        **coefficient_fields(beta, cov, regs, dfree, fc.describe(kind, cluster, G, dfree, note)), nobs=len(d),
        n_clusters=int(G), rsquared_within=float(1 - (u @ u) / (yw @ yw)), wild_p=wild,
        effects="entity + time" if time is not None else "entity",
        cov_type=_cov_type(kind, cluster), dependent=y,
    )


def _cov_type(kind: str, cluster) -> str:
    if kind == "iid":
        return "classical (iid)"
    if cluster is None:
        return "robust"
    return f"clustered by {cluster}" + (" (CRV3 jackknife)" if kind == "CRV3" else "")
