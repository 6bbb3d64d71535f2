"""Pooling over NCHW tensors: `max_pool2d`, `avg_pool2d` and their ops `MaxPool2d`,
`MaxPool2dScatter`, `MaxPool2dGather`, `AvgPool2d`, `AvgPool2dGrad`; `adaptive_avg_pool2d`.

Signatures, defaults and output sizes are PyTorch's (``floor((H + 2p - d*(k - 1) - 1) / s) + 1``
with dilation d, or with ``ceil_mode`` the ceiling, dropping a last window that would start in
the right padding). Such a last window may run past the padded input: the padded arrays get
room for it (`_Window.extra`), filled with -inf for max pooling and zeros for average pooling,
which divides each window as PyTorch does (`_avg_scale`).

Memory layout. The ops work in their input's memory order: channels-last after a convolution
(see `nn.functional.conv`), NCHW otherwise. Every op here accepts any strides; the layout only
decides the speed.

A window's maximum (or sum) is separable: reduce over the window's rows, then over its columns, on
strided views (``kh + kw`` elementwise passes, no copies unless padding). Max pooling sends each
window's gradient to ONE element: the first maximum in row-major order, as PyTorch does, so tied
maxima (frequent after a ReLU: all-zero windows) do not all receive it; ``return_indices`` gives
that element's flat index in its ``H*W`` plane. Its backward is `MaxPool2dScatter`, whose
backward is the matching gather, `MaxPool2dGather`. The adjoint of average pooling is
`AvgPool2dGrad`, whose own adjoint is average pooling again.
"""
from dataclasses import dataclass

import numpy as np

from autodiff.ops.elementwise import all_finite
from autodiff.function import Function
from autodiff.ops.registry import register
from autodiff.tensor import Tensor, as_tensor

from ._spatial import hypothesis_modules, out_size, pair, positive_pair, to_nhwc

__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "MaxPool2d", "MaxPool2dScatter", "MaxPool2dGather",
           "AvgPool2d", "AvgPool2dGrad"]


# ----- windows ----------------------------------------------------------------------------------
def _span(out, kernel, stride, dilation):
    """How many padded rows (or columns) the windows of one output axis touch."""
    return stride * (out - 1) + dilation * (kernel - 1) + 1


@dataclass(frozen=True)
class _Window:
    """Where a pooling op's windows lie, and the memory layout its arrays are handled in.

    Internally an array is 4-d or 5-d with the spatial axes at -3 and -2 and channels last:
    ``(N, H, W, C)`` (a view of channels-last memory) or ``(N, C, H, W, 1)`` (a view of NCHW
    memory), whichever keeps the innermost axis contiguous. The padded array has ``padding``
    rows (columns) before the input and ``padding + extra`` after it: ``extra`` makes room for
    the last windows of ``ceil_mode``, which may run past the padding.
    """

    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    extra: tuple
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
        (h, w), (ph, pw), (eh, ew) = self.in_hw, self.padding, self.extra
        return a.shape[:-3] + (h + 2 * ph + eh, w + 2 * pw + ew, a.shape[-1])

    def pad(self, a, value):
        """The internal array with its spatial padding filled with ``value``."""
        (ph, pw), (eh, ew) = self.padding, self.extra
        if ph == pw == eh == ew == 0:
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
        (ho, wo), (sh, sw), (dh, dw) = self.out_hw, self.stride, self.dilation
        top = i * dh
        return ap[..., top:top + sh * (ho - 1) + 1:sh, :_span(wo, self.kernel[1], sw, dw), :]

    def column_view(self, rows, j):
        """Kernel column ``j`` of an array of window rows (see `row_view`)."""
        wo, sw, left = self.out_hw[1], self.stride[1], j * self.dilation[1]
        return rows[..., left:left + sw * (wo - 1) + 1:sw, :]

    def view(self, ap, i, j):
        """The elements at kernel offset (i, j) of every window: shaped like the output."""
        return self.column_view(self.row_view(ap, i), j)

    def offsets(self):
        """Kernel offsets in row-major order."""
        return [(i, j) for i in range(self.kernel[0]) for j in range(self.kernel[1])]

    def flat_index(self, i, j):
        """Per window, the flat index (into an input plane, ``row * W + column``) of the element
        at kernel offset (i, j): an int64 array of shape ``(Ho, Wo, 1)``."""
        (ho, wo), (sh, sw), (ph, pw), (dh, dw) = (self.out_hw, self.stride, self.padding,
                                                  self.dilation)
        rows = np.arange(ho, dtype=np.int64) * sh - ph + i * dh
        cols = np.arange(wo, dtype=np.int64) * sw - pw + j * dw
        return (rows[:, None] * self.in_hw[1] + cols[None, :])[..., None]

    def axis_counts(self, axis, include_padding):
        """Per window along ``axis``, how many of its elements lie inside the padded input
        (``include_padding``) or inside the input itself (for average pooling: no dilation)."""
        size, k, s, p = (self.in_hw[axis], self.kernel[axis], self.stride[axis],
                         self.padding[axis])
        start = np.arange(self.out_hw[axis]) * s - p
        end = np.minimum(start + k, size + p)
        if not include_padding:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        return end - start

    @property
    def disjoint(self):
        """True when no input element lies in two windows."""
        return all(s >= d * (k - 1) + 1
                   for s, k, d in zip(self.stride, self.kernel, self.dilation))

    @property
    def covers(self):
        """True when the windows tile the unpadded input exactly (each element in one window)."""
        return (self.stride == self.kernel and self.padding == (0, 0)
                and self.dilation == (1, 1)
                and all(o * k == n for o, k, n in zip(self.out_hw, self.kernel, self.in_hw)))


def _window(x, kernel_size, stride, padding, op, dilation=1, ceil_mode=False):
    """Validate pooling arguments as PyTorch does and return the `_Window` for NCHW ``x``."""
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W) or a 3-d one (C, H, W), "
                         f"got shape {x.shape}")
    kernel = positive_pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else positive_pair(stride, "stride", op)
    dilation = positive_pair(dilation, "dilation", op)
    padding = pair(padding, "padding", op)
    if min(padding) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got padding={padding}")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be at most half of kernel_size {kernel}")
    out_hw = tuple(out_size(x.shape[2 + i], kernel[i], stride[i], padding[i], dilation[i],
                            bool(ceil_mode)) for i in range(2))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: input of shape {x.shape} is too small for kernel_size {kernel} "
                         f"with padding {padding} and dilation {dilation}: output size would "
                         f"be {out_hw}")
    extra = tuple(max(0, _span(out_hw[i], kernel[i], stride[i], dilation[i])
                      - x.shape[2 + i] - 2 * padding[i]) for i in range(2))
    data = x.data
    channels_last = data.shape[1] > 1 and data.strides[1] == data.itemsize
    return _Window(kernel, stride, padding, dilation, extra, tuple(x.shape[2:]), out_hw,
                   channels_last)


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
        masks = _first_max_masks(self.window, self.padded, self.pooled)
        return (MaxPool2dScatter.apply(grad, window=self.window, masks=masks),)


def _first_max_masks(window, padded, pooled):
    """Per kernel offset, a boolean array shaped like the output: True where that offset holds
    the window's first maximum (row-major). Exactly one is True per window.

    Padding never holds it, though its fill (-inf, or an integer type's minimum) may equal an
    input element, and a window with a NaN picks its first NaN (the maximum, since np.maximum
    propagates NaN), as PyTorch picks a NaN: every window has an element inside the input."""
    offsets = window.offsets()
    inside = nan = None
    if window.padding != (0, 0) or window.extra != (0, 0):  # `pad` filled cells around x
        inside = np.zeros(padded.shape, dtype=bool)
        window.crop(inside)[...] = True
    if pooled.dtype.kind == "f" and pooled.size and np.isnan(pooled.max()):  # max: nan if any
        nan = np.isnan(pooled)
    careful = inside is not None or nan is not None
    masks, taken = [], None
    for i, j in (offsets if careful else offsets[:-1]):
        view = window.view(padded, i, j)
        hit = np.equal(view, pooled)
        if nan is not None:
            hit |= np.isnan(view) & nan
        if inside is not None:
            hit &= window.view(inside, i, j)
        if taken is None:
            taken = hit.copy()
        else:
            np.greater(hit, taken, out=hit)  # hit and not taken
            taken |= hit
        masks.append(hit)
    if not careful:  # no padding, no NaN: the last offset holds the maximum where no other did
        masks.append(np.ones_like(pooled, dtype=bool) if taken is None else ~taken)
    return masks


def _max_indices(x, out, window):
    """PyTorch's ``return_indices``: per window of NCHW ``x``, the flat index (into its H*W
    plane) of the first maximum, as an NCHW int64 array shaped like the output ``out``."""
    padded = window.pad(window.internal(x), _lowest(x.dtype))
    pooled = window.internal(out)
    index = np.zeros(pooled.shape, dtype=np.int64)
    for (i, j), mask in zip(window.offsets(), _first_max_masks(window, padded, pooled)):
        np.copyto(index, window.flat_index(i, j), where=mask)
    return np.ascontiguousarray(window.nchw(index))


class MaxPool2dScatter(Function):
    """Route each window's gradient to the element selected by ``masks`` (the backward of
    max pooling). Parameters: ``window`` and ``masks`` (one boolean array per kernel offset)."""

    def forward(self, g):
        window = self.window
        gi = window.internal_grad(g)
        shape = window.padded_shape(gi)
        dxp = _input_buffer(window, shape, g.dtype)
        finite = all_finite(gi)  # else inf * False would be NaN, where PyTorch sends 0
        for (i, j), mask in zip(window.offsets(), self.masks):
            target = window.view(dxp, i, j)
            if not finite:
                part = np.where(mask, gi, 0)
                if window.disjoint:
                    np.copyto(target, part)
                else:
                    target += part
            elif window.disjoint:
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


def _as_dtype(scale, dtype):
    """An average pooling ``scale`` (a float or an array) in ``dtype``."""
    return dtype.type(scale) if isinstance(scale, float) else scale.astype(dtype, copy=False)


class AvgPool2d(Function):
    """Window sums of NCHW ``x`` (padding counted as zeros) times ``scale``, one over each
    window's divisor: a float, or an array of shape ``(Ho, Wo, 1)``. Parameters ``window``
    and ``scale``."""

    def forward(self, x):
        window = self.window
        padded = window.pad(window.internal(x), 0)
        total = _reduce_windows(padded, window, np.add)
        total *= _as_dtype(self.scale, total.dtype)
        return window.nchw(total)

    def backward(self, grad):
        return (AvgPool2dGrad.apply(grad, window=self.window, scale=self.scale),)


class AvgPool2dGrad(Function):
    """Spread each window's gradient, times ``scale``, over the window: the adjoint of
    `AvgPool2d`."""

    def forward(self, g):
        window = self.window
        gi = window.internal_grad(g)
        share = gi * _as_dtype(self.scale, gi.dtype)
        dxp = _input_buffer(window, window.padded_shape(share), share.dtype)
        for i, j in window.offsets():
            target = window.view(dxp, i, j)
            if window.disjoint:
                target[...] = share
            else:
                target += share
        return window.nchw(window.crop(dxp))

    def backward(self, grad):
        return (AvgPool2d.apply(grad, window=self.window, scale=self.scale),)


def _avg_scale(window, count_include_pad, divisor_override):
    """One over each window's divisor, as PyTorch divides: ``divisor_override`` if given, else
    the number of window elements inside the padded input (``count_include_pad``) or inside
    the input. A float when all windows share it, else an array of shape ``(Ho, Wo, 1)``."""
    if divisor_override is not None:
        return 1.0 / divisor_override
    if window.extra == (0, 0) and (count_include_pad or window.padding == (0, 0)):
        return 1.0 / (window.kernel[0] * window.kernel[1])
    counts = [window.axis_counts(axis, count_include_pad) for axis in range(2)]
    return (1.0 / np.multiply.outer(*counts))[..., None]


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max pooling of ``input (N, C, H, W)`` as PyTorch's, with its argument order (which puts
    ``ceil_mode`` before ``return_indices``, unlike `nn.MaxPool2d`).

    ``stride`` defaults to ``kernel_size``; ``padding`` pads with -inf and is at most half the
    kernel; ``dilation`` spaces the window's elements; ``ceil_mode`` rounds the output size up,
    keeping a last window only if it starts inside the input or the left padding. With
    ``return_indices`` the result is ``(output, indices)``: per window, the flat index into
    its ``H*W`` input plane of the maximum (an int64 Tensor).

    Each window's gradient goes to one element, its first maximum in row-major order.

    >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> max_pool2d(x, 2).numpy()[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    >>> max_pool2d(x, 3, 2, ceil_mode=True, return_indices=True)[1].numpy()[0, 0]
    array([[10, 11],
           [14, 15]])
    """
    x = as_tensor(input)
    if x.ndim == 3:  # an unbatched (C, H, W) image, as PyTorch ("minibatch dim optional")
        out = max_pool2d(x.expand_dims(0), kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)
        return (out[0][0], out[1][0]) if return_indices else out[0]
    window = _window(x, kernel_size, stride, padding, "max_pool2d", dilation, ceil_mode)
    out = MaxPool2d.apply(x, window=window)
    if not return_indices:
        return out
    return out, Tensor(_max_indices(x.data, out.data, window))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Average pooling of ``input (N, C, H, W)`` as PyTorch's.

    ``stride`` defaults to ``kernel_size``; ``padding`` pads with zeros and is at most half the
    kernel; ``ceil_mode`` rounds the output size up (see `max_pool2d`). A window is divided by
    the number of its elements inside the padded input (``kh * kw`` except for the last
    windows of ``ceil_mode``), by the number inside the input itself when
    ``count_include_pad=False``, or by ``divisor_override`` when given. Integer and boolean
    inputs average to float64, as `Tensor.mean` does (PyTorch keeps integers, truncating).

    >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> avg_pool2d(x, 2).numpy()[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    x = as_tensor(input)
    if x.dtype.kind in "biu":  # averages of integers are float64, as Tensor.mean's (NumPy's)
        x = x.astype(np.float64)
    if divisor_override is not None and (not isinstance(divisor_override, (int, np.integer))
                                         or divisor_override == 0):
        raise ValueError(f"avg_pool2d: divisor_override must be a non-zero int or None, got "
                         f"divisor_override={divisor_override!r}")
    if x.ndim == 3:  # an unbatched (C, H, W) image, as PyTorch
        return avg_pool2d(x.expand_dims(0), kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override)[0]
    window = _window(x, kernel_size, stride, padding, "avg_pool2d", ceil_mode=ceil_mode)
    scale = _avg_scale(window, count_include_pad, divisor_override)
    return AvgPool2d.apply(x, window=window, scale=scale)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of ``input (N, C, H, W)`` or ``(C, H, W)`` to the spatial size
    ``output_size`` (an int, or a pair whose None entries keep the input's size), as PyTorch's:
    output row i averages input rows floor(i H / h) to ceil((i + 1) H / h), and so for columns
    (the bins may overlap when the sizes do not divide). Written as two products with constant
    averaging matrices, ``rows @ x @ columns.T``; ``output_size=1`` (a ResNet's global pooling)
    is the mean over H and W.

    >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> adaptive_avg_pool2d(x, (2, 1)).numpy()[0, 0]
    array([[ 3.5],
           [11.5]])
    """
    x = as_tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected an input of shape (N, C, H, W) or "
                         f"(C, H, W), got shape {x.shape}")
    if x.dtype.kind in "biu":  # averages of integers are float64, as in avg_pool2d
        x = x.astype(np.float64)
    sizes = (output_size, output_size) if not isinstance(output_size, (tuple, list)) \
        else tuple(output_size)
    height, width = x.shape[-2:]
    if not height or not width or output_size is None:
        raise ValueError(f"adaptive_avg_pool2d: needs a non-empty image and an output_size, "
                         f"got an input of shape {x.shape} and output_size={output_size!r}")
    out = [n if size is None else size for size, n in zip(sizes, (height, width))]
    if len(sizes) != 2 or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                                  and n > 0 for n in out):
        raise ValueError(f"adaptive_avg_pool2d: output_size must be a positive int or a pair "
                         f"of them (None keeps the input's size), got {output_size!r}")
    if out == [1, 1]:
        return x.mean(axis=(-2, -1), keepdims=True)
    rows = _averaging_matrix(height, out[0], x.dtype)
    columns = _averaging_matrix(width, out[1], x.dtype)
    return Tensor(rows) @ x @ Tensor(columns.T.copy())


def _averaging_matrix(size, out, dtype):
    """(out, size): row i averages PyTorch's adaptive bin i of an axis of ``size``."""
    matrix = np.zeros((out, size), dtype)
    for i in range(out):
        start, stop = (i * size) // out, -(-(i + 1) * size // out)
        matrix[i, start:stop] = 1.0 / (stop - start)
    return matrix


# ----- registry (see autodiff/ops/registry.py): inputs drawn by hypothesis ---------------------
def _pool_cases(kernel, padding, dilation, distinct):
    """Strategy of ((x,), {}) for pooling; ``distinct`` draws well-separated, tie-free values."""
    st, hnp = hypothesis_modules()
    low = [max(1, dilation[i] * (kernel[i] - 1) + 1 - 2 * padding[i]) for i in range(2)]

    @st.composite
    def cases(draw):
        n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
        hw = tuple(draw(st.integers(low[i], low[i] + 4)) for i in range(2))
        shape = (n, c) + hw
        if distinct:
            size = int(np.prod(shape))
            order = draw(st.permutations(range(size)))
            return (np.asarray(order, dtype=np.float64).reshape(shape) * 0.25 - size / 8,), {}
        return (draw(hnp.arrays(np.float64, shape, elements=st.floats(-2.0, 2.0))),), {}

    return cases()


def _register_pool(name, pool, kernel, stride, padding, **options):
    distinct = pool is max_pool2d
    dilation = options.get("dilation", (1, 1))
    register(name, lambda x: pool(x, kernel, stride, padding, **options), kind="pool2d",
             distinct=distinct,
             params={"strategy": lambda: _pool_cases(kernel, padding, dilation, distinct)})


_register_pool("max_pool2d", max_pool2d, (2, 2), (2, 2), (0, 0))
_register_pool("max_pool2d_k3_s2_p1", max_pool2d, (3, 3), (2, 2), (1, 1))
_register_pool("max_pool2d_k23_s12_p11", max_pool2d, (2, 3), (1, 2), (1, 1))
_register_pool("max_pool2d_k2_ceil", max_pool2d, (2, 2), (2, 2), (0, 0), ceil_mode=True)
_register_pool("max_pool2d_k32_s21_p10_d21_ceil", max_pool2d, (3, 2), (2, 1), (1, 0),
               dilation=(2, 1), ceil_mode=True)
_register_pool("avg_pool2d", avg_pool2d, (2, 2), (2, 2), (0, 0))
_register_pool("avg_pool2d_k3_s2_p1", avg_pool2d, (3, 3), (2, 2), (1, 1))
_register_pool("avg_pool2d_k23_s12_p11", avg_pool2d, (2, 3), (1, 2), (1, 1))
_register_pool("avg_pool2d_k3_s2_p1_ceil", avg_pool2d, (3, 3), (2, 2), (1, 1), ceil_mode=True)
_register_pool("avg_pool2d_k32_s21_p11_ceil_exclude_pad", avg_pool2d, (3, 2), (2, 1), (1, 1),
               ceil_mode=True, count_include_pad=False)
_register_pool("avg_pool2d_k2_s1_p1_divisor3", avg_pool2d, (2, 2), (1, 1), (1, 1),
               divisor_override=3)
register("adaptive_avg_pool2d", lambda x: adaptive_avg_pool2d(x, (2, 3)), kind="pool2d",
         params={"strategy": lambda: _pool_cases((3, 2), (0, 0), (1, 1), False)})
register("adaptive_avg_pool2d_global", lambda x: adaptive_avg_pool2d(x, 1), kind="pool2d",
         params={"strategy": lambda: _pool_cases((1, 1), (0, 0), (1, 1), False)})
