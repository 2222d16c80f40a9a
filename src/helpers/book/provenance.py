"""Which code produced a result: the package version and the git commit, computed, never typed.

The book prints :func:`build_version` in its footer and in the reproducibility appendix, so a
reader can cite the exact state of the code behind a figure.
"""

from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

#: Written into the source archive by ``tools/make_archive.py`` (an archive has no ``.git``).
COMMIT_FILE = "COMMIT"


def package_version() -> str:
    """Installed version of the ``helpers`` package (from ``pyproject.toml``)."""
    try:
        return version("helpers")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def git_commit(root: str | Path | None = None) -> str:
    """Short commit hash of the repository holding ``root`` (default: this package's tree).

    ``-dirty`` is appended when tracked files differ from that commit. Outside a git checkout
    (e.g. the downloaded archive) the hash is read from the archive's ``COMMIT`` file; if
    neither exists the answer is ``"unknown"``, never a guess.
    """
    root = Path(root) if root is not None else Path(__file__).resolve().parents[3]
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=10", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        for d in (root, *root.parents):
            f = d / COMMIT_FILE
            if f.is_file():
                return f.read_text().strip()
        return "unknown"


def build_version(root: str | Path | None = None) -> str:
    """``"helpers <version>, commit <hash>"``: what the footer and the appendix print."""
    return f"helpers {package_version()}, commit {git_commit(root)}"
