"""The Findings chapter's stored study (helpers.studies.findings): a stored run reads back exactly
as a live run, stale and damaged stores are refused with the file and the command named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers.studies import findings
from helpers.studies.store import StoreError

TINY = {"mc_reps": 2, "mc_boot": 9, "mc_threshold_boot": 5, "correct_reps": 3}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    out = tmp_path_factory.mktemp("findings")
    computed = findings.run(out, TINY, n_jobs=1, progress=False)
    return out, computed


@pytest.fixture(scope="module")
def live():
    return findings.live(TINY, n_jobs=1, progress=False)


def test_run_writes_every_part_with_hashes_and_provenance(stored):
    out, computed = stored
    assert computed == list(findings.PARTS)
    sums = (out / "SHA256SUMS").read_text().splitlines()
    cells = sorted(p.name for p in out.glob("*.parquet"))
    assert sorted(line.split()[1] for line in sums) == cells
    assert len(cells) == sum(len(t) for t in findings.PARTS.values())
    log = findings.study_log(out)
    assert log["settings"] == TINY and log["runs"][-1]["parts_computed"] == computed
    assert "make findings" in (out / "PROVENANCE.md").read_text()


def test_stored_equals_live(stored, live):
    st = findings.load(stored[0], TINY)
    assert st.notes == []
    for name in ("mc", "mc_null"):
        a, b = getattr(st, name), getattr(live, name)
        pd.testing.assert_frame_equal(a.detection, b.detection, check_exact=True)
        pd.testing.assert_series_equal(a.coverage, b.coverage, check_exact=True)
        pd.testing.assert_series_equal(a.mean_estimate, b.mean_estimate, check_exact=True)
        pd.testing.assert_frame_equal(a.comparisons, b.comparisons, check_exact=True)
        pd.testing.assert_frame_equal(a.measurement, b.measurement, check_exact=True)
        assert a.n_reps == TINY["mc_reps"] and a.params == b.params
    for name in ("correct", "correct_spatial"):
        a, b = getattr(st, name), getattr(live, name)
        pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
        assert a.n_clusters == b.n_clusters == 21


def test_summaries_are_shares_of_the_rows(live):
    """The coverage read by the chapter is the share of twins whose interval covers a defined truth."""
    comp = live.mc.comparisons.reset_index()
    for key, g in comp.groupby("key"):
        g = g[g["true"].notna()]
        covers = ((g["ci_low"] <= g["true"]) & (g["true"] <= g["ci_high"])).mean() if len(g) else np.nan
        assert np.isclose(live.mc.coverage[key], covers, equal_nan=True), key
    shares = live.mc.detection.sum(axis=1)
    assert np.allclose(shares, 1.0)
    assert live.mc_null.params == dict(findings.NO_EFFECT)


def test_rerun_reuses_and_other_settings_recompute(stored, tmp_path):
    out, _ = stored
    assert findings.run(out, TINY, n_jobs=1, progress=False) == []
    with pytest.raises(findings.StaleStudyError, match="make findings") as e:
        findings.load(out, {**TINY, "mc_reps": 3})
    assert "mc-effect-verdicts.parquet" in str(e.value)
    with pytest.raises(findings.StaleStudyError, match="no cell .* `make findings`"):
        findings.load(tmp_path / "empty", TINY)


def test_damaged_cell_is_refused_by_name(stored, tmp_path):
    src, _ = stored
    out = tmp_path / "copy"
    out.mkdir()
    for p in src.iterdir():
        (out / p.name).write_bytes(p.read_bytes())
    cell = out / "correct-rows.parquet"
    data = bytearray(cell.read_bytes())
    data[len(data) // 3] ^= 0x01
    cell.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="correct-rows.parquet is damaged"):
        findings.load(out, TINY)
    assert findings.run(out, TINY, n_jobs=1, progress=False) == ["correct"]   # only the damaged part
    findings.load(out, TINY)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="unknown settings"):
        findings.part_settings("mc-effect", {"reps": 3})
    with pytest.raises(ValueError, match="positive whole number"):
        findings.part_settings("correct", {"correct_reps": 0})
    with pytest.raises(ValueError, match="source must be"):
        findings.study("cache", TINY)


def test_book_profile_reads_the_stored_settings():
    """The book profile's Findings parameters are the settings ``make findings`` stores."""
    root = Path(__file__).resolve().parents[1]
    book = yaml.safe_load((root / "profiles" / "book.yml").read_text())
    params = book["chapters"]["05_findings"]
    assert {k: params[k] for k in findings.BOOK} == findings.BOOK
    assert params.get("mc_source", "store") == "store"


def test_changed_analysis_code_is_a_note_and_recomputes(stored, tmp_path, monkeypatch):
    src, _ = stored
    out = tmp_path / "copy"
    out.mkdir()
    for p in src.iterdir():
        (out / p.name).write_bytes(p.read_bytes())
    assert "analysis code has changed" not in findings.load(out, TINY).provenance()
    monkeypatch.setattr(findings, "_digest", lambda: "0" * 16)
    st = findings.load(out, TINY)
    assert st.notes == [f"{p}: the analysis code changed since it was stored; `make findings` recomputes it"
                        for p in findings.PARTS]
    assert "SIMULATED" in st.provenance() and "data/findings" in st.provenance()
    assert "analysis code has changed since the parts mc-effect, mc-null, correct, correct-spatial" in st.provenance()
