"""The book layer: everything the chapters print or draw.

- :mod:`helpers.book.narrative`        sentences generated from numbers (findings, real data)
- :mod:`helpers.book.study_sentences`  sentences on the simulation studies and the design study
- :mod:`helpers.book.scenario_sentences` tables and sentences on the policy scenarios
- :mod:`helpers.book.theory_sentences` sentences reading the theory chapter's exhibits
- :mod:`helpers.book.tables`           numbered exhibits (tables)
- :mod:`helpers.book.plots`            maps and figures
- :mod:`helpers.book.scenario_plots`   the policy chapter's figures
- :mod:`helpers.book.provenance`       the build's version and commit

The book imports any layer; no other part of ``helpers`` imports it (only the chapters do).
"""
