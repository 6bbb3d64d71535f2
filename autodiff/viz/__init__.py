"""Drawing computation graphs with Graphviz: `draw_graph` for Value and Tensor graphs.

>>> from autodiff.viz import draw_graph
>>> dot = draw_graph(loss, model=model)            # doctest: +SKIP
>>> dot.render("loss", format="svg")               # doctest: +SKIP

The result is a `graphviz.Digraph`: ``.render()``, ``.pipe()`` and Jupyter display come from the
graphviz package, and the DOT text (``dot.source``) is the same for the same graph.

The package is laid out as the drawing is made: `tensors` and `values` walk a graph into a
`picture.Picture`; `modules` folds module calls (``collapse=True``) and `picture.truncate`
applies ``max_nodes``; `dot` turns the picture into DOT with its colors and legend.
"""
import numpy as np

from ..tensor import Tensor
from ..value import Value
from .dot import to_digraph
from .modules import collapse as _collapse
from .modules import record_modules
from .picture import truncate
from .tensors import tensor_picture
from .values import value_picture

__all__ = ["draw_graph", "record_modules"]


def draw_graph(root, params=None, model=None, collapse=False, max_nodes=None, show_data=True,
               show_grad=True, rankdir="LR", *, format=None):
    """Draw the graph that ends at ``root`` (a `Tensor` or a `Value`) as a `graphviz.Digraph`.

    * Tensor graphs: one node per op (its output's shape, values and gradient), per parameter
      (name, shape, dtype, a summary of data and grad: the values when few, else min/mean/max)
      and per input or constant, and the output. Drawn before ``backward()`` (or after
      ``backward(retain_graph=True)``), draw_graph computes every op's gradient itself, without
      touching any ``.grad``; after a plain ``backward()`` the interior values are freed, so
      parameters show their ``.grad`` and ops their shapes (the legend says so).
    * Value graphs: every Value as ``label | data | grad`` with its op as a small circle, as in
      micrograd, showing the stored data and grad.

    ``params``: (name, tensor) pairs or a dict (e.g. ``model.named_parameters()``) naming the
    parameter nodes; ``model``: an ``nn.Module`` whose parameter and module names are used.
    ``collapse=True`` folds each call of a leaf module into one box (the forward pass must have
    run inside `record_modules()`). ``max_nodes`` keeps the nodes nearest the output and one node
    that counts what was left out. ``show_data``/``show_grad`` turn the value and gradient lines
    (and, for ``show_grad``, the gradient computation and edge shading) off. ``rankdir`` is
    Graphviz's ("LR" left to right, "TB" top to bottom). ``format`` (``"svg"``, ``"png"``,
    ...; Graphviz's default is PDF) is the digraph's output format for ``.render()``, as the
    argument of micrograd's ``draw_dot``.

    Colors: red for NaN/inf (dark red where it first appears), orange for a parameter whose
    gradient is all zero, edges darker and thicker for larger gradients; the legend under the
    drawing lists the colors used and any notes (freed values, nodes left out).
    """
    _check_layout(max_nodes, rankdir)
    names = _names(params, model)
    if isinstance(root, Value):
        if collapse:
            raise ValueError("collapse=True folds nn.Module calls, which needs a Tensor graph; "
                             "got a Value")
        picture = value_picture(root, names, show_data, show_grad)
    elif isinstance(root, Tensor):
        picture = tensor_picture(root, names, show_data, show_grad)
        if collapse:
            picture = _collapse(picture, _module_names(model))
    else:
        raise TypeError(f"draw_graph needs a Tensor or a Value, got {type(root).__name__}")
    dot = to_digraph(truncate(picture, max_nodes), rankdir)
    if format is not None:
        dot.format = format  # graphviz names an unknown format itself, here
    return dot


_RANKDIRS = ("LR", "RL", "TB", "BT")  # Graphviz's directions


def _check_layout(max_nodes, rankdir):
    """Name a bad ``max_nodes`` or ``rankdir`` here, not as an error from deep in the drawing
    (or, for ``rankdir``, a silently ignored attribute in Graphviz)."""
    if max_nodes is not None and (isinstance(max_nodes, bool)
                                  or not isinstance(max_nodes, (int, np.integer))):
        raise TypeError(f"draw_graph: max_nodes must be an int or None, got {max_nodes!r}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {', '.join(_RANKDIRS)}, got "
                         f"{rankdir!r}")


def _names(params, model):
    """id(tensor or Value) -> name, from ``params`` pairs (or a dict) and ``model``."""
    pairs = []
    if model is not None:
        named = getattr(model, "named_parameters", None)
        if named is None:
            pairs += [(str(i), p) for i, p in enumerate(model.parameters())]
        else:
            pairs += list(named())
    if params is not None:
        pairs += list(params.items() if isinstance(params, dict) else params)
    names = {}
    for entry in pairs:
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str)):
            raise TypeError(f"params must hold (name, tensor) pairs, got {entry!r:.60}")
        names[id(entry[1])] = entry[0]
    return names


def _module_names(model):
    """id(module) -> dotted name ('' for the model itself)."""
    if model is None:
        return {}
    return {id(module): name for name, module in model.named_modules()}
