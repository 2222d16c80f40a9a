"""The fast paths of one analysed twin give bit-identical results (issue 24; see also
``tests/test_fast_paths.py``).

Each fast path is compared with the code it replaced, copied below verbatim: the mediation
equations fitted through :func:`helpers.models.panel_fe` (now on one shared within
transformation), the per-year location quotients of
:func:`helpers.measure.constructs.build_constructs` (now all years at once), the MultiIndex
round trip of :func:`helpers.measure.constructs.flow_positions` (now positions) and
``scipy.stats.t.ppf`` in ``conf_int`` (now ``special.stdtrit``). End to end, twins of the stored
design study (``data/power``, computed by the code before these paths) are recomputed and must
equal their stored rows value for value.
"""

from __future__ import annotations

import importlib
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import measure, models
from helpers._results import CoefficientResult
from helpers.measure import constructs, network

med = importlib.import_module("helpers.models.mediation")   # the module (helpers.models.mediation is the function)


# ------------------------------------------------------------------ reference implementations
def ref_fit_one(d, y, regs, fe, entity, time, cluster, fe_setup=None):
    """mediation._fit_one before the shared within transformation (the FE branch verbatim)."""
    if fe:
        r = models.panel_fe(d, y, regs, entity=entity, time=time, cluster=cluster, vcov="CRV1")
        return r.params, r.std_errors, r.pvalues
    return med._fit_one(d, y, regs, fe, entity, time, cluster)


def ref_sobel(a, b, sa, sb):
    z = a * b / np.sqrt(b**2 * sa**2 + a**2 * sb**2)
    za = a * b / np.sqrt(b**2 * sa**2 + a**2 * sb**2 + sa**2 * sb**2)
    return z, 2 * stats.norm.sf(abs(z)), za, 2 * stats.norm.sf(abs(za))


def ref_yearly_lq(emp):
    """build_constructs' location quotients before the all-years path (verbatim)."""
    lq = []
    for _, g in emp.groupby("year", sort=False):
        t = g.set_index("city")[["manufacturing", "producer_services", "other"]]
        lq.append(measure.location_quotient(t).set_index(g.index))
    return pd.concat(lq).loc[emp.index]


def ref_flow_positions(panel, b=2.0, masses=None, dist=None):
    """flow_positions before the positional grid (verbatim)."""
    masses = constructs.FLOW_MASSES if masses is None else masses
    dist = constructs.panel_distances(panel) if dist is None else dist
    out = panel[["city", "year"]].copy()
    for name, mass in masses.items():
        m = mass(panel) if callable(mass) else panel[mass]
        wide = pd.Series(np.asarray(m, dtype=float), index=pd.MultiIndex.from_frame(panel[["year", "city"]]))
        wide = wide.unstack("city").reindex(columns=dist.index)          # years x cities
        if wide.isna().any().any():
            year, city = wide.stack(future_stack=True).loc[lambda s: s.isna()].index[0]
            raise ValueError(f"flow_positions: no {name} mass for {city} in {year}")
        f = network.gravity_flows_panel(wide, dist, b=b)                 # (T, N, N), one broadcast
        strength = pd.DataFrame(np.log(f.sum(axis=2) + f.sum(axis=1)), index=wide.index, columns=wide.columns)
        out[f"flow_{name}"] = strength.stack().reindex(pd.MultiIndex.from_frame(panel[["year", "city"]])).to_numpy()
    cols = [f"flow_{k}" for k in masses]
    z = (out[cols] - out[cols].mean()) / out[cols].std(ddof=0)
    out["flow_network"] = z.mean(axis=1)
    return out


def ref_spatial_exposure(df, W, column, entity="city", time="year"):
    """spatial_exposure before the positional path (verbatim)."""
    wide = df.pivot(index=time, columns=entity, values=column)
    missing = [c for c in wide.columns if c not in W.index]
    if missing:
        raise ValueError(f"spatial_exposure: city {missing[0]!r} is not in the weights matrix")
    if wide.isna().any().any():
        t, i = wide.stack(future_stack=True).loc[lambda s: s.isna()].index[0]
        raise ValueError(f"spatial_exposure: {column!r} missing for {i} in {t}")
    Wm = W.loc[wide.columns, wide.columns].to_numpy(float)
    E = pd.DataFrame(wide.to_numpy() @ Wm.T, index=wide.index, columns=wide.columns)
    key = pd.MultiIndex.from_frame(df[[time, entity]])
    return pd.Series(E.stack().reindex(key).to_numpy(), index=df.index, name=f"W_{column}")


def ref_standardize(df, columns):
    out = df.copy()
    for c in columns:
        sd = out[c].std(ddof=0)
        if not np.isfinite(sd) or sd == 0:
            raise ValueError(f"standardize: column {c!r} is constant or empty")
        out[c] = (out[c] - out[c].mean()) / sd
    return out


def ref_moran_rows(frame, Wd, permutations, seed):
    """The per-period loop of moran before it read the rows as arrays (verbatim, W's moments
    as moran computes them)."""
    n = Wd.shape[0]
    s0 = Wd.sum()
    s1 = 0.5 * np.sum((Wd + Wd.T) ** 2)
    s2 = np.sum((Wd.sum(axis=1) + Wd.sum(axis=0)) ** 2)
    EI = -1.0 / (n - 1)
    se_norm = np.sqrt((n * n * s1 - n * s2 + 3 * s0 * s0) / ((n - 1) * (n + 1) * s0 * s0) - EI ** 2)
    rng = np.random.default_rng(seed)
    rows = []
    for period, yv in frame.iterrows():
        v = yv.to_numpy(dtype=float)
        z = v - v.mean()
        I = n / s0 * (z @ (Wd @ z)) / (z @ z)
        z_norm = (I - EI) / se_norm
        p_norm = 2.0 * (stats.norm.sf(z_norm) if z_norm > 0 else stats.norm.cdf(z_norm))
        Zp = z[np.argsort(rng.random((permutations, len(z))), axis=1)]
        Ip = len(z) / Wd.sum() * np.sum((Zp @ Wd.T) * Zp, axis=1) / (z @ z)
        larger = np.sum(Ip >= I) if I >= EI else np.sum(Ip <= I)
        rows.append({"period": period, "I": I, "expected": EI, "z_norm": z_norm, "p_norm": p_norm,
                     "p_sim": (larger + 1) / (permutations + 1)})
    return pd.DataFrame(rows).set_index("period")


def ref_yearbook_rows(panel):
    """simulate_panel's rounding and row order before one frame replaced them (verbatim)."""
    from helpers.simulate import _DECIMALS

    for c, d in _DECIMALS.items():
        panel[c] = panel[c].round(d).astype("Int64") if d == 0 else panel[c].round(d)
    return panel.sort_values(["code", "year"]).reset_index(drop=True)


def ref_require_balanced(d, entity, time, name) -> int:
    """require_balanced before it counted codes (verbatim)."""
    counts = d.groupby(entity, sort=True).size()
    T = int(counts.max())
    if (counts < T).any():
        short = counts[counts < T]
        raise ValueError(f"{name}: needs a balanced panel; {entity} {short.index[0]} has {int(short.iloc[0])} "
                         f"of {T} periods" + (f" (and {len(short) - 1} more entities are short)" if len(short) > 1 else ""))
    if time is not None and d.groupby(time).size().nunique() != 1:
        raise ValueError(f"{name}: needs a balanced panel; entities cover different {time} values")
    return T


def ref_quantile(self, q):
    return float(stats.norm.ppf(q) if self.df_resid is None else stats.t.ppf(q, self.df_resid))


# ------------------------------------------------------------------------------ fixtures
def _panel(rng, n_ent=9, n_per=6, drop=0.0, shuffle=True):
    d = pd.DataFrame({"city": np.repeat([f"c{i}" for i in range(n_ent)], n_per),
                      "year": np.tile(np.arange(2010, 2010 + n_per), n_ent),
                      "region": np.repeat(rng.integers(0, 4, n_ent), n_per)})
    for c in ("x", "m1", "m2", "y", "w"):
        d[c] = rng.standard_normal(len(d)) * 3 + d["year"] * 0.1
    d["m1"] += 0.5 * d["x"]
    d["y"] += 0.3 * d["m1"] + 0.2 * d["x"]
    keep = rng.random(len(d)) >= drop
    keep[::n_per] = True
    d = d[keep]
    return d.iloc[rng.permutation(len(d))] if shuffle else d


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


# ------------------------------------------------------------------------------ mediation
@pytest.mark.parametrize("drop", [0.0, 0.2])
@pytest.mark.parametrize("cluster", ["city", "region", None])
@pytest.mark.parametrize("time", ["year", None])
def test_fe_fit_equals_panel_fe(drop, cluster, time):
    rng = np.random.default_rng(11)
    d = med._mediation_data(_panel(rng, drop=drop), ["x", "m1", "y", "w"], True, "city", time, cluster, "t")
    setup = med._fe_setup(d, "city", time, cluster)
    for y, regs in [("y", ["m1", "x", "w"]), ("m1", ["x"]), ("y", ["x", "w"])]:
        fast = med._fit_one(d, y, regs, True, "city", time, cluster, setup)
        ref = ref_fit_one(d, y, regs, True, "city", time, cluster)
        for f, r in zip(fast, ref):
            assert list(f) == regs and list(f.values()) == r.tolist()


@pytest.mark.parametrize("drop", [0.0, 0.2])
def test_mediation_models_equal_reference(drop, monkeypatch):
    rng = np.random.default_rng(12)
    d = _panel(rng, drop=drop)
    kw = {"controls": ["w"], "n_boot": 29, "seed": 3}
    fast = [models.mediation(d, "x", "m1", "y", **kw), models.serial_mediation(d, "x", "m1", "m2", "y", **kw)]
    monkeypatch.setattr(med, "_fit_one", ref_fit_one)
    monkeypatch.setattr(med, "_sobel", ref_sobel)
    ref = [models.mediation(d, "x", "m1", "y", **kw), models.serial_mediation(d, "x", "m1", "m2", "y", **kw)]
    for f, r in zip(fast, ref):
        for name in ("params", "std_errors", "pvalues", "cov", "boot_ci", "boot_ci_bc"):
            a, b = getattr(f, name), getattr(r, name)
            (pd.testing.assert_series_equal if isinstance(a, pd.Series) else pd.testing.assert_frame_equal)(
                a, b, check_exact=True)
    assert (fast[0].sobel_z, fast[0].sobel_p, fast[0].aroian_p, fast[0].verdict) == (
        ref[0].sobel_z, ref[0].sobel_p, ref[0].aroian_p, ref[0].verdict)
    pd.testing.assert_series_equal(fast[1].indirect, ref[1].indirect, check_exact=True)


def test_distinct_per_group_equals_pandas_nunique():
    from helpers.models._boot import _distinct_per_group

    rng = np.random.default_rng(13)
    for _ in range(30):
        G, V, n = rng.integers(1, 12), rng.integers(1, 30), rng.integers(1, 300)
        g = np.r_[np.arange(G), rng.integers(0, G, n)]
        v = rng.integers(0, V, len(g))
        ref = pd.Series(v).groupby(g).nunique().reindex(range(G)).to_numpy()
        np.testing.assert_array_equal(_distinct_per_group(g, v, int(G)), ref)


def test_bias_corrected_interval_in_one_quantile_call():
    from helpers.models._boot import bias_corrected

    def ref(draws, estimate, alpha):   # the two quantiles taken one by one, as before
        draws = draws[np.isfinite(draws)]
        B = len(draws)
        prop = min(max((np.sum(draws < estimate) + 0.5 * np.sum(draws == estimate)) / B, 0.5 / B), 1 - 0.5 / B)
        z0, zl = stats.norm.ppf(prop), stats.norm.ppf(alpha / 2)
        lo, hi = stats.norm.cdf(2 * z0 + zl), stats.norm.cdf(2 * z0 - zl)
        return float(np.quantile(draws, lo)), float(np.quantile(draws, hi))

    rng = np.random.default_rng(20)
    for _ in range(300):
        d = rng.standard_normal(rng.integers(2, 300)) * 10 ** rng.uniform(-3, 3)
        d = np.round(d, 1) if rng.random() < 0.3 else d   # ties
        est = float(rng.choice([np.median(d), d.min() - 1, d.max() + 1, d[0]]))
        assert bias_corrected(d, est, 0.05) == ref(d, est, 0.05)


def test_t_quantile_equals_scipy_stats():
    for df in (1.0, 2.0, 8.0, 20.0, 20.5, 336.0, 1e6, np.inf):
        res = CoefficientResult(params=pd.Series([1.0]), std_errors=pd.Series([1.0]), pvalues=pd.Series([0.5]),
                                cov=pd.DataFrame([[1.0]]), df_resid=df)
        for level in (0.5, 0.9, 0.95, 0.99):
            assert res._quantile(0.5 + level / 2) == ref_quantile(res, 0.5 + level / 2)


def test_interval_is_the_conf_int_row():
    rng = np.random.default_rng(14)
    names = ["a", "b", "c"]
    for df in (None, 4.0, 20.0):
        res = CoefficientResult(params=pd.Series(rng.standard_normal(3), index=names),
                                std_errors=pd.Series(rng.random(3) + 0.1, index=names),
                                pvalues=pd.Series(rng.random(3), index=names), cov=pd.DataFrame(np.eye(3)), df_resid=df)
        for level in (0.9, 0.95):
            ci = res.conf_int(level)
            for n in names:
                assert res.interval(n, level) == tuple(ci.loc[n])
    with pytest.raises(ValueError, match="level"):
        res.interval("a", 1.0)


def _outcome(fn, *args):
    try:
        return fn(*args)
    except Exception as e:   # the test compares whatever happens, errors included
        return type(e), str(e)


def test_require_balanced_equals_reference():
    from helpers.models._prepare import require_balanced

    rng = np.random.default_rng(18)
    full = _panel(rng, drop=0.0)
    frames = [full, full.iloc[1:], _panel(rng, drop=0.3), full.assign(year=full["year"].where(full.index != 4)),
              full.assign(city=full["city"].where(full.index != 3)), full.iloc[:0],
              full.assign(city=np.where(full.index % 2, full["city"], 1)),
              pd.concat([full, full[full["city"] == "c1"].assign(year=2030)])]
    for d in frames:
        for time in ("year", None):
            assert _outcome(require_balanced, d, "city", time, "t") == _outcome(ref_require_balanced, d, "city", time, "t")


def test_crv3_design_with_the_estimators_codes():
    from helpers.models import _few_clusters as fc
    from helpers.models._prepare import prepare
    from helpers.models._within import Absorb

    rng = np.random.default_rng(19)
    for entity_int in (False, True):
        raw = _panel(rng, drop=0.2)
        if entity_int:
            raw["city"] = raw["city"].str[1:].astype(int) * 7
        d = prepare(raw, ["y", "x", "w"], "city", "year", "t")
        for time in ("year", None):
            ab = Absorb.of(d, "city", time)
            assert np.array_equal(fc.design(d, ["y", "x", "w"], "city", time, ab),
                                  fc.design(d, ["y", "x", "w"], "city", time))


# ------------------------------------------------------------------------------ constructs
def test_standardize_equals_reference():
    rng = np.random.default_rng(15)
    d = pd.DataFrame({"f": rng.standard_normal(50) * 7 + 3, "i": rng.integers(0, 9, 50),
                      "n": pd.array(list(rng.integers(0, 9, 49)) + [None], dtype="Int64"), "s": ["x"] * 50})
    d.attrs["meta"] = {"a": 1}
    out = constructs.standardize(d, ["f", "i", "n"])
    pd.testing.assert_frame_equal(out, ref_standardize(d, ["f", "i", "n"]), check_exact=True)
    assert out.attrs == d.attrs
    with pytest.raises(ValueError, match="'s'|constant"):
        constructs.standardize(d.assign(c=1.0), ["c"])


def test_registry_tables_are_fresh_copies_of_the_same_numbers():
    from helpers.data import cities

    built = cities._city_table.__wrapped__()   # what city_table() built on every call before
    t = cities.city_table()
    pd.testing.assert_frame_equal(t, built, check_exact=True)
    assert t.attrs == built.attrs
    t.loc[t.index[0], "lon"] = 0.0
    t.attrs["sources"]["x"] = 1
    assert cities.city_table().loc[t.index[0], "lon"] == built.loc[t.index[0], "lon"]
    assert "x" not in cities.city_table().attrs["sources"]
    d = cities.distance_matrix()
    ref = cities.distance_matrix(built)
    pd.testing.assert_frame_equal(d, ref, check_exact=True)
    assert d.to_numpy().flags["C_CONTIGUOUS"] == ref.to_numpy().flags["C_CONTIGUOUS"]   # same sums downstream
    d.iloc[0, 1] = -1.0
    assert cities.distance_matrix().iloc[0, 1] == ref.iloc[0, 1]



def _employment(rng, n, t, shuffle):
    city = np.repeat([f"c{i:03d}" for i in range(n)], t)
    year = np.tile(np.arange(2011, 2011 + t), n)
    e = rng.lognormal(10, 2, (n * t, 3))
    emp = pd.DataFrame({"city": city, "year": year, "manufacturing": e[:, 0], "producer_services": e[:, 1],
                        "other": e[:, 2]}, index=rng.permutation(n * t) * 2 + 7)
    return emp.iloc[rng.permutation(len(emp))] if shuffle else emp


@pytest.mark.parametrize("n", [2, 7, 8, 21, 50, 129, 336])
def test_yearly_location_quotients_bit_identical(n):
    rng = np.random.default_rng(n)
    for t, shuffle in [(13, False), (4, True), (1, False), (20, True)]:
        emp = _employment(rng, n, t, shuffle)
        pd.testing.assert_frame_equal(constructs._yearly_location_quotients(emp), ref_yearly_lq(emp),
                                      check_exact=True)


def test_yearly_location_quotients_fall_back_with_the_same_numbers_and_errors():
    rng = np.random.default_rng(5)
    emp = _employment(rng, 9, 5, True)
    short = emp.iloc[1:]   # one city-year missing: years of unequal size go year by year
    pd.testing.assert_frame_equal(constructs._yearly_location_quotients(short), ref_yearly_lq(short),
                                  check_exact=True)
    for col, value in [("manufacturing", -1.0), ("producer_services", np.nan)]:
        bad = emp.copy()
        bad.iloc[4, bad.columns.get_loc(col)] = value
        with pytest.raises(ValueError) as e_ref:
            ref_yearly_lq(bad)
        with pytest.raises(ValueError) as e_fast:
            constructs._yearly_location_quotients(bad)
        assert str(e_fast.value) == str(e_ref.value)


def _twin_panel(seed, cities=None, years=tuple(range(2011, 2024))):
    from helpers.simulate import simulate_panel

    panel, _ = simulate_panel(seed=seed, cities=cities, years=years)
    return panel.astype({c: float for c in panel.columns if str(panel[c].dtype) == "Int64"})


def test_flow_positions_bit_identical():
    from helpers.data import cities

    rng = np.random.default_rng(9)
    panels = [_twin_panel(3), _twin_panel(4, cities.city_set("sample", n=40, seed=4), tuple(range(2011, 2019)))]
    panels.append(panels[0].iloc[rng.permutation(len(panels[0]))])   # any row order
    for p in panels:
        pd.testing.assert_frame_equal(constructs.flow_positions(p), ref_flow_positions(p), check_exact=True)
    gd = panels[0]
    sub = gd[gd["city"] != gd["city"].iloc[0]]   # a city of dist without rows: the same error
    dist = constructs.panel_distances(gd)
    with pytest.raises(ValueError) as e_ref:
        ref_flow_positions(sub, dist=dist)
    with pytest.raises(ValueError) as e_fast:
        constructs.flow_positions(sub, dist=dist)
    assert str(e_fast.value) == str(e_ref.value)
    extra = pd.concat([gd, gd.iloc[[0]]])   # a repeated city-year: the reference's error
    with pytest.raises(ValueError) as e_ref:
        ref_flow_positions(extra)
    with pytest.raises(ValueError) as e_fast:
        constructs.flow_positions(extra)
    assert str(e_fast.value) == str(e_ref.value)


def test_spatial_exposure_bit_identical_and_same_errors():
    from helpers.models import spatial_exposure
    from helpers.simulate import simulate_panel

    rng = np.random.default_rng(16)
    _, truth = simulate_panel(seed=5)
    lat = truth.latent.reset_index()
    lat["n_int"] = rng.integers(0, 50, len(lat))
    for df in (lat, lat.iloc[rng.permutation(len(lat))]):
        for col in ("D", "Z", "n_int"):
            pd.testing.assert_series_equal(spatial_exposure(df, truth.W, col), ref_spatial_exposure(df, truth.W, col),
                                           check_exact=True)
    gap = lat.copy()
    gap.loc[5, "D"] = np.nan
    for bad, W in [(gap, truth.W), (lat.iloc[1:], truth.W), (lat, truth.W.iloc[1:, 1:])]:
        with pytest.raises(ValueError) as e_ref:
            ref_spatial_exposure(bad, W, "D")
        with pytest.raises(ValueError) as e_fast:
            spatial_exposure(bad, W, "D")
        assert str(e_fast.value) == str(e_ref.value)


def test_moran_equals_reference():
    from helpers.models.spatial import _moran_weights

    rng = np.random.default_rng(17)
    _, truth = simulate_panel_once()
    wide = pd.DataFrame(rng.standard_normal((6, len(truth.W))), index=range(2011, 2017), columns=truth.W.index)
    wide.iloc[2] = -wide.iloc[2] * 0.1 + np.arange(len(truth.W))   # some periods with I above, some below E[I]
    res = models.moran(wide, truth.W, n_boot=99, seed=4)
    frame, w = _moran_weights(wide, truth.W)
    w.transform = "r"
    ref = ref_moran_rows(frame, w.full()[0], 99, 4)
    pd.testing.assert_frame_equal(res.to_frame(), ref, check_exact=True, check_names=False)


def test_latent_states_reshaped_like_each_alone():
    from helpers.simulate.counterfactual import _latent_wide

    _, truth = simulate_panel_once()
    cities = list(truth.W.index)   # the registry's order, not the latent frame's alphabetical one
    keys = ["VA", "FN", "q", "X"]
    for k, v in _latent_wide(truth.latent, keys, cities).items():
        ref = truth.latent[k].unstack("city")[cities].to_numpy()
        assert np.array_equal(v, ref) and v.flags["C_CONTIGUOUS"] == ref.flags["C_CONTIGUOUS"]
    with pytest.raises(KeyError):
        _latent_wide(truth.latent, keys, [*cities, "Atlantis"])


def simulate_panel_once():
    from helpers.simulate import simulate_panel

    return simulate_panel(seed=6)


@pytest.mark.parametrize("kw", [{"seed": 3}, {"seed": 6, "params": {"missing_rate": 0.05}},
                                {"seed": 5, "n": 40, "years": tuple(range(2011, 2016))}])
def test_simulated_panel_equals_reference(kw, monkeypatch):
    import helpers.simulate as sim
    from helpers.data import cities

    kw = dict(kw)
    if "n" in kw:
        kw["cities"] = cities.city_set("sample", n=kw.pop("n"), seed=kw["seed"])
    fast, _ = sim.simulate_panel(**kw)
    monkeypatch.setattr(sim, "_yearbook_rows", ref_yearbook_rows)
    ref, _ = sim.simulate_panel(**kw)
    pd.testing.assert_frame_equal(fast, ref, check_exact=True, check_index_type=True)
    assert isinstance(fast.index, pd.RangeIndex) and fast.attrs == ref.attrs
    assert (fast.dtypes == ref.dtypes).all() and (fast.dtypes.astype(str) == "Int64").sum() == 3


# ------------------------------------------------------------------------------ end to end
#: Stored twins recomputed: (cell file, row positions). The cells hold rows computed by the code
#: these fast paths replaced (each row records its seed, city count, years and world).
STORED = [("21x13-effect", (0, 7)), ("21x8-effect", (1,)), ("50x8-effect", (2,)), ("21x13-null", (3,)),
          ("21x13-null_unconfounded", (4,)), ("50x13-effect", (5,))]


@pytest.mark.parametrize("cell,rows", STORED)
def test_stored_design_twins_recompute_exactly(root, cell, rows):
    from helpers.studies import power
    from helpers.studies.twin_cell import design_twin

    path = root / "data" / "power" / f"{cell}.parquet"
    if not path.exists():
        pytest.skip(f"{path} is not in this checkout")
    stored = pd.read_parquet(path)
    for i in rows:
        r = stored.iloc[i]
        row = design_twin(int(r["n_cities"]), int(r["n_years"]), str(r["world"]), int(r["seed"]), **power.OPTIONS)
        assert set(row) == set(stored.columns) - {"n_cities", "n_years", "world", "rep", "seed"}
        differ = {k: (v, r[k]) for k, v in row.items() if not _same(v, r[k].item() if hasattr(r[k], "item") else r[k])}
        assert not differ, f"{cell} row {i}"
        assert sum(isinstance(v, bool) for v in row.values()) > 20
