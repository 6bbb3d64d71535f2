"""autodiff: reverse-mode automatic differentiation on NumPy.

Two engines share the same ideas: `Value`, a scalar engine compatible with micrograd, and
`Tensor`, an n-dimensional engine with broadcasting, higher derivatives and custom ops
(`Function`). See README.md for a tour.
"""
__version__ = "0.1.0"  # the package's version, read by setup.cfg too

import numpy as _np

from .anomaly import detect_anomaly
from .creation import (Generator, allclose, arange, default_generator, eye, full, get_rng_state,
                       linspace, manual_seed, multinomial, normal, ones, ones_like, rand,
                       rand_like, randint, randn, randn_like, set_rng_state, tensor, zeros,
                       zeros_like)
from .devices import Device as device
from .function import Function
from .functional import grad, hessian, hvp, jacobian, jvp, value_and_grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import (GradcheckError, LowPrecisionGradientError,
                        NondeterministicFunctionError, NonDifferentiablePointError, gradcheck,
                        gradgradcheck)
from .ops.elementwise import (ceil, clone, exp, expm1, floor, log, log1p, maximum, minimum, round,
                              sigmoid, sign, sqrt, square, tanh, where)
from .ops.linalg import dot, einsum, matmul, mm
from .ops.movement import cat, concatenate, flatten, stack
from .ops.pieces import (chunk, flip, gather, index_select, masked_fill, narrow, split, topk, tril,
                         triu, unbind)
from .ops.reductions import cumsum, log_softmax, logsumexp, mean, norm, prod, softmax, sum
from .ops.reductions import largest as max  # noqa: A004 - torch.max
from .ops.reductions import smallest as min  # noqa: A004 - torch.min
from .tensor import Tensor, as_tensor
from .value import Value

from_numpy = as_tensor  # torch.from_numpy: a Tensor sharing the array's memory
# PyTorch's dtype names, as NumPy dtypes (float, int and bool stay Python's in a star import)
float16 = half = _np.dtype(_np.float16)
float32 = float = _np.dtype(_np.float32)  # noqa: A001
float64 = double = _np.dtype(_np.float64)
int8, int16, int32, uint8 = (_np.dtype(t) for t in (_np.int8, _np.int16, _np.int32, _np.uint8))
int64 = long = _np.dtype(_np.int64)
bool = _np.dtype(_np.bool_)  # noqa: A001
int = int32  # noqa: A001 - torch.int is int32

# autodiff.round, sum, max, min, float, int and bool exist too, left out of __all__: a star import
# would hide the builtins
__all__ = [
    "Tensor", "Value", "Function", "GradcheckError",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
    "grad", "value_and_grad", "jacobian", "hessian", "hvp", "jvp",
    "gradcheck", "gradgradcheck", "NonDifferentiablePointError", "LowPrecisionGradientError",
    "NondeterministicFunctionError",
    "tensor", "as_tensor", "zeros", "ones", "full", "arange", "eye", "zeros_like", "ones_like",
    "randn", "rand", "randn_like", "rand_like", "randint", "multinomial", "linspace",
    "allclose", "manual_seed", "default_generator", "get_rng_state", "set_rng_state",
    "Generator", "normal", "device", "mm", "dot",
    "maximum", "minimum", "where", "concatenate", "stack", "matmul", "einsum",
    "clone", "square", "log1p", "expm1", "sign", "floor", "ceil", "prod", "cumsum", "norm",
    "cat", "exp", "log", "sqrt", "tanh", "sigmoid",
    "split", "chunk", "unbind", "narrow", "flip", "index_select", "gather", "masked_fill",
    "tril", "triu", "topk", "flatten", "mean", "softmax", "log_softmax", "logsumexp", "from_numpy",
    "float16", "half", "float32", "float64", "double", "int8", "int16", "int32", "int64", "long",
    "uint8",
]
