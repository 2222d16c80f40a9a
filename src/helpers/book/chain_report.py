"""Words and pictures of the chapter on chain synergy: sentences generated from the numbers of
:mod:`helpers.analysis.chain`, and the histogram of a measure against the nation (real data)."""

from __future__ import annotations

import pandas as pd

from helpers.analysis.chain import label


def _ci_sentence(r) -> str:
    lo, hi = r["ci_low"], r["ci_high"]
    what = f"{label(r['outcome'])} on {label(r['proxy'])}"
    if lo <= 0 <= hi:
        return (f"{what}: {r['beta']:+.3f} SD per SD (95% CI {lo:+.3f} to {hi:+.3f}), "
                f"indistinguishable from zero; the interval rules out within-city associations "
                f"below {lo:+.3f} or above {hi:+.3f} SD per SD")
    sign = "positive" if r["beta"] > 0 else "negative"
    return (f"{what}: {r['beta']:+.3f} SD per SD (95% CI {lo:+.3f} to {hi:+.3f}), {sign}")


def chain_sentences(summary: pd.DataFrame, assoc: pd.DataFrame, *, year: int, table_year: int,
                    n_national: int, rho_cluster: float, rho_manuf: float,
                    first: int, last: int, n_slopes: int | None = None,
                    n_significant: int = 0, cluster: pd.DataFrame | None = None) -> list[str]:
    """The chapter's closing sentences, generated from its numbers (real data).

    Parameters
    ----------
    summary : DataFrame
        :func:`guangdong_summary` of the year ``year``.
    assoc : DataFrame
        :func:`within_city_associations` over ``first``-``last``.
    n_national : int
        Cities in the national distribution of ``year``.
    rho_cluster, rho_manuf : float
        Rank correlations, across cities in ``year``, of IO-weighted co-agglomeration with the
        cluster-synergy index and with the manufacturing share of employment.
    n_slopes, n_significant : int
        How many slopes were estimated in all, and how many have intervals excluding zero
        (a count of the multiple comparisons; ``None`` leaves the sentence out).
    cluster : DataFrame or None
        :func:`within_city_associations` of IO-weighted co-agglomeration on cluster synergy
        (and the manufacturing share), reported before the proxies.
    """
    out = []
    for _, s in summary.iterrows():
        out.append(
            f"In {year} (coefficients of the {table_year} table), {s['n_above_median']} of "
            f"Guangdong's {s['n_cities']} cities lie above the national median of "
            f"{label(s['measure'])} ({n_national} cities); their median "
            f"percentile is {s['median_pctile']:.0f}, from {s['bottom_city']} "
            f"({s['bottom_pctile']:.0f}) to {s['top_city']} ({s['top_pctile']:.0f}).")
    out.append(
        f"Across cities in {year}, IO-weighted co-agglomeration has a rank correlation of "
        f"{rho_cluster:+.2f} with cluster synergy (manufacturing-producer-services "
        f"co-agglomeration) and {rho_manuf:+.2f} with the manufacturing share of employment.")
    for _, r in (cluster if cluster is not None else pd.DataFrame()).iterrows():
        out.append(f"Within cities, {first}-{last} (city and year effects, clustered by city): "
                   f"{_ci_sentence(r)}.")
    if n_slopes is not None:
        out.append(f"Of all {n_slopes} within-city slopes (four measures, three proxies), "
                   f"{n_significant} {'has' if n_significant == 1 else 'have'} a 95% interval "
                   f"that excludes zero; chance alone would "
                   f"give about {0.05 * n_slopes:.1f}.")
    for _, r in assoc.iterrows():
        out.append(f"Within cities, {first}-{last}, with city and year effects and errors "
                   f"clustered by city ({int(r['n_cities'])} cities, {int(r['nobs'])} "
                   f"city-years): {_ci_sentence(r)}.")
    return out


def plot_against_nation(df: pd.DataFrame, measure: str, mask: pd.Series, *, ax=None,
                        group="Guangdong", bins=40):
    """Histogram of a measure across all cities, with the cities of ``mask`` as ticks (rug).

    Returns the matplotlib axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    ax.hist(df[measure].dropna(), bins=bins, color="0.75", label="all cities")
    sel = df.loc[mask.reindex(df.index, fill_value=False).to_numpy(), measure].dropna()
    top = ax.get_ylim()[1]
    ax.vlines(sel, 0, 0.25 * top, color="C3", lw=1.5, label=f"{group} ({sel.size} cities)")
    ax.axvline(df[measure].median(), color="k", ls="--", lw=1, label="national median")
    ax.set_xlabel(label(measure))
    ax.set_ylabel("cities")
    ax.legend(frameon=False, fontsize=9)   # helpers.book.plots.MIN_FONT: legible at column width
    return ax


def variant_sentences(table: pd.DataFrame, *, province="Guangdong") -> list[str]:
    """One sentence per measure on how much the judgement calls move the province's position.

    ``table`` is :func:`variant_summary`; its first variant is the baseline.
    """
    out = []
    for m, g in table.groupby("measure", sort=False):
        base = g.iloc[0]
        lo, hi = int(g["n_above_median"].min()), int(g["n_above_median"].max())
        far = g.iloc[(g["n_above_median"] - base["n_above_median"]).abs().argmax()]
        n = f"{province}'s {int(base['n_cities'])} cities"
        count = (f"{lo} of {n} lie above the national median in each of the {len(g)} variants"
                 if lo == hi else
                 f"between {lo} and {hi} of {n} lie above the national median, depending on "
                 f"which of the {len(g)} variants is used")
        text = (f"{m[0].upper()}{m[1:]}: {count} (median percentile "
                f"{g['median_pctile'].min():.0f} to {g['median_pctile'].max():.0f})")
        if far["n_above_median"] != base["n_above_median"]:
            text += (f"; the largest change from the baseline's {int(base['n_above_median'])} "
                     f"comes with the variant '{far['variant']}' ({int(far['n_above_median'])})")
        out.append(text + ".")
    return out
