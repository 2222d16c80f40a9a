r"""Within-city moments of a city-year panel, with cluster-bootstrap standard errors.

The moments an estimator with city and year effects actually sees (issue 21, item 2): the
calibration check of the twin compares them with the real Guangdong and national panels
(:mod:`helpers.studies.moments` applies the same functions to simulated panels).

Every moment is a function of a *harmonised frame* (one row per city-year; columns ``city``,
``year``, ``group`` (regions or provinces, for the Theil index), ``population`` (10k persons),
``gdp``, and where the source has them ``va_secondary``, ``va_tertiary``, ``loans``,
``broadband_per100``, ``mfg_share`` (manufacturing employment / employment) and
``digital_index``). A moment whose inputs are absent or all missing is NaN.

Notation. :math:`\tilde x_{it}` is :math:`x_{it}` with city and year effects removed by least
squares (alternating projections, exact for balanced panels in one sweep, iterated otherwise);
:math:`g_{it} = \ln GDP_{it} - \ln GDP_{i,t-1}` (consecutive years only). SDs are root mean
squares without a degrees-of-freedom correction: :math:`\sqrt{\frac1n \sum \tilde x_{it}^2}`.

Standard errors: cluster (city) bootstrap -- draw G cities with replacement, each draw a new
cluster (a city drawn twice enters as two cities), recompute every moment; the SE is the SD of
the replicates (Cameron, Gelbach & Miller 2008). Nothing here imports :mod:`helpers.simulate`.

References
----------
Cameron, A. C., Gelbach, J. B., Miller, D. L. (2008). Bootstrap-based improvements for inference
with clustered errors. Review of Economics and Statistics 90(3), 414-427.
Theil, H. (1967). Economics and Information Theory. North-Holland.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import measure
from .._results import Result

#: Harmonised frame: required columns (the rest are optional).
FRAME_REQUIRED = ("city", "year", "group", "population", "gdp")


def two_way_residual(df: pd.DataFrame, col: str, *, tol: float = 1e-12, max_iter: int = 500) -> pd.Series:
    r"""``col`` with city and year effects removed (least squares, missing rows dropped).

    Alternating projections :math:`x \leftarrow x - \bar x_{i\cdot}`, :math:`x \leftarrow x -
    \bar x_{\cdot t}` until the largest change is below ``tol`` (one sweep on a balanced panel).
    """
    d = df[["city", "year", col]].dropna()
    if d.empty:
        return pd.Series(dtype=float)
    ci = pd.factorize(d["city"])[0]
    ti = pd.factorize(d["year"])[0]
    v = d[col].to_numpy(float).copy()
    nc, nt = np.bincount(ci), np.bincount(ti)
    for _ in range(max_iter):
        a = np.bincount(ci, v) / nc
        v = v - a[ci]
        b = np.bincount(ti, v) / nt
        v = v - b[ti]
        if max(np.abs(a).max(), np.abs(b).max()) < tol:
            break
    return pd.Series(v, index=d.index)


def _rms(x) -> float:
    x = np.asarray(x, float)
    return float(np.sqrt(np.mean(x**2))) if len(x) else np.nan


def _has(df: pd.DataFrame, col: str) -> bool:
    return col in df.columns and df[col].notna().any()


def growth(df: pd.DataFrame) -> pd.DataFrame:
    """city, year and ``g`` = ln GDP_t - ln GDP_{t-1} for consecutive years of the same city."""
    d = df[["city", "year", "gdp"]].dropna().sort_values(["city", "year"])
    lg = np.log(d["gdp"].to_numpy(float))
    same = (d["city"].to_numpy()[1:] == d["city"].to_numpy()[:-1]) & (np.diff(d["year"].to_numpy()) == 1)
    out = d.iloc[1:][same][["city", "year"]].copy()
    out["g"] = np.diff(lg)[same]
    return out


def sd_within(df: pd.DataFrame, col: str) -> float:
    r"""Within SD of ``col``: :math:`\sqrt{\frac1n\sum \tilde x_{it}^2}` after city and year effects."""
    return _rms(two_way_residual(df, col)) if _has(df, col) else np.nan


def sd_growth_within(df: pd.DataFrame) -> float:
    """Within-city SD of GDP growth relative to the year's mean growth (city and year effects removed)."""
    return sd_within(growth(df), "g")


def ar1_growth(df: pd.DataFrame) -> float:
    r"""First-order autocorrelation of :math:`\tilde g_{it}`: pooled
    :math:`\sum \tilde g_{it}\tilde g_{i,t-1} / \sqrt{\sum \tilde g_{it}^2 \sum \tilde g_{i,t-1}^2}`
    over consecutive years (Nickell's bias of order -(1+rho)/T included, as in any within estimate)."""
    g = growth(df)
    g = g.assign(e=two_way_residual(g, "g")).sort_values(["city", "year"])
    c, y, e = g["city"].to_numpy(), g["year"].to_numpy(), g["e"].to_numpy()
    ok = (c[1:] == c[:-1]) & (np.diff(y) == 1)
    a, b = e[1:][ok], e[:-1][ok]
    return float(a @ b / np.sqrt((a @ a) * (b @ b))) if ok.sum() > 2 else np.nan


def sd_growth_cross(df: pd.DataFrame) -> float:
    """Cross-city SD of the cities' mean growth over the window (the persistent part of growth)."""
    m = growth(df).groupby("city")["g"].mean()
    return float(m.std(ddof=0)) if len(m) > 1 else np.nan


def sd_log_gdp_within(df: pd.DataFrame) -> float:
    """Within-city SD of ln GDP after city and year effects."""
    return sd_within(df.assign(lg=np.log(df["gdp"])), "lg")


def sd_log_loans_within(df: pd.DataFrame) -> float:
    """Within-city SD of ln loans after city and year effects."""
    return sd_within(df.assign(ll=np.log(df["loans"])), "ll") if _has(df, "loans") else np.nan


def coupling(df: pd.DataFrame) -> pd.Series:
    """Coupling coordination D of secondary and tertiary value added per head (as
    :func:`helpers.analysis.realdata.real_constructs`: min-max normalised over the frame's rows)."""
    d = df[["va_secondary", "va_tertiary", "population"]].dropna()
    per = pd.DataFrame({"s": d["va_secondary"] / d["population"], "t": d["va_tertiary"] / d["population"]})
    cc = measure.coupling_coordination(measure.normalize_indicators(per))
    return pd.Series(cc["D"].to_numpy(), index=d.index)


def sd_coupling_within(df: pd.DataFrame) -> float:
    """Within-city SD of the coupling coordination D after city and year effects."""
    if not (_has(df, "va_secondary") and _has(df, "va_tertiary")):
        return np.nan
    return sd_within(df.assign(D=coupling(df)), "D")


def theil_by_year(df: pd.DataFrame) -> pd.Series:
    """Population-weighted Theil T of GDP per head by year (:func:`helpers.measure.theil`)."""
    d = df[["year", "group", "gdp", "population"]].dropna()
    return pd.Series({int(y): measure.theil((g["gdp"] / g["population"]).to_numpy(), g["group"].to_numpy(),
                                            weights=g["population"].to_numpy()).total
                      for y, g in d.groupby("year")})


def theil_trend(df: pd.DataFrame) -> float:
    """Least-squares slope per year of the population-weighted Theil T of GDP per head."""
    t = theil_by_year(df)
    return float(np.polyfit(t.index.to_numpy(float), t.to_numpy(), 1)[0]) if len(t) > 1 else np.nan


def theil_mean(df: pd.DataFrame) -> float:
    """Mean over years of the population-weighted Theil T of GDP per head."""
    return float(theil_by_year(df).mean())


def _corr(a, b) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[ok], b[ok])[0, 1]) if ok.sum() > 2 else np.nan


def corr_with_gdp_per_head(df: pd.DataFrame, col: str) -> float:
    """Pooled correlation over city-years of ``col`` with ln GDP per head."""
    if not _has(df, col):
        return np.nan
    return _corr(df[col].to_numpy(float), np.log(df["gdp"] / df["population"]).to_numpy(float))


def corr_within_broadband(df: pd.DataFrame) -> float:
    """Correlation of broadband per 100 with ln GDP per head, both after city and year effects."""
    if not _has(df, "broadband_per100"):
        return np.nan
    d = df.assign(lpc=np.log(df["gdp"] / df["population"])).dropna(subset=["broadband_per100", "lpc"])
    return _corr(two_way_residual(d, "broadband_per100").to_numpy(), two_way_residual(d, "lpc").to_numpy())


def rank_with_reference(df: pd.DataFrame, reference: pd.DataFrame | None, col: str = "digital_index") -> float:
    """Spearman rank correlation of the cities' mean ``col`` with the cities' mean of the
    reference index (city, year, ``value``; e.g. the real PKU index); NaN without a reference."""
    if reference is None or not _has(df, col):
        return np.nan
    a = df.groupby("city")[col].mean()
    b = reference.groupby("city")["value"].mean()
    both = pd.concat([a, b], axis=1, join="inner").dropna()
    return float(both.iloc[:, 0].rank().corr(both.iloc[:, 1].rank())) if len(both) > 2 else np.nan


#: name -> (label, function of the frame, targeted). Held-back moments are not to be used in a fit.
MOMENTS = {
    "sd_growth_within": ("within-city SD of GDP growth (city and year effects removed)", sd_growth_within, True),
    "ar1_growth": ("first-order autocorrelation of within-city GDP growth", ar1_growth, True),
    "sd_growth_cross": ("cross-city SD of mean GDP growth", sd_growth_cross, True),
    "sd_log_gdp_within": ("within-city SD of ln GDP (city and year effects removed)", sd_log_gdp_within, True),
    "sd_broadband_within": ("within-city SD of broadband per 100",
                            lambda d: sd_within(d, "broadband_per100"), True),
    "sd_mfg_lq_within": ("within-city SD of the manufacturing location quotient",
                         lambda d: sd_within(d.assign(lq=_mfg_lq(d)), "lq"), True),
    "sd_coupling_within": ("within-city SD of coupling coordination D", sd_coupling_within, True),
    "theil_trend": ("Theil trend of GDP per head (slope per year)", theil_trend, True),
    "corr_broadband_gdppc": ("correlation of broadband per 100 with ln GDP per head",
                             lambda d: corr_with_gdp_per_head(d, "broadband_per100"), True),
    "corr_digital_gdppc": ("correlation of the digital index with ln GDP per head",
                           lambda d: corr_with_gdp_per_head(d, "digital_index"), True),
    "sd_secondary_share_within": ("within-city SD of the secondary share of GDP",
                                  lambda d: sd_within(d.assign(sh=d.get("va_secondary", np.nan) / d["gdp"]), "sh"),
                                  True),
    "sd_log_loans_within": ("within-city SD of ln loans (city and year effects removed)", sd_log_loans_within, True),
    "theil_mean": ("mean Theil T of GDP per head", theil_mean, False),
    "corr_within_broadband": ("within correlation of broadband per 100 and ln GDP per head",
                              corr_within_broadband, False),
}


def _mfg_lq(df: pd.DataFrame) -> pd.Series:
    """Manufacturing location quotient: the city's manufacturing share over the frame's share that
    year (employment-weighted mean of the cities' shares, using ``employment`` when present)."""
    if not _has(df, "mfg_share"):
        return pd.Series(np.nan, index=df.index)
    w = df["employment"] if "employment" in df.columns else pd.Series(1.0, index=df.index)
    ok = df["mfg_share"].notna() & w.notna()
    num = (df["mfg_share"] * w).where(ok).groupby(df["year"]).transform("sum")
    den = w.where(ok).groupby(df["year"]).transform("sum")
    return df["mfg_share"] / (num / den)


def moment_values(df: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.Series:
    """Every moment of :data:`MOMENTS` (and ``rank_digital_reference`` with a reference) of a frame."""
    missing = [c for c in FRAME_REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(f"moment frame lacks column(s) {missing}; required {list(FRAME_REQUIRED)}")
    out = {k: fn(df) for k, (_, fn, _) in MOMENTS.items()}
    out["rank_digital_reference"] = rank_with_reference(df, reference)
    return pd.Series(out, dtype=float)


def cluster_bootstrap(df: pd.DataFrame, *, n_boot: int = 199, seed: int = 0,
                      reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Replicates of :func:`moment_values` over city resamples (rows: draws; columns: moments).

    Each draw takes G cities with replacement; a city drawn k times enters as k distinct
    clusters (relabelled), so within-city moments treat them as separate cities.
    """
    rng = np.random.default_rng(seed)
    cities = df["city"].unique()
    rows = {c: np.flatnonzero(df["city"].to_numpy() == c) for c in cities}
    reps = []
    for _ in range(int(n_boot)):
        draw = rng.integers(0, len(cities), len(cities))
        idx = np.concatenate([rows[cities[k]] for k in draw])
        lab = np.concatenate([np.full(len(rows[cities[k]]), j) for j, k in enumerate(draw)])
        b = df.iloc[idx].reset_index(drop=True).assign(city=lab)
        ref = None
        if reference is not None:   # the reference follows the drawn cities, relabelled the same way
            r = reference.set_index("city")
            ref = pd.concat([r.loc[[cities[k]]].assign(city=j) for j, k in enumerate(draw)
                             if cities[k] in r.index], ignore_index=True) if len(r) else None
        reps.append(moment_values(b, ref))
    return pd.DataFrame(reps)


@dataclass(repr=False)
class MomentTable(Result):
    """Moments of one panel with cluster-bootstrap SEs: ``table`` (index moment; ``label``,
    ``targeted``, ``value``, ``se``), ``source``, ``n_boot``, ``seed``."""

    table: pd.DataFrame
    source: str
    n_boot: int
    seed: int

    def summary(self) -> str:
        return (f"Moments of {self.source} (cluster bootstrap, {self.n_boot} draws, seed {self.seed})\n"
                + self.table.to_string(float_format=lambda v: f"{v:.4f}"))


def moments(df: pd.DataFrame, *, n_boot: int = 199, seed: int = 0, reference: pd.DataFrame | None = None,
            source: str = "panel") -> MomentTable:
    """Moment values of a harmonised frame with cluster-bootstrap SEs (``n_boot=0``: no SE)."""
    val = moment_values(df, reference)
    se = cluster_bootstrap(df, n_boot=n_boot, seed=seed, reference=reference).std(ddof=1) if n_boot > 1 \
        else pd.Series(np.nan, index=val.index)
    lab = {k: v[0] for k, v in MOMENTS.items()} | {"rank_digital_reference":
                                                   "rank correlation of city means: digital index vs the real PKU index"}
    tgt = {k: v[2] for k, v in MOMENTS.items()} | {"rank_digital_reference": False}
    tab = pd.DataFrame({"label": pd.Series(lab), "targeted": pd.Series(tgt), "value": val,
                        "se": se.reindex(val.index)})
    tab.index.name = "moment"
    return MomentTable(table=tab, source=source, n_boot=int(n_boot), seed=int(seed))


# --------------------------------------------------------------------------- the real frames
def _china_columns(nat: pd.DataFrame) -> pd.DataFrame:
    """Broadband per 100 residents and the manufacturing share from the national panel."""
    out = nat[["code", "year"]].copy()
    out["broadband_per100"] = 100 * nat["broadband_users_10k_hh"] / nat["population"]
    out["mfg_share"] = nat["emp_manufacturing"] / nat["employment"]
    out["employment"] = nat["employment"]
    return out


def guangdong_frame(years=range(2011, 2024), accounts: pd.DataFrame | None = None,
                    national: pd.DataFrame | None = None, pku: pd.DataFrame | None = None) -> pd.DataFrame:
    """Harmonised frame of the real Guangdong (REAL data).

    GDP, secondary and tertiary value added and loans from the official city accounts
    (:func:`helpers.data.load_accounts`), resident population interpolated between the censuses
    (:func:`helpers.analysis.realdata.interpolated_population`), broadband subscribers and
    manufacturing employment of the 21 cities from the national panel
    (:func:`helpers.data.china.load_china`, matched by code; broadband is reported for 2012-2021
    with gaps, employment by industry to 2019), the PKU aggregate index as ``digital_index`` when
    given (:func:`helpers.analysis.realdata.pku_index`); groups are the four regions.
    """
    from .. import data as _data
    from ..data.china import load_china
    from .realdata import interpolated_population

    years = [int(y) for y in years]
    acc = _data.load_accounts() if accounts is None else accounts
    df = acc[acc["year"].isin(years)][["city", "code", "region", "year", "gdp", "va_secondary",
                                       "va_tertiary", "loans"]].copy()
    df = df.merge(interpolated_population(years), on=["city", "year"], how="left")
    nat = load_china() if national is None else national
    extra = _china_columns(nat[nat["code"].astype(str).isin(df["code"].astype(str))])
    df = df.assign(code=df["code"].astype(str)).merge(extra.assign(code=extra["code"].astype(str)),
                                                      on=["code", "year"], how="left")
    if pku is not None:
        df = df.merge(pku[["city", "year", "index_aggregate"]].rename(columns={"index_aggregate": "digital_index"}),
                      on=["city", "year"], how="left")
    df["group"] = df["region"].astype(str)
    df.attrs.update(simulated=False, source="real Guangdong (official accounts, census, national panel)")
    return df.sort_values(["code", "year"]).reset_index(drop=True)


def national_frame(years=range(2011, 2024), national: pd.DataFrame | None = None) -> pd.DataFrame:
    """Harmonised frame of the national panel (REAL data; :func:`helpers.data.china.load_china`):
    GDP, sectors, loans, resident population, broadband per 100, manufacturing share; groups are
    provinces. City-years with missing GDP or population drop out of the moments that need them."""
    from ..data.china import load_china

    nat = load_china() if national is None else national
    nat = nat[nat["year"].isin([int(y) for y in years])]
    df = nat[["code", "year", "province", "gdp", "va_secondary", "va_tertiary", "loans", "population"]].copy()
    df = df.merge(_china_columns(nat), on=["code", "year"])
    df = df.rename(columns={"province": "group"}).assign(city=df["code"].astype(str))
    df.attrs.update(simulated=False, source="national city panel (helpers.data.china)")
    return df.sort_values(["city", "year"]).reset_index(drop=True)


def pku_reference(path=None) -> pd.DataFrame | None:
    """The real PKU aggregate index as a reference (city, year, ``value``), read where it lies
    (:func:`helpers.analysis.realdata.pku_index`); ``None`` when the reader does not have it."""
    from .realdata import pku_index

    pku, _ = pku_index(path)
    return None if pku is None else pku[["city", "year"]].assign(value=pku["index_aggregate"].to_numpy())
