"""The built book in a real browser: headless Chromium (the OS package) through Selenium.

Every page of ``_build/html`` is opened at desktop (1280 px) and phone (390 px) width; a page
fails on a console error (SEVERE), a broken local link or image, raw TeX left unrendered, a
table truncated by pandas ("..." cells), or, on a phone, a page wider than the viewport
(scrollable containers of wide tables and equations excepted). A planted page proves each
check can fail. Skipped, with the reason, when Chromium or the built book is absent; ``.ci/run``
installs Chromium and ``make test`` builds the HTML first.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WIDTHS = {"desktop": 1280, "phone": 390}

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="browser test skipped: Chromium/chromedriver not installed (apt-get install chromium chromium-driver)")

# Collected in the page by one script: problems as short strings.
CHECK_JS = r"""
const problems = [];
const inMath = n => n.parentElement && n.parentElement.closest(
  '.MathJax, .MathJax_Display, .MathJax_Preview, script, style, pre, code, .highlight, textarea, mjx-container');
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const n = walker.currentNode, t = n.textContent;
  if (inMath(n)) continue;
  if (t.includes('$$') || /\\begin\{|\\frac\{|\\(text|mathrm|sum|sqrt)\{/.test(t) ||
      /\\\(|\\\[/.test(t)) {
    problems.push('raw TeX: ' + t.trim().slice(0, 80));
  }
}
for (const td of document.querySelectorAll('table td, table th')) {
  const t = td.textContent.trim();
  if (t === '...' || t === '…' || /\.\.\.$/.test(t) && td.closest('.dataframe, .cell_output')) {
    problems.push('truncated table cell: ' + t.slice(0, 60));
  }
}
for (const img of document.images) {
  if (img.complete && img.naturalWidth === 0) problems.push('broken image: ' + img.getAttribute('src'));
}
const se = document.scrollingElement;
if (se.scrollWidth > window.innerWidth + 1) {
  // who sticks out? ignore anything inside a scrollable container (wide table/equation)
  const offenders = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right <= window.innerWidth + 1 || r.width === 0) continue;
    let p = el.parentElement, scrolls = false;
    while (p && p !== document.body) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden'].includes(s.overflowX) && p.clientWidth <= window.innerWidth) { scrolls = true; break; }
      p = p.parentElement;
    }
    if (!scrolls) offenders.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : ''));
  }
  if (offenders.length) problems.push('page wider than viewport (' + se.scrollWidth + ' > ' + window.innerWidth + '): ' + offenders.slice(0, 3).join(', '));
}
return problems;
"""


# Known defects by page (prefixes of problem strings), listed rather than hidden so the test
# still fails on anything new. Empty: every chapter prints its tables with helpers.book.tables.
KNOWN_DEFECTS: dict[str, list[str]] = {}


# Console messages that are not defects: MathJax 2's HTML-CSS output probes font loading with
# an @font-face whose source is about:blank, which Chromium reports as a failed load.
# The browser asks every site for /favicon.ico; the book has none, which is not a page defect.
BENIGN_CONSOLE = ("about:blank", "/favicon.ico")


class _Server:
    """The build served over HTTP on 127.0.0.1, as a reader gets it (file:// blocks fonts)."""

    def __init__(self, root: Path):
        import functools
        import http.server
        import threading

        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _quiet_handler_class():
    import http.server

    class Q(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    return Q


_QuietHandler = _quiet_handler_class()


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="book-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(60)
    return drv, profile


def _local_links_broken(page: Path) -> list[str]:
    """href/src targets of a page that point into the build but do not exist."""
    from html.parser import HTMLParser

    bad = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for k, v in attrs:
                if k not in ("href", "src") or not v or tag in ("script",) and k == "href":
                    continue
                u = urlparse(v)
                if u.scheme or u.netloc or v.startswith(("#", "mailto:", "javascript:", "data:")):
                    continue
                target = (page.parent / unquote(u.path)).resolve()
                if u.path and not target.exists():
                    bad.append(f"broken link: {v}")

    P().feed(page.read_text(encoding="utf-8", errors="replace"))
    return bad


def check_pages(html_dir: Path, pages: list[Path], wait_mathjax: float = 20.0) -> dict[str, list[str]]:
    """Open each page at each width; return {"page @ width": [problems]} for failing pages."""
    from selenium.webdriver.support.ui import WebDriverWait

    drv, profile = _driver()
    server = _Server(html_dir)
    failures: dict[str, list[str]] = {}
    try:
        for page in pages:
            static = _local_links_broken(page)
            rel = page.relative_to(html_dir).as_posix()
            for name, width in WIDTHS.items():
                drv.set_window_size(width, 900)
                drv.get(server.url + rel)
                # MathJax 2 signals the end of typesetting through its queue
                try:
                    WebDriverWait(drv, wait_mathjax).until(lambda d: d.execute_script(
                        "if (!window.MathJax || !MathJax.Hub) return true;"
                        "if (window.__mjdone) return true;"
                        "MathJax.Hub.Queue(function(){window.__mjdone = true;}); return false;"))
                except Exception:
                    pass
                problems = list(drv.execute_script(CHECK_JS))
                if name == "desktop":
                    problems += static
                else:
                    problems = [p for p in problems if p.startswith("page wider")]
                problems += [f"console: {e['message'][:160]}" for e in drv.get_log("browser")
                             if e.get("level") == "SEVERE"
                             and not any(b in e["message"] for b in BENIGN_CONSOLE)]
                known = KNOWN_DEFECTS.get(rel, []) if html_dir == HTML else []
                problems = [p for p in problems if not any(p.startswith(k) for k in known)]
                if problems:
                    failures[f"{rel} @ {name}"] = problems
    finally:
        server.close()
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return failures


def _book_pages() -> list[Path]:
    return sorted(p for p in HTML.rglob("*.html")
                  if not {"_static", "_sources", "_downloads", "_images"} & set(p.relative_to(HTML).parts)
                  and p.name not in ("genindex.html", "search.html", "index.html", "py-modindex.html"))


def test_planted_page_fails_every_check(tmp_path):
    (tmp_path / "ok.png").write_bytes(b"")  # exists, but no image: counts as a broken image too
    wide = "x" * 400
    page = tmp_path / "planted.html"
    page.write_text(f"""<!doctype html><html><head><meta name="viewport" content="width=device-width"></head><body>
<p>Raw maths: $$x = \\frac{{1}}{{2}}$$ and \\begin{{cases}} a \\end{{cases}}</p>
<table class="dataframe"><tr><th>city</th><th>value</th></tr><tr><td>...</td><td>...</td></tr></table>
<a href="missing_chapter.html">Chapter 9</a>
<img src="missing.png">
<div style="width: 1200px">{wide}</div>
<script>console.error("planted error")</script>
</body></html>""")
    failures = check_pages(tmp_path, [page], wait_mathjax=0.1)
    desk = " | ".join(failures["planted.html @ desktop"])
    phone = " | ".join(failures["planted.html @ phone"])
    assert "raw TeX" in desk
    assert "truncated table cell" in desk
    assert "broken link: missing_chapter.html" in desk
    assert "broken image" in desk or "missing.png" in desk
    assert "console:" in desk
    assert "page wider than viewport" in phone


@pytest.mark.skipif(not (HTML / "chapters").is_dir(), reason=f"no built book in {HTML} (run `make book` or `make test`)")
def test_every_built_page_renders_cleanly():
    pages = _book_pages()
    assert len(pages) >= 8, f"only {len(pages)} pages in {HTML}"
    failures = check_pages(HTML, pages)
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
