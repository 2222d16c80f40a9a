"""Local Sphinx extension: numbered references resolved without re-reading a page per reference.

Sphinx 7.4 resolves every ``{numref}`` by unpickling the *whole* target page's doctree
(``StandardDomain._resolve_numref_xref`` calls ``env.get_doctree``), only to look up one node by
its id. The book has ~320 numbered references into a few long chapters, so the HTML build spent
about 16 of its ~36 s unpickling the same pages again (cProfile of the CI build, 2026-12-02).

This extension replaces the standard domain by a subclass whose numref resolution reads each
target page once per build and keeps it for lookups only: the kept doctree is never modified
or written (the page's own HTML is still made from a fresh copy by Sphinx), so the output is the
same bytes. The cache lives on the builder, which is made anew for every build and is never
pickled into the environment.
"""

from __future__ import annotations

from sphinx.domains.std import StandardDomain


class _ReadOnlyDoctrees:
    """``env.get_doctree`` for lookups: each page unpickled once per builder."""

    def __init__(self, env, builder):
        self.env = env
        self.pages = builder.__dict__.setdefault("_numref_doctrees", {})

    def __call__(self, docname: str):
        if docname not in self.pages:
            self.pages[docname] = type(self.env).get_doctree(self.env, docname)
        return self.pages[docname]


class NumrefOnceDomain(StandardDomain):
    """The standard domain; numbered references look pages up in :class:`_ReadOnlyDoctrees`."""

    def _resolve_numref_xref(self, env, fromdocname, builder, typ, target, node, contnode):
        # the instance attribute shadows the method only for this call (the parent reads the
        # target node and its number, and modifies nothing it got from get_doctree)
        env.get_doctree = _ReadOnlyDoctrees(env, builder)
        try:
            return super()._resolve_numref_xref(env, fromdocname, builder, typ, target, node, contnode)
        finally:
            del env.get_doctree


def _multitoc_numbering_reads_in_parallel(app, config):
    """Declare Jupyter Book's ``sphinx_multitoc_numbering`` safe for parallel reading.

    It declares nothing, so Sphinx reads pages one at a time even with ``-j``. All it does is
    replace the toctree collector's section numbering, which runs once in the main process
    after every page has been read and merged (``env-updated``): parallel reading cannot
    change it (the parallel build's HTML was compared byte for byte with the serial one).
    """
    ext = app.extensions.get("sphinx_multitoc_numbering")
    if ext is not None and ext.parallel_read_safe is None:
        ext.parallel_read_safe = True
        ext.parallel_write_safe = True


def setup(app):
    app.add_domain(NumrefOnceDomain, override=True)
    app.connect("config-inited", _multitoc_numbering_reads_in_parallel)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
