r"""Staggered difference-in-differences: Callaway-Sant'Anna, imputation (two-stage) and naive TWFE.

One design, three estimators over the same long panel (one row per entity and period, a
``cohort`` column holding the first treated period, 0 or NaN for never-treated entities):

- :func:`callaway_santanna` wraps ``diff_diff.CallawaySantAnna`` (diff-diff 3.13, MIT): the
  group-time effects

  .. math:: ATT(g,t) = E[Y_t - Y_{g-1} \mid G=g] - E[Y_t - Y_{g-1} \mid C_{g,t}],

  with :math:`C_{g,t}` the never-treated entities (``control="never"``) or the entities not yet
  treated at :math:`t` (``control="notyet"``), outcome regression on pre-treatment covariates
  when given, aggregated to one overall ATT (``simple``: post-treatment cells weighted by cohort
  size, R ``did::aggte(type="simple")``) and to event time :math:`e = t - g` (universal base
  period :math:`e=-1`, the form Rambachan & Roth's bounds need).
- :func:`imputation` is the imputation / two-stage estimator (Borusyak, Jaravel & Spiess 2024;
  Gardner 2022): entity and period effects fitted on untreated cells only, the average
  imputed effect over treated cells. ``method="did2s"`` uses pyfixest's ``did2s`` (Gardner's
  GMM covariance), ``method="bjs"`` diff-diff's ``ImputationDiD`` (the BJS conservative
  covariance). Same point estimate, two code bases.
- :func:`twfe` the static two-way fixed-effects regression :math:`y_{it} = \beta D_{it} +
  \mu_i + \lambda_t + u_{it}`, biased under staggered heterogeneous effects (Goodman-Bacon
  2021), for contrast.

:func:`honest_bounds` gives the relative-magnitudes sensitivity of the average post-period
event-time effect (Rambachan & Roth 2023, diff-diff's ``HonestDiD``).

References
----------
Callaway, B., Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods.
J. Econometrics 225(2), 200-230.
Borusyak, K., Jaravel, X., Spiess, J. (2024). Revisiting event-study designs: robust and
efficient estimation. Review of Economic Studies 91(6), 3253-3285.
Gardner, J. (2022). Two-stage differences in differences. arXiv:2207.05943.
Rambachan, A., Roth, J. (2023). A more credible approach to parallel trends. Review of Economic
Studies 90(5), 2555-2591.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._results import CoefficientResult, require_columns

CONTROLS = {"never": "never_treated", "notyet": "not_yet_treated"}


@dataclass(repr=False, kw_only=True)
class EventStudyResult(CoefficientResult):
    r"""Effects by event time ``e = t - cohort`` (``params`` indexed by e; e = -1 the reference).

    Attributes
    ----------
    pretrend_wald, pretrend_df, pretrend_p : float
        Joint Wald test that every estimated pre-period effect (e < -1) is zero,
        :math:`W = \hat b_{pre}' \hat V_{pre}^{-1} \hat b_{pre} \sim \chi^2_{k}`.
    """

    estimator: str
    outcome: str
    pretrend_wald: float
    pretrend_df: int
    pretrend_p: float
    _source: object = None

    def _title(self) -> str:
        return f"Event study ({self.estimator}), outcome {self.outcome}"

    def _notes(self) -> list[str]:
        return [(f"joint pre-trend Wald = {self.pretrend_wald:.3f} on {self.pretrend_df} df, "
                 f"p = {self.pretrend_p:.4f}")]


@dataclass(repr=False, kw_only=True)
class DiDResult(CoefficientResult):
    """One overall ATT (``params["ATT"]``) with the design's counts and details.

    Attributes
    ----------
    estimator, control, outcome : str
    nobs, n_entities, n_treated, n_dropped : int
        Rows used, entities, ever-treated entities, entities dropped for a missing outcome.
    group_time : DataFrame or None
        ATT(g, t) with standard errors (Callaway-Sant'Anna only).
    event_study : EventStudyResult or None
    """

    estimator: str
    control: str | None
    outcome: str
    nobs: int
    n_entities: int
    n_treated: int
    n_dropped: int
    group_time: pd.DataFrame | None = None
    event_study: EventStudyResult | None = None

    def _title(self) -> str:
        ctrl = f", controls: {self.control}" if self.control else ""
        return f"{self.estimator}, outcome {self.outcome}{ctrl}"

    def _notes(self) -> list[str]:
        return [(f"{self.nobs} rows, {self.n_entities} entities ({self.n_treated} treated); "
                 f"{self.n_dropped} entities dropped for a missing outcome")]


def _prepare(data: pd.DataFrame, outcome: str, entity: str, time: str, cohort: str,
             covariates=(), balance: bool = True, keep=()) -> tuple[pd.DataFrame, int]:
    """Check columns, code never-treated as 0 and (``balance``) keep entities observed every period."""
    cols = [entity, time, cohort, outcome, *covariates]
    cols += [c for c in keep if c and c not in cols]
    require_columns(data, cols, "did")
    df = data[cols].copy()
    df[cohort] = df[cohort].replace([np.inf], np.nan).fillna(0)
    dup = df.duplicated([entity, time])
    if dup.any():
        row = df.loc[dup].iloc[0]
        raise ValueError(f"did: duplicate {entity}-{time} row: {row[entity]}, {row[time]}")
    varies = df.groupby(entity)[cohort].nunique()
    if (varies > 1).any():
        raise ValueError(f"did: {cohort} varies within {entity} {varies[varies > 1].index[0]!r}")
    bad = df[[outcome, *covariates]].isna().any(axis=1) | ~np.isfinite(
        df[[outcome, *covariates]].astype(float)).all(axis=1)
    n0 = df[entity].nunique()
    df = df.loc[~bad]
    if balance:
        n_t = df[time].nunique()
        full = df.groupby(entity)[time].transform("size") == n_t
        df = df.loc[full]
    if df.empty:
        raise ValueError(f"did: no complete entity left for outcome {outcome!r}")
    return df.reset_index(drop=True), n0 - df[entity].nunique()


def _normal_p(t):
    return 2 * stats.norm.sf(np.abs(t))


def _one(name: str, est: float, se: float) -> dict:
    return {"params": pd.Series({name: est}), "std_errors": pd.Series({name: se}),
            "pvalues": pd.Series({name: float(_normal_p(est / se)) if se > 0 else np.nan}),
            "cov": pd.DataFrame([[se**2]], index=[name], columns=[name])}


def _event_study_from(es, outcome: str, estimator: str) -> EventStudyResult:
    """Convert diff-diff's event-study container; the reference period enters with 0 and NaN se."""
    e = np.asarray(es.event_time, dtype=int)
    att, se = np.asarray(es.att, float), np.asarray(es.se, float)
    idx = pd.Index(e, name="event_time")
    vidx = list(np.asarray(es.vcov_index, dtype=int))
    cov = pd.DataFrame(np.nan, index=idx, columns=idx)
    cov.loc[vidx, vidx] = np.asarray(es.vcov, float)
    pre = [k for k in vidx if k < -1 and np.isfinite(att[list(e).index(k)])]
    if pre:
        b = pd.Series(att, index=idx).loc[pre].to_numpy()
        v = cov.loc[pre, pre].to_numpy()
        wald = float(b @ np.linalg.pinv(v) @ b)
        p = float(stats.chi2.sf(wald, len(pre)))
    else:
        wald, p = np.nan, np.nan
    return EventStudyResult(params=pd.Series(att, index=idx), std_errors=pd.Series(se, index=idx),
                            pvalues=pd.Series(_normal_p(att / se), index=idx), cov=cov,
                            estimator=estimator, outcome=outcome, pretrend_wald=wald,
                            pretrend_df=len(pre), pretrend_p=p, _source=es)


def callaway_santanna(data: pd.DataFrame, outcome: str, *, entity: str = "city",
                      time: str = "year", cohort: str = "cohort", control: str = "never",
                      covariates=None, method: str = "reg", level: float = 0.95,
                      n_boot: int = 0, seed: int = 0) -> DiDResult:
    r"""Callaway & Sant'Anna (2021) group-time ATTs, their overall and event-time aggregates.

    Parameters
    ----------
    data : DataFrame
        Long panel; entities with a missing outcome (or covariate) in any period are dropped
        (the count is ``n_dropped``), so the panel is balanced.
    outcome, entity, time, cohort : str
        Columns; ``cohort`` is the first treated period, 0 or NaN for never-treated.
    control : {"never", "notyet"}
        Comparison group: never-treated entities, or entities not yet treated at t.
    covariates : str or list of str, optional
        Pre-treatment covariates (conditional parallel trends; values of the base period).
    method : {"reg", "dr", "ipw"}
        Outcome regression (the default; with no covariates all three are the 2x2 means),
        doubly robust or inverse probability weighting.
    level : float
        Confidence level of ``conf_int`` and of the package's bands.
    n_boot : int
        Multiplier-bootstrap replicates (0: analytical influence-function standard errors).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    DiDResult
        ``params["ATT"]`` the simple aggregate :math:`\sum_{g,t\ge g} w_{g} ATT(g,t)` with
        weights proportional to cohort size; ``group_time``; ``event_study`` (universal base
        period, joint pre-trend Wald test).
    """
    if control not in CONTROLS:
        raise ValueError(f"callaway_santanna: control must be 'never' or 'notyet', got {control!r}")
    covs = [covariates] if isinstance(covariates, str) else list(covariates or [])
    df, dropped = _prepare(data, outcome, entity, time, cohort, covs)
    if (df[cohort] == 0).sum() == 0 and control == "never":
        raise ValueError("callaway_santanna: no never-treated entity; use control='notyet'")
    from diff_diff import CallawaySantAnna

    est = CallawaySantAnna(control_group=CONTROLS[control], estimation_method=method,
                           alpha=1 - level, n_bootstrap=n_boot, seed=seed,
                           base_period="universal", cband=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package's notes on small cells and deprecations
        res = est.fit(df, outcome=outcome, unit=entity, time=time, first_treat=cohort,
                      covariates=covs or None)
        es = res.aggregate("event_study")
    gt = res.to_dataframe("group_time")[["group", "time", "effect", "se"]]
    return DiDResult(**_one("ATT", float(res.overall_att), float(res.overall_se)),
                     estimator="Callaway-Sant'Anna", control=control, outcome=outcome,
                     nobs=len(df), n_entities=df[entity].nunique(),
                     n_treated=int(df.loc[df[cohort] > 0, entity].nunique()), n_dropped=dropped,
                     group_time=gt.rename(columns={"effect": "att"}),
                     event_study=_event_study_from(es, outcome, "Callaway-Sant'Anna"))


def _treated(df: pd.DataFrame, time: str, cohort: str) -> pd.Series:
    return ((df[cohort] > 0) & (df[time] >= df[cohort])).astype(int)


def imputation(data: pd.DataFrame, outcome: str, *, entity: str = "city", time: str = "year",
               cohort: str = "cohort", method: str = "did2s", cluster: str | None = None,
               level: float = 0.95) -> DiDResult:
    r"""Imputation / two-stage DiD: the average over treated cells of :math:`y_{it} - \hat y_{it}(0)`.

    :math:`\hat y_{it}(0) = \hat\mu_i + \hat\lambda_t` fitted on untreated cells (never treated
    and not yet treated). ``method="did2s"``: pyfixest ``did2s`` (Gardner 2022, GMM covariance
    clustered by ``cluster``, default the entity); ``method="bjs"``: diff-diff ``ImputationDiD``
    (Borusyak, Jaravel & Spiess 2024, conservative covariance). The point estimates coincide.
    Every treated entity needs at least two untreated periods (its fixed effect is otherwise
    fitted on one cell, and pyfixest drops such singletons).
    """
    cluster = cluster or entity
    df, dropped = _prepare(data, outcome, entity, time, cohort, keep=[cluster])
    df["_d"] = _treated(df, time, cohort)
    n_pre = df.loc[df["_d"] == 0].groupby(entity).size()
    few = n_pre[n_pre < 2]
    if len(few) and method == "did2s":
        raise ValueError(f"imputation: {entity} {few.index[0]} has fewer than two untreated "
                         "periods; its fixed effect is not estimable (drop it or use method='bjs')")
    if method == "did2s":
        import pyfixest as pf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = pf.did2s(df, yname=outcome, first_stage=f"~0|{entity}+{time}",
                           second_stage="~_d", treatment="_d", cluster=cluster)
        est, se = float(fit.coef().iloc[0]), float(fit.se().iloc[0])
        name = "Two-stage DiD (Gardner; pyfixest did2s)"
    elif method == "bjs":
        from diff_diff import ImputationDiD

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ImputationDiD(cluster=cluster, alpha=1 - level).fit(
                df, outcome=outcome, unit=entity, time=time, first_treat=cohort)
        est, se = float(res.overall_att), float(res.overall_se)
        name = "Imputation DiD (Borusyak-Jaravel-Spiess; diff-diff)"
    else:
        raise ValueError(f"imputation: method must be 'did2s' or 'bjs', got {method!r}")
    return DiDResult(**_one("ATT", est, se), estimator=name, control="untreated cells",
                     outcome=outcome, nobs=len(df), n_entities=df[entity].nunique(),
                     n_treated=int(df.loc[df[cohort] > 0, entity].nunique()), n_dropped=dropped)


def twfe(data: pd.DataFrame, outcome: str, *, entity: str = "city", time: str = "year",
         cohort: str = "cohort", cluster: str | None = None) -> DiDResult:
    r"""Static two-way fixed effects :math:`y_{it} = \beta D_{it} + \mu_i + \lambda_t + u_{it}`.

    Covariance clustered by ``cluster`` (default the entity) with the book's one small-sample
    factor G/(G-1) (pyfixest ``ssc(k_adj=False, G_adj=True)``); normal p-values.
    """
    import pyfixest as pf

    df, dropped = _prepare(data, outcome, entity, time, cohort, balance=False, keep=[cluster])
    df["_d"] = _treated(df, time, cohort)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest's note on dropped singleton fixed effects
        fit = pf.feols(f"{outcome} ~ _d | {entity} + {time}", df,
                       vcov={"CRV1": cluster or entity}, ssc=pf.ssc(k_adj=False, G_adj=True))
    est, se = float(fit.coef().iloc[0]), float(fit.se().iloc[0])
    return DiDResult(**_one("ATT", est, se), estimator="Two-way FE (static)", control=None,
                     outcome=outcome, nobs=len(df), n_entities=df[entity].nunique(),
                     n_treated=int(df.loc[df[cohort] > 0, entity].nunique()), n_dropped=dropped)


def event_study(data: pd.DataFrame, outcome: str, *, entity: str = "city", time: str = "year",
                cohort: str = "cohort", control: str = "never", covariates=None,
                level: float = 0.95) -> EventStudyResult:
    """Callaway-Sant'Anna effects by event time with the joint pre-trend test (see above)."""
    return callaway_santanna(data, outcome, entity=entity, time=time, cohort=cohort,
                             control=control, covariates=covariates, level=level).event_study


def honest_bounds(es: EventStudyResult, *, m_grid=(0.0, 0.5, 1.0, 1.5, 2.0),
                  level: float = 0.95) -> pd.DataFrame:
    r"""Relative-magnitudes bounds (Rambachan & Roth 2023) on the average post-period effect.

    Under :math:`\Delta^{RM}(\bar M)` the post-period violation of parallel trends may be at
    most :math:`\bar M` times the largest pre-period one (first differences). One row per
    :math:`\bar M`: the identified set (``lb``, ``ub``) and the robust interval (``ci_lb``,
    ``ci_ub``) at ``level``; ``attrs["breakdown_M"]`` the smallest :math:`\bar M` whose interval
    contains zero (None if none in the grid).
    """
    from diff_diff import HonestDiD

    if es._source is None or es.pretrend_df < 1:
        raise ValueError("honest_bounds: needs an event study with at least one pre-period "
                         "estimate besides the reference e = -1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sens = HonestDiD(method="relative_magnitude", alpha=1 - level).sensitivity_analysis(
            es._source, M_grid=list(m_grid))
    out = pd.DataFrame({"M": np.asarray(sens.M_values, float),
                        "lb": [b[0] for b in sens.bounds], "ub": [b[1] for b in sens.bounds],
                        "ci_lb": [c[0] for c in sens.robust_cis],
                        "ci_ub": [c[1] for c in sens.robust_cis]})
    out.attrs["breakdown_M"] = sens.breakdown_M
    out.attrs["estimate"] = float(sens.original_estimate)
    return out


def summary_table(results: dict[str, DiDResult], level: float = 0.95) -> pd.DataFrame:
    """One row per labelled result: ATT, std err, interval at ``level``, p, entities, treated."""
    rows = []
    for label, r in results.items():
        ci = r.conf_int(level).loc["ATT"]
        rows.append({"estimate": label, "ATT": r.params["ATT"], "std err": r.std_errors["ATT"],
                     "ci lower": ci["lower"], "ci upper": ci["upper"], "p": r.pvalues["ATT"],
                     "entities": r.n_entities, "treated": r.n_treated})
    return pd.DataFrame(rows).set_index("estimate")


__all__ = ["DiDResult", "EventStudyResult", "callaway_santanna", "event_study", "honest_bounds",
           "imputation", "summary_table", "twfe"]
