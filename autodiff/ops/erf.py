"""The error function on arrays, vectorized: within 5 ulps of ``math.erf`` in float64, 1 in float32.

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
"""
import math

import numpy as np

STEP = 1.0 / 16.0
END = 6.0
DEGREE = 7
_TAYLOR_TERMS = 8  # x^15 / (7! 15) at x = 1/16 is 3e-23: beyond float64's digits
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _interval_polynomials():
    """(DEGREE + 1, intervals) power-basis coefficients, lowest first, of each interval's
    interpolant of ``math.erf`` in the variable u in [-1, 1] across the interval.

    What is fitted is ``erf(x) - erf(center)``, small and known to about 1e-16 absolutely (from
    erfc where erf is near 1); ``erf(center)`` is then the constant term, exact to half an ulp.
    Fitting erf itself, a near-constant on the interval, lost up to 26 ulps in the fit."""
    nodes = np.cos(np.pi * (np.arange(DEGREE + 1) + 0.5) / (DEGREE + 1))
    rows = []
    for start in np.arange(0.0, END, STEP):
        center = start + STEP / 2.0
        offsets = [_erf_difference(v, center) for v in center + nodes * (STEP / 2.0)]
        chebyshev = np.polynomial.chebyshev.chebfit(nodes, offsets, DEGREE)
        row = np.polynomial.chebyshev.cheb2poly(chebyshev)
        row[0] += math.erf(center)
        rows.append(row)
    return np.array(rows).T.copy()  # (DEGREE + 1, intervals): one gather per power


def _erf_difference(x, center):
    """``erf(x) - erf(center)``, from erfc beyond 1, where erf's digits are spent on its 1."""
    if center > 1.0:
        return math.erfc(center) - math.erfc(x)
    return math.erf(x) - math.erf(center)


_COEFFICIENTS = {np.dtype(np.float64): _interval_polynomials()}
_COEFFICIENTS[np.dtype(np.float32)] = _COEFFICIENTS[np.dtype(np.float64)].astype(np.float32)
_TAYLOR = np.array([(-1) ** n / (math.factorial(n) * (2 * n + 1))
                    for n in range(_TAYLOR_TERMS)]) * _TWO_OVER_SQRT_PI
_LAST = np.nextafter(END, 0.0)  # the largest |x| the table covers


def erf(x):
    """``math.erf`` of every element of the array ``x``: float64 for float64 (and integer)
    input, within 5 ulps of ``math.erf`` (measured); float32 for float32 and float16, computed
    in float32 (within a few float32 ulps), at half the memory traffic."""
    x = np.asarray(x)
    dtype = np.dtype(np.float32 if x.dtype in (np.float16, np.float32) else np.float64)
    shape = x.shape
    x = x.astype(dtype, copy=False).reshape(-1)  # (0-d: indexing below needs an axis)
    coefficients = _COEFFICIENTS[dtype]
    size = np.abs(x)
    outside = ~(size < END)  # (NaN too)
    np.fmin(size, dtype.type(_LAST), out=size)  # beyond, and NaN: mended at the end
    position = size * dtype.type(1.0 / STEP)  # the interval's number plus the place in it
    interval = position.astype(np.intp)
    position -= interval
    u = np.multiply(position, 2.0, out=position)  # the place in the interval, in [-1, 1)
    u -= 1.0
    result = np.take(coefficients[DEGREE], interval, mode="clip")  # ("clip": no bounds check)
    coefficient = np.empty_like(result)
    for power in range(DEGREE - 1, -1, -1):  # in place: a new array per op cost twice the time
        result *= u
        result += np.take(coefficients[power], interval, out=coefficient, mode="clip")
    small = size < STEP
    if small.any():
        result[small] = _taylor(size[small]).astype(dtype, copy=False)
    np.copysign(result, x, out=result)
    if outside.any():  # +-1 from END on, where float64 rounds erf to it; NaN stays NaN
        result[outside] = np.sign(x[outside])
    return result.reshape(shape)


def _taylor(x):
    """erf of the small non-negative ``x`` by its Taylor series (Horner in x^2)."""
    square = x * x
    total = _TAYLOR[-1]
    for coefficient in _TAYLOR[-2::-1]:
        total = total * square + coefficient
    return total * x
