"""Studies on simulated twins: the estimators put against the twin's truth (SIMULATED).

The one place besides tests where an estimate meets the true effect. Sub-modules:

- :mod:`helpers.studies.twins`      a twin's panel, its analysis and the estimate-versus-truth
  comparison (:func:`truth_comparison`, :func:`analyse_twin`)
- :mod:`helpers.studies.montecarlo` the whole analysis repeated on independent twins
- :mod:`helpers.studies.coverage`   interval coverage in correctly specified twins
- :mod:`helpers.studies.scales`     what the measurement layer does to the slopes
- :mod:`helpers.studies.twin_cell`  one twin of the design study, cached truths, identifiable channels
- :mod:`helpers.studies.design`     the generic resumable design-study runner (Dask)
- :mod:`helpers.studies.power`      the book's design study: grid, power tables, command line
- :mod:`helpers.studies.parts_store` a study stored in fingerprinted parts that a chapter reads back
  (:mod:`helpers.studies.findings` is one)

Every public name of the first five is re-exported here (they were ``helpers.experiments``).
The sentences on these studies are written by :mod:`helpers.book.study_sentences`.
Layer: above :mod:`helpers.simulate` and :mod:`helpers.analysis`, below :mod:`helpers.scenarios`.
"""

from .coverage import (
                       CORRECT_INTERVALS,
                       CORRECTLY_SPECIFIED,
                       SPATIAL_INTERVALS,
                       CorrectSpecCoverage,
                       correct_spec_coverage,
)
from .montecarlo import MonteCarloResult, monte_carlo
from .scales import CONSTRUCT_OF, MEASURED_SLOPES, construct_scales, predicted_measurement
from .twin_cell import cached_truths, design_twin, identifiable_channels
from .twins import (
                       EXTRA_ROWS,
                       NO_EFFECT,
                       TruthComparison,
                       TwinAnalysis,
                       analyse_twin,
                       estimates_with_slopes,
                       exposure_estimate,
                       truth_comparison,
                       twin_panel,
)

__all__ = [
    "CORRECT_INTERVALS", "CORRECTLY_SPECIFIED", "SPATIAL_INTERVALS", "CorrectSpecCoverage", "correct_spec_coverage",
    "MonteCarloResult", "monte_carlo", "CONSTRUCT_OF", "MEASURED_SLOPES", "construct_scales",
    "predicted_measurement", "cached_truths", "design_twin", "identifiable_channels", "EXTRA_ROWS", "NO_EFFECT",
    "TruthComparison", "TwinAnalysis", "analyse_twin", "estimates_with_slopes", "exposure_estimate",
    "truth_comparison", "twin_panel",
]
