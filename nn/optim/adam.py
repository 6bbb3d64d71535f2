"""`Adam` and `AdamW`: steps scaled by bias-corrected running moments of the gradient.

PyTorch's update rule, for each parameter ``p`` with gradient ``g`` (negated first when
``maximize``) at step ``t = 1, 2, ...``, state zero-initialised::

    Adam:   g = g + weight_decay * p              (L2 penalty folded into the gradient)
    AdamW:  p = p * (1 - lr * weight_decay)       (decoupled decay; g is left alone)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    if amsgrad:  v_max = max(v_max, v);  v_used = v_max   else  v_used = v
    p = p - lr / (1 - beta1**t) * m / (sqrt(v_used) / sqrt(1 - beta2**t) + eps)

``eps`` is added after the bias correction of ``sqrt(v)``, and AMSGrad keeps the maximum of
the raw ``v`` (both as PyTorch's implementation does). State names are PyTorch's: ``step``,
``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq`` (amsgrad).
"""
import math

import numpy as np

from .optimizer import Optimizer, _check_implementation_options, _check_numbers

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014), as ``torch.optim.Adam``; ``weight_decay`` is an L2 penalty."""

    _decoupled_weight_decay = False
    _added_later = ("decoupled_weight_decay",)  # (an older checkpoint loads with the class's)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=None):
        _check_implementation_options(type(self).__name__, differentiable)
        _check_hyperparameters(type(self).__name__, lr, betas, eps, weight_decay)
        decoupled = (type(self)._decoupled_weight_decay if decoupled_weight_decay is None
                     else bool(decoupled_weight_decay))  # (PyTorch's Adam(decoupled=True): AdamW)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=decoupled)
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        for p in group["params"]:
            if p.grad is None:
                continue
            g = -p.grad.data if group["maximize"] else p.grad.data
            state = self._state(p, group)
            state["step"] = step = state["step"] + 1
            if weight_decay != 0:
                if group.get("decoupled_weight_decay", self._decoupled_weight_decay):
                    p.data *= 1 - lr * weight_decay
                else:
                    g = g + weight_decay * p.data
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            # the one temporary, reused below (out=: a 0-d g would give a NumPy scalar)
            scratch = np.multiply(g, 1 - beta1, out=np.empty_like(exp_avg))
            exp_avg *= beta1
            exp_avg += scratch
            np.multiply(g, g, out=scratch)
            scratch *= 1 - beta2
            exp_avg_sq *= beta2
            exp_avg_sq += scratch
            if group["amsgrad"]:
                np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                exp_avg_sq = state["max_exp_avg_sq"]
            denom = np.sqrt(exp_avg_sq, out=scratch)
            denom /= math.sqrt(1 - beta2 ** step)
            denom += group["eps"]
            update = np.divide(exp_avg, denom, out=denom)
            update *= lr / (1 - beta1 ** step)
            p.data -= update

    def _required_state(self, group):
        return ("step", "exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())

    def _state(self, p, group):
        state = self.state.get(p)
        if not state:  # none yet, or the empty one a read of self.state[p] made
            state = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(p.data),
                                     "exp_avg_sq": np.zeros_like(p.data)}
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        return state


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter), as ``torch.optim.AdamW``.

    Each step first shrinks the parameter by ``lr * weight_decay`` of itself, then takes the
    Adam step on the undecayed gradient.
    """

    _decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, differentiable=differentiable)


def _check_hyperparameters(owner, lr, betas, eps, weight_decay):
    _check_numbers(owner, lr=lr, eps=eps, weight_decay=weight_decay)
    if lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps < 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not hasattr(betas, "__len__") or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    _check_numbers(owner, **{f"betas[{i}]": beta for i, beta in enumerate(betas)})
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
    if weight_decay < 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
