"""Helpers shared by the layer families: argument normalization and PyTorch's default init."""
import math

import numpy as np

from autodiff.creation import get_generator

from .. import init
from ..module import Parameter


def pair(value, what):
    """``value`` as a (height, width) pair of ints: an int is used twice."""
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise ValueError(f"{what} must be an int or a pair of ints, got {value!r}")
    return value


def empty_parameter(*shape):
    """A float32 Parameter of ``shape`` to be filled by an initializer."""
    return Parameter(np.zeros(shape, dtype=np.float32))


def fan_in_init(weight, bias, fan_in, rng):
    """PyTorch's default for Linear and Conv: kaiming_uniform_(a=sqrt(5)), bias U(+-1/sqrt(fan_in)).

    The weight's bound works out to 1/sqrt(fan_in) as well.
    """
    rng = get_generator(rng)
    init.kaiming_uniform_(weight, a=math.sqrt(5), rng=rng)
    if bias is not None:
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound, rng=rng)
