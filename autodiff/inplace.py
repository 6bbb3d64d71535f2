"""In-place operations (``x += y``, ``add_``, ``zero_``, ``x[i] = v``, ...) and the stamps that
keep them from corrupting a graph.

Where nothing is recorded (under ``no_grad()``, or when no tensor involved requires grad) the
op writes into the tensor's own array, as PyTorch does: the hand-written gradient-descent step
``with no_grad(): w -= lr * w.grad`` keeps ``w`` the same leaf, in the same memory.

Where the op is recorded (grad mode on, a floating tensor, and a tensor involved that requires
grad) it is computed like any other op, into a new array, and the tensor takes the result and
its node: its history is "rebased" onto the op, as PyTorch says. A leaf
that requires grad refuses, as in PyTorch (its ``.grad`` would no longer be the gradient of
the tensor the user made).

Each change is stamped with its place in the order of recorded nodes (`Function.sequence`), and
the engine calls `check_unmodified` on the nodes recorded before the latest change (the others
cost one comparison):

* A rebased tensor keeps a weak list of its stand-ins, one per change, each holding the value
  and history from before that change. A node recorded earlier backpropagates through the
  stand-in of the first change after it, so it sees what it saw and its gradient goes to the
  right history: ``x -= x.mean()`` and ``h[0:2] += 1`` work as in PyTorch, and so does a node
  that saved the old value (PyTorch refuses that one). The node made by a change keeps its
  stand-in alive until the end of the backward pass that releases it; a stand-in that is gone
  (released by an earlier backward) makes the older node raise.
* Written memory cannot be undone: it is stamped on the array that owns it, so that every view
  and every tensor sharing it is covered, and a node recorded before the write that took such
  a tensor as an input, or whose saved output is that memory, raises PyTorch's error, unless
  its backward reads no values (``Function.reads_values``: sums, reshapes, indexing, addition,
  and ops that use only masks they saved, such as clip, maximum and where; a factor of a
  product only when the other factor needs a gradient: ``Function.reads_input``). The built-in
  optimizers and ``load_state_dict`` stamp (`stamp_written`) the parameters they write, so
  stepping between forward and backward is caught.

Views share their base's memory (`as_view`: basic indexing, a reshape that needs no copy,
transpose, broadcast_to), so an unrecorded write reaches them all. A recorded change gives its
tensor a new array, so views and bases are kept in step by hand, as PyTorch's are: a recorded
change of a view writes its base (``h[:2].mul_(10)`` records ``h[:2] = ...``, `_write_back`),
and a recorded change of a base makes each of its views again from the new value
(`_refresh_views`), recursively. A view of a leaf that requires grad refuses, and so does a
broadcast view, before anything changes. A view made under ``no_grad()`` of a tensor that
requires grad refuses a change in grad mode (PyTorch's rule) and follows its base's changes
without history. ``detach()`` aliases are not views here: they share the memory, but only
unrecorded writes reach them.
"""
import threading
import weakref

import numpy as np

from . import function
from .grad_mode import STATE, no_grad
from .ops import movement
from .ops.registry import register


class _Modifications:
    """The stamp of the latest in-place change, 0 before the first: the engine checks only the
    nodes recorded before it."""

    latest = 0


MODIFICATIONS = _Modifications()
_WRITTEN = {}  # id of an array that owns memory -> [weakref to it, stamp of its latest write]

_LEAF_MESSAGE = (
    "a leaf tensor that requires grad is being used in an in-place operation: its .grad would "
    "not be the gradient of the tensor you made. Update it under autodiff.no_grad() (as an "
    "optimizer does), or work on a copy: y = x.clone()"
)


def modify(tensor, operands, compute, write):
    """Apply an in-place op to ``tensor`` and return ``tensor``.

    ``compute(old)`` gives the result as a new Tensor, ``old`` standing for the tensor's
    current value and history (used when the op is recorded); ``write(array)`` writes the result
    into ``array`` (used when it is not). ``operands`` are the op's other inputs.
    """
    if STATE.grad_enabled and getattr(tensor, "_view_of", None) is not None:
        _check_view_made_in_grad_mode(tensor)
    recorded = STATE.grad_enabled and tensor.data.dtype.kind == "f" and (
        tensor.requires_grad or any(getattr(x, "requires_grad", False) for x in operands))
    if recorded:
        _check_changeable(tensor)
        _change(tensor, compute)
    else:
        _write(tensor, write)
        _stamp_memory(tensor.data, _new_stamp())
    return tensor


def _new_stamp():
    """A stamp later than every node recorded so far (sequences count down: see Function), and
    now the latest change. Under a lock: two threads changing tensors at once must not move
    the latest change back to the older of their two stamps (backward would then skip the
    check of nodes recorded between them)."""
    with _STAMP_LOCK:
        stamp = -function._next_sequence()
        if stamp < MODIFICATIONS.latest:  # newer stamps are lower, as newer sequences are
            MODIFICATIONS.latest = stamp
    return stamp


_STAMP_LOCK = threading.Lock()


def stamp_written(tensors):
    """Record that the memory of ``tensors`` (parameters an optimizer or ``load_state_dict``
    just wrote into in place) changed: nodes recorded before that read it, through the
    parameter or any tensor sharing its memory (``p.detach()``), refuse to backpropagate, as
    after a write under no_grad; nodes that do not read it (a sum, a bias's addition) still
    run."""
    stamp = _new_stamp()
    entry_of = _WRITTEN.get
    for tensor in tensors:  # _stamp_memory, inlined for the common case: after every step
        array = tensor.data
        entry = entry_of(id(array))  # (the memory's owner's; a view's id finds no entry)
        if entry is not None and entry[0]() is array:
            entry[1] = stamp
        else:
            _stamp_memory(array, stamp)


def _owner(array):
    """The array that owns ``array``'s memory (itself, or the base of a view)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _entry(owner):
    """``[weakref, stamp]`` of the memory ``owner`` owns, or None if it was never written."""
    entry = _WRITTEN.get(id(owner))
    return entry if entry is not None and entry[0]() is owner else None


def _stamp_memory(array, stamp):
    owner = _owner(array)
    entry = _entry(owner)
    if entry is not None:
        entry[1] = stamp
    else:
        _WRITTEN[id(owner)] = [weakref.ref(owner, _forget(id(owner))), stamp]


def _forget(key):
    """A weakref callback that drops the entry of an array that was freed."""
    return lambda ref: _WRITTEN.pop(key, None) if _WRITTEN.get(key, (None,))[0] is ref else None


def restore_inputs(node):
    """Put the stand-ins of inputs rebased since ``node`` was recorded into ``node.inputs``
    (see `check_unmodified`); for walks of the graph that must follow the recorded edges."""
    sequence, inputs = node.sequence, node.inputs
    if (sequence > MODIFICATIONS.latest and inputs is not None
            and any(getattr(t, "_modified_at", 0) < sequence for t in inputs)):
        node.inputs = tuple(_as_recorded(t, sequence) for t in inputs)


def _as_recorded(tensor, sequence):
    """``tensor`` as it was when the node numbered ``sequence`` recorded it: the stand-in of its
    first rebase since, if that is still alive (else the tensor itself, which then raises)."""
    if getattr(tensor, "_modified_at", 0) >= sequence:
        return tensor
    versions = getattr(tensor, "_versions", ())
    # stamps decrease along the list (newer changes have lower stamps): the first change after
    # the node is the first entry below ``sequence``, found by bisection (a linear search made
    # backward quadratic after many changes of one tensor)
    low, high = 0, len(versions)
    while low < high:
        middle = (low + high) // 2
        if versions[middle][0] < sequence:
            high = middle
        else:
            low = middle + 1
    if low == len(versions):
        return tensor
    stand_in = versions[low][1]()
    return tensor if stand_in is None else stand_in


def _written_after(array, sequence):
    """True when memory of ``array`` was written in place after ``sequence``."""
    if array is None or not _WRITTEN:
        return False
    entry = _entry(_owner(array))
    return entry is not None and entry[1] < sequence


def _check_changeable(tensor):
    """Raise before anything changes when a recorded change of ``tensor`` cannot be made: it is
    a leaf that requires grad, a view of one (the change would reach it), or a broadcast view
    (several of its elements are one element of its base)."""
    _check_not_a_leaf_or_argument(tensor, "")
    view, source = tensor, getattr(tensor, "_view_of", None)
    while source is not None:
        base, kind, _, _ = source
        if kind == "broadcast":
            raise ValueError(f"in-place operation on a broadcast view of shape {view.shape}: "
                             f"several of its elements are one element of the tensor it "
                             f"views; clone() it first")
        _check_not_a_leaf_or_argument(base, "a view of ")
        view, source = base, getattr(base, "_view_of", None)


def _check_not_a_leaf_or_argument(tensor, prefix):
    """Raise for a leaf that requires grad, or an argument a transform differentiates."""
    if not tensor.requires_grad:
        return
    if tensor._ctx is None:
        raise RuntimeError(prefix + _LEAF_MESSAGE)
    if getattr(tensor._ctx, "stands_for_argument", False):
        raise RuntimeError(
            f"{prefix}an argument that a transform (grad, jacobian, ...) differentiates is being "
            f"changed in place: the gradient would be taken with respect to the changed "
            f"value. Work on a copy: x = x.clone()")


def _check_view_made_in_grad_mode(view):
    """Raise, as PyTorch does, for an in-place change in grad mode of a view made under
    ``no_grad()`` of a tensor that requires grad (or of a view of such a view): whether the
    change should be tracked is ambiguous."""
    source = view._view_of
    while source is not None:
        base, _, _, untracked = source
        if untracked:
            raise RuntimeError(
                "a view made under no_grad() of a tensor that requires grad is being changed in "
                "place with grad mode on: make the view and the change both inside no_grad() "
                "(not tracked) or both outside it (tracked)")
        source = getattr(base, "_view_of", None)


def _change(tensor, compute):
    """A recorded change: ``tensor`` is rebased onto ``compute``'s result; the tensor it is a
    view of takes the change too (`_written_back`), up to the first tensor that is no view,
    and then every view of that one (`_refresh_views`), as PyTorch's views and bases share
    their memory. (A loop, not recursion: a chain of views of views may be long.)"""
    while True:
        _rebase(tensor, compute)
        source = getattr(tensor, "_view_of", None)
        if source is None:
            _refresh_views(tensor)
            return
        base, kind, param, _untracked = source
        tensor, compute = base, _written_back(tensor, kind, param)


def _rebase(tensor, compute, keep_layout=True):
    """The tensor takes ``compute(old)``'s value and node (``old`` stands for its current value
    and history) and a stamp; ``old`` becomes the stand-in older consumers backpropagate
    through (see `check_unmodified`). With ``keep_layout`` the new value is laid out in memory
    as the old one was (not for a view made again, which must share its base's memory)."""
    old = tensor._make(tensor.data, tensor.requires_grad)
    old._ctx = tensor._ctx
    result = compute(old)
    if result.shape != tensor.shape:
        raise ValueError(f"in-place operation: the result has shape {result.shape}, which "
                         f"does not fit the tensor's shape {tensor.shape}")
    if result.dtype != tensor.dtype:
        _check_cast(result.dtype, tensor.dtype)
        result = result.astype(tensor.dtype)
    previous = tensor._ctx
    data = _in_layout_of(result.data, tensor.data) if keep_layout else result.data
    tensor.data, tensor._ctx, tensor.requires_grad = data, result._ctx, result.requires_grad
    if previous is not None and previous.out_ref is not None and previous.out_ref() is tensor:
        previous.out_ref = None  # retain_grad() follows the tensor to its new value
        tensor._ctx.out_ref = weakref.ref(tensor)
    if result._ctx is not None:
        result._ctx.rebased_from = old  # kept alive for older consumers: see check_unmodified
    tensor._modified_at = stamp = _new_stamp()
    versions = getattr(tensor, "_versions", None)
    if versions is None:
        tensor._versions = versions = []
    versions.append((stamp, weakref.ref(old)))
    if len(versions) >= 16 and len(versions) & (len(versions) - 1) == 0:  # amortized
        _merge_released_versions(versions)


def detach_in_place(tensor):
    """PyTorch's ``detach_``: ``tensor`` becomes a leaf that does not require grad. Nodes
    recorded before took it as an input and find its history through it, so, as after a
    change, its old history moves to a stand-in that they backpropagate through (PyTorch's
    edges point to nodes, not tensors, so they keep it there too). The tensor keeps its
    latest stand-in alive, so a loop that detaches its state at every window holds one old
    graph, not all of them: a node recorded before an earlier ``detach_`` of the same tensor
    then raises the error of a tensor changed in place after it was used. A view refuses, as
    in PyTorch (its base's changes would bring the history back)."""
    if getattr(tensor, "_view_of", None) is not None:
        raise RuntimeError("detach_(): a view cannot be detached in place (as in PyTorch): "
                           "use detach(), which makes a new tensor")
    if tensor._ctx is not None:
        old = tensor._make(tensor.data, tensor.requires_grad)
        old._ctx = tensor._ctx
        tensor._modified_at = stamp = _new_stamp()
        versions = getattr(tensor, "_versions", None)
        if versions is None:
            tensor._versions = versions = []
        versions.append((stamp, weakref.ref(old)))
        tensor._detached_history = old
    tensor._ctx, tensor.requires_grad = None, False


def _gone():
    """The dereference of a stand-in that was released."""
    return None


def _merge_released_versions(versions):
    """Merge the oldest run of released stand-ins into one entry, with the stamp of the newest
    of them. Every node recorded before one of those changes must still raise (the value it saw
    is gone), and `_as_recorded` finds that entry first for exactly those nodes; dropping the
    entries instead would hand such a node the value after a later change, silently."""
    dead = 0
    while dead < len(versions) and versions[dead][1]() is None:
        dead += 1
    if dead > 1:
        versions[:dead] = [(versions[dead - 1][0], _gone)]


def _in_layout_of(new, old):
    """``new`` in ``old``'s memory layout (a copy only when the strides differ): an in-place op
    keeps a tensor's layout, as PyTorch's do, so views made from it later (a reshape without a
    copy) are the ones PyTorch would make."""
    if new.strides == old.strides:
        return new
    laid_out = np.empty_like(old)
    laid_out[...] = new
    return laid_out


# ----- views ----------------------------------------------------------------------------------
# How a view is made from its base (kind -> op), and how a view's new value is written back
# into the base (kind -> op(old base, changed view, param)).
_VIEW_OPS = {
    "index": lambda base, index: movement.GetItem.apply(base, index=index),
    "reshape": lambda base, shape: movement.Reshape.apply(base, shape=shape),
    "transpose": lambda base, axes: movement.Transpose.apply(base, axes=axes),
    "broadcast": lambda base, shape: movement.BroadcastTo.apply(base, shape=shape),
}
_WRITE_BACK_OPS = {
    "index": lambda old, changed, index: movement.IndexPut.apply(old, changed, index=index),
    "reshape": lambda old, changed, _: movement.Reshape.apply(changed, shape=old.shape),
    "transpose": lambda old, changed, axes: movement.Transpose.apply(
        changed, axes=tuple(int(a) for a in np.argsort(axes))),
}


def as_view(base, view, kind, param):
    """Return ``view``, made from ``base`` by a view op (``kind``: "index", "reshape",
    "transpose" or "broadcast", with the op's parameter), remembered as a view of ``base`` when
    it shares ``base``'s memory: a recorded change of either then reaches the other, as PyTorch's
    views do (a reshape that had to copy, or an index that picks elements, makes no view)."""
    array = view.data
    if array.base is None:
        return view
    state = STATE
    # Views a first-order backward makes are its temporaries: gradients handed out are copies.
    # With grad mode on (create_graph, or a forward re-run by a hook or a custom backward)
    # they are tracked, as everywhere else.
    if (state.in_backward and not state.grad_enabled) or _owner(array) is not _owner(base.data):
        return view
    # A view made under no_grad() of a tensor that requires grad stays untracked (see
    # _check_view_made_in_grad_mode and _refresh_views).
    view._view_of = (base, kind, param, not state.grad_enabled and base.requires_grad)
    views = getattr(base, "_views", None)
    if views is None:
        base._views = views = _WeakList()
    views.add(view)
    return view


class _WeakList(list):
    """Weak references to a tensor's views. Dead ones are dropped when the list has grown to
    twice what the last pruning kept, so each new view costs O(1) amortized (pruning at
    powers of two alone pruned on every new view while the live count sat just below one)."""

    __slots__ = ("prune_at",)

    def __init__(self):
        super().__init__()
        self.prune_at = 16

    def add(self, obj):
        """Add a weak reference to ``obj``, pruning first when due."""
        if len(self) >= self.prune_at:
            self[:] = [ref for ref in self if ref() is not None]
            self.prune_at = max(16, 2 * len(self))
        self.append(weakref.ref(obj))

    def keep(self, objects):
        """Hold references to exactly ``objects`` (the live ones, in order)."""
        self[:] = [weakref.ref(obj) for obj in objects]
        self.prune_at = max(16, 2 * len(self))


def _written_back(view, kind, param):
    """How a recorded change of ``view`` reaches its base: the base is written with the view's
    new value (recorded, e.g. ``base[index] = view`` for an index), which makes the view again
    from the base's new value (`_refresh_views`), sharing its memory."""
    changed = view._make(view.data, True)  # the view's new value and history, as an operand
    changed._ctx = view._ctx
    write = _WRITE_BACK_OPS[kind]
    return lambda old: write(old, changed, param)


def _refresh_views(base):
    """After a recorded change of ``base``, every live view of it is made again from the new
    value (a recorded view op, so gradients reach the change), and then its own views: they
    read what PyTorch's views would. Consumers recorded before keep the view's stand-in. (A
    view made under no_grad() of a tensor that requires grad follows the values, without
    history: PyTorch refuses to use it at all.)"""
    stack = [base]  # a loop, not recursion: views of views may nest deeply
    while stack:
        current = stack.pop()
        refs = getattr(current, "_views", None)
        if not refs:
            continue
        views = [view for view in (ref() for ref in refs) if view is not None]
        refs.keep(views)
        for view in views:
            _, kind, param, untracked = view._view_of
            _rebase(view, lambda _old: _make_view(kind, current, param, untracked),
                    keep_layout=False)
            stack.append(view)


def _make_view(kind, base, param, untracked):
    """The view of ``base`` again; one made under no_grad() is made again without history."""
    if not untracked:
        return _VIEW_OPS[kind](base, param)
    with no_grad():
        return _VIEW_OPS[kind](base, param)


def _write(tensor, write):
    """The unrecorded form: write into the tensor's array (which every view of it shares)."""
    array = tensor.data
    if not array.flags.writeable:
        raise ValueError(f"in-place operation on a tensor of shape {array.shape} whose array is "
                         f"read-only (a broadcast view?): clone() it first")
    try:
        write(array)
    except TypeError as error:  # NumPy's casting error: a float result for an integer tensor
        raise TypeError(f"in-place operation: the result cannot be stored in a tensor of dtype "
                        f"{array.dtype} ({error})") from None
    except ValueError as error:
        if "broadcast" not in str(error):
            raise
        raise ValueError(f"in-place operation on a tensor of shape {array.shape}: {error}") from None


def _check_cast(source, target):
    if not np.can_cast(source, target, casting="same_kind"):
        raise TypeError(f"in-place operation: a result of dtype {source} cannot be stored in a "
                        f"tensor of dtype {target}")


def check_unmodified(node, keep):
    """Make ``node`` backpropagate as it was recorded, or raise.

    An input rebased since (a recorded in-place change) is replaced by its stand-in from then:
    the value the node saw, and the history that made it. Memory written in place since (under
    no_grad, by an optimizer, through a view) cannot be undone: that raises, as does a written
    output. ``keep`` (a list the engine holds for the rest of the pass) keeps the stand-in
    this node holds alive for older nodes after the node is released.
    """
    sequence = node.sequence
    if "rebased_from" in node.__dict__:
        keep.append(node.rebased_from)
    restore_inputs(node)
    for position, tensor in enumerate(node.inputs):  # a value not read: only its history matters
        if (getattr(tensor, "_modified_at", 0) < sequence
                or node.reads_input(position) and _written_after(tensor.data, sequence)):
            raise RuntimeError(
                f"one of the tensors needed for gradient computation has been modified by an "
                f"in-place operation: input {position} of {node.name} (shape {tensor.shape}) "
                f"changed after {node.name} was recorded. Compute out of place (x = x + y, "
                f"not x += y) or modify a clone()"
            )
    out = node.__dict__.get("out")
    if node.reads_values and node.reads_output and _written_after(out, sequence):
        raise RuntimeError(
            f"one of the tensors needed for gradient computation has been modified by an "
            f"in-place operation: the output of {node.name} (or memory it shares) was written "
            f"into after {node.name} was recorded"
        )


# The recorded (rebased) forms, checked by the op-registry property test like every op.
def _arithmetic_in_place(a, b):
    h = a * 1.0  # a recorded tensor to change: a leaf that requires grad refuses
    h += b
    h.mul_(b)
    h.sub_(a, alpha=0.5)
    h /= b
    return h


def _clamp_setitem_and_copy_in_place(a, b):
    h = a * 1.0
    h.clamp_(-0.5, 0.5)
    written = b * 2.0
    written[..., :1] = b[..., :1] * 3.0
    copied = b * 0.0
    copied.copy_(h * b)
    return written * h + copied


def _read_then_change_in_place(a, b):
    h = a * b
    h[..., :1] += b[..., :1]  # reads h[..., :1], then writes it back: the read sees the old h
    h -= h.mean()
    return h * a


def _views_follow_changes(a, b):
    h = a * 1.0
    flat, transposed = h.reshape(-1), h.T
    flat.mul_(b.reshape(-1))  # through a reshape view: h changes, and so does transposed
    first = h[..., :1]
    h.add_(b)  # the base: flat, transposed and first follow
    first.mul_(a[..., :1])  # through an index view: h, flat and transposed follow
    return transposed.T * flat.reshape(h.shape) + h


register("in_place_after_reads", _read_then_change_in_place, arity=2, kind="same_shape")
register("in_place_views", _views_follow_changes, arity=2, kind="same_shape")
register("in_place_arithmetic", _arithmetic_in_place, arity=2, kind="same_shape",
         domain=(0.5, 2.0))
register("in_place_clamp_setitem_copy", _clamp_setitem_and_copy_in_place, arity=2, kind="same_shape",
         kinks=(-0.5, 0.5))
