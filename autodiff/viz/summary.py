"""Short text for arrays and the facts the colors are based on (NaN/inf, zero, magnitude)."""
from dataclasses import dataclass

import numpy as np

SMALL = 4  # arrays with at most this many elements are shown in full


def number(x):
    """A float in 4 significant digits ('0.5', '-1.234e-05', 'nan')."""
    return f"{float(x):.4g}"


def describe(array):
    """The values when few, else 'min .. mean .. max', plus a count of NaN/inf if any."""
    array = np.asarray(array)
    if array.size == 0:
        return "empty"
    if array.dtype.kind == "b":
        return f"{int(array.sum())} of {array.size} true"
    if array.size == 1:
        return number(array.reshape(()))
    if array.size <= SMALL:
        return "[" + ", ".join(number(x) for x in array.ravel()) + "]"
    finite = np.isfinite(array)
    bad = array.size - int(finite.sum())
    kept = array[finite] if bad else array
    if kept.size == 0:
        text = "no finite values"
    else:
        text = f"min {number(kept.min())}  mean {number(kept.mean())}  max {number(kept.max())}"
    return f"{text}  ({_bad_counts(array)})" if bad else text


def _bad_counts(array):
    nan = int(np.isnan(array).sum())
    inf = array.size - nan - int(np.isfinite(array).sum())
    return ", ".join(part for part in (f"{nan} NaN" * bool(nan), f"{inf} inf" * bool(inf)) if part)


def shape_text(shape, dtype=None):
    """'(32, 8) float32' ('scalar' for shape ())."""
    text = str(tuple(shape)) if len(shape) else "scalar"
    return f"{text} {np.dtype(dtype).name}" if dtype is not None else text


def has_bad(array):
    """True when a floating array holds a NaN or an inf."""
    array = np.asarray(array)
    return array.dtype.kind in "fc" and not np.isfinite(array).all()


@dataclass(frozen=True)
class Flow:
    """What the picture needs to know about a gradient: its size and whether it is broken."""

    magnitude: float  # mean |g| over the finite entries
    bad: bool  # holds NaN or inf
    zero: bool  # every entry is exactly 0

    @classmethod
    def of(cls, grad):
        """The Flow of a gradient array (or number)."""
        grad = np.asarray(grad)
        bad = has_bad(grad)
        finite = grad[np.isfinite(grad)] if bad else grad
        magnitude = float(np.abs(finite).mean()) if finite.size else 0.0
        return cls(magnitude, bad, not bad and not np.any(grad))

    def __add__(self, other):
        """The Flow of two edges drawn as one (their largest magnitude)."""
        if other is None:
            return self
        return Flow(max(self.magnitude, other.magnitude), self.bad or other.bad,
                    self.zero and other.zero)

    __radd__ = __add__


def zero_rows(grad):
    """How many slices along axis 0 of a gradient (rows of a weight, entries of a bias) are
    entirely zero, of how many: units that get no gradient."""
    grad = np.asarray(grad)
    if grad.ndim < 1 or grad.shape[0] < 2:
        return 0, 0
    dead = ~np.any(grad.reshape(grad.shape[0], -1), axis=1)
    return int(dead.sum()), grad.shape[0]
