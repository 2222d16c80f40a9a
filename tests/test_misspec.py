"""Misspecification dials (issue 21, item 4): off they change nothing; on, each moves its
estimator the way theory says."""

import numpy as np
import pandas as pd
import pytest

from helpers import models
from helpers.analysis.moments import two_way_residual
from helpers.simulate import simulate_panel
from helpers.simulate.flows import simulate_flows
from helpers.studies import misspec as ms

SEED = 5


@pytest.fixture(scope="module")
def truth():
    return simulate_panel(seed=SEED)[1]


def test_dials_off_draw_nothing_and_change_nothing():
    a, ta = simulate_panel(seed=SEED, years=range(2011, 2016))
    b, tb = simulate_panel(seed=SEED, years=range(2011, 2016), params={"instrument_dev": 0.0, "dev_trend": 0.0})
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ta.latent, tb.latent)
    with pytest.raises(ValueError, match="instrument_dev"):
        simulate_panel(params={"instrument_dev": 1.0})


def test_an_instrument_correlated_with_development_biases_2sls_more_the_stronger_the_correlation():
    """Bias = the 2SLS estimate with development's own effect on synergy (dev_trend) minus the
    estimate without it, same r and same shocks: cov(Z, u) / cov(Z, x), which grows with r.
    (The estimate without the violation moves with r too: a valid instrument with another
    composition weights the twin's heterogeneous effects differently.)"""
    bias, eps = [], []
    for r in (0.0, 0.5, 0.9):
        _, t = simulate_panel(seed=SEED, params={"instrument_dev": r, "dev_trend": 0.5})
        _, t0 = simulate_panel(seed=SEED, params={"instrument_dev": r})
        # common random numbers: every shock the same, and dev_trend leaves VA alone
        assert np.array_equal(t.latent["eps"], t0.latent["eps"]) and np.array_equal(t.latent["VA"], t0.latent["VA"])
        bias.append(float(ms.iv_estimate(t).params["VA"]) - float(ms.iv_estimate(t0).params["VA"]))
        eps.append(t.latent["eps"].to_numpy())
    assert all(np.array_equal(eps[0], e) for e in eps[1:])
    # development rises with the instrument and raises synergy: the bias is upward and grows with r;
    # at r = 0 only the sample correlation of the endowment with development is left
    assert bias[0] < bias[1] < bias[2]
    assert abs(bias[0]) < 0.25 * bias[2]


def _partialled(lat: pd.DataFrame, col: str) -> np.ndarray:
    """``col`` after city and year effects and the controls D, Z (Frisch-Waugh-Lovell)."""
    r = {c: two_way_residual(lat, c).to_numpy() for c in (col, "D", "Z")}
    X = np.column_stack([r["D"], r["Z"]])
    return r[col] - X @ np.linalg.lstsq(X, r[col], rcond=None)[0]


def test_classical_error_in_the_share_attenuates_ols_by_the_reliability_ratio(truth):
    # By Frisch-Waugh-Lovell, OLS on the observed exposure xo is exactly
    # b_obs = lambda b_0 + cov(xo, r) / var(xo), lambda = cov(x, xo) / var(xo) the reliability and r the
    # residual of the error-free OLS b_0 (which is itself not the truth: simultaneity). The second term
    # is the error's chance covariance with r: zero on average over error draws, large in one draw
    # (one draw gave ratios from 0.2 to 1.4 across twins). So: the identity exactly, the mean ratio
    # over error draws at the mean reliability, attenuation growing with the error.
    lat = truth.latent.reset_index()
    lat["x"] = models.spatial_exposure(lat, truth.W, "VA")
    lat["logit_va"] = np.log(lat["VA"] / (1 - lat["VA"]))
    x, y = _partialled(lat, "x"), _partialled(lat, "logit_va")
    base = float(ms.exposure_misspecified(truth, estimator="ols").params["W_share"])
    base_iv = float(ms.exposure_misspecified(truth).params.iloc[0])
    r = y - base * x
    prev = base
    for sd in (0.03, 0.06):
        ratio, lams = [], []
        for k in range(12):
            lat["xo"] = models.spatial_exposure(lat.assign(VA=ms.observed_share(truth, sd, seed=k).to_numpy()),
                                                truth.W, "VA")
            xo = _partialled(lat, "xo")
            lam = np.cov(x, xo)[0, 1] / np.var(xo, ddof=1)
            ols = float(ms.exposure_misspecified(truth, share_error=sd, estimator="ols", seed=k).params["W_share"])
            assert ols == pytest.approx(lam * base + np.cov(xo, r)[0, 1] / np.var(xo, ddof=1), rel=1e-6)
            ratio.append(ols / base)
            lams.append(lam)
        se = np.std(np.array(ratio) - np.array(lams), ddof=1) / np.sqrt(len(ratio))
        assert abs(np.mean(ratio) - np.mean(lams)) < 3 * se + 0.02
        mean_ols = base * np.mean(ratio)
        assert 0 < mean_ols < prev                          # toward zero, more with more error
        iv = float(ms.exposure_misspecified(truth, share_error=sd).params.iloc[0])
        assert abs(iv - base_iv) < abs(mean_ols - base)     # 2SLS: instruments independent of the error
        prev = mean_ols


def test_misspecified_weights_keep_rows_and_diagonal_and_a_wrong_w_loses_the_effect(truth):
    W = truth.W
    pd.testing.assert_frame_equal(ms.misspecified_weights(W, 0.0), W)
    Wm = ms.misspecified_weights(W, 0.7, seed=2)
    np.testing.assert_allclose(Wm.sum(axis=1), 1.0)
    assert np.allclose(np.diag(Wm), 0.0) and not np.allclose(Wm, W)
    right = float(ms.exposure_misspecified(truth, estimator="ols").params["W_share"])
    wrong = [float(ms.exposure_misspecified(truth, W=ms.misspecified_weights(W, 1.0, seed=k),
                                            estimator="ols").params["W_share"]) for k in range(4)]
    # exposure through the wrong neighbours carries no information on the effect: attenuated to ~0
    assert right > 0.5 and np.mean(np.abs(wrong)) < 0.5 * right
    with pytest.raises(ValueError, match="mix"):
        ms.misspecified_weights(W, 1.5)


def test_exponential_friction_misspecifies_a_gravity_model_in_log_distance():
    """Noise-free expected flows: under the twin's power law PPML recovers b0 and phi exactly on
    near and far pairs alike; under exponential friction the log-distance elasticity b d / dbar
    grows with distance, so the far pairs' b0 exceeds the near pairs'."""
    years = range(2011, 2014)
    res = {}
    for law in ("power", "exponential"):
        f, tr = simulate_flows(years=years, counts=False, pair_noise=0, flow_noise=0, share_noise=0, friction=law)
        med = f["distance_km"].median()
        res[law] = [models.transaction_cost_phi(g) for g in (f[f["distance_km"] <= med], f[f["distance_km"] > med])]
    for fit in res["power"]:
        assert fit.b0 == pytest.approx(tr["b0"], rel=1e-6) and fit.phi == pytest.approx(tr["phi"], rel=1e-5)
    near, far = res["exponential"]
    assert far.b0 > near.b0 + 1.0
    with pytest.raises(ValueError, match="friction"):
        simulate_flows(years=years, friction="linear")
