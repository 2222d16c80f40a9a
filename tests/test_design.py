"""The design-study runner: closed-form power, identical results for 1 and 2 Dask workers, resume."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.studies import design, power


def _closed_form_power(delta, n):
    z = stats.norm.ppf(0.975)
    return stats.norm.cdf(delta * np.sqrt(n) - z) + stats.norm.cdf(-delta * np.sqrt(n) - z)


def test_seeds_depend_on_coordinates_only():
    c = design.Cell(21, 13, "effect")
    assert design.twin_seed(1, c, 0) == design.twin_seed(1, design.Cell(21, 13, "effect"), 0)
    grid = design.grid([21, 50], [8, 13])
    seeds = {design.twin_seed(1, cc, r) for cc in grid for r in range(50)}
    assert len(seeds) == len(grid) * 50               # no two twins of the study share a seed
    # paired: one seed per design and replicate, whatever the world
    paired = {design.twin_seed(1, cc, r, paired=True) for cc in grid for r in range(50)}
    assert len(paired) == len(grid) // len({c.world for c in grid}) * 50


def test_cells_reject_bad_input():
    with pytest.raises(ValueError, match="world"):
        design.Cell(21, 13, "maybe")
    with pytest.raises(ValueError, match="2 x 13"):
        design.Cell(2, 13)


@pytest.mark.slow
def test_study_power_matches_closed_form_and_workers_do_not_matter(tmp_path):
    cells = design.grid([21, 50], [8, 20])
    one = design.run_study(cells, design.toy_twin, tmp_path / "one", reps=200, n_workers=1, progress=False)
    # same seeds, same results on two workers (replicate r's seed does not depend on the cell's
    # size, so 20 twins per cell are the first 20 replicates of the 200)
    two = design.run_study(cells, design.toy_twin, tmp_path / "two", reps=20, n_workers=2, progress=False)
    first = one.rows[one.rows["rep"] < 20].reset_index(drop=True)
    pd.testing.assert_frame_equal(first, two.rows.reset_index(drop=True))
    long = power.power_long(one.rows, ["supported", "covers"]).set_index(["world", "n_cities", "n_years", "measure"])
    for (world, n, t, measure), row in long.iterrows():
        p = _closed_form_power(0.05 if world == "effect" else 0.0, n * t) if measure == "supported" else 0.95
        assert abs(row["share"] - p) < 4 * np.sqrt(p * (1 - p) / 200) + 1e-9, (world, n, t, measure)
        assert row["twins"] == 200
    # a resumed study skips finished cells and returns the same rows
    again = design.run_study(cells, design.toy_twin, tmp_path / "one", reps=200, n_workers=1, progress=False)
    assert again.computed == [] and len(again.skipped) == len(cells)
    pd.testing.assert_frame_equal(again.rows, one.rows)
    # a changed setting (e.g. generator version) invalidates every cell
    changed = design.run_study(cells[:1], design.toy_twin, tmp_path / "one", reps=200, n_workers=1,
                               settings={"generator": "2"}, progress=False)
    assert changed.computed == [cells[0].name]


def test_minimum_designs_read_the_shares():
    # (design.power_table / minimum_design duplicated these and are gone)
    rows = pd.DataFrame({"world": "effect", "n_cities": [21, 50, 100] * 2, "n_years": [8] * 3 + [20] * 3,
                         "supported": [False, False, True, False, True, True]})
    m = power.minimum_designs(rows, ["supported"], target=0.8).loc["supported"]
    assert m["min_N_T8"] == 100 and m["min_N_T20"] == 50
    assert m["city_years"] == 800 and (m["n_cities"], m["n_years"]) == (100, 8)   # fewest city-years
