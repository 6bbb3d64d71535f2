"""PyTorch CPU eager equivalents of the NumPy baselines: an optional column of the tables.

Only the benchmark scripts import this module, and only after `harness.torch_or_none()` found
PyTorch installed; nothing in `autodiff/` or `nn/` depends on it. Each builder copies the
weights of a `numpy_baselines` model, so all columns start from the same parameters.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn as tnn
import torch.nn.functional as F

__all__ = ["torch_mlp", "torch_cnn", "make_step"]


def _copy_params(module: "tnn.Module", arrays: list[np.ndarray]) -> None:
    """Overwrite `module`'s parameters, in order, with `arrays` (PyTorch layouts)."""
    params = list(module.parameters())
    if len(params) != len(arrays):
        raise ValueError(f"{len(params)} torch parameters but {len(arrays)} arrays to copy")
    with torch.no_grad():
        for p, q in zip(params, arrays):
            p.copy_(torch.from_numpy(np.ascontiguousarray(q)))


def torch_mlp(np_model) -> "tnn.Sequential":
    """The `MLPBaseline`'s network (Linear-ReLU-...-Linear) with its weights."""
    sizes = [np_model.params[0].shape[1]] + [w.shape[0] for w in np_model.params[::2]]
    layers: list[tnn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(tnn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(tnn.ReLU())
    model = tnn.Sequential(*layers)
    _copy_params(model, np_model.params)
    return model


def torch_cnn(np_model) -> "tnn.Sequential":
    """The `CNNBaseline`'s network (two conv-ReLU-pool blocks, Linear) with its weights."""
    c1, c_in, k, _ = np_model.params[0].shape
    c2 = np_model.params[2].shape[0]
    classes, flat = np_model.params[4].shape
    pad = k // 2
    model = tnn.Sequential(
        tnn.Conv2d(c_in, c1, k, padding=pad), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(c1, c2, k, padding=pad), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(flat, classes),
    )
    _copy_params(model, np_model.params)
    return model


def make_step(model: "tnn.Module", x: np.ndarray, y: np.ndarray, lr: float = 0.01) -> Callable:
    """A zero-argument training step: zero_grad, cross-entropy, backward, SGD; returns the loss."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    return step
