"""Latent- vs measured-scale truths of the design study (issue 22): which estimates it scores,
why the others are not, and the recompute path for stored twins (helpers.studies.scale_check)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import special

from helpers import registry
from helpers.book import study_design_sentences
from helpers.simulate import TwinParams, estimands
from helpers.studies import power, scale_check
from helpers.studies.nulls import world_params
from helpers.studies.twin_cell import design_twin


@pytest.fixture(scope="module")
def small_twin():
    """One twin of the design study at 21 cities x 4 years (cheap bootstraps: only its truths matter)."""
    return design_twin(21, 4, "effect", 11, n_boot=9, threshold_boot=9)


def test_every_not_scored_estimate_has_a_reason_naming_its_mismatch():
    assert power.NOT_SCORED["total_lag"]
    for key, why in power.NOT_SCORED.items():
        assert key in registry.ESTIMATES and isinstance(why, str) and len(why) > 40, key
    for key, (lat, meas, se) in scale_check.MEASURED_GAPS.items():
        why = power.NOT_SCORED[key]
        assert "latent scale" in why and "measured constructs" in why
        assert f"{lat:.3f}" in why and f"{meas:.3f}" in why and f"{lat - meas:+.3f}" in why
        assert se > 0


def test_every_latent_truth_of_a_measured_estimate_is_left_unscored(small_twin):
    # every estimate design_twin stores with a latent-scale truth (TRUTH_FOR) is a slope between
    # measured constructs: none may be scored against it
    stored = {c[len("true_"):] for c in small_twin if c.startswith("true_")}
    latent_keys = stored & set(estimands.TRUTH_FOR)
    assert latent_keys and latent_keys <= set(power.NOT_SCORED)
    # what stays scored: the exposure estimate, fitted on the latent participation share, against
    # the structural parameter of the world it was simulated in
    scored = stored - set(power.NOT_SCORED)
    assert scored == {"alpha_E"}
    p = replace(TwinParams(), **(world_params("effect") or {}))
    assert small_twin["true_alpha_E"] == p.alpha_E


def test_design_truths_recompute_the_stored_latent_truths_from_the_seed(small_twin):
    t = scale_check.design_truths(21, 4, "effect", 11, measured=False)
    keys = [k for k in t.index if f"true_{k}" in small_twin]
    assert len(keys) >= 20
    stored = np.array([small_twin[f"true_{k}"] for k in keys])
    np.testing.assert_array_equal(t.loc[keys, "latent"].to_numpy(float), stored)
    assert t["measured"].isna().all()


@pytest.mark.slow
def test_a1_decomposition_reproduces_the_measured_truth_and_its_gap():
    """Second implementation: the a1 decomposition's own Latin-square runs against
    estimand_truths(measured=True), on a 10-city, 4-year twin of the study (about 30 s)."""
    t = scale_check.design_truths(10, 4, "effect", 11)
    a = scale_check.a1_decomposition(10, 4, "effect", 11)
    assert a["measured_a1"] == pytest.approx(t.at["a_flows", "measured"], rel=1e-9)
    assert a["latent_a1"] == pytest.approx(t.at["a_flows", "latent"], rel=1e-12)
    assert a["product"] == pytest.approx(a["measured_a1"], rel=1e-9)
    # the gap issue 22 found: the measured-scale truth of a1 is far below its latent truth
    assert a["measured_a1"] < 0.75 * a["latent_a1"]
    assert 0 < a["flows_loading"] < 1


def _phi(x):
    return 0.5 * (1 + special.erf(x / np.sqrt(2)))


def test_coverage_shift_against_the_normal_cdf():
    assert scale_check.coverage_shift(0.0) == pytest.approx(0.0, abs=1e-12)
    for r in (0.25, 0.5, 1.0, -1.0):
        z = 1.959963984540054
        want = 0.95 - (_phi(z - abs(r)) - _phi(-z - abs(r)))
        assert scale_check.coverage_shift(r) == pytest.approx(want, rel=1e-9)


def test_gap_summary_criteria_on_constructed_twins():
    rng = np.random.default_rng(0)
    n = 200
    rows = pd.DataFrame({"est_x": 1.0 + rng.normal(0, 0.2, n), "true_x": np.ones(n),
                         "est_y": 1.0 + rng.normal(0, 0.2, n), "true_y": np.ones(n)})
    mcse = rows["est_x"].std(ddof=1) / np.sqrt(n)
    # x: a gap of 0.1 on every twin (far above the bias's MC SE); y: gaps of +-0.001 (mean 0)
    gaps = pd.DataFrame({"key": ["x"] * 4 + ["y"] * 4 + ["z"] * 4, "truth": "t",
                         "latent": [1.0] * 8 + [0.5] * 4,
                         "measured": [0.9] * 4 + [1.001, 0.999, 1.001, 0.999] + [0.3, 0.31, 0.29, 0.3],
                         "estimate": 1.0})
    s = scale_check.gap_summary(gaps, rows)
    assert s.at["x", "gap"] == pytest.approx(0.1) and s.at["x", "bias_mcse"] == pytest.approx(mcse)
    assert s.at["x", "exceeds_bias"] and s.at["x", "exceeds"]
    assert not s.at["y", "exceeds_bias"] and not s.at["y", "exceeds_coverage"] and not s.at["y", "exceeds"]
    # z has no stored estimate: judged by whether its mean gap is distinguishable from zero
    assert np.isnan(s.at["z", "bias_mcse"]) and s.at["z", "exceeds_gap"] and s.at["z", "exceeds"]


def test_bias_at_gives_no_bias_for_an_unscored_estimate():
    rows = pd.DataFrame({"world": "effect", "n_cities": 21, "n_years": 13,
                         "est_a_flows": [0.1, 0.12, 0.09], "true_a_flows": [0.37, 0.38, 0.36],
                         "est_alpha_E": [1.0, 1.2, 0.8], "true_alpha_E": [1.0, 1.0, 1.0]})
    assert "a_flows" in power.NOT_SCORED
    assert study_design_sentences.bias_at(rows, "a_flows") is None
    design, bias, mcse = study_design_sentences.bias_at(rows, "alpha_E")
    assert design == "21 x 13" and bias == pytest.approx(0.0, abs=1e-12) and mcse == pytest.approx(0.2 / np.sqrt(3))


def test_coverage_sentence_with_a_single_scored_estimate():
    from helpers.book import study_sentences

    rows = pd.DataFrame({"world": "effect", "n_cities": [21, 21, 50, 50], "n_years": 13,
                         "covers_alpha_E": [1.0, 0.0, 1.0, 1.0]})
    s = study_sentences.coverage_sentence(rows, ["covers_alpha_E"])
    label = power.label("alpha_E")
    assert f"in 0.75 of twins ({label}, the only estimate scored)." in s and " to " not in s
    brief = study_sentences.coverage_sentence(rows, ["covers_alpha_E"], where="Table X")
    assert brief.endswith(f"averaged over the grid: 0.75, {label} (Table X).")
