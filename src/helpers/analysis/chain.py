r"""Chain synergy of China's cities (analysis layer): the panel, Guangdong against the nation, and associations.

The computations behind the chapter "Chain synergy: input-output links in China's cities":

- :func:`chain_panel`: the chain-synergy measures (:mod:`helpers.measure.chain`) of every
  city-year of a national panel with employment by the yearbook's 19 industries, with the
  cluster-synergy index (co-agglomeration of manufacturing and producer services) and the
  manufacturing share beside them;
- :func:`against_nation`: each Guangdong city's value and its percentile in the national
  distribution of the same year;
- :func:`va_proxies`: virtual-agglomeration proxies per 100 residents;
- :func:`within_city_associations`: two-way fixed-effects slopes of a chain measure on each
  proxy, clustered by city (:func:`helpers.models.panel_fe`);

Real data only; nothing here is simulated. This module never imports :mod:`helpers.simulate`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.measure import (
    chain_synergy,
    coagglomeration,
    employment_long,
    io_coefficients,
    location_quotient,
)
from helpers.models import panel_fe

#: Producer services of the cluster-synergy index (as in the national chapter).
PRODUCER_SERVICES = ("ict", "finance", "research_tech", "leasing_business", "transport")
#: The chain measures and their labels in the book.
MEASURES = {"chain_coagg": "IO-weighted co-agglomeration",
            "local_sourcing": "local input sourcing potential",
            "backward_linkage": "backward linkage of the mix",
            "forward_linkage": "forward linkage of the mix"}
#: Virtual-agglomeration proxies (computed by :func:`va_proxies`) and their labels.
PROXIES = {"broadband_per100": "broadband subscribers per 100 residents",
           "mobile_per100": "mobile subscribers per 100 residents",
           "telecom_per_capita": "telecom revenue per resident (yuan)"}
#: Labels of the other columns of :func:`chain_panel`.
OTHER = {"coagg_full": "cluster synergy (manufacturing-producer-services co-agglomeration)",
         "coagg_quality": "balance part of cluster synergy",
         "manufacturing_share": "manufacturing share of employment"}


def label(name: str) -> str:
    """The book's label of a measure, proxy or column (the name itself when unknown)."""
    return {**MEASURES, **PROXIES, **OTHER}.get(name, name)


def chain_panel(panel: pd.DataFrame, coefficients: pd.DataFrame | None = None, *,
                city="city", year="year", prefix="emp_", keep=("province", "region"),
                missing_as_zero=("mining", "agriculture"), services=PRODUCER_SERVICES,
                **options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Chain synergy, cluster co-agglomeration and manufacturing share of every city-year.

    Parameters
    ----------
    panel : DataFrame
        One row per city-year with employment columns ``prefix + industry`` for the 19
        industries of ``coefficients`` (e.g. :func:`helpers.data.china.load_china`). Rows without
        any employment (years after 2019, cities the yearbook omits) are left out. A year in
        which an industry is blank for every city (not published: agriculture in 2019) is
        dropped. Other blanks are handled by :func:`helpers.measure.employment_long`.
    missing_as_zero : tuple of str
        Industries whose blanks read as zero. Judgement: mining and agriculture are the two
        industries a city may simply not have in urban units (Zhongshan: no mining in any year;
        100 persons in agriculture in 2005-2008, blank from 2009); any other blank drops the
        city-year.
    coefficients : DataFrame or None
        Long coefficients; default :func:`helpers.measure.io_coefficients` (domestic).
    keep : tuple of str
        Columns of ``panel`` carried to the output (those present).
    **options
        Passed to :func:`helpers.measure.chain_synergy`.

    Returns
    -------
    (DataFrame, DataFrame)
        The measures per city-year (``chain_coagg``, ``local_sourcing``, ``backward_linkage``,
        ``forward_linkage``, ``table_year``, ``coagg_full``, ``coagg_quality``,
        ``manufacturing_share``), and the city-years dropped for blanks.
    """
    coef = io_coefficients() if coefficients is None else coefficients
    industries = sorted(set(coef["from_industry"]))
    cols = [f"{prefix}{i}" for i in industries]
    missing = [c for c in cols if c not in panel.columns]
    if missing:
        raise ValueError(f"panel: missing employment column(s) {missing}")
    some = panel[cols].notna().any(axis=1)
    # an industry blank in every city of a year was not published that year (agriculture in
    # the 2020 edition): the year is dropped, not zero-filled
    unpublished = panel[some].groupby(year)[cols].apply(lambda g: g.isna().all())
    gone = unpublished[unpublished.any(axis=1)]
    off = panel[year].isin(gone.index)
    long, dropped = employment_long(panel[some & ~off], industries, prefix=prefix, suffix="",
                                    id_cols=(city, year), missing_as_zero=missing_as_zero)
    if len(gone):
        why = {y: ", ".join(c.removeprefix(prefix) for c in gone.columns[r]) + " (not published)"
               for y, r in zip(gone.index, gone.to_numpy())}
        extra = panel.loc[some & off, [city, year]].assign(missing=lambda d: d[year].map(why))
        dropped = pd.concat([dropped, extra], ignore_index=True)
    out = chain_synergy(long, coef, city=city, year=year, **options)
    out = out.merge(cluster_coagglomeration(long, services=services, city=city, year=year),
                    on=[city, year])
    ids = [c for c in keep if c in panel.columns]
    if ids:
        out = out.merge(panel[[city, year, *ids]], on=[city, year], how="left")
    return out.sort_values([year, city]).reset_index(drop=True), dropped


def cluster_coagglomeration(emp: pd.DataFrame, *, services=PRODUCER_SERVICES,
                            manufacturing="manufacturing", city="city", year="year",
                            industry="industry", value="employment") -> pd.DataFrame:
    r"""Co-agglomeration of manufacturing and producer services per city-year.

    :math:`CA = 1 - |LQ_m - LQ_s|/(LQ_m + LQ_s) + (LQ_m + LQ_s)` with location quotients of
    employment within the year (benchmark: all cities of ``emp``; the city total is the sum of
    its industries), :func:`helpers.measure.location_quotient` and
    :func:`helpers.measure.coagglomeration`; producer services are summed.

    Returns
    -------
    DataFrame
        ``city``, ``year``, ``coagg_full``, ``coagg_quality``, ``manufacturing_share``.
    """
    rows = []
    for y, g in emp.groupby(year):
        wide = g.pivot(index=city, columns=industry, values=value)
        groups = pd.DataFrame({"m": wide[manufacturing], "s": wide[list(services)].sum(axis=1)})
        groups["other"] = wide.sum(axis=1) - groups["m"] - groups["s"]
        lq = location_quotient(groups)
        rows.append(pd.DataFrame({
            city: wide.index, year: y,
            "coagg_full": coagglomeration(lq["m"], lq["s"], part="full").to_numpy(),
            "coagg_quality": coagglomeration(lq["m"], lq["s"], part="quality").to_numpy(),
            "manufacturing_share": (groups["m"] / wide.sum(axis=1)).to_numpy()}))
    return pd.concat(rows, ignore_index=True)


def against_nation(df: pd.DataFrame, columns, mask: pd.Series, *, year="year") -> pd.DataFrame:
    """Values of the cities in ``mask`` with their percentile in the national distribution.

    The percentile of city c in year t is the share of all cities of that year with a lower
    value, plus half the share with an equal one (the mid-rank convention), times 100.

    Parameters
    ----------
    df : DataFrame
        One row per city-year, all cities.
    columns : list of str
        Measures to rank.
    mask : Series of bool
        Rows to report (e.g. Guangdong's cities), indexed like ``df``.

    Returns
    -------
    DataFrame
        The rows of ``mask`` with each measure and ``<measure>_pctile``.
    """
    out = df.copy()
    for c in columns:
        out[f"{c}_pctile"] = out.groupby(year)[c].rank(pct=False, method="average")
        n = out.groupby(year)[c].transform("count")
        out[f"{c}_pctile"] = 100 * (out[f"{c}_pctile"] - 0.5) / n
    return out[mask.reindex(out.index, fill_value=False).to_numpy()]


def va_proxies(panel: pd.DataFrame) -> pd.DataFrame:
    """Virtual-agglomeration proxies of a national panel (columns of :mod:`helpers.data.china`).

    ``broadband_per100`` = broadband subscribers (10k households, from 2012) / resident
    population (10k) x 100; ``mobile_per100`` likewise for mobile subscribers;
    ``telecom_per_capita`` = telecom revenue (10,000 yuan) / resident population (10k persons),
    in yuan per resident. A blank input gives a blank proxy.
    """
    need = ["broadband_users_10k_hh", "mobile_users_10k_hh", "telecom_revenue_10k_yuan",
            "population"]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise ValueError(f"panel: missing column(s) {missing}")
    pop = panel["population"].where(panel["population"] > 0)
    return pd.DataFrame({"broadband_per100": 100 * panel["broadband_users_10k_hh"] / pop,
                         "mobile_per100": 100 * panel["mobile_users_10k_hh"] / pop,
                         "telecom_per_capita": panel["telecom_revenue_10k_yuan"] / pop},
                        index=panel.index)


def within_city_associations(df: pd.DataFrame, outcomes, proxies, *, city="city", year="year",
                             level=0.95) -> pd.DataFrame:
    r"""Two-way fixed-effects slopes of each outcome on each proxy, clustered by city.

    .. math:: z(y)_{ct} = \beta\, z(p)_{ct} + \mu_c + \lambda_t + \varepsilon_{ct},

    with outcome and proxy standardised over the estimation sample (complete city-years of the
    pair), so :math:`\beta` is the within-city change in standard deviations of the outcome per
    standard deviation of the proxy. One regression per pair, by
    :func:`helpers.models.panel_fe` (its default inference: CRV1 with normal intervals on 50
    cities or more, the cluster jackknife CRV3 with t(G - 1) on fewer).

    Returns
    -------
    DataFrame
        One row per outcome and proxy: ``beta``, ``se``, ``p``, ``ci_low``, ``ci_high``,
        ``nobs``, ``n_cities``.
    """
    rows = []
    for y in outcomes:
        for p in proxies:
            d = df[[city, year, y, p]].replace([np.inf, -np.inf], np.nan).dropna()
            d = d.assign(**{c: (d[c] - d[c].mean()) / d[c].std() for c in (y, p)})
            r = panel_fe(d, y, p, entity=city, time=year)
            lo, hi = r.conf_int(level).loc[p]
            rows.append({"outcome": y, "proxy": p, "beta": r.params[p], "se": r.std_errors[p],
                         "p": r.pvalues[p], "ci_low": lo, "ci_high": hi, "nobs": len(d),
                         "n_cities": d[city].nunique()})
    return pd.DataFrame(rows)


def guangdong_summary(ranked: pd.DataFrame, measures=tuple(MEASURES), *,
                      city="city") -> pd.DataFrame:
    """One row per measure: how Guangdong's cities sit in the national distribution.

    Parameters
    ----------
    ranked : DataFrame
        Output of :func:`against_nation` for Guangdong's cities in one year.

    Returns
    -------
    DataFrame
        ``measure``, ``n_cities``, ``n_above_median`` (percentile above 50), ``median_pctile``,
        ``top_city``, ``top_pctile``, ``bottom_city``, ``bottom_pctile``.
    """
    rows = []
    for m in measures:
        pc = ranked.set_index(city)[f"{m}_pctile"]
        rows.append({"measure": m, "n_cities": int(pc.size), "n_above_median": int((pc > 50).sum()),
                     "median_pctile": float(pc.median()), "top_city": pc.idxmax(),
                     "top_pctile": float(pc.max()), "bottom_city": pc.idxmin(),
                     "bottom_pctile": float(pc.min())})
    return pd.DataFrame(rows)


#: The judgement calls of the chain measures, each as (label, coefficient kind, options).
VARIANTS = (
    ("baseline: domestic coefficients, max link, direct requirements", "domestic", {}),
    ("mean of a_ij and a_ji as the link", "domestic", {"symmetrise": "mean"}),
    ("domestic + imported coefficients", "total", {}),
    ("total (Leontief) requirements in local sourcing", "domestic", {"requirements": "total"}),
    ("manufacturing's own inputs counted in local sourcing", "domestic", {"include_own": True}),
)


def variant_summary(panel: pd.DataFrame, year: int, *, province="Guangdong",
                    measures=("chain_coagg", "local_sourcing"), variants=VARIANTS,
                    coefficients=None) -> pd.DataFrame:
    """How the province's cities sit in the national distribution under each judgement call.

    Parameters
    ----------
    panel : DataFrame
        National panel (as for :func:`chain_panel`), with a ``province`` column.
    year : int
        Cross-section year.
    variants : sequence of (label, kind, options)
        ``kind`` picks :func:`helpers.measure.io_coefficients` (``"domestic"`` or ``"total"``);
        ``options`` go to :func:`helpers.measure.chain_synergy`.
    coefficients : dict or None
        Coefficient frames by kind (default: the bundled ones).

    Returns
    -------
    DataFrame
        One row per variant and measure: ``variant``, ``measure``, ``n_above_median``,
        ``median_pctile``, ``n_cities``.
    """
    coefs = coefficients or {k: io_coefficients(k) for k in {v[1] for v in variants}}
    one = panel[panel["year"] == year]
    rows = []
    for name, kind, opts in variants:
        out, _ = chain_panel(one, coefs[kind], **opts)
        ranked = against_nation(out, list(measures), out["province"].eq(province))
        for _, r in guangdong_summary(ranked, measures).iterrows():
            rows.append({"variant": name, "measure": label(r["measure"]),
                         "n_above_median": r["n_above_median"],
                         "median_pctile": r["median_pctile"], "n_cities": r["n_cities"]})
    return pd.DataFrame(rows)
