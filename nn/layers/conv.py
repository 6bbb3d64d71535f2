"""Convolution and pooling over images: ``Conv2d MaxPool2d AvgPool2d``.

Inputs are ``(N, C, H, W)`` (or an unbatched ``(C, H, W)``), weights ``(out, in, kh, kw)``, as
in PyTorch. The arithmetic (im2col and one matrix product each way) is in `nn.functional`.
"""
from .. import functional as F
from ..module import Module
from ._common import empty_parameter, fan_in_init, pair

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d"]


def _check_image(module, x, channels=None):
    """Raise unless ``x`` is (N, C, H, W) or (C, H, W) with C == channels (when given)."""
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


def _batched(fn, x):
    """``fn`` applied to ``x``, adding and removing a batch axis for an unbatched image."""
    if x.ndim == 3:
        return fn(x.expand_dims(0))[0]
    return fn(x)


def _conv_padding(padding, kernel_size, stride):
    """Padding as a pair of ints; 'valid' is 0 and 'same' keeps H and W (stride 1, odd kernel)."""
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        if stride != (1, 1) or any(k % 2 == 0 for k in kernel_size):
            raise ValueError(
                f"Conv2d: padding='same' needs stride 1 and odd kernel sizes, got "
                f"stride={stride}, kernel_size={kernel_size}"
            )
        return tuple(k // 2 for k in kernel_size)
    if isinstance(padding, str):
        raise ValueError(f"Conv2d: padding must be 'valid', 'same' or ints, got {padding!r}")
    return pair(padding, "padding")


class Conv2d(Module):
    """2-d cross-correlation: ``out[n, o] = bias[o] + sum_c weight[o, c] * x[n, c]`` (sliding).

    >>> conv = Conv2d(1, 4, kernel_size=3, padding=1, rng=0)
    >>> conv.weight.shape
    (4, 1, 3, 3)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 rng=None):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding_arg = padding
        self.padding = _conv_padding(padding, self.kernel_size, self.stride)
        self.weight = empty_parameter(out_channels, in_channels, *self.kernel_size)
        self.register_parameter("bias", empty_parameter(out_channels) if bias else None)
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None):
        """Draw PyTorch's default initialization (fan_in = in_channels * kh * kw)."""
        kh, kw = self.kernel_size
        fan_in_init(self.weight, self.bias, self.in_channels * kh * kw, rng)

    def forward(self, x):
        _check_image(self, x, self.in_channels)
        return _batched(
            lambda b: F.conv2d(b, self.weight, self.bias, self.stride, self.padding), x)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0) or isinstance(self.padding_arg, str):
            padding = self.padding_arg if isinstance(self.padding_arg, str) else self.padding
            text += f", padding={padding}"
        if self.bias is None:
            text += ", bias=False"
        return text


class _Pool2d(Module):
    """Shared arguments of the pooling layers: stride defaults to the kernel size."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, "stride")
        self.padding = pair(padding, "padding")
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"{type(self).__name__}: padding {self.padding} must be at most half the "
                f"kernel size {self.kernel_size}"
            )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The maximum over each ``kernel_size`` window (padding counts as -inf)."""

    def forward(self, x):
        _check_image(self, x)
        return _batched(
            lambda b: F.max_pool2d(b, self.kernel_size, self.stride, self.padding), x)


class AvgPool2d(_Pool2d):
    """The mean over each ``kernel_size`` window (zero padding counts in the mean, as PyTorch's
    default ``count_include_pad=True``)."""

    def forward(self, x):
        _check_image(self, x)
        return _batched(
            lambda b: F.avg_pool2d(b, self.kernel_size, self.stride, self.padding), x)
