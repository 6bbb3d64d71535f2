"""Check analytic gradients against central finite differences, in float64.

`gradcheck` compares the gradient of ``sum(f(*inputs) * v)`` (v a fixed random cotangent, so
every output element counts; v = 1 for a one-element output, so the values reported are the
derivatives themselves; for a tuple of outputs, the sum over them) with central differences of
the same function, element by element. `gradgradcheck` does the same for the gradient itself,
which checks second derivatives. Both return True or raise `GradcheckError` naming the input,
the worst element and both values.

Around that comparison, checks that finite differences alone would miss or misreport: ``f``
must give the same output twice for the same inputs (a random op drawing anew would make the
differences meaningless); the gradient must double when ``v`` doubles (a backward that forgot
``grad *`` passes the comparison when v = 1); no backward may write into the gradient it
received; and where an input was float32 or float16, the gradient computed at that dtype must
agree with the float64 one wherever the forward stays finite (`LowPrecisionGradientError`).

Kinks: where an element disagrees, the check looks closer before calling the gradient wrong.
It takes one-sided differences at two step sizes: if the left and right slopes differ and the
gap does not shrink with the step, the sample sits on (or within ``eps`` of) a point where ``f``
is not differentiable (relu or abs at 0, a tie in max), and `NonDifferentiablePointError` says
so instead. With ``kinks="accept"`` such an element passes when the analytic value lies between
the two one-sided slopes (it is a valid subgradient). If central differences at the smaller step
agree with the analytic value, the first step was simply too coarse and the element passes.
"""
import numpy as np

from .engine import run_backward
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor

KINK_POLICIES = ("raise", "accept")


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with finite differences.

    Attributes (None when not applicable): ``input_index`` (position in ``inputs``),
    ``element`` (index tuple of the worst element), ``analytic`` and ``numeric`` (its values).
    """

    def __init__(self, message, input_index=None, element=None, analytic=None, numeric=None):
        super().__init__(message)
        self.input_index = input_index
        self.element = element
        self.analytic = analytic
        self.numeric = numeric


class LowPrecisionGradientError(GradcheckError):
    """The gradient is right in float64 but not at the input's own (lower) precision: its
    computation overflows or loses the digits there, though the forward does not."""


class NondeterministicFunctionError(GradcheckError):
    """The checked function gave different outputs for the same inputs (a random op that draws
    anew on each call), so finite differences cannot judge its gradient."""


class NonDifferentiablePointError(GradcheckError):
    """The sample sits on a point where the function has no derivative (a kink).

    ``left`` and ``right`` are the one-sided slopes there; this is not a wrong gradient.
    """

    def __init__(self, message, left=None, right=None, **fields):
        super().__init__(message, **fields)
        self.left = left
        self.right = right


def _float64_inputs(inputs, dtype=np.float64):
    """Fresh float64 leaves that require grad, one per floating Tensor or array input (of their
    own dtypes with ``dtype=None``).

    Integer and boolean arrays (class targets, masks, indices) are passed through unchanged.
    """
    if isinstance(inputs, (Tensor, np.ndarray)):
        inputs = (inputs,)
    converted = []
    for x in inputs:
        if isinstance(x, (Tensor, np.ndarray)) and np.asarray(x).dtype.kind == "f":
            # C order: the finite differences write through ``data.reshape(-1)``, which is a
            # copy (so the writes are lost) for a transposed or Fortran-ordered array
            x = Tensor(np.array(np.asarray(x), dtype=dtype, order="C"), requires_grad=True)
        converted.append(x)
    return converted


def _outputs(out):
    """``f``'s result as a tuple of Tensors: PyTorch's gradcheck takes a Tensor or a tuple."""
    if isinstance(out, Tensor):
        return (out,)
    if isinstance(out, (tuple, list)) and out and all(isinstance(o, Tensor) for o in out):
        return tuple(out)
    raise TypeError(f"gradcheck: the function returned {type(out).__name__}, not a Tensor or a "
                    f"tuple of Tensors")


def _cotangent(out, seed=0):
    """The weights v of the outputs, a tuple with one Tensor per output (None for an integer
    output): 1 for a single one-element output, else fixed random numbers."""
    outs = _outputs(out)
    if len(outs) == 1 and outs[0].size == 1:
        return (Tensor(np.ones(outs[0].shape), dtype=outs[0].dtype),)
    rng = np.random.default_rng(seed)
    return tuple(Tensor(rng.standard_normal(o.shape), dtype=o.dtype) if o.dtype.kind == "f"
                 else None for o in outs)


def _weighted(what, v):
    """``what`` (e.g. "gradient"), saying what was differentiated when v is not 1."""
    if len(v) == 1 and v[0].size == 1:
        return what
    count = sum(w.size for w in v if w is not None)
    total = "sum(output * v)" if len(v) == 1 else "the sum over the outputs of sum(output * v)"
    return f"{what} of {total} (v: fixed random weights on the {count} output elements)"


def _projected(f, inputs, v):
    """sum(f(*inputs) * v) as a float (summed over the outputs), without recording a graph."""
    with no_grad():
        outs = _outputs(f(*inputs))
    return float(sum(np.sum(np.asarray(o.data, dtype=np.float64) * w.data)
                     for o, w in zip(outs, v) if w is not None))


def numeric_gradient(f, inputs, index, v, eps):
    """Central differences of sum(f * v) with respect to input ``index``."""
    x = inputs[index].data
    numeric = np.zeros(x.shape)
    flat = x.reshape(-1)
    for j in range(flat.size):
        original = flat[j]
        flat[j] = original + eps
        plus = _projected(f, inputs, v)
        flat[j] = original - eps
        minus = _projected(f, inputs, v)
        flat[j] = original
        numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
    return numeric


def one_sided_slopes(f, inputs, index, flat_index, v, step):
    """(left, right) difference quotients of sum(f * v) at one element of input ``index``."""
    flat = inputs[index].data.reshape(-1)
    original = flat[flat_index]
    center = _projected(f, inputs, v)
    flat[flat_index] = original - step
    minus = _projected(f, inputs, v)
    flat[flat_index] = original + step
    plus = _projected(f, inputs, v)
    flat[flat_index] = original
    return (center - minus) / step, (plus - center) / step


def _close(a, b, atol, rtol):
    return abs(a - b) <= atol + rtol * abs(b)


def _classify(f, inputs, index, flat_index, v, analytic, eps, atol, rtol):
    """'ok', ('kink', left, right) or 'wrong' for one element that failed at step ``eps``."""
    left, right = one_sided_slopes(f, inputs, index, flat_index, v, eps)
    fine_left, fine_right = one_sided_slopes(f, inputs, index, flat_index, v, eps / 4)
    if np.isfinite(analytic) and _close(analytic, (fine_left + fine_right) / 2, atol, rtol):
        return "ok"
    gap, fine_gap = abs(right - left), abs(fine_right - fine_left)
    if gap > atol + rtol * max(abs(left), abs(right)) and fine_gap > 0.5 * gap:
        return ("kink", fine_left, fine_right)
    if _grows(left, fine_left, atol) and _grows(right, fine_right, atol):
        # the checked function jumps here (at second order: a gradient that jumps, at a tie in
        # max or abs at 0), and the point sits in the middle of the jump, so the two quotients
        # across it agree: both grow as 1 / step. The derivative is judged by the slopes just
        # beside the jump, on either side (another op's derivative there must still be right).
        return ("jump",) + _slopes_beside(f, inputs, index, flat_index, v, eps)
    return "wrong"


def _slopes_beside(f, inputs, index, flat_index, v, step):
    """The difference quotients of sum(f * v) over [x - 2 step, x - step] and
    [x + step, x + 2 step]: the slopes on each side of a jump at x, not across it."""
    flat = inputs[index].data.reshape(-1)
    original = flat[flat_index]
    values = []
    for offset in (-2, -1, 1, 2):
        flat[flat_index] = original + offset * step
        values.append(_projected(f, inputs, v))
    flat[flat_index] = original
    return (values[1] - values[0]) / step, (values[3] - values[2]) / step


def _grows(slope, finer_slope, atol):
    """Whether a difference quotient grew about fourfold when the step shrank fourfold: the
    sign of a jump, whose quotients go as 1 / step, not of a slope."""
    return abs(slope) > atol and abs(finer_slope) > 2 * abs(slope)


def _failing(analytic, numeric, atol, rtol):
    """Flat indices of the elements that disagree, worst first."""
    excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    excess = np.where(np.isfinite(excess), excess, np.inf).reshape(-1)
    bad = np.flatnonzero(excess > 0)
    return [int(j) for j in bad[np.argsort(-excess[bad], kind="stable")]]


def _element(shape, flat_index):
    return tuple(int(i) for i in np.unravel_index(flat_index, shape))


def _mismatch(analytic, numeric, index, flat_index, atol, rtol, what):
    element = _element(analytic.shape, flat_index)
    a, n = float(analytic[element]), float(numeric[element])
    return GradcheckError(
        f"{what} of input {index} at element {element}: analytic {a!r} != numeric {n!r} "
        f"(atol={atol}, rtol={rtol})",
        input_index=index, element=element, analytic=a, numeric=n,
    )


def check_input(f, inputs, index, analytic, v, eps, atol, rtol, kinks="raise", what="gradient"):
    """Compare one input's analytic gradient with finite differences, kink-aware (see module)."""
    if kinks not in KINK_POLICIES:
        raise ValueError(f"kinks must be one of {KINK_POLICIES}, got {kinks!r}")
    numeric = numeric_gradient(f, inputs, index, v, eps)
    found_kink = None
    for j in _failing(analytic, numeric, atol, rtol):
        a = float(analytic.reshape(-1)[j])
        verdict = _classify(f, inputs, index, j, v, a, eps, atol, rtol)
        if verdict == "wrong":
            raise _mismatch(analytic, numeric, index, j, atol, rtol, what)
        if verdict != "ok" and found_kink is None:
            found_kink = (j, a) + verdict[1:] + (verdict[0] == "jump",)
    if found_kink is not None:
        _judge_kink(found_kink, analytic.shape, index, kinks, atol, rtol, what)


def _judge_kink(kink, shape, index, kinks, atol, rtol, what):
    """Raise for a kink unless ``kinks == "accept"`` and the value is a subgradient."""
    j, a, left, right, jump = kink
    element = _element(shape, j)
    lo, hi = min(left, right), max(left, right)
    tolerance = atol + rtol * max(abs(lo), abs(hi))
    fields = dict(input_index=index, element=element, analytic=a, numeric=(left + right) / 2)
    slopes = (f"the {what} jumps there (its difference quotients grow as the step shrinks); "
              f"beside the jump its slopes are {left!r} (left) and {right!r} (right)" if jump
              else f"the one-sided slopes of the {what} are {left!r} (left) and {right!r} "
                   f"(right)")
    where = (f"input {index} at element {element} sits on (or within eps of) a point where the "
             f"function is not differentiable: {slopes}")
    if kinks == "raise":
        raise NonDifferentiablePointError(
            f"{where}; analytic {a!r}. This is not a wrong gradient: draw samples away from "
            f"kinks (relu/abs at 0, ties in max), or pass kinks='accept'",
            left=left, right=right, **fields,
        )
    if not lo - tolerance <= a <= hi + tolerance:
        raise GradcheckError(f"{where}, and analytic {a!r} is not between them", **fields)


def _analytic(grad):
    return np.asarray(getattr(grad, "data", grad), dtype=np.float64)


def analytic_gradients(f, inputs, v, create_graph=False):
    """Gradients of sum(f * v) with respect to every float input (zeros where unused).

    The backward gets copies of v: one that writes into the gradient it receives raises
    `GradcheckError` saying so (the finite differences would otherwise use the changed v)."""
    tensors = [x for x in inputs if _is_variable(x)]
    outs = _outputs(f(*inputs))
    roots = [(o, w) for o, w in zip(outs, v) if w is not None and o.requires_grad]
    if not roots:
        return [np.zeros(t.shape) for t in tensors], outs
    seeds = tuple(Tensor(w.data.copy()) for _, w in roots)
    grads = run_backward(tuple(o for o, _ in roots), seeds, create_graph=create_graph,
                         inputs=tensors)
    if any(not np.array_equal(seed.data, w.data, equal_nan=True)
           for seed, (_, w) in zip(seeds, roots)):
        raise GradcheckError("a backward wrote into the gradient it received (grad.data was "
                             "changed in place): compute a new array or Tensor and return it")
    return [np.zeros(t.shape) if g is None else g for g, t in zip(grads, tensors)], outs


def _is_variable(x):
    return isinstance(x, Tensor) and x.requires_grad


def gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, kinks="raise", raise_exception=True):
    """True when every analytic gradient of ``f`` matches central differences (float64).

    ``inputs`` is a Tensor, an array, or a sequence of them; floating ones are differentiated,
    other items (integer targets, masks, numbers) are passed through. ``f`` returns a Tensor or
    a tuple of Tensors. At a kink the check raises `NonDifferentiablePointError`
    (``kinks="raise"``) or accepts any value between the one-sided slopes
    (``kinks="accept"``). With ``raise_exception=False`` a failure returns False, as PyTorch's.

    >>> gradcheck(lambda x: (x * x).sum(), Tensor([1.0, 2.0]))
    True
    """
    return _checked(f, inputs, eps, atol, rtol, kinks, "gradient", raise_exception)


def _checked(f, inputs, eps, atol, rtol, kinks, what, raise_exception):
    try:
        return _check_all(f, inputs, eps, atol, rtol, kinks, what)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _check_all(f, inputs, eps, atol, rtol, kinks, what):
    original = (inputs,) if isinstance(inputs, (Tensor, np.ndarray)) else tuple(inputs)
    inputs = _float64_inputs(original)
    _require_variables(inputs)
    with no_grad():
        v = _cotangent(f(*inputs))
    _check_deterministic(f, inputs, v)
    grads, _ = analytic_gradients(f, inputs, v)
    positions = [i for i, x in enumerate(inputs) if _is_variable(x)]
    _check_linear_in_grad(f, inputs, v, grads, positions)
    weighted = _weighted(what, v)
    for position, grad in zip(positions, grads):
        check_input(f, inputs, position, _analytic(grad), v, eps, atol, rtol, kinks, weighted)
    _check_own_precision(f, original, v, grads, positions)
    return True


def _check_deterministic(f, inputs, v):
    """Raise when ``f`` gives two different outputs for the same inputs."""
    first, second = _projected(f, inputs, v), _projected(f, inputs, v)
    if first != second and not (np.isnan(first) and np.isnan(second)):
        raise NondeterministicFunctionError(
            f"the function gives different outputs for identical inputs (sum(output * v) was "
            f"{first!r}, then {second!r}), so finite differences mean nothing: a random op such "
            f"as dropout draws anew on each call; give it a fixed generator (F.dropout(x, p, "
            f"rng=0)) or check the function without it")


def _check_linear_in_grad(f, inputs, v, grads, positions):
    """Raise unless the gradients double when v doubles (exact in floating point): a backward
    that ignores, or squares, the gradient it receives would pass at v = 1."""
    doubled, _ = analytic_gradients(f, inputs, tuple(None if w is None else Tensor(w.data * 2)
                                                     for w in v))
    for position, grad, twice in zip(positions, grads, doubled):
        expected, actual = 2 * _analytic(grad), _analytic(twice)
        scale = max(1.0, float(np.max(np.abs(expected), initial=0.0, where=np.isfinite(expected))))
        bad = ~np.isclose(actual, expected, rtol=1e-7, atol=1e-12 * scale, equal_nan=True)
        if bad.any():
            element = _element(expected.shape, int(np.flatnonzero(bad)[0]))
            once, twice = float(expected[element]) / 2, float(actual[element])
            raise GradcheckError(
                f"the gradient of input {position} is not proportional to the gradient the "
                f"output receives: with that doubled, element {element} went from {once!r} to "
                f"{twice!r}, not {2 * once!r}. A backward must multiply by its incoming "
                f"gradient (a forgotten 'grad *'?)",
                input_index=position, element=element, analytic=twice)


def _check_own_precision(f, original, v, grads, positions):
    """Where an input was float32 or float16, compare the gradient computed at the inputs' own
    dtypes with the float64 one (already checked), wherever the forward stays finite there."""
    if not any(_low_precision(original[i]) for i in positions):
        return
    leaves = _float64_inputs(original, dtype=None)
    with no_grad(), np.errstate(all="ignore"):  # what goes wrong is reported below
        outs = _outputs(f(*leaves))
    if not all(np.isfinite(o.data).all() for o in outs if o.dtype.kind == "f"):
        return  # the forward overflows itself: that shows without a gradient check
    seeds = tuple(None if w is None else Tensor(w.data.astype(o.dtype)) for o, w in zip(outs, v))
    with np.errstate(all="ignore"):
        own, _ = analytic_gradients(f, leaves, seeds)
    for position, precise, low in zip(positions, grads, own):
        if _low_precision(original[position]):
            _compare_precision(position, _analytic(precise), _analytic(low),
                               np.asarray(original[position]).dtype, _weighted("gradient", v))


def _low_precision(x):
    return isinstance(x, (Tensor, np.ndarray)) and np.asarray(x).dtype.kind == "f" and \
        np.asarray(x).dtype.itemsize < 8


def _compare_precision(position, precise, low, dtype, what):
    """Raise `LowPrecisionGradientError` at the worst element where ``low`` (the gradient at
    ``dtype``) is inf or NaN where ``precise`` is finite and representable in ``dtype``, or is
    off by more than 5% (10% in float16) beyond the rounding ``dtype`` allows: a hundred of its
    epsilons of the gradient's scale (tanh's slope at 9 is 6e-8, 0 in float32, as PyTorch's)."""
    info = np.finfo(dtype)
    finite = np.isfinite(precise)
    scale = max(1.0, float(np.max(np.abs(precise), initial=0.0, where=finite)))
    relative = 0.05 if dtype.itemsize >= 4 else 0.1
    tolerance = relative * np.abs(precise) + 100 * float(info.eps) * scale
    lost = finite & ~np.isfinite(low) & (np.abs(precise) <= float(info.max))
    with np.errstate(invalid="ignore"):
        error = np.where(finite & np.isfinite(low), np.abs(low - precise) - tolerance, -1.0)
    error = np.where(lost, np.inf, error)
    if (error > 0).any():
        j = int(np.argmax(error))
        element = _element(precise.shape, j)
        raise LowPrecisionGradientError(
            f"{what} of input {position} at element {element} at the input's own dtype "
            f"{dtype}: {float(low[element])!r}, where float64 gives {float(precise[element])!r}. "
            f"The float64 check passes, so the formula is right, but computed in {dtype} it "
            f"overflows or loses its digits (an intermediate such as exp(x)?) where the "
            f"forward does not: compute the derivative in a stable form",
            input_index=position, element=element, analytic=float(low[element]),
            numeric=float(precise[element]))


def _require_variables(inputs):
    """Raise when no input is a floating Tensor or array: a check would check nothing."""
    if not any(_is_variable(x) for x in inputs):
        kinds = ", ".join(type(x).__name__ if not isinstance(x, (Tensor, np.ndarray))
                          else f"{type(x).__name__} of {np.asarray(x).dtype}" for x in inputs)
        raise ValueError(
            f"gradcheck: nothing to check: no input is a floating-point Tensor or array (got "
            f"{kinds or 'no inputs'}); numbers, lists and integer arrays are passed through "
            f"undifferentiated, so wrap the values to differentiate in a Tensor or ndarray")


def gradient_function(f, inputs, seed=1):
    """A scalar function of the inputs: the gradient of ``f`` projected on fixed random
    directions, differentiable (recorded with ``create_graph``) so that checking it checks the
    second derivatives of ``f``."""
    inputs = _float64_inputs(inputs)
    _require_variables(inputs)
    with no_grad():
        v = _cotangent(f(*inputs))
    tensors = [x for x in inputs if _is_variable(x)]
    u = [Tensor(np.random.default_rng(seed + i).standard_normal(t.shape)) for i, t in enumerate(tensors)]

    def projected_gradient(*xs):
        with enable_grad():  # also while finite differences evaluate it under no_grad
            grads, _ = analytic_gradients(f, list(xs), v, create_graph=True)
        total = Tensor(0.0, dtype=np.float64)
        for g, w in zip(grads, u):
            if isinstance(g, Tensor):
                total = total + (g * w).sum()
        return total

    return projected_gradient, inputs


def gradgradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, kinks="raise",
                  raise_exception=True):
    """True when the second derivatives of ``f`` match finite differences of its gradient
    (in float64; options as `gradcheck`'s)."""
    projected_gradient, inputs = gradient_function(f, inputs)
    return _checked(projected_gradient, inputs, eps, atol, rtol, kinks, "second derivative",
                    raise_exception)
