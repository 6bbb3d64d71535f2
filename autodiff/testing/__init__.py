"""Tools for users' own test suites: hypothesis strategies and gradient assertions.

* `tensors`, `shapes`, `broadcastable_shapes`, `elements`, `arrays`: hypothesis strategies that
  compose with ``hypothesis.extra.numpy``, with elements kept inside a domain and away from kinks;
* `assert_grad_matches(f, *inputs)`: first and second derivatives against finite differences in
  float64; on failure the `GradcheckError` names the first op of the graph whose own backward is
  wrong (op name, input shapes, the line that created it); float32 or float16 inputs also have
  their gradient compared at their own dtype;
* `op_cases(spec)`: the inputs of one entry of the op registry (``autodiff.ops.registry``), used
  by the project's own property test and by anyone adding an op; `KINDS` maps each ``kind`` an
  entry may name to the function that builds its input strategy.
"""
from ..gradcheck import (GradcheckError, LowPrecisionGradientError,
                         NondeterministicFunctionError, NonDifferentiablePointError)
from .localize import assert_grad_matches
from .op_cases import KINDS, op_cases
from .strategies import arrays, broadcastable_shapes, elements, shapes, tensors

__all__ = [
    "tensors", "shapes", "broadcastable_shapes", "elements", "arrays",
    "assert_grad_matches", "GradcheckError", "NonDifferentiablePointError",
    "LowPrecisionGradientError", "NondeterministicFunctionError",
    "op_cases", "KINDS",
]
