"""One twin, simulated once: truths computed later reuse the simulator's state of that twin."""

import dataclasses

import pandas as pd
import pytest

from helpers import simulate
from helpers.simulate import estimands


def test_truths_reuse_the_twins_state_and_equal_a_fresh_simulation(monkeypatch):
    years = tuple(range(2011, 2019))
    _, truth = simulate.simulate_panel(seed=5, years=years)
    assert truth.state is not None and truth.state[2] == years
    fresh = estimands.estimand_truths(truth.params, 5, measured=False, years=years,
                                      truth=dataclasses.replace(truth, state=None)).truths

    def no_second_simulation(*a, **k):
        raise AssertionError("the twin was simulated again")

    monkeypatch.setattr(simulate, "_build_state", no_second_simulation)
    reused = estimands.estimand_truths(truth.params, 5, measured=False, years=years, truth=truth).truths
    pd.testing.assert_frame_equal(reused, fresh, check_exact=True)
    with pytest.raises(AssertionError, match="simulated again"):     # other years: a new simulation
        estimands.estimand_truths(truth.params, 5, measured=False, years=years[:-1], truth=truth)


def test_a_bumped_twin_carries_no_state():
    _, truth = simulate.simulate_panel(seed=5, years=range(2011, 2016), bump={"SY": 0.01})
    assert truth.state is None
    assert "state" not in repr(truth)
