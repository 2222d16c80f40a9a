r"""Industrial chain synergy of cities: how far the industries present in a city supply each other.

Wang and Peng (seed paper) name three operational models of industrial synergy: chain, cluster and
regional synergy. Chain synergy is measured here by combining a city's industry mix (employment by
industry, from the China City Statistical Yearbook) with the national input-output coefficients
(``data/io_coefficients.csv``, built by ``tools/build_io.py`` from the NBS tables):

- :func:`chain_coagglomeration`: co-location of industry pairs weighted by their input-output
  link (after Ellison, Glaeser and Kerr 2010);
- :func:`local_sourcing_potential`: the share of an industry's (manufacturing's) national input
  requirements that the city's over-represented industries could supply;
- :func:`linkage_mix`: the employment-weighted Rasmussen (1956) backward and forward linkage
  indices of the city's industries;
- :func:`chain_synergy`: all three in one frame.

Year *t* uses the nearest earlier table (:func:`table_year_for`). Employment comes as a long
frame (``city``, ``year``, ``industry``, ``employment``; names are options) and coefficients
as a long frame (``year``, ``from_industry``, ``to_industry``, ``a_ij``), as returned by
:func:`io_coefficients`. Every function but the loader is pure.

This module never imports :mod:`helpers.simulate`: measurement never sees the truth.

References
----------
Ellison, G., Glaeser, E. L., Kerr, W. R. (2010). What causes industry agglomeration? Evidence
from coagglomeration patterns. American Economic Review 100(3), 1195-1213.
Miller, R. E., Blair, P. D. (2009). Input-Output Analysis: Foundations and Extensions, 2nd ed.
Cambridge University Press.
Rasmussen, P. N. (1956). Studies in Inter-Sectoral Relations. Copenhagen: Einar Harck.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ._common import _py
from .input_output import leontief_inverse, rasmussen_linkages

_COEF_COLS = ("year", "from_industry", "to_industry")


def table_year_for(year: int, table_years: Iterable[int]) -> int:
    """The nearest table year at or before ``year`` (the table in force in that year).

    Parameters
    ----------
    year : int
        Calendar year of the employment data.
    table_years : iterable of int
        Years with an input-output table.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        When ``year`` precedes every table (naming the year and the first table).

    Examples
    --------
    >>> table_year_for(2016, [2005, 2010, 2015, 2017])
    2015
    >>> table_year_for(2017, [2005, 2010, 2015, 2017])
    2017
    """
    years = sorted(int(t) for t in table_years)
    if not years:
        raise ValueError("no input-output table years given")
    earlier = [t for t in years if t <= int(year)]
    if not earlier:
        raise ValueError(f"year {int(year)} precedes the first input-output table ({years[0]})")
    return earlier[-1]


def io_coefficients(kind: str = "domestic") -> pd.DataFrame:
    """The bundled national input-output coefficients at the yearbook's 19 industries.

    Reads ``data/io_coefficients.csv`` (built by ``tools/build_io.py`` from the NBS national
    tables of 2005, 2010, 2015, 2017, 2018 and 2020 as compiled in ionet 0.2.2; see the data
    card in ``data/README.md``).

    Parameters
    ----------
    kind : {"domestic", "total"}
        Domestic intermediate inputs only (imports estimated by proportionality before 2017) or
        domestic plus imported.

    Returns
    -------
    DataFrame
        Columns ``year`` (table year), ``from_industry``, ``to_industry``, ``a_ij``.
    """
    from helpers.data import bundled_file

    cols = {"domestic": "a_ij", "total": "a_ij_total"}
    if kind not in cols:
        raise ValueError(f"kind must be 'domestic' or 'total', got {kind!r}")
    df = pd.read_csv(bundled_file("io_coefficients.csv"))
    return df[[*_COEF_COLS, cols[kind]]].rename(columns={cols[kind]: "a_ij"})


def _matrices(coefficients: pd.DataFrame, value: str) -> dict[int, pd.DataFrame]:
    """Square coefficient matrices (from rows, to columns) by table year, checked."""
    missing = [c for c in (*_COEF_COLS, value) if c not in coefficients.columns]
    if missing:
        raise ValueError(f"coefficients: missing column(s) {missing}")
    out = {}
    for t, g in coefficients.groupby("year"):
        if g.duplicated(["from_industry", "to_industry"]).any():
            raise ValueError(f"coefficients: duplicated industry pair in table year {_py(t)}")
        A = g.pivot(index="from_industry", columns="to_industry", values=value)
        inds = sorted(set(A.index) | set(A.columns))
        A = A.reindex(index=inds, columns=inds)
        bad = ~np.isfinite(A.to_numpy(float)) | (A.to_numpy(float) < 0)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"coefficients: table year {_py(t)}, {inds[i]!r} -> {inds[j]!r} is "
                             "missing, infinite or negative")
        out[int(t)] = A.astype(float)
    if not out:
        raise ValueError("coefficients: no rows")
    return out


def _shares(emp: pd.DataFrame, city, year, industry, value, known) -> pd.DataFrame:
    """Employment shares s_ci (city-years by industry), checked complete and non-negative."""
    missing = [c for c in (city, year, industry, value) if c not in emp.columns]
    if missing:
        raise ValueError(f"emp: missing column(s) {missing}")
    unknown = sorted(set(emp[industry]) - set(known))
    if unknown:
        raise ValueError(f"emp: industry {unknown[0]!r} has no input-output coefficients")
    if emp.duplicated([city, year, industry]).any():
        r = emp[emp.duplicated([city, year, industry])].iloc[0]
        raise ValueError(f"emp: duplicated row for city {r[city]!r}, year {r[year]!r}, "
                         f"industry {r[industry]!r}")
    wide = emp.pivot(index=[city, year], columns=industry, values=value)
    v = wide.to_numpy(float)
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        c, y = wide.index[i]
        raise ValueError(f"emp: employment of city {_py(c)!r}, year {_py(y)!r}, industry "
                         f"{_py(wide.columns[j])!r} is missing or negative")
    tot = v.sum(axis=1)
    if (tot <= 0).any():
        c, y = wide.index[int(np.argmax(tot <= 0))]
        raise ValueError(f"emp: city {_py(c)!r} has zero employment in {_py(y)!r}")
    return wide / tot[:, None]


def _by_year(emp, coefficients, value, cols):
    """Yield (year, table year, A, city shares, national shares) per employment year."""
    mats = _matrices(coefficients, value)
    known = set().union(*(set(A.index) for A in mats.values()))
    shares = _shares(emp, *cols, known)
    _, year, industry, evalue = cols
    national = emp.groupby([year, industry])[evalue].sum().unstack(industry)
    national = national.div(national.sum(axis=1), axis=0)
    for y in sorted(shares.index.get_level_values(year).unique()):
        t = table_year_for(y, mats)
        A = mats[t]
        lacking = [i for i in shares.columns if i not in A.index]
        if lacking:
            raise ValueError(f"coefficients of table year {t} lack industry {lacking[0]!r}")
        s = shares.xs(y, level=year)
        yield y, t, A, s, national.loc[y, s.columns]


def _frame(rows, city, year, names) -> pd.DataFrame:
    out = pd.concat(rows)
    out.index.name = city
    return out.reset_index()[[city, year, "table_year", *names]]


def chain_coagglomeration(emp: pd.DataFrame, coefficients: pd.DataFrame, *, symmetrise="max",
                          city="city", year="year", industry="industry", value="employment",
                          coef="a_ij") -> pd.DataFrame:
    r"""Input-output-weighted co-agglomeration of a city's industries.

    .. math::

        CC_c = \frac{\sum_{i \ne j} w_{ij}\, s_{ci}\, s_{cj}}{\sum_{i \ne j} w_{ij}\, S_i S_j}
             = \frac{\sum_{i \ne j} w_{ij} S_i S_j \, LQ_{ci} LQ_{cj}}
                    {\sum_{i \ne j} w_{ij} S_i S_j},
        \qquad w_{ij} = \max(a_{ij}, a_{ji}) \ \text{or}\ \tfrac{1}{2}(a_{ij} + a_{ji}),

    with :math:`s_{ci}` industry :math:`i`'s share of city :math:`c`'s employment,
    :math:`S_i` its national share (all cities of ``emp`` in the year) and
    :math:`LQ_{ci} = s_{ci}/S_i`. Each pair's co-location in the city is the product of its
    location quotients; pairs are weighted by the strength of their input-output link
    (symmetrised as Ellison, Glaeser and Kerr 2010 do: the larger direction by default) and
    by their national size. :math:`CC_c = 1` for a city with the national mix; above one, the
    city's jobs are concentrated in pairs that trade with each other more than the nation's.
    The diagonal (an industry's purchases from itself) is left out: it is specialisation,
    not co-location.

    Parameters
    ----------
    emp : DataFrame
        Long employment: one row per city, year and industry (columns named by ``city``,
        ``year``, ``industry``, ``value``); complete for every city-year, >= 0.
    coefficients : DataFrame
        Long coefficients (``year``, ``from_industry``, ``to_industry``, ``coef``), e.g.
        :func:`io_coefficients`; year t uses the nearest earlier table.
    symmetrise : {"max", "mean"}
        How :math:`a_{ij}` and :math:`a_{ji}` become one link weight.

    Returns
    -------
    DataFrame
        ``city``, ``year``, ``table_year``, ``chain_coagg``.

    Raises
    ------
    ValueError
        On missing or negative employment (naming city, year, industry), an industry without
        coefficients, a year before the first table, or an unknown ``symmetrise``.

    References
    ----------
    Ellison, G., Glaeser, E. L., Kerr, W. R. (2010). American Economic Review 100(3),
    1195-1213.

    Examples
    --------
    Industries m and s trade (a_ms = 0.2), f trades with neither. City L holds m and s, city U
    holds f and a little of m and s:

    >>> coef = pd.DataFrame({"year": 2018, "from_industry": list("mmmsssfff"),
    ...                      "to_industry": list("msfmsfmsf"),
    ...                      "a_ij": [0.3, 0.2, 0, 0.1, 0.1, 0, 0, 0, 0.1]})
    >>> emp = pd.DataFrame({"city": list("LLLUUU"), "year": 2018, "industry": list("msfmsf"),
    ...                     "employment": [50, 50, 0, 5, 5, 90]})
    >>> chain_coagglomeration(emp, coef)["chain_coagg"].round(3).tolist()
    [3.306, 0.033]
    """
    if symmetrise not in ("max", "mean"):
        raise ValueError(f"symmetrise must be 'max' or 'mean', got {symmetrise!r}")
    rows = []
    for y, t, A, s, S in _by_year(emp, coefficients, coef, (city, year, industry, value)):
        a = A.loc[s.columns, s.columns].to_numpy()
        w = np.maximum(a, a.T) if symmetrise == "max" else (a + a.T) / 2
        np.fill_diagonal(w, 0.0)
        sv, Sv = s.to_numpy(), S.to_numpy(float)
        denom = Sv @ w @ Sv
        if denom <= 0:
            raise ValueError(f"year {_py(y)}: no input-output link among the industries present")
        cc = np.einsum("ci,ij,cj->c", sv, w, sv) / denom
        rows.append(pd.DataFrame({year: y, "table_year": t, "chain_coagg": cc}, index=s.index))
    return _frame(rows, city, year, ["chain_coagg"])


def local_sourcing_potential(emp: pd.DataFrame, coefficients: pd.DataFrame, *,
                             target="manufacturing", threshold=1.0, include_own=False,
                             requirements="direct", city="city", year="year",
                             industry="industry", value="employment",
                             coef="a_ij") -> pd.DataFrame:
    r"""Share of an industry's national input requirements that the city's strong industries
    could supply.

    .. math::

        LSP_c = \frac{\sum_{i \ne m} r_{im}\, \mathbf{1}[LQ_{ci} > \tau]}{\sum_{i \ne m} r_{im}},

    with :math:`m` the target industry (manufacturing), :math:`r_{im}` its direct requirement
    :math:`a_{im}` (or total requirement :math:`l_{im}` of the Leontief inverse) per unit of
    output, :math:`LQ_{ci}` the location quotient of supplier :math:`i` in city :math:`c`
    (national benchmark: all cities of ``emp`` in the year) and :math:`\tau` the threshold (1).
    The target's purchases from itself are left out by default (``include_own=False``): they
    are most of manufacturing's inputs, and counting them would make the measure a dummy for
    manufacturing specialisation. The denominator runs over every industry of the table.

    Parameters
    ----------
    emp, coefficients : DataFrame
        As in :func:`chain_coagglomeration`.
    target : str
        The using industry whose requirements are sourced.
    threshold : float
        Location quotient above which an industry counts as over-represented.
    include_own : bool
        Count the target's purchases from itself (when its own LQ exceeds the threshold).
    requirements : {"direct", "total"}
        Direct coefficients :math:`a_{im}` or total requirements :math:`l_{im}` (diagonal
        minus one, the unit of final demand itself).

    Returns
    -------
    DataFrame
        ``city``, ``year``, ``table_year``, ``local_sourcing``, in [0, 1].
    """
    if requirements not in ("direct", "total"):
        raise ValueError(f"requirements must be 'direct' or 'total', got {requirements!r}")
    rows = []
    for y, t, A, s, S in _by_year(emp, coefficients, coef, (city, year, industry, value)):
        if target not in A.columns or target not in s.columns:
            raise ValueError(f"target industry {target!r} is not in the employment and the "
                             f"table of {t}")
        R = A if requirements == "direct" else leontief_inverse(A) - np.eye(len(A))
        r = R[target].copy()
        if not include_own:
            r[target] = 0.0
        if r.sum() <= 0:
            raise ValueError(f"table {t}: {target!r} has no input requirements to source")
        strong = (s / S > threshold).reindex(columns=r.index, fill_value=False)
        lsp = strong.to_numpy(float) @ r.to_numpy() / r.sum()
        rows.append(pd.DataFrame({year: y, "table_year": t, "local_sourcing": lsp},
                                 index=s.index))
    return _frame(rows, city, year, ["local_sourcing"])


def linkage_mix(emp: pd.DataFrame, coefficients: pd.DataFrame, *, city="city", year="year",
                industry="industry", value="employment", coef="a_ij") -> pd.DataFrame:
    r"""Employment-weighted Rasmussen backward and forward linkages of a city's industry mix.

    .. math::

        BL_c = \sum_j s_{cj}\, BL_j, \qquad FL_c = \sum_i s_{ci}\, FL_i,

    with :math:`BL_j` and :math:`FL_i` the Rasmussen (1956) indices of the national table in
    force (:func:`helpers.measure.rasmussen_linkages`: column and row sums of
    :math:`L = (I - A)^{-1}` over their mean) and :math:`s_{cj}` the city's employment shares.
    Above one, the city's jobs sit in industries that pull on (backward) or feed (forward) the
    rest of the economy more than the average industry does.

    Parameters
    ----------
    emp, coefficients : DataFrame
        As in :func:`chain_coagglomeration`.

    Returns
    -------
    DataFrame
        ``city``, ``year``, ``table_year``, ``backward_linkage``, ``forward_linkage``.

    References
    ----------
    Rasmussen, P. N. (1956). Studies in Inter-Sectoral Relations. Miller and Blair (2009),
    section 12.2.
    """
    rows = []
    for y, t, A, s, _ in _by_year(emp, coefficients, coef, (city, year, industry, value)):
        link = rasmussen_linkages(leontief_inverse(A)).loc[s.columns]
        sv = s.to_numpy()
        rows.append(pd.DataFrame({year: y, "table_year": t,
                                  "backward_linkage": sv @ link["backward"].to_numpy(),
                                  "forward_linkage": sv @ link["forward"].to_numpy()},
                                 index=s.index))
    return _frame(rows, city, year, ["backward_linkage", "forward_linkage"])


def chain_synergy(emp: pd.DataFrame, coefficients: pd.DataFrame, *, city="city", year="year",
                  industry="industry", value="employment", coef="a_ij",
                  **options) -> pd.DataFrame:
    """All chain-synergy measures of every city-year in one frame.

    Runs :func:`chain_coagglomeration` (option ``symmetrise``), :func:`local_sourcing_potential`
    (options ``target``, ``threshold``, ``include_own``, ``requirements``) and
    :func:`linkage_mix` on the same inputs and merges them.

    Returns
    -------
    DataFrame
        ``city``, ``year``, ``table_year``, ``chain_coagg``, ``local_sourcing``,
        ``backward_linkage``, ``forward_linkage``.
    """
    unknown = set(options) - {"symmetrise", "target", "threshold", "include_own", "requirements"}
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}")
    cols = {"city": city, "year": year, "industry": industry, "value": value, "coef": coef}
    cc_opt = {k: v for k, v in options.items() if k == "symmetrise"}
    ls_opt = {k: v for k, v in options.items() if k != "symmetrise"}
    keys = [city, year, "table_year"]
    out = chain_coagglomeration(emp, coefficients, **cc_opt, **cols)
    out = out.merge(local_sourcing_potential(emp, coefficients, **ls_opt, **cols), on=keys)
    return out.merge(linkage_mix(emp, coefficients, **cols), on=keys)


def employment_long(wide: pd.DataFrame, industries: Iterable[str], *, prefix="emp_",
                    suffix="", id_cols=("city", "year"),
                    missing_as_zero: Iterable[str] = ("mining",)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long employment (city, year, industry, employment) from the yearbook's wide layout.

    The City Statistical Yearbook leaves an industry blank where a city reports none of it in
    urban units; for the industries in ``missing_as_zero`` (mining: blank in cities without
    mines, e.g. Zhongshan every year) a blank is read as zero. A city-year with any other
    blank is dropped whole, and returned in the second frame so the text can count it.

    Parameters
    ----------
    wide : DataFrame
        One row per city-year, employment in columns ``prefix + industry + suffix``.
    industries : iterable of str
        Industry names, e.g. ``"manufacturing"`` for ``emp_manufacturing`` (``prefix="emp_"``,
        ``suffix=""``, the national panel of :mod:`helpers.data.china`).
    id_cols : tuple of str
        Columns identifying the city-year, carried into the long frame.
    missing_as_zero : iterable of str
        Industries whose blanks mean zero.

    Returns
    -------
    (DataFrame, DataFrame)
        The long frame (``*id_cols``, ``industry``, ``employment``) of complete city-years,
        and the dropped city-years (``*id_cols``, ``missing``: the blank industries).

    Raises
    ------
    ValueError
        On a missing column (named) or negative employment (naming the row and industry).
    """
    industries = list(industries)
    cols = {f"{prefix}{i}{suffix}": i for i in industries}
    missing = [c for c in [*id_cols, *cols] if c not in wide.columns]
    if missing:
        raise ValueError(f"wide: missing column(s) {missing}")
    emp = wide[[*id_cols, *cols]].rename(columns=cols)
    for i in missing_as_zero:
        if i in emp.columns:
            emp[i] = emp[i].fillna(0.0)
    neg = (emp[industries] < 0).to_numpy()
    if neg.any():
        r, j = np.argwhere(neg)[0]
        raise ValueError(f"wide: negative employment in {industries[j]!r} for "
                         f"{tuple(emp.iloc[r][list(id_cols)])!r}")
    blank = emp[industries].isna()
    dropped = emp.loc[blank.any(axis=1), list(id_cols)].assign(
        missing=[", ".join(b.index[b]) for _, b in blank[blank.any(axis=1)].iterrows()])
    keep = emp[~blank.any(axis=1)]
    long = keep.melt(id_vars=list(id_cols), value_vars=industries, var_name="industry",
                     value_name="employment")
    return long.reset_index(drop=True), dropped.reset_index(drop=True)
