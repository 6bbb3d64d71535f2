"""MLP training step: 784-256-128-10 ReLU network, float32, softmax cross-entropy, SGD.

One step is zero_grad, forward, cross-entropy, backward and the SGD update, on batches of 32,
128 and 512 random inputs with random labels. Columns: the hand-written NumPy step
(`numpy_baselines.MLPBaseline`, the reference), this project (`nn.Sequential` of `nn.Linear`
and `nn.ReLU`, `F.cross_entropy`, `nn.optim.SGD`) and PyTorch CPU eager when it is installed.
All start from the same weights. Run from the repository root::

    python -m benchmarks.bench_mlp [--blocks 15] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

if not __package__:  # run as a plain script (python benchmarks/x.py): make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (
    compare,
    environment,
    format_table,
    reexec_with_malloc_tunables,
    thread_sweep,
    torch_or_none,
)
from benchmarks.numpy_baselines import MLPBaseline

SIZES = (784, 256, 128, 10)
BATCHES = (32, 128, 512)
LR = 0.01


def batch(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 inputs (size, 784) in [0, 1) and int64 labels in 0..9."""
    rng = np.random.default_rng(seed)
    x = rng.random((size, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], size=size)
    return x, y


def ours_mlp(np_model: MLPBaseline):
    """This project's `nn.Sequential` with the baseline's weights (and so its layer sizes)."""
    import nn
    from autodiff import Tensor

    weights = np_model.params[::2]  # (out, in) each
    layers = []
    for i, w in enumerate(weights):
        layers.append(nn.Linear(w.shape[1], w.shape[0]))
        if i < len(weights) - 1:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    for p, q in zip(model.parameters(), np_model.params):
        p.data = q.copy()
    assert all(isinstance(p, Tensor) for p in model.parameters())
    return model


def ours_step(model, x: np.ndarray, y: np.ndarray, lr: float = LR):
    """A zero-argument training step of `model` on (x, y); returns the loss."""
    import nn
    import nn.functional as F
    from autodiff import Tensor

    opt = nn.optim.SGD(model.parameters(), lr=lr)
    xt = Tensor(x)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def numpy_step(np_model: MLPBaseline, x: np.ndarray, y: np.ndarray):
    """The hand-written NumPy step as a zero-argument callable."""
    return lambda: np_model.step(x, y)


def implementations(size: int) -> dict:
    """The callables to compare at one batch size, the NumPy floor first."""
    x, y = batch(size)
    impls = {"numpy (floor)": numpy_step(MLPBaseline(SIZES, lr=LR), x, y)}
    impls["autodiff"] = ours_step(ours_mlp(MLPBaseline(SIZES, lr=LR)), x, y)
    torch = torch_or_none()
    if torch is not None:
        from benchmarks.torch_baselines import make_step, torch_mlp

        impls["pytorch"] = make_step(torch_mlp(MLPBaseline(SIZES, lr=LR)), x, y, lr=LR)
    return impls


def run(blocks: int = 15, threads=(1, 2), batches=BATCHES) -> list:
    """All cases at every thread count; rows for `format_table`."""
    rows = []
    for size in batches:
        impls = implementations(size)
        rows += thread_sweep(
            lambda: compare(impls, case=f"MLP step, batch {size}", blocks=blocks), threads
        )
    rows.sort(key=lambda r: r.threads)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=15)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batches", type=int, nargs="+", default=list(BATCHES))
    args = parser.parse_args(argv)
    print(environment())
    print()
    print(format_table(run(args.blocks, tuple(args.threads), tuple(args.batches))))


if __name__ == "__main__":
    reexec_with_malloc_tunables()
    main()
