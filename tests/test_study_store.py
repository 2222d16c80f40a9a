"""The stored design study (data/power) stays valid across refactorings of the code layout."""

from pathlib import Path

import pytest

from helpers.studies import design, power

STORE = Path(__file__).resolve().parents[1] / "data" / "power"


def test_every_stored_cell_is_current():
    # a rerun (`make power`) skips a cell whose stored fingerprint equals the one computed now;
    # moving design_twin from helpers.experiments to helpers.studies must not change it
    cells = [c for c in power.cells() if design._cell_path(STORE, c).is_file()]
    if not cells:
        pytest.skip("no stored design study in data/power")
    stale = [c.name for c in cells
             if design._stored_fingerprint(design._cell_path(STORE, c))
             != design.cell_fingerprint(c, power.analyse(), power.REPS, power.STUDY_SEED, power.settings(),
                                        power.OPTIONS)]
    assert stale == [] and len(cells) == len(power.cells())


def test_the_fingerprint_names_a_function_by_its_pinned_name_else_its_path():
    assert design.analyse_name(power.analyse()) == "helpers.experiments.design_twin"
    assert design.analyse_name(design.toy_twin) == "helpers.studies.design.toy_twin"
    cell = power.cells()[0]
    pinned = design.cell_fingerprint(cell, power.analyse(), 2, 1, {}, {})
    assert pinned != design.cell_fingerprint(cell, design.toy_twin, 2, 1, {}, {})
