r"""Two no-effect worlds, and the size of the fixed-effects test with few clusters.

The design study's ``null`` world (:data:`helpers.studies.NO_EFFECT`) switches virtual
agglomeration's effects off but keeps the unobserved local shock :math:`\varepsilon_{it}` that
moves both participation (VA) and industrial synergy (``TwinParams.confounding`` = 0.20). There
the two-way FE estimate converges to the confounding bias, so its rejection rate rising with N is
a failure of identification, not of the test's size. Size needs a world without the confounder:

* ``"null"``: :data:`~helpers.studies.NO_EFFECT` (confounded: for bias);
* ``"null_unconfounded"``: the same and ``confounding = 0`` (for size).

Both draw every random number in the same order (the generator draws :math:`\varepsilon` whatever
its loading), so with one seed the two worlds share every shock and differ only in the confounder
(common random numbers; ``tests/test_nulls.py``). :func:`world_params` accepts any loading in
[0, 0.4] for a curve over confounding strength.

:func:`null_rejections` runs the FE test of H1 (synergy on VA, two-way FE, log population as
control, clusters = cities) in such a world with three inferences: CRV1 with normal critical
values (the book's default), the cluster jackknife CRV3 with t(G - 1), and the restricted wild
cluster bootstrap (Rademacher). A verdict is "supported" when the one-sided test at 2.5% rejects
(the 95% interval lies above zero; for the bootstrap: estimate above zero and two-sided wild
p-value at most 0.05), so each rate's nominal level is 0.025.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .performance import ONE_SIDED_NOMINAL, clopper_pearson, estimator_performance
from .twins import NO_EFFECT

#: The worlds of the twin (the design study stores ``effect`` and ``null``).
WORLD_NAMES = ("effect", "null", "null_unconfounded")
#: Largest confounding loading of :func:`world_params` (the curve of issue 22 runs 0 to 0.4).
MAX_CONFOUNDING = 0.4
#: The inferences of :func:`null_rejections`.
METHODS = {"CRV1": "FE, CRV1, normal critical values", "CRV3": "FE, CRV3 jackknife, t(G-1)",
           "wild": "FE, wild cluster bootstrap (Rademacher)"}
#: Study seed of the stored null run (data/power/nulls_21x13.csv); same as the design study.
NULL_SEED = 20261122

#: Estimates consistent for their estimand in the confounded worlds. The confounder eps enters
#: only VA and synergy: the instrument (historical endowment x national trend) is drawn
#: independently of eps, and the exposure design regresses participation on neighbours'
#: participation, not synergy. Every estimate with synergy as outcome and VA as an
#: uninstrumented regressor (H1-H5's evidence) is not. The first stages ``a_flows`` (flows on
#: VA) carry no confounder either, but their estimates miss the stored latent-scale truth by a
#: stable margin (a scale mismatch of the scored truth, issue 22), so they are not listed.
CONSISTENT_UNDER_CONFOUNDING = ("total_iv", "alpha_E")
#: The estimate behind each hypothesis's verdict (:func:`helpers.analysis.report.hypothesis_verdicts`).
HYPOTHESIS_EVIDENCE = {"H1": ("total",), "H2": ("via_flows",), "H3": ("via_agglomeration", "serial"),
                       "H4": ("threshold_low", "threshold_high"), "H5": ("spillover",)}


def world_params(world: str, confounding: float | None = None) -> dict | None:
    """Parameter overrides of a world for :func:`helpers.simulate.simulate_panel`.

    ``confounding`` (0 .. :data:`MAX_CONFOUNDING`) sets the confounder's loading in any world;
    ``None`` keeps the world's own (default 0.20; 0 in ``null_unconfounded``). Returns ``None``
    for the default parameters (the effect world as the design study stores it).
    """
    if world not in WORLD_NAMES:
        raise ValueError(f"world must be one of {WORLD_NAMES}, got {world!r}")
    p = {} if world == "effect" else dict(NO_EFFECT)
    if world == "null_unconfounded":
        p["confounding"] = 0.0
    if confounding is not None:
        if not 0 <= confounding <= MAX_CONFOUNDING:
            raise ValueError(f"confounding must lie in [0, {MAX_CONFOUNDING}], got {confounding}")
        p["confounding"] = float(confounding)
    return p or None


def consistent(measure: str, confounding: float = 0.2) -> bool:
    """Is the estimate (``sig_<key>`` / ``<key>``) or hypothesis (``H1`` ..) consistent for its
    estimand in a world with this confounding loading? See :data:`CONSISTENT_UNDER_CONFOUNDING`."""
    if confounding == 0:
        return True
    keys = HYPOTHESIS_EVIDENCE.get(measure)
    if keys is None:
        keys = (measure.split("_", 1)[1] if measure.startswith(("sig_", "covers_")) else measure,)
    return all(k in CONSISTENT_UNDER_CONFOUNDING for k in keys)


def twin_seed(seed: int, n_cities: int, n_years: int, rep: int) -> int:
    """Seed of one null twin: a pure function of the coordinates (as the design study's seeds),
    the same in both null worlds so they share every shock."""
    ss = np.random.SeedSequence([int(seed), int(n_cities), int(n_years), 7, int(rep)])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def null_panel(seed: int, n_cities: int = 21, n_years: int = 13, world: str = "null_unconfounded",
               confounding: float | None = None) -> pd.DataFrame:
    """Prepared constructs (:func:`helpers.analysis.report.prepare`) of one twin of a world."""
    from .. import data
    from ..analysis import report
    from ..data import cities as _cities
    from ..measure import constructs
    from ..simulate import simulate_panel

    cs = None if int(n_cities) == 21 else _cities.city_set("sample", n=int(n_cities), seed=int(seed))
    years = tuple(range(2011, 2011 + int(n_years)))
    panel, _ = simulate_panel(params=world_params(world, confounding), seed=int(seed), years=years, cities=cs)
    if cs is None:
        panel = data.validate_panel(panel, source=f"twin seed {seed}", unit_checks=False)
    else:
        panel = panel.astype({c: float for c in panel.columns if str(panel[c].dtype) == "Int64"})
    return report.prepare(constructs.build_constructs(panel))


def fe_verdicts(z: pd.DataFrame, *, n_boot: int = 199, seed: int = 0, level: float = 0.95) -> dict:
    """One twin's one-sided verdicts on H1's FE estimate under the three inferences of :data:`METHODS`."""
    from ..analysis import report
    from ..models import panel_fe

    x, y = report.VARIABLES["x"], report.VARIABLES["y"]
    c = list(report.CONTROLS)
    r1 = panel_fe(z, y, x, controls=c, n_boot=n_boot, seed=seed, vcov="CRV1")
    r3 = panel_fe(z, y, x, controls=c, vcov="CRV3")
    b = float(r1.params[x])
    z_crit = stats.norm.ppf(1 - (1 - level) / 2)
    t_crit = stats.t.ppf(1 - (1 - level) / 2, r1.n_clusters - 1)
    return {"estimate": b, "CRV1": bool(b - z_crit * r1.std_errors[x] > 0),
            "CRV3": bool(b - t_crit * r3.std_errors[x] > 0),
            "wild": bool(b > 0 and float(r1.wild_p[x]) <= 1 - level)}


def null_rejections(n_twins: int, *, n_cities: int = 21, n_years: int = 13, world: str = "null_unconfounded",
                    confounding: float | None = None, n_boot: int = 199, seed: int = NULL_SEED,
                    level: float = 0.95) -> pd.DataFrame:
    """Rejection rates of H1's FE test in a no-effect world, by inference, with Clopper-Pearson
    intervals (SIMULATED twins).

    Each twin ``r`` uses :func:`twin_seed` (``seed``, N, T, r) for the generator and for the wild
    bootstrap. Returns one row per method of :data:`METHODS`: ``rejections``, ``twins``,
    ``rate``, ``low``, ``high`` (the ``level`` CP interval), ``nominal`` (0.025: a one-sided
    verdict), and ``mean_estimate`` / ``estimate_mcse`` (the FE estimate's mean over twins, whose
    truth is zero here, and its Monte Carlo SE); ``attrs`` carry the settings.
    """
    if world == "effect":
        raise ValueError("null_rejections: 'effect' is not a no-effect world")
    if n_twins < 1:
        raise ValueError(f"n_twins must be positive, got {n_twins}")
    rows = []
    for r in range(int(n_twins)):
        s = twin_seed(seed, n_cities, n_years, r)
        z = null_panel(s, n_cities, n_years, world, confounding)
        rows.append(fe_verdicts(z, n_boot=n_boot, seed=s, level=level))
    d = pd.DataFrame(rows)
    out = []
    for m, label in METHODS.items():
        k = int(d[m].sum())
        lo, hi = clopper_pearson(k, len(d), level)
        out.append({"method": m, "inference": label, "rejections": k, "twins": len(d), "rate": k / len(d),
                    "low": lo, "high": hi, "nominal": ONE_SIDED_NOMINAL})
    res = pd.DataFrame(out).set_index("method")
    # the FE estimate's mean error against the world's truth of zero (same for every inference)
    perf = estimator_performance(d["estimate"], 0.0)
    res["mean_estimate"], res["estimate_mcse"] = perf["bias"], perf["bias_mcse"]
    res.attrs.update(simulated=True, world=world, n_cities=n_cities, n_years=n_years, n_boot=n_boot, seed=seed,
                     confounding=world_params(world, confounding).get("confounding", 0.2),
                     mean_estimate=float(d["estimate"].mean()))
    return res


def default_path() -> Path:
    """``data/power/nulls_21x13.csv`` of the checkout (the stored null run)."""
    from ..data import _checkout_root

    root = _checkout_root()   # as helpers.studies.power.default_store (not imported: no cycle)
    return (root if root is not None else Path.cwd()) / "data" / "power" / "nulls_21x13.csv"


def load_nulls(path=None) -> pd.DataFrame:
    """The stored null run (:func:`null_rejections` written by ``tools/run_nulls.py``)."""
    p = Path(path) if path is not None else default_path()
    if not p.exists():
        raise FileNotFoundError(f"no stored null run at {p} (run tools/run_nulls.py)")
    d = pd.read_csv(p).set_index("method")
    d.attrs["simulated"] = True
    return d


def confounding_curve(strengths=(0.0, 0.1, 0.2, 0.3, 0.4), n_twins: int = 200, *, n_cities: int = 21,
                      n_years: int = 13, n_boot: int = 199, seed: int = NULL_SEED,
                      level: float = 0.95) -> pd.DataFrame:
    """Rejection rates of H1's FE test in the no-effect world as the confounder's loading runs
    over ``strengths`` (0 .. :data:`MAX_CONFOUNDING`), with Clopper-Pearson intervals.

    Every strength uses the same twin seeds (common random numbers), so the curve moves only with
    the loading; at loading 0 it is the unconfounded null of :func:`null_rejections`. Returns the
    rows of :func:`null_rejections` stacked, with a ``confounding`` column. SIMULATED twins.
    """
    parts = []
    for s in strengths:
        r = null_rejections(n_twins, n_cities=n_cities, n_years=n_years, world="null", confounding=float(s),
                            n_boot=n_boot, seed=seed, level=level)
        parts.append(r.reset_index().assign(confounding=float(s)))
    out = pd.concat(parts, ignore_index=True)
    out.attrs.update(simulated=True, n_cities=n_cities, n_years=n_years, n_boot=n_boot, seed=seed)
    return out


def load_curve(path=None) -> pd.DataFrame:
    """The stored confounding curve (``data/power/nulls_curve_21x13.csv``), or None when absent."""
    p = Path(path) if path is not None else default_path().with_name("nulls_curve_21x13.csv")
    return pd.read_csv(p) if p.exists() else None
