r"""One adoption-subsidy budget: uniform and targeted allocations and the synergy-gap frontier.

Every number here is SIMULATED.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import Result
from .levers import Scenario
from .runs import Extended, run_scenario


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


#: Budget shares below this are at the zero bound within SLSQP's tolerance (ftol 1e-7).
_ZERO_SHARE = 1e-9


def _optimise(m: _BudgetModel, objective, x0, ub, constraint=None):
    from scipy.optimize import minimize

    cons = [{"type": "eq", "fun": lambda x: x.sum() - 1.0}]
    if constraint is not None:
        cons.append({"type": "ineq", "fun": constraint})
    scale = abs(objective(x0)) or 1.0                                   # objective near 1
    r = minimize(lambda x: -objective(x) / scale, x0, method="SLSQP", bounds=[(0.0, u) for u in ub],
                 constraints=cons, options={"maxiter": 100, "ftol": 1e-7})
    # Shares within the solver's tolerance of the zero bound are zero: left as 1e-16 they are
    # rounding noise that differs between runs (and between BLAS thread counts).
    x = np.where(r.x < _ZERO_SHARE, 0.0, r.x)
    return x / x.sum(), r


#: The three allocations of :attr:`BudgetResult.allocations`, in their order.
ALLOCATIONS = ("uniform", "max_synergy", "max_gap_cut")


def budget_allocation_rows(ext: Extended, budget_boost: float = 0.5, start: int = 2025,
                           max_boost: float = 4.0, n_frontier: int = 6) -> dict:
    """The raw rows of :func:`budget_allocation` (what a store keeps); arguments as there.

    Returns
    -------
    dict
        ``"points"``: one row per solution and city. A solution (``point``) is one of the three
        allocations (:data:`ALLOCATIONS`; ``status`` is the optimiser's message) or an interior
        frontier point ``frontier_<k>`` (``required_gap_cut`` is its constraint). Per city:
        ``pop`` (residents in the start year, 10k), ``prd`` (a Delta city), ``share`` (of the
        budget) and ``gain`` (change in its synergy in the horizon year).
        :func:`summarise_budget` turns them into the result.
    """
    years = ext.st.years[-1] - start + 1
    m = _BudgetModel(ext, start, budget_boost, years)
    ub = max_boost * m.pop / m.budget
    x_u = m.pop / m.pop.sum()                                            # uniform boost
    points = [("uniform", np.nan, "uniform", x_u)]
    for name, obj in (("max_synergy", m.synergy), ("max_gap_cut", m.gap_cut)):
        x, r = _optimise(m, obj, x_u, ub)
        points.append((name, np.nan, r.message, x_u if obj(x) < obj(x_u) else x))
    allocs = {name: x for name, _, _, x in points}
    lo, hi = m.gap_cut(allocs["max_synergy"]), m.gap_cut(allocs["max_gap_cut"])
    # the end points are the two targeted optima; interior points warm-start from the last one
    last = allocs["max_synergy"]
    for k, r_req in enumerate(np.linspace(lo, hi, max(n_frontier, 2))[1:-1], start=1):
        last, _ = _optimise(m, m.synergy, last, ub, constraint=lambda x, r_req=r_req: m.gap_cut(x) - r_req)
        points.append((f"frontier_{k}", float(r_req), "", last))
    cities = list(ext.st.reg.index)
    frames = [pd.DataFrame({"point": name, "required_gap_cut": req, "status": status, "city": cities,
                            "pop": m.pop, "prd": m.prd, "share": np.asarray(x, float), "gain": m.sy_change(x)})
              for name, req, status, x in points]
    return {"points": pd.concat(frames, ignore_index=True)}


def summarise_budget(rows: dict, budget_boost: float) -> BudgetResult:
    """The :class:`BudgetResult` of the raw rows of :func:`budget_allocation_rows` (computed now or
    read from a store: the same numbers either way).

    The synergy gain of a solution is the sum of its cities' gains and its gap cut the fall in
    the Delta-rest gap of mean gains, as in the optimiser; the frontier runs from the
    max-synergy allocation through the interior points to the max-gap-cut allocation.
    """
    pts = dict(tuple(rows["points"].groupby("point", sort=False)))
    missing = [a for a in ALLOCATIONS if a not in pts]
    if missing:
        raise ValueError(f"budget rows have no allocation {missing}")
    first = pts[ALLOCATIONS[0]]
    pop, prd = np.ascontiguousarray(first["pop"], float), first["prd"].to_numpy(bool)
    budget = budget_boost * pop.sum()
    cities = pd.Index(first["city"].tolist(), name="city")

    def gain(name):
        return np.ascontiguousarray(pts[name]["gain"], float)

    def synergy(name):
        return float(gain(name).sum())

    def gap_cut(name):
        d = gain(name)
        return float(-(d[prd].mean() - d[~prd].mean()))

    interior = [(n, float(g["required_gap_cut"].iloc[0])) for n, g in pts.items() if n not in ALLOCATIONS]
    front = [("max_synergy", gap_cut("max_synergy")), *interior, ("max_gap_cut", gap_cut("max_gap_cut"))]
    frontier = pd.DataFrame([{"required_gap_cut": r_req, "gap_cut": gap_cut(n), "synergy": synergy(n)}
                             for n, r_req in front])
    allocations = pd.DataFrame({k: np.ascontiguousarray(pts[k]["share"], float) * budget / pop for k in ALLOCATIONS},
                               index=cities)
    gains = pd.DataFrame({k: gain(k) for k in ALLOCATIONS}, index=cities)
    outcomes = pd.DataFrame({"synergy": {k: synergy(k) for k in ALLOCATIONS},
                             "gap_cut": {k: gap_cut(k) for k in ALLOCATIONS},
                             "status": {k: str(pts[k]["status"].iloc[0]) for k in ALLOCATIONS}})
    outcomes.index.name = "allocation"
    return BudgetResult(allocations=allocations, gains=gains, outcomes=outcomes, frontier=frontier,
                        budget=float(budget), budget_boost=budget_boost)


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
    Computes :func:`budget_allocation_rows` and summarises them with :func:`summarise_budget`
    (the Policy chapter reads the book's rows from a store, :mod:`helpers.scenarios.policy`).
    """
    return summarise_budget(budget_allocation_rows(ext, budget_boost, start, max_boost, n_frontier), budget_boost)
