"""CNN training step: two conv-ReLU-maxpool blocks and a Linear on (64, 1, 28, 28) float32.

Conv2d(1, 16, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Conv2d(16, 32, 3, padding=1) -> ReLU ->
MaxPool2d(2) -> Flatten -> Linear(32*7*7, 10) -> cross-entropy, backward, SGD. Columns: the
hand-written NumPy im2col step (`numpy_baselines.CNNBaseline`, the reference), this project
(`nn` layers) and PyTorch CPU eager when it is installed. All start from the same weights.
Run from the repository root::

    python -m benchmarks.bench_cnn [--blocks 15] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

if not __package__:  # run as a plain script (python benchmarks/x.py): make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_mlp import ours_step
from benchmarks.harness import (
    Result,
    compare,
    environment,
    format_table,
    reexec_with_malloc_tunables,
    thread_sweep,
    torch_or_none,
)
from benchmarks.numpy_baselines import CNNBaseline

BATCH, SIZE, CLASSES = 64, 28, 10
LR = 0.01


def batch(size: int = BATCH, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 images (size, 1, 28, 28) in [0, 1) and int64 labels in 0..9."""
    rng = np.random.default_rng(seed)
    x = rng.random((size, 1, SIZE, SIZE), dtype=np.float32)
    y = rng.integers(0, CLASSES, size=size)
    return x, y


def ours_cnn(np_model: CNNBaseline):
    """This project's `nn.Sequential` CNN with the baseline's weights (PyTorch layouts)."""
    import nn

    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, CLASSES),
    )
    params = list(model.parameters())
    if [p.shape for p in params] != [q.shape for q in np_model.params]:
        raise ValueError("the nn CNN's parameters do not match the baseline's shapes")
    for p, q in zip(params, np_model.params):
        p.data = q.copy()
    return model


def implementations() -> dict:
    """The callables to compare, the NumPy floor first."""
    x, y = batch()
    floor = CNNBaseline(lr=LR)
    impls = {"numpy im2col (floor)": lambda: floor.step(x, y)}
    impls["autodiff"] = ours_step(ours_cnn(CNNBaseline(lr=LR)), x, y, lr=LR)
    torch = torch_or_none()
    if torch is not None:
        from benchmarks.torch_baselines import make_step, torch_cnn

        impls["pytorch"] = make_step(torch_cnn(CNNBaseline(lr=LR)), x, y, lr=LR)
    return impls


def run(blocks: int = 15, threads=(1, 2)) -> list:
    """The CNN step at every thread count; rows for `format_table`."""
    impls = implementations()
    rows = thread_sweep(
        lambda: compare(impls, case=f"CNN step, batch {BATCH}", blocks=blocks, block_seconds=0.3),
        threads,
    )
    return rows + torch_ratios(rows)


def torch_ratios(rows: list) -> list:
    """Extra rows: this project's time over PyTorch's, block by block (the 1.5x target)."""
    extra = []
    for threads in sorted({r.threads for r in rows}):
        by_name = {r.name: r for r in rows if r.threads == threads}
        ours, torch = by_name.get("autodiff"), by_name.get("pytorch")
        if ours is None or torch is None:
            continue
        ratio = statistics.median(a / b for a, b in zip(ours.block_seconds, torch.block_seconds))
        extra.append(Result(ours.case, "autodiff vs pytorch", threads, ours.seconds, ratio))
    return extra


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=15)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    print(environment())
    print()
    print(format_table(run(args.blocks, tuple(args.threads))))


if __name__ == "__main__":
    reexec_with_malloc_tunables()
    main()
