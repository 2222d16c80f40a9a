r"""Plausibility rules of the national panel (:func:`helpers.data.china.load_china`): the
cross-city slip rule below, and the Guangdong loader's positivity, parts and census rules
(:func:`helpers.data.china.national_plausibility_issues`).

The national loader validates with ``unit_checks=False``: the Guangdong unit checks
(:mod:`helpers.data.units`) loop city by city, minutes for 337 cities, and their fixed
cross-city factors were set on 21 cities of one province. Its within-city jumps are checked
vectorised (:func:`helpers.data.china.unit_jumps`, factor 100); a city whose column is off by a
unit in *every* year has no jump, and this rule catches it.

For column :math:`k` of :data:`NATIONAL_SLIPS`, per resident :math:`v_{it} = x_{itk} / P_{it}`,
against the median of the cities of the same province and year,
:math:`r_{it} = v_{it} / \mathrm{med}_{j \in p(i)}\, v_{jt}` (the national median of the year
where a province has fewer than :data:`MIN_PEERS` cities with a value: Beijing, Hainan, ...).
A city's median :math:`\tilde r_i = \mathrm{med}_t\, r_{it}` beyond :data:`NATIONAL_FACTOR`
(10) either way is an error naming the likely power-of-ten slip. Measured on the shipped panel,
the cities' :math:`\tilde r_i` lie within 0.38-6.86 (GDP; Dingxi and Karamay), 0.39-5.61
(tertiary value added), 0.59-3.77 (budget expenditure), 0.33-5.85 (employment), 0.38-4.21
(internet users), 0.53-2.24 (mobile users) and 0.26-5.48 (telecom revenue), so a factor of 10
leaves a margin of 1.5 or more (a x10 slip up is caught in every city above its peers' median,
a x100 slip in every city); columns whose real spread is wider (FDI,
patents, loans and deposits up to 28, secondary value added up to 10.6) are left to the jump rule.
``accept_breaks=[(city, None, column)]`` accepts a city's column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .issues import Issue

#: Columns compared per resident within province and year.
NATIONAL_SLIPS = ("gdp", "va_tertiary", "general_budget_expenditure_10k_yuan", "employment",
                  "internet_users_10k_hh", "mobile_users_10k_hh", "telecom_revenue_10k_yuan")
#: A city's median ratio to its province's median beyond this factor either way is a slip.
NATIONAL_FACTOR = 10.0
#: Fewest cities with a value for a province-year median (else the national median of the year).
MIN_PEERS = 5


def _hint(r: float) -> str:
    """The power-of-ten slip ``r`` suggests; both neighbours when it lies between them (a city
    far from its province's median before the slip)."""
    x = abs(np.log10(r))
    lo, frac = int(np.floor(x)), x - np.floor(x)
    ks = [lo, lo + 1] if 0.3 < frac < 0.7 else [round(x)]
    ks = [k for k in ks if k > 0] or [1]
    return " or ".join(f"x{10 ** k:g}" for k in ks) + f" slip ({'too large' if r > 1 else 'too small'})?"


def _ratio_to_peers(v: pd.Series, province: pd.Series, year: pd.Series) -> pd.Series:
    """:math:`r_{it}`: ``v`` over the median of its province and year (national where too few)."""
    groups = [province, year]
    prov_med = v.groupby(groups).transform("median")
    prov_n = v.groupby(groups).transform("count")
    nat_med = v.groupby(year).transform("median")
    return v / prov_med.where(prov_n >= MIN_PEERS, nat_med)


def national_slip_issues(df: pd.DataFrame, province: pd.Series, accept=(), factor: float = NATIONAL_FACTOR,
                         columns=NATIONAL_SLIPS) -> list:
    """Cities whose column, per resident, is off by ``factor`` or more against their province.

    ``df`` is the validated panel (``city``, ``year``, ``population`` and the columns);
    ``province`` the province of each row.
    """
    if "population" not in df.columns:
        return []
    pop = df["population"].where(df["population"] > 0)
    accept = {(c, k) for c, y, k in accept if y is None}
    out = []
    for col in (c for c in columns if c in df.columns):
        v = (df[col] / pop).where(lambda s: np.isfinite(s) & (s > 0))
        r = _ratio_to_peers(v, province, df["year"]).groupby(df["city"], sort=False).median().dropna()
        for city in r.index[(r > factor) | (r < 1 / factor)]:
            years = df.loc[(df["city"] == city) & v.notna(), "year"]
            out.append(Issue("accepted" if (city, col) in accept else "error", "city slip",
                             f"{col} per resident is {r[city]:.3g} x the median of its province's cities in "
                             f"the median year of {int(years.min())}-{int(years.max())} (factor {factor:g} either "
                             f"way): {_hint(r[city])} If real, pass accept_breaks=[({city!r}, None, {col!r})]",
                             column=col, city=city, value=float(r[city])))
    return out


# ---------------------------------------------------------------- positivity, parts, census
#: Columns the national analysis takes the logarithm of (helpers.analysis.national: productivity
#: per worker and per resident, log population; helpers.analysis.broadband: log loans, log GDP
#: per head), and ``employment``, logged for Guangdong: strictly positive.
NATIONAL_LOGGED = ("gdp", "population", "employment", "employment_nonagri", "loans")

#: The yearbook's 19 industries (employment in urban units, 10k persons).
#:
#: :meta hide-value:
EMP_SECTIONS = ("emp_agriculture", "emp_mining", "emp_manufacturing", "emp_utilities", "emp_construction",
                "emp_transport", "emp_ict", "emp_wholesale_retail", "emp_hotel_catering", "emp_finance",
                "emp_real_estate", "emp_leasing_business", "emp_research_tech", "emp_water_env",
                "emp_resident_services", "emp_education", "emp_health_social", "emp_culture_sports",
                "emp_public_admin")

#: (part, whole, factor): part <= factor * whole in every city-year (definitions).
#:
#: :meta hide-value:
NATIONAL_PARTS = (*((c, "gdp", 1.0) for c in ("va_primary", "va_secondary", "va_tertiary")),
                  *((c, "employment", 1.0) for c in (*EMP_SECTIONS, "employment_nonagri")),
                  ("employment", "population", 1.0), ("rd_personnel", "population", 1e4))

#: Resident population of the shipped panel beyond the census tolerance
#: (:data:`helpers.data.plausibility.CENSUS_TOLERANCE`), measured and accepted by name:
#: (city, first year, last year, why). The source's figures are kept (nothing is cleaned).
#:
#: :meta hide-value:
SHIPPED_CENSUS_ACCEPTED = (
    ("Hefei", 2005, 2007, "before the 2011 division of Chaohu (the census counts the 2020 area)"),
    ("Wuhu", 2005, 2010, "before the 2011 division of Chaohu (the census counts the 2020 area)"),
    ("Maanshan", 2005, 2010, "before the 2011 division of Chaohu (the census counts the 2020 area)"),
    ("Tongling", 2005, 2014, "before Zongyang county joined in 2015 (the census counts the 2020 area)"),
    ("Lu'an", 2007, 2009, "the source's 2005-2009 values equal the registered (hukou) population"),
    ("Urumqi", 2005, 2006, "the source's 2005-2009 values equal the registered (hukou) population"),
    ("Karamay", 2005, 2005, "the source's values other than 2010 and 2020 are 0.6-0.8 x the censuses, "
     "which those two match (data/README.md: the raw 2010 value is kept)"),
    ("Karamay", 2016, 2018, "as 2005"),
    ("Sansha", 2016, 2016, "founded 2012: 1,500 residents in 2016, 2,333 at the 2020 census"),
)


def shipped_census_accepted() -> list:
    """:data:`SHIPPED_CENSUS_ACCEPTED` as ``accept_breaks`` entries ``(city, year, "population")``."""
    return [(c, y, "population") for c, y0, y1, _ in SHIPPED_CENSUS_ACCEPTED for y in range(y0, y1 + 1)]
