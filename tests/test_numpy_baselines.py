"""The hand-written NumPy baselines compute the right losses and gradients (tiny float64 nets)."""

import numpy as np
import pytest

from benchmarks.numpy_baselines import CNNBaseline, MLPBaseline, softmax_cross_entropy


def numeric_gradients(model, x, y, eps=1e-6):
    """Central finite differences of `model.loss` for every entry of every parameter."""
    grads = []
    for p in model.params:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = model.loss(x, y)
            p[idx] = old - eps
            down = model.loss(x, y)
            p[idx] = old
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def tiny_mlp_batch(rng):
    return rng.normal(size=(7, 6)), rng.integers(0, 3, size=7)


def tiny_cnn_batch(rng):
    return rng.normal(size=(3, 2, 8, 8)), rng.integers(0, 4, size=3)


def tiny_cnn():
    return CNNBaseline(in_channels=2, size=8, c1=3, c2=4, classes=4, dtype=np.float64, seed=1)


def naive_conv_same(x, w, b):
    """Direct NCHW convolution (cross-correlation, zero 'same' padding), loops over positions."""
    n, c, h, wd = x.shape
    k = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (k // 2, k // 2), (k // 2, k // 2)))
    out = np.empty((n, w.shape[0], h, wd))
    for i in range(h):
        for j in range(wd):
            patch = xp[:, :, i : i + k, j : j + k]
            out[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w) + b
    return out


def naive_cnn_logits(model, x):
    w1, b1, w2, b2, w3, b3 = model.params

    def pool(a):
        n, c, h, w = a.shape
        return a.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))

    p1 = pool(np.maximum(naive_conv_same(x, w1, b1), 0))
    p2 = pool(np.maximum(naive_conv_same(p1, w2, b2), 0))
    return p2.reshape(len(x), -1) @ w3.T + b3  # PyTorch's (C, H, W) flatten order


def test_softmax_cross_entropy_value_and_gradient():
    logits = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]])
    y = np.array([2, 1])
    loss, g = softmax_cross_entropy(logits.copy(), y)
    p0 = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    assert loss == pytest.approx((-np.log(p0[2]) + 1000.0) / 2)
    np.testing.assert_allclose(g, np.array([[p0[0], p0[1], p0[2] - 1], [1, -1, 0]]) / 2, atol=1e-12)


def test_mlp_loss_matches_plain_formula():
    rng = np.random.default_rng(0)
    net = MLPBaseline((6, 5, 4, 3), dtype=np.float64, seed=3)
    x, y = tiny_mlp_batch(rng)
    w0, b0, w1, b1, w2, b2 = net.params
    h = np.maximum(np.maximum(x @ w0.T + b0, 0) @ w1.T + b1, 0)
    z = h @ w2.T + b2
    expected = np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(len(y)), y])
    assert net.loss(x, y) == pytest.approx(expected, rel=1e-12)


def test_mlp_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    net = MLPBaseline((6, 5, 4, 3), dtype=np.float64, seed=3)
    x, y = tiny_mlp_batch(rng)
    loss, grads = net.gradients(x, y)
    assert loss == pytest.approx(net.loss(x, y), rel=1e-12)
    for p, g, n in zip(net.params, grads, numeric_gradients(net, x, y)):
        assert g.shape == p.shape
        np.testing.assert_allclose(g, n, rtol=1e-5, atol=1e-8)


def test_mlp_init_is_seeded_and_float32_by_default():
    a, b = MLPBaseline(seed=5), MLPBaseline(seed=5)
    assert [p.shape for p in a.params] == [(256, 784), (256,), (128, 256), (128,), (10, 128), (10,)]
    assert all(p.dtype == np.float32 for p in a.params)
    assert all(np.array_equal(p, q) for p, q in zip(a.params, b.params))
    assert np.abs(a.params[0]).max() <= 1 / np.sqrt(784)
    assert not np.array_equal(a.params[0], MLPBaseline(seed=6).params[0])


def test_mlp_step_is_sgd_and_lowers_loss():
    rng = np.random.default_rng(1)
    net = MLPBaseline((6, 5, 4, 3), lr=0.1, dtype=np.float64, seed=3)
    x, y = tiny_mlp_batch(rng)
    before = [p.copy() for p in net.params]
    _, grads = net.gradients(x, y)
    first = net.step(x, y)
    for p, p0, g in zip(net.params, before, grads):
        np.testing.assert_allclose(p, p0 - 0.1 * g, rtol=1e-12, atol=1e-15)
    for _ in range(20):
        net.step(x, y)
    assert net.loss(x, y) < first - 0.05


def test_cnn_logits_match_direct_convolution():
    rng = np.random.default_rng(2)
    net = tiny_cnn()
    x, y = tiny_cnn_batch(rng)
    z = naive_cnn_logits(net, x)
    expected = np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(len(y)), y])
    assert net.loss(x, y) == pytest.approx(expected, rel=1e-12)


def test_cnn_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    net = tiny_cnn()
    x, y = tiny_cnn_batch(rng)
    loss, grads = net.gradients(x, y)
    assert loss == pytest.approx(net.loss(x, y), rel=1e-12)
    for p, g, n in zip(net.params, grads, numeric_gradients(net, x, y)):
        assert g.shape == p.shape
        np.testing.assert_allclose(g, n, rtol=1e-5, atol=1e-8)


def test_cnn_default_shapes_and_dtype():
    net = CNNBaseline()
    shapes = [(16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,), (10, 32 * 7 * 7), (10,)]
    assert [p.shape for p in net.params] == shapes
    x = np.random.default_rng(0).normal(size=(2, 1, 28, 28)).astype(np.float32)
    loss, grads = net.gradients(x, np.array([3, 7]))
    assert all(g.dtype == np.float32 for g in grads)
    assert [g.shape for g in grads] == shapes
    assert np.isfinite(loss) and loss > 0


def test_cnn_steps_lower_loss():
    rng = np.random.default_rng(4)
    net = CNNBaseline(in_channels=2, size=8, c1=3, c2=4, classes=4, lr=0.2, dtype=np.float64)
    x, y = tiny_cnn_batch(rng)
    first = net.step(x, y)
    for _ in range(20):
        net.step(x, y)
    assert net.loss(x, y) < first - 0.05


def test_cnn_rejects_bad_size():
    with pytest.raises(ValueError, match="size % 4"):
        CNNBaseline(size=30)
