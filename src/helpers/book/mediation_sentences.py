"""Sentences on mediation as current practice reports it: total, direct and indirect effects
with intervals, and how strong an unobserved mediator-outcome confounder would have to be to
explain the indirect effect away (Imai, Keele & Tingley 2010). Numbers are printed by
:func:`helpers.book.tables.number`, the function the tables use, so a sentence and its table
show the same digits."""

from __future__ import annotations

import pandas as pd

from .tables import number


def effects_frame(effects: dict, sensitivity: dict) -> pd.DataFrame:
    """One table of several mediators: rows ``(mediator, effect)`` with estimate and interval
    from :func:`helpers.models.mediation_effects`, and a row for the error correlation rho at
    which the indirect effect is zero (:func:`helpers.models.mediation_sensitivity`)."""
    parts = []
    for name, e in effects.items():
        f = e.copy()
        f.loc["rho at which the indirect effect is zero"] = [sensitivity[name].rho_zero, float("nan"), float("nan")]
        f.index = [f"{name}: {i}" for i in f.index]
        parts.append(f)
    out = pd.concat(parts)
    out.index.name = "mediator: quantity"
    return out


def _strength(rho: float) -> str:
    r = abs(rho)
    if r < 0.1:
        return "a weak confounder would explain it away"
    if r < 0.3:
        return "a confounder of moderate strength would explain it away"
    return "only a strong confounder would explain it away"


def sensitivity_sentence(name: str, effects: pd.DataFrame, rho_zero: float, *, where: str = "") -> str:
    """How the indirect effect through ``name`` splits the total, and the rho that would zero it.

    >>> e = pd.DataFrame({"estimate": [0.6, 0.4, 0.2, 1 / 3], "ci_low": [0.1, -0.1, -0.05, -0.2],
    ...                   "ci_high": [1.1, 0.9, 0.5, 0.9]},
    ...                  index=["total", "direct", "indirect", "share mediated"])
    >>> sensitivity_sentence("flows", e, 0.152)[:100]
    'Through flows, the indirect effect is 0.200 SD (95% interval -0.050 to 0.500) of a total of 0.600 SD'
    """
    ind, tot, dire = (effects.loc[k] for k in ("indirect", "total", "direct"))
    return (f"Through {name}, the indirect effect is {number(ind['estimate'])} SD (95% interval "
            f"{number(ind['ci_low'])} to {number(ind['ci_high'])}) of a total of {number(tot['estimate'])} SD; "
            f"the direct effect is {number(dire['estimate'])} SD. An unobserved confounder of {name} and "
            f"synergy that correlated their errors at rho = {number(rho_zero)} would bring the indirect "
            f"effect to zero, so {_strength(rho_zero)}{where}.")
