"""Check analytic gradients against central finite differences, in float64.

`gradcheck` compares the gradient of ``sum(f(*inputs) * v)`` (v a fixed random cotangent, so
every output element counts) with central differences of the same function, element by element.
`gradgradcheck` does the same for the gradient itself, which checks second derivatives. Both
return True or raise `GradcheckError` naming the input, the worst element and both values.
"""
import numpy as np

from .engine import run_backward
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with finite differences."""


def _float64_inputs(inputs):
    """Fresh float64 leaves that require grad, one per Tensor or array input."""
    if isinstance(inputs, (Tensor, np.ndarray)):
        inputs = (inputs,)
    return [
        Tensor(np.array(np.asarray(x), dtype=np.float64), requires_grad=True)
        if isinstance(x, (Tensor, np.ndarray)) else x
        for x in inputs
    ]


def _cotangent(out, seed=0):
    rng = np.random.default_rng(seed)
    return Tensor(rng.standard_normal(out.shape), dtype=out.dtype)


def _projected(f, inputs, v):
    """sum(f(*inputs) * v) as a float, without recording a graph."""
    with no_grad():
        out = f(*inputs)
    return float(np.sum(np.asarray(out.data, dtype=np.float64) * v.data))


def numeric_gradient(f, inputs, index, v, eps):
    """Central differences of sum(f * v) with respect to input ``index``."""
    x = inputs[index].data
    numeric = np.zeros(x.shape)
    flat = x.reshape(-1)
    for j in range(flat.size):
        original = flat[j]
        flat[j] = original + eps
        plus = _projected(f, inputs, v)
        flat[j] = original - eps
        minus = _projected(f, inputs, v)
        flat[j] = original
        numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
    return numeric


def analytic_gradients(f, inputs, v, create_graph=False):
    """Gradients of sum(f * v) with respect to every tensor input (zeros where unused)."""
    tensors = [x for x in inputs if isinstance(x, Tensor)]
    out = f(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: the function returned {type(out).__name__}, not a Tensor")
    if not out.requires_grad:
        return [np.zeros(t.shape) for t in tensors], out
    grads = run_backward((out,), (v,), create_graph=create_graph, inputs=tensors)
    return [np.zeros(t.shape) if g is None else g for g, t in zip(grads, tensors)], out


def compare(analytic, numeric, index, atol, rtol, what="gradient"):
    """Raise GradcheckError at the worst element where |a - n| > atol + rtol * |n|."""
    excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if excess.size == 0 or excess.max() <= 0 and np.isfinite(analytic).all():
        return
    worst = np.unravel_index(int(np.argmax(np.where(np.isfinite(excess), excess, np.inf))),
                             analytic.shape)
    raise GradcheckError(
        f"{what} of input {index} at element {tuple(int(i) for i in worst)}: "
        f"analytic {analytic[worst]!r} != numeric {numeric[worst]!r} "
        f"(atol={atol}, rtol={rtol})"
    )


def gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """True when every analytic gradient of ``f`` matches central differences (float64).

    ``inputs`` is a Tensor, an array, or a sequence of them (other items are passed through).
    """
    inputs = _float64_inputs(inputs)
    with no_grad():
        v = _cotangent(f(*inputs))
    grads, _ = analytic_gradients(f, inputs, v)
    positions = [i for i, x in enumerate(inputs) if isinstance(x, Tensor)]
    for position, analytic in zip(positions, grads):
        analytic = np.asarray(getattr(analytic, "data", analytic), dtype=np.float64)
        numeric = numeric_gradient(f, inputs, position, v, eps)
        compare(analytic, numeric, position, atol, rtol)
    return True


def gradgradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """True when the second derivatives of ``f`` match finite differences of its gradient."""
    inputs = _float64_inputs(inputs)
    with no_grad():
        v = _cotangent(f(*inputs))
    tensors = [x for x in inputs if isinstance(x, Tensor)]
    u = [Tensor(np.random.default_rng(1 + i).standard_normal(t.shape)) for i, t in enumerate(tensors)]

    def projected_gradient(*xs):
        with enable_grad():  # also while finite differences evaluate it under no_grad
            grads, _ = analytic_gradients(f, list(xs), v, create_graph=True)
        total = Tensor(0.0, dtype=np.float64)
        for g, w in zip(grads, u):
            if isinstance(g, Tensor):
                total = total + (g * w).sum()
        return total

    return gradcheck(projected_gradient, inputs, eps=eps, atol=atol, rtol=rtol)
