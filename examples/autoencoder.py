"""A small autoencoder on the 8x8 digits: squeeze 64 pixels through 8 numbers and back.

The encoder (64 -> 128 -> 32 -> 8) must keep what matters about a digit in an 8-number code;
the decoder (8 -> 32 -> 128 -> 64, sigmoid pixels) redraws the digit from that code. Nobody tells
the network which digit it sees: the loss is only how far the redrawn pixels are from the
original ones (binary cross-entropy per pixel, pixels being intensities in [0, 1]).

Prints the test reconstruction error (mean squared error per pixel) next to the error of
drawing the average digit every time, which is what a network that learned nothing would do.

Writes to --out: reconstructions.png (test originals above their reconstructions, and a row of
decoded codes interpolated between two test digits: a glimpse of generation), loss_curve.png and
model.npz.
"""
import time

import numpy as np

import autodiff
import nn
from autodiff import Tensor
from common import make_parser, parse_args, progress, pyplot, report, save_plot, train_epoch
from datasets import load_digits

CODE_SIZE = 8


class AutoEncoder(nn.Module):
    """encoder: 64 -> 128 -> 32 -> code; decoder: code -> 32 -> 128 -> 64 sigmoid pixels."""

    def __init__(self, n_pixels=64, code_size=CODE_SIZE):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(n_pixels, 128), nn.ReLU(), nn.Linear(128, 32), nn.ReLU(),
            nn.Linear(32, code_size),
        )
        self.decoder = nn.Sequential(
            nn.Linear(code_size, 32), nn.ReLU(), nn.Linear(32, 128), nn.ReLU(),
            nn.Linear(128, n_pixels),
        )

    def forward(self, x):
        """Reconstruction logits (apply sigmoid for pixels) of the batch ``x``."""
        return self.decoder(self.encoder(x))


def reconstruct(model, X):
    """Pixels redrawn from each row's code, as an ndarray in [0, 1]."""
    model.eval()
    with autodiff.no_grad():
        return model(Tensor(X)).sigmoid().numpy()


def decode(model, codes):
    """Pixels drawn by the decoder from the codes (n, code_size)."""
    model.eval()
    with autodiff.no_grad():
        return model.decoder(Tensor(codes)).sigmoid().numpy()


def encode(model, X):
    """The codes (n, code_size) the encoder gives the rows of ``X``."""
    model.eval()
    with autodiff.no_grad():
        return model.encoder(Tensor(X)).numpy()


def plot_reconstructions(model, X, y, path, n=10):
    """Rows: originals, reconstructions (one test digit per class), then an interpolation."""
    plt = pyplot()
    picks = np.array([np.flatnonzero(y == c)[0] for c in range(n)])
    originals, rebuilt = X[picks], reconstruct(model, X[picks])
    a, b = encode(model, X[picks[[3, 8]]])  # walk from a 3 to an 8 in code space
    steps = np.linspace(0, 1, n)[:, None]
    between = decode(model, (1 - steps) * a + steps * b)
    rows = [("original", originals), ("reconstructed", rebuilt), ("3 -> 8 in code space", between)]
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.95, len(rows) * 1.0 + 0.4),
                             layout="constrained")
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(f"Autoencoder on test digits: 64 pixels -> {CODE_SIZE}-number code -> 64 pixels")
    return save_plot(fig, path)


def plot_losses(losses, path):
    """Training loss per epoch."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(np.arange(1, len(losses) + 1), losses)
    ax.set(xlabel="epoch", ylabel="binary cross-entropy per pixel", title="Training loss")
    ax.grid(alpha=0.3)
    return save_plot(fig, path)


def main(argv=None):
    parser = make_parser("autoencoder", __doc__, epochs=60)
    args = parse_args(parser, argv)
    X_train, y_train, X_test, y_test = load_digits()
    if args.quick:
        args.epochs = min(args.epochs, 12)

    model = AutoEncoder(X_train.shape[1])
    print(model)
    loader = nn.DataLoader(X_train, X_train, batch_size=32, shuffle=True)
    optimizer = nn.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = nn.optim.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.BCEWithLogitsLoss()
    print(f"{len(X_train)} training digits; training {args.epochs} epochs")
    start, losses = time.perf_counter(), []
    bar = progress(range(args.epochs), desc="epochs")
    for _ in bar:
        losses.append(train_epoch(model, loader, loss_fn, optimizer))
        scheduler.step()
        bar.set_postfix(loss=losses[-1])
    bar.close()
    print(f"trained in {time.perf_counter() - start:.1f}s")

    mse = float(np.mean((reconstruct(model, X_test) - X_test) ** 2))
    mean_image_mse = float(np.mean((X_train.mean(axis=0) - X_test) ** 2))
    print("test reconstruction error (mean squared error per pixel, pixels in [0, 1]):")
    print(f"  always draw the average digit: {mean_image_mse:.4f}")
    print(f"  autoencoder:                   {mse:.4f}")

    nn.save(model.state_dict(), args.out / "model.npz")
    print(f"saved {args.out / 'model.npz'}")
    plot_reconstructions(model, X_test, y_test, args.out / "reconstructions.png")
    plot_losses(losses, args.out / "loss_curve.png")
    report("baseline mse", mean_image_mse)
    report("reconstruction mse", mse)


if __name__ == "__main__":
    main()
