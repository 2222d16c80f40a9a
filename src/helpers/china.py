"""The national city-year panel: China's 337 prefecture-level units, 2005-2023 (real data).

``data/china_city_panel.csv`` is built by ``tools/build_china.py`` (``make china``) from official
sources (city accounts, the China City Statistical Yearbook, the Broadband China lists; see
data/README.md, "china_city_panel.csv"). :func:`load_china` reads it, or a user's file of the same
columns, through the validator of every other loader (:func:`helpers.schema.validate_table`):
every fault at once, each naming the file line, city, year and column.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from helpers.data import bundled_file
from helpers.schema import Issue, PanelSchemaError, suggest_slip, validate_table, warn_or_raise

_YB = "China City Statistical Yearbook"
_EMP = "employment in urban units, 10k persons: "

#: Schema of the national panel, in the format of ``helpers.data.PANEL_SCHEMA``
#: (column -> (kind, unit, description)). Flags are 0/1 and declared as shares.
CHINA_SCHEMA = {
    "city": ("key", "", "English (pinyin) name, province added where two units share one"),
    "year": ("key", "", "calendar year (integer)"),
    "code": ("id", "", "6-digit administrative code (2020 division)"),
    "region": ("id", "", "Guangdong's four regions (PRD, East, West, North); Other elsewhere"),
    "gdp": ("level", "100 million yuan", "gross domestic product, current prices (city accounts)"),
    "va_primary": ("level", "100 million yuan", "value added, primary industry"),
    "va_secondary": (
        "level",
        "100 million yuan",
        "value added, secondary industry (industry and construction)",
    ),
    "va_tertiary": ("level", "100 million yuan", "value added, tertiary industry"),
    "loans": ("level", "100 million yuan", "year-end loan balance of financial institutions"),
    "deposits": ("level", "100 million yuan", "year-end deposit balance of financial institutions"),
    "land_area_km2": ("level", "km2", "administrative land area"),
    "population": ("level", "10k persons", "year-end resident population (常住人口)"),
    "population_interpolated": (
        "share",
        "flag (0/1)",
        "1 where the source interpolated population",
    ),
    "fdi_usd_million": ("level", "million US dollars", "foreign direct investment actually used"),
    "ccsy_edition": ("index", "year", f"edition of the {_YB} (data year + 1)"),
    "internet_users_10k_hh": (
        "level",
        "10k households",
        (
            "internet users to 2011, broadband "
            "subscribers from 2012 (definition break; see internet_users_definition)"
        ),
    ),
    "internet_intl_users_10k_hh": (
        "level",
        "10k households",
        "international internet users (to 2011)",
    ),
    "broadband_users_10k_hh": (
        "level",
        "10k households",
        "broadband access subscribers (from 2012)",
    ),
    "mobile_users_10k_hh": ("level", "10k households", "mobile telephone subscribers"),
    "fixed_phone_users_10k_hh": (
        "level",
        "10k households",
        "fixed telephone subscribers (to 2016)",
    ),
    "telecom_revenue_10k_yuan": (
        "level",
        "10,000 yuan",
        "telecommunication revenue (2005-06, 2011-)",
    ),
    "telecom_volume_10k_yuan": (
        "level",
        "10,000 yuan",
        "telecommunication business volume (2007-10)",
    ),
    "postal_revenue_10k_yuan": ("level", "10,000 yuan", "postal revenue"),
    "postal_volume_10k_yuan": ("level", "10,000 yuan", "postal business volume"),
    "sci_tech_expenditure_10k_yuan": (
        "level",
        "10,000 yuan",
        "public science and technology expenditure",
    ),
    "general_budget_expenditure_10k_yuan": (
        "level",
        "10,000 yuan",
        "general public budget expenditure",
    ),
    "patents_applied": ("count", "count", "patent applications (2017-2019)"),
    "patents_granted": ("count", "count", "patents granted (2017-2023)"),
    "invention_patents_granted": ("count", "count", "invention patents granted (2017-2023)"),
    "rd_personnel": ("count", "persons", "R&D personnel (2017-2019, sparse)"),
    "rd_internal_expenditure_10k_yuan": (
        "level",
        "10,000 yuan",
        "internal R&D expenditure (2017-2019, sparse)",
    ),
    "ccsy_gdp_100m_yuan": ("level", "100 million yuan", f"GDP as printed in the {_YB}"),
    "ccsy_pop_registered_10k": ("level", "10k persons", f"registered (hukou) population, {_YB}"),
    "ccsy_pop_resident_10k": ("level", "10k persons", f"resident population, {_YB}"),
    "flag_internet_yoy_jump": (
        "share",
        "flag (0/1)",
        "internet users x2 or x0.5 the year before (source flag)",
    ),
    "flag_mobile_yoy_jump": (
        "share",
        "flag (0/1)",
        "mobile users x2 or x0.5 the year before (source flag)",
    ),
    "flag_internet_gt_pop": (
        "share",
        "flag (0/1)",
        "internet users above population (source flag)",
    ),
    "flag_zero_value": ("share", "flag (0/1)", "a zero value in the row (source flag)"),
    "employment": ("level", "10k persons", "employment in urban units, sum of the 19 industries"),
    "employment_nonagri": (
        "level",
        "10k persons",
        "employment in urban units, the 18 non-agricultural industries",
    ),
    "emp_agriculture": (
        "level",
        "10k persons",
        _EMP + "agriculture, forestry, animal husbandry, fishery",
    ),
    "emp_mining": ("level", "10k persons", _EMP + "mining"),
    "emp_manufacturing": ("level", "10k persons", _EMP + "manufacturing"),
    "emp_utilities": ("level", "10k persons", _EMP + "electricity, gas and water supply"),
    "emp_construction": ("level", "10k persons", _EMP + "construction"),
    "emp_transport": ("level", "10k persons", _EMP + "transport, storage and post"),
    "emp_ict": (
        "level",
        "10k persons",
        _EMP + "information transmission, software and IT services",
    ),
    "emp_wholesale_retail": ("level", "10k persons", _EMP + "wholesale and retail"),
    "emp_hotel_catering": ("level", "10k persons", _EMP + "hotels and catering"),
    "emp_finance": ("level", "10k persons", _EMP + "finance"),
    "emp_real_estate": ("level", "10k persons", _EMP + "real estate"),
    "emp_leasing_business": ("level", "10k persons", _EMP + "leasing and business services"),
    "emp_research_tech": (
        "level",
        "10k persons",
        _EMP + "scientific research and technical services",
    ),
    "emp_water_env": ("level", "10k persons", _EMP + "water, environment and public facilities"),
    "emp_resident_services": ("level", "10k persons", _EMP + "resident and other services"),
    "emp_education": ("level", "10k persons", _EMP + "education"),
    "emp_health_social": ("level", "10k persons", _EMP + "health and social work"),
    "emp_culture_sports": ("level", "10k persons", _EMP + "culture, sports and entertainment"),
    "emp_public_admin": (
        "level",
        "10k persons",
        _EMP + "public administration and social organisations",
    ),
    "emp_coverage_2013": (
        "share",
        "flag (0/1)",
        (
            "1 from 2013: the wider urban-unit coverage after the "
            "2013 economic census (levels break 2012->2013)"
        ),
    ),
    "broadband_china_cohort": (
        "index",
        "year",
        (
            "first Broadband China designation of any entity in the "
            "prefecture (2014-2016); empty if never"
        ),
    ),
    "broadband_china_city_cohort": (
        "index",
        "year",
        (
            "first designation of the whole prefecture "
            "(city, cluster member or autonomous prefecture)"
        ),
    ),
    "broadband_china_single_source": (
        "share",
        "flag (0/1)",
        ("1 where the first designation rests on one source (part of the 2015 list)"),
    ),
}
#: Text columns carried through unchanged (not validated as numbers).
CHINA_TEXT_COLUMNS = (
    "name_zh",
    "province",
    "province_zh",
    "city_type",
    "internet_users_definition",
    "broadband_china_entity",
)
#: Columns the source fills for every city-year it covers (GDP accounts).
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
#: Persistent jumps of the shipped file beyond :data:`JUMP_FACTOR`, written by the builder after
#: its slip rule: always accepted (and reported as such), so a copy of the file loads too; any
#: other jump is an error.
SHIPPED_BREAKS = "china_city_panel_breaks.csv"


def _data_file(name: str) -> Path:
    """A shipped data file: from the checkout this module runs from (its ``data/`` folder, so a
    worktree reads its own files), else the installed package resource."""
    for d in Path(__file__).resolve().parents:
        if (d / "pyproject.toml").is_file() and (d / "data" / name).is_file():
            return d / "data" / name
    return bundled_file(name)


@lru_cache(maxsize=1)
def _registry() -> pd.DataFrame:
    pre = pd.read_csv(_data_file("china_prefectures.csv"), dtype={"name_zh": str})
    names = pd.read_csv(_data_file("china_city_names.csv"), dtype={"name_zh": str})
    return pre.merge(names[["code", "name_en", "province_en"]], on="code", how="left")


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
    path = Path(_data_file(DEFAULT_CHINA) if shipped else path)
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
    known = pd.read_csv(_data_file(SHIPPED_BREAKS), dtype={"city": str, "column": str})
    accept = [*accept_breaks, *zip(known["city"], known["year"].astype(int), known["column"])]
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
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
    if (
        clean is not None
    ):  # helpers.units loops city by city (minutes for 337 cities): vectorised here
        report.issues += unit_jumps(clean, accept_breaks=accept) + _name_issues(clean)
    warn_or_raise(report)
    return clean, tuple(str(i) for i in report.accepted)


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
    (:func:`helpers.schema.suggest_slip`). ``accept_breaks`` entries ``(city, year, column)``
    (``year=None``: the whole city-column) are reported as accepted instead.

    Returns
    -------
    list of helpers.schema.Issue
    """
    df = df.sort_values(["code", "year"])
    accept = {(c, y, col) for c, y, col in accept_breaks}
    out = []
    for col in [c for c, (k, _, _) in CHINA_SCHEMA.items() if k in _JUMP_KINDS and c in df.columns]:
        v = df[col].where(df[col] > 0).dropna()
        city = df.loc[v.index, "city"]
        prev = v.groupby(city).shift(1)
        r = v / prev
        for i in r.index[(r > factor) | (r < 1 / factor)]:
            c, y = df.at[i, "city"], int(df.at[i, "year"])
            sev = "accepted" if (c, y, col) in accept or (c, None, col) in accept else "error"
            out.append(
                Issue(
                    sev,
                    "unit",
                    f"column {col!r} jumps x{r[i]:.3g} from {prev[i]:g} to {v[i]:g} "
                    f"within {c}, beyond the factor {factor:g}; likely "
                    f"{suggest_slip(r[i], CHINA_SCHEMA[col][0])}; if real, pass "
                    f"accept_breaks=[({c!r}, {y}, {col!r})]",
                    column=col,
                    city=c,
                    year=y,
                    value=v[i],
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
        wanted = [provinces] if isinstance(provinces, str) else list(provinces)
        bad = [p for p in wanted if p not in known]
        if bad:
            raise PanelSchemaError(f"unknown province(s) {bad}; use e.g. 'Guangdong' or '广东省'")
        prov = df["city"].map(reg["province"])
        prov_zh = df["city"].map(reg["province_zh"])
        df = df[prov.isin(wanted) | prov_zh.isin(wanted)]
    return df.reset_index(drop=True)
