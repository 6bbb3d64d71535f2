"""Tests of nn.layers.RNN and nn.layers.LSTM against step-by-step NumPy references, PyTorch's
parameter layout and initialization, clear errors, and float64 gradchecks."""
import math

import numpy as np
import pytest

import nn
from autodiff import Tensor, concatenate, gradcheck
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


# ----- stacked, bidirectional, dropout, projection ------------------------------------------------

def suffix(layer, direction):
    """Our parameter-name suffix: '' for layer 0 forward, else '_l1', '_reverse', '_l1_reverse'."""
    return (f"_l{layer}" if layer else "") + ("_reverse" if direction else "")


def pytorch_name(name):
    """Our parameter name as PyTorch spells it: insert '_l0' when no layer is named."""
    kind = "_".join(name.split("_")[:2])
    rest = name[len(kind):]
    return kind + ("" if rest.startswith("_l") else "_l0") + rest


def weights_at(module, layer, direction):
    """The float64 weights of one layer and direction as a dict keyed by kind."""
    out = {}
    for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"):
        p = getattr(module, kind + suffix(layer, direction), None)
        out[kind] = None if p is None else p.numpy().astype(np.float64)
    return out


def rnn_step(x_t, h, c, w, fn=np.tanh):
    z = x_t @ w["weight_ih"].T + h @ w["weight_hh"].T
    if w["bias_ih"] is not None:
        z = z + w["bias_ih"] + w["bias_hh"]
    return fn(z), None


def lstm_step(x_t, h, c, w):
    z = x_t @ w["weight_ih"].T + h @ w["weight_hh"].T
    if w["bias_ih"] is not None:
        z = z + w["bias_ih"] + w["bias_hh"]
    H = c.shape[-1]
    i, f = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H])
    g, o = np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
    c = f * c + i * g
    h = o * np.tanh(c)
    return (h if w["weight_hr"] is None else h @ w["weight_hr"].T), c


def stacked_reference(module, x, h0, c0=None, step=rnn_step):
    """NumPy reference of a stacked (bidirectional) net in eval mode: (out, h_n, c_n)."""
    directions = 2 if module.bidirectional else 1
    finals_h, finals_c = [], []
    for layer in range(module.num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            h, c = h0[k], None if c0 is None else c0[k]
            hs = []
            for x_t in (x[::-1] if direction else x):
                h, c = step(x_t, h, c, weights_at(module, layer, direction))
                hs.append(h)
            hs = np.stack(hs)
            outputs.append(hs[::-1] if direction else hs)
            finals_h.append(h)
            finals_c.append(c)
        x = np.concatenate(outputs, axis=-1)
    return x, np.stack(finals_h), None if c0 is None else np.stack(finals_c)


def copy_weights(target, source, layer, direction):
    """Copy one layer/direction of ``source`` into the layer-0 forward weights of ``target``."""
    for name, p in target.named_parameters():
        p.data[...] = getattr(source, name + suffix(layer, direction)).data


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-5, atol=1e-6)


def test_constructor_arguments_follow_pytorchs_order_and_defaults():
    import inspect
    assert list(inspect.signature(RNN).parameters) == [
        "input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first",
        "dropout", "bidirectional", "device", "dtype", "rng"]
    assert list(inspect.signature(LSTM).parameters) == [
        "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
        "bidirectional", "proj_size", "device", "dtype", "rng"]
    lstm = LSTM(4, 5, 2)
    assert (lstm.num_layers, lstm.dropout, lstm.bidirectional, lstm.proj_size) == (2, 0.0, False, 0)
    assert lstm.weight_ih_l1.shape == (20, 5)
    rnn = RNN(4, 5, 3, "relu", False, True, 0.25, True)
    assert (rnn.num_layers, rnn.nonlinearity, rnn.bias, rnn.batch_first, rnn.dropout,
            rnn.bidirectional) == (3, "relu", False, True, 0.25, True)


def test_two_layer_rnn_equals_two_single_layers_chained():
    rnn = RNN(3, 4, 2, rng=0)
    first, second = RNN(3, 4), RNN(4, 4)
    copy_weights(first, rnn, 0, 0)
    copy_weights(second, rnn, 1, 0)
    x, h0 = f32(5, 2, 3), f32(2, 2, 4)
    out, h_n = rnn(Tensor(x), Tensor(h0))
    mid, h_first = first(Tensor(x), Tensor(h0[:1]))
    expected, h_second = second(mid, Tensor(h0[1:]))
    assert out.shape == (5, 2, 4) and h_n.shape == (2, 2, 4)
    close(out.numpy(), expected.numpy())
    close(h_n.numpy(), np.concatenate([h_first.numpy(), h_second.numpy()]))
    assert not np.allclose(h_first.numpy(), h_second.numpy())


def test_two_layer_lstm_equals_two_single_layers_chained():
    lstm = LSTM(3, 4, 2, batch_first=True, rng=1)
    first, second = LSTM(3, 4, batch_first=True), LSTM(4, 4, batch_first=True)
    copy_weights(first, lstm, 0, 0)
    copy_weights(second, lstm, 1, 0)
    x = f32(2, 5, 3)
    out, (h_n, c_n) = lstm(Tensor(x))
    mid, (h1, c1) = first(Tensor(x))
    expected, (h2, c2) = second(mid)
    close(out.numpy(), expected.numpy())
    close(h_n.numpy(), np.concatenate([h1.numpy(), h2.numpy()]))
    close(c_n.numpy(), np.concatenate([c1.numpy(), c2.numpy()]))


def test_bidirectional_reverse_half_is_a_forward_run_over_the_flipped_sequence():
    rnn = RNN(3, 4, bidirectional=True, rng=2)
    forward, backward = RNN(3, 4), RNN(3, 4)
    copy_weights(forward, rnn, 0, 0)
    copy_weights(backward, rnn, 0, 1)
    x, h0 = f32(6, 2, 3), f32(2, 2, 4)
    out, h_n = rnn(Tensor(x), Tensor(h0))
    out_f, h_f = forward(Tensor(x), Tensor(h0[:1]))
    out_b, h_b = backward(Tensor(x[::-1].copy()), Tensor(h0[1:]))
    assert out.shape == (6, 2, 8) and h_n.shape == (2, 2, 4)
    close(out.numpy()[..., :4], out_f.numpy())
    close(out.numpy()[..., 4:], out_b.numpy()[::-1])
    close(h_n.numpy(), np.concatenate([h_f.numpy(), h_b.numpy()]))
    close(h_n.numpy()[1], out.numpy()[0, :, 4:])  # the reverse direction ends at t = 0


@pytest.mark.parametrize("batch_first", [False, True])
def test_stacked_bidirectional_lstm_matches_reference_and_state_layout(batch_first):
    lstm = LSTM(3, 4, 3, batch_first=batch_first, bidirectional=True, rng=3).eval()
    x, h0, c0 = f32(5, 2, 3), f32(6, 2, 4), f32(6, 2, 4)
    given = x.transpose(1, 0, 2) if batch_first else x
    out, (h_n, c_n) = lstm(Tensor(given), (Tensor(h0), Tensor(c0)))
    expected, h_exp, c_exp = stacked_reference(lstm, x, h0, c0, lstm_step)
    assert lstm.weight_ih_l1.shape == lstm.weight_ih_l2_reverse.shape == (16, 8)
    close(out.numpy(), expected.transpose(1, 0, 2) if batch_first else expected)
    assert h_n.shape == c_n.shape == (6, 2, 4)  # (num_layers * directions, N, H), never batch-first
    close(h_n.numpy(), h_exp)
    close(c_n.numpy(), c_exp)


@pytest.mark.parametrize("nonlinearity, fn",
                         [("tanh", np.tanh), ("relu", lambda z: np.maximum(z, 0))])
def test_stacked_bidirectional_rnn_matches_reference_without_bias(nonlinearity, fn):
    rnn = RNN(2, 3, 2, nonlinearity, bias=False, bidirectional=True, rng=4)
    x = f32(4, 3, 2)
    out, h_n = rnn(Tensor(x))
    expected, h_exp, _ = stacked_reference(rnn, x, np.zeros((4, 3, 3)),
                                           step=lambda *a: rnn_step(*a, fn=fn))
    close(out.numpy(), expected)
    close(h_n.numpy(), h_exp)


def test_unbatched_stacked_bidirectional_input_and_state():
    lstm = LSTM(3, 4, 2, bidirectional=True, proj_size=2, rng=5)
    x, h0, c0 = f32(5, 3), f32(4, 2), f32(4, 4)
    out, (h_n, c_n) = lstm(Tensor(x), (Tensor(h0), Tensor(c0)))
    assert out.shape == (5, 4) and h_n.shape == (4, 2) and c_n.shape == (4, 4)
    batched, (hb, cb) = lstm(Tensor(x[:, None]), (Tensor(h0[:, None]), Tensor(c0[:, None])))
    close(out.numpy(), batched.numpy()[:, 0])
    close(h_n.numpy(), hb.numpy()[:, 0])
    close(c_n.numpy(), cb.numpy()[:, 0])


def test_projection_shapes_and_values():
    lstm = LSTM(3, 5, 2, proj_size=2, rng=6)
    assert lstm.weight_hr.shape == lstm.weight_hr_l1.shape == (2, 5)
    assert lstm.weight_hh.shape == (20, 2) and lstm.weight_ih_l1.shape == (20, 2)
    x, h0, c0 = f32(4, 2, 3), f32(2, 2, 2), f32(2, 2, 5)
    out, (h_n, c_n) = lstm(Tensor(x), (Tensor(h0), Tensor(c0)))
    assert out.shape == (4, 2, 2) and h_n.shape == (2, 2, 2) and c_n.shape == (2, 2, 5)
    expected, h_exp, c_exp = stacked_reference(lstm, x, h0, c0, lstm_step)
    close(out.numpy(), expected)
    close(h_n.numpy(), h_exp)
    close(c_n.numpy(), c_exp)


# The parameters of PyTorch 2's LSTM(3, 4, 2, bidirectional=True, proj_size=2), in its order.
PYTORCH_LSTM_PARAMETERS = [
    ("weight_ih_l0", (16, 3)), ("weight_hh_l0", (16, 2)), ("bias_ih_l0", (16,)),
    ("bias_hh_l0", (16,)), ("weight_hr_l0", (2, 4)),
    ("weight_ih_l0_reverse", (16, 3)), ("weight_hh_l0_reverse", (16, 2)),
    ("bias_ih_l0_reverse", (16,)), ("bias_hh_l0_reverse", (16,)), ("weight_hr_l0_reverse", (2, 4)),
    ("weight_ih_l1", (16, 4)), ("weight_hh_l1", (16, 2)), ("bias_ih_l1", (16,)),
    ("bias_hh_l1", (16,)), ("weight_hr_l1", (2, 4)),
    ("weight_ih_l1_reverse", (16, 4)), ("weight_hh_l1_reverse", (16, 2)),
    ("bias_ih_l1_reverse", (16,)), ("bias_hh_l1_reverse", (16,)), ("weight_hr_l1_reverse", (2, 4)),
]


def test_state_dict_names_are_pytorchs_up_to_the_layer0_suffix():
    lstm = LSTM(3, 4, 2, bidirectional=True, proj_size=2, rng=0)
    state = lstm.state_dict()
    assert list(state)[:5] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"]
    assert list(state)[5:7] == ["weight_ih_reverse", "weight_hh_reverse"]
    assert [(pytorch_name(k), v.shape) for k, v in state.items()] == PYTORCH_LSTM_PARAMETERS
    rnn = RNN(3, 4, 2, bias=False, bidirectional=True)
    assert list(rnn.state_dict()) == ["weight_ih", "weight_hh", "weight_ih_reverse",
                                      "weight_hh_reverse", "weight_ih_l1", "weight_hh_l1",
                                      "weight_ih_l1_reverse", "weight_hh_l1_reverse"]


def test_every_parameter_of_a_stacked_net_is_uniform_in_one_over_sqrt_hidden():
    lstm = LSTM(3, 16, 2, bidirectional=True, proj_size=4, rng=0)
    bound = 1 / math.sqrt(16)
    for name, p in lstm.named_parameters():
        values = p.numpy().ravel()
        assert np.abs(values).max() <= bound, name
        assert np.abs(values).max() > 0.8 * bound, name
    first = LSTM(3, 16, 2, bidirectional=True, proj_size=4, rng=0)
    assert all(np.array_equal(a.numpy(), b.numpy())
               for a, b in zip(lstm.parameters(), first.parameters()))


def test_load_state_dict_accepts_pytorchs_layer0_names_also_when_nested():
    from nn.module import Sequential
    source = LSTM(3, 4, 2, bidirectional=True, proj_size=2, rng=0)
    pytorch_state = {pytorch_name(k): v.numpy() for k, v in source.state_dict().items()}
    target = LSTM(3, 4, 2, bidirectional=True, proj_size=2, rng=1)
    target.load_state_dict(pytorch_state)
    for (name, a), b in zip(target.named_parameters(), source.parameters()):
        assert np.array_equal(a.numpy(), b.numpy()), name
    model, other = Sequential(RNN(3, 4, rng=2)), RNN(3, 4, rng=3)
    model.load_state_dict({"0." + pytorch_name(k): v for k, v in other.state_dict().items()})
    np.testing.assert_array_equal(model[0].weight_hh.numpy(), other.weight_hh.numpy())
    # our own names still load, and a name given twice leaves the alias unexpected
    target.load_state_dict(source.state_dict())
    doubled = {**source.state_dict(), "weight_ih_l0": source.weight_ih.numpy()}
    with pytest.raises(KeyError, match="unexpected keys 'weight_ih_l0'"):
        target.load_state_dict(doubled)
    with pytest.raises(KeyError, match="missing keys 'weight_hr_l1'"):
        target.load_state_dict({k: v for k, v in pytorch_state.items() if k != "weight_hr_l1"})


def test_dropout_is_off_in_eval_mode_and_skips_the_last_layer():
    rnn = RNN(3, 4, 2, dropout=1.0, rng=0)
    plain = RNN(3, 4, 2)
    plain.load_state_dict(rnn.state_dict())
    x = Tensor(f32(5, 2, 3))
    close(rnn.eval()(x)[0].numpy(), plain(x)[0].numpy())
    out, h_n = rnn.train()(x)
    # with p = 1 the second layer sees zeros, and its own output is not dropped
    second = RNN(4, 4)
    copy_weights(second, rnn, 1, 0)
    expected, h_second = second(Tensor(np.zeros((5, 2, 4), np.float32)))
    close(out.numpy(), expected.numpy())
    assert np.abs(out.numpy()).min() > 0
    close(h_n.numpy()[0], plain(x)[1].numpy()[0])  # layer 0's final state is not dropped
    close(h_n.numpy()[1], h_second.numpy()[0])


def test_dropout_masks_are_reproducible_with_rng():
    x = Tensor(f32(5, 2, 3))
    a, b = LSTM(3, 4, 3, dropout=0.5, rng=7), LSTM(3, 4, 3, dropout=0.5, rng=7)
    first = a(x)[0].numpy()
    np.testing.assert_array_equal(first, b(x)[0].numpy())
    assert not np.allclose(first, a(x)[0].numpy())  # a fresh mask at every call
    assert not np.allclose(first, a.eval()(x)[0].numpy())


def test_dropout_with_one_layer_warns_and_does_nothing():
    with pytest.warns(UserWarning, match="num_layers"):
        rnn = RNN(3, 4, dropout=0.5, rng=0)
    x = Tensor(f32(5, 2, 3))
    close(rnn(x)[0].numpy(), rnn.eval()(x)[0].numpy())


@pytest.mark.parametrize("kwargs, message", [
    (dict(dropout=1.5), r"dropout.*\[0, 1\].*1\.5"),
    (dict(dropout=-0.1), r"dropout.*-0\.1"),
    (dict(dropout="0.1"), r"dropout.*'0\.1'"),
    (dict(num_layers=0), r"num_layers.*0"),
    (dict(hidden_size=0), r"hidden_size.*0"),
    (dict(proj_size=4), r"proj_size.*smaller than hidden_size.*proj_size=4.*hidden_size=4"),
    (dict(proj_size=-1), r"proj_size.*-1"),
])
def test_invalid_arguments_name_the_argument_and_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LSTM(**{"input_size": 3, "hidden_size": 4, **kwargs})


def test_nonlinearity_given_third_is_rejected_as_num_layers():
    with pytest.raises(TypeError, match=r"num_layers must be an int, got 'relu'"):
        RNN(3, 4, "relu")  # PyTorch's order: num_layers comes third


def test_state_shape_errors_for_stacked_and_projected_nets():
    x = Tensor(np.zeros((5, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"hx has shape \(1, 2, 4\), expected \(4, 2, 4\)"):
        RNN(3, 4, 2, bidirectional=True)(x, Tensor(np.zeros((1, 2, 4), np.float32)))
    h, c = np.zeros((2, 2, 2), np.float32), np.zeros((2, 2, 2), np.float32)
    with pytest.raises(ValueError, match=r"c_0 has shape \(2, 2, 2\), expected \(2, 2, 4\)"):
        LSTM(3, 4, 2, proj_size=2)(x, (Tensor(h), Tensor(c)))
    with pytest.raises(ValueError, match=r"h_0 has shape \(2, 2, 4\), expected \(2, 2, 2\)"):
        LSTM(3, 4, 2, proj_size=2)(x, (Tensor(np.zeros((2, 2, 4))), Tensor(np.zeros((2, 2, 4)))))


def test_stacked_reprs_match_pytorch():
    assert repr(LSTM(3, 4, 2, batch_first=True, dropout=0.5, bidirectional=True, proj_size=2)) == (
        "LSTM(3, 4, proj_size=2, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)")
    assert repr(RNN(3, 4, 2, bias=False)) == "RNN(3, 4, num_layers=2, bias=False)"


def test_stacked_bidirectional_gradcheck():
    lstm = LSTM(2, 2, 2, bidirectional=True, proj_size=1, rng=0)
    x, h0, c0 = (RNG.standard_normal(s) for s in [(3, 1, 2), (4, 1, 1), (4, 1, 2)])
    assert module_gradcheck(lstm, x, h0, c0, call=_flat_lstm)
    rnn = RNN(2, 2, 2, bidirectional=True, batch_first=True, rng=1)
    x, h0 = RNG.standard_normal((1, 3, 2)), RNG.standard_normal((4, 1, 2))
    assert module_gradcheck(rnn, x, h0, call=_flat_rnn)


def test_pytorch_layer_zero_attribute_names_read_the_parameters():
    lstm = LSTM(2, 3, bidirectional=True)
    assert lstm.bias_ih_l0 is lstm.bias_ih
    assert lstm.weight_hh_l0_reverse is lstm.weight_hh_reverse
    lstm.bias_ih_l0.data[3:6] = 1.0  # PyTorch's forget-gate idiom
    np.testing.assert_array_equal(lstm.bias_ih.data[3:6], 1.0)
    lstm.flatten_parameters()
    with pytest.raises(AttributeError, match="no attribute 'weight_ih_l1'"):
        lstm.weight_ih_l1
    import copy
    import pickle
    assert copy.deepcopy(lstm).bias_ih_l0.shape == (12,)
    assert pickle.loads(pickle.dumps(lstm)).weight_ih.shape == (12, 2)


def test_assigning_a_pytorch_layer_zero_name_sets_the_parameter():
    from nn.module import Parameter
    lstm = LSTM(2, 3)
    lstm.bias_ih_l0 = Parameter(np.full(12, 5.0, np.float32))
    assert [n for n, _ in lstm.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih",
                                                       "bias_hh"]
    np.testing.assert_array_equal(lstm.bias_ih.data, 5.0)


def test_the_time_loop_pauses_the_cycle_collector_and_restores_it(monkeypatch):
    """Its full passes scanned the whole growing graph: half of a 1,600-step forward."""
    import gc
    seen = []
    cell = LSTM._cell
    monkeypatch.setattr(LSTM, "_cell", lambda *args: seen.append(gc.isenabled()) or cell(*args))
    lstm = LSTM(2, 3)
    x = Tensor(np.ones((300, 1, 2), np.float32))
    assert gc.isenabled()
    lstm(x)
    assert seen == [False] * 300 and gc.isenabled()
    seen.clear()
    lstm(x[:10])  # a short loop leaves the process's collector alone
    assert seen == [True] * 10
    gc.disable()
    try:
        lstm(x)
        assert not gc.isenabled()  # left off, as the caller had it
    finally:
        gc.enable()


def _reference_gru(x, h, w_ih, w_hh, b_ih, b_hh):
    """PyTorch's GRU equations for one layer and direction, in NumPy: outputs and last h."""
    H = w_hh.shape[1]
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    outputs = []
    for x_t in x:
        gi, gh = x_t @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])  # b_hn inside the reset gate's product
        h = (1 - z) * n + z * h
        outputs.append(h)
    return np.stack(outputs), h


@pytest.mark.parametrize("with_h0", [False, True])
def test_gru_matches_pytorchs_equations_and_its_gradients_check(with_h0):
    rng = np.random.default_rng(0)
    gru = nn.GRU(3, 4, dtype=np.float64, rng=0)
    x = rng.standard_normal((5, 2, 3))
    h0 = rng.standard_normal((1, 2, 4)) if with_h0 else np.zeros((1, 2, 4))
    out, h_n = gru(Tensor(x), Tensor(h0) if with_h0 else None)
    expected, last = _reference_gru(x, h0[0], *(p.data for p in gru.parameters()))
    np.testing.assert_allclose(out.data, expected, atol=1e-14)
    np.testing.assert_allclose(h_n.data[0], last, atol=1e-14)
    weights = rng.standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    for param in (gru.bias_hh, gru.weight_hh):  # b_hn and W_hn sit inside r's product
        for index in [(9,), (11,)] if param.ndim == 1 else [(9, 1), (11, 3)]:
            saved = param.data[index]
            values = []
            for step in (1e-6, -1e-6):
                param.data[index] = saved + step
                values.append((_reference_gru(x, h0[0], *(p.data for p in gru.parameters()))[0]
                               * weights).sum())
            param.data[index] = saved
            assert param.grad.data[index] == pytest.approx((values[0] - values[1]) / 2e-6,
                                                            rel=1e-6)


def test_gru_layers_directions_and_names_are_rnns():
    gru = nn.GRU(3, 8, 2, batch_first=True, bidirectional=True, rng=0)
    out, h_n = gru(Tensor(np.zeros((4, 5, 3), np.float32)))
    assert out.shape == (4, 5, 16) and h_n.shape == (4, 4, 8)
    assert gru.weight_ih.shape == (24, 3) and gru.weight_hh_l1_reverse.shape == (24, 8)
    assert repr(gru) == "GRU(3, 8, num_layers=2, batch_first=True, bidirectional=True)"
    small = nn.GRU(2, 3, num_layers=2, bidirectional=True, dtype=np.float64, rng=1)
    x = np.random.default_rng(2).standard_normal((3, 1, 2))
    assert gradcheck(lambda t: small(t)[0], [x])
