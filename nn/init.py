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
from autodiff.creation import get_generator, rng_or_generator

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


def uniform_(tensor, a=0.0, b=1.0, *, rng=None, generator=None):
    """Fill with draws from U(a, b)."""
    rng = rng_or_generator(rng, generator, "nn.init.uniform_")
    array = _check_floating(tensor, "uniform_")
    if not a <= b:
        raise ValueError(f"nn.init.uniform_: the bounds must satisfy a <= b, got a={a}, b={b}")
    return _fill(tensor, get_generator(rng).uniform(a, b, size=array.shape))


def normal_(tensor, mean=0.0, std=1.0, *, rng=None, generator=None):
    """Fill with draws from N(mean, std**2)."""
    rng = rng_or_generator(rng, generator, "nn.init.normal_")
    array = _check_floating(tensor, "normal_")
    if not std >= 0:
        raise ValueError(f"nn.init.normal_: std must be >= 0, got {std}")
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


def xavier_uniform_(tensor, gain=1.0, *, rng=None, generator=None):
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    rng = rng_or_generator(rng, generator, "nn.init.xavier_uniform_")
    _check_floating(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng=rng)


def xavier_normal_(tensor, gain=1.0, *, rng=None, generator=None):
    """Glorot normal: N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    rng = rng_or_generator(rng, generator, "nn.init.xavier_normal_")
    _check_floating(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, rng=rng)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, rng=None,
                     generator=None):
    """He uniform: U(-bound, bound) with ``bound = gain * sqrt(3 / fan)``.

    ``gain = calculate_gain(nonlinearity, a)``; ``a`` is the negative slope of a leaky ReLU
    (0 gives ReLU's gain). ``mode`` "fan_in" keeps the forward pass's variance, "fan_out" the
    backward's. PyTorch's default Linear/Conv2d weight init is ``a=math.sqrt(5)``.
    """
    rng = rng_or_generator(rng, generator, "nn.init.kaiming_uniform_")
    _check_floating(tensor, "kaiming_uniform_")
    if _is_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, rng=None,
                    generator=None):
    """He normal: N(0, std**2) with ``std = gain / sqrt(fan)`` (see `kaiming_uniform_`)."""
    rng = rng_or_generator(rng, generator, "nn.init.kaiming_normal_")
    _check_floating(tensor, "kaiming_normal_")
    if _is_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, rng=rng)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, *, rng=None, generator=None):
    """Fill with draws from N(mean, std**2) truncated to [a, b] (bounds in the values' units, as
    PyTorch's), by PyTorch's method: uniform draws between the normal CDF's values at the
    bounds, mapped back through its inverse, so any bounds take one pass (drawing again until
    a value falls inside would never end for bounds far in a tail). Warns, as PyTorch does,
    when the mean is more than 2 std from [a, b]."""
    rng = rng_or_generator(rng, generator, "nn.init.trunc_normal_")
    _check_floating(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"trunc_normal_: the bounds must satisfy a < b, got a={a}, b={b}")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    low, high = (a - mean) / std, (b - mean) / std
    mirrored = low > 0  # draw the mirror image: the CDF keeps its digits in the lower tail
    if mirrored:
        low, high = -high, -low
    generator, shape = get_generator(rng), _array(tensor).shape
    if _normal_cdf(high) > 1e-300:
        z = _normal_quantile(generator.uniform(_normal_cdf(low), _normal_cdf(high), shape))
    else:  # beyond 37 std the CDF underflows; the tail there is exponential with rate |high|,
        # cut off at the far bound (inverse CDF of the truncated exponential)
        rate, width = abs(high), high - low
        u = generator.uniform(0.0, 1.0, shape)
        z = high + np.log1p(-u * -np.expm1(-rate * width)) / rate
    z = np.asarray(z)
    z *= -std if mirrored else std  # in place: a large tensor's draws are its size in float64
    z += mean
    return _fill(tensor, np.clip(z, a, b, out=z))


def _normal_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


# Acklam's rational approximation of the standard normal quantile (relative error 1.2e-9).
_CENTRAL_NUM = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
_CENTRAL_DEN = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                6.680131188771972e+01, -1.328068155288572e+01, 1.0]
_TAIL_NUM = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
_TAIL_DEN = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
             3.754408661907416e+00, 1.0]


_QUANTILE_CHUNK = 1 << 20  # elements per pass: the temporaries stay a few MB for any tensor


def _normal_quantile(p):
    """The x with Phi(x) = p, elementwise, for p in (0, 1): written into ``p`` (a float64
    array), a chunk at a time (whole-tensor temporaries took 14x a 64 MB tensor's memory)."""
    p = np.asarray(p, dtype=np.float64)
    flat = p.reshape(-1)
    for start in range(0, flat.size, _QUANTILE_CHUNK):
        chunk = flat[start:start + _QUANTILE_CHUNK]
        chunk[...] = _quantile_of(chunk)
    return p


def _quantile_of(p):
    """`_normal_quantile` of the 1-d ``p``, as a new array: the central rational function on
    every element (Horner's rule in place), then the tails' on theirs."""
    r = p - 0.5
    square = r * r
    x = _horner(_CENTRAL_NUM, square, np.empty_like(p))
    x *= r
    x /= _horner(_CENTRAL_DEN, square, r)
    lower = np.flatnonzero(p < 0.02425)
    t = np.sqrt(-2.0 * np.log(p[lower]))
    x[lower] = np.polyval(_TAIL_NUM, t) / np.polyval(_TAIL_DEN, t)
    upper = np.flatnonzero(p > 1 - 0.02425)
    t = np.sqrt(-2.0 * np.log1p(-p[upper]))
    x[upper] = -np.polyval(_TAIL_NUM, t) / np.polyval(_TAIL_DEN, t)
    return x


def _horner(coefficients, x, out):
    """The polynomial (highest power first, as np.polyval) at ``x``, written into ``out``."""
    out.fill(coefficients[0])
    for coefficient in coefficients[1:]:
        out *= x
        out += coefficient
    return out


def orthogonal_(tensor, gain=1.0, *, rng=None, generator=None):
    """Fill with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013), as PyTorch's:
    the tensor seen as (shape[0], the rest flattened) has orthonormal rows, or columns when it
    has more rows than columns. The matrix is the Q of the QR decomposition of a normal draw,
    with its columns' signs fixed by R's diagonal, so that it is uniformly distributed."""
    rng = rng_or_generator(rng, generator, "nn.init.orthogonal_")
    shape = _check_floating(tensor, "orthogonal_").shape
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


def _check_floating(tensor, name):
    """The array of ``tensor``, which random draws fill: floating point only, as in PyTorch
    (NumPy would truncate the draws into an integer array: -1, 0 and 1, or all True)."""
    array = _array(tensor)
    if array.dtype.kind != "f":
        raise TypeError(f"nn.init.{name} fills floating-point tensors with random draws, got "
                        f"dtype {array.dtype}")
    return array


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
