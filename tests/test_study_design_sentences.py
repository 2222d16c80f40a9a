"""The Study design chapter's sentences carry the numbers they are given."""

import pandas as pd
import pytest

from helpers.book import study_design_sentences as sds
from helpers.studies.performance import clopper_pearson


def _rec(reason, n=None, t=None, k=170, tw=200):
    lo, hi = clopper_pearson(k, tw)
    return pd.Series({"reason": reason, "n_cities": n, "n_years": t, "power": k / tw, "low": lo, "high": hi,
                      "largest": "336 x 20", "largest_power": k / tw, "largest_low": lo, "largest_high": hi})


def test_minimum_design_sentence_numbers():
    s = sds.minimum_design_sentence("H1", _rec("sufficient", 50, 13))
    assert "50 cities x 13 years" in s and "0.85" in s
    lo = clopper_pearson(170, 200)[0]
    assert f"{lo:.2f}" in s
    assert "not consistent" in sds.minimum_design_sentence("H2", _rec("inconsistent"))
    assert "clearly falls" in sds.minimum_design_sentence("H2", _rec("not monotone"))


def test_size_sentences_judge_against_margin():
    nulls = pd.DataFrame({"inference": ["CRV1"], "rejections": [14], "twins": [200], "nominal": [0.025],
                          "mean_estimate": [0.0168], "estimate_mcse": [0.0073]}, index=["CRV1"])
    s = sds.size_sentences(nulls, margin=2.0)
    assert "14 of 200" in s[0] and "too few twins to tell against 0.050" in s[0]
    assert "size not held" in sds.size_sentences(nulls, margin=1.0)[0]       # lower bound 0.039 > 0.025
    assert "more than two Monte Carlo SEs" in s[1]
    brief = sds.size_brief(nulls, where="Table X")   # the closing form: the same rate, not the same sentence
    assert "(CRV1: 0.07) against a nominal 0.025 (Table X)" in brief and "0.07 (95% CP" in s[0]
    assert brief not in s


def test_bottom_line_names_data_and_compares_sizes():
    alt = pd.DataFrame([_rec("sufficient", 200, 13)], index=["2SLS"])
    data = {"national": {"label": "the national panel", "cities": 290, "years": 13},
            "broadband": {"label": "Broadband China"}}
    s = sds.bottom_line("H1", "claim", _rec("inconsistent"), alt, data, bias=("336 x 20", 0.089, 0.009))
    assert "+0.089" in s and "Broadband China" in s and "3,770 city-years" in s
    assert "at least as large as the sufficient design of 2SLS" in s
    small = {**data, "national": {"label": "the national panel", "cities": 100, "years": 13}}
    assert "smaller than the sufficient design" in sds.bottom_line("H1", "c", _rec("inconsistent"), alt, small)


def _perf(coverage_mcse=0.02, claim=False, null_twins=0):
    import numpy as np

    return pd.DataFrame([{
        "n_cities": 21, "n_years": 13, "key": "total", "kind": "estimate", "twins": 200, "bias": 0.15,
        "bias_mcse": 0.014, "rmse": 0.25, "rmse_mcse": 0.011, "coverage": 0.725, "coverage_mcse": coverage_mcse,
        "coverage_claim": claim, "power": 0.785, "power_low": 0.72, "power_high": 0.84,
        "null_twins": null_twins, "null_rejections": 14 if null_twins else np.nan,
        "null_rate": 14 / null_twins if null_twins else np.nan, "null_low": 0.039 if null_twins else np.nan,
        "null_high": 0.115 if null_twins else np.nan, "size_adjusted_power": np.nan}])


def test_performance_rows_mark_coverages_that_are_no_claims():
    t = sds.performance_rows(_perf(), ["total"], [(21, 13)], {"total": "FE"})
    r = t.loc["FE"]
    assert r["design"] == "21 x 13" and r["coverage (MC SE)"] == "0.725 (0.020)*"
    assert r["bias (MC SE)"] == "+0.150 (0.014)" and r["unconfounded null (95% CP)"] == "–"
    t = sds.performance_rows(_perf(0.008, True, 200), ["total"], [(21, 13)], {})
    assert t.loc["total", "coverage (MC SE)"] == "0.725 (0.008)"
    assert t.loc["total", "unconfounded null (95% CP)"] == "0.07 (95% CP 0.04-0.12)"


def test_coverage_claim_and_null_grid_sentences():
    s = sds.coverage_claim_sentence(_perf(), ["total"], {"total": "FE"})
    assert "at most 200 twins per cell" in s and "0.015" in s and "not a coverage claim" in s
    s = sds.coverage_claim_sentence(_perf(0.008, True), ["total"], {"total": "FE"})
    assert s.startswith("Coverage claims (Monte Carlo SE at most 0.01): FE at 21 x 13: 0.725 (MC SE 0.008, 200 twins)")
    assert sds.null_grid_sentence(_perf(), ["total"]) is None
    hyp = _perf(null_twins=200).assign(key="H1", kind="hypothesis")
    s = sds.null_grid_sentence(hyp, ["H1"])
    assert "held in 0, exceeded in 0 and undetermined in 1" in s and "H1 at 21 x 13: 0.07" in s


def test_paired_sentence_quotes_counts_and_p():
    from helpers.studies.performance import mcnemar_exact

    m = mcnemar_exact([1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1, 0])
    s = sds.paired_sentence("H4", m, "effect", "null", "21 x 13")
    assert "7 twins sharing their seed: supported in 5 in the effect world and 2 in the null world" in s
    assert "discordant pairs 4 (effect only) against 1 (null only), exact McNemar p = 0.375" in s
    assert "do not show" in s
    assert "no paired test is possible" in sds.paired_sentence("H4", None, "effect", "null", "21 x 13")


def test_bias_table_prints_the_bias_the_bottom_line_quotes():
    # issue 23: the design verdict quotes a bias only an exhibit (tbl-8-bias) prints, in its format
    import numpy as np

    from helpers.book.tables import number

    rng = np.random.default_rng(3)
    rows = pd.DataFrame({"world": "effect", "n_cities": np.repeat([21, 200], 50), "n_years": 13,
                         "true_alpha_E": 0.3, "est_alpha_E": 0.3 - 0.114 + rng.normal(0, 0.05, 100)})
    b = sds.bias_at(rows, "alpha_E")    # a scored estimate (the FE total is not: power.NOT_SCORED)
    big = rows[rows["n_cities"] == 200]
    assert b[0] == "200 x 13"
    assert b[1] == pytest.approx((big["est_alpha_E"] - big["true_alpha_E"]).mean())
    assert b[2] == pytest.approx(big["est_alpha_E"].std(ddof=1) / np.sqrt(50))
    t = sds.bias_table({"H1": b, "H4": None}, {"H1": "FE total effect"})
    assert list(t.index) == ["H1"] and t.at["H1", "evidence"] == "FE total effect"
    s = sds.bottom_line("H1", "claim", _rec("inconsistent"), pd.DataFrame(),
                        {k: {"label": k} for k in ("national", "county", "broadband")}, bias=b, where="Table 8.9")
    assert f"misses its truth by {number(t.at['H1', 'bias'])}, MC SE {number(t.at['H1', 'MC SE'])}, at 200 x 13, Table 8.9" in s


def test_run_stamp_and_benchmark_sentences_carry_no_build_details():
    # issue 23: a published page names the machine as "x86_64, 2 cores", never its kernel string
    from helpers.book import study_sentences

    log = {"cells": ["21x13-effect"], "runs": [{"wall_seconds": 600.0, "twins_computed": 200,
                                                "scheduler": "LocalCluster (2 single-threaded workers)",
                                                "machine": "x86_64, 2 cores, Linux 6.18.44-fc-v657"}]}
    s = study_sentences.wall_time_sentence(log)
    assert "x86_64, 2 cores)" in s and "Linux" not in s and "10.0 minutes" in s
    bench = pd.DataFrame([
        {"kind": "seconds_per_twin", "n_cities": 21, "n_years": 13, "seconds": 0.41, "repeat": 3, "load_average": 0.5,
         "cores": 2},
        {"kind": "speedup_1_worker_seconds", "n_cities": 21, "n_years": 13, "seconds": 8.0, "repeat": 10,
         "load_average": 0.5, "cores": 2},
        {"kind": "speedup_2_workers_seconds", "n_cities": 21, "n_years": 13, "seconds": 4.4, "repeat": 10,
         "load_average": 0.5, "cores": 2}])
    text = " ".join(study_sentences.cost_sentences(bench))
    assert "0.41 s over 13 years" in text and "1.82 times as fast" in text
    assert "target" not in text and "/work/" not in text
