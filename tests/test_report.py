"""From estimates to verdicts and sentences: verdicts follow the truth, sentences follow the numbers."""

import re

import numpy as np
import pandas as pd
import pytest

from helpers import data, studies
from helpers.analysis import report
from helpers.book import narrative, study_sentences
from helpers.measure import constructs
from helpers.simulate import estimands


@pytest.fixture(scope="module")
def results():
    c = constructs.build_constructs(data.load_panel())
    return report.run_mechanism(c, data.inverse_distance_weights(power=2.0), n_boot=199, threshold_boot=49,
                                wild_boot=199, boot_seed=1)


@pytest.mark.parametrize("lo,hi,sign,expected", [
    (0.1, 0.5, 1, "supported"), (-0.5, -0.1, 1, "contradicted"), (-0.1, 0.5, 1, "inconclusive"),
    (-0.5, -0.1, -1, "supported"), (np.nan, 0.3, 1, "inconclusive"), (0.0, 0.4, 1, "inconclusive"),
])
def test_interval_verdict(lo, hi, sign, expected):
    assert report.interval_verdict(lo, hi, sign) == expected


def test_estimates_table_is_consistent_with_the_results(results):
    t = report.estimates_table(results)
    # Wald rows carry the estimator's own 95% interval; bootstrap rows the percentile interval
    assert tuple(t.loc["total", ["ci_low", "ci_high"]]) == tuple(results.baseline.conf_int(0.95).loc["va_index"])
    assert tuple(t.loc["via_flows", ["ci_low", "ci_high"]]) == tuple(results.serial.boot_ci.loc["a1b1"])
    assert t.at["total", "estimate"] == results.baseline.params["va_index"]
    assert t.at["serial", "estimate"] == pytest.approx(results.serial.a1 * results.serial.d21 * results.serial.b2)
    assert t.at["spillover", "estimate"] == results.sdm.effects.indirect["va_index"]
    # the PRD - rest gap from the pooled interaction, and every mediator has a row
    assert t.at["prd_gap", "estimate"] == results.prd_gap.params["va_x_prd"]
    assert {"med_talent", "med_capital", "med_technology", "med_flows", "med_agglomeration"} <= set(t.index)
    assert set(report.TRUTH_FOR) <= set(t.index)


def test_compare_to_truth_flags_coverage_from_the_numbers(results):
    t = report.estimates_table(results)
    fake_truth = pd.Series({k: 0.0 for k in set(report.TRUTH_FOR.values())})
    fake_truth["total"] = t.at["total", "ci_high"] + 1.0  # outside the interval on purpose
    cmp = report.compare_to_truth(t, fake_truth)
    assert not cmp.at["total", "covers"]
    assert cmp.at["total", "bias"] == pytest.approx(t.at["total", "estimate"] - fake_truth["total"])
    assert cmp.at["via_agglomeration", "covers"] == (t.at["via_agglomeration", "ci_low"] <= 0 <= t.at["via_agglomeration", "ci_high"])


def test_sentences_carry_the_numbers_of_the_table(results):
    v = report.hypothesis_verdicts(results)
    t = report.estimates_table(results)
    sentences = narrative.verdict_sentences(results, v)
    assert len(sentences) == 5
    for h, s in zip(v.index, sentences):
        assert s.startswith(f"{h} is {v.at[h, 'verdict']}")
    assert f"{t.at['total', 'estimate']:.3f} SD" in sentences[0]
    assert f"{t.at['total', 'ci_low']:.3f} to {t.at['total', 'ci_high']:.3f}" in sentences[0]
    assert f"{t.at['spillover', 'estimate']:.3f}" in sentences[4]
    assert f"{results.threshold.gamma[0]:.1f} broadband" in sentences[3]
    # no sentence carries a number that is not in the results (a crude guard against typed-in figures)
    numbers = {float(x) for s in sentences for x in re.findall(r"-?\d+\.\d+", s)}
    known = {round(float(x), k) for x in np.r_[t[["estimate", "ci_low", "ci_high"]].to_numpy().ravel(),
                                                  results.threshold.gamma, results.threshold.p_boot,
                                                  results.threshold.slopes.to_numpy()] for k in (1, 3)}
    assert numbers <= known


@pytest.mark.slow
def test_verdicts_follow_the_truth_when_a_pathway_is_switched_off():
    # same shocks (seeds), only the agglomeration channel differs: strong versus absent
    strong = {"a_VA": 1.5, "b_AG": 1.5, "confounding": 0.0}
    absent = {"a_VA": 0.0, "a_FN": 0.0, "confounding": 0.0}
    seeds = [1, 2, 3, 4]
    on = [studies.analyse_twin(strong, twin_seed=s, n_boot=199, threshold_boot=0).verdicts.at["H3", "verdict"]
          for s in seeds]
    off = [studies.analyse_twin(absent, twin_seed=s, n_boot=199, threshold_boot=0).verdicts.at["H3", "verdict"]
           for s in seeds]
    assert on.count("supported") >= 2
    assert off.count("supported") == 0


@pytest.mark.slow
def test_nothing_is_supported_when_virtual_agglomeration_does_nothing_and_nothing_confounds():
    null = {**studies.NO_EFFECT, "confounding": 0.0}
    for s in [1, 2, 3]:
        a = studies.analyse_twin(null, twin_seed=s, n_boot=199, threshold_boot=49)
        causal = [k for k in a.true_effects.index if not k.startswith(("productivity_", "competitiveness_"))]
        assert (a.true_effects[causal].abs() < 1e-12).all()
        assert (a.verdicts["verdict"] != "supported").all(), (s, a.verdicts["verdict"].to_dict())


@pytest.mark.slow
def test_monte_carlo_does_not_depend_on_the_number_of_processes():
    one = studies.monte_carlo(3, n_boot=49, threshold_boot=0, n_jobs=1, progress=False)
    two = studies.monte_carlo(3, n_boot=49, threshold_boot=0, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(one.detection, two.detection)
    pd.testing.assert_series_equal(one.mean_estimate, two.mean_estimate)
    assert one.detection.sum(axis=1).round(12).eq(1.0).all()
    assert one.coverage.between(0, 1).all() and one.n_reps == 3


def test_generated_findings_follow_the_monte_carlo_numbers():
    mc = studies.MonteCarloResult(
        detection=pd.DataFrame({"supported": [0.8, 0.3, 0.2, 0.05, 0.6], "inconclusive": [0.2, 0.7, 0.8, 0.75, 0.4],
                                "contradicted": [0, 0, 0, 0.2, 0]}, index=["H1", "H2", "H3", "H4", "H5"]),
        coverage=pd.Series({"total": 0.7, "total_iv": 0.9, "total_lag": 0.85, "a_flows": 0.1}),
        mean_estimate=pd.Series({"total": 0.6, "total_iv": 0.33, "total_lag": 0.3, "a_flows": 0.1}),
        mean_true=pd.Series({"total": 0.3, "total_iv": 0.3, "total_lag": 0.3, "a_flows": 0.3}), n_reps=10)
    null = studies.MonteCarloResult(
        detection=mc.detection.assign(supported=[0.3, 0.0, 0.0, 0.0, 0.1]), coverage=mc.coverage,
        mean_estimate=mc.mean_estimate, mean_true=mc.mean_true * 0, n_reps=10)
    det = study_sentences.detectability_sentences(mc)
    assert "H1 supported in 80%" in det[0] and "harder" in det[1] and "2.00 times" in det[2]
    assert "quantity is a_flows (10% of twins" in det[3]   # no label given: the key, unquoted
    imp = study_sentences.implication_sentences(mc, null)
    assert any("30% of studies still find one" in s for s in imp)
    assert any("points the wrong way" in s for s in imp)  # H4: 20% contradicted > 5% supported
    calm = study_sentences.implication_sentences(mc, studies.MonteCarloResult(
        detection=mc.detection.assign(supported=0.02), coverage=mc.coverage, mean_estimate=mc.mean_estimate,
        mean_true=mc.mean_true, n_reps=10))
    assert any("close to its nominal rate" in s for s in calm)


def test_detectability_and_implications_quote_the_same_2sls_ratio():
    # the 2SLS estimand's truth differs from the FE one: both sentences divide by the 2SLS truth
    mc = studies.MonteCarloResult(
        detection=pd.DataFrame({"supported": [0.8, 0.3, 0.2, 0.05, 0.6], "inconclusive": [0.2, 0.7, 0.8, 0.75, 0.4],
                                "contradicted": [0, 0, 0, 0.2, 0]}, index=["H1", "H2", "H3", "H4", "H5"]),
        coverage=pd.Series({"total": 0.7, "total_iv": 0.9, "total_lag": 0.85}),
        mean_estimate=pd.Series({"total": 0.6, "total_iv": 0.48, "total_lag": 0.3}),
        mean_true=pd.Series({"total": 0.3, "total_iv": 0.4, "total_lag": 0.3}), n_reps=10)
    det = study_sentences.detectability_sentences(mc)
    imp = study_sentences.implication_sentences(mc, mc, n_obs=273)
    assert "the 2SLS estimate 1.20 times" in det[2]
    assert any("2SLS 1.20 times" in s for s in imp)


def test_cached_mechanism_runs_once_and_returns_the_same_numbers(tmp_path, monkeypatch):
    c = constructs.build_constructs(data.load_panel())
    W = data.inverse_distance_weights(power=2.0)
    settings = dict(n_boot=19, threshold_boot=0, wild_boot=0, boot_seed=3)
    first = report.cached_mechanism(c, W, cache_dir=tmp_path, **settings)
    assert len(list(tmp_path.glob("mechanism-*.pkl"))) == 1
    calls = []
    monkeypatch.setattr(report, "run_mechanism", lambda *a, **k: calls.append(1))
    again = report.cached_mechanism(c, W, cache_dir=tmp_path, **settings)
    assert not calls  # loaded, not recomputed
    pd.testing.assert_frame_equal(report.estimates_table(again), report.estimates_table(first))
    # another seed, other constructs or other weights are other runs
    key = report.mechanism_key(c, W, **settings)
    assert key != report.mechanism_key(c, W, **(settings | {"boot_seed": 4}))
    assert key != report.mechanism_key(c.assign(synergy=c["synergy"] + 1e-9), W, **settings)
    assert key != report.mechanism_key(c, W * 1.0000001, **settings)


def test_truth_comparison_sets_each_estimate_beside_its_own_truth(results):
    from helpers.simulate import estimands, simulate_panel

    cmp = studies.truth_comparison(results)
    _, truth = simulate_panel()
    et = estimands.estimand_truths(measured=False)
    t = studies.estimates_with_slopes(results)
    assert {"threshold_low", "threshold_high", "productivity_synergy", "competitiveness_productivity"} <= set(t.index)
    assert "total_lag" not in cmp.comparison.index      # no estimand in the static twin: not scored
    for key in t.index.drop("total_lag"):
        assert cmp.comparison.at[key, "true"] == et.table.at[key, "latent"]
        assert cmp.comparison.at[key, "truth"] == estimands.TRUTH_FOR[key][0]
        assert cmp.comparison.at[key, "estimate"] == t.at[key, "estimate"]
    assert (cmp.comparison["scale"] == "latent").all() and "latent scale" in cmp.sentence()
    # the regime slopes are the threshold regression's own (direct slope: mediators as controls)
    assert cmp.comparison.at["threshold_low", "estimate"] == results.threshold.slopes.iloc[0]
    assert {"flow_network", "lq_manufacturing"} <= set(results.threshold.params.index)
    assert cmp.true_gamma == float(truth.threshold["gamma"])
    assert f"{int(cmp.comparison['covers'].sum())} of {len(cmp.comparison)} intervals" in cmp.sentence()
    brief = cmp.brief("Table X")   # the closing summary's form: the same count, not the same sentence
    assert f"{int(cmp.comparison['covers'].sum())} of {len(cmp.comparison)} (latent scale; Table X)" in brief
    assert brief not in cmp.sentence()

def test_gap_sentences_name_only_the_reasons_the_numbers_support():
    idx = ["total", "total_iv", "productivity_synergy", "competitiveness_synergy"]
    mc = studies.MonteCarloResult(
        detection=pd.DataFrame(), coverage=pd.Series([0.70, 0.80, 0.10, 0.30], index=idx),
        mean_estimate=pd.Series([0.46, 0.36, 0.15, 0.10], index=idx),
        mean_true=pd.Series([0.36, 0.37, 0.30, 0.20], index=idx), n_reps=100)
    s = study_sentences.gap_sentences(mc)
    assert s[0].startswith("Confounder") and "bias +0.100" in s[0] and "bias -0.010" in s[0]
    assert s[1].startswith("Outcome slopes") and "0.50 (10% coverage)" in s[1]   # no cause without its number
    assert s[2].startswith("Few clusters") and "80% of 100 twins" in s[2]
    # no confounder story when FE is the less biased one; no cluster story within MC error
    mc2 = studies.MonteCarloResult(detection=pd.DataFrame(), coverage=mc.coverage.assign(total_iv=0.94) if False
                                       else mc.coverage.where(mc.coverage.index != "total_iv", 0.94),
                                       mean_estimate=mc.mean_estimate.where(mc.mean_estimate.index != "total", 0.365),
                                       mean_true=mc.mean_true, n_reps=100)
    s2 = study_sentences.gap_sentences(mc2)
    assert not any(x.startswith(("Confounder", "Few clusters")) for x in s2)


def test_channel_sentences_follow_the_table():
    ch = pd.DataFrame({"quantity": ["a", "b"], "estimate": [1.1, 0.7], "ci_low": [0.2, 0.65], "ci_high": [2.0, 0.75],
                       "true": [1.0, 0.6], "covers": [True, False]}, index=["alpha_E", "phi"])
    s = study_sentences.channel_sentences(ch)
    assert "1.100 (95% interval 0.200 to 2.000)" in s[0] and "covers" in s[0]
    assert "true value is 0.600, which the interval misses" in s[1]


def test_gap_sentences_take_the_few_clusters_reason_from_correctly_specified_twins():
    idx = pd.MultiIndex.from_tuples(list(studies.CORRECT_INTERVALS), names=["estimator", "interval"])
    t = pd.DataFrame({"coverage": 0.91, "mean_estimate": 0.2, "mean_true": 0.2, "sd_error": 0.01, "mean_se": 0.009},
                     index=idx)
    t.loc[("FE total", "CRV3, t(G-1)"), ["coverage", "mean_se"]] = [0.95, 0.0101]
    cs = studies.CorrectSpecCoverage(table=t, per_twin=pd.DataFrame(), n_reps=100, n_clusters=21, params={})
    idx2 = ["total", "total_iv"]
    mc = studies.MonteCarloResult(detection=pd.DataFrame(), coverage=pd.Series([0.7, 0.88], index=idx2),
                                      mean_estimate=pd.Series([0.46, 0.36], index=idx2),
                                      mean_true=pd.Series([0.36, 0.37], index=idx2), n_reps=40)
    s = study_sentences.gap_sentences(mc, correct=cs)
    assert s[-1] == "On these twins 2SLS covers in 88% of 40. " + study_sentences.few_clusters_sentence(cs)
    assert s[-1].count("Few clusters:") == 1


def _twin_constructs(seed=3):
    from helpers import data
    from helpers.measure import constructs
    from helpers.simulate import simulate_panel

    panel, truth = simulate_panel(seed=seed)
    panel = data.validate_panel(panel, source="test twin", unit_checks=False)
    return constructs.build_constructs(panel), truth


def test_construct_scales_are_one_for_a_perfect_construct_and_match_a_dummy_regression():
    import statsmodels.formula.api as smf

    c, truth = _twin_constructs()
    lat = truth.latent
    perfect = c.copy()
    for m, l in studies.CONSTRUCT_OF.items():   # a construct that is its latent, rescaled
        perfect[m] = 3.0 * lat[l].reindex(pd.MultiIndex.from_frame(c[["city", "year"]])).to_numpy() - 1.0
    s = studies.construct_scales(perfect, lat)
    np.testing.assert_allclose(s[["loading", "reliability", "kappa"]].to_numpy(), 1.0, rtol=1e-10)
    truths = pd.Series(0.3, index=list(estimands.TRUTH_FOR))
    pm = studies.predicted_measurement(perfect, lat, truths)
    np.testing.assert_allclose(pm["predicted_ratio"], 1.0, rtol=1e-10)
    # the real constructs: loading, R2 and the multivariate prediction against dummy-variable OLS
    s = studies.construct_scales(c, lat)
    d = c.merge(lat.reset_index(), on=["city", "year"])
    d["log_population"] = np.log(d["population"])
    z = d.copy()
    for col in [*studies.CONSTRUCT_OF, "FN", "SY", "AG", "P", "X", "VA", "log_population"]:
        z[col] = (d[col] - d[col].mean()) / d[col].std(ddof=0)
    fit = smf.ols("flow_network ~ FN + log_population + C(city) + C(year)", data=z).fit()
    assert s.at["flow_network", "loading"] == pytest.approx(fit.params["FN"], rel=1e-8)
    assert 0 < s.at["flow_network", "reliability"] <= 1 and s.at["synergy", "kappa"] == pytest.approx(
        s.at["synergy", "reliability"] / s.at["synergy", "loading"])
    truths = pd.Series({"productivity_synergy": 0.3, "productivity_agglomeration": 0.2, "a_flows": 0.4,
                        "competitiveness_synergy": 0.2, "competitiveness_productivity": 0.5})
    pm = studies.predicted_measurement(c, lat, truths)
    z["lb"] = 0.3 * z["SY"] + 0.2 * z["AG"]   # the latent index the outcome loads on
    k = smf.ols("lb ~ synergy + lq_manufacturing + log_population + C(city) + C(year)", data=z).fit().params["synergy"]
    lam = smf.ols("productivity ~ P + log_population + C(city) + C(year)", data=z).fit().params["P"]
    assert pm.at["productivity_synergy", "predicted_estimate"] == pytest.approx(lam * k, rel=1e-8)
    assert pm.at["productivity_synergy", "predicted_ratio"] == pytest.approx(lam * k / 0.3, rel=1e-8)


def test_measurement_sentences_say_whether_measurement_accounts_for_the_gap():
    keys = ["a_flows", "productivity_synergy"]
    meas = pd.DataFrame({"latent_truth": [0.4, 0.3], "predicted_estimate": [0.16, 0.15], "predicted_ratio": [0.4, 0.5],
                         "loading_y": [0.33, 1.4], "kappa_x": [1.2, 0.3]},
                        index=pd.MultiIndex.from_product([[1], keys], names=["twin", "key"]))
    mc = studies.MonteCarloResult(detection=pd.DataFrame(), coverage=pd.Series([0.0, 0.1], index=keys),
                                      mean_estimate=pd.Series([0.14, 0.06], index=keys),
                                      mean_true=pd.Series([0.4, 0.3], index=keys), n_reps=1, measurement=meas)
    s = study_sentences.measurement_sentences(mc, {"a_flows": "VA -> flows (a1)"})
    assert s[0].startswith("Measurement, VA -> flows (a1): on the latent scale the estimate averages 0.35 times")
    assert "predicts 0.40 times" in s[0] and "account for the gap" in s[0]
    assert s[1].startswith("Measurement, productivity_synergy") and "0.20 times" in s[1] and "predicts 0.50" in s[1]
    assert "not explained by the numbers at hand" in s[1]


def test_detectability_names_the_least_covered_quantity_by_its_label():
    idx = ["total", "total_iv", "total_lag", "a_flows"]
    det = pd.DataFrame({"supported": 0.5, "inconclusive": 0.5, "contradicted": 0.0}, index=["H1", "H2", "H3", "H4", "H5"])
    mc = studies.MonteCarloResult(detection=det, coverage=pd.Series([0.7, 0.9, 0.6, 0.0], index=idx),
                                      mean_estimate=pd.Series(0.2, index=idx), mean_true=pd.Series(0.4, index=idx),
                                      n_reps=10)
    s = study_sentences.detectability_sentences(mc, labels={"a_flows": "path a1: VA -> flows"})
    assert "The least covered quantity is path a1: VA -> flows (0% of twins" in s[3]
    assert "The least covered quantity is a_flows (0%" in study_sentences.detectability_sentences(mc)[3]


def test_spatial_sentences_compare_default_and_correctly_specified_twins():
    idx = pd.MultiIndex.from_tuples(list(studies.CORRECT_INTERVALS) + list(studies.SPATIAL_INTERVALS))
    t = pd.DataFrame({"coverage": 0.9, "mean_estimate": 0.156, "mean_true": 0.155, "sd_error": 0.010, "mean_se": np.nan},
                     index=idx)
    t.loc[("SDM spillover", "ML, simulated effects"), "mean_estimate"] = 0.20   # biased when correct
    cs = studies.CorrectSpecCoverage(table=t, per_twin=pd.DataFrame(), n_reps=100, n_clusters=21, params={})
    keys = ["sdm_direct", "spillover"]
    mc = studies.MonteCarloResult(detection=pd.DataFrame(), coverage=pd.Series([0.41, 0.55], index=keys),
                                      mean_estimate=pd.Series([0.30, 0.10], index=keys),
                                      mean_true=pd.Series([0.20, 0.15], index=keys), n_reps=40)
    s = study_sentences.spatial_sentences(mc, cs, {"sdm_direct": "SDM direct effect"})
    assert s[0].startswith("SDM direct effect: on the 40 default twins it averages 0.300 against a truth of 0.200 SD "
                           "(bias +0.100) and covers in 41%")
    assert "averages 0.156 against 0.155 (error SD 0.010) and covers in 90%" in s[0] and "on target" in s[0]
    assert s[1].startswith("spillover:") and "not explained by the numbers at hand" in s[1]


def test_mediation_reading_uses_the_findings_rule_and_never_calls_a_zero_interval_mediation():
    for lo, hi, stepwise in [(-0.01, 0.2, "full mediation"), (0.02, 0.2, "partial mediation"),
                             (-0.3, -0.1, "suppression (inconsistent mediation)")]:
        verdict, kind = report.mediation_reading(lo, hi, stepwise)
        assert verdict == report.interval_verdict(lo, hi)
        assert ("mediation" in kind) == (lo > 0 or hi < 0)
    # the percentile interval excludes zero, the stepwise (bias-corrected) test did not: no contradiction printed
    verdict, kind = report.mediation_reading(0.02, 0.9, "no indirect effect")
    assert verdict == "supported" and "no indirect effect" not in kind and "bias-corrected" in kind


def test_mediation_effects_with_the_run_seed_print_the_mediation_tables_interval(results):
    # the chapter shows total/direct/indirect effects beside the mediation table: same draws
    from helpers import models

    z = report.prepare(constructs.build_constructs(data.load_panel()))
    x, m1, y = (report.VARIABLES[k] for k in ("x", "m1", "y"))
    eff = models.mediation_effects(z, x, m1, y, controls=report.CONTROLS, n_boot=199,
                                   seed=report.bootstrap_seeds(1)["mediation_flows"])
    ab = results.mediation_flows.boot_ci.loc["ab"]
    assert eff.loc["indirect", ["ci_low", "ci_high"]].tolist() == pytest.approx([ab["lower"], ab["upper"]])
    assert eff.at["indirect", "estimate"] == pytest.approx(results.mediation_flows.ab)
