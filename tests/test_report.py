"""From estimates to verdicts and sentences: verdicts follow the truth, sentences follow the numbers."""

import re

import numpy as np
import pandas as pd
import pytest

from helpers import constructs, data, experiments, report


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
    sentences = report.verdict_sentences(results, v)
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
    on = [experiments.analyse_twin(strong, twin_seed=s, n_boot=199, threshold_boot=0).verdicts.at["H3", "verdict"]
          for s in seeds]
    off = [experiments.analyse_twin(absent, twin_seed=s, n_boot=199, threshold_boot=0).verdicts.at["H3", "verdict"]
           for s in seeds]
    assert on.count("supported") >= 2
    assert off.count("supported") == 0


@pytest.mark.slow
def test_nothing_is_supported_when_virtual_agglomeration_does_nothing_and_nothing_confounds():
    null = {**experiments.NO_EFFECT, "confounding": 0.0}
    for s in [1, 2, 3]:
        a = experiments.analyse_twin(null, twin_seed=s, n_boot=199, threshold_boot=49)
        causal = [k for k in a.true_effects.index if not k.startswith(("productivity_", "competitiveness_"))]
        assert (a.true_effects[causal].abs() < 1e-12).all()
        assert (a.verdicts["verdict"] != "supported").all(), (s, a.verdicts["verdict"].to_dict())


@pytest.mark.slow
def test_monte_carlo_does_not_depend_on_the_number_of_processes():
    one = experiments.monte_carlo(3, n_boot=49, threshold_boot=0, n_jobs=1, progress=False)
    two = experiments.monte_carlo(3, n_boot=49, threshold_boot=0, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(one.detection, two.detection)
    pd.testing.assert_series_equal(one.mean_estimate, two.mean_estimate)
    assert one.detection.sum(axis=1).round(12).eq(1.0).all()
    assert one.coverage.between(0, 1).all() and one.n_reps == 3


def test_generated_findings_follow_the_monte_carlo_numbers():
    mc = experiments.MonteCarloResult(
        detection=pd.DataFrame({"supported": [0.8, 0.3, 0.2, 0.05, 0.6], "inconclusive": [0.2, 0.7, 0.8, 0.75, 0.4],
                                "contradicted": [0, 0, 0, 0.2, 0]}, index=["H1", "H2", "H3", "H4", "H5"]),
        coverage=pd.Series({"total": 0.7, "total_iv": 0.9, "total_lag": 0.85, "a_flows": 0.1}),
        mean_estimate=pd.Series({"total": 0.6, "total_iv": 0.33, "total_lag": 0.3, "a_flows": 0.1}),
        mean_true=pd.Series({"total": 0.3, "total_iv": 0.3, "total_lag": 0.3, "a_flows": 0.3}), n_reps=10)
    null = experiments.MonteCarloResult(
        detection=mc.detection.assign(supported=[0.3, 0.0, 0.0, 0.0, 0.1]), coverage=mc.coverage,
        mean_estimate=mc.mean_estimate, mean_true=mc.mean_true * 0, n_reps=10)
    det = experiments.detectability_sentences(mc)
    assert "H1 supported in 80%" in det[0] and "harder" in det[1] and "2.00 times" in det[2]
    assert "'a_flows' (10% of twins" in det[3]
    imp = experiments.implication_sentences(mc, null)
    assert any("30% of studies still find one" in s for s in imp)
    assert any("points the wrong way" in s for s in imp)  # H4: 20% contradicted > 5% supported
    calm = experiments.implication_sentences(mc, experiments.MonteCarloResult(
        detection=mc.detection.assign(supported=0.02), coverage=mc.coverage, mean_estimate=mc.mean_estimate,
        mean_true=mc.mean_true, n_reps=10))
    assert any("close to its nominal rate" in s for s in calm)


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
    from helpers import estimands
    from helpers.simulate import simulate_panel

    cmp = experiments.truth_comparison(results)
    _, truth = simulate_panel()
    et = estimands.estimand_truths(measured=False)
    t = experiments.estimates_with_slopes(results)
    assert {"threshold_low", "threshold_high", "productivity_synergy", "competitiveness_productivity"} <= set(t.index)
    for key in t.index:
        assert cmp.comparison.at[key, "true"] == et.table.at[key, "latent"]
        assert cmp.comparison.at[key, "truth"] == estimands.TRUTH_FOR[key][0]
        assert cmp.comparison.at[key, "estimate"] == t.at[key, "estimate"]
    assert (cmp.comparison["scale"] == "latent").all() and "latent scale" in cmp.sentence()
    # the regime slopes are the threshold regression's own (direct slope: mediators as controls)
    assert cmp.comparison.at["threshold_low", "estimate"] == results.threshold.slopes.iloc[0]
    assert {"flow_network", "lq_manufacturing"} <= set(results.threshold.params.index)
    assert cmp.true_gamma == float(truth.threshold["gamma"])
    assert f"{int(cmp.comparison['covers'].sum())} of {len(cmp.comparison)} intervals" in cmp.sentence()