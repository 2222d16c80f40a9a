"""Run the unconfounded-null size study once and store it (data/power/nulls_21x13.csv).

    PYTHONPATH=src python tools/run_nulls.py --twins 200 [--boot 199]

Writes the CSV of :func:`helpers.studies.nulls.null_rejections` and records a provenance line
(generator version, seed, twins, bootstrap draws, CPU time, date) in data/power/study.json, from
which data/power/PROVENANCE.md is regenerated (:func:`helpers.studies.power.record_null_run`), so
a later design run keeps it.
SIMULATED twins.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from helpers.simulate import GENERATOR_VERSION
from helpers.studies import nulls, power


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--twins", type=int, default=200)
    ap.add_argument("--boot", type=int, default=199)
    ap.add_argument("--curve", action="store_true",
                    help="the curve over confounding strength 0-0.4 (nulls_curve_21x13.csv) instead")
    args = ap.parse_args(argv)
    if args.curve:
        return _curve(args)
    t0, c0 = time.perf_counter(), time.process_time()
    res = nulls.null_rejections(args.twins, n_boot=args.boot)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    path = nulls.default_path()
    res.to_csv(path, float_format="%.6g")
    a = res.attrs
    line = (f"- `nulls_21x13.csv` (`tools/run_nulls.py`, `helpers.studies.nulls.null_rejections`): world "
            f"{a['world']} (confounding {a['confounding']}), {a['n_cities']} cities x {a['n_years']} years, "
            f"{args.twins} twins, wild bootstrap {args.boot} draws, seed {a['seed']}, generator "
            f"`helpers.simulate` {GENERATOR_VERSION}; {cpu / 60:.1f} min CPU, {wall / 60:.1f} min wall; "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n")
    power.record_null_run(path.parent, path.name, line.rstrip("\n"))
    print(res.to_string())
    print(line)
    return 0


def _curve(args) -> int:
    t0, c0 = time.perf_counter(), time.process_time()
    res = nulls.confounding_curve(n_twins=args.twins, n_boot=args.boot)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    path = nulls.default_path().with_name("nulls_curve_21x13.csv")
    res.to_csv(path, index=False, float_format="%.6g")
    a = res.attrs
    line = (f"- `nulls_curve_21x13.csv` (`tools/run_nulls.py --curve`, `helpers.studies.nulls.confounding_curve`): "
            f"world null, confounding {', '.join(f'{c:g}' for c in sorted(res['confounding'].unique()))}, "
            f"{a['n_cities']} cities x {a['n_years']} years, {args.twins} twins per strength (same seeds), wild "
            f"bootstrap {args.boot} draws, seed {a['seed']}, generator `helpers.simulate` {GENERATOR_VERSION}; "
            f"{cpu / 60:.1f} min CPU, {wall / 60:.1f} min wall; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n")
    power.record_null_run(path.parent, path.name, line.rstrip("\n"))
    print(res.to_string())
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
