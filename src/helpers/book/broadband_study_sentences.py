"""The Broadband China design as a cell of the design study: Chapter 8's table and sentences, and
the policy chapter's compact reading of the same stored twins (``chapter_*``, ``selection_sentence``,
``pretrend_sentence``, ``twin_brief``).

Every number comes from the arguments: the performance table and verdicts of
:mod:`helpers.studies.broadband_study` (SIMULATED national twins). Nothing here computes a
result beyond formatting and choosing words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _ci(p, lo, hi) -> str:
    return "–" if not np.isfinite(p) else f"{p:.2f} (95% CP {lo:.2f}-{hi:.2f})"


def _join(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _pm(x, se) -> str:
    return "–" if not np.isfinite(x) else f"{x:+.3f} ({se:.3f})"


def design_table(perf: pd.DataFrame, labels: dict | None = None) -> pd.DataFrame:
    """One row per outcome at the largest design of ``perf``
    (:func:`helpers.studies.broadband_study.performance`): bias and RMSE (Monte Carlo SE),
    coverage (MC SE; ``*`` when the MC SE is above 0.01: not a coverage claim), one-sided power,
    the two-sided rejection rates of the no-effect worlds (threshold and random designation) and
    the pre-trend test's rejection rate under threshold designation, each with its 95%
    Clopper-Pearson interval, and the effect (in base-year cross-section SDs) the design would
    detect with 80% power if it were consistent
    (:func:`helpers.studies.broadband_study.detectable_effect`)."""
    labels = labels or {}
    big = perf.sort_values(["n_cities", "n_years"]).groupby("key", sort=False).tail(1)
    out = []
    for _, r in big.iterrows():
        cov = ("–" if not np.isfinite(r["coverage"]) else
               f"{r['coverage']:.3f} ({r['coverage_mcse']:.3f})" + ("" if r["coverage_claim"] else "*"))
        out.append({"outcome": labels.get(r["key"], r["key"]), "design": f"{int(r['n_cities'])} x {int(r['n_years'])}",
                    "twins": int(r["twins"]), "bias (MC SE)": _pm(r["bias"], r["bias_mcse"]),
                    "RMSE (MC SE)": "–" if not np.isfinite(r["rmse"]) else f"{r['rmse']:.3f} ({r['rmse_mcse']:.3f})",
                    "coverage (MC SE)": cov, "power": _ci(r["power"], r["power_low"], r["power_high"]),
                    "no effect, threshold designation": _ci(r["two_sided_confounded_rate"],
                                                            r["two_sided_confounded_low"],
                                                            r["two_sided_confounded_high"]),
                    "no effect, random designation": _ci(r["two_sided_null_rate"], r["two_sided_null_low"],
                                                         r["two_sided_null_high"]),
                    "pre-trend rejected": _ci(r["pretrend_rate"], r["pretrend_low"], r["pretrend_high"]),
                    "detectable effect (SD)": "–" if not np.isfinite(r["detectable_sd"]) else f"{r['detectable_sd']:.2f}"})
    return pd.DataFrame(out).set_index("outcome")


def verdict_sentence(name: str, rec: pd.Series, *, effect_sd: float, target: float = 0.8,
                     nominal: float = 0.05) -> str:
    """Whether the design suffices for one outcome (a row of
    :func:`helpers.studies.broadband_study.verdicts`), by the chapter's rule: the no-effect
    rejection rate's 95% CP interval contains the nominal level, and the lower CP bound of
    power is at least ``target``."""
    power = _ci(rec["power"], rec["power_low"], rec["power_high"])
    null = _ci(rec["two_sided_confounded_rate"], rec["two_sided_confounded_low"], rec["two_sided_confounded_high"])
    rnd = _ci(rec["two_sided_null_rate"], rec["two_sided_null_low"], rec["two_sided_null_high"])
    bias = f"mean error {_pm(rec['bias'], rec['bias_mcse'])}"
    if rec["size"] == "unknown":
        return f"{name}: the stored twins give no rejection rate in the no-effect world, so the rule cannot be applied."
    if rec["size"] == "over":
        return (f"{name}: the design is not consistent for it. Without any effect, designation on thresholds makes "
                f"the two-sided test reject in {null} of twins, above the nominal {nominal:g} ({bias}); with "
                f"designation at random it rejects in {rnd}. Its power, {power}, measures that bias as much as "
                "the effect, so no size of this design suffices.")
    if rec["size"] == "under":
        return (f"{name}: without any effect the two-sided test rejects in {null} of twins, below the nominal "
                f"{nominal:g} (conservative intervals; {bias}), so by the rule the design is not shown consistent; "
                f"its power is {power}.")
    head = (f"{name}: without any effect the two-sided test rejects in {null} of twins, an interval containing the "
            f"nominal {nominal:g} ({bias})")
    if rec["powered"]:
        return f"{head}, and power is {power}, its lower bound at least {target:.0%}: the design suffices."
    mde = rec.get("detectable_sd", np.nan)
    mde_txt = f" (by the normal approximation it detects about {mde:.2f} SDs with 80% power)" if np.isfinite(mde) else ""
    if rec.get("short_of") == "twins":
        return (f"{head}; power is {power}, at the target but with a lower bound below {target:.0%}: the study has too "
                f"few twins to vouch that the design suffices{mde_txt}.")
    return (f"{head}, but power is {power}, its lower bound below {target:.0%}: the design does not suffice, and a "
            f"null result on the real design would not rule out an effect of {effect_sd:g} cross-section SDs"
            f"{mde_txt}.")


def national_size_sentence(verdicts: pd.DataFrame, labels: dict, *, effect_sd: float, sizes,
                           grid_n=()) -> str:
    """What the national size (the design's N) implies: the design already holds every city of
    the national registry, so more cities cannot raise its power; which outcomes it suffices
    for there, which fall short for want of power, and which no size rescues (inconsistent).
    ``grid_n``: city counts of the main grid, to point to its row of the same N."""
    if verdicts.empty:
        return "The stored Broadband China cells hold no outcome."
    n, t = int(verdicts["n_cities"].iloc[0]), int(verdicts["n_years"].iloc[0])
    weak = verdicts["consistent"].astype(bool) & ~verdicts["powered"].astype(bool)
    short = verdicts.get("short_of", pd.Series("power", index=verdicts.index))
    by = {k: [labels.get(i, i) for i in verdicts.index[mask]] for k, mask in {
        "ok": verdicts["sufficient"].astype(bool), "weak": weak & (short != "twins"), "few": weak & (short == "twins"),
        "over": verdicts["size"] == "over", "under": verdicts["size"] == "under"}.items()}
    parts = [f"The design's N is the national one: {n} prefecture-level cities x {t} years ({n * t:,} city-years), "
             f"{sum(sizes)} of them designated in {len(sizes)} cohorts of {', '.join(str(s) for s in sizes)}. "
             "Prefecture data hold no more cities, so at the national size the design is as large as it can be."]
    if by["ok"]:
        parts.append(f"There it suffices for {_join(by['ok'])} at an effect of {effect_sd:g} cross-section SDs.")
    if by["weak"]:
        mde = [f"{labels.get(k, k)} {r['detectable_sd']:.2f}" for k, r in verdicts[weak & (short != "twins")].iterrows()
               if np.isfinite(r.get("detectable_sd", np.nan))]
        parts.append(f"For {_join(by['weak'])} it is consistent but short of power at that effect"
                     + (f" (the effect it would detect with 80% power, in SDs: {', '.join(mde)})" if mde else "")
                     + ": only a larger effect, more years or finer units (county-level data) could close the gap.")
    if by["few"]:
        parts.append(f"For {_join(by['few'])} its power reaches the target but the stored twins are too few to vouch "
                     "for it (the lower bound falls short): more twins, not more cities, would settle it.")
    if by["over"]:
        parts.append(f"For {_join(by['over'])} no size helps: without an effect it rejects more often than nominal, "
                     "and more cities would only narrow the interval around the wrong number.")
    if by["under"]:
        parts.append(f"For {_join(by['under'])} the test rejects less often than nominal without an effect, so the "
                     "rule does not show the design consistent there.")
    if n in set(int(x) for x in grid_n):
        parts.append(f"The same national size is the N = {n} row of the main grid above, where it carries the "
                     "fixed-effects evidence of the chain rather than this policy design.")
    elif len(grid_n):
        parts.append(f"The main grid stops at N = {max(int(x) for x in grid_n)}, below the national size.")
    return " ".join(parts)


def broadband_brief(verdicts: pd.DataFrame, labels: dict, *, where: str = "") -> str:
    """One line for a chapter's summary: for which outcomes the Broadband China design suffices
    at the national size, which it is consistent for but underpowered, and which it is not
    consistent for (no numbers: the section's table and sentences carry them; ``where`` names
    the table)."""
    n, t = int(verdicts["n_cities"].iloc[0]), int(verdicts["n_years"].iloc[0])
    groups = [("sufficient for", verdicts["sufficient"].astype(bool)),
              ("consistent but short of power for", verdicts["consistent"].astype(bool)
               & ~verdicts["powered"].astype(bool)),
              ("not shown consistent for", ~verdicts["consistent"].astype(bool))]
    parts = [f"{what} {_join([labels.get(k, k) for k in verdicts.index[m]])}" for what, m in groups if m.any()]
    return (f"The Broadband China design at the national size ({n} cities x {t} years) is " + "; ".join(parts)
            + (f" ({where})" if where else "") + ".")


def absent_sentence(folder) -> str:
    """The note a chapter prints when the study's folder holds no cells."""
    return (f"No Broadband China design cells are stored in `{folder}` yet (`make power-broadband` writes them), so "
            "this section shows no simulated performance of the design.")


def live_sentence(rows: pd.DataFrame, stored_columns: int | None = None) -> str:
    """What a live run of the design's cells proved (twins, cells, columns); its few twins
    measure nothing."""
    cells = rows.groupby(["n_cities", "n_years", "world"]).ngroups
    pairs = rows.groupby("rep")["seed"].nunique()
    txt = (f"The live run computed {len(rows)} SIMULATED twins in {cells} cells "
           f"({', '.join(sorted(rows['world'].unique()))}) through the same Dask runner; "
           f"{int((pairs == 1).sum())} of {len(pairs)} replicates share one seed across the worlds, and every row "
           f"has {len(rows.columns)} columns")
    if stored_columns is not None:
        txt += f", as the stored cells' {stored_columns}"
    return txt + ". Too few twins to measure anything: it proves the pipeline."


# --------------------------------------------------------------------------- the policy chapter
#: Columns of :func:`design_table` the policy chapter shows (its compact table).
CHAPTER_COLUMNS = ("bias (MC SE)", "coverage (MC SE)", "power", "no effect, threshold designation",
                   "no effect, random designation", "pre-trend rejected")


def _largest(perf: pd.DataFrame) -> pd.DataFrame:
    """One row per outcome (``key``): the largest design of ``perf``."""
    return perf.sort_values(["n_cities", "n_years"]).groupby("key", sort=False).tail(1).set_index("key")


def chapter_table(perf: pd.DataFrame, labels: dict | None = None) -> pd.DataFrame:
    """The policy chapter's compact form of :func:`design_table`: per outcome the bias (MC SE),
    coverage (MC SE, ``*`` no coverage claim), power and the rejection rates without an effect
    under threshold and random designation and of the pre-trend test (95% CP intervals)."""
    return design_table(perf, labels)[list(CHAPTER_COLUMNS)]


def chapter_caption(perf: pd.DataFrame, options: dict, *, nominal: float = 0.05) -> str:
    """The caption of :func:`chapter_table`: the stored design (twins per world, cities, years,
    cohorts, the effect world's effect) and the tests' nominal level, all from the arguments
    (``options``: the study's options, :data:`helpers.studies.broadband_study.OPTIONS` updated
    by its ``study.json``)."""
    big = _largest(perf)
    twins = sorted({int(x) for x in big["twins"]})
    n, t = int(big["n_cities"].iloc[0]), int(big["n_years"].iloc[0])
    first = int(options["first_year"])
    sizes, cohorts = [int(s) for s in options["sizes"]], [int(c) for c in options["cohorts"]]
    return (f"The Broadband China design on stored SIMULATED national twins ({_join([str(x) for x in twins])} per world; "
            f"{n} cities, {first}-{first + t - 1}; cohorts of {_join([str(s) for s in sizes])} designated in "
            f"{_join([str(c) for c in cohorts])}; in the effect world each outcome rises by {options['effect_sd']:g} "
            f"cross-section SDs of {min(cohorts) - 1}): bias of the ATT (Monte Carlo SE), coverage of its truth (MC SE; "
            f"* not a coverage claim), power (one-sided), two-sided rejection rates without an effect under threshold "
            f"and random designation and the pre-trend test's rejection rate under threshold designation (nominal "
            f"{nominal:g}), each with its 95% Clopper-Pearson interval.")


def selection_sentence(verdicts: pd.DataFrame, labels: dict, *, nominal: float = 0.05) -> str:
    """What the stored no-effect worlds say about reading the design's estimates (a table of
    :func:`helpers.studies.broadband_study.verdicts`): the two-sided rejection rates under
    threshold and at random designation, and for which outcomes selection on thresholds alone
    produces effects where there are none (the rate's 95% CP interval lies above ``nominal``)."""
    if verdicts.empty:
        return "SIMULATED. The stored Broadband China twins hold no outcome."
    names = {k: labels.get(k, k) for k in verdicts.index}
    thr = [f"{_ci(r['two_sided_confounded_rate'], r['two_sided_confounded_low'], r['two_sided_confounded_high'])} "
           f"for {names[k]}" for k, r in verdicts.iterrows()]
    rnd = [f"{_ci(r['two_sided_null_rate'], r['two_sided_null_low'], r['two_sided_null_high'])} for {names[k]}"
           for k, r in verdicts.iterrows()]
    parts = [f"SIMULATED. Where designation does nothing, designation on thresholds makes the two-sided test reject "
             f"in {_join(thr)}; designation at random, with the same cohort sizes, rejects in {_join(rnd)}."]
    size = verdicts["size"]
    over = [k for k in verdicts.index if size[k] == "over"]
    if over:
        errs = [f"{names[k]} {_pm(verdicts.at[k, 'bias'], verdicts.at[k, 'bias_mcse'])}" for k in over]
        parts.append(f"For {_join([names[k] for k in over])}, selection on the thresholds alone produces effects where "
                     f"there are none (mean error in the outcome's units, MC SE: {'; '.join(errs)}), so there an "
                     "estimate from this design is, on its own, no evidence that designation worked.")
    holds = [names[k] for k in verdicts.index if size[k] == "holds"]
    if holds:
        parts.append(f"For {_join(holds)}, the test keeps its nominal rate under threshold designation too.")
    under = [names[k] for k in verdicts.index if size[k] == "under"]
    if under:
        parts.append(f"For {_join(under)}, it rejects less often than nominal (conservative intervals).")
    lo, hi = verdicts["two_sided_null_low"], verdicts["two_sided_null_high"]
    off = [names[k] for k in verdicts.index if np.isfinite(lo[k]) and not lo[k] <= nominal <= hi[k]]
    if off:
        parts.append(f"Even at random the rate's interval misses the nominal {nominal:g} for {_join(off)}: the "
                     "estimator's own size is off there.")
    elif over:
        parts.append("At random every interval contains the nominal rate: the excess comes from the selection, not "
                     "from the estimator or its standard errors.")
    return " ".join(parts)


def pretrend_sentence(perf: pd.DataFrame, verdicts: pd.DataFrame, labels: dict, *, nominal: float = 0.05) -> str:
    """How often the joint pre-trend test rejects under threshold designation (``pretrend`` of
    :func:`helpers.studies.broadband_study.performance`), and whether it flags the selection
    where the design is not consistent: it does when the rate's 95% CP interval lies above
    ``nominal``; where the interval reaches the nominal rate, passing the test does not clear
    an estimate."""
    big = _largest(perf)
    names = {k: labels.get(k, k) for k in big.index}
    rates = [f"{_ci(r['pretrend_rate'], r['pretrend_low'], r['pretrend_high'])} for {names[k]}"
             for k, r in big.iterrows()]
    parts = [f"SIMULATED. Under threshold designation the joint pre-trend test rejects in {_join(rates)}."]
    over = [k for k in verdicts.index if verdicts.at[k, "size"] == "over" and k in big.index
            and np.isfinite(big.at[k, "pretrend_low"])]
    flags = [names[k] for k in over if big.at[k, "pretrend_low"] > nominal]
    blind = [names[k] for k in over if big.at[k, "pretrend_low"] <= nominal]
    if flags:
        parts.append(f"For {_join(flags)}, it rejects more often than its nominal {nominal:g}: there it flags the "
                     "selection.")
    if blind:
        parts.append(f"For {_join(blind)}, its interval reaches the nominal {nominal:g} although the design is biased "
                     "there: a pre-trend test that passes does not clear an estimate of "
                     f"{'it' if len(blind) == 1 else 'them'}.")
    return " ".join(parts)


def twin_brief(verdicts: pd.DataFrame | None, labels: dict, *, where: str = "", nominal: float = 0.05) -> str:
    """The policy chapter's closing line on the stored twins: the two-sided rejection rates
    without an effect under threshold and random designation, and the outcomes the design is
    not shown consistent for (``where`` names the table); ``verdicts`` None: no stored twins."""
    if verdicts is None:
        return "SIMULATED. No stored twins check this design yet (`make power-broadband` writes them)."
    names = {k: labels.get(k, k) for k in verdicts.index}
    thr = "; ".join(f"{names[k]} {r['two_sided_confounded_rate']:.2f}" for k, r in verdicts.iterrows())
    rnd = "; ".join(f"{r['two_sided_null_rate']:.2f}" for _, r in verdicts.iterrows())
    bad = [names[k] for k in verdicts.index if not bool(verdicts.at[k, "consistent"])]
    tail = (f"so the design is not shown consistent for {_join(bad)}" if bad else
            "so the design keeps its size for every outcome")
    return (f"SIMULATED. On the stored national twins where designation does nothing, the two-sided test rejects "
            f"under threshold designation in {thr} (at random: {rnd}, in the same order; nominal {nominal:g}"
            + (f"; {where}" if where else "") + f"), {tail}.")


def absent_twin_sentence(folder) -> str:
    """The policy chapter's note when the design study's folder holds no cells."""
    return (f"SIMULATED twins of this design: none stored in `{folder}` yet (`make power-broadband` writes them), so "
            "this chapter shows no simulated check of its design.")
