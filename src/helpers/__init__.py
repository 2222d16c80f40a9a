"""Helpers for the virtual-agglomeration compendium on Guangdong's 21 cities.

One folder per layer; a layer imports only the layers below it (``tests/test_layers.py``):

- :mod:`helpers.data`      the city registry (``cities``), reading (``readers``), validation
                           (``schema``, ``units``, ``issues``) and loading (``loaders``) of panels
- :mod:`helpers.measure`   composite indices, location quotients, co-agglomeration, coupling,
                           Theil (``indices``, ``agglomeration``, ``coordination``, ``inequality``),
                           factor-flow networks (``network``) and the book's constructs (``constructs``)
- :mod:`helpers.models`    panel fixed effects, mediation, threshold, spatial, IV, gravity, exposure
- :mod:`helpers.analysis`  the mechanism run (``report``) and the real-data analyses (``realdata``)
- :mod:`helpers.simulate`  the structural model (``model``, ``counterfactual``), its observation
                           layer (``observe``), pair flows (``flows``) and estimand-matched truths
                           (``estimands``): the truth lives here
- :mod:`helpers.studies`   twins against their truth, Monte Carlo, coverage, the design study
                           (``design``, ``power``)
- :mod:`helpers.scenarios` policy scenarios on the twin's structural model
- :mod:`helpers.book`      sentences, tables, figures and provenance for the chapters

The rule: data < measure < models < analysis, and simulate < studies < scenarios (simulate on
data, measure and models; studies also on analysis); ``book`` imports anything and nothing but
the chapters imports ``book``. ``helpers.measure`` and ``helpers.models`` never import
``helpers.simulate``: estimators never see the truth.
"""

__version__ = "0.1.0"
