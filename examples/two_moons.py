"""micrograd's two-moons demo, on the scalar engine and on the tensor engine side by side.

Andrej Karpathy's micrograd trains a small multi-layer perceptron, ``MLP(2, [16, 16, 1])``, to
separate two interleaved half-moons (100 points, noise 0.1) with

* a **max-margin (hinge) loss** ``mean(max(0, 1 - y * score))`` with labels y in {-1, +1}: a point
  costs nothing once it is on the right side with a margin of at least 1;
* plus **L2 regularization** ``1e-4 * sum(p ** 2)`` over all parameters, which prefers small
  weights and so smoother boundaries;
* trained by full-batch gradient descent with a learning rate decaying linearly from 1.0 to 0.1.

The scalar engine (``nn.scalar.MLP`` on ``autodiff.Value``) builds a graph of Values: one node
per neuron's weighted sum (``autodiff.value.linear``), activation and loss term, about 7,600
nodes per step. The tensor engine
(``nn.MLP`` on ``autodiff.Tensor``) builds a few dozen nodes, one per matrix operation, each doing
its arithmetic in NumPy. Here the tensor model starts from a copy of the scalar model's weights
(in float64) and follows the same schedule, so the two must learn the same function: the script
prints the largest difference between their final parameters, and how much faster the tensor
engine was.

Writes ``two_moons.png``: both decision boundaries, and both loss curves on top of each other.

Run: ``python examples/two_moons.py`` (``--quick`` for a few-second run, ``--out DIR``;
``--epochs`` counts full-batch gradient steps, 100 as in micrograd; ``--seed`` draws both the
moons and the starting weights, 1337 as in micrograd's notebook).
"""
import random
import time

import numpy as np
from sklearn.datasets import make_moons

import autodiff
import nn
from autodiff import Tensor, Value
from common import make_parser, parse_args, pyplot, report, save_plot

L2_ALPHA = 1e-4  # micrograd's demo value


def learning_rate(step, steps):
    """micrograd's schedule: from 1.0 down linearly towards 0.1."""
    return 1.0 - 0.9 * step / steps


# ----- scalar engine: micrograd, line for line ---------------------------------------------------
def scalar_loss(model, X, y):
    """Hinge loss + L2 on Values, and the accuracy, for the whole batch (micrograd's ``loss()``)."""
    scores = [model([Value(a), Value(b)]) for a, b in X.tolist()]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = L2_ALPHA * sum(p * p for p in model.parameters())
    accuracy = np.mean([(yi > 0) == (si.data > 0) for yi, si in zip(y, scores)])
    return data_loss + reg_loss, float(accuracy)


def train_scalar(model, X, y, steps):
    """Full-batch gradient descent on ``scalar_loss``; returns (losses, accuracies, seconds)."""
    losses, accuracies = [], []
    start = time.perf_counter()
    for k in range(steps):
        total, acc = scalar_loss(model, X, y)
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= learning_rate(k, steps) * p.grad
        losses.append(total.data)
        accuracies.append(acc)
    return losses, accuracies, time.perf_counter() - start


def scalar_scores(model, points):
    """The scalar model's score for every row of ``points`` (no gradients needed)."""
    return np.array([model([Value(a), Value(b)]).data for a, b in points.tolist()])


# ----- tensor engine: the same model, one matrix op per layer ------------------------------------
def tensor_copy(scalar_model):
    """An ``nn.MLP(2, [16, 16, 1])`` holding the scalar model's weights, in float64."""
    model = nn.MLP(2, [16, 16, 1])
    for layer, scalar_layer in zip(model.layers, scalar_model.layers):
        w = [[p.data for p in neuron.w] for neuron in scalar_layer.neurons]
        b = [neuron.b.data for neuron in scalar_layer.neurons]
        layer.weight.data = np.array(w, dtype=np.float64)  # (out, in), like micrograd's rows
        layer.bias.data = np.array(b, dtype=np.float64)
    return model


def train_tensor(model, X, y, steps):
    """The same descent with ``nn.HingeLoss`` and ``nn.optim.SGD``: (losses, accs, seconds)."""
    x, t = Tensor(X), Tensor(y.reshape(-1, 1).astype(np.float64))
    hinge = nn.HingeLoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=learning_rate(0, steps))
    losses, accuracies = [], []
    start = time.perf_counter()
    for k in range(steps):
        optimizer.param_groups[0]["lr"] = learning_rate(k, steps)
        scores = model(x)
        reg_loss = sum((p * p).sum() for p in model.parameters())
        total = hinge(scores, t) + L2_ALPHA * reg_loss
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        losses.append(total.item())
        accuracies.append(float(np.mean((scores.numpy() > 0) == (t.numpy() > 0))))
    return losses, accuracies, time.perf_counter() - start


def tensor_scores(model, points):
    """The tensor model's score for every row of ``points``, in one batch."""
    with autodiff.no_grad():
        return model(Tensor(points)).numpy().ravel()


def max_parameter_difference(scalar_model, tensor_model):
    """The largest absolute difference between corresponding parameters of the two models."""
    copy = tensor_copy(scalar_model)
    return max(float(np.max(np.abs(a.numpy() - b.numpy())))
               for a, b in zip(copy.parameters(), tensor_model.parameters()))


# ----- picture ------------------------------------------------------------------------------------
def grid_over(X, h):
    """A mesh of step ``h`` around the data: (xx, yy, points as rows)."""
    xx, yy = np.meshgrid(np.arange(X[:, 0].min() - 1, X[:, 0].max() + 1, h),
                         np.arange(X[:, 1].min() - 1, X[:, 1].max() + 1, h))
    return xx, yy, np.stack([xx.ravel(), yy.ravel()], axis=1)


def plot(X, y, panels, histories, path):
    """Two decision-boundary panels (title, xx, yy, scores) and the two loss curves."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    for ax, (title, xx, yy, scores) in zip(axes, panels):
        ax.contourf(xx, yy, scores.reshape(xx.shape) > 0, levels=[-0.5, 0.5, 1.5],
                    colors=["#9ecae1", "#fcae91"], alpha=0.8)
        ax.contour(xx, yy, scores.reshape(xx.shape), levels=[0], colors="k", linewidths=1)
        for label, color, name in ((-1, "tab:blue", "y = -1"), (1, "tab:red", "y = +1")):
            ax.scatter(*X[y == label].T, c=color, edgecolors="k", s=30, label=name)
        ax.set_title(title)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.legend(loc="lower left", fontsize=9)
    ax = axes[2]
    for (name, losses), style in zip(histories.items(), ("-", "--")):
        ax.plot(np.arange(1, len(losses) + 1), losses, style, lw=2, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("gradient step (full batch)")
    ax.set_ylabel("hinge loss + L2")
    ax.set_title("Same start, same gradients: the curves coincide")
    ax.legend()
    save_plot(fig, path)


def main(argv=None):
    """Train both engines from the same start, compare them, draw both boundaries."""
    parser = make_parser("two_moons", __doc__, epochs=100, seed=1337)
    args = parse_args(parser, argv)
    steps = min(args.epochs, 25) if args.quick else args.epochs
    X, y01 = make_moons(n_samples=100, noise=0.1, random_state=args.seed)
    y = y01 * 2 - 1  # labels -1 and +1 for the max-margin loss

    scalar_model = nn.scalar.MLP(2, [16, 16, 1], rng=random.Random(args.seed))
    tensor_model = tensor_copy(scalar_model)
    print(f"two moons: {len(X)} points, MLP(2, [16, 16, 1]) with "
          f"{len(scalar_model.parameters())} parameters, {steps} full-batch steps")
    s_loss, s_acc, s_time = train_scalar(scalar_model, X, y, steps)
    t_loss, t_acc, t_time = train_tensor(tensor_model, X, y, steps)
    for name, losses, accs, seconds in (("scalar", s_loss, s_acc, s_time),
                                        ("tensor", t_loss, t_acc, t_time)):
        print(f"{name} engine: loss {losses[0]:.4f} -> {losses[-1]:.4f}, "
              f"accuracy {accs[-1]:.0%}, {seconds:.2f} s ({1e3 * seconds / steps:.1f} ms per step)")
    report("scalar accuracy", s_acc[-1])
    report("tensor accuracy", t_acc[-1])
    report("scalar final loss", s_loss[-1])
    report("tensor final loss", t_loss[-1])
    print(f"max parameter difference between the engines: "
          f"{max_parameter_difference(scalar_model, tensor_model):.2e}")
    report("tensor speedup", s_time / t_time)

    xx, yy, points = grid_over(X, h=0.1 if args.quick else 0.04)
    panels = [
        (f"scalar engine (Value): {s_acc[-1]:.0%} in {s_time:.1f} s", xx, yy,
         scalar_scores(scalar_model, points)),
        (f"tensor engine (Tensor): {t_acc[-1]:.0%} in {t_time:.2f} s", xx, yy,
         tensor_scores(tensor_model, points)),
    ]
    plot(X, y, panels, {"scalar engine": s_loss, "tensor engine": t_loss},
         args.out / "two_moons.png")


if __name__ == "__main__":
    main()
