r"""Designation and outcomes of the Broadband China design on the simulated twin (SIMULATED;
studies layer).

A national twin (:func:`helpers.simulate.simulate_panel` on the 336 prefectures of
``cities.city_set("national")``) receives a designation chosen the way the real one was: cities
apply when their infrastructure clears a threshold, and the ministries name fixed-size cohorts.
Here the selection score is the standardised broadband penetration of the year before the first
batch plus noise,

.. math:: s_i = z(\text{broadband}_{i,2013}) + \sigma_s \varepsilon_i,

and the 3 x 39 cities with the highest scores form the 2014, 2015 and 2016 cohorts in that order.
:mod:`helpers.studies.broadband_study` runs the design on these twins (effect world, no effect
with this designation, no effect with random designation) as stored, fingerprinted cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import measure

TWIN_OUTCOMES = {"broadband_per100": "broadband per 100 (SIMULATED)",
                 "lq_manufacturing": "location quotient of manufacturing (SIMULATED)",
                 "coagglomeration": "co-agglomeration (SIMULATED)"}


def assign_designation(panel: pd.DataFrame, *, sizes=(39, 39, 39), cohorts=(2014, 2015, 2016),
                       base_year: int = 2013, noise: float = 1.0, seed: int = 0) -> pd.Series:
    """Cohort per city code (0 = never): highest selection scores first, in fixed-size cohorts."""
    base = panel[panel["year"] == base_year].set_index("code")["broadband_per100"]
    if base.isna().any() or len(base) < sum(sizes):
        raise ValueError(f"assign_designation: need {sum(sizes)} cities with broadband in "
                         f"{base_year}, have {int(base.notna().sum())}")
    rng = np.random.default_rng(seed)
    score = (base - base.mean()) / base.std() + noise * rng.standard_normal(len(base))
    order = score.sort_values(ascending=False).index
    cohort = pd.Series(0, index=base.index, name="cohort")
    start = 0
    for g, n in zip(cohorts, sizes, strict=True):
        cohort.loc[order[start:start + n]] = g
        start += n
    return cohort


def twin_outcomes(panel: pd.DataFrame) -> pd.DataFrame:
    """Broadband per 100, the LQ of manufacturing and manufacturing-producer-services
    co-agglomeration (against all twin cities of the year), by code and year."""
    out = panel[["code", "year", "broadband_per100"]].copy()
    emp = panel[["emp_manufacturing", "emp_producer_services"]]
    for idx in panel.groupby("year").groups.values():
        lq = measure.location_quotient(emp.loc[idx], city_total=panel.loc[idx, "employment"])
        out.loc[idx, "lq_manufacturing"] = lq["emp_manufacturing"]
        out.loc[idx, "lq_services"] = lq["emp_producer_services"]
    out["coagglomeration"] = measure.coagglomeration(out["lq_manufacturing"], out["lq_services"])
    return out.drop(columns="lq_services")
