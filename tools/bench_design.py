"""Benchmark of the design study: cost of one twin by N and T, and the Dask speed-up of 2 workers.

    .venv/bin/python tools/bench_design.py [--repeat 3] [--twins 24] [--quick]

Prints, and writes to ``data/power/benchmark.csv`` (the chapter "How large must a study be?"
plots it and generates its sentences from it):

1. seconds per twin (``helpers.studies.design_twin``, the full analysis with the study's
   options, one BLAS thread) at N in 21, 50, 100, 200, 336 and T in 8, 13, 20: the median of
   ``--repeat`` twins after one warm-up twin; and the growth exponent of cost in N (log-log slope
   from 50 to 336 cities);
2. the speed-up of 2 Dask workers over 1: the same ``--twins`` twins (21 cities, 13 years) run
   through ``helpers.studies.design.run_study`` on a LocalCluster of 1 and of 2 single-threaded workers,
   timed after the cluster has started and warmed up.

Targets (issue 14): under 0.5 s per twin at 21 cities; speed-up of at least 1.8. The machine's
load average is printed beside them: another process on a 2-core machine slows both.
Never a timed assertion in the tests; this script is where speed is measured.
"""

from __future__ import annotations

import argparse
import os
import warnings
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from helpers.studies import design, power  # noqa: E402
from helpers.studies import design_twin  # noqa: E402


def cost_by_size(n_grid, t_grid, repeat: int) -> pd.DataFrame:
    rows = []
    # 21 cities over 20 years run to 2030, past the registry's checked years: validate_panel warns
    warnings.filterwarnings("ignore", message=".*lies outside the years the city registry is checked for")
    with threadpool_limits(limits=1):
        for n in n_grid:
            for t in t_grid:
                design_twin(n, t, "effect", 1, **power.OPTIONS)        # warm-up (imports, caches)
                secs = []
                for k in range(repeat):
                    t0 = time.perf_counter()
                    design_twin(n, t, "effect", 100 + k, **power.OPTIONS)
                    secs.append(time.perf_counter() - t0)
                rows.append({"n_cities": n, "n_years": t, "seconds": statistics.median(secs),
                             "min_seconds": min(secs), "repeat": repeat})
                print(f"  {n:>4} cities x {t:>2} years: {rows[-1]['seconds']:.3f} s per twin "
                      f"(min {min(secs):.3f})", flush=True)
    return pd.DataFrame(rows)


def speedup(n_twins: int, trials: int = 3) -> dict:
    """Best of ``trials`` wall times for 1 and for 2 workers (alternating, so a burst of other
    work on the machine hits both alike)."""
    from distributed import Client, LocalCluster

    cells = [design.Cell(21, 13, "effect")]
    clusters = {w: LocalCluster(n_workers=w, threads_per_worker=1, processes=True, **design.LOCAL_CLUSTER_OPTIONS)
                for w in (1, 2)}
    clients = {w: Client(c) for w, c in clusters.items()}
    out = {1: [], 2: []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for w, client in clients.items():   # warm-up: every worker imports the helpers, runs twins
                design.run_study(cells, design_twin, Path(tmp) / f"warm{w}", reps=2 * w, scheduler=client,
                                 options=power.OPTIONS, progress=False)
            for k in range(trials):
                for w, client in clients.items():
                    t0 = time.perf_counter()
                    design.run_study(cells, design_twin, Path(tmp) / f"run{w}-{k}", reps=n_twins, scheduler=client,
                                     options=power.OPTIONS, study_seed=7, progress=False)
                    out[w].append(time.perf_counter() - t0)
                    print(f"  trial {k + 1}, {w} worker(s): {n_twins} twins in {out[w][-1]:.1f} s", flush=True)
    finally:
        for w in clients:
            clients[w].close()
            clusters[w].close()
    return {w: min(v) for w, v in out.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="twins timed per (N, T) (median reported)")
    ap.add_argument("--twins", type=int, default=24, help="twins of the speed-up run")
    ap.add_argument("--trials", type=int, default=3, help="speed-up runs per worker count (best reported)")
    ap.add_argument("--quick", action="store_true", help="N in 21, 50 and T = 13 only, no files written")
    ap.add_argument("--speedup-only", action="store_true",
                    help="re-measure only the speed-up and replace its rows in data/power/benchmark.csv")
    args = ap.parse_args(argv)
    n_grid, t_grid = ((21, 50), (13,)) if args.quick else (power.N_GRID, power.T_GRID)
    out = ROOT / "data" / "power" / "benchmark.csv"

    load0 = os.getloadavg()[0]
    if args.speedup_only:
        cost = pd.read_csv(out)
        cost = cost[cost["kind"] == "seconds_per_twin"]
        load0 = float(cost["load_average"].iloc[0])
    else:
        print(f"cost of one twin (design_twin, options {power.OPTIONS}, one BLAS thread); load average {load0:.2f}")
        cost = cost_by_size(n_grid, t_grid, args.repeat)
    at21 = float(cost[(cost["n_cities"] == 21) & (cost["n_years"] == 13)]["seconds"].iloc[0])
    big = cost[(cost["n_cities"] >= 50) & (cost["n_years"] == 13)]
    slope = float(np.polyfit(np.log(big["n_cities"]), np.log(big["seconds"]), 1)[0]) if len(big) > 1 else np.nan
    print(f"per twin at 21 cities x 13 years: {at21:.3f} s (target < 0.5 s) -- "
          f"{'met' if at21 < 0.5 else 'NOT met'}")
    print(f"growth of cost with N (T = 13, 50 to {int(big['n_cities'].max())} cities): ~ N^{slope:.2f}")

    print(f"speed-up of 2 Dask workers over 1 ({args.twins} twins, 21 cities x 13 years, best of {args.trials})")
    load1 = os.getloadavg()[0]
    sp = speedup(args.twins, args.trials)
    ratio = sp[1] / sp[2]
    print(f"speed-up 2 vs 1 workers: {ratio:.2f}x (target >= 1.8) -- {'met' if ratio >= 1.8 else 'NOT met'}; "
          f"load average before {load1:.2f}, after {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    if not args.quick:
        cost = cost.assign(kind="seconds_per_twin", load_average=round(load0, 2))[
            ["n_cities", "n_years", "seconds", "min_seconds", "repeat", "kind", "load_average"]]
        extra = pd.DataFrame([
            {"kind": "speedup_1_worker_seconds", "n_cities": 21, "n_years": 13, "seconds": sp[1], "repeat": args.twins,
             "load_average": round(load1, 2)},
            {"kind": "speedup_2_workers_seconds", "n_cities": 21, "n_years": 13, "seconds": sp[2], "repeat": args.twins,
             "load_average": round(load1, 2)},
        ])
        table = pd.concat([cost, extra], ignore_index=True)
        table["cores"] = os.cpu_count()
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False, float_format="%.4f", lineterminator="\n")
        print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
