"""3Blue1Brown's digit network, against the modern recipe, on the same handwritten digits.

3Blue1Brown's "But what is a neural network?" series (after Michael Nielsen's book) draws a digit
classifier as layers of neurons: pixels in, two hidden layers of 16 neurons, 10 outputs. Each
neuron takes a weighted sum of the previous layer plus a bias and squashes it with the **sigmoid**
``1 / (1 + exp(-z))`` into a brightness between 0 and 1. The **cost** of one example is the
squared error between the 10 output brightnesses and the wanted ones (1 for the right digit, 0
for the others), ``C = 1/2 * sum_j (a_j - y_j) ** 2``, averaged over the examples; gradient
descent on mini-batches ("stochastic gradient descent") lowers it.

Today's default for the same job keeps the layers but changes two things:

* **ReLU** ``max(0, z)`` in the hidden layers: its slope is 1 wherever it is active, where the
  sigmoid's slope is at most 1/4 and nearly 0 once saturated, so gradients pass through intact;
* **softmax + cross-entropy** at the output: the outputs become probabilities that sum to 1 and the
  cost is ``-log p[right digit]``. Its gradient with respect to the output scores is simply
  ``p - onehot``: a confidently wrong network gets a large push, where a sigmoid output stuck near
  0 or 1 under squared error gets almost none (the "learning slowdown").

Both networks see the same digits in the same order with plain mini-batch SGD (batch size 10), each
at its own customary learning rate (Nielsen's 3.0 for the quadratic cost, 0.1 for cross-entropy).
The modern one learns faster early; both end up good on this small, clean data set.

Writes ``digit_networks.png``: both training costs by epoch and both test accuracies by epoch.

Run: ``python examples/digit_network_3b1b.py`` (``--quick`` for a few-second run, ``--out DIR``,
``--mnist FOLDER`` for MNIST's 28x28 digits from IDX files: 3Blue1Brown's exact 784-16-16-10
network with its 13,002 weights and biases; expect minutes per epoch there).
"""
import time

import numpy as np

import nn
import nn.functional as F
from common import (accuracy, make_parser, parse_args, predict, progress, pyplot, report,
                    save_plot, train_epoch)
from datasets import load_dataset

HIDDEN = (16, 16)
BATCH_SIZE = 10
SIGMOID = "3Blue1Brown: sigmoid + squared error"
RELU = "ReLU + softmax + cross-entropy"


def sigmoid_network(n_inputs):
    """3Blue1Brown's network: every layer, the output included, is Linear + Sigmoid."""
    sizes = (n_inputs, *HIDDEN, 10)
    layers = []
    for nin, nout in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(nin, nout), nn.Sigmoid()]
    return nn.Sequential(*layers)


def relu_network(n_inputs):
    """The same layer sizes with ReLU hidden layers and raw scores (logits) out."""
    return nn.MLP(n_inputs, [*HIDDEN, 10], activation="relu")


def quadratic_cost(outputs, onehot):
    """3Blue1Brown's cost: ``1/2 * sum_j (a_j - y_j) ** 2`` per example, averaged over the batch."""
    return F.mse_loss(outputs, onehot, reduction="sum") / (2 * outputs.shape[0])


def train(name, model, loader, cost, lr, epochs, X_test, y_test):
    """Mini-batch SGD for ``epochs``; returns per-epoch training costs and test accuracies."""
    optimizer = nn.optim.SGD(model.parameters(), lr=lr)
    costs, accuracies = [], []
    bar = progress(range(epochs), desc=name)
    for _ in bar:
        costs.append(train_epoch(model, loader, cost, optimizer))
        accuracies.append(accuracy(model, X_test, y_test))
        bar.set_postfix(cost=costs[-1], test_acc=accuracies[-1])
    bar.close()
    return costs, accuracies


def count_parameters(model):
    """The number of weights and biases."""
    return sum(p.size for p in model.parameters())


def show_outputs(sigmoid_net, relu_net, X_test, y_test):
    """Print both networks' output layers for the first test digit both get right, and the first
    one either gets wrong."""
    brightness = predict(sigmoid_net, X_test)
    scores = predict(relu_net, X_test)
    probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    right = (brightness.argmax(1) == y_test) & (scores.argmax(1) == y_test)
    for i in (*np.flatnonzero(right)[:1], *np.flatnonzero(~right)[:1]):
        print(f"output layers for test image {i}, a {y_test[i]} (sigmoid says "
              f"{brightness[i].argmax()}, softmax says {scores[i].argmax()}):")
        print("  digit:               " + " ".join(f"{d:5d}" for d in range(10)))
        print("  sigmoid brightness:  " + " ".join(f"{v:5.2f}" for v in brightness[i]))
        print("  softmax probability: " + " ".join(f"{v:5.2f}" for v in probabilities[i]))


def plot(histories, path):
    """Training cost (log scale) and test accuracy by epoch, one line per network."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, (costs, accs) in histories.items():
        epochs = np.arange(1, len(costs) + 1)
        left.plot(epochs, costs, "o-", ms=3, label=name)
        right.plot(epochs, 100 * np.asarray(accs), "o-", ms=3, label=name)
    left.set_yscale("log")
    left.set_xlabel("epoch")
    left.set_ylabel("training cost (each network's own)")
    left.set_title("Cost: squared error vs cross-entropy")
    left.legend()
    right.set_xlabel("epoch")
    right.set_ylabel("test accuracy (%)")
    right.set_title("Test accuracy on held-out digits")
    right.legend(loc="lower right")
    right.grid(alpha=0.3)
    save_plot(fig, path)


def main(argv=None):
    """Train both networks on the same data and compare them."""
    parser = make_parser("digit_network_3b1b", __doc__, epochs=30)
    parser.add_argument("--mnist", metavar="FOLDER", default="digits",
                        help="folder with MNIST's IDX files (default: scikit-learn's 8x8 digits)")
    args = parse_args(parser, argv)
    epochs = min(args.epochs, 8) if args.quick else args.epochs
    X_train, y_train, X_test, y_test = load_dataset(args.mnist)
    onehot = np.eye(10, dtype=np.float32)[y_train]
    n_inputs = X_train.shape[1]

    sigmoid_net, relu_net = sigmoid_network(n_inputs), relu_network(n_inputs)
    print(f"{len(X_train)} training and {len(X_test)} test images of {n_inputs} pixels; "
          f"layers {n_inputs}-{HIDDEN[0]}-{HIDDEN[1]}-10, {count_parameters(sigmoid_net)} "
          f"weights and biases per network, {epochs} epochs of SGD, batch size {BATCH_SIZE}")
    runs = {
        SIGMOID: (
            sigmoid_net, nn.DataLoader(X_train, onehot, batch_size=BATCH_SIZE, shuffle=True,
                                       rng=args.seed), quadratic_cost, 3.0),
        RELU: (
            relu_net, nn.DataLoader(X_train, y_train, batch_size=BATCH_SIZE, shuffle=True,
                                    rng=args.seed), F.cross_entropy, 0.1),
    }
    histories = {}
    for name, (model, loader, cost, lr) in runs.items():
        start = time.perf_counter()
        histories[name] = train(name, model, loader, cost, lr, epochs, X_test, y_test)
        costs, accs = histories[name]
        print(f"{name}: lr {lr}, cost {costs[0]:.4f} -> {costs[-1]:.4f}, test accuracy after "
              f"epoch 1: {accs[0]:.1%}, after epoch {epochs}: {accs[-1]:.1%} "
              f"({time.perf_counter() - start:.1f} s)")

    report("sigmoid mse first epoch accuracy", histories[SIGMOID][1][0])
    report("relu cross-entropy first epoch accuracy", histories[RELU][1][0])
    report("sigmoid mse test accuracy", accuracy(sigmoid_net, X_test, y_test))
    report("relu cross-entropy test accuracy", accuracy(relu_net, X_test, y_test))
    show_outputs(sigmoid_net, relu_net, X_test, y_test)
    plot(histories, args.out / "digit_networks.png")


if __name__ == "__main__":
    main()
