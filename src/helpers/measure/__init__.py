r"""Composite indices, location quotients, co-agglomeration, coupling, synergy and Theil.

Every function is a small pure function over DataFrames or arrays. Labels are kept: when the
input is a DataFrame or Series, the output is indexed like it. Bad input (missing values,
constant indicators, negative employment, scores outside [0, 1], mismatched shapes) raises a
:class:`ValueError` that names the column, row or argument at fault; no function returns NaN
silently.

The measures live in one module per concern, all re-exported here:

- :mod:`helpers.measure.indices`        normalisation, entropy weights and index, TOPSIS
- :mod:`helpers.measure.agglomeration`  location quotients, co-agglomeration
- :mod:`helpers.measure.coordination`   coupling coordination, bands, order and synergy degrees
- :mod:`helpers.measure.inequality`     the Theil index and its decomposition
- :mod:`helpers.measure.input_output`   technical coefficients, Leontief inverse, linkages
- :mod:`helpers.measure.chain`          chain synergy of cities from input-output links

This package never imports :mod:`helpers.simulate`: measurement never sees the truth.
"""

from __future__ import annotations

from . import coordination as _coordination
from .agglomeration import coagglomeration, location_quotient
from .chain import (chain_coagglomeration, chain_synergy, employment_long, io_coefficients,
                    linkage_mix, local_sourcing_potential, table_year_for)
from .coordination import coordination_band, coupling_coordination, order_degree, synergy_degree
from .indices import entropy_index, entropy_weights, normalize_indicators, topsis
from .inequality import TheilResult, theil
from .input_output import (aggregate_flows, import_proportional_domestic, leontief_inverse,
                           rasmussen_linkages, technical_coefficients, value_added_shares)

#: The ten coordination bands of the coupling coordination degree D, each 0.1 wide, lowest
#: first; lower edges are inclusive and D = 1 belongs to the top band (assigned here, not
#: imported, so that this comment documents it in the API reference).
COORDINATION_BANDS = _coordination.COORDINATION_BANDS

__all__ = [
    "COORDINATION_BANDS",
    "normalize_indicators",
    "entropy_weights",
    "entropy_index",
    "topsis",
    "location_quotient",
    "coagglomeration",
    "coupling_coordination",
    "coordination_band",
    "order_degree",
    "synergy_degree",
    "theil",
    "TheilResult",
    "technical_coefficients",
    "leontief_inverse",
    "value_added_shares",
    "import_proportional_domestic",
    "aggregate_flows",
    "rasmussen_linkages",
    "table_year_for",
    "io_coefficients",
    "chain_coagglomeration",
    "local_sourcing_potential",
    "linkage_mix",
    "chain_synergy",
    "employment_long",
]
