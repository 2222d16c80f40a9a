"""Finding sentences follow the numbers: each reading flips with the sign it reads."""

import pandas as pd
import pytest

from helpers.book import narrative as n


@pytest.mark.parametrize("est,lo,hi,word", [(0.4, 0.1, 0.7, "positive"), (-0.4, -0.7, -0.1, "negative"),
                                            (0.1, -0.2, 0.4, "indistinguishable from zero")])
def test_direction(est, lo, hi, word):
    assert n.direction(est, lo, hi) == word


def test_total_effect_sentence_both_signs():
    up = n.total_effect_sentence(0.5, 0.2, 0.8, True)
    down = n.total_effect_sentence(-0.5, -0.8, -0.2, False)
    null = n.total_effect_sentence(0.1, -0.2, 0.4, True)
    assert "higher" in up and "0.500" in up and "simulated twin" in up
    assert "lower" in down and "-0.500" in down and "simulated" not in down
    assert "cannot be told apart from zero" in null


def test_regional_sentence_explains_a_negative_delta_and_caveats_the_twin():
    s = n.regional_sentence(-0.28, 1.16, -1.44, 0.01, simulated=True)
    assert "-0.280" in s and "1.160" in s and "opposite sign" in s and "saturation" in s
    assert n.TWIN_CAVEAT in s and "not significant" not in s
    real = n.regional_sentence(0.9, 0.3, 0.6, 0.4, simulated=False)
    assert "larger" in real and "not significant" in real and n.TWIN_CAVEAT not in real
    assert "smaller" in n.regional_sentence(0.2, 0.5, -0.3, 0.2, simulated=False)
    assert "rest of the province has the opposite sign" in n.regional_sentence(0.5, -0.2, 0.7, 0.01, False)


def test_threshold_sentence_follows_the_slopes_and_the_test():
    falls = n.threshold_sentence(40.0, 0.81, 0.42, 0.01, True, true_below=0.35, true_above=0.65)
    assert "*falls*" in falls and "opposite of H4" in falls and "rises at the threshold" in falls
    assert "property of the measurement" in falls and "rejects a single slope" in falls
    rises = n.threshold_sentence(40.0, 0.4, 0.8, 0.01, False)
    assert "rises above the threshold, as H4 expects" in rises and "true slope" not in rises
    insig = n.threshold_sentence(40.0, 0.81, 0.42, 0.30, False)
    assert "does not reject" in insig and "opposite of H4" in insig
    agree = n.threshold_sentence(40.0, 0.4, 0.8, 0.30, True, true_below=0.35, true_above=0.65)
    assert "the direction the estimate shows" in agree and "property of the measurement" not in agree


def test_spatial_sentence_reads_the_sign_of_rho():
    neg = n.spatial_sentence(-0.31, 0.2, 0.05, 0.35, True, true_rho=0.25)
    assert "rho = -0.310" in neg and "competition and crowding-out" in neg
    assert "Neighbours gain" in neg and "other sign" in neg
    pos = n.spatial_sentence(0.2, -0.3, -0.5, -0.1, False)
    assert "spillovers of knowledge" in pos and "Neighbours lose" in pos and "true rho" not in pos
    assert "cannot be told" in n.spatial_sentence(0.2, 0.1, -0.1, 0.3, True, true_rho=0.25)
    assert "has its sign" in n.spatial_sentence(0.2, 0.1, -0.1, 0.3, True, true_rho=0.25)


def test_verdict_count_sentence_counts():
    v = pd.Series({"H1": "supported", "H2": "supported", "H3": "inconclusive", "H4": "contradicted",
                   "H5": "inconclusive"})
    s = n.verdict_count_sentence(v)
    assert s == ("Of the 5 hypotheses, 2 are supported (H1, H2), 1 is contradicted (H4) and "
                 "2 are inconclusive (H3, H5).")
    assert n.verdict_count_sentence(pd.Series({"H1": "supported"})) == "Of the 1 hypotheses, 1 is supported (H1)."


def test_population_and_growth_sentences():
    s = n.population_sentence(2020, 0.618, 9, 12, 126_012_510)
    assert "most" in s and "61.8%" in s and "38.2%" in s and "126,012,510" in s
    assert "less than half" in n.population_sentence(2020, 0.4, 9, 12, 100)
    g = n.growth_sentence(pd.Series({"A": 10.0, "B": -2.5, "C": 40.0}))
    assert g.startswith("Between the censuses C grew fastest (+40.0%) and B slowest (-2.5%)")
    assert "1 of 3 cities lost" in g
    assert "none of the 2" in n.growth_sentence(pd.Series({"A": 1.0, "B": 2.0}))


def test_gap_and_between_share_sentences():
    assert "widened" in n.gap_trend_sentence("x", 2011, 2023, 0.1, 0.2, True)
    assert "narrowed" in n.gap_trend_sentence("x", 2011, 2023, 0.2, 0.1, False)
    assert "shortfall" in n.gap_trend_sentence("x", 2011, 2023, 0.2, -0.1, False)
    s = n.between_share_sentence(2011, 2023, 0.6, 0.7, True)
    assert "most" in s and "rose" in s and "70.0%" in s
    assert "fell" in n.between_share_sentence(2011, 2023, 0.6, 0.4, False)


def test_scenario_ranking_sentence_names_the_largest_and_the_gap_direction():
    sy = pd.DataFrame({"median": [0.02, 0.10, -0.01], "holds": [True, False, True]}, index=["a", "b", "c"])
    gap = pd.DataFrame({"median": [0.0, -0.03, 0.01], "holds": [True, True, True]}, index=["a", "b", "c"])
    s = n.scenario_ranking_sentence(sy, gap, 2030)
    assert "b raises mean synergy most by 2030 (+0.1, in the median run" in s and "narrows" in s
    s2 = n.scenario_ranking_sentence(sy.assign(holds=True), gap.assign(median=[0.0, 0.02, 0.0]), 2030)
    assert "in every run" in s2 and "widens" in s2
    neg = n.scenario_ranking_sentence(sy.assign(median=[-0.1, -0.2, -0.05]), gap, 2030)
    assert neg.startswith("No scenario raises mean synergy") and "least harmful is c" in neg


def test_published_match_and_vintage_sentences():
    ok = n.published_match_sentence(pd.Series({"a": 0.0, "b": -0.004}), "100 million yuan")
    assert ok.startswith("The shipped extract reproduces all 2 published figures")
    bad = n.published_match_sentence(pd.Series({"a": 0.0, "GDP 2020": -12.5}), "100 million yuan")
    assert "differs from 1 of the 2" in bad and "-12.50 100 million yuan (GDP 2020)" in bad
    assert n.vintage_sentence([]).startswith("In every year")
    assert "In 2 years (2011, 2013)" in n.vintage_sentence([2013, 2011])
    assert "In 1 year (2012)" in n.vintage_sentence([2012])


def test_threshold_sentence_quotes_both_truths_with_their_scales():
    s = n.threshold_sentence(40.0, 0.09, 0.07, 0.20, True, true_below=0.087, true_above=0.080, scale="measured",
                             latent_below=0.057, latent_above=0.102)
    assert "true direct slope on participation rises at the threshold (0.057 to 0.102 SD per SD, latent scale)" in s
    assert "true slope on the measured index, which is what the regression estimates, falls (0.087 to 0.080" in s
    assert "measured scale), the direction the estimate shows: the index's saturation" in s
    # estimate rising against a falling measured truth: said, not explained away
    s2 = n.threshold_sentence(40.0, 0.05, 0.09, 0.20, True, true_below=0.087, true_above=0.080, scale="measured",
                              latent_below=0.057, latent_above=0.102)
    assert "the opposite of the direction the estimate shows: the index's saturation" in s2
    # both truths moving the same way: no saturation remark
    s3 = n.threshold_sentence(40.0, 0.05, 0.09, 0.20, True, true_below=0.07, true_above=0.09, scale="measured",
                              latent_below=0.057, latent_above=0.102)
    assert s3.endswith("measured scale), the direction the estimate shows.")


def _numbers(text):
    import re
    return set(re.findall(r"-?\d+\.\d+", text))


@pytest.mark.parametrize("sim", [True, False])
def test_brief_forms_quote_the_same_numbers_as_the_full_readings_and_do_not_repeat_them(sim):
    pairs = [
        (n.regional_brief(-0.12, 0.31, -0.43, 0.34, where="Table 5"),
         n.regional_sentence(-0.12, 0.31, -0.43, 0.34, sim)),
        (n.threshold_brief(31.4, 0.25, 0.08, 0.02, where="Table 6"),
         n.threshold_sentence(31.4, 0.25, 0.08, 0.02, sim)),
        (n.spatial_brief(-0.21, 0.05, -0.1, 0.2, where="Table 8"),
         n.spatial_sentence(-0.21, 0.05, -0.1, 0.2, sim)),
        (n.brief_estimate("Total effect", 0.2, 0.05, 0.35, where="Table 1"),
         n.total_effect_sentence(0.2, 0.05, 0.35, sim)),
    ]
    for brief, full in pairs:
        assert _numbers(brief) <= _numbers(full), (brief, full)
        assert brief not in full and len(brief) < len(full)
    assert "falls from 0.250 to 0.080" in pairs[1][0]
    assert pairs[2][0].endswith("indistinguishable from zero (Table 8).")
    assert "positive (Table 1)" in pairs[3][0]


def test_census_key_numbers_print_what_the_sentences_quote():
    growth = pd.Series({"A": 10.04, "B": -2.46, "C": 40.0})
    key = n.census_key_numbers(2020, 0.619, growth)
    assert key.round(2).tolist() == [61.9, 38.1, 40.0, -2.46]
    assert "fastest city (C)" in key.index[2] and "slowest city (B)" in key.index[3]
    assert "(38.1%)" not in n.population_sentence(2020, 0.619, 9, 12, 100)   # the rest's share ...
    assert "held 38.1%" in n.population_sentence(2020, 0.619, 9, 12, 100)    # ... is the table's row 2
