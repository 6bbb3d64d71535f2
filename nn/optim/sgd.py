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

from .optimizer import Optimizer

__all__ = ["SGD"]

# Elements of ``lr * g`` formed at a time by `_subtract_scaled`: 256 KiB of float32.
_BLOCK = 1 << 16


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
                 nesterov=False, *, maximize=False):
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
            if group["maximize"]:
                lr = -lr
            for p in group["params"]:
                if p.grad is not None:
                    _subtract_scaled(p.data, p.grad.data, lr)
            return
        for p in group["params"]:
            if p.grad is None:
                continue
            g = -p.grad.data if group["maximize"] else p.grad.data
            if weight_decay != 0:
                g = g + weight_decay * p.data  # a new array: the gradient stays untouched
            if momentum != 0:
                g = self._momentum(p, g, momentum, group["dampening"], group["nesterov"])
            p.data -= lr * g

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


def _subtract_scaled(p, g, lr):
    """``p -= lr * g`` in place, without writing into ``g`` (gradients are read-only).

    NumPy has no fused multiply-subtract, and ``p -= lr * g`` allocates a temporary as large as
    the parameter: a trip through memory and, for big layers, the step's peak memory. Large
    contiguous parameters are instead updated one block at a time through a small buffer that
    stays in cache; the arithmetic is the same.
    """
    if (p.size <= _BLOCK or g.shape != p.shape
            or not (p.flags.c_contiguous and g.flags.c_contiguous)):
        p -= lr * g
        return
    flat_p, flat_g = p.reshape(-1), g.reshape(-1)
    buffer = np.empty(_BLOCK, dtype=g.dtype)
    for start in range(0, flat_p.size, _BLOCK):
        block = flat_g[start:start + _BLOCK]
        scaled = buffer[:block.size]
        np.multiply(block, lr, out=scaled)
        flat_p[start:start + _BLOCK] -= scaled
