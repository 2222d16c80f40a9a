"""The national loader's cross-city slip rule (helpers.data.national_rules, issue 24): a city's
column off by a power of ten in every year (no within-city jump) is named against the cities of
its province; the shipped panel passes; the file is never modified."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from helpers.data import PanelSchemaError, china, national_rules


@pytest.fixture(scope="module")
def shipped():
    return pd.read_csv(china.data_file(china.DEFAULT_CHINA), dtype=str, keep_default_na=False)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# (city, column, factor): Dingxi has the lowest GDP per resident against its province (0.38 x),
# Daqing the highest (4.08 x); a x10 slip is caught where it crosses the factor of 10
@pytest.mark.parametrize("city,column,factor,hint", [
    ("Daqing", "gdp", 10, "x10 or x100 slip (too large)"),
    ("Dingxi", "gdp", 100, "slip (too large)"),
    ("Heze", "gdp", 1000, "x1000 slip (too large)"),
    ("Guangzhou", "mobile_users_10k_hh", 1e-4, "x10000 slip (too small)"),
])
def test_a_whole_citys_slip_is_named_against_its_province(tmp_path, shipped, city, column, factor, hint):
    bad = shipped.copy()
    rows = (bad["city"] == city) & (bad[column] != "")
    bad.loc[rows, column] = (bad.loc[rows, column].astype(float) * factor).map(repr)
    slips = [i for i in _rejected(tmp_path, bad) if i.check == "city slip"]
    path = tmp_path / "china.csv"
    assert [(i.city, i.column) for i in slips] == [(city, column)]
    assert hint in slips[0].message and f"{column} per resident" in slips[0].message
    accepted = china.load_china(path, accept_breaks=[(city, None, column)])
    assert any(city in a and column in a for a in accepted.attrs["accepted_breaks"])


def test_the_shipped_panel_passes_with_a_margin(shipped):
    clean = china.load_china()
    province = clean["city"].map(china.china_registry()["province"])
    # the measured spread (0.26-6.86 x the peers' median): every city within x7, inside the factor 10
    assert national_rules.national_slip_issues(clean, province, factor=7.0) == []
    assert national_rules.national_slip_issues(clean, province, factor=6.5) != []  # Karamay's GDP, 6.86


def test_the_appendix_rule_table_reads_the_constants(monkeypatch):
    from helpers.data import coherence, plausibility

    table = plausibility.rules_table()
    assert len(table) == 14 and table["rule"].is_unique
    monkeypatch.setattr(coherence, "SHIFT_FACTOR", 2.5)
    monkeypatch.setattr(national_rules, "NATIONAL_FACTOR", 8.0)
    tol = plausibility.rules_table().set_index("rule")["tolerance"]
    assert tol["year labels rotated or shifted"].startswith("x2.5 ")
    assert tol["one city's slip (national panel)"] == "factor 8 against the province"


# ------------------------------------------------ positivity, parts and census (issue 24)
def _rejected(tmp_path, frame):
    path = tmp_path / "china.csv"
    frame.to_csv(path, index=False)
    before = _sha(path)
    with pytest.raises(PanelSchemaError) as err:
        china.load_china(path)
    assert _sha(path) == before
    return err.value.report.errors


def _set(frame, city, year, column, value):
    bad = frame.copy()
    bad.loc[(bad["city"] == city) & (bad["year"] == str(year)), column] = repr(float(value))
    return bad


@pytest.mark.parametrize("value,check", [(0.0, "not positive"), (-5.0, "greater_than_or_equal_to(0)")])
def test_national_zero_or_negative_gdp_is_named(tmp_path, shipped, value, check):
    errors = _rejected(tmp_path, _set(shipped, "Wuxi", 2015, "gdp", value))
    named = [(i.check, i.city, i.year, i.column) for i in errors]
    assert (check, "Wuxi", 2015, "gdp") in named


@pytest.mark.parametrize("part,whole,factor", [("va_secondary", "gdp", 1.2),
                                               ("emp_manufacturing", "employment", 1.1),
                                               ("employment", "population", 1.05)])
def test_national_part_above_its_whole_is_named(tmp_path, shipped, part, whole, factor):
    row = (shipped["city"] == "Xuzhou") & (shipped["year"] == "2012")
    bad = _set(shipped, "Xuzhou", 2012, part, float(shipped.loc[row, whole].iat[0]) * factor)
    errors = [i for i in _rejected(tmp_path, bad) if i.check == "part > whole"]
    assert [(i.city, i.year, i.column) for i in errors] == [("Xuzhou", 2012, part)]
    assert f"{factor:.3g} x {whole}" in errors[0].message


def test_national_population_off_the_census_is_named(tmp_path, shipped):
    from helpers.data import plausibility

    bad = shipped.copy()
    rows = (bad["city"] == "Nanjing") & (bad["population"] != "")
    factor = plausibility.CENSUS_TOLERANCE * 1.4   # Nanjing lies within 0.86-1.12 x its censuses
    bad.loc[rows, "population"] = (bad.loc[rows, "population"].astype(float) * factor).map(repr)
    census = [i for i in _rejected(tmp_path, bad) if i.check == "census"]
    assert [(i.city, i.column) for i in census] == [("Nanjing", "population")]
    assert "x the census population in 2005-2023" in census[0].message


def test_the_shipped_panels_census_gaps_are_accepted_by_name():
    clean = china.load_china()
    accepted = [a for a in clean.attrs["accepted_breaks"] if "census population" in a]
    cities = {c for c, *_ in national_rules.SHIPPED_CENSUS_ACCEPTED}
    assert len(accepted) == len(cities) and all(any(f"city {c}," in a for a in accepted) for c in cities)
    assert any("Tongling" in a and "Zongyang" in a for a in accepted)  # each says why
    # without the acceptances, exactly these cities and years are named (nothing else)
    issues = china.national_plausibility_issues(clean, china._census())
    assert {i.city for i in issues} == cities and all(i.severity == "accepted" for i in issues)
