"""Experiments that put the estimators against the twin's truth.

This is the one place besides tests where an estimate meets the true effect: it simulates
twins (:mod:`helpers.simulate`), runs the analysis (:mod:`helpers.analysis.report`, which never imports
the simulator) and compares. :func:`truth_comparison` is the one estimate-versus-truth helper
(the Mechanism and Findings chapters and :func:`analyse_twin` all use it); :func:`twin_panel`
gives the panel of a twin by its seed. Used by the findings chapter (what a 21 x 13 panel can
detect) and by the recovery tests (interval coverage).

Every estimate is compared with the truth of *its own estimand*
(:mod:`helpers.simulate.estimands`, :data:`helpers.simulate.estimands.TRUTH_FOR`): a regression-weighted marginal
effect, not the one-SD effect averaged equally. Monte Carlo loops and the design study use the
**latent scale** (standardised latent states; :func:`helpers.simulate.estimands.estimand_truths` with
``measured=False``, under a second per twin); a single twin can afford the measured scale
(``scale="measured"``, 10-30 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import data
from .. import registry as _registry
from .._results import Result
from ..analysis import report
from ..measure import constructs
from ..simulate import DEFAULT_SEED, YEARS, estimands, simulate_panel
from .scales import predicted_measurement

if TYPE_CHECKING:  # the estimators are imported where they run
    from .. import models


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


#: Rows added to :func:`helpers.analysis.report.estimates_table` for the comparison with the truth:
#: key -> (label, results attribute path, coefficient); labels from :mod:`helpers.registry`.
EXTRA_ROWS = {key: (_registry.quantity(key), path, coef) for key, path, coef in (
    ("productivity_synergy", ("outcomes", "productivity"), "synergy"),
    ("productivity_agglomeration", ("outcomes", "productivity"), "lq_manufacturing"),
    ("competitiveness_synergy", ("outcomes", "competitiveness"), "synergy"),
    ("competitiveness_productivity", ("outcomes", "competitiveness"), "productivity"),
)}


def estimates_with_slopes(results: report.MechanismResults) -> pd.DataFrame:
    """:func:`helpers.analysis.report.estimates_table` plus the threshold test's regime slopes
    (``threshold_low``, ``threshold_high``: direct slope below / above the estimated threshold,
    Wald intervals given the threshold) and the outcome regressions' slopes (:data:`EXTRA_ROWS`),
    each a key of :data:`helpers.simulate.estimands.TRUTH_FOR`."""
    tab = report.estimates_table(results)
    rows = {}
    thr = results.threshold
    if thr is not None and len(thr.slopes):
        ci = thr.conf_int(0.95)
        for key, name in (("threshold_low", thr.slopes.index[0]), ("threshold_high", thr.slopes.index[-1])):
            rows[key] = (_registry.quantity(key), float(thr.params[name]), float(ci.at[name, "lower"]), float(ci.at[name, "upper"]),
                         float(thr.pvalues[name]))
    for key, (label, (group, name), coef) in EXTRA_ROWS.items():
        fit = getattr(results, group).get(name)
        if fit is not None:
            rows[key] = report._fe_row(fit, coef, label)
    extra = pd.DataFrame.from_dict(rows, orient="index", columns=tab.columns)
    out = pd.concat([tab, extra]) if len(extra) else tab
    out.index.name = "key"
    return out


def exposure_estimate(truth) -> models.ExposureResult:
    """The network-externality exposure effect alpha_E of one twin (:func:`helpers.models.exposure_effect`).

    Data: the twin's platform share s (logit as outcome, W s as the exposure) with its exogenous
    shifters, infrastructure D and the instrument Z; their exposures W D, W Z instrument W s
    (2SLS, city and year effects, SE clustered by city). The platform share is a latent state of
    the twin: the panel has no indicator that measures it directly, so this is the estimate a
    study would get *with* city-level participation data (what Guangdong would need; see
    :mod:`helpers.models.exposure`). Its truth is ``TwinParams.alpha_E`` on the logit scale.
    """
    from .. import models

    lat = truth.latent.reset_index()
    lat["logit_va"] = np.log(lat["VA"] / (1 - lat["VA"]))
    return models.exposure_effect(lat, "logit_va", truth.W, shifters=["D", "Z"], x="VA")


@dataclass(repr=False)
class TruthComparison(Result):
    """Estimates of one twin beside the truths of their own estimands (see :func:`truth_comparison`).

    ``comparison``: :meth:`helpers.simulate.estimands.EstimandTruths.compare` (estimate, interval,
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

    def brief(self, where: str) -> str:
        """The short form of :meth:`sentence` for a closing summary (same numbers), pointing to
        ``where`` the comparison is shown."""
        c = self.comparison
        return (f"Intervals covering their own estimand's truth: {int(c['covers'].sum())} of {len(c)} "
                f"({self.scale} scale; {where}).")

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
        The analysis of the twin (:func:`helpers.analysis.report.run_mechanism`).
    twin_seed : int, optional
        Seed of the twin the results come from (``None``: the bundled twin).
    params : dict, optional
        Its structural parameters (overrides of the defaults).
    truth : TwinTruth, optional
        The twin's truth, when the caller has it already (no re-simulation).
    scale : {"latent", "measured"}
        Scale of the estimand-matched truths (:mod:`helpers.simulate.estimands`): ``"latent"`` (fast) or
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
        Bootstrap replications (see :func:`helpers.analysis.report.run_mechanism`).
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
