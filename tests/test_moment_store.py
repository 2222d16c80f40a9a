"""Appendix A's stored calibration moments (helpers.studies.moment_store): a stored check reads back
exactly as computed live, other settings are refused naming `make moments`, damage names the file,
a changed code digest is a note, and a reader with other real inputs gets a live check that says so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers.analysis import moments as _m
from helpers.studies import calibrate, moment_store
from helpers.studies import moments as twin_moments
from helpers.studies.store import StoreError

#: Tiny settings: 3 bootstrap draws, the bundled twin (read, not simulated) and one simulated twin.
TINY = {"calib_n_boot": 3, "calib_boot_seed": 5, "calib_twin_seeds": [20261122, 2]}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    out = tmp_path_factory.mktemp("moments")
    return out, moment_store.run(out, TINY)


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


def test_stored_equals_the_chapters_live_computation(stored):
    """The stored check equals guangdong_check and national_check as the appendix called them."""
    out, computed = stored
    assert computed == list(moment_store.PARTS)
    st = moment_store.load(out, TINY)
    assert st.notes == [] and st.source == str(out)
    gd = twin_moments.guangdong_check(twin_seeds=TINY["calib_twin_seeds"], n_boot=3, seed=5)
    pd.testing.assert_frame_equal(st.guangdong.table, gd.table, check_exact=True)
    assert st.guangdong.twin_seeds == gd.twin_seeds == (20261122, 2)
    assert (st.guangdong.n_boot, st.guangdong.source) == (gd.n_boot, gd.source)
    national_m = _m.moments(_m.national_frame(), n_boot=3, seed=5, source=moment_store.NATIONAL_SOURCE)
    nat = calibrate.national_check(national_m, seeds=TINY["calib_twin_seeds"])
    pd.testing.assert_frame_equal(st.national, nat, check_exact=True)
    live = moment_store.live(TINY)
    pd.testing.assert_frame_equal(live.guangdong.table, gd.table, check_exact=True)
    pd.testing.assert_frame_equal(live.national, nat, check_exact=True)
    assert moment_store.run(out, TINY) == []


def test_other_settings_are_refused_naming_the_command(stored, tmp_path):
    out, _ = stored
    with pytest.raises(moment_store.StaleMomentsError, match="guangdong-real-moments.parquet .* other settings .*"
                                                              "`make moments`"):
        moment_store.load(out, {**TINY, "calib_n_boot": 4})
    with pytest.raises(moment_store.StaleMomentsError, match="no cell guangdong-real-moments.parquet .*`make moments`"):
        moment_store.load(tmp_path / "empty", TINY)


def test_damaged_cell_is_refused_by_name(stored, tmp_path):
    out = _copy(stored[0], tmp_path / "copy")
    cell = out / "national-twin-moments.parquet"
    data = bytearray(cell.read_bytes())
    data[len(data) // 3] ^= 0x01
    cell.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="national-twin-moments.parquet is damaged"):
        moment_store.load(out, TINY)
    assert moment_store.run(out, TINY) == ["national-twin"]   # only the damaged part


def test_changed_analysis_code_is_a_note(stored, tmp_path, monkeypatch):
    out = _copy(stored[0], tmp_path / "copy")
    assert "analysis code has changed" not in moment_store.load(out, TINY).provenance()
    monkeypatch.setattr(moment_store, "_digest", lambda: "0" * 16)
    st = moment_store.load(out, TINY)
    assert st.notes == [f"{p}: the analysis code changed since it was stored; `make moments` recomputes it"
                        for p in moment_store.PARTS]
    text = st.provenance()
    assert "REAL data; 3 draws, seed 5" in text and "SIMULATED; seeds 20261122, 2" in text
    assert "data/moments" in text and "the same real inputs" in text
    assert "analysis code has changed since the parts guangdong-real, guangdong-twin" in text


def test_other_real_inputs_or_settings_are_computed_live_and_say_so(stored, tmp_path):
    out, _ = stored
    st = moment_store.study("store", TINY, out=out)
    assert st.source == str(out)
    no_pku = moment_store.study("store", TINY, out=out, pku_path=tmp_path / "absent.dta")
    assert no_pku.source == "live" and no_pku.provenance().endswith(
        "(the stored study in `data/moments` was computed from other real inputs: the real Guangdong frame, "
        "the PKU index).")
    if st.settings["inputs"]["reference"] is None:   # this machine lacks the PKU file: both reads agree
        return
    assert "rank_digital_reference" not in no_pku.guangdong.table.index
    other = moment_store.study("store", {**TINY, "calib_twin_seeds": [20261122]}, out=out)
    assert other.source == "live" and "holds calib_n_boot=3, calib_boot_seed=5, calib_twin_seeds=[20261122, 2] only" \
        in other.provenance()


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="unknown settings"):
        moment_store.part_settings("national-twin", {"n_boot": 3})
    with pytest.raises(ValueError, match="non-empty list"):
        moment_store.part_settings("national-twin", {"calib_twin_seeds": []})
    with pytest.raises(ValueError, match="real inputs' digests"):
        moment_store.part_settings("guangdong-real", TINY)
    with pytest.raises(ValueError, match="source must be"):
        moment_store.study("cache", TINY)


def test_frame_digest_sees_values_and_types():
    df = pd.DataFrame({"city": ["a", "b"], "v": [1.0, 2.0]})
    d = moment_store.frame_digest(df)
    assert d == moment_store.frame_digest(df.copy()) and moment_store.frame_digest(None) is None
    assert d != moment_store.frame_digest(df.assign(v=[1.0, 2.0000001]))
    assert d != moment_store.frame_digest(df.assign(v=df["v"].astype("float32")))


def test_profiles_read_the_store_in_the_book_and_compute_live_in_ci():
    """The book's calibration settings are the ones ``make moments`` stores; CI computes live."""
    root = Path(__file__).resolve().parents[1]
    book = yaml.safe_load((root / "profiles" / "book.yml").read_text())["chapters"]["a1_data"]
    assert {k: book[k] for k in moment_store.BOOK} == moment_store.BOOK and book["calib_source"] == "store"
    ci = yaml.safe_load((root / "profiles" / "ci.yml").read_text())["chapters"]["a1_data"]
    assert ci["calib_source"] == "live"
