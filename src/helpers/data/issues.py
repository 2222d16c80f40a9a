"""Findings of a validation: :class:`Issue` records, the :class:`ValidationReport` and the error.

Every finding carries what a user needs to find it in their file: the line (1-based, title and
header rows counted), city, year, column and value. Reports list every finding at once.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field

from .readers import normalize_name

#: How many issues of one check are listed in an error message before "and N more".
MAX_LISTED = 12


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


def years_text(years) -> str:
    runs, start = [], years[0]
    for a, b in zip(years, years[1:] + [None]):
        if b != a + 1:
            runs.append(str(a) if a == start else f"{start}-{a}")
            start = b
    return ", ".join(runs)


def warn_or_raise(report: ValidationReport, stacklevel: int = 3):
    """Raise :class:`PanelSchemaError` with the full report if it has errors, else warn once."""
    if report.errors:
        raise PanelSchemaError(report.summary(), report)
    if report.warnings:
        msg = report.source + ": " + "; ".join(_fmt(i, report.line_word) for i in report.warnings)
        warnings.warn(msg, UserWarning, stacklevel=stacklevel)
