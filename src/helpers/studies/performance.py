r"""Performance measures of a simulation study, with Monte Carlo error (Morris, White & Crowther 2019).

Every share a simulation study reports (power, size, coverage) is a binomial proportion
:math:`\hat p = k / n` over ``n`` twins; every mean (bias, RMSE) has Monte Carlo error too. This
module gives:

* :func:`clopper_pearson`: the exact (Clopper-Pearson) interval of a share,
  :math:`[B^{-1}(\alpha/2; k, n-k+1),\ B^{-1}(1-\alpha/2; k+1, n-k)]` with the bounds 0 at
  ``k = 0`` and 1 at ``k = n``; never an interval of width 0 at a rate of 0.
* :func:`estimator_performance`: bias, empirical SE, RMSE and coverage with their Monte Carlo SEs
  (Morris, White & Crowther 2019, "Using simulation studies to evaluate statistical methods",
  *Statistics in Medicine* 38, Table 6).
* :func:`size_verdict`: the size of a one-sided test judged against its own nominal level with an
  equivalence margin.
* :func:`minimum_design`: the smallest design on an N x T grid that suffices for an estimator,
  with the product-order rule of issue 22.
* :func:`mcnemar_exact`: the exact McNemar test of two paired verdicts (the discordant pairs).
* :func:`performance_table`: every estimate's and hypothesis's performance in every cell of a
  design study (bias, RMSE, coverage, power, rejection rates in the no-effect worlds,
  size-adjusted power), from its per-twin rows.

Pure functions of counts and estimates: nothing here knows the twin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "COVERAGE_CLAIM_MCSE",
    "ONE_SIDED_NOMINAL",
    "clopper_pearson",
    "coverage_mcse_for_claim",
    "estimator_performance",
    "minimum_design",
    "mcnemar_exact",
    "minimum_designs",
    "performance_by_cell",
    "performance_table",
    "size_adjusted_power",
    "size_verdict",
]

#: Largest Monte Carlo SE of a coverage the book states as a coverage claim (issue 22): with a
#: larger one the chapter gives the coverage with its SE and does not call it a claim.
COVERAGE_CLAIM_MCSE = 0.01

#: Nominal rejection rate of a one-sided verdict "the 95% two-sided interval lies above zero":
#: under the null it rejects with probability 0.025, not 0.05.
ONE_SIDED_NOMINAL = 0.025


def clopper_pearson(k, n, level: float = 0.95):
    r"""Exact (Clopper-Pearson 1934) interval of a binomial share ``k / n``.

    .. math:: p_L = B^{-1}\!\left(\tfrac{1-\ell}{2};\ k,\ n-k+1\right),\qquad
              p_U = B^{-1}\!\left(\tfrac{1+\ell}{2};\ k+1,\ n-k\right)

    with :math:`B^{-1}` the beta quantile, :math:`p_L = 0` at ``k = 0`` and :math:`p_U = 1` at
    ``k = n``. Equals ``scipy.stats.binomtest(k, n).proportion_ci(level, method="exact")`` and
    ``statsmodels`` ``proportion_confint(k, n, 1 - level, method="beta")``.

    Parameters
    ----------
    k, n : int or array-like
        Successes and trials (``0 <= k <= n``, ``n >= 1``).
    level : float
        Confidence level.

    Returns
    -------
    (low, high) : floats, or arrays of the broadcast shape
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n) or np.any(k != np.round(k)):
        raise ValueError(f"clopper_pearson needs whole counts 0 <= k <= n and n >= 1, got k={k}, n={n}")
    a = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(a, np.maximum(k, 1), n - k + 1), 0.0)
        hi = np.where(k < n, stats.beta.ppf(1 - a, k + 1, np.maximum(n - k, 1)), 1.0)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def estimator_performance(estimates, truth, covers=None, level: float = 0.95) -> pd.Series:
    r"""Bias, empirical SE, RMSE and coverage over ``n`` twins, each with its Monte Carlo SE.

    With :math:`\hat\theta_i` the estimates and :math:`\theta_i` the truths (a scalar or one per
    twin), :math:`d_i = \hat\theta_i - \theta_i` (Morris, White & Crowther 2019, Table 6):

    .. math::
        \text{bias} = \bar d,\quad \widehat{\text{MCSE}}(\text{bias}) = s_{\hat\theta}/\sqrt n,
        \qquad \text{EmpSE} = s_{\hat\theta},\quad
        \widehat{\text{MCSE}}(\text{EmpSE}) = s_{\hat\theta}/\sqrt{2(n-1)},

    .. math::
        \text{MSE} = \tfrac1n\sum d_i^2,\quad
        \widehat{\text{MCSE}}(\text{MSE}) = \sqrt{\tfrac{\sum (d_i^2 - \text{MSE})^2}{n(n-1)}},
        \qquad \text{RMSE} = \sqrt{\text{MSE}},\quad
        \widehat{\text{MCSE}}(\text{RMSE}) = \frac{\widehat{\text{MCSE}}(\text{MSE})}{2\,\text{RMSE}}

    (the last by the delta method), and coverage :math:`\hat c` with
    :math:`\sqrt{\hat c(1-\hat c)/n}` and its Clopper-Pearson interval. With a truth that varies
    by twin, :math:`s_{\hat\theta}` is replaced by the SD of :math:`d_i` in the bias's MCSE.
    Twins with a missing estimate or truth are dropped (``n`` counts the rest).
    """
    est = np.asarray(estimates, dtype=float)
    tru = np.broadcast_to(np.asarray(truth, dtype=float), est.shape)
    keep = np.isfinite(est) & np.isfinite(tru)
    d, e = est[keep] - tru[keep], est[keep]
    n = int(keep.sum())
    out = {"n": n}
    if n < 2:
        raise ValueError(f"estimator_performance needs at least 2 twins with an estimate, got {n}")
    s_d = d.std(ddof=1)
    mse = float(np.mean(d ** 2))
    mse_se = float(np.sqrt(np.sum((d ** 2 - mse) ** 2) / (n * (n - 1))))
    out.update(bias=float(d.mean()), bias_mcse=float(s_d / np.sqrt(n)),
               emp_se=float(e.std(ddof=1)), emp_se_mcse=float(e.std(ddof=1) / np.sqrt(2 * (n - 1))),
               rmse=float(np.sqrt(mse)), rmse_mcse=mse_se / (2 * np.sqrt(mse)) if mse > 0 else np.nan)
    if covers is not None:
        c = np.asarray(covers, dtype=float)[keep]
        c = c[np.isfinite(c)]
        k, m = int(c.sum()), len(c)
        lo, hi = clopper_pearson(k, m, level) if m else (np.nan, np.nan)
        p = k / m if m else np.nan
        out.update(coverage=p, coverage_mcse=float(np.sqrt(p * (1 - p) / m)) if m else np.nan,
                   coverage_low=lo, coverage_high=hi)
    return pd.Series(out)


def size_verdict(k: int, n: int, *, nominal: float = ONE_SIDED_NOMINAL, margin: float = 2.0,
                 level: float = 0.95) -> dict:
    r"""Judge the size of a test from ``k`` rejections in ``n`` twins of a no-effect world.

    The rate :math:`\hat p = k/n` has the Clopper-Pearson interval :math:`[p_L, p_U]`
    (:func:`clopper_pearson`). With the equivalence margin :math:`m` (``margin``) the size is

    * ``"held"`` when :math:`p_U \le m \cdot \text{nominal}` (the data rule out a rate above the
      margin),
    * ``"exceeded"`` when :math:`p_L > m \cdot \text{nominal}`,
    * ``"undetermined"`` otherwise (too few twins to tell).

    ``nominal`` is the test's own level: a one-sided verdict "the 95% interval lies above zero"
    has nominal 0.025 (:data:`ONE_SIDED_NOMINAL`), a two-sided 5% test 0.05. The default margin
    2 tolerates up to twice the nominal rate (0.05 for a one-sided verdict), the usual "liberal
    but acceptable" bound of size studies; pass another to be stricter.
    """
    if margin < 1:
        raise ValueError(f"margin must be at least 1 (a multiple of the nominal level), got {margin}")
    lo, hi = clopper_pearson(k, n, level)
    bound = margin * nominal
    verdict = "held" if hi <= bound else ("exceeded" if lo > bound else "undetermined")
    return {"rate": k / n, "low": lo, "high": hi, "twins": int(n), "nominal": nominal,
            "bound": bound, "verdict": verdict}


def _dominates(a, b) -> bool:
    # product order: b is at least as large as a in both N and T
    return b[0] >= a[0] and b[1] >= a[1]


def minimum_design(cells: pd.DataFrame, *, consistent: bool, target: float = 0.8,
                   level: float = 0.95) -> dict:
    r"""The smallest design of an N x T grid that suffices for one estimator (issue 22, item 5).

    ``cells`` has one row per design with columns ``n_cities``, ``n_years``, ``k`` (twins whose
    verdict was "supported" in the world where the effect is real) and ``n`` (twins). A design
    (N, T) is **sufficient** when

    1. the estimator is consistent for its estimand there (``consistent``, a flag the caller
       passes: e.g. a fixed-effects estimate is not consistent when an unobserved shock moves
       both regressor and outcome; then no design suffices, whatever its power);
    2. the lower ``level`` Clopper-Pearson bound of its power is at least ``target``; and
    3. so is the lower bound at every larger design of the grid, in the product order
       (N' >= N and T' >= T).

    Power that *clearly falls* with more data (some larger design's upper bound below a smaller
    design's lower bound) is not monotone, and then no design in the grid suffices: the grid
    cannot vouch that more data keep the power. The smallest sufficient design is the one with
    the fewest city-years, then the fewest cities.

    Returns
    -------
    dict
        ``n_cities``, ``n_years`` (NaN when none), ``power``, ``low``, ``high`` there, and
        ``reason``: ``"sufficient"``, ``"inconsistent"``, ``"not monotone"``,
        ``"below target"`` (no design's lower bound reaches the target) or
        ``"not in every larger design"``; with ``"not monotone"`` also ``fall``, the first pair of
        designs (smaller -> larger) where power clearly falls.
    """
    need = {"n_cities", "n_years", "k", "n"}
    if not need <= set(cells.columns):
        raise ValueError(f"minimum_design: cells need columns {sorted(need)}, got {list(cells.columns)}")
    d = cells[list(need)].astype(float).copy()
    if d.duplicated(["n_cities", "n_years"]).any():
        raise ValueError("minimum_design: one row per (n_cities, n_years), found duplicates")
    d["power"] = d["k"] / d["n"]
    d["low"], d["high"] = clopper_pearson(d["k"].to_numpy(), d["n"].to_numpy(), level)
    d["ok"] = d["low"] >= target
    none = {"n_cities": np.nan, "n_years": np.nan, "power": np.nan, "low": np.nan, "high": np.nan}
    if not consistent:
        return {**none, "reason": "inconsistent"}
    pts = list(zip(d["n_cities"], d["n_years"]))
    for i, a in enumerate(pts):
        for j, b in enumerate(pts):
            if a != b and _dominates(a, b) and d["high"].iloc[j] < d["low"].iloc[i]:
                fall = f"{int(a[0])} x {int(a[1])} -> {int(b[0])} x {int(b[1])}"
                return {**none, "reason": "not monotone", "fall": fall}
    if not d["ok"].any():
        return {**none, "reason": "below target"}
    good = [i for i, a in enumerate(pts)
            if d["ok"].iloc[i] and all(d["ok"].iloc[j] for j, b in enumerate(pts) if _dominates(a, b))]
    if not good:
        return {**none, "reason": "not in every larger design"}
    g = d.iloc[good].assign(cy=lambda x: x["n_cities"] * x["n_years"]).sort_values(["cy", "n_cities"])
    best = g.iloc[0]
    return {"n_cities": float(best["n_cities"]), "n_years": float(best["n_years"]),
            "power": float(best["power"]), "low": float(best["low"]), "high": float(best["high"]),
            "reason": "sufficient"}


def minimum_designs(long: pd.DataFrame, measures, consistent, *, target: float = 0.8, level: float = 0.95,
                    world: str = "effect") -> pd.DataFrame:
    """:func:`minimum_design` for each measure of a long table of shares.

    ``long`` has columns ``world``, ``n_cities``, ``n_years``, ``measure``, ``share`` and
    ``twins`` (as :func:`helpers.studies.power.power_long` returns); ``consistent`` maps a
    measure to the flag of :func:`minimum_design` (a dict or a function). Returns one row per
    measure: ``consistent``, ``reason``, ``n_cities``, ``n_years``, ``power``, ``low``, ``high``
    of the smallest sufficient design, and ``largest`` / ``largest_power`` / ``largest_low`` /
    ``largest_high``: the grid's largest design (most cities, then most years) and its power.
    """
    flag = consistent if callable(consistent) else consistent.__getitem__
    out = []
    for m in measures:
        d = long[(long["world"] == world) & (long["measure"] == m)].dropna(subset=["share"])
        d = d[d["twins"] > 0].assign(k=lambda x: (x["share"] * x["twins"]).round(), n=lambda x: x["twins"])
        if d.empty:
            raise ValueError(f"minimum_designs: no cell of world {world!r} has measure {m!r}")
        ok = bool(flag(m))
        rec = {"measure": m, "consistent": ok, **minimum_design(d, consistent=ok, target=target, level=level)}
        big = d.sort_values(["n_cities", "n_years"]).iloc[-1]
        lo, hi = clopper_pearson(int(big["k"]), int(big["n"]), level)
        rec.update(largest=f"{int(big['n_cities'])} x {int(big['n_years'])}",
                   largest_power=float(big["share"]), largest_low=lo, largest_high=hi)
        out.append(rec)
    return pd.DataFrame(out).set_index("measure")


def performance_by_cell(rows: pd.DataFrame, keys, *, world: str = "effect", level: float = 0.95) -> pd.DataFrame:
    """:func:`estimator_performance` of every estimate ``key`` (columns ``est_<key>``,
    ``true_<key>`` and, when present, ``covers_<key>`` of a design study's per-twin rows) in every
    cell (``n_cities``, ``n_years``) of ``world``. Returns one row per cell and key."""
    out = []
    sub = rows[rows["world"] == world]
    for key in keys:
        if f"est_{key}" not in sub or f"true_{key}" not in sub:
            raise ValueError(f"performance_by_cell: the study has no est_{key} / true_{key} columns")
        for (n, t), g in sub.groupby(["n_cities", "n_years"]):
            est = pd.to_numeric(g[f"est_{key}"], errors="coerce")
            tru = pd.to_numeric(g[f"true_{key}"], errors="coerce")
            if (est.notna() & tru.notna()).sum() < 2:
                continue
            cov = pd.to_numeric(g[f"covers_{key}"], errors="coerce") if f"covers_{key}" in g else None
            p = estimator_performance(est, tru, cov, level=level)
            out.append({"key": key, "n_cities": int(n), "n_years": int(t), **p.to_dict()})
    return pd.DataFrame(out)


def coverage_mcse_for_claim(coverage: float, n: int, nominal: float = 0.95) -> float:
    r"""The Monte Carlo SE a coverage claim is judged by: the larger of the observed
    :math:`\sqrt{\hat c(1-\hat c)/n}` and the SE at the nominal level
    :math:`\sqrt{0.95 \cdot 0.05 / n}`, so a coverage of 1 (or 0) from few twins, whose observed SE
    is 0, is no claim (Morris, White & Crowther 2019 plan the number of repetitions with the
    nominal coverage)."""
    return float(max(np.sqrt(coverage * (1 - coverage) / n), np.sqrt(nominal * (1 - nominal) / n)))


def mcnemar_exact(a, b) -> dict:
    r"""Exact McNemar test of two paired yes/no verdicts (e.g. the same twins under two tests, or
    twins that share their seed across two worlds).

    Only the discordant pairs carry information: with :math:`n_{10}` pairs where ``a`` says yes
    and ``b`` no and :math:`n_{01}` the reverse, under the null of equal rates
    :math:`n_{10} \sim \text{Binomial}(n_{10} + n_{01}, 1/2)`; the two-sided exact p-value is
    ``scipy.stats.binomtest(n_10, n_10 + n_01, 0.5).pvalue`` (1 without discordant pairs).

    Returns a dict: ``pairs``, ``both``, ``a_only`` (:math:`n_{10}`), ``b_only``
    (:math:`n_{01}`), ``neither``, ``rate_a``, ``rate_b``, ``p``.
    """
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"mcnemar_exact needs two paired 1-d verdict arrays, got shapes {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("mcnemar_exact: no pairs")
    n10, n01 = int(np.sum(a & ~b)), int(np.sum(~a & b))
    p = float(stats.binomtest(n10, n10 + n01, 0.5).pvalue) if n10 + n01 else 1.0
    return {"pairs": int(a.size), "both": int(np.sum(a & b)), "a_only": n10, "b_only": n01,
            "neither": int(np.sum(~a & ~b)), "rate_a": float(a.mean()), "rate_b": float(b.mean()), "p": p}


def size_adjusted_power(effect_estimates, null_estimates, nominal: float = ONE_SIDED_NOMINAL) -> float:
    r"""Power of the one-sided test "estimate above :math:`c`" with :math:`c` the
    :math:`1 - \text{nominal}` quantile of the estimates in a no-effect world (so its size there
    is the nominal rate by construction): the share of effect-world estimates above :math:`c`.

    A *diagnostic*: it says how far the effect and no-effect distributions of the estimate are
    apart, not what a study could achieve (a real study does not know :math:`c`). It uses the
    estimate as the test statistic, so it ignores how the standard error varies across twins.
    NaN with fewer than ``ceil(1 / nominal)`` finite no-effect estimates (the quantile would be
    the sample maximum or beyond).
    """
    e = np.asarray(effect_estimates, dtype=float)
    z = np.asarray(null_estimates, dtype=float)
    e, z = e[np.isfinite(e)], z[np.isfinite(z)]
    if len(e) == 0 or len(z) < np.ceil(1 / nominal):
        return float("nan")
    c = float(np.quantile(z, 1 - nominal, method="higher"))
    return float(np.mean(e > c))


def _share(x) -> tuple[int, int]:
    v = pd.to_numeric(pd.Series(x).astype("object").where(pd.Series(x).notna()), errors="coerce").dropna()
    return int(v.sum()), int(len(v))


def _rate(rows, col, level) -> dict:
    if rows is None or col not in rows:
        return {"k": np.nan, "n": 0, "rate": np.nan, "low": np.nan, "high": np.nan}
    k, n = _share(rows[col])
    if n == 0:
        return {"k": np.nan, "n": 0, "rate": np.nan, "low": np.nan, "high": np.nan}
    lo, hi = clopper_pearson(k, n, level)
    return {"k": k, "n": n, "rate": k / n, "low": lo, "high": hi}


def _truth_zero(rows, key) -> bool:
    # a verdict in a no-effect world is a false positive only where the estimate's truth is zero
    t = rows.get(f"true_{key}") if rows is not None else None
    return t is None or not (pd.to_numeric(t, errors="coerce").abs() > 1e-9).any()


#: Columns of :func:`performance_table`, in order.
PERFORMANCE_COLUMNS = [
    "n_cities", "n_years", "key", "kind", "twins", "bias", "bias_mcse", "emp_se", "emp_se_mcse", "rmse",
    "rmse_mcse", "coverage", "coverage_mcse", "coverage_low", "coverage_high", "coverage_claim", "power",
    "power_low", "power_high", "null_twins", "null_rejections", "null_rate", "null_low", "null_high",
    "confounded_twins", "confounded_rate", "confounded_low", "confounded_high", "size_adjusted_power",
]


def performance_table(rows: pd.DataFrame, *, effect: str = "effect", null: str = "null_unconfounded",
                      confounded: str = "null", unscored=(), nominal: float = ONE_SIDED_NOMINAL,
                      level: float = 0.95) -> pd.DataFrame:
    r"""Performance of every estimate and hypothesis in every design of a study, from its twins.

    ``rows`` are a design study's per-twin rows (``world``, ``n_cities``, ``n_years``, and per
    estimate ``est_<key>``, ``sig_<key>`` and, where it has a truth, ``true_<key>`` and
    ``covers_<key>``; per hypothesis a verdict column ``H1``, ``H2``, ...). One row per design
    (N, T) of the ``effect`` world and key (``kind`` ``"estimate"`` or ``"hypothesis"``):

    * ``bias``, ``emp_se``, ``rmse`` with their Monte Carlo SEs and ``coverage`` with its MC SE
      and Clopper-Pearson interval (:func:`estimator_performance`), in the effect world, against
      each twin's truth of the estimate's own estimand; NaN for keys in ``unscored`` (no truth
      the estimate is consistent for) and for hypotheses. ``coverage_claim``: the coverage's MC
      SE (:func:`coverage_mcse_for_claim`: at least the SE at 0.95) is at most
      :data:`COVERAGE_CLAIM_MCSE`;
    * ``power``: the share of effect-world twins with the estimate's 95% interval above zero
      (``sig_<key>``) or the hypothesis supported, with its CP interval;
    * ``null_rate``: the same share in the ``null`` world (default the unconfounded no-effect
      world: the size of the one-sided test, nominal ``nominal``), with its CP interval, and
      ``confounded_rate`` in the ``confounded`` world; NaN where the world's cell is absent or
      the estimate's truth is not zero there (a verdict there is no false positive);
    * ``size_adjusted_power`` (:func:`size_adjusted_power`, estimates only): a diagnostic.

    Every number is a function of the rows, so the stored table can be recomputed and compared.
    """
    need = {"world", "n_cities", "n_years"}
    if not need <= set(rows.columns):
        raise ValueError(f"performance_table: rows need columns {sorted(need)}")
    est_keys = [c[4:] for c in rows.columns if c.startswith("est_") and f"sig_{c[4:]}" in rows]
    hyps = sorted((c for c in rows.columns if c[:1] == "H" and c[1:].isdigit()), key=lambda c: int(c[1:]))
    by = {w: dict(tuple(g.groupby(["n_cities", "n_years"]))) for w, g in rows.groupby("world")}
    if effect not in by:
        raise ValueError(f"performance_table: no twin of the {effect!r} world")
    out = []
    for (n, t), g in sorted(by[effect].items()):
        z, cz = by.get(null, {}).get((n, t)), by.get(confounded, {}).get((n, t))
        for key in est_keys + hyps:
            kind = "hypothesis" if key in hyps else "estimate"
            col = key if kind == "hypothesis" else f"sig_{key}"
            rec = dict.fromkeys(PERFORMANCE_COLUMNS, np.nan)
            rec.update(n_cities=int(n), n_years=int(t), key=key, kind=kind, twins=len(g), coverage_claim=False)
            if kind == "estimate" and key not in unscored and f"true_{key}" in g:
                est = pd.to_numeric(g[f"est_{key}"], errors="coerce")
                tru = pd.to_numeric(g[f"true_{key}"], errors="coerce")
                if (est.notna() & tru.notna()).sum() >= 2:
                    cov = pd.to_numeric(g[f"covers_{key}"], errors="coerce") if f"covers_{key}" in g else None
                    p = estimator_performance(est, tru, cov, level=level).drop("n")
                    rec.update(p.to_dict())
                    m = int(np.isfinite(cov).sum()) if cov is not None else 0
                    rec["coverage_claim"] = bool(m and coverage_mcse_for_claim(rec["coverage"], m) <= COVERAGE_CLAIM_MCSE)
            pw = _rate(g, col, level)
            rec.update(power=pw["rate"], power_low=pw["low"], power_high=pw["high"])
            ok = kind == "hypothesis" or _truth_zero(z, key)
            nr = _rate(z if ok else None, col, level)
            rec.update(null_twins=nr["n"], null_rejections=nr["k"], null_rate=nr["rate"], null_low=nr["low"],
                       null_high=nr["high"])
            cr = _rate(cz if (kind == "hypothesis" or _truth_zero(cz, key)) else None, col, level)
            rec.update(confounded_twins=cr["n"], confounded_rate=cr["rate"], confounded_low=cr["low"],
                       confounded_high=cr["high"])
            if kind == "estimate" and ok and z is not None:
                rec["size_adjusted_power"] = size_adjusted_power(g[f"est_{key}"], z[f"est_{key}"], nominal)
            out.append(rec)
    tab = pd.DataFrame(out, columns=PERFORMANCE_COLUMNS)
    tab.attrs["simulated"] = True
    return tab


def read_performance_table(path) -> pd.DataFrame | None:
    """A stored :func:`performance_table` (a ``performance.csv``), or None when the file does not
    exist yet; ``coverage_claim`` read back as bool and the frame marked SIMULATED."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        return None
    tab = pd.read_csv(path)
    tab["coverage_claim"] = tab["coverage_claim"].astype(bool)
    tab.attrs["simulated"] = True
    return tab
