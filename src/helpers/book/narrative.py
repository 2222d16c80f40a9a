"""Sentences that open and close a chapter, generated from its numbers.

A chapter states what it asks in its own words; what it *found* is written here, from the
numbers the chapter computed, so that the wording follows the estimate: a positive estimate
gives a sentence that says "raises", a negative one "lowers", an interval that covers zero
"cannot be told apart from zero". Where a result can be a property of the simulated twin
(its model, its proxies, 21 clusters) rather than a fact about Guangdong, the sentence says so.

Nothing here estimates anything: every function takes numbers and returns text.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..analysis.realdata import RealMechanism
from ..analysis.report import MechanismResults, estimates_table, hypothesis_verdicts
from .tables import number, p_equals

#: Appended to a finding computed from the simulated twin.
TWIN_CAVEAT = ("This is a property of the simulated twin and of the book's estimators on data of "
               "this size, not a fact about Guangdong.")


def _finite(*xs) -> bool:
    return all(x is not None and math.isfinite(float(x)) for x in xs)


def direction(estimate: float, lo: float | None = None, hi: float | None = None) -> str:
    """'positive', 'negative' or 'indistinguishable from zero' (when a 95% interval covers 0).

    >>> direction(0.4, 0.1, 0.7), direction(-0.2, -0.5, -0.1), direction(0.1, -0.2, 0.3)
    ('positive', 'negative', 'indistinguishable from zero')
    """
    if _finite(lo, hi) and lo <= 0 <= hi:
        return "indistinguishable from zero"
    if not _finite(estimate):
        return "not estimated"
    return "positive" if estimate > 0 else "negative" if estimate < 0 else "zero"


def _interval(lo, hi) -> str:
    return f" (95% interval {number(lo)} to {number(hi)})" if _finite(lo, hi) else ""


def total_effect_sentence(estimate: float, lo: float, hi: float, simulated: bool) -> str:
    """The headline: does virtual agglomeration go with more or less synergy, and how sure."""
    d = direction(estimate, lo, hi)
    where = "in the simulated twin" if simulated else "in these data"
    if d == "positive":
        verb = "goes with higher industrial synergy"
    elif d == "negative":
        verb = "goes with lower industrial synergy"
    else:
        verb = "has an effect on industrial synergy that cannot be told apart from zero"
    return (f"A one-SD rise in virtual agglomeration {verb} {where}: {number(estimate)} SD"
            f"{_interval(lo, hi)}, two-way fixed effects.")


def regional_sentence(prd: float, rest: float, gap: float, gap_p: float, simulated: bool) -> str:
    """Compare the Pearl River Delta's effect with the rest's, with the economics of the contrast.

    Parameters are the two split-sample estimates (SD per SD), their pooled difference
    ``gap`` = PRD - rest and its (wild bootstrap) p-value.
    """
    if not _finite(prd, rest):
        return "The regional split could not be estimated."
    head = (f"The estimated effect is {number(prd)} SD in the Pearl River Delta and {number(rest)} SD in "
            f"East, West and North Guangdong (pooled difference {number(gap)}, wild cluster bootstrap p {p_equals(gap_p)}).")
    if prd < 0 < rest:
        why = ("The Delta's estimate has the opposite sign. Reasons within this model: participation "
               "follows a logistic curve in the model and the Delta started high on it, so its "
               "cities are near saturation and the measured index, built from broadband, telecom and "
               "finance indicators that keep growing, moves while true participation barely does. "
               "With city and year effects, what is left is each Delta city's movement relative to "
               "its close neighbours, which compete for the same talent and capital (a gravity flow "
               "gained by one is partly lost by another), plus proxy noise and the unobserved "
               "local shock, in 9 clusters. A negative own-city estimate can therefore coexist "
               "with a positive true effect.")
    elif rest < 0 < prd:
        why = ("Here the rest of the province has the opposite sign; with 12 clusters and proxies "
               "that move little where digital infrastructure arrived late, a within-city slope "
               "can turn negative without the true effect doing so.")
    elif prd < rest:
        why = ("The Delta's effect is the smaller one, as diminishing returns to participation "
               "predict where participation is already high.")
    else:
        why = ("The Delta's effect is the larger one, as complementarity with dense infrastructure "
               "and thick factor markets would predict.")
    sig = (" The difference is not significant at 5%; the split samples are small."
           if _finite(gap_p) and gap_p >= 0.05 else "")
    return head + " " + why + sig + (" " + TWIN_CAVEAT if simulated else "")


def threshold_sentence(gamma: float, slope_below: float, slope_above: float, p: float,
                       simulated: bool, true_below: float | None = None,
                       true_above: float | None = None, scale: str | None = None,
                       latent_below: float | None = None, latent_above: float | None = None) -> str:
    """Read the threshold regression against H4 (a larger slope above the threshold).

    The slopes are the direct slope of synergy on VA (flows and agglomeration held fixed) by
    regime. ``true_below`` / ``true_above``: the truths of those two estimates (simulated twin
    only; :mod:`helpers.simulate.estimands` ``c_prime_below`` / ``c_prime_above``) on ``scale``
    (``"latent"`` or ``"measured"``; ``None``: the structural slopes in latent units).
    ``latent_below`` / ``latent_above``: with ``scale="measured"``, the same truths on the latent
    scale (the slope on participation itself), quoted beside the measured ones (the slope on the
    index, which is what the regression estimates)."""
    head = (f"The estimated threshold is {number(gamma, 1)} broadband subscribers per 100 people "
            f"(bootstrap p {p_equals(p)}); the direct slope (flows and agglomeration held fixed) is "
            f"{number(slope_below)} below it and {number(slope_above)} above.")
    significant = _finite(p) and p < 0.05
    if slope_above > slope_below:
        body = (" The slope rises above the threshold, as H4 expects: the value of joining grows "
                "with the size of the network.")
    else:
        body = (" The slope *falls* above the threshold, the opposite of H4. Cities above it are "
                "mostly Delta cities in later years, where participation is close to its ceiling: "
                "broadband keeps rising, so the measured index rises, but each further point of "
                "the index adds little true participation, and the estimated slope on the index "
                "falls even if the slope on participation rises (diminishing returns near "
                "saturation, not the absence of network externalities).")
    body += (" The bootstrap test rejects a single slope at 5%." if significant else
             " The bootstrap test does not reject a single slope at 5%, so the difference may be noise.")
    truth = ""
    if simulated and scale == "measured" and _finite(true_below, true_above, latent_below, latent_above):
        lat = "rises" if latent_above > latent_below else "falls"
        rel = "rises" if true_above > true_below else "falls"
        truth = (f" In the twin the true direct slope on participation {lat} at the threshold ({number(latent_below)} to "
                 f"{number(latent_above)} SD per SD, latent scale), while the true slope on the measured index, which is "
                 f"what the regression estimates, {rel} ({number(true_below)} to {number(true_above)} SD per SD, measured scale)")
        same = (true_above > true_below) == (slope_above > slope_below)
        truth += (", the direction the estimate shows" if same else
                  ", the opposite of the direction the estimate shows")
        truth += ((": the index's saturation turns a rising slope on participation into a falling slope on the "
                   "index." if lat == "rises" else ": measurement turns it around.") if lat != rel else ".")
    elif simulated and _finite(true_below, true_above):
        rel = "rises" if true_above > true_below else "falls"
        unit = "in latent units" if scale is None else f"SD per SD, the estimand's truth on the {scale} scale"
        truth = (f" In the twin the true slope on participation {rel} at the threshold "
                 f"({number(true_below)} to {number(true_above)}, {unit})")
        truth += ((", so the falling estimate is a property of the measurement, not of the model's "
                   "network externality.") if (true_above > true_below) != (slope_above > slope_below)
                  else ", the direction the estimate shows.")
    return head + body + truth


def spatial_sentence(rho: float, spillover: float, lo: float, hi: float, simulated: bool,
                     true_rho: float | None = None) -> str:
    """Read the spatial Durbin model: the sign of rho and of the spillover effect."""
    head = (f"The spatial autoregressive coefficient is rho = {number(rho)} and the spillover "
            f"(indirect) effect of virtual agglomeration {number(spillover)} SD{_interval(lo, hi)}.")
    if rho < 0:
        body = (" A negative rho means a city's synergy is *lower* when its neighbours' is higher: "
                "competition and crowding-out between neighbours (they draw on the same pool of "
                "talent and capital, and location quotients are shares of a provincial total, so "
                "one city's gain in a sector is partly its neighbours' loss) outweigh knowledge "
                "spillovers.")
    else:
        body = (" A positive rho means neighbours' synergy moves together: spillovers of knowledge "
                "and coordination outweigh competition for factors.")
    d = direction(spillover, lo, hi)
    body += {"positive": " Neighbours gain from a city's virtual agglomeration.",
             "negative": " Neighbours lose from a city's virtual agglomeration.",
             }.get(d, " Whether neighbours gain or lose cannot be told from these data.")
    truth = ""
    if simulated and _finite(true_rho):
        agree = (rho < 0) == (true_rho < 0)
        truth = (f" The twin's true rho is {number(true_rho, 2)}; "
                 + ("the estimate has its sign." if agree else
                    "the estimate has the other sign, so the sign is a property of the proxies, "
                    "the year effects and 21 cities, not of the model's spillovers."))
    return head + body + truth


# --- short forms for a chapter's closing summary --------------------------------------------
# A closing summary quotes the key number of each section and points to it; the section prints the
# full reading once. Each short form formats its numbers exactly as the full sentence does.

def brief_estimate(what: str, estimate: float, lo: float | None = None, hi: float | None = None, *,
                   where: str, unit: str = "SD") -> str:
    """'{what}: {estimate} {unit} (95% interval lo to hi), {direction} ({where}).'"""
    return (f"{what}: {number(estimate)} {unit}{_interval(lo, hi)}, "
            f"{direction(estimate, lo, hi)} ({where}).")


def regional_brief(prd: float, rest: float, gap: float, gap_p: float, *, where: str) -> str:
    """The short form of :func:`regional_sentence` (same numbers, same format)."""
    if not _finite(prd, rest):
        return f"The regional split could not be estimated ({where})."
    return (f"Pearl River Delta {number(prd)} SD against {number(rest)} SD elsewhere; difference "
            f"{number(gap)}, wild cluster bootstrap p {p_equals(gap_p)} ({where}).")


def threshold_brief(gamma: float, slope_below: float, slope_above: float, p: float, *,
                    where: str) -> str:
    """The short form of :func:`threshold_sentence` (same numbers, same format)."""
    way = "rises" if slope_above > slope_below else "falls"
    return (f"Threshold {number(gamma, 1)} broadband subscribers per 100 people (bootstrap p {p_equals(p)}): "
            f"the direct slope {way} from {number(slope_below)} to {number(slope_above)} ({where}).")


def spatial_brief(rho: float, spillover: float, lo: float, hi: float, *, where: str) -> str:
    """The short form of :func:`spatial_sentence` (same numbers, same format)."""
    return brief_estimate(f"Spillover to neighbours (rho = {number(rho)})", spillover, lo, hi,
                          where=where)


def verdict_count_sentence(verdicts) -> str:
    """'Of the 5 hypotheses, 2 are supported (H1, H2), ...' from a Series of verdicts."""
    groups = {}
    for h, v in verdicts.items():
        groups.setdefault(v, []).append(str(h))
    order = ["supported", "contradicted", "inconclusive"]
    parts = [f"{len(groups[v])} {'is' if len(groups[v]) == 1 else 'are'} {v} ({', '.join(groups[v])})"
             for v in order + sorted(set(groups) - set(order)) if v in groups]
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Of the {len(verdicts)} hypotheses, {text}."


def population_sentence(year: int, prd_share: float, n_prd: int, n_rest: int, total: int) -> str:
    """How the census population splits between the Delta and the rest."""
    major = "most" if prd_share > 0.5 else "less than half"
    return (f"In {year} the {n_prd} cities of the Pearl River Delta held {major} of Guangdong's "
            f"{total:,} census residents ({number(prd_share * 100, 1)}%); the other {n_rest} cities held "
            f"{number((1 - prd_share) * 100, 1)}%.")


def growth_sentence(growth, top: int = 1) -> str:
    """Which city grew fastest and slowest between two censuses (a Series of % growth by city)."""
    g = growth.sort_values()
    lo, hi = g.index[0], g.index[-1]
    shrink = int((g < 0).sum())
    tail = (f"{shrink} of {len(g)} cities lost population." if shrink else
            f"none of the {len(g)} cities lost population.")
    def pct(v):   # the tables' number format, with the sign of a change
        return ("+" if v > 0 else "") + number(v, 1) + "%"

    return f"Between the censuses {hi} grew fastest ({pct(g.iloc[-1])}) and {lo} slowest ({pct(g.iloc[0])}); {tail}"


def census_key_numbers(year: int, prd_share: float, growth: pd.Series) -> pd.Series:
    """The numbers :func:`population_sentence` and :func:`growth_sentence` quote, as an exhibit
    prints them (percent): the Delta's and the rest's share of the census population in ``year``
    and the growth of the fastest and slowest city (``growth``: % by city)."""
    g = growth.sort_values()
    return pd.Series({f"Pearl River Delta share of residents, {year} (%)": prd_share * 100,
                      f"share of the other cities, {year} (%)": (1 - prd_share) * 100,
                      f"growth between the censuses, fastest city ({g.index[-1]}) (%)": g.iloc[-1],
                      f"growth between the censuses, slowest city ({g.index[0]}) (%)": g.iloc[0]},
                     name="value")


def gap_trend_sentence(what: str, first: int, last: int, gap_first: float, gap_last: float,
                       simulated: bool) -> str:
    """Did the Delta's lead in a measure widen or narrow between two years?"""
    trend = ("widened" if gap_last > gap_first else "narrowed" if gap_last < gap_first else "did not change")
    lead = "lead" if gap_last >= 0 else "shortfall"
    return (f"The Pearl River Delta's {lead} over the other regions in {what} {trend}, from "
            f"{number(gap_first)} in {first} to {number(gap_last)} in {last}"
            + (" (simulated twin)." if simulated else "."))


def between_share_sentence(first: int, last: int, share_first: float, share_last: float,
                           simulated: bool) -> str:
    """How much of regional inequality lies between the four regions, and its trend."""
    trend = "rose" if share_last > share_first else "fell" if share_last < share_first else "stayed"
    main = "most" if share_last > 0.5 else "less than half"
    return (f"Between-region differences account for {main} of the Theil index of GDP per head "
            f"in {last} ({share_last:.1%}); their share {trend} from {share_first:.1%} in {first}"
            + (" (simulated twin)." if simulated else "."))


def scenario_ranking_sentence(synergy: pd.DataFrame, gap: pd.DataFrame, horizon: int) -> str:
    """Which policy raises mean synergy most and what it does to the Delta-rest gap.

    ``synergy`` and ``gap`` hold, per scenario (index), the horizon-year ``median`` effect and
    ``holds`` (same sign in every run: twin seed x parameter draw), as in ``ScenarioResult.robustness``. The
    sentence is about the simulated model, never a forecast.
    """
    best = synergy["median"].idxmax()
    eff = float(synergy.at[best, "median"])
    sure = "in every run" if bool(synergy.at[best, "holds"]) else "in the median run, not in every run"
    g = float(gap.at[best, "median"])
    gap_words = ("widens the Delta-rest synergy gap" if g > 0 else "narrows the Delta-rest synergy gap"
                 if g < 0 else "leaves the Delta-rest synergy gap unchanged")
    if eff <= 0:
        return (f"No scenario raises mean synergy by {horizon} in the simulated model; the least harmful "
                f"is {best} ({eff:+.3g}). This is a property of the model, not a forecast for Guangdong.")
    return (f"Of the scenarios run, {best} raises mean synergy most by {horizon} ({eff:+.3g}, {sure}) and "
            f"{gap_words} ({g:+.3g}). This ranks levers inside one simulated model of the seed papers' "
            "argument; it is not a forecast for Guangdong.")


def published_match_sentence(differences: pd.Series, unit: str, tol: float = 0.005) -> str:
    """Does a shipped extract reproduce the published figures? ``differences`` is shipped minus
    published, indexed by the figure's name; ``tol`` the rounding tolerance in ``unit``."""
    d = differences.astype(float)
    worst = d.abs().idxmax()
    if d.abs().max() <= tol:
        return (f"The shipped extract reproduces all {len(d)} published figures checked, to within "
                f"{tol:g} {unit}.")
    off = int((d.abs() > tol).sum())
    return (f"The shipped extract differs from {off} of the {len(d)} published figures checked; the "
            f"largest difference is {d[worst]:+,.2f} {unit} ({worst}).")


def vintage_sentence(years: list[int], threshold_pct: float = 0.5) -> str:
    """In which years the sectors do not add up to GDP (mixed vintages), from a list of years."""
    ys = sorted(int(y) for y in years)
    if not ys:
        return f"In every year the three sectors add up to GDP within {threshold_pct:g}% in every city."
    listed = ", ".join(str(y) for y in ys)
    return (f"In {len(ys)} year{'s' if len(ys) > 1 else ''} ({listed}) the three sectors differ from GDP "
            f"by more than {threshold_pct:g}% in at least one city: sector shares there come from the "
            "sector columns, not from GDP.")


def verdict_sentences(r: MechanismResults, verdicts: pd.DataFrame | None = None) -> list[str]:
    """One sentence per hypothesis, every number taken from the results."""
    v = hypothesis_verdicts(r) if verdicts is None else verdicts
    tab = estimates_table(r)

    def est(key):
        row = tab.loc[key]
        return f"{number(row['estimate'])} SD (95% interval {number(row['ci_low'])} to {number(row['ci_high'])})"

    thr = r.threshold
    g = float(np.atleast_1d(thr.gamma)[0])
    p = float(np.atleast_1d(thr.p_boot)[0])
    s = thr.slopes
    out = [
        f"H1 is {v.at['H1', 'verdict']}: a one-SD rise in virtual agglomeration goes with a change in "
        f"synergy of {est('total')} in the two-way fixed-effects model.",
        f"H2 is {v.at['H2', 'verdict']}: the indirect effect through factor-flow networks is {est('via_flows')}.",
        f"H3 is {v.at['H3', 'verdict']}: the indirect effect through agglomeration alone is "
        f"{est('via_agglomeration')}, and along the serial path {est('serial')}.",
        f"H4 is {v.at['H4', 'verdict']}: the estimated threshold is {number(g, 1)} broadband subscribers per 100 "
        f"people (bootstrap p {p_equals(p)}); the direct slope (flows and agglomeration held fixed) is "
        f"{number(s.iloc[0])} below and {number(s.iloc[-1])} above it.",
        f"H5 is {v.at['H5', 'verdict']}: the spillover (indirect) effect of the spatial Durbin model is "
        f"{est('spillover')}.",
    ]
    return out


def headline_key_numbers(constructs: pd.DataFrame, theil: pd.DataFrame, nets: pd.DataFrame) -> pd.Series:
    """The descriptive numbers :func:`headline_sentences` quotes (drawn or mapped elsewhere in the
    chapter), as one exhibit: Theil index and its between part in the first and last year,
    coupling coordination in the last year (mean, regional means, highest and lowest city), the
    two largest location quotients and the densities of the two gravity networks."""
    y0, y1 = int(theil.index.min()), int(theil.index.max())
    last = constructs[constructs["year"] == y1]
    sy = last.set_index("city")["synergy"]
    lq = last.set_index("city")["lq_secondary"].sort_values(ascending=False)
    key = {}
    for y in (y0, y1):
        key[f"Theil index of GDP per head, {y}"] = theil.at[y, "total"]
        key[f"Theil index, between the four regions, {y}"] = theil.at[y, "between"]
    key[f"coupling coordination, mean over the cities, {y1}"] = sy.mean()
    for r, v in last.groupby("region")["synergy"].mean().sort_values(ascending=False).items():
        key[f"coupling coordination, mean of {r}, {y1}"] = v
    key[f"coupling coordination, highest city ({sy.idxmax()}), {y1}"] = sy.max()
    key[f"coupling coordination, lowest city ({sy.idxmin()}), {y1}"] = sy.min()
    for city in lq.index[:2]:
        key[f"location quotient of secondary value added, {city}, {y1}"] = lq[city]
    for name in ("capital", "economic"):
        n = nets[nets["network"] == name].set_index("year")
        for y in (y0, y1):
            key[f"density of the gravity network of {name} mass, {y}"] = n.at[y, "density"]
    return pd.Series(key, name="value")


def headline_sentences(constructs: pd.DataFrame, theil: pd.DataFrame, nets: pd.DataFrame,
                       mech: RealMechanism | None = None, power: pd.DataFrame | None = None) -> list[str]:
    """The chapter's findings, written from the numbers (no typed-in result)."""
    y0, y1 = int(theil.index.min()), int(theil.index.max())
    s = []
    t0, t1 = theil.loc[y0], theil.loc[y1]
    trend = "narrowed" if t1["total"] < t0["total"] else "widened"
    s.append(f"Inequality of GDP per head across the {constructs['city'].nunique()} cities {trend} from {y0} to {y1}: the population-weighted "
             f"Theil index went from {number(t0['total'])} to {number(t1['total'])}; the part between the four regions "
             f"from {number(t0['between'])} to {number(t1['between'])} ({t0['between_share']:.0%} and "
             f"{t1['between_share']:.0%} of the total).")
    last = constructs[constructs["year"] == y1]
    reg = last.groupby("region")["synergy"].mean()
    order = reg.sort_values(ascending=False)
    s.append(f"Coupling coordination of the secondary and tertiary industries in {y1} averages {number(last['synergy'].mean())} "
             f"over the cities (regional means: " + ", ".join(f"{r} {number(v)}" for r, v in order.items()) +
             f"); the highest city is {last.loc[last['synergy'].idxmax(), 'city']} "
             f"({number(last['synergy'].max())}), the lowest {last.loc[last['synergy'].idxmin(), 'city']} "
             f"({number(last['synergy'].min())}).")
    lq = last.set_index("city")["lq_secondary"].sort_values(ascending=False)
    s.append(f"Secondary value added is most concentrated, relative to the province, in {lq.index[0]} "
             f"(location quotient {number(lq.iloc[0], 2)}) and {lq.index[1]} ({number(lq.iloc[1], 2)}) in {y1}; "
             f"{(lq > 1).sum()} of {len(lq)} cities have a quotient above 1.")
    for name in ("capital", "economic"):
        n = nets[nets["network"] == name].set_index("year")
        s.append(f"The gravity network of {name} mass has density {number(n.at[y0, 'density'])} in {y0} and "
                 f"{number(n.at[y1, 'density'])} in {y1}; its most connected city in {y1} is {n.at[y1, 'top_city']}.")
    if mech is not None:
        t = power if power is not None else mech.table
        for _key, r in t.iterrows():
            if r["verdict"].startswith("unavailable"):
                continue
            ci = f"95% interval [{number(r['ci_low'])}, {number(r['ci_high'])}]" if np.isfinite(r["ci_low"]) \
                else f"bootstrap p {p_equals(r['p'])}"
            pw = ""
            if "twin power" in t and np.isfinite(r["twin power"]):
                n = t.attrs.get("n_reps")
                pw = (f"; the twin finds its own effect in {r['twin power']:.0%} of studies of this size"
                      + (f" ({n} simulated studies)" if n else ""))
                if r["verdict"] == "inconclusive":
                    # the twin's power is not evidence about the real effect: a null speaks against an
                    # effect only when its interval excludes it (the chapter's MDE column says which)
                    pw += (", so this null is weak evidence of no effect" if r["twin power"] < 0.8 else
                           "; the real interval, not the twin's power, says which effects it rules out")
            s.append(f"{r['test']}: estimate {number(r['estimate'])} ({ci}), {r['verdict']}{pw}.")
        if not mech.pku_available:
            s.append("The tests of virtual agglomeration itself (H1-H5) need the PKU index, which this run "
                     "did not find: they are shown as unavailable, not estimated.")
    return s
