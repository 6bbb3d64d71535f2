"""An LSTM that learns to predict the next value of noisy periodic signals.

Each sequence is a sine wave with its own period (8 to 24 steps), amplitude and phase, plus
Gaussian noise (standard deviation 0.1). At every step the LSTM reads the noisy value and
predicts the next one; it is trained with the squared error against the next *noisy* value,
so it must discover both the rhythm of each wave (from a few steps of context) and that the
noise is unpredictable.

The answer is checkable: on new test waves we measure the error against the *clean* next value
and compare it with two reference points printed alongside:
  - repeating the last noisy value (what a model that learned nothing useful would do),
  - the noise variance 0.01 (the error of an observation itself: a model below it denoises).
A good model lands far below the first and below the second.

Writes to --out: predictions.png (one-step predictions on test waves, and a free-running
forecast where the LSTM feeds its own predictions back for 40 steps), loss_curve.png and
model.npz.
"""
import time

import numpy as np

import autodiff
import nn
from autodiff import Tensor
from common import make_parser, parse_args, progress, pyplot, report, save_plot, train_epoch

NOISE = 0.1
WARMUP = 8  # steps of context before a prediction is scored


def make_waves(n, length, rng):
    """``n`` noisy sine waves of ``length + 1`` steps: returns (noisy, clean), both (n, length+1)."""
    t = np.arange(length + 1)
    period = rng.uniform(8, 24, size=(n, 1))
    amplitude = rng.uniform(0.5, 1.0, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    clean = amplitude * np.sin(2 * np.pi * t / period + phase)
    noisy = clean + NOISE * rng.standard_normal(clean.shape)
    return noisy.astype(np.float32), clean.astype(np.float32)


class NextValue(nn.Module):
    """LSTM over the sequence, then a linear read-out of each hidden state: the next value."""

    def __init__(self, hidden_size=32):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x, state=None):
        """``x`` (N, L) -> predictions (N, L); with ``state`` also returns the new state."""
        hidden, new_state = self.lstm(x.expand_dims(-1), state)
        n, length, size = hidden.shape
        out = self.head(hidden.reshape(n * length, size)).reshape(n, length)
        return out if state is None else (out, new_state)


def scored_loss(prediction, target):
    """Mean squared error over the steps after the warm-up (early steps lack context)."""
    return ((prediction[:, WARMUP:] - target[:, WARMUP:]) ** 2).mean()


def one_step(model, noisy):
    """One-step predictions of ``noisy[:, 1:]`` from ``noisy[:, :-1]``, without a graph."""
    model.eval()
    with autodiff.no_grad():
        return model(Tensor(noisy[:, :-1])).numpy()


def forecast(model, context, steps):
    """Read ``context`` (N, L), then run free: each prediction becomes the next input."""
    model.eval()
    with autodiff.no_grad():
        zero_state = Tensor(np.zeros((1, len(context), model.lstm.hidden_size), np.float32))
        out, state = model(Tensor(context), (zero_state, zero_state))
        value, values = out[:, -1:], []
        for _ in range(steps):
            values.append(value.numpy()[:, 0])
            value, state = model(value, state)
    return np.stack(values, axis=1)


def plot_predictions(noisy, clean, predicted, future, path):
    """Top: one-step predictions on three test waves. Bottom: free-running forecasts."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharey=True, layout="constrained")
    seen, horizon = predicted.shape[1] + 1, future.shape[1]
    t = np.arange(noisy.shape[1])
    for k in range(3):
        top, bottom = axes[0, k], axes[1, k]
        top.axvspan(0, WARMUP, color="0.92", label="warm-up (not scored)")
        top.plot(t[:seen], clean[k, :seen], color="0.6", lw=3, label="clean signal")
        top.plot(t[:seen], noisy[k, :seen], ".", color="0.3", ms=4, label="noisy input")
        top.plot(t[1:seen], predicted[k], color="tab:red", lw=1.5,
                 label="LSTM: predicted next value")
        start = len(t) - horizon
        bottom.plot(t, clean[k], color="0.6", lw=3)
        bottom.plot(t[:start], noisy[k, :start], ".", color="0.3", ms=4)
        bottom.plot(t[start:], future[k], color="tab:blue", lw=1.5,
                    label="LSTM free-running (fed its own predictions)")
        bottom.axvline(start - 0.5, color="0.5", ls="--")
        top.set_title(f"test wave {k}: one step ahead", fontsize=10)
        bottom.set_title(f"test wave {k}: {horizon}-step forecast after the dashed line",
                         fontsize=10)
        bottom.set_xlabel("time step")
    handles = [h for ax in (axes[0, 0], axes[1, 0]) for h in ax.get_legend_handles_labels()[0]]
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=9)
    return save_plot(fig, path)


def plot_losses(losses, path):
    """Training loss per epoch, with the noise variance it cannot go below."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(np.arange(1, len(losses) + 1), losses)
    ax.axhline(NOISE ** 2, color="0.5", ls="--", label="noise variance (floor vs noisy targets)")
    ax.set(xlabel="epoch", ylabel="training MSE (vs noisy next value)", yscale="log",
           title="LSTM training loss")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_plot(fig, path)


def main(argv=None):
    parser = make_parser("sequence_lstm", __doc__, epochs=20)
    parser.add_argument("--hidden", type=int, default=32, help="LSTM units (default: %(default)s)")
    parser.add_argument("--length", type=int, default=48,
                        help="training sequence length (default: %(default)s)")
    args = parse_args(parser, argv)
    rng = np.random.default_rng(args.seed)
    n_train, batch_size = 1024, 64
    if args.quick:
        n_train, batch_size, args.epochs = 256, 16, min(args.epochs, 4)

    noisy, _ = make_waves(n_train, args.length, rng)
    horizon = 40
    # test waves run `horizon` steps past the training length, for the free-running forecast
    test_noisy, test_clean = make_waves(256, args.length + horizon, rng)
    # inputs are steps 0..L-1, targets steps 1..L: the value that comes next
    loader = nn.DataLoader(noisy[:, :-1], noisy[:, 1:], batch_size=batch_size, shuffle=True)
    model = NextValue(args.hidden)
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = nn.optim.CosineAnnealingLR(optimizer, T_max=args.epochs, eta_min=1e-4)
    print(model)
    print(f"{n_train} training waves of {args.length} steps; training {args.epochs} epochs")

    start, losses = time.perf_counter(), []
    bar = progress(range(args.epochs), desc="epochs")
    for _ in bar:
        losses.append(train_epoch(model, loader, scored_loss, optimizer, max_norm=1.0))
        scheduler.step()
        bar.set_postfix(mse=losses[-1])
    bar.close()
    print(f"trained in {time.perf_counter() - start:.1f}s")

    seen_noisy, seen_clean = test_noisy[:, :args.length + 1], test_clean[:, :args.length + 1]
    predicted = one_step(model, seen_noisy)
    truth, last = seen_clean[:, 1 + WARMUP:], seen_noisy[:, WARMUP:-1]
    lstm_mse = float(np.mean((predicted[:, WARMUP:] - truth) ** 2))
    repeat_mse = float(np.mean((last - truth) ** 2))
    future = forecast(model, test_noisy[:, :-horizon], horizon)
    forecast_mse = float(np.mean((future - test_clean[:, -horizon:]) ** 2))
    print("test error against the clean next value (mean squared error):")
    print(f"  repeat the last noisy value: {repeat_mse:.4f}")
    print(f"  noise variance:              {NOISE ** 2:.4f}")
    print(f"  LSTM, one step ahead:        {lstm_mse:.4f}")
    print(f"  LSTM, free-running {horizon} steps: {forecast_mse:.4f} (signal variance "
          f"{np.var(test_clean):.4f})")

    nn.save(model.state_dict(), args.out / "model.npz")
    print(f"saved {args.out / 'model.npz'}")
    plot_predictions(test_noisy, test_clean, predicted, future,
                     args.out / "predictions.png")
    plot_losses(losses, args.out / "loss_curve.png")
    report("baseline mse", repeat_mse)
    report("test mse", lstm_mse)
    report("forecast mse", forecast_mse)


if __name__ == "__main__":
    main()
