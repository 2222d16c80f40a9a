"""Tables a phone reader must read without scrolling sideways (issue 23): at 390 px each listed
table is no wider than the article column, so its caption is read whole (Table 7.5 was 2,167 px
wide and its caption showed "Table 7.5 B"). Tables with many columns may scroll; these were
shaped to fit (cities as rows, one-model regression tables). A planted page proves the check fails.
Reads ``BOOK_HTML`` and needs Chromium, as ``tests/test_browser.py``.
"""

from __future__ import annotations

import time

import pytest
from test_browser import HTML, _close, _with_driver, pytestmark  # noqa: F401  (skips without Chromium)

#: page -> labels of tables that must fit the phone column.
MUST_FIT = {
    "chapters/07_policy.html": ["tbl-7-allocations"],
    "chapters/04_mechanism.html": ["tbl-4-baseline", "tbl-4-threshold", "tbl-4-mediation-effects"],
    "chapters/03_measurement.html": ["tbl-3-weights", "tbl-3-key"],
}

WIDTH_JS = """
const col = document.querySelector('article.bd-article').getBoundingClientRect().width;
return arguments[0].map(id => {
  const t = document.getElementById(id);
  return [id, t ? Math.round(t.scrollWidth) : -1, Math.round(col)];
});"""


def too_wide(drv, url: str, labels: list[str], width: int = 390) -> list[str]:
    """``["label: table px > column px", ...]`` for each listed table wider than the column
    (or missing) at a ``width`` px window."""
    drv.set_window_size(width, 844)
    drv.get(url)
    time.sleep(1.0)
    out = []
    for label, w, col in drv.execute_script(WIDTH_JS, labels):
        if w < 0:
            out.append(f"{label}: missing")
        elif w > col:
            out.append(f"{label}: {w} px > column {col} px")
    return out


def test_planted_wide_table_fails_the_phone_check(tmp_path):
    cells = "".join(f"<td>city {i}</td>" for i in range(21))
    page = tmp_path / "wide.html"
    page.write_text('<!doctype html><html><head><meta name="viewport" content="width=device-width"></head>'
                    '<body><article class="bd-article"><table id="tbl-wide"><caption>Table 7.5 Boost</caption>'
                    f'<tr>{cells}</tr></table><table id="tbl-narrow"><tr><td>0.50</td></tr></table>'
                    '</article></body></html>', encoding="utf-8")
    drv, profile, server = _with_driver(tmp_path)
    try:
        found = too_wide(drv, server.url + "wide.html", ["tbl-wide", "tbl-narrow", "tbl-gone"])
    finally:
        _close(drv, profile, server)
    assert [f.split(":")[0] for f in found] == ["tbl-wide", "tbl-gone"], found


@pytest.mark.skipif(not (HTML / "chapters").is_dir(), reason=f"no built book in {HTML}")
def test_shaped_tables_fit_a_phone():
    drv, profile, server = _with_driver(HTML)
    try:
        failures = {p: too_wide(drv, server.url + p, labels) for p, labels in MUST_FIT.items()
                    if (HTML / p).is_file()}
    finally:
        _close(drv, profile, server)
    failures = {p: f for p, f in failures.items() if f}
    assert not failures, failures
