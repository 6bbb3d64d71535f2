"""Activation functions in PyTorch's functional spelling, over the Tensor methods.

``softmax`` and ``log_softmax`` take PyTorch's ``dim`` or NumPy's ``axis`` (default: the last).
"""
from autodiff.ops import elementwise as ew
from autodiff.tensor import Tensor


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _axis(dim, axis):
    if dim is not None and axis is not None:
        raise TypeError("pass either dim or axis, not both")
    if dim is not None:
        return dim
    return -1 if axis is None else axis


def relu(x):
    """max(x, 0)."""
    return ew.Relu.apply(x)  # the op itself: one call less on every MLP's hot path


def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, else ``negative_slope * x``."""
    return _tensor(x).leaky_relu(negative_slope)


def sigmoid(x):
    """1 / (1 + exp(-x)), without overflow."""
    return _tensor(x).sigmoid()


def tanh(x):
    """Hyperbolic tangent."""
    return _tensor(x).tanh()


def gelu(x):
    """x * Phi(x), the exact (erf) GELU."""
    return _tensor(x).gelu()


def softplus(x):
    """log(1 + exp(x)), without overflow."""
    return _tensor(x).softplus()


def softmax(x, dim=None, *, axis=None):
    """exp(x) / sum(exp(x)) along ``dim`` (or ``axis``; the last by default)."""
    return _tensor(x).softmax(_axis(dim, axis))


def log_softmax(x, dim=None, *, axis=None):
    """x - logsumexp(x) along ``dim`` (or ``axis``; the last by default)."""
    return _tensor(x).log_softmax(_axis(dim, axis))
