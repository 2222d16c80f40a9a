"""City registry, distances, panel loading and the validation fault catalogue."""

import hashlib
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from helpers import data


# ---------------------------------------------------------------- registry
def test_registry_shape_and_types():
    c = data.city_table()
    assert c.shape[0] == 21 and c.index.name == "city"
    assert c["code"].is_unique and c["code"].between(440100, 445300).all()
    assert set(c["region"].cat.categories) == {"PRD", "East", "West", "North"}
    assert c.loc["Guangzhou", "code"] == 440100 and c.loc["Guangzhou", "name_zh"] == "广州市"
    # published division: 9 PRD, 4 East, 3 West, 5 North
    assert c["region"].value_counts().to_dict() == {"PRD": 9, "North": 5, "East": 4, "West": 3}
    assert c.loc[["Shantou", "Shanwei", "Chaozhou", "Jieyang"], "region"].eq("East").all()
    assert c.loc[["Zhanjiang", "Maoming", "Yangjiang"], "region"].eq("West").all()


def test_registry_population_sums_to_official_2020_total():
    # the Seventh Census total for Guangdong (shared/realdata README)
    assert data.city_table()["pop_2020"].sum() == 126_012_510


@pytest.mark.realdata
def test_registry_matches_cpca_adcodes(realdata):
    raw = pd.read_csv(realdata / "cpca_0.5.5" / "adcodes.csv", dtype={"adcode": str})
    raw = raw[raw["adcode"].str.match(r"^44\d{2}00000000$") & (raw["adcode"] != "440000000000")]
    raw["code"] = raw["adcode"].str[:6].astype(int)
    reg = data.city_table().reset_index().merge(raw, on="code", how="outer", indicator=True)
    assert (reg["_merge"] == "both").all(), reg[reg["_merge"] != "both"]
    assert (reg["name_zh"] == reg["name"]).all()
    np.testing.assert_allclose(reg["lon"], reg["longitude"], atol=1e-6)
    np.testing.assert_allclose(reg["lat"], reg["latitude"], atol=1e-6)


@pytest.mark.realdata
def test_read_census_cities_reads_the_21_cities(realdata):
    # (the registry against the census file, nationally, is tests/test_cities.py)
    census = data.read_census_cities(realdata / "census_leiii" / "leiii_census_city_2010-2020_v1.csv")
    assert list(census.index) == list(data.city_table().index)
    assert census["pop_2020"].sum() == 126_012_510
    assert census.loc["Shenzhen", "urban_share_2020"] == pytest.approx(1.0)


# ---------------------------------------------------------------- distances
def test_great_circle_closed_forms():
    # a quarter of a meridian is pi/2 R; one degree of longitude on the equator is R pi/180
    assert data.great_circle_km(0, 0, 0, 90) == pytest.approx(math.pi / 2 * data.EARTH_RADIUS_KM)
    assert data.great_circle_km(0, 0, 1, 0) == pytest.approx(data.EARTH_RADIUS_KM * math.pi / 180)


def test_distance_matrix_properties():
    d = data.distance_matrix()
    a = d.to_numpy()
    assert d.shape == (21, 21) and (d.index == data.city_table().index).all()
    np.testing.assert_allclose(a, a.T)
    assert np.all(np.diag(a) == 0) and np.all(a[~np.eye(21, dtype=bool)] > 0)
    # triangle inequality holds on a sphere
    assert np.all(a[:, None, :] <= a[:, :, None] + a[None, :, :] + 1e-9)
    # Guangzhou-Shenzhen seats are about 104 km apart (great circle)
    assert d.loc["Guangzhou", "Shenzhen"] == pytest.approx(104.0, abs=2.0)


def test_contiguity_weights_known_neighbours():
    w = data.contiguity_weights(row_standardize=False)
    assert (w.to_numpy() == w.to_numpy().T).all()
    # Zhanjiang's only Guangdong neighbour is Maoming; Shenzhen borders Dongguan and Huizhou
    assert set(w.columns[w.loc["Zhanjiang"] > 0]) == {"Maoming"}
    assert set(w.columns[w.loc["Shenzhen"] > 0]) == {"Dongguan", "Huizhou"}
    ws = data.contiguity_weights()
    np.testing.assert_allclose(ws.sum(axis=1), 1.0)


# ---------------------------------------------------------------- panel loading
def test_load_default_panel_is_the_simulated_twin():
    p = data.load_panel()
    assert p.attrs["simulated"] is True and "SIMULATED" in p.attrs["source"]
    assert p.shape[0] == 21 * 13 and p.groupby("city")["year"].nunique().eq(13).all()
    assert set(data.PANEL_SCHEMA) <= set(p.columns)


def _write(df, tmp_path, name="panel.csv"):
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


@pytest.fixture
def good(tmp_path):
    return data.load_panel()


FAULTS = [
    # (description, mutation, expected message pattern)
    ("missing column", lambda d: d.drop(columns="loans"), r"missing column.*loans"),
    ("duplicate city-year", lambda d: pd.concat([d, d.iloc[[3]]]), r"duplicate rows for city Guangzhou, year 2014"),
    ("unknown city", lambda d: d.assign(city=d["city"].replace({"Foshan": "Fatshan"})), r"unknown city 'Fatshan'"),
    ("non-numeric", lambda d: d.astype({"gdp": object}).assign(gdp=lambda x: x["gdp"].where(x.index != 30, "n/a")),
     r"city Shenzhen, year 2015: column 'gdp' has non-numeric value 'n/a'"),
    ("negative count", lambda d: d.assign(patents_granted=lambda x: x["patents_granted"].where(x.index != 40, -3)),
     r"city Zhuhai, year 2012: column 'patents_granted' is negative"),
    ("share outside [0,1]", lambda d: d.assign(ict_emp_share=lambda x: x["ict_emp_share"].where(x.index != 5, 4.2)),
     r"city Guangzhou, year 2016: column 'ict_emp_share' = 4.2 is a share"),
    ("NaN not allowed", lambda d: d.assign(loans=lambda x: x["loans"].where(x.index != 14)),
     r"city Shaoguan, year 2012: column 'loans' is missing"),
    ("wrong code", lambda d: d.assign(code=lambda x: x["code"].where(x.index != 0, 440300)),
     r"city Guangzhou, year 2011: column 'code' is '?440300'?, registry says 440100"),
    ("missing year", lambda d: d.assign(year=lambda x: x["year"].astype(object).where(x.index != 2)),
     r"line 4: city Guangzhou: has no year"),  # file line: header is line 1, row 2 is line 4
]


@pytest.mark.parametrize("desc,mutate,pattern", FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_catalogue(good, tmp_path, desc, mutate, pattern):
    path = _write(mutate(good.copy()), tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(data.PanelSchemaError, match=pattern):
        data.load_panel(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # never modified


def test_unbalanced_panel_warns_by_default_and_errors_on_request(good, tmp_path):
    path = _write(good[~((good["city"] == "Yunfu") & (good["year"] == 2013))], tmp_path)
    with pytest.warns(UserWarning, match=r"unbalanced panel.*missing city-years: Yunfu \(2013\)"):
        p = data.load_panel(path)
    assert len(p) == 272
    with pytest.raises(data.PanelSchemaError, match=r"Yunfu \(2013\)"):
        data.load_panel(path, balanced="error")


def test_missing_values_accepted_when_allowed(good, tmp_path):
    d = good.copy()
    d.loc[14, "loans"] = np.nan
    p = data.load_panel(_write(d, tmp_path), allow_missing=True)
    assert p["loans"].isna().sum() == 1


def test_xlsx_roundtrip_and_code_only_files(good, tmp_path):
    path = tmp_path / "panel.xlsx"
    good.drop(columns=["city", "region"]).to_excel(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = data.load_panel(path)
    pd.testing.assert_frame_equal(p[good.columns].reset_index(drop=True), good, check_dtype=False)


def test_required_subset(good, tmp_path):
    small = good[["city", "year", "digital_finance_index"]]
    p = data.load_panel(_write(small, tmp_path), required=["digital_finance_index"])
    assert list(p.columns) == ["city", "code", "region", "year", "digital_finance_index"]


# ---------------------------------------------------------------- real-data adapters
@pytest.mark.realdata
def test_pku_dta_and_csv_agree(realdata):
    d = realdata / "pku_dfiic_city"
    a = data.read_pku_dfiic(d / "PKU_DFIIC_city.dta", years=range(2011, 2024))
    b = data.read_pku_dfiic(d / "PKU_DFIIC_guangdong21_2011_2023.csv")
    assert len(a) == len(b) == 273
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    # published value: Guangzhou's aggregate index in 2011
    assert a.query("city == 'Guangzhou' and year == 2011")["index_aggregate"].item() == pytest.approx(82.11)


def test_replace_column_names_the_missing_city_year(good):
    other = good[["city", "year"]].assign(x=1.0).iloc[1:]
    with pytest.raises(data.PanelSchemaError, match="city Guangzhou, year 2011"):
        data.replace_column(good, other, "digital_finance_index", "x")
