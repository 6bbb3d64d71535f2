"""Padding of the two spatial axes of NCHW tensors: `pad2d`, in `nn.Conv2d`'s padding modes.

'zeros' is the `Pad` op; 'reflect', 'replicate' and 'circular' are one gather
(``x[:, :, rows, cols]`` with integer index arrays), whose backward, a scatter-add, sends the
gradient of every copy of an element back to it. Both are differentiable to any order.
"""
import numpy as np

from autodiff.ops.registry import register
from autodiff.tensor import as_tensor

from ._spatial import hypothesis_modules

__all__ = ["pad2d", "PADDING_MODES"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _source_index(size, before, after, mode):
    """For each position of a padded axis, the index it copies from the unpadded axis."""
    index = np.arange(-before, size + after)
    if mode == "reflect":  # mirror at the edge elements, which are not repeated
        index = np.abs(index)
        return np.where(index >= size, 2 * (size - 1) - index, index)
    if mode == "replicate":
        return np.clip(index, 0, size - 1)
    return index % size  # circular


def _check_pad(shape, padding, mode):
    """Raise PyTorch's errors for paddings its modes cannot produce."""
    if mode not in PADDING_MODES:
        raise ValueError(f"pad2d: mode must be one of {PADDING_MODES}, got mode={mode!r}")
    if len(shape) != 4:
        raise ValueError(f"pad2d: expected a 4-d input (N, C, H, W), got shape {shape}")
    if min(min(p) for p in padding) < 0:
        raise ValueError(f"pad2d: padding must be non-negative, got padding={padding}")
    for size, (before, after) in zip(shape[2:], padding):
        if mode == "reflect" and max(before, after) >= size:
            raise ValueError(f"pad2d: reflect padding {padding} must be less than the input "
                             f"size, got input shape {shape}")
        if mode == "circular" and max(before, after) > size:
            raise ValueError(f"pad2d: circular padding {padding} must be at most the input "
                             f"size (it would wrap around more than once), got input shape "
                             f"{shape}")
        if mode == "replicate" and size == 0 and before + after > 0:
            raise ValueError(f"pad2d: cannot replicate-pad an empty axis, input shape {shape}")


def pad2d(input, padding, mode="zeros"):
    """``input (N, C, H, W)`` padded by ``padding = ((top, bottom), (left, right))``.

    ``mode`` is one of `nn.Conv2d`'s padding modes: 'zeros', 'reflect' (mirror, edge not
    repeated; padding < size), 'replicate' (repeat the edge) or 'circular' (wrap around;
    padding <= size).

    >>> import numpy as np
    >>> from autodiff import Tensor
    >>> x = Tensor(np.arange(3.0).reshape(1, 1, 1, 3))
    >>> pad2d(x, ((0, 0), (2, 1)), "reflect").numpy()[0, 0, 0]
    array([2., 1., 0., 1., 2., 1.])
    """
    x = as_tensor(input)
    padding = tuple((int(a), int(b)) for a, b in padding)
    _check_pad(x.shape, padding, mode)
    if mode == "zeros":
        return x.pad(((0, 0), (0, 0)) + padding)
    rows, cols = (_source_index(n, a, b, mode) for n, (a, b) in zip(x.shape[2:], padding))
    return x[:, :, rows[:, None], cols[None, :]]


# ----- registry (see autodiff/ops/registry.py): inputs drawn by hypothesis ---------------------
def _pad_cases(padding):
    """Strategy of ((x,), {}) with spatial sizes large enough for every mode."""
    st, hnp = hypothesis_modules()
    low = [max(p) + 1 for p in padding]

    @st.composite
    def cases(draw):
        shape = (1, draw(st.integers(1, 2)), draw(st.integers(low[0], low[0] + 2)),
                 draw(st.integers(low[1], low[1] + 2)))
        return (draw(hnp.arrays(np.float64, shape, elements=st.floats(-2.0, 2.0))),), {}

    return cases()


def _register_pad(mode, padding):
    register(f"pad2d_{mode}", lambda x: pad2d(x, padding, mode), kind="pad2d",
             params={"strategy": lambda: _pad_cases(padding)})


_register_pad("reflect", ((2, 1), (0, 2)))
_register_pad("replicate", ((2, 1), (0, 2)))
_register_pad("circular", ((2, 1), (0, 2)))
