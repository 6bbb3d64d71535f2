"""Reductions over axes, and the softmax family (numerically stable by subtracting the max).

``axis`` is None (every axis), an int or a tuple of ints, negative counting from the end, as in
NumPy; ``keepdims`` keeps reduced axes with size 1. Backward passes re-insert the reduced axes
(``_expand``) and broadcast the gradient back over them.
"""
import numpy as np

from ..function import Function
from .elementwise import times_constant
from .registry import register


def normalize_axis(axis, ndim):
    """``axis`` as a sorted tuple of non-negative ints (None means every axis)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalized = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        normalized.append(int(a) % max(ndim, 1))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(normalized))


def _expand(grad, shape, axes, keepdims):
    """A reduced gradient reshaped so that it broadcasts against the input's ``shape``."""
    if keepdims or grad.ndim == len(shape):
        return grad
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return grad.reshape(kept)


class Sum(Function):
    """Sum over ``axis`` (a tuple); the gradient is broadcast back over the reduced axes."""

    def forward(self, x):
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad):
        (x,) = self.inputs
        return (_expand(grad, x.shape, self.axis, self.keepdims).broadcast_to(x.shape),)


class Max(Function):
    """Maximum over axes; tied maxima share the gradient equally."""

    def forward(self, x):
        if x.size == 0:
            raise ValueError("max() of an empty tensor")
        out = np.max(x, axis=self.axis, keepdims=True)
        mask = x == out
        self.weight = mask / np.sum(mask, axis=self.axis, keepdims=True)
        return out if self.keepdims else np.squeeze(out, axis=self.axis)

    def backward(self, grad):
        (x,) = self.inputs
        return (times_constant(_expand(grad, x.shape, self.axis, self.keepdims), self.weight),)


def _max_keepdims(x, axis):
    """The max over ``axis`` with non-finite maxima replaced by 0 (safe to subtract)."""
    m = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0)


class LogSumExp(Function):
    """log(sum(exp(x))) over ``axis``, shifted by the max; the gradient is a softmax."""

    def forward(self, x):
        m = _max_keepdims(x, self.axis)
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(x - m), axis=self.axis, keepdims=True)) + m
        return out if self.keepdims else np.squeeze(out, axis=self.axis)

    def backward(self, grad):
        (x,) = self.inputs
        out = _expand(self.result(), x.shape, self.axis, self.keepdims)
        return (_expand(grad, x.shape, self.axis, self.keepdims) * (x - out).exp(),)


class Softmax(Function):
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the max."""

    def forward(self, x):
        e = np.exp(x - _max_keepdims(x, self.axis))
        return e / np.sum(e, axis=self.axis, keepdims=True)

    def backward(self, grad):
        y = self.result()
        return (y * (grad - (grad * y).sum(self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """x - logsumexp(x) along ``axis``; the gradient is g - softmax(x) * sum(g)."""

    def forward(self, x):
        shifted = x - _max_keepdims(x, self.axis)
        return shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))

    def backward(self, grad):
        y = self.result()
        return (grad - y.exp() * grad.sum(self.axis, keepdims=True),)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis``: the sum divided by the number of reduced elements."""
    axes = normalize_axis(axis, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes]))
    return x.sum(axes, keepdims=keepdims) * (1.0 / max(count, 1) if count else np.nan)


def var(x, axis=None, ddof=0, keepdims=False):
    """Variance over ``axis``: mean squared deviation with ``ddof`` degrees of freedom removed."""
    axes = normalize_axis(axis, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes]))
    deviation = x - x.mean(axes, keepdims=True)
    scale = 1.0 / (count - ddof) if count > ddof else np.nan  # NumPy gives nan there too
    return (deviation * deviation).sum(axes, keepdims=keepdims) * scale


register("sum", lambda x, axis, keepdims: x.sum(axis, keepdims), kind="reduction")
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
