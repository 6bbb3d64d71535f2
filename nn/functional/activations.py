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


def relu(x, inplace=False):
    """max(x, 0); written into ``x`` when ``inplace`` (module docstring)."""
    if inplace:
        return as_tensor(x).relu_()
    return ew.Relu.apply(x)  # the op itself: one call less on every MLP's hot path


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x where x > 0, else ``negative_slope * x``; written into ``x`` when ``inplace``."""
    if inplace:
        return as_tensor(x).leaky_relu_(negative_slope)
    return as_tensor(x).leaky_relu(negative_slope)


def sigmoid(x):
    """1 / (1 + exp(-x)), without overflow."""
    return as_tensor(x).sigmoid()


def tanh(x):
    """Hyperbolic tangent."""
    return as_tensor(x).tanh()


def gelu(x, approximate="none"):
    """x * Phi(x): the exact (erf) form, or with ``approximate="tanh"`` PyTorch's tanh form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "none":
        return as_tensor(x).gelu()
    if approximate == "tanh":
        x = as_tensor(x)
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (inner.tanh() + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def softplus(x):
    """log(1 + exp(x)), without overflow."""
    return as_tensor(x).softplus()


def softmax(x, dim=None, _stacklevel=3, dtype=None, *, axis=None):
    """exp(x) / sum(exp(x)) along ``dim`` (or ``axis``; see the module docstring when neither
    is given), computed in ``dtype`` when given (the input is cast first). ``_stacklevel`` is
    PyTorch's and ignored: the warning always points at the caller's line outside the library."""
    x = as_tensor(x, dtype)
    return x.softmax(_axis(x, dim, axis, "softmax"))


def log_softmax(x, dim=None, _stacklevel=3, dtype=None, *, axis=None):
    """x - logsumexp(x) along ``dim`` (or ``axis``; see the module docstring when neither is
    given), computed in ``dtype`` when given (the input is cast first); ``_stacklevel`` as in
    `softmax`."""
    x = as_tensor(x, dtype)
    return x.log_softmax(_axis(x, dim, axis, "log_softmax"))


register("gelu_tanh", lambda x: gelu(x, approximate="tanh"), domain=(-3.0, 3.0))
