"""From constructs to estimates, and from estimates to verdicts and sentences.

:func:`run_mechanism` runs every model of the mechanism chapter on standardised constructs;
:func:`cached_mechanism` is the same run, cached on disk (the Mechanism and Findings chapters
share it);
:func:`estimates_table` lines the estimates up (estimate, interval); :func:`compare_to_truth`
sets them beside true effects *that the caller supplies* (this module never imports the
simulator); :func:`hypothesis_verdicts` turns intervals into verdicts on H1-H5 and
:func:`verdict_sentences` writes the findings from those numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _cache, models
from .. import registry as _registry
from .._results import Result
from ..measure.constructs import standardize

#: Standardised variables of the mechanism (construct column names).
VARIABLES = {"x": "va_index", "m1": "flow_network", "m2": "lq_manufacturing", "y": "synergy"}
CONTROLS = ("log_population",)
#: The three factor-flow networks, each a mediator on its own (construct column names).
FACTOR_FLOWS = {"talent": "flow_talent", "capital": "flow_capital", "technology": "flow_technology"}


@dataclass(repr=False)
class MechanismResults(Result):
    """Every estimate of the mechanism chapter (see :func:`run_mechanism`)."""

    baseline: object
    mediation_flows: object
    mediation_agglomeration: object
    mediation_factors: dict
    serial: object
    lagged: object
    topsis: object
    iv: object
    prd: object
    rest: object
    prd_gap: object
    threshold: object
    sdm: object
    moran: models.MoranResult
    outcomes: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def summary(self) -> str:
        return "MechanismResults\n" + estimates_table(self).to_string(float_format=lambda v: f"{v:.3f}")


def prepare(constructs: pd.DataFrame) -> pd.DataFrame:
    """Standardise the mechanism's variables (z-scores over the panel) and add log population."""
    df = constructs.copy()
    df["log_population"] = np.log(df["population"])
    cols = ["va_index", "va_topsis", "va_index_lag", "flow_network", *FACTOR_FLOWS.values(), "lq_manufacturing",
            "synergy", "productivity", "competitiveness", "instrument", "log_population"]
    df = standardize(df, cols)
    df["va_x_prd"] = df["va_index"] * (df["region"] == "PRD")  # for the pooled heterogeneity test
    return df


def bootstrap_seeds(boot_seed: int) -> dict:
    """The seed :func:`run_mechanism` gives each of its resampling runs, derived from
    ``boot_seed`` (``numpy.random.SeedSequence``). A chapter that re-draws one of them (e.g. the
    effects of :func:`helpers.models.mediation_effects` beside the mediation table) passes the
    same seed, so the two tables print the same interval.
    """
    s = np.random.SeedSequence(boot_seed).generate_state(8)
    return {"baseline": int(s[0]), "mediation_flows": int(s[1]), "mediation_agglomeration": int(s[2]),
            "serial": int(s[3])}


def run_mechanism(constructs: pd.DataFrame, W: pd.DataFrame, *, n_boot: int = 999,
                  threshold_boot: int = 300, wild_boot: int = 999, boot_seed: int = 0,
                  controls=CONTROLS) -> MechanismResults:
    """Run the mechanism chapter's models on constructs from :func:`helpers.measure.constructs.build_constructs`.

    Parameters
    ----------
    constructs : DataFrame
        City-year constructs (not yet standardised).
    W : DataFrame
        Row-standardised spatial weights (city x city) for the spatial Durbin model and Moran's I.
    n_boot, threshold_boot, wild_boot : int
        Cluster-bootstrap replications for mediation, residual-bootstrap replications for the
        threshold test, and wild cluster bootstrap replications for the baseline.
    boot_seed : int
        Seed of every bootstrap (and of the permutations of Moran's I); each model gets its own
        stream derived from it. It has nothing to do with the seed of a simulated twin.
    controls : str or sequence of str
        Control variables (standardised) included in every regression.
    """
    z = prepare(constructs)
    # pandas deep-copies ``attrs`` on every operation; none of the models reads them, and a
    # twin's constructs carry nested metadata that made copying it a tenth of a twin's analysis
    z.attrs = {}
    # every estimator sorts its copy by city and year; sorted once here, each finds it sorted
    # (the same rows with the same labels reach every estimator)
    z = z.sort_values(["city", "year"], kind="stable")
    x, m1, m2, y = (VARIABLES[k] for k in ("x", "m1", "m2", "y"))
    c = models.as_list(controls, "controls")
    seeds = np.random.SeedSequence(boot_seed).generate_state(8)
    base = models.panel_fe(z, y, x, controls=c, n_boot=wild_boot, seed=int(seeds[0]))
    med1 = models.mediation(z, x, m1, y, controls=c, n_boot=n_boot, seed=int(seeds[1]))
    med2 = models.mediation(z, x, m2, y, controls=c, n_boot=n_boot, seed=int(seeds[2]))
    factors = {k: models.mediation(z, x, col, y, controls=c, n_boot=n_boot, seed=int(seeds[7]) + i)
               for i, (k, col) in enumerate(FACTOR_FLOWS.items())}
    ser = models.serial_mediation(z, x, m1, m2, y, controls=c, n_boot=n_boot, seed=int(seeds[3]))
    zl = z.dropna(subset=["va_index_lag"])
    lag = models.panel_fe(zl, y, "va_index_lag", controls=c)
    top = models.panel_fe(z, y, "va_topsis", controls=c)
    iv = models.iv_2sls(z, y, x, ["instrument"], controls=c)
    prd = models.panel_fe(z[z["region"] == "PRD"], y, x, controls=c)
    rest = models.panel_fe(z[z["region"] != "PRD"], y, x, controls=c)
    # pooled model with an interaction: the PRD - rest difference with its own standard error
    gap = models.panel_fe(z, y, [x, "va_x_prd"], controls=c, n_boot=wild_boot, seed=int(seeds[0]) + 1)
    thr_df = z.assign(broadband_per100=constructs["broadband_per100"])  # threshold in raw units
    # H4 is about the direct slope (the twin's and the seeds' threshold acts on VA's own effect),
    # so the mediators are held fixed; the total effect by regime mixes in the flows channel and
    # the convexity of the VA index (tools/diagnose_threshold.py)
    thr = models.threshold(thr_df, y, x, "broadband_per100", controls=[m1, m2, *c], n_boot=threshold_boot,
                           seed=int(seeds[4]), progress=False)
    sdm = models.spatial_durbin_panel(z, y, [x] + c, W, seed=int(seeds[5]))
    wide = constructs.pivot(index="year", columns="city", values=y)[W.index]
    mor = models.moran(wide, W, n_boot=999, seed=int(seeds[6]))
    outcomes = {
        "productivity": models.panel_fe(z, "productivity", [y, m2], controls=c),
        "competitiveness": models.panel_fe(z, "competitiveness", [y, "productivity"], controls=c),
    }
    return MechanismResults(
        baseline=base, mediation_flows=med1, mediation_agglomeration=med2, mediation_factors=factors,
        serial=ser, lagged=lag, topsis=top, iv=iv, prd=prd, rest=rest, prd_gap=gap, threshold=thr, sdm=sdm,
        moran=mor, outcomes=outcomes,
        settings={"n_boot": n_boot, "threshold_boot": threshold_boot, "wild_boot": wild_boot,
                  "boot_seed": boot_seed, "controls": c,
                  "rest_regions": sorted(set(z.loc[z["region"] != "PRD", "region"].astype(str)))},
    )


#: The helpers packages a mechanism run goes through (the analysis layer and every layer below
#: it): an edit to their source is a new cache key.
MECHANISM_SOURCES = ("_results", "data", "measure", "models", "analysis")


def default_cache_dir() -> Path | None:
    """Where :func:`cached_mechanism` keeps its runs (:func:`helpers._cache.default_cache_dir`):
    ``$HELPERS_CACHE`` if set, else ``_build/cache`` of the repository that contains the working
    directory, else None (no caching)."""
    return _cache.default_cache_dir()


def mechanism_key(constructs: pd.DataFrame, W: pd.DataFrame, **settings) -> str:
    """Hash of everything a mechanism run depends on: the constructs and weights (values, labels,
    dtypes), the settings, the numerical libraries' versions and the source of
    :data:`MECHANISM_SOURCES` (:func:`helpers._cache.cache_key`)."""
    return _cache.cache_key(constructs, W, settings, sources=MECHANISM_SOURCES)


def cached_mechanism(constructs: pd.DataFrame, W: pd.DataFrame, *, cache_dir=None, **settings) -> MechanismResults:
    """:func:`run_mechanism`, run once and reused: the Mechanism and Findings chapters share it.

    The run is stored by :func:`helpers._cache.cached` as ``mechanism-<key>.pkl`` in ``cache_dir``
    (default :func:`default_cache_dir`), keyed by :func:`mechanism_key` of the constructs, the
    weights, ``settings`` (the keyword arguments of :func:`run_mechanism`) and the source of the
    packages it runs through, so a change in any of them recomputes. Without a cache directory the
    run is simply computed. A loaded run is bit-for-bit the computed one, so re-executed chapters
    reproduce exactly; an unreadable file is recomputed, a failed write only warns.
    """
    key = mechanism_key(constructs, W, **settings)
    return _cache.cached("mechanism", key, lambda: run_mechanism(constructs, W, **settings), cache_dir=cache_dir)


def _fe_row(res, name, label):
    lo, hi = res.interval(name, 0.95)
    return label, float(res.params[name]), float(lo), float(hi), float(res.pvalues[name])


def rest_label(regions=None) -> str:
    """Name of the cities outside the Pearl River Delta in a city set with these (non-PRD) regions.

    Guangdong's own regions (East, West, North; or ``None``, the book's default set) give
    "East, West and North cities"; a set with cities outside Guangdong (region ``Other``, e.g. a
    national sample of :func:`helpers.data.cities.city_set`) gives "cities outside the Pearl River Delta".

    >>> rest_label(["East", "North", "West"])
    'East, West and North cities'
    >>> rest_label(["East", "Other"])
    'cities outside the Pearl River Delta'
    """
    if regions is None or set(regions) <= {"East", "West", "North"}:
        return "East, West and North cities"
    return "cities outside the Pearl River Delta"


def estimates_table(r: MechanismResults) -> pd.DataFrame:
    """Estimates with 95% intervals, one row per quantity (standardised units).

    Rows are keyed by the names :func:`compare_to_truth` understands.
    """
    x = VARIABLES["x"]
    rows = {}
    q = _registry.quantity
    rows["total"] = _fe_row(r.baseline, x, q("total"))
    rows["total_iv"] = _fe_row(r.iv, x, q("total_iv"))
    rows["total_lag"] = _fe_row(r.lagged, "va_index_lag", q("total_lag"))
    rows["total_topsis"] = _fe_row(r.topsis, "va_topsis", q("total_topsis"))
    rows["prd"] = _fe_row(r.prd, x, q("prd"))
    rows["rest"] = _fe_row(r.rest, x, q("rest", rest=rest_label(r.settings.get("rest_regions"))))
    rows["prd_gap"] = _fe_row(r.prd_gap, "va_x_prd", q("prd_gap"))
    s = r.serial
    for key, name in [("a_flows", "a1"), ("direct", "c_prime")]:
        lo, hi = s.boot_ci.loc[name]  # cluster-bootstrap percentile interval, like the indirect effects
        rows[key] = (q(key), float(s.paths[name]), float(lo), float(hi), float(s.pvalues[name]))
    for key, name in [("via_flows", "a1b1"), ("via_agglomeration", "a2b2"), ("serial", "a1d21b2")]:
        lo, hi = s.boot_ci.loc[name]
        rows[key] = (q(key), float(s.indirect[name]), float(lo), float(hi), np.nan)
    for key, (name, med) in _simple_mediations(r).items():
        lo, hi = med.boot_ci.loc["ab"]
        label = q(key) if key in _registry.ESTIMATES else f"simple mediation ab, {name}"  # any other factor
        rows[key] = (label, float(med.ab), float(lo), float(hi), float(med.sobel_p))
    for key, part in [("sdm_direct", "direct"), ("spillover", "indirect")]:
        lo, hi = r.sdm.effects_ci.loc[(part, x)]
        rows[key] = (q(key), float(getattr(r.sdm.effects, part)[x]), float(lo), float(hi), np.nan)
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["quantity", "estimate", "ci_low", "ci_high", "p"])
    out.index.name = "key"
    return out


def _simple_mediations(r: MechanismResults) -> dict:
    """Table key -> (mediator name, MediationResult): the composite flows, each factor network,
    agglomeration."""
    return {"med_flows": ("flows (composite)", r.mediation_flows),
            **{f"med_{k}": (f"{k} flows", m) for k, m in r.mediation_factors.items()},
            "med_agglomeration": ("agglomeration", r.mediation_agglomeration)}


def mediation_reading(lo: float, hi: float, stepwise: str) -> tuple[str, str]:
    """One verdict rule for an indirect effect: the verdict of :func:`interval_verdict` on its
    cluster-bootstrap percentile interval (the rule of the Findings chapter's verdicts), and the
    Wen & Ye (2014) stepwise reading of the kind of mediation only where that interval excludes
    zero (the stepwise procedure can call an effect "full mediation" from significant a and b
    while the interval of ab includes zero); where the stepwise test found no indirect effect
    from its bias-corrected interval, the kind is left unclassified rather than contradicting the
    verdict.

    >>> mediation_reading(-0.01, 0.2, "full mediation")
    ('inconclusive', 'none: the interval includes zero')
    >>> mediation_reading(0.02, 0.2, "partial mediation")
    ('supported', 'partial mediation')
    """
    verdict = interval_verdict(lo, hi)
    if verdict == "inconclusive":
        return verdict, "none: the interval includes zero"
    if stepwise == "no indirect effect":   # the stepwise test read the bias-corrected interval
        return verdict, "not classified: the bias-corrected interval includes zero"
    return verdict, stepwise


def mediation_table(r: MechanismResults) -> pd.DataFrame:
    """One row per simple mediation (each flow network, the composite, agglomeration), as
    current practice reports it (Imai, Keele & Tingley 2010; Jiang 2022): paths a and b with
    their p-values, the total effect c, the direct effect c', the indirect effect ab with its
    cluster-bootstrap percentile interval, the verdict from that interval and the Wen & Ye kind
    of mediation (:func:`mediation_reading`). Sobel and Aroian tests stay on the results."""
    meds = dict(_simple_mediations(r).values())
    rows = {}
    for name, m in meds.items():
        lo, hi = m.boot_ci.at["ab", "lower"], m.boot_ci.at["ab", "upper"]
        verdict, kind = mediation_reading(lo, hi, m.verdict)
        rows[name] = {"a": m.a, "a p": m.p_a, "b": m.b, "b p": m.p_b, "c (total)": m.c,
                      "c' (direct)": m.c_prime, "ab (indirect)": m.ab, "ab 95% low": lo, "ab 95% high": hi,
                      "verdict": verdict, "Wen-Ye kind": kind}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "mediator"
    return out


#: Which true effect (``TwinTruth.effects`` row, standardised) each estimate targets
#: (from the estimate registry, :mod:`helpers.registry`).
TRUTH_FOR = _registry.effects_for()


def compare_to_truth(table: pd.DataFrame, true_effects: pd.Series) -> pd.DataFrame:
    """Set each estimate beside the true effect it targets; flag whether the interval covers it.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`estimates_table`.
    true_effects : Series
        True effects by name (e.g. ``truth.effects["std"]`` of the simulated twin), supplied by
        the caller: this module never imports the simulator.
    """
    t = table[table.index.isin(TRUTH_FOR)].copy()
    t["true"] = [float(true_effects[TRUTH_FOR[k]]) for k in t.index]
    t["covers"] = (t["ci_low"] <= t["true"]) & (t["true"] <= t["ci_high"])
    t["bias"] = t["estimate"] - t["true"]
    return t


def interval_verdict(lo: float, hi: float, expected_sign: int = 1) -> str:
    """'supported' if the 95% interval excludes zero on the predicted side, 'contradicted' if it
    excludes zero on the other side, else 'inconclusive'."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "inconclusive"
    if expected_sign * lo > 0 and expected_sign * hi > 0:
        return "supported"
    if expected_sign * lo < 0 and expected_sign * hi < 0:
        return "contradicted"
    return "inconclusive"


HYPOTHESES = {
    "H1": "virtual agglomeration raises industrial synergy (total effect)",
    "H2": "part of the effect runs through factor-flow networks",
    "H3": "part of the effect runs through industrial agglomeration (alone or after the flows)",
    "H4": "the effect is larger above a network-size threshold",
    "H5": "a city's virtual agglomeration raises its neighbours' synergy",
}


def hypothesis_verdicts(r: MechanismResults, alpha: float = 0.05) -> pd.DataFrame:
    """Verdicts on H1-H5 computed from the estimates.

    H1 uses the two-way FE total effect; H2 the serial model's a1 b1; H3 whichever of a2 b2 and
    a1 d21 b2 is supported (else the better of the two); H4 the threshold test on the direct slope
    (flow network and agglomeration as controls; bootstrap p below
    ``alpha`` and a larger slope above the threshold: supported; p below alpha with a smaller
    slope: contradicted); H5 the spatial Durbin indirect effect.
    """
    tab = estimates_table(r)

    def iv(key):
        return interval_verdict(tab.at[key, "ci_low"], tab.at[key, "ci_high"])

    rows = []
    rows.append(("H1", iv("total"), "total", tab.at["total", "estimate"]))
    rows.append(("H2", iv("via_flows"), "via_flows", tab.at["via_flows", "estimate"]))
    v_ag, v_se = iv("via_agglomeration"), iv("serial")
    key3 = "via_agglomeration" if v_ag == "supported" or v_se != "supported" else "serial"
    rows.append(("H3", "supported" if "supported" in (v_ag, v_se) else iv(key3), key3, tab.at[key3, "estimate"]))
    thr = r.threshold
    p = float(np.atleast_1d(thr.p_boot)[0])
    slopes = thr.slopes.to_numpy()
    if np.isfinite(p) and p < alpha:
        v4 = "supported" if slopes[-1] > slopes[0] else "contradicted"
    else:
        v4 = "inconclusive"
    rows.append(("H4", v4, "threshold", float(np.atleast_1d(thr.gamma)[0])))
    rows.append(("H5", iv("spillover"), "spillover", tab.at["spillover", "estimate"]))
    out = pd.DataFrame(rows, columns=["hypothesis", "verdict", "evidence", "estimate"]).set_index("hypothesis")
    out.insert(0, "claim", [HYPOTHESES[h] for h in out.index])
    return out
