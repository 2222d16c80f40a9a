"""The HTML build's numbered-reference shortcut (_ext/build_speed.py) changes the time, not the page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sphinx = pytest.importorskip("sphinx")
ROOT = Path(__file__).resolve().parents[1]

PAGES = {
    "index.rst": "Book\n====\n\n.. toctree::\n   :numbered:\n\n   a\n   b\n",
    "a.rst": "A\n=\n\n.. _fig-one:\n\n.. figure:: x.png\n\n   One.\n\n.. _tbl-one:\n\n.. table:: Two.\n\n"
             "   ===  ===\n   a    b\n   ===  ===\n   1    2\n   ===  ===\n",
    "b.rst": "B\n=\n\n" + "".join(f"See :numref:`fig-one` and :numref:`Table %s <tbl-one>` ({i}).\n\n"
                                  for i in range(12)),
}


def _build(src: Path, out: Path, with_extension: bool) -> tuple[str, int]:
    """HTML of page b and the number of doctree reads while writing."""
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    for name, text in PAGES.items():
        (src / name).write_text(text, encoding="utf-8")
    (src / "x.png").write_bytes(b"")
    ext = ["build_speed"] if with_extension else []
    reads = []
    original = BuildEnvironment.get_doctree

    def counting(self, docname):
        reads.append(docname)
        return original(self, docname)

    sys.path.insert(0, str(ROOT / "_ext"))
    BuildEnvironment.get_doctree = counting
    try:
        app = Sphinx(str(src), None, str(out), str(out / ".doctrees"), "html", status=None, warning=None,
                     freshenv=True, confoverrides={"extensions": ext, "numfig": True})
        app.build()
    finally:
        BuildEnvironment.get_doctree = original
        sys.path.remove(str(ROOT / "_ext"))
    return (out / "b.html").read_text(encoding="utf-8"), reads.count("a")


def test_numbered_references_are_the_same_and_each_page_is_read_once(tmp_path):
    (tmp_path / "s1").mkdir()
    (tmp_path / "s2").mkdir()
    plain, plain_reads = _build(tmp_path / "s1", tmp_path / "o1", with_extension=False)
    fast, fast_reads = _build(tmp_path / "s2", tmp_path / "o2", with_extension=True)
    assert "Fig. 1.1" in plain and "Table 1.1" in plain   # the references were resolved
    assert fast == plain
    # 24 references into page a: Sphinx reads a's doctree for each; the extension reads it once
    assert plain_reads >= 24
    assert fast_reads == plain_reads - 23
