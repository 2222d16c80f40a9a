"""Yearbook-proof loading: one generated file per fault class, each rejected naming the culprit or
accepted as documented, and never modified (issue 11).

Every file is derived from the bundled panel in ``tmp_path``. Rows of the bundled panel are in
code-year order, 13 years per city: row i is Guangzhou 2011 + i for i < 13, and a CSV written
with a header has row i on file line i + 2.
"""

import hashlib
import os as _os
import re
import subprocess as _sp
import sys as _sys
import time as _time
import warnings

import numpy as np
import pandas as pd
import pytest

from helpers import data
from helpers.data import guards as _guards
from helpers.data import schema

REG = data.city_table()


@pytest.fixture(scope="module")
def good():
    # the bundled panel in the documented schema (the twin's extra columns, such as the sectors'
    # value added, are not part of PANEL_SCHEMA)
    p = data.load_panel()
    return p[[c for c in p.columns if c in data.PANEL_SCHEMA]]


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


# --------------------------------------------------------------------------- issue 24: hostile files
# File-system faults, caps, echoes and plausibility rules (helpers.data.guards, .plausibility).


def _check_cli(path):
    """``python -m helpers.data check PATH`` in a subprocess (a pipe must not block it)."""
    return _sp.run([_sys.executable, "-m", "helpers.data", "check", str(path)], check=False,
                   capture_output=True, text=True, timeout=120)


def _one_line_naming(r, path, pattern):
    msg = (r.stdout + r.stderr).strip()
    assert r.returncode != 0 and "Traceback" not in msg
    assert len(msg.splitlines()) == 1 and str(path) in msg and re.search(pattern, msg), msg


@pytest.mark.parametrize("kind", ["pipe", "folder", "dangling", "missing"])
def test_file_system_faults_give_one_line_naming_the_file(tmp_path, kind):
    path = tmp_path / f"{kind}.csv"
    if kind == "pipe":
        _os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "dangling":
        path.symlink_to(tmp_path / "gone.csv")
    pattern = {"pipe": "named pipe", "folder": "folder", "dangling": "symbolic link.*gone.csv",
               "missing": "no such file|not found"}[kind]
    _one_line_naming(_check_cli(path), path, pattern)
    with pytest.raises((data.PanelSchemaError, FileNotFoundError, IsADirectoryError), match=pattern):
        data.load_panel(path)


def test_unreadable_file_one_line(tmp_path, good):
    if _os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = csv(good, tmp_path)
    path.chmod(0)
    _one_line_naming(_check_cli(path), path, "permission denied")


def test_size_and_row_caps_name_the_file_and_the_cap(tmp_path, good, monkeypatch):
    path = csv(good, tmp_path)
    assert data.check_panel(path, show=False).ok  # the defaults read it
    monkeypatch.setattr(_guards, "MAX_BYTES", 1000)
    with pytest.raises(data.PanelSchemaError, match=r"panel.csv: [\d,]+ bytes, above the limit of 1,000 bytes \(helpers.data"):
        load(path)
    monkeypatch.setattr(_guards, "MAX_BYTES", 2**30)
    monkeypatch.setattr(_guards, "MAX_ROWS", 100)
    with pytest.raises(data.PanelSchemaError, match=r"panel.csv: 273 rows, above the limit of 100 \(helpers"):
        load(path)


def test_a_200k_row_file_is_checked_quickly_with_a_bounded_report(tmp_path, good):
    big = pd.concat([good] * (200_000 // len(good) + 1)).head(200_000)
    path = csv(big, tmp_path, "big.csv")
    before = _sha(path)
    t0 = _time.perf_counter()
    report = data.check_panel(path, show=False)
    secs = _time.perf_counter() - t0
    print(f"200,000-row file checked in {secs:.1f} s; {len(report.issues)} issues kept")  # measured, not asserted
    assert not report.ok and _sha(path) == before
    dups = [i for i in report.errors if i.check == "duplicate"]
    assert len(dups) == len(good) and len(report.issues) <= schema.MAX_ISSUES + 11
    assert "and 723 more" in dups[0].message  # 733 copies of Guangzhou 2011: 10 lines listed


def test_a_huge_first_line_is_echoed_at_most_80_characters(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_text("x" * 5000 + "\n1\n2\n")
    report = data.check_panel(path, show=False)
    text = report.summary(limit=None)
    assert not report.ok and "missing column" in text
    assert "x" * 41 not in text and "x" * 40 in text


def test_escape_name_neutralises_markdown_and_html():
    evil = "<img src=x onerror=alert(1)>[link](javascript:x)*b*.csv"
    out = _guards.escape_name(evil)
    assert "<" not in out and ">" not in out and "](" not in out and "\\*b\\*" in out
    assert _guards.echo("a\x1b[31m" + "y" * 100 + "\nsecond") == "a\\x1b[31m" + "y" * 71 + "..."


def _errors(report, check):
    return [i for i in report.errors if i.check == check]


@pytest.mark.parametrize("column", ["gdp", "population", "exports"])
def test_zero_in_a_logged_column_is_an_error_naming_city_and_year(tmp_path, good, column):
    bad = good.copy()
    bad.loc[14, column] = 0.0  # Shaoguan 2012
    msg = rejected(csv(bad, tmp_path), rf"{column}.*0 in 2012.*logarithm")
    assert "Shaoguan" in msg


@pytest.mark.parametrize("part,whole,factor", [("industrial_value_added", "gdp", 1.3),
                                               ("rd_personnel", "population", 1.5e4),
                                               ("emp_manufacturing", "employment", 1.2)])
def test_parts_larger_than_wholes_are_errors(tmp_path, good, part, whole, factor):
    bad = good.copy()
    rows = bad["city"] == "Foshan"
    bad.loc[rows, part] = bad.loc[rows, whole] * factor
    msg = rejected(csv(bad, tmp_path), rf"{part}.*x {whole}")
    assert "Foshan" in msg


def test_population_in_persons_is_caught_against_the_census(tmp_path, good):
    bad = good.copy()
    bad["population"] = bad["population"] * 1e4
    msg = rejected(csv(bad, tmp_path), r"census population.*persons")
    assert "Guangzhou" in msg


@pytest.mark.parametrize("column,city,factor", [("gdp", "Meizhou", 10), ("gdp", "Shenzhen", 100),
                                                ("gdp", "Yunfu", 1000), ("avg_wage", "Zhanjiang", 10),
                                                ("employment", "Heyuan", 10)])
def test_one_citys_slip_is_caught_against_the_cross_city_median(tmp_path, good, column, city, factor):
    bad = good.copy()
    bad.loc[bad["city"] == city, column] *= factor
    msg = rejected(csv(bad, tmp_path), rf"{column}.*x the cross-city median")
    assert city in msg


@pytest.mark.parametrize("factor", [10, 1e4])
def test_every_citys_gdp_slipped_is_caught_by_the_plausible_median(tmp_path, good, factor):
    bad = good.copy()
    bad["gdp"] *= factor
    bad["industrial_value_added"] *= factor
    rejected(csv(bad, tmp_path), r"cross-city median of gdp.*another unit")


def test_header_unit_thousand_yuan_is_converted_or_refused(tmp_path, good):
    bad = good.copy()
    bad["gdp"] = bad["gdp"] * 1e5
    bad = bad.rename(columns={"gdp": "gdp (千元)"})
    path = csv(bad, tmp_path)
    rejected(path, r"gdp \(千元\).*thousand yuan")


def test_a_hostile_file_name_reaches_the_page_escaped(tmp_path):
    from helpers.analysis import realdata

    evil = tmp_path / "<img src=x onerror=alert(1)>[x](javascript:y).dta"
    _, note = realdata.pku_index(evil)   # the note goes into Chapter 6 as Markdown
    assert "not found" in note and "<img" not in note and "](javascript" not in note
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in note
    evil.write_text("year,city\n" + "z" * 500 + "\n")
    _, note = realdata.pku_index(evil)
    assert "could not be read" in note and "<img" not in note and "z" * 81 not in note


def test_accounts_sectors_that_do_not_add_up_to_gdp_are_named(tmp_path):
    acc = data.load_accounts()
    ok = data.check_panel(csv(acc, tmp_path, "ok.csv"), schema=data.ACCOUNTS_SCHEMA, allow_missing=True, show=False)
    assert ok.ok, ok.summary()
    bad = acc.copy()
    bad.loc[bad["city"] == "Zhaoqing", "va_tertiary"] *= 10
    report = data.check_panel(csv(bad, tmp_path), schema=data.ACCOUNTS_SCHEMA, allow_missing=True, show=False)
    sectors = [i for i in report.errors if i.check == "sectors"]
    assert [i.city for i in sectors] == ["Zhaoqing"] and "x gdp" in sectors[0].message


def test_a_hidden_first_sheet_is_ignored_and_reported(tmp_path, good):
    import openpyxl

    old = good.copy()
    old[["gdp", "industrial_value_added"]] *= 0.9   # an old vintage, kept hidden by the publisher
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    for ws, frame in ((wb.active, old), (wb.create_sheet("2024 edition"), good)):
        ws.append(list(frame.columns))
        for rec in frame.itertuples(index=False):
            ws.append(list(rec))
    wb.active.title = "2019 edition"
    wb["2019 edition"].sheet_state = "hidden"
    wb.active = 1
    wb.save(path)
    p = load(path)
    same_as(p, good)
    assert any("hidden sheet(s) ['2019 edition'] ignored" in n for n in p.attrs["read_notes"])
    p_old = load(path, sheet="2019 edition")
    assert np.allclose(p_old["gdp"], good["gdp"] * 0.9)
    assert any("is hidden in the workbook" in n for n in p_old.attrs["read_notes"])


# ------------------------------------------------------------------ issue 24: classes still open
def _accounts_check(frame, tmp_path, name="acc.csv"):
    path = csv(frame, tmp_path, name)
    before = _sha(path)
    report = data.check_panel(path, schema=data.ACCOUNTS_SCHEMA, allow_missing=True, show=False)
    assert _sha(path) == before
    return report


def test_swapped_manufacturing_and_producer_service_headers_are_named(tmp_path, good):
    from helpers.data import coherence

    bad = good.rename(columns={"emp_manufacturing": "emp_producer_services",
                               "emp_producer_services": "emp_manufacturing"})
    msg = rejected(csv(bad, tmp_path), r"headers emp_manufacturing and emp_producer_services swapped")
    ratio = (good["emp_manufacturing"] / good["emp_producer_services"]).groupby(good["city"]).median().median()
    assert ratio > coherence.EMP_RATIO_MAX and f"{ratio:.3g} x emp_manufacturing" in msg


@pytest.mark.parametrize("city,shift", [("Guangzhou", 1), ("Shenzhen", -1), ("Maoming", 1)])
def test_one_citys_year_labels_rotated_by_one_are_flagged(tmp_path, good, city, shift):
    bad = good.copy()
    rows = bad["city"] == city
    bad.loc[rows, "year"] = np.roll(bad.loc[rows, "year"].to_numpy(), shift)
    wrap = 2023 if shift == 1 else 2012   # the labels whose values are 12 years apart
    msg = rejected(csv(bad, tmp_path), rf"city {city}, year {wrap}: from {wrap - 1} to {wrap} the city's columns "
                   r"move x0\.\d+ against the other cities'.*year labels rotated")
    assert msg.count("year labels rotated") == 1  # only the wrap, no other city or year
    # accepted as a real break (a boundary change) when the user says so
    report = data.check_panel(csv(bad, tmp_path, "b.csv"), accept_breaks=[(city, wrap, "year")], show=False)
    assert not _errors(report, "year labels") and [i.year for i in report.accepted] == [wrap]


def _swap_in(frame, city):
    bad = frame.copy()
    rows = bad["city"] == city
    pair = ["emp_manufacturing", "emp_producer_services"]
    bad.loc[rows, pair] = bad.loc[rows, pair[::-1]].to_numpy()
    return bad


def test_one_citys_employment_headers_swapped_are_named_where_the_ratio_tells(good):
    from helpers.data import coherence

    ratio = (good["emp_producer_services"] / good["emp_manufacturing"]).groupby(good["city"]).median()
    assert coherence.city_swap_issues(good) == []
    # a swap is named exactly where the city's true ratio is below 1 / the limit, and only there
    for city, r in ratio.items():
        named = [(i.city, i.column) for i in coherence.city_swap_issues(_swap_in(good, city))]
        assert named == ([(city, "emp_producer_services")] if 1 / r > coherence.EMP_CITY_RATIO_MAX else [])


def test_one_citys_employment_headers_swapped_in_a_file(tmp_path, good):
    r = (good["emp_manufacturing"] / good["emp_producer_services"])[good["city"] == "Guangzhou"].median()
    msg = rejected(csv(_swap_in(good, "Guangzhou"), tmp_path),
                   r"city Guangzhou.*are the city's emp_manufacturing and emp_producer_services swapped")
    assert f"emp_producer_services is {r:.3g} x emp_manufacturing" in msg
    path = csv(_swap_in(good, "Guangzhou"), tmp_path, "b.csv")
    before = _sha(path)
    report = data.check_panel(path, show=False, accept_breaks=[("Guangzhou", None, "emp_producer_services")])
    assert report.ok and [i.city for i in report.accepted] == ["Guangzhou"] and _sha(path) == before


@pytest.fixture(scope="module")
def seed3():
    from helpers.simulate import simulate_panel

    p, _ = simulate_panel(seed=3)
    return p[[c for c in p.columns if c in data.PANEL_SCHEMA]]


# Chaozhou of the twin of seed 3 grows least over 2011-2023, so the wrap-around jump of its
# rotated labels stays inside the size rule's factor; the rotation's pattern names it
@pytest.mark.parametrize("shift", [1, -1])
def test_a_rotation_the_size_rule_misses_is_named_by_its_pattern(tmp_path, seed3, shift):
    from helpers.data import coherence

    assert not [i for i in coherence.coherence_issues(seed3) if i.check == "year labels"]
    bad = seed3.copy()
    rows = bad["city"] == "Chaozhou"
    bad.loc[rows, "year"] = np.roll(bad.loc[rows, "year"].to_numpy(), shift)
    assert not [i for i in coherence.year_shift_issues(bad.reset_index(drop=True)) if i.city == "Chaozhou"]
    path = csv(bad, tmp_path)
    before = _sha(path)
    report = data.check_panel(path, show=False)
    assert _sha(path) == before
    wrap = 2023 if shift == 1 else 2012
    named = [(i.city, i.year, i.column) for i in report.errors if i.check == "year labels"]
    assert named == [("Chaozhou", wrap, "year")]
    assert "one-year rotation, wrapping around at" in report.errors[0].message


def test_one_citys_year_labels_shifted_by_one_are_named(tmp_path, good):
    bad = good.copy()
    bad.loc[bad["city"] == "Zhuhai", "year"] += 1
    path = csv(bad, tmp_path)
    before = _sha(path)
    report = data.check_panel(path, balanced="warn", show=False)
    assert _sha(path) == before
    named = [i for i in report.errors if i.check == "year labels" and i.city == "Zhuhai"]
    assert named and "shifted by +1" in named[0].message


def test_big5_is_named_as_an_encoding_problem_not_an_unknown_city(tmp_path, good):
    trad = str.maketrans("广东门阳庆远云头关", "廣東門陽慶遠雲頭關")
    d = zh(good).assign(city=lambda f: f["city"].str.translate(trad))
    msg = rejected(csv(d, tmp_path, encoding="big5"), r"looks Big5-encoded \(traditional Chinese")
    assert "unknown city" not in msg and "廣州市" in msg


def test_mixed_encodings_are_named_as_such(tmp_path, good):
    path = tmp_path / "panel.csv"
    text = zh(good).to_csv(index=False).splitlines(keepends=True)
    half = len(text) // 2
    path.write_bytes("".join(text[:half]).encode("utf-8") + "".join(text[half:]).encode("gbk"))
    msg = rejected(path, r"mixed text encodings: \d+ line\(s\) with Chinese text are UTF-8")
    assert "unknown city" not in msg


def _workbook(frame, path, edit=None):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(frame.columns))
    for rec in frame.itertuples(index=False):
        ws.append(list(rec))
    if edit:
        edit(ws)
    wb.save(path)
    return path


def test_excel_formulas_without_stored_results_are_named(tmp_path, good):
    col = list(good.columns).index("gdp") + 1

    def formulas(ws):   # openpyxl writes formulas without results, as many scripts do
        for r in (2, 3):
            ws.cell(row=r, column=col).value = f"=O{r}*1.1"

    path = _workbook(good, tmp_path / "f.xlsx", formulas)
    msg = rejected(path, r"2 cell\(s\) hold a formula without a stored result")
    assert "Sheet!N2 =O2*1.1" in msg and "missing" not in msg


def test_date_formatted_numbers_are_named_as_dates(tmp_path, good):
    col = list(good.columns).index("avg_wage") + 1

    def date_format(ws):
        ws.cell(row=5, column=col).number_format = "yyyy-mm-dd"   # line 5: Guangzhou 2014

    path = _workbook(good, tmp_path / "d.xlsx", date_format)
    value = good.loc[3, "avg_wage"]
    msg = rejected(path, r"line 5: city Guangzhou, year 2014: column 'avg_wage' holds a date \(")
    assert f"holds the number {value:.10g}" in msg and "e+18" not in msg and "negative" not in msg


# the lowest FDI per GDP (0.13 x the median: x100 gives 12.6, named as a slip of about x10) and
# the highest (2.79 x: x100 gives 279)
@pytest.mark.parametrize("city,hint", [("Maoming", "x10 slip (too large)"), ("Zhaoqing", "x100 slip (too large)")])
def test_accounts_fdi_x100_in_one_city_is_caught(tmp_path, city, hint):
    acc = data.load_accounts()
    bad = acc.copy()
    bad.loc[bad["city"] == city, "fdi_usd_million"] *= 100
    report = _accounts_check(bad, tmp_path)
    slips = [i for i in report.errors if i.check == "city slip"]
    assert [(i.city, i.column) for i in slips] == [(city, "fdi_usd_million")]
    assert hint in slips[0].message


def test_accounts_secondary_and_tertiary_swapped_are_named(tmp_path):
    acc = data.load_accounts()
    bad = acc.rename(columns={"va_secondary": "va_tertiary", "va_tertiary": "va_secondary"})
    report = _accounts_check(bad, tmp_path)
    swapped = [i for i in report.errors if i.check == "swapped columns"]
    assert len(swapped) == 1 and "va_secondary and va_tertiary swapped" in swapped[0].message
    assert not report.errors[1:]  # the sums still add up: nothing else is wrong


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_every_national_name_in_gbk_is_neither_mixed_nor_big5(encoding):
    # the encoding rules must not refuse a genuine simplified-Chinese file: every prefecture's
    # and province's Chinese name, one line per city and year as in the national panel
    from helpers.data import china, readers

    reg = china.china_registry()
    lines = [f"{c},{p},{y},1.5" for c, p in zip(reg["name_zh"], reg["province_zh"]) for y in range(2005, 2024)]
    raw = ("name_zh,province_zh,year,gdp\n" + "\n".join(lines)).encode(encoding)
    assert readers.detect_encoding(raw) == "gb18030"
    assert readers.encoding_fault(raw, "gb18030") is None
