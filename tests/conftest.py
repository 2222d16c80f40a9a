"""Shared fixtures. Real public inputs are read where they lie (../shared/realdata), never copied."""

import os
from pathlib import Path

import pytest

from helpers.data import default_realdata_dir

ROOT = Path(__file__).resolve().parents[1]

# Kernels that nbval starts (and their Dask workers) log errors only, also when pytest is run by
# hand rather than by `make test` (which exports the same): no time-stamped warnings in outputs.
os.environ.setdefault("DASK_DISTRIBUTED__LOGGING__DISTRIBUTED", "error")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def realdata() -> Path:
    d = default_realdata_dir()
    if not d.is_dir():
        pytest.skip(f"real data folder {d} is absent")
    return d


@pytest.fixture(scope="session")
def twin():
    from helpers.simulate import simulate_panel

    return simulate_panel()

