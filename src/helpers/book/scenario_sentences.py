r"""Tables and sentences generated from the policy scenarios of :mod:`helpers.scenarios` (nothing in
them is typed in): outcome tables, robustness, trade-offs, tipping, budgets and detectability.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import data as _data
from ..scenarios.budget import BudgetResult
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
    """Which conclusions hold in every draw and which flip, generated from the draws.

    ``where`` (e.g. a cross-reference to the :func:`outcome_table` exhibit) ends each sentence."""
    n = len(res.parameters)
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
                                  f"{r['negative']:.0%} of draws")
        s = f"In {res.horizon}, the {sc} scenario "
        s += ("; ".join(parts_hold) + f" in all {n} draws" if parts_hold else "has no effect that holds in every draw")
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
                       f"in the median draw{where}.")
        elif dsy > 0 and dgap < 0:
            out.append(f"{sc}: raises mean synergy ({_g(dsy)}) and narrows the Delta-rest gap ({_g(dgap)}) "
                       f"in the median draw{where}.")
        else:
            out.append(f"{sc}: changes mean synergy by {_g(dsy)} and the Delta-rest gap by {_g(dgap)} "
                       f"in the median draw{where}.")
    return out


def tipping_sentence(res: ScenarioResult, temporary: str = "subsidy_3y", tol: float = 1e-6) -> str:
    """Does a temporary subsidy outlast itself (tipping through the network externality)?"""
    if temporary not in res.scenarios:
        return f"No temporary-subsidy scenario ({temporary!r}) was run."
    sc = res.scenarios[temporary]
    end = sc.start + sc.subsidy_years - 1
    e = res.effects[(res.effects["scenario"] == temporary) & (res.effects["measure"] == "mean_VA")]
    peak = e[e["year"] <= end].groupby("draw")["value"].max()
    last = e[e["year"] == res.horizon].set_index("draw")["value"]
    lasting = int((last > tol).sum())
    n = len(last)
    s = (f"A subsidy paid only from {sc.start} to {end} raises participation by up to {_g(peak.median())} "
         f"(median over draws) while it is paid; in {res.horizon} participation is still higher in "
         f"{lasting} of {n} draws")
    if lasting == 0:
        s += (": with the drawn network externalities (alpha_N up to "
              f"{res.parameters['alpha_N'].max():.2f}) no city tips to a higher equilibrium, so the "
              "subsidy works only while it is paid.")
    else:
        s += f" (median lasting effect {_g(last.median())}): it tips participation in those draws."
    return s


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
