"""Hansen's (1999) fixed-effect panel threshold regression, in named steps.

:func:`threshold` runs: :func:`_setup` (data, within transformation, grid, projections),
:func:`_first_threshold`, optionally :func:`_second_threshold`, :func:`_bootstrap_F` (the one
bootstrap loop, used for every F test), :func:`_lr_sets` and :func:`_regime_fit`.

The whole grid is evaluated at once: with Z the within-transformed controls and x,
S1(gamma) = S0 - (v_gamma' r)^2 / v_gamma' v_gamma, where r is the residual of y on Z and
v_gamma the residual of the within-transformed x 1(q <= gamma) on Z. A bootstrap replicate
costs one matrix product with the grid, not one regression per grid point.

The error variance of F is S1 / (n - N) with entity effects (Hansen's convention, N(T - 1))
and S1 / (n - N - T + 1) with year effects too; pyxthreg 0.0.3 divides by NT - T instead and
bootstraps per observation. ``hansen=True`` reproduces Hansen's own code (last period deleted
after demeaning, regime q < gamma). The default p-value is a wild bootstrap clustered by city
(``bootstrap="wild"``, Rademacher or Mammen weights, Hansen 1996, 2000); his iid residual
bootstrap (``bootstrap="residual"``) assumes independent, equal-variance errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import CoefficientResult, fmt_table
from ._boot import chunks, progress_bar, single_threaded
from ._compat import _warn, alpha_of_level, level_of_alpha, renamed
from ._prepare import ENTITY, as_list, cluster_extra, prepare, require_balanced, resolve_cluster
from ._within import Absorb
from .panel import PanelFEResult, panel_fe


@renamed(alpha=("level", level_of_alpha))
def lr_critical(_alpha: float | None = None, /, *, level: float = 0.95) -> float:
    """Critical value of Hansen's (1999) LR statistic for a threshold at ``level``:
    c = -2 ln(1 - sqrt(level)), 7.35 at level = 0.95.

    ``lr_critical(0.05)`` (a positional size alpha) and ``lr_critical(alpha=0.05)`` are the
    deprecated spellings of ``lr_critical(level=0.95)``.

    >>> round(lr_critical(level=0.95), 2)
    7.35
    """
    if _alpha is not None:
        _warn(f"lr_critical({_alpha!r}) with a positional alpha is deprecated, use lr_critical(level={1 - _alpha!r})",
              stacklevel=4)
        level = level_of_alpha(_alpha)
    alpha_of_level(level, "lr_critical")   # checks 0 < level < 1
    return float(-2 * np.log(1 - np.sqrt(level)))


@dataclass(repr=False, kw_only=True)
class ThresholdResult(CoefficientResult):
    r"""Hansen (1999) fixed-effect threshold regression (see :func:`threshold`).

    Attributes
    ----------
    params, std_errors, pvalues, cov
        The final regression: one slope of ``regime_x`` per regime (named by its range of q),
        then the controls (see :class:`helpers.models.CoefficientResult`).
    slopes : Series
        The regime slopes (the first ``len(gamma) + 1`` entries of ``params``).
    gamma : ndarray
        Estimated thresholds, ascending (one or two).
    lr_ci : DataFrame
        LR confidence set of each threshold (``lower``, ``upper``): grid points with
        LR(gamma) <= c(level) (7.35 at ``level=0.95``).
    F, p_boot : ndarray
        Test statistic of k versus k - 1 thresholds and its bootstrap p-value (NaN when
        ``n_boot=0``), one per threshold.
    crit : DataFrame
        Bootstrap critical values of F at 10%, 5% and 1%.
    ssr : ndarray
        Sums of squared residuals with 0, 1 (and 2) thresholds.
    lr : DataFrame
        LR profile over the grid, one column per threshold.
    fit : PanelFEResult
        The final regression with regime-specific slopes (its ``inference`` is this result's).
    bootstrap : str
        The bootstrap of ``p_boot`` and ``crit``, e.g. "wild by city (rademacher)".
    """

    gamma: np.ndarray
    lr_ci: pd.DataFrame
    F: np.ndarray
    p_boot: np.ndarray
    crit: pd.DataFrame
    ssr: np.ndarray
    lr: pd.DataFrame
    fit: PanelFEResult
    bootstrap: str
    nobs: int
    n_entities: int
    n_grid: int
    n_boot: int
    q: str
    regime_x: str

    @property
    def slopes(self) -> pd.Series:
        return self.params.iloc[: len(self.gamma) + 1].rename("slope")

    def table(self) -> pd.DataFrame:
        """One row per threshold: estimate, LR set, F, bootstrap p and critical values."""
        rows = []
        for k, g in enumerate(self.gamma):
            rows.append({"threshold": f"gamma{k + 1}", "estimate": g, "lr lower": self.lr_ci.iloc[k, 0],
                         "lr upper": self.lr_ci.iloc[k, 1], "F": self.F[k], "p (bootstrap)": self.p_boot[k],
                         "crit 10%": self.crit.iloc[k, 0], "crit 5%": self.crit.iloc[k, 1],
                         "crit 1%": self.crit.iloc[k, 2]})
        return pd.DataFrame(rows).set_index("threshold")

    def _title(self) -> str:
        return (f"Hansen threshold regression: {self.regime_x} by regime of {self.q}; {self.nobs} obs, "
                f"{self.n_entities} entities, grid {self.n_grid} points, {self.n_boot} replications of the "
                f"{self.bootstrap} bootstrap")

    def _notes(self) -> list[str]:
        return ["", fmt_table(self.table())]


def _threshold_grid(q: np.ndarray, n_grid: int | None, trim: float) -> np.ndarray:
    """Candidate thresholds as in Hansen's own code: the *unique* values of q at the quantiles
    trim, trim + 1/n_grid, ..., 1 - trim (value number floor(p m) of the m sorted unique values,
    counted from one); every observed value in [trim, 1 - trim] when n_grid is None."""
    if n_grid is None:
        qs = np.sort(q)
        n = len(qs)
        lo, hi = int(np.floor(trim * (n - 1))), int(np.floor((1 - trim) * (n - 1)))
        return np.unique(qs[lo:hi + 1])
    u = np.unique(q)
    m = len(u)
    steps = np.arange(trim, 1 - trim + 1e-12, 1 / n_grid)
    return np.unique(u[np.clip(np.floor(steps * m).astype(int) - 1, 0, m - 1)])


def _qr_basis(Z: np.ndarray, name: str) -> np.ndarray:
    Q, R = np.linalg.qr(Z)
    d = np.abs(np.diag(R))
    if Z.shape[1] and d.min() <= 1e-10 * max(d.max(), 1.0):
        raise ValueError(f"{name}: regressors are collinear once the fixed effects are removed")
    return Q


def _ssr_drop(V: np.ndarray, den: np.ndarray, Y: np.ndarray, U: np.ndarray | None = None) -> np.ndarray:
    """Reduction in SSR from adding each column of V (orthogonal to the base) to each column of Y."""
    U = V.T @ Y if U is None else U
    with np.errstate(divide="ignore", invalid="ignore"):
        red = U**2 / den[:, None]
    red[~np.isfinite(red)] = 0.0
    return red


@dataclass
class _Setup:
    """Everything the grid search and the bootstrap share."""

    d: pd.DataFrame
    absorb: Absorb
    n: int
    N: int
    T: int
    xv: np.ndarray
    qv: np.ndarray
    ydm: np.ndarray   # within-transformed outcome
    Q: np.ndarray     # orthonormal basis of the within-transformed controls and x
    cand: np.ndarray  # candidate thresholds
    V: np.ndarray     # regime column of each candidate, projected off Q
    den: np.ndarray   # V'V diagonal
    r0: np.ndarray    # residual of the no-threshold model
    S0: float
    dof: int
    keep: np.ndarray | None = None   # hansen=True: rows kept after dropping each entity's last period
    strict: bool = False             # hansen=True: regime q < gamma (else q <= gamma)
    clusters: np.ndarray | None = None   # cluster code of each (kept) row: the wild bootstrap's blocks

    @property
    def T_eff(self) -> int:
        return self.T - (self.keep is not None)

    def project_off(self, Y):
        return Y - self.Q @ (self.Q.T @ Y)

    def reabsorb(self, Y):
        # bootstrap samples are built from within-transformed fitted values and residuals; in
        # Hansen's mode (last period deleted) they are used as they are, as in his code
        if self.keep is not None:
            return Y
        return self.absorb(Y)


def _setup(df, y, regime_x, q, cs, entity, time, cluster, grid, trim, hansen=False) -> _Setup:
    # the threshold variable may also be a control (Hansen 1999 includes leverage itself)
    used = [y, regime_x, *cs] + ([] if q in cs else [q])
    d = prepare(df, used, entity, time, "threshold", extra=cluster_extra(cluster, entity))
    T = require_balanced(d, entity, time, "threshold")
    absorb = Absorb.of(d, entity, time)
    n, N = len(d), absorb.N
    yv, xv, qv = (d[c].to_numpy() for c in (y, regime_x, q))
    # Hansen's code deletes each entity's last period after demeaning (rows are entity-major)
    keep = np.tile(np.r_[np.ones(T - 1, bool), False], N) if hansen else np.ones(n, bool)
    ydm = absorb(yv)[keep]
    Q = _qr_basis(absorb(np.column_stack([d[cs].to_numpy(), xv]))[keep], "threshold")
    cand = _threshold_grid(qv, grid, trim)
    below = qv[:, None] < cand[None, :] if hansen else qv[:, None] <= cand[None, :]
    V = absorb(xv[:, None] * below)[keep]                      # regime columns, one per candidate
    V -= Q @ (Q.T @ V)                                          # in place: n x grid can be large
    r0 = ydm - Q @ (Q.T @ ydm)
    # error degrees of freedom: N(T - 1) with entity effects, N(T - 1) - (T - 1) with year effects too
    dof = n - N - (T - 1 if time is not None else 0)
    # the wild bootstrap's blocks: clusters (default the entity); every row its own without
    cl = np.arange(n) if cluster is None else pd.factorize(d[cluster], sort=True)[0]
    return _Setup(d=d, absorb=absorb, n=int(keep.sum()), N=N, T=T, xv=xv, qv=qv, ydm=ydm, Q=Q, cand=cand,
                  V=V, den=np.sum(V**2, axis=0), r0=r0, S0=float(r0 @ r0), dof=dof,
                  keep=keep if hansen else None, strict=hansen, clusters=cl[keep])


def _first_threshold(s: _Setup):
    """SSR profile S1 over the grid, the index of its minimum and the F statistic."""
    S1 = s.S0 - _ssr_drop(s.V, s.den, s.r0[:, None])[:, 0]
    g1 = int(np.argmin(S1))
    return S1, g1, (s.S0 - S1[g1]) / (S1[g1] / s.dof)


class _SecondSearch:
    """Second threshold given a first one at grid index g: adding v_g to the base changes every
    other candidate by a rank-one update, so with the Gram matrix C = V'V no new projection is
    needed: v_j|g = v_j - v_g C_jg / C_gg. Candidates closer than ``trim * n`` observations to
    the first are excluded."""

    def __init__(self, s: _Setup, trim: float):
        self.C = s.V.T @ s.V
        self.den = s.den
        pos = np.searchsorted(np.sort(s.qv), s.cand, side="left" if s.strict else "right")  # in regime 1
        between = np.abs(pos[:, None] - pos[None, :])                # observations between two candidates
        self.allowed = (between >= trim * s.n) & ~np.eye(len(s.cand), dtype=bool)

    def __call__(self, U, g):
        """SSR reductions (grid, b) from a second threshold, given first thresholds g (b,)."""
        cols = np.arange(U.shape[1])
        cg = self.C[:, g]
        U2 = U - cg * (U[g, cols] / self.den[g])
        den2 = self.den[:, None] - cg**2 / self.den[g]
        with np.errstate(divide="ignore", invalid="ignore"):
            red = U2**2 / den2
        red[~self.allowed[:, g] | ~np.isfinite(red)] = -np.inf
        return red


def _second_threshold(s: _Setup, S1, g1, second: _SecondSearch):
    """Sequential search with Hansen's (1999, sec. 3.3) refinement of the first threshold."""
    U0 = s.V.T @ s.r0[:, None]
    red = second(U0, np.array([g1]))[:, 0]
    g2 = int(np.argmax(red))
    S2 = float(S1[g1] - red[g2])
    redr = second(U0, np.array([g2]))[:, 0]   # re-estimate the first given the second
    g1r = int(np.argmax(redr))
    S2r = float(S1[g2] - redr[g1r])
    sig2 = S2 / s.dof  # Hansen (1999): sigma^2 of the second-stage fit
    # LR profiles: each threshold given the other's final value
    lr = {"gamma1": (S1[g2] - redr - S2r) / sig2, "gamma2": (S1[g1] - red - S2) / sig2}
    gammas = sorted([s.cand[g1r], s.cand[g2]])
    if s.cand[g1r] > s.cand[g2]:
        lr = {"gamma1": lr["gamma2"], "gamma2": lr["gamma1"]}
    r1 = s.r0 - s.V[:, g1] * (U0[g1, 0] / s.den[g1])  # residuals under one threshold
    return gammas, (S1[g1] - S2) / sig2, min(S2, S2r), lr, r1


def _stat_one(s: _Setup):
    """F of one threshold against none, from bootstrap residuals Rs (n, b)."""
    def F(Rs):
        S0s = np.sum(Rs**2, axis=0)
        S1s = S0s - _ssr_drop(s.V, s.den, Rs).max(axis=0)
        return (S0s - S1s) / (S1s / s.dof)
    return F


def _stat_two(s: _Setup, second: _SecondSearch):
    """F of two thresholds against one, from bootstrap residuals Rs (n, b)."""
    def F(Rs):
        U = s.V.T @ Rs
        drop = _ssr_drop(s.V, s.den, Rs, U)
        gs = np.argmax(drop, axis=0)
        S1s = np.sum(Rs**2, axis=0) - drop[gs, np.arange(Rs.shape[1])]
        S2s = S1s - second(U, gs).max(axis=0)
        return (S1s - S2s) / (S2s / s.dof)
    return F


#: Two-point wild-bootstrap weights with mean 0 and variance 1: (values, probabilities).
#: Mammen's (1993) also have third moment 1 (they keep the residuals' skewness).
WILD_WEIGHTS = {
    "rademacher": (np.array([-1.0, 1.0]), np.array([0.5, 0.5])),
    "mammen": (np.array([-(np.sqrt(5) - 1) / 2, (np.sqrt(5) + 1) / 2]),
               np.array([(np.sqrt(5) + 1) / (2 * np.sqrt(5)), (np.sqrt(5) - 1) / (2 * np.sqrt(5))])),
}


def _draws(s: _Setup, resid, b: int, rng, wild: str | None) -> np.ndarray:
    """Bootstrap errors (n, b): whole residual vectors of randomly drawn entities (``wild`` None),
    or each row's residual times its cluster's weight (``wild`` a key of :data:`WILD_WEIGHTS`)."""
    if wild is None:
        blocks_ = resid.reshape(s.N, s.T_eff)                  # rows are entity-major
        return blocks_[rng.integers(0, s.N, size=(b, s.N))].reshape(b, s.n).T
    values, probs = WILD_WEIGHTS[wild]
    v = rng.choice(values, size=(int(s.clusters.max()) + 1, b), p=probs)
    return resid[:, None] * v[s.clusters]


def _bootstrap_F(s: _Setup, stat, resid, F_obs, n_boot, rng, progress, desc, wild=None):
    """Bootstrap of an F statistic under the null model (fitted ``ydm - resid``, errors from
    :func:`_draws`), the grid search repeated in every replicate.
    Returns the p-value and the 90/95/99% critical values (NaN when ``n_boot`` is 0)."""
    if not n_boot:
        return np.nan, np.full(3, np.nan)
    fitted = s.ydm - resid
    blocks = chunks(n_boot)
    Fb = []
    with single_threaded():
        for _, b in progress_bar(blocks, len(blocks), desc, progress):
            draws = _draws(s, resid, b, rng, wild)
            Fb.append(stat(s.project_off(s.reabsorb(fitted[:, None] + draws))))
    Fb = np.concatenate(Fb)
    return float(np.mean(Fb >= F_obs)), np.quantile(Fb, [0.90, 0.95, 0.99])


def _lr_sets(lr_df: pd.DataFrame, crit: float) -> pd.DataFrame:
    """LR confidence set of each threshold: the range of grid points with LR <= crit."""
    rows = []
    for k in range(lr_df.shape[1]):
        inside = lr_df.index[lr_df.iloc[:, k] <= crit]
        rows.append((float(inside.min()), float(inside.max())))
    return pd.DataFrame(rows, index=list(lr_df.columns), columns=["lower", "upper"])


def _regime_fit(s: _Setup, y, q, cs, gammas, entity, time, cluster, vcov):
    """The final regression with one slope per regime (clustered SE via panel_fe; all periods)."""
    edges = [-np.inf, *gammas, np.inf]
    labels = []
    dd = s.d.copy()
    for k in range(len(edges) - 1):
        lo, hi = edges[k], edges[k + 1]
        lt, gt = ("<", ">=") if s.strict else ("<=", ">")
        if k == 0:
            lab = f"{q} {lt} {hi:.6g}"
        elif k == len(edges) - 2:
            lab = f"{q} {gt} {lo:.6g}"
        else:
            lab = f"{lo:.6g} {'<=' if s.strict else '<'} {q} {lt} {hi:.6g}"
        inside = ((s.qv >= lo) & (s.qv < hi)) if s.strict else ((s.qv > lo) & (s.qv <= hi))
        dd[lab] = s.xv * inside
        labels.append(lab)
    return panel_fe(dd, y, labels, controls=cs, entity=entity, time=time, cluster=cluster, vcov=vcov)


def _check_options(n_thresholds: int, trim: float, bootstrap: str, weights: str) -> None:
    """The number of thresholds (1 or 2), the trimming share ((0, 0.5)), the bootstrap kind and
    the wild weights."""
    if n_thresholds not in (1, 2):
        raise ValueError("threshold: n_thresholds must be 1 or 2")
    if not 0 < trim < 0.5:
        raise ValueError("threshold: trim must lie in (0, 0.5)")
    if bootstrap not in ("residual", "wild"):
        raise ValueError(f"threshold: bootstrap must be 'residual' or 'wild', got {bootstrap!r}")
    if weights not in WILD_WEIGHTS:
        raise ValueError(f"threshold: weights must be one of {list(WILD_WEIGHTS)}, got {weights!r}")


@renamed(alpha=("level", level_of_alpha))
def threshold(df: pd.DataFrame, y: str, regime_x: str, q: str, *, controls=(), entity: str = "city",
              time: str | None = "year", n_thresholds: int = 1, n_boot: int = 300, seed: int = 0,
              grid: int | None = 400, trim: float = 0.01, cluster=ENTITY, level: float = 0.95,
              hansen: bool = False, bootstrap: str = "wild", weights: str = "rademacher",
              vcov: str = "auto", progress=False) -> ThresholdResult:
    r"""Hansen's (1999) fixed-effect panel threshold regression.

    .. math::
        y_{it} = \mu_i + \lambda_t + w_{it}'\theta + \beta_1 x_{it} 1(q_{it} \le \gamma)
        + \beta_2 x_{it} 1(q_{it} > \gamma) + e_{it}

    After the within transformation, :math:`\hat\gamma` minimises the sum of squared residuals
    :math:`S_1(\gamma)` over a grid of observed values of q. No threshold is tested by
    :math:`F_1 = (S_0 - S_1(\hat\gamma)) / \hat\sigma^2`, :math:`\hat\sigma^2 = S_1(\hat\gamma)/\nu`,
    :math:`\nu = n - N` with entity effects (= N(T - 1), Hansen's convention) and
    :math:`\nu = n - N - T + 1` when year effects are in too (the year effects use T - 1 more
    degrees of freedom; dividing by n - N instead inflates F and LR by about 5% on the book's
    21 x 13 panel). pyxthreg 0.0.3 divides by NT - T and bootstraps per observation. The
    p-value is bootstrapped under the null model (fitted values plus bootstrap errors, the grid
    search repeated in every replicate). The default ``bootstrap="wild"`` is Hansen's (1996,
    2000) fixed-regressor wild bootstrap, clustered: every residual of cluster g (default: of
    city g) is multiplied by the same draw :math:`v_g` (Rademacher, +-1 with probability 1/2,
    or Mammen's two-point weights), so each city keeps its own residual variance and its
    serial correlation. ``bootstrap="residual"`` is Hansen's (1999) iid residual bootstrap
    (whole residual vectors of randomly drawn entities), which assumes independent,
    equal-variance errors across entities: on Hansen's data the p-value of the single
    threshold is about 0.01 under it and about 0.1 under the wild bootstrap. The confidence
    set is :math:`\{\gamma: LR(\gamma) = (S_1(\gamma) - S_1(\hat\gamma))/\hat\sigma^2 \le c\}`,
    :math:`c = -2\ln(1 - \sqrt{level})` (7.35 at ``level=0.95``). A second threshold is
    found by sequential search with Hansen's refinement of the first, and tested against one
    threshold by the same bootstrap.

    The whole grid is evaluated at once (see the module notes).

    Parameters
    ----------
    df : DataFrame
        Balanced panel.
    y, regime_x, q : str
        Outcome, regressor whose slope changes, threshold variable.
    controls : str or list of str
        Regressors with one slope.
    entity, time : str
        ``time=None`` gives entity effects only (as Hansen 1999); rows then keep their order
        within each entity.
    n_thresholds : {1, 2}
    n_boot : int
        Bootstrap replications of each F test (0 skips them; p-values are then NaN).
    seed : int
    grid : int or None
        Grid of Hansen's code: the unique values of q at quantiles trim, trim + 1/grid, ...,
        1 - trim (400 gives Hansen's 0.0157 on his data; quantiles of all observations would
        give 0.0161). ``None`` searches every observed value (exhaustive).
    trim : float
        Share of observations each regime must keep (also trims the grid's ends).
    cluster : str or None
        Clusters of the wild bootstrap and of the standard errors of the final regression
        (default: the entity column; None: every row its own).
    level : float
        Level of the LR confidence set (``alpha=0.05`` is the deprecated spelling of 0.95).
    hansen : bool
        Reproduce Hansen's (1999) code exactly: delete each entity's last period after the
        within transformation (the demeaned rows of an entity sum to zero) and put
        observations with q < gamma (not <=) in the lower regime. With it the double-threshold
        search on his data gives (0.0157, 0.5362). The final slopes are still estimated on all
        periods.
    bootstrap : {"wild", "residual"}
        The wild bootstrap clustered by ``cluster`` (default), or Hansen's iid residual
        bootstrap by entity (see above).
    weights : {"rademacher", "mammen"}
        Weights of the wild bootstrap (:data:`WILD_WEIGHTS`).
    vcov : {"auto", "CRV1", "CRV3", "iid"}
        Inference of the final regression's slopes (:func:`helpers.models.panel_fe`): "auto"
        is CRV3 with t(G - 1) below 50 clusters.
    progress : bool or None

    Returns
    -------
    ThresholdResult
    """
    _check_options(n_thresholds, trim, bootstrap, weights)
    cluster = resolve_cluster(cluster, entity)
    cs = as_list(controls, "controls")
    s = _setup(df, y, regime_x, q, cs, entity, time, cluster, grid, trim, hansen=hansen)
    wild = weights if bootstrap == "wild" else None
    S1, g1, F1 = _first_threshold(s)
    rng = np.random.default_rng(seed)
    F, boot = [F1], [_bootstrap_F(s, _stat_one(s), s.r0, F1, n_boot, rng, progress, "threshold bootstrap (1)",
                                  wild)]
    lr, gammas, ssr = {"gamma1": (S1 - S1[g1]) / (S1[g1] / s.dof)}, [s.cand[g1]], [s.S0, S1[g1]]
    if n_thresholds == 2:
        second = _SecondSearch(s, trim)
        gammas, F2, S_final, lr, r1 = _second_threshold(s, S1, g1, second)
        F.append(F2)
        ssr.append(S_final)
        boot.append(_bootstrap_F(s, _stat_two(s, second), r1, F2, n_boot, rng, progress,
                                 "threshold bootstrap (2)", wild))
    lr_df = pd.DataFrame(lr, index=pd.Index(s.cand, name=q))
    lr_ci = _lr_sets(lr_df, lr_critical(level=level))
    fit = _regime_fit(s, y, q, cs, gammas, entity, time, cluster, vcov)
    by = "row" if cluster is None else cluster
    return ThresholdResult(
        params=fit.params, std_errors=fit.std_errors, pvalues=fit.pvalues, cov=fit.cov,
        df_resid=fit.df_resid, inference=fit.inference,
        bootstrap=f"wild by {by} ({weights})" if wild else f"residual by {entity} (iid)",
        gamma=np.asarray(gammas, dtype=float), lr_ci=lr_ci, F=np.asarray(F, dtype=float),
        p_boot=np.asarray([p for p, _ in boot], dtype=float),
        crit=pd.DataFrame([c for _, c in boot], index=lr_ci.index, columns=["10%", "5%", "1%"]),
        ssr=np.array(ssr), lr=lr_df, fit=fit, nobs=s.n, n_entities=s.N, n_grid=len(s.cand),
        n_boot=int(n_boot), q=q, regime_x=regime_x,
    )
