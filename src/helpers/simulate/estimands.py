r"""True effects matched to what each estimator estimates (the twin's side of the comparison).

:class:`helpers.simulate.TwinTruth` reports one-standard-deviation own-city effects averaged
equally over city-years, on the scale of the latent states. An estimator rarely targets that:

* **marginal, not one SD.** In a concave model a one-SD jump (which takes the platform share
  past 1 in some city-years) is not the slope a regression estimates; here the bump is small
  (``h``), so every share stays in [0, 1].
* **weighted, not equal.** With heterogeneous effects beta_it (the threshold, the concave flow
  law), two-way fixed effects estimate :math:`\sum_{it} w_{it}\beta_{it} / \sum_{it} w_{it}`
  with :math:`w_{it} = \tilde x_{it}^2`, the squared residual of the regressor after the fixed
  effects and the other regressors (Frisch-Waugh-Lovell; Aronow & Samii 2016: the regression
  weights are the conditional variance of the regressor). A regime slope uses the residual of
  its regime's column, within its regime (so a slope constant within a regime is recovered
  exactly). 2SLS weights by :math:`\tilde z_{it}\tilde x_{it}`. (The exact finite-sample
  identity for :math:`y = \beta_{it} x_{it}` would weight by :math:`\tilde x_{it} x_{it}`,
  which depends on the arbitrary level of x and, for the twin's concave flow law, misses the
  fixed-effects estimate by far more: 0.28 against 0.36 on the default twin.) Groups (Pearl
  River Delta / rest, below / above the true threshold) get their own weighted truths.
* **measured, not latent.** The estimates are slopes between standardised *constructs*
  (:func:`helpers.measure.constructs.build_constructs`), not latent states. The measured-scale truth
  pushes the counterfactual through the observation layer and the constructs with every noise
  draw held fixed (:func:`helpers.simulate.simulate_panel` with ``bump``): one run per treated
  city, the treated city's change in the outcome construct over its change in the regressor
  construct, both in units of the factual panel's standard deviations.

Indirect effects are products of their paths' truths (a b, a1 d21 b2), as their estimators are
products of path estimates; each path (a2, b1 and c' too) has its own counterfactual. Every truth
has a ``name`` and a ``scale``; :data:`TRUTH_FOR` maps each row of
:func:`helpers.analysis.report.estimates_table` (and the threshold and outcome slopes) to it.

Threshold slopes: the twin's threshold is in the *direct* slope c(q) of synergy on VA. The
book's threshold test (:func:`helpers.analysis.report.run_mechanism`) therefore holds the flow network
and agglomeration fixed (controls), and its regime slopes ``threshold_low`` / ``threshold_high``
target ``c_prime_below`` / ``c_prime_above``: the direct marginal effect weighted, within each
regime of the *true* threshold, by the squared residual of the regime's VA column after the
other regime's column, the mediators, log population and the fixed effects. The total effect by
regime (``c_below``, ``c_above``) is nearly flat on the latent scale and reversed on the measured
scale (the VA index is convex in the platform share); ``tools/diagnose_threshold.py`` has the
numbers.

Any city set and span: ``estimand_truths(cities=..., years=...)`` passes both to
:func:`helpers.simulate.simulate_panel` (as :func:`helpers.studies.design_twin` does); a truth
whose group is empty in the set (no Pearl River Delta city, no city-year above the threshold) is NaN. ``measured=False`` is the fast latent-only path for Monte Carlo loops; pass
the twin's ``truth`` when the caller has simulated it already. Only chapters, tests and studies
use this module; estimators never import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import registry as _registry
from .. import simulate as _sim
from .._results import Result
from ..measure import constructs as _constructs
from .counterfactual import _latent_wide, _va_bump_changes

#: Construct columns whose own-city change the measured truths record.
MEASURED = ("va_index", "va_topsis", "flow_network", "flow_talent", "flow_capital", "flow_technology",
            "lq_manufacturing", "synergy", "productivity", "competitiveness")

#: Estimate key -> (truth name, note), from :mod:`helpers.registry` (``total_lag`` has none: not scored).
TRUTH_FOR = _registry.truths_for()


@dataclass(repr=False)
class EstimandTruths(Result):
    """Estimand-matched truths of one twin (see module docstring).

    Attributes
    ----------
    truths : DataFrame
        Index ``name``; columns ``latent`` and ``measured`` (standardised: outcome SDs per
        regressor SD), ``latent_raw`` (latent units), ``one_sd`` (the one-SD, equally weighted
        truth of :class:`helpers.simulate.TwinTruth` where one exists), ``description``.
    table : DataFrame
        One row per estimate key of :data:`TRUTH_FOR`: ``truth`` (name), ``latent``,
        ``measured``, ``note``.
    per_city_year, h : dict
        Latent per-unit own-city marginal effects, (T, N) arrays, by name; bump sizes used (latent units).
    """

    truths: pd.DataFrame
    table: pd.DataFrame
    per_city_year: dict = field(default_factory=dict)
    h: dict = field(default_factory=dict)
    seed: int = 0

    def summary(self) -> str:
        return (f"Estimand-matched truths (SIMULATED twin, seed {self.seed})\n"
                + self.truths[["latent", "measured", "one_sd"]].to_string(float_format=lambda v: f"{v:.4f}"))

    def compare(self, table: pd.DataFrame, scale: str = "measured") -> pd.DataFrame:
        """Set each estimate of ``table`` (``report.estimates_table`` plus any extra keys of
        :data:`TRUTH_FOR`) beside the truth of its estimand on ``scale``; flag coverage."""
        if scale not in ("latent", "measured"):
            raise ValueError("scale must be 'latent' or 'measured'")
        t = table[table.index.isin(self.table.index)].copy()
        t["truth"] = self.table.loc[t.index, "truth"]
        t["true"] = self.table.loc[t.index, scale].astype(float)
        t["scale"] = scale
        t["covers"] = (t["ci_low"] <= t["true"]) & (t["true"] <= t["ci_high"])
        t["bias"] = t["estimate"] - t["true"]
        return t


# --------------------------------------------------------------------------- weights
def _two_way(a: np.ndarray) -> np.ndarray:
    """Two-way within transform of a balanced (T, N) array."""
    return a - a.mean(axis=0, keepdims=True) - a.mean(axis=1, keepdims=True) + a.mean()


def fwl_residual(x: np.ndarray, others=(), cities=None) -> np.ndarray:
    """Residual of the (T, N) regressor x after city and year effects and ``others`` (each (T, N)),
    within the city subsample ``cities`` (boolean (N,), default all); zero outside it.

    Its square is the weight a two-way fixed-effects slope gives each city-year's effect."""
    cities = np.ones(x.shape[1], bool) if cities is None else np.asarray(cities, bool)
    if not cities.any():
        return np.zeros_like(x, dtype=float)
    xs = _two_way(x[:, cities]).ravel()
    if len(others):
        O = np.column_stack([_two_way(o[:, cities]).ravel() for o in others])
        xs = xs - O @ np.linalg.lstsq(O, xs, rcond=None)[0]
    out = np.zeros_like(x, dtype=float)
    out[:, cities] = xs.reshape(x.shape[0], -1)
    return out


def weighted(beta: np.ndarray, w: np.ndarray) -> float:
    """sum w beta / sum w (NaN when every weight is zero: an empty group)."""
    tot = np.sum(w)
    return float(np.sum(w * beta) / tot) if tot != 0 else float("nan")


def latent_marginal(st, p, va, h: float = 1e-5) -> dict:
    """Per-unit own-city marginal effects (T, N) on the latent scale, by forward differences.

    VA bumps (shares stay in [0, 1]: h is far below 1 - max s): ``c`` (synergy, total),
    ``c_prime`` (direct), ``via_flows``, ``via_agglomeration``, ``serial`` (path-specific),
    ``a1`` (flows), ``a2`` (agglomeration holding flows), ``a_agglomeration`` (agglomeration,
    total), ``spillover`` (sum over other cities' synergy), ``productivity``, ``competitiveness``.
    Mediator bumps: ``b1`` (flows -> synergy holding VA and agglomeration), ``b_flows`` (holding
    VA only), ``b2`` (agglomeration -> synergy), ``d21`` (flows -> agglomeration), ``pi_S``,
    ``pi_A``, ``kappa_S``, ``kappa_P``.

    Each VA bump is solved exactly from the flows that involve the treated city (O(N^2 T) for
    all cities; see :func:`helpers.simulate.counterfactual._bump_responses`). Agglomeration, synergy and
    the outcomes are affine in the mediators, so a mediator bump of h in city i moves city i's
    synergy by h times the coefficient times :math:`S_{ii}`, :math:`S = (I - \\rho W)^{-1}`.
    """
    if va.max() + h >= 1:
        raise ValueError(f"latent_marginal: bump h={h} would take a share past 1")
    T, N = va.shape
    ch = _va_bump_changes(st, p, va, h, np.arange(N))      # (N, T) each, per bump h
    out = {
        "c": ch["sy_total"], "spillover": ch["sy_others"], "c_prime": ch["sy_direct"],
        "via_flows": ch["sy_via_fn"], "via_agglomeration": ch["sy_via_ag"], "serial": ch["sy_serial"],
        "a1": ch["fn"], "a2": ch["ag_via_va"], "a_agglomeration": ch["ag_total"],
        "productivity": ch["P"], "competitiveness": ch["X"],
    }
    out = {k: v.T / h for k, v in out.items()}
    s_ii = ch["E_own"].T                                                 # S_ii, (T, N)
    out["b1"] = p.b_FN * s_ii
    out["b_flows"] = (p.b_FN + p.b_AG * p.a_FN) * s_ii
    out["d21"] = np.full_like(va, p.a_FN)
    out["b2"] = p.b_AG * s_ii
    out["pi_S"], out["pi_A"] = np.full_like(va, p.pi_S), np.full_like(va, p.pi_A)
    out["kappa_S"] = np.full_like(va, p.kappa_S)                          # holding productivity
    out["kappa_P"] = np.full_like(va, p.kappa_P)
    return out


# --------------------------------------------------------------------------- measured scale
def _wide(df: pd.DataFrame, col: str, cities) -> np.ndarray:
    return df.pivot(index="year", columns="city", values=col)[cities].to_numpy(float)


def _constructs_of(params, seed, bump=None, city_set=None, years=_sim.YEARS) -> pd.DataFrame:
    panel, truth = _sim.simulate_panel(params=params, seed=seed, bump=bump, cities=city_set, years=years)
    c = _constructs.build_constructs(panel)
    c.attrs["latent_SY_sum"] = float(truth.latent["SY"].sum())
    return c


def measured_changes(params, seed: int, target: str, h, cities, city_set=None, years=_sim.YEARS) -> dict:
    """Own-city change of each construct in :data:`MEASURED` (T, N), one run per treated city
    bumping latent ``target`` by ``h`` (a number, or one per city) in all years, noise held
    fixed; also ``_others_synergy``."""
    h = np.broadcast_to(np.asarray(h, float), (len(cities),))
    base = _constructs_of(params, seed, city_set=city_set, years=years)
    b0 = {c: _wide(base, c, cities) for c in MEASURED}
    T, N = b0["synergy"].shape
    out = {c: np.zeros((T, N)) for c in MEASURED}
    out["_others_synergy"] = np.zeros((T, N))
    out["_latent_SY_change"] = np.zeros(N)     # sum over all city-years of the latent SY change
    for i in range(N):
        shift = np.zeros((T, N))
        shift[:, i] = h[i]
        cf = _constructs_of(params, seed, bump={target: shift}, city_set=city_set, years=years)
        for c in MEASURED:
            out[c][:, i] = _wide(cf, c, cities)[:, i] - b0[c][:, i]
        dsy = _wide(cf, "synergy", cities) - b0["synergy"]
        out["_others_synergy"][:, i] = dsy.sum(axis=1) - dsy[:, i]
        out["_latent_SY_change"][i] = cf.attrs["latent_SY_sum"] - base.attrs["latent_SY_sum"]
    return out, base


def measured_within_changes(params, seed: int, target: str, h, cities, city_set=None, years=_sim.YEARS,
                            hold=None) -> tuple[dict, pd.DataFrame]:
    """Own change of each construct's *two-way within transform* at every city-year (T, N) when
    latent ``target`` rises by ``h`` in that city-year alone, noise held fixed.

    City-years are treated in a Latin square: run k treats city (k + t) mod N in year t, so N
    runs treat every city-year once and no run treats two cells of one city or one year. The
    within transform is what fixed-effects estimators use, and it makes changes comparable
    whether an indicator is observed as it is or (like GDP and loans, calibrated to the real
    accounts) only through its within variation: a city-constant shift, which the fixed effects
    absorb anyway, leaves both unchanged.

    ``hold(shift)``, optional: extra latent bumps (a dict like ``bump``) added to each run, e.g.
    the counter-moves of the mediators that hold them at their factual values (direct effect).
    ``city_set`` and ``years``: the twin's cities (a :func:`helpers.data.cities.city_set` frame) and span.
    """
    h = np.broadcast_to(np.asarray(h, float), (len(cities),))
    base = _constructs_of(params, seed, city_set=city_set, years=years)
    b0 = {c: _wide(base, c, cities) for c in MEASURED}
    T, N = b0["synergy"].shape
    out = {c: np.zeros((T, N)) for c in MEASURED}
    rows = np.arange(T)
    for k in range(N):
        treated = (k + rows) % N
        shift = np.zeros((T, N))
        shift[rows, treated] = h[treated]
        bump = {target: shift}
        if hold is not None:
            for k, v in hold(shift).items():
                bump[k] = bump.get(k, 0.0) + v
        cf = _constructs_of(params, seed, bump=bump, city_set=city_set, years=years)
        for c in MEASURED:
            dw = _two_way(_wide(cf, c, cities) - b0[c])
            out[c][rows, treated] = dw[rows, treated]
    return out, base


# --------------------------------------------------------------------------- all truths
#: Latent truth -> (regressor, outcome) latent states whose SDs standardise it.
_REG_OF = {"c": ("VA", "SY"), "c_topsis": ("VA", "SY"), "c_iv": ("VA", "SY"), "c_prd": ("VA", "SY"),
           "c_rest": ("VA", "SY"), "a1": ("VA", "FN"), "a2": ("VA", "AG"), "a_agglomeration": ("VA", "AG"),
           "c_prime": ("VA", "SY"), "b1": ("FN", "SY"), "b_flows": ("FN", "SY"), "b2": ("AG", "SY"),
           "b_agglomeration": ("AG", "SY"), "d21": ("FN", "AG"), "spillover": ("VA", "SY"),
           "c_below": ("VA", "SY"), "c_above": ("VA", "SY"), "c_prime_below": ("VA", "SY"),
           "c_prime_above": ("VA", "SY"), "pi_S": ("SY", "P"), "pi_A": ("AG", "P"), "kappa_S": ("SY", "X"),
           "kappa_P": ("P", "X"), "productivity": ("VA", "P"), "competitiveness": ("VA", "X")}

#: Truth -> the row of ``TwinTruth.effects`` (one-SD effect averaged equally) shown beside it.
_ONE_SD_FOR = {"c": "total", "c_prd": "total_prd", "c_rest": "total_rest", "a1": "a_flows",
               "a_agglomeration": "a_agglomeration", "c_prime": "direct", "a1b1": "via_flows",
               "spillover": "spillover", "productivity": "productivity", "competitiveness": "competitiveness"}


def _latent_raw(beta, lat, st, p, prd, logpop, below) -> dict:
    """Latent truths in per-unit terms: each per-city-year effect weighted as its estimator
    weights it (the squared FWL residual of the latent regressor, or z~ x~ for 2SLS)."""
    def fe(b, x, others=(), cities_=None, inside=None):
        r = fwl_residual(x, others, cities_)
        return weighted(b, r**2 * (1.0 if inside is None else inside))

    X, FN, AG, SY, P = lat["VA"], lat["FN"], lat["AG"], lat["SY"], lat["P"]
    Zi = st.Z
    rz, rx = fwl_residual(Zi, [logpop]), fwl_residual(X, [logpop])
    raw = {
        "c": fe(beta["c"], X, [logpop]),
        "c_topsis": fe(beta["c"], X, [logpop]),
        "c_iv": weighted(beta["c"], rz * rx),
        "c_prd": fe(beta["c"], X, [logpop], prd), "c_rest": fe(beta["c"], X, [logpop], ~prd),
        "a1": fe(beta["a1"], X, [logpop]),
        "a2": fe(beta["a2"], X, [FN, logpop]),
        "a_agglomeration": fe(beta["a_agglomeration"], X, [logpop]),
        "c_prime": fe(beta["c_prime"], X, [FN, AG, logpop]),
        "b1": fe(beta["b1"], FN, [X, AG, logpop]), "b_flows": fe(beta["b_flows"], FN, [X, logpop]),
        "b2": fe(beta["b2"], AG, [X, FN, logpop]), "b_agglomeration": fe(beta["b2"], AG, [X, logpop]),
        "d21": fe(beta["d21"], FN, [X, logpop]),
        "spillover": fe(beta["spillover"], X, [logpop]),
        "c_below": fe(beta["c"], X * below, [X * ~below, logpop], inside=below),
        "c_above": fe(beta["c"], X * ~below, [X * below, logpop], inside=~below),
        "c_prime_below": fe(beta["c_prime"], X * below, [X * ~below, FN, AG, logpop], inside=below),
        "c_prime_above": fe(beta["c_prime"], X * ~below, [X * below, FN, AG, logpop], inside=~below),
        "pi_S": fe(beta["pi_S"], SY, [AG, logpop]), "pi_A": fe(beta["pi_A"], AG, [SY, logpop]),
        "kappa_S": fe(beta["kappa_S"], SY, [P, logpop]), "kappa_P": float(p.kappa_P),
        "productivity": fe(beta["productivity"], X, [logpop]),
        "competitiveness": fe(beta["competitiveness"], X, [logpop]),
    }
    return raw


def _standardised(raw: dict, sd: dict) -> dict:
    """Per-unit latent truths in standardised units, plus the products of the paths."""
    latent_std = {k: v * sd[_REG_OF[k][0]] / sd[_REG_OF[k][1]] for k, v in raw.items()}
    latent_std["c_gap"] = latent_std["c_prd"] - latent_std["c_rest"]
    for fac in ("talent", "capital", "technology"):
        latent_std[f"ab_{fac}"] = latent_std["a1"] * latent_std["b_flows"]   # one latent FN behind all three
    latent_std["ab_flows"] = latent_std["a1"] * latent_std["b_flows"]
    latent_std["ab_agglomeration"] = latent_std["a_agglomeration"] * latent_std["b_agglomeration"]
    latent_std["a1b1"] = latent_std["a1"] * latent_std["b1"]
    latent_std["a2b2"] = latent_std["a2"] * latent_std["b2"]
    latent_std["a1d21b2"] = latent_std["a1"] * latent_std["d21"] * latent_std["b2"]
    return latent_std


def estimand_truths(params=None, seed: int = _sim.DEFAULT_SEED, h_latent: float = 1e-5,
                    h_measured: float = 0.02, measured: bool = True, *, cities: pd.DataFrame | None = None,
                    years=_sim.YEARS, truth=None) -> EstimandTruths:
    """Estimand-matched truths of the twin ``(params, seed)`` (see module docstring).

    Parameters
    ----------
    params : dict or TwinParams, optional
    seed : int
    h_latent : float
        Bump of the latent states for the latent-scale derivatives.
    h_measured : float
        Bump for the measured scale: large enough to survive the panel's yearbook rounding,
        small enough to be marginal (the share stays below 1: checked).
    measured : bool
        Also compute the measured-scale truths (7 x N + 2 x N twin runs; 10-30 s for the 21
        cities). ``False``: latent scale only (``measured`` column NaN), the path for Monte
        Carlo loops.
    cities : DataFrame, optional
        City set (:func:`helpers.data.cities.city_set` format) passed to
        :func:`helpers.simulate.simulate_panel`; default Guangdong's 21.
    years : sequence of int
        Span passed to :func:`helpers.simulate.simulate_panel`.
    truth : TwinTruth, optional
        The twin's truth for ``(params, seed, cities, years)`` when the caller has it (saves one
        simulation); its ``params`` are used.
    """
    years = tuple(int(y) for y in years)
    if truth is None:
        _, truth = _sim.simulate_panel(params=params, seed=seed, cities=cities, years=years)
    p = truth.params
    same = truth.state is not None and truth.state[2] == years     # the same twin: no second simulation
    st, va = truth.state[:2] if same else _sim._build_state(p, seed, years, cities=cities)[:2]
    cities_, cities = cities, list(st.reg.index)
    lat = _latent_wide(truth.latent, ["VA", "FN", "AG", "SY", "P", "X", "q"], cities)
    beta = latent_marginal(st, p, va, h_latent)
    prd = (st.reg["region"] == "PRD").to_numpy()
    logpop = np.log(st.pop)
    below = lat["q"] <= p.gamma
    sd = {k: lat[k].std() for k in lat}

    raw = _latent_raw(beta, lat, st, p, prd, logpop, below)
    latent_std = _standardised(raw, sd)

    meas = {k: np.nan for k in latent_std}
    if measured:
        meas = _measured_truths(p, seed, va, st, cities, prd, below, h_measured, city_set=cities_, years=years)
    one_sd = truth.effects["std"]
    names = sorted(latent_std)
    truths = pd.DataFrame({
        "latent": pd.Series(latent_std)[names], "measured": pd.Series(meas).reindex(names),
        "latent_raw": pd.Series(raw).reindex(names),
        "one_sd": pd.Series({k: float(one_sd[v]) for k, v in _ONE_SD_FOR.items()}).reindex(names),
    })
    truths.index.name = "name"
    table = pd.DataFrame([(k, n, truths.at[n, "latent"], truths.at[n, "measured"], note)
                          for k, (n, note) in TRUTH_FOR.items()],
                         columns=["key", "truth", "latent", "measured", "note"]).set_index("key")
    return EstimandTruths(truths=truths, table=table, per_city_year=beta,
                          h={"latent": h_latent, "measured": h_measured}, seed=seed)


def _measured_truths(params, seed, va, st, cities, prd, below, h, city_set=None, years=_sim.YEARS) -> dict:
    """Measured-scale truths: the slopes of :func:`_measured_slopes` on the constructs' changes
    of :func:`_measured_runs` (bumped twins pushed through the observation layer)."""
    d, z, base, logpop = _measured_runs(params, seed, va, st, cities, h, city_set=city_set, years=years)
    return _measured_slopes(d, z, base, logpop, cities, prd, below)


def _measured_runs(params, seed, va, st, cities, h, city_set=None, years=_sim.YEARS):
    """Standardised construct changes per bumped latent state (``d``), the factual constructs
    in wide form (``z``), the factual constructs and the log population."""
    # a city whose share comes close to 1 gets a smaller bump (half its distance to 1): every
    # truth below is a ratio of construct changes, so the bump's size cancels
    h_va = np.minimum(h, 0.5 * (1.0 - va.max(axis=0)))
    runs, d = {}, {}
    # spillovers: one city bumped in all years (changes in other cities' synergy, a construct
    # observed as it is); every own-city slope: city-years one at a time, within-transformed
    for target in ("VA", "SY"):
        runs[target], base = measured_changes(params, seed, target, h_va if target == "VA" else h, cities,
                                              city_set=city_set, years=years)
    sd = {c: base[c].std(ddof=0) for c in MEASURED}                    # factual panel's SDs
    z = {c: _wide(base, c, cities) / sd[c] for c in MEASURED}
    for target in ("VA", "FN", "AG", "SY", "P"):
        w, _ = measured_within_changes(params, seed, target, h_va if target == "VA" else h, cities,
                                       city_set=city_set, years=years)
        d[target] = {c: v / sd[c] for c, v in w.items()}
    # direct effect: VA bumped, latent flows and agglomeration held at their factual values (the
    # counter-bumps undo VA's move of FN in every city and of AG through a_VA); the mediators'
    # constructs then move only through the observation layer, e.g. wages through productivity
    fn0 = _sim._flow_position(va, st.masses, st.logd, params.b0, params.phi)

    def hold(shift):
        dfn = _sim._flow_position(va + shift, st.masses, st.logd, params.b0, params.phi) - fn0
        return {"FN": -dfn, "AG": -params.a_VA * shift}

    w, _ = measured_within_changes(params, seed, "VA", h_va, cities, city_set=city_set, years=years, hold=hold)
    d["VA_direct"] = {c: v / sd[c] for c, v in w.items()}
    # a2: VA bumped, latent flows held; b1: flows bumped, latent agglomeration (a_FN FN) held
    for key, target, hh, hold_ in (("VA_hold_FN", "VA", h_va, lambda sh: {"FN": hold(sh)["FN"]}),
                                   ("FN_hold_AG", "FN", h, lambda sh: {"AG": -params.a_FN * sh})):
        w, _ = measured_within_changes(params, seed, target, hh, cities, city_set=city_set, years=years, hold=hold_)
        d[key] = {c: v / sd[c] for c, v in w.items()}
    for t in runs:
        d[t]["_others_synergy"] = runs[t]["_others_synergy"] / sd["synergy"]
        d[t]["_own_synergy_city"] = runs[t]["synergy"] / sd["synergy"]
        d[t]["_own_va_city"] = runs[t]["va_index"] / sd["va_index"]
    # The observation layer measures synergy relative to the panel mean of latent synergy, so a
    # rise anywhere lowers every other city's measured synergy by a common amount, which the
    # estimators' fixed effects absorb. Its size per unit of latent synergy is read off the
    # SY-bump runs (synergy moved in one city, no spatial propagation) and removed from the
    # VA runs' changes in other cities, scaled by the VA run's total latent synergy change.
    T = d["VA"]["synergy"].shape[0]
    common = d["SY"]["_others_synergy"] / (T * h)                       # (T, N) per unit of sum SY
    scale = runs["VA"]["_latent_SY_change"][None, :]
    d["VA"]["_others_synergy"] = d["VA"]["_others_synergy"] - common * scale
    logpop = np.log(_wide(base.assign(p_=base["population"]), "p_", cities))
    return d, z, base, logpop


def _measured_slopes(d, z, base, logpop, cities, prd, below) -> dict:
    """Each estimator's weighted local slope on the measured constructs' changes."""
    def ratio(target, y, x, others, cities_=None, num=None):
        # weighted local slope: sum w dy / sum w dx, w the squared FWL residual of construct x
        w = fwl_residual(z[x], [z[o] for o in others] + [logpop], cities_) ** 2
        dy = d[target][y] if num is None else num
        return float(np.sum(w * dy) / np.sum(w * d[target][x]))

    V = d["VA"]
    zx = z["va_index"]
    m = {
        "c": ratio("VA", "synergy", "va_index", []),
        "c_topsis": ratio("VA", "synergy", "va_topsis", []),
        "c_prd": ratio("VA", "synergy", "va_index", [], prd),
        "c_rest": ratio("VA", "synergy", "va_index", [], ~prd),
        "a1": ratio("VA", "flow_network", "va_index", []),
        "a_agglomeration": ratio("VA", "lq_manufacturing", "va_index", []),
        "spillover": float(np.sum(fwl_residual(z["va_index"], [logpop]) ** 2 * V["_others_synergy"])
                           / np.sum(fwl_residual(z["va_index"], [logpop]) ** 2 * V["_own_va_city"])),
        "productivity": ratio("VA", "productivity", "va_index", []),
        "competitiveness": ratio("VA", "competitiveness", "va_index", []),
        "b_flows": ratio("FN", "synergy", "flow_network", ["va_index"]),
        "b_agglomeration": ratio("AG", "synergy", "lq_manufacturing", ["va_index"]),
        "b2": ratio("AG", "synergy", "lq_manufacturing", ["va_index", "flow_network"]),
        "d21": ratio("FN", "lq_manufacturing", "flow_network", ["va_index"]),
        "pi_S": ratio("SY", "productivity", "synergy", ["lq_manufacturing"]),
        "pi_A": ratio("AG", "productivity", "lq_manufacturing", ["synergy"]),
        "kappa_S": ratio("SY", "competitiveness", "synergy", ["productivity"],
                         num=d["SY"]["competitiveness"] - d["SY"]["productivity"]
                         * (d["P"]["competitiveness"] / d["P"]["productivity"])),
        "kappa_P": ratio("P", "competitiveness", "productivity", ["synergy"]),
    }
    # IV: instrument-weighted
    inst = _wide(base, "instrument", cities)
    rz, rx = fwl_residual(inst, [logpop]), fwl_residual(zx, [logpop])
    w = rz * rx
    m["c_iv"] = float(np.sum(w * V["synergy"]) / np.sum(w * V["va_index"]))
    # regime slopes by the true threshold on the observed broadband
    xb, xa = zx * below, zx * ~below
    for name, xr, xo, inside in (("c_below", xb, xa, below), ("c_above", xa, xb, ~below)):
        wr = fwl_residual(xr, [xo, logpop]) ** 2 * inside
        m[name] = float(np.sum(wr * V["synergy"]) / np.sum(wr * V["va_index"]))
    Vd = d["VA_direct"]
    for name, xr, xo, inside in (("c_prime_below", xb, xa, below), ("c_prime_above", xa, xb, ~below)):
        wr = fwl_residual(xr, [xo, z["flow_network"], z["lq_manufacturing"], logpop]) ** 2 * inside
        den = np.sum(wr * Vd["va_index"])
        m[name] = float(np.sum(wr * Vd["synergy"]) / den) if den != 0 else float("nan")
    # own counterfactuals, not c = c' + a1 b1 + a2 b2 + a1 d21 b2, an identity the OLS estimates obey
    m["a2"] = ratio("VA_hold_FN", "lq_manufacturing", "va_index", ["flow_network"])
    m["b1"] = ratio("FN_hold_AG", "synergy", "flow_network", ["va_index", "lq_manufacturing"])
    m["c_prime"] = ratio("VA_direct", "synergy", "va_index", ["flow_network", "lq_manufacturing"])
    for fac in ("talent", "capital", "technology"):
        col = f"flow_{fac}"
        a = ratio("VA", col, "va_index", [])
        b = ratio("FN", "synergy", col, ["va_index"])
        m[f"ab_{fac}"] = a * b
    m["c_gap"] = m["c_prd"] - m["c_rest"]
    m["ab_flows"] = m["a1"] * m["b_flows"]
    m["ab_agglomeration"] = m["a_agglomeration"] * m["b_agglomeration"]
    m["a1b1"] = m["a1"] * m["b1"]
    m["a2b2"] = m["a2"] * m["b2"]
    m["a1d21b2"] = m["a1"] * m["d21"] * m["b2"]
    return m
