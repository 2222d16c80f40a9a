r"""The simulated twin of Guangdong: a structural model of virtual agglomeration.

The seed papers (Wang & Peng; Wang & Xiong) argue a chain
virtual agglomeration -> factor-flow networks -> industrial agglomeration -> industrial synergy,
working through lower transaction costs, network externalities and knowledge spillovers.
They publish no equations and no data. This module writes the argument down as a small
structural model, runs it on Guangdong's real geography (21 cities, their seats, distances,
regions and census populations) and emits a yearbook-like panel of *observed* indicators with
noise, together with the *true* causal effects, obtained by counterfactual simulation.

Equations (city i, calendar year t, tau = t - 2011; Lambda is the logistic function)

1. Digital infrastructure diffuses logistically, faster and earlier in the Pearl River Delta:
   D_it = Lambda(kappa_r (tau - tau0_i)).
2. Instrument: a historical telecom endowment H_i (1984 post offices per 10k people) times the
   national internet-penetration trend n_t: Z_it = (ln H_i - mean) n_t. It shifts only (3).
   n_t is a logistic in calendar time through ``national_start`` in 2011 and ``national_end`` in
   2023 (:func:`national_path`), the same for every design.
3. Virtual agglomeration with network externalities (share of firms on digital platforms):
   s_it = Lambda(alpha_0 + alpha_D D_it + alpha_Z Z_it + alpha_N Sbar_t + u_i + e_it),
   Sbar_t = sum_j pop_j s_jt / sum_j pop_j (participation anywhere raises the value of joining),
   plus, when ``alpha_E > 0``, alpha_E E_it with E_it = sum_j w_ij s_jt the exposure to participation
   in nearby cities (W the spatial weights): unlike Sbar_t it varies across cities within a year,
   so two-way fixed effects do not absorb it (see :mod:`helpers.models.exposure`).
   Solved as a fixed point each year, starting from last year's state (path dependence), by
   :func:`solve_participation` (one solver for the twin and, with ``persistence=``, for the
   scenarios' adoption with persistence; its docstring states the contraction condition).
   e_it = confounding * eps_it + sigma_va * eta_it; eps_it also enters (6): VA is endogenous.
4. Transaction costs: distance friction falls with joint platform participation,
   b_ijt = b_0 (1 - phi sqrt(s_it s_jt)), and factor flows (talent, capital, technology) follow a
   modified gravity law F^k_ijt = k_ij K^k_it K^k_jt / d_ij^{b_ijt}, k_ij = K_i / (K_i + K_j).
   The city's factor-flow position is FN_it = mean_k ln sum_j (F^k_ijt + F^k_jit).
5. Industrial agglomeration: AG_it = mu^A_i + a_FN FN_it + a_VA s_it + lambda^A_t + sigma_A v_it.
6. Industrial synergy with knowledge spillovers (spatial Durbin form) and a network-size threshold:
   SY_t = rho W SY_t + c(q_t) s_t + theta W s_t + b_FN FN_t + b_AG AG_t + mu^S + lambda^S_t
   + confounding * eps_t + sigma_S w_t, with c(q) = c_low if q <= gamma else c_high, and q the
   city's broadband subscribers per 100 people (network size).
7. Outcomes: log labour productivity P = p_0 + dev_i + g tau + pi_S SY + pi_A AG + noise;
   competitiveness (log exports) X = x_0 + 2.5 dev_i + kappa_S SY + kappa_P P + noise.

One long calendar (generator 2.0.0). The twin is one world on the calendar :data:`CALENDAR`
(2000-2040): every time-varying shock and path is drawn for all of it in a fixed order, the
participation path is solved from 2000 on, and a span of years is a window of that world
(consecutive calendar years). The same seed gives the same states, truths per city-year and
observation noise for a year whatever the window; what a window changes are its own summaries:
the one-SD effects (SDs over the window), the two-way within variation the calibrated columns
carry, and the observation layer's centring on window means.

Other city sets and spans. ``simulate_panel(cities=..., years=...)`` runs the same equations on any
set of prefecture-level cities (:func:`helpers.data.cities.city_set`) and any window of the
calendar (the design study uses 3 or more years). Distances and the inverse-distance-squared weights come from
the set's seats; cities outside Guangdong (region ``Other``) take the four regions' mean
development level (:data:`REGION_DEV`) and the non-PRD diffusion; only Guangdong's 21 cities are
calibrated to the official accounts (``panel.attrs["calibration"]``).

True effects are *own-city* effects: raise one city's virtual agglomeration by one standard
deviation (of s over the panel), hold every shock fixed, re-solve (4)-(7), and average the
city's change over cities and years; path-specific effects switch the change on in one
equation at a time. ``spillover`` sums the change in all *other* cities. Effects are reported
in raw latent units and standardised (outcome change in panel standard deviations of the
outcome), the scale on which the chapters compare estimates.

References
----------
Wang, D., Peng, S. A study on the mechanism of virtual agglomeration's impact on the
collaborative development of industrial buildings in Guangdong. BAM 7(3). doi:10.59429/bam.v7i3.11329
Wang, D., Xiong, H. A study on the collaborative development of the construction industry in
Guangdong province from the perspective of virtual agglomeration.
Katz, M., Shapiro, C. (1985). Network externalities, competition, and compatibility. AER 75(3).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import data as _data
from .counterfactual import _true_effects
from .model import (  # noqa: F401
    _FN_CENTRE,
    CALENDAR,
    DEFAULT_SEED,
    GENERATOR_VERSION,
    IVA_2020_TOTAL,
    NATIONAL_ANCHORS,
    REGION_DEV,
    TAU_ORIGIN,
    YEARS,
    TwinParams,
    TwinTruth,
    _agglomeration,
    _build_state,
    _CalendarRng,
    _city_terms,
    _downstream,
    _flow_position,
    _integrated_ar1,
    _outcomes,
    _population,
    _spatial_weights,
    _State,
    _synergy,
    calendar_window,
    logistic,
    national_path,
    participation_curve,
)
from .observe import (  # noqa: F401
    CALIBRATED,
    CALIBRATION_NOTE,
    OBSERVED_COLUMNS,
    _calibrated,
    _calibration_logs,
    _observe,
    _within,
    calibration_fit,
    calibration_targets,
)
from .participation import persistence_path, solve_participation  # noqa: F401

# the solver's name before persistence was merged into it (scenarios' dynamics), kept for callers
_solve_participation = solve_participation

_DECIMALS = {
    "population": 2, "employment": 2, "emp_manufacturing": 2, "emp_producer_services": 2,
    "avg_wage": 0, "rd_personnel": 0, "loans": 2, "patents_granted": 0, "rd_expenditure": 3,
    "gdp": 2, "va_primary": 2, "va_secondary": 2, "va_tertiary": 2, "industrial_value_added": 2,
    "exports": 2, "broadband_per100": 2, "mobile_per100": 2,
    "telecom_per_capita": 2, "ict_emp_share": 5, "digital_finance_index": 2,
    "post_offices_1984": 3, "national_internet_share": 4,
}


def _yearbook_rows(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel as published: values rounded to :data:`_DECIMALS` (counts and whole-yuan values
    as nullable integers), rows by code, then year, index 0..n-1.

    The rounding and the order of ``panel[c].round(d)`` (``.astype("Int64")``) per column and
    ``sort_values(["code", "year"]).reset_index(drop=True)`` (rows are unique by code and year),
    in one new frame instead of 22 column replacements and a sort (``tests/test_fast_paths_twin.py``).
    """
    order = np.lexsort((panel["year"].to_numpy(), panel["code"].to_numpy()))
    cols = {}
    for c in panel.columns:
        v = panel[c].to_numpy()[order]
        if c in _DECIMALS:
            d = _DECIMALS[c]
            v = pd.array(np.round(v, d), dtype="Int64") if d == 0 else np.round(v, d)
        cols[c] = v
    return pd.DataFrame(cols)


def simulate_panel(params: TwinParams | dict | None = None, seed: int = DEFAULT_SEED,
                   years=YEARS, bump: dict | None = None, cities: pd.DataFrame | None = None
                   ) -> tuple[pd.DataFrame, TwinTruth]:
    """Simulate the twin: an observed city-year panel and the truth behind it.

    Parameters
    ----------
    params : TwinParams, dict or None
        Structural parameters; a dict overrides the defaults of :class:`TwinParams` by name.
    seed : int
        Seed of the generator (``numpy.random.default_rng``); same seed, same panel.
    years : sequence of int
        Consecutive years of :data:`CALENDAR` (2000-2040; default 2011-2023): a window of one
        simulated world, whose rows for these years it returns (see the module docstring).
    bump : dict, optional
        Counterfactual: additive (T, N) shifts of the latent ``"VA"`` (after the participation
        solve), ``"FN"``, ``"AG"``, ``"SY"`` and/or ``"P"``. Every random draw happens in the same order with the
        same shapes, so the counterfactual panel shares all noise with the factual one
        (:mod:`helpers.simulate.estimands` uses it for truths on the measured scale).
    cities : DataFrame, optional
        A city set in the format of :func:`helpers.data.cities.city_set` (index city; ``code``,
        ``name_zh``, ``region``, ``lon``, ``lat``, ``pop_2010``, ``pop_2020``); default Guangdong's
        21 cities (the bundled twin, unchanged). Distances and inverse-distance-squared weights come
        from the set's seats; cities outside Guangdong (region ``Other``) get the four regions' mean
        development level (:data:`REGION_DEV`) and the non-PRD diffusion. Only Guangdong's 21 cities
        are calibrated to the official accounts; any other set uses the model's own levels of GDP,
        industrial value added and loans (``panel.attrs["calibration"]`` says which).

    Returns
    -------
    panel : DataFrame
        N cities x len(years) rows in the schema of :data:`OBSERVED_COLUMNS`, sorted by
        city code then year. ``panel.attrs["simulated"] = True``.
    truth : TwinTruth
        Parameters, latent states and true causal effects (see module docstring).
    """
    if params is None:
        p = TwinParams()
    elif isinstance(params, dict):
        unknown = set(params) - set(TwinParams.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown twin parameter(s): {sorted(unknown)}")
        p = replace(TwinParams(), **params)
    else:
        p = params
    years = tuple(int(y) for y in years)
    st, va, rng = _build_state(p, seed, years, cities=cities)
    state = None if bump else (st, va, years)   # one twin: later truths reuse this state
    if bump and "VA" in bump:
        va = va + bump["VA"]
    base = _downstream(st, p, va, bump)
    fn, ag, sy, P, X = base
    eff = _true_effects(st, p, va, base)

    panel = _observe(st, p, va, fn, ag, sy, P, X, rng)
    # instrument parts (panel is year-major here): endowment by city, trend by year
    panel["post_offices_1984"] = np.tile(st.hist, len(years))
    panel["national_internet_share"] = np.repeat(st.national, len(st.reg))

    if p.missing_rate > 0:
        ind = [c for c in OBSERVED_COLUMNS if c not in ("city", "code", "region", "year", "population")]
        mask = rng.random((len(panel), len(ind))) < p.missing_rate
        panel[ind] = panel[ind].mask(mask)
    panel = _yearbook_rows(panel)
    panel.attrs["simulated"] = True
    panel.attrs["generator"] = f"helpers.simulate {GENERATOR_VERSION}, seed {seed}"
    panel.attrs["calibration"] = CALIBRATION_NOTE[st.calibrated]

    idx = pd.MultiIndex.from_product([years, st.reg.index], names=["year", "city"])
    latent = pd.DataFrame({"D": st.D.ravel(), "Z": st.Z.ravel(), "q": st.q.ravel(), "VA": va.ravel(),
                           "FN": fn.ravel(), "AG": ag.ravel(), "SY": sy.ravel(), "P": P.ravel(),
                           "X": X.ravel(), "eps": st.eps.ravel()}, index=idx)
    latent = latent.swaplevel().sort_index(level=["city", "year"])
    truth = TwinTruth(params=p, seed=seed, effects=eff, latent=latent,
                      threshold={"gamma": p.gamma, "c_low": p.c_low, "c_high": p.c_high},
                      W=pd.DataFrame(st.W, index=st.reg.index, columns=st.reg.index), state=state)
    return panel, truth



def compare_scenarios(scenarios: dict, seed: int = DEFAULT_SEED, variable: str = "SY") -> pd.DataFrame:
    """Regional mean paths of a latent state under alternative parameter sets (same shocks).

    Parameters
    ----------
    scenarios : dict
        Scenario name -> dict of :class:`TwinParams` overrides (``{}`` for the defaults).
    seed : int
        The same seed for every scenario, so only the parameters differ.
    variable : str
        A column of ``TwinTruth.latent`` (``VA``, ``FN``, ``AG``, ``SY``, ``P``, ``X``).

    Returns
    -------
    DataFrame
        Long table: scenario, region, year, value (regional mean). SIMULATED.
    """
    frames = []
    reg = _data.city_table()["region"].astype(str)
    for name, overrides in scenarios.items():
        _, truth = simulate_panel(params=dict(overrides), seed=seed)
        lat = truth.latent[variable].reset_index()
        lat["region"] = lat["city"].map(reg)
        g = lat.groupby(["region", "year"], as_index=False)[variable].mean()
        frames.append(g.assign(scenario=name).rename(columns={variable: "value"}))
    return pd.concat(frames, ignore_index=True)[["scenario", "region", "year", "value"]]


def write_panel(path, params=None, seed: int = DEFAULT_SEED) -> Path:
    """Write the simulated panel as CSV with fixed formatting (byte-identical for a given seed)."""
    panel, _ = simulate_panel(params=params, seed=seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    panel.to_csv(path, index=False, lineterminator="\n")
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Regenerate the simulated twin of Guangdong as CSV.")
    ap.add_argument("--write", type=Path, required=True, help="output CSV path")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    out = write_panel(args.write, seed=args.seed)
    print(f"wrote {out} (helpers.simulate {GENERATOR_VERSION}, seed {args.seed}, SIMULATED data)")
    return 0

