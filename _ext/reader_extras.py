"""Reader-facing fixes of the HTML book (issue 23), registered in ``_config.yml``.

- **Phone navigation.** ``_static/nav_toggles.js`` makes every menu and "Contents" button open
  its drawer (pydata-sphinx-theme 0.17 wires only the first of two, its issue 2451).
- **Light API pages.** The formula-heavy API pages (Appendix C) typeset to the browser's native
  MathML, which needs no web fonts and is fast; the chapters keep MathJax's HTML-CSS output with
  the STIX web fonts shipped in the build.
- **Appendix exhibits numbered by letter.** Sphinx numbers the exhibits of unnumbered pages
  1, 2, 3, ... across all appendices; a page whose ``_toc.yml`` title reads "Appendix A. ..."
  numbers its figures and tables A.1, A.2, ... instead, so the text and the exhibit agree.
- **Typed tables in Appendix E.** A table typed in a chapter's Markdown (a MyST ``table``
  directive with a ``:name:``) is listed with the generated ones (``with_typed_tables``).
"""

from __future__ import annotations

import re
from pathlib import Path

# Runs before MathJax reads its configuration (MathJax processes every text/x-mathjax-config
# block at start-up); the renderer setting moves NativeMML to the front of the output jax.
# Only the API pages (Appendix C, ~100 formulas in the measure and models docstrings) use it:
# the browser typesets native MathML at once, where HTML-CSS took 7-8 s per page (measured in
# headless Chromium on the shared 2-core machine at load 8-9; 1.8-3.2 s with native MathML).
_NATIVE_MATHJAX = ('if (/\\/a3_api[^/]*(\\.html)?\\/?$/.test(window.location.pathname)) '
                   '{ MathJax.Hub.Config({menuSettings: {renderer: "NativeMML"}}); }')

_APPENDIX_TITLE = re.compile(r"^Appendix ([A-Z])\b")


def appendix_letters(toc_path) -> dict[str, str]:
    """``{docname: letter}`` for every ``_toc.yml`` entry titled "Appendix X. ..."."""
    import yaml

    toc = yaml.safe_load(Path(toc_path).read_text(encoding="utf-8"))
    letters: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            m = _APPENDIX_TITLE.match(str(node.get("title", "")))
            if m and "file" in node:
                letters[str(node["file"]).removesuffix(".md").removesuffix(".ipynb")] = m.group(1)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc)
    return letters


def letter_numbers(fignumbers: dict, letters: dict[str, str]) -> list[str]:
    """Renumber, in place, the exhibits of lettered appendices: ``(n,)`` -> ``("A", k)`` with
    ``k`` counted per appendix and exhibit type in document order. Returns the pages changed."""
    changed = []
    for doc, letter in letters.items():
        for numbers in fignumbers.get(doc, {}).values():
            for k, fig_id in enumerate(list(numbers), start=1):
                numbers[fig_id] = (letter, k)
            if numbers:
                changed.append(doc)
    return sorted(set(changed))


def _number_appendices(app, env):
    letters = appendix_letters(Path(app.srcdir) / "_toc.yml")
    return letter_numbers(env.toc_fignumbers, letters)


# ----------------------------------------------------------------------------------------------
# Typed tables for Appendix E.

_TYPED = re.compile(r"^(?::::|```)\{table\}[^\n]*\n(?::[\w-]+:[^\n]*\n)*", flags=re.MULTILINE)


def typed_tables(srcdir) -> list[dict]:
    """Tables typed in the Markdown cells of the chapters under ``srcdir/chapters``."""
    import nbformat

    rows = []
    for path in sorted(Path(srcdir, "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            for block in _TYPED.findall(cell.source):
                m = re.search(r"^:name: (\S+)$", block, flags=re.MULTILINE)
                if m:
                    rows.append({"kind": "Table", "label": m.group(1), "doc": f"chapters/{path.stem}",
                                 "cell": None, "id": cell.get("id", ""), "calls": []})
    return rows


def with_typed_tables(rows: list[dict], srcdir) -> list[dict]:
    """``rows`` (exhibits of code cells) and the typed tables, in the order of the chapters."""
    import nbformat

    typed = typed_tables(srcdir)
    if not typed:
        return rows
    position: dict[tuple[str, str], int] = {}
    for path in sorted(Path(srcdir, "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            position[(f"chapters/{path.stem}", cell.get("id", ""))] = i
    docs = sorted({r["doc"] for r in rows + typed})
    return sorted(rows + typed, key=lambda r: (docs.index(r["doc"]), position.get((r["doc"], r["id"]), 0)))


def setup(app):
    # _static/nav_toggles.js needs no add_js_file: Jupyter Book loads every script in _static
    app.add_js_file(None, body=_NATIVE_MATHJAX, type="text/x-mathjax-config")
    # after Sphinx's own figure numbering (TocTreeCollector, priority 500)
    app.connect("env-get-updated", _number_appendices, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
