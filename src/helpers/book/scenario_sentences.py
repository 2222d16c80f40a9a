r"""Tables and sentences generated from the policy scenarios of :mod:`helpers.scenarios` (nothing in
them is typed in): outcome tables, robustness, trade-offs, tipping, budgets and detectability.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import data as _data
from ..scenarios.budget import BudgetResult
from ..scenarios.contraction import ContractionResult
from ..scenarios.distributions import BudgetDistribution
from ..scenarios.levers import HORIZON
from ..scenarios.runs import Extended
from ..scenarios.uncertainty import ScenarioResult

# ----------------------------------------------------------------------------- tables and sentences
MEASURE_LABELS = {
    "mean_VA": "participation (VA)", "mean_FN": "factor-flow position (FN)",
    "mean_AG": "agglomeration (AG)", "mean_SY": "synergy (SY)", "mean_P": "log productivity (P)",
    "mean_X": "log competitiveness (X)", "gap_SY": "Delta-rest synergy gap",
    "gap_P": "Delta-rest productivity gap", "theil": "Theil of productivity",
    "theil_within": "Theil within regions", "theil_between": "Theil between regions",
    "gdp_yuan": "GDP (100 million yuan)", "va_secondary_yuan": "secondary value added (100 million yuan)",
    "va_tertiary_yuan": "tertiary value added (100 million yuan)",
    "coupling_D": "coupling coordination D of secondary and tertiary value added",
}


def _g(v: float) -> str:
    """Three significant digits with a sign, in fixed notation (effects span 1e-5 to 10; a table
    prints -0.0000151, never -1.51e-05).

    >>> _g(-1.51e-05), _g(0.0163), _g(1.712), _g(123.4), _g(0.0)
    ('-0.0000151', '+0.0163', '+1.71', '+123', '0')
    """
    if v == 0 or not np.isfinite(v):
        return "0" if v == 0 else str(v)
    decimals = max(0, 2 - int(np.floor(np.log10(abs(v)))))
    return f"{v:+.{decimals}f}"


def outcome_table(res: ScenarioResult, measures=("mean_VA", "mean_FN", "mean_SY", "mean_P",
                                                 "gap_SY", "theil")) -> pd.DataFrame:
    """Scenarios x outcomes in the horizon year: median effect [90% band] (strings). SIMULATED.

    The default measures hold every number :func:`robustness_sentences` and
    :func:`tradeoff_sentences` quote, printed by the same function (``_g``), so each sentence
    can be checked against the table it cites."""
    b = res.bands.xs(res.horizon, level="year")
    rows = {}
    for sc in res.scenarios:
        if sc == "baseline":
            continue
        rows[sc] = {MEASURE_LABELS[m]: f"{_g(b.at[(sc, m), 'median'])} [{_g(b.at[(sc, m), 'q05'])}, "
                    f"{_g(b.at[(sc, m), 'q95'])}]" for m in measures}
    t = pd.DataFrame.from_dict(rows, orient="index")
    t.index.name = f"effect in {res.horizon} (SIMULATED)"
    return t


def robustness_sentences(res: ScenarioResult, measures=("mean_SY", "gap_SY", "theil"), *,
                         where: str = "") -> list[str]:
    """Which conclusions hold in every run (twin seed x parameter draw) and which flip.

    ``where`` (e.g. a cross-reference to the :func:`outcome_table` exhibit) ends each sentence."""
    n = res.n_runs
    runs = f"{n} runs ({len(res.parameters)} parameter draws x {len(res.seeds)} twin seeds)"
    out = []
    for sc in res.scenarios:
        if sc == "baseline":
            continue
        parts_hold, parts_flip = [], []
        for m in measures:
            r = res.robustness.loc[(sc, m)]
            word = "raises" if r["median"] > 0 else "lowers"
            label = MEASURE_LABELS[m]
            if r["holds"]:
                parts_hold.append(f"{word} the {label} (median {_g(r['median'])})")
            elif r["positive"] == 0 and r["negative"] == 0:
                parts_hold.append(f"leaves the {label} unchanged")
            else:
                parts_flip.append(f"the {label} rises in {r['positive']:.0%} and falls in "
                                  f"{r['negative']:.0%} of runs")
        s = f"In {res.horizon}, the {sc} scenario "
        s += ("; ".join(parts_hold) + f" in all {runs}" if parts_hold else "has no effect that holds in every run")
        s += where + ("." if not parts_flip else f"; it flips on the rest: {'; '.join(parts_flip)}.")
        out.append(s)
    return out


def tradeoff_sentences(res: ScenarioResult, *, where: str = "") -> list[str]:
    """Scenarios that raise synergy while widening the Delta-rest gap, or narrow it (generated);
    ``where`` ends each sentence."""
    b = res.bands.xs(res.horizon, level="year")["median"]
    out = []
    for sc in res.scenarios:
        if sc == "baseline":
            continue
        dsy, dgap = b[(sc, "mean_SY")], b[(sc, "gap_SY")]
        if dsy > 0 and dgap > 0:
            out.append(f"{sc}: raises mean synergy ({_g(dsy)}) but widens the Delta-rest gap ({_g(dgap)}) "
                       f"in the median run{where}.")
        elif dsy > 0 and dgap < 0:
            out.append(f"{sc}: raises mean synergy ({_g(dsy)}) and narrows the Delta-rest gap ({_g(dgap)}) "
                       f"in the median run{where}.")
        else:
            out.append(f"{sc}: changes mean synergy by {_g(dsy)} and the Delta-rest gap by {_g(dgap)} "
                       f"in the median run{where}.")
    return out


def tipping_sentence(res: ScenarioResult, contraction: ContractionResult, temporary: str = "subsidy_3y",
                     tol: float = 1e-6) -> str:
    """What a temporary subsidy leaves, and why: the contraction condition, generated from numbers.

    ``contraction``: :func:`helpers.scenarios.contraction_modulus` at the twin's defaults; the
    largest modulus over the drawn parameters is computed from ``res.parameters``.
    """
    from ..scenarios.contraction import global_modulus

    c = contraction
    draws = res.parameters
    a_n = draws["alpha_N"] if "alpha_N" in draws else pd.Series([c.alpha_N])
    a_e = draws["alpha_E"] if "alpha_E" in draws else pd.Series([c.alpha_E] * len(a_n))
    worst = max(global_modulus(n, e, None, c.persistence) for n, e in zip(a_n, a_e))
    cond = (f"No tipping is possible when (alpha_N + alpha_E) / 4 < 1: the logistic's slope is at most 1/4 "
            f"and the network terms are weighted averages, so participation is then the unique fixed point of a "
            f"contraction each year. At the twin's defaults (alpha_N = {c.alpha_N:g}, alpha_E = {c.alpha_E:g}) the "
            f"modulus is {c.modulus:.2f} (at the solved path: largest local norm {c.local['local_norm'].max():.2f}, "
            f"spectral radius at most {c.local['spectral_radius'].max():.2f}); over the {len(draws)} parameter draws it "
            f"is at most {worst:.2f}, so no run can tip")
    if temporary not in res.scenarios:
        return cond + "."
    sc = res.scenarios[temporary]
    end = sc.start + sc.subsidy_years - 1
    e = res.effects[(res.effects["scenario"] == temporary) & (res.effects["measure"] == "mean_VA")]
    last = e[e["year"] == res.horizon]["value"]
    peak = e[e["year"] <= end].groupby(["seed", "draw"])["value"].max()
    lasting = int((last.abs() > tol).sum())
    return (cond + f". A subsidy paid only from {sc.start} to {end} raises participation by up to "
            f"{_g(peak.median())} while it is paid (median over {len(peak)} runs) and leaves "
            + ("nothing" if lasting == 0 else f"a trace in {lasting} of {len(last)} runs")
            + f" in {res.horizon}: in the static twin each year's participation forgets the last.")


def tipping_search_sentence(search: pd.DataFrame, lasting: float = 1e-3) -> str:
    """What the tipping search found inside and outside the contraction region (generated)."""
    inside, outside = search[search["modulus"] < 1], search[search["modulus"] >= 1]
    h, end = search.attrs["horizon"], search.attrs["end"]
    s = (f"A search over alpha_N in {sorted(set(search['alpha_N']))} and alpha_0 in {sorted(set(search['alpha_0']))} "
         f"({len(inside)} points inside the contraction region, {len(outside)} outside): inside, the largest "
         f"effect left in {h} is {inside['effect_horizon'].abs().max():.2g}" if len(inside) else
         f"A search over {len(search)} points, all outside the contraction region")
    tipped = outside[outside["effect_horizon"].abs() > lasting]
    if len(tipped):
        r = tipped.loc[tipped["effect_horizon"].abs().idxmax()]
        s += (f"; outside, the subsidy leaves a lasting effect above {lasting:g} at {len(tipped)} of {len(outside)} "
              f"points, the largest at alpha_N = {r['alpha_N']:g}, alpha_0 = {r['alpha_0']:g} (modulus "
              f"{r['modulus']:.2f}): participation is {_g(r['effect_end'])} higher in {end} and still "
              f"{_g(r['effect_horizon'])} higher in {h}, a tip to the upper equilibrium.")
    else:
        s += (f"; outside, no point keeps an effect above {lasting:g} to {h} (the baseline sits on the only "
              "equilibrium or already on the upper branch there).")
    return s


def after_effect_sentences(table: pd.DataFrame) -> list[str]:
    """What a temporary subsidy leaves under adoption with persistence (from
    :func:`helpers.scenarios.after_effect`)."""
    end, decay = table.attrs["end"], table.attrs["decay"]
    out = []
    for lam, g in table.groupby("persistence"):
        g = g.set_index("year")["effect"]
        last_year = int(g.index.max())
        peak = g[g.index <= end].max()
        left = g.loc[last_year]
        if lam == 0:
            out.append(f"Without persistence (lambda = 0, the twin) the subsidy raises participation by up to "
                       f"{_g(peak)} and leaves {_g(left) if abs(left) > 1e-9 else 'nothing'} in {last_year}.")
            continue
        share = left / peak if peak else float("nan")
        out.append(f"With persistence lambda = {lam:g}, participation rises by up to {_g(peak)} while the subsidy "
                   f"is paid and {_g(left)} remains in {last_year} ({share:.0%} of the peak); after {end} the gap "
                   f"shrinks by a factor of about {decay[lam]:.2f} a year (first order), slower than lambda alone "
                   f"({lam:g}) because the network externality feeds the memory.")
    return out


def budget_distribution_table(dist: BudgetDistribution, level: float = 0.90) -> pd.DataFrame:
    """Budget ratio (targeted / uniform gain): median and band per weighting and source. SIMULATED."""
    b = dist.bands("ratio", level)
    lo = f"{(1 - level) / 2:.0%}"
    hi = f"{1 - (1 - level) / 2:.0%}"
    t = pd.DataFrame({"runs": b["n"].astype(int), "median ratio": b["median"].map(lambda v: f"{v:.2f}"),
                      f"{level:.0%} band ({lo}-{hi})": [f"[{a:.2f}, {c:.2f}]" for a, c in zip(b["q05"], b["q95"])]},
                     index=b.index)
    return t.reset_index().set_index("weighting")


def budget_distribution_sentences(dist: BudgetDistribution, used: str = "unweighted", level: float = 0.90) -> list[str]:
    """The budget ratio as a distribution, and which weighting the chapter uses (generated)."""
    b = dist.bands("ratio", level)
    both = "seeds x parameter draws"
    out = []
    u = b.loc[(used, both)]
    out.append(f"Over {int(u['n'])} runs ({len(dist.seeds)} twin seeds x {len(dist.parameters)} parameter draws, "
               f"the optimiser re-run in each), targeting the budget at the largest total synergy gain buys a median "
               f"{u['median']:.2f} times the uniform allocation's gain ({level:.0%} band {u['q05']:.2f}-{u['q95']:.2f}).")
    seeds = b.loc[(used, "seeds (default parameters)")]
    out.append(f"At the twin's default parameters the ratio ranges over the seeds from {seeds['q05']:.2f} to "
               f"{seeds['q95']:.2f} ({level:.0%} band, median {seeds['median']:.2f}): one optimisation on one twin is "
               "one draw from this spread.")
    other = [w for w in b.index.get_level_values(0).unique() if w != used]
    for w in other:
        o = b.loc[(w, both)]
        out.append(f"Weighting each city's gain by its population (every resident counts once) gives a median of "
                   f"{o['median']:.2f} ({level:.0%} band {o['q05']:.2f}-{o['q95']:.2f}). The chapter reports the "
                   f"{used} objective: synergy is a city-level index, and the seed papers compare cities, not "
                   "residents; the population-weighted figure is the one for a planner who counts people.")
    r = dist.runs[(dist.runs["weighting"] == used) & (dist.runs["draw"] >= 0)]
    if len(r):
        wider = float((r["gap_cut"] < 0).mean())
        out.append(f"The max-synergy allocation widens the Delta-rest synergy gap in {wider:.0%} of these runs and "
                   f"spends a median {r['prd_share'].median():.0%} of the budget in the Delta.")
    return out


def real_units_table(res: ScenarioResult, measures=("gdp_yuan", "va_secondary_yuan", "va_tertiary_yuan",
                                                    "coupling_D", "mean_SY")) -> pd.DataFrame:
    """Scenarios x real-unit outcomes in the horizon year: median effect [90% band], and GDP in %. SIMULATED."""
    b = res.bands.xs(res.horizon, level="year")
    rows = {}
    for sc in res.scenarios:
        if sc == "baseline":
            continue
        row = {}
        for m in measures:
            med, lo, hi = (b.at[(sc, m), k] for k in ("median", "q05", "q95"))
            big = m.endswith("_yuan")
            fmt = (lambda v: f"{v:+,.0f}") if big else _g
            row[MEASURE_LABELS[m]] = f"{fmt(med)} [{fmt(lo)}, {fmt(hi)}]"
        if "gdp_yuan" in measures:
            base = b.at[("baseline", "gdp_yuan"), "level_median"]
            row["GDP, % of baseline"] = f"{100 * b.at[(sc, 'gdp_yuan'), 'median'] / base:+.2f}%"
        rows[sc] = row
    t = pd.DataFrame.from_dict(rows, orient="index")
    t.index.name = f"effect in {res.horizon} (SIMULATED)"
    return t


def real_units_sentence(res: ScenarioResult, scenario: str = "subsidy") -> str:
    """One scenario's horizon-year effect in yuan and on the real synergy construct (generated)."""
    b = res.bands.xs(res.horizon, level="year")
    g = b.loc[(scenario, "gdp_yuan")]
    base = b.at[("baseline", "gdp_yuan"), "level_median"]
    d = b.loc[(scenario, "coupling_D")]
    return (f"In {res.horizon} the {scenario} scenario adds a median {g['median']:,.0f} (100 million yuan) to the "
            f"province's simulated GDP ({100 * g['median'] / base:+.2f}% of a baseline of {base:,.0f}; 90% band "
            f"{g['q05']:,.0f} to {g['q95']:,.0f}) and changes the mean coupling coordination of secondary and "
            f"tertiary value added by {_g(d['median'])} (band {_g(d['q05'])} to {_g(d['q95'])}; D lies in [0, 1]).")


def rollout_context(ext: Extended, start: int = 2025) -> str:
    """How much diffusion is left outside the Delta when a roll-out starts (generated)."""
    reg = ext.st.reg
    prd = (reg["region"] == "PRD").to_numpy()
    t = ext.st.years.index(start)
    d_rest, d_prd = ext.st.D[t, ~prd].mean(), ext.st.D[t, prd].mean()
    return (f"In the baseline, digital infrastructure outside the Delta stands at {d_rest:.0%} of its "
            f"saturation level in {start} (the Delta: {d_prd:.0%}), so a roll-out starting then has "
            f"{1 - d_rest:.0%} of the diffusion left to speed up.")


def budget_sentences(b: BudgetResult) -> list[str]:
    """What targeting buys over spending uniformly (generated from the optimisation)."""
    o = b.outcomes
    u, s, g = o.loc["uniform"], o.loc["max_synergy"], o.loc["max_gap_cut"]
    reg = _data.city_table()
    prd = reg.index[reg["region"] == "PRD"]

    def share_prd(col):
        a = b.allocations[col] * reg["pop_2020"]
        return float(a[prd].sum() / a.sum())

    out = [
        f"Spread uniformly, the budget raises total synergy in the horizon year by {u['synergy']:.3f} "
        f"and changes the Delta-rest gap by {-u['gap_cut']:+.3f}.",
        f"Targeted at most synergy, the same budget buys {s['synergy']:.3f} "
        f"({s['synergy'] / u['synergy'] if u['synergy'] else float('nan'):.2f} times the uniform gain) "
        f"and changes the gap by {-s['gap_cut']:+.3f}; {share_prd('max_synergy'):.0%} of it goes to the Delta.",
        f"Targeted at the gap, it cuts the gap by {g['gap_cut']:.3f} at a total synergy gain of "
        f"{g['synergy']:.3f}; {share_prd('max_gap_cut'):.0%} of it goes to the Delta.",
    ]
    f = b.frontier
    if len(f) > 1:
        cost = (f["synergy"].iloc[0] - f["synergy"].iloc[-1]) / max(f["gap_cut"].iloc[-1] - f["gap_cut"].iloc[0], 1e-12)
        out.append(f"Along the frontier, each extra unit of gap cut costs about {cost:.2f} units of total synergy.")
    return out


def detectability_sentences(det: pd.DataFrame, horizon: int = HORIZON) -> list[str]:
    """Sentences generated from :func:`detectability`."""
    from ..analysis.report import HYPOTHESES

    out = []
    for name, r in det.iterrows():
        head = f"{name}: changes mean synergy in {horizon} by {r['effect_SY']:+.3f}"
        if abs(r["effect_SY"]) < 1e-9:
            out.append(head + "; there is nothing to detect.")
            continue
        share = r["va_share"]
        head += f", {share:.0%} of it through participation" if np.isfinite(share) else ""
        if r["hypothesis"] is None:
            out.append(head + ". No estimator of the book targets this chain (they all take virtual "
                       "agglomeration as the cause), so a study of the book's design would not see "
                       "this policy at work even where it works.")
            continue
        s = (head + f". Its chain is what {r['hypothesis']} tests ({HYPOTHESES[r['hypothesis']]}); in "
             f"{int(r['n_reps'])} simulated 21 x 13 twins ({r['twin']}) it is declared supported in {r['power']:.0%}")
        if r["power"] < 0.5:
            s += ": a study of this size would usually miss a policy that works."
        elif r["power"] < 0.8:
            s += f": a study of this size would see it in only about {r['power']:.0%} of cases."
        else:
            s += ": a study of this size would usually see it."
        out.append(s)
    return out


def policy_closing_sentence(res: ScenarioResult, dist: BudgetDistribution, contraction: ContractionResult,
                            after: pd.DataFrame, used: str = "unweighted") -> str:
    """Short forms of the chapter's distribution, contraction and persistence results (generated)."""
    b = dist.bands("ratio").loc[(used, "seeds x parameter draws")]
    last = after[after["year"] == after["year"].max()].set_index("persistence")["effect"]
    lam = max(last.index)
    best = res.bands.xs(res.horizon, level="year")["median"].xs("gdp_yuan", level="measure").drop("baseline").idxmax()
    g = res.bands.xs(res.horizon, level="year").loc[(best, "gdp_yuan")]
    return (f"In real units, {best} adds the most simulated GDP in {res.horizon} (median {g['median']:,.0f} hundred "
            f"million yuan, 90% band {g['q05']:,.0f}-{g['q95']:,.0f}). Targeting a fixed subsidy budget buys a median "
            f"{b['median']:.2f} times the uniform gain (90% band {b['q05']:.2f}-{b['q95']:.2f} over {int(b['n'])} "
            f"re-optimised runs). No run can tip (contraction modulus {contraction.modulus:.2f} at the defaults), so a "
            f"three-year subsidy leaves nothing in the static twin by {int(after['year'].max())}; with persistence "
            f"{lam:g} a remainder decays year by year (the persistence figure above).")
