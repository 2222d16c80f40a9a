r"""Network externality as exposure to participation in connected cities.

The seeds' network externality (the value of joining a platform rises with the number of
others on it) cannot be identified from the province-wide participation rate: it is the same for
every city in a year, and year effects absorb it. Exposure to participation in *connected*
cities varies across cities within a year,

.. math:: E_{it} = \sum_j w_{ij} y_{jt}, \qquad y_{it} = \alpha_E E_{it} + z_{it}'\gamma
          + \mu_i + \lambda_t + e_{it},

with W row-standardised (distance or flow weights). Because x_j also responds to y_i (the
reflection problem), E is endogenous; neighbours' exogenous shifters :math:`(W z)_{it}`
(their infrastructure, their historical endowment) instrument it, with the city's own shifters
z as controls: 2SLS with city and year effects, SE clustered by city
(:func:`helpers.models.iv_2sls`; by default the cluster jackknife CRV3 read against t(G - 1)
below 50 clusters, the sandwich CRV1 with the normal from 50 on). On the simulated twin the participation equation is linear
in the logit of the platform share, so ``y = logit(share)`` recovers :math:`\alpha_E` itself
(``TwinParams.alpha_E``; the truth on the latent logit scale).

Data needed on Guangdong: a platform participation share by city and year (see
:mod:`helpers.models.gravity`) and exogenous shifters of participation in each city (e.g. the
historical telecom endowment used as the book's instrument, backbone-network roll-out dates).

References
----------
Manski, C. F. (1993). Identification of endogenous social effects: the reflection problem.
REStud 60(3), 531-542. Kelejian, H. H., Prucha, I. R. (1998). A generalized spatial two-stage
least squares procedure. J. Real Estate Fin. Econ. 17(1), 99-121.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import CoefficientResult, as_list, fmt_table, require_columns
from ._compat import deprecated_attribute
from .iv import IVResult, iv_2sls


def _exposure_on_grid(df, W, column, entity, time) -> pd.Series | None:
    """:func:`spatial_exposure` of a complete panel (every entity in every period once, no value
    missing, every entity in ``W``) by positions: the same product of the same periods x entities
    table, bit for bit, without the pivot and the MultiIndex round trip (three per twin of the
    design study); None for any other panel, which the general path checks and names."""
    t, times = pd.factorize(df[time], sort=True)
    e, ents = pd.factorize(df[entity], sort=True)
    x = df[column].to_numpy()
    if (len(df) != len(times) * len(ents) or (t < 0).any() or (e < 0).any() or not ents.isin(W.index).all()
            or pd.Series(t * len(ents) + e).duplicated().any()
            or not (np.issubdtype(x.dtype, np.number) and np.isfinite(x).all())):
        return None
    wide = np.empty((len(times), len(ents)), dtype=x.dtype)   # C order, like the pivot's table
    wide[t, e] = x
    E = wide @ W.loc[ents, ents].to_numpy(float).T
    return pd.Series(E[t, e], index=df.index, name=f"W_{column}")


def spatial_exposure(df: pd.DataFrame, W: pd.DataFrame, column: str, entity: str = "city",
                     time: str = "year") -> pd.Series:
    """E_it = sum_j w_ij x_jt for a balanced long panel, aligned with ``df``'s rows.

    ``W`` is city x city with the panel's entity labels (rows need not sum to one; the twin's and
    the book's weights do)."""
    require_columns(df, [entity, time, column], "spatial_exposure")
    fast = _exposure_on_grid(df, W, column, entity, time)
    if fast is not None:
        return fast
    wide = df.pivot(index=time, columns=entity, values=column)
    missing = [c for c in wide.columns if c not in W.index]
    if missing:
        raise ValueError(f"spatial_exposure: city {missing[0]!r} is not in the weights matrix")
    if wide.isna().any().any():
        t, i = wide.stack(future_stack=True).loc[lambda s: s.isna()].index[0]
        raise ValueError(f"spatial_exposure: {column!r} missing for {i} in {t}")
    Wm = W.loc[wide.columns, wide.columns].to_numpy(float)
    E = pd.DataFrame(wide.to_numpy() @ Wm.T, index=wide.index, columns=wide.columns)
    key = pd.MultiIndex.from_frame(df[[time, entity]])
    return pd.Series(E.stack().reindex(key).to_numpy(), index=df.index, name=f"W_{column}")


@dataclass(repr=False, kw_only=True)
class ExposureResult(CoefficientResult):
    """2SLS estimate of the exposure effect (see :func:`exposure_effect`).

    ``params``, ``std_errors``, ``pvalues``, ``cov``, ``df_resid``, ``inference``: the 2SLS
    coefficients (the exposure ``W_<x>`` first, then the shifters and controls) and their
    inference, the same objects as ``fit``'s;
    ``alpha_E`` the exposure coefficient; ``exposure`` its name; ``first_stage_F`` the partial
    F of the instruments for it; ``fit`` the :class:`helpers.models.IVResult`. ``se`` and
    ``ci`` (alpha_E's standard error and 95% interval) are deprecated names.
    """

    exposure: str
    first_stage_F: float
    fit: IVResult

    alpha_E = property(lambda self: float(self.params[self.exposure]), doc="the exposure coefficient")
    se = deprecated_attribute("se", "std_errors[exposure]", lambda self: float(self.std_errors[self.exposure]))
    ci = deprecated_attribute("ci", "conf_int(0.95).loc[exposure]",
                              lambda self: tuple(float(v) for v in self.conf_int(0.95).loc[self.exposure]))

    def _title(self) -> str:
        return (f"Exposure effect alpha_E (coefficient of {self.exposure}, 2SLS with fixed effects; "
                f"first-stage F = {self.first_stage_F:.1f})")

    def _notes(self) -> list[str]:
        return ["", "first stage", fmt_table(self.fit.first_stage)]


def exposure_effect(df: pd.DataFrame, y: str, W: pd.DataFrame, *, shifters, x: str | None = None,
                    controls=(), entity: str = "city", time: str = "year", vcov: str = "auto") -> ExposureResult:
    """Effect of exposure to connected cities' y on a city's own y (module docstring).

    Parameters
    ----------
    df : DataFrame
        Balanced city-year panel.
    y : str
        Outcome (on the twin: the logit of the platform share).
    x : str, optional
        Variable whose exposure enters (default ``y``; on the twin: the platform share itself).
    W : DataFrame
        Exposure weights (city x city).
    shifters : sequence of str
        Exogenous shifters of y; their exposures ``W_<z>`` are the instruments and the shifters
        themselves are controls.
    controls : sequence of str
        Further controls.
    vcov : {"auto", "CRV1", "CRV3", "iid"}
        Inference of the 2SLS fit, clustered by ``entity`` (see :func:`helpers.models.iv_2sls`):
        "auto" is CRV3 with t(G - 1) below 50 cities, CRV1 (normal) otherwise.
    """
    zs = as_list(shifters, "shifters")
    d = df.copy()
    x = y if x is None else x
    d[f"W_{x}"] = spatial_exposure(d, W, x, entity, time)
    inst = []
    for z in zs:
        d[f"W_{z}"] = spatial_exposure(d, W, z, entity, time)
        inst.append(f"W_{z}")
    fit = iv_2sls(d, y, f"W_{x}", inst, controls=[*zs, *controls], entity=entity, time=time,
                  cluster=entity, vcov=vcov)
    return ExposureResult(params=fit.params, std_errors=fit.std_errors, pvalues=fit.pvalues, cov=fit.cov,
                          df_resid=fit.df_resid, inference=fit.inference, exposure=f"W_{x}", first_stage_F=float(np.atleast_1d(fit.first_stage_F)[0]), fit=fit)
