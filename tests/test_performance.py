"""Clopper-Pearson intervals, Monte Carlo SEs, the size verdict and the minimum-design rule."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from helpers.studies.performance import (
    ONE_SIDED_NOMINAL,
    clopper_pearson,
    estimator_performance,
    minimum_design,
    performance_by_cell,
    size_verdict,
)


@pytest.mark.parametrize("k,n", [(0, 60), (1, 60), (16, 200), (157, 200), (199, 200), (200, 200), (3, 7)])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_clopper_pearson_matches_scipy_and_statsmodels(k, n, level):
    lo, hi = clopper_pearson(k, n, level)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    assert lo == pytest.approx(ci.low, abs=1e-10) and hi == pytest.approx(ci.high, abs=1e-10)
    lo2, hi2 = proportion_confint(k, n, alpha=1 - level, method="beta")
    assert lo == pytest.approx(lo2, abs=1e-10) and hi == pytest.approx(hi2, abs=1e-10)


def test_clopper_pearson_vectorised_and_zero_rate_has_width():
    lo, hi = clopper_pearson(np.array([0, 5]), np.array([60, 60]))
    assert lo[0] == 0 and hi[0] == pytest.approx(1 - 0.025 ** (1 / 60))   # closed form at k = 0
    assert lo[1] < 5 / 60 < hi[1]
    with pytest.raises(ValueError, match="whole counts"):
        clopper_pearson(61, 60)


def test_estimator_performance_against_direct_computation():
    rng = np.random.default_rng(3)
    est, truth = rng.normal(0.5, 0.2, 400), 0.4
    cov = rng.random(400) < 0.9
    p = estimator_performance(est, truth, cov)
    d = est - truth
    assert p["bias"] == pytest.approx(d.mean())
    assert p["bias_mcse"] == pytest.approx(est.std(ddof=1) / 20)
    assert p["rmse"] == pytest.approx(np.sqrt(np.mean(d ** 2)))
    # delta-method MCSE of RMSE against the jackknife of RMSE over twins
    jack = np.array([np.sqrt(np.mean(np.delete(d, i) ** 2)) for i in range(400)])
    se_jack = np.sqrt(399 / 400 * np.sum((jack - jack.mean()) ** 2))
    assert p["rmse_mcse"] == pytest.approx(se_jack, rel=0.02)
    assert p["coverage"] == pytest.approx(cov.mean())
    assert p["coverage_mcse"] == pytest.approx(np.sqrt(cov.mean() * (1 - cov.mean()) / 400))
    assert p["coverage_low"] < cov.mean() < p["coverage_high"]


def test_estimator_performance_bias_mcse_matches_spread_of_means():
    # the MCSE of bias is the SD of the bias over repeated studies
    rng = np.random.default_rng(0)
    biases, ses = [], []
    for _ in range(300):
        p = estimator_performance(rng.normal(1.0, 2.0, 50), 1.0)
        biases.append(p["bias"])
        ses.append(p["bias_mcse"])
    assert np.mean(ses) == pytest.approx(np.std(biases), rel=0.12)


def test_size_verdict_one_sided_nominal_and_margin():
    assert ONE_SIDED_NOMINAL == 0.025
    held = size_verdict(0, 200)                  # upper bound 0.018 <= 0.05
    assert held["verdict"] == "held" and held["high"] < 0.05
    bad = size_verdict(16, 200)                  # 8%: lower bound 0.047 ... not above 0.05
    assert bad["verdict"] == "undetermined"
    assert size_verdict(30, 200)["verdict"] == "exceeded"
    assert size_verdict(16, 200, margin=1.0)["verdict"] == "exceeded"   # 0.047 > 0.025
    assert size_verdict(3, 60)["verdict"] == "undetermined"            # 60 twins cannot tell
    with pytest.raises(ValueError, match="margin"):
        size_verdict(1, 10, margin=0.5)


def _grid(power, n=200):
    rows = [{"n_cities": N, "n_years": T, "k": round(p * n), "n": n}
            for (N, T), p in power.items()]
    return pd.DataFrame(rows)


NS, TS = (21, 50, 100), (8, 13, 20)


def test_minimum_design_monotone():
    power = {(N, T): min(0.99, 0.3 + 0.004 * N + 0.02 * T) for N in NS for T in TS}
    d = _grid(power)
    r = minimum_design(d, consistent=True)
    # the smallest cell whose CP lower bound >= 0.8 and all larger cells too
    lo = {c: clopper_pearson(round(p * 200), 200)[0] for c, p in power.items()}
    ok = [c for c in lo if all(lo[b] >= 0.8 for b in lo if b[0] >= c[0] and b[1] >= c[1])]
    best = min(ok, key=lambda c: (c[0] * c[1], c[0]))
    assert r["reason"] == "sufficient" and (r["n_cities"], r["n_years"]) == best
    assert r["low"] >= 0.8
    assert minimum_design(d, consistent=False)["reason"] == "inconsistent"


def test_minimum_design_not_monotone_means_none():
    power = {(N, T): 0.95 for N in NS for T in TS}
    power[(100, 20)] = 0.13                       # power collapses with more data
    r = minimum_design(_grid(power), consistent=True)
    assert r["reason"] == "not monotone" and np.isnan(r["n_cities"])
    assert r["fall"].endswith("-> 100 x 20")


def test_minimum_design_all_below_and_straddling():
    assert minimum_design(_grid({(N, T): 0.5 for N in NS for T in TS}), consistent=True)["reason"] == "below target"
    # 0.80-0.83 point estimates: MC error straddles 0.8, so the lower bound misses the target
    power = {(N, T): 0.80 + 0.01 * NS.index(N) for N in NS for T in TS}
    r = minimum_design(_grid(power), consistent=True)
    assert r["reason"] == "below target"
    # the old point-estimate rule would have picked 21 x 8
    assert (_grid(power).assign(p=lambda x: x.k / x.n)["p"] >= 0.8).all()


def test_minimum_design_requires_every_larger_cell():
    # a small cell is fine but a larger one in its cone is not (without a clear fall): pick above it
    power = {(N, T): 0.97 for N in NS for T in TS}
    d = _grid(power)
    # 26 of 30 twins: lower bound below 0.8, upper bound above the other cells' lower bounds
    d.loc[(d.n_cities == 50) & (d.n_years == 20), ["k", "n"]] = [26, 30]
    r = minimum_design(d, consistent=True)
    assert r["reason"] == "sufficient"
    assert (r["n_cities"], r["n_years"]) == (100, 8)   # the smallest cell whose cone misses 50 x 20


def test_performance_by_cell_matches_estimator_performance():
    rng = np.random.default_rng(1)
    rows = pd.DataFrame({"world": "effect", "n_cities": np.repeat([21, 50], 30), "n_years": 13,
                         "est_b": rng.normal(1, 0.3, 60), "true_b": 0.9, "covers_b": rng.random(60) < 0.9})
    t = performance_by_cell(rows, ["b"]).set_index("n_cities")
    g = rows[rows["n_cities"] == 50]
    p = estimator_performance(g["est_b"], 0.9, g["covers_b"])
    assert t.loc[50, "bias"] == pytest.approx(p["bias"]) and t.loc[50, "rmse"] == pytest.approx(p["rmse"])
    assert t.loc[50, "coverage"] == pytest.approx(g["covers_b"].mean())
    with pytest.raises(ValueError, match="est_c"):
        performance_by_cell(rows, ["c"])
