"""Vanishing gradients in a deep sigmoid network, and the two fixes that made deep networks work.

Backpropagation multiplies the gradient, layer after layer from the output back to the input, by
each layer's local derivative: the transposed weight matrix times the activation's slope. The
sigmoid's slope is at most 1/4 (at 0) and nearly 0 once a unit saturates, so in a deep sigmoid
stack the gradient shrinks by a roughly constant factor per layer: the first layers of a
20-layer network receive a gradient many orders of magnitude smaller than the last ones and
barely learn, however long you train.

Two ideas fix this, and this script builds a network with both:

* **ReLU with batch normalization**: ReLU's slope is exactly 1 where a unit is active, and
  batch normalization (``BatchNorm1d``) rescales every unit to mean 0 and variance 1 over the
  batch (then applies a learned scale and shift), so activations and their gradients keep a
  steady size however deep the stack.
* **Residual connections** (ResNet): each block computes ``x + f(x)`` instead of ``f(x)``. The
  derivative of ``x + f(x)`` is ``1 + f'(x)``: the identity path carries the gradient from the
  loss to every layer untouched, and the blocks only add corrections.

Both networks have the same number of linear layers of the same width. The script measures the
norm of the gradient of every layer's weight on one batch of digits at initialization, prints
the ratio between the first and the last layer, then trains both for a few epochs with the same
optimizer to show what the vanishing gradient does to learning.

Writes ``vanishing_gradients.png``: gradient norm per layer (log scale) and training cost by epoch.

Run: ``python examples/vanishing_gradients.py`` (``--quick`` for a few-second run, ``--out DIR``,
``--depth N`` for the number of hidden layers).
"""
import numpy as np

import nn
import nn.functional as F
from autodiff import Tensor
from common import accuracy, make_parser, parse_args, pyplot, report, save_plot, train_epoch
from datasets import load_digits

WIDTH = 64
SIGMOID = "sigmoid"
RESIDUAL = "ReLU + batch norm + residual"


class ResidualBlock(nn.Module):
    """A pre-activation residual block: ``x + linear(relu(batch_norm(x)))``.

    The identity path ``x`` passes the gradient straight through; the branch adds a correction.
    """

    def __init__(self, width):
        super().__init__()
        self.norm = nn.BatchNorm1d(width)
        self.linear = nn.Linear(width, width)

    def forward(self, x):
        return x + self.linear(self.norm(x).relu())


class ResidualNetwork(nn.Module):
    """A stem ``Linear(n_inputs, width)``, ``depth - 1`` residual blocks, a norm, a linear head."""

    def __init__(self, n_inputs, depth, n_classes=10):
        super().__init__()
        self.stem = nn.Linear(n_inputs, WIDTH)
        self.blocks = nn.Sequential(*[ResidualBlock(WIDTH) for _ in range(depth - 1)])
        self.norm = nn.BatchNorm1d(WIDTH)
        self.head = nn.Linear(WIDTH, n_classes)

    def forward(self, x):
        return self.head(self.norm(self.blocks(self.stem(x))).relu())


def sigmoid_network(n_inputs, depth, n_classes=10):
    """``depth`` Linear + Sigmoid layers of width ``WIDTH``, then a linear head."""
    layers = []
    for i in range(depth):
        layers += [nn.Linear(n_inputs if i == 0 else WIDTH, WIDTH), nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, n_classes))


def linear_layers(model):
    """Every ``Linear`` of the model, from the input to the output."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def weight_gradient_norms(model, X, y):
    """The Frobenius norm of each Linear weight's gradient for the cross-entropy on ``(X, y)``."""
    model.train()
    model.zero_grad()
    F.cross_entropy(model(Tensor(X)), Tensor(y)).backward()
    return np.array([np.linalg.norm(layer.weight.grad.numpy()) for layer in linear_layers(model)])


def train(model, X, y, X_test, y_test, epochs, seed):
    """Adam on mini-batches of 32; returns the training cost per epoch and the test accuracy."""
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-3)
    loader = nn.DataLoader(X, y, batch_size=32, shuffle=True, rng=seed)
    costs = [train_epoch(model, loader, F.cross_entropy, optimizer) for _ in range(epochs)]
    return costs, accuracy(model, X_test, y_test)


def plot(norms, costs, depth, path):
    """Gradient norm per layer (log scale), and training cost per epoch, for each network."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    for name, values in norms.items():
        layers = np.arange(1, len(values) + 1)
        ratio = values[0] / values[-1]
        left.semilogy(layers, values, "o-", label=f"{name} (first/last = {ratio:.1e})")
    left.xaxis.get_major_locator().set_params(integer=True)
    left.set_xlabel("linear layer (1 = next to the input, last = output)")
    left.set_ylabel("norm of the weight gradient (log scale)")
    left.set_title(f"Gradients at initialization, {depth} hidden layers")
    left.legend(fontsize=9)
    left.grid(alpha=0.3, which="both")
    for name, values in costs.items():
        right.plot(np.arange(1, len(values) + 1), values, "o-", label=name)
    right.axhline(np.log(10), color="gray", ls=":", label="chance (log 10)")
    right.xaxis.get_major_locator().set_params(integer=True)
    right.set_xlabel("epoch")
    right.set_ylabel("training cross-entropy")
    right.set_title("Training both with Adam (lr 1e-3)")
    right.set_ylim(bottom=0)
    right.legend(fontsize=9)
    save_plot(fig, path)


def main(argv=None):
    """Measure per-layer gradients of both networks, train them, plot."""
    parser = make_parser("vanishing_gradients", __doc__, epochs=10)
    parser.add_argument("--depth", type=int, default=20,
                        help="hidden layers in each network (default: %(default)s)")
    args = parse_args(parser, argv)
    if args.depth < 2:
        parser.error(f"--depth must be >= 2, got {args.depth}")
    epochs = min(args.epochs, 2) if args.quick else args.epochs
    X, y, X_test, y_test = load_digits()
    models = {SIGMOID: sigmoid_network(X.shape[1], args.depth),
              RESIDUAL: ResidualNetwork(X.shape[1], args.depth)}

    batch = slice(0, 512)
    norms = {name: weight_gradient_norms(model, X[batch], y[batch])
             for name, model in models.items()}
    print(f"norm of each linear layer's weight gradient at initialization "
          f"({args.depth} hidden layers of {WIDTH}, a batch of {len(X[batch])} digits):")
    for name, values in norms.items():
        print(f"  {name:<30s} " + " ".join(f"{v:.1e}" for v in values))
    # report() prints 4 decimals, too few for ratios like 1e-9: these lines use exponents
    for key, name in (("sigmoid", SIGMOID), ("residual", RESIDUAL)):
        print(f"{key} gradient ratio first/last layer: {norms[name][0] / norms[name][-1]:.3e}")

    costs = {}
    for name, model in models.items():
        costs[name], test_accuracy = train(model, X, y, X_test, y_test, epochs, args.seed)
        print(f"{name}: training cost {costs[name][0]:.3f} -> {costs[name][-1]:.3f} in "
              f"{epochs} epochs, test accuracy {test_accuracy:.1%}")
        report(f"{name} test accuracy", test_accuracy)
    plot(norms, costs, args.depth, args.out / "vanishing_gradients.png")


if __name__ == "__main__":
    main()
