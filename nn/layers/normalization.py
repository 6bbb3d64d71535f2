"""Normalization layers: ``BatchNorm1d BatchNorm2d LayerNorm``.

BatchNorm normalizes each channel (axis 1) with the batch's statistics in training mode, and
updates the running estimates kept as buffers (``running_mean``, ``running_var`` unbiased,
``num_batches_tracked``): ``running = (1 - momentum) * running + momentum * batch``. In eval
mode it uses the running estimates. ``momentum=None`` gives the cumulative average, as PyTorch.
With ``affine=True`` it then scales by ``weight`` and shifts by ``bias``; PyTorch's keyword
``bias=False`` leaves the shift out (``bias`` is None and not in the state dict).

Every layer takes PyTorch's ``device`` (None or 'cpu') and ``dtype`` (None for float32, or
float64): the dtype of the parameters and of the running mean and variance.
"""
import numpy as np

from autodiff import Tensor
from autodiff.tensor import as_tensor

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ._common import _is_int, check_sizes, factory_dtype

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm"]


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d, which differ only in the input ranks they accept."""

    ranks = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, rng=None, *, bias=True):
        # rng is accepted for a uniform constructor; the default initialization is deterministic.
        super().__init__()
        dtype = factory_dtype(device, dtype, type(self).__name__)
        check_sizes(type(self).__name__, num_features=num_features)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            zeros = Parameter(np.zeros(num_features, dtype=dtype))
            self.register_parameter("bias", zeros if bias else None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def _state_dict_defaults(self):
        """A checkpoint without ``num_batches_tracked`` (PyTorch before 0.4.1, or weights
        converted by hand) leaves the layer's own count, as PyTorch's BatchNorm does."""
        if not self.track_running_stats:
            return {}
        return {"num_batches_tracked": self.num_batches_tracked.data.copy()}

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self):
        """Back to a new layer's state: the running statistics reset, weight 1 and bias 0."""
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input(self, x):
        name = type(self).__name__
        if x.ndim not in self.ranks:
            shapes = " or ".join(f"{rank}-d" for rank in self.ranks)
            raise ValueError(f"{name}: expected a {shapes} input, got shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: input of shape {tuple(x.shape)} has {x.shape[1]} channels (axis 1) "
                f"but num_features={self.num_features}"
            )
        if self.training and x.size // x.shape[1] < 2:
            raise ValueError(
                f"{name}: training needs more than one value per channel, got input shape "
                f"{tuple(x.shape)}"
            )

    def _momentum(self):
        """The averaging factor for this step (updating num_batches_tracked in training)."""
        if not (self.training and self.track_running_stats):
            return 0.0 if self.momentum is None else self.momentum
        self.num_batches_tracked.data += 1
        if self.momentum is None:
            return 1.0 / float(self.num_batches_tracked.data)
        return self.momentum

    def forward(self, x):
        x = as_tensor(x)  # an ndarray or nested lists too, as every layer takes
        self._check_input(x)
        momentum = self._momentum()
        use_batch_stats = self.training or self.running_mean is None
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch_stats, momentum, self.eps)

    def extra_repr(self):
        # PyTorch's repr, which names bias only when it is off
        bias = ", bias=False" if self.affine and self.bias is None else ""
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}{bias}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of ``(N, C)`` or ``(N, C, L)`` inputs over all axes but C.

    Arguments are PyTorch's; ``device`` and ``dtype`` (float32 or float64) as described above.
    """

    ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of ``(N, C, H, W)`` images over N, H and W for each channel C.

    Arguments are PyTorch's; ``device`` and ``dtype`` (float32 or float64) as described above.
    """

    ranks = (4,)


class LayerNorm(Module):
    """Normalizes over the trailing ``normalized_shape`` axes of each sample, then scales and
    shifts elementwise (``weight`` ones, ``bias`` zeros, shaped ``normalized_shape``).

    Arguments are PyTorch's; ``device`` (None or 'cpu') and ``dtype`` (None for float32, or
    float64) are the parameters'.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None, rng=None):
        super().__init__()
        dtype = factory_dtype(device, dtype, type(self).__name__)
        if _is_int(normalized_shape):  # NumPy's integers too, as F.layer_norm and PyTorch
            normalized_shape = (normalized_shape,)
        try:
            self.normalized_shape = tuple(int(n) for n in normalized_shape if _is_int(n))
            valid = len(self.normalized_shape) == len(normalized_shape) > 0
        except TypeError:
            valid = False
        if not valid:
            raise ValueError(f"LayerNorm: normalized_shape must be an int or a non-empty tuple of "
                             f"ints, got {normalized_shape!r}")
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            zeros = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            self.register_parameter("bias", zeros if bias else None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        x = as_tensor(x)  # an ndarray or nested lists too, as every layer takes
        n = len(self.normalized_shape)
        if tuple(x.shape[x.ndim - n:]) != self.normalized_shape or x.ndim < n:
            raise ValueError(
                f"LayerNorm: input of shape {tuple(x.shape)} does not end in normalized_shape "
                f"{self.normalized_shape}"
            )
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        bias = ", bias=False" if self.elementwise_affine and self.bias is None else ""
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}{bias}")

    def reset_parameters(self):
        """Back to a new layer's state: weight 1 and bias 0."""
        _reset_affine(self)


def _reset_affine(layer):
    """A normalization layer's weight to ones and bias to zeros, in place (where it has them)."""
    if layer.weight is not None:
        init.ones_(layer.weight)
    if layer.bias is not None:
        init.zeros_(layer.bias)


class GroupNorm(Module):
    """Normalizes each sample's channels in ``num_groups`` groups, then scales and shifts each
    channel (``weight`` ones, ``bias`` zeros, shape (num_channels,)), as PyTorch's
    (`nn.functional.group_norm`); input (N, C, ...). No running statistics: the same in
    training and evaluation. ``rng`` is taken, as by every layer, and unused (the weights start
    at 1 and 0).

    >>> GroupNorm(2, 8)
    GroupNorm(2, 8, eps=1e-05, affine=True)
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, rng=None):
        super().__init__()
        dtype = factory_dtype(device, dtype, type(self).__name__)
        if not (_is_int(num_groups) and _is_int(num_channels) and num_groups > 0
                and num_channels % num_groups == 0):
            raise ValueError(f"GroupNorm: num_channels={num_channels!r} must be divisible by "
                             f"num_groups={num_groups!r} (both positive ints)")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(np.ones(self.num_channels, dtype=dtype))
            self.bias = Parameter(np.zeros(self.num_channels, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        x = as_tensor(x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: input of shape {tuple(x.shape)} should be (N, "
                             f"{self.num_channels}, ...)")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"

    def reset_parameters(self):
        """Back to a new layer's state: weight 1 and bias 0."""
        _reset_affine(self)
