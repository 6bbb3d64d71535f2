"""Hypothesis strategies for shapes, elements, arrays and Tensors.

They compose with ``hypothesis.extra.numpy``: `shapes` is ``array_shapes`` with small defaults,
`broadcastable_shapes` wraps ``mutually_broadcastable_shapes``, and `tensors` accepts any shape
or elements strategy. Elements stay inside a ``domain`` (where log and sqrt are defined) and a
margin away from ``avoid`` points (the kinks of relu, abs, clip), so finite differences see a
smooth function; ``distinct=True`` keeps every element apart from every other (no ties in max).
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..tensor import Tensor

DEFAULT_DOMAIN = (-2.0, 2.0)
KINK_MARGIN = 1e-3  # far above the finite-difference step (1e-6), so no step crosses a kink
DISTINCT_GRID = 400  # distinct values come from this many steps across the domain


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=3):
    """Array shapes: ``hypothesis.extra.numpy.array_shapes`` with small test-friendly defaults
    (0-d included, sides of 1 common, so broadcasting and squeeze edge cases come up)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(n, min_dims=0, max_dims=3, min_side=1, max_side=3):
    """Tuples of ``n`` shapes that broadcast together (NumPy's rules), e.g. ((3, 1), (2, 1, 4))."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side,
    ).map(lambda result: result.input_shapes)


def _away_from(points, margin, lo, hi, value):
    """``value`` moved out of the ``margin``-neighbourhood of every point, staying in [lo, hi]."""
    for point in points:
        if abs(value - point) < margin:
            up, down = point + margin, point - margin
            preferred, other = (up, down) if value >= point else (down, up)
            value = preferred if lo <= preferred <= hi else other
    return value


def _inward(domain, dtype):
    """The domain's bounds rounded inward to values that ``dtype`` represents exactly."""
    lo, hi = (float(b) for b in domain)
    if dtype.kind != "f":
        return lo, hi
    lo_d, hi_d = dtype.type(lo), dtype.type(hi)
    if lo_d < lo:
        lo_d = np.nextafter(lo_d, dtype.type(np.inf))
    if hi_d > hi:
        hi_d = np.nextafter(hi_d, dtype.type(-np.inf))
    return float(lo_d), float(hi_d)


def elements(domain=DEFAULT_DOMAIN, avoid=(), dtype=np.float64, margin=KINK_MARGIN):
    """Finite floats of ``dtype`` in the closed interval ``domain``, kept ``margin`` away from
    each point of ``avoid``."""
    dtype = np.dtype(dtype)
    lo, hi = _inward(domain, dtype)
    floats = hnp.from_dtype(dtype, min_value=lo, max_value=hi, allow_nan=False,
                            allow_infinity=False, allow_subnormal=False)
    if not avoid:
        return floats
    points = tuple(float(p) for p in avoid)
    if all(any(abs(v - p) < margin for p in points) for v in np.linspace(lo, hi, 1001)):
        raise ValueError(f"elements: every value of domain {domain} lies within {margin} of "
                         f"a point of avoid={tuple(avoid)}: nothing to draw")
    moved = floats.map(lambda v: dtype.type(_away_from(points, margin, lo, hi, float(v))))
    # moving away from one point can land near another (points closer than 2 * margin), or
    # outside a domain narrower than the margin: those rare values are drawn again
    return moved.filter(lambda v: lo <= v <= hi and all(abs(float(v) - p) >= margin
                                                         for p in points))


def distinct_values(count, domain=DEFAULT_DOMAIN, avoid=(), margin=KINK_MARGIN):
    """Lists of ``count`` floats from ``domain``, pairwise at least (hi - lo) / 400 apart and
    ``margin`` away from every point of ``avoid``."""
    lo, hi = domain
    grid = [float(v) for v in np.linspace(lo, hi, DISTINCT_GRID + 1)
            if all(abs(v - p) >= margin for p in avoid)]
    if count > len(grid):
        raise ValueError(f"cannot draw {count} distinct values from domain {domain}")
    return st.lists(st.sampled_from(grid), min_size=count, max_size=count, unique=True)


def arrays(shape_list, domain=DEFAULT_DOMAIN, avoid=(), distinct=False, dtype=np.float64):
    """A tuple of arrays, one per shape in ``shape_list``, with elements as `elements` draws.

    With ``distinct=True`` no two elements of any of the arrays are close (so max, min, sort and
    comparisons between the arrays have no ties)."""
    shape_list = [tuple(s) for s in shape_list]
    if not distinct:
        return st.tuples(*(hnp.arrays(dtype, s, elements=elements(domain, avoid, dtype))
                           for s in shape_list))
    sizes = [int(np.prod(s)) for s in shape_list]

    def split(values):
        flat = np.asarray(values, dtype=dtype)
        bounds = np.cumsum([0] + sizes)
        return tuple(flat[a:b].reshape(s) for a, b, s in zip(bounds, bounds[1:], shape_list))

    return distinct_values(sum(sizes), domain, avoid).map(split)


def tensors(shape=None, dtype=np.float64, elements=None, *, domain=DEFAULT_DOMAIN, avoid=(),
            distinct=False, requires_grad=False):
    """Tensors for property tests.

    ``shape``: a tuple, a strategy of tuples, or None for `shapes()`. ``elements``: a strategy of
    scalars (overrides ``domain``/``avoid``/``distinct``). ``domain``: the interval elements come
    from; ``avoid``: points to keep away from (kinks); ``distinct``: no two elements close.

    >>> from hypothesis import given
    >>> @given(tensors(shape=shapes(min_dims=1), domain=(0.1, 3.0)))
    ... def test_log(x):
    ...     assert_grad_matches(lambda t: t.log(), x)
    """
    dtype = np.dtype(dtype)
    shape_strategy = shapes() if shape is None else shape
    if not isinstance(shape_strategy, st.SearchStrategy):
        shape_strategy = st.just(tuple(shape_strategy))
    if elements is not None:
        array_strategy = hnp.arrays(dtype, shape_strategy, elements=elements)
    else:
        array_strategy = shape_strategy.flatmap(
            lambda s: arrays([s], domain, avoid, distinct, dtype).map(lambda pair: pair[0]))
    return array_strategy.map(lambda a: Tensor(a, requires_grad=requires_grad))
