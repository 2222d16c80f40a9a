"""The design-study runner: closed-form power, identical results for 1 and 2 Dask workers, resume."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.studies import design


def _closed_form_power(delta, n):
    z = stats.norm.ppf(0.975)
    return stats.norm.cdf(delta * np.sqrt(n) - z) + stats.norm.cdf(-delta * np.sqrt(n) - z)


def test_seeds_depend_on_coordinates_only():
    c = design.Cell(21, 13, "effect")
    assert design.twin_seed(1, c, 0) == design.twin_seed(1, design.Cell(21, 13, "effect"), 0)
    seeds = {design.twin_seed(1, cc, r) for cc in design.grid([21, 50], [8, 13]) for r in range(50)}
    assert len(seeds) == 8 * 50                       # no two twins of the study share a seed


def test_cells_reject_bad_input():
    with pytest.raises(ValueError, match="world"):
        design.Cell(21, 13, "maybe")
    with pytest.raises(ValueError, match="2 x 13"):
        design.Cell(2, 13)


@pytest.mark.slow
def test_study_power_matches_closed_form_and_workers_do_not_matter(tmp_path):
    cells = design.grid([21, 50], [8, 20])
    one = design.run_study(cells, design.toy_twin, tmp_path / "one", reps=200, n_workers=1, progress=False)
    two = design.run_study(cells, design.toy_twin, tmp_path / "two", reps=200, n_workers=2, progress=False)
    pd.testing.assert_frame_equal(one.rows, two.rows)          # same seeds, same results
    table = design.power_table(one.rows, ["supported", "covers"])
    for (world, n, t), row in table.iterrows():
        p = _closed_form_power(0.05 if world == "effect" else 0.0, n * t)
        se = np.sqrt(p * (1 - p) / 200)
        assert abs(row[("supported", "share")] - p) < 4 * se + 1e-9, (world, n, t)
        assert abs(row[("covers", "share")] - 0.95) < 4 * np.sqrt(0.95 * 0.05 / 200)
    # a resumed study skips finished cells and returns the same rows
    again = design.run_study(cells, design.toy_twin, tmp_path / "one", reps=200, n_workers=1, progress=False)
    assert again.computed == [] and len(again.skipped) == len(cells)
    pd.testing.assert_frame_equal(again.rows, one.rows)
    # a changed setting (e.g. generator version) invalidates every cell
    changed = design.run_study(cells[:1], design.toy_twin, tmp_path / "one", reps=200, n_workers=1,
                               settings={"generator": "2"}, progress=False)
    assert changed.computed == [cells[0].name]


def test_minimum_design_reads_the_table():
    rows = pd.DataFrame({"world": "effect", "n_cities": [21, 50, 100] * 2, "n_years": [8] * 3 + [20] * 3,
                         "supported": [False, False, True, False, True, True]})
    table = design.power_table(rows, ["supported"])
    m = design.minimum_design(table, "supported", target=0.8)
    assert m.loc[8, "min_cities"] == 100 and m.loc[20, "min_cities"] == 50
    assert m.loc[20, "city_years"] == 1000
