r"""Cluster synergy: co-agglomeration of manufacturing and producer services in a city panel.

The index the Chinese literature uses for "collaborative agglomeration" (协同集聚) of
manufacturing (m) and producer services (s), computed from location quotients of employment
within each year:

.. math::

    LQ^k_{it} = \frac{e^k_{it} / e_{it}}{\sum_j e^k_{jt} / \sum_j e_{jt}}, \qquad
    CA_{it} = \underbrace{1 - \frac{|LQ^m_{it} - LQ^s_{it}|}{LQ^m_{it} + LQ^s_{it}}}_{\text{quality}}
              + \underbrace{(LQ^m_{it} + LQ^s_{it})}_{\text{scale}},

with :math:`e^k_{it}` employment of sector k in city i and year t, :math:`e_{it}` the city's
total employment (all industries), and the benchmark the sum over the panel's cities in the
same year (the nation, when the panel is the nation). The quality part lies in (0, 1] (1 when the
two quotients are equal), the scale part grows with the joint weight of both sectors. Producer
services :data:`PRODUCER_SERVICES` are the sum of ICT; finance; research and technical services;
leasing and business services; transport, storage and post.

Quotients are computed within each year because employment coverage changes between editions
(the City Statistical Yearbook's urban-unit employment widened after the 2013 economic census):
a within-year ratio is comparable across years, a level is not.

The location quotient and the two-part index themselves are :func:`helpers.measure.location_quotient`
and :func:`helpers.measure.coagglomeration`; this module applies them to a long city-year frame.
Ellison-Glaeser-Kerr co-agglomeration needs plant-level data and is not computed.

References
----------
Chen, J., Liu, Y., Zou, M. (2016). Urban productivity improvement under industrial
co-agglomeration. Journal of Zhejiang University (Humanities and Social Sciences) 46(3).
Ellison, G., Glaeser, E. L., Kerr, W. R. (2010). What causes industry agglomeration? American
Economic Review 100(3), 1195-1213 (the plant-level alternative, not computed here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._results import as_list
from .agglomeration import coagglomeration, location_quotient

#: Producer services (generic column names of :func:`coagglomeration_panel`).
PRODUCER_SERVICES = ("emp_ict", "emp_finance", "emp_research_tech", "emp_leasing_business",
                     "emp_transport")


def _check_rows(df: pd.DataFrame, cols: list[str], entity: str, by: str) -> None:
    """A ValueError naming the city, year and column of the first missing or negative value."""
    missing = [c for c in [entity, by, *cols] if c not in df.columns]
    if missing:
        raise KeyError(f"coagglomeration_panel: column(s) {missing} not in the data")
    for c in cols:
        v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(v) | (v < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"coagglomeration_panel: {entity} {df[entity].iat[i]}, {by} {df[by].iat[i]}: "
                             f"column {c!r} is missing, negative or infinite ({df[c].iat[i]!r})")
    dup = df.duplicated([entity, by]).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise ValueError(f"coagglomeration_panel: {entity} {df[entity].iat[i]}, {by} {df[by].iat[i]} "
                         "appears more than once")


def coagglomeration_panel(df: pd.DataFrame, *, manufacturing: str = "emp_manufacturing",
                          services=PRODUCER_SERVICES, total: str = "employment", entity: str = "city",
                          by: str = "year") -> pd.DataFrame:
    r"""Location quotients and co-agglomeration of manufacturing and producer services, per year.

    Parameters
    ----------
    df : DataFrame
        Long panel, one row per ``entity`` and ``by`` (year), with employment columns (persons).
    manufacturing : str
        Manufacturing employment column.
    services : sequence of str
        Producer-service employment columns, summed (default :data:`PRODUCER_SERVICES`).
    total : str
        Total employment of the city (all industries, not only the two groups): the denominator
        :math:`e_{it}` of the location quotient.
    entity, by : str
        City and year columns; the benchmark is the sum over the rows of each ``by`` group.

    Returns
    -------
    DataFrame
        Indexed like ``df``: ``lq_manufacturing``, ``lq_services``, ``coagg_quality``,
        ``coagg_scale``, ``coagg_full`` (module docstring formulas).

    Raises
    ------
    ValueError
        A missing or negative value (naming city, year, column), a duplicated city-year, a
        city whose two groups exceed its total, or a city with zero total employment.
    KeyError
        A named column absent from ``df``.

    Examples
    --------
    Two cities, one year: A has 60 of 100 workers in manufacturing and 10 in services, B 20 of
    100 and 30. The benchmark shares are 80/200 and 40/200, so LQ_m(A) = 0.6/0.4 = 1.5,
    LQ_s(A) = 0.1/0.2 = 0.5 and CA(A) = 1 - 1/2 + 2 = 2.5.

    >>> d = pd.DataFrame({"city": ["A", "B"], "year": [2015, 2015], "m": [60, 20], "s": [10, 30],
    ...                   "tot": [100, 100]})
    >>> coagglomeration_panel(d, manufacturing="m", services=["s"], total="tot")["coagg_full"].tolist()
    [2.5, 2.5]
    """
    services = as_list(services, "services")
    cols = [manufacturing, *services, total]
    _check_rows(df, cols, entity, by)
    emp = pd.DataFrame({"m": df[manufacturing].astype(float), "s": df[services].astype(float).sum(axis=1)},
                       index=df.index)
    emp["other"] = df[total].astype(float) - emp["m"] - emp["s"]
    over = emp["other"] < -1e-9 * df[total].astype(float).abs()
    if over.any():
        i = int(np.flatnonzero(over.to_numpy())[0])
        raise ValueError(f"coagglomeration_panel: {entity} {df[entity].iat[i]}, {by} {df[by].iat[i]}: "
                         f"manufacturing plus producer services exceed {total!r}")
    emp["other"] = emp["other"].clip(lower=0.0)
    lq = []
    for _, g in emp.groupby(df[by], sort=False):
        labelled = g.set_index(df.loc[g.index, entity])
        try:
            q = location_quotient(labelled)
        except ValueError as e:  # name the year as well as the city
            raise ValueError(f"coagglomeration_panel, {by} {df.loc[g.index[0], by]}: {e}") from None
        lq.append(q.set_index(g.index))
    lq = pd.concat(lq).loc[df.index]
    out = pd.DataFrame({"lq_manufacturing": lq["m"], "lq_services": lq["s"]}, index=df.index)
    for part in ("quality", "scale", "full"):
        out[f"coagg_{part}"] = coagglomeration(out["lq_manufacturing"], out["lq_services"], part=part).to_numpy()
    return out
