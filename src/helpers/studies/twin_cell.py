"""One twin of the design study, and the twin-specific truths and channels the chapters read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import report
from ..measure import constructs
from ..simulate import DEFAULT_SEED, estimands, simulate_panel
from .twins import exposure_estimate, truth_comparison


def design_twin(n_cities: int, n_years: int, world: str, seed: int, *, n_boot: int = 199,
                threshold_boot: int = 49, wild_boot: int = 0) -> dict:
    """One twin of the design study (:func:`helpers.studies.design.run_study`): simulate, analyse, score.

    The city set is Guangdong's 21 cities for ``n_cities == 21`` and otherwise
    ``helpers.data.cities.city_set("sample", n=n_cities, seed=seed)`` (Guangdong's 21 first when
    ``n_cities > 21``); the years are ``2011 .. 2011 + n_years - 1``. World ``"effect"`` uses the
    default parameters, ``"null"`` :data:`NO_EFFECT` (every supported verdict is a false positive),
    ``"null_unconfounded"`` the same without the local shock that confounds FE
    (:func:`helpers.studies.nulls.world_params`).
    The book's analysis (:func:`helpers.analysis.report.run_mechanism` on
    :func:`helpers.measure.constructs.build_constructs`) is run with ``boot_seed = seed``.

    Returns
    -------
    dict of scalars
        ``H1`` .. ``H5``: the hypothesis was declared supported (:func:`helpers.analysis.report.hypothesis_verdicts`);
        for every estimate of :func:`helpers.analysis.report.estimates_table`: ``est_<key>`` and
        ``sig_<key>`` (its 95% interval lies above zero: the estimate's own power); for every
        estimate with an estimand-matched truth (:data:`helpers.simulate.estimands.TRUTH_FOR`, which also
        covers the threshold's regime slopes ``threshold_low`` / ``threshold_high`` and the outcome
        slopes of :data:`EXTRA_ROWS`): ``true_<key>`` and ``covers_<key>`` (1.0 / 0.0, NaN when
        the truth is undefined for the set, e.g. no PRD city or no city-year above the threshold);
        ``gamma_hat`` / ``gamma_true``: the network-size threshold; the exposure channel
        (:func:`exposure_estimate`): ``est_alpha_E``, ``sig_alpha_E``, ``true_alpha_E``,
        ``covers_alpha_E``.

    Notes
    -----
    Truths are the estimand-matched truths on the **latent scale**
    (:func:`helpers.simulate.estimands.estimand_truths` with ``measured=False``: regression-weighted
    marginal effects between standardised latent states), as in :func:`truth_comparison`. The
    measured-scale truths cost many counterfactual re-simulations per twin, too slow for a study
    of thousands of twins. The transaction-cost parameter phi is *not* scored here: its gravity
    estimate (:func:`helpers.models.transaction_cost_phi` on :func:`helpers.simulate.flows.simulate_flows`)
    costs about 0.6 s per twin at 21 cities, above the study's 0.3 s budget per twin.
    Column names are a stable interface of the design study (:mod:`helpers.studies.design`).
    """
    from ..data import cities as _cities
    from .nulls import WORLD_NAMES, world_params

    if world not in WORLD_NAMES:
        raise ValueError(f"world must be one of {WORLD_NAMES}, got {world!r}")
    cs = None if int(n_cities) == 21 else _cities.city_set("sample", n=int(n_cities), seed=int(seed))
    years = range(2011, 2011 + int(n_years))
    params = world_params(world)   # "null": NO_EFFECT; "null_unconfounded": and no confounder
    years = tuple(years)
    panel, truth = simulate_panel(params=params, seed=int(seed), years=years, cities=cs)
    # validate_panel's dtypes without its schema checks: the generator's own output is checked by
    # tests (tests/test_fast_paths.py validates the study's twins and shows the rows equal with the
    # checks run), and the checks cost ~0.04 s of a 21-city twin's ~0.35 s
    panel = panel.astype({c: float for c in panel.columns if str(panel[c].dtype) == "Int64"})
    c = constructs.build_constructs(panel)
    res = report.run_mechanism(c, truth.W, n_boot=n_boot, threshold_boot=threshold_boot,
                               wild_boot=wild_boot, boot_seed=int(seed) % (2**32))
    verdicts = report.hypothesis_verdicts(res)
    row = {h: bool(verdicts.at[h, "verdict"] == "supported") for h in verdicts.index}
    tab = report.estimates_table(res)
    for key in tab.index:
        row[f"est_{key}"] = float(tab.at[key, "estimate"])
        row[f"sig_{key}"] = bool(tab.at[key, "ci_low"] > 0)
    cmp = truth_comparison(res, seed, truth=truth, cities=cs, years=years).comparison
    for key in cmp.index:
        t = float(cmp.at[key, "true"])
        row[f"true_{key}"] = t
        row[f"covers_{key}"] = float(cmp.at[key, "covers"]) if np.isfinite(t) else float("nan")
    row["gamma_hat"] = float(np.atleast_1d(res.threshold.gamma)[0])
    row["gamma_true"] = float(truth.threshold["gamma"])
    try:
        ex = exposure_estimate(truth)
        a_true = float(truth.params.alpha_E)
        row["est_alpha_E"] = float(ex.alpha_E)
        lo, hi = ex.conf_int(0.95).loc[ex.exposure]
        row["sig_alpha_E"] = bool(lo > 0)
        row["true_alpha_E"] = a_true
        row["covers_alpha_E"] = float(lo <= a_true <= hi)
    except (ValueError, np.linalg.LinAlgError):   # e.g. too few cities or years for 2SLS
        row.update(est_alpha_E=float("nan"), sig_alpha_E=False, true_alpha_E=float(truth.params.alpha_E),
                   covers_alpha_E=float("nan"))
    return row


# The stored design study (data/power) was fingerprinted when this function lived in
# helpers/experiments.py; the fingerprint names it so, and the move to helpers.studies must not
# invalidate the stored cells (helpers.studies.design.analyse_name).
design_twin.fingerprint_name = "helpers.experiments.design_twin"


# --------------------------------------------------------------------------- chapters' helpers
#: The helpers packages an estimand-matched truth goes through (simulate and the layers below).
TRUTH_SOURCES = ("_results", "data", "measure", "models", "simulate")


def cached_truths(twin_seed: int | None = None, *, measured: bool = True, cache_dir=None) -> estimands.EstimandTruths:
    """Estimand-matched truths of the twin ``twin_seed`` (default the bundled one), cached on disk
    by :func:`helpers._cache.cached` like :func:`helpers.analysis.report.cached_mechanism`
    (``cache_dir`` or :func:`helpers._cache.default_cache_dir`; key: generator version, seed,
    scale and the source of :data:`TRUTH_SOURCES`, so an edit to :mod:`helpers.simulate.estimands`
    recomputes), so the Mechanism and Findings chapters pay the measured scale's 10-30 s once."""
    from .. import _cache
    from ..simulate import GENERATOR_VERSION

    seed = DEFAULT_SEED if twin_seed is None else int(twin_seed)
    key = _cache.cache_key("truths", GENERATOR_VERSION, seed, bool(measured), sources=TRUTH_SOURCES)
    return _cache.cached("truths", key, lambda: estimands.estimand_truths(seed=seed, measured=measured),
                         cache_dir=cache_dir)


def identifiable_channels(twin_seed: int | None = None, *, vcov: str = "CRV1") -> pd.DataFrame:
    """The two channels the seeds name that the twin makes identifiable, each beside its truth.

    ``alpha_E`` (network externality as exposure to participation in nearby cities,
    :func:`exposure_estimate`, logit scale) and ``phi`` (transaction costs: how much joint
    platform participation lowers the distance elasticity of pair flows, PPML gravity on the
    twin's pair flows, :func:`helpers.models.transaction_cost_phi` with ``vcov``). Both use data
    the book's panel does not have (platform participation by city; city-to-city flows); see
    :mod:`helpers.models.exposure` and :mod:`helpers.models.gravity` for what Guangdong would need.
    SIMULATED.
    """
    from ..models import transaction_cost_phi
    from ..simulate.flows import simulate_flows

    seed = DEFAULT_SEED if twin_seed is None else int(twin_seed)
    _, truth = simulate_panel(seed=seed)
    ex = exposure_estimate(truth)
    flows, ft = simulate_flows(seed=seed)
    ph = transaction_cost_phi(flows, vcov=vcov)
    rows = {"alpha_E": ("network externality: exposure to nearby participation (logit scale)", ex.alpha_E,
                        *ex.conf_int(0.95).loc[ex.exposure],
                        float(truth.params.alpha_E)),
            "phi": ("transaction costs: cut in the distance elasticity at full joint participation", ph.phi,
                    *ph.conf_int(ph.level).loc["phi"],
                    float(ft["phi"]))}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["quantity", "estimate", "ci_low", "ci_high", "true"])
    out["covers"] = (out["ci_low"] <= out["true"]) & (out["true"] <= out["ci_high"])
    out.index.name = "key"
    return out
