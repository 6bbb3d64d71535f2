"""Parts of a tensor, as PyTorch names them: ``split chunk unbind narrow flip index_select
gather topk`` cut, reorder or pick, ``masked_fill tril triu`` replace a part.

Each is indexing or `where` underneath, so the gradient is theirs: every piece's gradient goes
back into its place of the input (`GetItem` scatters it), and a replaced part gets none.
Indices are checked before NumPy sees them: NumPy wraps a negative index around, where
PyTorch's ``gather`` and ``index_select`` raise.
"""
from collections import namedtuple

import numpy as np

from .. import tensor as _tensor  # circular by design: tensor.py imports this module
from .elementwise import where
from .movement import _checked_axis, concatenate, stack
from .reductions import _is_int
from .registry import register


def _along(axis, item):
    """An index that applies ``item`` to ``axis`` and takes everything of the axes before."""
    return (slice(None),) * axis + (item,)


def split(x, split_size_or_sections, dim=0):
    """``x`` cut along ``dim`` into pieces of ``split_size`` (the last one smaller if the size
    does not divide the axis) or of the listed sizes, which must add up to the axis' length;
    a tuple of tensors, as ``torch.split``."""
    x = _tensor.as_tensor(x)
    axis = _checked_axis(dim, x, "split")
    length = x.shape[axis]
    if _is_int(split_size_or_sections):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (length // size) + ([length % size] if length % size or not length
                                             else [])
    else:
        sizes = list(split_size_or_sections)
        if not all(_is_int(s) and s >= 0 for s in sizes) or sum(sizes) != length:
            raise ValueError(f"split: the sizes {sizes} must be non-negative ints adding up to "
                             f"{length}, the length of axis {dim} of a tensor of shape {x.shape}")
    starts = np.cumsum([0] + sizes[:-1])
    return tuple(x[_along(axis, slice(int(start), int(start) + int(size)))]
                 for start, size in zip(starts, sizes))


def chunk(x, chunks, dim=0):
    """``x`` cut along ``dim`` into ``chunks`` pieces of equal size (the last one smaller), or
    fewer when the axis is too short, as ``torch.chunk``: pieces of ceil(length / chunks)."""
    x = _tensor.as_tensor(x)
    if not _is_int(chunks) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    length = x.shape[_checked_axis(dim, x, "chunk")]
    return split(x, max(-(-length // chunks), 1), dim)


def unbind(x, dim=0):
    """The slices of ``x`` along ``dim``, each without that axis, as ``torch.unbind``."""
    x = _tensor.as_tensor(x)
    axis = _checked_axis(dim, x, "unbind")
    return tuple(x[_along(axis, i)] for i in range(x.shape[axis]))


def narrow(x, dim, start, length):
    """``length`` elements of ``x`` along ``dim`` from ``start`` (negative counts from the
    end), as ``torch.narrow``; the range must lie inside the axis."""
    x = _tensor.as_tensor(x)
    axis = _checked_axis(dim, x, "narrow")
    size = x.shape[axis]
    start, length = (_int_of(v) for v in (start, length))  # (0-d integer tensors too)
    begin = start + size if _is_int(start) and start < 0 else start
    if not (_is_int(begin) and _is_int(length) and 0 <= begin and 0 <= length
            and begin + length <= size):
        raise ValueError(f"narrow: start {start} and length {length} do not fit axis {dim} "
                         f"of a tensor of shape {x.shape} (its length is {size})")
    return x[_along(axis, slice(begin, begin + length))]


def _int_of(value):
    """A 0-d integer tensor or array as an int (PyTorch's ``narrow`` takes one as ``start``);
    anything else as it is."""
    data = getattr(value, "data", value)
    if isinstance(data, np.ndarray) and data.ndim == 0 and data.dtype.kind in "iu":
        return int(data)
    return value


def flip(x, dims):
    """``x`` with the order of its elements reversed along ``dims`` (an int or a sequence),
    as ``torch.flip``: a copy (a change to it in place leaves ``x`` alone), where the split,
    chunk, unbind and narrow pieces are views, as PyTorch's."""
    x = _tensor.as_tensor(x)
    dims = (dims,) if _is_int(dims) else tuple(dims)
    axes = [_checked_axis(d, x, "flip") for d in dims]
    if len(set(axes)) != len(axes):
        raise ValueError(f"flip: dims {dims} name an axis twice")
    reversed_view = x[tuple(slice(None, None, -1) if a in axes else slice(None)
                            for a in range(x.ndim))]
    return reversed_view.clone()


def _indices(name, index, size, what):
    """``index`` as an integer array whose values lie in [0, ``size``); else a clear error."""
    index = np.asarray(getattr(index, "data", index))
    if index.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must hold integers, got dtype {index.dtype}")
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"{name}: index {bad} is out of range for {what} of length {size}")
    return index


def index_select(x, dim, index):
    """The entries of ``x`` at the positions ``index`` (1-d, integers, repeats allowed) along
    ``dim``, as ``torch.index_select``; repeated positions add their gradients."""
    x = _tensor.as_tensor(x)
    axis = _checked_axis(dim, x, "index_select")
    index = _indices("index_select", index, x.shape[axis], f"axis {dim}")
    if index.ndim != 1:
        raise ValueError(f"index_select: index must be 1-d, got shape {index.shape}")
    return x[_along(axis, index)]


def gather(x, dim, index):
    """``out[i][j] = x[index[i][j]][j]`` (``dim=0``; likewise for any axis and rank), as
    ``torch.gather``: ``index`` has ``x``'s number of axes and no longer ones than ``x``
    except along ``dim``; the result has ``index``'s shape."""
    x = _tensor.as_tensor(x)
    axis = _checked_axis(dim, x, "gather")
    index = _indices("gather", index, x.shape[axis], f"axis {dim}")
    if index.ndim != x.ndim or any(n > m for a, (n, m) in enumerate(zip(index.shape, x.shape))
                                   if a != axis):
        raise ValueError(f"gather: index of shape {index.shape} does not fit a tensor of shape "
                         f"{x.shape} along axis {dim} (same number of axes, none longer than "
                         f"the tensor's except axis {dim})")
    places = list(np.ogrid[tuple(slice(n) for n in index.shape)])  # (x has an axis: checked)
    places[axis] = index
    return x[tuple(places)]


TopK = namedtuple("TopK", "values indices")


def topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
    """The ``k`` largest (or, with ``largest=False``, smallest) entries along ``dim`` and their
    positions, as ``torch.topk``: a named tuple ``(values, indices)``, largest (smallest) first;
    the values are differentiable (each gradient goes to its entry), the indices int64. NaN
    counts as the largest, as in PyTorch. ``sorted=False`` is accepted; the order stays sorted."""
    x = _tensor.as_tensor(x)
    axis = _checked_axis(dim, x, "topk")
    size = x.shape[axis]
    if not _is_int(k) or not 0 <= k <= size:
        raise ValueError(f"topk: k must be an int from 0 to {size} (the length of axis {dim} "
                         f"of a tensor of shape {x.shape}), got {k!r}")
    if largest:  # descending, ties first by position as argmax's (NaN first: the largest)
        order = size - 1 - np.argsort(np.flip(x.data, axis=axis), axis=axis, kind="stable")
        order = np.flip(order, axis=axis)
    else:
        order = np.argsort(x.data, axis=axis, kind="stable")
    index = np.take(order, np.arange(k), axis=axis).astype(np.int64)
    return TopK(gather(x, axis, index), _tensor.Tensor._make(index, False))


def masked_fill(x, mask, value):
    """``x`` with ``value`` (a number or a 0-d tensor) wherever the boolean ``mask``
    (broadcastable to ``x``'s shape) is true, as ``torch.masked_fill``: attention's
    ``scores.masked_fill(mask, float("-inf"))``. The filled places get no gradient."""
    x = _tensor.as_tensor(x)
    mask = checked_fill(x, mask, value)
    return where(mask, _in_dtype_of(x, value), x)


def checked_fill(x, mask, value, name="masked_fill"):
    """``mask`` as a boolean array, after PyTorch's checks of a masked fill of ``x``: a
    boolean mask that broadcasts to ``x``'s shape, a value that is a number or a 0-d tensor
    and fits ``x``'s dtype (`check_fill_value`)."""
    mask = np.asarray(getattr(mask, "data", mask))
    if mask.dtype != np.bool_:
        raise TypeError(f"{name}: mask must be boolean, got dtype {mask.dtype} (compare "
                        f"it first, e.g. mask == 0)")
    try:
        fits = np.broadcast_shapes(mask.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: a mask of shape {mask.shape} does not broadcast to the "
                         f"tensor's shape {x.shape}")
    if np.ndim(getattr(value, "data", value)) != 0:
        raise ValueError(f"{name}: value must be a number or a 0-d tensor, got shape "
                         f"{np.shape(getattr(value, 'data', value))}")
    check_fill_value(x.dtype, value, name)
    return mask


def check_fill_value(dtype, value, name):
    """Raise ValueError when the number (or 0-d tensor) ``value`` cannot be written into an
    integer ``dtype``: NaN, an infinity, or out of its range (NumPy would write INT_MIN or
    wrap 300 to 44 in int8; PyTorch raises)."""
    if dtype.kind not in "iu":
        return
    number = getattr(value, "data", value)
    limits = np.iinfo(dtype)
    if not (np.isfinite(number) and limits.min <= number <= limits.max):
        raise ValueError(f"{name}: {value!r} cannot be written into a tensor of dtype {dtype} "
                         f"(from {limits.min} to {limits.max})")


def _in_dtype_of(x, value):
    """``value`` (a number or a 0-d Tensor, whose gradient is kept) in ``x``'s dtype, as
    PyTorch's fills keep the tensor's dtype (2.5 into int32 is 2)."""
    if isinstance(value, _tensor.Tensor):
        return value.astype(x.dtype)
    return _tensor.Tensor._make(np.asarray(value).astype(x.dtype), False)


def _triangle(name, x, keep_below, diagonal):
    """``x`` with the entries of each matrix (the last two axes) on one side of the diagonal
    ``diagonal`` replaced by zeros."""
    x = _tensor.as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"{name}: needs a matrix or a stack of them, got shape {x.shape}")
    if not _is_int(diagonal):
        raise TypeError(f"{name}: diagonal must be an int, got {diagonal!r}")
    rows, cols = x.shape[-2:]
    below = np.tri(rows, cols, k=diagonal if keep_below else diagonal - 1, dtype=bool)
    return where(below if keep_below else ~below, x, _in_dtype_of(x, 0))


def tril(x, diagonal=0):
    """The lower triangle of each matrix (the last two axes): entries above the diagonal
    ``diagonal`` (0 the main one, positive above it) set to 0, as ``torch.tril``."""
    return _triangle("tril", x, True, diagonal)


def triu(x, diagonal=0):
    """The upper triangle of each matrix: entries below the diagonal ``diagonal`` set to 0,
    as ``torch.triu``."""
    return _triangle("triu", x, False, diagonal)


def _checkerboard(shape):
    """A boolean mask of ``shape``, true where the sum of the indices is even (a test input)."""
    return np.indices(shape).sum(axis=0) % 2 == 0


# Pieces are joined in reverse order and indices are not the identity, so that a gradient put
# back in the wrong place changes the result.
register("split", lambda x: concatenate(split(x, [1, x.shape[0] - 1])[::-1]), kind="shape",
         params={"min_ndim": 1})
register("chunk", lambda x: concatenate(chunk(x, 2, dim=-1)[::-1], axis=-1), kind="shape",
         params={"min_ndim": 1})
register("unbind", lambda x: stack(unbind(x, dim=-1)[::-1]), kind="shape",
         params={"min_ndim": 1})
register("narrow", lambda x: narrow(x, 0, -1, 1), kind="shape", params={"min_ndim": 1})
register("flip", lambda x: flip(x, tuple(range(x.ndim))), kind="shape")
register("index_select", lambda x: index_select(x, -1, np.array([x.shape[-1] - 1, 0, 0])),
         kind="shape", params={"min_ndim": 1})
register("gather", lambda x: gather(x, 0, (np.indices(x.shape).sum(axis=0) * 2 + 1)
                                     % x.shape[0]), kind="shape", params={"min_ndim": 1})
register("masked_fill", lambda x: masked_fill(x, _checkerboard(x.shape), 0.5), kind="shape")
register("tril", lambda x: tril(x), kind="shape", params={"min_ndim": 2})
register("triu", lambda x: triu(x, 1), kind="shape", params={"min_ndim": 2})
register("topk", lambda x: topk(x, min(2, x.shape[-1])).values, kind="shape", distinct=True,
         params={"min_ndim": 1})
register("topk_smallest_first_axis", lambda x: topk(x, 1, dim=0, largest=False).values,
         kind="shape", distinct=True, params={"min_ndim": 1})
