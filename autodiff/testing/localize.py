"""`assert_grad_matches`: check a function's first and second derivatives, and when they are
wrong, find the op that is to blame.

A failing check on a composite function says little by itself ("the gradient of input 0 is off
at element 3"). So on failure the function is run once more with source sites recorded, and
every node of its graph is checked on its own, in forward order, at the very inputs it received:
its ``backward`` against finite differences of its ``forward``. The first node that disagrees is
named in the error with its input shapes and the user's line that created it.
"""
import numpy as np

from .. import inplace
from ..anomaly import describe_site
from ..engine import topological_order
from ..grad_mode import STATE, enable_grad
from ..gradcheck import (GradcheckError, LowPrecisionGradientError,
                         NondeterministicFunctionError, NonDifferentiablePointError,
                         _float64_inputs, gradcheck, gradgradcheck)
from ..tensor import Tensor

ORDERS = (1, 2)


def assert_grad_matches(f, *inputs, order=2, eps=1e-6, atol=1e-5, rtol=1e-3, kinks="accept"):
    """Assert that ``f``'s gradients (and second derivatives when ``order=2``) match central
    finite differences at ``inputs``, computed in float64 whatever the inputs' dtype.

    ``inputs`` are Tensors or arrays (floating ones are differentiated; integer ones, such as
    class targets, and other values are passed through). On a mismatch raises `GradcheckError`
    (an ``AssertionError``) naming the worst element with both values and the first op of the
    graph whose own backward is wrong, with its input shapes and the line that created it.

    Where an input is float32 or float16, the gradient computed at that dtype must also agree
    with the float64 one (`LowPrecisionGradientError` otherwise). A function that gives
    different outputs for the same inputs raises `NondeterministicFunctionError`.

    ``kinks="accept"``: at a point where ``f`` is not differentiable (relu at 0, a tie in max)
    any gradient between the one-sided slopes passes. ``kinks="raise"``: such a sample raises
    `NonDifferentiablePointError`, a `GradcheckError` that says it is a kink, not a wrong
    gradient.

    >>> assert_grad_matches(lambda x: (x.tanh() * x).sum(), Tensor([0.5, -1.0]))
    """
    if order not in ORDERS:
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    options = dict(eps=eps, atol=atol, rtol=rtol, kinks=kinks)
    for check in (gradcheck, gradgradcheck)[:order]:
        try:
            check(f, inputs, **options)
        except (NonDifferentiablePointError, LowPrecisionGradientError,
                NondeterministicFunctionError):
            raise  # about the point, the dtype or the function as a whole: no op to name
        except GradcheckError as error:
            raise _localized(error, f, inputs, check, options) from None


def _localized(error, f, inputs, check, options):
    """A GradcheckError that adds, to ``error``, the first node whose backward is wrong."""
    graph = _recorded_graph(f, inputs)
    culprit, unchecked = None, []
    for node in graph:
        failure = _check_node(node, check, options)
        if failure is _UNCHECKABLE:
            unchecked.append(node)
        elif failure is not None:
            culprit = (node, failure)
            break
    what = "gradient" if check is gradcheck else "second derivative"
    lines = [f"{what} of the function disagrees with finite differences: {error}"]
    if culprit is None and unchecked:
        lines.append(
            f"no op of the graph ({_names(graph)}) fails its own check, but "
            f"{_names(unchecked, ', ')} could not be checked: even at float64 inputs their "
            f"outputs have less than float64 precision (a cast to float32?), too little for "
            f"finite differences. Check the function in float64 throughout.")
    elif culprit is None:
        lines.append(
            f"every op of the graph ({_names(graph)}) passes its own check at its inputs, so the "
            f"error comes from outside the graph: does the function use .data, .numpy() or "
            f"NumPy on tensors, or an op whose output is not recorded?")
    else:
        node, failure = culprit
        lines.append(f"first wrong op: {node.name} (inputs {_shapes(node)}) created at "
                     f"{describe_site(node.site)}")
        lines.append(f"  its own backward disagrees at its recorded inputs: {failure}")
        lines.append(f"  graph in forward order: {_names(graph)}")
    result = GradcheckError("\n".join(lines), input_index=error.input_index,
                            element=error.element, analytic=error.analytic,
                            numeric=error.numeric)
    result.op = None if culprit is None else culprit[0].name
    result.site = None if culprit is None else culprit[0].site
    result.input_shapes = None if culprit is None else [t.shape for t in culprit[0].inputs]
    return result


def _recorded_graph(f, inputs):
    """The nodes of ``f``'s graph at float64 copies of ``inputs``, in forward order, with their
    inputs alive and the user's source line of each recorded."""
    leaves = _float64_inputs(inputs)
    previous = STATE.record_sites
    STATE.record_sites = True
    try:
        with enable_grad():
            out = f(*leaves)
    finally:
        STATE.record_sites = previous
    outs = out if isinstance(out, (tuple, list)) else (out,)
    roots = [o._ctx for o in outs if isinstance(o, Tensor) and o._ctx is not None]
    if not roots:
        return []
    return list(reversed(topological_order(roots, prepare=inplace.restore_inputs)))


_UNCHECKABLE = object()  # what _check_node returns for a node finite differences cannot judge


def _check_node(node, check, options):
    """None when the node's backward passes ``check`` at its recorded inputs, `_UNCHECKABLE`
    when float64 finite differences cannot judge it, else the error."""
    if node.inputs is None or not any(node.needs_input_grad):
        return None
    positions = [i for i, needed in enumerate(node.needs_input_grad) if needed]
    constants = list(node.inputs)

    def apply_node(*variables):
        args = list(constants)
        for i, x in zip(positions, variables):
            args[i] = x
        return type(node).apply(*args, **node.params)

    variables = [np.array(node.inputs[i].data, dtype=np.float64) for i in positions]
    if not _float64_output(node, apply_node, variables):
        return _UNCHECKABLE
    try:
        check(apply_node, variables, **options)
    except NonDifferentiablePointError:
        return None  # sitting on a kink is not this node's fault
    except GradcheckError as error:
        return error
    return None


def _float64_output(node, apply_node, variables):
    """Whether float64 finite differences can judge the node: its output has float64 precision,
    as recorded or once re-applied to float64 copies of its inputs (a float32 op in a float32
    graph can be checked; a cast to float32 cannot)."""
    dtype = np.asarray(node.out).dtype
    if dtype.kind == "f" and dtype.itemsize >= 8:
        return True
    try:
        probe = apply_node(*(Tensor(v) for v in variables))
    except Exception:  # an op that refuses float64: leave it unchecked
        return False
    return probe.dtype.kind == "f" and probe.dtype.itemsize >= 8


def _shapes(node):
    return ", ".join(f"{t.shape} {t.dtype}" for t in node.inputs)


def _names(graph, separator=" -> "):
    return separator.join(node.name for node in graph) or "empty"
