"""Benchmark (not a test): gravity flows and network metrics for 300 cities x 13 years.

Builds 300 synthetic cities (random seats in a box around Guangdong, great-circle distances),
13 years of random masses, then times gravity flows for all years, binarisation and
:func:`helpers.measure.network.network_metrics` for each year. Target: under 2 s in total.

Run: ``python tools/bench_network.py [--cities 300] [--years 13] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from helpers.data import great_circle_km
from helpers.measure.network import binarize, gravity_flows_panel, network_metrics


def synthetic(n_cities: int, n_years: int, seed: int = 20240604):
    rng = np.random.default_rng(seed)
    cities = [f"c{i:03d}" for i in range(n_cities)]
    lon = rng.uniform(109.5, 117.5, n_cities)
    lat = rng.uniform(20.2, 25.5, n_cities)
    d = great_circle_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    np.fill_diagonal(d, 0.0)
    dist = pd.DataFrame(d, index=cities, columns=cities)
    mass = pd.DataFrame(rng.lognormal(3.0, 1.0, (n_years, n_cities)),
                        index=pd.RangeIndex(2010, 2010 + n_years, name="year"), columns=cities)
    return mass, dist


def run(mass: pd.DataFrame, dist: pd.DataFrame, rule: str = "row_mean"):
    F = gravity_flows_panel(mass, dist, b=2.0)          # (T, N, N), one broadcast
    A = binarize(F, rule=rule)                          # (T, N, N) 0/1
    metrics = {}
    for t, year in enumerate(mass.index):
        m = network_metrics(pd.DataFrame(A[t], index=mass.columns, columns=mass.columns))
        metrics[year] = m
    return F, A, metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", type=int, default=300)
    ap.add_argument("--years", type=int, default=13)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rule", default="row_mean")
    args = ap.parse_args()

    mass, dist = synthetic(args.cities, args.years)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        F, A, metrics = run(mass, dist, args.rule)
        times.append(time.perf_counter() - t0)
    t_flows = time.perf_counter()
    gravity_flows_panel(mass, dist, b=2.0)
    t_flows = time.perf_counter() - t_flows

    dens = np.array([m.attrs["density"] for m in metrics.values()])
    print(f"{args.cities} cities x {args.years} years, rule={args.rule}")
    print(f"  flows for all years: {t_flows:.3f} s")
    print(f"  flows + binarize + metrics, best of {args.repeat}: {min(times):.3f} s "
          f"(all runs: {', '.join(f'{t:.3f}' for t in times)})")
    print(f"  density per year: min {dens.min():.3f}, max {dens.max():.3f}")
    print(f"  target < 2 s: {'met' if min(times) < 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
