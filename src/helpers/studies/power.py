r"""The book's design study: how many cities and years does a test of the chain need?

:mod:`helpers.studies.design` is the generic runner (Dask, seeds, resumable Parquet cells); this module
fixes the book's own study and reads its results:

* **Grid.** N in :data:`N_GRID` (Guangdong's 21 cities, 50, 100, 200 and every prefecture-level
  unit with both census counts, 336) times T in :data:`T_GRID` (8, 13, 20 years), in the
  ``effect`` world (the twin's default parameters), the ``null`` world (virtual agglomeration
  affects nothing; the local confounder stays: for bias) and the ``null_unconfounded`` world
  (the same without the confounder: for size). Replicate r of a design has one seed in every
  world (common random numbers, :data:`PAIRED`). Each twin is :func:`helpers.studies.design_twin`.
* **Replicates.** :data:`REPS` twins per cell; a share from R twins has Monte Carlo SE
  :math:`\sqrt{\hat p(1-\hat p)/R}`, at most :math:`0.5/\sqrt R` (:func:`max_mc_se`).
* **Stored results.** One Parquet file per cell in ``data/power`` with its fingerprint (generator
  version, analysis options, twins, study seed), and ``study.json`` / ``PROVENANCE.md`` with the
  runs (:func:`run`). ``make power`` runs the study: a rerun skips finished cells, extends those
  short of twins (:mod:`helpers.studies.power_plan`) and recomputes the others.
* **Performance.** :func:`performance` (``performance.csv``, by :func:`run`): bias, RMSE, coverage,
  power and the no-effect worlds' rejection rates per design and estimate.
* **Reading.** :func:`outcome_columns` picks the hypotheses (``H*``), per-estimate significance
  (``sig_*``) and coverage (``covers_*``) columns generically, whatever the per-twin function
  reports; :func:`power_long`, :func:`minimum_designs` and the sentence functions turn them into
  the chapter's exhibits. Every number is from SIMULATED twins.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .. import registry as _registry
from ..simulate.model import DEFAULT_SEED
from . import design as _design
from . import store as _store
from . import study_record as _rec
from .scale_check import SCALE_NOT_SCORED
from .study_record import provenance_text, record_null_run, reps_record, store_note, write_log  # noqa: F401

#: City counts of the grid; 336 is every prefecture-level unit of the national registry with both
#: census counts (:func:`helpers.data.cities.city_set` ``"national"``).
N_GRID = (21, 50, 100, 200, 336)
#: Year counts of the grid (2011 onwards).
T_GRID = (8, 13, 20)
#: Twins per cell by city count (the whole study runs in about 40 minutes on two cores;
#: tools/bench_design.py measures the per-twin cost by N). An ``(N, T)`` key sets one design in every
#: world: 21 x 13 has enough twins for coverage claims (:mod:`helpers.studies.power_plan`). The FE
#: test's size at 21 x 13 has its own run (``nulls_21x13.csv``, :mod:`helpers.studies.nulls`).
REPS = {21: 200, 50: 150, 100: 100, 200: 60, 336: 60, (21, 13): 500}
#: Year counts at which the no-effect worlds are run (:func:`cells`).
NULL_YEARS = (13,)
#: Worlds of the stored grid: ``effect``, ``null`` (confounded: bias), ``null_unconfounded`` (size).
WORLDS = _design.WORLDS
#: Replicates share their seed across worlds (:func:`helpers.studies.design.twin_seed`).
PAIRED = True
#: Analysis options of every twin (bootstrap sizes of :func:`helpers.analysis.report.run_mechanism`).
OPTIONS = {"n_boot": 199, "threshold_boot": 49}
#: Seed of the whole study (each twin's seed is derived from it and the twin's coordinates).
STUDY_SEED = DEFAULT_SEED
#: Version of the study's definition (grid, options, scoring, seeds): part of every cell's
#: fingerprint. 2: three worlds (the two no-effect worlds at 13 years), seeds shared across worlds.
STUDY_VERSION = "2"
#: Earlier definitions whose stored cells :func:`load` still reads (with a note) until the study
#: is recomputed: version -> (paired seeds, worlds). Their cells hold as many twins as they hold.
LEGACY_VERSIONS = {"1": (False, ("effect", "null"))}
#: Target power of :func:`minimum_designs`.
TARGET = 0.8
#: Estimates stored with a truth column that the performance table does not score, and why (:mod:`.scale_check`).
NOT_SCORED = {"total_lag": "the twin is static, so lagged VA has no causal estimand of its own; its stored "
                           "truth was the contemporaneous effect, which it does not estimate", **SCALE_NOT_SCORED}

PATTERNS = {"hypothesis": r"^H\d+$", "estimate": r"^sig_", "coverage": r"^covers_"}

#: Short names of the estimates (keys of :func:`helpers.analysis.report.estimates_table` and of the
#: per-twin function's extra rows); an unknown key is shown as it is.
ESTIMATE_LABELS = _registry.labels()


def label(measure: str, short: bool = False) -> str:
    """Readable name of a study column: ``H2`` -> its claim, ``sig_via_flows`` -> the estimate."""
    from ..analysis.report import HYPOTHESES

    if measure in HYPOTHESES:
        return measure if short else f"{measure}: {HYPOTHESES[measure]}"
    key = measure.split("_", 1)[1] if measure.startswith(("sig_", "covers_")) else measure
    return ESTIMATE_LABELS.get(key, key.replace("_", " "))


def analyse():
    """The per-twin function of the book's study (imported here so the runner stays generic)."""
    from .twin_cell import design_twin

    return design_twin


def settings(version: str = STUDY_VERSION) -> dict:
    """Everything besides options and twins that defines the stored results (fingerprinted)."""
    from ..simulate import GENERATOR_VERSION

    return {"generator": GENERATOR_VERSION, "study": version}


def cells(n_grid=N_GRID, t_grid=T_GRID, worlds=WORLDS) -> list:
    """The grid as :class:`helpers.studies.design.Cell` objects; the two no-effect worlds only at
    :data:`NULL_YEARS` (in every year count they would double the cost), unless the grid asked
    for has none of those years: then its own."""
    keep = set(t_grid) & set(NULL_YEARS) or set(t_grid)
    return [c for c in _design.grid(n_grid, t_grid, worlds) if c.world == "effect" or c.n_years in keep]


def default_store() -> Path:
    """``data/power`` of the repository (or of the working directory outside a checkout)."""
    from ..data import _checkout_root

    root = _checkout_root()
    return (root if root is not None else Path.cwd()) / "data" / "power"


def max_mc_se(reps) -> float:
    """Largest Monte Carlo standard error of a share from ``reps`` twins (at p = 0.5)."""
    return 0.5 / np.sqrt(reps)


def run(out=None, *, n_grid=N_GRID, t_grid=T_GRID, worlds=WORLDS, reps=None, scheduler=None,
        n_workers=None, progress=True, options=None, record: bool = True) -> _design.DesignStudy:
    """Run (or resume) the book's design study on Dask and record how it was produced.

    Parameters
    ----------
    out : path, optional
        Folder of the stored cells (default :func:`default_store`).
    n_grid, t_grid, worlds
        The grid (default the book's).
    reps : int or dict, optional
        Twins per cell (default :data:`REPS`).
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:8786``); default a LocalCluster on this machine.
    n_workers : int, optional
        Workers of the LocalCluster (default one per core).
    record : bool
        Append this run to ``study.json``, rewrite ``PROVENANCE.md`` and write the performance
        table ``performance.csv`` (:func:`performance`) of every cell in ``out`` when the run
        computed any cell (or the table is missing).
    """
    out = Path(out) if out is not None else default_store()
    reps = REPS if reps is None else reps
    grid = cells(n_grid, t_grid, worlds)
    opts = dict(OPTIONS if options is None else options)
    t0 = time.perf_counter()
    study = _design.run_study(grid, analyse(), out, reps=reps, study_seed=STUDY_SEED, settings=settings(),
                              options=opts, scheduler=scheduler, n_workers=n_workers, progress=progress,
                              paired=PAIRED)
    wall = time.perf_counter() - t0
    if record and study.computed:
        _record(out, study, grid, reps, opts, wall, scheduler, n_workers)
    if record and (study.computed or not performance_path(out).exists()):
        write_performance(out)
    return study


def _record(out: Path, study, grid, reps, opts, wall, scheduler, n_workers) -> None:
    import dask
    import distributed

    log = study_log(out) or {"runs": []}
    base, extra = reps_record(reps, grid)
    log.update({
        "what": "design study of the virtual-agglomeration book (SIMULATED twins)",
        "generator": settings()["generator"], "study_version": STUDY_VERSION, "study_seed": STUDY_SEED,
        "options": opts, "reps": {**log.get("reps", {}), **base}, "reps_cells": {**log.get("reps_cells", {}), **extra},
        "worlds": sorted(set(log.get("worlds", ())) | {c.world for c in grid}, key=WORLDS.index), "paired_seeds": PAIRED,
        "cells": _rec.stored_cells(out, grid),
    })
    log["runs"].append({
        "finished_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "wall_seconds": round(wall, 1), "cells_computed": study.computed, "cells_reused": study.skipped,
        "cells_extended": study.extended, "twins_computed": study.twins_computed,
        "scheduler": scheduler or f"LocalCluster ({n_workers or os.cpu_count()} single-threaded workers)",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "python": sys.version.split()[0], "dask": dask.__version__, "distributed": distributed.__version__,
    })
    write_log(out, log)


def expected_fingerprints(version: str = STUDY_VERSION, twins: dict | None = None) -> dict:
    """``{cell file name: fingerprint}`` the book's settings give every cell of the grid under the
    study definition ``version`` (default the current one; or one of :data:`LEGACY_VERSIONS`).
    ``twins`` (file name -> number of twins) replaces the definition's twins per cell."""
    fn, opts = analyse(), dict(OPTIONS)
    paired, worlds = (PAIRED, WORLDS) if version == STUDY_VERSION else LEGACY_VERSIONS[version]
    twins = twins or {}
    return {f"{c.name}.parquet": _design.cell_fingerprint(c, fn, twins.get(f"{c.name}.parquet", REPS), STUDY_SEED,
                                                          settings(version), opts, paired=paired)
            for c in cells(worlds=worlds)}


def _stored_twins(folder: Path) -> dict:
    import pyarrow.parquet as pq

    return {p.name: pq.read_metadata(p).num_rows for p in sorted(folder.glob("*.parquet"))}


def load(out=None) -> pd.DataFrame:
    """Every stored twin of the study (one row per twin; SIMULATED).

    The repository's store (``out=None``) is checked against the book's current settings: a
    cell computed with other settings is refused, not mixed in (rerun ``make power``); another
    folder only has to hold cells of one study. Content hashes are verified either way.

    Until ``make power`` reruns, a store of one earlier definition (:data:`LEGACY_VERSIONS`) or with
    other twin counts than :data:`REPS` (``attrs["other_twins"]``: file -> (held, asked)) is read with
    a note in ``attrs["store_notes"]``; ``attrs["study_version"]`` says which definition it is.
    """
    if out is not None:
        rows = _design.load_study(out)
        rows.attrs["study_version"] = None
        return rows
    store = default_store()
    try:
        rows = _design.load_study(store, expect=expected_fingerprints())
        rows.attrs["study_version"] = STUDY_VERSION
        return rows
    except _store.StoreError as err:
        first = err
    twins = _stored_twins(store)
    asked = {f"{c.name}.parquet": _design.reps_of(REPS, c) for c in cells()}
    for version in (*LEGACY_VERSIONS, STUDY_VERSION):   # the current one: cells with other twin counts
        try:
            rows = _design.load_study(store, expect=expected_fingerprints(version, twins))
        except _store.StoreError:
            continue
        rows.attrs["study_version"] = version
        rows.attrs["other_twins"] = {n: (k, asked[n]) for n, k in twins.items() if n in asked and k != asked[n]}
        rows.attrs["store_notes"] = list(rows.attrs.get("store_notes", [])) + [store_note(
            version, STUDY_VERSION, LEGACY_VERSIONS.get(version, (None, ()))[1], rows.attrs["other_twins"])]
        return rows
    raise first


def study_log(out=None) -> dict:
    """The stored study's ``study.json`` (runs, wall times, settings); empty if absent."""
    path = Path(default_store() if out is None else out) / "study.json"
    return json.loads(path.read_text()) if path.exists() else {}


# --------------------------------------------------------------------------- reading results
def outcome_columns(rows: pd.DataFrame, kind: str) -> list:
    """Columns of one kind, picked by name: ``hypothesis`` (H1, H2, ...), ``estimate``
    (``sig_<key>``: the estimate's 95% interval lies above zero) or ``coverage``
    (``covers_<key>``); columns that are missing in every twin are left out."""
    if kind not in PATTERNS:
        raise ValueError(f"kind must be one of {sorted(PATTERNS)}, got {kind!r}")
    cols = [c for c in rows.columns if re.match(PATTERNS[kind], c) and rows[c].notna().any()]
    return sorted(cols, key=lambda c: (len(c), c)) if kind == "hypothesis" else cols


def _as_float(rows: pd.DataFrame, columns) -> pd.DataFrame:
    out = rows.copy()
    for c in columns:
        out[c] = pd.to_numeric(out[c].astype("object").where(out[c].notna()), errors="coerce").astype(float)
    return out


def power_long(rows: pd.DataFrame, columns) -> pd.DataFrame:
    """Long table of shares: world, n_cities, n_years, measure, share, mc_se, twins.

    In the ``effect`` world a share of ``H*`` or ``sig_*`` is power; in the ``null`` world it is
    the false-positive rate; a share of ``covers_*`` is interval coverage. ``twins`` counts the
    twins where the measure is defined (e.g. no PRD city: no PRD estimate)."""
    columns = list(columns)
    if not columns:
        raise ValueError("power_long: no columns to summarise")
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise ValueError(f"power_long: the study has no column {missing[0]!r}")
    r = _as_float(rows, columns)
    g = r.groupby(["world", "n_cities", "n_years"])
    share, count = g[columns].mean(), g[columns].count()
    long = share.stack(future_stack=True).rename("share").to_frame()
    long["twins"] = count.stack(future_stack=True)
    long["mc_se"] = np.sqrt(long["share"] * (1 - long["share"]) / long["twins"].where(long["twins"] > 0))
    long.index = long.index.set_names("measure", level=-1)
    return long.reset_index()[["world", "n_cities", "n_years", "measure", "share", "mc_se", "twins"]]


def minimum_designs(rows: pd.DataFrame, columns, target: float = TARGET, world: str = "effect",
                    level: float = 0.05) -> pd.DataFrame:
    """For each measure, the smallest design of the grid (fewest city-years, then fewest cities)
    whose share reaches ``target``, and at each T the fewest cities that do; and the same with
    the size of the test held.

    Power means little where the test rejects too often without an effect: a design counts as
    *size-controlled* for a measure when, in the no-effect world at the same N and T, the share
    declaring it is not more than two Monte Carlo SEs above ``level`` (measures whose truth is
    not zero in that world, :func:`null_columns`, and grids without that world are taken as
    controlled).

    Returns one row per measure: ``n_cities``, ``n_years``, ``city_years``, ``share``, ``mc_se``
    of the smallest design (NaN when no cell reaches the target), ``false_positive`` and
    ``fp_mc_se`` (the no-effect world's share at that design), ``best_share`` and
    ``best_design`` (the grid's highest share, for "not reached" sentences), ``min_N_T<T>``
    for each T of the grid (NaN: not reached at that T), and ``sized_n_cities``,
    ``sized_n_years``, ``sized_share``: the smallest size-controlled design reaching the target."""
    long = power_long(rows[rows["world"] == world], columns)
    long["city_years"] = long["n_cities"] * long["n_years"]
    zero, _ = null_columns(rows, columns) if (rows["world"] == "null").any() else ([], [])
    if zero:
        fp = power_long(rows[rows["world"] == "null"], zero)[["n_cities", "n_years", "measure", "share", "mc_se"]]
        long = long.merge(fp.rename(columns={"share": "false_positive", "mc_se": "fp_mc_se"}),
                          on=["n_cities", "n_years", "measure"], how="left")
    else:
        long["false_positive"], long["fp_mc_se"] = np.nan, np.nan
    long["sized"] = ~(long["false_positive"] - 2 * long["fp_mc_se"].fillna(0) > level)
    out = []
    for m, d in long.groupby("measure", sort=False):
        d = d.dropna(subset=["share"])
        rec = {"measure": m}
        ok = d[d["share"] >= target].sort_values(["city_years", "n_cities"])
        first = ok.iloc[0] if len(ok) else None
        for k in ("n_cities", "n_years", "city_years", "share", "mc_se", "false_positive", "fp_mc_se"):
            rec[k] = float(first[k]) if first is not None else np.nan
        sized = ok[ok["sized"]]
        for k in ("n_cities", "n_years", "share"):
            rec[f"sized_{k}"] = float(sized.iloc[0][k]) if len(sized) else np.nan
        if len(d):
            best = d.sort_values(["share", "city_years"], ascending=[False, True]).iloc[0]
            rec["best_share"] = float(best["share"])
            rec["best_design"] = f"{int(best['n_cities'])} cities x {int(best['n_years'])} years"
        else:
            rec["best_share"], rec["best_design"] = np.nan, ""
        for t, dt in d.groupby("n_years"):
            okt = dt[dt["share"] >= target]
            rec[f"min_N_T{int(t)}"] = float(okt["n_cities"].min()) if len(okt) else np.nan
        out.append(rec)
    return pd.DataFrame(out).set_index("measure").loc[list(dict.fromkeys(columns))]


def null_columns(rows: pd.DataFrame, columns) -> tuple[list, list]:
    """Split ``columns`` into those whose truth is zero in the no-effect world (a supported
    verdict there is a false positive) and those whose truth is not (e.g. the exposure channel
    of participation, which exists in both worlds). An estimate's truth is its ``true_<key>``
    column; a column without one (the hypotheses, all about effects of virtual agglomeration)
    counts as zero."""
    null = rows[rows["world"] == "null"]
    zero, other = [], []
    for c in columns:
        key = c.split("_", 1)[1] if c.startswith(("sig_", "covers_")) else None
        t = null.get(f"true_{key}") if key else None
        if t is None or not (pd.to_numeric(t, errors="coerce").abs() > 1e-9).any():
            zero.append(c)
        else:
            other.append(c)
    return zero, other


def load_benchmark(out=None) -> pd.DataFrame | None:
    """The stored benchmark of ``tools/bench_design.py`` (``benchmark.csv``), or None."""
    path = Path(default_store() if out is None else out) / "benchmark.csv"
    return pd.read_csv(path) if path.exists() else None


# --------------------------------------------------------------------------- performance table
#: File of the stored performance table in the study's folder.
PERFORMANCE_FILE = "performance.csv"


def performance_path(out=None) -> Path:
    """``performance.csv`` of the store ``out`` (default :func:`default_store`)."""
    return Path(default_store() if out is None else out) / PERFORMANCE_FILE


def performance(rows: pd.DataFrame) -> pd.DataFrame:
    """The study's performance table (:func:`helpers.studies.performance.performance_table`) of
    its per-twin ``rows``: per design and estimate or hypothesis, bias, RMSE and coverage with
    Monte Carlo errors, power, the rejection rates of the unconfounded and the confounded
    no-effect worlds with Clopper-Pearson intervals, and size-adjusted power; the estimates of
    :data:`NOT_SCORED` get no bias, RMSE or coverage. SIMULATED twins."""
    from .performance import PERFORMANCE_COLUMNS, performance_table

    if not (rows["world"] == "effect").any():    # e.g. a run of the no-effect worlds alone: no rows
        return pd.DataFrame(columns=PERFORMANCE_COLUMNS)
    return performance_table(rows, unscored=tuple(NOT_SCORED))


def write_performance(out=None) -> Path:
    """Recompute the performance table from every stored cell of ``out`` and write it
    (``performance.csv``, 10 significant digits)."""
    path = performance_path(out)
    # the repository's store is read against the grid (a relative path too): stale cells of an
    # earlier definition left in the folder must not enter the table
    rows = load(None if out is None or Path(out).resolve() == default_store().resolve() else out)
    _store.atomic_write(path, performance(rows).to_csv(index=False, float_format="%.10g").encode())
    return path


def load_performance(out=None) -> pd.DataFrame | None:
    """The stored performance table (``performance.csv``), or None when the store has none yet."""
    from .performance import read_performance_table

    return read_performance_table(performance_path(out))


def paired_verdicts(rows: pd.DataFrame, measure: str, world_a: str, world_b: str, n_cities: int,
                    n_years: int) -> dict | None:
    """McNemar's exact test (:func:`helpers.studies.performance.mcnemar_exact`) of the verdict
    column ``measure`` between two worlds at one design, over the twins that share their seed
    (replicate and seed equal): ``a`` is ``world_a``'s verdict. None when no twin is paired
    (a store computed before seeds were shared across worlds)."""
    from .performance import mcnemar_exact

    cell = rows[(rows["n_cities"] == n_cities) & (rows["n_years"] == n_years)]
    a = cell[cell["world"] == world_a][["rep", "seed", measure]]
    b = cell[cell["world"] == world_b][["rep", "seed", measure]]
    m = a.merge(b, on=["rep", "seed"], suffixes=("_a", "_b")).dropna()
    if m.empty:
        return None
    return mcnemar_exact(m[f"{measure}_a"].astype(bool), m[f"{measure}_b"].astype(bool))


def live_run(n_grid, t_grid, worlds=("effect",), reps: int = 4, n_workers: int | None = 2,
             scheduler=None) -> pd.DataFrame:
    """Run a tiny grid live through the same Dask code as the stored study (a LocalCluster of
    ``n_workers``, or ``scheduler``), in a temporary folder; return its twins' rows.

    The book's CI profile runs it to prove the pipeline end to end; its numbers have few twins
    and are not the study's results."""
    import logging
    import tempfile

    from .quiet import quiet_distributed

    # nothing the cluster logs belongs in the chapter: under load a worker's heartbeat can time
    # out and log a traceback (ERROR, naming files of this machine); a real failure raises here
    with quiet_distributed(logging.CRITICAL), tempfile.TemporaryDirectory() as tmp:
        study = run(tmp, n_grid=n_grid, t_grid=t_grid, worlds=worlds, reps=reps, scheduler=scheduler,
                    n_workers=n_workers, progress=False, record=False)
        return study.rows


def _parse_reps(text: str | None):
    # "200" or "21:200,50:200,336:40"
    if text is None:
        return None
    if ":" not in text:
        return int(text)
    return {int(k): int(v) for k, v in (part.split(":") for part in text.split(","))}


def main(argv=None) -> int:
    """``python -m helpers.studies.power run [options]``: run (or resume) the book's design study.

    Options: ``--out DIR`` (default ``data/power`` of the repository), ``--scheduler tcp://...``
    (default a LocalCluster sized to the machine), ``--workers N`` (LocalCluster workers),
    ``--reps R`` or ``--reps 21:200,50:200,...`` (default :data:`helpers.studies.power.REPS`),
    ``--cities 21 50 ...`` and ``--years 8 13 ...`` (default the book's grid), ``--worlds``,
    ``--no-progress``. Prints the cells computed and reused and the wall time.
    """
    import argparse

    ap = argparse.ArgumentParser(prog="python -m helpers.studies.power",
                                 description="Run (or resume) the book's design study on Dask (SIMULATED twins).")
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run or resume the study; finished cells are skipped")
    r.add_argument("--out", type=Path, default=None, help="folder of the per-cell Parquet files (default data/power)")
    r.add_argument("--scheduler", default=None, help="address of a Dask scheduler, e.g. tcp://host:8786 "
                   "(default: a LocalCluster on this machine)")
    r.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: one per core)")
    r.add_argument("--reps", default=None, help="twins per cell: a number, or N:R pairs like 21:200,336:40 "
                   "(default: helpers.studies.power.REPS)")
    r.add_argument("--cities", type=int, nargs="+", default=list(N_GRID), help="city counts N")
    r.add_argument("--years", type=int, nargs="+", default=list(T_GRID), help="year counts T")
    r.add_argument("--worlds", nargs="+", default=list(WORLDS), choices=WORLDS)
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.scheduler is not None and args.workers is not None:
        ap.error("--workers sizes the local cluster; with --scheduler the cluster's own workers are used")
    out = args.out if args.out is not None else default_store()
    t0 = time.perf_counter()
    study = run(out, n_grid=args.cities, t_grid=args.years, worlds=args.worlds, reps=_parse_reps(args.reps),
                      scheduler=args.scheduler, n_workers=args.workers, progress=not args.no_progress)
    wall = time.perf_counter() - t0
    print(f"design study: {len(study.computed)} cells computed, {len(study.skipped)} reused, {len(study.rows)} twins "
          f"in {out} ({len(study.extended)} cells extended, {study.twins_computed} twins computed) -- wall time {wall / 60:.1f} min ({wall:.0f} s). SIMULATED twins.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
