"""A study stored in parts: fingerprinted Parquet cells that a chapter reads back (the generic layer).

A *parts store* is one folder (``data/<name>``) that a command (``make findings``, ...) fills
once and the book reads back instead of recomputing. The study has named *parts*; each part
keeps a few tables, one Parquet cell per table (``<part>-<table>.parquet``), written and read
by :mod:`helpers.studies.store` (the byte layer: SHA-256 manifest, atomic writes). Each cell's
metadata carries

- the fingerprint of everything that defines the part's numbers (the study's ``part_settings``:
  generator version, seeds, sizes, ...), so a store computed with other settings is refused
  with the command that recomputes it, and
- the digest of the analysis code (:func:`helpers.studies.store.code_digest` of the study's
  module), so a store computed by other code is read with a note (the command recomputes it).

:meth:`PartsStore.run` keeps every part whose cells are current and intact and recomputes the
others; ``study.json`` and ``PROVENANCE.md`` record each run (settings, wall time, machine).
:func:`computed_by` and :func:`code_note` are the chapters' provenance phrases. A study module
(e.g. :mod:`helpers.studies.findings`) supplies the parts, its settings and the computation.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import store as _store

#: The note a part computed by other analysis code gets (its part name comes first).
CODE_CHANGED = "the analysis code changed since it was stored"


class StaleStoreError(_store.StoreError):
    """A stored study is missing a cell or was computed with other settings; names the command."""


def duration(seconds: float) -> str:
    """A wall time for a sentence: seconds under two minutes, minutes above."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} minutes"


@dataclass
class StoredParts:
    """What :meth:`PartsStore.read` found: ``tables`` (part -> table -> DataFrame), ``notes``,
    the store's ``log`` (``study.json``) and its ``folder``."""

    tables: dict
    notes: list
    log: dict
    folder: Path


@dataclass(frozen=True)
class PartsStore:
    """One stored study: where it lives, its parts, how its settings are checked and recorded.

    Parameters
    ----------
    name : str
        Folder under ``data/`` and every cell's ``study_fingerprint``.
    command : str
        The command that recomputes the store, named by every refusal (e.g. ``"make findings"``).
    module : str
        The study's module: ``python -m <module> run`` computes it, and the digest of its
        source and of every helpers module it imports is the analysis-code digest.
    label : str
        What the store is, in messages ("the stored <label> has no cell ...").
    title, what, holds : str
        ``PROVENANCE.md``'s heading, ``study.json``'s description, what one cell holds.
    parts : mapping
        Part -> the names of its tables.
    part_settings : callable
        ``(part, settings) -> dict``: everything that defines one part's cells (fingerprinted).
    settings : callable
        ``settings -> dict``: the validated settings with defaults (recorded in ``study.json``).
    version : str
        Store version (bumped when the stored tables change meaning).
    error : type
        The :class:`StaleStoreError` subclass raised for a missing or stale cell.
    """

    name: str
    command: str
    module: str
    label: str
    title: str
    what: str
    parts: Mapping
    part_settings: Callable
    settings: Callable
    version: str
    holds: str = "the tables of one part"
    error: type = field(default=StaleStoreError)

    # ----------------------------------------------------------------------- places and keys
    def default_folder(self) -> Path:
        """``data/<name>`` of the repository (or of the working directory outside a checkout)."""
        from ..data import _checkout_root

        root = _checkout_root()
        return (root if root is not None else Path.cwd()) / "data" / self.name

    def folder(self, out=None) -> Path:
        return Path(out) if out is not None else self.default_folder()

    def digest(self) -> str:
        """Digest of the analysis code (:func:`helpers.studies.store.code_digest` of ``module``)."""
        return _store.code_digest(self.module)

    def fingerprint(self, part: str, settings) -> str:
        from .design import fingerprint

        return fingerprint(self.part_settings(part, settings))

    def cell(self, out: Path, part: str, table: str) -> Path:
        return Path(out) / f"{part}-{table}.parquet"

    def log(self, out=None) -> dict:
        """The store's ``study.json`` (settings and runs with wall times); empty if absent."""
        path = self.folder(out) / "study.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def _stale(self, msg: str, log: dict) -> StaleStoreError:
        runs = log.get("runs") or []
        cost = f" (about {duration(runs[-1]['wall_seconds'])} on 2 cores)" if runs else ""
        return self.error(f"{msg}; recompute the stored {self.label} with `{self.command}`{cost}")

    # ----------------------------------------------------------------------- reading
    def read(self, out=None, settings=None, *, parts=None, digest: str | None = None) -> StoredParts:
        """The stored tables of ``parts`` (default all) for ``settings``, checked cell by cell.

        Raises ``error`` (naming :attr:`command`) when a cell is missing or was computed with
        other settings, and :class:`helpers.studies.store.StoreError` naming the file when a
        cell is damaged. A part computed by other analysis code (``digest``, default
        :meth:`digest`) is read with a note.
        """
        out = self.folder(out)
        log = self.log(out)
        manifest = _store.read_manifest(out)
        digest = self.digest() if digest is None else digest
        tables, notes = {}, []
        for part in (self.parts if parts is None else parts):
            fp, rows, changed = self.fingerprint(part, settings), {}, False
            for table in self.parts[part]:
                path = self.cell(out, part, table)
                if not path.exists():
                    raise self._stale(f"the stored {self.label} has no cell {path.name} in {out}", log)
                rows[table], meta = _store.read_cell(path, manifest.get(path.name))
                if meta.get("design_fingerprint") != fp:
                    raise self._stale(f"{path.name} in {out} was computed with other settings than the chapter's "
                                      f"({self.part_settings(part, settings)})", log)
                if path.name not in manifest:
                    notes.append(f"{path.name}: no content hash recorded; read unverified")
                changed = changed or meta.get("analysis_digest") != digest
            if changed:   # read with a note: the settings match, only the code's digest differs
                notes.append(f"{part}: {CODE_CHANGED}; `{self.command}` recomputes it")
            tables[part] = rows
        return StoredParts(tables, notes, log, out)

    # ----------------------------------------------------------------------- computing
    def outdated(self, out=None, settings=None, *, digest: str | None = None) -> list:
        """Parts whose cells are absent, damaged, of other settings or of other analysis code."""
        out = self.folder(out)
        digest = self.digest() if digest is None else digest
        manifest = _store.read_manifest(out)
        return [part for part, tables in self.parts.items()
                if not all(_store.cell_status(self.cell(out, part, t), self.fingerprint(part, settings), digest,
                                              manifest)[0] for t in tables)]

    def run(self, compute: Callable, out=None, settings=None, *, n_jobs: int = 1, digest: str | None = None) -> list:
        """Compute (or keep) every part in ``out``; returns the parts computed.

        ``compute(part)`` returns the part's ``{table: DataFrame}``. A part is kept when all its
        cells have the current fingerprint, the current analysis-code digest and an intact hash;
        otherwise it is recomputed and its cells replaced atomically. ``study.json`` and
        ``PROVENANCE.md`` record each run that computed anything (``n_jobs`` among its facts).
        """
        out = self.folder(out)
        digest = self.digest() if digest is None else digest
        todo = self.outdated(out, settings, digest=digest)
        if not todo:
            return []
        _store.check_writable(out)   # before computing
        t0 = time.perf_counter()
        for part in todo:
            meta = {"design_fingerprint": self.fingerprint(part, settings), "study_fingerprint": self.name,
                    "analysis_digest": digest}
            tables = compute(part)
            missing = sorted(set(self.parts[part]) - set(tables))
            if missing:
                raise ValueError(f"{self.name}: computing part {part!r} gave no table(s) {missing}")
            hashes = {self.cell(out, part, t).name: _store.write_cell(self.cell(out, part, t), tables[t], meta)
                      for t in self.parts[part]}
            _store.record_hashes(out, hashes)
        self._record(out, settings, todo, time.perf_counter() - t0, n_jobs)
        return todo

    def _record(self, out: Path, settings, computed: list, wall: float, n_jobs: int) -> None:
        from ..simulate import GENERATOR_VERSION

        log = self.log(out) or {"runs": []}
        log.update({"what": self.what, "generator": GENERATOR_VERSION, "version": self.version,
                    "settings": self.settings(settings),
                    "parts": {p: self.part_settings(p, settings) for p in self.parts}})
        log["runs"].append({"finished_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                            "wall_seconds": round(wall, 1), "parts_computed": computed, "n_jobs": n_jobs,
                            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
                            "python": sys.version.split()[0]})
        _store.atomic_write(out / "study.json", (json.dumps(log, indent=1, default=str) + "\n").encode())
        _store.atomic_write(out / "PROVENANCE.md", self.provenance_text(log).encode())

    def provenance_text(self, log: dict) -> str:
        """The store's provenance note (Markdown), from its ``study.json``."""
        lines = [f"# {self.title}", "",
                 f"Every file here was written by `{self.command}` (`python -m {self.module} run`); do not",
                 f"edit by hand. `<part>-<table>.parquet` holds {self.holds}; its Parquet",
                 "metadata carries the fingerprint of the part's settings and the digest of the analysis code,",
                 "and `SHA256SUMS` the SHA-256 of every cell. The chapter refuses cells computed with other",
                 "settings (e.g. an older generator) and names this command.", "",
                 f"- Generator: `helpers.simulate` {log['generator']} (store version {log['version']})",
                 f"- Settings: {', '.join(f'{k}={v}' for k, v in log['settings'].items())}", "",
                 "| finished (UTC) | parts computed | wall time | jobs | machine |", "|---|---|---|---|---|"]
        for r in log["runs"]:
            lines.append(f"| {r['finished_utc']} | {', '.join(r['parts_computed'])} | {r['wall_seconds']:.0f} s | "
                         f"{r['n_jobs']} | {r['machine']} |")
        return "\n".join(lines) + "\n"

    # ----------------------------------------------------------------------- sentences
    def computed_by(self, log: dict) -> str:
        """", computed by `<command>` in <time> on <date>" from the last run ("" without one); when
        the last run recomputed only some parts, it names them (the time is theirs, not the store's)."""
        runs = log.get("runs") or []
        if not runs:
            return ""
        last = runs[-1]
        when = f"{duration(last['wall_seconds'])} on {last['finished_utc'][:10]}"
        if set(last["parts_computed"]) >= set(self.parts):
            return f", computed by `{self.command}` in {when}"
        return f", last updated by `{self.command}` (parts {', '.join(last['parts_computed'])} in {when})"

    def code_note(self, notes) -> str:
        """" The analysis code has changed since the parts ... were stored; ..." ("" if none did)."""
        changed = [n.split(":")[0] for n in notes if CODE_CHANGED in n]
        return (f" The analysis code has changed since the parts {', '.join(changed)} were stored; "
                f"`{self.command}` recomputes them." if changed else "")
