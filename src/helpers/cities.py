"""Every prefecture-level unit of mainland China, and city sets for twins of any size.

:func:`helpers.data.city_table` is Guangdong's 21 cities with English names and regions; this
module is the national registry behind the design study ("how large must a study be?"): the
337 prefecture-level units of the 2020 division with their codes, seats and census populations,
shipped as ``data/china_prefectures.csv`` (built by ``tools/build_prefecture_registry.py`` from
the MIT-licensed census compilation leiii/census and the cpca 0.5.5 code table; provenance in the
book's data appendix).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import data as _data

#: The 9 mainland cities of the Guangdong-Hong Kong-Macao Greater Bay Area (the Pearl River
#: Delta's nine; Hong Kong and Macao are not prefecture-level units and are not in the registry).
GBA_CODES = (440100, 440300, 440400, 440600, 440700, 441200, 441300, 441900, 442000)


def _registry_path() -> Path:
    return Path(_data.DEFAULT_PANEL).parent / "china_prefectures.csv"


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    df = pd.read_csv(_registry_path(), dtype={"name_zh": str, "province_zh": str})
    df["pop_2010"] = df["pop_2010"].astype("Int64")
    df["pop_2020"] = df["pop_2020"].astype("Int64")
    return df


def prefecture_table() -> pd.DataFrame:
    """The 337 prefecture-level units of mainland China (2020 division).

    Returns
    -------
    DataFrame
        One row per unit in code order: ``code`` (6-digit), ``name_zh``, ``province_code``,
        ``province_zh``, ``lon``/``lat`` (seat, degrees), ``pop_2010``/``pop_2020`` (census
        residents; ``pop_2010`` is missing for Sansha, founded in 2012). A new copy each call.
    """
    return _load().copy()


def city_set(name: str = "guangdong", n: int | None = None, seed: int = 0) -> pd.DataFrame:
    """A set of cities in the format of :func:`helpers.data.city_table`, for the twin.

    Parameters
    ----------
    name : {"guangdong", "gba", "national", "sample"}
        ``guangdong`` is exactly :func:`helpers.data.city_table` (21 cities, four regions);
        ``gba`` its nine Greater Bay Area cities; ``national`` every prefecture-level unit with
        both census counts (336: Sansha has no 2010 count); ``sample`` ``n`` national units drawn
        without replacement with ``seed`` (the 21 Guangdong cities first when ``n >= 21``, so a
        larger design contains the smaller one).
    n : int, optional
        Number of cities for ``sample``.
    seed : int
        Seed of the draw for ``sample``.

    Returns
    -------
    DataFrame
        Indexed by ``city`` (English name for Guangdong, else the Chinese name), with ``code``,
        ``name_zh``, ``region`` (Guangdong's four regions; ``Other`` outside Guangdong, where the
        four-region division does not apply), ``lon``, ``lat``, ``pop_2010``, ``pop_2020``.
    """
    gd = _data.city_table()
    if name == "guangdong":
        return gd
    if name == "gba":
        return gd[gd["code"].isin(GBA_CODES)]
    nat = _national(gd)
    if name == "national":
        return nat
    if name == "sample":
        if n is None or not 2 <= n <= len(nat):
            raise ValueError(f"city_set('sample') needs 2 <= n <= {len(nat)}, got n={n}")
        others = nat[~nat["code"].isin(gd["code"])]
        if n <= len(gd):
            pick = gd.iloc[np.sort(np.random.default_rng(seed).choice(len(gd), n, replace=False))]
            return pick
        extra = np.sort(np.random.default_rng(seed).choice(len(others), n - len(gd), replace=False))
        return pd.concat([nat[nat["code"].isin(gd["code"])], others.iloc[extra]]).sort_values("code")
    raise ValueError(f"unknown city set {name!r}: use 'guangdong', 'gba', 'national' or 'sample'")


def _national(gd: pd.DataFrame) -> pd.DataFrame:
    reg = prefecture_table().dropna(subset=["pop_2010", "pop_2020"])
    english = pd.Series(gd.index, index=gd["code"])
    city = reg["code"].map(english).fillna(reg["name_zh"])
    region = reg["code"].map(gd.set_index("code")["region"].astype(str)).fillna("Other")
    out = pd.DataFrame({
        "code": reg["code"].to_numpy(), "name_zh": reg["name_zh"].to_numpy(),
        "region": pd.Categorical(region, categories=[*_data.REGIONS, "Other"]),
        "lon": reg["lon"].to_numpy(), "lat": reg["lat"].to_numpy(),
        "pop_2010": reg["pop_2010"].astype(int).to_numpy(), "pop_2020": reg["pop_2020"].astype(int).to_numpy(),
    }, index=pd.Index(city.to_numpy(), name="city"))
    return out
