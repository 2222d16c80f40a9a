"""Benchmarks of the build and test commands (a script, not a test).

Prints, on this machine:

1. whole-book execution + HTML build, warm environment (``_build`` removed first), ``make -j2 book``
2. no-change rebuild (``make book`` again)
3. the test command (``make test``, CI profile, ``_build/ci`` removed first)
4. peak resident memory of the largest single process in each run
5. generation of the default simulated twin (``helpers.simulate.simulate_panel``), best of 5

Targets: whole book < 90 s on 2 cores, no-change rebuild < 10 s, test command < 10 min,
twin < 2 s. Run with ``make bench`` (or ``.venv/bin/python tools/benchmark.py``).
``--skip-make`` times only the in-process parts.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of the largest child process of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    secs = time.perf_counter() - t0
    if r.returncode != 0:
        sys.stderr.write(r.stderr[-3000:])
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {r.returncode}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss is the max over all children so far; report it only if this run raised it
    return secs, max(peak, before) / 1024


def twin_time(repeat: int = 5) -> float:
    from helpers.simulate import simulate_panel

    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        simulate_panel()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-make", action="store_true")
    args = ap.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    rows = []
    if not args.skip_make:
        shutil.rmtree(ROOT / "_build" / "stage", ignore_errors=True)
        shutil.rmtree(ROOT / "_build" / "html", ignore_errors=True)
        shutil.rmtree(ROOT / "_build" / ".doctrees", ignore_errors=True)
        shutil.rmtree(ROOT / "_build" / "jupyter_execute", ignore_errors=True)
        rows.append(("whole book (execute + HTML), make -j2 book", *timed(["make", "-j2", "book"]), 90))
        rows.append(("no-change rebuild, make book", *timed(["make", "book"]), 10))
        shutil.rmtree(ROOT / "_build" / "ci", ignore_errors=True)
        rows.append(("test command, make test", *timed(["make", "test"]), 600))
    cold = subprocess.run([sys.executable, "-c", "import time; t = time.perf_counter(); "
                           "from helpers.simulate import simulate_panel; simulate_panel(); "
                           "print(time.perf_counter() - t)"], capture_output=True, text=True, check=True)
    rows.append(("simulated twin, cold (imports + first run)", float(cold.stdout), float("nan"), 2))
    rows.append(("simulated twin, warm (best of 5)", twin_time(), float("nan"), 2))
    print(f"{'what':48s} {'seconds':>9s} {'target':>8s} {'peak MiB':>9s}")
    for name, secs, mib, target in rows:
        ok = "ok" if secs < target else "MISSED"
        print(f"{name:48s} {secs:9.2f} {'<' + str(target):>8s} {mib:9.0f}  {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
