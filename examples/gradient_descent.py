"""Gradient descent in its three flavours, then momentum, Adam and a learning-rate schedule.

The cost of a network is an average over the training set, ``C(w) = mean_i loss(x_i, y_i; w)``,
and gradient descent repeats ``w <- w - lr * grad C(w)``. The flavours differ in how many samples
estimate the gradient before each update (``nn.DataLoader``'s ``batch_size``):

* **batch** gradient descent (``batch_size=len(X)``): the exact gradient, one update per epoch;
* **stochastic** gradient descent (``batch_size=1``): one sample, one noisy update per sample;
* **mini-batch** gradient descent (``batch_size=32``): a compromise, and what everyone uses: the
  noise of 32 samples is small enough, and a batch is one matrix product, so an epoch costs
  about as little time as batch descent while making 45 times more updates.

All three train the same network from the same starting weights; the cost is plotted against
epochs (data seen), against updates (steps taken) and against seconds (what you pay for).

Then the update rules, each on the same mini-batches and with the same cosine learning-rate
schedule (``CosineAnnealingLR``: the rate glides from its start down to 0 over the run, taking
big steps early and small, precise ones at the end):

* **SGD**: ``w -= lr * g``;
* **momentum** (0.9): ``v = 0.9 v + g; w -= lr * v``: a ball rolling downhill, which keeps moving
  along directions where gradients agree and averages away the ones where they flip sign. Where
  they agree, ``v`` grows to ``g / (1 - 0.9)``: momentum's steps are up to 10 times plain SGD's at
  the same ``lr``. So plain SGD also runs at 10 times the rate, for a fair comparison: on this
  small, well-conditioned problem that larger step is most of momentum's advantage; the
  averaging matters where the cost is a long narrow valley, in which large plain steps bounce
  from wall to wall;
* **Adam**: per-parameter steps ``lr * m / (sqrt(v) + eps)`` from running averages of the gradient
  ``m`` and of its square ``v``: every weight gets a step size suited to its own gradient scale.

Writes ``gradient_descent.png``.

Run: ``python examples/gradient_descent.py`` (``--quick`` for a few-second run, ``--out DIR``).
"""
import time

import numpy as np

import autodiff
import nn
import nn.functional as F
from autodiff import Tensor
from common import accuracy, make_parser, parse_args, pyplot, report, save_plot
from datasets import load_digits

HIDDEN = 64
MINI_BATCH = 32


def full_cost(model, X, y):
    """The cross-entropy over the whole set ``(X, y)``, without building a graph."""
    with autodiff.no_grad():
        return F.cross_entropy(model(Tensor(X)), Tensor(y)).item()


def train(model, optimizer, loader, epochs, X, y, scheduler=None):
    """Train for ``epochs``; record the full training cost before training and after each epoch.

    Returns a dict of lists: ``cost``, ``updates`` and ``seconds`` (training time only, the
    evaluations excluded) at each record, and ``lr`` during each epoch.
    """
    history = {"cost": [full_cost(model, X, y)], "updates": [0], "seconds": [0.0], "lr": []}
    updates, seconds = 0, 0.0
    for _ in range(epochs):
        history["lr"].append(optimizer.param_groups[0]["lr"])
        start = time.perf_counter()
        for xb, yb in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
            updates += 1
        if scheduler is not None:
            scheduler.step()
        seconds += time.perf_counter() - start
        history["cost"].append(full_cost(model, X, y))
        history["updates"].append(updates)
        history["seconds"].append(seconds)
    return history


def fresh_model(seed):
    """The network every run starts from: the same weights for a given seed."""
    return nn.MLP(64, [HIDDEN, 10], rng=seed)


def flavours(X, y, epochs, seed):
    """Batch, stochastic and mini-batch gradient descent with plain SGD."""
    runs = {  # name: (batch size, learning rate): each flavour at a rate that suits it
        "batch (all samples)": (len(X), 0.5),
        "stochastic (1 sample)": (1, 0.01),
        f"mini-batch ({MINI_BATCH} samples)": (MINI_BATCH, 0.1),
    }
    results = {}
    for name, (batch_size, lr) in runs.items():
        model = fresh_model(seed)
        loader = nn.DataLoader(X, y, batch_size=batch_size, shuffle=True, rng=seed)
        results[name] = train(model, nn.optim.SGD(model.parameters(), lr=lr), loader, epochs, X, y)
        print(f"{name:<26s} lr {lr:<5} {len(loader):>5d} updates/epoch: cost "
              f"{results[name]['cost'][-1]:.4f} after {epochs} epochs, "
              f"{results[name]['seconds'][-1]:.2f} s")
    return results


def optimizers(X, y, X_test, y_test, epochs, seed):
    """SGD, momentum and Adam on the same mini-batches, each under a cosine schedule."""
    makers = {
        "SGD": lambda params: nn.optim.SGD(params, lr=0.05),
        "SGD + momentum 0.9": lambda params: nn.optim.SGD(params, lr=0.05, momentum=0.9),
        "SGD, 10x rate (momentum's step)": lambda params: nn.optim.SGD(params, lr=0.5),
        "Adam": lambda params: nn.optim.Adam(params, lr=0.01),
    }
    results = {}
    for name, make in makers.items():
        model = fresh_model(seed)
        optimizer = make(model.parameters())
        scheduler = nn.optim.CosineAnnealingLR(optimizer, T_max=epochs)
        loader = nn.DataLoader(X, y, batch_size=MINI_BATCH, shuffle=True, rng=seed)
        results[name] = train(model, optimizer, loader, epochs, X, y, scheduler)
        results[name]["test accuracy"] = accuracy(model, X_test, y_test)
        print(f"{name:<20s} cost {results[name]['cost'][-1]:.4f} after "
              f"{results[name]['updates'][-1]} updates, test accuracy "
              f"{results[name]['test accuracy']:.1%}")
    return results


def plot(flavour_runs, optimizer_runs, path):
    """Row 1: the flavours by epoch, update and second. Row 2: the optimizers and the schedule."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(16, 9))
    for ax, key, label in zip(axes[0], ("epochs", "updates", "seconds"),
                              ("epoch", "updates", "training time (s)")):
        for name, h in flavour_runs.items():
            x = np.arange(len(h["cost"])) if key == "epochs" else np.asarray(h[key])
            # log axes cannot show the starting point (0 updates, 0 s): start after epoch 1
            start = 0 if key == "epochs" else 1
            ax.plot(x[start:], h["cost"][start:], "o-", ms=3, label=name)
        ax.set_xscale("linear" if key == "epochs" else "log")
        ax.set_yscale("log")
        ax.set_xlabel(label + ("" if key == "epochs" else " (log scale)"))
        ax.set_ylabel("training cross-entropy")
        ax.set_title(f"Plain SGD: cost against {label.split(' (')[0]}")
        ax.legend(fontsize=9)
    for name, h in optimizer_runs.items():
        epochs = np.arange(len(h["cost"]))
        axes[1, 0].plot(epochs, h["cost"], "o-", ms=3, label=name)
        axes[1, 1].plot(h["seconds"], h["cost"], "o-", ms=3, label=name)
    starts = "\n".join(f"{name}: {h['lr'][0]:g}" for name, h in optimizer_runs.items())
    h = next(iter(optimizer_runs.values()))
    axes[1, 2].plot(np.arange(len(h["lr"])), np.asarray(h["lr"]) / h["lr"][0], "o-", ms=3,
                    color="k", label=f"all of them; starting rates:\n{starts}")
    for ax, xlabel, title in zip(axes[1], ("epoch", "training time (s)", "epoch"),
                                 (f"Mini-batch ({MINI_BATCH}): cost by epoch",
                                  f"Mini-batch ({MINI_BATCH}): cost by training time",
                                  "CosineAnnealingLR schedule")):
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.legend(fontsize=9)
    for ax in axes[1, :2]:
        ax.set_yscale("log")
        ax.set_ylabel("training cross-entropy")
    axes[1, 2].legend(fontsize=9, loc="lower left")  # below the curve, which starts at the top
    axes[1, 2].set_ylabel("learning rate during the epoch / starting rate")
    fig.tight_layout()
    save_plot(fig, path)


def main(argv=None):
    """Run both comparisons on the digits and plot them."""
    parser = make_parser("gradient_descent", __doc__, epochs=20)
    args = parse_args(parser, argv)
    epochs = min(args.epochs, 2) if args.quick else args.epochs
    X, y, X_test, y_test = load_digits()
    print(f"digits: {len(X)} training images; MLP(64, [{HIDDEN}, 10]); {epochs} epochs each\n")
    print("Gradient descent flavours (plain SGD):")
    flavour_runs = flavours(X, y, epochs, args.seed)
    print("\nUpdate rules (mini-batches, cosine learning-rate schedule):")
    optimizer_runs = optimizers(X, y, X_test, y_test, epochs, args.seed)
    print()
    for name, key in (("batch", "batch (all samples)"), ("stochastic", "stochastic (1 sample)"),
                      ("mini-batch", f"mini-batch ({MINI_BATCH} samples)")):
        report(f"{name} final cost", flavour_runs[key]["cost"][-1])
    for name, key in (("sgd", "SGD"), ("momentum", "SGD + momentum 0.9"),
                      ("sgd 10x rate", "SGD, 10x rate (momentum's step)"), ("adam", "Adam")):
        report(f"{name} final cost", optimizer_runs[key]["cost"][-1])
        report(f"{name} test accuracy", optimizer_runs[key]["test accuracy"])
    plot(flavour_runs, optimizer_runs, args.out / "gradient_descent.png")


if __name__ == "__main__":
    main()
