"""Figure geometry of issue 23: widths legible at column width, labels that do not collide, axes
that show their data.

A figure is shown in the book's 660 px text column; its smallest text (``MIN_FONT`` points at
100 dpi) renders at ``MIN_FONT * 100/72 * 660 / width_px`` px, at least 9 px when the saved
figure is at most ``MAX_WIDTH_PX`` = 916 px wide. Each test draws the figure a chapter draws,
saves it as the notebook does (tight bounding box) and measures it.
"""

from __future__ import annotations

import io
import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from helpers import data as _data
from helpers.book import broadband_plots, plots

MAX_WIDTH_PX = plots.MIN_FONT * 100 / 72 * 660 / 9.0   # 916.7 px: 9 pt text at 9 px


def _saved_width_px(fig) -> int:
    """Width of the PNG the inline backend writes (100 dpi, tight bounding box)."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return Image.open(io.BytesIO(buf.getvalue())).size[0]


def _power_long(measures, top=0.98):
    """A design-study table: shares rising in N up to ``top``, one series per T."""
    rows = []
    for k, m in enumerate(measures):
        for t in (5, 10):
            for j, n in enumerate((21, 42, 84, 168)):
                rows.append({"world": "null", "measure": m, "n_years": t, "n_cities": n,
                             "share": top * (j + 1) / 4 * (1 - 0.01 * k), "mc_se": 0.005})
    return pd.DataFrame(rows)


def _label_boxes(fig):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    names = set(_data.city_table().index)
    texts = [t for t in fig.axes[0].texts if t.get_text() in names]
    return {t.get_text(): t.get_bbox_patch().get_window_extent(r) for t in texts}


@pytest.mark.parametrize("draw", ["region", "city", "stacked"])
def test_map_labels_do_not_overlap(draw):
    """No two city names collide ("Dongguanizhou" of issue 23): every pair of label boxes is
    disjoint, on the region map, on a labelled choropleth at its default size and on the
    smallest map the book labels (the top one of Chapter 7's three stacked gain maps)."""
    v = pd.Series(np.arange(21.0), index=_data.city_table().index)
    if draw == "region":
        fig = plots.region_map()
    elif draw == "city":
        fig = plots.city_map(v, annotate=True, simulated=False)
    else:
        fig, axes = plt.subplots(3, 1, figsize=(7.5, 13.8))
        for ax in axes:
            plots.city_map(v, ax=ax, annotate=True, simulated=False, title="a map")
    boxes = _label_boxes(fig)
    plt.close(fig)
    assert len(boxes) == 21
    clashes = [(a, b) for a, b in itertools.combinations(boxes, 2) if boxes[a].overlaps(boxes[b])]
    assert clashes == []


def test_power_grid_is_column_width_and_shows_every_rate():
    """Twenty panels wrap into rows of three, under the width limit; ``ylim=None`` sets the
    axis from the data, so a false-positive rate of 0.98 is inside it (Fig 8.3 stopped at 0.5)."""
    measures = [f"m{k}" for k in range(20)]
    long = _power_long(measures)
    fig = plots.plot_power(long, measures, world="null", target=0.05, ylim=None)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 20
    assert fig.axes[0].get_gridspec().ncols == 3
    top = float((long["share"] + 2 * long["mc_se"]).max())
    assert fig.axes[0].get_ylim()[1] >= top
    assert _saved_width_px(fig) <= MAX_WIDTH_PX


def test_cost_plot_log_axis_has_several_ticks():
    """Seconds within one decade still get more than one labelled tick (Fig 8.4 had one)."""
    bench = pd.DataFrame({"n_cities": [21, 42, 84, 21, 42, 84], "n_years": [5, 5, 5, 10, 10, 10],
                          "seconds": [0.25, 0.4, 0.7, 0.3, 0.5, 0.9]})
    fig = plots.plot_cost(bench)
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    ticks = [t for t in ax.get_yticks() if lo <= t <= hi]
    plt.close(fig)
    assert len(ticks) >= 2


@pytest.mark.parametrize("n", [3, 4, 6])
def test_broadband_grid_is_column_width(n):
    """The Broadband China panels (event studies, honest bounds, placebos) wrap at two a row."""
    fig, axes = broadband_plots._grid(n)
    for ax in list(axes)[:n]:
        ax.plot([0, 1], [0, 1])
        ax.set_title("a two-line panel title\nof the event-study figure", fontsize=plots.MIN_FONT)
        ax.set_xlabel("years since designation", fontsize=plots.MIN_FONT)
    fig.tight_layout()
    assert _saved_width_px(fig) <= MAX_WIDTH_PX


def test_estimates_vs_truth_is_column_width():
    """The forest plot of Chapter 4 with its long row labels stays under the width limit."""
    c = pd.DataFrame({"quantity": ["spillover onto neighbours (SAR rho x effect), long label",
                                   "mediation through factor flows", "threshold regime above"],
                      "estimate": [0.3, 0.1, -0.2], "ci_low": [0.1, -0.1, -0.5],
                      "ci_high": [0.5, 0.3, 0.1], "true": [0.31, 0.12, -0.1]})
    fig = plots.estimates_vs_truth(c, simulated=True)
    assert _saved_width_px(fig) <= MAX_WIDTH_PX
