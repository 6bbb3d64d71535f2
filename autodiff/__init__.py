"""autodiff: reverse-mode automatic differentiation on NumPy.

Two engines share the same ideas: `Value`, a scalar engine compatible with micrograd, and
`Tensor`, an n-dimensional engine with broadcasting, higher derivatives and custom ops
(`Function`). See README.md for a tour.
"""
__version__ = "0.1.0"  # the package's version, read by setup.cfg too

from .anomaly import detect_anomaly
from .creation import (allclose, arange, default_generator, eye, full, get_rng_state, linspace,
                       manual_seed, multinomial, ones, ones_like, rand, rand_like, randint, randn,
                       randn_like, set_rng_state, tensor, zeros, zeros_like)
from .function import Function
from .functional import grad, hessian, hvp, jacobian, jvp, value_and_grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import (GradcheckError, LowPrecisionGradientError,
                        NondeterministicFunctionError, NonDifferentiablePointError, gradcheck,
                        gradgradcheck)
from .ops.elementwise import (ceil, clone, exp, expm1, floor, log, log1p, maximum, minimum, round,
                              sigmoid, sign, sqrt, square, tanh, where)
from .ops.linalg import einsum, matmul
from .ops.movement import cat, concatenate, stack
from .ops.pieces import (chunk, flip, gather, index_select, masked_fill, narrow, split, tril, triu,
                         unbind)
from .ops.reductions import cumsum, norm, prod, sum
from .tensor import Tensor, as_tensor
from .value import Value

__all__ = [
    "Tensor", "Value", "Function", "GradcheckError",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
    "grad", "value_and_grad", "jacobian", "hessian", "hvp", "jvp",
    "gradcheck", "gradgradcheck", "NonDifferentiablePointError", "LowPrecisionGradientError",
    "NondeterministicFunctionError",
    "tensor", "as_tensor", "zeros", "ones", "full", "arange", "eye", "zeros_like", "ones_like",
    "randn", "rand", "randn_like", "rand_like", "randint", "multinomial", "linspace",
    "allclose", "manual_seed", "default_generator", "get_rng_state", "set_rng_state",
    "maximum", "minimum", "where", "concatenate", "stack", "matmul", "einsum",
    "clone", "square", "log1p", "expm1", "sign", "floor", "ceil", "prod", "cumsum", "norm",
    "cat", "exp", "log", "sqrt", "tanh", "sigmoid",
    "split", "chunk", "unbind", "narrow", "flip", "index_select", "gather", "masked_fill",
    "tril", "triu",
]  # autodiff.round and autodiff.sum too, left out here: a star import would hide the builtins
