"""`axpy`: ``y += alpha * x`` in place, in one pass over memory (BLAS's axpy where NumPy has it).

NumPy has no fused multiply-add: ``p -= lr * g`` first writes ``lr * g`` to a temporary as large
as the parameter, then reads it back. For a large parameter that temporary is a trip through
memory the update does not need: hand-written NumPy avoids it by scaling the gradient in place
(``g *= lr; p -= g``), which an optimizer that leaves ``p.grad`` to the user cannot do. Measured
on the MLP benchmark (`benchmarks/bench_mlp.py`, 784-256-128-10 at batch 128, one thread), the
update of the 784x256 weight took about 40 us more than that in-place form; BLAS's axpy reads
``x`` and ``y`` once and writes ``y`` once, and brings the update level with it.

NumPy's wheels carry an OpenBLAS of their own (``numpy.libs`` on Linux and Windows,
``numpy/.dylibs`` on macOS), already loaded by NumPy. `axpy` calls its ``saxpy``/``daxpy``
through ctypes: the same library, so the same thread settings (``threadpoolctl``,
``OPENBLAS_NUM_THREADS``) apply. It is used for contiguous float32/float64 arrays of one shape
and dtype that do not overlap, from `MIN_SIZE` elements up (below that the ctypes call costs
more than the temporary). Everything else, and every NumPy built without that library (conda's
MKL, a system BLAS), takes NumPy's ``y += alpha * x``. The two can differ in the last bit: BLAS
may fuse the multiply and the add into one rounding.
"""
import ctypes
import glob
import os

import numpy as np

__all__ = ["axpy", "MIN_SIZE", "FUSED_DTYPES"]

# Elements from which the fused call is used. Its fixed cost is 3 to 4 us (checks, ctypes, the
# call); NumPy's form costs about as much at 8K to 16K float32 elements in cache and grows from
# there (8 us at 32K); out of cache, as in a training step, the temporary costs more still.
MIN_SIZE = 1 << 14

# (library file pattern, routine name prefix) of the OpenBLAS builds NumPy's wheels have shipped,
# all with 64-bit integers: scipy-openblas (NumPy 2) and openblas64_ (NumPy 1.22 to 1.26).
_BUILDS = (("*scipy_openblas64*", "scipy_cblas_"), ("*openblas64_*", "cblas_"))
_ROUTINES = {np.dtype(np.float32): ("saxpy64_", ctypes.c_float),
             np.dtype(np.float64): ("daxpy64_", ctypes.c_double)}


def _wheel_library_dirs():
    """Where NumPy's wheels put their bundled shared libraries."""
    package = os.path.dirname(np.__file__)
    return (os.path.join(os.path.dirname(package), "numpy.libs"), os.path.join(package, ".dylibs"))


def _bundled_axpy():
    """{dtype: routine} for the axpy routines of NumPy's bundled OpenBLAS; {} when not found."""
    for directory in _wheel_library_dirs():
        for pattern, prefix in _BUILDS:
            for path in sorted(glob.glob(os.path.join(directory, pattern))):
                try:
                    library = ctypes.CDLL(path)
                    return {dtype: _declare(getattr(library, prefix + name), scalar)
                            for dtype, (name, scalar) in _ROUTINES.items()}
                except (OSError, AttributeError):
                    continue
    return {}


def _declare(routine, scalar):
    """Give ctypes the CBLAS signature ``(n, alpha, *x, incx, *y, incy)``, 64-bit integers."""
    routine.restype = None
    routine.argtypes = [ctypes.c_int64, scalar, ctypes.c_void_p, ctypes.c_int64,
                        ctypes.c_void_p, ctypes.c_int64]
    return routine


_AXPY = _bundled_axpy()
FUSED_DTYPES = tuple(_AXPY)  # the dtypes `axpy` runs through BLAS here (empty: NumPy only)


def axpy(alpha, x, y):
    """``y += alpha * x`` in place on ndarray ``y`` (``x`` broadcasts to it); returns None.

    One pass through BLAS for large contiguous float arrays of one dtype and shape that do not
    overlap, NumPy's ``y += alpha * x`` otherwise (module docstring).

    >>> y = np.ones(3, np.float32)
    >>> axpy(-0.5, np.array([2.0, 4.0, 6.0], np.float32), y)
    >>> y
    array([ 0., -1., -2.], dtype=float32)
    """
    routine = _AXPY.get(y.dtype) if y.size >= MIN_SIZE else None
    if (routine is not None and x.dtype == y.dtype and x.shape == y.shape
            and y.flags.c_contiguous and x.flags.c_contiguous and y.flags.writeable
            and x.flags.writeable and not np.may_share_memory(x, y)):
        routine(y.size, float(alpha), _address(x), 1, _address(y), 1)
    else:
        y += alpha * x


def _address(array):
    """A ctypes reference to a writeable contiguous array's first byte (cheaper than
    ``array.ctypes.data``, whose helper objects tracemalloc saw pile up over a long run)."""
    return ctypes.byref(ctypes.c_char.from_buffer(array))
