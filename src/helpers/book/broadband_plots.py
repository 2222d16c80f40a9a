"""Figures of the Broadband China chapter (real data: no simulated stamp; sources in captions).

Each function takes the tables of :mod:`helpers.analysis.broadband` and returns a matplotlib Figure.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator
from scipy import stats

from ..analysis.broadband import OUTCOMES
from .plots import MIN_FONT

GD = "#b2182b"
OTHER = "#7f7f7f"
SOURCE = ("Real data: China City Statistical Yearbook, city accounts, MIIT/NDRC Broadband China "
          "lists; Callaway-Sant'Anna, never-designated controls")


def _title(text: str) -> str:
    return textwrap.fill(text, 38)


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _grid(n: int, ncol: int = 2, size=(4.2, 2.9)):
    # two panels a row: 8.4 in keeps 9 pt text at 9 px or more in the 660 px text column
    nrow = int(np.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(size[0] * ncol, size[1] * nrow), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def _tight(fig):
    """Tight layout below the suptitle (0.45 in kept for it, whatever the figure's height)."""
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))


def event_studies(fits: dict, outcomes, sample_name: str, level: float = 0.95):
    """One panel per outcome: effects by event time with pointwise intervals at ``level``;
    the title carries the joint pre-trend test (chi-square Wald, p)."""
    outcomes = [y for y in outcomes if (y, sample_name) in fits]
    fig, axes = _grid(len(outcomes))
    z = stats.norm.ppf(0.5 + level / 2)
    for ax, y in zip(axes, outcomes, strict=False):
        es = fits[(y, sample_name)].event_study
        e = es.params.index.to_numpy()
        b, se = es.params.to_numpy(), es.std_errors.to_numpy()
        pre = e < 0
        ax.axvspan(e.min() - 0.5, -0.5, color="#eeeeee", zorder=0)
        ax.axhline(0, color="black", lw=0.8)
        for mask, col in ((pre, OTHER), (~pre, "#2166ac")):
            ax.errorbar(e[mask], b[mask], yerr=z * np.nan_to_num(se[mask]), fmt="o", ms=3,
                        color=col, capsize=2, lw=1)
        ax.set_title(f"{_title(OUTCOMES[y][0])}\npre-trend {_p(es.pretrend_p)}", fontsize=MIN_FONT)
        ax.set_xlabel("years since designation", fontsize=MIN_FONT)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=MIN_FONT)
    fig.suptitle(f"Event studies, {sample_name} (reference year e = -1; {level:.0%} intervals)",
                 fontsize=MIN_FONT + 2)
    _tight(fig)
    return fig


def honest_figure(honest: pd.DataFrame):
    """Robust intervals of the average post-period effect against the relative-magnitudes bound
    M (post-period violations at most M times the largest pre-period one)."""
    outcomes = list(dict.fromkeys(honest["outcome"]))
    fig, axes = _grid(len(outcomes))
    for ax, y in zip(axes, outcomes, strict=False):
        h = honest[honest["outcome"] == y]
        ax.fill_between(h["M"], h["ci_lb"], h["ci_ub"], color="#92c5de", label="robust interval")
        ax.fill_between(h["M"], h["lb"], h["ub"], color="#2166ac", label="identified set")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(_title(OUTCOMES[y][0]), fontsize=MIN_FONT)
        ax.set_xlabel("M (relative magnitude)", fontsize=MIN_FONT)
        ax.tick_params(labelsize=MIN_FONT)
    axes[0].legend(fontsize=MIN_FONT, loc="best")
    fig.suptitle("Sensitivity to violations of parallel trends (Rambachan & Roth 2023)",
                 fontsize=MIN_FONT + 2)
    _tight(fig)
    return fig


def randomization_figure(ri_results: list[dict]):
    """Placebo distributions of the overall ATT (cohort sizes kept) with the real estimate."""
    fig, axes = _grid(len(ri_results))
    for ax, ri in zip(axes, ri_results, strict=False):
        ax.hist(ri["draws"], bins=30, color="#bababa")
        ax.axvline(ri["att"], color=GD, lw=2)
        ax.set_xlabel("overall effect (ATT)", fontsize=MIN_FONT)
        ax.set_title(f"{_title(OUTCOMES[ri['outcome']][0])}\nrank {ri['rank']} of "
                     f"{ri['n_placebo'] + 1}, {_p(ri['p'])}", fontsize=MIN_FONT)
        ax.tick_params(labelsize=MIN_FONT)
    fig.suptitle("Randomization inference: real estimate (red) among placebo designations",
                 fontsize=MIN_FONT + 2)
    _tight(fig)
    return fig


def city_effects_figure(effects: pd.DataFrame, label: str):
    """Every designated city's own effect by cohort; Guangdong's cities in red and named."""
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    rng = np.random.default_rng(0)  # horizontal jitter only, fixed for reproducible output
    gd = effects["province"] == "Guangdong"
    x = effects["cohort"] + rng.uniform(-0.18, 0.18, len(effects))
    ax.scatter(x[~gd], effects.loc[~gd, "effect"], s=14, color=OTHER, label="other cities")
    ax.scatter(x[gd], effects.loc[gd, "effect"], s=30, color=GD, label="Guangdong")
    for k, (xi, (_, r)) in enumerate(zip(x[gd], effects[gd].iterrows(), strict=False)):
        ax.annotate(r["city"], (xi, r["effect"]), fontsize=MIN_FONT, color=GD,
                    xytext=(6, 4 if k % 2 == 0 else -11), textcoords="offset points")
    for g, sub in effects.groupby("cohort"):
        ax.hlines(sub["effect"].mean(), g - 0.3, g + 0.3, color="black", lw=1.5)
    ax.axhline(0, color="black", lw=0.6, ls=":")
    ax.set_xticks(sorted(effects["cohort"].unique()))
    ax.set_xlabel("designation cohort (black bar: cohort mean)", fontsize=MIN_FONT)
    ax.set_ylabel(f"city effect on {label}", fontsize=MIN_FONT)
    ax.tick_params(labelsize=MIN_FONT)
    ax.legend(fontsize=MIN_FONT, loc="best")
    fig.tight_layout()
    return fig

