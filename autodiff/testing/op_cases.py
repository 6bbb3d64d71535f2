"""Inputs for every entry of the op registry: one strategy per ``kind``, in one table.

``op_cases(spec)`` is a strategy of ``(args, kwargs)``: ``args`` are float64 arrays (the inputs
to differentiate), ``kwargs`` the op's non-differentiable arguments (axis, index ...), so the
check is ``gradcheck(functools.partial(spec.fn, **kwargs), args)``. Elements honour the spec's
``domain``, ``kinks`` and ``distinct``. A spec can bring its own strategy instead, in
``params["strategy"]``: a strategy of ``(args, kwargs)``, or a callable returning one (called
with the spec when it takes an argument). ``params["shapes"]`` (a list of fixed shapes, with
optional ``params["kwargs"]``) is understood for any kind not in the table.

Kinds (``params`` may hold ``min_ndim`` and, for reductions, ``min_size``, the least number of
elements in each reduced group):

=============  ============================================================================
elementwise    ``arity`` inputs whose shapes broadcast together (0-d and size-1 axes included)
reduction      ``fn(x, axis, keepdims)``, ``axis`` None or a tuple of (possibly negative) axes;
               default ``min_ndim`` 1
shape          ``fn(x)`` for any shape
getitem        ``fn(x, index)``: ints, slices (negative steps), None, Ellipsis, an integer array
               with repeats or a boolean mask
setitem        ``fn(x, values, index)``: an index as for getitem, values shaped like ``x[index]``
               or broadcasting to it
same_shape     ``arity`` inputs of one shape; default ``min_ndim`` 1 (they are joined on an axis)
matmul         ``a @ b`` with batch broadcasting and 1-d operands
matmul3        (..., i, j) and (..., j, k), one batch shape
matmul_nt      (i, j) and (k, j)
square         one (n, n) matrix
fixed          inputs of ``params["shapes"]``, keyword arguments ``params["kwargs"]``
=============  ============================================================================
"""
import inspect

import numpy as np
from hypothesis import strategies as st

from .strategies import arrays, broadcastable_shapes, shapes

MAX_SIDE = 3


def _values(draw, spec, shape_list):
    return draw(arrays(shape_list, spec.domain, spec.kinks, spec.distinct), label="values")


def _min_ndim(spec, default=0):
    return spec.params.get("min_ndim", default)


@st.composite
def _elementwise(draw, spec):
    if spec.arity == 1:
        shape_list = [draw(shapes(min_dims=_min_ndim(spec)), label="shape")]
    else:
        shape_list = draw(broadcastable_shapes(spec.arity, min_dims=_min_ndim(spec)),
                          label="shapes")
    return _values(draw, spec, shape_list), {}


@st.composite
def _axes(draw, ndim, allow_empty):
    """None or a tuple of distinct axes, each written positive or negative at random."""
    if draw(st.booleans(), label="all axes"):
        return None
    chosen = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim,
                           min_size=0 if allow_empty else 1), label="axes") if ndim else []
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


@st.composite
def _reduction(draw, spec):
    min_size = spec.params.get("min_size", 1)
    min_ndim = max(_min_ndim(spec, 1), 1 if min_size > 1 else 0)
    shape = list(draw(shapes(min_dims=min_ndim), label="shape"))
    axis = draw(_axes(len(shape), allow_empty=min_size <= 1))
    reduced = range(len(shape)) if axis is None else [a % len(shape) for a in axis]
    if reduced and np.prod([shape[a] for a in reduced]) < min_size:
        first = min(reduced)
        shape[first] = max(shape[first], min_size)
    keepdims = draw(st.booleans(), label="keepdims")
    return _values(draw, spec, [tuple(shape)]), {"axis": axis, "keepdims": keepdims}


@st.composite
def _shape(draw, spec):
    return _values(draw, spec, [draw(shapes(min_dims=_min_ndim(spec)), label="shape")]), {}


@st.composite
def _index_item(draw, size):
    """One index item for an axis of ``size``: int, slice, integer array or boolean mask."""
    choice = draw(st.sampled_from(["int", "slice", "array", "mask"]), label="index kind")
    if choice == "int":
        return draw(st.integers(-size, size - 1))
    if choice == "slice":
        bound = st.none() | st.integers(-size - 1, size + 1)
        step = draw(st.none() | st.sampled_from([1, 2, -1, -2]))
        return slice(draw(bound), draw(bound), step)
    if choice == "array":
        shape = draw(shapes(min_dims=1, max_dims=2, max_side=4))
        return np.asarray(draw(st.lists(st.integers(-size, size - 1), min_size=int(np.prod(shape)),
                                        max_size=int(np.prod(shape)))), dtype=np.int64).reshape(shape)
    return np.asarray(draw(st.lists(st.booleans(), min_size=size, max_size=size)), dtype=bool)


@st.composite
def _getitem(draw, spec):
    """Items for some leading and some trailing axes, an Ellipsis between them when both are
    present (it stands for the axes in the middle), None inserted anywhere, and at most one
    advanced item (integer array or boolean mask) among the basic ones."""
    shape = draw(shapes(min_dims=_min_ndim(spec)), label="shape")
    ndim = len(shape)
    leading = draw(st.integers(0, ndim), label="leading axes")
    trailing = draw(st.integers(0, ndim - leading), label="trailing axes")
    with_ellipsis = draw(st.booleans(), label="ellipsis") or trailing > 0
    sizes = list(shape[:leading]) + [None] * with_ellipsis + list(shape[ndim - trailing:])
    items, advanced = [], False
    for size in sizes:
        item = Ellipsis if size is None else draw(_index_item(size))
        if isinstance(item, np.ndarray):
            item = slice(None) if advanced else item
            advanced = True
        items.append(item)
        if draw(st.booleans(), label="insert None"):
            items.append(None)
    if len(items) == 1 and draw(st.booleans(), label="bare item"):
        return _values(draw, spec, [shape]), {"index": items[0]}
    return _values(draw, spec, [shape]), {"index": tuple(items)}


@st.composite
def _setitem(draw, spec):
    (x,), kwargs = draw(_getitem(spec))
    target = np.empty(x.shape)[kwargs["index"]].shape
    drop = draw(st.integers(0, len(target)), label="leading axes dropped")
    shape = tuple(n if draw(st.booleans(), label="keep axis") else 1 for n in target[drop:])
    return [x] + list(_values(draw, spec, [shape])), kwargs


@st.composite
def _same_shape(draw, spec):
    shape = draw(shapes(min_dims=_min_ndim(spec, 1)), label="shape")
    return _values(draw, spec, [shape] * spec.arity), {}


@st.composite
def _matmul(draw, spec):
    n, k, m = (draw(st.integers(1, MAX_SIDE), label=name) for name in "nkm")
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2), label="batch shapes")
    a = (k,) if draw(st.booleans(), label="a is 1-d") else batch_a + (n, k)
    b = (k,) if draw(st.booleans(), label="b is 1-d") else batch_b + (k, m)
    return _values(draw, spec, [a, b]), {}


@st.composite
def _matmul3(draw, spec):
    i, j, k = (draw(st.integers(1, MAX_SIDE), label=name) for name in "ijk")
    batch = draw(shapes(max_dims=2), label="batch shape")
    return _values(draw, spec, [batch + (i, j), batch + (j, k)]), {}


@st.composite
def _matmul_nt(draw, spec):
    i, j, k = (draw(st.integers(1, MAX_SIDE), label=name) for name in "ijk")
    return _values(draw, spec, [(i, j), (k, j)]), {}


@st.composite
def _square(draw, spec):
    n = draw(st.integers(1, MAX_SIDE), label="n")
    return _values(draw, spec, [(n, n)]), {}


@st.composite
def _fixed(draw, spec):
    shape_list = [tuple(s) for s in spec.params["shapes"]]
    return _values(draw, spec, shape_list), dict(spec.params.get("kwargs", {}))


KINDS = {
    "elementwise": _elementwise,
    "reduction": _reduction,
    "shape": _shape,
    "getitem": _getitem,
    "setitem": _setitem,
    "same_shape": _same_shape,
    "matmul": _matmul,
    "matmul3": _matmul3,
    "matmul_nt": _matmul_nt,
    "square": _square,
    "fixed": _fixed,
}


def op_cases(spec):
    """A strategy of ``(args, kwargs)`` for the registry entry ``spec`` (see the module)."""
    custom = spec.params.get("strategy")
    if custom is not None:
        return _custom_strategy(custom, spec)
    if spec.kind in KINDS:
        return KINDS[spec.kind](spec)
    if "shapes" in spec.params:
        return _fixed(spec)
    raise LookupError(
        f"op {spec.name!r} has kind {spec.kind!r}, which autodiff.testing.op_cases does not know "
        f"(known: {', '.join(sorted(KINDS))}); give it params['strategy'] (a strategy of "
        f"(args, kwargs)) or params['shapes'], or add the kind to KINDS in "
        f"autodiff/testing/op_cases.py"
    )


def _custom_strategy(custom, spec):
    """``params["strategy"]`` as a strategy: itself, or the result of calling it (with the spec
    when the callable has a required positional parameter)."""
    if isinstance(custom, st.SearchStrategy):
        return custom
    try:
        parameters = inspect.signature(custom).parameters.values()
    except (TypeError, ValueError):
        parameters = ()
    takes_spec = any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                     for p in parameters)
    return custom(spec) if takes_spec else custom()
