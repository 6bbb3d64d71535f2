"""nn.init: fans, gains, distribution statistics, in-place filling and reproducibility."""
import math

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Tensor, no_grad
from nn import init
from nn.module import Parameter


def big(shape=(400, 300), dtype=np.float32):
    return Tensor(np.zeros(shape, dtype=dtype), requires_grad=True)


@pytest.mark.parametrize("shape, fans", [
    ((3, 5), (5, 3)),              # Linear weight (out, in)
    ((8, 4, 3, 3), (36, 72)),      # Conv2d weight (out, in, kh, kw)
    ((6, 2, 5), (10, 30)),         # Conv1d weight
    ((1, 1), (1, 1)),
])
def test_fans(shape, fans):
    assert init._calculate_fan_in_and_fan_out(Tensor(np.zeros(shape))) == fans


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions \(shape \(5,\)\)"):
        init._calculate_fan_in_and_fan_out(Tensor(np.zeros(5)))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(Tensor(np.zeros(5)))


@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", 0, math.sqrt(2)),
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
])
def test_calculate_gain(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity softsign"):
        init.calculate_gain("softsign")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def assert_uniform(values, bound):
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound  # the whole interval is used
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert abs(values.mean()) < 0.02 * bound


def assert_normal(values, std, mean=0.0):
    assert values.std() == pytest.approx(std, rel=0.02)
    assert abs(values.mean() - mean) < 0.02 * std
    assert np.abs(values - mean).max() > 3 * std  # not a bounded distribution


def test_xavier_uniform_bound():
    t = big()
    init.xavier_uniform_(t, gain=2.0)
    assert_uniform(t.data, 2.0 * math.sqrt(6 / (300 + 400)))


def test_xavier_normal_std():
    t = big((64, 32, 3, 3))
    init.xavier_normal_(t, gain=init.calculate_gain("tanh"))
    assert_normal(t.data, 5 / 3 * math.sqrt(2 / (32 * 9 + 64 * 9)))


@pytest.mark.parametrize("a, mode, nonlinearity, fan, gain", [
    (0, "fan_in", "leaky_relu", 300, math.sqrt(2)),
    (0, "fan_out", "relu", 400, math.sqrt(2)),
    (math.sqrt(5), "fan_in", "leaky_relu", 300, math.sqrt(1 / 3)),  # PyTorch's Linear default
    (0, "Fan_Out", "linear", 400, 1.0),
])
def test_kaiming_uniform_bound(a, mode, nonlinearity, fan, gain):
    t = big()
    init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    assert_uniform(t.data, gain * math.sqrt(3 / fan))


def test_kaiming_uniform_with_sqrt5_is_pytorchs_one_over_sqrt_fan_in():
    t = big((128, 784))
    init.kaiming_uniform_(t, a=math.sqrt(5))
    assert np.abs(t.data).max() <= 1 / math.sqrt(784)


def test_kaiming_normal_std():
    t = big((50, 40, 3, 3))
    init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")
    assert_normal(t.data, math.sqrt(2) / math.sqrt(50 * 9))


def test_kaiming_mode_must_be_fan_in_or_fan_out():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(big(), mode="fan_avg")


def test_plain_fillers():
    t = big()
    init.uniform_(t, -3.0, -1.0)
    assert t.data.min() >= -3.0 and t.data.max() < -1.0
    assert t.data.mean() == pytest.approx(-2.0, abs=0.02)
    init.normal_(t, mean=5.0, std=0.5)
    assert_normal(t.data, 0.5, mean=5.0)
    np.testing.assert_array_equal(init.zeros_(t).data, 0.0)
    np.testing.assert_array_equal(init.ones_(t).data, 1.0)
    np.testing.assert_array_equal(init.constant_(t, -0.25).data, -0.25)


@pytest.mark.parametrize("fill", [
    lambda t: init.xavier_uniform_(t), lambda t: init.xavier_normal_(t),
    lambda t: init.kaiming_uniform_(t), lambda t: init.kaiming_normal_(t),
    lambda t: init.uniform_(t), lambda t: init.normal_(t), init.zeros_, init.ones_,
    lambda t: init.constant_(t, 0.5),
], ids=["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "uniform",
        "normal", "zeros", "ones", "constant"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fills_in_place_keeping_identity_and_dtype(fill, dtype):
    t = big((6, 5), dtype=dtype)
    t.data[...] = 7.0
    data = t.data
    assert fill(t) is t
    assert t.data is data and t.dtype == dtype and t.requires_grad
    assert not np.any(t.data == 7.0)


def test_fills_plain_ndarrays_too():
    array = np.zeros((4, 3))
    assert init.xavier_uniform_(array, rng=0) is array
    assert np.abs(array).max() > 0


def test_manual_seed_makes_runs_reproducible():
    autodiff.manual_seed(123)
    first = init.kaiming_uniform_(big((20, 10))).data.copy()
    second = init.kaiming_uniform_(big((20, 10))).data.copy()
    autodiff.manual_seed(123)
    np.testing.assert_array_equal(init.kaiming_uniform_(big((20, 10))).data, first)
    np.testing.assert_array_equal(init.kaiming_uniform_(big((20, 10))).data, second)
    assert not np.array_equal(first, second)


def test_rng_keyword_takes_a_generator_or_a_seed_and_leaves_the_global_one_alone():
    autodiff.manual_seed(0)
    expected_global = autodiff.default_generator().bit_generator.state
    a = init.xavier_normal_(big((8, 8)), rng=np.random.default_rng(5)).data
    b = init.xavier_normal_(big((8, 8)), rng=5).data
    np.testing.assert_array_equal(a, b)
    assert autodiff.default_generator().bit_generator.state == expected_global


def test_zero_element_tensor_is_a_no_op_with_a_warning():
    t = Tensor(np.zeros((0, 3)))
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        assert init.kaiming_uniform_(t) is t


def test_non_array_input_is_rejected():
    with pytest.raises(TypeError, match="fills a Tensor or an ndarray, got list"):
        init.zeros_([1.0, 2.0])


# ----- an init writes as an in-place op ---------------------------------------------------
def _square_sum_graph():
    p = Parameter(np.ones(3, np.float32))
    return p, (p * p).sum()  # d/dp = 2 * p, read from the saved values of p


@pytest.mark.parametrize("fill", [
    lambda t: init.zeros_(t),
    lambda t: init.constant_(t, 3.0),
    lambda t: init.normal_(t, rng=0),
    lambda t: init.uniform_(t, -1, 1, rng=0),
])
def test_backward_through_a_graph_recorded_before_init_raises_as_pytorch(fill):
    # PyTorch: "one of the variables needed for gradient computation has been modified by an
    # inplace operation". Currently: the gradient is silently computed from the new values
    # (zeros_ gives grad 0 instead of 2).
    p, loss = _square_sum_graph()
    fill(p)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_reinitialized_linear_weight_is_caught_like_load_state_dict():
    layer = nn.Linear(3, 2, rng=0)
    x = Tensor(np.ones((1, 3), np.float32), requires_grad=True)
    out = layer(x).sum()  # dx reads the weight
    init.kaiming_normal_(layer.weight, rng=1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.backward()


def test_init_keeps_identity_dtype_and_values():
    p = Parameter(np.zeros((4, 5), np.float32))
    array = p.data
    assert init.xavier_uniform_(p, rng=0) is p
    assert p.data is array and p.dtype == np.float32 and p.requires_grad
    expected = np.random.default_rng(0).uniform(-np.sqrt(6 / 9), np.sqrt(6 / 9), size=(4, 5))
    np.testing.assert_allclose(p.data, expected.astype(np.float32))
    init.constant_(p, 2.5)
    np.testing.assert_array_equal(p.data, 2.5)
    # a fresh graph after the init backpropagates normally
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.data, 5.0)


def test_init_of_a_plain_ndarray_still_works():
    a = np.zeros((3, 3))
    assert init.ones_(a) is a and a.sum() == 9


# ----- PyTorch's other initializers: orthogonal_, trunc_normal_, eye_ -------------------------

@pytest.mark.parametrize("shape", [(3, 5), (6, 2), (4, 2, 3, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_gain(shape):
    w = Tensor(np.zeros(shape, np.float32))
    assert init.orthogonal_(w, gain=2.0, rng=0) is w
    m = w.data.reshape(shape[0], -1).astype(np.float64)
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(Tensor(np.zeros(3)))


def test_trunc_normal_stays_in_its_bounds_with_the_truncated_spread():
    w = Tensor(np.zeros(200_000))
    init.trunc_normal_(w, mean=1.0, std=0.5, a=0.0, b=2.0, rng=0)
    assert w.data.min() >= 0.0 and w.data.max() <= 2.0
    # N(1, 0.5) cut at +-2 standard deviations: standard deviation 0.5 * 0.8796
    assert w.data.std() == pytest.approx(0.5 * 0.8796, rel=1e-2)
    assert w.data.mean() == pytest.approx(1.0, abs=5e-3)
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(w, a=1.0, b=1.0)


def test_eye_fills_the_identity_of_any_2d_shape():
    w = Tensor(np.full((2, 3), 7.0))
    init.eye_(w)
    np.testing.assert_array_equal(w.data, np.eye(2, 3))


@pytest.mark.parametrize("a, b", [(6.0, 7.0), (-40.0, -39.0), (5.0, 5.5)])
def test_trunc_normal_far_in_a_tail_returns_values_inside_the_bounds(a, b):
    """Drawing again until a value fell inside never ended for bounds 5 std out."""
    w = Tensor(np.zeros(10_000))
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        nn.init.trunc_normal_(w, a=a, b=b, rng=0)
    assert a <= w.data.min() and w.data.max() <= b
    # the truncated normal crowds the bound nearer the mean
    near = a if a > 0 else b
    assert abs(np.median(w.data) - near) < abs(np.median(w.data) - (b if a > 0 else a))


def test_trunc_normal_moments_match_the_truncated_normal():
    w = Tensor(np.zeros(200_000))
    nn.init.trunc_normal_(w, mean=0.5, std=2.0, a=-1.0, b=3.0, rng=1)
    lo, hi = (-1.0 - 0.5) / 2.0, (3.0 - 0.5) / 2.0
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    mass = cdf(hi) - cdf(lo)
    mean = 0.5 + 2.0 * (pdf(lo) - pdf(hi)) / mass
    assert abs(w.data.mean() - mean) < 0.01  # standard error about 0.003
    with pytest.raises(ValueError, match="std must be positive"):
        nn.init.trunc_normal_(w, std=0.0)


@pytest.mark.parametrize("fill", [nn.init.uniform_, nn.init.normal_, nn.init.kaiming_uniform_,
                                  nn.init.xavier_normal_, nn.init.trunc_normal_,
                                  nn.init.orthogonal_])
def test_random_fills_refuse_integer_and_bool_tensors(fill):
    """NumPy truncated the draws: kaiming_uniform_ gave -1, 0, 1 and normal_ zeros."""
    for dtype in (np.int64, np.bool_):
        with pytest.raises(TypeError, match="fills floating-point tensors"):
            fill(np.zeros((4, 3), dtype=dtype))


def test_trunc_normal_beyond_37_std_stays_inside_a_narrow_interval_without_piling_up():
    """The exponential tail ignored the far bound: clipping piled 67% of draws onto it."""
    w = np.zeros(100_000)
    with pytest.warns(UserWarning):
        nn.init.trunc_normal_(w, a=-40.0, b=-39.99, rng=0)
    assert -40.0 <= w.min() and w.max() <= -39.99 and (w == -40.0).mean() < 0.001
    rate, width = 39.99, 0.01  # the truncated exponential's mean below b
    offset = 1 / rate - width * np.exp(-rate * width) / (1 - np.exp(-rate * width))
    assert abs(w.mean() - (-39.99 - offset)) < 1e-4


def test_trunc_normal_quantiles_are_taken_a_chunk_at_a_time(monkeypatch):
    """Whole-tensor float64 temporaries took 14x a 64 MB tensor's memory; chunks give the
    same values as one pass."""
    from nn import init as init_module
    draws = np.random.default_rng(0).uniform(1e-12, 1 - 1e-12, 5000)
    whole = init_module._normal_quantile(draws.copy())
    monkeypatch.setattr(init_module, "_QUANTILE_CHUNK", 7)
    np.testing.assert_array_equal(init_module._normal_quantile(draws.copy()), whole)
    from statistics import NormalDist
    expected = np.array([NormalDist().inv_cdf(p) for p in draws])
    np.testing.assert_allclose(whole, expected, rtol=2e-9, atol=1e-12)  # Acklam: 1.2e-9
    w = nn.Parameter(np.zeros((40, 50), np.float32))
    nn.init.trunc_normal_(w, mean=1.0, std=2.0, a=-3.0, b=0.5, rng=3)
    assert -3.0 <= w.numpy().min() and w.numpy().max() <= 0.5 and w.dtype == np.float32
