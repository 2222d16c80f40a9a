"""Figures for the policy-scenario chapter: fan charts, gain maps and the budget frontier.

Kept apart from :mod:`helpers.book.plots` (which draws the other chapters' figures); every figure
here draws simulated numbers and carries the simulated-data stamp of :func:`helpers.book.plots.stamp`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..scenarios import BudgetResult, ScenarioResult
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
    fig.suptitle(f"Policy scenarios minus baseline: median, 50% and 90% bands over "
                 f"{len(res.parameters)} parameter draws", fontsize=10)
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
