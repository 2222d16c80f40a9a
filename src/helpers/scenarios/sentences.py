r"""Tables and sentences generated from scenario runs (nothing in them is typed in).
"""

from __future__ import annotations

import pandas as pd

from .runs import Extended
from .uncertainty import ScenarioResult

# ----------------------------------------------------------------------------- tables and sentences
MEASURE_LABELS = {
    "mean_VA": "participation (VA)", "mean_FN": "factor-flow position (FN)",
    "mean_AG": "agglomeration (AG)", "mean_SY": "synergy (SY)", "mean_P": "log productivity (P)",
    "mean_X": "log competitiveness (X)", "gap_SY": "Delta-rest synergy gap",
    "gap_P": "Delta-rest productivity gap", "theil": "Theil of productivity",
    "theil_within": "Theil within regions", "theil_between": "Theil between regions",
}


def _g(v: float) -> str:
    """Three significant digits with a sign (effects span 1e-4 to 1)."""
    return "0" if v == 0 else f"{v:+.3g}"


def outcome_table(res: ScenarioResult, measures=("mean_VA", "mean_FN", "mean_SY", "mean_P",
                                                 "gap_SY", "theil_between")) -> pd.DataFrame:
    """Scenarios x outcomes in the horizon year: median effect [90% band] (strings). SIMULATED."""
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


def robustness_sentences(res: ScenarioResult, measures=("mean_SY", "gap_SY", "theil")) -> list[str]:
    """Which conclusions hold in every draw and which flip, generated from the draws."""
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
        s += "." if not parts_flip else f"; it flips on the rest: {'; '.join(parts_flip)}."
        out.append(s)
    return out


def tradeoff_sentences(res: ScenarioResult) -> list[str]:
    """Scenarios that raise synergy while widening the Delta-rest gap, or narrow it (generated)."""
    b = res.bands.xs(res.horizon, level="year")["median"]
    out = []
    for sc in res.scenarios:
        if sc == "baseline":
            continue
        dsy, dgap = b[(sc, "mean_SY")], b[(sc, "gap_SY")]
        if dsy > 0 and dgap > 0:
            out.append(f"{sc}: raises mean synergy ({_g(dsy)}) but widens the Delta-rest gap ({_g(dgap)}) "
                       "in the median draw.")
        elif dsy > 0 and dgap < 0:
            out.append(f"{sc}: raises mean synergy ({_g(dsy)}) and narrows the Delta-rest gap ({_g(dgap)}) "
                       "in the median draw.")
        else:
            out.append(f"{sc}: changes mean synergy by {_g(dsy)} and the Delta-rest gap by {_g(dgap)} "
                       "in the median draw.")
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
