"""Hand-written NumPy training steps: the floor any NumPy-based engine is measured against.

Two models, each a class whose weights use PyTorch's layouts (Linear `W (out, in)`, `b (out,)`;
Conv2d `W (out, in, kh, kw)`), PyTorch's default initialisation (uniform in +-1/sqrt(fan_in) for
weights and biases, i.e. kaiming_uniform with a=sqrt(5)) drawn from a seeded generator:

- `MLPBaseline`: Linear-ReLU-...-Linear, softmax cross-entropy (mean over the batch, integer
  labels), full backward, SGD update in place.
- `CNNBaseline`: Conv2d(3x3, same padding) -> ReLU -> MaxPool2d(2), twice, -> Linear, then the
  same loss and update. Activations are NHWC inside. A convolution is im2col (a strided window
  view copied once) and one matrix product; its input gradient is one batched product (a block
  per kernel offset) and a col2im scatter-add that loops over the kh*kw offsets only.

`gradients(x, y) -> (loss, grads)` returns the loss and one gradient per entry of `params`
without touching the weights; `step(x, y) -> loss` does the same and applies SGD.

The code is written to be fast, not pretty: float32 end to end, in-place operations where they
save a pass over memory, BLAS handling transposes without copies, layouts chosen so elementwise
work runs over long contiguous rows, no gradient for the network's input. Every layer is still
computed on its own, as an autodiff engine computes it (no fusing ReLU into max-pooling, no
folding the learning rate into the loss gradient, no buffers kept between steps), so the ratio
to this floor measures an engine's overhead, not a different algorithm.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["MLPBaseline", "CNNBaseline", "softmax_cross_entropy"]


def _uniform_init(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, dtype):
    """PyTorch's default Linear/Conv2d init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of `logits (B, K)` against integer labels `y (B,)`, and d loss/d logits.

    Overwrites `logits` (it becomes the gradient), which the callers no longer need.
    """
    batch = logits.shape[0]
    rows = np.arange(batch)
    logits -= logits.max(axis=1, keepdims=True)
    picked = logits[rows, y]
    np.exp(logits, out=logits)
    sums = logits.sum(axis=1)
    loss = float(np.mean(np.log(sums) - picked))
    logits /= sums[:, None] * batch
    logits[rows, y] -= 1.0 / batch
    return loss, logits


def _sgd(params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
    """p -= lr * g for every pair, in place, without a temporary (the gradients are scaled)."""
    for p, g in zip(params, grads):
        g *= lr
        p -= g


class MLPBaseline:
    """A ReLU multilayer perceptron trained by hand-written NumPy.

    `sizes` lists the layer widths from input to output, e.g. (784, 256, 128, 10). `params`
    is `[W0, b0, W1, b1, ...]` with `Wi` of shape (out, in).

    >>> net = MLPBaseline((4, 3, 2), seed=0)
    >>> x = np.ones((5, 4), np.float32); y = np.array([0, 1, 0, 1, 1])
    >>> net.step(x, y) > 0
    True
    """

    def __init__(self, sizes=(784, 256, 128, 10), lr: float = 0.01, dtype=np.float32, seed=0):
        if len(sizes) < 2:
            raise ValueError(f"MLPBaseline needs at least input and output sizes, got {sizes}")
        rng = np.random.default_rng(seed)
        self.lr = lr
        self.params: list[np.ndarray] = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            self.params.append(_uniform_init(rng, (n_out, n_in), n_in, dtype))
            self.params.append(_uniform_init(rng, (n_out,), n_in, dtype))

    def _forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Activations [x, h1, ..., logits]; hidden ones are already ReLU'd."""
        acts = [x]
        n_layers = len(self.params) // 2
        for i in range(n_layers):
            w, b = self.params[2 * i], self.params[2 * i + 1]
            h = acts[-1] @ w.T
            h += b
            if i < n_layers - 1:
                np.maximum(h, 0, out=h)
            acts.append(h)
        return acts

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy of the network on `x (B, in)` with integer labels `y (B,)`."""
        return softmax_cross_entropy(self._forward(x)[-1], y)[0]

    def gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Loss and one gradient per entry of `params` (same order and shapes); no update."""
        acts = self._forward(x)
        loss, g = softmax_cross_entropy(acts[-1], y)
        return loss, self._backward(acts, g)

    def _backward(self, acts: list[np.ndarray], g: np.ndarray) -> list[np.ndarray]:
        """One gradient per entry of `params`, from the activations and d loss/d logits `g`."""
        n_layers = len(self.params) // 2
        grads: list[np.ndarray] = [None] * len(self.params)  # type: ignore[list-item]
        for i in reversed(range(n_layers)):
            h_in = acts[i]
            grads[2 * i] = g.T @ h_in
            grads[2 * i + 1] = g.sum(axis=0)
            if i > 0:  # no gradient for the network's input
                g = g @ self.params[2 * i]
                g *= h_in > 0
        return grads

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One SGD step on the batch; returns the loss before the update."""
        loss, grads = self.gradients(x, y)
        _sgd(self.params, grads, self.lr)
        return loss


def _pad_nhwc(x: np.ndarray, pad: int) -> np.ndarray:
    """Zero-pad the two spatial axes of an (N, H, W, C) array."""
    if pad == 0:
        return x
    n, h, w, c = x.shape
    out = np.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=x.dtype)
    out[:, pad:-pad, pad:-pad, :] = x
    return out


def _im2col(xp: np.ndarray, k: int) -> np.ndarray:
    """Rows of (kh, kw, C) patches, shape (N*H'*W', k*k*C), from padded NHWC `xp`."""
    n, hp, wp, c = xp.shape
    windows = sliding_window_view(xp, (k, k), axis=(1, 2))  # (N, H', W', C, kh, kw), a view
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * (hp - k + 1) * (wp - k + 1), k * k * c)


def _col2im(dcols: np.ndarray, shape: tuple[int, int, int, int], pad: int) -> np.ndarray:
    """Adjoint of `_im2col`: scatter-add patch gradients back to an (N, H, W, C) input gradient.

    `dcols (kh, kw, N*H'*W', C)` holds one contiguous block per kernel offset (see
    `CNNBaseline._input_grad`), so each of the kh*kw additions runs over long contiguous rows.
    """
    n, h, w, c = shape
    kh, kw = dcols.shape[:2]
    dxp = np.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=dcols.dtype)
    hout, wout = h + 2 * pad - kh + 1, w + 2 * pad - kw + 1
    d = dcols.reshape(kh, kw, n, hout, wout, c)
    for i in range(kh):
        for j in range(kw):
            dxp[:, i : i + hout, j : j + wout, :] += d[i, j]
    return dxp[:, pad : pad + h, pad : pad + w, :]


def _maxpool2(a: np.ndarray) -> np.ndarray:
    """2x2 stride-2 max-pooling of NHWC `a` (H and W even), via a reshape.

    Two elementwise maxima over halves of a reshaped view: much faster than `.max(axis=(2, 4))`,
    whose reduction runs over short strided axes.
    """
    n, h, w, c = a.shape
    rows = a.reshape(n, h // 2, 2, w // 2, 2 * c)
    m = np.maximum(rows[:, :, 0], rows[:, :, 1])
    return np.maximum(m[..., :c], m[..., c:])


def _maxpool2_backward(a: np.ndarray, pooled: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Route `g` to the maxima of each window (exact ties each receive the full gradient).

    `pooled` and `g` are repeated along W once, so the comparison and product broadcast over
    the two window rows only and run over contiguous rows of W*C elements.
    """
    n, h, w, c = a.shape
    p_wide = np.repeat(pooled, 2, axis=2).reshape(n, h // 2, 1, w * c)
    g_wide = np.repeat(g, 2, axis=2).reshape(n, h // 2, 1, w * c)
    out = np.equal(a.reshape(n, h // 2, 2, w * c), p_wide).astype(a.dtype)
    out *= g_wide
    return out.reshape(n, h, w, c)


def _add_channel_bias(out: np.ndarray, b: np.ndarray) -> None:
    """out += b over the last axis of NHWC `out`, in place, as one long contiguous addition."""
    n = out.shape[0]
    flat = out.reshape(n, -1)
    flat += np.tile(b, flat.shape[1] // b.size)


def _channel_sum(g: np.ndarray) -> np.ndarray:
    """Sum of NHWC `g` over N, H, W (the bias gradient); summing N first keeps rows long."""
    c = g.shape[-1]
    return g.reshape(g.shape[0], -1).sum(axis=0).reshape(-1, c).sum(axis=0)


class CNNBaseline:
    """Conv-ReLU-Pool, Conv-ReLU-Pool, Linear; trained by hand-written NumPy (im2col).

    Input is NCHW `(N, in_channels, size, size)` like PyTorch; internally activations are NHWC
    so each convolution is one (N*H*W, k*k*C) @ (k*k*C, C_out) product with no transposes.
    `params` is `[W1, b1, W2, b2, W3, b3]` in PyTorch layouts; `W3 (classes, c2*(size/4)**2)`
    reads the flattened features in PyTorch's (C, H, W) order. `size` must be divisible by 4.
    """

    def __init__(
        self,
        in_channels: int = 1,
        size: int = 28,
        c1: int = 16,
        c2: int = 32,
        classes: int = 10,
        kernel: int = 3,
        lr: float = 0.01,
        dtype=np.float32,
        seed: int = 0,
    ):
        if size % 4 or kernel % 2 == 0:
            raise ValueError(f"CNNBaseline needs size % 4 == 0 and an odd kernel, got {size}, {kernel}")
        rng = np.random.default_rng(seed)
        self.lr, self.k, self.pad = lr, kernel, kernel // 2
        self.c2, self.out_hw = c2, size // 4
        k2 = kernel * kernel
        flat = c2 * self.out_hw**2
        self.params = [
            _uniform_init(rng, (c1, in_channels, kernel, kernel), in_channels * k2, dtype),
            _uniform_init(rng, (c1,), in_channels * k2, dtype),
            _uniform_init(rng, (c2, c1, kernel, kernel), c1 * k2, dtype),
            _uniform_init(rng, (c2,), c1 * k2, dtype),
            _uniform_init(rng, (classes, flat), flat, dtype),
            _uniform_init(rng, (classes,), flat, dtype),
        ]

    def _conv(self, x: np.ndarray, w: np.ndarray, b: np.ndarray):
        """Same-padded conv of NHWC `x`; returns (output NHWC, im2col matrix)."""
        n, h, wd, _ = x.shape
        cols = _im2col(_pad_nhwc(x, self.pad), self.k)
        wmat = w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)  # rows in (kh, kw, C) order
        out = (cols @ wmat.T).reshape(n, h, wd, w.shape[0])
        _add_channel_bias(out, b)
        return out, cols

    def _input_grad(self, g: np.ndarray, w: np.ndarray, in_shape) -> np.ndarray:
        """d input (NHWC) of a same-padded conv from its output gradient `g` (NHWC).

        One batched product gives the patch gradients as one (N*H*W, C_in) block per kernel
        offset, the layout `_col2im` adds fastest.
        """
        c_out, c_in, kh, kw = w.shape
        w_offsets = w.transpose(2, 3, 0, 1).reshape(kh * kw, c_out, c_in)
        dcols = np.matmul(g.reshape(-1, c_out), w_offsets)  # (kh*kw, N*H*W, C_in)
        return _col2im(dcols.reshape(kh, kw, -1, c_in), in_shape, self.pad)

    def _w3_hwc(self) -> np.ndarray:
        """The Linear weight with columns permuted from (C, H, W) to (H, W, C) order."""
        w3 = self.params[4]
        hw = self.out_hw
        return w3.reshape(-1, self.c2, hw, hw).transpose(0, 2, 3, 1).reshape(w3.shape[0], -1)

    def _forward(self, x: np.ndarray) -> dict:
        """Everything the backward pass needs, keyed by name; `logits` last."""
        w1, b1, w2, b2, _, b3 = self.params
        x = x.transpose(0, 2, 3, 1)  # NCHW -> NHWC view; copied once by im2col
        a1, cols1 = self._conv(x, w1, b1)
        np.maximum(a1, 0, out=a1)
        p1 = _maxpool2(a1)
        a2, cols2 = self._conv(p1, w2, b2)
        np.maximum(a2, 0, out=a2)
        p2 = _maxpool2(a2)
        flat = p2.reshape(p2.shape[0], -1)
        w3 = self._w3_hwc()
        logits = flat @ w3.T
        logits += b3
        return dict(a1=a1, cols1=cols1, p1=p1, a2=a2, cols2=cols2, p2=p2, flat=flat, w3=w3,
                    logits=logits)

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy on NCHW `x` with integer labels `y (N,)`."""
        return softmax_cross_entropy(self._forward(x)["logits"], y)[0]

    def _conv_weight_grads(self, g: np.ndarray, cols: np.ndarray, w_shape) -> tuple:
        """d weight (PyTorch layout) and d bias of a conv, from its output gradient `g` NHWC."""
        c_out, c_in, k, _ = w_shape
        gm = g.reshape(-1, c_out)
        dwmat = gm.T @ cols  # (C_out, kh*kw*C_in)
        dw = dwmat.reshape(c_out, k, k, c_in).transpose(0, 3, 1, 2)
        return np.ascontiguousarray(dw), _channel_sum(g)

    def gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Loss and one gradient per entry of `params` (same order and shapes); no update."""
        f = self._forward(x)
        loss, g = softmax_cross_entropy(f["logits"], y)
        n = g.shape[0]
        hw = self.out_hw
        # Linear, its weight gradient permuted back to (C, H, W) column order.
        dw3 = (g.T @ f["flat"]).reshape(-1, hw, hw, self.c2).transpose(0, 3, 1, 2)
        dw3 = np.ascontiguousarray(dw3).reshape(g.shape[1], -1)
        db3 = g.sum(axis=0)
        gp2 = (g @ f["w3"]).reshape(n, hw, hw, self.c2)
        # Pool 2, ReLU 2, conv 2.
        ga2 = _maxpool2_backward(f["a2"], f["p2"], gp2)
        ga2 *= f["a2"] > 0
        dw2, db2 = self._conv_weight_grads(ga2, f["cols2"], self.params[2].shape)
        gp1 = self._input_grad(ga2, self.params[2], f["p1"].shape)
        # Pool 1, ReLU 1, conv 1 (no gradient for the network's input).
        ga1 = _maxpool2_backward(f["a1"], f["p1"], gp1)
        ga1 *= f["a1"] > 0
        dw1, db1 = self._conv_weight_grads(ga1, f["cols1"], self.params[0].shape)
        return loss, [dw1, db1, dw2, db2, dw3, db3]

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One SGD step on the batch; returns the loss before the update."""
        loss, grads = self.gradients(x, y)
        _sgd(self.params, grads, self.lr)
        return loss
