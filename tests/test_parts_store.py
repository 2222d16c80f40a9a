"""The generic parts store (helpers.studies.parts_store) on a toy study: what is written reads back
exactly, other settings are refused naming the command, damage names the file, a changed code
digest is a note, and only outdated parts are recomputed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers.studies.parts_store import PartsStore, StaleStoreError, duration
from helpers.studies.store import StoreError


def _settings(s):
    s = {"n": 4, **dict(s or {})}
    if set(s) != {"n"}:
        raise ValueError(f"toy: unknown settings {sorted(set(s) - {'n'})}")
    return s


def _part_settings(part, s):
    return {"part": part, "n": _settings(s)["n"]}


TOY = PartsStore(name="toy", command="make toy", module="helpers.studies.parts_store", label="toy study",
                 title="Toy store", what="a toy", parts={"a": ("x", "y"), "b": ("z",)},
                 part_settings=_part_settings, settings=_settings, version="1")


def _compute(settings, calls):
    n = _settings(settings)["n"]

    def compute(part):
        calls.append(part)
        rng = np.random.default_rng(len(part) + n)
        if part == "a":
            return {"x": pd.DataFrame({"v": rng.normal(size=n)}), "y": pd.DataFrame({"k": list("abcd")[:n]})}
        return {"z": pd.DataFrame({"w": np.arange(n, dtype=float) / 3})}
    return compute


def test_written_parts_read_back_exactly_and_are_kept(tmp_path):
    calls = []
    assert TOY.run(_compute(None, calls), tmp_path) == ["a", "b"]
    live = {p: _compute(None, [])(p) for p in TOY.parts}
    got = TOY.read(tmp_path)
    assert got.notes == [] and set(got.tables) == {"a", "b"}
    for p, tables in live.items():
        for t, frame in tables.items():
            pd.testing.assert_frame_equal(got.tables[p][t], frame, check_exact=True)
    assert TOY.run(_compute(None, calls), tmp_path) == [] and calls == ["a", "b"]
    assert set(TOY.read(tmp_path, parts=["b"]).tables) == {"b"}
    log = json.loads((tmp_path / "study.json").read_text())
    assert log["settings"] == {"n": 4} and log["parts"]["b"] == {"part": "b", "n": 4}
    text = (tmp_path / "PROVENANCE.md").read_text()
    assert text.startswith("# Toy store") and "`make toy` (`python -m helpers.studies.parts_store run`)" in text
    assert TOY.computed_by(log).startswith(", computed by `make toy` in ")


def test_other_settings_are_refused_naming_the_command(tmp_path):
    TOY.run(_compute(None, []), tmp_path)
    with pytest.raises(StaleStoreError, match=r"a-x.parquet .* other settings .*`make toy`"):
        TOY.read(tmp_path, {"n": 3})
    with pytest.raises(StaleStoreError, match="has no cell a-x.parquet .*`make toy`"):
        TOY.read(tmp_path / "empty")
    assert TOY.outdated(tmp_path, {"n": 3}) == ["a", "b"]


def test_damaged_cell_names_the_file_and_only_its_part_is_recomputed(tmp_path):
    TOY.run(_compute(None, []), tmp_path)
    cell = tmp_path / "b-z.parquet"
    data = bytearray(cell.read_bytes())
    data[len(data) // 2] ^= 0x01
    cell.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="b-z.parquet is damaged"):
        TOY.read(tmp_path)
    calls = []
    assert TOY.run(_compute(None, calls), tmp_path) == ["b"] and calls == ["b"]


def test_changed_code_digest_is_a_note(tmp_path):
    TOY.run(_compute(None, []), tmp_path)
    got = TOY.read(tmp_path, digest="0" * 16)
    assert got.notes == [f"{p}: the analysis code changed since it was stored; `make toy` recomputes it" for p in "ab"]
    assert TOY.code_note(got.notes) == (" The analysis code has changed since the parts a, b were stored; "
                                        "`make toy` recomputes them.")
    assert TOY.outdated(tmp_path, digest="0" * 16) == ["a", "b"]


def test_a_computation_without_a_table_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"part 'b' gave no table\(s\) \['z'\]"):
        TOY.run(lambda part: {"x": pd.DataFrame({"v": [1.0]}), "y": pd.DataFrame({"k": ["a"]})}, tmp_path)


def test_duration_reads_as_seconds_or_minutes():
    assert duration(25.4) == "25 s" and duration(332.1) == "5.5 minutes"


def test_computed_by_names_the_parts_when_the_last_run_did_not_make_them_all():
    run = {"wall_seconds": 95.0, "finished_utc": "2026-12-02 10:00:00"}
    full = {"runs": [{**run, "parts_computed": ["a", "b"]}]}
    part = {"runs": [{**run, "parts_computed": ["a", "b"]}, {**run, "parts_computed": ["b"]}]}
    assert TOY.computed_by({}) == ""
    assert TOY.computed_by(full) == f", computed by `make toy` in {duration(95.0)} on 2026-12-02"
    assert TOY.computed_by(part) == f", last updated by `make toy` (parts b in {duration(95.0)} on 2026-12-02)"
