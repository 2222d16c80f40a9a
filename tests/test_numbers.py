"""The built book's numbers agree: every number a finding quotes is printed by an exhibit of its page.

A reader checks a sentence against the table it cites. This test does the same on the built
HTML: for each page, every decimal number in

- the section "What this chapter found" (its prose, not its code), and
- every *interpretation paragraph*: a paragraph or list item that cites an exhibit (a link to a
  table, a figure or an equation; here or on another page, whose exhibits are then read too),

must be found in an exhibit of the same page: a table (cells and caption), a figure caption or
a text output of a cell. A quoted number agrees with a printed one when the printed one, rounded
to the quoted number's decimals, is the quoted number (0.612 agrees with 0.6124; -0.00041 does
not agree with -0.000402); a percentage agrees with a share (70.0% with 0.700); a sign may be
dropped in words ("falls by 0.371" agrees with -0.371); a ratio ("1.26 times the truth") agrees
with two printed numbers whose quotient it is.

Only decimals are checked: integers are years, counts and cross-reference numbers. Known
disagreements are listed in ``tests/known_page_defects.yml`` (key ``numbers``) with their issue,
so the check fails on anything new; a planted page proves it fails. The book is read from
``BOOK_HTML`` as in ``tests/test_pages.py``.
"""

from __future__ import annotations

import re
import warnings
from decimal import Decimal, InvalidOperation
from pathlib import Path

from test_pages import HTML, KNOWN, _planted, book_pages, needs_book

#: A decimal as printed: optional sign (hyphen, unicode minus), thousands separators, a point.
NUMBER = re.compile(r"(?<![\w.])([-−+]?)(\d{1,3}(?:,\d{3})+|\d+)\.(\d+)(%?)(?![\w.]*\d)")


def numbers(text: str) -> list[tuple[str, Decimal, bool]]:
    """``[(as printed, value, is_percent), ...]`` for every decimal number in ``text``.

    >>> [(s, str(v), p) for s, v, p in numbers("rho = −0.310, 70.0% of 1,234.5; Table 4.1 in 2023.")]
    [('−0.310', '-0.310', False), ('70.0%', '70.0', True), ('1,234.5', '1234.5', False), ('4.1', '4.1', False)]
    """
    out = []
    for m in NUMBER.finditer(text):
        sign = "-" if m.group(1) in "-−" and m.group(1) else ""
        try:
            value = Decimal(f"{sign}{m.group(2).replace(',', '')}.{m.group(3)}")
        except InvalidOperation:  # pragma: no cover - the pattern only matches digits
            continue
        out.append((m.group(0), value, bool(m.group(4))))
    return out


def _decimals(value: Decimal) -> int:
    return max(0, -value.as_tuple().exponent)


def agrees(quoted: Decimal, percent: bool, printed: list[Decimal]) -> bool:
    """Whether ``quoted`` is one of the ``printed`` numbers, rounded as quoted.

    >>> agrees(Decimal("0.612"), False, [Decimal("0.6124")])
    True
    >>> agrees(Decimal("-0.00041"), False, [Decimal("-0.000402")])
    False
    >>> agrees(Decimal("70.0"), True, [Decimal("0.700")]), agrees(Decimal("0.371"), False, [Decimal("-0.371")])
    (True, True)
    """
    d = _decimals(quoted)
    for p in printed:
        for v in (p, p * 100) if percent else (p,):
            if quoted < 0 and v >= 0:  # a minus sign is never invented; one may be dropped in words
                continue
            dv = _decimals(v)
            if dv >= d and abs(v).quantize(Decimal(1).scaleb(-d)) == abs(quoted):
                return True
            # the exhibit prints fewer digits than the sentence: the sentence rounds to it
            if dv < d and abs(quoted).quantize(Decimal(1).scaleb(-dv)) == abs(v):
                return True
    return False


def _text(el) -> str:
    return " ".join(el.get_text(" ").split())


def _article(raw: str):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "lxml")
    return soup.select_one("article.bd-article") or soup.body


def printed_numbers(article) -> list[Decimal]:
    """Every number of a page's exhibits: tables (cells, caption), figure captions, text outputs."""
    if article is None:
        return []
    printed: list[Decimal] = []
    for el in article.find_all(["table", "figcaption", "caption"]):
        printed += [v for _, v, _ in numbers(_text(el))]
    for out in article.select("div.cell_output pre, div.output pre"):
        printed += [v for _, v, _ in numbers(_text(out))]
    return printed


_XREF = re.compile(r"\b(Tables?|Fig\.|Figures?|Section|Chapter|Equation|eq\.)\s+[\dA-Z]+(\.\d+)*")


def claims(article) -> list[dict]:
    """Paragraphs whose numbers must agree with an exhibit: ``[{text, numbers, pages}]``, from
    the findings section and every paragraph citing an exhibit (a generated sentence that reads
    a table cites it, so it is checked). ``pages``: other pages whose exhibits the paragraph cites (``04_mechanism.html#tbl-...``)."""
    if article is None:
        return []
    found = article.find("section", id="what-this-chapter-found")
    out = []
    for el in article.find_all(["p", "li"]):
        if el.find(["p", "li"]) or el.find_parent(["table", "pre", "figcaption", "caption", "figure"]):
            continue
        links = [a.get("href", "") for a in el.find_all("a") if re.search(r"#(tbl|fig|eq)", a.get("href", ""))]
        in_findings = found is not None and el in found.descendants
        if not (in_findings or links):
            continue
        text = _text(el)
        # cross-reference numbers ("Table 4.1", "(2.4)", "Chapter 7") are not quotes
        for a in el.find_all("a"):
            text = text.replace(_text(a), " ")
        text = _XREF.sub(" ", text)
        out.append({"text": _text(el), "numbers": numbers(text),
                    "ratios": set(re.findall(r"([-−+]?\d+\.\d+)\s+times\b", text)),
                    "pages": sorted({h.split("#")[0] for h in links if not h.startswith("#")})})
    return out


def ratio_agrees(quoted: Decimal, printed: list[Decimal]) -> bool:
    """Whether ``quoted`` ("1.26 times") is the ratio of two printed numbers, rounded as quoted.

    >>> ratio_agrees(Decimal("1.26"), [Decimal("0.461"), Decimal("0.365")])
    True
    >>> ratio_agrees(Decimal("1.50"), [Decimal("0.461"), Decimal("0.365")])
    False
    """
    q = Decimal(1).scaleb(-_decimals(quoted))
    values = sorted({abs(p) for p in printed if p != 0})
    return any((a / b).quantize(q) == abs(quoted) for a in values for b in values if a != b)


def disagreements(raw: str, page: Path | None = None) -> list[str]:
    """``["number: ...paragraph...", ...]`` for every quoted number that no exhibit of the page
    (or of a page the paragraph cites) prints."""
    article = _article(raw)
    own = printed_numbers(article)
    bad = []
    for c in claims(article):
        printed = list(own)
        for other in c["pages"]:
            target = (page.parent / other) if page is not None else None
            if target is not None and target.is_file():
                printed += printed_numbers(_article(target.read_text(encoding="utf-8", errors="replace")))
        for quoted, value, percent in c["numbers"]:
            if agrees(value, percent, printed):
                continue
            if quoted in c["ratios"] and ratio_agrees(value, printed):   # "1.26 times the truth"
                continue
            bad.append(f"{quoted}: {c['text'][:200]}")
    return bad


# ----------------------------------------------------------------------------------------------

_TABLE = ("<table><caption>Table 7.4: Distributions of the scenario gains (SIMULATED).</caption>"
          "<tr><th>measure</th><th>median</th><th>share</th></tr>"
          "<tr><td>gap</td><td>-0.000402</td><td>0.700</td></tr>"
          "<tr><td>mean</td><td>0.6124</td><td>1.224</td></tr></table>")


def test_planted_page_fails_the_number_check(tmp_path):
    page = _planted(tmp_path, "planted.html", _TABLE + """
<section id="what-this-chapter-found"><h2>What this chapter found</h2>
<ul><li>The gap's median gain is -0.00041 (a number no exhibit prints that way).</li>
<li>Mean synergy rises by 0.612 SD; 70.0% of draws; elsewhere 1.224 SD.</li></ul></section>
<p>The interpretation: a slope of 0.437, as <a href="#tbl-7-gains">Table 7.4</a> shows.</p>
<div class="cell_output"><p>Generated: the gap falls by -0.000431 (<a href="#tbl-7-gains">Table 7.4</a>).</p></div>
<div class="cell_output"><p>Generated, citing nothing: a cost of 5.34 units.</p></div>
<p>Mean 1.224 is 2.00 times 0.612 and 9.99 times nothing (<a href="#tbl-7-gains">Table 7.4</a>).</p>
<p>A paragraph citing nothing may quote 9.99 without an exhibit.</p>""")
    bad = disagreements(page.read_text(), page)
    assert [b.split(":")[0] for b in bad] == ["-0.00041", "0.437", "-0.000431", "9.99"], bad


def test_agreeing_page_passes_the_number_check(tmp_path):
    page = _planted(tmp_path, "agrees.html", _TABLE + """
<section id="what-this-chapter-found"><ul>
<li>The gap's median gain is -0.000402 and the mean falls by 0.612, as Table 7.4 shows; 70% share.</li>
</ul><div class="cell_output"><pre>slope 0.437</pre></div></section>
<p>The slope is 0.437 (<a href="#tbl-7-gains">Table 7.4</a>, equation <a href="#eq-2-4">(2.4)</a>).</p>""")
    assert disagreements(page.read_text(), page) == []


def test_a_paragraph_citing_another_page_is_read_against_that_page(tmp_path):
    _planted(tmp_path, "04_mechanism.html", _TABLE)
    text = '<p>Slope 1.224 SD (<a href="04_mechanism.html#tbl-4-x">Table 4.6 in Chapter 4</a>); 0.5.</p>'
    page = _planted(tmp_path, "05_findings.html", text)
    assert [b.split(":")[0] for b in disagreements(page.read_text(), page)] == ["0.5"]


@needs_book
def test_every_quoted_number_is_in_an_exhibit_of_its_page():
    known = KNOWN.get("numbers") or []
    used: set[int] = set()
    failures = {}
    for page in book_pages(HTML):
        name = page.relative_to(HTML).as_posix()
        new = []
        for problem in disagreements(page.read_text(encoding="utf-8", errors="replace"), page):
            hit = [i for i, k in enumerate(known) if k["page"] == name and problem.startswith(str(k["number"]) + ":")]
            used.update(hit)
            if not hit:
                new.append(problem)
        if new:
            failures[name] = new
    stale = [e for i, e in enumerate(known) if i not in used]
    if stale:
        warnings.warn(f"known_page_defects.yml: numbers entries that match nothing: {stale}", stacklevel=1)
    assert not failures, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in failures.items())


def test_known_number_entries_name_an_issue():
    for entry in KNOWN.get("numbers") or []:
        assert {"page", "number", "issue"} <= set(entry), entry
        assert Path(entry["page"]).suffix == ".html", entry
