r"""The fixed-budget result as a distribution: the optimiser inside a loop over twin seeds and
parameter draws, with the objective weighted two ways.

One optimisation at default parameters on one twin gives one budget ratio (targeted gain over
the uniform allocation's gain); a different twin seed or a different draw of the uncertain
parameters gives another. :func:`budget_distribution` re-solves the targeted allocation for
every pair (seed, parameter set) of a grid, where the parameter sets are the twin's defaults
and ``n_draws`` draws from :data:`~helpers.scenarios.PARAM_RANGES`, and reports the median and
the 90% band (5% and 95% quantiles) of the ratio over three sets of runs: seeds at default
parameters, draws on the first seed, and seeds x draws.

**Weighting.** The objective is a weighted sum of the cities' synergy gains in the horizon
year, :math:`\sum_i \omega_i \Delta SY_i`, with

* ``"unweighted"``: :math:`\omega_i = 1` (every city counts once: the book's default, as the
  twin's synergy is a city-level index and the seed papers compare cities, not residents);
* ``"population"``: :math:`\omega_i = N\, pop_i / \sum_j pop_j` (every resident counts once;
  scaled so the weights average 1 and equal populations give the unweighted objective).

Every number here is SIMULATED.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import simulate as _sim
from .._results import Result
from .budget import _BudgetModel, _optimise
from .levers import HORIZON
from .runs import Extended, extend_twin
from .uncertainty import draw_parameters, parameters_from_rows

WEIGHTINGS = ("unweighted", "population")


def objective_weights(pop: np.ndarray, weighting: str = "unweighted") -> np.ndarray:
    r"""omega_i: 1 (``"unweighted"``) or N pop_i / sum_j pop_j (``"population"``)."""
    pop = np.asarray(pop, float)
    if weighting == "unweighted":
        return np.ones_like(pop)
    if weighting == "population":
        if (pop <= 0).any() or not np.isfinite(pop).all():
            raise ValueError("population weights need positive, finite populations")
        return len(pop) * pop / pop.sum()
    raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")


def weighted_gain(d_sy: np.ndarray, pop: np.ndarray, weighting: str = "unweighted") -> float:
    r"""sum_i omega_i dSY_i (see :func:`objective_weights`)."""
    return float(objective_weights(pop, weighting) @ np.asarray(d_sy, float))


def budget_ratio(ext: Extended, *, weighting: str = "unweighted", budget_boost: float = 0.5,
                 start: int = 2025, max_boost: float = 4.0) -> dict:
    """Targeted over uniform gain of one subsidy budget, for one objective weighting.

    The budget and the uniform allocation are those of :func:`helpers.scenarios.budget_allocation`
    (a boost of ``budget_boost`` everywhere from ``start`` to the horizon, costed per resident);
    the targeted allocation maximises the weighted gain with SLSQP from the uniform one.

    Returns
    -------
    dict
        ``uniform`` and ``targeted`` (weighted gains), ``ratio``, ``gap_cut`` (fall in the
        Delta-rest synergy gap under the targeted allocation), ``prd_share`` (its share of the
        budget spent in the Delta) and ``converged`` (SLSQP's success flag).
    """
    years = ext.st.years[-1] - start + 1
    m = _BudgetModel(ext, start, budget_boost, years)
    pop_h = ext.st.pop[m.t]
    objective_weights(pop_h, weighting)                       # validates the weighting first

    def obj(x):
        return weighted_gain(m.sy_change(x), pop_h, weighting)

    x_u = m.pop / m.pop.sum()
    x, r = _optimise(m, obj, x_u, max_boost * m.pop / m.budget)
    if obj(x) < obj(x_u):
        x = x_u
    u, g = obj(x_u), obj(x)
    return {"uniform": u, "targeted": g, "ratio": g / u if u else float("nan"),
            "gap_cut": m.gap_cut(x), "prd_share": float(x[m.prd].sum()), "converged": bool(r.success)}


def _budget_task(params: dict, seed: int, horizon: int, weightings, kw) -> list[dict]:
    ext = extend_twin(params, seed=seed, horizon=horizon)
    return [{"weighting": w, **budget_ratio(ext, weighting=w, **kw)} for w in weightings]


@dataclass(repr=False)
class BudgetDistribution(Result):
    """Budget ratios over twin seeds and parameter draws (SIMULATED).

    Attributes
    ----------
    runs : DataFrame
        One row per seed, parameter set (``draw`` -1 = the twin's defaults) and weighting:
        uniform, targeted, ratio, gap_cut, prd_share, converged.
    parameters : DataFrame
        The parameter draws.
    seeds : tuple of int
    """

    runs: pd.DataFrame
    parameters: pd.DataFrame
    seeds: tuple

    def bands(self, column: str = "ratio", level: float = 0.90) -> pd.DataFrame:
        """Median and central ``level`` band of ``column`` per weighting and source of variation."""
        r = self.runs
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        sources = {"seeds (default parameters)": r["draw"] == -1,
                   f"parameter draws (seed {self.seeds[0]})": (r["draw"] >= 0) & (r["seed"] == self.seeds[0]),
                   "seeds x parameter draws": r["draw"] >= 0}
        rows = []
        for w in r["weighting"].unique():
            for name, mask in sources.items():
                v = r.loc[mask & (r["weighting"] == w), column]
                if len(v):
                    rows.append({"weighting": w, "runs over": name, "n": len(v), "median": v.median(),
                                 "q05": v.quantile(lo), "q95": v.quantile(hi)})
        return pd.DataFrame(rows).set_index(["weighting", "runs over"])

    def summary(self) -> str:
        return ("Budget ratio (targeted / uniform synergy gain), SIMULATED\n"
                + self.bands().to_string(float_format=lambda v: f"{v:.3f}"))


def budget_distribution_rows(seeds=(_sim.DEFAULT_SEED,), n_draws: int = 4, *, draw_seed: int = 0,
                             weightings=WEIGHTINGS, budget_boost: float = 0.5, start: int = 2025,
                             horizon: int = HORIZON, max_boost: float = 4.0, n_jobs: int = 1) -> dict:
    """The raw rows of :func:`budget_distribution` (what a store keeps); arguments as there.

    Returns
    -------
    dict
        ``"runs"``: one row per seed, parameter set and weighting (see
        :attr:`BudgetDistribution.runs`); ``"parameters"``: one row per draw (a ``draw`` column
        and one column per drawn parameter). :func:`summarise_budget_distribution` turns them
        into the result.
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("budget_distribution needs at least one twin seed")
    for w in weightings:
        objective_weights(np.ones(2), w)
    pars = draw_parameters(n_draws, draw_seed)
    sets = [(-1, {})] + [(int(k), pars.loc[k].to_dict()) for k in pars.index]
    grid = [(s, k, p) for s in seeds for k, p in sets]
    kw = dict(budget_boost=budget_boost, start=start, max_boost=max_boost)
    if n_jobs == 1:
        out = [_budget_task(p, s, horizon, weightings, kw) for s, _, p in grid]
    else:
        from joblib import Parallel, delayed

        out = Parallel(n_jobs=n_jobs)(delayed(_budget_task)(p, s, horizon, weightings, kw) for s, _, p in grid)
    rows = [{"seed": s, "draw": k, **row} for (s, k, _), rs in zip(grid, out) for row in rs]
    return {"runs": pd.DataFrame(rows), "parameters": pars.reset_index()}


def summarise_budget_distribution(rows: dict, seeds) -> BudgetDistribution:
    """The :class:`BudgetDistribution` of the raw rows of :func:`budget_distribution_rows` (computed
    now or read from a store: the same numbers either way); ``seeds`` in the order they ran."""
    return BudgetDistribution(runs=rows["runs"], parameters=parameters_from_rows(rows["parameters"]),
                              seeds=tuple(int(s) for s in seeds))


def budget_distribution(seeds=(_sim.DEFAULT_SEED,), n_draws: int = 4, *, draw_seed: int = 0,
                        weightings=WEIGHTINGS, budget_boost: float = 0.5, start: int = 2025,
                        horizon: int = HORIZON, max_boost: float = 4.0, n_jobs: int = 1) -> BudgetDistribution:
    """Re-optimise the budget for every twin seed x (defaults + ``n_draws`` parameter draws).

    Computes :func:`budget_distribution_rows` and summarises them with
    :func:`summarise_budget_distribution` (the Policy chapter reads the book's rows from a store,
    :mod:`helpers.scenarios.policy`).

    Parameters
    ----------
    seeds : sequence of int
        Twin seeds (history and future shocks).
    n_draws : int
        Parameter draws (:func:`helpers.scenarios.draw_parameters`, seeded by ``draw_seed``).
    weightings : sequence of str
        Objective weightings (:data:`WEIGHTINGS`).
    n_jobs : int
        joblib processes; every run is deterministic, so the result does not depend on it.
    """
    rows = budget_distribution_rows(seeds, n_draws, draw_seed=draw_seed, weightings=weightings,
                                    budget_boost=budget_boost, start=start, horizon=horizon,
                                    max_boost=max_boost, n_jobs=n_jobs)
    return summarise_budget_distribution(rows, seeds)
