"""Tables as a journal prints them: every row and column, readable headers with units,
sensible rounding, a dash for a missing value, a number, a caption and a label.

Jupyter Book numbers and cross-references a table only when the page holds a real table node.
:func:`exhibit` therefore returns Markdown holding a MyST ``table`` directive with a pipe
table; the book renders notebook Markdown outputs with the MyST parser
(``nb_render_markdown_format: myst`` in ``_config.yml``), so the table is numbered
("Table 3.2"), captioned, linkable with ``{numref}`` and typeset in the PDF like any other.
Outside the book (a plain Jupyter session) the same object displays as a Markdown table.

Nothing here computes a result: these functions only format what a chapter already computed.
"""

from __future__ import annotations

import math
import re
from numbers import Number

import numpy as np
import pandas as pd

#: What a missing value looks like in a printed table.
MISSING = "–"


def show_everything() -> None:
    """Pandas display options for a chapter: never truncate rows, columns or cell text."""
    pd.set_option("display.max_rows", None)
    pd.set_option("display.max_columns", None)
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.width", None)


def _fmt_number(x, digits: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA or x is pd.NaT:
        return MISSING
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    if isinstance(x, Number):
        x = float(x)
        if x == 0:
            return "0"
        # small numbers keep `digits` significant figures instead of printing 0.000
        if abs(x) < 10 ** (-digits):
            return f"{x:.{digits}g}"
        return f"{x:,.{digits}f}"
    return str(x)


def number(x, digits: int = 3) -> str:
    """The book's one number format, shared by tables and sentences: ``digits`` decimals,
    thousands separators, small numbers to ``digits`` significant figures, a dash for missing.

    >>> number(0.61234), number(-0.000402), number(12345.6, 1), number(float("nan"))
    ('0.612', '-0.000402', '12,345.6', '–')
    """
    return _fmt_number(x, digits)


def p_equals(p: float, digits: int = 3) -> str:
    """A p-value as a sentence quotes it, in the tables' format: ``"= 0.327"`` or ``"< 0.001"``.

    >>> "p " + p_equals(0.32712), "p " + p_equals(2.3e-8)
    ('p = 0.327', 'p < 0.001')
    """
    text = _fmt_p(p, digits)
    return text if text.startswith("<") else f"= {text}"


#: Column names read as identifiers: integers printed without thousands separators (440100, 2020).
_ID_COLUMN = re.compile(r"(^|[\s_])(code|year|id)$")

#: Column names read as p-values: printed as "< 0.001" below 0.001 (never 2.3e-82).
_P_COLUMN = re.compile(r"(^|[\s_])p($|[\s_(])")


def _fmt_p(x, digits: int) -> str:
    if isinstance(x, Number) and not isinstance(x, (bool, np.bool_)) and math.isfinite(float(x)) \
            and 0 <= float(x) < 0.001:
        return "< 0.001"
    return _fmt_number(x, digits)


def format_table(df: pd.DataFrame | pd.Series, digits: int | dict = 3, headers: dict | None = None,
                 index_name: str | None = None) -> pd.DataFrame:
    """Return a copy of ``df`` with every cell as printed text.

    Parameters
    ----------
    df : DataFrame or Series
        The numbers as computed; never modified.
    digits : int or dict
        Decimals for floats, one for all columns or per column name (default 3). Integers get
        thousands separators; floats smaller than ``10**-digits`` keep ``digits`` significant
        figures (never a misleading 0.000); missing values print as :data:`MISSING`. Columns
        named as p-values (``p``, ``wild p``, ``p_sim``, ``Sobel p``) print "< 0.001" below 0.001;
        integer identifier columns (``code``, ``year``) print without thousands separators.
    headers : dict, optional
        Column name -> header shown, e.g. ``{"lq_manufacturing": "LQ manufacturing (ratio)"}``.
        Unnamed columns get underscores replaced by spaces.
    index_name : str, optional
        Header of the index column.
    """
    frame = df.to_frame() if isinstance(df, pd.Series) else df
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        d = digits.get(col, 3) if isinstance(digits, dict) else digits
        if _ID_COLUMN.search(str(col)) and pd.api.types.is_integer_dtype(frame[col]):
            out[col] = [str(int(v)) for v in frame[col]]
            continue
        fmt = _fmt_p if _P_COLUMN.search(str(col)) else _fmt_number
        out[col] = [fmt(v, d) for v in frame[col]]
    headers = headers or {}
    out.columns = [headers.get(c, str(c).replace("_", " ")) for c in frame.columns]
    name = index_name if index_name is not None else (
        frame.index.name.replace("_", " ") if isinstance(frame.index.name, str) else "")
    out.index = [str(i) for i in frame.index]
    out.index.name = name
    return out


def _cell(text: str) -> str:
    return str(text).replace("|", r"\|").replace("\n", " ")


def _pipe_table(formatted: pd.DataFrame, index: bool) -> str:
    cols = ([formatted.index.name or " "] if index else []) + list(formatted.columns)
    lines = ["| " + " | ".join(_cell(c) for c in cols) + " |"]
    # text columns left, numbers right
    align = [":--"] if index else []
    for c in formatted.columns:
        numeric = formatted[c].map(lambda s: bool(re.fullmatch(r"(< )?[-+−]?[\d,]*\.?\d+(e[-+]?\d+)?|–", s))).all()
        align.append("--:" if numeric else ":--")
    lines.append("|" + "|".join(align) + "|")
    for i, row in formatted.iterrows():
        cells = ([i] if index else []) + list(row)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


class Exhibit:
    """A numbered table: displays as a MyST ``table`` directive (Markdown) in a notebook."""

    def __init__(self, markdown: str, label: str, caption: str, data: pd.DataFrame):
        self.markdown, self.label, self.caption, self.data = markdown, label, caption, data

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __repr__(self) -> str:  # the text/plain twin nbval compares; stable across runs
        return f"Table {self.label}: {self.caption}"


def exhibit(df: pd.DataFrame | pd.Series, caption: str, label: str, digits: int | dict = 3,
            headers: dict | None = None, index: bool = True, index_name: str | None = None,
            note: str | None = None) -> Exhibit:
    """A numbered, captioned, labelled table for the book.

    Parameters
    ----------
    df : DataFrame or Series
        The numbers (formatted with :func:`format_table`, so nothing is truncated or NaN).
    caption : str
        One sentence saying what the table shows; say "simulated" when it is.
    label : str
        Cross-reference target, by convention ``tbl-<chapter>-<what>``; cite it in the text
        with ``{numref}`Table %s <tbl-...>```.
    note : str, optional
        Appended to the caption (source, units, "simulated twin").

    Examples
    --------
    >>> import pandas as pd
    >>> t = exhibit(pd.DataFrame({"x_km": [1.0, None]}, index=["a", "b"]), "Two rows.", "tbl-demo",
    ...             headers={"x_km": "distance (km)"})
    >>> print(t.markdown.splitlines()[0])
    :::{table} Two rows.
    """
    if not re.fullmatch(r"[A-Za-z][\w-]*", label):
        raise ValueError(f"exhibit: label {label!r} must be letters, digits, '-' or '_' (e.g. tbl-3-lq)")
    formatted = format_table(df, digits=digits, headers=headers, index_name=index_name)
    cap = caption.strip() + (f" {note.strip()}" if note else "")
    if "\n" in cap:
        raise ValueError("exhibit: the caption must be one line")
    md = f":::{{table}} {cap}\n:name: {label}\n:align: left\n\n{_pipe_table(formatted, index)}\n:::\n"
    return Exhibit(md, label, cap, formatted)


#: The book's one label registry: words for the variable and result names, used by
#: :func:`readable_index`, :func:`label` and :mod:`helpers.book.regression_tables` (extend it
#: here, never with a table's own dictionary).
VARIABLE_LABELS = {
    "va_index": "virtual agglomeration", "va_index_lag": "virtual agglomeration, lagged",
    "va_topsis": "virtual agglomeration (TOPSIS)", "va_x_prd": "virtual agglomeration x PRD",
    "log_population": "log population", "synergy": "industrial synergy",
    "lq_manufacturing": "LQ manufacturing", "flow_network": "factor-flow position",
    "productivity": "log labour productivity", "broadband_per100": "broadband subscribers per 100 people",
    "competitiveness": "log competitiveness",
    "telecom_per_capita": "telecom business volume per person",
    "ict_emp_share": "employment share of information services",
    "digital_finance_index": "digital-finance index",
    "total": "total effect", "total_prd": "total effect, Pearl River Delta",
    "total_rest": "total effect, rest of the province",
    "uniform": "uniform", "max_synergy": "most synergy", "max_gap_cut": "largest gap cut",
}


def label(name: str, labels: dict | None = None) -> str:
    """The reader's words for a variable or result name. A name the registry lacks has every
    registered name inside it replaced (longest first: ``"broadband_per100 <= 52.71"``), and
    otherwise its underscores printed as spaces.

    >>> label("broadband_per100"), label("max_gap_cut"), label("some_new_name")
    ('broadband subscribers per 100 people', 'largest gap cut', 'some new name')
    >>> label("broadband_per100 <= 52.71"), label("max_synergy share")
    ('broadband subscribers per 100 people <= 52.71', 'most synergy share')
    """
    labels = VARIABLE_LABELS if labels is None else labels
    text = str(name)
    if text in labels:
        return labels[text]
    # one pass, longest names first, so a label is never itself relabelled
    pattern = "|".join(re.escape(k) for k in sorted(labels, key=len, reverse=True))
    out = re.sub(pattern, lambda m: labels[m.group(0)], text) if pattern else text
    return out if out != text else text.replace("_", " ")


def readable_index(frame: pd.DataFrame, labels: dict | None = None) -> pd.DataFrame:
    """A copy of ``frame`` whose row names have variable names replaced by words.

    Every occurrence is replaced, so ``"broadband_per100 <= 52.71"`` becomes
    ``"broadband subscribers per 100 people <= 52.71"``; longer names are replaced first.

    >>> readable_index(pd.DataFrame({"coef": [1.0]}, index=["va_index_lag"])).index[0]
    'virtual agglomeration, lagged'
    """
    labels = VARIABLE_LABELS if labels is None else labels
    order = sorted(labels, key=len, reverse=True)

    def words(name):
        text = str(name)
        for k in order:
            if k in text:
                text = text.replace(k, labels[k])
        return text

    return frame.rename(index=words)
