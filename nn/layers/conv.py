"""Convolution and pooling over images: ``Conv2d MaxPool2d AvgPool2d AdaptiveAvgPool2d``.

Inputs are ``(N, C, H, W)`` (or an unbatched ``(C, H, W)``), weights ``(out, in / groups, kh,
kw)``; constructor arguments, their order and defaults are PyTorch's. The arithmetic (im2col and
one matrix product each way) is in `nn.functional`.
"""
from autodiff.tensor import as_tensor

from .. import functional as F
from ..functional.conv import same_padding
from ..functional.padding import PADDING_MODES, pad2d
from ..module import Module
from ._common import (_is_int, check_sizes, empty_parameter, factory_dtype, fan_in_init,
                      pair, positive_pair)

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]


def _check_image(module, x, channels=None):
    """``x`` as a Tensor (an ndarray or nested lists too, as every layer takes); raise unless
    it is (N, C, H, W) or (C, H, W) with C == channels (when given)."""
    x = as_tensor(x)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{type(module).__name__}: expected an input of shape (N, C, H, W) or (C, H, W), "
            f"got shape {tuple(x.shape)}"
        )
    if channels is not None and x.shape[-3] != channels:
        raise ValueError(
            f"{type(module).__name__}: input of shape {tuple(x.shape)} has {x.shape[-3]} channels "
            f"but in_channels={channels} (weight has shape {module.weight.shape})"
        )
    return x


def _batched(fn, x):
    """``fn`` applied to ``x``, adding and removing a batch axis for an unbatched image (in each
    Tensor of a tuple result)."""
    if x.ndim != 3:
        return fn(x)
    out = fn(x.expand_dims(0))
    return tuple(t[0] for t in out) if isinstance(out, tuple) else out[0]


def _conv_padding(padding, kernel_size, stride, dilation):
    """``(padding, pad_lr)``: the ``padding`` attribute (PyTorch's: 'valid', 'same' or a pair of
    ints) and, per axis, the (before, after) padding it means."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"Conv2d: padding must be 'valid', 'same' or ints, got {padding!r}")
        if padding == "same" and stride != (1, 1):
            raise ValueError(f"Conv2d: padding='same' is not supported for strided "
                             f"convolutions, got stride={stride}")
        if padding == "valid":
            return padding, ((0, 0), (0, 0))
        return padding, same_padding(kernel_size, dilation)
    padding = pair(padding, "padding")
    if min(padding) < 0:
        raise ValueError(f"Conv2d: padding must be non-negative, got padding={padding}")
    return padding, tuple((p, p) for p in padding)


def _check_groups(in_channels, out_channels, groups):
    """Raise PyTorch's errors for a ``groups`` that does not split both channel counts."""
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"Conv2d: groups must be a positive integer, got groups={groups!r}")
    for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % groups:
            raise ValueError(f"Conv2d: {name}={channels} must be divisible by groups={groups}")


class Conv2d(Module):
    """2-d cross-correlation: ``out[n, o] = bias[o] + sum_c weight[o, c] * x[n, c]`` (sliding).

    Arguments are PyTorch's, in its order: ``padding`` is ints, 'valid' or 'same' (stride 1);
    ``dilation`` spaces the kernel's taps; ``groups`` splits the channels into independent
    convolutions (``weight`` is ``(out_channels, in_channels // groups, kh, kw)``);
    ``padding_mode`` is 'zeros', 'reflect', 'replicate' or 'circular'; ``device`` (None or
    'cpu') and ``dtype`` (None for float32, or float64) are the parameters'. ``rng`` seeds the
    initialization.

    >>> conv = Conv2d(1, 4, kernel_size=3, padding=1, rng=0)
    >>> conv.weight.shape
    (4, 1, 3, 3)
    >>> Conv2d(6, 4, 3, 1, 1, 1, 2, False).weight.shape  # groups=2, bias=False
    (4, 3, 3, 3)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None, rng=None):
        super().__init__()
        dtype = factory_dtype(device, dtype, type(self).__name__)
        check_sizes(type(self).__name__, in_channels=in_channels, out_channels=out_channels)
        _check_groups(in_channels, out_channels, groups)
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"Conv2d: padding_mode must be one of {PADDING_MODES}, "
                             f"got padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = positive_pair(kernel_size, "kernel_size")
        self.stride = positive_pair(stride, "stride")
        self.dilation = positive_pair(dilation, "dilation")
        self.padding, self._pad_lr = _conv_padding(padding, self.kernel_size, self.stride,
                                                   self.dilation)
        self.padding_mode = padding_mode
        self.weight = empty_parameter(out_channels, in_channels // groups, *self.kernel_size,
                                      dtype=dtype)
        bias = empty_parameter(out_channels, dtype=dtype) if bias else None
        self.register_parameter("bias", bias)
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None):
        """Draw PyTorch's default initialization (fan_in = in_channels / groups * kh * kw)."""
        kh, kw = self.kernel_size
        fan_in_init(self.weight, self.bias, self.in_channels // self.groups * kh * kw, rng)

    def forward(self, x):
        x = _check_image(self, x, self.in_channels)
        return _batched(self._conv, x)

    def _conv(self, x):
        """The convolution of a batch, padded first for the padding modes other than zeros."""
        padding = self.padding
        if self.padding_mode != "zeros":
            x, padding = pad2d(x, self._pad_lr, self.padding_mode), 0
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class _Pool2d(Module):
    """Shared arguments of the pooling layers: stride defaults to the kernel size."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False):
        super().__init__()
        self.kernel_size = positive_pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else positive_pair(stride, "stride")
        self.padding = pair(padding, "padding")
        self.ceil_mode = ceil_mode
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"{type(self).__name__}: padding {self.padding} must be at most half the "
                f"kernel size {self.kernel_size}"
            )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The maximum over each ``kernel_size`` window (padding counts as -inf).

    Arguments are PyTorch's, in its order (see `nn.functional.max_pool2d`); with
    ``return_indices`` the call returns ``(output, indices)``.

    >>> MaxPool2d(3, 2, 1, 2, True, True)  # dilation 2, return_indices, ceil_mode
    MaxPool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), ceil_mode=True)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.dilation = positive_pair(dilation, "dilation")
        self.return_indices = return_indices

    def forward(self, x):
        x = _check_image(self, x)
        return _batched(
            lambda b: F.max_pool2d(b, self.kernel_size, self.stride, self.padding, self.dilation,
                                   self.ceil_mode, self.return_indices), x)

    def extra_repr(self):
        return f"{super().extra_repr()}, dilation={self.dilation}, ceil_mode={self.ceil_mode}"


class AvgPool2d(_Pool2d):
    """The mean over each ``kernel_size`` window.

    Arguments are PyTorch's, in its order (see `nn.functional.avg_pool2d`): by default zero
    padding counts in the mean (``count_include_pad=True``).

    >>> AvgPool2d(3, 2, 1, True, False).count_include_pad
    False
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x):
        x = _check_image(self, x)
        return _batched(
            lambda b: F.avg_pool2d(b, self.kernel_size, self.stride, self.padding,
                                   self.ceil_mode, self.count_include_pad,
                                   self.divisor_override), x)


class AdaptiveAvgPool2d(Module):
    """Average pooling to the spatial size ``output_size`` whatever the input's
    (`nn.functional.adaptive_avg_pool2d`); ``AdaptiveAvgPool2d(1)`` is a ResNet's global
    average pooling.

    >>> AdaptiveAvgPool2d((None, 7))
    AdaptiveAvgPool2d(output_size=(None, 7))
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
