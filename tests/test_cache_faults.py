"""Fault tests of the one disk cache (helpers._cache, issue 24): a damaged file of any kind is a
miss, never an exception, and pickles are read only from the project's own cache folder."""

from __future__ import annotations

import os
import pickle

import pytest

from helpers import _cache

KEY = "cd" * 16


def _stored(tmp_path):
    value = {"alpha": 0.123456789, "rows": list(range(50)), "label": "twin"}
    path = _cache.store(tmp_path, "thing", KEY, value)
    return path, value


@pytest.mark.filterwarnings("ignore::helpers._cache.CacheWarning")
def test_every_truncation_is_a_miss_not_an_error(tmp_path):
    path, value = _stored(tmp_path)
    whole = path.read_bytes()
    for n in range(len(whole)):
        path.write_bytes(whole[:n])
        assert _cache.load(tmp_path, "thing", KEY) is None, n
    path.write_bytes(whole)
    assert _cache.load(tmp_path, "thing", KEY) == value


@pytest.mark.filterwarnings("ignore::helpers._cache.CacheWarning")
def test_every_single_bit_flip_is_a_miss_never_a_wrong_value(tmp_path):
    path, _ = _stored(tmp_path)
    whole = path.read_bytes()
    for i in range(len(whole)):
        for bit in (0x01, 0x80):
            data = bytearray(whole)
            data[i] ^= bit
            path.write_bytes(bytes(data))
            # the checksum is verified before unpickling: no exception and no wrong value
            assert _cache.load(tmp_path, "thing", KEY) is None, (i, bit)


class _Trap:
    """Unpickling this creates a folder: proof that a pickle was loaded (and code ran)."""

    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.mkdir, (self.sentinel,))


def test_pickles_above_the_working_directory_are_never_loaded(tmp_path, monkeypatch):
    # someone else's project (a download): _toc.yml, pyproject.toml and a marked cache folder
    foreign = tmp_path / "downloaded_book"
    cache = foreign / "_build" / "cache"
    cache.mkdir(parents=True)
    (foreign / "_toc.yml").write_text("root: intro\n")
    (foreign / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (cache / _cache.MARKER).touch()
    sentinel = tmp_path / "code-ran"
    (cache / f"thing-{KEY}.pkl").write_bytes(pickle.dumps(_Trap(str(sentinel))))
    (foreign / "chapters").mkdir()
    monkeypatch.chdir(foreign / "chapters")
    monkeypatch.delenv(_cache.CACHE_ENV, raising=False)
    # our own checkout, elsewhere (so this test never writes to the real project's cache)
    own = tmp_path / "own_checkout"
    (own / "src" / "helpers").mkdir(parents=True)
    (own / "_toc.yml").write_text("root: intro\n")
    (own / "pyproject.toml").write_text("[project]\nname = 'helpers'\n")
    monkeypatch.setattr(_cache, "_PACKAGE", own / "src" / "helpers")
    assert _cache.default_cache_dir() == own / "_build" / "cache"
    calls = []
    _cache.cached("thing", KEY, lambda: calls.append(1) or 1)
    assert not sentinel.exists() and calls == [1]


def _flip_inside_the_pickle(path, value):
    """Flip one bit of a stored float so that the pickle still loads, to a different value."""
    blob = bytearray(path.read_bytes())
    body = bytes(blob[len(_cache.MAGIC) + 65:])
    import struct

    at = len(_cache.MAGIC) + 65 + body.index(struct.pack(">d", value["alpha"]))  # the float's bytes
    blob[at + 7] ^= 0x01
    damaged = bytes(blob)
    assert pickle.loads(damaged[len(_cache.MAGIC) + 65:])["alpha"] != value["alpha"]  # valid framing
    return damaged


def test_a_damaged_pickle_with_valid_framing_fails_its_checksum_and_is_recomputed(tmp_path):
    path, value = _stored(tmp_path)
    path.write_bytes(_flip_inside_the_pickle(path, value))
    with pytest.warns(_cache.CacheWarning, match=rf"{path.name} is damaged \(checksum"):
        assert _cache.load(tmp_path, "thing", KEY) is None
    calls = []
    with pytest.warns(_cache.CacheWarning, match=path.name):
        again = _cache.cached("thing", KEY, lambda: calls.append(1) or value, cache_dir=tmp_path)
    assert again == value and calls == [1]
    assert _cache.load(tmp_path, "thing", KEY) == value  # overwritten with a sound file


def test_a_damaged_truths_pickle_is_recomputed_naming_the_file(tmp_path, monkeypatch):
    from helpers.simulate import estimands
    from helpers.studies import twin_cell

    calls = []
    truths = {"alpha": 0.25, "scale": 1.5}
    monkeypatch.setattr(estimands, "estimand_truths", lambda **kw: calls.append(kw) or dict(truths))
    assert twin_cell.cached_truths(3, measured=False, cache_dir=tmp_path) == truths
    (path,) = tmp_path.glob("truths-*.pkl")
    path.write_bytes(_flip_inside_the_pickle(path, truths))
    with pytest.warns(_cache.CacheWarning, match=rf"{path.name} is damaged"):
        assert twin_cell.cached_truths(3, measured=False, cache_dir=tmp_path) == truths
    assert len(calls) == 2
    path.write_bytes(path.read_bytes()[:-3])  # truncated: named too, recomputed, never fatal
    with pytest.warns(_cache.CacheWarning, match=path.name):
        assert twin_cell.cached_truths(3, measured=False, cache_dir=tmp_path) == truths
    assert len(calls) == 3


def test_an_old_format_pickle_is_a_silent_miss(tmp_path):
    import warnings

    path, value = _stored(tmp_path)
    path.write_bytes(pickle.dumps(value))  # the format before checksums: never unpickled
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _cache.load(tmp_path, "thing", KEY) is None
