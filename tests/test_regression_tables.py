"""Journal-form regression tables: every cell read from the fitted result, labels from the one
registry, the rows a journal prints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.book import regression_tables, tables
from helpers.models import panel_fe


@pytest.fixture(scope="module")
def fits():
    rng = np.random.default_rng(7)
    d = pd.DataFrame([(c, t) for c in range(12) for t in range(6)], columns=["city", "year"])
    d["va_index"] = rng.normal(size=len(d))
    d["log_population"] = rng.normal(size=len(d))
    d["synergy"] = 0.5 * d["va_index"] + 0.1 * d["log_population"] + rng.normal(size=len(d))
    d["productivity"] = 0.3 * d["synergy"] + rng.normal(size=len(d))
    return {"(1) synergy": panel_fe(d, "synergy", ["va_index", "log_population"]),
            "(2) productivity": panel_fe(d, "productivity", ["synergy", "log_population"])}


def test_cells_come_from_the_fits(fits):
    t = regression_table = regression_tables.regression_table(fits)
    r = fits["(1) synergy"]
    rows = list(t.index)
    i = rows.index("virtual agglomeration")
    assert t.iloc[i, 0] == f"{r.params['va_index']:.3f}"
    assert t.iloc[i + 1, 0] == f"({r.std_errors['va_index']:.3f})" and rows[i + 1] == ""
    assert t.iloc[i, 1] == tables.MISSING            # not a regressor of model (2)
    assert t.at["Observations", "(1) synergy"] == "72"
    assert t.at["Clusters (cities)", "(2) productivity"] == "12"
    assert t.at["R-squared (within)", "(1) synergy"] == f"{r.rsquared_within:.3f}"
    assert t.at["Controls", "(1) synergy"] == "log population"
    assert t.at["City fixed effects", "(1) synergy"] == "yes"
    assert "log population" not in rows                # a control is a row of its own, not a coefficient
    assert regression_table is t


def test_labels_come_from_the_one_registry():
    assert tables.label("max_gap_cut") == tables.VARIABLE_LABELS["max_gap_cut"]
    assert tables.label("total_prd") == "total effect, Pearl River Delta"
    assert tables.label("unknown_name") == "unknown name"


def test_no_models_is_an_error():
    with pytest.raises(ValueError, match="no models"):
        regression_tables.regression_table({})


def test_sdm_table_prints_each_effect_with_its_se_and_interval_and_rho_once():
    from types import SimpleNamespace

    xs = ["va_index", "log_population"]
    eff = SimpleNamespace(direct=pd.Series([0.5, -0.7], index=xs), indirect=pd.Series([0.18, 1.4], index=xs),
                          total=pd.Series([0.68, 0.7], index=xs))
    se = pd.DataFrame({"direct": [0.08, 0.29], "indirect": [0.15, 0.53], "total": [0.15, 0.37]}, index=xs)
    ci = pd.DataFrame({"lower": np.arange(6) / 10, "upper": np.arange(6) / 10 + 1},
                      index=pd.MultiIndex.from_product([["direct", "indirect", "total"], xs]))
    sdm = SimpleNamespace(effects=eff, effects_se=se, effects_ci=ci, rho=-0.31,
                          std_errors=pd.Series({"rho": 0.125}), nobs=273)
    t = regression_tables.sdm_table(sdm)
    rows = list(t.index)
    i = rows.index("virtual agglomeration")
    assert t.iloc[i, 1] == "0.180" and t.iloc[i + 1, 1] == "(0.150)" and t.iloc[i + 2, 1] == "[0.200, 1.200]"
    assert rows.count("spatial coefficient rho") == 1
    assert t.at["spatial coefficient rho", "direct"] == "-0.310" and t.at["Observations", "direct"] == "273"
