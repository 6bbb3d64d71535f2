"""Activation modules: ``ReLU LeakyReLU Sigmoid Tanh GELU Softmax LogSoftmax``.

Each is a parameter-free `Module` calling its function in `nn.functional`, with PyTorch's
constructor arguments. ``inplace=True`` writes the result into the input, as PyTorch's does (see
`nn.functional.activations`). Inside an `nn.Sequential`, `ReLU` and `LeakyReLU` also compute in
place of a temporary that nothing else can see (see `nn.module`) whatever ``inplace`` says: no
one can tell the difference, and memory and time are saved.
"""
from autodiff.ops.elementwise import LeakyReluInPlace, ReluInPlace

from .. import functional as F
from ..module import Module
from ._common import reject_data

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax"]


class ReLU(Module):
    """max(x, 0) elementwise."""

    def __init__(self, inplace=False):
        super().__init__()
        reject_data("ReLU", inplace=inplace)
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x, self.inplace)

    def _forward_in_place(self, x):
        return ReluInPlace.apply(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x where x > 0, else ``negative_slope * x``."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        reject_data("LeakyReLU", negative_slope=negative_slope, inplace=inplace)
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope, self.inplace)

    def _forward_in_place(self, x):
        return LeakyReluInPlace.apply(x, slope=self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """Hyperbolic tangent elementwise."""

    def forward(self, x):
        return F.tanh(x)


class GELU(Module):
    """x * Phi(x): exact (erf) form by default, ``approximate="tanh"`` for the tanh form."""

    def __init__(self, approximate="none"):
        super().__init__()
        reject_data("GELU", approximate=approximate)
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``.

    ``dim=None`` (PyTorch's default) picks the axis as ``F.softmax`` does, with PyTorch's
    deprecation warning: 0 for 0-, 1- and 3-d input, else 1.
    """

    def __init__(self, dim=None):
        super().__init__()
        reject_data("Softmax", dim=dim)
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably.

    ``dim=None`` (PyTorch's default) picks the axis as ``F.log_softmax`` does, with PyTorch's
    deprecation warning: 0 for 0-, 1- and 3-d input, else 1.
    """

    def __init__(self, dim=None):
        super().__init__()
        reject_data("LogSoftmax", dim=dim)
        self.dim = dim

    def forward(self, x):
        return F.log_softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
