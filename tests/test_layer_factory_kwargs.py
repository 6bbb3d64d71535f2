"""PyTorch's factory arguments ``device=None, dtype=None`` on every layer that makes parameters,
and `Module.to`, `Module.cpu`, `Module.requires_grad_`."""
import re

import numpy as np
import pytest

from autodiff import Tensor
from nn.layers import (GRU, LSTM, MLP, RNN, BatchNorm1d, BatchNorm2d, Conv2d, Embedding,
                       GroupNorm, Layer, LayerNorm, Linear, Neuron)
from nn.module import Sequential
from test_layers import module_gradcheck

RNG = np.random.default_rng(7)


class CpuLike:
    """A device object of some other library, such as ``torch.device("cpu")``."""

    def __str__(self):
        return "cpu"


def floats(*shape):
    """float64 standard normal samples."""
    return RNG.standard_normal(shape)


def indices(*shape):
    """Embedding indices."""
    return RNG.integers(0, 5, size=shape)


# name: (constructor taking the extra keyword arguments, a maker of a float64 or index input)
LAYERS = {
    "Linear": (lambda **kw: Linear(3, 4, **kw), lambda: floats(2, 3)),
    "Conv2d": (lambda **kw: Conv2d(2, 3, 3, padding=1, padding_mode="reflect", **kw),
               lambda: floats(2, 2, 4, 5)),
    "BatchNorm1d": (lambda **kw: BatchNorm1d(3, **kw), lambda: floats(4, 3)),
    "BatchNorm2d": (lambda **kw: BatchNorm2d(3, **kw), lambda: floats(2, 3, 2, 2)),
    "LayerNorm": (lambda **kw: LayerNorm((2, 3), **kw), lambda: floats(4, 2, 3)),
    "Embedding": (lambda **kw: Embedding(5, 3, padding_idx=0, **kw), lambda: indices(2, 4)),
    "RNN": (lambda **kw: RNN(3, 4, 2, bidirectional=True, **kw), lambda: floats(5, 2, 3)),
    "LSTM": (lambda **kw: LSTM(3, 4, proj_size=2, **kw), lambda: floats(5, 2, 3)),
    "GRU": (lambda **kw: GRU(3, 4, 2, batch_first=True, **kw), lambda: floats(2, 5, 3)),
    "GroupNorm": (lambda **kw: GroupNorm(2, 4, **kw), lambda: floats(2, 4, 3)),
    "Neuron": (lambda **kw: Neuron(3, **kw), lambda: floats(2, 3)),
    "Layer": (lambda **kw: Layer(3, 4, activation="tanh", **kw), lambda: floats(2, 3)),
    "MLP": (lambda **kw: MLP(3, [4, 2], **kw), lambda: floats(2, 3)),
}


def build(name, **kwargs):
    """Layer ``name`` made with ``kwargs`` and a fixed seed."""
    return LAYERS[name][0](rng=0, **kwargs)


def layer_input(name, dtype):
    """An input for layer ``name``: floats in ``dtype`` (indices for Embedding)."""
    return cast(LAYERS[name][1](), dtype)


def cast(x, dtype):
    """Floating ``x`` in ``dtype``; indices as they are."""
    return x if x.dtype.kind == "i" else x.astype(dtype)


def first_output(out):
    """The output Tensor of a layer (RNN and LSTM return it first in a tuple)."""
    return out[0] if isinstance(out, tuple) else out


def state(module):
    """The module's state dict as ndarrays."""
    return {key: value.data for key, value in module.state_dict().items()}


# ----- dtype ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", LAYERS)
def test_float64_layer_has_float64_parameters_buffers_output_and_gradients(name):
    layer = build(name, dtype=np.float64)
    for key, value in layer.state_dict().items():
        expected = np.int64 if key.endswith("num_batches_tracked") else np.float64
        assert value.dtype == expected, key
    out = first_output(layer(Tensor(layer_input(name, np.float64))))
    assert out.dtype == np.float64
    (out * out).sum().backward()
    for key, p in layer.named_parameters():
        assert p.grad is not None and p.grad.dtype == np.float64, key


@pytest.mark.parametrize("name", LAYERS)
def test_float64_layer_draws_the_float32_layers_values(name):
    # The same random stream: float64 values round to exactly the float32 layer's values.
    single, double = build(name), build(name, dtype="float64")
    for key, value in state(single).items():
        np.testing.assert_array_equal(state(double)[key].astype(value.dtype), value, err_msg=key)
    x = layer_input(name, np.float64)
    np.testing.assert_allclose(first_output(double(Tensor(x))).data,
                               first_output(single(Tensor(cast(x, np.float32)))).data,
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", LAYERS)
def test_default_is_float32_with_the_same_values_as_without_the_arguments(name):
    plain = state(build(name))
    assert all(value.dtype in (np.float32, np.int64) for value in plain.values())
    for kwargs in (dict(device=None, dtype=None), dict(device="cpu", dtype=np.float32),
                   dict(dtype=np.dtype("float32"))):
        given = state(build(name, **kwargs))
        assert given.keys() == plain.keys()
        for key, value in plain.items():
            assert given[key].dtype == value.dtype, key
            np.testing.assert_array_equal(given[key], value, err_msg=key)


@pytest.mark.parametrize("dtype", [np.int64, "int32", bool, np.float16, "complex128", "nope"])
@pytest.mark.parametrize("name", LAYERS)
def test_a_dtype_other_than_float32_or_float64_is_refused_naming_layer_and_dtype(name, dtype):
    with pytest.raises(TypeError, match=rf"^{name}: dtype must be float32 or float64, "
                                        rf"got dtype={re.escape(repr(dtype))}$"):
        build(name, dtype=dtype)


def test_running_statistics_stay_float64_through_training_steps():
    norm = BatchNorm2d(3, dtype=np.float64)
    x = Tensor(floats(4, 3, 2, 2))
    norm(x)
    norm(x)
    assert norm.running_mean.dtype == np.float64 and norm.running_var.dtype == np.float64
    assert int(norm.num_batches_tracked.item()) == 2
    batch = x.data.transpose(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(norm.running_mean.data, 0.19 * batch.mean(axis=1), rtol=1e-12)


def test_embedding_uses_a_given_weight_as_it_is_as_pytorch():
    weight = np.arange(6, dtype=np.float32).reshape(3, 2)
    emb = Embedding(3, 2, _weight=weight, dtype=np.float64)
    assert emb.weight.dtype == np.float32 and emb.weight.data is weight


# ----- device --------------------------------------------------------------------------------

@pytest.mark.parametrize("device", ["cpu", CpuLike()])
@pytest.mark.parametrize("name", LAYERS)
def test_the_cpu_is_accepted_as_device(name, device):
    plain = state(build(name))
    on_cpu = state(build(name, device=device))
    for key, value in plain.items():
        np.testing.assert_array_equal(on_cpu[key], value, err_msg=key)


@pytest.mark.parametrize("name", LAYERS)
def test_another_device_is_refused_naming_layer_and_device(name):
    with pytest.raises(ValueError, match=rf"^{name}: device='cuda' is not available: autodiff "
                                         r"runs on the CPU only"):
        build(name, device="cuda")


# ----- PyTorch's positions -------------------------------------------------------------------

def test_device_and_dtype_sit_where_pytorch_puts_them():
    f64, cpu = np.float64, "cpu"
    layers = [
        Linear(3, 4, True, cpu, f64),
        Conv2d(2, 3, 3, 1, 0, 1, 1, True, "zeros", cpu, f64),
        BatchNorm1d(3, 1e-5, 0.1, True, True, cpu, f64),
        BatchNorm2d(3, 1e-5, 0.1, True, True, cpu, f64),
        LayerNorm(3, 1e-5, True, True, cpu, f64),
        Embedding(5, 3, None, None, 2.0, False, False, None, False, cpu, f64),
        RNN(3, 4, 1, "tanh", True, False, 0.0, False, cpu, f64),  # PyTorch's documented form
        LSTM(3, 4, 1, True, False, 0.0, False, 2, cpu, f64),
        GRU(3, 4, 1, True, False, 0.0, False, cpu, f64),
        GroupNorm(2, 4, 1e-5, True, cpu, f64),
    ]
    for layer in layers:
        assert {p.dtype for p in layer.parameters()} == {np.dtype(f64)}, type(layer).__name__


# ----- Module.to, cpu, requires_grad_ --------------------------------------------------------

def model():
    """A float32 model with parameters, floating buffers and an integer buffer."""
    return Sequential(Linear(3, 4, rng=0), BatchNorm1d(4), Linear(4, 2, rng=1))


def test_to_dtype_converts_floating_parameters_and_buffers_keeping_values_and_objects():
    net = model()
    before = state(net)
    params = list(net.parameters())
    assert net.to(np.float64) is net
    assert list(net.parameters()) == params  # the same Parameter objects, as PyTorch's
    for key, value in state(net).items():
        expected = np.int64 if key.endswith("num_batches_tracked") else np.float64
        assert value.dtype == expected, key
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    assert net(Tensor(floats(5, 3))).dtype == np.float64


@pytest.mark.parametrize("call", [
    lambda net: net.to(np.float64),
    lambda net: net.to("float64"),
    lambda net: net.to(np.dtype(np.float64)),
    lambda net: net.to("cpu", np.float64),
    lambda net: net.to(CpuLike(), "float64"),
    lambda net: net.to(dtype=np.float64, device="cpu"),
    lambda net: net.to("cpu", dtype=np.float64),
    lambda net: net.to(Tensor(np.zeros(1))),  # the tensor's dtype
    lambda net: net.to(np.float64, non_blocking=True),
])
def test_every_form_of_to_gives_the_dtype(call):
    net = model()
    assert call(net) is net
    assert {p.dtype for p in net.parameters()} == {np.dtype(np.float64)}
    assert net[1].running_var.dtype == np.float64 and net[1].num_batches_tracked.dtype == np.int64


def test_to_the_cpu_or_the_same_dtype_changes_nothing_and_keeps_gradients():
    net = model()
    net(Tensor(floats(5, 3).astype(np.float32))).sum().backward()
    arrays = [p.data for p in net.parameters()]
    grads = [p.grad for p in net.parameters()]
    for call in (lambda: net.to("cpu"), lambda: net.to(np.float32), lambda: net.to(),
                 lambda: net.cpu()):
        assert call() is net
        assert all(p.data is a for p, a in zip(net.parameters(), arrays))
        assert all(p.grad is g for p, g in zip(net.parameters(), grads))


def test_converting_drops_gradients_as_astype():
    net = model()
    net(Tensor(floats(5, 3).astype(np.float32))).sum().backward()
    net.to(np.float64)
    assert all(p.grad is None for p in net.parameters())


def test_to_back_to_float32_round_trips():
    net = model()
    before = state(net)
    net.to(np.float64).to(np.float32)
    for key, value in state(net).items():
        assert value.dtype == before[key].dtype, key
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_to_refuses_another_device_a_non_float_dtype_and_bad_arguments():
    net = model()
    with pytest.raises(ValueError, match=r"^Sequential.to: device='cuda' is not available"):
        net.to("cuda")
    with pytest.raises(ValueError, match=r"device='cuda:0'"):
        net.to(device="cuda:0", dtype=np.float64)
    with pytest.raises(TypeError, match=r"^Sequential.to: dtype must be float32 or float64, "
                                        r"got dtype=<class 'numpy.int32'>"):
        net.to(np.int32)
    with pytest.raises(TypeError, match="float32 or float64, got dtype=dtype"):
        net.to(Tensor(np.zeros(1, dtype=np.int64)))
    with pytest.raises(TypeError, match="both by position and by keyword"):
        net.to(np.float64, dtype=np.float64)
    with pytest.raises(TypeError, match="at most 2 positional arguments"):
        net.to("cpu", np.float64, False)
    assert {value.dtype for value in state(net).values()} == {np.dtype(np.float32),
                                                             np.dtype(np.int64)}


def test_requires_grad_sets_every_parameter_and_returns_self():
    net = model()
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    x = Tensor(floats(5, 3).astype(np.float32), requires_grad=True)
    net(x).sum().backward()
    assert x.grad is not None and all(p.grad is None for p in net.parameters())
    assert net.requires_grad_() is net
    assert all(p.requires_grad for p in net.parameters())
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.parameters())


# ----- gradcheck -----------------------------------------------------------------------------

@pytest.mark.parametrize("layer, x", [
    (Linear(3, 2, dtype=np.float64, rng=0), floats(4, 3)),
    (Conv2d(2, 2, 3, padding=1, padding_mode="circular", dtype=np.float64, rng=0),
     floats(1, 2, 4, 4)),
])
def test_float64_layers_pass_gradcheck_through_the_module(layer, x):
    assert {p.dtype for p in layer.parameters()} == {np.dtype(np.float64)}
    assert module_gradcheck(layer, x, atol=1e-7, rtol=1e-6)
