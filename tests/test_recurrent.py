"""Tests of nn.layers.RNN and nn.layers.LSTM against step-by-step NumPy references, PyTorch's
parameter layout and initialization, clear errors, and float64 gradchecks."""
import math

import numpy as np
import pytest

from autodiff import Tensor, concatenate
from nn.layers import LSTM, RNN
from test_layers import module_gradcheck

RNG = np.random.default_rng(99)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def params_of(module):
    """(weight_ih, weight_hh, bias_ih, bias_hh) as float64 arrays (zeros when bias=False)."""
    rows = module.weight_ih.shape[0]
    bias = [np.zeros(rows) if b is None else b.numpy().astype(np.float64)
            for b in (module.bias_ih, module.bias_hh)]
    weights = [w.numpy().astype(np.float64) for w in (module.weight_ih, module.weight_hh)]
    return (*weights, *bias)


def rnn_reference(x, h, module, nonlinearity=np.tanh):
    """x (L, N, I), h (N, H): every hidden state (L, N, H), one step at a time."""
    w_ih, w_hh, b_ih, b_hh = params_of(module)
    outputs = []
    for x_t in x:
        h = nonlinearity(x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        outputs.append(h)
    return np.stack(outputs)


def lstm_reference(x, h, c, module):
    """x (L, N, I), h and c (N, H): (outputs (L, N, H), c_n) with gates in order i, f, g, o."""
    w_ih, w_hh, b_ih, b_hh = params_of(module)
    H = h.shape[1]
    outputs = []
    for x_t in x:
        z = x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H])
        g, o = np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs), c


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("cls, gates", [(RNN, 1), (LSTM, 4)])
def test_parameter_names_layout_and_init(cls, gates):
    module = cls(3, 16, rng=0)
    assert [(n, p.shape) for n, p in module.named_parameters()] == [
        ("weight_ih", (gates * 16, 3)), ("weight_hh", (gates * 16, 16)),
        ("bias_ih", (gates * 16,)), ("bias_hh", (gates * 16,))]
    values = np.concatenate([p.numpy().ravel() for p in module.parameters()])
    bound = 1 / math.sqrt(16)
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.98 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert [n for n, _ in cls(3, 4, bias=False).named_parameters()] == ["weight_ih", "weight_hh"]


@pytest.mark.parametrize("nonlinearity, fn",
                         [("tanh", np.tanh), ("relu", lambda z: np.maximum(z, 0))])
def test_rnn_matches_reference_from_zero_and_given_state(nonlinearity, fn):
    rnn = RNN(3, 4, nonlinearity=nonlinearity, rng=0)
    x, h0 = f32(5, 2, 3), f32(1, 2, 4)
    out, h_n = rnn(Tensor(x))
    expected = rnn_reference(x, np.zeros((2, 4)), rnn, fn)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert h_n.shape == (1, 2, 4)
    np.testing.assert_allclose(h_n.numpy()[0], expected[-1], rtol=1e-5, atol=1e-6)
    out, h_n = rnn(Tensor(x), Tensor(h0))
    expected = rnn_reference(x, h0[0], rnn, fn)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_n.numpy()[0], expected[-1], rtol=1e-5, atol=1e-6)


def test_rnn_batch_first_unbatched_and_no_bias():
    rnn = RNN(3, 4, bias=False, batch_first=True, rng=1)
    x = f32(2, 5, 3)  # (N, L, I)
    out, h_n = rnn(Tensor(x))
    expected = rnn_reference(x.transpose(1, 0, 2), np.zeros((2, 4)), rnn)
    assert out.shape == (2, 5, 4)
    np.testing.assert_allclose(out.numpy(), expected.transpose(1, 0, 2), rtol=1e-5, atol=1e-6)
    assert h_n.shape == (1, 2, 4)  # h_n is (1, N, H) even with batch_first, as PyTorch
    single, h_single = rnn(Tensor(x[0]))  # unbatched (L, I)
    assert single.shape == (5, 4) and h_single.shape == (1, 4)
    np.testing.assert_allclose(single.numpy(), expected[:, 0], rtol=1e-5, atol=1e-6)


def test_lstm_matches_reference_from_zero_and_given_state():
    lstm = LSTM(3, 4, rng=0)
    x, h0, c0 = f32(6, 2, 3), f32(1, 2, 4), f32(1, 2, 4)
    out, (h_n, c_n) = lstm(Tensor(x))
    expected, c_last = lstm_reference(x, np.zeros((2, 4)), np.zeros((2, 4)), lstm)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_n.numpy(), expected[-1:], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c_n.numpy(), c_last[None], rtol=1e-5, atol=1e-6)
    out, (h_n, c_n) = lstm(Tensor(x), (Tensor(h0), Tensor(c0)))
    expected, c_last = lstm_reference(x, h0[0], c0[0], lstm)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c_n.numpy()[0], c_last, rtol=1e-5, atol=1e-6)


def test_lstm_batch_first_and_unbatched():
    lstm = LSTM(2, 3, batch_first=True, rng=2)
    x = f32(4, 5, 2)
    out, (h_n, c_n) = lstm(Tensor(x))
    zeros = np.zeros((4, 3))
    expected, c_last = lstm_reference(x.transpose(1, 0, 2), zeros, zeros, lstm)
    np.testing.assert_allclose(out.numpy(), expected.transpose(1, 0, 2), rtol=1e-5, atol=1e-6)
    assert h_n.shape == c_n.shape == (1, 4, 3)
    single, (h1, c1) = lstm(Tensor(x[1]), (Tensor(np.zeros((1, 3))), Tensor(np.zeros((1, 3)))))
    assert single.shape == (5, 3) and h1.shape == c1.shape == (1, 3)
    np.testing.assert_allclose(single.numpy(), expected[:, 1], rtol=1e-5, atol=1e-6)


def test_lstm_gate_order_is_i_f_g_o():
    lstm = LSTM(1, 1, rng=0)
    for p in lstm.parameters():
        p.data[...] = 0
    lstm.bias_ih.data[:] = [30.0, -30.0, 30.0, 0.0]  # i open, f shut, g = 1, o = 1/2
    out, (h_n, c_n) = lstm(Tensor(np.zeros((2, 1, 1), np.float32)))
    np.testing.assert_allclose(c_n.numpy().ravel(), [1.0], rtol=1e-6)  # f * c + i * g = 1
    np.testing.assert_allclose(h_n.numpy().ravel(), [0.5 * np.tanh(1.0)], rtol=1e-6)


def _flat_rnn(module, x, h0):
    out, h_n = module(x, h0)
    return concatenate([out.reshape(-1), h_n.reshape(-1)])


def _flat_lstm(module, x, h0, c0):
    out, (h_n, c_n) = module(x, (h0, c0))
    return concatenate([out.reshape(-1), h_n.reshape(-1), c_n.reshape(-1)])


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_gradcheck(nonlinearity):
    rnn = RNN(2, 3, nonlinearity=nonlinearity, batch_first=True, rng=0)
    x, h0 = RNG.standard_normal((2, 3, 2)), RNG.standard_normal((1, 2, 3))
    assert module_gradcheck(rnn, x, h0, call=_flat_rnn)


def test_lstm_gradcheck():
    lstm = LSTM(2, 2, rng=0)
    x, h0, c0 = (RNG.standard_normal(s) for s in [(3, 2, 2), (1, 2, 2), (1, 2, 2)])
    assert module_gradcheck(lstm, x, h0, c0, call=_flat_lstm)
    assert module_gradcheck(LSTM(2, 2, bias=False, rng=1), x,
                            call=lambda m, x: m(x)[0])


def test_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(L, N, 3\).*\(5, 2, 4\)"):
        RNN(3, 4)(Tensor(np.zeros((5, 2, 4), np.float32)))
    with pytest.raises(ValueError, match=r"hx has shape \(2, 4\), expected \(1, 2, 4\)"):
        RNN(3, 4)(Tensor(np.zeros((5, 2, 3), np.float32)), Tensor(np.zeros((2, 4), np.float32)))
    with pytest.raises(ValueError, match=r"c_0 has shape \(1, 3, 4\), expected \(1, 2, 4\)"):
        LSTM(3, 4)(Tensor(np.zeros((5, 2, 3), np.float32)),
                   (Tensor(np.zeros((1, 2, 4))), Tensor(np.zeros((1, 3, 4)))))
    with pytest.raises(TypeError, match=r"\(h_0, c_0\)"):
        LSTM(3, 4)(Tensor(np.zeros((5, 2, 3), np.float32)), Tensor(np.zeros((1, 2, 4))))
    with pytest.raises(ValueError, match="empty"):
        LSTM(3, 4)(Tensor(np.zeros((0, 2, 3), np.float32)))
    with pytest.raises(ValueError, match="'sigmoid'"):
        RNN(3, 4, nonlinearity="sigmoid")


def test_reprs_match_pytorch():
    assert repr(RNN(3, 4)) == "RNN(3, 4)"
    assert repr(RNN(3, 4, nonlinearity="relu", bias=False)) == (
        "RNN(3, 4, bias=False, nonlinearity='relu')")
    assert repr(LSTM(3, 4, batch_first=True)) == "LSTM(3, 4, batch_first=True)"
