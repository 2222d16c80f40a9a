"""Sentences reading the theory chapter's exhibits (helpers.book.theory_sentences)."""

import re

import numpy as np
import pandas as pd
import pytest

from helpers.book.theory_sentences import (
    counterfactual_sentences,
    lead_gap_sentence,
    lead_gaps,
    path_gaps,
    spillover_sentence,
)


def _paths():
    """Two regions, 2011-2015; 'slow' loses 0.1 per year in PRD and 0.05 in North (closed form)."""
    years = np.arange(2011, 2016)
    rows = []
    for region, loss in (("PRD", 0.10), ("North", 0.05)):
        for y in years:
            base = 0.2 * (y - 2011)
            rows.append(("default", region, y, base))
            rows.append(("slow", region, y, base - loss * (y - 2011)))
    return pd.DataFrame(rows, columns=["scenario", "region", "year", "value"])


def test_path_gaps_are_the_closed_form_differences():
    g = path_gaps(_paths()).set_index("region")
    assert set(g["scenario"]) == {"slow"}
    assert g.loc["PRD", "last"] == pytest.approx(-0.4)
    assert g.loc["North", "last"] == pytest.approx(-0.2)
    assert g["first"].abs().max() == pytest.approx(0.0)


def test_counterfactual_sentence_quotes_the_gaps():
    text = counterfactual_sentences(_paths(), region_names={"PRD": "the Pearl River Delta"})
    assert "In 2011 the paths start together" in text
    # mean of -0.4 and -0.2, then the largest and smallest loss by region
    assert 'By 2015, under "slow" latent synergy is 0.30 lower than in the default twin on average over the regions (a gap of 0.00 in 2011)' in text
    assert "from 0.40 lower in the Pearl River Delta to 0.20 lower in North" in text


def test_paths_without_a_baseline_are_refused_by_name():
    p = _paths()
    with pytest.raises(ValueError, match="no baseline scenario 'default'"):
        path_gaps(p[p["scenario"] != "default"])
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['value'\]"):
        path_gaps(p.drop(columns="value"))


def test_spillover_sentence_from_the_twin_truth(twin):
    _, truth = twin
    e = truth.effects
    text = spillover_sentence(e)
    own, spill = e.loc["total", "std"], e.loc["spillover", "std"]
    assert f"{spill:.3f} SD" in text and f"own {own:.3f} SD" in text
    assert f"{spill / own:.2f} times" in text
    share = int(re.search(r"sees (\d+)%", text).group(1))
    assert share == round(100 * own / (own + spill))
    assert ("exceeds" in text) == (spill > own)


def test_spillover_sentence_when_the_spillover_is_smaller():
    e = pd.DataFrame({"std": [0.5, 0.1]}, index=["total", "spillover"])
    assert spillover_sentence(e).startswith("The spillover is smaller than the own effect")
    assert "sees 83% of" in spillover_sentence(e)
    with pytest.raises(ValueError, match="no row 'spillover'"):
        spillover_sentence(e.drop(index="spillover"))


def test_lead_gaps_and_sentence_quote_the_last_year_differences():
    p = _paths()
    # 2015: default PRD 0.8, North 0.8 -> lead 0; slow PRD 0.4, North 0.6 -> lead -0.2
    g = lead_gaps(p)
    assert g["default"] == pytest.approx(0.0) and g["slow"] == pytest.approx(-0.2)
    text = lead_gap_sentence(p, region_names={"PRD": "the Delta"})
    assert text.startswith("In 2015 the Delta leads the mean of the other regions by 0.00")
    assert 'by -0.20 under "slow"' in text and "widens the lead by 0.20" in text
    with pytest.raises(ValueError, match="no region 'Capital'"):
        lead_gaps(p, lead="Capital")
