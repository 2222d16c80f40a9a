"""Re-run the twin's simulated-moments calibration and write data/twin_calibration.json.

    PYTHONPATH=src python tools/calibrate_twin.py [--n-boot 199] [--maxfev 300] [--out data/twin_calibration.json]

Real moments: the real Guangdong (helpers.analysis.moments.guangdong_frame, with the PKU index
where the reader has it), cluster-bootstrap SEs. The twin: helpers.studies.calibrate.fit over
CALIBRATION_SEEDS. The file records the fitted values with their provenance (seeds, moments,
date, objective); copy the values into the defaults of helpers.simulate.TwinParams (a test checks
that the defaults equal the file) and regenerate data/guangdong_twin_panel.csv.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from helpers.analysis import moments as m
from helpers.analysis.realdata import pku_index
from helpers.studies import calibrate as cal

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-boot", type=int, default=199)
    ap.add_argument("--boot-seed", type=int, default=20261122)
    ap.add_argument("--maxfev", type=int, default=300)
    ap.add_argument("--n-bisect", type=int, default=10)
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "twin_calibration.json")
    ap.add_argument("--only", nargs="*", default=None,
                    help="fit only these parameters (the others stay at the current defaults)")
    ap.add_argument("--note", default="", help="a provenance note recorded in the file")
    args = ap.parse_args(argv)
    t0 = time.time()
    pku, _ = pku_index(None)
    source = "the real Guangdong, 2011-2023" + (" (with the PKU index)" if pku is not None else "")
    real = m.moments(m.guangdong_frame(pku=pku), n_boot=args.n_boot, seed=args.boot_seed, source=source)
    print(f"real moments: {time.time() - t0:.1f} s")
    res = cal.fit(real, maxfev=args.maxfev, n_bisect=args.n_bisect, names=args.only)
    print(res.summary())
    cal.write_fit(res, args.out, source=source, n_boot=args.n_boot, boot_seed=args.boot_seed,
                  date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%MZ"), note=args.note)
    print(f"wrote {args.out} ({time.time() - t0:.0f} s). TwinParams defaults to set:")
    for k, v in res.params.items():
        print(f"    {k}: float = {v:.6g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
