"""Readers of the national source files for ``tools/build_china.py``: crosswalks and cleaning.

Each reader returns one tidy frame keyed by registry ``code`` and ``year`` and appends every
cleaning decision, with its count, to the build log. Every crosswalk and rule is a named constant
here and written down in data/README.md ("china_city_panel.csv"). A fault names the file, the
city, the year and the column (:class:`BuildError`).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
YEARS = range(2005, 2024)
ACC = "china_city_accounts"
CCSY = "ccsy_city_yearbook"
GDP_FILE = f"{ACC}/china_city_gdp_by_sector_2000_2023.csv"
LOANS_FILE = f"{ACC}/china_city_loans_deposits_2003_2023.csv"
POP_FILE = f"{ACC}/china_city_resident_population_1998_2024.csv"
FDI_FILE = f"{ACC}/china_city_fdi_1996_2023.csv"
DIGITAL_FILE = f"{CCSY}/ccsy_city_digital_tech_panel_2005_2023.csv"
EMP_FILE = f"{CCSY}/ccsy_city_employment_by_industry_2005_2019.csv"
PILOT_FILE = "broadband_china/broadband_china_pilots.csv"
CONNECT_FILE = "intercity_connectivity_2016/CN_Public.csv"

#: Source codes that are not the registry's 2020 prefecture codes -> registry code.
#: Municipalities carry the province code (110000) in the sources, the registry the city code
#: (110100); Danzhou a county-level code before it became a prefecture; Nagqu, Turpan and Hami
#: their former prefecture (地区) codes.
CODE_CROSSWALK = {
    110000: 110100,
    120000: 120100,
    310000: 310100,
    500000: 500100,
    469003: 460400,
    542400: 540600,
    652100: 650400,
    652200: 650500,
}
#: Units that no longer exist in the 2020 division: their rows are dropped (counted).
#: 巢湖 was abolished in 2011 (split among Hefei, Wuhu, Ma'anshan), 莱芜 merged into Jinan in
#: 2019, 伊犁地区 is a 2000-only row of the former sub-prefecture.
DROPPED_CODES = {
    341400: "巢湖市 (abolished 2011)",
    371200: "莱芜市 (merged into 济南市 2019)",
    654100: "伊犁地区 (former sub-prefecture, 2000 only)",
}
#: City names in the yearbook and FDI files -> registry name: former names and an OCR slip the
#: source's own repair map missed (洒泉 for 酒泉: the rows hold values of Jiuquan missing from
#: its own rows in the same edition, see :func:`_combine`).
NAME_CROSSWALK = {"思茅市": "普洱市", "襄樊市": "襄阳市", "洒泉市": "酒泉市"}
DROPPED_NAMES = {"巢湖市", "莱芜市", "巢湖", "莱芜", "中国"}
#: OCR slips in the yearbook's province names.
PROVINCE_CROSSWALK = {"胡南省": "湖南省"}
#: The 15 sub-provincial cities (副省级市).
SUB_PROVINCIAL = {
    "广州市",
    "深圳市",
    "南京市",
    "武汉市",
    "成都市",
    "西安市",
    "沈阳市",
    "大连市",
    "长春市",
    "哈尔滨市",
    "济南市",
    "青岛市",
    "杭州市",
    "宁波市",
    "厦门市",
}
MUNICIPALITIES = {110100, 120100, 310100, 500100}

#: Yearbook editions: the series' median year-on-year ratio over cities beyond this factor is a
#: unit flip of a whole edition (the source's flips were 10^4: 户 vs 万户, 人 vs 万人,
#: 万元 vs 亿元).
EDITION_FLIP_FACTOR = 30.0
WAN_TO_YI = 1e-4  # 10,000 yuan -> 100 million yuan

DIGITAL_COLUMNS = {  # source column -> panel column (units kept in the names)
    "internet_users_10k_hh": "internet_users_10k_hh",
    "internet_intl_users_10k_hh": "internet_intl_users_10k_hh",
    "broadband_users_10k_hh": "broadband_users_10k_hh",
    "mobile_users_10k_hh": "mobile_users_10k_hh",
    "fixed_phone_users_10k_hh": "fixed_phone_users_10k_hh",
    "telecom_revenue_10k_yuan": "telecom_revenue_10k_yuan",
    "telecom_volume_10k_yuan": "telecom_volume_10k_yuan",
    "postal_revenue_10k_yuan": "postal_revenue_10k_yuan",
    "postal_volume_10k_yuan": "postal_volume_10k_yuan",
    "sci_tech_expenditure_10k_yuan": "sci_tech_expenditure_10k_yuan",
    "general_budget_expenditure_10k_yuan": "general_budget_expenditure_10k_yuan",
    "patents_applied": "patents_applied",
    "patents_granted": "patents_granted",
    "invention_patents_granted": "invention_patents_granted",
    "rd_personnel_persons": "rd_personnel",
    "rd_internal_expenditure_10k_yuan": "rd_internal_expenditure_10k_yuan",
    "gdp_current_100m_yuan": "ccsy_gdp_100m_yuan",
    "pop_registered_10k": "ccsy_pop_registered_10k",
    "pop_resident_10k": "ccsy_pop_resident_10k",
}
#: Single yearbook cells that cannot be right, blanked: (column, city, year) -> reason.
BLANKED_CELLS = {
    ("sci_tech_expenditure_10k_yuan", "葫芦岛市", 2023): "negative (-164) in the source"
}
DIGITAL_FLAGS = [
    "flag_internet_yoy_jump",
    "flag_mobile_yoy_jump",
    "flag_internet_gt_pop",
    "flag_zero_value",
]
DEFINITIONS = {
    "internet_users(国际互联网用户数)": "internet_users",
    "broadband_access_subscribers(互联网宽带接入用户数)": "broadband_subscribers",
}
#: The 19 industries: source stem -> panel column (10k persons).
INDUSTRIES = {
    "agri": "emp_agriculture",
    "mining": "emp_mining",
    "manuf": "emp_manufacturing",
    "utilities": "emp_utilities",
    "construction": "emp_construction",
    "transport": "emp_transport",
    "ict": "emp_ict",
    "wholesale_retail": "emp_wholesale_retail",
    "hotel_catering": "emp_hotel_catering",
    "finance": "emp_finance",
    "real_estate": "emp_real_estate",
    "leasing_business": "emp_leasing_business",
    "research_tech": "emp_research_tech",
    "water_env": "emp_water_env",
    "resident_services": "emp_resident_services",
    "education": "emp_education",
    "health_social": "emp_health_social",
    "culture_sports": "emp_culture_sports",
    "public_admin": "emp_public_admin",
}
PERSONS_TO_10K = 1e-4
#: Series-years that are not what their column says: blanked (counted). Edition 2020 has no
#: agriculture column; the source's fallback holds values of 0.09-47 (Beijing 0.32 against 26,639
#: persons in 2018): not persons, most likely a percentage.
BLANKED = {
    ("emp_agri_persons", 2019): "edition 2020 has no agriculture column; the values "
    "(0.09-47) are not persons"
}
ENTITY_TYPES = {
    "prefecture city": "city",
    "city cluster member": "cluster member",
    "county-level city": "county-level city",
    "district": "district",
    "other": "autonomous prefecture",
}
#: Entity types that designate the whole prefecture (a county-level city or a district does not).
WHOLE_CITY_TYPES = {"city", "cluster member", "autonomous prefecture"}


class BuildError(RuntimeError):
    """A source file fails a check; the message names the file, city, year or column."""


# --------------------------------------------------------------------------- registry
def registry(root: Path = ROOT) -> pd.DataFrame:
    """The 337 units: code, English/pinyin and Chinese names, province, city type, region."""
    pre = pd.read_csv(root / "data" / "china_prefectures.csv", dtype={"name_zh": str})
    names = pd.read_csv(root / "data" / "china_city_names.csv", dtype={"name_zh": str})
    reg = pre.merge(names, on=["code", "name_zh"], how="outer", indicator=True)
    if (reg["_merge"] != "both").any():
        raise BuildError(
            f"data/china_city_names.csv and data/china_prefectures.csv disagree on "
            f"{reg.loc[reg['_merge'] != 'both', 'name_zh'].tolist()}"
        )
    from helpers.data import city_table

    gd = city_table()
    gd_name = pd.Series(gd.index, index=gd["code"])
    clash = reg[reg["code"].isin(gd["code"]) & (reg["code"].map(gd_name) != reg["name_en"])]
    if len(clash):
        raise BuildError(
            f"English names differ from helpers.data.city_table(): {clash['name_en'].tolist()}"
        )
    reg["city_type"] = [_city_type(c, n) for c, n in zip(reg["code"], reg["name_zh"])]
    reg["region"] = reg["code"].map(gd.set_index("code")["region"].astype(str)).fillna("Other")
    return reg.rename(columns={"name_en": "city", "province_en": "province"})[
        ["code", "city", "name_zh", "province", "province_zh", "city_type", "region"]
    ]


def _city_type(code: int, name: str) -> str:
    if code in MUNICIPALITIES:
        return "municipality"
    if name in SUB_PROVINCIAL:
        return "sub-provincial city"
    for suffix, kind in (
        ("自治州", "autonomous prefecture"),
        ("地区", "prefecture"),
        ("盟", "league"),
    ):
        if name.endswith(suffix):
            return kind
    return "prefecture-level city"


# --------------------------------------------------------------------------- reading
def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"source file not found: {path}")
    df = pd.read_csv(path, encoding="utf-8-sig")
    return df.dropna(how="all")


def _need(df, cols, path):
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise BuildError(f"{path}: missing column(s) {missing}")


def _numeric(df, cols, path, who):
    """Parse ``cols`` as numbers; text that is no number is an error naming file, city and year."""
    for c in cols:
        num = pd.to_numeric(df[c], errors="coerce")
        bad = num.isna() & df[c].notna() & (df[c].astype(str).str.strip() != "")
        if bad.any():
            i = df.index[bad][0]
            raise BuildError(
                f"{path}: city {df.at[i, who]}, year {df.at[i, 'year']}: column {c!r} "
                f"has non-numeric value {df.at[i, c]!r}"
            )
        df[c] = num
    return df


def _by_code(df, path, reg, log, label):
    """Map source codes to registry codes (crosswalk, dropped units); unknown codes are an error."""
    df = df[df["code"].notna()].copy()
    df["code"] = df["code"].astype(float).astype(int)
    drop = df["code"].isin(DROPPED_CODES)
    if drop.any():
        log.append(
            f"{label}: dropped {int(drop.sum())} rows of units not in the 2020 division "
            f"({', '.join(sorted({DROPPED_CODES[c] for c in df.loc[drop, 'code']}))})"
        )
    df = df[~drop]
    moved = df["code"].isin(CODE_CROSSWALK)
    if moved.any():
        log.append(
            f"{label}: {int(moved.sum())} rows recoded to 2020 codes "
            f"({', '.join(f'{k}->{v}' for k, v in CODE_CROSSWALK.items() if k in set(df['code']))})"
        )
    df["code"] = df["code"].replace(CODE_CROSSWALK)
    unknown = ~df["code"].isin(reg["code"])
    if unknown.any():
        i = df.index[unknown][0]
        raise BuildError(
            f"{path}: unknown city code {df.at[i, 'code']} (city {df.at[i, 'name_zh']}, "
            f"year {df.at[i, 'year']}): not in the registry nor in the crosswalk"
        )
    return df


def _by_name(df, path, reg, log, label, province=True):
    """Map Chinese names (full, or without 市/地区/盟) to registry codes; province must agree."""
    raw = df["name_zh"].astype(str).str.replace("\u200b", "", regex=False).str.strip()
    if (raw != df["name_zh"]).any():
        log.append(
            f"{label}: {int((raw != df['name_zh']).sum())} names stripped of spaces or "
            "zero-width characters"
        )
    drop = raw.isin(DROPPED_NAMES)
    if drop.any():
        log.append(
            f"{label}: dropped {int(drop.sum())} rows ({', '.join(sorted(set(raw[drop])))}: "
            "not a unit of the 2020 division, or the national total)"
        )
    df, raw = df[~drop].copy(), raw[~drop]
    fixed = raw.map(NAME_CROSSWALK)
    for old, new in NAME_CROSSWALK.items():
        n = int((raw == old).sum())
        if n:
            log.append(f"{label}: {n} rows named {old} read as {new}")
    name = fixed.fillna(raw)
    full = pd.Series(reg["code"].to_numpy(), index=reg["name_zh"])
    short = pd.Series(
        reg["code"].to_numpy(), index=reg["name_zh"].str.replace("(市|地区|盟)$", "", regex=True)
    )
    df["code"] = name.map(full).fillna(name.map(short))
    if df["code"].isna().any():
        i = df.index[df["code"].isna()][0]
        raise BuildError(
            f"{path}: unknown city name {df.at[i, 'name_zh']!r} (year {df.at[i, 'year']}): "
            "not in the registry nor in the crosswalk (an OCR slip?)"
        )
    df["code"] = df["code"].astype(int)
    if province:
        prov = df["province"].replace(PROVINCE_CROSSWALK)
        n = int((prov != df["province"]).sum())
        if n:
            log.append(
                f"{label}: {n} rows with an OCR-garbled province name repaired "
                f"({', '.join(f'{k}->{v}' for k, v in PROVINCE_CROSSWALK.items())})"
            )
        want = df["code"].map(reg.set_index("code")["province_zh"])
        bad = prov != want
        if bad.any():
            i = df.index[bad][0]
            raise BuildError(
                f"{path}: city {df.at[i, 'name_zh']}, year {df.at[i, 'year']}: province "
                f"{df.at[i, 'province']!r}, the registry says {want[i]!r}"
            )
    return df


def _combine(df, cols, path, log, label):
    """One row per code-year: rows split by a renamed or garbled name are merged value by value;
    two different values for one cell are an error naming city, year and column."""
    dup = df.duplicated(["code", "year"], keep=False)
    if not dup.any():
        return df
    for c in cols:
        n = df[dup].groupby(["code", "year"])[c].nunique()
        if (n > 1).any():
            code, year = n.index[n > 1][0]
            name = df.loc[df["code"] == code, "name_zh"].iloc[0] if "name_zh" in df else code
            raise BuildError(
                f"{path}: city {name} ({code}), year {year}: column {c!r} has two "
                "different values in duplicated rows"
            )
    log.append(
        f"{label}: {int(dup.sum())} rows for {df[dup].groupby(['code', 'year']).ngroups} "
        "city-years merged (a city under two names in one edition; no value conflicts)"
    )
    return df.groupby(["code", "year"], as_index=False).first()


def read_gdp(d: Path, reg, log) -> pd.DataFrame:
    """GDP and value added by sector (100 million yuan) and the source's city category."""
    path = d / GDP_FILE
    cols = {
        "年度标识": "year",
        "城市名称": "name_zh",
        "城市代码": "code",
        "城市类别": "category",
        "gdp（亿元人民币）": "gdp",
        "第一产业增加值（亿元人民币）": "va_primary",
        "第二产业增加值": "va_secondary",
        "第三产业增加值": "va_tertiary",
    }
    raw = _read(path)
    _need(raw, cols, path)
    df = raw[list(cols)].rename(columns=cols)
    n_foot = int(df["code"].isna().sum())
    if n_foot:
        log.append(f"GDP: dropped {n_foot} footer rows without a city code (a data shop's advert)")
    df = _numeric(
        df[df["code"].notna()].copy(),
        ["year", "code", "gdp", "va_primary", "va_secondary", "va_tertiary"],
        path,
        "name_zh",
    )
    df = _by_code(df, path, reg, log, "GDP")
    df["year"] = df["year"].astype(int)
    return _combine(df, ["gdp", "va_primary", "va_secondary", "va_tertiary"], path, log, "GDP")


def read_loans(d: Path, reg, log) -> pd.DataFrame:
    """Year-end loans and deposits, 10,000 yuan -> 100 million yuan."""
    path = d / LOANS_FILE
    cols = {
        "年份": "year",
        "城市": "name_zh",
        "城市代码": "code",
        "年末金融机构各项贷款余额(万元)": "loans",
        "年末金融机构存款余额(万元)": "deposits",
    }
    raw = _read(path)
    _need(raw, cols, path)
    df = _numeric(
        raw[list(cols)].rename(columns=cols), ["year", "code", "loans", "deposits"], path, "name_zh"
    )
    df = _by_code(df, path, reg, log, "loans")
    df["year"] = df["year"].astype(int)
    df[["loans", "deposits"]] *= WAN_TO_YI
    return _combine(df, ["loans", "deposits"], path, log, "loans")


def read_population(d: Path, reg, log) -> pd.DataFrame:
    """Year-end resident population (10k persons): the raw column, the source's interpolation
    where the raw value is missing (flagged), and the land area (km2)."""
    path = d / POP_FILE
    cols = {
        "年份": "year",
        "城市": "name_zh",
        "城市代码": "code",
        "行政区域土地面积(平方公里)": "land_area_km2",
        "常住人口（万人）": "pop_raw",
        "插值_常住人口（万人）": "pop_interp",
    }
    raw = _read(path)
    _need(raw, cols, path)
    df = raw[list(cols)].rename(columns=cols)
    df = _numeric(
        df[df["code"].notna()].copy(),
        ["year", "code", "land_area_km2", "pop_raw", "pop_interp"],
        path,
        "name_zh",
    )
    df = _by_code(df, path, reg, log, "population")
    df["year"] = df["year"].astype(int)
    df = _combine(df, ["land_area_km2", "pop_raw", "pop_interp"], path, log, "population")
    gap = (df["pop_raw"] - df["pop_interp"]).abs()
    n_round = int((gap > 1e-6).sum())
    if n_round:
        log.append(
            f"population: {n_round} rows where the interpolated copy differs from the raw value "
            "by 0.001 (10 persons, rounding); the raw value is kept"
        )
    differ = df["pop_raw"].notna() & gap.gt(0.0015)
    if differ.any():  # the source replaced a raw value it judged implausible: keep the raw one
        ex = "; ".join(
            f"{r.name_zh} {r.year}: raw {r.pop_raw:g}, interpolated {r.pop_interp:g}"
            for r in df[differ & df["year"].between(YEARS[0], YEARS[-1])].itertuples()
        )
        log.append(
            f"population: {int(differ.sum())} rows where the source's interpolated copy replaces a "
            f"raw value (all years); the raw value is kept. In {YEARS[0]}-{YEARS[-1]}: "
            f"{ex or 'none'}"
        )
    df["population_interpolated"] = (df["pop_raw"].isna() & df["pop_interp"].notna()).astype(float)
    df["population"] = df["pop_raw"].fillna(df["pop_interp"])
    return df[["code", "year", "land_area_km2", "population", "population_interpolated"]]


def read_fdi(d: Path, reg, log) -> pd.DataFrame:
    """FDI actually used (million US dollars); names without 市 and no codes."""
    path = d / FDI_FILE
    cols = {"year": "year", "地级市": "name_zh", "外商直接投资": "fdi_usd_million", "单位": "unit"}
    raw = _read(path)
    _need(raw, cols, path)
    df = raw[list(cols)].rename(columns=cols)
    units = set(df["unit"].dropna())
    if units != {"百万美元"}:
        raise BuildError(
            f"{path}: column '单位' must be 百万美元 (million US dollars), found {sorted(units)}"
        )
    df = _numeric(df, ["year", "fdi_usd_million"], path, "name_zh")
    df = _by_name(df, path, reg, log, "FDI", province=False)
    df["year"] = df["year"].astype(int)
    return _combine(df, ["fdi_usd_million"], path, log, "FDI")[["code", "year", "fdi_usd_million"]]


def _edition_flips(df, cols, path, label):
    """A whole edition in another unit: the median ratio over cities of a series to the same
    city's previous year beyond :data:`EDITION_FLIP_FACTOR` (names column, year and edition)."""
    wide = df.set_index(["code", "year"]).sort_index()
    for c in cols:
        s = wide[c].where(wide[c] > 0).unstack("year")
        years = list(s.columns)
        for a, b in itertools.pairwise(years):
            r = np.log10(s[b] / s[a]).dropna()
            if len(r) >= 20 and abs(r.median()) > np.log10(EDITION_FLIP_FACTOR):
                ed = int(df.loc[df["year"] == b, "edition"].iloc[0]) if "edition" in df else b + 1
                raise BuildError(
                    f"{path}: column {c!r}, year {b} (edition {ed}): the median city value "
                    f"is x{10 ** r.median():.3g} the year before over {len(r)} cities: a unit "
                    "flip in this edition"
                )


def read_digital(d: Path, reg, log) -> pd.DataFrame:
    """The yearbook's digital and technology series with the source's plausibility flags."""
    path = d / DIGITAL_FILE
    raw = _read(path)
    _need(
        raw,
        [
            "year",
            "edition",
            "province",
            "city",
            "internet_users_definition",
            *DIGITAL_COLUMNS,
            *DIGITAL_FLAGS,
        ],
        path,
    )
    df = raw.rename(columns={"city": "name_zh"})
    df = _numeric(df, ["year", "edition", *DIGITAL_COLUMNS, *DIGITAL_FLAGS], path, "name_zh")
    df = _by_name(df, path, reg, log, "yearbook digital")
    df["year"] = df["year"].astype(int)
    df = _combine(
        df,
        ["edition", "internet_users_definition", *DIGITAL_COLUMNS, *DIGITAL_FLAGS],
        path,
        log,
        "yearbook digital",
    )
    for (c, name, y), why in BLANKED_CELLS.items():
        hit = (df["name_zh"] == name) & (df["year"] == y)
        if hit.sum() != 1:
            raise BuildError(f"{path}: blanked cell {c} of {name} {y} not found once")
        df.loc[hit, c] = np.nan
        log.append(f"yearbook digital: {c} of {name} {y} blanked ({why})")
    unknown = set(df["internet_users_definition"].dropna()) - set(DEFINITIONS)
    if unknown:
        raise BuildError(f"{path}: unknown internet_users_definition {sorted(unknown)}")
    df["internet_users_definition"] = df["internet_users_definition"].map(DEFINITIONS)
    wrong = df["internet_users_definition"].notna() & (
        (df["internet_users_definition"] == "broadband_subscribers") != (df["year"] >= 2012)
    )
    if wrong.any():
        i = df.index[wrong][0]
        raise BuildError(
            f"{path}: city {df.at[i, 'name_zh']}, year {df.at[i, 'year']}: internet definition "
            f"{df.at[i, 'internet_users_definition']!r} on the wrong side of the 2012 break"
        )
    _edition_flips(df, list(DIGITAL_COLUMNS), path, "digital")
    df = df.rename(columns=DIGITAL_COLUMNS).rename(columns={"edition": "ccsy_edition"})
    return df[
        [
            "code",
            "year",
            "ccsy_edition",
            "internet_users_definition",
            *DIGITAL_COLUMNS.values(),
            *DIGITAL_FLAGS,
        ]
    ]


def read_employment(d: Path, reg, log) -> pd.DataFrame:
    """Urban-unit employment in 19 industries, whole city, persons -> 10k persons."""
    path = d / EMP_FILE
    src = [f"emp_{k}_persons" for k in INDUSTRIES]
    raw = _read(path)
    _need(raw, ["year", "edition", "province", "city", *src], path)
    df = _numeric(
        raw.rename(columns={"city": "name_zh"}), ["year", "edition", *src], path, "name_zh"
    )
    df = _by_name(df, path, reg, log, "yearbook employment")
    df["year"] = df["year"].astype(int)
    df = _combine(df, ["edition", *src], path, log, "yearbook employment")
    for (c, y), why in BLANKED.items():
        hit = (df["year"] == y) & df[c].notna()
        log.append(f"yearbook employment: {int(hit.sum())} values of {c} in {y} blanked ({why})")
        df.loc[hit, c] = np.nan
    _edition_flips(df, src, path, "employment")
    df[src] = df[src] * PERSONS_TO_10K
    df = df.rename(columns={f"emp_{k}_persons": v for k, v in INDUSTRIES.items()})
    cols = list(INDUSTRIES.values())
    df = _totals(df)
    df["emp_coverage_2013"] = (df["year"] >= 2013).astype(float)
    return df[["code", "year", "employment", "employment_nonagri", *cols, "emp_coverage_2013"]]


def _totals(df: pd.DataFrame) -> pd.DataFrame:
    """Employment totals: the 19 industries (missing unless all present) and the 18 without
    agriculture (edition 2020 has no agriculture column)."""
    cols = list(INDUSTRIES.values())
    df["employment"] = df[cols].sum(axis=1, min_count=len(cols))
    df["employment_nonagri"] = df[cols[1:]].sum(axis=1, min_count=len(cols) - 1)
    return df


def read_pilots(d: Path, reg, log) -> pd.DataFrame:
    """Broadband China: per prefecture the earliest designation (any entity), the earliest
    designation of the whole city, the entity type of the earliest one and a one-source flag."""
    path = d / PILOT_FILE
    raw = _read(path)
    _need(raw, ["batch_year", "entity_name_zh", "entity_type", "prefecture_code", "agree"], path)
    df = raw.rename(
        columns={"prefecture_code": "code", "batch_year": "year", "prefecture_name_zh": "name_zh"}
    )
    df = _numeric(df, ["year", "code"], path, "entity_name_zh")
    for y, n in df.groupby("year")["entity_name_zh"].nunique().items():
        if n != 39:
            raise BuildError(
                f"{path}: batch {y:.0f} has {n} official entities, the announcements name 39"
            )
    unknown_type = set(df["entity_type"]) - set(ENTITY_TYPES)
    if unknown_type:
        raise BuildError(f"{path}: unknown entity type(s) {sorted(unknown_type)}")
    df["entity"] = df["entity_type"].map(ENTITY_TYPES)
    df["code"] = df["code"].astype(int).replace(CODE_CROSSWALK)
    outside = ~df["code"].isin(reg["code"])
    for _, r in df[outside].iterrows():
        log.append(
            f"Broadband China: {r['entity_name_zh']} ({r['year']:.0f}, {r['entity']}) dropped: "
            f"code {r['code']} is no prefecture of the registry"
        )
    df = df[~outside].copy()
    df["year"] = df["year"].astype(int)
    df["single"] = (df["agree"] != "yes").astype(float)
    for kind in ("county-level city", "district", "cluster member"):
        sub = df[df["entity"] == kind]
        if len(sub):
            which = ", ".join(
                f"{e} {y} -> {p}"
                for e, y, p in zip(sub["entity_name_zh"], sub["year"], sub["name_zh"], strict=True)
            )
            log.append(
                f"Broadband China: {len(sub)} {kind} rows credited to their prefecture ({which})"
            )
    first = df.sort_values(["code", "year", "entity"]).groupby("code").first()
    whole = df[df["entity"].isin(WHOLE_CITY_TYPES)].groupby("code")["year"].min()
    out = pd.DataFrame(
        {
            "broadband_china_cohort": first["year"].astype(float),
            "broadband_china_city_cohort": whole.reindex(first.index).astype(float),
            "broadband_china_entity": first["entity"],
            "broadband_china_single_source": first["single"],
        }
    )
    return out.reset_index()
