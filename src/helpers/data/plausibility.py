r"""Plausibility rules of a city-year table, shared by ``check`` and the chapters' loaders.

The schema's range rules (a level is :math:`\ge 0`, a share in [0, 1]) and the unit checks
(:mod:`helpers.data.units`: within-city jumps, cross-city outliers of one year) pass values
that the analysis cannot use or that are off by a unit. These rules add:

- **Logged columns strictly positive** (:data:`LOGGED`): the chapters take their logarithm,
  so a zero is an error here, not a misleading "constant or empty" message later.
- **Parts no larger than wholes** (:data:`PARTS`): industrial value added :math:`\le` GDP,
  manufacturing (producer-service) employment :math:`\le` employment, R&D personnel (persons)
  :math:`\le` population (10k persons) :math:`\times 10^4`.
- **Sectors adding up to GDP** in the accounts: primary + secondary + tertiary value added
  within :data:`SECTOR_TOLERANCE` (25%) of GDP. The shipped official accounts deviate by up to
  20% (revisions between yearbook editions), so the rule catches a sector off by a unit, not
  rounding.
- **Population against the registry's census** (2010 and 2020 censuses, resident persons; the
  nearer census year is used; years 2005-2025 only): a city's population (10k persons) outside
  :math:`[1/c, c]` times the census, :math:`c` = :data:`CENSUS_TOLERANCE`, is an error
  (population in persons instead of 10k persons is :math:`10^4` times the census).
- **Per-city slips against the cross-city median** (:data:`SLIP_COLUMNS`): a city's median
  over its years, per resident for totals (GDP per resident, not GDP: big cities are big, not
  slipped), against the median of all cities; beyond :data:`SLIP_FACTOR` (5) either way is an
  error naming the likely power-of-ten slip. The factor is measured, not guessed: on the twin
  the most extreme city is 3.5 times the median (Shenzhen's GDP per resident) and the least
  0.45 times; a x10 slip of the smallest city is 5.7 times.
- **Per-GDP slips** (:data:`GDP_SLIPS`, the accounts): a city's median ratio of FDI, loans or
  deposits to its GDP against the cross-city median, with a factor per column, measured on the
  shipped accounts: the cities lie within 0.13-2.79 times the median for FDI (factor 10: a x100
  slip is caught in every city), 0.43-1.99 for loans and 0.54-1.76 for deposits (factor 4).
- **Columns swapped, year labels rotated** (:mod:`helpers.data.coherence`).
- **Whole-column slips** (:data:`MEDIAN_RANGES`): the cross-city median of GDP per resident or
  of the average wage outside a range that spans every Chinese prefecture city since 2000
  means the whole column is in another unit (yuan instead of 100 million yuan, ...).

Each rule names the city, the year (when one), the column and the values. ``accept`` (the
loaders' ``accept_breaks``: ``(city, year or None, column)``) turns an error into an
"accepted" finding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .coherence import coherence_issues
from .issues import Issue, years_text

#: Columns the chapters take the logarithm of (helpers.measure.constructs, the analysis controls).
LOGGED = ("population", "employment", "gdp", "exports", "post_offices_1984")

#: (part, whole, factor): part <= factor * whole in every city-year.
PARTS = (("industrial_value_added", "gdp", 1.0), ("emp_manufacturing", "employment", 1.0),
         ("emp_producer_services", "employment", 1.0), ("rd_personnel", "population", 1e4))

#: Sector value added (primary, secondary, tertiary) must add up to GDP within this share.
SECTORS, SECTOR_TOLERANCE = ("va_primary", "va_secondary", "va_tertiary"), 0.25

#: A city's population may differ from the nearer census by this factor either way, in the
#: years :data:`CENSUS_YEARS` (within 5 years of the 2010 and 2020 censuses).
CENSUS_TOLERANCE = 1.5
CENSUS_YEARS = (2005, 2025)

#: Per-city slip factor against the cross-city median (see the module notes).
SLIP_FACTOR = 5.0

#: Columns checked for per-city slips: True = a total, compared per resident; False = already
#: per person (or an index), compared as it is.
SLIP_COLUMNS = {"gdp": True, "industrial_value_added": True, "employment": True, "emp_manufacturing": True,
                "avg_wage": False, "broadband_per100": False, "telecom_per_capita": False,
                "digital_finance_index": False}

#: Columns compared per unit of GDP across cities, with their factor (see the module notes).
GDP_SLIPS = {"fdi_usd_million": 10.0, "loans": 4.0, "deposits": 4.0}

#: Plausible range of the cross-city median: (column, per resident?, scale to the unit shown, low, high, unit).
MEDIAN_RANGES = (("gdp", True, 1e4, 5e3, 2.5e5, "yuan per resident"),
                 ("avg_wage", False, 1.0, 5e3, 5e5, "yuan per year"))


def _line(lines, i):
    return None if lines is None else lines[i]


def _accepted(accept, city, year, col) -> bool:
    return (city, year, col) in accept or (city, None, col) in accept


def positive_issues(d: pd.DataFrame, lines=None, accept=(), columns=LOGGED) -> list:
    """Zeros and negatives in logged columns (one issue per column and city, years listed)."""
    out = []
    for col in (c for c in columns if c in d.columns):
        bad = d[d[col] == 0]  # negatives are already errors of the range rule
        for city, g in bad.groupby("city", sort=False):
            years = sorted(int(y) for y in g["year"])
            out.append(Issue("accepted" if all(_accepted(accept, city, y, col) for y in years) else "error",
                             "not positive", f"column {col!r} is 0 in {years_text(years)}; "
                             "the chapters take its logarithm, so it must be > 0 (missing: leave empty)",
                             column=col, city=city, year=years[0], value=float(g[col].iat[0]),
                             line=_line(lines, g.index[0])))
    return out


def parts_issues(d: pd.DataFrame, lines=None, accept=(), parts=PARTS) -> list:
    """Parts larger than their wholes (one issue per pair and city)."""
    out = []
    for part, whole, factor in parts:
        if part not in d.columns or whole not in d.columns:
            continue
        ratio = d[part] / (d[whole] * factor)
        bad = d[ratio > 1 + 1e-9]
        for city, g in bad.groupby("city", sort=False):
            years = sorted(int(y) for y in g["year"])
            r = float(ratio[g.index].max())
            whole_txt = whole if factor == 1 else f"{whole} x {factor:g}"
            out.append(Issue("accepted" if all(_accepted(accept, city, y, part) for y in years) else "error",
                             "part > whole", f"column {part!r} is up to {r:.3g} x {whole_txt} in {years_text(years)}; "
                             f"a part cannot exceed its whole (swapped columns or a unit slip?)",
                             column=part, city=city, year=years[0], value=float(g[part].iat[0]),
                             line=_line(lines, g.index[0])))
    return out


def sector_issues(d: pd.DataFrame, lines=None, accept=(), tolerance: float = SECTOR_TOLERANCE) -> list:
    """Sectors that do not add up to GDP (one issue per city, years listed)."""
    if not set(SECTORS) | {"gdp"} <= set(d.columns):
        return []
    ratio = d[list(SECTORS)].sum(axis=1, min_count=3) / d["gdp"]
    bad = d[ratio.notna() & ((ratio - 1).abs() > tolerance)]
    out = []
    for city, g in bad.groupby("city", sort=False):
        years = sorted(int(y) for y in g["year"])
        r = float(ratio[g.index].iloc[0])
        out.append(Issue("accepted" if all(_accepted(accept, city, y, "gdp") for y in years) else "error",
                         "sectors", f"va_primary + va_secondary + va_tertiary is {r:.3g} x gdp in "
                         f"{years_text(years)}, beyond the tolerance {tolerance:.0%} (a sector in another unit?)",
                         column="gdp", city=city, year=years[0], value=r, line=_line(lines, g.index[0])))
    return out


def census_issues(d: pd.DataFrame, registry: pd.DataFrame, lines=None, accept=(),
                  tolerance: float = CENSUS_TOLERANCE) -> list:
    """Population (10k persons) against the nearer census of the registry (persons)."""
    if "population" not in d.columns or not {"pop_2010", "pop_2020"} <= set(registry.columns):
        return []
    census = np.where(d["year"] <= 2015, d["city"].map(registry["pop_2010"]), d["city"].map(registry["pop_2020"]))
    near = d["year"].between(CENSUS_YEARS[0], CENSUS_YEARS[1])  # far from a census, growth dominates
    ratio = (d["population"] * 1e4 / pd.Series(census, index=d.index, dtype=float)).where(near)
    bad = d[ratio.notna() & ((ratio > tolerance) | (ratio < 1 / tolerance))]
    out = []
    for city, g in bad.groupby("city", sort=False):
        years = sorted(int(y) for y in g["year"])
        with np.errstate(divide="ignore"):  # a zero population is the positivity rule's finding
            r = float(np.exp(np.log(ratio[g.index]).median()))
        hint = " (population in persons? the unit is 10k persons)" if r > 1000 else ""
        out.append(Issue("accepted" if all(_accepted(accept, city, y, "population") for y in years) else "error",
                         "census", f"column 'population' is {r:.3g} x the census population in {years_text(years)}"
                         f", beyond the tolerance factor {tolerance:g}{hint}", column="population", city=city,
                         year=years[0], value=float(g["population"].iat[0]), line=_line(lines, g.index[0])))
    return out


def _slip_hint(r: float) -> str:
    k = round(np.log10(r)) if r > 0 else 0
    if k == 0:
        return "not a power of ten: check the values and their unit"
    return f"a x{10 ** abs(k):g} slip ({'too large' if k > 0 else 'too small'})?"


def _city_slips(d, v, col, what, factor, lines, accept) -> list:
    """Cities whose median of ``v`` is beyond ``factor`` either way of the cross-city median."""
    v = v.where(np.isfinite(v) & (v > 0))
    city_med = v.groupby(d["city"], sort=False).median().dropna()
    if len(city_med) < 5:
        return []
    r = city_med / city_med.median()
    out = []
    for city in r.index[(r > factor) | (r < 1 / factor)]:
        rows = d.index[d["city"] == city]
        # an accepted break of this city and column (any year) explains a shifted median too
        if any(c == city and k == col for c, _, k in accept):
            continue
        out.append(Issue("error", "city slip",
                         f"{what} is {r[city]:.3g} x the cross-city median (factor {factor:g} either way): "
                         f"{_slip_hint(r[city])}", column=col, city=city, year=None,
                         value=float(city_med[city]), line=_line(lines, rows[0])))
    return out


def slip_issues(d: pd.DataFrame, lines=None, accept=(), factor: float = SLIP_FACTOR) -> list:
    """A city's median level (per resident for totals; per GDP for :data:`GDP_SLIPS`) against the
    cross-city median."""
    out = []
    for col, per_resident in SLIP_COLUMNS.items():
        if col not in d.columns or (per_resident and "population" not in d.columns):
            continue
        v = d[col] / d["population"] if per_resident else d[col]
        out += _city_slips(d, v, col, f"{col} per resident" if per_resident else col, factor, lines, accept)
    if "gdp" in d.columns and "population" not in d.columns:  # the accounts
        for col, f in GDP_SLIPS.items():
            if col in d.columns:
                out += _city_slips(d, d[col] / d["gdp"], col, f"{col} per unit of gdp", f, lines, accept)
    return out


def median_issues(d: pd.DataFrame) -> list:
    """The whole column in another unit: its cross-city median outside a plausible range."""
    out = []
    for col, per_resident, scale, low, high, unit in MEDIAN_RANGES:
        if col not in d.columns or (per_resident and "population" not in d.columns):
            continue
        v = (d[col] / d["population"] if per_resident else d[col]) * scale
        med = float(v[np.isfinite(v) & (v > 0)].median()) if v.notna().any() else np.nan
        if np.isfinite(med) and not low <= med <= high:
            out.append(Issue("error", "column unit", f"the cross-city median of {col} is {med:.3g} {unit}, "
                             f"outside the plausible {low:g}-{high:g}: the whole column is in another unit "
                             f"({_slip_hint(med / np.sqrt(low * high))})", column=col, value=med))
    return out


def plausibility_issues(d: pd.DataFrame, registry: pd.DataFrame | None = None, lines=None, accept=()) -> list:
    """Every rule of the module on ``d`` (one row per valid city-year: ``city``, ``year`` and
    float indicators; its index pointing into ``lines``)."""
    accept = {(c, None if y is None else int(y), col) for c, y, col in accept}
    out = positive_issues(d, lines, accept) + parts_issues(d, lines, accept) + sector_issues(d, lines, accept)
    if registry is not None:
        out += census_issues(d, registry, lines, accept)
    return out + slip_issues(d, lines, accept) + median_issues(d) + coherence_issues(d, lines, accept)


def rules_table() -> pd.DataFrame:
    """The plausibility rules of this module, :mod:`helpers.data.coherence` and
    :mod:`helpers.data.national_rules`, with their tolerances (read from the constants), for the
    data appendix; the measured spreads behind each tolerance are in those modules' notes."""
    from . import coherence as co
    from . import national_rules as nr

    parts = ", ".join(f"{p} <= {w}" + ("" if f == 1 else f" x {f:g}") for p, w, f in PARTS)
    rows = [
        ("logged columns strictly positive", ", ".join(LOGGED), "> 0", "the chapters take logarithms"),
        ("parts no larger than wholes", parts, "none", "definitions"),
        ("sectors add up to GDP (accounts)", " + ".join(SECTORS), f"within {SECTOR_TOLERANCE:.0%}",
         "largest deviation of the shipped accounts (revisions)"),
        ("population against the census", "population", f"factor {CENSUS_TOLERANCE:g}, "
         f"years {CENSUS_YEARS[0]}-{CENSUS_YEARS[1]}", "2010 and 2020 censuses (registry)"),
        ("one city's slip (Guangdong)", ", ".join(SLIP_COLUMNS), f"factor {SLIP_FACTOR:g}",
         "spread of the twin's cities"),
        ("one city's slip per GDP (accounts)", ", ".join(f"{c} ({f:g})" for c, f in GDP_SLIPS.items()),
         "factor in brackets", "spread of the shipped accounts' cities"),
        ("whole column in another unit", ", ".join(c for c, *_ in MEDIAN_RANGES),
         "; ".join(f"{lo:g}-{hi:g} {u}" for _, _, _, lo, hi, u in MEDIAN_RANGES), "every prefecture city since 2000"),
        ("manufacturing / producer-service headers swapped", "emp_producer_services / emp_manufacturing",
         f"median city <= {co.EMP_RATIO_MAX:g}", "manufacturing employs more (yearbook)"),
        ("the same swap in one city", "emp_producer_services / emp_manufacturing",
         f"city median <= {co.EMP_CITY_RATIO_MAX:g}", "largest city of 414 twins and of the real counts"),
        ("secondary / tertiary swapped (accounts)", "va_secondary, va_tertiary",
         f"shares' trends from {co.SECTOR_TREND_FROM}", "tertiary share rising since 2012"),
        ("year labels rotated or shifted", "every column", f"x{co.SHIFT_FACTOR:g} in the median of "
         f">= {co.SHIFT_MIN_COLUMNS} columns", "largest moves of the twin and the accounts"),
        ("year labels in a one-year rotation's pattern", "every column",
         f"log ratio > {co.ROTATION_MARGIN:g} (undone fits better)", "clean and rotated cities of twins, accounts"),
        ("one city's slip (national panel)", ", ".join(nr.NATIONAL_SLIPS),
         f"factor {nr.NATIONAL_FACTOR:g} against the province", "spread of the shipped national panel"),
        ("positive, parts, census (national panel)", ", ".join(nr.NATIONAL_LOGGED) + " > 0; sectors <= gdp, "
         "industries <= employment <= population", f"census factor {CENSUS_TOLERANCE:g}",
         f"as above; {len({c for c, *_ in nr.SHIPPED_CENSUS_ACCEPTED})} shipped cities' census gaps accepted by name"),
    ]
    return pd.DataFrame(rows, columns=["rule", "columns", "tolerance", "basis of the tolerance"])
