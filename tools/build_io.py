"""Build the shipped input-output coefficients from China's national input-output tables.

    python tools/build_io.py [--realdata ../shared/realdata] [--out data]

Reads the NBS national tables (42 sectors; 41 in 2010) as compiled in the R package ionet 0.2.2
(GPL-3) from ``<realdata>/china_input_output/`` and writes four derived files (``make io``):

- ``io_crosswalk.csv``: every table sector of every table year -> one of the 19 industries of the
  China City Statistical Yearbook's employment table;
- ``io_coefficients.csv``: technical coefficients a_ij = z_ij / x_j at the 19-industry level
  (flows and output summed over the sectors of each industry, so each column is the
  output-weighted mean of its sectors' columns), domestic (``a_ij``) and total (``a_ij_total``);
- ``io_industry.csv``: gross output, domestic and imported intermediate-input shares and the
  value-added share of each industry (the three shares add to one);
- ``io_leontief.csv``: the Leontief inverse L = (I - A)^-1 of the domestic coefficients.

Domestic rows: the 2017, 2018 and 2020 tables separate domestic and imported intermediate use
(rows ``Origin`` = Domestic / Imports). The 2005, 2010 and 2015 tables do not; their domestic
flows are estimated by the import-proportionality rule (each user of product i imports the
same share of it, M_i / (x_i - e_i + M_i); helpers.measure.import_proportional_domestic).

Every check must pass or nothing is written (existing files are left untouched): each table
balances (sum of intermediate inputs + value added = total input = gross output), every
coefficient is >= 0, domestic + imported input shares + value-added share = 1 for every
industry, (I - A) L = I, L >= 0, the crosswalk maps every sector exactly once and reaches every
industry, and total value added reproduces the provenance figures of 2017 and 2020. Output
formatting is fixed, so a rebuild from the same inputs is byte-identical.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data import default_realdata_dir
from helpers.measure import (
    aggregate_flows,
    import_proportional_domestic,
    leontief_inverse,
    technical_coefficients,
)

IO_DIR = "china_input_output"
TABLES = {2005: "china_2005_42.csv", 2010: "china_2010_41.csv", 2015: "china_2015_42.csv",
          2017: "china_2017_42.csv", 2018: "china_2018_42.csv", 2020: "china_2020_42.csv"}

#: The 19 industries of the yearbook's employment table, named as the columns `emp_<industry>` of
#: the national panel (helpers.data.china; the yearbook file abbreviates agri and manuf).
INDUSTRIES = ["agriculture", "mining", "manufacturing", "utilities", "construction", "transport",
              "ict", "wholesale_retail", "hotel_catering", "finance", "real_estate", "leasing_business",
              "research_tech", "water_env", "resident_services", "education", "health_social",
              "culture_sports", "public_admin"]

#: Table sector (English description as in the tables) -> yearbook industry. Judgement calls are
#: commented; data/README.md lists them.
CROSSWALK = {
    "Agriculture, forestry, animal husbandry and fishery": "agriculture",
    "Mining and washing of coal": "mining",
    "Exploitation of petroleum and natural gas": "mining",
    "Mining and processing of metal ores": "mining",
    "Mining and processing of nonmetal and other ores": "mining",
    **{name: "manufacturing" for name in [
        "Manufacture of foods and tobacco", "Manufacture of textiles",
        "Manufacture of wearing apparel, leather, fur, feather and related products",
        "Processing of timber and furniture",
        "Manufacture of paper, printing, and articles for culture, education, sports",
        "Processing of petroleum, coking, and nuclear fuel", "Manufacture of chemical products",
        "Manufacture of non-metallic mineral products", "Smelting and processing of metals",
        "Manufacture of metal products", "Manufacture of general and special machinery",
        "Manufacture of general purpose machinery", "Manufacture of special purpose machinery",
        "Manufacture of transport equipment", "Manufacture of electrical machinery and equipment",
        "Manufacture of communication equipment, computers and other electronic equipment",
        "Manufacture of instruments, meters, cultural and office machinery",
        "Manufacture of instruments and meters", "Other manufacturing",
        "Other manufacturing and waste resources",
        # judgement: recycling of waste (GB/T 4754 C42/C43 of 2002/2011) is manufacturing there
        "Comprehensive use of waste resources",
        # judgement: repair of metal products and machinery is division C43 (manufacturing) of
        # GB/T 4754-2011, not resident services
        "Repair of metal products, machinery and equipment"]},
    "Production and supply of electric power and heat power": "utilities",
    "Production and supply of gas": "utilities",
    "Production and supply of water": "utilities",
    "Construction": "construction",
    "Transport and storage": "transport",
    # judgement: postal services belong to section G (transport, storage and post) of GB/T 4754
    "Postal services": "transport",
    "Transport, storage, and postal services": "transport",
    "Information transmission, software and information technology services": "ict",
    "Wholesale and retail trades": "wholesale_retail",
    "Accommodation and catering": "hotel_catering",
    "Finance": "finance",
    "Real estate": "real_estate",
    "Leasing and commercial services": "leasing_business",
    "Scientific research": "research_tech",
    "Research and experimental development": "research_tech",
    "Technical services": "research_tech",
    "Scientific research, and technical services": "research_tech",
    "Management of water conservancy, environment and public facilities": "water_env",
    "Resident and other services": "resident_services",
    "Resident, repair and other services": "resident_services",
    "Education": "education",
    # judgement: social security sits with health (2002 classification) in 2005/2010 and with
    # public administration (2011 classification) from 2015, as in the yearbook of each period
    "Health care, social security, and social welfare": "health_social",
    "Health care and social work": "health_social",
    "Culture, sports, and entertainment": "culture_sports",
    "Public administration and social organizations": "public_admin",
    "Public administration, social security, and social organizations": "public_admin",
}

#: Total value added in 100 million yuan, from PROVENANCE.md (rounded to the unit).
TVA_CHECK = {2017: 823_216, 2020: 1_016_422}
TOL = 1e-9
WAN_TO_YI = 1e-4  # 10,000 yuan -> 100 million yuan


class BuildError(RuntimeError):
    """A table fails a check; the message names the file, year, sector or industry."""


def read_table(path: Path, year: int) -> dict:
    """Flows, imports, output and value added of one table, in 10,000 yuan, by sector code."""
    d = pd.read_csv(path, dtype={"Code": str})
    sectors = [c for c in d.columns if c.isdigit()]
    rows = d[d["Code"].isin(sectors)]
    if "Origin" in d.columns:
        dom = rows[rows["Origin"] == "Domestic"].set_index("Code")
        imp = rows[rows["Origin"] == "Imports"].set_index("Code")
        Z, Zm = dom[sectors].astype(float), imp[sectors].astype(float)
        meta = dom
    else:
        full = rows.set_index("Code")
        Z = import_proportional_domestic(full[sectors].astype(float), full["IM"].astype(float),
                                         full["GO"].astype(float), full["EX"].astype(float))
        Zm = full[sectors].astype(float) - Z
        meta = full
    if list(Z.index) != sectors:
        raise BuildError(f"{path}: supplying rows {list(Z.index)} differ from the using columns")
    tot = d.set_index("Code")
    x = tot.loc["TI", sectors].astype(float)
    go = meta["GO"].astype(float)
    va = tot.loc["TVA", sectors].astype(float)
    for name, lhs in [("intermediate + value added", Z.sum() + Zm.sum() + va), ("gross output", go)]:
        gap = ((lhs - x) / x).abs()
        if gap.max() > 1e-8:
            raise BuildError(f"{path} ({year}): {name} differs from total input for sector "
                             f"{gap.idxmax()} by {gap.max():.3g} of output")
    if (Z.to_numpy() < 0).any() or (Zm.to_numpy() < -1e-6).any():
        raise BuildError(f"{path} ({year}): a negative intermediate flow")
    names = meta["Description"].reindex(sectors)
    return {"Z": Z, "Zm": Zm.clip(lower=0), "x": x, "va": va, "names": names,
            "names_zh": meta["DescriptionInChinese"].reindex(sectors)}


def crosswalk(year: int, table: dict, path: Path) -> pd.DataFrame:
    names = table["names"]
    unmapped = [f"{c} {n!r}" for c, n in names.items() if n not in CROSSWALK]
    if unmapped:
        raise BuildError(f"{path} ({year}): sector(s) without an industry: {unmapped}")
    cw = pd.DataFrame({"table_year": year, "sector_code": names.index, "sector_en": names.values,
                       "sector_zh": table["names_zh"].values,
                       "industry": [CROSSWALK[n] for n in names.values]})
    missing = sorted(set(INDUSTRIES) - set(cw["industry"]))
    if missing or cw["sector_code"].duplicated().any():
        raise BuildError(f"{path} ({year}): industries without a sector {missing}, or a sector "
                         "mapped twice")
    return cw


def derive(year: int, table: dict, cw: pd.DataFrame, path: Path):
    """19-industry coefficients, shares and Leontief inverse of one table, all checked."""
    mapping = dict(zip(cw["sector_code"], cw["industry"]))
    Zd, x19 = aggregate_flows(table["Z"], table["x"], mapping)
    Zt, _ = aggregate_flows(table["Z"] + table["Zm"], table["x"], mapping)
    Zd, Zt, x19 = (Zd.loc[INDUSTRIES, INDUSTRIES], Zt.loc[INDUSTRIES, INDUSTRIES],
                   x19.loc[INDUSTRIES])
    va19 = table["va"].groupby(pd.Series(mapping)).sum().reindex(INDUSTRIES)
    A = technical_coefficients(Zd, x19)
    A_tot = technical_coefficients(Zt, x19)
    shares = pd.DataFrame({
        "gross_output": x19 * WAN_TO_YI, "domestic_input_share": A.sum(),
        "imported_input_share": A_tot.sum() - A.sum(), "value_added_share": va19 / x19})
    gap = (shares[["domestic_input_share", "imported_input_share", "value_added_share"]].sum(axis=1)
           - 1).abs()
    if gap.max() > TOL:
        raise BuildError(f"{path} ({year}): input shares + value-added share of {gap.idxmax()} "
                         f"add to 1 {gap.max():+.3g}")
    if (A.to_numpy() < 0).any() or (shares["imported_input_share"] < -TOL).any():
        raise BuildError(f"{path} ({year}): a negative coefficient")
    L = leontief_inverse(A)
    resid = np.abs((np.eye(len(A)) - A.to_numpy()) @ L.to_numpy() - np.eye(len(A))).max()
    if resid > TOL or (L.to_numpy() < 0).any():
        raise BuildError(f"{path} ({year}): (I - A) L differs from I by {resid:.3g}, or L < 0")
    if year in TVA_CHECK and round(table["va"].sum() * WAN_TO_YI) != TVA_CHECK[year]:
        raise BuildError(f"{path} ({year}): total value added {table['va'].sum() * WAN_TO_YI:,.0f} "
                         f"differs from {TVA_CHECK[year]:,} (PROVENANCE.md)")
    return A, A_tot, L, shares


def _long(M: pd.DataFrame, year: int, value: str) -> pd.DataFrame:
    out = M.rename_axis(index="from_industry", columns="to_industry").stack().rename(value)
    return out.reset_index().assign(year=year)[["year", "from_industry", "to_industry", value]]


def build(realdata: Path) -> dict[str, pd.DataFrame]:
    cws, coefs, leons, inds = [], [], [], []
    for year, name in TABLES.items():
        path = realdata / IO_DIR / name
        if not path.is_file():
            raise BuildError(f"missing input table {path}")
        table = read_table(path, year)
        cw = crosswalk(year, table, path)
        A, A_tot, L, shares = derive(year, table, cw, path)
        cws.append(cw)
        coefs.append(_long(A, year, "a_ij").assign(a_ij_total=_long(A_tot, year, "x")["x"]))
        leons.append(_long(L, year, "l_ij"))
        inds.append(shares.rename_axis("industry").reset_index().assign(year=year))
    industry = pd.concat(inds, ignore_index=True)
    cols = ["year", "industry", "gross_output", "domestic_input_share", "imported_input_share",
            "value_added_share"]
    return {"io_crosswalk.csv": pd.concat(cws, ignore_index=True),
            "io_coefficients.csv": pd.concat(coefs, ignore_index=True),
            "io_industry.csv": industry[cols],
            "io_leontief.csv": pd.concat(leons, ignore_index=True)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--realdata", type=Path, default=default_realdata_dir())
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    args = ap.parse_args(argv)
    try:
        frames = build(args.realdata)
    except BuildError as err:
        print(f"build_io: {err}; nothing written", file=sys.stderr)
        return 1
    for name, df in frames.items():
        df.to_csv(args.out / name, index=False, float_format="%.12g", lineterminator="\n")
        print(f"wrote {args.out / name} ({len(df)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
