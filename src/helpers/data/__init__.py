"""The data layer: the city registry, reading, validation and loading of panels.

Sub-modules (lowest first): :mod:`helpers.data.readers` (spreadsheets as yearbooks ship them),
:mod:`helpers.data.issues` (findings, reports, :class:`PanelSchemaError`),
:mod:`helpers.data.units` (unit and outlier checks), :mod:`helpers.data.schema` (validation
against a declarative schema), :mod:`helpers.data.cities` (registry, distances, boundaries,
spatial weights) and :mod:`helpers.data.loaders` (panel loading, bundled files, real-data
adapters). Every public name of :mod:`helpers.data.loaders` (which re-exports the registry) is
re-exported here, so ``helpers.data.city_table()``, ``helpers.data.load_panel()`` and
``helpers.data.bundled_file(...)`` are the package's API; ``python -m helpers.data check FILE``
prints a file's validation report. Nothing in this layer imports another layer of ``helpers``.
"""

from .loaders import *  # noqa: F401,F403  (the public API of helpers.data)
from .loaders import _checkout_root, main  # noqa: F401
