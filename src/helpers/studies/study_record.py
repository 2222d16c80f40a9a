"""The stored design study's record: ``study.json`` and the ``PROVENANCE.md`` generated from it.

Every line of the provenance note comes from the log, including the separate null runs of
``tools/run_nulls.py`` (``log["nulls"]``), so a design run that rewrites the note keeps them
(they used to be appended to the note by hand and were lost on the next run).
"""

from __future__ import annotations

import json
from pathlib import Path

from . import design as _design
from . import store as _store


def reps_record(reps, grid) -> tuple[dict, dict]:
    """Twins per city count (the mapping's own number for N when ``reps`` maps N to twins, else the
    most common over its cells) and the cells that differ."""
    by_n: dict = {}
    for c in grid:
        by_n.setdefault(c.n_cities, []).append((c.name, _design.reps_of(reps, c)))
    base = {str(n): int(reps[n]) if isinstance(reps, dict) and n in reps
            else max(set(r for _, r in v), key=[r for _, r in v].count) for n, v in by_n.items()}
    extra = {name: r for n, v in by_n.items() for name, r in v if r != base[str(n)]}
    return base, extra


def store_note(version: str, current: str, legacy_worlds, other_twins: dict) -> str:
    """The reader's note on a store that :func:`helpers.studies.power.load` reads although it is
    not the current study: every cell of an earlier definition ``version``, or cells of the
    current one holding other twin counts (``other_twins``: file -> (held, asked))."""
    if version != current:
        return (f"every cell was computed under study definition {version} (seeds differ by world, worlds "
                f"{', '.join(legacy_worlds)}; definition {current} is current): rerun `make power` to "
                "recompute them")
    return ("cells hold other numbers of twins than the study asks ("
            + ", ".join(f"{n.removesuffix('.parquet')}: {k} of {a}" for n, (k, a) in other_twins.items())
            + "); they are read as stored until `make power` extends the short ones and recomputes the others")


def write_log(out, log: dict) -> None:
    """Write ``study.json`` and the ``PROVENANCE.md`` generated from it (:func:`provenance_text`):
    every line of the provenance note comes from the log, including the runs of the separate
    null studies (``log["nulls"]``, recorded by ``tools/run_nulls.py`` through
    :func:`record_null_run`), so rewriting it after a design run keeps them."""
    out = Path(out)
    _store.atomic_write(out / "study.json", (json.dumps(log, indent=1) + "\n").encode())
    _store.atomic_write(out / "PROVENANCE.md", provenance_text(log).encode())


def record_null_run(out, file: str, line: str) -> None:
    """Record (or replace) the provenance line of a stored null study ``file`` in the log of the
    store ``out`` and regenerate ``PROVENANCE.md``."""
    path = Path(out) / "study.json"
    log = json.loads(path.read_text()) if path.exists() else {"runs": []}
    log["nulls"] = [e for e in log.get("nulls", []) if e["file"] != file] + [{"file": file, "line": line}]
    write_log(out, log)


def stored_cells(out, grid) -> list:
    """Names of every cell stored in ``out`` after a run of ``grid`` (a run of part of the grid
    keeps the other cells), in grid order: city count, year count, then world as listed."""
    names = {p.stem for p in Path(out).glob("*.parquet")} | {c.name for c in grid}

    def key(name):
        size, world = name.split("-", 1)
        n, t = size.split("x")
        return int(n), int(t), world

    return sorted(names, key=key)


def provenance_text(log: dict) -> str:
    """The provenance note of the stored study (Markdown), from its ``study.json``."""
    reps = ", ".join(f"{n} cities: {r}" for n, r in log["reps"].items())
    if log.get("reps_cells"):
        reps += "; except " + ", ".join(f"{c}: {r}" for c, r in log["reps_cells"].items())
    lines = [
        "# Design study: stored results (SIMULATED)", "",
        "Every file here was written by `make power` (`python -m helpers.studies.power run`); do not edit by hand.",
        "Each `<N>x<T>-<world>.parquet` holds one row per simulated twin of one grid cell",
        "(`helpers.studies.design_twin`); its Parquet metadata carries the cell's fingerprint",
        "(generator version, analysis options, twins, study seed), so a rerun skips finished cells and",
        "a changed generator version recomputes them.", "",
        "`SHA256SUMS` records the SHA-256 of every cell's bytes; readers verify it and refuse (the",
        "book) or recompute (`make power`) a damaged cell. Cells written since the study store of",
        "issue 24 also carry the study fingerprint and the `analysis_digest` of the analysis code",
        "(a changed analysis recomputes them); cells without it are *legacy* cells, computed before",
        "digests were recorded, and are accepted with a note (their settings fingerprint still has",
        "to match).", "",
        f"- Generator: `helpers.simulate` {log['generator']} (study definition {log['study_version']},"
        f" study seed {log['study_seed']})",
        f"- Analysis options: {', '.join(f'{k}={v}' for k, v in log['options'].items())}",
        f"- Twins per cell: {reps}",
        f"- Cells: {len(log['cells'])} ({', '.join(log['cells'])})",
    ]
    if "worlds" in log:
        lines.append(f"- Worlds: {', '.join(log['worlds'])}; seeds "
                     + ("shared across worlds (replicate r of a design has one seed in every world)"
                        if log.get("paired_seeds") else "differ by world"))
    if log.get("performance"):
        lines.append(f"- `performance.csv`: {log['performance']}")
    lines += ["", "## Runs", "",
              "| finished (UTC) | cells computed | twins | wall time | scheduler | machine |",
              "|---|---|---|---|---|---|"]
    for r in log["runs"]:
        lines.append(f"| {r['finished_utc']} | {len(r['cells_computed'])} | {r['twins_computed']} | "
                     f"{r['wall_seconds'] / 60:.1f} min | {r['scheduler']} | {r['machine']} |")
    if log.get("nulls"):
        lines += ["", "## Unconfounded null (size of the FE test)", ""] + [e["line"] for e in log["nulls"]]
    return "\n".join(lines) + "\n"
