"""The picture of a scalar `Value` graph, drawn as micrograd draws it.

Every Value is a record ``label | data | grad``; the op that made it is a small circle in front of
it. Edges carry the gradient that flowed back along them in the last ``backward()``: from the op
circle to its output, ``grad``; from a parent into the op, ``local derivative * grad`` (the
parents and local derivatives are what the Value keeps for its backward pass).
"""
import math
from collections import deque

from .picture import Kind, Node, Picture
from .summary import Flow, number


def value_picture(root, names, show_data=True, show_grad=True):
    """The Picture of the graph that ends at Value ``root``; ``names`` maps id(Value) -> name."""
    picture = Picture()
    backpropagated = show_grad and root.grad != 0.0
    if show_grad and not backpropagated:
        picture.notes.append("every grad is 0: call backward() on the root to see gradients")
    keys = {id(root): _add_value(picture, root, names, show_data, show_grad, backpropagated)}
    queue = deque([root])
    while queue:
        value = queue.popleft()
        if not value._prev:
            continue
        op_key = keys[id(value)] + 1  # the op circle is added right after its value
        contributions = {}
        locals_ = _locals(value)
        for parent, local in zip(value._prev, locals_ or (None,) * len(value._prev)):
            if id(parent) not in keys:
                keys[id(parent)] = _add_value(picture, parent, names, show_data, show_grad,
                                              backpropagated)
                queue.append(parent)
            if local is not None:
                contributions[id(parent)] = (contributions.get(id(parent), 0.0)
                                             + local * value.grad)
            else:  # an op with its own _backward closure: what flowed is not known
                contributions.setdefault(id(parent), None)
        for parent_id, flow in contributions.items():  # a*a lists a twice: one edge
            known = backpropagated and flow is not None
            picture.connect(keys[parent_id], op_key, Flow.of(flow) if known else None)
    return picture


def _locals(value):
    """The local derivatives, or None for an op written with its own ``_backward`` closure (or
    a Value-like type that does not keep them)."""
    return getattr(value, "_local", None)


def _add_value(picture, value, names, show_data, show_grad, backpropagated):
    """Add the Value's record (and its op circle, connected to it); return the record's key."""
    name = names.get(id(value)) or value.label
    node = Node(Kind.VALUE, name, obj=value)
    if show_data:
        node.lines.append(f"data {value.data:.4f}" if math.isfinite(value.data) else
                          f"data {number(value.data)}")
    if show_grad:
        node.lines.append(f"grad {value.grad:.4f}" if math.isfinite(value.grad) else
                          f"grad {number(value.grad)}")
    node.bad = not (math.isfinite(value.data) and math.isfinite(value.grad))
    is_param = not value._prev and (not names or id(value) in names)
    node.dead = backpropagated and is_param and value.grad == 0.0
    key = picture.add(node)
    if value._prev:
        op = picture.add(Node(Kind.VALUE_OP, value._op or "?", obj=value))
        picture.connect(op, key, Flow.of(value.grad) if backpropagated else None)
    return key
