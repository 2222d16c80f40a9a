r"""Sentences that read the theory chapter's exhibits: the counterfactual paths (Figure 2.3) and
the twin's own effect against its spillover.

Every number is taken from the objects the exhibits show and formatted here once, so the text
cannot drift from the figure or the table. Everything described is SIMULATED (the twin).

Own effect and spillover: the twin's ``total`` effect is the change in a city's synergy (SD of
synergy) when its virtual agglomeration rises by one SD; ``spillover`` sums the change in all
*other* cities (:func:`helpers.simulate.simulate_panel`). Their ratio and the city's share of
the province-wide gain, own / (own + spillover), say how much of what a city's platforms do a
city sees when it looks at itself alone; an externality of this kind is why local returns can
understate social returns (Katz and Shapiro 1985; Jaffe et al. 1993).
"""

from __future__ import annotations

import pandas as pd

#: The scenario every counterfactual path is compared with (helpers.simulate.compare_scenarios).
BASELINE = "default"


def path_gaps(paths: pd.DataFrame, baseline: str = BASELINE) -> pd.DataFrame:
    """Gap of each scenario's regional mean path to the baseline's, first and last year.

    Parameters
    ----------
    paths : DataFrame
        :func:`helpers.simulate.compare_scenarios` output: ``scenario``, ``region``, ``year``,
        ``value``.
    baseline : str
        Name of the reference scenario.

    Returns
    -------
    DataFrame
        One row per (scenario, region) other than the baseline: ``first`` and ``last`` gap
        (scenario minus baseline) in the first and last year.

    >>> p = pd.DataFrame({"scenario": ["default"] * 2 + ["x"] * 2, "region": ["PRD"] * 4,
    ...                   "year": [2011, 2012] * 2, "value": [1.0, 2.0, 1.0, 1.5]})
    >>> path_gaps(p).round(2).to_dict("records")
    [{'scenario': 'x', 'region': 'PRD', 'first': 0.0, 'last': -0.5}]
    """
    need = {"scenario", "region", "year", "value"}
    missing = need - set(paths.columns)
    if missing:
        raise ValueError(f"paths lacks column(s) {sorted(missing)} (expected compare_scenarios output)")
    if baseline not in set(paths["scenario"]):
        raise ValueError(f"paths has no baseline scenario {baseline!r}; scenarios: "
                         f"{sorted(set(paths['scenario']))}")
    wide = paths.pivot_table(index=["region", "year"], columns="scenario", values="value")
    first, last = paths["year"].min(), paths["year"].max()
    rows = []
    for name in dict.fromkeys(paths["scenario"]):
        if name == baseline:
            continue
        gap = (wide[name] - wide[baseline]).unstack("year")
        for region, g in gap.iterrows():
            rows.append({"scenario": name, "region": region, "first": g[first], "last": g[last]})
    return pd.DataFrame(rows, columns=["scenario", "region", "first", "last"])


def counterfactual_sentences(paths: pd.DataFrame, region_names: dict | None = None,
                             baseline: str = BASELINE, digits: int = 2) -> str:
    """What the counterfactual paths show, scenario by scenario: the gap to the baseline in the
    last year, on average over regions and where it is largest and smallest, and whether the
    paths start together.

    >>> p = pd.DataFrame({"scenario": ["default"] * 4 + ["no phi"] * 4,
    ...                   "region": ["PRD", "PRD", "North", "North"] * 2,
    ...                   "year": [2011, 2023] * 4, "value": [0, 1, 0, 0.5, 0, 0.4, 0, 0.3]})
    >>> print(counterfactual_sentences(p))  # doctest: +NORMALIZE_WHITESPACE
    In 2011 the paths start together (largest gap 0.00). By 2023, under "no phi" latent synergy
    is 0.40 lower than in the default twin on average over the regions (a gap of 0.00 in 2011),
    from 0.60 lower in PRD to 0.20 lower in North.
    """
    gaps = path_gaps(paths, baseline)
    names = region_names or {}
    first, last = int(paths["year"].min()), int(paths["year"].max())
    fmt = f"{{:.{digits}f}}"

    def size(x):
        return f"{fmt.format(abs(x))} {'lower' if x < 0 else 'higher'}"

    start = gaps["first"].abs().max()
    together = ("start together" if round(start, digits) == 0 else "already differ")
    out = [f"In {first} the paths {together} (largest gap {fmt.format(start)})."]
    for name, g in gaps.groupby("scenario", sort=False):
        lo, hi = g.loc[g["last"].idxmin()], g.loc[g["last"].idxmax()]
        out.append(f"By {last}, under \"{name}\" latent synergy is {size(g['last'].mean())} than in "
                   f"the {baseline} twin on average over the regions (a gap of "
                   f"{fmt.format(abs(g['first'].mean()))} in {first}), from {size(lo['last'])} in "
                   f"{names.get(lo['region'], lo['region'])} to {size(hi['last'])} in "
                   f"{names.get(hi['region'], hi['region'])}.")
    return " ".join(out)


def spillover_sentence(effects: pd.DataFrame, digits: int = 3) -> str:
    """Own effect against spillover, from ``TwinTruth.effects`` (column ``std``, rows ``total``
    and ``spillover``): which is larger, their ratio and the city's share of the province-wide
    gain.

    >>> e = pd.DataFrame({"std": [0.306, 0.339]}, index=["total", "spillover"])
    >>> print(spillover_sentence(e))  # doctest: +NORMALIZE_WHITESPACE
    The spillover exceeds the own effect: the other cities together gain 0.339 SD of synergy,
    1.11 times the city's own 0.306 SD, so the city itself sees 47% of the province-wide gain
    of its virtual agglomeration.
    """
    for row in ("total", "spillover"):
        if row not in effects.index:
            raise ValueError(f"effects has no row {row!r}; rows: {list(effects.index)}")
    if "std" not in effects.columns:
        raise ValueError(f"effects has no column 'std'; columns: {list(effects.columns)}")
    own, spill = float(effects.loc["total", "std"]), float(effects.loc["spillover", "std"])
    if own <= 0:
        raise ValueError(f"own effect {own} is not positive: a share of the gain is undefined")
    f = f"{{:.{digits}f}}"
    verb = ("exceeds" if spill > own else "is smaller than" if spill < own else "equals")
    share = own / (own + spill) if own + spill > 0 else float("nan")
    return (f"The spillover {verb} the own effect: the other cities together gain "
            f"{f.format(spill)} SD of synergy, {spill / own:.2f} times the city's own "
            f"{f.format(own)} SD, so the city itself sees {share:.0%} of the province-wide gain of "
            f"its virtual agglomeration.")


def lead_gaps(paths: pd.DataFrame, lead: str = "PRD") -> pd.Series:
    """Last-year lead of one region over the mean of the others, by scenario.

    >>> p = pd.DataFrame({"scenario": ["default"] * 3, "region": ["PRD", "East", "West"],
    ...                   "year": [2023] * 3, "value": [3.0, 1.0, 2.0]})
    >>> lead_gaps(p).to_dict()
    {'default': 1.5}
    """
    if lead not in set(paths["region"]):
        raise ValueError(f"paths has no region {lead!r}; regions: {sorted(set(paths['region']))}")
    last = paths[paths["year"] == paths["year"].max()]
    out = {}
    for name, g in last.groupby("scenario", sort=False):
        v = g.set_index("region")["value"]
        out[name] = float(v[lead] - v.drop(lead).mean())
    return pd.Series(out, name="lead")


def lead_gap_sentence(paths: pd.DataFrame, lead: str = "PRD", region_names: dict | None = None,
                      baseline: str = BASELINE, digits: int = 2) -> str:
    """How each channel moves the lead of ``lead`` over the other regions in the last year: a
    channel switched off in a scenario *widens* the lead when the lead is smaller without it.

    >>> p = pd.DataFrame({"scenario": ["default"] * 2 + ["no phi"] * 2, "region": ["PRD", "East"] * 2,
    ...                   "year": [2023] * 4, "value": [3.0, 1.0, 2.0, 0.5]})
    >>> print(lead_gap_sentence(p, region_names={"PRD": "the Delta"}))  # doctest: +NORMALIZE_WHITESPACE
    In 2023 the Delta leads the mean of the other regions by 2.00 in the default twin and by 1.50
    under "no phi": the channel switched off there widens the lead by 0.50.
    """
    gaps = lead_gaps(paths, lead)
    if baseline not in gaps.index:
        raise ValueError(f"paths has no baseline scenario {baseline!r}")
    name = (region_names or {}).get(lead, lead)
    f = f"{{:.{digits}f}}"
    base = gaps[baseline]
    others = gaps.drop(baseline)
    listed = " and ".join(f"by {f.format(v)} under \"{k}\"" for k, v in others.items())

    def change(where, v):
        verb = "widens" if base > v else "narrows"
        return f"the channel switched off {where} {verb} the lead by {f.format(abs(base - v))}"

    if len(others) == 1:
        effects = change("there", others.iloc[0])
    else:
        effects = "; ".join(change(f"under \"{k}\"", v) for k, v in others.items())
    return (f"In {int(paths['year'].max())} {name} leads the mean of the other regions by "
            f"{f.format(base)} in the {baseline} twin and {listed}: {effects}.")
