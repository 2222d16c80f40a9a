"""Mediation reported the modern way: effects with bootstrap intervals and the Imai-Keele-Tingley
sensitivity to a mediator-outcome confounder, each checked against a second implementation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from helpers.models import acme_curve, mediation, mediation_effects, mediation_sensitivity


def _panel(seed=1, n_city=25, n_year=10, confound=0.0):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame([(c, t) for c in range(n_city) for t in range(n_year)], columns=["city", "year"])
    n = len(d)
    mu = rng.normal(size=n_city)[d["city"]]
    lam = rng.normal(size=n_year)[d["year"]]
    u = rng.normal(size=n)   # unobserved confounder of M and Y
    d["pop"] = rng.normal(size=n)
    d["x"] = rng.normal(size=n) + 0.5 * mu
    d["m"] = 0.6 * d["x"] + 0.2 * d["pop"] + confound * u + rng.normal(size=n) + mu + lam
    d["y"] = 0.4 * d["m"] + 0.3 * d["x"] - 0.1 * d["pop"] + confound * u + rng.normal(size=n) + 2 * mu - lam
    return d


def _acme_by_root(d, x, m, y, controls, rho):
    """Second implementation: find gamma with corr(e_2, e_3(gamma)) = rho directly, where
    e_3(gamma) is the residual of Y - gamma M on X, controls and the two-way effects."""
    from helpers.models import within

    z = within(d, [x, m, y, *controls])
    X = z[[x, *controls]].to_numpy()

    def resid(v):
        return v - X @ np.linalg.lstsq(X, v, rcond=None)[0]

    e2 = resid(z[m].to_numpy())
    a = np.linalg.lstsq(X, z[m].to_numpy(), rcond=None)[0][0]
    f = lambda g: np.corrcoef(e2, resid(z[y].to_numpy() - g * z[m].to_numpy()))[0, 1] - rho  # noqa: E731
    return a * brentq(f, -50, 50, xtol=1e-14)


@pytest.mark.parametrize("rho", [-0.6, -0.2, 0.0, 0.25, 0.7])
def test_closed_form_agrees_with_root_finding(rho):
    d = _panel()
    s = mediation_sensitivity(d, "x", "m", "y", controls="pop")
    assert float(s.at(rho)) == pytest.approx(_acme_by_root(d, "x", "m", "y", ["pop"], rho), abs=1e-9)


def test_acme_at_zero_is_the_product_of_paths_and_zero_at_rho_tilde():
    d = _panel()
    s = mediation_sensitivity(d, "x", "m", "y", controls="pop")
    med = mediation(d, "x", "m", "y", controls="pop", n_boot=0)
    assert s.acme == pytest.approx(med.ab, rel=1e-9)
    assert s.a == pytest.approx(med.a, rel=1e-9)
    assert float(s.at(s.rho_zero)) == pytest.approx(0.0, abs=1e-12)
    # the curve falls through zero exactly once, at rho_zero (a positive ACME here)
    assert med.ab > 0 and (s.curve.diff().dropna() < 0).all()
    sign_change = s.curve.index[np.where(np.diff(np.sign(s.curve.to_numpy())) != 0)[0]]
    assert len(sign_change) == 1 and abs(sign_change[0] - s.rho_zero) < 0.011


def test_rho_zero_is_the_partial_correlation_and_a_confounder_moves_it():
    clean, confounded = _panel(confound=0.0), _panel(confound=1.0)
    r0 = mediation_sensitivity(clean, "x", "m", "y", controls="pop").rho_zero
    r1 = mediation_sensitivity(confounded, "x", "m", "y", controls="pop").rho_zero
    # closed form of the partial correlation from the population model without U:
    # e2 = noise (var 1), e1 = 0.4 e2 + noise (var 1): corr = 0.4 / sqrt(1.16)
    assert r0 == pytest.approx(0.4 / np.sqrt(1.16), abs=0.06)
    # U adds var 1 to M's error and a shared component to Y's: corr rises towards 1
    assert r1 > r0 + 0.2


def test_effects_match_the_stepwise_paths_and_intervals_hold_the_estimates():
    d = _panel()
    eff = mediation_effects(d, "x", "m", "y", controls="pop", n_boot=99, seed=3)
    med = mediation(d, "x", "m", "y", controls="pop", n_boot=0)
    assert eff.at["total", "estimate"] == pytest.approx(med.c, rel=1e-9)
    assert eff.at["direct", "estimate"] == pytest.approx(med.c_prime, rel=1e-9)
    assert eff.at["indirect", "estimate"] == pytest.approx(med.ab, rel=1e-9)
    assert eff.at["share mediated", "estimate"] == pytest.approx(med.ab / med.c, rel=1e-9)
    assert ((eff["ci_low"] <= eff["estimate"]) & (eff["estimate"] <= eff["ci_high"])).all()
    # same seed, same bootstrap draws as the stepwise function: the indirect interval agrees
    med_b = mediation(d, "x", "m", "y", controls="pop", n_boot=99, seed=3)
    assert eff.loc["indirect", ["ci_low", "ci_high"]].tolist() == pytest.approx(med_b.boot_ci.loc["ab"].tolist())


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="rho"):
        acme_curve(0.5, 1.0, 1.0, 0.2, 1.0)
    d = _panel()
    d["m"] = 1.0
    with pytest.raises(ValueError):
        mediation_sensitivity(d, "x", "m", "y", controls="pop")
