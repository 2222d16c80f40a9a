r"""The design study: how many cities and years does a test of the chain need?

A *cell* of the design grid is a study size (N cities, T years) and a world (``effect``: the
twin's default parameters; ``null``: virtual agglomeration affects nothing). For each cell the
study simulates R twins, runs the book's analysis on each and stores one row per twin: which
hypotheses the analysis declared supported, and for each estimate whether its interval covers
the truth of its own estimand. Summaries are shares over twins with Monte Carlo standard errors
:math:`\sqrt{\hat p (1 - \hat p) / R}`.

Engineering:

- **Dask.** Twins run as tasks on :mod:`dask.distributed`: a :class:`~distributed.LocalCluster`
  sized to the machine by default (one single-threaded worker process per core), or any
  scheduler a user names (``scheduler="tcp://host:8786"``). No home-made pool.
- **Same seeds, same results.** Each twin's seed is derived from the study seed and the twin's
  coordinates (N, T, world, replicate) by :class:`numpy.random.SeedSequence`, never from the
  order in which workers finish, so 1 or 20 workers give identical tables.
- **Resumable.** Each finished cell is one Parquet file ``<N>x<T>-<world>.parquet`` whose
  metadata carries the cell's *fingerprint* (generator version, analysis settings, number of
  twins, study seed). A rerun skips cells whose file has the same fingerprint and recomputes the
  others, so a changed generator version invalidates them. A cell asked for more twins than it
  holds is *extended* when its stored rows are exactly its first replicates under the same
  settings (:func:`plan`): only the new replicates are computed, as their seeds do not depend on
  how many twins a cell has.
- **Trustworthy store.** Cells are written, hashed (``SHA256SUMS``), verified on reuse and
  read through :mod:`helpers.studies.store`: a damaged or unreadable cell is recomputed (the
  note names the file), a cell computed by other analysis code (its ``analysis_digest``) is
  recomputed, cells of different studies are never mixed, temporary files never follow a
  planted symlink, and an unwritable folder is refused before anything is computed.
- **Quiet under load.** The cluster logs errors only and its workers get a long grace period
  to stop (:mod:`helpers.studies.quiet`), so a busy machine adds no time-stamped warnings to a
  chapter's output.
- **One BLAS thread per worker.** Each twin runs under ``threadpoolctl.threadpool_limits(1)``, so
  worker processes do not fight over the cores with multi-threaded linear algebra.

The command line (``python -m helpers.studies.power run ...``, see :func:`helpers.studies.power.main`) runs the book's own
study (:mod:`helpers.studies.power`).

This module never imports :mod:`helpers.simulate` itself: the per-twin function is passed in
(``helpers.studies.design_twin`` in the book), so the runner is reusable for any study.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._results import Result
from ..simulate.model import DEFAULT_SEED
from . import store as _store
from .quiet import close_local, quiet_distributed

#: Worlds of a cell: ``effect`` (the twin's default parameters), ``null`` (no effect of virtual
#: agglomeration, the local confounder kept: for bias) and ``null_unconfounded`` (the same without
#: the confounder: for size; :func:`helpers.studies.nulls.world_params`).
WORLDS = ("effect", "null", "null_unconfounded")
#: Worlds of :func:`grid` when none are named (the runner's original two).
GRID_WORLDS = ("effect", "null")


@dataclass(frozen=True)
class Cell:
    """One study size and world of the design grid."""

    n_cities: int
    n_years: int
    world: str = "effect"

    def __post_init__(self):
        if self.world not in WORLDS:
            raise ValueError(f"world must be one of {WORLDS}, got {self.world!r}")
        if self.n_cities < 3 or self.n_years < 3:
            raise ValueError(f"a cell needs at least 3 cities and 3 years, got {self.n_cities} x {self.n_years}")

    @property
    def name(self) -> str:
        return f"{self.n_cities}x{self.n_years}-{self.world}"


def grid(n_cities: Iterable[int], n_years: Iterable[int], worlds: Iterable[str] = GRID_WORLDS) -> list[Cell]:
    """Every combination of city counts, year counts and worlds, smallest designs first."""
    return [Cell(n, t, w) for n in sorted(set(n_cities)) for t in sorted(set(n_years)) for w in worlds]


def twin_seed(study_seed: int, cell: Cell, rep: int, *, paired: bool = False) -> int:
    """Seed of replicate ``rep`` in ``cell``: a pure function of the coordinates, not of scheduling.

    ``paired``: the world is left out of the coordinates, so replicate ``rep`` of one design has
    the same seed in every world (common random numbers: twins differ only by the world's
    parameters, and verdicts can be compared pair by pair, e.g. by McNemar's test)."""
    world = 0 if paired else WORLDS.index(cell.world)
    ss = np.random.SeedSequence([study_seed, cell.n_cities, cell.n_years, world, rep])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def fingerprint(settings: dict) -> str:
    """Short stable hash of the settings that define a cell's results."""
    blob = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _cell_path(out_dir: Path, cell: Cell) -> Path:
    return out_dir / f"{cell.name}.parquet"


def _stored_fingerprint(path: Path) -> str | None:
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, ValueError):
        return None  # unreadable or half-written: recompute
    return meta.get(b"design_fingerprint", b"").decode() or None


def _write_cell(path: Path, rows: pd.DataFrame, meta: dict) -> None:
    """Write a cell through the store (O_EXCL temporary file, atomic rename) and record its hash."""
    sha = _store.write_cell(path, rows, meta)
    _store.record_hashes(path.parent, {path.name: sha})


def _run_one(analyse: Callable, cell: Cell, rep: int, seed: int, options: dict, blas_threads: int | None = 1) -> dict:
    if blas_threads is None:
        row = analyse(n_cities=cell.n_cities, n_years=cell.n_years, world=cell.world, seed=seed, **options)
    else:
        from threadpoolctl import threadpool_limits

        # one process per core: multi-threaded BLAS inside each would oversubscribe the cores
        with threadpool_limits(limits=blas_threads):
            row = analyse(n_cities=cell.n_cities, n_years=cell.n_years, world=cell.world, seed=seed, **options)
    return {"n_cities": cell.n_cities, "n_years": cell.n_years, "world": cell.world, "rep": rep,
            "seed": seed, **row}


@dataclass(repr=False)
class DesignStudy(Result):
    """Per-twin rows of a design study, and where they are stored."""

    rows: pd.DataFrame
    out_dir: Path
    computed: list
    skipped: list
    seconds: float
    notes: list = field(default_factory=list)
    #: cells of ``computed`` that kept their stored twins and got new ones (:func:`plan`)
    extended: list = field(default_factory=list)
    #: twins this run computed (an extended cell counts its new twins only)
    twins_computed: int = 0

    def summary(self) -> str:
        return (f"DesignStudy: {len(self.rows)} twins in {self.rows.groupby(['n_cities', 'n_years', 'world']).ngroups}"
                f" cells ({len(self.computed)} computed, of which {len(self.extended)} extended, {len(self.skipped)}"
                f" reused; {self.twins_computed} twins computed) in {self.seconds:.1f} s"
                f" -- SIMULATED twins; results in {self.out_dir}"
                + "".join(f"\n  note: {n}" for n in self.notes))


#: No dashboard, and the scheduler's HTTP server on a free port: with ``dashboard_address=None``
#: alone it still tries port 8787 and warns on stderr when another cluster holds it.
#: ``silence_logs``: the cluster's own handlers (and its workers) print errors only.
LOCAL_CLUSTER_OPTIONS = {"dashboard_address": None, "scheduler_kwargs": {"dashboard": False, "dashboard_address": ":0"},
                         "silence_logs": logging.ERROR}


def _client(scheduler, n_workers):
    from distributed import Client, LocalCluster

    if scheduler is not None:
        return Client(scheduler), None
    n = n_workers or os.cpu_count() or 1
    # one single-threaded process per core: the estimators are NumPy-bound and hold the GIL often
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, **LOCAL_CLUSTER_OPTIONS)
    return Client(cluster), cluster


def reps_of(reps, cell: Cell) -> int:
    """Twins in ``cell``: ``reps`` is a number, a mapping N -> number (an ``(N, T, world)`` or
    ``(N, T)`` key, when present, overrides N for that cell), or a function of the cell."""
    if callable(reps):
        r = reps(cell)
    elif isinstance(reps, dict) and (cell.n_cities, cell.n_years, cell.world) in reps:
        r = reps[(cell.n_cities, cell.n_years, cell.world)]
    elif isinstance(reps, dict) and (cell.n_cities, cell.n_years) in reps:
        r = reps[(cell.n_cities, cell.n_years)]
    elif isinstance(reps, dict):
        if cell.n_cities not in reps:
            raise ValueError(f"reps: no number of twins for {cell.n_cities} cities (have {sorted(reps)})")
        r = reps[cell.n_cities]
    else:
        r = reps
    if int(r) != r or r < 1:
        raise ValueError(f"reps: cell {cell.name} needs a positive whole number of twins, got {r!r}")
    return int(r)


def analyse_name(analyse: Callable) -> str:
    """The name of the per-twin function in a cell's fingerprint: its ``fingerprint_name``
    attribute when it has one (a function that moved between modules keeps the name its stored
    cells were fingerprinted under), else ``module.qualname``."""
    return getattr(analyse, "fingerprint_name", None) or f"{analyse.__module__}.{analyse.__qualname__}"


def cell_fingerprint(cell: Cell, analyse: Callable, reps, study_seed: int, settings: dict | None,
                     options: dict | None, *, paired: bool = False) -> str:
    """Fingerprint of one cell's stored results: everything that defines them (``paired`` only
    when set, so the fingerprints of unpaired studies are those they always had)."""
    blob = {"settings": settings or {}, "options": dict(options or {}), "reps": reps_of(reps, cell),
            "study_seed": study_seed, "analyse": analyse_name(analyse)}
    return fingerprint({**blob, "paired": True} if paired else blob)


def study_fingerprint(analyse: Callable, study_seed: int, settings: dict | None, options: dict | None) -> str:
    """Fingerprint shared by every cell of one study (the cell fingerprint without its twins)."""
    return fingerprint({"settings": settings or {}, "options": dict(options or {}), "study_seed": study_seed,
                        "analyse": analyse_name(analyse)})


#: What a run does with a cell (:func:`plan`).
ACTIONS = ("reuse", "extend", "compute")


@dataclass(frozen=True)
class CellPlan:
    """What a run of the study would do with one cell: ``reuse`` its stored twins, ``extend`` them
    (keep ``stored`` twins and compute replicates ``stored`` .. ``twins - 1``) or ``compute`` all
    ``twins``; ``note`` says why a stored cell is not reused when it is damaged or stale code."""

    cell: Cell
    action: str
    stored: int
    twins: int
    note: str | None = None

    @property
    def new_twins(self) -> int:
        return self.twins - self.stored


def _extendable_rows(path: Path, cell: Cell, analyse: Callable, wanted: int, study_seed: int, settings, options,
                     paired: bool, digest: str | None, manifest: dict) -> pd.DataFrame | None:
    """The stored rows of ``cell`` when they are exactly its first replicates under the run's
    settings, so a fresh run of ``wanted`` twins would begin with them; else None.

    Checked: the content hash is recorded and matches (extending rewrites the file and records a
    new hash, which must not vouch for unverified rows); fewer twins than ``wanted``; the stored
    fingerprint is the one these settings give that many twins; the analysis digest is the
    current one; the rows are replicates 0 .. n-1 with the seeds :func:`twin_seed` gives them."""
    if path.name not in manifest:
        return None
    try:
        rows, meta = _store.read_cell(path, manifest[path.name])
    except _store.StoreError:
        return None
    n = len(rows)
    if not 0 < n < wanted or digest is None or meta.get("analysis_digest") != digest:
        return None
    if meta.get("design_fingerprint") != cell_fingerprint(cell, analyse, n, study_seed, settings, options,
                                                           paired=paired):
        return None
    if not {"rep", "seed"} <= set(rows.columns) or not np.array_equal(rows["rep"].to_numpy(), np.arange(n)):
        return None
    seeds = [twin_seed(study_seed, cell, r, paired=paired) for r in range(n)]
    return rows if np.array_equal(rows["seed"].to_numpy(), seeds) else None


def _plan(cells, analyse, out_dir: Path, reps, study_seed, settings, options, paired):
    """The plan of every cell and the stored rows of the cells to extend."""
    fps = {c: cell_fingerprint(c, analyse, reps, study_seed, settings, options, paired=paired) for c in cells}
    digest = _store.code_digest(analyse.__module__)
    manifest = _store.read_manifest(out_dir)
    plans, base = [], {}
    for c in cells:
        wanted, path = reps_of(reps, c), _cell_path(out_dir, c)
        ok, note = _store.cell_status(path, fps[c], digest, manifest)
        if ok:
            plans.append(CellPlan(c, "reuse", wanted, wanted, note))
            continue
        rows = None if note else _extendable_rows(path, c, analyse, wanted, study_seed, settings, options, paired,
                                                  digest, manifest)
        if rows is not None:
            base[c] = rows
            plans.append(CellPlan(c, "extend", len(rows), wanted))
        else:
            plans.append(CellPlan(c, "compute", 0, wanted, note))
    return plans, base, fps, digest


def plan(cells: Iterable[Cell], analyse: Callable, out_dir, *, reps, study_seed: int = DEFAULT_SEED,
         settings: dict | None = None, options: dict | None = None, paired: bool = False) -> pd.DataFrame:
    """Dry run of :func:`run_study` (same arguments): what it would do with each cell, computing
    nothing and writing nothing.

    Returns one row per cell: ``cell`` (file stem), ``action`` (``reuse``: the stored file has
    this fingerprint; ``extend``: the stored rows are the cell's first replicates under the same
    settings, code and seed, and fewer than asked; ``compute``: absent, other settings, more
    twins than asked, damaged or other analysis code), ``stored`` (twins kept), ``twins`` (twins
    after the run), ``new_twins`` (twins to compute) and ``note``.
    """
    plans, *_ = _plan(list(cells), analyse, Path(out_dir), reps, study_seed, settings, dict(options or {}), paired)
    return pd.DataFrame([{"cell": p.cell.name, "action": p.action, "stored": p.stored, "twins": p.twins,
                          "new_twins": p.new_twins, "note": p.note} for p in plans],
                        columns=["cell", "action", "stored", "twins", "new_twins", "note"])


def run_study(cells: Iterable[Cell], analyse: Callable, out_dir, *, reps, study_seed: int = DEFAULT_SEED,
              settings: dict | None = None, options: dict | None = None, scheduler=None,
              n_workers: int | None = None, progress: bool = True, blas_threads: int | None = 1,
              paired: bool = False) -> DesignStudy:
    """Run (or resume) a design study on Dask and return every twin's row.

    Parameters
    ----------
    cells : iterable of Cell
        The design grid (see :func:`grid`).
    analyse : callable
        ``analyse(n_cities=, n_years=, world=, seed=, **options) -> dict`` of scalars for one
        twin (must be importable by the workers, i.e. a module-level function).
    out_dir : path
        Folder of the per-cell Parquet files (created if absent; existing files are only
        replaced when their fingerprint differs).
    reps : int, dict or callable
        Twins per cell: one number, a mapping N -> number (fewer twins for the costly large
        designs), or a function of the :class:`Cell` (:func:`reps_of`). A stored cell with fewer
        twins is extended when :func:`plan` allows it (its rows are its first replicates under
        these settings); one with more twins is recomputed with the number asked.
    study_seed : int
        Seed of the whole study; each twin's seed comes from :func:`twin_seed`.
    settings : dict, optional
        Everything else that defines the results (e.g. generator version, bootstrap sizes); part
        of the fingerprint, so changing any of it invalidates stored cells.
    options : dict, optional
        Keyword arguments passed to ``analyse`` (also part of the fingerprint).
    scheduler : str or distributed.Client, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) or a client; default: a
        LocalCluster with ``n_workers`` single-threaded processes (default: one per core).
    progress : bool
        Show a tqdm bar over finished twins.
    blas_threads : int or None
        BLAS threads per twin (threadpoolctl; default 1, as each worker process has one core).
        ``None`` leaves the libraries' own setting.
    paired : bool
        Replicate r of a design gets the same seed in every world (:func:`twin_seed`); part of
        the fingerprint.
    """
    cells, options = list(cells), dict(options or {})
    out_dir = Path(out_dir)
    plans, base, fps, digest = _plan(cells, analyse, out_dir, reps, study_seed, settings, options, paired)
    todo = [p.cell for p in plans if p.action != "reuse"]
    notes = [p.note for p in plans if p.note]
    t0 = time.perf_counter()
    if todo:
        _store.check_writable(out_dir)  # before computing: a read-only or missing folder fails now
        sfp = study_fingerprint(analyse, study_seed, settings, options)
        metas = {c: {"design_fingerprint": fps[c], "study_fingerprint": sfp, "analysis_digest": digest}
                 for c in todo}
        _compute(todo, analyse, out_dir, {c: reps_of(reps, c) for c in todo}, study_seed, options, metas,
                 scheduler, n_workers, progress, blas_threads, paired, base)
    rows, _ = _store.load_cells([_cell_path(out_dir, c) for c in cells],
                                   expect={_cell_path(out_dir, c).name: fps[c] for c in cells})
    rows.attrs["simulated"] = True
    return DesignStudy(rows=rows, out_dir=out_dir, computed=[c.name for c in todo],
                       skipped=[p.cell.name for p in plans if p.action == "reuse"],
                       seconds=time.perf_counter() - t0, notes=notes,
                       extended=[p.cell.name for p in plans if p.action == "extend"],
                       twins_computed=sum(p.new_twins for p in plans))


def _compute(todo, analyse, out_dir, reps, study_seed, options, metas, scheduler, n_workers, progress,
             blas_threads, paired=False, base=None):
    with quiet_distributed():
        _compute_quietly(todo, analyse, out_dir, reps, study_seed, options, metas, scheduler, n_workers, progress,
                         blas_threads, paired, base or {})


def _cell_frame(stored: pd.DataFrame | None, new: list) -> pd.DataFrame:
    """A cell's rows in replicate order: its kept stored rows (as records, so the frame is built
    exactly as a fresh run builds it from the twins' dicts) and the new twins' rows."""
    records = ([] if stored is None else stored.to_dict("records")) + new
    return pd.DataFrame(records).sort_values("rep").reset_index(drop=True)


def _compute_quietly(todo, analyse, out_dir, reps, study_seed, options, metas, scheduler, n_workers, progress,
                     blas_threads, paired=False, base=None):
    import warnings

    from distributed import Client, as_completed

    with warnings.catch_warnings():
        # tqdm.auto warns inside Jupyter when ipywidgets is absent (then it falls back to text)
        warnings.filterwarnings("ignore", message="IProgress not found")
        from tqdm.auto import tqdm

    if isinstance(scheduler, Client):
        client, cluster = scheduler, None
    else:
        client, cluster = _client(scheduler, n_workers)
    try:
        base = base or {}
        first = {c: len(base[c]) if c in base else 0 for c in todo}   # an extended cell keeps its first twins
        futures, owner = [], {}
        # biggest designs first: they take longest, so the pool does not idle at the end
        for cell in sorted(todo, key=lambda c: -c.n_cities * c.n_years):
            for rep in range(first[cell], reps[cell]):
                f = client.submit(_run_one, analyse, cell, rep, twin_seed(study_seed, cell, rep, paired=paired), options,
                                  blas_threads, pure=False)
                futures.append(f)
                owner[f.key] = cell
        pending = {c: [] for c in todo}
        bar = tqdm(total=len(futures), desc="design study (twins)", disable=not progress)
        for fut in as_completed(futures):
            cell = owner[fut.key]
            pending[cell].append(fut.result())
            bar.update()
            if len(pending[cell]) == reps[cell] - first[cell]:  # a cell is written as soon as its last twin is in
                rows = _cell_frame(base.get(cell), pending.pop(cell))
                _write_cell(_cell_path(out_dir, cell), rows, metas[cell])
        bar.close()
    finally:
        if cluster is not None:
            close_local(client, cluster)  # workers get time to stop: no "still alive ... killing"


def load_study(out_dir, cells: Iterable[Cell] | None = None, expect: dict | None = None) -> pd.DataFrame:
    """Read stored cells (all ``*.parquet`` in ``out_dir`` by default) as one frame of twins.

    Every cell's bytes are checked against ``SHA256SUMS`` where it records them, and cells of
    different studies are refused (:func:`helpers.studies.store.load_cells`; ``expect`` maps
    file names to the fingerprints the caller's settings give them). Notes (legacy cells, cells
    without a recorded hash) are in ``rows.attrs["store_notes"]``.
    """
    out_dir = Path(out_dir)
    paths = sorted(out_dir.glob("*.parquet")) if cells is None else [_cell_path(out_dir, c) for c in cells]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"design study cells not found: {missing}")
    if not paths:
        raise FileNotFoundError(f"no design study cells in {out_dir}")
    rows, notes = _store.load_cells(paths, expect=expect)
    rows.attrs["simulated"] = True
    rows.attrs["store_notes"] = notes
    return rows


def toy_twin(n_cities: int, n_years: int, world: str, seed: int, effect: float = 0.05) -> dict:
    r"""A twin whose power is known in closed form, to check the machinery.

    Draws ``n_cities * n_years`` independent N(delta, 1) outcomes (delta = ``effect`` in the
    ``effect`` world, 0 in the ``null`` world) and tests delta = 0 with a two-sided z-test at 5%.
    Power is :math:`\Phi(\delta\sqrt{n} - z_{0.975}) + \Phi(-\delta\sqrt{n} - z_{0.975})`.
    """
    from scipy import stats

    delta = effect if world == "effect" else 0.0
    x = np.random.default_rng(seed).normal(delta, 1.0, n_cities * n_years)
    z = x.mean() * np.sqrt(x.size)
    half = stats.norm.ppf(0.975) / np.sqrt(x.size)
    return {"supported": bool(abs(z) > stats.norm.ppf(0.975)),
            "covers": bool(x.mean() - half <= delta <= x.mean() + half), "estimate": float(x.mean())}

