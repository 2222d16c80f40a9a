"""The Study design chapter's sentences carry the numbers they are given."""

import pandas as pd

from helpers.book import study_design_sentences as sds
from helpers.studies.performance import clopper_pearson


def _rec(reason, n=None, t=None, k=170, tw=200):
    lo, hi = clopper_pearson(k, tw)
    return pd.Series({"reason": reason, "n_cities": n, "n_years": t, "power": k / tw, "low": lo, "high": hi,
                      "largest": "336 x 20", "largest_power": k / tw, "largest_low": lo, "largest_high": hi})


def test_minimum_design_sentence_numbers():
    s = sds.minimum_design_sentence("H1", _rec("sufficient", 50, 13))
    assert "50 cities x 13 years" in s and "0.85" in s
    lo = clopper_pearson(170, 200)[0]
    assert f"{lo:.2f}" in s
    assert "not consistent" in sds.minimum_design_sentence("H2", _rec("inconsistent"))
    assert "clearly falls" in sds.minimum_design_sentence("H2", _rec("not monotone"))


def test_size_sentences_judge_against_margin():
    nulls = pd.DataFrame({"inference": ["CRV1"], "rejections": [14], "twins": [200], "nominal": [0.025],
                          "mean_estimate": [0.0168], "estimate_mcse": [0.0073]}, index=["CRV1"])
    s = sds.size_sentences(nulls, margin=2.0)
    assert "14 of 200" in s[0] and "too few twins to tell against 0.050" in s[0]
    assert "size not held" in sds.size_sentences(nulls, margin=1.0)[0]       # lower bound 0.039 > 0.025
    assert "more than two Monte Carlo SEs" in s[1]
    brief = sds.size_brief(nulls, where="Table X")   # the closing form: the same rate, not the same sentence
    assert "(CRV1: 0.07) against a nominal 0.025 (Table X)" in brief and "0.07 (95% CP" in s[0]
    assert brief not in s


def test_bottom_line_names_data_and_compares_sizes():
    alt = pd.DataFrame([_rec("sufficient", 200, 13)], index=["2SLS"])
    data = {"national": {"label": "the national panel", "cities": 290, "years": 13},
            "broadband": {"label": "Broadband China"}}
    s = sds.bottom_line("H1", "claim", _rec("inconsistent"), alt, data, bias=("336 x 20", 0.089, 0.009))
    assert "+0.089" in s and "Broadband China" in s and "3,770 city-years" in s
    assert "at least as large as the sufficient design of 2SLS" in s
    small = {**data, "national": {"label": "the national panel", "cities": 100, "years": 13}}
    assert "smaller than the sufficient design" in sds.bottom_line("H1", "c", _rec("inconsistent"), alt, small)
