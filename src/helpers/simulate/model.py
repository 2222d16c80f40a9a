"""The structural model of the twin: parameters, equations (1)-(7), state and true effects.

See :mod:`helpers.simulate` for the equations and references.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import data as _data
from .._results import Result
from .calendar import (  # noqa: F401
    CALENDAR,
    NATIONAL_ANCHORS,
    TAU_ORIGIN,
    _CalendarRng,
    calendar_window,
    logistic,
    national_path,
)
from .participation import solve_participation
from .shocks import _city_terms, _integrated_ar1

GENERATOR_VERSION = "2.0.0"
DEFAULT_SEED = 20261122
#: The twin's default design: the years of the real panels.
YEARS = tuple(range(2011, 2024))

#: Published total used for calibration: industrial value added of Guangdong, 2020,
#: 3.31 trillion yuan = 33,100 (100 million yuan) (Wang & Xiong, seed paper).
IVA_2020_TOTAL = 33_100.0


@dataclass(frozen=True)
class TwinParams:
    """Structural parameters of the twin; every one has a documented default.

    Calendar (generator 2.0.0). Every time-varying draw and path is made for the whole
    :data:`CALENDAR` (2000-2040) and a design's years are a window of it: the diffusion midpoints
    ``tau0_*`` count years from :data:`TAU_ORIGIN` (2011), and ``national_start`` and
    ``national_end`` are the national internet path's values in the calendar years 2011 and 2023
    (:func:`national_path`), not in a design's first and last year as up to 1.2.0, when 2018 was
    0.78 in an 8-year design and 0.64 in a 13-year one.

    Setting a pathway parameter to zero switches that pathway off (tests rely on it):
    ``phi=0`` (no transaction-cost channel: VA no longer moves factor flows),
    ``a_FN=0``/``a_VA=0`` (agglomeration ignores flows / VA), ``b_FN=0``/``b_AG=0``
    (synergy ignores flows / agglomeration), ``c_low=c_high=0`` (no direct effect),
    ``theta=0`` and ``rho=0`` (no knowledge spillovers), ``alpha_N=0`` and ``alpha_E=0`` (no
    network externality).

    Network externality (generator 1.2.0). The value of joining a platform rises with
    participation elsewhere. Up to 1.1.0 all of it ran through the province-wide rate
    (``alpha_N = 2``), which is the same for every city in a year, so year effects absorb it and no
    estimator can recover it. Since 1.2.0 half of it runs through exposure to participation in
    nearby cities, E_it = sum_j w_ij s_jt with the twin's row-standardised inverse-distance-squared
    weights (``alpha_N = 1``, ``alpha_E = 1``). Both regressors are weighted averages of shares in
    [0, 1], so the total externality (alpha_N + alpha_E = 2) and the mean participation (0.29 on the
    bundled seed in both versions) stay where they were. The split is a modelling choice with no
    published source: neither seed paper gives a magnitude, and the network-externality
    literature (Katz & Shapiro 1985) gives none for Chinese prefectures. Its purpose is to make the
    channel identifiable (:mod:`helpers.models.exposure` recovers alpha_E on the latent logit
    scale); set ``alpha_N=2, alpha_E=0`` for the 1.1.0 participation law.
    """

    # (1) infrastructure diffusion: speed and midpoint (years after TAU_ORIGIN = 2011) by region
    kappa_prd: float = 0.60
    kappa_rest: float = 0.40
    tau0_prd: float = 3.0
    tau0_rest: float = 7.0
    tau0_sd: float = 1.0
    # (2) instrument: national penetration trend and historical endowment dispersion.
    # national_start / national_end: the path's values in the calendar years NATIONAL_ANCHORS
    # (2011 and 2023), whatever the design's years (see national_path)
    national_start: float = 0.38
    national_end: float = 0.78
    hist_sd: float = 0.6
    # (3) virtual agglomeration
    alpha_0: float = -3.6
    alpha_D: float = 3.0
    alpha_Z: float = 2.5
    alpha_N: float = 1.0
    # exposure to participation in nearby cities (W s_t, W row-standardised): half of the
    # network externality, so it can be identified (see the class docstring)
    alpha_E: float = 1.0
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
    # calibration by simulated moments (issue 21, item 2): shock scales, persistence and trends
    # fitted to the real within-city moments of Guangdong (helpers.studies.calibrate; values and
    # provenance in data/twin_calibration.json, a test keeps the two equal).
    # (7) outcomes: productivity growth shocks u_it = rho_P u_i,t-1 + e^P_it, cumulated into the
    # level, scale sigma_P (a city random walk with persistent growth; 0: none); convergence:
    # productivity grows by -convergence (dev_i - mean dev) a year (beta convergence). Both move
    # all of a city's observed output; the rest of the model's variation enters with gdp_loading.
    rho_P: float = 0.5289283903761265
    sigma_P: float = 0.018075298169329273
    convergence: float = -0.00011912820543369049
    # observation: elasticity of observed GDP (each sector) and loans to the model's within-city
    # log level; iid measurement noise of sector value added; random-walk reallocation between
    # secondary and tertiary value added (innovation SD); loading of ln tertiary value added on
    # synergy SY (the real synergy construct, coupling coordination of the two, rises with SY);
    # noise SD of manufacturing employment, of ln observed broadband per 100 and of the digital
    # index, and the digital index's loading on development dev_i (richer cities use more digital finance).
    gdp_loading: float = 0.05
    gdp_noise: float = 0.0013022020823410536
    loans_loading: float = 0.701143460576883
    sigma_realloc: float = 0.101171875
    synergy_tertiary: float = 0.02
    sigma_mfg: float = 0.12158203125
    broadband_noise: float = 0.208984375
    digital_noise: float = 6.0
    digital_income: float = 36.87571508626179
    # misspecification dials (issue 21, item 4); off by default, and off they draw nothing and
    # change nothing. instrument_dev: correlation r of the 1984 endowment ln H_i with development
    # dev_i (ln H_i = ln 1.5 + hist_sd (sqrt(1 - r^2) z_i + r dev_i / sd(dev))); dev_trend: development's own
    # effect on synergy along the national trend, dev_trend (dev_i - mean) n_t. Both on, the
    # instrument Z = ln H n_t violates the exclusion restriction and 2SLS is biased, by
    # cov(Z, u) / cov(Z, x), which grows with r.
    instrument_dev: float = 0.0
    dev_trend: float = 0.0

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
        if not 0 <= self.instrument_dev < 1:
            raise ValueError(f"TwinParams.instrument_dev must lie in [0, 1), got {self.instrument_dev}")
        if not -1 < self.rho_P < 1:
            raise ValueError(f"TwinParams.rho_P must lie in (-1, 1), got {self.rho_P}")
        for name in ("sigma_P", "gdp_loading", "gdp_noise", "loans_loading", "sigma_realloc",
                     "synergy_tertiary", "sigma_mfg", "broadband_noise", "digital_noise"):
            if getattr(self, name) < 0:
                raise ValueError(f"TwinParams.{name} must be non-negative, got {getattr(self, name)}")
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
    state : tuple or None
        ``(state, va, years)``: the simulator's own state of this twin (:class:`_State`, the
        participation path before any bump, the years), so that truths computed later from it
        (:func:`helpers.simulate.estimands.estimand_truths`) evaluate counterfactuals on the same
        twin without simulating it again. Not part of the printed summary.
    """

    params: TwinParams
    seed: int
    effects: pd.DataFrame
    latent: pd.DataFrame
    threshold: dict
    W: pd.DataFrame = field(default=None)
    state: tuple | None = field(default=None, repr=False, compare=False)

    def summary(self) -> str:
        head = f"TwinTruth (generator {GENERATOR_VERSION}, seed {self.seed}) -- SIMULATED"
        return head + "\n" + self.effects.to_string(float_format=lambda x: f"{x:.4f}")


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


#: Development level of a city outside Guangdong (region ``Other``): the four regions' mean
#: (0.9 + 0.25 + 0.2 + 0) / 4, so a national set is centred like Guangdong, with the same city noise.
REGION_DEV = {"PRD": 0.9, "East": 0.25, "West": 0.2, "North": 0.0, "Other": 0.3375}


def _is_guangdong(reg: pd.DataFrame) -> bool:
    """True when the city set is exactly Guangdong's 21 cities in registry order."""
    gd = _data.city_table()
    return len(reg) == len(gd) and list(reg["code"]) == list(gd["code"]) and list(reg.index) == list(gd.index)


def _spatial_weights(p: TwinParams, cities: pd.DataFrame | None = None, dist: np.ndarray | None = None) -> pd.DataFrame:
    """Spatial weights of the twin: row-standardised inverse distance squared (or contiguity).

    ``cities=None`` is Guangdong (the registry's own functions, so the bundled twin is unchanged);
    any other set uses w_ij = d_ij^-2 / sum_k d_ik^-2 from its distance matrix ``dist``.
    Contiguity needs the boundary files, which exist for Guangdong only.
    """
    if cities is None:
        if p.spatial_weights == "contiguity":
            return _data.contiguity_weights()
        return _data.inverse_distance_weights(power=2.0)
    if p.spatial_weights == "contiguity":
        raise ValueError("TwinParams.spatial_weights='contiguity' needs city boundaries, available only for "
                         "Guangdong's 21 cities; use 'inverse_distance' for another city set")
    d = _data.distance_matrix(cities).to_numpy() if dist is None else dist
    if (d + np.eye(len(d)) <= 0).any():
        i, j = np.argwhere(d + np.eye(len(d)) <= 0)[0]
        raise ValueError(f"cities {cities.index[i]!r} and {cities.index[j]!r} share a seat (distance 0): "
                         "inverse-distance weights are undefined")
    with np.errstate(divide="ignore"):
        w = np.where(d > 0, d ** -2.0, 0.0)
    w = w / w.sum(axis=1, keepdims=True)
    return pd.DataFrame(w, index=cities.index, columns=cities.index)


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
    calibrated: bool = True  # Guangdong's 21 cities: observed levels follow the official accounts
    # cumulated AR(1) (coefficient rho_P) of e_P over the whole calendar, the window's rows
    e_P_walk: np.ndarray | None = None

    @property
    def tau(self) -> np.ndarray:
        """The calendar clock of the state's years, year - TAU_ORIGIN, shape (T, 1)."""
        return np.asarray(self.years)[:, None] - TAU_ORIGIN


def _agglomeration(st: _State, p: TwinParams, va, fn):
    return st.mu_A + p.a_FN * (fn - _FN_CENTRE) + p.a_VA * va + st.lam_A + p.sigma_A * st.v_A


def _synergy(st: _State, p: TwinParams, va, fn, ag):
    slope = np.where(st.q <= p.gamma, p.c_low, p.c_high)
    wva = va @ st.W.T                                                   # (W s_t)_i = sum_j w_ij s_jt
    rhs = (slope * va + p.theta * wva + p.b_FN * (fn - _FN_CENTRE) + p.b_AG * ag
           + st.mu_S + st.lam_S + p.confounding * st.eps + p.sigma_S * st.w_S)
    return rhs @ st.S_inv.T                                             # SY_t = S rhs_t


def _outcomes(st: _State, p: TwinParams, sy, ag):
    tau = st.tau   # calendar clock: a window's outcomes are the calendar's
    P = 0.4 + st.dev + 0.02 * tau + p.pi_S * sy + p.pi_A * ag + p.sigma_out * st.e_P + _city_terms(st, p)
    X = 0.3 + 2.5 * st.dev + p.kappa_S * sy + p.kappa_P * P + p.sigma_out * st.e_X
    return P, X


# FN is a log-sum of gravity flows around 10; centring keeps AG and SY on a readable scale.
_FN_CENTRE = 10.0


def _factor_masses(pop, dev, tau):
    """Base factor masses (talent, capital, technology), (3, T, N): growing with population and development."""
    growth = 0.06 * tau
    return np.stack([pop * np.exp(0.6 * dev + 0.5 * growth), pop * np.exp(1.2 * dev + growth),
                     pop * np.exp(1.8 * dev + 1.5 * growth)])


def _build_state(p: TwinParams, seed: int, years, return_parts: bool = False, cities: pd.DataFrame | None = None):
    """Exogenous series, shocks and equilibrium participation of the window ``years``; ``(st, va, rng)``.

    Every time-varying series is built for the whole :data:`CALENDAR` (2000-2040), draws in a
    fixed order, and participation (path dependent) is solved from 2000 on; the state returned
    is the rows of ``years`` (consecutive calendar years, else ValueError naming the year), so
    a window is a slice of one world. ``rng`` draws observation noise through the same window
    (:class:`_CalendarRng`). ``cities``: a :func:`helpers.data.cities.city_set` frame (default
    Guangdong's 21); draws have the same order and shapes for any set, only N changes.

    ``return_parts=True`` (:mod:`helpers.scenarios`) appends a dict: the participation index
    ``index`` (inside Lambda in (3) but the network term; the window's rows), the city effects
    ``u`` and ``init``, participation the year before the window (None at the calendar's start),
    from which ``solve_participation(index, pop, ..., init=init)`` gives ``va``. It draws nothing.
    """
    rows = calendar_window(years)
    years = CALENDAR[rows]
    rng = np.random.default_rng(seed)
    if cities is not None and _is_guangdong(cities):
        cities = None   # Guangdong given explicitly: the default path, byte for byte
    reg = _data.city_table() if cities is None else _check_cities(cities)
    N, T = len(reg), len(CALENDAR)
    tau = np.asarray(CALENDAR)[:, None] - TAU_ORIGIN                    # calendar clock, (T, 1)
    prd = (reg["region"] == "PRD").to_numpy()

    pop = _population(reg, CALENDAR)
    kappa = np.where(prd, p.kappa_prd, p.kappa_rest)
    tau0 = np.where(prd, p.tau0_prd, p.tau0_rest) + p.tau0_sd * rng.standard_normal(N)
    D = logistic(kappa * (tau - tau0))

    national = national_path(p, CALENDAR)
    z_hist = rng.standard_normal(N)
    hist = 1.5 * np.exp(p.hist_sd * z_hist)                             # post offices per 10k, 1984
    Z = (np.log(hist) - np.log(hist).mean())[None, :] * national[:, None]

    # network size: broadband subscribers per 100 people, the threshold variable q
    q = 8.0 + 52.0 * D + 1.5 * rng.standard_normal((T, N))

    eps = rng.standard_normal((T, N))
    region_dev = reg["region"].astype(str).map(REGION_DEV).to_numpy(float)
    dev = region_dev + 0.15 * rng.standard_normal(N)
    if p.instrument_dev:   # dial: the endowment correlated with development (no extra draw)
        r = p.instrument_dev
        hist = 1.5 * np.exp(p.hist_sd * (np.sqrt(1 - r * r) * z_hist + r * (dev - dev.mean()) / dev.std()))
        Z = (np.log(hist) - np.log(hist).mean())[None, :] * national[:, None]

    masses = _factor_masses(pop, dev, tau)

    dist = _data.distance_matrix(None if cities is None else reg).to_numpy()
    logd = np.log(np.where(dist > 0, dist, 1.0))
    Wdf = _spatial_weights(p, None if cities is None else reg, dist)
    W = Wdf.to_numpy()
    S_inv = np.linalg.inv(np.eye(N) - p.rho * W)

    mu_A = 0.3 * dev[None, :] + 0.1 * rng.standard_normal(N)[None, :]
    v_A = rng.standard_normal((T, N))
    mu_S = 0.2 * rng.standard_normal(N)[None, :]
    lam_S = 0.01 * tau + (p.dev_trend * (dev - dev.mean())[None, :] * national[:, None] if p.dev_trend else 0.0)
    w_S = rng.standard_normal((T, N))
    e_P, e_X = rng.standard_normal((T, N)), rng.standard_normal((T, N))
    u = p.u_sd * rng.standard_normal(N)
    shock = p.confounding * eps + p.sigma_va * rng.standard_normal((T, N))
    base = p.alpha_0 + p.alpha_D * D + p.alpha_Z * Z + u[None, :] + shock
    va_all = solve_participation(base, pop, p.alpha_N, alpha_E=p.alpha_E, W_E=W)
    va = va_all[rows]

    st = _State(
        years=years, reg=reg, pop=pop[rows], D=D[rows], Z=Z[rows], q=q[rows], eps=eps[rows],
        masses=masses[:, rows], logd=logd, W=W, S_inv=S_inv, hist=hist, national=national[rows],
        mu_A=mu_A, lam_A=0.02 * tau[rows], v_A=v_A[rows], mu_S=mu_S, lam_S=lam_S[rows], w_S=w_S[rows],
        dev=dev[None, :], e_P=e_P[rows], e_X=e_X[rows], calibrated=cities is None,
        e_P_walk=_integrated_ar1(e_P, p.rho_P)[rows],
    )
    obs_rng = _CalendarRng(rng, rows, N)
    if return_parts:
        init = va_all[rows.start - 1] if rows.start > 0 else None
        return st, va, obs_rng, {"index": base[rows], "u": u, "init": init}
    return st, va, obs_rng


_CITY_COLUMNS = ("code", "region", "lon", "lat", "pop_2010", "pop_2020")


def _check_cities(cities: pd.DataFrame) -> pd.DataFrame:
    """Validate a city set (index city; code, region, lon, lat, pop_2010, pop_2020)."""
    missing = [c for c in _CITY_COLUMNS if c not in cities.columns]
    if missing:
        raise ValueError(f"city set lacks column(s) {missing}; expected the format of helpers.data.cities.city_set()")
    if len(cities) < 2:
        raise ValueError(f"the twin needs at least 2 cities, got {len(cities)}")
    if cities.index.duplicated().any():
        raise ValueError(f"city set has duplicate city {cities.index[cities.index.duplicated()][0]!r}")
    bad = set(cities["region"].astype(str)) - set(REGION_DEV)
    if bad:
        raise ValueError(f"city set has unknown region(s) {sorted(bad)}; use {list(REGION_DEV)}")
    for c in ("lon", "lat", "pop_2010", "pop_2020"):
        v = pd.to_numeric(cities[c], errors="coerce").astype(float)
        if v.isna().any() or (c.startswith("pop") and (v <= 0).any()):
            raise ValueError(f"city set: column {c} is missing or invalid for city {v.index[v.isna() | (v <= 0)][0]!r}"
                             if c.startswith("pop") else f"city set: column {c} is missing for city {v.index[v.isna()][0]!r}")
    out = cities.copy()
    out["pop_2010"] = out["pop_2010"].astype(float)
    out["pop_2020"] = out["pop_2020"].astype(float)
    return out


def _downstream(st, p, va, bump=None):
    # bump: optional additive counterfactual shifts of latent states (helpers.simulate.estimands)
    bump = bump or {}
    fn = _flow_position(va, st.masses, st.logd, p.b0, p.phi) + bump.get("FN", 0.0)
    ag = _agglomeration(st, p, va, fn) + bump.get("AG", 0.0)
    sy = _synergy(st, p, va, fn, ag) + bump.get("SY", 0.0)
    P, X = _outcomes(st, p, sy, ag)
    if "P" in bump:  # productivity shifted; exports follow through kappa_P
        P, X = P + bump["P"], X + p.kappa_P * bump["P"]
    return fn, ag, sy, P, X
