"""Folding module calls into boxes (``collapse=True``).

While the forward pass runs inside `record_modules()`, ``nn.Module.__call__`` pushes the module
on ``grad_mode.STATE.module_scopes`` and every recorded op keeps the innermost call as
``node.scope``. `collapse` then folds all ops of one call of a leaf module (a module without
submodules: Linear, Conv2d, ReLU) into a single box, together with that module's own parameters;
modules with submodules (Sequential, a user's block) become labelled frames around their parts,
and ops they run themselves stay visible inside the frame. Each call is its own box, so a module
applied twice draws two boxes, and the picture keeps the direction of the data flow.
"""
from ..grad_mode import STATE
from .picture import Kind, Node, Picture, merge_edges


class ModuleCall:
    """One call of a module's forward: the module, the enclosing call, and which call it is."""

    __slots__ = ("module", "outer", "number")

    def __init__(self, module, outer, number):
        self.module = module
        self.outer = outer
        self.number = number


class _CallStack(list):
    """The list ``Module.__call__`` pushes modules on; it stores a `ModuleCall` per push."""

    def __init__(self):
        super().__init__()
        self.counts = {}

    def append(self, module):
        """Enter a call of ``module``."""
        number = self.counts.get(id(module), 0) + 1
        self.counts[id(module)] = number
        super().append(ModuleCall(module, self[-1] if self else None, number))


class record_modules:
    """Context manager: ops created inside module calls remember the call, for ``collapse=True``.

    >>> with record_modules():                      # doctest: +SKIP
    ...     loss = F.cross_entropy(model(x), y)
    >>> draw_graph(loss, model=model, collapse=True)  # doctest: +SKIP

    Outside the block nothing is recorded and ops pay nothing.
    """

    def __enter__(self):
        self._previous = STATE.module_scopes
        STATE.module_scopes = _CallStack()
        return self

    def __exit__(self, *exc_info):
        STATE.module_scopes = self._previous
        return False


def collapse(picture, module_names):
    """A new Picture with each leaf-module call folded into one box; ``module_names`` maps
    id(module) -> dotted name."""
    calls = [_as_call(getattr(node.obj, "scope", None)) if node.kind is Kind.OP else None
             for node in picture.nodes]
    if not any(calls):
        picture.notes.append(
            "collapse=True found no module calls: run the forward pass inside "
            "autodiff.viz.record_modules() to record them")
        return picture
    owner = [call if call is not None and not _has_children(call.module) else None
             for call in calls]
    _absorb_parameters(picture, owner)
    result, new_key, boxes = _fold(picture, owner, calls, module_names)
    for edge in picture.edges:
        # an edge leaving a box is labelled with the shape that flows along it
        label = picture.nodes[edge.src].lines[0].rsplit(" ", 1)[0] if owner[edge.src] else ""
        result.connect(new_key[edge.src], new_key[edge.dst], edge.flow, label)
    result.edges = merge_edges(result.edges)
    result.notes.append(
        f"collapsed: {len(boxes)} module calls drawn as boxes (each box holds the ops and "
        f"parameters of one call); frames are modules with submodules")
    return result


def _as_call(scope):
    """A ModuleCall for whatever the op recorded (a plain module when recorded elsewhere)."""
    if scope is None or isinstance(scope, ModuleCall):
        return scope
    return ModuleCall(scope, None, 1)


def _has_children(module):
    children = getattr(module, "children", None)
    return callable(children) and next(iter(children()), None) is not None


def _absorb_parameters(picture, owner):
    """Give a box the parameters (and scalar constants) that only its own ops consume."""
    consumers = {}
    for edge in picture.edges:
        consumers.setdefault(edge.src, []).append(owner[edge.dst])
    for key, node in enumerate(picture.nodes):
        if node.kind not in (Kind.PARAM, Kind.CONST) or key not in consumers:
            continue
        boxes = consumers[key]
        call = boxes[0]
        if call is None or any(other is not call for other in boxes):
            continue
        if node.kind is Kind.CONST and node.obj is not None and node.obj.size == 1:
            owner[key] = call
        elif node.kind is Kind.PARAM and _owns(call.module, node.obj):
            owner[key] = call


def _owns(module, tensor):
    named = getattr(module, "named_parameters", None)
    return callable(named) and any(p is tensor for _, p in named())


def _fold(picture, owner, calls, module_names):
    """Nodes in walk order with each call's members replaced by its box (at its first member)."""
    result = Picture(notes=list(picture.notes))
    new_key, boxes = [], {}
    for key, node in enumerate(picture.nodes):
        call = owner[key]
        if call is None:
            copy = Node(**{**node.__dict__})
            copy.cluster = _frames(calls[key], module_names)
            new_key.append(result.add(copy))
            continue
        if call not in boxes:
            box = Node(Kind.MODULE, _call_name(call, module_names), obj=call)
            box.cluster = _frames(call.outer, module_names)
            boxes[call] = (result.add(box), [])
        new_key.append(boxes[call][0])
        boxes[call][1].append(node)
    for call, (box_key, members) in boxes.items():
        _describe_box(result.nodes[box_key], members, module_names.get(id(call.module), ""))
    return result, new_key, boxes


def _frames(call, module_names):
    """(call, label) of the module calls with submodules that enclose ``call`` (itself
    included), outermost first, leaving out the outermost call (the whole model, which would
    frame everything)."""
    chain = []
    while call is not None and call.outer is not None:
        if _has_children(call.module):
            chain.append((call, _call_name(call, module_names)))
        call = call.outer
    return tuple(reversed(chain))


def _call_name(call, module_names):
    name = module_names.get(id(call.module), "")
    text = f"{name}: {type(call.module).__name__}" if name else type(call.module).__name__
    return text if call.number == 1 else f"{text} (call {call.number})"


def _describe_box(box, members, prefix):
    """The box's lines: its ops, its parameters (flagged when dead or broken)."""
    ops = [node for node in members if node.kind is Kind.OP]
    names = sorted({node.title.split(" ")[0] for node in ops})
    box.lines.append(f"{len(ops)} op{'s' * (len(ops) != 1)}: {', '.join(names[:4])}"
                     + (", ..." if len(names) > 4 else ""))
    for node in members:
        if node.kind is not Kind.PARAM:
            continue
        name = node.title[len(prefix) + 1:] if prefix and node.title.startswith(prefix + ".") \
            else node.title
        flag = "  NaN/inf" if node.bad else "  zero grad" if node.dead else \
            "  some units zero grad" if node.warn else ""
        box.lines.append(f"{name} {node.lines[0]}{flag}")
    box.bad = any(node.bad for node in members)
    box.dead = any(node.dead for node in members)
    box.warn = any(node.warn for node in members)
    box.source = any(node.source for node in members)
