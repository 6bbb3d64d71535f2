"""Helpers shared by the example scripts: options, progress, plots, training and evaluation.

Every example builds its command line with :func:`make_parser` (``--quick``, ``--out DIR``,
``--seed``, ``--epochs``, ``--threads``) and :func:`parse_args`, trains with :func:`train_epoch`, measures with
:func:`accuracy`, shows progress with :func:`progress` (tqdm when installed, plain lines
otherwise) and writes pictures with :func:`save_plot`. A script imports it as ``from common import
...`` (Python puts the script's folder first on ``sys.path``).

>>> parser = make_parser("demo", "A demo.", epochs=5)
>>> args = parse_args(parser, ["--quick", "--out", "/tmp/demo-run"])
>>> args.quick, args.epochs, args.out.name
(True, 5, 'demo-run')
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

import autodiff
from autodiff import Tensor
from nn.optim import clip_grad_norm_

__all__ = [
    "make_parser", "parse_args", "limit_blas_threads", "progress", "pyplot", "save_plot", "predict", "accuracy",
    "train_epoch", "report",
]


def make_parser(name, description, epochs=10, seed=0,
                seed_help="random seed for initialization and shuffling",
                epochs_help="training epochs"):
    """An ``ArgumentParser`` with the options every example shares.

    ``--quick`` (a reduced run of a few seconds, used by the tests), ``--out DIR`` (where every
    file is written; default ``runs/<name>``), ``--seed`` and ``--epochs`` (``seed_help`` and
    ``epochs_help`` say what they mean to the script). ``description`` is the script's
    docstring: it is shown verbatim by ``--help``. Add script-specific options to the returned
    parser, then call :func:`parse_args`.
    """
    parser = argparse.ArgumentParser(
        prog=f"python examples/{name}.py", description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true",
                        help="a reduced run that takes a few seconds (used by the tests)")
    parser.add_argument("--out", type=Path, default=Path("runs") / name, metavar="DIR",
                        help="folder for every file the example writes (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=seed,
                        help=f"{seed_help} (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"{epochs_help} (default: {epochs}; fewer with --quick)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (default: %(default)s; the examples' small matrix "
                             "products run fastest on one)")
    parser.set_defaults(default_epochs=epochs)
    return parser


def parse_args(parser, argv=None):
    """Parse ``argv`` (default ``sys.argv[1:]``), create ``args.out`` and seed the generators.

    ``args.epochs`` becomes the parser's default when not given (the script scales it down for
    ``--quick`` itself, where it knows what a reduced run means); ``args.out`` is a ``Path``.
    ``autodiff.manual_seed(args.seed)`` makes initialization and shuffling reproducible, and
    the BLAS thread pool is limited to ``args.threads``.
    """
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = args.default_epochs
    elif args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")
    args.out = Path(args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    autodiff.manual_seed(args.seed)
    limit_blas_threads(args.threads)
    return args


def limit_blas_threads(threads):
    """Cap NumPy's BLAS thread pool (needs threadpoolctl; without it, a no-op).

    The examples multiply small matrices, where waking BLAS threads costs more than it saves,
    and on a busy machine spinning threads slow everything down (5x measured on 2 cores).
    """
    try:
        from threadpoolctl import threadpool_limits  # optional: the `examples` extra
    except ImportError:
        return
    threadpool_limits(limits=threads, user_api="blas")


class _PlainProgress:
    """The part of tqdm's interface the examples use, printing a line per step (throttled)."""

    def __init__(self, iterable, desc, total):
        self.iterable = iterable
        self.desc = desc
        self.total = total if total is not None else _length(iterable)
        self.postfix = ""
        self.every = max(1, (self.total or 1) // 10)
        self.start = time.perf_counter()

    def set_postfix(self, **values):
        """Show ``values`` (e.g. ``loss=0.31``) after the step count."""
        self.postfix = ", ".join(f"{k}={_fmt(v)}" for k, v in values.items())

    def __iter__(self):
        for i, item in enumerate(self.iterable, 1):
            yield item
            if i % self.every == 0 or i == self.total:
                total = f"/{self.total}" if self.total else ""
                elapsed = time.perf_counter() - self.start
                print(f"{self.desc} {i}{total} [{elapsed:.1f}s] {self.postfix}".rstrip(),
                      flush=True)

    def close(self):
        """Nothing to close; here so that both kinds of bar can be closed alike."""


def _length(iterable):
    try:
        return len(iterable)
    except TypeError:
        return None


def _fmt(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def progress(iterable, desc="", total=None):
    """Wrap ``iterable`` in a progress bar: tqdm's when installed, else plain printed lines.

    The result iterates like ``iterable`` and has ``set_postfix(**values)`` to show the
    latest loss or accuracy next to the bar. When stdout is not a terminal (a log, a pipe, a
    test) the plain lines are used too, about ten per loop.
    """
    try:
        from tqdm import tqdm  # optional: the `examples` extra installs it
    except ImportError:
        tqdm = None
    if tqdm is None or not sys.stdout.isatty():
        # a bar redrawn with carriage returns is unreadable in a log file or a pipe
        return _PlainProgress(iterable, desc, total)
    return tqdm(iterable, desc=desc, total=total, file=sys.stdout, dynamic_ncols=True,
                mininterval=0.5)


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend: pictures go to files, no window is needed."""
    import matplotlib  # optional: the `examples` extra installs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_plot(fig, path):
    """Save the matplotlib figure ``fig`` to ``path`` (PNG by its suffix), close it, say where."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    print(f"saved {path}")
    return path


def predict(model, X, batch_size=512):
    """The model's outputs on the array ``X`` as one ndarray, in eval mode and without a graph.

    The model's train/eval mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    outputs = []
    with autodiff.no_grad():
        for start in range(0, len(X), batch_size):
            outputs.append(model(Tensor(np.asarray(X[start:start + batch_size]))).numpy())
    model.train(was_training)
    return np.concatenate(outputs, axis=0)


def accuracy(model, X, y, batch_size=512):
    """The fraction of rows of ``X`` whose highest-scoring class (the argmax) equals ``y``."""
    predictions = predict(model, X, batch_size).argmax(axis=-1)
    return float(np.mean(predictions == np.asarray(y)))


def train_epoch(model, loader, loss_fn, optimizer, max_norm=None):
    """One pass over ``loader`` in train mode; returns the mean loss over the samples seen.

    Each batch is ``(inputs, targets)``: ``loss_fn(model(inputs), targets)`` is minimized by
    ``optimizer``; with ``max_norm`` the gradients are clipped first (``clip_grad_norm_``).
    """
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        if max_norm is not None:
            clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        total += loss.item() * len(inputs.data)
        count += len(inputs.data)
    return total / count


def report(name, value):
    """Print ``name: value`` with four decimals: the stable line the tests parse."""
    print(f"{name}: {value:.4f}", flush=True)
