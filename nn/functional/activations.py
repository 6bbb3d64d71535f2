"""Activation functions in PyTorch's functional spelling, over the Tensor methods.

``softmax`` and ``log_softmax`` take PyTorch's ``dim`` or NumPy's ``axis`` (default: the last).
``inplace=`` is accepted for ported code; results are never written in place (the values are the
same): a graph that saved the input would otherwise silently get wrong gradients.
"""
import math

from autodiff.ops import elementwise as ew
from autodiff.ops.registry import register
from autodiff.tensor import Tensor


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _axis(dim, axis):
    if dim is not None and axis is not None:
        raise TypeError("pass either dim or axis, not both")
    if dim is not None:
        return dim
    return -1 if axis is None else axis


def relu(x, inplace=False):
    """max(x, 0); ``inplace`` is accepted and ignored (module docstring)."""
    return ew.Relu.apply(x)  # the op itself: one call less on every MLP's hot path


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x where x > 0, else ``negative_slope * x``; ``inplace`` is accepted and ignored."""
    return _tensor(x).leaky_relu(negative_slope)


def sigmoid(x):
    """1 / (1 + exp(-x)), without overflow."""
    return _tensor(x).sigmoid()


def tanh(x):
    """Hyperbolic tangent."""
    return _tensor(x).tanh()


def gelu(x, approximate="none"):
    """x * Phi(x): the exact (erf) form, or with ``approximate="tanh"`` PyTorch's tanh form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "none":
        return _tensor(x).gelu()
    if approximate == "tanh":
        x = _tensor(x)
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (inner.tanh() + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def softplus(x):
    """log(1 + exp(x)), without overflow."""
    return _tensor(x).softplus()


def softmax(x, dim=None, *, axis=None):
    """exp(x) / sum(exp(x)) along ``dim`` (or ``axis``; the last by default)."""
    return _tensor(x).softmax(_axis(dim, axis))


def log_softmax(x, dim=None, *, axis=None):
    """x - logsumexp(x) along ``dim`` (or ``axis``; the last by default)."""
    return _tensor(x).log_softmax(_axis(dim, axis))


register("gelu_tanh", lambda x: gelu(x, approximate="tanh"), domain=(-3.0, 3.0))
