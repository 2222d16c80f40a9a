"""Panel loading and validation, the documented schemas, bundled files and real-data adapters.

The city registry, distances, boundaries and spatial weights live in :mod:`helpers.data.cities` and are
re-exported here, so ``helpers.data.city_table()`` and the rest keep working. Everything here is
either a typed-in published fact (with its source in :data:`SOURCES`) or reads a file the user
names. Nothing in this module simulates anything.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import guards as _guards
from . import readers as _readers
from . import schema as _schema
from .cities import (  # noqa: F401  (re-exported: the registry is part of helpers.data's API)
    EARTH_RADIUS_KM,
    PUBLISHED_FACTS,
    REGION_NAMES,
    REGIONS,
    SOURCES,
    boundaries,
    city_table,
    contiguity_weights,
    distance_matrix,
    great_circle_km,
    inverse_distance_weights,
)

# --------------------------------------------------------------------------- panel schema
# Validation and reading live in helpers.data.schema and helpers.data.readers; re-exported here.
PanelSchemaError = _schema.PanelSchemaError

#: The documented schema of a city-year panel: column -> (kind, unit, description).
#: kinds: key (never missing), id, count (>= 0), level (>= 0), share ([0, 1]), index (any real).
PANEL_SCHEMA = {
    "city": ("key", "", "English city name as in city_table() (or give `code`)"),
    "year": ("key", "", "calendar year (integer)"),
    "code": ("id", "", "6-digit administrative code; checked against the registry when present"),
    "region": ("id", "", "PRD, East, West or North; filled from the registry when absent"),
    "population": ("level", "10k persons", "resident population"),
    "employment": ("level", "10k persons", "employed persons in urban units"),
    "emp_manufacturing": ("level", "10k persons", "employment in manufacturing"),
    "emp_producer_services": ("level", "10k persons", "employment in producer services"),
    "avg_wage": ("level", "yuan per year", "average wage of employed persons in urban units"),
    "rd_personnel": ("count", "persons", "R&D personnel"),
    "loans": ("level", "100 million yuan", "year-end loan balance of financial institutions"),
    "patents_granted": ("count", "count", "patents granted"),
    "rd_expenditure": ("level", "100 million yuan", "R&D expenditure"),
    "gdp": ("level", "100 million yuan", "gross domestic product"),
    "va_primary": ("level", "100 million yuan", "value added of the primary industry"),
    "va_secondary": ("level", "100 million yuan", "value added of the secondary industry"),
    "va_tertiary": ("level", "100 million yuan", "value added of the tertiary industry"),
    "industrial_value_added": ("level", "100 million yuan", "industrial value added"),
    "exports": ("level", "100 million yuan", "exports of goods"),
    "broadband_per100": ("level", "subscribers per 100 people", "fixed broadband subscribers per 100 residents"),
    "mobile_per100": ("level", "subscribers per 100 people", "mobile telephone subscribers per 100 residents"),
    "telecom_per_capita": ("level", "yuan per person", "telecommunication business volume per resident"),
    "ict_emp_share": ("share", "share (0-1)", "employment share of information transmission, software and IT services"),
    "digital_finance_index": ("index", "index", "digital financial inclusion index (e.g. PKU-DFIIC)"),
    "post_offices_1984": ("level", "per 10k people", "post and telecom offices in 1984 (instrument part)"),
    "national_internet_share": ("share", "share (0-1)", "national internet penetration (instrument part)"),
}


def _checkout_root() -> Path | None:
    """The repository this package runs from (a folder with ``pyproject.toml`` above the
    package's ``src``), or None when it is installed from a wheel."""
    for d in Path(__file__).resolve().parents:
        if (d / "pyproject.toml").is_file() and (d / "src" / "helpers").is_dir():
            return d
    return None


def bundled_file(name: str) -> Path:
    """Path of a data file bundled with the package (the repository's ``data/`` folder).

    The files of ``data/`` are installed as the package resource ``helpers._bundled`` (see
    ``pyproject.toml``), so this works from a checkout, an editable install and a wheel alike.

    >>> bundled_file("guangdong_twin_panel.csv").name
    'guangdong_twin_panel.csv'
    """
    from importlib.resources import as_file, files

    # A checkout reads its own data/ first: an editable install made from another checkout
    # (a git worktree, a second clone) maps helpers._bundled to that other checkout's data/.
    root = _checkout_root()
    if root is not None and (root / "data" / name).is_file():
        return root / "data" / name
    with as_file(files("helpers._bundled") / name) as path:  # a real file for installed packages
        path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no bundled data file {name!r} (looked in {path.parent})")
    return path


#: Where the bundled simulated twin lives (``data/guangdong_twin_panel.csv``).
DEFAULT_PANEL = bundled_file("guangdong_twin_panel.csv")


#: The schema of the official city accounts (``data/guangdong_city_accounts.csv``, built by
#: ``tools/build_accounts.py``), in the format of :data:`PANEL_SCHEMA`.
ACCOUNTS_SCHEMA = {
    "city": ("key", "", "English city name as in city_table() (or give `code`)"),
    "year": ("key", "", "calendar year (integer)"),
    "code": ("id", "", "6-digit administrative code; checked against the registry when present"),
    "region": ("id", "", "PRD, East, West or North; filled from the registry when absent"),
    "gdp": ("level", "100 million yuan", "gross domestic product, current prices (latest revision "
            "in the source; see the data appendix on vintages)"),
    "va_primary": ("level", "100 million yuan", "value added of the primary industry"),
    "va_secondary": ("level", "100 million yuan", "value added of the secondary industry "
                     "(industry AND construction)"),
    "va_tertiary": ("level", "100 million yuan", "value added of the tertiary industry"),
    "loans": ("level", "100 million yuan", "year-end loan balance of financial institutions (2003-)"),
    "deposits": ("level", "100 million yuan", "year-end deposit balance of financial institutions (2003-)"),
    "fdi_usd_million": ("level", "million US dollars", "foreign direct investment actually used "
                        "(gaps from 2018)"),
}
#: Accounts columns the source fills for every city-year (the others have documented gaps).
ACCOUNTS_COMPLETE = ("gdp", "va_primary", "va_secondary", "va_tertiary")

#: The shipped official city accounts (real data, see data/README.md).
DEFAULT_ACCOUNTS = bundled_file("guangdong_city_accounts.csv")


def default_realdata_dir() -> Path:
    """Folder of the real inputs used by integration tests and examples.

    ``$HELPERS_REALDATA`` if set; else, running from a checkout, ``../shared/realdata`` relative
    to the repository root; installed from a wheel (no repository), ``../shared/realdata``
    relative to the current working directory. The folder may be absent; callers skip cleanly
    when it is.
    """
    import os

    env = os.environ.get("HELPERS_REALDATA")
    if env:
        return Path(env)
    root = _checkout_root()
    return (root if root is not None else Path.cwd()).parent / "shared" / "realdata"


def schema_table(schema=None) -> pd.DataFrame:
    """The panel schema (or ``schema``, e.g. :data:`ACCOUNTS_SCHEMA`) as a table for the book."""
    rules = {"key": "required, never missing", "id": "optional, must match the registry",
             "count": "finite, >= 0", "level": "finite, >= 0", "share": "finite, in [0, 1]",
             "index": "finite (any real number)"}
    return pd.DataFrame(
        [(c, k, u, d, rules[k]) for c, (k, u, d) in (PANEL_SCHEMA if schema is None else schema).items()],
        columns=["column", "kind", "unit", "description", "rule"],
    )


def validate_panel(df: pd.DataFrame, required=None, allow_missing: bool = False,
                   balanced: str = "warn", source: str = "panel", *, schema=None, checks=None,
                   accept_breaks=(), lines=None, unit_checks: bool = True) -> pd.DataFrame:
    """Check a city-year panel against a schema and return a clean copy.

    Every fault is collected and reported together (city, year, column, value and line);
    the rules, year limits and unit-check factors are documented in :mod:`helpers.data.schema`.

    Parameters
    ----------
    df : DataFrame
        Long panel with ``city`` (English or Chinese name, any case, or a 6-digit code) or
        ``code``, and ``year``.
    required : sequence of str, optional
        Indicator columns that must be present (default: every indicator of the schema).
    allow_missing : bool
        If False (default) a missing value in any indicator is an error; keys are never missing.
    balanced : {"warn", "error", "ignore"}
        What an unbalanced panel (some city lacks some year) does. Default: a warning.
    source : str
        Name used in messages (the file path).
    schema : dict, optional
        ``column -> (kind, unit, description)``; default :data:`PANEL_SCHEMA`.
    checks : dict, optional
        Per-column unit-check factors overriding the defaults
        (:func:`helpers.data.schema.column_checks`), e.g. ``{"patents_granted": {"jump": 20}}``.
    accept_breaks : iterable of (city, year, column)
        Real breaks to accept (e.g. ``[("Dongguan", 2005, "gdp")]``; ``year=None`` accepts the
        city's whole column); they are reported as accepted, not as errors.
    lines : sequence of int, optional
        Original file line of each row, for messages (default: row positions).
    unit_checks : bool
        Run the unit and outlier checks (:mod:`helpers.data.units`); False only for generated data.

    Returns
    -------
    DataFrame
        A new frame sorted by code and year, ``city`` in English, ``year`` as int, ``code`` and
        ``region`` from the registry, indicator columns as float. The input is not modified.
        ``attrs["accepted_breaks"]`` lists the accepted breaks.

    Raises
    ------
    PanelSchemaError
        Listing every fault; ``err.report`` is the :class:`helpers.data.schema.ValidationReport`.
    """
    clean, report = _schema.validate_table(
        df, PANEL_SCHEMA if schema is None else schema, city_table(), required=required,
        allow_missing=allow_missing, balanced=balanced, source=source, lines=lines, checks=checks,
        accept_breaks=accept_breaks, unit_checks=unit_checks)
    _schema.warn_or_raise(report)
    clean.attrs["accepted_breaks"] = [str(i) for i in report.accepted]
    return clean


def _read_and_validate(path, schema, *, sheet, skiprows, header, **kw):
    """Read ``path`` with :func:`helpers.data.readers.read_table` and validate it; (frame, report)."""
    table = _readers.read_table(path, sheet=sheet, skiprows=skiprows, header=header,
                                expected=_schema.expected_headers(schema))
    return _schema.validate_table(table.frame, schema, city_table(), source=str(path),
                                  lines=table.lines, notes=table.notes, **kw)


def load_table(path, schema, *, sheet=None, skiprows=None, header=None, required=None,
               allow_missing: bool = False, balanced: str = "warn", checks=None, accept_breaks=()):
    """Read and validate a user's city-year file against ``schema`` (the engine of the loaders).

    Any exception other than a plain file-system error (FileNotFoundError, IsADirectoryError,
    PermissionError, which name the path) is raised as :class:`PanelSchemaError` naming the file.
    Parameters as in :func:`load_panel`. Returns the validated frame with ``attrs["read_notes"]``
    (encoding, delimiter, header line, skipped rows) and ``attrs["accepted_breaks"]``.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():  # a dangling link is named as such by the reader
        raise FileNotFoundError(f"panel file not found: {path}")
    try:
        clean, report = _read_and_validate(
            path, schema, sheet=sheet, skiprows=skiprows, header=header, required=required,
            allow_missing=allow_missing, balanced=balanced, checks=checks, accept_breaks=accept_breaks)
        _schema.warn_or_raise(report, stacklevel=4)
    except (FileNotFoundError, IsADirectoryError, PermissionError, PanelSchemaError):
        raise
    except (_readers.TableReadError, _guards.InputFileError) as err:
        raise PanelSchemaError(str(err)) from err
    except (ValueError, OSError) as err:  # a file pandas cannot parse still names the file
        raise PanelSchemaError(f"{path}: cannot load ({type(err).__name__}: {err})") from err
    clean.attrs["read_notes"] = [i.message for i in report.notes]
    clean.attrs["accepted_breaks"] = [str(i) for i in report.accepted]
    return clean


def load_panel(path=None, required=None, allow_missing: bool = False, balanced: str = "warn",
               sheet=None, *, skiprows=None, header=None, accept_breaks=(), checks=None,
               sheet_name=None) -> pd.DataFrame:
    """Load the city-year panel: the bundled simulated twin, or a user's CSV/XLSX file.

    Parameters
    ----------
    path : str or Path, optional
        ``None`` loads the bundled simulated twin (``data/guangdong_twin_panel.csv``, marked
        ``attrs["simulated"] = True``). A path reads a user's delimited text (CSV, TSV, ...;
        UTF-8, GBK/GB18030 or UTF-16, delimiter sniffed) or ``.xlsx`` file in the documented schema
        (:func:`schema_table`); the file is only read, never modified.
    required, allow_missing, balanced, accept_breaks, checks
        Passed to :func:`validate_panel`. Chapters pass ``balanced="error"``: every estimator
        there needs all 21 cities in every year.
    sheet : int or str, optional
        Excel sheet; default: the sheet whose header matches the schema best.
    skiprows, header : int, optional
        Rows to skip at the top, and the header's position after them (as in pandas); default:
        the header row is detected (title rows above it and a units row below it are skipped).
    sheet_name : int or str, optional
        Former name of ``sheet``.

    Returns
    -------
    DataFrame
        Validated long panel sorted by city code and year; ``attrs`` hold ``simulated``,
        ``source``, ``read_notes`` and ``accepted_breaks``.

    Raises
    ------
    PanelSchemaError
        Every fault of the file at once, naming the file (see :func:`check_panel` for a report
        without raising). Plain file-system errors propagate and name the path.
    """
    simulated = path is None
    path = Path(DEFAULT_PANEL if path is None else path)
    df = load_table(path, PANEL_SCHEMA, sheet=sheet if sheet is not None else sheet_name,
                    skiprows=skiprows, header=header, required=required, allow_missing=allow_missing,
                    balanced=balanced, checks=checks, accept_breaks=accept_breaks)
    df.attrs["simulated"] = simulated
    df.attrs["source"] = ("SIMULATED twin of Guangdong (helpers.simulate)" if simulated else str(path))
    return df


def load_accounts(path=None, balanced: str = "error", sheet_name=None) -> pd.DataFrame:
    """Load the official city accounts of the 21 cities (real data), or a user's file of that schema.

    Parameters
    ----------
    path : str or Path, optional
        ``None`` reads the shipped ``data/guangdong_city_accounts.csv`` (504 city-years,
        2000-2023, built by ``tools/build_accounts.py`` from the statistics bureaus' figures);
        a path reads a user's ``.csv``/``.xlsx`` file with the columns of :data:`ACCOUNTS_SCHEMA`.
    balanced : {"error", "warn", "ignore"}
        What an unbalanced panel does (default: an error).
    sheet_name : int or str, optional
        Sheet of an Excel file (default: the sheet whose header matches the schema best).

    Returns
    -------
    DataFrame
        Validated long panel (``city, code, region, year`` and the money columns, in 100 million
        yuan; FDI in million US dollars), sorted by code and year. ``gdp`` and the three sector
        columns are never missing; ``loans``/``deposits`` (from 2003) and ``fdi_usd_million``
        (gaps from 2018) may be. ``attrs["simulated"] = False``.

    Raises
    ------
    PanelSchemaError
        As :func:`validate_panel`, naming the city, year and column at fault.
    """
    path = Path(DEFAULT_ACCOUNTS if path is None else path)
    df = load_table(path, ACCOUNTS_SCHEMA, sheet=sheet_name, required=list(ACCOUNTS_COMPLETE),
                    allow_missing=True, balanced=balanced)
    gaps = [f"city {df.at[i, 'city']}, year {df.at[i, 'year']}: column {c!r} is missing"
            for c in ACCOUNTS_COMPLETE for i in df.index[df[c].isna()]]
    if gaps:
        raise PanelSchemaError(f"{path}: " + "; ".join(gaps) + " (GDP and the three sectors must be complete)")
    df.attrs["simulated"] = False
    df.attrs["source"] = ("official city accounts (statistics bureaus; compiled by biechouwo-coder/G-P "
                          f"620eba9): {Path(path).name}")   # the file's name, never a machine path
    return df


def check_panel(path, *, show: bool = True, schema=None, sheet=None, skiprows=None, header=None,
                required=None, allow_missing: bool = False, balanced: str = "error", checks=None,
                accept_breaks=()):
    """Full report of a user's panel file: every error and warning, nothing else run.

    Same reading and rules as :func:`load_panel` (``balanced`` defaults to "error", as the
    chapters load), but nothing is raised for faults of the data: they are all in the report.
    Also ``python -m helpers.data check FILE [--sheet S] [--skiprows N] [--header N]``.

    Returns
    -------
    helpers.data.schema.ValidationReport
        ``report.ok`` is True when the file would load; ``print(report)`` shows it all.
    """
    schema = PANEL_SCHEMA if schema is None else schema
    try:
        _, report = _read_and_validate(
            Path(path), schema, sheet=sheet, skiprows=skiprows, header=header, required=required,
            allow_missing=allow_missing, balanced=balanced, checks=checks, accept_breaks=accept_breaks)
    except (FileNotFoundError, IsADirectoryError, PermissionError, _guards.InputFileError):
        raise
    except (ValueError, OSError) as err:  # TableReadError, PanelSchemaError and parse errors
        report = _schema.ValidationReport(str(path), [_schema.Issue("error", "read", str(err))])
    if show:
        print(report.summary(limit=None))
    return report


# --------------------------------------------------------------------------- real-data adapters
def read_pku_dfiic(path, years=None) -> pd.DataFrame:
    """Read the Peking University Digital Financial Inclusion Index (city level) for the 21 cities.

    Parameters
    ----------
    path : str or Path
        ``PKU_DFIIC_city.dta`` (Stata) or a CSV with the same columns.
    years : sequence of int, optional
        Keep these years only.

    Returns
    -------
    DataFrame
        Columns ``city``, ``code``, ``year``, ``index_aggregate``, ``coverage_breadth``,
        ``usage_depth``, ``digitization_level``; the 4-digit ``pref_code_year14`` (e.g. 4401)
        is mapped to the registry's 6-digit code (440100).

    References
    ----------
    Guo, F., Wang, J., Wang, F., Kong, T., Zhang, X., Cheng, Z. (2020). Measuring China's digital
    financial inclusion: index compilation and spatial characteristics. China Economic Quarterly
    19(4): 1401-1418.
    """
    path = Path(path)
    raw = pd.read_stata(path) if path.suffix.lower() == ".dta" else pd.read_csv(path)
    need = ["year", "pref_code_year14", "index_aggregate", "coverage_breadth", "usage_depth",
            "digitization_level"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise PanelSchemaError(f"{path}: missing column(s) {missing}")
    reg = city_table()
    code6 = pd.to_numeric(raw["pref_code_year14"], errors="coerce") * 100
    out = raw.loc[code6.isin(reg["code"]), need].copy()
    out["code"] = (pd.to_numeric(out.pop("pref_code_year14")) * 100).astype(int)
    out["city"] = out["code"].map(pd.Series(reg.index, index=reg["code"]))
    out["year"] = out["year"].astype(int)
    if years is not None:
        out = out[out["year"].isin(list(years))]
    absent = sorted(set(reg.index) - set(out["city"]))
    if absent:
        raise PanelSchemaError(f"{path}: no rows for {', '.join(absent)}")
    return out[["city", "code", "year", *need[2:]]].sort_values(["code", "year"]).reset_index(drop=True)


def read_census_cities(path) -> pd.DataFrame:
    """Census population of the 21 cities, 2010 and 2020, from the leiii/census city file.

    Returns a DataFrame indexed by city with ``code``, ``pop_2010``, ``pop_2020``,
    ``urban_share_2020`` (urban population / population).
    """
    path = Path(path)
    raw = pd.read_csv(path, encoding="utf-8-sig", usecols=lambda c: c != "coord")
    need = ["city_code", "popu_2010", "popu_2020", "popu_urban_2020"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise PanelSchemaError(f"{path}: missing column(s) {missing}")
    reg = city_table()
    raw["code"] = pd.to_numeric(raw["city_code"], errors="coerce")
    sel = raw[raw["code"].isin(reg["code"])].copy()
    sel["city"] = sel["code"].map(pd.Series(reg.index, index=reg["code"]))
    absent = sorted(set(reg.index) - set(sel["city"]))
    if absent:
        raise PanelSchemaError(f"{path}: no rows for {', '.join(absent)}")
    out = sel.set_index("city").loc[reg.index]
    return pd.DataFrame({
        "code": out["code"].astype(int),
        "pop_2010": out["popu_2010"].astype(int),
        "pop_2020": out["popu_2020"].astype(int),
        "urban_share_2020": out["popu_urban_2020"] / out["popu_2020"],
    })


def replace_column(panel: pd.DataFrame, other: pd.DataFrame, column: str, source_column: str) -> pd.DataFrame:
    """Return a copy of ``panel`` whose ``column`` is taken from ``other[source_column]``.

    Matched on city and year; every city-year of ``panel`` must be found in ``other``
    (an error names the first one that is not). Used to put a real series (for example the
    PKU digital-finance index) in place of the twin's simulated one.
    """
    key = other.set_index(["city", "year"])[source_column]
    idx = pd.MultiIndex.from_frame(panel[["city", "year"]])
    vals = key.reindex(idx)
    if vals.isna().any():
        i = int(np.flatnonzero(vals.isna().to_numpy())[0])
        raise PanelSchemaError(f"no {source_column!r} for city {panel['city'].iat[i]}, "
                               f"year {panel['year'].iat[i]}")
    out = panel.copy()
    out[column] = vals.to_numpy(dtype=float)
    out.attrs = dict(panel.attrs)
    out.attrs.setdefault("real_columns", [])
    out.attrs["real_columns"] = [*out.attrs["real_columns"], column]
    return out


def main(argv=None) -> int:
    """``python -m helpers.data check FILE [--sheet S] [--skiprows N] [--header N] [--balanced B]``."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m helpers.data", description=main.__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="print the full validation report of a panel file")
    c.add_argument("file")
    c.add_argument("--sheet", default=None)
    c.add_argument("--skiprows", type=int, default=None)
    c.add_argument("--header", type=int, default=None)
    c.add_argument("--balanced", default="error", choices=["error", "warn", "ignore"])
    c.add_argument("--allow-missing", action="store_true")
    a = ap.parse_args(argv)
    sheet = int(a.sheet) if a.sheet is not None and a.sheet.isdigit() else a.sheet
    try:
        report = check_panel(a.file, sheet=sheet, skiprows=a.skiprows, header=a.header,
                             balanced=a.balanced, allow_missing=a.allow_missing)
    except (OSError, _guards.InputFileError) as err:  # one line naming the file, no traceback
        msg = str(err) if str(a.file) in str(err) else f"{a.file}: {err.strerror or err}"
        print(f"check: {msg}", file=sys.stderr)
        return 2
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
