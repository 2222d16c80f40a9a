"""The built book's HTML, read as text: no build details leak into a page, no paragraph is
printed twice.

- **Leaks**: absolute paths of the build machine (``/work/``, ``/home/``, ``/tmp/``, ``/root/``),
  its host name, kernel strings (``Linux 6.``, ``#1 SMP``) and benchmark targets ("the target
  was") have no place in a published page; code listings and markup are searched too, since a
  reader sees a path in a default argument of the API pages as much as in a sentence.
- **Repeats**: a paragraph of 120 characters or more that appears twice, on one page or on two,
  is prose generated twice; boilerplate that repeats by design (the SIMULATED banner, a
  reference cited by two docstrings) is allowed by pattern in ``known_page_defects.yml``.

Known defects are listed, with their issue, in ``tests/known_page_defects.yml`` so the checks
still fail on anything new; planted pages prove each check can fail. The book is read from
``BOOK_HTML`` (``make test`` builds the CI-profile HTML there) and the tests skip without it.
"""

from __future__ import annotations

import os
import re
import socket
import warnings
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
KNOWN = yaml.safe_load((Path(__file__).parent / "known_page_defects.yml").read_text(encoding="utf-8"))
MIN_PARAGRAPH = 120

#: label -> regular expression searched in the raw HTML of every page.
LEAK_PATTERNS = {
    "/work/": r"/work/", "/home/": r"/home/", "/tmp/": r"/tmp/", "/root/": r"/root/",
    "Linux 6.": r"Linux 6\.", "#1 SMP": r"#1 SMP", "the target was": r"the target was",
}

needs_book = pytest.mark.skipif(not (HTML / "chapters").is_dir(),
                                reason=f"no built book in {HTML} (run `make html-ci` or `make test`)")


def book_pages(html_dir: Path) -> list[Path]:
    """The book's pages: everything but Sphinx's assets, indices and the redirect page."""
    return sorted(p for p in html_dir.rglob("*.html")
                  if not {"_static", "_sources", "_downloads", "_images"} & set(p.relative_to(html_dir).parts)
                  and p.name not in ("genindex.html", "search.html", "index.html", "py-modindex.html"))


def _visible_text(raw: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "lxml")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return " ".join(soup.get_text(" ").split())


def leaks(html_dir: Path, pages: list[Path], host: str | None = None) -> dict[str, list[str]]:
    """``{page: ["label: context", ...]}`` for every leak pattern found in a page.

    The host name is matched as a whole word in the visible text only (a short name such as
    ``vm`` is also a CSS class of highlighted code)."""
    host = socket.gethostname() if host is None else host
    found: dict[str, list[str]] = {}
    for page in pages:
        raw = page.read_text(encoding="utf-8", errors="replace")
        problems = []
        for label, pattern in LEAK_PATTERNS.items():
            m = re.search(pattern, raw)
            if m:
                context = " ".join(raw[max(0, m.start() - 60):m.end() + 40].split())
                problems.append(f"{label}: ...{context}...")
        if host and len(host) >= 2:
            text = _visible_text(raw)
            m = re.search(rf"(?<![\w.-]){re.escape(host)}(?![\w-])", text)
            if m:
                problems.append(f"host name {host}: ...{text[max(0, m.start() - 60):m.end() + 40]}...")
        if problems:
            found[page.relative_to(html_dir).as_posix()] = problems
    return found


def paragraphs(raw: str) -> list[str]:
    """Prose paragraphs of a page's article: leaf ``p``, ``li``, ``dd`` and captions outside
    tables and code, whitespace collapsed, at least ``MIN_PARAGRAPH`` characters."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "lxml")
    article = soup.select_one("article.bd-article") or soup.body
    if article is None:
        return []
    out = []
    for el in article.find_all(["p", "li", "dd", "figcaption", "caption"]):
        if el.find(["p", "li", "dd"]) or el.find_parent(["table", "pre"]):
            continue
        text = " ".join(el.get_text(" ").split())
        if len(text) >= MIN_PARAGRAPH:
            out.append(text)
    return out


def repeats(html_dir: Path, pages: list[Path], boilerplate: list[str] = ()) -> dict[str, list[str]]:
    """``{paragraph: [page, page, ...]}`` for every paragraph that appears more than once."""
    where: dict[str, list[str]] = defaultdict(list)
    allowed = [re.compile(p) for p in boilerplate]
    for page in pages:
        for text in paragraphs(page.read_text(encoding="utf-8", errors="replace")):
            if not any(a.match(text) for a in allowed):
                where[text].append(page.relative_to(html_dir).as_posix())
    return {t: ps for t, ps in where.items() if len(ps) > 1}


def _boilerplate() -> list[str]:
    return [b["pattern"] for b in KNOWN.get("boilerplate") or []]


def _warn_stale(kind: str, entries: list[dict], used: set[int]):
    stale = [e for i, e in enumerate(entries) if i not in used]
    if stale:
        warnings.warn(f"known_page_defects.yml: {kind} entries that match nothing (fixed? delete "
                      f"them): {stale}", stacklevel=2)


# ----------------------------------------------------------------------------------------------
# Planted pages: each check fails on a page made to fail it.

def _planted(tmp_path: Path, name: str, body: str) -> Path:
    page = tmp_path / "chapters" / name
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(f"<!doctype html><html><body><article class=\"bd-article\">{body}</article></body></html>",
                    encoding="utf-8")
    return page


def test_planted_page_fails_the_leak_check(tmp_path):
    page = _planted(tmp_path, "leaky.html", """
<p>Data read from /work/main/data/panel.csv and /home/alice/cache; scratch in /tmp/x.</p>
<pre>PosixPath('/root/book/data.csv')</pre>
<p>Timed on Linux 6.18.44 (#1 SMP PREEMPT) on buildhost-7; the target was 0.5 s.</p>""")
    found = " | ".join(leaks(tmp_path, [page], host="buildhost-7")["chapters/leaky.html"])
    for label in ("/work/", "/home/", "/tmp/", "/root/", "Linux 6.", "#1 SMP", "the target was",
                  "host name buildhost-7"):
        assert label in found, (label, found)


def test_clean_page_passes_the_leak_check(tmp_path):
    page = _planted(tmp_path, "clean.html", """
<p>Data read from the bundled file data/guangdong_twin_panel.csv; timed on 2 cores.</p>
<pre><span class="vm">vmin</span> = 0</pre>""")
    assert leaks(tmp_path, [page], host="vm") == {}


def test_planted_pages_fail_the_repetition_check(tmp_path):
    para = ("The estimated threshold is 52.7 broadband subscribers per 100 people (bootstrap p = 0.566); "
            "the direct slope is 0.437 below it and 0.512 above it.")
    short = "A short sentence repeated is not a paragraph."
    one = _planted(tmp_path, "one.html", f"<p>{para}</p><p>{para}</p><p>{short}</p><p>{short}</p>")
    two = _planted(tmp_path, "two.html", f"<ul><li>{para}</li></ul>"
                   f"<table><tr><td><p>{para} (a table cell is data, not prose)</p></td></tr></table>")
    found = repeats(tmp_path, [one, two])
    assert list(found) == [para]
    assert found[para] == ["chapters/one.html", "chapters/one.html", "chapters/two.html"]
    # boilerplate allowed by pattern is not a repeat
    assert repeats(tmp_path, [one, two], boilerplate=[r"The estimated threshold"]) == {}


@needs_book
def test_no_build_details_in_pages():
    pages = book_pages(HTML)
    assert len(pages) >= 8, f"only {len(pages)} pages in {HTML}"
    known = KNOWN.get("leaks") or []
    used: set[int] = set()
    failures = {}
    for page, problems in leaks(HTML, pages).items():
        new = []
        for p in problems:
            hit = [i for i, k in enumerate(known) if k["page"] == page and p.startswith(k["match"] + ":")]
            used.update(hit)
            if not hit:
                new.append(p)
        if new:
            failures[page] = new
    _warn_stale("leaks", known, used)
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


@needs_book
def test_no_paragraph_printed_twice():
    known = KNOWN.get("repeats") or []
    used: set[int] = set()
    failures = {}
    for text, pages in repeats(HTML, book_pages(HTML), _boilerplate()).items():
        hit = [i for i, k in enumerate(known) if k["match"] in text]
        used.update(hit)
        if not hit:
            failures[text[:160]] = pages
    _warn_stale("repeats", known, used)
    assert not failures, "\n".join(f"{v}: {k}" for k, v in failures.items())
