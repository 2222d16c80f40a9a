r"""Mediation reported the modern way: total, direct and indirect effects with bootstrap
intervals, and the sensitivity of the indirect effect to an unobserved mediator-outcome
confounder (Imai, Keele & Tingley 2010).

The stepwise test (Baron-Kenny, Wen & Ye 2014) reads mediation off the significance of paths;
the current practice (Imai, Keele & Tingley 2010; for Chinese applied economics, Jiang 2022)
reports the average causal mediation effect (ACME, here :math:`ab`), the direct effect
:math:`c'` and the total effect :math:`c` with intervals, and says how strong a violation of
sequential ignorability would have to be to explain the indirect effect away.

Sensitivity (linear structural equations, no treatment-mediator interaction). With

.. math::
    Y = \beta_1 X + e_1, \qquad M = \beta_2 X + e_2, \qquad Y = \beta_3 X + \gamma M + e_3,

(each with the controls and the fixed effects), let :math:`\rho = \operatorname{corr}(e_2, e_3)`
be the correlation an unobserved confounder of M and Y would induce, :math:`\sigma_1, \sigma_2`
the standard deviations of :math:`e_1, e_2`, and :math:`\tilde\rho = \operatorname{corr}(e_1, e_2)`.
Imai, Keele & Yamamoto (2010, Theorem 2) and Imai, Keele & Tingley (2010, eq. 10) give

.. math::
    \text{ACME}(\rho) = \frac{\beta_2 \sigma_1}{\sigma_2}
    \left(\tilde\rho - \rho \sqrt{\frac{1 - \tilde\rho^2}{1 - \rho^2}}\right),

which equals :math:`ab` at :math:`\rho = 0` and is zero at :math:`\rho = \tilde\rho`, the
partial correlation of mediator and outcome given the treatment, controls and fixed effects.

References
----------
Imai, K., Keele, L. & Tingley, D. (2010). A general approach to causal mediation analysis.
*Psychological Methods* 15(4), 309-334.
Imai, K., Keele, L. & Yamamoto, T. (2010). Identification, inference and sensitivity analysis
for causal mediation effects. *Statistical Science* 25(1), 51-71.
Jiang, T. (2022). Mediating effects and moderating effects in causal inference. *China
Industrial Economics* 2022(5), 100-120.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import Result
from ._boot import interval_frame
from ._compat import alpha_of_level
from ._prepare import ENTITY, as_list
from ._within import within
from .mediation import _boot_paths, _mediation_cluster, _mediation_data


def _residuals(d: pd.DataFrame, cols: list[str], regressors: list[str], fe: bool, entity, time) -> pd.DataFrame:
    """Each column of ``cols`` net of ``regressors`` (and the fixed effects, or an intercept)."""
    z = within(d, [*cols, *regressors], entity=entity, time=time) if fe else \
        d[[*cols, *regressors]] - d[[*cols, *regressors]].mean()
    X = z[regressors].to_numpy()
    out = {}
    for c in cols:
        y = z[c].to_numpy()
        out[c] = y - X @ np.linalg.lstsq(X, y, rcond=None)[0] if X.shape[1] else y
    return pd.DataFrame(out, index=d.index)


def acme_curve(a: float, sigma_1: float, sigma_2: float, rho_tilde: float, rho) -> np.ndarray:
    r"""ACME(:math:`\rho`) of Imai, Keele & Tingley (2010, eq. 10); see the module docstring.

    >>> float(acme_curve(0.5, 2.0, 1.0, 0.3, 0.0))   # a * gamma = 0.5 * 0.3 * 2 / 1
    0.3
    >>> float(acme_curve(0.5, 2.0, 1.0, 0.3, 0.3))
    0.0
    """
    r = np.asarray(rho, dtype=float)
    if np.any(np.abs(r) >= 1):
        raise ValueError("acme_curve: rho must lie strictly between -1 and 1")
    return a * sigma_1 / sigma_2 * (rho_tilde - r * np.sqrt((1 - rho_tilde**2) / (1 - r**2)))


@dataclass(repr=False, kw_only=True)
class MediationSensitivity(Result):
    r"""Sensitivity of the indirect effect to a mediator-outcome confounder.

    ``rho_zero``: the error correlation :math:`\rho` at which the ACME is zero
    (:math:`\tilde\rho`); ``curve``: ACME over a grid of :math:`\rho`; ``a``, ``sigma_1``,
    ``sigma_2`` as in the module docstring; ``acme`` the ACME at :math:`\rho = 0` (= ab).
    """

    x: str
    m: str
    y: str
    a: float
    sigma_1: float
    sigma_2: float
    rho_zero: float
    acme: float
    curve: pd.Series
    nobs: int

    def at(self, rho) -> np.ndarray:
        """ACME at error correlation(s) ``rho``."""
        return acme_curve(self.a, self.sigma_1, self.sigma_2, self.rho_zero, rho)


def mediation_sensitivity(df: pd.DataFrame, x: str, m: str, y: str, *, controls=(), fe: bool = True,
                          entity: str = "city", time: str | None = "year",
                          grid=None) -> MediationSensitivity:
    r"""Imai-Keele-Tingley sensitivity of the indirect effect of ``x`` on ``y`` through ``m``.

    Fits the mediator and total-effect equations (controls, two-way fixed effects when ``fe``),
    and returns the ACME as a function of :math:`\rho` (on ``grid``, default -0.9 to 0.9 by
    0.01) and the :math:`\rho` at which it is zero.
    A small :math:`|\rho|` at zero means a weak unobserved confounder of mediator and outcome
    would explain the indirect effect away.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 400
    >>> d = pd.DataFrame({"x": rng.normal(size=n)})
    >>> d["m"] = 0.5 * d["x"] + rng.normal(size=n)
    >>> d["y"] = 0.3 * d["m"] + 0.2 * d["x"] + rng.normal(size=n)
    >>> s = mediation_sensitivity(d, "x", "m", "y", fe=False)
    >>> round(s.rho_zero, 2), bool(abs(s.at(s.rho_zero)) < 1e-12)
    (0.3, True)
    """
    cs = as_list(controls, "controls")
    d = _mediation_data(df, [x, m, y, *cs], fe, entity, time, None, "mediation_sensitivity")
    # e_1: Y net of X and controls (total-effect equation); e_2: M net of X and controls
    res = _residuals(d, [y, m], [x, *cs], fe, entity, time)
    e1, e2 = res[y].to_numpy(), res[m].to_numpy()
    z = within(d, [m, x, *cs], entity=entity, time=time) if fe else d[[m, x, *cs]] - d[[m, x, *cs]].mean()
    a = float(np.linalg.lstsq(z[[x, *cs]].to_numpy(), z[m].to_numpy(), rcond=None)[0][0])
    s1, s2 = float(np.sqrt(np.mean(e1**2))), float(np.sqrt(np.mean(e2**2)))
    if s1 == 0 or s2 == 0:
        raise ValueError(f"mediation_sensitivity: {y if s1 == 0 else m!r} has no variation left "
                         "once the treatment, controls and fixed effects are removed")
    rho_tilde = float(np.mean(e1 * e2) / (s1 * s2))
    grid = np.linspace(-0.9, 0.9, 181) if grid is None else np.asarray(grid, dtype=float)
    curve = pd.Series(acme_curve(a, s1, s2, rho_tilde, grid), index=pd.Index(grid, name="rho"), name="ACME")
    return MediationSensitivity(x=x, m=m, y=y, a=a, sigma_1=s1, sigma_2=s2, rho_zero=rho_tilde,
                                acme=float(acme_curve(a, s1, s2, rho_tilde, 0.0)), curve=curve, nobs=len(d))


def mediation_effects(df: pd.DataFrame, x: str, m: str, y: str, *, controls=(), fe: bool = True,
                      entity: str = "city", time: str | None = "year", cluster=ENTITY, n_boot: int = 999,
                      seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    r"""Total (:math:`c`), direct (:math:`c'`) and indirect (:math:`ab`) effects with
    cluster-bootstrap percentile intervals, and the share mediated.

    One bootstrap resamples whole clusters and re-estimates the mediator and outcome equations
    with their fixed effects; the total effect of each replicate is :math:`c' + ab` (exact for
    OLS on one sample), so the three intervals come from the same draws.

    Returns
    -------
    DataFrame
        Rows ``total``, ``direct``, ``indirect``, ``share mediated``; columns ``estimate``,
        ``ci_low``, ``ci_high``.
    """
    alpha = alpha_of_level(level, "mediation_effects")
    cluster = _mediation_cluster(df, cluster, fe, entity)
    cs = as_list(controls, "controls")
    d = _mediation_data(df, [x, m, y, *cs], fe, entity, time, cluster, "mediation_effects")
    eqs = {"a": (m, [x, *cs]), "b": (y, [m, x, *cs])}
    spec = {"a": ("a", x), "b": ("b", m), "c_prime": ("b", x)}
    z = within(d, [x, m, y, *cs], entity=entity, time=time) if fe else d[[x, m, y, *cs]] - d[[x, m, y, *cs]].mean()
    a = float(np.linalg.lstsq(z[[x, *cs]].to_numpy(), z[m].to_numpy(), rcond=None)[0][0])
    bc = np.linalg.lstsq(z[[m, x, *cs]].to_numpy(), z[y].to_numpy(), rcond=None)[0]
    b, cp = float(bc[0]), float(bc[1])
    est = pd.Series({"total": cp + a * b, "direct": cp, "indirect": a * b})
    est["share mediated"] = est["indirect"] / est["total"] if est["total"] != 0 else np.nan
    boot = _boot_paths(d, eqs, spec, fe, entity, time, cluster, n_boot, seed, False, "mediation_effects")
    draws = pd.DataFrame({"direct": boot["c_prime"], "indirect": boot["a"] * boot["b"]})
    draws["total"] = draws["direct"] + draws["indirect"]
    draws["share mediated"] = draws["indirect"] / draws["total"]
    ci, _ = interval_frame(draws[list(est.index)], est, alpha)
    ci.columns = ["ci_low", "ci_high"]
    return pd.concat([est.rename("estimate"), ci], axis=1)
