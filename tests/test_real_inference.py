"""Chapter 6 corrections: MDE from intervals, the mechanical labels, few-cluster table, describe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import models
from helpers.analysis import real_inference, realdata
from helpers.book import national_sentences


def test_with_mde_from_interval_width_and_mechanical_labels():
    t = pd.DataFrame({"estimate": [0.3, 1.6, -0.1], "ci_low": [-0.2, 0.8, np.nan], "ci_high": [0.8, 2.4, np.nan],
                      "verdict": ["inconclusive", "supported", "inconclusive"]}, index=["H1", "b_flows", "H4"])
    out = real_inference.with_mde(t)
    se = 1.0 / (2 * stats.norm.ppf(0.975))
    assert out.at["H1", "mde"] == pytest.approx((stats.t.ppf(0.975, 20) + stats.t.ppf(0.8, 20)) * se)
    assert out.at["H1", "mde"] == pytest.approx((2.086 + 0.860) * 0.2551, abs=2e-3)   # t table, 20 df
    assert np.isnan(out.at["H4", "mde"])
    assert out.at["b_flows", "verdict"] == "mechanical" and out.at["b_flows", "shared inputs"] == "population"
    assert out.at["H1", "verdict"] == "inconclusive" and out.at["H1", "shared inputs"] == ""
    assert t.at["b_flows", "verdict"] == "supported"          # the caller's table is not modified
    text = " ".join(national_sentences.mde_sentences(out))
    assert "b_flows: mechanical" in text and "supports nothing" in text


def test_describe_within_share_by_hand():
    d = pd.DataFrame({"city": ["a", "a", "b", "b"], "year": [1, 2, 1, 2], "x": [1.0, 3.0, 2.0, 8.0]})
    out = real_inference.describe(d, ["x"])
    # within transform: [1, -1, -1, 1]; its variance 1 over the variance of x (7.6875)
    assert out.at["x", "within share of variance"] == pytest.approx(1.0 / np.var([1.0, 3.0, 2.0, 8.0]))
    assert out.at["x", "N"] == 4 and out.at["x", "median"] == pytest.approx(2.5)


def test_few_cluster_table_on_the_real_constructs():
    c = realdata.real_constructs()
    few = real_inference.few_cluster_table(c, n_boot=49, seed=1)
    assert list(few.index) == ["b_agglomeration", "b_flows"]          # no PKU column: H1 absent
    z = (c[["synergy", "flow_network", "log_population"]] - c[["synergy", "flow_network", "log_population"]].mean()) \
        / c[["synergy", "flow_network", "log_population"]].std(ddof=0)
    ref = models.panel_fe(c.assign(**z), "synergy", "flow_network", controls="log_population", vcov="CRV3")
    r = few.loc["b_flows"]
    assert r["estimate"] == pytest.approx(float(ref.params["flow_network"]))
    half = (r["CRV3 high"] - r["CRV3 low"]) / 2
    assert half == pytest.approx(stats.t.ppf(0.975, 20) * float(ref.std_errors["flow_network"]))
    assert r["clusters"] == 21 and r["N"] == 273
    assert (few["verdict"] == "mechanical").all()                     # both share inputs with synergy


def test_yearbook_population_sums_to_the_official_totals():
    pop = realdata.yearbook_population([2020, 2023]).groupby("year")["population"].sum()
    assert pop[2020] == pytest.approx(12624.0, abs=1.0)      # realdata README: 12,624 (2020)
    assert pop[2023] == pytest.approx(12706.0, abs=1.0)      # and 12,706 (2023) 10k persons


def test_regression_table_rows_and_cells():
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"city": np.repeat(list("abcdef"), 5), "year": np.tile(range(5), 6)})
    d["x"] = rng.normal(size=len(d))
    d["w"] = rng.normal(size=len(d))
    d["y"] = 0.5 * d["x"] + rng.normal(size=len(d))
    f1 = models.panel_fe(d, "y", "x")
    f2 = models.panel_fe(d, "y", "x", controls="w", time=None)
    t = real_inference.regression_table({"(1)": f1, "(2)": f2})
    assert list(t.index[:4]) == ["x", "x (SE)", "w", "w (SE)"]
    assert t.at["x", "(1)"] == f"{f1.params['x']:.3f}" and t.at["x (SE)", "(2)"] == f"({f2.std_errors['x']:.3f})"
    assert t.at["w", "(1)"] == "" and t.at["N", "(1)"] == "30" and t.at["clusters", "(2)"] == "6"
    assert t.at["year effects", "(1)"] == "yes" and t.at["year effects", "(2)"] == "no"
    assert t.at["inference", "(1)"] == "CRV3 by city (6 clusters), t(5)" == f1.inference


def test_with_mde_reads_t_intervals_with_their_own_quantile():
    # a fixed-effects row under the few-cluster default: its interval is b -/+ t(20) SE, so the
    # SE behind it (and the MDE) must be recovered with the t(20) quantile, not the normal's
    se = 0.25
    t = pd.DataFrame({"estimate": [0.3, 0.3], "verdict": ["inconclusive"] * 2}, index=["H1", "H5"])
    q = {"H1": stats.t.ppf(0.975, 20), "H5": stats.norm.ppf(0.975)}
    t["ci_low"] = [0.3 - q[k] * se for k in t.index]
    t["ci_high"] = [0.3 + q[k] * se for k in t.index]
    t.attrs["reference_df"] = {"H1": 20.0}
    out = real_inference.with_mde(t)
    expect = (stats.t.ppf(0.975, 20) + stats.t.ppf(0.8, 20)) * se
    assert out.at["H1", "mde"] == pytest.approx(expect, rel=1e-12)
    assert out.at["H5", "mde"] == pytest.approx(expect, rel=1e-12)   # normal interval, same SE


def test_real_mechanism_records_the_reference_of_each_fixed_effects_row():
    c = realdata.real_constructs()
    mech = realdata.real_mechanism(c, __import__("helpers").data.inverse_distance_weights(power=2.0), n_boot=9,
                                   threshold_boot=0)
    ref = mech.table.attrs["reference_df"]
    assert ref == {"b_agglomeration": 20.0, "b_flows": 20.0}   # no PKU column: the two direct tests
    fit = mech.fits["b_flows"]
    lo, hi = fit.conf_int().loc["flow_network"]
    assert mech.table.at["b_flows", "ci_low"] == lo and hi - lo == pytest.approx(
        2 * stats.t.ppf(0.975, 20) * fit.std_errors["flow_network"])
