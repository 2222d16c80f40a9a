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
  others, so a changed generator version invalidates them.
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
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from .._results import Result

WORLDS = ("effect", "null")


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


def grid(n_cities: Iterable[int], n_years: Iterable[int], worlds: Iterable[str] = WORLDS) -> list[Cell]:
    """Every combination of city counts, year counts and worlds, smallest designs first."""
    return [Cell(n, t, w) for n in sorted(set(n_cities)) for t in sorted(set(n_years)) for w in worlds]


def twin_seed(study_seed: int, cell: Cell, rep: int) -> int:
    """Seed of replicate ``rep`` in ``cell``: a pure function of the coordinates, not of scheduling."""
    ss = np.random.SeedSequence([study_seed, cell.n_cities, cell.n_years, WORLDS.index(cell.world), rep])
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


def _write_cell(path: Path, rows: pd.DataFrame, fp: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(rows, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"design_fingerprint": fp.encode()})
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)  # atomic: a killed run never leaves a file that looks finished


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

    def summary(self) -> str:
        return (f"DesignStudy: {len(self.rows)} twins in {self.rows.groupby(['n_cities', 'n_years', 'world']).ngroups}"
                f" cells ({len(self.computed)} computed, {len(self.skipped)} reused) in {self.seconds:.1f} s"
                f" -- SIMULATED twins; results in {self.out_dir}")


#: No dashboard, and the scheduler's HTTP server on a free port: with ``dashboard_address=None``
#: alone it still tries port 8787 and warns on stderr when another cluster holds it.
LOCAL_CLUSTER_OPTIONS = {"dashboard_address": None, "scheduler_kwargs": {"dashboard": False, "dashboard_address": ":0"}}


def _client(scheduler, n_workers):
    from distributed import Client, LocalCluster

    if scheduler is not None:
        return Client(scheduler), None
    n = n_workers or os.cpu_count() or 1
    # one single-threaded process per core: the estimators are NumPy-bound and hold the GIL often
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, **LOCAL_CLUSTER_OPTIONS)
    return Client(cluster), cluster


def reps_of(reps, cell: Cell) -> int:
    """Twins in ``cell``: ``reps`` is a number, a mapping N -> number, or a function of the cell."""
    if callable(reps):
        r = reps(cell)
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
                     options: dict | None) -> str:
    """Fingerprint of one cell's stored results: everything that defines them."""
    return fingerprint({"settings": settings or {}, "options": dict(options or {}), "reps": reps_of(reps, cell),
                        "study_seed": study_seed, "analyse": analyse_name(analyse)})


def run_study(cells: Iterable[Cell], analyse: Callable, out_dir, *, reps, study_seed: int = 20261122,
              settings: dict | None = None, options: dict | None = None, scheduler=None,
              n_workers: int | None = None, progress: bool = True, blas_threads: int | None = 1) -> DesignStudy:
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
        designs), or a function of the :class:`Cell`.
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
    """
    cells, options = list(cells), dict(options or {})
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fps = {c: cell_fingerprint(c, analyse, reps, study_seed, settings, options) for c in cells}
    todo = [c for c in cells if _stored_fingerprint(_cell_path(out_dir, c)) != fps[c]]
    skipped = [c for c in cells if c not in todo]
    t0 = time.perf_counter()
    if todo:
        _compute(todo, analyse, out_dir, {c: reps_of(reps, c) for c in todo}, study_seed, options, fps,
                 scheduler, n_workers, progress, blas_threads)
    rows = pd.concat([pd.read_parquet(_cell_path(out_dir, c)) for c in cells], ignore_index=True)
    rows.attrs["simulated"] = True
    return DesignStudy(rows=rows, out_dir=out_dir, computed=[c.name for c in todo],
                       skipped=[c.name for c in skipped], seconds=time.perf_counter() - t0)


def _compute(todo, analyse, out_dir, reps, study_seed, options, fps, scheduler, n_workers, progress, blas_threads):
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
        futures, owner = [], {}
        # biggest designs first: they take longest, so the pool does not idle at the end
        for cell in sorted(todo, key=lambda c: -c.n_cities * c.n_years):
            for rep in range(reps[cell]):
                f = client.submit(_run_one, analyse, cell, rep, twin_seed(study_seed, cell, rep), options,
                                  blas_threads, pure=False)
                futures.append(f)
                owner[f.key] = cell
        pending = {c: [] for c in todo}
        bar = tqdm(total=len(futures), desc="design study (twins)", disable=not progress)
        for fut in as_completed(futures):
            cell = owner[fut.key]
            pending[cell].append(fut.result())
            bar.update()
            if len(pending[cell]) == reps[cell]:  # a cell is written as soon as its last twin is in
                rows = pd.DataFrame(pending.pop(cell)).sort_values("rep").reset_index(drop=True)
                _write_cell(_cell_path(out_dir, cell), rows, fps[cell])
        bar.close()
    finally:
        if cluster is not None:
            client.close()
            cluster.close()


def load_study(out_dir, cells: Iterable[Cell] | None = None) -> pd.DataFrame:
    """Read stored cells (all ``*.parquet`` in ``out_dir`` by default) as one frame of twins."""
    out_dir = Path(out_dir)
    paths = sorted(out_dir.glob("*.parquet")) if cells is None else [_cell_path(out_dir, c) for c in cells]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"design study cells not found: {missing}")
    if not paths:
        raise FileNotFoundError(f"no design study cells in {out_dir}")
    rows = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    rows.attrs["simulated"] = True
    return rows


def power_table(rows: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Share of twins with each boolean column true, by N, T and world, with Monte Carlo SEs.

    In the ``effect`` world a share of "supported" columns is power; in the ``null`` world it
    is the false-positive rate; for "covers" columns it is interval coverage.
    """
    columns = list(columns)
    g = rows.groupby(["world", "n_cities", "n_years"])
    share = g[columns].mean()
    count = g[columns].count()
    se = np.sqrt(share * (1 - share) / count)
    out = pd.concat({"share": share, "mc_se": se}, axis=1).swaplevel(axis=1).sort_index(axis=1)
    out["twins"] = g.size()
    return out


def minimum_design(table: pd.DataFrame, column: str, target: float = 0.8, world: str = "effect") -> pd.DataFrame:
    """Smallest designs (fewest city-years) whose share for ``column`` reaches ``target``.

    Returns one row per year count T with the smallest N that reaches the target at that T
    (``NaN`` where no N in the grid does), so a reader sees the trade-off between N and T.
    """
    share = table.loc[world, (column, "share")]
    out = []
    for t, s in share.groupby(level="n_years"):
        ok = s[s >= target]
        n = int(ok.index.get_level_values("n_cities").min()) if len(ok) else np.nan
        out.append({"n_years": t, "min_cities": n, "city_years": n * t if len(ok) else np.nan})
    return pd.DataFrame(out).set_index("n_years")


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

