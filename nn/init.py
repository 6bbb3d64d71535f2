"""`nn.init`: fill a parameter in place with values from a chosen distribution, as ``torch.nn.init``.

Every function writes into ``tensor.data`` (keeping its dtype and its identity, so a model
holding the tensor sees the new values) and returns the tensor; ndarrays are accepted too.
Random draws come from ``rng=`` (a ``numpy.random.Generator`` or an int seed) or else from the
global generator that ``autodiff.manual_seed(s)`` resets, so runs are reproducible.

Fans follow PyTorch's layouts: for a Linear weight ``(out, in)`` ``fan_in = in`` and ``fan_out
= out``; for a convolution weight ``(out, in, kh, kw)`` both are multiplied by ``kh * kw``.

>>> import autodiff
>>> w = autodiff.zeros(256, 128)
>>> kaiming_uniform_(w, nonlinearity="relu", rng=0) is w
True
>>> bool(abs(w.data).max() <= (6 / 128) ** 0.5)
True
"""
import math
import warnings

import numpy as np

from autodiff import Tensor, no_grad
from autodiff.creation import get_generator

__all__ = [
    "calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "trunc_normal_", "orthogonal_", "eye_",
]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d",
               "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear, conv*, sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + slope**2))
    with ``param`` the negative slope (default 0.01); selu: 3/4.
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``."""
    shape = np.shape(_array(tensor))
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(shape {shape})"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, *, rng=None):
    """Fill with draws from U(a, b)."""
    array = _array(tensor)
    return _fill(tensor, get_generator(rng).uniform(a, b, size=array.shape))


def normal_(tensor, mean=0.0, std=1.0, *, rng=None):
    """Fill with draws from N(mean, std**2)."""
    array = _array(tensor)
    return _fill(tensor, get_generator(rng).normal(mean, std, size=array.shape))


def constant_(tensor, val):
    """Fill with ``val``."""
    _array(tensor)
    return _fill(tensor, val)


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def xavier_uniform_(tensor, gain=1.0, *, rng=None):
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng=rng)


def xavier_normal_(tensor, gain=1.0, *, rng=None):
    """Glorot normal: N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, rng=rng)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, rng=None):
    """He uniform: U(-bound, bound) with ``bound = gain * sqrt(3 / fan)``.

    ``gain = calculate_gain(nonlinearity, a)``; ``a`` is the negative slope of a leaky ReLU
    (0 gives ReLU's gain). ``mode`` "fan_in" keeps the forward pass's variance, "fan_out" the
    backward's. PyTorch's default Linear/Conv2d weight init is ``a=math.sqrt(5)``.
    """
    if _is_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, rng=None):
    """He normal: N(0, std**2) with ``std = gain / sqrt(fan)`` (see `kaiming_uniform_`)."""
    if _is_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, rng=rng)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, *, rng=None):
    """Fill with draws from N(mean, std**2) truncated to [a, b] (bounds in the values' units, as
    PyTorch's): draws outside are drawn again until every one falls inside."""
    if not a < b:
        raise ValueError(f"trunc_normal_: the bounds must satisfy a < b, got a={a}, b={b}")
    generator = get_generator(rng)
    values = generator.normal(mean, std, size=_array(tensor).shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = generator.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def orthogonal_(tensor, gain=1.0, *, rng=None):
    """Fill with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013), as PyTorch's:
    the tensor seen as (shape[0], the rest flattened) has orthonormal rows, or columns when it
    has more rows than columns. The matrix is the Q of the QR decomposition of a normal draw,
    with its columns' signs fixed by R's diagonal, so that it is uniformly distributed."""
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {shape}")
    if _is_empty(tensor):
        return tensor
    rows, columns = shape[0], math.prod(shape[1:])
    flat = get_generator(rng).normal(size=(rows, columns))
    if rows < columns:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < columns:
        q = q.T
    return _fill(tensor, (gain * q).reshape(shape))


def eye_(tensor):
    """Fill a 2-d tensor with the identity matrix (ones on the diagonal, for any shape)."""
    shape = _array(tensor).shape
    if len(shape) != 2:
        raise ValueError(f"eye_: only 2-d tensors are supported, got shape {shape}")
    return _fill(tensor, np.eye(*shape))


def _array(tensor):
    """The ndarray to fill: a Tensor's ``.data`` or the ndarray itself."""
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(array, np.ndarray):
        raise TypeError(f"nn.init fills a Tensor or an ndarray, got {type(tensor).__name__}")
    return array


def _fill(tensor, values):
    """Write ``values`` into ``tensor`` in place and return it. A Tensor is written as PyTorch's
    init writes (``with no_grad(): tensor.uniform_()``): through an in-place op, which marks
    its memory as changed, so a graph recorded before the write refuses to backpropagate
    (instead of silently using the new values)."""
    if isinstance(tensor, Tensor):
        with no_grad():
            tensor[...] = values
    else:
        tensor[...] = values
    return tensor


def _is_empty(tensor):
    if _array(tensor).size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False
