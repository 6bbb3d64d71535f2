"""Overhead of the engine: per-op cost on tiny tensors, and the memory of an MLP step.

1. **Per op.** On (4, 4) float32 tensors, where NumPy's own work is a fraction of a microsecond,
   the time of one op is the engine's bookkeeping. For each op: the bare NumPy call, the op under
   `no_grad()` (dispatch only), the op recorded on a tensor that requires grad, and forward plus
   backward (`y.backward(g)`) against the same forward and backward written by hand in NumPy.
2. **Peak memory** of one MLP training step (`bench_mlp`'s model) against the hand-written NumPy
   step at each batch size: tracemalloc's peak during the call (weights excluded, see
   `harness.peak_memory`). Target: at most 1.3x.
3. **Memory growth** over 1,000 MLP training steps: live traced memory after `gc.collect()`,
   sampled every 100 steps. Target: no growth (a few hundred bytes are tracemalloc's own noise).

Run from the repository root::

    python -m benchmarks.bench_overhead [--blocks 15] [--threads 1 2] [--steps 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

if not __package__:  # run as a plain script (python benchmarks/x.py): make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_mlp
from benchmarks.harness import (
    compare,
    environment,
    format_table,
    memory_growth,
    peak_memory,
    reexec_with_malloc_tunables,
    rss_bytes,
    thread_sweep,
)
from benchmarks.numpy_baselines import MLPBaseline

SHAPE = (4, 4)


def _arrays(seed: int = 0):
    rng = np.random.default_rng(seed)
    return [rng.random(SHAPE, dtype=np.float32) + 0.5 for _ in range(3)]  # a, b, upstream grad


def op_cases():
    """(name, our op on Tensors, NumPy forward, NumPy forward+backward) per op.

    Each NumPy backward computes the same gradients the engine delivers (for both inputs of a
    binary op), so the last column compares like with like.
    """
    def np_add(a, b, g):
        return a + b, g.copy(), g.copy()

    def np_mul(a, b, g):
        return a * b, g * b, g * a

    def np_matmul(a, b, g):
        return a @ b, g @ b.T, a.T @ g

    def np_exp(a, b, g):
        out = np.exp(a)
        return out, g * out

    def np_relu(a, b, g):
        return np.maximum(a, 0), g * (a > 0)

    def np_sum(a, b, g):
        return a.sum(axis=1), np.broadcast_to(g[:, :1], a.shape).copy()

    return [
        ("add", lambda a, b: a + b, lambda a, b: a + b, np_add),
        ("mul", lambda a, b: a * b, lambda a, b: a * b, np_mul),
        ("matmul", lambda a, b: a @ b, lambda a, b: a @ b, np_matmul),
        ("exp", lambda a, b: a.exp(), lambda a, b: np.exp(a), np_exp),
        ("relu", lambda a, b: a.relu(), lambda a, b: np.maximum(a, 0), np_relu),
        ("sum(axis=1)", lambda a, b: a.sum(axis=1), lambda a, b: a.sum(axis=1), np_sum),
    ]


def op_rows(blocks: int) -> list:
    """Interleaved timings of every op case; the bare NumPy call is each case's reference."""
    from autodiff import Tensor, no_grad

    a, b, g = _arrays()
    rows = []
    for name, ours, np_forward, np_both in op_cases():
        const_a, const_b = Tensor(a), Tensor(b)
        var_a, var_b = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        upstream = np.ascontiguousarray(g[:, :1].reshape(-1)) if name.startswith("sum") else g

        def no_grad_call():
            with no_grad():
                return ours(const_a, const_b)

        def recorded_backward():
            var_a.grad = var_b.grad = None
            ours(var_a, var_b).backward(upstream)

        rows += compare(
            {
                "numpy": lambda: np_forward(a, b),
                "autodiff, no_grad": no_grad_call,
                "autodiff, recorded": lambda: ours(var_a, var_b),
                "numpy fwd+bwd by hand": lambda: np_both(a, b, g),
                "autodiff fwd+bwd": recorded_backward,
            },
            case=f"{name} on {SHAPE}",
            blocks=blocks,
            block_seconds=0.02,
        )
    return rows


def memory_rows(batches=bench_mlp.BATCHES) -> list[str]:
    """Markdown rows: peak bytes of one MLP step, ours and the NumPy floor's, per batch."""
    lines = [
        "| case | numpy floor peak KiB | autodiff peak KiB | ratio |",
        "|---|---:|---:|---:|",
    ]
    for size in batches:
        x, y = bench_mlp.batch(size)
        floor = peak_memory(bench_mlp.numpy_step(MLPBaseline(bench_mlp.SIZES), x, y), warmup=2)
        model = bench_mlp.ours_mlp(MLPBaseline(bench_mlp.SIZES))
        ours = peak_memory(bench_mlp.ours_step(model, x, y), warmup=2)
        lines.append(f"| MLP step, batch {size} | {floor / 1024:.0f} | {ours / 1024:.0f} | "
                     f"{ours / floor:.2f}x |")
    return lines


def growth_line(steps: int, size: int = 32) -> str:
    """One line: live memory after warm-up and after `steps` MLP steps, and the difference."""
    x, y = bench_mlp.batch(size)
    step = bench_mlp.ours_step(bench_mlp.ours_mlp(MLPBaseline(bench_mlp.SIZES)), x, y)
    every = max(1, steps // 10)
    for _ in range(10):  # warm-up before the resident size is read (memory_growth's own too)
        step()
    resident = rss_bytes() if os.path.exists("/proc/self/statm") else None
    growth = memory_growth(step, calls=steps, every=every)
    live = growth.samples
    samples = ", ".join(f"{s / 1024:.1f}" for s in live)
    line = (f"memory growth over {steps} MLP steps (batch {size}): {live[-1] - live[0]:+d} bytes "
            f"(live KiB every {every} steps: {samples})")
    if resident is not None:  # also sees what tracemalloc does not (BLAS buffers, the allocator)
        line += (f"; resident set size {rss_bytes() - resident:+d} bytes over the same steps "
                 f"(from {resident / 2**20:.1f} MiB)")
    return line


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=15)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=1000, help="steps of the growth check")
    args = parser.parse_args(argv)
    print(environment())
    print()
    print(format_table(thread_sweep(lambda: op_rows(args.blocks), tuple(args.threads)), unit="us"))
    print()
    print("\n".join(memory_rows()))
    print()
    print(growth_line(args.steps))


if __name__ == "__main__":
    reexec_with_malloc_tunables()
    main()
