"""The shipped official city accounts: published figures, the fault catalogue, the build's checks."""

import importlib.util
import shutil

import pandas as pd
import pytest

from helpers import data
from helpers.data import PanelSchemaError, load_accounts


def _build_module(root):
    spec = importlib.util.spec_from_file_location("build_accounts", root / "tools" / "build_accounts.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def accounts():
    return load_accounts()


def test_shape_and_columns(accounts):
    assert len(accounts) == 504
    assert accounts["city"].nunique() == 21
    assert sorted(accounts["year"].unique()) == list(range(2000, 2024))
    assert set(accounts.columns) == set(data.ACCOUNTS_SCHEMA)
    assert not accounts.duplicated(["city", "year"]).any()
    assert accounts.attrs["simulated"] is False


def test_published_figures(accounts):
    v = accounts.set_index(["city", "year"])["gdp"]
    # Guangdong Statistical Yearbook figures (shared/realdata README)
    assert v[("Guangzhou", 2020)] == pytest.approx(25_019.11, abs=0.005)
    assert v[("Shenzhen", 2020)] == pytest.approx(27_670.24, abs=0.005)
    assert accounts.loc[accounts.year == 2020, "gdp"].sum() == pytest.approx(110_760.94, abs=0.01)
    assert accounts.loc[accounts.year == 2023, "gdp"].sum() == pytest.approx(135_673.18, abs=0.01)


def test_gaps_are_where_the_sources_have_them(accounts):
    fin = accounts[["loans", "deposits"]].notna().all(axis=1)
    assert (fin == (accounts["year"] >= 2003)).all()
    for c in data.ACCOUNTS_COMPLETE:
        assert accounts[c].notna().all()
    # FDI: complete through 2017 except one city-year in 2001; gaps from 2018
    fdi_gap_years = accounts.loc[accounts["fdi_usd_million"].isna(), "year"]
    assert (fdi_gap_years[fdi_gap_years < 2018] == 2001).all()
    assert accounts.loc[accounts.year == 2023, "fdi_usd_million"].isna().all()


def test_units_loans_in_100_million_yuan(accounts):
    # Guangzhou 2003 loans: 61,272,742 (10,000 yuan) in the source = 6,127.2742 (100 million yuan)
    v = accounts.set_index(["city", "year"])
    assert v.at[("Guangzhou", 2003), "loans"] == pytest.approx(6127.2742)
    # loans are of the order of GDP (ratio 0.5-3 for the province), not 10,000 times it
    r = accounts.dropna(subset=["loans"]).groupby("year")[["loans", "gdp"]].sum()
    assert ((r["loans"] / r["gdp"]).between(0.5, 3)).all()


def test_sector_sum_is_gdp_outside_vintage_years(accounts):
    # from 2015 to 2022 the sectors and the GDP column come from the same vintage
    a = accounts[accounts.year.between(2015, 2022)]
    gap = a[["va_primary", "va_secondary", "va_tertiary"]].sum(axis=1) / a["gdp"] - 1
    assert gap.abs().max() < 0.005


# --------------------------------------------------------------------------- fault catalogue
def _write(df, tmp_path, name="accounts.csv"):
    p = tmp_path / name
    df.to_csv(p, index=False)
    return p


@pytest.fixture()
def raw(root):
    return pd.read_csv(root / "data" / "guangdong_city_accounts.csv", dtype=str, keep_default_na=False)


def test_fault_unknown_city(raw, tmp_path):
    raw = raw.drop(columns="code")
    raw.loc[5, "city"] = "Macau"
    with pytest.raises(PanelSchemaError, match="unknown city 'Macau'"):
        load_accounts(_write(raw, tmp_path))


def test_fault_duplicate_city_year(raw, tmp_path):
    raw = pd.concat([raw, raw.iloc[[30]]], ignore_index=True)
    city, year = raw.iloc[30][["city", "year"]]
    with pytest.raises(PanelSchemaError, match=f"duplicate rows for city {city}, year {year}"):
        load_accounts(_write(raw, tmp_path))


def test_fault_negative_value(raw, tmp_path):
    i = raw.index[(raw.city == "Zhuhai") & (raw.year == "2015")][0]
    raw.loc[i, "va_primary"] = "-3.5"
    with pytest.raises(PanelSchemaError, match="city Zhuhai, year 2015: column 'va_primary' is negative"):
        load_accounts(_write(raw, tmp_path))


def test_fault_text_in_number_column(raw, tmp_path):
    i = raw.index[(raw.city == "Meizhou") & (raw.year == "2012")][0]
    raw.loc[i, "loans"] = "1,234.5"
    with pytest.raises(PanelSchemaError,
                       match="city Meizhou, year 2012: column 'loans' has non-numeric value '1,234.5'"):
        load_accounts(_write(raw, tmp_path))


def test_fault_missing_gdp(raw, tmp_path):
    i = raw.index[(raw.city == "Yunfu") & (raw.year == "2019")][0]
    raw.loc[i, "gdp"] = ""
    with pytest.raises(PanelSchemaError, match="city Yunfu, year 2019: column 'gdp' is missing"):
        load_accounts(_write(raw, tmp_path))


def test_fault_code_disagrees_with_city(raw, tmp_path):
    i = raw.index[(raw.city == "Shantou") & (raw.year == "2010")][0]
    raw.loc[i, "code"] = "440300"
    with pytest.raises(PanelSchemaError, match="city Shantou, year 2010: column 'code'"):
        load_accounts(_write(raw, tmp_path))


def test_fault_unbalanced(raw, tmp_path):
    raw = raw[~((raw.city == "Heyuan") & (raw.year == "2007"))]
    with pytest.raises(PanelSchemaError, match=r"missing city-years: Heyuan \(2007\)"):
        load_accounts(_write(raw, tmp_path))


def test_user_file_is_not_modified(raw, tmp_path):
    p = _write(raw, tmp_path)
    before = p.read_bytes()
    load_accounts(p)
    assert p.read_bytes() == before


def test_panel_schema_default_unchanged():
    # validate_panel without a schema still checks the twin's panel schema
    twin = data.load_panel()
    assert "industrial_value_added" in twin.columns
    with pytest.raises(PanelSchemaError, match="missing column"):
        data.validate_panel(load_accounts())


# --------------------------------------------------------------------------- the build script
@pytest.mark.realdata
def test_build_reproduces_shipped_files(realdata, root, tmp_path):
    mod = _build_module(root)
    assert mod.main(["--realdata", str(realdata), "--out", str(tmp_path)]) == 0
    for name in ("guangdong_city_accounts.csv", "guangdong_census_2010_2020.csv"):
        assert (tmp_path / name).read_bytes() == (root / "data" / name).read_bytes(), name


def _corrupt_copy(realdata, tmp_path, edit):
    dst = tmp_path / "realdata"
    shutil.copytree(realdata / "guangdong_city_accounts", dst / "guangdong_city_accounts")
    (dst / "census_leiii").mkdir()
    shutil.copy(realdata / "census_leiii" / "leiii_census_city_2010-2020_v1.csv", dst / "census_leiii")
    f = dst / "guangdong_city_accounts" / "city_gdp_by_sector_2000_2023.csv"
    df = pd.read_csv(f, dtype=str)
    edit(df)
    f.chmod(0o644)
    df.to_csv(f, index=False)
    return dst


def _set(name_zh, year, column, value):
    def edit(df):
        df.loc[(df["城市名称"] == name_zh) & (df["年度标识"] == f"{year}.0"), column] = value
    return edit


@pytest.mark.parametrize("edit, message", [
    (lambda df: df.__setitem__("城市名称", df["城市名称"].replace("深圳市", "深川市")), "unknown city name '深川市'"),
    (_set("广州市", 2020, "gdp（亿元人民币）", "25019.0"), "Guangzhou, year 2020: gdp"),
    (_set("湛江市", 2016, "第二产业增加值", "-1"), "Zhanjiang, year 2016: column 'va_secondary' is negative"),
    (_set("茂名市", 2008, "第三产业增加值", "n/a"), "Maoming, row .*: column 'va_tertiary' has non-numeric value 'n/a'"),
    (lambda df: df.drop(index=df.index[-1], inplace=True), "has 503 city-years, expected 504"),
    (lambda df: df.__setitem__("年度标识", df["年度标识"].where(df.index != 1, "2000.0")),
     "duplicate rows for city Guangzhou, year 2000"),
])
@pytest.mark.realdata
def test_build_refuses_corrupted_input(realdata, root, tmp_path, edit, message):
    mod = _build_module(root)
    src = _corrupt_copy(realdata, tmp_path, edit)
    out = tmp_path / "out"
    out.mkdir()
    (out / "guangdong_city_accounts.csv").write_text("user's file\n")
    with pytest.raises(mod.BuildError, match=message):
        mod.build_accounts(src)
    assert mod.main(["--realdata", str(src), "--out", str(out)]) == 1
    # nothing written, nothing a user had overwritten
    assert (out / "guangdong_city_accounts.csv").read_text() == "user's file\n"
    assert not (out / "guangdong_census_2010_2020.csv").exists()
