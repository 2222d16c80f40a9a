"""The book's analysis variables, built from a raw city-year panel as a real study would.

One call, :func:`build_constructs`, turns yearbook-like indicators into the constructs the
mechanism is about: the virtual agglomeration index (entropy weights pooled over all
city-years, and a TOPSIS alternative), industrial agglomeration (location quotient of
manufacturing), industrial synergy (co-agglomeration of manufacturing and producer services),
the cities' positions in three gravity factor-flow networks, outcomes and the instrument.
It uses only :mod:`helpers.measure` and :mod:`helpers.measure.network`; it never sees the truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import data as _data
from .. import measure
from . import network

#: Indicators of virtual agglomeration and their direction (all "more is more" here).
VA_INDICATORS = {
    "broadband_per100": True,
    "telecom_per_capita": True,
    "ict_emp_share": True,
    "digital_finance_index": True,
}

#: Masses of the three factor-flow networks (column or callable on the panel).
FLOW_MASSES = {
    "talent": lambda p: np.sqrt(p["rd_personnel"] * p["avg_wage"]),
    "capital": lambda p: p["loans"],
    "technology": lambda p: p["patents_granted"],
}

#: Variables the mechanism chapter standardises and uses, with readable labels.
LABELS = {
    "va_index": "virtual agglomeration (entropy index)",
    "va_topsis": "virtual agglomeration (TOPSIS)",
    "flow_network": "factor-flow network position",
    "lq_manufacturing": "industrial agglomeration (LQ of manufacturing)",
    "synergy": "industrial synergy (co-agglomeration quality)",
    "productivity": "log labour productivity",
    "competitiveness": "log exports",
    "broadband_per100": "network size (broadband per 100 people)",
    "instrument": "instrument: ln 1984 post offices x national internet share",
}


def panel_distances(panel: pd.DataFrame) -> pd.DataFrame:
    """Great-circle distances (km) between the seats of the panel's cities.

    Guangdong's 21 cities (every panel city in :func:`helpers.data.city_table`): the registry's
    matrix, as always. Any other set (a twin of other prefecture-level cities): the seats of the
    national registry (:func:`helpers.data.cities.city_set` ``"national"``), matched by ``code`` and
    indexed by the panel's city names.
    """
    gd = _data.distance_matrix()
    names = pd.unique(panel["city"])
    if set(names) <= set(gd.index):
        keep = [c for c in gd.index if c in set(names)]     # a subset of Guangdong: its own cities only
        return gd.loc[keep, keep]
    from ..data import cities as _cities

    nat = _cities.city_set("national").reset_index().set_index("code")
    codes = panel.drop_duplicates("city").set_index("city")["code"].astype(int)
    unknown = codes[~codes.isin(nat.index)]
    if len(unknown):
        raise ValueError(f"flow_positions: city {unknown.index[0]!r} (code {unknown.iloc[0]}) is not a "
                         "prefecture-level city of the national registry; pass dist=")
    seats = nat.loc[codes.to_numpy(), ["lon", "lat"]].set_index(codes.index)
    return _data.distance_matrix(seats)


def _year_city_grid(panel: pd.DataFrame, cities: pd.Index):
    """(years, cities, (year position, city position) of every row) when each row of ``panel``
    is its own (year, city) cell of the distance matrix's ``cities``; else None.

    The positions put a mass column into the years x cities table and read each row's network
    position back without building a MultiIndex for every factor (a twin builds three).
    """
    if cities.has_duplicates:
        return None
    t, years = pd.factorize(panel["year"], sort=True)
    i = cities.get_indexer(panel["city"])
    if (t < 0).any() or (i < 0).any() or pd.Series(t * len(cities) + i).duplicated().any():
        return None
    return years, cities, (t, i)


def flow_positions(panel: pd.DataFrame, b: float = 2.0, masses: dict | None = None,
                   dist: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each city's position in the gravity factor-flow networks, per year.

    For each factor k and year t, F^k_ijt = k_ij M_i M_j / d_ij^b with k_ij = M_i / (M_i + M_j)
    (:func:`helpers.measure.network.gravity_flows`); a city's position is the log of its total
    strength, ln sum_j (F_ij + F_ji). ``flow_network`` averages the three standardised positions.
    ``dist`` (city x city, km) defaults to :func:`panel_distances` of the panel's cities.

    Returns
    -------
    DataFrame
        city, year, ``flow_<factor>`` for each factor, ``flow_network``.
    """
    masses = FLOW_MASSES if masses is None else masses
    dist = panel_distances(panel) if dist is None else dist
    out = panel[["city", "year"]].copy()
    grid = _year_city_grid(panel, dist.index)
    for name, mass in masses.items():
        m = np.asarray(mass(panel) if callable(mass) else panel[mass], dtype=float)
        if grid is None:
            wide = pd.Series(m, index=pd.MultiIndex.from_frame(panel[["year", "city"]]))
            wide = wide.unstack("city").reindex(columns=dist.index)          # years x cities
        else:   # the same table, filled by position
            years, cities, (t, i) = grid
            wide = np.full((len(years), len(cities)), np.nan)
            wide[t, i] = m
            wide = pd.DataFrame(wide, index=years, columns=cities)
        if wide.isna().any().any():
            year, city = wide.stack(future_stack=True).loc[lambda s: s.isna()].index[0]
            raise ValueError(f"flow_positions: no {name} mass for {city} in {year}")
        f = network.gravity_flows_panel(wide, dist, b=b)                 # (T, N, N), one broadcast
        strength = np.log(f.sum(axis=2) + f.sum(axis=1))
        if grid is None:
            strength = pd.DataFrame(strength, index=wide.index, columns=wide.columns).stack()
            out[f"flow_{name}"] = strength.reindex(pd.MultiIndex.from_frame(panel[["year", "city"]])).to_numpy()
        else:
            out[f"flow_{name}"] = strength[grid[2]]
    cols = [f"flow_{k}" for k in masses]
    pos = out[cols]
    z = (pos - pos.mean()) / pos.std(ddof=0)
    out["flow_network"] = z.mean(axis=1)
    return out


_SECTORS = ["manufacturing", "producer_services", "other"]


def _yearly_location_quotients(emp: pd.DataFrame) -> pd.DataFrame:
    """Location quotients of each year's cities against that year's province (columns
    :data:`_SECTORS`), indexed like ``emp``: :func:`helpers.measure.location_quotient` of each
    year's city x sector table.

    A panel with the same number of cities every year and valid employment is computed for all
    years at once (a tenth of a twin's construct building otherwise), its sums taken in the
    order ``location_quotient`` takes them on a year's table (sectors left to right, cities
    pairwise), so the quotients are bit for bit the per-year ones (``tests/test_fast_paths.py``);
    any other panel goes year by year, where ``location_quotient`` names what is wrong.
    """
    e = emp[_SECTORS].to_numpy(dtype=float)
    years, _ = pd.factorize(emp["year"].to_numpy(), sort=True)
    counts = np.bincount(years)
    if len(e) and np.all(counts == counts[0]) and np.all(np.isfinite(e)) and np.all(e >= 0):
        order = np.argsort(years, kind="stable")                 # by year, the panel's order within
        A = e[order].reshape(len(counts), counts[0], len(_SECTORS))  # year x city x sector
        e_i = (A[..., 0] + A[..., 1]) + A[..., 2]                # city totals
        E_j = np.ascontiguousarray(A.transpose(0, 2, 1)).sum(axis=2)   # province sector totals
        if np.all(e_i > 0) and np.all(E_j > 0):
            lq = np.empty_like(e)
            lq[order] = ((A / e_i[..., None]) / (E_j / e_i.sum(axis=1)[:, None])[:, None, :]).reshape(e.shape)
            return pd.DataFrame(lq, index=emp.index, columns=_SECTORS)
    lq = []
    for _, g in emp.groupby("year", sort=False):
        lq.append(measure.location_quotient(g.set_index("city")[_SECTORS]).set_index(g.index))
    return pd.concat(lq).loc[emp.index]


def build_constructs(panel: pd.DataFrame, va_indicators: dict | None = None, b: float = 2.0,
                     shift: float = 0.002) -> pd.DataFrame:
    """Analysis variables per city-year from a validated panel (see module docstring).

    Parameters
    ----------
    panel : DataFrame
        Output of :func:`helpers.data.load_panel` (all schema columns present).
    va_indicators : dict, optional
        Indicator -> positive? for the virtual agglomeration index (default :data:`VA_INDICATORS`).
    b : float
        Distance-decay exponent of the gravity networks.
    shift : float
        Shift of the min-max normalisation before entropy weighting (z' = shift + (1 - shift) z).

    Returns
    -------
    DataFrame
        city, code, region, year and the columns of :data:`LABELS` plus the parts of the
        co-agglomeration index, the three flow positions and ``va_index_lag`` (previous year's
        index, missing in the first year). ``attrs["va_weights"]`` holds the entropy weights.
    """
    ind = VA_INDICATORS if va_indicators is None else va_indicators
    X = panel[list(ind)]
    w = measure.entropy_weights(X, positive=ind, shift=shift)
    out = panel[["city", "code", "region", "year"]].copy()
    out["va_index"] = measure.entropy_index(X, positive=ind, shift=shift, weights=w).to_numpy()
    out["va_topsis"] = measure.topsis(X, w, positive=ind, shift=shift).to_numpy()

    # location quotients per year against the province of that year
    emp = panel[["city", "year"]].assign(
        manufacturing=panel["emp_manufacturing"], producer_services=panel["emp_producer_services"],
        other=panel["employment"] - panel["emp_manufacturing"] - panel["emp_producer_services"])
    if (emp["other"] < 0).any():
        i = emp.index[emp["other"] < 0][0]
        raise ValueError(f"city {emp.at[i, 'city']}, year {emp.at[i, 'year']}: sector employment "
                         "exceeds total employment")
    lq = _yearly_location_quotients(emp)
    out["lq_manufacturing"] = lq["manufacturing"].to_numpy()
    out["lq_services"] = lq["producer_services"].to_numpy()
    for part in ("quality", "scale", "full"):
        out[f"coagg_{part}"] = np.asarray(measure.coagglomeration(lq["manufacturing"], lq["producer_services"],
                                                                  part=part))
    out["synergy"] = out["coagg_quality"]

    flows = flow_positions(panel, b=b)
    for c in [c for c in flows.columns if c.startswith("flow_")]:
        out[c] = flows[c].to_numpy()

    out["productivity"] = np.log(panel["gdp"] * 1e4 / panel["employment"])  # yuan per worker, log
    out["competitiveness"] = np.log(panel["exports"])
    out["gdp_per_capita"] = panel["gdp"] * 1e4 / panel["population"]        # yuan per person
    out["population"] = panel["population"]
    out["broadband_per100"] = panel["broadband_per100"]
    hist = np.log(panel["post_offices_1984"])
    out["instrument"] = (hist - hist.groupby(panel["year"]).transform("mean")) * panel["national_internet_share"]
    out = out.sort_values(["code", "year"])
    out["va_index_lag"] = out.groupby("city")["va_index"].shift(1)
    out = out.loc[panel.index]
    out.attrs["va_weights"] = {k: float(v) for k, v in w.items()}  # plain dict: a Series in attrs breaks pandas concat
    out.attrs["simulated"] = bool(panel.attrs.get("simulated", False))
    return out


def standardize(df: pd.DataFrame, columns) -> pd.DataFrame:
    """z-scores over the whole panel (mean 0, SD 1, population SD) of the given columns."""
    out = df.copy()
    for c in columns:
        s = out[c]
        sd = s.std(ddof=0)
        if not np.isfinite(sd) or sd == 0:
            raise ValueError(f"standardize: column {c!r} is constant or empty")
        # on a float column, pandas' arithmetic is numpy's on its array: the same numbers without
        # the Series overhead (13 columns of every analysed twin)
        v = s.to_numpy() if s.dtype == np.float64 else s
        out[c] = (v - s.mean()) / sd
    return out
