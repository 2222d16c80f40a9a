r"""Would the book's estimators see each scenario's chain in a 21 x 13 panel (Monte Carlo power)?

Every number here is SIMULATED.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import simulate as _sim
from .levers import HORIZON, Scenario
from .runs import Extended, extend_twin, run_scenario, va_share


# ----------------------------------------------------------------------------- detectability
def _detect_plan(sc: Scenario, ext: Extended):
    """The hypothesis that tests the chain a scenario works through, and the twin it lives in."""
    lv = set(sc.levers)
    params = {"phi": min(ext.params.phi + sc.phi_gain, 0.99)} if "platform" in lv else {}
    if lv & {"rollout", "subsidy"}:
        return "H1", params
    if "platform" in lv:
        return "H2", params
    return None, params


def detectability(scenarios: dict, n_reps: int = 4, seed: int = _sim.DEFAULT_SEED, horizon: int = HORIZON,
                  n_boot: int = 99, threshold_boot: int = 19, n_jobs: int = 1, first_seed: int = 1) -> pd.DataFrame:
    """Would the book's mechanism estimators on a 21 x 13 panel see each scenario's chain?

    For every scenario: its effect on mean synergy in the horizon year (twin defaults), the
    share of it carried by participation (:func:`va_share`), the hypothesis of
    :func:`helpers.analysis.report.hypothesis_verdicts` that tests the chain it works through (H1, the
    total effect of VA on synergy, for levers that move participation; H2, the flows channel,
    for platform integration, in twins whose phi is the policy's), and the share of ``n_reps``
    simulated 21 x 13 twins in which that hypothesis is declared supported
    (:func:`helpers.studies.monte_carlo`). Levers that do not move participation (talent,
    GBA) get no hypothesis: every estimator of the book takes VA as the cause.
    """
    from .. import studies

    ext = extend_twin(seed=seed, horizon=horizon)
    t = ext.st.years.index(horizon)
    base = run_scenario(ext, Scenario("baseline")).arrays["SY"][t].mean()
    rows, mcs = [], {}
    for name, sc in scenarios.items():
        if name == "baseline":
            continue
        hyp, params = _detect_plan(sc, ext)
        power = np.nan
        if hyp is not None:
            key = tuple(sorted(params.items()))
            if key not in mcs:
                mcs[key] = studies.monte_carlo(n_reps, params=params or None, first_seed=first_seed,
                                                   n_boot=n_boot, threshold_boot=threshold_boot,
                                                   n_jobs=n_jobs, progress=False)
            power = float(mcs[key].detection.at[hyp, "supported"])
        rows.append({"scenario": name,
                     "effect_SY": float(run_scenario(ext, sc).arrays["SY"][t].mean() - base),
                     "va_share": va_share(ext, sc, horizon), "hypothesis": hyp,
                     "twin": ", ".join(f"{k}={v:.2f}" for k, v in params.items()) or "defaults",
                     "power": power, "n_reps": n_reps})
    out = pd.DataFrame(rows).set_index("scenario")
    out.attrs["note"] = "SIMULATED: power from Monte Carlo twins (helpers.studies)"
    return out


def detectability_sentences(det: pd.DataFrame, horizon: int = HORIZON) -> list[str]:
    """Sentences generated from :func:`detectability`."""
    from ..analysis.report import HYPOTHESES

    out = []
    for name, r in det.iterrows():
        head = f"{name}: changes mean synergy in {horizon} by {r['effect_SY']:+.3f}"
        if abs(r["effect_SY"]) < 1e-9:
            out.append(head + "; there is nothing to detect.")
            continue
        share = r["va_share"]
        head += f", {share:.0%} of it through participation" if np.isfinite(share) else ""
        if r["hypothesis"] is None:
            out.append(head + ". No estimator of the book targets this chain (they all take virtual "
                       "agglomeration as the cause), so a study of the book's design would not see "
                       "this policy at work even where it works.")
            continue
        s = (head + f". Its chain is what {r['hypothesis']} tests ({HYPOTHESES[r['hypothesis']]}); in "
             f"{int(r['n_reps'])} simulated 21 x 13 twins ({r['twin']}) it is declared supported in {r['power']:.0%}")
        if r["power"] < 0.5:
            s += ": a study of this size would usually miss a policy that works."
        elif r["power"] < 0.8:
            s += f": a study of this size would see it in only about {r['power']:.0%} of cases."
        else:
            s += ": a study of this size would usually see it."
        out.append(s)
    return out
