r"""Would the book's estimators see each scenario's chain in a 21 x 13 panel (Monte Carlo power)?

Every number here is SIMULATED.
"""

from __future__ import annotations

import json

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


#: The Monte Carlo tables kept per world (:func:`helpers.studies.montecarlo.monte_carlo_rows`).
MC_TABLES = ("verdicts", "comparisons", "measurement")


def _world(params: dict) -> str:
    """A world's key: its parameter overrides as sorted JSON (``{}`` for the twin's defaults)."""
    return json.dumps(dict(sorted(params.items())))


def detectability_rows(scenarios: dict, n_reps: int = 4, seed: int = _sim.DEFAULT_SEED, horizon: int = HORIZON,
                       n_boot: int = 99, threshold_boot: int = 19, n_jobs: int = 1, first_seed: int = 1) -> dict:
    """The raw rows of :func:`detectability` (what a store keeps); arguments as there.

    Returns
    -------
    dict
        ``"scenarios"``: one row per scenario but the baseline (scenario, effect_SY, va_share,
        hypothesis, world, twin); and per table of :data:`MC_TABLES` the Monte Carlo rows of
        every world a hypothesis is tested in (:func:`helpers.studies.montecarlo.monte_carlo_rows`,
        one row per twin and key, with a ``world`` column). :func:`summarise_detectability`
        turns them into the table.
    """
    from ..studies.montecarlo import monte_carlo_rows

    ext = extend_twin(seed=seed, horizon=horizon)
    t = ext.st.years.index(horizon)
    base = run_scenario(ext, Scenario("baseline")).arrays["SY"][t].mean()
    rows, worlds = [], {}
    for name, sc in scenarios.items():
        if name == "baseline":
            continue
        hyp, params = _detect_plan(sc, ext)
        if hyp is not None and _world(params) not in worlds:
            worlds[_world(params)] = monte_carlo_rows(n_reps, params or None, first_seed=first_seed, n_boot=n_boot,
                                                      threshold_boot=threshold_boot, n_jobs=n_jobs, progress=False)
        rows.append({"scenario": name,
                     "effect_SY": float(run_scenario(ext, sc).arrays["SY"][t].mean() - base),
                     "va_share": va_share(ext, sc, horizon), "hypothesis": hyp, "world": _world(params),
                     "twin": ", ".join(f"{k}={v:.2f}" for k, v in params.items()) or "defaults"})
    out = {"scenarios": pd.DataFrame(rows, columns=["scenario", "effect_SY", "va_share", "hypothesis", "world", "twin"])}
    for table in MC_TABLES:
        frames = [w[table].assign(world=key) for key, w in worlds.items()]
        out[table] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"world": []})
    return out


def summarise_detectability(rows: dict, n_reps: int) -> pd.DataFrame:
    """The table of :func:`detectability` from the raw rows of :func:`detectability_rows` (computed
    now or read from a store: the same numbers either way): power is the share of a world's
    twins in which the scenario's hypothesis is declared supported
    (:func:`helpers.studies.montecarlo.summarise_monte_carlo`)."""
    from ..studies.montecarlo import summarise_monte_carlo

    mcs = {}
    for key in rows["verdicts"]["world"].unique():
        tables = {t: rows[t][rows[t]["world"] == key].drop(columns="world") for t in MC_TABLES}
        mcs[key] = summarise_monte_carlo(tables, n_reps, json.loads(key) or None)
    out = rows["scenarios"].copy()
    out["power"] = [np.nan if h is None or pd.isna(h) else float(mcs[w].detection.at[h, "supported"])
                    for h, w in zip(out["hypothesis"], out["world"])]
    out["n_reps"] = n_reps
    out = out.drop(columns="world").set_index("scenario")
    out.attrs["note"] = "SIMULATED: power from Monte Carlo twins (helpers.studies)"
    return out


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
    GBA) get no hypothesis: every estimator of the book takes VA as the cause. Computes
    :func:`detectability_rows` and summarises them with :func:`summarise_detectability` (the
    Policy chapter reads the book's rows from a store, :mod:`helpers.scenarios.policy`).
    """
    rows = detectability_rows(scenarios, n_reps, seed, horizon, n_boot, threshold_boot, n_jobs, first_seed)
    return summarise_detectability(rows, n_reps)
