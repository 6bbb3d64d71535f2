"""Draw computation graphs with autodiff.viz.draw_graph and write them as SVG files.

Three pictures, from small to large:

1. ``neuron.svg``: micrograd's single neuron ``tanh(x1*w1 + x2*w2 + b)`` on scalar Values, after
   ``backward()``. ``x2`` is 0, so ``w2`` gets no gradient: it is drawn orange.
2. ``mlp_loss.svg``: the loss graph of ``Sequential(Linear(4, 8), ReLU(), Linear(8, 1))`` on a
   batch of iris flowers, drawn before ``backward()``: every op shows its output's shape, values
   and gradient, parameters carry their names from ``named_parameters()`` (``0.weight``), and
   edges are shaded by the gradient flowing back along them.
3. ``cnn_collapsed.svg``: a small CNN on 8x8 digits with each layer folded into one box
   (``collapse=True``), next to ``cnn_first_nodes.svg``, the same graph op by op, capped with
   ``max_nodes``.

Run: ``python examples/draw_graphs.py`` (it writes to ``runs/draw_graphs``; ``--png`` also
writes PNGs, ``--quick`` uses tiny batches). Rendering needs Graphviz's ``dot`` program.
"""
import argparse
from pathlib import Path

import graphviz

import numpy as np
from sklearn.datasets import load_digits, load_iris

import autodiff
import nn
from autodiff import Tensor, Value
from autodiff.viz import draw_graph, record_modules


def neuron_graph():
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b), after backward()."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return draw_graph(o)


def mlp_graph(batch):
    """An MLP's loss on iris (is it virginica?), drawn before backward with named parameters."""
    autodiff.manual_seed(0)
    iris = load_iris()
    features = (iris.data - iris.data.mean(axis=0)) / iris.data.std(axis=0)
    rows = np.random.default_rng(0).permutation(len(features))[:batch]
    x = Tensor(features[rows].astype(np.float32))
    y = Tensor((iris.target[rows] == 2).astype(np.float32).reshape(-1, 1))
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
    loss.name = "loss"
    return draw_graph(loss, model=model)


def cnn_graphs(batch):
    """A small CNN's cross-entropy on 8x8 digits: collapsed by module, and op by op (capped)."""
    autodiff.manual_seed(0)
    digits = load_digits()
    x = Tensor((digits.images[:batch] / 16.0).astype(np.float32).reshape(batch, 1, 8, 8))
    y = digits.target[:batch].astype(np.int64)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 2 * 2, 10),
    )
    with record_modules():  # ops remember the module call that made them, for collapse=True
        loss = nn.functional.cross_entropy(model(x), Tensor(y))
    loss.name = "loss"
    loss.backward()
    collapsed = draw_graph(loss, model=model, collapse=True)
    capped = draw_graph(loss, model=model, max_nodes=12)
    return collapsed, capped


def main(argv=None):
    """Parse the options, draw the pictures, write them to --out."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs") / "draw_graphs",
                        help="folder for the SVG files (default: runs/draw_graphs)")
    parser.add_argument("--png", action="store_true", help="also write PNG files")
    parser.add_argument("--quick", action="store_true", help="tiny batches (a smoke test)")
    args = parser.parse_args(argv)
    batch = 4 if args.quick else 32
    collapsed, capped = cnn_graphs(batch)
    pictures = {"neuron": neuron_graph(), "mlp_loss": mlp_graph(batch),
                "cnn_collapsed": collapsed, "cnn_first_nodes": capped}
    args.out.mkdir(parents=True, exist_ok=True)
    formats = ("svg", "png") if args.png else ("svg",)
    for name, graph in pictures.items():
        for fmt in formats:
            try:
                path = graph.render(args.out / name, format=fmt, cleanup=True)
            except graphviz.ExecutableNotFound:
                raise SystemExit("Graphviz's dot program is missing: install it "
                                 "(apt-get install graphviz, brew install graphviz)") from None
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
