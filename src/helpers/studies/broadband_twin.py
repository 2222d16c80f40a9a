r"""The Broadband China design on the simulated twin (SIMULATED; studies layer).

A national twin (:func:`helpers.simulate.simulate_panel` on the 336 prefectures of
``cities.city_set("national")``) receives a designation chosen the way the real one was: cities
apply when their infrastructure clears a threshold, and the ministries name fixed-size cohorts.
Here the selection score is the standardised broadband penetration of the year before the first
batch plus noise,

.. math:: s_i = z(\text{broadband}_{i,2013}) + \sigma_s \varepsilon_i,

and the 3 x 39 cities with the highest scores form the 2014, 2015 and 2016 cohorts in that order.
In the **no-effect world** designation changes nothing, so every estimate's truth is 0 and its
mean is the design's bias (selection on thresholds meets the twin's own diffusion dynamics); in
the **effect world** the outcome rises by ``effect_sd`` standard deviations (cross-section of the
base year) from designation on, and the rejection rate is the power. Estimator:
:func:`helpers.models.callaway_santanna` with never-designated controls, as on the real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import measure
from ..models import did

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


def one_twin(seed: int, *, effect_sd: float = 0.2, noise: float = 1.0,
             years=range(2011, 2020), level: float = 0.95, cities: str = "national",
             sizes=(39, 39, 39)) -> pd.DataFrame:
    """Simulate one twin (``cities``: a :func:`helpers.data.cities.city_set` name), designate
    ``sizes`` cities per cohort, estimate every outcome in both worlds."""
    from ..data.cities import city_set
    from ..simulate import simulate_panel

    panel, _ = simulate_panel(seed=seed, years=tuple(years), cities=city_set(cities))
    frame = twin_outcomes(panel)
    frame["cohort"] = frame["code"].map(assign_designation(panel, sizes=sizes, noise=noise,
                                                           seed=seed))
    treated = (frame["cohort"] > 0) & (frame["year"] >= frame["cohort"])
    rows = []
    for y in TWIN_OUTCOMES:
        sd = frame.loc[frame["year"] == 2013, y].std()
        for world, delta in (("no effect", 0.0), ("effect", effect_sd * sd)):
            data = frame.assign(**{y: frame[y] + delta * treated})
            r = did.callaway_santanna(data, y, entity="code", level=level)
            ci = r.conf_int(level).loc["ATT"]
            rows.append({"seed": seed, "outcome": y, "world": world, "truth": delta,
                         "att": r.params["ATT"], "se": r.std_errors["ATT"],
                         "reject": not (ci["lower"] <= 0 <= ci["upper"]),
                         "covers": ci["lower"] <= delta <= ci["upper"],
                         "pretrend_reject": r.event_study.pretrend_p < 1 - level})
    return pd.DataFrame(rows)


def twin_study(n_twins: int, *, seed: int = 0, effect_sd: float = 0.2, noise: float = 1.0,
               level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n_twins`` twins (seeds ``seed``, ``seed + 1``, ...); returns (rows, summary).

    The summary, per outcome and world: mean estimate and truth, bias in units of the mean
    standard error, rejection rate of ATT = 0, coverage of the truth, and the share of twins
    whose joint pre-trend test rejects, each over ``n_twins`` (SIMULATED).
    """
    if n_twins < 1:
        raise ValueError("twin_study: n_twins must be at least 1")
    rows = pd.concat([one_twin(seed + k, effect_sd=effect_sd, noise=noise, level=level)
                      for k in range(n_twins)], ignore_index=True)
    g = rows.groupby(["outcome", "world"], sort=False)
    summary = pd.DataFrame({"twins": g.size(), "truth": g["truth"].mean(),
                            "mean estimate": g["att"].mean(),
                            "bias / se": (g["att"].mean() - g["truth"].mean()) / g["se"].mean(),
                            "rejection rate": g["reject"].mean(), "coverage": g["covers"].mean(),
                            "pre-trend rejected": g["pretrend_reject"].mean()})
    return rows, summary
