"""The national city-year panel: China's 337 prefecture-level units, 2005-2023 (real data).

``data/china_city_panel.csv`` is built by ``tools/build_china.py`` (``make china``) from official
sources (city accounts, the China City Statistical Yearbook, the Broadband China lists; see
data/README.md, "china_city_panel.csv"). :func:`load_china` reads it, or a user's file of the same
columns, through the validator of every other loader (:func:`helpers.data.schema.validate_table`):
every fault at once, each naming the file line, city, year and column.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .._results import as_list
from . import national_rules as nr
from .china_schema import CHINA_SCHEMA, CHINA_TEXT_COLUMNS  # noqa: F401  (part of the API)
from .loaders import PanelSchemaError, bundled_file
from .national_rules import national_slip_issues
from .plausibility import census_issues, parts_issues, positive_issues
from .schema import Issue, suggest_slip, validate_table, warn_or_raise

CHINA_COMPLETE = ("gdp",)
#: Within-city jump beyond which a value is a unit slip (checked by :func:`unit_jumps`). The
#: yearbook's and the data shops' unit flips are x10^4 (户 vs 万户, 人 vs 万人, 万元 vs 亿元)
#: or x100;
#: real series move by up to x26 in a year (the 2013 employment coverage break: Dongguan
#: manufacturing), and the source's x10 typos that persist for more than one year are left in
#: (data/README.md), so the factor is 100.
JUMP_FACTOR = 100.0
#: Kinds of :data:`CHINA_SCHEMA` whose columns are checked for jumps (flags are shares; cohorts
#: and editions are years, declared as index).
_JUMP_KINDS = ("level", "count")

DEFAULT_CHINA = "china_city_panel.csv"
#: Persistent jumps of the shipped file beyond x10, written by the builder after its slip rule,
#: with their ratio; those beyond :data:`JUMP_FACTOR` are always accepted (and reported as such),
#: so a copy of the file loads too; any other jump beyond :data:`JUMP_FACTOR` is an error.
SHIPPED_BREAKS = "china_city_panel_breaks.csv"


def data_file(name: str) -> Path:
    """Path of a shipped data file: the ``data/`` folder of the checkout this module runs from
    (so a git worktree reads its own files, not those of the editable install's checkout), else
    :func:`helpers.data.bundled_file` (an installed wheel).

    >>> data_file("china_city_panel.csv").name
    'china_city_panel.csv'
    """
    for d in Path(__file__).resolve().parents:
        if (d / "pyproject.toml").is_file() and (d / "data" / name).is_file():
            return d / "data" / name
    return bundled_file(name)


@lru_cache(maxsize=1)
def _registry() -> pd.DataFrame:
    pre = pd.read_csv(data_file("china_prefectures.csv"), dtype={"name_zh": str})
    names = pd.read_csv(data_file("china_city_names.csv"), dtype={"name_zh": str})
    return pre.merge(names[["code", "name_en", "province_en"]], on="code", how="left")


def _census() -> pd.DataFrame:
    """Census resident population (persons) of the 337 units, 2010 and 2020, indexed by city."""
    reg = _registry()
    return reg.set_index("name_en")[["pop_2010", "pop_2020"]]


def china_registry() -> pd.DataFrame:
    """The 337 prefecture-level units (2020 division) as a registry for the validator.

    Returns
    -------
    DataFrame
        Indexed by ``city`` (English/pinyin name; ``Suzhou (Jiangsu)`` and ``Suzhou (Anhui)``
        where two units share a name), with ``code``, ``name_zh``, ``province``, ``province_zh``
        and ``region`` (Guangdong's four regions, ``Other`` elsewhere). A new copy each call.

    Examples
    --------
    >>> reg = china_registry()
    >>> len(reg), int(reg.loc["Guangzhou", "code"]), reg.loc["Suzhou (Anhui)", "name_zh"]
    (337, 440100, '宿州市')
    """
    from helpers.data import city_table

    reg = _registry()
    gd = city_table()
    region = reg["code"].map(gd.set_index("code")["region"].astype(str)).fillna("Other")
    out = pd.DataFrame(
        {
            "code": reg["code"].to_numpy(),
            "name_zh": reg["name_zh"].to_numpy(),
            "province": reg["province_en"].to_numpy(),
            "province_zh": reg["province_zh"].to_numpy(),
            "region": region.to_numpy(),
        },
        index=pd.Index(reg["name_en"].to_numpy(), name="city"),
    )
    return out


def load_china(
    path=None, years=None, provinces=None, *, balanced: str = "error", accept_breaks=()
) -> pd.DataFrame:
    """Load the national city-year panel (real data), or a user's file of the same columns.

    Parameters
    ----------
    path : str or Path, optional
        ``None`` reads the shipped ``data/china_city_panel.csv`` (337 units x 2005-2023 = 6,403
        rows); a path reads a user's CSV with the columns of :data:`CHINA_SCHEMA` (any subset of
        the indicators; ``city`` or ``code`` and ``year`` required). The file is only read.
    years : iterable of int, optional
        Keep these years, e.g. ``range(2011, 2024)`` (after validation of the whole file).
    provinces : iterable of str, optional
        Keep these provinces, by English (``"Guangdong"``) or Chinese (``"广东省"``) name.
    balanced : {"error", "warn", "ignore"}
        What a missing city-year of the 337 units does (default: an error).
    accept_breaks : iterable of (city, year, column)
        Real breaks the unit checks should accept (see :func:`helpers.data.validate_panel`).

    Returns
    -------
    DataFrame
        Sorted by code and year: ``city, code, region, year``, the indicator columns (float;
        missing where a source has no value), and the text columns of
        :data:`CHINA_TEXT_COLUMNS`. ``attrs["simulated"] = False``, ``attrs["source"]``.

    Raises
    ------
    PanelSchemaError
        Every fault of the file at once (unknown or garbled city name, duplicated city-year,
        non-numeric or negative value, unit slip), each naming line, city, year and column.
    """
    shipped = path is None
    path = Path(data_file(DEFAULT_CHINA) if shipped else path)
    if not path.is_file():
        raise FileNotFoundError(f"panel file not found: {path}")
    if shipped and balanced == "error" and not accept_breaks:  # the chapters' call: validated once
        clean, accepted = _validated_shipped(str(path), path.stat().st_mtime_ns)
        clean = clean.copy()
    else:
        clean, accepted = _validated(path, balanced, tuple(accept_breaks))
    clean = _select(clean, years, provinces, path)
    clean.attrs["accepted_breaks"] = list(accepted)
    clean.attrs["simulated"] = False
    clean.attrs["source"] = (
        "official city statistics (city accounts, China City Statistical Yearbook, "
        f"Broadband China lists; see data/README.md): {path.name}"
    )
    return clean


@lru_cache(maxsize=2)
def _validated_shipped(path: str, mtime_ns: int):
    """The shipped file validated once per process (keyed by its modification time)."""
    return _validated(Path(path), "error", ())


def _validated(path: Path, balanced: str, accept_breaks: tuple):
    """Read and validate ``path``; (clean frame, accepted breaks as text) or PanelSchemaError."""
    known = pd.read_csv(data_file(SHIPPED_BREAKS), dtype={"city": str, "column": str})
    known = known[(known["ratio"] > JUMP_FACTOR) | (known["ratio"] < 1 / JUMP_FACTOR)]
    accept = [*accept_breaks, *zip(known["city"], known["year"].astype(int), known["column"])]
    raw = _read(path)
    lines = list(range(2, len(raw) + 2))  # file lines: the header is line 1
    clean, report = validate_table(
        raw,
        CHINA_SCHEMA,
        china_registry(),
        required=list(CHINA_COMPLETE),
        allow_missing=True,
        balanced=balanced,
        source=str(path),
        lines=lines,
        unit_checks=False,
    )
    # unit_checks=False: helpers.data.units loops city by city (minutes for 337 cities) and its
    # cross-city factors were set on Guangdong's 21 cities; the national rules are vectorised here
    if clean is not None:
        report.issues += unit_jumps(clean, accept_breaks=accept) + _name_issues(clean)
        # whole-city slips (no jump to see) against the province's cities: helpers.data.national_rules
        province = clean["city"].map(china_registry()["province"])
        report.issues += national_slip_issues(clean, province, accept=accept)
        # zeros in logged columns, parts above wholes, population against the census
        report.issues += national_plausibility_issues(clean, _census(), accept=accept)
    warn_or_raise(report)
    return clean, tuple(str(i) for i in report.accepted)


def national_plausibility_issues(df: pd.DataFrame, census: pd.DataFrame | None, accept=()) -> list:
    r"""The Guangdong loader's positivity, parts-versus-wholes and census rules
    (:mod:`helpers.data.plausibility`) on the national panel, vectorised (each rule selects the
    offending rows at once and loops over offending cities only: 0.035 s for 6,403 rows).

    - :data:`~helpers.data.national_rules.NATIONAL_LOGGED` strictly positive;
    - :data:`~helpers.data.national_rules.NATIONAL_PARTS`: sector value added :math:`\le` GDP,
      each of the 19 industries and the 18 non-agricultural ones :math:`\le` employment,
      employment :math:`\le` population,
      R&D personnel (persons) :math:`\le` population (10k persons) :math:`\times 10^4`;
    - resident population within :data:`helpers.data.plausibility.CENSUS_TOLERANCE` (1.5) either
      way of the nearer census (2010 or 2020, resident persons, the registry's
      ``china_prefectures.csv``), years 2005-2025.

    Measured on the shipped panel: no zero or negative logged value, no part above its whole
    (largest: ``employment_nonagri`` = ``employment``, secondary value added 0.91 x GDP), and
    35 population cells of 8 cities beyond the census tolerance (0.45-1.53 x), all accepted by
    name (:data:`~helpers.data.national_rules.SHIPPED_CENSUS_ACCEPTED`: boundary changes,
    registered-population years).

    ``census``: indexed by city with ``pop_2010`` and ``pop_2020`` (persons); ``None`` skips
    the census rule. ``accept``: ``(city, year or None, column)`` entries.
    """
    accept = {(c, None if y is None else int(y), k) for c, y, k in (*accept, *nr.shipped_census_accepted())}
    out = positive_issues(df, accept=accept, columns=nr.NATIONAL_LOGGED)
    out += parts_issues(df, accept=accept, parts=nr.NATIONAL_PARTS)
    if census is not None:
        why = {}
        for c, _, _, reason in nr.SHIPPED_CENSUS_ACCEPTED:
            why.setdefault(c, reason)
        for i in census_issues(df, census, accept=accept):
            if i.severity == "accepted" and i.city in why:  # the shipped acceptance says why
                i = dataclasses.replace(i, message=f"{i.message}; accepted: {why[i.city]}")
            out.append(i)
    return out


def _read(path: Path) -> pd.DataFrame:
    """The file's cells: indicator columns parsed as numbers by the C reader when they all are
    (fast); otherwise every column as text, so the validator names each cell that is no number."""
    kw = {"keep_default_na": False, "na_values": [""], "encoding": "utf-8-sig"}
    header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    numeric = {
        c: "float64"
        for c in header
        if CHINA_SCHEMA.get(c, ("key",))[0] in ("count", "level", "share", "index")
    }
    try:
        return pd.read_csv(path, dtype={c: numeric.get(c, str) for c in header}, **kw)
    except (ValueError, TypeError):  # text in a numeric column: read as text, let the validator say
        return pd.read_csv(path, dtype=str, **kw)


def _name_issues(df: pd.DataFrame) -> list:
    """``name_zh``, ``province`` and ``province_zh``, where present, must agree with the registry
    (an OCR-garbled Chinese name next to a correct code is named, not silently kept)."""
    reg = china_registry()
    out = []
    for col in ("name_zh", "province", "province_zh"):
        if col not in df.columns:
            continue
        want = df["city"].map(reg[col])
        for i in df.index[df[col].notna() & (df[col] != want)]:
            out.append(
                Issue(
                    "error",
                    "id",
                    f"column {col!r} is {df.at[i, col]!r}, registry says {want[i]!r}",
                    column=col,
                    city=df.at[i, "city"],
                    year=int(df.at[i, "year"]),
                    value=df.at[i, col],
                )
            )
    return out


def unit_jumps(df: pd.DataFrame, factor: float = JUMP_FACTOR, accept_breaks=()) -> list:
    """Within-city jumps beyond ``factor`` between consecutive observed positive values.

    For each level or count column of :data:`CHINA_SCHEMA`, the ratio
    :math:`r_{it} = x_{it} / x_{i,t'}` of a city's value to its previous observed value
    (:math:`t' < t`, missing years skipped) is flagged when :math:`r > f` or :math:`r < 1/f`;
    the message names city, year and column and the likely unit slip
    (:func:`helpers.data.schema.suggest_slip`). ``accept_breaks`` entries ``(city, year, column)``
    (``year=None``: the whole city-column) are reported as accepted instead.

    Returns
    -------
    list of helpers.data.schema.Issue
    """
    df = df.sort_values(["code", "year"]).reset_index(drop=True)
    cols = [c for c, (k, _, _) in CHINA_SCHEMA.items() if k in _JUMP_KINDS and c in df.columns]
    x = df[cols].where(df[cols] > 0)
    # previous observed value: carry each city's values forward, then look one row back
    code = df["code"].to_numpy()
    prev = x.groupby(code).ffill().groupby(code).shift(1)
    r = x / prev
    hits = ((r > factor) | (r < 1 / factor)).to_numpy().nonzero()
    accept = {(c, y, col) for c, y, col in accept_breaks}
    out = []
    for i, j in sorted(
        zip(*hits, strict=True), key=lambda ij: (ij[1], ij[0])
    ):  # column, code, year
        col, c, y = cols[j], df.at[i, "city"], int(df.at[i, "year"])
        ratio, before, value = r.iat[i, j], prev.iat[i, j], x.iat[i, j]
        sev = "accepted" if (c, y, col) in accept or (c, None, col) in accept else "error"
        out.append(
            Issue(
                sev,
                "unit",
                f"column {col!r} jumps x{ratio:.3g} from {before:g} to {value:g} "
                f"within {c}, beyond the factor {factor:g}; likely "
                f"{suggest_slip(ratio, CHINA_SCHEMA[col][0])}; if real, pass "
                f"accept_breaks=[({c!r}, {y}, {col!r})]",
                column=col,
                city=c,
                year=y,
                value=value,
            )
        )
    return out


def _select(df: pd.DataFrame, years, provinces, path) -> pd.DataFrame:
    """Rows of the given years and provinces; an unknown province or year is an error."""
    if years is not None:
        years = [int(y) for y in years]
        missing = sorted(set(years) - set(df["year"]))
        if missing:
            raise PanelSchemaError(
                f"{path}: year(s) {missing} are not in the panel "
                f"({df['year'].min()}-{df['year'].max()})"
            )
        df = df[df["year"].isin(years)]
    if provinces is not None:
        reg = china_registry()
        known = set(reg["province"]) | set(reg["province_zh"])
        wanted = as_list(provinces, "provinces")
        bad = [p for p in wanted if p not in known]
        if bad:
            raise PanelSchemaError(f"unknown province(s) {bad}; use e.g. 'Guangdong' or '广东省'")
        prov = df["city"].map(reg["province"])
        prov_zh = df["city"].map(reg["province_zh"])
        df = df[prov.isin(wanted) | prov_zh.isin(wanted)]
    return df.reset_index(drop=True)


#: Columns of the coverage table of the data appendix.
COVERAGE_COLUMNS = (
    "gdp",
    "loans",
    "population",
    "fdi_usd_million",
    "internet_users_10k_hh",
    "mobile_users_10k_hh",
    "telecom_revenue_10k_yuan",
    "patents_granted",
    "emp_manufacturing",
    "employment_nonagri",
)


def coverage(df: pd.DataFrame, columns=COVERAGE_COLUMNS) -> pd.DataFrame:
    """Cities with a value, by year (rows) and column: the panel's gaps at a glance."""
    return df.groupby("year")[list(columns)].count()


def cleaning_summary() -> pd.DataFrame:
    """Per column, the cells the build blanked as slips and the level breaks it kept (beyond x10
    and beyond the loader's x100), from the shipped lists ``data/china_city_panel_blanked.csv``
    and ``data/china_city_panel_breaks.csv``."""
    blanked = pd.read_csv(data_file("china_city_panel_blanked.csv"))
    breaks = pd.read_csv(data_file(SHIPPED_BREAKS))
    big = breaks[(breaks["ratio"] > JUMP_FACTOR) | (breaks["ratio"] < 1 / JUMP_FACTOR)]
    out = pd.DataFrame(
        {
            "slips blanked": blanked["column"].value_counts(),
            "breaks kept (x10+)": breaks["column"].value_counts(),
            "of which x100+ (accepted)": big["column"].value_counts(),
        }
    )
    out = out.fillna(0).astype(int)
    order = [c for c in CHINA_SCHEMA if c in out.index]
    return out.loc[order]
