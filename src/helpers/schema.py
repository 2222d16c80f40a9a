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

**Unit and outlier checks** (:func:`unit_issues`), per column, on positive values only:

- *jumps within a city*: a value more than ``jump`` times (or less than ``1/jump`` of) the same
  city's previous observed year. Default :data:`JUMP_FACTOR` = 10: real prefecture series
  rarely move more than x2 in a year (the 2005 economic-census revision raised Dongguan's GDP
  x1.9 in one year, the largest jump in the official 2000-2023 Guangdong accounts; the simulated
  twin's noisiest series, the ICT employment share, moves x5.2 at most), while unit
  slips are powers of ten of at least 100 (percent vs share x100, 10,000 yuan vs 100 million
  yuan x10^4);
- *outliers across cities*: a value more than ``spread`` times (or less than ``1/spread`` of)
  the median of the same year over all cities. Default :data:`SPREAD_FACTORS`: 1000 for totals
  (they scale with city size: in the official 2000-2023 accounts a city's GDP lies between 1/4
  and x11 the provincial median of its year, and R&D or patent totals spread further, x46 in the
  simulated twin), 20 for intensive quantities (per-person values, wages, shares),
  whose city values stay within a few times the median. A whole city typed in 10,000 yuan
  (x10^4) is caught; a whole city off by x100 in a *total* is not distinguishable from a large
  city and is left to the jump check, which catches it where the slip covers only some years.
- ``index`` columns may be negative (standardised scores), so they are not checked by default.

Each flag names the city, the years, the column and the likely unit slip (the powers of ten
near the ratio, :func:`suggest_slip`). A real break is accepted explicitly with ``accept_breaks`` entries
``(city, year, column)`` (``year=None`` accepts the whole city-column); it is then reported as
accepted, not as an error. ``column_checks`` overrides the factors per column.

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

import difflib
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .readers import normalize_name

#: Hard limits of a plausible year (inclusive): outside is an error.
YEAR_LIMITS = (1949, 2100)
#: Years the registry is known to describe (inclusive): outside is a warning.
REGISTRY_YEARS = (1994, 2025)
#: Default within-city year-on-year factor beyond which a change is flagged.
JUMP_FACTOR = 10.0
#: Default cross-city factor (value / median of the year) by scale of the quantity.
SPREAD_FACTORS = {"total": 1000.0, "intensive": 20.0}
#: How many issues of one check are listed before "and N more".
MAX_LISTED = 12
INDICATOR_KINDS = ("count", "level", "share", "index")


class PanelSchemaError(ValueError):
    """A user's table does not follow the documented schema.

    The message names the file and lists every fault (city, year, column, value, file line);
    ``report`` holds the :class:`ValidationReport` when validation got that far.
    """

    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class Issue:
    """One finding: ``severity`` is "error", "warning", "accepted" or "note"."""

    severity: str
    check: str
    message: str
    column: str | None = None
    city: str | None = None
    year: int | None = None
    value: object = None
    line: int | None = None

    def where(self, line_word: str = "line") -> str:
        """``line N: city C, year Y`` (the parts that are known)."""
        loc = ", ".join(p for p in (f"city {self.city}" if self.city is not None else None,
                                    f"year {self.year}" if self.year is not None else None) if p)
        pre = f"{line_word} {self.line}" if self.line is not None else ""
        return ": ".join(p for p in (pre, loc) if p)

    def __str__(self):
        return _fmt(self, "line")


@dataclass
class ValidationReport:
    """Every finding of a validation, with a readable :meth:`summary`."""

    source: str
    issues: list = field(default_factory=list)
    n_rows: int = 0
    line_word: str = "line"

    def _of(self, severity):
        return [i for i in self.issues if i.severity == severity]

    @property
    def errors(self):
        return self._of("error")

    @property
    def warnings(self):
        return self._of("warning")

    @property
    def accepted(self):
        return self._of("accepted")

    @property
    def notes(self):
        return self._of("note")

    @property
    def ok(self) -> bool:
        return not self.errors

    def _lines(self, severity, limit):
        found = self._of(severity)
        out = []
        for check in dict.fromkeys(i.check for i in found):
            group = [i for i in found if i.check == check]
            shown = group if limit is None else group[:limit]
            out += [f"  - {_fmt(i, self.line_word)}" for i in shown]
            if len(group) > len(shown):
                out.append(f"  - ... and {len(group) - len(shown)} more {check} issue(s)")
        return out

    def summary(self, limit: int | None = MAX_LISTED) -> str:
        """Text report: errors, warnings, accepted breaks and reading notes."""
        head = (f"{self.source}: {self.n_rows} data row(s); {len(self.errors)} error(s), "
                f"{len(self.warnings)} warning(s), {len(self.accepted)} accepted break(s)")
        body = [head]
        for sev, title in (("error", "Errors"), ("warning", "Warnings"),
                           ("accepted", "Accepted (accept_breaks)"), ("note", "Reading notes")):
            if self._of(sev):
                body += [f"{title}:", *self._lines(sev, limit)]
        return "\n".join(body)

    def __str__(self):
        return self.summary()


def _fmt(issue: Issue, line_word: str) -> str:
    w = issue.where(line_word)
    return f"{w}: {issue.message}" if w else issue.message


def closest(name, candidates, n: int = 3) -> list:
    """Up to ``n`` candidates closest to ``name`` (difflib ratio >= 0.6, case-insensitive)."""
    keys = {normalize_name(c): c for c in candidates}
    return [keys[k] for k in difflib.get_close_matches(normalize_name(name), list(keys), n=n)]


# --------------------------------------------------------------------------- column attributes
def column_checks(schema: dict, overrides: dict | None = None) -> dict:
    """Unit-check factors per indicator column: ``{column: {"jump": f, "spread": f}}``.

    Defaults from the kind and unit: ``index`` columns unchecked (``None``); shares and units
    containing "per" (per person, per 100 people, yuan per year) are intensive, the rest totals
    (:data:`SPREAD_FACTORS`); ``jump`` is :data:`JUMP_FACTOR`. ``overrides`` maps a column to a
    dict replacing any of the two (``None`` switches a check off).
    """
    out = {}
    for col, (kind, unit, _) in schema.items():
        if kind not in INDICATOR_KINDS:
            continue
        if kind == "index":
            attrs = {"jump": None, "spread": None}
        else:
            scale = "intensive" if kind == "share" or " per " in f" {unit} " else "total"
            attrs = {"jump": JUMP_FACTOR, "spread": SPREAD_FACTORS[scale]}
        attrs.update((overrides or {}).get(col, {}))
        out[col] = attrs
    return out


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
    return pa.DataFrameSchema(cols, unique=["city", "year"], report_duplicates="all")


_CHECK_TEXT = {
    "finite": "is not a finite number ({value})",
    "not_nullable": "is missing (NaN); pass allow_missing=True to accept gaps",
    "greater_than_or_equal_to(0)": "is negative ({value}); a {kind} must be >= 0",
    "in_range(0, 1)": "= {value} is a share and must lie in [0, 1]{hint}",
    f"in_range({YEAR_LIMITS[0]}, {YEAR_LIMITS[1]})":
        f"year {{value:g}} is outside the plausible range {YEAR_LIMITS[0]}-{YEAR_LIMITS[1]}",
}


def cell_issues(frame: pd.DataFrame, schema: dict, columns, lines, allow_missing: bool) -> list:
    """Run :func:`pandera_schema` lazily and translate every failure case into an :class:`Issue`."""
    import pandera.errors as pe

    try:
        pandera_schema(schema, columns, allow_missing).validate(frame, lazy=True)
        return []
    except pe.SchemaErrors as err:
        fc = err.failure_cases
    out, seen_dup = [], set()
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


# --------------------------------------------------------------------------- unit checks
def _slip_text(k: int, big: bool, kind: str) -> str:
    if k == 4:
        return ("x10^4: 10,000 yuan (万元) typed where 100 million yuan (亿元) is expected, or persons "
                "where 10k persons is expected" if big else
                "x10^-4: 100 million yuan (亿元) typed where 10,000 yuan (万元) is expected, or 10k persons "
                "where persons is expected")
    if k == 2 and kind == "share":
        return ("x100: a percentage typed where a share belongs (45 or 0.45 for 0.0045)" if big
                else "x1/100: a share among percentages, or a share divided by 100 twice")
    if k == 2:
        return "x100 unit slip (e.g. million yuan vs 100 million yuan, or percent vs share)"
    if k == 3:
        return "x1000 unit slip (thousands vs units)"
    return "x10 unit slip (e.g. 10 million yuan vs 100 million yuan) or a typo"


def suggest_slip(ratio: float, kind: str = "level", tolerance: float = 0.5) -> str:
    """Likely unit slip behind a ratio between two values that should be comparable.

    The slips considered are powers of ten, the common ones first (10^4, 100, 1000, 10); a slip
    10^k is suggested when |log10 ratio| lies within ``tolerance`` decades of k. Same-city
    comparisons use 0.5 (the nearest power); cross-city ones 1.0, because a city's genuine
    distance from the median (up to a decade) multiplies the slip.
    """
    d = abs(float(np.log10(ratio)))
    hits = [k for k in (4, 2, 3, 1) if abs(d - k) <= tolerance]
    if not hits:
        return "no power-of-ten slip: a genuine break, a typo or a changed definition"
    return "; or ".join(_slip_text(k, ratio > 1, kind) for k in hits[:2])


def _accepted(accept, city, year, col) -> bool:
    return (city, year, col) in accept or (city, None, col) in accept


def _jump_issues(d, col, factor, kind, lines, accept) -> list:
    out = []
    for city, g in d.groupby("city", sort=False):
        g = g.sort_values("year")
        x = g[col].to_numpy(float)
        ok = np.isfinite(x) & (x > 0)
        g, x = g[ok], x[ok]
        if len(x) < 2:
            continue
        r = x[1:] / x[:-1]
        for j in np.flatnonzero((r > factor) | (r < 1 / factor)):
            y0, y1 = int(g["year"].iat[j]), int(g["year"].iat[j + 1])
            msg = (f"column {col!r} jumps x{r[j]:.3g} from {x[j]:g} ({y0}) to {x[j + 1]:g} ({y1}) within {city}, "
                   f"beyond the factor {factor:g}; likely {suggest_slip(r[j], kind)}")
            sev = "accepted" if _accepted(accept, city, y1, col) else "error"
            if sev == "error":
                msg += f"; if real, pass accept_breaks=[({city!r}, {y1}, {col!r})]"
            out.append(Issue(sev, "unit jump", msg, column=col, city=city, year=y1, value=x[j + 1],
                             line=lines[g.index[j + 1]]))
    return out


def _spread_issues(d, col, factor, kind, lines, accept) -> list:
    v = d[col].where(np.isfinite(d[col]) & (d[col] > 0))
    med = v.groupby(d["year"]).transform("median")
    n = v.groupby(d["year"]).transform("count")
    r = v / med
    flag = (n >= 5) & ((r > factor) | (r < 1 / factor))
    out = []
    for city, g in d[flag].groupby("city", sort=False):
        years = sorted(int(y) for y in g["year"])
        rr = r[g.index]
        ratio = float(np.exp(np.log(rr).median()))
        acc = all(_accepted(accept, city, y, col) for y in years)
        msg = (f"column {col!r} is x{ratio:.3g} the cross-city median of the same year in {_years_text(years)}, beyond "
               f"the factor {factor:g}; likely {suggest_slip(ratio, kind, tolerance=1.0)}")
        if not acc:
            msg += f"; if real, pass accept_breaks=[({city!r}, None, {col!r})]"
        out.append(Issue("accepted" if acc else "error", "unit outlier", msg, column=col, city=city,
                         year=years[0], value=float(v[g.index[0]]), line=lines[g.index[0]]))
    return out


def _years_text(years) -> str:
    runs, start = [], years[0]
    for a, b in zip(years, years[1:] + [None]):
        if b != a + 1:
            runs.append(str(a) if a == start else f"{start}-{a}")
            start = b
    return ", ".join(runs)


def unit_issues(d: pd.DataFrame, schema: dict, lines, checks: dict, accept=()) -> list:
    """Within-city jumps and cross-city outliers of every checked column (module notes).

    ``d`` has one row per valid city-year (columns ``city``, ``year`` and float indicators),
    its index pointing into ``lines``.
    """
    accept = {(c, None if y is None else int(y), col) for c, y, col in accept}
    out = []
    for col, attrs in checks.items():
        if col not in d.columns:
            continue
        kind = schema[col][0]
        if attrs.get("jump"):
            out += _jump_issues(d, col, float(attrs["jump"]), kind, lines, accept)
        if attrs.get("spread"):
            out += _spread_issues(d, col, float(attrs["spread"]), kind, lines, accept)
    return out


def warn_or_raise(report: ValidationReport, stacklevel: int = 3):
    """Raise :class:`PanelSchemaError` with the full report if it has errors, else warn once."""
    if report.errors:
        raise PanelSchemaError(report.summary(), report)
    if report.warnings:
        msg = report.source + ": " + "; ".join(_fmt(i, report.line_word) for i in report.warnings)
        warnings.warn(msg, UserWarning, stacklevel=stacklevel)


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
                "万元": "10,000 yuan", "10000yuan": "10,000 yuan", "10,000yuan": "10,000 yuan", "元": "yuan",
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
    if said is None:
        return None
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
        out.append(Issue("error", "header", f"missing column(s) {missing}; headers found: {names}"
                         + (f"; {hints}" if hints else "")))
    fatal = any(c in missing for c in ("city", "year")) or ("city" not in final and "code" not in final)
    return out, rename, fatal


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
        city = raw.map(lambda v: look.get(_city_key(v)))
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
        got = df[col].map(lambda v: _city_key(v))
        bad = df.index[want.notna() & (got != want.map(lambda v: _city_key(v)))]
        for i in bad:
            out.append(Issue("error", "id", f"column {col!r} is {df.at[i, col]!r}, registry says {want[i]}",
                             column=col, city=city[i], year=None if pd.isna(year[i]) else int(year[i]),
                             value=df.at[i, col], line=lines[i]))
    return out


def _numbers(df, cols, city, year, lines):
    """Indicator columns as floats; text that is not a number is an error (showing the text)."""
    out, num = [], pd.DataFrame(index=df.index)
    for c in cols:
        raw = df[c]
        text = raw.map(lambda v: v.strip() if isinstance(v, str) else v)
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
            parts.append(f"{city} ({_years_text(miss)})")
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
                   lines=None, checks: dict | None = None, accept_breaks=(), notes=()):
    """Validate a raw city-year table; return ``(clean frame or None, ValidationReport)``.

    Every fault is collected (see the module notes); the clean frame is ``None`` when there
    are errors. ``lines`` gives the original file line of each row (default: row positions,
    reported as "row N"); ``notes`` are reading notes carried into the report.
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
    report.issues += _balance_issues(valid, registry, balanced)
    shares = [c for c in present if schema[c][0] == "share"]  # > 1 is reported once, by the range rule
    report.issues += unit_issues(valid.assign(**{c: valid[c].where(valid[c] <= 1) for c in shares}),
                                 schema, lines, column_checks(schema, checks), accept_breaks)
    if report.errors:
        return None, report
    out = df.assign(city=city, year=year.astype(int), **{c: num[c] for c in present})
    out["code"] = out["city"].map(registry["code"]).astype(int)
    out["region"] = out["city"].map(registry["region"].astype(str))
    cols = ["city", "code", "region", "year", *present,
            *[c for c in df.columns if c not in schema]]
    return out[cols].sort_values(["code", "year"]).reset_index(drop=True), report
