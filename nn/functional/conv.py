"""Convolution over NCHW tensors: `conv2d` and its ops `Conv2d`, `Conv2dInputGrad`,
`Conv2dWeightGrad`.

Signatures, defaults and output sizes are PyTorch's (``floor((H + 2p - d*(k - 1) - 1) / s) + 1``),
with ``dilation`` d and ``groups``.

Memory layout. The API is NCHW, the work is channels-last: a convolution computes an NHWC array
and hands it out as its NCHW transposed view, without a copy. NumPy's elementwise ops allocate
their result in their operand's memory order, so a ReLU after a convolution and the pooling after
that (`nn.functional.pooling`) stay channels-last too, and the next convolution's im2col reads
long contiguous rows. Every op here accepts any strides; the layout only decides the speed.

Forward is im2col (the padded input's sliding-window view, strided, and for a dilation taking
every d-th tap, copied once into rows of ``(kh, kw, C)`` patches) and one product
``cols @ W^T``. Groups make both a stack of matrices, one per group, and every product a batched
one; one group is the plain case without extra copies. Backward: ``dW = dY^T @ cols`` (the
forward's ``cols`` are reused); the input gradient is one batched product giving a block of patch
gradients per kernel offset and a col2im that adds the ``kh*kw`` blocks into the padded input (a
loop over kernel offsets, never over pixels). The two gradients are ops of their own,
`Conv2dInputGrad` (a transposed convolution) and `Conv2dWeightGrad`; the three ops' backwards are
written in terms of each other, so derivatives of any order work.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autodiff.function import Function
from autodiff.grad_mode import STATE
from autodiff.ops.registry import register
from autodiff.tensor import as_tensor

from ._spatial import hypothesis_modules, out_size, pair, positive_pair, to_nhwc

__all__ = ["conv2d", "same_padding", "Conv2d", "Conv2dInputGrad", "Conv2dWeightGrad"]


# ----- layout -----------------------------------------------------------------------------------
def _rows(g):
    """An NCHW gradient as the (N*H*W, C) matrix of its pixels (a copy only if not NHWC)."""
    return to_nhwc(g).reshape(-1, g.shape[1])


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
def _im2col(x, kernel, stride, padding, dilation, groups):
    """Rows of ``(kh, kw, C/groups)`` patches of NCHW ``x``, one matrix per group: shape
    ``(groups, N*Ho*Wo, kh*kw*C/groups)`` (for one group, the same copy as a 2-d im2col)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    xp = _pad_nhwc(to_nhwc(x), padding)
    reach = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    windows = sliding_window_view(xp, reach, axis=(1, 2))[:, ::sh, ::sw, :, ::dh, ::dw]
    n, ho, wo, c = windows.shape[:4]  # windows: (N, Ho, Wo, C, kh, kw)
    cg = c // groups
    grouped = windows.reshape(n, ho, wo, groups, cg, kh, kw).transpose(3, 0, 1, 2, 5, 6, 4)
    return grouped.reshape(groups, n * ho * wo, kh * kw * cg)


def _grouped_rows(g, groups):
    """An NCHW gradient as ``(groups, N*H*W, C/groups)`` matrices of its pixels (a view of
    `_rows`)."""
    rows = _rows(g)
    return rows.reshape(rows.shape[0], groups, -1).transpose(1, 0, 2)


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


class _Geometry:
    """Mixin of the three convolution ops: parameters ``stride``, ``padding``, ``dilation`` and
    ``groups`` (pairs of ints, and an int; the last two default to no dilation, one group)."""

    dilation = (1, 1)
    groups = 1

    def geometry(self):
        """The geometry parameters, to hand to a related op."""
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups)


class Conv2d(_Geometry, Function):
    """2-d cross-correlation of NCHW ``x`` with ``w (O, C/groups, kh, kw)``, plus ``b (O,)`` if
    given. The output is an NCHW view of NHWC memory."""

    reads_output = False

    def forward(self, x, w, *bias):
        o, cg, kh, kw = w.shape
        groups = self.groups
        n, ho, wo = x.shape[0], *self.out_hw(x.shape, w.shape)
        self.cols = _im2col(x, (kh, kw), self.stride, self.padding, self.dilation, groups)
        # Per group, weight rows in (kh, kw, C/groups) order, as the columns of `cols`.
        wmat = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 1, 3, 4, 2)
        out = np.matmul(self.cols, wmat.reshape(groups, o // groups, -1).transpose(0, 2, 1))
        # (N*Ho*Wo, O), written in place by the bias: a copy only for several groups.
        out = np.ascontiguousarray(out.transpose(1, 0, 2)).reshape(n * ho * wo, o)
        if bias:
            dtype = np.result_type(out, bias[0])  # NumPy's promotion, as `linear`'s bias
            if dtype != out.dtype:
                out = out.astype(dtype)
            _add_channel_bias(out, bias[0].astype(dtype, copy=False), n)
        return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)

    def out_hw(self, x_shape, w_shape):
        """The output's (height, width)."""
        return tuple(out_size(x_shape[2 + i], w_shape[2 + i], self.stride[i], self.padding[i],
                              self.dilation[i]) for i in range(2))

    def reads_input(self, position):
        # x serves w's gradient and w serves x's; the bias's gradient reads no values
        return position < 2 and self.needs_input_grad[1 - position]

    def backward(self, grad):
        x, w = self.inputs[:2]
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = Conv2dInputGrad.apply(grad, w, in_hw=x.shape[2:], **self.geometry())
        if self.needs_input_grad[1]:
            gw = Conv2dWeightGrad.apply(x, grad, kernel=w.shape[2:], cols=self.cols,
                                        **self.geometry())
        if len(self.inputs) == 3 and self.needs_input_grad[2]:
            gb = grad.sum(axis=(0, 2, 3)) if STATE.grad_enabled else _channel_sum(grad.data)
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)


class Conv2dInputGrad(_Geometry, Function):
    """The input gradient of `Conv2d` (a transposed convolution): ``(dY, w) -> dX``.

    Parameters: ``in_hw`` (the convolution input's height and width) and the geometry.
    """

    def forward(self, g, w):
        o, cg, kh, kw = w.shape
        n, _, ho, wo = g.shape
        groups = self.groups
        (sh, sw), (ph, pw), (dh, dw), (h, wd) = self.stride, self.padding, self.dilation, self.in_hw
        if cg == 1 and o == groups:
            return self._depthwise(g, w)
        w_offsets = w.reshape(groups, o // groups, cg, kh, kw).transpose(3, 4, 0, 1, 2)
        # One batched product: per kernel offset and group, an (N*Ho*Wo, C/groups) block of
        # patch gradients.
        dcols = np.matmul(_grouped_rows(g, groups), w_offsets.reshape(kh * kw, groups, -1, cg))
        dcols = dcols.reshape(kh, kw, groups, n, ho, wo, cg).transpose(0, 1, 3, 4, 5, 2, 6)
        dxp = np.zeros((n, h + 2 * ph, wd + 2 * pw, groups, cg), dtype=dcols.dtype)
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
                cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
                dxp[:, rows, cols] += dcols[i, j]
        dxp = dxp.reshape(dxp.shape[:3] + (groups * cg,))
        return dxp[:, ph:ph + h, pw:pw + wd, :].transpose(0, 3, 1, 2)

    def _depthwise(self, g, w):
        """The input gradient of a depthwise convolution (one input channel per output
        channel): per kernel offset, the gradient times that offset's weights, added at the
        offset. The batched product of the general case multiplies (N*Ho*Wo, 1) @ (1, 1)
        blocks there, in NumPy's slow generic loop (the op took as long as a dense conv)."""
        o, _, kh, kw = w.shape
        n, _, ho, wo = g.shape
        (sh, sw), (ph, pw), (dh, dw), (h, wd) = self.stride, self.padding, self.dilation, self.in_hw
        gh = g.transpose(0, 2, 3, 1)  # channels last: a view of the layout convs hand back
        dtype = np.result_type(g, w)
        dxp = np.zeros((n, h + 2 * ph, wd + 2 * pw, o), dtype=dtype)
        term = np.empty(gh.shape, dtype=dtype)
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
                cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
                dxp[:, rows, cols] += np.multiply(gh, w[:, 0, i, j], out=term)
        return dxp[:, ph:ph + h, pw:pw + wd, :].transpose(0, 3, 1, 2)

    def backward(self, grad):
        g, w = self.inputs
        gg = gw = None
        if self.needs_input_grad[0]:
            gg = Conv2d.apply(grad, w, **self.geometry())
        if self.needs_input_grad[1]:
            gw = Conv2dWeightGrad.apply(grad, g, kernel=w.shape[2:], **self.geometry())
        return gg, gw


class Conv2dWeightGrad(_Geometry, Function):
    """The weight gradient of `Conv2d`: ``(x, dY) -> dW`` of shape ``(O, C/groups, kh, kw)``.

    Parameters: ``kernel`` (kh, kw), the geometry, and optionally ``cols``, the forward's im2col
    matrices of ``x``, to avoid building them again.
    """

    cols = None

    def forward(self, x, g):
        (kh, kw), o, groups = self.kernel, g.shape[1], self.groups
        cols = self.cols
        if cols is None:
            cols = _im2col(x, self.kernel, self.stride, self.padding, self.dilation, groups)
        dw = np.matmul(_grouped_rows(g, groups).transpose(0, 2, 1), cols)  # (G, O/G, kh*kw*C/G)
        return np.ascontiguousarray(dw.reshape(o, kh, kw, -1).transpose(0, 3, 1, 2))

    def backward(self, grad):
        x, g = self.inputs
        gx = gg = None
        if self.needs_input_grad[0]:
            gx = Conv2dInputGrad.apply(g, grad, in_hw=x.shape[2:], **self.geometry())
        if self.needs_input_grad[1]:
            gg = Conv2d.apply(x, grad, **self.geometry())
        return gx, gg


def _check_conv_args(x, w, b, groups):
    """Raise a clear error (naming the shapes) for inputs `conv2d` cannot convolve."""
    if x.ndim != 4:
        raise ValueError(f"conv2d: expected a 4-d input (N, C, H, W) or a 3-d (C, H, W), got "
                         f"shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"conv2d: expected a 4-d weight (out_channels, in_channels/groups, kh, "
                         f"kw), got shape {w.shape}")
    if min(w.shape[2:]) < 1:
        raise ValueError(f"conv2d: kernel size should be greater than zero, got a weight of "
                         f"shape {w.shape}")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got groups={groups!r}")
    if x.shape[1] != w.shape[1] * groups:
        raise ValueError(f"conv2d: input of shape {x.shape} has {x.shape[1]} channels but weight "
                         f"of shape {w.shape} with groups={groups} expects {w.shape[1] * groups}")
    if w.shape[0] % groups:
        raise ValueError(f"conv2d: weight of shape {w.shape} has {w.shape[0]} output channels, "
                         f"not divisible by groups={groups}")
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"conv2d: bias of shape {b.shape} does not match weight of shape "
                         f"{w.shape}: expected ({w.shape[0]},)")


def _check_reach(x, w, padding, dilation):
    """Raise unless the dilated kernel fits in the padded input."""
    padded = tuple(x.shape[2 + i] + 2 * padding[i] for i in range(2))
    reach = tuple((w.shape[2 + i] - 1) * dilation[i] + 1 for i in range(2))
    if reach[0] > padded[0] or reach[1] > padded[1]:
        dilated = f" with dilation {dilation} (spanning {reach})" if dilation != (1, 1) else ""
        raise ValueError(f"conv2d: kernel size {tuple(w.shape[2:])}{dilated} is larger than the "
                         f"padded input size {padded} (input shape {x.shape}, padding {padding})")


def same_padding(kernel, dilation):
    """Per axis, the (before, after) padding of PyTorch's ``padding='same'``: a total of
    ``dilation * (kernel - 1)``, the odd element after."""
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in totals)


def _resolve_padding(x, kernel, stride, padding, dilation):
    """``(x, (ph, pw))``: string padding as PyTorch's, zero-padding ``x`` at the bottom and right
    where 'same' needs one element more there than at the top and left."""
    if not isinstance(padding, str):
        padding = pair(padding, "padding", "conv2d")
        if min(padding) < 0:
            raise ValueError(f"conv2d: padding must be non-negative, got padding={padding}")
        return x, padding
    if padding == "valid":
        return x, (0, 0)
    if padding != "same":
        raise ValueError(f"conv2d: padding must be 'valid', 'same', an int or a pair of ints, "
                         f"got padding={padding!r}")
    if stride != (1, 1):
        raise ValueError(f"conv2d: padding='same' is not supported for strided convolutions, "
                         f"got stride={stride}")
    (top, bottom), (left, right) = same_padding(kernel, dilation)
    if bottom > top or right > left:
        x = x.pad(((0, 0), (0, 0), (0, bottom - top), (0, right - left)))
    return x, (top, left)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation, as PyTorch) of ``input (N, C, H, W)`` or of one
    unbatched image ``(C, H, W)`` (the result is then ``(out_channels, Ho, Wo)``).

    ``weight`` is ``(out_channels, C/groups, kh, kw)``, ``bias`` ``(out_channels,)`` or None;
    ``stride``, ``padding`` (zeros) and ``dilation`` are ints or (height, width) pairs, and
    ``padding`` may be ``'valid'`` (none) or ``'same'`` (output as large as the input, stride 1;
    an odd total puts the extra row and column at the bottom and right). ``groups`` splits the
    channels into that many independent convolutions. Returns ``(N, out_channels, Ho, Wo)``
    with ``Ho = (H + 2*padding - dilation*(kh - 1) - 1) // stride + 1``.

    >>> import numpy as np
    >>> from autodiff import Tensor
    >>> x = Tensor(np.ones((1, 1, 3, 3)))
    >>> conv2d(x, Tensor(np.ones((1, 1, 2, 2))), padding=1).shape
    (1, 1, 4, 4)
    """
    x = as_tensor(input)
    if x.ndim == 3:  # an unbatched (C, H, W) image, as PyTorch's conv2d (and nn.Conv2d) take
        return conv2d(x.expand_dims(0), weight, bias, stride, padding, dilation, groups)[0]
    w = as_tensor(weight)
    b = None if bias is None else as_tensor(bias)
    _check_conv_args(x, w, b, groups)
    stride = positive_pair(stride, "stride", "conv2d")
    dilation = positive_pair(dilation, "dilation", "conv2d")
    x, padding = _resolve_padding(x, w.shape[2:], stride, padding, dilation)
    _check_reach(x, w, padding, dilation)
    inputs = (x, w) if b is None else (x, w, b)
    return Conv2d.apply(*inputs, stride=stride, padding=padding, dilation=dilation,
                        groups=int(groups))


# ----- registry (see autodiff/ops/registry.py): inputs drawn by hypothesis ---------------------
def _conv_geometry(draw, st, padding, dilation, groups):
    """Draw (n, c, o, kernel, (h, w)) small enough for gradcheck, valid for the geometry."""
    n = draw(st.integers(1, 2))
    # Several groups of one input channel each keep the second-order check quick.
    c = groups * draw(st.integers(1, 2 if groups == 1 else 1))
    o = groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pads = (0, 0) if padding == "same" else padding  # with 'same' every size is valid
    low = [max(1, (kernel[i] - 1) * dilation[i] + 1 - 2 * pads[i]) for i in range(2)]
    hw = tuple(draw(st.integers(low[i], max(low[i], 4))) for i in range(2))
    return n, c, o, kernel, hw


def _conv_cases(geometry, operands):
    """Strategy of (arrays, {}) for a conv op at a fixed geometry (stride, padding, dilation,
    groups).

    ``operands`` names what to draw: "xwb" (conv2d with bias), "xw" (without), "gw" (the input
    gradient op: output gradient and weight, with ``in_hw``), "xg" (the weight gradient op:
    input and output gradient, with ``kernel``).
    """
    st, hnp = hypothesis_modules()
    stride, padding, dilation, groups = (geometry[k] for k in
                                         ("stride", "padding", "dilation", "groups"))

    def floats(shape):
        return hnp.arrays(np.float64, shape, elements=st.floats(-2.0, 2.0))

    @st.composite
    def cases(draw):
        n, c, o, kernel, hw = _conv_geometry(draw, st, padding, dilation, groups)
        x_shape, w_shape = (n, c) + hw, (o, c // groups) + kernel
        g_shape = (n, o) + (hw if padding == "same" else tuple(
            out_size(hw[i], kernel[i], stride[i], padding[i], dilation[i]) for i in range(2)))
        if operands == "gw":
            return (draw(floats(g_shape)), draw(floats(w_shape))), {"in_hw": hw}
        if operands == "xg":
            return (draw(floats(x_shape)), draw(floats(g_shape))), {"kernel": kernel}
        arrays = (draw(floats(x_shape)), draw(floats(w_shape)))
        return (arrays + (draw(floats((o,))),) if operands == "xwb" else arrays), {}

    return cases()


def _register_conv(name, operands, stride, padding, dilation=(1, 1), groups=1):
    geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if operands == "gw":
        fn = lambda g, w, in_hw: Conv2dInputGrad.apply(g, w, in_hw=in_hw, **geometry)
    elif operands == "xg":
        fn = lambda x, g, kernel: Conv2dWeightGrad.apply(x, g, kernel=kernel, **geometry)
    else:
        fn = lambda *xs: conv2d(*xs, **geometry)
    register(name, fn, arity=len(operands), kind="conv2d",
             params={"strategy": lambda: _conv_cases(geometry, operands)})


_register_conv("conv2d", "xwb", (1, 1), (0, 0))
_register_conv("conv2d_stride2_pad1", "xwb", (2, 2), (1, 1))
_register_conv("conv2d_nobias_stride21_pad01", "xw", (2, 1), (0, 1))
_register_conv("conv2d_input_grad", "gw", (2, 1), (1, 0))
_register_conv("conv2d_weight_grad", "xg", (1, 2), (1, 1))
_register_conv("conv2d_dilation21_groups2", "xwb", (1, 2), (1, 0), (2, 1), 2)
_register_conv("conv2d_input_grad_dilation12_groups2", "gw", (2, 1), (0, 1), (1, 2), 2)
_register_conv("conv2d_weight_grad_dilation22_groups3", "xg", (1, 1), (0, 1), (2, 2), 3)
_register_conv("conv2d_same_dilation12", "xw", (1, 1), "same", (1, 2))
