"""Build the shipped real-data extracts from the shared source files.

    python tools/build_accounts.py [--realdata ../shared/realdata] [--out data]

Writes two tidy CSV files (``make accounts`` runs this):

- ``data/guangdong_city_accounts.csv``: official city accounts of Guangdong's 21 cities,
  2000-2023 (GDP and value added by sector, loans and deposits, FDI), as compiled in the public
  repository biechouwo-coder/G-P (commit 620eba9), which states no licence; the figures are the
  statistics bureaus' published facts.
- ``data/guangdong_census_2010_2020.csv``: 2010 and 2020 census counts of the 21 cities from the
  leiii/census repository (MIT).

Chinese names and codes are mapped to ``helpers.data.city_table()``; loans and deposits are
converted from 10,000 yuan to 100 million yuan. Every check below must pass, or nothing is
written (an existing file is left untouched). Output formatting is fixed, so a rebuild from the
same inputs is byte-identical.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data import city_table, default_realdata_dir

ACCOUNTS_DIR = "guangdong_city_accounts"
GDP_FILE = "city_gdp_by_sector_2000_2023.csv"
LOANS_FILE = "city_loans_deposits_2003_2023.csv"
FDI_FILE = "city_fdi_1996_2023.csv"
CENSUS_FILE = "census_leiii/leiii_census_city_2010-2020_v1.csv"

YEARS = range(2000, 2024)
COLUMNS = ["code", "city", "region", "year", "gdp", "va_primary", "va_secondary", "va_tertiary",
           "loans", "deposits", "fdi_usd_million"]

#: Published figures the extract must reproduce (100 million yuan): realdata README and the
#: Guangdong Statistical Yearbook's provincial GDP for 2020 and 2023.
PUBLISHED = {
    ("Guangzhou", 2020): 25_019.11,
    ("Shenzhen", 2020): 27_670.24,
}
PUBLISHED_SUMS = {2020: 110_760.94, 2023: 135_673.18}
#: Census total of the 21 cities in 2020 (persons), the official provincial count.
CENSUS_2020_TOTAL = 126_012_510
#: 10,000 yuan -> 100 million yuan
WAN_TO_YI = 1e-4


class BuildError(RuntimeError):
    """A source file fails a check; the message names the file, city, year or column."""


def _registry_maps():
    reg = city_table()
    by_zh = pd.Series(reg.index, index=reg["name_zh"])
    by_short = pd.Series(reg.index, index=reg["name_zh"].str.removesuffix("市"))
    by_code = pd.Series(reg.index, index=reg["code"])
    return reg, by_zh, by_short, by_code


def _need(df, cols, path):
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise BuildError(f"{path}: missing column(s) {missing}")


def _numeric(df, col, path, name_col):
    num = pd.to_numeric(df[col], errors="coerce")
    bad = num.isna() & df[col].notna() & (df[col].astype(str).str.strip() != "")
    if bad.any():
        i = df.index[bad][0]
        raise BuildError(f"{path}: {df.at[i, name_col]}, row {i}: column {col!r} has "
                         f"non-numeric value {df.at[i, col]!r}")
    return num


def _read_source(path: Path, cols: dict, numeric: list) -> pd.DataFrame:
    """Read one source file: the named columns, cities matched to the registry by Chinese name
    and checked against their code, ``numeric`` columns parsed (each fault names file and city)."""
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    _need(raw, cols, path)
    df = raw[list(cols)].rename(columns=cols)
    reg, by_zh, _, _ = _registry_maps()
    df["city"] = df["name_zh"].map(by_zh)
    if df["city"].isna().any():
        i = df.index[df["city"].isna()][0]
        raise BuildError(f"{path}: row {i}: unknown city name {df.at[i, 'name_zh']!r}")
    code = _numeric(df, "code_src", path, "name_zh")
    wrong = code != df["city"].map(reg["code"])
    if wrong.any():
        i = df.index[wrong][0]
        raise BuildError(f"{path}: {df.at[i, 'city']}: code {df.at[i, 'code_src']!r} does not match "
                         f"the registry ({reg.at[df.at[i, 'city'], 'code']})")
    for c in numeric:
        df[c] = _numeric(df, c, path, "city")
    return df


def read_gdp(path: Path) -> pd.DataFrame:
    """GDP and value added by sector (100 million yuan), city-years 2000-2023."""
    cols = {"年度标识": "year", "城市名称": "name_zh", "城市代码": "code_src",
            "gdp（亿元人民币）": "gdp", "第一产业增加值（亿元人民币）": "va_primary",
            "第二产业增加值": "va_secondary", "第三产业增加值": "va_tertiary"}
    df = _read_source(path, cols, ["year", "gdp", "va_primary", "va_secondary", "va_tertiary"])
    return df[["city", "year", "gdp", "va_primary", "va_secondary", "va_tertiary"]]


def read_loans(path: Path) -> pd.DataFrame:
    """Year-end loans and deposits, converted from 10,000 yuan to 100 million yuan."""
    cols = {"年份": "year", "城市": "name_zh", "城市代码": "code_src",
            "年末金融机构各项贷款余额(万元)": "loans", "年末金融机构存款余额(万元)": "deposits"}
    df = _read_source(path, cols, ["year", "loans", "deposits"])
    df["loans"] *= WAN_TO_YI
    df["deposits"] *= WAN_TO_YI
    return df[["city", "year", "loans", "deposits"]]


def read_fdi(path: Path) -> pd.DataFrame:
    """FDI actually used (million US dollars); names without 市, no codes, gaps from 2018."""
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    cols = {"year": "year", "地级市": "name_zh", "外商直接投资": "fdi_usd_million", "单位": "unit"}
    _need(raw, cols, path)
    df = raw[list(cols)].rename(columns=cols)
    units = set(df["unit"].dropna())
    if units != {"百万美元"}:
        raise BuildError(f"{path}: column '单位' must be 百万美元 (million US dollars), found {sorted(units)}")
    _, _, by_short, _ = _registry_maps()
    df["city"] = df["name_zh"].str.strip().map(by_short)
    if df["city"].isna().any():
        i = df.index[df["city"].isna()][0]
        raise BuildError(f"{path}: row {i}: unknown city name {df.at[i, 'name_zh']!r}")
    for c in ["year", "fdi_usd_million"]:
        df[c] = _numeric(df, c, path, "city")
    return df[["city", "year", "fdi_usd_million"]]


def _unique(df, path):
    dup = df.duplicated(["city", "year"])
    if dup.any():
        i = df.index[dup][0]
        raise BuildError(f"{path}: duplicate rows for city {df.at[i, 'city']}, year {df.at[i, 'year']:.0f}")


def build_accounts(realdata: Path) -> tuple[pd.DataFrame, list[str]]:
    """Merge, convert and check the three account files; returns (table, report lines)."""
    d = Path(realdata) / ACCOUNTS_DIR
    gdp, loans, fdi = read_gdp(d / GDP_FILE), read_loans(d / LOANS_FILE), read_fdi(d / FDI_FILE)
    for df, f in ((gdp, GDP_FILE), (loans, LOANS_FILE), (fdi, FDI_FILE)):
        _unique(df, d / f)
    # the sources' own coverage (README of shared/realdata): no silent gaps from a lost row
    for df, f, first in ((gdp, GDP_FILE, 2000), (loans, LOANS_FILE, 2003)):
        n = int(df["year"].between(first, YEARS[-1]).sum())
        if n != 21 * (YEARS[-1] - first + 1):
            raise BuildError(f"{d / f}: has {n} city-years, expected {21 * (YEARS[-1] - first + 1)} "
                             f"(21 cities x {first}-{YEARS[-1]})")
    reg = city_table()
    grid = pd.MultiIndex.from_product([reg.index, list(YEARS)], names=["city", "year"]).to_frame(index=False)
    out = (grid.merge(gdp, on=["city", "year"], how="left")
               .merge(loans, on=["city", "year"], how="left")
               .merge(fdi, on=["city", "year"], how="left"))
    out["code"] = out["city"].map(reg["code"]).astype(int)
    out["region"] = out["city"].map(reg["region"].astype(str))
    out = out[COLUMNS].sort_values(["code", "year"]).reset_index(drop=True)
    return out, check_accounts(out, d)


def check_accounts(df: pd.DataFrame, where="accounts") -> list[str]:
    """Every check the shipped file must pass; raises :class:`BuildError` on the first failure."""
    lines = []
    n_exp = 21 * len(YEARS)
    if len(df) != n_exp or df.duplicated(["city", "year"]).any():
        raise BuildError(f"{where}: expected {n_exp} unique city-years (21 cities x 2000-2023), got {len(df)}")
    lines.append(f"{len(df)} unique city-years, 21 cities x {YEARS[0]}-{YEARS[-1]}")
    money = ["gdp", "va_primary", "va_secondary", "va_tertiary", "loans", "deposits", "fdi_usd_million"]
    for c in money:
        neg = df.index[df[c] < 0]
        if len(neg):
            i = neg[0]
            raise BuildError(f"{where}: city {df.at[i, 'city']}, year {df.at[i, 'year']}: "
                             f"column {c!r} is negative ({df.at[i, c]})")
    lines.append("no negative value")
    for c in ["gdp", "va_primary", "va_secondary", "va_tertiary"]:
        if df[c].isna().any():
            i = df.index[df[c].isna()][0]
            raise BuildError(f"{where}: city {df.at[i, 'city']}, year {df.at[i, 'year']}: column {c!r} is missing")
    fin = df[df["year"] >= 2003]
    for c in ["loans", "deposits"]:
        if fin[c].isna().any():
            i = fin.index[fin[c].isna()][0]
            raise BuildError(f"{where}: city {df.at[i, 'city']}, year {df.at[i, 'year']}: column {c!r} is missing")
    if df.loc[df["year"] < 2003, ["loans", "deposits"]].notna().any().any():
        raise BuildError(f"{where}: loans/deposits before 2003 (the source starts in 2003)")
    lines.append("gdp and sectors complete 2000-2023; loans and deposits complete 2003-2023")
    gaps = df[df["fdi_usd_million"].isna()]
    if (gaps["year"] < 2018).any():
        i = gaps.index[gaps["year"] < 2018][0]
        lines.append(f"FDI gap before 2018: {df.at[i, 'city']} {df.at[i, 'year']}")
    lines.append(f"FDI missing in {len(gaps)} city-years, {', '.join(f'{y}: {n}' for y, n in gaps.groupby('year').size().items())}")
    val = df.set_index(["city", "year"])
    for (city, year), v in PUBLISHED.items():
        got = val.at[(city, year), "gdp"]
        if not np.isclose(got, v, rtol=0, atol=0.005):
            raise BuildError(f"{where}: city {city}, year {year}: gdp {got} differs from the published {v}")
        lines.append(f"{city} {year} GDP = {got:,.2f} (published {v:,.2f})")
    for year, v in PUBLISHED_SUMS.items():
        got = df.loc[df["year"] == year, "gdp"].sum()
        if not np.isclose(got, v, rtol=0, atol=0.05):
            raise BuildError(f"{where}: year {year}: the 21 cities' gdp sums to {got:,.2f}, "
                             f"the published provincial GDP is {v:,.2f}")
        lines.append(f"sum of the 21 cities' GDP {year} = {got:,.2f} (published {v:,.2f})")
    gap = (df[["va_primary", "va_secondary", "va_tertiary"]].sum(axis=1) / df["gdp"] - 1)
    off = df.assign(gap=gap)[gap.abs() > 0.005]
    worst = df.assign(gap=gap).loc[gap.abs().idxmax()]
    lines.append(f"sectors vs gdp: {len(off)} city-years differ by more than 0.5% "
                 f"(vintage differences, years {', '.join(str(y) for y in sorted(off['year'].unique()))}); "
                 f"largest {worst['city']} {worst['year']}: {worst['gap']:+.1%}")
    return lines


def build_census(realdata: Path) -> tuple[pd.DataFrame, list[str]]:
    """Tidy census extract for the 21 cities (persons; shares in percent as published)."""
    path = Path(realdata) / CENSUS_FILE
    keep = ["city_code", "popu_2010", "popu_urban_2010", "popu_2020", "popu_urban_2020",
            "household_2010", "household_2020", "age_65_2010", "age_65_2020"]
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", usecols=lambda c: c != "coord")
    _need(raw, keep, path)
    reg, _, _, by_code = _registry_maps()
    raw["code"] = pd.to_numeric(raw["city_code"], errors="coerce")
    sel = raw[raw["code"].isin(reg["code"])].copy()
    if sel["code"].duplicated().any() or len(sel) != 21:
        raise BuildError(f"{path}: expected one row for each of the 21 cities, got {len(sel)}")
    sel["city"] = sel["code"].map(by_code)
    out = pd.DataFrame({"code": sel["code"].astype(int), "city": sel["city"],
                        "region": sel["city"].map(reg["region"].astype(str))})
    for new, old in [("pop_2010", "popu_2010"), ("pop_urban_2010", "popu_urban_2010"),
                     ("pop_2020", "popu_2020"), ("pop_urban_2020", "popu_urban_2020")]:
        out[new] = pd.to_numeric(sel[old], errors="raise").astype(int)
    for new, old in [("household_size_2010", "household_2010"), ("household_size_2020", "household_2020"),
                     ("age65_pct_2010", "age_65_2010"), ("age65_pct_2020", "age_65_2020")]:
        out[new] = pd.to_numeric(sel[old], errors="raise")
    out = out.sort_values("code").reset_index(drop=True)
    total = int(out["pop_2020"].sum())
    if total != CENSUS_2020_TOTAL:
        raise BuildError(f"{path}: 2020 population of the 21 cities sums to {total:,}, "
                         f"the official provincial count is {CENSUS_2020_TOTAL:,}")
    if (out[["pop_2010", "pop_2020"]].to_numpy() != reg.loc[out["city"], ["pop_2010", "pop_2020"]].to_numpy()).any():
        raise BuildError(f"{path}: census counts differ from the registry in helpers.data")
    return out, [f"21 cities; 2020 population sums to {total:,} (official provincial count)",
                 "2010 and 2020 counts equal the registry's pop_2010/pop_2020"]


def _num(v) -> str:
    """Four decimals, trailing zeros dropped (sources carry at most four; FDI is float32 noise)."""
    return "" if pd.isna(v) else (f"{v:.4f}".rstrip("0").rstrip("."))


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Fixed formatting (byte-stable): numbers as :func:`_num`, empty for missing, LF line ends."""
    fmt = df.copy()
    for c in fmt.columns:
        if pd.api.types.is_float_dtype(fmt[c]):
            fmt[c] = fmt[c].map(_num)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fmt.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)  # atomic: a failed build never leaves a half-written file


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--realdata", type=Path, default=default_realdata_dir())
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    args = ap.parse_args(argv)
    try:
        acc, lines = build_accounts(args.realdata)
        cen, clines = build_census(args.realdata)
    except (BuildError, FileNotFoundError) as e:
        print(f"build_accounts: refused, nothing written: {e}", file=sys.stderr)
        return 1
    write_csv(acc, args.out / "guangdong_city_accounts.csv")
    write_csv(cen, args.out / "guangdong_census_2010_2020.csv")
    print("checks passed:\n  " + "\n  ".join(lines + clines))
    print(f"wrote {args.out / 'guangdong_city_accounts.csv'} and {args.out / 'guangdong_census_2010_2020.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
