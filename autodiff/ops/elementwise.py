"""Elementwise ops: arithmetic, exp/log, activations.

Binary ops broadcast as NumPy does; their backward returns gradients of the output's shape and the
engine sums them back to each input's shape. Masks (relu, abs, max ties) are saved as arrays:
they are constants, so the backward stays differentiable.
"""
import math

import numpy as np

from .. import tensor as _tensor  # circular by design: tensor.py imports this module
from ..function import Function
from ..grad_mode import STATE
from .erf import erf as erf_array
from .erf import erfc as erfc_array
from .erf import gaussian
from .registry import register


def scaled_in_place(grad, array, private):
    """``grad * array`` on ndarrays (a first-order backward), into ``grad`` itself when the
    engine says that no one else refers to it and ``array`` has its shape: one pass over
    memory that is already in cache instead of a new array."""
    if private and array.shape == grad.shape:
        np.multiply(grad, array, out=grad)
        return grad
    return grad * array


def times_constant(grad, array):
    """``grad * array`` for a constant array (a mask, a saved scale) inside a backward.

    While backward is not being recorded this is one NumPy multiply, returned as an array (the
    engine wraps it); under ``create_graph`` it is a recorded `Mul`, so the result stays
    differentiable with respect to ``grad``.
    """
    if STATE.grad_enabled:
        return Mul.apply(grad, Function.constant(array))
    return grad.data * array


def masked(grad, mask):
    """``grad`` where the boolean ``mask`` holds, else 0, also where ``grad`` is inf or NaN
    (``grad * mask`` would give NaN there; PyTorch's masked gradients give 0). A float
    ``mask`` scales: ``grad * mask``, and 0 where ``mask`` is 0. An array while backward is not
    being recorded; under ``create_graph`` a recorded `Where` (of a `Mul` for a float mask)."""
    if STATE.grad_enabled:
        zero = Function.constant(np.zeros((), dtype=grad.dtype))
        if mask.dtype == bool:
            return Where.apply(grad, zero, condition=mask)
        return Where.apply(Mul.apply(grad, Function.constant(mask)), zero, condition=mask != 0)
    return masked_in_place(grad.data, mask, private=False)


def masked_in_place(grad, mask, private):
    """`masked` on ndarrays (a first-order backward), into ``grad`` itself when the engine
    says no one else refers to it. One multiply, as `scaled_in_place`; a non-finite ``grad``
    (rare) takes a second, careful pass."""
    if all_finite(grad):
        return scaled_in_place(grad, mask, private)
    with np.errstate(invalid="ignore"):  # inf * 0: mended below
        out = np.asarray(scaled_in_place(grad, mask, private))  # (0-d: a NumPy scalar)
    out[np.broadcast_to(mask == 0, out.shape)] = 0
    return out


_SAME_SIZE_INT = {np.dtype(f"f{n}"): np.dtype(f"i{n}") for n in (2, 4, 8)}


def select_in_place(grad, mask, private):
    """``grad`` where the boolean ``mask`` holds, else +0: PyTorch's select, on arrays, with
    no ``inf * 0``. The float's bits are ANDed with all ones or all zeros, which costs what
    ``grad * mask`` costs. ``mask`` (a fresh array of the caller's) is overwritten; the result
    goes into ``grad`` itself when ``private``."""
    bits = _SAME_SIZE_INT.get(grad.dtype)
    if (bits is None or type(grad) is not np.ndarray or type(mask) is not np.ndarray
            or mask.dtype != bool):
        return masked_in_place(grad, mask, private)  # (0-d results are NumPy scalars)
    ones = mask.view(np.int8)
    np.negative(ones, out=ones)  # True (1) -> -1: all bits set once widened to ``bits``
    if mask.shape != grad.shape:
        out = np.empty(np.broadcast_shapes(grad.shape, mask.shape), dtype=grad.dtype)
    else:  # in grad's memory layout (an NHWC conv gradient stays NHWC for the next op)
        out = grad if private else np.empty_like(grad)
    np.bitwise_and(grad.view(bits), ones, out=out.view(bits))
    return out


def all_finite(array):
    """Whether every element of the float ``array`` is finite. One BLAS dot: an inf or a NaN
    makes the sum of squares inf or NaN. So may overflow of large finite values, which only
    sends the caller down its careful path. (Faster than ``np.isfinite(a).all()`` from about
    50,000 elements on, as max pooling's gradients are.)"""
    flat = array.ravel(order="K")  # no copy for any dense layout (reshape(-1) copies NHWC)
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.dot(flat, flat)))


class Add(Function):
    """a + b; both inputs receive the gradient unchanged."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    """a - b."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad


class Mul(Function):
    """a * b; each input receives the gradient times the other."""

    reads_output = False

    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        a, b = self.inputs
        return (grad * b if self.needs_input_grad[0] else None,
                grad * a if self.needs_input_grad[1] else None)

    def reads_input(self, position):
        return self.needs_input_grad[1 - position]  # each factor serves the other's gradient


class Div(Function):
    """a / b."""

    def forward(self, a, b):
        return a / b

    def backward(self, grad):
        a, b = self.inputs
        grad_a = grad / b
        grad_b = -grad_a * a / b if self.needs_input_grad[1] else None
        return grad_a, grad_b


class FloorDivide(Function):
    """a // b (NumPy's floor_divide); zero gradient, as PyTorch's floor_divide."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, a, b):
        return np.floor_divide(a, b)

    def backward(self, grad):
        (zeros,) = _zero_gradient(grad)
        return zeros, zeros


class Remainder(Function):
    """a % b (NumPy's remainder, with the sign of b): a - b * floor(a / b); the gradients are
    PyTorch's remainder's, grad for a and -grad * (a // b) for b."""

    def forward(self, a, b):
        return np.remainder(a, b)

    def backward(self, grad):
        a, b = self.inputs
        quotient = np.floor_divide(a.data, b.data) if self.needs_input_grad[1] else None
        return grad, (None if quotient is None else times_constant(grad, -quotient))


class Identity(Function):
    """The input unchanged, as a new node (transforms use it to mark where a gradient stops)."""

    def forward(self, x):
        return x

    def backward(self, grad):
        return (grad,)


class TransformInput(Identity):
    """The identity node a transform puts in front of an argument it differentiates that is
    part of an outer graph: the gradient stops there. It may not be changed in place (the
    gradient would then be taken with respect to the changed value)."""

    name = "Identity"
    stands_for_argument = True


class Clone(Function):
    """A copy of the input in new memory (``torch.clone``); the gradient passes unchanged.

    Param ``order``: the copy's memory layout, NumPy's "K" (the input's, as torch.clone's
    preserve_format) unless given ("C" for `Tensor.contiguous`)."""

    reads_values = False  # backward uses the input shapes only
    order = "K"

    def forward(self, x):
        return x.copy(order=self.order)

    def backward(self, grad):
        return (grad,)


class Neg(Function):
    """-x."""

    reads_values = False  # backward uses the input shapes only

    def forward(self, x):
        return -x

    def backward(self, grad):
        return (-grad,)


class PowScalar(Function):
    """x ** p for a constant Python number p."""

    def forward(self, x):
        return x ** self.exponent

    def backward(self, grad):
        (x,) = self.inputs
        p = self.exponent
        if p == 0:
            return (grad * 0,)
        return (grad * (x ** (p - 1)) * p,)


class Pow(Function):
    """a ** b for two tensors. b's gradient, ``a ** b * log(a)``, needs a > 0, except that it
    is 0 where a == 0 and b >= 0, as in PyTorch."""

    def forward(self, a, b):
        return a ** b

    def backward(self, grad):
        a, b = self.inputs
        grad_a = grad_b = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # places masked below
            if self.needs_input_grad[0]:
                # PyTorch's pow_backward_self: 0 where the exponent is 0 (not 0 * 0 ** -1), but
                # not masked where a ** (b - 1) is finite: there b * a ** (b - 1) is a finite 0
                # whose derivative in b (a ** (b - 1)) the mixed second derivative needs
                finite = np.isfinite(a.data ** (b.data - 1))
                grad_a = masked(grad * b * a ** (b - 1), (b.data != 0) | finite)
            if self.needs_input_grad[1]:
                # PyTorch's pow_backward_exponent: 0 where a == 0 and b >= 0 (a ** b is
                # constant 0 or 1 there, not 0 * log(0))
                grad_b = masked(grad * self.result() * a.log(), (a.data != 0) | (b.data < 0))
        return grad_a, grad_b


class Exp(Function):
    """e ** x; the gradient reuses the output."""

    def forward(self, x):
        return np.exp(x)

    def backward(self, grad):
        return (grad * self.result(),)


class Log(Function):
    """Natural logarithm."""

    def forward(self, x):
        return np.log(x)

    def backward(self, grad):
        return (grad / self.inputs[0],)


class LogBase(Function):
    """Logarithm to the base ``base`` (2 or 10) by NumPy's own ``log2``/``log10``, exact at
    the base's powers (log(x) / log(10) gives 2.9999999999999996 at 1000); the gradient is
    grad / ln(base) / x, in that order: x * ln(base) overflowed float16 from 28,464 (a
    gradient of 0), and grad / x first from 1 / 65504 down (inf where the answer fits)."""

    def forward(self, x):
        return (np.log10 if self.base == 10 else np.log2)(x)

    def backward(self, grad):
        return (grad * (1 / math.log(self.base)) / self.inputs[0],)


class Sqrt(Function):
    """Square root; the gradient reuses the output."""

    def forward(self, x):
        return np.sqrt(x)

    def backward(self, grad):
        with np.errstate(divide="ignore"):  # inf at 0, as PyTorch's (which does not warn)
            return (grad / (self.result() * 2),)


class Abs(Function):
    """|x|, with gradient sign(x) (0 at 0)."""

    reads_values = False  # backward uses what forward saved (a mask, a scale) or nothing

    def forward(self, x):
        self.sign = np.sign(x)
        return np.abs(x)

    def backward(self, grad):
        return (times_constant(grad, self.sign),)


class Log1p(Function):
    """log(1 + x), accurate for small x (NumPy's log1p)."""

    def forward(self, x):
        return np.log1p(x)

    def backward(self, grad):
        return (grad / (self.inputs[0] + 1),)


class Expm1(Function):
    """e ** x - 1, accurate for small x (NumPy's expm1); the gradient reuses the output."""

    def forward(self, x):
        return np.expm1(x)

    def backward(self, grad):
        return (grad * (self.result() + 1),)


class Sin(Function):
    """Sine."""

    def forward(self, x):
        return np.sin(x)

    def backward(self, grad):
        return (grad * self.inputs[0].cos(),)


class Cos(Function):
    """Cosine."""

    def forward(self, x):
        return np.cos(x)

    def backward(self, grad):
        return (-grad * self.inputs[0].sin(),)


class Tanh(Function):
    """Hyperbolic tangent; the gradient is 1 - tanh(x) ** 2, from the output."""

    def forward(self, x):
        return np.tanh(x)

    def backward(self, grad):
        y = self.result()
        return (grad * (1 - y * y),)


def float_dtype(dtype):
    """The dtype of a float-valued op's result: ``dtype`` itself when floating, else NumPy's
    ufunc choice for integer and boolean input (int64 -> float64, int8 -> float16, ...)."""
    return dtype if dtype.kind == "f" else np.result_type(dtype, np.float16)


def _stable_sigmoid(x):
    """1 / (1 + exp(-x)) of the float array ``x``, without overflow errors and as accurate as
    exp(-|x|) with a select (which NumPy's where made 4x slower on data of random sign).

    Far below 0, exp(-x) overflows to inf and 1 / inf gives 0: there sigmoid(x) is exp(x) to
    within its rounding (a float32 subnormal from -88.7 on), taken for those elements only.
    Float16 goes through float32 (its exp overflows from 11 on)."""
    if x.dtype == np.float16:
        return _stable_sigmoid(x.astype(np.float32)).astype(np.float16)
    with np.errstate(over="ignore"):
        y = np.asarray(np.reciprocal(1.0 + np.exp(-x)))
    if not y.all():
        underflowed = y == 0
        y[underflowed] = np.exp(x[underflowed] if x.ndim else x)
    return y


class Sigmoid(Function):
    """Logistic sigmoid, computed without overflow; the gradient is y * (1 - y)."""

    def forward(self, x):
        # integers as floats first: -|x| of unsigned integers wraps around
        return _stable_sigmoid(x.astype(float_dtype(x.dtype), copy=False))

    def backward(self, grad):
        y = self.result()
        return (grad * y * (1 - y),)


class Relu(Function):
    """max(x, 0); the gradient passes where the output is positive (0 at 0)."""

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, grad):
        # The mask comes from the saved output (out > 0 exactly where x > 0): forward makes one
        # pass over x and keeps nothing beyond the output, which the next op holds anyway.
        # Masked, not multiplied: an inf gradient (from sqrt or log at 0) gives 0, as PyTorch.
        return (masked(grad, self.out > 0),)

    _overwrites_grad = True

    def _backward_arrays(self, grad, private):
        return (select_in_place(grad, self.out > 0, private),)


class ReluInPlace(Relu):
    """`Relu` written into its input's array: only for a temporary that nothing else can see
    (`autodiff.temporaries`). The graph is the same, so the node is named Relu. The input then
    holds the output, so the backward it inherits uses only the saved output, never
    ``result()`` (which would recompute from the input)."""

    name = "Relu"
    overwrites_input = True

    def forward(self, x):
        return np.maximum(x, 0, out=x)


def leaky_relu_scale(x, slope):
    """The derivative of leaky ReLU at ``x``: 1 where x > 0, else ``slope``, in x's dtype.
    Two exact lookups in a table, not NumPy's where, which takes 10x as long on data of random
    sign (its branch is mispredicted half of the time)."""
    dtype = float_dtype(x.dtype)
    if np.ndim(slope):  # a slope per element or channel: broadcast, as before
        return np.where(x > 0, 1, slope).astype(dtype, copy=False)
    return np.asarray(np.take(np.array([slope, 1], dtype=dtype), np.greater(x, 0).view(np.uint8)))


class LeakyRelu(Function):
    """x where x > 0, else ``slope`` * x."""

    reads_values = False  # backward uses what forward saved (a mask, a scale) or nothing

    def forward(self, x):
        return x * self._save_scale(x)

    def _save_scale(self, x):
        """Keep and return the derivative: 1 where x > 0, else ``slope`` (x's dtype)."""
        self.scale = leaky_relu_scale(x, self.slope)
        return self.scale

    def backward(self, grad):
        return (times_constant(grad, self.scale),)

    _overwrites_grad = True

    def _backward_arrays(self, grad, private):
        return (scaled_in_place(grad, self.scale, private),)


class LeakyReluInPlace(LeakyRelu):
    """`LeakyRelu` written into its input's array: only for a temporary that nothing else can
    see (`autodiff.temporaries`). The graph is the same, so the node is named LeakyRelu. Its
    backward uses only the scale it saved, never the overwritten input."""

    name = "LeakyRelu"
    overwrites_input = True

    def forward(self, x):
        return np.multiply(x, self._save_scale(x), out=x)


class Erf(Function):
    """The error function (its derivative is 2 / sqrt(pi) * exp(-x ** 2)), vectorized in
    `autodiff.ops.erf`."""

    def forward(self, x):
        return erf_array(x).astype(float_dtype(x.dtype), copy=False)

    def backward(self, grad):
        (x,) = self.inputs
        with np.errstate(over="ignore"):  # x * x = inf far out: exp(-inf) = 0 is exact there
            return (grad * (-(x * x)).exp() * (2 / math.sqrt(math.pi)),)

    _overwrites_grad = True
    _slope = 2 / math.sqrt(math.pi)

    def _backward_arrays(self, grad, private):
        # first order: exp(-x^2) without the rounding of x^2 magnified (see erf.gaussian)
        slope = gaussian(self.inputs[0].data)
        slope *= self._slope
        return (scaled_in_place(grad, slope, private),)


class Erfc(Function):
    """The complementary error function 1 - erf(x), with the relative precision of its small
    values far right (`autodiff.ops.erf`); its derivative is -2 / sqrt(pi) * exp(-x ** 2)."""

    def forward(self, x):
        return erfc_array(x).astype(float_dtype(x.dtype), copy=False)

    def backward(self, grad):
        (x,) = self.inputs
        with np.errstate(over="ignore"):  # as Erf's
            return (grad * (-(x * x)).exp() * (-2 / math.sqrt(math.pi)),)

    _overwrites_grad = True
    _slope = -2 / math.sqrt(math.pi)
    _backward_arrays = Erf._backward_arrays


_MINUS_SQRT_HALF = -math.sqrt(0.5)
_INV_SQRT_TWO_PI = 1 / math.sqrt(2 * math.pi)


class Gelu(Function):
    """x * Phi(x), with Phi the standard normal CDF (the exact form of GELU); the gradient is
    Phi(x) + x * phi(x), phi the normal density.

    Phi(x) is erfc(-x / sqrt 2) / 2: the form 0.5 (1 + erf(x / sqrt 2)) cancels far left, where
    erf is near -1 (float32 kept 3 digits of GELU at x = -4). Float16 works in float32."""

    reads_output = False  # the gradient reads the input and the CDF that forward kept

    def forward(self, x):
        work = x.astype(np.float32) if x.dtype == np.float16 else x
        self.cdf = erfc_array(work * _MINUS_SQRT_HALF) * 0.5  # float32 or float64
        return (work * self.cdf).astype(float_dtype(x.dtype), copy=False)

    def backward(self, grad):
        (x,) = self.inputs
        cdf = (x * _MINUS_SQRT_HALF).erfc() * 0.5
        with np.errstate(over="ignore"):  # x * x = inf far out: exp(-inf) = 0 is exact there
            density = (x * x * -0.5).exp() * _INV_SQRT_TWO_PI
        return (grad * (cdf + x * density),)

    _overwrites_grad = True

    def _backward_arrays(self, grad, private):
        x = self.inputs[0].data.astype(self.cdf.dtype, copy=False)
        with np.errstate(over="ignore"):
            slope = np.multiply(x, x, out=np.empty_like(x))  # (an array also when 0-d)
            slope *= -0.5
            np.exp(slope, out=slope)
        slope *= _INV_SQRT_TWO_PI
        slope *= x
        slope += self.cdf
        return (scaled_in_place(grad, slope, private),)


class Softplus(Function):
    """log(1 + e ** x) as max(x, 0) + log1p(exp(-|x|)), without overflow (NumPy's logaddexp
    is the same formula one element at a time, 9x slower); the gradient is sigmoid(x)."""

    def forward(self, x):
        x = x.astype(float_dtype(x.dtype), copy=False)
        out = np.exp(-np.abs(x))
        out = np.log1p(out, out=out) if out.ndim else np.log1p(out)  # (0-d: NumPy scalars)
        return out + np.maximum(x, 0)

    def backward(self, grad):
        return (grad * self.inputs[0].sigmoid(),)


class Clip(Function):
    """x limited to [``lo``, ``hi``]; the gradient passes only inside the interval."""

    reads_values = False  # backward uses what forward saved (a mask, a scale) or nothing

    def forward(self, x):
        lo = -np.inf if self.lo is None else self.lo
        hi = np.inf if self.hi is None else self.hi
        self.mask = (x >= lo) & (x <= hi)
        if x.dtype.kind != "f" and (self.lo is not None or self.hi is not None):
            return np.clip(x, self.lo, self.hi)  # NumPy's promotion: float bounds give floats
        return np.clip(x, lo, hi).astype(x.dtype, copy=False)

    def backward(self, grad):
        return (masked(grad, self.mask),)


def _zero_gradient(grad):
    """The gradient of a piecewise-constant op: zeros, as in PyTorch (not None, so that a leaf
    still receives a ``.grad``); a constant, so its own derivative is zero too."""
    return (np.zeros_like(grad.data),)


class Sign(Function):
    """-1, 0 or 1 by the sign of x; zero gradient (also at 0, as PyTorch)."""

    reads_values = False  # backward uses what forward saved (a mask, a scale) or nothing

    def forward(self, x):
        return np.sign(x)

    def backward(self, grad):
        return _zero_gradient(grad)


class Floor(Function):
    """The largest integer <= x; zero gradient."""

    reads_values = False  # backward uses what forward saved (a mask, a scale) or nothing

    def forward(self, x):
        return np.floor(x)

    def backward(self, grad):
        return _zero_gradient(grad)


class Ceil(Function):
    """The smallest integer >= x; zero gradient."""

    reads_values = False  # backward uses what forward saved (a mask, a scale) or nothing

    def forward(self, x):
        return np.ceil(x)

    def backward(self, grad):
        return _zero_gradient(grad)


class Round(Function):
    """x rounded to ``decimals`` places, halves to even (NumPy's and PyTorch's rule); zero
    gradient."""

    reads_values = False  # backward uses what forward saved (a mask, a scale) or nothing

    def forward(self, x):
        return np.round(x, self.decimals)

    def backward(self, grad):
        return _zero_gradient(grad)


class Cast(Function):
    """x converted to ``dtype``; the engine casts the gradient back to the input's dtype."""

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, grad):
        return (grad,)  # the engine casts it back to the input's dtype


class Maximum(Function):
    """Elementwise maximum; where a == b each input gets half of the gradient."""

    reads_values = False  # backward uses what forward saved (a mask, a scale) or nothing
    _pick, _wins = staticmethod(np.maximum), staticmethod(np.greater)

    def forward(self, a, b):
        out = self._pick(a, b)
        # a's share of the gradient, in the result's float dtype (float32 stays float32)
        dtype = out.dtype if out.dtype.kind == "f" else np.dtype(np.float64)
        self.weight = np.where(a == b, dtype.type(0.5), self._wins(a, b)).astype(dtype, copy=False)
        return out

    def backward(self, grad):
        return masked(grad, self.weight), masked(grad, 1 - self.weight)


class Where(Function):
    """``a`` where ``condition`` holds, else ``b``; the condition gets no gradient."""

    reads_values = False  # backward uses what forward saved (a mask, a scale) or nothing

    def forward(self, a, b):
        try:
            return np.where(self.condition, a, b)
        except ValueError:  # name the condition's shape too, not only a's and b's
            raise ValueError(
                f"where: condition, a and b have shapes {self.condition.shape}, {a.shape} and "
                f"{b.shape}, which cannot be broadcast together"
            ) from None

    def backward(self, grad):
        return masked(grad, self.condition), masked(grad, ~self.condition)


def maximum(a, b):
    """Elementwise maximum of two tensors (or numbers); ties share the gradient."""
    a, b = _tensors(a, b)
    return Maximum.apply(a, b)


class Minimum(Maximum):
    """Elementwise minimum; where a == b each input gets half of the gradient. Its own op, not
    -maximum(-a, -b): negation wraps around for unsigned and the most negative signed ints."""

    _pick, _wins = staticmethod(np.minimum), staticmethod(np.less)


def minimum(a, b):
    """Elementwise minimum of two tensors (or numbers); ties share the gradient."""
    a, b = _tensors(a, b)
    return Minimum.apply(a, b)


def where(condition, a, b):
    """Elementwise choice: ``a`` where ``condition`` is true, else ``b`` (NumPy's where).

    The condition is copied: backward reads it, and the caller may change its array after."""
    condition = np.array(getattr(condition, "data", condition), dtype=bool)
    a, b = _tensors(a, b)
    return Where.apply(a, b, condition=condition)


def clone(x):
    """A differentiable copy of ``x`` in new memory (``torch.clone``); see `Tensor.clone`."""
    return _tensor.as_tensor(x).clone()


def exp(x):
    """e ** x, elementwise (``torch.exp``); see `Tensor.exp`."""
    return _tensor.as_tensor(x).exp()


def log(x):
    """Natural logarithm, elementwise (``torch.log``)."""
    return _tensor.as_tensor(x).log()


def sqrt(x):
    """Square root, elementwise (``torch.sqrt``)."""
    return _tensor.as_tensor(x).sqrt()


def tanh(x):
    """Hyperbolic tangent, elementwise (``torch.tanh``)."""
    return _tensor.as_tensor(x).tanh()


def sigmoid(x):
    """1 / (1 + e ** -x), elementwise and stable (``torch.sigmoid``)."""
    return _tensor.as_tensor(x).sigmoid()


def square(x):
    """x * x, elementwise."""
    return _tensor.as_tensor(x).square()


def log1p(x):
    """log(1 + x), accurate for small x."""
    return _tensor.as_tensor(x).log1p()


def expm1(x):
    """e ** x - 1, accurate for small x."""
    return _tensor.as_tensor(x).expm1()


def sign(x):
    """-1, 0 or 1 by the sign of each element (zero gradient)."""
    return _tensor.as_tensor(x).sign()


def floor(x):
    """The largest integer <= each element (zero gradient)."""
    return _tensor.as_tensor(x).floor()


def ceil(x):
    """The smallest integer >= each element (zero gradient)."""
    return _tensor.as_tensor(x).ceil()


def round(x, decimals=0):  # noqa: A001 - torch.round; kept out of autodiff.__all__
    """Each element rounded to ``decimals`` places, halves to even (zero gradient)."""
    return _tensor.as_tensor(x).round(decimals)


def _tensors(a, b):
    """Both operands as Tensors, Python numbers taking the other operand's dtype."""
    Tensor = _tensor.Tensor
    if isinstance(a, Tensor):
        return a, a._operand(b)
    if isinstance(b, Tensor):
        return b._operand(a), b
    return Tensor(a), Tensor(b)


# The sample domains of the property test (see registry.py).
register("add", lambda a, b: a + b, arity=2)
register("sub", lambda a, b: a - b, arity=2)
register("mul", lambda a, b: a * b, arity=2)
register("div", lambda a, b: a / b, arity=2, domain=(0.5, 2.0))
register("floor_divide", lambda a, b: a // b, arity=2, kind="strategy",
         params={"strategy": lambda: _division_cases()}, twice=False)
register("remainder", lambda a, b: a % b, arity=2, kind="strategy",
         params={"strategy": lambda: _division_cases()})  # (defined below)
register("neg", lambda x: -x)
register("identity", lambda x: Identity.apply(x))
register("transform input", lambda x: TransformInput.apply(x))
register("pow_scalar", lambda x: x ** 3)
register("pow_fractional", lambda x: x ** 1.5, domain=(0.5, 2.0))
register("pow", lambda a, b: a ** b, arity=2, domain=(0.5, 2.0))
register("exp", lambda x: x.exp())
register("log", lambda x: x.log(), domain=(0.1, 3.0))
register("log10", lambda x: x.log10(), domain=(0.1, 3.0))
register("log2", lambda x: x.log2(), domain=(0.1, 3.0))
register("sqrt", lambda x: x.sqrt(), domain=(0.1, 3.0))
register("abs", lambda x: x.abs(), kinks=(0.0,))
register("sin", lambda x: x.sin())
register("cos", lambda x: x.cos())
register("tanh", lambda x: x.tanh())
register("sigmoid", lambda x: x.sigmoid(), domain=(-6.0, 6.0))
register("relu", lambda x: x.relu(), kinks=(0.0,))
register("relu in place of a temporary", lambda x: ReluInPlace.apply(x * 1.0), kinks=(0.0,))
register("leaky_relu", lambda x: x.leaky_relu(0.1), kinks=(0.0,))
register("leaky_relu in place of a temporary",
         lambda x: LeakyReluInPlace.apply(x * 1.0, slope=0.1), kinks=(0.0,))
register("erf", lambda x: x.erf())
register("erfc", lambda x: x.erfc())
register("gelu", lambda x: x.gelu(), domain=(-3.0, 3.0))
register("softplus", lambda x: x.softplus(), domain=(-6.0, 6.0))
register("clip", lambda x: x.clip(-0.5, 0.5), kinks=(-0.5, 0.5))
register("maximum", lambda a, b: maximum(a, b), arity=2, distinct=True)
register("minimum", lambda a, b: minimum(a, b), arity=2, distinct=True)
register("where", lambda a, b: where(a.data > b.data, a, b), arity=2, distinct=True)
register("clone", lambda x: x.clone())
register("square", lambda x: x.square())
register("log1p", lambda x: x.log1p(), domain=(-0.9, 3.0))
register("expm1", lambda x: x.expm1())
# Piecewise constant: zero gradient (the first-order check compares it with finite differences
# away from the jumps); no second order, the gradient being a constant.
register("sign", lambda x: x.sign(), kinks=(0.0,), twice=False)
register("floor", lambda x: x.floor(), kinks=(-2.0, -1.0, 0.0, 1.0, 2.0), twice=False)
register("ceil", lambda x: x.ceil(), kinks=(-2.0, -1.0, 0.0, 1.0, 2.0), twice=False)
register("round", lambda x: x.round(), kinks=(-1.5, -0.5, 0.5, 1.5), twice=False)
register("round_decimals", lambda x: x.round(1), domain=(-0.5, 0.5),
         kinks=tuple(np.arange(-0.45, 0.5, 0.1)), twice=False)
# Through longdouble and back: exact, so finite differences see the cast's true derivative.
register("cast", lambda x: x.astype(np.longdouble).astype(x.dtype))


def _division_cases():
    """Strategy of ((a, b), {}) float64 arrays of one shape with a / b at least 0.05 away from
    every integer (where floor division and the remainder jump), b of either sign."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    @st.composite
    def cases(draw):
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
        b = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.5, 2.0)))
        b = b * draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0])))
        whole = draw(hnp.arrays(np.float64, shape, elements=st.integers(-3, 3).map(float)))
        part = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.05, 0.95)))
        return (np.asarray((whole + part) * b), np.asarray(b)), {}  # (0-d math gives scalars)

    return cases()
