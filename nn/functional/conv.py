"""Convolution over NCHW tensors: `conv2d` and its ops `Conv2d`, `Conv2dInputGrad`,
`Conv2dWeightGrad`.

Signatures, defaults and output sizes are PyTorch's (``floor((H + 2p - k) / s) + 1``).

Memory layout. The API is NCHW, the work is channels-last: a convolution computes an NHWC array
and hands it out as its NCHW transposed view, without a copy. NumPy's elementwise ops allocate
their result in their operand's memory order, so a ReLU after a convolution and the pooling after
that (`nn.functional.pooling`) stay channels-last too, and the next convolution's im2col reads
long contiguous rows. Every op here accepts any strides; the layout only decides the speed.

Forward is im2col (the padded input's sliding-window view, strided, copied once into rows of
``(kh, kw, C)`` patches) and one product ``cols @ W^T``. Backward: ``dW = dY^T @ cols`` (the
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
from autodiff.tensor import Tensor

from ._spatial import hypothesis_modules, out_size, pair, to_nhwc

__all__ = ["conv2d", "Conv2d", "Conv2dInputGrad", "Conv2dWeightGrad"]


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
def _im2col(x, kernel, stride, padding):
    """Rows of ``(kh, kw, C)`` patches of NCHW ``x``: shape ``(N*Ho*Wo, kh*kw*C)``."""
    (kh, kw), (sh, sw) = kernel, stride
    xp = _pad_nhwc(to_nhwc(x), padding)
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
        return tuple(out_size(x_shape[2 + i], w_shape[2 + i], self.stride[i], self.padding[i])
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
    stride, padding = pair(stride, "stride", "conv2d"), pair(padding, "padding", "conv2d")
    _check_conv_args(x, w, b, stride, padding)
    inputs = (x, w) if b is None else (x, w, b)
    return Conv2d.apply(*inputs, stride=stride, padding=padding)


# ----- registry (see autodiff/ops/registry.py): inputs drawn by hypothesis ---------------------
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
    st, hnp = hypothesis_modules()

    def floats(shape):
        return hnp.arrays(np.float64, shape, elements=st.floats(-2.0, 2.0))

    @st.composite
    def cases(draw):
        n, c, o, kernel, hw = _conv_geometry(draw, st, stride, padding)
        x_shape, w_shape = (n, c) + hw, (o, c) + kernel
        g_shape = (n, o) + tuple(out_size(hw[i], kernel[i], stride[i], padding[i])
                                 for i in range(2))
        if operands == "gw":
            return (draw(floats(g_shape)), draw(floats(w_shape))), {"in_hw": hw}
        if operands == "xg":
            return (draw(floats(x_shape)), draw(floats(g_shape))), {"kernel": kernel}
        arrays = (draw(floats(x_shape)), draw(floats(w_shape)))
        return (arrays + (draw(floats((o,))),) if operands == "xwb" else arrays), {}

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


_register_conv("conv2d", (1, 1), (0, 0), "xwb")
_register_conv("conv2d_stride2_pad1", (2, 2), (1, 1), "xwb")
_register_conv("conv2d_nobias_stride21_pad01", (2, 1), (0, 1), "xw")
_register_conv("conv2d_input_grad", (2, 1), (1, 0), "gw")
_register_conv("conv2d_weight_grad", (1, 2), (1, 1), "xg")
