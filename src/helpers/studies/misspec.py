r"""Misspecification dials on the estimator's side (issue 21, item 4). SIMULATED.

Everything that recovers well on the twin is correctly specified by construction. These dials
break one assumption at a time, off by default (the twin and every default study unchanged):

- an instrument correlated with development: :class:`helpers.simulate.TwinParams` fields
  ``instrument_dev`` and ``dev_trend`` (in the generator; :func:`iv_estimate` is the 2SLS
  estimate of synergy on virtual agglomeration it biases);
- the participation share measured with error (``share_error`` of :func:`exposure_misspecified`);
- a misspecified spatial weights matrix given to the estimator (:func:`misspecified_weights`);
- a different friction law for the observed gravity flows (``friction`` of
  :func:`helpers.simulate.flows.simulate_flows`).

What theory says. Classical error of SD :math:`\sigma_e` in a regressor whose within variance is
:math:`\sigma_x^2` shrinks OLS by :math:`\lambda = \sigma_x^2 / (\sigma_x^2 + \sigma_e^2)`
(attenuation; errors in the outcome only add noise), while 2SLS with instruments independent of the
error stays consistent. A wrong W measures the exposure with non-classical error; with W replaced
by an unrelated one the exposure carries no information on the effect and the estimate loses it
(toward zero; in one twin it may overshoot past zero, as the tests' permutations show). An
instrument Z correlated with the outcome's error u biases 2SLS by :math:`cov(Z, u) / cov(Z, x)`.

References
----------
Wooldridge, J. M. (2010). Econometric Analysis of Cross Section and Panel Data, 2nd ed.,
sections 4.4.2 (measurement error) and 5.2 (2SLS). MIT Press.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import models


def misspecified_weights(W: pd.DataFrame, mix: float, *, seed: int = 0) -> pd.DataFrame:
    r"""A wrong W for the estimator: :math:`(1 - m) W + m P W P'`, P a random permutation of the
    cities (seeded). Rows still sum to one and the diagonal stays zero; ``mix=0`` is W itself,
    ``mix=1`` a W with the right distance profile attached to the wrong cities."""
    if not 0 <= mix <= 1:
        raise ValueError(f"misspecified_weights: mix must lie in [0, 1], got {mix}")
    if mix == 0:
        return W.copy()
    perm = np.random.default_rng([seed, 0x3A7]).permutation(len(W))
    Wp = W.to_numpy()[np.ix_(perm, perm)]
    return pd.DataFrame((1 - mix) * W.to_numpy() + mix * Wp, index=W.index, columns=W.columns)


def observed_share(truth, share_error: float = 0.0, *, seed: int = 0) -> pd.Series:
    r"""The platform share as a survey would measure it: the latent share plus classical error,
    :math:`\tilde s_{it} = s_{it} + \sigma_e e_{it}`, e standard normal from a stream of its own
    (the twin is untouched). Not clipped: the error is exactly classical (a survey share may
    then leave [0, 1], which the linear exposure W s tolerates)."""
    s = truth.latent["VA"]
    if not share_error:
        return s.copy()
    e = np.random.default_rng([seed, 0xE55]).standard_normal(len(s))
    return s + share_error * e


def exposure_misspecified(truth, *, share_error: float = 0.0, W: pd.DataFrame | None = None,
                          estimator: str = "2sls", seed: int = 0):
    """The network-externality exposure effect of a twin under the share and W dials.

    The exposure W s is built from the shares as measured (:func:`observed_share`) with the weights
    given to the estimator; the outcome is the city's own latent logit share (error in the outcome
    only adds noise when it is linear, and the logit of a noisy share is not), the shifters D and Z
    are the controls and their exposures the instruments, as in
    :func:`helpers.studies.exposure_estimate`.

    Parameters
    ----------
    truth : TwinTruth
        A twin's truth (:func:`helpers.simulate.simulate_panel`); its true effect is
        ``truth.params.alpha_E`` on the logit scale.
    share_error : float
        SD of classical error in the observed share; 0 is the latent share.
    W : DataFrame, optional
        The weights given to the estimator (default the twin's own; see :func:`misspecified_weights`).
    estimator : {"2sls", "ols"}
        ``"2sls"``: :func:`helpers.models.exposure_effect`; ``"ols"``: two-way fixed effects of
        logit s on the exposure with D and Z as controls (:func:`helpers.models.panel_fe`).

    Returns
    -------
    ExposureResult (2sls) or the panel_fe result (ols); the exposure's coefficient is ``W_share``.
    """
    lat = truth.latent.reset_index()
    lat["share"] = observed_share(truth, share_error, seed=seed).to_numpy()
    lat["logit_va"] = np.log(lat["VA"] / (1 - lat["VA"]))
    Wx = truth.W if W is None else W
    if estimator == "2sls":
        return models.exposure_effect(lat, "logit_va", Wx, shifters=["D", "Z"], x="share")
    if estimator == "ols":
        lat["W_share"] = models.spatial_exposure(lat, Wx, "share")
        return models.panel_fe(lat, "logit_va", "W_share", controls=["D", "Z"])
    raise ValueError(f"exposure_misspecified: estimator must be '2sls' or 'ols', got {estimator!r}")


def iv_estimate(truth):
    """2SLS of latent synergy on virtual agglomeration with the instrument Z (city and year
    effects, SE clustered by city): the estimate the ``instrument_dev``/``dev_trend`` dials bias."""
    lat = truth.latent.reset_index()
    return models.iv_2sls(lat, "SY", "VA", ["Z"])
