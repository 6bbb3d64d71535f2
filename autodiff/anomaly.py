"""Anomaly detection: find the first op whose forward or backward makes a NaN or an inf.

Inside ``with detect_anomaly():`` every op remembers the user's source line that created it and
checks its output; the backward pass checks every gradient an op returns. The first non-finite
value raises `FloatingPointError` naming the op and that line. Ops run inside a node's backward
are judged through the gradients that backward returns, so a backward that makes an inf blames
its own node ("Sqrt produced inf in backward"). Outside the block nothing is checked and nothing
is recorded, so normal training pays nothing.
"""
import os
import sys

import numpy as np

from . import tensor as _tensor  # circular by design: ops call these hooks
from .grad_mode import STATE

# Frames inside these folders belong to the library, not to the user.
_LIBRARY_DIRS = tuple(
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), name) + os.sep
    for name in ("autodiff", "nn")
)


class detect_anomaly:
    """Context manager: raise at the first op that produces a NaN or inf, forward or backward.

    >>> with detect_anomaly():
    ...     y = (x * 0).log()            # doctest: +SKIP
    FloatingPointError: Log produced -inf in forward (created at model.py:12: y = (x * 0).log())
    """

    def __enter__(self):
        self._previous = STATE.anomaly
        STATE.anomaly = True
        return self

    def __exit__(self, *exc_info):
        STATE.anomaly = self._previous
        return False


def user_site():
    """(filename, lineno, source line) of the innermost frame outside autodiff and nn."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame = frame.f_back
    if frame is None:
        return None
    import linecache

    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    return filename, lineno, linecache.getline(filename, lineno).strip()


def user_stacklevel():
    """The ``stacklevel`` that makes a ``warnings.warn`` in the caller point at the innermost
    frame outside autodiff and nn (the user's line), however deep the library's calls are."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame, level = frame.f_back, level + 1
    return level


def describe_site(site):
    """'file.py:12: y = x.log()' or 'unknown location'."""
    if site is None:
        return "unknown location"
    filename, lineno, line = site
    return f"{os.path.basename(filename)}:{lineno}: {line}"


def _bad_values(array):
    """'NaN', 'inf' or '-inf' when the floating array holds one, else None."""
    if array.dtype.kind not in "fc" or np.isfinite(array).all():
        return None
    if np.isnan(array).any():
        return "NaN"
    return "-inf" if np.isneginf(array).any() else "inf"


def on_forward(node, inputs, data):
    """Record where the node was created; in anomaly mode, check its output."""
    node.site = user_site()
    if not STATE.anomaly:
        return
    bad = _bad_values(data)
    if bad and _made_here(bad, inputs) and not _inside_backward():
        raise FloatingPointError(
            f"{node.name} produced {bad} in forward "
            f"(created at {describe_site(node.site)})"
        )


def _made_here(bad, inputs):
    """Whether an op whose output holds ``bad`` made it: a NaN when no input holds one (an inf
    input does not excuse a NaN: softmax of a row masked to -inf), an inf when every input is
    finite."""
    if bad == "NaN":
        return not any(t.data.dtype.kind in "fc" and np.isnan(t.data).any() for t in inputs)
    return not any(_bad_values(t.data) for t in inputs)


def _inside_backward():
    """True when called from a node's backward: its ops are judged by the gradients that the
    backward returns (`on_backward` blames that node), not one by one."""
    from . import engine

    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is engine._propagate.__code__:
            return True
        frame = frame.f_back
    return False


def on_backward(node, grads):
    """In anomaly mode, check the gradients that a node's backward returned."""
    for index, grad in enumerate(grads):
        if grad is None:
            continue
        bad = _bad_values(np.asarray(grad.data if isinstance(grad, _tensor.Tensor) else grad))
        if bad:
            raise FloatingPointError(
                f"{node.name} produced {bad} in backward, in the gradient of input {index} "
                f"(created at {describe_site(node.site)})"
            )
