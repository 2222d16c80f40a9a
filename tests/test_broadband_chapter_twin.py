"""The policy chapter's reading of the stored Broadband China design study (SIMULATED twins)."""

import pandas as pd
import pytest
from broadband_rows import broadband_rows
from scipy import stats

from helpers.book import broadband_study_sentences as bss
from helpers.studies import broadband_study as bb


def _cp(k, n):
    ci = stats.binomtest(int(k), int(n)).proportion_ci(0.95, method="exact")
    return ci.low, ci.high


def _rows(n=200, seed=0):
    """Twins of two outcomes: "a" biased by +0.15 under threshold designation, "b" unbiased."""
    return broadband_rows(n, seed, effect_shift=0.15, pretrend=lambda y: 0.5 if y == "a" else 0.05)


def _verdict(size, **kw):
    rec = {"n_cities": 336, "n_years": 9, "twins": 500, "power": 0.5, "power_low": 0.46, "power_high": 0.54,
           "bias": 0.0123, "bias_mcse": 0.0011, "two_sided_confounded_rate": 0.05, "two_sided_confounded_low": 0.03,
           "two_sided_confounded_high": 0.07, "two_sided_null_rate": 0.05, "two_sided_null_low": 0.03,
           "two_sided_null_high": 0.07, "detectable_sd": 0.31, "size": size, "consistent": size == "holds"}
    rec.update(kw)
    return pd.Series(rec)


def test_chapter_table_is_the_design_table_in_fewer_columns():
    perf = bb.performance(_rows())
    tab = bss.chapter_table(perf, {"a": "A"})
    full = bss.design_table(perf, {"a": "A"})
    assert list(tab.columns) == list(bss.CHAPTER_COLUMNS) and list(tab.index) == ["A", "b"]
    pd.testing.assert_frame_equal(tab, full[list(bss.CHAPTER_COLUMNS)])
    # the threshold no-effect rate of "a" is its share of two-sided rejections, with its CP interval
    rows = _rows()
    z = rows[rows["world"] == "null"]["reject_a"]
    lo, hi = _cp(z.sum(), len(z))
    assert tab.loc["A", "no effect, threshold designation"] == f"{z.mean():.2f} (95% CP {lo:.2f}-{hi:.2f})"


def test_caption_names_the_stored_design():
    cap = bss.chapter_caption(bb.performance(_rows(n=40)), bb.OPTIONS, nominal=0.05)
    assert "SIMULATED national twins (40 per world; 336 cities, 2011-2019; cohorts of 39, 39 and 39 designated " \
           "in 2014, 2015 and 2016; in the effect world each outcome rises by 0.2 cross-section SDs of 2013)" in cap
    assert "(nominal 0.05)" in cap and "\n" not in cap
    other = bss.chapter_caption(bb.performance(_rows(n=40)), {**bb.OPTIONS, "effect_sd": 0.5, "first_year": 2010})
    assert "rises by 0.5 cross-section SDs" in other and "2010-2018" in other


def test_selection_sentence_quotes_the_rates_and_reads_the_size():
    v = pd.DataFrame({"bb": _verdict("over", two_sided_confounded_rate=1.0, two_sided_confounded_low=0.9926,
                                     two_sided_confounded_high=1.0, bias=-3.4518, bias_mcse=0.0254),
                      "lq": _verdict("holds")}).T
    s = bss.selection_sentence(v, {"bb": "BB", "lq": "LQ"}, nominal=0.05)
    assert s.startswith("SIMULATED. Where designation does nothing, designation on thresholds makes the two-sided "
                        "test reject in 1.00 (95% CP 0.99-1.00) for BB and 0.05 (95% CP 0.03-0.07) for LQ;")
    assert "For BB, selection on the thresholds alone produces effects where there are none" in s
    assert "BB -3.452 (0.025)" in s and "no evidence that designation worked" in s
    assert "For LQ, the test keeps its nominal rate" in s
    assert "At random every interval contains the nominal rate" in s
    # the estimator's own size off at random is said, and no excess is blamed on selection alone
    v.loc["lq", ["two_sided_null_rate", "two_sided_null_low", "two_sided_null_high"]] = [0.12, 0.09, 0.15]
    s2 = bss.selection_sentence(v, {"bb": "BB", "lq": "LQ"}, nominal=0.05)
    assert "Even at random the rate's interval misses the nominal 0.05 for LQ" in s2
    assert "excess comes from the selection" not in s2
    # every outcome consistent: no reading of a bias, no claim about its source
    s3 = bss.selection_sentence(pd.DataFrame({"lq": _verdict("holds")}).T, {"lq": "LQ"})
    assert "no evidence" not in s3 and "At random" not in s3 and "For LQ, the test keeps" in s3
    under = pd.DataFrame({"lq": _verdict("under", two_sided_confounded_low=0.001)}).T
    assert "For LQ, it rejects less often than nominal" in bss.selection_sentence(under, {"lq": "LQ"})


def test_pretrend_sentence_says_where_the_test_is_blind_to_the_selection():
    perf = bb.performance(_rows())
    v = bb.verdicts(perf)
    assert v.loc["a", "size"] == "over" and v.loc["b", "size"] == "holds"    # the rows' construction
    s = bss.pretrend_sentence(perf, v, {"a": "A", "b": "B"}, nominal=0.05)
    rows = _rows()
    e = rows[rows["world"] == "effect"]
    for y, name in (("a", "A"), ("b", "B")):
        lo, hi = _cp(e[f"pretrend_{y}"].sum(), len(e))
        assert f"{e[f'pretrend_{y}'].mean():.2f} (95% CP {lo:.2f}-{hi:.2f}) for {name}" in s
    # "a": pre-trends rejected in about half the twins -> flagged; "b" is consistent: nothing to flag
    assert "For A, it rejects more often than its nominal 0.05: there it flags the selection." in s and "does not clear" not in s
    v.loc["b", "size"] = "over"
    s2 = bss.pretrend_sentence(perf, v, {"a": "A", "b": "B"}, nominal=0.05)
    assert "For B, its interval reaches the nominal 0.05 although the design is biased there" in s2
    assert "does not clear an estimate of it." in s2


def test_brief_quotes_both_designations_and_names_the_inconsistent_outcomes():
    v = pd.DataFrame({"bb": _verdict("over", two_sided_confounded_rate=1.0, two_sided_null_rate=0.056),
                      "lq": _verdict("over", two_sided_confounded_rate=0.212, two_sided_null_rate=0.04),
                      "co": _verdict("holds", two_sided_confounded_rate=0.052)}).T
    b = bss.twin_brief(v, {"bb": "BB", "lq": "LQ", "co": "CO"}, where="Table 6.9")
    assert b == ("SIMULATED. On the stored national twins where designation does nothing, the two-sided test rejects "
                 "under threshold designation in BB 1.00; LQ 0.21; CO 0.05 (at random: 0.06; 0.04; 0.05, in the same "
                 "order; nominal 0.05; Table 6.9), so the design is not shown consistent for BB and LQ.")
    ok = bss.twin_brief(v.loc[["co"]], {"co": "CO"})
    assert ok.endswith("nominal 0.05), so the design keeps its size for every outcome.")
    assert "No stored twins" in bss.twin_brief(None, {})


def test_absent_note_names_the_folder():
    s = bss.absent_twin_sentence("x/broadband")
    assert s.startswith("SIMULATED") and "`x/broadband`" in s and "make power-broadband" in s
    assert s != bss.absent_sentence("x/broadband")     # Chapter 8 prints its own note: no repeated paragraph


def test_the_stored_table_is_the_stored_twins_performance():
    """The chapter reads performance.csv; it must be what the stored twins give (else the
    chapter and a recomputation would disagree)."""
    rows = bb.load_if_present()
    stored = bb.load_performance()
    if rows is None or stored is None:
        pytest.skip("no Broadband China design study stored in data/power/broadband")
    fresh = bb.performance(rows)
    cols = ["bias", "bias_mcse", "coverage", "power", "two_sided_confounded_rate", "two_sided_confounded_low",
            "two_sided_null_rate", "pretrend_rate", "pretrend_high"]
    pd.testing.assert_frame_equal(stored.set_index("key")[cols], fresh.set_index("key")[cols], rtol=1e-8)
    assert list(bss.chapter_table(stored).index) == list(bb.OUTCOMES)
