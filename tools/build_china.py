"""Build the national city-year panel ``data/china_city_panel.csv`` from the shared source files.

    python tools/build_china.py [--realdata ../shared/realdata] [--out data]

``make china`` runs this. One row per prefecture-level unit of the 2020 division (337, the registry
``data/china_prefectures.csv`` with the names of ``data/china_city_names.csv``) and year
2005-2023, from five national sources (see data/README.md, "china_city_panel.csv"):

- city accounts (GDP and sector value added, loans and deposits, resident population, FDI) as
  compiled in biechouwo-coder/G-P 620eba9 (``china_city_accounts/``);
- the China City Statistical Yearbook's digital and technology series and its employment in 19
  industries (``ccsy_city_yearbook/``);
- the Broadband China demonstration-city lists (``broadband_china/``).

It also copies the MIT-licensed inter-city connectivity cross-section (Liang et al. 2024)
unchanged to ``data/intercity_connectivity_2016.csv``.

The readers, crosswalks and cleaning rules of the sources are in ``tools/china_sources.py``; the
cell-level slip rule, the assembly, the checks and the output are here. Every decision is a named
constant, counted in the build report and written down in data/README.md. Every check in
:func:`check_panel` must pass, or nothing is written (an existing file is left untouched).
Output formatting is fixed, so a rebuild from the same inputs is byte-identical.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data import default_realdata_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling tools
from build_accounts import write_csv  # the same byte-stable CSV writer as the accounts extract
from china_sources import (
    CONNECT_FILE,
    DIGITAL_COLUMNS,
    GDP_FILE,
    INDUSTRIES,
    ROOT,
    YEARS,
    BuildError,
    _totals,
    read_digital,
    read_employment,
    read_fdi,
    read_gdp,
    read_loans,
    read_pilots,
    read_population,
    registry,
)

OUT_NAME = "china_city_panel.csv"
BREAKS_NAME = "china_city_panel_breaks.csv"
BLANKED_NAME = "china_city_panel_blanked.csv"
CONNECT_OUT = "intercity_connectivity_2016.csv"

#: Published figures the panel must reproduce (100 million yuan; 10k persons): the realdata
#: README and PROVENANCE files (Guangdong Statistical Yearbook, Shenzhen bulletin).
PUBLISHED = {
    ("gdp", 440100, 2020): 25_019.11,
    ("gdp", 440300, 2020): 27_670.24,
    ("population", 440300, 2023): 1_779.01,
}
GUANGDONG_GDP = {2020: 110_760.94, 2023: 135_673.18}
GUANGDONG_POP = {2020: 12_624, 2023: 12_706}  # 10k persons, as published (rounded)
#: Cell-level slips: a value beyond SPIKE_FACTOR times both its city's previous and next observed
#: values, in the same direction (an isolated spike or dip), or beyond SLIP_FACTOR times its only
#: neighbour at either end of a series, is blanked (each one named in the build log). Real level
#: breaks persist (Dongguan manufacturing x26 from 2013 stays) and are kept; the flips of the
#: yearbook's units are x10^4, its typos x10.
SPIKE_FACTOR = 10.0
SLIP_FACTOR = 1000.0

ID_COLUMNS = ["code", "city", "name_zh", "province", "province_zh", "city_type", "region", "year"]


#: Columns searched for cell-level slips (every numeric series but flags, cohorts and editions).
SLIP_COLUMNS = [
    "gdp",
    "va_primary",
    "va_secondary",
    "va_tertiary",
    "loans",
    "deposits",
    "land_area_km2",
    "population",
    "fdi_usd_million",
    *DIGITAL_COLUMNS.values(),
    *INDUSTRIES.values(),
]


# --------------------------------------------------------------------------- assembly and checks
def build_panel(realdata: Path, root: Path = ROOT) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Read, crosswalk and merge every source onto the registry x 2005-2023 grid.

    Returns (panel, blanked, log): the blanked cells (code, city, year, column, source value);
    the log lists every cleaning decision with its count, then the checks.
    """
    d, log = Path(realdata), []
    reg = registry(root)
    gdp = read_gdp(d, reg, log)
    _check_category(gdp, reg, d / GDP_FILE)
    parts = [
        gdp.drop(columns=["name_zh", "category"]),
        read_loans(d, reg, log).drop(columns="name_zh"),
        read_population(d, reg, log),
        read_fdi(d, reg, log),
        read_digital(d, reg, log),
        read_employment(d, reg, log),
    ]
    grid = pd.MultiIndex.from_product([reg["code"], list(YEARS)], names=["code", "year"]).to_frame(
        index=False
    )
    out = grid.merge(reg, on="code", how="left")
    for p in parts:
        out = out.merge(
            p[p["year"].between(YEARS[0], YEARS[-1])],
            on=["code", "year"],
            how="left",
            validate="one_to_one",
        )
    out = out.merge(read_pilots(d, reg, log), on="code", how="left", validate="many_to_one")
    out, blanked = blank_slips(out, [c for c in out.columns if c in SLIP_COLUMNS], log)
    out = _totals(out)
    out = out[ID_COLUMNS + [c for c in out.columns if c not in ID_COLUMNS]]
    out = out.sort_values(["code", "year"]).reset_index(drop=True)
    log += _counts(out)
    return out, blanked, log + check_panel(out, d)


def _slip_mask(s: pd.Series, code: pd.Series) -> pd.Series:
    """Cells of one column that are isolated spikes or dips within their city (see SPIKE_FACTOR)."""
    obs = s.where(s > 0)
    ok = obs.notna()
    v = obs[ok]
    g = code[ok]
    prev = v.groupby(g).shift(1)
    nxt = v.groupby(g).shift(-1)
    up, down = v / prev, v / nxt
    spike = ((up > SPIKE_FACTOR) & (down > SPIKE_FACTOR)) | (
        (up < 1 / SPIKE_FACTOR) & (down < 1 / SPIKE_FACTOR)
    )
    end = (nxt.isna() & ((up > SLIP_FACTOR) | (up < 1 / SLIP_FACTOR))) | (
        prev.isna() & ((down > SLIP_FACTOR) | (down < 1 / SLIP_FACTOR))
    )
    return (spike | end).reindex(s.index, fill_value=False)


def blank_slips(df: pd.DataFrame, cols, log) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blank the cell-level slips of ``cols``; returns (new frame, blanked cells: code, city,
    year, column, source value), the latter shipped as a file; each count is logged."""
    df = df.sort_values(["code", "year"]).reset_index(drop=True)
    found = []
    for c in cols:
        m = _slip_mask(df[c], df["code"])
        found += [
            (df.at[i, "code"], df.at[i, "city"], df.at[i, "year"], c, df.at[i, c])
            for i in df.index[m]
        ]
        df.loc[m, c] = np.nan
    blanked = pd.DataFrame(found, columns=["code", "city", "year", "column", "source_value"])
    log.append(
        f"cell-level slips blanked (isolated x{SPIKE_FACTOR:g} spike or dip, or "
        f"x{SLIP_FACTOR:g} at a series end): {len(found)} cells, listed in {BLANKED_NAME} "
        "(by column: "
        f"{blanked['column'].value_counts().to_dict()})"
    )
    return df, blanked.sort_values(["column", "code", "year"]).reset_index(drop=True)


def _check_category(gdp, reg, path):
    """The source's city category (直辖市/副省级市/地级市) must agree with the registry's type."""
    want = {"直辖市": "municipality", "副省级市": "sub-provincial city"}
    typ = gdp["code"].map(reg.set_index("code")["city_type"])
    exp = gdp["category"].map(want)
    bad = exp.notna() & (typ != exp) | exp.isna() & typ.isin(want.values())
    if bad.any():
        i = gdp.index[bad][0]
        raise BuildError(
            f"{path}: city {gdp.at[i, 'name_zh']}: category {gdp.at[i, 'category']!r}, the "
            f"registry says {typ[i]!r}"
        )


def _counts(df) -> list[str]:
    """Counts of the flags and breaks that data/README.md documents."""
    def n(mask):
        return int(mask.sum())

    flags = {
        c: n(df[c])
        for c in [
            "flag_internet_yoy_jump",
            "flag_mobile_yoy_jump",
            "flag_internet_gt_pop",
            "flag_zero_value",
        ]
    }
    cohorts = df.groupby("code")["broadband_china_cohort"].first()
    return [
        (
            f"population: {n(df['population_interpolated'])} city-years filled from the source's "
            "interpolation (flag population_interpolated)"
        ),
        f"yearbook flags carried (city-years): {flags}",
        (
            "internet users (10k households) above resident population (10k persons): "
            f"{n(df['internet_users_10k_hh'] > df['population'])} city-years"
        ),
        (
            f"employment: {n(df['employment'].notna())} city-years with all 19 industries; "
            f"{n((df['year'] >= 2013) & df['emp_manufacturing'].notna())} after the 2013 coverage "
            "break"
        ),
        (
            f"Broadband China: {n(cohorts.notna())} prefectures designated; cohorts "
            f"{cohorts.value_counts().sort_index().to_dict()}"
        ),
    ]


def _fail(df, mask, text):
    if mask.any():
        i = df.index[mask][0]
        raise BuildError(
            f"city {df.at[i, 'city']} ({df.at[i, 'code']}), year {df.at[i, 'year']}: {text}"
        )


def check_panel(df: pd.DataFrame, where="panel") -> list[str]:
    """Every check the shipped file must pass; raises :class:`BuildError` on the first failure."""
    lines = []
    dup = df.duplicated(["code", "year"])
    _fail(df, dup, "duplicated city-year")
    n_exp = 337 * len(YEARS)
    if len(df) != n_exp:
        raise BuildError(
            f"{where}: {len(df)} rows, expected {n_exp} (337 units x {YEARS[0]}-{YEARS[-1]})"
        )
    lines.append(f"{len(df)} unique city-years (337 units x {YEARS[0]}-{YEARS[-1]})")
    num = [c for c in df.columns if c not in ID_COLUMNS and pd.api.types.is_numeric_dtype(df[c])]
    for c in num:
        _fail(df, df[c] < 0, f"column {c!r} is negative")
    lines.append(f"no negative value in {len(num)} numeric columns")
    for (col, code, year), v in PUBLISHED.items():
        got = df.loc[(df["code"] == code) & (df["year"] == year), col].iloc[0]
        if not abs(got - v) < 0.005:
            raise BuildError(
                f"{where}: city {code}, year {year}: {col} {got} differs from the published {v}"
            )
    lines.append(
        "published figures reproduced: "
        + ", ".join(f"{c} {k} {y} = {v:,}" for (c, k, y), v in PUBLISHED.items())
    )
    gd = df[df["province_zh"] == "广东省"]
    for y, v in GUANGDONG_GDP.items():
        s = round(gd.loc[gd["year"] == y, "gdp"].sum(), 2)
        if s != v:
            raise BuildError(
                f"{where}: Guangdong's 21 cities sum to GDP {s:,} in {y}, the official figure "
                f"is {v:,}"
            )
    for y, v in GUANGDONG_POP.items():
        s = gd.loc[gd["year"] == y, "population"].sum()
        if round(s) != v:
            raise BuildError(
                f"{where}: Guangdong's resident population sums to {s:,.2f} in {y}, published {v:,}"
            )
    lines.append(
        "Guangdong sums: GDP "
        + ", ".join(f"{y} {v:,}" for y, v in GUANGDONG_GDP.items())
        + "; population "
        + ", ".join(f"{y} {v:,}" for y, v in GUANGDONG_POP.items())
    )
    lines.append(_check_guangdong_file(df))
    lines.append(_check_crosswalk(df))
    return lines


#: The name crosswalk of the yearbook must put each city's yearbook GDP within this factor of its
#: accounts GDP (median over years): a row matched to the wrong city is off by far more.
CROSSWALK_GDP_FACTOR = 1.25


def _check_crosswalk(df) -> str:
    """Yearbook rows (matched by name) against the accounts (matched by code): each city's median
    ratio of yearbook GDP to accounts GDP must lie within :data:`CROSSWALK_GDP_FACTOR`."""
    lr = np.log(df["ccsy_gdp_100m_yuan"] / df["gdp"])
    med = lr.groupby(df["city"]).median().dropna()
    bad = med[med.abs() > np.log(CROSSWALK_GDP_FACTOR)]
    if len(bad):
        raise BuildError(
            f"city {bad.index[0]}: yearbook GDP is x{np.exp(bad.iloc[0]):.3g} the accounts' "
            "GDP (median over years): yearbook rows matched to the wrong city?"
        )
    return (
        f"crosswalk: {len(med)} cities' yearbook GDP within x{np.exp(med.min()):.3f}-"
        f"x{np.exp(med.max()):.3f} of the accounts' GDP (median ratio over years)"
    )


def _check_guangdong_file(df) -> str:
    """The Guangdong rows equal the shipped accounts (data/guangdong_city_accounts.csv)."""
    gd = pd.read_csv(ROOT / "data" / "guangdong_city_accounts.csv")
    cols = ["gdp", "va_primary", "va_secondary", "va_tertiary", "loans", "deposits"]
    m = gd[gd["year"].between(YEARS[0], YEARS[-1])].merge(
        df, on=["code", "year"], suffixes=("_gd", "")
    )
    for c in cols:
        diff = (m[c] - m[f"{c}_gd"]).abs() > 1e-3
        if diff.any():
            i = m.index[diff][0]
            raise BuildError(
                f"city {m.at[i, 'city']}, year {m.at[i, 'year']}: {c} {m.at[i, c]} differs from "
                f"data/guangdong_city_accounts.csv ({m.at[i, f'{c}_gd']})"
            )
    return (
        f"Guangdong rows equal data/guangdong_city_accounts.csv ({len(m)} city-years, "
        f"{', '.join(cols)})"
    )


# --------------------------------------------------------------------------- output
def level_breaks(panel: pd.DataFrame) -> pd.DataFrame:
    """Within-city jumps beyond x10 that remain after the slips are blanked, with their ratio to
    the previous observed value: shipped for the reader; the loader accepts those beyond its x100
    rule (:func:`helpers.data.china.unit_jumps`) by name."""
    from helpers.data.china import unit_jumps

    rows = [(i.city, i.year, i.column, i.value) for i in unit_jumps(panel, factor=10.0)]
    out = pd.DataFrame(rows, columns=["city", "year", "column", "value"])
    wide = panel.set_index(["city", "year"])

    def before(city, year, col):  # the previous observed positive value, as unit_jumps compares
        s = wide[col].loc[city]
        return s[(s.index < year) & (s > 0)].iloc[-1]

    prev = [before(k, y, c) for k, y, c, _ in rows]
    out["ratio"] = out["value"] / np.array(prev, dtype=float)
    code = panel.drop_duplicates("city").set_index("city")["code"]
    out.insert(0, "code", out["city"].map(code))
    return out.sort_values(["column", "code", "year"]).reset_index(drop=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--realdata", type=Path, default=default_realdata_dir())
    ap.add_argument("--out", type=Path, default=ROOT / "data")
    args = ap.parse_args(argv)
    try:
        panel, blanked, lines = build_panel(args.realdata)
        connect = args.realdata / CONNECT_FILE
        if not connect.is_file():
            raise FileNotFoundError(f"source file not found: {connect}")
    except (BuildError, FileNotFoundError) as e:
        print(f"build_china: refused, nothing written: {e}", file=sys.stderr)
        return 1
    breaks = level_breaks(panel)
    write_csv(panel, args.out / OUT_NAME)
    write_csv(breaks, args.out / BREAKS_NAME)
    write_csv(blanked, args.out / BLANKED_NAME)
    big = breaks[(breaks["ratio"] > 100) | (breaks["ratio"] < 0.01)]
    lines.append(
        f"{len(breaks)} persistent jumps beyond x10 kept and listed in {BREAKS_NAME}, "
        f"{len(big)} beyond x100 (by column: {big['column'].value_counts().to_dict()}); "
        f"beyond x10 by column: {breaks['column'].value_counts().to_dict()}"
    )
    shutil.copyfile(connect, args.out / CONNECT_OUT)
    print("decisions and checks:\n  " + "\n  ".join(lines))
    size = (args.out / OUT_NAME).stat().st_size
    print(
        f"wrote {args.out / OUT_NAME} ({len(panel)} rows, {panel.shape[1]} columns, "
        f"{size:,} bytes) "
        f"and {args.out / CONNECT_OUT}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
