"""Write a custom op, test it with autodiff.testing, watch hypothesis find a bug, fix it.

The op is softplus, log(1 + exp(x)), with its own forward and backward (a `Function`). The forward
is numerically stable (``np.logaddexp``), but the first backward is the textbook formula
exp(x) / (1 + exp(x)), which overflows to inf / inf = NaN for x above ~709.8. A property test
draws tensors of any small shape with elements in [-1000, 1000]; hypothesis finds a failing
input and shrinks it to the smallest one it can, a single element near the overflow threshold.
The same check on a model that uses the op names the op and the line that created it. The fixed
backward, sigmoid(x) (stable), passes first and second order.

    python examples/custom_function.py            # 200 examples per property
    python examples/custom_function.py --quick    # a few seconds

``examples/test_custom_function.py`` is the same workflow as a pytest file.
"""
import argparse
from pathlib import Path

import numpy as np
from hypothesis import given, settings

from autodiff import Function, Tensor
from autodiff.testing import GradcheckError, assert_grad_matches, shapes, tensors


class SoftplusNaive(Function):
    """softplus with a stable forward but the textbook backward, which overflows."""

    def forward(self, x):
        return np.logaddexp(0.0, x)

    def backward(self, grad):
        (x,) = self.inputs
        e = x.exp()  # inf for x > 709.78, and then inf / inf is NaN
        return (grad * e / (1 + e),)


class Softplus(Function):
    """softplus, stable both ways: the derivative is sigmoid(x), computed without overflow."""

    def forward(self, x):
        return np.logaddexp(0.0, x)

    def backward(self, grad):
        (x,) = self.inputs
        return (grad * x.sigmoid(),)  # written in Tensor ops, so second order works too


INPUTS = tensors(shape=shapes(max_dims=2), domain=(-1000.0, 1000.0))


def find_smallest_failure(op, examples):
    """Run the gradient property on ``op``; return (smallest failing input, error) or None."""
    failures = []

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None)
    @given(INPUTS)
    def gradients_match(x):
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                assert_grad_matches(op.apply, x)
        except GradcheckError as error:
            failures.append((x, error))
            raise

    try:
        gradients_match()
    except GradcheckError:
        return failures[-1]  # hypothesis re-runs the shrunk example last
    return None


def model(x, w):
    """A tiny model that uses the op: softplus(x @ w), summed."""
    hidden = x @ w
    activation = SoftplusNaive.apply(hidden)  # <- the op under suspicion
    return activation.sum()


def main(argv=None):
    """Find the naive softplus's failure with hypothesis, then name the op in a model."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few examples, a few seconds")
    parser.add_argument("--out", type=Path, default=Path("runs/custom_function"),
                        help="output folder (accepted like every example's; this one writes no files)")
    parser.add_argument("--examples", type=int, default=200,
                        help="hypothesis examples per property (default 200; 25 with --quick)")
    args = parser.parse_args(argv)
    examples = 25 if args.quick else args.examples

    print("1. Property test of SoftplusNaive (textbook backward):")
    found = find_smallest_failure(SoftplusNaive, examples)
    if found is None:
        print("   no failure found; try more --examples")
    else:
        x, error = found
        print(f"   hypothesis shrank the failure to x = {x!r}")
        print("   " + str(error).splitlines()[0])

    print("\n2. The same check on a model names the op and its line:")
    x = Tensor(np.array([[300.0, -2.0]]))
    w = Tensor(np.array([[3.0], [0.5]]))
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            assert_grad_matches(model, x, w, order=1)
    except GradcheckError as error:
        print("   " + "\n   ".join(str(error).splitlines()))

    print("\n3. Property test of Softplus (backward = sigmoid(x)), first and second order:")
    found = find_smallest_failure(Softplus, examples)
    if found is not None:
        raise SystemExit(f"   unexpected failure at {found[0]!r}: {found[1]}")
    print(f"   {examples} examples pass")


if __name__ == "__main__":
    main()
