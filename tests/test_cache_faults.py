"""Fault tests of the one disk cache (helpers._cache, issue 24): a damaged file of any kind is a
miss, never an exception, and pickles are read only from the project's own cache folder."""

from __future__ import annotations

import os
import pickle

from helpers import _cache

KEY = "cd" * 16


def _stored(tmp_path):
    value = {"alpha": 0.123456789, "rows": list(range(50)), "label": "twin"}
    path = _cache.store(tmp_path, "thing", KEY, value)
    return path, value


def test_every_truncation_is_a_miss_not_an_error(tmp_path):
    path, value = _stored(tmp_path)
    whole = path.read_bytes()
    for n in range(len(whole)):
        path.write_bytes(whole[:n])
        assert _cache.load(tmp_path, "thing", KEY) is None, n
    path.write_bytes(whole)
    assert _cache.load(tmp_path, "thing", KEY) == value


def test_bit_flips_never_raise(tmp_path):
    path, _ = _stored(tmp_path)
    whole = path.read_bytes()
    for i in range(len(whole)):
        for bit in (0x01, 0x80):
            data = bytearray(whole)
            data[i] ^= bit
            path.write_bytes(bytes(data))
            _cache.load(tmp_path, "thing", KEY)  # a value, a wrong value or None -- but no exception


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
