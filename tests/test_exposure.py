"""Exposure to participation in connected cities: the twin's new channel and its 2SLS estimator."""

import numpy as np
import pandas as pd
import pytest

from helpers.models import exposure
from helpers.simulate import simulate_panel


def test_spatial_exposure_is_the_weighted_sum_over_other_cities():
    W = pd.DataFrame([[0, 0.5, 0.5], [1, 0, 0], [0.25, 0.75, 0]], index=list("abc"), columns=list("abc"))
    df = pd.DataFrame({"city": list("abcabc"), "year": [1, 1, 1, 2, 2, 2], "x": [1.0, 2, 3, 4, 5, 6]})
    E = exposure.spatial_exposure(df, W, "x")
    np.testing.assert_allclose(E, [2.5, 1.0, 1.75, 5.5, 4.0, 4.75])
    with pytest.raises(ValueError, match="city 'c' is not in the weights"):
        exposure.spatial_exposure(df, W.drop(index="c"), "x")


def test_exposure_enters_participation_and_switches_off_at_zero():
    _, t0 = simulate_panel(params={"alpha_E": 0.0})
    _, t1 = simulate_panel(params={"alpha_E": 1.5})
    assert (t1.latent["VA"] > t0.latent["VA"]).all()   # exposure only adds to the index
    # the fixed point holds: logit(s) - alpha_E W s is the same index as without exposure
    W = t1.W.to_numpy()
    s1 = t1.latent["VA"].unstack("city")[t1.W.index].to_numpy()
    s0 = t0.latent["VA"].unstack("city")[t0.W.index].to_numpy()
    pop_w = None  # the province-wide term differs between the two; compare within-year contrasts
    idx1 = np.log(s1 / (1 - s1)) - 1.5 * s1 @ W.T
    idx0 = np.log(s0 / (1 - s0))
    d1, d0 = idx1 - idx1.mean(axis=1, keepdims=True), idx0 - idx0.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(d1, d0, atol=1e-8)
    assert pop_w is None


def test_2sls_recovers_alpha_E_exactly_without_shocks():
    # (almost) no participation shocks: logit(s) is linear in D, Z, W s and the effects
    _, t = simulate_panel(params={"alpha_E": 1.5, "sigma_va": 1e-6, "confounding": 0.0})
    lat = t.latent.reset_index()
    lat["logit_va"] = np.log(lat["VA"] / (1 - lat["VA"]))
    r = exposure.exposure_effect(lat, "logit_va", t.W, shifters=["D", "Z"], x="VA")
    assert r.alpha_E == pytest.approx(1.5, abs=1e-4)


def test_2sls_estimate_is_near_alpha_E_with_shocks():
    _, t = simulate_panel(params={"alpha_E": 1.5}, seed=3)
    lat = t.latent.reset_index()
    lat["logit_va"] = np.log(lat["VA"] / (1 - lat["VA"]))
    r = exposure.exposure_effect(lat, "logit_va", t.W, shifters=["D", "Z"], x="VA")
    assert r.first_stage_F > 10
    assert abs(r.alpha_E - 1.5) < 3 * r.std_errors[r.exposure]


def test_default_twin_has_an_identifiable_exposure_channel_and_recovers_it(twin):
    # generator 1.2.0: half of the network externality runs through exposure (TwinParams docstring)
    _, t = twin
    p = t.params
    assert p.alpha_E > 0 and p.alpha_N + p.alpha_E == pytest.approx(2.0)
    lat = t.latent.reset_index()
    lat["logit_va"] = np.log(lat["VA"] / (1 - lat["VA"]))
    r = exposure.exposure_effect(lat, "logit_va", t.W, shifters=["D", "Z"], x="VA")
    assert r.first_stage_F > 10
    lo, hi = r.conf_int(0.95).loc[r.exposure]
    # covers its truth with the few-cluster default (CRV3, t(G-1)); whether one twin's interval
    # also excludes zero is a question of power, which the design study measures (est_alpha_E)
    assert lo <= p.alpha_E <= hi and r.params[r.exposure] > 0
    assert "CRV3" in r.inference
