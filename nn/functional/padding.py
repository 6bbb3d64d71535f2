"""Padding: `pad2d` of the two spatial axes of NCHW tensors, in `nn.Conv2d`'s padding modes,
and `pad`, PyTorch's ``F.pad`` of any trailing axes.

'zeros' (and 'constant') is the `Pad` op; 'reflect', 'replicate' and 'circular' are one gather
(``x[:, :, rows, cols]`` with integer index arrays), whose backward, a scatter-add, sends the
gradient of every copy of an element back to it. Both are differentiable to any order.
"""
import numpy as np

from autodiff.ops.pieces import check_fill_value
from autodiff.ops.registry import register
from autodiff.tensor import as_tensor

from ._spatial import hypothesis_modules

__all__ = ["pad", "pad2d", "PADDING_MODES"]

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


def _check_pad(shape, padding, mode, name="pad2d", shown=None):
    """Raise PyTorch's errors for paddings its modes cannot produce (``shape`` is (N, C) and
    the padded axes; messages name ``shown``, the input's shape, when given)."""
    shown = shape if shown is None else shown
    if mode not in PADDING_MODES:
        raise ValueError(f"{name}: mode must be one of {PADDING_MODES}, got mode={mode!r}")
    if name == "pad2d" and len(shape) != 4:
        raise ValueError(f"pad2d: expected a 4-d input (N, C, H, W), got shape {shape}")
    if padding and min(min(p) for p in padding) < 0:
        raise ValueError(f"{name}: padding must be non-negative in mode {mode!r}, got "
                         f"padding={padding}")
    for size, (before, after) in zip(shape[2:], padding):
        if mode == "reflect" and max(before, after) >= size:
            raise ValueError(f"{name}: reflect padding {padding} must be less than the input "
                             f"size, got input shape {shown}")
        if mode == "circular" and max(before, after) > size:
            raise ValueError(f"{name}: circular padding {padding} must be at most the input "
                             f"size (it would wrap around more than once), got input shape "
                             f"{shown}")
        if mode == "replicate" and size == 0 and before + after > 0:
            raise ValueError(f"{name}: cannot replicate-pad an empty axis, input shape "
                             f"{shown}")


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


def pad(input, pad, mode="constant", value=None):
    """PyTorch's ``F.pad``: ``pad`` lists (before, after) widths for the last axes, the last
    axis first: ``(left, right)`` pads the last axis, ``(left, right, top, bottom)`` the last
    two, and so on. ``mode`` is 'constant' (filled with ``value``, 0 by default; a negative
    width crops), 'reflect', 'replicate' or 'circular' (as `pad2d`, on any number of axes).

    >>> import numpy as np
    >>> from autodiff import Tensor
    >>> pad(Tensor(np.ones((1, 2))), (1, 2), value=-1.0).numpy()
    array([[-1.,  1.,  1., -1., -1.]])
    """
    x = as_tensor(input)
    widths = _widths(x.shape, pad)
    if mode == "constant":
        value = 0 if value is None else value
        check_fill_value(x.dtype, value, "pad")
        return _pad_constant(x, widths, value)
    if value is not None and value != 0:
        raise ValueError(f"pad: value={value!r} is for mode 'constant' only, not {mode!r}")
    if mode not in PADDING_MODES[1:]:
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    _check_pad((1, 1) + x.shape[x.ndim - len(widths):], widths, mode, "pad", x.shape)
    lead = x.ndim - len(widths)
    for axis, (before, after) in enumerate(widths, start=lead):
        source = _source_index(x.shape[axis], before, after, mode)
        x = x[(slice(None),) * axis + (source,)]
    return x


def _widths(shape, pad):
    """F.pad's flat ``pad`` as (before, after) pairs for the last axes, first axis first."""
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > len(shape) or not all(
            isinstance(w, (int, np.integer)) and not isinstance(w, bool) for w in pad):
        raise ValueError(f"pad: expected an even number of int widths, two per axis and at "
                         f"most {2 * len(shape)} for a tensor of shape {shape}, got {pad}")
    pairs = [(int(pad[i]), int(pad[i + 1])) for i in range(0, len(pad), 2)]
    return tuple(reversed(pairs))


def _pad_constant(x, widths, value):
    """``x`` with ``widths`` of ``value`` around its last axes; negative widths crop."""
    lead = x.ndim - len(widths)
    crop = tuple(slice(max(-a, 0), n - max(-b, 0))
                 for (a, b), n in zip(widths, x.shape[lead:]))
    if any(s.start or s.stop != n for s, n in zip(crop, x.shape[lead:])):
        if any(s.stop < s.start for s in crop):
            raise ValueError(f"pad: widths {widths} crop more than the shape {x.shape} has")
        x = x[(slice(None),) * lead + crop]
    grow = ((0, 0),) * lead + tuple((max(a, 0), max(b, 0)) for a, b in widths)
    padded = x.pad(grow)
    if value == 0:
        return padded
    border = np.pad(np.zeros(x.shape, bool), grow, constant_values=True)
    return padded + np.where(border, value, 0).astype(padded.dtype)


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
register("pad_constant", lambda x: pad(x, (2, -1) * min(x.ndim, 2), value=0.5), kind="shape",
         params={"min_ndim": 1})
register("pad_circular_last_axes", lambda x: pad(x, (1, 0, 0, 1), mode="circular"),
         kind="shape", params={"min_ndim": 2})  # (reflect needs sides of 2: see pad2d's cases)
