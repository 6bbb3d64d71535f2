"""From a Picture to a `graphviz.Digraph`: shapes, colors, the legend.

Colors carry meaning, the same in every picture:

* fill by role: parameter light blue, constant input white (dashed), op light gray, output
  green, folded module lavender; red for NaN/inf (dark red where it first appears), orange for a
  parameter whose gradient is all zero (orange border when only some units get none);
* edges by the mean |gradient| flowing back along them, on a log scale over the picture's range
  (two to six decades below the largest): thick and dark blue for the largest, thin and pale for the
  smallest; dashed gray for exactly zero; red for NaN/inf; plain gray when not known.
"""
import html
import math
import textwrap

import graphviz

from .picture import Kind

FONT = "Helvetica"
RED, DARK_RED, RED_LINE = "#ffb3b3", "#ff6b6b", "#d62728"
ORANGE, ORANGE_LINE = "#ffd08a", "#e6550d"
DECADES = 6  # edge shading spans at most this many powers of ten below the largest gradient
MIN_DECADES = 2  # and at least this many, so that near-equal gradients look alike

_BASE = {  # kind -> (node attributes, fill color, legend text)
    Kind.OP: ({"shape": "box", "style": "rounded,filled", "color": "#888888"}, "#f0f0f0",
              "op (output shape, values)"),
    Kind.PARAM: ({"shape": "box", "style": "filled", "color": "#3c78b4"}, "#cfe6ff",
                 "parameter: a leaf that requires grad"),
    Kind.CONST: ({"shape": "box", "style": "rounded,dashed,filled", "color": "#999999",
                  "fontcolor": "#444444"}, "#ffffff", "input or constant (no grad)"),
    Kind.OUTPUT: ({"shape": "box", "style": "filled,bold", "color": "#2e7d32"}, "#c8f0c8",
                  "output (the root)"),
    Kind.VALUE: ({"shape": "plain"}, "#ffffff", "Value: label | data | grad"),
    Kind.VALUE_OP: ({"shape": "circle", "style": "filled", "color": "#888888",
                     "width": "0.3", "margin": "0.02"}, "#f0f0f0", "op that made the Value"),
    Kind.MODULE: ({"shape": "box", "style": "rounded,filled", "color": "#6a51a3",
                   "penwidth": "1.5"}, "#e9e1f7", "module call: its ops and parameters folded"),
    Kind.MORE: ({"shape": "note", "style": "filled", "color": "#b8860b"}, "#fff6d5",
                "nodes left out by max_nodes"),
}


def to_digraph(picture, rankdir="LR"):
    """The Digraph of ``picture``; node names are ``n<key>`` in walk order."""
    graph = graphviz.Digraph(
        "autodiff",
        graph_attr={"rankdir": rankdir, "fontname": FONT, "nodesep": "0.25", "ranksep": "0.35",
                    "labelloc": "b", "labeljust": "l"},
        node_attr={"fontname": FONT, "fontsize": "10", "margin": "0.08,0.04"},
        edge_attr={"fontname": FONT, "fontsize": "8", "arrowsize": "0.6"},
    )
    _add_nodes(graph, picture)
    scale = _scale(picture.edges)
    for edge in picture.edges:
        source_is_const = picture.nodes[edge.src].kind is Kind.CONST
        graph.edge(f"n{edge.src}", f"n{edge.dst}", **_edge_style(edge, scale, source_is_const))
    graph.attr(label=_legend(picture))
    return graph


def _add_nodes(graph, picture):
    """Nodes outside any module frame go straight in; framed ones in nested clusters."""
    frames = {}  # frame chain -> keys
    numbers = {}  # module call -> cluster number, in walk order (deterministic names)
    for key, node in enumerate(picture.nodes):
        frames.setdefault(node.cluster, []).append(key)
        for call, _ in node.cluster:
            numbers.setdefault(call, len(numbers))
    for key in frames.pop((), []):
        _add_node(graph, key, picture.nodes[key])
    for chain, keys in frames.items():
        _add_framed(graph, chain, keys, picture, numbers)


def _add_framed(graph, chain, keys, picture, numbers):
    """Open one cluster per frame in the chain (outermost first), then add the nodes.

    A frame met again in another chain reopens the same-named cluster, which DOT merges."""
    contexts = []
    parent = graph
    for call, label in chain:
        context = parent.subgraph(name=f"cluster_{numbers[call]}")
        sub = context.__enter__()
        contexts.append(context)
        sub.attr(label=label, style="rounded,dashed", color="#6a51a3",
                 fontname=FONT, fontsize="10", labeljust="l")
        parent = sub
    for key in keys:
        _add_node(parent, key, picture.nodes[key])
    for context in reversed(contexts):
        context.__exit__(None, None, None)


def _fill(node):
    attrs, fill, _ = _BASE[node.kind]
    attrs = dict(attrs)
    if node.source:
        fill, attrs["color"], attrs["penwidth"] = DARK_RED, RED_LINE, "3"
    elif node.bad:
        fill, attrs["color"], attrs["penwidth"] = RED, RED_LINE, "2"
    elif node.dead:
        fill, attrs["color"], attrs["penwidth"] = ORANGE, ORANGE_LINE, "2"
    elif node.warn:
        attrs["color"], attrs["penwidth"] = ORANGE_LINE, "2.5"
    return attrs, fill


def _add_node(graph, key, node):
    attrs, fill = _fill(node)
    if node.kind is Kind.VALUE:
        label = _value_label(node, fill, attrs.get("color", "#333333"),
                             attrs.get("penwidth", "1"))
    else:
        attrs["fillcolor"] = fill
        label = _html_label(node)
    graph.node(f"n{key}", label=label, **attrs)


def _html_label(node):
    """Title in bold, detail lines smaller (an HTML-like label)."""
    parts = [f"<B>{html.escape(node.title, quote=False)}</B>" if node.title else ""]
    for line in node.lines:
        parts.append(f'<FONT POINT-SIZE="8">{html.escape(line, quote=False)}</FONT>')
    return "<" + "<BR/>".join(part for part in parts if part) + ">"


def _value_label(node, fill, border, penwidth):
    """micrograd's record, as a one-row table: label | data | grad."""
    cells = ([f"<B>{html.escape(node.title, quote=False)}</B>"] if node.title else []) + \
        [html.escape(line, quote=False) for line in node.lines]
    row = "".join(f"<TD>{cell}</TD>" for cell in cells) or "<TD> </TD>"
    width = round(float(penwidth)) if penwidth != "1" else 0  # a frame only when flagged
    return (f'<<TABLE BORDER="{width}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
            f'BGCOLOR="{fill}" COLOR="{border}"><TR>{row}</TR></TABLE>>')


def _scale(edges):
    """(log10 of the smallest, decades up to the largest) nonzero finite edge gradient."""
    sizes = [e.flow.magnitude for e in edges if e.flow and not e.flow.bad and e.flow.magnitude > 0]
    if not sizes:
        return None
    top = math.log10(max(sizes))
    low = min(max(math.log10(min(sizes)), top - DECADES), top - MIN_DECADES)
    return low, top - low


def _edge_style(edge, scale, source_is_const):
    flow = edge.flow
    style = {"label": edge.label} if edge.label else {}
    if flow is None:
        color = "#c8c8c8" if source_is_const else "#808080"
        return {**style, "color": color}
    if flow.bad:
        return {**style, "color": RED_LINE, "penwidth": "2.5", "tooltip": "NaN/inf gradient"}
    if flow.zero or flow.magnitude == 0.0 or scale is None:
        return {**style, "color": "#b0b0b0", "style": "dashed", "tooltip": "zero gradient"}
    low, span = scale
    level = 1.0 if span == 0 else min(1.0, max(0.0, (math.log10(flow.magnitude) - low) / span))
    return {**style, "color": _blend("#9ecae1", "#08306b", level),
            "penwidth": f"{1.0 + 2.5 * level:.2f}",
            "tooltip": f"mean |grad| {flow.magnitude:.3g}"}


def _blend(start, end, t):
    """The color a fraction ``t`` of the way from ``start`` to ``end`` ('#rrggbb')."""
    a = [int(start[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(end[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def _legend(picture):
    """The legend, an HTML table under the drawing: the colors in use and the notes."""
    kinds = {node.kind for node in picture.nodes}
    rows = [(_BASE[kind][1], _BASE[kind][2]) for kind in Kind if kind in kinds]
    if any(node.source for node in picture.nodes):
        rows.append((DARK_RED, "NaN/inf first appears here (its inputs are finite)"))
    if any(node.bad for node in picture.nodes):
        rows.append((RED, "NaN or inf in data or gradient"))
    if any(node.dead for node in picture.nodes):
        rows.append((ORANGE, "parameter whose gradient is all zero (dead unit, detached branch)"))
    if any(node.warn for node in picture.nodes):
        rows.append(("#ffffff", "orange border: some units (rows) get zero gradient"))
    cells = [f'<TR><TD BGCOLOR="{color}" WIDTH="18"> </TD>'
             f'<TD ALIGN="LEFT">{html.escape(text, quote=False)}</TD></TR>' for color, text in rows]
    notes = list(picture.notes)
    if any(edge.flow is not None for edge in picture.edges):
        notes.insert(0, f"edges: darker and thicker = larger mean |grad| flowing back (log scale "
                        f"over the picture's range, {MIN_DECADES} to {DECADES} decades); dashed = "
                        f"zero; red = NaN/inf")
    for note in notes:
        text = '<BR ALIGN="LEFT"/>'.join(html.escape(line, quote=False)
                                         for line in textwrap.wrap(note, 80))
        cells.append(f'<TR><TD COLSPAN="2" ALIGN="LEFT">{text}<BR ALIGN="LEFT"/></TD></TR>')
    return ('<<FONT POINT-SIZE="9"><TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" '
            'CELLPADDING="2"><TR><TD COLSPAN="2"><B>legend</B></TD></TR>'
            + "".join(cells) + "</TABLE></FONT>>")
