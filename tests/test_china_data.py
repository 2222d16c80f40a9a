"""The national city-year panel: published figures, a second read of the raw sources, the fault
catalogue (loader and builder), and the build's determinism.

Tests of the shipped ``data/china_city_panel.csv`` need no shared folder; tests that read the raw
sources use the ``realdata`` fixture and skip cleanly without ``../shared/realdata``.
"""

import csv
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.data import PanelSchemaError
from helpers.data.china import CHINA_SCHEMA, china_registry, load_china

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "china_city_panel.csv"


@pytest.fixture(scope="module")
def panel():
    return load_china()


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build_china", ROOT / "tools" / "build_china.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _value(panel, city, year, col):
    return panel.loc[(panel["city"] == city) & (panel["year"] == year), col].item()


# --------------------------------------------------------------------------- shipped file
def test_shape_keys_and_registry(panel):
    assert len(panel) == 337 * 19
    assert panel["code"].nunique() == 337
    assert sorted(panel["year"].unique()) == list(range(2005, 2024))
    assert not panel.duplicated(["code", "year"]).any()
    assert panel["code"].between(110000, 659999).all()
    reg = china_registry()
    assert set(panel["city"]) == set(reg.index)
    assert (panel["name_zh"] == panel["city"].map(reg["name_zh"])).all()
    assert set(CHINA_SCHEMA) - {"city", "year", "code", "region"} <= set(panel.columns)
    assert panel.attrs["simulated"] is False
    # two units that share a pinyin name are told apart by province
    assert (
        reg.loc["Suzhou (Jiangsu)", "code"] == 320500
        and reg.loc["Suzhou (Anhui)", "code"] == 341300
    )


def test_guangdong_2020_gdp_sum(panel):
    gd = load_china(years=[2020], provinces=["Guangdong"])
    assert len(gd) == 21
    assert gd["gdp"].sum() == pytest.approx(110_760.94, abs=0.005)
    assert load_china(years=[2020], provinces="广东省")["gdp"].sum() == pytest.approx(
        110_760.94, abs=0.005
    )


# Published GDP of 2020 (100 million yuan), each city's Statistical Communique on the 2020
# National Economic and Social Development (first release), and the Guangdong Statistical Yearbook.
PUBLISHED_GDP_2020 = {
    "Beijing": 36_102.6,
    "Shanghai": 38_700.58,
    "Chongqing": 25_002.79,
    "Chengdu": 17_716.7,
    "Wuhan": 15_616.1,
    "Xi'an": 10_020.39,
    "Guangzhou": 25_019.11,
    "Shenzhen": 27_670.24,
}


# Published GDP of 2019 (100 million yuan), each city's Statistical Communique on 2019 (first
# release; the accounts keep it for these cities, revised figures for others, e.g. Guangzhou).
PUBLISHED_GDP_2019 = {
    "Beijing": 35_371.3,
    "Shanghai": 38_155.32,
    "Tianjin": 14_104.28,
    "Chongqing": 23_605.77,
    "Chengdu": 17_012.65,
    "Wuhan": 16_223.21,
    "Hangzhou": 15_373.05,
    "Nanjing": 14_030.15,
    "Xi'an": 9_321.19,
}


@pytest.mark.parametrize("city", sorted(PUBLISHED_GDP_2020))
def test_published_gdp_2020(panel, city):
    assert _value(panel, city, 2020, "gdp") == pytest.approx(PUBLISHED_GDP_2020[city], abs=0.06)


@pytest.mark.parametrize("city", sorted(PUBLISHED_GDP_2019))
def test_published_gdp_2019(panel, city):
    assert _value(panel, city, 2019, "gdp") == pytest.approx(PUBLISHED_GDP_2019[city], abs=0.06)


def test_published_figures_of_the_provenance_files(panel):
    """Figures the shared PROVENANCE files state as checked against the official tables."""
    v = lambda c, y, col: _value(panel, c, y, col)
    assert v("Shenzhen", 2023, "population") == pytest.approx(1_779.01, abs=0.005)
    # CCSY GDP equal to the official figures (PROVENANCE_digital_tech, check 1)
    assert v("Guangzhou", 2015, "ccsy_gdp_100m_yuan") == pytest.approx(18_100.41, abs=0.01)
    assert v("Shenzhen", 2010, "ccsy_gdp_100m_yuan") == pytest.approx(9_581.51, abs=0.01)
    # Beijing internet users across the 2012 definition break (10k households)
    assert v("Beijing", 2011, "internet_users_10k_hh") == pytest.approx(523.4, abs=0.05)
    assert v("Beijing", 2012, "broadband_users_10k_hh") == pytest.approx(572, abs=0.5)
    assert v("Beijing", 2012, "internet_users_definition") == "broadband_subscribers"
    assert v("Beijing", 2011, "internet_users_definition") == "internet_users"
    # manufacturing employment (10k persons) across the 2012->2013 coverage break
    assert v("Beijing", 2011, "emp_manufacturing") == pytest.approx(107.78)
    assert v("Guangzhou", 2013, "emp_manufacturing") == pytest.approx(98.5)
    assert v("Dongguan", 2012, "emp_manufacturing") == pytest.approx(7.7, abs=0.05)
    assert v("Dongguan", 2013, "emp_manufacturing") == pytest.approx(199.1, abs=0.05)
    assert v("Shenzhen", 2019, "emp_ict") == pytest.approx(30.4, abs=0.05)
    assert (
        v("Dongguan", 2013, "emp_coverage_2013") == 1
        and v("Dongguan", 2012, "emp_coverage_2013") == 0
    )


def test_broadband_china_cohorts(panel):
    first = panel.groupby("city").first()
    # Guangdong: Guangzhou, Shenzhen, Zhongshan in 2014; Shantou, Meizhou, Dongguan in 2015
    gd = first.loc[first["province"] == "Guangdong", "broadband_china_cohort"].dropna()
    assert gd.to_dict() == {
        "Guangzhou": 2014,
        "Shenzhen": 2014,
        "Shantou": 2015,
        "Meizhou": 2015,
        "Dongguan": 2015,
        "Zhongshan": 2014,
    }
    # a county-level city designated before its prefecture: Yongcheng (2015) in Shangqiu (2016)
    assert first.loc["Shangqiu", "broadband_china_cohort"] == 2015
    assert first.loc["Shangqiu", "broadband_china_city_cohort"] == 2016
    assert first.loc["Shangqiu", "broadband_china_entity"] == "county-level city"
    # Chongqing only through districts; the cluster Chang-Zhu-Tan as three members
    assert first.loc["Chongqing", "broadband_china_entity"] == "district"
    assert np.isnan(first.loc["Chongqing", "broadband_china_city_cohort"])
    assert (first.loc[["Changsha", "Zhuzhou", "Xiangtan"], "broadband_china_cohort"] == 2014).all()
    assert first.loc["Taiyuan", "broadband_china_single_source"] == 1
    assert first.loc["Putian", "broadband_china_single_source"] == 0


def test_population_interpolated_flag_marks_only_filled_values(panel, realdata):
    raw = pd.read_csv(
        realdata / "china_city_accounts" / "china_city_resident_population_1998_2024.csv"
    )
    raw = raw.dropna(subset=["城市代码"])
    raw["code"] = (
        raw["城市代码"]
        .astype(int)
        .replace({110000: 110100, 120000: 120100, 310000: 310100, 500000: 500100})
    )
    raw["year"] = raw["年份"].astype(int)
    raw = raw[raw["year"].between(2005, 2023)].set_index(["code", "year"])
    p = panel.set_index(["code", "year"]).loc[raw.index]
    missing_raw = raw["常住人口（万人）"].isna()
    assert (p["population_interpolated"] == missing_raw.astype(float).to_numpy()).all()
    assert missing_raw.sum() > 0


# --------------------------------------------------------------------------- second read path
def _rows(path, **match):
    """Raw rows of a source file read with the csv module (not the builder's pandas code)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [r for r in csv.DictReader(f) if all(r[k] == v for k, v in match.items())]


@pytest.mark.parametrize(
    "name_zh,year,city",
    [
        ("成都市", "2015", "Chengdu"),
        ("哈尔滨市", "2012", "Harbin"),
        ("杭州市", "2020", "Hangzhou"),
        ("昆明市", "2010", "Kunming"),
        ("汕头市", "2018", "Shantou"),
    ],
)
def test_loans_equal_the_raw_rows(panel, realdata, name_zh, year, city):
    (r,) = _rows(
        realdata / "china_city_accounts" / "china_city_loans_deposits_2003_2023.csv",
        城市=name_zh,
        年份=year,
    )
    assert _value(panel, city, int(year), "loans") == pytest.approx(
        float(r["年末金融机构各项贷款余额(万元)"]) / 1e4, abs=1e-4
    )
    assert _value(panel, city, int(year), "deposits") == pytest.approx(
        float(r["年末金融机构存款余额(万元)"]) / 1e4, abs=1e-4
    )


@pytest.mark.parametrize(
    "name_zh,year,city",
    [
        ("石家庄市", "2008", "Shijiazhuang"),
        ("南宁市", "2013", "Nanning"),
        ("兰州市", "2017", "Lanzhou"),
        ("青岛市", "2021", "Qingdao"),
        ("韶关市", "2016", "Shaoguan"),
    ],
)
def test_gdp_broadband_and_employment_equal_the_raw_rows(panel, realdata, name_zh, year, city):
    (g,) = [
        r
        for r in _rows(
            realdata / "china_city_accounts" / "china_city_gdp_by_sector_2000_2023.csv",
            城市名称=name_zh,
        )
        if float(r["年度标识"]) == int(year)
    ]
    assert _value(panel, city, int(year), "gdp") == pytest.approx(
        float(g["gdp（亿元人民币）"]), abs=1e-4
    )
    (d,) = _rows(
        realdata / "ccsy_city_yearbook" / "ccsy_city_digital_tech_panel_2005_2023.csv",
        city=name_zh,
        year=year,
    )
    want = float(d["internet_users_10k_hh"])
    assert _value(panel, city, int(year), "internet_users_10k_hh") == pytest.approx(want, abs=1e-4)
    if int(year) >= 2012:
        assert _value(panel, city, int(year), "broadband_users_10k_hh") == pytest.approx(
            want, abs=1e-4
        )
    if int(year) <= 2019:
        (e,) = _rows(
            realdata / "ccsy_city_yearbook" / "ccsy_city_employment_by_industry_2005_2019.csv",
            city=name_zh,
            year=year,
        )
        for stem, col in [
            ("manuf", "emp_manufacturing"),
            ("ict", "emp_ict"),
            ("finance", "emp_finance"),
        ]:
            assert _value(panel, city, int(year), col) == pytest.approx(
                float(e[f"emp_{stem}_persons"]) / 1e4, abs=1e-4
            )


def test_guangdong_rows_equal_the_guangdong_accounts(panel):
    gd = pd.read_csv(ROOT / "data" / "guangdong_city_accounts.csv")
    m = gd[gd["year"] >= 2005].merge(panel, on=["code", "year"], suffixes=("_gd", ""))
    assert len(m) == 21 * 19
    for c in ["gdp", "va_secondary", "loans", "deposits"]:
        np.testing.assert_allclose(m[c], m[f"{c}_gd"], atol=1e-4)


# ------------------------------------------------------------------ fault catalogue: loader
@pytest.fixture(scope="module")
def raw_text():
    return pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)


def _write(df, tmp_path, name="panel.csv"):
    path = tmp_path / name
    df.to_csv(path, index=False, lineterminator="\n")
    return path


def test_clean_copy_loads(raw_text, tmp_path):
    assert len(load_china(_write(raw_text, tmp_path))) == 337 * 19


def test_unit_flip_in_one_edition_is_named(raw_text, tmp_path):
    df = raw_text.copy()
    hit = (df["year"] == "2010") & (df["mobile_users_10k_hh"] != "")
    df.loc[hit, "mobile_users_10k_hh"] = (
        df.loc[hit, "mobile_users_10k_hh"].astype(float) * 1e4
    ).astype(str)
    with pytest.raises(PanelSchemaError) as err:
        load_china(_write(df, tmp_path))
    msg = str(err.value)
    assert "column 'mobile_users_10k_hh' jumps x" in msg and "city Beijing, year 2010" in msg
    assert "10^4" in msg
    assert (
        sum(i.column == "mobile_users_10k_hh" for i in err.value.report.errors)
        >= 2 * hit.sum() - 20
    )


def test_ocr_city_name_is_named(raw_text, tmp_path):
    df = raw_text.copy()
    i = df.index[(df["city"] == "Dongguan") & (df["year"] == "2015")][0]
    df.loc[i, "city"] = "东芜市"  # the OCR slip of 东莞市 in the yearbook's CNKI tables
    with pytest.raises(PanelSchemaError) as err:
        load_china(_write(df, tmp_path))
    assert f"line {i + 2}" in str(err.value) and "unknown city '东芜市'" in str(err.value)


def test_ocr_chinese_name_next_to_a_good_key_is_named(raw_text, tmp_path):
    df = raw_text.copy()
    i = df.index[(df["city"] == "Jieyang") & (df["year"] == "2009")][0]
    df.loc[i, "name_zh"] = "擖阳市"  # OCR slip of 揭阳市 (PROVENANCE_digital_tech, check 5)
    with pytest.raises(PanelSchemaError) as err:
        load_china(_write(df, tmp_path))
    assert "city Jieyang, year 2009: column 'name_zh' is '擖阳市', registry says '揭阳市'" in str(
        err.value
    )


def test_duplicated_city_year_is_named(raw_text, tmp_path):
    df = raw_text.copy()
    row = df[(df["city"] == "Chengdu") & (df["year"] == "2018")]
    with pytest.raises(PanelSchemaError, match="duplicate rows for city Chengdu, year 2018"):
        load_china(_write(pd.concat([df, row]), tmp_path))


def test_unknown_province_and_year(raw_text):
    with pytest.raises(PanelSchemaError, match="unknown province"):
        load_china(provinces=["Canton"])
    with pytest.raises(PanelSchemaError, match=r"year\(s\) \[2030\]"):
        load_china(years=[2030])


# --------------------------------------------------------------------------- builder
def _copy_sources(realdata, tmp_path):
    """A writable copy of the national source folders the builder reads."""
    for sub in [
        "china_city_accounts",
        "ccsy_city_yearbook",
        "broadband_china",
        "intercity_connectivity_2016",
    ]:
        dst = tmp_path / "rd" / sub
        dst.mkdir(parents=True)
        for f in (realdata / sub).glob("*.csv"):
            shutil.copyfile(f, dst / f.name)
    return tmp_path / "rd"


def test_builder_is_deterministic_and_reproduces_the_shipped_file(build, realdata, tmp_path):
    assert build.main(["--realdata", str(realdata), "--out", str(tmp_path / "a")]) == 0
    assert build.main(["--realdata", str(realdata), "--out", str(tmp_path / "b")]) == 0
    for name in [
        "china_city_panel.csv",
        "china_city_panel_breaks.csv",
        "china_city_panel_blanked.csv",
        "intercity_connectivity_2016.csv",
    ]:
        a = (tmp_path / "a" / name).read_bytes()
        assert a == (tmp_path / "b" / name).read_bytes()
        assert a == (ROOT / "data" / name).read_bytes(), f"data/{name} is not the build's output"


def _refused(build, rd, tmp_path, capsys):
    out = tmp_path / "out"
    assert build.main(["--realdata", str(rd), "--out", str(out)]) == 1
    assert not (out / "china_city_panel.csv").exists()
    return capsys.readouterr().err


def test_builder_refuses_an_edition_unit_flip(build, realdata, tmp_path, capsys):
    rd = _copy_sources(realdata, tmp_path)
    f = rd / "ccsy_city_yearbook" / "ccsy_city_digital_tech_panel_2005_2023.csv"
    df = pd.read_csv(f)
    df.loc[df["year"] == 2008, "mobile_users_10k_hh"] *= 1e4  # edition 2009 read in 户, not 万户
    df.to_csv(f, index=False)
    err = _refused(build, rd, tmp_path, capsys)
    assert "column 'mobile_users_10k_hh', year 2008 (edition 2009)" in err and "unit flip" in err


def test_builder_refuses_an_ocr_city_name(build, realdata, tmp_path, capsys):
    rd = _copy_sources(realdata, tmp_path)
    f = rd / "ccsy_city_yearbook" / "ccsy_city_employment_by_industry_2005_2019.csv"
    df = pd.read_csv(f)
    df.loc[(df["city"] == "东莞市") & (df["year"] == 2014), "city"] = "东芜市"
    df.to_csv(f, index=False)
    err = _refused(build, rd, tmp_path, capsys)
    assert "unknown city name '东芜市' (year 2014)" in err


def test_builder_refuses_a_duplicated_city_year(build, realdata, tmp_path, capsys):
    rd = _copy_sources(realdata, tmp_path)
    f = rd / "china_city_accounts" / "china_city_loans_deposits_2003_2023.csv"
    df = pd.read_csv(f)
    row = df[(df["城市"] == "广州市") & (df["年份"] == 2016)].copy()
    row["年末金融机构各项贷款余额(万元)"] *= 2
    pd.concat([df, row]).to_csv(f, index=False)
    err = _refused(build, rd, tmp_path, capsys)
    assert "city 广州市 (440100), year 2016: column 'loans' has two different values" in err


def test_builder_refuses_a_wrong_guangdong_total(build, realdata, tmp_path, capsys):
    rd = _copy_sources(realdata, tmp_path)
    f = rd / "china_city_accounts" / "china_city_gdp_by_sector_2000_2023.csv"
    df = pd.read_csv(f)
    df.loc[(df["城市名称"] == "佛山市") & (df["年度标识"] == 2020), "gdp（亿元人民币）"] += 1
    df.to_csv(f, index=False)
    err = _refused(build, rd, tmp_path, capsys)
    assert "Guangdong" in err and "110,760.94" in err


def test_loading_twice_gives_independent_copies():
    a = load_china()
    a.loc[0, "gdp"] = -1.0
    b = load_china()
    assert b.loc[0, "gdp"] > 0 and b is not a


def test_builder_refuses_yearbook_rows_matched_to_the_wrong_city(build, realdata, tmp_path, capsys):
    rd = _copy_sources(realdata, tmp_path)
    f = rd / "ccsy_city_yearbook" / "ccsy_city_digital_tech_panel_2005_2023.csv"
    df = pd.read_csv(f)
    fs, sg = (
        df["city"] == "佛山市",
        df["city"] == "韶关市",
    )  # same province: the province check passes
    df.loc[fs, "city"], df.loc[sg, "city"] = "韶关市", "佛山市"
    df.to_csv(f, index=False)
    err = _refused(build, rd, tmp_path, capsys)
    assert "yearbook rows matched to the wrong city?" in err
    assert "city Foshan" in err or "city Shaoguan" in err


def test_text_in_a_numeric_column_is_named(raw_text, tmp_path):
    df = raw_text.copy()
    i = df.index[(df["city"] == "Kunming") & (df["year"] == "2016")][0]
    df.loc[i, "loans"] = "n/a"
    with pytest.raises(PanelSchemaError) as err:
        load_china(_write(df, tmp_path))
    assert (
        f"line {i + 2}: city Kunming, year 2016: column 'loans' has non-numeric value 'n/a'"
        in str(err.value)
    )


def test_shipped_values_equal_the_file_cells(panel):
    raw = pd.read_csv(SHIPPED)
    num = [c for c, (k, _, _) in CHINA_SCHEMA.items() if k not in ("key", "id")]
    m = raw.merge(panel, on=["code", "year"], suffixes=("_file", ""))
    assert len(m) == len(raw)
    for c in num:
        np.testing.assert_array_equal(m[c].to_numpy(), m[f"{c}_file"].to_numpy(), err_msg=c)


# --------------------------------------------------------------------------- connectivity file
def test_connectivity_file_is_the_mit_source_unchanged(realdata):
    src = realdata / "intercity_connectivity_2016" / "CN_Public.csv"
    assert (ROOT / "data" / "intercity_connectivity_2016.csv").read_bytes() == src.read_bytes()


def test_load_connectivity_maps_codes_and_names_faults(tmp_path):
    from helpers.data.connectivity import load_connectivity

    c = load_connectivity()
    assert len(c) == 275 and c["code"].is_unique
    assert (~c["in_registry"]).sum() == 1 and c.loc[~c["in_registry"], "city"].item() == "Laiwu"
    g = c.set_index("city")
    # the source's GDP is official 2016 whole-city GDP for Guangzhou (PROVENANCE check), in yuan
    assert g.loc["Guangzhou", "gdp_yuan"] / 1e8 == pytest.approx(19_547.44, abs=0.01)
    assert g.loc["Beijing", "weibo_degree_2015"] == 414_486_000
    raw = pd.read_csv(ROOT / "data" / "intercity_connectivity_2016.csv", dtype=str)
    raw.loc[3, "Patent"] = "-5"
    raw = pd.concat([raw, raw.iloc[[0]]])
    path = tmp_path / "c.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(PanelSchemaError) as err:
        load_connectivity(path)
    msg = str(err.value)
    assert "column 'patents_2017' is '-5', not a number >= 0" in msg
    assert f"duplicated code {raw.iloc[0]['cityId']}" in msg


def test_definition_break_and_totals_are_consistent(panel):
    before, after = panel[panel["year"] <= 2011], panel[panel["year"] >= 2012]
    assert (
        before["broadband_users_10k_hh"].isna().all()
        and after["internet_intl_users_10k_hh"].isna().all()
    )
    np.testing.assert_array_equal(
        before["internet_users_10k_hh"], before["internet_intl_users_10k_hh"]
    )
    np.testing.assert_array_equal(after["internet_users_10k_hh"], after["broadband_users_10k_hh"])
    defined = panel["internet_users_definition"].dropna()
    assert set(defined[panel["year"] <= 2011]) == {"internet_users"}
    assert set(defined[panel["year"] >= 2012]) == {"broadband_subscribers"}
    inds = [c for c in panel.columns if c.startswith("emp_") and c != "emp_coverage_2013"]
    assert len(inds) == 19
    full = panel[inds].notna().all(axis=1)
    np.testing.assert_allclose(
        panel.loc[full, "employment"], panel.loc[full, inds].sum(axis=1), rtol=1e-9
    )
    assert panel.loc[~full, "employment"].isna().all()
    assert panel.loc[panel["year"] == 2019, "emp_agriculture"].isna().all()
    assert panel.loc[panel["year"] == 2019, "employment_nonagri"].notna().sum() > 250


def test_coverage_and_cleaning_summary_count_the_shipped_lists(panel):
    from helpers.data.china import cleaning_summary, coverage

    cov = coverage(panel, ["gdp", "emp_manufacturing"])
    n2019 = panel.loc[panel["year"] == 2019, "emp_manufacturing"].notna().sum()
    assert cov.loc[2019, "emp_manufacturing"] == n2019
    assert cov.loc[2020, "emp_manufacturing"] == 0  # the yearbook stopped publishing employment
    s = cleaning_summary()
    blanked = pd.read_csv(ROOT / "data" / "china_city_panel_blanked.csv")
    breaks = pd.read_csv(ROOT / "data" / "china_city_panel_breaks.csv")
    assert s["slips blanked"].sum() == len(blanked)
    assert s["breaks kept (x10+)"].sum() == len(breaks)
    big = (breaks["ratio"] > 100) | (breaks["ratio"] < 0.01)
    assert s["of which x100+ (accepted)"].sum() == big.sum()
    # every blanked cell is empty in the shipped panel
    m = blanked.merge(panel, on=["code", "year"])
    assert all(np.isnan(m.at[i, c]) for i, c in zip(m.index, m["column"], strict=True))
