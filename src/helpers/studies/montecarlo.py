"""Monte Carlo: the whole analysis repeated on independent simulated twins (SIMULATED).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .._results import Result
from .twins import analyse_twin


@dataclass(repr=False)
class MonteCarloResult(Result):
    """The whole study repeated on independent twins (see :func:`monte_carlo`).

    Attributes
    ----------
    detection : DataFrame
        Share of twins in which each hypothesis is supported / inconclusive / contradicted.
    coverage : Series
        Share of twins in which each estimate's 95% interval covers the truth of its own
        estimand (latent scale).
    mean_estimate, mean_true : Series
        Average estimate and average truth per quantity (standardised units, latent scale).
    n_reps : int
    params : dict
        The twin parameters that differ from the defaults.
    comparisons : DataFrame
        Every twin's estimates beside their truths (index twin, key).
    measurement : DataFrame
        Every twin's :func:`predicted_measurement` (index twin, key).
    """

    detection: pd.DataFrame
    coverage: pd.Series
    mean_estimate: pd.Series
    mean_true: pd.Series
    n_reps: int
    params: dict = field(default_factory=dict)
    comparisons: pd.DataFrame | None = None
    measurement: pd.DataFrame | None = None

    def summary(self) -> str:
        t = pd.DataFrame({"coverage": self.coverage, "mean estimate": self.mean_estimate,
                          "mean true (latent scale)": self.mean_true})
        return (f"Monte Carlo over {self.n_reps} simulated twins (SIMULATED; params {self.params or 'default'})\n"
                + self.detection.to_string(float_format=lambda v: f"{v:.2f}") + "\n\n"
                + t.to_string(float_format=lambda v: f"{v:.3f}"))


def _one(params, seed, n_boot, threshold_boot):
    a = analyse_twin(params, twin_seed=seed, n_boot=n_boot, threshold_boot=threshold_boot, boot_seed=seed)
    return (a.verdicts["verdict"].rename(seed), a.comparison[["estimate", "ci_low", "ci_high", "true", "covers"]],
            a.measurement)


def monte_carlo_rows(n_reps: int, params=None, *, first_seed: int = 1, n_boot: int = 199, threshold_boot: int = 49,
                     n_jobs: int = 1, progress=None) -> dict:
    """Every twin's raw results of :func:`monte_carlo`, as three long frames (what a store keeps).

    ``{"verdicts": (twin, hypothesis, verdict), "comparisons": (twin, key, estimate, ci_low,
    ci_high, true, covers), "measurement": (twin, key, ...)}``; :func:`summarise_monte_carlo`
    turns them into the result. Arguments as in :func:`monte_carlo`.
    """
    from tqdm import tqdm  # text bar; tqdm.auto would want ipywidgets inside Jupyter

    seeds = list(range(first_seed, first_seed + n_reps))
    bar = dict(total=n_reps, desc="twins", leave=False, disable=None if progress is None else not progress)
    if n_jobs == 1:
        out = [_one(params, s, n_boot, threshold_boot) for s in tqdm(seeds, **bar)]
    else:
        from joblib import Parallel, delayed

        runs = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_one)(params, s, n_boot, threshold_boot) for s in seeds)
        out = list(tqdm(runs, **bar))
    verdicts = pd.concat({s: v.rename_axis("hypothesis").rename("verdict") for s, (v, _, _) in zip(seeds, out)},
                         names=["twin", "hypothesis"])
    comp = pd.concat({s: c for s, (_, c, _) in zip(seeds, out)}, names=["twin", "key"])
    meas = pd.concat({s: m for s, (_, _, m) in zip(seeds, out)}, names=["twin", "key"])
    return {"verdicts": verdicts.reset_index(), "comparisons": comp.reset_index(), "measurement": meas.reset_index()}


def summarise_monte_carlo(rows: dict, n_reps: int, params=None) -> MonteCarloResult:
    """The :class:`MonteCarloResult` of the raw rows of :func:`monte_carlo_rows` (computed now or
    read from a store: the same numbers either way)."""
    v = rows["verdicts"]
    verdicts = pd.concat({t: g.set_index("hypothesis")["verdict"] for t, g in v.groupby("twin", sort=False)}, axis=1)
    comp = rows["comparisons"].set_index(["twin", "key"])
    meas = rows["measurement"].set_index(["twin", "key"])
    levels = ["supported", "inconclusive", "contradicted"]
    detection = pd.DataFrame({lvl: (verdicts == lvl).mean(axis=1) for lvl in levels})
    # a truth that is NaN (an empty group) counts as neither covered nor missed
    comp["covers"] = comp["covers"].astype(float).where(comp["true"].notna())
    by_key = comp.groupby(level="key", sort=False)
    return MonteCarloResult(
        detection=detection, coverage=by_key["covers"].mean().astype(float),
        mean_estimate=by_key["estimate"].mean(), mean_true=by_key["true"].mean(), n_reps=n_reps,
        params=dict(params or {}), comparisons=comp, measurement=meas,
    )


def monte_carlo(n_reps: int, params=None, *, first_seed: int = 1, n_boot: int = 199, threshold_boot: int = 49,
                n_jobs: int = 1, progress=None) -> MonteCarloResult:
    """Repeat :func:`analyse_twin` on ``n_reps`` independent twins (seeds ``first_seed, ...``).

    Each twin has the same structure and new shocks, so the shares of twins in which a
    hypothesis is declared supported estimate the power of the whole study, and the shares of
    intervals that cover the truth of their own estimand (latent scale, :func:`truth_comparison`)
    estimate their actual coverage. With ``n_reps`` twins a
    share p has Monte Carlo standard error sqrt(p (1 - p) / n_reps). The Findings chapter reads
    the book's run from a store (:mod:`helpers.studies.findings`).

    Parameters
    ----------
    n_reps : int
    params : dict, optional
        Twin parameters (overrides of the defaults).
    first_seed : int
    n_boot, threshold_boot : int
        Bootstrap replications inside each twin (mediation; threshold test). A Monte Carlo
        usually affords fewer than one study: pass them explicitly.
    n_jobs : int
        Processes (joblib); results do not depend on it.
    progress : bool or None
        Progress bar over twins (None: only on a terminal).

    Returns
    -------
    MonteCarloResult
    """
    rows = monte_carlo_rows(n_reps, params, first_seed=first_seed, n_boot=n_boot, threshold_boot=threshold_boot,
                            n_jobs=n_jobs, progress=progress)
    return summarise_monte_carlo(rows, n_reps, params)
