"""Tests for the micrograd-style scalar networks in nn.scalar."""
import math
import random

import pytest

from autodiff.value import Value
from nn.scalar import MLP, Layer, Neuron


def test_mlp_parameter_count_and_init():
    model = MLP(2, [16, 16, 1], rng=random.Random(0))
    params = model.parameters()
    assert len(params) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    assert all(-1.0 < p.data < 1.0 for p in params)
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)


def test_seeded_rng_and_module_random_are_reproducible():
    a = MLP(3, [4, 2], rng=random.Random(7))
    b = MLP(3, [4, 2], rng=random.Random(7))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    random.seed(11)
    c = MLP(3, [4, 2])
    random.seed(11)
    d = MLP(3, [4, 2])
    assert [p.data for p in c.parameters()] == [p.data for p in d.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]


def test_repr_as_micrograd():
    model = MLP(2, [2, 1], rng=random.Random(0))
    assert repr(model) == "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]"
    assert repr(Neuron(3, activation="tanh")) == "TanhNeuron(3)"
    assert repr(Neuron(3, activation="sigmoid")) == "SigmoidNeuron(3)"


@pytest.mark.parametrize(
    "kwargs, fn",
    [
        ({}, lambda z: max(z, 0.0)),
        ({"nonlin": False}, lambda z: z),
        ({"activation": "linear"}, lambda z: z),
        ({"activation": "tanh"}, math.tanh),
        ({"activation": "sigmoid"}, lambda z: 1 / (1 + math.exp(-z))),
    ],
)
def test_neuron_output_and_gradients(kwargs, fn):
    n = Neuron(3, rng=random.Random(1), **kwargs)
    n.b.data = 0.3
    x = [Value(0.5), Value(-1.0), Value(2.0)]
    out = n(x)
    z = 0.3 + sum(w.data * xi.data for w, xi in zip(n.w, x))
    assert out.data == pytest.approx(fn(z), rel=1e-12)
    out.backward()
    h = 1e-6
    slope = (fn(z + h) - fn(z - h)) / (2 * h)
    assert [w.grad for w in n.w] == pytest.approx([slope * xi.data for xi in x], rel=1e-5)
    assert [xi.grad for xi in x] == pytest.approx([slope * w.data for w in n.w], rel=1e-5)
    assert n.b.grad == pytest.approx(slope, rel=1e-5)


def test_neuron_argument_errors():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        Neuron(2, activation="gelu")
    with pytest.raises(ValueError, match="nonlin=False contradicts activation='tanh'"):
        Neuron(2, nonlin=False, activation="tanh")
    with pytest.raises(ValueError, match="2 weights but 3 inputs"):
        Neuron(2)([1.0, 2.0, 3.0])


def test_layer_returns_value_or_list():
    single = Layer(2, 1, rng=random.Random(0))([1.0, 2.0])
    many = Layer(2, 3, rng=random.Random(0))([1.0, 2.0])
    assert isinstance(single, Value)
    assert isinstance(many, list) and len(many) == 3


def test_mlp_matches_micrograd_style_expression():
    model = MLP(2, [3, 2], rng=random.Random(3))
    x = [0.5, -1.5]
    out = model(x)
    assert isinstance(out, list) and len(out) == 2
    hidden = [max(0.0, n.b.data + sum(w.data * xi for w, xi in zip(n.w, x))) for n in model.layers[0].neurons]
    expected = [n.b.data + sum(w.data * h for w, h in zip(n.w, hidden)) for n in model.layers[1].neurons]
    assert [o.data for o in out] == pytest.approx(expected, rel=1e-12)


def test_mlp_with_one_neuron_hidden_layer():
    model = MLP(2, [1, 2], rng=random.Random(0))
    assert len(model([1.0, 2.0])) == 2


def test_zero_grad():
    model = MLP(2, [4, 1], rng=random.Random(0))
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_training_reduces_the_loss():
    # micrograd README's tiny dataset with a tanh MLP and mean squared error
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    model = MLP(3, [4, 4, 1], activation="tanh", rng=random.Random(0))

    def loss():
        return sum((model(x) - y) ** 2 for x, y in zip(xs, ys))

    first = loss().data
    for _ in range(200):
        total = loss()
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
    final = loss().data
    assert first > 1.0
    assert final < 0.01
    assert [math.copysign(1, model(x).data) for x in xs] == ys


def test_an_int_rng_seeds_one_generator_for_the_whole_model():
    """``rng=0`` raised AttributeError ('int' object has no attribute 'uniform'), where every
    other rng= of the library takes a seed."""
    seeded = [p.data for p in MLP(2, [3, 1], rng=0).parameters()]
    assert seeded == [p.data for p in MLP(2, [3, 1], rng=random.Random(0)).parameters()]
    import numpy as np
    assert seeded == [p.data for p in MLP(2, [3, 1], rng=np.int64(0)).parameters()]
    weights = [n.w[0].data for n in Layer(2, 3, rng=5).neurons]
    assert len(set(weights)) == 3  # one generator, not one seed per neuron
    with pytest.raises(TypeError, match="rng must be a random.Random, an int seed or None"):
        Neuron(2, rng="0")
