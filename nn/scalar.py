"""micrograd-style neural networks on the scalar ``autodiff.value.Value``.

Same classes and call conventions as micrograd's ``nn.py``: ``MLP(nin, nouts)``
called on a list of numbers (or Values) returns a Value, or a list of Values
when the last layer has more than one neuron; the last layer is linear.
``ACTIVATIONS`` maps each accepted ``activation`` name to the Value method it
applies (None: linear) and the prefix of the neuron's repr.

>>> import random
>>> model = MLP(2, [4, 1], rng=random.Random(0))
>>> out = model([1.0, -2.0])
>>> out.backward()
>>> len(model.parameters())
17
"""
import numbers
import random

from autodiff.value import Value, linear

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS"]

# ACTIVATIONS: the accepted ``activation`` names -> (the Value method applied, None for the
# identity; the prefix of the neuron's repr)
ACTIVATIONS = {
    "relu": ("relu", "ReLU"),
    "tanh": ("tanh", "Tanh"),
    "sigmoid": ("sigmoid", "Sigmoid"),
    "linear": (None, "Linear"),
}


def _as_random(rng, owner):
    """``rng`` as something with ``uniform``: a ``random.Random`` from an int seed, the
    ``random`` module for None."""
    if rng is None:
        return random
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):  # np.int64 too
        return random.Random(int(rng))
    if not hasattr(rng, "uniform"):
        raise TypeError(f"{owner}: rng must be a random.Random, an int seed or None, got "
                        f"{type(rng).__name__}")
    return rng


class Module:
    """Base class: ``parameters()`` lists the Values to train, ``zero_grad()`` clears them."""

    def zero_grad(self):
        """Set the grad of every parameter to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self):
        """The trainable Values of this module (none by default)."""
        return []


class Neuron(Module):
    """``activation(b + sum(w_i * x_i))`` with weights uniform in (-1, 1) and bias 0.

    ``activation`` is one of 'relu', 'tanh', 'sigmoid', 'linear'. micrograd's
    ``nonlin=False`` still means linear; ``rng`` is a ``random.Random``, an int seed (as
    ``nn.MLP``'s ``rng``) or None (the module-level ``random``).
    """

    def __init__(self, nin, nonlin=True, activation=None, rng=None):
        if activation is None:
            activation = "relu" if nonlin else "linear"
        elif not nonlin and activation != "linear":
            raise ValueError(f"Neuron: nonlin=False contradicts activation={activation!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"Neuron: unknown activation {activation!r}; expected one of {sorted(ACTIVATIONS)}")
        rng = _as_random(rng, "Neuron")
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation
        self.nonlin = activation != "linear"
        self._method = ACTIVATIONS[activation][0]

    def __call__(self, x):
        act = linear(self.w, x, self.b)
        return getattr(act, self._method)() if self._method else act

    def parameters(self):
        """The weights followed by the bias, as in micrograd."""
        return self.w + [self.b]

    def __repr__(self):
        return f"{ACTIVATIONS[self.activation][1]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` independent Neurons on the same inputs; keyword arguments go to each Neuron."""

    def __init__(self, nin, nout, **kwargs):
        if "rng" in kwargs:  # one generator for all neurons: one seed each would repeat weights
            kwargs["rng"] = _as_random(kwargs["rng"], "Layer")
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        """The parameters of every neuron, in order."""
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs; hidden layers use ``activation``, the last is linear."""

    def __init__(self, nin, nouts, activation="relu", rng=None):
        if not isinstance(nouts, (list, tuple)):
            raise TypeError(f"MLP(nin, nouts): nouts is the list of layer sizes, as micrograd's "
                            f"MLP(2, [16, 16, 1]); got {type(nouts).__name__} {nouts!r}")
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        rng = _as_random(rng, "MLP")
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation=activation if i != last else "linear", rng=rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
            if isinstance(x, Value):
                x = [x]
        return x[0] if len(x) == 1 else x

    def parameters(self):
        """The parameters of every layer, in order."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
