"""The Findings chapter's simulation studies, stored and fingerprinted (SIMULATED).

The Findings chapter reads four studies: the whole analysis repeated on twins where every link is
real and on twins with no effect at all (:func:`helpers.studies.monte_carlo`), and interval
coverage on correctly specified twins without and with knowledge spillovers
(:func:`helpers.studies.correct_spec_coverage`). Computing them took most of the book's build
time, so ``make findings`` computes them once into ``data/findings`` and the book reads them back;
the CI profile runs a tiny grid live through the same functions, so the code path stays tested.

Each *part* keeps its twins' raw rows (:func:`helpers.studies.montecarlo.monte_carlo_rows`,
:func:`helpers.studies.coverage.correct_spec_rows`) in Parquet cells written by
:mod:`helpers.studies.store`: a SHA-256 per cell in ``SHA256SUMS``, and in each cell's metadata the
fingerprint of its settings (generator version, twins, bootstrap sizes, seeds, parameters) and
the digest of the analysis code. Reading summarises the rows with the same functions a live run
uses, so a stored study gives exactly the numbers of a live run with its settings. A store
computed with other settings (e.g. by an older generator) is refused with the command that
recomputes it; a change of the analysis code since is reported as a note (``make findings``
recomputes such parts).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path

from .._results import Result
from .coverage import (
    CorrectSpecCoverage,
    correct_spec_params,
    correct_spec_rows,
    summarise_correct_spec,
)
from .montecarlo import MonteCarloResult, monte_carlo_rows, summarise_monte_carlo
from .parts_store import PartsStore, StaleStoreError
from .twins import NO_EFFECT

#: Bumped when the stored rows change meaning (not for new numbers: those are fingerprinted).
FINDINGS_VERSION = "1"

#: The book's settings (profiles/book.yml, chapter 05_findings): what ``make findings`` stores.
BOOK = {"mc_reps": 40, "mc_boot": 199, "mc_threshold_boot": 49, "correct_reps": 100}

#: Seed of the first twin of every part (twins use seeds first_seed, first_seed + 1, ...).
FIRST_SEED = 1

#: Parts of the study and the tables each keeps.
PARTS = {"mc-effect": ("verdicts", "comparisons", "measurement"),
         "mc-null": ("verdicts", "comparisons", "measurement"),
         "correct": ("rows",), "correct-spatial": ("rows",)}

#: The command that recomputes the store, and its cost (measured; see PROVENANCE.md).
COMMAND = "make findings"


class StaleStudyError(StaleStoreError):
    """The stored Findings study is missing or was computed with other settings; names the command."""


def default_store() -> Path:
    """``data/findings`` of the repository (or of the working directory outside a checkout)."""
    return STORE.default_folder()


def _settings(settings: dict | None) -> dict:
    s = {**BOOK, **dict(settings or {})}
    unknown = sorted(set(s) - set(BOOK))
    if unknown:
        raise ValueError(f"findings: unknown settings {unknown}; known: {sorted(BOOK)}")
    for k, v in s.items():
        if int(v) != v or v < 1:
            raise ValueError(f"findings: {k} must be a positive whole number, got {v!r}")
    return {k: int(v) for k, v in s.items()}


def part_settings(part: str, settings: dict | None = None) -> dict:
    """Everything that defines one part's stored rows (its fingerprint is a hash of this)."""
    from ..simulate import GENERATOR_VERSION

    s = _settings(settings)
    base = {"part": part, "generator": GENERATOR_VERSION, "version": FINDINGS_VERSION, "first_seed": FIRST_SEED}
    if part in ("mc-effect", "mc-null"):
        return {**base, "n_reps": s["mc_reps"], "n_boot": s["mc_boot"], "threshold_boot": s["mc_threshold_boot"],
                "params": NO_EFFECT if part == "mc-null" else {}}
    if part in ("correct", "correct-spatial"):
        spatial = part == "correct-spatial"
        return {**base, "n_reps": s["correct_reps"], "spatial": spatial,
                "params": correct_spec_params(None, spatial=spatial)}
    raise ValueError(f"findings: unknown part {part!r}; parts: {list(PARTS)}")


#: The store: data/findings, its parts and how their settings are fingerprinted and recorded.
STORE = PartsStore(name="findings", command=COMMAND, module="helpers.studies.findings", label="Findings study",
                   title="Findings chapter: stored studies (SIMULATED)",
                   what="the Findings chapter's Monte Carlo and coverage studies (SIMULATED twins)",
                   holds="the raw per-twin rows of one part", parts=PARTS, part_settings=part_settings,
                   settings=_settings, version=FINDINGS_VERSION, error=StaleStudyError)


def _digest() -> str:
    return STORE.digest()   # the module's name, also when run as __main__


def compute_part(part: str, settings: dict | None = None, *, n_jobs: int = 1, progress=None) -> dict:
    """One part's raw rows, computed now: ``{table: DataFrame}`` (:data:`PARTS`)."""
    ps = part_settings(part, settings)
    if part.startswith("mc-"):
        return monte_carlo_rows(ps["n_reps"], ps["params"] or None, first_seed=FIRST_SEED, n_boot=ps["n_boot"],
                                threshold_boot=ps["threshold_boot"], n_jobs=n_jobs, progress=progress)
    return {"rows": correct_spec_rows(ps["n_reps"], ps["params"], first_seed=FIRST_SEED, n_jobs=n_jobs,
                                      spatial=ps["spatial"])}


def summarise_part(part: str, tables: dict, settings: dict | None = None):
    """The chapter's result object of one part from its raw rows (computed or stored)."""
    ps = part_settings(part, settings)
    if part.startswith("mc-"):
        return summarise_monte_carlo(tables, ps["n_reps"], ps["params"] or None)
    return summarise_correct_spec(tables["rows"], ps["n_reps"], ps["params"], spatial=ps["spatial"])


@dataclass(repr=False)
class FindingsStudy(Result):
    """The Findings chapter's four studies (SIMULATED), computed live or read from the store."""

    mc: MonteCarloResult
    mc_null: MonteCarloResult
    correct: CorrectSpecCoverage
    correct_spatial: CorrectSpecCoverage
    source: str
    settings: dict
    notes: list = field(default_factory=list)
    log: dict = field(default_factory=dict)

    def provenance(self) -> str:
        """One sentence for the chapter: where the numbers come from (stored or live, and how made)."""
        s = self.settings
        size = (f"{s['mc_reps']} twins per world ({s['mc_boot']} cluster-bootstrap and {s['mc_threshold_boot']} "
                f"threshold-bootstrap replications in each) and {s['correct_reps']} correctly specified twins")
        if self.source == "live":
            return f"These SIMULATED studies were computed as this page was built: {size}."
        return (f"These SIMULATED studies are read from the stored study in `data/findings`{STORE.computed_by(self.log)}: "
                f"{size}; each file's hash and settings were checked when it was read." + STORE.code_note(self.notes))

    def summary(self) -> str:
        where = "computed live" if self.source == "live" else f"read from the store {self.source}"
        return (f"Findings study (SIMULATED), {where}: {self.settings}"
                + "".join(f"\n  note: {n}" for n in self.notes))


def _assemble(parts: dict, settings, source: str, notes=(), log=None) -> FindingsStudy:
    return FindingsStudy(mc=parts["mc-effect"], mc_null=parts["mc-null"], correct=parts["correct"],
                         correct_spatial=parts["correct-spatial"], source=source, settings=_settings(settings),
                         notes=list(notes), log=dict(log or {}))


def live(settings: dict | None = None, *, n_jobs: int = 1, progress=None) -> FindingsStudy:
    """Every part computed now (nothing written): the CI profile's tiny grid."""
    return _assemble({p: summarise_part(p, compute_part(p, settings, n_jobs=n_jobs, progress=progress), settings)
                      for p in PARTS}, settings, "live")


def load(out=None, settings: dict | None = None) -> FindingsStudy:
    """The stored study in ``out`` (default :func:`default_store`) for ``settings`` (default :data:`BOOK`).

    Raises :class:`StaleStudyError` (naming the command that recomputes it) when a cell is
    missing or was computed with other settings, and :class:`helpers.studies.store.StoreError`
    naming the file when a cell is damaged. Cells computed by other analysis code are read with
    a note (``make findings`` recomputes them).
    """
    got = STORE.read(out, settings, digest=_digest())
    parts = {part: summarise_part(part, rows, settings) for part, rows in got.tables.items()}
    return _assemble(parts, settings, str(got.folder), got.notes, got.log)


def study(source: str = "store", settings: dict | None = None, *, out=None, n_jobs: int = 1) -> FindingsStudy:
    """The chapter's entry point: ``source="store"`` reads :func:`load`, ``"live"`` runs :func:`live`."""
    if source == "store":
        return load(out, settings)
    if source == "live":
        return live(settings, n_jobs=n_jobs, progress=False)
    raise ValueError(f"findings: source must be 'store' or 'live', got {source!r}")


def run(out=None, settings: dict | None = None, *, n_jobs: int = 2, progress: bool = True) -> list:
    """Compute (or keep) every part in ``out``; returns the parts computed.

    A part is kept when all its cells have the current fingerprint, the current analysis-code
    digest and an intact hash; otherwise it is recomputed and its cells replaced atomically.
    ``study.json`` and ``PROVENANCE.md`` record each run that computed anything.
    """
    return STORE.run(lambda part: compute_part(part, settings, n_jobs=n_jobs, progress=progress), out, settings,
                     n_jobs=n_jobs, digest=_digest())


def study_log(out=None) -> dict:
    """The store's ``study.json`` (settings and runs with wall times); empty if absent."""
    return STORE.log(out)


def provenance_text(log: dict) -> str:
    """The store's provenance note (Markdown), from its ``study.json``."""
    return STORE.provenance_text(log)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m helpers.studies.findings",
                                 description="Compute the Findings chapter's stored studies (SIMULATED).")
    ap.add_argument("command", choices=["run"])
    ap.add_argument("--out", default=None, help="store folder (default data/findings)")
    ap.add_argument("--n-jobs", type=int, default=2)
    for k, v in BOOK.items():
        ap.add_argument(f"--{k.replace('_', '-')}", type=int, default=v)
    a = ap.parse_args(argv)
    settings = {k: getattr(a, k) for k in BOOK}
    t0 = time.perf_counter()
    done = run(a.out, settings, n_jobs=a.n_jobs)
    print(f"findings: computed {done or 'nothing (store up to date)'} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
