"""The lesson examples teach what they claim: their printed results, checked at ``--quick`` size.

Each script runs once, as a subprocess started when the module's fixture is first used; all run
at the same time and every test waits only for its own script. Tests parse the stable
``name: value`` lines the scripts print.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ["perceptron", "two_moons", "digit_network_3b1b", "gradient_descent",
           "vanishing_gradients", "activations"]
TIMEOUT = 120  # seconds per script, a guard against a hang, not a speed requirement
RESULT_LINE = re.compile(r"^([A-Za-z][\w ./+-]*?): (-?[0-9][0-9.e+-]*)$", re.MULTILINE)


class Run:
    """One script's subprocess; ``result()`` waits for it and returns (values, stdout, out dir)."""

    def __init__(self, name, out):
        self.name, self.out = name, out
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [
            str(ROOT), os.environ.get("PYTHONPATH")])), MPLBACKEND="Agg",
            OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "examples" / f"{name}.py"), "--quick", "--out", str(out)],
            cwd=out, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._result = None

    def result(self):
        if self._result is None:
            stdout, stderr = self.process.communicate(timeout=TIMEOUT)
            assert self.process.returncode == 0, (
                f"examples/{self.name}.py --quick failed ({self.process.returncode}):\n{stderr}")
            values = {k: float(v) for k, v in RESULT_LINE.findall(stdout)}
            self._result = values, stdout, self.out
        return self._result


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """All lesson scripts started at once (the machine's cores overlap their imports and work)."""
    started = {name: Run(name, tmp_path_factory.mktemp(name)) for name in SCRIPTS}
    yield started
    for run in started.values():
        if run.process.poll() is None:
            run.process.kill()
            run.process.communicate()


def value(values, key):
    """``values[key]`` with a message that lists what the script printed instead."""
    assert key in values, f"{key!r} not printed; got {sorted(values)}"
    return values[key]


def test_perceptron_separates_iris_and_logistic_regression_generalizes(runs):
    values, stdout, out = runs["perceptron"].result()
    # separable data: the perceptron rule stops after an epoch without mistakes
    assert value(values, "iris perceptron accuracy") == 1.0
    assert value(values, "iris perceptron epochs") < 10
    assert value(values, "iris logistic accuracy") >= 0.98
    assert value(values, "iris logistic loss") < 0.2
    assert value(values, "cancer logistic test accuracy") >= 0.93
    assert value(values, "cancer logistic train loss") < value(values, "cancer logistic test loss")
    assert "strongest weights" in stdout and "worst" in stdout  # named learned weights
    assert {p.name for p in out.iterdir()} == {"iris_boundaries.png", "cancer_loss.png"}


def test_two_moons_engines_learn_the_same_function(runs):
    values, stdout, out = runs["two_moons"].result()
    assert value(values, "scalar accuracy") >= 0.9
    assert value(values, "tensor accuracy") == value(values, "scalar accuracy")
    assert value(values, "tensor final loss") == value(values, "scalar final loss")
    assert value(values, "scalar final loss") < 0.3  # from about 0.9 at the start
    difference = value(values, "max parameter difference between the engines")
    assert difference < 1e-9, "same start, same gradients: float64 parameters must agree"
    assert {p.name for p in out.iterdir()} == {"two_moons.png"}


def test_3b1b_sigmoid_network_learns_slower_than_relu_cross_entropy(runs):
    values, _, out = runs["digit_network_3b1b"].result()
    assert value(values, "sigmoid mse test accuracy") >= 0.6
    assert value(values, "relu cross-entropy test accuracy") >= 0.8
    assert (value(values, "relu cross-entropy first epoch accuracy")
            > value(values, "sigmoid mse first epoch accuracy"))
    assert {p.name for p in out.iterdir()} == {"digit_networks.png"}


def test_gradient_descent_flavours_and_optimizers_rank_as_taught(runs):
    values, _, out = runs["gradient_descent"].result()
    chance = 2.3026  # log(10): the cross-entropy of a uniform guess over 10 digits
    # per epoch, more updates help: stochastic < mini-batch < batch
    assert (value(values, "stochastic final cost") < value(values, "mini-batch final cost")
            < value(values, "batch final cost") < chance)
    # equal updates and schedule: Adam and momentum beat plain SGD
    assert value(values, "adam final cost") < value(values, "sgd final cost")
    assert value(values, "momentum final cost") < value(values, "sgd final cost")
    assert value(values, "adam test accuracy") >= 0.85
    assert {p.name for p in out.iterdir()} == {"gradient_descent.png"}


def test_deep_sigmoid_gradients_vanish_and_residual_ones_do_not(runs):
    values, _, out = runs["vanishing_gradients"].result()
    sigmoid = value(values, "sigmoid gradient ratio first/last layer")
    residual = value(values, "residual gradient ratio first/last layer")
    assert sigmoid < 1e-6
    assert 1e-2 < residual < 1e2
    assert value(values, "ReLU + batch norm + residual test accuracy") >= 0.85
    assert value(values, "sigmoid test accuracy") < 0.3  # its first layers cannot learn
    assert {p.name for p in out.iterdir()} == {"vanishing_gradients.png"}


def test_activations_slopes_match_their_formulas_and_relu_units_die(runs):
    values, stdout, out = runs["activations"].result()
    for name in ("sigmoid", "tanh", "ReLU", "leaky ReLU", "GELU", "softmax jacobian"):
        assert value(values, f"{name} formula error") < 1e-6
    # a unit whose sum is negative for every input: no gradient with ReLU, a small one leaky
    assert value(values, "ReLU dead unit gradient") == 0.0
    assert value(values, "ReLU dead unit bias") == -5.0
    assert value(values, "leaky ReLU dead unit gradient") > 0.01
    assert value(values, "leaky ReLU dead unit bias") > -5.0
    assert {p.name for p in out.iterdir()} == {"activations.png"}
