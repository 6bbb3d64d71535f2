"""Gradient hooks (`Tensor.register_hook`) and `RemovableHandle`, the handle that removes a hook.

A hook is ``hook(grad) -> Tensor or None``, as in PyTorch. It is called with the gradient of
the tensor it was registered on, as a Tensor, when backward has computed it, and may return a
replacement of the same shape: on an interior tensor the replacement flows on through the graph
(and is what ``retain_grad()`` keeps); on a leaf it is what accumulates into ``.grad``. Hooks
run in the order they were registered, each on the result of the one before. They should not
modify their argument (the engine may share that array): return a new tensor instead.

A leaf keeps its hooks; an interior tensor's hooks live on the node that made it, so a hook
registered before an in-place change sees the gradient of the value before the change, and one
registered after it sees the gradient of the changed value (PyTorch's rule).

The engine looks for hooks only while some are registered (`REGISTERED`), so programs without
hooks pay nothing.
"""
import sys
import weakref
from itertools import count

import numpy as np

_next_key = count().__next__


def _refcount_of_a_local():
    """What ``sys.getrefcount`` reports for an object one local variable alone refers to."""
    local = object()
    return sys.getrefcount(local)


_REFS_OF_A_LOCAL = _refcount_of_a_local()


class _Registered:
    """How many hooks are registered; the engine skips looking for hooks while it is 0."""

    count = 0


REGISTERED = _Registered()


class RemovableHandle:
    """Removes the hook it was returned for: ``handle.remove()``, or on leaving a ``with``
    block (as ``torch.utils.hooks.RemovableHandle``). Removing twice does nothing.

    ``table`` is the dict that holds the hook under ``key``; ``counter``, when given, is an
    object whose ``count`` of registered hooks goes down by one on removal. A tensor's table
    is held weakly, as PyTorch's handle holds it: a kept handle does not keep the tensor's
    hooks (nor what they refer to) alive.
    """

    def __init__(self, table, key, counter=None):
        self._table = weakref.ref(table) if isinstance(table, _HookTable) else lambda: table
        self._counter = counter
        self.id = key

    def remove(self):
        """Remove the hook (nothing happens if it is gone already)."""
        table = self._table()
        if table is not None and table.pop(self.id, None) is not None and self._counter is not None:
            self._counter.count -= 1

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def add(table, hook):
    """Put ``hook`` last in ``table`` (a dict, in registration order); return its handle."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    key = _next_key()
    table[key] = hook
    REGISTERED.count += 1
    return RemovableHandle(table, key, REGISTERED)


def register(tensor, hook):
    """`Tensor.register_hook`: on the leaf itself, or on the node that made the tensor."""
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that does not require grad")
    owner = tensor._ctx
    if owner is None:
        table = getattr(tensor, "_hooks", None)
        if table is None:
            table = tensor._hooks = _HookTable()
    else:
        table = owner.__dict__.get("out_hooks")
        if table is None:
            table = owner.out_hooks = _HookTable()
    return add(table, hook)


class _HookTable(dict):
    """The hooks of one tensor (a leaf's, or a node's for its output), by key in registration
    order. When the table is freed with its owner, its hooks stop counting in `REGISTERED`, so
    the engine stops looking for hooks. (A finalizer would keep the table, and so every hook and
    what it refers to, alive until the owner dies; a hook that refers to its own tensor would
    then never be freed. ``__del__`` lets the cycle collector free such a cycle.)"""

    __slots__ = ("__weakref__",)

    def __del__(self):
        REGISTERED.count -= len(self)


def leaf_hooks(tensor):
    """The hooks of a leaf, or None."""
    return getattr(tensor, "_hooks", None)


def run(table, grad, shape):
    """``grad`` (an ndarray, or a Tensor under create_graph) passed through the hooks of
    ``table``, in the same form; ``shape`` is the tensor's, which a replacement must keep."""
    from .tensor import Tensor, as_tensor

    on_array = type(grad) is np.ndarray
    current = Tensor._make(grad, False) if on_array else grad
    replaced = False
    for hook in list(table.values()):  # a hook may remove itself
        result = hook(current)
        if result is None:
            continue
        result = as_tensor(result)
        if result.shape != shape:
            raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of "
                               f"shape {result.shape} for a tensor of shape {shape}")
        current = result if result.dtype == current.dtype else result.astype(current.dtype)
        replaced = True
    if not replaced:
        # a hook that kept the Tensor it was given (to log it) must not share the array that
        # becomes .grad: zeroing .grad in place would zero the log (PyTorch copies then too)
        if on_array and sys.getrefcount(current) > _REFS_OF_A_LOCAL:
            return grad.copy()
        return grad
    # a replacement may be a tensor the hook keeps: the engine gets a copy of its own
    return current.data.copy() if on_array else current.clone()
