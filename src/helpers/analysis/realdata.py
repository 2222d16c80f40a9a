r"""The real Guangdong: constructs, inequality, networks and tests built from official data.

Inputs are the shipped official city accounts (:func:`helpers.data.load_accounts`), the shipped
census extract (:func:`load_census`) and, when the reader has it, the Peking University Digital
Financial Inclusion Index (PKU-DFIIC, never shipped: :func:`pku_index` reads it where it lies).
Each construct is a named proxy; what it does and does not measure is in :data:`PROXIES`.

Nothing here simulates anything, and nothing here imports :mod:`helpers.simulate`.

References
----------
Guo, F., Wang, J., Wang, F., Kong, T., Zhang, X., Cheng, Z. (2020). Measuring China's digital
financial inclusion: index compilation and spatial characteristics. China Economic Quarterly
19(4): 1401-1418.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import data as _data
from .. import measure
from .._results import Result
from ..data.guards import escape_name
from ..measure import network
from ..measure.constructs import flow_positions, standardize
from .report import interval_verdict  # the book's one verdict rule, real or simulated

#: Years of the real-data chapter (the PKU index starts in 2011).
YEARS = tuple(range(2011, 2024))
#: The shipped census extract (tools/build_accounts.py).
DEFAULT_CENSUS = _data.bundled_file("guangdong_census_2010_2020.csv")
#: Sub-indices of the PKU index read by :func:`pku_index`.
PKU_COLUMNS = ("index_aggregate", "coverage_breadth", "usage_depth", "digitization_level")
PKU_WHERE = ("The PKU Digital Financial Inclusion Index is distributed by the Institute of Digital "
             "Finance, Peking University (idf.pku.edu.cn), on request; cite Guo, Wang, Wang, Kong, Zhang "
             "and Cheng (2020), China Economic Quarterly 19(4): 1401-1418. Pass the path of the city-level "
             "file (PKU_DFIIC_city.dta or a CSV with the same columns) as `pku_path`.")

#: Each real proxy: what it measures and what it does not.
PROXIES = pd.DataFrame(
    [
        ("industrial agglomeration", "lq_secondary",
         "location quotient of secondary-industry value added (city share / provincial share)",
         ("industry only: secondary industry includes construction, and value added is not "
         "employment or firm counts")),
        ("industrial synergy (industries)", "synergy",
         "coupling coordination D of secondary and tertiary value added per head",
         "joint size and balance of two sectors, not input-output links or producer services"),
        ("industrial synergy (regions)", "Theil of GDP per head",
         "inequality of GDP per head within and between the four regions",
         "output per resident, not income, welfare or productivity"),
        ("capital flows", "flow_capital",
         "gravity network position of year-end loan balances",
         "a gravity potential between stocks, not observed lending between cities"),
        ("economic-mass flows", "flow_economic",
         ("gravity network position of sqrt(GDP x population), year-end resident population of the "
         "China City Statistical Yearbook series (not interpolated between censuses)"),
         "a potential, not observed trade, commuting or migration"),
        ("technology flows", "(none)", "no real source in this book's data", "everything: not measured"),
        ("virtual agglomeration", "va_index",
         ("PKU digital financial inclusion index (aggregate, coverage breadth, usage depth, "
         "digitisation), when the reader supplies it"),
         "digital finance only, not firms' clustering on platforms"),
    ],
    columns=["concept", "construct", "measures", "does not measure"],
)


def load_census(path=None) -> pd.DataFrame:
    """The shipped census extract (2010, 2020), indexed by city in registry order.

    Columns ``code``, ``region``, ``pop_2010``, ``pop_urban_2010``, ``pop_2020``,
    ``pop_urban_2020`` (persons), household size, share aged 65+ (percent). Source: leiii/census
    (MIT), counts of the Sixth and Seventh National Population Census.
    """
    path = Path(DEFAULT_CENSUS if path is None else path)
    if not path.exists():
        raise FileNotFoundError(f"census extract not found: {path} (run `make accounts`)")
    df = pd.read_csv(path).set_index("city")
    reg = _data.city_table()
    missing = sorted(set(reg.index) - set(df.index))
    if missing:
        raise _data.PanelSchemaError(f"{path}: no rows for {', '.join(missing)}")
    return df.loc[reg.index]


def interpolated_population(years=YEARS, census: pd.DataFrame | None = None) -> pd.DataFrame:
    r"""Resident population (10k persons) by city-year, geometric through the two censuses.

    :math:`P_{it} = P_{i,2010} (P_{i,2020}/P_{i,2010})^{(t-2010)/10}`: exact in 2010 and 2020,
    interpolated between, and extended at the same rate after 2020 (an assumption, not a count).
    """
    c = load_census() if census is None else census
    g = (c["pop_2020"] / c["pop_2010"]).to_numpy()
    ys = np.asarray(list(years))
    pop = c["pop_2010"].to_numpy()[None, :] * g[None, :] ** ((ys[:, None] - 2010) / 10) / 1e4
    out = pd.DataFrame(pop, index=pd.Index(ys, name="year"), columns=c.index).stack()
    return out.rename("population").reset_index()[["city", "year", "population"]]


def yearbook_population(years=YEARS) -> pd.DataFrame:
    """Year-end resident population (10k persons) of the 21 cities, the yearbook series.

    Read from the national panel (:func:`helpers.china.load_china`, Guangdong's rows), matched to
    the registry by code: city, year, ``population`` and ``population_interpolated`` (1 where the
    source filled a gap). Unlike :func:`interpolated_population` it follows the published counts
    after 2020 (the province sums to 12,706 10k persons in 2023, the official figure).
    """
    from ..data import china

    years = [int(y) for y in years]
    p = china.load_china(years=years, provinces="Guangdong")
    reg = _data.city_table().reset_index()[["city", "code"]]
    out = reg.merge(p[["code", "year", "population", "population_interpolated"]], on="code", how="left")
    full = pd.MultiIndex.from_product([reg["city"], years], names=["city", "year"])
    have = out.dropna(subset=["population"]).set_index(["city", "year"]).index
    gap = full.difference(have)
    if len(gap):
        raise _data.PanelSchemaError(f"yearbook population: no value for city {gap[0][0]}, year {gap[0][1]}")
    return out.dropna(subset=["population"])[["city", "year", "population", "population_interpolated"]]


def pku_index(path=None) -> tuple[pd.DataFrame | None, str]:
    """The PKU index for the 21 cities, or ``None`` with a note saying why and where to get it.

    Parameters
    ----------
    path : str, Path or None
        A PKU city file; ``None`` looks in ``../shared/realdata/pku_dfiic_city/``.

    Returns
    -------
    (DataFrame or None, str)
        city, year and :data:`PKU_COLUMNS`; the note names the file read, or says why none was.
        Never raises for a missing or unreadable file: the chapter shows the parts as unavailable.
        The note goes into the page as Markdown: the file name is escaped
        (:func:`helpers.data.guards.escape_name`).
    """
    path = Path(_data.default_realdata_dir() / "pku_dfiic_city" / "PKU_DFIIC_city.dta" if path is None else path)
    if not path.exists():
        return None, f"PKU index not found ({escape_name(path.name)}). {PKU_WHERE}"
    try:
        df = _data.read_pku_dfiic(path, years=YEARS)
    except (OSError, ValueError, KeyError) as e:  # a broken or foreign file: report it, never invent
        return None, (f"PKU index in {escape_name(path.name)} could not be read ({type(e).__name__}). "
                      f"{PKU_WHERE}")
    name = escape_name(path.name)  # the note goes into the page as Markdown
    return df[["city", "year", *PKU_COLUMNS]], f"PKU index read from {name} ({len(df)} city-years)"


def real_constructs(accounts: pd.DataFrame | None = None, census: pd.DataFrame | None = None,
                    pku: pd.DataFrame | None = None, years=YEARS, b: float = 2.0,
                    population="yearbook") -> pd.DataFrame:
    r"""City-year constructs of the real-data chapter (see :data:`PROXIES`).

    - ``lq_secondary`` :math:`= (V^2_{it}/V_{it}) / (\sum_i V^2_{it} / \sum_i V_{it})`, with
      :math:`V^2` secondary value added and :math:`V` the sum of the three sectors (not the
      ``gdp`` column, whose vintage differs in some years);
    - ``synergy``: coupling coordination D (:func:`helpers.measure.coupling_coordination`) of
      :math:`U_1, U_2`, secondary and tertiary value added per head, each min-max normalised over
      all city-years (:func:`helpers.measure.normalize_indicators`);
    - ``flow_capital``, ``flow_economic``, ``flow_network``: gravity positions
      (:func:`helpers.measure.constructs.flow_positions`, distance decay ``b``) of loans and of
      :math:`\sqrt{GDP \times population}`;
    - ``va_index`` and the PKU sub-indices, when ``pku`` is given.

    ``population``: "yearbook" (default, :func:`yearbook_population`), "census" (geometric
    interpolation between the 2010 and 2020 censuses, :func:`interpolated_population`: an
    assumption, and after 2020 an extrapolation) or a frame with city, year, population.

    Returns
    -------
    DataFrame
        One row per city-year, sorted by code and year; ``attrs["simulated"] = False``.
    """
    acc = _data.load_accounts() if accounts is None else accounts
    years = [int(y) for y in years]
    df = acc[acc["year"].isin(years)].copy()
    if isinstance(population, pd.DataFrame):
        pop = population[["city", "year", "population"]]
    elif population == "yearbook":
        pop = yearbook_population(years)[["city", "year", "population"]]
    elif population == "census":
        pop = interpolated_population(years, census)
    else:
        raise ValueError(f"population must be 'yearbook', 'census' or a frame, got {population!r}")
    df = df.merge(pop, on=["city", "year"], how="left")
    sector_sum = df[["va_primary", "va_secondary", "va_tertiary"]].sum(axis=1)
    df["secondary_share"] = df["va_secondary"] / sector_sum
    df["tertiary_share"] = df["va_tertiary"] / sector_sum
    prov = df.assign(s=sector_sum).groupby("year")[["va_secondary", "s"]].transform("sum")
    df["lq_secondary"] = df["secondary_share"] / (prov["va_secondary"] / prov["s"])
    df["gdp_per_head"] = df["gdp"] * 1e4 / df["population"]               # yuan per resident
    per_head = pd.DataFrame({"secondary": df["va_secondary"] / df["population"],
                             "tertiary": df["va_tertiary"] / df["population"]})
    U = measure.normalize_indicators(per_head)
    cc = measure.coupling_coordination(U)
    df["synergy"] = cc["D"].to_numpy()
    df["coupling"] = cc["C"].to_numpy()
    df["synergy_band"] = cc["band"].astype(str).to_numpy()
    fp = flow_positions(df, b=b, masses={"capital": "loans",
                                         "economic": lambda p: np.sqrt(p["gdp"] * p["population"])})
    df = df.merge(fp, on=["city", "year"])
    df["log_population"] = np.log(df["population"])
    if pku is not None:
        df = df.merge(pku.rename(columns={"index_aggregate": "va_index"}), on=["city", "year"], how="left")
        if df["va_index"].isna().any():
            i = df.index[df["va_index"].isna()][0]
            raise _data.PanelSchemaError(f"PKU index: no value for city {df.at[i, 'city']}, year {df.at[i, 'year']}")
    df = df.sort_values(["code", "year"]).reset_index(drop=True)
    df.attrs["simulated"] = False
    df.attrs["source"] = "official city accounts, census 2010/2020" + (", PKU index" if pku is not None else "")
    return df


def regional_theil(constructs: pd.DataFrame) -> pd.DataFrame:
    """Population-weighted Theil T of GDP per head by year, split between and within the regions.

    Returns year, ``total``, ``between``, ``within``, ``between_share`` and the four regions'
    within contributions (:func:`helpers.measure.theil`).
    """
    rows = []
    for year, g in constructs.groupby("year"):
        t = measure.theil(g["gdp_per_head"].to_numpy(), g["region"].to_numpy(), weights=g["population"].to_numpy())
        row = {"year": year, "total": t.total, "between": t.between, "within": t.within,
               "between_share": t.between / t.total}
        row.update({f"within_{r}": t.by_group.at[r, "contribution"] for r in t.by_group.index})
        rows.append(row)
    return pd.DataFrame(rows).set_index("year")


def network_by_year(constructs: pd.DataFrame, b: float = 2.0, rule: str = "row_mean") -> pd.DataFrame:
    """Gravity networks of capital and economic mass per year, binarised, with their metrics.

    Returns year, network, density, mean degree, mean betweenness and the city with the highest
    degree (ties: registry order), from :func:`helpers.measure.network.gravity_flows_panel`,
    :func:`helpers.measure.network.binarize` (``rule``) and :func:`helpers.measure.network.network_metrics`.
    """
    dist = _data.distance_matrix()
    masses = {"capital": constructs["loans"],
              "economic": np.sqrt(constructs["gdp"] * constructs["population"])}
    rows = []
    for name, m in masses.items():
        wide = (constructs.assign(m=m).pivot(index="year", columns="city", values="m")[dist.index])
        F = network.gravity_flows_panel(wide, dist, b=b)
        A = network.binarize(F, rule=rule)
        for t, year in enumerate(wide.index):
            met = network.network_metrics(pd.DataFrame(A[t], index=dist.index, columns=dist.index))
            rows.append({"year": year, "network": name, "density": met.attrs["density"],
                         "mean_degree": met["degree"].mean(), "mean_betweenness": met["betweenness"].mean(),
                         "top_city": met["degree"].idxmax(), "top_degree": met["degree"].max()})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the mechanism on real data
#: Tests of the real-data chapter: key -> (hypothesis, description, needs the PKU index).
TESTS = {
    "H1": ("H1", "FE: synergy on virtual agglomeration (PKU index)", True),
    "H2": ("H2", "mediation via the factor-flow network position (a x b)", True),
    "H3": ("H3", "mediation via industrial agglomeration, LQ of secondary VA (a x b)", True),
    "H4": ("H4", "threshold: slope of the PKU index by regime of coverage breadth", True),
    "H5": ("H5", "spatial Durbin: neighbours' PKU index -> a city's synergy (indirect effect)", True),
    "b_agglomeration": ("-", "FE: synergy on industrial agglomeration (no PKU needed)", False),
    "b_flows": ("-", "FE: synergy on the factor-flow network position (no PKU needed)", False),
}


@dataclass(repr=False)
class RealMechanism(Result):
    """Estimates, intervals and verdicts of the real-data tests (see :func:`real_mechanism`)."""

    table: pd.DataFrame
    pku_available: bool
    note: str
    fits: dict = field(default_factory=dict)

    def summary(self) -> str:
        return ("Real-data mechanism tests (official accounts" + (", PKU index)" if self.pku_available else
                "; PKU index unavailable)") + "\n" + self.table.to_string(float_format=lambda v: f"{v:.3f}"))


def real_mechanism(constructs: pd.DataFrame, W: pd.DataFrame, n_boot: int = 999, threshold_boot: int = 300,
                   seed: int = 0, alpha: float = 0.05, note: str = "") -> RealMechanism:
    """Chapter 4's tests on the real constructs, with verdicts computed from the intervals.

    All variables are z-scores over the panel (as in the twin's analysis); every regression has
    city and year effects and ``log_population`` as control, standard errors clustered by city.
    Tests that need the PKU index are reported as unavailable (no number) when ``constructs`` has
    no ``va_index``.

    Returns
    -------
    RealMechanism
        ``table`` indexed by test key: hypothesis, test, estimate, ci_low, ci_high, p, verdict.
    """
    from .. import models

    has_pku = "va_index" in constructs.columns
    cols = ["synergy", "lq_secondary", "flow_network", "log_population"] + (["va_index"] if has_pku else [])
    z = standardize(constructs, cols)
    c = ["log_population"]
    seeds = np.random.SeedSequence(seed).generate_state(6)
    rows, fits, ref_df = {}, {}, {}

    def fe_row(key, res, name):
        ref_df[key] = res.df_resid   # t(G - 1) under the few-cluster default CRV3, None: normal
        lo, hi = res.conf_int().loc[name, "lower"], res.conf_int().loc[name, "upper"]
        rows[key] = (float(res.params[name]), float(lo), float(hi), float(res.pvalues[name]),
                     interval_verdict(lo, hi))
        fits[key] = res

    fe_row("b_agglomeration", models.panel_fe(z, "synergy", "lq_secondary", controls=c), "lq_secondary")
    fe_row("b_flows", models.panel_fe(z, "synergy", "flow_network", controls=c), "flow_network")
    if has_pku:
        fe_row("H1", models.panel_fe(z, "synergy", "va_index", controls=c), "va_index")
        for key, m, s in (("H2", "flow_network", seeds[0]), ("H3", "lq_secondary", seeds[1])):
            med = models.mediation(z, "va_index", m, "synergy", controls=c, n_boot=n_boot, seed=int(s))
            lo, hi = med.boot_ci.loc["ab"]
            rows[key] = (float(med.ab), float(lo), float(hi), float(med.sobel_p), interval_verdict(lo, hi))
            fits[key] = med
        thr = models.threshold(z.assign(coverage_breadth=constructs["coverage_breadth"]), "synergy", "va_index",
                               "coverage_breadth", controls=c, n_boot=threshold_boot, seed=int(seeds[2]))
        p = float(np.atleast_1d(thr.p_boot)[0])
        sl = thr.slopes.to_numpy()
        v4 = ("supported" if sl[-1] > sl[0] else "contradicted") if np.isfinite(p) and p < alpha else "inconclusive"
        rows["H4"] = (float(sl[-1] - sl[0]), np.nan, np.nan, p, v4)
        fits["H4"] = thr
        sdm = models.spatial_durbin_panel(z, "synergy", ["va_index"] + c, W, seed=int(seeds[3]))
        est = float(sdm.effects.table().loc["va_index", "indirect"])
        lo, hi = sdm.effects_ci.loc[("indirect", "va_index")]
        rows["H5"] = (est, float(lo), float(hi), np.nan, interval_verdict(lo, hi))
        fits["H5"] = sdm
    out = []
    for key, (h, test, _needs) in TESTS.items():
        if key in rows:
            out.append((key, h, test, *rows[key]))
        else:
            out.append((key, h, test, np.nan, np.nan, np.nan, np.nan, "unavailable (needs the PKU index)"))
    table = pd.DataFrame(out, columns=["key", "hypothesis", "test", "estimate", "ci_low", "ci_high", "p",
                                       "verdict"]).set_index("key")
    table.attrs["reference_df"] = ref_df   # read by real_inference.with_mde (the SE behind each interval)
    return RealMechanism(table=table, pku_available=has_pku, note=note, fits=fits)


def with_twin_power(real: RealMechanism, detection: pd.DataFrame, n_reps: int | None = None) -> pd.DataFrame:
    """The real verdicts beside the twin's power for the same hypothesis.

    ``detection`` is :attr:`helpers.studies.MonteCarloResult.detection` (hypotheses H1-H5 by
    share of twins supported / inconclusive / contradicted). The twin has the same design (21
    cities, 13 years, two-way effects) but its own constructs, so its power says how often a
    study of this size finds an effect of the twin's size, not how large the real effect is.
    """
    t = real.table.copy()
    t["twin power"] = [float(detection.at[h, "supported"]) if h in detection.index else np.nan
                       for h in t["hypothesis"]]
    t.attrs["n_reps"] = n_reps
    return t


#: Source line printed under every real-data figure (instead of the simulated-data stamp).
SOURCE_NOTE = "Source: official city accounts (statistics bureaus) and censuses 2010/2020; REAL data"
