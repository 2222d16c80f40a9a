r"""A trustworthy store for the cells of a design study (Parquet files in one folder).

What a cell file may be trusted for, and how this module checks it:

- **Content.** ``SHA256SUMS`` in the folder (``sha256sum -c`` format) records the SHA-256 of
  each cell's bytes when it is written. A reader hashes the bytes it parses (one read, no
  time-of-check/time-of-use gap); a mismatch names the file. Parquet's own checks miss damage:
  a damaged data page under an intact footer reads without error and gives other values.
- **Meaning.** Each cell's Parquet metadata carries its ``design_fingerprint`` (settings,
  options, twins, study seed: :func:`helpers.studies.design.cell_fingerprint`), the
  ``study_fingerprint`` (the same without the per-cell number of twins, equal for every cell of
  one study) and the ``analysis_digest`` of the analysis code (:func:`code_digest`). Cells
  written before the last two fields existed are *legacy*: accepted, with a note.
- **Writing.** Bytes go to a fresh temporary file created with ``O_EXCL`` in the target folder
  (:func:`tempfile.mkstemp`: a random name, never an existing path, so a planted symlink is not
  followed), are flushed to disk and renamed onto the target (``os.replace``, atomic; a symlink
  at the target is replaced, not followed). :func:`check_writable` tests the folder before any
  computing starts.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

import pandas as pd

#: Manifest of content hashes in a store folder.
MANIFEST = "SHA256SUMS"

#: Parquet metadata keys of a cell.
FINGERPRINT, STUDY_FINGERPRINT, DIGEST = b"design_fingerprint", b"study_fingerprint", b"analysis_digest"


class StoreError(ValueError):
    """A stored cell cannot be used (damaged, unreadable or from another study); names the file."""


# --------------------------------------------------------------------------- bytes on disk
def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_writable(folder) -> Path:
    """Create ``folder`` if needed and prove a file can be created in it; error names the folder."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise PermissionError(f"design study folder {folder} is not writable ({err.strerror or err}); "
                              "nothing was computed") from None
    return folder


def atomic_write(target, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically through a fresh O_EXCL temporary file beside it."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would make the results private
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_manifest(folder) -> dict:
    """``{file name: sha256}`` from the folder's manifest (empty if there is none)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2 and len(parts[0]) == 64:
            out[parts[1].lstrip("*")] = parts[0]
    return out


def record_hashes(folder, hashes: dict) -> None:
    """Add or replace entries of the folder's manifest (rewritten atomically, sorted by name)."""
    manifest = {**read_manifest(folder), **hashes}
    text = "".join(f"{h}  {name}\n" for name, h in sorted(manifest.items()))
    atomic_write(Path(folder) / MANIFEST, text.encode())


# --------------------------------------------------------------------------- cells
def write_cell(path, rows: pd.DataFrame, meta: dict) -> str:
    """Write one cell's rows with ``meta`` (str -> str) in its Parquet metadata; return its SHA-256."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(rows, preserve_index=False)
    extra = {k.encode() if isinstance(k, str) else k: str(v).encode() for k, v in meta.items()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    data = sink.getvalue().to_pybytes()
    atomic_write(path, data)
    return sha256_bytes(data)


def read_cell(path, expected_sha: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Rows and metadata of one cell, from bytes whose hash is checked against ``expected_sha``.

    Raises :class:`StoreError` naming the file when it is missing, not a regular file, damaged
    (hash differs) or unreadable as Parquet.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        if not path.is_file():
            raise StoreError(f"design study cell {path} is missing or not a regular file")
        data = path.read_bytes()
    except OSError as err:
        raise StoreError(f"design study cell {path} cannot be read: {err.strerror or err}") from None
    if expected_sha is not None and sha256_bytes(data) != expected_sha:
        raise StoreError(f"design study cell {path} is damaged: its SHA-256 differs from the one recorded "
                         f"in {MANIFEST} when it was written")
    try:
        table = pq.read_table(pa.BufferReader(data))
        rows = table.to_pandas()
    except (OSError, ValueError, pa.ArrowException) as err:
        raise StoreError(f"design study cell {path} is not a readable Parquet file ({type(err).__name__}: "
                         f"{str(err)[:120]})") from None
    meta = {k.decode(): v.decode(errors="replace") for k, v in (table.schema.metadata or {}).items()
            if k in (FINGERPRINT, STUDY_FINGERPRINT, DIGEST)}
    return rows, meta


def cell_status(path, fingerprint: str, digest: str | None, manifest: dict) -> tuple[bool, str | None]:
    """Whether a stored cell can be reused as it is, and a note for the reader.

    ``(False, None)``: absent or computed with other settings (the normal reasons to compute);
    ``(False, note)``: damaged, unreadable or computed by other analysis code;
    ``(True, note)``: reusable, with a note when it is a legacy cell.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return False, None
    try:
        _, meta = read_cell(path, manifest.get(path.name))
    except StoreError as err:
        return False, f"{err}; recomputed"
    if meta.get("design_fingerprint") != fingerprint:
        return False, None
    notes = []
    stored = meta.get("analysis_digest")
    if stored is None:
        notes.append(f"{path.name}: legacy cell (written before analysis-code digests were recorded); accepted")
    elif digest is not None and stored != digest:
        return False, f"{path.name}: the analysis code changed since this cell was computed; recomputed"
    if path.name not in manifest:
        notes.append(f"{path.name}: no content hash recorded in {MANIFEST}; accepted unverified")
    return True, "; ".join(notes) or None


def load_cells(paths, expect: dict | None = None) -> tuple[pd.DataFrame, list]:
    """Read cells into one frame, refusing damaged cells and cells of different studies.

    ``expect`` maps file name -> the fingerprint the caller's settings give that cell; any
    other stored fingerprint is refused. Without it, cells must share one ``study_fingerprint``
    (legacy cells without one are accepted with a note). Returns the rows and the notes.
    """
    paths = [Path(p) for p in paths]
    manifests = {p.parent: read_manifest(p.parent) for p in paths}
    frames, metas, notes = [], {}, []
    for p in paths:
        rows, meta = read_cell(p, manifests[p.parent].get(p.name))
        frames.append(rows)
        metas[p.name] = meta
        if p.name not in manifests[p.parent]:
            notes.append(f"{p.name}: no content hash recorded; read unverified")
    if expect is not None:
        stale = sorted(n for n, m in metas.items() if m.get("design_fingerprint") != expect.get(n))
        if stale:
            raise StoreError(f"design study cells computed with other settings than the study's: {stale} in "
                             f"{paths[0].parent}; rerun `make power` (no cells were mixed)")
    else:
        studies = {m["study_fingerprint"] for m in metas.values() if "study_fingerprint" in m}
        if len(studies) > 1:
            by = {s: sorted(n for n, m in metas.items() if m.get("study_fingerprint") == s) for s in studies}
            raise StoreError(f"design study cells in {paths[0].parent} come from {len(studies)} different "
                             f"studies (fingerprints {by}); refusing to mix them")
        legacy = sorted(n for n, m in metas.items() if "study_fingerprint" not in m)
        if legacy:
            notes.append(f"{len(legacy)} legacy cells carry no study fingerprint; their settings are not compared")
    return pd.concat(frames, ignore_index=True), notes


# --------------------------------------------------------------------------- code digest
def _imports(tree: ast.AST, module: str, is_package: bool) -> set:
    """Absolute names of the modules a module's source imports (any depth of the tree)."""
    package = module if is_package else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            names.add(stem)
            names.update(f"{stem}.{a.name}" for a in node.names)  # `from . import power` imports a module
    return names


def _module_file(root_dir: Path, root: str, name: str) -> tuple[Path | None, bool]:
    """Source file of module ``name`` of package ``root`` (found on disk, nothing imported)."""
    parts = name.split(".")[1:]
    base = root_dir.joinpath(*parts) if parts else root_dir
    if (base / "__init__.py").is_file():
        return base / "__init__.py", True
    f = base.with_suffix(".py") if parts else None
    return (f, False) if f is not None and f.is_file() else (None, False)


def code_digest(module: str, root: str | None = None) -> str:
    """SHA-256 (16 hex digits) of the source of ``module`` and of every module of its top-level
    package that it imports, directly or indirectly (found statically in the source, so the
    digest does not depend on what else a process happened to import, and nothing is imported).

    Each module's file is hashed by content and listed under its module name (sorted), so two
    clones at different places agree; renaming or moving a module changes the digest.
    """
    root = root or module.split(".")[0]
    spec = importlib.util.find_spec(root)
    if spec is None or spec.submodule_search_locations is None:
        raise ValueError(f"code_digest: {root!r} is not an importable package")
    root_dir = Path(next(iter(spec.submodule_search_locations)))
    seen, todo, files = set(), [module], {}
    while todo:
        name = todo.pop()
        if name in seen or not (name == root or name.startswith(root + ".")):
            continue
        seen.add(name)
        path, is_pkg = _module_file(root_dir, root, name)
        if path is None:
            continue  # a name imported from a module, not a module
        source = path.read_bytes()
        files[name] = sha256_bytes(source)
        todo.extend(_imports(ast.parse(source), name, is_pkg))
    blob = "".join(f"{n}\0{h}\n" for n, h in sorted(files.items()))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
