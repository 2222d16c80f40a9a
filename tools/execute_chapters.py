"""Execute chapter notebooks with papermill under a parameter profile.

Usage::

    python tools/execute_chapters.py --profile profiles/book.yml --out _build/stage/chapters chapters/03_measurement.ipynb

Parameters live in one place, the profile (``profiles/book.yml`` for the published book,
``profiles/ci.yml`` for the fast test run): a ``defaults`` mapping applied to every chapter
and a ``chapters`` mapping keyed by notebook stem. Only names that the notebook's
``parameters`` cell defines are passed, so a typo in a profile is an error, not a silent no-op.

On a failing cell the script prints the chapter, the cell number and the error, removes the
partial output (so ``make`` does not take it as up to date) and exits with status 1.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time
from pathlib import Path

import nbformat
import papermill as pm
import yaml
from traitlets.config import Config

# Curve-encrypt the kernel's local ZMQ sockets: ipykernel >= 7.3 warns on every start otherwise,
# and a clean build prints no warnings.
KERNEL_CONFIG = Config({"KernelManager": {"transport_encryption": "auto"}})


def parameter_names(nb_path: Path) -> set[str]:
    """Names assigned in the cell tagged ``parameters``; error if there is no such cell."""
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            tree = ast.parse(cell.source)
            return {t.id for node in tree.body if isinstance(node, ast.Assign)
                    for t in node.targets if isinstance(t, ast.Name)}
    raise SystemExit(f"{nb_path}: no cell tagged 'parameters' (papermill needs one)")


def chapter_parameters(profile: dict, nb_path: Path) -> dict:
    params = dict(profile.get("defaults") or {})
    params.update((profile.get("chapters") or {}).get(nb_path.stem) or {})
    known = parameter_names(nb_path)
    # defaults apply only where the chapter declares them; chapter-specific names must exist
    specific = set((profile.get("chapters") or {}).get(nb_path.stem) or {})
    unknown = sorted(specific - known)
    if unknown:
        raise SystemExit(f"{nb_path}: profile sets {unknown}, not defined in its parameters cell")
    return {k: v for k, v in params.items() if k in known}


def _failing_cell(executed: Path) -> str:
    """'cell N' counted in the chapter source (1-based, papermill's own added cells excluded)."""
    nb = nbformat.read(executed, as_version=4)
    added = {"injected-parameters", "papermill-error-cell-tag"}
    cells = [c for c in nb.cells if not added & set(c.get("metadata", {}).get("tags", []))]
    for n, c in enumerate(cells, start=1):
        if any(o.get("output_type") == "error" for o in c.get("outputs", [])):
            first = next((ln for ln in c.source.splitlines() if ln.strip()), "")
            return f"cell {n} ({first.strip()[:60]!r})"
    return "unknown cell"


# How the book shows papermill's cells: the injected copy of the parameters is plumbing (removed
# from the page); the chapter's own `parameters` cell stays, collapsed behind a toggle, so a
# reader sees what can be changed without it interrupting the argument.
PAGE_TAGS = {"injected-parameters": "remove-cell", "parameters": "hide-cell"}


def tag_for_page(executed: Path) -> None:
    """Add Jupyter Book display tags to papermill's cells in an executed notebook (in place)."""
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        for tag, display in PAGE_TAGS.items():
            if tag in tags and display not in tags:
                tags.append(display)
    nbformat.write(nb, executed)


def execute(nb_path: Path, out_dir: Path, profile: dict, timeout: int) -> float:
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / nb_path.name
    params = chapter_parameters(profile, nb_path)
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(
            str(nb_path), str(out), parameters=params, kernel_name="python3",
            progress_bar=False, execution_timeout=timeout, cwd=str(nb_path.parent),
            report_mode=False, config=KERNEL_CONFIG,
        )
    except pm.PapermillExecutionError as err:
        where = _failing_cell(out)
        out.unlink(missing_ok=True)
        raise SystemExit(f"\nCHAPTER FAILED: {nb_path} -- {where}: {err.ename}: {err.evalue}\n") from None
    except Exception:
        out.unlink(missing_ok=True)
        print(f"\nCHAPTER FAILED: {nb_path} (before or outside a cell)", file=sys.stderr)
        raise
    tag_for_page(out)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("notebooks", nargs="+", type=Path)
    args = ap.parse_args(argv)
    profile = yaml.safe_load(args.profile.read_text()) or {}
    timeout = int(profile.get("timeout", 600))
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for nb in args.notebooks:
        secs = execute(nb, args.out, profile, timeout)
        print(f"executed {nb} with {args.profile.name} in {secs:.1f} s -> {args.out / nb.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
