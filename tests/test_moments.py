"""Moments of the calibration check against hand computations and closed forms."""

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import moments as m


def _frame(logy: np.ndarray, pop=None, groups=None) -> pd.DataFrame:
    """Long frame from a T x N matrix of ln GDP (cities c0.., years 2000..)."""
    T, N = logy.shape
    pop = np.ones((T, N)) if pop is None else pop
    return pd.DataFrame({
        "city": np.tile([f"c{i}" for i in range(N)], T), "year": np.repeat(np.arange(2000, 2000 + T), N),
        "group": np.tile(groups if groups is not None else ["g"] * N, T),
        "gdp": np.exp(logy).ravel(), "population": pop.ravel()})


def test_within_sd_is_the_two_way_demeaned_rms_on_a_balanced_panel():
    rng = np.random.default_rng(1)
    T, N = 9, 7
    x = rng.normal(size=(T, N)) + rng.normal(size=N)[None, :] * 3 + np.arange(T)[:, None]
    hand = x - x.mean(axis=0, keepdims=True) - x.mean(axis=1, keepdims=True) + x.mean()
    assert m.sd_log_gdp_within(_frame(x)) == pytest.approx(np.sqrt(np.mean(hand**2)), rel=1e-10)


def test_two_way_residual_matches_least_squares_with_dummies_on_an_unbalanced_panel():
    rng = np.random.default_rng(2)
    df = _frame(rng.normal(size=(8, 6))).sample(frac=0.8, random_state=3)
    df["x"] = rng.normal(size=len(df))
    D = pd.get_dummies(df[["city", "year"]].astype(str), drop_first=True).astype(float)
    X = np.column_stack([np.ones(len(df)), D.to_numpy()])
    beta, *_ = np.linalg.lstsq(X, df["x"].to_numpy(), rcond=None)
    ols = df["x"].to_numpy() - X @ beta
    np.testing.assert_allclose(m.two_way_residual(df, "x").to_numpy(), ols, atol=1e-8)


@pytest.mark.parametrize("rho", [0.5, -0.3])
def test_ar1_of_growth_recovers_a_known_rho(rho):
    rng = np.random.default_rng(4)
    T, N = 400, 30
    g = np.zeros((T, N))
    for t in range(1, T):
        g[t] = rho * g[t - 1] + 0.02 * rng.standard_normal(N)
    # common year shocks and city drifts are removed by the city and year effects
    g = g + 0.05 * rng.standard_normal(T)[:, None] + rng.normal(0.08, 0.02, N)[None, :]
    logy = np.cumsum(g, axis=0)
    est = m.ar1_growth(_frame(logy))
    assert est == pytest.approx(rho, abs=0.04)
    # the within SD of growth: the AR(1)'s stationary SD 0.02 / sqrt(1 - rho^2)
    assert m.sd_growth_within(_frame(logy)) == pytest.approx(0.02 / np.sqrt(1 - rho**2), rel=0.05)


def test_cross_city_sd_of_growth_and_zero_within_sd_for_constant_city_growth():
    mu = np.array([0.05, 0.07, 0.10, 0.12])
    logy = np.arange(10)[:, None] * mu[None, :] + 3.0
    df = _frame(logy)
    assert m.sd_growth_cross(df) == pytest.approx(np.std(mu), rel=1e-10)
    assert m.sd_growth_within(df) == pytest.approx(0.0, abs=1e-12)


def test_theil_trend_matches_hand_computed_theil_of_two_cities():
    # two cities, populations 1 and 3, GDP per head ratio r_t = 2 + 0.1 t (city 0 richer)
    T = 6
    r = 2 + 0.1 * np.arange(T)
    pop = np.tile([1.0, 3.0], (T, 1))
    logy = np.log(np.column_stack([r * 1.0, np.ones(T) * 3.0]))
    p = np.array([0.25, 0.75])
    hand = []
    for t in range(T):
        y = np.array([r[t] * 1.0, 3.0])
        s = y / y.sum()
        hand.append(float(np.sum(s * np.log(s / p))))
    df = _frame(logy, pop=pop, groups=["a", "b"])
    np.testing.assert_allclose(m.theil_by_year(df).to_numpy(), hand, rtol=1e-10)
    assert m.theil_trend(df) == pytest.approx(np.polyfit(np.arange(T), hand, 1)[0], rel=1e-10)


def test_correlation_with_gdp_per_head_and_the_manufacturing_lq():
    rng = np.random.default_rng(5)
    df = _frame(rng.normal(size=(5, 6)), pop=rng.uniform(1, 2, (5, 6)))
    df["broadband_per100"] = rng.normal(size=len(df))
    hand = np.corrcoef(df["broadband_per100"], np.log(df["gdp"] / df["population"]))[0, 1]
    assert m.corr_with_gdp_per_head(df, "broadband_per100") == pytest.approx(hand, rel=1e-12)
    df["employment"] = rng.uniform(1, 5, len(df))
    df["mfg_share"] = rng.uniform(0.1, 0.5, len(df))
    lq = m._mfg_lq(df)
    # the employment-weighted mean of the LQ is 1 in every year (definition of an LQ)
    wmean = (lq * df["employment"]).groupby(df["year"]).sum() / df["employment"].groupby(df["year"]).sum()
    np.testing.assert_allclose(wmean.to_numpy(), 1.0, rtol=1e-12)
    assert np.isnan(m.corr_with_gdp_per_head(df, "digital_index"))


def test_rank_with_reference_is_spearman_of_city_means():
    df = _frame(np.zeros((2, 4)))
    df["digital_index"] = np.tile([1.0, 2.0, 3.0, 4.0], 2)
    ref = pd.DataFrame({"city": ["c0", "c1", "c2", "c3"], "year": 2000, "value": [4.0, 3.0, 1.0, 2.0]})
    assert m.rank_with_reference(df, ref) == pytest.approx(-0.8)
    assert np.isnan(m.rank_with_reference(df, None))


def test_cluster_bootstrap_is_seeded_and_its_se_shrinks_with_more_cities():
    rng = np.random.default_rng(6)

    def se(N):
        mu = rng.normal(0.08, 0.02, N)
        logy = np.arange(6)[:, None] * mu[None, :] + 0.01 * rng.standard_normal((6, N))
        return m.moments(_frame(logy), n_boot=60, seed=3).table.at["sd_growth_cross", "se"]

    df = _frame(rng.normal(size=(5, 8)).cumsum(axis=0))
    a = m.cluster_bootstrap(df, n_boot=5, seed=9)
    pd.testing.assert_frame_equal(a, m.cluster_bootstrap(df, n_boot=5, seed=9))
    # the SE of a cross-city SD falls like 1/sqrt(G): 16 times the cities, about a quarter of the SE
    assert se(200) < 0.5 * se(12)
    assert m.moments(df, n_boot=0).table["se"].isna().all()


def test_frame_without_required_columns_is_refused():
    with pytest.raises(ValueError, match="population"):
        m.moment_values(pd.DataFrame({"city": ["a"], "year": [2000], "group": ["g"], "gdp": [1.0]}))


def test_real_guangdong_within_sd_of_log_gdp_by_hand():
    from helpers import data

    df = m.guangdong_frame()
    acc = data.load_accounts()
    x = np.log(acc[acc["year"].between(2011, 2023)].pivot(index="year", columns="city", values="gdp").to_numpy())
    hand = x - x.mean(axis=0, keepdims=True) - x.mean(axis=1, keepdims=True) + x.mean()
    assert m.sd_log_gdp_within(df) == pytest.approx(np.sqrt(np.mean(hand**2)), rel=1e-10)
    assert df["broadband_per100"].notna().sum() > 100   # matched by code to the national panel


def test_twin_frame_and_the_gap_in_ses():
    from helpers.studies import moments as sm

    f = sm.twin_frame(pd.read_csv(__import__("helpers").data.bundled_file("guangdong_twin_panel.csv")))
    # the twin's three sectors add up to its GDP (each rounded to 0.01)
    assert (f["va_secondary"] + f["va_tertiary"] - f["gdp"]).abs().max() > 1.0
    raw = pd.read_csv(__import__("helpers").data.bundled_file("guangdong_twin_panel.csv"))
    assert (raw["va_primary"] + raw["va_secondary"] + raw["va_tertiary"] - raw["gdp"]).abs().max() < 0.021
    real = m.MomentTable(table=pd.DataFrame({"label": ["x", "y"], "targeted": [True, False],
                                             "value": [1.0, 2.0], "se": [0.5, 0.0]}, index=["a", "b"]),
                         source="s", n_boot=9, seed=0)
    chk = sm.calibration_check(real, pd.DataFrame({"mean": [2.5, 3.0]}, index=["a", "b"]))
    assert chk.table.at["a", "gap (SEs)"] == pytest.approx(3.0)
    assert np.isnan(chk.table.at["b", "gap (SEs)"])    # a zero SE gives no gap, not infinity
    assert list(chk.off.index) == ["a"]


def test_calibration_sentences_count_the_moments_off_by_more_than_two_ses():
    from helpers.book.calibration_sentences import calibration_sentences
    from helpers.studies.moments import CalibrationCheck

    t = pd.DataFrame({"label": ["sd of growth", "ar1", "theil mean", "rank vs PKU"],
                      "targeted": [True, True, False, False], "real": [1.0, 0.2, 2.0, 1.0],
                      "se": [0.1, 0.1, 0.1, np.nan], "twin (SIMULATED)": [1.5, 0.25, 1.7, 0.4]})
    t["gap (SEs)"] = (t["twin (SIMULATED)"] - t["real"]) / t["se"]
    s = calibration_sentences(CalibrationCheck(table=t, twin_seeds=(1, 2), n_boot=9, source="x"))
    assert s[0].startswith("Of 3 moments with a sampling SE") and "2 lie more than 2 SE" in s[0]
    assert "1 of 2 moments marked for targeting and 1 of 1 held back" in s[0]
    assert "sd of growth (+5.0 SE); theil mean (-3.0 SE)" in s[1] and "ar1" not in s[1]
    assert "not yet calibrated" in s[2]
    assert s[3].startswith("Held back from the fit, as out-of-sample validation: theil mean at -3.0 SE, 0 of 1")
    assert s[4].startswith("Rank vs PKU: 0.40 in the twin against 1.00")


def test_guangdong_check_without_the_pku_index_drops_its_rows(tmp_path):
    from helpers.studies import moments as sm

    chk = sm.guangdong_check(n_boot=2, seed=1, pku_path=tmp_path / "absent.dta")
    assert "corr_digital_gdppc" not in chk.table.index and "rank_digital_reference" not in chk.table.index
    assert len(chk.table) >= 12 and chk.table["se"].notna().all()
    assert chk.table.at["sd_log_gdp_within", "real"] == pytest.approx(m.sd_log_gdp_within(m.guangdong_frame()))
