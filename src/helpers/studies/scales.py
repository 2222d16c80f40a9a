"""Measurement scales: how the measurement layer rescales the slopes between constructs, so the
latent truths predict what the measured estimates estimate (SIMULATED).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..measure import constructs

# --------------------------------------------------------------------------- measurement
#: Construct of the book -> the latent state of the twin it measures.
CONSTRUCT_OF = {"va_index": "VA", "flow_network": "FN", "lq_manufacturing": "AG", "synergy": "SY",
                "productivity": "P", "competitiveness": "X"}


#: Slopes whose truth the measurement layer rescales: key -> (outcome construct, regressors as
#: (construct, estimate key of its coefficient)), as in :func:`helpers.analysis.report.run_mechanism`.
MEASURED_SLOPES = {
    "a_flows": ("flow_network", (("va_index", "a_flows"),)),
    "productivity_synergy": ("productivity", (("synergy", "productivity_synergy"),
                                              ("lq_manufacturing", "productivity_agglomeration"))),
    "competitiveness_synergy": ("competitiveness", (("synergy", "competitiveness_synergy"),
                                                    ("productivity", "competitiveness_productivity"))),
}


def _within_std(c: pd.DataFrame, latent: pd.DataFrame, controls) -> pd.DataFrame:
    """Constructs and their latents, standardised over the panel, net of city and year effects
    and of ``controls`` (``log_population`` computed from ``population``)."""
    from ..models import within

    d = c[["city", "year", "population", *CONSTRUCT_OF]].copy()
    d["log_population"] = np.log(d["population"])
    lat = latent[list(dict.fromkeys(CONSTRUCT_OF.values()))].reset_index()
    d = d.merge(lat, on=["city", "year"], how="inner", validate="one_to_one")
    cols = [*CONSTRUCT_OF, *dict.fromkeys(CONSTRUCT_OF.values()), *controls]
    z = d[cols].apply(lambda v: (v - v.mean()) / v.std(ddof=0))
    z[["city", "year"]] = d[["city", "year"]]
    w = within(z, cols)
    C = w[list(controls)].to_numpy()
    if C.shape[1]:
        w = w - C @ np.linalg.lstsq(C, w.to_numpy(), rcond=None)[0]
    return w


def construct_scales(c: pd.DataFrame, latent: pd.DataFrame, controls=("log_population",)) -> pd.DataFrame:
    r"""How each construct measures its latent state, within cities and years.

    Both are standardised over the panel, then city and year effects and ``controls`` are
    partialled out (the variation the book's regressions use). With :math:`\tilde m` the
    construct and :math:`\tilde\ell` its latent after that:

    * ``loading`` :math:`\lambda`: slope of :math:`\tilde m` on :math:`\tilde\ell` (the construct's scale);
    * ``reliability`` :math:`R^2`: share of the construct's within variance its latent explains;
    * ``kappa`` :math:`\kappa = R^2/\lambda`: slope of :math:`\tilde\ell` on :math:`\tilde m`
      (the attenuation of a slope on this construct).

    Parameters
    ----------
    c : DataFrame
        Constructs (:func:`helpers.measure.constructs.build_constructs`), with ``population``.
    latent : DataFrame
        The twin's latent states (``TwinTruth.latent``, index city, year).
    controls : tuple of str

    Returns
    -------
    DataFrame
        Index construct; columns ``latent``, ``loading``, ``reliability``, ``kappa``.
    """
    w = _within_std(c, latent, controls)
    rows = {}
    for m, lat in CONSTRUCT_OF.items():
        mv, lv = w[m].to_numpy(), w[lat].to_numpy()
        lam = float(mv @ lv / (lv @ lv))
        r2 = float((mv @ lv) ** 2 / ((mv @ mv) * (lv @ lv)))
        rows[m] = (lat, lam, r2, r2 / lam)
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["latent", "loading", "reliability", "kappa"]).rename_axis("construct")


def predicted_measurement(c: pd.DataFrame, latent: pd.DataFrame, latent_truths: pd.Series,
                          controls=("log_population",)) -> pd.DataFrame:
    r"""What measurement alone does to the slopes of :data:`MEASURED_SLOPES`.

    Errors-in-variables with several regressors (Fuller 1987, sec. 1.1): if each construct is
    :math:`\tilde m_k = \lambda_k \tilde\ell_k + e_k` (within, standardised) with errors
    uncorrelated with the latents, the FE slopes of construct Y on constructs :math:`M` tend to

    .. math:: \lambda_Y\, K \beta, \qquad K = (\tilde M'\tilde M)^{-1}\tilde M'\tilde L,

    :math:`\tilde L` the regressors' latents and :math:`\beta` their latent-scale truths
    (``latent_truths``, by estimate key). :math:`K` is the matrix form of ``kappa`` of
    :func:`construct_scales`: a noisy regressor attenuates its own slope and leaks part of it
    into the slopes of regressors it correlates with.

    Returns
    -------
    DataFrame
        Index estimate key; ``latent_truth``, ``predicted_estimate``, ``predicted_ratio``
        (predicted estimate / latent truth), ``loading_y`` (:math:`\lambda_Y`), ``kappa_x``
        (diagonal element of :math:`K` of the slope's own regressor).
    """
    w = _within_std(c, latent, controls)
    rows = {}
    for key, (y, regs) in MEASURED_SLOPES.items():
        ms, keys = [m for m, _ in regs], [k for _, k in regs]
        M, L = w[ms].to_numpy(), w[[CONSTRUCT_OF[m] for m in ms]].to_numpy()
        K = np.linalg.lstsq(M, L, rcond=None)[0]
        yl = w[CONSTRUCT_OF[y]].to_numpy()
        lam_y = float(w[y].to_numpy() @ yl / (yl @ yl))
        beta = np.array([float(latent_truths[k]) for k in keys])
        pred = lam_y * float((K @ beta)[0])
        ratio = pred / beta[0] if beta[0] != 0 else np.nan   # a world with no effect has no ratio
        rows[key] = (beta[0], pred, ratio, lam_y, float(K[0, 0]))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["latent_truth", "predicted_estimate", "predicted_ratio",
                                                                 "loading_y", "kappa_x"]).rename_axis("key")


def _construct_name(col: str) -> str:
    """A construct's reader-facing name (``constructs.LABELS``), else its column name."""
    return constructs.LABELS.get(col, col.replace("_", " "))
