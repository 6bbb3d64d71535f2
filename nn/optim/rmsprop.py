"""`RMSprop`: gradient steps divided by a running root-mean-square of the gradients.

PyTorch's update rule, for each parameter ``p`` with gradient ``g`` (negated first when
``maximize``), state zero-initialised::

    g = g + weight_decay * p                       if weight_decay != 0
    v = alpha * v + (1 - alpha) * g**2
    if centered:  m = alpha * m + (1 - alpha) * g;   avg = sqrt(v - m**2) + eps
    else:                                            avg = sqrt(v) + eps
    if momentum > 0:  b = momentum * b + g / avg;    p = p - lr * b
    else:                                            p = p - lr * g / avg

``eps`` is added outside the square root. State names are PyTorch's: ``step``,
``square_avg``, ``grad_avg`` (centered), ``momentum_buffer`` (momentum > 0).
"""
import numpy as np

from .axpy import axpy
from .optimizer import Optimizer, _check_implementation_options, _check_numbers

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as ``torch.optim.RMSprop``."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False):
        _check_implementation_options(type(self).__name__, differentiable)
        _check_numbers(type(self).__name__, lr=lr, alpha=alpha, eps=eps,
                       weight_decay=weight_decay, momentum=momentum)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if alpha < 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _update_group(self, group):
        alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
        for p in group["params"]:
            if p.grad is None:
                continue
            g = -p.grad.data if group["maximize"] else p.grad.data
            if group["weight_decay"] != 0:
                g = g + group["weight_decay"] * p.data
            state = self._state(p, group)
            state["step"] += 1
            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += (1 - alpha) * (g * g)
            if group["centered"]:
                grad_avg = state["grad_avg"]
                grad_avg *= alpha
                grad_avg += (1 - alpha) * g
                avg = np.subtract(square_avg, grad_avg * grad_avg, out=np.empty_like(square_avg))
                np.sqrt(avg, out=avg)
            else:  # out=: for a 0-d parameter NumPy would return a scalar, not an array
                avg = np.sqrt(square_avg, out=np.empty_like(square_avg))
            avg += eps
            ratio = np.divide(g, avg, out=avg)  # g / avg, in avg's (temporary) memory
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += ratio
                axpy(-group["lr"], buf, p.data)
            else:
                ratio *= group["lr"]
                p.data -= ratio

    def _required_state(self, group):
        return (("step", "square_avg") + (("momentum_buffer",) if group["momentum"] > 0 else ())
                + (("grad_avg",) if group["centered"] else ()))

    def _state(self, p, group):
        state = self.state.get(p)
        if not state:  # none yet, or the empty one a read of self.state[p] made
            state = self.state[p] = {"step": 0, "square_avg": np.zeros_like(p.data)}
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        return state
