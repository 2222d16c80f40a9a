"""The estimate registry (helpers.registry) is the one definition every layer reads."""

import pytest

from helpers import registry
from helpers.analysis import report
from helpers.simulate import estimands
from helpers.studies import EXTRA_ROWS, power


def test_every_consumer_reads_the_registry():
    E = registry.ESTIMATES
    assert report.TRUTH_FOR == {k: e.effect for k, e in E.items() if e.effect}
    assert estimands.TRUTH_FOR == {k: (e.truth, e.truth_note) for k, e in E.items() if e.truth}
    assert list(estimands.TRUTH_FOR) == [k for k in E if E[k].truth]          # the estimand table's order
    assert {k: v[0] for k, v in EXTRA_ROWS.items()} == {k: E[k].quantity for k in EXTRA_ROWS}
    assert power.ESTIMATE_LABELS == {k: e.label for k, e in E.items() if e.label}
    assert power.label("alpha_E") == E["alpha_E"].label and power.label("sig_total") == E["total"].label
    assert power.label("productivity_synergy") == "productivity synergy"    # no short label: the key


def test_entries_are_complete_and_consistent():
    E = registry.ESTIMATES
    assert len(E) == len(registry._ROWS)                                   # keys are unique
    assert {e.hypothesis for e in E.values()} - {None} == set(report.HYPOTHESES)
    for e in E.values():
        assert e.key and e.quantity and e.unit
        assert (e.truth is None) == (not e.truth_note), e.key
    # every true effect an estimate is compared with, and every truth, is named once per meaning
    assert {E[k].effect for k in ("total", "total_iv", "total_lag", "total_topsis", "sdm_direct")} == {"total"}
    assert registry.quantity("rest", rest="cities outside the Pearl River Delta") == \
        "total effect, cities outside the Pearl River Delta"
    with pytest.raises(KeyError):
        registry.quantity("rest")                                          # the placeholder must be filled
