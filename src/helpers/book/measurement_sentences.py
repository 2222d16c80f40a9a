"""Sentences reading the measurement chapter's exhibits, generated from their numbers (printed by
:func:`helpers.book.tables.number`, the tables' own format)."""

from __future__ import annotations

import pandas as pd

from .tables import number


def entropy_weights_sentence(weights: pd.Series, labels: dict | None = None, *, where: str = "") -> str:
    """What the entropy weights say: the heaviest and lightest indicator, and why.

    The entropy method gives an indicator a weight proportional to one minus its normalised
    entropy, i.e. to how unevenly it is spread over the city-years: a weight measures
    dispersion in the sample, not an indicator's importance for virtual agglomeration.

    >>> w = pd.Series({"telecom": 0.432, "broadband": 0.3, "finance": 0.15, "info jobs": 0.118})
    >>> entropy_weights_sentence(w)[:83]
    'Telecom carries the largest entropy weight (0.432), info jobs the smallest (0.118):'
    """
    if weights.empty or weights.isna().any():
        raise ValueError("entropy_weights_sentence: every indicator needs a weight")
    labels = labels or {}
    w = weights.sort_values(ascending=False)
    top, low = w.index[0], w.index[-1]
    n = len(w)
    s = (f"{labels.get(top, top)} carries the largest entropy weight ({number(w.iloc[0])}), "
            f"{labels.get(low, low)} the smallest ({number(w.iloc[-1])}): the entropy method weights an "
            f"indicator by how unevenly it is spread over the city-years, so the index ranks cities mostly "
            f"by the {'most dispersed indicators' if n > 2 else 'more dispersed indicator'}. The weights "
            f"describe this sample's dispersion, not how much each indicator matters for virtual "
            f"agglomeration; an indicator that grows alike in every city gets little weight however "
            f"central it is{where}.")
    return s[0].upper() + s[1:]
