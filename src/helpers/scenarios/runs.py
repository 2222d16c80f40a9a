r"""The twin extended to the horizon, and one scenario run on it with every shock held fixed.

History (2011-2023) is the twin's own, bit for bit; see :mod:`helpers.scenarios`. Every number here is SIMULATED.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .. import data as _data
from .. import simulate as _sim
from ..simulate import solve_participation
from .levers import _Q_SLOPE, EXTRA_DEFAULTS, GBA_NODES, HORIZON, Scenario


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
    init: np.ndarray | None = None  # participation the year before the first year (the calendar's)


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
    """The twin's state for 2011 to ``horizon``: a window of its long calendar.

    The twin is one world on :data:`helpers.simulate.CALENDAR` (2000-2040), so the years after
    2023 are that world's own: every equation continues with the calendar's shocks, and 2011-2023
    are exactly the twin's (:func:`helpers.simulate.simulate_panel`).

    Parameters
    ----------
    params : dict, optional
        Overrides of :class:`helpers.simulate.TwinParams` and of :data:`EXTRA_DEFAULTS`
        (``persistence``: adoption with persistence after the twin's years,
        :mod:`helpers.scenarios.dynamics`; 0, the default, is the static twin).
    seed : int
        The twin's seed.
    horizon : int
        Last year (2023 to the calendar's last year, 2040).
    """
    p, extra = _make_params(params)
    hist_years = _sim.YEARS
    if horizon < hist_years[-1]:
        raise ValueError(f"horizon {horizon} is before the twin's last year {hist_years[-1]}")
    if horizon > _sim.CALENDAR[-1]:
        raise ValueError(f"horizon {horizon} is after the twin's calendar ends ({_sim.CALENDAR[-1]})")
    years = tuple(range(hist_years[0], horizon + 1))
    st, va, _, parts = _sim._build_state(p, seed, years, return_parts=True)
    prd = (st.reg["region"] == "PRD").to_numpy()
    kappa = np.where(prd, p.kappa_prd, p.kappa_rest)
    T0 = len(hist_years)
    if extra["persistence"] and len(years) > T0:
        # adoption with persistence after the twin's observed years (2011-2023 stay the twin's)
        va = va.copy()
        va[T0:] = solve_participation(parts["index"][T0:], st.pop[T0:], p.alpha_N, alpha_E=p.alpha_E,
                                      W_E=st.W, persistence=extra["persistence"], init=va[T0 - 1])
    return Extended(params=p, extra=extra, seed=seed, st=st, index=parts["index"], va=va,
                    n_hist=T0, kappa=kappa, gba=_gba_network(st, extra), init=parts["init"])


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
        lam = np.where(np.arange(T) >= ext.n_hist, ext.extra["persistence"], 0.0)
        va[k:] = solve_participation(index[k:], st.pop[k:], p.alpha_N, alpha_E=p.alpha_E, W_E=st.W,
                                     persistence=lam[k:], init=ext.init if k == 0 else ext.va[k - 1])

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


_TIME_FIELDS = ("D", "Z", "q", "eps", "pop", "national", "lam_A", "v_A", "lam_S", "w_S", "e_P", "e_X",
                "e_P_walk")


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



def va_share(ext: Extended, scenario: Scenario, year: int = HORIZON) -> float:
    """Share of a scenario's effect on mean synergy in ``year`` carried by participation (VA).

    1 - (effect with participation held at baseline) / (total effect); NaN when the total is 0.
    """
    t = ext.st.years.index(year)
    base = run_scenario(ext, Scenario("baseline", start=scenario.start)).arrays["SY"][t].mean()
    tot = run_scenario(ext, scenario).arrays["SY"][t].mean() - base
    held = run_scenario(ext, scenario, hold_va=True).arrays["SY"][t].mean() - base
    return float("nan") if abs(tot) < 1e-12 else float(1 - held / tot)
