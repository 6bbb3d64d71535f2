"""Testing a custom op with autodiff.testing, as a pytest file.

    pytest examples/test_custom_function.py                      # the fixed Softplus: passes
    SHOW_BUG=1 pytest examples/test_custom_function.py           # the textbook backward: fails,
                                                                 # shrunk to x = 710.0

With ``SHOW_BUG=1`` hypothesis reports the smallest failing input it could find, and the
GradcheckError names the op whose backward is wrong and the line that created it.
"""
import os

import numpy as np
from hypothesis import given, settings

from autodiff import Tensor
from autodiff.testing import assert_grad_matches, shapes, tensors

try:  # run from the repository root or from examples/
    from examples.custom_function import Softplus, SoftplusNaive
except ImportError:
    from custom_function import Softplus, SoftplusNaive

OP = SoftplusNaive if os.environ.get("SHOW_BUG") else Softplus


@settings(max_examples=100, deadline=None)
@given(tensors(shape=shapes(max_dims=2), domain=(-1000.0, 1000.0)))
def test_softplus_gradients_match_finite_differences(x):
    with np.errstate(over="ignore", invalid="ignore"):
        assert_grad_matches(OP.apply, x)  # first and second order


@settings(max_examples=30, deadline=None)
@given(tensors(shape=(4, 3), domain=(-5.0, 5.0)), tensors(shape=(3, 2), domain=(-5.0, 5.0)))
def test_softplus_inside_a_layer(x, w):
    assert_grad_matches(lambda x, w: OP.apply(x @ w).sum(), x, w)


def test_softplus_values():
    x = Tensor(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(OP.apply(x).data, [0.0, np.log(2.0), 1000.0])
