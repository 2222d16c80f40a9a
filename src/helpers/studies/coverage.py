"""Interval coverage in correctly specified twins: what separates coverage from 95% is inference
with few clusters, not misspecification (SIMULATED).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import Result
from ..simulate import estimands, simulate_panel

# --------------------------------------------------------------------------- few clusters
#: A correctly specified twin: no confounder, one direct slope (no threshold), no spatial terms
#: (theta = rho = 0) and no transaction-cost channel. With the estimators run on the
#: standardised *latent states* (no measurement layer), the estimands' truths are what the
#: estimators are consistent for, so what separates coverage from 95% is inference with 21 clusters.
CORRECTLY_SPECIFIED = {"confounding": 0.0, "c_low": 0.5, "c_high": 0.5, "theta": 0.0, "rho": 0.0, "phi": 0.0}


#: Intervals of :func:`correct_spec_coverage`: (estimator, interval) -> description.
CORRECT_INTERVALS = {
    ("FE total", "CRV1, normal"): "two-way FE, cluster-robust (G/(G-1)) errors, normal critical values (vcov='CRV1')",
    ("FE total", "CRV1, t(G-1)"): "the same errors with Student t(G - 1) critical values",
    ("FE total", "CRV3, t(G-1)"): "cluster-jackknife errors with t(G - 1) (the book's: panel_fe's default below 50 clusters)",
    ("2SLS", "CRV1, normal"): "2SLS, cluster-robust errors, normal critical values (vcov='CRV1')",
    ("2SLS", "CRV1, t(G-1)"): "the same errors with Student t(G - 1) critical values",
    ("2SLS", "CRV3, t(G-1)"): "cluster-jackknife errors, first stage re-estimated, with t(G - 1) (the book's: iv_2sls's default below 50 clusters)",
    ("direct c'", "bootstrap percentile"): "serial mediation's direct effect, cluster-bootstrap percentile (the book's)",
}


def _latent_states(panel: pd.DataFrame, truth) -> pd.DataFrame:
    """The twin's latent states (and log population), standardised over the panel."""
    lat = truth.latent.reset_index()
    pop = panel.set_index(["city", "year"])["population"]
    lat["log_population"] = np.log(pop.loc[list(zip(lat["city"], lat["year"]))].to_numpy())
    for c in ("VA", "FN", "AG", "SY", "Z", "log_population"):
        lat[c] = (lat[c] - lat[c].mean()) / lat[c].std(ddof=0)
    return lat


#: Added by ``correct_spec_coverage(spatial=True)``: the spatial Durbin model's effects.
SPATIAL_INTERVALS = {
    ("SDM direct", "ML, simulated effects"): "SDM direct effect (the book's), against the FE estimand c",
    ("SDM spillover", "ML, simulated effects"): "SDM indirect effect (the book's), against the spillover truth",
}


def _correct_twin(seed: int, params: dict, n_boot: int, spatial: bool = False) -> pd.DataFrame:
    """One correctly specified twin: every interval of :data:`CORRECT_INTERVALS` (and, with
    ``spatial``, :data:`SPATIAL_INTERVALS`) against its truth."""
    from scipy import stats

    from .. import models

    panel, truth = simulate_panel(params=params, seed=seed)
    z = _latent_states(panel, truth)
    ctl = ["log_population"]
    fe = models.panel_fe(z, "SY", "VA", controls=ctl, vcov="CRV1")
    fe3 = models.panel_fe(z, "SY", "VA", controls=ctl, vcov="CRV3")
    iv = models.iv_2sls(z, "SY", "VA", ["Z"], controls=ctl, vcov="CRV1")
    iv3 = models.iv_2sls(z, "SY", "VA", ["Z"], controls=ctl, vcov="CRV3")
    ser = models.serial_mediation(z, "VA", "FN", "AG", "SY", controls=ctl, n_boot=n_boot, seed=seed)
    et = estimands.estimand_truths(params, seed, measured=False, truth=truth).truths["latent"]
    z95, t95 = stats.norm.ppf(0.975), stats.t.ppf(0.975, z["city"].nunique() - 1)

    def band(b, se, q):
        return float(b), float(b - q * se), float(b + q * se), float(se)

    rows = {
        ("FE total", "CRV1, normal"): (*band(fe.params["VA"], fe.std_errors["VA"], z95), et["c"]),
        ("FE total", "CRV1, t(G-1)"): (*band(fe.params["VA"], fe.std_errors["VA"], t95), et["c"]),
        ("FE total", "CRV3, t(G-1)"): (*band(fe3.params["VA"], fe3.std_errors["VA"], t95), et["c"]),
        ("2SLS", "CRV1, normal"): (*band(iv.params["VA"], iv.std_errors["VA"], z95), et["c_iv"]),
        ("2SLS", "CRV1, t(G-1)"): (*band(iv.params["VA"], iv.std_errors["VA"], t95), et["c_iv"]),
        ("2SLS", "CRV3, t(G-1)"): (*band(iv3.params["VA"], iv3.std_errors["VA"], t95), et["c_iv"]),
        ("direct c'", "bootstrap percentile"): (float(ser.paths["c_prime"]), *map(float, ser.boot_ci.loc["c_prime"]),
                                                np.nan, et["c_prime"]),
    }
    if spatial:
        sdm = models.spatial_durbin_panel(z, "SY", ["VA", *ctl], truth.W, seed=seed)
        for (est, itv), part, name in ((("SDM direct", "ML, simulated effects"), "direct", "c"),
                                       (("SDM spillover", "ML, simulated effects"), "indirect", "spillover")):
            rows[(est, itv)] = (float(getattr(sdm.effects, part)["VA"]), *map(float, sdm.effects_ci.loc[(part, "VA")]),
                                np.nan, et[name])
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "ci_low", "ci_high", "se", "true"])
    out.index = pd.MultiIndex.from_tuples(out.index, names=["estimator", "interval"])
    out["covers"] = (out["ci_low"] <= out["true"]) & (out["true"] <= out["ci_high"])
    out["twin"] = seed
    out["clusters"] = z["city"].nunique()
    return out


@dataclass(repr=False)
class CorrectSpecCoverage(Result):
    """Coverage of 95% intervals on correctly specified twins (see :func:`correct_spec_coverage`).

    Attributes
    ----------
    table : DataFrame
        Index (estimator, interval); ``coverage``, ``mc_se`` (sqrt(p(1 - p)/R)), ``mean_estimate``,
        ``mean_true`` (latent scale, SD per SD), ``mean_se`` (average standard error; NaN for
        the bootstrap interval), ``sd_error`` (SD across twins of estimate minus its own truth,
        which varies by twin: what a standard error should match), ``twins``.
    per_twin : DataFrame
        Every twin's estimate, interval, truth and ``covers``.
    n_reps, n_clusters : int
    params : dict
        The twin parameters (overrides of :class:`helpers.simulate.TwinParams`).
    """

    table: pd.DataFrame
    per_twin: pd.DataFrame
    n_reps: int
    n_clusters: int
    params: dict

    def coverage(self, estimator: str, interval: str) -> float:
        return float(self.table.at[(estimator, interval), "coverage"])

    def summary(self) -> str:
        return (f"Coverage on {self.n_reps} correctly specified SIMULATED twins {self.params}, estimators on the "
                f"latent states, {self.n_clusters} clusters; MC SE at 95%: {np.sqrt(0.95 * 0.05 / self.n_reps):.3f}\n"
                + self.table.to_string(float_format=lambda v: f"{v:.3f}"))


def correct_spec_coverage(n_reps: int, params=None, *, first_seed: int = 1, n_boot: int = 99,
                          n_jobs: int = 1, spatial: bool = False) -> CorrectSpecCoverage:
    """How often 95% intervals cover their truth when nothing but the number of clusters is wrong.

    Twins with :data:`CORRECTLY_SPECIFIED` (updated by ``params``): no confounder, one slope,
    no spatial terms. The estimators run on the standardised latent states (no measurement
    error, no construct scale) and are judged against the latent-scale truth of their own
    estimand (:func:`helpers.simulate.estimands.estimand_truths`): two-way FE (``c``), 2SLS with the
    instrument Z (``c_iv``) and the serial model's direct effect (``c_prime``). Each estimator
    is consistent for its truth here, so a coverage gap is the small-sample bias of the
    interval with G = 21 clusters; the FE interval is given three ways
    (:data:`CORRECT_INTERVALS`): CRV1 with normal critical values (the book's), with t(G - 1),
    and the cluster jackknife CRV3 with t(G - 1) (MacKinnon, Nielsen & Webb 2023).

    Parameters
    ----------
    n_reps : int
        Twins (seeds ``first_seed, ...``). A share p has Monte Carlo SE sqrt(p (1 - p) / n_reps).
    params : dict, optional
        Overrides of :data:`CORRECTLY_SPECIFIED`.
    first_seed : int
    n_boot : int
        Cluster-bootstrap replications of the serial mediation in each twin.
    n_jobs : int
        Processes (joblib); results do not depend on it.
    spatial : bool
        Keep the twin's knowledge spillovers (``theta`` and ``rho`` at their defaults) and add
        the book's spatial Durbin model (:data:`SPATIAL_INTERVALS`): its direct effect against
        ``c`` and its spillover against ``spillover`` (the truths the book sets them beside).

    Returns
    -------
    CorrectSpecCoverage
    """
    p = correct_spec_params(params, spatial=spatial)
    d = correct_spec_rows(n_reps, p, first_seed=first_seed, n_boot=n_boot, n_jobs=n_jobs, spatial=spatial)
    return summarise_correct_spec(d, n_reps, p, spatial=spatial)


def correct_spec_params(params=None, *, spatial: bool = False) -> dict:
    """The twin parameters of :func:`correct_spec_coverage`: :data:`CORRECTLY_SPECIFIED` updated by
    ``params``; with ``spatial``, the default knowledge spillovers (theta, rho) unless given."""
    p = {**CORRECTLY_SPECIFIED, **dict(params or {})}
    if spatial:
        from ..simulate import TwinParams

        p.update(theta=TwinParams().theta, rho=TwinParams().rho, **{k: v for k, v in dict(params or {}).items()
                                                                   if k in ("theta", "rho")})
    return p


def correct_spec_rows(n_reps: int, p: dict, *, first_seed: int = 1, n_boot: int = 99, n_jobs: int = 1,
                      spatial: bool = False) -> pd.DataFrame:
    """Every twin's intervals of :func:`correct_spec_coverage` as one long frame (what a store keeps):
    columns estimator, interval, estimate, ci_low, ci_high, se, true, covers, twin, clusters.
    ``p``: the parameters of :func:`correct_spec_params`."""
    seeds = list(range(first_seed, first_seed + n_reps))
    if n_jobs == 1:
        runs = [_correct_twin(s, p, n_boot, spatial) for s in seeds]
    else:
        from joblib import Parallel, delayed

        runs = Parallel(n_jobs=n_jobs)(delayed(_correct_twin)(s, p, n_boot, spatial) for s in seeds)
    return pd.concat(runs).reset_index()


def summarise_correct_spec(rows: pd.DataFrame, n_reps: int, p: dict, *, spatial: bool = False) -> CorrectSpecCoverage:
    """The :class:`CorrectSpecCoverage` of the rows of :func:`correct_spec_rows` (computed now or
    read from a store: the same numbers either way)."""
    d = rows.set_index(["estimator", "interval"])
    g = d.groupby(level=["estimator", "interval"], sort=False)
    d = d.sort_index(kind="stable")   # lexsorted for .loc by (estimator, interval)
    err = (d["estimate"] - d["true"]).groupby(level=["estimator", "interval"], sort=False)
    cov = g["covers"].mean().astype(float)
    table = pd.DataFrame({"coverage": cov, "mc_se": np.sqrt(cov * (1 - cov) / n_reps),
                          "mean_estimate": g["estimate"].mean(), "mean_true": g["true"].mean(),
                          "mean_se": g["se"].mean(), "sd_error": err.std(ddof=1),
                          "twins": g["covers"].count()}).reindex(pd.MultiIndex.from_tuples(
                              list(CORRECT_INTERVALS) + (list(SPATIAL_INTERVALS) if spatial else []),
                              names=["estimator", "interval"]))
    return CorrectSpecCoverage(table=table, per_twin=d, n_reps=n_reps, n_clusters=int(d["clusters"].max()), params=p)
