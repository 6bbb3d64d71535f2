"""Where an MLP step's time goes: each phase of the step timed inside real steps.

`bench_mlp` says how much slower than the hand-written NumPy floor a whole step is; this script
says in which phase. Every step of both sides is timed phase by phase with
`time.perf_counter`: forward (with ``zero_grad``), loss, backward, update, and freeing (dropping
the step's graph or arrays). Steps run in interleaved blocks (20 of ours, 20 of the floor's,
...), after a warm-up, at 1 BLAS thread; the table gives each phase's median in microseconds
and our excess over the floor. The rest of the step runs untimed around each phase, so caches
are as they are in training: on real sizes the engine's Python runs slower than on tiny arrays,
because every large matrix product evicts the interpreter's code and objects. ``--tiny`` runs a
4-4-4-2 network, where the arrays cost almost nothing, to show the Python alone. Run from the
repository root::

    python -m benchmarks.bench_phases [--batches 32 128 512] [--steps 600] [--tiny]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

if not __package__:  # run as a plain script (python benchmarks/x.py): make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_mlp
from benchmarks.harness import environment, limit_threads, reexec_with_malloc_tunables
from benchmarks.numpy_baselines import MLPBaseline, _sgd, softmax_cross_entropy

PHASES = ("forward", "loss", "backward", "update", "free")
TINY = (4, 4, 4, 2)


def _floor_step(model: MLPBaseline, x: np.ndarray, y: np.ndarray):
    """The floor's step, returning (loss, seconds per phase)."""
    clock = time.perf_counter
    t0 = clock()
    acts = model._forward(x)
    t1 = clock()
    loss, g = softmax_cross_entropy(acts[-1], y)
    t2 = clock()
    grads = model._backward(acts, g)
    t3 = clock()
    _sgd(model.params, grads, model.lr)
    t4 = clock()
    del acts, g, grads
    t5 = clock()
    return loss, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)


def _ours_step(model, optimizer, x, y):
    """Our step (as `bench_mlp.ours_step`), returning (loss, seconds per phase)."""
    import nn.functional as F

    clock = time.perf_counter
    t0 = clock()
    optimizer.zero_grad()
    out = model(x)
    t1 = clock()
    loss = F.cross_entropy(out, y)
    t2 = clock()
    loss.backward()
    t3 = clock()
    optimizer.step()
    t4 = clock()
    value = loss.item()
    del loss, out
    t5 = clock()
    return value, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)


def phases(batch: int, sizes=bench_mlp.SIZES, steps: int = 600, block: int = 20, warmup: int = 20):
    """Median seconds per phase over ``steps`` steps of each side, and each side's first loss.

    Returns ``{"floor": {phase: s}, "autodiff": {phase: s}, "first losses": (floor, ours)}``.
    Both sides start from the same weights, so their first losses agree.
    """
    import nn
    from autodiff import Tensor

    rng = np.random.default_rng(0)
    x = rng.random((batch, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], size=batch)
    floor = MLPBaseline(sizes, lr=bench_mlp.LR)
    model = bench_mlp.ours_mlp(MLPBaseline(sizes, lr=bench_mlp.LR))
    optimizer = nn.optim.SGD(model.parameters(), lr=bench_mlp.LR)
    xt = Tensor(x)
    sides = {"floor": lambda: _floor_step(floor, x, y),
             "autodiff": lambda: _ours_step(model, optimizer, xt, y)}
    first = {name: step()[0] for name, step in sides.items()}
    for step in sides.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in sides}
    for _ in range(max(1, steps // block)):
        for name, step in sides.items():
            times[name].extend(step()[1] for _ in range(block))
    result = {name: dict(zip(PHASES, (statistics.median(column) for column in zip(*rows))))
              for name, rows in times.items()}
    result["first losses"] = (first["floor"], first["autodiff"])
    return result


def format_phases(result: dict, case: str) -> str:
    """A markdown table: phase, the floor's and our median microseconds, and the excess."""
    lines = [f"| {case} | floor us | autodiff us | excess us |", "|---|---:|---:|---:|"]
    totals = [0.0, 0.0]
    for phase in PHASES:
        floor, ours = result["floor"][phase] * 1e6, result["autodiff"][phase] * 1e6
        totals[0] += floor
        totals[1] += ours
        lines.append(f"| {phase} | {floor:.1f} | {ours:.1f} | {ours - floor:+.1f} |")
    lines.append(f"| sum of medians | {totals[0]:.1f} | {totals[1]:.1f} | "
                 f"{totals[1] - totals[0]:+.1f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--tiny", action="store_true", help="a 4-4-4-2 network: Python alone")
    args = parser.parse_args(argv)
    sizes = TINY if args.tiny else bench_mlp.SIZES
    print(environment())
    with limit_threads(1):
        for batch in args.batches:
            result = phases(batch, sizes, args.steps)
            name = "-".join(map(str, sizes))
            print()
            print(format_phases(result, f"MLP {name}, batch {batch}, 1 thread"))


if __name__ == "__main__":
    reexec_with_malloc_tunables()
    main()
