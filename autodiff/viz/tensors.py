"""The picture of a Tensor graph: op nodes, parameter and constant leaves, the output.

One breadth-first walk from the output gives every node its key. Gradients come from one of two
places:

* graph still alive (drawn before ``backward()``, or after ``backward(retain_graph=True)``):
  draw_graph runs its own backward pass through the nodes' ``backward`` methods, seeded with ones,
  and keeps a summary of every op's output gradient and of every edge's gradient. Nothing is
  written to any ``.grad``.
* graph released by ``backward()``: the saved arrays are gone; leaves show their ``.grad`` (what
  the user's backward accumulated), interior tensors only when ``retain_grad()`` kept theirs, and
  op shapes come from the metadata the engine keeps.
"""
from collections import deque

import numpy as np

from .. import engine, hooks, inplace
from ..function import Function
from ..grad_mode import STATE, no_grad
from ..tensor import Tensor
from .picture import Kind, Node, Picture
from .summary import Flow, describe, has_bad, number, shape_text, zero_rows

_MAX_PARAMS_SHOWN = 3
_NO_FLOW = Flow(0.0, False, True)  # an edge that needs a gradient but gets none


def tensor_picture(root, names, show_data=True, show_grad=True):
    """The Picture of the graph that ends at Tensor ``root``; ``names`` maps id(tensor) -> name."""
    picture = Picture()
    out = picture.add(_leaf_node(root, names, Kind.OUTPUT, show_data))
    if root._ctx is None:
        picture.nodes[out] = _leaf_node(root, names, _leaf_kind(root), show_data)
        _label_leaf(picture.nodes[out], root.grad, show_grad)
        return picture
    walk = _walk(root, picture, names, show_data)
    grads = _gradients(root, walk, picture, show_grad)
    _label(picture, walk, grads, show_data, show_grad)
    return picture


class _Walk:
    """What the walk found: node keys, output shapes, and (consumer, input index) per edge."""

    def __init__(self):
        self.ops = {}  # Function -> key
        self.leaves = {}  # id(Tensor) -> key
        self.leaf_tensors = {}  # key -> Tensor (keeps ids valid)
        self.out_meta = {}  # Function -> (shape, dtype)
        self.edges = []  # (child, consumer Function, input index, edge position in picture)
        self.parts = {}  # Function standing for several ops -> keys of its parts, last part first
        self.inner_edges = []  # (such a Function, index of the edge's source part, edge position)
        self.overwritten = {}  # Function -> name of the op that wrote its output over in place
        self.alive = True


def _walk(root, picture, names, show_data):
    walk = _Walk()
    top = root._ctx
    _add_op(walk, picture, top, (root.shape, root.dtype))
    picture.connect(walk.ops[top], 0)
    queue = deque([top])
    while queue:
        node = queue.popleft()
        if _add_next_part(walk, picture, node):
            queue.append(node)  # its inputs are walked later, as a separate node's would be
            continue
        alive = node.inputs is not None
        walk.alive = walk.alive and alive
        entry = walk.parts[node][-1] if node.parts else walk.ops[node]  # the part fed the inputs
        for index, child in enumerate(node.children()):
            tensor = node.inputs[index] if alive else None
            meta = (tensor.shape, tensor.dtype) if alive else node.input_meta(index)
            if isinstance(child, Function):
                if child not in walk.ops:
                    _add_op(walk, picture, child, meta)
                    queue.append(child)
                if node.overwrites_input and alive and tensor.data is node.out:
                    walk.overwritten[child] = node.name  # e.g. a ReLU in place of a temporary
                src = walk.ops[child]
            else:
                src = _leaf_key(walk, picture, child if child is not None else tensor, meta, names,
                                show_data)
            walk.edges.append((child, node, index, len(picture.edges)))
            picture.connect(src, entry)
    return walk


def _add_op(walk, picture, node, meta):
    """Draw an op whose output has ``meta`` (shape, dtype); for a node that stands for several
    ops (``parts``), its last part: `_add_next_part` draws the others."""
    walk.ops[node] = picture.add(Node(Kind.OP, node.parts[-1] if node.parts else node.name,
                                      obj=node))
    walk.out_meta[node] = meta
    if node.parts:
        walk.parts[node] = [walk.ops[node]]


def _add_next_part(walk, picture, node):
    """Draw the part before the earliest one drawn of a node with ``parts``, feeding it; False
    when there is none left. Called once per part, in walk order, so that the picture (keys,
    edges, DOT text) is the one of the separate ops the node stands for."""
    keys = walk.parts.get(node)
    if keys is None or len(keys) == len(node.parts):
        return False
    part = len(node.parts) - 1 - len(keys)
    key = picture.add(Node(Kind.OP, node.parts[part], obj=node))
    walk.inner_edges.append((node, part, len(picture.edges)))
    picture.connect(key, keys[-1])
    keys.append(key)
    return True


def _leaf_key(walk, picture, tensor, meta, names, show_data):
    """The key of a leaf's node, drawn once per tensor (per edge once its tensor is freed)."""
    if tensor is None:  # a constant input of a released node: only its shape is known
        return picture.add(Node(Kind.CONST, "constant", [shape_text(*meta)]))
    key = walk.leaves.get(id(tensor))
    if key is None:
        key = picture.add(_leaf_node(tensor, names, _leaf_kind(tensor), show_data))
        walk.leaves[id(tensor)] = key
        walk.leaf_tensors[key] = tensor
    return key


def _leaf_kind(tensor):
    return Kind.PARAM if tensor.requires_grad else Kind.CONST


def _leaf_node(tensor, names, kind, show_data):
    """A node for a tensor: its name, shape and dtype, and its values."""
    name = names.get(id(tensor)) or tensor.name or ""
    if kind is Kind.OUTPUT:
        name = name or "output"
    elif kind is Kind.CONST and not name and tensor.size == 1:
        return Node(kind, number(tensor.data.reshape(())), [], obj=tensor)
    node = Node(kind, name or ("tensor" if kind is Kind.PARAM else "input"),
                [shape_text(tensor.shape, tensor.dtype)], obj=tensor)
    if show_data:
        node.lines.append(f"data {describe(tensor.data)}")
    node.bad = has_bad(tensor.data)
    return node


def _label_leaf(node, grad, show_grad):
    """Add a leaf's gradient (an array, or None) and flag a dead or broken one."""
    if grad is None:
        return
    grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
    node.bad = node.bad or has_bad(grad)
    if show_grad:
        node.lines.append(f"grad {describe(grad)}")
    if node.kind is not Kind.PARAM:
        return
    if not np.any(grad):
        node.dead = True
        node.lines.append("gradient is all zero")
        return
    dead, total = zero_rows(grad)
    if dead:
        node.warn = True
        node.lines.append(f"{dead} of {total} units get zero gradient")


class _Grads:
    """Gradient summaries: per op output (text, Flow), per edge Flow, per leaf array."""

    def __init__(self):
        self.outs = {}
        self.edges = {}
        self.leaves = {}
        self.parts = {}  # node with parts -> (text, Flow) of each part's output, first to last
        self.computed = False  # draw_graph's own backward ran to the end on a live graph


def _gradients(root, walk, picture, show_grad):
    """Compute gradients on a live graph, or collect the stored ones from a released graph."""
    grads = _Grads()
    if not show_grad:
        picture.notes.append("show_grad=False: gradients not shown")
        return grads
    if walk.alive:
        try:
            _backward(root, grads)
        except Exception as error:  # a broken backward must not stop the drawing that debugs it
            picture.notes.append(f"gradients not computed: {type(error).__name__}: {error}")
            return _Grads()  # none of a pass that stopped half way (no leaf drawn as zero)
        grads.computed = True
        seeded = "d(output)/d(node)" if root.size == 1 else "d(sum of output)/d(node)"
        picture.notes.append(f"gradients: {seeded}, computed by draw_graph (.grad untouched)")
        if _has_tensor_hooks(walk):
            picture.notes.append("tensor hooks (register_hook) are not run by draw_graph: "
                                 "gradients a hook changes are drawn as they were before it")
        return grads
    for node in walk.ops:
        tensor = node.out_ref() if node.out_ref is not None else None
        if tensor is not None and tensor.grad is not None:
            grads.outs[node] = _grad_info(tensor.grad.data)
    for key, tensor in walk.leaf_tensors.items():
        if tensor.grad is not None:
            grads.leaves[id(tensor)] = tensor.grad.data
    picture.notes.append(
        "interior values were freed by backward(): parameters show their .grad; to see every "
        "op's values and gradients draw before backward() or after backward(retain_graph=True)"
    )
    return grads


def _grad_info(array):
    return describe(array), Flow.of(array)


def _has_tensor_hooks(walk):
    """Whether a tensor of the graph has hooks, which the drawing's own backward does not run
    (a logging hook would log twice)."""
    if not hooks.REGISTERED.count:
        return False
    return (any(node.out_hooks for node in walk.ops)
            or any(hooks.leaf_hooks(tensor) for tensor in walk.leaf_tensors.values()))


def _backward(root, grads):
    """A backward pass from ``root`` (seeded with ones) that records instead of accumulating.

    Like the engine's, it refuses a graph whose saved values were written after recording (the
    error becomes the legend's note). Unlike it, it makes no anomaly checks and lets NumPy warn
    of nothing: showing where nan and inf appear is what the drawing is for."""
    pending = {root._ctx: Tensor._make(np.ones_like(root.data), False)}
    kept, latest = [], inplace.MODIFICATIONS.latest
    anomaly, STATE.anomaly = STATE.anomaly, False
    try:
        with no_grad(), np.errstate(all="ignore"):
            _backward_nodes(root, grads, pending, kept, latest)
    finally:
        STATE.anomaly = anomaly


def _backward_nodes(root, grads, pending, kept, latest):
    """`_backward`'s walk: every node of the graph, newest first."""
    for node in engine.topological_order([root._ctx], prepare=inplace.restore_inputs):
        grad = pending.pop(node, None)
        if grad is None:
            continue
        if node.sequence > latest:
            inplace.check_unmodified(node, kept)
        grads.outs[node] = _grad_info(grad.data)
        if node.parts:
            grads.parts[node] = [_grad_info(g) for g in node.part_grads(grad)]
        input_grads = node.backward(grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for index, tensor in enumerate(node.inputs):
            if input_grads[index] is None or not node.needs_input_grad[index]:
                continue
            g = engine.conform(input_grads[index], tensor, node)
            grads.edges[(node, index)] = Flow.of(g.data)
            if tensor._ctx is not None:
                previous = pending.get(tensor._ctx)
                pending[tensor._ctx] = g if previous is None else previous + g
            else:
                previous = grads.leaves.get(id(tensor))
                grads.leaves[id(tensor)] = g.data if previous is None else previous + g.data


def _label(picture, walk, grads, show_data, show_grad):
    """Fill in op and leaf labels and edge flows from the walk and the gradients."""
    for node, key in walk.ops.items():
        if node.parts:
            _label_parts(picture, walk, node, grads, show_data)
        else:
            _label_op(picture.nodes[key], node, walk.out_meta[node], grads.outs.get(node),
                      show_data, walk.overwritten.get(node))
    for key, tensor in walk.leaf_tensors.items():
        grad = grads.leaves.get(id(tensor))
        if grad is None and walk.alive and show_grad and tensor.requires_grad and grads.outs:
            grad = np.zeros_like(tensor.data)  # no gradient reaches it: as good as zero
        _label_leaf(picture.nodes[key], grad, show_grad)
    for child, consumer, index, position in walk.edges:
        picture.edges[position].flow = _edge_flow(child, consumer, index, walk, grads)
    for node, part, position in walk.inner_edges:
        if node in grads.parts:
            picture.edges[position].flow = grads.parts[node][part][1]
    top = grads.outs.get(next(iter(walk.ops)))  # the op that made the output, drawn first
    if top is not None:
        picture.edges[0].flow = top[1]


def _edge_flow(child, consumer, index, walk, grads):
    if walk.alive:
        if not grads.computed:  # show_grad=False, or the backward failed: no shading at all
            return None
        return grads.edges.get((consumer, index), _NO_FLOW if child is not None else None)
    if isinstance(child, Function):
        info = grads.outs.get(child)
        return info[1] if info else None
    if child is not None and id(child) in grads.leaves:
        return Flow.of(grads.leaves[id(child)])
    return None


def _label_op(picture_node, node, meta, grad_info, show_data, overwritten_by=None):
    """An op node: name and scalar parameters, output shape, values and gradient. Values that
    the next op wrote over (``overwritten_by``, its name) are gone: the node says so."""
    _add_params(picture_node, node)
    out = None if overwritten_by is not None else node.__dict__.get("out")
    inputs = () if out is None else (t.data for t in node.inputs)
    _label_output(picture_node, meta, out, inputs, grad_info, show_data)
    if overwritten_by is not None and show_data:
        picture_node.lines.insert(1, f"data overwritten in place by {overwritten_by}")


def _label_parts(picture, walk, node, grads, show_data):
    """Each part of a node that stands for several ops, labelled as that op would be: the
    scalar parameters on the last part; values and gradients where known."""
    keys = walk.parts[node][::-1]  # first part first
    alive = node.inputs is not None
    outputs = node.part_outputs() if alive else (None,) * len(keys)
    infos = grads.parts.get(node) or [None] * (len(keys) - 1) + [grads.outs.get(node)]
    inputs = [t.data for t in node.inputs] if alive else ()
    for key, out, grad_info in zip(keys, outputs, infos):
        _label_output(picture.nodes[key], walk.out_meta[node], out, inputs, grad_info, show_data)
        inputs = (out,)
    _add_params(picture.nodes[keys[-1]], node)


def _add_params(picture_node, node):
    params = _short_params(node)
    if params:
        picture_node.title += " " + params


def _label_output(picture_node, meta, out, inputs, grad_info, show_data):
    """Shape, values (``out``, None once freed) and gradient of an op's output; red with NaN
    or inf, and marked where they start (``inputs``, the op's input arrays, have none)."""
    picture_node.lines.append(shape_text(*meta))
    if out is not None:
        picture_node.bad = has_bad(out)
        picture_node.source = picture_node.bad and not any(has_bad(a) for a in inputs)
        if show_data:
            picture_node.lines.append(f"data {describe(out)}")
    if grad_info is not None:
        picture_node.lines.append(f"grad {grad_info[0]}")
        picture_node.bad = picture_node.bad or grad_info[1].bad
    if picture_node.source:
        picture_node.lines.append("NaN/inf starts here")


def _short_params(node):
    """'axis=1' for the op's simple keyword parameters (kept until the node is released)."""
    params = node.__dict__.get("params") or {}
    shown = []
    for name, value in params.items():
        if value is None or value is False:  # an option left at its usual default
            continue
        if isinstance(value, (bool, int, float, str, tuple)) and len(repr(value)) <= 16:
            shown.append(f"{name}={value!r}")
    return " ".join(shown[:_MAX_PARAMS_SHOWN])
