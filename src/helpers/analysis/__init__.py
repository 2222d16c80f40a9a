"""The analyses of the book, on any panel (real or simulated); never the simulator's truth.

- :mod:`helpers.analysis.report`   the mechanism run (constructs -> the models of the theory),
  estimate tables, hypothesis verdicts and the disk cache of a run
- :mod:`helpers.analysis.realdata` the real-data constructs and analyses (official accounts,
  census, PKU index)

Layer: above :mod:`helpers.models`, :mod:`helpers.measure` and :mod:`helpers.data`; it never
imports :mod:`helpers.simulate`.
"""
