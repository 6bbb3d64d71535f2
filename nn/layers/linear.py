"""Fully connected layers: ``Linear Identity Flatten`` and the notes' ``Neuron Layer MLP``.

``Neuron`` is one unit (a Linear with one output followed by its activation), ``Layer`` is
``nout`` such units computed as one matrix product, and ``MLP`` stacks Layers whose last one is
linear. Weights are laid out as PyTorch's: ``weight`` is ``(out_features, in_features)``.
"""
import numpy as np

from autodiff import Tensor
from autodiff.creation import get_generator
from autodiff.grad_mode import HOOKS, STATE
from autodiff.tensor import as_tensor

from .. import functional as F
from ..functional.fused import linear_leaky_relu, linear_relu
from ..module import Module, ModuleList
from ._common import check_sizes, empty_parameter, factory_dtype, fan_in_init, reject_data
from .activation import GELU, LeakyReLU, ReLU, Sigmoid, Tanh

__all__ = ["Linear", "Identity", "Flatten", "Neuron", "Layer", "MLP", "ACTIVATIONS"]

# The activation names Neuron, Layer and MLP accept; "linear" (or None) means none.
ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "gelu": GELU,
    "linear": None,
}


class Linear(Module):
    """``y = x @ weight.T + bias`` over the last axis of ``x``.

    Arguments are PyTorch's: ``device`` (None or 'cpu') and ``dtype`` (None for float32, or
    float64) say where and in what the parameters are made. ``rng`` seeds the initialization.

    >>> layer = Linear(4, 8, rng=0)
    >>> layer.weight.shape, layer.bias.shape
    ((8, 4), (8,))
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None, rng=None):
        super().__init__()
        dtype = factory_dtype(device, dtype, type(self).__name__)
        check_sizes(type(self).__name__, in_features=in_features, out_features=out_features)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = empty_parameter(out_features, in_features, dtype=dtype)
        bias = empty_parameter(out_features, dtype=dtype) if bias else None
        self.register_parameter("bias", bias)
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None):
        """Draw PyTorch's default initialization (see ``fan_in_init``)."""
        fan_in_init(self.weight, self.bias, self.in_features, rng)

    def forward(self, x):
        try:
            return F.linear(x, self.weight, self.bias)
        except ValueError:  # name the layer when the input is what does not fit
            shape = np.shape(x.data if isinstance(x, Tensor) else x)
            if not shape or shape[-1] != self.in_features:
                raise ValueError(
                    f"{type(self).__name__}: input of shape {shape} does not end in "
                    f"in_features={self.in_features} (weight has shape {self.weight.shape})"
                ) from None
            raise

    def _fuses_with(self, following):
        """True when `Sequential` may compute ``following(self(x))`` as one node
        (`_call_fused`): ``following`` is a ReLU or LeakyReLU, both modules are of exactly
        their classes (a subclass may change forward) and have no hooks, and no module calls or
        anomalies are being recorded (those want every op of every module)."""
        return (type(following) in _FUSED_ACTIVATIONS and type(self) is Linear
                and self._forward_hooks is None and following._forward_hooks is None
                and not (HOOKS.count and STATE.hooks))

    def _call_fused(self, following, x):
        """``following(self(x))`` recorded as one node (`nn.functional.fused`): the values and
        gradients of the two calls, one node's work for the engine. Input that does not fit
        takes the two calls, whose error names the layer."""
        try:
            return _FUSED_ACTIVATIONS[type(following)](following, x, self.weight, self.bias)
        except ValueError:
            return following(self(x))

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


# The activations a Linear fuses with inside Sequential: class -> call(module, x, weight, bias)
_FUSED_ACTIVATIONS = {
    ReLU: lambda relu, x, weight, bias: linear_relu(x, weight, bias),
    LeakyReLU: lambda leaky, x, weight, bias: linear_leaky_relu(x, weight, bias,
                                                                leaky.negative_slope),
}


class Identity(Module):
    """Returns its input; takes and ignores any constructor arguments (as PyTorch's)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Merges axes ``start_dim`` to ``end_dim`` (by default all but the batch axis)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        reject_data("Flatten", start_dim=start_dim, end_dim=end_dim)
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        return as_tensor(x).flatten(self.start_dim, self.end_dim)  # an ndarray too, as every layer

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def make_activation(activation):
    """A Module for ``activation``: a name from ACTIVATIONS, None, or a Module used as is."""
    if activation is None or isinstance(activation, Module):
        return activation
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; expected one of {sorted(ACTIVATIONS)} or a Module"
        )
    cls = ACTIVATIONS[activation]
    return None if cls is None else cls()


class Layer(Linear):
    """``nout`` neurons on the same ``nin`` inputs: ``activation(x @ weight.T + bias)``.

    A `Linear` (same parameters, same initialization) followed by ``activation``: one of
    'relu', 'leaky_relu', 'tanh', 'sigmoid', 'gelu', 'linear' (or None), or a Module.
    ``device`` and ``dtype`` are Linear's.
    """

    def __init__(self, nin, nout, activation="relu", bias=True, device=None, dtype=None,
                 rng=None):
        check_sizes(type(self).__name__, nin=nin, nout=nout)  # named as the caller named them
        super().__init__(nin, nout, bias=bias, device=device, dtype=dtype, rng=rng)
        self.activation = make_activation(activation)

    def forward(self, x):
        out = super().forward(x)
        return out if self.activation is None else self.activation(out)

    def _activation_repr(self):
        return "linear" if self.activation is None else repr(self.activation)

    def extra_repr(self):
        return f"{super().extra_repr()}, activation={self._activation_repr()}"

    def __repr__(self):
        # The activation is shown in extra_repr, not as a child.
        return f"{type(self).__name__}({self.extra_repr()})"


class Neuron(Layer):
    """One unit: ``activation(x @ w + b)`` with ``w`` of ``nin`` weights; output ``(..., 1)``.

    A `Layer` with one output, so ``weight`` is ``(1, nin)`` as in a one-output Linear.
    """

    def __init__(self, nin, activation="relu", bias=True, device=None, dtype=None, rng=None):
        super().__init__(nin, 1, activation=activation, bias=bias, device=device, dtype=dtype,
                         rng=rng)

    def extra_repr(self):
        return (f"nin={self.in_features}, bias={self.bias is not None}, "
                f"activation={self._activation_repr()}")


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs; hidden ones use ``activation``, the last linear.

    ``device`` and ``dtype`` are given to every Layer (see `Linear`).

    >>> model = MLP(2, [16, 16, 1], rng=0)
    >>> [name for name, _ in model.named_parameters()][:2]
    ['layers.0.weight', 'layers.0.bias']
    """

    def __init__(self, nin, nouts, activation="relu", device=None, dtype=None, rng=None):
        super().__init__()
        sizes = [nin] + list(nouts)
        if len(sizes) < 2:
            raise ValueError("MLP: nouts must list at least one layer size")
        check_sizes("MLP", nin=nin, **{f"nouts[{i}]": n for i, n in enumerate(sizes[1:])})
        dtype = factory_dtype(device, dtype, "MLP")
        last = len(sizes) - 2
        rng = get_generator(rng)  # one stream for all layers (an int seed would repeat itself)
        self.layers = ModuleList([
            Layer(sizes[i], sizes[i + 1], activation=None if i == last else activation,
                  dtype=dtype, rng=rng)
            for i in range(len(sizes) - 1)
        ])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
