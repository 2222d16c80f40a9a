"""Staggered DiD estimators (helpers.models.did): published examples, closed forms, agreement.

Published references
--------------------
- mpdta (R package ``did``, Callaway & Sant'Anna 2021; ``tests/data/mpdta.csv``, see
  ``tests/data/README.md``): ``att_gt(yname="lemp", tname="year", idname="countyreal",
  gname="first.treat", xformla=~1, control_group="nevertreated")``. Post-treatment ATT(g,t)
  from the package README; ``aggte(type="simple")`` -0.0400 (-0.0399512752); the event-study
  (dynamic) overall -0.0772; with ``xformla=~lpop`` (doubly robust) the README's post cells.
  (-0.0200 is the on-impact event-time effect e = 0, not the overall ATT.)
- df_het (R package ``did2s``, shipped with pyfixest): pyfixest's documentation prints
  ``did2s(df_het, first_stage="~ 0 | unit + year", second_stage="~i(treat)", cluster="state")``
  = 2.230482 (se 0.024709) and the static TWFE = 1.982540.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import models
from helpers.models import did

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(DATA / "mpdta.csv").rename(columns={"first.treat": "g"})


@pytest.fixture(scope="module")
def df_het() -> pd.DataFrame:
    import pyfixest

    path = Path(pyfixest.__file__).parent / "did" / "data" / "df_het.csv"
    return pd.read_csv(path)


def staggered_panel(n=120, years=range(2010, 2020), cohorts=(2013, 2015, 2017), effect=0.5,
                    trend=0.0, seed=3) -> pd.DataFrame:
    """Staggered toy panel: entity and year effects, heterogeneous dynamic effects, noise.

    ``trend`` adds a linear pre-existing trend (per year) to ever-treated entities.
    """
    rng = np.random.default_rng(seed)
    years = np.asarray(list(years))
    g = rng.choice(np.array([0, *cohorts]), size=n)
    rows = []
    for i in range(n):
        a = rng.normal()
        for t in years:
            e = t - g[i]
            te = effect * (1 + 0.3 * e + 0.2 * (g[i] == cohorts[0])) if g[i] and e >= 0 else 0.0
            y = a + 0.1 * (t - years[0]) + trend * (t - years[0]) * (g[i] > 0) + te
            rows.append((i, t, g[i], y + rng.normal(scale=0.3), rng.normal()))
    return pd.DataFrame(rows, columns=["city", "year", "cohort", "y", "x"])


def hand_att_gt(df, y="y", entity="city", time="year", cohort="cohort", control="never"):
    """ATT(g,t) for post cells t >= g by group-time means (the 2x2 closed form), and the simple
    aggregate weighting each post cell by its cohort size."""
    wide = df.pivot(index=entity, columns=time, values=y)
    g = df.groupby(entity)[cohort].first().reindex(wide.index)
    cells, weights = [], []
    for gg in sorted(c for c in g.unique() if c > 0):
        for t in wide.columns[wide.columns >= gg]:
            d = wide[t] - wide[gg - 1]
            ctrl = (g == 0) if control == "never" else ((g == 0) | (g > t)) & (g != gg)
            cells.append(d[g == gg].mean() - d[ctrl].mean())
            weights.append((g == gg).sum())
    w = np.asarray(weights, float)
    return float(np.dot(cells, w / w.sum())), cells


# --- Callaway-Sant'Anna ------------------------------------------------------------------------

def test_cs_reproduces_mpdta_published(mpdta):
    r = did.callaway_santanna(mpdta, "lemp", entity="countyreal", time="year", cohort="g")
    assert r.params["ATT"] == pytest.approx(-0.0399512752, abs=1e-8)
    assert 0.0110 < r.std_errors["ATT"] < 0.0130  # R: 0.0118 analytical, bootstrap varies
    published = {(2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373,
                 (2004, 2007): -0.1008, (2006, 2006): -0.0046, (2006, 2007): -0.0412,
                 (2007, 2007): -0.0261}
    gt = r.group_time.set_index(["group", "time"])["att"]
    for cell, v in published.items():
        assert gt.loc[cell] == pytest.approx(v, abs=5e-5)
    es = r.event_study.params
    assert es.loc[0:].mean() == pytest.approx(-0.0772, abs=5e-5)
    assert es.loc[-1] == 0.0 and np.isnan(r.event_study.std_errors.loc[-1])
    assert (r.n_entities, r.n_treated, r.nobs) == (500, 191, 2500)


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_cs_equals_group_time_means(control):
    df = staggered_panel()
    r = did.callaway_santanna(df, "y", control=control)
    att, cells = hand_att_gt(df, control=control)
    assert r.params["ATT"] == pytest.approx(att, abs=1e-10)
    post = r.group_time.query("time >= group")["att"].to_numpy()
    np.testing.assert_allclose(post, cells, atol=1e-10)


def test_cs_on_mpdta_closed_form_and_covariates(mpdta):
    att, _ = hand_att_gt(mpdta, y="lemp", entity="countyreal", cohort="g")
    r = did.callaway_santanna(mpdta, "lemp", entity="countyreal", cohort="g")
    assert r.params["ATT"] == pytest.approx(att, abs=1e-12)
    rx = did.callaway_santanna(mpdta, "lemp", entity="countyreal", cohort="g",
                               covariates="lpop", method="dr")
    assert rx.params["ATT"] != pytest.approx(att, abs=1e-4)  # the covariate is used
    # R did README, att_gt(..., xformla = ~lpop) (doubly robust), post-treatment cells
    published = {(2004, 2004): -0.0145, (2004, 2005): -0.0764, (2004, 2006): -0.1404,
                 (2004, 2007): -0.1069, (2006, 2006): 0.0010, (2006, 2007): -0.0413}
    gt = rx.group_time.set_index(["group", "time"])["att"]
    for cell, v in published.items():
        assert gt.loc[cell] == pytest.approx(v, abs=5e-5)


def test_cs_drops_incomplete_entities_and_conf_int():
    df = staggered_panel()
    df.loc[(df.city == 5) & (df.year == 2012), "y"] = np.nan
    r = did.callaway_santanna(df, "y", level=0.9)
    assert r.n_dropped == 1 and r.n_entities == df.city.nunique() - 1
    ci = r.conf_int(0.9).loc["ATT"]
    assert ci["upper"] - ci["lower"] == pytest.approx(2 * 1.6448536 * r.std_errors["ATT"])
    assert r.to_frame().shape == (1, 6) and "Callaway" in r.summary()


def test_pretrend_wald_detects_a_pretrend():
    flat = did.event_study(staggered_panel(trend=0.0), "y")
    tilted = did.event_study(staggered_panel(trend=0.15), "y")
    assert flat.pretrend_df == tilted.pretrend_df > 0
    assert tilted.pretrend_p < 1e-6 < flat.pretrend_p
    pre = [e for e in flat.params.index if e < -1]
    b, v = flat.params.loc[pre].to_numpy(), flat.cov.loc[pre, pre].to_numpy()
    assert flat.pretrend_wald == pytest.approx(float(b @ np.linalg.solve(v, b)), rel=1e-8)


def test_honest_bounds_point_at_zero_and_widen(mpdta):
    es = did.event_study(mpdta, "lemp", entity="countyreal", cohort="g")
    hb = did.honest_bounds(es, m_grid=[0.0, 0.5, 1.0, 2.0])
    post_mean = es.params.loc[0:].mean()
    assert hb.loc[0, "lb"] == pytest.approx(post_mean, abs=1e-10)
    assert hb.loc[0, "ub"] == pytest.approx(post_mean, abs=1e-10)
    width = (hb["ci_ub"] - hb["ci_lb"]).to_numpy()
    assert np.all(np.diff(width) > 0) and np.all(hb["ci_lb"] <= hb["lb"])


# --- imputation / two-stage and TWFE --------------------------------------------------------

@pytest.fixture(scope="module")
def het_did2s(df_het):
    return did.imputation(df_het, "dep_var", entity="unit", cohort="g", cluster="state")


@pytest.mark.slow
def test_did2s_and_twfe_reproduce_df_het(df_het, het_did2s):
    r = het_did2s
    assert r.params["ATT"] == pytest.approx(2.230482, abs=1e-6)
    assert r.std_errors["ATT"] == pytest.approx(0.024709, rel=1e-3)
    tw = did.twfe(df_het, "dep_var", entity="unit", cohort="g", cluster="state")
    assert tw.params["ATT"] == pytest.approx(1.982540, abs=1e-6)


@pytest.mark.slow
def test_did2s_equals_bjs_imputation_df_het(df_het, het_did2s):
    a = het_did2s
    b = did.imputation(df_het, "dep_var", entity="unit", cohort="g", cluster="state",
                       method="bjs")
    # pyfixest demeans by alternating projections (tolerance 1e-8), diff-diff solves exactly
    assert a.params["ATT"] == pytest.approx(b.params["ATT"], abs=1e-6)


def test_did2s_equals_bjs_imputation():
    df = staggered_panel()
    a, b = did.imputation(df, "y"), did.imputation(df, "y", method="bjs")
    assert a.params["ATT"] == pytest.approx(b.params["ATT"], abs=1e-7)
    assert a.params["ATT"] != pytest.approx(did.twfe(df, "y").params["ATT"], abs=1e-3)


def test_bjs_reproduces_mpdta_two_stage(mpdta):
    # R did2s on mpdta (static, unit + year effects): -0.0477099; every 2004 county has one
    # untreated year, so pyfixest's path refuses (singleton) and names the county
    r = did.imputation(mpdta, "lemp", entity="countyreal", cohort="g", method="bjs")
    assert r.params["ATT"] == pytest.approx(-0.0477099, abs=1e-7)
    with pytest.raises(ValueError, match="countyreal .* fewer than two untreated"):
        did.imputation(mpdta, "lemp", entity="countyreal", cohort="g")


def test_twfe_equals_panel_fe():
    df = staggered_panel()
    df["d"] = ((df.cohort > 0) & (df.year >= df.cohort)).astype(float)
    a = did.twfe(df, "y")
    b = models.panel_fe(df, "y", "d", entity="city", time="year")
    assert a.params["ATT"] == pytest.approx(b.params["d"], abs=1e-10)
    assert a.std_errors["ATT"] == pytest.approx(b.std_errors["d"], rel=1e-8)


def test_imputation_recovers_the_true_att():
    df = staggered_panel(n=400, seed=9)
    truth = df.loc[(df.cohort > 0) & (df.year >= df.cohort)]
    # the true ATT over treated cells, from the generator's formula
    e = truth.year - truth.cohort
    te = 0.5 * (1 + 0.3 * e + 0.2 * (truth.cohort == 2013))
    imp = did.imputation(df, "y")
    assert abs(imp.params["ATT"] - te.mean()) < 3 * imp.std_errors["ATT"]


def test_bad_input_named():
    df = staggered_panel()
    with pytest.raises(KeyError, match="nope"):
        did.callaway_santanna(df, "nope")
    with pytest.raises(ValueError, match="duplicate city-year"):
        did.twfe(pd.concat([df, df.head(1)]), "y")
    bad = df.copy()
    bad.loc[bad.index[0], "cohort"] = 2015 if bad.loc[bad.index[0], "cohort"] != 2015 else 2013
    with pytest.raises(ValueError, match="varies within city"):
        did.callaway_santanna(bad, "y")
    with pytest.raises(ValueError, match="control must be"):
        did.callaway_santanna(df, "y", control="always")
    assert "callaway_santanna" in models.__all__ and "imputation" in models.__all__
