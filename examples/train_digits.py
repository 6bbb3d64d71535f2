"""Train a multilayer perceptron to read handwritten digits, end to end.

Data: scikit-learn's 1,797 bundled 8x8 digits (no download; 1,438 to train, 359 to test), or
MNIST when --mnist names a folder holding its four IDX files (plain or .gz).

Model: Linear(64, 128) -> BatchNorm1d -> ReLU -> Dropout(0.1) -> Linear(128, 64) -> BatchNorm1d
-> ReLU -> Dropout(0.1) -> Linear(64, 10), trained with AdamW on mini-batches from a shuffling
DataLoader, cross-entropy loss and a cosine learning-rate schedule. Batch normalization is what
takes this small network from about 96% to about 98.5% test accuracy on the 8x8 digits.

Writes to --out: model.npz (the checkpoint: nn.save(model.state_dict(), ...); reload it with
model.load_state_dict(nn.load(path))), loss_curve.png (loss and accuracy per epoch) and
mistakes.png (the test digits the model gets wrong). Prints the test accuracy, the confusion
matrix and the digits most often confused. Takes a few seconds on the 8x8 digits (98.3% to
98.9% test accuracy over seeds 0-7). On MNIST's 60,000 images larger batches pay off, e.g.
--mnist DIR --batch-size 128 --epochs 10 (about 1.5 s per epoch on 2 cores).

Example: python examples/train_digits.py --epochs 40 --out runs/digits
"""
import time

import numpy as np

import nn
from autodiff import Tensor
from common import accuracy, make_parser, parse_args, predict, progress, pyplot, report, save_plot
from common import train_epoch
from datasets import load_dataset

HIDDEN = (128, 64)
DROPOUT = 0.1
QUICK_SAMPLES = 600  # --quick trains on this many samples only


def build_model(n_inputs, n_classes=10, hidden=HIDDEN, dropout=DROPOUT):
    """The MLP: per hidden layer Linear -> BatchNorm1d -> ReLU -> Dropout; a Linear head."""
    layers, width = [], n_inputs
    for size in hidden:
        layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


def mean_loss(model, X, y, loss_fn):
    """The loss over a whole dataset, in eval mode (no dropout, running batch-norm statistics)."""
    return loss_fn(Tensor(predict(model, X)), Tensor(y)).item()


def fit(model, data, args):
    """Train ``model``; returns the per-epoch history of losses and accuracies."""
    X_train, y_train, X_test, y_test = data
    loader = nn.DataLoader(X_train, y_train, batch_size=args.batch_size, shuffle=True)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = nn.optim.CosineAnnealingLR(optimizer, T_max=args.epochs)
    history = {key: [] for key in ("train_loss", "test_loss", "train_acc", "test_acc")}
    bar = progress(range(args.epochs), desc="epochs")
    for _ in bar:
        history["train_loss"].append(train_epoch(model, loader, loss_fn, optimizer))
        scheduler.step()
        history["test_loss"].append(mean_loss(model, X_test, y_test, loss_fn))
        history["train_acc"].append(accuracy(model, X_train, y_train))
        history["test_acc"].append(accuracy(model, X_test, y_test))
        bar.set_postfix(loss=history["train_loss"][-1], test_acc=history["test_acc"][-1])
    bar.close()
    return history


def plot_history(history, path):
    """Loss (left) and accuracy (right) per epoch, train and test, in one PNG."""
    plt = pyplot()
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, history["train_loss"], label="train (with dropout)")
    left.plot(epochs, history["test_loss"], label="test")
    left.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="Loss")
    right.plot(epochs, history["train_acc"], label="train")
    right.plot(epochs, history["test_acc"], label="test")
    right.set(xlabel="epoch", ylabel="accuracy", title="Accuracy",
              ylim=(max(0.0, min(history["test_acc"]) - 0.05), 1.005))
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    return save_plot(fig, path)


def plot_mistakes(X, y, predicted, path, limit=24):
    """The misclassified test images, each titled 'true -> predicted'."""
    plt = pyplot()
    wrong = np.flatnonzero(predicted != y)[:limit]
    side = int(round(np.sqrt(X.shape[1])))
    cols = min(8, max(4, len(wrong)))
    rows = max(1, int(np.ceil(len(wrong) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.3, rows * 1.5 + 0.5), squeeze=False,
                             layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong):
        ax.imshow(X[i].reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{y[i]} -> {predicted[i]}", fontsize=10, color="firebrick")
    fig.suptitle(f"Test mistakes: {np.count_nonzero(predicted != y)} of {len(y)} "
                 "(true -> predicted)")
    return save_plot(fig, path)


def print_confusion(y, predicted, n_classes):
    """The confusion matrix (rows: true digit, columns: predicted) and the worst confusions."""
    matrix = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(matrix, (y, predicted), 1)
    print("confusion matrix (rows: true digit, columns: predicted):")
    print("     " + " ".join(f"{c:4d}" for c in range(n_classes)))
    for c in range(n_classes):
        print(f"{c:4d} " + " ".join(f"{v:4d}" for v in matrix[c]))
    off = matrix * (1 - np.eye(n_classes, dtype=int))
    pairs = [(off[t, p], t, p) for t in range(n_classes) for p in range(n_classes) if off[t, p]]
    worst = ", ".join(f"{t} read as {p} ({n}x)" for n, t, p in sorted(pairs, reverse=True)[:3])
    print(f"most frequent mistakes: {worst or 'none'}")


def main(argv=None):
    parser = make_parser("train_digits", __doc__, epochs=30)
    parser.add_argument("--mnist", metavar="FOLDER", default=None,
                        help="train on MNIST from this folder of IDX files instead of the 8x8 "
                             "digits")
    parser.add_argument("--batch-size", type=int, default=32, help="default: %(default)s")
    parser.add_argument("--lr", type=float, default=3e-3,
                        help="AdamW's initial learning rate (default: %(default)s)")
    parser.add_argument("--weight-decay", type=float, default=1e-4, help="default: %(default)s")
    args = parse_args(parser, argv)

    X_train, y_train, X_test, y_test = load_dataset(args.mnist)
    if args.quick:
        X_train, y_train = X_train[:QUICK_SAMPLES], y_train[:QUICK_SAMPLES]
        X_test, y_test = X_test[:QUICK_SAMPLES], y_test[:QUICK_SAMPLES]
        args.epochs = min(args.epochs, 5)
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    print(f"data: {len(X_train)} training and {len(X_test)} test images of "
          f"{X_train.shape[1]} pixels, {n_classes} classes")

    model = build_model(X_train.shape[1], n_classes)
    print(model)
    print(f"{sum(p.size for p in model.parameters())} parameters; training {args.epochs} epochs")
    start = time.perf_counter()
    history = fit(model, (X_train, y_train, X_test, y_test), args)
    print(f"trained in {time.perf_counter() - start:.1f}s")

    predicted = predict(model, X_test).argmax(axis=1)
    print_confusion(y_test, predicted, n_classes)
    nn.save(model.state_dict(), args.out / "model.npz")
    print(f"saved {args.out / 'model.npz'}")
    plot_history(history, args.out / "loss_curve.png")
    plot_mistakes(X_test, y_test, predicted, args.out / "mistakes.png")
    report("train accuracy", history["train_acc"][-1])
    report("test accuracy", float(np.mean(predicted == y_test)))


if __name__ == "__main__":
    main()
