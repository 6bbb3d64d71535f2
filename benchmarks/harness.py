"""Interleaved timing, thread pinning and memory checks shared by the benchmark scripts.

Machines here are noisy and shared, so absolute times drift from run to run. What stays stable
is the ratio between implementations timed side by side: `compare` runs them interleaved in
blocks (A B C A B C ...), and for each block divides every implementation's time by the
reference's time from the same block; the median of those per-block ratios is the number the
targets are stated in.

Example (the reference is the first implementation unless named)::

    from benchmarks.harness import compare, format_table, thread_sweep
    rows = thread_sweep(lambda: compare({"numpy": f, "ours": g}, case="mlp b=128"))
    print(format_table(rows))

Python's garbage collector stays enabled while timing (unlike `timeit`): a design that makes
reference cycles should pay for collecting them, as it would in a real training loop.

glibc hands freed blocks above its mmap threshold back to the kernel, so a step that allocates
megabyte-sized arrays page-faults them in again on every call (a third of the CNN step here).
`reexec_with_malloc_tunables()` restarts the script once with the allocator told to keep them,
and `environment()` records it. It speeds up the NumPy columns (the floor and ours), not
PyTorch, which keeps its own memory: see "Allocator" in benchmarks/README.md.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping

__all__ = [
    "Result",
    "MemoryGrowth",
    "compare",
    "thread_sweep",
    "limit_threads",
    "format_table",
    "peak_memory",
    "memory_growth",
    "rss_bytes",
    "torch_or_none",
    "reexec_with_malloc_tunables",
    "environment",
]

MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"


@dataclass
class Result:
    """Timing of one implementation on one case.

    `seconds` is the median over blocks of the mean time per call within a block; `ratio` is the
    median over blocks of (this implementation's block time / the reference's block time), None
    for the reference itself; `block_seconds` keeps the raw per-call time of every block.
    """

    case: str
    name: str
    threads: int | None
    seconds: float
    ratio: float | None
    block_seconds: list[float] = field(default_factory=list)


def _time_block(fn: Callable[[], object], reps: int) -> float:
    """Mean seconds per call over `reps` back-to-back calls of `fn`."""
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps


def _calibrate(fns: Iterable[Callable[[], object]], block_seconds: float) -> int:
    """Repetitions per block so the slowest implementation takes about `block_seconds`."""
    slowest = max(_time_block(fn, 1) for fn in fns)
    return max(1, int(block_seconds / max(slowest, 1e-9)))


def compare(
    impls: Mapping[str, Callable[[], object]],
    *,
    case: str = "",
    reference: str | None = None,
    blocks: int = 15,
    reps: int | None = None,
    warmup: int = 3,
    block_seconds: float = 0.1,
) -> list[Result]:
    """Time zero-argument callables interleaved in blocks; return one `Result` per callable.

    Each implementation is called `warmup` times first (caches, allocator, BLAS buffers). Then
    `blocks` rounds run every implementation for `reps` calls in turn, rotating the starting
    implementation each round so none always runs first. `reps` defaults to what makes the
    slowest implementation take about `block_seconds` per block. Ratios are taken against
    `reference` (default: the first key) block by block, then the median over blocks.
    """
    if not impls:
        raise ValueError("compare() needs at least one implementation, got none")
    names = list(impls)
    reference = names[0] if reference is None else reference
    if reference not in impls:
        raise KeyError(f"reference {reference!r} is not among the implementations {names}")
    for fn in impls.values():
        for _ in range(warmup):
            fn()
    if reps is None:
        reps = _calibrate(impls.values(), block_seconds)
    times: dict[str, list[float]] = {name: [] for name in names}
    for block in range(blocks):
        shift = block % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(_time_block(impls[name], reps))
    ref_times = times[reference]
    return [
        Result(
            case=case,
            name=name,
            threads=None,
            seconds=statistics.median(times[name]),
            ratio=None
            if name == reference
            else statistics.median(t / r for t, r in zip(times[name], ref_times)),
            block_seconds=times[name],
        )
        for name in names
    ]


@contextlib.contextmanager
def limit_threads(n: int) -> Iterator[None]:
    """Pin BLAS/OpenMP pools to `n` threads (threadpoolctl), and PyTorch's if it is loaded."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    old_torch = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=n):
        if torch is not None:
            torch.set_num_threads(n)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(old_torch)


def thread_sweep(
    run: Callable[[], list[Result]], threads: Iterable[int] = (1, 2)
) -> list[Result]:
    """Call `run` (e.g. a `compare`) once per thread count under `limit_threads`; tag the rows."""
    rows: list[Result] = []
    for n in threads:
        with limit_threads(n):
            results = run()
        for r in results:
            r.threads = n
        rows.extend(results)
    return rows


def format_table(rows: Iterable[Result], unit: str = "ms") -> str:
    """A markdown table: threads, case, implementation, median time per call, ratio to floor."""
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
    lines = [
        f"| threads | case | implementation | median {unit}/call | ratio to reference |",
        "|---:|---|---|---:|---:|",
    ]
    for r in rows:
        ratio = "1.00 (ref)" if r.ratio is None else f"{r.ratio:.2f}x"
        threads = "" if r.threads is None else str(r.threads)
        lines.append(
            f"| {threads} | {r.case} | {r.name} | {r.seconds * scale:.3f} | {ratio} |"
        )
    return "\n".join(lines)


def peak_memory(fn: Callable[[], object], warmup: int = 1) -> int:
    """Peak bytes allocated while one call of `fn` runs (tracemalloc), after `warmup` calls.

    NumPy reports its data buffers to tracemalloc, so array memory is counted. Memory that
    existed before the measured call (weights, earlier results) is not; what the call returns
    is counted at its largest moment.
    """
    for _ in range(warmup):
        fn()
    gc.collect()
    already_tracing = tracemalloc.is_tracing()
    if not already_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not already_tracing:
            tracemalloc.stop()
    return peak - base


@dataclass
class MemoryGrowth:
    """Live traced bytes sampled after `gc.collect()` during `memory_growth`.

    `samples[i]` is the traced memory after `steps[i]` calls; `growth` is last minus first sample.
    """

    steps: list[int]
    samples: list[int]

    @property
    def growth(self) -> int:
        """Bytes still live at the end that were not live after warm-up."""
        return self.samples[-1] - self.samples[0]


def memory_growth(
    fn: Callable[[], object], calls: int = 1000, every: int = 100, warmup: int = 10
) -> MemoryGrowth:
    """Call `fn` `calls` times and sample live traced memory (after gc) every `every` calls.

    A training step that keeps nothing alive (no graph kept by a stray reference, no list that
    grows) shows `growth` near zero. Results of `fn` are dropped at once.
    """
    for _ in range(warmup):
        fn()
    already_tracing = tracemalloc.is_tracing()
    if not already_tracing:
        tracemalloc.start()
    try:
        fn()  # one traced call first, so state kept between calls (gradients) counts from the start
        gc.collect()
        steps, samples = [0], [tracemalloc.get_traced_memory()[0]]
        for i in range(1, calls + 1):
            fn()
            if i % every == 0 or i == calls:
                gc.collect()
                steps.append(i)
                samples.append(tracemalloc.get_traced_memory()[0])
    finally:
        if not already_tracing:
            tracemalloc.stop()
    return MemoryGrowth(steps, samples)


def rss_bytes() -> int:
    """Resident set size of this process in bytes (Linux /proc; a coarse cross-check)."""
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def torch_or_none():
    """PyTorch's module if installed, else None. Only benchmarks use it; never a requirement."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def reexec_with_malloc_tunables() -> None:
    """On Linux, restart this Python command once with `GLIBC_TUNABLES` set to `MALLOC_TUNABLES`.

    Call it first thing in a benchmark script. Does nothing if `GLIBC_TUNABLES` is already set
    (including by the restart itself) or off Linux. `python -m benchmarks.x` restarts the same way.
    """
    if sys.platform != "linux" or "GLIBC_TUNABLES" in os.environ:
        return
    env = dict(os.environ, GLIBC_TUNABLES=MALLOC_TUNABLES)
    os.execve(sys.executable, [sys.executable, *_command_line()], env)


def _command_line() -> list:
    """This Python command's arguments after the interpreter (``sys.orig_argv`` needs 3.10)."""
    if hasattr(sys, "orig_argv"):
        return sys.orig_argv[1:]
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    if spec is not None:  # started as python -m package.module
        return ["-m", spec.name, *sys.argv[1:]]
    return sys.argv


def environment() -> str:
    """One line naming the date, CPU, Python, NumPy, its BLAS and the allocator settings."""
    import numpy as np
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = ", ".join(
        f"{i['internal_api']} {i['version']} ({i.get('architecture', '?')})"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    )
    return (
        f"{datetime.date.today()} | {cpu}, {os.cpu_count()} logical CPUs | "
        f"Python {platform.python_version()} | NumPy {np.__version__} | BLAS {blas or 'unknown'} | "
        f"GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', 'unset')}"
    )
