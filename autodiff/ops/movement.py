"""Ops that move data without arithmetic: reshape, transpose, broadcast, pad, index, join.

Each backward is the adjoint movement: reshape back, the inverse permutation, ``sum_to`` for
``broadcast_to`` (and the other way round), a slice for ``pad``, a scatter-add for indexing (so
repeated indices accumulate), slices for ``concatenate`` and ``stack``. ``IndexPut``, writing
into an index (``x[index] = values`` while recording), sends each input the gradient of the
places it fills.
"""
import numpy as np

from .. import tensor as _tensor  # circular by design: tensor.py imports this module
from ..function import Function
from .elementwise import masked
from .registry import register


class Reshape(Function):
    """The data in a new ``shape``; the gradient is reshaped back."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, x):
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {self.shape}"
            ) from None

    def backward(self, grad):
        return (grad.reshape(self.inputs[0].shape),)


class Transpose(Function):
    """Axes permuted by ``axes``; the gradient takes the inverse permutation."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, x):
        if sorted(self.axes) != list(range(x.ndim)):
            hint = (f" (PyTorch's transpose(dim0, dim1) is swapaxes{tuple(self.axes)} here)"
                    if len(self.axes) == 2 < x.ndim else "")
            raise ValueError(f"transpose: {self.axes} is not a permutation of the {x.ndim} axes "
                             f"of a tensor of shape {x.shape}{hint}")
        return x.transpose(self.axes)

    def backward(self, grad):
        return (grad.permute(tuple(np.argsort(self.axes))),)


class BroadcastTo(Function):
    """The input broadcast to ``shape``; the gradient is summed back (``SumTo``)."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, x):
        try:
            return np.broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {self.shape}") from None

    def backward(self, grad):
        return (grad.sum_to(self.inputs[0].shape),)


class SumTo(Function):
    """Sum a broadcast array back to ``shape``: the adjoint of broadcasting."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, x):
        return sum_to_shape(x, self.shape)

    def backward(self, grad):
        return (grad.broadcast_to(self.inputs[0].shape),)


def sum_to_shape(x, shape):
    """The ndarray ``x`` summed over the axes that broadcasting ``shape`` to ``x.shape`` added."""
    try:
        fits = len(shape) <= x.ndim and np.broadcast_shapes(shape, x.shape) == x.shape
    except ValueError:  # (NumPy's own message would not say which call failed)
        fits = False
    if not fits:
        raise ValueError(f"sum_to: shape {x.shape} does not broadcast from {shape}")
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
    )
    out = np.sum(x, axis=axes, keepdims=True) if axes else x
    return out.reshape(shape)


def normalize_pad(pad_width, ndim):
    """NumPy's ``pad_width`` (an int, a pair, or one pair per axis) as one pair per axis."""
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu":  # NumPy refuses 1.5 too (asarray(..., int) would truncate)
        raise TypeError(f"pad: pad_width must hold integers, got {pad_width!r}")
    try:
        pairs = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} is not an int, a pair or one pair per "
                         f"axis of a {ndim}-d tensor") from None
    if (pairs < 0).any():
        raise ValueError(f"pad: negative pad width in {pad_width}")
    return tuple((int(a), int(b)) for a, b in pairs)


class Pad(Function):
    """Zero padding by ``pad_width`` (one pair per axis); the gradient is the inner slice."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, x):
        return np.pad(x, self.pad_width) if x.ndim else x.copy()  # a 0-d array has no axes to pad

    def backward(self, grad):
        index = tuple(slice(a, a + n) for (a, _), n in zip(self.pad_width, self.inputs[0].shape))
        return (grad[index],)


def normalize_index(index):
    """Tensors and lists inside an index become ndarrays; the result is a tuple or single item.

    Index arrays are copied: the op keeps its index for backward, and an array changed by the
    caller after the op (``buf[:] = ...``, ``idx += 1``) must not move the gradient."""
    from ..tensor import Tensor

    def one(item):
        if isinstance(item, Tensor):
            return _integer_index(item.data.copy(), "a Tensor")
        if isinstance(item, (list, np.ndarray)):
            return _integer_index(np.array(item), type(item).__name__)
        return item

    if isinstance(index, tuple):
        return tuple(one(item) for item in index)
    return one(index)


def _integer_index(array, what):
    """``array`` if it can index (integers or booleans), else a TypeError that says why a float
    index is a float: NumPy's message prints the whole array and names no cure."""
    if array.dtype.kind in "biu" or (array.dtype.kind == "f" and array.size == 0):
        return array if array.dtype.kind != "f" else array.astype(np.intp)
    hint = float_index_hint(array.dtype) or (" (integers: .long() or astype(np.int64))"
                                             if array.dtype.kind == "f" else "")
    raise IndexError(f"an index must hold integers or booleans; {what} of dtype {array.dtype} "
                     f"and shape {array.shape} cannot index{hint}")


def float_index_hint(dtype):
    """Why indices of ``dtype`` float32 are likely floats, and the cure, in parentheses (the
    first error a port of PyTorch code meets); "" for any other dtype."""
    if dtype != np.float32:
        return ""
    return (" (Tensor([1, 2]) and arange(n) are float32, as every list and number given to "
            "Tensor: build indices with np.array(...), arange(n, dtype=np.int64) or .long())")


def is_basic(index):
    """True when the index has no integer arrays (so no element is selected twice)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        not isinstance(item, np.ndarray) or item.dtype == bool for item in items
    )


class GetItem(Function):
    """``x[index]``; the gradient is scattered back by ``IndexAdd``."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, x):
        try:
            out = x[self.index]
            if type(out) is not np.ndarray:  # a scalar for an integer per axis: a 0-d view
                out = x[(self.index if type(self.index) is tuple else (self.index,)) + (...,)]
            return out
        except IndexError as error:
            raise IndexError(f"index {self.index!r} into a tensor of shape {x.shape}: {error}") from None

    def backward(self, grad):
        x = self.inputs[0]
        return (IndexAdd.apply(grad, shape=x.shape, index=self.index),)

    def _backward_arrays(self, grad, private):
        x = self.inputs[0]
        return (ScatteredGrad(x.shape, x.dtype, self.index, grad),)

    def _backward_scattered(self, grad):
        """The recorded backward (``create_graph``) as a `ScatteredGrad` of Tensor values: the
        engine gathers the reads of one tensor into one `IndexAddMany`."""
        x = self.inputs[0]
        return (ScatteredGrad(x.shape, x.dtype, self.index, grad),)


class ScatteredGrad:
    """The gradient of ``x[index]`` for ``x``, not yet scattered: ``values`` at ``index`` of
    zeros of ``shape``. A first-order backward hands this on, and the engine adds it into one
    buffer per input (`add_into`) instead of summing one array of ``x``'s size per read: a loop
    that reads ``x[t]`` for each of T steps then costs T slices, not T times x. Under
    ``create_graph`` the values are Tensors, and the engine records one `IndexAddMany` for all
    the reads of a tensor (`Scatters`)."""

    __slots__ = ("shape", "dtype", "index", "values")

    def __init__(self, shape, dtype, index, values):
        self.shape, self.dtype, self.index, self.values = shape, dtype, index, values

    def dense(self):
        """A new array: zeros of ``shape`` with ``values`` added at ``index`` (a recorded
        `IndexAdd` when the values are a Tensor)."""
        if hasattr(self.values, "_ctx"):  # a Tensor (arrays and NumPy scalars have none)
            return IndexAdd.apply(self.values, shape=self.shape, index=self.index)
        out = np.zeros(self.shape, dtype=self.dtype)
        if is_basic(self.index):
            out[self.index] = self.values
        else:
            np.add.at(out, self.index, self.values)
        return out

    def add_into(self, out):
        """Add ``values`` at ``index`` into the array ``out`` (repeated indices accumulate)."""
        if is_basic(self.index):
            out[self.index] += self.values
        else:
            np.add.at(out, self.index, self.values)


class Scatters:
    """The recorded gradient of a tensor read by indexing, gathered: the `ScatteredGrad`s of
    its reads and the sum of its other (dense) gradients. `total` records one `IndexAddMany`
    for all the reads, so a recorded backward through T reads costs T slices, not T arrays of
    the tensor's size."""

    __slots__ = ("parts", "dense")

    def __init__(self, part, dense=None):
        self.parts, self.dense = [part], dense

    def __add__(self, other):
        """A dense gradient added in: kept apart from the reads until `total`."""
        if type(other) is Scatters:
            self.parts.extend(other.parts)
            other = other.dense
        if other is not None:
            self.dense = other if self.dense is None else self.dense + other
        return self

    __radd__ = __add__

    def total(self):
        """The gradient, recorded: one `IndexAddMany` of the reads, plus the dense part."""
        first = self.parts[0]
        scattered = IndexAddMany.apply(*(part.values for part in self.parts), shape=first.shape,
                                       indices=tuple(part.index for part in self.parts))
        return scattered if self.dense is None else scattered + self.dense


class IndexAddMany(Function):
    """zeros(shape) with each input added at its index of ``indices`` (repeated places
    accumulate): the adjoint of several reads ``x[index]`` of one tensor."""

    reads_values = False  # backward uses the indices only

    def forward(self, *values):
        out = np.zeros(self.shape, dtype=np.result_type(*values))
        for index, value in zip(self.indices, values):
            if is_basic(index):
                out[index] += value
            else:
                np.add.at(out, index, value)
        return out

    def backward(self, grad):
        return tuple(GetItem.apply(grad, index=index) for index in self.indices)


class IndexAdd(Function):
    """zeros(shape) with the input added at ``index``: the adjoint of indexing.

    Repeated integer indices accumulate (``np.add.at``); other indices assign, which is faster.
    """

    reads_values = False  # backward uses the input shapes only

    def forward(self, values):
        out = np.zeros(self.shape, dtype=values.dtype)
        if is_basic(self.index):
            out[self.index] = values
        else:
            np.add.at(out, self.index, values)
        return out

    def backward(self, grad):
        return (grad[self.index],)


class IndexPut(Function):
    """``x`` with ``values`` written at ``index`` (broadcast to the indexed places).

    ``x`` keeps the gradient of the places not written; ``values`` gets the gradient of the
    places written, summed over broadcasting. With a repeated integer index the last write
    wins, as in NumPy, and only that write gets the place's gradient.
    """

    reads_values = False  # backward uses the input shapes only

    def forward(self, x, values):
        out = x.copy()
        try:
            out[self.index] = values
        except (IndexError, ValueError) as error:
            raise type(error)(f"setitem: cannot write values of shape {values.shape} at "
                              f"{self.index!r} into a tensor of shape {x.shape}: {error}") from None
        return out

    def backward(self, grad):
        shape = self.inputs[0].shape
        unwritten = np.ones(shape, dtype=bool)
        unwritten[self.index] = False
        grad_values = GetItem.apply(grad, index=self.index)
        if not is_basic(self.index):
            grad_values = masked(grad_values, _last_writes(shape, self.index))
        extra = self.inputs[1].ndim - grad_values.ndim
        if extra > 0:  # values with leading unit axes, which NumPy's assignment drops
            grad_values = grad_values.reshape((1,) * extra + grad_values.shape)
        return masked(grad, unwritten), grad_values


def _last_writes(shape, index):
    """A mask over ``x[index]``: True where that place's write is the one that stays."""
    owner = np.full(shape, -1, dtype=np.intp)
    places = np.arange(owner[index].size).reshape(owner[index].shape)
    owner[index] = places
    return owner[index] == places


def index_put(x, index, values):
    """``x`` with ``values`` written at ``index``, as a new recorded tensor (see `IndexPut`)."""
    from ..tensor import as_tensor

    x = as_tensor(x)
    return IndexPut.apply(x, x._operand(values), index=normalize_index(index))


class Concatenate(Function):
    """Inputs joined along ``axis``; each gets its slice of the gradient."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, *arrays):
        try:
            return np.concatenate(arrays, axis=self.axis)
        except (ValueError, np.exceptions.AxisError) as error:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"concatenate along axis {self.axis} of shapes {shapes}: {error}") from None

    def backward(self, grad):
        axis = self.axis % grad.ndim
        grads, start = [], 0
        for tensor in self.inputs:
            stop = start + tensor.shape[axis]
            grads.append(grad[(slice(None),) * axis + (slice(start, stop),)])
            start = stop
        return tuple(grads)


class Stack(Function):
    """Inputs joined along a new ``axis``; each gets its index of the gradient."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, *arrays):
        try:
            return np.stack(arrays, axis=self.axis)
        except (ValueError, np.exceptions.AxisError) as error:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"stack along axis {self.axis} of shapes {shapes}: {error}") from None

    def backward(self, grad):
        axis = self.axis % grad.ndim
        return tuple(grad[(slice(None),) * axis + (i,)] for i in range(len(self.inputs)))


def _join_axis(name, axis, dim):
    """The axis of a join from NumPy's ``axis`` (default 0) or PyTorch's ``dim``."""
    if dim is not None:
        if axis != 0 and axis != dim:
            raise TypeError(f"{name}: pass either axis or dim, not both (they disagree: "
                            f"{axis} and {dim})")
        axis = dim
    if isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"{name}: axis must be an int, got {axis!r}")
    return axis


def concatenate(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis (``dim`` is PyTorch's name for it)."""
    axis = _join_axis("concatenate", axis, dim)
    _check_sequence("concatenate", tensors)
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate needs at least one tensor")
    if axis is None:  # NumPy's: the tensors flattened, then joined
        from ..tensor import as_tensor

        return Concatenate.apply(*(as_tensor(t).reshape(-1) for t in tensors), axis=0)
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0, *, dim=None):
    """Join tensors of one shape along a new axis (``dim`` is PyTorch's name for it)."""
    axis = _join_axis("stack", axis, dim)
    _check_sequence("stack", tensors)
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    return Stack.apply(*tensors, axis=axis)


def cat(tensors, dim=0, *, axis=None):
    """PyTorch's name for `concatenate`: join tensors along the existing axis ``dim`` (or
    ``axis``, which torch.cat accepts too)."""
    return concatenate(tensors, dim if axis is None else _join_axis("cat", dim, axis))


def _check_sequence(name, tensors):
    """Raise TypeError for a single tensor given where ``name`` takes a list of them: the sign of
    ``concatenate(a, b)``, whose ``b`` NumPy would take for the axis."""
    if isinstance(tensors, _tensor.Tensor):
        raise TypeError(f"{name} takes the tensors as one list: {name}([a, b], axis=...), "
                        f"got a single Tensor (of shape {tensors.shape}) as its first argument")


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim``..``end_dim`` of ``x`` (a tensor or an array) into one; ``x``
    itself when that merges nothing (one axis), as PyTorch's ``flatten``: ResNet's
    ``torch.flatten(x, 1)`` is ``autodiff.flatten(x, 1)``."""
    x = _tensor.as_tensor(x)
    if x.ndim == 0:
        return x.reshape(1)
    start, end = _checked_axis(start_dim, x, "flatten"), _checked_axis(end_dim, x, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a "
                         f"tensor of shape {x.shape}")
    if start == end:
        return x
    merged = int(np.prod(x.shape[start:end + 1]))
    return x.reshape(x.shape[:start] + (merged,) + x.shape[end + 1:])


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or the ones in ``axis``)."""
    if axis is None:
        shape = tuple(n for n in x.shape if n != 1)
    elif x.ndim == 0:  # as PyTorch: axis 0 or -1 of a 0-d tensor leaves it unchanged
        for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis):
            if a not in (0, -1):
                raise ValueError(f"squeeze: axis {a} is out of range for a 0-d tensor")
        shape = ()
    else:
        axes = {_checked_axis(a, x, "squeeze")
                for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis)}
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}, not 1")
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    return x.reshape(shape)


def _checked_axis(axis, x, name):
    """``axis`` of ``x`` as a non-negative int; a clear error when it is out of range (a plain
    ``axis % ndim`` would silently pick another axis)."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: axis must be an int, got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for a tensor of shape {x.shape}")
    return int(axis) % x.ndim


def expand_dims(x, axis):
    """Insert a size-1 axis at ``axis``, an int or a tuple of them, as NumPy (negative counts
    from the end of the result)."""
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    ndim = x.ndim + len(axes)
    places = set()
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"expand_dims: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"expand_dims: axis {a} is out of range for a result with {ndim} "
                             f"dims")
        places.add(int(a) % ndim)
    if len(places) != len(axes):
        raise ValueError(f"expand_dims: repeated axis in {axis}")
    sizes = iter(x.shape)
    return x.reshape(tuple(1 if i in places else next(sizes) for i in range(ndim)))


register("reshape", lambda x: x.reshape(-1), kind="shape")
register("transpose", lambda x: x.transpose(), kind="shape")
register("swapaxes_first_last", lambda x: x.swapaxes(0, -1) if x.ndim else x, kind="shape")
register("flatten", lambda x: x.flatten(), kind="shape")
register("squeeze", lambda x: x.squeeze(), kind="shape")
register("expand_dims", lambda x: x.expand_dims(0), kind="shape")
register("broadcast_to", lambda x: x.broadcast_to((2,) + x.shape), kind="shape")
register("sum_to", lambda x: x.sum_to(tuple(1 for _ in x.shape[1:])), kind="shape")
register("pad", lambda x: x.pad(1), kind="shape")
register("getitem", lambda x, index: x[index], kind="getitem")
# IndexAdd on its own (the engine gathers reads into IndexAddMany; GetItem.backward and
# anomaly mode's dense gradients still make it): x's read places, scattered back into zeros
register("index_add", lambda x, index: IndexAdd.apply(x[index], shape=x.shape, index=index),
         kind="getitem")
register("index_add_many", lambda a, b, c: IndexAddMany.apply(
    a, b, c, shape=(4, 3), indices=((0,), (slice(1, 3),), (np.array([1, 1]),))),
    kind="strategy", params={"strategy": lambda: _index_add_many_cases()})
register("index_put", lambda x, values, index: index_put(x, index, values), kind="setitem")
register("concatenate", lambda a, b: concatenate([a, b, a], axis=0), arity=2, kind="same_shape")
register("stack", lambda a, b: stack([a, b, a], axis=-1), arity=2, kind="same_shape")
# Cases that symmetric ones cannot tell from a wrong backward (found by mutation testing): a
# permutation that is not its own inverse, padding wider before than after, pieces of
# different sizes, and two stacked tensors whose order matters.
register("transpose_cycle", lambda x: x.transpose(tuple(range(1, x.ndim)) + (0,)), kind="shape",
         params={"min_ndim": 3})
register("pad_asymmetric",
         lambda x: x.pad(tuple((2 - i % 2, i % 2) for i in range(x.ndim))), kind="shape",
         params={"min_ndim": 1})
register("concatenate_unequal", lambda a, b: concatenate([b[:1], a], axis=0), arity=2,
         kind="same_shape", params={"min_ndim": 1})
register("stack_two", lambda a, b: stack([a, b], axis=0), arity=2, kind="same_shape")


def _index_add_many_cases():
    """Strategy of ((a, b, c), {}) float64 arrays for `IndexAddMany` into shape (4, 3): a at
    row 0, b at rows 1 and 2, c twice at row 1 (repeated places accumulate)."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    elements = st.floats(-2.0, 2.0)
    return st.tuples(hnp.arrays(np.float64, (3,), elements=elements),
                     hnp.arrays(np.float64, (2, 3), elements=elements),
                     hnp.arrays(np.float64, (2, 3), elements=elements)).map(lambda t: (t, {}))
