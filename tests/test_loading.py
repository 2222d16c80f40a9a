"""Yearbook-proof loading: one generated file per fault class, each rejected naming the culprit or
accepted as documented, and never modified (issue 11).

Every file is derived from the bundled panel in ``tmp_path``. Rows of the bundled panel are in
code-year order, 13 years per city: row i is Guangzhou 2011 + i for i < 13, and a CSV written
with a header has row i on file line i + 2.
"""

import hashlib
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from helpers import data
from helpers.data import schema

REG = data.city_table()


@pytest.fixture(scope="module")
def good():
    return data.load_panel()


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(path, **kw):
    """load_panel that also checks the file is byte-identical afterwards."""
    before = _sha(path)
    try:
        return data.load_panel(path, **kw)
    finally:
        assert _sha(path) == before


def rejected(path, pattern, **kw):
    with pytest.raises(data.PanelSchemaError, match=pattern) as err:
        load(path, **kw)
    assert str(path) in str(err.value)  # the file is named
    return str(err.value)


def clean_load(path, **kw):
    """Load expecting no warning at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load(path, **kw)


def same_as(p, good):
    pd.testing.assert_frame_equal(p[good.columns].reset_index(drop=True), good, check_dtype=False)


def csv(df, tmp_path, name="panel.csv", **kw):
    path = tmp_path / name
    df.to_csv(path, index=False, **kw)
    return path


def row(good, city, year):
    return good.index[(good["city"] == city) & (good["year"] == year)][0]


# ------------------------------------------------------------------ unit slips
def test_mixed_percent_share_rows_in_one_city(good, tmp_path):
    # percentages typed in five rows of one city, all still below 1: the [0, 1] rule cannot see them
    small = good[good["ict_emp_share"] < 0.01]
    city = small["city"].value_counts().index[0]
    rows = small.index[small["city"] == city][:5]
    d = good.copy()
    d.loc[rows, "ict_emp_share"] *= 100
    assert d["ict_emp_share"].max() < 1 and len(rows) >= 3
    years = good.loc[rows, "year"]
    msg = rejected(csv(d, tmp_path), rf"city {city}, year \d+: column 'ict_emp_share' (jumps|is) x")
    assert "percentage typed where a share belongs" in msg
    named = {int(y) for y in re.findall(rf"city {city}, year (\d+): column 'ict_emp_share'", msg)}
    assert named and named <= set(years) | {years.max() + 1}  # inside the block or its end edge


def test_share_divided_by_100_in_some_rows(good, tmp_path):
    d = good.copy()
    d.loc[[row(good, "Meizhou", y) for y in (2021, 2022, 2023)], "digital_finance_index"] *= 1  # untouched
    d.loc[[row(good, "Meizhou", y) for y in (2021, 2022, 2023)], "national_internet_share"] /= 100
    msg = rejected(csv(d, tmp_path), r"city Meizhou, year 2021: column 'national_internet_share' jumps x0\.0")
    assert "x1/100" in msg and "Meizhou" in msg


def test_one_city_gdp_in_10000_yuan(good, tmp_path):
    d = good.copy()
    d.loc[d["city"] == "Yunfu", "gdp"] *= 1e4
    msg = rejected(csv(d, tmp_path), r"city Yunfu, year 2011: column 'gdp' is x[\d.e+]+ the cross-city median")
    assert "2011-2023" in msg and "10,000 yuan" in msg and msg.count("Errors:") == 1


def test_x100_slip_in_the_middle_of_a_series(good, tmp_path):
    d = good.copy()
    d.loc[[row(good, "Jiangmen", y) for y in range(2016, 2019)], "loans"] *= 100
    msg = rejected(csv(d, tmp_path), r"line \d+: city Jiangmen, year 2016: column 'loans' jumps x")
    assert "x100 unit slip" in msg and "year 2019" in msg


def test_x20_jump_is_an_error_until_accepted(good, tmp_path):
    d = good.copy()
    sel = (d["city"] == "Dongguan") & (d["year"] >= 2015)
    d.loc[sel, "gdp"] *= 20
    path = csv(d, tmp_path)
    rejected(path, r"city Dongguan, year 2015: column 'gdp' jumps x2\d\.?\d* .*accept_breaks=\[\('Dongguan', 2015, 'gdp'\)\]")
    p = clean_load(path, accept_breaks=[("Dongguan", 2015, "gdp")])
    assert len(p.attrs["accepted_breaks"]) == 1 and "Dongguan" in p.attrs["accepted_breaks"][0]
    np.testing.assert_allclose(p.loc[p["city"] == "Dongguan", "gdp"], d.loc[sel | (d["city"] == "Dongguan"), "gdp"])
    report = data.check_panel(path, accept_breaks=[("Dongguan", 2015, "gdp")], show=False)
    assert report.ok and "Accepted" in report.summary()


def test_census_revision_sized_jump_passes(good, tmp_path):
    # the 2005 economic census raised Dongguan's official GDP x1.9 in one year: not a unit slip
    d = good.copy()
    d.loc[(d["city"] == "Dongguan") & (d["year"] >= 2016), "gdp"] *= 1.9
    p = clean_load(csv(d, tmp_path))
    assert p.attrs["accepted_breaks"] == []


# ------------------------------------------------------------------ values the schema forbids
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_level(good, tmp_path, value):
    d = good.copy()
    d.loc[30, "loans"] = value
    rejected(csv(d, tmp_path), r"line 32: city Shenzhen, year 2015: column 'loans' is not a finite number")


def test_duplicate_headers(good, tmp_path):
    d = good.copy()
    d.insert(5, "gdp_copy", d["gdp"] * 2)
    path = csv(d.rename(columns={"gdp_copy": "gdp"}), tmp_path)
    rejected(path, r"duplicate header 'gdp' \(columns 6, 15\)")


def test_text_in_numbers(good, tmp_path):
    d = good.astype({"exports": object})
    d.loc[50, "exports"] = "1,234.5"
    rejected(csv(d, tmp_path), r"line 52: city Zhuhai, year 2022: column 'exports' has non-numeric value '1,234.5'")


def test_negative_level(good, tmp_path):
    d = good.copy()
    d.loc[100, "avg_wage"] = -5
    rejected(csv(d, tmp_path), r"line 102: city Zhanjiang, year 2020: column 'avg_wage' is negative \(-5")


def test_share_above_one(good, tmp_path):
    d = good.copy()
    d.loc[7, "ict_emp_share"] = 45.0
    rejected(csv(d, tmp_path), r"city Guangzhou, year 2018: column 'ict_emp_share' = 45\.0 is a share.*45% -> 0\.45")


def test_unknown_city_with_closest_names(good, tmp_path):
    d = good.copy()
    d.loc[d["city"] == "Foshan", "city"] = "Foshn"
    path = csv(d, tmp_path)
    msg = rejected(path, r"unknown city 'Foshn' in column 'city' \(closest: Foshan")
    assert msg.count("unknown city") == 12 and "and 1 more key issue(s)" in msg  # listing capped
    report = data.check_panel(path, show=False)  # the full report has every offending row
    assert sum("unknown city 'Foshn'" in i.message for i in report.errors) == 13


def test_duplicate_city_year_names_both_lines(good, tmp_path):
    d = pd.concat([good, good.iloc[[3]]])
    rejected(csv(d, tmp_path), r"duplicate rows for city Guangzhou, year 2014 .*lines 5, 275")


def test_missing_keys(good, tmp_path):
    d = good.astype({"city": object, "code": object})
    d.loc[10, ["city", "code"]] = ""
    rejected(csv(d, tmp_path), r"line 12: has no city")


@pytest.mark.parametrize("year", [2106, 97249, 1800])
def test_implausible_year(good, tmp_path, year):
    d = good.copy()
    d.loc[60, "year"] = year
    msg = rejected(csv(d, tmp_path), rf"line 62: city Shantou: column 'year': year {year} is outside the plausible range 1949-2100")
    assert "Guangzhou (" not in msg  # the balance message blames only the city that lost a year


def test_year_outside_registry_coverage_warns(good, tmp_path):
    d = good.copy()
    d["year"] = d["year"] - 20  # 1991-2003
    with pytest.warns(UserWarning, match=r"year 1991 lies outside the years the city registry is checked for"):
        p = load(csv(d, tmp_path))
    assert p["year"].min() == 1991


def test_several_faults_reported_together(good, tmp_path):
    d = good.astype({"gdp": object})
    d.loc[5, "gdp"] = "n/a"
    d.loc[40, "patents_granted"] = -3
    d.loc[200, "loans"] = np.inf
    msg = rejected(csv(d, tmp_path), r"3 error\(s\)")
    for part in ("line 7: city Guangzhou, year 2016: column 'gdp' has non-numeric",
                 "line 42: city Zhuhai, year 2012: column 'patents_granted' is negative",
                 "column 'loans' is not a finite number"):
        assert part in msg


@pytest.mark.parametrize("header,unit", [("gdp (万元)", "10,000 yuan"), ("ict_emp_share（%）", "percent")])
def test_header_naming_another_unit(good, tmp_path, header, unit):
    col = header.split(" ")[0].split("（")[0]
    path = csv(good.rename(columns={col: header}), tmp_path)
    rejected(path, rf"column '{re.escape(header)}' is in {unit} by its header, the schema expects")


def test_header_naming_the_schema_unit(good, tmp_path):
    p = clean_load(csv(good.rename(columns={"gdp": "GDP (亿元)", "population": "population (10k persons)"}), tmp_path))
    same_as(p, good)


def test_missing_column_shows_headers_and_closest(good, tmp_path):
    path = csv(good.rename(columns={"loans": "loan"}), tmp_path)
    rejected(path, r"missing column\(s\) \['loans'\]; headers found: \[.*'loan'.*\]; loans \(closest found: \['loan'\]\)")


# ------------------------------------------------------------------ raw file problems
def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    rejected(path, "the file is empty")


def test_header_only_file(good, tmp_path):
    rejected(csv(good.iloc[:0], tmp_path), "no data rows below the header")


def test_file_system_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        data.load_panel(tmp_path / "nope.csv")
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        data.load_panel(tmp_path)


def test_binary_garbage_is_a_schema_error(tmp_path):
    path = tmp_path / "panel.csv"
    path.write_bytes(bytes(range(256)) * 4)
    rejected(path, "panel.csv")


# ------------------------------------------------------------------ spreadsheets that must load
def zh(good):
    return good.assign(city=good["city"].map(REG["name_zh"]))


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_chinese_encodings(good, tmp_path, encoding):
    p = clean_load(csv(zh(good), tmp_path, encoding=encoding))
    same_as(p, good)
    assert any("encoding" in n for n in p.attrs["read_notes"])


def test_utf16_tab_file_as_excel_writes_it(good, tmp_path):
    p = clean_load(csv(zh(good), tmp_path, "panel.txt", encoding="utf-16", sep="\t"))
    same_as(p, good)
    assert "delimiter '\\t'" in " ".join(p.attrs["read_notes"])


def test_semicolon_delimiter(good, tmp_path):
    same_as(clean_load(csv(good, tmp_path, sep=";")), good)


def test_trailing_space_and_upper_case_headers(good, tmp_path):
    d = good.rename(columns={"gdp": "gdp ", "loans": " Loans", "city": "City"})
    same_as(clean_load(csv(d, tmp_path)), good)


def test_chinese_names_without_shi_and_lower_case_names(good, tmp_path):
    d = good.copy()
    d["city"] = np.where(d.index % 2 == 0, d["city"].map(REG["name_zh"]).str.removesuffix("市"),
                         d["city"].str.lower())
    same_as(clean_load(csv(d, tmp_path)), good)


def test_chinese_headers_and_codes_only(good, tmp_path):
    d = good.drop(columns=["city", "region"]).rename(columns={"code": "城市代码", "year": "年份"})
    same_as(clean_load(csv(d, tmp_path)), good)


def _with_title_and_units(good, tmp_path, name="panel.csv", **kw):
    units = {c: data.PANEL_SCHEMA[c][1] for c in good.columns}
    body = pd.concat([pd.DataFrame([units]), good.astype(object)], ignore_index=True)
    path = tmp_path / name
    with open(path, "w", encoding=kw.get("encoding", "utf-8"), newline="") as fh:
        fh.write("广东省城市面板 Guangdong city panel, 2011-2023\n")
        body.to_csv(fh, index=False)
    return path


def test_title_row_and_units_row_detected(good, tmp_path):
    path = _with_title_and_units(good, tmp_path)
    p = clean_load(path)
    same_as(p, good)
    notes = " ".join(p.attrs["read_notes"])
    assert "header found on line 2" in notes and "line 3 below the header holds no number" in notes


def test_title_row_with_explicit_skiprows(good, tmp_path):
    path = _with_title_and_units(good, tmp_path)
    same_as(clean_load(path, skiprows=1, header=0), good)


def test_title_row_fault_lines_count_the_title(good, tmp_path):
    d = good.copy()
    d.loc[0, "gdp"] = -1.0
    rejected(_with_title_and_units(d, tmp_path), r"line 4: city Guangzhou, year 2011: column 'gdp' is negative")


def test_missing_city_year_refused_under_balanced_error(good, tmp_path):
    path = csv(good.drop(index=[row(good, "Yunfu", 2013), row(good, "Heyuan", 2020)]), tmp_path)
    rejected(path, r"unbalanced panel over 2011-2023 \(13 years\): missing city-years: Heyuan \(2020\); "
             r"Yunfu \(2013\); every chapter needs", balanced="error")
    with pytest.warns(UserWarning, match=r"missing city-years: Heyuan \(2020\); Yunfu \(2013\)$"):
        assert len(load(path)) == 271


def test_absent_city_is_named(good, tmp_path):
    path = csv(good[good["city"] != "Chaozhou"], tmp_path)
    rejected(path, r"missing city-years: Chaozhou \(all years\)", balanced="error")


# ------------------------------------------------------------------ Excel
def yearbook_xlsx(good, path):
    """A yearbook-shaped workbook: notes on sheet 1; title, units, Chinese names on sheet 2."""
    units = {c: data.PANEL_SCHEMA[c][1] for c in good.columns}
    body = pd.concat([pd.DataFrame([units]), zh(good).astype(object)], ignore_index=True)
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"说明": ["资料来源: 广东统计年鉴", "单位见第二行"]}).to_excel(xw, sheet_name="说明", index=False)
        pd.DataFrame([["广东省各市主要指标 (2011-2023)"]]).to_excel(xw, sheet_name="数据", index=False, header=False)
        body.to_excel(xw, sheet_name="数据", index=False, startrow=2)
    return path


def test_yearbook_xlsx_loads_with_arguments_and_automatically(good, tmp_path):
    path = yearbook_xlsx(good, tmp_path / "yearbook.xlsx")
    same_as(clean_load(path, sheet=1, skiprows=2, header=0), good)
    same_as(clean_load(path, sheet="数据", skiprows=2), good)
    p = clean_load(path)  # detection: best sheet, title row, units row
    same_as(p, good)
    assert "read sheet '数据'" in p.attrs["read_notes"][0]


def test_xlsx_fault_names_the_sheet_row(good, tmp_path):
    d = good.copy()
    d.loc[13, "population"] = np.inf  # Excel cannot hold inf: written as a formula error string
    d = d.astype({"population": object})
    d.loc[13, "population"] = "#DIV/0!"
    path = yearbook_xlsx(d, tmp_path / "yearbook.xlsx")
    # sheet rows: 1 title, 2 blank, 3 header, 4 units, 5 Guangzhou 2011, ... row 13 -> 18
    rejected(path, r"line 18: city Shaoguan, year 2011: column 'population' has non-numeric value '#DIV/0!'")


def test_missing_sheet(good, tmp_path):
    path = yearbook_xlsx(good, tmp_path / "yearbook.xlsx")
    rejected(path, r"no sheet 'Data'; sheets: \['说明', '数据'\]", sheet="Data")


# ------------------------------------------------------------------ report and command line
def test_check_panel_reports_everything_without_raising(good, tmp_path, capsys):
    d = good.copy()
    d.loc[[1, 2], "gdp"] = -1.0
    d = d.drop(index=[row(good, "Yunfu", 2013)])
    path = csv(d, tmp_path)
    report = data.check_panel(path)
    out = capsys.readouterr().out
    assert not report.ok and len(report.errors) == 3
    assert "line 3: city Guangzhou, year 2012" in out and "Yunfu (2013)" in out
    assert data.main(["check", str(path)]) == 1
    assert data.main(["check", str(csv(good, tmp_path, "ok.csv"))]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_validate_panel_accepts_another_schema():
    s = {"city": ("key", "", ""), "year": ("key", "", ""), "gdp": ("level", "100 million yuan", "")}
    f = pd.DataFrame({"city": ["广州市", "深圳市"] * 6, "year": np.repeat(np.arange(2011, 2017), 2),
                      "gdp": np.linspace(1e4, 2e4, 12)})
    p = data.validate_panel(f, schema=s, balanced="ignore")
    assert list(p.columns) == ["city", "code", "region", "year", "gdp"]
    with pytest.raises(data.PanelSchemaError, match="column 'gdp' jumps"):
        data.validate_panel(f.assign(gdp=np.where(f.index == 11, 1e8, f["gdp"])), schema=s, balanced="ignore")


def test_suggested_slips():
    assert schema.suggest_slip(1.2e4).startswith("x10^4")
    assert schema.suggest_slip(95, "share").startswith("x100: a percentage")
    assert schema.suggest_slip(1.9).startswith("no power-of-ten slip")


# ------------------------------------------------------------------ real official accounts
ACCOUNTS = "guangdong_city_accounts/city_gdp_by_sector_2000_2023.csv"


@pytest.mark.realdata
def test_real_accounts_pass_and_slips_in_them_are_caught(realdata, tmp_path):
    path = realdata / ACCOUNTS
    # as shipped: Chinese headers, codes as floats, the unit in the GDP header (亿元, the schema's)
    shipped = clean_load(path, required=["gdp"], balanced="error")
    assert "column 'gdp（亿元人民币）' read as 'gdp'" in shipped.attrs["read_notes"]
    raw = pd.read_csv(path)
    real = pd.DataFrame({"城市名称": raw["城市名称"], "年度标识": raw["年度标识"], "gdp": raw["gdp（亿元人民币）"]})
    g = real.pivot(index="年度标识", columns="城市名称", values="gdp")
    assert (g / g.shift()).max().max() == pytest.approx(1.895, abs=0.001)  # Dongguan 2005 revision
    p = clean_load(csv(real, tmp_path, encoding="gb18030"), required=["gdp"], balanced="error")
    pd.testing.assert_frame_equal(p[["city", "year", "gdp"]], shipped[["city", "year", "gdp"]])
    assert len(p) == 504 and p.query("city == 'Guangzhou' and year == 2020")["gdp"].item() == pytest.approx(25019.11)
    slip = real.assign(gdp=np.where(real["城市名称"] == "云浮市", real["gdp"] * 1e4, real["gdp"]))
    rejected(csv(slip, tmp_path, "slip.csv"), r"city Yunfu, year 2000: column 'gdp' is x.* the cross-city median.*x10\^4",
             required=["gdp"])
    pct = real.assign(gdp=np.where((real["城市名称"] == "汕尾市") & (real["年度标识"] >= 2010), real["gdp"] * 100, real["gdp"]))
    rejected(csv(pct, tmp_path, "pct.csv"), r"city Shanwei, year 2010: column 'gdp' jumps x1\d\d ", required=["gdp"])


def test_unquoted_thousands_separator_shifts_no_cell_silently(good, tmp_path):
    path = csv(good, tmp_path)
    lines = path.read_text().splitlines()
    lines[9] = lines[9].replace(",", ",1,", 1).replace("Guangzhou,1,", "Guangzhou,1,")  # one extra cell
    path.write_text("\n".join(lines) + "\n")
    rejected(path, r"1 row\(s\) have more cells than the header on line 1 \(22 columns\): line 10 \(23 cells\)")
