r"""Platform participation (equation 3): the twin's one fixed-point solver, static or persistent.

Each year :math:`t` participation solves a fixed point in :math:`s_t` given last year's
:math:`s_{t-1}`, with partial adjustment (Nerlove 1958) at the persistence rate
:math:`\lambda_t`:

.. math::

    s_t = G_t(s_t) = \lambda_t\, s_{t-1} + (1 - \lambda_t)\, \Lambda\big(x_t + A_t s_t\big),
    \qquad A_t = \alpha_N \mathbf{1} w_t^\top + \alpha_E W_E, \qquad 0 \le \lambda_t < 1,

with :math:`x_t` the participation index (everything inside :math:`\Lambda` in (3) but the
network terms), :math:`w_t` the population shares (so :math:`w_t^\top s_t = \bar S_t`, the
province-wide rate) and :math:`W_E` the row-standardised spatial weights (exposure to nearby
participation). :math:`\lambda_t = 0` is the twin's static law,
:math:`s_t = \Lambda(x_t + \alpha_N \bar S_t + \alpha_E W_E s_t)`, and the only one
:func:`helpers.simulate.simulate_panel` uses; :mod:`helpers.scenarios` sets :math:`\lambda > 0`
after the twin's observed years (``persistence`` in :func:`helpers.scenarios.extend_twin`'s
``params``, :mod:`helpers.scenarios.dynamics`).

**Contraction condition.** The Jacobian of :math:`G_t` is
:math:`J(s) = (1 - \lambda_t) \operatorname{diag}\big(\Lambda(1 - \Lambda)\big) A_t`, and
:math:`0 < \Lambda' \le 1/4`, so :math:`\lVert J(s) \rVert_\infty \le L` on :math:`[0, 1]^N` with

.. math::

    L = \tfrac{1 - \lambda_t}{4}
        \big(|\alpha_N| + |\alpha_E| \max_i \textstyle\sum_j |W_{E,ij}|\big)
      = \tfrac{1 - \lambda_t}{4} (|\alpha_N| + |\alpha_E|) \quad \text{(row-standardised } W_E).

When :math:`L < 1` the year's map is a contraction (Banach): the fixed point is unique and the
iteration below converges to it from any start, at least geometrically at rate :math:`L`. The
twin's defaults (:math:`\alpha_N = \alpha_E = 1`, :math:`\lambda = 0`) give
:math:`L = (1 + 1)/4 = 0.50`; :func:`helpers.scenarios.contraction_modulus` computes it for any
twin, with the local moduli at the solved path (:mod:`helpers.scenarios.contraction`).

References
----------
Banach, S. (1922). Sur les opérations dans les ensembles abstraits. Fund. Math. 3.
Nerlove, M. (1958). Distributed lags and demand analysis. USDA Agriculture Handbook 141.
"""

from __future__ import annotations

import numpy as np

from .calendar import logistic


def persistence_path(persistence, n_years: int) -> np.ndarray:
    r"""The persistence rates :math:`\lambda_t` of ``n_years`` years, checked to lie in [0, 1).

    ``persistence`` is a number (every year) or one value per year; anything else, or a value
    outside [0, 1) (NaN included), is a ValueError naming it.
    """
    lam = np.asarray(persistence, dtype=float)
    if lam.ndim > 1 or (lam.ndim == 1 and lam.shape != (n_years,)):
        raise ValueError(f"persistence must be a number or one value per year ({n_years}), "
                         f"got shape {lam.shape}")
    lam = np.broadcast_to(lam, (n_years,))
    bad = ~((lam >= 0) & (lam < 1))
    if bad.any():
        got = [float(v) for v in np.unique(lam[bad])]   # sorted, NaN once
        raise ValueError(f"persistence must lie in [0, 1), got {got}")
    return lam


def solve_participation(index, pop, alpha_N, n_iter=400, tol=1e-12, init=None, alpha_E=0.0,
                        W_E=None, *, persistence=0.0):
    r"""Participation year by year: the fixed point of :math:`s_t = \lambda_t s_{t-1}
    + (1 - \lambda_t) \Lambda(x_t + \alpha_N w_t^\top s_t + \alpha_E W_E s_t)`.

    Parameters
    ----------
    index : array (T, N)
        The participation index :math:`x_t` (everything inside Lambda but the network terms).
    pop : array (T, N)
        Population: the weights :math:`w_t` of the province-wide rate.
    alpha_N : float
        Weight of the province-wide rate.
    n_iter : int
        Most iterations per year (the contraction converges in far fewer, see the module docstring).
    tol : float
        The iteration stops when no city's participation moves by ``tol`` or more.
    init : array (N,), optional
        Participation the year before the first year (default :math:`\Lambda(x_0)`);
        :mod:`helpers.scenarios` passes the twin's state of the year before a policy so that only
        the years after it are re-solved.
    alpha_E : float
        Weight of exposure to participation in nearby cities (0: none, ``W_E`` unused).
    W_E : array (N, N), optional
        Spatial weights of that exposure.
    persistence : float or array (T,)
        :math:`\lambda_t \in [0, 1)`, keyword-only; 0 (the default) is the twin's static law,
        and a vector lets history stay static while the future persists.

    Returns
    -------
    array (T, N)
        Participation :math:`s_t`; each year's iteration starts from last year's state.

    Notes
    -----
    The partial-adjustment step is skipped in a year with :math:`\lambda_t = 0`; where it ran it
    would give ``0 * prev + 1 * new``, which is ``new`` exactly, so either way the static law is
    reproduced bit for bit (tests/test_participation_solver.py compares both the static and the
    persistent paths with the two solvers this one replaced).
    """
    T, N = index.shape
    lam = persistence_path(persistence, T)
    s = np.zeros((T, N))
    prev = logistic(index[0]) if init is None else init
    wts = pop / pop.sum(axis=1, keepdims=True)
    for t in range(T):
        cur, lt = prev, float(lam[t])   # a Python float: its truth test costs nothing per iteration
        x_t, w_t = index[t], wts[t]     # views taken once: the loop runs ~800 times per twin
        for _ in range(n_iter):
            idx = x_t + alpha_N * (w_t @ cur)
            new = logistic(idx + alpha_E * (W_E @ cur) if alpha_E else idx)
            if lt:
                new = lt * prev + (1.0 - lt) * new
            if abs(new - cur).max() < tol:   # np.max(np.abs(...)) without the function dispatch
                cur = new
                break
            cur = new
        s[t] = cur
        prev = cur
    return s
