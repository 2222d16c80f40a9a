r"""Calibration of the twin by the method of simulated moments (issue 21, item 2). SIMULATED.

The twin's shock scales, persistence and trend parameters (the calibration block of
:class:`helpers.simulate.TwinParams`) are chosen so that the twin's within-city moments
(:data:`helpers.analysis.moments.MOMENTS`, the targeted ones) match the real Guangdong's.

Objective. With real moments :math:`m_k` and their cluster-bootstrap SEs :math:`s_k`, and the
twin's moments averaged over a fixed set of seeds :math:`\bar m_k(\theta) = \frac1S \sum_s
m_k(\theta; s)`,

.. math::  Q(\theta) = \sum_{k \in \text{targeted}} \left(\frac{\bar m_k(\theta) - m_k}{s_k}\right)^2 ,

a diagonal-weight simulated-moments criterion (McFadden 1989; Pakes & Pollard 1989; the
diagonal weights follow Altonji & Segal 1996). Common random numbers: every evaluation uses
the same seeds, and the latent states that the fitted parameters cannot move (participation,
flows, agglomeration, synergy) are solved once per seed; each evaluation re-runs only the
outcomes (:func:`helpers.simulate._outcomes`) and the observation layer
(:func:`helpers.simulate._observe`) from the same generator state, so :math:`Q` is a
deterministic, piecewise-smooth function of :math:`\theta`.

Search. (1) Sequential one-parameter bisection: each parameter in :data:`FIT_PARAMS` in turn is
moved, the others held, until the gap of the moment it mainly drives changes sign (or the end of
its range with the smaller gap); (2) a joint Nelder-Mead polish of :math:`Q` on the parameters
scaled to [0, 1] (:func:`scipy.optimize.minimize`), with a quadratic penalty outside the box.

References
----------
McFadden, D. (1989). A method of simulated moments for estimation of discrete response models
without numerical integration. Econometrica 57(5), 995-1026.
Pakes, A., Pollard, D. (1989). Simulation and the asymptotics of optimization estimators.
Econometrica 57(5), 1027-1057.
Altonji, J. G., Segal, L. M. (1996). Small-sample bias in GMM estimation of covariance structures.
Journal of Business & Economic Statistics 14(3), 353-366.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize

from .. import simulate as _sim
from .._results import Result
from ..analysis import moments as _m
from .moments import twin_frame

#: Seeds of the calibration (common random numbers); the first is the bundled twin.
CALIBRATION_SEEDS = (20261122, 1, 2, 3, 4, 5)

#: Fitted parameters: name -> (lower, upper, the moment its bisection step matches). Order is
#: the order of the sequential step (trend and scale parameters of a moment before the moments
#: they also move).
FIT_PARAMS = {
    "convergence": (-0.02, 0.06, "theil_trend"),
    "loans_loading": (0.0, 1.5, "sd_log_loans_within"),
    "sigma_mfg": (0.0, 0.5, "sd_mfg_lq_within"),
    "broadband_noise": (0.0, 1.0, "sd_broadband_within"),
    "digital_income": (-50.0, 300.0, "corr_digital_gdppc"),
    "sigma_realloc": (0.0, 0.2, "sd_secondary_share_within"),
    # a floor: observed GDP keeps a share of the model's productivity variation (the data alone
    # would take the loading to about 0; see the report of the fit)
    "gdp_loading": (0.05, 1.0, "sd_growth_within"),
    "rho_P": (-0.6, 0.95, "ar1_growth"),
    "sigma_P": (0.0, 0.1, "sd_log_gdp_within"),
    # a positive floor: tertiary value added always carries synergy (the construct must move with it)
    "synergy_tertiary": (0.02, 1.0, "sd_coupling_within"),
    "gdp_noise": (0.0, 0.03, None),   # polished jointly only
}


@dataclass
class _World:
    """One seed's fixed part: the state, participation, the latent mediators, the calendar's
    productivity draws e_P and the generator state at the start of the observation layer."""

    st: object
    va: np.ndarray
    ag: np.ndarray
    sy: np.ndarray
    fn: np.ndarray
    e_P: np.ndarray   # the whole calendar's e_P (the AR(1) walk is re-run for each rho_P)
    rng_state: dict


def worlds(seeds=CALIBRATION_SEEDS, params: _sim.TwinParams | None = None, years=_sim.YEARS,
           cities: pd.DataFrame | None = None) -> list:
    """Solve the parts of each seed's twin that the calibration parameters do not move
    (``cities``: a :func:`helpers.data.cities.city_set`, default Guangdong's 21).

    Valid while the fitted parameters enter only :func:`helpers.simulate._outcomes` and
    :func:`helpers.simulate._observe` (a test compares with :func:`helpers.simulate.simulate_panel`).
    """
    p = params or _sim.TwinParams()
    out = []
    for s in seeds:
        st, va, rng = _sim._build_state(p, int(s), tuple(years), cities=cities)
        e_full = _sim._build_state(p, int(s), _sim.CALENDAR, cities=cities)[0].e_P
        fn, ag, sy, _, _ = _sim._downstream(st, p, va)
        out.append(_World(st, va, ag, sy, fn, e_full, copy.deepcopy(rng.generator.bit_generator.state)))
    return out


def world_panel(world: _World, params: _sim.TwinParams) -> pd.DataFrame:
    """The observed panel of one world under ``params`` (unrounded; same draws every call)."""
    rows = _sim.calendar_window(world.st.years)
    st = replace(world.st, e_P_walk=_sim._integrated_ar1(world.e_P, params.rho_P)[rows])
    P, X = _sim._outcomes(st, params, world.sy, world.ag)
    gen = np.random.default_rng()
    gen.bit_generator.state = copy.deepcopy(world.rng_state)
    rng = _sim._CalendarRng(gen, rows, st.W.shape[0])
    return _sim._observe(st, params, world.va, world.fn, world.ag, world.sy, P, X, rng)


def theil_trend_fast(df: pd.DataFrame) -> float:
    r""":func:`helpers.analysis.moments.theil_trend` in numpy (the total Theil T needs no groups):
    :math:`T_t = \sum_i \sigma_{it} \ln(\sigma_{it} / p_{it})`, :math:`\sigma` GDP shares and
    :math:`p` population shares of the year; least-squares slope over years."""
    d = df[["year", "gdp", "population"]].dropna()
    yi, years = pd.factorize(d["year"], sort=True)
    y, n = d["gdp"].to_numpy(float), d["population"].to_numpy(float)
    sig, p = y / np.bincount(yi, y)[yi], n / np.bincount(yi, n)[yi]
    t = np.bincount(yi, sig * np.log(sig / p))
    return float(np.polyfit(np.asarray(years, float), t, 1)[0]) if len(t) > 1 else np.nan


#: Moments with a faster implementation of the same number (a test checks the two agree).
_FAST = {"theil_trend": theil_trend_fast}


def twin_moments(params: _sim.TwinParams, ws: list, names=None) -> pd.DataFrame:
    """Moments (rows) of each world (columns) and their mean (column ``mean``). SIMULATED."""
    names = list(_m.MOMENTS) if names is None else list(names)
    cols = {}
    for k, w in enumerate(ws):
        fr = twin_frame(world_panel(w, params))
        cols[k] = pd.Series({n: _FAST.get(n, _m.MOMENTS[n][1])(fr) for n in names}, dtype=float)
    out = pd.DataFrame(cols)
    out["mean"] = out.mean(axis=1)
    return out


def targets(real: _m.MomentTable) -> pd.DataFrame:
    """Targeted moments with a finite real value and a positive SE: columns ``value``, ``se``."""
    t = real.table
    ok = t["targeted"].astype(bool) & t["value"].notna() & (t["se"] > 0)
    return t.loc[ok, ["value", "se"]]


def gaps(params: _sim.TwinParams, ws: list, tgt: pd.DataFrame) -> pd.Series:
    """(twin mean - real) / SE for each targeted moment."""
    tw = twin_moments(params, ws, tgt.index)["mean"]
    return (tw - tgt["value"]) / tgt["se"]


def _with(params, names, x):
    return replace(params, **{n: float(v) for n, v in zip(names, x, strict=True)})


def _bisect(params, name, ws, tgt, *, n_iter: int):
    """One parameter moved on its range until the gap of its moment changes sign."""
    lo, hi, mom = FIT_PARAMS[name]
    if mom is None or mom not in tgt.index:
        return params, 0

    def g(v):
        return float(gaps(replace(params, **{name: v}), ws, tgt.loc[[mom]]).iloc[0])

    a, b = lo, hi
    ga, gb = g(a), g(b)
    if np.sign(ga) == np.sign(gb):   # no root on the range: the end with the smaller gap
        return replace(params, **{name: a if abs(ga) < abs(gb) else b}), 2
    for _ in range(n_iter):
        c = 0.5 * (a + b)
        gc = g(c)
        if np.sign(gc) == np.sign(ga):
            a, ga = c, gc
        else:
            b, gb = c, gc
    return replace(params, **{name: a if abs(ga) < abs(gb) else b}), 2 + n_iter


@dataclass(repr=False)
class CalibrationFit(Result):
    """A simulated-moments fit: ``params`` (fitted values), ``start`` (values before the fit),
    ``objective`` (Q at the fit), ``table`` (targeted and held-back moments: ``real``, ``se``,
    ``twin (SIMULATED)``, ``gap (SEs)``, ``targeted``), ``seeds``, ``n_evals``, ``fitted`` (the
    parameters this fit moved; ``params`` holds every calibration parameter)."""

    params: dict
    start: dict
    objective: float
    table: pd.DataFrame
    seeds: tuple
    n_evals: int
    fitted: tuple = ()

    def summary(self) -> str:
        par = "\n".join(f"  {k} = {v:.6g} (start {self.start[k]:.6g})" for k, v in self.params.items())
        return (f"Simulated-moments fit (SIMULATED twin; seeds {list(self.seeds)}; Q = {self.objective:.4f}, "
                f"{self.n_evals} evaluations)\n{par}\n" + self.table.to_string(float_format=lambda v: f"{v:.4f}"))


def fit(real: _m.MomentTable, *, seeds=CALIBRATION_SEEDS, names=None, start: _sim.TwinParams | None = None,
        n_bisect: int = 10, maxfev: int = 300, ws: list | None = None) -> CalibrationFit:
    """Fit the calibration parameters ``names`` (default all of :data:`FIT_PARAMS`) to ``real``.

    Parameters
    ----------
    real : MomentTable
        Real moments with SEs (:func:`helpers.analysis.moments.moments`); the targeted rows with a
        finite value and a positive SE enter Q.
    seeds : sequence of int
        Twin seeds (common random numbers).
    start : TwinParams, optional
        Starting values (default the current defaults).
    n_bisect : int
        Bisection steps per parameter (0: skip the sequential step).
    maxfev : int
        Evaluations of the Nelder-Mead polish (0: skip it).
    """
    p0 = start or _sim.TwinParams()
    names = list(FIT_PARAMS) if names is None else list(names)
    ws = worlds(seeds, p0) if ws is None else ws
    tgt = targets(real)
    p, n_ev = p0, 0
    if n_bisect:
        for n in names:
            p, k = _bisect(p, n, ws, tgt, n_iter=n_bisect)
            n_ev += k
    lo = np.array([FIT_PARAMS[n][0] for n in names])
    span = np.array([FIT_PARAMS[n][1] for n in names]) - lo

    def q(z):
        zc = np.clip(z, 0.0, 1.0)
        return float((gaps(_with(p, names, lo + span * zc), ws, tgt) ** 2).sum()) + 1e3 * float(((z - zc) ** 2).sum())

    z0 = (np.array([getattr(p, n) for n in names]) - lo) / span
    if maxfev:
        res = optimize.minimize(q, z0, method="Nelder-Mead",
                                options={"maxfev": int(maxfev), "xatol": 1e-4, "fatol": 1e-4, "initial_simplex":
                                         np.vstack([z0] + [z0 + 0.05 * np.eye(len(z0))[i] for i in range(len(z0))])})
        n_ev += int(res.nfev)
        if res.fun < q(z0):
            p = _with(p, names, lo + span * np.clip(res.x, 0, 1))
    fitted = {n: float(getattr(p, n)) for n in FIT_PARAMS}   # all of them; ``names`` were moved
    return CalibrationFit(params=fitted, start={n: float(getattr(p0, n)) for n in FIT_PARAMS}, fitted=tuple(names),
                          objective=float((gaps(p, ws, tgt) ** 2).sum()), table=moment_table(real, p, ws),
                          seeds=tuple(int(s) for s in seeds), n_evals=n_ev)


def moment_table(real: _m.MomentTable, params: _sim.TwinParams, ws: list) -> pd.DataFrame:
    """Real moments (value, SE) beside the twin's mean over the worlds and the gap in SEs."""
    t = real.table[real.table["value"].notna()]
    names = [n for n in t.index if n in _m.MOMENTS]
    tw = twin_moments(params, ws, names)["mean"]
    tab = pd.DataFrame({"label": t.loc[names, "label"], "targeted": t.loc[names, "targeted"].astype(bool),
                        "real": t.loc[names, "value"], "se": t.loc[names, "se"], "twin (SIMULATED)": tw})
    tab["gap (SEs)"] = (tab["twin (SIMULATED)"] - tab["real"]) / tab["se"].where(tab["se"] > 0)
    return tab


def write_fit(result: CalibrationFit, path, *, source: str, n_boot: int, boot_seed: int, date: str,
              note: str = "") -> dict:
    """Write the fitted values and their provenance (seeds, moments, date, objective) as JSON."""
    rec = {
        "generator_version": _sim.GENERATOR_VERSION,
        "date": date,
        "method": "simulated moments: sequential bisection, then Nelder-Mead on sum of squared gaps in SEs",
        "real_source": source, "n_boot": int(n_boot), "boot_seed": int(boot_seed), "note": note,
        "seeds": list(result.seeds), "objective": result.objective, "n_evals": result.n_evals,
        "params": result.params, "fitted_in_this_run": list(result.fitted),
        "moments": {k: {c: (None if pd.isna(v) else (bool(v) if c == "targeted" else float(v)))
                        for c, v in row.items() if c != "label"}
                    for k, row in result.table.iterrows()},
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(rec, fh, indent=2, sort_keys=False)
        fh.write("\n")
    return rec


def calibrated_values(path) -> dict:
    """The fitted values recorded in a calibration file (:func:`write_fit`)."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["params"]


def defaults() -> dict:
    """The current :class:`helpers.simulate.TwinParams` defaults of the fitted parameters."""
    d = asdict(_sim.TwinParams())
    return {n: d[n] for n in FIT_PARAMS}


def national_twin_moments(names=None, *, seeds=(1, 2), params: _sim.TwinParams | None = None,
                          cities: pd.DataFrame | None = None, years=_sim.YEARS) -> pd.DataFrame:
    """Moments ``names`` (rows; default every moment of :data:`helpers.analysis.moments.MOMENTS`)
    of the national twin for each seed (columns, in the order of ``seeds``). SIMULATED: every
    prefecture-level unit of :func:`helpers.data.cities.city_set` ``"national"``, the model's own
    levels, no accounts; groups for the Theil index are provinces (the first two digits of the code)."""
    from ..data.cities import city_set

    p = params or _sim.TwinParams()
    cs = city_set("national") if cities is None else cities
    names = list(_m.MOMENTS) if names is None else list(names)
    cols = {}
    for s, w in zip(seeds, worlds(seeds, p, years, cities=cs), strict=True):
        fr = twin_frame(world_panel(w, p))
        fr["group"] = fr["code"].astype(str).str[:2]
        cols[int(s)] = pd.Series({n: _FAST.get(n, _m.MOMENTS[n][1])(fr) for n in names}, dtype=float)
    return pd.DataFrame(cols)


def national_table(real: _m.MomentTable, twin: pd.DataFrame) -> pd.DataFrame:
    """The national panel's moments (``real``) beside the national twin's mean over its seeds
    (``twin``: :func:`national_twin_moments`): ``real``, ``se``, ``twin (SIMULATED)``, ``gap (SEs)``."""
    t = real.table[real.table["value"].notna()]
    names = [n for n in t.index if n in _m.MOMENTS]
    tw = twin.reindex(names).mean(axis=1)
    tab = pd.DataFrame({"label": t.loc[names, "label"], "targeted": t.loc[names, "targeted"].astype(bool),
                        "real": t.loc[names, "value"], "se": t.loc[names, "se"], "twin (SIMULATED)": tw})
    tab["gap (SEs)"] = (tab["twin (SIMULATED)"] - tab["real"]) / tab["se"].where(tab["se"] > 0)
    return tab


def national_check(real: _m.MomentTable, *, seeds=(1, 2), params: _sim.TwinParams | None = None,
                   cities: pd.DataFrame | None = None, years=_sim.YEARS) -> pd.DataFrame:
    """The national twin (SIMULATED; :func:`national_twin_moments`) beside the national panel's
    moments (``real``, e.g. of :func:`helpers.analysis.moments.national_frame`): ``real``, ``se``,
    ``twin (SIMULATED)`` (mean over ``seeds``), ``gap (SEs)`` (:func:`national_table`). The
    twin is calibrated to Guangdong only; this is an out-of-sample comparison."""
    t = real.table[real.table["value"].notna()]
    names = [n for n in t.index if n in _m.MOMENTS]
    return national_table(real, national_twin_moments(names, seeds=seeds, params=params, cities=cities, years=years))
