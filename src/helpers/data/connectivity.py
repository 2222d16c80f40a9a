"""Observed inter-city connectivity of 275 Chinese cities: one cross-section (2015-2017), real data.

``data/intercity_connectivity_2016.csv`` is ``CN_Public.csv`` of Liang, Hidalgo, Balland, Zheng
and Wang (2024), shipped unchanged under its MIT licence (data/README.md). :func:`load_connectivity`
reads it (or a user's copy), renames the columns to English snake_case with units, and maps the
city codes to the national registry (:func:`helpers.data.china.china_registry`).

References
----------
Liang, X., Hidalgo, C. A., Balland, P.-A., Zheng, S. and Wang, J. (2024). Intercity connectivity
and urban innovation. *Computers, Environment and Urban Systems* 109, 102092.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.data import PanelSchemaError

from .china import china_registry, data_file

#: Source column -> (column, unit, description).
CONNECTIVITY_SCHEMA = {
    "cityId": ("code", "", "6-digit administrative code"),
    "cityName_CN": ("name_zh", "", "Chinese name without suffix"),
    "cityName_EN": ("name_en_source", "", "English name as in the source"),
    "Lon": ("lon", "degrees", "longitude"),
    "Lat": ("lat", "degrees", "latitude"),
    "Regis_pop": (
        "pop_registered_persons",
        "persons",
        "registered population (district scope for most cities, undocumented in the source)",
    ),
    "Res_pop": ("pop_resident_persons", "persons", "resident population"),
    "GDP": (
        "gdp_yuan",
        "yuan",
        "GDP (district scope for most cities: about 45% of whole-city GDP)",
    ),
    "Employ_pct": (
        "emp_info_finance_research_pct",
        "percent",
        "share of employment in information, finance and research",
    ),
    "Patent": ("patents_2017", "count", "patents granted, 2017 (CNIPA)"),
    "SM_degree": ("weibo_degree_2015", "count", "Weibo social-media degree, 2015"),
    "Mob_degree": ("mobility_degree_2016", "count", "Tencent location-based mobility degree, 2016"),
    "Pub_degree": (
        "copublication_degree_2017",
        "count",
        "Web of Science co-publication degree, 2017",
    ),
}
#: Codes of the file that are not units of the 2020 division: 莱芜 (merged into Jinan in 2019).
FORMER_UNITS = {371200: "Laiwu"}
DEFAULT_CONNECTIVITY = "intercity_connectivity_2016.csv"


def load_connectivity(path=None) -> pd.DataFrame:
    """Load the inter-city connectivity cross-section, codes mapped to the national registry.

    Parameters
    ----------
    path : str or Path, optional
        ``None`` reads the shipped ``data/intercity_connectivity_2016.csv`` (275 cities);
        a path reads a copy with the source's columns. The file is only read.

    Returns
    -------
    DataFrame
        One row per city, sorted by code: ``code``, ``city`` (registry name; ``Laiwu`` for the
        former unit 371200), ``in_registry`` (False for former units), and the columns of
        :data:`CONNECTIVITY_SCHEMA`. Degrees are raw counts: take logs before use.

    Raises
    ------
    PanelSchemaError
        Every fault at once: missing columns, duplicated or unknown codes, missing, non-numeric
        or negative values, each naming the city (code and name) and the column.
    """
    path = Path(data_file(DEFAULT_CONNECTIVITY) if path is None else path)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    missing = [c for c in CONNECTIVITY_SCHEMA if c not in raw.columns]
    if missing:
        raise PanelSchemaError(f"{path}: missing column(s) {missing}")
    df = raw[list(CONNECTIVITY_SCHEMA)].rename(
        columns={k: v[0] for k, v in CONNECTIVITY_SCHEMA.items()}
    )
    faults = []
    code = pd.to_numeric(df["code"], errors="coerce")
    for i in df.index[code.isna()]:
        faults.append(f"line {i + 2}: code {df.at[i, 'code']!r} is not a number")
    for c in [v[0] for k, v in CONNECTIVITY_SCHEMA.items() if v[1] and k not in ("cityId",)]:
        x = pd.to_numeric(df[c], errors="coerce")
        for i in df.index[x.isna() | (x < 0)]:
            faults.append(
                f"line {i + 2}: city {df.at[i, 'name_zh']} ({df.at[i, 'code']}): column "
                f"{c!r} is {df.at[i, c]!r}, not a number >= 0"
            )
        df[c] = x
    reg = china_registry()
    by_code = pd.Series(reg.index, index=reg["code"])
    df["code"] = code.astype("Int64")
    for i in df.index[df["code"].duplicated(keep=False) & df["code"].notna()]:
        faults.append(
            f"line {i + 2}: city {df.at[i, 'name_zh']}: duplicated code {df.at[i, 'code']}"
        )
    known = df["code"].isin(by_code.index) | df["code"].isin(FORMER_UNITS)
    for i in df.index[~known & df["code"].notna()]:
        faults.append(f"line {i + 2}: city {df.at[i, 'name_zh']}: unknown code {df.at[i, 'code']}")
    if faults:
        raise PanelSchemaError(f"{path}: " + "; ".join(faults))
    df["code"] = df["code"].astype(int)
    df.insert(1, "city", df["code"].map(by_code).fillna(df["code"].map(FORMER_UNITS)))
    df.insert(2, "in_registry", df["code"].isin(by_code.index))
    out = df.sort_values("code").reset_index(drop=True)
    out.attrs["simulated"] = False
    out.attrs["source"] = (
        f"Liang, Hidalgo, Balland, Zheng and Wang (2024), CEUS 109:102092 (MIT): {path.name}"
    )
    return out
