"""The results contract and the option vocabulary of every estimator in helpers.models.

Every public estimator (``helpers.models.ESTIMATORS``) is fitted on small real or bundled data
(Grunfeld's investment panel, the bundled twin panel, pyfixest's Poisson example, the twin's
pair flows) and its result is checked against the contract's formulas: tstats = params /
std_errors, pvalues from the reference distribution (the normal, or Student t(df_resid)), cov's
diagonal = std_errors**2, conf_int(level) = params -/+ q((1 + level) / 2) std_errors with q that
distribution's quantile. The few-cluster default (fewer than 50 clusters: CRV3 read against
t(G - 1)) is checked for the fixed-effects, 2SLS, exposure and threshold fits. A public function of helpers.models that is in
neither ``ESTIMATORS`` nor ``NOT_ESTIMATORS``, or an estimator without a fit here, fails.
Old option and attribute names must still work, with a DeprecationWarning, and give the same
numbers as the new ones.
"""

import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import helpers
from helpers import data, models
from helpers._results import CoefficientResult

SRC = Path(helpers.__file__).resolve().parent


# ---------------------------------------------------------------------------- data
@pytest.fixture(scope="module")
def grunfeld():
    g = sm.datasets.grunfeld.load_pandas().data
    g = g[g["firm"] != "American Steel"].copy()  # the classic ten firms, balanced 1935-54
    g["year"] = g["year"].astype(int)
    return g.reset_index(drop=True)


@pytest.fixture(scope="module")
def bundled():
    """The bundled (SIMULATED) panel in logs, and the 21 cities' inverse-distance weights."""
    p = data.load_panel()
    z = p[["city", "year"]].copy()
    for c in ("gdp", "patents_granted", "broadband_per100", "telecom_per_capita", "loans", "employment"):
        z[c] = np.log(p[c])
    return z, data.inverse_distance_weights(power=2.0)


@pytest.fixture(scope="module")
def pois():
    import pyfixest as pf

    return pf.get_data(model="Fepois").dropna(subset=["Y", "X1", "X2", "f1", "f2"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def flows():
    from helpers.simulate.flows import simulate_flows

    f, _ = simulate_flows(seed=5)
    keep = sorted(f["origin"].unique())[:6]
    return f[f["origin"].isin(keep) & f["destination"].isin(keep) & (f["year"] >= 2018)
             & (f["factor"] == "capital")].reset_index(drop=True)


@pytest.fixture(scope="module")
def mpdta():
    """The R ``did`` package's minimum-wage example (tests/data/mpdta.csv)."""
    from pathlib import Path

    d = pd.read_csv(Path(__file__).parent / "data" / "mpdta.csv")
    return d.rename(columns={"countyreal": "county", "first.treat": "first_treat"})


_DID = {"entity": "county", "time": "year", "cohort": "first_treat"}


def _fit(name, grunfeld, bundled, pois, flows, mpdta=None, **kw):
    """One small fit of each estimator (kw: extra options, e.g. deprecated names)."""
    z, W = bundled
    g = {"entity": "firm", "time": "year"}
    fits = {
        "panel_fe": lambda: models.panel_fe(grunfeld, "invest", "value", controls="capital", **g, **kw),
        "mediation": lambda: models.mediation(grunfeld, "value", "capital", "invest", n_boot=49, seed=1, **g, **kw),
        "serial_mediation": lambda: models.serial_mediation(z, "broadband_per100", "telecom_per_capita", "loans",
                                                            "gdp", n_boot=49, seed=1, **kw),
        "threshold": lambda: models.threshold(grunfeld, "invest", "value", "capital", n_boot=0, grid=50, trim=0.1,
                                              **g, **kw),
        "spatial_durbin_panel": lambda: models.spatial_durbin_panel(z, "gdp", ["broadband_per100", "loans"], W,
                                                                    n_boot=200, seed=1, **kw),
        "iv_2sls": lambda: models.iv_2sls(grunfeld, "invest", "value", "capital", **g, **kw),
        "ppml": lambda: models.ppml(pois, "Y", ["X1", "X2"], ["f1", "f2"], cluster="f1", **kw),
        "transaction_cost_phi": lambda: models.transaction_cost_phi(flows, **kw),
        "exposure_effect": lambda: models.exposure_effect(z, "gdp", W, shifters=["loans", "employment"],
                                                          x="broadband_per100", **kw),
        "callaway_santanna": lambda: models.callaway_santanna(mpdta, "lemp", **_DID, **kw),
        "imputation": lambda: models.imputation(mpdta, "lemp", method="bjs", **_DID, **kw),
        "twfe": lambda: models.twfe(mpdta, "lemp", **_DID, **kw),
        "conley_fe": lambda: models.conley_fe(z, "gdp", "broadband_per100", controls="loans",
                                              distances=data.distance_matrix(), cutoff_km=150, **kw),
    }
    return fits[name]() if name in fits else None


@pytest.fixture(scope="module")
def fitted(grunfeld, bundled, pois, flows, mpdta):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)   # the new vocabulary never warns
        return {n: _fit(n, grunfeld, bundled, pois, flows, mpdta) for n in models.ESTIMATORS}


# ---------------------------------------------------------------------------- registry
def test_every_public_function_is_an_estimator_or_declared_otherwise():
    public = {n for n in models.__all__ if inspect.isfunction(getattr(models, n))}
    declared = set(models.ESTIMATORS) | set(models.NOT_ESTIMATORS)
    assert not set(models.ESTIMATORS) & set(models.NOT_ESTIMATORS)
    assert public - declared == set(), "a new public function: add it to ESTIMATORS (and a fit here) or NOT_ESTIMATORS"
    assert declared - public == set()


def test_every_estimator_has_a_fit(fitted):
    missing = [n for n, r in fitted.items() if r is None]
    assert missing == [], f"no contract fit for {missing}: add one to _fit"


# ---------------------------------------------------------------------------- the contract
@pytest.mark.parametrize("name", models.ESTIMATORS)
def test_contract_fields_and_their_numbers(fitted, name):
    r = fitted[name]
    assert isinstance(r, CoefficientResult)
    p, se, pv, cov = r.params, r.std_errors, r.pvalues, r.cov
    for s in (p, se, pv):
        assert isinstance(s, pd.Series) and list(s.index) == list(p.index) and len(p) > 0
    assert list(cov.index) == list(p.index) and list(cov.columns) == list(p.index)
    assert np.all(np.isfinite(p)) and np.all(se > 0)
    np.testing.assert_allclose(np.diag(cov.to_numpy()), se.to_numpy() ** 2, rtol=1e-10)
    np.testing.assert_array_equal(r.tstats.to_numpy(), (p / se).to_numpy())
    dist = stats.norm if r.df_resid is None else stats.t(r.df_resid)   # scipy is the second implementation
    np.testing.assert_allclose(pv.to_numpy(), 2 * dist.sf(np.abs((p / se).to_numpy())), rtol=1e-10, atol=1e-300)
    for level in (0.95, 0.9):
        q = dist.ppf(0.5 + level / 2)
        ci = r.conf_int(level)
        assert list(ci.columns) == ["lower", "upper"]
        np.testing.assert_allclose(ci["lower"].to_numpy(), (p - q * se).to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(ci["upper"].to_numpy(), (p + q * se).to_numpy(), rtol=1e-12)
    t = r.to_frame()
    assert list(t.columns[:6]) == ["coef", "std err", "t", "p", "ci lower", "ci upper"]
    np.testing.assert_array_equal(t["coef"].to_numpy(), p.to_numpy())
    np.testing.assert_array_equal(t["ci upper"].to_numpy(), r.conf_int(0.95)["upper"].to_numpy())
    if r.inference:
        assert (t["inference"] == r.inference).all()
    text = r.summary()
    assert isinstance(text, str) and all(str(k) in text for k in p.index)
    assert r.inference in text
    assert r["params"] is p and "<table" in r._repr_html_()
    with pytest.raises(ValueError, match="level"):
        r.conf_int(95)


#: Estimators whose default inference follows the few-cluster rule, and their clusters in ``_fit``.
FEW_CLUSTER_DEFAULT = {"panel_fe": ("firm", 10), "iv_2sls": ("firm", 10), "threshold": ("firm", 10),
                       "exposure_effect": ("city", 21)}


@pytest.mark.parametrize("name", sorted(FEW_CLUSTER_DEFAULT))
def test_few_clusters_default_is_crv3_with_t_of_g_minus_1(fitted, name):
    r = fitted[name]
    cluster, G = FEW_CLUSTER_DEFAULT[name]
    assert r.df_resid == G - 1
    assert r.inference == f"CRV3 by {cluster} ({G} clusters), t({G - 1})"
    # the p-value of the first coefficient against scipy's t(G - 1), written out
    b, s = r.params.iloc[0], r.std_errors.iloc[0]
    assert r.pvalues.iloc[0] == pytest.approx(2 * (1 - stats.t.cdf(abs(b / s), G - 1)), rel=1e-9)
    assert r.conf_int(0.95).iloc[0, 1] == pytest.approx(b + stats.t.ppf(0.975, G - 1) * s, rel=1e-12)


def test_where_the_jackknife_does_not_exist_auto_says_so_and_crv3_raises(grunfeld):
    # trim 0.01: the upper regime of capital lives in one firm, so leaving that firm out leaves
    # its slope unidentified; "auto" keeps CRV1 with t(G - 1) and says why, "CRV3" raises
    kw = dict(entity="firm", time="year", n_boot=0, grid=50, trim=0.01)
    r = models.threshold(grunfeld, "invest", "value", "capital", **kw)
    assert r.df_resid == 9 and r.inference.startswith("CRV1 by firm (10 clusters) (CRV3 undefined")
    np.testing.assert_allclose(r.std_errors, models.threshold(grunfeld, "invest", "value", "capital", vcov="CRV1",
                                                              **kw).std_errors, rtol=1e-12)
    with pytest.raises(ValueError, match="not identified"):
        models.threshold(grunfeld, "invest", "value", "capital", vcov="CRV3", **kw)


def test_many_clusters_keep_crv1_and_the_normal(grunfeld):
    # 50 clusters or more: "auto" is CRV1 read against the normal; an explicit CRV1 always is
    big = pd.concat([grunfeld.assign(firm=grunfeld["firm"] + f"_{k}") for k in range(5)], ignore_index=True)
    r = models.panel_fe(big, "invest", "value", controls="capital", entity="firm")
    assert r.n_clusters == 50 and r.df_resid is None and r.inference == "CRV1 by firm (50 clusters), normal"
    small = models.panel_fe(grunfeld, "invest", "value", entity="firm", vcov="CRV1")
    assert small.df_resid is None and small.inference.endswith("normal")
    np.testing.assert_allclose(small.pvalues, 2 * stats.norm.sf(np.abs(small.tstats)), rtol=1e-12)


def test_panel_fe_reproduces_the_grunfeld_within_estimates():
    # Grunfeld (1958) ten firms, two-way here; the one-way 0.1101 / 0.3101 is in test_models
    r = models.panel_fe(sm.datasets.grunfeld.load_pandas().data.query("firm != 'American Steel'"),
                        "invest", "value", controls="capital", entity="firm", time=None)
    assert r.params.round(4).tolist() == [0.1101, 0.3101]


def test_phi_row_is_the_delta_method_of_delta_and_b0(fitted):
    r = fitted["transaction_cost_phi"]
    d, b = r.params["delta"], r.params["b0"]
    assert r.phi == pytest.approx(d / b, rel=1e-14)
    assert r.delta == d and r.b0 == b == -r.without_pairs.params["lnd"]
    C = r.cov.loc[["delta", "b0"], ["delta", "b0"]].to_numpy()
    grad = np.array([1 / b, -d / b**2])
    assert r.std_errors["phi"] == pytest.approx(np.sqrt(grad @ C @ grad), rel=1e-14)
    # CRV1: the stacked per-pair influence sums of the two PPML fits, factor G/(G - 1)
    IF = pd.concat([r.with_pairs.influence["lnd_J"], -r.without_pairs.influence["lnd"]], axis=1).fillna(0.0)
    G = len(IF)
    np.testing.assert_allclose(C, IF.T.to_numpy() @ IF.to_numpy() * G / (G - 1), rtol=1e-12)


def test_exposure_result_is_its_2sls_fit(fitted):
    r = fitted["exposure_effect"]
    assert r.exposure == "W_broadband_per100" and r.params.index[0] == r.exposure
    assert r.alpha_E == r.fit.params[r.exposure] and r.std_errors.equals(r.fit.std_errors)
    assert r.first_stage_F == r.fit.first_stage_F[r.exposure]


def test_mediation_stores_every_path_once(fitted):
    r = fitted["mediation"]
    stored = {f.name for f in __import__("dataclasses").fields(r)}
    assert not stored & {"a", "b", "c", "c_prime", "ab", "se_a", "se_b", "p_a", "p_b", "proportion_mediated"}
    assert (r.a, r.b, r.c, r.c_prime) == tuple(r.params[k] for k in ("a", "b", "c", "c_prime"))
    assert (r.se_a, r.p_c_prime) == (r.std_errors["a"], r.pvalues["c_prime"])
    assert r.ab == r.a * r.b and r["ab"] == r.ab
    s = fitted["serial_mediation"]
    assert not {f.name for f in __import__("dataclasses").fields(s)} & {"a1", "d21", "b2", "c_prime"}
    assert s.d21 == s.params["d21"] and s.paths is s.params


def test_ppml_crv3_is_the_jackknife_of_its_shifts(pois):
    r = models.ppml(pois, "Y", ["X1", "X2"], ["f1", "f2"], cluster="f1", vcov="CRV3")
    J = r.jackknife
    G = len(J)
    dev = (J - J.mean()).to_numpy()
    np.testing.assert_allclose(r.cov.to_numpy(), dev.T @ dev * (G - 1) / G, rtol=1e-12)
    with pytest.raises(ValueError, match="needs a cluster"):
        models.ppml(pois, "Y", ["X1"], ["f1"], vcov="CRV3")
    with pytest.raises(ValueError, match="'CRV1' or 'CRV3'"):
        models.ppml(pois, "Y", ["X1"], ["f1"], cluster="f1", vcov="HC1")


# ---------------------------------------------------------------------------- old names
def _same(a, b):
    if isinstance(a, (pd.Series, pd.DataFrame)):
        return a.equals(b)
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


@pytest.mark.parametrize("name, old, new, field", [
    ("panel_fe", {"wild_bootstrap": 99, "seed": 2}, {"n_boot": 99, "seed": 2}, "wild_p"),
    ("panel_fe", {"vcov": "CV3"}, {"vcov": "CRV3"}, "std_errors"),
    ("mediation", {"alpha": 0.1}, {"level": 0.9}, "boot_ci_bc"),
    ("serial_mediation", {"alpha": 0.1}, {"level": 0.9}, "boot_ci"),
    ("threshold", {"alpha": 0.1}, {"level": 0.9}, "lr_ci"),
    ("spatial_durbin_panel", {"n_draws": 150, "alpha": 0.1}, {"n_boot": 150, "level": 0.9}, "effects_ci"),
    ("ppml", {"cr3": True}, {"vcov": "CRV3"}, "std_errors"),
    ("transaction_cost_phi", {"vcov": "CV3"}, {"vcov": "CRV3"}, "cov"),
])
def test_old_option_names_warn_and_give_the_same_numbers(grunfeld, bundled, pois, flows, name, old, new, field):
    args = (grunfeld, bundled, pois, flows)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        r_old = _fit_opts(name, args, old)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        r_new = _fit_opts(name, args, new)
    assert _same(getattr(r_old, field), getattr(r_new, field))
    assert _same(r_old.params, r_new.params)


def _fit_opts(name, args, opts):
    """``_fit`` with options that may replace its own n_boot (the SDM fit fixes n_boot=200)."""
    if name == "spatial_durbin_panel":
        z, W = args[1]
        return models.spatial_durbin_panel(z, "gdp", ["broadband_per100", "loans"], W, seed=1, **opts)
    return _fit(name, *args, **opts)


def test_defaults_equal_the_old_defaults_bit_for_bit(grunfeld):
    # level=0.95 is exactly the old alpha=0.05: bootstrap quantiles do not move
    with pytest.warns(DeprecationWarning):
        old = models.mediation(grunfeld, "value", "capital", "invest", entity="firm", n_boot=99, seed=3, alpha=0.05)
    new = models.mediation(grunfeld, "value", "capital", "invest", entity="firm", n_boot=99, seed=3)
    assert old.boot_ci.equals(new.boot_ci) and old.boot_ci_bc.equals(new.boot_ci_bc) and old.verdict == new.verdict


def test_moran_permutations_is_n_boot(bundled):
    z, W = bundled
    wide = z.pivot(index="year", columns="city", values="gdp")
    with pytest.warns(DeprecationWarning, match="permutations"):
        old = models.moran(wide, W, permutations=99, seed=4)
    new = models.moran(wide, W, n_boot=99, seed=4)
    assert old.to_frame().equals(new.to_frame()) and new.permutations == 99


def test_lr_critical_old_positional_alpha():
    assert models.lr_critical(level=0.95) == pytest.approx(-2 * np.log(1 - np.sqrt(0.95)), rel=1e-15)
    assert round(models.lr_critical(level=0.95), 2) == 7.35   # Hansen (1999), table 1 note
    with pytest.warns(DeprecationWarning):
        assert models.lr_critical(0.05) == models.lr_critical(level=0.95)
    with pytest.warns(DeprecationWarning):
        assert models.lr_critical(alpha=0.1) == models.lr_critical(level=0.9)


def test_giving_old_and_new_name_together_is_an_error(grunfeld):
    with pytest.raises(TypeError, match="give n_boot= only"):
        models.panel_fe(grunfeld, "invest", "value", entity="firm", n_boot=9, wild_bootstrap=9)


def test_old_result_attributes_warn_and_read_the_new_fields(fitted):
    ph, ex, pp = fitted["transaction_cost_phi"], fitted["exposure_effect"], fitted["ppml"]
    with pytest.warns(DeprecationWarning, match="se is deprecated"):
        assert ph.se == ph.std_errors["phi"]
    with pytest.warns(DeprecationWarning, match="ci is deprecated"):
        assert ph.ci == tuple(ph.conf_int(ph.level).loc["phi"])
    with pytest.warns(DeprecationWarning):
        assert ex.se == ex.std_errors[ex.exposure]
    with pytest.warns(DeprecationWarning):
        lo, hi = ex.ci
    # the old attribute reads conf_int(0.95): t(20) under the 21-city default
    b, s = ex.alpha_E, ex.std_errors[ex.exposure]
    q = stats.t.ppf(0.975, 20)
    assert lo == pytest.approx(b - q * s, rel=1e-12) and hi == pytest.approx(b + q * s, rel=1e-12)
    t = pp.to_frame()
    with pytest.warns(DeprecationWarning, match="'estimate' is deprecated"):
        assert t["estimate"].equals(t["coef"])
    with pytest.warns(DeprecationWarning):
        assert t["lower"].equals(t["ci lower"])


# ---------------------------------------------------------------------------- one error, one helper
@pytest.mark.parametrize("name", models.ESTIMATORS)
def test_a_missing_column_raises_one_error_naming_it(grunfeld, bundled, pois, flows, mpdta, name):
    g = grunfeld.drop(columns="capital")
    z, W = bundled
    calls = {
        "panel_fe": lambda: models.panel_fe(g, "invest", "value", controls="capital", entity="firm"),
        "mediation": lambda: models.mediation(g, "value", "capital", "invest", entity="firm", n_boot=0),
        "serial_mediation": lambda: models.serial_mediation(z.drop(columns="loans"), "broadband_per100",
                                                            "telecom_per_capita", "loans", "gdp", n_boot=0),
        "threshold": lambda: models.threshold(g, "invest", "value", "capital", entity="firm", n_boot=0),
        "spatial_durbin_panel": lambda: models.spatial_durbin_panel(z.drop(columns="loans"), "gdp", ["loans"], W),
        "iv_2sls": lambda: models.iv_2sls(g, "invest", "value", "capital", entity="firm"),
        "ppml": lambda: models.ppml(pois.drop(columns="X2"), "Y", ["X1", "X2"], ["f1"]),
        "transaction_cost_phi": lambda: models.transaction_cost_phi(flows.drop(columns="distance_km")),
        "exposure_effect": lambda: models.exposure_effect(z.drop(columns="loans"), "gdp", W, shifters=["loans"]),
        "callaway_santanna": lambda: models.callaway_santanna(mpdta.drop(columns="lemp"), "lemp", **_DID),
        "imputation": lambda: models.imputation(mpdta.drop(columns="lemp"), "lemp", **_DID),
        "twfe": lambda: models.twfe(mpdta.drop(columns="lemp"), "lemp", **_DID),
        "conley_fe": lambda: models.conley_fe(z.drop(columns="loans"), "gdp", "broadband_per100", controls="loans",
                                              distances=data.distance_matrix(), cutoff_km=150),
    }
    missing = {"panel_fe": "capital", "mediation": "capital", "threshold": "capital", "iv_2sls": "capital",
               "ppml": "X2", "transaction_cost_phi": "distance_km", "callaway_santanna": "lemp",
               "imputation": "lemp", "twfe": "lemp"}.get(name, "loans")
    pattern = rf"missing column\(s\) \['{missing}'\]; the data have columns"
    with pytest.raises(models.MissingColumnError, match=pattern) as e:
        calls[name]()
    assert isinstance(e.value, KeyError) and isinstance(e.value, ValueError) and e.value.missing == [missing]
    assert re.match(r"\w+: missing column", str(e.value))   # the function that checked, first


def test_missing_column_error_reads_as_its_message_and_is_caught_by_old_clauses():
    err = models.MissingColumnError("f", ["x"], ["a", "b"])
    assert str(err) == "f: missing column(s) ['x']; the data have columns ['a', 'b']"
    for old in (KeyError, ValueError):
        with pytest.raises(old):
            raise err


def test_one_as_list_and_no_hard_coded_normal_quantile():
    from helpers._results import as_list
    from helpers.models import _prepare

    assert models.as_list is as_list and _prepare.as_list is as_list
    defs, z = [], []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        defs += [path.name for _ in re.finditer(r"^def as_list\b", text, re.MULTILINE)]
        z += [path.name for _ in re.finditer(r"1\.95996", text)]
        # the inline idiom as_list replaces
        assert not re.search(r"\[\w+\] if isinstance\(\w+, str\) else list\(\w+\)", text), path
    assert defs == ["_results.py"] and z == []


def test_the_glossary_names_the_vocabulary():
    doc = models.__doc__
    for word in ("``level``", "``vcov``", '"CRV1"', '"CRV3"', '"iid"', "``n_boot``", "``seed``", "``n_jobs``",
                 "MissingColumnError", "DeprecationWarning"):
        assert word in doc, word
