"""Few-cluster inference of helpers.models: the closed-form cluster jackknife (CRV3) against a
brute-force leave-one-cluster-out refit, Student t(G - 1) p-values against scipy, the classical
covariance against statsmodels with dummies, and the threshold test's wild bootstrap holding its
size on a no-threshold panel with heteroskedastic, serially correlated errors."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from helpers import models
from helpers.models.threshold import WILD_WEIGHTS


def _panel(seed=0, N=12, T=7, drop=0.0):
    """A small two-way panel with an instrument; ``drop`` removes city-years at random."""
    rng = np.random.default_rng(seed)
    c, t = np.repeat(np.arange(N), T), np.tile(np.arange(T), N)
    a = rng.normal(size=N)[c]
    z = rng.normal(size=N * T) + 0.3 * a
    v = rng.normal(size=N * T)
    x = 0.8 * z + 0.5 * v + a
    w = rng.normal(size=N * T)
    y = 0.5 * x + 0.3 * w + a + 0.2 * t + v * 0.7 + rng.normal(size=N * T) * (1 + (c % 3))
    d = pd.DataFrame({"city": [f"c{i:02d}" for i in c], "year": 2000 + t, "x": x, "w": w, "z": z, "y": y,
                      "region": [f"r{i % 4}" for i in c]})
    return d[rng.random(len(d)) >= drop].reset_index(drop=True)


def _brute(d, fit, cluster="city"):
    """CRV3 by refitting without each cluster (the definition), centred on the full estimate."""
    full = fit(d).params.to_numpy()
    groups = sorted(d[cluster].unique())
    dev = np.array([fit(d[d[cluster] != g]).params.to_numpy() - full for g in groups])
    G = len(groups)
    return (G - 1) / G * dev.T @ dev


@pytest.mark.parametrize("drop, time", [(0.0, "year"), (0.15, "year"), (0.0, None)])
def test_panel_fe_crv3_equals_leave_one_cluster_out_refits(drop, time):
    d = _panel(1, drop=drop)
    r = models.panel_fe(d, "y", "x", controls="w", time=time, vcov="CRV3")
    V = _brute(d, lambda s: models.panel_fe(s, "y", "x", controls="w", time=time, vcov="CRV1"))
    np.testing.assert_allclose(r.cov.to_numpy(), V, rtol=1e-9)
    assert r.df_resid == d["city"].nunique() - 1


def test_crv3_with_clusters_that_are_not_entities_refits():
    # clusters (regions) contain whole cities: the closed form applies; a cluster column that
    # splits cities (year) takes the refit path; both equal the definition
    d = _panel(2)
    r = models.panel_fe(d, "y", "x", controls="w", cluster="region", vcov="CRV3")
    V = _brute(d, lambda s: models.panel_fe(s, "y", "x", controls="w", cluster="region", vcov="CRV1"), "region")
    np.testing.assert_allclose(r.cov.to_numpy(), V, rtol=1e-9)
    assert r.inference == "CRV3 by region (4 clusters), t(3)"
    r = models.panel_fe(d, "y", "x", controls="w", time=None, cluster="year", vcov="CRV3")
    V = _brute(d, lambda s: models.panel_fe(s, "y", "x", controls="w", time=None, cluster="year", vcov="CRV1"),
               "year")
    np.testing.assert_allclose(r.cov.to_numpy(), V, rtol=1e-9)


def test_crv3_when_a_period_lives_in_one_cluster_only():
    # city c00 alone observes the first period: without it that year's dummy is empty (the
    # pseudo-inverse partials it out exactly)
    d = _panel(3)
    d = d[(d["year"] > 2000) | (d["city"] == "c00")].reset_index(drop=True)
    r = models.panel_fe(d, "y", "x", controls="w", vcov="CRV3")
    V = _brute(d, lambda s: models.panel_fe(s, "y", "x", controls="w", vcov="CRV1"))
    np.testing.assert_allclose(r.cov.to_numpy(), V, rtol=1e-8)


@pytest.mark.parametrize("drop", [0.0, 0.1])
def test_iv_2sls_crv3_reestimates_the_first_stage(drop):
    d = _panel(4, drop=drop)
    r = models.iv_2sls(d, "y", "x", "z", controls="w", vcov="CRV3")
    V = _brute(d, lambda s: models.iv_2sls(s, "y", "x", "z", controls="w", vcov="CRV1"))
    np.testing.assert_allclose(r.cov.to_numpy(), V, rtol=1e-8)
    # the jackknife is not the sandwich
    r1 = models.iv_2sls(d, "y", "x", "z", controls="w", vcov="CRV1")
    assert not np.allclose(r.std_errors, r1.std_errors, rtol=1e-3)


def test_t_reference_pvalues_and_intervals_against_scipy():
    d = _panel(5)
    r = models.panel_fe(d, "y", "x", controls="w")   # 12 clusters: "auto" is CRV3, t(11)
    assert r.inference == "CRV3 by city (12 clusters), t(11)" and r.df_resid == 11
    t = (r.params / r.std_errors).to_numpy()
    np.testing.assert_allclose(r.pvalues.to_numpy(), 2 * stats.t.sf(np.abs(t), 11), rtol=1e-12)
    lo = r.params - stats.t.ppf(0.95, 11) * r.std_errors
    np.testing.assert_allclose(r.conf_int(0.90)["lower"], lo, rtol=1e-12)
    # wider than the normal interval of the same errors
    assert (r.conf_int()["upper"] - r.params > stats.norm.ppf(0.975) * r.std_errors).all()


def test_iid_is_ols_with_dummies():
    d = _panel(6, drop=0.1)
    r = models.panel_fe(d, "y", "x", controls="w", vcov="iid")
    X = pd.get_dummies(d[["x", "w", "city", "year"]].astype({"year": str}), drop_first=True, dtype=float)
    ols = sm.OLS(d["y"], sm.add_constant(X)).fit()
    np.testing.assert_allclose(r.params, ols.params[["x", "w"]], rtol=1e-8)
    np.testing.assert_allclose(r.std_errors, ols.bse[["x", "w"]], rtol=1e-8)
    np.testing.assert_allclose(r.pvalues, ols.pvalues[["x", "w"]], rtol=1e-8)
    assert r.df_resid == ols.df_resid


def test_exposure_and_threshold_carry_the_inference_of_their_fits():
    d = _panel(7)
    r = models.iv_2sls(d, "y", "x", "z", controls="w")
    assert r.inference == "CRV3 by city (12 clusters), t(11)" and "inference: CRV3" in r.summary()
    assert (r.to_frame()["inference"] == r.inference).all()


def test_mammen_weights_have_mean_zero_and_unit_second_and_third_moments():
    v, p = WILD_WEIGHTS["mammen"]
    assert p.sum() == pytest.approx(1.0)
    assert [float(p @ v**k) for k in (1, 2, 3)] == pytest.approx([0.0, 1.0, 1.0], abs=1e-12)
    v, p = WILD_WEIGHTS["rademacher"]
    assert [float(p @ v**k) for k in (1, 2)] == pytest.approx([0.0, 1.0])


def _no_threshold(rng, N=21, T=10):
    """No threshold; city-specific error scales, AR(1) errors within a city, and errors
    scaled by |x|: what Hansen's iid residual bootstrap assumes away."""
    c, t = np.repeat(np.arange(N), T), np.tile(np.arange(T), N)
    sd = np.exp(rng.normal(0, 0.8, N))
    e = rng.normal(size=(N, T)) * sd[:, None]
    for k in range(1, T):
        e[:, k] += 0.5 * e[:, k - 1]
    x = rng.normal(size=N * T)
    y = rng.normal(size=N)[c] + x + e.ravel() * (1 + np.abs(x))
    return pd.DataFrame({"c": c, "t": t, "x": x, "q": rng.uniform(size=N * T) + 0.1 * t, "y": y})


def test_wild_threshold_bootstrap_holds_its_size_without_a_threshold():
    # 150 panels of 21 x 10, 99 replications each (about 3 s): the wild bootstrap clustered by
    # city rejects at 5% at a rate within 3 binomial SEs of 0.05; the iid residual bootstrap,
    # on the same panels, over-rejects
    rng = np.random.default_rng(1)
    R = 150
    p = {"wild": [], "residual": []}
    for r in range(R):
        d = _no_threshold(rng)
        for b in p:
            p[b].append(models.threshold(d, "y", "x", "q", entity="c", time="t", n_boot=99, seed=r, grid=30,
                                         trim=0.05, bootstrap=b, vcov="CRV1").p_boot[0])
    rate = {b: float(np.mean(np.array(v) <= 0.05)) for b, v in p.items()}
    se = np.sqrt(0.05 * 0.95 / R)
    assert abs(rate["wild"] - 0.05) <= 3 * se, rate
    assert rate["residual"] > 0.05 + 3 * se, rate
