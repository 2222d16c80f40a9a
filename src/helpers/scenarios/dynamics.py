r"""Adoption with persistence: participation that remembers last year (a scenario-layer option).

The twin solves participation year by year as a fixed point that does not depend on last year
(:func:`helpers.simulate.solve_participation`; see :mod:`helpers.scenarios.contraction`), so
a subsidy paid for three years leaves exactly nothing once it ends. Adoption is sticky in
practice (switching costs, learning, sunk platform investments), so the scenarios can add
**partial adjustment** (Nerlove 1958) from the first year after the twin's observed years
(2011-2023 stay the twin's):

.. math::

    s_t = \lambda\, s_{t-1} + (1 - \lambda)\, \Lambda\big(x_t + \alpha_N \bar S_t(s_t)
          + \alpha_E W s_t\big), \qquad 0 \le \lambda < 1,

solved each year as a fixed point in :math:`s_t` given :math:`s_{t-1}` (a contraction whenever
the static map is one, with modulus multiplied by :math:`1 - \lambda`) by the twin's own solver,
:func:`helpers.simulate.solve_participation` with ``persistence=``
(:func:`helpers.scenarios.extend_twin` and :func:`helpers.scenarios.run_scenario` pass
:math:`\lambda` for the years after 2023 and 0 before). :math:`\lambda = 0` is the static twin,
bit for bit. The persistence :math:`\lambda` is a stylised scenario option (``persistence`` in
:func:`helpers.scenarios.extend_twin`'s ``params``): no published estimate for Guangdong's
platform adoption exists to calibrate it.

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

from .contraction import jacobian


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
