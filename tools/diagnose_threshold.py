"""Why does the threshold test find the opposite slope pattern? (a diagnosis script, SIMULATED data)

For each twin: the book's threshold test (``report.run_mechanism``'s specification: standardised
synergy on the standardised VA index by regime of broadband per 100 people, log population,
city and year effects, 49 bootstrap replications), the true regime slopes of its estimand
(:func:`helpers.estimands.estimand_truths`, latent and measured), the correlation of the true
regime with time, and the same test on the latent states (no measurement).

Usage: ``.venv/bin/python tools/diagnose_threshold.py --reps 40 [--params '{...}']``

Diagnosis (generator 1.1.0, 40 twins, 49 bootstrap replications; SIMULATED). On the constructs
the test says "contradicted" in 20% of twins and "supported" in none. Three causes, by size:

1. The test's estimand is not the twin's threshold. The twin's threshold is in the *direct*
   slope c(q) (0.35 below, 0.65 above), but the test regresses synergy on VA by regime without
   the mediators, so it estimates the *total* own-city effect by regime. Its estimand-matched
   truth (:func:`helpers.estimands.estimand_truths`, ``c_below``/``c_above``) is almost flat on
   the latent scale (0.312 below, 0.382 above: the flows channel's marginal effect falls as
   participation rises) and *reversed* on the measured scale (0.462 below, 0.364 above: the VA
   index is convex in the platform share, e.g. telecom volume ~ exp(1.6 s), so one index unit
   is a smaller change in s above the threshold). A "contradicted" verdict on the constructs
   is mostly a correct statement about this estimand.
2. The confounder. On the latent states (no measurement) the same test says "contradicted" in
   52.5% of twins (slopes 0.547 below, 0.439 above, truths 0.312 and 0.382); with
   ``confounding=0`` in 27.5% (slopes 0.369, 0.342). The shock that moves both VA and synergy
   biases the slope most below the threshold, where VA's within variation is small and largely
   shock-driven.
3. Weak identification of gamma: the regime is the late years (correlation of 1(q > 40) with
   the year 0.75; q = 8 + 52 D + noise and D diffuses logistically in time) and the estimated
   gamma averages 39.9 with SD 19.6 (range 8 to 61) on the constructs.

With the mediators as controls (the direct slope, where the threshold lives) and no confounder,
the latent test finds the true pattern in 27.5% of twins and the opposite in 2.5%.
So the *test* is at fault: H4 should be tested on the direct effect (flows and agglomeration
as controls) and compared with the estimand-matched truth, not on the total effect of the
convex measured index. The twin is consistent with its own equations.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd


def one(seed, params, n_boot):
    from helpers import constructs, estimands, models, report
    from helpers.simulate import simulate_panel

    panel, truth = simulate_panel(params=params, seed=seed)
    c = constructs.build_constructs(panel)
    z = report.prepare(c).assign(broadband_per100=c["broadband_per100"])
    thr = models.threshold(z, "synergy", "va_index", "broadband_per100", controls=["log_population"],
                           n_boot=n_boot, seed=seed)
    et = estimands.estimand_truths(params=params, seed=seed)
    g = truth.params.gamma
    lat = truth.latent.reset_index()
    above = (lat["q"] > g).astype(float)
    # the same test on the latent states (standardised), no measurement
    L = lat.assign(SYz=(lat.SY - lat.SY.mean()) / lat.SY.std(ddof=0), VAz=(lat.VA - lat.VA.mean()) / lat.VA.std(ddof=0),
                   log_population=np.log(panel.set_index(["city", "year"]).loc[
                       list(zip(lat.city, lat.year)), "population"].to_numpy()))
    thl = models.threshold(L, "SYz", "VAz", "q", controls=["log_population"], n_boot=n_boot, seed=seed)
    s = thr.slopes.to_numpy()
    sl = thl.slopes.to_numpy()
    p = float(thr.p_boot[0])
    verdict = "inconclusive" if p >= 0.05 else ("supported" if s[-1] > s[0] else "contradicted")
    pl = float(thl.p_boot[0])
    verdict_l = "inconclusive" if pl >= 0.05 else ("supported" if sl[-1] > sl[0] else "contradicted")
    t = et.truths
    return {"twin": seed, "gamma_hat": float(thr.gamma[0]), "p": p, "slope_low": s[0], "slope_high": s[-1],
            "verdict": verdict, "true_low_measured": t.at["c_below", "measured"],
            "true_high_measured": t.at["c_above", "measured"], "true_low_latent": t.at["c_below", "latent"],
            "true_high_latent": t.at["c_above", "latent"], "direct_low": et.truths.at["c_prime", "latent"],
            "corr_regime_year": float(np.corrcoef(above, lat["year"])[0, 1]),
            "share_above": float(above.mean()), "gamma_hat_latent": float(thl.gamma[0]), "p_latent": pl,
            "slope_low_latent": sl[0], "slope_high_latent": sl[-1], "verdict_latent": verdict_l}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=40)
    ap.add_argument("--boot", type=int, default=49)
    ap.add_argument("--params", default="{}")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    params = json.loads(a.params)
    if a.jobs == 1:
        rows = [one(s, params, a.boot) for s in range(1, a.reps + 1)]
    else:
        from joblib import Parallel, delayed
        rows = Parallel(n_jobs=a.jobs)(delayed(one)(s, params, a.boot) for s in range(1, a.reps + 1))
    d = pd.DataFrame(rows)
    if a.out:
        d.to_csv(a.out, index=False)
    pd.set_option("display.width", 200)
    print(f"{a.reps} twins, params {params or 'default'} (SIMULATED)")
    print("verdicts (constructs):", d["verdict"].value_counts(normalize=True).round(3).to_dict())
    print("verdicts (latent states):", d["verdict_latent"].value_counts(normalize=True).round(3).to_dict())
    print(d.drop(columns=["twin", "verdict", "verdict_latent"]).describe().T[["mean", "std", "min", "50%", "max"]]
          .to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
