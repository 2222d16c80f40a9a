"""Local Sphinx extension of the book (registered in ``_config.yml`` under ``sphinx.local_extensions``).

- **Offline maths.** Copies MathJax 2.7.9 from the pinned PyPI package ``jupyter-server-mathjax``
  into ``_static/mathjax`` of the HTML build; ``mathjax_path`` in ``_config.yml`` points there,
  so equations render with no network.
- **Version in the footer.** ``helpers <version>, commit <hash>`` (``helpers.book.provenance``),
  computed at build time, goes into the footer and into Sphinx's ``version``/``release``.
- **Author-year reference list** (pybtex style ``authoryear``).
- **Exhibits and code** (``chapters/exhibits.md``): the list of numbered figures and tables,
  generated from the executed chapters.
"""

from __future__ import annotations

import shutil
from pathlib import Path

# MathJax directories the pages need (the package also ships localisations and SVG fonts).
_MATHJAX_PARTS = ("MathJax.js", "LICENSE", "config", "extensions", "jax/input", "jax/element",
                  "jax/output/HTML-CSS", "fonts/HTML-CSS")


def _mathjax_source() -> Path:
    import jupyter_server_mathjax

    return Path(jupyter_server_mathjax.__file__).parent / "static"


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    src, dst = _mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    for part in _MATHJAX_PARTS:
        s = src / part
        if not s.exists():
            continue
        d = dst / part
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True)
        else:
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)


def _set_version(app, config):
    from helpers.book.provenance import build_version, package_version

    stamp = build_version(app.srcdir)
    config.version = package_version()
    config.release = stamp
    opts = dict(config.html_theme_options or {})
    footer = opts.get("extra_footer", "")
    opts["extra_footer"] = (footer + f'<p class="book-version">Built from {stamp}.</p>')
    config.html_theme_options = opts
    ctx = dict(config.html_context or {})
    ctx["book_version"] = stamp
    # an explicit light/dark default, or the theme logs "invalid theme mode" on a first visit
    ctx.setdefault("default_mode", "auto")
    config.html_context = ctx


# ----------------------------------------------------------------------------------------------
# Author-year reference list. The text cites with sphinxcontrib-bibtex's ``author_year`` style
# ("Wang and Peng [2025]"); the list is labelled the same way ("Wang and Peng 2025") and sorted
# by author, year, title, instead of pybtex's alpha labels ("[WP25]").

def _author_year_style():
    from pybtex.style.formatting.unsrt import Style as UnsrtStyle
    from pybtex.style.labels import BaseLabelStyle

    def surnames(entry):
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(p.prelast_names + p.last_names) for p in people]
        names = [n.replace("{", "").replace("}", "") for n in names]
        if not names:
            return entry.fields.get("organization", entry.key)
        if len(names) == 1:
            return names[0]
        if len(names) == 2:
            return f"{names[0]} and {names[1]}"
        return f"{names[0]} et al."

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            labels = [f"{surnames(e)} {e.fields.get('year', 'n.d.')}" for e in sorted_entries]
            # same author(s) and year twice: 2025a, 2025b
            counts = {lab: labels.count(lab) for lab in labels}
            seen: dict[str, int] = {}
            for lab in labels:
                if counts[lab] > 1:
                    seen[lab] = seen.get(lab, 0) + 1
                    yield lab + "abcdefghijklmnopqrstuvwxyz"[seen[lab] - 1]
                else:
                    yield lab

    class AuthorYearStyle(UnsrtStyle):
        default_label_style = AuthorYearLabels
        default_sorting_style = "author_year_title"

    return AuthorYearStyle


def _register_bib_style():
    from pybtex.plugin import register_plugin

    register_plugin("pybtex.style.formatting", "authoryear", _author_year_style())


# ----------------------------------------------------------------------------------------------
# "Exhibits and code": generated at build time from the executed chapters. Every numbered figure
# (cell metadata mystnb.figure.name) and table (a MyST table directive in a Markdown output,
# helpers.book.tables.exhibit) is listed with its chapter, its cell and the helpers functions the cell
# calls. Nothing in this list is typed by hand.

EXHIBITS_DOC = "chapters/exhibits"
#: The chapters' names of helpers modules -> their path under ``helpers`` (the layered layout).
_MODULES = {"constructs": "measure.constructs", "data": "data", "studies": "studies", "measure": "measure",
            "models": "models", "network": "measure.network", "plots": "book.plots",
            "provenance": "book.provenance", "report": "analysis.report", "simulate": "simulate",
            "study_sentences": "book.study_sentences", "tables": "book.tables"}


def _helpers_calls(source: str, imported: dict[str, str]) -> list[str]:
    import re

    found = [f"{_MODULES[m]}.{f}" for m, f in re.findall(r"\b(" + "|".join(_MODULES) + r")\.([A-Za-z_]\w*)\s*\(", source)]
    found += [f"{imported[n]}.{n}" for n in re.findall(r"\b([A-Za-z_]\w*)\s*\(", source) if n in imported]
    return list(dict.fromkeys(found))


def scan_exhibits(srcdir) -> list[dict]:
    """Exhibits of every executed chapter under ``srcdir/chapters`` in reading order."""
    import re

    import nbformat

    rows = []
    for path in sorted(Path(srcdir, "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        imported: dict[str, str] = {}
        number = 0
        for cell in nb.cells:
            tags = cell.get("metadata", {}).get("tags", [])
            if cell.cell_type != "code" or "injected-parameters" in tags:
                continue
            number += 1
            for mod, names in re.findall(r"from helpers\.([\w.]+) import ([\w ,]+)", cell.source):
                imported.update({n.strip(): mod for n in names.split(",") if n.strip()})
            labels = []
            fig = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
            if fig.get("name"):
                labels.append(("Figure", fig["name"]))
            for out in cell.get("outputs", []):
                md = out.get("data", {}).get("text/markdown", "")
                md = "".join(md) if isinstance(md, list) else md
                labels += [("Table", lab) for lab in re.findall(r"^:name: (\S+)$", md, flags=re.M)
                           if md.lstrip().startswith(":::{table}")]
            for kind, label in labels:
                rows.append({"kind": kind, "label": label, "doc": f"chapters/{path.stem}",
                             "cell": number, "id": cell.get("id", ""),
                             "calls": _helpers_calls(cell.source, imported)})
    return rows


def _exhibits_markdown(rows: list[dict]) -> str:
    if not rows:
        return "\nNo numbered exhibit was found in the executed chapters.\n"
    lines = ["", "```{list-table}", ":header-rows: 1", ":widths: 18 24 14 44", "",
             "* - Exhibit", "  - Chapter", "  - Code cell", "  - `helpers` functions called"]
    for r in rows:
        calls = ", ".join(f"`helpers.{c}`" for c in r["calls"]) or (
            "(none: pandas/matplotlib only)" if r["cell"] else "(none: a table typed in Markdown)")
        where = f"cell {r['cell']} (`{r['id']}`)" if r["cell"] else f"typed in the text (`{r['id']}`)"
        lines += [f"* - {{numref}}`{r['kind']} %s <{r['label']}>`", f"  - {{doc}}`/{r['doc']}`",
                  f"  - {where}", f"  - {calls}"]
    lines.append("```")
    return "\n".join(lines) + "\n"


def _fill_exhibits(app, docname, source):
    if docname == EXHIBITS_DOC:
        # tables typed in a chapter's text (Tables 1.3, 7.1) are exhibits too (reader_extras)
        from reader_extras import with_typed_tables

        source[0] += _exhibits_markdown(with_typed_tables(scan_exhibits(app.srcdir), app.srcdir))


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    """Emit each script once. sphinx-thebe and sphinx-togglebutton register their inline
    configuration scripts twice under Jupyter Book 1, and a second ``const THEBE_JS_URL`` is a
    SyntaxError in every page's console."""
    seen, unique = set(), []
    for js in context.get("script_files", []):
        attrs = getattr(js, "attributes", {}) or {}
        key = (getattr(js, "filename", None) or "", tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def setup(app):
    _register_bib_style()
    app.connect("config-inited", _set_version)
    app.connect("build-finished", _copy_mathjax)
    app.connect("source-read", _fill_exhibits)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.add_css_file("book.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
