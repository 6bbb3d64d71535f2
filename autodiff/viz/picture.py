"""The drawing before it becomes DOT: nodes in walk order, edges, notes for the legend.

The graph walkers (`tensors`, `values`) build a `Picture`; `modules.collapse` and `truncate`
transform it; `dot.to_digraph` turns it into a `graphviz.Digraph`. Node keys are positions in the
walk (root first), so the same graph always gives the same DOT text.
"""
import enum
from dataclasses import dataclass, field


class Kind(enum.Enum):
    """What a drawn node stands for; it chooses the node's shape and base color."""

    OP = "op"  # a Function node of a Tensor graph, labelled with its output's shape
    PARAM = "param"  # a leaf Tensor that requires grad (a parameter)
    CONST = "const"  # an input that does not require grad (data, targets, constants)
    OUTPUT = "output"  # the tensor draw_graph was called on
    VALUE = "value"  # a scalar Value: label | data | grad
    VALUE_OP = "value_op"  # the op that made a Value, a small circle
    MODULE = "module"  # a module call whose ops were folded into one box
    MORE = "more"  # stands for the nodes that max_nodes left out


@dataclass
class Node:
    """One drawn node: a title line, detail lines and the flags that color it."""

    kind: Kind
    title: str
    lines: list = field(default_factory=list)
    bad: bool = False  # NaN or inf in data or gradient: red
    source: bool = False  # the first op whose output is NaN/inf while its inputs are not
    dead: bool = False  # a parameter whose gradient is entirely zero: orange
    warn: bool = False  # some units of a parameter get no gradient: orange border
    obj: object = None  # the Function, Tensor or Value drawn (used by collapse)
    cluster: tuple = ()  # (module call, label) of enclosing frames, outermost first (collapse)


@dataclass
class Edge:
    """Data flows from ``src`` to ``dst`` (node keys); ``flow`` is the gradient flowing back."""

    src: int
    dst: int
    flow: object = None  # summary.Flow, or None when the gradient is not known
    label: str = ""


@dataclass
class Picture:
    """Nodes (key = index), edges and legend notes."""

    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def add(self, node):
        """Append a node and return its key."""
        self.nodes.append(node)
        return len(self.nodes) - 1

    def connect(self, src, dst, flow=None, label=""):
        """Add an edge from node ``src`` to node ``dst``."""
        self.edges.append(Edge(src, dst, flow, label))


def merge_edges(edges):
    """One edge per (src, dst) pair, in first-seen order, flows combined; no self-loops."""
    merged = {}
    for edge in edges:
        if edge.src == edge.dst:
            continue
        pair = (edge.src, edge.dst)
        if pair in merged:
            kept = merged[pair]
            kept.flow = edge.flow + kept.flow if edge.flow is not None else kept.flow
        else:
            merged[pair] = Edge(edge.src, edge.dst, edge.flow, edge.label)
    return list(merged.values())


def truncate(picture, max_nodes):
    """Keep the first ``max_nodes`` nodes (those nearest the root); one node says what is left out.

    Edges from a left-out node to a kept one go to the "more" node instead, so the picture shows
    where the rest of the graph attaches.
    """
    if max_nodes is None or len(picture.nodes) <= max_nodes:
        return picture
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    kept, dropped = picture.nodes[:max_nodes], picture.nodes[max_nodes:]
    text = _left_out_text(dropped)
    more = Node(Kind.MORE, f"{len(dropped):,} more nodes not drawn", [text])
    more.bad = any(node.bad for node in dropped)
    result = Picture(kept + [more], [], list(picture.notes))
    for edge in picture.edges:
        if edge.dst >= max_nodes:
            continue
        src = edge.src if edge.src < max_nodes else max_nodes
        result.edges.append(Edge(src, edge.dst, edge.flow, edge.label))
    result.edges = merge_edges(result.edges)
    result.notes.append(
        f"max_nodes={max_nodes}: showing {max_nodes:,} of {len(picture.nodes):,} nodes, the "
        f"ones nearest the output; left out: {text}"
    )
    return result


_KIND_WORDS = {
    Kind.OP: "ops", Kind.PARAM: "parameters", Kind.CONST: "constants", Kind.VALUE: "values",
    Kind.VALUE_OP: "value ops", Kind.MODULE: "modules", Kind.OUTPUT: "outputs",
}


def _left_out_text(dropped):
    """'9,700 ops, 90 parameters (layers.0.weight, ...), 2 with NaN/inf'."""
    counts = {}
    for node in dropped:
        counts[node.kind] = counts.get(node.kind, 0) + 1
    parts = [f"{counts[kind]:,} {word if counts[kind] != 1 else word[:-1]}"
             for kind, word in _KIND_WORDS.items() if kind in counts]
    named = [node.title for node in dropped if node.kind is Kind.PARAM and node.title]
    if named:
        shown = ", ".join(named[:4]) + (", ..." if len(named) > 4 else "")
        position = [kind for kind in _KIND_WORDS if kind in counts].index(Kind.PARAM)
        parts[position] += f" ({shown})"
    bad = sum(node.bad for node in dropped)
    dead = sum(node.dead for node in dropped)
    if bad:
        parts.append(f"{bad:,} with NaN/inf")
    if dead:
        parts.append(f"{dead:,} with an all-zero gradient")
    return ", ".join(parts)
