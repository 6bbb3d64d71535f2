"""A convolutional network on the 8x8 handwritten digits.

Where the MLP of train_digits.py sees 64 unrelated numbers, a convolution slides the same small
3x3 filters over every position of the image, so a stroke detector learned in one corner works
everywhere, and pooling makes the answer tolerant to small shifts.

Model: Conv2d(1, 16, 3, padding=1) -> BatchNorm2d -> ReLU -> Conv2d(16, 32, 3, padding=1) ->
BatchNorm2d -> ReLU -> MaxPool2d(2) -> Flatten -> Dropout(0.25) -> Linear(512, 64) -> ReLU ->
Linear(64, 10); AdamW with a cosine learning-rate schedule. Reaches 98.1 to 99.4% test accuracy
(seeds 0 to 7) on the 359 test digits in well under a minute.

Writes to --out: model.npz (the checkpoint), loss_curve.png and filters.png (the 16 learned
first-layer filters and what they respond to in one test digit).
"""
import time

import numpy as np

import nn
from autodiff import Tensor, no_grad
from common import accuracy, make_parser, parse_args, progress, pyplot, report, save_plot
from common import train_epoch
from datasets import load_digits

QUICK_SAMPLES = 500


def build_model(n_classes=10):
    """Two 3x3 convolution layers with batch norm, one 2x2 max-pool, a small dense head."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.25),
        nn.Linear(32 * 4 * 4, 64), nn.ReLU(),
        nn.Linear(64, n_classes),
    )


def as_images(X):
    """Rows of 64 pixels as a (n, 1, 8, 8) batch of one-channel images (NCHW)."""
    return X.reshape(-1, 1, 8, 8)


def fit(model, X_train, y_train, X_test, y_test, args):
    """Train; returns per-epoch train loss and test accuracy."""
    loader = nn.DataLoader(X_train, y_train, batch_size=args.batch_size, shuffle=True)
    optimizer = nn.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = nn.optim.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    losses, test_acc = [], []
    bar = progress(range(args.epochs), desc="epochs")
    for _ in bar:
        losses.append(train_epoch(model, loader, loss_fn, optimizer))
        scheduler.step()
        test_acc.append(accuracy(model, X_test, y_test))
        bar.set_postfix(loss=losses[-1], test_acc=test_acc[-1])
    bar.close()
    return losses, test_acc


def plot_history(losses, test_acc, path):
    """Training loss and test accuracy per epoch."""
    plt = pyplot()
    epochs = np.arange(1, len(losses) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, losses)
    left.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log",
             title="Training loss (with dropout)")
    right.plot(epochs, test_acc, color="tab:orange")
    right.set(xlabel="epoch", ylabel="accuracy", title="Test accuracy",
              ylim=(max(0.0, min(test_acc) - 0.02), 1.002))
    for ax in (left, right):
        ax.grid(alpha=0.3)
    return save_plot(fig, path)


def plot_filters(model, image, path):
    """The first layer's 3x3 filters, each above its response (after BatchNorm and ReLU) to
    ``image``, in two bands of eight, with the input digit on the left."""
    plt = pyplot()
    weights = model[0].weight.numpy()[:, 0]
    model.eval()
    with no_grad():
        maps = model[2](model[1](model[0](Tensor(image[None])))).numpy()[0]
    cols = 8
    bands = int(np.ceil(len(weights) / cols))
    fig, axes = plt.subplots(2 * bands, cols + 1, figsize=(1.2 * (cols + 1), 2.6 * bands),
                             layout="constrained")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)
    axes[0, 0].imshow(image[0], cmap="gray_r")
    axes[0, 0].set_title("input", fontsize=9)
    limit = np.abs(weights).max()
    for k in range(len(weights)):
        row, col = 2 * (k // cols), 1 + k % cols
        axes[row, col].imshow(weights[k], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[row, col].set_title(f"filter {k}", fontsize=8)
        axes[row + 1, col].imshow(maps[k], cmap="gray_r", vmin=0)
    fig.suptitle("First-layer filters (red +, blue -) above their ReLU feature maps "
                 "(dark = strong) on a test digit", fontsize=10)
    return save_plot(fig, path)


def main(argv=None):
    parser = make_parser("cnn_digits", __doc__, epochs=20)
    parser.add_argument("--batch-size", type=int, default=32, help="default: %(default)s")
    parser.add_argument("--lr", type=float, default=3e-3,
                        help="AdamW's initial learning rate (default: %(default)s)")
    args = parse_args(parser, argv)

    X_train, y_train, X_test, y_test = load_digits()
    if args.quick:
        X_train, y_train = X_train[:QUICK_SAMPLES], y_train[:QUICK_SAMPLES]
        args.epochs = min(args.epochs, 3)
    X_train, X_test = as_images(X_train), as_images(X_test)
    print(f"data: {len(X_train)} training and {len(X_test)} test images of shape "
          f"{X_train.shape[1:]}")

    model = build_model()
    print(model)
    print(f"{sum(p.size for p in model.parameters())} parameters; training {args.epochs} epochs")
    start = time.perf_counter()
    losses, test_acc = fit(model, X_train, y_train, X_test, y_test, args)
    print(f"trained in {time.perf_counter() - start:.1f}s")

    nn.save(model.state_dict(), args.out / "model.npz")
    print(f"saved {args.out / 'model.npz'}")
    plot_history(losses, test_acc, args.out / "loss_curve.png")
    plot_filters(model, X_test[0], args.out / "filters.png")
    report("final training loss", losses[-1])
    report("test accuracy", test_acc[-1])


if __name__ == "__main__":
    main()
