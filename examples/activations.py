"""The activation functions side by side: their values, their slopes, and a dead ReLU unit.

A neuron passes its weighted sum ``s = w . x + b`` through an activation, and backpropagation
multiplies every gradient that flows back through the neuron by the activation's slope at
``s``. So the slope decides how well a network learns:

* **sigmoid** ``1 / (1 + e^-s)``: outputs in (0, 1), slope at most 1/4 (at 0), nearly 0 once
  ``|s|`` is large: the saturation that makes deep sigmoid networks stop learning;
* **tanh** ``(e^s - e^-s) / (e^s + e^-s)``: outputs in (-1, 1), centered on 0, slope at most 1,
  but it saturates just as the sigmoid does;
* **ReLU** ``max(0, s)``: slope exactly 1 where the unit is active, exactly 0 where it is not. A
  unit whose sum is negative for every input never passes a gradient back, so its weights never
  change again: a *dead* unit;
* **leaky ReLU** ``max(a s, s)`` with a small slope ``a`` (0.01 in PyTorch; 0.1 here, to see it):
  a negative sum still passes a small gradient back, so no unit can die;
* **GELU** ``s * Phi(s)`` (``Phi`` the normal distribution's CDF): a smooth ReLU, used in
  transformers;
* **softmax** turns a vector of scores into probabilities ``p_i = e^{s_i} / sum_j e^{s_j}``; its
  slopes form a matrix, ``dp_i / ds_j = p_i (delta_ij - p_j)``.

Every slope here is computed by the engine (``autodiff.grad``, ``autodiff.jacobian``) and checked
against the formula. Then one unit with a very negative bias shows what "dead" means: its
gradient on 200 inputs is exactly 0 with ReLU, small but not 0 with leaky ReLU, and gradient
descent moves only the leaky unit back towards the data.

Writes ``activations.png`` (the functions and their slopes).

Run: ``python examples/activations.py`` (``--quick`` for a smaller plot, ``--out DIR``,
``--epochs`` for the dead unit's gradient-descent steps).
"""
import math

import numpy as np

import autodiff
import nn
import nn.functional as F
from autodiff import Tensor
from common import make_parser, parse_args, pyplot, report, save_plot

LEAKY_SLOPE = 0.1


def _normal_cdf(s):
    return 0.5 * (1 + np.vectorize(math.erf)(s / math.sqrt(2)))


# name -> (the activation on Tensors, its value, its slope), the last two by formula on arrays
ACTIVATIONS = {
    "sigmoid": (lambda t: t.sigmoid(), lambda s: 1 / (1 + np.exp(-s)),
                lambda s: np.exp(-s) / (1 + np.exp(-s)) ** 2),
    "tanh": (lambda t: t.tanh(), np.tanh, lambda s: 1 - np.tanh(s) ** 2),
    "ReLU": (lambda t: t.relu(), lambda s: np.maximum(s, 0), lambda s: (s > 0).astype(float)),
    "leaky ReLU": (lambda t: F.leaky_relu(t, LEAKY_SLOPE),
                                    lambda s: np.where(s > 0, s, LEAKY_SLOPE * s),
                                    lambda s: np.where(s > 0, 1.0, LEAKY_SLOPE)),
    "GELU": (lambda t: t.gelu(), lambda s: s * _normal_cdf(s),
             lambda s: _normal_cdf(s) + s * np.exp(-s * s / 2) / math.sqrt(2 * math.pi)),
}


def slopes(activation, s):
    """The slope of an elementwise ``activation`` at every point of ``s``, by backpropagation:
    each output depends on its own input only, so the gradient of their sum is the slopes."""
    return autodiff.grad(lambda t: activation(t).sum())(Tensor(s)).numpy()


def compare_with_formulas(s):
    """Values and slopes of every activation, by the engine, and their largest distance from the
    formulas; prints each one's slope at -3, 0 and 3. Returns the curves for the plot and the
    errors."""
    curves, errors = {}, {}
    print(f"{'activation':<18s} {'slope at -3':>11s} {'at 0':>7s} {'at 3':>7s}   "
          f"max |engine - formula|: value, slope")
    probe = np.array([-3.0, 0.0, 3.0])
    for name, (activation, value, slope) in ACTIVATIONS.items():
        with autodiff.no_grad():
            y = activation(Tensor(s)).numpy()
        dy = slopes(activation, s)
        error = max(np.abs(y - value(s)).max(), np.abs(dy - slope(s)).max())
        at = slopes(activation, probe)
        print(f"{name:<18s} {at[0]:>11.4f} {at[1]:>7.4f} {at[2]:>7.4f}   "
              f"{np.abs(y - value(s)).max():.1e}, {np.abs(dy - slope(s)).max():.1e}")
        errors[name] = error
        curves[name] = (y, dy)
    return curves, errors


def softmax_jacobian(scores):
    """The engine's Jacobian of softmax against ``diag(p) - p p^T``."""
    p = Tensor(scores).softmax().numpy()
    engine = autodiff.jacobian(lambda t: t.softmax())(Tensor(scores)).numpy()
    formula = np.diag(p) - np.outer(p, p)
    print(f"\nsoftmax of scores {scores.tolist()}: probabilities {np.round(p, 4).tolist()} "
          f"(sum {p.sum():.4f})")
    print("its Jacobian dp_i/ds_j (symmetric; every column sums to 0, as the probabilities "
          "always sum to 1):")
    print(np.round(engine, 4))
    return np.abs(engine - formula).max()


def dead_unit(make_activation, x, steps=20, lr=0.5):
    """A unit ``activation(w x + b)`` with ``b = -5`` (its sum is negative for every input in
    [-1, 1]) trained towards outputs ``x + 1``: the gradient of its weights at the start, and
    its bias after ``steps`` of gradient descent."""
    unit = nn.Sequential(nn.Linear(1, 1, dtype=np.float64), make_activation())
    with autodiff.no_grad():
        unit[0].weight.fill_(1.0)
        unit[0].bias.fill_(-5.0)
    optimizer = nn.optim.SGD(unit.parameters(), lr=lr)
    inputs, targets = Tensor(x.reshape(-1, 1)), Tensor(x.reshape(-1, 1) + 1)
    first_gradient = None
    for _ in range(steps):
        optimizer.zero_grad()
        F.mse_loss(unit(inputs), targets).backward()
        if first_gradient is None:
            first_gradient = float(np.abs(unit[0].weight.grad.numpy()).sum()
                                   + np.abs(unit[0].bias.grad.numpy()).sum())
        optimizer.step()
    return first_gradient, float(unit[0].bias.item())


def plot(s, curves, path):
    """Each activation (top) and its slope (bottom), on one axis per row."""
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 8), sharex=True)
    for name, (y, dy) in curves.items():
        leaky = name.startswith("leaky")
        style = "--" if leaky else "-"  # drawn over ReLU where s > 0
        label = f"{name} (slope {LEAKY_SLOPE} below 0)" if leaky else name
        top.plot(s, y, style, label=label)
        bottom.plot(s, dy, style, label=label)
    top.set_title("Activation functions")
    top.set_ylabel("activation(s)")
    bottom.set_title("Their slopes, computed by backpropagation (autodiff.grad)")
    bottom.set_ylabel("d activation / d s")
    bottom.set_xlabel("weighted sum s")
    for ax in (top, bottom):
        ax.axhline(0, color="k", lw=0.5)
        ax.axvline(0, color="k", lw=0.5)
        ax.legend(fontsize=9)
    save_plot(fig, path)


def main(argv=None):
    """Compare the activations, show softmax's Jacobian and a dead unit, and plot."""
    parser = make_parser("activations", __doc__, epochs=20,
                         seed_help="random seed (this script draws nothing at random)",
                         epochs_help="gradient-descent steps of the dead unit")
    args = parse_args(parser, argv)
    steps = min(args.epochs, 10) if args.quick else args.epochs
    s = np.linspace(-4, 4, 81 if args.quick else 801)
    s = s[np.abs(s) > 1e-9]  # leave out 0 itself, where ReLU's slope is a convention (0)
    curves, errors = compare_with_formulas(s)
    errors["softmax jacobian"] = softmax_jacobian(np.array([2.0, 1.0, 0.1]))
    x = np.linspace(-1, 1, 200)
    print("\na unit with bias -5, so that its sum w x + b < 0 for every input x in [-1, 1]:")
    dead = {}
    for name, make in (("ReLU", nn.ReLU), ("leaky ReLU", lambda: nn.LeakyReLU(LEAKY_SLOPE))):
        dead[name] = gradient, bias = dead_unit(make, x, steps=steps)
        print(f"  {name:<10s}: |gradient| of its weight and bias {gradient:.4f}; bias after "
              f"{steps} steps {bias:+.3f}")
    print()
    for name, error in errors.items():
        report(f"{name} formula error", error)
    for name, (gradient, bias) in dead.items():
        report(f"{name} dead unit gradient", gradient)
        report(f"{name} dead unit bias", bias)
    plot(s, curves, args.out / "activations.png")


if __name__ == "__main__":
    main()
