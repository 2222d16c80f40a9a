"""Fault tests of the design-study store (helpers.studies.store): damaged, truncated, stale,
mixed and hijacked cells, on copies of a stored cell in tmp_path (the real store is only read)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers.studies import design, store  # design: the runner half of the file

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "data" / "power" / "21x8-effect.parquet"


@pytest.fixture
def stored_copy(tmp_path) -> Path:
    if not STORED.is_file():
        pytest.skip("no stored design study cell")
    before = hashlib.sha256(STORED.read_bytes()).hexdigest()
    dst = tmp_path / STORED.name
    shutil.copyfile(STORED, dst)
    yield dst
    assert hashlib.sha256(STORED.read_bytes()).hexdigest() == before  # the real cell is untouched


def _rows(n=5, value=0.0):
    return pd.DataFrame({"rep": range(n), "supported": [True, False] * (n // 2) + [True] * (n % 2),
                         "estimate": [value + i / 10 for i in range(n)]})


def test_written_cell_reads_back_with_its_metadata_and_hash(tmp_path):
    path = tmp_path / "21x8-effect.parquet"
    sha = store.write_cell(path, _rows(), {"design_fingerprint": "fp1", "study_fingerprint": "s1",
                                           "analysis_digest": "d1"})
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # as any written file, not mkstemp's 0600
    store.record_hashes(tmp_path, {path.name: sha})
    assert store.read_manifest(tmp_path) == {path.name: sha}
    rows, meta = store.read_cell(path, sha)
    pd.testing.assert_frame_equal(rows, _rows())
    assert meta == {"design_fingerprint": "fp1", "study_fingerprint": "s1", "analysis_digest": "d1"}
    assert store.cell_status(path, "fp1", "d1", store.read_manifest(tmp_path)) == (True, None)
    assert store.cell_status(path, "fp2", "d1", {}) == (False, None)          # other settings: compute
    ok, note = store.cell_status(path, "fp1", "d2", {})
    assert not ok and "analysis code changed" in note                        # stale code: compute


@pytest.mark.parametrize("offset_share", [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95])
def test_every_bit_flip_is_caught_by_the_content_hash(stored_copy, offset_share):
    sha = hashlib.sha256(stored_copy.read_bytes()).hexdigest()
    data = bytearray(stored_copy.read_bytes())
    data[int(offset_share * (len(data) - 1))] ^= 0x10
    stored_copy.write_bytes(bytes(data))
    with pytest.raises(store.StoreError, match=f"{stored_copy.name}.*damaged"):
        store.read_cell(stored_copy, sha)
    ok, note = store.cell_status(stored_copy, "any", None, {stored_copy.name: sha})
    assert not ok and "damaged" in note and str(stored_copy) in note and note.endswith("recomputed")


def test_truncated_legacy_cell_is_recomputed_not_fatal_and_named(stored_copy):
    stored_copy.write_bytes(stored_copy.read_bytes()[: stored_copy.stat().st_size // 2])
    ok, note = store.cell_status(stored_copy, "any", None, {})   # no manifest entry: legacy
    assert not ok and str(stored_copy) in note and "not a readable Parquet file" in note
    with pytest.raises(store.StoreError, match=stored_copy.name):
        store.read_cell(stored_copy)


def test_a_legacy_cell_is_accepted_with_a_note_and_a_changed_digest_is_recomputed(stored_copy):
    rows, meta = store.read_cell(stored_copy)
    fp = meta["design_fingerprint"]
    # the stored cells carry the analysis digest; a cell written before digests were recorded
    # (legacy) is rebuilt from the same rows with the fingerprint alone
    legacy = stored_copy.with_name("legacy-" + stored_copy.name)
    store.write_cell(legacy, rows, {"design_fingerprint": fp})
    ok, note = store.cell_status(legacy, fp, "digest-now", {})
    assert ok and "legacy cell" in note and "no content hash" in note
    ok, note = store.cell_status(stored_copy, fp, "digest-now", {})
    assert meta.get("analysis_digest") not in (None, "digest-now")
    assert not ok and "analysis code changed" in note


def test_writer_never_follows_a_planted_symlink(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "21x8-effect.parquet"
    # the old writer's predictable temporary name, and the target itself, point at the victim
    (tmp_path / "21x8-effect.parquet.tmp").symlink_to(victim)
    target.symlink_to(victim)
    store.write_cell(target, _rows(), {"design_fingerprint": "fp"})
    assert victim.read_text() == "precious"
    assert not target.is_symlink() and store.read_cell(target)[1]["design_fingerprint"] == "fp"
    assert (tmp_path / "21x8-effect.parquet.tmp").is_symlink()        # left alone, not written through
    assert not list(tmp_path.glob(".21x8-effect.parquet.*.tmp"))     # no temporary file left over


def test_unwritable_folder_is_refused_before_computing(tmp_path):
    a_file = tmp_path / "not_a_folder"
    a_file.write_text("x")
    with pytest.raises(PermissionError, match="not_a_folder.*not writable"):
        store.check_writable(a_file)
    if os.geteuid() == 0:
        pytest.skip("root ignores a read-only folder's permissions")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="ro.*not writable"):
            store.check_writable(ro)
    finally:
        ro.chmod(0o700)


def test_load_cells_refuses_mixed_studies_and_stale_settings(tmp_path):
    a, b = tmp_path / "21x8-effect.parquet", tmp_path / "21x8-null.parquet"
    store.write_cell(a, _rows(), {"design_fingerprint": "fa", "study_fingerprint": "s1"})
    store.write_cell(b, _rows(value=1), {"design_fingerprint": "fb", "study_fingerprint": "s2"})
    with pytest.raises(store.StoreError, match="2 different studies") as err:
        store.load_cells([a, b])
    assert a.name in str(err.value) and b.name in str(err.value)
    with pytest.raises(store.StoreError, match=r"other settings.*21x8-null"):
        store.load_cells([a, b], expect={a.name: "fa", b.name: "f-now"})
    rows, notes = store.load_cells([a, b], expect={a.name: "fa", b.name: "fb"})
    assert len(rows) == 10 and any("no content hash" in n for n in notes)


def test_code_digest_follows_imports_and_ignores_unrelated_modules(tmp_path, monkeypatch):
    pkg = tmp_path / "robustdigestpkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "top.py").write_text("from .sub import core\n\ndef f():\n    from . import lazy\n")
    (pkg / "sub" / "core.py").write_text("from ..helper import g\nX = 1\n")
    (pkg / "helper.py").write_text("def g():\n    return 1\n")
    (pkg / "lazy.py").write_text("Y = 1\n")
    (pkg / "unrelated.py").write_text("Z = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    d0 = store.code_digest("robustdigestpkg.top")
    (pkg / "unrelated.py").write_text("Z = 2\n")
    assert store.code_digest("robustdigestpkg.top") == d0
    for f in (pkg / "helper.py", pkg / "lazy.py", pkg / "sub" / "core.py"):   # two levels deep, lazy import
        old = f.read_text()
        f.write_text(old + "# changed\n")
        assert store.code_digest("robustdigestpkg.top") != d0, f
        f.write_text(old)
    assert store.code_digest("robustdigestpkg.top") == d0


# --------------------------------------------------------------------------- the runner uses the store


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


def _run(out, client, **kw):
    return design.run_study(design.grid([3], [4]), design.toy_twin, out, reps=3, scheduler=client,
                            progress=False, **kw)


def test_runner_records_hashes_and_digests_and_reuses_verified_cells(tmp_path, client):
    first = _run(tmp_path, client)
    assert sorted(first.computed) == ["3x4-effect", "3x4-null"] and not first.skipped
    manifest = store.read_manifest(tmp_path)
    assert sorted(manifest) == ["3x4-effect.parquet", "3x4-null.parquet"]
    _, meta = store.read_cell(tmp_path / "3x4-null.parquet", manifest["3x4-null.parquet"])
    assert meta["analysis_digest"] == store.code_digest("helpers.studies.design")
    second = _run(tmp_path, client)
    assert not second.computed and not second.notes
    pd.testing.assert_frame_equal(first.rows, second.rows)


def test_runner_recomputes_a_damaged_cell_naming_it(tmp_path, client):
    first = _run(tmp_path, client)
    cell = tmp_path / "3x4-effect.parquet"
    data = bytearray(cell.read_bytes())
    data[len(data) // 3] ^= 0x01
    cell.write_bytes(bytes(data))
    again = _run(tmp_path, client)
    assert again.computed == ["3x4-effect"] and any(str(cell) in n and "damaged" in n for n in again.notes)
    pd.testing.assert_frame_equal(first.rows, again.rows)   # same seeds, same twins


def test_runner_recomputes_cells_of_changed_analysis_code(tmp_path, client, monkeypatch):
    _run(tmp_path, client)
    monkeypatch.setattr(store, "code_digest", lambda module, root=None: "0" * 16)
    again = _run(tmp_path, client)
    assert sorted(again.computed) == ["3x4-effect", "3x4-null"]
    assert all("analysis code changed" in n for n in again.notes)


def test_runner_refuses_an_unwritable_folder_before_computing(tmp_path):
    a_file = tmp_path / "out"
    a_file.write_text("not a folder")
    with pytest.raises(PermissionError, match="not writable"):
        design.run_study(design.grid([3], [4]), design.toy_twin, a_file, reps=2, progress=False)


def test_load_study_refuses_cells_of_two_studies(tmp_path, client):
    _run(tmp_path, client)
    other = tmp_path / "other"
    design.run_study(design.grid([4], [4], ["effect"]), design.toy_twin, other, reps=3, scheduler=client,
                     progress=False, study_seed=1)
    shutil.copyfile(other / "4x4-effect.parquet", tmp_path / "4x4-effect.parquet")
    with pytest.raises(store.StoreError, match="2 different studies"):
        design.load_study(tmp_path)


def test_the_books_store_loads_verified_against_the_current_settings():
    from helpers.studies import power

    if not STORED.is_file():
        pytest.skip("no stored design study")
    manifest = store.read_manifest(STORED.parent)
    assert len(manifest) == len(list(STORED.parent.glob("*.parquet")))   # every cell's hash is recorded
    rows = power.load()
    if rows.attrs["study_version"] == power.STUDY_VERSION:
        # cells short of power.REPS (before `make power` extends them) are read as stored, with one note
        short = rows.attrs.get("other_twins") or {}
        assert len(rows) == sum(design.reps_of(power.REPS, c) for c in power.cells()) - sum(a - k for k, a in short.values())
        assert all(k < a for k, a in short.values())
        if short:
            assert len(rows.attrs["store_notes"]) == 1 and "`make power` extends the short ones" in rows.attrs["store_notes"][0]
        else:
            assert rows.attrs["store_notes"] == []  # every cell verified and computed with the current settings
    else:   # an earlier definition, read with one note saying so until `make power` recomputes it
        assert rows.attrs["study_version"] in power.LEGACY_VERSIONS
        assert len(rows.attrs["store_notes"]) == 1 and "make power" in rows.attrs["store_notes"][0]
