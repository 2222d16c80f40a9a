r"""Adoption with persistence: participation that remembers last year (a scenario-layer option).

The twin solves participation year by year as a fixed point that does not depend on last year
(:func:`helpers.simulate._solve_participation`; see :mod:`helpers.scenarios.contraction`), so
a subsidy paid for three years leaves exactly nothing once it ends. Adoption is sticky in
practice (switching costs, learning, sunk platform investments), so the scenarios can add
**partial adjustment** (Nerlove 1958) from the first year after the twin's observed years
(2011-2023 stay the twin's):

.. math::

    s_t = \lambda\, s_{t-1} + (1 - \lambda)\, \Lambda\big(x_t + \alpha_N \bar S_t(s_t)
          + \alpha_E W s_t\big), \qquad 0 \le \lambda < 1,

solved each year as a fixed point in :math:`s_t` given :math:`s_{t-1}` (a contraction whenever
the static map is one, with modulus multiplied by :math:`1 - \lambda`). :math:`\lambda = 0` is
the static twin, bit for bit. The persistence :math:`\lambda` is a stylised scenario option
(``persistence`` in :func:`helpers.scenarios.extend_twin`'s ``params``): no published estimate
for Guangdong's platform adoption exists to calibrate it.

**Closed form of the after-effect.** Let a subsidy end after year :math:`e` and write
:math:`\Delta_t` for the gap between the subsidised and the baseline path. Without network
externalities (:math:`\alpha_N = \alpha_E = 0`) the bracket is the same on both paths after
:math:`e`, so :math:`\Delta_{e+k} = \lambda^k \Delta_e` exactly: the after-effect decays
geometrically at the persistence rate. With externalities, to first order,
:math:`\Delta_t = \lambda (I - J)^{-1} \Delta_{t-1}` with
:math:`J = (1 - \lambda) \operatorname{diag}(\Lambda') A_t` (:func:`decay_matrix`): the
externality multiplies the memory, and the rate is the spectral radius of that matrix.

Every number here is SIMULATED.

References
----------
Nerlove, M. (1958). Distributed lags and demand analysis. USDA Agriculture Handbook 141.
"""

from __future__ import annotations

import numpy as np

from .. import simulate as _sim
from .contraction import jacobian


def solve_participation(index, pop, alpha_N, *, alpha_E=0.0, W=None, persistence=0.0, init=None,
                        n_iter=400, tol=1e-12):
    r"""Participation with persistence, year by year: the fixed point of
    s = lambda_t s_{t-1} + (1 - lambda_t) Lambda(x_t + alpha_N w_t's + alpha_E W s).

    Parameters
    ----------
    index : array (T, N)
        The participation index x_t (everything inside Lambda but the network terms).
    pop : array (T, N)
        Population (weights of the province-wide rate).
    persistence : float or array (T,)
        lambda_t in [0, 1); a vector lets history stay static and the future persist.
    init : array (N,), optional
        s before the first year (default Lambda(x_0), as the twin).

    Notes
    -----
    The loop is the twin's (:func:`helpers.simulate._solve_participation`) with the
    partial-adjustment step added; at lambda = 0 the step is ``0 * prev + 1 * new``, which is
    ``new`` exactly, so the static twin is reproduced bit for bit (tested).
    """
    T, N = index.shape
    lam = np.broadcast_to(np.asarray(persistence, float), (T,))
    if ((lam < 0) | (lam >= 1)).any():
        raise ValueError(f"persistence must lie in [0, 1), got {sorted(set(lam[(lam < 0) | (lam >= 1)]))}")
    s = np.zeros((T, N))
    prev = _sim.logistic(index[0]) if init is None else init
    wts = pop / pop.sum(axis=1, keepdims=True)
    for t in range(T):
        cur = prev
        for _ in range(n_iter):
            idx = index[t] + alpha_N * (wts[t] @ cur)
            new = _sim.logistic(idx + alpha_E * (W @ cur) if alpha_E else idx)
            new = lam[t] * prev + (1.0 - lam[t]) * new
            if np.max(np.abs(new - cur)) < tol:
                cur = new
                break
            cur = new
        s[t] = cur
        prev = cur
    return s


def decay_matrix(ext, year: int, persistence: float) -> np.ndarray:
    r"""lambda (I - J)^{-1}: the first-order map from last year's gap to this year's after a
    temporary shift has ended, at the baseline participation of ``year``."""
    p, st = ext.params, ext.st
    t = st.years.index(year)
    J = jacobian(ext.va[t], ext.index[t], st.pop[t], p.alpha_N, p.alpha_E, st.W, persistence)
    return persistence * np.linalg.inv(np.eye(len(J)) - J)


def decay_rate(ext, year: int, persistence: float) -> float:
    """Spectral radius of :func:`decay_matrix`: the after-effect's yearly decay factor (first order)."""
    if persistence == 0:
        return 0.0
    return float(np.max(np.abs(np.linalg.eigvals(decay_matrix(ext, year, persistence)))))
