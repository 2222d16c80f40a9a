"""The stored truths of the twin (helpers.studies.truth_store): a stored twin reads back exactly as
computed live, other settings are refused naming `make truths`, damage names the file, a changed
code digest is a note, and the chapters' entry point falls back to a live computation only for a
twin the store does not hold, saying so."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers.studies import truth_store
from helpers.studies.store import StoreError

#: Tiny settings: latent-scale truths (0.6 s) and CRV1 channels (2 s) of a non-bundled twin.
TINY = {"twin_seed": 7, "measured": False, "vcov": "CRV1"}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    out = tmp_path_factory.mktemp("truths")
    return out, truth_store.run(out, TINY)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("HELPERS_CACHE", str(tmp_path_factory.mktemp("cache")))   # the live truths go through the disk cache
    try:
        yield truth_store.live(TINY)
    finally:
        mp.undo()


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


def test_stored_equals_live(stored, live):
    out, computed = stored
    assert computed == list(truth_store.PARTS)
    st = truth_store.load(out, TINY)
    assert st.notes == [] and st.source == str(out)
    a, b = st.truths, live.truths
    pd.testing.assert_frame_equal(a.truths, b.truths, check_exact=True)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    assert list(a.per_city_year) == list(b.per_city_year)
    for k, arr in b.per_city_year.items():
        np.testing.assert_array_equal(a.per_city_year[k], arr)
    assert a.h == b.h and a.seed == b.seed == 7
    pd.testing.assert_frame_equal(st.channels, live.channels, check_exact=True)
    assert truth_store.run(out, TINY) == []


def test_other_settings_are_refused_naming_the_command(stored, tmp_path):
    out, _ = stored
    with pytest.raises(truth_store.StaleTruthsError, match="truths-truths.parquet .* other settings .*`make truths`"):
        truth_store.load(out, {**TINY, "measured": True})
    with pytest.raises(truth_store.StaleTruthsError, match="channels-channels.parquet .*`make truths`"):
        truth_store.load(out, {**TINY, "vcov": "CRV3"}, parts=("channels",))
    with pytest.raises(truth_store.StaleTruthsError, match="no cell truths-truths.parquet .*`make truths`"):
        truth_store.load(tmp_path / "empty", TINY)


def test_damaged_cell_is_refused_by_name(stored, tmp_path):
    out = _copy(stored[0], tmp_path / "copy")
    cell = out / "truths-per_city_year.parquet"
    data = bytearray(cell.read_bytes())
    data[len(data) // 3] ^= 0x01
    cell.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="truths-per_city_year.parquet is damaged"):
        truth_store.load(out, TINY)
    truth_store.load(out, TINY, parts=("channels",))   # the other part is intact


def test_changed_analysis_code_is_a_note(stored, tmp_path, monkeypatch):
    out = _copy(stored[0], tmp_path / "copy")
    assert "analysis code has changed" not in truth_store.load(out, TINY).provenance()
    monkeypatch.setattr(truth_store, "_digest", lambda: "0" * 16)
    st = truth_store.load(out, TINY)
    assert st.notes == [f"{p}: the analysis code changed since it was stored; `make truths` recomputes it"
                        for p in truth_store.PARTS]
    text = st.provenance()
    assert "SIMULATED twin (seed 7)" in text and "data/twin_truths" in text and "`make truths`" in text
    assert "analysis code has changed since the parts truths, channels were stored" in text


def test_study_reads_the_store_it_holds_and_is_live_otherwise(stored, live, monkeypatch, tmp_path):
    out, _ = stored
    st = truth_store.study("store", TINY, out=out, parts=("truths",))
    assert st.source == str(out) and st.channels is None and "are read from the stored study" in st.provenance()
    monkeypatch.setenv("HELPERS_CACHE", str(tmp_path / "cache"))
    other = truth_store.study("store", {**TINY, "twin_seed": 8}, out=out, parts=("truths",))
    assert other.source == "live" and other.truths.seed == 8
    assert other.provenance().endswith("were computed as this page was built (the stored study in "
                                       "`data/twin_truths` holds the twin of seed 7 only).")
    assert "computed as this page was built." in truth_store.study("live", TINY, parts=("truths",)).provenance()
    with pytest.raises(truth_store.StaleTruthsError, match="no cell .*`make truths`"):
        truth_store.study("store", None, out=tmp_path / "none")   # the book's settings: no silent live run


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="unknown settings"):
        truth_store.part_settings("truths", {"seed": 3})
    with pytest.raises(ValueError, match="vcov must be"):
        truth_store.part_settings("channels", {"vcov": "HC1"})
    with pytest.raises(ValueError, match="source must be"):
        truth_store.study("cache", TINY)
    with pytest.raises(ValueError, match="unknown parts"):
        truth_store.study("live", TINY, parts=("truth",))


def test_both_profiles_read_the_store_of_their_twin():
    """The book's twin is the one ``make truths`` stores, and CI's is the same twin: both read the
    store (its live path is checked above, stored == live)."""
    root = Path(__file__).resolve().parents[1]
    for prof, source in (("book", "store"), ("ci", "store")):
        chapters = yaml.safe_load((root / "profiles" / f"{prof}.yml").read_text())["chapters"]
        for ch in ("04_mechanism", "05_findings"):
            assert chapters[ch]["truths_source"] == source, (prof, ch)
    for prof in ("book", "ci"):
        mech = yaml.safe_load((root / "profiles" / f"{prof}.yml").read_text())["chapters"]["04_mechanism"]
        assert mech["twin_seed"] == truth_store.BOOK["twin_seed"], prof
