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
    """One twin, analysed: results, comparison with the truths of the estimands (latent scale), verdicts."""

    results: report.MechanismResults
    comparison: pd.DataFrame
    verdicts: pd.DataFrame
    true_effects: pd.Series
    true_gamma: float

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
    return TwinAnalysis(results=res, comparison=cmp.comparison, verdicts=report.hypothesis_verdicts(res),
                        true_effects=cmp.true_effects, true_gamma=cmp.true_gamma)


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
    """

    detection: pd.DataFrame
    coverage: pd.Series
    mean_estimate: pd.Series
    mean_true: pd.Series
    n_reps: int
    params: dict = field(default_factory=dict)
    comparisons: pd.DataFrame | None = None

    def summary(self) -> str:
        t = pd.DataFrame({"coverage": self.coverage, "mean estimate": self.mean_estimate,
                          "mean true (latent scale)": self.mean_true})
        return (f"Monte Carlo over {self.n_reps} simulated twins (SIMULATED; params {self.params or 'default'})\n"
                + self.detection.to_string(float_format=lambda v: f"{v:.2f}") + "\n\n"
                + t.to_string(float_format=lambda v: f"{v:.3f}"))


def _one(params, seed, n_boot, threshold_boot):
    a = analyse_twin(params, twin_seed=seed, n_boot=n_boot, threshold_boot=threshold_boot, boot_seed=seed)
    return a.verdicts["verdict"].rename(seed), a.comparison[["estimate", "ci_low", "ci_high", "true", "covers"]]


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
    verdicts = pd.concat([v for v, _ in out], axis=1)
    comp = pd.concat({s: c for s, (_, c) in zip(seeds, out)}, names=["twin", "key"])
    levels = ["supported", "inconclusive", "contradicted"]
    detection = pd.DataFrame({lvl: (verdicts == lvl).mean(axis=1) for lvl in levels})
    # a truth that is NaN (an empty group) counts as neither covered nor missed
    comp["covers"] = comp["covers"].astype(float).where(comp["true"].notna())
    by_key = comp.groupby(level="key", sort=False)
    return MonteCarloResult(
        detection=detection, coverage=by_key["covers"].mean().astype(float),
        mean_estimate=by_key["estimate"].mean(), mean_true=by_key["true"].mean(), n_reps=n_reps,
        params=dict(params or {}), comparisons=comp,
    )


def detectability_sentences(mc: MonteCarloResult, single: pd.DataFrame | None = None) -> list[str]:
    """What a 21 x 13 panel can detect, in sentences generated from a Monte Carlo.

    Parameters
    ----------
    mc : MonteCarloResult
    single : DataFrame, optional
        :func:`helpers.report.compare_to_truth` of the one twin analysed in the chapter, whose
        total effect is compared with its truth.
    """
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
        (f"The least covered quantity is {cov.idxmin()!r} ({cov.min():.0%} of twins; mean estimate "
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
        row["sig_alpha_E"] = bool(ex.ci[0] > 0)
        row["true_alpha_E"] = a_true
        row["covers_alpha_E"] = float(ex.ci[0] <= a_true <= ex.ci[1])
    except (ValueError, np.linalg.LinAlgError):   # e.g. too few cities or years for 2SLS
        row.update(est_alpha_E=float("nan"), sig_alpha_E=False, true_alpha_E=float(truth.params.alpha_E),
                   covers_alpha_E=float("nan"))
    return row
