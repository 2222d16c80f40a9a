"""The bootstrap engine: resampling by cluster counts, moment matrices, intervals, BLAS threads.

Bootstrap loops are vectorised (a block of replicates is one matrix product), so BLAS threads
would only fight each other and any other process on a small machine: every loop runs inside
:func:`single_threaded`, which limits BLAS to one thread (threadpoolctl) for its duration.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np
import pandas as pd
from scipy import special

from ._prepare import codes, group_sums
from ._within import Absorb

BOOT_CHUNK = 256  # replicates per block: bounds memory (n x chunk) on large panels


@functools.lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_threaded():
    """Context manager limiting BLAS to one thread (restored on exit)."""
    try:
        return _controller().limit(limits=1, user_api="blas")
    except Exception:  # noqa: BLE001  # pragma: no cover - threadpoolctl cannot inspect this BLAS: run as is
        return contextlib.nullcontext()


def progress_bar(iterable, total, desc, progress):
    """tqdm over ``iterable``: shown on a terminal when ``progress`` is None, never in notebooks
    or logs (their output would differ from run to run)."""
    if progress is False:
        return iterable
    from tqdm import tqdm  # text bar; tqdm.auto would want ipywidgets inside Jupyter

    return tqdm(iterable, total=total, desc=desc, disable=None if progress is None else not progress, leave=False)


def chunks(n_boot: int) -> list[tuple[int, int]]:
    """(start, size) of the blocks of ``n_boot`` replicates."""
    return [(s, min(BOOT_CHUNK, n_boot - s)) for s in range(0, n_boot, BOOT_CHUNK)]


def percentile(draws: np.ndarray, alpha: float) -> tuple[float, float]:
    """Percentile interval of the finite draws."""
    draws = draws[np.isfinite(draws)]
    if len(draws) == 0:
        return (np.nan, np.nan)
    lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def bias_corrected(draws: np.ndarray, estimate: float, alpha: float) -> tuple[float, float]:
    """Bias-corrected percentile interval (Efron 1987 without acceleration)."""
    draws = draws[np.isfinite(draws)]
    B = len(draws)
    if B == 0:
        return (np.nan, np.nan)
    prop = (np.sum(draws < estimate) + 0.5 * np.sum(draws == estimate)) / B
    prop = min(max(prop, 0.5 / B), 1 - 0.5 / B)  # keep z0 finite when every draw lies on one side
    # special.ndtri / ndtr are what stats.norm.ppf / cdf compute, without their argument handling
    z0 = special.ndtri(prop)
    zl = special.ndtri(alpha / 2)
    lo, hi = special.ndtr(2 * z0 + zl), special.ndtr(2 * z0 - zl)
    qlo, qhi = np.quantile(draws, [lo, hi])   # each what np.quantile(draws, q) gives alone, in one call
    return float(qlo), float(qhi)


def interval_frame(draws: pd.DataFrame, estimates: pd.Series, alpha: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Percentile and bias-corrected intervals (``lower``, ``upper``) of every column of draws."""
    names = list(estimates.index)
    cols = {n: draws[n].to_numpy() for n in names}
    pct = np.array([percentile(cols[n], alpha) for n in names], dtype=float).reshape(-1, 2)
    bc = np.array([bias_corrected(cols[n], estimates[n], alpha) for n in names], dtype=float).reshape(-1, 2)
    return (pd.DataFrame(pct, index=names, columns=["lower", "upper"]),
            pd.DataFrame(bc, index=names, columns=["lower", "upper"]))


def _distinct_per_group(group: np.ndarray, value: np.ndarray, n_groups: int) -> np.ndarray:
    """How many distinct codes ``value`` each group code 0..n_groups-1 holds (``groupby(group).nunique()``
    of integer codes, without pandas: it ran twice in every bootstrap setup)."""
    pairs = np.unique(group.astype(np.int64) * (int(value.max()) + 1) + value)
    return np.bincount(pairs // (int(value.max()) + 1), minlength=n_groups)


class Moments:
    """Cross-product matrices of the model variables, per bootstrap replicate.

    A replicate of the cluster bootstrap draws G clusters with replacement; it is fully
    described by the count vector w (how often each cluster was drawn). For one-way effects
    (or none), the resampled cross-product matrix is sum_g w_g P_g with P_g the cluster's
    cross-products of the entity-demeaned data. For balanced two-way panels the time means of
    the resample are weighted means too, so
    M(w) = sum_g w_g P_g - n_w sum_t mu_t(w) mu_t(w)', mu_t(w) = sum_g w_g S_gt / n_w,
    where S_gt sums the cluster's entity-demeaned rows in period t and n_w counts the drawn
    entities. Every regression of every replicate is then a small solve on M(w): no data are
    copied. Unbalanced two-way panels fall back to re-demeaning each replicate.
    """

    def __init__(self, d, cols, entity, time, fe, cluster, name):
        Z = d[cols].to_numpy(dtype=float)
        if not fe:
            Z = np.column_stack([np.ones(len(d)), Z])
            cols = ["const", *cols]
        self.cols = list(cols)
        self.k = Z.shape[1]
        self.mode = "oneway"
        g = np.arange(len(d)) if cluster is None else codes(d[cluster])[0]
        self.G = int(g.max()) + 1
        E = Z
        if fe:
            E = self._absorb_setup(d, Z, g, entity, time, name)
        if self.mode == "unbalanced":
            return
        outer = (E[:, :, None] * E[:, None, :]).reshape(len(d), -1)
        self.P = group_sums(g, outer, self.G)  # (G, k*k), = indicator(g, G).T @ outer bit for bit
        if self.mode == "twoway":
            S = np.zeros((self.G, self.T, self.k))
            np.add.at(S, (g, self._tim), E)
            self.S = S.reshape(self.G, -1)
            self.Ng = _distinct_per_group(g, self._ent, self.G).astype(float)   # entities per cluster

    def _absorb_setup(self, d, Z, g, entity, time, name):
        ent = codes(d[entity])[0]
        if (_distinct_per_group(ent, g, int(ent.max()) + 1) > 1).any():
            raise ValueError(f"{name}: entities must be nested in clusters for the cluster bootstrap")
        tim = None if time is None else codes(d[time])[0]
        absorb = Absorb(ent, tim)
        if tim is not None:
            self.mode = "twoway" if absorb.balanced else "unbalanced"
            self.T = absorb.T
        self._Z, self._ent, self._tim, self._g = Z, ent, tim, g
        return Absorb(ent, None)(Z) if self.mode != "unbalanced" else None

    def index(self, name):
        return self.cols.index(name)

    def matrices(self, w: np.ndarray) -> np.ndarray:
        """Cross-product matrices (B, k, k) for count vectors w (B, G)."""
        k = self.k
        if self.mode == "unbalanced":
            return np.stack([self._unbalanced_one(row) for row in w])
        M = (w @ self.P).reshape(-1, k, k)
        if self.mode == "twoway":
            nw = w @ self.Ng
            mu = (w @ self.S).reshape(-1, self.T, k) / nw[:, None, None]
            M = M - nw[:, None, None] * np.einsum("btk,btl->bkl", mu, mu)
        return M

    def _unbalanced_one(self, counts):
        rows, ents = [], []
        for gi, c in enumerate(counts):
            for r in range(int(c)):
                sel = np.flatnonzero(self._g == gi)
                rows.append(sel)
                ents.append(self._ent[sel] * (self.G + 1) + r)  # a drawn copy is a new entity
        rows = np.concatenate(rows)
        ent = pd.factorize(np.concatenate(ents))[0]
        E = Absorb(ent, self._tim[rows])(self._Z[rows])
        return E.T @ E


def solve(M: np.ndarray, outcome: int, regressors: list[int]) -> np.ndarray:
    """Coefficients (B, r) of the regression of ``outcome`` on ``regressors`` from moments M."""
    A = M[:, regressors][:, :, regressors]
    b = M[:, regressors, outcome]
    try:
        return np.linalg.solve(A, b[..., None])[..., 0]
    except np.linalg.LinAlgError:  # a degenerate resample: solve one by one, NaN where singular
        out = np.full(b.shape, np.nan)
        for i in range(len(A)):
            try:
                out[i] = np.linalg.solve(A[i], b[i])
            except np.linalg.LinAlgError:
                pass
        return out


def count_draws(G: int, B: int, rng) -> np.ndarray:
    """B count vectors of a cluster bootstrap: how often each of G clusters is drawn."""
    return rng.multinomial(G, np.full(G, 1.0 / G), size=B).astype(float)


def cluster_bootstrap(mom: Moments, equations: dict, n_boot: int, seed: int, progress) -> dict:
    """Coefficient draws {name: (B, r)} for each equation name -> (outcome, regressors)."""
    rng = np.random.default_rng(seed)
    draws = {k: [] for k in equations}
    blocks = chunks(n_boot)
    with single_threaded():
        for _, b in progress_bar(blocks, len(blocks), "cluster bootstrap", progress):
            M = mom.matrices(count_draws(mom.G, b, rng))
            for name, (o, regs) in equations.items():
                draws[name].append(solve(M, mom.index(o), [mom.index(r) for r in regs]))
    return {k: np.concatenate(v) for k, v in draws.items()}
