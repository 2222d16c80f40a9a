"""National constructs and tests: co-agglomeration by hand, the mechanical rule, MDE, CRV3, the
specification curve (tests/test_national.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import measure, models
from helpers.analysis import national as nat
from helpers.analysis import national_inference as ni
from helpers.book import national_sentences as ns
from helpers.measure.cluster import PRODUCER_SERVICES, coagglomeration_panel


# --------------------------------------------------------------------------- co-agglomeration
def _emp_frame():
    """Two years, three cities; services split over the five producer-service columns."""
    rows = []
    # (city, year, manufacturing, services total, total employment)
    for city, year, m, s, tot in [("A", 2015, 50, 10, 100), ("B", 2015, 10, 30, 100), ("C", 2015, 40, 20, 200),
                                  ("A", 2016, 30, 30, 100), ("B", 2016, 30, 30, 100), ("C", 2016, 60, 60, 200)]:
        r = {"city": city, "year": year, "emp_manufacturing": m, "employment": tot}
        r.update({c: s / 5 for c in PRODUCER_SERVICES})
        rows.append(r)
    return pd.DataFrame(rows)


def test_coagglomeration_hand_example():
    out = coagglomeration_panel(_emp_frame())
    # 2015: national shares m = 100/400 = 0.25, s = 60/400 = 0.15
    lq_m_a, lq_s_a = (50 / 100) / 0.25, (10 / 100) / 0.15          # 2.0, 0.6667
    ca_a = 1 - abs(lq_m_a - lq_s_a) / (lq_m_a + lq_s_a) + (lq_m_a + lq_s_a)
    assert out.loc[0, "lq_manufacturing"] == pytest.approx(2.0)
    assert out.loc[0, "lq_services"] == pytest.approx(lq_s_a)
    assert out.loc[0, "coagg_full"] == pytest.approx(ca_a)          # 0.5 + 2.6667 = 3.1667
    assert out.loc[0, "coagg_full"] == pytest.approx(3.1666667)
    lq_m_b, lq_s_b = 0.1 / 0.25, 0.3 / 0.15                          # 0.4, 2.0
    assert out.loc[1, "coagg_quality"] == pytest.approx(1 - abs(lq_m_b - lq_s_b) / (lq_m_b + lq_s_b))
    assert out.loc[1, "coagg_quality"] == pytest.approx(1 - 1.6 / 2.4)
    # 2016: every city has the national structure -> LQ 1, quality 1, scale 2
    assert out.loc[3:, "coagg_quality"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert out.loc[3:, "coagg_full"].tolist() == pytest.approx([3.0, 3.0, 3.0])
    # the same numbers as the two-part index applied to the quotients
    again = measure.coagglomeration(out["lq_manufacturing"], out["lq_services"], part="full")
    assert np.allclose(again.to_numpy(), out["coagg_full"].to_numpy())


def test_coagglomeration_within_year_benchmark_weighted_mean_is_one():
    out = coagglomeration_panel(_emp_frame())
    d = _emp_frame().join(out)
    for _, g in d.groupby("year"):
        assert np.average(g["lq_manufacturing"], weights=g["employment"]) == pytest.approx(1.0)


def test_coagglomeration_errors_name_city_year_column():
    d = _emp_frame()
    d.loc[4, "emp_finance"] = np.nan
    with pytest.raises(ValueError, match=r"city B, year 2016: column 'emp_finance'"):
        coagglomeration_panel(d)
    d = _emp_frame()
    d.loc[2, "emp_manufacturing"] = 500
    with pytest.raises(ValueError, match=r"city C, year 2015: manufacturing plus producer services exceed"):
        coagglomeration_panel(d)
    d = pd.concat([_emp_frame(), _emp_frame().iloc[[0]]])
    with pytest.raises(ValueError, match="city A, year 2015 appears more than once"):
        coagglomeration_panel(d.reset_index(drop=True))


# --------------------------------------------------------------------------- mechanical rule, MDE
def test_is_mechanical_from_declared_inputs():
    assert nat.is_mechanical("telecom_per_head", "coupling_d")        # population on both sides
    assert nat.is_mechanical("lq_manufacturing", "coagg_full")        # manufacturing employment
    assert nat.is_mechanical("coagg_full", "productivity_worker")     # total employment
    assert not nat.is_mechanical("pku_index", "coagg_full")
    assert not nat.is_mechanical("va_entropy", "coagg_quality")
    assert nat.shared_inputs("broadband_per100", "coupling_d") == {"population"}
    for a, b in itertools.product(nat.INPUTS, repeat=2):             # symmetric, reflexive, set rule
        assert nat.is_mechanical(a, b) == nat.is_mechanical(b, a) == bool(nat.INPUTS[a] & nat.INPUTS[b])
        assert nat.is_mechanical(a, a)
    with pytest.raises(KeyError, match="'gdp_growth' declares no inputs"):
        nat.is_mechanical("gdp_growth", "coagg_full")
    custom = {"x": frozenset({"a"}), "y": frozenset({"b"})}
    assert not nat.is_mechanical("x", "y", custom)


def test_mde_closed_form():
    assert nat.mde(0.1) == pytest.approx((1.959963985 + 0.841621234) * 0.1)
    # t table (20 df): t_0.975 = 2.086, t_0.80 = 0.860
    assert nat.mde(0.1, df=20) == pytest.approx((2.086 + 0.860) * 0.1, abs=1e-4)
    assert nat.mde(0.2, alpha=0.10, power=0.9) == pytest.approx((1.644853627 + 1.281551566) * 0.2)
    assert np.allclose(nat.mde(np.array([0.1, 0.2])), [0.28015852, 0.56031704])


def test_null_reading_names_an_effect_only_when_the_interval_excludes_it():
    row = {"ci_low": -0.02, "ci_high": 0.03, "mde": 0.05}
    assert "rules out effects that large" in ns.null_reading(row)
    row = {"ci_low": -0.08, "ci_high": 0.03, "mde": 0.05}
    assert "rules out positive effects of 0.050" in ns.null_reading(row)
    row = {"ci_low": -0.08, "ci_high": 0.07, "mde": 0.05}
    assert "rules out no effect" in ns.null_reading(row)


# --------------------------------------------------------------------------- FE tests and the curve
def _panel(n_cities=24, years=range(2011, 2020), seed=3, drop=0.08):
    """A small unbalanced city panel with provinces (one of a single city) and the spec constructs."""
    rng = np.random.default_rng(seed)
    reg = nat._registry_seats().index
    codes = [k for k in reg if k // 10000 == 44][:6] + [k for k in reg if k // 10000 != 44][:n_cities - 6]
    rows = []
    for i in range(n_cities):
        prov = "Solo" if i == 0 else f"P{i % 4}"
        a = rng.normal()
        for t in years:
            rows.append({"city": f"c{i:02d}", "code": codes[i],
                         "province": prov, "year": t, "a": a})
    d = pd.DataFrame(rows)
    d = d[rng.random(len(d)) > drop].reset_index(drop=True)
    n = len(d)
    for v in ("broadband_per100", "mobile_per100", "log_population", "financial_depth", "lq_secondary",
              "flow_capital"):
        d[v] = d["a"] + rng.normal(size=n)
    d["va_entropy"] = 0.5 * d["broadband_per100"] + rng.normal(size=n)
    for y in ("coagg_full", "coagg_quality", "coupling_d", "chain_coagg", "local_sourcing",
              "productivity_worker"):
        d[y] = 0.3 * d["va_entropy"] + d["a"] + 0.1 * (d["year"] - 2015) + rng.normal(size=n)
    d["province_year"] = d["province"] + " " + d["year"].astype(str)
    d["guangdong"] = d["code"] // 10000 == 44
    d["flag_zero_value"] = (rng.random(n) < 0.05).astype(float)
    return d


@pytest.mark.parametrize("time", ["year", "province_year"])
def test_crv3_equals_panel_fe_jackknife(time):
    d = _panel()
    regs = ["va_entropy", "log_population"]
    V = ni.crv3_cov(d, "coagg_full", regs, time=time)
    ref = models.panel_fe(d, "coagg_full", "va_entropy", controls="log_population", time=time, vcov="CRV3")
    assert np.allclose(V, ref.cov.to_numpy(), rtol=1e-7, atol=1e-12)


def test_fe_test_equals_panel_fe_and_uses_t_for_crv3():
    c = _panel()
    r1 = ni.fe_test(c, "coagg_full", "va_entropy", controls=["log_population"], effects="city + province-year")
    z = ni.estimation_sample(c, ["coagg_full", "va_entropy", "log_population"])
    ref = models.panel_fe(z, "coagg_full", "va_entropy", controls="log_population", time="province_year",
                          vcov="CRV1")   # fe_test's CRV1 (the panel has fewer than 50 cities: "auto" is CRV3)
    assert r1["estimate"] == pytest.approx(float(ref.params["va_entropy"]), rel=1e-12)
    assert r1["se"] == pytest.approx(float(ref.std_errors["va_entropy"]), rel=1e-12)
    assert r1["ci_high"] - r1["estimate"] == pytest.approx(stats.norm.ppf(0.975) * r1["se"])
    r3 = ni.fe_test(c, "coagg_full", "va_entropy", controls=["log_population"], vcov="CRV3")
    G = r3["clusters"]
    assert G == c["city"].nunique()
    assert r3["ci_high"] - r3["estimate"] == pytest.approx(stats.t.ppf(0.975, G - 1) * r3["se"])
    assert r3["mde"] == pytest.approx((stats.t.ppf(0.975, G - 1) + stats.t.ppf(0.8, G - 1)) * r3["se"])
    assert r3["p"] == pytest.approx(2 * stats.t.sf(abs(r3["estimate"] / r3["se"]), G - 1))


def test_estimation_sample_standardises_and_filters():
    c = _panel()
    z = ni.estimation_sample(c, ["coagg_full", "va_entropy"], sample="from 2013")
    assert z["year"].min() == 2013
    assert z["coagg_full"].mean() == pytest.approx(0.0, abs=1e-12)
    assert z["coagg_full"].std(ddof=0) == pytest.approx(1.0)
    u = ni.estimation_sample(c, ["coagg_full", "va_entropy"], sample="unflagged")
    assert (u["flag_zero_value"] == 0).all()
    with pytest.raises(ValueError, match="sample must be one of"):
        ni.estimation_sample(c, ["coagg_full"], sample="east only")


def test_specification_curve_count_shares_and_flags():
    c = _panel()
    va = ("broadband_per100", "mobile_per100", "va_entropy", "pku_index")          # pku absent: skipped
    sc = ni.specification_curve(c, va=va)
    n_expected = 3 * len(nat.SYNERGY) * len(nat.CONTROL_SETS) * len(nat.SAMPLES) * len(nat.EFFECTS)
    assert len(sc.table) == n_expected >= 48
    assert sc.skipped == ["pku_index"]
    t = sc.table
    assert t["estimate"].is_monotonic_increasing
    sh = sc.shares.loc["all"]
    assert sh["positive"] + sh["negative"] == pytest.approx(1.0)
    assert sh["significant positive"] == pytest.approx(((t["estimate"] > 0) & (t["p"] < 0.05)).mean())
    assert sh["significant positive"] <= sh["positive"] and sh["significant negative"] <= sh["negative"]
    # the mechanical flag is the declared-input rule, and a mechanical spec is never "supported"
    assert (t["mechanical"] == [nat.is_mechanical(x, y) for x, y in zip(t["x"], t["y"])]).all()
    assert (t.loc[t["mechanical"], "verdict"] == "mechanical").all()
    assert t["mechanical"].sum() == 3 * len(nat.CONTROL_SETS) * len(nat.SAMPLES) * len(nat.EFFECTS)  # x coupling_d
    assert sc.shares.loc["not mechanical", "specifications"] == n_expected - t["mechanical"].sum()
    # one row of the curve equals a direct panel_fe fit
    row = t[(t["x"] == "va_entropy") & (t["y"] == "coagg_full") & (t["controls"] == "population")
            & (t["sample"] == "all years") & (t["effects"] == "city + year")].iloc[0]
    z = ni.estimation_sample(c, ["coagg_full", "va_entropy", "log_population"])
    ref = models.panel_fe(z, "coagg_full", "va_entropy", controls="log_population")
    assert row["estimate"] == pytest.approx(float(ref.params["va_entropy"]), rel=1e-12)


def test_chain_synergy_declares_employment_not_the_national_table():
    from helpers.measure import io_coefficients

    emp19 = {f"emp_{i}" for i in nat.CHAIN_INDUSTRIES}
    assert len(emp19) == 19 and set(nat.CHAIN_INDUSTRIES) == set(io_coefficients()["from_industry"])
    for k in nat.CHAIN_SYNERGY:
        assert k in nat.SYNERGY
        assert nat.INPUTS[k] == emp19 | {"employment_nonagri"}
        assert nat.NATIONAL_INPUTS[k] and not nat.NATIONAL_INPUTS[k] & nat.INPUTS[k]
        for proxy in nat.VA_PROXIES:                                # no employment on the proxy side
            assert not nat.is_mechanical(proxy, k)
        assert nat.shared_inputs("lq_manufacturing", k) == {"emp_manufacturing", "employment_nonagri"}
        assert nat.shared_inputs(k, "productivity_worker") == {"employment_nonagri"}
        assert nat.is_mechanical(k, "coagg_full")
        assert not nat.is_mechanical(k, "lq_secondary") and not nat.is_mechanical(k, "flow_capital")
    table = nat.construct_table(_panel()).set_index("construct")
    assert table.loc["chain_coagg", "raw inputs"] == "emp_<19 industries>, employment_nonagri"
    assert "input-output" in table.loc["chain_coagg", "national inputs"]
    assert table.loc["coagg_full", "national inputs"] == "none"


def test_curve_grows_by_the_chain_specifications():
    c = _panel()
    va = ("broadband_per100", "mobile_per100", "va_entropy")
    kw = {"va": va, "samples": ("all years", "from 2013"), "effects": ("city + year",)}
    without = [y for y in nat.SYNERGY if y not in nat.CHAIN_SYNERGY]
    assert list(nat.SYNERGY_WITHOUT_CHAIN) == without
    small = ni.specification_curve(c, synergy=without, **kw).table
    full = ni.specification_curve(c, **kw).table
    grow = len(va) * len(nat.CHAIN_SYNERGY) * len(nat.CONTROL_SETS) * 2 * 1
    assert len(full) - len(small) == grow
    added = full[full["y"].isin(nat.CHAIN_SYNERGY)]
    assert len(added) == grow and not added["mechanical"].any()
    keys = ["x", "y", "controls", "sample", "effects"]
    kept = small.merge(full, on=keys, suffixes=("", "_full"))
    assert len(kept) == len(small) and np.allclose(kept["estimate"], kept["estimate_full"], rtol=1e-12)
    # shares by synergy construct partition the curve
    by = ni.curve_shares_by(full, order=nat.SYNERGY)
    assert list(by.index.get_level_values("y").unique()) == list(nat.SYNERGY)
    assert by.xs("all", level="scope")["specifications"].sum() == len(full)
    pd.testing.assert_frame_equal(by.loc["chain_coagg"], ni.curve_shares(added[added["y"] == "chain_coagg"]),
                                  check_names=False)
    lines = ns.construct_curve_sentences(by)
    assert len(lines) == len(nat.SYNERGY)
    r = by.loc[("chain_coagg", "all")]
    assert f"{int(r['specifications'])} specifications (none mechanical): {r['positive']:.0%}" in lines[3]
    # without employment by industry, chain synergy is skipped and named
    sc = ni.specification_curve(c.drop(columns=list(nat.CHAIN_SYNERGY)), **kw)
    assert len(sc.table) == len(small) and sc.skipped == list(nat.CHAIN_SYNERGY)


def test_national_constructs_chain_synergy_aligned_by_code():
    from helpers.analysis.chain import chain_panel

    rng = np.random.default_rng(5)
    rows = []
    for i, code in enumerate([440100, 440300, 320100, 110100, 510100]):
        for t in (2015, 2016, 2019):
            u = rng.uniform(0.5, 1.5, size=5)
            r = {"city": f"c{i}", "code": code, "province": f"P{i % 2}", "year": t, "population": 100.0,
                 "gdp": 1e3, "va_primary": 50.0, "va_secondary": 400.0 * u[0], "va_tertiary": 550.0 * u[4],
                 "loans": 800.0, "broadband_users_10k_hh": 30.0 * u[1], "mobile_users_10k_hh": 90.0 * u[2],
                 "telecom_revenue_10k_yuan": 5e4 * u[3]}
            r.update({f"emp_{k}": float(rng.uniform(1, 20)) for k in nat.CHAIN_INDUSTRIES})
            if t == 2019:
                r["emp_agriculture"] = np.nan                    # not published in data year 2019
            r["employment_nonagri"] = sum(r[f"emp_{k}"] for k in nat.CHAIN_INDUSTRIES[1:])
            rows.append(r)
    p = pd.DataFrame(rows).sample(frac=1.0, random_state=1)           # rows out of order
    c = nat.national_constructs(p, years=(2015, 2016, 2019), flows=False)
    ref, _ = chain_panel(p, city="code", keep=())
    got = c.merge(ref, on=["code", "year"], suffixes=("", "_ref"))
    assert len(got) == 10
    for k in nat.CHAIN_SYNERGY:
        assert np.allclose(got[k], got[f"{k}_ref"], rtol=1e-12)
    assert c.loc[c["year"] == 2019, list(nat.CHAIN_SYNERGY)].isna().all().all()
    assert c["coagg_full"].notna().all()                              # cluster synergy keeps 2019


def test_hypothesis_tests_flag_mechanical_and_cover_each_variant():
    c = _panel()
    h = ni.hypothesis_tests(c, vcovs=("CRV1",))
    assert list(h["hypothesis"]) == list(ni.HYPOTHESES) * len(nat.EFFECTS)
    o2 = h[h["hypothesis"] == "O2"]
    assert (o2["verdict"] == "mechanical").all() and (o2["shared"] == "employment_nonagri").all()
    assert not h.loc[h["hypothesis"] == "H1", "mechanical"].any()
    ch = ni.hypothesis_tests(c, y="chain_coagg", vcovs=("CRV1",), effects=("city + year",))
    assert (ch.loc[ch["hypothesis"].str.startswith("H"), "y"] == "chain_coagg").all()
    assert ch.set_index("hypothesis").loc["O2", "x"] == "chain_coagg"
    assert ch.set_index("hypothesis").loc["O2", "shared"] == "employment_nonagri"
    assert list(ch.loc[ch["mechanical"], "hypothesis"]) == ["O2"]


# --------------------------------------------------------------------------- constructs on a frame
def test_national_constructs_by_hand():
    rows = []
    for i, (code, prov) in enumerate([(440100, "Guangdong"), (440300, "Guangdong"), (320100, "Jiangsu")]):
        for t in (2015, 2016):
            r = {"city": f"c{i}", "code": code, "province": prov, "year": t, "population": 100.0 + 10 * i + t - 2015,
                 "gdp": 1000.0 + 100 * i, "va_primary": 50.0, "va_secondary": 400.0 + 50 * i, "va_tertiary": 550.0,
                 "loans": 800.0 + i, "broadband_users_10k_hh": 30.0 + i, "mobile_users_10k_hh": 90.0 + 2 * i + t - 2015,
                 "telecom_revenue_10k_yuan": 5e4 + 1e3 * i, "emp_manufacturing": 20.0 + 5 * i,
                 "employment_nonagri": 100.0}
            r.update({col: 4.0 + i for col in PRODUCER_SERVICES})
            rows.append(r)
    c = nat.national_constructs(pd.DataFrame(rows), years=(2015, 2016), flows=False)
    r0 = c.iloc[0]
    assert r0["broadband_per100"] == pytest.approx(30.0)                      # 30 / 100 * 100
    assert r0["telecom_per_head"] == pytest.approx(500.0)                     # yuan per resident
    y15 = c[c["year"] == 2015]
    share = y15["va_secondary"] / (50 + y15["va_secondary"] + 550)
    nat_share = y15["va_secondary"].sum() / (50 + y15["va_secondary"] + 550).sum()
    assert np.allclose(y15["lq_secondary"], share / nat_share)
    assert c["guangdong"].tolist() == [True] * 4 + [False] * 2
    assert c["productivity_worker"].iloc[0] == pytest.approx(np.log(1000.0 * 1e4 / 100.0))
    X = c[["broadband_per100", "mobile_per100", "telecom_per_head"]]
    assert np.allclose(c["va_entropy"], measure.entropy_index(X, shift=0.002))


def test_national_constructs_on_the_real_panel(realdata):
    china = pytest.importorskip("helpers.data.china")
    p = china.load_china(years=range(2019, 2020))
    c = nat.national_constructs(p, years=(2019,), flows=False)
    gz = c[c["code"] == 440100].iloc[0]
    raw = p[p["code"] == 440100].iloc[0]
    assert gz["broadband_per100"] == pytest.approx(100 * raw["broadband_users_10k_hh"] / raw["population"])
    assert c["city"].nunique() > 280


# --------------------------------------------------------------------------- regional synergy
def test_regional_inequality_matches_theil_by_hand():
    d = pd.DataFrame({"year": [2020] * 4, "province": ["A", "A", "B", "B"], "gdp": [1.0, 2.0, 3.0, 6.0],
                      "population": [1e4, 1e4, 1e4, 2e4]})
    t = nat.regional_inequality(d)
    y = d["gdp"] * 1e4 / d["population"]
    s = d["gdp"] / d["gdp"].sum()
    p = d["population"] / d["population"].sum()
    total = float((s * np.log(s / p)).sum())                     # Theil T = sum s_i ln(s_i / p_i)
    assert t.at[2020, "total"] == pytest.approx(total)
    sg = s.groupby(d["province"]).sum()
    pg = p.groupby(d["province"]).sum()
    assert t.at[2020, "between"] == pytest.approx(float((sg * np.log(sg / pg)).sum()))
    assert t.at[2020, "between"] + t.at[2020, "within"] == pytest.approx(t.at[2020, "total"])
    assert y.notna().all()


def test_convergence_recovers_a_known_slope():
    rng = np.random.default_rng(0)
    y0 = rng.normal(10, 0.5, 60)
    y1 = y0 + 12 * (0.3 - 0.02 * y0)                              # annual growth 0.3 - 0.02 ln y0 exactly
    d = pd.DataFrame({"code": np.tile(np.arange(60), 2), "year": np.repeat([2011, 2023], 60),
                      "productivity_resident": np.r_[y0, y1]})
    cv = nat.convergence(d, start=2011, end=2023)
    assert cv["beta"] == pytest.approx(-0.02)
    assert cv["speed"] == pytest.approx(-np.log(1 - 12 * 0.02) / 12)
    assert cv["sigma"][2023] == pytest.approx(np.std(y1, ddof=1))   # (1 - 0.24) x the 2011 SD
    assert cv["sigma"][2023] == pytest.approx(0.76 * cv["sigma"][2011])


def test_spec_curve_plot_has_one_point_per_specification():
    import matplotlib

    matplotlib.use("Agg")
    from helpers.book import national_plots

    sc = ni.specification_curve(_panel(), va=("broadband_per100", "va_entropy"), samples=("all years",))
    fig = national_plots.spec_curve_plot(sc.table)
    top, bottom = fig.axes[:2]
    from matplotlib.collections import PathCollection

    n_points = sum(len(col.get_offsets()) for col in top.collections if isinstance(col, PathCollection))
    assert n_points == len(sc.table)
    dims = ("x", "y", "controls", "sample", "effects")
    assert len(bottom.get_yticks()) == sum(sc.table[d].nunique() for d in dims)


def test_closing_briefs_quote_the_full_sentences_numbers_without_repeating_them():
    # the closing section prints the short forms; the full sentences stand beside their tables
    row = pd.Series({"hypothesis": "H1", "effects": "city + year", "vcov": "CRV3", "x": "va_entropy",
                     "y": "coagg_full", "estimate": 0.0163, "ci_low": -0.0171, "ci_high": 0.0493,
                     "p": 0.336, "n": 2036, "clusters": 275, "mde": 0.0472, "verdict": "inconclusive",
                     "shared": ""})
    full, brief = ns.hypothesis_sentence(row), ns.hypothesis_brief(row)
    for number in ("0.016", "[-0.017, 0.049]", "inconclusive", "0.047"):
        assert number in full and number in brief
    assert brief not in full and len(brief) < len(full) / 2

    shares = pd.DataFrame({"specifications": [450, 378], "positive": [0.74, 0.70],
                           "negative": [0.26, 0.30], "significant positive": [0.26, 0.21],
                           "significant negative": [0.06, 0.08]}, index=["all", "not mechanical"])
    curve = type("Curve", (), {"shares": shares, "table": pd.DataFrame(
        {"mechanical": [False], "x": ["va_entropy"], "y": ["coagg_full"], "estimate": [0.1]}),
        "skipped": []})()
    brief = ns.curve_brief(curve)
    for text in ns.curve_sentences(curve)[:2]:
        assert text not in brief
    for number in ("450", "378", "74%", "70%", "26% / 6%", "21% / 8%"):
        assert number in brief


def test_a_test_already_reported_is_named_not_repeated():
    base = {"effects": "city + year", "vcov": "CRV3", "x": "va_entropy", "p": 0.3, "n": 100,
            "clusters": 50, "mde": 0.1, "verdict": "inconclusive", "shared": "", "ci_low": -0.1,
            "ci_high": 0.1}
    main = pd.DataFrame([{**base, "hypothesis": "H1", "y": "coagg_full", "estimate": 0.01},
                         {**base, "hypothesis": "O1", "y": "productivity", "estimate": 0.02}])
    chain = pd.DataFrame([{**base, "hypothesis": "H1", "y": "chain_coagg", "estimate": 0.03},
                          {**base, "hypothesis": "O1", "y": "productivity", "estimate": 0.02}])
    lines = ns.hypothesis_sentences(chain, vcov="CRV3", reported=main)
    assert len(lines) == 2 and lines[0].startswith("H1 (") and lines[1].startswith("O1: the same test")
    assert not set(lines) & set(ns.hypothesis_sentences(main, vcov="CRV3"))


def test_construct_curve_brief_quotes_the_shares_of_the_full_sentences():
    by = pd.DataFrame({"specifications": [30, 30], "positive": [0.73, 0.73], "negative": [0.27, 0.27],
                       "significant positive": [0.10, 0.10], "significant negative": [0.0, 0.0]},
                      index=pd.MultiIndex.from_tuples([("chain_coagg", "all"),
                                                       ("chain_coagg", "not mechanical")]))
    full, brief = ns.construct_curve_sentences(by), ns.construct_curve_brief(by)
    assert len(full) == 1 and full[0] not in brief
    for number in ("30 specifications", "73% positive", "10% / 0%"):
        assert number in brief
