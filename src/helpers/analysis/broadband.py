r"""Broadband China as a staggered quasi-experiment on the chain (analysis layer, real data).

The "Broadband China" demonstration cities (MIIT/NDRC, three batches of 39 entities: 2014, 2015,
2016) are the treatment; a prefecture's cohort is the year its first entity was designated
(``broadband_china_cohort`` of :func:`helpers.data.china.load_china`). The design is read link by link
along the chain as separate event studies, never as a mediation regression:

- first stage: broadband and mobile subscribers per 100 residents; the PKU digital financial
  inclusion index where the reader has the file (read where it lies, never copied);
- factor flows (the proxies the panel allows): log loans (capital), the share of ICT and research
  and technical services in non-agricultural urban-unit employment (knowledge workers), log resident population (people);
- industrial agglomeration: the location quotient of manufacturing employment;
- synergy: manufacturing-producer-services co-agglomeration (``measure.coagglomeration``), the
  coupling coordination of the two quotients (``measure.coupling_coordination``) and chain
  synergy, the input-output-weighted co-agglomeration of the 19 industries
  (:func:`helpers.analysis.chain.chain_panel`, the chain chapter's measure; to 2018);
- productivity: log GDP per resident.

Estimator: Callaway & Sant'Anna with never-treated controls (:mod:`helpers.models.did`);
randomization inference uses the closed form :func:`cs_simple_att` (group-time means, tested
against the package). Everything here is computed from the national panel; nothing is typed in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import measure
from ..data import default_realdata_dir
from ..models import did
from .national import CHAIN_INDUSTRIES, chain_measures

#: Producer services in the City Statistical Yearbook's 19 industries (the usual definition).
PRODUCER_SERVICES = ("emp_transport", "emp_ict", "emp_finance", "emp_leasing_business",
                     "emp_research_tech")

#: outcome column -> (label, link of the chain)
OUTCOMES = {
    "broadband_per100": ("broadband subscribers per 100 residents", "first stage"),
    "mobile_per100": ("mobile subscribers per 100 residents", "first stage"),
    "pku_index": ("PKU digital financial inclusion index", "first stage"),
    "log_loans": ("log loans", "factor flows"),
    "knowledge_share": ("ICT and research employment share (%)", "factor flows"),
    "log_population": ("log resident population", "factor flows"),
    "lq_manufacturing": ("location quotient of manufacturing", "agglomeration"),
    "coagglomeration": ("manufacturing-producer-services co-agglomeration", "synergy"),
    "coupling": ("coupling coordination, manufacturing and producer services", "synergy"),
    "chain_coagg": ("IO-weighted co-agglomeration (chain synergy)", "synergy"),
    "log_gdp_pc": ("log GDP per resident", "productivity"),
}
SAMPLES = {"2011-2019": (2011, 2019), "2011-2023": (2011, 2023)}
ENTITY_DROPS = {"city clusters": "cluster member", "county-level cities": "county-level city",
                "districts": "district", "autonomous prefectures": "autonomous prefecture"}


def pku_national(path=None) -> tuple[pd.DataFrame | None, str]:
    """The PKU index (``index_aggregate``) for every prefecture, read where it lies.

    ``pref_code_year14`` (4 digits) becomes the 6-digit code (municipalities xx00 -> xx0100).
    Returns ``(None, note)`` when the file is absent: the index is distributed on request.
    """
    path = Path(path) if path else default_realdata_dir() / "pku_dfiic_city" / "PKU_DFIIC_city.dta"
    if not path.exists():
        return None, f"PKU index not found ({path.name}); the first stage shows it as unavailable"  # no machine path
    raw = pd.read_stata(path) if path.suffix.lower() == ".dta" else pd.read_csv(path)
    c4 = pd.to_numeric(raw["pref_code_year14"], errors="coerce")
    code = (c4 * 100 + np.where(c4 % 100 == 0, 100, 0)).astype("Int64")
    out = pd.DataFrame({"code": code, "year": raw["year"].astype(int),
                        "pku_index": pd.to_numeric(raw["index_aggregate"], errors="coerce")})
    out = out.dropna().drop_duplicates(["code", "year"])
    return out.astype({"code": int}), f"PKU index read from {path.name} ({len(out)} city-years)"


def _employment_outcomes(df: pd.DataFrame) -> pd.DataFrame:
    """LQs of manufacturing and producer services against all cities of the year, their
    co-agglomeration and coupling coordination, and the knowledge-worker share."""
    out = pd.DataFrame(index=df.index)
    ps = df[list(PRODUCER_SERVICES)].sum(axis=1, min_count=len(PRODUCER_SERVICES))
    emp = pd.DataFrame({"m": df["emp_manufacturing"], "s": ps}, index=df.index)
    # the non-agricultural total: the 2020 edition (data year 2019) has no agriculture column
    total = df["employment_nonagri"]
    ok = emp.notna().all(axis=1) & (total > 0) & (emp.sum(axis=1) > 0)
    for idx in df.loc[ok].groupby("year").groups.values():
        lq = measure.location_quotient(emp.loc[idx], city_total=total.loc[idx])
        out.loc[idx, "lq_manufacturing"] = lq["m"]
        out.loc[idx, "lq_services"] = lq["s"]
    both = out["lq_manufacturing"].notna()
    out.loc[both, "coagglomeration"] = measure.coagglomeration(
        out.loc[both, "lq_manufacturing"], out.loc[both, "lq_services"]).to_numpy()
    u = out.loc[both, ["lq_manufacturing", "lq_services"]]
    u = (u - u.min()) / (u.max() - u.min())  # min-max over the pooled panel, as in the book
    out.loc[both, "coupling"] = measure.coupling_coordination(u.clip(1e-6, 1))["D"].to_numpy()
    out["knowledge_share"] = 100 * (df["emp_ict"] + df["emp_research_tech"]) / total.where(total > 0)
    return out.drop(columns="lq_services")


def design_frame(panel: pd.DataFrame, pku: pd.DataFrame | None = None) -> pd.DataFrame:
    """City-year outcomes of :data:`OUTCOMES` with the cohort (0 = never designated).

    ``panel`` is :func:`helpers.data.china.load_china`; the result keeps ``city``, ``code``,
    ``province``, ``year``, ``cohort``, the crosswalk columns and one column per outcome.
    """
    need = ["city", "code", "year", "population", "gdp", "loans", "broadband_users_10k_hh",
            "mobile_users_10k_hh", "employment_nonagri", "emp_manufacturing", "broadband_china_cohort",
            "broadband_china_entity", "broadband_china_single_source", *PRODUCER_SERVICES,
            *(f"emp_{i}" for i in CHAIN_INDUSTRIES)]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise KeyError(f"design_frame: the national panel lacks column(s) {missing}")
    df = panel.copy()
    pop = df["population"].where(df["population"] > 0)
    out = df[["city", "code", "province", "year", "broadband_china_entity",
              "broadband_china_single_source", "broadband_china_city_cohort"]].copy()
    out["cohort"] = df["broadband_china_cohort"].fillna(0).astype(int)
    out["broadband_per100"] = 100 * df["broadband_users_10k_hh"] / pop
    out["mobile_per100"] = 100 * df["mobile_users_10k_hh"] / pop
    out["log_loans"] = np.log(df["loans"].where(df["loans"] > 0))
    out["log_population"] = np.log(pop)
    out["log_gdp_pc"] = np.log(df["gdp"].where(df["gdp"] > 0) / pop)
    out = out.join(_employment_outcomes(df))
    out["chain_coagg"] = chain_measures(df)["chain_coagg"]   # the chain chapter's measure
    if pku is not None:
        out = out.merge(pku, on=["code", "year"], how="left")
    else:
        out["pku_index"] = np.nan
    return out


def cohort_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefectures by designation cohort and by the entity type of their first designation."""
    c = frame.drop_duplicates("code")
    t = pd.crosstab(c["cohort"].replace({0: "never"}).astype(str),
                    c["broadband_china_entity"].fillna("never designated"), margins=True,
                    margins_name="all")
    t.index.name, t.columns.name = "cohort", "first designated as"
    return t


def sample(frame: pd.DataFrame, years: tuple[int, int]) -> pd.DataFrame:
    """Rows within ``years`` (inclusive)."""
    return frame[frame["year"].between(*years)].reset_index(drop=True)


def _years_used(frame: pd.DataFrame, outcome: str) -> str:
    y = frame.loc[frame[outcome].notna(), "year"]
    return f"{y.min()}-{y.max()}" if len(y) else "none"


def effects_table(frame: pd.DataFrame, outcomes=None, samples=None, level: float = 0.95):
    """Callaway-Sant'Anna overall ATT (never-treated controls) for every outcome and sample.

    Returns ``(table, fits)``: one row per outcome and sample (ATT, std err, interval,
    pre-trend test, entities, the years the outcome has), and the fitted results by
    ``(outcome, sample)``. Outcomes with no data (e.g. the PKU index without its file) are
    listed with NaN.
    """
    rows, fits = [], {}
    for name, years in (samples or SAMPLES).items():
        sub = sample(frame, years)
        for y in outcomes or OUTCOMES:
            row = {"outcome": y, "label": OUTCOMES[y][0], "link": OUTCOMES[y][1], "sample": name,
                   "years": _years_used(sub, y)}
            if sub[y].notna().any():
                r = did.callaway_santanna(sub, y, entity="code", level=level)
                fits[(y, name)] = r
                ci = r.conf_int(level).loc["ATT"]
                es = r.event_study
                row.update(att=r.params["ATT"], se=r.std_errors["ATT"], lower=ci["lower"],
                           upper=ci["upper"], p=r.pvalues["ATT"], entities=r.n_entities,
                           treated=r.n_treated, pretrend_wald=es.pretrend_wald,
                           pretrend_df=es.pretrend_df, pretrend_p=es.pretrend_p)
            rows.append(row)
    return pd.DataFrame(rows), fits


def cs_simple_att(wide: np.ndarray, cohort: np.ndarray, years: np.ndarray) -> float:
    r"""Closed-form Callaway-Sant'Anna simple ATT with never-treated controls, no covariates.

    .. math:: \widehat{ATT} = \sum_{g}\sum_{t \ge g} \frac{n_g}{\sum_{g',t' \ge g'} n_{g'}}
       \Big[\overline{(Y_t - Y_{g-1})}_{G=g} - \overline{(Y_t - Y_{g-1})}_{G=0}\Big]

    ``wide`` is entities x years (balanced, no NaN), ``cohort`` the first treated year
    (0 = never), ``years`` the column years. Equals ``did.callaway_santanna(...)["ATT"]``
    (tested); used for randomization inference, where it is thousands of times faster.
    """
    never = cohort == 0
    col = {int(y): j for j, y in enumerate(years)}
    num = den = 0.0
    for g in np.unique(cohort[~never]):
        if g - 1 not in col:
            continue
        treated = cohort == g
        base = wide[:, col[g - 1]]
        post = [col[y] for y in years if y >= g]
        d = wide[:, post] - base[:, None]
        att = d[treated].mean(axis=0) - d[never].mean(axis=0)
        num += treated.sum() * att.sum()
        den += treated.sum() * len(post)
    return num / den


def _wide(frame: pd.DataFrame, outcome: str):
    sub = frame.loc[frame[outcome].notna(), ["code", "year", "cohort", outcome]]
    w = sub.pivot(index="code", columns="year", values=outcome).dropna()
    coh = sub.groupby("code")["cohort"].first().reindex(w.index).to_numpy()
    return w.to_numpy(), coh, w.columns.to_numpy()


def randomization_inference(frame: pd.DataFrame, outcome: str, *, n_placebo: int = 500,
                            seed: int = 0) -> dict:
    """Placebo designations keeping the real cohort sizes per year among the sample's cities.

    Each draw permutes the cohorts (2014, 2015, 2016 and never) across the cities of the
    balanced sample and recomputes :func:`cs_simple_att`. Returns the real estimate, the
    placebo draws, the rank of ``|real|`` among ``|placebo|`` and the two-sided p-value
    :math:`(1 + \\#\\{|\\hat\\theta_b| \\ge |\\hat\\theta|\\})/(1 + B)`.
    """
    wide, coh, years = _wide(frame, outcome)
    real = cs_simple_att(wide, coh, years)
    rng = np.random.default_rng(seed)
    draws = np.array([cs_simple_att(wide, rng.permutation(coh), years) for _ in range(n_placebo)])
    exceed = int((np.abs(draws) >= abs(real)).sum())
    return {"outcome": outcome, "att": real, "draws": draws, "n_placebo": n_placebo,
            "rank": int((np.abs(draws) < abs(real)).sum()) + 1, "p": (1 + exceed) / (1 + n_placebo),
            "cohort_sizes": pd.Series(coh[coh > 0]).value_counts().sort_index().to_dict()}


def crosswalk_robustness(frame: pd.DataFrame, outcome: str, years=(2011, 2019)) -> pd.DataFrame:
    """The overall ATT under each crosswalk decision (rows), for one outcome.

    Baseline (any designated entity dates the prefecture); the whole-city cohort; dropping
    prefectures first designated through a city cluster, a county-level city, a district or as
    an autonomous prefecture; and the 2015 single-source designations treated as unknown
    (those prefectures dropped).
    """
    base = sample(frame, years)
    variants = {"baseline": base,
                "whole-city cohort": base.assign(cohort=base["broadband_china_city_cohort"]
                                                 .fillna(0).astype(int))}
    for label, kind in ENTITY_DROPS.items():
        variants[f"drop {label}"] = base[base["broadband_china_entity"] != kind]
    variants["2015 single-source as unknown"] = base[base["broadband_china_single_source"] != 1]
    rows = []
    for label, sub in variants.items():
        r = did.callaway_santanna(sub, outcome, entity="code")
        ci = r.conf_int().loc["ATT"]
        rows.append({"variant": label, "att": r.params["ATT"], "se": r.std_errors["ATT"],
                     "lower": ci["lower"], "upper": ci["upper"], "treated": r.n_treated,
                     "entities": r.n_entities})
    return pd.DataFrame(rows).set_index("variant")


def neighbour_cohorts(frame: pd.DataFrame, band: tuple[float, float]) -> pd.Series:
    """For each never-designated city, the first year a designated city lay within ``band`` km
    (0 if none), from the registry's seat coordinates (:func:`helpers.data.cities.prefecture_table`)."""
    from ..data.cities import great_circle_km, prefecture_table

    reg = prefecture_table().set_index("code")
    coh = frame.groupby("code")["cohort"].first()
    codes = coh.index.intersection(reg.index)
    lon, lat = reg.loc[codes, "lon"].to_numpy(), reg.loc[codes, "lat"].to_numpy()
    d = great_circle_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    c = coh.loc[codes].to_numpy()
    inband = (d >= band[0]) & (d < band[1]) & (c[None, :] > 0)
    first = np.where(inband, c[None, :], 10_000).min(axis=1)
    out = pd.Series(np.where(first == 10_000, 0, first), index=codes)
    return out[c == 0]


def spillovers(frame: pd.DataFrame, outcome: str, bands=((0, 75), (75, 150)),
               years=(2011, 2019)) -> pd.DataFrame:
    """Effects on never-designated neighbours: CS with the neighbour's exposure year as cohort.

    For each band the treated are never-designated cities with a designated city within the
    band (cohort: the first designation among those); the controls are never-designated cities
    with no designated city within the largest band's outer radius.
    """
    sub = sample(frame, years)
    far = neighbour_cohorts(sub, (0, max(b[1] for b in bands)))
    rows = []
    for band in bands:
        nb = neighbour_cohorts(sub, band)
        keep = nb[(nb > 0) | (far == 0)]
        s = sub[sub["code"].isin(keep.index)]
        s = s.assign(cohort=s["code"].map(keep))
        r = did.callaway_santanna(s, outcome, entity="code")
        ci = r.conf_int().loc["ATT"]
        rows.append({"band": f"{band[0]}-{band[1]} km", "att": r.params["ATT"],
                     "se": r.std_errors["ATT"], "lower": ci["lower"], "upper": ci["upper"],
                     "exposed": r.n_treated, "controls": r.n_entities - r.n_treated})
    return pd.DataFrame(rows).set_index("band")


def city_effects(frame: pd.DataFrame, outcome: str, years=(2011, 2019)) -> pd.DataFrame:
    """Each designated city's own 2x2 effect: mean over t >= g of (Y_t - Y_{g-1}) minus the
    never-designated cities' mean change; their cohort-size-weighted mean is the simple ATT."""
    wide, coh, yrs = _wide(sample(frame, years), outcome)
    codes = sample(frame, years).loc[lambda x: x[outcome].notna()].pivot(
        index="code", columns="year", values=outcome).dropna().index
    col = {int(y): j for j, y in enumerate(yrs)}
    never = coh == 0
    rows = []
    for i in np.flatnonzero(~never):
        g = coh[i]
        post = [col[y] for y in yrs if y >= g]
        d = wide[:, post] - wide[:, [col[g - 1]]]
        rows.append({"code": codes[i], "cohort": int(g),
                     "effect": float((d[i] - d[never].mean(axis=0)).mean())})
    out = pd.DataFrame(rows)
    names = frame.drop_duplicates("code").set_index("code")
    out["city"] = out["code"].map(names["city"])
    out["province"] = out["code"].map(names["province"])
    return out


def compare_estimators(frame: pd.DataFrame, outcome: str, years=(2011, 2019)) -> pd.DataFrame:
    """CS (never, not yet), two-stage imputation and naive TWFE on one outcome and sample."""
    sub = sample(frame, years)
    fits = {"Callaway-Sant'Anna, never treated": did.callaway_santanna(sub, outcome, entity="code"),
            "Callaway-Sant'Anna, not yet treated": did.callaway_santanna(
                sub, outcome, entity="code", control="notyet"),
            "two-stage imputation": did.imputation(sub, outcome, entity="code"),
            "two-way FE (naive)": did.twfe(sub, outcome, entity="code")}
    return did.summary_table(fits)


def honest_table(fits: dict, outcomes, sample_name: str = "2011-2019",
                 m_grid=(0.0, 0.5, 1.0, 1.5, 2.0)) -> pd.DataFrame:
    """Relative-magnitudes bounds (Rambachan & Roth) for each outcome's average post effect."""
    parts = []
    for y in outcomes:
        r = fits.get((y, sample_name))
        if r is None or r.event_study.pretrend_df < 1:
            continue
        hb = did.honest_bounds(r.event_study, m_grid=m_grid)
        parts.append(hb.assign(outcome=y, breakdown_M=hb.attrs["breakdown_M"]))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
