"""Guards on the files a user gives the readers: what is read, how much, and how it is echoed.

- **Regular files only.** A named pipe would block a reader forever, a device could be
  endless: they, a dangling symbolic link and an oversized file get a one-line
  :class:`InputFileError` naming the file; a missing file, a folder and an unreadable file the
  usual :class:`FileNotFoundError`, :class:`IsADirectoryError` and :class:`PermissionError`,
  with a one-line message naming the file (``python -m helpers.data check`` prints that line,
  no traceback).
  The file is opened once (``O_NONBLOCK``, so opening a pipe cannot block) and checked with
  ``fstat`` on the open descriptor: what is checked is what is read.
- **Caps.** At most :data:`MAX_BYTES` bytes and :data:`MAX_ROWS` data rows are read
  (a clear message names the file and the cap; both are keyword options of the readers).
- **Echoes.** A line quoted back to the user is cut to :data:`ECHO_CHARS` characters with its
  control characters escaped (:func:`echo`); a file name that reaches a page (Markdown or HTML)
  goes through :func:`escape_name`.
"""

from __future__ import annotations

import errno
import html
import os
import re
import stat
from pathlib import Path

#: Largest file read (bytes): far above any city-year table (336 cities x 50 years is < 5 MB).
MAX_BYTES = 256 * 2**20

#: Most data rows read from one table (a city-year panel of every Chinese prefecture city over
#: a century has ~34,000).
MAX_ROWS = 500_000

#: Characters of a file's line echoed back in a message.
ECHO_CHARS = 80


class InputFileError(ValueError):
    """A file that cannot be read as a table: one line, naming the file and why."""


def _error(path: Path, err: OSError) -> Exception:
    """One-line exception naming ``path``: the matching OSError subclass, or InputFileError."""
    if err.errno == errno.ENOENT:
        if os.path.islink(path):
            return InputFileError(f"{path}: a symbolic link whose target {os.readlink(path)!r} does not exist")
        return FileNotFoundError(f"{path}: no such file")
    if err.errno in (errno.EACCES, errno.EPERM):
        return PermissionError(f"{path}: permission denied (the file cannot be read)")
    if err.errno == errno.EISDIR:
        return IsADirectoryError(f"{path}: is a folder, not a file")
    if err.errno == errno.ELOOP:
        return InputFileError(f"{path}: a loop of symbolic links")
    return InputFileError(f"{path}: cannot be opened ({err.strerror or err})")


def read_guarded(path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of ``path`` if it is a readable regular file of at most ``max_bytes`` bytes.

    Raises :class:`InputFileError` (one line, naming the file) otherwise.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise _error(path, err) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            kind = ("a named pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                    else "a device")
            raise InputFileError(f"{path}: is {kind}, not a regular file; refusing to read it")
        if st.st_size > max_bytes:
            raise InputFileError(f"{path}: {st.st_size:,} bytes, above the limit of {max_bytes:,} bytes "
                                 "(helpers.data.guards.MAX_BYTES); is this the right file?")
        chunks, total = [], 0
        while True:
            try:
                chunk = os.read(fd, 1 << 20)
            except OSError as err:
                raise _error(path, err) from None
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:  # grew while being read
                raise InputFileError(f"{path}: more than the limit of {max_bytes:,} bytes "
                                     "(helpers.data.guards.MAX_BYTES)")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def check_rows(path, n_rows: int, *, max_rows: int = MAX_ROWS) -> None:
    """Refuse a table with more than ``max_rows`` data rows, naming the file and the cap."""
    if n_rows > max_rows:
        raise InputFileError(f"{path}: {n_rows:,} rows, above the limit of {max_rows:,} (helpers.data.guards.MAX_ROWS); "
                             "a city-year table has a few thousand")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def echo(text, limit: int = ECHO_CHARS) -> str:
    """``text``'s first line, control characters escaped, cut to ``limit`` characters (with '...')."""
    s = str(text)
    first = s.splitlines()[0] if s.splitlines() else ""
    first = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", first)
    more = len(first) > limit or len(s.splitlines()) > 1
    return first[:limit] + ("..." if more else "")


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def escape_name(name) -> str:
    """A file name safe to put in Markdown or HTML: HTML-escaped, Markdown punctuation
    backslash-escaped, control characters shown, at most 200 characters."""
    s = echo(str(name), 200)
    return _MARKDOWN.sub(r"\\\1", html.escape(s, quote=False))
