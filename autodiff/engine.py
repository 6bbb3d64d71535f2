"""The backward pass: reverse topological order over the graph and the chain rule.

`run_backward` visits the nodes reachable from the roots newest first, in one pass with a heap
keyed by each node's creation number (never recursion, so graphs of any depth work; the order is
topological because an op's inputs always exist before it runs). Each node's backward turns the
gradient of its output into gradients of its inputs, which the engine sums back to each input's
shape, casts to its dtype, and accumulates. Interior gradients live in a dictionary only while
needed; leaves that require grad receive theirs in ``.grad``.

A first-order backward (the common case) carries plain ndarrays from node to node and makes
Tensors only for ``.grad``: an op with an array form of its backward (``_backward_arrays``) is
called with the array, any other op with the array wrapped in a Tensor. When the engine holds
the only reference to a gradient array it tells an op that asks (``_overwrites_grad``), and the
op may overwrite it instead of allocating a new one (ReLU's mask, for one, is applied in place).

Nodes recorded before the latest in-place change are checked first (`autodiff.inplace`): an
input changed since by a recorded op is replaced by its stand-in from then; one whose memory
was written raises.

Recording while running backward happens only with ``create_graph=True``: then gradients are
Tensors and every backward is recorded, which is what makes higher derivatives work with no
second implementation of any op. Unless ``retain_graph=True`` every visited node releases its
saved arrays, and a second pass through it raises.

`topological_order` lists a graph's nodes by a depth-first walk, for tools that inspect graphs.
"""
from heapq import heappop, heappush
from sys import getrefcount

import numpy as np
from numpy import ndarray

from . import anomaly, hooks, inplace
from . import tensor as _tensor  # circular by design: the tensor module calls run_backward
from .function import Function
from .grad_mode import STATE
from .ops.movement import ScatteredGrad, Scatters, sum_to_shape


def _refcount_of_a_private_array():
    """What ``getrefcount`` reports for an array that one local variable alone refers to."""
    array = np.empty(1)
    return getrefcount(array)


_PRIVATE = _refcount_of_a_private_array()


def run_backward(roots, grads, retain_graph=None, create_graph=False, inputs=None):
    """Backpropagate ``grads`` (Tensors shaped as ``roots``) through the graph.

    With ``inputs=None`` gradients accumulate into ``.grad`` of every leaf that requires grad.
    With a sequence of tensors as ``inputs`` nothing is accumulated: the gradient of each input
    is returned (None where the roots do not depend on it), the walk does not go past them, and
    only nodes that lead to one of them run (as in ``torch.autograd.grad``).
    """
    if retain_graph is None:
        retain_graph = create_graph
    on_arrays = not create_graph
    targets = None if inputs is None else {id(t): t for t in inputs}
    taken = set()  # ids of the arrays the user passed in or was handed: see _owned
    stops = () if inputs is None else {t._ctx for t in inputs if t._ctx is not None}
    needed = None if inputs is None else _leading_to(roots, targets, stops)
    found = {}  # id -> gradient: of each input (inputs given), or (leaf, sum) of hooked leaves
    pending = {}  # node -> gradient of its output, summed over the consumers seen so far
    owned = {}  # node or id(leaf) -> a gradient buffer made in this pass: see _add_scattered
    leaf_reads = {}  # id(leaf) -> (leaf, Scatters): its recorded x[i] reads, delivered at the end
    queue = []  # (sequence number, node) of the nodes in pending: a heap, newest node first
    for root, grad in zip(roots, grads):  # handed on as in _propagate (inline there: hot loop)
        if on_arrays:
            grad = grad.data
        taken.add(id(grad))
        node = root._ctx
        if node is None:
            _deliver(root, grad, targets, found, taken)
        elif node in pending:
            pending[node] = pending[node] + grad
        else:
            pending[node] = grad
            heappush(queue, (node.sequence, node))

    check_anomaly = STATE.hooks and STATE.anomaly
    latest_change = inplace.MODIFICATIONS.latest  # nodes recorded after it need no check
    kept_for_older_nodes = []  # stand-ins of rebased tensors, alive until the pass ends
    check_hooks = hooks.REGISTERED.count > 0
    previous, STATE.grad_enabled = STATE.grad_enabled, create_graph
    was_in_backward, STATE.in_backward = STATE.in_backward, True
    # In anomaly mode a NaN or inf is reported with the op that made it; NumPy's own warning
    # (pointing into this library) would only add noise.
    numpy_errors = np.seterr(all="ignore") if check_anomaly else None
    try:
        while queue:
            sequence, node = heappop(queue)
            grad = pending.pop(node)
            if owned:
                owned.pop(node, None)  # the buffer goes on with grad (freed once used)
            if not on_arrays and type(grad) is Scatters:
                grad = grad.total()  # the recorded reads of the node's output, as one op
            if needed is not None and node not in needed:
                continue  # no input lies behind it: PyTorch does not run it (nor its hooks)
            if check_hooks and node.out_hooks:
                grad = hooks.run(node.out_hooks, grad, node.out.shape)
            if node.out_ref is not None:
                _retain(node, grad, taken)
            if node in stops:
                found[id(node)] = grad
                continue
            if node.inputs is None:
                raise RuntimeError(_released_message(node))
            if sequence > latest_change:
                inplace.check_unmodified(node, kept_for_older_nodes)
            # Private: a writeable array of its own memory (not a view) that only this frame
            # refers to (not shared with another node or a leaf, not retained).
            private = (on_arrays and node._overwrites_grad and getrefcount(grad) == _PRIVATE
                       and type(grad) is ndarray and grad.base is None and grad.flags.writeable)
            _propagate(node, grad, private, on_arrays, check_anomaly, pending, queue, targets,
                       found, taken, owned, leaf_reads)
            if not retain_graph:
                node.release()
        for leaf, reads in leaf_reads.values():
            _deliver(leaf, reads.total(), targets, found, taken)
        if inputs is None:
            if found:
                _deliver_to_hooked_leaves(found, taken)
            return None
        return tuple(_owned(_input_grad(t, found), taken) for t in inputs)
    finally:
        STATE.grad_enabled, STATE.in_backward = previous, was_in_backward
        if numpy_errors is not None:
            np.seterr(**numpy_errors)


def _leading_to(roots, targets, stops):
    """The nodes behind ``roots`` from which one of the inputs (``targets`` by id, their nodes
    ``stops``) can be reached: with ``inputs`` given, backward runs only these."""
    order = topological_order([root._ctx for root in roots if root._ctx is not None], stops,
                              prepare=inplace.restore_inputs, through_released=True)
    needed = set()
    for node in reversed(order):  # every node after the nodes it depends on
        if node in stops or any(_leads_to_input(edge, targets, needed)
                                for edge in node.children()):
            needed.add(node)
    return needed


def _leads_to_input(edge, targets, needed):
    """Whether a graph edge (a node, a leaf, or None for a constant) leads to an input."""
    if edge is None:
        return False
    if isinstance(edge, _tensor.Tensor):
        return id(edge) in targets
    return edge in needed


def _input_grad(tensor, found):
    """The gradient collected for ``tensor`` (one of ``inputs``), through a leaf's hooks."""
    if tensor._ctx is not None:
        return found.get(id(tensor._ctx))
    grad = found.get(id(tensor))
    table = hooks.leaf_hooks(tensor) if hooks.REGISTERED.count else None
    if grad is None or not table:
        return grad
    return hooks.run(table, grad, tensor.shape)


def _deliver_to_hooked_leaves(found, taken):
    """Leaves with hooks get their whole gradient of the pass at the end, through the hooks
    (PyTorch calls a leaf's hooks once, on the sum over all the uses of the leaf)."""
    for leaf, grad in found.values():
        grad = hooks.run(leaf._hooks, grad, leaf.shape)
        leaf.grad = _owned(grad, taken) if leaf.grad is None else leaf.grad + grad


def _propagate(node, grad, private, on_arrays, check_anomaly, pending, queue, targets, found,
               taken, owned, leaf_reads):
    """Call the node's backward and hand each input's gradient on: to its node's pending sum,
    or to the leaf. ``private`` says that the op may overwrite the array ``grad``.

    A node's gradient is complete when it leaves the queue: nodes leave newest first, and every
    consumer of a node's output was created after it (see `Function.sequence`).
    """
    if not on_arrays:
        scattered = node._backward_scattered
        input_grads = node.backward(grad) if scattered is None else scattered(grad)
    elif node._backward_arrays is None:
        input_grads = node.backward(_tensor.Tensor._make(grad, False))
    else:
        input_grads = node._backward_arrays(grad, private)
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    if len(input_grads) != len(node.inputs):
        raise RuntimeError(
            f"{node.name}.backward returned {len(input_grads)} gradients for "
            f"{len(node.inputs)} inputs"
        )
    if check_anomaly:
        input_grads = tuple(g.dense() if type(g) is ScatteredGrad else g for g in input_grads)
        anomaly.on_backward(node, input_grads)
    Tensor = _tensor.Tensor
    expected = ndarray if on_arrays else Tensor
    for tensor, input_grad, needed in zip(node.inputs, input_grads, node.needs_input_grad):
        if input_grad is None or not needed:
            continue
        data = tensor.data
        if type(input_grad) is expected:
            value = input_grad if on_arrays else input_grad.data
            # ``is not``: equal dtypes are nearly always one object, and conform sorts out the rest
            if value.shape != data.shape or value.dtype is not data.dtype:
                input_grad = conform(input_grad, tensor, node, on_arrays)
        elif type(input_grad) is ScatteredGrad:
            _add_scattered(tensor, input_grad, pending, queue, owned, targets, found, taken,
                           leaf_reads)
            continue
        else:
            input_grad = conform(input_grad, tensor, node, on_arrays)
        parent = tensor._ctx
        if parent is not None:
            if parent in pending:
                pending[parent] = pending[parent] + input_grad
            else:
                pending[parent] = input_grad
                heappush(queue, (parent.sequence, parent))
        else:
            _deliver(tensor, input_grad, targets, found, taken)


def _add_scattered(tensor, grad, pending, queue, owned, targets, found, taken, leaf_reads):
    """Add a `ScatteredGrad` (from ``tensor[index]``) into ``tensor``'s gradient. The first
    one makes a buffer (zeros, or a copy of the sum so far) that the engine owns; later ones
    add their slice into it in place. A node's pending sum stays owned when dense gradients are
    added to it (``a + b`` is a new array); a leaf's ``.grad`` is checked to be the same array.
    Recorded reads (create_graph) are gathered into `Scatters`, one op per tensor: a node's in
    its pending sum, a leaf's in ``leaf_reads`` until the pass ends (a dense sum per read would
    keep an array of the leaf's size per read in the new graph)."""
    parent = tensor._ctx
    if isinstance(grad.values, _tensor.Tensor):  # recorded (create_graph): see Scatters
        # (first-order values are arrays, or NumPy scalars for 0-d reads)
        if parent is None:
            entry = leaf_reads.get(id(tensor))
            leaf_reads[id(tensor)] = (tensor, _gathered(entry and entry[1], grad))
            return
        existing = pending.get(parent)
        if existing is None:
            heappush(queue, (parent.sequence, parent))
        pending[parent] = _gathered(existing, grad)
        return
    if parent is not None:
        buffer = pending.get(parent)
        if buffer is None:
            buffer = pending[parent] = owned[parent] = grad.dense()
            heappush(queue, (parent.sequence, parent))
        elif parent in owned and type(buffer) is np.ndarray:  # (0-d sums are NumPy scalars)
            grad.add_into(buffer)
        else:
            buffer = pending[parent] = owned[parent] = np.array(buffer, copy=True)
            grad.add_into(buffer)
        return
    if targets is None:
        if not tensor.requires_grad:
            return
        if tensor.data.dtype.kind != "f" or (tensor.grad is not None
                                             and not _fits(tensor.grad, tensor)):
            raise _undeliverable(tensor)
    if targets is not None or (hooks.REGISTERED.count and hooks.leaf_hooks(tensor)):
        _scatter_into_found(tensor, grad, targets, found, owned)
        return
    current = None if tensor.grad is None else tensor.grad.data
    buffer = _summed_into_own(current, grad, owned, id(tensor))
    if buffer is not current:
        taken.add(id(buffer))
        tensor.grad = _tensor.Tensor._make(buffer, False)


def _gathered(existing, grad):
    """`Scatters` of the recorded read ``grad`` added to ``existing`` (None, a dense gradient,
    or `Scatters`, which takes one more part in place)."""
    if existing is None:
        return Scatters(grad)
    if type(existing) is Scatters:
        return existing + Scatters(grad)
    return Scatters(grad) + existing


def _scatter_into_found(leaf, grad, targets, found, owned):
    """`_deliver` of a `ScatteredGrad` to a leaf whose sum is kept in ``found`` (one of
    ``inputs``, or a leaf with hooks): into one buffer the engine owns, as for nodes."""
    key = id(leaf)
    hooked = targets is None
    if not hooked and key not in targets:
        return
    entry = found.get(key)
    previous = entry[1] if hooked and entry is not None else entry
    buffer = _summed_into_own(previous, grad, owned, ("found", key))
    found[key] = (leaf, buffer) if hooked else buffer


def _summed_into_own(previous, grad, owned, key):
    """``previous`` (an array or None) plus the `ScatteredGrad` ``grad``: added in place when
    ``previous`` is the buffer this pass made under ``key``, else into a new one, made so."""
    if previous is not None and owned.get(key) is previous:
        grad.add_into(previous)
        return previous
    buffer = grad.dense() if previous is None else np.array(previous, copy=True)
    if previous is not None:
        grad.add_into(buffer)
    owned[key] = buffer
    return buffer


def conform(grad, tensor, node, on_arrays=False):
    """The gradient in ``tensor``'s shape and dtype (summing broadcast axes): an ndarray when
    ``on_arrays``, else a Tensor (whose sum stays differentiable)."""
    Tensor = _tensor.Tensor
    target = tensor.data
    if on_arrays:
        grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
    elif not isinstance(grad, Tensor):
        grad = Tensor(grad, dtype=target.dtype)
    shape = grad.shape
    if shape != target.shape:
        try:
            grad = sum_to_shape(grad, target.shape) if on_arrays else grad.sum_to(target.shape)
        except ValueError:
            raise RuntimeError(
                f"{node.name}.backward returned a gradient of shape {shape} for an input "
                f"of shape {target.shape}; it must have the input's shape or broadcast to it"
            ) from None
    if grad.dtype != target.dtype:
        grad = grad.astype(target.dtype)
    return grad


def _owned(grad, taken):
    """A gradient handed to the user, as a Tensor. A first-order ndarray becomes a new Tensor
    that owns its array, as PyTorch's ``.grad`` does: a view (a broadcast one is read-only),
    an array given out already in this pass (ops such as Add return one array for two inputs)
    or one the user passed in is copied, so an in-place change to one ``.grad`` reaches no
    other tensor. ``taken`` holds the ids of arrays given out or passed in. (An op's backward
    that returned an array it made read-only itself would give a read-only ``.grad``.)"""
    if type(grad) is not ndarray:
        if grad is None:
            return None
        if isinstance(grad, _tensor.Tensor):
            return _owned_tensor(grad, taken)
        grad = np.asarray(grad)  # a NumPy scalar: 0-d arithmetic gives scalars, not arrays
    key = id(grad)
    if key in taken or grad.base is not None:
        grad = grad.copy()
        key = id(grad)
    taken.add(key)
    return _tensor.Tensor._make(grad, False)


def _owned_tensor(grad, taken):
    """`_owned` for a recorded gradient (create_graph): a differentiable copy where needed."""
    if id(grad) in taken or grad.data.base is not None or not grad.data.flags.writeable:
        grad = grad.clone()
    taken.add(id(grad))
    return grad


def _deliver(leaf, grad, targets, found, taken):
    """Give a leaf its gradient: into ``.grad``, or into ``found`` when collecting inputs."""
    if targets is not None:
        if id(leaf) in targets:
            previous = found.get(id(leaf))
            found[id(leaf)] = grad if previous is None else previous + grad
        return
    if not leaf.requires_grad:
        return
    if leaf.data.dtype.kind != "f" or (leaf.grad is not None and not _fits(leaf.grad, leaf)):
        raise _undeliverable(leaf)
    if hooks.REGISTERED.count and hooks.leaf_hooks(leaf):  # summed first: see the caller
        previous = found.get(id(leaf))
        found[id(leaf)] = (leaf, grad if previous is None else previous[1] + grad)
        return
    leaf.grad = _owned(grad, taken) if leaf.grad is None else leaf.grad + grad


def _fits(grad, leaf):
    """Whether an existing ``.grad`` can take more: a Tensor of the leaf's shape."""
    return isinstance(grad, _tensor.Tensor) and grad.shape == leaf.shape


def _undeliverable(leaf):
    """The error for a leaf that cannot take its gradient: ``requires_grad`` set by attribute
    on an integer tensor (``requires_grad_()`` refuses that), or a ``.grad`` assigned by hand
    that is not a Tensor of the leaf's shape (adding to it would broadcast silently)."""
    if leaf.data.dtype.kind != "f":
        return RuntimeError(
            f"a tensor of dtype {leaf.dtype} has requires_grad=True: only floating-point "
            f"tensors can require grad (its gradient would be truncated to integers)")
    grad = leaf.grad
    what = (f"a {type(grad).__name__}" if not isinstance(grad, _tensor.Tensor)
            else f"shape {grad.shape}")
    return RuntimeError(f"cannot accumulate into .grad: it is {what}, for a tensor of shape "
                        f"{leaf.shape} (assign a Tensor of that shape, or None)")


def _retain(node, grad, taken):
    """Store the gradient on an interior tensor that asked for it with retain_grad()."""
    tensor = node.out_ref()
    if tensor is not None:
        if tensor.grad is not None and not _fits(tensor.grad, tensor):
            raise _undeliverable(tensor)
        tensor.grad = _owned(grad, taken) if tensor.grad is None else tensor.grad + grad


def topological_order(roots, stops=(), prepare=None, through_released=False):
    """Nodes reachable from ``roots``, every node before the nodes it depends on.

    Iterative depth-first search; the walk does not continue past nodes in ``stops``.
    Raises if it meets a node whose saved values were already released, unless
    ``through_released`` (then it follows the structure a released node keeps: finding which
    nodes lead to some inputs needs no saved values, and a released node that leads to none is
    never run). ``prepare(node)``, when given, runs on each unreleased node before its inputs
    are followed.
    """
    order = []
    visited = set()
    for root in roots:
        if root in visited:
            continue
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if node in visited:
                continue
            visited.add(node)
            stack.append((node, True))
            if node in stops:
                continue
            if node.inputs is None:
                if not through_released:
                    raise RuntimeError(_released_message(node))
                parents = [edge for edge in node.children() if isinstance(edge, Function)]
            else:
                if prepare is not None:
                    prepare(node)
                parents = [tensor._ctx for tensor in node.inputs if tensor._ctx is not None]
            for parent in parents:
                if parent not in visited:
                    stack.append((parent, False))
    order.reverse()
    return order


def _released_message(node):
    return (
        f"Trying to backward through the graph a second time: the values saved by "
        f"{node.name} were freed by the first backward(). Pass retain_graph=True to the first "
        f"backward() to keep them (a transform such as autodiff.grad frees the graph of what "
        f"its function computes: detach() what you keep from it)."
    )
