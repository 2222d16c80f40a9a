"""Sentences of the Study design chapter under the rule of issue 22: minimum designs with
Clopper-Pearson bounds, the size of the FE test in the unconfounded null, and a bottom line per
hypothesis naming the real data that could answer it. Every number comes from the arguments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .tables import number

#: Real data of the book a hypothesis could be taken to, and why (the book's reading of which
#: design addresses which weakness of the twin's FE evidence). ``cities`` / ``years`` are filled
#: in by the chapter from its parameters; ``route`` names what the data add.
DATA_ROUTES = {
    "H1": ("broadband", "national"),
    "H2": ("national",),
    "H3": ("national",),
    "H4": ("national",),
    "H5": ("county",),
}
#: What each source adds against the local shock that confounds the FE evidence.
DATA_WHY = {
    "broadband": "its staggered pilot designations supply variation in connectivity timed by policy, "
                 "not by the local shock, so a difference-in-differences estimate escapes FE's bias if "
                 "designated and other cities would have trended alike (the Broadband China section tests "
                 "that on the twin)",
    "national": "the book's largest real panel, answering the claim only through an estimator the local "
                "shock does not confound (an instrument or a policy design), not the FE evidence scored here",
    "county": "many more, smaller units give every unit more neighbours, which a spatial spillover "
              "estimate needs",
}


def _design(n, t) -> str:
    return f"{int(n)} cities x {int(t)} years"


def _ci(p, lo, hi) -> str:
    return f"{p:.2f} (95% CP {lo:.2f}-{hi:.2f})"


def minimum_design_sentence(name: str, rec: pd.Series, target: float = 0.8) -> str:
    """One sentence on one measure's row of :func:`helpers.studies.performance.minimum_designs`."""
    big = f"at the grid's largest design ({rec['largest']}) power is " + _ci(
        rec["largest_power"], rec["largest_low"], rec["largest_high"])
    reason = rec["reason"]
    if reason == "sufficient":
        return (f"{name}: the smallest sufficient design is {_design(rec['n_cities'], rec['n_years'])}, with "
                f"power {_ci(rec['power'], rec['low'], rec['high'])}; the lower bound stays at or above "
                f"{target:.0%} in every larger design of the grid.")
    fall = rec.get("fall") if isinstance(rec.get("fall"), str) else None
    why = {"inconsistent": "its estimator is not consistent for its estimand in the confounded world, so "
                           "its power is partly bias and no design counts",
           "not monotone": "its power clearly falls as the design grows"
                           + (f" (from {fall}: the larger design's upper bound lies below the smaller one's "
                              "lower bound)" if fall else "") + ", so the grid cannot vouch for any size",
           "below target": f"no design's lower 95% bound reaches {target:.0%}",
           "not in every larger design": f"every design whose lower bound reaches {target:.0%} has a "
                                         "larger design that does not"}[reason]
    return f"{name}: no design in the grid suffices: {why}; {big}."


def size_sentences(nulls: pd.DataFrame, margin: float = 2.0) -> list[str]:
    """Sentences on the stored unconfounded-null run (:func:`helpers.studies.nulls.load_nulls`),
    judged by :func:`helpers.studies.performance.size_verdict` with the equivalence ``margin``."""
    from ..studies.performance import size_verdict

    out = []
    for _, r in nulls.iterrows():
        v = size_verdict(int(r["rejections"]), int(r["twins"]), nominal=float(r["nominal"]), margin=margin)
        judged = {"held": f"size held (upper bound at most {v['bound']:.3f})",
                  "exceeded": f"size not held (lower bound above {v['bound']:.3f})",
                  "undetermined": f"too few twins to tell against {v['bound']:.3f}"}[v["verdict"]]
        out.append(f"{r['inference']}: rejects in {int(r['rejections'])} of {int(r['twins'])} twins, "
                   f"{_ci(v['rate'], v['low'], v['high'])} against a nominal {v['nominal']:.3f}: {judged}.")
    if "mean_estimate" in nulls:
        b, se = float(nulls["mean_estimate"].iloc[0]), float(nulls["estimate_mcse"].iloc[0])
        drift = abs(b) > 2 * se
        out.append(f"The FE estimate averages {b:+.3f} (MC SE {se:.3f}) over these twins against a truth of 0: "
                   + ("more than two Monte Carlo SEs from zero, so part of the excess rejection is a drift that "
                      "participation and synergy still share in this world, not only the few clusters." if drift
                      else "within two Monte Carlo SEs of zero, so the excess rejection is the test's, not a bias."))
    return out


def size_brief(nulls: pd.DataFrame, *, where: str) -> str:
    """The closing summary's form of :func:`size_sentences`: each inference's rejection rate
    (same numbers, same format) and where the full reading is."""
    parts = "; ".join(f"{r['inference']}: {r['rejections'] / r['twins']:.2f}" for _, r in nulls.iterrows())
    return (f"Rejection rate of H1's test where nothing happens ({parts}) against a nominal "
            f"{float(nulls['nominal'].iloc[0]):.3f} ({where}).")


def _short(rec: pd.Series) -> str:
    fall = rec.get("fall")
    return {"inconsistent": "its evidence is not consistent in the confounded world",
            "not monotone": "its power is not monotone over the grid"
                            + (f", falling from {fall}" if isinstance(fall, str) else ""),
            "below target": "no design's lower bound reaches the target",
            "not in every larger design": "no design keeps the target in every larger design"}[rec["reason"]]


def bottom_line(h: str, claim: str, hyp: pd.Series, alternatives: pd.DataFrame, data: dict,
                bias: tuple | None = None, where: str = "") -> str:
    """The bottom line for hypothesis ``h``: what the grid says and which real data could answer it.

    Parameters
    ----------
    hyp : Series
        The hypothesis's row of :func:`helpers.studies.performance.minimum_designs`.
    alternatives : DataFrame
        Rows of the same table for consistent estimates of the same quantity (may be empty).
    data : dict
        Source key of :data:`DATA_ROUTES` -> dict with ``label`` and, when it is a panel of known
        size, ``cities`` and ``years``.
    bias : (design, bias, mc_se), optional
        The FE evidence's mean error against its truth at the grid's largest design, quoted in
        the tables' number format (:func:`helpers.book.tables.number`) as :func:`bias_table`
        prints it; ``where`` names that exhibit.
    """
    parts = []
    if hyp["reason"] == "sufficient":
        parts.append(f"{h} ({claim}) is detected from {_design(hyp['n_cities'], hyp['n_years'])} on.")
    else:
        txt = f"{h} ({claim}): no design in the grid suffices ({_short(hyp)}"
        if bias is not None and hyp["reason"] == "inconsistent":
            txt += (f": it misses its truth by {'+' if bias[1] > 0 else ''}{number(bias[1])}, MC SE "
                    f"{number(bias[2])}, at {bias[0]}" + (f", {where}" if where else ""))
        parts.append(txt + ").")
    for key, rec in alternatives.iterrows():
        if rec["reason"] == "sufficient":
            parts.append(f"The consistent {key} suffices from {_design(rec['n_cities'], rec['n_years'])} on.")
        else:
            parts.append(f"The consistent {key} does not either ({_short(rec)}; power "
                         f"{_ci(rec['largest_power'], rec['largest_low'], rec['largest_high'])} at {rec['largest']}).")
    routes = []
    for src in DATA_ROUTES.get(h, ()):
        d = data[src]
        txt = d["label"]
        if d.get("cities") and d.get("years"):
            txt += f" ({d['cities']} x {d['years']} = {d['cities'] * d['years']:,} city-years)"
            ok = alternatives[alternatives["reason"] == "sufficient"]
            if len(ok):
                covered = [k for k, r in ok.iterrows() if d["cities"] >= r["n_cities"] and d["years"] >= r["n_years"]]
                txt += (", at least as large as the sufficient design of " + ", ".join(covered) if covered
                        else ", smaller than the sufficient design of every consistent alternative")
        routes.append(f"{txt}: {DATA_WHY[src]}")
    if routes:
        parts.append("Real data that could answer it: " + "; ".join(routes) + ".")
    return " ".join(parts)


def bias_table(biases: dict, labels: dict) -> pd.DataFrame:
    """The exhibit of the biases :func:`bottom_line` quotes: one row per hypothesis with a
    :func:`bias_at` result (``biases``: hypothesis -> (design, bias, MC SE) or None), its
    evidence's label (``labels``: hypothesis -> label), the design, the mean error and its
    Monte Carlo SE."""
    out = [{"hypothesis": h, "evidence": labels.get(h, h), "design": b[0], "bias": b[1], "MC SE": b[2]}
           for h, b in biases.items() if b is not None]
    return pd.DataFrame(out, columns=["hypothesis", "evidence", "design", "bias", "MC SE"]).set_index("hypothesis")


def bias_at(rows: pd.DataFrame, key: str) -> tuple | None:
    """(design, mean error, MC SE) of ``est_<key>`` against ``true_<key>`` at the study's largest
    design in the effect world (:func:`helpers.studies.performance.estimator_performance`); None
    for an estimate of :data:`helpers.studies.power.NOT_SCORED` (its stored truth is not its estimand's)."""
    from ..studies.performance import estimator_performance
    from ..studies.power import NOT_SCORED

    if key in NOT_SCORED or f"est_{key}" not in rows or f"true_{key}" not in rows:
        return None
    e = rows[rows["world"] == "effect"]
    n, t = int(e["n_cities"].max()), int(e[e["n_cities"] == e["n_cities"].max()]["n_years"].max())
    g = e[(e["n_cities"] == n) & (e["n_years"] == t)]
    if np.isfinite(g[f"true_{key}"]).sum() < 2:
        return None
    p = estimator_performance(g[f"est_{key}"], g[f"true_{key}"])
    return (f"{n} x {t}", float(p["bias"]), float(p["bias_mcse"]))


def ademp_protocol(log: dict, *, n_grid, t_grid, reps: dict, options: dict, study_seed: int, generator: str,
                   params: dict, estimands: list, labels: dict, nulls_run: pd.DataFrame | None = None,
                   curve: pd.DataFrame | None = None, target: float = 0.8, margin: float = 2.0,
                   reps_cells: dict | None = None, worlds=("effect", "null", "null_unconfounded"),
                   paired: bool = True, not_scored: dict | None = None) -> list[tuple[str, str]]:
    """The design study's protocol in the ADEMP form (Morris, White & Crowther 2019): a list of
    (heading, Markdown) for Aims, Data-generating mechanisms, Estimands, Methods and Performance
    measures, every setting taken from the arguments (the study's own settings and log).

    ``reps_cells``: cells with another number of twins than their city count's; ``worlds`` and
    ``paired``: the stored worlds and whether a replicate shares its seed across them;
    ``not_scored``: estimate key -> why it gets no bias, RMSE or coverage."""
    from ..studies.performance import COVERAGE_CLAIM_MCSE, ONE_SIDED_NOMINAL

    cells = len(n_grid) * len(t_grid)
    twins = sum(int(reps[str(n)] if str(n) in reps else reps[n]) for n in n_grid) * len(t_grid)
    runs = log.get("runs", [])
    aims = (f"How many cities N and years T does the book's analysis need to detect each link of the chain "
            f"(H1-H5) at {target:.0%} power, and do its tests hold their size and its intervals cover the truth of "
            f"their own estimands? The grid: N in {', '.join(map(str, n_grid))}; T in "
            f"{', '.join(map(str, t_grid))} ({cells} designs).")
    conf = params.get("confounding")
    dgm = (f"The twin `helpers.simulate` {generator} (`simulate_panel`), on Guangdong's 21 cities or a sample of the "
           f"national registry, years from 2011. Worlds: **effect** (default parameters; the local shock's loading "
           f"on participation and synergy is {conf}); **null** (no effect of virtual agglomeration: "
           + ", ".join(f"{k} = {v}" for k, v in params.get("no_effect", {}).items())
           + f"; the same loading {conf}: for bias); **null_unconfounded** (the null with loading 0: for size). "
           + ("The stored grid holds " + ", ".join(f"**{w}**" for w in worlds) + ". " if worlds else "")
           + "Twins per design: "
           + ", ".join(f"{n} cities: {reps[str(n)] if str(n) in reps else reps[n]}" for n in n_grid)
           + f" in each world ({twins} per world in all)"
           + ("; except " + ", ".join(f"{c}: {r}" for c, r in reps_cells.items()) if reps_cells else "")
           + f". Study seed {study_seed}; each twin's seed a function of (seed, N, T, replicate"
           + (") only, so replicate r of a design has the same seed in every world (common random numbers: "
              "the worlds differ only in their parameters, and verdicts compare pair by pair)." if paired
              else ", world): the worlds' twins are not paired."))
    scored = [k for k in estimands if k not in (not_scored or {})]
    est = ("Each estimate is scored against the truth of its own estimand, computed by the twin on the latent "
           "scale (regression-weighted marginal effects between standardised latent states; "
           "`helpers.simulate.estimands`): " + "; ".join(f"{labels.get(k, k)}" for k in scored) + ".")
    for k, why in (not_scored or {}).items():
        est += f" Not scored: {labels.get(k, k)} ({why})."
    meth = ("The book's analysis (`helpers.analysis.report.run_mechanism` on `build_constructs`) with "
            + ", ".join(f"{k} = {v}" for k, v in options.items())
            + ": two-way FE with CRV1 intervals, 2SLS, cluster-bootstrap mediation, the threshold test, the spatial "
              "Durbin model, the exposure design. Verdicts: a hypothesis is supported when its interval lies above "
              "zero (one-sided).")
    if nulls_run is not None:
        meth += (" Size study: H1's FE test with " + "; ".join(nulls_run["inference"]) + f" ({int(nulls_run['twins'].iloc[0])} "
                 "twins of the unconfounded null at 21 x 13).")
    if curve is not None:
        meth += (" The same test over confounder loadings " + ", ".join(f"{c:g}" for c in sorted(curve["confounding"].unique()))
                 + f" ({int(curve['twins'].iloc[0])} twins each, the same seeds at every loading).")
    perf = (f"Power and rejection rates as shares of twins with Clopper-Pearson 95% intervals; bias, RMSE and coverage "
            f"with Monte Carlo SEs (Morris, White & Crowther 2019, Table 6); a coverage is stated as a claim only "
            f"where its Monte Carlo SE is at most {COVERAGE_CLAIM_MCSE:g}, otherwise it is reported with its SE. "
            f"Size-adjusted power (the effect world's share above the no-effect world's "
            f"{1 - ONE_SIDED_NOMINAL:.3f} quantile of the estimate) is a diagnostic only. Two paired verdicts are "
            f"compared by the exact McNemar test on the discordant pairs. Size judged one-sided against a nominal "
            f"{ONE_SIDED_NOMINAL}: held when the upper CP bound is at most {margin:g} x nominal. A design suffices for "
            f"an estimate when the estimator is consistent in that world and the lower CP bound of power is at least "
            f"{target:.0%} there and in every larger design.")
    if runs:
        r = runs[-1]
        perf += f" The stored study's last run computed {r['twins_computed']} twins on {r['scheduler']}."
    return [("Aims", aims), ("Data-generating mechanisms", dgm), ("Estimands", est), ("Methods", meth),
            ("Performance measures", perf)]


def confounded_null_sentence(long: pd.DataFrame, measures, labels: dict, level: float = 0.95) -> str:
    """How the rejection rate of each measure moves from the smallest to the largest design in the
    confounded no-effect world (``world == "null"`` of a :func:`helpers.studies.power.power_long`
    table), with Clopper-Pearson intervals: a rate that rises with N there is identification
    failure (the estimate converges to the confounding bias), not the size of a test."""
    from ..studies.performance import clopper_pearson

    d = long[(long["world"] == "null") & long["measure"].isin(list(measures))].dropna(subset=["share"])
    if d.empty:
        return "The stored study has no confounded no-effect world."
    d = d.sort_values(["n_cities", "n_years"])
    out = []
    for m in measures:
        dm = d[d["measure"] == m]
        if dm.empty:
            continue
        a, b = dm.iloc[0], dm.iloc[-1]
        ca = clopper_pearson(round(a["share"] * a["twins"]), int(a["twins"]), level)
        cb = clopper_pearson(round(b["share"] * b["twins"]), int(b["twins"]), level)
        out.append(f"{labels.get(m, m)} from {_ci(a['share'], *ca)} at {int(a['n_cities'])} x {int(a['n_years'])} "
                   f"to {_ci(b['share'], *cb)} at {int(b['n_cities'])} x {int(b['n_years'])}")
    return ("In the confounded no-effect world the rate of a supported verdict goes " + "; ".join(out)
            + ". A one-sided verdict's nominal rate is 0.025; where the rate climbs with the design, the "
            "estimate converges to the confounding bias: a failure of identification, not of the test's size.")


def curve_table(curve: pd.DataFrame) -> pd.DataFrame:
    """The confounding curve (:func:`helpers.studies.nulls.confounding_curve`) as one row per
    loading: each inference's rate with its CP interval, and the FE estimate's mean (MC SE)."""
    rows = {}
    for s, d in curve.groupby("confounding"):
        rec = {m: _ci(r["rate"], r["low"], r["high"]) for m, r in d.set_index("method").iterrows()}
        rec["mean FE estimate"] = f"{d['mean_estimate'].iloc[0]:+.3f} ({d['estimate_mcse'].iloc[0]:.3f})"
        rows[f"{s:g}"] = rec
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "confounding"
    return out


def curve_sentence(curve: pd.DataFrame, method: str = "wild") -> str:
    """How the rejection rate of ``method`` and the FE estimate move from the weakest to the
    strongest confounder of the stored curve."""
    d = curve[curve["method"] == method].sort_values("confounding")
    a, b = d.iloc[0], d.iloc[-1]
    return (f"With the same twins and a confounder loading from {a['confounding']:g} to {b['confounding']:g}, the "
            f"{a['inference']} test's rate of a supported H1 in the no-effect world goes from "
            f"{_ci(a['rate'], a['low'], a['high'])} to {_ci(b['rate'], b['low'], b['high'])}, and the FE estimate's "
            f"mean from {a['mean_estimate']:+.3f} to {b['mean_estimate']:+.3f}: no inference repairs a biased "
            "estimate.")


def performance_rows(perf: pd.DataFrame, keys, designs, labels: dict) -> pd.DataFrame:
    """The chapter's performance exhibit: for each design (N, T) in ``designs`` and estimate in
    ``keys`` of a :func:`helpers.studies.performance.performance_table`, bias and RMSE with their
    Monte Carlo SEs, coverage with its MC SE (marked ``*`` when the MC SE is above the claim
    threshold: not a coverage claim), power and the unconfounded-null rejection rate with their
    CP intervals, and size-adjusted power ("–" where not computed)."""
    def num(v, fmt):
        return "–" if not np.isfinite(v) else format(v, fmt)

    out = []
    for n, t in designs:
        d = perf[(perf["n_cities"] == n) & (perf["n_years"] == t)].set_index("key")
        for k in keys:
            if k not in d.index:
                continue
            r = d.loc[k]
            cov = ("–" if not np.isfinite(r["coverage"]) else
                   f"{r['coverage']:.3f} ({r['coverage_mcse']:.3f})" + ("" if r["coverage_claim"] else NO_CLAIM_MARK))
            out.append({"estimate": labels.get(k, k), "design": f"{n} x {t}",
                        "bias (MC SE)": "–" if not np.isfinite(r["bias"]) else f"{r['bias']:+.3f} ({r['bias_mcse']:.3f})",
                        "RMSE (MC SE)": "–" if not np.isfinite(r["rmse"]) else f"{r['rmse']:.3f} ({r['rmse_mcse']:.3f})",
                        "coverage (MC SE)": cov,
                        "power (95% CP)": _ci(r["power"], r["power_low"], r["power_high"]),
                        "unconfounded null (95% CP)": ("–" if not np.isfinite(r["null_rate"]) else
                                                       _ci(r["null_rate"], r["null_low"], r["null_high"])),
                        "size-adjusted power": num(r["size_adjusted_power"], ".2f"),
                        "twins": int(r["twins"])})
    return pd.DataFrame(out).set_index("estimate")


#: Mark of a coverage that is no claim (Monte Carlo SE above the threshold), and its footnote.
NO_CLAIM_MARK = "*"


def no_claim_note(threshold: float | None = None) -> str:
    """The footnote of :data:`NO_CLAIM_MARK` (threshold default
    :data:`helpers.studies.performance.COVERAGE_CLAIM_MCSE`)."""
    from ..studies.performance import COVERAGE_CLAIM_MCSE

    return f"{NO_CLAIM_MARK} MC SE above {COVERAGE_CLAIM_MCSE if threshold is None else threshold:g}: no claim"


def coverage_table(perf: pd.DataFrame, keys, designs, labels: dict) -> pd.DataFrame:
    """Coverage of each estimate in ``keys`` (rows) at each design (N, T) of ``designs``
    (columns "N x T") from a :func:`helpers.studies.performance.performance_table`, as text: the
    coverage where it is a claim (``coverage_claim``: Monte Carlo SE at most the threshold),
    followed by :data:`NO_CLAIM_MARK` where it is not, "–" where that design scores no coverage;
    estimates with no coverage at any of the designs are left out."""
    scored = perf[np.isfinite(perf["coverage"]) & perf["n_cities"].isin([n for n, _ in designs])]
    keys = [k for k in keys if k in set(scored["key"])]
    out = {}
    for n, t in designs:
        d = perf[(perf["n_cities"] == n) & (perf["n_years"] == t)].set_index("key")
        col = {}
        for k in keys:
            v = d["coverage"].get(k, np.nan)
            col[labels.get(k, k)] = ("–" if not np.isfinite(v) else
                                     f"{v:.3f}" + ("" if bool(d.at[k, "coverage_claim"]) else NO_CLAIM_MARK))
        out[f"{n} x {t}"] = col
    tab = pd.DataFrame(out)
    tab.index.name = "estimate"
    return tab


def extra_twins_phrase(reps: dict) -> str:
    """The designs :data:`helpers.studies.power.REPS` gives more twins than their city count's, in
    words: an ``(N, T)`` key in every world, an ``(N, T, world)`` key in one ("" when none)."""
    return ", ".join(f"{r:,} twins at {k[0]} cities x {k[1]} years "
                     + (f"in the {k[2]} world" if len(k) > 2 else "in every world")
                     for k, r in reps.items() if isinstance(k, tuple))


def coverage_twins_text(reps: dict, threshold: float, nominal: float = 0.95) -> str:
    r"""How many twins a coverage claim takes and which designs the study gives them.

    A coverage :math:`c` from :math:`R` twins is a claim when
    :math:`\max(\sqrt{c(1-c)/R}, \sqrt{0.95 \cdot 0.05/R}) \le` ``threshold``
    (:func:`helpers.studies.performance.coverage_mcse_for_claim`): :math:`R \ge c(1-c)/\text{threshold}^2`
    twins, and with :math:`R` twins only coverages with
    :math:`c(1-c) \le R\,\text{threshold}^2`, i.e. outside
    :math:`(\ell, 1-\ell)` with :math:`\ell = (1-\sqrt{1-4R\,\text{threshold}^2})/2`."""
    need = {c: int(np.ceil(round(c * (1 - c) / threshold ** 2, 6))) for c in (nominal, 0.90)}
    text = (f"A coverage is stated as a claim only where its Monte Carlo SE is at most {threshold:g} (at a coverage "
            f"of {nominal:.2f} that takes {need[nominal]} twins; at 0.90, {need[0.90]})")
    extra = extra_twins_phrase(reps)
    if extra:
        r = min(v for k, v in reps.items() if isinstance(k, tuple))
        text += f"; the study therefore runs {extra}"
        if r < need[nominal]:
            text += f". With {r:,} twins no coverage near {nominal:.2f} is a claim"
        elif 4 * r * threshold ** 2 < 1:
            low = (1 - np.sqrt(1 - 4 * r * threshold ** 2)) / 2
            text += (f". With {r:,} twins a coverage is a claim only from {1 - low:.3f} up (or up to {low:.3f}); "
                     "one further from 0 and 1 would need more twins")
    return text + ". The Study design chapter marks every coverage that is no claim with *."


def coverage_claim_sentence(perf: pd.DataFrame, keys, labels: dict, threshold: float = 0.01) -> str:
    """Which coverages of ``keys`` the book may state as coverage claims (Monte Carlo SE at most
    ``threshold``) and which it only reports with their SE, from the performance table."""
    d = perf[perf["key"].isin(list(keys)) & np.isfinite(perf["coverage"])]
    if d.empty:
        return "The stored study scores no coverage."
    claims = d[d["coverage_claim"]]
    most = int(d["twins"].max())
    if claims.empty:
        return (f"No cell's coverage has a Monte Carlo SE of at most {threshold:g} in this store (at most {most} "
                f"twins per cell; the SE of a coverage of 0.95 is {np.sqrt(0.95 * 0.05 / most):.3f} there): every "
                "coverage in this chapter is an estimate reported with its SE (marked *), not a coverage claim.")
    parts = [f"{labels.get(r['key'], r['key'])} at {int(r['n_cities'])} x {int(r['n_years'])}: {r['coverage']:.3f} "
             f"(MC SE {r['coverage_mcse']:.3f}, {int(r['twins'])} twins)" for _, r in claims.iterrows()]
    return (f"Coverage claims (Monte Carlo SE at most {threshold:g}): " + "; ".join(parts) + ". Every other "
            "coverage is reported with its SE (marked *) and is not a coverage claim.")


def null_grid_sentence(perf: pd.DataFrame, hyps, nominal: float = 0.025, margin: float = 2.0) -> str | None:
    """The unconfounded-null rejection rates of the hypotheses over the stored grid, judged by
    :func:`helpers.studies.performance.size_verdict`; None when the store has no such world."""
    from ..studies.performance import size_verdict

    d = perf[perf["key"].isin(list(hyps)) & (perf["null_twins"] > 0)]
    if d.empty:
        return None
    v = [(r, size_verdict(int(r["null_rejections"]), int(r["null_twins"]), nominal=nominal, margin=margin))
         for _, r in d.iterrows()]
    counts = {k: sum(x["verdict"] == k for _, x in v) for k in ("held", "exceeded", "undetermined")}
    worst = max(v, key=lambda rv: rv[1]["rate"])
    r, w = worst
    return (f"Over {len(v)} cells and hypotheses of the unconfounded no-effect world, size is held in "
            f"{counts['held']}, exceeded in {counts['exceeded']} and undetermined in {counts['undetermined']} "
            f"(upper or lower 95% CP bound against {margin:g} x the one-sided nominal {nominal}); the highest "
            f"rate is {r['key']} at {int(r['n_cities'])} x {int(r['n_years'])}: {_ci(w['rate'], w['low'], w['high'])}.")


def paired_sentence(name: str, test: dict | None, world_a: str, world_b: str, design: str) -> str:
    """A paired comparison of one verdict between two worlds at one design
    (:func:`helpers.studies.power.paired_verdicts`), with the counts and the exact McNemar p."""
    if test is None:
        return (f"{name} at {design}: the stored {world_a} and {world_b} twins do not share seeds (a store "
                "computed before study definition 2), so no paired test is possible; compare the two rates "
                "with their CP intervals instead.")
    sig = test["p"] <= 0.05
    return (f"{name} at {design}, {test['pairs']} twins sharing their seed: supported in {test['a_only'] + test['both']} "
            f"in the {world_a} world and {test['b_only'] + test['both']} in the {world_b} world; discordant pairs "
            f"{test['a_only']} ({world_a} only) against {test['b_only']} ({world_b} only), exact McNemar p = "
            f"{test['p']:.3f}: " + ("the two rates differ." if sig else "the data do not show that the rates differ."))


def unpaired_rates_sentence(name: str, perf_row: pd.Series, design: str) -> str:
    """The rate of a supported verdict in the effect world beside the confounded no-effect world
    at one design, each with its CP interval, when the worlds are not paired."""
    return (f"{name} at {design}: supported in {_ci(perf_row['power'], perf_row['power_low'], perf_row['power_high'])} "
            f"of twins with the effect and {_ci(perf_row['confounded_rate'], perf_row['confounded_low'], perf_row['confounded_high'])} "
            "in the confounded no-effect world.")
