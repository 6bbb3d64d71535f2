"""Scalar engine: micrograd's demo training step, and a 1,000,000-operation chain.

The step is micrograd's `demo.ipynb`: `MLP(2, [16, 16, 1])` on 100 two-moons points (labels
-1/+1), the max-margin loss ``mean(relu(1 - y * score))`` plus an L2 penalty ``1e-4 * sum(p*p)``,
zero_grad, backward and the SGD update, full batch. The same code runs on this project's
`autodiff.Value` (`nn.scalar.MLP`) and on micrograd (`pip install micrograd`) when it is
installed; both start from the same weights. The chain is ``y = y * a + b`` repeated until it
holds 1,000,000 operations, built and then backpropagated (micrograd's recursive topological
sort cannot walk it). Run from the repository root::

    python -m benchmarks.bench_scalar [--blocks 5] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import sys
import time
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
)

SIZES = (16, 16, 1)
POINTS = 100
ALPHA = 1e-4
LR = 0.1
CHAIN_OPS = 1_000_000


def micrograd_or_none():
    """micrograd's (engine, nn) modules if installed, else None. Only this benchmark uses it."""
    try:
        from micrograd import engine, nn
    except ImportError:
        return None
    return engine, nn


def moons(seed: int = 1) -> tuple[list[list[float]], list[float]]:
    """micrograd's demo data: 100 two-moons points with noise 0.1, labels -1 or +1."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=POINTS, noise=0.1, random_state=seed)
    return x.tolist(), (2.0 * y - 1.0).tolist()


def demo_step(model, value_type, x, y):
    """One micrograd-demo training step on any micrograd-compatible engine; returns the loss."""

    def step():
        inputs = [[value_type(v) for v in row] for row in x]
        scores = [model(row) for row in inputs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= LR * p.grad
        return total.data

    return step


def models():
    """(this project's model, micrograd's model or None), with the same weights."""
    import random

    from nn.scalar import MLP

    ours = MLP(2, list(SIZES), rng=random.Random(0))
    found = micrograd_or_none()
    if found is None:
        return ours, None
    theirs = found[1].MLP(2, list(SIZES))
    for p, q in zip(theirs.parameters(), ours.parameters()):
        p.data = q.data
    return ours, theirs


def implementations() -> dict:
    """The steps to compare: micrograd (the reference) when installed, then autodiff.Value."""
    from autodiff import Value

    x, y = moons()
    ours, theirs = models()
    impls = {}
    if theirs is not None:
        impls["micrograd"] = demo_step(theirs, micrograd_or_none()[0].Value, x, y)
    impls["autodiff.Value"] = demo_step(ours, Value, x, y)
    return impls


def chain_seconds(ops: int = CHAIN_OPS) -> tuple[float, float]:
    """Seconds to build a chain of `ops` Value operations, and to backpropagate through it."""
    from autodiff import Value

    start = time.perf_counter()
    x = Value(0.5)
    y = x
    for _ in range(ops // 2):
        y = y * 0.999999 + 1e-6
    built = time.perf_counter()
    y.backward()
    done = time.perf_counter()
    if not np.isfinite(x.grad):
        raise RuntimeError(f"chain gradient is not finite: {x.grad}")
    return built - start, done - built


def run(blocks: int = 5, threads=(1, 2)) -> list:
    """The demo step at every thread count; rows for `format_table`."""
    impls = implementations()
    return thread_sweep(
        lambda: compare(impls, case="micrograd demo step", blocks=blocks, warmup=1,
                        block_seconds=0.0),
        threads,
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chain", type=int, default=CHAIN_OPS, help="operations in the chain")
    args = parser.parse_args(argv)
    print(environment())
    if micrograd_or_none() is None:
        print("micrograd is not installed (pip install micrograd): no reference column")
    print()
    rows = run(args.blocks, tuple(args.threads))
    print(format_table(rows))
    for r in rows:
        if r.ratio:
            print(f"\n{r.threads} thread(s): {r.name} is {1 / r.ratio:.0f}x faster than micrograd "
                  f"per step (median of the per-block ratios)")
    build, backward = chain_seconds(args.chain)
    print()
    print(f"| chain of {args.chain:,} Value ops | build {build:.2f} s "
          f"| backward {backward:.2f} s |")


if __name__ == "__main__":
    reexec_with_malloc_tunables()
    main()
