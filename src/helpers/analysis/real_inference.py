r"""Chapter 6's corrections: few-cluster inference, minimum detectable effects, the mechanical rule,
descriptive statistics and regression tables for the 21 real Guangdong cities.

With 21 clusters the cluster-robust (CRV1) interval is too narrow; the cluster jackknife (CRV3)
read against t(G - 1) and the restricted wild cluster bootstrap are the few-cluster remedies
(MacKinnon, Nielsen and Webb 2023). Each test's minimum detectable effect
:math:`(t_{1-\alpha/2, G-1} + t_{power, G-1})\,SE_{CRV3}` replaces the simulated twin's power: it
is computed from the real residual variance, in SD of the outcome per SD of the regressor. A test
whose two sides share a raw input (:data:`REAL_INPUTS`) is labelled mechanical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import models
from .national import is_mechanical, mde, shared_inputs
from .national_inference import estimation_sample, fe_test, verdict

#: Raw inputs of the constructs of :func:`helpers.analysis.realdata.real_constructs`.
REAL_INPUTS = {k: frozenset(v) for k, v in {
    "synergy": {"va_secondary", "va_tertiary", "population"},
    "lq_secondary": {"va_primary", "va_secondary", "va_tertiary"},
    "flow_network": {"loans", "gdp", "population"},
    "va_index": {"pku_index_aggregate"},
    "coverage_breadth": {"pku_coverage_breadth"},
    "log_population": {"population"},
}.items()}

#: Chapter 6's fixed-effects tests: key -> (outcome, regressor).
FE_TESTS = {"b_agglomeration": ("synergy", "lq_secondary"), "b_flows": ("synergy", "flow_network"),
            "H1": ("synergy", "va_index")}


def few_cluster_table(c: pd.DataFrame, *, controls=("log_population",), n_boot: int = 999,
                      seed: int = 0, level: float = 0.95, power: float = 0.8) -> pd.DataFrame:
    """Each fixed-effects test with CRV1 (normal), CRV3 (t(G-1)) and wild-bootstrap inference.

    One row per test of :data:`FE_TESTS` present in ``c``: estimate, the CRV1 and CRV3 intervals
    and p-values, the wild cluster bootstrap p (Rademacher, restricted), the MDE from the CRV3
    error with t(G-1) quantiles (``n_boot`` wild bootstrap replications; 0 skips it), N, clusters, within R-squared, the fixed effects, the shared
    inputs and the verdict (from the CRV3 interval; "mechanical" when inputs are shared).
    """
    rows = []
    for key, (y, x) in FE_TESTS.items():
        if x not in c.columns:
            continue
        r1 = fe_test(c, y, x, controls=controls, vcov="CRV1", level=level, power=power)
        r3 = fe_test(c, y, x, controls=controls, vcov="CRV3", level=level, power=power)
        z = estimation_sample(c, [y, x, *controls])
        fit = models.panel_fe(z, y, x, controls=list(controls), n_boot=n_boot, seed=seed)
        mech = is_mechanical(x, y, REAL_INPUTS)
        rows.append({"test": key, "outcome": y, "regressor": x, "estimate": r1["estimate"],
                     "CRV1 low": r1["ci_low"], "CRV1 high": r1["ci_high"], "CRV1 p": r1["p"],
                     "CRV3 low": r3["ci_low"], "CRV3 high": r3["ci_high"], "CRV3 p": r3["p"],
                     "wild p": float(fit.wild_p[x]) if n_boot else np.nan,
                     "mde": r3["mde"], "N": r3["n"], "clusters": r3["clusters"],
                     "within R2": fit.rsquared_within, "fixed effects": "city, year",
                     "shared inputs": ", ".join(sorted(shared_inputs(x, y, REAL_INPUTS))),
                     "verdict": verdict(r3, mech)})
    return pd.DataFrame(rows).set_index("test")


def with_mde(table: pd.DataFrame, *, level: float = 0.95, power: float = 0.8, n_clusters: int = 21,
             pairs: dict | None = None) -> pd.DataFrame:
    """Chapter 6's mechanism table with an MDE column and mechanical labels.

    The MDE uses the standard error implied by each interval's width, SE = (high - low) / (2 q),
    q the quantile of ``level`` of the interval's reference distribution (t(G - 1) for a row whose
    degrees of freedom ``table.attrs["reference_df"]`` records, as the CRV3 default of the
    fixed-effects rows; else the normal, for a bootstrap interval an approximation), and t(G-1)
    quantiles for the MDE; tests without an interval get none. ``pairs``: test key -> the
    constructs it relates (default the book's: H1 PKU -> synergy; H2 via the flow network; H3 via
    the LQ of secondary value added; b_* the direct regressions).
    """
    from scipy import stats

    pairs = {"H1": ("va_index", "synergy"), "H2": ("va_index", "flow_network", "synergy"),
             "H3": ("va_index", "lq_secondary", "synergy"), "H5": ("va_index", "synergy"),
             "H4": ("va_index", "coverage_breadth", "synergy"),
             "b_agglomeration": ("lq_secondary", "synergy"), "b_flows": ("flow_network", "synergy")} \
        if pairs is None else pairs
    t = table.copy()
    ref = table.attrs.get("reference_df", {})
    q = [stats.norm.ppf(0.5 + level / 2) if ref.get(k) is None else stats.t.ppf(0.5 + level / 2, ref[k])
         for k in t.index]
    se = (t["ci_high"] - t["ci_low"]) / (2 * np.asarray(q))
    t["mde"] = mde(se.to_numpy(dtype=float), power=power, df=n_clusters - 1)
    shared = []
    for key in t.index:
        names = pairs.get(key, ())
        s = set().union(*(shared_inputs(a, b, REAL_INPUTS) for i, a in enumerate(names) for b in names[i + 1:]))
        shared.append(", ".join(sorted(s)))
    t["shared inputs"] = shared
    est = t["estimate"].notna()
    t.loc[est & (t["shared inputs"] != ""), "verdict"] = "mechanical"
    return t


def describe(c: pd.DataFrame, columns, labels: dict | None = None) -> pd.DataFrame:
    """Descriptive statistics by construct: N, mean, SD, min, quartiles, max, and the share of the
    variance left after city and year effects (what a two-way FE regression can use)."""
    rows = {}
    for col in columns:
        s = c[col].dropna()
        d = c.dropna(subset=[col])
        w = models.within(d, col)[col]
        rows[(labels or {}).get(col, col)] = {
            "N": len(s), "mean": s.mean(), "SD": s.std(ddof=1), "min": s.min(), "p25": s.quantile(0.25),
            "median": s.median(), "p75": s.quantile(0.75), "max": s.max(),
            "within share of variance": float(w.var(ddof=0) / s.var(ddof=0))}
    out = pd.DataFrame(rows).T
    out["N"] = out["N"].astype(int)
    return out


def regression_table(fits: dict, *, digits: int = 3, labels: dict | None = None) -> pd.DataFrame:
    """Fixed-effects fits side by side, journal style: each coefficient with its standard error in
    parentheses below, then N, clusters, within R-squared, the fixed-effect rows and the inference
    of each fit (covariance and reference distribution, ``PanelFEResult.inference``).

    ``fits``: column name -> :class:`helpers.models.PanelFEResult`. Cells are text (a blank where
    a model has no such coefficient), so the table prints as it reads.
    """
    labels = labels or {}
    names = list(dict.fromkeys(k for r in fits.values() for k in r.params.index))
    rows = [r for k in names for r in (labels.get(k, k), f"{labels.get(k, k)} (SE)")]
    rows += ["N", "clusters", "within R2", "city effects", "year effects", "standard errors", "inference"]
    out = pd.DataFrame("", index=rows, columns=list(fits))
    for col, r in fits.items():
        for k in r.params.index:
            out.at[labels.get(k, k), col] = f"{r.params[k]:.{digits}f}"
            out.at[f"{labels.get(k, k)} (SE)", col] = f"({r.std_errors[k]:.{digits}f})"
        out.at["N", col] = f"{r.nobs:,}"
        out.at["clusters", col] = str(r.n_clusters)
        out.at["within R2", col] = f"{r.rsquared_within:.{digits}f}"
        out.at["city effects", col] = "yes"
        out.at["year effects", col] = "yes" if "time" in r.effects else "no"
        out.at["standard errors", col] = r.cov_type
        out.at["inference", col] = r.inference
    return out
