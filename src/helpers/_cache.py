"""One disk cache for every expensive result the chapters reuse (base layer: imports no layer).

A result is stored as ``<name>-<key>.pkl`` in the cache folder, where the key is a hash of
everything the result depends on (:func:`cache_key`): the inputs (frames by value, labels and
dtypes), the settings, the versions of the numerical libraries and the *source* of every helpers
package the computation runs through (:func:`source_digest`), so an edit to any of them is a miss.

Rules (issue 18): writes are atomic (a temporary file in the same folder, then ``os.replace``),
so a reader sees a whole file or none; an unreadable or partial file is a miss, recomputed and
overwritten; a failed write is a :class:`CacheWarning`, never an error (the result is returned);
pickles are loaded only from a folder this module marked as its own (:data:`MARKER`) and only
under the names it writes, never through a link that leaves the folder.

The folder is ``$HELPERS_CACHE`` when set (``make test`` sets an empty one for nbval, so the
notebooks are checked against a recomputation), else ``_build/cache`` of the checkout this
package lives in (never a folder found from the working directory: a downloaded project above
it could plant pickles, and unpickling runs code), else there is no cache and every call computes.
Any fault while loading (truncation, a flipped bit that makes the unpickler ask for 10^18 bytes,
a class that moved) is a miss.

**Checksums.** A file is :data:`MAGIC`, the SHA-256 of the pickle (64 hex digits and a newline),
then the pickle. The digest is verified *before* unpickling, so a damaged file whose pickle
framing is still valid (a flipped bit inside a float gives a different number, not an error) is
detected: it is a miss with a :class:`CacheWarning` naming the file, recomputed and overwritten.
A file without the header (an older format, or not ours) is a silent miss.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

#: Environment variable naming the cache folder.
CACHE_ENV = "HELPERS_CACHE"
#: File that marks a folder as this cache's own; pickles are read only from such a folder.
MARKER = "HELPERS_CACHE.TAG"
#: First bytes of every cache file (format version 1), followed by the pickle's SHA-256.
MAGIC = b"HELPERS-CACHE-1\n"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PACKAGE = Path(__file__).resolve().parent


class CacheWarning(UserWarning):
    """A cached result could not be written, or a stored one failed its checksum (the result is
    computed and used all the same)."""


def default_cache_dir() -> Path | None:
    """``$HELPERS_CACHE`` if set, else ``_build/cache`` of the checkout containing this package
    (``<root>/src/helpers``, the root having ``_toc.yml`` and ``pyproject.toml``), else None (an
    installed package: no caching). The working directory plays no part (issue 24)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    root = _PACKAGE.parents[1]
    if (root / "_toc.yml").is_file() and (root / "pyproject.toml").is_file():
        return root / "_build" / "cache"
    return None


def source_digest(packages: Iterable[str]) -> str:
    """SHA-256 of the source of the named helpers packages or modules (``"models"``,
    ``"analysis.report"``, ``"_results"``): file names and bytes, in a fixed order.

    >>> source_digest(["_results"]) == source_digest(["_results"]) != source_digest(["_cache"])
    True
    """
    h = hashlib.sha256()
    for name in sorted(set(packages)):
        base = _PACKAGE.joinpath(*name.split("."))
        files = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        if not files or not files[0].is_file():
            raise ValueError(f"source_digest: no helpers package or module {name!r}")
        for f in files:
            h.update(str(f.relative_to(_PACKAGE)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _hash_part(h, part) -> None:
    import pandas as pd

    if isinstance(part, (pd.DataFrame, pd.Series)):
        h.update(pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes())
        frame = part.to_frame() if isinstance(part, pd.Series) else part
        h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
        h.update(repr(list(frame.columns)).encode())
    elif isinstance(part, dict):
        h.update(repr(sorted(part.items())).encode())
    else:
        h.update(repr(part).encode())


def cache_key(*parts, sources: Iterable[str] = ()) -> str:
    """Hash of ``parts`` (frames by value, labels and dtypes; dicts sorted; anything else by
    ``repr``), the numpy, pandas and scipy versions and :func:`source_digest` of ``sources``."""
    import numpy as np
    import pandas as pd
    import scipy

    h = hashlib.sha256()
    for part in parts:
        _hash_part(h, part)
    h.update(f"{np.__version__} {pd.__version__} {scipy.__version__}".encode())
    h.update(source_digest(sources).encode())
    return h.hexdigest()


def _path(folder: Path, name: str, key: str) -> Path:
    if not _NAME.match(name) or not re.fullmatch(r"[0-9a-f]{16,64}", key):
        raise ValueError(f"cache: a name of lower-case letters and a hex key, got {name!r}, {key!r}")
    return folder / f"{name}-{key[:32]}.pkl"


def _unpack(path: Path, blob: bytes):
    """The pickle of a cache file after its checksum is verified; None (and a warning naming the
    file when it has our header) when it is damaged or of another format."""
    if not blob.startswith(MAGIC):
        return None  # an older format or a foreign file: a miss, nothing to report
    head = len(MAGIC) + 65
    digest, body = blob[len(MAGIC):head - 1], blob[head:]
    if len(blob) < head or blob[head - 1:head] != b"\n" or hashlib.sha256(body).hexdigest().encode() != digest:
        warnings.warn(f"cache: {path} is damaged (checksum mismatch or truncated); recomputing it",
                      CacheWarning, stacklevel=4)
        return None
    return body


def load(folder: Path, name: str, key: str):
    """The stored result, or None on a miss (no file, not our folder, unreadable, partial, or
    failing its checksum: see the module notes)."""
    path = _path(Path(folder), name, key)
    try:
        own = (Path(folder) / MARKER).is_file() and path.resolve().parent == Path(folder).resolve()
        if not own or not path.is_file():
            return None
        body = _unpack(path, path.read_bytes())
        return None if body is None else pickle.loads(body)
    except Exception:  # noqa: BLE001 -- any damage (a flipped bit can raise MemoryError) is a miss
        return None  # a partial, damaged or stale pickle (e.g. of a class that moved) is a miss


def store(folder: Path, name: str, key: str, value) -> Path | None:
    """Write ``value`` atomically; on failure warn (:class:`CacheWarning`) and return None."""
    folder = Path(folder)
    path = _path(folder, name, key)
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).touch()
        with tempfile.NamedTemporaryFile("wb", dir=folder, prefix=f".{name}-", suffix=".tmp", delete=False) as fh:
            tmp = Path(fh.name)
            body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            fh.write(MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
        os.replace(tmp, path)
        return path
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as err:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        warnings.warn(f"cache: could not write {path} ({err}); the result is used uncached", CacheWarning,
                      stacklevel=3)
        return None


def cached(name: str, key: str, compute: Callable[[], T], *, cache_dir=None) -> T:
    """``compute()``, stored under ``name`` and ``key`` in ``cache_dir`` (default
    :func:`default_cache_dir`) and reused while the key is the same. Without a folder, computes."""
    folder = default_cache_dir() if cache_dir is None else Path(cache_dir)
    if folder is None:
        return compute()
    value = load(folder, name, key)
    if value is None:
        value = compute()
        store(folder, name, key, value)
    return value
