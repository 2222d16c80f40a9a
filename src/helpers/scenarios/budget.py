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
