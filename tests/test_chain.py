"""Input-output algebra and the chain-synergy measures of cities (issue 25).

Reference numbers: Miller and Blair (2009, section 2.3) two-sector example (closed forms of the
2x2 inverse), constructed tables computed by hand, and the shipped coefficients against the
NBS tables they come from (when ../shared/realdata is present).
"""

import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest

from helpers import measure
from helpers.measure import (
    aggregate_flows,
    chain_coagglomeration,
    employment_long,
    import_proportional_domestic,
    leontief_inverse,
    linkage_mix,
    local_sourcing_potential,
    rasmussen_linkages,
    table_year_for,
    technical_coefficients,
    value_added_shares,
)

MB_Z = pd.DataFrame([[150.0, 500.0], [200.0, 100.0]], index=["1", "2"], columns=["1", "2"])
MB_X = pd.Series({"1": 1000.0, "2": 2000.0})


# --- input-output algebra -------------------------------------------------------------------

def test_miller_blair_coefficients_exact():
    A = technical_coefficients(MB_Z, MB_X)
    assert A.to_numpy().tolist() == [[0.15, 0.25], [0.2, 0.05]]
    assert value_added_shares(MB_Z, MB_X).to_numpy() == pytest.approx([0.65, 0.70], abs=1e-15)


def test_miller_blair_leontief_closed_form():
    L = leontief_inverse(technical_coefficients(MB_Z, MB_X)).to_numpy()
    det = 0.85 * 0.95 - 0.25 * 0.2  # 0.7575
    assert L == pytest.approx(np.array([[0.95, 0.25], [0.2, 0.85]]) / det, rel=1e-12)
    assert L.round(4).tolist() == [[1.2541, 0.33], [0.264, 1.1221]]  # Miller and Blair's table


def test_rasmussen_closed_form():
    link = rasmussen_linkages(leontief_inverse(technical_coefficients(MB_Z, MB_X)))
    # column sums 1.15/det and 1.10/det, row sums 1.20/det and 1.05/det, mean 1.125/det
    assert link["backward"].to_numpy() == pytest.approx([1.15 / 1.125, 1.10 / 1.125], rel=1e-12)
    assert link["forward"].to_numpy() == pytest.approx([1.20 / 1.125, 1.05 / 1.125], rel=1e-12)


def test_three_sector_table_by_hand():
    Z = pd.DataFrame([[10, 20, 0], [5, 0, 30], [0, 40, 10]], index=list("abc"),
                     columns=list("abc"), dtype=float)
    x = pd.Series({"a": 100.0, "b": 200.0, "c": 50.0})
    A = technical_coefficients(Z, x)
    hand = [[0.1, 0.1, 0.0], [0.05, 0.0, 0.6], [0.0, 0.2, 0.2]]
    assert A.to_numpy() == pytest.approx(np.array(hand), abs=1e-15)
    L = leontief_inverse(A)
    assert (np.eye(3) - A.to_numpy()) @ L.to_numpy() == pytest.approx(np.eye(3), abs=1e-12)
    assert (L.to_numpy() >= 0).all()
    # imports of 5 for sector c make v_c = 1 - (0 + 0.6 + 0.2) - 0.1
    assert value_added_shares(Z, x, imports=pd.Series({"a": 0.0, "b": 0.0, "c": 5.0}))["c"] \
        == pytest.approx(0.1, abs=1e-15)


def test_aggregation_is_output_weighted_mean_of_columns():
    Z = pd.DataFrame([[10, 20, 0], [5, 0, 30], [0, 40, 10]], index=list("abc"),
                     columns=list("abc"), dtype=float)
    x = pd.Series({"a": 100.0, "b": 200.0, "c": 50.0})
    Zs, xs = aggregate_flows(Z, x, {"a": "I", "b": "I", "c": "J"})
    A = technical_coefficients(Zs, xs)
    a = technical_coefficients(Z, x)
    # column I of the aggregate = (x_a a_.a + x_b a_.b) / (x_a + x_b), rows summed within I
    col_I = (100 * a["a"] + 200 * a["b"]) / 300
    assert A.loc["I", "I"] == pytest.approx(col_I["a"] + col_I["b"], abs=1e-15)
    assert A.loc["J", "I"] == pytest.approx(col_I["c"], abs=1e-15)
    assert A.loc["I", "J"] == pytest.approx(30 / 50, abs=1e-15)
    with pytest.raises(ValueError, match="no industry for sector"):
        aggregate_flows(Z, x, {"a": "I", "b": "I"})


def test_import_proportionality_by_hand():
    Z = pd.DataFrame([[10.0, 30.0], [20.0, 0.0]], index=["p", "q"], columns=["p", "q"])
    M, x, e = (pd.Series({"p": 25.0, "q": 0.0}), pd.Series({"p": 100.0, "q": 50.0}),
               pd.Series({"p": 25.0, "q": 0.0}))
    D = import_proportional_domestic(Z, M, x, e)
    # mu_p = 25 / (100 - 25 + 25) = 0.25; mu_q = 0
    assert D.to_numpy().tolist() == [[7.5, 22.5], [20.0, 0.0]]
    # exports above output (re-exports): the imported share is capped at one
    D2 = import_proportional_domestic(Z, pd.Series({"p": 10.0, "q": 0.0}), x,
                                      pd.Series({"p": 105.0, "q": 0.0}))
    assert D2.loc["p"].tolist() == [0.0, 0.0]


def test_leontief_refuses_unproductive_table():
    A = pd.DataFrame([[0.6, 0.1], [0.5, 0.2]], index=["s", "t"], columns=["s", "t"])
    with pytest.raises(ValueError, match="inputs of sector 's' sum to 1.1"):
        leontief_inverse(A)


# --- nearest earlier table -------------------------------------------------------------------

@pytest.mark.parametrize("year, table", [(2005, 2005), (2009, 2005), (2010, 2010),
                                         (2014, 2010), (2016, 2015), (2017, 2017),
                                         (2019, 2018), (2023, 2020)])
def test_nearest_earlier_table(year, table):
    assert table_year_for(year, [2020, 2005, 2015, 2010, 2018, 2017]) == table


def test_year_before_first_table_raises():
    with pytest.raises(ValueError, match="year 2004 precedes the first input-output table"):
        table_year_for(2004, [2005, 2010])


# --- chain measures on constructed cities ------------------------------------------------------

def _coef(A: pd.DataFrame, year=2010) -> pd.DataFrame:
    out = A.rename_axis(index="from_industry", columns="to_industry").stack().rename("a_ij")
    return out.reset_index().assign(year=year)


def _emp(table: dict, year=2012) -> pd.DataFrame:
    return pd.DataFrame([{"city": c, "year": year, "industry": i, "employment": float(v)}
                         for c, row in table.items() for i, v in row.items()])


# industries: manuf supplies and buys from services strongly; farm and mine are unlinked
A4 = pd.DataFrame([[0.30, 0.25, 0.00, 0.00],
                   [0.20, 0.10, 0.00, 0.01],
                   [0.00, 0.00, 0.05, 0.00],
                   [0.00, 0.01, 0.00, 0.05]],
                  index=["manufacturing", "services", "farm", "mine"],
                  columns=["manufacturing", "services", "farm", "mine"])
CITIES = {"Linked": {"manufacturing": 50, "services": 50, "farm": 0, "mine": 0},
          "Unlinked": {"manufacturing": 0, "services": 0, "farm": 50, "mine": 50},
          "Mixed": {"manufacturing": 30, "services": 10, "farm": 40, "mine": 20}}


def test_linked_city_scores_higher_than_unlinked():
    cc = chain_coagglomeration(_emp(CITIES), _coef(A4)).set_index("city")["chain_coagg"]
    assert cc["Linked"] > 10 * cc["Unlinked"]
    assert (chain_coagglomeration(_emp(CITIES), _coef(A4), symmetrise="mean")
            .set_index("city").loc["Linked", "chain_coagg"]
            > chain_coagglomeration(_emp(CITIES), _coef(A4), symmetrise="mean")
            .set_index("city").loc["Unlinked", "chain_coagg"])


def test_chain_coagg_second_implementation():
    """Pair loop over location quotients against the matrix form."""
    emp = _emp(CITIES)
    cc = chain_coagglomeration(emp, _coef(A4)).set_index("city")["chain_coagg"]
    wide = emp.pivot(index="city", columns="industry", values="employment")[A4.index]
    S = wide.sum() / wide.to_numpy().sum()
    lq = wide.div(wide.sum(axis=1), axis=0) / S
    for c in wide.index:
        num = den = 0.0
        for i in A4.index:
            for j in A4.index:
                if i != j:
                    w = max(A4.loc[i, j], A4.loc[j, i]) * S[i] * S[j]
                    num += w * lq.loc[c, i] * lq.loc[c, j]
                    den += w
        assert cc[c] == pytest.approx(num / den, rel=1e-12)


def test_national_mix_city_scores_one():
    table = {"P": {"manufacturing": 1, "services": 2, "farm": 3, "mine": 4},
             "Q": {"manufacturing": 2, "services": 4, "farm": 6, "mine": 8}}
    cc = chain_coagglomeration(_emp(table), _coef(A4))["chain_coagg"]
    assert cc.to_numpy() == pytest.approx([1.0, 1.0], abs=1e-12)


def test_local_sourcing_by_hand():
    lsp = local_sourcing_potential(_emp(CITIES), _coef(A4)).set_index("city")["local_sourcing"]
    # manufacturing's requirements outside itself: services 0.20 of 0.20 (farm, mine 0)
    # national shares: manuf 80/300, services 60/300, farm 90/300, mine 70/300
    # Linked: services LQ = 0.5/0.2 > 1 -> 1; Unlinked: services 0 -> 0;
    # Mixed: services share 0.1 < 0.2 -> 0
    assert lsp.to_dict() == {"Linked": 1.0, "Mixed": 0.0, "Unlinked": 0.0}
    own = local_sourcing_potential(_emp(CITIES), _coef(A4), include_own=True)
    # with manufacturing's own 0.30: Mixed has manufacturing LQ = 0.3/(80/300) > 1 -> 0.30 / 0.50
    assert own.set_index("city").loc["Mixed", "local_sourcing"] == pytest.approx(0.6, abs=1e-15)


def test_linkage_mix_of_a_one_industry_city():
    table = {"OnlyManuf": {"manufacturing": 10, "services": 0, "farm": 0, "mine": 0},
             "Rest": {"manufacturing": 0, "services": 10, "farm": 10, "mine": 10}}
    out = linkage_mix(_emp(table), _coef(A4)).set_index("city")
    link = rasmussen_linkages(leontief_inverse(A4))
    assert out.loc["OnlyManuf", "backward_linkage"] == pytest.approx(link.loc["manufacturing", "backward"])
    assert out.loc["Rest", "forward_linkage"] == pytest.approx(
        link.loc[["services", "farm", "mine"], "forward"].mean())


def test_chain_synergy_uses_the_nearest_earlier_table():
    emp = pd.concat([_emp(CITIES, 2016), _emp(CITIES, 2017)])
    coef = pd.concat([_coef(A4, 2015), _coef(A4 * 0.5, 2017)])
    out = measure.chain_synergy(emp, coef)
    assert out.groupby("year")["table_year"].first().to_dict() == {2016: 2015, 2017: 2017}


def test_bad_employment_names_city_year_industry():
    emp = _emp(CITIES)
    emp.loc[(emp.city == "Mixed") & (emp.industry == "farm"), "employment"] = np.nan
    with pytest.raises(ValueError, match="city 'Mixed', year 2012, industry 'farm'"):
        chain_coagglomeration(emp, _coef(A4))
    with pytest.raises(ValueError, match="industry 'ict' has no input-output coefficients"):
        chain_coagglomeration(pd.concat([_emp(CITIES), _emp({"Mixed": {"ict": 1}})]), _coef(A4))


def test_employment_long_reads_blank_mining_as_zero_and_drops_other_blanks():
    wide = pd.DataFrame({"city": ["A", "B", "C"], "year": [2019] * 3,
                         "emp_manufacturing_persons": [5.0, 6.0, np.nan],
                         "emp_mining_persons": [np.nan, 1.0, 2.0]})
    long, dropped = employment_long(wide, ["manufacturing", "mining"], suffix="_persons")
    assert long.set_index(["city", "industry"])["employment"].to_dict() == {
        ("A", "manufacturing"): 5.0, ("B", "manufacturing"): 6.0, ("A", "mining"): 0.0, ("B", "mining"): 1.0}
    assert dropped.to_dict("records") == [{"city": "C", "year": 2019, "missing": "manufacturing"}]


# --- the shipped coefficients ------------------------------------------------------------------

def _shipped(root, name):
    return pd.read_csv(root / "data" / name)


def test_shipped_2020_columns_plus_value_added_equal_one(root):
    coef = _shipped(root, "io_coefficients.csv")
    ind = _shipped(root, "io_industry.csv").set_index(["year", "industry"])
    col = coef[coef.year == 2020].groupby("to_industry")["a_ij"].sum()
    total = col + ind.loc[2020, "imported_input_share"].reindex(col.index) \
        + ind.loc[2020, "value_added_share"].reindex(col.index)
    assert len(col) == 19
    assert total.to_numpy() == pytest.approx(np.ones(19), abs=1e-9)
    # total (domestic + imported) coefficients: column sums + value-added share = 1
    tot = coef[coef.year == 2020].groupby("to_industry")["a_ij_total"].sum()
    assert (tot + ind.loc[2020, "value_added_share"].reindex(tot.index)).to_numpy() \
        == pytest.approx(np.ones(19), abs=1e-9)
    assert (coef["a_ij"] >= 0).all() and (coef["a_ij_total"] >= coef["a_ij"] - 1e-15).all()


def test_shipped_leontief_inverts_shipped_coefficients(root):
    coef = _shipped(root, "io_coefficients.csv")
    leon = _shipped(root, "io_leontief.csv")
    assert sorted(coef.year.unique()) == [2005, 2010, 2015, 2017, 2018, 2020]
    for t in coef.year.unique():
        A = coef[coef.year == t].pivot(index="from_industry", columns="to_industry", values="a_ij")
        L = leon[leon.year == t].pivot(index="from_industry", columns="to_industry",
                                       values="l_ij").loc[A.index, A.columns]
        assert (np.eye(19) - A.to_numpy()) @ L.to_numpy() == pytest.approx(np.eye(19), abs=1e-9)


def test_loader_returns_the_shipped_domestic_coefficients(root):
    coef = measure.io_coefficients()
    assert list(coef.columns) == ["year", "from_industry", "to_industry", "a_ij"]
    assert coef["a_ij"].to_numpy() == pytest.approx(
        _shipped(root, "io_coefficients.csv")["a_ij"].to_numpy(), rel=0, abs=0)


def test_shipped_crosswalk_maps_each_sector_once(root):
    cw = _shipped(root, "io_crosswalk.csv")
    assert not cw.duplicated(["table_year", "sector_code"]).any()
    assert cw.groupby("table_year").size().to_dict() == {2005: 42, 2010: 41, 2015: 42, 2017: 42,
                                                         2018: 42, 2020: 42}
    assert cw.groupby("table_year")["industry"].nunique().eq(19).all()
    assert cw.groupby("table_year")["sector_code"].apply(
        lambda s: sorted(s.astype(int)) == list(range(1, len(s) + 1))).all()


def _build_io(root):
    spec = importlib.util.spec_from_file_location("build_io", root / "tools" / "build_io.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_io"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.realdata
def test_crosswalk_covers_every_table_sector_exactly_once(root, realdata):
    build_io = _build_io(root)
    cw = _shipped(root, "io_crosswalk.csv")
    for year, name in build_io.TABLES.items():
        raw = pd.read_csv(realdata / build_io.IO_DIR / name, dtype={"Code": str})
        codes = [c for c in raw.columns if c.isdigit()]
        mapped = cw[cw.table_year == year]
        assert sorted(mapped["sector_code"].astype(int)) == sorted(int(c) for c in codes)
        descr = raw[raw.Code.isin(codes)].drop_duplicates("Code")["Description"]
        assert set(descr) <= set(build_io.CROSSWALK)


@pytest.mark.realdata
def test_shipped_files_equal_a_rebuild_from_the_nbs_tables(root, realdata):
    frames = _build_io(root).build(realdata)
    for name, df in frames.items():
        shipped = _shipped(root, name)
        assert list(shipped.columns) == list(df.columns), name
        num = df.select_dtypes("number").columns
        assert shipped[num].to_numpy() == pytest.approx(df[num].to_numpy(), rel=1e-11), name


@pytest.mark.realdata
def test_chain_measures_on_the_yearbook(realdata):
    wide = pd.read_csv(realdata / "ccsy_city_yearbook" /
                       "ccsy_city_employment_by_industry_2005_2019.csv")
    wide = wide.rename(columns={"emp_agri_persons": "emp_agriculture_persons",
                                "emp_manuf_persons": "emp_manufacturing_persons"})
    industries = sorted(measure.io_coefficients()["from_industry"].unique())
    long, dropped = employment_long(wide[wide.year == 2019], industries, suffix="_persons")
    out = measure.chain_synergy(long, measure.io_coefficients())
    assert (out["table_year"] == 2018).all()
    assert out["local_sourcing"].between(0, 1).all()
    assert len(out) + len(dropped) == (wide.year == 2019).sum()


# --- the chapter's computations (helpers.analysis.chain) ---------------------------------------

CITIES2 = {"Linked": {"manufacturing": 50, "services": 50, "farm": 1, "mine": 0},
           "Unlinked": {"manufacturing": 1, "services": 1, "farm": 50, "mine": 50},
           "Mixed": {"manufacturing": 30, "services": 10, "farm": 40, "mine": 20}}


def _panel(years=(2017, 2018)):
    rows = []
    for y in years:
        for c, mix in CITIES2.items():
            rows.append({"city": c, "year": y, "province": "P" if c != "Mixed" else "Q",
                         **{f"emp_{i}": float(v) for i, v in mix.items()}})
    return pd.DataFrame(rows)


def test_chain_panel_drops_unpublished_years_and_reads_blank_mining_as_zero():
    from helpers.analysis import chain as ca
    from helpers.book import chain_report

    p = _panel((2017, 2018, 2019))
    p.loc[p.year == 2019, "emp_farm"] = np.nan            # not published for any city
    p.loc[(p.year == 2018) & (p.city == "Linked"), "emp_mine"] = np.nan   # blank mining
    out, dropped = ca.chain_panel(p, _coef(A4, 2015), missing_as_zero=("mine",),
                                  services=("services",))
    assert sorted(out.year.unique()) == [2017, 2018]
    assert dropped["missing"].tolist() == ["farm (not published)"] * 3
    # blank mining is zero: Linked's 2018 row equals its 2017 row (mine was 0 there)
    a = out.set_index(["city", "year"])
    assert a.loc[("Linked", 2018), "chain_coagg"] == a.loc[("Linked", 2017), "chain_coagg"]


def test_cluster_coagglomeration_by_hand():
    from helpers.analysis import chain as ca
    from helpers.book import chain_report

    emp = _emp(CITIES2)
    cl = ca.cluster_coagglomeration(emp, services=("services",)).set_index("city")
    # national: manufacturing 81/303, services 61/303; Mixed: 30/100 and 10/100
    lq_m, lq_s = 0.3 / (81 / 303), 0.1 / (61 / 303)
    assert cl.loc["Mixed", "coagg_full"] == pytest.approx(
        1 - abs(lq_m - lq_s) / (lq_m + lq_s) + lq_m + lq_s, rel=1e-12)
    assert cl.loc["Mixed", "manufacturing_share"] == pytest.approx(0.3)


def test_against_nation_midrank_percentiles():
    from helpers.analysis import chain as ca
    from helpers.book import chain_report

    df = pd.DataFrame({"city": list("abcd"), "year": 2018, "x": [1.0, 2.0, 2.0, 4.0]})
    out = ca.against_nation(df, ["x"], df.city.isin(["b", "d"]))
    # ranks 2.5 and 4 of 4: (2.5 - 0.5)/4 and (4 - 0.5)/4
    assert out["x_pctile"].tolist() == [50.0, 87.5]


def test_within_city_associations_equal_panel_fe_on_standardised_data():
    from helpers.analysis import chain as ca
    from helpers.book import chain_report
    from helpers.models import panel_fe

    rng = np.random.default_rng(7)
    df = pd.DataFrame({"city": np.repeat(list("abcdefgh"), 5), "year": np.tile(range(5), 8)})
    df["p"] = rng.normal(size=40)
    df["y"] = 0.5 * df["p"] + rng.normal(size=40)
    out = ca.within_city_associations(df, ["y"], ["p"]).iloc[0]
    z = df.assign(y=(df.y - df.y.mean()) / df.y.std(), p=(df.p - df.p.mean()) / df.p.std())
    ref = panel_fe(z, "y", "p")
    assert out["beta"] == pytest.approx(ref.params["p"], rel=1e-12)
    assert out["se"] == pytest.approx(ref.std_errors["p"], rel=1e-12)
    assert (out["nobs"], out["n_cities"]) == (40, 8)


def test_chain_sentences_follow_the_numbers():
    from helpers.analysis import chain as ca
    from helpers.book import chain_report

    summary = pd.DataFrame([{"measure": "chain_coagg", "n_cities": 21, "n_above_median": 16,
                             "median_pctile": 65.2, "top_city": "Shantou", "top_pctile": 94.0,
                             "bottom_city": "Yangjiang", "bottom_pctile": 31.0}])
    assoc = pd.DataFrame([{"outcome": "chain_coagg", "proxy": "broadband_per100", "beta": -0.002,
                           "ci_low": -0.027, "ci_high": 0.023, "nobs": 1685, "n_cities": 290},
                          {"outcome": "local_sourcing", "proxy": "mobile_per100", "beta": -0.087,
                           "ci_low": -0.172, "ci_high": -0.001, "nobs": 1692, "n_cities": 291}])
    s = chain_report.chain_sentences(summary, assoc, year=2018, table_year=2018, n_national=281,
                           rho_cluster=0.66, rho_manuf=0.89, first=2013, last=2018,
                           n_slopes=12, n_significant=1)
    assert s[0].startswith("In 2018 (coefficients of the 2018 table), 16 of Guangdong's 21")
    assert s[2] == ("Of all 12 within-city slopes (four measures, three proxies), 1 has a 95% "
                    "interval that excludes zero; chance alone would give about 0.6.")
    assert "indistinguishable from zero; the interval rules out" in s[3]
    assert "below -0.027 or above +0.023" in s[3]
    assert s[4].endswith("(95% CI -0.172 to -0.001), negative.")


def test_chain_panel_on_the_shipped_national_panel_keeps_guangdong_whole_in_2018():
    from helpers.analysis import chain as ca
    from helpers.book import chain_report
    from helpers.data.china import load_china

    panel = load_china()
    out, dropped = ca.chain_panel(panel[panel["year"].between(2017, 2019)])
    gd = out[(out["province"] == "Guangdong") & (out["year"] == 2018)]
    assert len(gd) == 21
    assert out.groupby("year")["table_year"].unique().map(list).to_dict() == {2017: [2017],
                                                                             2018: [2018]}
    # 2019 is dropped whole: agriculture was not published in the 2020 edition
    assert dropped.loc[dropped["year"] == 2019, "missing"].eq("agriculture (not published)").all()
    # local sourcing is a share; every city has some linked pair, so chain_coagg > 0
    assert out["local_sourcing"].between(0, 1).all() and (out["chain_coagg"] > 0).all()


def test_variant_sentences_follow_the_numbers():
    from helpers.analysis import chain as ca
    from helpers.book import chain_report

    t = pd.DataFrame({"variant": ["base", "alt", "base", "alt"],
                      "measure": ["IO-weighted co-agglomeration"] * 2 + ["local sourcing"] * 2,
                      "n_above_median": [16, 16, 6, 16], "median_pctile": [65.0, 63.0, 21.0, 76.0],
                      "n_cities": [21] * 4})
    s = chain_report.variant_sentences(t)
    assert s[0] == ("IO-weighted co-agglomeration: 16 of Guangdong's 21 cities lie above the "
                    "national median in each of the 2 variants (median percentile 63 to 65).")
    assert s[1].startswith("Local sourcing: between 6 and 16 of Guangdong's 21 cities")
    assert s[1].endswith("comes with the variant 'alt' (16).")


@pytest.mark.realdata
def test_build_io_refuses_to_write_when_a_table_does_not_balance(root, realdata, tmp_path, capsys):
    import shutil

    build_io = _build_io(root)
    src = tmp_path / "realdata" / build_io.IO_DIR
    shutil.copytree(realdata / build_io.IO_DIR, src)
    t = pd.read_csv(src / "china_2020_42.csv", dtype={"Code": str})
    t.loc[t["Code"] == "TVA", "12"] = t.loc[t["Code"] == "TVA", "12"].astype(float) * 1.01
    t.to_csv(src / "china_2020_42.csv", index=False)
    out = tmp_path / "out"
    out.mkdir()
    assert build_io.main(["--realdata", str(tmp_path / "realdata"), "--out", str(out)]) == 1
    assert list(out.iterdir()) == []
    err = capsys.readouterr().err
    assert "china_2020_42.csv (2020)" in err and "sector 12" in err and "nothing written" in err
