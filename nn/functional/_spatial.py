"""Geometry, layout and test-case helpers shared by convolution (`nn.functional.conv`) and
pooling (`nn.functional.pooling`) over NCHW tensors.

Output sizes are PyTorch's: ``floor((H + 2p - d*(k - 1) - 1) / s) + 1``, or with ``ceil_mode``
the ceiling, dropping a last window that would start in the right padding. Both kinds of op work
channels-last when their input's memory is: `to_nhwc` is the NHWC view of an NCHW array.
"""
import numpy as np

__all__ = ["pair", "positive_pair", "out_size", "to_nhwc", "hypothesis_modules"]


def pair(value, name, op):
    """An int or a pair of ints as a pair of Python ints."""
    if type(value) is int:  # the common cases first: this runs several times per layer call
        return value, value
    if type(value) is tuple and len(value) == 2 and type(value[0]) is type(value[1]) is int:
        return value
    result = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(result) != 2 or not all(isinstance(v, (int, np.integer)) for v in result):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return int(result[0]), int(result[1])


def positive_pair(value, name, op):
    """`pair`, raising unless both ints are positive (stride, dilation, kernel_size)."""
    result = pair(value, name, op)
    if min(result) < 1:
        raise ValueError(f"{op}: {name} must be positive, got {name}={value!r}")
    return result


def out_size(size, kernel, stride, padding, dilation=1, ceil_mode=False):
    """The output length of one spatial axis (PyTorch's formula, see the module docstring)."""
    reach = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return reach // stride + 1
    out = -(-reach // stride) + 1
    if (out - 1) * stride >= size + padding:  # the last window would start in the right padding
        out -= 1
    return out


def to_nhwc(x):
    """An NCHW array as an NHWC view (no copy)."""
    return x.transpose(0, 2, 3, 1)


def hypothesis_modules():
    """``(strategies, extra.numpy)`` of hypothesis, imported only when the registry draws cases."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    return st, hnp
