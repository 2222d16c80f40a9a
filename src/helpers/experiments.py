"""Experiments that put the estimators against the twin's truth.

This is the one place besides tests where an estimate meets the true effect: it simulates
twins (:mod:`helpers.simulate`), runs the analysis (:mod:`helpers.report`, which never imports
the simulator) and compares. :func:`truth_comparison` is the one estimate-versus-truth helper
(the Mechanism and Findings chapters and :func:`analyse_twin` all use it); :func:`twin_panel`
gives the panel of a twin by its seed. Used by the findings chapter (what a 21 x 13 panel can
detect) and by the recovery tests (interval coverage).

Every estimate is compared with the truth of *its own estimand*
(:mod:`helpers.estimands`, :data:`helpers.estimands.TRUTH_FOR`): a regression-weighted marginal
effect, not the one-SD effect averaged equally. Monte Carlo loops and the design study use the
**latent scale** (standardised latent states; :func:`helpers.estimands.estimand_truths` with
``measured=False``, under a second per twin); a single twin can afford the measured scale
(``scale="measured"``, 10-30 s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import constructs, data, estimands, report
from ._results import Result
from .simulate import DEFAULT_SEED, YEARS, simulate_panel


#: A world in which virtual agglomeration affects nothing: no transaction-cost channel, no
#: direct effect on agglomeration or synergy, no spillover of VA to neighbours. The unobserved
#: local shock that moves both VA and synergy stays, as do spatial dependence and the threshold
#: variable, so every "supported" verdict in such twins is a false positive.
NO_EFFECT = {"phi": 0.0, "a_VA": 0.0, "theta": 0.0, "c_low": 0.0, "c_high": 0.0}


def twin_panel(twin_seed: int | None = None) -> pd.DataFrame:
    """The observed panel of the simulated twin with seed ``twin_seed``: the bundled file for
    the bundled seed (``None`` or :data:`helpers.simulate.DEFAULT_SEED`), else a fresh
    simulation, validated like any panel and marked ``attrs["simulated"] = True``."""
    if twin_seed is None or int(twin_seed) == DEFAULT_SEED:
        return data.load_panel()
    panel, _ = simulate_panel(seed=int(twin_seed))
    panel = data.validate_panel(panel, source=f"twin seed {twin_seed}")
    panel.attrs.update(simulated=True, source=f"SIMULATED twin of Guangdong (helpers.simulate, seed {twin_seed})")
    return panel


#: Rows added to :func:`helpers.report.estimates_table` for the comparison with the truth:
#: key -> (label, results attribute path, coefficient).
EXTRA_ROWS = {
    "productivity_synergy": ("productivity on synergy (holding agglomeration)", ("outcomes", "productivity"),
                             "synergy"),
    "productivity_agglomeration": ("productivity on agglomeration (holding synergy)",
                                   ("outcomes", "productivity"), "lq_manufacturing"),
    "competitiveness_synergy": ("competitiveness on synergy (holding productivity)",
                                ("outcomes", "competitiveness"), "synergy"),
    "competitiveness_productivity": ("competitiveness on productivity (holding synergy)",
                                     ("outcomes", "competitiveness"), "productivity"),
}


def estimates_with_slopes(results: report.MechanismResults) -> pd.DataFrame:
    """:func:`helpers.report.estimates_table` plus the threshold test's regime slopes
    (``threshold_low``, ``threshold_high``: direct slope below / above the estimated threshold,
    Wald intervals given the threshold) and the outcome regressions' slopes (:data:`EXTRA_ROWS`),
    each a key of :data:`helpers.estimands.TRUTH_FOR`."""
    tab = report.estimates_table(results)
    rows = {}
    thr = results.threshold
    if thr is not None and len(thr.slopes):
        ci = thr.conf_int(0.95)
        for key, name, label in (("threshold_low", thr.slopes.index[0], "direct slope below the threshold"),
                                 ("threshold_high", thr.slopes.index[-1], "direct slope above the threshold")):
            rows[key] = (label, float(thr.params[name]), float(ci.at[name, "lower"]), float(ci.at[name, "upper"]),
                         float(thr.pvalues[name]))
    for key, (label, (group, name), coef) in EXTRA_ROWS.items():
        fit = getattr(results, group).get(name)
        if fit is not None:
            rows[key] = report._fe_row(fit, coef, label)
    extra = pd.DataFrame.from_dict(rows, orient="index", columns=tab.columns)
    out = pd.concat([tab, extra]) if len(extra) else tab
    out.index.name = "key"
    return out


def exposure_estimate(truth) -> "models.ExposureResult":
    """The network-externality exposure effect alpha_E of one twin (:func:`helpers.models.exposure_effect`).

    Data: the twin's platform share s (logit as outcome, W s as the exposure) with its exogenous
    shifters, infrastructure D and the instrument Z; their exposures W D, W Z instrument W s
    (2SLS, city and year effects, SE clustered by city). The platform share is a latent state of
    the twin: the panel has no indicator that measures it directly, so this is the estimate a
    study would get *with* city-level participation data (what Guangdong would need; see
    :mod:`helpers.models.exposure`). Its truth is ``TwinParams.alpha_E`` on the logit scale.
    """
    from . import models

    lat = truth.latent.reset_index()
    lat["logit_va"] = np.log(lat["VA"] / (1 - lat["VA"]))
    return models.exposure_effect(lat, "logit_va", truth.W, shifters=["D", "Z"], x="VA")


@dataclass(repr=False)
class TruthComparison(Result):
    """Estimates of one twin beside the truths of their own estimands (see :func:`truth_comparison`).

    ``comparison``: :meth:`helpers.estimands.EstimandTruths.compare` (estimate, interval,
    ``truth`` (name of the estimand), ``true``, ``scale``, ``covers``, ``bias``);
    ``true_effects``: the truth of each estimate key on ``scale``; ``truths``: every
    estimand-matched truth of the twin; ``true_gamma`` and ``estimated_gamma``: the network-size
    threshold.
    """

    comparison: pd.DataFrame
    true_effects: pd.Series
    true_gamma: float
    estimated_gamma: float
    twin_seed: int | None
    scale: str = "latent"
    truths: estimands.EstimandTruths | None = None

    def sentence(self) -> str:
        """How many intervals cover the truth, and the threshold against its true value."""
        c = self.comparison
        return (f"{int(c['covers'].sum())} of {len(c)} intervals cover the truth of their own estimand "
                f"({self.scale} scale; simulated twin, seed {self.twin_seed}). The true threshold is "
                f"{self.true_gamma:.1f} broadband subscribers per 100 people; the estimate is {self.estimated_gamma:.1f}.")

    def summary(self) -> str:
        return ("TruthComparison (SIMULATED)\n" + self.comparison.to_string(float_format=lambda v: f"{v:.3f}")
                + "\n" + self.sentence())


def truth_comparison(results: report.MechanismResults, twin_seed: int | None = None,
                     params=None, truth=None, *, scale: str = "latent", truths=None,
                     cities=None, years=YEARS) -> TruthComparison:
    """Set every estimate of ``results`` beside the truth of the quantity it estimates.

    Parameters
    ----------
    results : MechanismResults
        The analysis of the twin (:func:`helpers.report.run_mechanism`).
    twin_seed : int, optional
        Seed of the twin the results come from (``None``: the bundled twin).
    params : dict, optional
        Its structural parameters (overrides of the defaults).
    truth : TwinTruth, optional
        The twin's truth, when the caller has it already (no re-simulation).
    scale : {"latent", "measured"}
        Scale of the estimand-matched truths (:mod:`helpers.estimands`): ``"latent"`` (fast) or
        ``"measured"`` (the counterfactual pushed through the observation layer; 10-30 s).
    truths : EstimandTruths, optional
        Precomputed truths (e.g. cached by a chapter); must hold ``scale``.
    cities, years
        The twin's city set and span (as passed to :func:`helpers.simulate.simulate_panel`).
    """
    seed = DEFAULT_SEED if twin_seed is None else int(twin_seed)
    if truth is None:
        _, truth = simulate_panel(params=params, seed=seed, cities=cities, years=years)
    if truths is None:
        truths = estimands.estimand_truths(truth.params, seed, measured=(scale == "measured"), cities=cities,
                                           years=years, truth=truth)
    cmp = truths.compare(estimates_with_slopes(results), scale)
    return TruthComparison(comparison=cmp, true_effects=cmp["true"].rename(None),
                           true_gamma=float(truth.threshold["gamma"]),
                           estimated_gamma=float(np.atleast_1d(results.threshold.gamma)[0]), twin_seed=seed,
                           scale=scale, truths=truths)


@dataclass(repr=False)
class TwinAnalysis(Result):
    """One twin, analysed: results, comparison with the truths of the estimands (latent scale), verdicts,
    and what measurement alone predicts for the measured slopes (:func:`predicted_measurement`)."""

    results: report.MechanismResults
    comparison: pd.DataFrame
    verdicts: pd.DataFrame
    true_effects: pd.Series
    true_gamma: float
    measurement: pd.DataFrame | None = None

    def summary(self) -> str:
        return ("TwinAnalysis (SIMULATED)\n" + self.verdicts.to_string() + "\n\n"
                + self.comparison[["estimate", "ci_low", "ci_high", "true", "covers"]].to_string(
                    float_format=lambda v: f"{v:.3f}"))


def analyse_twin(params=None, *, twin_seed: int = DEFAULT_SEED, n_boot: int = 199, threshold_boot: int = 49,
                 wild_boot: int = 0, boot_seed: int = 0) -> TwinAnalysis:
    """Simulate a twin with ``params`` and ``twin_seed``, measure, estimate, compare with its truth.

    The comparison uses the latent-scale estimand-matched truths (:func:`truth_comparison`).

    Parameters
    ----------
    params : dict or TwinParams, optional
        Structural parameters of the twin (defaults of :class:`helpers.simulate.TwinParams`).
    twin_seed : int
        Seed of the twin's shocks.
    n_boot, threshold_boot, wild_boot : int
        Bootstrap replications (see :func:`helpers.report.run_mechanism`).
    boot_seed : int
        Seed of the estimators' bootstraps.
    """
    panel, truth = simulate_panel(params=params, seed=twin_seed)
    panel = data.validate_panel(panel, source=f"twin seed {twin_seed}", unit_checks=False)  # no typed units
    c = constructs.build_constructs(panel)
    res = report.run_mechanism(c, truth.W, n_boot=n_boot, threshold_boot=threshold_boot,
                               wild_boot=wild_boot, boot_seed=boot_seed)
    cmp = truth_comparison(res, twin_seed, truth=truth)
    meas = predicted_measurement(c, truth.latent, cmp.truths.table["latent"])
    return TwinAnalysis(results=res, comparison=cmp.comparison, verdicts=report.hypothesis_verdicts(res),
                        true_effects=cmp.true_effects, true_gamma=cmp.true_gamma, measurement=meas)


@dataclass(repr=False)
class MonteCarloResult(Result):
    """The whole study repeated on independent twins (see :func:`monte_carlo`).

    Attributes
    ----------
    detection : DataFrame
        Share of twins in which each hypothesis is supported / inconclusive / contradicted.
    coverage : Series
        Share of twins in which each estimate's 95% interval covers the truth of its own
        estimand (latent scale).
    mean_estimate, mean_true : Series
        Average estimate and average truth per quantity (standardised units, latent scale).
    n_reps : int
    params : dict
        The twin parameters that differ from the defaults.
    comparisons : DataFrame
        Every twin's estimates beside their truths (index twin, key).
    measurement : DataFrame
        Every twin's :func:`predicted_measurement` (index twin, key).
    """

    detection: pd.DataFrame
    coverage: pd.Series
    mean_estimate: pd.Series
    mean_true: pd.Series
    n_reps: int
    params: dict = field(default_factory=dict)
    comparisons: pd.DataFrame | None = None
    measurement: pd.DataFrame | None = None

    def summary(self) -> str:
        t = pd.DataFrame({"coverage": self.coverage, "mean estimate": self.mean_estimate,
                          "mean true (latent scale)": self.mean_true})
        return (f"Monte Carlo over {self.n_reps} simulated twins (SIMULATED; params {self.params or 'default'})\n"
                + self.detection.to_string(float_format=lambda v: f"{v:.2f}") + "\n\n"
                + t.to_string(float_format=lambda v: f"{v:.3f}"))


def _one(params, seed, n_boot, threshold_boot):
    a = analyse_twin(params, twin_seed=seed, n_boot=n_boot, threshold_boot=threshold_boot, boot_seed=seed)
    return (a.verdicts["verdict"].rename(seed), a.comparison[["estimate", "ci_low", "ci_high", "true", "covers"]],
            a.measurement)


def monte_carlo(n_reps: int, params=None, *, first_seed: int = 1, n_boot: int = 199, threshold_boot: int = 49,
                n_jobs: int = 1, progress=None) -> MonteCarloResult:
    """Repeat :func:`analyse_twin` on ``n_reps`` independent twins (seeds ``first_seed, ...``).

    Each twin has the same structure and new shocks, so the shares of twins in which a
    hypothesis is declared supported estimate the power of the whole study, and the shares of
    intervals that cover the truth of their own estimand (latent scale, :func:`truth_comparison`)
    estimate their actual coverage. With ``n_reps`` twins a
    share p has Monte Carlo standard error sqrt(p (1 - p) / n_reps).

    Parameters
    ----------
    n_reps : int
    params : dict, optional
        Twin parameters (overrides of the defaults).
    first_seed : int
    n_boot, threshold_boot : int
        Bootstrap replications inside each twin (mediation; threshold test). A Monte Carlo
        usually affords fewer than one study: pass them explicitly.
    n_jobs : int
        Processes (joblib); results do not depend on it.
    progress : bool or None
        Progress bar over twins (None: only on a terminal).

    Returns
    -------
    MonteCarloResult
    """
    from tqdm import tqdm  # text bar; tqdm.auto would want ipywidgets inside Jupyter

    seeds = list(range(first_seed, first_seed + n_reps))
    bar = dict(total=n_reps, desc="twins", leave=False, disable=None if progress is None else not progress)
    if n_jobs == 1:
        out = [_one(params, s, n_boot, threshold_boot) for s in tqdm(seeds, **bar)]
    else:
        from joblib import Parallel, delayed

        runs = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_one)(params, s, n_boot, threshold_boot) for s in seeds)
        out = list(tqdm(runs, **bar))
    verdicts = pd.concat([v for v, _, _ in out], axis=1)
    comp = pd.concat({s: c for s, (_, c, _) in zip(seeds, out)}, names=["twin", "key"])
    meas = pd.concat({s: m for s, (_, _, m) in zip(seeds, out)}, names=["twin", "key"])
    levels = ["supported", "inconclusive", "contradicted"]
    detection = pd.DataFrame({lvl: (verdicts == lvl).mean(axis=1) for lvl in levels})
    # a truth that is NaN (an empty group) counts as neither covered nor missed
    comp["covers"] = comp["covers"].astype(float).where(comp["true"].notna())
    by_key = comp.groupby(level="key", sort=False)
    return MonteCarloResult(
        detection=detection, coverage=by_key["covers"].mean().astype(float),
        mean_estimate=by_key["estimate"].mean(), mean_true=by_key["true"].mean(), n_reps=n_reps,
        params=dict(params or {}), comparisons=comp, measurement=meas,
    )


def detectability_sentences(mc: MonteCarloResult, single: pd.DataFrame | None = None,
                            labels: dict | None = None) -> list[str]:
    """What a 21 x 13 panel can detect, in sentences generated from a Monte Carlo.

    Parameters
    ----------
    mc : MonteCarloResult
    single : DataFrame, optional
        :func:`helpers.report.compare_to_truth` of the one twin analysed in the chapter, whose
        total effect is compared with its truth.
    labels : dict, optional
        Estimate key -> words (the coverage table's row labels), used to name quantities.
    """
    labels = labels or {}
    det = mc.detection["supported"]
    cov = mc.coverage
    ratio = mc.mean_estimate / mc.mean_true
    channels = det[["H2", "H3"]].max()
    out = [
        f"Over {mc.n_reps} simulated twins in which every hypothesis is true, the study declares H1 "
        f"supported in {det['H1']:.0%} of them, H2 in {det['H2']:.0%}, H3 in {det['H3']:.0%}, H4 in "
        f"{det['H4']:.0%} and H5 in {det['H5']:.0%}.",
        (f"Channels are {'harder' if channels < det['H1'] else 'no harder'} to detect than the total effect: "
         f"the better-detected channel hypothesis is supported in {channels:.0%} of twins against "
         f"{det['H1']:.0%} for H1."),
        (f"On average the two-way fixed-effects total effect is {ratio['total']:.2f} times the true effect, "
         f"the 2SLS estimate {ratio['total_iv']:.2f} times and the lagged-VA estimate "
         f"{ratio['total_lag']:.2f} times; their 95% intervals cover the truth in {cov['total']:.0%}, "
         f"{cov['total_iv']:.0%} and {cov['total_lag']:.0%} of twins."),
        (f"The least covered quantity is {labels.get(cov.idxmin(), cov.idxmin())} ({cov.min():.0%} of twins; mean estimate "
         f"{mc.mean_estimate[cov.idxmin()]:.3f} against a mean true effect of {mc.mean_true[cov.idxmin()]:.3f} SD)."),
        (f"A network-size threshold with a larger slope above it (H4) is found in {det['H4']:.0%} of twins and "
         f"the opposite pattern in {mc.detection.at['H4', 'contradicted']:.0%}."),
    ]
    if single is not None and "total" in single.index:
        r = single.loc["total"]
        out.append(f"In the twin analysed above, the two-way fixed-effects total effect is "
                   f"{r['estimate'] / r['true']:.2f} times its true value.")
    return out


def false_positive_sentences(mc_null: MonteCarloResult) -> list[str]:
    """What the study claims in twins where virtual agglomeration affects nothing (sentences
    generated from a Monte Carlo run with :data:`NO_EFFECT`)."""
    det = mc_null.detection["supported"]
    cov = mc_null.coverage
    worst = det.idxmax()
    return [
        f"In {mc_null.n_reps} twins where virtual agglomeration affects nothing, the study still declares "
        f"H1 supported in {det['H1']:.0%} of them, H2 in {det['H2']:.0%}, H3 in {det['H3']:.0%}, H4 in "
        f"{det['H4']:.0%} and H5 in {det['H5']:.0%}; a 5% test should do so in about 2.5% (one side).",
        f"The most false positives come from {worst} ({det[worst]:.0%}). The 95% intervals cover the true "
        f"(zero) total effect in {cov['total']:.0%} of these twins with two-way fixed effects, "
        f"{cov['total_iv']:.0%} with 2SLS and {cov['total_lag']:.0%} with lagged VA.",
    ]


def implication_sentences(mc: MonteCarloResult, mc_null: MonteCarloResult, alpha: float = 0.05) -> list[str]:
    """Implications for a study of this size, each conditional on the Monte Carlo numbers."""
    out = []
    fe_ratio = mc.mean_estimate["total"] / mc.mean_true["total"]
    iv_ratio = mc.mean_estimate["total_iv"] / mc.mean_true["total"]
    fp = mc_null.detection.at["H1", "supported"]
    if fp > 2 * alpha:
        out.append(f"A significant two-way fixed-effects association is weak evidence on its own: where virtual "
                   f"agglomeration does nothing, {fp:.0%} of studies still find one (an unobserved local shock "
                   f"moves both). Designs that address it matter more than more controls.")
    else:
        out.append(f"Where virtual agglomeration does nothing, the fixed-effects study declares an effect in only "
                   f"{fp:.0%} of twins: close to its nominal rate.")
    if abs(fe_ratio - 1) > 0.2:
        closer = "2SLS" if abs(iv_ratio - 1) < abs(fe_ratio - 1) else "no alternative here"
        out.append(f"Magnitudes are not reliable: the fixed-effects total effect averages {fe_ratio:.2f} times the "
                   f"truth, 2SLS {iv_ratio:.2f} times ({closer} comes closer).")
    chan = mc.detection.loc[["H2", "H3"], "supported"]
    if chan.max() < 0.5:
        out.append(f"A study of this size usually fails to confirm a channel that exists (H2 in "
                   f"{chan['H2']:.0%}, H3 in {chan['H3']:.0%} of twins): a null on the channels is weak evidence "
                   f"against the seed papers' mechanism, and a positive one needs a larger panel to be convincing.")
    h4 = mc.detection.loc["H4"]
    if h4["contradicted"] > h4["supported"]:
        out.append(f"A network-size threshold that exists is found in {h4['supported']:.0%} of twins and the opposite "
                   f"slope pattern in {h4['contradicted']:.0%}: with measured proxies and 273 city-years the threshold "
                   f"test points the wrong way more often than the right one.")
    elif h4["supported"] < 0.5:
        out.append(f"A network-size threshold that exists is found in {h4['supported']:.0%} of twins; with 273 "
                   f"city-years the threshold test has little power.")
    return out


def design_twin(n_cities: int, n_years: int, world: str, seed: int, *, n_boot: int = 199,
                threshold_boot: int = 49, wild_boot: int = 0) -> dict:
    """One twin of the design study (:func:`helpers.design.run_study`): simulate, analyse, score.

    The city set is Guangdong's 21 cities for ``n_cities == 21`` and otherwise
    ``helpers.cities.city_set("sample", n=n_cities, seed=seed)`` (Guangdong's 21 first when
    ``n_cities > 21``); the years are ``2011 .. 2011 + n_years - 1``. World ``"effect"`` uses the
    default parameters, ``"null"`` :data:`NO_EFFECT` (every supported verdict is a false positive).
    The book's analysis (:func:`helpers.report.run_mechanism` on
    :func:`helpers.constructs.build_constructs`) is run with ``boot_seed = seed``.

    Returns
    -------
    dict of scalars
        ``H1`` .. ``H5``: the hypothesis was declared supported (:func:`helpers.report.hypothesis_verdicts`);
        for every estimate of :func:`helpers.report.estimates_table`: ``est_<key>`` and
        ``sig_<key>`` (its 95% interval lies above zero: the estimate's own power); for every
        estimate with an estimand-matched truth (:data:`helpers.estimands.TRUTH_FOR`, which also
        covers the threshold's regime slopes ``threshold_low`` / ``threshold_high`` and the outcome
        slopes of :data:`EXTRA_ROWS`): ``true_<key>`` and ``covers_<key>`` (1.0 / 0.0, NaN when
        the truth is undefined for the set, e.g. no PRD city or no city-year above the threshold);
        ``gamma_hat`` / ``gamma_true``: the network-size threshold; the exposure channel
        (:func:`exposure_estimate`): ``est_alpha_E``, ``sig_alpha_E``, ``true_alpha_E``,
        ``covers_alpha_E``.

    Notes
    -----
    Truths are the estimand-matched truths on the **latent scale**
    (:func:`helpers.estimands.estimand_truths` with ``measured=False``: regression-weighted
    marginal effects between standardised latent states), as in :func:`truth_comparison`. The
    measured-scale truths cost many counterfactual re-simulations per twin, too slow for a study
    of thousands of twins. The transaction-cost parameter phi is *not* scored here: its gravity
    estimate (:func:`helpers.models.transaction_cost_phi` on :func:`helpers.twin_flows.simulate_flows`)
    costs about 0.6 s per twin at 21 cities, above the study's 0.3 s budget per twin.
    Column names are a stable interface of the design study (:mod:`helpers.design`).
    """
    from . import cities as _cities

    if world not in ("effect", "null"):
        raise ValueError(f"world must be 'effect' or 'null', got {world!r}")
    cs = None if int(n_cities) == 21 else _cities.city_set("sample", n=int(n_cities), seed=int(seed))
    years = range(2011, 2011 + int(n_years))
    params = dict(NO_EFFECT) if world == "null" else None
    years = tuple(years)
    panel, truth = simulate_panel(params=params, seed=int(seed), years=years, cities=cs)
    if cs is None:   # the registry's own checks (Guangdong's 21 cities)
        panel = data.validate_panel(panel, source=f"twin seed {seed}", unit_checks=False)
    else:            # validate_panel knows Guangdong's registry only; same dtypes as it returns
        panel = panel.astype({c: float for c in panel.columns if str(panel[c].dtype) == "Int64"})
    c = constructs.build_constructs(panel)
    res = report.run_mechanism(c, truth.W, n_boot=n_boot, threshold_boot=threshold_boot,
                               wild_boot=wild_boot, boot_seed=int(seed) % (2**32))
    verdicts = report.hypothesis_verdicts(res)
    row = {h: bool(verdicts.at[h, "verdict"] == "supported") for h in verdicts.index}
    tab = report.estimates_table(res)
    for key in tab.index:
        row[f"est_{key}"] = float(tab.at[key, "estimate"])
        row[f"sig_{key}"] = bool(tab.at[key, "ci_low"] > 0)
    cmp = truth_comparison(res, seed, truth=truth, cities=cs, years=years).comparison
    for key in cmp.index:
        t = float(cmp.at[key, "true"])
        row[f"true_{key}"] = t
        row[f"covers_{key}"] = float(cmp.at[key, "covers"]) if np.isfinite(t) else float("nan")
    row["gamma_hat"] = float(np.atleast_1d(res.threshold.gamma)[0])
    row["gamma_true"] = float(truth.threshold["gamma"])
    try:
        ex = exposure_estimate(truth)
        a_true = float(truth.params.alpha_E)
        row["est_alpha_E"] = float(ex.alpha_E)
        lo, hi = ex.conf_int(0.95).loc[ex.exposure]
        row["sig_alpha_E"] = bool(lo > 0)
        row["true_alpha_E"] = a_true
        row["covers_alpha_E"] = float(lo <= a_true <= hi)
    except (ValueError, np.linalg.LinAlgError):   # e.g. too few cities or years for 2SLS
        row.update(est_alpha_E=float("nan"), sig_alpha_E=False, true_alpha_E=float(truth.params.alpha_E),
                   covers_alpha_E=float("nan"))
    return row


# --------------------------------------------------------------------------- chapters' helpers
def cached_truths(twin_seed: int | None = None, *, measured: bool = True, cache_dir=None) -> estimands.EstimandTruths:
    """Estimand-matched truths of the twin ``twin_seed`` (default the bundled one), cached on disk
    like :func:`helpers.report.cached_mechanism` (``cache_dir`` or
    :func:`helpers.report.default_cache_dir`; key: generator version, seed, scale), so the
    Mechanism and Findings chapters pay the measured scale's 10-30 s once."""
    import pickle

    from .simulate import GENERATOR_VERSION

    seed = DEFAULT_SEED if twin_seed is None else int(twin_seed)
    d = report.default_cache_dir() if cache_dir is None else cache_dir
    path = None
    if d is not None:
        from pathlib import Path
        path = Path(d) / f"truths-{GENERATOR_VERSION}-{seed}-{'measured' if measured else 'latent'}.pkl"
        if path.is_file():
            with open(path, "rb") as fh:
                return pickle.load(fh)
    et = estimands.estimand_truths(seed=seed, measured=measured)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            pickle.dump(et, fh)
    return et


def identifiable_channels(twin_seed: int | None = None, *, vcov: str = "CRV1") -> pd.DataFrame:
    """The two channels the seeds name that the twin makes identifiable, each beside its truth.

    ``alpha_E`` (network externality as exposure to participation in nearby cities,
    :func:`exposure_estimate`, logit scale) and ``phi`` (transaction costs: how much joint
    platform participation lowers the distance elasticity of pair flows, PPML gravity on the
    twin's pair flows, :func:`helpers.models.transaction_cost_phi` with ``vcov``). Both use data
    the book's panel does not have (platform participation by city; city-to-city flows); see
    :mod:`helpers.models.exposure` and :mod:`helpers.models.gravity` for what Guangdong would need.
    SIMULATED.
    """
    from .models import transaction_cost_phi
    from .twin_flows import simulate_flows

    seed = DEFAULT_SEED if twin_seed is None else int(twin_seed)
    _, truth = simulate_panel(seed=seed)
    ex = exposure_estimate(truth)
    flows, ft = simulate_flows(seed=seed)
    ph = transaction_cost_phi(flows, vcov=vcov)
    rows = {"alpha_E": ("network externality: exposure to nearby participation (logit scale)", ex.alpha_E, *ex.conf_int(0.95).loc[ex.exposure],
                        float(truth.params.alpha_E)),
            "phi": ("transaction costs: cut in the distance elasticity at full joint participation", ph.phi, *ph.conf_int(ph.level).loc["phi"],
                    float(ft["phi"]))}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["quantity", "estimate", "ci_low", "ci_high", "true"])
    out["covers"] = (out["ci_low"] <= out["true"]) & (out["true"] <= out["ci_high"])
    out.index.name = "key"
    return out


def channel_sentences(ch: pd.DataFrame) -> list[str]:
    """Sentences on :func:`identifiable_channels`, generated from its numbers."""
    out = []
    for key, name in (("alpha_E", "exposure effect alpha_E"), ("phi", "transaction-cost parameter phi")):
        r = ch.loc[key]
        hit = "covers" if r["covers"] else "misses"
        out.append(f"The {name} is estimated at {r['estimate']:.3f} (95% interval {r['ci_low']:.3f} to "
                   f"{r['ci_high']:.3f}); the twin's true value is {r['true']:.3f}, which the interval {hit}.")
    return out


def gap_sentences(mc: MonteCarloResult, alpha: float = 0.05, *, correct: "CorrectSpecCoverage | None" = None,
                  labels: dict | None = None) -> list[str]:
    """Why coverage falls short of 95%, each reason stated with its number (latent-scale truths).

    * confounder: the fixed-effects total effect against 2SLS (which the instrument frees of the
      local shock), both against the same estimand's truth;
    * measurement: the slopes on measured constructs (a1 and the outcome slopes) as a share of
      their latent truth, beside the share measurement alone predicts (:func:`measurement_sentences`);
    * few clusters: the coverage of the least biased interval against 95% and its Monte Carlo SE;
      with ``correct`` (:func:`correct_spec_coverage`), the numbers of correctly specified twins
      (:func:`few_clusters_sentence`) instead.

    ``labels``: estimate key -> words (the coverage table's row labels). Only a reason the
    numbers support is stated."""
    cov, est, tru = mc.coverage, mc.mean_estimate, mc.mean_true
    n = mc.n_reps
    se = float(np.sqrt(0.95 * 0.05 / n))
    out = []
    if {"total", "total_iv"} <= set(cov.index):
        b_fe, b_iv = est["total"] - tru["total"], est["total_iv"] - tru["total_iv"]
        if abs(b_fe) > abs(b_iv):
            out.append(f"Confounder: the fixed-effects total effect averages {est['total']:.3f} SD against a truth of "
                       f"{tru['total']:.3f} (bias {b_fe:+.3f}) and covers it in {cov['total']:.0%} of twins; 2SLS, which "
                       f"the instrument frees of the local shock, has bias {b_iv:+.3f} and covers in {cov['total_iv']:.0%}.")
        else:
            out.append(f"The fixed-effects total effect (bias {b_fe:+.3f}) is no more biased than 2SLS (bias "
                       f"{b_iv:+.3f}): the local shock does not explain its coverage of {cov['total']:.0%}.")
    if mc.measurement is not None:
        out += measurement_sentences(mc, labels)
    else:
        outc = [k for k in ("productivity_synergy", "competitiveness_synergy") if k in cov.index and tru[k] != 0]
        if outc:
            ratios = {k: est[k] / tru[k] for k in outc}
            parts = ", ".join(f"{k.replace('_', ' on ', 1)} {ratios[k]:.2f} ({cov[k]:.0%} coverage)" for k in outc)
            out.append(f"Outcome slopes against their truth (estimate / truth): {parts}.")
    if correct is not None:
        iv = (f"On these twins 2SLS covers in {cov['total_iv']:.0%} of {n}. " if "total_iv" in cov.index else "")
        out.append(iv + few_clusters_sentence(correct))
    elif "total_iv" in cov.index:
        gap = 0.95 - cov["total_iv"]
        if gap > 2 * se:
            b_iv = est["total_iv"] - tru["total_iv"]
            out.append(f"Few clusters: even 2SLS covers in only {cov['total_iv']:.0%} of {n} twins, {gap:.2f} below 95% "
                       f"(Monte Carlo SE {se:.3f}) with a mean bias of only {b_iv:+.3f} SD: its 21-cluster standard "
                       f"errors are too small." if abs(b_iv) < 0.1 * abs(tru["total_iv"]) else
                       f"2SLS covers in only {cov['total_iv']:.0%} of {n} twins, {gap:.2f} below 95% (Monte Carlo SE "
                       f"{se:.3f}), with a mean bias of {b_iv:+.3f} SD.")
        else:
            out.append(f"2SLS covers in {cov['total_iv']:.0%} of {n} twins, within two Monte Carlo SEs ({2 * se:.3f}) "
                       f"of 95%.")
    return out


# --------------------------------------------------------------------------- few clusters
#: A correctly specified twin: no confounder, one direct slope (no threshold), no spatial terms
#: (theta = rho = 0) and no transaction-cost channel. With the estimators run on the
#: standardised *latent states* (no measurement layer), the estimands' truths are what the
#: estimators are consistent for, so what separates coverage from 95% is inference with 21 clusters.
CORRECTLY_SPECIFIED = {"confounding": 0.0, "c_low": 0.5, "c_high": 0.5, "theta": 0.0, "rho": 0.0, "phi": 0.0}

#: Intervals of :func:`correct_spec_coverage`: (estimator, interval) -> description.
CORRECT_INTERVALS = {
    ("FE total", "CRV1, normal"): "two-way FE, cluster-robust (G/(G-1)) errors, normal critical values (the book's)",
    ("FE total", "CRV1, t(G-1)"): "the same errors with Student t(G - 1) critical values",
    ("FE total", "CRV3, t(G-1)"): "cluster-jackknife errors (panel_fe(vcov='CRV3')) with t(G - 1)",
    ("2SLS", "CRV1, normal"): "2SLS, cluster-robust errors, normal critical values (the book's)",
    ("2SLS", "CRV1, t(G-1)"): "the same errors with Student t(G - 1) critical values",
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

    from . import models

    panel, truth = simulate_panel(params=params, seed=seed)
    z = _latent_states(panel, truth)
    ctl = ["log_population"]
    fe = models.panel_fe(z, "SY", "VA", controls=ctl)
    fe3 = models.panel_fe(z, "SY", "VA", controls=ctl, vcov="CRV3")
    iv = models.iv_2sls(z, "SY", "VA", ["Z"], controls=ctl)
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
    estimand (:func:`helpers.estimands.estimand_truths`): two-way FE (``c``), 2SLS with the
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
    p = {**CORRECTLY_SPECIFIED, **dict(params or {})}
    if spatial:
        from .simulate import TwinParams

        p.update(theta=TwinParams().theta, rho=TwinParams().rho, **{k: v for k, v in dict(params or {}).items()
                                                                   if k in ("theta", "rho")})
    seeds = list(range(first_seed, first_seed + n_reps))
    if n_jobs == 1:
        runs = [_correct_twin(s, p, n_boot, spatial) for s in seeds]
    else:
        from joblib import Parallel, delayed

        runs = Parallel(n_jobs=n_jobs)(delayed(_correct_twin)(s, p, n_boot, spatial) for s in seeds)
    d = pd.concat(runs)
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


def few_clusters_sentence(cs: CorrectSpecCoverage) -> str:
    r"""The few-clusters reason, stated with the numbers of :func:`correct_spec_coverage`.

    Quotes the FE interval's coverage three ways, its mean bias b, and the average
    cluster-robust and jackknife standard errors s against the SD of the error (estimate minus
    its twin's truth) sigma. Under normality each alone predicts the coverage of the book's
    interval: the bias with a right-sized SE, :math:`P(|Z + b/\sigma| < 1.96)`, and the SE with no
    bias, :math:`P(|Z| < 1.96\, s/\sigma)`. Names few clusters as the cause only when the numbers show it: the
    too-small SE costs more coverage than the bias, the jackknife interval with t(G - 1) is
    within two Monte Carlo SEs of 95% and the book's interval covers less."""
    from scipy import stats

    t = cs.table
    n, G = cs.n_reps, cs.n_clusters
    se95, z = float(np.sqrt(0.95 * 0.05 / n)), float(stats.norm.ppf(0.975))
    fe = t.loc["FE total"]
    c1, ct, c3 = (float(fe.at[k, "coverage"]) for k in ("CRV1, normal", "CRV1, t(G-1)", "CRV3, t(G-1)"))
    bias = float(fe.at["CRV1, normal", "mean_estimate"] - fe.at["CRV1, normal", "mean_true"])
    sd = float(fe.at["CRV1, normal", "sd_error"])
    s1, s3 = float(fe.at["CRV1, normal", "mean_se"]), float(fe.at["CRV3, t(G-1)", "mean_se"])
    p_bias = float(stats.norm.cdf(z - abs(bias) / sd) - stats.norm.cdf(-z - abs(bias) / sd))
    p_se = float(2 * stats.norm.cdf(z * s1 / sd) - 1)
    iv = float(t.at[("2SLS", "CRV1, normal"), "coverage"])
    nums = (f"on {n} correctly specified twins (no confounder, one slope, no spatial terms, estimators on the latent "
            f"states, so each is consistent for its truth) the fixed-effects interval with the book's cluster-robust "
            f"errors and normal critical values covers its truth in {c1:.0%} of twins (2SLS: {iv:.0%}), with t({G - 1}) "
            f"critical values in {ct:.0%}, and with cluster-jackknife (CRV3) errors and t({G - 1}) in {c3:.0%} "
            f"(Monte Carlo SE at 95%: {se95:.3f}). Across twins the error (estimate minus truth) has mean "
            f"{bias:+.3f} and SD {sd:.3f}; the average cluster-robust SE is {s1:.3f} ({s1 / sd - 1:+.0%}), the "
            f"average jackknife SE {s3:.3f} ({s3 / sd - 1:+.0%}). Taken alone, the bias would leave a 95% interval "
            f"covering {p_bias:.1%} of twins and the too-small SE {p_se:.1%}.")
    if (0.95 - p_se) > (0.95 - p_bias) and abs(c3 - 0.95) <= 2 * se95 and c1 < c3:
        return (f"Few clusters: {nums} The shortfall is the downward bias of cluster-robust standard errors with "
                f"{G} clusters, which the jackknife removes.")
    return f"Correctly specified twins: {nums}"


# --------------------------------------------------------------------------- measurement
#: Construct of the book -> the latent state of the twin it measures.
CONSTRUCT_OF = {"va_index": "VA", "flow_network": "FN", "lq_manufacturing": "AG", "synergy": "SY",
                "productivity": "P", "competitiveness": "X"}

#: Slopes whose truth the measurement layer rescales: key -> (outcome construct, regressors as
#: (construct, estimate key of its coefficient)), as in :func:`helpers.report.run_mechanism`.
MEASURED_SLOPES = {
    "a_flows": ("flow_network", (("va_index", "a_flows"),)),
    "productivity_synergy": ("productivity", (("synergy", "productivity_synergy"),
                                              ("lq_manufacturing", "productivity_agglomeration"))),
    "competitiveness_synergy": ("competitiveness", (("synergy", "competitiveness_synergy"),
                                                    ("productivity", "competitiveness_productivity"))),
}


def _within_std(c: pd.DataFrame, latent: pd.DataFrame, controls) -> pd.DataFrame:
    """Constructs and their latents, standardised over the panel, net of city and year effects
    and of ``controls`` (``log_population`` computed from ``population``)."""
    from .models import within

    d = c[["city", "year", "population", *CONSTRUCT_OF]].copy()
    d["log_population"] = np.log(d["population"])
    lat = latent[list(dict.fromkeys(CONSTRUCT_OF.values()))].reset_index()
    d = d.merge(lat, on=["city", "year"], how="inner", validate="one_to_one")
    cols = [*CONSTRUCT_OF, *dict.fromkeys(CONSTRUCT_OF.values()), *controls]
    z = d[cols].apply(lambda v: (v - v.mean()) / v.std(ddof=0))
    z[["city", "year"]] = d[["city", "year"]]
    w = within(z, cols)
    C = w[list(controls)].to_numpy()
    if C.shape[1]:
        w = w - C @ np.linalg.lstsq(C, w.to_numpy(), rcond=None)[0]
    return w


def construct_scales(c: pd.DataFrame, latent: pd.DataFrame, controls=("log_population",)) -> pd.DataFrame:
    r"""How each construct measures its latent state, within cities and years.

    Both are standardised over the panel, then city and year effects and ``controls`` are
    partialled out (the variation the book's regressions use). With :math:`\tilde m` the
    construct and :math:`\tilde\ell` its latent after that:

    * ``loading`` :math:`\lambda`: slope of :math:`\tilde m` on :math:`\tilde\ell` (the construct's scale);
    * ``reliability`` :math:`R^2`: share of the construct's within variance its latent explains;
    * ``kappa`` :math:`\kappa = R^2/\lambda`: slope of :math:`\tilde\ell` on :math:`\tilde m`
      (the attenuation of a slope on this construct).

    Parameters
    ----------
    c : DataFrame
        Constructs (:func:`helpers.constructs.build_constructs`), with ``population``.
    latent : DataFrame
        The twin's latent states (``TwinTruth.latent``, index city, year).
    controls : tuple of str

    Returns
    -------
    DataFrame
        Index construct; columns ``latent``, ``loading``, ``reliability``, ``kappa``.
    """
    w = _within_std(c, latent, controls)
    rows = {}
    for m, lat in CONSTRUCT_OF.items():
        mv, lv = w[m].to_numpy(), w[lat].to_numpy()
        lam = float(mv @ lv / (lv @ lv))
        r2 = float((mv @ lv) ** 2 / ((mv @ mv) * (lv @ lv)))
        rows[m] = (lat, lam, r2, r2 / lam)
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["latent", "loading", "reliability", "kappa"]).rename_axis("construct")


def predicted_measurement(c: pd.DataFrame, latent: pd.DataFrame, latent_truths: pd.Series,
                          controls=("log_population",)) -> pd.DataFrame:
    r"""What measurement alone does to the slopes of :data:`MEASURED_SLOPES`.

    Errors-in-variables with several regressors (Fuller 1987, sec. 1.1): if each construct is
    :math:`\tilde m_k = \lambda_k \tilde\ell_k + e_k` (within, standardised) with errors
    uncorrelated with the latents, the FE slopes of construct Y on constructs :math:`M` tend to

    .. math:: \lambda_Y\, K \beta, \qquad K = (\tilde M'\tilde M)^{-1}\tilde M'\tilde L,

    :math:`\tilde L` the regressors' latents and :math:`\beta` their latent-scale truths
    (``latent_truths``, by estimate key). :math:`K` is the matrix form of ``kappa`` of
    :func:`construct_scales`: a noisy regressor attenuates its own slope and leaks part of it
    into the slopes of regressors it correlates with.

    Returns
    -------
    DataFrame
        Index estimate key; ``latent_truth``, ``predicted_estimate``, ``predicted_ratio``
        (predicted estimate / latent truth), ``loading_y`` (:math:`\lambda_Y`), ``kappa_x``
        (diagonal element of :math:`K` of the slope's own regressor).
    """
    w = _within_std(c, latent, controls)
    rows = {}
    for key, (y, regs) in MEASURED_SLOPES.items():
        ms, keys = [m for m, _ in regs], [k for _, k in regs]
        M, L = w[ms].to_numpy(), w[[CONSTRUCT_OF[m] for m in ms]].to_numpy()
        K = np.linalg.lstsq(M, L, rcond=None)[0]
        yl = w[CONSTRUCT_OF[y]].to_numpy()
        lam_y = float(w[y].to_numpy() @ yl / (yl @ yl))
        beta = np.array([float(latent_truths[k]) for k in keys])
        pred = lam_y * float((K @ beta)[0])
        ratio = pred / beta[0] if beta[0] != 0 else np.nan   # a world with no effect has no ratio
        rows[key] = (beta[0], pred, ratio, lam_y, float(K[0, 0]))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["latent_truth", "predicted_estimate", "predicted_ratio",
                                                                 "loading_y", "kappa_x"]).rename_axis("key")


def _construct_name(col: str) -> str:
    """A construct's reader-facing name (``constructs.LABELS``), else its column name."""
    return constructs.LABELS.get(col, col.replace("_", " "))


def measurement_sentences(mc: MonteCarloResult, labels: dict | None = None, tol: float = 0.2) -> list[str]:
    """The measurement reason, one sentence per slope of :data:`MEASURED_SLOPES`, with its numbers.

    For each slope: the Monte Carlo mean estimate as a share of the mean latent truth
    (observed), beside the share that measurement alone predicts (mean of
    :func:`predicted_measurement` over twins), with the outcome construct's loading and the
    regressor's attenuation. Says measurement accounts for the gap only when the predicted
    share is within ``tol`` (relative) of the observed one; otherwise says how much of the
    shortfall it leaves unexplained."""
    labels = labels or {}
    m = mc.measurement.groupby(level="key").mean()
    out = []
    for k, (y, regs) in MEASURED_SLOPES.items():
        if k not in mc.coverage.index or k not in m.index or mc.mean_true[k] == 0:
            continue
        obs = float(mc.mean_estimate[k] / mc.mean_true[k])
        pred = float(m.at[k, "predicted_estimate"] / m.at[k, "latent_truth"])
        name = labels.get(k, k)
        head = (f"Measurement, {name}: on the latent scale the estimate averages {obs:.2f} times its truth "
                f"({mc.mean_estimate[k]:.3f} against {mc.mean_true[k]:.3f} SD; coverage {mc.coverage[k]:.0%}); "
                f"measurement alone predicts {pred:.2f} times (the {_construct_name(y)} construct moves "
                f"{m.at[k, 'loading_y']:.2f} SD per SD of its latent; the latent behind the "
                f"{_construct_name(regs[0][0])} construct moves {m.at[k, 'kappa_x']:.2f} SD per SD of the construct; "
                f"means over {mc.n_reps} twins).")
        if abs(pred / obs - 1) <= tol:
            out.append(head + " The constructs' scale and noise account for the gap, which is why the interval "
                              "misses the latent truth.")
        else:
            out.append(head + f" Measurement accounts for a ratio of {pred:.2f}, not {obs:.2f}: the rest is not "
                              "explained by the numbers at hand.")
    return out


def spatial_sentences(mc: MonteCarloResult, correct: CorrectSpecCoverage, labels: dict | None = None) -> list[str]:
    """The SDM direct and spillover effects: their coverage on the Monte Carlo's twins beside
    correctly specified twins that keep the spillovers (``correct_spec_coverage(spatial=True)``).

    Says the spatial model is on target when correctly specified only if its mean error there
    is below a fifth of the error's SD (a bias that small costs a 95% interval under half a
    point of coverage) or within two Monte Carlo SEs of zero; the gap on the default twins is then attributed to what those twins
    add, without apportioning it, because these numbers cannot."""
    labels = labels or {}
    out = []
    for key, row in (("sdm_direct", ("SDM direct", "ML, simulated effects")),
                     ("spillover", ("SDM spillover", "ML, simulated effects"))):
        if key not in mc.coverage.index or row not in correct.table.index:
            continue
        r = correct.table.loc[row]
        b_c, sd_c = float(r["mean_estimate"] - r["mean_true"]), float(r["sd_error"])
        b = float(mc.mean_estimate[key] - mc.mean_true[key])
        head = (f"{labels.get(key, key)}: on the {mc.n_reps} default twins it averages {mc.mean_estimate[key]:.3f} "
                f"against a truth of {mc.mean_true[key]:.3f} SD (bias {b:+.3f}) and covers in {mc.coverage[key]:.0%}; on "
                f"{correct.n_reps} correctly specified twins that keep the spillovers (no local shock, one slope, "
                f"latent states) it averages {r['mean_estimate']:.3f} against {r['mean_true']:.3f} (error SD "
                f"{sd_c:.3f}) and covers in {r['coverage']:.0%}.")
        if abs(b_c) <= max(0.2 * sd_c, 2 * sd_c / np.sqrt(correct.n_reps)):   # negligible, or Monte Carlo noise
            out.append(head + " The spatial model is on target when correctly specified, so its gap on the default "
                              "twins comes from what they add (the local shock, two slopes around the threshold, the "
                              "transaction-cost channel, measurement error); these numbers do not apportion it among "
                              "them.")
        else:
            out.append(head + " Even correctly specified the spatial model misses its truth on average: the gap is "
                              "not explained by the numbers at hand.")
    return out
