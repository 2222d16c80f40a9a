"""The two no-effect worlds share every shock (common random numbers) and differ only in the
confounder; the size study of the FE test runs."""

import numpy as np
import pytest

from helpers.simulate import simulate_panel
from helpers.studies import NO_EFFECT, nulls


def test_world_params_differ_only_in_confounding():
    a, b = nulls.world_params("null"), nulls.world_params("null_unconfounded")
    assert a == NO_EFFECT and "confounding" not in a
    assert {k: v for k, v in b.items() if k != "confounding"} == a and b["confounding"] == 0.0
    assert nulls.world_params("effect") is None
    assert nulls.world_params("null", confounding=0.4)["confounding"] == 0.4
    with pytest.raises(ValueError, match="confounding must lie"):
        nulls.world_params("null", confounding=0.5)
    with pytest.raises(ValueError, match="world must be one of"):
        nulls.world_params("none")


def test_two_nulls_share_every_shock_and_differ_only_in_the_confounder():
    _, ta = simulate_panel(params=nulls.world_params("null"), seed=11, years=range(2011, 2019))
    _, tb = simulate_panel(params=nulls.world_params("null_unconfounded"), seed=11, years=range(2011, 2019))
    la, lb = ta.latent, tb.latent
    for c in ("D", "Z", "q", "FN", "AG", "eps"):       # every exogenous draw and unaffected state
        np.testing.assert_array_equal(la[c].to_numpy(), lb[c].to_numpy())
    # synergy: SY = (I - rho W)^-1 (... + confounding * eps); with no effect of VA on it, the two
    # worlds' synergy differs by exactly 0.2 (I - rho W)^-1 eps, city-year by city-year
    p = ta.params
    W = ta.W.to_numpy()
    S_inv = np.linalg.inv(np.eye(len(W)) - p.rho * W)
    assert la.index.names == ["city", "year"]
    # pivot to T x N in the order of W
    e = la["eps"].unstack(level=0)[ta.W.columns].to_numpy()
    dsy = (la["SY"] - lb["SY"]).unstack(level=0)[ta.W.columns].to_numpy()
    np.testing.assert_allclose(dsy, p.confounding * e @ S_inv.T, atol=1e-10)
    assert p.confounding == pytest.approx(0.2) and tb.params.confounding == 0
    # participation differs: the shock moved it
    assert not np.allclose(la["VA"], lb["VA"])


def test_consistency_flags():
    for h in ("H1", "H2", "H3", "H4", "H5", "sig_total", "sig_spillover"):
        assert not nulls.consistent(h)
        assert nulls.consistent(h, confounding=0)
    assert nulls.consistent("sig_total_iv") and nulls.consistent("sig_alpha_E")


def test_null_rejections_tiny_live_run():
    r = nulls.null_rejections(2, n_boot=19)
    assert list(r.index) == list(nulls.METHODS)
    assert (r["twins"] == 2).all() and (r["nominal"] == 0.025).all()
    assert ((r["low"] <= r["rate"]) & (r["rate"] <= r["high"])).all()
    assert r.attrs["confounding"] == 0.0 and np.isfinite(r.attrs["mean_estimate"])
    with pytest.raises(ValueError, match="not a no-effect world"):
        nulls.null_rejections(1, world="effect")


def test_confounding_curve_at_zero_is_the_unconfounded_null():
    curve = nulls.confounding_curve((0.0, 0.4), n_twins=2, n_boot=19)
    base = nulls.null_rejections(2, n_boot=19)
    zero = curve[curve["confounding"] == 0.0].set_index("method")
    assert (zero["rejections"] == base["rejections"]).all()
    assert zero["mean_estimate"].iloc[0] == pytest.approx(base["mean_estimate"].iloc[0], abs=1e-12)
    # the same seeds: a stronger confounder moves the FE estimate up (eps raises both VA and synergy)
    strong = curve[curve["confounding"] == 0.4]
    assert strong["mean_estimate"].iloc[0] > zero["mean_estimate"].iloc[0]
