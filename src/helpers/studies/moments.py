"""The twin's within-city moments beside the real ones: the calibration check (SIMULATED).

:func:`twin_frame` maps a twin panel to the harmonised frame of :mod:`helpers.analysis.moments`;
:func:`twin_moment_values` averages the same moment functions over a few twin seeds;
:func:`calibration_check` sets them beside the real moments and their cluster-bootstrap SEs.

The twin emits value added of the three sectors (:func:`helpers.simulate.observe._sectors`), so
its coupling coordination is the real construct, of secondary and tertiary value added per head
(tertiary value added loads on the twin's synergy, so the construct moves with it). The twin's
``digital_finance_index`` stands for the digital index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import Result
from ..analysis import moments as _m
from ..simulate import DEFAULT_SEED
from .twins import twin_panel


def twin_frame(panel: pd.DataFrame) -> pd.DataFrame:
    """Harmonised frame (:mod:`helpers.analysis.moments`) of a twin panel (SIMULATED)."""
    df = panel[["city", "code", "region", "year", "population", "gdp", "loans", "broadband_per100",
                "employment"]].copy()
    for c in ("population", "gdp", "loans", "broadband_per100", "employment"):
        df[c] = df[c].astype(float)
    # the real construct: coupling coordination of secondary and tertiary value added per head
    df["va_secondary"] = panel["va_secondary"].astype(float)
    df["va_tertiary"] = panel["va_tertiary"].astype(float)
    df["mfg_share"] = panel["emp_manufacturing"].astype(float) / df["employment"]
    df["digital_index"] = panel["digital_finance_index"].astype(float)
    df["group"] = df["region"].astype(str)
    df.attrs.update(simulated=True)
    return df


def twin_moment_values(seeds=(DEFAULT_SEED,), reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Moments of the twin for each seed (columns) and their mean (column ``mean``). SIMULATED.

    The bundled seed reads the shipped panel; any other seed simulates a new twin (a few seconds).
    """
    cols = {int(s): _m.moment_values(twin_frame(twin_panel(int(s))), reference) for s in seeds}
    out = pd.DataFrame(cols)
    out["mean"] = out.mean(axis=1)
    return out


@dataclass(repr=False)
class CalibrationCheck(Result):
    """Real moments (with SEs) beside the twin's (SIMULATED): ``table`` with columns ``label``,
    ``targeted``, ``real``, ``se``, ``twin (SIMULATED)``, ``gap (SEs)``; ``twin_seeds``; ``n_boot``."""

    table: pd.DataFrame
    twin_seeds: tuple
    n_boot: int
    source: str

    @property
    def off(self) -> pd.DataFrame:
        """Rows whose gap exceeds 2 SEs in absolute value."""
        return self.table[self.table["gap (SEs)"].abs() > 2]

    def summary(self) -> str:
        return (f"Calibration check: {self.source} vs the twin (SIMULATED, seeds {list(self.twin_seeds)})\n"
                + self.table.to_string(float_format=lambda v: f"{v:.4f}"))


def calibration_check(real: _m.MomentTable, twin: pd.DataFrame) -> CalibrationCheck:
    """Join real moments (:func:`helpers.analysis.moments.moments`) and the twin's mean moments
    (:func:`twin_moment_values`); gap = (twin - real) / SE. Moments the real data lack are dropped."""
    t = real.table
    tab = pd.DataFrame({"label": t["label"], "targeted": t["targeted"], "real": t["value"], "se": t["se"],
                        "twin (SIMULATED)": twin["mean"].reindex(t.index)})
    tab["gap (SEs)"] = (tab["twin (SIMULATED)"] - tab["real"]) / tab["se"].where(tab["se"] > 0)
    tab = tab[tab["real"].notna()]
    seeds = tuple(int(c) for c in twin.columns if c != "mean")
    return CalibrationCheck(table=tab, twin_seeds=seeds, n_boot=real.n_boot, source=real.source)


def guangdong_inputs(pku_path=None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The real Guangdong's harmonised frame (:func:`helpers.analysis.moments.guangdong_frame`)
    and the PKU index as a reference (city, year, ``value``; None when the reader lacks it)."""
    from ..analysis.realdata import pku_index

    pku, _ = pku_index(pku_path)
    ref = None if pku is None else pku[["city", "year"]].assign(value=pku["index_aggregate"].to_numpy())
    return _m.guangdong_frame(pku=pku), ref


def guangdong_real(frame: pd.DataFrame, ref: pd.DataFrame | None, *, n_boot: int = 199, seed: int = 0
                   ) -> _m.MomentTable:
    """The real Guangdong's moments with cluster-bootstrap SEs (REAL data; :func:`guangdong_inputs`)."""
    real = _m.moments(frame, n_boot=n_boot, seed=seed, reference=ref, source="the real Guangdong, 2011-2023")
    if ref is not None:   # the real index against itself: 1 by definition, no sampling error
        real.table.loc["rank_digital_reference", ["value", "se"]] = [1.0, np.nan]
    return real


def guangdong_check(*, twin_seeds=(DEFAULT_SEED,), n_boot: int = 199, seed: int = 0, pku_path=None
                    ) -> CalibrationCheck:
    """The calibration check on the real Guangdong (moments of :func:`helpers.analysis.moments.guangdong_frame`)."""
    frame, ref = guangdong_inputs(pku_path)
    return calibration_check(guangdong_real(frame, ref, n_boot=n_boot, seed=seed), twin_moment_values(twin_seeds, ref))
