"""Function transforms in the style of JAX: `grad`, `value_and_grad`, `jacobian`, `hessian`,
`hvp` and `jvp`.

``grad(f)(x)`` is the gradient of a scalar function at ``x``. It works on inputs that do not
require grad, never touches any ``.grad`` attribute, and nests: when an input is itself part of
a recorded graph (an outer transform is differentiating through this one), or the function uses
a tensor that requires grad besides its inputs (a weight it closes over, as in a gradient
penalty), the gradient is computed with ``create_graph=True`` and so is differentiable again.
Every transform here is built from that one reverse-mode step (a vector-Jacobian product), so
they all nest:
``grad(grad(grad(f)))``, ``jacobian(grad(f))``, ``grad`` of a ``jvp`` ...
"""
import contextlib
import operator
import threading
import weakref

import numpy as np

from .engine import run_backward
from .grad_mode import enable_grad, is_grad_enabled
from .ops.elementwise import TransformInput
from .ops.movement import stack
from .tensor import Tensor, as_tensor


class _Nesting(threading.local):
    depth = 0  # how many transforms are evaluating their function in this thread


_NESTING = _Nesting()
# The fresh leaves transforms made for their inputs. An inner transform's leaf stays in the
# graph of its result (``grad(grad(f, 1), 0)``) but is no weight the outer function closes over.
# By id: a WeakSet would compare tensors with ==, which is elementwise.
_OWN_LEAVES = weakref.WeakValueDictionary()


@contextlib.contextmanager
def _evaluating():
    """Mark that a transform is running its function: transforms called inside it (directly or
    through a closure over the outer input) must return differentiable results."""
    _NESTING.depth += 1
    try:
        with enable_grad():
            yield
    finally:
        _NESTING.depth -= 1


_USAGE = {"jvp": "jvp(f, primals, tangents)", "hvp": "hvp(f, x, v)"}


def _check_function(f, name):
    """Raise for ``grad(loss, x)``, PyTorch's ``torch.autograd.grad`` call: these transforms take
    a function, as JAX's, and would otherwise hand back a wrapper that fails later."""
    if isinstance(f, Tensor) or not callable(f):
        usage = _USAGE.get(name, f"{name}(f)(x): it returns a new function")
        raise TypeError(
            f"{name} takes a function (as jax.{name} does): {usage}. Got a "
            f"{type(f).__name__}. For the gradient of a computed loss "
            f"(torch.autograd.grad(loss, x)), call loss.backward() and read x.grad")


def _argnums(argnums):
    """``argnums`` as a tuple of ints: an int (a NumPy one too) or a sequence of them, as
    JAX takes it."""
    if _single(argnums):
        return (operator.index(argnums),)
    try:
        return tuple(map(operator.index, argnums))
    except TypeError:
        raise TypeError(f"argnums must be an int or a sequence of ints, got {argnums!r}") from None


def _single(argnums):
    """Whether ``argnums`` is one int (so the transform returns one result, not a tuple)."""
    try:
        operator.index(argnums)
    except TypeError:
        return False
    return True


def _differentiable_input(x):
    """A tensor standing for ``x`` that the transform can differentiate with respect to.

    If ``x`` is already part of an outer computation it is wrapped in an identity node (so the
    gradient stops there and stays connected to the outer graph); otherwise it becomes a fresh
    leaf that requires grad.
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.requires_grad and is_grad_enabled():
        return TransformInput.apply(x), True
    leaf = x.detach().requires_grad_()
    _OWN_LEAVES[id(leaf)] = leaf
    return leaf, False


def _prepare(args, nums):
    """The arguments with those in ``nums`` made differentiable, and whether the results must be
    differentiable too: an input is connected to an outer graph, or an outer transform is
    running (it may differentiate through a closure)."""
    args = list(args)
    for i in nums:
        if not -len(args) <= i < len(args):
            raise IndexError(f"argnums {i} is out of range for a function called with "
                             f"{len(args)} positional argument{'s' if len(args) != 1 else ''}")
    connected = _NESTING.depth > 0
    for i in nums:
        args[i], outer = _differentiable_input(args[i])
        connected = connected or outer
    return args, connected


def _uses_outer_tensors(out, inputs):
    """Whether ``out``'s graph reaches a tensor that requires grad other than ``inputs``: a
    weight the function closes over (``grad(lambda x: (w * x).sum())``). Then the result must
    stay connected to it, as in ``torch.func.grad``, or a gradient penalty built from it would
    add nothing to ``w.grad``. A walk over the graph, stopping at the first such tensor."""
    if not is_grad_enabled():  # called under no_grad: no graph is wanted
        return False
    own = {id(x) for x in inputs}
    stack, seen = [out], set()
    while stack:
        tensor = stack.pop()
        node = tensor._ctx
        if node is None:
            inner_leaf = _OWN_LEAVES.get(id(tensor)) is tensor
            if tensor.requires_grad and id(tensor) not in own and not inner_leaf:
                return True
            continue
        if node in seen:
            continue
        if node.inputs is None:  # released by an earlier backward: the engine will say so
            return True
        seen.add(node)
        stack.extend(node.inputs)
    return False


def _tensor_output(out, name):
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: the function must return a Tensor, it returned {type(out).__name__}")
    return out


def _scalar_output(out, name):
    _tensor_output(out, name)
    if out.size != 1:
        raise ValueError(
            f"{name}: the function must return a one-element tensor, it returned shape "
            f"{out.shape}; use jacobian() for vector outputs"
        )
    return out


def vjp_inputs(out, inputs, cotangent, create_graph, retain_graph=None):
    """Gradients of ``sum(out * cotangent)`` with respect to ``inputs`` (zeros where unused)."""
    if retain_graph is None:
        retain_graph = create_graph
    if out.requires_grad:
        grads = run_backward((out,), (cotangent,), retain_graph=retain_graph,
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
    _check_function(f, "value_and_grad")
    nums = _argnums(argnums)

    def wrapper(*args, **kwargs):
        args, connected = _prepare(args, nums)
        with _evaluating():
            out = _scalar_output(f(*args, **kwargs), "grad")
        connected = connected or _uses_outer_tensors(out, [args[i] for i in nums])
        seed = Tensor._make(np.ones_like(out.data), False)
        grads = vjp_inputs(out, [args[i] for i in nums], seed, create_graph=connected)
        value = out if connected else out.detach()
        return value, (grads[0] if _single(argnums) else grads)

    return wrapper


def grad(f, argnums=0):
    """The gradient of scalar-valued ``f`` with respect to argument ``argnums`` (or a tuple).

    >>> grad(lambda x: x.tanh().sum())(Tensor(0.0))
    Tensor(1., dtype=float32)
    """
    _check_function(f, "grad")
    value_and_grad_f = value_and_grad(f, argnums)

    def wrapper(*args, **kwargs):
        return value_and_grad_f(*args, **kwargs)[1]

    return wrapper


def jacobian(f, argnums=0):
    """The Jacobian of ``f`` with respect to argument ``argnums`` (or a tuple of them).

    The result has shape ``out.shape + x.shape``: entry ``[i..., j...]`` is d out[i...] /
    d x[j...]. One reverse pass per output element.

    >>> jacobian(lambda x: x * x)(Tensor([1.0, 2.0]))
    Tensor([[2., 0.],
            [0., 4.]], dtype=float32)
    """
    _check_function(f, "jacobian")
    nums = _argnums(argnums)

    def wrapper(*args, **kwargs):
        args, connected = _prepare(args, nums)
        with _evaluating():
            out = _tensor_output(f(*args, **kwargs), "jacobian")
        inputs = [args[i] for i in nums]
        connected = connected or _uses_outer_tensors(out, inputs)
        rows = [[] for _ in inputs]
        for k in range(out.size):
            seed = np.zeros(out.size, dtype=out.dtype)
            seed[k] = 1
            seed = Tensor._make(seed.reshape(out.shape), False)
            grads = vjp_inputs(out, inputs, seed, create_graph=connected, retain_graph=True)
            for row, g in zip(rows, grads):
                row.append(g)
        jacobians = tuple(_assemble(row, out, x) for row, x in zip(rows, inputs))
        return jacobians[0] if _single(argnums) else jacobians

    return wrapper


def _assemble(rows, out, x):
    """Stack the per-output-element gradients into shape ``out.shape + x.shape``."""
    shape = out.shape + x.shape
    if not rows:
        return Tensor._make(np.zeros(shape, dtype=x.dtype), False)
    return stack(rows).reshape(shape)


def hessian(f, argnums=0):
    """The Hessian of ``f``: the Jacobian of its Jacobian, shaped ``out.shape + x.shape +
    x.shape`` (``x.shape + x.shape`` for a scalar ``f``). With a tuple ``argnums`` the result
    is a nested tuple of blocks ``H[i][j]`` = d2 f / d x_i d x_j.

    >>> hessian(lambda x: (x ** 3).sum())(Tensor([1.0, 2.0]))
    Tensor([[ 6.,  0.],
            [ 0., 12.]], dtype=float32)
    """
    _check_function(f, "hessian")
    nums = _argnums(argnums)

    def wrapper(*args, **kwargs):
        blocks = tuple(
            tuple(jacobian(jacobian(f, i), j)(*args, **kwargs) for j in nums) for i in nums
        )
        return blocks[0][0] if _single(argnums) else blocks

    return wrapper


def _as_tuple(values, name):
    if isinstance(values, list):
        values = tuple(values)
    if not isinstance(values, tuple):
        raise TypeError(f"{name} must be a tuple of tensors, got {type(values).__name__}")
    return tuple(map(as_tensor, values))


def _check_tangents(primals, tangents, name):
    if len(primals) != len(tangents):
        raise ValueError(f"{name}: {len(primals)} primals but {len(tangents)} tangents")
    for i, (p, t) in enumerate(zip(primals, tangents)):
        if p.shape != t.shape:
            raise ValueError(
                f"{name}: tangent {i} has shape {t.shape} but its primal has shape {p.shape}"
            )


def _dot(xs, ys):
    """sum_i sum(xs[i] * ys[i]) as a 0-d Tensor."""
    total = None
    for x, y in zip(xs, ys):
        term = (x * y).sum()
        total = term if total is None else total + term
    return total


def hvp(f, x, v):
    """The Hessian of scalar ``f`` at ``x`` times ``v``, without forming the Hessian.

    ``x`` and ``v`` are Tensors of one shape (or tuples of them, then ``f(*x)`` and the result
    is a tuple). Two reverse passes: the gradient of ``<grad f(x), v>``.

    >>> hvp(lambda x: (x ** 3).sum(), Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))
    Tensor([ 6., 12.], dtype=float32)
    """
    _check_function(f, "hvp")
    single = not isinstance(x, (tuple, list))
    primals = _as_tuple((x,) if single else x, "hvp primals")
    tangents = _as_tuple((v,) if single else v, "hvp vectors")
    _check_tangents(primals, tangents, "hvp")
    nums = tuple(range(len(primals)))

    def scalar(*xs):
        return _scalar_output(f(*xs), "hvp")

    def directional_derivative(*xs):
        return _dot(grad(scalar, nums)(*xs), tangents)

    result = grad(directional_derivative, nums)(*primals)
    return result[0] if single else result


def jvp(f, primals, tangents):
    """Forward-mode product: ``(f(*primals), J @ tangents)`` with J the Jacobian of ``f``.

    ``primals`` and ``tangents`` are tuples of Tensors of matching shapes. Computed with two
    reverse passes (the double-vjp trick): ``g(u) = J^T u`` is linear in a dummy cotangent
    ``u``, so the gradient of ``<g(u), tangents>`` with respect to ``u`` is ``J @ tangents``.

    >>> jvp(lambda x: x * x, (Tensor([1.0, 2.0]),), (Tensor([1.0, 0.0]),))
    (Tensor([1., 4.], dtype=float32), Tensor([2., 0.], dtype=float32))
    """
    _check_function(f, "jvp")
    primals = _as_tuple(primals, "jvp primals")
    tangents = _as_tuple(tangents, "jvp tangents")
    _check_tangents(primals, tangents, "jvp")
    args, connected = _prepare(primals, range(len(primals)))
    outer_grad_mode = is_grad_enabled()  # _evaluating turns it on: read the caller's first
    connected = connected or any(t.requires_grad and outer_grad_mode for t in tangents)
    with _evaluating():
        out = _tensor_output(f(*args), "jvp")
        connected = connected or (outer_grad_mode and _uses_outer_tensors(out, args))
        if out.dtype.kind != "f":  # nothing to differentiate: a zero tangent, as jacobian's
            dtype = np.result_type(*(p.dtype for p in primals))
            return out.detach(), Tensor._make(np.zeros(out.shape, dtype=dtype), False)
        u = Tensor(np.zeros_like(out.data), requires_grad=True)
        pulled_back = vjp_inputs(out, args, u, create_graph=True)
        projection = _dot(pulled_back, tangents)
    seed = Tensor._make(np.ones_like(projection.data), False)
    (tangent_out,) = vjp_inputs(projection, [u], seed, create_graph=connected)
    return (out if connected else out.detach()), tangent_out
