"""Shared test setup: a deterministic hypothesis profile and a fixed global random seed."""
import pytest
from hypothesis import settings

import autodiff

# Shared machines are noisy: no per-example deadline, the same examples on every run (a red CI
# is then a real failure, reproducible), and no example database written into the tree.
settings.register_profile("autodiff", deadline=None, derandomize=True, database=None)
settings.load_profile("autodiff")


@pytest.fixture(autouse=True)
def _seed_global_generator():
    autodiff.manual_seed(0)
    yield
