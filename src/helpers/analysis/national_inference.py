r"""Tests on the national panel: one fixed-effects test, H1-H5, the specification curve, and
Guangdong beside China.

Every test standardises its outcome, regressor and controls over its own estimation sample (the
city-years where all of them are observed), so the estimate, the interval and the minimum
detectable effect (:func:`helpers.analysis.national.mde`) are in standard deviations of the outcome per
standard deviation of the regressor. Estimates and CRV1 errors come from
:func:`helpers.models.panel_fe` (clustered by city, normal reference); the cluster jackknife CRV3
(:func:`crv3_cov`, the same matrix as ``panel_fe(..., vcov="CRV3")``, computed by downdating the
cross-products instead of G refits) is read against t(G - 1). A test whose two sides share a raw
input (:func:`helpers.analysis.national.is_mechanical`) is labelled "mechanical" whatever its interval.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats

from .. import models
from .._results import Result
from .national import (
    CONTROL_SETS,
    EFFECTS,
    INPUTS,
    SAMPLES,
    SOURCE_FLAGS,
    SYNERGY,
    VA_PROXIES,
    is_mechanical,
    mde,
    seats,
    shared_inputs,
)
from .report import interval_verdict


# --------------------------------------------------------------------------- one test
def estimation_sample(c: pd.DataFrame, cols, *, sample: str = "all years",
                      guangdong_only: bool = False) -> pd.DataFrame:
    """Rows where every column is observed, restricted by ``sample``, columns standardised.

    ``sample``: "all years", "from 2013" (after the yearbook's 2013 employment coverage break) or
    "unflagged" (without the city-years the source flags: a doubling or halving, users above
    population, a zero; :data:`helpers.analysis.national.SOURCE_FLAGS`). Cities observed in a single year
    are dropped (a city effect absorbs them).
    """
    if sample not in SAMPLES:
        raise ValueError(f"sample must be one of {SAMPLES}, got {sample!r}")
    keys = [k for k in ("city", "code", "province", "year", "province_year", "guangdong", *SOURCE_FLAGS)
            if k in c.columns and k not in cols]
    d = c[keys + list(dict.fromkeys(cols))].dropna(subset=list(cols))   # only the columns a test uses
    if sample == "from 2013":
        d = d[d["year"] >= 2013]
    elif sample == "unflagged":
        flags = [f for f in SOURCE_FLAGS if f in d.columns]
        d = d[(d[flags].fillna(0) == 0).all(axis=1)]
    if guangdong_only:
        d = d[d["guangdong"]]
    d = d[d.groupby("city")["year"].transform("size") > 1].copy()
    for col in cols:
        sd = d[col].std(ddof=0)
        if not np.isfinite(sd) or sd == 0:
            raise ValueError(f"column {col!r} is constant or empty in the estimation sample")
        d[col] = (d[col] - d[col].mean()) / sd
    return d


def _city_demean(d: pd.DataFrame, X: np.ndarray) -> np.ndarray:
    g = pd.factorize(d["city"], sort=True)[0]
    means = np.zeros((g.max() + 1, X.shape[1]))
    np.add.at(means, g, X)
    return X - (means / np.bincount(g)[:, None])[g]


def crv3_cov(d: pd.DataFrame, y: str, regs: list, *, time: str = "year") -> np.ndarray:
    """Cluster jackknife covariance by city (see :func:`_crv3`), BLAS on one thread (small solves)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _crv3(d, y, regs, time)


def _crv3(d: pd.DataFrame, y: str, regs: list, time: str) -> np.ndarray:
    r"""Cluster jackknife covariance (CRV3) of a regression with city and ``time`` effects, by city.

    .. math:: \hat V_3 = \frac{G-1}{G}\sum_g (\hat\beta_{(g)} - \hat\beta)(\hat\beta_{(g)} - \hat\beta)'

    City effects are nested in the clusters, so city-demeaning is unaffected by dropping a city;
    the time effects enter as city-demeaned dummies (a linearly independent subset), and each
    :math:`\hat\beta_{(g)}` solves the normal equations with cluster g's cross-products removed
    (Woodbury downdate; dummies left without observations are dropped). Equals ``panel_fe(..., vcov="CRV3")``
    (tests/test_national.py).
    """
    D = pd.get_dummies(d[time], dtype=float).to_numpy()
    Xr = _city_demean(d, d[regs].to_numpy(dtype=float))
    Dr = _city_demean(d, D)
    M = Dr.T @ Dr
    r, P = linalg.qr(M, mode="r", pivoting=True)
    rank = int(np.sum(np.abs(np.diag(r)) > 1e-9 * max(1.0, abs(r[0, 0]))))
    Dr = Dr[:, np.sort(P[:rank])]
    X = np.column_stack([Xr, Dr])
    yr = _city_demean(d, d[[y]].to_numpy(dtype=float)).ravel()
    A, b = X.T @ X, X.T @ yr
    Ainv = np.linalg.inv(A)
    beta = Ainv @ b
    g = pd.factorize(d["city"], sort=True)[0]
    G, k = g.max() + 1, len(regs)
    # a time dummy observed in one city only is emptied when that city is dropped
    owners = np.zeros((G, Dr.shape[1]), dtype=int)
    np.add.at(owners, g, (np.abs(Dr) > 1e-12).astype(int))
    solo = (owners > 0).sum(axis=0) == 1
    dev = np.empty((G, k))
    for j in range(G):
        rows = g == j
        dropped = k + np.flatnonzero(solo & (owners[j] > 0))
        keep = np.setdiff1d(np.arange(X.shape[1]), dropped)
        Ai = Ainv if not len(dropped) else (
            Ainv[np.ix_(keep, keep)] - Ainv[np.ix_(keep, dropped)]
            @ np.linalg.solve(Ainv[np.ix_(dropped, dropped)], Ainv[np.ix_(dropped, keep)]))
        U = X[np.ix_(rows, keep)]
        v = b[keep] - U.T @ yr[rows]
        C = U @ Ai
        S = np.eye(len(U)) - C @ U.T
        if np.linalg.cond(S) < 1e8:   # Woodbury downdate of (X'X)^-1 by the cluster's rows
            dev[j] = Ai[:k] @ v + C[:, :k].T @ np.linalg.solve(S, C @ v) - beta[:k]
        else:   # any other rank loss: solve the downdated normal equations directly
            Ag = A[np.ix_(keep, keep)] - U.T @ U
            dev[j] = np.linalg.lstsq(Ag, v, rcond=None)[0][:k] - beta[:k]
    return (G - 1) / G * dev.T @ dev


def _row(est: float, se: float, *, n: int, G: int, vcov: str, level: float, alpha: float,
         power: float) -> dict:
    """Interval, p-value and MDE of one estimate: normal (CRV1) or t(G - 1) (CRV3)."""
    dfree = None if vcov == "CRV1" else G - 1
    q = stats.norm if dfree is None else stats.t(dfree)
    h = q.ppf(0.5 + level / 2) * se
    return {"estimate": est, "se": se, "ci_low": est - h, "ci_high": est + h,
            "p": float(2 * q.sf(abs(est / se))), "mde": mde(se, alpha=alpha, power=power, df=dfree),
            "n": n, "clusters": G}


def fe_test(c: pd.DataFrame, y: str, x: str, *, controls=(), effects: str = "city + year",
            sample: str = "all years", vcov: str = "CRV1", extra=(), coef: str | None = None,
            level: float = 0.95, alpha: float = 0.05, power: float = 0.8,
            guangdong_only: bool = False) -> dict:
    """One fixed-effects test of ``coef`` (default ``x``) in y ~ x + extra + controls.

    ``extra``: further regressors built by the caller on the standardised sample (callables
    ``name -> f(d)``, e.g. an interaction); ``effects`` a key of :data:`helpers.analysis.national.EFFECTS`;
    ``vcov`` "CRV1" (normal) or "CRV3" (t(G - 1)). Returns the row of :func:`_row` plus the
    specification.
    """
    if vcov not in ("CRV1", "CRV3"):
        raise ValueError(f"vcov must be 'CRV1' or 'CRV3', got {vcov!r}")
    if effects not in EFFECTS:
        raise ValueError(f"effects must be one of {list(EFFECTS)}, got {effects!r}")
    controls = list(controls)
    d = estimation_sample(c, [y, x, *controls], sample=sample, guangdong_only=guangdong_only)
    extra = dict(extra)
    for name, f in extra.items():
        d[name] = f(d)
    regs = [x, *extra, *controls]
    time = EFFECTS[effects]
    res = models.panel_fe(d, y, [x, *extra], controls=controls, time=time, vcov="CRV1")   # CRV3 below
    coef = x if coef is None else coef
    se = float(res.std_errors[coef])
    if vcov == "CRV3":
        cov = crv3_cov(d, y, regs, time=time)
        se = float(np.sqrt(cov[regs.index(coef), regs.index(coef)]))
    out = {"y": y, "x": x, "coef": coef, "controls": " + ".join(controls) or "none", "effects": effects,
           "sample": sample, "vcov": vcov}
    out.update(_row(float(res.params[coef]), se, n=res.nobs, G=res.n_clusters, vcov=vcov, level=level,
                    alpha=alpha, power=power))
    return out


def verdict(row: dict, mechanical: bool) -> str:
    """'mechanical' when the sides share inputs; else the book's interval verdict."""
    return "mechanical" if mechanical else interval_verdict(row["ci_low"], row["ci_high"])


# --------------------------------------------------------------------------- the specification curve
@dataclass(repr=False)
class SpecCurve(Result):
    """The specification curve: ``table`` (one row per specification) and ``shares``."""

    table: pd.DataFrame
    shares: pd.DataFrame
    skipped: list

    def summary(self) -> str:
        return (f"Specification curve: {len(self.table)} specifications\n"
                + self.shares.to_string(float_format=lambda v: f"{v:.3f}"))


def curve_shares(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Share positive, negative, significant positive, significant negative (p < alpha), for all
    specifications and for those not labelled mechanical."""
    rows = {}
    for name, t in (("all", table), ("not mechanical", table[~table["mechanical"]])):
        n = len(t)
        sig = t["p"] < alpha
        rows[name] = {"specifications": n,
                      "positive": (t["estimate"] > 0).mean() if n else np.nan,
                      "negative": (t["estimate"] < 0).mean() if n else np.nan,
                      "significant positive": ((t["estimate"] > 0) & sig).mean() if n else np.nan,
                      "significant negative": ((t["estimate"] < 0) & sig).mean() if n else np.nan}
    out = pd.DataFrame(rows).T
    out["specifications"] = out["specifications"].astype(int)
    return out


def curve_shares_by(table: pd.DataFrame, by: str = "y", alpha: float = 0.05,
                    order=None) -> pd.DataFrame:
    """:func:`curve_shares` of the specifications of each value of ``by`` (default the synergy
    construct): one row per value and scope ("all", "not mechanical"), index (value, scope),
    values in ``order`` (those present; default: sorted)."""
    present = set(table[by])
    values = [v for v in order if v in present] if order is not None else sorted(present)
    parts = {v: curve_shares(table[table[by] == v], alpha) for v in values}
    if not parts:
        return curve_shares(table, alpha).iloc[:0]
    out = pd.concat(parts, names=[by, "scope"])
    return out


def specification_curve(c: pd.DataFrame, *, va=VA_PROXIES, synergy=SYNERGY, controls=None,
                        samples=SAMPLES, effects=tuple(EFFECTS), vcov: str = "CRV1", level: float = 0.95,
                        alpha: float = 0.05, power: float = 0.8) -> SpecCurve:
    """Every combination of virtual-agglomeration proxy x synergy construct x control set x
    sample x fixed effects, each a :func:`fe_test` of synergy on the proxy (Simonsohn et al. 2020).

    Proxies and synergy constructs absent from ``c`` (e.g. the PKU index when the reader has
    none, chain synergy without employment by industry) are skipped and listed in ``skipped``.
    Returns a :class:`SpecCurve` whose table is sorted by estimate, with sign, significance,
    mechanical flag and verdict per specification.
    """
    controls = CONTROL_SETS if controls is None else controls
    skipped = [v for v in (*va, *synergy) if v not in c.columns or c[v].notna().sum() == 0]
    rows = []
    for x, y, (cname, cs), s, e in itertools.product([v for v in va if v not in skipped],
                                                      [v for v in synergy if v not in skipped],
                                                      controls.items(), samples, effects):
        r = fe_test(c, y, x, controls=cs, effects=e, sample=s, vcov=vcov, level=level, alpha=alpha,
                    power=power)
        r["controls"] = cname
        mech = is_mechanical(x, y)
        r.update(mechanical=mech, shared=", ".join(sorted(shared_inputs(x, y))),
                 significant=r["p"] < alpha, sign=int(np.sign(r["estimate"])), verdict=verdict(r, mech))
        rows.append(r)
    table = pd.DataFrame(rows).sort_values("estimate", kind="stable").reset_index(drop=True)
    table.index.name = "rank"
    return SpecCurve(table=table, shares=curve_shares(table, alpha), skipped=skipped)


# --------------------------------------------------------------------------- H1-H5
def _neighbour_mean(d: pd.DataFrame, x: str, power: float = 2.0) -> np.ndarray:
    """W x with row-standardised inverse-distance weights among the sample's cities of each year."""
    out = np.empty(len(d))
    pos = {i: k for k, i in enumerate(d.index)}
    from ..data.cities import great_circle_km

    for _, g in d.groupby("year"):
        s = seats(g["code"])
        lon, lat = s["lon"].to_numpy(), s["lat"].to_numpy()
        dist = great_circle_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
        with np.errstate(divide="ignore"):
            w = np.where(dist > 0, dist ** -power, 0.0)
        w /= w.sum(axis=1, keepdims=True)
        out[[pos[i] for i in g.index]] = w @ g[x].to_numpy()
    return out


def _mediation_row(c, x, m, y, *, controls, effects, sample, vcov, level=0.95, alpha=0.05,
                   power=0.8) -> dict:
    """a x b with the delta-method (Sobel) standard error from two FE regressions, same sample."""
    cols = [y, x, m, *controls]
    keep = c.dropna(subset=cols).index
    a = fe_test(c.loc[keep], m, x, controls=controls, effects=effects, sample=sample, vcov=vcov)
    b = fe_test(c.loc[keep], y, m, controls=[x, *controls], effects=effects, sample=sample, vcov=vcov)
    est = a["estimate"] * b["estimate"]
    se = float(np.sqrt(b["estimate"] ** 2 * a["se"] ** 2 + a["estimate"] ** 2 * b["se"] ** 2))
    out = {k: a[k] for k in ("y", "x", "controls", "effects", "sample", "vcov")}
    out.update(y=y, coef=f"{x} -> {m} -> {y}")
    out.update(_row(est, se, n=a["n"], G=a["clusters"], vcov=vcov, level=level, alpha=alpha, power=power))
    return out


HYPOTHESES = {
    "H1": "virtual agglomeration raises synergy (FE)",
    "H2": "through factor flows: x -> gravity position of loans -> synergy (a x b)",
    "H3": "through industrial agglomeration: x -> LQ of secondary VA -> synergy (a x b)",
    "H4": "larger above the network-size threshold: x x (broadband per 100 above the year median)",
    "H5": "spills over: neighbours' x (inverse-distance W x) -> a city's synergy (SLX)",
    "O1": "raises production efficiency: x -> log GDP per urban-unit employee",
    "O2": "synergy raises production efficiency: synergy -> log GDP per urban-unit employee",
}


#: The constructs each test relates (the mechanical rule checks every pair); "m" the mediator.
_PAIRS = {"H1": ("x", "y"), "H2": ("x", "flow_capital", "y"), "H3": ("x", "lq_secondary", "y"),
          "H4": ("x", "y"), "H5": ("x", "y"), "O1": ("x", "productivity_worker"),
          "O2": ("y", "productivity_worker")}


def _one_hypothesis(h: str, base: pd.DataFrame, x: str, y: str, k: dict) -> dict:
    """Estimate of hypothesis ``h`` (:data:`HYPOTHESES`) with the options ``k`` of :func:`fe_test`."""
    if h == "H1":
        return fe_test(base, y, x, **k)
    if h in ("H2", "H3"):
        return _mediation_row(base, x, _PAIRS[h][1], y, **k)
    if h == "H4":
        bb = base.dropna(subset=["broadband_per100"])
        hx = f"{x} x high"
        return fe_test(bb, y, x, coef=hx, **k, extra={
            "high": lambda d: _above_median(d, bb), hx: lambda d: d[x] * _above_median(d, bb)})
    if h == "H5":
        wx = f"W {x}"
        return fe_test(base, y, x, coef=wx, extra={wx: lambda d: _neighbour_mean(d, x)}, **k)
    return fe_test(base, "productivity_worker", x if h == "O1" else y, **k)


def hypothesis_tests(c: pd.DataFrame, *, x: str = "va_entropy", y: str = "coagg_full",
                     controls=("log_population",), effects=tuple(EFFECTS), vcovs=("CRV1", "CRV3"),
                     sample: str = "all years", level: float = 0.95, alpha: float = 0.05,
                     power: float = 0.8, guangdong_only: bool = False) -> pd.DataFrame:
    """H1-H5 and the two efficiency tests (:data:`HYPOTHESES`) for each fixed-effects variant and
    covariance, with estimate, interval, p, MDE, N, clusters, the mechanical flag and verdict.

    A mediation (H2, H3) is mechanical when any two of x, the mediator and y share an input.
    """
    base = c[c["guangdong"]] if guangdong_only else c
    rows = []
    for e, v in itertools.product(effects, vcovs):
        k = {"controls": list(controls), "sample": sample, "level": level, "alpha": alpha,
             "power": power, "effects": e, "vcov": v}
        for h in HYPOTHESES:
            r = _one_hypothesis(h, base, x, y, k)
            names = [{"x": x, "y": y}.get(n, n) for n in _PAIRS[h]]
            pairs = list(itertools.combinations(names, 2))
            mech = any(is_mechanical(a, b) for a, b in pairs)
            shared = sorted(set().union(*(shared_inputs(a, b) for a, b in pairs)))
            r.update(hypothesis=h, mechanical=mech, shared=", ".join(shared), verdict=verdict(r, mech))
            rows.append(r)
    cols = ["hypothesis", "effects", "vcov", "coef", "estimate", "se", "ci_low", "ci_high", "p", "mde",
            "n", "clusters", "mechanical", "shared", "verdict", "y", "x", "controls", "sample"]
    return pd.DataFrame(rows)[cols]


def _above_median(d: pd.DataFrame, c: pd.DataFrame) -> np.ndarray:
    """1 where broadband per 100 residents is above the year's median of the sample (network size)."""
    bb = c.loc[d.index, "broadband_per100"]
    med = bb.groupby(d["year"]).transform("median")
    return (bb > med).astype(float).to_numpy()


def guangdong_vs_national(c: pd.DataFrame, **kw) -> pd.DataFrame:
    """:func:`hypothesis_tests` on the Guangdong cities alone beside the national panel (city +
    year effects; CRV1 and CRV3), one row per hypothesis and covariance."""
    kw.setdefault("effects", ("city + year",))
    nat = hypothesis_tests(c, **kw).assign(scope="China")
    gd = hypothesis_tests(c, guangdong_only=True, **kw).assign(scope="Guangdong")
    keep = ["hypothesis", "vcov", "estimate", "ci_low", "ci_high", "p", "mde", "n", "clusters", "verdict"]
    wide = pd.concat([nat, gd]).pivot_table(index=["hypothesis", "vcov"], columns="scope", values=keep[2:],
                                             aggfunc="first")
    return wide


__all__ = [
    "HYPOTHESES",
    "INPUTS",
    "SpecCurve",
    "crv3_cov",
    "curve_shares",
    "curve_shares_by",
    "estimation_sample",
    "fe_test",
    "guangdong_vs_national",
    "hypothesis_tests",
    "specification_curve",
    "verdict",
]


def scope_table(wide: pd.DataFrame, *, vcov: str = "CRV3") -> pd.DataFrame:
    """:func:`guangdong_vs_national` as a flat table for one covariance: estimate, interval, MDE,
    cities and verdict for Guangdong and for China, one row per hypothesis."""
    w = wide.xs(vcov, level="vcov")
    out = pd.DataFrame(index=w.index)
    for scope in ("Guangdong", "China"):
        for k in ("estimate", "ci_low", "ci_high", "mde", "clusters", "verdict"):
            out[f"{scope}: {k}"] = w[(k, scope)]
    return out
