r"""When can participation tip? The contraction condition of the twin's participation map.

Each year the twin solves participation as the fixed point of (eq. 3, with persistence
:math:`\lambda` of :mod:`helpers.scenarios.dynamics`; :math:`\lambda = 0` is the twin itself)

.. math::

    s = G(s) = \lambda s_{t-1} + (1 - \lambda)\, \Lambda\big(x_t + A_t s\big),
    \qquad A_t = \alpha_N \mathbf{1} w_t^\top + \alpha_E W,

with :math:`x_t` the participation index (everything inside :math:`\Lambda` but the network
terms), :math:`w_t` the population shares (summing to 1) and :math:`W` the row-standardised
spatial weights. Its Jacobian is

.. math::

    J(s) = (1 - \lambda)\, \operatorname{diag}\!\big(\Lambda(1 - \Lambda)\big) A_t .

Because :math:`0 < \Lambda'(\cdot) \le 1/4`, :math:`\lVert J(s) \rVert_\infty \le L` for every
:math:`s \in [0, 1]^N` with the **global modulus**

.. math::

    L = \tfrac{1 - \lambda}{4} \big(|\alpha_N| + |\alpha_E| \max_i \textstyle\sum_j |W_{ij}|\big)
      \;\ge\; \tfrac{1 - \lambda}{4} \max_i \textstyle\sum_j |A_{t,ij}|

(with equality when the alphas and W are non-negative; for row-standardised W,
:math:`L = (1 - \lambda)(|\alpha_N| + |\alpha_E|)/4`). When :math:`L < 1`, G is a
contraction on :math:`[0, 1]^N` in the max norm (Banach): the year's equilibrium is unique
and iteration from any starting point converges to it. In the static twin
(:math:`\lambda = 0`) the year's participation therefore does not depend on last year's, and a
subsidy that has ended leaves exactly nothing behind. **No tipping is possible** when
:math:`\alpha_N + \alpha_E < 4` (row-standardised W): the steady states of the dynamic map
solve :math:`s = \Lambda(x + A s)` whatever :math:`\lambda`, so persistence delays but cannot
create tipping, and after a temporary shift the gap between two paths shrinks each year by at
least the factor :math:`\lambda / (1 - L)`, which is below 1 exactly when
:math:`(\alpha_N + \alpha_E)/4 < 1`. The condition is sufficient; for identical cities
(:math:`s = \Lambda(a + A s)` with scalar :math:`A = \alpha_N + \alpha_E`) it is also
necessary: multiple equilibria need :math:`A > 4`.

The **local modulus** :math:`\lVert J(s^*) \rVert_\infty` at the solved path, and the spectral
radius :math:`\rho(J(s^*))`, say how fast the iteration converges there and how strongly the
externality multiplies a shock: the fixed point moves by :math:`(I - J)^{-1}` times a shift
of G.

Every number here is SIMULATED.

References
----------
Banach, S. (1922). Sur les opérations dans les ensembles abstraits. Fund. Math. 3.
Brock, W., Durlauf, S. (2001). Discrete choice with social interactions. Rev. Econ. Stud. 68(2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import simulate as _sim
from .._results import Result

#: The largest slope of the logistic function, Lambda'(0) = 1/4.
MAX_LOGISTIC_SLOPE = 0.25


def interaction_matrix(pop_t: np.ndarray, alpha_N: float, alpha_E: float, W: np.ndarray) -> np.ndarray:
    r"""A_t = alpha_N 1 w_t' + alpha_E W: how participation elsewhere enters a city's index."""
    pop_t = np.asarray(pop_t, float)
    w = pop_t / pop_t.sum()
    n = len(w)
    return alpha_N * np.ones((n, 1)) * w[None, :] + alpha_E * np.asarray(W, float)


def participation_map(s, index_t, pop_t, alpha_N, alpha_E, W, persistence: float = 0.0, prev=None):
    r"""G(s) = lambda s_{t-1} + (1 - lambda) Lambda(x_t + A_t s), one year of the participation solve."""
    new = _sim.logistic(index_t + interaction_matrix(pop_t, alpha_N, alpha_E, W) @ s)
    if persistence:
        return persistence * np.asarray(prev, float) + (1.0 - persistence) * new
    return new


def jacobian(s, index_t, pop_t, alpha_N, alpha_E, W, persistence: float = 0.0) -> np.ndarray:
    r"""J(s) = (1 - lambda) diag(Lambda (1 - Lambda)) A_t, the Jacobian of :func:`participation_map`."""
    A = interaction_matrix(pop_t, alpha_N, alpha_E, W)
    lam = _sim.logistic(index_t + A @ s)
    return (1.0 - persistence) * (lam * (1.0 - lam))[:, None] * A


def global_modulus(alpha_N: float, alpha_E: float, W: np.ndarray | None = None,
                   persistence: float = 0.0) -> float:
    r""":math:`L = \frac{1-\lambda}{4}\left(|\alpha_N| + |\alpha_E| \max_i \sum_j |W_{ij}|\right)`.

    A bound on :math:`\max_i \sum_j |A_{ij}|` for any population shares (triangle inequality; equal to it
    when alpha_N, alpha_E >= 0 and W >= 0). ``W=None`` means row-standardised (row sums 1).
    """
    w_rows = 1.0 if W is None else float(np.abs(np.asarray(W, float)).sum(axis=1).max())
    return (1.0 - persistence) * MAX_LOGISTIC_SLOPE * (abs(alpha_N) + abs(alpha_E) * w_rows)


@dataclass(repr=False)
class ContractionResult(Result):
    """The contraction condition evaluated on one extended twin (SIMULATED).

    Attributes
    ----------
    modulus : float
        Global modulus L (a bound on the Jacobian's max norm over all s in [0, 1]^N).
    local : DataFrame
        Per year: the max-norm of J at the solved participation (``local_norm``) and its
        spectral radius (``spectral_radius``).
    alpha_N, alpha_E, persistence : float
    """

    modulus: float
    local: pd.DataFrame
    alpha_N: float
    alpha_E: float
    persistence: float

    @property
    def contraction(self) -> bool:
        return self.modulus < 1.0

    def summary(self) -> str:
        return (f"Participation map: global modulus {self.modulus:.3f} "
                f"({'a contraction: no tipping is possible' if self.contraction else 'not a contraction'}); "
                f"largest local norm {self.local['local_norm'].max():.3f} (SIMULATED)")


def contraction_modulus(ext, persistence: float | None = None, years=None) -> ContractionResult:
    """Global and local contraction moduli of the participation map of an extended twin.

    Parameters
    ----------
    ext : helpers.scenarios.Extended
        From :func:`helpers.scenarios.extend_twin`; its ``va`` is the solved baseline path.
    persistence : float, optional
        Default: the twin's own (``ext.extra["persistence"]``; 0 is the static twin).
    years : sequence of int, optional
        Years for the local moduli (default all).
    """
    p, st = ext.params, ext.st
    lam = float(ext.extra.get("persistence", 0.0) if persistence is None else persistence)
    rows = {}
    for y in (st.years if years is None else years):
        t = st.years.index(y)
        J = jacobian(ext.va[t], ext.index[t], st.pop[t], p.alpha_N, p.alpha_E, st.W, lam)
        rows[y] = {"local_norm": float(np.abs(J).sum(axis=1).max()),
                   "spectral_radius": float(np.max(np.abs(np.linalg.eigvals(J))))}
    local = pd.DataFrame.from_dict(rows, orient="index")
    local.index.name = "year"
    return ContractionResult(modulus=global_modulus(p.alpha_N, p.alpha_E, st.W, lam), local=local,
                             alpha_N=p.alpha_N, alpha_E=p.alpha_E, persistence=lam)
