"""The stored design study (data/power) stays valid across refactorings of the code layout."""

from pathlib import Path

import pandas as pd
import pytest

from helpers.studies import design, power, power_plan

STORE = Path(__file__).resolve().parents[1] / "data" / "power"


@pytest.fixture
def stored_digest(monkeypatch):
    """The analysis digest the stored cells carry, pinned as the current one: the planner then
    judges the cells by their settings alone (the digest check is tested in tests/test_store.py;
    any change of the analysis code recomputes every cell, on purpose)."""
    from helpers.studies import store

    digests = {store.read_cell(p)[1].get("analysis_digest") for p in STORE.glob("*.parquet")}
    if not digests:
        pytest.skip("no stored design study in data/power")
    # cells stored by different versions of the analysis code (a partial rerun): no digest is
    # "current" for all of them, and a digest of None makes the planner judge by settings alone
    pinned = next(iter(digests)) if len(digests) == 1 else None
    monkeypatch.setattr(store, "code_digest", lambda module, root=None: pinned)
    return pinned


def test_every_stored_cell_is_current(stored_digest):
    # a rerun (`make power`) skips a cell whose stored fingerprint equals the one computed now;
    # moving design_twin from helpers.experiments to helpers.studies must not change it
    cells = [c for c in power.cells() if design._cell_path(STORE, c).is_file()]
    if not cells:
        pytest.skip("no stored design study in data/power")
    stored = {c.name: design._stored_fingerprint(design._cell_path(STORE, c)) for c in cells}
    stale = [c.name for c in cells
             if stored[c.name] != design.cell_fingerprint(c, power.analyse(), power.REPS, power.STUDY_SEED,
                                                          power.settings(), power.OPTIONS, paired=power.PAIRED)]
    if stale:
        # a cell asked for more twins than it holds (power.REPS) is extended by `make power`, not
        # recomputed: it is current but short (test_the_book_plan_extends_the_coverage_cells...)
        plan = power_plan.plan().set_index("cell")
        stale = [n for n in stale if plan.loc[n, "action"] != "extend"]
    if stale:
        # until `make power` recomputes it, the store may be one earlier definition of the study
        # (power.LEGACY_VERSIONS), every cell of it, with the twins it holds
        twins = power._stored_twins(STORE)
        versions = [v for v in power.LEGACY_VERSIONS
                    if power.expected_fingerprints(v, twins).items() >= {f"{n}.parquet": f for n, f in stored.items()}.items()]
        assert versions, stale
        assert len(cells) == len(power.cells(worlds=power.LEGACY_VERSIONS[versions[0]][1]))
    else:
        assert len(cells) == len(power.cells())


def test_the_fingerprint_names_a_function_by_its_pinned_name_else_its_path():
    assert design.analyse_name(power.analyse()) == "helpers.experiments.design_twin"
    assert design.analyse_name(design.toy_twin) == "helpers.studies.design.toy_twin"
    cell = power.cells()[0]
    pinned = design.cell_fingerprint(cell, power.analyse(), 2, 1, {}, {})
    assert pinned != design.cell_fingerprint(cell, design.toy_twin, 2, 1, {}, {})


# --------------------------------------------------------------------------- extending a cell
#: (cell, replicate) of every twin the runner computed while `counted_run_one` is patched in
CALLS: list = []
_RUN_ONE = design._run_one


def counted_run_one(analyse, cell, rep, seed, *args, **kwargs):
    # module level, so the in-process Dask worker runs this very function and appends to CALLS
    CALLS.append((cell.name, rep))
    return _RUN_ONE(analyse, cell, rep, seed, *args, **kwargs)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture
def counted(monkeypatch):
    monkeypatch.setattr(design, "_run_one", counted_run_one)
    CALLS.clear()
    yield CALLS
    CALLS.clear()


CELLS = design.grid([3], [4], ["effect", "null"])


def _toy(out, client, reps, **kw):
    return design.run_study(CELLS, design.toy_twin, out, reps=reps, scheduler=client, progress=False,
                            paired=True, **kw)


def _plan(out, reps, **kw):
    return design.plan(CELLS, design.toy_twin, out, reps=reps, paired=True, **kw).set_index("cell")


def test_extending_a_cell_computes_only_its_new_twins_and_equals_a_fresh_run(tmp_path, client, counted):
    from helpers.studies import store

    ext, fresh = tmp_path / "ext", tmp_path / "fresh"
    _toy(ext, client, 3)
    assert sorted(counted) == [(c.name, r) for c in CELLS for r in range(3)]
    p = _plan(ext, 5)
    assert list(p["action"]) == ["extend", "extend"] and list(p["stored"]) == [3, 3]
    assert list(p["new_twins"]) == [2, 2]
    counted.clear()
    s = _toy(ext, client, 5)
    # only replicates 3 and 4 of each cell were computed
    assert sorted(counted) == [(c.name, r) for c in CELLS for r in (3, 4)]
    assert s.extended == s.computed == [c.name for c in CELLS] and s.twins_computed == 4
    counted.clear()
    f = _toy(fresh, client, 5)
    assert len(counted) == 10 and f.twins_computed == 10 and not f.extended
    pd.testing.assert_frame_equal(s.rows, f.rows)
    manifest = store.read_manifest(ext)
    for c in CELLS:
        name = f"{c.name}.parquet"
        # the same bytes as a fresh 5-twin cell (rows, fingerprint with 5 twins, digest) and the new hash recorded
        assert (ext / name).read_bytes() == (fresh / name).read_bytes()
        assert manifest[name] == store.sha256_bytes((ext / name).read_bytes())
    assert list(_plan(ext, 5)["action"]) == ["reuse", "reuse"]


def test_a_cell_with_other_settings_or_unverified_rows_is_recomputed_not_extended(tmp_path, client, counted):
    from helpers.studies import store

    _toy(tmp_path, client, 3)
    # a changed option: every twin differs, so everything is computed again
    p = _plan(tmp_path, 5, options={"effect": 0.1})
    assert list(p["action"]) == ["compute", "compute"] and list(p["new_twins"]) == [5, 5]
    counted.clear()
    s = _toy(tmp_path, client, 5, options={"effect": 0.1})
    assert len(counted) == 10 and not s.extended and s.twins_computed == 10
    # another study seed and unpaired seeds: no replicate has the stored seed
    assert set(_plan(tmp_path, 7, study_seed=1, options={"effect": 0.1})["action"]) == {"compute"}
    assert set(design.plan(CELLS, design.toy_twin, tmp_path, reps=7, options={"effect": 0.1})["action"]) == {"compute"}
    # a cell without a recorded hash is reused unverified (as before) but never extended
    manifest = store.read_manifest(tmp_path)
    (tmp_path / store.MANIFEST).write_text(f"{manifest['3x4-null.parquet']}  3x4-null.parquet\n")
    p = _plan(tmp_path, 6, options={"effect": 0.1})
    assert p.loc["3x4-effect", "action"] == "compute" and p.loc["3x4-null", "action"] == "extend"


def test_stored_rows_that_are_not_the_first_replicates_are_not_extended(tmp_path, client):
    from helpers.studies import store

    _toy(tmp_path, client, 4)
    path = tmp_path / "3x4-effect.parquet"
    rows, meta = store.read_cell(path)
    # the same fingerprint, hash and digest, but replicates 1..3 and 0 swapped: not a prefix
    swapped = rows.assign(rep=[1, 0, 2, 3]).sort_values("rep").reset_index(drop=True)
    store.record_hashes(tmp_path, {path.name: store.write_cell(path, swapped, meta)})
    p = _plan(tmp_path, 6)
    assert p.loc["3x4-effect", "action"] == "compute" and p.loc["3x4-null", "action"] == "extend"


def test_a_cell_with_more_twins_than_asked_is_recomputed_as_before(tmp_path, client, counted):
    # the existing semantics: the fingerprint counts the twins, so 5 stored and 3 asked recomputes 3
    five = _toy(tmp_path, client, 5)
    assert list(_plan(tmp_path, 3)["action"]) == ["compute", "compute"]
    counted.clear()
    three = _toy(tmp_path, client, 3)
    assert len(counted) == 6 and not three.extended
    pd.testing.assert_frame_equal(three.rows, five.rows[five.rows["rep"] < 3].reset_index(drop=True))


def test_the_book_plan_extends_the_coverage_cells_and_reuses_the_rest(stored_digest):
    # dry run against the repository's store (read only): with the 500 twins of 21 x 13, the three
    # worlds of that design are extended from the twins they hold and no other cell is touched
    cells = [c for c in power.cells() if design._cell_path(STORE, c).is_file()]
    if len(cells) != len(power.cells()):
        pytest.skip("no complete stored design study in data/power")
    p = power_plan.plan().set_index("cell")
    stored = power._stored_twins(STORE)
    for c in power.cells():
        have, want = stored[f"{c.name}.parquet"], design.reps_of(power.REPS, c)
        row = p.loc[c.name]
        if have == want:
            assert row["action"] == "reuse" and row["new_twins"] == 0, c.name
        else:
            assert (row["action"], row["stored"], row["new_twins"]) == ("extend", have, want - have), c.name


def test_a_store_short_of_twins_is_read_as_stored_with_a_note(tmp_path, monkeypatch):
    import shutil

    from helpers.studies import store

    if not (STORE / store.MANIFEST).is_file():
        pytest.skip("no stored design study in data/power")
    for f in [*STORE.glob("*.parquet"), STORE / store.MANIFEST]:
        shutil.copyfile(f, tmp_path / f.name)
    monkeypatch.setattr(power, "default_store", lambda: tmp_path)
    per_n = {k: v for k, v in power.REPS.items() if not isinstance(k, tuple)}
    held = power._stored_twins(tmp_path)
    want = held["21x13-effect.parquet"] + 1
    monkeypatch.setattr(power, "REPS", {**per_n, (21, 13): want})
    rows = power.load()
    assert rows.attrs["study_version"] == power.STUDY_VERSION
    assert rows.attrs["other_twins"] == {f"21x13-{w}.parquet": (held[f"21x13-{w}.parquet"], want)
                                         for w in power.WORLDS}
    assert len(rows) == sum(held.values()) and "until `make power` extends the short ones" in rows.attrs["store_notes"][-1]
    # the twins as asked: read strictly, no note
    monkeypatch.setattr(power, "REPS", {**per_n, (21, 13): held["21x13-effect.parquet"]})
    assert power.load().attrs.get("other_twins") is None
    # a cell short of twins AND computed with other settings is refused, not read
    monkeypatch.setattr(power, "REPS", {**per_n, (21, 13): want})
    monkeypatch.setattr(power, "OPTIONS", {**power.OPTIONS, "n_boot": 99})
    with pytest.raises(store.StoreError, match="other settings"):
        power.load()


def test_a_partial_run_records_every_stored_cell_in_grid_order(tmp_path):
    # a run of the 21 x 13 cells only must not make study.json (and Chapter 8) forget the others
    from helpers.studies import design as _design
    from helpers.studies.study_record import stored_cells

    for name in ("50x13-null", "21x8-effect", "336x20-effect", "21x13-null_unconfounded"):
        (tmp_path / f"{name}.parquet").write_bytes(b"")
    run = [_design.Cell(21, 13, "effect"), _design.Cell(21, 13, "null_unconfounded")]
    assert stored_cells(tmp_path, run) == ["21x8-effect", "21x13-effect", "21x13-null_unconfounded",
                                           "50x13-null", "336x20-effect"]
