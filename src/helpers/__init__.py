"""Helpers for the virtual-agglomeration compendium on Guangdong's 21 cities.

One module per concern:

- :mod:`helpers.data`     city registry, distances, panel loading, real-data adapters
- :mod:`helpers.readers`  reading spreadsheets as yearbooks ship them (encoding, delimiter, header)
- :mod:`helpers.schema`   validation against a declarative schema (pandera), every fault at once
- :mod:`helpers.units`    unit and outlier checks (within-city jumps, cross-city outliers)
- :mod:`helpers.issues`   findings, reports and the PanelSchemaError they raise
- :mod:`helpers.simulate` the structural model and the simulated twin of Guangdong (truth lives here)
- :mod:`helpers.measure`  composite indices, location quotients, co-agglomeration, coupling, Theil
- :mod:`helpers.network`  gravity factor-flow networks and their metrics
- :mod:`helpers.realdata` the real-data constructs and tests (official accounts, census, PKU index)
- :mod:`helpers.models`   panel fixed effects, mediation, threshold, spatial and IV estimators
- :mod:`helpers.plots`    maps and figures used by the chapters

``helpers.measure`` and ``helpers.models`` never import ``helpers.simulate``: estimators
never see the truth.
"""

__version__ = "0.1.0"
