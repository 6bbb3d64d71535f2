"""Activation functions in PyTorch's functional spelling, over the Tensor methods.

``softmax`` and ``log_softmax`` take PyTorch's ``dim`` or NumPy's ``axis``. Given neither, they
choose the axis as PyTorch does, with its deprecation warning: axis 0 for 0-, 1- and 3-d input,
else axis 1 (so a (batch, classes) input is normalized over the classes).
``inplace=True`` writes the result into the input and returns it, as PyTorch does
(`Tensor.relu_`, `Tensor.leaky_relu_`): recorded like every in-place op when gradients flow (see
`autodiff.inplace`), so a graph that saved the input keeps its gradients right, and refused for
a leaf that requires grad.
"""
import math
import warnings

import numpy as np

from autodiff.anomaly import user_stacklevel
from autodiff.ops import elementwise as ew
from autodiff.ops.registry import register
from autodiff.tensor import as_tensor


def _axis(x, dim, axis, name):
    """The axis to normalize over: ``dim`` or ``axis``, else PyTorch's implicit choice."""
    if dim is not None and axis is not None:
        raise TypeError("pass either dim or axis, not both")
    if dim is not None:
        return dim
    if axis is not None:
        return axis
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", UserWarning, stacklevel=user_stacklevel())
    return 0 if x.ndim in (0, 1, 3) else 1


def relu(input, inplace=False):
    """max(x, 0). With ``inplace`` the result is written into ``input`` and ``input`` returned,
    as in PyTorch (recorded like every in-place op; refused for a leaf that requires grad)."""
    if inplace:
        return as_tensor(input).relu_()
    return ew.Relu.apply(input)  # the op itself: one call less on every MLP's hot path


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else ``negative_slope * x``; written into ``input`` when ``inplace``."""
    if inplace:
        return as_tensor(input).leaky_relu_(negative_slope)
    return as_tensor(input).leaky_relu(negative_slope)


def sigmoid(input):
    """1 / (1 + exp(-x)), without overflow."""
    return as_tensor(input).sigmoid()


def tanh(input):
    """Hyperbolic tangent."""
    return as_tensor(input).tanh()


def gelu(input, approximate="none"):
    """x * Phi(x): the exact (erf) form, or with ``approximate="tanh"`` PyTorch's tanh form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x = input
    if approximate == "none":
        return as_tensor(x).gelu()
    if approximate == "tanh":
        x = as_tensor(x)
        # The cube of x clipped to +-10: beyond, tanh is exactly +-1 in every dtype either way,
        # and x ** 3 would overflow (float16 from 256 on) and make the backward inf * 0 = NaN.
        near = x.clip(-10.0, 10.0)
        inner = (x + near * near * near * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (inner.tanh() + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, without overflow, as PyTorch's ``F.softplus``: where
    ``beta * x > threshold`` the result is ``x`` itself (the function is linear there)."""
    x = as_tensor(input)
    scaled = x if beta == 1 else x * beta
    soft = scaled.softplus()
    if beta != 1:
        soft = soft * (1.0 / beta)
    return ew.where(scaled.data > threshold, x, soft)


def softmax(input, dim=None, _stacklevel=3, dtype=None, *, axis=None):
    """exp(x) / sum(exp(x)) along ``dim`` (or ``axis``), computed in ``dtype`` when given (the
    input is cast first). Given neither ``dim`` nor ``axis`` it picks the axis as PyTorch does,
    with PyTorch's deprecation warning: axis 0 for 0-, 1- and 3-d input, else axis 1.
    ``_stacklevel`` is PyTorch's and ignored: the warning always points at the caller's line
    outside the library."""
    x = as_tensor(input, dtype)
    return x.softmax(_axis(x, dim, axis, "softmax"))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None, *, axis=None):
    """x - logsumexp(x) along ``dim`` (or ``axis``), computed in ``dtype`` when given (the input
    is cast first); without either, the axis and the warning are `softmax`'s, as is
    ``_stacklevel``."""
    x = as_tensor(input, dtype)
    return x.log_softmax(_axis(x, dim, axis, "log_softmax"))


register("gelu_tanh", lambda x: gelu(x, approximate="tanh"), domain=(-3.0, 3.0))
