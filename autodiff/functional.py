"""Function transforms in the style of JAX: `grad` and `value_and_grad`.

``grad(f)(x)`` is the gradient of a scalar function at ``x``. It works on inputs that do not
require grad, never touches any ``.grad`` attribute, and nests: ``grad(grad(f))(x)`` is the
second derivative, because when an input is itself part of a recorded graph the gradient is
computed with ``create_graph=True`` and so is differentiable again.
"""
import numpy as np

from .engine import run_backward
from .grad_mode import enable_grad, is_grad_enabled
from .ops.elementwise import Identity
from .tensor import Tensor


def _argnums(argnums):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _differentiable_input(x):
    """A tensor standing for ``x`` that the transform can differentiate with respect to.

    If ``x`` is already part of an outer computation it is wrapped in an identity node (so the
    gradient stops there and stays connected to the outer graph); otherwise it becomes a fresh
    leaf that requires grad.
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.requires_grad and is_grad_enabled():
        return Identity.apply(x), True
    return x.detach().requires_grad_(), False


def _scalar_output(out, name):
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: the function must return a Tensor, it returned {type(out).__name__}")
    if out.size != 1:
        raise ValueError(
            f"{name}: the function must return a one-element tensor, it returned shape "
            f"{out.shape}; use jacobian() for vector outputs"
        )
    return out


def vjp_inputs(out, inputs, cotangent, create_graph):
    """Gradients of ``sum(out * cotangent)`` with respect to ``inputs`` (zeros where unused)."""
    if out.requires_grad:
        grads = run_backward((out,), (cotangent,), retain_graph=create_graph,
                             create_graph=create_graph, inputs=inputs)
    else:
        grads = (None,) * len(inputs)
    return tuple(
        g if g is not None else Tensor._make(np.zeros_like(x.data), False)
        for g, x in zip(grads, inputs)
    )


def value_and_grad(f, argnums=0):
    """``f``'s value and its gradient with respect to the arguments in ``argnums``.

    >>> value_and_grad(lambda x: (x * x).sum())(Tensor([3.0]))
    (Tensor(9., dtype=float32), Tensor([6.], dtype=float32))
    """
    nums = _argnums(argnums)

    def wrapper(*args, **kwargs):
        args = list(args)
        connected = False
        for i in nums:
            args[i], outer = _differentiable_input(args[i])
            connected = connected or outer
        with enable_grad():
            out = _scalar_output(f(*args, **kwargs), "grad")
        seed = Tensor._make(np.ones_like(out.data), False)
        grads = vjp_inputs(out, [args[i] for i in nums], seed, create_graph=connected)
        value = out if connected else out.detach()
        return value, (grads[0] if isinstance(argnums, int) else grads)

    return wrapper


def grad(f, argnums=0):
    """The gradient of scalar-valued ``f`` with respect to argument ``argnums`` (or a tuple).

    >>> grad(lambda x: x.tanh().sum())(Tensor(0.0))
    Tensor(1., dtype=float32)
    """
    value_and_grad_f = value_and_grad(f, argnums)

    def wrapper(*args, **kwargs):
        return value_and_grad_f(*args, **kwargs)[1]

    return wrapper
