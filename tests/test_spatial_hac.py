"""Conley spatial-HAC errors (helpers.models.conley_fe) against closed forms and a brute-force
double loop over every pair of city-years."""

import numpy as np
import pandas as pd
import pytest

from helpers import data, models


@pytest.fixture(scope="module")
def z():
    """The bundled (SIMULATED) panel in logs, with the 21 seats' distances."""
    p = data.load_panel()
    out = p[["city", "year"]].copy()
    for c in ("gdp", "broadband_per100", "loans"):
        out[c] = np.log(p[c])
    return out


@pytest.fixture(scope="module")
def dist():
    return data.distance_matrix()


def _fit(z, dist, **kw):
    return models.conley_fe(z, "gdp", "broadband_per100", controls="loans", distances=dist, **kw)


def test_cutoff_zero_is_hc0(z, dist):
    r = _fit(z, dist, cutoff_km=0)
    hc = models.panel_fe(z, "gdp", "broadband_per100", controls="loans", cluster=None, vcov="CRV1")
    n = len(z)
    # panel_fe without clusters is HC0 times n/(n-1)
    np.testing.assert_allclose(r.cov.to_numpy(), hc.cov.to_numpy() * (n - 1) / n, rtol=1e-10)
    np.testing.assert_array_equal(r.params.to_numpy(), hc.params.to_numpy())
    assert r.inference == "Conley spatial HAC (0 km, uniform kernel, 0 lags), normal"


def test_infinite_cutoff_is_clustered_by_year(z, dist):
    r = _fit(z, dist, cutoff_km=np.inf)
    by_year = models.panel_fe(z, "gdp", "broadband_per100", controls="loans", cluster="year", vcov="CRV1")
    T = z["year"].nunique()
    np.testing.assert_allclose(r.cov.to_numpy(), by_year.cov.to_numpy() * (T - 1) / T, rtol=1e-10)


def _brute_force_meat(S, city, year, D, cutoff, lags, kernel):
    """Second implementation: every pair of rows, weight written out."""
    n = len(S)
    meat = np.zeros((S.shape[1], S.shape[1]))
    for a in range(n):
        for b in range(n):
            if year[a] == year[b]:
                d = D[city[a], city[b]]
                w = float(d <= cutoff) if kernel == "uniform" else max(0.0, 1 - d / cutoff)
            elif city[a] == city[b] and abs(year[a] - year[b]) <= lags:
                w = 1 - abs(year[a] - year[b]) / (lags + 1)
            else:
                w = 0.0
            meat += w * np.outer(S[a], S[b])
    return meat


@pytest.mark.parametrize("cutoff, lags, kernel", [(150.0, 0, "uniform"), (250.0, 2, "bartlett"), (0.0, 3, "uniform")])
def test_meat_equals_the_pairwise_sum(cutoff, lags, kernel):
    rng = np.random.default_rng(5)
    N, T, k = 7, 5, 2
    city, year = np.repeat(np.arange(N), T), np.tile(np.arange(T), N)
    keep = rng.random(N * T) > 0.15   # unbalanced: missing city-years
    city, year = city[keep], year[keep]
    S = rng.normal(size=(len(city), k))
    xy = rng.uniform(0, 400, size=(N, 2))
    D = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    from helpers.models.spatial_hac import conley_meat

    got = conley_meat(S, city, year, D, cutoff, lags=lags, kernel=kernel)
    np.testing.assert_allclose(got, _brute_force_meat(S, city, year, D, cutoff, lags, kernel), rtol=1e-12, atol=1e-12)


def test_a_wider_cutoff_changes_the_errors_and_lags_add_serial_terms(z, dist):
    a, b = _fit(z, dist, cutoff_km=100), _fit(z, dist, cutoff_km=300)
    assert not np.allclose(a.std_errors, b.std_errors)
    c = _fit(z, dist, cutoff_km=100, lags=2, kernel="bartlett")
    assert "2 lags" in c.inference and c.params.equals(a.params)


def test_bad_options_and_missing_cities_are_named(z, dist):
    with pytest.raises(ValueError, match="kernel must be one of"):
        _fit(z, dist, cutoff_km=100, kernel="gaussian")
    with pytest.raises(ValueError, match="cutoff_km must be >= 0"):
        _fit(z, dist, cutoff_km=-1)
    with pytest.raises(ValueError, match="Zhuhai"):
        _fit(z, dist.drop(index="Zhuhai", columns="Zhuhai"), cutoff_km=100)
    with pytest.raises(ValueError, match="lags must be"):
        _fit(z, dist, cutoff_km=100, lags=1.5)
    assert isinstance(dist, pd.DataFrame)
