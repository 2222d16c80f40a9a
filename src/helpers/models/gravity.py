r"""Gravity of factor flows by Poisson pseudo-maximum likelihood, and the transaction-cost parameter.

The mechanism's transaction-cost channel says that distance frictions fall as both cities of a
pair join digital platforms. With flows :math:`F_{ijt}` of a factor from city i to city j,

.. math::
    E[F_{ijt}] = \exp(o_{it} + d_{jt} + \mu_{ij} - b_{ijt} \ln dist_{ij}), \quad
    b_{ijt} = b_0 (1 - \phi J_{ijt}), \quad J_{ijt} = \sqrt{s_{it} s_{jt}},

so :math:`\ln E[F] = \ldots - b_0 \ln dist + b_0\phi\, (\ln dist \times J)`. With origin-year,
destination-year and pair effects the level of ln dist is absorbed (distance is fixed) and the
interaction coefficient :math:`\delta = b_0\phi` is identified from changes in J within a pair;
:math:`b_0` comes from the same flows without pair effects (origin-year and destination-year
effects, ln dist and the interaction). Then :math:`\hat\phi = \hat\delta / \hat b_0` with a
delta-method interval whose covariance of :math:`(\hat\delta, \hat b_0)` is the pair-clustered
sandwich of the two estimators' stacked scores (G/(G - 1) small-sample factor).

PPML (Santos Silva & Tenreyro 2006) is consistent when only the conditional mean is right (the
multiplicative error need not be Poisson) and keeps zero flows. The main implementation is
pyfixest's ``fepois`` (high-dimensional fixed effects by alternating projections inside IRLS);
:func:`ppml_dummies` is a second implementation (statsmodels GLM Poisson with dummy variables)
for checks on small data sets.

Data needed to run it on Guangdong: directed city-to-city flows by year for the 21 cities, e.g.
(i) talent: inter-city migration or job-seeker flows (Baidu/Tencent location-based migration
indices, the 2020 census migration tables by origin prefecture); (ii) capital: cross-city
investment by enterprise registration (the Qichacha/Tianyancha firm-investment graph: parent in i,
subsidiary in j); (iii) technology: patent transfers or technology-market contracts between cities
(CNIPA patent-assignment records); plus each city's platform participation share by year (e.g.
the share of enterprises with e-commerce transactions, Guangdong Statistical Yearbook's
informatisation tables, or platform merchant counts per firm). None ships with this book; the
simulated twin emits such flows (:func:`helpers.simulate.flows.simulate_flows`).

References
----------
Santos Silva, J. M. C., Tenreyro, S. (2006). The log of gravity. REStat 88(4), 641-658.
Yotov, Y. V., Piermartini, R., Monteiro, J.-A., Larch, M. (2016). An Advanced Guide to Trade
Policy Analysis: The Structural Gravity Model. WTO/UNCTAD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import CoefficientResult, as_list, require_columns
from ._compat import check_vcov, deprecated_attribute, renamed, vcov_of_cr3, with_aliases
from ._inference import coefficient_fields, normal_pvalues

#: Columns :func:`transaction_cost_phi` needs.
FLOW_COLUMNS = ("origin", "destination", "year", "flow", "distance_km", "share_origin", "share_destination")


#: PPMLResult.to_frame's column names before the results contract (old -> new).
_OLD_COLUMNS = {"estimate": "coef", "lower": "ci lower", "upper": "ci upper"}


@dataclass(repr=False, kw_only=True)
class PPMLResult(CoefficientResult):
    """Coefficients of a Poisson PML fit with fixed effects (see :func:`ppml`).

    ``params``, ``std_errors``, ``pvalues`` (normal), ``cov`` by regressor (the results
    contract, :class:`helpers.models.CoefficientResult`); ``vcov`` the covariance used;
    ``influence`` the per-cluster influence sums (G x k, for joint inference across models);
    ``jackknife`` the per-cluster leave-one-out shifts (G x k) when ``vcov="CRV3"``.
    ``to_frame()`` still reads its old column names ``estimate``, ``lower``, ``upper`` (with
    a DeprecationWarning) as ``coef``, ``ci lower``, ``ci upper``.
    """

    nobs: int
    fixed_effects: tuple
    cluster: str | None
    vcov: str = "CRV1"
    influence: pd.DataFrame | None = None
    jackknife: pd.DataFrame | None = None

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        return with_aliases(super().to_frame(level), _OLD_COLUMNS)

    def _title(self) -> str:
        fe = " + ".join(self.fixed_effects) or "none"
        se = f"clustered by {self.cluster}" if self.cluster else "robust"
        return (f"Poisson PML, {self.nobs} obs, fixed effects: {fe}, SE {se}"
                + (" (CRV3 jackknife)" if self.vcov == "CRV3" else ""))


def _check(df: pd.DataFrame, cols, name: str) -> None:
    require_columns(df, cols, name)
    for c in cols:
        if df[c].isna().any():
            i = df.index[df[c].isna()][0]
            raise ValueError(f"{name}: column {c!r} is missing in row {i}")


@renamed(cr3=("vcov", vcov_of_cr3))
def ppml(df: pd.DataFrame, y: str, x, fixed_effects=(), *, cluster: str | None = None,
         tol: float = 1e-10, vcov: str = "CRV1") -> PPMLResult:
    """Poisson PML with high-dimensional fixed effects (pyfixest ``fepois``).

    Parameters
    ----------
    df : DataFrame
    y : str
        Non-negative outcome (flows; zeros allowed).
    x : str or list of str
        Regressors.
    fixed_effects : sequence of str
        Columns whose levels get fixed effects (combine columns beforehand for interactions).
        Groups whose outcome is zero throughout are dropped first (they are uninformative).
    cluster : str, optional
        Cluster column of the sandwich covariance; small-sample factor G/(G - 1) only
        (``None``: heteroskedasticity-robust).
    tol : float
        IRLS convergence tolerance (tight, so that a second implementation agrees to 1e-6).
    vcov : {"CRV1", "CRV3"}
        ``"CRV1"``: the cluster-robust sandwich (heteroskedasticity-robust without ``cluster``).
        ``"CRV3"`` (needs ``cluster``): the cluster jackknife
        (G - 1)/G sum_g (J_g - Jbar)(J_g - Jbar)' over the leave-one-cluster-out shifts J_g of
        the coefficients (``jackknife``, :func:`_cr3_shifts`: the fixed effects re-estimated,
        one IRLS step from the full fit), from which :func:`transaction_cost_phi` also builds
        phi's covariance. ``cr3=True`` is the deprecated spelling of ``vcov="CRV3"``; before
        this release it kept the CRV1 covariance and only stored the shifts.
    """
    import pyfixest as pf

    vcov = check_vcov(vcov, ("CRV1", "CRV3"), "ppml")
    if vcov == "CRV3" and not cluster:
        raise ValueError("ppml: vcov='CRV3' (cluster jackknife) needs a cluster column")
    xs = as_list(x, "x")
    fes = list(fixed_effects)
    cols = [y, *xs, *fes] + ([cluster] if cluster else [])
    _check(df, cols, "ppml")
    if (df[y] < 0).any():
        i = df.index[df[y] < 0][0]
        raise ValueError(f"ppml: outcome {y!r} is negative in row {i}")
    d = _drop_all_zero_groups(df[list(dict.fromkeys(cols))], y, fes)
    for f in fes:                                   # fixed effects as integer codes
        d[f] = pd.factorize(d[f])[0]
    fml = f"{y} ~ {' + '.join(xs)}" + (f" | {' + '.join(fes)}" if fes else "")
    pf_vcov = {"CRV1": cluster} if cluster else "hetero"
    labels = None
    if cluster:
        codes, labels = pd.factorize(d[cluster])
        d[cluster] = codes
    from pyfixest.demeaners import MapDemeaner

    m = pf.fepois(fml, data=d, vcov=pf_vcov, ssc=pf.ssc(k_adj=False, G_adj=bool(cluster)),
                  iwls_tol=tol, iwls_maxiter=200, demeaner=MapDemeaner(fixef_tol=1e-12, fixef_maxiter=100_000),
                  fixef_rm="none")
    if int(m._N) != len(d):
        raise ValueError(f"ppml: pyfixest dropped {len(d) - int(m._N)} observations (separation)")
    params = m.coef()[xs]
    cov = pd.DataFrame(np.asarray(m._vcov), index=m._coefnames, columns=m._coefnames).loc[xs, xs]
    infl = jack = None
    if cluster:
        # per-observation influence: scores @ bread; summed per cluster (for joint inference)
        per_obs = np.asarray(m._scores) @ np.asarray(m._bread)
        g = np.asarray(d[cluster])
        infl = pd.DataFrame(per_obs, columns=m._coefnames).groupby(g).sum()[xs]
        infl.index = pd.Index(np.asarray(labels)[infl.index], name=cluster)   # the cluster labels
        if vcov == "CRV3":
            jack = _cr3_shifts(np.asarray(m._X), np.asarray(m._u_hat), np.asarray(m._weights).ravel(),
                               [np.asarray(d[f]) for f in fes], g, list(m._coefnames))[xs]
            jack.index = pd.Index(np.asarray(labels)[jack.index], name=cluster)
            cov = _jackknife_cov(jack)
    return PPMLResult(**coefficient_fields(params.to_numpy(), cov.to_numpy(), xs), nobs=int(m._N),
                      fixed_effects=tuple(fes), cluster=cluster, vcov=vcov, influence=infl, jackknife=jack)


def _jackknife_cov(shifts: pd.DataFrame) -> pd.DataFrame:
    """CV3 covariance (G - 1)/G sum_g (J_g - Jbar)(J_g - Jbar)' of leave-one-cluster-out shifts."""
    G = len(shifts)
    dev = shifts - shifts.mean()
    return dev.T @ dev * (G - 1) / G


def _cr3_shifts(WX, u, w, fe_codes, g, names) -> pd.DataFrame:
    r"""Leave-one-cluster-out shifts of the PPML coefficients, fixed effects re-estimated.

    At the PPML solution, IRLS is a weighted least-squares fit of the working response on
    :math:`[X, D]` (D the fixed-effect dummies, weights :math:`\mu`). For that linear fit the
    jackknife is exact (MacKinnon, Nielsen & Webb 2023, "CV3"):

    .. math:: \hat\beta - \hat\beta_{(g)} = (\tilde X'\tilde X)^{-1}\tilde X_g'(I - P_{gg})^{-1}\tilde u_g,

    with :math:`\tilde X, \tilde u` the weighted, fixed-effect-partialled regressors and
    residuals and :math:`P_{gg} = P^D_{gg} + \tilde X_g(\tilde X'\tilde X)^{-1}\tilde X_g'` the
    cluster's block of the full hat matrix (Frisch-Waugh-Lovell). The fixed-effect part
    :math:`P^D_{gg} = W_g^{1/2} D_g (D'WD)^{-1} D_g' W_g^{1/2}` is what a few dominant pairs
    move: dropping Guangzhou-Foshan shifts Guangzhou's origin-year effects, which the
    cluster-robust (CRV1) sandwich ignores. Generalised inverses handle fixed effects nested in a
    cluster (their groups vanish with it). One IRLS step, so approximate for PPML; a full refit
    per cluster costs about 200 times as much.
    """
    from scipy import linalg, sparse

    n = len(u)
    cols, offset = [], 0
    for c in fe_codes:
        cols.append(c + offset)
        offset += int(c.max()) + 1
    idx = np.column_stack(cols) if cols else np.zeros((n, 0), int)
    H = WX.T @ WX
    Hinv = np.linalg.inv(H)
    M = None
    if offset:
        D = sparse.csr_matrix((np.ones(idx.size), (np.repeat(np.arange(n), idx.shape[1]), idx.ravel())),
                              shape=(n, offset))
        DtWD = (D.T @ sparse.diags(w) @ D).toarray()
        ridge = 1e-9 * np.mean(np.diag(DtWD))          # the dummies are collinear: null directions vanish in D_g M D_g'
        M = linalg.cho_solve(linalg.cho_factor(DtWD + ridge * np.eye(offset)), np.eye(offset))
    order = np.argsort(g, kind="stable")
    gs, start = np.unique(g[order], return_index=True)
    bounds = np.append(start, len(g))
    out = np.empty((len(gs), WX.shape[1]))
    sw = np.sqrt(w)
    for k in range(len(gs)):
        r = order[bounds[k]:bounds[k + 1]]
        Xg = WX[r]
        P = Xg @ Hinv @ Xg.T
        if M is not None:
            ir = idx[r]
            PD = M[ir[:, :, None, None], ir[None, None, :, :]].sum(axis=(1, 3))   # D_g M D_g'
            P = P + sw[r, None] * PD * sw[None, r]
        ustar = np.linalg.pinv(np.eye(len(r)) - P, rcond=1e-8, hermitian=True) @ u[r]
        out[k] = Hinv @ (Xg.T @ ustar)
    return pd.DataFrame(out, index=gs, columns=names)


def _drop_all_zero_groups(d: pd.DataFrame, y: str, fes) -> pd.DataFrame:
    """Drop observations of fixed-effect groups whose outcome is zero throughout (their effect
    is minus infinity and they carry no information on the slopes), repeated until none is left."""
    while True:
        keep = np.ones(len(d), bool)
        for f in fes:
            keep &= d.groupby(f, sort=False)[y].transform("sum").to_numpy() > 0
        if keep.all():
            return d.reset_index(drop=True)
        d = d[keep]


def ppml_dummies(df: pd.DataFrame, y: str, x, fixed_effects=()) -> pd.Series:
    """Second implementation: statsmodels GLM Poisson with one dummy per fixed-effect level
    (dense, for small data sets; coefficients only)."""
    import statsmodels.api as sm

    xs = as_list(x, "x")
    _check(df, [y, *xs, *fixed_effects], "ppml_dummies")
    df = _drop_all_zero_groups(df, y, list(fixed_effects))
    parts = [df[xs].astype(float)]
    for k, f in enumerate(fixed_effects):
        parts.append(pd.get_dummies(df[f].astype(str), prefix=f"fe{k}", drop_first=k > 0, dtype=float))
    X = pd.concat(parts, axis=1)
    if not fixed_effects:
        X = sm.add_constant(X)
    X = _full_rank(X, xs)
    fit = sm.GLM(df[y].astype(float), X, family=sm.families.Poisson()).fit(tol=1e-13, maxiter=500)
    return fit.params[xs]


def _full_rank(X: pd.DataFrame, keep) -> pd.DataFrame:
    """Drop dummy columns that are linear combinations of earlier ones (origin-year,
    destination-year and pair dummies are collinear beyond what drop-first removes): IRLS on a
    rank-deficient design stops short of the optimum (6e-5 off on a 6-city twin)."""
    import scipy.linalg

    _, R, piv = scipy.linalg.qr(X.to_numpy(float), mode="economic", pivoting=True)
    d = np.abs(np.diag(R))
    cols = np.sort(piv[: int((d > 1e-9 * d[0]).sum())])
    lost = [k for k in keep if X.columns.get_loc(k) not in cols]
    if lost:
        raise ValueError(f"ppml_dummies: regressor(s) {lost} collinear with the fixed effects")
    return X.iloc[:, cols]


@dataclass(repr=False, kw_only=True)
class PhiResult(CoefficientResult):
    """Transaction-cost parameter phi from gravity flows (see :func:`transaction_cost_phi`).

    ``params`` (phi, delta = b0 phi, b0) with ``std_errors``, ``pvalues`` (normal) and ``cov``:
    the joint covariance of (delta, b0) from the two PPML fits (pair-clustered, ``vcov``) and
    phi's row by the delta method; ``conf_int(level)`` the Wald (delta-method) intervals.
    ``phi``, ``delta``, ``b0`` read the scalars; ``level`` the level of the fit's call; the two
    fits ``with_pairs`` (delta) and ``without_pairs`` (b0). ``se`` and ``ci`` (phi's standard
    error and interval at ``level``) are deprecated names.
    """

    with_pairs: PPMLResult
    without_pairs: PPMLResult
    level: float = 0.95
    vcov: str = "CRV1"

    phi = property(lambda self: float(self.params["phi"]), doc="phi = delta / b0")
    delta = property(lambda self: float(self.params["delta"]), doc="b0 phi (the model with pair effects)")
    b0 = property(lambda self: float(self.params["b0"]), doc="distance elasticity b0 (no pair effects)")
    se = deprecated_attribute("se", 'std_errors["phi"]', lambda self: float(self.std_errors["phi"]))
    ci = deprecated_attribute("ci", 'conf_int(level).loc["phi"]',
                              lambda self: tuple(float(v) for v in self.conf_int(self.level).loc["phi"]))

    def _title(self) -> str:
        return (f"Transaction-cost parameter phi = delta / b0 (PPML gravity, {self.vcov} by "
                f"{self.with_pairs.cluster}; phi's interval by the delta method)")

    def _notes(self) -> list[str]:
        return ["", self.with_pairs.summary(), "", self.without_pairs.summary()]


def gravity_frame(flows: pd.DataFrame, by=("factor",)) -> pd.DataFrame:
    """Add the gravity regressors and fixed-effect keys to a long table of pair flows.

    ``lnd`` = ln distance, ``J`` = sqrt(share_origin share_destination), ``lnd_J`` = lnd x J,
    ``ln_mass_sum`` = ln(mass_origin + mass_destination) when the masses are given;
    keys ``oy`` (origin-year), ``dy`` (destination-year), ``pair`` (directed pair), each also
    by the columns ``by`` (e.g. the factor) that are present.
    """
    _check(flows, FLOW_COLUMNS, "gravity_frame")
    if (flows["distance_km"] <= 0).any():
        i = flows.index[flows["distance_km"] <= 0][0]
        raise ValueError(f"gravity_frame: distance must be positive (row {i}: "
                         f"{flows.at[i, 'origin']} -> {flows.at[i, 'destination']})")
    for c in ("share_origin", "share_destination"):
        bad = (flows[c] < 0) | (flows[c] > 1)
        if bad.any():
            i = flows.index[bad][0]
            raise ValueError(f"gravity_frame: {c} must lie in [0, 1] (row {i}, {flows.at[i, 'year']})")
    f = flows.copy()
    f["lnd"] = np.log(f["distance_km"])
    f["J"] = np.sqrt(f["share_origin"] * f["share_destination"])
    f["lnd_J"] = f["lnd"] * f["J"]
    if {"mass_origin", "mass_destination"} <= set(f.columns):
        f["ln_mass_sum"] = np.log(f["mass_origin"] + f["mass_destination"])
    extra = [c for c in by if c in f.columns]
    key = lambda cols: f[cols + extra].astype(str).agg("|".join, axis=1)  # noqa: E731
    f["oy"], f["dy"] = key(["origin", "year"]), key(["destination", "year"])
    f["pair"] = key(["origin", "destination"])
    lo = np.where(f["origin"].astype(str) < f["destination"].astype(str), f["origin"], f["destination"])
    hi = np.where(f["origin"].astype(str) < f["destination"].astype(str), f["destination"], f["origin"])
    f["city_pair"] = pd.Series(lo, index=f.index).astype(str) + "|" + pd.Series(hi, index=f.index).astype(str)
    return f


def transaction_cost_phi(flows: pd.DataFrame, *, level: float = 0.95, by=("factor",),
                         cluster: str = "city_pair", vcov: str = "CRV1") -> PhiResult:
    """Estimate phi in b_ijt = b0 (1 - phi sqrt(s_i s_j)) from directed pair flows (module docstring).

    Parameters
    ----------
    flows : DataFrame
        Columns :data:`FLOW_COLUMNS` (``flow`` >= 0; shares in [0, 1]) and optionally ``factor``
        (several flow types pooled, each with its own fixed effects, one common phi) and
        ``mass_origin``, ``mass_destination``: the modified gravity law's
        k_ij = M_i / (M_i + M_j) puts -ln(M_i + M_j) into the log flow, which origin-year and
        destination-year effects do not absorb (and pair effects only in part); given the
        masses, ln(M_i + M_j) enters both models as a regressor.
    level : float
        Level of the delta-method interval of the deprecated ``ci`` (``conf_int(level)``
        gives any level).
    cluster : str
        Clusters of the sandwich: ``"city_pair"`` (default: both directions and every factor
        of a pair of cities, whose flows share the pair's participation J) or ``"pair"``
        (directed pair by factor).
    vcov : {"CRV1", "CRV3"}
        Covariance of (delta, b0). ``"CRV1"`` (default, fast): the cluster-robust sandwich of the
        stacked influence sums with factor G/(G - 1). ``"CRV3"`` (5-30 s on the twin; its old
        spelling "CV3" is deprecated): the cluster jackknife,
        (G - 1)/G sum_g (J_g - Jbar)(J_g - Jbar)' over the leave-one-cluster-out shifts
        (:func:`_cr3_shifts`, fixed effects re-estimated). A few large city pairs dominate PPML's
        weights, so CRV1 is too small (on the twin its intervals cover the true phi in 78% of
        100 twins); see ``tools/bench_gravity.py`` for CRV3's coverage.

    Returns
    -------
    PhiResult
    """
    vcov = check_vcov(vcov, ("CRV1", "CRV3"), "transaction_cost_phi")
    if not 0 < level < 1:
        raise ValueError(f"transaction_cost_phi: level must lie in (0, 1), got {level}")
    f = gravity_frame(flows, by=by)
    k = ["ln_mass_sum"] if "ln_mass_sum" in f.columns else []
    A = ppml(f, "flow", ["lnd_J", *k], ["oy", "dy", "pair"], cluster=cluster, vcov=vcov)
    B = ppml(f, "flow", ["lnd", "lnd_J", *k], ["oy", "dy"], cluster=cluster, vcov=vcov)
    delta, b0 = float(A.params["lnd_J"]), -float(B.params["lnd"])
    if vcov == "CRV3":   # jackknife over clusters: both models' leave-one-out shifts, stacked by cluster
        Jk = pd.concat([A.jackknife["lnd_J"].rename("delta"), -B.jackknife["lnd"].rename("b0")], axis=1).fillna(0.0)
        cov = _jackknife_cov(Jk)
    else:     # joint covariance of (delta, -coef lnd) from the stacked per-pair influence sums
        IF = pd.concat([A.influence["lnd_J"].rename("delta"), -B.influence["lnd"].rename("b0")], axis=1).fillna(0.0)
        G = len(IF)
        cov = IF.T @ IF * G / (G - 1)
    return PhiResult(**_phi_fields(delta, b0, cov.to_numpy()), with_pairs=A, without_pairs=B, level=float(level),
                     vcov=vcov)


def _phi_fields(delta: float, b0: float, C: np.ndarray) -> dict:
    """Contract fields of (phi, delta, b0) from the covariance C of (delta, b0): phi = delta / b0
    with gradient g = (1/b0, -delta/b0^2); cov = J C J' with J = [g; I]."""
    grad = np.array([1 / b0, -delta / b0**2])
    J = np.vstack([grad, np.eye(2)])
    V = J @ C @ J.T
    V[0, 0] = grad @ C @ grad        # phi's variance exactly as computed before the contract
    names = ["phi", "delta", "b0"]
    params = pd.Series([delta / b0, delta, b0], index=names, name="coef")
    se = pd.Series(np.sqrt(np.diag(V)), index=names, name="std err")
    return {"params": params, "std_errors": se, "pvalues": normal_pvalues(params, se),
            "cov": pd.DataFrame(V, index=names, columns=names)}
