"""Mediation: the stepwise test of Wen & Ye (2014), Sobel and Aroian tests, serial mediation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from .._results import CoefficientResult, fmt_table
from ._boot import Moments, cluster_bootstrap, interval_frame
from ._compat import alpha_of_level, level_of_alpha, renamed
from ._inference import check_rank, coefficient_fields, ols
from ._prepare import ENTITY, as_list, codes, prepare, resolve_cluster
from ._within import Absorb


def _mediation_cluster(df, cluster, fe, entity):
    """The cluster column. Default (``ENTITY``): the entity; without fixed effects, the entity
    only if the data have that column (a cross-section without it has independent rows)."""
    if cluster is ENTITY and not fe and isinstance(df, pd.DataFrame) and entity not in df.columns:
        return None
    return resolve_cluster(cluster, entity)


def _mediation_data(df, cols, fe, entity, time, cluster, name):
    """Checked data of a mediation model: entity and time only with fixed effects; the cluster
    column whenever it is not the entity itself."""
    keep_cluster = cluster is not None and not (fe and cluster == entity)
    return prepare(df, cols, entity if fe else None, time if fe else None, name,
                   extra=(cluster,) if keep_cluster else ())


def _fit_fe(d, y, regs, absorb, groups):
    """(params, std_errors, pvalues), each {regressor: float}, of one fixed-effects equation on
    ``d`` (prepared by :func:`_mediation_data`: sorted and checked): the steps of
    :func:`helpers.models.panel_fe` with ``vcov="CRV1"`` on the same arrays, so the same numbers
    bit for bit (``tests/test_fast_paths_twin.py``), without preparing ``d`` again and building a
    result for each equation (19 fits in every analysed twin of the design study)."""
    Xw, yw = absorb(d[regs].to_numpy()), absorb(d[y].to_numpy())
    check_rank(Xw, regs, "panel_fe")
    beta, cov, _, _ = ols(Xw, yw, groups)
    se = np.sqrt(np.diag(cov))
    return tuple(dict(zip(regs, v.tolist())) for v in (beta, se, 2 * special.ndtr(-np.abs(beta / se))))


def _fe_setup(d, entity, time, cluster) -> tuple:
    """The :class:`Absorb` of ``d`` and its cluster codes (None: no clustering), shared by the
    equations of one model."""
    return Absorb.of(d, entity, time), None if cluster is None else codes(d[cluster])[0]


def _fit_one(d, y, regs, fe, entity, time, cluster, fe_setup=None):
    """(params, std_errors, pvalues), each indexed by regressor, of one equation: FE as
    :func:`helpers.models.panel_fe` (``fe_setup``: :func:`_fe_setup` of ``d``, computed here when
    not given); else OLS with an intercept, clustered like panel_fe, or classical (t-based)
    errors when ``cluster`` is None.
    The paths keep CRV1 with the normal (not panel_fe's few-cluster default): mediation's
    inference on the indirect effect is the cluster bootstrap, and the Sobel and Wen-Ye steps
    are defined on the sandwich z statistics."""
    if fe:
        return _fit_fe(d, y, regs, *(fe_setup or _fe_setup(d, entity, time, cluster)))
    X = np.column_stack([np.ones(len(d)), d[regs].to_numpy()])
    if cluster is None:
        import statsmodels.api as sm

        r = sm.OLS(d[y].to_numpy(), X).fit()
        return (pd.Series(r.params[1:], index=regs), pd.Series(r.bse[1:], index=regs),
                pd.Series(r.pvalues[1:], index=regs))
    beta, cov, _, _ = ols(X, d[y].to_numpy(), codes(d[cluster])[0])
    f = coefficient_fields(beta[1:], cov[1:, 1:], regs)
    return f["params"], f["std_errors"], f["pvalues"]


def _path_fields(est: dict, se: dict, pv: dict) -> dict:
    """``params``, ``std_errors``, ``pvalues`` and ``cov`` of paths fitted in separate
    equations: the covariance between paths is not estimated (NaN off the diagonal)."""
    params = pd.Series(est, name="coef", dtype=float)
    ses = pd.Series(se, name="std err", dtype=float)
    var = ses.to_numpy() ** 2
    cov = pd.DataFrame(np.where(np.eye(len(var), dtype=bool), np.diag(var), np.nan), index=params.index,
                       columns=params.index)
    return {"params": params, "std_errors": ses, "pvalues": pd.Series(pv, name="p", dtype=float), "cov": cov}


def _path(name: str, field_name: str = "params", doc: str = ""):
    """Read-only scalar view of one entry of ``params`` (``std_errors``, ``pvalues``): every
    path is stored once, in the contract's Series."""
    return property(lambda self: float(getattr(self, field_name)[name]), doc=doc or f"{field_name}[{name!r}]")


@dataclass(repr=False, kw_only=True)
class MediationResult(CoefficientResult):
    r"""Simple mediation X -> M -> Y (see :func:`mediation`).

    ``params`` (a, b, c, c_prime) with ``std_errors``, ``pvalues`` and ``cov`` (paths come from
    separate equations: their covariances are NaN); the same numbers read as scalars ``a``
    (X -> M), ``b`` (M -> Y given X), ``c`` (total), ``c_prime`` (direct), with ``se_a``...,
    ``p_a``... (views of ``params``, ``std_errors``, ``pvalues``, stored once); ``ab``
    (indirect) and ``proportion_mediated`` (ab / c); Sobel and Aroian z and two-sided p;
    cluster-bootstrap ``boot_ci`` (percentile) and ``boot_ci_bc`` (bias-corrected) of a, b and
    ab at ``level``; the Wen & Ye (2014) ``verdict`` and the ``steps`` that led to it.
    """

    x: str
    m: str
    y: str
    sobel_z: float
    sobel_p: float
    aroian_z: float
    aroian_p: float
    boot_ci: pd.DataFrame
    boot_ci_bc: pd.DataFrame
    verdict: str
    steps: list
    nobs: int
    n_boot: int
    fe: bool
    cluster: str | None
    level: float = 0.95

    a = _path("a")
    b = _path("b")
    c = _path("c")
    c_prime = _path("c_prime")
    se_a = _path("a", "std_errors")
    se_b = _path("b", "std_errors")
    se_c = _path("c", "std_errors")
    se_c_prime = _path("c_prime", "std_errors")
    p_a = _path("a", "pvalues")
    p_b = _path("b", "pvalues")
    p_c = _path("c", "pvalues")
    p_c_prime = _path("c_prime", "pvalues")

    @property
    def ab(self) -> float:
        """Indirect effect a * b."""
        return self.a * self.b

    @property
    def proportion_mediated(self) -> float:
        """Share mediated ab / c (NaN when c is 0)."""
        return self.ab / self.c if self.c != 0 else np.nan

    def table(self) -> pd.DataFrame:
        rows = {
            "a (X -> M)": (self.a, self.se_a, self.p_a),
            "b (M -> Y | X)": (self.b, self.se_b, self.p_b),
            "c (total)": (self.c, self.se_c, self.p_c),
            "c' (direct)": (self.c_prime, self.se_c_prime, self.p_c_prime),
            "ab (indirect)": (self.ab, np.nan, self.sobel_p),
        }
        return pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "std err", "p"])

    def _title(self) -> str:
        return f"Mediation {self.x} -> {self.m} -> {self.y} ({'two-way FE' if self.fe else 'OLS'}, {self.nobs} obs)"

    def _notes(self) -> list[str]:
        lo, hi = self.boot_ci.loc["ab"]
        blo, bhi = self.boot_ci_bc.loc["ab"]
        return [
            f"ab (indirect) = {self.ab:.4f}",
            f"Sobel z = {self.sobel_z:.3f} (p = {self.sobel_p:.4f}); Aroian z = {self.aroian_z:.3f} (p = {self.aroian_p:.4f})",
            f"ab bootstrap ({self.n_boot} cluster resamples): percentile [{lo:.4f}, {hi:.4f}], "
            f"bias-corrected [{blo:.4f}, {bhi:.4f}]",
            f"share mediated ab/c = {self.proportion_mediated:.3f}",
            f"Wen & Ye (2014) verdict: {self.verdict}",
            *("  - " + s for s in self.steps),
        ]


def _sobel(a, b, sa, sb):
    z = a * b / np.sqrt(b**2 * sa**2 + a**2 * sb**2)
    za = a * b / np.sqrt(b**2 * sa**2 + a**2 * sb**2 + sa**2 * sb**2)
    # ndtr(-|z|) is stats.norm.sf(|z|) bit for bit, without its argument handling
    return z, 2 * special.ndtr(-abs(z)), za, 2 * special.ndtr(-abs(za))


def _wen_ye(p_c, p_a, p_b, p_cp, ab, c_prime, ci, alpha) -> tuple[str, list[str]]:
    """The stepwise procedure of Wen & Ye (2014), returning the verdict and its steps."""
    steps = []
    if p_c < alpha:
        steps.append(f"1. total effect c significant (p = {p_c:.4f}): read as mediation")
    else:
        steps.append(f"1. total effect c not significant (p = {p_c:.4f}): read as a suppression (masking) effect")
    if p_a < alpha and p_b < alpha:
        steps.append(f"2. a and b both significant (p = {p_a:.4f}, {p_b:.4f}): indirect effect significant")
    else:
        excl = ci[0] > 0 or ci[1] < 0
        steps.append(f"2. a or b not significant (p = {p_a:.4f}, {p_b:.4f}); 3. bias-corrected bootstrap "
                     f"interval of ab [{ci[0]:.4f}, {ci[1]:.4f}] {'excludes' if excl else 'includes'} zero")
        if not excl:
            return "no indirect effect", steps
    if p_cp >= alpha:
        steps.append(f"4. direct effect c' not significant (p = {p_cp:.4f}): only the indirect effect")
        return "full mediation", steps
    same = np.sign(ab) == np.sign(c_prime)
    steps.append(f"4. direct effect c' significant (p = {p_cp:.4f}); 5. ab and c' have "
                 f"{'the same' if same else 'opposite'} signs")
    return ("partial mediation" if same else "suppression (inconsistent mediation)"), steps


def _fit_equations(d, eqs: dict, spec: dict, fe, entity, time, cluster) -> dict:
    """Fit every equation {name: (outcome, regressors)}; paths {path: (equation, regressor)}
    as the fields of :func:`_path_fields`."""
    setup = _fe_setup(d, entity, time, cluster) if fe else None   # one for every equation
    fits = {k: _fit_one(d, o, r, fe, entity, time, cluster, setup) for k, (o, r) in eqs.items()}
    pick = [{k: float(fits[e][i][v]) for k, (e, v) in spec.items()} for i in range(3)]
    return _path_fields(*pick)


def _boot_paths(d, eqs, spec, fe, entity, time, cluster, n_boot, seed, progress, name) -> pd.DataFrame:
    """Bootstrap draws of every path (one column per path; no rows when ``n_boot`` is 0)."""
    if not n_boot:
        return pd.DataFrame(columns=list(spec), dtype=float)
    cols = list(dict.fromkeys(c for o, r in eqs.values() for c in (o, *r)))
    mom = Moments(d, cols, entity, time, fe, cluster, name)
    k = [] if fe else ["const"]
    dr = cluster_bootstrap(mom, {e: (o, [*r, *k]) for e, (o, r) in eqs.items()}, int(n_boot), seed, progress)
    return pd.DataFrame({p: dr[e][:, eqs[e][1].index(v)] for p, (e, v) in spec.items()})


@renamed(alpha=("level", level_of_alpha))
def mediation(df: pd.DataFrame, x: str, m: str, y: str, *, controls=(), fe: bool = True, entity: str = "city",
              time: str | None = "year", cluster=ENTITY, n_boot: int = 1999, seed: int = 0,
              level: float = 0.95, progress=False) -> MediationResult:
    r"""Mediation X -> M -> Y: stepwise test, Sobel and Aroian tests, cluster bootstrap.

    Three regressions (each with the controls and, if ``fe``, city and year effects):

    .. math::
        Y = cX + e_1, \qquad M = aX + e_2, \qquad Y = c'X + bM + e_3.

    The indirect effect is :math:`ab`; with OLS on one sample :math:`c = c' + ab` exactly.
    Sobel :math:`z = ab / \sqrt{b^2 s_a^2 + a^2 s_b^2}`; Aroian adds :math:`s_a^2 s_b^2` under
    the root. Note that :math:`b` is the coefficient of M *given X*; pingouin's "Y ~ M" row is
    the simple regression of Y on M and is not :math:`b`.

    The bootstrap resamples whole clusters (cities) with replacement, re-estimates every
    equation with its fixed effects and gives percentile and bias-corrected intervals of a, b
    and ab. The verdict follows Wen & Ye (2014): test c; test a and b; if either is not
    significant, use the bias-corrected bootstrap interval of ab; test c'; compare the signs
    of ab and c'.

    Parameters
    ----------
    df : DataFrame
    x, m, y : str
        Treatment, mediator, outcome.
    controls : str or list of str
    fe : bool
        True: two-way fixed effects (entity and ``time``; ``time=None`` one-way). False: OLS
        with an intercept on pooled data.
    entity, time : str
    cluster : str or None
        Default: the ``entity`` column; with ``fe=False`` and no such column in the data, no
        clustering (independent rows, bootstrap of rows). ``None``: no clustering; then errors
        are robust with ``fe=True`` and classical (t-based, as in the textbook Sobel test) with
        ``fe=False``. Clustered errors use the factor G/(G-1) (see :mod:`helpers.models`).
    n_boot : int
        Bootstrap replications (0 skips the bootstrap).
    seed : int
    level : float
        Level of the bootstrap intervals; every step of the stepwise test is a test of size
        1 - level (``alpha=0.05`` is the deprecated spelling of ``level=0.95``).
    progress : bool or None
        Progress bar (None: only on a terminal).

    Returns
    -------
    MediationResult
    """
    alpha = alpha_of_level(level, "mediation")
    cluster = _mediation_cluster(df, cluster, fe, entity)
    cs = as_list(controls, "controls")
    d = _mediation_data(df, [x, m, y, *cs], fe, entity, time, cluster, "mediation")
    eqs = {"a": (m, [x, *cs]), "b": (y, [m, x, *cs]), "c": (y, [x, *cs])}
    spec = {"a": ("a", x), "b": ("b", m), "c": ("c", x), "c_prime": ("b", x)}
    f = _fit_equations(d, eqs, spec, fe, entity, time, cluster)
    est, se, pv = f["params"], f["std_errors"], f["pvalues"]
    a, b, cp = (float(est[k]) for k in ("a", "b", "c_prime"))
    z, pz, za, pza = _sobel(a, b, float(se["a"]), float(se["b"]))
    boot = _boot_paths(d, {k: eqs[k] for k in ("a", "b")}, {k: spec[k] for k in ("a", "b")}, fe, entity, time,
                       cluster, n_boot, seed, progress, "mediation")
    boot["ab"] = boot["a"] * boot["b"]
    ci_p, ci_bc = interval_frame(boot, pd.Series({"a": a, "b": b, "ab": a * b}), alpha)
    verdict, steps = _wen_ye(float(pv["c"]), float(pv["a"]), float(pv["b"]), float(pv["c_prime"]), a * b, cp,
                             tuple(ci_bc.loc["ab"]), alpha)
    return MediationResult(
        **f, x=x, m=m, y=y, sobel_z=float(z), sobel_p=float(pz), aroian_z=float(za), aroian_p=float(pza),
        boot_ci=ci_p, boot_ci_bc=ci_bc, verdict=verdict, steps=steps, nobs=len(d), n_boot=int(n_boot), fe=fe,
        cluster=cluster, level=float(level),
    )


# ---------------------------------------------------------------------------- serial mediation
_SERIAL_PATHS = ["a1", "a2", "d21", "b1", "b2", "c", "c_prime"]
_SERIAL_INDIRECT = ["a1b1", "a2b2", "a1d21b2", "total_indirect"]


@dataclass(repr=False, kw_only=True)
class SerialMediationResult(CoefficientResult):
    r"""Serial mediation X -> M1 -> M2 -> Y (PROCESS model 6; see :func:`serial_mediation`).

    ``params`` (a1, a2, d21, b1, b2, c, c_prime; also readable as ``paths`` and as scalars
    ``a1``... , views of ``params``) with ``std_errors``, ``pvalues`` and ``cov`` (NaN between
    equations); ``indirect`` (a1b1, a2b2, a1d21b2, total_indirect); ``boot_ci`` and
    ``boot_ci_bc``: cluster-bootstrap percentile and bias-corrected intervals of every path and
    indirect effect at ``level``; ``boot_draws`` the draws.
    """

    x: str
    m1: str
    m2: str
    y: str
    indirect: pd.Series
    boot_ci: pd.DataFrame
    boot_ci_bc: pd.DataFrame
    nobs: int
    n_boot: int
    fe: bool
    boot_draws: pd.DataFrame = field(default=None)
    level: float = 0.95

    a1 = _path("a1")
    a2 = _path("a2")
    d21 = _path("d21")
    b1 = _path("b1")
    b2 = _path("b2")
    c = _path("c")
    c_prime = _path("c_prime")

    @property
    def paths(self) -> pd.Series:
        return self.params

    def _title(self) -> str:
        return (f"Serial mediation {self.x} -> {self.m1} -> {self.m2} -> {self.y} "
                f"({'two-way FE' if self.fe else 'OLS'}, {self.nobs} obs, {self.n_boot} cluster resamples)")

    def _notes(self) -> list[str]:
        ind = (pd.DataFrame({"estimate": self.indirect}).join(self.boot_ci.add_prefix("pct "))
               .join(self.boot_ci_bc.add_prefix("bc ")))
        paths = self.boot_ci.loc[_SERIAL_PATHS].add_prefix("pct ")
        return ["", "bootstrap intervals of the paths", fmt_table(paths), "", "indirect effects", fmt_table(ind)]


@renamed(alpha=("level", level_of_alpha))
def serial_mediation(df: pd.DataFrame, x: str, m1: str, m2: str, y: str, *, controls=(), fe: bool = True,
                     entity: str = "city", time: str | None = "year", cluster=ENTITY, n_boot: int = 1999,
                     seed: int = 0, level: float = 0.95, progress=False) -> SerialMediationResult:
    r"""Serial mediation with two ordered mediators (Hayes' PROCESS model 6).

    .. math::
        M_1 = a_1 X + e_1,\quad M_2 = a_2 X + d_{21} M_1 + e_2,\quad
        Y = c' X + b_1 M_1 + b_2 M_2 + e_3,\quad Y = c X + e_4,

    each with the controls and (if ``fe``) city and year effects. Indirect effects:
    :math:`a_1 b_1` (through M1 only), :math:`a_2 b_2` (through M2 only) and
    :math:`a_1 d_{21} b_2` (through M1 then M2). With OLS on one sample the decomposition
    :math:`c = c' + a_1 b_1 + a_2 b_2 + a_1 d_{21} b_2` is an algebraic identity.
    Intervals come from the cluster bootstrap (whole cities resampled; every equation
    re-estimated with its fixed effects in each replicate).

    Parameters are as in :func:`mediation`.

    Returns
    -------
    SerialMediationResult
    """
    alpha = alpha_of_level(level, "serial_mediation")
    cluster = _mediation_cluster(df, cluster, fe, entity)
    cs = as_list(controls, "controls")
    d = _mediation_data(df, [x, m1, m2, y, *cs], fe, entity, time, cluster, "serial_mediation")
    eqs = {"m1": (m1, [x, *cs]), "m2": (m2, [x, m1, *cs]), "y": (y, [x, m1, m2, *cs]), "c": (y, [x, *cs])}
    spec = {"a1": ("m1", x), "a2": ("m2", x), "d21": ("m2", m1), "b1": ("y", m1), "b2": ("y", m2),
            "c": ("c", x), "c_prime": ("y", x)}
    f = _fit_equations(d, eqs, spec, fe, entity, time, cluster)
    paths = f["params"]
    indirect = _serial_indirect(paths)
    bp = _boot_paths(d, eqs, spec, fe, entity, time, cluster, n_boot, seed, progress, "serial_mediation")
    boot = pd.concat([bp, _serial_indirect(bp)], axis=1)[_SERIAL_PATHS + _SERIAL_INDIRECT]
    ci, ci_bc = interval_frame(boot, pd.concat([paths, indirect]), alpha)
    return SerialMediationResult(
        **f, x=x, m1=m1, m2=m2, y=y, indirect=indirect, boot_ci=ci, boot_ci_bc=ci_bc, nobs=len(d),
        n_boot=int(n_boot), fe=fe, boot_draws=boot, level=float(level),
    )


def _serial_indirect(p):
    """Indirect effects from paths (a Series, or a DataFrame of bootstrap draws)."""
    out = {"a1b1": p["a1"] * p["b1"], "a2b2": p["a2"] * p["b2"], "a1d21b2": p["a1"] * p["d21"] * p["b2"]}
    out["total_indirect"] = out["a1b1"] + out["a2b2"] + out["a1d21b2"]
    return pd.DataFrame(out) if isinstance(p, pd.DataFrame) else pd.Series(out)
