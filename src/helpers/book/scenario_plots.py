"""Figures for the policy-scenario chapter: fan charts, gain maps, the budget frontier, the budget
ratio over seeds and draws, and the after-effect of a temporary subsidy under persistence.

Kept apart from :mod:`helpers.book.plots` (which draws the other chapters' figures); every figure
here draws simulated numbers and carries the simulated-data stamp of :func:`helpers.book.plots.stamp`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..scenarios import BudgetDistribution, BudgetResult, ScenarioResult
from . import plots as _plots
from .scenario_sentences import MEASURE_LABELS

_COLOURS = plt.get_cmap("tab10").colors


def fan_chart(res: ScenarioResult, measures=("mean_SY", "gap_SY", "theil_between"), scenarios=None,
              from_year: int | None = None):
    """Effect of each scenario (minus the baseline, same draw) over time: median line, 50% and
    90% bands over parameter draws; one panel per measure. SIMULATED."""
    scenarios = [s for s in (scenarios or res.scenarios) if s != "baseline"]
    b = res.bands.reset_index()
    if from_year is not None:
        b = b[b["year"] >= from_year]
    ncol = min(2, len(measures))   # two panels a row: at most 9 in wide, legible at column width
    nrow = int(np.ceil(len(measures) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.3 * ncol, 3.3 * nrow), squeeze=False)
    for ax, m in zip(axes.flat, measures):
        for k, sc in enumerate(scenarios):
            d = b[(b["scenario"] == sc) & (b["measure"] == m)]
            c = _COLOURS[k % len(_COLOURS)]
            ax.fill_between(d["year"], d["q05"], d["q95"], color=c, alpha=0.12, lw=0)
            ax.fill_between(d["year"], d["q25"], d["q75"], color=c, alpha=0.3, lw=0)
            ax.plot(d["year"], d["median"], color=c, lw=1.6, label=sc)
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_title(f"effect on {MEASURE_LABELS[m]}", fontsize=10)
        ax.set_xlabel("year")
    spare = list(axes.flat[len(measures):])
    for ax in spare:
        ax.set_axis_off()
    handles, names = axes[0][0].get_legend_handles_labels()
    if spare:   # the legend in the empty slot, clear of the bands
        spare[0].legend(handles, names, fontsize=_plots.MIN_FONT, loc="center", title="scenario")
    else:
        axes[0][0].legend(fontsize=_plots.MIN_FONT, loc="upper left")
    fig.suptitle(f"Policy scenarios minus baseline: median, 50% and 90% bands over {res.n_runs} runs "
                 f"({len(res.parameters)} parameter draws x {len(res.seeds)} twin seeds)", fontsize=10)
    fig.tight_layout()
    _plots.stamp(fig, True)
    return fig


def gain_maps(budget: BudgetResult, allocations=("uniform", "max_synergy", "max_gap_cut")):
    """Who gains: change in each city's synergy in the horizon year per allocation of the
    budget, on a common colour scale. SIMULATED."""
    g = budget.gains[list(allocations)]
    vmin, vmax = float(min(0.0, g.min().min())), float(g.max().max())
    # one labelled map a row: 7.5 in wide (legible at column width) and room for the city names
    fig, axes = plt.subplots(len(allocations), 1, figsize=(7.5, 4.6 * len(allocations)), squeeze=False)
    for ax, a in zip(axes.flat, allocations):
        _plots.city_map(g[a], ax=ax, cmap="viridis", title=f"{a}: synergy gain {g[a].sum():.2f} in total",
                        label="change in synergy", simulated=False, vmin=vmin, vmax=vmax, annotate=True)
    _plots.stamp(fig, True)
    return fig


def frontier_plot(budget: BudgetResult, ax=None):
    """Total synergy gain against the cut in the Delta-rest gap: the frontier of targeted
    allocations and the uniform one. SIMULATED."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(5.6, 4.0))
    f = budget.frontier
    ax.plot(f["gap_cut"], f["synergy"], "o-", color="#1b7837", label="targeted (frontier)")
    o = budget.outcomes
    for name, marker in (("uniform", "s"), ("max_synergy", "^"), ("max_gap_cut", "v")):
        ax.plot(o.at[name, "gap_cut"], o.at[name, "synergy"], marker, ms=8, label=name)
    ax.set_xlabel("cut in the Delta-rest synergy gap")
    ax.set_ylabel("total synergy gain (sum over cities)")
    ax.set_title("One subsidy budget: synergy against disparity", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    _plots.stamp(fig, True)
    return fig


def budget_ratio_plot(dist: BudgetDistribution, ax=None):
    """Budget ratio (targeted / uniform synergy gain) of every run, per objective weighting, with
    the median and 90% band over seeds x parameter draws. SIMULATED."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.4, 3.4))
    r = dist.runs
    weightings = list(r["weighting"].unique())
    rng = np.random.default_rng(0)   # jitter only
    for k, w in enumerate(weightings):
        for draw_kind, marker, label in ((r["draw"] >= 0, "o", "parameter draw"), (r["draw"] == -1, "s", "defaults")):
            v = r.loc[(r["weighting"] == w) & draw_kind, "ratio"]
            ax.plot(v, k + 0.12 * rng.uniform(-1, 1, len(v)), marker, ms=4, alpha=0.6, color=_COLOURS[k],
                    mfc="none" if marker == "s" else _COLOURS[k], label=label if k == 0 else None)
        b = dist.bands().loc[(w, "seeds x parameter draws")]
        ax.plot([b["q05"], b["q95"]], [k + 0.3, k + 0.3], color="black", lw=2)
        ax.plot(b["median"], k + 0.3, "|", color="black", ms=12)
    ax.axvline(1.0, color="grey", lw=0.6)
    ax.set_yticks(range(len(weightings)), [f"{w}\nobjective" for w in weightings])
    ax.set_xlabel("targeted gain / uniform gain")
    ax.set_title(f"Budget ratio over {len(dist.seeds)} twin seeds x (defaults + {len(dist.parameters)} draws); "
                 "bar: 90% band", fontsize=9)
    ax.set_ylim(-0.5, len(weightings) - 0.1)
    ax.legend(fontsize=_plots.MIN_FONT, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="run")
    fig.tight_layout()
    _plots.stamp(fig, True)
    return fig


def after_effect_plot(table, ax=None):
    """Effect of a temporary subsidy on mean participation by year, one line per persistence. SIMULATED."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(5.6, 3.6))
    for k, (lam, g) in enumerate(table.groupby("persistence")):
        ax.plot(g["year"], g["effect"], "o-", ms=3, color=_COLOURS[k], label=f"lambda = {lam:g}")
    ax.axvspan(table.attrs["end"] + 0.5, table["year"].max() + 0.5, color="grey", alpha=0.12, lw=0)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xlabel("year (shaded: after the subsidy ends)")
    ax.set_ylabel("effect on mean participation")
    ax.set_title("A three-year subsidy under adoption with persistence", fontsize=10)
    ax.legend(fontsize=_plots.MIN_FONT, title="persistence")
    fig.tight_layout()
    _plots.stamp(fig, True)
    return fig
