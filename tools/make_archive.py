"""Write the book's downloadable source archive (run by ``make book``).

Usage::

    python tools/make_archive.py _build/stage/_downloads/virtual-agglomeration-book.tar.gz

The archive holds every file git tracks (chapters, ``src/helpers``, data, profiles,
``requirements.lock``, ``pyproject.toml``, ``Makefile``, ``LICENSE``, ``CITATION.cff``...), as
they are in the working tree, under one top folder, plus a ``COMMIT`` file naming the commit
(``helpers.book.provenance`` reads it where there is no ``.git``). Never ``.venv``, ``_build`` or
anything git ignores. Outside a git checkout (e.g. rebuilding from an unpacked archive) it
walks the tree with the same exclusions. File times are the commit time, so the same sources
give the same bytes and an unchanged archive does not trigger a rebuild.
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = "virtual-agglomeration-book"
EXCLUDE = {".venv", "_build", ".git", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".hypothesis",
           ".benchmarks"}


def source_files(root: Path = ROOT) -> list[str]:
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True).stdout
        files = [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = [str(p.relative_to(root)) for p in root.rglob("*")
                 if p.is_file() and not EXCLUDE & set(p.relative_to(root).parts)
                 and not p.name.endswith(".egg-info")]
    return sorted(f for f in files if (root / f).is_file())


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit(__doc__)
    dest = Path(argv[0])
    sys.path.insert(0, str(ROOT / "src"))
    from helpers.book.provenance import git_commit

    commit = git_commit(ROOT)
    try:
        mtime = int(subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
                                   capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError, ValueError):
        mtime = 0
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in source_files():
            if rel == "COMMIT":
                continue
            info = tar.gettarinfo(str(ROOT / rel), arcname=f"{TOP}/{rel}")
            info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
            with open(ROOT / rel, "rb") as fh:
                tar.addfile(info, fh)
        data = (commit + "\n").encode()
        info = tarfile.TarInfo(f"{TOP}/COMMIT")
        info.size, info.mtime, info.mode = len(data), mtime, 0o644
        tar.addfile(info, io.BytesIO(data))
    blob = gzip.compress(buf.getvalue(), compresslevel=9, mtime=mtime)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not dest.exists() or dest.read_bytes() != blob:
        dest.write_bytes(blob)
    print(f"archive: {dest} ({len(blob) / 1e6:.1f} MB, commit {commit})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
