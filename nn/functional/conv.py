"""Convolution and pooling over NCHW tensors: `conv2d`, `max_pool2d`, `avg_pool2d`.

Signatures, defaults and output sizes are PyTorch's (``floor((H + 2p - k) / s) + 1``).

Memory layout. The API is NCHW, the work is channels-last: a convolution computes an NHWC array
and hands it out as its NCHW transposed view, without a copy. NumPy's elementwise ops allocate
their result in their operand's memory order, so a ReLU after a convolution and the pooling after
that stay channels-last too, and the next convolution's im2col reads long contiguous rows. Every
op here accepts any strides; the layout only decides the speed.

Convolution. Forward is im2col (the padded input's sliding-window view, strided, copied once into
rows of ``(kh, kw, C)`` patches) and one product ``cols @ W^T``. Backward: ``dW = dY^T @ cols``
(the forward's ``cols`` are reused); the input gradient is one batched product giving a block of
patch gradients per kernel offset and a col2im that adds the ``kh*kw`` blocks into the padded
input (a loop over kernel offsets, never over pixels). The two gradients are ops of their own,
`Conv2dInputGrad` (a transposed convolution) and `Conv2dWeightGrad`; the three ops' backwards are
written in terms of each other, so derivatives of any order work.

Pooling. A window's maximum (or sum) is separable: reduce over the window's rows, then over its
columns, on strided views (``kh + kw`` elementwise passes, no copies unless padding). Max pooling
sends each window's gradient to ONE element: the first maximum in row-major order, as PyTorch
does, so tied maxima (frequent after a ReLU: all-zero windows) do not all receive it. Its backward
is `MaxPool2dScatter`, whose backward is the matching gather, `MaxPool2dGather`. The adjoint of
average pooling is `AvgPool2dGrad`, whose own adjoint is average pooling again.
"""
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autodiff.function import Function
from autodiff.grad_mode import STATE
from autodiff.ops.registry import register
from autodiff.tensor import Tensor

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "Conv2d", "Conv2dInputGrad", "Conv2dWeightGrad",
           "MaxPool2d", "MaxPool2dScatter", "MaxPool2dGather", "AvgPool2d", "AvgPool2dGrad"]


# ----- geometry ---------------------------------------------------------------------------------
def _pair(value, name, op):
    """An int or a pair of ints as a pair of Python ints."""
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _out_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def _span(out, kernel, stride):
    """How many padded rows (or columns) the windows of one output axis touch."""
    return stride * (out - 1) + kernel


def _to_nhwc(x):
    """An NCHW array as an NHWC view (no copy)."""
    return x.transpose(0, 2, 3, 1)


def _rows(g):
    """An NCHW gradient as the (N*H*W, C) matrix of its pixels (a copy only if not NHWC)."""
    return _to_nhwc(g).reshape(-1, g.shape[1])


def _pad_nhwc(x, padding, value=0):
    """Pad the two spatial axes of an NHWC array (a fresh array; ``x`` itself when no padding)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, h, w, c = x.shape
    out = np.full((n, h + 2 * ph, w + 2 * pw, c), value, dtype=x.dtype)
    out[:, ph:ph + h, pw:pw + w, :] = x
    return out


# ----- convolution ------------------------------------------------------------------------------
def _im2col(x, kernel, stride, padding):
    """Rows of ``(kh, kw, C)`` patches of NCHW ``x``: shape ``(N*Ho*Wo, kh*kw*C)``."""
    (kh, kw), (sh, sw) = kernel, stride
    xp = _pad_nhwc(_to_nhwc(x), padding)
    windows = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # (N,Ho,Wo,C,kh,kw)
    n, ho, wo, c = windows.shape[:4]
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * ho * wo, kh * kw * c)


def _add_channel_bias(out, b, n):
    """out += b along the last axis of the (n*Ho*Wo, O) matrix ``out``, in place.

    Tiling the bias over a whole image is faster than broadcasting it over rows of O elements.
    """
    flat = out.reshape(n, -1)
    flat += np.tile(b, flat.shape[1] // b.size)


def _channel_sum(g):
    """Sum of an NCHW gradient over N, H and W, summing over long contiguous rows first."""
    rows = _rows(g)
    n = g.shape[0]
    return rows.reshape(n, -1).sum(axis=0).reshape(-1, rows.shape[1]).sum(axis=0)


class Conv2d(Function):
    """2-d cross-correlation of NCHW ``x`` with ``w (O, C, kh, kw)``, plus ``b (O,)`` if given.

    Parameters ``stride`` and ``padding`` are pairs. The output is an NCHW view of NHWC memory.
    """

    def forward(self, x, w, *bias):
        o, c, kh, kw = w.shape
        n, ho, wo = x.shape[0], *self.out_hw(x.shape, w.shape)
        self.cols = _im2col(x, (kh, kw), self.stride, self.padding)
        wmat = w.transpose(0, 2, 3, 1).reshape(o, kh * kw * c)  # rows in (kh, kw, C) order
        out = np.matmul(self.cols, wmat.T)
        if bias:
            _add_channel_bias(out, bias[0].astype(out.dtype, copy=False), n)
        return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)

    def out_hw(self, x_shape, w_shape):
        """The output's (height, width)."""
        return tuple(_out_size(x_shape[2 + i], w_shape[2 + i], self.stride[i], self.padding[i])
                     for i in range(2))

    def backward(self, grad):
        x, w = self.inputs[:2]
        geometry = dict(stride=self.stride, padding=self.padding)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = Conv2dInputGrad.apply(grad, w, in_hw=x.shape[2:], **geometry)
        if self.needs_input_grad[1]:
            gw = Conv2dWeightGrad.apply(x, grad, kernel=w.shape[2:], cols=self.cols, **geometry)
        if len(self.inputs) == 3 and self.needs_input_grad[2]:
            gb = grad.sum(axis=(0, 2, 3)) if STATE.grad_enabled else _channel_sum(grad.data)
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)


class Conv2dInputGrad(Function):
    """The input gradient of `Conv2d` (a transposed convolution): ``(dY, w) -> dX``.

    Parameters: ``in_hw`` (the convolution input's height and width), ``stride``, ``padding``.
    """

    def forward(self, g, w):
        o, c, kh, kw = w.shape
        n, _, ho, wo = g.shape
        (sh, sw), (ph, pw), (h, wd) = self.stride, self.padding, self.in_hw
        w_offsets = w.transpose(2, 3, 0, 1).reshape(kh * kw, o, c)
        # One product, a contiguous (N*Ho*Wo, C) block of patch gradients per kernel offset.
        dcols = np.matmul(_rows(g), w_offsets).reshape(kh, kw, n, ho, wo, c)
        dxp = np.zeros((n, h + 2 * ph, wd + 2 * pw, c), dtype=dcols.dtype)
        for i in range(kh):
            for j in range(kw):
                dxp[:, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw, :] += dcols[i, j]
        return dxp[:, ph:ph + h, pw:pw + wd, :].transpose(0, 3, 1, 2)

    def backward(self, grad):
        g, w = self.inputs
        geometry = dict(stride=self.stride, padding=self.padding)
        gg = gw = None
        if self.needs_input_grad[0]:
            gg = Conv2d.apply(grad, w, **geometry)
        if self.needs_input_grad[1]:
            gw = Conv2dWeightGrad.apply(grad, g, kernel=w.shape[2:], **geometry)
        return gg, gw


class Conv2dWeightGrad(Function):
    """The weight gradient of `Conv2d`: ``(x, dY) -> dW`` of shape ``(O, C, kh, kw)``.

    Parameters: ``kernel`` (kh, kw), ``stride``, ``padding``, and optionally ``cols``, the
    forward's im2col matrix of ``x``, to avoid building it again.
    """

    cols = None

    def forward(self, x, g):
        (kh, kw), o, c = self.kernel, g.shape[1], x.shape[1]
        cols = self.cols if self.cols is not None else _im2col(x, self.kernel, self.stride,
                                                               self.padding)
        dw = np.matmul(_rows(g).T, cols)  # (O, kh*kw*C)
        return np.ascontiguousarray(dw.reshape(o, kh, kw, c).transpose(0, 3, 1, 2))

    def backward(self, grad):
        x, g = self.inputs
        geometry = dict(stride=self.stride, padding=self.padding)
        gx = gg = None
        if self.needs_input_grad[0]:
            gx = Conv2dInputGrad.apply(g, grad, in_hw=x.shape[2:], **geometry)
        if self.needs_input_grad[1]:
            gg = Conv2d.apply(x, grad, **geometry)
        return gx, gg


def _check_conv_args(x, w, b, stride, padding):
    """Raise a clear error (naming the shapes) for inputs `conv2d` cannot convolve."""
    if x.ndim != 4:
        raise ValueError(f"conv2d: expected a 4-d input (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"conv2d: expected a 4-d weight (out_channels, in_channels, kh, kw), "
                         f"got shape {w.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"conv2d: input of shape {x.shape} has {x.shape[1]} channels but weight "
                         f"of shape {w.shape} expects {w.shape[1]}")
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"conv2d: bias of shape {b.shape} does not match weight of shape "
                         f"{w.shape}: expected ({w.shape[0]},)")
    if min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"conv2d: stride must be positive and padding non-negative, got "
                         f"stride={stride}, padding={padding}")
    padded = tuple(x.shape[2 + i] + 2 * padding[i] for i in range(2))
    if w.shape[2] > padded[0] or w.shape[3] > padded[1]:
        raise ValueError(f"conv2d: kernel size {tuple(w.shape[2:])} is larger than the padded "
                         f"input size {padded} (input shape {x.shape}, padding {padding})")


def conv2d(input, weight, bias=None, stride=1, padding=0):
    """2-d convolution (cross-correlation, as PyTorch) of ``input (N, C, H, W)``.

    ``weight`` is ``(out_channels, C, kh, kw)``, ``bias`` ``(out_channels,)`` or None; ``stride``
    and ``padding`` (zeros) are ints or (height, width) pairs. Returns ``(N, out_channels, Ho,
    Wo)`` with ``Ho = (H + 2*padding - kh) // stride + 1``.

    >>> x = Tensor(np.ones((1, 1, 3, 3)))
    >>> conv2d(x, Tensor(np.ones((1, 1, 2, 2))), padding=1).shape
    (1, 1, 4, 4)
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    b = bias if bias is None or isinstance(bias, Tensor) else Tensor(bias)
    stride, padding = _pair(stride, "stride", "conv2d"), _pair(padding, "padding", "conv2d")
    _check_conv_args(x, w, b, stride, padding)
    inputs = (x, w) if b is None else (x, w, b)
    return Conv2d.apply(*inputs, stride=stride, padding=padding)


# ----- pooling ----------------------------------------------------------------------------------
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
        return _to_nhwc(x) if self.channels_last else x[..., None]

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
    kernel = _pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else _pair(stride, "stride", op)
    padding = _pair(padding, "padding", op)
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"{op}: kernel_size and stride must be positive and padding "
                         f"non-negative, got kernel_size={kernel}, stride={stride}, "
                         f"padding={padding}")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be at most half of kernel_size {kernel}")
    out_hw = tuple(_out_size(x.shape[2 + i], kernel[i], stride[i], padding[i]) for i in range(2))
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
def _hypothesis():
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    return st, hnp


def _conv_geometry(draw, st, stride, padding):
    """Draw (n, c, o, kernel, (h, w)) small enough for gradcheck, valid for stride/padding."""
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    hw = tuple(draw(st.integers(max(1, kernel[i] - 2 * padding[i]), 4)) for i in range(2))
    return n, c, o, kernel, hw


def _conv_cases(stride, padding, operands):
    """Strategy of (arrays, {}) for a conv op at fixed stride and padding.

    ``operands`` names what to draw: "xwb" (conv2d with bias), "xw" (without), "gw" (the input
    gradient op: output gradient and weight, with ``in_hw``), "xg" (the weight gradient op:
    input and output gradient, with ``kernel``).
    """
    st, hnp = _hypothesis()

    def floats(shape):
        return hnp.arrays(np.float64, shape, elements=st.floats(-2.0, 2.0))

    @st.composite
    def cases(draw):
        n, c, o, kernel, hw = _conv_geometry(draw, st, stride, padding)
        x_shape, w_shape = (n, c) + hw, (o, c) + kernel
        g_shape = (n, o) + tuple(_out_size(hw[i], kernel[i], stride[i], padding[i])
                                 for i in range(2))
        if operands == "gw":
            return (draw(floats(g_shape)), draw(floats(w_shape))), {"in_hw": hw}
        if operands == "xg":
            return (draw(floats(x_shape)), draw(floats(g_shape))), {"kernel": kernel}
        arrays = (draw(floats(x_shape)), draw(floats(w_shape)))
        return (arrays + (draw(floats((o,))),) if operands == "xwb" else arrays), {}

    return cases()


def _pool_cases(kernel, stride, padding, distinct):
    """Strategy of ((x,), {}) for pooling; ``distinct`` draws well-separated, tie-free values."""
    st, hnp = _hypothesis()

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


def _register_conv(name, stride, padding, operands):
    if operands == "gw":
        fn = lambda g, w, in_hw: Conv2dInputGrad.apply(g, w, in_hw=in_hw, stride=stride,
                                                       padding=padding)
    elif operands == "xg":
        fn = lambda x, g, kernel: Conv2dWeightGrad.apply(x, g, kernel=kernel, stride=stride,
                                                         padding=padding)
    else:
        fn = lambda *xs: conv2d(*xs, stride=stride, padding=padding)
    register(name, fn, arity=len(operands), kind="conv2d",
             params={"strategy": lambda: _conv_cases(stride, padding, operands)})


def _register_pool(name, pool, kernel, stride, padding):
    distinct = pool is max_pool2d
    register(name, lambda x: pool(x, kernel, stride, padding), kind="pool2d", distinct=distinct,
             params={"strategy": lambda: _pool_cases(kernel, stride, padding, distinct)})


_register_conv("conv2d", (1, 1), (0, 0), "xwb")
_register_conv("conv2d_stride2_pad1", (2, 2), (1, 1), "xwb")
_register_conv("conv2d_nobias_stride21_pad01", (2, 1), (0, 1), "xw")
_register_conv("conv2d_input_grad", (2, 1), (1, 0), "gw")
_register_conv("conv2d_weight_grad", (1, 2), (1, 1), "xg")
_register_pool("max_pool2d", max_pool2d, (2, 2), (2, 2), (0, 0))
_register_pool("max_pool2d_k3_s2_p1", max_pool2d, (3, 3), (2, 2), (1, 1))
_register_pool("max_pool2d_k23_s12_p11", max_pool2d, (2, 3), (1, 2), (1, 1))
_register_pool("avg_pool2d", avg_pool2d, (2, 2), (2, 2), (0, 0))
_register_pool("avg_pool2d_k3_s2_p1", avg_pool2d, (3, 3), (2, 2), (1, 1))
_register_pool("avg_pool2d_k23_s12_p11", avg_pool2d, (2, 3), (1, 2), (1, 1))
