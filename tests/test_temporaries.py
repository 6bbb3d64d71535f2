"""Temporaries: nn.Sequential lets ReLU write into the previous layer's output when nothing else
can see it (autodiff.temporaries), with the same values, gradients and graph; anything the user
or the graph can still see is left alone."""
import weakref

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
from autodiff import Tensor
from autodiff.function import Function
from autodiff.ops.elementwise import LeakyReluInPlace, ReluInPlace
from autodiff.temporaries import overwritable
from autodiff.viz import draw_graph


def _normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.fixture
def in_place_calls(monkeypatch):
    """How many times ReluInPlace ran (a spy on its forward)."""
    calls = []
    forward = ReluInPlace.forward

    def spy(self, x):
        calls.append(x.shape)
        return forward(self, x)

    monkeypatch.setattr(ReluInPlace, "forward", spy)
    return calls


class _Dense(nn.Linear):
    """A Linear of a subclass: Sequential does not fuse it with the activation after it
    (tests/test_fused.py), so that activation takes the in-place path tested here."""


def _mlp(seed=0):
    model = nn.Sequential(_Dense(4, 6), nn.ReLU(), _Dense(6, 5), nn.ReLU(), nn.Linear(5, 3))
    for i, p in enumerate(model.parameters()):
        p.data = _normal(*p.shape, seed=seed + i)
    return model


def _by_hand(model, x):
    """The same network, layer by layer outside Sequential: never in place."""
    layers = list(model)
    h = x
    for layer in layers:
        h = F.relu(h) if isinstance(layer, nn.ReLU) else layer(h)
    return h


def test_relu_in_sequential_overwrites_the_layer_output_with_the_same_values_and_gradients(
        in_place_calls):
    x = Tensor(_normal(7, 4, seed=10))
    model = _mlp()
    out = model(x)
    assert in_place_calls == [(7, 6), (7, 5)]
    hidden = out._ctx.inputs[0]  # the second ReLU's output
    assert hidden._ctx.name == "Relu"
    assert hidden._ctx.inputs[0].data is hidden.data  # written into the Linear's output
    out.sum().backward()
    grads = [p.grad.data.copy() for p in model.parameters()]

    reference = _mlp()
    expected = _by_hand(reference, x)
    expected.sum().backward()
    np.testing.assert_array_equal(out.data, expected.data)
    for got, p in zip(grads, reference.parameters()):
        np.testing.assert_array_equal(got, p.grad.data)


def test_leaky_relu_in_sequential_overwrites_too_with_the_same_values_and_gradients(
        monkeypatch):
    calls = []
    forward = LeakyReluInPlace.forward
    monkeypatch.setattr(LeakyReluInPlace, "forward",
                        lambda self, x: calls.append(x.shape) or forward(self, x))
    x = Tensor(_normal(7, 4, seed=10))
    model = nn.Sequential(_Dense(4, 6), nn.LeakyReLU(0.2), nn.Linear(6, 3))
    out = model(x)
    assert calls == [(7, 6)]
    hidden = out._ctx.inputs[0]
    assert hidden._ctx.name == "LeakyRelu"
    assert hidden._ctx.inputs[0].data is hidden.data  # written into the Linear's output
    out.sum().backward()
    grads = [p.grad.data.copy() for p in model.parameters()]
    for p in model.parameters():
        p.grad = None
    layers = list(model)
    expected = layers[2](F.leaky_relu(layers[0](x), 0.2))
    expected.sum().backward()
    np.testing.assert_array_equal(out.data, expected.data)
    for got, p in zip(grads, model.parameters()):
        np.testing.assert_array_equal(got, p.grad.data)


def test_under_no_grad_the_temporary_is_overwritten_too(in_place_calls):
    x = Tensor(_normal(3, 4, seed=1))
    model = _mlp()
    with ad.no_grad():
        out = model(x)
    assert in_place_calls == [(3, 6), (3, 5)]
    np.testing.assert_array_equal(out.data, _by_hand(_mlp(), x).data)


@pytest.mark.parametrize("requires_grad", [False, True])
def test_the_input_of_sequential_is_never_overwritten(in_place_calls, requires_grad):
    x = Tensor(_normal(5, 3), requires_grad=requires_grad)
    before = x.data.copy()
    out = nn.Sequential(nn.ReLU(), nn.ReLU())(x)
    np.testing.assert_array_equal(x.data, before)
    np.testing.assert_array_equal(out.data, np.maximum(before, 0))
    # the second ReLU may overwrite the first one's output only where no graph keeps it for
    # the first one's backward (which reads its output)
    assert len(in_place_calls) == (0 if requires_grad else 1)


def test_a_view_of_the_input_is_not_overwritten(in_place_calls):
    x = Tensor(_normal(2, 3, 4))
    before = x.data.copy()
    nn.Sequential(nn.Flatten(), nn.ReLU())(x)
    np.testing.assert_array_equal(x.data, before)
    assert in_place_calls == []


def test_an_output_a_hook_kept_is_not_overwritten(in_place_calls):
    model = _mlp()
    kept = []
    model[0].register_forward_hook(lambda module, args, output: kept.append(output))
    model(Tensor(_normal(8, 4, seed=3)))
    assert (kept[0].data < 0).any()  # the first Linear's output, not ReLU'd
    assert in_place_calls == [(8, 5)]  # the second ReLU still computes in place


class _WatchedLinear(nn.Linear):
    """A Linear that keeps a weak reference to its latest output, as a debugging tool might."""

    def forward(self, x):
        out = super().forward(x)
        self.latest = weakref.ref(out)
        return out


def test_an_output_someone_holds_a_weak_reference_to_is_not_overwritten(in_place_calls):
    layer = _WatchedLinear(4, 6)
    layer.weight.data = _normal(6, 4)
    out = nn.Sequential(layer, nn.ReLU())(Tensor(_normal(8, 4, seed=3)))
    assert in_place_calls == []
    assert (layer.latest().data < 0).any()  # alive (the graph holds it) and not ReLU'd
    assert out.data.min() == 0


def test_a_relu_with_hooks_is_called_as_usual(in_place_calls):
    model = _mlp()
    seen = []
    model[1].register_forward_hook(lambda module, args, output: seen.append(args[0]))
    model(Tensor(_normal(8, 4, seed=3)))
    assert (seen[0].data < 0).any()
    assert in_place_calls == [(8, 5)]


class _ReadsItsOutput(Function):
    """x - 1, with a backward that reads the whole output (a detector, not a derivative)."""

    def forward(self, x):
        return x - 1.0

    def backward(self, grad):
        return (grad * self.result().sum(),)


class _Shift(nn.Module):
    def forward(self, x):
        return _ReadsItsOutput.apply(x)


def test_the_output_of_an_op_that_reads_it_in_backward_is_not_overwritten(in_place_calls):
    x = Tensor(_normal(6), requires_grad=True)
    nn.Sequential(_Shift(), nn.ReLU())(x).sum().backward()
    assert in_place_calls == []
    shifted = x.data - 1.0
    np.testing.assert_allclose(x.grad.data, (shifted > 0) * shifted.sum(), rtol=1e-6)


def test_convolution_outputs_are_views_of_memory_only_they_hold():
    x = Tensor(_normal(2, 1, 5, 5).astype(np.float32))
    w = Tensor(_normal(3, 1, 3, 3).astype(np.float32), requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    assert out.data.base is not None
    assert overwritable(out)


def test_overwritable_refuses_what_someone_else_can_see():
    x = Tensor(_normal(3, 4))
    w = Tensor(_normal(2, 4), requires_grad=True)
    h = F.linear(x, w)
    assert overwritable(h)
    held = h.data
    assert not overwritable(h)  # someone holds the array
    del held
    assert overwritable(h)
    assert not overwritable(w)  # a leaf that requires grad


def test_overwritable_refuses_outputs_read_in_backward_and_arrays_from_outside():
    w = Tensor(_normal(4), requires_grad=True)
    assert not overwritable(w.exp())  # Exp's backward reads its output
    assert overwritable(w * 2.0)  # Mul's reads only its inputs
    array = _normal(4)
    assert not overwritable(Tensor(array))  # the caller's array (Tensor does not copy it)
    assert overwritable(Tensor(_normal(4)).exp())  # no graph, nothing else holds it
    assert not overwritable(Tensor(np.arange(4)) + 1)  # integers: not an activation's input
    base = Tensor(_normal(3, 4))
    assert not overwritable(base[0])  # a view of a tensor someone holds


def test_a_drawing_says_that_the_layer_output_was_written_over():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 1))
    out = model(Tensor(_normal(2, 1, 4, 4, seed=5)))
    conv_node = out._ctx.inputs[0]._ctx.inputs[0]._ctx.inputs[0]._ctx
    assert conv_node.name == "Conv2d" and (conv_node.out == 0).any()  # ReLU'd in place
    labels = {line.split("<B>")[1].split("</B>")[0].split()[0]: line
              for line in draw_graph(out.sum()).source.splitlines() if "<B>" in line}
    assert "data overwritten in place by Relu" in labels["Conv2d"]
    assert "data min 0" in labels["Relu"]
    assert "overwritten" not in labels["Relu"] + labels["Linear"]


def test_a_drawing_does_not_call_an_op_that_passes_its_input_on_a_writer():
    from autodiff.ops.elementwise import Identity

    w = Tensor(_normal(3), requires_grad=True)
    drawn = draw_graph(Identity.apply(w * 2.0).sum()).source
    assert "overwritten" not in drawn
