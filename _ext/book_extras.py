"""Local Sphinx extension of the book (registered in ``_config.yml`` under ``sphinx.local_extensions``).

- **Offline maths.** Copies MathJax 2.7.9 from the pinned PyPI package ``jupyter-server-mathjax``
  into ``_static/mathjax`` of the HTML build; ``mathjax_path`` in ``_config.yml`` points there,
  so equations render with no network.
- **Version in the footer.** ``helpers <version>, commit <hash>`` (``helpers.provenance``),
  computed at build time, goes into the footer and into Sphinx's ``version``/``release``.
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
    from helpers.provenance import build_version, package_version

    stamp = build_version(app.srcdir)
    config.version = package_version()
    config.release = stamp
    opts = dict(config.html_theme_options or {})
    footer = opts.get("extra_footer", "")
    opts["extra_footer"] = (footer + f'<p class="book-version">Built from {stamp}.</p>')
    config.html_theme_options = opts
    ctx = dict(config.html_context or {})
    ctx["book_version"] = stamp
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


def setup(app):
    _register_bib_style()
    app.connect("config-inited", _set_version)
    app.connect("build-finished", _copy_mathjax)
    app.add_css_file("book.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
