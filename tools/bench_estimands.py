"""Coverage of the mechanism's 95% intervals on independent twins: before / after estimand matching.

For each twin (seeds 1..n): simulate, build constructs, run :func:`helpers.analysis.report.run_mechanism`
and compare every estimate with (before) the one-SD, equally weighted latent truth of
``TwinTruth.effects`` (``report.compare_to_truth``) and (after) the truth of its own estimand
on the measured and on the latent scale (:func:`helpers.simulate.estimands.estimand_truths`).
Also the threshold regime slopes and the outcome regressions' slopes. SIMULATED data.

Usage: ``.venv/bin/python tools/bench_estimands.py --reps 100 --jobs 2 [--params '{"phi": 0}']``
Prints the coverage table (share of twins whose interval covers the truth) with its Monte Carlo
standard error sqrt(p (1 - p) / n), and writes the per-twin rows to ``--out`` (CSV).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd


def extra_rows(res) -> pd.DataFrame:
    """Threshold regime slopes and outcome slopes with normal 95% intervals."""
    rows = {}
    thr = res.threshold
    for key, k in (("threshold_low", 0), ("threshold_high", -1)):
        name = thr.slopes.index[k]
        b, s = float(thr.params[name]), float(thr.std_errors[name])
        rows[key] = (key, b, b - 1.96 * s, b + 1.96 * s, np.nan)
    for key, (out, reg) in {"productivity_synergy": ("productivity", "synergy"),
                            "productivity_agglomeration": ("productivity", "lq_manufacturing"),
                            "competitiveness_synergy": ("competitiveness", "synergy"),
                            "competitiveness_productivity": ("competitiveness", "productivity")}.items():
        r = res.outcomes[out]
        lo, hi = r.conf_int().loc[reg]
        rows[key] = (key, float(r.params[reg]), float(lo), float(hi), float(r.pvalues[reg]))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["quantity", "estimate", "ci_low", "ci_high", "p"])


def one(seed: int, params: dict, n_boot: int) -> pd.DataFrame:
    from helpers import data
    from helpers.analysis import report
    from helpers.measure import constructs
    from helpers.simulate import estimands
    from helpers.simulate import simulate_panel

    panel, truth = simulate_panel(params=params, seed=seed)
    c = constructs.build_constructs(panel)
    res = report.run_mechanism(c, truth.W, n_boot=n_boot, threshold_boot=0, wild_boot=0, boot_seed=seed)
    table = pd.concat([report.estimates_table(res), extra_rows(res)])
    before = report.compare_to_truth(table, truth.effects["std"])
    et = estimands.estimand_truths(params=params, seed=seed)
    meas, lat = et.compare(table, "measured"), et.compare(table, "latent")
    out = pd.DataFrame({"estimate": table["estimate"], "ci_low": table["ci_low"], "ci_high": table["ci_high"]})
    out["true_before"] = before["true"]
    out["covers_before"] = before["covers"]
    out["true_measured"], out["covers_measured"] = meas["true"], meas["covers"]
    out["true_latent"], out["covers_latent"] = lat["true"], lat["covers"]
    out["twin"] = seed
    return out.rename_axis("key").reset_index()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--boot", type=int, default=199)
    ap.add_argument("--params", default="{}")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    params = json.loads(a.params)
    seeds = range(a.first_seed, a.first_seed + a.reps)
    t0 = time.perf_counter()
    def safe(s):
        try:
            return one(s, params, a.boot)
        except Exception as e:  # report, do not lose the other twins
            print(f"twin {s} failed: {e!r}", flush=True)
            return None

    if a.jobs == 1:
        frames = [safe(s) for s in seeds]
    else:
        from joblib import Parallel, delayed

        frames = Parallel(n_jobs=a.jobs)(delayed(safe)(s) for s in seeds)
    frames = [f for f in frames if f is not None]
    df = pd.concat(frames, ignore_index=True)
    if a.out:
        df.to_csv(a.out, index=False)
    g = df.groupby("key", sort=False)
    n = g.size()
    tab = pd.DataFrame({
        "mean est": g["estimate"].mean(), "true before": g["true_before"].mean(),
        "cov before": g["covers_before"].mean(), "true measured": g["true_measured"].mean(),
        "cov measured": g["covers_measured"].mean(), "true latent": g["true_latent"].mean(),
        "cov latent": g["covers_latent"].mean()})
    tab["MC se (95%)"] = np.sqrt(0.95 * 0.05 / n)
    pd.set_option("display.width", 200)
    print(f"{a.reps} twins, params {params or 'default'}, {time.perf_counter() - t0:.0f} s (SIMULATED)")
    print(tab.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
