"""Shared test setup: every test starts from the same global random seed."""
import pytest

import autodiff


@pytest.fixture(autouse=True)
def _seed_global_generator():
    autodiff.manual_seed(0)
    yield
