"""Tests of nn.layers: forward values against NumPy references written here, PyTorch's
parameter layouts and default initializations, clear errors, and float64 gradchecks."""
import inspect
import math

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Tensor, gradcheck
import nn.functional as F
from nn.functional import dropout
from nn.layers import (MLP, AvgPool2d, BatchNorm1d, BatchNorm2d, BCELoss, BCEWithLogitsLoss,
                       Conv2d, CrossEntropyLoss, Dropout, Embedding, Flatten, GELU, HingeLoss,
                       Identity, L1Loss, Layer, LayerNorm, LeakyReLU, Linear, LogSoftmax,
                       MaxPool2d, MSELoss, Neuron, NLLLoss, ReLU, Sigmoid, Softmax, Tanh)

RNG = np.random.default_rng(1234)


def randn(*shape, rng=RNG):
    """float64 standard normal samples (the dtype gradcheck works in)."""
    return rng.standard_normal(shape)


def module_gradcheck(module, *inputs, call=lambda m, *xs: m(*xs), **tolerances):
    """gradcheck of ``module`` with respect to its inputs and every parameter, in float64.

    gradcheck perturbs copies of the tensors it is given, so the module's parameters are swapped
    for those copies while ``f`` runs. ``call(module, *inputs)`` must return one Tensor.
    """
    module.double()
    owners = []
    for name, _ in module.named_parameters():
        *path, leaf = name.split(".")
        owner = module
        for part in path:
            owner = getattr(owner, part)
        owners.append((owner, leaf))
    params = [getattr(owner, leaf) for owner, leaf in owners]

    def f(*args):
        for (owner, leaf), tensor in zip(owners, args[len(inputs):]):
            object.__setattr__(owner, leaf, tensor)
        try:
            return call(module, *args[:len(inputs)])
        finally:
            for (owner, leaf), param in zip(owners, params):
                object.__setattr__(owner, leaf, param)

    return gradcheck(f, [*inputs, *params], **tolerances)


def numpy_params(module):
    return {name: p.numpy().astype(np.float64) for name, p in module.named_parameters()}


# ----- Linear, Identity, Flatten, Neuron, Layer, MLP ---------------------------------------------

def test_linear_layout_and_values():
    layer = Linear(4, 3, rng=0)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    x = randn(2, 5, 4).astype(np.float32)
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(Tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_linear_without_bias():
    layer = Linear(4, 3, bias=False, rng=0)
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    x = randn(2, 4).astype(np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).numpy(), x @ layer.weight.numpy().T, rtol=1e-5)
    assert repr(layer) == "Linear(in_features=4, out_features=3, bias=False)"


def test_linear_default_init_is_pytorchs_uniform_with_bound_one_over_sqrt_fan_in():
    layer = Linear(64, 512, rng=0)
    bound = 1 / math.sqrt(64)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound  # the std of U(-bound, bound)
    assert abs(w.mean()) < 0.02 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound


def test_initialization_is_reproducible_from_rng_or_global_seed():
    np.testing.assert_array_equal(Linear(3, 2, rng=5).weight.numpy(),
                                  Linear(3, 2, rng=5).weight.numpy())
    autodiff.manual_seed(7)
    first = Conv2d(2, 3, 3).weight.numpy().copy()
    autodiff.manual_seed(7)
    np.testing.assert_array_equal(Conv2d(2, 3, 3).weight.numpy(), first)
    assert not np.array_equal(Conv2d(2, 3, 3).weight.numpy(), first)


def test_linear_shape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 5\).*in_features=4.*\(3, 4\)"):
        Linear(4, 3)(Tensor(np.zeros((2, 5), np.float32)))


def test_linear_gradcheck():
    assert module_gradcheck(Linear(3, 2, rng=0), randn(4, 3))
    assert module_gradcheck(Linear(3, 2, bias=False, rng=0), randn(2, 2, 3))


def test_identity_and_flatten():
    x = randn(2, 3, 4, 5)
    np.testing.assert_array_equal(Identity(8, some="argument")(Tensor(x)).numpy(), x)
    np.testing.assert_array_equal(Flatten()(Tensor(x)).numpy(), x.reshape(2, 60))
    np.testing.assert_array_equal(Flatten(0, 1)(Tensor(x)).numpy(), x.reshape(6, 4, 5))
    assert module_gradcheck(Flatten(), randn(2, 2, 3))


def test_neuron_is_one_linear_unit_with_activation():
    neuron = Neuron(3, activation="tanh", rng=0)
    assert neuron.weight.shape == (1, 3)
    x = randn(5, 3).astype(np.float32)
    expected = np.tanh(x @ neuron.weight.numpy().T + neuron.bias.numpy())
    np.testing.assert_allclose(neuron(Tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert repr(neuron) == "Neuron(nin=3, bias=True, activation=Tanh())"


def test_layer_applies_activation_and_linear_means_none():
    layer = Layer(3, 4, rng=0)
    x = randn(5, 3).astype(np.float32)
    pre = x @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(Tensor(x)).numpy(), np.maximum(pre, 0), rtol=1e-5, atol=1e-6)
    linear = Layer(3, 4, activation="linear", rng=0)
    np.testing.assert_allclose(linear(Tensor(x)).numpy(), pre, rtol=1e-5, atol=1e-6)
    assert repr(Layer(3, 4, activation=LeakyReLU(0.2))) == (
        "Layer(in_features=3, out_features=4, bias=True, activation=LeakyReLU(negative_slope=0.2))")
    with pytest.raises(ValueError, match="'swish'"):
        Layer(3, 4, activation="swish")


def test_mlp_hidden_layers_use_activation_and_last_is_linear():
    model = MLP(3, [5, 4, 2], activation="sigmoid", rng=0)
    assert [n for n, _ in model.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        "layers.2.weight", "layers.2.bias"]
    p = numpy_params(model)
    x = randn(4, 3)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = sig(x @ p["layers.0.weight"].T + p["layers.0.bias"])
    h = sig(h @ p["layers.1.weight"].T + p["layers.1.bias"])
    expected = h @ p["layers.2.weight"].T + p["layers.2.bias"]
    np.testing.assert_allclose(model(Tensor(x.astype(np.float32))).numpy(), expected, rtol=1e-5,
                               atol=1e-6)
    # an int seed gives one stream: layers of equal shape get different weights
    same = MLP(4, [4, 4], rng=0)
    assert not np.array_equal(same.layers[0].weight.numpy(), same.layers[1].weight.numpy())


def test_mlp_gradcheck():
    assert module_gradcheck(MLP(3, [4, 2], activation="tanh", rng=0), randn(3, 3))


# ----- activations -------------------------------------------------------------------------------

def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ERF = np.vectorize(math.erf)
ACTIVATIONS = [
    (ReLU(), lambda x: np.maximum(x, 0)),
    (LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x)),
    (LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (Tanh(), np.tanh),
    (GELU(), lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2)))),
    (GELU(approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    (Softmax(dim=-1), lambda x: _softmax(x, -1)),
    (Softmax(dim=0), lambda x: _softmax(x, 0)),
    (LogSoftmax(dim=-1), lambda x: np.log(_softmax(x, -1))),
    (LogSoftmax(dim=1), lambda x: np.log(_softmax(x, 1))),
]


@pytest.mark.parametrize("module, reference", ACTIVATIONS, ids=lambda a: repr(a)[:24])
def test_activation_values_and_gradcheck(module, reference):
    x = randn(3, 4) * 2
    x = np.where(np.abs(x) < 0.05, 0.5, x)  # away from relu's kink
    np.testing.assert_allclose(module(Tensor(x)).numpy(), reference(x), rtol=1e-6, atol=1e-9)
    assert module_gradcheck(module, x)


@pytest.mark.parametrize("shape, axis", [((5,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)])
def test_softmax_modules_choose_pytorchs_implicit_dim_with_its_warning(shape, axis):
    x = randn(*shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        np.testing.assert_allclose(Softmax()(Tensor(x)).numpy(), _softmax(x, axis), rtol=1e-12)
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        np.testing.assert_allclose(LogSoftmax()(Tensor(x)).numpy(), np.log(_softmax(x, axis)),
                                   rtol=1e-12)
    assert repr(Softmax()) == "Softmax(dim=None)"


def test_activation_reprs_match_pytorch():
    assert repr(ReLU()) == "ReLU()"
    assert repr(LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(GELU()) == "GELU(approximate='none')"


# ----- Conv2d and pooling ------------------------------------------------------------------------

def conv2d_reference(x, w, b, stride, pad_lr, dilation=(1, 1), groups=1, mode="constant"):
    """Direct grouped, dilated cross-correlation with loops over output positions and channels;
    ``pad_lr`` is ((top, bottom), (left, right)) and ``mode`` NumPy's pad mode."""
    (sh, sw), (dh, dw) = stride, dilation
    x = np.pad(x, ((0, 0), (0, 0)) + tuple(pad_lr), mode=mode)
    n, _, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho, wo = (h - dh * (kh - 1) - 1) // sh + 1, (wd - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, ho, wo))
    for oc in range(o):
        first = oc // (o // groups) * cg
        for i in range(ho):
            for j in range(wo):
                patch = x[:, first:first + cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                          j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, oc, i, j] = np.einsum("nchw,chw->n", patch, w[oc])
    return out if b is None else out + b[None, :, None, None]


def pool_reference(x, kernel, stride, padding, reduce, fill):
    """Pooling with loops over output positions; padding takes the value ``fill``."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    ho, wo = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
    out = np.zeros(x.shape[:2] + (ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = reduce(x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw], axis=(2, 3))
    return out


NUMPY_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge",
                   "circular": "wrap"}

CONV_CASES = [  # (kernel_size, stride, padding, bias, input shape (N, C, H, W), out_channels,
    #               further keyword arguments, padding per side)
    (3, 1, 0, True, (2, 2, 5, 5), 3, {}, ((0, 0), (0, 0))),
    (3, 2, 1, True, (2, 2, 5, 6), 3, {}, ((1, 1), (1, 1))),
    ((2, 3), (1, 2), (1, 0), True, (1, 3, 4, 6), 2, {}, ((1, 1), (0, 0))),
    (1, 1, 0, False, (2, 2, 3, 3), 2, {}, ((0, 0), (0, 0))),
    (3, 1, "same", True, (1, 2, 4, 4), 2, {}, ((1, 1), (1, 1))),
    (2, 1, "same", True, (1, 2, 4, 5), 2, dict(dilation=(1, 2)), ((0, 1), (1, 1))),
    (3, 1, "valid", True, (1, 2, 6, 5), 2, dict(dilation=2), ((0, 0), (0, 0))),
    (3, 2, 1, True, (2, 4, 5, 6), 6, dict(groups=2), ((1, 1), (1, 1))),
    (3, 1, 2, False, (1, 3, 5, 5), 3, dict(dilation=2, groups=3), ((2, 2), (2, 2))),
    (3, 1, (1, 2), True, (1, 2, 4, 5), 2, dict(padding_mode="reflect"), ((1, 1), (2, 2))),
    (2, 1, "same", True, (1, 2, 4, 5), 4, dict(padding_mode="replicate", groups=2),
     ((0, 1), (0, 1))),
    (3, 2, 2, True, (1, 2, 3, 4), 2, dict(padding_mode="circular", dilation=(1, 2)),
     ((2, 2), (2, 2))),
]


@pytest.mark.parametrize("kernel, stride, padding, bias, shape, out, kwargs, pad_lr", CONV_CASES)
def test_conv2d_values_and_gradcheck(kernel, stride, padding, bias, shape, out, kwargs, pad_lr):
    conv = Conv2d(shape[1], out, kernel, stride=stride, padding=padding, bias=bias, rng=0,
                  **kwargs)
    x = randn(*shape)
    p = numpy_params(conv)
    expected = conv2d_reference(x, p["weight"], p.get("bias"), conv.stride, pad_lr,
                                conv.dilation, conv.groups, NUMPY_PAD_MODES[conv.padding_mode])
    np.testing.assert_allclose(conv(Tensor(x.astype(np.float32))).numpy(), expected,
                               rtol=1e-4, atol=1e-5)
    assert module_gradcheck(conv, x)


def test_conv2d_positional_arguments_are_pytorchs():
    """(in, out, kernel_size, stride, padding, dilation, groups, bias, padding_mode)."""
    conv = Conv2d(3, 6, 3, 1, 1, 1, 3, False)
    assert (conv.stride, conv.padding, conv.dilation, conv.groups) == ((1, 1), (1, 1), (1, 1), 3)
    assert conv.bias is None and conv.padding_mode == "zeros"
    assert list(conv.state_dict()) == ["weight"] and conv.weight.shape == (6, 1, 3, 3)
    conv = Conv2d(4, 8, 3, 2, 0, 2, 2, True, "circular")
    assert (conv.stride, conv.dilation, conv.groups) == ((2, 2), (2, 2), 2)
    assert conv.padding_mode == "circular"
    assert {k: v.shape for k, v in conv.state_dict().items()} == {"weight": (8, 2, 3, 3),
                                                                   "bias": (8,)}


def test_grouped_conv2d_init_uses_the_fan_in_of_one_group():
    conv = Conv2d(8, 4, 3, groups=4, rng=0)
    bound = 1 / math.sqrt(2 * 3 * 3)
    assert np.abs(conv.weight.numpy()).max() <= bound
    assert np.abs(conv.weight.numpy()).max() > 0.9 * bound
    assert np.abs(conv.bias.numpy()).max() <= bound


def test_conv2d_layout_init_and_repr():
    conv = Conv2d(3, 8, (3, 5), stride=2, padding=1, rng=0)
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    bound = 1 / math.sqrt(3 * 3 * 5)
    assert np.abs(conv.weight.numpy()).max() <= bound
    assert np.abs(conv.weight.numpy()).max() > 0.95 * bound
    assert np.abs(conv.bias.numpy()).max() <= bound
    assert repr(conv) == "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1))"
    assert repr(Conv2d(1, 2, 3, bias=False)) == (
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), bias=False)")
    assert repr(Conv2d(2, 4, 3, 1, "same", 2, 2, False, "reflect")) == (
        "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=same, dilation=(2, 2), "
        "groups=2, bias=False, padding_mode=reflect)")


def test_conv2d_same_padding_keeps_size_and_unbatched_input_works():
    conv = Conv2d(2, 3, 3, padding="same", rng=0)
    x = randn(2, 6, 7).astype(np.float32)
    out = conv(Tensor(x))
    assert out.shape == (3, 6, 7)
    np.testing.assert_allclose(out.numpy(), conv(Tensor(x[None])).numpy()[0], rtol=1e-6)
    assert Conv2d(2, 3, 4, padding="same", dilation=3)(Tensor(x)).shape == (3, 6, 7)
    with pytest.raises(ValueError, match="same"):
        Conv2d(2, 3, 3, stride=2, padding="same")


def test_conv2d_channel_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"\(1, 2, 5, 5\) has 2 channels.*in_channels=3"):
        Conv2d(3, 4, 3)(Tensor(np.zeros((1, 2, 5, 5), np.float32)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*\(5, 5\)"):
        Conv2d(3, 4, 3)(Tensor(np.zeros((5, 5), np.float32)))
    with pytest.raises(ValueError, match="'full'"):
        Conv2d(3, 4, 3, padding="full")


@pytest.mark.parametrize("args, kwargs, message", [
    ((4, 6, 3), dict(groups=3), "in_channels=4 must be divisible by groups=3"),
    ((6, 4, 3), dict(groups=3), "out_channels=4 must be divisible by groups=3"),
    ((4, 4, 3), dict(groups=0), "groups must be a positive integer, got groups=0"),
    ((4, 4, 3), dict(padding_mode="mirror"), "padding_mode must be one of .* got "
                                             "padding_mode='mirror'"),
    ((4, 4, 3), dict(padding="same", stride=2), "padding='same' is not supported for strided"),
    ((4, 4, 3), dict(padding=-1), "padding must be non-negative"),
])
def test_conv2d_constructor_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv2d(*args, **kwargs)


def test_conv2d_forward_errors_for_dilation_and_reflect_padding():
    with pytest.raises(ValueError, match="dilation must be positive"):
        Conv2d(2, 2, 3, dilation=0)(Tensor(np.zeros((1, 2, 5, 5), np.float32)))
    with pytest.raises(ValueError, match=r"reflect padding .* less than the input size"):
        Conv2d(2, 2, 3, padding=3, padding_mode="reflect")(Tensor(np.zeros((1, 2, 3, 3),
                                                                            np.float32)))


POOL_CASES = [  # (kernel_size, stride, padding, input shape)
    (2, None, 0, (2, 2, 4, 4)),
    (3, 2, 1, (1, 2, 5, 5)),
    ((2, 3), 1, 0, (1, 1, 4, 5)),
    (2, 1, 1, (1, 1, 3, 3)),
]


@pytest.mark.parametrize("kernel, stride, padding, shape", POOL_CASES)
def test_max_pool_values_and_gradcheck(kernel, stride, padding, shape):
    pool = MaxPool2d(kernel, stride=stride, padding=padding)
    x = randn(*shape)
    expected = pool_reference(x, pool.kernel_size, pool.stride, pool.padding, np.max, -np.inf)
    np.testing.assert_allclose(pool(Tensor(x)).numpy(), expected)
    assert module_gradcheck(pool, x)


@pytest.mark.parametrize("kernel, stride, padding, shape", POOL_CASES)
def test_avg_pool_values_and_gradcheck(kernel, stride, padding, shape):
    pool = AvgPool2d(kernel, stride=stride, padding=padding)
    x = randn(*shape)
    expected = pool_reference(x, pool.kernel_size, pool.stride, pool.padding, np.mean, 0.0)
    np.testing.assert_allclose(pool(Tensor(x)).numpy(), expected, rtol=1e-12, atol=1e-12)
    assert module_gradcheck(pool, x)


def test_pool_defaults_and_errors():
    pool = MaxPool2d(2)
    assert pool.stride == (2, 2) and pool.padding == (0, 0)
    assert repr(pool) == ("MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), "
                          "dilation=(1, 1), ceil_mode=False)")
    assert (pool.dilation, pool.return_indices, pool.ceil_mode) == ((1, 1), False, False)
    avg = AvgPool2d(2)
    assert (avg.ceil_mode, avg.count_include_pad, avg.divisor_override) == (False, True, None)
    with pytest.raises(ValueError, match="half the kernel size"):
        MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match=r"\(4, 4\)"):
        AvgPool2d(2)(Tensor(np.zeros((4, 4))))


def test_pool_positional_arguments_are_pytorchs():
    """MaxPool2d(kernel_size, stride, padding, dilation, return_indices, ceil_mode) and
    AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)."""
    pool = MaxPool2d(3, 2, 1, 2, True, True)
    assert (pool.dilation, pool.return_indices, pool.ceil_mode) == ((2, 2), True, True)
    avg = AvgPool2d(3, 2, 1, True, False, 2)
    assert (avg.ceil_mode, avg.count_include_pad, avg.divisor_override) == (True, False, 2)


def test_max_pool_dilation_ceil_mode_and_indices():
    """Windows of rows (and columns) -1, 1, 3 / 1, 3, 5 / 3, 5, 7 of a 6x6 input padded by 1:
    the last runs past the padded input (ceil_mode). Indices are flat in H*W, also for an
    unbatched input."""
    x = randn(2, 6, 6)
    pool = MaxPool2d(3, 2, 1, 2, True, True)
    out, index = pool(Tensor(x))
    assert out.shape == index.shape == (2, 3, 3)
    tops = [[1, 3], [1, 3, 5], [3, 5]]  # input rows (and columns) of each window
    for i, rows in enumerate(tops):
        for j, cols in enumerate(tops):
            block = x[:, rows][:, :, cols].reshape(2, -1)
            np.testing.assert_allclose(out.numpy()[:, i, j], block.max(axis=1))
            flat = [r * 6 + c for r in rows for c in cols]
            np.testing.assert_array_equal(index.numpy()[:, i, j],
                                          np.take(flat, block.argmax(axis=1)))
    batched, batched_index = pool(Tensor(x[None]))
    np.testing.assert_array_equal(batched_index.numpy()[0], index.numpy())
    assert module_gradcheck(MaxPool2d(3, 2, 1, 2, ceil_mode=True), randn(1, 2, 6, 5))


def test_avg_pool_ceil_mode_and_divisors():
    """AvgPool2d(2, 2, ceil_mode=True) on 3x3: the last row and column form windows of 2 and 1
    input elements; divisor_override replaces the count."""
    x = randn(1, 1, 3, 3)
    out = AvgPool2d(2, ceil_mode=True)(Tensor(x)).numpy()[0, 0]
    v = x[0, 0]
    np.testing.assert_allclose(out, [[v[:2, :2].mean(), v[:2, 2].mean()],
                                     [v[2, :2].mean(), v[2, 2]]])
    out = AvgPool2d(2, 2, 1, True, False)(Tensor(x)).numpy()[0, 0]
    np.testing.assert_allclose(out, [[v[0, 0], v[0, 1:].mean()], [v[1:, 0].mean(),
                                                                  v[1:, 1:].mean()]])
    out = AvgPool2d(2, 2, 1, True, True, 3)(Tensor(x)).numpy()[0, 0]
    np.testing.assert_allclose(out, [[v[0, 0] / 3, v[0, 1:].sum() / 3],
                                     [v[1:, 0].sum() / 3, v[1:, 1:].sum() / 3]])
    assert module_gradcheck(AvgPool2d(3, 2, 1, True, False), randn(1, 2, 6, 5))


# ----- normalization -----------------------------------------------------------------------------

def batch_norm_reference(x, weight, bias, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)


@pytest.mark.parametrize("cls, shape", [(BatchNorm1d, (6, 3)), (BatchNorm1d, (4, 3, 5)),
                                        (BatchNorm2d, (2, 3, 4, 4))])
def test_batch_norm_train_values_running_stats_and_eval(cls, shape):
    bn = cls(3)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(bn.weight.numpy(), np.ones(3))
    np.testing.assert_array_equal(bn.bias.numpy(), np.zeros(3))
    bn.weight.data[:] = [1.0, 2.0, 0.5]
    bn.bias.data[:] = [0.0, -1.0, 3.0]
    x = (randn(*shape) * 3 + 2).astype(np.float32)
    x64 = x.astype(np.float64)
    out = bn(Tensor(x)).numpy()
    np.testing.assert_allclose(out, batch_norm_reference(x64, bn.weight.numpy(), bn.bias.numpy()),
                               rtol=1e-4, atol=1e-5)
    axes = (0,) + tuple(range(2, x.ndim))
    mean, unbiased = x64.mean(axis=axes), x64.var(axis=axes, ddof=1)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * unbiased, rtol=1e-5)
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == np.int64
    bn.eval()
    shape1 = (1, -1) + (1,) * (x.ndim - 2)
    expected = ((x64 - bn.running_mean.numpy().reshape(shape1))
                / np.sqrt(bn.running_var.numpy().reshape(shape1) + 1e-5)
                * bn.weight.numpy().reshape(shape1) + bn.bias.numpy().reshape(shape1))
    np.testing.assert_allclose(bn(Tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-5)
    assert bn.num_batches_tracked.item() == 1  # eval does not count batches


def test_batch_norm_cumulative_average_when_momentum_is_none():
    bn = BatchNorm1d(2, momentum=None)
    a, b = randn(5, 2).astype(np.float32), randn(7, 2).astype(np.float32) + 4
    bn(Tensor(a))
    bn(Tensor(b))
    np.testing.assert_allclose(bn.running_mean.numpy(), (a.mean(0) + b.mean(0)) / 2, rtol=1e-5)
    assert bn.num_batches_tracked.item() == 2


def test_batch_norm_without_running_stats_or_affine():
    bn = BatchNorm2d(2, affine=False, track_running_stats=False)
    assert list(bn.parameters()) == [] and list(bn.state_dict()) == []
    x = randn(2, 2, 3, 3)
    bn.eval()  # no running statistics: batch statistics in eval too
    np.testing.assert_allclose(bn(Tensor(x)).numpy(),
                               batch_norm_reference(x, np.ones(2), np.zeros(2)), atol=1e-10)


@pytest.mark.parametrize("cls, shape", [(BatchNorm1d, (6, 3)), (BatchNorm1d, (4, 3, 5)),
                                        (BatchNorm2d, (2, 3, 4, 4))])
def test_batch_norm_without_bias_is_the_output_with_bias_minus_the_bias(cls, shape):
    with_bias, without = cls(3), cls(3, bias=False)
    assert without.bias is None and [n for n, _ in without.named_parameters()] == ["weight"]
    weight, bias = np.array([1.0, 2.0, 0.5], np.float32), np.array([0.5, -1.0, 3.0], np.float32)
    with_bias.weight.data[:], with_bias.bias.data[:], without.weight.data[:] = weight, bias, weight
    bias_shape = (1, 3) + (1,) * (len(shape) - 2)
    x = Tensor((randn(*shape) * 3 + 2).astype(np.float32))
    for mode in ("train", "eval"):  # batch statistics, then the running ones (updated alike)
        expected = with_bias(x).numpy() - bias.reshape(bias_shape)
        np.testing.assert_allclose(without(x).numpy(), expected, rtol=1e-5, atol=1e-6, err_msg=mode)
        np.testing.assert_array_equal(without.running_var.numpy(), with_bias.running_var.numpy())
        with_bias.eval()
        without.eval()


def test_batch_norm_bias_keyword_as_pytorch():
    parameter = inspect.signature(BatchNorm2d).parameters["bias"]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default is True
    # the state dict keys of PyTorch 2.13's BatchNorm1d(3, bias=False)
    assert list(BatchNorm1d(3, bias=False).state_dict()) == [
        "weight", "running_mean", "running_var", "num_batches_tracked"]
    assert list(BatchNorm1d(3, affine=False, bias=False).state_dict()) == [
        "running_mean", "running_var", "num_batches_tracked"]
    assert BatchNorm1d(3, affine=False, bias=True).bias is None  # affine=False: no parameters
    with pytest.raises(KeyError, match="unexpected keys 'bias'"):
        BatchNorm1d(3, bias=False).load_state_dict(BatchNorm1d(3).state_dict())


def test_batch_norm_without_bias_gradcheck():
    bn = BatchNorm1d(2, bias=False)
    bn.weight.data[:] = [1.5, -0.5]
    assert module_gradcheck(bn, randn(4, 2))


def test_batch_norm_errors_name_the_shape():
    with pytest.raises(ValueError, match=r"\(4, 5\) has 5 channels.*num_features=3"):
        BatchNorm1d(3)(Tensor(np.zeros((4, 5), np.float32)))
    with pytest.raises(ValueError, match=r"4-d.*\(4, 3\)"):
        BatchNorm2d(3)(Tensor(np.zeros((4, 3), np.float32)))
    with pytest.raises(ValueError, match="more than one value per channel"):
        BatchNorm1d(3)(Tensor(np.zeros((1, 3), np.float32)))


@pytest.mark.parametrize("cls, shape", [(BatchNorm1d, (4, 2)), (BatchNorm1d, (3, 2, 2)),
                                        (BatchNorm2d, (2, 2, 2, 3))])
def test_batch_norm_train_mode_gradcheck(cls, shape):
    bn = cls(2)
    bn.weight.data[:] = [1.5, -0.5]
    bn.bias.data[:] = [0.2, 0.3]
    assert module_gradcheck(bn, randn(*shape))
    bn.eval()
    bn.running_var.data[:] = [0.5, 2.0]
    assert module_gradcheck(bn, randn(*shape))


def test_layer_norm_values_and_gradcheck():
    ln = LayerNorm((3, 4))
    assert ln.weight.shape == (3, 4) and ln.bias.shape == (3, 4)
    ln.weight.data[...] = randn(3, 4)
    ln.bias.data[...] = randn(3, 4)
    x = randn(2, 3, 4)
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * ln.weight.numpy() + ln.bias.numpy()
    np.testing.assert_allclose(ln(Tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-5)
    assert module_gradcheck(ln, x)
    assert module_gradcheck(LayerNorm(4, elementwise_affine=False), randn(3, 4))


def test_layer_norm_shape_error_and_repr():
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(4,\)"):
        LayerNorm(4)(Tensor(np.zeros((2, 5), np.float32)))
    assert repr(LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"


# ----- Dropout and Embedding ---------------------------------------------------------------------

def test_dropout_is_inverted_and_identity_in_eval():
    drop = Dropout(0.25, rng=0)
    x = np.ones((200, 50), np.float32)
    out = drop(Tensor(x)).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.02
    drop.eval()
    np.testing.assert_array_equal(drop(Tensor(x)).numpy(), x)


def test_dropout_inplace_writes_the_input_as_pytorch():
    x = np.ones((4, 6), np.float32)
    expected = Dropout(0.5, rng=3)(Tensor(x)).numpy()
    t = Tensor(x)
    out = Dropout(0.5, inplace=True, rng=3)(t)
    assert out is t and t.data is x  # written into the array the tensor shares
    np.testing.assert_array_equal(x, expected)


def test_dropout_inplace_recorded_gives_the_mask_as_gradient():
    w = Tensor(np.ones((3, 5)), requires_grad=True)
    h = w * 2.0
    assert dropout(h, 0.5, inplace=True, rng=4) is h
    mask = Dropout(0.5, rng=4)(Tensor(np.ones((3, 5)))).numpy()
    np.testing.assert_array_equal(h.numpy(), 2.0 * mask)
    h.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), 2.0 * mask)


def test_dropout_masks_are_reproducible():
    x = Tensor(np.ones((4, 6), np.float32))
    np.testing.assert_array_equal(Dropout(rng=3)(x).numpy(), Dropout(rng=3)(x).numpy())
    autodiff.manual_seed(11)
    first = Dropout()(x).numpy()
    autodiff.manual_seed(11)
    np.testing.assert_array_equal(Dropout()(x).numpy(), first)
    with pytest.raises(ValueError, match="1.5"):
        Dropout(1.5)


def test_dropout_gradient_is_the_scaled_mask():
    x = randn(3, 4)
    assert gradcheck(lambda t: Dropout(0.5, rng=1)(t), [x])
    t = Tensor(x, requires_grad=True)
    out = Dropout(0.5, rng=1)(t)
    out.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), (out.numpy() != 0) * 2.0)


def test_embedding_lookup_init_and_gradient_accumulation():
    emb = Embedding(1000, 16, rng=0)
    w = emb.weight.numpy()
    assert w.shape == (1000, 16) and abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02
    ids = np.array([[3, 3], [999, 0]])
    out = emb(ids)
    np.testing.assert_array_equal(out.numpy(), w[ids])
    out.sum().backward()
    grad = emb.weight.grad.numpy()
    np.testing.assert_array_equal(grad[3], np.full(16, 2.0))
    np.testing.assert_array_equal(grad[[0, 999]], np.ones((2, 16)))
    assert grad[[1, 2, 4]].sum() == 0
    assert repr(emb) == "Embedding(1000, 16)"


def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    emb = Embedding(5, 3, padding_idx=1, rng=0)
    np.testing.assert_array_equal(emb.weight.numpy()[1], np.zeros(3))
    emb(np.array([1, 2, 1])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[1], np.zeros(3))
    np.testing.assert_array_equal(emb.weight.grad.numpy()[2], np.ones(3))


def test_embedding_errors_and_gradcheck():
    emb = Embedding(4, 2, rng=0)
    with pytest.raises(IndexError, match="4"):
        emb(np.array([0, 4]))
    with pytest.raises(TypeError, match="integer"):
        emb(np.array([0.5]))
    ids = np.array([[0, 2, 2], [3, 1, 0]])
    assert module_gradcheck(emb, call=lambda m: m(ids))



def test_embedding_positional_arguments_follow_pytorch():
    emb = Embedding(10, 3, 0, 1.0)
    assert (emb.padding_idx, emb.max_norm, emb.norm_type) == (0, 1.0, 2.0)
    assert (emb.scale_grad_by_freq, emb.sparse, emb.weight.requires_grad) == (False, False, True)
    emb = Embedding(10, 3, None, 2.0, 1.0, True, True)
    assert (emb.padding_idx, emb.max_norm, emb.norm_type) == (None, 2.0, 1.0)
    assert emb.scale_grad_by_freq and emb.sparse
    assert repr(emb) == ("Embedding(10, 3, max_norm=2.0, norm_type=1.0, scale_grad_by_freq=True, "
                         "sparse=True)")
    assert repr(Embedding(10, 3, -2, rng=0)) == "Embedding(10, 3, padding_idx=8)"


def test_embedding_negative_padding_idx_zeroes_the_row_counted_from_the_end():
    emb = Embedding(5, 3, padding_idx=-1, rng=0)
    assert emb.padding_idx == 4
    np.testing.assert_array_equal(emb.weight.numpy()[4], np.zeros(3))
    emb(np.array([4, 0])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[[4, 0]], [[0, 0, 0], [1, 1, 1]])
    with pytest.raises(ValueError, match="padding_idx -6"):
        Embedding(5, 3, padding_idx=-6)


def test_embedding_max_norm_renormalizes_looked_up_rows_only():
    emb = Embedding(6, 4, max_norm=1.0, rng=0)
    before = emb.weight.numpy().copy()
    norms = np.linalg.norm(before, axis=1)
    assert norms[0] < 1.0 and (norms[1:] > 1.0).all()
    out = emb(np.array([[0, 2], [2, 5]]))
    after = emb.weight.numpy()
    np.testing.assert_allclose(np.linalg.norm(after[[2, 5]], axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(after[[2, 5]] * norms[[2, 5], None], before[[2, 5]],
                               rtol=1e-6)  # same directions
    np.testing.assert_array_equal(after[[0, 1, 3, 4]], before[[0, 1, 3, 4]])
    np.testing.assert_array_equal(out.numpy(), after[[[0, 2], [2, 5]]])


def test_embedding_scale_grad_by_freq_layer():
    emb = Embedding(4, 2, scale_grad_by_freq=True, rng=0)
    emb(np.array([3, 3, 3, 1])).sum().backward()
    np.testing.assert_allclose(emb.weight.grad.numpy(), [[0, 0], [1, 1], [0, 0], [1, 1]])


def test_embedding_weight_argument_is_used_as_the_weight():
    given = np.arange(8, dtype=np.float64).reshape(4, 2)
    emb = Embedding(4, 2, padding_idx=0, _weight=given)
    assert np.shares_memory(emb.weight.data, given) and emb.weight.dtype == np.float64
    np.testing.assert_array_equal(emb.weight.numpy(), np.arange(8).reshape(4, 2))  # not reset
    assert emb.weight.requires_grad
    assert not Embedding(4, 2, _weight=given, _freeze=True).weight.requires_grad
    assert not Embedding(4, 2, _freeze=True).weight.requires_grad
    with pytest.raises(ValueError, match=r"_weight of shape \(4, 2\).*\(4, 3\)"):
        Embedding(4, 3, _weight=given)


def test_embedding_from_pretrained_uses_the_values_and_freezes_by_default():
    pretrained = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    emb = Embedding.from_pretrained(Tensor(pretrained))
    assert (emb.num_embeddings, emb.embedding_dim) == (2, 3)
    np.testing.assert_array_equal(emb(np.array([1, 0])).numpy(), pretrained[[1, 0]])
    assert not emb.weight.requires_grad and "weight" in emb.state_dict()
    assert emb(np.array([1])).requires_grad is False
    emb = Embedding.from_pretrained(pretrained, freeze=False, padding_idx=1, max_norm=5.0,
                                    norm_type=1.0, scale_grad_by_freq=True, sparse=True)
    assert (emb.padding_idx, emb.max_norm, emb.norm_type) == (1, 5.0, 1.0)
    assert emb.scale_grad_by_freq and emb.sparse and emb.weight.requires_grad
    np.testing.assert_array_equal(emb.weight.numpy()[1], pretrained[1])  # padding row not reset
    emb(np.array([0, 0])).sum().backward()
    np.testing.assert_allclose(emb.weight.grad.numpy(), [[1, 1, 1], [0, 0, 0]])
    with pytest.raises(ValueError, match=r"2-d.*\(3,\)"):
        Embedding.from_pretrained(np.zeros(3))

# ----- losses ------------------------------------------------------------------------------

def _log_softmax(x):
    return np.log(_softmax(x, 1))


def _reduce(loss, reduction):
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


LOGITS = randn(5, 4) * 2
CLASSES = np.array([0, 3, 1, 3, 2])
PROBS = 1 / (1 + np.exp(-randn(5, 3)))
BINARY = (RNG.random((5, 3)) > 0.5).astype(np.float64)
SIGNS = np.where(RNG.random(6) > 0.5, 1.0, -1.0)
SCORES = randn(6)


def test_loss_reprs():
    assert repr(MSELoss()) == "MSELoss()"
    assert repr(CrossEntropyLoss(reduction="sum", label_smoothing=0.1)) == (
        "CrossEntropyLoss(reduction='sum', label_smoothing=0.1)")
    with pytest.raises(ValueError, match="'average'"):
        MSELoss(reduction="average")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_and_hinge_losses(reduction):
    a, b = randn(4, 3), randn(4, 3)
    cases = [
        (MSELoss(reduction=reduction), (a, b), (a - b) ** 2),
        (L1Loss(reduction=reduction), (a, b), np.abs(a - b)),
        (HingeLoss(reduction), (SCORES, SIGNS), np.maximum(0, 1 - SIGNS * SCORES)),
    ]
    for loss_fn, (x, y), elementwise in cases:
        np.testing.assert_allclose(loss_fn(Tensor(x), Tensor(y)).numpy(),
                                   _reduce(elementwise, reduction), rtol=1e-12)
        assert gradcheck(lambda t: loss_fn(t, Tensor(y)), [x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_losses(reduction):
    weight = RNG.random(3) + 0.5
    bce = -(BINARY * np.log(PROBS) + (1 - BINARY) * np.log(1 - PROBS))
    loss_fn = BCELoss(weight=weight, reduction=reduction).double()
    np.testing.assert_allclose(loss_fn(Tensor(PROBS), Tensor(BINARY)).numpy(),
                               _reduce(weight * bce, reduction), rtol=1e-10)
    assert gradcheck(lambda p: loss_fn(p, Tensor(BINARY)), [PROBS], atol=1e-4)

    logits = np.log(PROBS / (1 - PROBS))
    pos_weight = np.array([1.0, 3.0, 0.5])
    expected = -(pos_weight * BINARY * np.log(PROBS) + (1 - BINARY) * np.log(1 - PROBS))
    loss_fn = BCEWithLogitsLoss(reduction=reduction, pos_weight=pos_weight).double()
    np.testing.assert_allclose(loss_fn(Tensor(logits), Tensor(BINARY)).numpy(),
                               _reduce(expected, reduction), rtol=1e-9)
    assert gradcheck(lambda z: loss_fn(z, Tensor(BINARY)), [logits])


def test_bce_with_logits_is_finite_for_huge_logits():
    loss = BCEWithLogitsLoss()(Tensor(np.array([1e4, -1e4])), Tensor(np.array([0.0, 1.0])))
    np.testing.assert_allclose(loss.item(), 1e4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll_loss(reduction):
    nll = -_log_softmax(LOGITS)[np.arange(5), CLASSES]
    ce = CrossEntropyLoss(reduction=reduction)
    np.testing.assert_allclose(ce(Tensor(LOGITS), CLASSES).numpy(), _reduce(nll, reduction),
                               rtol=1e-10)
    nll_fn = NLLLoss(reduction=reduction)
    np.testing.assert_allclose(nll_fn(Tensor(_log_softmax(LOGITS)), CLASSES).numpy(),
                               _reduce(nll, reduction), rtol=1e-10)
    assert gradcheck(lambda z: ce(z, CLASSES), [LOGITS])
    assert gradcheck(lambda z: nll_fn(z, CLASSES), [LOGITS])


def test_cross_entropy_weight_ignore_index_and_label_smoothing_follow_pytorch():
    weight = np.array([1.0, 2.0, 0.5, 3.0])
    target = CLASSES.copy()
    target[2] = -100
    keep = target != -100
    logp = _log_softmax(LOGITS)
    picked = -logp[np.arange(5), np.where(keep, target, 0)]
    w = weight[np.where(keep, target, 0)] * keep
    weighted = CrossEntropyLoss(weight=weight).double()
    np.testing.assert_allclose(weighted(Tensor(LOGITS), target).item(),
                               (w * picked).sum() / w.sum(), rtol=1e-10)
    # PyTorch: (1 - eps) * weighted nll + eps / C * sum_c w_c * (-logp_c), same denominator
    eps = 0.2
    smooth = -(logp * weight).sum(axis=1) * keep
    expected = ((1 - eps) * (w * picked).sum() + eps / 4 * smooth.sum()) / w.sum()
    smoothed = CrossEntropyLoss(weight=weight, label_smoothing=eps).double()
    np.testing.assert_allclose(smoothed(Tensor(LOGITS), target).item(), expected, rtol=1e-10)
    assert gradcheck(lambda z: smoothed(z, target), [LOGITS])
    assert "weight" in dict(smoothed.named_buffers())


def test_cross_entropy_is_finite_for_huge_logits():
    loss = CrossEntropyLoss()(Tensor(np.array([[1e4, -1e4], [0.0, 1e4]])), np.array([1, 0]))
    np.testing.assert_allclose(loss.item(), (2e4 + 1e4) / 2)


# ----- sizes given as NumPy integers ------------------------------------------------------
def test_layers_accept_numpy_integer_sizes():
    conv = Conv2d(2, 4, np.int64(3), stride=np.int64(1), padding=np.int64(1))
    assert conv.weight.shape == (4, 2, 3, 3) and conv.kernel_size == (3, 3)
    assert conv(Tensor(np.zeros((1, 2, 5, 5), np.float32))).shape == (1, 4, 5, 5)
    assert MaxPool2d(np.int64(2))(Tensor(np.zeros((1, 1, 4, 4)))).shape == (1, 1, 2, 2)
    assert AvgPool2d(2, stride=np.int32(2))(Tensor(np.zeros((1, 1, 4, 4)))).shape == (1, 1, 2, 2)


def test_a_bad_size_names_the_argument():
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair of ints, got 2.5"):
        Conv2d(2, 4, 2.5)


# ----- LayerNorm sizes as NumPy ints; Flatten on arrays -----------------------------------
def test_layer_norm_accepts_a_numpy_integer_size():
    # F.layer_norm and every other layer accept np.int64 sizes (tests/test_layers.py
    # test_layers_accept_numpy_integer_sizes); LayerNorm raised "'numpy.int64' object is not
    # iterable"
    x = np.random.default_rng(0).normal(size=(2, 4))
    features = np.int64(x.shape[-1])
    layer = nn.LayerNorm(features)
    assert layer.normalized_shape == (4,) and layer.weight.shape == (4,)
    np.testing.assert_allclose(layer(Tensor(x)).numpy().mean(axis=-1), 0.0, atol=1e-6)
    assert nn.LayerNorm((np.int64(2), np.int32(4)))(Tensor(np.zeros((1, 2, 4)))).shape == (1, 2, 4)


@pytest.mark.parametrize("bad", [2.5, (), "4", (4, 1.5)])
def test_layer_norm_names_a_bad_normalized_shape(bad):
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(bad)


def test_flatten_accepts_an_ndarray_like_the_layers_after_it():
    # nn.Sequential(nn.Flatten(), nn.Linear(...)) on a NumPy batch: Linear, activations,
    # LayerNorm, Dropout all take ndarrays; Flatten raised "flatten() takes from 0 to 1
    # positional arguments but 2 were given" (NumPy's ndarray.flatten)
    images = np.zeros((3, 1, 8, 8), np.float32)
    assert nn.Flatten()(images).shape == (3, 64)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    assert model(images).shape == (3, 10)


# ----- a layer class called on data -------------------------------------------------------
x = Tensor(np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32))
y = np.array([0, 1])


@pytest.mark.parametrize("call", [
    lambda: nn.ReLU(x), lambda: nn.LeakyReLU(x), lambda: nn.Softmax(x),
    lambda: nn.LogSoftmax(x), lambda: nn.GELU(x), lambda: nn.Flatten(x),
    lambda: nn.Dropout(x), lambda: nn.CrossEntropyLoss(x, y), lambda: nn.NLLLoss(x, y),
    lambda: nn.BCELoss(x.sigmoid(), np.zeros((2, 4))),
    lambda: nn.BCEWithLogitsLoss(x, np.zeros((2, 4))), lambda: nn.MSELoss(x),
])
def test_layer_class_called_on_data_raises_at_the_call(call):
    with pytest.raises(TypeError, match=r"is a layer class: make the layer first"):
        call()


def test_cross_entropy_weight_must_be_one_per_class():
    with pytest.raises(ValueError, match="weight must be 1-d"):
        nn.CrossEntropyLoss(x)


def test_valid_constructors_still_work():
    assert nn.CrossEntropyLoss(weight=Tensor([1.0, 2.0]))(Tensor(np.zeros((2, 2))), y).item() > 0
    assert nn.ReLU(inplace=True).inplace and nn.Softmax(dim=1).dim == 1
    assert nn.Dropout(0.2).p == 0.2 and nn.Flatten(0, -1).start_dim == 0


# ----- layers take arrays and nested lists ------------------------------------------------
rng = np.random.default_rng(0)
img = rng.standard_normal((3, 8, 8)).astype(np.float32)
seq = rng.standard_normal((5, 4)).astype(np.float32)


@pytest.mark.parametrize("layer, data", [
    (lambda: nn.Conv2d(3, 4, 3, rng=0), img),
    (lambda: nn.Conv2d(3, 4, 3, rng=0), img[None]),
    (lambda: nn.MaxPool2d(2), img),
    (lambda: nn.AvgPool2d(2), img),
    (lambda: nn.RNN(4, 3, rng=0), seq),
    (lambda: nn.LSTM(4, 3, rng=0), seq[:, None]),
    (lambda: nn.BatchNorm1d(4), seq),
    (lambda: nn.LayerNorm(4), seq),
])
@pytest.mark.parametrize("form", [lambda a: a, lambda a: a.tolist()], ids=["ndarray", "list"])
def test_layer_takes_arrays_and_lists_like_tensors(layer, data, form):
    expected = layer()(Tensor(data))
    got = layer()(form(data))
    expected = expected[0] if isinstance(expected, tuple) else expected
    got = got[0] if isinstance(got, tuple) else got
    np.testing.assert_allclose(got.data, expected.data, rtol=1e-6, atol=1e-6)


def test_bad_shape_still_named():
    with pytest.raises(ValueError, match="has 8 channels but in_channels=3"):
        nn.Conv2d(3, 4, 3)(np.zeros((8, 8, 3), np.float32))


# ----- sizes that are not ints are named ----------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda bad: Linear(bad, 3), "Linear: in_features must be an int"),
    (lambda bad: Linear(4, bad), "Linear: out_features must be an int"),
    (lambda bad: Layer(bad, 3), "Layer: nin must be an int"),
    (lambda bad: Neuron(bad), "Neuron: nin must be an int"),
    (lambda bad: MLP(2, [3, bad]), r"MLP: nouts\[1\] must be an int"),
    (lambda bad: Conv2d(bad, 4, 3), "Conv2d: in_channels must be an int"),
    (lambda bad: Conv2d(3, bad, 3), "Conv2d: out_channels must be an int"),
    (lambda bad: Embedding(bad, 4), "Embedding: num_embeddings must be an int"),
    (lambda bad: Embedding(3, bad), "Embedding: embedding_dim must be an int"),
    (lambda bad: nn.RNN(bad, 4), "RNN: input_size must be an int"),
    (lambda bad: nn.LSTM(bad, 4), "LSTM: input_size must be an int"),
    (lambda bad: BatchNorm1d(bad), "BatchNorm1d: num_features must be an int"),
    (lambda bad: BatchNorm2d(bad, affine=False, track_running_stats=False),
     "BatchNorm2d: num_features must be an int"),
])
def test_a_size_that_is_no_int_names_the_argument(make, message):
    with pytest.raises(TypeError, match=rf"{message}, got 4.0"):
        make(4.0)
    with pytest.raises(TypeError, match=rf"{message}, got a Tensor of shape \(2, 3\)"):
        make(Tensor(np.ones((2, 3))))
    make(np.int64(4))


def test_a_negative_size_names_the_argument():
    with pytest.raises(ValueError, match="Linear: in_features must be >= 0, got -1"):
        Linear(-1, 3)


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv2d(4, 4, kernel_size=0), "kernel_size must be positive"),
    (lambda: nn.Conv2d(4, 4, kernel_size=(3, -1)), "kernel_size must be positive"),
    (lambda: nn.Conv2d(4, 4, 3, stride=0), "stride must be positive"),
    (lambda: nn.MaxPool2d(0), "kernel_size must be positive"),
    (lambda: nn.AvgPool2d(2, stride=-1), "stride must be positive"),
    (lambda: nn.MaxPool2d(2, dilation=0), "dilation must be positive"),
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((1, 1, 0, 2)))),
     "kernel size should be greater than zero"),
])
def test_kernel_sizes_strides_and_dilations_below_one_are_refused(make, message):
    """Conv2d(kernel_size=0) used to give an all-zero output larger than its input."""
    with pytest.raises(ValueError, match=message):
        make()


def test_group_norm_matches_its_formula_and_torchvisions_init_loop():
    """torchvision's ResNet init loop tests isinstance(m, (nn.BatchNorm2d, nn.GroupNorm))."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5, 5)) * 3 + 1
    layer = nn.GroupNorm(2, 4, dtype=np.float64)
    layer.weight.data[...] = [1.0, 2.0, 3.0, 4.0]
    layer.bias.data[...] = [0.0, -1.0, 0.5, 0.0]
    grouped = x.reshape(3, 2, -1)
    standard = ((grouped - grouped.mean(-1, keepdims=True))
                / np.sqrt(grouped.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    expected = standard * layer.weight.data[:, None, None] + layer.bias.data[:, None, None]
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-12, atol=1e-12)
    assert repr(nn.GroupNorm(2, 8, affine=False)) == "GroupNorm(2, 8, eps=1e-05, affine=False)"
    assert gradcheck(lambda t, w, b: F.group_norm(t, 2, w, b),
                     [x[:2, :, :2, :3], layer.weight.data, layer.bias.data])
    with pytest.raises(ValueError, match="num_channels=6 must be divisible by num_groups=4"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"input of shape \(3, 5, 2\) should be \(N, 4, \.\.\.\)"):
        layer(Tensor(np.ones((3, 5, 2))))


def test_batch_norm_loads_a_checkpoint_without_num_batches_tracked():
    """PyTorch keeps the layer's own counter when a checkpoint lacks it (before 0.4.1, or
    weights converted by hand); loading raised KeyError here."""
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    state = {k: v for k, v in model.state_dict().items() if "num_batches" not in k}
    model[1].num_batches_tracked.data[...] = 5
    assert model.load_state_dict(state) == ([], [])
    assert model[1].num_batches_tracked.item() == 5
    assert nn.GroupNorm(2, 4)(Tensor(np.zeros((0, 4, 3)))).shape == (0, 4, 3)  # empty batch
    with pytest.raises(KeyError, match="missing keys '1.running_var'"):
        model.load_state_dict({k: v for k, v in state.items() if "running_var" not in k})
