r"""Rules that compare columns with each other and cities with each other (issue 24).

Every value of a swapped pair of headers or of a city whose year labels are rotated passes the
cell and unit rules; only a comparison across columns or across cities shows the fault. Each
rule below states its tolerance and where the number comes from; each names the column, city and
year it flags. Whole-file rules (the swaps) cannot be accepted; the year rule accepts
``accept_breaks=[(city, year, "year")]`` (a real boundary change).

- **Manufacturing vs producer-service employment** (:func:`employment_swap_issues`): the
  cross-city median of each city's median ratio
  :math:`\mathrm{emp\_producer\_services} / \mathrm{emp\_manufacturing}` must not exceed
  :data:`EMP_RATIO_MAX` (1). In China's urban units manufacturing employs more people than the
  producer-service sections together (transport, IT, finance, real estate, leasing and business
  services, research; China Statistical Yearbook, employment by sector). Measured on the twin
  (generator 2.0.0): the median ratio is 0.25 (the largest city 1.18), at most 0.65 on the
  twins of seeds 1-12 and 42; with the two headers swapped it is 3.99. A swap in one city only
  is not caught (a city's ratio ranges 0.36-4.7 times the median on the twin).
- **Secondary vs tertiary value added** (:func:`sector_swap_issues`): from 2012 on, China's
  tertiary share of GDP rose and the secondary share fell (tertiary overtook secondary in the
  early 2010s; NBS). Over the years from :data:`SECTOR_TREND_FROM` (at least
  :data:`SECTOR_TREND_YEARS` of them), the cross-city median share of ``va_tertiary`` falling
  while that of ``va_secondary`` rises names the two columns as swapped. Measured on the shipped
  accounts (2012-2023): slopes +0.0067 (tertiary) and -0.0105 (secondary) per year.
- **Year labels shifted or rotated** (:func:`year_shift_issues`): for city :math:`i`, year
  :math:`t` and column :math:`k`, :math:`e_{itk} = \Delta\log x_{itk} - \mathrm{med}_j\,
  \Delta\log x_{jtk}` (the city's change against the cross-city median change of that year);
  :math:`E_{it} = \mathrm{med}_k\, e_{itk}` over at least :data:`SHIFT_MIN_COLUMNS` columns.
  A rotated block of labels moves every column at once by the growth of the whole span, so
  :math:`|E_{it}| > \log` :data:`SHIFT_FACTOR` (1.8) is flagged. Legitimate moves: at most x1.33
  on twins, x1.57 in the accounts; one-year rotations: x7.2-x18 in the accounts (42 of 42 caught),
  x1.77-x4.6 on the twin (40 of 42). A constant shift of a city's years is named too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .issues import Issue

#: Largest plausible cross-city median of emp_producer_services / emp_manufacturing.
EMP_RATIO_MAX = 1.0
#: First year and fewest years of the sector-share trend rule.
SECTOR_TREND_FROM, SECTOR_TREND_YEARS = 2012, 5
#: A city's change against the other cities', in the median over columns, beyond this factor.
SHIFT_FACTOR = 1.8
#: Fewest columns for the year rule (one column's break is the unit rules' business).
SHIFT_MIN_COLUMNS = 3
#: Fewest cities for any cross-city comparison.
MIN_CITIES = 5


def _line(lines, i):
    return None if lines is None else lines[i]


def employment_swap_issues(d: pd.DataFrame) -> list:
    """Swapped ``emp_manufacturing`` / ``emp_producer_services`` headers (see the module notes)."""
    if not {"emp_manufacturing", "emp_producer_services"} <= set(d.columns):
        return []
    r = (d["emp_producer_services"] / d["emp_manufacturing"]).where(lambda s: np.isfinite(s) & (s > 0))
    city_r = r.groupby(d["city"], sort=False).median().dropna()
    if len(city_r) < MIN_CITIES:
        return []
    med = float(city_r.median())
    if med <= EMP_RATIO_MAX:
        return []
    return [Issue("error", "swapped columns",
                  f"emp_producer_services is {med:.3g} x emp_manufacturing in the median city (at most "
                  f"{EMP_RATIO_MAX:g} expected: manufacturing employs more than producer services in "
                  "Chinese cities): are the headers emp_manufacturing and emp_producer_services swapped?",
                  column="emp_producer_services", value=med)]


def _slope(s: pd.Series) -> float:
    x = np.asarray(s.index, dtype=float)
    return float(np.polyfit(x - x.mean(), s.to_numpy(dtype=float), 1)[0])


def sector_swap_issues(d: pd.DataFrame) -> list:
    """Swapped ``va_secondary`` / ``va_tertiary`` columns (see the module notes)."""
    if not {"va_secondary", "va_tertiary", "gdp"} <= set(d.columns) or d["city"].nunique() < MIN_CITIES:
        return []
    late = d[d["year"] >= SECTOR_TREND_FROM]
    if late["year"].nunique() < SECTOR_TREND_YEARS:
        return []
    share = {c: (late[c] / late["gdp"]).groupby(late["year"]).median().dropna() for c in ("va_secondary", "va_tertiary")}
    sec, ter = _slope(share["va_secondary"]), _slope(share["va_tertiary"])
    if not (ter < 0 < sec):
        return []
    years = f"{int(late['year'].min())}-{int(late['year'].max())}"
    return [Issue("error", "swapped columns",
                  f"the median city's va_tertiary share of GDP falls ({ter:+.4f} a year) and its va_secondary "
                  f"share rises ({sec:+.4f}) over {years}, the opposite of every Chinese region since 2012: "
                  "are the columns va_secondary and va_tertiary swapped?", column="va_tertiary", value=ter)]


def _deviations(d: pd.DataFrame, columns) -> pd.DataFrame:
    """:math:`e_{itk}`: each city's change in log against the cross-city median change of the year."""
    d = d.sort_values(["city", "year"])
    x = np.log(d[columns].where(d[columns] > 0))
    step = d.groupby("city")["year"].diff() == 1  # consecutive years only
    dx = x.groupby(d["city"]).diff().where(step, np.nan)
    e = dx - dx.groupby(d["year"]).transform("median")
    # columns without cross-city variation in their changes (a national series, a fixed 1984
    # value) carry no information about a city's labels: they would pull the median to zero
    moving = [c for c in columns if (e[c].abs() > 1e-9).mean() > 0.5]
    return e[moving]


def year_shift_issues(d: pd.DataFrame, lines=None, accept=(), factor: float = SHIFT_FACTOR) -> list:
    """Year labels rotated or shifted within a city (see the module notes)."""
    if d.empty or d["city"].nunique() < MIN_CITIES:
        return []
    out = _shifted_sets(d, lines)
    columns = [c for c in d.columns if c not in ("city", "year") and pd.api.types.is_numeric_dtype(d[c])]
    e = _deviations(d, columns)
    if e.shape[1] < SHIFT_MIN_COLUMNS:
        return out
    big = e.median(axis=1)[(e.notna().sum(axis=1) >= SHIFT_MIN_COLUMNS)]
    big = big[big.abs() > np.log(factor)]
    for i in big.index:
        city, year = d.at[i, "city"], int(d.at[i, "year"])
        sev = "accepted" if {(city, year, "year"), (city, None, "year")} & set(accept) else "error"
        out.append(Issue(sev, "year labels",
                         f"from {year - 1} to {year} the city's columns move x{np.exp(big[i]):.3g} against the "
                         f"other cities' (median of {int(e.loc[i].notna().sum())} columns; tolerance x{factor:g}"
                         f" either way): year labels rotated or shifted within the city? If real (a boundary "
                         f"change), pass accept_breaks=[({city!r}, {year}, 'year')]",
                         column="year", city=city, year=year, value=float(np.exp(big[i])), line=_line(lines, i)))
    return out


def _shifted_sets(d: pd.DataFrame, lines=None) -> list:
    """A city whose years are the most common set of years shifted by a constant."""
    sets = d.groupby("city", sort=False)["year"].apply(lambda s: tuple(sorted(int(y) for y in s)))
    common = sets.value_counts().index[0]
    out = []
    for city, ys in sets.items():
        if ys == common or len(ys) != len(common):
            continue
        k = ys[0] - common[0]
        if k and ys == tuple(y + k for y in common):
            i = d.index[d["city"] == city][0]
            out.append(Issue("error", "year labels", f"the city's years {ys[0]}-{ys[-1]} are the other cities' "
                             f"{common[0]}-{common[-1]} shifted by {k:+d}: year labels off by {abs(k)}?",
                             column="year", city=city, year=ys[0], line=_line(lines, i)))
    return out


def coherence_issues(d: pd.DataFrame, lines=None, accept=()) -> list:
    """Every rule of the module."""
    return employment_swap_issues(d) + sector_swap_issues(d) + year_shift_issues(d, lines, accept)
