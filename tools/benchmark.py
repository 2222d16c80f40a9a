"""Benchmarks of the analysis, the chapters and the build and test commands (a script, not a test).

Measures, on this machine, and writes ``_build/bench/report.csv`` and ``_build/bench/report.md``:

1. one twin's analysis (:func:`helpers.studies.twin_cell.design_twin`, 13 years, the design
   study's options) at 21, 100 and 336 cities, one BLAS thread, best and median of a few twins
2. generation of the default simulated twin (``helpers.simulate.simulate_panel``), best of 5
3. each chapter's execution time under a profile (``tools/execute_chapters.py``, one at a time)
4. ``make -j2 book`` from scratch (``_build/stage`` removed) and the no-change rebuild
5. optionally (``--test``) the test command, ``make test`` (``_build/ci`` removed first)

Targets (issue 24): one twin at 21 cities < 0.3 s, whole book < 90 s on 2 cores, the test command
< 8 min. Timings depend on the machine and its load: the report records both (``os.getloadavg``).
Run with ``make bench`` (``make bench BENCH_ARGS="--skip-make"`` for parts 1-3 only).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "bench"

#: Twins timed per city count (the large designs cost seconds each).
TWIN_REPS = {21: 7, 100: 3, 336: 2}


def timed(cmd: list[str], env=None) -> float:
    """Wall seconds of ``cmd`` run in the repository; exits naming the command when it fails."""
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    secs = time.perf_counter() - t0
    if r.returncode != 0:
        sys.stderr.write(r.stderr[-3000:])
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {r.returncode}")
    return secs


def twin_times(n_cities: int, reps: int) -> tuple[float, float, float]:
    """Best and median wall seconds and best CPU seconds of one design-study twin (first twin
    excluded: imports, caches). CPU seconds (``time.process_time``) tell a loaded machine's wait
    from the work itself."""
    from threadpoolctl import threadpool_limits

    from helpers.studies import power
    from helpers.studies.twin_cell import design_twin

    opts = dict(power.OPTIONS)
    secs, cpu = [], []
    with threadpool_limits(limits=1):
        design_twin(n_cities, 13, "effect", 1, **opts)
        for seed in range(2, 2 + reps):
            t0, c0 = time.perf_counter(), time.process_time()
            design_twin(n_cities, 13, "effect", seed, **opts)
            secs.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return min(secs), statistics.median(secs), min(cpu)


def simulate_time(repeat: int = 5) -> float:
    from helpers.simulate import simulate_panel

    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        simulate_panel()
        best = min(best, time.perf_counter() - t0)
    return best


def chapter_times(profile: str) -> list[tuple[str, float]]:
    """Execution seconds of every chapter under ``profile``, one after the other (empty cache)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-chapters-") as tmp:
        env["HELPERS_CACHE"] = str(Path(tmp) / "cache")
        for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
            secs = timed([sys.executable, "tools/execute_chapters.py", "--profile", profile, "--out",
                          str(Path(tmp) / "out"), str(nb.relative_to(ROOT))], env=env)
            out.append((nb.stem, secs))
            print(f"  chapter {nb.stem}: {secs:.1f} s", flush=True)
    return out


def write_report(rows: list[dict], note: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "report.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["what", "seconds", "target", "status"])
        w.writeheader()
        w.writerows(rows)
    lines = ["# Benchmark", "", note, "", "| what | seconds | target | status |", "|---|---:|---:|---|"]
    lines += [f"| {r['what']} | {r['seconds']} | {r['target']} | {r['status']} |" for r in rows]
    (OUT / "report.md").write_text("\n".join(lines) + "\n")


def row(what: str, secs: float, target: float | None = None) -> dict:
    status = "" if target is None else ("ok" if secs < target else "MISSED")
    return {"what": what, "seconds": f"{secs:.3f}" if secs < 10 else f"{secs:.1f}",
            "target": "" if target is None else f"< {target:g}", "status": status}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-make", action="store_true", help="no make runs (twins, simulation, chapters only)")
    ap.add_argument("--no-chapters", action="store_true", help="skip the per-chapter execution times")
    ap.add_argument("--test", action="store_true", help="also time the test command (make test)")
    ap.add_argument("--profile", default="profiles/book.yml", help="profile of the chapter timings")
    ap.add_argument("--cities", type=int, nargs="*", default=list(TWIN_REPS), help="city counts of the twin timing")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    load0 = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load {load0[0]:.2f}", flush=True)
    rows = []
    for n in args.cities:
        best, med, cpu = twin_times(n, TWIN_REPS.get(n, 2))
        rows.append(row(f"one twin's analysis, {n} cities x 13 years (best)", best, 0.3 if n == 21 else None))
        rows.append(row(f"one twin's analysis, {n} cities x 13 years (median)", med))
        rows.append(row(f"one twin's analysis, {n} cities x 13 years (best, CPU seconds)", cpu))
        print(f"  twin at {n} cities: best {best:.3f} s, median {med:.3f} s, best CPU {cpu:.3f} s", flush=True)
    rows.append(row("simulated twin, generation (best of 5)", simulate_time(), 2))
    if not args.no_chapters:
        chapters = chapter_times(args.profile)
        rows += [row(f"chapter {stem} ({Path(args.profile).stem} profile)", s) for stem, s in chapters]
        rows.append(row(f"all chapters one after the other ({Path(args.profile).stem} profile)",
                        sum(s for _, s in chapters)))
    if not args.skip_make:
        # from scratch means a fresh clone's state: no executed chapter, no HTML and no cached
        # result (_build/cache holds the mechanism runs and truths a chapter would reuse)
        for sub in ("stage", "html", ".doctrees", "jupyter_execute", "cache"):
            shutil.rmtree(ROOT / "_build" / sub, ignore_errors=True)
        rows.append(row("whole book from scratch, make -j2 book", timed(["make", "-j2", "book"]), 90))
        rows.append(row("no-change rebuild, make book", timed(["make", "book"]), 10))
        if args.test:
            for sub in ("ci", "ci-book", "cache"):
                shutil.rmtree(ROOT / "_build" / sub, ignore_errors=True)
            rows.append(row("test command, make test", timed(["make", "test"]), 480))
    load1 = os.getloadavg()
    note = (f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; load average (1 min) "
            f"{load0[0]:.2f} at the start, {load1[0]:.2f} at the end. One twin: "
            "`helpers.studies.twin_cell.design_twin` with the design study's options, one BLAS thread.")
    write_report(rows, note)
    print(f"{'what':64s} {'seconds':>9s} {'target':>8s}")
    for r in rows:
        print(f"{r['what']:64s} {r['seconds']:>9s} {r['target']:>8s}  {r['status']}")
    print(f"report: {OUT / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
