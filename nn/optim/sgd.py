"""`SGD`: stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.

PyTorch's update rule, for each parameter ``p`` with gradient ``g`` (negated first when
``maximize``)::

    g = g + weight_decay * p                     if weight_decay != 0
    b = g (a copy) on the first step,            if momentum != 0
        else momentum * b + (1 - dampening) * g
    g = g + momentum * b   if nesterov   else   b
    p = p - lr * g

Momentum here is PyTorch's ``b = mu * b + g; p -= lr * b``, not Sutskever's ``v = mu * v +
lr * g`` (the two differ when ``lr`` changes during training).
"""
import numpy as np

from .axpy import axpy
from .optimizer import Optimizer, _check_implementation_options, _check_numbers

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    >>> from autodiff import Tensor
    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.data
    array([ 0.8, -1.6], dtype=float32)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check_implementation_options(type(self).__name__, differentiable)
        _check_numbers(type(self).__name__, lr=lr, momentum=momentum, dampening=dampening,
                       weight_decay=weight_decay)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        if momentum == 0 and weight_decay == 0:
            # the plain update, on the training hot path: no state, no copy of the gradient
            step = lr if group["maximize"] else -lr
            for p in group["params"]:
                if p.grad is not None:
                    axpy(step, p.grad.data, p.data)
            return
        for p in group["params"]:
            if p.grad is None:
                continue
            g = -p.grad.data if group["maximize"] else p.grad.data
            if weight_decay != 0:
                g = g + weight_decay * p.data  # a new array: the gradient stays untouched
            if momentum != 0:
                g = self._momentum(p, g, momentum, group["dampening"], group["nesterov"])
            axpy(-lr, g, p.data)

    def _momentum(self, p, g, momentum, dampening, nesterov):
        """Update ``p``'s momentum buffer with ``g``; return the direction to step along."""
        state = self.state.setdefault(p, {})
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = np.array(g, dtype=p.dtype, copy=True)
        else:
            buf *= momentum
            if dampening == 0:
                buf += g
            else:
                buf += (1 - dampening) * g
        return g + momentum * buf if nesterov else buf

