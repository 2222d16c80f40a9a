"""Synthetic per-twin rows of the Broadband China design study, shared by its tests.

Outcome "a" is shifted under threshold designation (its no-effect world ``null``; ``effect_shift``
in the effect world), "b" is unbiased; estimates have SE 0.1, so 0.196 is the 95% cut-off.
"""

import numpy as np
import pandas as pd


def broadband_rows(n: int, seed: int = 0, *, effect_shift: float, sd=lambda rep: 0.5,
                   pretrend=lambda outcome: 0.2) -> pd.DataFrame:
    """``n`` twins per world (effect, null, null_unconfounded) of outcomes "a" and "b";
    ``sd(rep)`` is a twin's base-year SD, ``pretrend(outcome)`` the chance its pre-trend test rejects."""
    rng = np.random.default_rng(seed)
    out = []
    for world, shift, truth in (("effect", effect_shift, 0.25), ("null", 0.15, 0.0), ("null_unconfounded", 0.0, 0.0)):
        for r in range(n):
            rec = {"n_cities": 336, "n_years": 9, "world": world, "rep": r, "seed": r}
            for y in ("a", "b"):
                est = truth + shift * (y == "a") + rng.normal(0, 0.1)
                rec.update({f"est_{y}": est, f"se_{y}": 0.1, f"sd_{y}": sd(r), f"true_{y}": truth,
                            f"sig_{y}": est - 0.196 > 0, f"reject_{y}": abs(est) > 0.196,
                            f"covers_{y}": abs(est - truth) <= 0.196,
                            f"pretrend_{y}": bool(rng.random() < pretrend(y))})
            out.append(rec)
    return pd.DataFrame(out)
