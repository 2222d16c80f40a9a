"""Benchmark (not a test): the bootstrap-heavy models, ours against pyxthreg where one exists.

Prints, on this machine, each timing the best of 3 estimation calls (data loaded, package
imported) in a subprocess pinned to one core (OMP/OPENBLAS/MKL/NUMBA threads = 1):

1. Hansen (1999) panel threshold regression on Hansen's data (single threshold, 300 bootstrap
   replications, 400-point grid, trim 0.01): :func:`helpers.models.threshold` against the PyPI
   package pyxthreg 0.0.3, with each tool's threshold, F statistic and bootstrap p-value.
   Target: ours no slower than pyxthreg. Our double threshold and exhaustive grid are shown too.
2. :func:`helpers.models.serial_mediation` with B = 5,000 cluster-bootstrap replications on the
   273-row prepared panel, two-way fixed effects. Target: < 3 s.
3. BLAS threads: the same single-threshold call (300 replications) in a subprocess with the
   default BLAS threading of the machine (no thread pinning), once as before issue 9 (BLAS free
   to use every core inside the bootstrap loop) and once as the package runs now (bootstrap loops
   limited to one BLAS thread by threadpoolctl). Target: the package's default is no slower
   than the unlimited loops (the issue measured 1.15 s against 0.16 s on one thread).
4. Peak resident memory of the largest subprocess.

pyxthreg is installed only in ``_build/bench-venv`` (created on first run, reused after), never
in the project's environment; without a network the comparison is skipped. Hansen's data is
read from ``helpers.data.default_realdata_dir()``; without it part 1 is skipped.

Run: ``.venv/bin/python tools/bench_models.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_VENV = ROOT / "_build" / "bench-venv"
PYX = "pyxthreg==0.0.3"
SINGLE_CORE = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}
CONTROLS = ["q1", "q2", "q3", "d1", "qd1"]


# ------------------------------------------------------------------ workers (run in subprocesses)
def load_hansen(path: str):
    import numpy as np
    import pandas as pd

    df = pd.read_stata(path)
    # the .dta stores most regressors as float32; estimate in float64 like Stata does
    return df.astype({c: "float64" for c in df.columns if df[c].dtype == np.float32})


def best_of(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def worker_ours(hansen: str | None, repeat: int) -> dict:
    from helpers import data, models
    from helpers.analysis import report
    from helpers.measure import constructs

    res = {}
    if hansen:
        df = load_hansen(hansen)
        for key, kw in {"single": {}, "double": {"n_thresholds": 2}, "exhaustive": {"grid": None}}.items():
            args = dict(entity="id", time=None, cluster="id", n_thresholds=1, n_boot=300, grid=400, trim=0.01,
                        seed=0) | kw
            secs, r = best_of(lambda: models.threshold(df, "i", "c1", "d1", controls=CONTROLS, **args), repeat)
            res[key] = {"seconds": secs, "gamma": list(map(float, r.gamma)), "F": list(map(float, r.F)),
                        "p": list(map(float, r.p_boot))}
    z = report.prepare(constructs.build_constructs(data.load_panel()))
    secs, r = best_of(lambda: models.serial_mediation(
        z, "va_index", "flow_network", "lq_manufacturing", "synergy", controls=["log_population"],
        n_boot=5000, seed=0), repeat)
    res["serial"] = {"seconds": secs, "nobs": int(r.nobs), "total_indirect": float(r.indirect["total_indirect"])}
    return res


def worker_blas(hansen: str | None, repeat: int) -> dict:
    """Hansen threshold, 300 replications, default BLAS threads: unlimited loops versus ours."""
    import contextlib

    from threadpoolctl import threadpool_info

    from helpers import models
    from helpers.models import _boot

    df = load_hansen(hansen)
    args = dict(controls=CONTROLS, entity="id", time=None, cluster="id", n_boot=300, grid=400, trim=0.01, seed=0)
    run = lambda: models.threshold(df, "i", "c1", "d1", **args)  # noqa: E731
    limited, r1 = best_of(run, repeat)
    original = _boot.single_threaded
    _boot.single_threaded = contextlib.nullcontext  # as before: BLAS threads unlimited in the loop
    import helpers.models.threshold as thr

    thr.single_threaded = contextlib.nullcontext
    try:
        free, r0 = best_of(run, repeat)
    finally:
        _boot.single_threaded = thr.single_threaded = original
    threads = max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"), default=1)
    return {"limited": limited, "free": free, "blas_threads": threads, "same_p": bool(r0.p_boot[0] == r1.p_boot[0])}


def worker_pyxthreg(hansen: str, repeat: int) -> dict:
    import contextlib
    import io

    from pyxthreg import ThresholdPanel

    df = load_hansen(hansen)
    df["year"] = df["year"].dt.year  # plain integer years, as in its README

    def fit():
        # it prints progress; keep our stdout for the JSON answer
        with contextlib.redirect_stdout(io.StringIO()):
            m = ThresholdPanel(df, dep="i", rx=["c1"], qx="d1", indep=CONTROLS, entity_col="id", time_col="year")
            m.fit(thnum=1, trim=0.01, grid=400, bs=300, time_fe=False, robust=True, n_jobs=1)
        return m.results

    secs, r = best_of(fit, repeat)
    b = r["boot_results"][0]
    return {"single": {"seconds": secs, "gamma": list(map(float, r["thresholds"])), "F": [float(b["F_stat"])],
                       "p": [float(b["p_value"])]}}


# ------------------------------------------------------------------ driver
def run_worker(python: Path, which: str, hansen: str | None, repeat: int, pin: bool = True) -> dict:
    cmd = [str(python), __file__, "--worker", which, "--repeat", str(repeat)] + (["--hansen", hansen] if hansen else [])
    env = os.environ | SINGLE_CORE if pin else {k: v for k, v in os.environ.items() if k not in SINGLE_CORE}
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr[-3000:])
        raise SystemExit(f"{which} worker failed with exit code {r.returncode}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def bench_python() -> Path | None:
    """Python of the benchmark venv with pyxthreg, made once; None if it cannot be installed."""
    py = BENCH_VENV / "bin" / "python"
    check = [str(py), "-c", f"import importlib.metadata as m; assert m.version('pyxthreg') == '{PYX.split('==')[1]}'"]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return py
    print(f"installing {PYX} into {BENCH_VENV} ...", flush=True)
    steps = [[sys.executable, "-m", "venv", str(BENCH_VENV)], [str(py), "-m", "pip", "install", "-q", PYX]]
    for cmd in steps:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"pyxthreg comparison SKIPPED: '{' '.join(cmd[-3:])}' failed: {r.stderr.strip()[-300:]}")
            return None
    return py


def fmt(xs: list[float], digits: int) -> str:
    return ", ".join(f"{x:.{digits}f}" for x in xs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--worker", choices=["ours", "pyxthreg", "blas"], help=argparse.SUPPRESS)
    ap.add_argument("--hansen", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        fn = {"ours": worker_ours, "pyxthreg": worker_pyxthreg, "blas": worker_blas}[args.worker]
        print(json.dumps(fn(args.hansen, args.repeat)))
        return 0

    t_all = time.perf_counter()
    print(f"machine: {os.cpu_count()} cores (each run pinned to 1), Python {sys.version.split()[0]}, "
          f"best of {args.repeat}")
    from helpers.data import default_realdata_dir

    dta = default_realdata_dir() / "hansen1999" / "Hansen1999.dta"
    hansen = str(dta) if dta.exists() else None
    if hansen is None:
        print(f"threshold benchmark SKIPPED: {dta} not found")
    ours = run_worker(Path(sys.executable), "ours", hansen, args.repeat)
    blas = run_worker(Path(sys.executable), "blas", hansen, args.repeat, pin=False) if hansen else None
    pyx = None
    if hansen and (py := bench_python()):
        pyx = run_worker(py, "pyxthreg", hansen, args.repeat)

    rows = []  # (what, seconds, target text, ok or None)
    if hansen:
        target = pyx["single"]["seconds"] if pyx else 0.8  # 0.8 s: pyxthreg measured earlier on one core
        rows.append(("threshold, single, ours", ours["single"]["seconds"], f"<={target:.2f}",
                     ours["single"]["seconds"] <= target))
        if pyx:
            rows.append(("threshold, single, pyxthreg 0.0.3", pyx["single"]["seconds"], "", None))
        rows.append(("threshold, double, ours", ours["double"]["seconds"], "info", None))
        rows.append(("threshold, single, exhaustive grid, ours", ours["exhaustive"]["seconds"], "info", None))
        rows.append((f"threshold, default BLAS ({blas['blas_threads']} thr), loops free", blas["free"], "info", None))
        rows.append((f"threshold, default BLAS ({blas['blas_threads']} thr), loops 1 thr", blas["limited"],
                     f"<={blas['free']:.2f}", blas["limited"] <= blas["free"]))
    rows.append(("serial mediation, B=5000, two-way FE", ours["serial"]["seconds"], "<3", ours["serial"]["seconds"] < 3))

    print(f"\n{'what':44s} {'seconds':>8s} {'target':>8s}")
    for what, secs, target, ok in rows:
        print(f"{what:44s} {secs:8.3f} {target:>8s}  {'' if ok is None else 'ok' if ok else 'MISSED'}")

    if hansen:
        print("\nthreshold estimates: the grids differ, so gamma may differ in the third decimal. F uses\n"
              "sigma^2 = S1 / (N(T-1)) here (Hansen 1999) and S1 / NT in pyxthreg, a factor NT/(N(T-1)) = 1.077\n"
              "on these data; bootstrap p-values do not depend on that factor, so a gap in p is in the bootstrap")
        print(f"{'tool':34s} {'gamma':>16s} {'F':>16s} {'bootstrap p':>14s}")
        results = [("ours, 400 grid", ours["single"]), ("ours, 400 grid, double", ours["double"]),
                   ("ours, exhaustive", ours["exhaustive"])] + ([("pyxthreg, 400 grid", pyx["single"])] if pyx else [])
        for name, r in results:
            print(f"{name:34s} {fmt(r['gamma'], 5):>16s} {fmt(r['F'], 2):>16s} {fmt(r['p'], 3):>14s}")
    s = ours["serial"]
    print(f"\nserial mediation: {s['nobs']} rows, total indirect effect {s['total_indirect']:.4f}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory of the largest subprocess: {peak:.0f} MiB")
    print(f"whole script: {time.perf_counter() - t_all:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
