r"""China's prefecture-level cities: constructs, the mechanical-input rule, tests, the specification
curve and minimum detectable effects.

One pipeline over the national city-year panel (:func:`helpers.data.china.load_china`): every
construct is computed by the measures of :mod:`helpers.measure` and **declares its raw inputs**
(:data:`INPUTS`), so that :func:`is_mechanical` can decide from the declarations alone whether
the two sides of a test share an input; a shared-input result is labelled "mechanical" and never
"supported". Tests are two-way fixed-effects regressions (:func:`helpers.models.panel_fe`,
clustered by city, CRV1 or the cluster jackknife CRV3 with t(G-1) critical values) on
standardised constructs, so every estimate, interval and minimum detectable effect is in standard
deviations of the outcome per standard deviation of the regressor.

Nothing here simulates anything, and nothing here imports :mod:`helpers.simulate`.

References
----------
Simonsohn, U., Simmons, J. P., Nelson, L. D. (2020). Specification curve analysis. Nature Human
Behaviour 4, 1208-1214.
MacKinnon, J. G., Nielsen, M. O., Webb, M. D. (2023). Cluster-robust inference: a guide to
empirical practice. Journal of Econometrics 232, 272-299.
Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical power of
experimental designs. Evaluation Review 19(5), 547-556.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from scipy import stats

from .. import measure
from ..measure.cluster import PRODUCER_SERVICES, coagglomeration_panel

#: Years of the national chapter (the PKU index starts in 2011).
YEARS = tuple(range(2011, 2024))
#: Province of Guangdong as named in the panel's ``province`` column (codes 44xxxx).
GUANGDONG_PREFIX = 44

#: Denominator of the location quotients and of output per worker: urban-unit employment in the 18
#: non-agricultural industries (the 2019 agriculture column is unusable, so the 19-industry total
#: is empty that year; agriculture is a small share of urban-unit employment).
EMP_TOTAL = "employment_nonagri"
EMPLOYMENT = ("emp_manufacturing", *PRODUCER_SERVICES, EMP_TOTAL)

#: Raw columns each construct is computed from (the mechanical-input rule reads only this).
INPUTS: dict[str, frozenset] = {k: frozenset(v) for k, v in {
    "broadband_per100": {"broadband_users_10k_hh", "population"},
    "mobile_per100": {"mobile_users_10k_hh", "population"},
    "telecom_per_head": {"telecom_revenue_10k_yuan", "population"},
    "va_entropy": {"broadband_users_10k_hh", "mobile_users_10k_hh", "telecom_revenue_10k_yuan", "population"},
    "pku_index": {"pku_index_aggregate"},
    "lq_manufacturing": {"emp_manufacturing", EMP_TOTAL},
    "lq_secondary": {"va_primary", "va_secondary", "va_tertiary"},
    "coagg_full": set(EMPLOYMENT),
    "coagg_quality": set(EMPLOYMENT),
    "coupling_d": {"va_secondary", "va_tertiary", "population"},
    "flow_capital": {"loans"},
    "productivity_worker": {"gdp", EMP_TOTAL},
    "productivity_resident": {"gdp", "population"},
    "log_population": {"population"},
    "financial_depth": {"loans", "gdp"},
}.items()}

#: Readable names of the constructs (figures, tables, sentences).
LABELS = {
    "broadband_per100": "broadband subscribers per 100 residents",
    "mobile_per100": "mobile subscribers per 100 residents",
    "telecom_per_head": "telecom revenue per resident",
    "va_entropy": "entropy index of the three digital series",
    "pku_index": "PKU digital financial inclusion index",
    "lq_manufacturing": "LQ of manufacturing employment",
    "lq_secondary": "LQ of secondary value added",
    "coagg_full": "co-agglomeration (quality + scale)",
    "coagg_quality": "co-agglomeration (quality part)",
    "coupling_d": "coupling coordination of secondary and tertiary VA per head",
    "flow_capital": "gravity position of loans",
    "productivity_worker": "log GDP per urban-unit employee (non-agricultural)",
    "productivity_resident": "log GDP per resident",
    "log_population": "log resident population",
    "financial_depth": "loans / GDP",
}

VA_PROXIES = ("broadband_per100", "mobile_per100", "telecom_per_head", "va_entropy", "pku_index")
SYNERGY = ("coagg_full", "coagg_quality", "coupling_d")
CONTROL_SETS = {"none": (), "population": ("log_population",),
                "population + finance": ("log_population", "financial_depth")}
#: Fixed effects besides the city's: the column holding the time effect.
EFFECTS = {"city + year": "year", "city + province-year": "province_year"}
SAMPLES = ("all years", "from 2013", "unflagged")
#: The source's plausibility flags (China City Statistical Yearbook panel): the "unflagged" sample
#: drops city-years with any of them set.
SOURCE_FLAGS = ("flag_internet_yoy_jump", "flag_mobile_yoy_jump", "flag_internet_gt_pop", "flag_zero_value")


def shared_inputs(x: str, y: str, inputs: dict | None = None) -> frozenset:
    """Raw columns both constructs are computed from (KeyError naming an undeclared construct)."""
    inputs = INPUTS if inputs is None else inputs
    for c in (x, y):
        if c not in inputs:
            raise KeyError(f"construct {c!r} declares no inputs; declared: {sorted(inputs)}")
    return inputs[x] & inputs[y]


def is_mechanical(x: str, y: str, inputs: dict | None = None) -> bool:
    """True when the two sides of a test share a raw input (declared in :data:`INPUTS`).

    A regression of y on x is then partly an identity (a common numerator or denominator moves
    both sides), so its estimate cannot support a causal chain: such a result is labelled
    "mechanical", never "supported".

    Examples
    --------
    >>> is_mechanical("telecom_per_head", "coupling_d")   # both divide by population
    True
    >>> is_mechanical("pku_index", "coagg_full")
    False
    """
    return bool(shared_inputs(x, y, inputs))


def mde(se, *, alpha: float = 0.05, power: float = 0.8, df: float | None = None):
    r"""Minimum detectable effect of a two-sided test: :math:`(q_{1-\alpha/2} + q_{power})\,SE`.

    :math:`q` are standard normal quantiles, or Student t quantiles with ``df`` degrees of freedom
    (t(G-1) with G clusters: use them with the cluster jackknife). The smallest true effect that
    the test rejects with probability ``power`` (Bloom 1995), in the units of ``se``.

    Examples
    --------
    >>> round(mde(0.1), 4)   # (z_0.975 + z_0.8) * 0.1 = (1.960 + 0.842) * 0.1
    0.2802
    """
    q = stats.norm.ppf if df is None else (lambda p: stats.t.ppf(p, df))
    return (q(1 - alpha / 2) + q(power)) * np.asarray(se, dtype=float) if np.ndim(se) else \
        float((q(1 - alpha / 2) + q(power)) * se)


# --------------------------------------------------------------------------- constructs
def _per(num: pd.Series, den: pd.Series, scale: float) -> pd.Series:
    return num / den * scale


def _va_entropy(df: pd.DataFrame, shift: float) -> pd.Series:
    """Entropy index of the three digital series, pooled over every complete city-year."""
    cols = ["broadband_per100", "mobile_per100", "telecom_per_head"]
    ok = df[cols].notna().all(axis=1)
    out = pd.Series(np.nan, index=df.index)
    if ok.sum() > 1:
        out[ok] = measure.entropy_index(df.loc[ok, cols], shift=shift).to_numpy()
    return out


def _coupling(df: pd.DataFrame) -> pd.Series:
    """Coupling coordination D of secondary and tertiary VA per head (min-max over city-years)."""
    per_head = pd.DataFrame({"secondary": df["va_secondary"] / df["population"],
                             "tertiary": df["va_tertiary"] / df["population"]})
    ok = per_head.notna().all(axis=1)
    out = pd.Series(np.nan, index=df.index)
    U = measure.normalize_indicators(per_head[ok])
    out[ok] = measure.coupling_coordination(U)["D"].to_numpy()
    return out


def _lq_secondary(df: pd.DataFrame) -> pd.Series:
    """Location quotient of secondary value added within each year (national benchmark)."""
    s = df[["va_primary", "va_secondary", "va_tertiary"]].sum(axis=1, min_count=3)
    share = df["va_secondary"] / s
    ok = share.notna()
    nat = (df.loc[ok].groupby("year")["va_secondary"].transform("sum")
           / s[ok].groupby(df.loc[ok, "year"]).transform("sum"))
    return (share[ok] / nat).reindex(df.index)


def _cluster_synergy(df: pd.DataFrame) -> pd.DataFrame:
    """Co-agglomeration on the city-years with complete employment (others missing)."""
    ok = df[list(EMPLOYMENT)].notna().all(axis=1) & (df[EMP_TOTAL] > 0)
    cols = ["lq_manufacturing", "lq_services", "coagg_quality", "coagg_scale", "coagg_full"]
    out = pd.DataFrame(np.nan, index=df.index, columns=cols)
    if ok.any():
        out.loc[ok, cols] = coagglomeration_panel(df.loc[ok], total=EMP_TOTAL).to_numpy()
    return out


def national_constructs(panel: pd.DataFrame, *, pku: pd.DataFrame | None = None, years=YEARS,
                        shift: float = 0.002, flows: bool = True, b: float = 2.0) -> pd.DataFrame:
    r"""The constructs of :data:`INPUTS` per city-year from the national panel.

    - ``broadband_per100`` :math:`= 100\,B/P`, ``mobile_per100`` :math:`= 100\,M/P` (subscribers
      and resident population both in 10,000), ``telecom_per_head`` = telecom revenue (yuan) per
      resident; ``va_entropy`` their entropy index (:func:`helpers.measure.entropy_index`, pooled
      over all complete city-years, shift ``shift``); ``pku_index`` the PKU aggregate if given.
    - ``lq_manufacturing`` and the co-agglomeration ``coagg_*``
      (:func:`helpers.measure.cluster.coagglomeration_panel`, within each year);
      ``lq_secondary`` the within-year location quotient of secondary value added.
    - ``coupling_d``: coupling coordination D of secondary and tertiary VA per head (the book's
      Chapter 6 definition, :func:`helpers.measure.coupling_coordination`).
    - ``flow_capital``: gravity position of loans (:func:`helpers.measure.constructs.flow_positions`) over
      the cities with loans in every year; ``productivity_*``, ``log_population``,
      ``financial_depth`` (loans / GDP, both in yuan).

    A construct is missing where one of its inputs is (the yearbook did not publish it); nothing
    is interpolated. ``province_year`` is added for province-by-year effects.
    """
    df = panel[panel["year"].isin([int(y) for y in years])].copy().reset_index(drop=True)
    df["broadband_per100"] = _per(df["broadband_users_10k_hh"], df["population"], 100)
    df["mobile_per100"] = _per(df["mobile_users_10k_hh"], df["population"], 100)
    df["telecom_per_head"] = _per(df["telecom_revenue_10k_yuan"], df["population"], 1.0)   # 10k yuan / 10k persons
    df["va_entropy"] = _va_entropy(df, shift)
    if pku is not None:
        df = df.merge(pku[["code", "year", "pku_index_aggregate"]], on=["code", "year"], how="left")
        df["pku_index"] = df["pku_index_aggregate"]
    df["lq_secondary"] = _lq_secondary(df)
    df = df.join(_cluster_synergy(df))
    df["coupling_d"] = _coupling(df)
    emp = df[EMP_TOTAL].where(df[EMP_TOTAL] > 0)
    df["productivity_worker"] = np.log(df["gdp"] * 1e4 / emp)     # yuan per urban-unit employee
    df["productivity_resident"] = np.log(df["gdp"] * 1e4 / df["population"])
    df["log_population"] = np.log(df["population"])
    df["financial_depth"] = df["loans"] / df["gdp"]          # both in 100 million yuan
    if flows:
        df = df.merge(_flow_capital(df, b), on=["code", "year"], how="left")
    df["province_year"] = df["province"].astype(str) + " " + df["year"].astype(str)
    df["guangdong"] = df["code"] // 10000 == GUANGDONG_PREFIX
    df.attrs["simulated"] = False
    return df


@functools.lru_cache(maxsize=1)
def _registry_seats() -> pd.DataFrame:
    from ..data import cities

    return cities.city_set("national").set_index("code")[["lon", "lat"]]


def seats(codes) -> pd.DataFrame:
    """Seat coordinates (lon, lat) by 6-digit code from the national registry.

    Municipalities coded xx0000 in the accounts are the registry's xx0100. KeyError names a code
    without a seat.
    """
    reg = _registry_seats()
    out = []
    for c in codes:
        c = int(c)
        key = c + 100 if c % 10000 == 0 else c
        if key not in reg.index:
            raise KeyError(f"no seat coordinates for city code {c} in the national registry")
        out.append(reg.loc[key].to_numpy())
    return pd.DataFrame(out, index=pd.Index([int(c) for c in codes], name="code"), columns=["lon", "lat"])


def _flow_capital(df: pd.DataFrame, b: float) -> pd.DataFrame:
    """Gravity position of loans over the cities with loans (and a seat) in every year."""
    from .. import data as _data
    from ..measure.constructs import flow_positions

    years = df["year"].nunique()
    ok = df.dropna(subset=["loans"]).groupby("code")["year"].nunique()
    keep = sorted(ok[ok == years].index)
    sub = df[df["code"].isin(keep)][["code", "year", "loans"]].assign(city=lambda d: d["code"])
    dist = _data.distance_matrix(seats(keep))
    fp = flow_positions(sub, b=b, masses={"capital": "loans"}, dist=dist)
    return fp.rename(columns={"city": "code"})[["code", "year", "flow_capital"]]


def pku_national(path=None) -> tuple[pd.DataFrame | None, str]:
    """The PKU index (aggregate) for every city, read where it lies, or ``None`` with a note.

    ``path`` defaults to ``<realdata>/pku_dfiic_city/PKU_DFIIC_city.dta``. The 4-digit code
    becomes the 6-digit one (4401 -> 440100). The note names the file, not
    the folder (no machine path in any output). Never raises for a missing or unreadable file.
    Codes are the 2018 division's (``pref_code_year18``), closest to the panel's 2020 codes;
    municipalities (1100) become the registry's 110100.
    """
    from pathlib import Path

    from .. import data as _data
    from .realdata import PKU_WHERE

    path = Path(_data.default_realdata_dir() / "pku_dfiic_city" / "PKU_DFIIC_city.dta" if path is None else path)
    if not path.exists():
        return None, f"PKU index not found ({path.name}). {PKU_WHERE}"
    try:
        raw = pd.read_stata(path) if path.suffix.lower() == ".dta" else pd.read_csv(path)
        code = (pd.to_numeric(raw["pref_code_year18"]) * 100).astype(int)
        out = pd.DataFrame({"code": code.where(code % 10000 != 0, code + 100),   # 1100 -> 110100
                            "year": raw["year"].astype(int),
                            "pku_index_aggregate": pd.to_numeric(raw["index_aggregate"])})
    except (OSError, ValueError, KeyError) as e:  # a broken or foreign file: report it, never invent
        return None, f"PKU index in {path.name} could not be read ({type(e).__name__}). {PKU_WHERE}"
    out = out.dropna().drop_duplicates(["code", "year"])
    return out, f"PKU index read from {path.name} ({len(out):,} city-years, {out['code'].nunique()} cities)"


def guangdong_ranks(c: pd.DataFrame, columns, *, year: int | None = None) -> pd.DataFrame:
    """Rank (1 = highest) and percentile of each Guangdong city among all cities observed.

    ``year``: the year compared; ``None`` takes, per construct, the latest year in which at least
    one Guangdong city is observed (the yearbook's employment series ends in 2019). Returns one row
    per Guangdong city and construct: year, value, rank, cities ranked, percentile (share of
    cities with a lower value).
    """
    rows = []
    for col in columns:
        have = c.dropna(subset=[col])
        yr = int(have.loc[have["guangdong"], "year"].max()) if year is None else int(year)
        s = have[have["year"] == yr]
        r = s[col].rank(ascending=False, method="min")
        pct = s[col].rank(method="min").sub(1) / len(s)
        for i in s.index[s["guangdong"]]:
            rows.append({"city": s.at[i, "city"], "construct": col, "year": yr, "value": s.at[i, col],
                         "rank": int(r[i]), "of": len(s), "percentile": float(pct[i])})
    return pd.DataFrame(rows)


def construct_table(c: pd.DataFrame) -> pd.DataFrame:
    """Each construct: label, declared raw inputs, city-years observed and the years covered."""
    rows = []
    for k, inputs in INPUTS.items():
        have = c.dropna(subset=[k]) if k in c.columns else c.iloc[:0]
        years = (f"{int(have['year'].min())}-{int(have['year'].max())}" if len(have) else "not available")
        rows.append({"construct": k, "label": LABELS[k], "raw inputs": ", ".join(sorted(inputs)),
                     "city-years": len(have), "years": years})
    return pd.DataFrame(rows)


def proxy_correlations(c: pd.DataFrame, proxies=VA_PROXIES) -> pd.DataFrame:
    """Pairwise Pearson correlations of the virtual-agglomeration proxies over the city-years where
    both are observed (the proxies the reader has)."""
    cols = [p for p in proxies if p in c.columns and c[p].notna().any()]
    return c[cols].corr(min_periods=30).rename(index=LABELS, columns=LABELS)


# --------------------------------------------------------------------------- regional synergy
def regional_inequality(c: pd.DataFrame, *, by: str = "province", scope: pd.Series | None = None) -> pd.DataFrame:
    """Population-weighted Theil T of GDP per resident per year, between and within groups.

    ``by``: "province" (all cities) or "region" (Guangdong's four regions, with
    ``scope=c["guangdong"]``). Uses the city-years with GDP and the yearbook population
    (:func:`helpers.measure.theil`); returns year, cities, total, between, within, between share.
    """
    d = c if scope is None else c[scope]
    d = d.dropna(subset=["gdp", "population"])
    rows = []
    for year, g in d.groupby("year"):
        t = measure.theil((g["gdp"] * 1e4 / g["population"]).to_numpy(), g[by].to_numpy(),
                          weights=g["population"].to_numpy())
        rows.append({"year": int(year), "cities": len(g), "total": t.total, "between": t.between,
                     "within": t.within, "between_share": t.between / t.total})
    return pd.DataFrame(rows).set_index("year")


def convergence(c: pd.DataFrame, *, start: int, end: int, scope: pd.Series | None = None) -> dict:
    r"""Sigma and beta convergence of log GDP per resident between ``start`` and ``end``.

    Sigma: the cross-city standard deviation of :math:`\ln y` in each year (a falling SD is
    sigma convergence). Beta: OLS of the annual growth :math:`(\ln y_{end} - \ln y_{start})/T` on
    :math:`\ln y_{start}` over the cities observed in both years, HC1 standard error; a negative
    slope is beta convergence, with speed :math:`\lambda = -\ln(1 + T\beta)/T` (Barro and
    Sala-i-Martin 1992, Journal of Political Economy 100(2), 223-251).
    """
    import statsmodels.api as sm

    d = c if scope is None else c[scope]
    d = d.dropna(subset=["productivity_resident"])
    sigma = d.groupby("year")["productivity_resident"].std(ddof=1).rename("sigma")
    w = d.pivot_table(index="code", columns="year", values="productivity_resident")[[start, end]].dropna()
    T = end - start
    growth = (w[end] - w[start]) / T
    fit = sm.OLS(growth.to_numpy(), sm.add_constant(w[start].to_numpy())).fit(cov_type="HC1")
    beta, se = float(fit.params[1]), float(fit.bse[1])
    speed = -np.log(1 + T * beta) / T if 1 + T * beta > 0 else np.nan
    return {"sigma": sigma, "beta": beta, "beta_se": se, "beta_p": float(fit.pvalues[1]), "speed": speed,
            "cities": len(w), "start": start, "end": end}
