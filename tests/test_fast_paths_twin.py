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
            pd.testing.assert_series_equal(f, r, check_exact=True)


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
        for name in ("params", "std_errors", "pvalues", "boot_ci", "boot_ci_bc"):
            a, b = getattr(f, name), getattr(r, name)
            (pd.testing.assert_series_equal if isinstance(a, pd.Series) else pd.testing.assert_frame_equal)(
                a, b, check_exact=True)
    assert (fast[0].sobel_z, fast[0].sobel_p, fast[0].aroian_p, fast[0].verdict) == (
        ref[0].sobel_z, ref[0].sobel_p, ref[0].aroian_p, ref[0].verdict)
    pd.testing.assert_series_equal(fast[1].indirect, ref[1].indirect, check_exact=True)


def test_t_quantile_equals_scipy_stats():
    for df in (1.0, 2.0, 8.0, 20.0, 20.5, 336.0, 1e6, np.inf):
        res = CoefficientResult(params=pd.Series([1.0]), std_errors=pd.Series([1.0]), pvalues=pd.Series([0.5]),
                                cov=pd.DataFrame([[1.0]]), df_resid=df)
        for level in (0.5, 0.9, 0.95, 0.99):
            assert res._quantile(0.5 + level / 2) == ref_quantile(res, 0.5 + level / 2)


# ------------------------------------------------------------------------------ constructs
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
