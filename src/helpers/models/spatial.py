"""Spatial models: the panel spatial Durbin model (Lee-Yu ML), its effects, Moran's I."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from .._results import CoefficientResult, Result, fmt_table
from ._boot import percentile
from ._compat import alpha_of_level, level_of_alpha, renamed
from ._inference import coefficient_fields
from ._prepare import as_list, prepare, require_balanced
from ._within import Absorb


@dataclass(repr=False)
class SDMEffects(Result):
    """Direct, indirect (spillover) and total effects of a spatial Durbin model, by regressor."""

    direct: pd.Series
    indirect: pd.Series
    total: pd.Series

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"direct": self.direct, "indirect": self.indirect, "total": self.total})

    def summary(self) -> str:
        return "SDM effects (LeSage & Pace)\n" + fmt_table(self.table())


def _as_series(v, names, label) -> pd.Series:
    if isinstance(v, pd.Series):
        return v.astype(float)
    arr = np.atleast_1d(np.asarray(v, dtype=float))
    if names is None:
        names = [f"x{k}" for k in range(len(arr))] if len(arr) > 1 else ["x"]
    if len(arr) != len(names):
        raise ValueError(f"sdm_effects: {label} has {len(arr)} values for {len(names)} regressors")
    return pd.Series(arr, index=list(names))


def sdm_effects(rho: float, beta, theta, W) -> SDMEffects:
    r"""Direct, indirect and total effects of a spatial Durbin model (LeSage & Pace 2009).

    For :math:`y = \rho W y + X\beta + W X\theta + \dots`, the matrix of partial derivatives of
    y with respect to regressor k is :math:`S_k = (I - \rho W)^{-1}(\beta_k I + \theta_k W)`:

    .. math::
        \text{direct}_k = \operatorname{tr}(S_k)/n,\qquad
        \text{total}_k = \mathbf 1' S_k \mathbf 1 / n,\qquad
        \text{indirect}_k = \text{total}_k - \text{direct}_k.

    For row-standardised W the total is :math:`(\beta_k + \theta_k)/(1 - \rho)`.

    What this function counts as direct, and how spreg differs: here the direct effect is the
    full diagonal of :math:`S_k`, so it includes the part of the :math:`WX` term that returns to
    the city through its neighbours, :math:`\theta_k \operatorname{tr}((I - \rho W)^{-1} W)/n`
    (zero only when :math:`\rho = 0`, since W has a zero diagonal). spreg's impacts (PySAL
    ``spreg``, ``spat_impacts``) count every :math:`WX` term as indirect, i.e. take the direct
    effect as :math:`\beta_k \operatorname{tr}((I - \rho W)^{-1})/n`; with
    :math:`\rho, \theta_k > 0` that understates the direct effect and overstates the indirect one
    by the same amount (the totals agree). Our split is LeSage & Pace's (2009, ch. 2) and is the
    one whose truth the twin computes (own-city change of a counterfactual, feedback included).

    Parameters
    ----------
    rho : float
    beta, theta : float, array or Series
        Coefficients of X and of WX (Series are matched by name).
    W : DataFrame or ndarray
        n x n spatial weights.

    Returns
    -------
    SDMEffects

    Examples
    --------
    >>> import numpy as np
    >>> e = sdm_effects(0.5, 1.0, 0.0, np.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> round(float(e.total.iloc[0]), 6)   # (beta + theta) / (1 - rho)
    2.0
    """
    Wm = np.asarray(W, dtype=float)
    if Wm.ndim != 2 or Wm.shape[0] != Wm.shape[1]:
        raise ValueError(f"sdm_effects: W must be square, got shape {Wm.shape}")
    names = list(beta.index) if isinstance(beta, pd.Series) else None
    b = _as_series(beta, names, "beta")
    t = _as_series(theta, list(b.index), "theta").reindex(b.index)
    if t.isna().any():
        raise ValueError(f"sdm_effects: theta lacks {list(t.index[t.isna()])}")
    n = Wm.shape[0]
    S = np.linalg.inv(np.eye(n) - rho * Wm)
    SW = S @ Wm
    direct = (b * np.trace(S) + t * np.trace(SW)) / n
    total = (b * S.sum() + t * SW.sum()) / n
    return SDMEffects(direct=direct.rename("direct"), indirect=(total - direct).rename("indirect"),
                      total=total.rename("total"))


@dataclass(repr=False, kw_only=True)
class SDMResult(CoefficientResult):
    """Panel spatial Durbin model by ML with two-way effects (see :func:`spatial_durbin_panel`).

    ``params``, ``std_errors``, ``pvalues``, ``cov`` of all coefficients (X, W*X, rho; normal
    reference); ``rho``; ``beta`` (X) and ``theta`` (WX) by regressor; ``effects``
    (:class:`SDMEffects` at the estimates); ``effects_se`` (regressor x part) and
    ``effects_ci`` (index (part, regressor); lower, upper) from ``n_boot`` draws of the
    estimates' asymptotic distribution (simulation intervals, not Wald intervals); ``n_draws``
    the number of those draws that were admissible (rho inside its range).
    """

    rho: float
    beta: pd.Series
    theta: pd.Series
    sigma2: float
    loglik: float
    effects: SDMEffects
    effects_se: pd.DataFrame
    effects_ci: pd.DataFrame
    nobs: int
    n_draws: int
    dependent: str

    def _title(self) -> str:
        return (f"Spatial Durbin model of {self.dependent}, two-way fixed effects (ML, Lee-Yu), {self.nobs} obs; "
                f"log-likelihood {self.loglik:.3f}")

    def _notes(self) -> list[str]:
        ci = self.effects_ci["lower"].unstack(0).add_suffix(" lower").join(
            self.effects_ci["upper"].unstack(0).add_suffix(" upper"))
        return ["", "effects (LeSage & Pace)", fmt_table(self.effects.table()), "",
                f"intervals from {self.n_draws} draws", fmt_table(ci)]


def _check_weights(d, W, entity) -> np.ndarray:
    if not isinstance(W, pd.DataFrame):
        raise TypeError("spatial_durbin_panel: W must be a DataFrame indexed by entity names")
    units = list(W.index)
    if list(W.columns) != units:
        raise ValueError("spatial_durbin_panel: W's rows and columns must name the same units in the same order")
    have = set(d[entity])
    absent = [u for u in units if u not in have]
    extra = sorted(have - set(units), key=str)
    if absent or extra:
        raise ValueError(f"spatial_durbin_panel: W and the data disagree: {entity} {(absent or extra)[0]!r} is "
                         f"{'missing from the data' if absent else 'not in W'}")
    Wm = W.to_numpy(dtype=float)
    if not np.allclose(Wm.sum(axis=1), 1.0):
        raise ValueError("spatial_durbin_panel: W must be row-standardised (rows sum to 1)")
    return Wm


def _sdm_within(d, y, xs, Wm, units, entity, time):
    """Within-transformed y, Wy and [X, WX], stacked period by period in W's unit order."""
    wide = d.set_index([time, entity])
    Y = wide[y].unstack(entity)[units].to_numpy()                                        # (T, N)
    Xs = np.stack([wide[c].unstack(entity)[units].to_numpy() for c in xs], axis=-1)     # (T, N, k)
    T, N = Y.shape
    absorb = Absorb(np.tile(np.arange(N), T), np.repeat(np.arange(T), N))  # rows period-major
    WX = np.einsum("ij,tjk->tik", Wm, Xs)
    Z = absorb(np.concatenate([Xs, WX], axis=-1).reshape(N * T, -1))
    return absorb(Y.ravel()), absorb((Y @ Wm.T).ravel()), Z, N, T


def _sdm_ml(yv, wy, Z, lam, N, T):
    """Lee-Yu concentrated likelihood maximised over rho: (rho, coefficients, residuals, loglik, lower bound)."""
    b0, bL = (np.linalg.lstsq(Z, v, rcond=None)[0] for v in (yv, wy))
    e0, eL = yv - Z @ b0, wy - Z @ bL
    lam_r = lam.real
    n_eff = (N - 1) * (T - 1)

    def logdet(r):
        return float(np.sum(np.log(np.abs(1 - r * lam))))

    def negll(r):
        e = e0 - r * eL
        return 0.5 * n_eff * np.log(e @ e / n_eff) - (T - 1) * (logdet(r) - np.log(1 - r))

    lo = 1 / lam_r.min() + 1e-6 if lam_r.min() < 0 else -0.999999
    rho = float(optimize.minimize_scalar(negll, bounds=(lo, 1 - 1e-6), method="bounded",
                                         options={"xatol": 1e-10}).x)
    e = e0 - rho * eL
    sigma2 = float(e @ e / n_eff)
    loglik = float(-0.5 * n_eff * np.log(2 * np.pi * sigma2) + (T - 1) * (logdet(rho) - np.log(1 - rho))
                   - 0.5 * (e @ e) / sigma2)
    return rho, b0 - rho * bL, e, sigma2, loglik, lo


def _sdm_information(Z, wy, e, lam, rho, sigma2, N, T) -> np.ndarray:
    """Analytic observed information of (coefficients, rho, sigma2)."""
    n_eff = (N - 1) * (T - 1)
    k2 = Z.shape[1]
    H = np.zeros((k2 + 2, k2 + 2))
    H[:k2, :k2] = Z.T @ Z / sigma2
    H[:k2, k2] = H[k2, :k2] = Z.T @ wy / sigma2
    H[:k2, k2 + 1] = H[k2 + 1, :k2] = Z.T @ e / sigma2**2
    g = lam / (1 - rho * lam)
    H[k2, k2] = (T - 1) * (np.sum(g**2).real - 1 / (1 - rho) ** 2) + wy @ wy / sigma2
    H[k2, k2 + 1] = H[k2 + 1, k2] = wy @ e / sigma2**2
    H[k2 + 1, k2 + 1] = -n_eff / (2 * sigma2**2) + (e @ e) / sigma2**3
    return H


def _effect_draws(params, cov, lam, lo, xs, n_draws, seed, alpha):
    """Effects' standard errors and percentile intervals from draws of (beta, theta, rho);
    traces via the eigenvalues of W. Returns (se, ci, number of admissible draws)."""
    k, N = len(xs), len(lam)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(params, cov, size=int(n_draws))
    draws = draws[(draws[:, -1] > lo) & (draws[:, -1] < 1)]
    r = draws[:, -1][:, None]
    trS = np.sum(1 / (1 - r * lam[None, :]), axis=1).real
    trSW = np.sum(lam[None, :] / (1 - r * lam[None, :]), axis=1).real
    bd, td = draws[:, :k], draws[:, k: 2 * k]
    dir_d = (bd * trS[:, None] + td * trSW[:, None]) / N
    tot_d = (bd + td) / (1 - r)  # row-standardised W
    parts = {"direct": dir_d, "indirect": tot_d - dir_d, "total": tot_d}
    se = pd.DataFrame({p: v.std(axis=0, ddof=1) for p, v in parts.items()}, index=xs)
    rows = {(p, c): percentile(v[:, j], alpha) for p, v in parts.items() for j, c in enumerate(xs)}
    ci = pd.DataFrame.from_dict(rows, orient="index", columns=["lower", "upper"])
    ci.index = pd.MultiIndex.from_tuples(ci.index, names=["part", "regressor"])
    return se, ci, len(draws)


@renamed(n_draws="n_boot", alpha=("level", level_of_alpha))
def spatial_durbin_panel(df: pd.DataFrame, y: str, X, W: pd.DataFrame, *, entity: str = "city",
                         time: str = "year", n_boot: int = 1000, seed: int = 0,
                         level: float = 0.95) -> SDMResult:
    r"""Panel spatial Durbin model with city and year effects, estimated by maximum likelihood.

    .. math:: y_t = \rho W y_t + X_t\beta + W X_t\theta + \mu + \lambda_t \mathbf 1 + \varepsilon_t

    Both sets of effects are removed by the within transformation (the one of :func:`within`);
    the likelihood is Lee and Yu's (2010) transformation approach for two-way effects, which
    corrects the bias of the direct approach in :math:`\sigma^2` and :math:`\rho`:

    .. math::
        \ln L = -\tfrac{(N-1)(T-1)}{2}\ln(2\pi\sigma^2) + (T-1)\big[\ln|I - \rho W| - \ln(1-\rho)\big]
        - \tfrac{1}{2\sigma^2}\sum_t \tilde e_t'\tilde e_t,

    concentrated in :math:`\rho` and maximised over :math:`(1/\lambda_{min}, 1)`. The covariance
    is the inverse of the analytic observed information. Effects come from
    :func:`sdm_effects`; their intervals from ``n_boot`` draws of
    :math:`(\beta, \theta, \rho)` from the estimated asymptotic normal distribution
    (LeSage & Pace 2009).

    Parameters
    ----------
    df : DataFrame
        Balanced panel covering exactly the units of W.
    y : str
    X : str or list of str
        Regressors; each enters as X and WX.
    W : DataFrame
        Row-standardised weights indexed (both ways) by the entity names.
    entity, time : str
    n_boot : int
        Draws for the effects' intervals (``n_draws=`` is its deprecated name).
    seed : int
    level : float
        Level of the effects' intervals (``alpha=0.05`` is the deprecated spelling of 0.95).

    Returns
    -------
    SDMResult
    """
    alpha = alpha_of_level(level, "spatial_durbin_panel")
    xs = as_list(X, "X")
    d = prepare(df, [y, *xs], entity, time, "spatial_durbin_panel")
    require_balanced(d, entity, time, "spatial_durbin_panel")
    Wm = _check_weights(d, W, entity)
    yv, wy, Z, N, T = _sdm_within(d, y, xs, Wm, list(W.index), entity, time)
    lam = np.linalg.eigvals(Wm)
    if np.max(np.abs(lam.imag)) > 1e-8:
        warnings.warn("spatial_durbin_panel: W has complex eigenvalues; log-determinant uses their moduli",
                      RuntimeWarning, stacklevel=2)
    rho, beta_all, e, sigma2, loglik, lo = _sdm_ml(yv, wy, Z, lam, N, T)
    k2 = Z.shape[1]
    cov = np.linalg.inv(_sdm_information(Z, wy, e, lam, rho, sigma2, N, T))[: k2 + 1, : k2 + 1]
    names = [*xs, *(f"W*{c}" for c in xs), "rho"]
    f = coefficient_fields(np.r_[beta_all, rho], cov, names)
    beta = pd.Series(beta_all[: len(xs)], index=xs)
    theta = pd.Series(beta_all[len(xs):], index=xs)
    eff_se, eff_ci, kept = _effect_draws(f["params"].to_numpy(), cov, lam, lo, xs, n_boot, seed, alpha)
    return SDMResult(**f, rho=rho, beta=beta, theta=theta, sigma2=sigma2, loglik=loglik,
                     effects=sdm_effects(rho, beta, theta, Wm), effects_se=eff_se, effects_ci=eff_ci,
                     nobs=N * T, n_draws=kept, dependent=y)


# ---------------------------------------------------------------------------- Moran's I
@dataclass(repr=False)
class MoranResult(Result):
    """Moran's I per period (see :func:`moran`): Series indexed by period.

    ``I``, ``expected`` (-1/(n-1)), ``z_norm`` and ``p_norm`` (two-sided, normality),
    ``p_sim`` (one-sided permutation p-value in the direction of I; NaN without permutations);
    ``permutations``; ``to_frame()`` one row per period.
    """

    I: pd.Series
    expected: pd.Series
    z_norm: pd.Series
    p_norm: pd.Series
    p_sim: pd.Series
    permutations: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: getattr(self, k) for k in ("I", "expected", "z_norm", "p_norm", "p_sim")})

    def summary(self) -> str:
        return f"Moran's I ({self.permutations} permutations)\n" + fmt_table(self.to_frame())

    def _repr_html_(self) -> str:
        return (f"<p><b>Moran's I ({self.permutations} permutations)</b></p>"
                + self.to_frame().to_html(float_format=lambda v: f"{v:.4f}", na_rep=""))


def _moran_weights(frame: pd.DataFrame, W):
    """(values in W's unit order, libpysal W) for a DataFrame, array or libpysal W."""
    import libpysal

    if isinstance(W, libpysal.weights.W):
        if frame.shape[1] != W.n:
            raise ValueError(f"moran: {frame.shape[1]} units but W has {W.n}")
        return frame, W
    if isinstance(W, pd.DataFrame):
        missing = [u for u in W.index if u not in frame.columns]
        if missing:
            raise ValueError(f"moran: unit {missing[0]!r} of W has no value")
        frame = frame[list(W.index)]
        Wm, ids = W.to_numpy(dtype=float), list(W.index)
    else:
        Wm, ids = np.asarray(W, dtype=float), None
    if Wm.shape != (frame.shape[1], frame.shape[1]):
        raise ValueError(f"moran: W has shape {Wm.shape} for {frame.shape[1]} units")
    return frame, libpysal.weights.full2W(Wm, ids=ids)


@renamed(permutations="n_boot")
def moran(values, W, *, n_boot: int = 999, seed: int = 0, transformation: str = "r") -> MoranResult:
    r"""Moran's I of each period's cross-section (esda's statistic and moments), with seeded permutation p-values.

    .. math:: I = \frac{n}{S_0}\frac{\sum_i\sum_j w_{ij} z_i z_j}{\sum_i z_i^2},\qquad
        E[I] = -\frac{1}{n - 1}

    Parameters
    ----------
    values : DataFrame or Series
        Periods x units (wide), or one cross-section (a Series indexed by unit).
    W : DataFrame, ndarray or libpysal W
        Spatial weights; a DataFrame is matched to the units by name.
    n_boot : int
        Random permutations for the pseudo p-value (0 skips them; ``permutations=`` is its
        deprecated name).
    seed : int
        Seed of the permutations (a local generator: no global random state is touched).
    transformation : str
        esda's transformation of W ("r" row-standardises, "b" binary).

    Returns
    -------
    MoranResult
        Series by period: ``I``, ``expected``, ``z_norm``, ``p_norm`` (two-sided, normality),
        ``p_sim`` (one-sided pseudo p-value in the direction of I, (count + 1)/(n_boot + 1));
        ``permutations`` the number of permutations.
    """
    frame = values.to_frame().T if isinstance(values, pd.Series) else values
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("moran: values must be a DataFrame (periods x units) or a Series")
    frame, w = _moran_weights(frame, W)
    w.transform = transformation
    Wd = w.full()[0]
    # esda.Moran's statistic and normality moments (Cliff & Ord), with W's moments computed once
    # for all periods (esda rebuilds them for every cross-section; tests check against esda)
    n = Wd.shape[0]
    s0 = Wd.sum()
    s1 = 0.5 * np.sum((Wd + Wd.T) ** 2)
    s2 = np.sum((Wd.sum(axis=1) + Wd.sum(axis=0)) ** 2)
    EI = -1.0 / (n - 1)
    se_norm = np.sqrt((n * n * s1 - n * s2 + 3 * s0 * s0) / ((n - 1) * (n + 1) * s0 * s0) - EI ** 2)
    permutations = int(n_boot)
    rng = np.random.default_rng(seed)
    rows = []
    # the rows iterrows would give (views of one array), without a Series per period
    for period, v in zip(frame.index, frame.to_numpy(dtype=float)):
        if not np.all(np.isfinite(v)):
            raise ValueError(f"moran: period {period}: missing value for {frame.columns[~np.isfinite(v)][0]!r}")
        z = v - v.mean()
        I = n / s0 * (z @ (Wd @ z)) / (z @ z)
        z_norm = (I - EI) / se_norm
        # ndtr(-z) and ndtr(z) are stats.norm.sf(z) and .cdf(z) bit for bit, without their argument handling
        p_norm = 2.0 * (special.ndtr(-z_norm) if z_norm > 0 else special.ndtr(z_norm))
        p_sim = np.nan
        if permutations:
            Zp = z[np.argsort(rng.random((permutations, len(z))), axis=1)]
            Ip = len(z) / Wd.sum() * np.sum((Zp @ Wd.T) * Zp, axis=1) / (z @ z)
            larger = np.sum(Ip >= I) if I >= EI else np.sum(Ip <= I)
            p_sim = (larger + 1) / (permutations + 1)
        rows.append({"period": period, "I": I, "expected": EI, "z_norm": z_norm, "p_norm": p_norm,
                     "p_sim": p_sim})
    t = pd.DataFrame(rows).set_index("period")
    return MoranResult(**{c: t[c] for c in t.columns}, permutations=int(permutations))
