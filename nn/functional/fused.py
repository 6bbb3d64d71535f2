"""A Linear followed by an activation, recorded as one node: `LinearRelu`, `LinearLeakyRelu`.

`nn.Sequential` records these for a ``Linear`` followed by a ``ReLU`` or ``LeakyReLU`` (see
`nn.layers.linear.Linear`): the product's output is a temporary nobody else sees, so the
activation is computed into it, and the pair costs one node instead of two. The values and the
gradients are those of the two ops, bit for bit; `autodiff.viz.draw_graph` draws the node as
its two ops (``parts``). What the pair saves is the engine's work for one node, not NumPy's:
on the MLP benchmark (784-256-128-10, one thread) about 54,000 of the step's 20 million
instructions (Cachegrind); side by side with two nodes, 2% to 4% of the step at batch 32, and
at batch 128 about 40 of the 150 us by which the step exceeded hand-written NumPy.
"""
from abc import ABCMeta, abstractmethod

import numpy as np

from autodiff.ops.elementwise import (leaky_relu_scale, masked, scaled_in_place, select_in_place,
                                      times_constant)
from autodiff.ops.registry import register
from autodiff.tensor import Tensor

from .layers import Linear, _linear_cases

__all__ = ["LinearActivation", "LinearRelu", "LinearLeakyRelu", "linear_relu",
           "linear_leaky_relu"]


class LinearActivation(Linear, metaclass=ABCMeta):
    """``activation(x @ w.T + b)`` as one node; a subclass names the activation.

    The activation is computed into the product's output (its own fresh array). Backward
    applies the activation's derivative to the incoming gradient, then `Linear`'s backward.
    Subclasses define ``parts`` (the two op names, for drawings), ``_activate(out)`` (in place,
    returning ``out``), ``_activation_grad(grad)`` (on a Tensor, recorded under
    ``create_graph``) and ``_activation_grad_arrays(grad, private)`` (on an ndarray).
    """

    _overwrites_grad = True  # the derivative is applied into a gradient nobody else holds

    def forward(self, x, w, *bias):
        return self._activate(super().forward(x, w, *bias))

    def backward(self, grad):
        grad = self._activation_grad(grad)
        return super().backward(grad if isinstance(grad, Tensor) else self.constant(grad))

    def _backward_arrays(self, grad, private):
        return super()._backward_arrays(self._activation_grad_arrays(grad, private), private)

    def part_outputs(self):
        """The outputs of the two parts while the node keeps its inputs: the product
        (recomputed, since the activation was written over it) and the node's output."""
        return super().forward(*(t.data for t in self.inputs)), self.out

    def part_grads(self, grad):
        """The gradients at the two parts' outputs, as arrays, for ``grad`` (a Tensor) at the
        node's output: through the activation's derivative, and ``grad`` itself."""
        inner = self._activation_grad(grad)
        return (inner.data if isinstance(inner, Tensor) else inner), grad.data

    @abstractmethod
    def _activate(self, out):
        """The activation of ``out``, written into ``out``."""

    @abstractmethod
    def _activation_grad(self, grad):
        """``grad`` (a Tensor) times the activation's derivative."""

    @abstractmethod
    def _activation_grad_arrays(self, grad, private):
        """``grad`` (an ndarray, overwritable when ``private``) times the derivative."""


class LinearRelu(LinearActivation):
    """``relu(x @ w.T + b)``: `Linear` then `Relu` as one node."""

    parts = ("Linear", "Relu")
    reads_output = True  # the ReLU's mask comes from the output

    def _activate(self, out):
        return np.maximum(out, 0, out=out)

    def _activation_grad(self, grad):
        return masked(grad, self.out > 0)

    def _activation_grad_arrays(self, grad, private):
        return select_in_place(grad, self.out > 0, private)


class LinearLeakyRelu(LinearActivation):
    """``leaky_relu(x @ w.T + b, slope)``: `Linear` then `LeakyRelu` as one node."""

    parts = ("Linear", "LeakyRelu")

    def _activate(self, out):
        self.scale = leaky_relu_scale(out, self.slope)
        return np.multiply(out, self.scale, out=out)

    def _activation_grad(self, grad):
        return times_constant(grad, self.scale)

    def _activation_grad_arrays(self, grad, private):
        return scaled_in_place(grad, self.scale, private)


def linear_relu(input, weight, bias=None):
    """``F.relu(F.linear(input, weight, bias))`` recorded as one `LinearRelu` node.

    >>> x = Tensor(np.ones((2, 3)))
    >>> linear_relu(x, Tensor(-np.ones((1, 3))), Tensor(np.array([5.0]))).data.ravel().tolist()
    [2.0, 2.0]
    """
    if bias is None:
        return LinearRelu.apply(input, weight)
    return LinearRelu.apply(input, weight, bias)


def linear_leaky_relu(input, weight, bias=None, negative_slope=0.01):
    """``F.leaky_relu(F.linear(input, weight, bias), negative_slope)`` as one node.

    >>> x = Tensor(np.ones((1, 2)))
    >>> linear_leaky_relu(x, Tensor(-np.ones((1, 2))), negative_slope=0.5).data.tolist()
    [[-1.0]]
    """
    if bias is None:
        return LinearLeakyRelu.apply(input, weight, slope=negative_slope)
    return LinearLeakyRelu.apply(input, weight, bias, slope=negative_slope)


# ----- registry (see autodiff/ops/registry.py): inputs drawn by hypothesis -------------------
_KINK_MARGIN = 0.05  # every pre-activation stays this far from the kink at 0


def _cases(batch_dims=1, slope=False):
    """`linear`'s cases ((x, w, b), {}) with ``b`` moved so that every pre-activation keeps away
    from the kink at 0, and a drawn ``negative_slope`` when ``slope`` (no case without bias:
    ``x @ w.T`` alone can be exactly 0, as for zero inputs)."""
    from hypothesis import strategies as st

    def away(case, negative_slope):
        (x, w, b), _ = case
        params = {} if negative_slope is None else {"negative_slope": negative_slope}
        return (x, w, _away_from_kink(x, w, b)), params

    slopes = st.floats(0.01, 0.5) if slope else st.none()
    return st.builds(away, _linear_cases(batch_dims=batch_dims), slopes)


def _away_from_kink(x, w, b):
    """``b`` moved up, column by column, until no ``x @ w.T + b`` lies within the margin of 0.

    Each step leaves the interval it was in and no interval is entered twice, so it ends."""
    products = (x.reshape(-1, w.shape[1]) @ w.T).T  # (out, rows)
    b = b.copy()
    for column, row_values in enumerate(products):
        while np.any(np.abs(row_values + b[column]) < _KINK_MARGIN):
            b[column] += 2 * _KINK_MARGIN
    return b


register("linear_relu", lambda x, w, b: linear_relu(x, w, b), arity=3, kind="strategy",
         params={"strategy": _cases})
register("linear_relu_batched", lambda x, w, b: linear_relu(x, w, b), arity=3, kind="strategy",
         params={"strategy": lambda: _cases(batch_dims=3)})
register("linear_leaky_relu", lambda x, w, b, **kw: linear_leaky_relu(x, w, b, **kw), arity=3,
         kind="strategy", params={"strategy": lambda: _cases(slope=True)})
