"""Findings of the national chapter, written from the numbers (no typed-in result).

Rules the sentences follow: a shared-input result is "mechanical" and supports nothing; a null
names the effect it rules out only when its interval excludes that effect, and otherwise says it
rules out no effect of the size the test could detect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.national import LABELS
from ..analysis.national_inference import HYPOTHESES


def _label(name: str) -> str:
    return LABELS.get(name, name)


def null_reading(row) -> str:
    """What an estimate's interval rules out, relative to its minimum detectable effect (MDE)."""
    lo, hi, m = float(row["ci_low"]), float(row["ci_high"]), float(row["mde"])
    if lo > 0 or hi < 0:
        return f"the interval excludes zero; the test could detect effects of {m:.3f} SD"
    if hi < m and lo > -m:
        return (f"the interval excludes effects of {m:.3f} SD or more in either direction (the test's "
                f"minimum detectable effect at 80% power), so it rules out effects that large")
    if hi < m:
        return (f"the interval rules out positive effects of {m:.3f} SD (the minimum detectable "
                f"effect) but not negative ones of that size")
    if lo > -m:
        return (f"the interval rules out negative effects of {m:.3f} SD (the minimum detectable "
                f"effect) but not positive ones of that size")
    return (f"the interval includes effects of {m:.3f} SD (the minimum detectable effect), so it rules "
            "out no effect of the size the test could detect")


def hypothesis_sentence(row) -> str:
    """One test: estimate, interval, reference distribution, verdict, what it rules out."""
    ref = "normal" if row["vcov"] == "CRV1" else f"t({int(row['clusters']) - 1})"
    head = (f"{row['hypothesis']} ({HYPOTHESES.get(row['hypothesis'], row['hypothesis'])}; "
            f"{_label(row['y'])} on {_label(row['x'])}), city + "
            f"{row['effects'].split('+ ')[-1]} effects, {row['vcov']} by city with {ref} critical values: "
            f"estimate {row['estimate']:.3f} SD per SD, 95% interval [{row['ci_low']:.3f}, "
            f"{row['ci_high']:.3f}], p = {row['p']:.3f}, {int(row['n']):,} city-years, "
            f"{int(row['clusters'])} cities")
    if row["verdict"] == "mechanical":
        return (f"{head}: labelled mechanical, because both sides are built from "
                f"{row['shared']}; it supports nothing, whatever its interval.")
    return f"{head}: {row['verdict']}; {null_reading(row)}."


def hypothesis_sentences(tests: pd.DataFrame, *, vcov: str = "CRV3",
                         reported: pd.DataFrame | None = None) -> list[str]:
    """One sentence per hypothesis and fixed-effects variant, for covariance ``vcov``.

    ``reported``: tests already written out (e.g. the main table); a row that is the same test
    (hypothesis, effects, covariance, regressor, outcome and estimate) is named, not repeated.
    """
    t = tests[tests["vcov"] == vcov]
    keys = ["hypothesis", "effects", "vcov", "x", "y", "estimate"]
    same = (t[keys].merge(reported[keys].drop_duplicates(), how="left", indicator=True)["_merge"]
            .eq("both").to_numpy() if reported is not None else np.zeros(len(t), bool))
    out = [hypothesis_sentence(r) for _, r in t[~same].iterrows()]
    if same.any():
        out.append(", ".join(t.loc[same, "hypothesis"]) + ": the same test as above (its outcome does "
                   "not involve the synergy construct), not repeated.")
    return out


def robustness_sentence(tests: pd.DataFrame, hypothesis: str) -> str:
    """Whether the verdict of one hypothesis changes across effects and covariances."""
    t = tests[tests["hypothesis"] == hypothesis]
    verdicts = sorted(set(t["verdict"]))
    lo, hi = t["estimate"].min(), t["estimate"].max()
    same = "the same verdict" if len(verdicts) == 1 else "different verdicts"
    return (f"{hypothesis}: {len(t)} variants (fixed effects x covariance) give {same} "
            f"({', '.join(verdicts)}), estimates from {lo:.3f} to {hi:.3f}.")


def curve_sentences(curve) -> list[str]:
    """Shares of each sign and of significant estimates across the specification curve."""
    s = curve.shares
    out = []
    for scope, r in s.iterrows():
        what = "all" if scope == "all" else "the"
        out.append(f"Across {what} {int(r['specifications'])} specifications"
                   f"{'' if scope == 'all' else ' whose two sides share no input'}, {r['positive']:.0%} "
                   f"of estimates are positive and {r['negative']:.0%} negative; "
                   f"{r['significant positive']:.0%} are significantly positive and "
                   f"{r['significant negative']:.0%} significantly negative (p < 0.05).")
    t = curve.table
    mech = int(t["mechanical"].sum())
    if mech:
        pairs = t.loc[t["mechanical"], ["x", "y"]].drop_duplicates()
        out.append(f"{mech} specifications are mechanical (their proxy and synergy construct share a raw "
                   "input): " + "; ".join(f"{_label(a)} with {_label(b)}" for a, b in pairs.to_numpy()) + ".")
    if curve.skipped:
        out.append("Not estimated (input unavailable in this run): "
                   + ", ".join(_label(v) for v in curve.skipped) + ".")
    by = t[~t["mechanical"]].groupby("x")["estimate"].agg(["min", "max", "size"])
    for x, r in by.iterrows():
        out.append(f"With {_label(x)} as the proxy, the {int(r['size'])} non-mechanical estimates run from "
                   f"{r['min']:.3f} to {r['max']:.3f}.")
    return out


def construct_curve_sentences(by: pd.DataFrame) -> list[str]:
    """Per synergy construct, the sign shares of its specifications
    (:func:`helpers.analysis.national_inference.curve_shares_by`, scope "all")."""
    out = []
    for (y, scope), r in by.iterrows():
        if scope != "all":
            continue
        n = int(r["specifications"])
        nm = int(by.loc[(y, "not mechanical"), "specifications"]) if (y, "not mechanical") in by.index else 0
        mech = "none mechanical" if nm == n else f"{n - nm} mechanical"
        out.append(f"With {_label(y)} as the outcome, {n} specifications ({mech}): {r['positive']:.0%} of "
                   f"estimates positive, {r['negative']:.0%} negative; {r['significant positive']:.0%} "
                   f"significantly positive and {r['significant negative']:.0%} significantly negative "
                   "(p < 0.05).")
    return out


def construct_curve_brief(by: pd.DataFrame) -> str:
    """The short form of :func:`construct_curve_sentences` for another chapter's cross-reference:
    per synergy construct, its specifications and the shares of each sign and of significant ones."""
    parts = [f"{_label(y)}: {int(r['specifications'])} specifications, {r['positive']:.0%} positive, "
             f"{r['significant positive']:.0%} / {r['significant negative']:.0%} significantly "
             "positive / negative" for (y, scope), r in by.iterrows() if scope == "all"]
    return "In the national specification curve, " + "; ".join(parts) + "."


def scope_sentences(wide: pd.DataFrame, *, vcov: str = "CRV3") -> list[str]:
    """Guangdong-only beside national, per hypothesis (:func:`guangdong_vs_national`)."""
    out = []
    for (h, v), r in wide.iterrows():
        if v != vcov:
            continue
        m_c, m_g = float(r[("mde", "China")]), float(r[("mde", "Guangdong")])
        ratio = m_g / m_c if m_c > 0 else np.nan
        out.append(f"{h}: Guangdong alone ({int(r[('clusters', 'Guangdong')])} cities) estimates "
                   f"{r[('estimate', 'Guangdong')]:.3f} [{r[('ci_low', 'Guangdong')]:.3f}, "
                   f"{r[('ci_high', 'Guangdong')]:.3f}], {r[('verdict', 'Guangdong')]}, MDE {m_g:.3f}; "
                   f"China ({int(r[('clusters', 'China')])} cities) {r[('estimate', 'China')]:.3f} "
                   f"[{r[('ci_low', 'China')]:.3f}, {r[('ci_high', 'China')]:.3f}], "
                   f"{r[('verdict', 'China')]}, MDE {m_c:.3f} ({ratio:.1f} times smaller).")
    return out


def rank_sentences(ranks: pd.DataFrame, constructs) -> list[str]:
    """Where Guangdong's cities stand among China's, construct by construct."""
    out = []
    for col in constructs:
        r = ranks[ranks["construct"] == col].sort_values("rank")
        if r.empty:
            continue
        top = r.iloc[0]
        name = _label(col)
        out.append(f"{name[0].upper() + name[1:]}: in {int(top['year'])}, {top['city']} ranks {int(top['rank'])} of {int(top['of'])}; "
                   f"{int((r['percentile'] >= 0.5).sum())} of Guangdong's {len(r)} cities lie in the national "
                   f"upper half; the lowest, {r.iloc[-1]['city']}, ranks {int(r.iloc[-1]['rank'])}.")
    return out


def data_sentence(c: pd.DataFrame, pku_note: str) -> str:
    """Coverage of the panel the chapter uses (no machine path)."""
    yrs = f"{int(c['year'].min())}-{int(c['year'].max())}"
    emp = c.dropna(subset=["coagg_full"])["year"]
    return (f"**Data:** the national city panel, {c['city'].nunique()} prefecture-level units in "
            f"{c['province'].nunique()} provinces, {yrs}; co-agglomeration observed "
            f"{int(emp.min())}-{int(emp.max())} ({emp.size:,} city-years: the yearbook's employment by "
            f"industry ends in 2019); broadband from {int(c.dropna(subset=['broadband_per100'])['year'].min())}. "
            f"**PKU index:** {pku_note}")


def hypothesis_brief(row) -> str:
    """The short form of :func:`hypothesis_sentence` for a closing section (the full sentence is
    printed once, beside its table): the same estimate, interval and verdict."""
    return (f"{row['hypothesis']}, city + {row['effects'].split('+ ')[-1]} effects, {row['vcov']}: "
            f"{row['estimate']:.3f} SD per SD [{row['ci_low']:.3f}, {row['ci_high']:.3f}], "
            f"{row['verdict']} (MDE {float(row['mde']):.3f} SD).")


def curve_brief(curve) -> str:
    """The short form of :func:`curve_sentences`: the same shares, in one line."""
    parts = []
    for scope, r in curve.shares.iterrows():
        what = "all" if scope == "all" else "no shared input"
        parts.append(f"{what}, {int(r['specifications'])}: {r['positive']:.0%} positive, "
                     f"{r['significant positive']:.0%} / {r['significant negative']:.0%} "
                     "significantly positive / negative")
    return "Specification curve (" + "; ".join(parts) + ")."


def headline_sentences(tests: pd.DataFrame, curve, wide: pd.DataFrame, *, vcov: str = "CRV3") -> list[str]:
    """The chapter's closing findings: verdict counts, H1, the curve's sign shares, Guangdong's MDE."""
    t = tests[tests["vcov"] == vcov]
    counts = t["verdict"].value_counts()
    out = [f"Of {len(t)} national tests ({t['hypothesis'].nunique()} hypotheses x "
           f"{t['effects'].nunique()} fixed-effects variants, {vcov} with t(G-1)), "
           + ", ".join(f"{int(n)} {v}" for v, n in counts.items()) + "."]
    h1 = t[(t["hypothesis"] == "H1") & (t["effects"] == "city + year")]
    if len(h1):
        out.append(hypothesis_brief(h1.iloc[0]))
    out.append(curve_brief(curve))
    if ("H1", vcov) in wide.index:
        r = wide.loc[("H1", vcov)]
        out.append(f"The minimum detectable effect of H1 is {r[('mde', 'Guangdong')]:.3f} SD on Guangdong's "
                   f"{int(r[('clusters', 'Guangdong')])} cities and {r[('mde', 'China')]:.3f} SD on "
                   f"{int(r[('clusters', 'China')])} cities nationally.")
    return out


def regional_sentences(theil_prov: pd.DataFrame, theil_gd: pd.DataFrame, conv: dict, conv_gd: dict) -> list[str]:
    """Theil between and within provinces (China) and regions (Guangdong); sigma and beta convergence."""
    out = []
    for name, t, unit in (("China's cities", theil_prov, "provinces"),
                          ("Guangdong's cities", theil_gd, "four regions")):
        y0, y1 = int(t.index.min()), int(t.index.max())
        trend = "fell" if t.at[y1, "total"] < t.at[y0, "total"] else "rose"
        out.append(f"Inequality of GDP per resident across {name} {trend} from {t.at[y0, 'total']:.3f} in {y0} to "
                   f"{t.at[y1, 'total']:.3f} in {y1} (population-weighted Theil T); the part between the "
                   f"{unit} was {t.at[y0, 'between_share']:.0%} and {t.at[y1, 'between_share']:.0%} of it.")
    for name, cv in (("China", conv), ("Guangdong", conv_gd)):
        s = cv["sigma"]
        a, b = s.get(cv["start"], np.nan), s.get(cv["end"], np.nan)
        sig = "fell (sigma convergence)" if b < a else "rose (no sigma convergence)"
        lo, hi = cv["beta"] - 1.96 * cv["beta_se"], cv["beta"] + 1.96 * cv["beta_se"]
        kind = ("beta convergence" if hi < 0 else "beta divergence" if lo > 0 else "neither beta convergence nor "
                "divergence at the 5% level")
        out.append(f"{name}, {cv['start']}-{cv['end']} ({cv['cities']} cities): the SD of log GDP per resident {sig}, "
                   f"{a:.3f} to {b:.3f}; annual growth on the initial level has slope {cv['beta']:.4f} "
                   f"(95% interval [{lo:.4f}, {hi:.4f}]): {kind}.")
    return out


def mde_sentences(table: pd.DataFrame) -> list[str]:
    """What each real test rules out, relative to its minimum detectable effect."""
    out = []
    for key, r in table.iterrows():
        if not np.isfinite(r.get("mde", np.nan)) or not np.isfinite(r["ci_low"]):
            continue
        if r["verdict"] == "mechanical":
            out.append(f"{key}: mechanical (both sides are built from {r['shared inputs']}); estimate "
                       f"{r['estimate']:.3f}, which supports nothing whatever its interval.")
            continue
        out.append(f"{key}: estimate {r['estimate']:.3f}, interval [{r['ci_low']:.3f}, {r['ci_high']:.3f}], "
                   f"{r['verdict']}; minimum detectable effect {r['mde']:.3f} SD: {null_reading(r)}.")
    return out
