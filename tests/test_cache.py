"""helpers._cache: one disk cache, keyed on inputs, settings and source; atomic; never trusting."""

import pickle
import shutil
import warnings

import pandas as pd
import pytest

from helpers import _cache


def _counter():
    calls = []

    def compute():
        calls.append(1)
        return {"value": len(calls)}

    return calls, compute


KEY = "ab" * 16


def test_computes_once_then_loads(tmp_path):
    calls, compute = _counter()
    assert _cache.cached("thing", KEY, compute, cache_dir=tmp_path) == {"value": 1}
    assert _cache.cached("thing", KEY, compute, cache_dir=tmp_path) == {"value": 1}
    assert len(calls) == 1
    assert (tmp_path / _cache.MARKER).is_file()
    assert [p.name for p in tmp_path.glob("*.pkl")] == [f"thing-{KEY}.pkl"]
    assert not list(tmp_path.glob("*.tmp"))          # the temporary file was renamed, not left


def test_a_partial_or_unreadable_file_is_a_miss_and_is_overwritten(tmp_path):
    calls, compute = _counter()
    path = _cache.store(tmp_path, "thing", KEY, {"value": 0})
    path.write_bytes(path.read_bytes()[:5])          # a write cut short
    assert _cache.cached("thing", KEY, compute, cache_dir=tmp_path) == {"value": 1}
    path.write_bytes(b"not a pickle at all")
    assert _cache.cached("thing", KEY, compute, cache_dir=tmp_path) == {"value": 2}
    assert _cache.load(tmp_path, "thing", KEY) == {"value": 2} and len(calls) == 2
    assert path.read_bytes().startswith(_cache.MAGIC)


def test_pickles_are_read_only_from_the_caches_own_folder(tmp_path):
    foreign = tmp_path / "downloaded"
    foreign.mkdir()
    (foreign / f"thing-{KEY}.pkl").write_bytes(pickle.dumps({"value": "foreign"}))
    assert _cache.load(foreign, "thing", KEY) is None  # no marker: not ours
    ours = tmp_path / "ours"
    _cache.store(ours, "other", KEY, 1)
    outside = tmp_path / "outside.pkl"
    outside.write_bytes(pickle.dumps({"value": "outside"}))
    (ours / f"thing-{KEY}.pkl").symlink_to(outside)  # a link out of the folder
    assert _cache.load(ours, "thing", KEY) is None
    assert _cache.load(ours, "other", KEY) == 1
    with pytest.raises(ValueError):
        _cache.load(ours, "../thing", KEY)


def test_a_failed_write_warns_and_returns_the_result(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the folder should be")
    calls, compute = _counter()
    with pytest.warns(_cache.CacheWarning, match="could not write"):
        assert _cache.cached("thing", KEY, compute, cache_dir=blocked) == {"value": 1}


def test_no_folder_means_no_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(_cache.CACHE_ENV, raising=False)
    monkeypatch.setattr(_cache, "_PACKAGE", tmp_path / "site-packages" / "helpers")  # installed, no checkout
    assert _cache.default_cache_dir() is None
    calls, compute = _counter()
    _cache.cached("thing", KEY, compute)
    _cache.cached("thing", KEY, compute)
    assert len(calls) == 2
    monkeypatch.setenv(_cache.CACHE_ENV, str(tmp_path / "c"))
    assert _cache.default_cache_dir() == tmp_path / "c"


def test_the_key_follows_inputs_settings_and_source():
    df = pd.DataFrame({"a": [1.0, 2.0]})
    k = _cache.cache_key(df, {"b": 1, "a": 2}, sources=["_results"])
    assert k == _cache.cache_key(df.copy(), {"a": 2, "b": 1}, sources=["_results"])
    assert k != _cache.cache_key(df.assign(a=[1.0, 2.0 + 1e-12]), {"b": 1, "a": 2}, sources=["_results"])
    assert k != _cache.cache_key(df.astype("float32"), {"b": 1, "a": 2}, sources=["_results"])
    assert k != _cache.cache_key(df, {"b": 1, "a": 3}, sources=["_results"])
    assert k != _cache.cache_key(df, {"b": 1, "a": 2}, sources=["_results", "data"])
    with pytest.raises(ValueError, match="no helpers package"):
        _cache.source_digest(["no_such_layer"])


def test_an_edit_to_the_estimands_is_a_new_truth_key(tmp_path, monkeypatch):
    # the stale-truths defect of issue 18: truths must be recomputed after an edit to estimands.py
    from helpers.studies import twin_cell

    copy = tmp_path / "helpers"
    shutil.copytree(_cache._PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(_cache, "_PACKAGE", copy)
    before = _cache.source_digest(twin_cell.TRUTH_SOURCES)
    with open(copy / "simulate" / "estimands.py", "a") as fh:
        fh.write("\n# an edit\n")
    assert _cache.source_digest(twin_cell.TRUTH_SOURCES) != before
    with open(copy / "book" / "narrative.py", "a") as fh:   # not a dependency of the truths
        fh.write("\n# an edit\n")
    assert _cache.source_digest(["simulate"]) == _cache.source_digest(["simulate"])


def test_cached_truths_use_the_one_cache(tmp_path, monkeypatch):
    from helpers.simulate import estimands
    from helpers.studies import twin_cell

    calls = []
    monkeypatch.setattr(estimands, "estimand_truths", lambda **kw: calls.append(kw) or ("truths", kw))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = twin_cell.cached_truths(7, measured=False, cache_dir=tmp_path)
        two = twin_cell.cached_truths(7, measured=False, cache_dir=tmp_path)
    assert one == two == ("truths", {"seed": 7, "measured": False}) and len(calls) == 1
    twin_cell.cached_truths(7, measured=True, cache_dir=tmp_path)
    twin_cell.cached_truths(8, measured=False, cache_dir=tmp_path)
    assert len(calls) == 3 and len(list(tmp_path.glob("truths-*.pkl"))) == 3
