"""Reductions over axes, and the softmax family (numerically stable by subtracting the max).

``axis`` is None (every axis), an int or a tuple of ints, negative counting from the end, as in
NumPy; ``keepdims`` keeps reduced axes with size 1. Backward passes re-insert the reduced axes
(``_expand``) and broadcast the gradient back over them.
"""
import numpy as np

from .. import tensor as _tensor  # circular by design: tensor.py imports this module
from ..function import Function
from ..grad_mode import STATE
from .elementwise import float_dtype, masked, masked_in_place, times_constant, where
from .movement import concatenate
from .registry import register


def normalize_axis(axis, ndim):
    """``axis`` as a sorted tuple of non-negative ints (None means every axis). A bool, a
    float, a string or a tensor is refused (a bool was axis 1, a float in a tuple truncated,
    and PyTorch's ``x.max(other)`` reduced over the axes ``other`` held)."""
    if axis is None:
        return tuple(range(ndim))
    if _is_int(axis):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)) and all(map(_is_int, axis)):
        axes = tuple(axis)
    else:
        hint = (" (PyTorch's x.max(other) and x.min(other) are maximum(x, other) and "
                "minimum(x, other) here)" if hasattr(axis, "shape") else "")
        raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}{hint}")
    normalized = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        normalized.append(int(a) % max(ndim, 1))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"repeated axis in {axis}")
    if ndim == 0:  # as PyTorch: axis 0 (or -1) of a 0-d tensor reduces nothing
        return ()
    return tuple(sorted(normalized))


def _is_int(value):
    """Whether ``value`` is an int (Python's or NumPy's) and not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _expand(grad, shape, axes, keepdims):
    """A reduced gradient reshaped so that it broadcasts against the input's ``shape``."""
    if keepdims or grad.ndim == len(shape):
        return grad
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return grad.reshape(kept)


class Sum(Function):
    """Sum over ``axis`` (a tuple); the gradient is broadcast back over the reduced axes."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, x):
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad):
        (x,) = self.inputs
        return (_expand(grad, x.shape, self.axis, self.keepdims).broadcast_to(x.shape),)


class Max(Function):
    """Maximum over axes; tied maxima share the gradient equally. A NaN is the maximum of its
    slice, and the NaNs share the gradient (PyTorch's ``evenly_distribute_backward``)."""

    reads_values = False  # backward uses what forward saved (a mask, a scale) or nothing
    _reduce = staticmethod(np.max)

    def forward(self, x):
        if any(x.shape[a] == 0 for a in self.axis):
            raise ValueError(f"{type(self).__name__.lower()}() over an empty axis of a tensor "
                             f"of shape {x.shape}")
        out = self._reduce(x, axis=self.axis, keepdims=True)
        mask = x == out
        if out.dtype.kind == "f" and np.isnan(out).any():  # NaN == NaN is False
            mask |= np.isnan(x)
        counts = np.sum(mask, axis=self.axis, keepdims=True)
        self.index = self._weight = None
        self.x_meta = (x.shape, _weight_dtype(x.dtype))
        if len(self.axis) == 1 and x.size and counts.max() == 1:
            # one maximum per slice (no ties): its place, for a scatter in backward instead of
            # a dense weight (a max over an axis and its backward took 7x NumPy's)
            self.index = np.argmax(mask, axis=self.axis[0], keepdims=True)
        else:
            # in x's float dtype: a float64 weight would make a float32 backward float64 (the
            # share taken in float64: a count of 70,000 ties is inf in float16)
            self._weight = np.multiply(mask, 1.0 / counts, dtype=self.x_meta[1],
                                       casting="unsafe")
        return out if self.keepdims else np.squeeze(out, axis=self.axis)

    @property
    def weight(self):
        """Each element's share of its slice's gradient: 1 at the maximum, ties sharing."""
        if self._weight is None:
            shape, dtype = self.x_meta
            self._weight = np.zeros(shape, dtype=dtype)
            np.put_along_axis(self._weight, self.index, 1, axis=self.axis[0])
        return self._weight

    def backward(self, grad):
        (x,) = self.inputs
        return (masked(_expand(grad, x.shape, self.axis, self.keepdims), self.weight),)

    def _backward_arrays(self, grad, private):
        if self.index is None:
            return (masked_in_place(_expand(grad, self.x_meta[0], self.axis, self.keepdims),
                                    self.weight, private=False),)
        out = np.zeros(self.x_meta[0], dtype=np.result_type(grad, self.x_meta[1]))
        np.put_along_axis(out, self.index, _expand(grad, self.x_meta[0], self.axis,
                                                   self.keepdims), axis=self.axis[0])
        return (out,)


def _weight_dtype(dtype):
    """The dtype of a saved gradient weight for input of ``dtype``: the input's own when it is
    a float (the gradient's dtype), else float64."""
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


class Min(Max):
    """Minimum over axes; tied minima share the gradient equally. Its own reduction, not
    -max(-x): negation wraps around for unsigned and the most negative signed integers."""

    _reduce = staticmethod(np.min)


class Prod(Function):
    """Product over ``axis`` (a tuple); the gradient of an element is the product of the others
    in its slice, exact where some are zero."""

    def forward(self, x):
        out = np.prod(x, axis=self.axis, keepdims=self.keepdims)
        # A zero in some slice, an underflow or an overflow: out / x is no product of the others.
        self.exact = not (np.isfinite(out) & (out != 0)).all()
        return out

    def backward(self, grad):
        (x,) = self.inputs
        grad = _expand(grad, x.shape, self.axis, self.keepdims)
        # While recording (create_graph), products only as well: the derivative of out / x is
        # two large terms that cancel when elements are small.
        if self.exact or STATE.grad_enabled:
            return (grad * _products_of_others(x, self.axis),)
        return (grad * _expand(self.result(), x.shape, self.axis, self.keepdims) / x,)


def _products_of_others(x, axes):
    """For each element of ``x``, the product of the other elements of its slice over ``axes``.

    Made of products only (a prefix and a suffix scan, log2(n) steps each), so it is exact where
    elements are zero and differentiable to any order."""
    if x.size == 0:  # nothing to multiply (and the shifts below need a non-empty axis)
        return x * 0
    kept = tuple(a for a in range(x.ndim) if a not in axes)
    order = kept + tuple(axes)
    moved = x.permute(order)
    n = int(np.prod([x.shape[a] for a in axes]))
    rows = moved.reshape(moved.shape[:len(kept)] + (n,))
    reverse = (Ellipsis, slice(None, None, -1))
    before = _running_products(_shift_in_one(rows))
    after = _running_products(_shift_in_one(rows[reverse]))[reverse]
    return (before * after).reshape(moved.shape).permute(tuple(np.argsort(order)))


def _shift_in_one(rows, step=1):
    """``rows`` moved ``step`` places along the last axis, the first ``step`` places being 1."""
    ones = Function.constant(np.ones(rows.shape[:-1] + (step,), dtype=rows.dtype))
    return concatenate([ones, rows[..., :rows.shape[-1] - step]], axis=-1)


def _running_products(rows):
    """Inclusive products along the last axis (a Hillis-Steele scan: log2(n) products)."""
    step = 1
    while step < rows.shape[-1]:
        rows = rows * _shift_in_one(rows, step)
        step *= 2
    return rows


class Cumsum(Function):
    """Running sums along the int ``axis``, from the end when ``reverse``; the gradient is the
    running sum of the gradient in the other direction."""

    def forward(self, x):
        if x.ndim == 0:
            return x.copy()
        if self.reverse:
            return np.flip(np.cumsum(np.flip(x, self.axis), self.axis), self.axis)
        return np.cumsum(x, axis=self.axis)

    def backward(self, grad):
        return (Cumsum.apply(grad, axis=self.axis, reverse=not self.reverse),)


class Norm(Function):
    """The vector p-norm (sum |x| ** p) ** (1 / p) over ``axis`` for a finite ``p`` > 0.

    Where the norm is 0 the gradient is 0, as PyTorch's subgradient (x / norm would be 0 / 0);
    for p < 1 the gradient is also 0 at elements equal to 0, where |x| ** p has an infinite
    slope."""

    def forward(self, x):
        if self.p == 2:
            out = np.sqrt(np.sum(x * x, axis=self.axis, keepdims=True))
        else:
            out = np.sum(np.abs(x) ** self.p, axis=self.axis, keepdims=True) ** (1 / self.p)
        self.zero = out == 0
        return out if self.keepdims else np.squeeze(out, axis=self.axis)

    def backward(self, grad):
        (x,) = self.inputs
        norm = _expand(self.result(), x.shape, self.axis, self.keepdims)
        safe = where(self.zero, 1, norm)  # where the norm is 0, so is x: the gradient is 0
        denominator = safe if self.p == 2 else safe ** (self.p - 1)
        scale = _expand(grad, x.shape, self.axis, self.keepdims) / denominator
        return (scale * _signed_power(x, self.p - 1),)


def _signed_power(x, q):
    """sign(x) * |x| ** q, 0 where x is 0 (q may be negative)."""
    if q == 1:
        return x
    data = x.data
    return where(data != 0, x.abs(), 1) ** q * Function.constant(np.sign(data))


def _max_keepdims(x, axis):
    """The max over ``axis`` with non-finite maxima replaced by 0 (safe to subtract); an empty
    axis has none (the softmax family's results are then -inf or empty, as PyTorch's)."""
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(m), m, 0)


def _as_float(x):
    """Integer input of the softmax family as floats first: ``x - max`` would wrap around."""
    return x if x.dtype.kind == "f" else x.astype(float_dtype(x.dtype))


class LogSumExp(Function):
    """log(sum(exp(x))) over ``axis``, shifted by the max; the gradient is a softmax."""

    def forward(self, x):
        x = _as_float(x)
        m = _max_keepdims(x, self.axis)
        # a slice of -inf only (a masked attention row): -inf - -inf, silently as in PyTorch
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log(np.sum(np.exp(x - m), axis=self.axis, keepdims=True)) + m
        return out if self.keepdims else np.squeeze(out, axis=self.axis)

    def backward(self, grad):
        (x,) = self.inputs
        out = _expand(self.result(), x.shape, self.axis, self.keepdims)
        return (_expand(grad, x.shape, self.axis, self.keepdims) * (x - out).exp(),)


class Softmax(Function):
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the max."""

    def forward(self, x):
        x = _as_float(x)
        with np.errstate(invalid="ignore"):  # a slice of -inf only: NaN, silently as in PyTorch
            e = np.exp(x - _max_keepdims(x, self.axis))
            return e / np.sum(e, axis=self.axis, keepdims=True)

    def backward(self, grad):
        y = self.result()
        return (y * (grad - (grad * y).sum(self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """x - logsumexp(x) along ``axis``; the gradient is g - softmax(x) * sum(g)."""

    def forward(self, x):
        x = _as_float(x)
        # log(0) of an empty axis (its result is empty); a slice of -inf only gives NaN
        with np.errstate(divide="ignore", invalid="ignore"):
            shifted = x - _max_keepdims(x, self.axis)
            return shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))

    def backward(self, grad):
        y = self.result()
        return (grad - y.exp() * grad.sum(self.axis, keepdims=True),)


def mean_over(x, axis=None, keepdims=False):
    """Mean of the Tensor ``x`` over ``axis``: the sum divided by the number of reduced
    elements. Float16 sums in float32, as NumPy's and PyTorch's means do (a float16 sum of
    70,000 ones is inf)."""
    if x.dtype == np.float16:
        return in_float32(mean_over, x, axis, keepdims)
    axes = normalize_axis(axis, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes]))
    scale = 1.0 / max(count, 1) if count else np.nan
    return x.sum(axes, keepdims=keepdims) * scale


def var(x, axis=None, ddof=0, keepdims=False):
    """Variance over ``axis``: mean squared deviation with ``ddof`` degrees of freedom removed.
    Float16 is computed in float32 (`in_float32`)."""
    if x.dtype == np.float16:
        return in_float32(var, x, axis, ddof, keepdims)
    axes = normalize_axis(axis, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes]))
    # NumPy and PyTorch divide by max(0, N - ddof): inf when N <= ddof (nan where the sum is 0)
    scale = 1.0 / (count - ddof) if count > ddof else float("inf")
    if x.dtype.kind == "f" and count:
        return Var.apply(x, axis=axes, scale=scale, keepdims=keepdims)
    deviation = x - x.mean(axes, keepdims=True)  # (integers, empty axes: as the ops give them)
    return (deviation * deviation).sum(axes, keepdims=keepdims) * scale


class Var(Function):
    """``sum((x - mean) ** 2) * scale`` over ``axis`` as one node; the gradient is
    ``2 * scale * (x - mean) * grad``. As a chain of five ops its backward made about seven
    passes over x (std over an axis took 4.7x the NumPy floor)."""

    def forward(self, x):
        deviation = x - np.mean(x, axis=self.axis, keepdims=True)
        out = np.sum(np.square(deviation), axis=self.axis, keepdims=self.keepdims) * self.scale
        return out.astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.inputs
        deviation = x - x.mean(self.axis, keepdims=True)
        return (_expand(grad, x.shape, self.axis, self.keepdims) * (2 * self.scale) * deviation,)

    def _backward_arrays(self, grad, private):
        x = self.inputs[0].data
        deviation = x - np.mean(x, axis=self.axis, keepdims=True)
        deviation *= _expand(grad, x.shape, self.axis, self.keepdims) * (2 * self.scale)
        return (deviation,)


class StdFromVar(Function):
    """The square root of a variance, as `Tensor.std` takes it. Where the variance is 0 (constant
    data) the gradient is 0, as PyTorch's std: a plain sqrt's 1 / (2 * 0) would make the
    chain rule's inf * 0 a nan, and a NaN gradient for a constant column of a batch."""

    def forward(self, v):
        out = np.sqrt(v)
        self.zero = out == 0
        return out

    def backward(self, grad):
        safe = where(self.zero, 1, self.result())
        return (where(self.zero, 0, grad / (safe * 2)),)


def std(x, axis=None, ddof=0, keepdims=False):
    """Standard deviation over ``axis``: the square root of `var`, with gradient 0 where it is
    0. Float16 is computed in float32 (`in_float32`)."""
    if x.dtype == np.float16:
        return in_float32(std, x, axis, ddof, keepdims)
    return StdFromVar.apply(var(x, axis, ddof, keepdims))


def in_float32(reduction, x, *args):
    """``reduction(x, *args)`` for a float16 ``x``, computed in float32 and rounded back, as
    PyTorch's CPU kernels accumulate float16: a float16 sum of 70,000 ones (or of the exps of
    a softmax over 70,000 equal logits) is inf, and squares of deviations from 256 on are, where
    the mean, variance, norm or softmax is a float16 number."""
    return reduction(x.astype(np.float32), *args).astype(np.float16)


def cumulative_sum(x, axis):
    """Running sums of the Tensor ``x`` along the int ``axis``; None flattens ``x`` first."""
    if axis is None:
        return Cumsum.apply(x.reshape(-1), axis=0, reverse=False)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"cumsum: axis must be an int or None, got {axis!r}")
    if x.ndim == 0:  # axis 0 or -1, as PyTorch: the running sum of one element
        normalize_axis(axis, 0)
        return Cumsum.apply(x.reshape(1), axis=0, reverse=False).reshape(())
    (axis,) = normalize_axis(axis, x.ndim)
    return Cumsum.apply(x, axis=axis, reverse=False)


def vector_norm(x, ord=None, axis=None, keepdims=False):
    """The ``ord``-norm of the Tensor ``x`` over ``axis``, taken as one vector (all elements
    when None), as ``torch.linalg.vector_norm``; see `Tensor.norm`."""
    axes = normalize_axis(axis, x.ndim)
    p = _norm_order(ord)
    if x.dtype.kind not in "fc":
        # as NumPy's norm: integers and booleans in float64 (a norm is a sum, and grows with
        # the size: |x| ** p would wrap around in the integer type, overflow float16)
        x = x.astype(np.float64)
    if p == np.inf:
        return x.abs().max(axes, keepdims)
    if p == -np.inf:
        return x.abs().min(axes, keepdims)
    if p == 1:
        return x.abs().sum(axes, keepdims)
    if x.dtype == np.float16:
        return in_float32(vector_norm, x, ord, axes, keepdims)
    return Norm.apply(x, p=p, axis=axes, keepdims=keepdims)


def _norm_order(ord):
    """``ord`` checked and made a float (None and "fro" mean 2)."""
    if ord is None or (isinstance(ord, str) and ord == "fro"):
        return 2.0
    number = isinstance(ord, (int, float, np.integer, np.floating)) and not isinstance(ord, bool)
    if number and (ord > 0 or ord == -np.inf):
        return float(ord)
    raise ValueError(f"norm: ord must be None, 'fro', inf, -inf or a number > 0, got {ord!r}")


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):  # noqa: A001 (torch.sum)
    """Sum over ``axis`` (``torch.sum``); see `Tensor.sum`."""
    return _tensor.as_tensor(x).sum(axis, keepdims, dim=dim, keepdim=keepdim)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Mean over ``axis`` (``torch.mean``); see `Tensor.mean`."""
    return _tensor.as_tensor(x).mean(axis, keepdims, dim=dim, keepdim=keepdim)


def softmax(x, dim=None, *, axis=None):
    """exp(x) / sum(exp(x)) along ``dim`` (``torch.softmax``; the last axis by default)."""
    return _tensor.as_tensor(x).softmax(axis, dim=dim)


def log_softmax(x, dim=None, *, axis=None):
    """x - logsumexp(x) along ``dim`` (``torch.log_softmax``; the last axis by default)."""
    return _tensor.as_tensor(x).log_softmax(axis, dim=dim)


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """log(sum(exp(x))) over ``axis`` (``torch.logsumexp(x, dim, keepdim)``); see
    `Tensor.logsumexp`."""
    return _tensor.as_tensor(x).logsumexp(axis, keepdims, dim=dim, keepdim=keepdim)


def largest(x, other=None, *, dim=None, axis=None, keepdim=None, keepdims=None):
    """``torch.max`` (exported as ``autodiff.max``): the largest element of ``x``, or with a
    tensor ``other`` the elementwise maximum (`maximum`). ``torch.max(x, dim)`` returns
    (values, indices) in PyTorch and is not offered here: ``x.max(dim)`` gives the values,
    ``x.argmax(dim)`` the indices."""
    return _extreme("max", "maximum", x, other, dim, axis, keepdim, keepdims)


def smallest(x, other=None, *, dim=None, axis=None, keepdim=None, keepdims=None):
    """``torch.min`` (exported as ``autodiff.min``): as `largest`, for the smallest."""
    return _extreme("min", "minimum", x, other, dim, axis, keepdim, keepdims)


def _extreme(name, elementwise, x, other, dim, axis, keepdim, keepdims):
    """The body of `largest` and `smallest`."""
    from . import elementwise as ew

    if _is_int(other) or dim is not None or axis is not None:
        raise TypeError(f"autodiff.{name}(x, dim) is not offered: PyTorch returns (values, "
                        f"indices) there; use x.{name}(dim) for the values and "
                        f"x.arg{name}(dim) for the indices")
    if keepdim is not None or keepdims is not None:
        raise TypeError(f"autodiff.{name}: keepdim goes with a dim (see x.{name}(dim, keepdim))")
    if other is None:
        return getattr(_tensor.as_tensor(x), name)()
    return getattr(ew, elementwise)(x, other)


def prod(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Product over ``axis``; see `Tensor.prod`."""
    return _tensor.as_tensor(x).prod(axis, keepdims, dim=dim, keepdim=keepdim)


def cumsum(x, axis=None, *, dim=None):
    """Running sums along ``axis`` (None: of the flattened tensor); see `Tensor.cumsum`."""
    return _tensor.as_tensor(x).cumsum(axis, dim=dim)


def norm(x, ord=None, axis=None, keepdims=False, *, dim=None, keepdim=None, p=None):
    """The vector ``ord``-norm over ``axis``; see `Tensor.norm`."""
    return _tensor.as_tensor(x).norm(ord, axis, keepdims, dim=dim, keepdim=keepdim, p=p)


def _cases_with_zeros(spec):
    """Reduction cases (``autodiff.testing.op_cases``) with elements set to exactly 0: none,
    one or several in a slice."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    from ..testing.op_cases import KINDS

    @st.composite
    def cases(draw):
        (x,), kwargs = draw(KINDS["reduction"](spec))
        zeros = draw(hnp.arrays(bool, x.shape), label="zeros")
        return (np.where(zeros, 0.0, x),), kwargs

    return cases()


register("sum", lambda x, axis, keepdims: x.sum(axis, keepdims), kind="reduction")
# Fixed corner cases besides the drawn ones (the drawn examples are the same on every run, and
# once held no inner axis reduced without keepdims): an inner axis, and two apart.
register("sum_inner_axis", lambda x: x.sum(1), kind="fixed", params={"shapes": [(2, 3, 2)]})
register("mean_outer_axes", lambda x: x.mean((0, 2)), kind="fixed",
         params={"shapes": [(2, 3, 2)]})
register("max_inner_axis", lambda x: x.max(1, keepdims=True), kind="fixed", distinct=True,
         params={"shapes": [(2, 3, 2)]})
register("mean", lambda x, axis, keepdims: x.mean(axis, keepdims), kind="reduction")
register("var", lambda x, axis, keepdims: x.var(axis, keepdims=keepdims), kind="reduction",
         params={"min_size": 2})
register("var_ddof1", lambda x, axis, keepdims: x.var(axis, ddof=1, keepdims=keepdims),
         kind="reduction", params={"min_size": 2})
register("std", lambda x, axis, keepdims: x.std(axis, keepdims=keepdims), kind="reduction",
         distinct=True, params={"min_size": 2})
register("max", lambda x, axis, keepdims: x.max(axis, keepdims), kind="reduction", distinct=True)
register("min", lambda x, axis, keepdims: x.min(axis, keepdims), kind="reduction", distinct=True)
register("logsumexp", lambda x, axis, keepdims: x.logsumexp(axis, keepdims), kind="reduction")
register("softmax", lambda x, axis, keepdims: x.softmax(axis[0] if axis else -1),
         kind="reduction")
register("log_softmax", lambda x, axis, keepdims: x.log_softmax(axis[0] if axis else -1),
         kind="reduction")
register("prod", lambda x, axis, keepdims: x.prod(axis, keepdims), kind="reduction")
register("prod_with_zeros", lambda x, axis, keepdims: x.prod(axis, keepdims), kind="reduction",
         params={"strategy": _cases_with_zeros})
register("cumsum", lambda x, axis, keepdims: x.cumsum(axis[0] if axis else None),
         kind="reduction")
register("norm", lambda x, axis, keepdims: x.norm(None, axis, keepdims), kind="reduction",
         kinks=(0.0,))
register("norm_1", lambda x, axis, keepdims: x.norm(1, axis, keepdims), kind="reduction",
         kinks=(0.0,))
register("norm_3", lambda x, axis, keepdims: x.norm(3, axis, keepdims), kind="reduction",
         kinks=(0.0,))
register("norm_half", lambda x, axis, keepdims: x.norm(0.5, axis, keepdims), kind="reduction",
         kinks=(0.0,))
# Positive and distinct, so that no two |x| tie for the maximum.
register("norm_inf", lambda x, axis, keepdims: x.norm(np.inf, axis, keepdims),
         kind="reduction", domain=(0.1, 2.0), distinct=True)
register("norm_neg_inf", lambda x, axis, keepdims: x.norm(-np.inf, axis, keepdims),
         kind="reduction", domain=(-2.0, -0.1), distinct=True)
