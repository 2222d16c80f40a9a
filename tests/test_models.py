"""helpers.models against published numbers, second implementations, closed forms and properties."""

import html

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from helpers import data, models
from helpers.analysis import report
from helpers.measure import constructs
from helpers.models import _boot
from helpers.models.mediation import _wen_ye


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def z():
    """Standardised constructs of the bundled panel (what the mechanism chapter estimates on)."""
    return report.prepare(constructs.build_constructs(data.load_panel()))


@pytest.fixture(scope="module")
def grunfeld():
    g = sm.datasets.grunfeld.load_pandas().data
    g = g[g["firm"] != "American Steel"].copy()  # the classic ten firms
    g["year"] = g["year"].astype(int)
    return g


@pytest.fixture(scope="module")
def hansen(realdata):
    path = realdata / "hansen1999" / "Hansen1999.dta"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    h = pd.read_stata(path)
    return h.astype({c: float for c in h.columns if h[c].dtype == np.float32})


def _lsdv(df, y, regs, entity="city", time="year"):
    """Second implementation of fixed effects: OLS with entity (and time) dummies."""
    fe = f" + C({entity})" + (f" + C({time})" if time else "")
    return smf.ols(f"{y} ~ {' + '.join(regs)}{fe}", df).fit()


def _linear_panel(rng, N=21, T=13, a=0.5, b=0.8, c_prime=0.3, d21=0.6, b1=0.4):
    """Correctly specified two-way FE mediation DGP (one or two mediators); true effects known."""
    city = np.repeat(np.arange(N), T)
    year = np.tile(np.arange(T), N)
    mu = rng.normal(size=N)[city]
    lam = rng.normal(size=T)[year]
    x = mu + lam + rng.normal(size=N * T)
    m1 = a * x + 0.5 * mu + lam + rng.normal(size=N * T)
    m2 = 0.4 * x + d21 * m1 - 0.3 * mu + rng.normal(size=N * T)
    y = c_prime * x + b1 * m1 + b * m2 + mu - lam + rng.normal(size=N * T)
    return pd.DataFrame({"city": city, "year": year, "x": x, "m1": m1, "m2": m2, "y": y})


# ---------------------------------------------------------------------------- panel_fe
def test_grunfeld_within_estimates(grunfeld):
    # Grunfeld (1958) ten firms, one-way (firm) effects: value 0.1101, capital 0.3101
    r = models.panel_fe(grunfeld, "invest", ["value", "capital"], entity="firm", time=None, cluster="firm")
    assert round(r.params["value"], 4) == 0.1101
    assert round(r.params["capital"], 4) == 0.3101
    lsdv = _lsdv(grunfeld, "invest", ["value", "capital"], entity="firm", time=None)
    np.testing.assert_allclose(r.params, lsdv.params[["value", "capital"]], rtol=1e-10)
    assert r.nobs == 200 and r.n_clusters == 10 and r["params"] is r.params


def test_two_way_fe_equals_dummy_regression(z):
    r = models.panel_fe(z, "synergy", "va_index", controls=["log_population"])
    lsdv = _lsdv(z, "synergy", ["va_index", "log_population"])
    np.testing.assert_allclose(r.params, lsdv.params[["va_index", "log_population"]], rtol=1e-9)
    assert "va_index" in r.summary() and "21 clusters" in r.summary()


@pytest.mark.slow
def test_wild_cluster_bootstrap_has_close_to_nominal_size():
    # under H0 (x has no effect) with 21 clusters, a 5% test should reject about 5% of the time
    rng = np.random.default_rng(11)
    rejections = []
    for rep in range(120):
        df = _linear_panel(rng)
        df["noise"] = rng.normal(size=len(df)) + np.repeat(rng.normal(size=21), 13)  # clustered, unrelated to y
        r = models.panel_fe(df, "y", "noise", controls=["x"], n_boot=199, seed=rep)
        rejections.append(r.wild_p["noise"] < 0.05)
    assert 0.01 <= np.mean(rejections) <= 0.11


def test_wild_bootstrap_detects_a_real_effect_and_is_reproducible(z):
    r1 = models.panel_fe(z, "synergy", "lq_manufacturing", n_boot=499, seed=3)
    r2 = models.panel_fe(z, "synergy", "lq_manufacturing", n_boot=499, seed=3)
    assert r1.wild_p.equals(r2.wild_p)
    rng = np.random.default_rng(0)
    df = _linear_panel(rng)
    strong = models.panel_fe(df, "m1", "x", n_boot=499, seed=1)
    assert strong.wild_p["x"] < 0.01


# ---------------------------------------------------------------------------- mediation
def test_sobel_and_aroian_on_pingouins_mediation_data():
    import pingouin as pg

    d = pg.read_dataset("mediation")
    r = models.mediation(d, "X", "M", "Y", fe=False, cluster=None, n_boot=500, seed=1)
    ref = pg.mediation_analysis(data=d, x="X", m="M", y="Y", n_boot=200, seed=1).set_index("path")
    assert r.a == pytest.approx(ref.at["M ~ X", "coef"], rel=1e-10)
    assert r.ab == pytest.approx(ref.at["Indirect", "coef"], rel=1e-10)
    assert r.c == pytest.approx(ref.at["Total", "coef"], rel=1e-10)
    assert r.c_prime == pytest.approx(ref.at["Direct", "coef"], rel=1e-10)
    # pingouin's "Y ~ M" row is the simple regression of Y on M, not b (which controls for X)
    assert abs(r.b - ref.at["Y ~ M", "coef"]) > 0.01
    fa = sm.OLS(d["M"], sm.add_constant(d[["X"]])).fit()
    fb = sm.OLS(d["Y"], sm.add_constant(d[["X", "M"]])).fit()
    a, sa, b, sb = fa.params["X"], fa.bse["X"], fb.params["M"], fb.bse["M"]
    assert r.b == pytest.approx(b, rel=1e-10)
    sobel = a * b / np.sqrt(b**2 * sa**2 + a**2 * sb**2)
    aroian = a * b / np.sqrt(b**2 * sa**2 + a**2 * sb**2 + sa**2 * sb**2)
    assert r.sobel_z == pytest.approx(sobel, rel=1e-10)
    assert r.aroian_z == pytest.approx(aroian, rel=1e-10)
    assert r.aroian_z < r.sobel_z  # Aroian's extra variance term
    assert r.sobel_p == pytest.approx(2 * (1 - __import__("scipy").stats.norm.cdf(sobel)), rel=1e-8)
    assert r.boot_ci.at["ab", "lower"] < r.ab < r.boot_ci.at["ab", "upper"]
    assert r.verdict == "full mediation"  # c' = 0.04 (p = 0.72) while a and b are significant


@pytest.mark.parametrize("fe", [True, False])
def test_total_equals_direct_plus_indirect(z, fe):
    r = models.mediation(z, "va_index", "lq_manufacturing", "synergy", controls=["log_population"], fe=fe,
                         n_boot=0, cluster="city" if fe else None)
    assert r.c == pytest.approx(r.c_prime + r.ab, abs=1e-10)


def _explicit_resample(d, counts, entity="city"):
    """The resampled panel itself: each drawn copy of a city becomes a new entity."""
    cities = sorted(d[entity].unique())
    parts = [d[d[entity] == cities[g]].assign(**{entity: f"{cities[g]}#{r}"})
             for g, n in enumerate(counts) for r in range(int(n))]
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("time", ["year", None])
def test_vectorised_cluster_bootstrap_equals_explicit_resampling(z, time):
    cols = ["va_index", "flow_network", "lq_manufacturing", "synergy", "log_population"]
    mom = _boot.Moments(z, cols, "city", time, True, "city", "test")
    rng = np.random.default_rng(5)
    counts = _boot.count_draws(21, 3, rng)
    M = mom.matrices(counts)
    regs = ["va_index", "flow_network", "log_population"]
    fast = _boot.solve(M, mom.index("lq_manufacturing"), [mom.index(r) for r in regs])
    for b in range(3):
        slow = _lsdv(_explicit_resample(z, counts[b]), "lq_manufacturing", regs, time=time).params[regs]
        np.testing.assert_allclose(fast[b], slow.to_numpy(), rtol=1e-8, atol=1e-10)


def test_unbalanced_panels_bootstrap_by_re_demeaning(z):
    zu = z.drop(index=z.index[[3, 40, 41, 100]])  # some city-years missing
    cols = ["va_index", "lq_manufacturing", "synergy"]
    mom = _boot.Moments(zu, cols, "city", "year", True, "city", "test")
    assert mom.mode == "unbalanced"
    counts = _boot.count_draws(21, 2, np.random.default_rng(2))
    fast = _boot.solve(mom.matrices(counts), mom.index("synergy"), [mom.index("va_index"), mom.index("lq_manufacturing")])
    for b in range(2):
        slow = _lsdv(_explicit_resample(zu, counts[b]), "synergy", ["va_index", "lq_manufacturing"]).params
        np.testing.assert_allclose(fast[b], slow[["va_index", "lq_manufacturing"]].to_numpy(), rtol=1e-7)


def test_row_bootstrap_without_fixed_effects_equals_weighted_ols():
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x": rng.normal(size=60)})
    d["m"] = 0.5 * d["x"] + rng.normal(size=60)
    mom = _boot.Moments(d, ["x", "m"], None, None, False, None, "test")
    w = _boot.count_draws(60, 1, rng)[0]
    fast = _boot.solve(mom.matrices(w[None]), mom.index("m"), [mom.index("x"), mom.index("const")])[0]
    slow = sm.WLS(d["m"], sm.add_constant(d[["x"]]), weights=w).fit().params
    np.testing.assert_allclose(fast, [slow["x"], slow["const"]], rtol=1e-10)


@pytest.mark.parametrize("p,expected", [
    # (p_c, p_a, p_b, p_c', ab, c', bootstrap interval)
    ((0.01, 0.01, 0.01, 0.50, 0.3, 0.05, (0.1, 0.5)), "full mediation"),
    ((0.01, 0.01, 0.01, 0.01, 0.3, 0.40, (0.1, 0.5)), "partial mediation"),
    ((0.01, 0.01, 0.01, 0.01, 0.3, -0.40, (0.1, 0.5)), "suppression (inconsistent mediation)"),
    ((0.01, 0.30, 0.01, 0.01, 0.3, 0.40, (-0.1, 0.5)), "no indirect effect"),
    ((0.01, 0.30, 0.01, 0.01, 0.3, 0.40, (0.05, 0.5)), "partial mediation"),  # rescued by the bootstrap
    ((0.40, 0.01, 0.01, 0.01, 0.3, -0.40, (0.1, 0.5)), "suppression (inconsistent mediation)"),
])
def test_wen_ye_stepwise_verdicts(p, expected):
    verdict, steps = _wen_ye(*p, alpha=0.05)
    assert verdict == expected
    assert steps[0].startswith("1.")
    if p[0] >= 0.05:
        assert "suppression" in steps[0]


@pytest.mark.slow
def test_mediation_intervals_cover_the_truth_at_close_to_nominal_rate():
    # correctly specified two-way FE DGP, 21 clusters x 13 years: ab = 0.5 x (0.4 + 0.6 x 0.5)...
    # here the single mediator is m1 with everything downstream folded into b: use the serial truth
    rng = np.random.default_rng(2026)
    a, d21, b1, b2 = 0.5, 0.6, 0.4, 0.8
    true_total_indirect = a * b1 + 0.4 * b2 + a * d21 * b2
    cover_serial, cover_c = [], []
    for rep in range(60):
        df = _linear_panel(rng)
        s = models.serial_mediation(df, "x", "m1", "m2", "y", n_boot=299, seed=rep)
        lo, hi = s.boot_ci.loc["total_indirect"]
        cover_serial.append(lo <= true_total_indirect <= hi)
        clo, chi = s.boot_ci.loc["c"]
        cover_c.append(clo <= 0.3 + true_total_indirect <= chi)
    # nominal 95%; with 60 replications a rate below 0.83 would be 3 standard errors short
    assert np.mean(cover_serial) >= 0.83
    assert np.mean(cover_c) >= 0.83


# ---------------------------------------------------------------------------- serial mediation
@pytest.mark.parametrize("fe", [True, False])
def test_serial_identity_holds_exactly(z, fe):
    s = models.serial_mediation(z, "va_index", "flow_network", "lq_manufacturing", "synergy",
                                controls=["log_population"], fe=fe, cluster="city" if fe else None,
                                n_boot=200, seed=1)
    assert abs(s.c - (s.c_prime + s.a1 * s.b1 + s.a2 * s.b2 + s.a1 * s.d21 * s.b2)) < 1e-10
    assert s.indirect["total_indirect"] == pytest.approx(s.indirect[["a1b1", "a2b2", "a1d21b2"]].sum())
    # every bootstrap replicate is OLS on one (resampled) sample, so the identity holds in each
    bt = s.boot_draws
    np.testing.assert_allclose(bt["c"], bt["c_prime"] + bt["total_indirect"], atol=1e-9)
    assert set(s.boot_ci.index) >= {"a1", "c_prime", "a1b1", "a2b2", "a1d21b2", "total_indirect"}


def test_serial_paths_equal_their_regressions(z):
    s = models.serial_mediation(z, "va_index", "flow_network", "lq_manufacturing", "synergy", n_boot=0)
    m2 = _lsdv(z, "lq_manufacturing", ["va_index", "flow_network"]).params
    y = _lsdv(z, "synergy", ["va_index", "flow_network", "lq_manufacturing"]).params
    assert s.a2 == pytest.approx(m2["va_index"], rel=1e-9)
    assert s.d21 == pytest.approx(m2["flow_network"], rel=1e-9)
    assert s.b2 == pytest.approx(y["lq_manufacturing"], rel=1e-9)
    assert s.c_prime == pytest.approx(y["va_index"], rel=1e-9)


# ---------------------------------------------------------------------------- threshold
HANSEN_CONTROLS = ["q1", "q2", "q3", "d1", "qd1"]


@pytest.mark.realdata
def test_hansen_1999_single_threshold(hansen):
    # Hansen (1999): one threshold in leverage d1 at 0.0157, found by an exhaustive search
    ex = models.threshold(hansen, "i", "c1", "d1", controls=HANSEN_CONTROLS, entity="id", time=None,
                          cluster="id", grid=None, n_boot=0)
    assert round(float(ex.gamma[0]), 4) == 0.0157
    # the usual 400-quantile grid moves gamma in the third decimal only
    g400 = models.threshold(hansen, "i", "c1", "d1", controls=HANSEN_CONTROLS, entity="id", time=None,
                            cluster="id", grid=400, n_boot=50, seed=1, bootstrap="residual")   # Hansen's own
    assert abs(float(g400.gamma[0]) - 0.0157) < 0.001
    assert g400.p_boot[0] < 0.05 and g400.F[0] > g400.crit.iloc[0, 1]
    # the LR set is the range of grid points with LR <= c(0.05); its neighbours outside exceed it
    lr = g400.lr["gamma1"]
    lo, hi = g400.lr_ci.loc["gamma1"]
    inside = lr[(lr.index >= lo) & (lr.index <= hi)]
    assert inside.min() <= models.lr_critical(level=0.95) and lr[lr.index == lo].iloc[0] <= models.lr_critical(level=0.95)
    below, above = lr[lr.index < lo], lr[lr.index > hi]
    assert (below.empty or below.iloc[-1] > models.lr_critical(level=0.95))
    assert (above.empty or above.iloc[0] > models.lr_critical(level=0.95))


@pytest.mark.realdata
def test_hansen_conventions_reproduce_his_thresholds(hansen):
    # Hansen's grid (unique values of q at quantiles stepping by 1/400 from the trim) gives his
    # 0.0157 by default; hansen=True (last period deleted after demeaning, regime q < gamma)
    # gives his double threshold (0.0157, 0.5362)
    one = models.threshold(hansen, "i", "c1", "d1", controls=HANSEN_CONTROLS, entity="id", time=None,
                           n_boot=0)
    assert round(float(one.gamma[0]), 4) == 0.0157
    two = models.threshold(hansen, "i", "c1", "d1", controls=HANSEN_CONTROLS, entity="id", time=None,
                           n_boot=0, hansen=True, n_thresholds=2)
    np.testing.assert_array_equal(np.round(two.gamma, 4), [0.0157, 0.5362])
    assert any("<" in c and "<=" not in c for c in two.slopes.index)
    # the residual bootstrap assumes homoskedasticity; the wild bootstrap by entity does not,
    # and on Hansen's data its p-value is far larger
    res = models.threshold(hansen, "i", "c1", "d1", controls=HANSEN_CONTROLS, entity="id", time=None,
                           n_boot=99, seed=1, bootstrap="residual")
    wild = models.threshold(hansen, "i", "c1", "d1", controls=HANSEN_CONTROLS, entity="id", time=None,
                            n_boot=99, seed=1)   # the default: wild, clustered by entity
    assert wild.bootstrap == "wild by id (rademacher)" and res.bootstrap == "residual by id (iid)"
    assert res.p_boot[0] < 0.05 < wild.p_boot[0]
    assert wild.F[0] == pytest.approx(res.F[0], rel=1e-12)   # the statistic itself is unchanged
    with pytest.raises(ValueError, match="bootstrap must be"):
        models.threshold(hansen, "i", "c1", "d1", entity="id", time=None, n_boot=0, bootstrap="pairs")


def test_hansen_grid_takes_unique_values_at_quantile_steps():
    from helpers.models.threshold import _threshold_grid

    q = np.repeat(np.arange(1.0, 101.0), 3)      # 100 unique values, each three times
    g = _threshold_grid(q, 10, 0.1)
    # steps 0.1, 0.2, ..., 0.9: value number floor(p x 100) of the unique values, from one
    np.testing.assert_array_equal(g, [10.0, 20, 30, 40, 50, 60, 70, 80, 90])


def _threshold_ssr(df, y, x, q, gammas, controls, time):
    """Second implementation: the SSR of the dummy-variable regression at given thresholds."""
    d = df.copy()
    edges = [-np.inf, *sorted(gammas), np.inf]
    regs = []
    for k in range(len(edges) - 1):
        d[f"r{k}"] = d[x] * ((d[q] > edges[k]) & (d[q] <= edges[k + 1]))
        regs.append(f"r{k}")
    return _lsdv(d, y, regs + list(controls), time=time).ssr


@pytest.mark.parametrize("time", ["year", None])
def test_threshold_grid_profile_equals_explicit_regressions(z, time):
    zz = z.assign(bb=constructs.build_constructs(data.load_panel())["broadband_per100"])
    r = models.threshold(zz, "synergy", "va_index", "bb", controls=["log_population"], time=time, n_boot=0)
    S1 = r.ssr[1]
    # error degrees of freedom: n - N, and n - N - T + 1 once year effects are in
    sigma2 = S1 / (r.nobs - r.n_entities - (zz["year"].nunique() - 1 if time else 0))
    for g in r.lr.index[[5, 60, 130, 200]]:
        explicit = _threshold_ssr(zz, "synergy", "va_index", "bb", [g], ["log_population"], time)
        assert r.lr.at[g, "gamma1"] * sigma2 + S1 == pytest.approx(explicit, rel=1e-9)
    assert _threshold_ssr(zz, "synergy", "va_index", "bb", r.gamma, ["log_population"], time) == pytest.approx(S1, rel=1e-9)
    # the slopes are the coefficients of the explicit dummy-variable regression at gamma-hat
    d = zz.assign(r0=zz["va_index"] * (zz["bb"] <= r.gamma[0]), r1=zz["va_index"] * (zz["bb"] > r.gamma[0]))
    lsdv = _lsdv(d, "synergy", ["r0", "r1", "log_population"], time=time).params
    np.testing.assert_allclose(r.slopes.to_numpy(), lsdv[["r0", "r1"]].to_numpy(), rtol=1e-8)
    assert list(r.std_errors.index) == list(r.params.index) and len(r.slopes) == 2


def test_double_threshold_equals_explicit_regression(z):
    zz = z.assign(bb=constructs.build_constructs(data.load_panel())["broadband_per100"])
    r = models.threshold(zz, "synergy", "va_index", "bb", n_thresholds=2, n_boot=20, seed=0)
    assert len(r.gamma) == 2 and r.gamma[0] < r.gamma[1]
    explicit = _threshold_ssr(zz, "synergy", "va_index", "bb", r.gamma, [], "year")
    assert r.ssr[2] == pytest.approx(explicit, rel=1e-9)
    assert r.ssr[2] <= r.ssr[1] <= r.ssr[0]
    assert len(r.slopes) == 3 and np.isfinite(r.p_boot).all()


def _threshold_dgp(rng, slopes, N=80, T=8, gamma=0.5):
    e = np.repeat(np.arange(N), T)
    q = rng.uniform(size=N * T)
    x = rng.normal(size=N * T)
    y = rng.normal(size=N)[e] + np.where(q <= gamma, slopes[0], slopes[1]) * x + 0.5 * rng.normal(size=N * T)
    return pd.DataFrame({"firm": e, "t": np.tile(np.arange(T), N), "x": x, "q": q, "y": y})


def test_threshold_recovers_a_known_threshold_and_accepts_none():
    rng = np.random.default_rng(7)
    d = _threshold_dgp(rng, (1.0, 2.0))
    r = models.threshold(d, "y", "x", "q", entity="firm", time="t", cluster="firm", n_boot=99, seed=1)
    assert abs(r.gamma[0] - 0.5) < 0.03
    assert r.lr_ci.iloc[0, 0] <= 0.5 <= r.lr_ci.iloc[0, 1]
    assert r.p_boot[0] < 0.02
    np.testing.assert_allclose(r.slopes, [1.0, 2.0], atol=0.15)
    null = models.threshold(_threshold_dgp(rng, (1.5, 1.5)), "y", "x", "q", entity="firm", time="t",
                            cluster="firm", n_boot=99, seed=1)
    assert null.p_boot[0] > 0.05


def test_threshold_bootstrap_is_reproducible_and_skippable(z):
    zz = z.assign(bb=constructs.build_constructs(data.load_panel())["broadband_per100"])
    a = models.threshold(zz, "synergy", "va_index", "bb", n_boot=30, seed=4)
    b = models.threshold(zz, "synergy", "va_index", "bb", n_boot=30, seed=4)
    assert a.p_boot[0] == b.p_boot[0] and np.array_equal(a.gamma, b.gamma)
    none = models.threshold(zz, "synergy", "va_index", "bb", n_boot=0)
    assert np.isnan(none.p_boot[0]) and none.gamma[0] == a.gamma[0]


# ---------------------------------------------------------------------------- spatial Durbin
def _brute_force_effects(rho, beta, theta, W):
    n = W.shape[0]
    S = np.linalg.inv(np.eye(n) - rho * W)
    M = S @ (beta * np.eye(n) + theta * W)
    direct = np.mean(np.diag(M))
    total = M.sum() / n
    return direct, total - direct, total


@pytest.mark.parametrize("rho,beta,theta", [(0.3, 1.0, 0.5), (-0.4, 0.7, -0.2), (0.0, 1.0, 1.0)])
def test_sdm_effects_against_brute_force(rho, beta, theta):
    W = data.inverse_distance_weights(power=2.0)
    e = models.sdm_effects(rho, beta, theta, W)
    d, i, t = _brute_force_effects(rho, beta, theta, W.to_numpy())
    assert e.direct.iloc[0] == pytest.approx(d, rel=1e-12)
    assert e.indirect.iloc[0] == pytest.approx(i, rel=1e-10, abs=1e-14)
    assert e.total.iloc[0] == pytest.approx((beta + theta) / (1 - rho), rel=1e-12)  # row-standardised W
    # the direct effect includes feedback: it exceeds beta when rho and theta push the same way
    if rho > 0 and theta > 0:
        assert e.direct.iloc[0] > beta


def test_sdm_effects_for_several_regressors_and_unstandardised_w():
    rng = np.random.default_rng(0)
    A = (rng.random((8, 8)) < 0.4).astype(float)
    np.fill_diagonal(A, 0)
    beta = pd.Series({"va": 0.5, "pop": -0.2})
    theta = pd.Series({"pop": 0.1, "va": 0.3})
    e = models.sdm_effects(0.1, beta, theta, A)
    for name in beta.index:
        d, i, t = _brute_force_effects(0.1, beta[name], theta[name], A)
        assert (e.direct[name], e.indirect[name], e.total[name]) == pytest.approx((d, i, t), rel=1e-10)


@pytest.fixture(scope="module")
def sdm_panel():
    """A two-way FE spatial Durbin panel on the 21 cities' weights with known parameters."""
    rng = np.random.default_rng(42)
    W = data.inverse_distance_weights(power=2.0)
    N, T = 21, 400
    rho, beta, theta = 0.4, 1.0, 0.5
    S = np.linalg.inv(np.eye(N) - rho * W.to_numpy())
    mu, lam = rng.normal(size=N), rng.normal(size=T)
    X = rng.normal(size=(T, N)) + mu
    Y = np.stack([S @ (beta * X[t] + theta * W.to_numpy() @ X[t] + mu + lam[t] + rng.normal(size=N))
                  for t in range(T)])
    df = pd.DataFrame({"city": np.tile(W.index, T), "year": np.repeat(np.arange(T), N),
                       "x": X.ravel(), "y": Y.ravel()})
    return df, W, (rho, beta, theta)


def test_spatial_durbin_panel_recovers_parameters(sdm_panel):
    df, W, (rho, beta, theta) = sdm_panel
    r = models.spatial_durbin_panel(df, "y", "x", W, n_boot=500, seed=0)
    assert abs(r.rho - rho) < 3 * r.std_errors["rho"] and r.std_errors["rho"] < 0.05
    assert abs(r.beta["x"] - beta) < 3 * r.std_errors["x"]
    assert abs(r.theta["x"] - theta) < 3 * r.std_errors["W*x"]
    assert r.sigma2 == pytest.approx(1.0, abs=0.05)  # Lee-Yu: no (T-1)/T downward bias
    # the reported effects are sdm_effects at the estimates, and their intervals hold them
    e = models.sdm_effects(r.rho, r.beta, r.theta, W)
    assert r.effects.direct["x"] == pytest.approx(e.direct["x"], rel=1e-12)
    # the simulation intervals are close to normal ones around the estimates (draws ~ normal)
    for part in ("direct", "indirect", "total"):
        lo, hi = r.effects_ci.loc[(part, "x")]
        se = r.effects_se.at["x", part]
        assert (lo + hi) / 2 == pytest.approx(getattr(r.effects, part)["x"], abs=0.3 * se)
        assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.15)
    true = models.sdm_effects(rho, beta, theta, W)
    assert abs(r.effects.total["x"] - true.total["x"]) < 3 * r.effects_se.at["x", "total"]


def test_spatial_durbin_input_errors(sdm_panel):
    df, W, _ = sdm_panel
    with pytest.raises(ValueError, match="row-standardised"):
        models.spatial_durbin_panel(df, "y", "x", W * 2)
    with pytest.raises(ValueError, match="city 'Guangzhou' is missing from the data"):
        models.spatial_durbin_panel(df[df.city != "Guangzhou"], "y", "x", W)


# ---------------------------------------------------------------------------- Moran's I
def test_columbus_crime_moran_queen():
    import geopandas as gpd
    import libpysal

    df = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    w = libpysal.weights.Queen.from_dataframe(df, use_index=False)
    r = models.moran(df["CRIME"], w, n_boot=999, seed=0)
    assert round(float(r["I"].iloc[0]), 4) == 0.5002
    assert r["expected"].iloc[0] == pytest.approx(-1 / 48)
    assert r["p_sim"].iloc[0] == pytest.approx(1 / 1000)  # no permutation comes near
    # the same through a DataFrame of weights, matched by unit name
    w.transform = "b"
    Wdf = pd.DataFrame(w.full()[0], index=df.index, columns=df.index)
    r2 = models.moran(df["CRIME"], Wdf.iloc[::-1, ::-1], n_boot=0)
    assert r2["I"].iloc[0] == pytest.approx(r["I"].iloc[0], rel=1e-12)


def test_moran_closed_form_and_reproducible_permutations():
    W = data.inverse_distance_weights(power=2.0)
    rng = np.random.default_rng(1)
    wide = pd.DataFrame(rng.normal(size=(3, 21)), columns=W.index, index=[2021, 2022, 2023])
    r = models.moran(wide, W, n_boot=199, seed=9)
    Wm = W.to_numpy()
    for year, v in wide.iterrows():
        zz = v.to_numpy() - v.mean()
        assert r.I[year] == pytest.approx(21 / Wm.sum() * zz @ Wm @ zz / (zz @ zz), rel=1e-10)
    assert r.to_frame().equals(models.moran(wide, W, n_boot=199, seed=9).to_frame())
    assert isinstance(r, models.MoranResult) and r["p_sim"] is r.p_sim
    assert ((r["p_sim"] > 0) & (r["p_sim"] <= 1)).all()


def test_moran_normality_moments_equal_esda():
    # the moments are computed once for all periods: every period's statistic equals esda.Moran's
    import esda
    import libpysal

    Wd = data.inverse_distance_weights(power=2.0)
    # sparse binary neighbours (the 4 nearest-weighted, symmetrised) for the binary transformation
    near = (Wd.to_numpy() >= np.sort(Wd.to_numpy(), axis=1)[:, [-4]]).astype(float)
    Wb = pd.DataFrame(np.maximum(near, near.T), index=Wd.index, columns=Wd.index)
    rng = np.random.default_rng(4)
    wide = pd.DataFrame(rng.normal(size=(4, 21)), columns=Wd.index, index=range(4))
    for transformation, W in (("r", Wd), ("b", Wb), ("r", Wb)):
        r = models.moran(wide, W, n_boot=0, transformation=transformation)
        assert np.isfinite(r.z_norm).all()
        w = libpysal.weights.full2W(W.to_numpy(), ids=list(W.index))
        for k, v in wide.iterrows():
            m = esda.Moran(v.to_numpy(), w, transformation=transformation, permutations=0)
            np.testing.assert_allclose([r.I[k], r.expected[k], r.z_norm[k], r.p_norm[k]],
                                       [m.I, m.EI, m.z_norm, m.p_norm], rtol=1e-10)


# ---------------------------------------------------------------------------- 2SLS
def test_iv_just_identified_equals_the_ratio_of_covariances(z):
    r = models.iv_2sls(z, "synergy", "va_index", "instrument")
    w = models.within(z, ["synergy", "va_index", "instrument"])
    ratio = (w["instrument"] @ w["synergy"]) / (w["instrument"] @ w["va_index"])
    assert r.params["va_index"] == pytest.approx(ratio, rel=1e-10)
    # one instrument: the first-stage partial F is the squared t of the instrument
    fs = r.first_stage.loc[("va_index", "instrument")]
    assert r.first_stage_F["va_index"] == pytest.approx((fs["coef"] / fs["std err"]) ** 2, rel=1e-8)


def test_iv_recovers_the_effect_that_fixed_effects_miss():
    rng = np.random.default_rng(8)
    N, T = 150, 10
    e = np.repeat(np.arange(N), T)
    t = np.tile(np.arange(T), N)
    u = rng.normal(size=N * T)  # time-varying confounder: fixed effects cannot remove it
    zi = rng.normal(size=N * T)
    x = 0.8 * zi + u + rng.normal(size=N)[e] + 0.5 * rng.normal(size=N * T)
    y = 1.0 * x + 1.5 * u + rng.normal(size=N)[e] + rng.normal(size=T)[t] + rng.normal(size=N * T)
    df = pd.DataFrame({"city": e, "year": t, "x": x, "y": y, "z": zi})
    fe = models.panel_fe(df, "y", "x")
    iv = models.iv_2sls(df, "y", "x", "z")
    assert fe.params["x"] > 1.4  # biased up by the confounder
    lo, hi = iv.conf_int(0.95).loc["x"]
    assert lo < 1.0 < hi and abs(iv.params["x"] - 1.0) < 0.1


# ---------------------------------------------------------------------------- bad input
def test_bad_input_names_city_year_and_column(z):
    bad = z.copy()
    i = bad.index[(bad.city == "Shantou") & (bad.year == 2016)][0]
    bad.loc[i, "synergy"] = np.nan
    with pytest.raises(ValueError, match="city Shantou, year 2016: column 'synergy' is missing"):
        models.panel_fe(bad, "synergy", "va_index")
    with pytest.raises(ValueError, match="city Shantou, year 2016: column 'synergy'"):
        models.mediation(bad, "va_index", "lq_manufacturing", "synergy", n_boot=0)
    dup = pd.concat([z, z.iloc[[5]]])
    with pytest.raises(ValueError, match=f"city {z.city.iloc[5]}, year {z.year.iloc[5]} appears more than once"):
        models.panel_fe(dup, "synergy", "va_index")
    with pytest.raises(KeyError, match="'nope'"):
        models.panel_fe(z, "synergy", "nope")
    with pytest.raises(ValueError, match="'region' is not numeric"):
        models.panel_fe(z, "synergy", "region")
    with pytest.raises(ValueError, match="'va_index' is used twice"):
        models.panel_fe(z, "synergy", "va_index", controls=["va_index"])
    short = z.drop(index=z.index[(z.city == "Meizhou") & (z.year == 2012)])
    with pytest.raises(ValueError, match="balanced panel; city Meizhou has 12 of 13 periods"):
        models.threshold(short, "synergy", "va_index", "log_population", n_boot=0)
    with pytest.raises(ValueError, match="at least as many instruments"):
        models.iv_2sls(z, "synergy", ["va_index", "flow_network"], "instrument")
    with pytest.raises(ValueError, match="n_thresholds must be 1 or 2"):
        models.threshold(z, "synergy", "va_index", "log_population", n_thresholds=3)


# ---------------------------------------------------------------------------- the results contract and the API
def test_user_examples_cluster_by_the_named_entity_and_accept_a_string(grunfeld):
    # Grunfeld with a firm column: clustered by firm (10 clusters), controls given as a string
    r = models.panel_fe(grunfeld, "invest", "value", controls="capital", entity="firm")
    assert r.n_clusters == 10 and r.cov_type == "clustered by firm (CRV3 jackknife)"   # 10 < 50 clusters
    assert list(r.params.index) == ["value", "capital"]
    # a `city` column the user never named is not used for clustering
    g = grunfeld.assign(city=grunfeld["firm"].str[:1])
    assert models.panel_fe(g, "invest", "value", controls="capital", entity="firm").n_clusters == 10
    assert models.panel_fe(grunfeld, "invest", "value", entity="firm", cluster=None).cov_type == "robust"


def test_mediation_without_fixed_effects_on_data_without_a_city_column():
    import pingouin as pg

    d = pg.read_dataset("mediation")
    assert "city" not in d.columns
    r = models.mediation(d, "X", "M", "Y", fe=False, n_boot=99, seed=0)
    classical = models.mediation(d, "X", "M", "Y", fe=False, cluster=None, n_boot=0)
    assert r.cluster is None and r.se_a == pytest.approx(classical.se_a, rel=1e-12)
    assert r.a == pytest.approx(sm.OLS(d["M"], sm.add_constant(d[["X"]])).fit().params["X"], rel=1e-10)


def _lm_panel(df, y, regs, entity, time, cluster):
    """linearmodels' sandwich (no small-sample factor) on the within-transformed data, times the
    package's convention: G/(G-1) clustered, n/(n-1) robust (every row its own cluster)."""
    from linearmodels.panel import PanelOLS

    w = models.within(df, [y, *regs], entity=entity, time=time).set_index(pd.MultiIndex.from_frame(df[[entity, time]]))
    mod = PanelOLS(w[y], w[regs])
    if cluster is None:
        r, G = mod.fit(cov_type="robust", debiased=False), len(df)
    else:
        r, G = mod.fit(cov_type="clustered", cluster_entity=True, debiased=False), df[entity].nunique()
    return r.std_errors * np.sqrt(G / (G - 1))


@pytest.mark.parametrize("cluster", ["city", None])
def test_clustered_errors_equal_linearmodels_under_the_same_convention(z, cluster):
    r = models.panel_fe(z, "synergy", ["va_index", "lq_manufacturing"], controls="log_population", cluster=cluster,
                        vcov="CRV1")
    ref = _lm_panel(z, "synergy", ["va_index", "lq_manufacturing", "log_population"], "city", "year", cluster)
    np.testing.assert_allclose(r.std_errors, ref[r.std_errors.index], rtol=1e-8)
    # closed form of the convention: G/(G-1) times the sandwich of the within data
    w = models.within(z, ["synergy", "va_index", "lq_manufacturing", "log_population"])
    X, y = w.iloc[:, 1:].to_numpy(), w["synergy"].to_numpy()
    u = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    if cluster == "city":
        S = pd.DataFrame(X * u[:, None]).groupby(z["city"].to_numpy()).sum().to_numpy()
        G = 21
        A = np.linalg.inv(X.T @ X)
        np.testing.assert_allclose(r.cov.to_numpy(), G / (G - 1) * A @ S.T @ S @ A, rtol=1e-10)


def test_iv_errors_and_first_stage_F_equal_linearmodels_under_the_same_convention(z):
    from linearmodels.iv import IV2SLS

    r = models.iv_2sls(z, "synergy", "va_index", "instrument", controls="log_population", vcov="CRV1")
    w = models.within(z, ["synergy", "va_index", "instrument", "log_population"])
    groups = pd.factorize(z["city"], sort=True)[0]
    lm = IV2SLS(w["synergy"], w[["log_population"]], w[["va_index"]], w[["instrument"]]).fit(
        cov_type="clustered", clusters=groups, debiased=False)
    G = 21
    np.testing.assert_allclose(r.params[["va_index", "log_population"]], lm.params[["va_index", "log_population"]],
                               rtol=1e-10)
    np.testing.assert_allclose(r.std_errors["va_index"], lm.std_errors["va_index"] * np.sqrt(G / (G - 1)), rtol=1e-8)
    F_lm = float(lm.first_stage.diagnostics["f.stat"].iloc[0])
    assert r.first_stage_F["va_index"] == pytest.approx(F_lm * (G - 1) / G, rel=1e-8)
    assert isinstance(r.first_stage_F, pd.Series)


def test_every_coefficient_result_honours_one_contract(z, grunfeld):
    zz = z.assign(bb=constructs.build_constructs(data.load_panel())["broadband_per100"])
    W = data.inverse_distance_weights(power=2.0)
    results = [
        models.panel_fe(grunfeld, "invest", ["value", "capital"], entity="firm", time=None, vcov="CRV1"),
        models.iv_2sls(z, "synergy", "va_index", "instrument"),
        models.mediation(z, "va_index", "lq_manufacturing", "synergy", n_boot=20),
        models.serial_mediation(z, "va_index", "flow_network", "lq_manufacturing", "synergy", n_boot=20),
        models.threshold(zz, "synergy", "va_index", "bb", n_boot=0),
        models.spatial_durbin_panel(z, "synergy", "va_index", W, n_boot=50),
    ]
    for r in results:
        name = type(r).__name__
        se, t = r.std_errors, r.tstats
        np.testing.assert_allclose(t, r.params / se, err_msg=name)
        ci = r.conf_int(0.90)
        q = 1.6448536269514722 if r.df_resid is None else stats.t.ppf(0.95, r.df_resid)
        np.testing.assert_allclose(ci["upper"] - r.params, q * se, rtol=1e-9, err_msg=name)
        diag = np.diag(r.cov.to_numpy())
        np.testing.assert_allclose(np.sqrt(diag), se.to_numpy(), rtol=1e-12, err_msg=name)
        frame = r.to_frame()
        assert list(frame.columns[:6]) == ["coef", "std err", "t", "p", "ci lower", "ci upper"], name
        assert r["params"] is r.params and r["tstats"].equals(t)
        assert "<table" in r._repr_html_() and html.escape(r.summary().splitlines()[0]) in r._repr_html_()
    # normal reference of an explicit CRV1: p = 2 (1 - Phi(|t|))
    r = results[0]
    np.testing.assert_allclose(r.pvalues, 2 * stats.norm.sf(np.abs(r.tstats)), rtol=1e-12)


def test_column_lists_accept_strings_and_reject_other_types(z):
    a = models.panel_fe(z, "synergy", "va_index", controls="log_population")
    b = models.panel_fe(z, "synergy", ["va_index"], controls=["log_population"])
    pd.testing.assert_series_equal(a.params, b.params)
    with pytest.raises(TypeError, match="controls must be column names"):
        models.panel_fe(z, "synergy", "va_index", controls=[1])
    with pytest.raises(TypeError):
        models.panel_fe(z, "synergy", "va_index", ["log_population"])  # keyword-only after the columns
    with pytest.raises(ValueError, match="regressor 'c' is collinear"):
        models.panel_fe(z.assign(c=1.0), "synergy", "c", controls="va_index")


@pytest.mark.parametrize("time", [None, "year"])
def test_panel_fe_crv3_matches_pyfixest_jackknife(time):
    """CRV3 (cluster jackknife, fixed effects re-estimated) equals pyfixest's CRV3 without its
    small-sample factor, times (G - 1)/G (MacKinnon, Nielsen & Webb 2023), to 1e-8."""
    pf = pytest.importorskip("pyfixest")
    g = sm.datasets.grunfeld.load_pandas().data
    g = g[g["firm"] != "American Steel"].reset_index(drop=True)
    r = models.panel_fe(g, "invest", "value", controls="capital", entity="firm", time=time, vcov="CRV3")
    fml = "invest ~ value + capital | firm" + (" + year" if time else "")
    p = pf.feols(fml, data=g, vcov={"CRV3": "firm"}, ssc=pf.ssc(k_adj=False, G_adj=False))
    G = g["firm"].nunique()
    np.testing.assert_allclose(r.cov.to_numpy(), (G - 1) / G * np.asarray(p._vcov), rtol=1e-8, atol=0)
    np.testing.assert_allclose(r.params.to_numpy(), p.coef().to_numpy(), rtol=1e-10)
    # the jackknife is larger than CRV1 here, as it should be with 10 clusters
    r1 = models.panel_fe(g, "invest", "value", controls="capital", entity="firm", time=time, vcov="CRV1")
    assert (r.std_errors > r1.std_errors).all()
    assert "CRV3" in r.cov_type


def test_panel_fe_vcov_rejects_unknown_and_needs_clusters():
    g = sm.datasets.grunfeld.load_pandas().data
    with pytest.raises(ValueError, match="'CRV1', 'CRV3' or 'iid'"):
        models.panel_fe(g, "invest", "value", entity="firm", vcov="HC1")
    with pytest.raises(ValueError, match="needs a cluster column"):
        models.panel_fe(g, "invest", "value", entity="firm", cluster=None, vcov="CRV3")
