"""The error function and its complement on arrays, vectorized: ``erf`` within 5 ulps of
``math.erf`` in float64 and 1 in float32, ``erfc`` within 7 ulps of ``math.erfc`` in float64
and 6 in float32 (measured where the result is a normal number; float32 over 17 million points).

NumPy has no erf, and ``math.erf`` called once per element (``np.frompyfunc``) made the exact
GELU cost 30 times the matrix product before it. Here ``erf`` is piecewise polynomial:

* ``|x| < STEP``: its Taylor series, ``2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))``, which
  keeps the relative precision of tiny ``x``;
* ``STEP <= |x| < END``: on each interval of width ``STEP``, the degree-``DEGREE`` polynomial
  that interpolates ``math.erf`` at the interval's Chebyshev points (fitted once, at import),
  evaluated by Horner's rule on all elements at once;
* ``|x| >= END``: +-1, which ``erf`` rounds to in float64 from 5.92 on; NaN stays NaN.

The interpolation error on an interval is below ``(STEP/2)^8 / (2^7 8!) * max|erf^(8)|``, about
1e-17 here, so what remains is float64 rounding (`tests/test_tensor_more_ops.py` measures it).

``erfc(x) = 1 - erf(x)`` cannot be computed as that difference where erf is near 1: it keeps
fewer of the small result's digits the further right (half at x = 4, none from 6 on), and
GELU's ``x * erfc(-x / sqrt 2) / 2`` far below 0 needs them. For ``t >= 0`` it is ``exp(-t^2) * g(t)`` with ``g`` smooth and between
0 and 1, interpolated the same way on ``[0, TAIL_END)``; ``t^2`` is split into an exact part
and a small rest so that the rounding of ``t^2`` is not magnified by ``exp`` (at t = 26 that
rounding alone would cost 600 ulps). Below ``STEP`` it is 1 - erf (exactly 1 at 0), and
negative ``x`` uses ``erfc(x) = 2 - erfc(-x)``.
"""
import math

import numpy as np

STEP = 1.0 / 16.0
END = 6.0
DEGREE = 7
_TAYLOR_TERMS = 8  # x^15 / (7! 15) at x = 1/16 is 3e-23: beyond float64's digits
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _interval_polynomials(difference=None, center_value=math.erf, end=END):
    """(DEGREE + 1, intervals) power-basis coefficients, lowest first, of each interval's
    interpolant of a function (``math.erf`` by default) in the variable u in [-1, 1] across the
    interval, for the intervals of width ``STEP`` from 0 to ``end``.

    What is fitted is ``f(x) - f(center)`` (``difference(x, center)``), small and known to about
    1e-16 absolutely (for erf: from erfc where erf is near 1); ``f(center)`` is then the constant
    term, exact to half an ulp. Fitting erf itself, a near-constant on the interval, lost up to
    26 ulps in the fit."""
    difference = difference or _erf_difference
    nodes = np.cos(np.pi * (np.arange(DEGREE + 1) + 0.5) / (DEGREE + 1))
    centers = np.arange(0.0, end, STEP) + STEP / 2.0
    offsets = np.array([[difference(v, center) for v in center + nodes * (STEP / 2.0)]
                        for center in centers])
    # Chebyshev coefficients first (at Chebyshev nodes the basis is orthogonal: T' T is
    # diagonal), then the power basis, for all intervals at once (chebfit and cheb2poly per
    # interval took 0.3 ms each; solving in the power basis directly lost 3 ulps of erf).
    basis = np.polynomial.chebyshev.chebvander(nodes, DEGREE)
    chebyshev = (offsets @ basis) / np.sum(basis * basis, axis=0)
    to_powers = np.zeros((DEGREE + 1, DEGREE + 1))  # row j: T_j in the power basis
    for j in range(DEGREE + 1):
        to_powers[j, :j + 1] = np.polynomial.chebyshev.cheb2poly(np.eye(DEGREE + 1)[j])
    rows = chebyshev @ to_powers
    rows[:, 0] += [center_value(center) for center in centers]
    return rows.T.copy()  # (DEGREE + 1, intervals): one gather per power


def _erf_difference(x, center):
    """``erf(x) - erf(center)``, from erfc beyond 1, where erf's digits are spent on its 1."""
    if center > 1.0:
        return math.erfc(center) - math.erfc(x)
    return math.erf(x) - math.erf(center)


_COEFFICIENTS = {np.dtype(np.float64): _interval_polynomials()}
_COEFFICIENTS[np.dtype(np.float32)] = _COEFFICIENTS[np.dtype(np.float64)].astype(np.float32)
TAIL_END = 28.0  # erfc is 0 in float64 (below its smallest subnormal) from 27.3 on
_SPLIT_SCALE = {np.dtype(np.float64): 2.0 ** 20, np.dtype(np.float32): 2.0 ** 8}
_TAYLOR = np.array([(-1) ** n / (math.factorial(n) * (2 * n + 1))
                    for n in range(_TAYLOR_TERMS)]) * _TWO_OVER_SQRT_PI
_LAST = np.nextafter(END, 0.0)  # the largest |x| the table covers


def erf(x):
    """``math.erf`` of every element of the array ``x``: float64 for float64 (and integer)
    input, within 5 ulps of ``math.erf`` (measured); float32 for float32 and float16, computed
    in float32 (within a few float32 ulps), at half the memory traffic."""
    x, dtype, shape = _flat_float(x)
    size = np.abs(x)
    outside = ~(size < END)  # (NaN too)
    np.fmin(size, dtype.type(_LAST), out=size)  # beyond, and NaN: mended at the end
    result = _interpolate(size, _COEFFICIENTS[dtype])
    small = size < STEP
    if small.any():
        result[small] = _taylor(size[small]).astype(dtype, copy=False)
    np.copysign(result, x, out=result)
    if outside.any():  # +-1 from END on, where float64 rounds erf to it; NaN stays NaN
        result[outside] = np.sign(x[outside])
    return result.reshape(shape)


def erfc(x):
    """``math.erfc`` (1 - erf) of every element of the array ``x``, keeping the relative
    precision of the small values far right (dtypes as for `erf`; float64 within 7 ulps of
    ``math.erfc``, measured, float32 within 6 ulps of it rounded to float32)."""
    x, dtype, shape = _flat_float(x)
    size = np.abs(x)
    outside = ~(size < TAIL_END)  # (NaN too)
    np.fmin(size, dtype.type(_TAIL_LAST), out=size)
    result = _interpolate(size, _TAIL_COEFFICIENTS[dtype])  # erfc(size) * exp(size^2)
    result *= _exp_of_minus_square(size, _SPLIT_SCALE[dtype])
    small = size < STEP  # 1 - erf: exact at 0 (the table's g(0) may be an ulp off)
    if small.any():
        result[small] = 1.0 - _taylor(size[small]).astype(dtype, copy=False)
    negative = x < 0
    if negative.any():
        np.subtract(2.0, result, out=result, where=negative)
    if outside.any():  # 0 far right (below the smallest subnormal), 2 far left; NaN stays NaN
        result[outside] = 1.0 - np.sign(x[outside])
    return result.reshape(shape)


def _flat_float(x):
    """``x`` as a flat float32 (for float16 and float32) or float64 array, that dtype, and
    ``x``'s shape (0-d arrays become 1-d: indexing needs an axis)."""
    x = np.asarray(x)
    dtype = np.dtype(np.float32 if x.dtype in (np.float16, np.float32) else np.float64)
    return x.astype(dtype, copy=False).reshape(-1), dtype, x.shape


def _interpolate(size, coefficients):
    """The table's interpolants at the non-negative ``size`` (within the table's range):
    each element's interval, its place u in [-1, 1) there, and Horner's rule in u."""
    dtype = size.dtype
    position = size * dtype.type(1.0 / STEP)  # the interval's number plus the place in it
    interval = position.astype(np.intp)
    position -= interval
    u = np.multiply(position, 2.0, out=position)
    u -= 1.0
    degree = len(coefficients) - 1
    result = np.take(coefficients[degree], interval, mode="clip")  # ("clip": no bounds check)
    coefficient = np.empty_like(result)
    for power in range(degree - 1, -1, -1):  # in place: a new array per op cost twice the time
        result *= u
        result += np.take(coefficients[power], interval, out=coefficient, mode="clip")
    return result


def gaussian(x):
    """exp(-x^2) of every element of the array ``x`` (dtypes as for `erf`), without the
    magnified rounding of x^2 (erf's derivative: ``exp(-(x * x))`` is 380 ulps off at x = 24)."""
    x, dtype, shape = _flat_float(x)
    size = np.minimum(np.abs(x), 40.0)  # exp(-1600) is 0 in float64 (np.minimum keeps NaN)
    return _exp_of_minus_square(size, _SPLIT_SCALE[dtype]).reshape(shape)


def _exp_of_minus_square(t, scale):
    """exp(-t^2) for the non-negative ``t``, as exp(-h^2) * exp(-(t - h) (t + h)) with h the
    nearest multiple of 1 / ``scale``: h has so few bits that h^2 is exact, and the rounding of
    the small rest no longer matters."""
    high = np.rint(t * scale)
    high /= scale
    rest = t + high
    rest *= t - high
    np.negative(rest, out=rest)
    with np.errstate(under="ignore"):
        np.exp(rest, out=rest)
        np.multiply(high, high, out=high)
        np.negative(high, out=high)
        np.exp(high, out=high)
    high *= rest
    return high


def _scaled_erfc(t):
    """erfc(t) * exp(t^2) of the float ``t >= 0`` (the table's reference values): from
    ``math.erfc`` while exp(t^2) fits a float (split as in `_exp_of_minus_square`), then by the
    asymptotic series 1/(t sqrt(pi)) * sum (-1)^k (2k-1)!! / (2t^2)^k, whose terms fall below
    float64's precision before they grow again from t = 20 on."""
    if t < 26.0:
        high = float(np.float32(t))
        return math.erfc(t) * math.exp(high * high) * math.exp((t - high) * (t + high))
    term = total = 1.0
    for k in range(1, 12):
        term *= -(2 * k - 1) / (2.0 * t * t)
        total += term
    return total / (t * math.sqrt(math.pi))


_TAIL_COEFFICIENTS = {np.dtype(np.float64): _interval_polynomials(
    lambda t, center: _scaled_erfc(t) - _scaled_erfc(center), _scaled_erfc, TAIL_END)}
_TAIL_COEFFICIENTS[np.dtype(np.float32)] = (
    _TAIL_COEFFICIENTS[np.dtype(np.float64)].astype(np.float32))
_TAIL_LAST = np.nextafter(TAIL_END, 0.0)


def _taylor(x):
    """erf of the small non-negative ``x`` by its Taylor series (Horner in x^2)."""
    square = x * x
    total = _TAYLOR[-1]
    for coefficient in _TAYLOR[-2::-1]:
        total = total * square + coefficient
    return total * x
