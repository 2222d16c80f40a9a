"""Read a user's spreadsheet as a yearbook would ship it: any encoding, any delimiter, title rows.

:func:`read_table` turns a CSV/TXT or XLSX file into a table of raw cells (strings or Excel
values, nothing converted yet) and remembers, for every data row, its line in the original file
(1-based, title and header rows counted, as a spreadsheet or text editor shows it), so that a
validator can point at the exact line. It never writes to the file.

What it detects, and how (each decision is recorded in :attr:`Table.notes`):

- **Encoding** (text files): a byte-order mark decides (UTF-8-SIG, UTF-16 LE/BE); otherwise strict
  UTF-8, then GB18030 (the superset of GBK/GB2312 that Chinese Excel writes), then
  ``charset_normalizer``'s best guess. UTF-16 without a mark is recognised by its NUL bytes.
- **Delimiter**: :class:`csv.Sniffer` restricted to ``, ; TAB |``, falling back to the candidate
  that splits the first lines into the most equal, widest rows.
- **Header row**: the row among the first :data:`HEADER_SCAN` that names the most columns of the
  expected schema (case- and space-insensitive); title rows above it are skipped. Rows right below
  the header that hold no number at all (a units row such as ``亿元 | 万人``) are skipped too.
  ``skiprows`` and ``header`` override the detection; ``sheet`` picks the Excel sheet (by default
  the sheet whose header matches the schema best).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: How many rows from the top are searched for the header row.
HEADER_SCAN = 30
#: Candidate delimiters of text files.
DELIMITERS = ",;\t|"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")


class TableReadError(ValueError):
    """A file cannot be read as a table (the message names the file)."""


@dataclass
class Table:
    """Raw cells of a file with the provenance of every row.

    Attributes
    ----------
    frame : DataFrame
        Data rows below the header, columns named by the (stripped) header cells, cells as read
        (strings for text files, Excel values otherwise); duplicate header names are kept.
    lines : list of int
        Line (text) or row (Excel) number of each data row in the original file, 1-based.
    headers : list of str
        The header cells as found (stripped).
    header_line : int
        Line/row number of the header in the original file.
    """

    path: Path
    frame: pd.DataFrame
    lines: list
    headers: list
    header_line: int
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    notes: list = field(default_factory=list)


def normalize_name(name) -> str:
    """Header comparison key: stripped, case-folded, runs of spaces/hyphens/dots as one ``_``."""
    return re.sub(r"[\s\-.]+", "_", str(name).strip()).strip("_").casefold()


def detect_encoding(raw: bytes) -> str:
    """Name of the codec that decodes ``raw`` (see the module notes for the order tried)."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = raw[:4000]
    if len(head) >= 4 and head.count(b"\x00") > len(head) // 4:  # UTF-16 without a mark
        return "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    for enc in ("utf-8", "gb18030"):
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise UnicodeError("no text encoding decodes this file (is it a spreadsheet saved as text?)")
    return best.encoding


def sniff_delimiter(text: str) -> str:
    """The delimiter of a delimited text (one of :data:`DELIMITERS`)."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    lines = [ln for ln in sample.splitlines() if ln.strip()]

    def score(d):
        widths = [len(r) for r in csv.reader(lines, delimiter=d)]
        return (max(widths, default=1) > 1, max(set(widths), key=widths.count, default=1))

    return max(DELIMITERS, key=score)


def _text_rows(raw: bytes, path: Path, notes: list):
    enc = detect_encoding(raw)
    text = raw.decode(enc)
    if text.startswith("\ufeff"):
        text = text[1:]
    delim = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows, lines, start = [], [], 1
    for rec in reader:
        rows.append(rec)
        lines.append(start)
        start = reader.line_num + 1
    notes.append(f"read as text, encoding {enc}, delimiter {delim!r}")
    return rows, lines, enc, delim


def _excel_sheets(raw: bytes, path: Path, sheet):
    """{sheet name: (rows, row numbers)} of the requested sheet, or of every sheet."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as err:  # a broken or password-protected workbook
        raise TableReadError(f"{path}: cannot open as an Excel workbook ({err})") from err
    names = wb.sheetnames
    if sheet is None:
        chosen = names
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise TableReadError(f"{path}: sheet {sheet} does not exist; sheets: {names}")
        chosen = [names[sheet]]
    else:
        if sheet not in names:
            raise TableReadError(f"{path}: no sheet {sheet!r}; sheets: {names}")
        chosen = [sheet]
    out = {}
    for name in chosen:
        rows, lines = [], []
        for i, rec in enumerate(wb[name].iter_rows(values_only=True), start=1):
            rows.append(["" if v is None else v for v in rec])
            lines.append(i)
        out[name] = (rows, lines)
    wb.close()
    return out


def _is_blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip()) or (
        isinstance(cell, float) and cell != cell)


def _header_score(row, expected: set) -> int:
    return sum(normalize_name(c) in expected for c in row if not _is_blank(c))


def _find_header(rows, expected: set, skiprows: int) -> tuple[int, int]:
    """(index of the header row, its score) among rows[skiprows:skiprows + HEADER_SCAN]."""
    best, best_score = None, -1
    for i in range(skiprows, min(len(rows), skiprows + HEADER_SCAN)):
        if all(_is_blank(c) for c in rows[i]):
            continue
        s = _header_score(rows[i], expected)
        if best is None or s > best_score:
            best, best_score = i, s
    return (skiprows if best is None else best), max(best_score, 0)


def _looks_numeric(cell) -> bool:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return cell == cell
    try:
        float(str(cell).strip())
        return True
    except ValueError:
        return False


def _build(rows, lines, path, expected, skiprows, header, notes):
    """Locate the header, drop units and blank rows, return (headers, data rows, their lines, line)."""
    if skiprows:
        notes.append(f"skipped {skiprows} line(s) at the top (skiprows={skiprows})")
    if header is None:
        h, score = _find_header(rows, expected, skiprows or 0)
        if h > (skiprows or 0):
            notes.append(f"header found on line {lines[h]} (title rows above it skipped)")
    else:
        h = (skiprows or 0) + int(header)
    if h >= len(rows):
        raise TableReadError(f"{path}: no header row (the file has {len(rows)} row(s))")
    headers = [str(c).strip() for c in rows[h]]
    while headers and headers[-1] == "":
        headers.pop()  # trailing empty cells of the header row (spreadsheet padding)
    body, body_lines, long_rows = [], [], []
    for rec, ln in zip(rows[h + 1:], lines[h + 1:]):
        if any(not _is_blank(c) for c in rec[len(headers):]):
            long_rows.append(f"line {ln} ({len(rec)} cells)")  # cells would shift: never drop them
        rec = list(rec[:len(headers)]) + [""] * (len(headers) - len(rec))
        if all(_is_blank(c) for c in rec):
            continue
        if not body and not any(_looks_numeric(c) for c in rec if not _is_blank(c)):
            notes.append(f"line {ln} below the header holds no number: taken as a units row and skipped "
                         f"({', '.join(str(c) for c in rec if not _is_blank(c))[:120]})")
            continue
        body.append(rec)
        body_lines.append(ln)
    if long_rows:
        raise TableReadError(
            f"{path}: {len(long_rows)} row(s) have more cells than the header on line {lines[h]} "
            f"({len(headers)} columns): {', '.join(long_rows[:10])}{' ...' if len(long_rows) > 10 else ''}; "
            "an unquoted delimiter inside a value (such as 1,234.5)? Quote it or remove the separator")
    return headers, body, body_lines, lines[h]


def read_table(path, *, sheet=None, skiprows: int | None = None, header: int | None = None,
               expected=()) -> Table:
    """Read a CSV/TXT or XLSX file into raw cells with the original line of every row.

    Parameters
    ----------
    path : str or Path
        The file; only read. Plain file-system errors (FileNotFoundError, IsADirectoryError,
        PermissionError) propagate and name the path.
    sheet : int or str, optional
        Excel sheet (position or name). Default: the sheet whose header row names the most
        ``expected`` columns (the first sheet on a tie).
    skiprows : int, optional
        Lines (rows) to skip at the top before looking for the header.
    header : int, optional
        Position of the header row counted after ``skiprows`` (0 = first row left), as in pandas.
        Default: detected (see the module notes).
    expected : iterable of str
        Column names the header should contain (the schema), used to find the header row.

    Returns
    -------
    Table

    Raises
    ------
    TableReadError
        Empty file, undecodable text, unreadable workbook, missing sheet, no header row.
    """
    path = Path(path)
    raw = path.read_bytes()  # FileNotFoundError / IsADirectoryError / PermissionError name the path
    if not raw.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise TableReadError(f"{path}: the file is empty")
    expected = {normalize_name(c) for c in expected}
    notes: list = []
    is_excel = path.suffix.lower() in EXCEL_SUFFIXES or raw[:4] == b"PK\x03\x04"
    if path.suffix.lower() == ".xls" or raw[:8] == bytes.fromhex("d0cf11e0a1b11ae1"):
        raise TableReadError(f"{path}: old .xls workbooks are not read; save it as .xlsx or .csv")
    if is_excel:
        sheets = _excel_sheets(raw, path, sheet)
        scored = {n: _find_header(r, expected, skiprows or 0)[1] for n, (r, _) in sheets.items()}
        name = max(scored, key=scored.get)  # first sheet wins ties
        rows, lines = sheets[name]
        enc = delim = None
        notes.append(f"read sheet {name!r}" + ("" if sheet is not None or len(sheets) == 1 else
                                               f" of {list(sheets)} (best header match)"))
    else:
        if sheet is not None:
            raise TableReadError(f"{path}: sheet={sheet!r} given but this is a text file")
        try:
            rows, lines, enc, delim = _text_rows(raw, path, notes)
        except (UnicodeError, csv.Error) as err:
            raise TableReadError(f"{path}: cannot read as delimited text ({err})") from err
        name = None
    if not any(not _is_blank(c) for r in rows for c in r):
        raise TableReadError(f"{path}: the file (sheet) has no cells")
    headers, body, body_lines, hline = _build(rows, lines, path, expected, skiprows, header, notes)
    frame = pd.DataFrame(body, columns=headers, dtype=object) if body else pd.DataFrame(
        columns=headers, dtype=object)
    return Table(path=path, frame=frame, lines=body_lines, headers=headers, header_line=hline,
                 encoding=enc, delimiter=delim, sheet=name, notes=notes)
