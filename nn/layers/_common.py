"""Helpers shared by the layer families: argument normalization, PyTorch's factory arguments
(``device``, ``dtype``) and PyTorch's default init."""
import math
import numbers

import numpy as np

from autodiff import Tensor
from autodiff.creation import get_generator

from .. import init
from ..module import Parameter, check_device, float_dtype


def _is_int(value):
    """An int of Python or NumPy (``np.int64(3)`` too), but not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_sizes(owner, **sizes):
    """Raise, naming layer ``owner`` and the argument, unless each of ``sizes`` (feature or
    channel counts) is an int >= 0: a float or a Tensor would otherwise reach NumPy, whose
    "cannot be interpreted as an integer" names neither."""
    for name, value in sizes.items():
        if not _is_int(value):
            got = (f"a {type(value).__name__} of shape {tuple(np.shape(value))}"
                   if isinstance(value, (Tensor, np.ndarray)) else f"{value!r}")
            raise TypeError(f"{owner}: {name} must be an int, got {got}")
        if value < 0:
            raise ValueError(f"{owner}: {name} must be >= 0, got {value}")


def reject_data(owner, **arguments):
    """Raise TypeError if a constructor argument of layer ``owner`` is data (a Tensor or an
    ndarray): the sign of a layer class called on its input, ``nn.ReLU(x)`` or
    ``nn.CrossEntropyLoss(logits, y)``, instead of a layer made first and then called. Without
    this the class is built with the data as a hyperparameter and the mistake surfaces later,
    elsewhere (``'CrossEntropyLoss' object has no attribute 'backward'``)."""
    for name, value in arguments.items():
        if isinstance(value, (Tensor, np.ndarray)):
            raise TypeError(
                f"{owner}: got a {type(value).__name__} of shape {tuple(np.shape(value))} as "
                f"{name}. {owner} is a layer class: make the layer first, then call it on the "
                f"data: `fn = nn.{owner}()` once, then `fn(...)` (or use nn.functional)")


def pair(value, what):
    """``value`` as a (height, width) pair of Python ints: an int (Python's or NumPy's) is used
    twice. Anything else raises, naming ``what``."""
    if _is_int(value):
        return (int(value), int(value))
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is None or len(items) != 2 or not all(_is_int(v) for v in items):
        raise ValueError(f"{what} must be an int or a pair of ints, got {value!r}")
    return (int(items[0]), int(items[1]))


def positive_pair(value, what):
    """`pair`, raising ValueError naming ``what`` unless both ints are at least 1."""
    result = pair(value, what)
    if min(result) < 1:
        raise ValueError(f"{what} must be positive, got {what}={value!r}")
    return result


def factory_dtype(device, dtype, layer_name):
    """The dtype to make a layer's parameters and floating buffers in, from PyTorch's factory
    arguments: ``dtype`` None means float32, else it must be float32 or float64 (TypeError);
    ``device`` must be None or the CPU (ValueError). Errors name ``layer_name`` and the value."""
    check_device(device, layer_name)
    return np.dtype(np.float32) if dtype is None else float_dtype(dtype, layer_name)


def empty_parameter(*shape, dtype=np.float32):
    """A Parameter of ``shape`` and ``dtype`` (float32 unless told) for an initializer to fill."""
    return Parameter(np.zeros(shape, dtype=dtype))


def fan_in_init(weight, bias, fan_in, rng):
    """PyTorch's default for Linear and Conv: kaiming_uniform_(a=sqrt(5)), bias U(+-1/sqrt(fan_in)).

    The weight's bound works out to 1/sqrt(fan_in) as well.
    """
    rng = get_generator(rng)
    init.kaiming_uniform_(weight, a=math.sqrt(5), rng=rng)
    if bias is not None:
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound, rng=rng)
