r"""What a temporary subsidy leaves behind: the after-effect under persistence, and a search for
tipping inside and outside the contraction region.

See :mod:`helpers.scenarios.contraction` (why nothing can last when the participation map is a
contraction) and :mod:`helpers.scenarios.dynamics` (adoption with persistence). Every number here
is SIMULATED.
"""

from __future__ import annotations

import pandas as pd

from .. import simulate as _sim
from .contraction import global_modulus
from .dynamics import decay_rate
from .levers import HORIZON, Scenario
from .runs import extend_twin, run_scenario


def after_effect(persistence_values, scenario, params=None, seed: int = _sim.DEFAULT_SEED,
                 horizon: int | None = None) -> pd.DataFrame:
    """Effect of a (temporary) scenario on population-weighted mean participation, by year and
    persistence, with the first-order decay rate (:func:`decay_rate`) at the subsidy's last year.

    Returns a long table: persistence, year, effect (scenario minus baseline, same persistence),
    and the attributes ``decay`` (persistence -> rate). SIMULATED.
    """
    horizon = HORIZON if horizon is None else horizon
    rows, decay = [], {}
    end = scenario.start + scenario.subsidy_years - 1
    for lam in persistence_values:
        ext = extend_twin({**dict(params or {}), "persistence": float(lam)}, seed=seed, horizon=horizon)
        w = ext.st.pop / ext.st.pop.sum(axis=1, keepdims=True)
        base = (run_scenario(ext, Scenario("baseline", start=scenario.start)).arrays["VA"] * w).sum(axis=1)
        pol = (run_scenario(ext, scenario).arrays["VA"] * w).sum(axis=1)
        for y, d in zip(ext.st.years, pol - base):
            if y >= scenario.start - 1:
                rows.append({"persistence": float(lam), "year": y, "effect": float(d)})
        decay[float(lam)] = decay_rate(ext, min(end, horizon), float(lam))
    out = pd.DataFrame(rows)
    out.attrs["decay"] = decay
    out.attrs["end"] = end
    return out


def tipping_search(scenario, alpha_N_values=(1.0, 3.0, 5.0, 7.0, 9.0), alpha_0_values=(-3.6, -5.0, -6.0, -7.0),
                   seed: int = _sim.DEFAULT_SEED, horizon: int | None = None, params=None) -> pd.DataFrame:
    """Search for tipping inside and outside the contraction region.

    For each (alpha_N, alpha_0) of the grid (other parameters at the twin's defaults or
    ``params``), the effect of ``scenario`` (a temporary subsidy) on population-weighted mean
    participation in its last paid year and in the horizon year, with the global modulus L.
    Inside the region (L < 1) the horizon effect is exactly zero by the contraction argument; a
    lasting effect outside it is tipping to another equilibrium. SIMULATED.
    """
    horizon = HORIZON if horizon is None else horizon
    end = scenario.start + scenario.subsidy_years - 1
    rows = []
    for a_n in alpha_N_values:
        for a_0 in alpha_0_values:
            ext = extend_twin({**dict(params or {}), "alpha_N": float(a_n), "alpha_0": float(a_0)}, seed=seed,
                              horizon=horizon)
            w = ext.st.pop / ext.st.pop.sum(axis=1, keepdims=True)
            base = (run_scenario(ext, Scenario("baseline", start=scenario.start)).arrays["VA"] * w).sum(axis=1)
            pol = (run_scenario(ext, scenario).arrays["VA"] * w).sum(axis=1)
            t_end, t_h = ext.st.years.index(min(end, horizon)), ext.st.years.index(horizon)
            rows.append({"alpha_N": float(a_n), "alpha_0": float(a_0),
                         "modulus": global_modulus(a_n, ext.params.alpha_E, ext.st.W),
                         "baseline_horizon": base[t_h], "effect_end": pol[t_end] - base[t_end],
                         "effect_horizon": pol[t_h] - base[t_h]})
    out = pd.DataFrame(rows)
    out.attrs.update(end=end, horizon=horizon)
    return out
