"""Sentences on the Monte Carlo and coverage studies of :mod:`helpers.studies`, generated from
their numbers (moved here from ``helpers.experiments``: the book layer writes every sentence).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..studies.coverage import CorrectSpecCoverage
from ..studies.montecarlo import MonteCarloResult
from ..studies.power import TARGET, label, null_columns, power_long
from ..studies.scales import MEASURED_SLOPES, _construct_name


def detectability_sentences(mc: MonteCarloResult, single: pd.DataFrame | None = None,
                            labels: dict | None = None) -> list[str]:
    """What a 21 x 13 panel can detect, in sentences generated from a Monte Carlo.

    Parameters
    ----------
    mc : MonteCarloResult
    single : DataFrame, optional
        :func:`helpers.analysis.report.compare_to_truth` of the one twin analysed in the chapter, whose
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
        (f"On average the two-way fixed-effects total effect is {ratio['total']:.2f} times the true effect and "
         f"the 2SLS estimate {ratio['total_iv']:.2f} times; their 95% intervals cover the truth in "
         f"{cov['total']:.0%} and {cov['total_iv']:.0%} of twins"
         + (" (the lagged-VA estimate has no estimand of its own in the static twin and is not scored)."
            if "total_lag" not in cov.index else f"; the lagged-VA estimate, {ratio['total_lag']:.2f} times the "
            f"contemporaneous effect it does not estimate, is not scored.")),
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
        f"(zero) total effect in {cov['total']:.0%} of these twins with two-way fixed effects and "
        f"{cov['total_iv']:.0%} with 2SLS.",
    ]


def implication_sentences(mc: MonteCarloResult, mc_null: MonteCarloResult, alpha: float = 0.05,
                          n_obs: int | None = None) -> list[str]:
    """Implications for a study of this size, each conditional on the Monte Carlo numbers.

    ``n_obs``: city-years of each twin (default the bundled twin's: the 21 cities of
    :func:`helpers.data.city_table` times the years of :data:`helpers.simulate.YEARS`)."""
    if n_obs is None:
        from .. import data
        from ..simulate import YEARS

        n_obs = len(data.city_table()) * len(YEARS)
    out = []
    fe_ratio = mc.mean_estimate["total"] / mc.mean_true["total"]
    # each estimate against the truth of its own estimand, as detectability_sentences divides
    iv_ratio = mc.mean_estimate["total_iv"] / mc.mean_true["total_iv"]
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
                   f"slope pattern in {h4['contradicted']:.0%}: with measured proxies and {n_obs} city-years the threshold "
                   f"test points the wrong way more often than the right one.")
    elif h4["supported"] < 0.5:
        out.append(f"A network-size threshold that exists is found in {h4['supported']:.0%} of twins; with {n_obs} "
                   f"city-years the threshold test has little power.")
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


def gap_sentences(mc: MonteCarloResult, alpha: float = 0.05, *, correct: CorrectSpecCoverage | None = None,
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
    iv3 = (f"2SLS: {float(t.at[('2SLS', 'CRV3, t(G-1)'), 'coverage']):.0%}; "
           if ("2SLS", "CRV3, t(G-1)") in t.index else "")
    nums = (f"on {n} correctly specified twins (no confounder, one slope, no spatial terms, estimators on the latent "
            f"states, so each is consistent for its truth) the fixed-effects interval with cluster-robust (CRV1) "
            f"errors and normal critical values covers its truth in {c1:.0%} of twins (2SLS: {iv:.0%}), with t({G - 1}) "
            f"critical values in {ct:.0%}, and with cluster-jackknife (CRV3) errors and t({G - 1}) in {c3:.0%} "
            f"({iv3}the book's default with fewer than 50 clusters) "
            f"(Monte Carlo SE at 95%: {se95:.3f}). Across twins the error (estimate minus truth) has mean "
            f"{bias:+.3f} and SD {sd:.3f}; the average cluster-robust SE is {s1:.3f} ({s1 / sd - 1:+.0%}), the "
            f"average jackknife SE {s3:.3f} ({s3 / sd - 1:+.0%}). Taken alone, the bias would leave a 95% interval "
            f"covering {p_bias:.1%} of twins and the too-small SE {p_se:.1%}.")
    if (0.95 - p_se) > (0.95 - p_bias) and abs(c3 - 0.95) <= 2 * se95 and c1 < c3:
        return (f"Few clusters: {nums} The shortfall is the downward bias of cluster-robust standard errors with "
                f"{G} clusters, which the jackknife removes.")
    return f"Correctly specified twins: {nums}"


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


def design_sentence(name: str, rec: pd.Series, target: float = TARGET, level: float = 0.05) -> str:
    """One generated sentence: the smallest design reaching ``target`` for measure ``name``, or
    that the grid does not reach it (with the best share found); where the no-effect world
    rejects too often at that design, the size-controlled design too (:func:`minimum_designs`)."""
    if np.isfinite(rec["n_cities"]):
        s = (f"{name}: {target:.0%} power is first reached with {int(rec['n_cities'])} cities over "
             f"{int(rec['n_years'])} years ({int(rec['city_years'])} city-years; power "
             f"{rec['share']:.2f}, Monte Carlo SE {rec['mc_se']:.2f}).")
        fp, fp_se = rec.get("false_positive", np.nan), rec.get("fp_mc_se", np.nan)
        if np.isfinite(fp) and fp - 2 * (fp_se if np.isfinite(fp_se) else 0) > level:
            s += (f" But in the no-effect world the same design declares it in {fp:.0%} of twins (Monte Carlo SE "
                  f"{fp_se:.2f}; nominal {level:.0%}): there the test does not keep its size, and part of the power "
                  f"is the bias of the estimate; ")
            if np.isfinite(rec.get("sized_n_cities", np.nan)):
                s += (f"with the no-effect rate held within two Monte Carlo SEs of {level:.0%}, the target is first "
                      f"reached with {int(rec['sized_n_cities'])} cities over {int(rec['sized_n_years'])} years "
                      f"(power {rec['sized_share']:.2f}).")
            else:
                s += f"no design of the grid reaches it with the no-effect rate held near {level:.0%}."
        return s
    if not np.isfinite(rec.get("best_share", np.nan)):
        return f"{name}: no twin of the grid estimated it."
    return (f"{name}: {target:.0%} power is not reached in the grid; the highest is "
            f"{rec['best_share']:.2f} with {rec['best_design']}.")


def false_positive_sentence(rows: pd.DataFrame, columns, level: float = 0.05) -> str:
    """Generated sentence on the null world: the largest false-positive rate over the grid's
    cells and measures whose truth is zero there (:func:`null_columns`), against the nominal
    level (two Monte Carlo SEs as the yardstick)."""
    columns, nonzero = null_columns(rows, columns)
    long = power_long(rows[rows["world"] == "null"], columns).dropna(subset=["share"]) if columns else pd.DataFrame()
    if long.empty:
        return "The stored study has no twin of the no-effect world."
    worst = long.sort_values("share", ascending=False).iloc[0]
    above = long[long["share"] - 2 * long["mc_se"].fillna(0) > level]
    head = (f"In the no-effect world the largest false-positive rate over {len(long)} cells and measures is "
            f"{worst['share']:.3f} ({label(worst['measure'], short=True)}, {int(worst['n_cities'])} cities x "
            f"{int(worst['n_years'])} "
            f"years; Monte Carlo SE {worst['mc_se']:.3f}); the mean is {long['share'].mean():.3f}.")
    tail = ("" if not nonzero else " Not counted, because their truth is not zero in that world either: "
            + "; ".join(label(c, short=True) for c in nonzero) + ".")
    if above.empty:
        return head + f" No cell exceeds the nominal {level:.0%} by more than two Monte Carlo SEs." + tail
    return (head + f" {len(above)} of {len(long)} exceed the nominal {level:.0%} by more than two Monte "
            f"Carlo SEs: " + "; ".join(label(m, short=True) for m in dict.fromkeys(above["measure"])) + "." + tail)


def coverage_sentence(rows: pd.DataFrame, columns, nominal: float = 0.95, *,
                      where: str | None = None) -> str:
    """Generated sentence on the coverage of the 95% intervals in the effect world, stating a
    coverage as a number only where it is a *claim*: its Monte Carlo SE
    (:func:`helpers.studies.performance.coverage_mcse_for_claim`: the larger of
    :math:`\\sqrt{\\hat c(1-\\hat c)/R}` and the SE at ``nominal``) is at most
    :data:`helpers.studies.performance.COVERAGE_CLAIM_MCSE` (issue 22). Other cells' coverages
    are counted, never quoted, nor averaged into a number.

    A claim falls short of ``nominal`` when it is more than two of those SEs below it.
    ``where``: a closing summary's short form (the same claims, pointing to ``where`` the full
    sentence and table are) instead of the full sentence."""
    from ..studies.performance import COVERAGE_CLAIM_MCSE, coverage_mcse_for_claim

    long = power_long(rows[rows["world"] == "effect"], columns).dropna(subset=["share"])
    long = long[long["twins"] > 0]
    if long.empty:
        return "The stored study reports no coverage."
    thr, n_all = COVERAGE_CLAIM_MCSE, len(long)
    long = long.assign(claim_se=[coverage_mcse_for_claim(c, int(n), nominal)
                                 for c, n in zip(long["share"], long["twins"])])
    claims = long[long["claim_se"] <= thr]
    if claims.empty:
        most = int(long["twins"].max())
        return (f"No coverage of the stored grid is stated as a number: with at most {most} twins per cell the "
                f"Monte Carlo SE of a coverage of {nominal:.2f} is {np.sqrt(nominal * (1 - nominal) / most):.3f}, "
                f"above {thr:g}, so none of its {n_all} coverages (estimates x designs) is a claim"
                + (f" ({where})." if where is not None else "."))
    short = claims[claims["share"] + 2 * claims["claim_se"] < nominal]
    at = ", ".join(f"{n} x {t}" for n, t in sorted({(int(n), int(t)) for n, t in
                                                    zip(claims["n_cities"], claims["n_years"])}))

    def named(d, se=False):
        return "; ".join(f"{label(r['measure'])} at {int(r['n_cities'])} x {int(r['n_years'])}: {r['share']:.3f}"
                         + (f" (MC SE {r['mc_se']:.3f}, {int(r['twins'])} twins)" if se else "")
                         for _, r in d.iterrows())

    fall = (f"{len(short)} of them fall{'s' if len(short) == 1 else ''} short of {nominal:.0%} by more than two "
            f"Monte Carlo SEs")
    if where is not None:
        return (f"Coverage claims (Monte Carlo SE at most {thr:g}): {len(claims)} of {n_all} coverages, at {at}; "
                + (fall + f" ({named(short)})" if len(short) else f"none falls short of {nominal:.0%}")
                + f" ({where}).")
    return (f"A coverage is stated only where its Monte Carlo SE is at most {thr:g}: {len(claims)} of the grid's "
            f"{n_all} coverages (estimates x designs), at {at}. {named(claims, se=True)}."
            + (f" {fall}: " + "; ".join(dict.fromkeys(label(m) for m in short["measure"])) + "." if len(short) else "")
            + f" The other {n_all - len(claims)} have a larger Monte Carlo SE and are no claims.")


def cost_sentences(bench: pd.DataFrame) -> list:
    """Generated sentences on the benchmark: cost per twin at 21 cities, growth with N, speed-up.

    The development targets are not quoted: a published page reports what was measured."""
    cost = bench[bench["kind"] == "seconds_per_twin"]
    out = []
    at21 = cost[(cost["n_cities"] == 21)].sort_values("n_years")
    if len(at21):
        out.append("One twin's full analysis at 21 cities costs "
                   + ", ".join(f"{s:.2f} s over {int(t)} years" for s, t in zip(at21["seconds"], at21["n_years"]))
                   + " on one core.")
    mid = cost[cost["n_years"] == sorted(cost["n_years"].unique())[len(cost["n_years"].unique()) // 2]]
    big = mid[mid["n_cities"] >= 50].sort_values("n_cities")
    if len(big) > 1:
        slope = float(np.polyfit(np.log(big["n_cities"]), np.log(big["seconds"]), 1)[0])
        out.append(f"From {int(big['n_cities'].iloc[0])} to {int(big['n_cities'].iloc[-1])} cities "
                   f"({int(big['n_years'].iloc[0])} years) the cost grows like N^{slope:.2f}: "
                   f"{big['seconds'].iloc[0]:.2f} s to {big['seconds'].iloc[-1]:.2f} s per twin.")
    b = bench.set_index("kind")
    if {"speedup_1_worker_seconds", "speedup_2_workers_seconds"} <= set(b.index):
        one, two = b.at["speedup_1_worker_seconds", "seconds"], b.at["speedup_2_workers_seconds", "seconds"]
        n = int(b.at["speedup_1_worker_seconds", "repeat"])
        load = float(b.at["speedup_1_worker_seconds", "load_average"])
        cores = int(b.at["speedup_1_worker_seconds", "cores"])
        out.append(f"Two Dask workers ran {n} twins {one / two:.2f} times as fast as one ({one:.1f} s against "
                   f"{two:.1f} s). The machine's load average was {load:.1f} on {cores} "
                   f"cores when measured{'' if load < 1.5 else ': other work shared the cores during the measurement'}.")
    return out


def wall_time_sentence(log: dict) -> str:
    """How long the stored study took, from its ``study.json``."""
    runs = log.get("runs", [])
    if not runs:
        return "The stored study has no record of its runs."
    total = sum(r["wall_seconds"] for r in runs)
    twins = sum(r["twins_computed"] for r in runs)
    return (f"The stored study holds {len(log['cells'])} cells; its {len(runs)} run(s) computed {twins} twins "
            f"in {total / 60:.1f} minutes of wall time ({runs[-1]['scheduler']}; "
            f"{_hardware(runs[-1]['machine'])}).")


def _hardware(machine: str) -> str:
    """The processor and core count of a run's machine record, without the operating system's
    kernel string (a build detail that does not belong on a published page)."""
    return ", ".join(machine.split(", ")[:2])
