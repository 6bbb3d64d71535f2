"""One neuron, two ways: Rosenblatt's perceptron and logistic regression.

A neuron computes a weighted sum of its inputs plus a bias, ``s = w . x + b``, and passes it
through an activation. What it learns depends on that activation and on the loss:

* The **perceptron** (Rosenblatt, 1958) predicts ``sign(s)``. Its learning rule, "on a mistake,
  add ``y * x`` to the weights", is stochastic gradient descent (batch size 1, learning rate 1) on
  the perceptron criterion ``max(0, -y * s)`` with labels y in {-1, +1}: a correctly classified
  sample has zero loss and zero gradient; a mistake has gradient ``-y * x``. On linearly
  separable data it stops after finitely many mistakes (the perceptron convergence theorem); on
  anything else it never settles.
* **Logistic regression** predicts a probability ``sigmoid(s) = 1 / (1 + exp(-s))`` and is
  trained on the binary cross-entropy ``-(t log p + (1 - t) log(1 - p))`` with targets t in
  {0, 1}. Every sample contributes a gradient ``(p - t) * x``, confident and right ones only a
  little, so the weights settle even when the classes overlap, and ``p`` is a usable probability.

Two real data sets: iris flowers (setosa against versicolor from sepal length and width, two
features, linearly separable, so both boundaries can be drawn) and the Wisconsin breast cancer
biopsies (30 features, malignant against benign, judged on a held-out test set). The biopsies
are separable too, but only by a thin margin: the perceptron makes mistakes for tens to hundreds
of epochs before it settles (84 with the default seed), while logistic regression's loss falls
smoothly from the first step, and the line that separates every training biopsy is not the one
that does best on the test biopsies.

Writes ``iris_boundaries.png`` (both decision lines over the flowers) and ``cancer_loss.png``
(the cross-entropy on training and test biopsies by epoch, and the perceptron's mistakes).

Run: ``python examples/perceptron.py`` (``--quick`` for a few-second run, ``--out DIR``;
``--epochs`` counts logistic regression's full-batch gradient steps; the perceptron makes passes
until an epoch without mistakes, at most 100 on iris and 400 on the biopsies).
"""
import numpy as np
from sklearn.datasets import load_breast_cancer, load_iris

import autodiff
import nn
import nn.functional as F
from autodiff import Tensor
from common import make_parser, parse_args, pyplot, report, save_plot
from datasets import stratified_split


# ----- data -----------------------------------------------------------------------------------
def standardize(train, *others):
    """Scale every column to mean 0 and standard deviation 1 using the training rows' statistics."""
    mean, std = train.mean(axis=0), train.std(axis=0)
    return [((a - mean) / std).astype(np.float32) for a in (train, *others)] + [mean, std]


def iris_two_features():
    """Setosa (0) and versicolor (1) by sepal length and width in cm: 100 flowers."""
    iris = load_iris()
    keep = iris.target < 2
    return iris.data[keep][:, :2], iris.target[keep].astype(np.int64), iris.feature_names[:2]


def breast_cancer(seed):
    """Standardized 80/20 stratified split; label 1 is malignant (scikit-learn's 0)."""
    data = load_breast_cancer()
    y = (data.target == 0).astype(np.int64)
    train_idx, test_idx = stratified_split(y, 0.2, seed)
    X_train, X_test, _, _ = standardize(data.data[train_idx], data.data[test_idx])
    return X_train, y[train_idx], X_test, y[test_idx], list(data.feature_names)


# ----- the two learning rules -------------------------------------------------------------------
def train_perceptron(X, y, max_epochs, seed):
    """Rosenblatt's rule as SGD on ``max(0, -y s)``: returns the neuron and mistakes per epoch.

    Stops after the first epoch without a mistake (the data are then perfectly separated).
    """
    neuron = nn.Neuron(X.shape[1], activation=None, rng=seed)
    nn.init.zeros_(neuron.weight)  # the textbook start: w = 0, b = 0
    nn.init.zeros_(neuron.bias)
    optimizer = nn.optim.SGD(neuron.parameters(), lr=1.0)
    signs = np.where(y == 1, 1.0, -1.0).astype(np.float32).reshape(-1, 1)
    loader = nn.DataLoader(X, signs, batch_size=1, shuffle=True, rng=seed)
    mistakes = []
    for _ in range(max_epochs):
        count = 0
        for xb, yb in loader:
            score = neuron(xb)
            # s == 0 counts as a mistake too (as in the textbook rule), hence the tiny margin
            loss = (1e-12 - yb * score).relu().sum()
            count += int(loss.item() > 0)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        mistakes.append(count)
        if count == 0:
            break
    return neuron, mistakes


def train_logistic(X, y, epochs, lr, seed, X_test=None, y_test=None):
    """Full-batch gradient descent on the binary cross-entropy of ``sigmoid(w . x + b)``.

    Returns the neuron and the per-epoch training (and, given test data, test) losses, both
    measured at the weights the epoch's step starts from.
    """
    neuron = nn.Neuron(X.shape[1], activation="sigmoid", rng=seed)
    optimizer = nn.optim.SGD(neuron.parameters(), lr=lr)
    x, t = Tensor(X), Tensor(y.astype(np.float32).reshape(-1, 1))
    history = {"train": [], "test": []}
    for _ in range(epochs):
        loss = F.binary_cross_entropy(neuron(x), t)
        history["train"].append(loss.item())
        if X_test is not None:  # at the same weights as the training loss: before the step
            with autodiff.no_grad():
                p = neuron(Tensor(X_test))
                target = Tensor(y_test.astype(np.float32).reshape(-1, 1))
                history["test"].append(F.binary_cross_entropy(p, target).item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return neuron, history


def binary_accuracy(neuron, X, y, threshold):
    """Fraction of rows whose output is above ``threshold`` exactly when the label is 1."""
    with autodiff.no_grad():
        out = neuron(Tensor(X)).numpy().ravel()
    return float(np.mean((out > threshold) == (y == 1)))


def weights(neuron):
    """The neuron's weights as a 1-d array and its bias as a float."""
    return neuron.weight.numpy().ravel(), float(neuron.bias.numpy()[0])


# ----- lessons ----------------------------------------------------------------------------------
def boundary_in_cm(neuron, mean, std):
    """The line ``w . (x - mean) / std + b = 0`` rewritten in the original units: (a1, a2, c)."""
    w, b = weights(neuron)
    a = w / std
    return a, float(b - np.sum(a * mean))


def iris_lesson(args, max_perceptron_epochs):
    """Both rules on two iris features; prints the learned lines and draws them."""
    X_raw, y, names = iris_two_features()
    X, mean, std = standardize(X_raw)
    perceptron, mistakes = train_perceptron(X, y, max_perceptron_epochs, args.seed)
    logistic, history = train_logistic(X, y, args.epochs, lr=1.0, seed=args.seed)

    print(f"\nIris, setosa (0) vs versicolor (1) from {names[0]} and {names[1]}:")
    print(f"perceptron mistakes per epoch: {mistakes}")
    lines = {}
    for label, neuron in (("perceptron", perceptron), ("logistic regression", logistic)):
        w, b = weights(neuron)
        a, c = boundary_in_cm(neuron, mean, std)
        lines[label] = (a, c)
        rounded = [round(float(v), 3) for v in w]
        print(f"{label}: weights {rounded}, bias {b:.3f} (standardized inputs); "
              f"boundary {a[0]:.3f}*sepal_length {a[1]:+.3f}*sepal_width {c:+.3f} = 0 (cm)")
    report("iris perceptron epochs", len(mistakes))
    report("iris perceptron accuracy", binary_accuracy(perceptron, X, y, 0.0))
    report("iris logistic accuracy", binary_accuracy(logistic, X, y, 0.5))
    report("iris logistic loss", history["train"][-1])
    plot_iris(X_raw, y, names, logistic, mean, std, lines, args.out / "iris_boundaries.png")


def cancer_lesson(args, perceptron_epochs):
    """Both rules on 30 biopsy features; prints test accuracies and the strongest weights."""
    X_train, y_train, X_test, y_test, names = breast_cancer(args.seed)
    logistic, history = train_logistic(X_train, y_train, args.epochs, lr=0.5, seed=args.seed,
                                       X_test=X_test, y_test=y_test)
    perceptron, mistakes = train_perceptron(X_train, y_train, perceptron_epochs, args.seed)

    print(f"\nBreast cancer, malignant (1) vs benign (0), {X_train.shape[1]} standardized "
          f"features, "
          f"{len(X_train)} training and {len(X_test)} test biopsies:")
    print(f"perceptron mistakes per epoch: {_abridged(mistakes)}")
    print(_settling(mistakes))
    w, b = weights(logistic)
    print(f"logistic regression bias {b:.3f}; strongest weights "
          "(positive = more likely malignant):")
    for i in np.argsort(-np.abs(w))[:6]:
        print(f"  {names[i]:<24s} {w[i]:+.3f}")
    report("cancer logistic train loss", history["train"][-1])
    report("cancer logistic test loss", history["test"][-1])
    report("cancer logistic test accuracy", binary_accuracy(logistic, X_test, y_test, 0.5))
    report("cancer perceptron test accuracy", binary_accuracy(perceptron, X_test, y_test, 0.0))
    plot_cancer(history, mistakes, args.out / "cancer_loss.png")


def _abridged(counts):
    """A long list as its first ten and last five entries."""
    if len(counts) <= 15:
        return str(counts)
    return f"[{', '.join(map(str, counts[:10]))}, ..., {', '.join(map(str, counts[-5:]))}]"


def _settling(mistakes):
    """What the perceptron's mistakes say about the data."""
    if mistakes[-1] == 0:
        return (f"  it settled after {len(mistakes)} epochs: the training biopsies are linearly "
                f"separable, but only by a thin margin, and the rule's number of mistakes grows "
                f"as (radius / margin)^2")
    return (f"  still making mistakes after {len(mistakes)} epochs (the training biopsies are "
            f"separable only by a thin margin: the rule needs tens to hundreds of epochs)")


# ----- pictures ---------------------------------------------------------------------------------
def plot_iris(X_raw, y, names, logistic, mean, std, lines, path):
    """Flowers, the logistic regression's probability as shading, both decision lines."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 5.5))
    x0 = np.linspace(X_raw[:, 0].min() - 0.3, X_raw[:, 0].max() + 0.3, 200)
    x1 = np.linspace(X_raw[:, 1].min() - 0.3, X_raw[:, 1].max() + 0.3, 200)
    g0, g1 = np.meshgrid(x0, x1)
    grid = ((np.stack([g0.ravel(), g1.ravel()], axis=1) - mean) / std).astype(np.float32)
    with autodiff.no_grad():
        p = logistic(Tensor(grid)).numpy().reshape(g0.shape)
    shade = ax.contourf(g0, g1, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    fig.colorbar(shade, ax=ax, label="logistic regression: P(versicolor)")
    for label, style in (("perceptron", "k--"), ("logistic regression", "g-")):
        a, c = lines[label]
        ax.plot(x0, -(a[0] * x0 + c) / a[1], style, lw=2, label=f"{label} boundary")
    for cls, name, color in ((0, "setosa", "tab:blue"), (1, "versicolor", "tab:red")):
        ax.scatter(*X_raw[y == cls].T, c=color, edgecolors="k", s=30, label=name)
    ax.set_xlim(x0[0], x0[-1])
    ax.set_ylim(x1[0], x1[-1])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title("One neuron on iris: perceptron rule vs sigmoid + cross-entropy")
    ax.legend(loc="upper left", fontsize=9)
    save_plot(fig, path)


def plot_cancer(history, mistakes, path):
    """Logistic regression's cross-entropy by epoch, and the perceptron's mistakes by epoch."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = np.arange(1, len(history["train"]) + 1)
    left.plot(epochs, history["train"], label="training set")
    left.plot(epochs, history["test"], label="test set")
    left.set_yscale("log")
    left.set_xlabel("epoch (one full-batch gradient step)")
    left.set_ylabel("binary cross-entropy")
    left.set_title("Logistic regression on breast cancer biopsies")
    left.legend()
    right.plot(np.arange(1, len(mistakes) + 1), mistakes, "o-", color="tab:red")
    right.set_xlabel("epoch (one pass, one update per mistake)")
    right.set_ylabel("training mistakes in the epoch")
    right.set_ylim(bottom=0)
    settled = f"settles after {len(mistakes)} epochs" if mistakes[-1] == 0 else \
        f"still wrong after {len(mistakes)} epochs"
    right.set_title(f"Perceptron rule on the same data: {settled}")
    save_plot(fig, path)


def main(argv=None):
    """Parse the options and run both lessons."""
    parser = make_parser("perceptron", __doc__, epochs=300)
    args = parse_args(parser, argv)
    if args.quick:
        args.epochs = min(args.epochs, 60)
    iris_lesson(args, max_perceptron_epochs=10 if args.quick else 100)
    cancer_lesson(args, perceptron_epochs=3 if args.quick else 400)


if __name__ == "__main__":
    main()
