"""Pooling over NCHW tensors: `max_pool2d`, `avg_pool2d` and their ops `MaxPool2d`,
`MaxPool2dScatter`, `MaxPool2dGather`, `AvgPool2d`, `AvgPool2dGrad`.

Signatures, defaults and output sizes are PyTorch's (``floor((H + 2p - k) / s) + 1``).

Memory layout. The ops work in their input's memory order: channels-last after a convolution
(see `nn.functional.conv`), NCHW otherwise. Every op here accepts any strides; the layout only
decides the speed.

A window's maximum (or sum) is separable: reduce over the window's rows, then over its columns, on
strided views (``kh + kw`` elementwise passes, no copies unless padding). Max pooling sends each
window's gradient to ONE element: the first maximum in row-major order, as PyTorch does, so tied
maxima (frequent after a ReLU: all-zero windows) do not all receive it. Its backward is
`MaxPool2dScatter`, whose backward is the matching gather, `MaxPool2dGather`. The adjoint of
average pooling is `AvgPool2dGrad`, whose own adjoint is average pooling again.
"""
from dataclasses import dataclass

import numpy as np

from autodiff.function import Function
from autodiff.ops.registry import register
from autodiff.tensor import Tensor

from ._spatial import hypothesis_modules, out_size, pair, to_nhwc

__all__ = ["max_pool2d", "avg_pool2d", "MaxPool2d", "MaxPool2dScatter", "MaxPool2dGather",
           "AvgPool2d", "AvgPool2dGrad"]


# ----- windows ----------------------------------------------------------------------------------
def _span(out, kernel, stride):
    """How many padded rows (or columns) the windows of one output axis touch."""
    return stride * (out - 1) + kernel


@dataclass(frozen=True)
class _Window:
    """Where a pooling op's windows lie, and the memory layout its arrays are handled in.

    Internally an array is 4-d or 5-d with the spatial axes at -3 and -2 and channels last:
    ``(N, H, W, C)`` (a view of channels-last memory) or ``(N, C, H, W, 1)`` (a view of NCHW
    memory), whichever keeps the innermost axis contiguous.
    """

    kernel: tuple
    stride: tuple
    padding: tuple
    in_hw: tuple
    out_hw: tuple
    channels_last: bool

    def internal(self, x):
        """The NCHW array ``x`` in the internal layout (a view)."""
        return to_nhwc(x) if self.channels_last else x[..., None]

    def internal_grad(self, g):
        """An NCHW gradient in the internal layout, copied once if its memory order differs."""
        inner = self.internal(g)
        if inner.shape[-1] > 1 and inner.strides[-1] != inner.itemsize:
            inner = np.ascontiguousarray(inner)
        elif inner.shape[-1] == 1 and inner.shape[-2] > 1 and inner.strides[-2] != inner.itemsize:
            inner = np.ascontiguousarray(g)[..., None]
        return inner

    def nchw(self, a):
        """An internal-layout array as NCHW (a view)."""
        return a.transpose(0, 3, 1, 2) if self.channels_last else a[..., 0]

    def padded_shape(self, a):
        h, w = self.in_hw
        return a.shape[:-3] + (h + 2 * self.padding[0], w + 2 * self.padding[1], a.shape[-1])

    def pad(self, a, value):
        """The internal array with its spatial padding filled with ``value``."""
        ph, pw = self.padding
        if ph == 0 and pw == 0:
            return a
        out = np.full(self.padded_shape(a), value, dtype=a.dtype)
        out[..., ph:ph + a.shape[-3], pw:pw + a.shape[-2], :] = a
        return out

    def crop(self, ap):
        """Remove the padding of a padded internal array (a view)."""
        (ph, pw), (h, w) = self.padding, self.in_hw
        return ap[..., ph:ph + h, pw:pw + w, :]

    def row_view(self, ap, i):
        """The window rows at kernel row ``i``, all columns the windows touch."""
        (ho, wo), (sh, sw) = self.out_hw, self.stride
        return ap[..., i:i + sh * (ho - 1) + 1:sh, :_span(wo, self.kernel[1], sw), :]

    def column_view(self, rows, j):
        """Kernel column ``j`` of an array of window rows (see `row_view`)."""
        wo, sw = self.out_hw[1], self.stride[1]
        return rows[..., j:j + sw * (wo - 1) + 1:sw, :]

    def view(self, ap, i, j):
        """The elements at kernel offset (i, j) of every window: shaped like the output."""
        return self.column_view(self.row_view(ap, i), j)

    def offsets(self):
        """Kernel offsets in row-major order."""
        return [(i, j) for i in range(self.kernel[0]) for j in range(self.kernel[1])]

    @property
    def disjoint(self):
        """True when no input element lies in two windows."""
        return all(s >= k for s, k in zip(self.stride, self.kernel))

    @property
    def covers(self):
        """True when the windows tile the unpadded input exactly (each element in one window)."""
        return (self.stride == self.kernel and self.padding == (0, 0)
                and all(o * k == n for o, k, n in zip(self.out_hw, self.kernel, self.in_hw)))


def _window(x, kernel_size, stride, padding, op):
    """Validate pooling arguments as PyTorch does and return the `_Window` for NCHW ``x``."""
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W), got shape {x.shape}")
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else pair(stride, "stride", op)
    padding = pair(padding, "padding", op)
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"{op}: kernel_size and stride must be positive and padding "
                         f"non-negative, got kernel_size={kernel}, stride={stride}, "
                         f"padding={padding}")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be at most half of kernel_size {kernel}")
    out_hw = tuple(out_size(x.shape[2 + i], kernel[i], stride[i], padding[i]) for i in range(2))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: input of shape {x.shape} is too small for kernel_size {kernel} "
                         f"with padding {padding}: output size would be {out_hw}")
    data = x.data
    channels_last = data.shape[1] > 1 and data.strides[1] == data.itemsize
    return _Window(kernel, stride, padding, tuple(x.shape[2:]), out_hw, channels_last)


def _reduce_windows(ap, window, ufunc):
    """``ufunc`` over every window of the padded internal array: rows first, then columns.

    Rows first keeps the first pass on long contiguous rows of channels-last memory.
    """
    kh, kw = window.kernel
    rows = window.row_view(ap, 0)
    rows = ufunc(rows, window.row_view(ap, 1)) if kh > 1 else rows.copy()
    for i in range(2, kh):
        ufunc(rows, window.row_view(ap, i), out=rows)
    out = window.column_view(rows, 0)
    out = ufunc(out, window.column_view(rows, 1)) if kw > 1 else out.copy()
    for j in range(2, kw):
        ufunc(out, window.column_view(rows, j), out=out)
    return out


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _input_buffer(window, shape, dtype):
    """A padded internal-layout buffer for an input gradient, zeroed unless fully written."""
    return (np.empty if window.covers else np.zeros)(shape, dtype=dtype)


class MaxPool2d(Function):
    """Max over windows of NCHW ``x``; parameter ``window`` (a `_Window`)."""

    def forward(self, x):
        window = self.window
        self.padded = window.pad(window.internal(x), _lowest(x.dtype))
        self.pooled = _reduce_windows(self.padded, window, np.maximum)
        return window.nchw(self.pooled)

    def backward(self, grad):
        return (MaxPool2dScatter.apply(grad, window=self.window, masks=self.first_max_masks()),)

    def first_max_masks(self):
        """Per kernel offset, a boolean array shaped like the output: True where that offset
        holds the window's first maximum (row-major). Exactly one is True per window."""
        window, pooled = self.window, self.pooled
        offsets = window.offsets()
        masks, taken = [], None
        for i, j in offsets[:-1]:
            hit = np.equal(window.view(self.padded, i, j), pooled)
            if taken is None:
                taken = hit.copy()
            else:
                np.greater(hit, taken, out=hit)  # hit and not taken
                taken |= hit
            masks.append(hit)
        # The last offset holds the maximum wherever no earlier one did (also for NaN windows).
        masks.append(np.ones_like(pooled, dtype=bool) if taken is None else ~taken)
        return masks


class MaxPool2dScatter(Function):
    """Route each window's gradient to the element selected by ``masks`` (the backward of
    max pooling). Parameters: ``window`` and ``masks`` (one boolean array per kernel offset)."""

    def forward(self, g):
        window = self.window
        gi = window.internal_grad(g)
        shape = window.padded_shape(gi)
        dxp = _input_buffer(window, shape, g.dtype)
        for (i, j), mask in zip(window.offsets(), self.masks):
            target = window.view(dxp, i, j)
            if window.disjoint:
                np.multiply(gi, mask, out=target)
            else:
                target += gi * mask
        return window.nchw(window.crop(dxp))

    def backward(self, grad):
        return (MaxPool2dGather.apply(grad, window=self.window, masks=self.masks),)


class MaxPool2dGather(Function):
    """Read, per window, the element selected by ``masks``: the adjoint of `MaxPool2dScatter`."""

    def forward(self, g):
        window = self.window
        gp = window.pad(window.internal_grad(g), 0)
        out = np.zeros(gp.shape[:-3] + window.out_hw + gp.shape[-1:], dtype=g.dtype)
        for (i, j), mask in zip(window.offsets(), self.masks):
            np.copyto(out, window.view(gp, i, j), where=mask)
        return window.nchw(out)

    def backward(self, grad):
        return (MaxPool2dScatter.apply(grad, window=self.window, masks=self.masks),)


class AvgPool2d(Function):
    """Mean over windows of NCHW ``x``, padding counted as zeros; parameter ``window``."""

    def forward(self, x):
        window = self.window
        padded = window.pad(window.internal(x), 0)
        total = _reduce_windows(padded, window, np.add)
        total *= total.dtype.type(1.0 / (window.kernel[0] * window.kernel[1]))
        return window.nchw(total)

    def backward(self, grad):
        return (AvgPool2dGrad.apply(grad, window=self.window),)


class AvgPool2dGrad(Function):
    """Spread each window's gradient evenly over the window: the adjoint of `AvgPool2d`."""

    def forward(self, g):
        window = self.window
        kh, kw = window.kernel
        share = window.internal_grad(g) * (1.0 / (kh * kw))
        dxp = _input_buffer(window, window.padded_shape(share), share.dtype)
        for i, j in window.offsets():
            target = window.view(dxp, i, j)
            if window.disjoint:
                target[...] = share
            else:
                target += share
        return window.nchw(window.crop(dxp))

    def backward(self, grad):
        return (AvgPool2d.apply(grad, window=self.window),)


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Max pooling of ``input (N, C, H, W)`` as PyTorch's (``stride`` defaults to
    ``kernel_size``; ``padding`` pads with -inf and is at most half the kernel).

    Each window's gradient goes to one element, its first maximum in row-major order.

    >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> max_pool2d(x, 2).numpy()[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    window = _window(x, kernel_size, stride, padding, "max_pool2d")
    return MaxPool2d.apply(x, window=window)


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    """Average pooling of ``input (N, C, H, W)`` as PyTorch's with ``count_include_pad=True``:
    every window is divided by ``kh * kw``, padded zeros included.

    >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> avg_pool2d(x, 2).numpy()[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    window = _window(x, kernel_size, stride, padding, "avg_pool2d")
    return AvgPool2d.apply(x, window=window)


# ----- registry (see autodiff/ops/registry.py): inputs drawn by hypothesis ---------------------
def _pool_cases(kernel, stride, padding, distinct):
    """Strategy of ((x,), {}) for pooling; ``distinct`` draws well-separated, tie-free values."""
    st, hnp = hypothesis_modules()

    @st.composite
    def cases(draw):
        n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
        hw = tuple(draw(st.integers(max(1, kernel[i] - 2 * padding[i]), kernel[i] + 3))
                   for i in range(2))
        shape = (n, c) + hw
        if distinct:
            size = int(np.prod(shape))
            order = draw(st.permutations(range(size)))
            return (np.asarray(order, dtype=np.float64).reshape(shape) * 0.25 - size / 8,), {}
        return (draw(hnp.arrays(np.float64, shape, elements=st.floats(-2.0, 2.0))),), {}

    return cases()


def _register_pool(name, pool, kernel, stride, padding):
    distinct = pool is max_pool2d
    register(name, lambda x: pool(x, kernel, stride, padding), kind="pool2d", distinct=distinct,
             params={"strategy": lambda: _pool_cases(kernel, stride, padding, distinct)})


_register_pool("max_pool2d", max_pool2d, (2, 2), (2, 2), (0, 0))
_register_pool("max_pool2d_k3_s2_p1", max_pool2d, (3, 3), (2, 2), (1, 1))
_register_pool("max_pool2d_k23_s12_p11", max_pool2d, (2, 3), (1, 2), (1, 1))
_register_pool("avg_pool2d", avg_pool2d, (2, 2), (2, 2), (0, 0))
_register_pool("avg_pool2d_k3_s2_p1", avg_pool2d, (3, 3), (2, 2), (1, 1))
_register_pool("avg_pool2d_k23_s12_p11", avg_pool2d, (2, 3), (1, 2), (1, 1))
