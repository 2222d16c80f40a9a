r"""Inference with few clusters: the ``vcov="auto"`` rule and the closed-form cluster jackknife.

**The rule.** With G clusters, the cluster-robust sandwich CRV1 read against the normal
over-rejects when G is small (MacKinnon, Nielsen and Webb 2023); on the book's correctly
specified twins with 21 cities its intervals cover less than 95%
(:func:`helpers.studies.correct_spec_coverage` measures by how much). ``vcov="auto"``, the default of :func:`helpers.models.panel_fe`,
:func:`helpers.models.iv_2sls`, :func:`helpers.models.exposure_effect` and the final regression
of :func:`helpers.models.threshold`, resolves to

- ``"CRV3"`` read against Student t(G - 1) when G < :data:`FEW_CLUSTERS` (50), and
- ``"CRV1"`` read against the normal otherwise (and without clustering: the robust HC0 x n/(n-1)).

MacKinnon, Nielsen and Webb (2023, J. Econometrics 232, 272-299, sec. 3-4) recommend CRV3 with
t(G - 1) as the default with few or unbalanced clusters; Young (2022, European Economic Review
147, 104112) shows the delete-cluster jackknife is the reliable variance of 2SLS where the
sandwich under-covers. An explicit ``vcov="CRV3"`` is read against t(G - 1) as well; an explicit
``vcov="CRV1"`` keeps the normal (the convention of earlier releases, so old numbers reproduce).

**The jackknife in closed form.** CRV3 is

.. math:: \hat V_3 = \frac{G-1}{G}\sum_{g=1}^G (\hat\beta_{(g)} - \hat\beta)(\hat\beta_{(g)} - \hat\beta)',

:math:`\hat\beta_{(g)}` the estimate without cluster g, fixed effects re-estimated. When every
entity lies inside one cluster (the default: clusters are the entities), dropping a cluster does
not change the entity means of the remaining rows, so the two-way model is the entity-demeaned
regression on the regressors and the entity-demeaned time dummies (Frisch-Waugh-Lovell), and
:math:`\hat\beta_{(g)}` solves its normal equations with cluster g's cross-products subtracted:
:math:`(A - X_g'X_g)^{-1}(c - X_g'y_g)` for OLS and, with Z the instruments,

.. math:: \hat\beta_{(g)} = \big(S_{XZ}^{(g)} S_{ZZ}^{(g)-1} S_{ZX}^{(g)}\big)^{-1}
          S_{XZ}^{(g)} S_{ZZ}^{(g)-1} S_{Zy}^{(g)}

for 2SLS (the first stage is re-estimated too), after partialling the time dummies out of the
cross-products with a pseudo-inverse (exact when a dummy is empty without cluster g, or the
dummies are collinear). G small batched solves replace G refits. Other cluster structures
(clusters that split an entity) and more than :data:`MAX_DUMMIES` periods fall back to G refits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._compat import check_vcov

#: ``vcov="auto"`` uses CRV3 with t(G - 1) below this many clusters, CRV1 (normal) from it on.
FEW_CLUSTERS = 50
#: Above this many time periods the closed form's explicit time dummies cost more than refits.
MAX_DUMMIES = 200


def resolve_vcov(vcov: str, allowed, name: str, clustered: bool) -> str:
    """The checked ``vcov`` option ("auto" kept: it needs the number of clusters, see :func:`choose`).

    ``vcov="CRV3"`` without a cluster column is a ValueError naming the estimator."""
    vcov = "auto" if vcov == "auto" else check_vcov(vcov, allowed, name)
    if vcov == "CRV3" and not clustered:
        raise ValueError(f"{name}: vcov='CRV3' (cluster jackknife) needs a cluster column")
    return vcov


def choose(vcov: str, n_clusters: int, clustered: bool) -> str:
    """The covariance ``vcov="auto"`` stands for with ``n_clusters`` clusters (module notes).

    >>> choose("auto", 21, True), choose("auto", 337, True), choose("auto", 21, False), choose("CRV1", 21, True)
    ('CRV3', 'CRV1', 'CRV1', 'CRV1')
    """
    if vcov != "auto":
        return vcov
    return "CRV3" if clustered and n_clusters < FEW_CLUSTERS else "CRV1"


def describe(kind: str, cluster, n_clusters: int, df: float | None, note: str = "") -> str:
    """One line naming the inference, e.g. "CRV3 by city (21 clusters), t(20)".

    >>> describe("CRV3", "city", 21, 20.0)
    'CRV3 by city (21 clusters), t(20)'
    >>> describe("CRV1", None, 273, None)
    'robust (HC0 x n/(n-1)), normal'
    """
    ref = "normal" if df is None else f"t({df:.0f})"
    if kind == "iid":
        head = "iid (classical)"
    elif cluster is None:
        head = "robust (HC0 x n/(n-1))"
    else:
        head = f"{kind} by {cluster} ({n_clusters} clusters)"
    return f"{head}{note}, {ref}"


# --------------------------------------------------------------------------- the closed form
def nested(d: pd.DataFrame, entity: str, cluster: str) -> bool:
    """Whether every entity lies inside one cluster (then the closed form is exact)."""
    return cluster == entity or bool((d.groupby(entity, sort=False)[cluster].nunique() <= 1).all())


def design(d: pd.DataFrame, cols, entity: str, time: str | None, absorb=None) -> np.ndarray:
    """``cols`` of ``d`` followed by the time dummies (first period dropped), all demeaned by
    entity: the two-way model's design for the closed-form jackknife (Frisch-Waugh-Lovell).
    ``absorb``: the estimator's :class:`helpers.models._within.Absorb` of ``d``, whose entity and
    time codes are the ones computed here (sorted factorisation), so they are not computed again."""
    ent = pd.factorize(d[entity], sort=True)[0] if absorb is None else absorb.ec
    M = d[list(cols)].to_numpy(dtype=float)
    if time is not None:
        t = pd.factorize(d[time], sort=True)[0] if absorb is None else absorb.tc
        M = np.column_stack([M, (t[:, None] == np.arange(1, t.max() + 1)[None, :]).astype(float)])
    return M - _group_sums(ent, M)[ent] / np.bincount(ent)[ent, None]


def _group_sums(g: np.ndarray, M: np.ndarray) -> np.ndarray:
    """Row sums of M (n x ...) within each group code 0..G-1, shape (G, ...)."""
    order = np.argsort(g, kind="stable")
    starts = np.r_[0, np.cumsum(np.bincount(g))[:-1]]
    return np.add.reduceat(M[order], starts, axis=0)


class CRV3Undefined(ValueError):
    """Leaving one cluster out leaves a regressor unidentified: the jackknife does not exist."""


def _downdated(M: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cross-products of M (n x p): the full sample's (p, p) and, stacked (G, p, p), the
    sample's without each cluster g (the full one minus cluster g's)."""
    S = M.T @ M
    return S, S[None] - _group_sums(groups, M[:, :, None] * M[:, None, :])


def _partial(S: np.ndarray, nc: int) -> np.ndarray:
    """Cross-products of the first ``nc`` (core) columns net of the remaining ones (the time
    dummies), batched: S_cc - S_cd S_dd^+ S_dc (Frisch-Waugh-Lovell). The pseudo-inverse makes
    it exact when the dummies are collinear or a dummy is empty without a cluster."""
    if S.shape[-1] == nc:
        return S
    Scd, Sdd = S[..., :nc, nc:], S[..., nc:, nc:]
    return S[..., :nc, :nc] - Scd @ np.linalg.pinv(Sdd, rcond=1e-10, hermitian=True) @ np.swapaxes(Scd, -1, -2)


def _identified(Sxx: np.ndarray, scale: np.ndarray, values, names, name: str, what: str) -> None:
    """Every (G, k, k) normal matrix of the regressors, net of the dummies, must be invertible
    (smallest eigenvalue above 1e-10 of the regressors' own cross-product scale); else a
    :class:`CRV3Undefined` naming the cluster (``values``: the cluster column)."""
    ev = np.linalg.eigvalsh(Sxx)
    bad = np.flatnonzero(ev.min(axis=1) <= 1e-10 * scale)
    if len(bad):
        label = np.sort(pd.unique(np.asarray(values)))[bad[0]]
        raise CRV3Undefined(f"{name}: vcov='CRV3': without {what} {label!r} the regressors {list(names)} "
                            "are not identified (a regressor varies only inside that cluster)")


def _jackknife(est: np.ndarray, beta: np.ndarray) -> np.ndarray:
    dev = est - beta
    G = len(est)
    return (G - 1) / G * dev.T @ dev


def jackknife_ols(M: np.ndarray, nc: int, groups: np.ndarray, values, names, name: str,
                  what: str) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-cluster-out OLS by downdating: (CRV3 covariance, the G x k estimates).

    M: :func:`design` of [y, regressors...] (``nc`` = 1 + k core columns, then the time dummies);
    groups: cluster codes 0..G-1 of the column ``values`` (named in errors)."""
    S, Sg = _downdated(M, groups)
    P, Pg = _partial(S, nc), _partial(Sg, nc)
    _identified(Pg[:, 1:, 1:], np.abs(np.diag(S)[1:nc]).max(), values, names, name, what)
    beta = np.linalg.solve(P[1:, 1:], P[1:, 0])
    est = np.linalg.solve(Pg[:, 1:, 1:], Pg[:, 1:, :1])[:, :, 0]
    return _jackknife(est, beta), est


def _2sls(P: np.ndarray, ix: list, iz: list) -> np.ndarray:
    """2SLS from partialled cross-products (batched): (X'P_Z X)^-1 X'P_Z y, y the core column 0."""
    Szz, Szx, Szy = P[..., iz, :][..., iz], P[..., iz, :][..., ix], P[..., iz, :][..., [0]]
    Q = np.linalg.solve(Szz, np.concatenate([Szx, Szy], axis=-1))
    SxzT = np.swapaxes(Szx, -1, -2)
    return np.linalg.solve(SxzT @ Q[..., :-1], SxzT @ Q[..., -1:])[..., 0]


def jackknife_2sls(M: np.ndarray, nx: int, nz: int, nc: int, groups: np.ndarray, values, names, name: str,
                   what: str) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-cluster-out 2SLS by downdating every cross-product (the first stage is
    re-estimated too): (CRV3 covariance, the G x k estimates).

    M: :func:`design` of [y, endogenous (nx), instruments (nz), controls...] (``nc`` core
    columns), then the time dummies."""
    S, Sg = _downdated(M, groups)
    P, Pg = _partial(S, nc), _partial(Sg, nc)
    ctl = list(range(1 + nx + nz, nc))
    ix, iz = [*range(1, 1 + nx), *ctl], [*range(1 + nx, 1 + nx + nz), *ctl]
    scale = np.abs(np.diag(S)[1:nc]).max()
    _identified(Pg[:, iz, :][:, :, iz], scale, values, names, name, what)
    Szx = Pg[:, iz, :][:, :, ix]
    H = np.swapaxes(Szx, 1, 2) @ np.linalg.solve(Pg[:, iz, :][:, :, iz], Szx)
    _identified(H, scale, values, names, name, what)
    est = _2sls(Pg, ix, iz)
    return _jackknife(est, _2sls(P, ix, iz)), est


def crv3_or_fallback(vcov: str, compute, cov1: np.ndarray, G: int) -> tuple[np.ndarray, str, float, str]:
    """(covariance, kind, t degrees of freedom, note): CRV3 from ``compute()``; where it does not
    exist (:class:`CRV3Undefined`) an explicit ``vcov="CRV3"`` raises, and ``"auto"`` keeps the
    sandwich ``cov1`` read against t(G - 1), saying so in the note."""
    try:
        return compute(), "CRV3", float(G - 1), ""
    except CRV3Undefined:
        if vcov == "CRV3":
            raise
        return cov1, "CRV1", float(G - 1), " (CRV3 undefined: a regressor lives in one cluster)"


def refit_jackknife(d: pd.DataFrame, groups: np.ndarray, beta: np.ndarray, fit) -> np.ndarray:
    """CRV3 by G refits (any cluster structure): ``fit(d_without_g)`` returns the coefficients."""
    G = int(groups.max()) + 1
    dev = np.array([fit(d[groups != g]) - beta for g in range(G)])
    return (G - 1) / G * dev.T @ dev
