r"""The simulated twin of Guangdong: a structural model of virtual agglomeration.

The seed papers (Wang & Peng; Wang & Xiong) argue a chain
virtual agglomeration -> factor-flow networks -> industrial agglomeration -> industrial synergy,
working through lower transaction costs, network externalities and knowledge spillovers.
They publish no equations and no data. This module writes the argument down as a small
structural model, runs it on Guangdong's real geography (21 cities, their seats, distances,
regions and census populations) and emits a yearbook-like panel of *observed* indicators with
noise, together with the *true* causal effects, obtained by counterfactual simulation.

Equations (city i, year t, tau = t - 2011; Lambda is the logistic function)

1. Digital infrastructure diffuses logistically, faster and earlier in the Pearl River Delta:
   D_it = Lambda(kappa_r (tau - tau0_i)).
2. Instrument: a historical telecom endowment H_i (1984 post offices per 10k people) times the
   national internet-penetration trend n_t: Z_it = (ln H_i - mean) n_t. It shifts only (3).
3. Virtual agglomeration with network externalities (share of firms on digital platforms):
   s_it = Lambda(alpha_0 + alpha_D D_it + alpha_Z Z_it + alpha_N Sbar_t + u_i + e_it),
   Sbar_t = sum_j pop_j s_jt / sum_j pop_j (participation anywhere raises the value of joining),
   plus, when ``alpha_E > 0``, alpha_E E_it with E_it = sum_j w_ij s_jt the exposure to participation
   in nearby cities (W the spatial weights): unlike Sbar_t it varies across cities within a year,
   so two-way fixed effects do not absorb it (see :mod:`helpers.models.exposure`).
   Solved as a fixed point each year, starting from last year's state (path dependence).
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
import functools
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from . import data as _data
from ._results import Result

GENERATOR_VERSION = "1.1.0"
DEFAULT_SEED = 20261122
YEARS = tuple(range(2011, 2024))

#: Published total used for calibration: industrial value added of Guangdong, 2020,
#: 3.31 trillion yuan = 33,100 (100 million yuan) (Wang & Xiong, seed paper).
IVA_2020_TOTAL = 33_100.0


@dataclass(frozen=True)
class TwinParams:
    """Structural parameters of the twin; every one has a documented default.

    Setting a pathway parameter to zero switches that pathway off (tests rely on it):
    ``phi=0`` (no transaction-cost channel: VA no longer moves factor flows),
    ``a_FN=0``/``a_VA=0`` (agglomeration ignores flows / VA), ``b_FN=0``/``b_AG=0``
    (synergy ignores flows / agglomeration), ``c_low=c_high=0`` (no direct effect),
    ``theta=0`` and ``rho=0`` (no knowledge spillovers), ``alpha_N=0`` (no network externality).
    """

    # (1) infrastructure diffusion: speed and midpoint (years after 2011) by region
    kappa_prd: float = 0.60
    kappa_rest: float = 0.40
    tau0_prd: float = 3.0
    tau0_rest: float = 7.0
    tau0_sd: float = 1.0
    # (2) instrument: national penetration trend and historical endowment dispersion
    national_start: float = 0.38
    national_end: float = 0.78
    hist_sd: float = 0.6
    # (3) virtual agglomeration
    alpha_0: float = -3.6
    alpha_D: float = 3.0
    alpha_Z: float = 2.5
    alpha_N: float = 2.0
    # exposure to participation in nearby cities (W s_t); 0 keeps the default panel unchanged
    alpha_E: float = 0.0
    u_sd: float = 0.25
    sigma_va: float = 0.20
    confounding: float = 0.20
    # (4) transaction costs and gravity flows
    b0: float = 2.0
    phi: float = 0.6
    # (5) industrial agglomeration
    a_FN: float = 0.35
    a_VA: float = 0.40
    sigma_A: float = 0.05
    # (6) industrial synergy
    c_low: float = 0.35
    c_high: float = 0.65
    gamma: float = 40.0
    theta: float = 0.30
    rho: float = 0.25
    b_FN: float = 0.25
    b_AG: float = 0.50
    sigma_S: float = 0.05
    # (7) outcomes
    pi_S: float = 0.12
    pi_A: float = 0.08
    kappa_S: float = 0.20
    kappa_P: float = 0.80
    sigma_out: float = 0.03
    # observation
    noise: float = 0.03
    missing_rate: float = 0.0
    spatial_weights: str = "inverse_distance"  # or "contiguity"

    def __post_init__(self):
        for name in ("kappa_prd", "kappa_rest", "b0"):
            if getattr(self, name) <= 0:
                raise ValueError(f"TwinParams.{name} must be positive, got {getattr(self, name)}")
        if not 0 <= self.phi < 1:
            raise ValueError(f"TwinParams.phi must lie in [0, 1), got {self.phi}")
        if not -1 < self.rho < 1:
            raise ValueError(f"TwinParams.rho must lie in (-1, 1), got {self.rho}")
        if not 0 <= self.missing_rate < 0.5:
            raise ValueError(f"TwinParams.missing_rate must lie in [0, 0.5), got {self.missing_rate}")
        if self.spatial_weights not in ("inverse_distance", "contiguity"):
            raise ValueError("TwinParams.spatial_weights must be 'inverse_distance' or 'contiguity'")


@dataclass(repr=False)
class TwinTruth(Result):
    """What only the simulator knows: parameters, latent states and true causal effects.

    Attributes
    ----------
    params : TwinParams
    seed : int
    effects : DataFrame
        One row per effect (``total``, ``total_prd`` and ``total_rest`` (the total effect
        averaged over Pearl River Delta cities and over the rest), ``direct``, ``via_flows``,
        ``via_agglomeration``, ``serial``, ``a_flows``, ``a_agglomeration``, ``spillover``,
        ``productivity``, ``competitiveness``); columns ``raw`` (latent units per one standard
        deviation of VA) and ``std`` (in standard deviations of the outcome).
    latent : DataFrame
        Latent states per city-year: ``D``, ``Z``, ``VA``, ``FN``, ``AG``, ``SY``, ``P``, ``X``,
        ``eps`` (the confounder).
    threshold : dict
        ``gamma`` (broadband per 100 people), ``c_low``, ``c_high``.
    W : DataFrame
        The spatial weights the knowledge spillovers use.
    """

    params: TwinParams
    seed: int
    effects: pd.DataFrame
    latent: pd.DataFrame
    threshold: dict
    W: pd.DataFrame = field(default=None)

    def summary(self) -> str:
        head = f"TwinTruth (generator {GENERATOR_VERSION}, seed {self.seed}) -- SIMULATED"
        return head + "\n" + self.effects.to_string(float_format=lambda x: f"{x:.4f}")


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def participation_curve(infrastructure, alpha_N: float, params: TwinParams | None = None,
                        start: float = 0.0, n_iter: int = 500):
    """Equilibrium platform participation s*(D) for a province of identical cities.

    Solves s = Lambda(alpha_0 + alpha_D D + alpha_N s) by fixed-point iteration from ``start``
    along an increasing grid of D (each point starts from the previous equilibrium), which
    traces the lower branch of the S-curve and shows tipping when alpha_N is large.
    """
    p = params or TwinParams()
    out, s = [], start
    for d in np.asarray(infrastructure, dtype=float):
        for _ in range(n_iter):
            s = logistic(p.alpha_0 + p.alpha_D * d + alpha_N * s)
        out.append(s)
    return np.array(out)


# --------------------------------------------------------------------------- structural core
def _population(reg: pd.DataFrame, years) -> np.ndarray:
    """Resident population (10k persons), T x N: geometric path through the 2010 and 2020 censuses."""
    g = (reg["pop_2020"] / reg["pop_2010"]).to_numpy() ** (1 / 10)
    tau = np.asarray(years)[:, None] - 2010
    return reg["pop_2010"].to_numpy()[None, :] * g[None, :] ** tau / 1e4


def _spatial_weights(p: TwinParams) -> pd.DataFrame:
    if p.spatial_weights == "contiguity":
        return _data.contiguity_weights()
    return _data.inverse_distance_weights(power=2.0)


def _solve_participation(base, pop, alpha_N, n_iter=400, tol=1e-12, init=None, alpha_E=0.0,
                         W_E=None):
    """Fixed point s_t = Lambda(base_t + alpha_N Sbar_t(s_t) + alpha_E W_E s_t) per year, from
    last year's s.

    ``init`` is the state before the first year (default Lambda(base_0)); helpers.scenarios
    passes the twin's state of the year before a policy to re-solve only the years after it.
    ``alpha_E`` and ``W_E``: exposure to participation in nearby cities (0: none).
    """
    T, N = base.shape
    s = np.zeros((T, N))
    prev = logistic(base[0]) if init is None else init
    wts = pop / pop.sum(axis=1, keepdims=True)
    for t in range(T):
        cur = prev
        for _ in range(n_iter):
            idx = base[t] + alpha_N * (wts[t] @ cur)
            new = logistic(idx + alpha_E * (W_E @ cur) if alpha_E else idx)
            if np.max(np.abs(new - cur)) < tol:
                cur = new
                break
            cur = new
        s[t] = cur
        prev = cur
    return s


def _flow_position(va, masses, logd, b0, phi):
    """FN = mean_k ln sum_j (F_ij + F_ji); va has shape (..., T, N), masses (K, T, N)."""
    joint = np.sqrt(va[..., :, :, None] * va[..., :, None, :])           # (..., T, N, N)
    b = b0 * (1.0 - phi * joint)
    decay = np.exp(-b * logd)                                           # d^-b, diag handled below
    n = logd.shape[0]
    decay = decay * (1.0 - np.eye(n))
    fn = 0.0
    for m in masses:                                                    # three factors
        mi, mj = m[:, :, None], m[:, None, :]
        k = mi / (mi + mj)
        f = k * mi * mj * decay                                         # F_ij
        fn = fn + np.log(f.sum(axis=-1) + np.swapaxes(f, -1, -2).sum(axis=-1))
    return fn / len(masses)


@dataclass
class _State:
    """Everything fixed across counterfactuals: exogenous series and shocks."""

    years: tuple
    reg: pd.DataFrame
    pop: np.ndarray
    D: np.ndarray
    Z: np.ndarray
    q: np.ndarray
    eps: np.ndarray
    masses: np.ndarray
    logd: np.ndarray
    W: np.ndarray
    S_inv: np.ndarray  # (I - rho W)^-1
    hist: np.ndarray  # 1984 post offices per 10k people (N,)
    national: np.ndarray  # national internet penetration (T,)
    mu_A: np.ndarray
    lam_A: np.ndarray
    v_A: np.ndarray
    mu_S: np.ndarray
    lam_S: np.ndarray
    w_S: np.ndarray
    dev: np.ndarray
    e_P: np.ndarray
    e_X: np.ndarray


def _agglomeration(st: _State, p: TwinParams, va, fn):
    return st.mu_A + p.a_FN * (fn - _FN_CENTRE) + p.a_VA * va + st.lam_A + p.sigma_A * st.v_A


def _synergy(st: _State, p: TwinParams, va, fn, ag):
    slope = np.where(st.q <= p.gamma, p.c_low, p.c_high)
    wva = va @ st.W.T                                                   # (W s_t)_i = sum_j w_ij s_jt
    rhs = (slope * va + p.theta * wva + p.b_FN * (fn - _FN_CENTRE) + p.b_AG * ag
           + st.mu_S + st.lam_S + p.confounding * st.eps + p.sigma_S * st.w_S)
    return rhs @ st.S_inv.T                                             # SY_t = S rhs_t


def _outcomes(st: _State, p: TwinParams, sy, ag):
    tau = np.arange(len(st.years))[:, None]
    P = 0.4 + st.dev + 0.02 * tau + p.pi_S * sy + p.pi_A * ag + p.sigma_out * st.e_P
    X = 0.3 + 2.5 * st.dev + p.kappa_S * sy + p.kappa_P * P + p.sigma_out * st.e_X
    return P, X


# FN is a log-sum of gravity flows around 10; centring keeps AG and SY on a readable scale.
_FN_CENTRE = 10.0


def _build_state(p: TwinParams, seed: int, years, return_parts: bool = False):
    """Exogenous series, shocks and equilibrium participation; ``(st, va, rng)``.

    ``return_parts=True`` (used by :mod:`helpers.scenarios`) appends a dict with the
    participation index ``index`` (everything inside Lambda in (3) but the network term)
    and the city effects ``u``; it draws nothing more, so the twin is unchanged.
    """
    rng = np.random.default_rng(seed)
    reg = _data.city_table()
    N, T = len(reg), len(years)
    tau = np.arange(T)[:, None]
    prd = (reg["region"] == "PRD").to_numpy()

    pop = _population(reg, years)
    kappa = np.where(prd, p.kappa_prd, p.kappa_rest)
    tau0 = np.where(prd, p.tau0_prd, p.tau0_rest) + p.tau0_sd * rng.standard_normal(N)
    D = logistic(kappa * (tau - tau0))

    national = p.national_start + (p.national_end - p.national_start) * logistic(0.45 * (tau[:, 0] - 6)) \
        / logistic(0.45 * (T - 1 - 6))
    hist = 1.5 * np.exp(p.hist_sd * rng.standard_normal(N))             # post offices per 10k, 1984
    Z = (np.log(hist) - np.log(hist).mean())[None, :] * national[:, None]

    # network size: broadband subscribers per 100 people, the threshold variable q
    q = 8.0 + 52.0 * D + 1.5 * rng.standard_normal((T, N))

    eps = rng.standard_normal((T, N))
    region_dev = reg["region"].map({"PRD": 0.9, "East": 0.25, "West": 0.2, "North": 0.0}).to_numpy(float)
    dev = region_dev + 0.15 * rng.standard_normal(N)

    # base factor masses (talent, capital, technology), T x N each, growing with population and development
    growth = 0.06 * tau
    m_talent = pop * np.exp(0.6 * dev + 0.5 * growth)
    m_capital = pop * np.exp(1.2 * dev + growth)
    m_tech = pop * np.exp(1.8 * dev + 1.5 * growth)
    masses = np.stack([m_talent, m_capital, m_tech])

    dist = _data.distance_matrix().to_numpy()
    logd = np.log(np.where(dist > 0, dist, 1.0))
    Wdf = _spatial_weights(p)
    W = Wdf.to_numpy()
    S_inv = np.linalg.inv(np.eye(N) - p.rho * W)

    st = _State(
        years=tuple(years), reg=reg, pop=pop, D=D, Z=Z, q=q, eps=eps, masses=masses, logd=logd,
        W=W, S_inv=S_inv, hist=hist, national=national,
        mu_A=0.3 * dev[None, :] + 0.1 * rng.standard_normal(N)[None, :],
        lam_A=0.02 * tau, v_A=rng.standard_normal((T, N)),
        mu_S=0.2 * rng.standard_normal(N)[None, :], lam_S=0.01 * tau,
        w_S=rng.standard_normal((T, N)), dev=dev[None, :],
        e_P=rng.standard_normal((T, N)), e_X=rng.standard_normal((T, N)),
    )
    u = p.u_sd * rng.standard_normal(N)
    shock = p.confounding * eps + p.sigma_va * rng.standard_normal((T, N))
    base = p.alpha_0 + p.alpha_D * D + p.alpha_Z * Z + u[None, :] + shock
    va = _solve_participation(base, pop, p.alpha_N, alpha_E=p.alpha_E, W_E=W)
    if return_parts:
        return st, va, rng, {"index": base, "u": u}
    return st, va, rng


def _downstream(st, p, va, bump=None):
    # bump: optional additive counterfactual shifts of latent states (helpers.estimands)
    bump = bump or {}
    fn = _flow_position(va, st.masses, st.logd, p.b0, p.phi) + bump.get("FN", 0.0)
    ag = _agglomeration(st, p, va, fn) + bump.get("AG", 0.0)
    sy = _synergy(st, p, va, fn, ag) + bump.get("SY", 0.0)
    P, X = _outcomes(st, p, sy, ag)
    if "P" in bump:  # productivity shifted; exports follow through kappa_P
        P, X = P + bump["P"], X + p.kappa_P * bump["P"]
    return fn, ag, sy, P, X


def _true_effects(st: _State, p: TwinParams, va, base) -> pd.DataFrame:
    """Own-city path-specific effects of a one-SD rise in one city's VA, by counterfactual runs."""
    fn0, ag0, sy0, P0, X0 = base
    T, N = va.shape
    delta = va.std()
    # batch over the treated city: va1[i] raises city i only (all years)
    bump = delta * np.eye(N)[:, None, :]                                # (N, 1, N)
    va1 = va[None] + bump                                               # (N, T, N)
    fn1 = _flow_position(va1, st.masses, st.logd, p.b0, p.phi)
    own = np.eye(N, dtype=bool)[:, None, :]                             # picks city i in batch i
    prd = (st.reg["region"] == "PRD").to_numpy()

    def own_mean(new, old, cities=slice(None)):
        # the treated city's own change, averaged over treated cities (all, or a region's) and years
        d = (new - old[None])[np.broadcast_to(own, new.shape)].reshape(N, T)   # (treated city, year)
        return float(d[cities].mean())

    def others_sum(new, old):
        d = (new - old[None]) * (~np.broadcast_to(own, new.shape))
        return float(d.sum(axis=-1).mean())

    ag_total = _agglomeration(st, p, va1, fn1)
    sy_total = _synergy(st, p, va1, fn1, ag_total)
    # path-specific: switch the change on in one place at a time
    sy_direct = _synergy(st, p, va1, fn0[None], ag0[None])
    ag_via_fn = _agglomeration(st, p, va[None], fn1)                    # VA -> FN -> AG
    sy_via_fn = _synergy(st, p, va[None], fn1, ag0[None])               # VA -> FN -> SY
    ag_via_va = _agglomeration(st, p, va1, fn0[None])                   # VA -> AG
    sy_via_ag = _synergy(st, p, va[None], fn0[None], ag_via_va)
    sy_serial = _synergy(st, p, va[None], fn0[None], ag_via_fn)
    P1, X1 = _outcomes(st, p, sy_total, ag_total)

    sd = {"FN": fn0.std(), "AG": ag0.std(), "SY": sy0.std(), "P": P0.std(), "X": X0.std()}
    rows = {
        "total": (own_mean(sy_total, sy0), "SY"),
        "total_prd": (own_mean(sy_total, sy0, prd), "SY"),
        "total_rest": (own_mean(sy_total, sy0, ~prd), "SY"),
        "direct": (own_mean(sy_direct, sy0), "SY"),
        "via_flows": (own_mean(sy_via_fn, sy0), "SY"),
        "via_agglomeration": (own_mean(sy_via_ag, sy0), "SY"),
        "serial": (own_mean(sy_serial, sy0), "SY"),
        "a_flows": (own_mean(fn1, fn0), "FN"),
        "a_agglomeration": (own_mean(ag_total, ag0), "AG"),
        "spillover": (others_sum(sy_total, sy0), "SY"),
        "productivity": (own_mean(P1, P0), "P"),
        "competitiveness": (own_mean(X1, X0), "X"),
    }
    eff = pd.DataFrame(
        [(k, v, target, v / sd[target]) for k, (v, target) in rows.items()],
        columns=["effect", "raw", "outcome", "std"],
    ).set_index("effect")
    eff.attrs["delta_VA"] = float(delta)
    eff.attrs["note"] = ("own-city effect of raising one city's virtual agglomeration by one "
                         "panel SD, averaged over cities and years; std = in outcome SDs (SIMULATED)")
    return eff


# --------------------------------------------------------------------------- observation layer
#: Observed levels calibrated to the official city accounts (data/guangdong_city_accounts.csv):
#: twin column -> accounts column. Industrial value added follows secondary value added (which
#: includes construction) rescaled so the 2020 total is the published 3.31 trillion yuan.
CALIBRATED = {"gdp": "gdp", "industrial_value_added": "va_secondary", "loans": "loans"}


@functools.lru_cache(maxsize=8)
def _calibration_logs(years: tuple) -> dict:
    """Two-way log levels ln y_it = a_i + b_t fitted to the accounts, per calibrated column.

    a_i is the city's mean log level and b_t the year's mean deviation over the accounts' years
    inside ``years`` (balanced, so the least-squares two-way fit is the two means). Years beyond
    the accounts extend b_t along its slope over the last (first) five observed years; years wholly
    outside the accounts use the accounts' last five years. Each year is then
    shifted so the 21 cities sum to the real provincial sum where that year is observed.
    """
    acc = _data.load_accounts()
    reg = _data.city_table()
    out = {}
    for col, src in CALIBRATED.items():
        wide = acc.pivot(index="year", columns="city", values=src)[reg.index].dropna()
        obs = [y for y in years if y in wide.index]
        if len(obs) < 2:   # years wholly outside the accounts: extend their last five years
            obs = [int(y) for y in wide.index[-5:]]
        lw = np.log(wide.loc[obs].to_numpy())
        a = lw.mean(axis=0)
        b_obs = pd.Series(lw.mean(axis=1) - lw.mean(), index=obs)
        tail = b_obs.iloc[-5:]
        slope = np.polyfit(tail.index, tail.to_numpy(), 1)[0] if len(tail) > 1 else 0.0
        head = b_obs.iloc[:5]
        slope0 = np.polyfit(head.index, head.to_numpy(), 1)[0] if len(head) > 1 else 0.0
        b = np.array([b_obs[y] if y in b_obs.index else
                      (b_obs.iloc[-1] + slope * (y - obs[-1]) if y > obs[-1] else b_obs.iloc[0] + slope0 * (y - obs[0]))
                      for y in years])
        level = a[None, :] + b[:, None]
        for t, y in enumerate(years):
            if y in wide.index:   # the province's real path, year by year
                level[t] += np.log(wide.loc[y].sum() / np.exp(level[t]).sum())
        if col == "industrial_value_added":
            level += np.log(IVA_2020_TOTAL / wide.loc[2020].sum()) if 2020 in wide.index else 0.0
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
    "gdp": ("100 million yuan", "gross domestic product, current prices"),
    "industrial_value_added": ("100 million yuan", "industrial value added (2020 total calibrated to 3.31 trillion)"),
    "exports": ("100 million yuan", "exports of goods"),
    "broadband_per100": ("subscribers per 100 people", "fixed broadband subscribers per 100 residents"),
    "telecom_per_capita": ("yuan per person", "telecommunication business volume per resident"),
    "ict_emp_share": ("share (0-1)", "share of employment in information transmission, software and IT services"),
    "digital_finance_index": ("index", "digital financial inclusion index (PKU-DFIIC-like scale)"),
    "post_offices_1984": ("per 10k people", "post and telecom offices in 1984 (historical instrument)"),
    "national_internet_share": ("share (0-1)", "national internet penetration (time-varying instrument part)"),
}


def _observe(st: _State, p: TwinParams, va, fn, ag, sy, P, X, rng) -> pd.DataFrame:
    T, N = va.shape
    reg = st.reg

    def noisy(x, sd=p.noise):
        return x * np.exp(sd * rng.standard_normal(x.shape))

    tau = np.arange(T)[:, None]
    pop = st.pop
    emp_rate = 0.30 + 0.25 * logistic(2 * st.dev)                        # PRD employs more of its residents
    employment = noisy(pop * emp_rate * (1 + 0.01 * tau))
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
    # calibrated levels: real two-way level times the model's own within variation (see CALIBRATED)
    target = _calibration_logs(tuple(st.years))
    loans = noisy(_calibrated(target["loans"], np.log(st.masses[1] * pull)))
    patents = np.round(noisy(st.masses[2] * 1.5 * pull))
    rd_exp = noisy(st.masses[2] * 0.02 * pull)

    gdp = noisy(_calibrated(target["gdp"], P + np.log(employment)))
    iva_raw = noisy(_calibrated(target["industrial_value_added"], np.log(gdp * (0.25 + 0.25 * sh_m))))
    i2020 = st.years.index(2020) if 2020 in st.years else None
    iva = iva_raw * (IVA_2020_TOTAL / iva_raw[i2020].sum() if i2020 is not None else 1.0)
    exports = noisy(np.exp(X) * 40)

    broadband = st.q
    telecom = noisy(np.exp(5.5 + 1.6 * va + 0.4 * st.D))
    ict = np.clip(0.004 + 0.045 * va + 0.003 * st.D + 0.002 * rng.standard_normal((T, N)), 0.001, 0.2)
    dfi = 40 + 18 * tau + 120 * va + 6 * rng.standard_normal((T, N))

    cols = {
        "population": pop, "employment": employment, "emp_manufacturing": emp_m,
        "emp_producer_services": emp_s, "avg_wage": wage, "rd_personnel": rd_personnel,
        "loans": loans, "patents_granted": patents, "rd_expenditure": rd_exp, "gdp": gdp,
        "industrial_value_added": iva, "exports": exports, "broadband_per100": broadband,
        "telecom_per_capita": telecom, "ict_emp_share": ict, "digital_finance_index": dfi,
    }
    idx = pd.MultiIndex.from_product([st.years, reg.index], names=["year", "city"])
    df = pd.DataFrame({k: v.reshape(-1) for k, v in cols.items()}, index=idx).reset_index()
    df.insert(1, "code", df["city"].map(reg["code"]))
    df.insert(2, "region", df["city"].map(reg["region"].astype(str)))
    df = df[["city", "code", "region", "year"] + list(cols)]
    return df


_DECIMALS = {
    "population": 2, "employment": 2, "emp_manufacturing": 2, "emp_producer_services": 2,
    "avg_wage": 0, "rd_personnel": 0, "loans": 2, "patents_granted": 0, "rd_expenditure": 3,
    "gdp": 2, "industrial_value_added": 2, "exports": 2, "broadband_per100": 2,
    "telecom_per_capita": 2, "ict_emp_share": 5, "digital_finance_index": 2,
    "post_offices_1984": 3, "national_internet_share": 4,
}


def simulate_panel(params: TwinParams | dict | None = None, seed: int = DEFAULT_SEED,
                   years=YEARS, bump: dict | None = None) -> tuple[pd.DataFrame, TwinTruth]:
    """Simulate the twin: an observed city-year panel and the truth behind it.

    Parameters
    ----------
    params : TwinParams, dict or None
        Structural parameters; a dict overrides the defaults of :class:`TwinParams` by name.
    seed : int
        Seed of the generator (``numpy.random.default_rng``); same seed, same panel.
    years : sequence of int
        Calendar years (default 2011-2023).
    bump : dict, optional
        Counterfactual: additive (T, N) shifts of the latent ``"VA"`` (after the participation
        solve), ``"FN"``, ``"AG"``, ``"SY"`` and/or ``"P"``. Every random draw happens in the same order with the
        same shapes, so the counterfactual panel shares all noise with the factual one
        (:mod:`helpers.estimands` uses it for truths on the measured scale).

    Returns
    -------
    panel : DataFrame
        21 cities x len(years) rows in the schema of :data:`OBSERVED_COLUMNS`, sorted by
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
    st, va, rng = _build_state(p, seed, years)
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
    for c, d in _DECIMALS.items():
        # counts and whole-yuan values as nullable integers; the rest rounded to yearbook precision
        panel[c] = panel[c].round(d).astype("Int64") if d == 0 else panel[c].round(d)
    panel = panel.sort_values(["code", "year"]).reset_index(drop=True)
    panel.attrs["simulated"] = True
    panel.attrs["generator"] = f"helpers.simulate {GENERATOR_VERSION}, seed {seed}"

    idx = pd.MultiIndex.from_product([years, st.reg.index], names=["year", "city"])
    latent = pd.DataFrame({"D": st.D.ravel(), "Z": st.Z.ravel(), "q": st.q.ravel(), "VA": va.ravel(),
                           "FN": fn.ravel(), "AG": ag.ravel(), "SY": sy.ravel(), "P": P.ravel(),
                           "X": X.ravel(), "eps": st.eps.ravel()}, index=idx)
    latent = latent.swaplevel().sort_index(level=["city", "year"])
    truth = TwinTruth(params=p, seed=seed, effects=eff, latent=latent,
                      threshold={"gamma": p.gamma, "c_low": p.c_low, "c_high": p.c_high},
                      W=pd.DataFrame(st.W, index=st.reg.index, columns=st.reg.index))
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


if __name__ == "__main__":
    sys.exit(main())
