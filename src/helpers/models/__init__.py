r"""Estimators of the mechanism: fixed effects, mediation, thresholds, spatial models and IV.

One estimator family per module, over shared internals:

- :mod:`~helpers.models.panel` :func:`panel_fe` two-way (or one-way) fixed effects with an
  optional wild cluster bootstrap p-value for few clusters.
- :mod:`~helpers.models.mediation` :func:`mediation`, the stepwise test of Wen & Ye (2014) with
  Sobel and Aroian tests and cluster-bootstrap intervals; :func:`serial_mediation`, two ordered
  mediators (PROCESS model 6).
- :mod:`~helpers.models.mediation_sensitivity` :func:`mediation_effects` (total, direct and
  indirect effects with cluster-bootstrap intervals) and :func:`mediation_sensitivity` (the
  Imai-Keele-Tingley error correlation at which the indirect effect is zero).
- :mod:`~helpers.models.threshold` :func:`threshold`, Hansen's (1999) fixed-effect threshold
  regression (single or double), and :func:`lr_critical`.
- :mod:`~helpers.models.spatial` :func:`spatial_durbin_panel` (ML with two-way effects, Lee & Yu
  2010), :func:`sdm_effects` (direct, indirect, total) and :func:`moran` (Moran's I per period).
- :mod:`~helpers.models.spatial_hac` :func:`conley_fe`, the fixed-effects regression with
  Conley (1999) spatial-HAC errors (a distance cutoff): the spatial models' check.
- :mod:`~helpers.models.iv` :func:`iv_2sls`, two-stage least squares with fixed effects.
- :mod:`~helpers.models.gravity` :func:`ppml` (Poisson PML with high-dimensional fixed effects,
  pyfixest) and :func:`transaction_cost_phi` (the transaction-cost parameter from pair flows).
- :mod:`~helpers.models.exposure` :func:`spatial_exposure` and :func:`exposure_effect` (network
  externality as exposure to connected cities, 2SLS).
- :mod:`~helpers.models.did` :func:`callaway_santanna` (staggered DiD, diff-diff), :func:`imputation`
  (two-stage / imputation DiD), :func:`twfe` (static two-way FE, for contrast), :func:`event_study`
  and :func:`honest_bounds` (Rambachan-Roth relative magnitudes).
- :func:`within`, the one within transformation every estimator (the SDM included) uses.

**Conventions shared by every estimator.**

*Calls.* ``estimator(data, <formula-like columns>, *, keyword options)``: everything after the
data and the columns that define the model (outcome, regressors, mediators, threshold
variable, weights) is keyword-only. Every column-list argument (``x``, ``controls``,
``instruments``, ...) takes one name or a list of names.

*Clusters.* ``cluster`` defaults to the ``entity`` column, whatever it is called
(``panel_fe(grunfeld, "invest", "value", controls="capital", entity="firm")`` clusters by firm);
``cluster=None`` means no clustering; any other column name clusters by that column.

*Few clusters.* ``panel_fe``, ``iv_2sls``, ``exposure_effect`` and the final regression of
``threshold`` default to ``vcov="auto"``: the cluster jackknife CRV3 read against Student
t(G - 1) when there are fewer than 50 clusters (the 21 Guangdong cities), the sandwich CRV1
below read against the normal from 50 clusters on (:mod:`helpers.models._few_clusters`;
MacKinnon, Nielsen and Webb 2023). Every result records what it used in ``inference`` (e.g.
"CRV3 by city (21 clusters), t(20)"), printed by ``summary()`` and carried by ``to_frame()``;
``df_resid`` is the t reference's degrees of freedom. The threshold test's p-value is a wild
bootstrap clustered by city (Hansen's iid residual bootstrap on request).

*Small-sample convention of CRV1.* Every clustered sandwich (``panel_fe`` and ``iv_2sls`` with
``vcov="CRV1"`` or 50 clusters and more, ``mediation``, ``serial_mediation``) is

.. math::
    \hat V = \frac{G}{G-1}\,(X'X)^{-1}\Big(\sum_{g=1}^{G} X_g'\hat u_g \hat u_g' X_g\Big)(X'X)^{-1}

with X the within-transformed regressors (first-stage fitted values for 2SLS): the cluster-count
correction G/(G-1) only, with no (n-1)/(n-k) factor and no count of absorbed fixed effects.
Without clustering every row is its own cluster (HC0 times n/(n-1)). P-values and
``conf_int`` of CRV1 use the standard normal; CRV3 and ``"iid"`` use Student t (``df_resid``);
``mediation(..., fe=False, cluster=None)`` has classical OLS standard errors and Student-t
p-values (the textbook Sobel test); its ``conf_int`` stays normal.

*Results.* Every estimator (the functions in :data:`ESTIMATORS`, PPML, phi and the exposure
effect included) returns a :class:`helpers.models.CoefficientResult`: ``params``,
``std_errors``, ``tstats``, ``pvalues``, ``cov``, ``conf_int(level)``, ``to_frame()``,
``summary()`` and an HTML repr; fields read as ``r.name`` or ``r["name"]``
(``tests/test_contract.py`` fits every one of them and checks the numbers).
Intervals that are not Wald intervals keep their own names: ``boot_ci`` and ``boot_ci_bc``
(cluster bootstrap, mediation), ``lr_ci`` (likelihood-ratio set, threshold), ``effects_ci``
(simulation draws, SDM effects). :func:`moran` returns a :class:`MoranResult`.

*Bootstraps* are vectorised: a replicate is a vector of cluster counts, and every regression of
every replicate is solved from cross-product matrices of the within-transformed data (cluster
bootstrap), or from one matrix product over the whole threshold grid (Hansen's bootstrap).
Bootstrap loops run with BLAS limited to one thread (threadpoolctl): the work is already one
large product per block, and extra threads only oversubscribe a small machine.

*Bad input* (a missing column, NaN, a duplicate city-year, an unbalanced panel where balance
is required) raises an error that names the column, city and year. A missing column raises
:class:`MissingColumnError` (both a ``KeyError`` and a ``ValueError``) naming the column and
the columns the frame has.

**Glossary of options and fields** (the same words in every estimator):

============== ==========================================================================
``level``      Level of an interval (0.95), never its complement; tests at size 1 - level.
               Old ``alpha=0.05`` is accepted as ``level=0.95`` with a DeprecationWarning.
``vcov``       Covariance: ``"CRV1"`` cluster-robust sandwich (G/(G-1)), normal reference;
               ``"CRV3"`` cluster jackknife, t(G - 1); ``"iid"`` classical, t(n - k - FE);
               ``"auto"`` (default of panel_fe, iv_2sls, exposure_effect, threshold) CRV3
               below 50 clusters, else CRV1. Each estimator accepts those it offers.
               Old ``"CV3"`` and ``cr3=True`` mean ``"CRV3"`` (DeprecationWarning).
``cluster``    Cluster column; default the entity column, ``None`` no clustering.
``n_boot``     Number of replications of any resampling: cluster or wild bootstrap,
               Hansen's bootstrap, permutations (Moran's I), simulation draws (SDM
               effects). Old ``wild_bootstrap=``, ``n_draws=``, ``permutations=`` warn.
``seed``       Seed of a local ``numpy.random.Generator`` (no global state is touched).
``n_jobs``     Worker processes of a parallel run (studies and scenarios; 1 runs serially).
``params``     Estimates by name; ``std_errors``, ``tstats``, ``pvalues``, ``cov`` alike.
============== ==========================================================================

Old names keep working for one release with a DeprecationWarning (one decorator,
``helpers.models._compat.renamed``); so do the old result attributes ``se`` and ``ci``
(``PhiResult``, ``ExposureResult``) and PPML's old ``to_frame`` columns ``estimate``,
``lower``, ``upper``.

This package never imports :mod:`helpers.simulate`: estimators never see the truth.

References
----------
Hansen, B. E. (1999). Threshold effects in non-dynamic panels. J. Econometrics 93, 345-368.
Wen, Z., Ye, B. (2014). Analyses of mediating effects. Advances in Psychological Science 22(5).
Cameron, A. C., Gelbach, J. B., Miller, D. L. (2008). Bootstrap-based improvements for
inference with clustered errors. Review of Economics and Statistics 90(3), 414-427.
LeSage, J., Pace, R. K. (2009). Introduction to Spatial Econometrics. CRC Press.
Lee, L.-F., Yu, J. (2010). Estimation of spatial autoregressive panel data models with fixed
effects. J. Econometrics 154, 165-185.
Elhorst, J. P. (2014). Spatial Econometrics: From Cross-Sectional Data to Spatial Panels. Springer.
MacKinnon, J. G., Nielsen, M. O., Webb, M. D. (2023). Cluster-robust inference: a guide to
empirical practice. J. Econometrics 232(2), 272-299.
Conley, T. G. (1999). GMM estimation with cross sectional dependence. J. Econometrics 92, 1-45.
"""

from .._results import CoefficientResult, MissingColumnError, as_list
from ._prepare import ENTITY
from ._within import within
from .did import (
                  DiDResult,
                  EventStudyResult,
                  callaway_santanna,
                  event_study,
                  honest_bounds,
                  imputation,
                  twfe,
)
from .exposure import ExposureResult, exposure_effect, spatial_exposure
from .gravity import PhiResult, PPMLResult, gravity_frame, ppml, ppml_dummies, transaction_cost_phi
from .iv import IVResult, iv_2sls
from .mediation import MediationResult, SerialMediationResult, mediation, serial_mediation
from .mediation_sensitivity import (
                  MediationSensitivity,
                  acme_curve,
                  mediation_effects,
                  mediation_sensitivity,
)
from .panel import PanelFEResult, panel_fe
from .spatial import MoranResult, SDMEffects, SDMResult, moran, sdm_effects, spatial_durbin_panel
from .spatial_hac import conley_fe
from .threshold import ThresholdResult, lr_critical, threshold

#: Every public estimator: fitted on data, returns a :class:`CoefficientResult` (the contract
#: test fits each one; a new estimator belongs here).
ESTIMATORS = ("panel_fe", "mediation", "serial_mediation", "threshold", "spatial_durbin_panel", "iv_2sls",
              "ppml", "transaction_cost_phi", "exposure_effect", "callaway_santanna", "imputation",
              "twfe", "conley_fe")
#: Public functions that are not estimators of the contract, and why.
NOT_ESTIMATORS = {
    "within": "a data transformation",
    "lr_critical": "a critical value",
    "sdm_effects": "effects at given parameters (no data, no sampling error)",
    "moran": "a test statistic per period (MoranResult)",
    "gravity_frame": "a data transformation",
    "spatial_exposure": "a data transformation",
    "ppml_dummies": "a second implementation for checks (coefficients only)",
    "as_list": "an input helper",
    "event_study": "the event-time view of callaway_santanna (its reference period has no SE)",
    "honest_bounds": "sensitivity bounds of an event study (a table, not a fit)",
    "mediation_effects": "total, direct and indirect effects of mediation with intervals (a table)",
    "mediation_sensitivity": "ACME as a function of an assumed error correlation (a curve, not a fit)",
    "acme_curve": "a closed form at given parameters (no data)",
}

__all__ = [
    "ESTIMATORS",
    "NOT_ESTIMATORS",
    "MissingColumnError",
    "as_list",
    "panel_fe",
    "PanelFEResult",
    "mediation",
    "MediationResult",
    "mediation_effects",
    "mediation_sensitivity",
    "MediationSensitivity",
    "acme_curve",
    "serial_mediation",
    "SerialMediationResult",
    "threshold",
    "ThresholdResult",
    "lr_critical",
    "sdm_effects",
    "SDMEffects",
    "spatial_durbin_panel",
    "SDMResult",
    "moran",
    "MoranResult",
    "iv_2sls",
    "IVResult",
    "conley_fe",
    "within",
    "ENTITY",
    "CoefficientResult",
    "ppml",
    "ppml_dummies",
    "PPMLResult",
    "gravity_frame",
    "transaction_cost_phi",
    "PhiResult",
    "spatial_exposure",
    "exposure_effect",
    "ExposureResult",
    "callaway_santanna",
    "imputation",
    "twfe",
    "event_study",
    "honest_bounds",
    "DiDResult",
    "EventStudyResult",
]
