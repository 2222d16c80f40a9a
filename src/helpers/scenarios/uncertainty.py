r"""Scenarios under parameter uncertainty: disparity measures, parameter draws, bands, robustness.

Each run also reports the real-unit measures of :mod:`helpers.scenarios.real_units` (value
added in 100 million yuan, coupling coordination of secondary and tertiary value added).

Every number here is SIMULATED.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import data as _data
from .. import simulate as _sim
from .._results import Result
from .levers import HORIZON, PARAM_RANGES, default_scenarios
from .real_units import REAL_MEASURES, real_measures
from .runs import Paths, extend_twin, run_scenario


# ----------------------------------------------------------------------------- outcomes
def theil_by_year(y: np.ndarray, pop: np.ndarray, groups) -> dict:
    r"""Population-weighted Theil T of ``y`` (T, N) per year, with its between/within split.

    The formula of :func:`helpers.measure.theil`, vectorised over years (tested against it):
    :math:`s_i = w_i y_i / \sum_k w_k y_k`, :math:`p_i = w_i / \sum_k w_k`,
    :math:`T = \sum_i s_i \ln(s_i / p_i)`, between :math:`\sum_g S_g \ln(S_g / P_g)`,
    within :math:`T - \text{between}`.
    """
    codes, _ = pd.factorize(np.asarray(groups))
    G = np.eye(codes.max() + 1)[codes]                                  # (N, groups) indicator
    s = pop * y / (pop * y).sum(axis=1, keepdims=True)
    p = pop / pop.sum(axis=1, keepdims=True)
    total = (s * np.log(s / p)).sum(axis=1)
    S, P = s @ G, p @ G
    between = (S * np.log(S / P)).sum(axis=1)
    return {"theil": total, "theil_within": total - between, "theil_between": between}


def disparity(paths: Paths, pop: np.ndarray) -> pd.DataFrame:
    """Disparity measures by year: Delta-rest gaps and Theil of productivity (SIMULATED).

    Columns ``gap_SY`` and ``gap_P`` (mean over Delta cities minus mean over the rest),
    ``theil`` (population-weighted Theil T of labour productivity exp(P)), ``theil_within``
    and ``theil_between`` (four regions; :func:`theil_by_year`), and province means
    ``mean_<var>`` (population-weighted for VA, unweighted city means for the others, as in the
    twin's own summaries).
    """
    reg = _data.city_table()
    prd = (reg["region"] == "PRD").to_numpy()
    a = paths.arrays
    out = pd.DataFrame({"gap_SY": a["SY"][:, prd].mean(axis=1) - a["SY"][:, ~prd].mean(axis=1),
                        "gap_P": a["P"][:, prd].mean(axis=1) - a["P"][:, ~prd].mean(axis=1),
                        **theil_by_year(np.exp(a["P"]), pop, reg["region"].astype(str))},
                       index=pd.Index(paths.years, name="year"))
    w = pop / pop.sum(axis=1, keepdims=True)
    out["mean_VA"] = (a["VA"] * w).sum(axis=1)
    for v in ("FN", "AG", "SY", "P", "X"):
        out[f"mean_{v}"] = a[v].mean(axis=1)
    return out


MEASURES = ("mean_VA", "mean_FN", "mean_AG", "mean_SY", "mean_P", "mean_X", "gap_SY", "gap_P",
            "theil", "theil_within", "theil_between") + REAL_MEASURES


def _run_draw(params: dict, seed: int, horizon: int, scenarios: dict, from_year: int) -> pd.DataFrame:
    """All scenarios for one parameter draw; long table of measures by scenario and year."""
    ext = extend_twin(params, seed=seed, horizon=horizon)
    paths = {name: run_scenario(ext, sc) for name, sc in scenarios.items()}
    real = real_measures(ext, paths)
    frames = []
    for name, p in paths.items():
        d = disparity(p, ext.st.pop).join(real[name])
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


def parameters_from_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The frame of :func:`draw_parameters` from its rows (``draw`` as a column 0, 1, ..., as stored)."""
    draw = rows["draw"].to_numpy()
    if not np.array_equal(draw, np.arange(len(draw))):
        raise ValueError(f"parameter rows must be draws 0, 1, ..., {len(draw) - 1} in order; got {draw.tolist()}")
    out = rows.drop(columns="draw")
    out.index = pd.RangeIndex(len(out), name="draw")
    out.columns.name = PARAM_RANGES.index.name         # lost in a Parquet round trip
    return out


@dataclass(repr=False)
class ScenarioResult(Result):
    """Scenarios under parameter uncertainty (see :func:`run_uncertainty`). SIMULATED.

    Attributes
    ----------
    draws : DataFrame
        Long table: seed, draw, scenario, year, measure, value (levels); one run per twin
        seed and parameter draw.
    effects : DataFrame
        Same, value minus the baseline's in the same draw and year.
    bands : DataFrame
        Per scenario, measure and year: median and the 5, 25, 75, 95% quantiles of the
        effect over runs (seeds x draws; ``q05 ... q95``) and of the level (``level_*``).
    robustness : DataFrame
        Per scenario and measure, horizon-year effect: share of runs with a positive
        effect, with a negative one, the median, and ``holds`` (same sign in every run).
    parameters : DataFrame
        The parameter draws.
    seeds : tuple of int
        The twin seeds (each draw runs on every seed).
    """

    draws: pd.DataFrame
    effects: pd.DataFrame
    bands: pd.DataFrame
    robustness: pd.DataFrame
    parameters: pd.DataFrame
    horizon: int
    scenarios: dict = field(default_factory=dict)
    seeds: tuple = ()

    @property
    def n_runs(self) -> int:
        """Runs behind each band: parameter draws times twin seeds."""
        return len(self.parameters) * max(len(self.seeds), 1)

    def summary(self) -> str:
        return (f"Policy scenarios, {len(self.parameters)} parameter draws x {len(self.seeds)} twin seeds, "
                f"horizon {self.horizon} (SIMULATED)\n" + self.robustness.to_string(float_format=lambda v: f"{v:.3f}"))


def _quantiles(g: pd.core.groupby.SeriesGroupBy, prefix: str = "") -> pd.DataFrame:
    q = g.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    q.columns = [f"{prefix}{c}" for c in ("q05", "q25", "median", "q75", "q95")]
    return q


def _check_scenarios(scenarios: dict | None) -> dict:
    scenarios = dict(scenarios or default_scenarios())
    if "baseline" not in scenarios:
        raise ValueError("scenarios must include 'baseline' (effects are measured against it)")
    return scenarios


def _seeds(seed: int, seeds) -> tuple:
    return tuple(int(s) for s in ((seed,) if seeds is None else seeds))


def uncertainty_rows(scenarios: dict | None = None, n_draws: int = 40, seed: int = _sim.DEFAULT_SEED,
                     draw_seed: int = 0, horizon: int = HORIZON, from_year: int = 2020, n_jobs: int = 1,
                     seeds=None, fixed: dict | None = None) -> dict:
    """The raw rows of :func:`run_uncertainty` (what a store keeps); arguments as there.

    Returns
    -------
    dict
        ``"draws"``: one row per twin seed, parameter draw, scenario, year and measure (levels:
        seed, draw, scenario, year, measure, value); ``"parameters"``: one row per draw (a
        ``draw`` column and one column per drawn parameter). :func:`summarise_uncertainty`
        turns them into the result.
    """
    scenarios = _check_scenarios(scenarios)
    pars = draw_parameters(n_draws, draw_seed)
    runs = [(s, k) for s in _seeds(seed, seeds) for k in pars.index]
    tasks = [({**pars.loc[k].to_dict(), **dict(fixed or {})}, s) for s, k in runs]
    if n_jobs == 1:
        out = [_run_draw(t, s, horizon, scenarios, from_year) for t, s in tasks]
    else:
        from joblib import Parallel, delayed

        out = Parallel(n_jobs=n_jobs)(delayed(_run_draw)(t, s, horizon, scenarios, from_year)
                                      for t, s in tasks)
    draws = pd.concat([o.assign(seed=s, draw=k) for (s, k), o in zip(runs, out)], ignore_index=True)
    return {"draws": draws[["seed", "draw", "scenario", "year", "measure", "value"]],
            "parameters": pars.reset_index()}


def summarise_uncertainty(rows: dict, scenarios: dict, horizon: int, seeds, tol: float = 1e-9) -> ScenarioResult:
    """The :class:`ScenarioResult` of the raw rows of :func:`uncertainty_rows` (computed now or read
    from a store: the same numbers either way). ``scenarios`` and ``seeds`` are the ones the rows
    were computed for; ``tol`` as in :func:`run_uncertainty`."""
    draws = rows["draws"]
    wide = draws.set_index(["seed", "draw", "scenario", "year", "measure"])["value"]
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
                          parameters=parameters_from_rows(rows["parameters"]), horizon=horizon,
                          scenarios=dict(scenarios), seeds=tuple(int(s) for s in seeds))


def run_uncertainty(scenarios: dict | None = None, n_draws: int = 40, seed: int = _sim.DEFAULT_SEED,
                    draw_seed: int = 0, horizon: int = HORIZON, from_year: int = 2020,
                    n_jobs: int = 1, tol: float = 1e-9, seeds=None, fixed: dict | None = None) -> ScenarioResult:
    """Run every scenario for ``n_draws`` parameter draws on each twin seed.

    Computes :func:`uncertainty_rows` and summarises them with :func:`summarise_uncertainty`
    (the Policy chapter reads the book's rows from a store, :mod:`helpers.scenarios.policy`).

    Parameters
    ----------
    scenarios : dict of name -> Scenario, optional
        Must contain ``"baseline"`` (default :func:`default_scenarios`).
    n_draws : int
        Parameter draws from :data:`PARAM_RANGES` (seeded by ``draw_seed``).
    seeds : sequence of int, optional
        Twin seeds (history and future shocks); default ``(seed,)``, one fixed shock path. With
        several, every draw runs on every seed and the bands cover both sources of uncertainty.
    fixed : dict, optional
        Parameters set in every run (e.g. ``{"persistence": 0.5}``), not drawn.
    n_jobs : int
        joblib processes; the draws are made before dispatch and each run is deterministic,
        so results do not depend on ``n_jobs``.
    tol : float
        An effect smaller than this in absolute value counts as zero in ``robustness``.
    """
    scenarios = _check_scenarios(scenarios)
    rows = uncertainty_rows(scenarios, n_draws, seed, draw_seed, horizon, from_year, n_jobs, seeds, fixed)
    return summarise_uncertainty(rows, scenarios, horizon, _seeds(seed, seeds), tol)
