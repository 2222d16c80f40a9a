"""The calibration's productivity terms of the twin (issue 21, item 2): a persistent growth shock
and beta convergence, both city-wide (they move all of a city's observed output, see
:mod:`helpers.simulate.observe`). Kept apart from :mod:`helpers.simulate.model` for size only.
"""

from __future__ import annotations

import numpy as np


def _integrated_ar1(e, rho):
    r"""Cumulated AR(1) of the draws ``e`` (T x N, along axis 0): L_t = sum_{s<=t} u_s with
    u_t = rho u_{t-1} + e_t and u_0 = e_0 / sqrt(1 - rho^2) (stationary start). Growth of L is the
    AR(1) u; no draw is added. A city constant (absorbed by city effects) is all that changes
    when the series starts earlier."""
    u = np.empty_like(e, dtype=float)
    u[0] = e[0] / np.sqrt(1.0 - rho * rho)
    for t in range(1, len(e)):
        u[t] = rho * u[t - 1] + e[t]
    return np.cumsum(u, axis=0)


def _city_terms(st, p):
    """City-wide productivity terms of the calibration: the persistent shock sigma_P times the
    cumulated AR(1) of e_P (``st.e_P_walk``, run on the whole calendar, then windowed) and the
    convergence trend -convergence (dev_i - mean dev) tau (calendar clock). They move
    all of a city's observed output (:mod:`helpers.simulate.observe`), unlike the rest of P."""
    return p.sigma_P * st.e_P_walk - p.convergence * (st.dev - st.dev.mean()) * st.tau
