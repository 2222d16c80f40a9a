r"""Policy scenarios on the structural model of the twin, with parameter uncertainty.

The seed papers close with recommendations: invest in the technologies of virtual
agglomeration and in R&D, improve factor-flow networks, integrate the Greater Bay Area and
narrow regional disparities. This module turns each into a *lever* of the structural model of
:mod:`helpers.simulate` and runs it forward to a horizon (2030 by default) with every shock
held fixed, so two scenarios differ only by their levers.

A scenario (:class:`Scenario`) is a named set of lever changes with a start year:

* ``rollout_speed`` / ``rollout_advance`` -- digital infrastructure outside the Delta: from the
  start year the logit of infrastructure D in the targeted cities rises at ``rollout_speed``
  per year instead of kappa_r (eq. 1), and ``rollout_advance`` years of diffusion are brought
  forward, phased in over ``ramp`` years. D enters participation (3) through alpha_D and the
  network size q (broadband per 100 people, q = 8 + 52 D + noise) that sets the synergy slope (6).
* ``phi_gain`` -- platform integration: phi rises by this amount from the start year (4), so
  joint participation lowers distance friction more.
* ``subsidy`` -- adoption subsidies: a boost (logit points) to the participation index of
  chosen cities for ``subsidy_years`` years. Participation is solved each year from last
  year's state, so through the network externality alpha_N a temporary subsidy can tip a city
  (or the province) to a higher equilibrium that outlasts it.
* ``talent`` / ``rd`` -- talent and R&D: proportional rises of the talent and technology masses
  behind the gravity flows (4) in the targeted cities, phased in over ``ramp`` years.
* ``gba_border`` -- Greater Bay Area integration: Hong Kong and Macao join the factor-flow
  network as two extra nodes (real seat coordinates and populations, :data:`GBA_NODES`), and
  the friction across the boundary (an effective-distance factor on cross-boundary pairs)
  falls from ``border_sq`` (the status quo, a drawn parameter) to ``gba_border``.

**Shocks and history.**
The twin's own years (2011-2023) are built by :func:`helpers.simulate._build_state`, so the
baseline reproduces :func:`helpers.simulate.simulate_panel` exactly. Years after 2023 continue
every equation of the twin (logistic diffusion with each city's own midpoint, the national
trend, log-linear growth of the factor masses, linear year effects, the census population
path) with new shocks drawn from a generator seeded by ``(seed, 2024)``; every scenario and
every parameter draw uses the same future shocks.

**Greater Bay Area.**
The twin is calibrated without Hong Kong and Macao, so its baseline flows already contain
today's cross-boundary exchange. The GBA lever therefore adds to each city's factor-flow
position FN the *change* in its log flows in the 23-node network when the boundary factor
falls: FN_i + [FN_i^{23}(gba_border) - FN_i^{23}(border_sq)]. The two nodes' participation
follows the population-weighted Delta mean; their development level is ``gba_dev``.

**Disparity.**
For each run and year: the Delta-rest gap of mean synergy and of mean log productivity
(unweighted city means, PRD minus the 12 other cities), and the population-weighted Theil T
index of labour productivity exp(P) across the 21 cities, split into within- and
between-region parts over the four regions (:func:`helpers.measure.theil`).

Every number here is SIMULATED.

References
----------
Wang, D., Peng, S. (seed paper); Wang, D., Xiong, H. (seed paper): recommendations.
Katz, M., Shapiro, C. (1985). Network externalities, competition, and compatibility. AER 75(3).
McCallum, J. (1995). National borders matter: Canada-U.S. regional trade patterns. AER 85(3).
Theil, H. (1967). Economics and Information Theory. North-Holland.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from . import data as _data
from . import measure as _measure
from . import simulate as _sim
from ._results import Result

HORIZON = 2030
VARIABLES = ("VA", "FN", "AG", "SY", "P", "X")

#: Network size from infrastructure in the twin (simulate._build_state): q = 8 + 52 D + 1.5 e.
#: Repeated here to continue q past 2023 and to move it with the roll-out lever;
#: tests/test_scenarios.py checks it against the twin's q.
_Q_INTERCEPT, _Q_SLOPE, _Q_NOISE = 8.0, 52.0, 1.5

#: Hong Kong and Macao as nodes of the factor-flow network: seat coordinates from cpca 0.5.5
#: adcodes.csv (810000000000, 820000000000; MIT) and resident population 2010 and 2020 as listed
#: for the two SARs in the leiii/census compilation (MIT) that also gives the 21 cities'.
#: tests/test_scenarios.py checks these against the files when ../shared/realdata is present.
GBA_NODES = pd.DataFrame(
    [("Hong Kong", 810000, "香港特别行政区", 114.171203, 22.277468, 7_097_600, 7_509_200),
     ("Macao", 820000, "澳门特别行政区", 113.543028, 22.186835, 552_503, 682_300)],
    columns=["city", "code", "name_zh", "lon", "lat", "pop_2010", "pop_2020"],
).set_index("city")
GBA_NODES.attrs["sources"] = {
    "code/name_zh/lon/lat": "cpca 0.5.5 adcodes.csv (MIT licence)",
    "pop_2010/pop_2020": "leiii/census city file, rows 810000 and 820000 (MIT licence)",
}

#: Structural parameters that are not known, with the range they are drawn from (uniform).
#: The twin's defaults sit inside every range; the ranges are judgement (about +-40% around
#: the default, narrower where a parameter must stay in a band), not estimates.
PARAM_RANGES = pd.DataFrame(
    [
        ("alpha_D", 2.0, 4.0, "(3) infrastructure -> participation"),
        ("alpha_N", 1.0, 3.0, "(3) network externality (tipping when large)"),
        ("phi", 0.4, 0.75, "(4) friction cut by joint participation"),
        ("b0", 1.5, 2.5, "(4) distance decay of flows"),
        ("a_FN", 0.2, 0.5, "(5) flows -> agglomeration"),
        ("a_VA", 0.25, 0.55, "(5) VA -> agglomeration"),
        ("b_FN", 0.1, 0.4, "(6) flows -> synergy"),
        ("b_AG", 0.3, 0.7, "(6) agglomeration -> synergy"),
        ("c_low", 0.2, 0.5, "(6) direct VA slope below the threshold"),
        ("c_high", 0.5, 0.8, "(6) direct VA slope above the threshold"),
        ("theta", 0.15, 0.45, "(6) spillover of neighbours' VA"),
        ("rho", 0.1, 0.4, "(6) spatial dependence of synergy"),
        ("pi_S", 0.06, 0.18, "(7) synergy -> productivity"),
        ("pi_A", 0.04, 0.12, "(7) agglomeration -> productivity"),
        ("border_sq", 2.0, 5.0, "GBA: status-quo effective-distance factor across the boundary"),
        ("gba_dev", 0.9, 1.5, "GBA: development level of Hong Kong and Macao (PRD regions: 0.9)"),
    ],
    columns=["parameter", "low", "high", "role"],
).set_index("parameter")

#: Central values of the scenario-only parameters (the TwinParams defaults cover the rest).
EXTRA_DEFAULTS = {"border_sq": 3.0, "gba_dev": 1.2}


# ----------------------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class Scenario:
    """A named set of lever changes from a start year (see the module docstring).

    ``cities`` selects the targets of the roll-out and talent levers: ``"rest"`` (the 12
    cities outside the Delta), ``"all"``, ``"PRD"`` or a tuple of city names. ``subsidy`` maps
    city names to boosts of the participation index (logit points), or is a float for every
    targeted city.
    """

    name: str
    start: int = 2025
    ramp: int = 3
    cities: object = "rest"
    rollout_speed: float | None = None
    rollout_advance: float = 0.0
    phi_gain: float = 0.0
    subsidy: object = None
    subsidy_years: int = 3
    talent: float = 0.0
    rd: float = 0.0
    gba_border: float | None = None

    @property
    def levers(self) -> list[str]:
        out = []
        if self.rollout_speed is not None or self.rollout_advance:
            out.append("rollout")
        if self.phi_gain:
            out.append("platform")
        if self.subsidy is not None:
            out.append("subsidy")
        if self.talent or self.rd:
            out.append("talent")
        if self.gba_border is not None:
            out.append("gba")
        return out


def default_scenarios(start: int = 2025, horizon: int = HORIZON) -> dict[str, Scenario]:
    """The book's scenarios: one per recommendation and all together.

    The subsidy runs from ``start`` to ``horizon``; :func:`tipping` asks whether a temporary
    one outlasts itself.
    """
    lever = dict(
        rollout=dict(rollout_speed=0.8, rollout_advance=2.0),
        platform=dict(phi_gain=0.2),
        subsidy=dict(subsidy=1.0, subsidy_years=horizon - start + 1),
        talent=dict(talent=0.3, rd=0.3),
        gba=dict(gba_border=1.2),
    )
    out = {"baseline": Scenario("baseline", start=start)}
    for k, v in lever.items():
        out[k] = Scenario(k, start=start, **v)
    # the same subsidy for three years only: does it outlast itself (tipping)?
    out["subsidy_3y"] = Scenario("subsidy_3y", start=start, subsidy=1.0, subsidy_years=3)
    combined = {}
    for v in lever.values():
        combined.update(v)
    out["combined"] = Scenario("combined", start=start, **combined)
    return out


#: What each lever stands for: a paraphrase of the seed papers' text, with the reference key.
LEVER_MEANING = {
    "rollout": ("uneven digitalisation held back by technological, financial and talent constraints; more "
                "investment in the research and application of virtual-agglomeration technologies",
                "wang_xiong_virtual"),
    "platform": ("lower transaction costs as the core motive for joining virtual clusters; barriers to factor "
                 "mobility", "wang_xiong_virtual,wang_peng_mechanism"),
    "subsidy": ("policy measures that guide firms into virtual agglomeration; participation barriers of small "
                "firms (named as a direction for research)", "wang_xiong_virtual"),
    "subsidy_3y": ("as subsidy, paid for three years only (does support outlast itself?)", "wang_xiong_virtual"),
    "talent": ("targeted talent policies and more R&D; flows of talent, capital and technology as a pathway",
               "wang_xiong_virtual,wang_peng_mechanism"),
    "gba": ("networked integration of industrial resources in the Guangdong-Hong Kong-Macao Greater Bay Area "
            "(named as a direction for research, not a recommendation)", "wang_xiong_virtual"),
    "combined": ("all levers together", ""),
    "baseline": ("no policy change", ""),
}


def lever_table(scenarios: dict) -> pd.DataFrame:
    """One row per scenario: its levers and settings, and the seed text it stands for."""
    rows = []
    for name, s in scenarios.items():
        settings = {k: v for k, v in vars(s).items()
                    if k not in ("name", "ramp", "cities") and v not in (None, 0.0, 0)}
        if "subsidy" not in s.levers:
            settings.pop("subsidy_years", None)
        meaning, cite = LEVER_MEANING.get(name, ("", ""))
        rows.append({"scenario": name, "levers": ", ".join(s.levers) or "none",
                     "settings": ", ".join(f"{k}={v}" for k, v in settings.items()),
                     "targets": s.cities if s.levers and set(s.levers) & {"rollout", "subsidy", "talent"} else "",
                     "stands for (paraphrase)": meaning, "source": cite})
    return pd.DataFrame(rows).set_index("scenario")


# ----------------------------------------------------------------------------- the extended twin
@dataclass
class Extended:
    """The twin's state extended to the horizon (history exactly as in the twin)."""

    params: _sim.TwinParams
    extra: dict
    seed: int
    st: object  # simulate._State over all years
    index: np.ndarray  # participation index (T, N)
    va: np.ndarray  # baseline participation (T, N)
    n_hist: int
    kappa: np.ndarray  # diffusion speed per city (N,)
    gba: dict  # Hong Kong and Macao: masses (K, T, 2), log distances (23, 23), cross mask


def _logit(x):
    return np.log(x) - np.log1p(-x)


def _city_mask(reg: pd.DataFrame, cities) -> np.ndarray:
    prd = (reg["region"] == "PRD").to_numpy()
    if isinstance(cities, str):
        if cities == "rest":
            return ~prd
        if cities == "PRD":
            return prd
        if cities == "all":
            return np.ones(len(reg), bool)
        cities = (cities,)
    unknown = sorted(set(cities) - set(reg.index))
    if unknown:
        raise ValueError(f"unknown city name(s) in scenario: {unknown}")
    return reg.index.isin(list(cities))


def _make_params(params) -> tuple[_sim.TwinParams, dict]:
    params = dict(params or {})
    extra = {k: float(params.pop(k, v)) for k, v in EXTRA_DEFAULTS.items()}
    unknown = set(params) - set(_sim.TwinParams.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown parameter(s): {sorted(unknown)}")
    return replace(_sim.TwinParams(), **params), extra


def extend_twin(params=None, seed: int = _sim.DEFAULT_SEED, horizon: int = HORIZON) -> Extended:
    """Build the twin's state for 2011-2023 exactly and continue it to ``horizon``.

    Parameters
    ----------
    params : dict, optional
        Overrides of :class:`helpers.simulate.TwinParams` and of :data:`EXTRA_DEFAULTS`.
    seed : int
        The twin's seed; future shocks come from ``numpy.random.default_rng([seed, 2024])``.
    horizon : int
        Last year (at least 2023).
    """
    p, extra = _make_params(params)
    hist_years = _sim.YEARS
    if horizon < hist_years[-1]:
        raise ValueError(f"horizon {horizon} is before the twin's last year {hist_years[-1]}")
    st, va, _, parts = _sim._build_state(p, seed, hist_years, return_parts=True)
    T0, N = va.shape
    years = tuple(range(hist_years[0], horizon + 1))
    Tn = len(years) - T0
    reg = st.reg
    prd = (reg["region"] == "PRD").to_numpy()
    kappa = np.where(prd, p.kappa_prd, p.kappa_rest)
    if Tn == 0:
        st_full, index = st, parts["index"]
    else:
        rng = np.random.default_rng([seed, 2024])
        eps, eta, qe, vA, wS, eP, eX = (rng.standard_normal((Tn, N)) for _ in range(7))
        tau = np.arange(T0, T0 + Tn)[:, None]
        tau0 = -_logit(st.D[0]) / kappa                                  # each city's midpoint
        D = _sim.logistic(kappa * (tau - tau0))
        national = _national(p, tau[:, 0], T0)
        zh = np.log(st.hist) - np.log(st.hist).mean()
        Z = zh[None, :] * national[:, None]
        q = _Q_INTERCEPT + _Q_SLOPE * D + _Q_NOISE * qe
        pop = _sim._population(reg, years)
        # masses grow log-linearly relative to population at the twin's own rate
        L = np.log(st.masses / st.pop[None])
        rate = (L[:, -1] - L[:, 0]) / (T0 - 1)
        step = (tau - (T0 - 1))[None]
        masses = pop[None, T0:] * np.exp(L[:, -1:] + rate[:, None] * step)

        def trend(x):
            return x[-1] + (x[-1] - x[-2]) * (tau - (T0 - 1))

        cat = np.concatenate
        st_full = replace(
            st, years=years, pop=pop, D=cat([st.D, D]), Z=cat([st.Z, Z]), q=cat([st.q, q]),
            eps=cat([st.eps, eps]), masses=cat([st.masses, masses], axis=1),
            national=cat([st.national, national]), lam_A=cat([st.lam_A, trend(st.lam_A)]),
            v_A=cat([st.v_A, vA]), lam_S=cat([st.lam_S, trend(st.lam_S)]), w_S=cat([st.w_S, wS]),
            e_P=cat([st.e_P, eP]), e_X=cat([st.e_X, eX]),
        )
        new_index = (p.alpha_0 + p.alpha_D * D + p.alpha_Z * Z + parts["u"][None, :]
                     + p.confounding * eps + p.sigma_va * eta)
        index = cat([parts["index"], new_index])
    va_full = _sim._solve_participation(index, st_full.pop, p.alpha_N)
    return Extended(params=p, extra=extra, seed=seed, st=st_full, index=index, va=va_full,
                    n_hist=T0, kappa=kappa, gba=_gba_network(st_full, extra))


def _national(p, tau, T0):
    """National internet penetration (the instrument's trend) as in the twin: a logistic in
    tau normalised to ``national_end`` in the twin's last year; continued past it."""
    return p.national_start + (p.national_end - p.national_start) \
        * _sim.logistic(0.45 * (tau - 6)) / _sim.logistic(0.45 * (T0 - 1 - 6))


def _gba_network(st, extra) -> dict:
    """Masses and log distances of the 23-node network (21 cities, Hong Kong, Macao)."""
    reg = st.reg
    nodes = pd.concat([reg[["lon", "lat"]], GBA_NODES[["lon", "lat"]]])
    d = _data.distance_matrix(nodes).to_numpy()
    logd = np.log(np.where(d > 0, d, 1.0))
    n = len(reg)
    cross = np.zeros(d.shape, bool)
    cross[:n, n:] = cross[n:, :n] = True
    pop = _sim._population(GBA_NODES, st.years)                        # (T, 2), 10k persons
    # masses = pop exp(c_k dev + g_k tau): recover c_k and g_k from the twin's own masses
    L = np.log(st.masses / st.pop[None])                                 # (K, T, N)
    dev = st.dev[0]
    c = np.median((L[:, 0, :] / np.where(dev != 0, dev, np.nan)), axis=1)
    growth = L - L[:, :1, :]                                             # (K, T, N), same for all cities
    masses = pop[None] * np.exp(c[:, None, None] * extra["gba_dev"] + growth[:, :, :1])
    return {"logd": logd, "cross": cross, "masses": masses, "n": n}


# ----------------------------------------------------------------------------- one run
@dataclass
class Paths:
    """Latent paths of one scenario run: arrays (T, N) by variable, plus the inputs."""

    scenario: Scenario
    years: tuple
    cities: pd.Index
    arrays: dict

    def frame(self) -> pd.DataFrame:
        idx = pd.MultiIndex.from_product([self.cities, self.years], names=["city", "year"])
        return pd.DataFrame({k: v.T.ravel() for k, v in self.arrays.items()}, index=idx)


def _ramp(tau, tau_s, ramp):
    return np.clip((tau - tau_s + 1) / max(ramp, 1), 0.0, 1.0)


def run_scenario(ext: Extended, scenario: Scenario, hold_va: bool = False) -> Paths:
    """Run one scenario on an extended twin; shocks and parameters as in ``ext``.

    ``hold_va=True`` keeps participation at its baseline path (used to split an effect into
    the part carried by virtual agglomeration and the rest).
    """
    p, st = ext.params, ext.st
    years = st.years
    T, N = ext.va.shape
    if not years[0] <= scenario.start <= years[-1]:
        raise ValueError(f"scenario {scenario.name!r}: start {scenario.start} outside {years[0]}-{years[-1]}")
    tau = np.arange(T)[:, None]
    tau_s = years.index(scenario.start)
    after = tau >= tau_s                                                 # (T, 1)
    reg = st.reg
    target = _city_mask(reg, scenario.cities)[None, :]
    index, D, q = ext.index, st.D, st.q

    # (1) infrastructure roll-out: faster logit growth and years brought forward
    if "rollout" in scenario.levers:
        speed = ext.kappa if scenario.rollout_speed is None else scenario.rollout_speed
        extra = ((speed - ext.kappa)[None, :] * np.maximum(tau - tau_s + 1, 0)
                 + ext.kappa[None, :] * scenario.rollout_advance * _ramp(tau, tau_s, scenario.ramp))
        extra = np.where(after & target, extra, 0.0)
        D1 = np.where(extra != 0, _sim.logistic(_logit(D) + extra), D)
        index = index + p.alpha_D * (D1 - D)
        q = q + _Q_SLOPE * (D1 - D)
        D = D1
    # (3) adoption subsidies: a temporary boost to the participation index
    if scenario.subsidy is not None:
        if isinstance(scenario.subsidy, (int, float)):
            boost = np.where(target[0], float(scenario.subsidy), 0.0)
        elif isinstance(scenario.subsidy, np.ndarray):
            boost = np.asarray(scenario.subsidy, float)                 # per city, registry order
            if boost.shape != (N,):
                raise ValueError(f"scenario {scenario.name!r}: subsidy array needs {N} values, got {boost.shape}")
        else:
            s = pd.Series(scenario.subsidy, dtype=float)
            unknown = sorted(set(s.index) - set(reg.index))
            if unknown:
                raise ValueError(f"scenario {scenario.name!r}: unknown subsidy city {unknown}")
            boost = s.reindex(reg.index, fill_value=0.0).to_numpy()
        window = after & (tau < tau_s + scenario.subsidy_years)
        index = index + np.where(window, boost[None, :], 0.0)
    if hold_va or index is ext.index:
        va = ext.va
    else:
        # the index is unchanged before the start year, so re-solve from there on, starting
        # from the twin's state of the year before (bit for bit what a full solve gives)
        k = tau_s
        va = ext.va.copy()
        va[k:] = _sim._solve_participation(index[k:], st.pop[k:], p.alpha_N,
                                           init=None if k == 0 else ext.va[k - 1])

    # (4) flows: phi, talent and R&D masses, Greater Bay Area
    phi = p.phi
    if scenario.phi_gain:
        phi = np.where(after, min(p.phi + scenario.phi_gain, 0.99), p.phi)[:, :, None]   # (T, 1, 1)
    masses = st.masses
    if scenario.talent or scenario.rd:
        ramp = _ramp(tau, tau_s, scenario.ramp) * target
        masses = masses.copy()
        masses[0] = masses[0] * (1 + scenario.talent * ramp)
        masses[2] = masses[2] * (1 + scenario.rd * ramp)
    fn = _sim._flow_position(va, masses, st.logd, p.b0, phi)
    if scenario.gba_border is not None:
        fn = fn + _gba_change(ext, va, masses, phi, scenario.gba_border) * after

    st1 = st if q is st.q else replace(st, q=q)
    ag = _sim._agglomeration(st1, p, va, fn)
    sy = _synergy_by_block(st1, p, va, fn, ag, ext.n_hist)
    P, X = _sim._outcomes(st1, p, sy, ag)
    arrays = {"D": D, "q": q, "VA": va, "FN": fn, "AG": ag, "SY": sy, "P": P, "X": X}
    return Paths(scenario=scenario, years=years, cities=reg.index, arrays=arrays)


_TIME_FIELDS = ("D", "Z", "q", "eps", "pop", "national", "lam_A", "v_A", "lam_S", "w_S", "e_P", "e_X")


def _slice_state(st, sl: slice):
    kw = {f: getattr(st, f)[sl] for f in _TIME_FIELDS}
    return replace(st, years=st.years[sl], masses=st.masses[:, sl], **kw)


def _synergy_by_block(st, p, va, fn, ag, n_hist):
    """Synergy (6) solved separately for the twin's years and the future ones.

    The spatial solve is a matrix product over all years at once; BLAS may round a 20-row
    product differently from the twin's 13-row one in the last bit, so the history is solved
    on exactly the twin's block to reproduce it bit for bit.
    """
    T = va.shape[0]
    if T == n_hist:
        return _sim._synergy(st, p, va, fn, ag)
    blocks = [slice(0, n_hist), slice(n_hist, T)]
    return np.concatenate([_sim._synergy(_slice_state(st, b), p, va[b], fn[b], ag[b]) for b in blocks])


def _gba_change(ext: Extended, va, masses, phi, border):
    """Change in the 21 cities' FN when the boundary factor falls from border_sq to ``border``."""
    g = ext.gba
    pop = ext.st.pop
    prd = (ext.st.reg["region"] == "PRD").to_numpy()
    va_node = (va[:, prd] * pop[:, prd]).sum(axis=1) / pop[:, prd].sum(axis=1)
    va23 = np.concatenate([va, np.repeat(va_node[:, None], 2, axis=1)], axis=1)
    m23 = np.concatenate([masses, g["masses"]], axis=2)
    out = []
    for b in (border, ext.extra["border_sq"]):
        logd = g["logd"] + np.where(g["cross"], np.log(b), 0.0)
        out.append(_sim._flow_position(va23, m23, logd, ext.params.b0, phi)[:, :g["n"]])
    return out[0] - out[1]


# ----------------------------------------------------------------------------- outcomes
def disparity(paths: Paths, pop: np.ndarray) -> pd.DataFrame:
    """Disparity measures by year: Delta-rest gaps and Theil of productivity (SIMULATED).

    Columns ``gap_SY`` and ``gap_P`` (mean over Delta cities minus mean over the rest),
    ``theil`` (population-weighted Theil T of labour productivity exp(P)), ``theil_within``
    and ``theil_between`` (four regions), and province means ``mean_<var>`` (population-weighted
    for VA, unweighted city means for the others, as in the twin's own summaries).
    """
    reg = _data.city_table()
    prd = (reg["region"] == "PRD").to_numpy()
    a = paths.arrays
    rows = {}
    for t, year in enumerate(paths.years):
        th = _measure.theil(pd.Series(np.exp(a["P"][t]), index=reg.index), reg["region"],
                            pd.Series(pop[t], index=reg.index))
        rows[year] = {"gap_SY": a["SY"][t, prd].mean() - a["SY"][t, ~prd].mean(),
                      "gap_P": a["P"][t, prd].mean() - a["P"][t, ~prd].mean(),
                      "theil": th.total, "theil_within": th.within, "theil_between": th.between}
    out = pd.DataFrame.from_dict(rows, orient="index")
    w = pop / pop.sum(axis=1, keepdims=True)
    out["mean_VA"] = (a["VA"] * w).sum(axis=1)
    for v in ("FN", "AG", "SY", "P", "X"):
        out[f"mean_{v}"] = a[v].mean(axis=1)
    out.index.name = "year"
    return out


MEASURES = ("mean_VA", "mean_FN", "mean_AG", "mean_SY", "mean_P", "mean_X", "gap_SY", "gap_P",
            "theil", "theil_within", "theil_between")


def _run_draw(params: dict, seed: int, horizon: int, scenarios: dict, from_year: int) -> pd.DataFrame:
    """All scenarios for one parameter draw; long table of measures by scenario and year."""
    ext = extend_twin(params, seed=seed, horizon=horizon)
    frames = []
    for name, sc in scenarios.items():
        d = disparity(run_scenario(ext, sc), ext.st.pop)
        d = d[d.index >= from_year]
        frames.append(d.reset_index().melt(id_vars="year", var_name="measure").assign(scenario=name))
    return pd.concat(frames, ignore_index=True)


def draw_parameters(n_draws: int, seed: int = 0, ranges: pd.DataFrame | None = None) -> pd.DataFrame:
    """``n_draws`` independent uniform draws of the uncertain parameters (one row per draw)."""
    r = PARAM_RANGES if ranges is None else ranges
    rng = np.random.default_rng(seed)
    u = rng.random((n_draws, len(r)))
    vals = r["low"].to_numpy() + u * (r["high"] - r["low"]).to_numpy()
    return pd.DataFrame(vals, columns=r.index, index=pd.RangeIndex(n_draws, name="draw"))


@dataclass(repr=False)
class ScenarioResult(Result):
    """Scenarios under parameter uncertainty (see :func:`run_uncertainty`). SIMULATED.

    Attributes
    ----------
    draws : DataFrame
        Long table: draw, scenario, year, measure, value (levels).
    effects : DataFrame
        Same, value minus the baseline's in the same draw and year.
    bands : DataFrame
        Per scenario, measure and year: median and the 5, 25, 75, 95% quantiles of the
        effect over draws (``q05 ... q95``) and of the level (``level_*``).
    robustness : DataFrame
        Per scenario and measure, horizon-year effect: share of draws with a positive
        effect, with a negative one, the median, and ``holds`` (same sign in every draw).
    parameters : DataFrame
        The parameter draws.
    """

    draws: pd.DataFrame
    effects: pd.DataFrame
    bands: pd.DataFrame
    robustness: pd.DataFrame
    parameters: pd.DataFrame
    horizon: int
    scenarios: dict = field(default_factory=dict)

    def summary(self) -> str:
        return (f"Policy scenarios, {len(self.parameters)} parameter draws, horizon {self.horizon} "
                "(SIMULATED)\n" + self.robustness.to_string(float_format=lambda v: f"{v:.3f}"))


def _quantiles(g: pd.core.groupby.SeriesGroupBy, prefix: str = "") -> pd.DataFrame:
    q = g.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    q.columns = [f"{prefix}{c}" for c in ("q05", "q25", "median", "q75", "q95")]
    return q


def run_uncertainty(scenarios: dict | None = None, n_draws: int = 40, seed: int = _sim.DEFAULT_SEED,
                    draw_seed: int = 0, horizon: int = HORIZON, from_year: int = 2020,
                    n_jobs: int = 1, tol: float = 1e-9) -> ScenarioResult:
    """Run every scenario for ``n_draws`` parameter draws (shocks fixed by ``seed``).

    Parameters
    ----------
    scenarios : dict of name -> Scenario, optional
        Must contain ``"baseline"`` (default :func:`default_scenarios`).
    n_draws : int
        Parameter draws from :data:`PARAM_RANGES` (seeded by ``draw_seed``).
    n_jobs : int
        joblib processes; the draws are made before dispatch and each run is deterministic,
        so results do not depend on ``n_jobs``.
    tol : float
        An effect smaller than this in absolute value counts as zero in ``robustness``.
    """
    scenarios = dict(scenarios or default_scenarios())
    if "baseline" not in scenarios:
        raise ValueError("scenarios must include 'baseline' (effects are measured against it)")
    pars = draw_parameters(n_draws, draw_seed)
    tasks = [pars.loc[k].to_dict() for k in pars.index]
    if n_jobs == 1:
        out = [_run_draw(t, seed, horizon, scenarios, from_year) for t in tasks]
    else:
        from joblib import Parallel, delayed

        out = Parallel(n_jobs=n_jobs)(delayed(_run_draw)(t, seed, horizon, scenarios, from_year)
                                      for t in tasks)
    draws = pd.concat([o.assign(draw=k) for k, o in zip(pars.index, out)], ignore_index=True)
    draws = draws[["draw", "scenario", "year", "measure", "value"]]
    wide = draws.set_index(["draw", "scenario", "year", "measure"])["value"]
    base = wide.xs("baseline", level="scenario")
    eff = (wide - base.reindex(wide.index.droplevel("scenario")).to_numpy()).rename("value")
    effects = eff.reset_index()
    keys = ["scenario", "measure", "year"]
    bands = _quantiles(effects.groupby(keys)["value"]).join(
        _quantiles(draws.groupby(keys)["value"], "level_"))
    last = effects[(effects["year"] == horizon) & (effects["scenario"] != "baseline")]
    g = last.groupby(["scenario", "measure"], sort=False)["value"]
    rob = pd.DataFrame({"positive": g.apply(lambda v: float((v > tol).mean())),
                        "negative": g.apply(lambda v: float((v < -tol).mean())),
                        "median": g.median()})
    rob["holds"] = (rob["positive"] == 1) | (rob["negative"] == 1)
    return ScenarioResult(draws=draws, effects=effects, bands=bands, robustness=rob,
                          parameters=pars, horizon=horizon, scenarios=scenarios)


# ----------------------------------------------------------------------------- tables and sentences
MEASURE_LABELS = {
    "mean_VA": "participation (VA)", "mean_FN": "factor-flow position (FN)",
    "mean_AG": "agglomeration (AG)", "mean_SY": "synergy (SY)", "mean_P": "log productivity (P)",
    "mean_X": "log competitiveness (X)", "gap_SY": "Delta-rest synergy gap",
    "gap_P": "Delta-rest productivity gap", "theil": "Theil of productivity",
    "theil_within": "Theil within regions", "theil_between": "Theil between regions",
}


def _g(v: float) -> str:
    """Three significant digits with a sign (effects span 1e-4 to 1)."""
    return "0" if v == 0 else f"{v:+.3g}"


def outcome_table(res: ScenarioResult, measures=("mean_VA", "mean_FN", "mean_SY", "mean_P",
                                                 "gap_SY", "theil_between")) -> pd.DataFrame:
    """Scenarios x outcomes in the horizon year: median effect [90% band] (strings). SIMULATED."""
    b = res.bands.xs(res.horizon, level="year")
    rows = {}
    for sc in res.scenarios:
        if sc == "baseline":
            continue
        rows[sc] = {MEASURE_LABELS[m]: f"{_g(b.at[(sc, m), 'median'])} [{_g(b.at[(sc, m), 'q05'])}, "
                    f"{_g(b.at[(sc, m), 'q95'])}]" for m in measures}
    t = pd.DataFrame.from_dict(rows, orient="index")
    t.index.name = f"effect in {res.horizon} (SIMULATED)"
    return t


def robustness_sentences(res: ScenarioResult, measures=("mean_SY", "gap_SY", "theil")) -> list[str]:
    """Which conclusions hold in every draw and which flip, generated from the draws."""
    n = len(res.parameters)
    out = []
    for sc in res.scenarios:
        if sc == "baseline":
            continue
        parts_hold, parts_flip = [], []
        for m in measures:
            r = res.robustness.loc[(sc, m)]
            word = "raises" if r["median"] > 0 else "lowers"
            label = MEASURE_LABELS[m]
            if r["holds"]:
                parts_hold.append(f"{word} the {label} (median {_g(r['median'])})")
            elif r["positive"] == 0 and r["negative"] == 0:
                parts_hold.append(f"leaves the {label} unchanged")
            else:
                parts_flip.append(f"the {label} rises in {r['positive']:.0%} and falls in "
                                  f"{r['negative']:.0%} of draws")
        s = f"In {res.horizon}, the {sc} scenario "
        s += ("; ".join(parts_hold) + f" in all {n} draws" if parts_hold else "has no effect that holds in every draw")
        s += "." if not parts_flip else f"; it flips on the rest: {'; '.join(parts_flip)}."
        out.append(s)
    return out


def tradeoff_sentences(res: ScenarioResult) -> list[str]:
    """Scenarios that raise synergy while widening the Delta-rest gap, or narrow it (generated)."""
    b = res.bands.xs(res.horizon, level="year")["median"]
    out = []
    for sc in res.scenarios:
        if sc == "baseline":
            continue
        dsy, dgap = b[(sc, "mean_SY")], b[(sc, "gap_SY")]
        if dsy > 0 and dgap > 0:
            out.append(f"{sc}: raises mean synergy ({_g(dsy)}) but widens the Delta-rest gap ({_g(dgap)}) "
                       "in the median draw.")
        elif dsy > 0 and dgap < 0:
            out.append(f"{sc}: raises mean synergy ({_g(dsy)}) and narrows the Delta-rest gap ({_g(dgap)}) "
                       "in the median draw.")
        else:
            out.append(f"{sc}: changes mean synergy by {_g(dsy)} and the Delta-rest gap by {_g(dgap)} "
                       "in the median draw.")
    return out


def tipping_sentence(res: ScenarioResult, temporary: str = "subsidy_3y", tol: float = 1e-6) -> str:
    """Does a temporary subsidy outlast itself (tipping through the network externality)?"""
    if temporary not in res.scenarios:
        return f"No temporary-subsidy scenario ({temporary!r}) was run."
    sc = res.scenarios[temporary]
    end = sc.start + sc.subsidy_years - 1
    e = res.effects[(res.effects["scenario"] == temporary) & (res.effects["measure"] == "mean_VA")]
    peak = e[e["year"] <= end].groupby("draw")["value"].max()
    last = e[e["year"] == res.horizon].set_index("draw")["value"]
    lasting = int((last > tol).sum())
    n = len(last)
    s = (f"A subsidy paid only from {sc.start} to {end} raises participation by up to {_g(peak.median())} "
         f"(median over draws) while it is paid; in {res.horizon} participation is still higher in "
         f"{lasting} of {n} draws")
    if lasting == 0:
        s += (": with the drawn network externalities (alpha_N up to "
              f"{res.parameters['alpha_N'].max():.2f}) no city tips to a higher equilibrium, so the "
              "subsidy works only while it is paid.")
    else:
        s += f" (median lasting effect {_g(last.median())}): it tips participation in those draws."
    return s


def rollout_context(ext: Extended, start: int = 2025) -> str:
    """How much diffusion is left outside the Delta when a roll-out starts (generated)."""
    reg = ext.st.reg
    prd = (reg["region"] == "PRD").to_numpy()
    t = ext.st.years.index(start)
    d_rest, d_prd = ext.st.D[t, ~prd].mean(), ext.st.D[t, prd].mean()
    return (f"In the baseline, digital infrastructure outside the Delta stands at {d_rest:.0%} of its "
            f"saturation level in {start} (the Delta: {d_prd:.0%}), so a roll-out starting then has "
            f"{1 - d_rest:.0%} of the diffusion left to speed up.")


def va_share(ext: Extended, scenario: Scenario, year: int = HORIZON) -> float:
    """Share of a scenario's effect on mean synergy in ``year`` carried by participation (VA).

    1 - (effect with participation held at baseline) / (total effect); NaN when the total is 0.
    """
    t = ext.st.years.index(year)
    base = run_scenario(ext, Scenario("baseline", start=scenario.start)).arrays["SY"][t].mean()
    tot = run_scenario(ext, scenario).arrays["SY"][t].mean() - base
    held = run_scenario(ext, scenario, hold_va=True).arrays["SY"][t].mean() - base
    return float("nan") if abs(tot) < 1e-12 else float(1 - held / tot)


# ----------------------------------------------------------------------------- a fixed budget
@dataclass(repr=False)
class BudgetResult(Result):
    """Allocations of one subsidy budget and the synergy-disparity frontier (SIMULATED).

    Attributes
    ----------
    allocations : DataFrame
        Boost (logit points of the participation index) per city (rows) and allocation
        (columns ``uniform``, ``max_synergy``, ``max_gap_cut``).
    gains : DataFrame
        Change in each city's synergy in the horizon year, per allocation.
    outcomes : DataFrame
        Per allocation: ``synergy`` (sum over cities of the change in synergy in the horizon
        year) and ``gap_cut`` (fall in the Delta-rest synergy gap), and the optimiser's status.
    frontier : DataFrame
        Largest total synergy gain for a required gap cut (epsilon-constraint points).
    budget : float
        Budget in boost x 10k-residents units (a uniform boost ``budget_boost`` everywhere).
    """

    allocations: pd.DataFrame
    gains: pd.DataFrame
    outcomes: pd.DataFrame
    frontier: pd.DataFrame
    budget: float
    budget_boost: float

    def summary(self) -> str:
        return ("Fixed subsidy budget (SIMULATED)\n" + self.outcomes.to_string(float_format=lambda v: f"{v:.4f}")
                + "\n\nFrontier\n" + self.frontier.to_string(float_format=lambda v: f"{v:.4f}"))


class _BudgetModel:
    """Synergy gain and gap cut of an allocation of shares x (sum 1) of the budget; cached."""

    def __init__(self, ext, start, budget_boost, years):
        self.ext, self.start, self.years = ext, start, years
        self.t = ext.st.years.index(ext.st.years[-1])
        self.pop = ext.st.pop[ext.st.years.index(start)]
        self.budget = budget_boost * self.pop.sum()
        self.prd = (ext.st.reg["region"] == "PRD").to_numpy()
        self.base = run_scenario(ext, Scenario("baseline", start=start)).arrays["SY"][self.t]
        self.cache = {}

    def boosts(self, x):
        return np.asarray(x, float) * self.budget / self.pop

    def sy_change(self, x):
        key = np.asarray(x, float).round(12).tobytes()
        if key not in self.cache:
            sc = Scenario("budget", start=self.start, subsidy=self.boosts(x), subsidy_years=self.years)
            self.cache[key] = run_scenario(self.ext, sc).arrays["SY"][self.t] - self.base
        return self.cache[key]

    def synergy(self, x):
        return float(self.sy_change(x).sum())

    def gap_cut(self, x):
        d = self.sy_change(x)
        return float(-(d[self.prd].mean() - d[~self.prd].mean()))


def _optimise(m: _BudgetModel, objective, x0, ub, constraint=None):
    from scipy.optimize import minimize

    cons = [{"type": "eq", "fun": lambda x: x.sum() - 1.0}]
    if constraint is not None:
        cons.append({"type": "ineq", "fun": constraint})
    scale = abs(objective(x0)) or 1.0                                   # objective near 1
    r = minimize(lambda x: -objective(x) / scale, x0, method="SLSQP", bounds=[(0.0, u) for u in ub],
                 constraints=cons, options={"maxiter": 100, "ftol": 1e-7})
    x = np.clip(r.x, 0.0, None)
    return x / x.sum(), r


def budget_allocation(ext: Extended, budget_boost: float = 0.5, start: int = 2025,
                      max_boost: float = 4.0, n_frontier: int = 6) -> BudgetResult:
    """Spend one adoption-subsidy budget uniformly or where the model says it buys most.

    The budget equals a uniform boost of ``budget_boost`` logit points to every city's
    participation index from ``start`` to the horizon, costed per resident: spending
    ``b_i pop_i`` on city i. Targeted allocations solve, with SLSQP (scipy.optimize.minimize)
    over budget shares x (x_i >= 0, sum x = 1, b_i <= ``max_boost``),

    * max_synergy: max_x sum_i dSY_i(x) in the horizon year;
    * max_gap_cut: max_x -(mean_PRD dSY - mean_rest dSY);
    * the frontier: max_x sum_i dSY_i(x) s.t. gap cut >= r, for ``n_frontier`` values of r
      between the max-synergy and the max-gap-cut allocations' gap cuts.

    The model is nonlinear (logistic participation, network externality), so each optimum is
    local; the uniform allocation is the starting point and is kept when it does better.
    """
    years = ext.st.years[-1] - start + 1
    m = _BudgetModel(ext, start, budget_boost, years)
    N = len(m.pop)
    ub = max_boost * m.pop / m.budget
    x_u = m.pop / m.pop.sum()                                            # uniform boost
    allocs, status = {"uniform": x_u}, {"uniform": "uniform"}
    for name, obj in (("max_synergy", m.synergy), ("max_gap_cut", m.gap_cut)):
        x, r = _optimise(m, obj, x_u, ub)
        if obj(x) < obj(x_u):
            x = x_u
        allocs[name], status[name] = x, r.message
    lo, hi = m.gap_cut(allocs["max_synergy"]), m.gap_cut(allocs["max_gap_cut"])
    # the end points are the two targeted optima; interior points warm-start from the last one
    front = [(lo, allocs["max_synergy"])]
    for r_req in np.linspace(lo, hi, max(n_frontier, 2))[1:-1]:
        x, _ = _optimise(m, m.synergy, front[-1][1], ub,
                         constraint=lambda x, r_req=r_req: m.gap_cut(x) - r_req)
        front.append((r_req, x))
    front.append((hi, allocs["max_gap_cut"]))
    frontier = pd.DataFrame([{"required_gap_cut": r_req, "gap_cut": m.gap_cut(x), "synergy": m.synergy(x)}
                             for r_req, x in front])
    cities = ext.st.reg.index
    allocations = pd.DataFrame({k: m.boosts(x) for k, x in allocs.items()}, index=cities)
    gains = pd.DataFrame({k: m.sy_change(x) for k, x in allocs.items()}, index=cities)
    outcomes = pd.DataFrame({"synergy": {k: m.synergy(x) for k, x in allocs.items()},
                             "gap_cut": {k: m.gap_cut(x) for k, x in allocs.items()},
                             "status": status})
    outcomes.index.name = "allocation"
    return BudgetResult(allocations=allocations, gains=gains, outcomes=outcomes, frontier=frontier,
                        budget=float(m.budget), budget_boost=budget_boost)


def budget_sentences(b: BudgetResult) -> list[str]:
    """What targeting buys over spending uniformly (generated from the optimisation)."""
    o = b.outcomes
    u, s, g = o.loc["uniform"], o.loc["max_synergy"], o.loc["max_gap_cut"]
    reg = _data.city_table()
    prd = reg.index[reg["region"] == "PRD"]

    def share_prd(col):
        a = b.allocations[col] * reg["pop_2020"]
        return float(a[prd].sum() / a.sum())

    out = [
        f"Spread uniformly, the budget raises total synergy in the horizon year by {u['synergy']:.3f} "
        f"and changes the Delta-rest gap by {-u['gap_cut']:+.3f}.",
        f"Targeted at most synergy, the same budget buys {s['synergy']:.3f} "
        f"({s['synergy'] / u['synergy'] if u['synergy'] else float('nan'):.2f} times the uniform gain) "
        f"and changes the gap by {-s['gap_cut']:+.3f}; {share_prd('max_synergy'):.0%} of it goes to the Delta.",
        f"Targeted at the gap, it cuts the gap by {g['gap_cut']:.3f} at a total synergy gain of "
        f"{g['synergy']:.3f}; {share_prd('max_gap_cut'):.0%} of it goes to the Delta.",
    ]
    f = b.frontier
    if len(f) > 1:
        cost = (f["synergy"].iloc[0] - f["synergy"].iloc[-1]) / max(f["gap_cut"].iloc[-1] - f["gap_cut"].iloc[0], 1e-12)
        out.append(f"Along the frontier, each extra unit of gap cut costs about {cost:.2f} units of total synergy.")
    return out


# ----------------------------------------------------------------------------- detectability
def _detect_plan(sc: Scenario, ext: Extended):
    """The hypothesis that tests the chain a scenario works through, and the twin it lives in."""
    lv = set(sc.levers)
    params = {"phi": min(ext.params.phi + sc.phi_gain, 0.99)} if "platform" in lv else {}
    if lv & {"rollout", "subsidy"}:
        return "H1", params
    if "platform" in lv:
        return "H2", params
    return None, params


def detectability(scenarios: dict, n_reps: int = 4, seed: int = _sim.DEFAULT_SEED, horizon: int = HORIZON,
                  n_boot: int = 99, threshold_boot: int = 19, n_jobs: int = 1, first_seed: int = 1) -> pd.DataFrame:
    """Would the book's mechanism estimators on a 21 x 13 panel see each scenario's chain?

    For every scenario: its effect on mean synergy in the horizon year (twin defaults), the
    share of it carried by participation (:func:`va_share`), the hypothesis of
    :func:`helpers.report.hypothesis_verdicts` that tests the chain it works through (H1, the
    total effect of VA on synergy, for levers that move participation; H2, the flows channel,
    for platform integration, in twins whose phi is the policy's), and the share of ``n_reps``
    simulated 21 x 13 twins in which that hypothesis is declared supported
    (:func:`helpers.experiments.monte_carlo`). Levers that do not move participation (talent,
    GBA) get no hypothesis: every estimator of the book takes VA as the cause.
    """
    from . import experiments

    ext = extend_twin(seed=seed, horizon=horizon)
    t = ext.st.years.index(horizon)
    base = run_scenario(ext, Scenario("baseline")).arrays["SY"][t].mean()
    rows, mcs = [], {}
    for name, sc in scenarios.items():
        if name == "baseline":
            continue
        hyp, params = _detect_plan(sc, ext)
        power = np.nan
        if hyp is not None:
            key = tuple(sorted(params.items()))
            if key not in mcs:
                mcs[key] = experiments.monte_carlo(n_reps, params=params or None, first_seed=first_seed,
                                                   n_boot=n_boot, threshold_boot=threshold_boot,
                                                   n_jobs=n_jobs, progress=False)
            power = float(mcs[key].detection.at[hyp, "supported"])
        rows.append({"scenario": name,
                     "effect_SY": float(run_scenario(ext, sc).arrays["SY"][t].mean() - base),
                     "va_share": va_share(ext, sc, horizon), "hypothesis": hyp,
                     "twin": ", ".join(f"{k}={v:.2f}" for k, v in params.items()) or "defaults",
                     "power": power, "n_reps": n_reps})
    out = pd.DataFrame(rows).set_index("scenario")
    out.attrs["note"] = "SIMULATED: power from Monte Carlo twins (helpers.experiments)"
    return out


def detectability_sentences(det: pd.DataFrame, horizon: int = HORIZON) -> list[str]:
    """Sentences generated from :func:`detectability`."""
    from .report import HYPOTHESES

    out = []
    for name, r in det.iterrows():
        head = f"{name}: changes mean synergy in {horizon} by {r['effect_SY']:+.3f}"
        if abs(r["effect_SY"]) < 1e-9:
            out.append(head + "; there is nothing to detect.")
            continue
        share = r["va_share"]
        head += f", {share:.0%} of it through participation" if np.isfinite(share) else ""
        if r["hypothesis"] is None:
            out.append(head + ". No estimator of the book targets this chain (they all take virtual "
                       "agglomeration as the cause), so a study of the book's design would not see "
                       "this policy at work even where it works.")
            continue
        s = (head + f". Its chain is what {r['hypothesis']} tests ({HYPOTHESES[r['hypothesis']]}); in "
             f"{int(r['n_reps'])} simulated 21 x 13 twins ({r['twin']}) it is declared supported in {r['power']:.0%}")
        if r["power"] < 0.5:
            s += ": a study of this size would usually miss a policy that works."
        elif r["power"] < 0.8:
            s += f": a study of this size would see it in only about {r['power']:.0%} of cases."
        else:
            s += ": a study of this size would usually see it."
        out.append(s)
    return out
