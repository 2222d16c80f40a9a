r"""Scenario outcomes in real units: value added in 100 million yuan and the real synergy construct.

The scenarios move latent states (participation, synergy SY, log productivity P). A policy
analyst needs yuan and the construct the real data measure. Two mappings, both following the
twin's own observation layer (:mod:`helpers.simulate.observe`):

**Value added.** In the twin, GDP is labour productivity times employment,
:math:`GDP_{it} \propto e^{P_{it}} E_{it}`, and no lever moves employment, so a scenario
changes a city's GDP by the factor :math:`e^{\Delta P_{it}}`. The baseline level path is the
twin's calibrated GDP level :math:`G_{it}` (:func:`helpers.simulate.calibration_targets`: the
real city and year levels of the official accounts, 100 million yuan, extended past the last
accounts year along the trend of its last five years), so

.. math::

    GDP^{s}_{it} = G_{it}\, e^{P^{s}_{it} - P^{0}_{it}}, \qquad
    \Delta GDP_t = \sum_i G_{it} \big(e^{\Delta P_{it}} - 1\big).

The province's observed GDP in the twin is rescaled to the real provincial sum every year
(a year effect), which would force every policy effect on the total to zero; the scenarios
therefore use the structural law, not the rescaled observable.

**Secondary and tertiary value added, and their coupling.** When the twin emits sector
accounts (generator with ``TwinParams.synergy_tertiary``: value added of the primary, secondary
and tertiary industries, GDP their sum), each sector follows its own law there,
:math:`\ln VA^k = level^k + L\,(P + \ln E) + x^k` with loading :math:`L` = ``gdp_loading`` and
:math:`x^3 = \lambda_S SY` for the tertiary sector (``synergy_tertiary``), so a scenario moves them by

.. math::

    VA^{k,s}_{it} = V^k_{it}\, e^{L \Delta P_{it} + [k = 3]\, \lambda_S \Delta SY_{it}},

with :math:`V^k_{it}` the calibrated sector level paths, and GDP is their sum. Otherwise (older
generators) GDP follows the first law above, secondary value added is the twin's industrial value
added :math:`GDP (0.25 + 0.25\, m_{it})`, with the manufacturing employment share
:math:`m_{it} = 0.12 + 0.40\, \Lambda(1.2 (AG_{it} - \overline{AG}))` centred at the baseline
path's mean, and tertiary value added the rest of GDP (a stand-in: no primary sector). The real
synergy construct is the coupling coordination degree D of secondary and tertiary value added
per head (:func:`helpers.measure.coupling_coordination`, both indicators min-max normalised by
:func:`helpers.measure.normalize_indicators`), as :func:`helpers.analysis.moments.coupling`
computes it on real data; here the normalisation pools every city-year of every scenario of a
run, so all scenarios share one scale.

Every number here is SIMULATED.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import measure as _measure
from .. import simulate as _sim

#: Real-unit measures added to each run (levels; effects are differences from the baseline).
REAL_MEASURES = ("gdp_yuan", "va_secondary_yuan", "va_tertiary_yuan", "coupling_D")


_SECTORS = ("va_primary", "va_secondary", "va_tertiary")


def level_paths(ext) -> dict:
    """The twin's calibrated level paths (T, N; 100 million yuan; registry order): ``gdp`` and,
    when the twin has sector accounts, ``va_primary``, ``va_secondary``, ``va_tertiary``."""
    t = _sim.calibration_targets(tuple(ext.st.years))
    cols = ["gdp"] + [c for c in _SECTORS if c in t.columns]
    return {c: t.pivot(index="year", columns="city", values=c).loc[list(ext.st.years), list(ext.st.reg.index)]
            .to_numpy() for c in cols}


def gdp_levels(ext) -> np.ndarray:
    """The twin's calibrated GDP level path G_it (T, N), 100 million yuan, registry order."""
    return level_paths(ext)["gdp"]


def _has_sector_law(params, levels) -> bool:
    return hasattr(params, "synergy_tertiary") and all(c in levels for c in _SECTORS)


def sector_values(arrays: dict, base: dict, levels, params=None) -> dict:
    """GDP, secondary and tertiary value added (T, N; 100 million yuan) of one scenario's paths.

    ``levels``: :func:`level_paths` (or the GDP array alone); ``params``: the twin's
    :class:`~helpers.simulate.TwinParams` (selects the sector law, see the module docstring).
    """
    levels = levels if isinstance(levels, dict) else {"gdp": levels}
    dP = arrays["P"] - base["P"]
    if params is not None and _has_sector_law(params, levels):
        L = float(getattr(params, "gdp_loading", 1.0))
        common = np.exp(L * dP)
        primary = levels["va_primary"] * common
        secondary = levels["va_secondary"] * common
        tertiary = levels["va_tertiary"] * common * np.exp(params.synergy_tertiary * (arrays["SY"] - base["SY"]))
        return {"gdp": primary + secondary + tertiary, "secondary": secondary, "tertiary": tertiary}
    gdp = levels["gdp"] * np.exp(dP)
    share_m = 0.12 + 0.40 * _sim.logistic(1.2 * (arrays["AG"] - base["AG"].mean()))
    secondary = gdp * (0.25 + 0.25 * share_m)
    return {"gdp": gdp, "secondary": secondary, "tertiary": gdp - secondary}


def coupling_paths(values: dict, pop: np.ndarray) -> dict:
    """Coupling coordination D (T, N) per scenario, on one min-max scale pooled over scenarios.

    ``values``: scenario -> output of :func:`sector_values`; ``pop`` (T, N) in 10k persons.
    """
    names = list(values)
    shape = pop.shape
    per = pd.DataFrame({
        "secondary": np.concatenate([(values[k]["secondary"] / pop).ravel() for k in names]),
        "tertiary": np.concatenate([(values[k]["tertiary"] / pop).ravel() for k in names]),
    })
    D = _measure.coupling_coordination(_measure.normalize_indicators(per))["D"].to_numpy()
    size = shape[0] * shape[1]
    return {k: D[i * size:(i + 1) * size].reshape(shape) for i, k in enumerate(names)}


def real_measures(ext, paths: dict, baseline: str = "baseline") -> dict:
    """Per scenario: a DataFrame by year of the :data:`REAL_MEASURES` (province totals in 100
    million yuan; ``coupling_D`` the unweighted mean over cities)."""
    if baseline not in paths:
        raise ValueError(f"real_measures needs the {baseline!r} run (effects are measured against it)")
    levels = level_paths(ext)
    base = paths[baseline].arrays
    vals = {k: sector_values(p.arrays, base, levels, ext.params) for k, p in paths.items()}
    D = coupling_paths(vals, ext.st.pop)
    out = {}
    for k, v in vals.items():
        out[k] = pd.DataFrame({"gdp_yuan": v["gdp"].sum(axis=1), "va_secondary_yuan": v["secondary"].sum(axis=1),
                               "va_tertiary_yuan": v["tertiary"].sum(axis=1), "coupling_D": D[k].mean(axis=1)},
                              index=pd.Index(ext.st.years, name="year"))
    return out
