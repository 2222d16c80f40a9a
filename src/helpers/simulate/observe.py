"""The observation layer of the twin: yearbook-like indicators with noise, calibrated levels.

GDP, industrial value added and loans follow the official city accounts (``CALIBRATED``); every
other indicator is the model's latent state seen through noise. See :mod:`helpers.simulate`.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from .. import data as _data
from .model import IVA_2020_TOTAL, YEARS, TwinParams, _city_terms, _State, logistic

# --------------------------------------------------------------------------- observation layer
#: Observed levels calibrated to the official city accounts (data/guangdong_city_accounts.csv):
#: twin column -> accounts column. Industrial value added follows secondary value added (which
#: includes construction) rescaled so the 2020 total is the published 3.31 trillion yuan.
CALIBRATED = {"gdp": "gdp", "industrial_value_added": "va_secondary", "loans": "loans",
              "va_primary": "va_primary", "va_secondary": "va_secondary", "va_tertiary": "va_tertiary"}


@functools.lru_cache(maxsize=8)
def _calibration_logs(years: tuple) -> dict:
    """Two-way log levels ln y_it = a_i + b_t fitted to the accounts, per calibrated column.

    Window-invariant (generator 2.0.0): every year's level depends on that year alone, never on
    the other years asked for, so a design's targets are the long calendar's rows for its years.
    a_i is the city's mean log level over the reference years :data:`YEARS` (2011-2023, the
    default design) and b_t = mean_i (ln y_it - a_i) is the year effect for every year the accounts
    hold (2000-2023; loans from 2003); over the reference years this is the least-squares two-way
    fit of a balanced panel. Years after (before) the accounts extend b_t along its slope over the
    last (first) five observed years. Each observed year is then shifted so the 21 cities sum to
    the real provincial sum.
    """
    acc = _data.load_accounts()
    reg = _data.city_table()
    out = {}
    for col, src in CALIBRATED.items():
        wide = acc.pivot(index="year", columns="city", values=src)[reg.index].dropna()
        lw_all = np.log(wide.to_numpy())
        ref = np.isin(wide.index, YEARS)
        a = lw_all[ref].mean(axis=0)
        b_obs = pd.Series((lw_all - a[None, :]).mean(axis=1), index=[int(y) for y in wide.index])
        obs = list(b_obs.index)
        tail, head = b_obs.iloc[-5:], b_obs.iloc[:5]
        slope = np.polyfit(tail.index, tail.to_numpy(), 1)[0]
        slope0 = np.polyfit(head.index, head.to_numpy(), 1)[0]
        b = np.array([b_obs[y] if y in b_obs.index else
                      (b_obs.iloc[-1] + slope * (y - obs[-1]) if y > obs[-1] else b_obs.iloc[0] + slope0 * (y - obs[0]))
                      for y in years])
        level = a[None, :] + b[:, None]
        for t, y in enumerate(years):
            if y in wide.index:   # the province's real path, year by year
                level[t] += np.log(wide.loc[y].sum() / np.exp(level[t]).sum())
        if col == "industrial_value_added":
            level += np.log(IVA_2020_TOTAL / wide.loc[2020].sum())
        out[col] = level
    return out


def calibration_targets(years=YEARS) -> pd.DataFrame:
    """The city-year levels the twin's observed ``gdp``, ``industrial_value_added`` and ``loans`` follow.

    Parameters
    ----------
    years : sequence of int

    Returns
    -------
    DataFrame
        city, code, region, year and one column per calibrated variable (100 million yuan):
        exp(a_i + b_t + c_t), with a_i the city's mean log level in the official accounts, b_t the
        year effect and c_t the shift that makes the 21 cities add up to the real provincial sum
        (industrial value added: secondary value added rescaled to 3.31 trillion yuan in 2020).

    Notes
    -----
    The twin observes ``target_it * exp(within_it + noise)``, where ``within_it`` is the
    two-way-demeaned log level the structural model implies (city and year means removed), so
    every estimator with city and year fixed effects sees exactly the model's variation, while
    levels, ranking and the provincial path come from the real accounts. A city's own real
    growth path is not imprinted: it is history the model's shocks do not know, and it would
    correlate the observables with the twin's diffusion timing.
    """
    years = tuple(int(y) for y in years)
    logs = _calibration_logs(years)
    reg = _data.city_table()
    idx = pd.MultiIndex.from_product([years, reg.index], names=["year", "city"])
    df = pd.DataFrame({c: np.exp(v).reshape(-1) for c, v in logs.items()}, index=idx).reset_index()
    df.insert(1, "code", df["city"].map(reg["code"]))
    df.insert(2, "region", df["city"].map(reg["region"].astype(str)))
    return df.sort_values(["code", "year"]).reset_index(drop=True)


def calibration_fit(panel: pd.DataFrame, accounts: pd.DataFrame | None = None) -> pd.DataFrame:
    """How closely a twin panel's calibrated levels match the official accounts.

    Returns one row per calibrated column with the 2020 provincial sums (twin, real, gap), the
    median absolute city-year gap in percent, the correlation of log levels, and Spearman's rank
    correlation of the city means (per head for GDP).
    """
    acc = _data.load_accounts() if accounts is None else accounts
    m = panel.merge(acc, on=["city", "year"], suffixes=("", "_real"))
    rows = []
    for col, src in CALIBRATED.items():
        real = m[src + "_real"] if src + "_real" in m else m[src]
        ok = real.notna() & m[col].notna()
        tw, re = m.loc[ok, col], real[ok]
        y20 = m.loc[ok, "year"] == 2020
        per = m["population"] if col == "gdp" else 1.0
        cm = m.loc[ok].assign(tw=tw / per, re=re / per).groupby("city")[["tw", "re"]].mean()
        rows.append({
            "twin column": col, "accounts column": src,
            "twin 2020 sum": tw[y20].sum(), "real 2020 sum": re[y20].sum(),
            "2020 gap %": 100 * (tw[y20].sum() / re[y20].sum() - 1),
            "median |city-year gap| %": 100 * float(np.median(np.abs(tw / re - 1))),
            "corr of log levels": float(np.corrcoef(np.log(tw), np.log(re))[0, 1]),
            "Spearman of city means": float(cm["tw"].rank().corr(cm["re"].rank())),
            "ranked by": "per head" if col == "gdp" else "level",
        })
    out = pd.DataFrame(rows).set_index("twin column")
    out.attrs["note"] = ("industrial_value_added is compared with secondary value added (which includes "
                         "construction), so its level gap is by design: the twin's total is the published "
                         "industrial value added of 2020")
    return out


#: How the levels of GDP, industrial value added and loans are set, by city set (panel attrs).
CALIBRATION_NOTE = {
    True: ("gdp (the sum of the three sectors' value added), industrial_value_added and loans calibrated to "
           "the official Guangdong city accounts (real two-way levels times the model's within variation; "
           "2020 industrial value added = 3.31 trillion)"),
    False: ("not Guangdong's 21 cities: no accounts to calibrate to; model levels loans = 2.5 M_capital pull, "
            "value added of the three sectors = (0.09, 0.44, 0.47) 2.5 exp(P) employment and gdp their sum, "
            "industrial_value_added = gdp (0.25 + 0.25 manufacturing share), each with multiplicative noise"),
}


def _within(x):
    """Two-way demeaned (T x N): city means and year means removed, grand mean added back."""
    return x - x.mean(axis=0, keepdims=True) - x.mean(axis=1, keepdims=True) + x.mean()


def _calibrated(log_target, log_model):
    """target_it exp(within_it), rescaled year by year so each year's sum is the target's sum.

    The rescaling is a year effect (absorbed by year fixed effects); it undoes the level bias that
    exp() of a zero-mean log deviation has, so the provincial sums stay the real ones.
    """
    lvl = np.exp(log_target + _within(log_model))
    return lvl * (np.exp(log_target).sum(axis=1, keepdims=True) / lvl.sum(axis=1, keepdims=True))


#: Observed columns: name -> (unit, description). Keys first, then indicators.
OBSERVED_COLUMNS = {
    "city": ("", "English city name (registry index)"),
    "code": ("", "6-digit administrative code"),
    "region": ("", "PRD, East, West or North"),
    "year": ("", "calendar year"),
    "population": ("10k persons", "resident population (census 2010/2020, geometric interpolation)"),
    "employment": ("10k persons", "employed persons in urban units"),
    "emp_manufacturing": ("10k persons", "employment in manufacturing"),
    "emp_producer_services": ("10k persons", "employment in producer services"),
    "avg_wage": ("yuan per year", "average wage of employed persons in urban units"),
    "rd_personnel": ("persons", "R&D personnel (full-time equivalent)"),
    "loans": ("100 million yuan", "year-end loan balance of financial institutions"),
    "patents_granted": ("count", "invention, utility and design patents granted"),
    "rd_expenditure": ("100 million yuan", "R&D expenditure"),
    "gdp": ("100 million yuan", "gross domestic product, current prices (sum of the three sectors)"),
    "va_primary": ("100 million yuan", "value added of the primary industry"),
    "va_secondary": ("100 million yuan", "value added of the secondary industry"),
    "va_tertiary": ("100 million yuan", "value added of the tertiary industry"),
    "industrial_value_added": ("100 million yuan", "industrial value added (2020 total calibrated to 3.31 trillion)"),
    "exports": ("100 million yuan", "exports of goods"),
    "broadband_per100": ("subscribers per 100 people", "fixed broadband subscribers per 100 residents"),
    "mobile_per100": ("subscribers per 100 people", "mobile telephone subscribers per 100 residents"),
    "telecom_per_capita": ("yuan per person", "telecommunication business volume per resident"),
    "ict_emp_share": ("share (0-1)", "share of employment in information transmission, software and IT services"),
    "digital_finance_index": ("index", "digital financial inclusion index (PKU-DFIIC-like scale)"),
    "post_offices_1984": ("per 10k people", "post and telecom offices in 1984 (historical instrument)"),
    "national_internet_share": ("share (0-1)", "national internet penetration (time-varying instrument part)"),
}


def _load(x, loading):
    """``x`` with its two-way within part (city and year means removed) scaled by ``loading``."""
    return x - (1.0 - loading) * _within(x)   # _within has mean zero


#: Shares of the three sectors in value added for city sets without accounts (Guangdong's mean
#: shares 2011-2023, rounded; they sum to one).
SECTOR_SHARES = {"va_primary": 0.09, "va_secondary": 0.44, "va_tertiary": 0.47}


def _sectors(p: TwinParams, target, log_model, city, sy, z) -> dict:
    r"""Value added of the three sectors (T x N each); GDP is their sum, as in the accounts.

    VA^k_it = Y_it sh^k_it exp(x^k_it + sigma_gdp n^k_it), with Y_it = target_it exp(within(L m_it +
    c_it)) rescaled to the real provincial GDP of each year (:func:`_calibrated`; other city sets:
    2.5 exp(m + c) with the within part of m scaled by L), where m = P - c + ln employment is the
    model's log output without c, the city-wide productivity terms
    (:func:`helpers.simulate.model._city_terms`: persistent shock and convergence), which move all of
    a city's output, and L = ``gdp_loading`` the elasticity of observed output to the rest of the
    model's within-city variation. sh^k: the real two-way levels of the three sectors normalised to
    sum to one (other city sets: :data:`SECTOR_SHARES`), so with x = 0 GDP is Y. Sector parts:
    x^2 = (1 - sbar^2) r, x^3 = lambda_S (SY - the year's mean SY) - sbar^2 r, x^1 = 0, with r_it a random walk of
    reallocation between industry and services (innovation SD ``sigma_realloc``; sbar^2 the city's
    mean secondary share of the two, so the reallocation leaves their sum nearly unchanged) and
    lambda_S = ``synergy_tertiary`` >= 0. Synergy raises tertiary value added and leaves secondary
    value added alone, so the coupling coordination of the two per head, D = (u_2 u_3)^(1/4) with
    equal weights (:func:`helpers.measure.coupling_coordination`), is non-decreasing in SY city-year by
    city-year (for a fixed normalisation): the real synergy construct moves with the twin's synergy.
    ``z``: four T x N arrays (the reallocation's standard random walk, centred on the window's
    mean of each city, and three standard normal noises). Each year all sectors are rescaled by one
    factor so that the cities' GDP without the synergy term adds up to Y's (a year effect).
    """
    names = ("va_primary", "va_secondary", "va_tertiary")
    if target is not None:
        lv = np.stack([np.exp(target[k]) for k in names])
        share = lv / lv.sum(axis=0, keepdims=True)
        y = _calibrated(target["gdp"], p.gdp_loading * log_model + city)
    else:
        share = np.stack([np.full_like(log_model, SECTOR_SHARES[k]) for k in names])
        y = 2.5 * np.exp(_load(log_model, p.gdp_loading) + city)
    s2 = (share[1] / (share[1] + share[2])).mean(axis=0, keepdims=True)
    r = p.sigma_realloc * (z[0] - z[0].mean(axis=0, keepdims=True))   # centred: shares stay near the real ones
    parts = (0.0, (1.0 - s2) * r, p.synergy_tertiary * (sy - sy.mean(axis=1, keepdims=True)) - s2 * r)
    out = {k: y * share[i] * np.exp(parts[i] + p.gdp_noise * z[i + 1]) for i, k in enumerate(names)}
    # a year effect: without the synergy term the cities' GDP adds up to Y's (the real provincial
    # GDP, for Guangdong); synergy then adds tertiary value added and moves nothing else
    base = sum(out.values()) - out["va_tertiary"] * (1.0 - np.exp(-parts[2] - s2 * r))
    scale = y.sum(axis=1, keepdims=True) / base.sum(axis=1, keepdims=True)
    return {k: v * scale for k, v in out.items()}


def _observe(st: _State, p: TwinParams, va, fn, ag, sy, P, X, rng) -> pd.DataFrame:
    T, N = va.shape
    reg = st.reg

    def noisy(x, sd=p.noise):
        return x * np.exp(sd * rng.standard_normal(x.shape))

    tau = st.tau   # calendar clock (year - 2011): a window's trends are the calendar's
    pop = st.pop
    emp_rate = 0.30 + 0.25 * logistic(2 * st.dev)                        # PRD employs more of its residents
    emp_latent = pop * emp_rate * (1 + 0.01 * tau)
    employment = noisy(emp_latent)
    # manufacturing share rises with agglomeration; producer services match it more closely
    # when synergy is high. Target co-agglomeration quality Q = 1 - tanh(|m|/2) with
    # Q = 0.3 + 0.65 Lambda(0.8 (SY - mean)), so |m| = 2 atanh(1 - Q), m = log(LQ_s / LQ_m).
    sh_m = 0.12 + 0.40 * logistic(1.2 * (ag - ag.mean()))
    prov_s = 0.10 + 0.004 * tau
    sign = np.where(rng.random(N) < 0.5, -1.0, 1.0)[None, :]
    quality = 0.3 + 0.65 * logistic(0.8 * (sy - sy.mean()))
    mismatch = sign * 2.0 * np.arctanh(1.0 - quality)
    lq_m = sh_m / ((sh_m * employment).sum(axis=1, keepdims=True) / employment.sum(axis=1, keepdims=True))
    sh_s = np.clip(prov_s * lq_m * np.exp(mismatch), 0.01, 0.6)
    emp_m = noisy(sh_m * employment)
    emp_s = noisy(sh_s * employment)

    wage = noisy(30_000 * np.exp(0.6 * st.dev + 0.07 * tau + 0.3 * (P - P.mean())))
    # factor stocks attracted by the city's flow position (FN): what the gravity networks are built from
    fn_dev = fn - fn.mean(axis=1, keepdims=True)
    pull = np.exp(0.3 * fn_dev)
    rd_personnel = np.round(noisy(st.masses[0] * 20 * pull))
    # Guangdong: real two-way levels times the model's within variation; other sets: model levels
    calibrate = st.calibrated
    target = _calibration_logs(tuple(st.years)) if calibrate else None
    log_loans = _load(np.log(st.masses[1] * pull), p.loans_loading)
    loans = noisy(_calibrated(target["loans"], log_loans) if calibrate else 2.5 * np.exp(log_loans))
    patents = np.round(noisy(st.masses[2] * 1.5 * pull))
    rd_exp = noisy(st.masses[2] * 0.02 * pull)
    draws = rng.full((6, T, N))   # after the others; the reallocation walk runs on the calendar
    draws = np.concatenate([np.cumsum(draws[:1], axis=1), draws[1:]])[:, rng.rows]
    # the city-wide productivity terms move the whole city's output (unloaded); the rest of
    # the model's log output enters with the loading L (see _sectors)
    persistent = _city_terms(st, p)
    log_model = P - persistent + np.log(emp_latent)
    sectors = _sectors(p, target, log_model, persistent, sy, draws[:4])
    gdp = sectors["va_primary"] + sectors["va_secondary"] + sectors["va_tertiary"]
    if calibrate:
        iva_raw = noisy(_calibrated(target["industrial_value_added"], np.log(gdp * (0.25 + 0.25 * sh_m))))
    else:
        iva_raw = noisy(gdp * (0.25 + 0.25 * sh_m))
    i2020 = st.years.index(2020) if calibrate and 2020 in st.years else None
    iva = iva_raw * (IVA_2020_TOTAL / iva_raw[i2020].sum() if i2020 is not None else 1.0)
    exports = noisy(np.exp(X) * 40)
    # recording shock common to manufacturing and producer-services employment (urban-unit
    # coverage): moves the manufacturing share and LQ, leaves their ratio (co-agglomeration) alone
    record = np.exp(p.sigma_mfg * draws[4])
    record = np.minimum(record, 0.95 * employment / (emp_m + emp_s))   # the two never exceed employment
    emp_m, emp_s = emp_m * record, emp_s * record

    broadband = st.q * np.exp(p.broadband_noise * draws[5])   # q with log reporting noise
    mobile = noisy(45.0 + 75.0 * st.D)
    telecom = noisy(np.exp(5.5 + 1.6 * va + 0.4 * st.D))
    ict = np.clip(0.004 + 0.045 * va + 0.003 * st.D + 0.002 * rng.standard_normal((T, N)), 0.001, 0.2)
    dfi = (40 + 18 * tau + 120 * va + p.digital_income * (st.dev - st.dev.mean())
           + p.digital_noise * rng.standard_normal((T, N)))

    cols = {
        "population": pop, "employment": employment, "emp_manufacturing": emp_m,
        "emp_producer_services": emp_s, "avg_wage": wage, "rd_personnel": rd_personnel,
        "loans": loans, "patents_granted": patents, "rd_expenditure": rd_exp, "gdp": gdp,
        "va_primary": sectors["va_primary"], "va_secondary": sectors["va_secondary"],
        "va_tertiary": sectors["va_tertiary"], "industrial_value_added": iva, "exports": exports,
        "broadband_per100": broadband, "mobile_per100": mobile, "telecom_per_capita": telecom, "ict_emp_share": ict, "digital_finance_index": dfi,
    }
    idx = pd.MultiIndex.from_product([st.years, reg.index], names=["year", "city"])
    df = pd.DataFrame({k: v.reshape(-1) for k, v in cols.items()}, index=idx).reset_index()
    df.insert(1, "code", df["city"].map(reg["code"]))
    df.insert(2, "region", df["city"].map(reg["region"].astype(str)))
    # .copy(): a column selection keeps a weak reference to its parent, and whether pandas then
    # warns (SettingWithCopyWarning) when the caller adds columns depends on garbage collection
    return df[["city", "code", "region", "year"] + list(cols)].copy()
