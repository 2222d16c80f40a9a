r"""The Broadband China design as stored cells of the design study (SIMULATED; studies layer).

:mod:`helpers.studies.broadband_twin` puts the Broadband China design on the national twin: the
336 prefectures of ``city_set("national")``, three cohorts of 39 cities designated in 2014-2016
on their thresholded broadband scores, and the Callaway-Sant'Anna ATT with never-designated
controls (:func:`helpers.models.did.callaway_santanna`). This module makes that design a study
of the generic runner :func:`helpers.studies.design.run_study` (Dask, one seed per replicate,
resumable fingerprinted Parquet cells with the analysis-code digest), stored in its own folder
``data/power/broadband`` so the main study's loader never sees it.

Cells are ``336x<T>-<world>`` (T years from 2011; default 9, 2011-2019) in three worlds that
share each replicate's seed (common random numbers: the same panel, shocks and scores):

* ``effect``: designation on thresholds, and each outcome :math:`y` rises by
  :math:`\delta_y = \text{effect\_sd}\cdot\mathrm{sd}(y_{i,2013})` from designation on; the truth
  of the ATT is :math:`\delta_y`;
* ``null``: the same designation, no effect (truth 0). It is the design's own no-effect world:
  selection on broadband levels meets the twin's diffusion dynamics, so its rejection rate is the
  size *and* bias check of the design as applied. Because the ATT is linear in the outcome, a
  twin's effect-world estimate equals its ``null`` estimate plus :math:`\delta_y` exactly, so the
  effect world's bias is this world's mean estimate;
* ``null_unconfounded``: designation at random (the same cohort sizes), no effect: the size of
  the estimator and its standard errors with selection switched off.

Per twin and outcome the row holds ``est_<y>``, ``se_<y>``, ``true_<y>``, ``sig_<y>`` (the 95%
interval lies above zero: one-sided, nominal 0.025), ``reject_<y>`` (the interval excludes zero:
two-sided, nominal 0.05), ``covers_<y>``, ``pretrend_<y>`` (the joint pre-trend test rejects at
5%) and ``sd_<y>`` (the cross-section SD of the base year, the effect's unit).
:func:`performance` gives the main study's performance vocabulary
(:func:`helpers.studies.performance.performance_table`) plus the two-sided rejection and
pre-trend rates of the no-effect worlds with Clopper-Pearson intervals and the detectable effect.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..simulate.model import DEFAULT_SEED
from . import design as _design
from . import store as _store

#: Outcomes of the design (the twin's columns; :data:`helpers.studies.broadband_twin.TWIN_OUTCOMES`).
OUTCOMES = ("broadband_per100", "lq_manufacturing", "coagglomeration")
#: Short names of the outcomes for tables and sentences.
LABELS = {"broadband_per100": "broadband per 100", "lq_manufacturing": "location quotient of manufacturing",
          "coagglomeration": "co-agglomeration"}
#: The design's N: every prefecture-level unit of the national registry with both census counts.
N_CITIES = 336
#: Years of the default cell (2011-2019, the real design's main sample).
N_YEARS = 9
#: Worlds of the stored cells.
WORLDS = ("effect", "null", "null_unconfounded")
#: Options of every twin (passed to :func:`broadband_twin_row`; part of every cell's fingerprint).
OPTIONS = {"effect_sd": 0.2, "noise": 1.0, "sizes": (39, 39, 39), "cohorts": (2014, 2015, 2016),
           "first_year": 2011, "level": 0.95}
#: Twins per cell. One twin took 0.79 s on average (0.45-1.38 s; 30 twins, one niced process, one
#: BLAS thread, load ~5 on 2 cores), so 3 x 500 twins take ~10 minutes on 2 workers. A share's
#: Monte Carlo SE is at most 0.5 / sqrt(500) = 0.022; a coverage near 0.95 has SE 0.0097, within
#: the book's 0.01 for a coverage claim (which needs 475 twins per cell).
REPS = 500
#: Replicate r has one seed in every world (common random numbers).
PAIRED = True
#: Seed of the whole study.
STUDY_SEED = DEFAULT_SEED
#: Version of this study's definition (worlds, columns, scoring): part of every fingerprint.
STUDY_VERSION = "broadband-1"
#: Two-sided nominal rate of ``reject_<y>`` at the default level (0.05).
TWO_SIDED_NOMINAL = round(1 - OPTIONS["level"], 10)
#: File of the performance table in the study's folder.
PERFORMANCE_FILE = "performance.csv"


def random_designation(codes, *, sizes, cohorts, seed: int) -> pd.Series:
    """Cohort per city code (0 = never) drawn at random: the same cohort sizes as the threshold
    rule, independent of every twin variable (the unconfounded no-effect world)."""
    codes = pd.Index(codes)
    if len(codes) < sum(sizes):
        raise ValueError(f"random_designation: need {sum(sizes)} cities, have {len(codes)}")
    order = codes[np.random.default_rng([seed, 1]).permutation(len(codes))]
    cohort = pd.Series(0, index=codes, name="cohort")
    start = 0
    for g, n in zip(cohorts, sizes, strict=True):
        cohort.loc[order[start:start + n]] = g
        start += n
    return cohort


def _years(n_years: int, first_year: int, cohorts) -> tuple:
    years = tuple(range(first_year, first_year + n_years))
    base = min(cohorts) - 1
    if base - 1 < years[0] or max(cohorts) > years[-1]:
        raise ValueError(f"broadband design: {n_years} years from {first_year} ({years[0]}-{years[-1]}) must "
                         f"hold two pre-designation years before {min(cohorts)} and the last cohort {max(cohorts)}")
    return years


def _one_outcome(frame: pd.DataFrame, y: str, delta: float, treated, level: float) -> dict:
    from ..models import did

    data = frame.assign(**{y: frame[y] + delta * treated})
    r = did.callaway_santanna(data, y, entity="code", level=level)
    ci = r.conf_int(level).loc["ATT"]
    lo, hi = float(ci["lower"]), float(ci["upper"])
    p_pre = r.event_study.pretrend_p
    return {f"est_{y}": float(r.params["ATT"]), f"se_{y}": float(r.std_errors["ATT"]), f"true_{y}": float(delta),
            f"sig_{y}": bool(lo > 0), f"reject_{y}": bool(not lo <= 0 <= hi), f"covers_{y}": bool(lo <= delta <= hi),
            f"pretrend_{y}": bool(p_pre < 1 - level) if np.isfinite(p_pre) else None}


def broadband_twin_row(n_cities: int, n_years: int, world: str, seed: int, *, effect_sd: float = 0.2,
                       noise: float = 1.0, sizes=(39, 39, 39), cohorts=(2014, 2015, 2016),
                       first_year: int = 2011, level: float = 0.95) -> dict:
    r"""One SIMULATED national twin under the Broadband China design: one row of scalars.

    The per-twin function of :func:`helpers.studies.design.run_study`. ``n_cities`` must be the
    national city set's size (the design's N); ``n_years`` counts years from ``first_year``.
    Designation: :func:`helpers.studies.broadband_twin.assign_designation` (threshold scores,
    ``noise``) in the ``effect`` and ``null`` worlds, :func:`random_designation` in
    ``null_unconfounded``. The effect (``effect`` world only) is
    :math:`\delta_y = \text{effect\_sd}\cdot\mathrm{sd}(y_{i,b})`, b the year before the first
    cohort, added to designated city-years. Keys per outcome: see the module docstring.
    """
    from ..data.cities import city_set
    from ..simulate import simulate_panel
    from .broadband_twin import assign_designation, twin_outcomes

    cities = city_set("national")
    if n_cities != len(cities):
        raise ValueError(f"broadband design: n_cities must be the national set's {len(cities)} cities "
                         f"(the design's N), got {n_cities}")
    if world not in WORLDS:
        raise ValueError(f"broadband design: world must be one of {WORLDS}, got {world!r}")
    years = _years(n_years, first_year, cohorts)
    base = min(cohorts) - 1
    panel, _ = simulate_panel(seed=seed, years=years, cities=cities)
    frame = twin_outcomes(panel)
    if world == "null_unconfounded":
        cohort = random_designation(panel["code"].unique(), sizes=sizes, cohorts=cohorts, seed=seed)
    else:
        cohort = assign_designation(panel, sizes=sizes, cohorts=cohorts, base_year=base, noise=noise, seed=seed)
    frame["cohort"] = frame["code"].map(cohort)
    treated = ((frame["cohort"] > 0) & (frame["year"] >= frame["cohort"])).astype(float)
    row = {"designated": int((cohort > 0).sum())}
    for y in OUTCOMES:
        sd = float(frame.loc[frame["year"] == base, y].std())
        row.update(_one_outcome(frame, y, effect_sd * sd if world == "effect" else 0.0, treated, level))
        row[f"sd_{y}"] = sd
    return row


# the name stored cells are fingerprinted under (stable if the function moves)
broadband_twin_row.fingerprint_name = "helpers.studies.broadband_study.broadband_twin_row"


def settings(version: str = STUDY_VERSION) -> dict:
    """Everything besides options and twins that defines the stored cells (fingerprinted)."""
    from ..simulate import GENERATOR_VERSION

    return {"generator": GENERATOR_VERSION, "study": version}


def cells(n_years: int = N_YEARS, worlds=WORLDS) -> list:
    """The design's cells: :data:`N_CITIES` x ``n_years`` in every world."""
    return [_design.Cell(N_CITIES, n_years, w) for w in worlds]


def default_store() -> Path:
    """``data/power/broadband`` of the repository (or of the working directory outside one)."""
    # not via helpers.studies.power: its code must not enter this study's analysis digest
    from ..data import _checkout_root

    root = _checkout_root()
    return (root if root is not None else Path.cwd()) / "data" / "power" / "broadband"


def max_mc_se(reps: int) -> float:
    """Largest Monte Carlo SE of a share from ``reps`` twins (at p = 0.5): 0.5 / sqrt(reps)."""
    return float(0.5 / np.sqrt(reps))


def _options(options) -> dict:
    return {**OPTIONS, **dict(options or {})}


def expected_fingerprints(reps=REPS, n_years: int = N_YEARS, options=None, worlds=WORLDS) -> dict:
    """``{cell file name: fingerprint}`` the settings give every cell (what :func:`load` expects)."""
    opts = _options(options)
    return {f"{c.name}.parquet": _design.cell_fingerprint(c, broadband_twin_row, reps, STUDY_SEED, settings(),
                                                          opts, paired=PAIRED)
            for c in cells(n_years, worlds)}


def run(out=None, *, reps=REPS, n_years: int = N_YEARS, worlds=WORLDS, options=None, scheduler=None,
        n_workers=None, progress: bool = True, record: bool = True) -> _design.DesignStudy:
    """Run (or resume) the Broadband China design study on Dask; cells whose fingerprint and
    analysis digest are unchanged are reused. With ``record``, append the run to ``study.json``
    and rewrite ``performance.csv`` (:func:`performance`) when a cell was computed or the table is
    missing. Returns the :class:`helpers.studies.design.DesignStudy` (SIMULATED twins)."""
    out = Path(out) if out is not None else default_store()
    opts = _options(options)
    grid = cells(n_years, worlds)
    t0 = time.perf_counter()
    study = _design.run_study(grid, broadband_twin_row, out, reps=reps, study_seed=STUDY_SEED,
                              settings=settings(), options=opts, scheduler=scheduler, n_workers=n_workers,
                              progress=progress, paired=PAIRED)
    if record and study.computed:
        _record(out, study, grid, reps, opts, time.perf_counter() - t0, scheduler, n_workers)
    if record and (study.computed or not (out / PERFORMANCE_FILE).exists()):
        tab = performance(study.rows)
        _store.atomic_write(out / PERFORMANCE_FILE, tab.to_csv(index=False, float_format="%.10g").encode())
    return study


def _record(out: Path, study, grid, reps, opts, wall, scheduler, n_workers) -> None:
    log = study_log(out) or {"runs": []}
    log.update({"what": "Broadband China design on the national twin (SIMULATED twins)",
                **{k: v for k, v in settings().items()}, "study_seed": STUDY_SEED, "options": opts,
                "reps": {c.name: _design.reps_of(reps, c) for c in grid}, "paired_seeds": PAIRED,
                "cells": [c.name for c in grid]})
    log["runs"].append({"finished_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                        "wall_seconds": round(wall, 1), "cells_computed": study.computed,
                        "cells_reused": study.skipped,
                        "scheduler": str(scheduler) if scheduler is not None else
                        f"LocalCluster ({n_workers or os.cpu_count()} single-threaded workers)"})
    _store.atomic_write(out / "study.json", (json.dumps(log, indent=1, default=list) + "\n").encode())


def study_log(out=None) -> dict:
    """The study's ``study.json`` (settings, options, twins, runs); empty if absent."""
    path = Path(default_store() if out is None else out) / "study.json"
    return json.loads(path.read_text()) if path.exists() else {}


def load(out=None, *, n_years: int = N_YEARS) -> pd.DataFrame:
    """Every stored twin (one row per twin and world; SIMULATED). The repository's store
    (``out=None``) is checked against the current settings and options, with as many twins per
    cell as each cell holds (a cell computed otherwise is refused, not mixed in); another folder
    only has to hold cells of one study."""
    import pyarrow.parquet as pq

    if out is not None:
        return _design.load_study(out)
    store = default_store()
    grid = cells(n_years)
    paths = {c: store / f"{c.name}.parquet" for c in grid}
    twins = {c: pq.read_metadata(p).num_rows for c, p in paths.items() if p.exists()}
    return _design.load_study(store, grid, expect=expected_fingerprints(lambda c: twins.get(c, REPS), n_years))


def load_if_present(out=None, **kw) -> pd.DataFrame | None:
    """:func:`load`, or None when the folder holds no cell (the study was not run)."""
    folder = Path(default_store() if out is None else out)
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return None
    return load(out, **kw)


# --------------------------------------------------------------------------- performance
def _rate(rows: pd.DataFrame | None, col: str, level: float) -> tuple:
    from .performance import clopper_pearson

    if rows is None or col not in rows:
        return np.nan, np.nan, np.nan, 0
    v = pd.to_numeric(rows[col].astype("object").where(rows[col].notna()), errors="coerce").dropna()
    if v.empty:
        return np.nan, np.nan, np.nan, 0
    lo, hi = clopper_pearson(int(v.sum()), len(v), level)
    return float(v.mean()), lo, hi, len(v)


#: Columns :func:`performance` adds to :data:`helpers.studies.performance.PERFORMANCE_COLUMNS`:
#: prefix -> (world, per-twin column prefix).
EXTRA_RATES = {"two_sided_null": ("null_unconfounded", "reject_"), "two_sided_confounded": ("null", "reject_"),
               "pretrend": ("effect", "pretrend_"), "null_pretrend": ("null_unconfounded", "pretrend_")}


def performance(rows: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Performance of the design per cell and outcome, from its per-twin ``rows`` (SIMULATED).

    The columns of :func:`helpers.studies.performance.performance_table` with the random
    designation (``null_unconfounded``) as the null world and the threshold designation without
    effect (``null``) as the confounded one: bias, RMSE and coverage with Monte Carlo SEs and
    Clopper-Pearson intervals, one-sided power, the one-sided rejection rates of both no-effect
    worlds and size-adjusted power. Added, each as ``<prefix>_rate``, ``_low``, ``_high``
    (95% CP) and ``<prefix>_twins``: the two-sided rejection rate (nominal 0.05) in the random
    (``two_sided_null``) and the threshold (``two_sided_confounded``) no-effect worlds, and the
    share of twins whose pre-trend test rejects under threshold (``pretrend``, the same in the
    effect and ``null`` worlds) and random designation (``null_pretrend``); and ``detectable_sd``
    (:func:`detectable_effect`, effect world).
    """
    from .performance import performance_table

    tab = performance_table(rows, effect="effect", null="null_unconfounded", confounded="null", level=level)
    by = {w: dict(tuple(g.groupby(["n_cities", "n_years"]))) for w, g in rows.groupby("world")}
    extra = []
    for _, r in tab.iterrows():
        rec = {}
        for prefix, (world, col) in EXTRA_RATES.items():
            g = by.get(world, {}).get((r["n_cities"], r["n_years"]))
            rate, lo, hi, n = _rate(g, f"{col}{r['key']}", level)
            rec.update({f"{prefix}_rate": rate, f"{prefix}_low": lo, f"{prefix}_high": hi, f"{prefix}_twins": n})
        g = by.get("effect", {}).get((r["n_cities"], r["n_years"]))
        rec["detectable_sd"] = detectable_effect(g, r["key"])
        extra.append(rec)
    out = pd.concat([tab.reset_index(drop=True), pd.DataFrame(extra)], axis=1)
    out.attrs["simulated"] = True
    return out


def detectable_effect(rows: pd.DataFrame | None, key: str, *, power: float = 0.8, nominal: float = 0.025) -> float:
    r"""The effect, in cross-section SDs of the base year, that the one-sided test ("the 95%
    interval lies above zero", nominal ``nominal``) detects with probability ``power`` at this
    design, by the normal approximation

    .. math:: \text{MDE} = (z_{1-\text{nominal}} + z_{\text{power}})\,
              \overline{\mathrm{se}_y / \mathrm{sd}_y}

    over the twins' standard errors ``se_<key>`` and base-year SDs ``sd_<key>`` (an unbiased,
    normal estimate assumed: for an inconsistent design it is no detectable effect at all). NaN
    without those columns."""
    from scipy import stats

    if rows is None or f"se_{key}" not in rows or f"sd_{key}" not in rows:
        return float("nan")
    ratio = (pd.to_numeric(rows[f"se_{key}"], errors="coerce") / pd.to_numeric(rows[f"sd_{key}"], errors="coerce"))
    ratio = ratio[np.isfinite(ratio)]
    if ratio.empty:
        return float("nan")
    return float((stats.norm.ppf(1 - nominal) + stats.norm.ppf(power)) * ratio.mean())


def load_performance(out=None) -> pd.DataFrame | None:
    """The stored ``performance.csv`` of the study's folder, or None when there is none."""
    from .performance import read_performance_table

    return read_performance_table(Path(default_store() if out is None else out) / PERFORMANCE_FILE)


def verdicts(perf: pd.DataFrame, *, target: float = 0.8, nominal: float = TWO_SIDED_NOMINAL) -> pd.DataFrame:
    """Whether the design suffices for each outcome (one row per outcome of the largest design
    in ``perf``), by Chapter 8's rule:

    * **consistent**: the 95% CP interval of the two-sided rejection rate in the design's own
      no-effect world (threshold designation, ``two_sided_confounded``) contains ``nominal``
      (``size`` says ``"holds"``, ``"over"``: the interval lies above, or ``"under"``: below);
    * **powered**: the lower 95% CP bound of the power is at least ``target``; if not,
      ``short_of`` says why: ``"power"`` (the power itself is below ``target``) or ``"twins"``
      (the power reaches it but its interval does not: too few twins to vouch for it);
    * **sufficient**: both.
    """
    need = {"key", "n_cities", "n_years", "power", "power_low", "two_sided_confounded_low",
            "two_sided_confounded_high"}
    if not need <= set(perf.columns):
        raise ValueError(f"verdicts: the performance table needs columns {sorted(need - set(perf.columns))}")
    big = perf.sort_values(["n_cities", "n_years"]).groupby("key", sort=False).tail(1).set_index("key")
    lo, hi = big["two_sided_confounded_low"], big["two_sided_confounded_high"]
    out = big[["n_cities", "n_years", "twins", "power", "power_low", "power_high", "bias", "bias_mcse",
               "two_sided_confounded_rate", "two_sided_confounded_low", "two_sided_confounded_high",
               "two_sided_null_rate", "two_sided_null_low", "two_sided_null_high", "detectable_sd"]].copy()
    out["size"] = np.where(lo > nominal, "over", np.where(hi < nominal, "under", "holds"))
    out.loc[lo.isna() | hi.isna(), "size"] = "unknown"
    out["consistent"] = out["size"] == "holds"
    out["powered"] = out["power_low"] >= target
    # why not powered: the power itself is short, or only its Monte Carlo interval (too few twins)
    out["short_of"] = np.where(out["powered"], "", np.where(out["power"] >= target, "twins", "power"))
    out["sufficient"] = out["consistent"] & out["powered"]
    out.attrs.update(target=target, nominal=nominal, simulated=True)
    return out


def live_run(reps: int = 2, *, n_years: int = N_YEARS, n_workers: int | None = 1, scheduler=None,
             options=None) -> pd.DataFrame:
    """Run the design's cells live with ``reps`` twins each through the same Dask code, in a
    temporary folder; return the rows (the CI profile proves the pipeline; too few twins to
    measure anything)."""
    import logging
    import tempfile

    from .quiet import quiet_distributed

    with quiet_distributed(logging.CRITICAL), tempfile.TemporaryDirectory() as tmp:
        return run(tmp, reps=reps, n_years=n_years, options=options, scheduler=scheduler, n_workers=n_workers,
                   progress=False, record=False).rows


def main(argv=None) -> int:
    """``python -m helpers.studies.broadband_study run [--out DIR] [--reps R] [--years T]
    [--workers N | --scheduler tcp://...] [--no-progress]``: run or resume the study."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m helpers.studies.broadband_study",
                                 description="Run (or resume) the Broadband China design study on Dask "
                                             "(SIMULATED national twins).")
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run or resume the study; finished cells are skipped")
    r.add_argument("--out", type=Path, default=None, help="folder of the cells (default data/power/broadband)")
    r.add_argument("--reps", type=int, default=REPS, help=f"twins per cell (default {REPS})")
    r.add_argument("--years", type=int, default=N_YEARS, help=f"years from 2011 (default {N_YEARS})")
    r.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: one per core)")
    r.add_argument("--scheduler", default=None, help="address of a Dask scheduler, e.g. tcp://host:8786")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.scheduler is not None and args.workers is not None:
        ap.error("--workers sizes the local cluster; with --scheduler the cluster's own workers are used")
    out = args.out if args.out is not None else default_store()
    t0 = time.perf_counter()
    study = run(out, reps=args.reps, n_years=args.years, scheduler=args.scheduler, n_workers=args.workers,
                progress=not args.no_progress)
    wall = time.perf_counter() - t0
    print(f"Broadband China design study: {len(study.computed)} cells computed, {len(study.skipped)} reused, "
          f"{len(study.rows)} twins in {out} -- wall time {wall / 60:.1f} min ({wall:.0f} s). SIMULATED twins.")
    return 0


if __name__ == "__main__":
    # run the imported module's main: the per-twin function's __module__ then names the package
    # module (its code digest), not "__main__"
    from helpers.studies import broadband_study as _module

    raise SystemExit(_module.main())
