"""Sentences of the Broadband China chapter, generated from the numbers (real data).

Every function takes rows of the tables of :mod:`helpers.analysis.broadband`; none holds a result. A null
names the effect size its interval rules out.
"""

from __future__ import annotations

import math

import pandas as pd

from ..analysis.broadband import OUTCOMES
from .narrative import direction


def _num(x: float) -> str:
    return f"{x:.3f}" if abs(x) < 100 else f"{x:.1f}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _rules_out(lo: float, hi: float) -> str:
    """What an interval covering zero still excludes."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "it rules out nothing"
    return f"it rules out effects below {_num(lo)} and above {_num(hi)}"


def effect_sentence(row: pd.Series, level: float = 0.95) -> str:
    """One outcome, one sample: direction, size, interval and the pre-trend test."""
    label = OUTCOMES[row["outcome"]][0]
    if not math.isfinite(row.get("att", float("nan"))):
        return f"The {label} is not available for {row['sample']}, so its link is not estimated."
    d = direction(row["att"], row["lower"], row["upper"])
    head = (f"Designation's average effect on the {label} ({row['sample']}, data {row['years']}, "
            f"{int(row['treated'])} designated of {int(row['entities'])} cities) is "
            f"{_num(row['att'])} ({level:.0%} interval {_num(row['lower'])} to "
            f"{_num(row['upper'])})")
    body = (f": {d}; {_rules_out(row['lower'], row['upper'])}." if d.startswith("indist")
            else f": {d}.")
    pre = (f" The joint pre-trend test gives {_p(row['pretrend_p'])} "
           f"({int(row['pretrend_df'])} pre-periods)")
    pre += (", so the designated cities were already on a different path before designation "
            "and the estimate is not a clean effect." if row["pretrend_p"] < 0.05
            else ", no evidence of differing paths before designation (which does not prove "
                 "parallel trends).")
    return head + body + pre


def effect_brief(row: pd.Series, level: float = 0.95) -> str:
    """The short form of :func:`effect_sentence` for another chapter's cross-reference: the same
    effect, interval and pre-trend p."""
    label = OUTCOMES[row["outcome"]][0]
    return (f"Broadband China designation's effect on the {label} ({row['sample']}): "
            f"{_num(row['att'])} ({level:.0%} interval {_num(row['lower'])} to "
            f"{_num(row['upper'])}; pre-trend {_p(row['pretrend_p'])}).")


def first_stage_sentence(table: pd.DataFrame, sample_name: str = "2011-2019") -> str:
    """Did designation move the infrastructure it was about?"""
    t = table[(table["link"] == "first stage") & (table["sample"] == sample_name)]
    t = t.dropna(subset=["att"])
    moved = [r for _, r in t.iterrows() if r["lower"] > 0 or r["upper"] < 0]
    clean = [r for r in moved if r["pretrend_p"] >= 0.05]
    if not moved:
        return (f"In {sample_name} no first-stage measure moves distinguishably from zero: "
                "designation did not measurably change the digital infrastructure it was named "
                "for, so nothing downstream can be read as its consequence.")
    names = ", ".join(f"{OUTCOMES[r['outcome']][0]} ({_num(r['att'])})" for r in moved)
    tail = ("" if clean else " Each of these also fails the pre-trend test, so none is a clean "
            "first stage.")
    return f"In {sample_name} designation moves {names}.{tail}"


def ri_sentence(ri: dict) -> str:
    """Randomization inference: where the real estimate falls among placebo designations."""
    label = OUTCOMES[ri["outcome"]][0]
    sizes = ", ".join(f"{n} in {y}" for y, n in ri["cohort_sizes"].items())
    return (f"Among {ri['n_placebo']} placebo designations that keep the real cohort sizes "
            f"({sizes}), the real effect on the {label} ({_num(ri['att'])}) ranks "
            f"{ri['rank']} of {ri['n_placebo'] + 1} in absolute size: randomization "
            f"{_p(ri['p'])}.")


def robustness_sentence(rob: pd.DataFrame, label: str) -> str:
    """The range of the overall ATT across the crosswalk decisions."""
    lo, hi = rob["att"].idxmin(), rob["att"].idxmax()
    sign = {bool(v > 0) for v in rob["att"]}
    same = "keeps its sign" if len(sign) == 1 else "changes sign"
    return (f"Across the crosswalk decisions the effect on the {label} ranges from "
            f"{_num(rob.loc[lo, 'att'])} ({lo}) to {_num(rob.loc[hi, 'att'])} ({hi}) and "
            f"{same}.")


def spillover_sentence(sp: pd.DataFrame, label: str) -> str:
    """Neighbours of designated cities, by distance band."""
    parts = [f"{b}: {_num(r['att'])} ({_num(r['lower'])} to {_num(r['upper'])}, "
             f"{int(r['exposed'])} exposed)" for b, r in sp.iterrows()]
    any_sig = any((r["lower"] > 0) or (r["upper"] < 0) for _, r in sp.iterrows())
    verdict = ("some band differs from zero, so the never-designated comparison cities near "
               "designated ones may be contaminated" if any_sig else
               "no band differs from zero")
    return (f"Never-designated neighbours of designated cities, effect on the {label}: "
            f"{'; '.join(parts)}; {verdict}.")


def guangdong_sentence(effects: pd.DataFrame, label: str, designated=()) -> str:
    """Where Guangdong's designated cities fall among all designated cities; ``designated``
    names every designated Guangdong city, so those without complete data are named too."""
    gd = effects[effects["province"] == "Guangdong"].sort_values("effect")
    absent = sorted(set(designated) - set(gd["city"]))
    one = len(absent) == 1
    note = (f" {', '.join(absent)} {'lacks' if one else 'lack'} the {label} in some year of the "
            f"sample and {'is' if one else 'are'} left out." if absent else "")
    if gd.empty:
        return f"No Guangdong city has the {label} in every year of the sample.{note}"
    pct = {r["city"]: (effects["effect"] < r["effect"]).mean() for _, r in gd.iterrows()}
    parts = ", ".join(f"{c} {_num(v)} (percentile {100 * pct[c]:.0f})"
                      for c, v in zip(gd["city"], gd["effect"], strict=False))
    return (f"Guangdong's {len(gd)} designated cities with complete data on the {label}, each "
            f"city's own effect and its percentile among all {len(effects)} designated cities: "
            f"{parts}.{note}")


def honest_sentences(honest: pd.DataFrame) -> list[str]:
    """Per outcome: the breakdown value of the relative-magnitudes bound."""
    out = []
    for y, h in honest.groupby("outcome", sort=False):
        label = OUTCOMES[y][0]
        zero = h.iloc[0]
        if zero["ci_lb"] <= 0 <= zero["ci_ub"]:
            out.append(f"The {label}: the robust interval covers zero already with exact "
                       "parallel trends (M = 0).")
            continue
        bd = h["breakdown_M"].iloc[0]
        if bd is None or not math.isfinite(bd):
            out.append(f"The {label}: the robust interval excludes zero at every M up to "
                       f"{h['M'].max():.2f}.")
            continue
        out.append(f"The {label}: the effect stays distinguishable from zero while post-period "
                   f"violations are below {bd:.2f} times the largest pre-period one (breakdown "
                   "M).")
    return out


def estimator_sentence(comp: pd.DataFrame, label: str) -> str:
    """Naive TWFE against the heterogeneity-robust estimators."""
    cs = comp.iloc[0]["ATT"]
    tw = comp.loc[comp.index.str.startswith("two-way"), "ATT"].iloc[0]
    imp = comp.loc[comp.index.str.startswith("two-stage"), "ATT"].iloc[0]
    return (f"On the {label} the naive two-way FE estimate is {_num(tw)}, the two-stage "
            f"imputation {_num(imp)} and Callaway-Sant'Anna {_num(cs)}; the gap between the "
            "naive and the robust estimates is what staggered timing with changing effects does "
            "to two-way FE.")


def ri_brief(ri: list[dict]) -> str:
    """One short line with every randomization p-value (the closing note's form of
    :func:`ri_sentence`, which the chapter prints in full once)."""
    if not ri:
        return "No randomization inference was run."
    parts = "; ".join(f"{OUTCOMES[r['outcome']][0]} {_p(r['p'])}" for r in ri)
    return f"Randomization inference ({ri[0]['n_placebo']} placebo designations): {parts}."


def first_stage_brief(table: pd.DataFrame, sample_name: str) -> str:
    """How many first-stage measures move (the closing note's form of
    :func:`first_stage_sentence`)."""
    t = table[(table["link"] == "first stage") & (table["sample"] == sample_name)]
    t = t.dropna(subset=["att"])
    moved = int(((t["lower"] > 0) | (t["upper"] < 0)).sum())
    return (f"First stage ({sample_name}): {moved} of {len(t)} digital-infrastructure measures "
            "move distinguishably from zero.")


def closing_note(effects: pd.DataFrame, ri: list[dict], sample_name: str,
                 level: float = 0.95) -> list[str]:
    """The chapter's closing lines: how many first-stage measures move, every link's effect with
    its interval and pre-trend test, and the randomization p-values, each in a short form so
    that no sentence printed earlier in the chapter is printed again."""
    main = effects[effects["sample"] == sample_name].dropna(subset=["att"])
    lines = [first_stage_brief(effects, sample_name)]
    lines += [f"{r['link']}, {r['label']}: {_num(r['att'])} ({level:.0%} interval "
              f"{_num(r['lower'])} to {_num(r['upper'])}; pre-trend {_p(r['pretrend_p'])})"
              for _, r in main.iterrows()]
    return lines + [ri_brief(ri)]
