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


def pytest_collection_modifyitems(config, items):
    # pytest-xdist `--dist loadgroup` (Makefile): a notebook's cells share one kernel, so each
    # notebook is one group on one worker; every other test goes to whichever worker is free,
    # which balances two workers better than whole files
    for item in items:
        if str(getattr(item, "path", "")).endswith(".ipynb"):
            item.add_marker(pytest.mark.xdist_group(str(item.path)))
