"""Read a user's spreadsheet as a yearbook would ship it: any encoding, any delimiter, title rows.

:func:`read_table` turns a CSV/TXT or XLSX file into a table of raw cells (strings or Excel
values, nothing converted yet) and remembers, for every data row, its line in the original file
(1-based, title and header rows counted, as a spreadsheet or text editor shows it), so that a
validator can point at the exact line. It never writes to the file.

What it detects, and how (each decision is recorded in :attr:`Table.notes`):

- **Encoding** (text files): a byte-order mark decides (UTF-8-SIG, UTF-16 LE/BE); otherwise strict
  UTF-8, then GB18030 (the superset of GBK/GB2312 that Chinese Excel writes), then
  ``charset_normalizer``'s best guess. UTF-16 without a mark is recognised by its NUL bytes.
  Two faults are named as encoding problems, not as unknown cities: **mixed encodings** (some
  lines with Chinese text are UTF-8, others are not: a file pasted together) and **Big5**
  (traditional Chinese): the bytes decode as GB18030 too, but then more than
  :data:`RARE_SHARE` of the Chinese characters lie outside GB2312's 6,763 common characters,
  which simplified-Chinese names never do; the registry's names are simplified, so the file is
  refused with the encoding named.
- **Excel cells** (workbooks): a formula without a stored result (a workbook written by a
  program that does not calculate: openpyxl's ``data_only`` gives None) is refused, naming the
  cells and formulas; hidden sheets are skipped (see :func:`_excel_sheets`); a number shown with a
  date format arrives as a date and is named by the validator.
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

from . import guards as _guards

#: How many rows from the top are searched for the header row.
HEADER_SCAN = 30
#: Candidate delimiters of text files.
DELIMITERS = ",;\t|"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
#: Share of Chinese characters outside GB2312 above which a GB18030-decodable text is taken as
#: Big5 mis-decoded (simplified-Chinese city names use GB2312 characters only).
RARE_SHARE = 0.3
#: Share of the lines with non-ASCII bytes that must be valid UTF-8 (in a file that as a whole
#: is not) for the file to count as mixed.
MIXED_SHARE = 0.05


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


def _cjk(text: str) -> list:
    return [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]


def _rare(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return False
    except UnicodeEncodeError:
        return True


def encoding_fault(raw: bytes, enc: str) -> str | None:
    """Why ``raw`` decoded as ``enc`` is not trustworthy (mixed encodings, Big5), or None."""
    if enc in ("utf-8", "utf-8-sig") or enc.startswith("utf-16") or enc == "ascii":
        return None
    lines, utf8 = 0, []
    for n, ln in enumerate(raw.splitlines(), start=1):
        if any(b > 127 for b in ln):
            lines += 1
            try:
                ln.decode("utf-8")
                utf8.append(n)
            except UnicodeDecodeError:
                pass
    # a short GBK line can, rarely, be valid UTF-8 by chance (a few per 10,000 lines of three-character
    # names, estimated): mixed means UTF-8 lines, at least 2 and 5% of the lines with Chinese text
    if max(2, MIXED_SHARE * lines) <= len(utf8) < lines:
        shown = ", ".join(map(str, utf8[:5])) + (" ..." if len(utf8) > 5 else "")
        return (f"mixed text encodings: {len(utf8)} line(s) with Chinese text are UTF-8 (lines {shown}) and "
                f"{lines - len(utf8)} are not ({enc}?); save the whole file in one encoding (UTF-8)")
    cjk = _cjk(raw.decode(enc, errors="replace"))
    rare = [ch for ch in cjk if _rare(ch)]
    if cjk and len(rare) > RARE_SHARE * len(cjk):
        try:
            sample = " ".join(dict.fromkeys(w for w in re.findall(r"[\u4e00-\u9fff]+", raw.decode("big5"))))[:40]
        except UnicodeDecodeError:
            return (f"as {enc}, {len(rare)} of {len(cjk)} Chinese characters are rare ones (e.g. "
                    f"{''.join(rare[:6])}): the file is in another encoding; save it as UTF-8")
        return (f"the text looks Big5-encoded (traditional Chinese: as {enc}, {len(rare)} of {len(cjk)} Chinese "
                f"characters are rare ones; as Big5 it reads {sample!r}); the registry names cities in "
                "simplified Chinese: save the file as UTF-8 with simplified, English or code city names")
    return None


def _text_rows(raw: bytes, path: Path, notes: list):
    enc = detect_encoding(raw)
    fault = encoding_fault(raw, enc)
    if fault:
        raise TableReadError(f"{path}: {fault}")
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


def _excel_sheets(raw: bytes, path: Path, sheet, notes: list | None = None):
    """{sheet name: (rows, row numbers)} of the requested sheet, or of every visible sheet.

    Hidden sheets (often an old vintage kept by the publisher) are read only when asked for by
    ``sheet`` or when no sheet is visible; either way ``notes`` says so."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as err:
        # a broken, truncated or password-protected (encrypted, so not a zip) workbook
        raise TableReadError(f"{path}: cannot open as an Excel workbook ({err})") from err
    names = wb.sheetnames
    hidden = [n for n in names if getattr(wb[n], "sheet_state", "visible") != "visible"]
    notes = [] if notes is None else notes
    if sheet is None:
        chosen = [n for n in names if n not in hidden] or names
        if hidden and len(chosen) < len(names):
            notes.append(f"hidden sheet(s) {hidden} ignored (pass sheet= to read one)")
        elif hidden:
            notes.append(f"every sheet is hidden; read them all: {hidden}")
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise TableReadError(f"{path}: sheet {sheet} does not exist; sheets: {names}")
        chosen = [names[sheet]]
    else:
        if sheet not in names:
            raise TableReadError(f"{path}: no sheet {sheet!r}; sheets: {names}")
        chosen = [sheet]
    if sheet is not None and chosen[0] in hidden:
        notes.append(f"sheet {chosen[0]!r} is hidden in the workbook (read because sheet= names it)")
    out, empty = {}, {}
    for name in chosen:
        rows, lines = [], []
        for i, rec in enumerate(wb[name].iter_rows(values_only=True), start=1):
            empty[name, i] = [j for j, v in enumerate(rec) if v is None]
            rows.append(["" if v is None else v for v in rec])
            lines.append(i)
        out[name] = (rows, lines)
    wb.close()
    _refuse_uncalculated(raw, path, chosen, empty)
    return out


def _refuse_uncalculated(raw: bytes, path: Path, chosen, empty: dict) -> None:
    """Refuse formulas without a stored result (empty under ``data_only``), naming the cells."""
    if not any(empty.values()):
        return
    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    found = []
    for name in chosen:
        for i, rec in enumerate(wb[name].iter_rows(values_only=True), start=1):
            for j in empty.get((name, i), ()):
                v = rec[j] if j < len(rec) else None
                if isinstance(v, str) and v.startswith("="):
                    found.append(f"{name}!{get_column_letter(j + 1)}{i} {_guards.echo(v, 30)}")
    wb.close()
    if found:
        raise TableReadError(
            f"{path}: {len(found)} cell(s) hold a formula without a stored result ({', '.join(found[:5])}"
            f"{' ...' if len(found) > 5 else ''}): the workbook was written by a program that does not "
            "calculate; open and save it in Excel or LibreOffice (or paste values) and load it again")


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
    # regular files only, at most guards.MAX_BYTES; one-line InputFileError naming the file otherwise
    raw = _guards.read_guarded(path, max_bytes=_guards.MAX_BYTES)
    if not raw.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise TableReadError(f"{path}: the file is empty")
    expected = {normalize_name(c) for c in expected}
    notes: list = []
    is_excel = path.suffix.lower() in EXCEL_SUFFIXES or raw[:4] == b"PK\x03\x04"
    if path.suffix.lower() == ".xls" or raw[:8] == bytes.fromhex("d0cf11e0a1b11ae1"):
        raise TableReadError(f"{path}: old .xls workbooks are not read; save it as .xlsx or .csv")
    if is_excel:
        sheets = _excel_sheets(raw, path, sheet, notes)
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
    _guards.check_rows(path, len(rows) - 1, max_rows=_guards.MAX_ROWS)
    if not any(not _is_blank(c) for r in rows for c in r):
        raise TableReadError(f"{path}: the file (sheet) has no cells")
    headers, body, body_lines, hline = _build(rows, lines, path, expected, skiprows, header, notes)
    frame = pd.DataFrame(body, columns=headers, dtype=object) if body else pd.DataFrame(
        columns=headers, dtype=object)
    return Table(path=path, frame=frame, lines=body_lines, headers=headers, header_line=hline,
                 encoding=enc, delimiter=delim, sheet=name, notes=notes)
