"""Validation of city-year tables against a declarative schema, with every fault reported at once.

A schema is a mapping ``column -> (kind, unit, description)`` (for example
:data:`helpers.data.PANEL_SCHEMA`). Kinds and their rules:

========  ===================================================================
key       ``city`` and ``year``: never missing; city-year unique
id        ``code``, ``region``: optional, must agree with the registry
count     finite, >= 0
level     finite, >= 0
share     finite, in [0, 1]
index     finite (any real number)
========  ===================================================================

Years must lie in :data:`YEAR_LIMITS` (1949-2100, an error outside: no statistical yearbook of
the People's Republic predates 1949, and a year beyond 2100 is a typing slip such as 2106 or
97249); years outside :data:`REGISTRY_YEARS` (1994-2025) give a warning, because the registry's
21 prefectures exist in their present form since 1994 (Yunfu, the last, was created in 1994) and
their codes are checked up to 2025.

Unit and outlier checks (jumps within a city, outliers across cities, with the likely unit slip
named) are documented in :mod:`helpers.data.units`; the reports in :mod:`helpers.data.issues`.

**Design: why pandera, and for what.** Cell rules (finite, ranges, missing values, unique
city-year, year limits) are one :class:`pandera.DataFrameSchema` built from the schema mapping
(:func:`pandera_schema`): a maintained, documented library whose ``lazy=True`` mode collects every
failure case with its row, which is exactly the "all faults at once" contract; a hand-written loop
would duplicate it. Everything pandera cannot express cleanly stays hand-written and small:
parsing text into numbers (so a failure shows the text the user typed), resolving city names
against the registry, the balance of the panel, and the unit checks, which compare rows with each
other and suggest a cause. pandera's raw failure table is translated into :class:`Issue` records
that carry city, year, column, value and file line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import guards as _guards
from .issues import (  # noqa: F401
    MAX_LISTED,
    Issue,
    PanelSchemaError,
    ValidationReport,
    closest,
    warn_or_raise,
    years_text,
)
from .plausibility import plausibility_issues
from .readers import normalize_name
from .units import (  # noqa: F401
    INDICATOR_KINDS,
    JUMP_FACTOR,
    SPREAD_FACTORS,
    column_checks,
    suggest_slip,
    unit_issues,
)

#: Hard limits of a plausible year (inclusive): outside is an error.
YEAR_LIMITS = (1949, 2100)
#: Most findings kept in one report: a 200,000-row file of faults is reported in seconds, and
#: the rest is counted, not collected.
MAX_ISSUES = 1000
#: Years the registry is known to describe (inclusive): outside is a warning.
REGISTRY_YEARS = (1994, 2025)


def pandera_schema(schema: dict, columns, allow_missing: bool = False):
    """The cell rules of ``schema`` for the given indicator ``columns`` as a pandera schema.

    The frame it validates has float indicator columns, ``city`` (str or NaN) and ``year``
    (float, NaN where unreadable); it checks finiteness, kind ranges, missing values, the year
    limits and the uniqueness of city-year.
    """
    import pandera.pandas as pa

    finite = pa.Check(lambda s: np.isfinite(s), name="finite", ignore_na=True)
    rules = {"count": [pa.Check.ge(0)], "level": [pa.Check.ge(0)],
             "share": [pa.Check.in_range(0, 1)], "index": []}
    cols = {c: pa.Column(float, [finite, *rules[schema[c][0]]], nullable=allow_missing)
            for c in columns}
    cols["year"] = pa.Column(float, [pa.Check.in_range(*YEAR_LIMITS)], nullable=True)
    cols["city"] = pa.Column(object, nullable=True)
    # city-year uniqueness is checked by duplicate_issues (pandera's report of 100,000 duplicated
    # rows took minutes)
    return pa.DataFrameSchema(cols)


_CHECK_TEXT = {
    "finite": "is not a finite number ({value})",
    "not_nullable": "is missing (NaN); pass allow_missing=True to accept gaps",
    "greater_than_or_equal_to(0)": "is negative ({value}); a {kind} must be >= 0",
    "in_range(0, 1)": "= {value} is a share and must lie in [0, 1]{hint}",
    f"in_range({YEAR_LIMITS[0]}, {YEAR_LIMITS[1]})":
        f"year {{value:g}} is outside the plausible range {YEAR_LIMITS[0]}-{YEAR_LIMITS[1]}",
}


def duplicate_issues(frame: pd.DataFrame, lines, limit: int = MAX_ISSUES) -> list:
    """One error per duplicated city-year (its lines listed, at most 10), at most ``limit``."""
    import itertools

    d = frame[["city", "year"]]
    mask = (d.duplicated(keep=False) & d["city"].notna() & d["year"].notna()).to_numpy()
    if not mask.any():
        return []
    idx = np.flatnonzero(mask)
    groups = d.iloc[idx].groupby(["city", "year"], sort=False).indices
    out = []
    for (city, year), pos in itertools.islice(groups.items(), limit):
        rows = idx[pos]
        shown = ", ".join(str(lines[j]) for j in rows[:10]) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
        out.append(Issue("error", "duplicate", f"duplicate rows for city {city}, year {int(year)} "
                         f"(city-year must be unique; lines {shown})", city=city, year=int(year), line=lines[rows[0]]))
    if len(groups) > limit:
        out.append(Issue("error", "duplicate", f"... and {len(groups) - limit} more duplicated city-years "
                         "(not collected)"))
    return out


def cell_issues(frame: pd.DataFrame, schema: dict, columns, lines, allow_missing: bool) -> list:
    """Run :func:`pandera_schema` lazily and translate every failure case into an :class:`Issue`."""
    import pandera.errors as pe

    try:
        pandera_schema(schema, columns, allow_missing).validate(frame, lazy=True)
        return []
    except pe.SchemaErrors as err:
        fc = err.failure_cases
    out, seen_dup = [], set()
    if len(fc) > MAX_ISSUES:
        out.append(Issue("error", "cells", f"{len(fc) - MAX_ISSUES:,} more failing cells not collected "
                         f"(the first {MAX_ISSUES} are listed)"))
        fc = fc.head(MAX_ISSUES)
    for rec in fc.itertuples(index=False):
        i = None if pd.isna(rec.index) else int(rec.index)
        city = frame.at[i, "city"] if i is not None else None
        year = frame.at[i, "year"] if i is not None else None
        year = None if year is None or pd.isna(year) else int(year)
        line = lines[i] if i is not None else None
        if rec.check == "multiple_fields_uniqueness":
            if pd.isna(city) or year is None or (city, year) in seen_dup:
                continue
            seen_dup.add((city, year))
            where = frame.index[(frame["city"] == city) & (frame["year"] == year)]
            out.append(Issue("error", "duplicate", f"duplicate rows for city {city}, year {year} "
                             f"(city-year must be unique; lines {', '.join(str(lines[j]) for j in where)})",
                             city=city, year=year, line=line))
            continue
        col = rec.column if rec.column in frame.columns else None
        value = rec.failure_case
        kind = schema.get(col, ("",))[0] if col else ""
        hint = (f" (looks like a percentage: {value:g}% -> {value / 100:g}?)"
                if kind == "share" and isinstance(value, float) and 1 < value <= 100 else
                " (percentages? divide by 100)")
        text = _CHECK_TEXT.get(rec.check, f"fails check {rec.check} ({{value}})")
        if col == "year":
            out.append(Issue("error", "year", "column 'year': " + text.format(value=value), column="year",
                             city=None if pd.isna(city) else city, line=line, value=value))
            continue
        out.append(Issue("error", rec.check if rec.check != "not_nullable" else "missing",
                         f"column {col!r} " + text.format(value=value, kind=kind, hint=hint),
                         column=col, city=None if pd.isna(city) else city, year=year, value=value, line=line))
    return out


# --------------------------------------------------------------------------- whole-table validation
#: Header names of Chinese yearbook files mapped to schema names (compared case-insensitively).
HEADER_ALIASES = {"城市": "city", "城市名称": "city", "地级市": "city", "地区": "city", "年份": "year",
                  "年度": "year", "年度标识": "year", "年": "year", "城市代码": "code", "行政区划代码": "code",
                  "代码": "code", "区域": "region"}


def expected_headers(schema: dict) -> list:
    """Every header name that maps to a schema column (schema names and aliases)."""
    return [*schema, *HEADER_ALIASES]


#: Units written in headers, e.g. ``gdp（亿元）`` or ``gdp (10,000 yuan)``, as schema unit names.
HEADER_UNITS = {"亿元": "100 million yuan", "亿元人民币": "100 million yuan", "100millionyuan": "100 million yuan",
                "万元": "10,000 yuan", "千元": "thousand yuan", "thousandyuan": "thousand yuan", "1000yuan": "thousand yuan", "10000yuan": "10,000 yuan", "10,000yuan": "10,000 yuan", "元": "yuan",
                "yuan": "yuan", "万人": "10k persons", "10kpersons": "10k persons", "人": "persons",
                "persons": "persons", "%": "percent", "percent": "percent", "share": "share"}


def _split_unit(name: str):
    """``'gdp（亿元）'`` -> ``('gdp', '亿元')``; a name without a bracketed suffix -> ``(name, None)``."""
    import re

    m = re.fullmatch(r"\s*(.+?)\s*[（(\[]\s*([^)）\]]*?)\s*[)）\]]\s*", name)
    return (m.group(1), m.group(2)) if m else (name, None)


def _unit_clash(header_unit, schema_unit):
    """The header's unit when it names a different unit than the schema, else None."""
    said = HEADER_UNITS.get(str(header_unit).replace(" ", "").casefold())
    if said is None:  # an unknown unit is refused, not ignored: the values may be in any scale
        return f"an unrecognised unit {_guards.echo(header_unit, 40)!r}"
    same = schema_unit.startswith(said)
    return None if same else said


def _header_issues(columns, schema, required, lines_word):
    """Duplicate, renamed and missing headers. Returns (issues, rename map, fatal)."""
    out, rename = [], {}
    names = [str(c).strip() for c in columns]
    keys = {normalize_name(c): c for c in schema} | {normalize_name(a): c for a, c in HEADER_ALIASES.items()}
    for c in names:
        base, unit = _split_unit(c)
        target = c if c in schema else keys.get(normalize_name(c)) or keys.get(normalize_name(base))
        if target and target != c:
            rename[c] = target
            clash = _unit_clash(unit, schema[target][1]) if unit else None
            if clash:
                out.append(Issue("error", "header", f"column {c!r} is in {clash} by its header, the schema "
                                 f"expects {schema[target][1]!r} for {target!r}: convert the values"))
            else:
                out.append(Issue("note", "header", f"column {c!r} read as {target!r}"))
    final = [rename.get(c, c) for c in names]
    for c in dict.fromkeys(x for x in final if final.count(x) > 1 and x):
        pos = [str(j + 1) for j, x in enumerate(final) if x == c]
        out.append(Issue("error", "header", f"duplicate header {c!r} (columns {', '.join(pos)}): "
                         "which one holds the data? rename or delete the others"))
    keys_needed = ["year"] + ([] if "code" in final else ["city"])
    missing = [c for c in [*keys_needed, *required] if c not in final]
    if missing:
        extra = [c for c in names if rename.get(c, c) not in schema]
        near = {m: closest(m, extra) or [e for e in extra if normalize_name(m) in normalize_name(e)]
                for m in missing}
        hints = "; ".join(f"{m} (closest found: {near[m]})" for m in missing if near[m])
        shown = [_guards.echo(n, 40) for n in names[:30]] + (["..."] if len(names) > 30 else [])
        near = {m: [_guards.echo(n, 40) for n in v] for m, v in near.items()}
        hints = "; ".join(f"{m} (closest found: {near[m]})" for m in missing if near[m])
        out.append(Issue("error", "header", f"missing column(s) {missing}; headers found: {shown}"
                         + (f"; {hints}" if hints else "")))
    fatal = any(c in missing for c in ("city", "year")) or ("city" not in final and "code" not in final)
    return out, rename, fatal


def _keys(s: pd.Series) -> pd.Series:
    """:func:`_city_key` of every value, computed once per distinct value (a 200,000-row file has
    a few hundred distinct names or codes)."""
    return s.map({v: _city_key(v) for v in s.unique()})


def _city_key(v) -> str:
    s = str(v).strip().casefold().replace(" ", "")
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    return s


def city_lookup(registry: pd.DataFrame) -> dict:
    """Key -> English name for English names, Chinese names (with or without 市) and codes."""
    out = {}
    for city, row in registry.iterrows():
        for k in (city, row["name_zh"], str(row["name_zh"]).removesuffix("市"), row["code"],
                  f"{city}city", f"{city}shi"):
            out[_city_key(k)] = city
    return out


def _resolve_cities(df, registry, lines):
    """English city name per row (NaN where unknown or missing) and the issues found."""
    look, out = city_lookup(registry), []
    blank = lambda s: s.isna() | (s.astype(str).str.strip() == "")  # noqa: E731
    if "city" in df.columns:
        raw = df["city"]
        city = _keys(raw).map(look)
        matched = raw[city.notna() & (raw.astype(str).str.strip() != city.astype(str))]
        if len(matched):
            ex = dict(list(dict.fromkeys(zip(matched.astype(str), city[matched.index])))[:3])
            out.append(Issue("note", "city", f"city names matched on the registry (e.g. {ex})"))
        source = "city"
    else:
        raw = df["code"]
        city = pd.to_numeric(raw, errors="coerce").map(
            lambda v: look.get(_city_key(int(v))) if pd.notna(v) and v == int(v) else None)
        source = "code"
    for i in df.index[city.isna()]:
        if blank(raw.loc[[i]]).iat[0]:
            out.append(Issue("error", "key", f"has no {source} (column {source!r} may not be missing)",
                             column=source, line=lines[i]))
        else:
            near = closest(str(raw[i]), list(registry.index) + list(registry["name_zh"]))
            out.append(Issue("error", "key", f"unknown city {str(raw[i]).strip()!r} in column {source!r}"
                             + (f" (closest: {', '.join(near)})" if near else
                                "; use English or Chinese names (e.g. Guangzhou, 广州市) or 6-digit codes"),
                             column=source, value=raw[i], line=lines[i]))
    return city.astype(object).where(city.notna(), np.nan), out


def _parse_years(df, city, lines):
    year = pd.to_numeric(df["year"].map(lambda v: str(v).strip()), errors="coerce")
    out = []
    for i in df.index[year.isna() | (year != year.round())]:
        v = df.at[i, "year"]
        c = None if pd.isna(city[i]) else city[i]
        text = ("has no year (column 'year' may not be missing)" if str(v).strip() in ("", "nan", "None")
                else "column 'year' holds " + _date_text(v) if _is_date(v)
                else f"column 'year' = {v!r} is not an integer year")
        out.append(Issue("error", "key", text, column="year", city=c, value=v, line=lines[i]))
    year = year.astype(float).where(year == year.round())
    lo, hi = REGISTRY_YEARS
    for y in sorted(set(year[(year < lo) | (year > hi)].dropna()) & set(range(YEAR_LIMITS[0], YEAR_LIMITS[1] + 1))):
        rows = df.index[year == y]
        out.append(Issue("warning", "year", f"year {int(y)} lies outside the years the city registry "
                         f"is checked for ({lo}-{hi}); check that no prefecture changed", year=int(y),
                         line=lines[rows[0]]))
    return year, out


def _id_issues(df, city, year, registry, lines):
    """``code`` and ``region`` must agree with the registry where both are known."""
    out = []
    for col, truth in (("code", registry["code"]), ("region", registry["region"].astype(str))):
        if col not in df.columns:
            continue
        want = city.map(truth)
        got = _keys(df[col])
        bad = df.index[want.notna() & (got != _keys(want))]
        for i in bad:
            out.append(Issue("error", "id", f"column {col!r} is {df.at[i, col]!r}, registry says {want[i]}",
                             column=col, city=city[i], year=None if pd.isna(year[i]) else int(year[i]),
                             value=df.at[i, col], line=lines[i]))
    return out


def _is_date(v) -> bool:
    import datetime as dt

    return isinstance(v, (dt.date, dt.time, dt.timedelta))


def _date_text(v) -> str:
    """A workbook date cell and the number it hides (Excel's serial day, 1899-12-30 = 0)."""
    import datetime as dt

    if isinstance(v, dt.datetime):
        serial = (v - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    elif isinstance(v, dt.date):
        serial = (v - dt.date(1899, 12, 30)).days
    elif isinstance(v, dt.time):
        serial = (v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6) / 86400
    else:
        serial = v.total_seconds() / 86400
    return (f"a date ({v}) where a number belongs: the cell has a date number format in the workbook "
            f"(it holds the number {serial:.10g}); format the column as Number")


def _date_issues(df, c, city, year, lines) -> tuple[list, pd.Series]:
    """Date cells of column ``c`` (a number with a date format in Excel) and the mask of them."""
    mask = df[c].map(_is_date).astype(bool) if df[c].dtype == object else pd.Series(False, index=df.index)
    out = [Issue("error", "date", f"column {c!r} holds " + _date_text(df.at[i, c]), column=c,
                 city=None if pd.isna(city[i]) else city[i],
                 year=None if year is None or pd.isna(year[i]) else int(year[i]),
                 value=str(df.at[i, c]), line=lines[i]) for i in df.index[mask]]
    return out, mask


def _numbers(df, cols, city, year, lines):
    """Indicator columns as floats; text that is not a number is an error (showing the text), and
    so is a date (a number formatted as a date in a workbook)."""
    out, num = [], pd.DataFrame(index=df.index)
    for c in cols:
        raw = df[c]
        if pd.api.types.is_numeric_dtype(raw):  # already parsed (a reader's dtype map): no text
            num[c] = raw.astype(float)
            continue
        dates, is_date = _date_issues(df, c, city, year, lines)
        if dates:
            out += dates
            raw = raw.mask(is_date, None)  # reported once, as a date
        try:
            stripped = raw.str.strip()  # vectorised; non-strings become NaN and are restored below
        except AttributeError:  # no strings at all (numbers from a workbook)
            stripped = raw
        text = stripped.where(stripped.notna(), raw)
        x = pd.to_numeric(text.replace("", np.nan), errors="coerce")
        for i in df.index[x.isna() & text.notna() & (text.astype(str) != "")]:
            out.append(Issue("error", "text", f"column {c!r} has non-numeric value {raw[i]!r}", column=c,
                             city=None if pd.isna(city[i]) else city[i],
                             year=None if pd.isna(year[i]) else int(year[i]), value=raw[i], line=lines[i]))
        num[c] = x.astype(float)
    return num, out


def _balance_issues(valid: pd.DataFrame, registry, balanced: str) -> list:
    """Missing city-years over the years present, each city named with its missing years."""
    if balanced == "ignore" or valid.empty:
        return []
    years = sorted(int(y) for y in valid["year"].unique())
    have = valid.groupby("city")["year"].apply(lambda s: {int(y) for y in s})
    parts = []
    for city in registry.index:
        miss = sorted(set(years) - have.get(city, set()))
        if city not in have.index:
            parts.append(f"{city} (all years)")
        elif miss:
            parts.append(f"{city} ({years_text(miss)})")
    if not parts:
        return []
    sev = "error" if balanced == "error" else "warning"
    fix = ("" if sev == "warning" else
           "; every chapter needs all 21 cities in every year: fill the gaps, or load with "
           "balanced='warn' (helpers) and analyse a subset yourself")
    return [Issue(sev, "balance", f"unbalanced panel over {years[0]}-{years[-1]} ({len(years)} years): "
                  f"missing city-years: {'; '.join(parts)}" + fix)]


def validate_table(df: pd.DataFrame, schema: dict, registry: pd.DataFrame, *, required=None,
                   allow_missing: bool = False, balanced: str = "warn", source: str = "panel",
                   lines=None, checks: dict | None = None, accept_breaks=(), notes=(),
                   unit_checks: bool = True):
    """Validate a raw city-year table; return ``(clean frame or None, ValidationReport)``.

    Every fault is collected (see the module notes); the clean frame is ``None`` when there
    are errors. ``lines`` gives the original file line of each row (default: row positions,
    reported as "row N"); ``notes`` are reading notes carried into the report; ``unit_checks=False``
    skips :func:`helpers.data.units.unit_issues` (for generated data, which has no typing slips).
    """
    if balanced not in ("warn", "error", "ignore"):
        raise ValueError("balanced must be 'warn', 'error' or 'ignore'")
    indicators = [c for c, (k, _, _) in schema.items() if k in INDICATOR_KINDS]
    required = indicators if required is None else list(required)
    unknown_req = [c for c in required if c not in schema]
    if unknown_req:
        raise PanelSchemaError(f"{source}: required column(s) {unknown_req} are not in the schema")
    word = "row" if lines is None else "line"
    df = df.reset_index(drop=True)
    lines = list(range(len(df))) if lines is None else list(lines)
    report = ValidationReport(source, [Issue("note", "read", n) for n in notes], len(df), word)
    issues, rename, fatal = _header_issues(df.columns, schema, required, word)
    report.issues += issues
    df.columns = [rename.get(str(c).strip(), str(c).strip()) for c in df.columns]
    df = df.loc[:, ~df.columns.duplicated()]
    if not fatal and df.empty:
        report.issues.append(Issue("error", "empty", "no data rows below the header"))
    if fatal or df.empty:
        return None, report
    city, city_issues = _resolve_cities(df, registry, lines)
    year, year_issues = _parse_years(df, city, lines)
    present = [c for c in indicators if c in df.columns]
    num, text_issues = _numbers(df, present, city, year, lines)
    frame = num.assign(city=city, year=year.astype(float))
    report.issues += [*city_issues, *year_issues, *_id_issues(df, city, year, registry, lines),
                      *text_issues]
    typed = {(i.line, i.column) for i in text_issues}  # text already reported: not "missing" too
    report.issues += [i for i in cell_issues(frame, schema, present, lines, allow_missing)
                      if not (i.check == "missing" and (i.line, i.column) in typed)]
    in_range = year.between(*YEAR_LIMITS)
    valid = frame[city.notna() & in_range & ~frame.duplicated(["city", "year"], keep=False)]
    report.issues += duplicate_issues(frame, lines)
    report.issues += _balance_issues(valid, registry, balanced)
    shares = [c for c in present if schema[c][0] == "share"]  # > 1 is reported once, by the range rule
    if unit_checks:
        report.issues += unit_issues(valid.assign(**{c: valid[c].where(valid[c] <= 1) for c in shares}),
                                     schema, lines, column_checks(schema, checks), accept_breaks)
        report.issues += plausibility_issues(valid, registry, lines, accept_breaks)
    if len(report.issues) > MAX_ISSUES + 10:
        n = len(report.issues) - MAX_ISSUES
        report.issues = report.issues[:MAX_ISSUES] + [Issue("error" if report.errors else "warning", "cap",
                                                            f"{n:,} more findings not collected")]
    if report.errors:
        return None, report
    out = df.assign(city=city, year=year.astype(int), **{c: num[c] for c in present})
    out["code"] = out["city"].map(registry["code"]).astype(int)
    out["region"] = out["city"].map(registry["region"].astype(str))
    cols = ["city", "code", "region", "year", *present,
            *[c for c in df.columns if c not in schema]]
    return out[cols].sort_values(["code", "year"]).reset_index(drop=True), report
