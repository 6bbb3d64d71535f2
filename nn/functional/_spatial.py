"""Geometry, layout and test-case helpers shared by convolution (`nn.functional.conv`) and
pooling (`nn.functional.pooling`) over NCHW tensors.

Output sizes are PyTorch's (``floor((H + 2p - k) / s) + 1``). Both kinds of op work channels-last
when their input's memory is: `to_nhwc` is the NHWC view of an NCHW array.
"""
import numpy as np

__all__ = ["pair", "out_size", "to_nhwc", "hypothesis_modules"]


def pair(value, name, op):
    """An int or a pair of ints as a pair of Python ints."""
    result = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(result) != 2 or not all(isinstance(v, (int, np.integer)) for v in result):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return int(result[0]), int(result[1])


def out_size(size, kernel, stride, padding):
    """The output length of one spatial axis (PyTorch's formula)."""
    return (size + 2 * padding - kernel) // stride + 1


def to_nhwc(x):
    """An NCHW array as an NHWC view (no copy)."""
    return x.transpose(0, 2, 3, 1)


def hypothesis_modules():
    """``(strategies, extra.numpy)`` of hypothesis, imported only when the registry draws cases."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    return st, hnp
