"""helpers.book.tables prints what a journal prints: no NaN, no 0.000, no 1e-82 p-values, no truncation."""

import numpy as np
import pandas as pd
import pytest

from helpers.book import tables


def test_format_table_rounds_dashes_missing_and_floors_p_values():
    df = pd.DataFrame({"coef": [0.12345, np.nan, 0.0], "wild p": [2.3e-82, 0.0456, np.nan],
                       "p_sim": [0.0004, 0.5, 1.0], "n": [1200, 3, 4], "small": [0.00004, 1.0, 2.0]},
                      index=["a", "b", "c"])
    out = tables.format_table(df, digits=3)
    assert out["coef"].tolist() == ["0.123", tables.MISSING, "0"]
    assert out["wild p"].tolist() == ["< 0.001", "0.046", tables.MISSING]
    assert out["p sim"].tolist() == ["< 0.001", "0.500", "1.000"]
    assert out["n"].tolist() == ["1,200", "3", "4"]
    assert out["small"].iloc[0] == "4e-05"      # not a misleading 0.000, and not a p-value column


def test_exhibit_keeps_every_row_and_long_text_and_right_aligns_numbers():
    long = "raises industrial synergy through factor-flow networks and agglomeration, " * 3
    df = pd.DataFrame({"claim": [long] * 30, "p": [0.0001] * 30})
    t = tables.exhibit(df, "A caption.", "tbl-x")
    rows = [line for line in t.markdown.splitlines() if line.startswith("| ")]
    assert len(rows) == 31 and long.strip() in t.markdown and "..." not in t.markdown
    assert t.markdown.splitlines()[5] == "|:--|:--|--:|"
    with pytest.raises(ValueError, match="label"):
        tables.exhibit(df, "c", "bad label")


def test_readable_index_replaces_longest_names_first():
    df = pd.DataFrame({"coef": [1.0, 2.0, 3.0]}, index=["va_index_lag", "broadband_per100 > 52.71", "other"])
    assert tables.readable_index(df).index.tolist() == [
        "virtual agglomeration, lagged", "broadband subscribers per 100 people > 52.71", "other"]


def test_identifier_columns_print_without_separators():
    out = tables.format_table(pd.DataFrame({"code": [440100], "year": [2020], "pop_2020": [18676605]}))
    assert out.iloc[0].tolist() == ["440100", "2020", "18,676,605"]
