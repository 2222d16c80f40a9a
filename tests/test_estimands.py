"""Estimand-matched truths: closed forms in linear twins, a second FWL implementation, the
noise-preserving counterfactual, and the map from every estimate to its truth."""

import numpy as np
import pandas as pd
import pytest

from helpers import simulate
from helpers.analysis import report
from helpers.book import study_sentences
from helpers.simulate import TwinParams, estimands, simulate_panel

LINEAR = {"phi": 0.0, "rho": 0.0, "theta": 0.0}   # synergy linear in VA, no spatial feedback


def test_zero_bump_reproduces_the_panel_and_a_bump_keeps_every_noise_draw(twin):
    panel, _ = twin
    T, N = 13, 21
    same, _ = simulate_panel(bump={"VA": np.zeros((T, N))})
    assert panel.equals(same)
    shift = np.zeros((T, N))
    shift[:, 3] = 0.05
    cf, cf_truth = simulate_panel(bump={"VA": shift})
    city = simulate._data.city_table().index[3]
    # indicators that do not depend on VA keep their noise draw exactly
    pd.testing.assert_series_equal(cf["broadband_per100"], panel["broadband_per100"])
    pd.testing.assert_series_equal(cf["population"], panel["population"])
    moved = cf["telecom_per_capita"] != panel["telecom_per_capita"]
    assert set(cf.loc[moved, "city"]) == {city}
    # telecom = exp(5.5 + 1.6 VA + 0.4 D) x noise: the ratio is exp(1.6 h) up to rounding
    r = (cf.loc[moved, "telecom_per_capita"] / panel.loc[moved, "telecom_per_capita"]).to_numpy()
    np.testing.assert_allclose(r, np.exp(1.6 * 0.05), rtol=2e-4)


def test_fwl_residual_matches_a_dummy_regression():
    rng = np.random.default_rng(0)
    T, N = 6, 5
    x, c = rng.normal(size=(T, N)), rng.normal(size=(T, N))
    r = estimands.fwl_residual(x, [c])
    D = np.column_stack([np.kron(np.ones((T, 1)), np.eye(N)), np.kron(np.eye(T), np.ones((N, 1)))[:, 1:], c.ravel()])
    resid = x.ravel() - D @ np.linalg.lstsq(D, x.ravel(), rcond=None)[0]
    np.testing.assert_allclose(r.ravel(), resid, atol=1e-12)
    sub = np.array([True, True, False, True, False])
    r2 = estimands.fwl_residual(x, [c], sub)
    assert np.all(r2[:, ~sub] == 0)
    Ds = np.column_stack([np.kron(np.ones((T, 1)), np.eye(3)), np.kron(np.eye(T), np.ones((3, 1)))[:, 1:], c[:, sub].ravel()])
    xs = x[:, sub].ravel()
    np.testing.assert_allclose(r2[:, sub].ravel(), xs - Ds @ np.linalg.lstsq(Ds, xs, rcond=None)[0], atol=1e-12)


def test_linear_twin_marginal_effects_have_closed_forms():
    p = TwinParams(**LINEAR)
    st, va, _ = simulate._build_state(p, simulate.DEFAULT_SEED, simulate.YEARS)
    beta = estimands.latent_marginal(st, p, va)
    slope = np.where(st.q <= p.gamma, p.c_low, p.c_high)
    # no flows channel (phi = 0), no spatial feedback: own effect = regime slope + b_AG a_VA
    np.testing.assert_allclose(beta["c"], slope + p.b_AG * p.a_VA, rtol=1e-6)
    np.testing.assert_allclose(beta["c_prime"], slope, rtol=1e-6)
    np.testing.assert_allclose(beta["b2"], p.b_AG, rtol=1e-6)
    np.testing.assert_allclose(beta["pi_S"], p.pi_S, rtol=1e-6)
    np.testing.assert_allclose(beta["kappa_S"], p.kappa_S, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(beta["d21"], p.a_FN, rtol=1e-6)
    # linear twin: the equally weighted marginal effect is the one-SD effect per SD
    _, truth = simulate_panel(params=LINEAR)
    assert beta["c"].mean() == pytest.approx(truth.effects.at["total", "raw"] / truth.effects.attrs["delta_VA"],
                                             rel=1e-6)


def test_regression_weighted_truth_is_the_fwl_weighted_average():
    et = estimands.estimand_truths(params=LINEAR, measured=False)
    _, truth = simulate_panel(params=LINEAR)
    p = truth.params
    lat = truth.latent
    cities = simulate._data.city_table().index
    wide = lambda c: lat[c].unstack("city")[cities].to_numpy()  # noqa: E731
    x, q = wide("VA"), wide("q")
    st, _, _ = simulate._build_state(p, simulate.DEFAULT_SEED, simulate.YEARS)
    # second implementation: FE slope of y = beta_it x_it (+ fixed effects) on x, by dummies
    slope = np.where(q <= p.gamma, p.c_low, p.c_high) + p.b_AG * p.a_VA
    T, N = x.shape
    logpop = np.log(st.pop)
    D = np.column_stack([np.kron(np.ones((T, 1)), np.eye(N)), np.kron(np.eye(T), np.ones((N, 1)))[:, 1:], logpop.ravel()])
    xr = x.ravel() - D @ np.linalg.lstsq(D, x.ravel(), rcond=None)[0]
    expected = np.sum(xr**2 * slope.ravel()) / np.sum(xr**2)
    raw = et.truths.at["c", "latent_raw"]
    assert raw == pytest.approx(expected, rel=1e-5)
    # and it differs from the equal-weighted average (heterogeneous slopes)
    assert abs(raw - slope.mean()) > 1e-3
    assert et.truths.at["c_below", "latent_raw"] == pytest.approx(p.c_low + p.b_AG * p.a_VA, rel=1e-5)
    assert et.truths.at["c_above", "latent_raw"] == pytest.approx(p.c_high + p.b_AG * p.a_VA, rel=1e-5)
    # the threshold test's estimand: the direct slope by regime is c_low / c_high itself
    assert et.truths.at["c_prime_below", "latent_raw"] == pytest.approx(p.c_low, rel=1e-5)
    assert et.truths.at["c_prime_above", "latent_raw"] == pytest.approx(p.c_high, rel=1e-5)
    assert et.table.at["threshold_low", "truth"] == "c_prime_below"


def test_truths_for_any_city_set_and_span():
    from helpers.data import cities as _cities

    cs = _cities.city_set("sample", n=8, seed=3)
    cs = cs[cs["region"] != "PRD"]                      # a set without a Pearl River Delta city
    years = range(2013, 2019)
    _, truth = simulate_panel(params=LINEAR, seed=5, cities=cs, years=years)
    et = estimands.estimand_truths(LINEAR, seed=5, measured=False, cities=cs, years=years)
    p = truth.params
    # closed forms hold on the set (one direct slope per regime; no spatial feedback)
    q = truth.latent["q"].to_numpy()
    if (q <= p.gamma).any():
        assert et.truths.at["c_prime_below", "latent_raw"] == pytest.approx(p.c_low, rel=1e-5)
    if (q > p.gamma).any():
        assert et.truths.at["c_prime_above", "latent_raw"] == pytest.approx(p.c_high, rel=1e-5)
    assert np.isnan(et.truths.at["c_prd", "latent"]) and np.isfinite(et.truths.at["c_rest", "latent"])
    assert et.per_city_year["c"].shape == (6, len(cs))
    # the caller's truth gives the same numbers as a fresh simulation
    again = estimands.estimand_truths(LINEAR, seed=5, measured=False, cities=cs, years=years, truth=truth)
    pd.testing.assert_frame_equal(et.truths, again.truths)
    assert et.truths["measured"].isna().all()


def test_measured_truths_follow_the_observation_layer():
    et = estimands.estimand_truths()
    t = et.truths
    panel, _ = simulate_panel()
    from helpers.measure import constructs

    c = constructs.build_constructs(panel)
    # observed productivity = L P + const + noise (L = gdp_loading, the calibrated elasticity of
    # observed output to the model's variation) and competitiveness = X + const + noise: a
    # productivity shift of L moves competitiveness by kappa_P, so the measured truth is
    # kappa_P / L x SD ratio
    p = TwinParams()
    ratio = c["productivity"].std(ddof=0) / c["competitiveness"].std(ddof=0)
    assert t.at["kappa_P", "measured"] == pytest.approx(p.kappa_P / p.gdp_loading * ratio, rel=2e-3)
    # every estimate of the mechanism table has a truth on both scales
    assert np.isfinite(et.table[["latent", "measured"]].to_numpy()).all()
    # the one-SD truth of a concave model is smaller than the marginal one (audit: 0.295 vs 0.360)
    assert t.at["c", "one_sd"] < t.at["c", "latent"]


def test_every_estimate_of_the_table_has_a_truth(twin):
    panel, truth = twin
    from helpers.measure import constructs

    res = report.run_mechanism(constructs.build_constructs(panel), truth.W, n_boot=9, threshold_boot=0,
                               wild_boot=0)
    keys = set(report.estimates_table(res).index)
    # every estimate but the lagged-VA one, which has no estimand in the static twin (not scored)
    assert keys - set(estimands.TRUTH_FOR) == {"total_lag"}


@pytest.mark.slow
def test_correctly_specified_twin_covers_fe_iv_and_direct_estimands_on_100_twins():
    # studies.correct_spec_coverage (tools/coverage_mc.py part B): no confounder, one direct
    # slope, no spatial terms, no flows channel, estimators on the standardised latent states;
    # about 60 s. The estimators are on target; the book's CRV1 intervals are within 3 MC SE of
    # 95% and the cluster jackknife within 2.
    from helpers import studies

    cs = studies.correct_spec_coverage(100, n_boot=99)
    t = cs.table
    se = np.sqrt(0.95 * 0.05 / 100)
    assert ((t["coverage"] - 0.95).abs() < 3 * se).all(), t["coverage"].to_dict()
    assert abs(cs.coverage("FE total", "CRV3, t(G-1)") - 0.95) < 2 * se
    assert ((t["mean_estimate"] - t["mean_true"]).abs() < 0.1 * t["mean_true"].abs()).all()


def test_correct_spec_coverage_intervals_nest_and_match_the_estimators():
    from helpers import models, studies
    from helpers.studies import coverage

    cs = studies.correct_spec_coverage(2, n_boot=9)
    d = cs.per_twin
    assert set(d.index.unique()) == set(studies.CORRECT_INTERVALS) and cs.n_clusters == 21
    for est in ("FE total", "2SLS"):
        n, t = (d.loc[(est, itv)].reset_index(drop=True) for itv in ("CRV1, normal", "CRV1, t(G-1)"))
        # same centre, the t(20) band is wider by t_.975(20) / z_.975 = 2.086 / 1.960
        np.testing.assert_allclose(n["estimate"], t["estimate"])
        np.testing.assert_allclose((t["ci_high"] - t["ci_low"]) / (n["ci_high"] - n["ci_low"]), 2.0860 / 1.95996,
                                   rtol=1e-4)
        assert (t["covers"] >= n["covers"]).all()
    # the CRV3 row is panel_fe(vcov="CRV3") on the latent states of twin 1
    panel, truth = simulate_panel(params=studies.CORRECTLY_SPECIFIED, seed=1)
    z = coverage._latent_states(panel, truth)
    r = models.panel_fe(z, "SY", "VA", controls=["log_population"], vcov="CRV3")
    row = d.loc[("FE total", "CRV3, t(G-1)")].set_index("twin").loc[1]
    assert row["ci_high"] - row["estimate"] == pytest.approx(2.0859634 * r.std_errors["VA"], rel=1e-6)
    p = cs.table["coverage"]
    np.testing.assert_allclose(cs.table["mc_se"], np.sqrt(p * (1 - p) / 2))
    assert (d["covers"] == ((d["ci_low"] <= d["true"]) & (d["true"] <= d["ci_high"]))).all()


def _fake_correct(c1, c3, bias, s1=0.009, n=100):
    from helpers import studies

    idx = pd.MultiIndex.from_tuples(list(studies.CORRECT_INTERVALS), names=["estimator", "interval"])
    cov = {"CRV1, normal": c1, "CRV1, t(G-1)": c1, "CRV3, t(G-1)": c3}
    t = pd.DataFrame({"coverage": [cov.get(i, 0.95) for _, i in idx], "mean_estimate": 0.2 + bias, "mean_true": 0.2,
                      "sd_error": 0.010, "mean_se": [s1 if i.startswith("CRV1") else 0.0106 for _, i in idx]},
                     index=idx)
    return studies.CorrectSpecCoverage(table=t, per_twin=pd.DataFrame(), n_reps=n, n_clusters=21, params={})


def test_few_clusters_sentence_names_the_cause_only_when_the_numbers_show_it():
    from scipy import stats


    s = study_sentences.few_clusters_sentence(_fake_correct(0.91, 0.95, 0.001))
    assert s.startswith("Few clusters:") and "in 91% of twins" in s and "t(20) in 95%" in s and "21 clusters" in s
    assert "mean +0.001 and SD 0.010; the average cluster-robust SE is 0.009 (-10%)" in s and "SE 0.011 (+6%)" in s
    # predicted coverages: bias 0.1 SD with a right SE; SE 10% small with no bias (closed forms)
    z = stats.norm.ppf(0.975)
    pb = stats.norm.cdf(z - 0.1) - stats.norm.cdf(-z - 0.1)
    assert f"covering {pb:.1%} of twins and the too-small SE {2 * stats.norm.cdf(0.9 * z) - 1:.1%}" in s
    # a bias that costs more than the SE: no verdict, only the numbers
    s = study_sentences.few_clusters_sentence(_fake_correct(0.88, 0.95, 0.008))
    assert s.startswith("Correctly specified twins:") and "mean +0.008" in s
    # the jackknife does not restore coverage either; or the SE is not too small: no verdict
    assert study_sentences.few_clusters_sentence(_fake_correct(0.80, 0.85, 0.0)).startswith("Correctly specified")
    assert study_sentences.few_clusters_sentence(_fake_correct(0.91, 0.95, 0.0, s1=0.011)).startswith("Correctly")
